/* Ordered sets of non-overlapping address ranges: VMAs (what the application
 * mapped, with protections) and pmas (which pages have memory-file backing).
 *
 * Both are sorted arrays searched by binary search: address spaces hold tens
 * to a few thousands of ranges, and a sorted array is compact and fast to
 * walk in order. Pure logic, no locking, no platform: unit-tested alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux PROT_* bits. */
#define VMA_PROT_READ 0x1
#define VMA_PROT_WRITE 0x2
#define VMA_PROT_EXEC 0x4

/* VMA flags. */
#define VMA_SHARED 0x1     /* MAP_SHARED: writes reach the backing object */
#define VMA_GROWSDOWN 0x2  /* stack */
#define VMA_STACK 0x4      /* the main thread's stack ([stack] in maps) */
#define VMA_HEAP 0x8       /* brk area ([heap] in maps) */
#define VMA_LOCKED 0x10
#define VMA_DONTFORK 0x20

struct mm_object;
struct file;

/* What backs a VMA:
 *   private anonymous: obj == NULL; pages are the mm's pmas.
 *   shared (anonymous or file): obj, VMA_SHARED; pages are the object's.
 *   private file: obj and file, no VMA_SHARED; pages are the object's
 *     (mapped without write access) until a write copies one into a pma,
 *     which then overrides the object's page (copy-on-write). */
struct vma {
    uint64_t start, end; /* page-aligned, start < end */
    int prot, max_prot;
    int flags;
    struct mm_object *obj; /* shared and file mappings; NULL for private anonymous */
    struct file *file;     /* file mappings: the file mapped (names it in maps) */
    uint64_t obj_off;      /* object (= file) offset of start */
    const char *name;      /* static label for maps, or NULL */
};

/* How a set takes and drops the references a VMA holds (its obj and file)
 * as pieces are split off, merged away or removed. A set whose ops are NULL
 * never touches them. */
struct vma_ref_ops {
    void (*get)(const struct vma *v); /* a new piece refers to v's backing */
    void (*put)(const struct vma *v); /* a piece is gone */
};

struct vma_set {
    struct vma *v;
    size_t count, cap;
    const struct vma_ref_ops *refs;
};

/* The VMA containing addr, or NULL. */
struct vma *vma_find(struct vma_set *s, uint64_t addr);
/* The first VMA with end > addr (may contain addr), or NULL. */
struct vma *vma_find_next(struct vma_set *s, uint64_t addr);
/* Index of the first VMA with end > addr (== count if none). */
size_t vma_lower_bound(const struct vma_set *s, uint64_t addr);
/* Inserts v into a hole (the range must be free). The set takes over v's
 * references. Merges with neighbours when compatible. Returns 0 or -ENOMEM
 * (the references are then still the caller's). */
int vma_insert(struct vma_set *s, const struct vma *v);
/* Splits VMAs so that addr is a boundary (no-op if addr is in no VMA or is a
 * boundary already). Returns 0 or -ENOMEM. */
int vma_split_at(struct vma_set *s, uint64_t addr);
/* Removes [start, end) from the set, splitting the VMAs at the edges. The
 * removed pieces' references are dropped through s->refs. */
int vma_remove_range(struct vma_set *s, uint64_t start, uint64_t end);
/* Sets prot on [start, end); every page must be mapped (else -ENOMEM) and
 * prot must be within each VMA's max_prot (else -EACCES). Merges after. */
int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, int prot);
/* Merges adjacent compatible VMAs around index i. */
void vma_merge_around(struct vma_set *s, size_t i);
/* True if [start, end) overlaps no VMA. */
bool vma_range_free(struct vma_set *s, uint64_t start, uint64_t end);
/* Finds a free gap of len bytes: top-down below top, above floor. Returns
 * the address or 0 if none. */
uint64_t vma_find_gap_down(struct vma_set *s, uint64_t len, uint64_t floor, uint64_t top);
void vma_set_free(struct vma_set *s);

/* A range of application pages backed by contiguous memory-file pages that
 * belong to this mm: private anonymous memory, and private copies of file
 * pages. */
struct pma {
    uint64_t start, end;
    uint64_t mf_off;
    bool private_owned; /* the memory-file range is this mm's to free */
    /* Since a fork the pages may be shared with other mms (see
     * sentry/mm/fork.c): mapped without PROT_WRITE, a write copies the
     * page unless no other mm holds it any more. */
    bool cow;
};

struct pma_set {
    struct pma *v;
    size_t count, cap;
};

struct pma *pma_find(struct pma_set *s, uint64_t addr);
size_t pma_lower_bound(const struct pma_set *s, uint64_t addr);
int pma_insert(struct pma_set *s, const struct pma *p);
/* Removes [start, end); release(mf_off, len) is called for each removed
 * private_owned piece. */
int pma_remove_range(struct pma_set *s, uint64_t start, uint64_t end,
                     void (*release)(uint64_t mf_off, uint64_t len));
void pma_set_free(struct pma_set *s, void (*release)(uint64_t mf_off, uint64_t len));
