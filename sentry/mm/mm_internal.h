/* Shared between the files of sentry/mm (mm.c, mm_file.c, fault.c); not for
 * other subsystems.
 *
 * Lock order: the kernel lock covers every mm. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/mm/mm.h"
#include "sentry/mm/object.h"
#include "sentry/mm/vma.h"

/* Faults and copies populate this much around the touched page (aligned),
 * so a loop over a large buffer leaves the host kernel once per unit. */
#define MM_POPULATE_UNIT (2ULL << 20)

/* The references every VMA of an mm holds: its object and its file. */
extern const struct vma_ref_ops mm_vma_refs;

/* Frees private pages (pma release callback); a page other mms still
 * share since a fork only loses this mm's reference. */
void mm_release_pages(uint64_t mf_off, uint64_t len);

/* Fork's page sharing (fork.c): a reference count per memory-file page,
 * counting the mms beyond the first that hold it. */
void mm_page_ref_get(uint64_t mf_off);
/* True if another mm still holds the page. */
bool mm_page_ref_shared(uint64_t mf_off);
/* Drops one extra reference; false if there was none (the caller owns the
 * page alone and frees it). */
bool mm_page_ref_put(uint64_t mf_off);

/* Removes every mapping in [start, end): VMAs, private pages, and the
 * platform's view. */
int mm_unmap_range(struct mm *mm, uint64_t start, uint64_t end);

/* Linux's address choice for mmap of len bytes (page-aligned) with flags.
 * Returns the address or -errno. */
long mm_choose_addr(struct mm *mm, uint64_t addr, uint64_t len, int flags);

/* Replaces [v->start, v->end) with v; the mm takes over v's references,
 * which are dropped on failure. Returns 0 or -errno. */
int mm_install_vma(struct mm *mm, const struct vma *v);

/* True for a private mapping of an object (a private file mapping): its
 * object pages are copy-on-write. */
static inline bool vma_is_cow(const struct vma *v)
{
    return v->obj && !(v->flags & VMA_SHARED);
}

/* The object page that address addr of v maps. */
static inline uint64_t vma_obj_page(const struct vma *v, uint64_t addr)
{
    return (v->obj_off + (addr - v->start)) / LINUX_PAGE_SIZE;
}

/* The address just past the last page of v backed by its object (pages
 * beyond are past the end of the file: SIGBUS); v->start if none is. */
uint64_t mm_vma_obj_end(const struct vma *v);

/* Adds a new mm to the list of every mm (mm.c). */
void mm_list_add(struct mm *mm);
