#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 60), one after another;
# exits 1 when a target crashed or did not build.
#
#   fuzz/run-all.sh 120                      # every target
#   fuzz/run-all.sh 30 codec_block wal_recovery  # some targets
#   FUZZ_FEATURES=cli,engine fuzz/run-all.sh 3   # one build for every target
#                                                # (CI's smoke run)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Runs on the stable toolchain
# without a sanitizer; for AddressSanitizer use a nightly toolchain and drop
# `--sanitizer=none`. Each target starts from its checked-in corpus in
# fuzz/corpus/<target>/ and writes new inputs to a scratch copy, so the
# checked-in corpus stays small. Crashes land in fuzz/artifacts/<target>/;
# copy each (minimized with `cargo fuzz tmin`) to
# skulk-testkit/bad_data/<target>/ where the replay test keeps it fixed.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")"
targets="${*:-$(cargo fuzz list)}"
summary=""
failed=0
for target in $targets; do
    scratch="target/corpus/$target"
    mkdir -p "$scratch" "corpus/$target"
    echo "=== $target: ${seconds}s"
    log="target/$target.log"
    set +e
    case "${FUZZ_FEATURES:-}:$target" in
        :cli_*) features="--features=cli" ;;
        :engine_*) features="--features=engine" ;;
        :*) features="" ;;
        *) features="--features=$FUZZ_FEATURES" ;;
    esac
    cargo fuzz run --sanitizer=none $features "$target" "$scratch" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    grep -E "^#[0-9]+.*DONE|ERROR|panicked" "$log" || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    if grep -q "failed to build fuzz script" "$log"; then
        summary+="$target: BUILD FAILED, see $log"$'\n'
        failed=1
    elif [ "$status" -eq 0 ]; then
        summary+="$target: $execs executions, no crash"$'\n'
    else
        summary+="$target: CRASH (exit $status), see $log and artifacts/$target/"$'\n'
        failed=1
    fi
done
echo
echo "$summary"
exit "$failed"
