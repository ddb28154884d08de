/* Address spaces: mmap, munmap, mprotect, mremap, madvise, brk and mincore
 * over the sentry's own VMA set. Faults, copy-on-write and translation are in
 * fault.c, file mappings in mm_file.c.
 *
 * Private anonymous memory gets memory-file pages on first touch (fault or
 * copy), a whole populate unit at a time, recorded as pmas. Shared memory
 * (anonymous or file) is an mm_object whose pages the VMA maps; private file
 * mappings map the object's pages read-only and copy a page into a pma on
 * its first write. The platform's view (the stub's page tables) is filled
 * lazily by faults and emptied eagerly by munmap/mprotect/madvise, so it
 * never grants more than the VMAs say.
 *
 * Lock order: the kernel lock covers every mm. */
#include "sentry/mm/mm.h"

#include <stdlib.h>

#include "abi/linux/errno.h"
#include "abi/linux/mman.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/vfs/file.h"

static void mm_vma_get(const struct vma *v)
{
    if (v->obj)
        mm_object_get(v->obj);
    if (v->file)
        file_get(v->file);
}

static void mm_vma_put(const struct vma *v)
{
    if (v->obj)
        mm_object_put(v->obj);
    if (v->file)
        file_put(v->file);
}

const struct vma_ref_ops mm_vma_refs = {.get = mm_vma_get, .put = mm_vma_put};

/* Page reference counts for fork's sharing (fork.c): a two-level table
 * over the memory file (at most 1 TiB, see memfile.c), one chunk of counts
 * per 2 MiB, allocated on first use. shared_pages is the sum of all counts:
 * 0 until a fork, so the release path costs nothing for programs that never
 * fork. */
#define REF_MAX_BYTES (1ULL << 40)
#define REF_CHUNK_PAGES 512ULL
#define REF_CHUNKS (REF_MAX_BYTES / LINUX_PAGE_SIZE / REF_CHUNK_PAGES)

static uint32_t *ref_chunks[REF_CHUNKS];
static uint64_t shared_pages;

static uint32_t *ref_slot(uint64_t mf_off, bool create)
{
    uint64_t page = mf_off / LINUX_PAGE_SIZE;
    uint64_t c = page / REF_CHUNK_PAGES;
    SENTRY_ASSERT(c < REF_CHUNKS);
    if (!ref_chunks[c]) {
        if (!create)
            return NULL;
        ref_chunks[c] = calloc(REF_CHUNK_PAGES, sizeof(uint32_t));
        if (!ref_chunks[c])
            return NULL;
    }
    return &ref_chunks[c][page % REF_CHUNK_PAGES];
}

void mm_page_ref_get(uint64_t mf_off)
{
    uint32_t *r = ref_slot(mf_off, true);
    if (!r)
        panic("mm: out of memory for page reference counts");
    (*r)++;
    shared_pages++;
}

bool mm_page_ref_shared(uint64_t mf_off)
{
    if (!shared_pages)
        return false;
    uint32_t *r = ref_slot(mf_off, false);
    return r && *r > 0;
}

bool mm_page_ref_put(uint64_t mf_off)
{
    if (!shared_pages)
        return false;
    uint32_t *r = ref_slot(mf_off, false);
    if (!r || *r == 0)
        return false;
    (*r)--;
    shared_pages--;
    return true;
}

void mm_release_pages(uint64_t mf_off, uint64_t len)
{
    /* Free the runs of pages no other mm shares. */
    uint64_t run = mf_off, end = mf_off + len;
    for (uint64_t off = mf_off; off < end; off += LINUX_PAGE_SIZE) {
        if (mm_page_ref_put(off)) {
            if (off > run)
                memfile_free(run, off - run);
            run = off + LINUX_PAGE_SIZE;
        }
    }
    if (end > run)
        memfile_free(run, end - run);
}

/* --- the list of every mm, and invalidations --- */

static struct mm *mm_all;

/* truncate_pagecache's unmap_mapping_range: pages of obj past new_size
 * leave every address space mapping them, so that the next access finds
 * the object's new end (SIGBUS) instead of a stale page. The ranges are
 * queued: each mm's own tasks apply them (mm_apply_invalidations). */
static void mm_object_shrunk(struct mm_object *obj, uint64_t new_size)
{
    uint64_t keep = page_round_up(new_size);
    for (struct mm *mm = mm_all; mm; mm = mm->all_next) {
        for (size_t i = 0; i < mm->vmas.count; i++) {
            const struct vma *v = &mm->vmas.v[i];
            if (v->obj != obj || v->obj_off + (v->end - v->start) <= keep)
                continue;
            uint64_t start = v->obj_off >= keep ? v->start : v->start + (keep - v->obj_off);
            struct mm_range *r =
                realloc(mm->inval, (mm->inval_count + 1) * sizeof(*mm->inval));
            if (!r)
                panic("mm: out of memory queueing an invalidation");
            mm->inval = r;
            mm->inval[mm->inval_count++] = (struct mm_range){start, v->end};
        }
    }
}

void mm_apply_invalidations(struct mm *mm)
{
    for (size_t i = 0; i < mm->inval_count; i++) {
        mm->map_seq++;
        platform->as_unmap(mm->as, mm->inval[i].start, mm->inval[i].end - mm->inval[i].start);
    }
    free(mm->inval);
    mm->inval = NULL;
    mm->inval_count = 0;
}

void mm_list_add(struct mm *mm)
{
    mm_object_shrink_hook = mm_object_shrunk;
    mm->all_prev = NULL;
    mm->all_next = mm_all;
    if (mm_all)
        mm_all->all_prev = mm;
    mm_all = mm;
}

static void mm_list_remove(struct mm *mm)
{
    if (mm->all_prev)
        mm->all_prev->all_next = mm->all_next;
    else if (mm_all == mm)
        mm_all = mm->all_next;
    if (mm->all_next)
        mm->all_next->all_prev = mm->all_prev;
    free(mm->inval);
}

struct mm *mm_new(void)
{
    struct mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return NULL;
    mm->as = platform->as_new();
    if (!mm->as) {
        free(mm);
        return NULL;
    }
    mm_list_add(mm);
    mm->refs = 1;
    mm->mmap_base = PF_TASK_SIZE;
    mm->vmas.refs = &mm_vma_refs;
    return mm;
}

void mm_get(struct mm *mm)
{
    mm->refs++;
}

void mm_put(struct mm *mm)
{
    SENTRY_ASSERT(mm->refs > 0);
    if (--mm->refs > 0)
        return;
    mm_list_remove(mm);
    platform->as_release(mm->as);
    vma_set_free(&mm->vmas);
    pma_set_free(&mm->pmas, mm_release_pages);
    if (mm->exe_file)
        file_put(mm->exe_file);
    free(mm);
}

int mm_unmap_range(struct mm *mm, uint64_t start, uint64_t end)
{
    if (vma_range_free(&mm->vmas, start, end))
        return 0;
    int err = vma_remove_range(&mm->vmas, start, end);
    if (err)
        return err;
    err = pma_remove_range(&mm->pmas, start, end, mm_release_pages);
    if (err)
        return err;
    mm->map_seq++;
    return platform->as_unmap(mm->as, start, end - start);
}

long mm_choose_addr(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
    if (len > PF_TASK_SIZE - MM_MIN_ADDR)
        return -LINUX_ENOMEM;
    if (flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE)) {
        if (addr & ~LINUX_PAGE_MASK)
            return -LINUX_EINVAL;
        if (addr > PF_TASK_SIZE - len)
            return -LINUX_ENOMEM;
        if (addr < MM_MIN_ADDR)
            return -LINUX_EPERM;
        if ((flags & LINUX_MAP_FIXED_NOREPLACE) && !(flags & LINUX_MAP_FIXED) &&
            !vma_range_free(&mm->vmas, addr, addr + len))
            return -LINUX_EEXIST;
        return (long)addr;
    }
    if (addr) {
        addr = page_round_up(addr);
        if (addr >= MM_MIN_ADDR && addr <= PF_TASK_SIZE - len &&
            vma_range_free(&mm->vmas, addr, addr + len))
            return (long)addr;
    }
    uint64_t a = vma_find_gap_down(&mm->vmas, len, MM_MIN_ADDR, mm->mmap_base);
    if (!a)
        a = vma_find_gap_down(&mm->vmas, len, MM_MIN_ADDR, PF_TASK_SIZE);
    return a ? (long)a : -LINUX_ENOMEM;
}

int mm_install_vma(struct mm *mm, const struct vma *v)
{
    int err = mm_unmap_range(mm, v->start, v->end);
    if (!err)
        err = vma_insert(&mm->vmas, v);
    if (err)
        mm_vma_put(v);
    return err;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags)
{
    if (len == 0)
        return -LINUX_EINVAL;
    if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC))
        return -LINUX_EINVAL;
    int type = flags & LINUX_MAP_TYPE;
    if (type != LINUX_MAP_SHARED && type != LINUX_MAP_PRIVATE &&
        type != LINUX_MAP_SHARED_VALIDATE)
        return -LINUX_EINVAL;
    if (!(flags & LINUX_MAP_ANONYMOUS))
        return -LINUX_ENODEV; /* files go through mm_mmap_file */
    /* Anonymous memory knows only private and shared. */
    if (type == LINUX_MAP_SHARED_VALIDATE)
        return -LINUX_EINVAL;
    if (flags & LINUX_MAP_HUGETLB)
        return -LINUX_ENOMEM; /* no huge page pool, like a host without one */
    len = page_round_up(len);
    if (len == 0)
        return -LINUX_ENOMEM;
    long a = mm_choose_addr(mm, addr, len, flags);
    if (a < 0)
        return a;
    addr = (uint64_t)a;

    struct vma v = {
        .start = addr,
        .end = addr + len,
        .prot = prot,
        .max_prot = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC,
        .flags = type == LINUX_MAP_PRIVATE ? 0 : VMA_SHARED,
    };
    if (flags & LINUX_MAP_GROWSDOWN)
        v.flags |= VMA_GROWSDOWN;
    if (v.flags & VMA_SHARED) {
        v.obj = mm_object_new(len, NULL, NULL);
        if (!v.obj)
            return -LINUX_ENOMEM;
    }
    int err = mm_install_vma(mm, &v);
    return err ? err : (long)addr;
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
    if ((addr & ~LINUX_PAGE_MASK) || len == 0)
        return -LINUX_EINVAL;
    len = page_round_up(len);
    if (len == 0 || addr > PF_TASK_SIZE || len > PF_TASK_SIZE - addr)
        return -LINUX_EINVAL;
    return mm_unmap_range(mm, addr, addr + len);
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
    if (addr & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC | LINUX_PROT_GROWSDOWN |
                 LINUX_PROT_GROWSUP))
        return -LINUX_EINVAL;
    if ((prot & LINUX_PROT_GROWSDOWN) && (prot & LINUX_PROT_GROWSUP))
        return -LINUX_EINVAL;
    prot &= LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC;
    uint64_t end = page_round_up(addr + len);
    if (end < addr)
        return -LINUX_ENOMEM;
    if (end == addr)
        return 0;
    if (end > PF_TASK_SIZE)
        return -LINUX_ENOMEM;
    int err = vma_protect(&mm->vmas, addr, end, prot);
    if (err)
        return err;
    /* Drop the platform's view; faults bring pages back with the new
     * protection. */
    mm->map_seq++;
    return platform->as_unmap(mm->as, addr, end - addr);
}

/* Moves the pages of [old, old+len) to new (pmas keep their memory-file
 * ranges, only their addresses change). */
static int mm_move_pages(struct mm *mm, uint64_t old, uint64_t len, uint64_t new)
{
    size_t first = pma_lower_bound(&mm->pmas, old), n = 0;
    while (first + n < mm->pmas.count && mm->pmas.v[first + n].start < old + len)
        n++;
    if (n == 0)
        return 0;
    struct pma *moved = malloc(n * sizeof(*moved));
    if (!moved)
        return -LINUX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct pma p = mm->pmas.v[first + i];
        if (p.start < old) {
            p.mf_off += old - p.start;
            p.start = old;
        }
        if (p.end > old + len)
            p.end = old + len;
        p.start = p.start - old + new;
        p.end = p.end - old + new;
        moved[i] = p;
    }
    /* The pieces now belong to the new range: remove without freeing. */
    int err = pma_remove_range(&mm->pmas, old, old + len, NULL);
    for (size_t i = 0; !err && i < n; i++)
        err = pma_insert(&mm->pmas, &moved[i]);
    free(moved);
    return err;
}

long mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
               uint64_t new_addr)
{
    if (flags & ~(LINUX_MREMAP_MAYMOVE | LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP))
        return -LINUX_EINVAL;
    if ((flags & (LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP)) && !(flags & LINUX_MREMAP_MAYMOVE))
        return -LINUX_EINVAL;
    if (old_addr & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    old_len = page_round_up(old_len);
    new_len = page_round_up(new_len);
    if (new_len == 0)
        return -LINUX_EINVAL;
    if (old_len > PF_TASK_SIZE || old_addr > PF_TASK_SIZE - old_len)
        return -LINUX_EFAULT;

    struct vma *v = vma_find(&mm->vmas, old_addr);
    if (!v)
        return -LINUX_EFAULT;
    if (old_len == 0) {
        /* Duplicating a mapping works only for shared ones. */
        if (!(v->flags & VMA_SHARED))
            return -LINUX_EINVAL;
    } else if (old_addr + old_len > v->end) {
        return -LINUX_EFAULT;
    }
    if ((flags & LINUX_MREMAP_DONTUNMAP) && ((v->flags & VMA_SHARED) || old_len != new_len))
        return -LINUX_EINVAL;
    struct vma moved = *v;

    if (flags & LINUX_MREMAP_FIXED) {
        if (new_addr & ~LINUX_PAGE_MASK)
            return -LINUX_EINVAL;
        if (new_len > PF_TASK_SIZE || new_addr > PF_TASK_SIZE - new_len ||
            new_addr < MM_MIN_ADDR)
            return -LINUX_EINVAL;
        if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
            return -LINUX_EINVAL;
        int err = mm_unmap_range(mm, new_addr, new_addr + new_len);
        if (err)
            return err;
        v = vma_find(&mm->vmas, old_addr);
    } else {
        if (old_len != 0 && new_len <= old_len) {
            int err = mm_unmap_range(mm, old_addr + new_len, old_addr + old_len);
            return err ? err : (long)old_addr;
        }
        /* Grow in place when the VMA ends where the range does and the
         * space after it is free. */
        if (old_len != 0 && old_addr + old_len == v->end &&
            new_len - old_len <= PF_TASK_SIZE - v->end &&
            vma_range_free(&mm->vmas, v->end, old_addr + new_len)) {
            /* An object does not grow with its mapping: pages past its end
             * give SIGBUS, as in Linux. */
            struct vma ext = *v;
            ext.start = v->end;
            ext.end = old_addr + new_len;
            ext.obj_off += v->end - v->start;
            mm_vma_get(&ext);
            int err = vma_insert(&mm->vmas, &ext);
            if (err)
                mm_vma_put(&ext);
            return err ? err : (long)old_addr;
        }
        if (!(flags & LINUX_MREMAP_MAYMOVE))
            return -LINUX_ENOMEM;
        long a = vma_find_gap_down(&mm->vmas, new_len, MM_MIN_ADDR, mm->mmap_base);
        if (!a)
            a = vma_find_gap_down(&mm->vmas, new_len, MM_MIN_ADDR, PF_TASK_SIZE);
        if (!a)
            return -LINUX_ENOMEM;
        new_addr = (uint64_t)a;
    }

    /* Build the new VMA from the old one's attributes. */
    moved.obj_off += old_addr - moved.start;
    moved.start = new_addr;
    moved.end = new_addr + new_len;
    mm_vma_get(&moved);
    uint64_t copy_len = old_len < new_len ? old_len : new_len;
    int err = vma_insert(&mm->vmas, &moved);
    if (err) {
        mm_vma_put(&moved);
        return err;
    }
    if (old_len == 0)
        return (long)new_addr;
    if (!(moved.flags & VMA_SHARED)) {
        /* Private pages (anonymous memory, copies of file pages) move. */
        err = mm_move_pages(mm, old_addr, copy_len, new_addr);
        if (err)
            return err;
    }
    if (flags & LINUX_MREMAP_DONTUNMAP) {
        mm->map_seq++;
        err = platform->as_unmap(mm->as, old_addr, old_len);
    } else {
        err = mm_unmap_range(mm, old_addr, old_addr + old_len);
    }
    return err ? err : (long)new_addr;
}

long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
    if (addr & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    uint64_t end = page_round_up(addr + len);
    if (end < addr)
        return -LINUX_EINVAL;
    switch (advice) {
    case LINUX_MADV_NORMAL: case LINUX_MADV_RANDOM: case LINUX_MADV_SEQUENTIAL:
    case LINUX_MADV_WILLNEED: case LINUX_MADV_DONTNEED: case LINUX_MADV_FREE:
    case LINUX_MADV_REMOVE: case LINUX_MADV_DONTFORK: case LINUX_MADV_DOFORK:
    case LINUX_MADV_MERGEABLE: case LINUX_MADV_UNMERGEABLE: case LINUX_MADV_HUGEPAGE:
    case LINUX_MADV_NOHUGEPAGE: case LINUX_MADV_DONTDUMP: case LINUX_MADV_DODUMP:
    case LINUX_MADV_WIPEONFORK: case LINUX_MADV_KEEPONFORK: case LINUX_MADV_COLD:
    case LINUX_MADV_PAGEOUT: case LINUX_MADV_POPULATE_READ: case LINUX_MADV_POPULATE_WRITE:
    case LINUX_MADV_DONTNEED_LOCKED:
        break;
    case LINUX_MADV_HWPOISON:
        return -LINUX_EPERM;
    default:
        return -LINUX_EINVAL;
    }
    if (end == addr)
        return 0;
    /* Linux applies the advice to the mapped parts and reports ENOMEM if
     * there were holes. */
    bool hole = false;
    uint64_t cur = addr;
    size_t i = vma_lower_bound(&mm->vmas, addr);
    for (; cur < end; i++) {
        struct vma *v = i < mm->vmas.count ? &mm->vmas.v[i] : NULL;
        if (!v || v->start >= end) {
            hole = true;
            break;
        }
        if (v->start > cur)
            hole = true;
        uint64_t s = v->start > cur ? v->start : cur;
        uint64_t e = v->end < end ? v->end : end;
        switch (advice) {
        case LINUX_MADV_DONTNEED:
        case LINUX_MADV_DONTNEED_LOCKED:
        case LINUX_MADV_FREE:
            /* Private pages go (a private file mapping shows the file's
             * pages again); shared data stays in its object. */
            if (!(v->flags & VMA_SHARED)) {
                int err = pma_remove_range(&mm->pmas, s, e, mm_release_pages);
                if (err)
                    return err;
            }
            mm->map_seq++;
            platform->as_unmap(mm->as, s, e - s);
            break;
        case LINUX_MADV_REMOVE: {
            /* Punches the backing object: shared mappings that may write. */
            if (!v->obj)
                return -LINUX_EINVAL;
            if (!(v->flags & VMA_SHARED) || !(v->max_prot & LINUX_PROT_WRITE))
                return -LINUX_EACCES;
            int err = mm_object_zero(v->obj, v->obj_off + (s - v->start), e - s);
            if (err)
                return err;
            break;
        }
        case LINUX_MADV_WIPEONFORK:
        case LINUX_MADV_KEEPONFORK:
            if (v->obj)
                return -LINUX_EINVAL;
            break;
        default:
            break;
        }
        cur = e;
    }
    return hole ? -LINUX_ENOMEM : 0;
}

long mm_brk(struct mm *mm, uint64_t new_brk)
{
    if (new_brk < mm->brk_start)
        return (long)mm->brk;
    uint64_t old_end = page_round_up(mm->brk);
    uint64_t new_end = page_round_up(new_brk);
    if (new_brk > PF_TASK_SIZE || new_end < new_brk)
        return (long)mm->brk;
    if (new_end < old_end) {
        if (mm_unmap_range(mm, new_end, old_end) != 0)
            return (long)mm->brk;
    } else if (new_end > old_end) {
        /* Keep a guard page between the heap and the next mapping. */
        uint64_t guard_end =
            new_end + LINUX_PAGE_SIZE > PF_TASK_SIZE ? PF_TASK_SIZE : new_end + LINUX_PAGE_SIZE;
        if (!vma_range_free(&mm->vmas, old_end, guard_end))
            return (long)mm->brk;
        struct vma v = {
            .start = old_end,
            .end = new_end,
            .prot = LINUX_PROT_READ | LINUX_PROT_WRITE,
            .max_prot = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC,
            .flags = VMA_HEAP,
            .name = "[heap]",
        };
        if (vma_insert(&mm->vmas, &v) != 0)
            return (long)mm->brk;
    }
    mm->brk = new_brk;
    return (long)new_brk;
}

long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint8_t *out_vec)
{
    uint64_t end = addr + len;
    for (uint64_t a = addr; a < end;) {
        struct vma *v = vma_find(&mm->vmas, a);
        if (!v)
            return -LINUX_ENOMEM;
        uint64_t e = v->end < end ? v->end : end;
        /* Resident: a private page, or (as Linux's page cache residency)
         * an object page that holds data. */
        for (; a < e; a += LINUX_PAGE_SIZE) {
            bool in = !(v->flags & VMA_SHARED) && pma_find(&mm->pmas, a);
            if (!in && v->obj)
                in = mm_object_present(v->obj, vma_obj_page(v, a));
            out_vec[(a - addr) / LINUX_PAGE_SIZE] = in ? 1 : 0;
        }
    }
    return 0;
}
