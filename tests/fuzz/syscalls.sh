#!/usr/bin/env bash
# Runs fuzz_syscalls under moat for a few fixed seeds. The program may die
# of its own doing (it can unmap itself); the sentry may not: no panic, no
# crash, no hang.
# usage: syscalls.sh MOAT FUZZ_SYSCALLS [SEED...]
set -uo pipefail
moat=$(realpath "$1") prog=$(realpath "$2")
shift 2
seeds=("$@")
# Seeds below 10 leave the program's memory alone; the others may wreck it.
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 11 12 13)
work=$(mktemp -d -p /var/tmp moat-sysfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$prog" "$work/fuzz_syscalls"
cd "$work" || exit 1
fail=0
for seed in "${seeds[@]}"; do
    mm=()
    [ "$seed" -ge 10 ] && mm=(mm)
    timeout 120 "$moat" do -- ./fuzz_syscalls "$seed" 20000 "${mm[@]}" >out 2>&1
    status=$?
    # Pass: it survived (0) or died of a signal it brought on itself
    # (128+N). Anything else (a hang, moat not starting, a panic) fails.
    if { [ $status != 0 ] && [ $status -le 128 ]; } || [ $status = 124 ] ||
        grep -q 'sentry panic\|sentry crashed' out; then
        echo "FAIL: seed $seed: exit $status"
        tail -30 out
        fail=1
    else
        echo "ok: seed $seed: exit $status ($(tail -1 out))"
    fi
done
exit $fail
