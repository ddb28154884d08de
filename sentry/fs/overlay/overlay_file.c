/* overlay regular files: an overlay file is a file of one layer behind it
 * (f->priv): the upper copy, or the lower file while it is only read.
 * Opening for writing copies the file up (data included) first. Every op
 * goes to the file behind, with the overlay file's position; attributes
 * are refreshed after writes.
 *
 * A file opened for reading before a copy-up keeps reading the lower file
 * (Linux's overlayfs before 4.19 behaved so too).
 *
 * Lock order: the kernel lock. */
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "sentry/fs/overlay/overlay_impl.h"

int ovl_open(struct inode *ino, struct file *f)
{
    bool writing = (f->flags & LINUX_O_ACCMODE) != LINUX_O_RDONLY;
    int err = writing ? ovl_copy_up_data(ino) : 0;
    if (err)
        return err;
    struct ovl_inode *oi = ovl_of(ino);
    struct inode *real = ovl_metacopy(ino) ? oi->lower : ovl_real(ino);
    struct file *inner;
    err = ovl_open_real(real, f->flags, &inner);
    if (err)
        return err;
    f->priv = inner;
    return 0;
}

static struct file *inner_of(struct file *f)
{
    return f->priv;
}

static long ovl_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    struct file *in = inner_of(f);
    if (!in->ops->read)
        return -LINUX_EINVAL;
    return in->ops->read(in, iov, iovcnt, pos ? pos : &f->pos);
}

static long ovl_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    struct file *in = inner_of(f);
    if (!in->ops->write)
        return -LINUX_EINVAL;
    in->flags = f->flags; /* O_APPEND may have changed (fcntl) */
    long n = in->ops->write(in, iov, iovcnt, pos ? pos : &f->pos);
    ovl_refresh_attr(f->inode);
    return n;
}

static long ovl_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return file_pread(inner_of(f), iov, iovcnt, pos);
}

static long ovl_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    struct file *in = inner_of(f);
    in->flags = f->flags;
    long n = file_pwrite(in, iov, iovcnt, pos);
    ovl_refresh_attr(f->inode);
    return n;
}

static long ovl_seek(struct file *f, int64_t off, int whence)
{
    struct file *in = inner_of(f);
    if (!in->ops->seek)
        return -LINUX_ESPIPE;
    in->pos = f->pos;
    long r = in->ops->seek(in, off, whence);
    if (r >= 0)
        f->pos = in->pos;
    return r;
}

static int ovl_fsync(struct file *f, bool datasync)
{
    struct file *in = inner_of(f);
    return in->ops->fsync ? in->ops->fsync(in, datasync) : 0;
}

static long ovl_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct file *in = inner_of(f);
    if (!in->ops->fallocate)
        return -LINUX_EOPNOTSUPP;
    long r = in->ops->fallocate(in, mode, off, len);
    ovl_refresh_attr(f->inode);
    return r;
}

static int ovl_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    struct file *in = inner_of(f);
    if (!in->ops->get_pages)
        return -LINUX_ENODEV;
    return in->ops->get_pages(in, off, len, out_obj);
}

static void ovl_release(struct file *f)
{
    if (f->priv)
        file_put(f->priv);
}

const struct file_ops ovl_file_fops = {
    .read = ovl_read,
    .write = ovl_write,
    .pread = ovl_pread,
    .pwrite = ovl_pwrite,
    .seek = ovl_seek,
    .fsync = ovl_fsync,
    .fallocate = ovl_fallocate,
    .get_pages = ovl_get_pages,
    .release = ovl_release,
};
