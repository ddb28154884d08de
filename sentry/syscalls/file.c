/* File I/O syscalls: read/write and friends (incl. preadv2/pwritev2),
 * lseek, close and close_range, ioctl, fstat, dup and fcntl.
 *
 * Data moves directly between the file and application memory: the
 * application's buffers are translated to sentry-memory blocks
 * (mm_user_blocks) and handed to the file's ops. The partial-I/O rule lives
 * in file_rw: a transfer stops at the first bad byte and returns what moved,
 * or -EFAULT if nothing could. */
#include <string.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "abi/linux/stat.h"
#include "sentry/fs/anon/memfd.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "abi/linux/ioctl.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/walk.h"

enum rw_kind { RW_READ, RW_WRITE, RW_PREAD, RW_PWRITE };

/* Shortens blocks to size bytes; returns the new block count. */
static int iov_truncate(struct iovec *blocks, int nblocks, size_t size)
{
    int i = 0;
    for (; i < nblocks && size > 0; i++) {
        if (blocks[i].iov_len >= size) {
            blocks[i].iov_len = size;
            return i + 1;
        }
        size -= blocks[i].iov_len;
    }
    return i;
}

static long file_rw(struct task *t, int fd, const struct linux_iovec *uiov, int iovcnt,
                    enum rw_kind kind, int64_t pos)
{
    bool reading = kind == RW_READ || kind == RW_PREAD;
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long ret = -LINUX_EINVAL;
    int mode = f->flags & LINUX_O_ACCMODE;
    bool can = reading ? (mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR)
                       : (mode == LINUX_O_WRONLY || mode == LINUX_O_RDWR);
    if (!can) {
        ret = -LINUX_EBADF;
        goto out_put_file;
    }
    if ((kind == RW_PREAD || kind == RW_PWRITE) && pos < 0) {
        ret = -LINUX_EINVAL;
        goto out_put_file;
    }
    uint64_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += uiov[i].iov_len;

    struct iovec blocks[MM_MAX_BLOCKS];
    int nblocks = 0;
    size_t got = total ? mm_user_blocks(t->mm, uiov, iovcnt, reading, blocks, MM_MAX_BLOCKS,
                                        &nblocks)
                       : 0;
    /* The partial-I/O rule: a transfer stops at the first bad byte. A file
     * that commits writes in chunks drops the chunk the fault fell in. */
    bool faulted = got < total && nblocks < MM_MAX_BLOCKS;
    if (faulted && !reading && f->io_chunk > 1)
        nblocks = iov_truncate(blocks, nblocks, got - got % f->io_chunk);
    if (total > 0 && nblocks == 0) {
        ret = -LINUX_EFAULT;
        goto out_put_file;
    }
    if (!reading && total > 0 && f->inode && mode_is(f->inode->attr.mode, LINUX_S_IFREG)) {
        /* RLIMIT_FSIZE (generic_write_checks): EFBIG and SIGXFSZ at the
         * limit, a short write across it. */
        uint64_t limit = t->tg->rlimits[LINUX_RLIMIT_FSIZE].rlim_cur;
        if (limit != LINUX_RLIM_INFINITY) {
            int64_t at = kind == RW_PWRITE              ? pos
                         : (f->flags & LINUX_O_APPEND) ? (int64_t)f->inode->attr.size
                                                       : f->pos;
            if ((uint64_t)at >= limit) {
                signal_send_thread(t, LINUX_SIGXFSZ, NULL);
                ret = -LINUX_EFBIG;
                goto out_put_file;
            }
            nblocks = iov_truncate(blocks, nblocks, (size_t)(limit - (uint64_t)at));
        }
    }
    switch (kind) {
    case RW_READ:
        ret = file_read(f, blocks, nblocks);
        break;
    case RW_WRITE:
        ret = file_write(f, blocks, nblocks);
        break;
    case RW_PREAD:
        ret = file_pread(f, blocks, nblocks, pos);
        break;
    case RW_PWRITE:
        ret = file_pwrite(f, blocks, nblocks, pos);
        break;
    }
out_put_file:
    file_put(f);
    return ret;
}

static long file_rw_one(struct task *t, int fd, uaddr_t buf, size_t count, enum rw_kind kind,
                        int64_t pos)
{
    if (count > (size_t)LINUX_MAX_RW_COUNT)
        count = (size_t)LINUX_MAX_RW_COUNT;
    struct linux_iovec iov = {.iov_base = buf, .iov_len = count};
    return file_rw(t, fd, &iov, 1, kind, pos);
}

static long file_rw_vec(struct task *t, int fd, uaddr_t uiov, int iovcnt, enum rw_kind kind,
                        int64_t pos)
{
    struct linux_iovec iov[LINUX_UIO_MAXIOV];
    long total = copy_iovecs_in(t->mm, uiov, iovcnt, iov);
    if (total < 0)
        return total;
    return file_rw(t, fd, iov, iovcnt, kind, pos);
}

SYSCALL(read)
{
    return file_rw_one(t, arg_int(a, 0), arg_uaddr(a, 1), arg_size(a, 2), RW_READ, 0);
}

SYSCALL(write)
{
    return file_rw_one(t, arg_int(a, 0), arg_uaddr(a, 1), arg_size(a, 2), RW_WRITE, 0);
}

SYSCALL(pread64)
{
    return file_rw_one(t, arg_int(a, 0), arg_uaddr(a, 1), arg_size(a, 2), RW_PREAD,
                       arg_long(a, 3));
}

SYSCALL(pwrite64)
{
    return file_rw_one(t, arg_int(a, 0), arg_uaddr(a, 1), arg_size(a, 2), RW_PWRITE,
                       arg_long(a, 3));
}

SYSCALL(readv)
{
    return file_rw_vec(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), RW_READ, 0);
}

SYSCALL(writev)
{
    return file_rw_vec(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), RW_WRITE, 0);
}

SYSCALL(preadv)
{
    return file_rw_vec(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), RW_PREAD,
                       arg_long(a, 3));
}

SYSCALL(pwritev)
{
    return file_rw_vec(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), RW_PWRITE,
                       arg_long(a, 3));
}

/* preadv2/pwritev2: offset -1 means the file position; flags are hints
 * tmpfs and host fds need not act on, except RWF_APPEND. */
#define RWF_SUPPORTED                                                                         \
    (LINUX_RWF_HIPRI | LINUX_RWF_DSYNC | LINUX_RWF_SYNC | LINUX_RWF_NOWAIT | LINUX_RWF_APPEND)

static long rw_vec2(struct task *t, const struct syscall_args *a, bool reading)
{
    int fd = arg_int(a, 0), iovcnt = arg_int(a, 2);
    int64_t pos = arg_long(a, 3);
    int flags = arg_int(a, 5);
    if (flags & ~RWF_SUPPORTED)
        return -LINUX_EOPNOTSUPP;
    if (pos < -1)
        return -LINUX_EINVAL;
    enum rw_kind kind = reading ? (pos == -1 ? RW_READ : RW_PREAD)
                                : (pos == -1 ? RW_WRITE : RW_PWRITE);
    struct file *f = NULL;
    int saved = 0;
    if (!reading && (flags & LINUX_RWF_APPEND)) {
        f = fd_get(t, fd);
        if (!f)
            return -LINUX_EBADF;
        saved = f->flags;
        f->flags |= LINUX_O_APPEND;
    }
    long r = file_rw_vec(t, fd, arg_uaddr(a, 1), iovcnt, kind, pos);
    if (f) {
        f->flags = saved;
        file_put(f);
    }
    return r;
}

SYSCALL(preadv2)
{
    return rw_vec2(t, a, true);
}

SYSCALL(pwritev2)
{
    return rw_vec2(t, a, false);
}

SYSCALL(lseek)
{
    struct file *f = fd_get(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    int whence = arg_int(a, 2);
    long r;
    if (whence < LINUX_SEEK_SET || whence > LINUX_SEEK_HOLE)
        r = -LINUX_EINVAL;
    else if (!f->ops->seek)
        r = -LINUX_ESPIPE;
    else
        r = f->ops->seek(f, arg_long(a, 1), whence);
    file_put(f);
    return r;
}

SYSCALL(close)
{
    return fdtable_close(t->fds, arg_int(a, 0));
}

SYSCALL(close_range)
{
    unsigned first = arg_uint(a, 0), last = arg_uint(a, 1), flags = arg_uint(a, 2);
    if (flags & ~(LINUX_CLOSE_RANGE_UNSHARE | LINUX_CLOSE_RANGE_CLOEXEC))
        return -LINUX_EINVAL;
    if (first > last)
        return -LINUX_EINVAL;
    /* UNSHARE: fd tables are not shared between processes yet. */
    return fdtable_close_range(t->fds, first, last, flags & LINUX_CLOSE_RANGE_CLOEXEC);
}

/* The ioctls every file answers the same way (Linux's do_vfs_ioctl). */
static long ioctl_generic(struct task *t, int fd, struct file *f, unsigned cmd, uaddr_t arg)
{
    int on;
    switch (cmd) {
    case LINUX_FIOCLEX:
        return fdtable_set_flags(t->fds, fd, LINUX_FD_CLOEXEC);
    case LINUX_FIONCLEX:
        return fdtable_set_flags(t->fds, fd, 0);
    case LINUX_FIONBIO:
    case LINUX_FIOASYNC:
        if (copy_in(t->mm, &on, arg, sizeof(on)) < 0)
            return -LINUX_EFAULT;
        int bit = cmd == LINUX_FIONBIO ? LINUX_O_NONBLOCK : LINUX_FASYNC;
        f->flags = on ? (f->flags | bit) : (f->flags & ~bit);
        return 0;
    case LINUX_FIONREAD:
        if (f->inode && (f->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFREG) {
            int64_t left = (int64_t)f->inode->attr.size - f->pos;
            int n = left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
            return copy_out(t->mm, arg, &n, sizeof(n)) < 0 ? -LINUX_EFAULT : 0;
        }
        break;
    case LINUX_FIOQSIZE:
        if (f->inode) {
            uint32_t type = f->inode->attr.mode & LINUX_S_IFMT;
            if (type == LINUX_S_IFREG || type == LINUX_S_IFDIR || type == LINUX_S_IFLNK) {
                int64_t size = (int64_t)f->inode->attr.size;
                return copy_out(t->mm, arg, &size, sizeof(size)) < 0 ? -LINUX_EFAULT : 0;
            }
            return -LINUX_ENOTTY;
        }
        break;
    default:
        break;
    }
    return file_ioctl(f, t, cmd, arg);
}

SYSCALL(ioctl)
{
    int fd = arg_int(a, 0);
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long ret = ioctl_generic(t, fd, f, arg_uint(a, 1), arg_uaddr(a, 2));
    file_put(f);
    return ret;
}

SYSCALL(fstat)
{
    struct file *f = fd_get_raw(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    long ret = stat_file(f, &st);
    file_put(f);
    if (ret < 0)
        return ret;
    return copy_out(t->mm, arg_uaddr(a, 1), &st, sizeof(st)) < 0 ? -LINUX_EFAULT : 0;
}

static long dup_to(struct task *t, int oldfd, int newfd, int fd_flags)
{
    struct file *f = fdtable_get(t->fds, oldfd);
    if (!f)
        return -LINUX_EBADF;
    long r = fdtable_install_at(t->fds, newfd, f, fd_flags,
                                t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur);
    file_put(f);
    return r;
}

static long dup_lowest(struct task *t, int oldfd, int min, int fd_flags)
{
    struct file *f = fdtable_get(t->fds, oldfd);
    if (!f)
        return -LINUX_EBADF;
    long r = fdtable_install(t->fds, f, min, fd_flags, t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur);
    file_put(f);
    return r;
}

SYSCALL(dup)
{
    return dup_lowest(t, arg_int(a, 0), 0, 0);
}

SYSCALL(dup2)
{
    int oldfd = arg_int(a, 0), newfd = arg_int(a, 1);
    if (oldfd == newfd)
        return fdtable_get_flags(t->fds, oldfd) < 0 ? -LINUX_EBADF : newfd;
    return dup_to(t, oldfd, newfd, 0);
}

SYSCALL(dup3)
{
    int oldfd = arg_int(a, 0), newfd = arg_int(a, 1), flags = arg_int(a, 2);
    if (flags & ~LINUX_O_CLOEXEC)
        return -LINUX_EINVAL;
    if (oldfd == newfd)
        return -LINUX_EINVAL;
    return dup_to(t, oldfd, newfd, flags ? LINUX_FD_CLOEXEC : 0);
}

/* Status flags F_SETFL may change. */
#define FCNTL_SETFL_MASK (LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_FASYNC | LINUX_O_DIRECT | \
                          LINUX_O_NOATIME)

/* The commands an O_PATH fd allows (Linux's check_fcntl_cmd). */
static bool fcntl_path_ok(int cmd)
{
    return cmd == LINUX_F_DUPFD || cmd == LINUX_F_DUPFD_CLOEXEC || cmd == LINUX_F_GETFD ||
           cmd == LINUX_F_SETFD || cmd == LINUX_F_GETFL;
}

SYSCALL(fcntl)
{
    int fd = arg_int(a, 0), cmd = arg_int(a, 1);
    long arg = arg_long(a, 2);
    if (!fcntl_path_ok(cmd)) {
        struct file *f = fd_get_raw(t, fd);
        if (!f)
            return -LINUX_EBADF;
        bool path = f->flags & LINUX_O_PATH;
        file_put(f);
        if (path)
            return -LINUX_EBADF;
    }
    switch (cmd) {
    case LINUX_F_GETLK:
    case LINUX_F_SETLK:
    case LINUX_F_SETLKW:
    case LINUX_F_OFD_GETLK:
    case LINUX_F_OFD_SETLK:
    case LINUX_F_OFD_SETLKW:
        return fcntl_lock(t, fd, cmd, (uaddr_t)arg);
    case LINUX_F_DUPFD:
    case LINUX_F_DUPFD_CLOEXEC:
        if ((int)arg < 0)
            return -LINUX_EINVAL;
        if ((uint64_t)(int)arg >= t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur)
            return fdtable_get_flags(t->fds, fd) < 0 ? -LINUX_EBADF : -LINUX_EINVAL;
        return dup_lowest(t, fd, (int)arg, cmd == LINUX_F_DUPFD_CLOEXEC ? LINUX_FD_CLOEXEC : 0);
    case LINUX_F_GETPIPE_SZ:
    case LINUX_F_SETPIPE_SZ:
    case LINUX_F_ADD_SEALS:
    case LINUX_F_GET_SEALS: {
        struct file *f = fdtable_get(t->fds, fd);
        if (!f)
            return -LINUX_EBADF;
        long r = (cmd == LINUX_F_GETPIPE_SZ || cmd == LINUX_F_SETPIPE_SZ)
                     ? pipe_fcntl(f, cmd, arg)
                     : memfd_fcntl(f, cmd, arg);
        file_put(f);
        return r;
    }
    case LINUX_F_GETFD:
        return fdtable_get_flags(t->fds, fd);
    case LINUX_F_SETFD:
        return fdtable_set_flags(t->fds, fd, (int)arg & LINUX_FD_CLOEXEC);
    case LINUX_F_GETFL: {
        struct file *f = fdtable_get(t->fds, fd);
        if (!f)
            return -LINUX_EBADF;
        long flags = f->flags;
        file_put(f);
        return flags;
    }
    case LINUX_F_SETFL: {
        struct file *f = fdtable_get(t->fds, fd);
        if (!f)
            return -LINUX_EBADF;
        /* Recorded on the sandbox's file description only: the host's
         * stdio is shared with whoever started moat. */
        f->flags = (f->flags & ~FCNTL_SETFL_MASK) | ((int)arg & FCNTL_SETFL_MASK);
        file_put(f);
        return 0;
    }
    default:
        return fdtable_get_flags(t->fds, fd) < 0 ? -LINUX_EBADF : -LINUX_EINVAL;
    }
}

long fd_install_pair(struct task *t, struct file *a, struct file *b, int fd_flags, uaddr_t uout)
{
    uint64_t limit = t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur;
    int fds[2];
    long ret = fds[0] = fdtable_install(t->fds, a, 0, fd_flags, limit);
    if (ret < 0)
        goto out_put_files;
    ret = fds[1] = fdtable_install(t->fds, b, 0, fd_flags, limit);
    if (ret < 0)
        goto out_close_first;
    if (copy_out(t->mm, uout, fds, sizeof(fds)) < 0) {
        ret = -LINUX_EFAULT;
        goto out_close_both;
    }
    ret = 0;
    goto out_put_files;

out_close_both:
    fdtable_close(t->fds, fds[1]);
out_close_first:
    fdtable_close(t->fds, fds[0]);
out_put_files:
    file_put(a);
    file_put(b);
    return ret;
}
