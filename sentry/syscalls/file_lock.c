/* Advisory locking syscalls: flock(2) and the fcntl record-lock commands
 * (F_GETLK, F_SETLK, F_SETLKW and the F_OFD_* forms). The locks live in
 * sentry/vfs/lock.c; this converts struct flock ranges and checks the
 * arguments as Linux's fs/locks.c does.
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include "abi/linux/fcntl.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/lock.h"

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

/* struct flock's range as [start, end] (Linux's flock_to_posix_lock). */
static int flock_range(struct file *f, const struct linux_flock *fl, struct vfs_lock_desc *out)
{
    int64_t base;
    switch (fl->l_whence) {
    case LINUX_SEEK_SET:
        base = 0;
        break;
    case LINUX_SEEK_CUR:
        base = f->pos;
        break;
    case LINUX_SEEK_END:
        base = f->inode ? (int64_t)f->inode->attr.size : 0;
        break;
    default:
        return -LINUX_EINVAL;
    }
    if (fl->l_start > 0 && base > INT64_MAX - fl->l_start)
        return -LINUX_EOVERFLOW;
    int64_t start = base + fl->l_start;
    if (start < 0)
        return -LINUX_EINVAL;
    int64_t end;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > INT64_MAX - start)
            return -LINUX_EOVERFLOW;
        end = start + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        end = start - 1;
        start += fl->l_len;
        if (start < 0)
            return -LINUX_EINVAL;
    } else {
        end = VFS_LOCK_EOF;
    }
    out->start = start;
    out->end = end;
    return 0;
}

long fcntl_lock(struct task *t, int fd, int cmd, uaddr_t arg)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long err;
    struct linux_flock fl;
    bool ofd = cmd == LINUX_F_OFD_GETLK || cmd == LINUX_F_OFD_SETLK || cmd == LINUX_F_OFD_SETLKW;
    bool get = cmd == LINUX_F_GETLK || cmd == LINUX_F_OFD_GETLK;
    bool wait = cmd == LINUX_F_SETLKW || cmd == LINUX_F_OFD_SETLKW;
    const void *owner = ofd ? (const void *)f : (const void *)t->fds;
    if (copy_in(t->mm, &fl, arg, sizeof(fl)) < 0) {
        err = -LINUX_EFAULT;
        goto out_put_file;
    }
    if (ofd && fl.l_pid != 0) {
        err = -LINUX_EINVAL;
        goto out_put_file;
    }
    if (fl.l_type != LINUX_F_RDLCK && fl.l_type != LINUX_F_WRLCK &&
        (get || fl.l_type != LINUX_F_UNLCK)) {
        err = -LINUX_EINVAL;
        goto out_put_file;
    }
    struct vfs_lock_desc d = {.type = fl.l_type};
    err = flock_range(f, &fl, &d);
    if (err)
        goto out_put_file;
    if (get) {
        if (f->inode)
            vfs_lock_test(f->inode, owner, &d);
        else
            d.type = LINUX_F_UNLCK;
        fl.l_type = (int16_t)d.type;
        if (d.type != LINUX_F_UNLCK) {
            fl.l_whence = LINUX_SEEK_SET;
            fl.l_start = d.start;
            fl.l_len = d.end == VFS_LOCK_EOF ? 0 : d.end - d.start + 1;
            fl.l_pid = d.pid;
        }
        err = copy_out(t->mm, arg, &fl, sizeof(fl)) < 0 ? -LINUX_EFAULT : 0;
        goto out_put_file;
    }
    if ((d.type == LINUX_F_RDLCK && !readable(f)) || (d.type == LINUX_F_WRLCK && !writable(f))) {
        err = -LINUX_EBADF;
        goto out_put_file;
    }
    err = f->inode ? vfs_lock_set(t, f->inode, owner, ofd, &d, wait) : 0;
out_put_file:
    file_put(f);
    return err;
}

SYSCALL(flock)
{
    struct file *f = fd_get(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    int op = arg_int(a, 1);
    int cmd = op & ~LINUX_LOCK_NB;
    long err;
    if (cmd != LINUX_LOCK_SH && cmd != LINUX_LOCK_EX && cmd != LINUX_LOCK_UN)
        err = -LINUX_EINVAL;
    else if (cmd != LINUX_LOCK_UN && !readable(f) && !writable(f))
        err = -LINUX_EBADF;
    else
        err = f->inode ? vfs_flock(t, f, op) : 0;
    file_put(f);
    return err;
}
