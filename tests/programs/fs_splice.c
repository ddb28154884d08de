/* splice(2) and tee(2): file to pipe (with and without an offset, page-wise
 * filling of the pipe's slots), pipe to file with offsets, pipe to pipe,
 * tee duplicating without consuming, blocking until a writer comes, and the
 * errno cases of Linux's fs/splice.c (EINVAL, ESPIPE, EFAULT, EBADF,
 * EAGAIN, EPIPE). */
#include "fs_util.h"

#include <sys/ioctl.h>

#define BIG 100000

static char pattern[BIG];

static int pipe_avail(int fd)
{
    int n = -1;
    CHECK(ioctl(fd, FIONREAD, &n) == 0, "FIONREAD: %s", strerror(errno));
    return n;
}

static int make_big(const char *path)
{
    for (int i = 0; i < BIG; i++)
        pattern[i] = (char)('a' + (i * 7 + i / 13) % 26);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
    REQUIRE(write(fd, pattern, BIG) == BIG, "write %s", path);
    REQUIRE(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    return fd;
}

static void test_file_to_pipe(void)
{
    int fd = make_big("big");
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    char buf[BIG];

    /* No offset: the file position moves. */
    CHECK_RET(splice(fd, NULL, p[1], NULL, 5000, 0), 5000);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 5000);
    CHECK_RET(pipe_avail(p[0]), 5000);
    CHECK_RET(read(p[0], buf, sizeof buf), 5000);
    CHECK(memcmp(buf, pattern, 5000) == 0, "file->pipe data differs");

    /* An offset: it is updated, the file position is not. */
    loff_t off = 100;
    CHECK_RET(splice(fd, &off, p[1], NULL, 50, SPLICE_F_MOVE | SPLICE_F_MORE), 50);
    CHECK(off == 150, "off_in %lld, want 150", (long long)off);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 5000);
    CHECK_RET(read(p[0], buf, sizeof buf), 50);
    CHECK(memcmp(buf, pattern + 100, 50) == 0, "file->pipe at offset differs");

    /* At most what the pipe holds: 16 pages, filled page by page of the
     * file (from an unaligned offset the first slot is short). */
    off = 0;
    CHECK_RET(splice(fd, &off, p[1], NULL, BIG, 0), 65536);
    CHECK_RET(read(p[0], buf, sizeof buf), 65536);
    CHECK(memcmp(buf, pattern, 65536) == 0, "full-pipe data differs");
    off = 100;
    CHECK_RET(splice(fd, &off, p[1], NULL, BIG, 0), 65536 - 100);
    CHECK_RET(read(p[0], buf, sizeof buf), 65536 - 100);
    CHECK(memcmp(buf, pattern + 100, 65536 - 100) == 0, "unaligned full-pipe data differs");

    /* End of file: 0. */
    off = BIG;
    CHECK_RET(splice(fd, &off, p[1], NULL, 10, 0), 0);
    off = BIG - 3;
    CHECK_RET(splice(fd, &off, p[1], NULL, 10, 0), 3);
    CHECK_RET(read(p[0], buf, sizeof buf), 3);

    /* Spliced slots take no merged writes: a one-page pipe holding 10
     * spliced bytes is full for write(2). */
    CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
    CHECK_RET(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    off = 0;
    CHECK_RET(splice(fd, &off, p[1], NULL, 10, 0), 10);
    CHECK_ERRNO(write(p[1], "x", 1), EAGAIN);
    /* A full pipe: EAGAIN for a non-blocking end or SPLICE_F_NONBLOCK. */
    CHECK_ERRNO(splice(fd, &off, p[1], NULL, 10, 0), EAGAIN);
    CHECK_RET(fcntl(p[1], F_SETFL, 0), 0);
    CHECK_ERRNO(splice(fd, &off, p[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_RET(read(p[0], buf, sizeof buf), 10);

    /* /dev/zero into the pipe. */
    int z = open("/dev/zero", O_RDONLY);
    REQUIRE(z >= 0, "open /dev/zero");
    CHECK_RET(splice(z, NULL, p[1], NULL, 100, 0), 100);
    CHECK_RET(read(p[0], buf, sizeof buf), 100);
    CHECK(buf[0] == 0 && buf[99] == 0, "zeros");
    close(z);

    /* No reader: EPIPE (SIGPIPE ignored). */
    signal(SIGPIPE, SIG_IGN);
    close(p[0]);
    off = 0;
    CHECK_ERRNO(splice(fd, &off, p[1], NULL, 10, 0), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
    close(fd);
}

static void test_pipe_to_file(void)
{
    int fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create out");
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    char buf[64] = "";

    CHECK_RET(write(p[1], "abcdef", 6), 6);
    loff_t off = 10;
    CHECK_RET(splice(p[0], NULL, fd, &off, 4, 0), 4);
    CHECK(off == 14, "off_out %lld, want 14", (long long)off);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 0);
    CHECK_RET(pread(fd, buf, sizeof buf, 10), 4);
    CHECK(memcmp(buf, "abcd", 4) == 0, "pipe->file at offset: \"%.4s\"", buf);
    CHECK_RET(pipe_avail(p[0]), 2);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 14, "size %lld, want 14", (long long)st.st_size);

    /* No offset: the file position; only what is buffered (no waiting once
     * something moved). */
    CHECK_RET(write(p[1], "gh", 2), 2);
    CHECK_RET(splice(p[0], NULL, fd, NULL, 100, 0), 4);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 4);
    CHECK_RET(pread(fd, buf, 4, 0), 4);
    CHECK(memcmp(buf, "efgh", 4) == 0, "pipe->file at pos: \"%.4s\"", buf);

    /* Empty pipe: EAGAIN non-blocking, 0 at EOF. */
    CHECK_ERRNO(splice(p[0], NULL, fd, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_RET(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_ERRNO(splice(p[0], NULL, fd, NULL, 10, 0), EAGAIN);
    CHECK_RET(fcntl(p[0], F_SETFL, 0), 0);

    /* Blocking until a writer writes. */
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        usleep(100 * 1000);
        _exit(write(p[1], "late", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    CHECK_RET(splice(p[0], NULL, fd, NULL, 100, 0), 4);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "writer child status %#x", status);
    CHECK_RET(pread(fd, buf, 4, 4), 4);
    CHECK(memcmp(buf, "late", 4) == 0, "blocking splice: \"%.4s\"", buf);
    CHECK_RET(splice(p[0], NULL, fd, NULL, 10, 0), 0);
    close(p[0]);
    close(fd);
}

static void test_pipe_to_pipe(void)
{
    int a[2], b[2];
    REQUIRE(pipe(a) == 0 && pipe(b) == 0, "pipe");
    char buf[64] = "";
    CHECK_RET(write(a[1], "0123456789", 10), 10);
    CHECK_RET(splice(a[0], NULL, b[1], NULL, 4, 0), 4);
    CHECK_RET(pipe_avail(a[0]), 6);
    CHECK_RET(splice(a[0], NULL, b[1], NULL, 100, 0), 6);
    CHECK_RET(read(b[0], buf, sizeof buf), 10);
    CHECK(memcmp(buf, "0123456789", 10) == 0, "pipe->pipe: \"%.10s\"", buf);
    CHECK_ERRNO(splice(a[0], NULL, b[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    close(a[1]);
    CHECK_RET(splice(a[0], NULL, b[1], NULL, 10, 0), 0);
    close(a[0]);
    close(b[0]);
    close(b[1]);
}

static void test_tee(void)
{
    int a[2], b[2];
    REQUIRE(pipe(a) == 0 && pipe(b) == 0, "pipe");
    char buf[64] = "";
    CHECK_RET(write(a[1], "tee-data", 8), 8);
    CHECK_RET(tee(a[0], b[1], 100, 0), 8);
    CHECK_RET(pipe_avail(a[0]), 8);
    CHECK_RET(pipe_avail(b[0]), 8);
    CHECK_RET(tee(a[0], b[1], 3, 0), 3);
    CHECK_RET(read(b[0], buf, sizeof buf), 11);
    CHECK(memcmp(buf, "tee-datatee", 11) == 0, "tee copy: \"%.11s\"", buf);
    CHECK_RET(read(a[0], buf, sizeof buf), 8);
    CHECK(memcmp(buf, "tee-data", 8) == 0, "tee source: \"%.8s\"", buf);

    /* Data spread over several slots. */
    CHECK_RET(write(a[1], "one", 3), 3);
    CHECK_RET(tee(a[0], b[1], 2, 0), 2); /* b gets a slot of its own */
    CHECK_RET(read(b[0], buf, sizeof buf), 2);
    CHECK(memcmp(buf, "on", 2) == 0, "partial tee: \"%.2s\"", buf);
    CHECK_RET(read(a[0], buf, sizeof buf), 3);

    CHECK_ERRNO(tee(a[0], b[1], 10, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_RET(fcntl(b[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_ERRNO(tee(a[0], b[1], 10, 0), EAGAIN);
    close(a[1]);
    CHECK_RET(tee(a[0], b[1], 10, 0), 0);
    close(a[0]);
    close(b[0]);
    close(b[1]);
}

static void test_errors(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create data");
    REQUIRE(write(fd, "0123456789", 10) == 10, "write data");
    int fd2 = open("data2", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd2 >= 0, "create data2");
    int wo = open("data", O_WRONLY);
    REQUIRE(wo >= 0, "open wronly");
    int app = open("data2", O_WRONLY | O_APPEND);
    REQUIRE(app >= 0, "open append");
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    REQUIRE(dir >= 0, "open .");
    int p[2], q[2];
    REQUIRE(pipe(p) == 0 && pipe(q) == 0, "pipe");
    loff_t off = 0;

    /* len 0 is 0 before anything else; unknown flags EINVAL. */
    CHECK_RET(splice(-1, NULL, -1, NULL, 0, 0), 0);
    CHECK_RET(splice(fd, NULL, fd2, NULL, 0, 0x100), 0);
    CHECK_ERRNO(splice(fd, NULL, p[1], NULL, 10, 0x10), EINVAL);
    CHECK_ERRNO(tee(p[0], q[1], 0, 0x10), EINVAL);
    CHECK_RET(tee(-1, -1, 0, 0), 0);

    /* Bad fds and fd modes. */
    CHECK_ERRNO(splice(-1, NULL, p[1], NULL, 10, 0), EBADF);
    CHECK_ERRNO(splice(fd, NULL, 999, NULL, 10, 0), EBADF);
    CHECK_ERRNO(splice(wo, NULL, p[1], NULL, 10, 0), EBADF);
    CHECK_ERRNO(splice(p[1], NULL, fd, NULL, 10, 0), EBADF);
    CHECK_ERRNO(splice(fd, NULL, p[0], NULL, 10, 0), EBADF);
    CHECK_ERRNO(tee(p[1], q[1], 10, 0), EBADF);
    CHECK_ERRNO(tee(p[0], q[0], 10, 0), EBADF);
    CHECK_ERRNO(tee(-1, q[1], 10, 0), EBADF);

    /* Neither end a pipe; a directory; O_APPEND output. */
    CHECK_ERRNO(splice(fd, NULL, fd2, NULL, 10, 0), EINVAL);
    CHECK_ERRNO(splice(dir, NULL, p[1], NULL, 10, 0), EINVAL);
    CHECK_RET(write(p[1], "xy", 2), 2);
    CHECK_ERRNO(splice(p[0], NULL, app, NULL, 10, 0), EINVAL);
    CHECK_ERRNO(tee(fd, q[1], 10, 0), EINVAL);
    CHECK_ERRNO(tee(p[0], fd2, 10, 0), EINVAL);

    /* The same pipe. */
    CHECK_ERRNO(splice(p[0], NULL, p[1], NULL, 10, 0), EINVAL);
    CHECK_ERRNO(tee(p[0], p[1], 10, 0), EINVAL);

    /* Offsets on a pipe end: ESPIPE (before the offset is even read). */
    CHECK_ERRNO(splice(p[0], &off, fd, NULL, 10, 0), ESPIPE);
    CHECK_ERRNO(splice(fd, NULL, p[1], &off, 10, 0), ESPIPE);
    CHECK_ERRNO(splice(p[0], (loff_t *)1, fd, NULL, 10, 0), ESPIPE);
    CHECK_ERRNO(splice(p[0], NULL, q[1], &off, 10, 0), ESPIPE);

    /* Bad offset pointers: EFAULT, and nothing moves. */
    CHECK_ERRNO(splice(fd, (loff_t *)1, p[1], NULL, 10, 0), EFAULT);
    CHECK_ERRNO(splice(p[0], NULL, fd, (loff_t *)1, 10, 0), EFAULT);
    CHECK_RET(pipe_avail(p[0]), 2);

    /* Negative offsets. */
    off = -1;
    CHECK_ERRNO(splice(fd, &off, p[1], NULL, 10, 0), EINVAL);
    CHECK_ERRNO(splice(p[0], NULL, fd, &off, 10, 0), EINVAL);
    CHECK_RET(pipe_avail(p[0]), 2);

    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(dir);
    close(app);
    close(wo);
    close(fd2);
    close(fd);
}

int main(void)
{
    scratch_enter("splice");
    test_file_to_pipe();
    test_pipe_to_file();
    test_pipe_to_pipe();
    test_tee();
    test_errors();
    scratch_leave();
    return check_done("fs_splice");
}
