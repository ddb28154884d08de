/* Files backed by a host fd the sentry holds: the stdio `moat do` passes
 * through. I/O goes straight between the host fd and application memory
 * (the blocks point into the memory file's mapping).
 *
 * A read may block on a terminal or a pipe: the kernel lock is dropped
 * around it. TODO(signals issue): wait for readiness on a service thread so
 * a signal can interrupt the wait. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/ioctl.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

static int hostfd_of(struct file *f)
{
    return (int)(intptr_t)f->priv;
}

static long hostfd_result(ssize_t n)
{
    return n < 0 ? -errno : n;
}

static long hostfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    kernel_unlock(kernel_global);
    ssize_t n = readv(hostfd_of(f), iov, iovcnt);
    long r = hostfd_result(n);
    kernel_lock(kernel_global);
    return r;
}

static long hostfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    kernel_unlock(kernel_global);
    ssize_t n = writev(hostfd_of(f), iov, iovcnt);
    long r = hostfd_result(n);
    kernel_lock(kernel_global);
    return r;
}

static long hostfd_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return hostfd_result(preadv(hostfd_of(f), iov, iovcnt, pos));
}

static long hostfd_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return hostfd_result(pwritev(hostfd_of(f), iov, iovcnt, pos));
}

static long hostfd_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    int fd = hostfd_of(f);
    switch (cmd) {
    case LINUX_TCGETS: {
        struct linux_termios tio;
        if (ioctl(fd, TCGETS, &tio) != 0)
            return -errno;
        return copy_out(t->mm, arg, &tio, sizeof(tio)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_TIOCGWINSZ: {
        struct linux_winsize ws;
        if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
            return -errno;
        return copy_out(t->mm, arg, &ws, sizeof(ws)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_FIONREAD: {
        int n;
        if (ioctl(fd, FIONREAD, &n) != 0)
            return -errno;
        return copy_out(t->mm, arg, &n, sizeof(n)) < 0 ? -LINUX_EFAULT : 0;
    }
    default:
        return -LINUX_ENOTTY;
    }
}

static long hostfd_stat(struct file *f, struct linux_stat *out_st)
{
    struct stat st;
    if (fstat(hostfd_of(f), &st) != 0)
        return -errno;
    *out_st = (struct linux_stat){
        .st_dev = st.st_dev,
        .st_ino = st.st_ino,
        .st_nlink = st.st_nlink,
        .st_mode = st.st_mode,
        .st_uid = st.st_uid,
        .st_gid = st.st_gid,
        .st_rdev = st.st_rdev,
        .st_size = st.st_size,
        .st_blksize = st.st_blksize,
        .st_blocks = st.st_blocks,
        .st_atime_sec = st.st_atim.tv_sec,
        .st_atime_nsec = st.st_atim.tv_nsec,
        .st_mtime_sec = st.st_mtim.tv_sec,
        .st_mtime_nsec = st.st_mtim.tv_nsec,
        .st_ctime_sec = st.st_ctim.tv_sec,
        .st_ctime_nsec = st.st_ctim.tv_nsec,
    };
    return 0;
}

static void hostfd_release(struct file *f)
{
    close(hostfd_of(f));
}

static const struct file_ops hostfd_ops = {
    .read = hostfd_read,
    .write = hostfd_write,
    .pread = hostfd_pread,
    .pwrite = hostfd_pwrite,
    .ioctl = hostfd_ioctl,
    .stat = hostfd_stat,
    .release = hostfd_release,
};

struct file *hostfd_file_new(int host_fd, int flags)
{
    struct file *f = file_new(&hostfd_ops, flags, (void *)(intptr_t)host_fd);
    struct stat st;
    if (f && fstat(host_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        f->io_chunk = 4096;
    return f;
}
