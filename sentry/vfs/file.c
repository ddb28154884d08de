/* Open file descriptions: reference counting and the Linux defaults for
 * the ops a file type leaves empty. */
#include "sentry/vfs/file.h"

#include <stdlib.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "lib/panic.h"
#include "sentry/vfs/lock.h"
#include "sentry/vfs/poll.h"

struct file *file_new(const struct file_ops *ops, int flags, void *priv)
{
    struct file *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->priv = priv;
    return f;
}

struct file *file_new_path(const struct file_ops *ops, int flags, const struct path *p,
                           struct inode *ino)
{
    struct file *f = file_new(ops, flags, NULL);
    if (!f)
        return NULL;
    f->path = *p;
    path_get(p);
    f->inode = ino;
    if (ino)
        inode_get(ino);
    return f;
}

void file_get(struct file *f)
{
    f->refs++;
}

void file_put(struct file *f)
{
    SENTRY_ASSERT(f->refs > 0);
    if (--f->refs > 0)
        return;
    if (f->ep_items)
        epoll_file_release(f);
    if (f->inode)
        vfs_locks_release_file(f);
    if (f->ops->release)
        f->ops->release(f);
    if (f->inode)
        inode_put(f->inode);
    path_put(&f->path);
    free(f);
}

long file_read(struct file *f, const struct iovec *iov, int iovcnt)
{
    if (!f->ops->read)
        return -LINUX_EINVAL;
    return f->ops->read(f, iov, iovcnt, NULL);
}

long file_write(struct file *f, const struct iovec *iov, int iovcnt)
{
    if (!f->ops->write)
        return -LINUX_EINVAL;
    return f->ops->write(f, iov, iovcnt, NULL);
}

long file_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    if (!f->ops->pread)
        return -LINUX_ESPIPE;
    return f->ops->pread(f, iov, iovcnt, pos);
}

long file_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    if (!f->ops->pwrite)
        return -LINUX_ESPIPE;
    return f->ops->pwrite(f, iov, iovcnt, pos);
}

long file_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    if (!f->ops->ioctl)
        return -LINUX_ENOTTY;
    return f->ops->ioctl(f, t, cmd, arg);
}

long file_stat(struct file *f, struct linux_stat *out_st)
{
    if (!f->ops->stat)
        return -LINUX_EINVAL;
    return f->ops->stat(f, out_st);
}

long vfs_dir_seek(struct file *f, int64_t off, int whence)
{
    if (whence == LINUX_SEEK_CUR)
        off += f->pos;
    else if (whence != LINUX_SEEK_SET)
        return -LINUX_EINVAL;
    if (off < 0)
        return -LINUX_EINVAL;
    f->pos = off;
    return off;
}

long vfs_dir_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return -LINUX_EISDIR;
}

long vfs_dir_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return -LINUX_EISDIR;
}

int vfs_fsync_nothing(struct file *f, bool datasync)
{
    (void)f, (void)datasync;
    return 0;
}
