/* The program break: brk(0) queries, growth gives zeroed writable memory,
 * shrinking unmaps, and refused requests return the old break unchanged. */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define PAGE_UP(x) (((uintptr_t)(x) + PAGE - 1) & ~(PAGE - 1))

/* The raw syscall returns the (new or unchanged) break, never -1. */
static uintptr_t raw_brk(uintptr_t addr)
{
    return (uintptr_t)syscall(SYS_brk, addr);
}

static int mapped(uintptr_t page)
{
    unsigned char vec;
    return mincore((void *)page, PAGE, &vec) == 0;
}

int main(void)
{
    /* Nothing below calls malloc until the break is restored at the end. */
    uintptr_t start = raw_brk(0);
    REQUIRE(start != 0 && start != (uintptr_t)-1, "brk(0) returned 0x%lx", start);
    CHECK(raw_brk(0) == start, "brk(0) is not stable");
    CHECK((uintptr_t)sbrk(0) == start, "sbrk(0) %p, brk(0) 0x%lx", sbrk(0), start);

    /* Grow by 1 MiB: the new memory is zero and writable. */
    uintptr_t grown = start + (1UL << 20);
    CHECK(raw_brk(grown) == grown, "brk grow to 0x%lx failed", grown);
    CHECK(raw_brk(0) == grown, "brk(0) after grow is 0x%lx", raw_brk(0));
    for (uintptr_t p = start; p < grown; p += 512) {
        volatile unsigned char *b = (volatile unsigned char *)p;
        if (*b != 0) {
            CHECK(0, "new break memory at 0x%lx is 0x%x, want 0", p, *b);
            break;
        }
        *b = (unsigned char)(p >> 9);
    }
    int bad = 0;
    for (uintptr_t p = start; p < grown; p += 512)
        bad += *(volatile unsigned char *)p != (unsigned char)(p >> 9);
    CHECK(bad == 0, "%d bytes of break memory did not keep their value", bad);

    /* Shrink to one page past the start: pages above are unmapped... */
    uintptr_t small = start + PAGE;
    CHECK(raw_brk(small) == small, "brk shrink to 0x%lx failed", small);
    uintptr_t probe = PAGE_UP(small) + 2 * PAGE;
    CHECK(!mapped(probe), "page 0x%lx still mapped after shrinking", probe);
    CHECK(mapped(start & ~(PAGE - 1)), "page below the break unmapped");
    /* ...and growing again gives fresh zero pages. */
    CHECK(raw_brk(grown) == grown, "brk regrow failed");
    CHECK(*(volatile unsigned char *)probe == 0, "regrown page kept old data 0x%x",
          *(volatile unsigned char *)probe);
    CHECK(*(volatile unsigned char *)start == (unsigned char)(start >> 9),
          "data below the shrink point was lost");

    /* Refused requests return the current break. */
    CHECK(raw_brk(PAGE) == grown, "brk below the start was not refused");
    CHECK(raw_brk(1) == grown, "brk(1) was not refused");
    CHECK(raw_brk((uintptr_t)1 << 47) == grown, "brk to 128 TiB was not refused");
    CHECK(raw_brk(0) == grown, "a refused brk moved the break");

    /* The break may not grow into another mapping. */
    uintptr_t wall = PAGE_UP(grown) + 16 * PAGE;
    void *w = mmap((void *)wall, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    REQUIRE(w == (void *)wall, "could not place a mapping above the break: %p (%s)", w,
            strerror(errno));
    CHECK(raw_brk(wall + PAGE) == grown, "brk grew over a mapping");
    CHECK(raw_brk(wall - PAGE) == wall - PAGE, "brk up to just below a mapping's guard failed");
    CHECK(raw_brk(grown) == grown, "shrink back failed");
    munmap(w, PAGE);

    /* glibc's sbrk goes through the same call. */
    CHECK(raw_brk(start) == start, "restore failed");
    void *old = sbrk(8192);
    CHECK(old == (void *)start, "sbrk(8192) returned %p, want 0x%lx", old, start);
    CHECK(raw_brk(0) == start + 8192, "sbrk did not move the break");
    memset((void *)start, 0x5a, 8192);
    CHECK(sbrk(-8192) == (void *)(start + 8192), "sbrk(-8192) wrong");
    CHECK(raw_brk(0) == start, "break not back at its start");

    return check_done("brk");
}
