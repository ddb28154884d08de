/* The memory file. The sentry maps the whole file once (MAP_NORESERVE, so
 * address space only), and grows the file with ftruncate as allocations
 * reach past its end. Freed ranges are punched out, returning their pages
 * to the host, and kept in a sorted free list (first fit, coalescing). */
#include "sentry/mm/memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi/linux/types.h"
#include "lib/panic.h"

/* Address space reserved in the sentry for the file: the most application
 * memory a sandbox can have. */
#define MEMFILE_MAX_SIZE (1ULL << 40)
/* The file grows in steps of this many bytes. */
#define MEMFILE_GROW_STEP (64ULL << 20)

uint8_t *memfile_base;
static int mf_fd = -1;
static uint64_t mf_file_size; /* current ftruncate size */
static uint64_t mf_top;       /* everything at and above is free */
static uint64_t mf_in_use;

struct mf_extent {
    uint64_t off, len;
};
static struct mf_extent *mf_free_list;
static size_t mf_free_count, mf_free_cap;

int memfile_init(void)
{
    mf_fd = memfd_create("moat-memory", MFD_CLOEXEC);
    if (mf_fd < 0)
        return -errno;
    void *p = mmap(NULL, MEMFILE_MAX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                   mf_fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    memfile_base = p;
    return 0;
}

int memfile_fd(void)
{
    return mf_fd;
}

uint64_t memfile_allocated(void)
{
    return mf_in_use;
}

static bool mf_grow_to(uint64_t end)
{
    if (end <= mf_file_size)
        return true;
    if (end > MEMFILE_MAX_SIZE)
        return false;
    uint64_t size = (end + MEMFILE_GROW_STEP - 1) & ~(MEMFILE_GROW_STEP - 1);
    if (size > MEMFILE_MAX_SIZE)
        size = MEMFILE_MAX_SIZE;
    if (ftruncate(mf_fd, (off_t)size) != 0)
        return false;
    mf_file_size = size;
    return true;
}

static void mf_free_insert(uint64_t off, uint64_t len);

static void mf_free_remove(size_t i)
{
    memmove(&mf_free_list[i], &mf_free_list[i + 1],
            (mf_free_count - i - 1) * sizeof(mf_free_list[0]));
    mf_free_count--;
}

uint64_t memfile_alloc(uint64_t len, uint64_t align)
{
    SENTRY_ASSERT(len > 0 && (len & ~LINUX_PAGE_MASK) == 0);
    SENTRY_ASSERT(align >= LINUX_PAGE_SIZE && (align & (align - 1)) == 0);
    for (size_t i = 0; i < mf_free_count; i++) {
        struct mf_extent *e = &mf_free_list[i];
        uint64_t start = (e->off + align - 1) & ~(align - 1);
        if (start + len > e->off + e->len)
            continue;
        uint64_t head = start - e->off, tail = e->off + e->len - (start + len);
        if (head == 0 && tail == 0) {
            mf_free_remove(i);
        } else if (head == 0) {
            e->off += len;
            e->len -= len;
        } else if (tail == 0) {
            e->len = head;
        } else {
            e->len = head;
            mf_free_insert(start + len, tail);
        }
        mf_in_use += len;
        return start;
    }
    uint64_t start = (mf_top + align - 1) & ~(align - 1);
    if (!mf_grow_to(start + len))
        return (uint64_t)-1;
    uint64_t old_top = mf_top;
    mf_top = start + len;
    if (start > old_top)
        mf_free_insert(old_top, start - old_top); /* never used: already zero */
    mf_in_use += len;
    return start;
}

void memfile_punch(uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    SENTRY_ASSERT(off + len <= mf_top);
    if (fallocate(mf_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) != 0)
        panic("memory file: cannot punch [%#lx, +%#lx): %s", (unsigned long)off,
              (unsigned long)len, strerror(errno));
}

void memfile_free(uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    SENTRY_ASSERT(off + len <= mf_top && mf_in_use >= len);
    mf_in_use -= len;
    memfile_punch(off, len);
    mf_free_insert(off, len);
}

/* Adds a zero-filled range to the free list, sorted, coalescing with its
 * neighbours; a range reaching the top lowers the top instead. */
static void mf_free_insert(uint64_t off, uint64_t len)
{
    size_t lo = 0, hi = mf_free_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mf_free_list[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool merge_prev = lo > 0 && mf_free_list[lo - 1].off + mf_free_list[lo - 1].len == off;
    bool merge_next = lo < mf_free_count && off + len == mf_free_list[lo].off;
    if (merge_prev && merge_next) {
        mf_free_list[lo - 1].len += len + mf_free_list[lo].len;
        mf_free_remove(lo);
    } else if (merge_prev) {
        mf_free_list[lo - 1].len += len;
    } else if (merge_next) {
        mf_free_list[lo].off = off;
        mf_free_list[lo].len += len;
    } else {
        if (mf_free_count == mf_free_cap) {
            size_t cap = mf_free_cap ? mf_free_cap * 2 : 64;
            struct mf_extent *n = realloc(mf_free_list, cap * sizeof(*n));
            if (!n)
                panic("memory file: out of memory for the free list");
            mf_free_list = n;
            mf_free_cap = cap;
        }
        memmove(&mf_free_list[lo + 1], &mf_free_list[lo],
                (mf_free_count - lo) * sizeof(mf_free_list[0]));
        mf_free_list[lo] = (struct mf_extent){off, len};
        mf_free_count++;
    }
    /* A free extent at the top just lowers the top. */
    if (mf_free_count > 0) {
        struct mf_extent *last = &mf_free_list[mf_free_count - 1];
        if (last->off + last->len == mf_top) {
            mf_top = last->off;
            mf_free_count--;
        }
    }
}
