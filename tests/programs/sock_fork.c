/* AF_UNIX socketpairs between a parent and a forked child: blocking reads
 * woken by the other process, MSG_WAITALL across several writes, a large
 * transfer through a stream (the writer blocks on a full buffer), datagram
 * ping-pong, SO_PEERCRED naming the creator, passing an fd to the child,
 * poll and epoll woken by the other process, receives interrupted by a
 * signal, and SIGPIPE's default action on a stream write to a closed
 * peer. */
#include "sock_util.h"

#include <sys/epoll.h>
#include <sys/time.h>

#define BIG (3 << 20)

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 31 + (i >> 12));
}

static void test_waitall(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(sv[0]);
        /* Several small writes, with pauses, that one WAITALL read gathers. */
        for (int i = 0; i < 5; i++) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (write(sv[1], "ab", 2) != 2)
                _exit(2);
        }
        char b;
        if (read(sv[1], &b, 1) != 1 || b != 'k')
            _exit(3);
        _exit(0);
    }
    close(sv[1]);
    char b[16] = "";
    CHECK_RET(recv(sv[0], b, 10, MSG_WAITALL), 10);
    CHECK(memcmp(b, "ababababab", 10) == 0, "waitall \"%.10s\"", b);
    CHECK_RET(write(sv[0], "k", 1), 1);
    /* The child exits: EOF. */
    CHECK_RET(read(sv[0], b, sizeof b), 0);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(sv[0]);
}

static void test_big_transfer(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(sv[0]);
        unsigned char *buf = malloc(BIG);
        if (!buf)
            _exit(2);
        for (size_t i = 0; i < BIG; i++)
            buf[i] = pattern(i);
        /* One blocking write of more than the socket holds. */
        if (write(sv[1], buf, BIG) != BIG)
            _exit(3);
        /* Then echo back what comes. */
        size_t got = 0;
        while (got < BIG) {
            ssize_t n = read(sv[1], buf + got, BIG - got);
            if (n <= 0)
                _exit(4);
            got += (size_t)n;
        }
        for (size_t i = 0; i < BIG; i++) {
            if (buf[i] != (unsigned char)~pattern(i))
                _exit(5);
        }
        _exit(0);
    }
    close(sv[1]);
    unsigned char *buf = malloc(BIG);
    REQUIRE(buf != NULL, "malloc");
    /* Read in odd-sized pieces while the child is blocked writing. */
    size_t got = 0;
    while (got < BIG) {
        size_t want = 7777;
        if (want > BIG - got)
            want = BIG - got;
        ssize_t n = read(sv[0], buf + got, want);
        if (n <= 0) {
            CHECK(0, "read at %zu: %zd %s", got, n, strerror(errno));
            break;
        }
        got += (size_t)n;
    }
    size_t bad = BIG;
    for (size_t i = 0; i < got; i++) {
        if (buf[i] != pattern(i)) {
            bad = i;
            break;
        }
    }
    CHECK(bad == BIG, "stream data differs at %zu", bad);
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (unsigned char)~pattern(i);
    /* writev in two halves. */
    struct iovec iov[2] = {{buf, BIG / 2}, {buf + BIG / 2, BIG - BIG / 2}};
    CHECK_RET(writev(sv[0], iov, 2), BIG);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    free(buf);
    close(sv[0]);
}

static void test_ping_pong(int type)
{
    int sv[2];
    pair(type, sv);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(sv[0]);
        /* The child sees the parent as the peer (the pair's creator). */
        struct ucred uc;
        socklen_t len = sizeof uc;
        if (getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 || uc.pid != getppid())
            _exit(2);
        for (int i = 0; i < 100; i++) {
            int v;
            if (recv(sv[1], &v, sizeof v, 0) != sizeof v)
                _exit(3);
            v++;
            if (send(sv[1], &v, sizeof v, 0) != sizeof v)
                _exit(4);
        }
        _exit(0);
    }
    close(sv[1]);
    int v = 0;
    for (int i = 0; i < 100; i++) {
        int w = v * 2;
        if (send(sv[0], &w, sizeof w, 0) != sizeof w) {
            CHECK(0, "send %d: %s", i, strerror(errno));
            break;
        }
        if (recv(sv[0], &v, sizeof v, 0) != sizeof v || v != w + 1) {
            CHECK(0, "recv %d: got %d want %d", i, v, w + 1);
            break;
        }
    }
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(sv[0]);
}

/* The parent passes a pipe's write end to the child, which writes into it. */
static void test_pass_fd(void)
{
    int sv[2], p[2];
    pair(SOCK_DGRAM, sv);
    REQUIRE(pipe(p) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(sv[0]);
        close(p[0]);
        close(p[1]);
        char b[4];
        int fds[1], n = 0, flags = 0;
        if (recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int)), fds, 1, &n, &flags, 0) != 1 ||
            n != 1)
            _exit(2);
        if (write(fds[0], "from child", 10) != 10)
            _exit(3);
        _exit(0);
    }
    close(sv[1]);
    CHECK_RET(send_fds(sv[0], "w", 1, &p[1], 1, 0), 1);
    close(p[1]);
    char b[16] = "";
    CHECK_RET(read(p[0], b, sizeof b), 10);
    CHECK(memcmp(b, "from child", 10) == 0, "pipe \"%.10s\"", b);
    /* The child's copy closed at its exit: EOF. */
    CHECK_RET(read(p[0], b, sizeof b), 0);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(p[0]);
    close(sv[0]);
}

/* poll and epoll sleep until the other process makes the socket ready:
 * data (POLLIN), room after a drain (POLLOUT), the peer's close (POLLHUP,
 * EPOLLRDHUP). */
static void test_poll_wakeup(int type)
{
    int sv[2];
    pair(type, sv);
    int v = 1;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    /* Fill sv[0]'s send buffer. */
    char fill[1024] = "";
    while (send(sv[0], fill, type == SOCK_STREAM ? sizeof fill : 16, MSG_DONTWAIT) > 0)
        ;
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(sv[0]);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        /* Drain, then answer, then go away. */
        char b[1024];
        while (recv(sv[1], b, sizeof b, MSG_DONTWAIT) > 0)
            ;
        nanosleep(&ts, NULL);
        if (send(sv[1], "r", 1, 0) != 1)
            _exit(2);
        nanosleep(&ts, NULL);
        _exit(0);
    }
    close(sv[1]);
    struct pollfd p = {sv[0], POLLOUT, 0};
    CHECK_RET(poll(&p, 1, 5000), 1);
    CHECK(p.revents == POLLOUT, "POLLOUT after the drain: %#x", p.revents);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    REQUIRE(ep >= 0, "epoll_create1: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7};
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
    struct epoll_event got = {0};
    CHECK_RET(epoll_wait(ep, &got, 1, 5000), 1);
    CHECK(got.events == EPOLLIN && got.data.u32 == 7, "epoll events %#x", got.events);
    char b;
    CHECK_RET(recv(sv[0], &b, 1, 0), 1);
    if (type != SOCK_DGRAM) {
        /* The child's exit closes its end. */
        CHECK_RET(epoll_wait(ep, &got, 1, 5000), 1);
        CHECK(got.events == (EPOLLIN | EPOLLHUP | EPOLLRDHUP), "epoll at close %#x", got.events);
        p = (struct pollfd){sv[0], POLLIN, 0};
        CHECK_RET(poll(&p, 1, 5000), 1);
        CHECK(p.revents == (POLLIN | POLLHUP), "poll at close %#x", p.revents);
    }
    close(ep);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(sv[0]);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A signal interrupts a blocking receive: EINTR without SA_RESTART, and
 * with SA_RESTART too once SO_RCVTIMEO is set (Linux's sock_intr_errno);
 * without a timeout SA_RESTART restarts the receive. */
static void test_interrupt(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    REQUIRE(sigaction(SIGALRM, &sa, &old) == 0, "sigaction");
    struct itimerval it = {{0, 0}, {0, 100000}};
    char b[4];
    REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    CHECK_ERRNO(recv(sv[0], b, sizeof b, 0), EINTR);
    sa.sa_flags = SA_RESTART;
    REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
    struct timeval tv = {2, 0};
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    CHECK_ERRNO(recv(sv[0], b, sizeof b, 0), EINTR);
    tv.tv_sec = 0;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
        _exit(write(sv[1], "abc", 3) == 3 ? 0 : 2);
    }
    REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    CHECK_RET(recv(sv[0], b, sizeof b, 0), 3);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    sigaction(SIGALRM, &old, NULL);
    close_pair(sv);
}

/* A stream write to a closed peer without MSG_NOSIGNAL raises SIGPIPE,
 * whose default action ends the process. */
static void test_sigpipe(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    close(sv[1]);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        (void)!write(sv[0], "x", 1);
        _exit(0);
    }
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE, "child status %#x", status);
    close(sv[0]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_waitall();
    test_big_transfer();
    test_ping_pong(SOCK_DGRAM);
    test_ping_pong(SOCK_SEQPACKET);
    test_ping_pong(SOCK_STREAM);
    test_pass_fd();
    test_poll_wakeup(SOCK_STREAM);
    test_poll_wakeup(SOCK_SEQPACKET);
    test_poll_wakeup(SOCK_DGRAM);
    test_interrupt();
    test_sigpipe();
    return check_done("sock_fork");
}
