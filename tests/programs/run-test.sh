#!/usr/bin/env bash
# Runs one behaviour program natively or under moat and checks its result.
#
#   run-test.sh MODE MOAT EXPECTED [--stdout FILE] [--name NAME] [--] PROG [ARGS...]
#
#   MODE      native | moat
#   MOAT      path of the moat binary (ignored in native mode; may be "-")
#   EXPECTED  expected exit status; a death by signal N counts as 128+N, which
#             is also what `moat do` returns for a killed program
#   --stdout FILE  the program's stdout must equal FILE byte for byte
#   --name NAME    the test's name (meson's, without the native/ or moat/
#                  prefix), looked up in the skip list
#
# Skip list: moat-skip.txt beside this script lists known gaps of moat, one
# "NAME  reason..." a line (lines starting with '#' are comments). In moat
# mode a listed NAME is not run: the reason is printed and the exit status is
# 77, which meson reports as SKIP. Native mode never skips (the host kernel is
# the oracle). MOAT_NO_SKIP=1 in the environment runs listed tests anyway, to
# see whether a line can go.
#
# Both modes see the same process environment, so one expectation serves both:
#   - environment: exactly FOO=bar and MOAT_TEST_SPACE="a b c" (env -i; under
#     moat the cleared environment is moat's own, which `moat do` passes on);
#   - stdin: a pipe carrying the line "hello from run-test.sh\n", then EOF;
#   - stdout: a pipe (its content is captured, compared if asked, and echoed);
#   - stderr: inherited (diagnostics go there);
#   - no core dumps (ulimit -c 0), so SIGSEGV tests leave nothing behind.
set -u

usage() {
    echo "usage: $0 native|moat MOAT EXPECTED [--stdout FILE] [--name NAME] [--] PROG [ARGS...]" >&2
    exit 2
}

[ $# -ge 4 ] || usage
mode=$1 moat=$2 expected=$3
shift 3
expected_stdout=
name=
while [ $# -gt 0 ]; do
    case $1 in
    --stdout) [ $# -ge 2 ] || usage; expected_stdout=$2; shift 2 ;;
    --name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || usage
prog=$1

# skip_reason NAME: prints the skip-list reason for NAME; fails if not listed.
skip_reason() {
    local list line first rest
    list=$(dirname "$0")/moat-skip.txt
    [ -r "$list" ] || return 1
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

case $mode in
native) cmd=("$@") ;;
moat)
    if [ -n "$name" ] && [ "${MOAT_NO_SKIP:-}" != 1 ] && reason=$(skip_reason "$name"); then
        echo "SKIP: moat/$name is in moat-skip.txt: $reason"
        exit 77
    fi
    if [ ! -x "$moat" ]; then
        echo "FAIL: moat binary '$moat' is not executable" >&2
        exit 1
    fi
    cmd=("$moat" "do" -- "$@")
    ;;
*) usage ;;
esac
case $expected in
'' | *[!0-9]*) usage ;;
esac
if [ -n "$expected_stdout" ] && [ ! -r "$expected_stdout" ]; then
    echo "FAIL: expected-output file '$expected_stdout' is not readable" >&2
    exit 1
fi

out=$(mktemp "${TMPDIR:-/tmp}/moat-test-out.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

ulimit -c 0
{ printf 'hello from run-test.sh\n'; } 2>/dev/null |
    env -i FOO=bar MOAT_TEST_SPACE='a b c' "${cmd[@]}" |
    cat >"$out"
status=${PIPESTATUS[1]}

cat "$out"

describe() {
    if [ "$1" -gt 128 ] && [ "$1" -lt 192 ]; then
        echo "$1 (killed by signal $(($1 - 128)), SIG$(kill -l $(($1 - 128)) 2>/dev/null))"
    else
        echo "$1"
    fi
}

fail=0
if [ "$status" -ne "$expected" ]; then
    echo "FAIL: $mode ${prog##*/}: exit status $(describe "$status"), expected $(describe "$expected")" >&2
    fail=1
fi
if [ -n "$expected_stdout" ] && ! cmp -s "$expected_stdout" "$out"; then
    echo "FAIL: $mode ${prog##*/}: stdout differs from $expected_stdout:" >&2
    diff -u "$expected_stdout" "$out" >&2
    fail=1
fi
exit $fail
