/* poll(2) and ppoll(2): pipes (readable, writable, POLLHUP after the
 * writer goes, POLLERR when the reader goes), POLLNVAL, negative fds,
 * timeouts (zero, expiry, write-back by ppoll), argument errors, files
 * that are always ready, stdin (a pipe from run-test.sh), ppoll with a
 * signal mask, and a child process writing while the parent sleeps. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static void test_pipe_states(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe: %s", strerror(errno));
    struct pollfd fds[2] = {{p[0], POLLIN, -1}, {p[1], POLLOUT, -1}};
    /* Empty: only the write end is ready. */
    CHECK_RET(poll(fds, 2, 0), 1);
    CHECK(fds[0].revents == 0, "empty read end revents %#x", fds[0].revents);
    CHECK(fds[1].revents == POLLOUT, "write end revents %#x", fds[1].revents);
    /* Data: both. */
    CHECK_RET(write(p[1], "abc", 3), 3);
    CHECK_RET(poll(fds, 2, 0), 2);
    CHECK(fds[0].revents == POLLIN, "read end revents %#x", fds[0].revents);
    /* Events not asked for are not reported, but POLLHUP/POLLERR are. */
    fds[0].events = POLLOUT;
    CHECK_RET(poll(fds, 1, 0), 0);
    CHECK(fds[0].revents == 0, "read end asked POLLOUT revents %#x", fds[0].revents);
    fds[0].events = POLLIN | POLLRDNORM | POLLPRI;
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == (POLLIN | POLLRDNORM), "revents %#x", fds[0].revents);
    /* Writer gone: data and POLLHUP, then POLLHUP alone. */
    close(p[1]);
    fds[0].events = POLLIN;
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == (POLLIN | POLLHUP), "revents %#x", fds[0].revents);
    char b[8];
    CHECK_RET(read(p[0], b, sizeof b), 3);
    fds[0].events = 0;
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == POLLHUP, "revents after drain %#x", fds[0].revents);
    close(p[0]);

    /* Reader gone: POLLERR for the writer, with POLLOUT. */
    REQUIRE(pipe(p) == 0, "pipe");
    close(p[0]);
    fds[0] = (struct pollfd){p[1], POLLOUT, 0};
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == (POLLOUT | POLLERR), "revents %#x", fds[0].revents);
    fds[0].events = 0;
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == POLLERR, "revents %#x", fds[0].revents);
    close(p[1]);

    /* A full pipe is not writable. */
    REQUIRE(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    static char big[65536];
    while (write(p[1], big, sizeof big) > 0)
        ;
    fds[0] = (struct pollfd){p[1], POLLOUT, 0};
    CHECK_RET(poll(fds, 1, 0), 0);
    CHECK_RET(read(p[0], big, sizeof big), 65536);
    CHECK_RET(poll(fds, 1, 0), 1);
    close(p[0]);
    close(p[1]);
}

static void test_nval_and_args(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    CHECK_RET(write(p[1], "x", 1), 1);
    struct pollfd fds[3] = {{p[0], POLLIN, -1}, {-1, POLLIN, -1}, {1000, POLLIN, -1}};
    CHECK_RET(poll(fds, 3, 0), 2);
    CHECK(fds[0].revents == POLLIN, "revents %#x", fds[0].revents);
    CHECK(fds[1].revents == 0, "negative fd revents %#x", fds[1].revents);
    CHECK(fds[2].revents == POLLNVAL, "closed fd revents %#x", fds[2].revents);
    /* POLLNVAL is reported even when not asked for. */
    fds[2].events = 0;
    CHECK_RET(poll(&fds[2], 1, 0), 1);
    CHECK(fds[2].revents == POLLNVAL, "revents %#x", fds[2].revents);
    /* An O_PATH fd is not a file to poll. */
    int opath = open("/", O_PATH);
    REQUIRE(opath >= 0, "open O_PATH: %s", strerror(errno));
    fds[0] = (struct pollfd){opath, POLLIN, 0};
    CHECK_RET(poll(fds, 1, 0), 1);
    CHECK(fds[0].revents == POLLNVAL, "O_PATH revents %#x", fds[0].revents);
    close(opath);

    /* nfds above RLIMIT_NOFILE; bad pointers. */
    struct rlimit rl;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
    CHECK_ERRNO(syscall(SYS_poll, fds, rl.rlim_cur + 1, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_poll, 8UL, 1, 0), EFAULT);
    CHECK_RET(poll(NULL, 0, 0), 0);
    /* revents cannot be written back: EFAULT after the wait. */
    struct pollfd *ro =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(ro != MAP_FAILED, "mmap");
    ro[0] = (struct pollfd){p[0], POLLIN, 0};
    REQUIRE(mprotect(ro, 4096, PROT_READ) == 0, "mprotect");
    CHECK_ERRNO(poll(ro, 1, 0), EFAULT);
    munmap(ro, 4096);
    close(p[0]);
    close(p[1]);
}

static void test_timeouts(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    struct pollfd fd = {p[0], POLLIN, 0};
    long t0 = now_ms();
    CHECK_RET(poll(&fd, 1, 100), 0);
    long dt = now_ms() - t0;
    CHECK(dt >= 100 && dt < 2000, "poll(100ms) took %ld ms", dt);
    /* Sleeping with no fds at all. */
    t0 = now_ms();
    CHECK_RET(poll(NULL, 0, 50), 0);
    dt = now_ms() - t0;
    CHECK(dt >= 50 && dt < 2000, "poll(NULL, 0, 50) took %ld ms", dt);

    /* ppoll writes the time left back (raw syscall: glibc passes a copy). */
    struct timespec ts = {0, 80 * 1000000};
    t0 = now_ms();
    CHECK_RET(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8), 0);
    dt = now_ms() - t0;
    CHECK(dt >= 80, "ppoll(80ms) took %ld ms", dt);
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0, "ppoll left %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
    CHECK_RET(write(p[1], "x", 1), 1);
    ts = (struct timespec){5, 0};
    CHECK_RET(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8), 1);
    CHECK(ts.tv_sec == 4 || ts.tv_sec == 5, "ppoll left %ld.%09ld of 5s", (long)ts.tv_sec,
          ts.tv_nsec);
    /* Invalid timespecs and signal mask sizes. */
    ts = (struct timespec){0, 1000000000};
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8), EINVAL);
    ts = (struct timespec){-1, 0};
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, (void *)8, NULL, 8), EFAULT);
    uint64_t mask = 0;
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, NULL, &mask, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, NULL, (void *)8, 8), EFAULT);
    /* ppoll with a signal mask: the mask is only for the call. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    ts = (struct timespec){0, 0};
    CHECK_RET(ppoll(&fd, 1, &ts, &set), 1);
    CHECK_RET(sigprocmask(SIG_SETMASK, NULL, &old), 0);
    CHECK(!sigismember(&old, SIGUSR1), "ppoll's mask outlived the call");
    close(p[0]);
    close(p[1]);
}

static void test_always_ready(void)
{
    int null = open("/dev/null", O_RDWR);
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    int file = open("/proc/self/stat", O_RDONLY);
    REQUIRE(null >= 0 && dir >= 0 && file >= 0, "open: %s", strerror(errno));
    struct pollfd fds[3] = {
        {null, POLLIN | POLLOUT, 0}, {dir, POLLIN | POLLOUT, 0}, {file, POLLIN | POLLOUT, 0}};
    CHECK_RET(poll(fds, 3, -1), 3);
    for (int i = 0; i < 3; i++)
        CHECK(fds[i].revents == (POLLIN | POLLOUT), "fd %d revents %#x", fds[i].fd, fds[i].revents);
    close(null);
    close(dir);
    close(file);
}

/* run-test.sh gives stdin as a pipe holding one line, its writer gone. */
static void test_stdin(void)
{
    struct stat st;
    if (fstat(0, &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
    struct pollfd fd = {0, POLLIN, 0};
    CHECK_RET(poll(&fd, 1, 5000), 1);
    CHECK(fd.revents & POLLIN, "stdin revents %#x", fd.revents);
    char b[256];
    ssize_t n, total = 0;
    while ((n = read(0, b, sizeof b)) > 0)
        total += n;
    CHECK(n == 0 && total > 0, "stdin read %zd then %zd", total, n);
    CHECK_RET(poll(&fd, 1, 5000), 1);
    CHECK(fd.revents == POLLHUP, "drained stdin revents %#x", fd.revents);
}

/* The parent sleeps in poll until a child writes. */
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
    struct pollfd fd = {p[0], POLLIN, 0};
    long t0 = now_ms();
    CHECK_RET(poll(&fd, 1, 10000), 1);
    CHECK(fd.revents & POLLIN, "revents %#x", fd.revents);
    CHECK(now_ms() - t0 < 5000, "woken late");
    char b[8];
    CHECK_RET(read(p[0], b, sizeof b), 4);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    /* The child is gone, and its end with it. */
    CHECK_RET(poll(&fd, 1, 10000), 1);
    CHECK(fd.revents == POLLHUP, "revents %#x", fd.revents);
    close(p[0]);
}

int main(void)
{
    test_pipe_states();
    test_nval_and_args();
    test_timeouts();
    test_always_ready();
    test_stdin();
    test_child_wakes();
    return check_done("poll_pipe");
}
