/* Control messages on AF_UNIX sockets: SCM_RIGHTS (a pipe and a file
 * passed and used, MSG_CMSG_CLOEXEC, MSG_CTRUNC dropping what does not
 * fit, references held while in flight, peeking, EBADF/EINVAL at send)
 * and SCM_CREDENTIALS (SO_PASSCRED, validation of what is sent). */
#include "sock_util.h"

static char tmpfile_path[64];

static int make_file(void)
{
    snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/moat-sock-scm.XXXXXX");
    int fd = mkstemp(tmpfile_path);
    REQUIRE(fd >= 0, "mkstemp: %s", strerror(errno));
    REQUIRE(write(fd, "file data", 9) == 9, "write");
    return fd;
}

static void test_rights(int type)
{
    int sv[2], p[2];
    pair(type, sv);
    REQUIRE(pipe(p) == 0, "pipe");
    int file = make_file();
    char b[16] = "";
    /* Pass the pipe's write end and the file. */
    int fds[2] = {p[1], file};
    CHECK_RET(send_fds(sv[0], "F", 1, fds, 2, 0), 1);
    int got[4] = {-1, -1, -1, -1}, n = 0, flags = 0;
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags, 0), 1);
    CHECK(n == 2, "received %d fds", n);
    CHECK(flags == 0, "msg_flags %#x", flags);
    if (n == 2) {
        CHECK(got[0] != p[1] && got[1] != file, "new fds %d %d", got[0], got[1]);
        CHECK_RET(fcntl(got[0], F_GETFD), 0);
        /* The received write end writes into our pipe. */
        CHECK_RET(write(got[0], "via fd", 6), 6);
        CHECK_RET(read(p[0], b, sizeof b), 6);
        CHECK(memcmp(b, "via fd", 6) == 0, "pipe read \"%.6s\"", b);
        /* The received file shares the open file description (offset). */
        CHECK_RET(lseek(got[1], 0, SEEK_CUR), 9);
        CHECK_RET(pread(got[1], b, 4, 0), 4);
        CHECK(memcmp(b, "file", 4) == 0, "file read \"%.4s\"", b);
        struct stat s1, s2;
        CHECK(fstat(file, &s1) == 0 && fstat(got[1], &s2) == 0 && s1.st_ino == s2.st_ino,
              "received file is another inode");
        close(got[0]);
        close(got[1]);
    }
    /* MSG_CMSG_CLOEXEC: the new fds are close-on-exec, and the flag is
     * echoed in msg_flags. */
    CHECK_RET(send_fds(sv[0], "G", 1, fds, 1, 0), 1);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags,
                       MSG_CMSG_CLOEXEC),
              1);
    CHECK(n == 1, "received %d fds", n);
    CHECK(flags == MSG_CMSG_CLOEXEC, "msg_flags %#x", flags);
    if (n == 1) {
        CHECK_RET(fcntl(got[0], F_GETFD), FD_CLOEXEC);
        close(got[0]);
    }
    /* A control buffer with room for one fd: the second is dropped (and
     * released), MSG_CTRUNC. */
    int before = count_fds();
    CHECK_RET(send_fds(sv[0], "H", 1, fds, 2, 0), 1);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_LEN(sizeof(int)), got, 4, &n, &flags, 0), 1);
    CHECK(n == 1, "received %d fds", n);
    CHECK(flags == MSG_CTRUNC, "msg_flags %#x, want MSG_CTRUNC", flags);
    CHECK(count_fds() == before + 1, "%d fds open, want %d", count_fds(), before + 1);
    if (n == 1)
        close(got[0]);
    /* No control buffer at all: every fd dropped. */
    CHECK_RET(send_fds(sv[0], "I", 1, fds, 2, 0), 1);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, 0, got, 4, &n, &flags, 0), 1);
    CHECK(n == 0 && flags == MSG_CTRUNC, "%d fds, msg_flags %#x", n, flags);
    /* read(2) drops them too. */
    CHECK_RET(send_fds(sv[0], "J", 1, fds, 2, 0), 1);
    CHECK_RET(read(sv[1], b, sizeof b), 1);
    CHECK(count_fds() == before, "%d fds open, want %d", count_fds(), before);
    /* A peek gets its own copies; the read gets them again. */
    CHECK_RET(send_fds(sv[0], "K", 1, fds, 1, 0), 1);
    CHECK_RET(
        recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags, MSG_PEEK), 1);
    CHECK(n == 1, "peeked %d fds", n);
    if (n == 1)
        close(got[0]);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags, 0), 1);
    CHECK(n == 1, "received %d fds", n);
    if (n == 1)
        close(got[0]);
    CHECK(count_fds() == before, "%d fds open, want %d", count_fds(), before);

    /* Files in flight keep their references: the pipe sees no EOF while
     * its write end sits in a queue, and sees it once that is dropped. */
    CHECK_RET(send_fds(sv[0], "L", 1, &p[1], 1, 0), 1);
    close(p[1]);
    CHECK_RET(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_ERRNO(read(p[0], b, 1), EAGAIN);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, 0, got, 4, &n, &flags, 0), 1);
    CHECK(flags == MSG_CTRUNC, "msg_flags %#x", flags);
    CHECK_RET(read(p[0], b, 1), 0);
    close(p[0]);
    close(file);
    unlink(tmpfile_path);
    close_pair(sv);
}

static void test_rights_errors(void)
{
    int sv[2];
    pair(SOCK_DGRAM, sv);
    int bad = 1000;
    CHECK_ERRNO(send_fds(sv[0], "x", 1, &bad, 1, 0), EBADF);
    int neg = -1;
    CHECK_ERRNO(send_fds(sv[0], "x", 1, &neg, 1, 0), EBADF);
    /* SCM_MAX_FD is 253. */
    int many[254];
    for (int i = 0; i < 254; i++)
        many[i] = sv[0];
    CHECK_ERRNO(send_fds(sv[0], "x", 1, many, 254, 0), EINVAL);
    CHECK_RET(send_fds(sv[0], "x", 1, many, 253, 0), 1);
    int got[253], n = 0, flags = 0;
    char b[4];
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 253), got, 253, &n, &flags, 0),
              1);
    CHECK(n == 253, "received %d fds", n);
    for (int i = 0; i < n; i++)
        close(got[i]);
    /* A malformed control message. */
    char ctl[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {"x", 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = sizeof ctl + 8; /* longer than the buffer */
    CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
    c->cmsg_len = 8; /* shorter than a header */
    CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_type = 99; /* unknown type at SOL_SOCKET */
    CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
    c->cmsg_level = 1234; /* other levels are skipped */
    CHECK_RET(sendmsg(sv[0], &m, 0), 1);
    CHECK_RET(recv(sv[1], b, sizeof b, 0), 1);
    m.msg_control = (void *)8;
    CHECK_ERRNO(sendmsg(sv[0], &m, 0), EFAULT);
    /* MSG_CMSG_COMPAT is refused. */
    CHECK_ERRNO(sendmsg(sv[0], &m, (int)0x80000000), EINVAL);
    CHECK_ERRNO(recvmsg(sv[1], &m, (int)0x80000000), EINVAL);
    m.msg_control = NULL;
    m.msg_controllen = 0;
    m.msg_iovlen = 1025;
    CHECK_ERRNO(sendmsg(sv[0], &m, 0), EMSGSIZE);
    close_pair(sv);
}

/* Two sends with fds on a stream: a read stops after the buffer that
 * carried files, so each read gets its own. */
static void test_rights_stream(void)
{
    int sv[2], p[2];
    pair(SOCK_STREAM, sv);
    REQUIRE(pipe(p) == 0, "pipe");
    CHECK_RET(send(sv[0], "ab", 2, 0), 2);
    CHECK_RET(send_fds(sv[0], "cd", 2, &p[0], 1, 0), 2);
    CHECK_RET(send_fds(sv[0], "ef", 2, &p[1], 1, 0), 2);
    char b[16] = "";
    int got[4], n = 0, flags = 0;
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags, 0), 4);
    CHECK(n == 1 && memcmp(b, "abcd", 4) == 0, "first read: %d fds \"%.4s\"", n, b);
    if (n == 1)
        close(got[0]);
    CHECK_RET(recv_fds(sv[1], b, sizeof b, CMSG_SPACE(sizeof(int) * 4), got, 4, &n, &flags, 0), 2);
    CHECK(n == 1 && memcmp(b, "ef", 2) == 0, "second read: %d fds \"%.2s\"", n, b);
    if (n == 1)
        close(got[0]);
    close(p[0]);
    close(p[1]);
    close_pair(sv);
}

/* Receives one byte and returns its SCM_CREDENTIALS (pid -1 if none). */
static struct ucred recv_creds(int sock, int *out_flags)
{
    char b[1];
    char ctl[CMSG_SPACE(sizeof(struct ucred)) + 64] __attribute__((aligned(8)));
    struct iovec iov = {b, sizeof b};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct ucred uc = {.pid = -1};
    ssize_t r = recvmsg(sock, &m, 0);
    CHECK(r >= 0, "recvmsg: %s", strerror(errno));
    *out_flags = m.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len == CMSG_LEN(sizeof uc))
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
    }
    return uc;
}

static ssize_t send_creds(int sock, pid_t pid, uid_t uid, gid_t gid)
{
    char ctl[CMSG_SPACE(sizeof(struct ucred))] __attribute__((aligned(8)));
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {"c", 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred uc = {pid, uid, gid};
    memcpy(CMSG_DATA(c), &uc, sizeof uc);
    return sendmsg(sock, &m, 0);
}

static void test_creds_as_user(void *arg)
{
    int *sv = arg;
    REQUIRE(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0, "setresuid: %s",
            strerror(errno));
    /* An unprivileged sender may only send its own pid and ids. */
    CHECK_RET(send_creds(sv[0], getpid(), 1000, 1000), 1);
    CHECK_ERRNO(send_creds(sv[0], getpid(), 0, 1000), EPERM);
    CHECK_ERRNO(send_creds(sv[0], getpid(), 1000, 0), EPERM);
    CHECK_ERRNO(send_creds(sv[0], getppid(), 1000, 1000), EPERM);
    /* Its messages carry its credentials when the receiver asks. */
    CHECK_RET(send(sv[0], "d", 1, 0), 1);
}

static void test_creds(int type)
{
    int sv[2], flags = 0;
    pair(type, sv);
    int on = 1;
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    /* Every message carries the sender's credentials, sent or not. */
    CHECK_RET(send(sv[0], "a", 1, 0), 1);
    struct ucred uc = recv_creds(sv[1], &flags);
    CHECK(uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid(), "creds %d %u %u", uc.pid,
          uc.uid, uc.gid);
    CHECK(flags == 0, "msg_flags %#x", flags);
    CHECK_RET(send_creds(sv[0], getpid(), getuid(), getgid()), 1);
    uc = recv_creds(sv[1], &flags);
    CHECK(uc.pid == getpid() && uc.uid == getuid(), "sent creds %d %u", uc.pid, uc.uid);
    /* Without SO_PASSCRED on the receiver, none are delivered. */
    on = 0;
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    CHECK_RET(send(sv[0], "b", 1, 0), 1);
    uc = recv_creds(sv[1], &flags);
    CHECK(uc.pid == -1, "creds without SO_PASSCRED: pid %d", uc.pid);
    /* Validation of sent credentials. */
    CHECK_ERRNO(send_creds(sv[0], getpid(), (uid_t)-1, getgid()), EINVAL);
    CHECK_ERRNO(send_creds(sv[0], 0x3fffffff, 0, 0), ESRCH); /* root: any pid, if it exists */
    /* A child that dropped root. */
    on = 1;
    CHECK_RET(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    in_child(test_creds_as_user, sv);
    uc = recv_creds(sv[1], &flags);
    CHECK(uc.uid == 1000 && uc.gid == 1000, "child's sent creds %u %u", uc.uid, uc.gid);
    uc = recv_creds(sv[1], &flags);
    CHECK(uc.uid == 1000 && uc.gid == 1000 && uc.pid != getpid(), "child's creds %d %u %u", uc.pid,
          uc.uid, uc.gid);
    /* A control buffer too small for the credentials: MSG_CTRUNC. */
    CHECK_RET(send(sv[0], "e", 1, 0), 1);
    char b[4], ctl[16] __attribute__((aligned(8)));
    struct iovec iov = {b, sizeof b};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    CHECK_RET(recvmsg(sv[1], &m, 0), 1);
    CHECK(m.msg_flags == MSG_CTRUNC, "msg_flags %#x", m.msg_flags);
    CHECK(m.msg_controllen == 16, "msg_controllen %zu", (size_t)m.msg_controllen);
    close_pair(sv);
}

int main(void)
{
    test_rights(SOCK_DGRAM);
    test_rights(SOCK_SEQPACKET);
    test_rights(SOCK_STREAM);
    test_rights_errors();
    test_rights_stream();
    test_creds(SOCK_DGRAM);
    test_creds(SOCK_STREAM);
    return check_done("sock_scm");
}
