#!/usr/bin/env bash
# tests/integration/coreutils.sh - run Debian's own programs (coreutils, grep,
# sed, gawk/mawk, find, tar, ...: dynamically linked, from /usr/bin) natively
# and under moat, and check that stdout and the exit status are identical;
# plus moat-only cases checking that writes outside a bind never reach the
# host and that binds do.
#
# usage: coreutils.sh [--cases FILE] MOAT [CASE...]
#
#   MOAT     the moat binary (run as: MOAT do [$MOAT_FLAGS] [FLAGS] -- PROG ARGS...)
#   CASE     case names from the cases file (default: all of them)
#   FILE     the cases file (default: coreutils.cases beside this script;
#            its header documents the format and the options)
#
# Prints one line per case (PASS/FAIL/SKIP, with a diff and moat's stderr on
# failure) and a last line "N passed, N failed, N skipped". Exits 0 when no
# case failed and at least one ran, 1 when one failed, 77 (meson's "skipped")
# when every selected case was skipped.
#
# Skip list: a case whose test name (coreutils-NAME) is listed in
# moat-skip.txt beside this script is a known gap of moat: its moat run is
# not made and the reason is printed. The native run still is (a case that
# fails natively is a wrong case). MOAT_NO_SKIP=1 runs listed cases anyway.
# Environment: MOAT_FLAGS (extra `moat do` flags, e.g. --strace),
# CASE_TIMEOUT (seconds per run, default 120).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cases_file=$here/coreutils.cases
skip_file=$here/moat-skip.txt
while [ $# -gt 0 ]; do
    case "$1" in
    --cases) cases_file=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "coreutils.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    echo "usage: coreutils.sh [--cases FILE] MOAT [CASE...]" >&2
    exit 2
fi
moat=$1
shift
# The runs happen in /, so the moat path must be absolute.
abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
[ ! -e "$moat" ] || moat=$(abspath "$moat")
timeout=${CASE_TIMEOUT:-120}
read -r -a moat_env_flags <<<"${MOAT_FLAGS:-}"

# skip_reason TESTNAME: prints the skip-list reason; fails if not listed.
skip_reason() {
    local line first rest
    [ "${MOAT_NO_SKIP:-}" != 1 ] && [ -r "$skip_file" ] || return 1
    while IFS= read -r line || [ -n "$line" ]; do
        read -r first rest <<<"$line" || true
        case $first in '' | '#'*) continue ;; esac
        if [ "$first" = "$1" ]; then
            echo "${rest:-no reason given}"
            return 0
        fi
    done <"$skip_file"
    return 1
}

# Load the cases: names in order, words by name.
declare -a names=()
declare -A argstr=()
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    read -r name rest <<<"$line"
    if [ -n "${argstr[$name]+set}" ]; then
        echo "coreutils.sh: case $name defined twice in $cases_file" >&2
        exit 2
    fi
    names+=("$name")
    argstr[$name]=$rest
done <"$cases_file"

if [ $# -gt 0 ]; then
    selected=("$@")
else
    selected=("${names[@]}")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-coreutils.XXXXXX") || exit 1
T='' H='' U=''
cleanup_case() {
    [ -n "$U" ] || return 0
    rm -rf -- "$T" "$H" "/tmp/${U:?}" "/var/tmp/${U:?}" "/dev/shm/${U:?}" "/usr/local/${U:?}"
}
trap 'cleanup_case; rm -rf "$tmp"' EXIT

# split_words STRING: sets words to STRING's shell words. The cases file is
# part of the source tree; eval only splits and unquotes its words (and
# expands $T, $H, $U where a case asks for it).
split_words() {
    eval "set -- $1"
    words=("$@")
}

# run MODE OUT ERR: runs the case's command natively or under moat, in /,
# with stdin from /dev/null and the fixed environment (env -i: under moat the
# cleared environment is moat's own, which `moat do` passes on); with --pipe,
# stdout goes through the pipe on the host. Sets status to the command's.
run() {
    local mode=$1 out=$2 err=$3
    local -a cmd=(env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C TZ=UTC T="$T" H="$H" U="$U")
    if [ "$mode" = native ]; then
        cmd+=("${command[@]}")
    else
        cmd+=("$moat" "do" "${moat_env_flags[@]}" "${moat_flags[@]}" -- "${command[@]}")
    fi
    pushd / >/dev/null || exit 1
    if [ -n "$opt_pipe" ]; then
        timeout "$timeout" "${cmd[@]}" </dev/null 2>"$err" | sh -c "$opt_pipe" >"$out"
        status=${PIPESTATUS[0]}
    else
        timeout "$timeout" "${cmd[@]}" </dev/null >"$out" 2>"$err"
        status=$?
    fi
    popd >/dev/null || exit 1
}

# host_script SCRIPT: runs a --setup/--check script on the host.
host_script() {
    (cd / && T="$T" H="$H" U="$U" bash -c "$1")
}

# normalise FILE: applies --sort and --filter in place.
normalise() {
    if [ -n "$opt_filter" ]; then
        sed -E "$opt_filter" "$1" >"$1.tmp" && mv "$1.tmp" "$1"
    fi
    if [ "$opt_sort" = 1 ]; then
        LC_ALL=C sort "$1" >"$1.tmp" && mv "$1.tmp" "$1"
    fi
}

show() { # show TITLE FILE
    if [ -s "$2" ]; then
        echo "     $1:"
        head -n 20 "$2" | sed 's/^/       /'
    fi
}

passed=0 failed=0 skipped=0
for name in "${selected[@]}"; do
    if [ -z "${argstr[$name]+set}" ]; then
        echo "FAIL $name: no such case in $cases_file"
        failed=$((failed + 1))
        continue
    fi
    test_name=coreutils-$name
    rm -f "$tmp"/*.out "$tmp"/*.err "$tmp"/*.tmp

    # Options, then the command.
    split_words "${argstr[$name]}"
    opt_filter='' opt_sort=0 opt_pipe='' opt_status=0 opt_moat_only=0 opt_stdout=''
    opt_stdout_set=0 opt_moat_flags='' opt_setup='' opt_check=''
    bad=
    while [ ${#words[@]} -gt 0 ]; do
        w=${words[0]}
        case $w in
        --filter=*) opt_filter=${w#*=} ;;
        --sort) opt_sort=1 ;;
        --pipe=*) opt_pipe=${w#*=} ;;
        --status=*) opt_status=${w#*=} ;;
        --moat-only) opt_moat_only=1 ;;
        --stdout=*) opt_stdout=${w#*=}; opt_stdout_set=1 ;;
        --moat-flags=*) opt_moat_flags=${w#*=} ;;
        --setup=*) opt_setup=${w#*=} ;;
        --check=*) opt_check=${w#*=} ;;
        --) words=("${words[@]:1}"); break ;;
        --*) bad="unknown option $w" ; break ;;
        *) break ;;
        esac
        words=("${words[@]:1}")
    done
    command=("${words[@]}")
    if [ -z "$bad" ] && [ ${#command[@]} -eq 0 ]; then
        bad="no command"
    fi
    case $opt_status in '' | *[!0-9]*) bad="bad --status '$opt_status'" ;; esac
    if [ -n "$bad" ]; then
        echo "FAIL $name: $bad in $cases_file"
        failed=$((failed + 1))
        continue
    fi

    # Per-case paths and flags.
    U=moat-coreutils-$$-$name
    T=/tmp/$U.T
    H=$(mktemp -d "/var/tmp/$U.H.XXXXXX") || exit 1
    split_words "$opt_moat_flags"
    moat_flags=("${words[@]}")
    reason=
    if reason=$(skip_reason "$test_name"); then :; else reason=; fi

    problems=()
    native_ran=0
    if [ "$opt_moat_only" = 0 ]; then
        [ -z "$opt_setup" ] || host_script "$opt_setup"
        run native "$tmp/native.out" "$tmp/native.err"
        native_status=$status
        native_ran=1
        rm -rf -- "$T"
        if [ "$native_status" = 124 ]; then
            problems+=("timed out natively after ${timeout}s")
        elif [ "$native_status" != "$opt_status" ]; then
            problems+=("native exit status $native_status, the case expects $opt_status (a wrong case?)")
        fi
        normalise "$tmp/native.out"
    fi

    if [ -n "$reason" ] && [ ${#problems[@]} -eq 0 ]; then
        echo "SKIP $name: $test_name is in moat-skip.txt: $reason"
        skipped=$((skipped + 1))
        cleanup_case
        continue
    fi

    if [ ${#problems[@]} -eq 0 ]; then
        if [ ! -x "$moat" ]; then
            problems+=("moat binary $moat not found or not executable")
        else
            rm -rf -- "$H" && mkdir -p "$H"
            [ -z "$opt_setup" ] || host_script "$opt_setup"
            run moat "$tmp/moat.out" "$tmp/moat.err"
            moat_status=$status
            normalise "$tmp/moat.out"
            if [ "$moat_status" = 124 ]; then
                problems+=("timed out under moat after ${timeout}s")
            fi
            if [ "$native_ran" = 1 ]; then
                if [ "$moat_status" != "$native_status" ]; then
                    problems+=("exit status $moat_status under moat, $native_status natively")
                fi
                if ! cmp -s "$tmp/native.out" "$tmp/moat.out"; then
                    problems+=("stdout differs")
                fi
            else
                if [ "$moat_status" != "$opt_status" ]; then
                    problems+=("exit status $moat_status under moat, want $opt_status")
                fi
                if [ "$opt_stdout_set" = 1 ]; then
                    printf '%s\n' "$opt_stdout" >"$tmp/native.out"
                    if ! cmp -s "$tmp/native.out" "$tmp/moat.out"; then
                        problems+=("stdout differs from the expected")
                    fi
                fi
            fi
            if [ -n "$opt_check" ] && ! host_script "$opt_check" >"$tmp/check.err" 2>&1; then
                problems+=("host check failed: $opt_check")
            fi
        fi
    fi
    cleanup_case

    if [ ${#problems[@]} -eq 0 ]; then
        echo "PASS $name (exit $moat_status)"
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    printf 'FAIL %s: %s\n' "$name" "${argstr[$name]}"
    for p in "${problems[@]}"; do
        echo "     - $p"
    done
    [ "$native_ran" = 0 ] || show "native stderr" "$tmp/native.err"
    [ ! -f "$tmp/moat.err" ] || show "moat stderr" "$tmp/moat.err"
    [ ! -f "$tmp/check.err" ] || show "host check output" "$tmp/check.err"
    if [ -f "$tmp/moat.out" ] && [ -f "$tmp/native.out" ] &&
        ! cmp -s "$tmp/native.out" "$tmp/moat.out"; then
        echo "     stdout diff (expected vs moat):"
        diff -u --label expected --label moat "$tmp/native.out" "$tmp/moat.out" |
            head -n 40 | sed 's/^/       /'
    fi
done

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ]; then
    exit 1
fi
if [ "$passed" -eq 0 ] && [ "$skipped" -gt 0 ]; then
    exit 77
fi
exit 0
