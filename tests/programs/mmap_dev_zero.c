/* mmap of /dev/zero: MAP_PRIVATE is private zero-filled memory, MAP_SHARED a
 * fresh shared anonymous region (shared with fork children, not with other
 * mappings of /dev/zero); the open mode is checked as for any file. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define LEN (4 * PAGE)
#define RW (PROT_READ | PROT_WRITE)

static size_t nonzero(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += p[i] != 0;
    return n;
}

/* Forks a child that writes 'c' over p; returns once it is gone. */
static void child_writes(char *p)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        memset(p, 'c', LEN);
        _exit(0);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

static void test_private(int fd)
{
    char *p = mmap(NULL, LEN, RW, MAP_PRIVATE, fd, 0);
    REQUIRE(p != MAP_FAILED, "mmap(/dev/zero, MAP_PRIVATE): %s", strerror(errno));
    CHECK(nonzero(p, LEN) == 0, "fresh private /dev/zero mapping is not zero");
    memset(p, 'p', LEN);
    char *q = mmap(NULL, LEN, RW, MAP_PRIVATE, fd, 8 * PAGE);
    REQUIRE(q != MAP_FAILED, "mmap(/dev/zero, MAP_PRIVATE, off): %s", strerror(errno));
    CHECK(nonzero(q, LEN) == 0, "second private mapping sees the first one's writes");
    child_writes(p);
    CHECK(p[0] == 'p' && p[LEN - 1] == 'p', "private mapping sees a child's writes");
    char buf[16] = {1};
    CHECK_RET(read(fd, buf, sizeof(buf)), sizeof(buf));
    CHECK(nonzero(buf, sizeof(buf)) == 0, "read(/dev/zero) not zero after mapping writes");
    CHECK(munmap(p, LEN) == 0 && munmap(q, LEN) == 0, "munmap: %s", strerror(errno));
}

static void test_shared(int fd)
{
    char *p = mmap(NULL, LEN, RW, MAP_SHARED, fd, 0);
    REQUIRE(p != MAP_FAILED, "mmap(/dev/zero, MAP_SHARED): %s", strerror(errno));
    CHECK(nonzero(p, LEN) == 0, "fresh shared /dev/zero mapping is not zero");
    char *q = mmap(NULL, LEN, RW, MAP_SHARED, fd, 0);
    REQUIRE(q != MAP_FAILED, "second mmap(/dev/zero, MAP_SHARED): %s", strerror(errno));
    memset(p, 's', LEN);
    CHECK(nonzero(q, LEN) == 0, "two shared /dev/zero mappings share memory");
    child_writes(p);
    CHECK(p[0] == 'c' && p[LEN - 1] == 'c', "shared mapping misses a child's writes");
    CHECK(munmap(p, LEN) == 0 && munmap(q, LEN) == 0, "munmap: %s", strerror(errno));
}

static void test_modes(void)
{
    int ro = open("/dev/zero", O_RDONLY);
    REQUIRE(ro >= 0, "open(/dev/zero, O_RDONLY): %s", strerror(errno));
    char *p = mmap(NULL, LEN, RW, MAP_PRIVATE, ro, 0);
    CHECK(p != MAP_FAILED, "MAP_PRIVATE PROT_WRITE of a read-only /dev/zero: %s",
          strerror(errno));
    if (p != MAP_FAILED) {
        p[0] = 1;
        munmap(p, LEN);
    }
    CHECK_ERRNO(mmap(NULL, LEN, RW, MAP_SHARED, ro, 0), EACCES);
    p = mmap(NULL, LEN, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(p != MAP_FAILED, "MAP_SHARED PROT_READ of a read-only /dev/zero: %s", strerror(errno));
    if (p != MAP_FAILED)
        munmap(p, LEN);
    close(ro);

    int wo = open("/dev/zero", O_WRONLY);
    REQUIRE(wo >= 0, "open(/dev/zero, O_WRONLY): %s", strerror(errno));
    CHECK_ERRNO(mmap(NULL, LEN, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
    CHECK_ERRNO(mmap(NULL, LEN, RW, MAP_SHARED, wo, 0), EACCES);
    close(wo);
}

int main(void)
{
    int fd = open("/dev/zero", O_RDWR);
    REQUIRE(fd >= 0, "open(/dev/zero): %s", strerror(errno));
    test_private(fd);
    test_shared(fd);
    test_modes();
    return check_done("mmap_dev_zero");
}
