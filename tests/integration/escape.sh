#!/usr/bin/env bash
# tests/integration/escape.sh - attempts to reach the host's files or
# processes from inside `moat do --root DIR`; every one must fail.
#
# usage: escape.sh [--busybox PATH] MOAT CASE
#
#   MOAT   the moat binary
#   CASE   one of the cases below (also registered as meson tests escape-CASE)
#   PATH   a statically linked busybox (default /bin/busybox, Debian's
#          busybox-static); it is the only program inside the root
#
# These are about moat, not about Linux, so there is no native run: each case
# asserts moat's behaviour directly. Every case builds a fresh root in a temp
# dir under /var/tmp (not /tmp: the sandbox's /tmp is its own):
#
#   $tmp/secret                  HOST-SECRET-<random>, outside the root
#   $tmp/secret-dir/secret-file  the same
#   $tmp/root/                   the sandbox's root (--root)
#     bin/busybox
#     etc/shadow                 "sandbox-shadow" (the root's own)
#     inside-marker              "inside", so the root can be recognised
#     a/b/                       a directory two levels down
#     proc/ dev/ tmp/ sys/       mount points for moat's own filesystems
#
# plus the case's symlinks, all made on the host side before moat runs (each
# `moat do` is a fresh sandbox whose writes vanish). No shell runs inside the
# sandbox: a case is a series of separate runs of one busybox applet each,
# `MOAT do --root $tmp/root [--cwd DIR] -- /bin/busybox APPLET ARGS` with
# env -i PATH=/bin and stdin /dev/null. A run that should succeed must exit 0
# and print exactly what the case expects; a run that should fail must exit 1
# with nothing on stdout and the applet's own error on stderr (so a moat that
# fails to start does not pass). No run's stdout or stderr may contain the
# host secret, a line of the host's /etc/shadow, or the host canary process's
# name. A case passes when all its runs do.
#
# Skip list: a case whose test name (escape-CASE) is listed in moat-skip.txt
# beside this script is a known gap: it is not run, the reason is printed and
# the exit status is 77 (meson: SKIP). MOAT_NO_SKIP=1 runs it anyway.
# Environment: MOAT_FLAGS (extra `moat do` flags), CASE_TIMEOUT (default 60,
# per run).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
while [ $# -gt 0 ]; do
    case "$1" in
    --busybox) busybox=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "escape.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 2 ]; then
    echo "usage: escape.sh [--busybox PATH] MOAT CASE" >&2
    exit 2
fi
moat=$1 case=$2
timeout=${CASE_TIMEOUT:-60}
read -r -a moat_flags <<<"${MOAT_FLAGS:-}"

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

fail() {
    echo "FAIL escape-$case: $*"
    exit 1
}

if reason=$(skip_reason "escape-$case"); then
    echo "SKIP: escape-$case is in moat-skip.txt: $reason"
    exit 77
fi
if [ ! -x "$busybox" ]; then
    echo "SKIP: $busybox not found (apt-get install busybox-static)"
    exit 77
fi
if ldd "$busybox" >/dev/null 2>&1; then
    fail "$busybox is dynamically linked; the root has no libraries (use busybox-static)"
fi
[ -x "$moat" ] || fail "moat binary $moat not found or not executable"
moat=$(cd "$(dirname "$moat")" && printf '%s/%s\n' "$(pwd)" "$(basename "$moat")")

tmp=$(mktemp -d /var/tmp/moat-escape.XXXXXX) || exit 1
canary_pid=
cleanup() {
    [ -z "$canary_pid" ] || kill "$canary_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the root
root=$tmp/root
secret=HOST-SECRET-$RANDOM$RANDOM$RANDOM
mkdir -p "$root"/{bin,etc,proc,dev,tmp,sys,a/b}
cp "$busybox" "$root/bin/busybox"
echo sandbox-shadow >"$root/etc/shadow"
echo inside >"$root/inside-marker"
echo "$secret" >"$tmp/secret"
mkdir "$tmp/secret-dir"
echo "$secret" >"$tmp/secret-dir/secret-file"
if [ -r /etc/shadow ]; then
    grep -v '^$' /etc/shadow >"$tmp/shadow-lines"
else
    : >"$tmp/shadow-lines"
fi

out=$tmp/out err=$tmp/err log=$tmp/log
: >"$log"
runs=0 failed_runs=0

# run [--cwd DIR] [--stdin FILE] APPLET ARGS...: runs `/bin/busybox APPLET
# ARGS` under moat (stdin /dev/null unless --stdin); sets status, applet and
# cmd, and leaves stdout in $out and stderr in $err.
run() {
    local cwd=() in=/dev/null
    while :; do
        case $1 in
        --cwd) cwd=(--cwd "$2"); shift 2 ;;
        --stdin) in=$2; shift 2 ;;
        *) break ;;
        esac
    done
    applet=$1
    cmd="moat do${cwd[*]+ ${cwd[*]}} -- busybox$(printf ' %q' "$@")"
    [ "$in" = /dev/null ] || cmd+=" <$in"
    timeout "$timeout" env -i PATH=/bin "$moat" "do" "${moat_flags[@]}" --root "$root" \
        "${cwd[@]+"${cwd[@]}"}" -- /bin/busybox "$@" <"$in" >"$out" 2>"$err"
    status=$?
    runs=$((runs + 1))
}

# no_leaks ARRAYNAME: adds a problem if the last run's stdout or stderr
# shows anything of the host's.
no_leaks() {
    local -n list=$1
    if grep -qF "$secret" "$out" "$err"; then
        list+=("LEAK: the host secret outside the root was read")
    fi
    if [ -s "$tmp/shadow-lines" ] && grep -qFf "$tmp/shadow-lines" "$out" "$err"; then
        list+=("LEAK: a line of the host's /etc/shadow was read")
    fi
    if [ -n "${canary_name:-}" ] && grep -qF "$canary_name" "$out" "$err"; then
        list+=("LEAK: a host process ($canary_name) is visible")
    fi
}

# judge [PROBLEM...]: adds the leak checks to the last run's problems and,
# if there are any, logs them with the run's output.
judge() {
    local problems=("$@") p
    no_leaks problems
    [ ${#problems[@]} -gt 0 ] || return 0
    failed_runs=$((failed_runs + 1))
    {
        echo "   $cmd   (exit $status)"
        for p in "${problems[@]}"; do
            echo "     - $p"
        done
        if [ -f "$tmp/want" ] && ! cmp -s "$tmp/want" "$out"; then
            echo "     stdout diff (expected vs moat):"
            diff -u --label expected --label moat "$tmp/want" "$out" | head -n 40 | sed 's/^/       /'
        elif [ -s "$out" ]; then
            echo "     stdout:"
            head -n 40 "$out" | sed 's/^/       /'
        fi
        if [ -s "$err" ]; then
            echo "     stderr:"
            head -n 20 "$err" | sed 's/^/       /'
        fi
    } >>"$log"
    rm -f "$tmp/want"
}

# want TEXT: the expected stdout, TEXT plus a newline (nothing if empty).
want() {
    if [ -n "$1" ]; then printf '%s\n' "$1"; else :; fi >"$tmp/want"
}

# check STATUS STDOUT [--cwd DIR] [--stdin FILE] APPLET ARGS...: one run
# that must exit STATUS (0, or 1 for a refused access, which also needs the
# applet's error message on stderr) and print exactly STDOUT.
check() {
    local want_status=$1 problems=()
    want "$2"
    shift 2
    run "$@"
    [ "$status" = "$want_status" ] || problems+=("exited $status, want $want_status")
    cmp -s "$tmp/want" "$out" || problems+=("stdout differs from the expected")
    if [ "$want_status" != 0 ] && ! grep -q "^$applet: " "$err"; then
        problems+=("no error message from $applet on stderr (did it run?)")
    fi
    judge "${problems[@]+"${problems[@]}"}"
    rm -f "$tmp/want"
}

# check_sorted STDOUT [--cwd DIR] APPLET ARGS...: one run that must exit 0
# and print STDOUT's lines in any order.
check_sorted() {
    local problems=()
    want "$1"
    shift
    run "$@"
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    LC_ALL=C sort -o "$tmp/want" "$tmp/want"
    LC_ALL=C sort -o "$out" "$out"
    cmp -s "$tmp/want" "$out" || problems+=("stdout differs from the expected (lines sorted)")
    judge "${problems[@]+"${problems[@]}"}"
    rm -f "$tmp/want"
}

# root_listing [PREFIX]: the root's entries as `busybox ls` inside prints
# them (one a line, by name), each after PREFIX.
root_listing() {
    local name
    (cd "$root" && LC_ALL=C ls -1) | while IFS= read -r name; do
        printf '%s%s\n' "${1:-}" "$name"
    done
}

report() {
    if [ "$failed_runs" = 0 ]; then
        echo "PASS escape-$case ($runs runs)"
        exit 0
    fi
    echo "FAIL escape-$case: $failed_runs of $runs runs"
    cat "$log"
    exit 1
}

case $case in
symlink-shadow)
    # Absolute and relative symlinks that climb above the root resolve
    # inside it: reading them gives the root's own /etc/shadow.
    ln -s /../../etc/shadow "$root/escape-abs"
    ln -s ../../../../../../../../etc/shadow "$root/a/b/escape-rel"
    ln -s /a/../../../etc "$root/etc-link"
    check 0 sandbox-shadow cat /escape-abs
    check 0 sandbox-shadow cat /a/b/escape-rel
    check 0 sandbox-shadow --cwd /a/b cat escape-rel
    check 0 sandbox-shadow cat /etc-link/shadow
    check 0 /../../etc/shadow readlink /escape-abs
    check 0 "/etc/shadow
/etc/shadow
/etc/shadow" realpath /escape-abs /a/b/escape-rel /etc-link/shadow
    ;;
symlink-shadow-missing)
    # The same, in a root without an /etc/shadow: ENOENT, never the host's.
    rm "$root/etc/shadow"
    ln -s /../../etc/shadow "$root/escape-abs"
    ln -s ../../../../../../../../etc/shadow "$root/a/b/escape-rel"
    check 1 "" cat /escape-abs
    check 1 "" cat /a/b/escape-rel
    check 1 "" --cwd /a/b cat escape-rel
    check 1 "" stat -c %n /etc/shadow
    check 0 "" ls /etc
    ;;
dotdot-root)
    # ".." at the root, however reached, is the root.
    ln -s .. "$root/up"
    listing=$(root_listing)
    check 0 / --cwd /.. pwd
    check 0 / --cwd /../../.. pwd
    check 0 / --cwd /up/up/up pwd
    check 0 "/
/
/" realpath /.. /../../.. /up/up/up
    check 0 "$listing" ls /..
    check 0 "$listing" ls /up/up/up/
    check 0 "$listing" --cwd / ls ../../..
    check 0 inside cat /../../inside-marker
    check 0 inside --cwd /a/b cat ../../../../inside-marker
    check 1 "" cat /../secret
    check 1 "" cat /up/up/secret
    check 1 "" --cwd / cat ../../../secret-dir/secret-file
    check 1 "" --cwd /a/b cat ../../../secret
    ;;
proc-self-root)
    # /proc/self/root is the sandbox's root, and ".." from it stays there.
    check 0 / readlink /proc/self/root
    check 0 /bin/busybox readlink /proc/self/exe
    check 0 inside cat /proc/self/root/inside-marker
    check 0 sandbox-shadow cat /proc/self/root/etc/shadow
    check 1 "" cat /proc/self/root/../secret
    check 1 "" cat /proc/self/root/../../secret-dir/secret-file
    check 0 / realpath /proc/self/root/..
    check 0 "$(root_listing)" ls /proc/self/root/..
    check 0 / --cwd /proc/self/root/.. pwd
    check 0 inside --cwd /proc/self/root/.. cat inside-marker
    ;;
proc-1)
    # pid 1 is the sandbox's first process (the one program run): its root
    # and cwd are inside, and nothing above them is reachable.
    check 0 1 readlink /proc/self
    run cat /proc/1/cmdline
    printf '/bin/busybox\0cat\0/proc/1/cmdline\0' >"$tmp/want"
    problems=()
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    cmp -s "$tmp/want" "$out" || problems+=("/proc/1/cmdline is not this program's")
    judge "${problems[@]+"${problems[@]}"}"
    rm -f "$tmp/want"
    check 0 / --cwd /a/b readlink /proc/1/root
    check 0 /a/b --cwd /a/b readlink /proc/1/cwd
    check 0 inside --cwd /a/b cat /proc/1/root/inside-marker
    check 0 inside --cwd /a/b cat /proc/1/cwd/../../inside-marker
    check 1 "" --cwd /a/b cat /proc/1/root/../secret
    check 1 "" --cwd /a/b cat /proc/1/cwd/../../../secret
    check 0 "$(root_listing)" --cwd /a/b ls /proc/1/cwd/../../..
    check 0 inside --cwd /proc/1/root/../.. cat inside-marker
    ;;
proc-fd)
    # Descriptors for directories and files inside the root, reopened via
    # /proc/self/fd, stay inside. Without a shell the descriptor is one the
    # applet holds itself: grep -R and find keep /fd-files resp. /fd-dirs
    # open as fd 3 while they follow the symlinks in it, paste holds its
    # first file as fd 3 while it opens the second, and tar reads the links
    # of /proc/self/fd while it holds that directory as fd 3.
    mkdir "$root/fd-files" "$root/fd-dirs"
    ln -s /proc/self/fd/3/../inside-marker "$root/fd-files/marker"
    ln -s /proc/self/fd/3/../etc/shadow "$root/fd-files/shadow"
    ln -s /proc/self/fd/3/../../secret "$root/fd-files/secret"
    ln -s /proc/self/fd/3/../../secret-dir/secret-file "$root/fd-files/secret-dir-file"
    ln -s /proc/self/fd/3/.. "$root/fd-dirs/up"
    ln -s /proc/self/fd/3/../.. "$root/fd-dirs/up2"
    check_sorted "/fd-files/marker:inside
/fd-files/shadow:sandbox-shadow" grep -R '' /fd-files
    check_sorted "$(root_listing /fd-dirs/up/; root_listing /fd-dirs/up2/)" \
        find -L /fd-dirs -mindepth 2 -maxdepth 2
    check 0 "sandbox-shadow	sandbox-shadow" paste /etc/shadow /proc/self/fd/3
    check 1 "" paste /etc/shadow /proc/self/fd/3/../secret
    run tar -c -f - /proc/self/fd
    problems=()
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    link=$("$busybox" tar -t -v -f - <"$out" 2>/dev/null | sed -n 's|.* proc/self/fd/3 -> ||p')
    [ "$link" = /proc/1/fd ] || problems+=("fd 3 (tar's /proc/self/fd) links to '$link', want /proc/1/fd")
    judge "${problems[@]+"${problems[@]}"}"
    ;;
inherited-fds)
    # Host descriptors beyond stdio (a directory outside the root and the
    # secret file) must not be handed to the sandbox: the runc
    # "leaky vessels" escape starts from such an fd. Stdin is handed over,
    # but a host directory as stdin does not open the host's tree.
    exec 5<"$tmp/secret" 7<"$tmp"
    check 0 "0
1
2
3" ls /proc/self/fd/
    run ls -l /proc/self/fd/
    problems=()
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    if grep -qF "$tmp" "$out"; then
        problems+=("a descriptor names a host path under $tmp")
    fi
    judge "${problems[@]+"${problems[@]}"}"
    check 1 "" cat /proc/self/fd/5
    check 1 "" ls /proc/self/fd/7/
    check 1 "" cat /proc/self/fd/7/secret
    check 1 "" --cwd /proc/self/fd/7 cat secret
    exec 5<&- 7<&-
    run --stdin "$tmp" ls -a /proc/self/fd/0/
    problems=()
    if grep -qxE 'secret|secret-dir|root' "$out"; then
        problems+=("stdin, a host directory, lists the host's entries")
    fi
    judge "${problems[@]+"${problems[@]}"}"
    check 1 "" --stdin "$tmp" cat /proc/self/fd/0/secret
    check 1 "" --stdin "$tmp" cat /proc/self/fd/0/../secret
    check 1 "" --stdin "$tmp" --cwd /proc/self/fd/0 cat secret
    ;;
abs-symlink-outside)
    # Symlinks naming host paths outside the root (absolute, and relative
    # ones climbing out) find nothing.
    ln -s "$tmp/secret" "$root/leak"
    ln -s "$tmp" "$root/leakdir"
    ln -s ../secret "$root/rel-leak"
    ln -s "$tmp/secret-dir" "$root/a/leak-secret-dir"
    check 1 "" cat /leak
    check 1 "" ls /leakdir/
    check 1 "" cat /leakdir/secret
    check 1 "" cat /rel-leak
    check 1 "" ls /a/leak-secret-dir/
    check 1 "" cat /a/leak-secret-dir/secret-file
    check 0 "$tmp/secret" readlink /leak
    ;;
host-cwd)
    # moat started from a host directory outside the root: the sandbox's
    # cwd is not that directory, and relative paths do not reach it.
    listing=$(root_listing)
    cd "$tmp" || exit 1
    check 0 / pwd
    check 0 "$listing" ls .
    check 0 inside cat inside-marker
    check 1 "" cat secret
    check 1 "" cat ./secret-dir/secret-file
    check 1 "" cat root/inside-marker
    cd / || exit 1
    ;;
proc-pids)
    # The host's processes are invisible in /proc: only the sandbox's own
    # (the one program run, pid 1) are listed, and a host canary process
    # with a distinctive name is nowhere to be seen.
    canary_name=moat-escape-canary-$secret
    bash -c "exec -a $canary_name sleep 300" &
    canary_pid=$!
    host_count=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
    run ls /proc
    problems=()
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    pids=$(grep -E '^[0-9]+$' "$out" | tr '\n' ' ')
    [ "$pids" = "1 " ] || problems+=("/proc lists pids '$pids'(the host has $host_count); want just 1")
    judge "${problems[@]+"${problems[@]}"}"
    run ps -o pid,args
    problems=()
    [ "$status" = 0 ] || problems+=("exited $status, want 0")
    procs=$(sed 1d "$out" | tr -s ' ' | sed 's/^ //')
    [ "$procs" = "1 /bin/busybox ps -o pid,args" ] ||
        problems+=("ps lists processes other than itself as pid 1")
    judge "${problems[@]+"${problems[@]}"}"
    check 1 "" cat "/proc/$canary_pid/cmdline"
    check 1 "" ls "/proc/$canary_pid"
    ;;
*)
    echo "escape.sh: unknown case '$case'" >&2
    exit 2
    ;;
esac
report
