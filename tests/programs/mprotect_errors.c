/* mprotect argument checking and its effect on split mappings. */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL

int main(void)
{
    char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
    memset(p, 0x5c, 4 * PAGE);

    CHECK_ERRNO(mprotect(p + 1, PAGE, PROT_READ), EINVAL);
    CHECK_ERRNO(mprotect(p, PAGE, 0x1000), EINVAL); /* unknown prot bit */
    CHECK_RET(mprotect(p, 0, PROT_READ), 0);        /* empty range: nothing to do */
    CHECK_RET(mprotect(p, 1, PROT_READ | PROT_WRITE), 0); /* length rounds up */

    /* Unmapped ranges: entirely, or partly (a hole in the middle). */
    CHECK(munmap(p + 2 * PAGE, PAGE) == 0, "munmap");
    CHECK_ERRNO(mprotect(p + 2 * PAGE, PAGE, PROT_READ), ENOMEM);
    CHECK_ERRNO(mprotect(p, 4 * PAGE, PROT_READ), ENOMEM);
    CHECK_ERRNO(mprotect((void *)(1UL << 47), PAGE, PROT_READ), ENOMEM);
    /* Linux applies the change to the part before the hole, so page 0 may
     * now be read-only (it is); make the pages writable again. */
    CHECK_RET(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
    CHECK_RET(mprotect(p + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE), 0);

    /* PROT_NONE keeps the contents; the pages stay mapped. */
    CHECK_RET(mprotect(p + PAGE, PAGE, PROT_NONE), 0);
    unsigned char vec;
    CHECK_RET(mincore(p + PAGE, PAGE, &vec), 0);
    CHECK_RET(mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
    CHECK(p[PAGE] == 0x5c && p[2 * PAGE - 1] == 0x5c, "PROT_NONE round trip lost data");
    p[PAGE] = 1;
    CHECK(p[PAGE] == 1, "page not writable again");

    /* Read-only then read-write on part of a mapping (a split and a merge). */
    CHECK_RET(mprotect(p, PAGE, PROT_READ), 0);
    CHECK(p[0] == 0x5c, "read after PROT_READ");
    CHECK_RET(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
    p[0] = 2;
    CHECK(p[0] == 2, "page not writable after PROT_READ|PROT_WRITE|PROT_EXEC");

    CHECK(munmap(p, 4 * PAGE) == 0, "munmap");
    return check_done("mprotect_errors");
}
