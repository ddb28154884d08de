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
#   OPEN_ITERS, STAT_ITERS, PREAD_ITERS
#                 open+close pairs, stats, 4 KiB preads per run (default 10000)
#   GETDENTS_ITERS  full listings of the 1000-entry directory (default 200)
#   SCRATCH_DIR   where the file benchmarks make their scratch directories
#                 (default /tmp; inside moat that is the sandbox's tmpfs)
#   FIND_REPS     runs of the find_usr workload in each environment (default
#                 1: it takes ~20 s under runsc; 0 skips it)
#   PROC_REPS     runs of each process benchmark (fork ... sh_100fork) in each
#                 environment (default 3; 0 skips them: ~25 s a rep under moat)
#   FORK_ITERS    fork+exit+wait cycles per run (default 500)
#   VFORK_EXEC_ITERS, SPAWN_ITERS
#                 /bin/true started per run by vfork+execve and by posix_spawn
#                 (default 200 each)
#   PIPE_ITERS, FUTEX_ITERS
#                 round trips per run (default 10000 each)
#   PROC_TIMEOUT  seconds before one process benchmark run is abandoned
#                 (default 60; a sandbox without threads may hang in futex)
#   MOAT_FLAGS    extra flags for `moat do`, e.g. "--platform ptrace"
#   RUNSC         runsc binary (default: runsc from PATH; "none" to skip)
#   RUNSC_FLAGS   global runsc flags (default "--network=none"; runsc's
#                 default platform in Debian 12's runsc is ptrace)
#   BENCH_TIMEOUT seconds before one run is abandoned (default 120)
#
# The rows are getpid (ns per call), touch (ns per first-touched 4 KiB page),
# startup (wall-clock ms to start, run and reap `bench_getpid 1`, i.e. the
# cost of `do` on a trivial static program), open+close (ns per pair, dentry
# cached), stat (ns per call), pread (ns per 4 KiB pread of a cached 1 MiB
# file), getdents (ns per full listing of a 1000-entry directory) and
# find_usr (wall-clock ms of `find /usr -type f | wc -l`, find running in the
# environment and wc outside it); then the process rows: fork (ns per
# fork + _exit + waitpid), vfork+exec and spawn (ns per /bin/true started by
# vfork + execve, or posix_spawn, and reaped), pipe_rtt (ns per round trip
# of a byte between two processes over two pipes), futex_rtt (ns per round
# trip between two threads through futex wait/wake), sh_loop (wall-clock ms
# of `sh -c` counting to 1000 in a while loop, no forks) and sh_100fork
# (wall-clock ms of `sh -c` running /bin/true 100 times). The ratio columns are moat/native,
# runsc/native and moat/runsc; "n/a" means that environment is unavailable or
# failed (its error is printed on stderr). Below the table: open+close/getpid
# per environment (target for moat: <= 2), the file counts find saw, and
# moat's fork and vfork+exec against their targets (<= 600 us, <= 1.5 ms).
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
open_iters=${OPEN_ITERS:-10000}
stat_iters=${STAT_ITERS:-10000}
pread_iters=${PREAD_ITERS:-10000}
getdents_iters=${GETDENTS_ITERS:-200}
proc_reps=${PROC_REPS:-3}
case "$proc_reps" in '' | *[!0-9]*) echo "run.sh: PROC_REPS needs a non-negative integer" >&2; exit 2 ;; esac
fork_iters=${FORK_ITERS:-500}
vfork_exec_iters=${VFORK_EXEC_ITERS:-200}
spawn_iters=${SPAWN_ITERS:-200}
pipe_iters=${PIPE_ITERS:-10000}
futex_iters=${FUTEX_ITERS:-10000}
proc_timeout=${PROC_TIMEOUT:-60}
scratch_dir=${SCRATCH_DIR:-/tmp}
find_reps=${FIND_REPS:-1}
case "$find_reps" in '' | *[!0-9]*) echo "run.sh: FIND_REPS needs a non-negative integer" >&2; exit 2 ;; esac
bench_timeout=${BENCH_TIMEOUT:-120}
read -r -a moat_flags <<<"${MOAT_FLAGS:-}"
read -r -a runsc_flags <<<"${RUNSC_FLAGS:---network=none}"

bench_dir=$build/tools/bench
for b in bench_getpid bench_touch bench_open bench_stat bench_pread bench_getdents \
    bench_fork bench_vfork_exec bench_spawn bench_pipe bench_futex; do
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
# stdin is /dev/null: runsc would otherwise take over a terminal. A run
# gets SIGTERM after $run_timeout s (default BENCH_TIMEOUT), SIGKILL 5 s
# later (a sandbox may not pass SIGTERM on to a program without a handler).
run() {
    local env=$1 bench_timeout=${run_timeout:-$bench_timeout}
    shift
    case "$env" in
    native) timeout -k 5 "$bench_timeout" "$@" </dev/null ;;
    moat) timeout -k 5 "$bench_timeout" "$moat" "do" "${moat_flags[@]}" -- "$@" </dev/null ;;
    # runsc do runs the program from the host's / (read-only, with an overlay)
    # in a fresh sandbox; cd / so that its cwd exists there too.
    runsc) (cd / && timeout -k 5 "$bench_timeout" "$runsc" "${runsc_flags[@]}" "do" "$@" </dev/null) ;;
    esac
}

# The micro benchmarks that print "bench_NAME: N iterations, X ns/op":
# row name -> program and arguments.
declare -A nsop_prog=([getpid]=bench_getpid [open+close]=bench_open [stat]=bench_stat
    [pread]=bench_pread [getdents]=bench_getdents [fork]=bench_fork
    [vfork+exec]=bench_vfork_exec [spawn]=bench_spawn [pipe_rtt]=bench_pipe
    [futex_rtt]=bench_futex)
declare -A nsop_args=([getpid]="$getpid_iters" [open+close]="$open_iters $scratch_dir"
    [stat]="$stat_iters $scratch_dir" [pread]="$pread_iters $scratch_dir"
    [fork]="$fork_iters" [vfork+exec]="$vfork_exec_iters" [spawn]="$spawn_iters"
    [pipe_rtt]="$pipe_iters" [futex_rtt]="$futex_iters"
    [getdents]="$getdents_iters $scratch_dir")

# sample ENV NAME : one sample of benchmark NAME in ENV, appended to
# $tmp/NAME.ENV; failures are reported once per (name, env).
sample() {
    local env=$1 name=$2 out value start end status=0
    [ -e "$tmp/$name.$env.failed" ] && return 0
    case "$name" in
    getpid | open+close | stat | pread | getdents | fork | vfork+exec | spawn | pipe_rtt | futex_rtt)
        local prog=${nsop_prog[$name]} args
        read -r -a args <<<"${nsop_args[$name]}"
        out=$(run "$env" "$bench_dir/$prog" "${args[@]}" 2>"$tmp/err") || status=$?
        value=$(sed -n "s/^$prog: [0-9]* iterations, \([0-9.]*\) ns\/op\$/\1/p" <<<"$out")
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
    find_usr)
        # find in ENV, its output counted outside; pipefail makes a failed
        # find (or moat refusing to run it) fail the sample.
        start=$EPOCHREALTIME
        out=$(run "$env" /usr/bin/find /usr -type f 2>"$tmp/err" | wc -l) || status=$?
        end=$EPOCHREALTIME
        if [ "$status" -eq 0 ] && [ "${out:-0}" -gt 0 ]; then
            value=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) * 1000 }')
            echo "$out" >>"$tmp/find_count.$env"
        else
            value=
        fi
        ;;
    sh_loop | sh_100fork)
        # Wall clock of one `sh -c SCRIPT` (dash), its start-up included;
        # the count it prints must be right.
        local script want
        if [ "$name" = sh_loop ]; then
            script='i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done; echo $i' want=1000
        else
            script='n=0; for i in $(seq 100); do /bin/true; n=$((n+1)); done; echo $n' want=100
        fi
        start=$EPOCHREALTIME
        out=$(run "$env" /bin/sh -c "$script" 2>"$tmp/err") || status=$?
        end=$EPOCHREALTIME
        if [ "$status" -eq 0 ] && [ "$out" = "$want" ]; then
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

micro=(getpid touch startup open+close stat pread getdents)
procs=(fork vfork+exec spawn pipe_rtt futex_rtt sh_loop sh_100fork)
benchmarks=("${micro[@]}")
[ "$find_reps" -eq 0 ] || benchmarks+=(find_usr)
[ "$proc_reps" -eq 0 ] || benchmarks+=("${procs[@]}")
declare -A units=([getpid]="ns/op" [touch]="ns/page" [startup]="ms" [open+close]="ns/op"
    [stat]="ns/op" [pread]="ns/op" [getdents]="ns/list" [find_usr]="ms" [fork]="ns/op"
    [vfork+exec]="ns/op" [spawn]="ns/op" [pipe_rtt]="ns/rtt" [futex_rtt]="ns/rtt"
    [sh_loop]="ms" [sh_100fork]="ms")

echo "run.sh: ${reps} reps of ${micro[*]}, $find_reps of find_usr and $proc_reps of" \
    "${procs[*]} in ${envs[*]}" \
    "(getpid N=$getpid_iters, touch ${touch_mib} MiB, open+close/stat/pread N=$open_iters/$stat_iters/$pread_iters," \
    "getdents N=$getdents_iters, scratch in $scratch_dir; fork N=$fork_iters," \
    "vfork+exec/spawn N=$vfork_exec_iters/$spawn_iters, pipe/futex N=$pipe_iters/$futex_iters)" >&2
# Interleave environments within each rep so that drift in the machine's
# speed affects all columns alike.
for ((rep = 1; rep <= reps; rep++)); do
    for name in "${micro[@]}"; do
        for env in "${envs[@]}"; do
            sample "$env" "$name"
        done
    done
    printf '.' >&2
done
if [ "$find_reps" -gt 0 ]; then
    # Warm the host's dentry and page caches first, untimed, so that the
    # first environment is not the one that pays for a cold /usr.
    /usr/bin/find /usr -type f >/dev/null 2>&1 || true
    for ((rep = 1; rep <= find_reps; rep++)); do
        for env in "${envs[@]}"; do
            sample "$env" find_usr
        done
        printf '.' >&2
    done
fi
# The process benchmarks, with their own (shorter) timeout: where a sandbox
# lacks what one needs (threads, vfork's shared memory) it may hang rather
# than fail; it is then n/a, once.
for ((rep = 1; rep <= proc_reps; rep++)); do
    for name in "${procs[@]}"; do
        for env in "${envs[@]}"; do
            run_timeout=$proc_timeout sample "$env" "$name"
        done
    done
    printf '.' >&2
done
echo >&2

fmt='%-10s %-8s %12s %12s %12s %12s %13s %11s\n'
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

# open+close against the same environment's getpid: moat's target is <= 2
# (DESIGN.md section 11: a cached open+close must not cost more than two
# round trips through the platform).
line="open+close / getpid:"
for env in native moat runsc; do
    line+=" $env $(ratio "$(median "$tmp/open+close.$env")" "$(median "$tmp/getpid.$env")"),"
done
echo "${line%,}  (moat target <= 2x)"

# find_usr: the number of files each environment saw; they must agree.
if [ "$find_reps" -gt 0 ]; then
    line="find_usr files:"
    for env in native moat runsc; do
        if [ -s "$tmp/find_count.$env" ]; then
            c=$(sort -u "$tmp/find_count.$env" | paste -sd/)
        else
            c=n/a
        fi
        line+=" $env $c,"
    done
    echo "${line%,}"
    if [ "$(cat "$tmp"/find_count.* 2>/dev/null | sort -u | wc -l)" -gt 1 ]; then
        echo "WARNING: find /usr -type f counted different numbers of files in different environments (or runs)"
        echo "run.sh: WARNING: find_usr file counts differ: ${line%,}" >&2
    fi
fi

# Process creation against DESIGN.md section 11's targets for moat:
# fork+exit+wait <= 600 us, fork+exec+wait <= 1.5 ms (vfork+exec here).
if [ "$proc_reps" -gt 0 ]; then
    us() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf "%.0f us", v / 1000 }' || echo n/a; }
    echo "process targets: moat fork $(us "$(median "$tmp/fork.moat")") (target <= 600 us)," \
        "vfork+exec $(us "$(median "$tmp/vfork+exec.moat")") (target <= 1500 us)"
fi
