/* Named AF_UNIX sockets: bind (autobind, abstract names, paths), listen,
 * connect and accept for streams and seqpackets, datagrams sent to a
 * name, and their errors (EADDRINUSE, ECONNREFUSED, ENOENT, EPROTOTYPE,
 * EISCONN, EAGAIN on a full backlog...). */
#include "sock_util.h"

#include <stddef.h>

static char dir[64];

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(sun->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static socklen_t path_addr(struct sockaddr_un *sun, const char *name)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s", dir, name);
    return (socklen_t)sizeof *sun;
}

/* A unique abstract name per run (tests run in parallel natively). */
static const char *uniq(const char *base)
{
    static char buf[8][64];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 64, "moat-test-%d-%s", getpid(), base);
    return b;
}

static void test_autobind(void)
{
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(s >= 0, "socket");
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    CHECK_ERRNO(bind(s, (struct sockaddr *)&sun, 1), EINVAL);
    CHECK_RET(bind(s, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path)), 0);
    socklen_t len = sizeof sun;
    CHECK_RET(getsockname(s, (struct sockaddr *)&sun, &len), 0);
    /* "\0" and five hex digits. */
    CHECK(len == 8 && sun.sun_path[0] == '\0', "autobind len %u", len);
    /* Autobind again is a no-op; naming a named socket is EINVAL. */
    CHECK_RET(bind(s, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path)), 0);
    struct sockaddr_un other;
    socklen_t olen = abstract_addr(&other, uniq("again"));
    CHECK_ERRNO(bind(s, (struct sockaddr *)&other, olen), EINVAL);
    close(s);

    /* SO_PASSCRED autobinds a datagram sender: the receiver sees its name. */
    int sv[2];
    pair(SOCK_DGRAM, sv);
    int on = 1;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    CHECK_RET(send(sv[0], "a", 1, 0), 1);
    len = sizeof sun;
    CHECK_RET(getsockname(sv[0], (struct sockaddr *)&sun, &len), 0);
    CHECK(len == 8, "passcred autobind len %u", len);
    char b[4];
    len = sizeof other;
    CHECK_RET(recvfrom(sv[1], b, sizeof b, 0, (struct sockaddr *)&other, &len), 1);
    CHECK(len == 8 && memcmp(&other, &sun, 8) == 0, "sender address len %u", len);
    len = sizeof other;
    CHECK_RET(getpeername(sv[1], (struct sockaddr *)&other, &len), 0);
    CHECK(len == 8, "peer name len %u", len);
    /* That name belongs to a connected socket: EPERM for a third one. */
    int third = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERRNO(connect(third, (struct sockaddr *)&sun, 8), EPERM);
    CHECK_ERRNO(sendto(third, "x", 1, 0, (struct sockaddr *)&sun, 8), EPERM);
    close(third);
    close_pair(sv);
}

static void test_dgram_names(void)
{
    struct sockaddr_un a1, a2, from;
    socklen_t l1 = abstract_addr(&a1, uniq("d1"));
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(r >= 0, "socket");
    CHECK_RET(bind(r, (struct sockaddr *)&a1, l1), 0);
    /* The same name twice: EADDRINUSE, for the same type. */
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERRNO(bind(s, (struct sockaddr *)&a1, l1), EADDRINUSE);
    socklen_t len = sizeof from;
    CHECK_RET(getsockname(r, (struct sockaddr *)&from, &len), 0);
    CHECK(len == l1 && memcmp(&from, &a1, l1) == 0, "abstract name len %u", len);
    /* Unconnected senders reach it by name. */
    CHECK_RET(sendto(s, "hi", 2, 0, (struct sockaddr *)&a1, l1), 2);
    char b[8] = "";
    len = sizeof from;
    CHECK_RET(recvfrom(r, b, sizeof b, 0, (struct sockaddr *)&from, &len), 2);
    CHECK(len == 0, "unnamed sender address len %u", len);
    /* A named sender is seen by name. */
    socklen_t l2 = abstract_addr(&a2, uniq("d2"));
    CHECK_RET(bind(s, (struct sockaddr *)&a2, l2), 0);
    CHECK_RET(sendto(s, "yo", 2, 0, (struct sockaddr *)&a1, l1), 2);
    len = sizeof from;
    CHECK_RET(recvfrom(r, b, sizeof b, 0, (struct sockaddr *)&from, &len), 2);
    CHECK(len == l2 && memcmp(&from, &a2, l2) == 0, "named sender address len %u", len);
    /* connect sets the default destination; AF_UNSPEC removes it. */
    CHECK_RET(connect(s, (struct sockaddr *)&a1, l1), 0);
    CHECK_RET(send(s, "c", 1, 0), 1);
    CHECK_RET(recv(r, b, sizeof b, 0), 1);
    len = sizeof from;
    CHECK_RET(getpeername(s, (struct sockaddr *)&from, &len), 0);
    CHECK(len == l1, "peer len %u", len);
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK_RET(connect(s, &unspec, sizeof unspec), 0);
    CHECK_ERRNO(send(s, "c", 1, 0), ENOTCONN);
    /* Names nobody has. */
    struct sockaddr_un none;
    socklen_t ln = abstract_addr(&none, uniq("nobody"));
    CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&none, ln), ECONNREFUSED);
    CHECK_ERRNO(connect(s, (struct sockaddr *)&none, ln), ECONNREFUSED);
    ln = path_addr(&none, "missing");
    CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&none, ln), ENOENT);
    /* A stream socket's name is another namespace. */
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_RET(bind(st, (struct sockaddr *)&a1, l1), 0);
    close(st);
    /* A closed socket's name is free again. */
    close(r);
    CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&a1, l1), ECONNREFUSED);
    r = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_RET(bind(r, (struct sockaddr *)&a1, l1), 0);
    close(r);
    close(s);
}

static void test_path_bind(void)
{
    struct sockaddr_un sun, got;
    socklen_t len = path_addr(&sun, "sock");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(s >= 0, "socket");
    mode_t old = umask(022);
    CHECK_RET(bind(s, (struct sockaddr *)&sun, len), 0);
    umask(old);
    struct stat st;
    CHECK(stat(sun.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0755,
          "socket file mode %o", st.st_mode);
    socklen_t glen = sizeof got;
    CHECK_RET(getsockname(s, (struct sockaddr *)&got, &glen), 0);
    CHECK(glen == offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1 &&
              strcmp(got.sun_path, sun.sun_path) == 0,
          "path name len %u \"%s\"", glen, got.sun_path);
    /* The path exists: EADDRINUSE even for another socket. */
    int t = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERRNO(bind(t, (struct sockaddr *)&sun, len), EADDRINUSE);
    CHECK_RET(sendto(t, "p", 1, 0, (struct sockaddr *)&sun, len), 1);
    char b[4];
    CHECK_RET(recv(s, b, sizeof b, 0), 1);
    /* Another type at that path: EPROTOTYPE. */
    int ss = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERRNO(connect(ss, (struct sockaddr *)&sun, len), EPROTOTYPE);
    close(ss);
    /* A path that is not a socket. */
    struct sockaddr_un file;
    socklen_t flen = path_addr(&file, "plain");
    int fd = open(file.sun_path, O_CREAT | O_WRONLY, 0600);
    close(fd);
    CHECK_ERRNO(sendto(t, "x", 1, 0, (struct sockaddr *)&file, flen), ECONNREFUSED);
    CHECK_ERRNO(bind(t, (struct sockaddr *)&file, flen), EADDRINUSE);
    unlink(file.sun_path);
    /* Once unlinked, the path reaches nothing (the socket lives on). */
    CHECK_RET(unlink(sun.sun_path), 0);
    CHECK_ERRNO(sendto(t, "x", 1, 0, (struct sockaddr *)&sun, len), ENOENT);
    /* A socket file left behind by a closed socket refuses. */
    struct sockaddr_un left;
    socklen_t llen = path_addr(&left, "left");
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_RET(bind(u, (struct sockaddr *)&left, llen), 0);
    close(u);
    CHECK_ERRNO(sendto(t, "x", 1, 0, (struct sockaddr *)&left, llen), ECONNREFUSED);
    unlink(left.sun_path);
    /* A missing directory. */
    struct sockaddr_un deep;
    socklen_t dlen = path_addr(&deep, "no/such/dir");
    CHECK_ERRNO(bind(t, (struct sockaddr *)&deep, dlen), ENOENT);
    close(t);
    close(s);
}

static void test_listen_accept(int type, int named_by_path)
{
    struct sockaddr_un sun, got;
    socklen_t len = named_by_path ? path_addr(&sun, "listen") : abstract_addr(&sun, uniq("l"));
    int l = socket(AF_UNIX, type, 0);
    REQUIRE(l >= 0, "socket");
    /* Unbound: listen is EINVAL; accept on a non-listener too. */
    CHECK_ERRNO(listen(l, 5), EINVAL);
    CHECK_ERRNO(accept(l, NULL, NULL), EINVAL);
    CHECK_RET(bind(l, (struct sockaddr *)&sun, len), 0);
    CHECK_RET(listen(l, 1), 0);
    int on = 0;
    socklen_t olen = sizeof on;
    CHECK_RET(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen), 0);
    CHECK(on == 1, "SO_ACCEPTCONN %d", on);
    CHECK(revents(l) == 0, "idle listener revents %#x", revents(l));
    CHECK_RET(fcntl(l, F_SETFL, O_NONBLOCK), 0);
    CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
    CHECK_RET(fcntl(l, F_SETFL, 0), 0);

    /* A connection: data flows both ways before and after accept. */
    int c = socket(AF_UNIX, type, 0);
    CHECK_RET(connect(c, (struct sockaddr *)&sun, len), 0);
    CHECK_ERRNO(connect(c, (struct sockaddr *)&sun, len), EISCONN);
    CHECK(revents(l) == POLLIN, "listener with a connection revents %#x", revents(l));
    CHECK_RET(send(c, "early", 5, 0), 5);
    socklen_t glen = sizeof got;
    int a = accept4(l, (struct sockaddr *)&got, &glen, SOCK_CLOEXEC | SOCK_NONBLOCK);
    CHECK(a >= 0, "accept4: %s", strerror(errno));
    CHECK(glen == 2, "accepted peer address len %u", glen);
    CHECK_RET(fcntl(a, F_GETFD), FD_CLOEXEC);
    CHECK(fcntl(a, F_GETFL) & O_NONBLOCK, "accepted socket blocks");
    char b[16] = "";
    CHECK_RET(recv(a, b, sizeof b, 0), 5);
    CHECK(memcmp(b, "early", 5) == 0, "early data \"%.5s\"", b);
    CHECK_RET(send(a, "reply", 5, 0), 5);
    CHECK_RET(recv(c, b, sizeof b, 0), 5);
    /* Names: the accepted socket is named as the listener. */
    glen = sizeof got;
    CHECK_RET(getsockname(a, (struct sockaddr *)&got, &glen), 0);
    CHECK(glen == (named_by_path ? offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1
                                 : len),
          "accepted socket name len %u", glen);
    glen = sizeof got;
    CHECK_RET(getpeername(c, (struct sockaddr *)&got, &glen), 0);
    CHECK(glen > 2, "connector's peer name len %u", glen);
    /* SO_PEERCRED both ways: this process. */
    struct ucred uc;
    olen = sizeof uc;
    CHECK_RET(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &uc, &olen), 0);
    CHECK(uc.pid == getpid(), "accepted peercred pid %d", uc.pid);
    olen = sizeof uc;
    CHECK_RET(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &olen), 0);
    CHECK(uc.pid == getpid(), "connector peercred pid %d", uc.pid);
    /* EOF when the connector closes. */
    close(c);
    CHECK_RET(recv(a, b, sizeof b, 0), 0);
    close(a);

    /* A full backlog: a non-blocking connect is EAGAIN. Backlog 1 holds
     * two pending connections, as Linux. */
    int c1 = socket(AF_UNIX, type, 0), c2 = socket(AF_UNIX, type, 0);
    int c3 = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
    CHECK_RET(connect(c1, (struct sockaddr *)&sun, len), 0);
    CHECK_RET(connect(c2, (struct sockaddr *)&sun, len), 0);
    CHECK_ERRNO(connect(c3, (struct sockaddr *)&sun, len), EAGAIN);
    /* A connection never accepted is reset when the listener closes. */
    CHECK_RET(send(c1, "x", 1, 0), 1);
    close(l);
    CHECK_ERRNO(recv(c1, b, sizeof b, 0), ECONNRESET);
    CHECK_RET(recv(c1, b, sizeof b, 0), 0);
    /* A seqpacket send reports the pending error first. */
    CHECK_ERRNO(send(c2, "x", 1, MSG_NOSIGNAL), type == SOCK_SEQPACKET ? ECONNRESET : EPIPE);
    CHECK_ERRNO(send(c2, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_ERRNO(connect(c3, (struct sockaddr *)&sun, len), ECONNREFUSED);
    close(c1);
    close(c2);
    close(c3);
    if (named_by_path)
        unlink(sun.sun_path);
}

static void test_listen_errors(void)
{
    struct sockaddr_un sun;
    socklen_t len = abstract_addr(&sun, uniq("le"));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_RET(bind(d, (struct sockaddr *)&sun, len), 0);
    CHECK_ERRNO(listen(d, 1), EOPNOTSUPP);
    CHECK_ERRNO(accept(d, NULL, NULL), EOPNOTSUPP);
    close(d);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_RET(bind(s, (struct sockaddr *)&sun, len), 0);
    /* Bound but not listening: connections are refused. */
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERRNO(connect(c, (struct sockaddr *)&sun, len), ECONNREFUSED);
    CHECK_RET(listen(s, -1), 0);
    CHECK_RET(listen(s, 5), 0); /* again: a new backlog */
    CHECK_ERRNO(accept4(s, NULL, NULL, 0x1), EINVAL);
    /* A connected socketpair cannot connect or listen. */
    int sv[2];
    pair(SOCK_STREAM, sv);
    CHECK_ERRNO(connect(sv[0], (struct sockaddr *)&sun, len), EISCONN);
    CHECK_ERRNO(listen(sv[0], 1), EINVAL);
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK_ERRNO(connect(c, &unspec, sizeof unspec), EINVAL);
    CHECK_ERRNO(connect(c, (struct sockaddr *)&sun, 1), EINVAL);
    CHECK_ERRNO(connect(c, (struct sockaddr *)&sun, 200), EINVAL);
    CHECK_ERRNO(connect(c, (struct sockaddr *)bad_addr, len), EFAULT);
    /* shutdown of a listener wakes nobody up into a connection: EINVAL. */
    CHECK_RET(shutdown(s, SHUT_RD), 0);
    CHECK_ERRNO(accept(s, NULL, NULL), EINVAL);
    close_pair(sv);
    close(c);
    close(s);
}

/* A child connects and talks to the parent's listener. */
static void child_client(void *arg)
{
    struct sockaddr_un *sun = arg;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(c >= 0, "socket");
    CHECK_RET(connect(c, (struct sockaddr *)sun, sizeof *sun), 0);
    CHECK_RET(send(c, "from child", 10, 0), 10);
    char b[8];
    CHECK_RET(recv(c, b, sizeof b, 0), 2);
    close(c);
}

static void test_fork_server(void)
{
    struct sockaddr_un sun;
    socklen_t len = path_addr(&sun, "server");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_RET(bind(l, (struct sockaddr *)&sun, len), 0);
    CHECK_RET(listen(l, 5), 0);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        check_failures = 0;
        child_client(&sun);
        _exit(check_failures ? 1 : 0);
    }
    /* accept blocks until the child connects. */
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0, "accept: %s", strerror(errno));
    char b[16] = "";
    CHECK_RET(recv(a, b, 10, MSG_WAITALL), 10);
    struct ucred uc;
    socklen_t olen = sizeof uc;
    CHECK_RET(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &uc, &olen), 0);
    CHECK(uc.pid == pid, "peer of the accepted socket: pid %d, want %d", uc.pid, pid);
    CHECK_RET(send(a, "ok", 2, 0), 2);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    close(a);
    close(l);
    unlink(sun.sun_path);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/moat-sock-bind.XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    test_autobind();
    test_dgram_names();
    test_path_bind();
    test_listen_accept(SOCK_STREAM, 0);
    test_listen_accept(SOCK_SEQPACKET, 1);
    test_listen_errors();
    test_fork_server();
    rmdir(dir);
    return check_done("sock_bind");
}
