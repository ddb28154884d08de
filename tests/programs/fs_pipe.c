/* Pipes and FIFOs: pipe/pipe2 flags, O_NONBLOCK (EAGAIN), EOF, EPIPE with
 * SIGPIPE ignored and death by SIGPIPE without, F_GETPIPE_SZ/F_SETPIPE_SZ,
 * FIONREAD, ESPIPE, and a FIFO made with mkfifo/mknodat (ENXIO). */
#include "fs_util.h"

#include <sys/ioctl.h>

static void test_basic(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe: %s", strerror(errno));
    struct stat st;
    CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "pipe mode %o", st.st_mode);
    CHECK_RET(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    CHECK_RET(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    CHECK_RET(fcntl(p[0], F_GETFD), 0);
    CHECK_RET(write(p[1], "hello", 5), 5);
    int avail = -1;
    CHECK_RET(ioctl(p[0], FIONREAD, &avail), 0);
    CHECK(avail == 5, "FIONREAD %d, want 5", avail);
    char b[16] = "";
    CHECK_RET(read(p[0], b, 2), 2);
    CHECK_RET(read(p[0], b + 2, sizeof b - 3), 3);
    CHECK(strcmp(b, "hello") == 0, "pipe read \"%s\"", b);
    CHECK_ERRNO(read(p[1], b, 1), EBADF);
    CHECK_ERRNO(write(p[0], "x", 1), EBADF);
    CHECK_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
    CHECK_ERRNO(pread(p[0], b, 1, 0), ESPIPE);
    CHECK_ERRNO(pwrite(p[1], "x", 1, 0), ESPIPE);
    /* Closing the write end gives EOF once the data is drained. */
    CHECK_RET(write(p[1], "z", 1), 1);
    close(p[1]);
    CHECK_RET(read(p[0], b, sizeof b), 1);
    CHECK_RET(read(p[0], b, sizeof b), 0);
    close(p[0]);

    REQUIRE(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s", strerror(errno));
    CHECK_RET(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    CHECK_RET(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK, "pipe2 read end lacks O_NONBLOCK");
    CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK, "pipe2 write end lacks O_NONBLOCK");
    CHECK_ERRNO(read(p[0], b, 1), EAGAIN);
    CHECK_ERRNO(pipe2(p, 0x1), EINVAL);
    close(p[0]);
    close(p[1]);

    /* O_NONBLOCK can be set later with F_SETFL. */
    REQUIRE(pipe(p) == 0, "pipe");
    CHECK_RET(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_ERRNO(read(p[0], b, 1), EAGAIN);
    close(p[0]);
    close(p[1]);
}

static void test_size(void)
{
    int p[2];
    REQUIRE(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    CHECK_RET(fcntl(p[0], F_GETPIPE_SZ), 65536);
    CHECK_RET(fcntl(p[1], F_GETPIPE_SZ), 65536);
    /* Sizes round up to a power-of-two number of pages. */
    CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 100000), 131072);
    CHECK_RET(fcntl(p[0], F_GETPIPE_SZ), 131072);
    CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
    CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 0), 4096);
    CHECK_ERRNO(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL);

    /* A non-blocking writer of whole pages fills exactly the capacity, then
     * gets EAGAIN. (How partial pages merge is not checked: Linux's own
     * accounting of them varies.) */
    CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
    static char buf[200000];
    memset(buf, 'p', sizeof buf);
    long total = 0;
    for (;;) {
        ssize_t w = write(p[1], buf, 4096);
        if (w < 0) {
            CHECK(errno == EAGAIN, "write to full pipe: %s", strerror(errno));
            break;
        }
        total += w;
        if (total > (long)sizeof buf)
            break;
    }
    CHECK(total == 65536, "pipe took %ld bytes, want 65536", total);
    /* Shrinking below the content is EBUSY. */
    CHECK_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
    long got = 0;
    for (;;) {
        ssize_t r = read(p[0], buf, sizeof buf);
        if (r <= 0)
            break;
        got += r;
    }
    CHECK(got == 65536, "read back %ld bytes", got);
    close(p[0]);
    close(p[1]);

    int fd = open("notapipe", O_RDWR | O_CREAT, 0644);
    CHECK_ERRNO(fcntl(fd, F_GETPIPE_SZ), EBADF);
    CHECK_ERRNO(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF);
    close(fd);
}

static void sigpipe_child(void *arg)
{
    int *p = arg;
    signal(SIGPIPE, SIG_DFL);
    write(p[1], "x", 1);
    /* Not reached: SIGPIPE kills the process. */
}

static void test_epipe(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
    int st = in_child(sigpipe_child, p);
    CHECK(st == 128 + SIGPIPE, "writer without reader: status %d, want %d", st,
          128 + SIGPIPE);
    close(p[1]);

    /* A reader in another process: data crosses, then EOF when it exits. */
    REQUIRE(pipe(p) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(p[0]);
        write(p[1], "from child", 10);
        _exit(0);
    }
    close(p[1]);
    char b[32] = "";
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], b + n, sizeof b - 1 - n)) > 0)
        n += (size_t)r;
    CHECK(n == 10 && strcmp(b, "from child") == 0, "read \"%s\" from child", b);
    waitpid(pid, NULL, 0);
    close(p[0]);
}

static void test_fifo(void)
{
    struct stat st;
    CHECK_RET(mkfifo("fifo", 0600), 0);
    CHECK(lstat("fifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600,
          "fifo mode %o", st.st_mode);
    CHECK_ERRNO(mkfifo("fifo", 0600), EEXIST);
    CHECK_RET(mknodat(AT_FDCWD, "fifo2", S_IFIFO | 0644, 0), 0);
    CHECK(lstat("fifo2", &st) == 0 && S_ISFIFO(st.st_mode), "mknodat fifo mode %o",
          st.st_mode);

    /* No reader: a non-blocking writer gets ENXIO; a non-blocking reader opens. */
    CHECK_ERRNO(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
    int r = open("fifo", O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0, "non-blocking reader: %s", strerror(errno));
    char b[16] = "";
    CHECK_RET(read(r, b, sizeof b), 0);
    int w = open("fifo", O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0, "writer with a reader: %s", strerror(errno));
    CHECK_ERRNO(read(r, b, sizeof b), EAGAIN);
    CHECK_RET(write(w, "via fifo", 8), 8);
    CHECK_RET(read(r, b, sizeof b), 8);
    CHECK(memcmp(b, "via fifo", 8) == 0, "fifo read %.8s", b);
    CHECK(fstat(r, &st) == 0 && st.st_size == 0, "fifo size %ld", (long)st.st_size);
    close(w);
    CHECK_RET(read(r, b, sizeof b), 0);
    close(r);
    /* O_RDWR on a FIFO never blocks (Linux). */
    int rw = open("fifo", O_RDWR);
    CHECK(rw >= 0, "fifo O_RDWR: %s", strerror(errno));
    CHECK_RET(write(rw, "rw", 2), 2);
    CHECK_RET(read(rw, b, sizeof b), 2);
    close(rw);
    CHECK_RET(unlink("fifo"), 0);
    CHECK_RET(unlink("fifo2"), 0);
}

int main(void)
{
    scratch_enter("fs_pipe");
    umask(022);
    test_basic();
    test_size();
    test_epipe();
    test_fifo();
    scratch_leave();
    return check_done("fs_pipe");
}
