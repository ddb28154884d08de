/* Large memory: a 256 MiB malloc touched page by page, a 64 MiB buffer
 * memset and checksummed, and a 1 GiB PROT_NONE reservation with part of it
 * made usable by mprotect. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define MIB (1UL << 20)

static void test_malloc_256m(void)
{
    size_t size = 256 * MIB;
    volatile unsigned char *p = malloc(size);
    REQUIRE(p != NULL, "malloc(256 MiB) failed");
    /* glibc serves this from a fresh mmap: it must read as zero. */
    size_t nonzero = 0;
    for (size_t off = 0; off < size; off += PAGE)
        nonzero += p[off] != 0;
    CHECK(nonzero == 0, "%zu pages of a fresh 256 MiB malloc are not zero", nonzero);
    for (size_t off = 0; off < size; off += PAGE)
        p[off] = (unsigned char)(off / PAGE * 31 + 1);
    p[size - 1] = 0xee;
    size_t bad = 0;
    for (size_t off = 0; off < size; off += PAGE)
        bad += p[off] != (unsigned char)(off / PAGE * 31 + 1);
    CHECK(bad == 0, "%zu of %zu pages lost their byte", bad, size / PAGE);
    CHECK(p[size - 1] == 0xee, "last byte lost");
    free((void *)p);
}

static void test_memset_64m(void)
{
    size_t size = 64 * MIB;
    uint64_t *p = malloc(size);
    REQUIRE(p != NULL, "malloc(64 MiB) failed");
    memset(p, 0xa5, size);
    size_t n = size / sizeof(*p);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    CHECK(sum == 0xa5a5a5a5a5a5a5a5ULL * n, "memset checksum 0x%llx", (unsigned long long)sum);
    for (size_t i = 0; i < n; i++)
        p[i] = i * 0x9e3779b97f4a7c15ULL;
    uint64_t x = 0, want = 0;
    for (size_t i = 0; i < n; i++) {
        x ^= p[i] + i;
        want ^= i * 0x9e3779b97f4a7c15ULL + i;
    }
    CHECK(x == want, "pattern checksum 0x%llx, want 0x%llx", (unsigned long long)x,
          (unsigned long long)want);
    free(p);
}

static void test_reserve_1g(void)
{
    size_t size = 1024 * MIB;
    char *base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(base != MAP_FAILED, "mmap 1 GiB PROT_NONE: %s", strerror(errno));
    /* Open up 32 MiB in the middle, use it, and check the edges stay PROT_NONE
     * (mincore says mapped, the data round trips). */
    char *mid = base + 512 * MIB;
    size_t used = 32 * MIB;
    CHECK_RET(mprotect(mid, used, PROT_READ | PROT_WRITE), 0);
    for (size_t off = 0; off < used; off += PAGE)
        mid[off] = (char)(off >> 12);
    size_t bad = 0;
    for (size_t off = 0; off < used; off += PAGE)
        bad += mid[off] != (char)(off >> 12);
    CHECK(bad == 0, "%zu pages of the opened window lost data", bad);
    unsigned char vec[4];
    CHECK_RET(mincore(base, 4 * PAGE, vec), 0);
    CHECK_RET(mincore(base + size - 4 * PAGE, 4 * PAGE, vec), 0);
    CHECK_RET(mincore(mid, 4 * PAGE, vec), 0);
    CHECK((vec[0] & 1) && (vec[3] & 1), "touched window pages not resident");

    /* A second window, then close the first again and reopen it: data kept. */
    CHECK_RET(mprotect(base, MIB, PROT_READ | PROT_WRITE), 0);
    memset(base, 1, MIB);
    CHECK_RET(mprotect(mid, used, PROT_NONE), 0);
    CHECK_RET(mprotect(mid, used, PROT_READ), 0);
    CHECK(mid[PAGE] == 1 && mid[used - PAGE] == (char)((used - PAGE) >> 12),
          "window data lost across PROT_NONE");
    CHECK(base[MIB - 1] == 1, "second window lost data");
    CHECK_RET(munmap(base, size), 0);
    CHECK_ERRNO(mincore(mid, PAGE, vec), ENOMEM);
}

int main(void)
{
    test_malloc_256m();
    test_memset_64m();
    test_reserve_1g();
    return check_done("large_alloc");
}
