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
# dir:
#
#   $tmp/secret                  HOST-SECRET-<random>, outside the root
#   $tmp/root/                   the sandbox's root (--root)
#     bin/busybox, bin/sh, bin/ls, ... (applet links)
#     etc/shadow                 "sandbox-shadow" (the root's own)
#     inside-marker              so the root can be recognised from inside
#     proc/ dev/ tmp/ sys/       mount points for moat's own filesystems
#
# and runs `MOAT do --root $tmp/root -- /bin/sh -c SCRIPT` with env -i
# PATH=/bin. A case passes when moat exits 0, stdout is exactly what the case
# expects, and stdout never contains the host secret, a line of the host's
# /etc/shadow, or the host canary process's name.
#
# Skip list: a case whose test name (escape-CASE) is listed in moat-skip.txt
# beside this script is a known gap: it is not run, the reason is printed and
# the exit status is 77 (meson: SKIP). MOAT_NO_SKIP=1 runs it anyway.
# Environment: MOAT_FLAGS (extra `moat do` flags), CASE_TIMEOUT (default 60).
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-escape.XXXXXX") || exit 1
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
for applet in sh ls cat readlink pwd echo grep test wc head tr cut sort; do
    ln -s busybox "$root/bin/$applet"
done
echo sandbox-shadow >"$root/etc/shadow"
echo inside >"$root/inside-marker"
echo "$secret" >"$tmp/secret"
mkdir "$tmp/secret-dir"
echo "$secret" >"$tmp/secret-dir/secret-file"

# run_moat SCRIPT: runs SCRIPT with the root's /bin/sh under moat; sets
# status, and leaves stdout in $out and stderr in $err.
out=$tmp/out err=$tmp/err
run_moat() {
    timeout "$timeout" env -i PATH=/bin "$moat" "do" "${moat_flags[@]}" --root "$root" -- \
        /bin/sh -c "$1" </dev/null >"$out" 2>"$err"
    status=$?
}

# expect WANT: moat exited 0 and printed exactly WANT (a newline added).
expect() {
    local problems=()
    [ "$status" = 0 ] || problems+=("moat exited $status, want 0")
    printf '%s\n' "$1" >"$tmp/want"
    cmp -s "$tmp/want" "$out" || problems+=("stdout differs from the expected")
    no_leaks problems
    report "${problems[@]+"${problems[@]}"}"
}

# no_leaks ARRAYNAME: adds a problem if stdout shows anything of the host's.
no_leaks() {
    local -n list=$1
    if grep -qF "$secret" "$out"; then
        list+=("LEAK: the host secret outside the root was read")
    fi
    if [ -r /etc/shadow ] && grep -v '^$' /etc/shadow >"$tmp/shadow-lines" &&
        grep -qxFf "$tmp/shadow-lines" "$out"; then
        list+=("LEAK: a line of the host's /etc/shadow was read")
    fi
    if [ -n "${canary_name:-}" ] && grep -qF "$canary_name" "$out"; then
        list+=("LEAK: a host process ($canary_name) is visible")
    fi
}

report() {
    if [ $# -eq 0 ]; then
        echo "PASS escape-$case"
        exit 0
    fi
    echo "FAIL escape-$case"
    local p
    for p in "$@"; do
        echo "     - $p"
    done
    if [ -s "$err" ]; then
        echo "     moat stderr:"
        head -n 20 "$err" | sed 's/^/       /'
    fi
    if [ -f "$tmp/want" ] && ! cmp -s "$tmp/want" "$out"; then
        echo "     stdout diff (expected vs moat):"
        diff -u --label expected --label moat "$tmp/want" "$out" | head -n 40 | sed 's/^/       /'
    else
        echo "     stdout:"
        head -n 40 "$out" | sed 's/^/       /'
    fi
    exit 1
}

case $case in
symlink-shadow)
    # Absolute and relative symlinks that climb above the root resolve
    # inside it: reading them gives the root's own /etc/shadow.
    ln -s /../../etc/shadow "$root/escape-abs"
    ln -s ../../../../../../../../etc/shadow "$root/a/b/escape-rel"
    ln -s /a/../../../etc "$root/etc-link"
    run_moat 'cat /escape-abs; cat /a/b/escape-rel; cat /etc-link/shadow; readlink /escape-abs'
    expect "sandbox-shadow
sandbox-shadow
sandbox-shadow
/../../etc/shadow"
    ;;
symlink-shadow-missing)
    # The same, in a root without an /etc/shadow: ENOENT, never the host's.
    rm "$root/etc/shadow"
    ln -s /../../etc/shadow "$root/escape-abs"
    ln -s ../../../../../../../../etc/shadow "$root/a/b/escape-rel"
    run_moat 'cat /escape-abs 2>/dev/null || echo enoent-abs
cat /a/b/escape-rel 2>/dev/null || echo enoent-rel
test -e /etc/shadow || echo no-shadow'
    expect "enoent-abs
enoent-rel
no-shadow"
    ;;
dotdot-root)
    # ".." at the root, however reached, is the root.
    ln -s .. "$root/up"
    run_moat 'cd / && cd .. && pwd
cd /../../.. && pwd
cd / && cd up/up/up && pwd
test "$(ls /..)" = "$(ls /)" && echo same-listing
test "$(ls /up/up/up/)" = "$(ls /)" && echo same-listing-via-symlink
cat /../../inside-marker
cat /../secret 2>/dev/null || echo no-secret
cat /up/up/secret 2>/dev/null || echo no-secret-via-symlink
cat ../../../secret-dir/secret-file 2>/dev/null || echo no-secret-dir'
    expect "/
/
/up/up/up
same-listing
same-listing-via-symlink
inside
no-secret
no-secret-via-symlink
no-secret-dir"
    ;;
proc-self-root)
    # /proc/self/root is the sandbox's root, and ".." from it stays there.
    run_moat 'readlink /proc/self/root
cat /proc/self/root/inside-marker
cat /proc/self/root/etc/shadow
cat /proc/self/root/../secret 2>/dev/null || echo no-secret
cat /proc/self/root/../../secret-dir/secret-file 2>/dev/null || echo no-secret-dir
cd -P /proc/self/root/.. && cat inside-marker'
    expect "/
inside
sandbox-shadow
no-secret
no-secret-dir
inside"
    ;;
proc-1)
    # pid 1 is the sandbox's first process (this shell): its root and cwd
    # are inside, and nothing above them is reachable.
    run_moat 'cd /a/b
readlink /proc/1/root
readlink /proc/1/cwd
cat /proc/1/root/inside-marker
cat /proc/1/cwd/../../inside-marker
cat /proc/1/root/../secret 2>/dev/null || echo no-secret
cat /proc/1/cwd/../../../secret 2>/dev/null || echo no-secret-cwd
cd -P /proc/1/root/../.. && cat inside-marker'
    expect "/
/a/b
inside
inside
no-secret
no-secret-cwd
inside"
    ;;
proc-fd)
    # Descriptors for directories and files inside the root, reopened via
    # /proc/self/fd, stay inside.
    run_moat 'exec 3</ 4</etc/shadow 5</a
cd /tmp
readlink /proc/self/fd/4
cat /proc/self/fd/4
cat /proc/self/fd/3/inside-marker
cat /proc/self/fd/3/../secret 2>/dev/null || echo no-secret
cat /proc/self/fd/5/../../secret 2>/dev/null || echo no-secret-5
cd -P /proc/self/fd/3 && cd -P .. && cat inside-marker
test "$(ls /dev/fd/3/..)" = "$(ls /)" && echo same-listing'
    expect "/etc/shadow
sandbox-shadow
inside
no-secret
no-secret-5
inside
same-listing"
    ;;
inherited-fds)
    # Host descriptors beyond stdio (a directory outside the root and the
    # secret file) must not be handed to the sandbox: the runc
    # "leaky vessels" escape starts from such an fd.
    exec 7<"$tmp" 8<"$tmp/secret"
    run_moat 'cat <&8 2>/dev/null || echo no-fd-8
ls /proc/self/fd/7/ 2>/dev/null || echo no-fd-7
cat /proc/self/fd/7/secret 2>/dev/null || echo no-secret
cd -P /proc/self/fd/7 2>/dev/null && cat secret 2>/dev/null
echo done'
    exec 7<&- 8<&-
    expect "no-fd-8
no-fd-7
no-secret
done"
    ;;
abs-symlink-outside)
    # Symlinks naming host paths outside the root (absolute, and relative
    # ones climbing out) find nothing.
    ln -s "$tmp/secret" "$root/leak"
    ln -s "$tmp" "$root/leakdir"
    ln -s ../secret "$root/rel-leak"
    ln -s "$tmp/secret-dir" "$root/a/leak-secret-dir"
    run_moat 'cat /leak 2>/dev/null || echo enoent-leak
ls /leakdir/ 2>/dev/null || echo enoent-leakdir
cat /leakdir/secret 2>/dev/null || echo enoent-leakdir-secret
cat /rel-leak 2>/dev/null || echo enoent-rel-leak
cat /a/leak-secret-dir/secret-file 2>/dev/null || echo enoent-secret-dir
readlink /leak'
    expect "enoent-leak
enoent-leakdir
enoent-leakdir-secret
enoent-rel-leak
enoent-secret-dir
$tmp/secret"
    ;;
host-cwd)
    # moat started from a host directory outside the root: the sandbox's
    # cwd is not that directory, and relative paths do not reach it.
    cd "$tmp" || exit 1
    run_moat 'cat secret 2>/dev/null || echo no-secret
cat ./secret-dir/secret-file 2>/dev/null || echo no-secret-dir
ls . | grep -qx secret && echo LISTED-HOST-CWD
echo done'
    cd / || exit 1
    expect "no-secret
no-secret-dir
done"
    ;;
proc-pids)
    # The host's processes are invisible in /proc: only the sandbox's own
    # are listed (this shell and the few commands it runs), and a host
    # canary process with a distinctive name is nowhere to be seen.
    canary_name=moat-escape-canary-$secret
    bash -c "exec -a $canary_name sleep 300" &
    canary_pid=$!
    export CANARY_PID=$canary_pid
    host_count=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
    run_moat 'n=0
for d in /proc/[0-9]*; do
    n=$((n + 1))
    tr "\0\n" "  " <"$d/cmdline" 2>/dev/null
    echo
done
echo "count $n"'
    problems=()
    [ "$status" = 0 ] || problems+=("moat exited $status, want 0")
    count=$(sed -n 's/^count //p' "$out")
    if [ -z "$count" ] || [ "$count" -lt 1 ] || [ "$count" -gt 8 ]; then
        problems+=("/proc lists '${count}' pids inside (the host has $host_count); want 1 to 8")
    fi
    # Every listed command line is the sandbox's: busybox or its applets.
    while IFS= read -r line; do
        case $line in
        'count '* | '') ;;
        /bin/* | sh\ * | sh | busybox* | ls* | cat* | tr*) ;;
        *) problems+=("/proc lists a process not of the sandbox: '$line'") ;;
        esac
    done <"$out"
    grep -q '^/bin/sh -c' "$out" || problems+=("the sandbox's own shell is not listed")
    no_leaks problems
    report "${problems[@]+"${problems[@]}"}"
    ;;
*)
    echo "escape.sh: unknown case '$case'" >&2
    exit 2
    ;;
esac
