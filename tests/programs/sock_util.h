/* Helpers for the AF_UNIX socket behaviour programs (sock_*.c). */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* An address no program maps (volatile: the compiler cannot see it). */
static void *volatile bad_addr = (void *)8;

/* A socketpair of type, or the program stops. */
static inline void pair(int type, int sv[2])
{
    REQUIRE(socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair(%d): %s", type, strerror(errno));
}

static inline void close_pair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* The readiness poll(2) reports for fd right now (every event asked). */
static inline int revents(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
    int n = poll(&p, 1, 0);
    return n < 0 ? -1 : p.revents;
}

/* Runs fn in a child process; its CHECK failures become its exit status,
 * which the parent checks. */
static inline void in_child(void (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        check_failures = 0;
        fn(arg);
        fflush(NULL);
        _exit(check_failures ? 1 : 0);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: status %#x", status);
}

static inline double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends len bytes of buf with nfds fds in one SCM_RIGHTS message. */
static inline ssize_t send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds,
                               int flags)
{
    char ctl[CMSG_SPACE(sizeof(int) * 300)];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)buf, len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        m.msg_control = ctl;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    return sendmsg(sock, &m, flags);
}

/* Receives into buf with a control buffer of ctl_len bytes; fills fds (up
 * to max) from an SCM_RIGHTS message, sets *out_nfds and *out_flags. */
static inline ssize_t recv_fds(int sock, void *buf, size_t len, size_t ctl_len, int *fds, int max,
                               int *out_nfds, int *out_flags, int flags)
{
    char ctl[4096] __attribute__((aligned(8)));
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {buf, len};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl_len ? ctl : NULL,
                       .msg_controllen = ctl_len};
    ssize_t r = recvmsg(sock, &m, flags);
    *out_nfds = 0;
    *out_flags = m.msg_flags;
    if (r < 0)
        return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < n && *out_nfds < max; i++)
            memcpy(&fds[(*out_nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    return r;
}

/* The number of fds open below 1024 in this process. */
static inline int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    }
    return n;
}
