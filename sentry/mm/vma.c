/* VMA and pma sets: sorted arrays of non-overlapping ranges, searched by
 * binary search. See vma.h.
 *
 * Every operation that can fail reserves the array space it needs before it
 * changes anything, so a -LINUX_ENOMEM leaves the set exactly as it was.
 *
 * References: each VMA holds references on its backing (obj, file), taken
 * and dropped through the set's refs ops. Splitting a VMA takes new ones for
 * the new piece; merging two pieces of the same backing drops the absorbed
 * piece's (never the last ones, since the merged VMA keeps its own);
 * removing a piece drops its.
 *
 * No locking here: the owning mm is changed under the kernel lock. */
#include "sentry/mm/vma.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/types.h"

#define SET_MIN_CAP 16

static bool page_aligned(uint64_t x)
{
    return (x & ~LINUX_PAGE_MASK) == 0;
}

/* Grows *arr (cap elements of elem_size bytes) so that it holds at least
 * need elements, doubling the capacity. Returns 0 or -LINUX_ENOMEM. */
static int array_reserve(void **arr, size_t *cap, size_t elem_size, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t new_cap = *cap < SET_MIN_CAP ? SET_MIN_CAP : *cap;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2)
            return -LINUX_ENOMEM;
        new_cap *= 2;
    }
    if (new_cap > SIZE_MAX / elem_size)
        return -LINUX_ENOMEM;
    void *p = realloc(*arr, new_cap * elem_size);
    if (!p)
        return -LINUX_ENOMEM;
    *arr = p;
    *cap = new_cap;
    return 0;
}

/* ---- VMAs ---- */

static int vma_reserve(struct vma_set *s, size_t extra)
{
    if (extra > SIZE_MAX - s->count)
        return -LINUX_ENOMEM;
    return array_reserve((void **)&s->v, &s->cap, sizeof(*s->v), s->count + extra);
}

size_t vma_lower_bound(const struct vma_set *s, uint64_t addr)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Number of VMAs with start < addr, i.e. the index of the first VMA that
 * starts at or above addr. */
static size_t vma_count_below(const struct vma_set *s, uint64_t addr)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].start >= addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

struct vma *vma_find(struct vma_set *s, uint64_t addr)
{
    size_t i = vma_lower_bound(s, addr);
    if (i < s->count && s->v[i].start <= addr)
        return &s->v[i];
    return NULL;
}

struct vma *vma_find_next(struct vma_set *s, uint64_t addr)
{
    size_t i = vma_lower_bound(s, addr);
    return i < s->count ? &s->v[i] : NULL;
}

bool vma_range_free(struct vma_set *s, uint64_t start, uint64_t end)
{
    if (start >= end)
        return true;
    size_t i = vma_lower_bound(s, start);
    return i == s->count || s->v[i].start >= end;
}

static bool name_equal(const char *a, const char *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    return strcmp(a, b) == 0;
}

/* True if b can be appended to a (a directly below b) as one VMA. */
static bool vma_can_merge(const struct vma *a, const struct vma *b)
{
    if (a->end != b->start)
        return false;
    if (a->prot != b->prot || a->max_prot != b->max_prot || a->flags != b->flags)
        return false;
    if (!name_equal(a->name, b->name))
        return false;
    if (a->obj != b->obj || a->file != b->file)
        return false;
    if (a->obj && a->obj_off + (a->end - a->start) != b->obj_off)
        return false;
    return true;
}

/* Merges v[i+1] into v[i] if they are compatible. */
static void vma_merge_next(struct vma_set *s, size_t i)
{
    if (i + 1 >= s->count || !vma_can_merge(&s->v[i], &s->v[i + 1]))
        return;
    struct vma absorbed = s->v[i + 1];
    s->v[i].end = absorbed.end;
    memmove(&s->v[i + 1], &s->v[i + 2], (s->count - i - 2) * sizeof(*s->v));
    s->count--;
    if (s->refs)
        s->refs->put(&absorbed);
}

void vma_merge_around(struct vma_set *s, size_t i)
{
    if (i >= s->count)
        return;
    vma_merge_next(s, i);
    if (i > 0)
        vma_merge_next(s, i - 1);
}

int vma_insert(struct vma_set *s, const struct vma *v)
{
    if (v->start >= v->end || !page_aligned(v->start) || !page_aligned(v->end))
        return -LINUX_EINVAL;
    size_t i = vma_lower_bound(s, v->start);
    if (i < s->count && s->v[i].start < v->end)
        return -LINUX_EEXIST; /* not a hole: a caller bug */
    int err = vma_reserve(s, 1);
    if (err)
        return err;
    memmove(&s->v[i + 1], &s->v[i], (s->count - i) * sizeof(*s->v));
    s->v[i] = *v;
    s->count++;
    vma_merge_around(s, i);
    return 0;
}

/* Splits v[i] at addr (strictly inside it); space must be reserved. */
static void vma_split_index(struct vma_set *s, size_t i, uint64_t addr)
{
    memmove(&s->v[i + 1], &s->v[i], (s->count - i) * sizeof(*s->v));
    s->count++;
    struct vma *left = &s->v[i], *right = &s->v[i + 1];
    left->end = addr;
    right->start = addr;
    right->obj_off += addr - left->start;
    if (s->refs)
        s->refs->get(right);
}

/* Splits at addr if it is strictly inside a VMA; space must be reserved. */
static void vma_split_reserved(struct vma_set *s, uint64_t addr)
{
    size_t i = vma_lower_bound(s, addr);
    if (i < s->count && s->v[i].start < addr)
        vma_split_index(s, i, addr);
}

int vma_split_at(struct vma_set *s, uint64_t addr)
{
    if (!page_aligned(addr))
        return -LINUX_EINVAL;
    size_t i = vma_lower_bound(s, addr);
    if (i == s->count || s->v[i].start >= addr)
        return 0; /* in no VMA, or a boundary already */
    int err = vma_reserve(s, 1);
    if (err)
        return err;
    vma_split_index(s, i, addr);
    return 0;
}

int vma_remove_range(struct vma_set *s, uint64_t start, uint64_t end)
{
    if (start > end || !page_aligned(start) || !page_aligned(end))
        return -LINUX_EINVAL;
    if (start == end)
        return 0;
    int err = vma_reserve(s, 2);
    if (err)
        return err;
    vma_split_reserved(s, start);
    vma_split_reserved(s, end);
    size_t first = vma_lower_bound(s, start);
    size_t last = first;
    while (last < s->count && s->v[last].end <= end) {
        if (s->refs)
            s->refs->put(&s->v[last]);
        last++;
    }
    memmove(&s->v[first], &s->v[last], (s->count - last) * sizeof(*s->v));
    s->count -= last - first;
    return 0;
}

int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, int prot)
{
    if (start > end || !page_aligned(start) || !page_aligned(end))
        return -LINUX_EINVAL;
    if (start == end)
        return 0;
    /* Check the whole range first so that a failure changes nothing. The
     * first problem in address order decides the error, as in Linux. */
    uint64_t pos = start;
    for (size_t j = vma_lower_bound(s, start); pos < end; j++) {
        if (j == s->count || s->v[j].start > pos)
            return -LINUX_ENOMEM;
        if (prot & ~s->v[j].max_prot)
            return -LINUX_EACCES;
        pos = s->v[j].end;
    }
    int err = vma_reserve(s, 2);
    if (err)
        return err;
    vma_split_reserved(s, start);
    vma_split_reserved(s, end);
    size_t first = vma_lower_bound(s, start);
    size_t last = first;
    for (; last < s->count && s->v[last].end <= end; last++)
        s->v[last].prot = prot;
    /* Merge from the right so that indices below stay valid. */
    if (last < s->count)
        vma_merge_next(s, last - 1);
    for (size_t j = last - 1; j > first; j--)
        vma_merge_next(s, j - 1);
    if (first > 0)
        vma_merge_next(s, first - 1);
    return 0;
}

uint64_t vma_find_gap_down(struct vma_set *s, uint64_t len, uint64_t floor, uint64_t top)
{
    if (len == 0)
        return 0;
    uint64_t hi = top;
    size_t k = vma_count_below(s, top);
    for (;;) {
        uint64_t lo = k > 0 ? s->v[k - 1].end : 0;
        if (hi > lo && hi - lo >= len) {
            uint64_t a = page_round_down(hi - len);
            if (a < floor)
                return 0; /* every lower hole is lower still */
            if (a >= lo)
                return a;
        }
        if (k == 0)
            return 0;
        k--;
        if (s->v[k].start < hi)
            hi = s->v[k].start;
        if (hi <= floor)
            return 0;
    }
}

void vma_set_free(struct vma_set *s)
{
    for (size_t i = 0; i < s->count && s->refs; i++)
        s->refs->put(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->count = s->cap = 0;
}

/* ---- pmas ---- */

static int pma_reserve(struct pma_set *s, size_t extra)
{
    if (extra > SIZE_MAX - s->count)
        return -LINUX_ENOMEM;
    return array_reserve((void **)&s->v, &s->cap, sizeof(*s->v), s->count + extra);
}

size_t pma_lower_bound(const struct pma_set *s, uint64_t addr)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

struct pma *pma_find(struct pma_set *s, uint64_t addr)
{
    size_t i = pma_lower_bound(s, addr);
    if (i < s->count && s->v[i].start <= addr)
        return &s->v[i];
    return NULL;
}

static bool pma_can_merge(const struct pma *a, const struct pma *b)
{
    return a->end == b->start && a->private_owned == b->private_owned && a->cow == b->cow &&
           a->mf_off + (a->end - a->start) == b->mf_off;
}

static void pma_merge_next(struct pma_set *s, size_t i)
{
    if (i + 1 >= s->count || !pma_can_merge(&s->v[i], &s->v[i + 1]))
        return;
    s->v[i].end = s->v[i + 1].end;
    memmove(&s->v[i + 1], &s->v[i + 2], (s->count - i - 2) * sizeof(*s->v));
    s->count--;
}

int pma_insert(struct pma_set *s, const struct pma *p)
{
    if (p->start >= p->end || !page_aligned(p->start) || !page_aligned(p->end) ||
        !page_aligned(p->mf_off))
        return -LINUX_EINVAL;
    size_t i = pma_lower_bound(s, p->start);
    if (i < s->count && s->v[i].start < p->end)
        return -LINUX_EEXIST; /* not a hole: a caller bug */
    int err = pma_reserve(s, 1);
    if (err)
        return err;
    memmove(&s->v[i + 1], &s->v[i], (s->count - i) * sizeof(*s->v));
    s->v[i] = *p;
    s->count++;
    pma_merge_next(s, i);
    if (i > 0)
        pma_merge_next(s, i - 1);
    return 0;
}

/* Splits at addr if it is strictly inside a pma; space must be reserved. */
static void pma_split_reserved(struct pma_set *s, uint64_t addr)
{
    size_t i = pma_lower_bound(s, addr);
    if (i == s->count || s->v[i].start >= addr)
        return;
    memmove(&s->v[i + 1], &s->v[i], (s->count - i) * sizeof(*s->v));
    s->count++;
    struct pma *left = &s->v[i], *right = &s->v[i + 1];
    left->end = addr;
    right->start = addr;
    right->mf_off += addr - left->start;
}

int pma_remove_range(struct pma_set *s, uint64_t start, uint64_t end,
                     void (*release)(uint64_t mf_off, uint64_t len))
{
    if (start > end || !page_aligned(start) || !page_aligned(end))
        return -LINUX_EINVAL;
    if (start == end)
        return 0;
    int err = pma_reserve(s, 2);
    if (err)
        return err;
    pma_split_reserved(s, start);
    pma_split_reserved(s, end);
    size_t first = pma_lower_bound(s, start);
    size_t last = first;
    while (last < s->count && s->v[last].end <= end) {
        const struct pma *p = &s->v[last];
        if (p->private_owned && release)
            release(p->mf_off, p->end - p->start);
        last++;
    }
    memmove(&s->v[first], &s->v[last], (s->count - last) * sizeof(*s->v));
    s->count -= last - first;
    return 0;
}

void pma_set_free(struct pma_set *s, void (*release)(uint64_t mf_off, uint64_t len))
{
    for (size_t i = 0; i < s->count; i++) {
        const struct pma *p = &s->v[i];
        if (p->private_owned && release)
            release(p->mf_off, p->end - p->start);
    }
    free(s->v);
    s->v = NULL;
    s->count = s->cap = 0;
}
