"""Reads a `skulk export --format parquet` with readers nobody here wrote:
pyarrow and DuckDB. Generates known points, imports them with the `skulk`
binary, exports them in two parts (the second appended to the first's
folder), and checks counts, sums and exact bit patterns.

    python read_export.py path/to/skulk WORK_DIR
"""

import math
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

DAY_NS = 86_400 * 10**9
START_NS = 1_700_000_000 * 10**9
SPECIALS = {
    # (metric, host, timestamp) -> value with a bit pattern worth checking
    ("temp", "h0", START_NS + 7): -0.0,
    ("temp", "h1", START_NS + 11): 5e-324,
    ("temp", "h2", START_NS + 13): float("inf"),
    ("temp", "h0", START_NS + DAY_NS + 17): -1.7976931348623157e308,
}


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def generate(path):
    """Three metrics over four UTC days; returns {metric: (count, sum)}."""
    expected = {}
    lines = []
    for m, metric in enumerate(["cpu", "mem", "temp"]):
        count, total = 0, 0.0
        for h in range(3):
            for i in range(20_000):
                t = START_NS + i * 13_000_000_000 + h
                v = round((i * (h + 1) + m) % 1000 / 7.0, 6)
                lines.append(f"{metric},host=h{h},dc=dc{i % 2} value={v!r} {t}")
                count += 1
                total += v
        expected[metric] = [count, total]
    for (metric, host, t), v in SPECIALS.items():
        text = "inf" if v == float("inf") else repr(v)
        lines.append(f"{metric},host={host} value={text} {t}")
        expected[metric][0] += 1
    # A NaN stays out of the sums (SQL and pyarrow would give NaN).
    lines.append(f"nan,host=h0 value=NaN {START_NS}")
    expected["nan"] = [1, 0.0]
    path.write_text("\n".join(lines) + "\n")
    return expected


def main():
    skulk, work = Path(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    data, out, lp = work / "data", work / "export", work / "points.lp"
    expected = generate(lp)
    subprocess.run([skulk, "--data-dir", data, "import", lp], check=True, stdout=subprocess.DEVNULL)
    # Two exports into one folder, split in the middle of a day: the
    # second appends that day's next part.
    export = [skulk, "--data-dir", data, "export", "--format", "parquet", "--out", out]
    middle = str(START_NS + DAY_NS + DAY_NS // 2)
    subprocess.run(export + ["--end", middle], check=True)
    subprocess.run(export + ["--append", "--start", middle], check=True)

    dates = sorted({p.name for p in out.glob("metric=cpu/date=*")})
    assert dates == [f"date=2023-11-{d}" for d in (14, 15, 16, 17)], dates
    parts = {p.name for p in out.glob("metric=cpu/date=2023-11-16/*")}
    assert parts == {"part-0.parquet", "part-1.parquet"}, parts

    for metric, (count, total) in expected.items():
        if metric == "nan":
            continue
        # pyarrow: one metric's folder, Hive partitioning for the dates.
        table = ds.dataset(out / f"metric={metric}", format="parquet", partitioning="hive").to_table()
        assert table.num_rows == count, (metric, table.num_rows, count)
        assert str(table.schema.field("time").type) == "timestamp[ns, tz=UTC]", table.schema
        finite = pc.filter(table["value"], pc.is_finite(table["value"]))
        got = pc.sum(finite).as_py()
        want = sum(v for v in [total] if math.isfinite(v))
        if metric == "temp":
            want = total + sum(v for v in SPECIALS.values() if math.isfinite(v))
        assert math.isclose(got, want, rel_tol=1e-12), (metric, got, want)

        # DuckDB: the whole export, Hive columns from the folder names.
        n, s = duckdb.execute(
            f"""SELECT count(*), sum(value) FILTER (WHERE isfinite(value))
                FROM read_parquet('{out}/*/*/*.parquet', hive_partitioning = true, union_by_name = true)
                WHERE metric = '{metric}'"""
        ).fetchone()
        assert n == count, (metric, n, count)
        assert math.isclose(s, want, rel_tol=1e-12), (metric, s, want)

    for (metric, host, t), v in SPECIALS.items():
        rows = duckdb.execute(
            f"""SELECT value FROM read_parquet('{out}/metric={metric}/*/*.parquet')
                WHERE host = '{host}' AND epoch_ns(time) = {t}"""
        ).fetchall()
        assert len(rows) == 1 and bits(rows[0][0]) == bits(v), (metric, host, t, rows, v)
        table = ds.dataset(out / f"metric={metric}", format="parquet", partitioning="hive").to_table()
        mask = pc.and_(pc.equal(table["host"], host), pc.equal(table["time"].cast("int64"), t))
        [value] = table.filter(mask)["value"].to_pylist()
        assert bits(value) == bits(v), (metric, host, t, value, v)

    nan = ds.dataset(out / "metric=nan", format="parquet", partitioning="hive").to_table()
    assert nan.num_rows == 1 and math.isnan(nan["value"][0].as_py())

    # A file under 256 rows is written uncompressed, the others in zstd:
    # both kinds were read above.
    def codecs(metric):
        found = set()
        for path in out.glob(f"metric={metric}/*/*.parquet"):
            meta = pq.ParquetFile(path).metadata
            for g in range(meta.num_row_groups):
                for c in range(meta.num_columns):
                    found.add(meta.row_group(g).column(c).compression)
        return found

    assert codecs("nan") == {"UNCOMPRESSED"}, codecs("nan")
    assert codecs("cpu") == {"ZSTD"}, codecs("cpu")
    print(f"pyarrow and duckdb read {sum(c for c, _ in expected.values())} points of {len(expected)} metrics back")


if __name__ == "__main__":
    main()
