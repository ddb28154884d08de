#!/usr/bin/env bash
# tests/integration/shell.sh - Debian's shells run scripts natively and under
# moat with identical stdout and exit status: /bin/sh (dash) and bash -c
# scripts with pipelines, command substitution, subshells, background jobs
# and wait, traps (EXIT, and INT / TERM sent to the shell itself), set -e,
# here-documents, xargs -P2, loops of forks, read from a pipe, and exit
# statuses through pipelines (pipefail, PIPESTATUS).
#
# usage: shell.sh MOAT CASE
#        shell.sh --list          (the case names, for meson)
#
# Each case is the meson test shell-CASE (suites integration, shell); see
# compare_lib.sh for how the two runs are made and compared, the skip list
# and the environment knobs. Nothing printed may depend on pids or timing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=shell
# shellcheck source=compare_lib.sh
. "$here/compare_lib.sh"

declare -a names=()
declare -A shells=() scripts=() statuses=()

# def NAME STATUS SHELL SCRIPT: a case; SHELL is sh (dash) or bash.
def() {
    names+=("$1")
    statuses[$1]=$2
    shells[$1]=$3
    scripts[$1]=$4
}

# --- pipelines and substitution
def sh-pipeline 0 sh 'printf "pear\napple\nfig\nkiwi\n" | sort | tr a-z A-Z | head -n 3 | wc -l;
printf "b a\n" | tr " " "\n" | sort -r | paste -sd, -'
def bash-pipeline 0 bash 'seq 1 2000 | grep 7 | awk "{ s += \$1 } END { print NR, s }";
cat /etc/os-release | grep -c . | sed "s/^/lines: /" >/dev/null; echo done'
def sh-cmdsubst 0 sh 'x=$(echo hi; echo there); echo "[$x]";
y=`echo back ticks`; echo "$y"; n=$(printf "a\nb\n\n\n"); echo "${#n}"'
def sh-nested-cmdsubst 0 sh 'echo $(echo a $(echo b $(echo c $(echo d $(echo e)))));
echo "$(printf "%s" "$(echo "$(echo in quotes)")")"'
def bash-nested-cmdsubst 0 bash 'v=$(for i in 1 2 3; do echo $(( $(echo $i) * $(echo 10) )); done);
echo $v; echo "$(basename "$(dirname /usr/share/doc)")"'
def sh-subshell 0 sh '(cd /usr && pwd); pwd; (exit 3); echo "status $?";
a=1; (a=2; echo "inner $a"); echo "outer $a"; ( (echo deep) )'
def bash-procsubst 0 bash 'diff <(printf "a\nb\n") <(printf "a\nb\n") && echo same;
while read -r l; do echo "got $l"; done < <(printf "x\ny\n")'

# --- background jobs and wait
def sh-background-wait 0 sh 'sleep 0.2 & p=$!; (exit 5) & q=$!;
wait $q; echo "q=$?"; wait $p; echo "p=$?"; (sleep 0.1; exit 2) & wait; echo "all $?"'
def bash-background-wait 0 bash 'sleep 0.3 & (sleep 0.1; exit 4) & wait -n; echo "first $?";
wait; echo "all done"; sleep 5 & k=$!; kill -TERM $k; wait $k; echo "killed $?"'
def sh-many-jobs 0 sh 'i=0; while [ $i -lt 20 ]; do (exit $((i % 4))) & i=$((i+1)); done;
wait; echo jobs done'

# --- traps
def sh-trap-exit 4 sh 'trap "echo bye from EXIT" EXIT; echo hi; exit 4'
def sh-trap-int 0 sh 'trap "echo got INT" INT; kill -INT $$; echo after INT'
def sh-trap-term 9 sh 'trap "echo got TERM; exit 9" TERM; kill -TERM $$; echo not reached'
def bash-trap-int 0 bash 'trap "echo got INT" INT; kill -INT $$; echo after INT;
trap - INT; trap "echo bye" EXIT; (kill -INT $BASHPID; echo not reached); echo "subshell $?"'
def bash-trap-term-wait 7 bash 'trap "echo got TERM; exit 7" TERM;
(sleep 0.2; kill -TERM $$) & sleep 3 & wait $!; echo not reached'
def sh-trap-default 143 sh 'kill -TERM $$; echo not reached'

# --- set -e, here-documents, read
def sh-set-e 1 sh 'set -e; true; echo one; if false; then :; fi; echo two; false; echo not reached'
def bash-set-e 3 bash 'set -e; f() { return 3; }; echo before; f; echo not reached'
def sh-heredoc 0 sh 'x=world; cat <<EOF
hello $x $((6 * 7))
EOF
cat <<"EOF"
literal $x
EOF
tr a-z A-Z <<-EOF
	tabs stripped
	EOF'
def sh-read-pipe 0 sh 'printf "x y\nz w\n" | while read a b; do echo "$b-$a"; done;
echo "one two" | { read v w; echo "got $w $v"; }'
def bash-read-pipe 0 bash 'shopt -s lastpipe; echo kept | read v; echo "$v";
IFS=: read -r -a parts <<<"a:b:c"; echo "${#parts[@]} ${parts[2]}";
mapfile -t lines < <(seq 3); echo "${lines[*]}"'

# --- forks
def sh-xargs-P2 0 sh 'seq 1 8 | xargs -P2 -n1 sh -c "echo \$((\$1 * \$1))" sh | sort -n | paste -sd" " -'
def sh-fork-loop 0 sh 'i=0; while [ $i -lt 50 ]; do /bin/true; i=$((i+1)); done; echo "$i forks"'
def bash-fork-loop 0 bash 's=0; for i in $(seq 50); do (exit $((i % 3))); s=$((s + $?)); done;
echo "sum $s"; for i in 1 2 3 4 5; do /bin/echo -n "$i"; done; echo'

# --- exit statuses through pipelines
def sh-pipe-status 3 sh 'false | true; echo "last $?"; true | false; echo "last $?"; true | (exit 3)'
def bash-pipefail 0 bash 'false | true | (exit 2); echo "${PIPESTATUS[*]}";
set -o pipefail; false | true; echo "pipefail $?"; (exit 4) | (exit 5) | true; echo "pipefail $?";
! true | false; echo "negated $?"'
def bash-pipefail-exit 1 bash 'yes | head -n 2; st=("${PIPESTATUS[@]}"); echo "yes and head: ${st[*]}";
set -eo pipefail; true | cat; echo survived; false | cat; echo not reached'

if [ "${1:-}" = --list ]; then
    printf '%s\n' "${names[@]}"
    exit 0
fi
if [ $# -ne 2 ]; then
    echo "usage: shell.sh MOAT CASE | shell.sh --list" >&2
    exit 2
fi
moat=$1 name=$2
[ ! -e "$moat" ] || moat=$(abspath "$moat")
if [ -z "${scripts[$name]+set}" ]; then
    echo "shell.sh: no case $name (shell.sh --list)" >&2
    exit 2
fi
case ${shells[$name]} in
sh) shell=/bin/sh ;;
bash) shell=/bin/bash ;;
esac
compare_case "$name" "${statuses[$name]}" "$shell" -c "${scripts[$name]}"
