/* fork(2) for address spaces: a copy of an mm for a new process.
 *
 * Private pages (anonymous memory and the private copies of file pages,
 * i.e. every pma) are shared copy-on-write, as the fork plan in
 * docs/architecture.md describes: both mms keep the same memory-file
 * pages, each page gets a reference count (the number of mms beyond the
 * first that hold it; the table is in mm.c), both mms' pmas are flagged cow and mapped without
 * PROT_WRITE. A write fault (or a copy_out) on a cow page copies it when
 * another mm still holds it, else just makes it writable again
 * (mm_cow_break in fault.c). Shared mappings (VMA_SHARED) keep referring to
 * the same object, so they stay shared; private file mappings keep
 * referring to the file's object for the pages not yet written.
 *
 * The copy has no platform half yet (as == NULL): on the ptrace platform a
 * stub is traced by the thread that created it, so the child's own task
 * thread calls mm_fork_attach() before it runs or touches the copy.
 *
 * Lock order: the kernel lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "platform/platform.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/vfs/file.h"

static bool mm_fork_skip(struct mm *parent, uint64_t addr)
{
    struct vma *v = vma_find(&parent->vmas, addr);
    return !v || (v->flags & VMA_DONTFORK);
}

struct mm *mm_fork(struct mm *parent)
{
    struct mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return NULL;
    mm_list_add(mm);
    mm->refs = 1;
    mm->vmas.refs = &mm_vma_refs;
    mm->mmap_base = parent->mmap_base;
    mm->brk_start = parent->brk_start;
    mm->brk = parent->brk;
    mm->stack_start = parent->stack_start;
    mm->stack_end = parent->stack_end;
    mm->arg_start = parent->arg_start;
    mm->arg_end = parent->arg_end;
    mm->env_start = parent->env_start;
    mm->env_end = parent->env_end;
    memcpy(mm->auxv, parent->auxv, sizeof(mm->auxv));
    mm->auxv_count = parent->auxv_count;
    if (parent->exe_file) {
        mm->exe_file = parent->exe_file;
        file_get(mm->exe_file);
    }
    for (size_t i = 0; i < parent->vmas.count; i++) {
        const struct vma *v = &parent->vmas.v[i];
        if (v->flags & VMA_DONTFORK)
            continue;
        mm_vma_refs.get(v);
        if (vma_insert(&mm->vmas, v) != 0) {
            mm_vma_refs.put(v);
            goto fail;
        }
    }
    for (size_t i = 0; i < parent->pmas.count; i++) {
        struct pma *p = &parent->pmas.v[i];
        /* Share the page runs whose VMA is inherited. */
        for (uint64_t s = p->start; s < p->end;) {
            if (mm_fork_skip(parent, s)) {
                s += LINUX_PAGE_SIZE;
                continue;
            }
            uint64_t e = s + LINUX_PAGE_SIZE;
            while (e < p->end && !mm_fork_skip(parent, e))
                e += LINUX_PAGE_SIZE;
            uint64_t off = p->mf_off + (s - p->start);
            struct pma np = {
                .start = s, .end = e, .mf_off = off, .private_owned = true, .cow = true};
            if (pma_insert(&mm->pmas, &np) != 0)
                goto fail;
            for (uint64_t a = 0; a < e - s; a += LINUX_PAGE_SIZE)
                mm_page_ref_get(off + a);
            s = e;
        }
        if (!p->cow) {
            /* The parent's stub may map these pages writable: unmap them,
             * the next access maps them back read-only. */
            p->cow = true;
            parent->map_seq++;
            platform->as_unmap(parent->as, p->start, p->end - p->start);
        }
    }
    return mm;

fail:
    mm_put(mm);
    errno = ENOMEM;
    return NULL;
}

int mm_fork_attach(struct mm *mm)
{
    if (mm->as)
        return 0;
    mm->as = platform->as_new();
    return mm->as ? 0 : -LINUX_ENOMEM;
}
