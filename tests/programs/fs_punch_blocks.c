/* fallocate(PUNCH_HOLE | KEEP_SIZE) on a tmpfs file (/dev/shm) gives the
 * punched pages back: st_blocks drops, the size stays, the hole reads zeros
 * (through read and a shared mapping) and takes data again. (Pages a
 * mapping faults in count on Linux even when only read: no st_blocks checks
 * once the file is mapped.) */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096L
#define PAGES 16
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static long blocks(int fd)
{
    struct stat st;
    REQUIRE(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
    return (long)st.st_blocks;
}

static long size(int fd)
{
    struct stat st;
    REQUIRE(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
    return (long)st.st_size;
}

int main(void)
{
    char path[] = "/dev/shm/moat-punch-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp(%s): %s", path, strerror(errno));
    unlink(path);

    static char buf[PAGES * PAGE];
    memset(buf, 'a', sizeof(buf));
    REQUIRE(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write: %s", strerror(errno));
    CHECK(blocks(fd) == PAGES * PAGE / 512, "st_blocks %ld after writing %d pages", blocks(fd),
          PAGES);

    /* Half of it. */
    CHECK_RET(fallocate(fd, PUNCH, 0, PAGES / 2 * PAGE), 0);
    CHECK(blocks(fd) == PAGES / 2 * PAGE / 512, "st_blocks %ld after punching half", blocks(fd));
    /* A partial page is zeroed, not punched. */
    CHECK_RET(fallocate(fd, PUNCH, PAGES / 2 * PAGE, 100), 0);
    CHECK(blocks(fd) == PAGES / 2 * PAGE / 512, "st_blocks %ld after a partial punch",
          blocks(fd));

    /* The whole file. */
    CHECK_RET(fallocate(fd, PUNCH, 0, PAGES * PAGE), 0);
    CHECK(blocks(fd) == 0, "st_blocks %ld after punching the whole file, want 0", blocks(fd));
    CHECK(size(fd) == PAGES * PAGE, "size %ld after punching, want %ld", size(fd),
          PAGES * PAGE);
    memset(buf, 1, sizeof(buf));
    CHECK_RET(pread(fd, buf, sizeof(buf), 0), sizeof(buf));
    size_t nz = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        nz += buf[i] != 0;
    CHECK(nz == 0, "%zu non-zero bytes in the hole", nz);
    CHECK_RET(lseek(fd, 0, SEEK_DATA), -1);

    /* The hole takes data again, through write and through a mapping. */
    CHECK_RET(pwrite(fd, "b", 1, 3 * PAGE), 1);
    CHECK(blocks(fd) == PAGE / 512, "st_blocks %ld after writing one page", blocks(fd));
    char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(m != MAP_FAILED, "mmap: %s", strerror(errno));
    CHECK(m[0] == 0 && m[3 * PAGE] == 'b', "mapping reads %d %d", m[0], m[3 * PAGE]);
    m[5 * PAGE] = 'c';
    char c = 0;
    CHECK_RET(pread(fd, &c, 1, 5 * PAGE), 1);
    CHECK(c == 'c', "pread after a store through the mapping reads %d", c);
    /* Punching a mapped page: the mapping reads zeros, and takes data again. */
    CHECK_RET(fallocate(fd, PUNCH, 5 * PAGE, PAGE), 0);
    CHECK(m[5 * PAGE] == 0, "mapping reads %d after the punch", m[5 * PAGE]);
    CHECK(munmap(m, PAGES * PAGE) == 0, "munmap: %s", strerror(errno));
    close(fd);
    return check_done("fs_punch_blocks");
}
