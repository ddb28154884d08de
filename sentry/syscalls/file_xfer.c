/* Syscalls that work on whole open files: fsync and friends, fallocate,
 * and the in-kernel copies sendfile(2) and copy_file_range(2) (through a
 * sentry buffer, with the files' own read and write ops).
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <stdlib.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/uio.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

#define XFER_CHUNK (128 * 1024)

static bool readable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR;
}

static bool writable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR;
}

static uint32_t file_type(const struct file *f)
{
    return f->inode ? f->inode->attr.mode & LINUX_S_IFMT : 0;
}

static long do_fsync(struct task *t, int fd, bool datasync)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long r = f->ops->fsync ? f->ops->fsync(f, datasync) : -LINUX_EINVAL;
    file_put(f);
    return r;
}

SYSCALL(fsync)
{
    return do_fsync(t, arg_int(a, 0), false);
}

SYSCALL(fdatasync)
{
    return do_fsync(t, arg_int(a, 0), true);
}

SYSCALL(sync)
{
    (void)t, (void)a;
    return 0;
}

SYSCALL(syncfs)
{
    struct file *f = fd_get(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    file_put(f);
    return 0;
}

SYSCALL(fallocate)
{
    int mode = arg_int(a, 1);
    int64_t off = arg_long(a, 2), len = arg_long(a, 3);
    struct file *f = fd_get(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    long err;
    uint32_t type = file_type(f);
    if (off < 0 || len <= 0)
        err = -LINUX_EINVAL;
    else if (mode & ~0x7f)
        err = -LINUX_EOPNOTSUPP;
    else if ((mode & LINUX_FALLOC_FL_PUNCH_HOLE) && (mode & LINUX_FALLOC_FL_ZERO_RANGE))
        err = -LINUX_EOPNOTSUPP;
    else if ((mode & LINUX_FALLOC_FL_PUNCH_HOLE) && !(mode & LINUX_FALLOC_FL_KEEP_SIZE))
        err = -LINUX_EOPNOTSUPP;
    else if ((mode & (LINUX_FALLOC_FL_COLLAPSE_RANGE | LINUX_FALLOC_FL_INSERT_RANGE)) &&
             (mode & ~(LINUX_FALLOC_FL_COLLAPSE_RANGE | LINUX_FALLOC_FL_INSERT_RANGE)))
        err = -LINUX_EINVAL;
    else if (!writable(f))
        err = -LINUX_EBADF;
    else if (type == LINUX_S_IFIFO || (!f->inode && !f->ops->fallocate))
        err = -LINUX_ESPIPE;
    else if (type == LINUX_S_IFDIR)
        err = -LINUX_EISDIR;
    else if (f->inode && type != LINUX_S_IFREG && type != LINUX_S_IFBLK)
        err = -LINUX_ENODEV;
    else if (off > INT64_MAX - len)
        err = -LINUX_EFBIG;
    else if (!f->ops->fallocate)
        err = -LINUX_EOPNOTSUPP;
    else
        err = f->ops->fallocate(f, mode, off, len);
    file_put(f);
    return err;
}

/* Copies up to count bytes from in to out through a sentry buffer. A NULL
 * in_pos/out_pos means the file's own position (and, for a stream, plain
 * read/write). Returns the bytes copied, or an error if none were. */
static long xfer(struct file *in, int64_t *in_pos, struct file *out, int64_t *out_pos, size_t count)
{
    if (count > (size_t)LINUX_MAX_RW_COUNT)
        count = (size_t)LINUX_MAX_RW_COUNT;
    size_t bufsize = count < XFER_CHUNK ? count : XFER_CHUNK;
    if (bufsize == 0)
        return 0;
    char *buf = malloc(bufsize);
    if (!buf)
        return -LINUX_ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < count) {
        struct iovec v = {buf, count - done < bufsize ? count - done : bufsize};
        long n = in_pos ? file_pread(in, &v, 1, *in_pos) : file_read(in, &v, 1);
        if (n <= 0) {
            err = n;
            break;
        }
        struct iovec w = {buf, (size_t)n};
        long m = out_pos ? file_pwrite(out, &w, 1, *out_pos) : file_write(out, &w, 1);
        if (m <= 0) {
            err = m;
            /* The bytes read but not written go back (seekable input). */
            if (!in_pos && in->ops->seek)
                in->pos -= n;
            break;
        }
        if (in_pos)
            *in_pos += m;
        else if (m < n && in->ops->seek)
            in->pos -= n - m;
        if (out_pos)
            *out_pos += m;
        done += (size_t)m;
        if (m < n)
            break;
    }
    free(buf);
    return done ? (long)done : err;
}

SYSCALL(sendfile)
{
    int out_fd = arg_int(a, 0), in_fd = arg_int(a, 1);
    uaddr_t uoff = arg_uaddr(a, 2);
    size_t count = arg_size(a, 3);
    struct file *in = fd_get(t, in_fd);
    if (!in)
        return -LINUX_EBADF;
    struct file *out = fd_get(t, out_fd);
    long ret;
    if (!out) {
        ret = -LINUX_EBADF;
        goto out_put_in;
    }
    if (!readable(in) || !writable(out)) {
        ret = -LINUX_EBADF;
        goto out_put_out;
    }
    if (out->flags & LINUX_O_APPEND) {
        ret = -LINUX_EINVAL;
        goto out_put_out;
    }
    int64_t pos;
    if (uoff) {
        if (copy_in(t->mm, &pos, uoff, sizeof(pos)) < 0) {
            ret = -LINUX_EFAULT;
            goto out_put_out;
        }
        if (pos < 0) {
            ret = -LINUX_EINVAL;
            goto out_put_out;
        }
    }
    ret = xfer(in, uoff ? &pos : NULL, out, NULL, count);
    if (ret >= 0 && uoff && copy_out(t->mm, uoff, &pos, sizeof(pos)) < 0)
        ret = -LINUX_EFAULT;
out_put_out:
    file_put(out);
out_put_in:
    file_put(in);
    return ret;
}

SYSCALL(copy_file_range)
{
    int fd_in = arg_int(a, 0), fd_out = arg_int(a, 2);
    uaddr_t uoff_in = arg_uaddr(a, 1), uoff_out = arg_uaddr(a, 3);
    size_t len = arg_size(a, 4);
    if (arg_uint(a, 5) != 0)
        return -LINUX_EINVAL;
    struct file *in = fd_get(t, fd_in);
    if (!in)
        return -LINUX_EBADF;
    struct file *out = fd_get(t, fd_out);
    long ret;
    if (!out) {
        ret = -LINUX_EBADF;
        goto out_put_in;
    }
    int64_t pin = 0, pout = 0;
    if ((uoff_in && copy_in(t->mm, &pin, uoff_in, sizeof(pin)) < 0) ||
        (uoff_out && copy_in(t->mm, &pout, uoff_out, sizeof(pout)) < 0)) {
        ret = -LINUX_EFAULT;
        goto out_put_out;
    }
    if (file_type(in) == LINUX_S_IFDIR || file_type(out) == LINUX_S_IFDIR)
        ret = -LINUX_EISDIR;
    else if (file_type(in) != LINUX_S_IFREG || file_type(out) != LINUX_S_IFREG)
        ret = -LINUX_EINVAL;
    else if (!readable(in) || !writable(out) || (out->flags & LINUX_O_APPEND))
        ret = -LINUX_EBADF;
    else if (pin < 0 || pout < 0)
        ret = -LINUX_EINVAL;
    else
        ret = 0;
    if (ret)
        goto out_put_out;
    int64_t *ip = uoff_in ? &pin : &in->pos, *op = uoff_out ? &pout : &out->pos;
    if (in->inode == out->inode && (uint64_t)*ip < (uint64_t)*op + len &&
        (uint64_t)*op < (uint64_t)*ip + len) {
        ret = -LINUX_EINVAL;
        goto out_put_out;
    }
    ret = xfer(in, ip, out, op, len);
    if (ret >= 0 && ((uoff_in && copy_out(t->mm, uoff_in, &pin, sizeof(pin)) < 0) ||
                     (uoff_out && copy_out(t->mm, uoff_out, &pout, sizeof(pout)) < 0)))
        ret = -LINUX_EFAULT;
out_put_out:
    file_put(out);
out_put_in:
    file_put(in);
    return ret;
}
