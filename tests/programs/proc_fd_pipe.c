/* /proc/self/fd/N of a pipe reads "pipe:[INO]" (INO: the pipe's st_ino),
 * for the pipe(2) fds, for fds reopened through /proc/self/fd, and for
 * /dev/stdin when stdin is a pipe (run-test.sh gives one). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void check_link(int fd, const char *what)
{
    struct stat st;
    REQUIRE(fstat(fd, &st) == 0, "fstat(%s): %s", what, strerror(errno));
    CHECK(S_ISFIFO(st.st_mode), "%s: mode 0%o is no FIFO", what, (unsigned)st.st_mode);
    char path[64], want[64], got[256];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
    ssize_t n = readlink(path, got, sizeof(got) - 1);
    REQUIRE(n >= 0, "readlink(%s) for %s: %s", path, what, strerror(errno));
    got[n] = '\0';
    CHECK(strcmp(got, want) == 0, "%s: link reads \"%s\", want \"%s\"", what, got, want);
}

static int reopen(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int r = open(path, flags);
    REQUIRE(r >= 0, "open(%s, 0x%x): %s", path, flags, strerror(errno));
    return r;
}

int main(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe: %s", strerror(errno));
    check_link(p[0], "read end");
    check_link(p[1], "write end");

    int r = reopen(p[0], O_RDONLY | O_NONBLOCK);
    int w = reopen(p[1], O_WRONLY);
    check_link(r, "read end reopened through /proc");
    check_link(w, "write end reopened through /proc");
    struct stat a, b;
    REQUIRE(fstat(p[0], &a) == 0 && fstat(r, &b) == 0, "fstat: %s", strerror(errno));
    CHECK(a.st_ino == b.st_ino, "reopened pipe has ino %lu, want %lu", (unsigned long)b.st_ino,
          (unsigned long)a.st_ino);
    /* The reopened ends are the same pipe. */
    CHECK_RET(write(w, "xy", 2), 2);
    char buf[4];
    CHECK_RET(read(r, buf, sizeof(buf)), 2);

    int in = open("/dev/stdin", O_RDONLY);
    REQUIRE(in >= 0, "open(/dev/stdin): %s", strerror(errno));
    check_link(0, "stdin");
    check_link(in, "/dev/stdin reopened");
    return check_done("proc_fd_pipe");
}
