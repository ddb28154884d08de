/* AF_UNIX socket creation and options: socket/socketpair arguments and
 * errors, SOCK_NONBLOCK/SOCK_CLOEXEC, fstat and /proc/self/fd, names,
 * getsockopt/setsockopt (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR,
 * SO_PEERCRED, buffer sizes, timeouts...), ENOTSOCK and EBADF. */
#include "sock_util.h"

#include <limits.h>
#include <sys/resource.h>

static int get_int(int fd, int name)
{
    int v = -12345;
    socklen_t len = sizeof v;
    int r = getsockopt(fd, SOL_SOCKET, name, &v, &len);
    CHECK(r == 0 && len == sizeof v, "getsockopt(%d): %d len %u %s", name, r, len, strerror(errno));
    return v;
}

static void test_create(void)
{
    int sv[2] = {-1, -1};
    CHECK_ERRNO(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHECK_ERRNO(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT); /* AF_MAX */
    CHECK_ERRNO(socket(AF_UNIX, 11, 0), EINVAL);
    CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
    CHECK_ERRNO(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
    CHECK_ERRNO(socket(AF_UNIX, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
    CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
    CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv), EINVAL);
    CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)bad_addr), EFAULT);
    CHECK_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, (int *)bad_addr), EFAULT);
    CHECK_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 7, sv), EPROTONOSUPPORT);

    /* PF_UNIX as the protocol; SOCK_RAW is a datagram socket. */
    int s = socket(AF_UNIX, SOCK_RAW, PF_UNIX);
    REQUIRE(s >= 0, "socket(SOCK_RAW): %s", strerror(errno));
    CHECK(get_int(s, SO_TYPE) == SOCK_DGRAM, "SOCK_RAW type %d", get_int(s, SO_TYPE));
    CHECK(get_int(s, SO_PROTOCOL) == 0, "protocol %d", get_int(s, SO_PROTOCOL));
    close(s);

    /* Flags. */
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
            "socketpair: %s", strerror(errno));
    CHECK_RET(fcntl(sv[0], F_GETFL), O_RDWR | O_NONBLOCK);
    CHECK_RET(fcntl(sv[1], F_GETFD), FD_CLOEXEC);
    close_pair(sv);
    pair(SOCK_STREAM, sv);
    CHECK_RET(fcntl(sv[0], F_GETFL), O_RDWR);
    CHECK_RET(fcntl(sv[0], F_GETFD), 0);

    /* fstat: S_IFSOCK, a distinct inode each, named in /proc/self/fd. */
    struct stat s0, s1;
    REQUIRE(fstat(sv[0], &s0) == 0 && fstat(sv[1], &s1) == 0, "fstat: %s", strerror(errno));
    CHECK(S_ISSOCK(s0.st_mode) && (s0.st_mode & 07777) == 0777, "mode %o", s0.st_mode);
    CHECK(s0.st_ino != s1.st_ino && s0.st_dev == s1.st_dev, "inodes %lu %lu",
          (unsigned long)s0.st_ino, (unsigned long)s1.st_ino);
    CHECK(s0.st_nlink == 1 && s0.st_size == 0 && s0.st_uid == geteuid(), "nlink %lu size %ld",
          (unsigned long)s0.st_nlink, (long)s0.st_size);
    char link[64], want[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
    snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)s0.st_ino);
    ssize_t n = readlink(path, link, sizeof link - 1);
    CHECK(n > 0, "readlink %s: %s", path, strerror(errno));
    if (n > 0) {
        link[n] = '\0';
        CHECK(strcmp(link, want) == 0, "%s -> \"%s\", want \"%s\"", path, link, want);
    }
    struct stat ls;
    CHECK(stat(path, &ls) == 0 && S_ISSOCK(ls.st_mode) && ls.st_ino == s0.st_ino,
          "stat through /proc/self/fd");
    CHECK_ERRNO(open(path, O_RDWR), ENXIO);
    close_pair(sv);
}

static void test_emfile(void)
{
    struct rlimit old, lim;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit");
    int top = dup(0);
    REQUIRE(top >= 0, "dup");
    close(top);
    lim = old;
    lim.rlim_cur = (rlim_t)top + 1; /* room for one more fd */
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit: %s", strerror(errno));
    int sv[2];
    CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), EMFILE);
    CHECK_RET(fcntl(top, F_GETFD) < 0, 1); /* nothing was left open */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(s == top, "socket fd %d, want %d", s, top);
    CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 0), EMFILE);
    close(s);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit");
}

static void test_getsockopt(void)
{
    int sv[2];
    pair(SOCK_SEQPACKET, sv);
    CHECK(get_int(sv[0], SO_TYPE) == SOCK_SEQPACKET, "SO_TYPE");
    CHECK(get_int(sv[0], SO_DOMAIN) == AF_UNIX, "SO_DOMAIN");
    CHECK(get_int(sv[0], SO_PROTOCOL) == 0, "SO_PROTOCOL");
    CHECK(get_int(sv[0], SO_ERROR) == 0, "SO_ERROR");
    CHECK(get_int(sv[0], SO_ACCEPTCONN) == 0, "SO_ACCEPTCONN");
    CHECK(get_int(sv[0], SO_PASSCRED) == 0, "SO_PASSCRED");
    CHECK(get_int(sv[0], SO_SNDBUF) == 212992, "SO_SNDBUF %d", get_int(sv[0], SO_SNDBUF));
    CHECK(get_int(sv[0], SO_RCVBUF) == 212992, "SO_RCVBUF %d", get_int(sv[0], SO_RCVBUF));
    CHECK(get_int(sv[0], SO_RCVLOWAT) == 1, "SO_RCVLOWAT");
    CHECK(get_int(sv[0], SO_SNDLOWAT) == 1, "SO_SNDLOWAT");
    CHECK(get_int(sv[0], SO_KEEPALIVE) == 0, "SO_KEEPALIVE");

    /* SO_PEERCRED: the creator of the pair, on both ends. */
    struct ucred uc = {0};
    socklen_t len = sizeof uc;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &uc, &len), 0);
    CHECK(len == sizeof uc && uc.pid == getpid() && uc.uid == geteuid() && uc.gid == getegid(),
          "SO_PEERCRED %d %u %u (len %u)", uc.pid, uc.uid, uc.gid, len);
    /* A long buffer is cut to the value, a short one gets a prefix. */
    char big[64];
    len = sizeof big;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, big, &len), 0);
    CHECK(len == sizeof(int), "len %u", len);
    short half = 0;
    len = sizeof half;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &half, &len), 0);
    CHECK(len == 2 && half == SOCK_SEQPACKET, "len %u value %d", len, half);
    len = 0;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, NULL, &len), 0);
    CHECK(len == 0, "len %u", len);

    /* Errors. */
    int v;
    len = sizeof v;
    CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
    CHECK_ERRNO(getsockopt(sv[0], 1000, SO_TYPE, &v, &len), EOPNOTSUPP);
    CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
    CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, (void *)8, &len), EFAULT);
    len = (socklen_t)-1;
    CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
    close_pair(sv);

    /* An unconnected socket has no peer. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(s >= 0, "socket");
    len = sizeof uc;
    CHECK_RET(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len), 0);
    CHECK(uc.pid == 0 && uc.uid == (uid_t)-1 && uc.gid == (gid_t)-1, "unconnected peercred %d",
          uc.pid);
    len = sizeof big;
    CHECK_ERRNO(getsockopt(s, SOL_SOCKET, SO_PEERNAME, big, &len), ENOTCONN);
    close(s);
}

static void test_setsockopt(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    int v = 10000;
    /* Buffer sizes are doubled, with floors. */
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_SNDBUF) == 20000, "SO_SNDBUF %d", get_int(sv[0], SO_SNDBUF));
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_RCVBUF) == 20000, "SO_RCVBUF %d", get_int(sv[0], SO_RCVBUF));
    v = 1;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_SNDBUF) == 4608, "SO_SNDBUF %d", get_int(sv[0], SO_SNDBUF));
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_RCVBUF) == 2304, "SO_RCVBUF %d", get_int(sv[0], SO_RCVBUF));
    /* Booleans read back as 0/1. */
    v = 5;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_PASSCRED) == 1, "SO_PASSCRED");
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_KEEPALIVE) == 1, "SO_KEEPALIVE");
    v = -1;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v), 0);
    CHECK(get_int(sv[0], SO_RCVLOWAT) == INT_MAX, "SO_RCVLOWAT %d", get_int(sv[0], SO_RCVLOWAT));
    struct linger lg = {1, 5};
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    memset(&lg, 0, sizeof lg);
    socklen_t len = sizeof lg;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    CHECK(lg.l_onoff == 1 && lg.l_linger == 5 && len == sizeof lg, "SO_LINGER %d %d", lg.l_onoff,
          lg.l_linger);
    /* Errors. */
    v = 1;
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, 2), EINVAL);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, -1), EINVAL);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, (void *)8, 4), EFAULT);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
    CHECK_ERRNO(setsockopt(sv[0], 1000, SO_PASSCRED, &v, sizeof v), EOPNOTSUPP);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_REUSEPORT, &v, sizeof v), EOPNOTSUPP);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL);
    close_pair(sv);
}

static void test_timeouts(void)
{
    int sv[2];
    pair(SOCK_DGRAM, sv);
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
    CHECK(tv.tv_sec == 0 && tv.tv_usec == 0 && len == sizeof tv, "default timeout");
    tv = (struct timeval){0, 200000};
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    tv = (struct timeval){1, 500000};
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
    memset(&tv, 0, sizeof tv);
    len = sizeof tv;
    CHECK_RET(getsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
    CHECK(tv.tv_sec == 1 && tv.tv_usec == 500000, "SO_SNDTIMEO %ld.%06ld", (long)tv.tv_sec,
          (long)tv.tv_usec);
    /* A blocking receive gives up with EAGAIN after the timeout. */
    char b[4];
    double t0 = now_sec();
    CHECK_ERRNO(recv(sv[0], b, sizeof b, 0), EAGAIN);
    double took = now_sec() - t0;
    CHECK(took >= 0.19 && took < 5, "recv with a 0.2 s timeout took %.3f s", took);
    /* A blocked sender too. */
    int v = 1;
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    tv = (struct timeval){0, 100000};
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
    while (send(sv[1], b, 1, MSG_DONTWAIT) == 1)
        ;
    t0 = now_sec();
    CHECK_ERRNO(send(sv[1], b, 1, 0), EAGAIN);
    took = now_sec() - t0;
    CHECK(took >= 0.09 && took < 5, "send with a 0.1 s timeout took %.3f s", took);
    /* Bad values. */
    tv = (struct timeval){0, 1000000};
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
    CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
    /* A negative time means "do not wait". */
    tv = (struct timeval){-1, 0};
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, 0), EAGAIN);
    close_pair(sv);
}

static void test_names(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct sockaddr_un sun;
    memset(&sun, 0x55, sizeof sun);
    socklen_t len = sizeof sun;
    CHECK_RET(getsockname(sv[0], (struct sockaddr *)&sun, &len), 0);
    CHECK(len == 2 && sun.sun_family == AF_UNIX, "getsockname len %u family %d", len,
          sun.sun_family);
    len = sizeof sun;
    CHECK_RET(getpeername(sv[0], (struct sockaddr *)&sun, &len), 0);
    CHECK(len == 2 && sun.sun_family == AF_UNIX, "getpeername len %u", len);
    /* A short buffer: a prefix, and the full length. */
    len = 1;
    CHECK_RET(getsockname(sv[0], (struct sockaddr *)&sun, &len), 0);
    CHECK(len == 2, "short getsockname len %u", len);
    CHECK_ERRNO(getsockname(sv[0], (struct sockaddr *)&sun, NULL), EFAULT);
    len = (socklen_t)-1;
    CHECK_ERRNO(getsockname(sv[0], (struct sockaddr *)&sun, &len), EINVAL);
    /* The peer's name survives its close for a stream. */
    close(sv[1]);
    len = sizeof sun;
    CHECK_RET(getpeername(sv[0], (struct sockaddr *)&sun, &len), 0);
    close(sv[0]);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(s >= 0, "socket");
    len = sizeof sun;
    CHECK_ERRNO(getpeername(s, (struct sockaddr *)&sun, &len), ENOTCONN);
    close(s);
}

static void test_not_sockets(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    char b[4];
    int v = 0;
    socklen_t len = sizeof v;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct msghdr m = {0};
    CHECK_ERRNO(send(p[1], "x", 1, 0), ENOTSOCK);
    CHECK_ERRNO(recv(p[0], b, 1, 0), ENOTSOCK);
    CHECK_ERRNO(sendto(p[1], "x", 1, 0, NULL, 0), ENOTSOCK);
    CHECK_ERRNO(recvfrom(p[0], b, 1, 0, NULL, NULL), ENOTSOCK);
    CHECK_ERRNO(sendmsg(p[1], &m, 0), ENOTSOCK);
    CHECK_ERRNO(recvmsg(p[0], &m, 0), ENOTSOCK);
    CHECK_ERRNO(shutdown(p[0], SHUT_RD), ENOTSOCK);
    CHECK_ERRNO(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
    CHECK_ERRNO(setsockopt(p[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof v), ENOTSOCK);
    CHECK_ERRNO(getsockname(p[0], (struct sockaddr *)&sun, &len), ENOTSOCK);
    CHECK_ERRNO(getpeername(p[0], (struct sockaddr *)&sun, &len), ENOTSOCK);
    CHECK_ERRNO(bind(p[0], (struct sockaddr *)&sun, sizeof sun), ENOTSOCK);
    CHECK_ERRNO(listen(p[0], 1), ENOTSOCK);
    CHECK_ERRNO(accept(p[0], NULL, NULL), ENOTSOCK);
    CHECK_ERRNO(connect(p[0], (struct sockaddr *)&sun, sizeof sun), ENOTSOCK);
    close(p[0]);
    close(p[1]);
    CHECK_ERRNO(send(p[0], "x", 1, 0), EBADF);
    CHECK_ERRNO(getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len), EBADF);
    CHECK_ERRNO(accept4(p[0], NULL, NULL, 0x1), EBADF);
}

int main(void)
{
    test_create();
    test_emfile();
    test_getsockopt();
    test_setsockopt();
    test_timeouts();
    test_names();
    test_not_sockets();
    return check_done("sock_opts");
}
