/* AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET socketpairs: message boundaries,
 * truncation (MSG_TRUNC in msg_flags and as a recv flag), zero-length
 * messages, MSG_PEEK, EMSGSIZE and the send buffer, EOF and errors after
 * the peer's close or shutdown, MSG_OOB, sendmmsg/recvmmsg. */
#include "sock_util.h"

static void test_boundaries(int type)
{
    int sv[2];
    pair(type, sv);
    char b[64] = "";
    CHECK_RET(send(sv[0], "first", 5, 0), 5);
    CHECK_RET(write(sv[0], "", 0), 0); /* an empty message */
    CHECK_RET(send(sv[0], "second!", 7, 0), 7);
    int n = -1;
    CHECK_RET(ioctl(sv[1], FIONREAD, &n), 0);
    /* FIONREAD: the next datagram, or everything for seqpacket. */
    CHECK(n == (type == SOCK_DGRAM ? 5 : 12), "FIONREAD %d", n);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_PEEK), 5);
    CHECK_RET(recv(sv[1], b, sizeof b, 0), 5);
    CHECK(memcmp(b, "first", 5) == 0, "first \"%.5s\"", b);
    CHECK_RET(recv(sv[1], b, sizeof b, 0), 0);
    /* A short buffer truncates the message; the rest is gone. */
    struct iovec iov = {b, 3};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK_RET(recvmsg(sv[1], &m, 0), 3);
    CHECK(m.msg_flags == MSG_TRUNC, "msg_flags %#x, want MSG_TRUNC", m.msg_flags);
    CHECK(memcmp(b, "sec", 3) == 0, "truncated \"%.3s\"", b);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    /* recv(MSG_TRUNC) returns the message's real length. */
    CHECK_RET(send(sv[0], "0123456789", 10, 0), 10);
    CHECK_RET(recv(sv[1], b, 4, MSG_TRUNC | MSG_PEEK), 10);
    CHECK_RET(recv(sv[1], b, 4, MSG_TRUNC), 10);
    CHECK(memcmp(b, "0123", 4) == 0, "MSG_TRUNC data \"%.4s\"", b);
    /* A zero-length recv consumes a whole message. */
    CHECK_RET(send(sv[0], "gone", 4, 0), 4);
    CHECK_RET(recv(sv[1], b, 0, 0), 0);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    /* read(2) of zero bytes does not. */
    CHECK_RET(send(sv[0], "kept", 4, 0), 4);
    CHECK_RET(read(sv[1], b, 0), 0);
    CHECK_RET(read(sv[1], b, sizeof b), 4);
    /* writev sends one message; readv scatters it. */
    struct iovec out[2] = {{"ab", 2}, {"cd", 2}};
    CHECK_RET(writev(sv[0], out, 2), 4);
    char x[1], y[8];
    struct iovec in[2] = {{x, 1}, {y, sizeof y}};
    CHECK_RET(readv(sv[1], in, 2), 4);
    CHECK(x[0] == 'a' && memcmp(y, "bcd", 3) == 0, "readv");
    /* MSG_OOB is for streams only. */
    CHECK_ERRNO(send(sv[0], "o", 1, MSG_OOB), EOPNOTSUPP);
    CHECK_ERRNO(recv(sv[1], b, 1, MSG_OOB), EOPNOTSUPP);
    close_pair(sv);
}

static void test_sizes(int type)
{
    int sv[2];
    pair(type, sv);
    size_t big = 300000;
    char *buf = calloc(1, big);
    REQUIRE(buf != NULL, "calloc");
    /* The largest message is SO_SNDBUF - 32. */
    CHECK_ERRNO(send(sv[0], buf, 212961, MSG_DONTWAIT), EMSGSIZE);
    CHECK_RET(send(sv[0], buf, 212960, MSG_DONTWAIT), 212960);
    CHECK(!(revents(sv[0]) & POLLOUT), "full socket POLLOUT %#x", revents(sv[0]));
    CHECK_ERRNO(send(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
    CHECK_RET(recv(sv[1], buf, big, 0), 212960);
    CHECK(revents(sv[0]) & POLLOUT, "drained socket not POLLOUT %#x", revents(sv[0]));
    /* A smaller SO_SNDBUF lowers the limit (4608 is the floor). */
    int v = 1;
    CHECK_RET(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    CHECK_ERRNO(send(sv[0], buf, 4577, 0), EMSGSIZE);
    CHECK_RET(send(sv[0], buf, 4576, 0), 4576);
    CHECK_RET(recv(sv[1], buf, big, 0), 4576);
    /* Filling with small messages ends in EAGAIN; all of them arrive. */
    int sent = 0;
    while (send(sv[0], &sent, sizeof sent, MSG_DONTWAIT) == sizeof sent)
        sent++;
    CHECK(errno == EAGAIN, "fill ended with %s", strerror(errno));
    CHECK(sent > 0 && sent < 100, "%d messages fit in 4608 bytes", sent);
    for (int i = 0; i < sent; i++) {
        int got = -1;
        CHECK_RET(recv(sv[1], &got, sizeof got, MSG_DONTWAIT), sizeof got);
        CHECK(got == i, "message %d is %d", i, got);
    }
    CHECK_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
    free(buf);
    close_pair(sv);
}

static void test_seqpacket_close(void)
{
    int sv[2];
    char b[8];
    pair(SOCK_SEQPACKET, sv);
    CHECK_RET(send(sv[0], "abc", 3, 0), 3);
    close(sv[0]);
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "closed peer %#x",
          revents(sv[1]));
    CHECK_RET(read(sv[1], b, sizeof b), 3);
    CHECK_RET(read(sv[1], b, sizeof b), 0);
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_DONTWAIT), 0);
    /* EPIPE, and no SIGPIPE for seqpacket (the default action would kill
     * us: SIGPIPE is not ignored in this program). */
    CHECK_ERRNO(write(sv[1], "x", 1), EPIPE);
    CHECK_ERRNO(send(sv[1], "x", 1, 0), EPIPE);
    close(sv[1]);

    /* Shutdown: SHUT_WR gives the peer EOF, SHUT_RD makes its sends fail. */
    pair(SOCK_SEQPACKET, sv);
    CHECK_RET(shutdown(sv[0], SHUT_WR), 0);
    CHECK_RET(recv(sv[1], b, sizeof b, 0), 0);
    CHECK_ERRNO(send(sv[0], "x", 1, 0), EPIPE);
    CHECK_RET(shutdown(sv[1], SHUT_RD), 0);
    CHECK_ERRNO(send(sv[0], "x", 1, 0), EPIPE);
    close_pair(sv);

    /* An unconnected seqpacket socket. */
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    REQUIRE(s >= 0, "socket");
    CHECK(revents(s) == (POLLOUT | POLLHUP), "unconnected %#x", revents(s));
    CHECK_ERRNO(recv(s, b, 1, MSG_DONTWAIT), ENOTCONN);
    CHECK_ERRNO(send(s, b, 1, 0), ENOTCONN);
    close(s);
}

static void test_dgram_close(void)
{
    int sv[2];
    char b[8];
    pair(SOCK_DGRAM, sv);
    CHECK_RET(send(sv[0], "abc", 3, 0), 3);
    close(sv[0]);
    /* A datagram peer's close is not an EOF. */
    CHECK(revents(sv[1]) == (POLLIN | POLLOUT), "closed peer %#x", revents(sv[1]));
    CHECK_RET(recv(sv[1], b, sizeof b, MSG_DONTWAIT), 3);
    CHECK_ERRNO(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    /* The first send notices: ECONNREFUSED, then the socket is unconnected. */
    CHECK_ERRNO(send(sv[1], "x", 1, 0), ECONNREFUSED);
    CHECK_ERRNO(send(sv[1], "x", 1, 0), ENOTCONN);
    struct sockaddr_un sun;
    socklen_t len = sizeof sun;
    CHECK_ERRNO(getpeername(sv[1], (struct sockaddr *)&sun, &len), ENOTCONN);
    close(sv[1]);

    /* Shutdown of a datagram socket is local to it. */
    pair(SOCK_DGRAM, sv);
    CHECK_RET(shutdown(sv[0], SHUT_RD), 0);
    CHECK(revents(sv[0]) == (POLLIN | POLLOUT | POLLRDHUP), "SHUT_RD %#x", revents(sv[0]));
    CHECK_RET(recv(sv[0], b, sizeof b, 0), 0);
    CHECK_ERRNO(recv(sv[0], b, sizeof b, MSG_DONTWAIT), EAGAIN);
    CHECK_ERRNO(send(sv[1], "x", 1, 0), EPIPE); /* no SIGPIPE either */
    CHECK_RET(shutdown(sv[1], SHUT_WR), 0);
    CHECK_ERRNO(send(sv[1], "x", 1, 0), EPIPE);
    CHECK(revents(sv[1]) == POLLOUT, "SHUT_WR %#x", revents(sv[1]));
    close_pair(sv);

    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(s >= 0, "socket");
    CHECK(revents(s) == POLLOUT, "unconnected %#x", revents(s));
    CHECK_ERRNO(recv(s, b, 1, MSG_DONTWAIT), EAGAIN);
    CHECK_ERRNO(send(s, b, 1, 0), ENOTCONN);
    CHECK_ERRNO(sendto(s, b, 1, 0, (struct sockaddr *)&sun, 2), EINVAL);
    close(s);
}

static void test_mmsg(void)
{
    int sv[2];
    pair(SOCK_DGRAM, sv);
    char d0[] = "one", d1[] = "three", d2[] = "";
    struct iovec iov[3] = {{d0, 3}, {d1, 5}, {d2, 0}};
    struct mmsghdr mm[3];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_RET(sendmmsg(sv[0], mm, 3, 0), 3);
    CHECK(mm[0].msg_len == 3 && mm[1].msg_len == 5 && mm[2].msg_len == 0, "msg_len %u %u %u",
          mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    char r[4][8];
    struct iovec riov[4];
    struct mmsghdr rm[4];
    memset(rm, 0, sizeof rm);
    for (int i = 0; i < 4; i++) {
        riov[i] = (struct iovec){r[i], 4};
        rm[i].msg_hdr.msg_iov = &riov[i];
        rm[i].msg_hdr.msg_iovlen = 1;
    }
    /* MSG_WAITFORONE: blocks for the first, takes what is there. */
    CHECK_RET(recvmmsg(sv[1], rm, 4, MSG_WAITFORONE, NULL), 3);
    CHECK(rm[0].msg_len == 3 && rm[1].msg_len == 4 && rm[2].msg_len == 0, "msg_len %u %u %u",
          rm[0].msg_len, rm[1].msg_len, rm[2].msg_len);
    CHECK(rm[1].msg_hdr.msg_flags == MSG_TRUNC, "second flags %#x", rm[1].msg_hdr.msg_flags);
    CHECK(memcmp(r[1], "thre", 4) == 0, "second \"%.4s\"", r[1]);
    CHECK_ERRNO(recvmmsg(sv[1], rm, 4, MSG_DONTWAIT, NULL), EAGAIN);
    CHECK_RET(send(sv[0], "x", 1, 0), 1);
    CHECK_RET(recvmmsg(sv[1], rm, 4, MSG_DONTWAIT, NULL), 1);
    close_pair(sv);
}

int main(void)
{
    test_boundaries(SOCK_DGRAM);
    test_boundaries(SOCK_SEQPACKET);
    test_sizes(SOCK_DGRAM);
    test_sizes(SOCK_SEQPACKET);
    test_seqpacket_close();
    test_dgram_close();
    test_mmsg();
    return check_done("sock_dgram");
}
