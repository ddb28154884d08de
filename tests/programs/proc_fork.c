/* Processes: fork and wait (exit status, signals, WNOHANG, ECHILD), the
 * child's copy of memory (its writes stay its own), shared anonymous
 * memory staying shared, inherited fds, getppid, process groups and
 * sessions, vfork, clone with CLONE_PARENT_SETTID / CLONE_CHILD_SETTID,
 * reparenting of an orphan, credentials in a child, and a child left
 * running when the program ends. */
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int counter = 42;

static void test_exit_status(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(7);
    int st = 0;
    struct rusage ru;
    memset(&ru, 0xff, sizeof(ru));
    CHECK(wait4(pid, &st, 0, &ru) == pid, "wait4: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %#x", st);
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no child left: errno %d", errno);
    CHECK(wait(NULL) == -1 && errno == ECHILD, "wait: errno %d", errno);
}

static void test_killed(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        *(volatile int *)0 = 1; /* SIGSEGV */
        _exit(0);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x", st);
}

static void test_cow(void)
{
    int *heap = malloc(4096 * 4);
    REQUIRE(heap, "malloc");
    heap[0] = 1;
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shared != MAP_FAILED, "mmap");
    *shared = 10;
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int ok = counter == 42 && heap[0] == 1 && *shared == 10;
        counter = 99;
        heap[0] = 2;
        *shared = 20;
        close(fds[0]);
        char c = ok ? 'y' : 'n';
        _exit(write(fds[1], &c, 1) == 1 ? 0 : 3);
    }
    close(fds[1]);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    char c = 0;
    CHECK(read(fds[0], &c, 1) == 1 && c == 'y', "the child saw the parent's memory: %c", c);
    close(fds[0]);
    CHECK(counter == 42, "child's write to .data is visible: %d", counter);
    CHECK(heap[0] == 1, "child's write to the heap is visible: %d", heap[0]);
    CHECK(*shared == 20, "MAP_SHARED write not shared: %d", *shared);
    free(heap);
    munmap(shared, 4096);
}

/* Copy-on-write over many pages, written by plain stores and by read(2)
 * (the sentry's copy_out), in the child, the parent and a grandchild. */
#define BIG (64 * 4096)

static int check_pattern(const unsigned char *b, size_t from, size_t to, unsigned char add)
{
    for (size_t i = from; i < to; i++)
        if (b[i] != (unsigned char)(i * 7 + add))
            return 0;
    return 1;
}

static void test_cow_pages(void)
{
    unsigned char *b = malloc(BIG);
    REQUIRE(b, "malloc");
    for (size_t i = 0; i < BIG; i++)
        b[i] = (unsigned char)(i * 7);
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    REQUIRE(write(fds[1], "XXXXXXXX", 8) == 8, "write");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int bad = 0;
        if (!check_pattern(b, 0, BIG, 0))
            bad |= 1;
        /* read(2) into the middle of a shared page. */
        if (read(fds[0], b + 4096 + 100, 8) != 8 || memcmp(b + 4096 + 100, "XXXXXXXX", 8) != 0)
            bad |= 2;
        for (size_t i = 8 * 4096; i < BIG; i++)
            b[i] = (unsigned char)(i * 7 + 1);
        pid_t g = fork();
        if (g == 0) {
            _exit(check_pattern(b, 0, 4096, 0) && check_pattern(b, 8 * 4096, BIG, 1) ? 0 : 1);
        }
        int st = 0;
        if (g < 0 || waitpid(g, &st, 0) != g || st != 0)
            bad |= 4;
        if (!check_pattern(b, 8 * 4096, BIG, 1) || !check_pattern(b, 0, 4096, 0))
            bad |= 8;
        _exit(bad);
    }
    /* The parent writes too, while the child may still run. */
    for (size_t i = 2 * 4096; i < 4 * 4096; i++)
        b[i] = (unsigned char)(i * 7 + 2);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    CHECK(check_pattern(b, 0, 2 * 4096, 0), "parent's first pages changed");
    CHECK(check_pattern(b, 2 * 4096, 4 * 4096, 2), "parent's own writes lost");
    CHECK(check_pattern(b, 4 * 4096, BIG, 0), "child's writes visible in the parent");
    /* Alone again: writes and read(2) into formerly shared pages. */
    REQUIRE(write(fds[1], "YYYY", 4) == 4, "write");
    /* The child consumed 8 bytes from the pipe: none left before ours. */
    CHECK(read(fds[0], b + 10 * 4096, 4) == 4 && memcmp(b + 10 * 4096, "YYYY", 4) == 0,
          "read into a formerly shared page");
    b[BIG - 1] = 5;
    CHECK(b[BIG - 1] == 5, "write");
    close(fds[0]);
    close(fds[1]);
    free(b);
}

static void test_wnohang(void)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[1]);
        char c;
        ssize_t n = read(fds[0], &c, 1); /* until the parent says go */
        _exit(n == 1 ? 5 : 6);
    }
    close(fds[0]);
    int st = 0;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG on a running child");
    siginfo_t si;
    memset(&si, 0xff, sizeof(si));
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOHANG) == 0, "waitid WNOHANG: %s", strerror(errno));
    CHECK(si.si_pid == 0, "waitid WNOHANG si_pid %d", si.si_pid);
    CHECK(write(fds[1], "g", 1) == 1, "write");
    close(fds[1]);
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "waitid WNOWAIT: %s", strerror(errno));
    CHECK(si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_pid == pid &&
              si.si_status == 5,
          "siginfo signo %d code %d pid %d status %d", si.si_signo, si.si_code, si.si_pid,
          si.si_status);
    CHECK(waitpid(pid, &st, __WALL) == pid && WEXITSTATUS(st) == 5, "status %#x", st);
}

static void test_ids(void)
{
    pid_t me = getpid();
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int bad = 0;
        if (getppid() != me)
            bad |= 1;
        if (getpid() == me)
            bad |= 2;
        if (getpgid(0) != getpgid(me))
            bad |= 4;
        if (setsid() != getpid() || getsid(0) != getpid() || getpgrp() != getpid())
            bad |= 8;
        if (setsid() != -1 || errno != EPERM)
            bad |= 16;
        /* The pipe was inherited. */
        if (write(fds[1], &bad, sizeof(bad)) != sizeof(bad))
            bad |= 32;
        _exit(bad);
    }
    int st = 0, bad = -1;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    CHECK(read(fds[0], &bad, sizeof(bad)) == sizeof(bad) && bad == 0, "child checks %#x", bad);
    CHECK(getpgid(pid) == -1 && errno == ESRCH, "getpgid of a reaped child");
    close(fds[0]);
    close(fds[1]);

    /* setpgid on a child, which waits for the parent's word. */
    REQUIRE(pipe(fds) == 0, "pipe");
    pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[1]);
        char c;
        _exit(read(fds[0], &c, 1) == 1 && getpgrp() == getpid() ? 0 : 1);
    }
    close(fds[0]);
    CHECK(setpgid(pid, pid) == 0, "setpgid: %s", strerror(errno));
    CHECK(getpgid(pid) == pid, "getpgid %d", getpgid(pid));
    CHECK(setpgid(pid, 0x7ffffff0) == -1 && errno == EPERM, "setpgid to no group: %d", errno);
    CHECK(write(fds[1], "g", 1) == 1, "write");
    close(fds[1]);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static void test_vfork(void)
{
    pid_t pid = vfork();
    REQUIRE(pid >= 0, "vfork: %s", strerror(errno));
    if (pid == 0)
        _exit(9);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9, "status %#x", st);
}

static void test_clone_settid(void)
{
    pid_t ptid = 0, ctid = 0;
    long pid =
        syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, 0, &ptid, &ctid, 0);
    REQUIRE(pid >= 0, "clone: %s", strerror(errno));
    if (pid == 0)
        _exit(ctid == syscall(SYS_getpid) && ptid == 0 ? 0 : 1);
    CHECK(ptid == pid, "parent tid %d, pid %ld", ptid, pid);
    CHECK(ctid == 0, "CHILD_SETTID written in the parent: %d", ctid);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

/* An orphan is reparented (to init, or a subreaper): its parent id changes. */
static void test_orphan(void)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t mid = fork();
    REQUIRE(mid >= 0, "fork: %s", strerror(errno));
    if (mid == 0) {
        pid_t self = getpid();
        pid_t g = fork();
        if (g < 0)
            _exit(1);
        if (g == 0) {
            close(fds[0]);
            int ok;
            for (int i = 0; i < 10000 && getppid() == self; i++)
                usleep(1000);
            ok = getppid() != self;
            write(fds[1], &ok, sizeof(ok));
            _exit(0);
        }
        _exit(0);
    }
    close(fds[1]);
    int st = 0;
    CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    int ok = 0;
    CHECK(read(fds[0], &ok, sizeof(ok)) == sizeof(ok) && ok == 1, "orphan not reparented");
    close(fds[0]);
}

/* Credentials in a child (as root only): the saved id lets an
 * unprivileged process get its euid back; setuid as root sets all three. */
static void test_creds(void)
{
    if (getuid() != 0)
        return;
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        uid_t r, e, s;
        int bad = 0;
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0)
            bad |= 1;
        if (setresuid(65534, 65534, 0) != 0 || getresuid(&r, &e, &s) != 0 || r != 65534 ||
            e != 65534 || s != 0)
            bad |= 2;
        if (setresuid(-1, -1, 1234) != -1 || errno != EPERM)
            bad |= 4;
        if (setuid(0) != 0 || geteuid() != 0 || getuid() != 65534)
            bad |= 8;
        if (setuid(65534) != 0 || getresuid(&r, &e, &s) != 0 || r != 65534 || e != 65534 ||
            s != 65534)
            bad |= 16;
        if (setuid(0) != -1 || errno != EPERM)
            bad |= 32;
        if (setreuid(-1, 0) != -1 || errno != EPERM)
            bad |= 64;
        _exit(bad);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    CHECK(geteuid() == 0, "the child's ids leaked into the parent");
}

/* A child still running when the program ends: blocked reading a pipe only
 * the parent can write. Natively it sees EOF when the parent exits; under
 * moat the end of pid 1 ends every task, so `moat do` must not hang. */
static void leave_child_behind(void)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[1]);
        char c;
        _exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
    }
    close(fds[0]);
}

int main(void)
{
    test_exit_status();
    test_killed();
    test_cow();
    test_cow_pages();
    test_wnohang();
    test_ids();
    test_vfork();
    test_clone_settid();
    test_orphan();
    test_creds();
    int ret = check_done("proc_fork");
    leave_child_behind();
    return ret;
}
