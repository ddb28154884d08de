/* select(2) and pselect6(2): fd_sets in and out, counting per set, EBADF
 * for a closed fd, fds beyond the fd table ignored, timeouts (zero,
 * expiry, the time left written back, tv_usec carried into seconds,
 * invalid ones), pselect6's signal mask argument, and a child process
 * writing while the parent sleeps. Raw syscalls where glibc would hide
 * the kernel's behaviour. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long sys_select(int n, fd_set *in, fd_set *out, fd_set *ex, struct timeval *tv)
{
    return syscall(SYS_select, n, in, out, ex, tv);
}

static void test_sets(void)
{
    int p[2], q[2];
    REQUIRE(pipe(p) == 0 && pipe(q) == 0, "pipe: %s", strerror(errno));
    int n = (p[1] > q[1] ? p[1] : q[1]) + 1;
    fd_set in, out, ex;
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_ZERO(&ex);
    FD_SET(p[0], &in);
    FD_SET(q[0], &in);
    FD_SET(p[1], &out);
    FD_SET(p[0], &ex);
    struct timeval tv = {0, 0};
    CHECK_RET(sys_select(n, &in, &out, &ex, &tv), 1);
    CHECK(!FD_ISSET(p[0], &in) && !FD_ISSET(q[0], &in), "empty pipes readable");
    CHECK(FD_ISSET(p[1], &out), "write end not writable");
    CHECK(!FD_ISSET(p[0], &ex), "exceptional condition on a pipe");

    /* Each set counts: the same fd readable and writable counts twice. */
    CHECK_RET(write(q[1], "x", 1), 1);
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(p[0], &in);
    FD_SET(q[0], &in);
    FD_SET(p[1], &out);
    FD_SET(q[1], &out);
    CHECK_RET(sys_select(n, &in, &out, NULL, &tv), 3);
    CHECK(!FD_ISSET(p[0], &in) && FD_ISSET(q[0], &in), "readable set wrong");
    CHECK(FD_ISSET(p[1], &out) && FD_ISSET(q[1], &out), "writable set wrong");
    int rw = open("/dev/null", O_RDWR);
    REQUIRE(rw >= 0, "open /dev/null");
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(rw, &in);
    FD_SET(rw, &out);
    CHECK_RET(sys_select(rw + 1, &in, &out, NULL, &tv), 2);
    close(rw);

    /* A hung-up pipe is readable (EOF); a broken one writable (EPIPE). */
    close(q[1]);
    CHECK_RET(read(q[0], &(char){0}, 1), 1);
    FD_ZERO(&in);
    FD_SET(q[0], &in);
    CHECK_RET(sys_select(q[0] + 1, &in, NULL, NULL, &tv), 1);
    close(p[0]);
    FD_ZERO(&out);
    FD_SET(p[1], &out);
    CHECK_RET(sys_select(p[1] + 1, NULL, &out, NULL, &tv), 1);

    /* A closed fd in a set: EBADF. Only the first n bits count. */
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    CHECK_ERRNO(sys_select(p[0] + 1, &in, NULL, NULL, &tv), EBADF);
    CHECK_RET(sys_select(p[0], &in, NULL, NULL, &tv), 0);
    /* Bits beyond the fd table are not looked at. */
    FD_ZERO(&in);
    FD_SET(1000, &in);
    CHECK_RET(sys_select(1001, &in, NULL, NULL, &tv), 0);
    /* An O_PATH fd is open (no EBADF) but not pollable: POLLNVAL, which
     * select reports in every set asked. */
    int opath = open("/", O_PATH);
    REQUIRE(opath >= 0, "open O_PATH: %s", strerror(errno));
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_ZERO(&ex);
    FD_SET(opath, &in);
    FD_SET(opath, &out);
    FD_SET(opath, &ex);
    CHECK_RET(sys_select(opath + 1, &in, &out, &ex, &tv), 3);
    close(opath);
    CHECK_ERRNO(sys_select(-1, NULL, NULL, NULL, &tv), EINVAL);
    CHECK_ERRNO(sys_select(1, (fd_set *)8, NULL, NULL, &tv), EFAULT);
    close(q[0]);
    close(p[1]);
}

static void test_timeouts(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    /* Expiry: the set is cleared and the timeval is zero. */
    struct timeval tv = {0, 100000};
    long t0 = now_ms();
    CHECK_RET(sys_select(p[0] + 1, &in, NULL, NULL, &tv), 0);
    long dt = now_ms() - t0;
    CHECK(dt >= 100 && dt < 2000, "select(100ms) took %ld ms", dt);
    CHECK(!FD_ISSET(p[0], &in), "set not cleared on timeout");
    CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "left %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    /* Ready at once: most of the time is left. */
    CHECK_RET(write(p[1], "x", 1), 1);
    FD_SET(p[0], &in);
    tv = (struct timeval){5, 0};
    CHECK_RET(sys_select(p[0] + 1, &in, NULL, NULL, &tv), 1);
    CHECK(tv.tv_sec == 4 || (tv.tv_sec == 5 && tv.tv_usec == 0), "left %ld.%06ld of 5s",
          (long)tv.tv_sec, (long)tv.tv_usec);
    /* tv_usec beyond a second is carried; negative values are EINVAL. */
    tv = (struct timeval){0, 2500000};
    CHECK_RET(sys_select(p[0] + 1, &in, NULL, NULL, &tv), 1);
    CHECK(tv.tv_sec == 2 || tv.tv_sec == 1, "carried timeout left %ld.%06ld", (long)tv.tv_sec,
          (long)tv.tv_usec);
    tv = (struct timeval){0, -1};
    CHECK_ERRNO(sys_select(p[0] + 1, &in, NULL, NULL, &tv), EINVAL);
    tv = (struct timeval){-1, 0};
    CHECK_ERRNO(sys_select(p[0] + 1, &in, NULL, NULL, &tv), EINVAL);
    CHECK_ERRNO(sys_select(p[0] + 1, &in, NULL, NULL, (struct timeval *)8), EFAULT);
    /* A NULL-everything select with a timeout is a sleep. */
    tv = (struct timeval){0, 50000};
    t0 = now_ms();
    CHECK_RET(sys_select(0, NULL, NULL, NULL, &tv), 0);
    CHECK(now_ms() - t0 >= 50, "select sleep too short");

    /* pselect6: a timespec, written back, and the {sigset, size} pack. */
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    struct timespec ts = {3, 0};
    uint64_t mask = 1ULL << (SIGUSR1 - 1);
    struct {
        void *ss;
        size_t len;
    } pack = {&mask, 8};
    CHECK_RET(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, &ts, &pack), 1);
    CHECK(ts.tv_sec == 2 || (ts.tv_sec == 3 && ts.tv_nsec == 0), "pselect6 left %ld.%09ld",
          (long)ts.tv_sec, ts.tv_nsec);
    pack.len = 4;
    CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, &ts, &pack), EINVAL);
    pack = (typeof(pack)){NULL, 4}; /* no mask: the size is not looked at */
    CHECK_RET(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, &ts, &pack), 1);
    CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, &ts, (void *)8), EFAULT);
    ts = (struct timespec){0, -5};
    CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, &ts, NULL), EINVAL);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    ts = (struct timespec){0, 0};
    CHECK_RET(pselect(p[0] + 1, &in, NULL, NULL, &ts, &set), 1);
    CHECK_RET(sigprocmask(SIG_SETMASK, NULL, &old), 0);
    CHECK(!sigismember(&old, SIGUSR2), "pselect's mask outlived the call");
    close(p[0]);
    close(p[1]);
}

static void test_child_wakes(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        struct timespec d = {0, 100 * 1000000};
        nanosleep(&d, NULL);
        _exit(write(p[1], "ping", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    CHECK_RET(select(p[0] + 1, &in, NULL, NULL, NULL), 1);
    CHECK(FD_ISSET(p[0], &in), "not readable");
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(p[0]);
}

int main(void)
{
    test_sets();
    test_timeouts();
    test_child_wakes();
    return check_done("poll_select");
}
