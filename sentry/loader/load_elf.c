/* ELF files to mappings: reading and checking an ELF file through its
 * file_ops, mapping its PT_LOAD segments the way Linux's binfmt_elf does,
 * and opening programs and interpreters for execution.
 *
 * Lock order: the kernel lock is held throughout. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/mman.h"
#include "abi/linux/stat.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/loader.h"
#include "sentry/loader/loader_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/vma.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

static long loader_file_read(void *ctx, void *buf, size_t size, uint64_t off)
{
    struct file *f = ctx;
    size_t done = 0;
    while (done < size) {
        struct iovec iov = {.iov_base = (char *)buf + done, .iov_len = size - done};
        long n = file_pread(f, &iov, 1, (int64_t)(off + done));
        if (n < 0)
            return done ? (long)done : n;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long)done;
}

/* The file's size, or UINT64_MAX when it cannot be known (then only short
 * reads catch truncated headers). */
static uint64_t loader_file_size(struct file *f)
{
    struct inode *ino = f->inode;
    if (ino) {
        /* Filesystems whose files change underneath refresh attr here. */
        if (ino->ops && ino->ops->getattr)
            ino->ops->getattr(ino);
        return ino->attr.size;
    }
    struct linux_stat st;
    if (file_stat(f, &st) == 0 && st.st_size >= 0)
        return (uint64_t)st.st_size;
    return UINT64_MAX;
}

int loader_parse_file(struct file *f, struct elf_info *out_info, const char **out_err)
{
    return elf_parse_file(loader_file_read, f, loader_file_size(f), out_info, out_err);
}

int loader_map_elf(struct mm *mm, struct file *f, const struct elf_info *info, uint64_t bias)
{
    static const uint8_t zeros[LINUX_PAGE_SIZE];
    for (int i = 0; i < info->nsegs; i++) {
        const struct elf_load_seg *s = &info->segs[i];
        if (s->memsz == 0)
            continue;
        uint64_t start = page_round_down(s->vaddr + bias);
        uint64_t file_end = s->vaddr + bias + s->filesz;
        uint64_t mem_end = page_round_up(s->vaddr + bias + s->memsz);
        uint64_t anon_start = start;
        if (s->filesz > 0) {
            /* A later segment sharing a page replaces it, as in Linux. */
            long r =
                mm_mmap_file(mm, start, page_round_up(file_end) - start, s->prot,
                             LINUX_MAP_PRIVATE | LINUX_MAP_FIXED, f, page_round_down(s->offset));
            if (r < 0)
                return (int)r;
            anon_start = page_round_up(file_end);
            /* The bss starts inside the last file page: zero the rest of it
             * (a copy-on-write). Linux ignores a failure when the segment
             * is not writable; so do we. */
            uint64_t tail = anon_start - file_end;
            if (s->memsz > s->filesz && tail > 0 && copy_out(mm, file_end, zeros, tail) < 0 &&
                (s->prot & LINUX_PROT_WRITE))
                return -LINUX_EFAULT;
        }
        if (mem_end > anon_start) {
            long r = mm_mmap(mm, anon_start, mem_end - anon_start, s->prot,
                             LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED);
            if (r < 0)
                return (int)r;
        }
    }
    return 0;
}

int loader_interp_bias(struct mm *mm, const struct elf_info *info, uint64_t *out_bias)
{
    uint64_t span = page_round_up(info->max_vaddr) - info->min_vaddr;
    uint64_t align = info->align;
    uint64_t len = span + align - LINUX_PAGE_SIZE;
    uint64_t a = vma_find_gap_down(&mm->vmas, len, MM_MIN_ADDR, mm->mmap_base);
    if (!a)
        a = vma_find_gap_down(&mm->vmas, len, MM_MIN_ADDR, PF_TASK_SIZE);
    if (!a)
        return -LINUX_ENOMEM;
    /* The highest aligned base inside [a, a + len - span]. */
    uint64_t base = (a + len - span) & ~(align - 1);
    *out_bias = base - info->min_vaddr;
    return 0;
}

int loader_open_exec(struct task *t, int dirfd, const char *path, int open_flags,
                     unsigned walk_flags, struct file **out_file)
{
    struct file *f;
    int err = vfs_open(t, dirfd, path, LINUX_O_RDONLY | (open_flags & LINUX_O_NOFOLLOW), 0,
                       walk_flags, &f);
    if (err)
        return err;
    /* Linux's do_open_execat: a regular file, not on a noexec mount, that
     * the caller may execute. */
    err = -LINUX_EACCES;
    if (!f->inode || (f->inode->attr.mode & LINUX_S_IFMT) != LINUX_S_IFREG)
        goto out_put_file;
    if (f->path.mnt && (f->path.mnt->flags & LINUX_MNT_NOEXEC))
        goto out_put_file;
    err = vfs_permission(&t->cred, f->inode, VFS_MAY_EXEC);
    if (err)
        goto out_put_file;
    *out_file = f;
    return 0;

out_put_file:
    file_put(f);
    return err;
}
