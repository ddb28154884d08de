/* Character devices: the memory devices (null, zero, full, random,
 * urandom) and /dev/tty. A device file on any filesystem (devfs, a tmpfs
 * mknod, a container image's /dev) opens through chrdev_open by its rdev;
 * a device the sandbox does not have gives ENXIO, as Linux does for a
 * device number without a driver.
 *
 * Lock order: the kernel lock. getrandom never blocks (GRND_NONBLOCK: the
 * host's CRNG is up long before a sandbox starts). */
#include "sentry/fs/dev/devices.h"

#include <errno.h>
#include <sys/random.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* RNDGETENTCNT: _IOR('R', 0x00, int). */
#define LINUX_RNDGETENTCNT 0x80045200

static long dev_discard(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)pos;
    return (long)iov_total(iov, iovcnt);
}

static long dev_pdiscard(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)f, (void)pos;
    return (long)iov_total(iov, iovcnt);
}

/* null, zero, full: every seek lands at 0 (Linux's null_lseek). */
static long dev_seek_zero(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    f->pos = 0;
    return 0;
}

/* --- null --- */

static long null_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return 0;
}

static long null_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return 0;
}

static const struct file_ops null_fops = {
    .read = null_read,
    .write = dev_discard,
    .pread = null_pread,
    .pwrite = dev_pdiscard,
    .seek = dev_seek_zero,
};

/* --- zero and full --- */

static long zero_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)pos;
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    return (long)iov_cursor_zero(&c, c.left);
}

static long zero_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)pos;
    return zero_read(f, iov, iovcnt, NULL);
}

/* mmap of /dev/zero is anonymous memory: see chrdev_is_zero. */
static const struct file_ops zero_fops = {
    .read = zero_read,
    .write = dev_discard,
    .pread = zero_pread,
    .pwrite = dev_pdiscard,
    .seek = dev_seek_zero,
};

static long full_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return -LINUX_ENOSPC;
}

static long full_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)f, (void)iov, (void)iovcnt, (void)pos;
    return -LINUX_ENOSPC;
}

static const struct file_ops full_fops = {
    .read = zero_read,
    .write = full_write,
    .pread = zero_pread,
    .pwrite = full_pwrite,
    .seek = dev_seek_zero,
};

/* --- random and urandom --- */

static long random_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)f, (void)pos;
    long done = 0;
    for (int i = 0; i < iovcnt; i++) {
        char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0) {
            ssize_t n = getrandom(p, left, GRND_NONBLOCK);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return done ? done : (errno == EAGAIN ? -LINUX_EAGAIN : -LINUX_EIO);
            }
            p += n;
            left -= (size_t)n;
            done += n;
        }
    }
    return done;
}

static long random_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    (void)pos;
    return random_read(f, iov, iovcnt, NULL);
}

/* noop_llseek: the position stays where it is. */
static long random_seek(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    return f->pos;
}

static long random_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    (void)f;
    if (cmd != LINUX_RNDGETENTCNT)
        return -LINUX_EINVAL;
    int bits = 256;
    return copy_out(t->mm, arg, &bits, sizeof(bits)) < 0 ? -LINUX_EFAULT : 0;
}

/* Linux's random_poll once the CRNG is ready: always readable and
 * writable. /dev/urandom has no poll op (epoll refuses it), as Linux. */
static unsigned random_poll(struct file *f, struct poll_table *pt)
{
    (void)f, (void)pt;
    return LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLOUT | LINUX_POLLWRNORM;
}

/* Writes "mix entropy in": accepted and dropped. */
static const struct file_ops random_fops = {
    .read = random_read,
    .write = dev_discard,
    .pread = random_pread,
    .pwrite = dev_pdiscard,
    .seek = random_seek,
    .ioctl = random_ioctl,
    .poll = random_poll,
};

static const struct file_ops urandom_fops = {
    .read = random_read,
    .write = dev_discard,
    .pread = random_pread,
    .pwrite = dev_pdiscard,
    .seek = random_seek,
    .ioctl = random_ioctl,
};

/* --- the device table --- */

#define makedev CHRDEV_MKDEV

int chrdev_open_rdev(uint64_t rdev, struct file *f)
{
    const struct file_ops *ops = NULL;
    if (rdev == makedev(1, 3))
        ops = &null_fops;
    else if (rdev == makedev(1, 5))
        ops = &zero_fops;
    else if (rdev == makedev(1, 7))
        ops = &full_fops;
    else if (rdev == makedev(1, 8))
        ops = &random_fops;
    else if (rdev == makedev(1, 9))
        ops = &urandom_fops;
    else if (rdev == makedev(5, 0))
        return -LINUX_ENXIO; /* no controlling terminal. TODO(ptys) */
    if (!ops)
        return -LINUX_ENXIO;
    f->ops = ops;
    return 0;
}

int chrdev_open(struct task *t, struct inode *ino, struct file *f)
{
    (void)t;
    return chrdev_open_rdev(ino->attr.rdev, f);
}

bool chrdev_is_zero(const struct file *f)
{
    return f->ops == &zero_fops;
}
