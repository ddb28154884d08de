/* Memory objects: a per-page slot table of memory-file offsets, allocated
 * lazily in runs. See object.h.
 *
 * Slots hold the page's memory-file offset (page-aligned) with two flag bits
 * in the low bits: ALLOC (the page has memory) and PRESENT (it holds the
 * object's data). A run of missing pages is allocated with one
 * memfile_alloc, so pages populated together are contiguous in the memory
 * file and a fault maps them with one platform call. On the last put, runs of
 * contiguous slots are freed together.
 *
 * Lock order: kernel lock. */
#include "sentry/mm/object.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "lib/panic.h"
#include "sentry/mm/memfile.h"

#define SLOT_ALLOC 0x1ULL
#define SLOT_PRESENT 0x2ULL
/* The slot table grows at least this many slots at a time. */
#define SLOTS_MIN 16
static inline uint64_t slot_off(uint64_t slot)
{
    return slot & LINUX_PAGE_MASK;
}

/* mm_object_rw populates at most this many pages at once. */
#define OBJ_RW_POPULATE_MAX 512

struct mm_object *mm_object_new(uint64_t size, const struct mm_object_ops *ops, void *priv)
{
    struct mm_object *obj = calloc(1, sizeof(*obj));
    if (!obj)
        return NULL;
    obj->refs = 1;
    obj->size = size;
    obj->ops = ops;
    obj->priv = priv;
    return obj;
}

void mm_object_get(struct mm_object *obj)
{
    SENTRY_ASSERT(obj->refs > 0);
    obj->refs++;
}

/* Frees the memory of slots [first, end), a run of contiguous memory-file
 * ranges at a time, and clears them. */
static void obj_free_slots(struct mm_object *obj, uint64_t first, uint64_t end)
{
    uint64_t i = first;
    while (i < end) {
        if (!(obj->slots[i] & SLOT_ALLOC)) {
            i++;
            continue;
        }
        uint64_t off = slot_off(obj->slots[i]), n = 1;
        while (i + n < end && (obj->slots[i + n] & SLOT_ALLOC) &&
               slot_off(obj->slots[i + n]) == off + n * LINUX_PAGE_SIZE)
            n++;
        memfile_free(off, n * LINUX_PAGE_SIZE);
        memset(&obj->slots[i], 0, n * sizeof(obj->slots[0]));
        i += n;
    }
}

void mm_object_put(struct mm_object *obj)
{
    SENTRY_ASSERT(obj->refs > 0);
    if (--obj->refs > 0)
        return;
    if (obj->ops && obj->ops->release)
        obj->ops->release(obj);
    obj_free_slots(obj, 0, obj->nslots);
    free(obj->slots);
    free(obj);
}

/* Grows the slot table to at least need slots. */
static int obj_reserve(struct mm_object *obj, uint64_t need)
{
    if (need <= obj->nslots)
        return 0;
    uint64_t n = obj->nslots * 2;
    if (n < SLOTS_MIN)
        n = SLOTS_MIN;
    if (n < need)
        n = need;
    if (n > SIZE_MAX / sizeof(uint64_t))
        return -LINUX_ENOMEM;
    uint64_t *s = realloc(obj->slots, n * sizeof(uint64_t));
    if (!s)
        return -LINUX_ENOMEM;
    memset(s + obj->nslots, 0, (n - obj->nslots) * sizeof(uint64_t));
    obj->slots = s;
    obj->nslots = n;
    return 0;
}

/* Gives memory to every slot of [first, end) that has none. */
static int obj_alloc(struct mm_object *obj, uint64_t first, uint64_t end)
{
    bool zero_is_data = !obj->ops || !obj->ops->populate;
    uint64_t i = first;
    while (i < end) {
        if (obj->slots[i] & SLOT_ALLOC) {
            /* A punched page of an object without populate keeps its
             * memory-file offset (it may still be mapped) and holds zeros:
             * its data again once asked for. */
            if (zero_is_data)
                obj->slots[i] |= SLOT_PRESENT;
            i++;
            continue;
        }
        uint64_t n = 1;
        while (i + n < end && !(obj->slots[i + n] & SLOT_ALLOC))
            n++;
        uint64_t off = memfile_alloc(n * LINUX_PAGE_SIZE, LINUX_PAGE_SIZE);
        if (off == (uint64_t)-1)
            return -LINUX_ENOMEM;
        for (uint64_t j = 0; j < n; j++)
            obj->slots[i + j] =
                (off + j * LINUX_PAGE_SIZE) | SLOT_ALLOC | (zero_is_data ? SLOT_PRESENT : 0);
        i += n;
    }
    return 0;
}

int mm_object_populate(struct mm_object *obj, uint64_t first, uint64_t count)
{
    SENTRY_ASSERT(first <= mm_object_pages(obj) && count <= mm_object_pages(obj) - first);
    uint64_t end = first + count;
    int err = obj_reserve(obj, end);
    if (!err)
        err = obj_alloc(obj, first, end);
    if (err || !obj->ops || !obj->ops->populate)
        return err;
    for (uint64_t i = first; i < end;) {
        if (obj->slots[i] & SLOT_PRESENT) {
            i++;
            continue;
        }
        uint64_t n = 1;
        while (i + n < end && !(obj->slots[i + n] & SLOT_PRESENT))
            n++;
        err = obj->ops->populate(obj, i, n);
        if (err)
            return err;
        for (uint64_t j = i; j < i + n; j++)
            obj->slots[j] |= SLOT_PRESENT;
        i += n;
    }
    return 0;
}

bool mm_object_present(const struct mm_object *obj, uint64_t page)
{
    return page < obj->nslots && page < mm_object_pages(obj) && (obj->slots[page] & SLOT_PRESENT);
}

uint64_t mm_object_lookup(const struct mm_object *obj, uint64_t page, uint64_t max,
                          uint64_t *out_count)
{
    *out_count = 0;
    if (max == 0 || !mm_object_present(obj, page))
        return MM_OBJ_NO_PAGE;
    uint64_t off = slot_off(obj->slots[page]);
    uint64_t limit = mm_object_pages(obj) < obj->nslots ? mm_object_pages(obj) : obj->nslots;
    uint64_t n = 1;
    while (n < max && page + n < limit && (obj->slots[page + n] & SLOT_PRESENT) &&
           slot_off(obj->slots[page + n]) == off + n * LINUX_PAGE_SIZE)
        n++;
    *out_count = n;
    return off;
}

void *mm_object_page_ptr(struct mm_object *obj, uint64_t page)
{
    if (page >= obj->nslots || !(obj->slots[page] & SLOT_ALLOC))
        return NULL;
    return memfile_ptr(slot_off(obj->slots[page]));
}

/* Zeroes [off, end) of allocated pages; whole pages are punched. A punched
 * page of an object without populate stops being present (a hole, as in
 * Linux's shmem: not counted in st_blocks, zeros when asked for again, see
 * obj_alloc); it keeps its memory-file offset, which mappings may still
 * use. With forget, punched pages of a populated object stop being present
 * too (pages past its end must come from populate again if it grows back). */
static void obj_zero(struct mm_object *obj, uint64_t off, uint64_t end, bool forget)
{
    while (off < end) {
        uint64_t page = off / LINUX_PAGE_SIZE;
        uint64_t page_end = (page + 1) * LINUX_PAGE_SIZE;
        uint64_t e = end < page_end ? end : page_end;
        if (page >= obj->nslots)
            break;
        uint64_t slot = obj->slots[page];
        if (slot & SLOT_ALLOC) {
            if (off % LINUX_PAGE_SIZE == 0 && e == page_end) {
                memfile_punch(slot_off(slot), LINUX_PAGE_SIZE);
                bool populated = obj->ops && obj->ops->populate;
                if (forget || !populated)
                    obj->slots[page] &= ~SLOT_PRESENT;
            } else {
                memset((char *)memfile_ptr(slot_off(slot)) + off % LINUX_PAGE_SIZE, 0, e - off);
            }
        }
        off = e;
    }
}

void (*mm_object_shrink_hook)(struct mm_object *obj, uint64_t new_size);

int mm_object_resize(struct mm_object *obj, uint64_t new_size)
{
    if (new_size < obj->size) {
        obj_zero(obj, new_size, page_round_up(obj->size), true);
        if (mm_object_shrink_hook)
            mm_object_shrink_hook(obj, new_size);
    }
    obj->size = new_size;
    return 0;
}

int mm_object_zero(struct mm_object *obj, uint64_t off, uint64_t len)
{
    if (off >= obj->size)
        return 0;
    uint64_t end = len > obj->size - off ? obj->size : off + len;
    /* Only pages that exist can hold data: the rest read as zeros already. */
    obj_zero(obj, off, end, false);
    return 0;
}

long mm_object_rw(struct mm_object *obj, uint64_t off, const struct iovec *iov, int iovcnt,
                  bool to_object)
{
    size_t done = 0, total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    for (int i = 0; i < iovcnt; i++) {
        size_t left = iov[i].iov_len, pos = 0;
        while (left > 0) {
            if (off >= obj->size)
                return (long)done;
            uint64_t page = off / LINUX_PAGE_SIZE, in_page = off % LINUX_PAGE_SIZE;
            if (!mm_object_present(obj, page)) {
                /* Populate the rest of the request in one go (bounded). */
                uint64_t want = (in_page + (total - done) + LINUX_PAGE_SIZE - 1) / LINUX_PAGE_SIZE;
                uint64_t avail = mm_object_pages(obj) - page;
                if (want > avail)
                    want = avail;
                if (want > OBJ_RW_POPULATE_MAX)
                    want = OBJ_RW_POPULATE_MAX;
                int err = mm_object_populate(obj, page, want);
                if (err && want > 1)
                    err = mm_object_populate(obj, page, 1);
                if (err)
                    return done ? (long)done : err;
            }
            size_t n = LINUX_PAGE_SIZE - in_page;
            if (n > left)
                n = left;
            if (n > obj->size - off)
                n = obj->size - off;
            char *p = (char *)mm_object_page_ptr(obj, page) + in_page;
            char *u = (char *)iov[i].iov_base + pos;
            if (to_object)
                memcpy(p, u, n);
            else
                memcpy(u, p, n);
            off += n;
            pos += n;
            left -= n;
            done += n;
        }
    }
    return (long)done;
}
