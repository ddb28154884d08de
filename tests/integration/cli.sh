#!/usr/bin/env bash
# tests/integration/cli.sh - the moat command line: bad usage gets a clear
# message and the right exit status (never a crash), --strace and
# --debug-log work, and a killed program is reported like a shell does.
#
# usage: cli.sh MOAT PROGRAMS_DIR CASE
#   PROGRAMS_DIR  build directory of tests/programs (null_deref, enosys)
set -uo pipefail

moat=$1 progs=$2 case=$3
# Not under /tmp: the sandbox's /tmp is its own tmpfs.
tmp=$(mktemp -d -p /var/tmp moat-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS PATTERN CMD...: CMD exits with STATUS and its stderr
# matches the extended regex PATTERN.
expect() {
    local want=$1 pattern=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    local ok=1
    if [ "$got" != "$want" ]; then
        echo "FAIL: exit status $got, want $want: $*"
        ok=0
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$tmp/err"; then
        echo "FAIL: stderr does not match /$pattern/: $*"
        ok=0
    fi
    if [ $ok = 0 ]; then
        echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
        exit 1
    fi
}

static_prog=$progs/enosys

case $case in
no-args) expect 2 'usage: moat' "$moat" ;;
help) expect 0 '' "$moat" --help ;;
unknown-command) expect 2 "unknown command .frob." "$moat" frob ;;
missing-program) expect 2 'missing PROGRAM' "$moat" do ;;
bad-flag) expect 2 'usage: moat do' "$moat" do --frobnicate -- "$static_prog" ;;
unknown-platform) expect 2 'unknown platform .warp.' "$moat" do --platform warp -- "$static_prog" ;;
bad-debug-log) expect 2 'cannot open the debug log' "$moat" do --debug-log "$tmp/no/such/dir" -- "$static_prog" ;;
not-found) expect 127 'No such file or directory' "$moat" do -- "$tmp/nonexistent" ;;
not-found-in-path) expect 127 'No such file or directory' env PATH="$tmp" "$moat" do -- moat-no-such-program ;;
directory) expect 126 'Is a directory' "$moat" do -- "$tmp" ;;
not-executable)
    cp "$static_prog" "$tmp/prog" && chmod 644 "$tmp/prog"
    expect 126 'Permission denied' "$moat" do -- "$tmp/prog" ;;
not-elf)
    printf 'echo hello\n' >"$tmp/script" && chmod 755 "$tmp/script"
    expect 126 'not an ELF file' "$moat" do -- "$tmp/script" ;;
empty-file)
    : >"$tmp/empty" && chmod 755 "$tmp/empty"
    expect 126 'not an ELF file|truncated' "$moat" do -- "$tmp/empty" ;;
truncated-elf)
    head -c 100 "$static_prog" >"$tmp/trunc" && chmod 755 "$tmp/trunc"
    expect 126 'truncated' "$moat" do -- "$tmp/trunc" ;;
wrong-arch)
    # e_machine (offset 18) = EM_AARCH64 (183).
    cp "$static_prog" "$tmp/arm" && chmod 755 "$tmp/arm"
    printf '\267\000' | dd of="$tmp/arm" bs=1 seek=18 conv=notrunc status=none
    expect 126 'not x86_64' "$moat" do -- "$tmp/arm" ;;
dynamic)
    # Debian's own dynamically linked programs run, with their status.
    expect 0 '' "$moat" do -- /bin/true
    expect 1 '' "$moat" do -- /bin/false ;;
killed-by-signal)
    expect 139 'Segmentation fault' "$moat" do -- "$progs/null_deref" ;;
strace)
    expect 0 'write\(1, "ok enosys\\n", 10\) = 10' "$moat" do --strace -- "$static_prog"
    grep -q '^ok enosys$' "$tmp/out" || { echo "FAIL: program output missing"; exit 1; }
    grep -Eq 'vserver\(.*\) = -1 ENOSYS' "$tmp/err" || { echo "FAIL: no vserver line"; exit 1; } ;;
debug-log)
    mkdir "$tmp/log"
    expect 0 '' "$moat" do --debug-log "$tmp/log" -- "$static_prog"
    n=$(cat "$tmp"/log/moat.*.log | grep -c 'unimplemented syscall vserver')
    if [ "$n" != 1 ]; then
        echo "FAIL: 'unimplemented syscall vserver' logged $n times, want once"
        cat "$tmp"/log/moat.*.log
        exit 1
    fi ;;
stub-killed)
    # Fail closed: a stub killed from outside is a sentry panic, with a
    # symbolized stack on stderr, and the sandbox ends.
    "$moat" do -- "$progs/sleeper" spin 30 >"$tmp/out" 2>"$tmp/err" &
    moat_pid=$!
    stub=
    for _ in $(seq 50); do
        # The stub is the child of moat that moat traces (the other is the gofer).
        for st in /proc/[0-9]*/status; do
            if grep -q "^PPid:[[:space:]]*$moat_pid\$" "$st" 2>/dev/null &&
                ! grep -q '^TracerPid:[[:space:]]*0$' "$st"; then
                stub=$(awk '/^Pid:/ { print $2 }' "$st")
                break
            fi
        done
        [ -n "$stub" ] && break
        sleep 0.1
    done
    [ -n "$stub" ] || { echo "FAIL: no stub process under moat ($moat_pid)"; kill -9 "$moat_pid"; exit 1; }
    sleep 0.5
    kill -9 "$stub"
    wait "$moat_pid"
    got=$?
    if [ "$got" = 0 ] || ! grep -q 'sentry panic: stub process .* was killed by signal 9' "$tmp/err" ||
        ! grep -q 'task_run' "$tmp/err"; then
        echo "FAIL: exit $got, want non-zero with a panic and a stack:"; cat "$tmp/err"; exit 1
    fi ;;
sentry-seccomp)
    # The running sentry is under a seccomp filter (mode 2), on every thread.
    # Sanitizer builds run without it (LeakSanitizer needs ptrace and /proc).
    if grep -q __asan_init "$moat"; then echo "SKIP: sanitizer build"; exit 77; fi
    "$moat" do -- "$progs/sleeper" 3 >"$tmp/out" 2>"$tmp/err" &
    moat_pid=$!
    sleep 1
    modes=$(grep -h '^Seccomp:' /proc/"$moat_pid"/task/*/status | sort -u)
    kill -9 "$moat_pid"; wait "$moat_pid" 2>/dev/null
    if [ "$modes" != "$(printf 'Seccomp:\t2')" ]; then
        echo "FAIL: sentry threads' seccomp modes: $modes"; exit 1
    fi ;;
root-missing) expect 2 "root .$tmp/none.: No such file or directory" "$moat" do --root "$tmp/none" -- /bin/true ;;
root-not-dir) expect 2 'Not a directory' "$moat" do --root /etc/hostname -- /bin/true ;;
bind-missing) expect 2 'host path .*No such file or directory' "$moat" do --bind "$tmp/none:/x" -- /bin/true ;;
bind-relative) expect 2 'not an absolute path' "$moat" do --bind "$tmp:relative/path" -- /bin/true ;;
bind-dotdot) expect 2 'contains `..`' "$moat" do --bind "$tmp:/a/../b" -- /bin/true ;;
bind-bad-mode) expect 2 'mode must be ro or rw' "$moat" do --bind "$tmp:/x:rwx" -- /bin/true ;;
stdin-directory)
    # A host directory as stdin is not imported: fd 0 is closed inside, so
    # reading it is EBADF (natively it would be EISDIR on the host object).
    mkdir "$tmp/dir" && echo secret >"$tmp/dir/host-file"
    "$moat" do -- /bin/busybox cat <"$tmp/dir" >"$tmp/out" 2>"$tmp/err"
    if ! grep -q 'Bad file descriptor' "$tmp/err" || ! grep -q 'not a stream' "$tmp/err"; then
        echo "FAIL: fd 0 was imported, or no warning:"; cat "$tmp/out" "$tmp/err"; exit 1
    fi ;;
*) echo "cli.sh: unknown case $case" >&2; exit 2 ;;
esac
echo "PASS: $case"
