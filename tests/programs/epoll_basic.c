/* epoll: level-triggered, EPOLLET and EPOLLONESHOT on pipes and eventfds,
 * EPOLL_CTL_MOD re-arming, maxevents and round-robin of ready items,
 * items keyed by (fd, file) and dropped with the file's last reference,
 * epoll_pwait/epoll_pwait2, timeouts, and a child writing while the
 * parent sleeps in epoll_wait. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* epoll_wait with timeout 0 returning one event's (events, data). */
static int wait1(int ep, uint32_t *events, uint64_t *data)
{
    struct epoll_event ev[4];
    int n = epoll_wait(ep, ev, 4, 0);
    if (n > 0) {
        *events = ev[0].events;
        *data = ev[0].data.u64;
    }
    return n;
}

static void test_level_triggered(void)
{
    int ep = epoll_create1(0);
    int p[2];
    REQUIRE(ep >= 0 && pipe(p) == 0, "epoll_create1/pipe: %s", strerror(errno));
    CHECK_RET(add(ep, p[0], EPOLLIN, 111), 0);
    uint32_t e = 0;
    uint64_t d = 0;
    CHECK_RET(wait1(ep, &e, &d), 0);
    CHECK_RET(write(p[1], "ab", 2), 2);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLIN && d == 111, "events %#x data %llu", e, (unsigned long long)d);
    /* Level-triggered: reported while readable. */
    CHECK_RET(wait1(ep, &e, &d), 1);
    char b[4];
    CHECK_RET(read(p[0], b, 1), 1);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK_RET(read(p[0], b, 1), 1);
    CHECK_RET(wait1(ep, &e, &d), 0);
    /* The writer end: always writable, EPOLLERR once the reader goes. */
    CHECK_RET(add(ep, p[1], EPOLLOUT, 222), 0);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLOUT && d == 222, "events %#x data %llu", e, (unsigned long long)d);
    /* Writer gone: EPOLLHUP on the read end, asked or not. */
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
    close(p[1]);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLHUP && d == 111, "events %#x data %llu", e, (unsigned long long)d);
    /* EPOLLRDHUP is for sockets: a pipe never reports it. */
    CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLRDHUP, 112), 0);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLHUP && d == 112, "events %#x data %llu", e, (unsigned long long)d);
    close(p[0]);
    CHECK_RET(wait1(ep, &e, &d), 0); /* the item went with the pipe */
    close(ep);
}

static void test_edge_triggered(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    REQUIRE(ep >= 0 && pipe(p) == 0, "epoll_create1/pipe: %s", strerror(errno));
    CHECK_RET(fcntl(ep, F_GETFD), FD_CLOEXEC);
    CHECK_RET(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
    uint32_t e = 0;
    uint64_t d = 0;
    CHECK_RET(write(p[1], "a", 1), 1);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLIN, "events %#x", e);
    /* Reported once per change, though still readable. */
    CHECK_RET(wait1(ep, &e, &d), 0);
    /* Each write is a new edge. */
    CHECK_RET(write(p[1], "b", 1), 1);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK_RET(wait1(ep, &e, &d), 0);
    /* MOD re-arms: a ready file is reported again. */
    CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLET, 2), 0);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(d == 2, "data %llu", (unsigned long long)d);
    CHECK_RET(wait1(ep, &e, &d), 0);
    close(p[0]);
    close(p[1]);

    /* eventfd: ET reports each write, not reads. */
    int efd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
    REQUIRE(efd >= 0, "eventfd");
    CHECK_RET(add(ep, efd, EPOLLIN | EPOLLET, 3), 0);
    CHECK_RET(wait1(ep, &e, &d), 0);
    uint64_t v = 2;
    CHECK_RET(write(efd, &v, 8), 8);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLIN && d == 3, "events %#x data %llu", e, (unsigned long long)d);
    CHECK_RET(read(efd, &v, 8), 8); /* one left: still readable */
    CHECK_RET(wait1(ep, &e, &d), 0);
    v = 1;
    CHECK_RET(write(efd, &v, 8), 8);
    CHECK_RET(wait1(ep, &e, &d), 1);
    /* ET for EPOLLOUT: reported once. */
    CHECK_RET(mod(ep, efd, EPOLLOUT | EPOLLET, 4), 0);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLOUT && d == 4, "events %#x data %llu", e, (unsigned long long)d);
    CHECK_RET(wait1(ep, &e, &d), 0);
    close(efd);
    close(ep);
}

static void test_oneshot(void)
{
    int ep = epoll_create(1);
    int efd = eventfd(1, EFD_NONBLOCK);
    REQUIRE(ep >= 0 && efd >= 0, "epoll_create/eventfd: %s", strerror(errno));
    CHECK_RET(add(ep, efd, EPOLLIN | EPOLLONESHOT, 5), 0);
    uint32_t e = 0;
    uint64_t d = 0;
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(e == EPOLLIN && d == 5, "events %#x data %llu", e, (unsigned long long)d);
    /* Disabled until MOD, however many writes come. */
    CHECK_RET(wait1(ep, &e, &d), 0);
    uint64_t v = 1;
    CHECK_RET(write(efd, &v, 8), 8);
    CHECK_RET(wait1(ep, &e, &d), 0);
    /* ADD again is EEXIST: the item is still there. */
    CHECK_ERRNO(add(ep, efd, EPOLLIN, 6), EEXIST);
    CHECK_RET(mod(ep, efd, EPOLLIN | EPOLLONESHOT, 7), 0);
    CHECK_RET(wait1(ep, &e, &d), 1);
    CHECK(d == 7, "data %llu", (unsigned long long)d);
    CHECK_RET(wait1(ep, &e, &d), 0);
    close(efd);
    close(ep);
}

/* maxevents smaller than the ready items: level-triggered items are
 * reported in turn. */
static void test_maxevents(void)
{
    int ep = epoll_create1(0);
    REQUIRE(ep >= 0, "epoll_create1");
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = eventfd(1, 0);
        REQUIRE(fds[i] >= 0, "eventfd");
        CHECK_RET(add(ep, fds[i], EPOLLIN, (uint64_t)i), 0);
    }
    struct epoll_event ev[3];
    int seen[3] = {0, 0, 0};
    for (int round = 0; round < 3; round++) {
        CHECK_RET(epoll_wait(ep, ev, 1, 0), 1);
        if (ev[0].data.u64 < 3)
            seen[ev[0].data.u64]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1, "round robin %d %d %d", seen[0], seen[1],
          seen[2]);
    CHECK_RET(epoll_wait(ep, ev, 3, 0), 3);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    CHECK_RET(epoll_wait(ep, ev, 3, 0), 0);
    close(ep);
}

/* Items belong to (fd, file): a dup keeps the file, so the item stays;
 * the same file under two fds is two items. */
static void test_fd_file_keys(void)
{
    int ep = epoll_create1(0);
    int p[2];
    REQUIRE(ep >= 0 && pipe(p) == 0, "epoll_create1/pipe");
    int dupfd = dup(p[0]);
    CHECK_RET(add(ep, p[0], EPOLLIN, 10), 0);
    CHECK_RET(add(ep, dupfd, EPOLLIN, 20), 0);
    CHECK_RET(write(p[1], "x", 1), 1);
    struct epoll_event ev[4];
    CHECK_RET(epoll_wait(ep, ev, 4, 0), 2);
    /* Closing p[0] leaves the file open through dupfd: both items stay,
     * but p[0] names nothing now (ENOENT for DEL through it: EBADF). */
    close(p[0]);
    CHECK_RET(epoll_wait(ep, ev, 4, 0), 2);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, dupfd, NULL), 0);
    CHECK_RET(epoll_wait(ep, ev, 4, 0), 1);
    CHECK(ev[0].data.u64 == 10, "data %llu", (unsigned long long)ev[0].data.u64);
    /* The last reference goes: so does the item. */
    close(dupfd);
    CHECK_RET(epoll_wait(ep, ev, 4, 0), 0);
    close(p[1]);
    close(ep);
}

static void test_wait_variants(void)
{
    int ep = epoll_create1(0);
    int efd = eventfd(0, EFD_NONBLOCK);
    REQUIRE(ep >= 0 && efd >= 0, "setup");
    CHECK_RET(add(ep, efd, EPOLLIN, 9), 0);
    struct epoll_event ev[2];
    long t0 = now_ms();
    CHECK_RET(epoll_wait(ep, ev, 2, 100), 0);
    long dt = now_ms() - t0;
    CHECK(dt >= 100 && dt < 2000, "epoll_wait(100ms) took %ld ms", dt);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    t0 = now_ms();
    CHECK_RET(epoll_pwait(ep, ev, 2, 50, &set), 0);
    CHECK(now_ms() - t0 >= 50, "epoll_pwait too short");
    CHECK_RET(sigprocmask(SIG_SETMASK, NULL, &old), 0);
    CHECK(!sigismember(&old, SIGUSR1), "epoll_pwait's mask outlived the call");
    CHECK_ERRNO(syscall(SYS_epoll_pwait, ep, ev, 2, 0, &set, 4), EINVAL);
    struct timespec ts = {0, 50 * 1000000};
    t0 = now_ms();
    CHECK_RET(syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8), 0);
    CHECK(now_ms() - t0 >= 50, "epoll_pwait2 too short");
    ts = (struct timespec){0, 2000000000};
    CHECK_ERRNO(syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_epoll_pwait2, ep, ev, 2, (void *)8, NULL, 8), EFAULT);
    uint64_t v = 1;
    CHECK_RET(write(efd, &v, 8), 8);
    ts = (struct timespec){0, 0};
    CHECK_RET(syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8), 1);
    CHECK_RET(syscall(SYS_epoll_pwait2, ep, ev, 2, NULL, NULL, 8), 1);
    close(efd);
    close(ep);
}

/* The parent sleeps in epoll_wait until a child writes. */
static void test_child_wakes(void)
{
    int ep = epoll_create1(0);
    int p[2];
    REQUIRE(ep >= 0 && pipe(p) == 0, "setup");
    CHECK_RET(add(ep, p[0], EPOLLIN, 77), 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        struct timespec d = {0, 100 * 1000000};
        nanosleep(&d, NULL);
        _exit(write(p[1], "ping", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    struct epoll_event ev[2];
    long t0 = now_ms();
    CHECK_RET(epoll_wait(ep, ev, 2, -1), 1);
    /* EPOLLHUP too if the child is gone already. */
    CHECK((ev[0].events & ~EPOLLHUP) == EPOLLIN && ev[0].data.u64 == 77, "events %#x data %llu",
          ev[0].events, (unsigned long long)ev[0].data.u64);
    CHECK(now_ms() - t0 < 5000, "woken late");
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    char b[8];
    CHECK_RET(read(p[0], b, sizeof b), 4);
    /* The child's end is gone with it. */
    CHECK_RET(epoll_wait(ep, ev, 2, -1), 1);
    CHECK(ev[0].events == EPOLLHUP, "events %#x", ev[0].events);
    close(p[0]);
    close(ep);
}

int main(void)
{
    test_level_triggered();
    test_edge_triggered();
    test_oneshot();
    test_maxevents();
    test_fd_file_keys();
    test_wait_variants();
    test_child_wakes();
    return check_done("epoll_basic");
}
