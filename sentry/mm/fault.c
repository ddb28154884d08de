/* Page faults, copy-on-write and address translation for copy_in/out.
 *
 * What a fault maps, per kind of VMA (see vma.h):
 *   private anonymous  the mm's pmas, allocated for the whole populate unit
 *                      around the fault, with the VMA's protection;
 *   shared             the object's pages, populated for the unit, with the
 *                      VMA's protection;
 *   private file       the mm's pmas (private copies) with the VMA's
 *                      protection, and the object's pages elsewhere with
 *                      PROT_WRITE removed, so every mm mapping the file
 *                      shares them.
 * Object pages past the end of the object are never mapped: touching one is
 * SIGBUS. A write to a present object page of a private VMA that allows
 * writing comes back as a protection fault (mapped); it copies the page into
 * a new pma and maps that writable: copy-on-write. copy_out does the same
 * copy through mm_translate.
 *
 * Every other protection fault on a present page is an access the VMA
 * forbids: the platform holds pages with at most the VMA's protection.
 *
 * Fork shares private pages (pmas flagged cow, see fork.c): they are mapped
 * without PROT_WRITE and a write copies the page if another mm still holds
 * it (mm_cow_break).
 *
 * Lock order: the kernel lock covers every mm. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/mman.h"
#include "abi/linux/signal.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm_internal.h"

uint64_t mm_vma_obj_end(const struct vma *v)
{
    uint64_t obj_bytes = mm_object_pages(v->obj) * LINUX_PAGE_SIZE;
    if (obj_bytes <= v->obj_off)
        return v->start;
    uint64_t len = obj_bytes - v->obj_off;
    return len < v->end - v->start ? v->start + len : v->end;
}

/* Gives private pages to every hole of [start, end) (inside one VMA). */
static int mm_populate_private(struct mm *mm, uint64_t start, uint64_t end)
{
    uint64_t addr = start;
    size_t i = pma_lower_bound(&mm->pmas, addr);
    while (addr < end) {
        struct pma *p = i < mm->pmas.count ? &mm->pmas.v[i] : NULL;
        if (p && p->start <= addr) {
            addr = p->end;
            i++;
            continue;
        }
        uint64_t hole_end = p && p->start < end ? p->start : end;
        uint64_t len = hole_end - addr;
        uint64_t align = (addr % MM_POPULATE_UNIT == 0 && len == MM_POPULATE_UNIT)
                             ? MM_POPULATE_UNIT
                             : LINUX_PAGE_SIZE;
        uint64_t off = memfile_alloc(len, align);
        if (off == (uint64_t)-1)
            return -LINUX_ENOMEM;
        struct pma np = {.start = addr, .end = hole_end, .mf_off = off, .private_owned = true};
        int err = pma_insert(&mm->pmas, &np);
        if (err) {
            memfile_free(off, len);
            return err;
        }
        addr = hole_end;
        i = pma_lower_bound(&mm->pmas, addr);
    }
    return 0;
}

/* The populate unit around addr, clipped to the VMA. */
static void mm_unit_around(const struct vma *v, uint64_t addr, uint64_t *out_start,
                           uint64_t *out_end)
{
    uint64_t s = addr & ~(MM_POPULATE_UNIT - 1);
    uint64_t e = s + MM_POPULATE_UNIT;
    *out_start = s < v->start ? v->start : s;
    *out_end = e > v->end ? v->end : e;
}

static void mm_platform_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
    mm->map_seq++;
    int err = platform->as_map(mm->as, addr, len, prot, off);
    if (err)
        panic("mm: cannot map [%#lx, %#lx) into the address space: %d", (unsigned long)addr,
              (unsigned long)(addr + len), err);
}

/* Maps what backs [start, end) of v into the platform: pmas with the VMA's
 * protection, present object pages with it too (shared) or without
 * PROT_WRITE (private: copy-on-write). Pages with no backing are skipped. */
static void mm_map_range(struct mm *mm, const struct vma *v, uint64_t start, uint64_t end)
{
    bool priv = !(v->flags & VMA_SHARED);
    int obj_prot = priv ? v->prot & ~LINUX_PROT_WRITE : v->prot;
    size_t i = priv ? pma_lower_bound(&mm->pmas, start) : mm->pmas.count;
    uint64_t addr = start;
    while (addr < end) {
        const struct pma *p = i < mm->pmas.count ? &mm->pmas.v[i] : NULL;
        if (p && p->start <= addr) {
            uint64_t e = p->end < end ? p->end : end;
            int prot = p->cow ? v->prot & ~LINUX_PROT_WRITE : v->prot;
            mm_platform_map(mm, addr, e - addr, prot, p->mf_off + (addr - p->start));
            addr = e;
            i++;
            continue;
        }
        uint64_t limit = p && p->start < end ? p->start : end;
        if (!v->obj) {
            addr = limit;
            continue;
        }
        uint64_t n;
        uint64_t off =
            mm_object_lookup(v->obj, vma_obj_page(v, addr), (limit - addr) / LINUX_PAGE_SIZE, &n);
        if (off == MM_OBJ_NO_PAGE) {
            addr += LINUX_PAGE_SIZE;
            continue;
        }
        mm_platform_map(mm, addr, n * LINUX_PAGE_SIZE, obj_prot, off);
        addr += n * LINUX_PAGE_SIZE;
    }
}

/* Populates the object pages behind [start, end) of v (inside the object),
 * falling back to the single page at addr if the range fails (a read error
 * further on must not fail an access that does not need it). Returns 0 or
 * -errno, with *start and *end narrowed to the range populated. */
static int mm_populate_obj(const struct vma *v, uint64_t addr, uint64_t *start, uint64_t *end)
{
    int err =
        mm_object_populate(v->obj, vma_obj_page(v, *start), (*end - *start) / LINUX_PAGE_SIZE);
    if (err && *end - *start > LINUX_PAGE_SIZE) {
        *start = page_round_down(addr);
        *end = *start + LINUX_PAGE_SIZE;
        err = mm_object_populate(v->obj, vma_obj_page(v, *start), 1);
    }
    return err;
}

/* Copy-on-write of the page at addr of v (a private file mapping): copies
 * the object's page into a new pma and maps it with the VMA's protection.
 * Returns 0, -LINUX_EIO (past the end of the object, or unreadable) or
 * -LINUX_ENOMEM. */
static int mm_cow_page(struct mm *mm, const struct vma *v, uint64_t addr)
{
    uint64_t page = page_round_down(addr);
    if (page >= mm_vma_obj_end(v))
        return -LINUX_EIO;
    uint64_t start = page, end = page + LINUX_PAGE_SIZE;
    int err = mm_populate_obj(v, addr, &start, &end);
    if (err)
        return err == -LINUX_ENOMEM ? err : -LINUX_EIO;
    uint64_t n;
    uint64_t src = mm_object_lookup(v->obj, vma_obj_page(v, page), 1, &n);
    SENTRY_ASSERT(src != MM_OBJ_NO_PAGE);
    uint64_t off = memfile_alloc(LINUX_PAGE_SIZE, LINUX_PAGE_SIZE);
    if (off == (uint64_t)-1)
        return -LINUX_ENOMEM;
    memcpy(memfile_ptr(off), memfile_ptr(src), LINUX_PAGE_SIZE);
    struct pma np = {
        .start = page, .end = page + LINUX_PAGE_SIZE, .mf_off = off, .private_owned = true};
    err = pma_insert(&mm->pmas, &np);
    if (err) {
        memfile_free(off, LINUX_PAGE_SIZE);
        return err;
    }
    /* The stub may hold the object's page here: replace it. */
    mm_platform_map(mm, page, LINUX_PAGE_SIZE, v->prot, off);
    return 0;
}

/* A write to the page at addr of a pma flagged cow (shared since a fork):
 * copies the page if another mm still holds it, else keeps it; either way
 * the page leaves the cow pma and is mapped with the VMA's protection.
 * Returns 0 or -LINUX_ENOMEM. */
static int mm_cow_break(struct mm *mm, const struct vma *v, uint64_t addr)
{
    uint64_t page = page_round_down(addr);
    struct pma *p = pma_find(&mm->pmas, page);
    SENTRY_ASSERT(p && p->cow);
    uint64_t src = p->mf_off + (page - p->start);
    uint64_t off = src;
    bool copy = mm_page_ref_shared(src);
    if (copy) {
        off = memfile_alloc(LINUX_PAGE_SIZE, LINUX_PAGE_SIZE);
        if (off == (uint64_t)-1)
            return -LINUX_ENOMEM;
        memcpy(memfile_ptr(off), memfile_ptr(src), LINUX_PAGE_SIZE);
    }
    /* Drops this mm's reference to a shared page; keeps a page it owns. */
    int err =
        pma_remove_range(&mm->pmas, page, page + LINUX_PAGE_SIZE, copy ? mm_release_pages : NULL);
    struct pma np = {
        .start = page, .end = page + LINUX_PAGE_SIZE, .mf_off = off, .private_owned = true};
    if (!err)
        err = pma_insert(&mm->pmas, &np);
    if (err) {
        if (copy)
            memfile_free(off, LINUX_PAGE_SIZE);
        return err;
    }
    mm_platform_map(mm, page, LINUX_PAGE_SIZE, v->prot, off);
    return 0;
}

static int mm_sigbus(int *out_code)
{
    *out_code = LINUX_BUS_ADRERR;
    return -LINUX_EIO;
}

static int mm_sigsegv(int *out_code, int code)
{
    *out_code = code;
    return -LINUX_EFAULT;
}

int mm_fault(struct mm *mm, uint64_t addr, bool mapped, int *out_code)
{
    struct vma *v = vma_find(&mm->vmas, addr);
    if (!v)
        return mm_sigsegv(out_code, LINUX_SEGV_MAPERR);
    if (v->prot == LINUX_PROT_NONE)
        return mm_sigsegv(out_code, LINUX_SEGV_ACCERR);
    if (mapped) {
        /* Present pages carry the VMA's protection, except the object pages
         * of a private mapping and the pages shared since a fork, which
         * lack PROT_WRITE until written. */
        if (v->prot & LINUX_PROT_WRITE) {
            struct pma *p = pma_find(&mm->pmas, page_round_down(addr));
            if (p && p->cow)
                return mm_cow_break(mm, v, addr);
        }
        if (vma_is_cow(v) && (v->prot & LINUX_PROT_WRITE) &&
            !pma_find(&mm->pmas, page_round_down(addr))) {
            int err = mm_cow_page(mm, v, addr);
            return err == -LINUX_EIO ? mm_sigbus(out_code) : err;
        }
        return mm_sigsegv(out_code, LINUX_SEGV_ACCERR);
    }
    uint64_t start, end;
    mm_unit_around(v, addr, &start, &end);
    if (!v->obj) {
        int err = mm_populate_private(mm, start, end);
        if (err)
            return err; /* out of memory: the caller kills the task */
    } else {
        uint64_t obj_end = mm_vma_obj_end(v);
        if (addr >= obj_end)
            return mm_sigbus(out_code);
        if (end > obj_end)
            end = obj_end;
        int err = mm_populate_obj(v, addr, &start, &end);
        if (err == -LINUX_ENOMEM)
            return err;
        if (err)
            return mm_sigbus(out_code);
    }
    mm_map_range(mm, v, start, end);
    return 0;
}

/* Used by copy.c: the sentry address of application byte addr and how many
 * bytes from there are contiguous, faulting pages in (and copying a private
 * file page for a write). Returns NULL if addr is not accessible for the
 * access. */
void *mm_translate(struct mm *mm, uint64_t addr, bool write, size_t *out_avail)
{
    struct vma *v = vma_find(&mm->vmas, addr);
    if (!v || !(v->prot & (write ? LINUX_PROT_WRITE
                                 : (LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC))))
        return NULL;
    uint64_t start, end;
    mm_unit_around(v, addr, &start, &end);
    if (!v->obj) {
        struct pma *p = pma_find(&mm->pmas, addr);
        if (!p) {
            if (mm_populate_private(mm, start, end) != 0)
                return NULL;
            p = pma_find(&mm->pmas, addr);
            SENTRY_ASSERT(p);
        }
        if (write && p->cow) {
            if (mm_cow_break(mm, v, addr) != 0)
                return NULL;
            p = pma_find(&mm->pmas, addr);
            SENTRY_ASSERT(p);
        }
        uint64_t e = p->end < v->end ? p->end : v->end;
        *out_avail = e - addr;
        return memfile_ptr(p->mf_off + (addr - p->start));
    }
    uint64_t limit = v->end;
    if (vma_is_cow(v)) {
        struct pma *p = pma_find(&mm->pmas, addr);
        if (!p && write) {
            if (mm_cow_page(mm, v, addr) != 0)
                return NULL;
            p = pma_find(&mm->pmas, addr);
            SENTRY_ASSERT(p);
        }
        if (p && write && p->cow) {
            if (mm_cow_break(mm, v, addr) != 0)
                return NULL;
            p = pma_find(&mm->pmas, addr);
            SENTRY_ASSERT(p);
        }
        if (p) {
            uint64_t e = p->end < v->end ? p->end : v->end;
            *out_avail = e - addr;
            return memfile_ptr(p->mf_off + (addr - p->start));
        }
        /* Object pages run up to the next private page. */
        size_t i = pma_lower_bound(&mm->pmas, addr);
        if (i < mm->pmas.count && mm->pmas.v[i].start < limit)
            limit = mm->pmas.v[i].start;
    }
    uint64_t obj_end = mm_vma_obj_end(v);
    if (addr >= obj_end)
        return NULL; /* past the end of the file */
    if (limit > obj_end)
        limit = obj_end;
    if (end > obj_end)
        end = obj_end;
    if (!mm_object_present(v->obj, vma_obj_page(v, addr)) &&
        mm_populate_obj(v, addr, &start, &end) != 0)
        return NULL;
    uint64_t page = page_round_down(addr), n;
    uint64_t off = mm_object_lookup(v->obj, vma_obj_page(v, page),
                                    (page_round_up(limit) - page) / LINUX_PAGE_SIZE, &n);
    SENTRY_ASSERT(off != MM_OBJ_NO_PAGE);
    uint64_t avail = page + n * LINUX_PAGE_SIZE - addr;
    *out_avail = avail < limit - addr ? avail : limit - addr;
    return memfile_ptr(off + (addr - page));
}
