/* memfd_create: an anonymous regular file; write, then a shared mapping and
 * read(2) see the same bytes both ways; ftruncate, MFD_CLOEXEC, two shared
 * mappings of one memfd, and the flag errors. */
#include "fs_util.h"

#include <sys/mman.h>

static void test_memfd(void)
{
    int fd = memfd_create("moat-test", 0);
    REQUIRE(fd >= 0, "memfd_create: %s", strerror(errno));
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && st.st_nlink == 0,
          "memfd mode %o size %ld nlink %lu", st.st_mode, (long)st.st_size,
          (unsigned long)st.st_nlink);
    CHECK_RET(fcntl(fd, F_GETFD), 0);
    CHECK_RET(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);

    const char msg[] = "written with write(2)";
    CHECK_RET(write(fd, msg, sizeof msg), (long)sizeof msg);
    CHECK(fstat(fd, &st) == 0 && st.st_size == (off_t)sizeof msg, "size %ld",
          (long)st.st_size);
    CHECK_RET(ftruncate(fd, 8192), 0);

    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(m != MAP_FAILED, "mmap memfd: %s", strerror(errno));
    CHECK(memcmp(m, msg, sizeof msg) == 0, "mapping shows \"%.21s\"", m);
    CHECK(m[8191] == 0, "tail of the mapping not zero");

    /* Stores through the mapping are visible to read(2)... */
    memcpy(m + 4096, "stored via mmap", 16);
    char buf[32] = "";
    CHECK_RET(pread(fd, buf, 16, 4096), 16);
    CHECK(strcmp(buf, "stored via mmap") == 0, "pread of mapped store: \"%s\"", buf);
    /* ...and write(2) is visible through the mapping. */
    CHECK_RET(pwrite(fd, "PWRITE", 6, 100), 6);
    CHECK(memcmp(m + 100, "PWRITE", 6) == 0, "mapping after pwrite: \"%.6s\"", m + 100);

    /* A second shared mapping is the same memory. */
    char *m2 = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    REQUIRE(m2 != MAP_FAILED, "second mmap: %s", strerror(errno));
    m[5000] = 'Q';
    CHECK(m2[5000] == 'Q', "second mapping does not share");
    /* A private mapping copies on write. */
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    REQUIRE(p != MAP_FAILED, "private mmap: %s", strerror(errno));
    p[0] = 'P';
    CHECK(m[0] == msg[0], "private store leaked into the file");
    CHECK_RET(pread(fd, buf, 1, 0), 1);
    CHECK(buf[0] == msg[0], "private store reached the file");

    /* The mapping survives close. */
    close(fd);
    CHECK(m2[100] == 'P', "mapping after close");
    munmap(p, 8192);
    munmap(m2, 8192);
    munmap(m, 8192);

    fd = memfd_create("cloexec", MFD_CLOEXEC);
    CHECK(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "MFD_CLOEXEC");
    close(fd);
    CHECK_ERRNO(memfd_create("bad", 0x1000), EINVAL);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_ERRNO(memfd_create(longname, 0), EINVAL);
}

int main(void)
{
    test_memfd();
    return check_done("fs_memfd");
}
