/* File mappings: mmap(2) of a file, with Linux's checks in Linux's order
 * (mm/mmap.c do_mmap). The VMA holds a reference on the file (its path names
 * the mapping in /proc/PID/maps) and on the object holding the file's pages
 * (from file_ops.get_pages); faults and copy-on-write are in fault.c.
 *
 * Lock order: the kernel lock covers every mm. */
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/mman.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Linux's MAX_LFS_FILESIZE: a mapping must end at or below it. */
#define MM_MAX_FILE_SIZE 0x7fffffffffffffffULL

/* The flags every file's mmap accepts (Linux's LEGACY_MAP_MASK); with
 * MAP_SHARED_VALIDATE any other flag is EOPNOTSUPP. */
#define MM_MAP_HUGE_2MB (21U << 26)
#define MM_MAP_HUGE_1GB (30U << 26)
#define MM_LEGACY_MAP_MASK                                                                         \
    (LINUX_MAP_SHARED | LINUX_MAP_PRIVATE | LINUX_MAP_FIXED | LINUX_MAP_ANONYMOUS |                \
     LINUX_MAP_DENYWRITE | LINUX_MAP_EXECUTABLE | LINUX_MAP_UNINITIALIZED | LINUX_MAP_GROWSDOWN |  \
     LINUX_MAP_LOCKED | LINUX_MAP_NORESERVE | LINUX_MAP_POPULATE | LINUX_MAP_NONBLOCK |            \
     LINUX_MAP_STACK | LINUX_MAP_HUGETLB | LINUX_MAP_32BIT | MM_MAP_HUGE_2MB | MM_MAP_HUGE_1GB)

static bool file_readable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR;
}

static bool file_writable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR;
}

static bool file_noexec(const struct file *f)
{
    return f->path.mnt && (f->path.mnt->flags & LINUX_MNT_NOEXEC);
}

long mm_mmap_file(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct file *f,
                  uint64_t off)
{
    if (off & ~LINUX_PAGE_MASK)
        return -LINUX_EINVAL;
    if (flags & LINUX_MAP_HUGETLB)
        return -LINUX_EINVAL; /* not a hugetlbfs file */
    if (len == 0)
        return -LINUX_EINVAL;
    if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC))
        return -LINUX_EINVAL;
    len = page_round_up(len);
    if (len == 0)
        return -LINUX_ENOMEM;
    long a = mm_choose_addr(mm, addr, len, flags);
    if (a < 0)
        return a;
    addr = (uint64_t)a;
    if (len > MM_MAX_FILE_SIZE || off > MM_MAX_FILE_SIZE - len)
        return -LINUX_EOVERFLOW;

    int max_prot = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC;
    int vma_flags = 0;
    switch (flags & LINUX_MAP_TYPE) {
    case LINUX_MAP_SHARED:
        /* Unknown flags are ignored with plain MAP_SHARED... */
        flags &= MM_LEGACY_MAP_MASK;
        /* fall through */
    case LINUX_MAP_SHARED_VALIDATE:
        /* ...and refused with MAP_SHARED_VALIDATE. */
        if (flags & ~MM_LEGACY_MAP_MASK)
            return -LINUX_EOPNOTSUPP;
        if ((prot & LINUX_PROT_WRITE) && !file_writable(f))
            return -LINUX_EACCES;
        vma_flags |= VMA_SHARED;
        if (!file_writable(f))
            max_prot &= ~LINUX_PROT_WRITE; /* mprotect(PROT_WRITE) is EACCES */
        /* fall through */
    case LINUX_MAP_PRIVATE:
        if (!file_readable(f))
            return -LINUX_EACCES;
        if (file_noexec(f)) {
            if (prot & LINUX_PROT_EXEC)
                return -LINUX_EPERM;
            max_prot &= ~LINUX_PROT_EXEC;
        }
        if (!f->ops->get_pages)
            return -LINUX_ENODEV;
        if (flags & LINUX_MAP_GROWSDOWN)
            return -LINUX_EINVAL;
        break;
    default:
        return -LINUX_EINVAL;
    }

    /* Get the pages before touching the address space, so a failure leaves
     * the old mappings in place. */
    struct mm_object *obj = NULL;
    int err = f->ops->get_pages(f, off, len, &obj);
    if (err)
        return err;
    file_get(f);
    struct vma v = {
        .start = addr,
        .end = addr + len,
        .prot = prot,
        .max_prot = max_prot,
        .flags = vma_flags,
        .obj = obj,
        .file = f,
        .obj_off = off,
    };
    err = mm_install_vma(mm, &v);
    return err ? err : (long)addr;
}
