#!/usr/bin/env bash
# tests/integration/build.sh - gcc and make build a small C project inside
# moat exactly as they do natively.
#
# usage: build.sh MOAT CASE
#        build.sh --list          (the case names, for meson)
#
# The project (three .c files, a header, a Makefile whose objects build in
# parallel) is written twice into a fresh directory under /var/tmp (the
# sandbox's /tmp is its own): once for the native build, once for the
# sandboxed one, which sees it through `moat do --bind DIR:/work:rw --cwd
# /work`. The same build script runs in both, in the environment of
# compare_lib.sh; it prints only what must be identical (statuses, the
# program's output, the files made, which objects a rebuild remade).
#
# Cases:
#   make-j2     make -j2; run the program; make -q says up to date; after
#               touching the header make remakes the objects that include it
#   gcc-pipe    gcc -pipe compiling stdin (cc1 and as joined by a pipe) into
#               a program, which runs; a bad source fails
#   cross-run   the binary built under moat runs natively and the native one
#               under moat, with the same output
#
# Skip list and environment: as in compare_lib.sh (test names build-CASE).
# Exits 77 when gcc or make is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=build
# shellcheck source=compare_lib.sh
. "$here/compare_lib.sh"

names=(make-j2 gcc-pipe cross-run)
if [ "${1:-}" = --list ]; then
    printf '%s\n' "${names[@]}"
    exit 0
fi
if [ $# -ne 2 ]; then
    echo "usage: build.sh MOAT CASE | build.sh --list" >&2
    exit 2
fi
moat=$1 name=$2
[ ! -e "$moat" ] || moat=$(abspath "$moat")
case " ${names[*]} " in *" $name "*) ;; *)
    echo "build.sh: no case $name (build.sh --list)" >&2
    exit 2 ;;
esac
for tool in gcc make; do
    if ! command -v "$tool" >/dev/null 2>&1 || [ ! -x "/usr/bin/$tool" ]; then
        echo "SKIP: /usr/bin/$tool not found (apt-get install gcc make)"
        exit 77
    fi
done

work=$(mktemp -d /var/tmp/moat-build.XXXXXX) || exit 1
case_cleanup() { rm -rf "$work"; }
trap case_cleanup EXIT

# write_project DIR: the sources and the Makefile.
write_project() {
    mkdir -p "$1"
    cat >"$1/calc.h" <<'EOF'
#pragma once
long calc_gcd(long a, long b);
long calc_fib(int n);
void fmt_line(const char *label, long value);
EOF
    cat >"$1/calc.c" <<'EOF'
#include "calc.h"

long calc_gcd(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

long calc_fib(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long t = a + b;
        a = b;
        b = t;
    }
    return a;
}
EOF
    cat >"$1/fmt.c" <<'EOF'
#include <stdio.h>
#include "calc.h"

void fmt_line(const char *label, long value)
{
    printf("%-8s %12ld\n", label, value);
}
EOF
    cat >"$1/main.c" <<'EOF'
#include <stdlib.h>
#include "calc.h"

int main(int argc, char **argv)
{
    long a = argc > 1 ? atol(argv[1]) : 84, b = argc > 2 ? atol(argv[2]) : 36;
    fmt_line("gcd", calc_gcd(a, b));
    fmt_line("fib", calc_fib((int)(a % 90)));
    fmt_line("product", a * b);
    return (int)(calc_gcd(a, b) % 7);
}
EOF
    # Recipes need tabs.
    printf '%s\n' \
        'CC = gcc' \
        'CFLAGS = -O2 -Wall -Werror' \
        'OBJS = main.o calc.o fmt.o' \
        '' \
        'calc: $(OBJS)' \
        '	$(CC) $(CFLAGS) -o $@ $(OBJS)' \
        '' \
        '%.o: %.c calc.h' \
        '	$(CC) $(CFLAGS) -c -o $@ $<' \
        '' \
        'clean:' \
        '	rm -f calc $(OBJS)' \
        '' \
        '.PHONY: clean' >"$1/Makefile"
}

# The build scripts, run with the project as the cwd.
make_script='make -j2 >make.log 2>&1; echo "make: $?"
./calc; echo "calc: $?"
./calc 1071 462; echo "calc: $?"
make -q; echo "make -q: $?"
ls | LC_ALL=C sort | tr "\n" " "; echo
sleep 1; touch calc.h
make -j2 | grep -c "^gcc .* -c " | sed "s/^/recompiled: /"
make -q; echo "make -q: $?"
make clean >/dev/null; ls | LC_ALL=C sort | tr "\n" " "; echo'
gcc_pipe_script='printf "#include <stdio.h>\nint main(void) { puts(\"piped\"); return 42; }\n" |
gcc -pipe -O2 -x c -o piped -; echo "gcc: $?"
./piped; echo "piped: $?"
echo "int x = ;" | gcc -pipe -x c -c -o /dev/null - 2>/dev/null; echo "bad source: $?"'

# build MODE DIR SCRIPT OUT ERR: runs SCRIPT in DIR natively or under moat.
build() {
    local mode=$1 dir=$2 script=$3 out=$4 err=$5
    local -a env_cmd=(env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C TZ=UTC)
    if [ "$mode" = native ]; then
        (cd "$dir" && timeout -k 5 "$compare_timeout" "${env_cmd[@]}" /bin/sh -c "$script") \
            </dev/null >"$out" 2>"$err"
    else
        (cd / && timeout -k 5 "$compare_timeout" "${env_cmd[@]}" "$moat" do \
            "${compare_moat_env_flags[@]}" --bind "$dir:/work:rw" --cwd /work -- \
            /bin/sh -c "$script") </dev/null >"$out" 2>"$err"
    fi
    run_status=$?
}

# finish PROBLEMS...: prints PASS / FAIL and exits.
finish() {
    if [ $# -eq 0 ]; then
        echo "PASS build-$name"
        exit 0
    fi
    echo "FAIL build-$name:"
    local p
    for p in "$@"; do
        echo "     - $p"
    done
    compare_show "native stderr" "$work/native.err"
    compare_show "moat stderr" "$work/moat.err"
    compare_show "moat make log" "$work/moat/make.log"
    if [ -f "$work/moat.out" ] && ! cmp -s "$work/native.out" "$work/moat.out"; then
        echo "     stdout diff (native vs moat):"
        diff -u --label native --label moat "$work/native.out" "$work/moat.out" |
            head -n 40 | sed 's/^/       /'
    else
        compare_show "native stdout" "$work/native.out"
    fi
    exit 1
}

case $name in
make-j2 | cross-run) script=$make_script ;;
gcc-pipe) script=$gcc_pipe_script ;;
esac
[ "$name" = cross-run ] && script='make -j2 >make.log 2>&1; echo "make: $?"'

write_project "$work/native"
write_project "$work/moat"
problems=()
build native "$work/native" "$script" "$work/native.out" "$work/native.err"
[ "$run_status" = 0 ] || problems+=("the native build script exited $run_status")
if [ "$name" != gcc-pipe ] && ! grep -q '^make: 0$' "$work/native.out"; then
    problems+=("the native make failed (a wrong case?)")
fi
[ ${#problems[@]} -eq 0 ] || finish "${problems[@]}"

if reason=$(skip_reason "build-$name"); then
    echo "SKIP build-$name: in moat-skip.txt: $reason (passed natively)"
    exit 77
fi
[ -x "$moat" ] || finish "moat binary $moat not found or not executable"

build moat "$work/moat" "$script" "$work/moat.out" "$work/moat.err"
if [ "$run_status" = 124 ] || [ "$run_status" = 137 ]; then
    problems+=("timed out under moat after ${compare_timeout}s")
elif [ "$run_status" != 0 ]; then
    problems+=("the build script exited $run_status under moat")
fi
cmp -s "$work/native.out" "$work/moat.out" || problems+=("stdout differs")

if [ "$name" = cross-run ] && [ ${#problems[@]} -eq 0 ]; then
    # Each binary in the other environment: same output and status.
    run_binary() { # MODE DIR OUT
        local -a cmd=(env -i PATH=/usr/bin:/bin LC_ALL=C)
        if [ "$1" = moat ]; then
            cmd+=("$moat" do "${compare_moat_env_flags[@]}" --)
        fi
        (cd / && timeout -k 5 "$compare_timeout" "${cmd[@]}" "$2/calc" 1071 462) \
            </dev/null >"$3" 2>>"$work/moat.err"
        echo "status $?" >>"$3"
    }
    run_binary native "$work/native" "$work/nn.out"
    run_binary native "$work/moat" "$work/mn.out"
    run_binary moat "$work/native" "$work/nm.out"
    run_binary moat "$work/moat" "$work/mm.out"
    grep -q '^gcd *21$' "$work/nn.out" || problems+=("the native binary's output: $(tr '\n' '|' <"$work/nn.out")")
    for f in mn nm mm; do
        cmp -s "$work/nn.out" "$work/$f.out" ||
            problems+=("$f (built ${f:0:1}, run ${f:1:1}) printed: $(tr '\n' '|' <"$work/$f.out")")
    done
    cmp -s "$work/native/calc" "$work/moat/calc" || echo "note: the two binaries differ (not an error)"
fi
finish "${problems[@]}"
