/* Anonymous mappings: mmap, munmap, mremap, madvise(MADV_DONTNEED), mincore. */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int mapped(const void *page)
{
    unsigned char vec;
    return mincore((void *)page, PAGE, &vec) == 0;
}

static char *map(void *hint, size_t size, int flags)
{
    char *p = mmap(hint, size, RW, flags, -1, 0);
    REQUIRE(p != MAP_FAILED, "mmap(%p, %zu, 0x%x): %s", hint, size, flags, strerror(errno));
    return p;
}

static void test_zero_fill(void)
{
    char *p = map(NULL, 16 * PAGE, ANON);
    CHECK((uintptr_t)p % PAGE == 0, "mmap result %p not page aligned", (void *)p);
    size_t nonzero = 0;
    for (size_t i = 0; i < 16 * PAGE; i++)
        nonzero += p[i] != 0;
    CHECK(nonzero == 0, "%zu non-zero bytes in a fresh private mapping", nonzero);
    memset(p, 0x11, 16 * PAGE);
    CHECK(p[16 * PAGE - 1] == 0x11, "write did not stick");
    CHECK(munmap(p, 16 * PAGE) == 0, "munmap: %s", strerror(errno));
    CHECK(!mapped(p), "page still mapped after munmap");
}

static void test_fixed(void)
{
    char *p = map(NULL, 4 * PAGE, ANON);
    memset(p, 0xaa, 4 * PAGE);
    /* MAP_FIXED replaces the second page with a fresh zero page. */
    char *q = mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
    CHECK(q == p + PAGE, "MAP_FIXED returned %p, want %p", (void *)q, (void *)(p + PAGE));
    CHECK(p[PAGE] == 0 && p[2 * PAGE - 1] == 0, "MAP_FIXED page not zero");
    CHECK((unsigned char)p[0] == 0xaa && (unsigned char)p[2 * PAGE] == 0xaa,
          "MAP_FIXED disturbed its neighbours");

    /* MAP_FIXED_NOREPLACE refuses to replace. */
    errno = 0;
    q = mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(q == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE over a mapping: %p errno %d",
          (void *)q, errno);
    /* Overlapping only partly is still refused. */
    errno = 0;
    q = mmap(p + 3 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(q == MAP_FAILED && errno == EEXIST, "partial MAP_FIXED_NOREPLACE: %p errno %d",
          (void *)q, errno);
    CHECK((unsigned char)p[3 * PAGE] == 0xaa, "refused mapping changed memory");

    /* A free range is taken exactly. */
    CHECK(munmap(p + 2 * PAGE, 2 * PAGE) == 0, "munmap tail");
    q = mmap(p + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(q == p + 2 * PAGE, "MAP_FIXED_NOREPLACE on a free range returned %p", (void *)q);
    munmap(p, 4 * PAGE);
}

static void test_hint(void)
{
    char *p = map(NULL, 8 * PAGE, ANON);
    CHECK(munmap(p, 8 * PAGE) == 0, "munmap");
    /* A free hint is honoured. */
    char *q = map(p + 2 * PAGE, 2 * PAGE, ANON);
    CHECK(q == p + 2 * PAGE, "free hint %p not honoured: got %p", (void *)(p + 2 * PAGE),
          (void *)q);
    q[0] = 1;
    /* A busy hint is not an error, and the old mapping survives. */
    char *r = map(p + 2 * PAGE, 2 * PAGE, ANON);
    CHECK(r != q, "busy hint returned the busy address");
    CHECK(q[0] == 1, "busy hint disturbed the existing mapping");
    /* An unaligned hint without MAP_FIXED is rounded, not refused. */
    char *s = mmap(p + 6 * PAGE + 123, PAGE, RW, ANON, -1, 0);
    CHECK(s != MAP_FAILED && (uintptr_t)s % PAGE == 0, "unaligned hint gave %p", (void *)s);
    munmap(q, 2 * PAGE);
    munmap(r, 2 * PAGE);
    if (s != MAP_FAILED)
        munmap(s, PAGE);
}

static void test_mmap_errors(void)
{
    char *p = map(NULL, 2 * PAGE, ANON);
    CHECK_ERRNO(syscall(SYS_mmap, NULL, 0, RW, ANON, -1, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_mmap, p + 1, PAGE, RW, ANON | MAP_FIXED, -1, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_mmap, NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_mmap, NULL, PAGE, RW, MAP_ANONYMOUS | MAP_PRIVATE | MAP_SHARED, -1, 0),
                EINVAL);
    /* A length that wraps the address space cannot be satisfied. */
    CHECK_ERRNO(syscall(SYS_mmap, NULL, (size_t)-PAGE, RW, ANON, -1, 0), ENOMEM);
    /* MAP_FIXED at an address beyond the user address space. */
    CHECK_ERRNO(syscall(SYS_mmap, (void *)(1UL << 47), PAGE, RW, ANON | MAP_FIXED, -1, 0), ENOMEM);
    CHECK(p[0] == 0, "failed mmaps changed an existing mapping");
    munmap(p, 2 * PAGE);
}

static void test_munmap(void)
{
    char *p = map(NULL, 3 * PAGE, ANON);
    memset(p, 0x33, 3 * PAGE);
    CHECK(munmap(p + PAGE, PAGE) == 0, "munmap middle: %s", strerror(errno));
    CHECK(!mapped(p + PAGE), "middle page still mapped");
    CHECK(mapped(p) && mapped(p + 2 * PAGE), "neighbours of the hole unmapped");
    CHECK(p[0] == 0x33 && p[PAGE - 1] == 0x33, "left neighbour lost its data");
    CHECK(p[2 * PAGE] == 0x33 && p[3 * PAGE - 1] == 0x33, "right neighbour lost its data");
    p[0] = 1;
    p[2 * PAGE] = 2;
    CHECK(p[0] == 1 && p[2 * PAGE] == 2, "neighbours not writable");

    CHECK_ERRNO(munmap(p + 1, PAGE), EINVAL);
    CHECK_ERRNO(munmap(p, 0), EINVAL);
    /* Unmapping a hole is fine; a length is rounded up to whole pages. */
    CHECK_RET(munmap(p + PAGE, PAGE), 0);
    CHECK_RET(munmap(p + 2 * PAGE, 1), 0);
    CHECK(!mapped(p + 2 * PAGE), "munmap(len 1) left the page mapped");
    /* One call can span several mappings and holes. */
    CHECK_RET(munmap(p, 3 * PAGE), 0);
    CHECK(!mapped(p), "first page still mapped");
}

static void test_mremap(void)
{
    /* Grow in place when the space after is free. */
    char *p = map(NULL, 8 * PAGE, ANON);
    munmap(p + 2 * PAGE, 6 * PAGE);
    memset(p, 0x44, 2 * PAGE);
    char *q = mremap(p, 2 * PAGE, 4 * PAGE, 0);
    CHECK(q == p, "in-place grow returned %p, want %p (errno %d)", (void *)q, (void *)p, errno);
    if (q == p) {
        CHECK(p[2 * PAGE] == 0 && p[4 * PAGE - 1] == 0, "grown part not zero");
        CHECK(p[0] == 0x44 && p[2 * PAGE - 1] == 0x44, "contents lost on in-place grow");
    }
    munmap(p, 4 * PAGE);

    /* Blocked growth: ENOMEM without MREMAP_MAYMOVE, a move with it. */
    p = map(NULL, 4 * PAGE, ANON);
    for (size_t i = 0; i < 2 * PAGE; i++)
        p[i] = (char)(i * 7);
    /* p+2 pages stays mapped as the blocker; free p+3 so the blocker is one page. */
    munmap(p + 3 * PAGE, PAGE);
    char *blocker = p + 2 * PAGE;
    blocker[0] = 0x55;
    errno = 0;
    q = mremap(p, 2 * PAGE, 4 * PAGE, 0);
    CHECK(q == MAP_FAILED && errno == ENOMEM, "blocked grow without MAYMOVE: %p errno %d",
          (void *)q, errno);
    q = mremap(p, 2 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
    REQUIRE(q != MAP_FAILED, "mremap MAYMOVE: %s", strerror(errno));
    CHECK(q != p, "blocked mapping grew in place over another mapping");
    size_t bad = 0;
    for (size_t i = 0; i < 2 * PAGE; i++)
        bad += q[i] != (char)(i * 7);
    CHECK(bad == 0, "%zu bytes changed by the move", bad);
    bad = 0;
    for (size_t i = 2 * PAGE; i < 16 * PAGE; i++)
        bad += q[i] != 0;
    CHECK(bad == 0, "%zu non-zero bytes in the grown part", bad);
    CHECK(!mapped(p) && !mapped(p + PAGE), "old range still mapped after the move");
    CHECK(mapped(blocker) && blocker[0] == 0x55, "the blocker was disturbed");
    q[16 * PAGE - 1] = 1;

    /* Shrink: same address, tail unmapped. */
    char *r = mremap(q, 16 * PAGE, PAGE, 0);
    CHECK(r == q, "shrink returned %p, want %p", (void *)r, (void *)q);
    CHECK(mapped(q) && !mapped(q + PAGE) && !mapped(q + 15 * PAGE), "shrink left the tail");
    CHECK(q[1] == 7, "shrink lost contents");

    /* Errors. */
    CHECK_ERRNO(mremap(q + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
    CHECK_ERRNO(mremap(q, PAGE, 0, MREMAP_MAYMOVE), EINVAL);
    CHECK_ERRNO(syscall(SYS_mremap, q, PAGE, 2 * PAGE, 0x80000000UL, 0), EINVAL);
    CHECK_ERRNO(mremap(q + 4 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);
    munmap(q, PAGE);
    munmap(blocker, PAGE);
}

static void test_madvise(void)
{
    char *p = map(NULL, 2 * PAGE, ANON);
    memset(p, 0x66, 2 * PAGE);
    CHECK_RET(madvise(p, PAGE, MADV_DONTNEED), 0);
    CHECK(p[0] == 0 && p[PAGE - 1] == 0, "MADV_DONTNEED did not zero a private page");
    CHECK(p[PAGE] == 0x66, "MADV_DONTNEED zeroed beyond its range");
    CHECK(mapped(p), "MADV_DONTNEED unmapped the page");
    CHECK_ERRNO(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
    munmap(p, 2 * PAGE);
}

static void test_mincore(void)
{
    char *p = map(NULL, 4 * PAGE, ANON);
    p[0] = 1;
    p[2 * PAGE] = 1;
    unsigned char vec[4] = {0xff, 0xff, 0xff, 0xff};
    CHECK_RET(mincore(p, 4 * PAGE, vec), 0);
    CHECK(vec[0] & 1, "touched page 0 not resident");
    CHECK(vec[2] & 1, "touched page 2 not resident");
    for (int i = 0; i < 4; i++)
        CHECK((vec[i] & ~1) == 0, "vec[%d] = 0x%x has bits beyond bit 0", i, vec[i]);
    /* Partial last page is rounded up. */
    CHECK_RET(mincore(p, PAGE + 1, vec), 0);
    CHECK_ERRNO(mincore(p + 1, PAGE, vec), EINVAL);
    munmap(p + 3 * PAGE, PAGE);
    CHECK_ERRNO(mincore(p, 4 * PAGE, vec), ENOMEM);
    CHECK_ERRNO(mincore(p + 3 * PAGE, PAGE, vec), ENOMEM);
    CHECK_ERRNO(syscall(SYS_mincore, p, PAGE, (void *)8), EFAULT);
    munmap(p, 3 * PAGE);
}

static void test_shared(void)
{
    char *p = map(NULL, 2 * PAGE, MAP_SHARED | MAP_ANONYMOUS);
    CHECK(p[0] == 0 && p[2 * PAGE - 1] == 0, "fresh shared mapping not zero");
    memset(p, 0x77, 2 * PAGE);
    CHECK(p[PAGE] == 0x77, "shared mapping not writable");
    /* MADV_DONTNEED on shared memory drops the page table entries only: the
     * data lives in the shared object and comes back. */
    CHECK_RET(madvise(p, PAGE, MADV_DONTNEED), 0);
    CHECK(p[0] == 0x77, "MADV_DONTNEED lost shared data (got 0x%x)", (unsigned char)p[0]);
    /* mremap keeps the sharing object's contents. */
    char *q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q[PAGE] == 0x77, "mremap of a shared mapping lost data");
    if (q != MAP_FAILED)
        munmap(q, 8 * PAGE);
}

int main(void)
{
    test_zero_fill();
    test_fixed();
    test_hint();
    test_mmap_errors();
    test_munmap();
    test_mremap();
    test_madvise();
    test_mincore();
    test_shared();
    return check_done("mmap_anon");
}
