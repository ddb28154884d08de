#!/usr/bin/env bash
# tools/bench/run.sh - run moat's microbenchmarks natively, under moat and
# under runsc (gVisor) when it is installed, and print a table of medians.
#
# usage: tools/bench/run.sh [--reps N] [BUILD_DIR]
#
#   --reps N    runs of each benchmark in each environment (default 5)
#   BUILD_DIR   meson build directory (default: build); the benchmarks are
#               BUILD_DIR/tools/bench/bench_*, moat is BUILD_DIR/runtime/moat
#
# Environment:
#   GETPID_ITERS  getpid calls per run (default 50000)
#   TOUCH_MIB     MiB touched by bench_touch (default 64)
#   MOAT_FLAGS    extra flags for `moat do`, e.g. "--platform ptrace"
#   RUNSC         runsc binary (default: runsc from PATH; "none" to skip)
#   RUNSC_FLAGS   global runsc flags (default "--network=none"; runsc's
#                 default platform in Debian 12's runsc is ptrace)
#   BENCH_TIMEOUT seconds before one run is abandoned (default 120)
#
# The rows are getpid (ns per call), touch (ns per first-touched 4 KiB page)
# and startup (wall-clock ms to start, run and reap `bench_getpid 1`, i.e. the
# cost of `do` on a trivial static program). The ratio columns are
# moat/native, runsc/native and moat/runsc; "n/a" means that environment is
# unavailable or failed (its error is printed on stderr).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
}

reps=5
build=build
while [ $# -gt 0 ]; do
    case "$1" in
    --reps)
        [ $# -ge 2 ] || usage
        reps=$2
        shift 2
        ;;
    --reps=*)
        reps=${1#--reps=}
        shift
        ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
        build=$1
        shift
        ;;
    esac
done
case "$reps" in '' | *[!0-9]* | 0) echo "run.sh: --reps needs a positive integer" >&2; exit 2 ;; esac
[ $# -eq 0 ] || usage

getpid_iters=${GETPID_ITERS:-50000}
touch_mib=${TOUCH_MIB:-64}
bench_timeout=${BENCH_TIMEOUT:-120}
read -r -a moat_flags <<<"${MOAT_FLAGS:-}"
read -r -a runsc_flags <<<"${RUNSC_FLAGS:---network=none}"

bench_dir=$build/tools/bench
for b in bench_getpid bench_touch; do
    if [ ! -x "$bench_dir/$b" ]; then
        echo "run.sh: $bench_dir/$b not found; build it first: ninja -C $build" >&2
        exit 1
    fi
done
# Absolute paths: runsc and moat resolve the program inside the sandbox.
bench_dir=$(cd "$bench_dir" && pwd)

envs=(native)
moat=$build/runtime/moat
if [ -x "$moat" ]; then
    moat=$(cd "$(dirname "$moat")" && pwd)/moat
    envs+=(moat)
else
    echo "run.sh: $moat not found; moat column will be n/a" >&2
fi
runsc=${RUNSC:-runsc}
if [ "$runsc" != none ] && command -v "$runsc" >/dev/null 2>&1; then
    envs+=(runsc)
elif [ "$runsc" != none ]; then
    echo "run.sh: runsc not installed (apt-get install runsc); runsc column will be n/a" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run ENV PROG ARGS... : runs one benchmark program in ENV; stdout to stdout.
run() {
    local env=$1
    shift
    case "$env" in
    native) timeout "$bench_timeout" "$@" ;;
    moat) timeout "$bench_timeout" "$moat" "do" "${moat_flags[@]}" -- "$@" ;;
    # runsc do runs the program from the host's / (read-only, with an overlay)
    # in a fresh sandbox; cd / so that its cwd exists there too.
    runsc) (cd / && timeout "$bench_timeout" "$runsc" "${runsc_flags[@]}" "do" "$@") ;;
    esac
}

# sample ENV NAME : one sample of benchmark NAME in ENV, appended to
# $tmp/NAME.ENV; failures are reported once per (name, env).
sample() {
    local env=$1 name=$2 out value start end status=0
    [ -e "$tmp/$name.$env.failed" ] && return 0
    case "$name" in
    getpid)
        out=$(run "$env" "$bench_dir/bench_getpid" "$getpid_iters" 2>"$tmp/err") || status=$?
        value=$(sed -n 's/^bench_getpid: .* \([0-9.]*\) ns\/op$/\1/p' <<<"$out")
        ;;
    touch)
        out=$(run "$env" "$bench_dir/bench_touch" "$touch_mib" 2>"$tmp/err") || status=$?
        value=$(sed -n 's/^bench_touch: .* \([0-9.]*\) ns\/page, .*$/\1/p' <<<"$out")
        ;;
    startup)
        start=$EPOCHREALTIME
        out=$(run "$env" "$bench_dir/bench_getpid" 1 2>"$tmp/err") || status=$?
        end=$EPOCHREALTIME
        if grep -q '^bench_getpid: 1 iterations' <<<"$out"; then
            value=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) * 1000 }')
        else
            value=
        fi
        ;;
    esac
    if [ -z "$value" ]; then
        touch "$tmp/$name.$env.failed"
        {
            echo "run.sh: $name under $env failed (exit status $status); output was:"
            # shellcheck disable=SC2001
            sed 's/^/  | /' <<<"$out"
            head -c 2000 "$tmp/err" | sed 's/^/  ! /'
        } >&2
        return 0
    fi
    echo "$value" >>"$tmp/$name.$env"
}

# median FILE : median of the numbers in FILE, or empty.
median() {
    [ -s "$1" ] || return 0
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
        else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B : A/B with two decimals, or n/a.
ratio() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo n/a
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3gx", a / b }'
    fi
}

benchmarks=(getpid touch startup)
declare -A units=([getpid]="ns/op" [touch]="ns/page" [startup]="ms")

echo "run.sh: ${reps} reps of ${benchmarks[*]} in ${envs[*]} (getpid N=$getpid_iters, touch ${touch_mib} MiB)" >&2
# Interleave environments within each rep so that drift in the machine's
# speed affects all columns alike.
for ((rep = 1; rep <= reps; rep++)); do
    for name in "${benchmarks[@]}"; do
        for env in "${envs[@]}"; do
            sample "$env" "$name"
        done
    done
    printf '.' >&2
done
echo >&2

fmt='%-9s %-8s %12s %12s %12s %12s %13s %11s\n'
# shellcheck disable=SC2059
printf "$fmt" benchmark unit native moat runsc moat/native runsc/native moat/runsc
for name in "${benchmarks[@]}"; do
    n=$(median "$tmp/$name.native")
    m=$(median "$tmp/$name.moat")
    r=$(median "$tmp/$name.runsc")
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "${units[$name]}" "${n:-n/a}" "${m:-n/a}" "${r:-n/a}" \
        "$(ratio "$m" "$n")" "$(ratio "$r" "$n")" "$(ratio "$m" "$r")"
done
