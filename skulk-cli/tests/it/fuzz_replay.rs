//! Replays the checked-in fuzz corpus of the command-line tool's targets
//! (`fuzz/corpus/cli_*/`) and every regression input
//! (`skulk-cli/bad_data/<target>/`) through `skulk_cli::fuzzing`, so CI
//! catches regressions without cargo-fuzz.
//!
//! The seed corpus is written by
//! `SKULK_WRITE_CORPUS=1 cargo test -p skulk-cli --test it fuzz_replay`
//! (only missing files are created).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use skulk_cli::fuzzing::{TARGETS, run};

const CORPUS_LIMIT_BYTES: u64 = 50 * 1024;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("fuzz/corpus").join(target)
}

fn bad_data_dir(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/bad_data")).join(target)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

fn texts(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
        .collect()
}

fn with_selector(pairs: &[(&str, u8, &str)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(name, selector, text)| {
            let mut seed = vec![*selector];
            seed.extend_from_slice(text.as_bytes());
            (name.to_string(), seed)
        })
        .collect()
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "cli_import" => with_selector(&[
            (
                "line-protocol",
                0,
                "# comment\ncpu,host=a,dc=eu\\ 1 value=0.5,idle=3i 1700000000000000000\n\
                 mem free=1e300,ok=true\nbad line\ncpu,host=b value=-0 -1\n",
            ),
            ("csv", 4, "timestamp_ns,value\n1,0.5\n2,-0\n3,NaN\n4,inf\n"),
            (
                "csv-keyed",
                8,
                "series,timestamp_ns,value\n\"cpu{host=\"\"a\"\"}\",1,2.5\nmem,5,1e-310\n",
            ),
            (
                "csv-mapped",
                12,
                "a,b,c,d\n2024-05-01T00:00:00Z,x,1.5,\n1700000000,y,2,NaN(0x7ff4000000000001)\n",
            ),
        ]),
        "cli_selector" => texts(&[
            ("metric", "cpu"),
            ("matchers", r#"cpu{host="a", dc!="x",rack=~"r.*",zone!~z1}"#),
            ("escapes", r#"{__name__="m",k="q\"b\\s\n\t\u{1F600}"}"#),
            ("match-arg", r#"dc!="eu west""#),
            ("series-key", r#"cpu_idle{dc="x 1",host="b"}"#),
        ]),
        "cli_time" => texts(&[
            ("nanoseconds", "1700000000000000000"),
            ("rfc3339", "2024-05-01T12:00:00.123456789Z"),
            ("date", "2024-05-01"),
            ("now-ago", "now-1h 30m"),
            ("duration", "1d 2h 3m 4s 5ms 6us 7ns"),
            ("fraction", "1.5y"),
        ]),
        other => extra_seeds(other),
    }
}

fn extra_seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "cli_openmetrics" => with_selector(&[
            (
                "openmetrics",
                0,
                "# TYPE foo histogram\nfoo_bucket{le=\"0.5\",a=\"x\\\"y\\n\"} 3 1520879607.789 \
                 # {trace_id=\"k\"} 0.6\nfoo_sum 1e-3\nfoo_count 4\n# EOF\n",
            ),
            (
                "prometheus",
                1,
                "# HELP up Up.\n# TYPE up gauge\nup{job=\"a\",} 1 1395066363000\n\
                 rpc{quantile=\"0.99\"} +Inf\nbad{ 1\nnan_metric NaN -1\n",
            ),
        ]),
        "cli_import" => Vec::new(),
        other => panic!("no seeds for fuzz target {other}: add them here"),
    }
}

/// Runs `f`, turning a panic into its message without printing it.
fn quietly(f: impl FnOnce()) -> Result<(), String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string())
    })
}

#[test]
fn every_target_has_a_small_seed_corpus() {
    let write = std::env::var("SKULK_WRITE_CORPUS").is_ok_and(|v| v == "1");
    let mut total = 0;
    for (target, _) in TARGETS {
        let dir = corpus_dir(target);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds(target) {
                let path = dir.join(format!("seed-{name}"));
                if !path.exists() {
                    std::fs::write(&path, bytes).unwrap();
                }
            }
        }
        let files = files_in(&dir);
        assert!(
            !files.is_empty(),
            "fuzz/corpus/{target} is empty: run with SKULK_WRITE_CORPUS=1"
        );
        total += files
            .iter()
            .map(|f| f.metadata().unwrap().len())
            .sum::<u64>();
    }
    assert!(
        total < CORPUS_LIMIT_BYTES,
        "the checked-in corpus is {total} bytes: minimize it"
    );
}

#[test]
fn the_corpus_and_every_bad_data_input_replay_without_a_panic() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, _) in TARGETS {
        for file in files_in(&corpus_dir(target))
            .into_iter()
            .chain(files_in(&bad_data_dir(target)))
        {
            let bytes = std::fs::read(&file).unwrap();
            if let Err(message) = quietly(|| assert!(run(target, &bytes))) {
                failures.push(format!("{target} {}: {message}", file.display()));
            }
            replayed += 1;
        }
    }
    println!("replayed {replayed} inputs");
    assert!(replayed > TARGETS.len(), "only {replayed} inputs found");
    assert!(
        failures.is_empty(),
        "{} inputs panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bad_data_folder_names_a_target() {
    let known: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    for entry in std::fs::read_dir(bad_data_dir("")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            assert!(
                known.contains(&name.as_str()),
                "{} names no target",
                path.display()
            );
        }
    }
}

#[test]
fn every_cli_fuzz_target_file_is_registered() {
    let dir = root().join("fuzz/fuzz_targets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipping: {} not found", dir.display());
        return;
    };
    let mut on_disk: Vec<String> = entries
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .filter(|name| name.starts_with("cli_"))
        .collect();
    on_disk.sort();
    let mut registered: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    registered.sort();
    assert_eq!(
        on_disk, registered,
        "fuzz/fuzz_targets/cli_* and skulk_cli::fuzzing::TARGETS differ"
    );
}
