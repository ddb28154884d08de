/* I/O on inherited stdio: writev/readv with several iovecs, pread64/pwrite64
 * on pipes, and error paths. run-test.sh gives a pipe carrying
 * "hello from run-test.sh\n" on stdin and captures stdout (also a pipe),
 * comparing it with write_read.expected. Diagnostics go to stderr. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define STDIN_TEXT "hello from run-test.sh\n"

static void test_stdio_kinds(void)
{
    struct stat st;
    CHECK_RET(fstat(0, &st), 0);
    CHECK(S_ISFIFO(st.st_mode), "stdin mode 0%o is not a pipe", st.st_mode);
    CHECK_RET(fstat(1, &st), 0);
    CHECK(S_ISFIFO(st.st_mode), "stdout mode 0%o is not a pipe", st.st_mode);
    CHECK_RET(syscall(SYS_newfstatat, 1, "", &st, AT_EMPTY_PATH), 0);
    CHECK(S_ISFIFO(st.st_mode), "newfstatat(1, \"\", AT_EMPTY_PATH) mode 0%o", st.st_mode);
    CHECK_ERRNO(syscall(SYS_fstat, 1000, &st), EBADF);
    CHECK_ERRNO(syscall(SYS_fstat, 1, (void *)8), EFAULT);
}

static void test_write(void)
{
    CHECK_RET(write(1, "line 1: write\n", 14), 14);
    CHECK_RET(write(1, "", 0), 0);

    char a[] = "line 2: ", b[] = "writev ", c[] = "with ", d[] = "four iovecs\n";
    struct iovec iov[] = {
        {a, strlen(a)}, {b, strlen(b)}, {NULL, 0}, {c, strlen(c)}, {d, strlen(d)},
    };
    size_t total = strlen(a) + strlen(b) + strlen(c) + strlen(d);
    CHECK_RET(writev(1, iov, 5), total);
    CHECK_RET(writev(1, iov, 0), 0);

    char big[105];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = 'a' + i % 26;
    big[sizeof(big) - 1] = '\n';
    struct iovec iov2[] = {{(char *)"line 3: ", 8}, {big, sizeof(big)}};
    CHECK_RET(writev(1, iov2, 2), 8 + sizeof(big));

    CHECK_ERRNO(syscall(SYS_pwrite64, 1, "x", 1, 0), ESPIPE);
    CHECK_ERRNO(syscall(SYS_write, 1, (void *)8, 10), EFAULT);
    /* A pipe write takes a page-sized chunk at a time; when the copy of
     * the first chunk faults nothing is written and the result is EFAULT
     * (the expected stdout shows that no "never" reached the pipe). */
    struct iovec badiov[] = {{(char *)"never", 5}, {(void *)8, 10}};
    CHECK_ERRNO(syscall(SYS_writev, 1, badiov, 2), EFAULT);
    CHECK_ERRNO(syscall(SYS_writev, 1, (void *)8, 2), EFAULT);
    CHECK_ERRNO(syscall(SYS_writev, 1, iov, -1), EINVAL);
    CHECK_ERRNO(syscall(SYS_writev, 1, iov, IOV_MAX + 1), EINVAL);
    struct iovec huge[] = {{a, 1}, {b, (size_t)-1}}; /* a length above SSIZE_MAX */
    CHECK_ERRNO(syscall(SYS_writev, 1, huge, 2), EINVAL);
    CHECK_ERRNO(write(1000, "x", 1), EBADF);
    CHECK_ERRNO(write(-1, "x", 1), EBADF);
    CHECK_ERRNO(write(0, "x", 1), EBADF); /* the read end of the stdin pipe */
}

static void test_read(void)
{
    char a[5], b[4], c[100];
    memset(c, 0, sizeof(c));
    struct iovec iov[] = {{a, sizeof(a)}, {NULL, 0}, {b, sizeof(b)}, {c, sizeof(c)}};
    size_t len = strlen(STDIN_TEXT);
    CHECK_ERRNO(syscall(SYS_pread64, 0, a, 1, 0), ESPIPE);
    CHECK_ERRNO(read(1000, a, 1), EBADF);
    CHECK_ERRNO(read(1, a, 1), EBADF); /* the write end of the stdout pipe */
    CHECK_ERRNO(syscall(SYS_readv, 0, iov, -1), EINVAL);
    /* A read into a bad buffer fails without consuming the pipe's data
     * (it blocks until the data is there, then faults copying it out). */
    CHECK_ERRNO(syscall(SYS_read, 0, (void *)8, 1), EFAULT);

    /* The pipe holds one short write: a single readv returns all of it. */
    CHECK_RET(readv(0, iov, 4), len);
    CHECK(memcmp(a, STDIN_TEXT, 5) == 0, "first iovec '%.5s'", a);
    CHECK(memcmp(b, STDIN_TEXT + 5, 4) == 0, "second iovec '%.4s'", b);
    CHECK(memcmp(c, STDIN_TEXT + 9, len - 9) == 0, "third iovec '%s'", c);
    CHECK_RET(read(0, a, sizeof(a)), 0); /* EOF */
    CHECK_RET(read(0, a, 0), 0);
}

int main(void)
{
    test_stdio_kinds();
    test_write();
    test_read();
    if (check_failures)
        return check_done("write_read");
    CHECK_RET(write(1, "ok write_read\n", 14), 14);
    return check_failures ? 1 : 0;
}
