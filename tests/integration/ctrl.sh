#!/usr/bin/env bash
# tests/integration/ctrl.sh - controlling `moat do` from outside: signals
# sent to the moat process reach the sandbox's pid 1, moat's exit status is
# pid 1's, and no host process of the sandbox (moat itself, the gofer, the
# stubs that run the sandboxed processes) outlives it.
#
# usage: ctrl.sh MOAT CASE
#        ctrl.sh --list          (the case names, for meson)
#
# These are about moat, not Linux: there is no native run. In every case the
# sandboxed program is /bin/sh (dash) with a trap; while moat runs, the pids
# of moat and of all its descendants (with their start times, read from
# /proc/PID/stat) are recorded every 0.1 s, and once moat has exited none of
# them may still run (a zombie left for init to reap does not count).
#
# Cases:
#   term-forward  kill -TERM MOAT: pid 1's TERM trap prints "got TERM" and
#                 exits 7; moat exits 7
#   int-forward   kill -INT MOAT (Ctrl-C without a terminal; moat is started
#                 with SIGINT at its default, as a foreground job has it):
#                 the same through pid 1's INT trap
#   exit-status   pid 1 exits 3 while a background child still sleeps: moat
#                 exits 3 at once, the child ends with it
#   kill9         kill -KILL MOAT while a pipeline runs inside: the gofer and
#                 every stub go too
#   tty-ctrl-c    a real Ctrl-C: moat runs on a pseudo-terminal made by
#                 script(1) (bsdutils), ^C is typed into it, and the
#                 terminal's SIGINT (to moat's whole process group) reaches
#                 pid 1's INT trap exactly once; moat exits 7
#
# Skip list: a case whose test name (ctrl-CASE) is listed in moat-skip.txt
# beside this script is not run (exit 77); MOAT_NO_SKIP=1 runs it anyway.
# Environment: MOAT_FLAGS (extra `moat do` flags), CASE_TIMEOUT (seconds
# to wait for any one step, default 20).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=ctrl
# shellcheck source=compare_lib.sh
. "$here/compare_lib.sh"

names=(term-forward int-forward exit-status kill9 tty-ctrl-c)
if [ "${1:-}" = --list ]; then
    printf '%s\n' "${names[@]}"
    exit 0
fi
if [ $# -ne 2 ]; then
    echo "usage: ctrl.sh MOAT CASE | ctrl.sh --list" >&2
    exit 2
fi
moat=$1 name=$2
case " ${names[*]} " in *" $name "*) ;; *)
    echo "ctrl.sh: no case $name (ctrl.sh --list)" >&2
    exit 2 ;;
esac
if reason=$(skip_reason "ctrl-$name"); then
    echo "SKIP ctrl-$name: in moat-skip.txt: $reason"
    exit 77
fi
if [ ! -x "$moat" ]; then
    echo "FAIL ctrl-$name: moat binary $moat not found or not executable"
    exit 1
fi
moat=$(abspath "$moat")
step_timeout=${CASE_TIMEOUT:-20}

tmp=$(mktemp -d /var/tmp/moat-ctrl.XXXXXX) || exit 1
moat_pid=
cleanup() {
    # Never leave a sandbox behind, whatever happened.
    if [ -n "$moat_pid" ] && kill -0 "$moat_pid" 2>/dev/null; then
        kill -KILL "$moat_pid" 2>/dev/null
    fi
    if [ -s "$tmp/seen" ]; then
        local pid start
        while read -r pid start; do
            [ "$(start_of "$pid")" = "$start" ] && kill -KILL "$pid" 2>/dev/null
        done <"$tmp/seen"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL ctrl-$name: $*"
    for f in out err; do
        if [ -s "$tmp/$f" ]; then
            echo "     moat's std$f:"
            head -n 30 "$tmp/$f" | sed 's/^/       /'
        fi
    done
    exit 1
}

# start_of PID: the start time (field 22 of /proc/PID/stat), or nothing.
# state_of PID: its state letter.
stat_fields() { # PID: the fields after "PID (comm)"
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    printf '%s\n' "${s##*) }"
}
start_of() { stat_fields "$1" | awk '{ print $20 }'; }
state_of() { stat_fields "$1" | awk '{ print $1 }'; }

# record_tree ROOT: appends "PID START" of ROOT and its descendants to
# $tmp/seen (duplicates removed later).
record_tree() {
    local root=$1
    # pid ppid start for every process.
    awk 'FNR == 1 {
            s = $0; sub(/^[0-9]+ \(.*\) /, "", s); split(s, f, " ")
            n = split(FILENAME, p, "/"); print p[3], f[2], f[20]
        }' /proc/[0-9]*/stat 2>/dev/null |
        awk -v root="$root" '
            { ppid[$1] = $2; start[$1] = $3; pids[NR] = $1 }
            END {
                if (!(root in start)) exit
                inset[root] = 1; changed = 1
                while (changed) {
                    changed = 0
                    for (i in pids) {
                        p = pids[i]
                        if (!(p in inset) && (ppid[p] in inset)) { inset[p] = 1; changed = 1 }
                    }
                }
                for (p in inset) print p, start[p]
            }' >>"$tmp/seen"
}

# start_moat SCRIPT [ENV_ARGS...]: runs `moat do -- /bin/sh -c SCRIPT` in
# the background (SIGINT and SIGTERM at their defaults, as for a job in the
# foreground), stdout and stderr to $tmp/out and $tmp/err.
start_moat() {
    local script=$1
    read -r -a flags <<<"${MOAT_FLAGS:-}"
    env --default-signal=INT,TERM -i PATH=/usr/bin:/bin LC_ALL=C \
        "$moat" do "${flags[@]}" -- /bin/sh -c "$script" </dev/null >"$tmp/out" 2>"$tmp/err" &
    moat_pid=$!
}

# await_output TEXT: waits until moat's stdout has a line TEXT, recording
# the process tree meanwhile.
await_output() {
    local i
    for ((i = 0; i < step_timeout * 10; i++)); do
        record_tree "$moat_pid"
        grep -qx -- "$1" "$tmp/out" 2>/dev/null && return 0
        kill -0 "$moat_pid" 2>/dev/null || fail "moat exited before printing '$1'"
        sleep 0.1
    done
    fail "no '$1' from the sandbox after ${step_timeout}s"
}

# await_exit: waits for moat to exit (recording the tree); sets status.
await_exit() {
    local i
    for ((i = 0; i < step_timeout * 10; i++)); do
        kill -0 "$moat_pid" 2>/dev/null || break
        record_tree "$moat_pid"
        sleep 0.1
    done
    if kill -0 "$moat_pid" 2>/dev/null; then
        fail "moat still runs ${step_timeout}s after the signal"
    fi
    wait "$moat_pid"
    status=$?
    moat_pid_done=$moat_pid
    moat_pid=
}

# check_no_strays: none of the recorded processes runs any more (after up
# to 5 s for them to go).
check_no_strays() {
    [ -s "$tmp/seen" ] || fail "recorded no process of the sandbox"
    sort -u "$tmp/seen" -o "$tmp/seen"
    local i pid start strays=
    for ((i = 0; i < 50; i++)); do
        strays=
        while read -r pid start; do
            if [ "$(start_of "$pid")" = "$start" ] && [ "$(state_of "$pid")" != Z ]; then
                strays+=" $pid"
            fi
        done <"$tmp/seen"
        [ -z "$strays" ] && return 0
        sleep 0.1
    done
    local desc=
    for pid in $strays; do
        desc+=" $pid($(state_of "$pid"):$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60))"
    done
    fail "processes of the sandbox still run after moat exited:$desc"
}

expect_status() { # WANT
    [ "$status" = "$1" ] || fail "moat exited $status, want $1"
}

loop='while :; do sleep 0.1; done'

case $name in
term-forward | int-forward)
    sig=${name%%-*}
    sig=${sig^^}
    start_moat "trap 'echo got $sig; exit 7' $sig; echo ready; $loop"
    await_output ready
    record_tree "$moat_pid"
    kill "-$sig" "$moat_pid"
    await_exit
    grep -qx "got $sig" "$tmp/out" || fail "pid 1's trap did not run (no 'got $sig')"
    expect_status 7
    check_no_strays
    ;;
exit-status)
    start_moat "sleep 60 & echo ready; sleep 0.5; exit 3"
    await_output ready
    await_exit
    expect_status 3
    check_no_strays
    ;;
kill9)
    start_moat "echo ready; while :; do seq 1000 | cat | wc -l >/dev/null; done"
    await_output ready
    for _ in 1 2 3 4 5; do
        record_tree "$moat_pid"
        sleep 0.1
    done
    kill -KILL "$moat_pid"
    wait "$moat_pid" 2>/dev/null
    moat_pid=
    check_no_strays
    ;;
tty-ctrl-c)
    if ! command -v script >/dev/null 2>&1; then
        echo "SKIP ctrl-$name: script(1) not found (apt-get install bsdutils)"
        exit 77
    fi
    mkfifo "$tmp/keys"
    read -r -a flags <<<"${MOAT_FLAGS:-}"
    inner="$(printf '%q ' "$moat" do "${flags[@]}" -- /bin/sh -c \
        "trap 'echo got INT' INT; echo ready; i=0; while [ \$i -lt 30 ]; do sleep 0.1; i=\$((i+1)); done; echo timeout; exit 7")"
    # script's stdin is the fifo, held open by fd 3 until the end.
    env --default-signal=INT,TERM -i PATH=/usr/bin:/bin LC_ALL=C SHELL=/bin/sh TERM=dumb \
        script -qefc "exec $inner" /dev/null <"$tmp/keys" >"$tmp/out" 2>"$tmp/err" &
    moat_pid=$!
    exec 3>"$tmp/keys"
    # The output comes through the terminal: lines end in \r.
    for ((i = 0; i < step_timeout * 10; i++)); do
        record_tree "$moat_pid"
        tr -d '\r' <"$tmp/out" | grep -qx ready && break
        kill -0 "$moat_pid" 2>/dev/null || fail "script/moat exited before 'ready'"
        sleep 0.1
    done
    tr -d '\r' <"$tmp/out" | grep -qx ready || fail "no 'ready' after ${step_timeout}s"
    printf '\003' >&3
    await_exit
    exec 3>&-
    tr -d '\r' <"$tmp/out" >"$tmp/out.clean"
    n=$(grep -c 'got INT$' "$tmp/out.clean") # the echoed ^C may precede it
    [ "$n" = 1 ] || fail "pid 1's INT trap ran $n times, want once"
    grep -qx timeout "$tmp/out.clean" || fail "pid 1 did not run to its end after the trap"
    expect_status 7
    check_no_strays
    ;;
esac
echo "PASS ctrl-$name"
