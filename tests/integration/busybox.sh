#!/usr/bin/env bash
# tests/integration/busybox.sh - run busybox applets natively and under moat
# and check that stdout and the exit status are identical.
#
# usage: busybox.sh [--busybox PATH] [--cases FILE] MOAT [CASE...]
#
#   MOAT     the moat binary (run as: MOAT do [$MOAT_FLAGS] -- BUSYBOX ARGS...)
#   CASE     case names from the cases file (default: all of them)
#   PATH     the busybox binary (default /bin/busybox)
#   FILE     the cases file (default: busybox.cases beside this script)
#
# Prints one line per case (PASS/FAIL, with a diff and moat's stderr on
# failure) and a last line "N passed, N failed". Exits 0 when every case
# passed, 1 when one failed, 77 (meson's "skipped") when busybox is missing.
# Environment: MOAT_FLAGS (extra `moat do` flags, e.g. --strace),
# CASE_TIMEOUT (seconds per run, default 30).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
cases_file=$here/busybox.cases
while [ $# -gt 0 ]; do
    case "$1" in
    --busybox) busybox=$2; shift 2 ;;
    --cases) cases_file=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "busybox.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    echo "usage: busybox.sh [--busybox PATH] [--cases FILE] MOAT [CASE...]" >&2
    exit 2
fi
moat=$1
shift
if [ ! -x "$busybox" ]; then
    echo "SKIP: $busybox not found (apt-get install busybox-static)"
    exit 77
fi
if [ ! -x "$moat" ]; then
    echo "FAIL: moat binary $moat not found or not executable"
    exit 1
fi
# The runs happen in /, so make both paths absolute.
abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
moat=$(abspath "$moat")
busybox=$(abspath "$busybox")
timeout=${CASE_TIMEOUT:-30}
read -r -a moat_flags <<<"${MOAT_FLAGS:-}"

# Load the cases: names in order, arguments by name.
declare -a names=()
declare -A argstr=()
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    read -r name rest <<<"$line"
    names+=("$name")
    argstr[$name]=$rest
done <"$cases_file"

if [ $# -gt 0 ]; then
    selected=("$@")
else
    selected=("${names[@]}")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# split_words STRING: sets args to STRING's shell words. The cases file is
# part of the source tree; eval only splits and unquotes its words.
split_words() {
    eval "set -- $1"
    args=("$@")
}

args=()
passed=0
failed=0
for name in "${selected[@]}"; do
    if [ -z "${argstr[$name]+set}" ]; then
        echo "FAIL $name: no such case in $cases_file"
        failed=$((failed + 1))
        continue
    fi
    split_words "${argstr[$name]}"
    (cd / && timeout "$timeout" "$busybox" "${args[@]}") \
        </dev/null >"$tmp/native.out" 2>"$tmp/native.err"
    native_status=$?
    (cd / && timeout "$timeout" "$moat" "do" "${moat_flags[@]}" -- "$busybox" "${args[@]}") \
        </dev/null >"$tmp/moat.out" 2>"$tmp/moat.err"
    moat_status=$?

    problems=()
    if [ "$native_status" -eq 124 ]; then
        problems+=("timed out natively after ${timeout}s")
    fi
    if [ "$moat_status" -eq 124 ]; then
        problems+=("timed out under moat after ${timeout}s")
    fi
    if [ "$native_status" -ne "$moat_status" ]; then
        problems+=("exit status $moat_status under moat, $native_status natively")
    fi
    if ! cmp -s "$tmp/native.out" "$tmp/moat.out"; then
        problems+=("stdout differs")
    fi

    if [ ${#problems[@]} -eq 0 ]; then
        echo "PASS $name (exit $native_status)"
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    printf 'FAIL %s: busybox %s\n' "$name" "${argstr[$name]}"
    for p in "${problems[@]}"; do
        echo "     - $p"
    done
    if ! cmp -s "$tmp/native.out" "$tmp/moat.out"; then
        echo "     stdout diff (native vs moat):"
        diff -u --label native --label moat "$tmp/native.out" "$tmp/moat.out" | head -n 40 | sed 's/^/       /'
    fi
    if [ -s "$tmp/moat.err" ]; then
        echo "     moat stderr:"
        head -n 40 "$tmp/moat.err" | sed 's/^/       /'
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
