# tests/integration/compare_lib.sh - shared by the scripts that run one case
# natively and under moat and compare the two (shell.sh, python.sh,
# build.sh). Sourced, not run; the caller sets `here` (its own directory),
# `moat` (the moat binary) and `suite` (the test-name prefix, e.g. shell).
#
# A case runs a command in /, with stdin from /dev/null (or the file in
# $case_stdin) and the fixed environment
#   PATH=/usr/bin:/bin HOME=/root LC_ALL=C TZ=UTC
# (env -i: under moat the cleared environment is moat's own, which `moat do`
# passes on), first natively, then under `moat do [$MOAT_FLAGS]
# [$case_moat_flags...]`. It passes when both exit with the same status,
# that status is the one the case expects, and both stdouts are identical
# (after $case_filter, a sed -E script, when set). So a case that is wrong
# on the host fails even when moat is not run.
#
# Skip list: a case whose test name ($suite-CASE) is listed in moat-skip.txt
# beside these scripts is a known gap: it still runs natively (and must pass
# there), its moat run is not made, the reason is printed and the exit
# status is 77 (meson: SKIP). MOAT_NO_SKIP=1 runs it anyway.
# Environment: MOAT_FLAGS (extra `moat do` flags, e.g. --strace),
# CASE_TIMEOUT (seconds per run, default 120).

# skip_reason TESTNAME: prints the skip-list reason; fails if not listed.
skip_reason() {
    local line first rest list=$here/moat-skip.txt
    [ "${MOAT_NO_SKIP:-}" != 1 ] && [ -r "$list" ] || return 1
    while IFS= read -r line || [ -n "$line" ]; do
        read -r first rest <<<"$line" || true
        case $first in '' | '#'*) continue ;; esac
        if [ "$first" = "$1" ]; then
            echo "${rest:-no reason given}"
            return 0
        fi
    done <"$list"
    return 1
}

# abspath PATH: PATH made absolute (the runs happen in /).
abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }

compare_timeout=${CASE_TIMEOUT:-120}
read -r -a compare_moat_env_flags <<<"${MOAT_FLAGS:-}"
case_stdin=/dev/null
case_filter=
case_moat_flags=()

# compare_run MODE OUT ERR CMD...: one run; sets run_status. A run that
# outlives the timeout gets SIGTERM, then SIGKILL 5 s later (a moat that
# does not exit on SIGTERM must not hang the suite).
compare_run() {
    local mode=$1 out=$2 err=$3
    shift 3
    local -a cmd=(env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C TZ=UTC)
    if [ "$mode" = moat ]; then
        cmd+=("$moat" "do" "${compare_moat_env_flags[@]}" "${case_moat_flags[@]}" --)
    fi
    cmd+=("$@")
    (cd / && timeout -k 5 "$compare_timeout" "${cmd[@]}") <"$case_stdin" >"$out" 2>"$err"
    run_status=$?
    if [ -n "$case_filter" ]; then
        sed -E "$case_filter" "$out" >"$out.tmp" && mv "$out.tmp" "$out"
    fi
}

# compare_show TITLE FILE: the first lines of FILE, indented.
compare_show() {
    if [ -s "$2" ]; then
        echo "     $1:"
        head -n 30 "$2" | sed 's/^/       /'
    fi
}

# compare_cleanup: the EXIT trap of compare_case; removes its scratch
# directory and calls the caller's case_cleanup when it defines one.
compare_dir=
compare_cleanup() {
    [ -z "$compare_dir" ] || rm -rf "$compare_dir"
    if declare -F case_cleanup >/dev/null; then
        case_cleanup
    fi
}

# compare_case NAME WANT CMD...: runs CMD natively and under moat, expecting
# exit status WANT from both and the same stdout; prints PASS, FAIL (with
# the details) or SKIP and exits 0, 1 or 77.
compare_case() {
    local name=$1 want=$2
    shift 2
    local test_name=$suite-$name dir reason
    dir=$(mktemp -d "${TMPDIR:-/tmp}/moat-$suite.XXXXXX") || exit 1
    compare_dir=$dir
    trap compare_cleanup EXIT

    compare_run native "$dir/native.out" "$dir/native.err" "$@"
    local native_status=$run_status
    local -a problems=()
    if [ "$native_status" = 124 ] || [ "$native_status" = 137 ]; then
        problems+=("timed out natively after ${compare_timeout}s")
    elif [ "$native_status" != "$want" ]; then
        problems+=("native exit status $native_status, the case expects $want (a wrong case?)")
    fi

    if [ ${#problems[@]} -eq 0 ] && reason=$(skip_reason "$test_name"); then
        echo "SKIP $test_name: in moat-skip.txt: $reason (passed natively)"
        exit 77
    fi

    if [ ${#problems[@]} -eq 0 ]; then
        if [ ! -x "$moat" ]; then
            problems+=("moat binary $moat not found or not executable")
        else
            compare_run moat "$dir/moat.out" "$dir/moat.err" "$@"
            local moat_status=$run_status
            if [ "$moat_status" = 124 ] || [ "$moat_status" = 137 ]; then
                problems+=("timed out under moat after ${compare_timeout}s")
            elif [ "$moat_status" != "$native_status" ]; then
                problems+=("exit status $moat_status under moat, $native_status natively")
            fi
            if ! cmp -s "$dir/native.out" "$dir/moat.out"; then
                problems+=("stdout differs")
            fi
        fi
    fi

    if [ ${#problems[@]} -eq 0 ]; then
        echo "PASS $test_name (exit $native_status)"
        exit 0
    fi
    echo "FAIL $test_name:"
    local p
    for p in "${problems[@]}"; do
        echo "     - $p"
    done
    compare_show "native stderr" "$dir/native.err"
    compare_show "moat stderr" "$dir/moat.err"
    if [ -f "$dir/moat.out" ] && ! cmp -s "$dir/native.out" "$dir/moat.out"; then
        echo "     stdout diff (native vs moat):"
        diff -u --label native --label moat "$dir/native.out" "$dir/moat.out" |
            head -n 40 | sed 's/^/       /'
    elif [ ! -f "$dir/moat.out" ]; then
        compare_show "native stdout" "$dir/native.out"
    fi
    exit 1
}
