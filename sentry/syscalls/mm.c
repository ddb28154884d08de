/* Memory syscalls: thin wrappers over sentry/mm. */
#include <stdlib.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/mman.h"
#include "abi/linux/resource.h"
#include "sentry/fs/dev/devices.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

/* The address space's size, for RLIMIT_AS (Linux's total_vm). */
static uint64_t mm_total(const struct mm *mm)
{
    uint64_t total = 0;
    for (size_t i = 0; i < mm->vmas.count; i++)
        total += mm->vmas.v[i].end - mm->vmas.v[i].start;
    return total;
}

/* may_expand_vm: growing the address space by grow bytes stays within
 * RLIMIT_AS. */
static bool as_limit_ok(struct task *t, uint64_t grow)
{
    uint64_t limit = t->tg->rlimits[LINUX_RLIMIT_AS].rlim_cur;
    return limit == LINUX_RLIM_INFINITY || mm_total(t->mm) + grow <= limit;
}

SYSCALL(brk)
{
    uint64_t want = arg_u64(a, 0);
    /* Past RLIMIT_AS, brk fails as Linux's does: the old break comes back. */
    if (want > t->mm->brk && !as_limit_ok(t, want - t->mm->brk))
        return (long)t->mm->brk;
    return mm_brk(t->mm, want);
}

/* mmap of /dev/zero (Linux's mmap_zero): a private mapping is private
 * anonymous memory, a shared one a shared anonymous region (Linux: shmem);
 * the offset does not matter. The file's open mode is checked first, as for
 * any file. */
static long mmap_dev_zero(struct task *t, uint64_t addr, uint64_t len, int prot, int flags,
                          const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    int type = flags & LINUX_MAP_TYPE;
    if (type == LINUX_MAP_SHARED_VALIDATE)
        type = LINUX_MAP_SHARED;
    if (type != LINUX_MAP_SHARED && type != LINUX_MAP_PRIVATE)
        return -LINUX_EINVAL;
    if (type == LINUX_MAP_SHARED && (prot & LINUX_PROT_WRITE) && acc == LINUX_O_RDONLY)
        return -LINUX_EACCES;
    if (acc == LINUX_O_WRONLY)
        return -LINUX_EACCES;
    flags = (flags & ~LINUX_MAP_TYPE) | type | LINUX_MAP_ANONYMOUS;
    return mm_mmap(t->mm, addr, len, prot, flags);
}

SYSCALL(mmap)
{
    uint64_t addr = arg_u64(a, 0), len = arg_u64(a, 1), off = arg_u64(a, 5);
    int prot = arg_int(a, 2), flags = arg_int(a, 3), fd = arg_int(a, 4);
    if (off & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    if (len && !as_limit_ok(t, len))
        return -LINUX_ENOMEM;
    if (flags & LINUX_MAP_ANONYMOUS)
        return mm_mmap(t->mm, addr, len, prot, flags);
    struct file *f = fdtable_get(t->fds, fd);
    if (!f)
        return -LINUX_EBADF;
    long r = -LINUX_EBADF; /* an O_PATH fd is no file to map */
    if (!(f->flags & LINUX_O_PATH) && chrdev_is_zero(f))
        r = mmap_dev_zero(t, addr, len, prot, flags, f);
    else if (!(f->flags & LINUX_O_PATH))
        r = mm_mmap_file(t->mm, addr, len, prot, flags, f, off);
    file_put(f);
    return r;
}

SYSCALL(munmap)
{
    return mm_munmap(t->mm, arg_u64(a, 0), arg_u64(a, 1));
}

SYSCALL(mprotect)
{
    return mm_mprotect(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_int(a, 2));
}

SYSCALL(mremap)
{
    uint64_t old_len = arg_u64(a, 1), new_len = arg_u64(a, 2);
    if (new_len > old_len && !as_limit_ok(t, new_len - old_len))
        return -LINUX_ENOMEM;
    return mm_mremap(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_u64(a, 2), arg_int(a, 3),
                     arg_u64(a, 4));
}

SYSCALL(madvise)
{
    return mm_madvise(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_int(a, 2));
}

SYSCALL(mincore)
{
    uint64_t addr = arg_u64(a, 0), len = arg_u64(a, 1);
    uaddr_t vec = arg_uaddr(a, 2);
    if (addr & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    uint64_t end = page_round_up(addr + len);
    if (end < addr || end > PF_TASK_SIZE)
        return -LINUX_ENOMEM;
    /* In chunks, so a huge range needs no huge buffer. */
    uint8_t buf[4096];
    for (uint64_t cur = addr; cur < end;) {
        uint64_t pages = (end - cur) / LINUX_PAGE_SIZE;
        if (pages > sizeof(buf))
            pages = sizeof(buf);
        long r = mm_mincore(t->mm, cur, pages * LINUX_PAGE_SIZE, buf);
        if (r < 0)
            return r;
        if (copy_out(t->mm, vec + (cur - addr) / LINUX_PAGE_SIZE, buf, pages) < 0)
            return -LINUX_EFAULT;
        cur += pages * LINUX_PAGE_SIZE;
    }
    return 0;
}
