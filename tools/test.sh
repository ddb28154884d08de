#!/usr/bin/env bash
# tools/test.sh - build moat twice and run the whole test suite in both builds.
#
# usage: tools/test.sh [MESON_TEST_ARGS...]
#
#   build       normal build, -Dwerror=true
#   build-asan  -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
#
# Each build directory is set up if it is not configured yet (its options are
# applied with `meson configure` if it is), built with ninja, and tested with
# `meson test --print-errorlogs [MESON_TEST_ARGS...]` (e.g. --suite unit).
# The last line printed is
#
#   moat: N passed, N failed[, N skipped]
#
# summed over both builds. "Expected Fail" counts as passed; "Fail",
# "Unexpected Pass" and "Timeout" as failed; a build or a test run that fails
# without meson's summary counts as one failure. Exits non-zero if anything
# failed.
#
# Environment: MOAT_BUILD_DIR and MOAT_ASAN_BUILD_DIR override the two build
# directory names (default build and build-asan).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

build_dir=${MOAT_BUILD_DIR:-build}
asan_dir=${MOAT_ASAN_BUILD_DIR:-build-asan}
normal_opts=(-Dwerror=true)
asan_opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true)

total_passed=0
total_failed=0
total_skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# summary_count LABEL: the number on meson's summary line "LABEL: N" in $log.
summary_count() {
    awk -v label="$1:" '
        index($0, label) == 1 { v = substr($0, length(label) + 1); gsub(/[^0-9]/, "", v); n = v }
        END { print (n == "" ? 0 : n) }' "$log"
}

# run_build DIR OPTIONS...: configure, build and test DIR; adds to the totals.
run_build() {
    local dir=$1
    shift
    echo "=== $dir: configure ($*)"
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson configure "$dir" "$@" || { build_failed "$dir" configure; return; }
    else
        meson setup "$dir" "$@" || { build_failed "$dir" "meson setup"; return; }
    fi

    echo "=== $dir: build"
    ninja -C "$dir" || { build_failed "$dir" build; return; }

    echo "=== $dir: test"
    meson test -C "$dir" --print-errorlogs "${test_args[@]}" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}

    local ok expected_fail fail unexpected_pass skipped timeout
    ok=$(summary_count "Ok")
    expected_fail=$(summary_count "Expected Fail")
    fail=$(summary_count "Fail")
    unexpected_pass=$(summary_count "Unexpected Pass")
    skipped=$(summary_count "Skipped")
    timeout=$(summary_count "Timeout")

    local passed=$((ok + expected_fail))
    local failed=$((fail + unexpected_pass + timeout))
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "=== $dir: meson test exited with status $status without reporting a failed test"
        failed=1
    fi
    echo "=== $dir: $passed passed, $failed failed, $skipped skipped"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
}

# build_failed DIR STEP: counts a failed configure or build as one failure.
build_failed() {
    echo "=== $1: $2 FAILED; its tests were not run"
    total_failed=$((total_failed + 1))
}

test_args=("$@")
run_build "$build_dir" "${normal_opts[@]}"
run_build "$asan_dir" "${asan_opts[@]}"

summary="moat: $total_passed passed, $total_failed failed"
if [ "$total_skipped" -gt 0 ]; then
    summary+=", $total_skipped skipped"
fi
echo "$summary"
[ "$total_failed" -eq 0 ]
