/* Memory objects: memory-file pages that several mappings share. An object
 * is the backing of a shared anonymous region (MAP_SHARED|MAP_ANONYMOUS), or
 * the page cache of a file (tmpfs keeps a file's data in one; a gofer-backed
 * file reads its pages in on first use).
 *
 * An object has a size in bytes; its pages are [0, mm_object_pages()). A
 * mapping that reaches past the last page gets SIGBUS there; the bytes of the
 * last page past the size read as zeros.
 *
 * Memory-file space is allocated lazily, a run of pages at a time, and a
 * page's memory-file offset never changes while the object lives: a stub
 * that mapped it keeps seeing the object's data, and the object grows and
 * shrinks in place (mm_object_resize), so its owner never needs to replace
 * it. Shrinking zeroes (punches) the pages past the new end but keeps them
 * allocated until the object dies, so a stub that still maps them can never
 * see memory reused for something else.
 *
 * Each page is "present" once it holds the object's data: at allocation for
 * an object without a populate op (zero-filled memory), after populate() for
 * one with it.
 *
 * References: mm_object_get/put, panicking on underflow. Every VMA mapping
 * the object holds one; the owner (e.g. an inode's `pages`) holds one. The
 * last put calls ops->release, then frees the pages.
 *
 * Lock order: the kernel lock covers every object. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/linux/types.h"

struct mm_object;

struct mm_object_ops {
    /* Fills pages [first, first + count) — all below mm_object_pages(),
     * allocated, zero-filled and not present — with the backing data, writing
     * through mm_object_page_ptr(). Bytes past the object's size must stay
     * zero. Returns 0 (the pages become present) or -errno: the access that
     * needed them then gets SIGBUS (a fault) or EFAULT (a copy). Optional:
     * without it, pages are zero-filled memory. */
    int (*populate)(struct mm_object *obj, uint64_t first, uint64_t count);
    /* The last reference is gone: release priv. Optional. */
    void (*release)(struct mm_object *obj);
};

struct mm_object {
    int refs;
    uint64_t size;                   /* bytes */
    const struct mm_object_ops *ops; /* NULL: anonymous memory */
    void *priv;                      /* the owner's */
    /* Per page: memory-file offset | MM_OBJ_SLOT_* bits, 0 when no memory
     * is allocated. Grown on demand, so a large sparse object costs only
     * the pages it has touched. */
    uint64_t *slots;
    uint64_t nslots;
};

/* Returned by mm_object_lookup for a page that is not present. */
#define MM_OBJ_NO_PAGE ((uint64_t)-1)

/* A new object of size bytes with no memory yet. ops may be NULL. The
 * caller owns the returned reference. NULL when out of memory. */
struct mm_object *mm_object_new(uint64_t size, const struct mm_object_ops *ops, void *priv);
void mm_object_get(struct mm_object *obj);
void mm_object_put(struct mm_object *obj);

static inline uint64_t mm_object_pages(const struct mm_object *obj)
{
    return page_round_up(obj->size) / LINUX_PAGE_SIZE;
}

/* Changes the size. Growing adds pages that read as zeros (or come from
 * populate). Shrinking zeroes the bytes past the new size in the last page
 * and punches the pages past it (see the file comment). Returns 0 or
 * -LINUX_ENOMEM. */
int mm_object_resize(struct mm_object *obj, uint64_t new_size);
/* Called when an object shrinks, so that address spaces drop the pages
 * past its new end (set by sentry/mm/mm.c; NULL in tests without mms). */
extern void (*mm_object_shrink_hook)(struct mm_object *obj, uint64_t new_size);

/* Makes pages [first, first + count) present (all must be below
 * mm_object_pages()): allocates memory-file space and calls populate for
 * the pages that need it. Returns 0, -LINUX_ENOMEM, or populate's error. */
int mm_object_populate(struct mm_object *obj, uint64_t first, uint64_t count);

/* The memory-file offset of page if it is present, else MM_OBJ_NO_PAGE. In
 * *out_count: how many pages from page on (at most max) are present and
 * contiguous in the memory file. */
uint64_t mm_object_lookup(const struct mm_object *obj, uint64_t page, uint64_t max,
                          uint64_t *out_count);
bool mm_object_present(const struct mm_object *obj, uint64_t page);

/* The sentry address of an allocated page (present, or being populated):
 * for populate ops and filesystems. NULL if page has no memory. */
void *mm_object_page_ptr(struct mm_object *obj, uint64_t page);

/* Copies between the object's bytes [off, ...) and sentry memory iov,
 * populating pages as needed: to_object writes the object (the caller
 * resizes it first), else reads it. Stops at the object's size. Returns
 * the bytes copied (a short count at the end of the object), or -errno if
 * none could be. */
long mm_object_rw(struct mm_object *obj, uint64_t off, const struct iovec *iov, int iovcnt,
                  bool to_object);

/* Zeroes bytes [off, off + len) of the object (clipped to its size); whole
 * pages are punched, their memory returned to the host (MADV_REMOVE,
 * fallocate PUNCH_HOLE). Returns 0 or -errno. */
int mm_object_zero(struct mm_object *obj, uint64_t off, uint64_t len);
