#!/usr/bin/env bash
# tests/integration/python.sh - Debian's /usr/bin/python3 runs scripts
# natively and under moat with identical stdout and exit status: threading
# (8 threads, Lock, Condition), subprocess.run with both pipes captured,
# os.fork + os.waitpid, signal.signal + os.kill of itself,
# multiprocessing.Pool(2).map, selectors / select.poll on a pipe, and a
# socket.socketpair round trip.
#
# usage: python.sh MOAT CASE
#        python.sh --list          (the case names, for meson)
#
# /usr/bin/python3 is named explicitly: on the host PATH may start with a
# pyenv shim, which the sandbox cannot run (and the environment is cleared
# anyway). Each case is the meson test python-CASE (suites integration,
# python); see compare_lib.sh for how the runs are compared, the skip list
# and the environment knobs. Exits 77 when /usr/bin/python3 is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=python
# shellcheck source=compare_lib.sh
. "$here/compare_lib.sh"

python=/usr/bin/python3
declare -a names=()
declare -A scripts=() statuses=()

# def NAME STATUS SCRIPT: a case, run as python3 -c SCRIPT.
def() {
    names+=("$1")
    statuses[$1]=$2
    scripts[$1]=$3
}

def threading 0 '
import threading
lock = threading.Lock()
cond = threading.Condition()
counter = 0
ready = []
def work(i):
    global counter
    for _ in range(2000):
        with lock:
            counter += 1
    with cond:
        ready.append(i)
        cond.notify_all()
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
with cond:
    ok = cond.wait_for(lambda: len(ready) == 8, timeout=60)
for t in threads:
    t.join()
print("counter", counter, "ready", sorted(ready), "waited", ok)
print("alive", sum(t.is_alive() for t in threads), "threads", threading.active_count())
'

def subprocess 0 '
import subprocess, sys
r = subprocess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True, text=True)
print(repr(r.stdout), repr(r.stderr), r.returncode)
r = subprocess.run(["/usr/bin/tr", "a-z", "A-Z"], input="piped through tr\n", capture_output=True, text=True)
print(r.stdout.strip(), r.returncode)
big = subprocess.run([sys.executable, "-c", "import sys; sys.stdout.write(\"x\" * 200000); sys.stderr.write(\"y\" * 100000)"], capture_output=True)
print(len(big.stdout), len(big.stderr))
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)
print(subprocess.check_output("echo $((6 * 7))", shell=True).decode().strip())
'

def fork-waitpid 0 '
import os
pids = []
for i in range(5):
    pid = os.fork()
    if pid == 0:
        os._exit(10 + i)
    pids.append(pid)
codes = []
for pid in pids:
    p, status = os.waitpid(pid, 0)
    codes.append(os.waitstatus_to_exitcode(status))
print(codes)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"from child %d" % (os.getppid() > 0))
    os._exit(0)
os.close(w)
print(os.read(r, 100).decode(), os.waitpid(pid, 0)[1])
try:
    os.waitpid(-1, 0)
except ChildProcessError:
    print("no children left")
'

def signal 0 '
import os, signal, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
print("handled", got == [signal.SIGUSR1])
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(0.2)  # the handler runs; the sleep goes on (PEP 475)
print("alarm", got[-1] == signal.SIGALRM)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)
print("pending", signal.SIGUSR2 in signal.sigpending())
print("sigwait", signal.sigwait([signal.SIGUSR2]) == signal.SIGUSR2)
pid = os.fork()
if pid == 0:
    time.sleep(30)
    os._exit(0)
os.kill(pid, signal.SIGTERM)
print("child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
'

def pool 0 '
import multiprocessing
def square(x):
    return x * x
if __name__ == "__main__":
    with multiprocessing.Pool(2) as p:
        print(p.map(square, range(20)))
        print(sum(p.imap_unordered(square, range(100))))
'

def selectors 0 '
import os, select, selectors, threading, time
r, w = os.pipe()
sel = selectors.DefaultSelector()
sel.register(r, selectors.EVENT_READ, "pipe")
print("empty", sel.select(timeout=0.05))
def later():
    time.sleep(0.1)
    os.write(w, b"ping")
t = threading.Thread(target=later)
t.start()
events = sel.select(timeout=30)
print([(k.data, bool(m & selectors.EVENT_READ)) for k, m in events], os.read(r, 10))
t.join()
p = select.poll()
p.register(r, select.POLLIN)
p.register(w, select.POLLOUT)
name = {r: "r", w: "w"}
print(sorted((name[fd], ev) for fd, ev in p.poll(0)))
os.close(w)
print(sorted((name[fd], ev) for fd, ev in p.poll(1000)))
'

def socketpair 0 '
import os, socket
a, b = socket.socketpair()
a.sendall(b"hello " * 1000)
a.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = b.recv(4096)
    if not chunk:
        break
    data += chunk
print(len(data), data[:12])
b.sendall(b"reply")
print(a.recv(10))
pid = os.fork()
if pid == 0:
    a.close()
    b.sendall(b"from the child")
    os._exit(0)
b.close()
print(a.recv(100), os.waitpid(pid, 0)[1])
d1, d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
d1.send(b"one"); d1.send(b"two")
print(d2.recv(10), d2.recv(10))
'

if [ "${1:-}" = --list ]; then
    printf '%s\n' "${names[@]}"
    exit 0
fi
if [ $# -ne 2 ]; then
    echo "usage: python.sh MOAT CASE | python.sh --list" >&2
    exit 2
fi
moat=$1 name=$2
[ ! -e "$moat" ] || moat=$(abspath "$moat")
if [ -z "${scripts[$name]+set}" ]; then
    echo "python.sh: no case $name (python.sh --list)" >&2
    exit 2
fi
if [ ! -x "$python" ]; then
    echo "SKIP: $python not found (apt-get install python3)"
    exit 77
fi
compare_case "$name" "${statuses[$name]}" "$python" -c "${scripts[$name]}"
