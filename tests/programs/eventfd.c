/* eventfd(2): the counter (read takes all, EFD_SEMAPHORE takes 1), EAGAIN
 * when empty or when a write would overflow, the largest value, EINVAL
 * for short buffers and 2^64-1, flags, poll readiness, how the file shows
 * in fstat and /proc/self/fd, and a child blocked in read woken by the
 * parent's write. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void test_counter(void)
{
    int fd = eventfd(3, EFD_NONBLOCK);
    REQUIRE(fd >= 0, "eventfd: %s", strerror(errno));
    uint64_t v = 0;
    CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK(v == 3, "read %llu, want 3", (unsigned long long)v);
    CHECK_ERRNO(read(fd, &v, sizeof v), EAGAIN);
    v = 5;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    v = 7;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    v = 0;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK(v == 12, "read %llu, want 12", (unsigned long long)v);
    /* Buffers: reads take at least 8 bytes (and fill 8), writes exactly 8
     * (Linux 6.10 on; earlier kernels took more). */
    char small[4];
    CHECK_ERRNO(read(fd, small, sizeof small), EINVAL);
    CHECK_ERRNO(write(fd, small, sizeof small), EINVAL);
    uint64_t two[2] = {1, 99};
    CHECK_RET(write(fd, two, sizeof two[0]), 8);
    two[0] = two[1] = 0;
    CHECK_RET(read(fd, two, sizeof two), 8);
    CHECK(two[0] == 1 && two[1] == 0, "read %llu %llu", (unsigned long long)two[0],
          (unsigned long long)two[1]);
    v = 1;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    CHECK_ERRNO(syscall(SYS_read, fd, 8UL, 8UL), EFAULT);

    /* Overflow: the counter stops at 2^64-2. */
    int o = eventfd(0, EFD_NONBLOCK);
    REQUIRE(o >= 0, "eventfd");
    v = UINT64_MAX;
    CHECK_ERRNO(write(o, &v, sizeof v), EINVAL);
    v = UINT64_MAX - 1;
    CHECK_RET(write(o, &v, sizeof v), 8);
    v = 1;
    CHECK_ERRNO(write(o, &v, sizeof v), EAGAIN);
    v = 0;
    CHECK_RET(write(o, &v, sizeof v), 8);
    struct pollfd pfd = {o, POLLIN | POLLOUT, 0};
    CHECK_RET(poll(&pfd, 1, 0), 1);
    CHECK(pfd.revents == POLLIN, "full counter revents %#x", pfd.revents);
    CHECK_RET(read(o, &v, sizeof v), 8);
    CHECK(v == UINT64_MAX - 1, "read %llx", (unsigned long long)v);
    pfd.revents = 0;
    CHECK_RET(poll(&pfd, 1, 0), 1);
    CHECK(pfd.revents == POLLOUT, "empty counter revents %#x", pfd.revents);
    close(o);
    close(fd);
}

static void test_semaphore(void)
{
    int fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    REQUIRE(fd >= 0, "eventfd: %s", strerror(errno));
    uint64_t v;
    CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK(v == 1, "semaphore read %llu", (unsigned long long)v);
    CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK(v == 1, "semaphore read %llu", (unsigned long long)v);
    CHECK_ERRNO(read(fd, &v, sizeof v), EAGAIN);
    v = 3;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK_RET(poll(&pfd, 1, 0), 1);
    for (int i = 0; i < 3; i++)
        CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK_RET(poll(&pfd, 1, 0), 0);
    close(fd);
}

static void test_flags_and_names(void)
{
    CHECK_ERRNO(eventfd(0, 0x10), EINVAL);
    CHECK_ERRNO(syscall(SYS_eventfd2, 0, O_APPEND), EINVAL);
    int fd = eventfd(0, EFD_CLOEXEC);
    REQUIRE(fd >= 0, "eventfd: %s", strerror(errno));
    CHECK_RET(fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_RET(fcntl(fd, F_GETFL), O_RDWR);
    int nb = eventfd(0, EFD_NONBLOCK);
    CHECK_RET(fcntl(nb, F_GETFL), O_RDWR | O_NONBLOCK);
    CHECK_RET(fcntl(nb, F_GETFD), 0);
    /* eventfd(2), the old call: no flags. */
    int old = syscall(SYS_eventfd, 4);
    REQUIRE(old >= 0, "eventfd: %s", strerror(errno));
    CHECK_RET(fcntl(old, F_GETFL), O_RDWR);
    uint64_t v;
    CHECK_RET(read(old, &v, sizeof v), 8);
    CHECK(v == 4, "read %llu", (unsigned long long)v);

    struct stat st;
    CHECK_RET(fstat(fd, &st), 0);
    CHECK((st.st_mode & 0777) == 0600, "mode %o", st.st_mode);
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    CHECK(n > 0, "readlink: %s", strerror(errno));
    link[n > 0 ? n : 0] = 0;
    CHECK(strcmp(link, "anon_inode:[eventfd]") == 0, "link \"%s\"", link);
    CHECK_RET(lseek(fd, 5, SEEK_SET), 0); /* noop_llseek */
    close(old);
    close(nb);
    close(fd);
}

/* A child sleeps in read until the parent writes; the parent sleeps in a
 * write that would overflow until the child reads. */
static void test_blocking(void)
{
    int fd = eventfd(0, 0);
    int sync[2];
    REQUIRE(fd >= 0 && pipe(sync) == 0, "eventfd/pipe: %s", strerror(errno));
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        uint64_t v;
        if (read(fd, &v, sizeof v) != 8 || v != 42)
            _exit(1);
        if (write(sync[1], "a", 1) != 1)
            _exit(2);
        struct timespec d = {0, 200 * 1000000};
        nanosleep(&d, NULL);
        if (read(fd, &v, sizeof v) != 8 || v != UINT64_MAX - 1)
            _exit(3);
        _exit(0);
    }
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    uint64_t v = 42;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    char c;
    CHECK_RET(read(sync[0], &c, 1), 1);
    v = UINT64_MAX - 1;
    CHECK_RET(write(fd, &v, sizeof v), 8);
    struct pollfd pfd = {fd, POLLOUT, 0};
    CHECK_RET(poll(&pfd, 1, 0), 0);
    v = 5; /* blocks until the child reads the counter back to 0 */
    CHECK_RET(write(fd, &v, sizeof v), 8);
    int status;
    CHECK_RET(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    CHECK_RET(read(fd, &v, sizeof v), 8);
    CHECK(v == 5, "read %llu", (unsigned long long)v);
    close(sync[0]);
    close(sync[1]);
    close(fd);
}

int main(void)
{
    test_counter();
    test_semaphore();
    test_flags_and_names();
    test_blocking();
    return check_done("eventfd");
}
