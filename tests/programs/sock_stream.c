/* AF_UNIX SOCK_STREAM socketpairs: a byte stream without message
 * boundaries, MSG_PEEK / MSG_DONTWAIT / MSG_WAITALL / MSG_TRUNC, readv and
 * writev, non-blocking partial writes, shutdown, the peer's close (EOF,
 * ECONNRESET, EPIPE), poll readiness and SO_PEEK_OFF. */
#include "sock_util.h"

static void test_round_trip(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    char b[64] = "";
    CHECK_RET(write(sv[0], "hello ", 6), 6);
    CHECK_RET(write(sv[0], "world", 5), 5);
    /* No boundaries: one read takes both writes. */
    CHECK_RET(read(sv[1], b, sizeof b), 11);
    CHECK(memcmp(b, "hello world", 11) == 0, "read \"%.11s\"", b);
    /* Both directions. */
    CHECK_RET(send(sv[1], "back", 4, 0), 4);
    CHECK_RET(recv(sv[0], b, 2, 0), 2);
    CHECK_RET(recv(sv[0], b + 2, 10, 0), 2);
    CHECK(memcmp(b, "back", 4) == 0, "recv \"%.4s\"", b);
    /* readv/writev gather and scatter across the stream. */
    struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
    CHECK_RET(writev(sv[0], out, 3), 6);
    char x[3] = "", y[8] = "";
    struct iovec in[2] = {{x, 3}, {y, sizeof y}};
    CHECK_RET(readv(sv[1], in, 2), 6);
    CHECK(memcmp(x, "abc", 3) == 0 && memcmp(y, "def", 3) == 0, "readv \"%.3s\" \"%.3s\"", x, y);
    /* A zero-length read returns at once; a zero-length write sends nothing. */
    CHECK_RET(read(sv[1], b, 0), 0);
    CHECK_RET(write(sv[0], b, 0), 0);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    /* Positional I/O and seeking are not for sockets. */
    CHECK_ERRNO(pread(sv[0], b, 1, 0), ESPIPE);
    CHECK_ERRNO(pwrite(sv[0], b, 1, 0), ESPIPE);
    CHECK_ERRNO(lseek(sv[0], 0, SEEK_CUR), ESPIPE);
    close_pair(sv);
}

static void test_flags(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    char b[64] = "";
    CHECK_RET(send(sv[0], "abcdef", 6, 0), 6);
    int n = -1;
    CHECK_RET(ioctl(sv[1], FIONREAD, &n), 0);
    CHECK(n == 6, "FIONREAD %d, want 6", n);
    /* MSG_PEEK leaves the data. */
    CHECK_RET(recv(sv[1], b, 3, MSG_PEEK), 3);
    CHECK(memcmp(b, "abc", 3) == 0, "peek \"%.3s\"", b);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_PEEK), 6);
    /* MSG_TRUNC means nothing special for a stream. */
    CHECK_RET(recv(sv[1], b, 2, MSG_TRUNC), 2);
    CHECK(memcmp(b, "ab", 2) == 0, "recv \"%.2s\"", b);
    /* A peek spans separate writes. */
    CHECK_RET(send(sv[0], "gh", 2, 0), 2);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_PEEK), 6);
    CHECK(memcmp(b, "cdefgh", 6) == 0, "peek \"%.6s\"", b);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_DONTWAIT), 6);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_PEEK | MSG_DONTWAIT), EAGAIN);
    /* MSG_WAITALL with the data already there, then a short read at EOF. */
    CHECK_RET(send(sv[0], "12345678", 8, 0), 8);
    CHECK_RET(recv(sv[1], b, 4, MSG_WAITALL), 4);
    CHECK_RET(shutdown(sv[0], SHUT_WR), 0);
    CHECK_RET(recv(sv[1], b, 10, MSG_WAITALL), 4);
    CHECK(memcmp(b, "5678", 4) == 0, "waitall \"%.4s\"", b);
    CHECK_RET(recv(sv[1], b, 10, MSG_WAITALL), 0);
    /* recv with a zero length on a stream with data returns 0 at once. */
    CHECK_RET(send(sv[1], "z", 1, 0), 1);
    CHECK_RET(recv(sv[0], b, 0, 0), 0);
    CHECK_RET(recv(sv[0], b, 1, 0), 1);
    close_pair(sv);

    /* SOCK_NONBLOCK sockets behave as MSG_DONTWAIT. */
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
    CHECK_ERRNO(read(sv[0], b, 1), EAGAIN);
    CHECK_ERRNO(recv(sv[0], b, 1, 0), EAGAIN);
    close_pair(sv);
}

static void test_peek_off(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    char b[16] = "";
    int off = 0;
    socklen_t len = sizeof off;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, &len), 0);
    CHECK(off == -1, "SO_PEEK_OFF %d, want -1", off);
    CHECK_RET(send(sv[0], "abcd", 4, 0), 4);
    CHECK_RET(send(sv[0], "efgh", 4, 0), 4);
    off = 0;
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off), 0);
    /* Each peek continues where the last one stopped. */
    CHECK_RET(recv(sv[1], b, 3, MSG_PEEK), 3);
    CHECK(memcmp(b, "abc", 3) == 0, "peek 1 \"%.3s\"", b);
    CHECK_RET(recv(sv[1], b, 3, MSG_PEEK), 3);
    CHECK(memcmp(b, "def", 3) == 0, "peek 2 \"%.3s\"", b);
    len = sizeof off;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, &len), 0);
    CHECK(off == 6, "SO_PEEK_OFF %d, want 6", off);
    /* A read moves the offset back. */
    CHECK_RET(recv(sv[1], b, 4, 0), 4);
    len = sizeof off;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, &len), 0);
    CHECK(off == 2, "SO_PEEK_OFF %d, want 2", off);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_PEEK), 2);
    CHECK(memcmp(b, "gh", 2) == 0, "peek 3 \"%.2s\"", b);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_PEEK | MSG_DONTWAIT), EAGAIN);
    close_pair(sv);
}

static void test_nonblocking_fill(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    size_t big = 4 << 20;
    char *buf = malloc(big);
    REQUIRE(buf != NULL, "malloc");
    for (size_t i = 0; i < big; i++)
        buf[i] = (char)(i * 7);
    CHECK(revents(sv[0]) == (POLLOUT), "fresh socket revents %#x", revents(sv[0]));
    /* A non-blocking write of more than fits is partial, then EAGAIN. */
    ssize_t n = send(sv[0], buf, big, MSG_DONTWAIT);
    CHECK(n > 65536 && n < (ssize_t)big, "partial send %zd", n);
    CHECK_ERRNO(send(sv[0], buf, big, MSG_DONTWAIT), EAGAIN);
    CHECK(!(revents(sv[0]) & POLLOUT), "full socket still POLLOUT: %#x", revents(sv[0]));
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT), "reader revents %#x", revents(sv[1]));
    int q = -1;
    CHECK_RET(ioctl(sv[1], FIONREAD, &q), 0);
    CHECK(q == n, "FIONREAD %d, want %zd", q, n);
    /* The data arrives intact, and draining makes room again. */
    char *got = malloc((size_t)n);
    REQUIRE(got != NULL, "malloc");
    CHECK_RET(recv(sv[1], got, (size_t)n, MSG_WAITALL), n);
    CHECK(memcmp(got, buf, (size_t)n) == 0, "stream data differs");
    CHECK(revents(sv[0]) & POLLOUT, "drained socket not POLLOUT: %#x", revents(sv[0]));
    free(got);
    free(buf);
    close_pair(sv);
}

static void test_shutdown(void)
{
    int sv[2];
    char b[8];
    pair(SOCK_STREAM, sv);
    CHECK_ERRNO(shutdown(sv[0], 3), EINVAL);
    CHECK_ERRNO(shutdown(sv[0], -1), EINVAL);
    /* SHUT_WR: the peer reads EOF, our writes fail with EPIPE. */
    CHECK_RET(send(sv[0], "x", 1, 0), 1);
    CHECK_RET(shutdown(sv[0], SHUT_WR), 0);
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLRDHUP), "peer of SHUT_WR %#x", revents(sv[1]));
    CHECK(revents(sv[0]) == (POLLOUT), "SHUT_WR side %#x", revents(sv[0]));
    CHECK_RET(read(sv[1], b, sizeof b), 1);
    CHECK_RET(read(sv[1], b, sizeof b), 0);
    CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_ERRNO(send(sv[0], "", 0, MSG_NOSIGNAL), EPIPE);
    /* The other direction still works. */
    CHECK_RET(send(sv[1], "y", 1, 0), 1);
    CHECK_RET(recv(sv[0], b, 1, 0), 1);
    /* Both directions shut: POLLHUP on both sides. */
    CHECK_RET(shutdown(sv[1], SHUT_WR), 0);
    CHECK(revents(sv[0]) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "both shut %#x",
          revents(sv[0]));
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "both shut %#x",
          revents(sv[1]));
    CHECK_RET(read(sv[0], b, sizeof b), 0);
    close_pair(sv);

    /* SHUT_RD: our reads see EOF (after the data queued), the peer's
     * writes fail. */
    pair(SOCK_STREAM, sv);
    CHECK_RET(send(sv[1], "ab", 2, 0), 2);
    CHECK_RET(shutdown(sv[0], SHUT_RD), 0);
    CHECK_RET(recv(sv[0], b, sizeof b, 0), 2);
    CHECK_RET(recv(sv[0], b, sizeof b, 0), 0);
    CHECK_ERRNO(send(sv[1], "c", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_RET(send(sv[0], "d", 1, 0), 1);
    close_pair(sv);
}

static void test_peer_close(void)
{
    int sv[2];
    char b[8];
    /* Data written before the close is still read, then EOF. */
    pair(SOCK_STREAM, sv);
    CHECK_RET(send(sv[0], "abc", 3, 0), 3);
    close(sv[0]);
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "peer closed %#x",
          revents(sv[1]));
    CHECK_RET(read(sv[1], b, sizeof b), 3);
    CHECK_RET(read(sv[1], b, sizeof b), 0);
    CHECK_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
    /* write(2) without MSG_NOSIGNAL: EPIPE, SIGPIPE ignored here. */
    CHECK_ERRNO(write(sv[1], "x", 1), EPIPE);
    close(sv[1]);

    /* The peer closed with data of ours unread: ECONNRESET once (also
     * SO_ERROR, POLLERR), then EOF. */
    pair(SOCK_STREAM, sv);
    CHECK_RET(send(sv[1], "lost", 4, 0), 4);
    close(sv[0]);
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP), "reset %#x",
          revents(sv[1]));
    CHECK_ERRNO(read(sv[1], b, sizeof b), ECONNRESET);
    CHECK_RET(read(sv[1], b, sizeof b), 0);
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "after reset %#x",
          revents(sv[1]));
    close(sv[1]);

    pair(SOCK_STREAM, sv);
    CHECK_RET(send(sv[1], "lost", 4, 0), 4);
    close(sv[0]);
    int err = -1;
    socklen_t len = sizeof err;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len), 0);
    CHECK(err == ECONNRESET, "SO_ERROR %d, want ECONNRESET", err);
    len = sizeof err;
    CHECK_RET(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len), 0);
    CHECK(err == 0, "SO_ERROR %d after reading it", err);
    CHECK_RET(read(sv[1], b, sizeof b), 0);
    close(sv[1]);
}

static void test_unconnected(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(s >= 0, "socket: %s", strerror(errno));
    char b[4];
    CHECK(revents(s) == (POLLOUT | POLLHUP), "unconnected revents %#x", revents(s));
    CHECK_ERRNO(read(s, b, 1), EINVAL);
    CHECK_ERRNO(recv(s, b, 1, MSG_DONTWAIT), EINVAL);
    CHECK_ERRNO(write(s, b, 1), ENOTCONN);
    CHECK_ERRNO(send(s, b, 1, MSG_NOSIGNAL), ENOTCONN);
    CHECK_RET(shutdown(s, SHUT_RDWR), 0);
    CHECK(revents(s) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "shut revents %#x", revents(s));
    close(s);
}

static void test_send_errors(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    char b[4] = "";
    struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = "x"};
    /* A connected stream takes no address. */
    CHECK_ERRNO(sendto(sv[0], "a", 1, 0, (struct sockaddr *)&sun, sizeof sun), EISCONN);
    CHECK_ERRNO(sendto(sv[0], "a", 1, 0, (struct sockaddr *)&sun, 200), EINVAL);
    CHECK_ERRNO(sendto(sv[0], "a", 1, 0, (struct sockaddr *)&sun, -1), EINVAL);
    CHECK_RET(sendto(sv[0], "a", 1, 0, (struct sockaddr *)&sun, 0), 1);
    CHECK_ERRNO(send(sv[0], (void *)8, 1, 0), EFAULT);
    CHECK_ERRNO(recv(sv[1], (void *)8, 1, 0), EFAULT);
    CHECK_RET(recv(sv[1], b, 1, 0), 1); /* the failed recv left the byte */
    CHECK_ERRNO(recvfrom(sv[1], b, 1, MSG_DONTWAIT, NULL, NULL), EAGAIN);
    /* recvfrom of a stream from an unnamed peer: address length 0. */
    CHECK_RET(send(sv[0], "q", 1, 0), 1);
    socklen_t alen = sizeof sun;
    CHECK_RET(recvfrom(sv[1], b, 1, 0, (struct sockaddr *)&sun, &alen), 1);
    CHECK(alen == 0, "recvfrom address length %u, want 0", alen);
    close_pair(sv);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_round_trip();
    test_flags();
    test_peek_off();
    test_nonblocking_fill();
    test_shutdown();
    test_peer_close();
    test_unconnected();
    test_send_errors();
    return check_done("sock_stream");
}
