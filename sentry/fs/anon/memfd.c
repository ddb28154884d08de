/* memfd_create files (see memfd.h).
 *
 * Each memfd is an unlinked regular inode of an internal superblock (Linux:
 * a file of the kernel's internal shm mount), nlink 0, mode 0777, whose
 * data is the mm_object in ino->pages. Reads and writes copy through the
 * object, ftruncate resizes it in place, and mmap maps it (get_pages), so
 * every view shares the same memory-file pages.
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/anon/memfd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/memfd.h"
#include "lib/panic.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/object.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Linux's MAX_LFS_FILESIZE on 64-bit. */
#define MEMFD_MAX_SIZE ((int64_t)INT64_MAX)

/* With MFD_HUGETLB, bits 26..31 may give the huge page size (log2). */
#define MEMFD_HUGE_FLAGS (0x3fU << 26)

#define MEMFD_ALL_SEALS                                                                            \
    (LINUX_F_SEAL_SEAL | LINUX_F_SEAL_SHRINK | LINUX_F_SEAL_GROW | LINUX_F_SEAL_WRITE |            \
     LINUX_F_SEAL_FUTURE_WRITE)

struct memfd {
    unsigned seals;
    char name[MEMFD_NAME_MAX + 1];
};

static const struct file_ops memfd_fops;
static struct superblock *memfd_sb;

static struct memfd *memfd_of(const struct inode *ino)
{
    return ino->priv;
}

static void memfd_sync_size(struct inode *ino)
{
    ino->attr.size = ino->pages->size;
    ino->attr.blocks = page_round_up(ino->pages->size) / 512;
}

/* Size changes with the seals' rules. */
static int memfd_resize(struct inode *ino, uint64_t size)
{
    struct memfd *m = memfd_of(ino);
    uint64_t old = ino->pages->size;
    if (size < old && (m->seals & LINUX_F_SEAL_SHRINK))
        return -LINUX_EPERM;
    if (size > old && (m->seals & LINUX_F_SEAL_GROW))
        return -LINUX_EPERM;
    if (size == old)
        return 0;
    int err = mm_object_resize(ino->pages, size);
    if (err)
        return err;
    memfd_sync_size(ino);
    return 0;
}

static long memfd_rw(struct file *f, const struct iovec *iov, int iovcnt, int64_t *ppos, bool write)
{
    struct inode *ino = f->inode;
    struct mm_object *obj = ino->pages;
    int64_t pos = ppos ? *ppos : f->pos;
    size_t total = iov_total(iov, iovcnt);
    long n;
    if (write) {
        if (memfd_of(ino)->seals & (LINUX_F_SEAL_WRITE | LINUX_F_SEAL_FUTURE_WRITE))
            return -LINUX_EPERM;
        if (f->flags & LINUX_O_APPEND)
            pos = (int64_t)obj->size;
        if (total == 0)
            return 0;
        if (pos > MEMFD_MAX_SIZE - (int64_t)total)
            return -LINUX_EFBIG;
        uint64_t end = (uint64_t)pos + total;
        if (end > obj->size) {
            int err = memfd_resize(ino, end);
            if (err)
                return err;
        }
        n = mm_object_rw(obj, (uint64_t)pos, iov, iovcnt, true);
        if (n > 0)
            ino->attr.mtime = ino->attr.ctime = vfs_now();
    } else {
        if (total == 0 || (uint64_t)pos >= obj->size)
            return 0;
        n = mm_object_rw(obj, (uint64_t)pos, iov, iovcnt, false);
    }
    if (n > 0) {
        if (ppos)
            *ppos = pos + n;
        else
            f->pos = pos + n;
    }
    return n;
}

static long memfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    return memfd_rw(f, iov, iovcnt, pos, false);
}

static long memfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    return memfd_rw(f, iov, iovcnt, pos, true);
}

static long memfd_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return memfd_rw(f, iov, iovcnt, &pos, false);
}

static long memfd_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    /* On an O_APPEND file, Linux's pwrite appends too. */
    return memfd_rw(f, iov, iovcnt, &pos, true);
}

static long memfd_seek(struct file *f, int64_t off, int whence)
{
    int64_t size = (int64_t)f->inode->pages->size;
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET:
        base = 0;
        break;
    case LINUX_SEEK_CUR:
        base = f->pos;
        break;
    case LINUX_SEEK_END:
        base = size;
        break;
    case LINUX_SEEK_DATA:
        /* Holes read as zeros: all of the file counts as data. */
        if (off < 0 || off >= size)
            return -LINUX_ENXIO;
        f->pos = off;
        return off;
    case LINUX_SEEK_HOLE:
        if (off < 0 || off >= size)
            return -LINUX_ENXIO;
        f->pos = size;
        return size;
    default:
        return -LINUX_EINVAL;
    }
    if ((off > 0 && base > MEMFD_MAX_SIZE - off) || base + off < 0)
        return -LINUX_EINVAL;
    f->pos = base + off;
    return f->pos;
}

static long memfd_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct inode *ino = f->inode;
    struct memfd *m = memfd_of(ino);
    if (off < 0 || len <= 0)
        return -LINUX_EINVAL;
    if (off > MEMFD_MAX_SIZE - len)
        return -LINUX_EFBIG;
    if (mode & LINUX_FALLOC_FL_PUNCH_HOLE) {
        if (mode != (LINUX_FALLOC_FL_PUNCH_HOLE | LINUX_FALLOC_FL_KEEP_SIZE))
            return -LINUX_EOPNOTSUPP;
        if (m->seals & (LINUX_F_SEAL_WRITE | LINUX_F_SEAL_FUTURE_WRITE))
            return -LINUX_EPERM;
        return mm_object_zero(ino->pages, (uint64_t)off, (uint64_t)len);
    }
    if (mode & ~LINUX_FALLOC_FL_KEEP_SIZE)
        return -LINUX_EOPNOTSUPP;
    uint64_t end = (uint64_t)off + (uint64_t)len;
    if (!(mode & LINUX_FALLOC_FL_KEEP_SIZE) && end > ino->pages->size) {
        int err = memfd_resize(ino, end);
        if (err)
            return err;
        ino->attr.ctime = ino->attr.mtime = vfs_now();
    }
    return 0;
}

static int memfd_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    (void)off, (void)len;
    struct mm_object *obj = f->inode->pages;
    mm_object_get(obj);
    *out_obj = obj;
    return 0;
}

static long memfd_stat(struct file *f, struct linux_stat *out_st)
{
    vfs_attr_to_stat(&f->inode->attr, f->inode->sb->dev, out_st);
    return 0;
}

static const struct file_ops memfd_fops = {
    .read = memfd_read,
    .write = memfd_write,
    .pread = memfd_pread,
    .pwrite = memfd_pwrite,
    .seek = memfd_seek,
    .stat = memfd_stat,
    .fallocate = memfd_fallocate,
    .get_pages = memfd_get_pages,
};

bool memfd_is_file(const struct file *f)
{
    return f->ops == &memfd_fops;
}

bool memfd_write_sealed(const struct file *f)
{
    return memfd_is_file(f) &&
           (memfd_of(f->inode)->seals & (LINUX_F_SEAL_WRITE | LINUX_F_SEAL_FUTURE_WRITE));
}

static int memfd_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    if (sa->valid & VFS_SET_SIZE) {
        int err = memfd_resize(ino, sa->size);
        if (err)
            return err;
        ino->attr.mtime = vfs_now();
    }
    if (sa->valid & VFS_SET_MODE)
        ino->attr.mode = (ino->attr.mode & LINUX_S_IFMT) | (sa->mode & 07777);
    if (sa->valid & VFS_SET_UID)
        ino->attr.uid = sa->uid;
    if (sa->valid & VFS_SET_GID)
        ino->attr.gid = sa->gid;
    if (sa->valid & VFS_SET_ATIME)
        ino->attr.atime = sa->atime;
    if (sa->valid & VFS_SET_MTIME)
        ino->attr.mtime = sa->mtime;
    ino->attr.ctime = vfs_now();
    return 0;
}

static int memfd_open(struct inode *ino, struct file *f)
{
    (void)ino;
    f->ops = &memfd_fops;
    return 0;
}

static void memfd_evict(struct inode *ino)
{
    if (ino->pages)
        mm_object_put(ino->pages);
    ino->pages = NULL;
    free(ino->priv);
    ino->priv = NULL;
}

static const struct inode_ops memfd_inode_ops = {
    .setattr = memfd_setattr,
    .open = memfd_open,
    .evict = memfd_evict,
};

static int memfd_mount(const struct fs_type *type, const char *source, unsigned long flags,
                       const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted */
}

static const struct fs_type memfd_type = {.name = "memfd", .nodev = true, .mount = memfd_mount};
static const struct inode_ops memfd_root_ops;

static struct superblock *memfd_get_sb(void)
{
    if (memfd_sb)
        return memfd_sb;
    struct inode *root = inode_new(NULL, &memfd_root_ops, LINUX_S_IFDIR | 01777);
    if (!root)
        return NULL;
    struct superblock *sb = sb_new(&memfd_type, root);
    if (!sb) {
        inode_put(root);
        return NULL;
    }
    root->sb = sb;
    root->attr.ino = ++sb->next_ino;
    memfd_sb = sb;
    return sb;
}

long memfd_check_flags(unsigned flags)
{
    unsigned known = LINUX_MFD_CLOEXEC | LINUX_MFD_ALLOW_SEALING | LINUX_MFD_HUGETLB;
    if (flags & LINUX_MFD_HUGETLB)
        known |= MEMFD_HUGE_FLAGS;
    if (flags & ~known)
        return -LINUX_EINVAL;
    /* A kernel whose hugetlbfs has no mount for the size: the sandbox has
     * none at all. */
    if (flags & LINUX_MFD_HUGETLB)
        return -LINUX_ENOENT;
    return 0;
}

int memfd_create_file(struct task *t, const char *name, unsigned flags, struct file **out_file)
{
    SENTRY_ASSERT(memfd_check_flags(flags) == 0);
    struct superblock *sb = memfd_get_sb();
    if (!sb)
        return -LINUX_ENOMEM;
    struct memfd *m = calloc(1, sizeof(*m));
    struct mm_object *obj = mm_object_new(0, NULL, NULL);
    struct inode *ino = inode_new(sb, &memfd_inode_ops, LINUX_S_IFREG | 0777);
    if (!m || !obj || !ino) {
        free(m);
        if (obj)
            mm_object_put(obj);
        if (ino)
            inode_put(ino);
        return -LINUX_ENOMEM;
    }
    snprintf(m->name, sizeof(m->name), "%s", name);
    /* Sealing is itself sealed unless asked for. */
    m->seals = (flags & LINUX_MFD_ALLOW_SEALING) ? 0 : LINUX_F_SEAL_SEAL;
    ino->priv = m;
    ino->pages = obj;
    ino->attr.nlink = 0;
    ino->attr.uid = t->cred.fsuid;
    ino->attr.gid = t->cred.fsgid;

    struct file *f = file_new(&memfd_fops, LINUX_O_RDWR | LINUX_O_LARGEFILE, NULL);
    if (!f) {
        inode_put(ino);
        return -LINUX_ENOMEM;
    }
    f->inode = ino; /* the creation reference */
    *out_file = f;
    return 0;
}

long memfd_fcntl(struct file *f, int cmd, long arg)
{
    switch (cmd) {
    case LINUX_F_ADD_SEALS: {
        unsigned seals = (unsigned)arg;
        int mode = f->flags & LINUX_O_ACCMODE;
        if (mode != LINUX_O_WRONLY && mode != LINUX_O_RDWR)
            return -LINUX_EPERM;
        if (seals & ~MEMFD_ALL_SEALS)
            return -LINUX_EINVAL;
        if (!memfd_is_file(f))
            return -LINUX_EINVAL;
        struct memfd *m = memfd_of(f->inode);
        if (m->seals & LINUX_F_SEAL_SEAL)
            return -LINUX_EPERM;
        /* TODO(mm): F_SEAL_WRITE is EBUSY while a writable shared mapping
         * exists, and then refuses new ones (mm_mmap_file should ask). */
        m->seals |= seals;
        return 0;
    }
    case LINUX_F_GET_SEALS:
        if (!memfd_is_file(f))
            return -LINUX_EINVAL;
        return memfd_of(f->inode)->seals;
    default:
        return -LINUX_EINVAL;
    }
}

size_t memfd_link_name(const struct file *f, char *buf, size_t size)
{
    int n = snprintf(buf, size, "/memfd:%s (deleted)", memfd_of(f->inode)->name);
    return n < 0 ? 0 : (size_t)n;
}
