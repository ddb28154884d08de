/* Attribute syscalls: chmod, chown, truncate, the utime family, and the
 * xattr family (tmpfs keeps no extended attributes: reads find none, writes
 * are EOPNOTSUPP).
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <string.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/time.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* Applies sa to what (dirfd, upath, at_flags) names. */
static long setattr_at(struct task *t, int dirfd, uaddr_t upath, int at_flags,
                       const struct vfs_setattr *sa, bool nofollow_link_ok)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    if (n < 0)
        return n;
    struct at_target tg;
    int err = at_resolve(t, dirfd, path, at_flags, true, &tg);
    if (err)
        return err;
    if (!tg.ino) {
        err = -LINUX_EPERM;
    } else if (!nofollow_link_ok && (tg.ino->attr.mode & LINUX_S_IFMT) == LINUX_S_IFLNK) {
        err = -LINUX_EOPNOTSUPP;
    } else {
        err = vfs_setattr_inode(t, tg.path.mnt, tg.ino, sa);
    }
    at_target_put(&tg);
    return err;
}

static long setattr_fd(struct task *t, int fd, const struct vfs_setattr *sa)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long err = f->inode ? vfs_setattr_inode(t, f->path.mnt, f->inode, sa) : -LINUX_EPERM;
    file_put(f);
    return err;
}

/* --- chmod --- */

static struct vfs_setattr chmod_attr(uint32_t mode)
{
    return (struct vfs_setattr){.valid = VFS_SET_MODE, .mode = mode & 07777};
}

SYSCALL(chmod)
{
    struct vfs_setattr sa = chmod_attr(arg_uint(a, 1));
    return setattr_at(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), 0, &sa, false);
}

SYSCALL(fchmod)
{
    struct vfs_setattr sa = chmod_attr(arg_uint(a, 1));
    return setattr_fd(t, arg_int(a, 0), &sa);
}

SYSCALL(fchmodat)
{
    struct vfs_setattr sa = chmod_attr(arg_uint(a, 2));
    return setattr_at(t, arg_int(a, 0), arg_uaddr(a, 1), 0, &sa, false);
}

/* --- chown --- */

static struct vfs_setattr chown_attr(uint32_t uid, uint32_t gid)
{
    struct vfs_setattr sa = {.valid = VFS_SET_KILL_SUID, .uid = uid, .gid = gid};
    if (uid != (uint32_t)-1)
        sa.valid |= VFS_SET_UID;
    if (gid != (uint32_t)-1)
        sa.valid |= VFS_SET_GID;
    return sa;
}

SYSCALL(chown)
{
    struct vfs_setattr sa = chown_attr(arg_uint(a, 1), arg_uint(a, 2));
    return setattr_at(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), 0, &sa, true);
}

SYSCALL(lchown)
{
    struct vfs_setattr sa = chown_attr(arg_uint(a, 1), arg_uint(a, 2));
    return setattr_at(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), LINUX_AT_SYMLINK_NOFOLLOW, &sa, true);
}

SYSCALL(fchown)
{
    struct vfs_setattr sa = chown_attr(arg_uint(a, 1), arg_uint(a, 2));
    return setattr_fd(t, arg_int(a, 0), &sa);
}

SYSCALL(fchownat)
{
    int flags = arg_int(a, 4);
    if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
        return -LINUX_EINVAL;
    struct vfs_setattr sa = chown_attr(arg_uint(a, 2), arg_uint(a, 3));
    return setattr_at(t, arg_int(a, 0), arg_uaddr(a, 1), flags, &sa, true);
}

/* --- truncate --- */

/* RLIMIT_FSIZE (inode_newsize_ok): a size past the limit is EFBIG, with
 * SIGXFSZ for the caller. */
static long fsize_ok(struct task *t, int64_t len)
{
    uint64_t limit = t->tg->rlimits[LINUX_RLIMIT_FSIZE].rlim_cur;
    if (limit != LINUX_RLIM_INFINITY && (uint64_t)len > limit) {
        signal_send_thread(t, LINUX_SIGXFSZ, NULL);
        return -LINUX_EFBIG;
    }
    return 0;
}

static struct vfs_setattr truncate_attr(int64_t len)
{
    struct vfs_setattr sa = {
        .valid = VFS_SET_SIZE | VFS_SET_MTIME | VFS_SET_TIMES_NOW,
        .size = (uint64_t)len,
    };
    sa.mtime = vfs_now();
    return sa;
}

SYSCALL(truncate)
{
    int64_t len = arg_long(a, 1);
    if (len < 0)
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, arg_uaddr(a, 0), path);
    if (n < 0)
        return n;
    struct path p;
    int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, &p);
    if (err)
        return err;
    struct inode *ino = p.dentry->inode;
    uint32_t type = ino->attr.mode & LINUX_S_IFMT;
    if (type == LINUX_S_IFDIR)
        err = -LINUX_EISDIR;
    else if (type != LINUX_S_IFREG)
        err = -LINUX_EINVAL;
    else if (vfs_mount_readonly(p.mnt))
        err = -LINUX_EROFS;
    else
        err = vfs_permission(&t->cred, ino, VFS_MAY_WRITE);
    if (!err)
        err = (int)fsize_ok(t, len);
    if (!err) {
        struct vfs_setattr sa = truncate_attr(len);
        err = vfs_setattr_inode(t, p.mnt, ino, &sa);
    }
    path_put(&p);
    return err;
}

SYSCALL(ftruncate)
{
    int64_t len = arg_long(a, 1);
    if (len < 0)
        return -LINUX_EINVAL;
    struct file *f = fd_get(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    long err;
    int acc = f->flags & LINUX_O_ACCMODE;
    if (!f->inode || (f->inode->attr.mode & LINUX_S_IFMT) != LINUX_S_IFREG ||
        (acc != LINUX_O_WRONLY && acc != LINUX_O_RDWR)) {
        err = -LINUX_EINVAL;
    } else if ((err = fsize_ok(t, len)) != 0) {
        /* past RLIMIT_FSIZE */
    } else {
        struct vfs_setattr sa = truncate_attr(len);
        /* Opened for writing: no permission check, as Linux. */
        sa.valid &= ~VFS_SET_TIMES_NOW;
        err = f->inode->ops->setattr ? f->inode->ops->setattr(f->inode, &sa) : -LINUX_EPERM;
    }
    file_put(f);
    return err;
}

/* --- times --- */

static bool nsec_valid(int64_t nsec)
{
    return nsec == LINUX_UTIME_NOW || nsec == LINUX_UTIME_OMIT ||
           (nsec >= 0 && nsec < LINUX_NSEC_PER_SEC);
}

/* times NULL: both now. Builds the setattr for utimensat's two times. */
static int times_attr(const struct linux_timespec *times, struct vfs_setattr *out)
{
    struct linux_timespec now = vfs_now();
    *out = (struct vfs_setattr){.valid = VFS_SET_ATIME | VFS_SET_MTIME | VFS_SET_TIMES_NOW};
    out->atime = out->mtime = now;
    if (!times)
        return 0;
    if (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec))
        return -LINUX_EINVAL;
    bool explicit = false;
    for (int i = 0; i < 2; i++) {
        struct linux_timespec *dst = i == 0 ? &out->atime : &out->mtime;
        uint32_t bit = i == 0 ? VFS_SET_ATIME : VFS_SET_MTIME;
        if (times[i].tv_nsec == LINUX_UTIME_OMIT) {
            out->valid &= ~bit;
        } else if (times[i].tv_nsec != LINUX_UTIME_NOW) {
            *dst = times[i];
            explicit = true;
        }
    }
    if (explicit)
        out->valid &= ~VFS_SET_TIMES_NOW;
    return 0;
}

static long do_utimes(struct task *t, int dirfd, uaddr_t upath, const struct linux_timespec *times,
                      int flags)
{
    if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
        return -LINUX_EINVAL;
    struct vfs_setattr sa;
    int err = times_attr(times, &sa);
    if (err)
        return err;
    if (!upath && dirfd != LINUX_AT_FDCWD)
        return setattr_fd(t, dirfd, &sa);
    return setattr_at(t, dirfd, upath, flags, &sa, true);
}

SYSCALL(utimensat)
{
    uaddr_t utimes = arg_uaddr(a, 2);
    struct linux_timespec ts[2];
    if (utimes) {
        if (copy_in(t->mm, ts, utimes, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        /* Nothing to do: the path is not even looked at. */
        if (ts[0].tv_nsec == LINUX_UTIME_OMIT && ts[1].tv_nsec == LINUX_UTIME_OMIT)
            return 0;
    }
    return do_utimes(t, arg_int(a, 0), arg_uaddr(a, 1), utimes ? ts : NULL, arg_int(a, 3));
}

static long timevals_utimes(struct task *t, int dirfd, uaddr_t upath, uaddr_t utv)
{
    struct linux_timespec ts[2];
    if (utv) {
        struct linux_timeval tv[2];
        if (copy_in(t->mm, tv, utv, sizeof(tv)) < 0)
            return -LINUX_EFAULT;
        for (int i = 0; i < 2; i++) {
            if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
                return -LINUX_EINVAL;
            ts[i] = (struct linux_timespec){tv[i].tv_sec, tv[i].tv_usec * 1000};
        }
    }
    return do_utimes(t, dirfd, upath, utv ? ts : NULL, 0);
}

SYSCALL(futimesat)
{
    return timevals_utimes(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2));
}

SYSCALL(utimes)
{
    return timevals_utimes(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1));
}

SYSCALL(utime)
{
    uaddr_t ubuf = arg_uaddr(a, 1);
    struct linux_timespec ts[2];
    if (ubuf) {
        int64_t times[2]; /* struct utimbuf: actime, modtime */
        if (copy_in(t->mm, times, ubuf, sizeof(times)) < 0)
            return -LINUX_EFAULT;
        ts[0] = (struct linux_timespec){times[0], 0};
        ts[1] = (struct linux_timespec){times[1], 0};
    }
    return do_utimes(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), ubuf ? ts : NULL, 0);
}

/* --- extended attributes --- */

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536

/* The namespaces Linux knows; others are EOPNOTSUPP. */
static bool xattr_known(const char *name)
{
    static const char *const prefixes[] = {"user.", "trusted.", "security.", "system."};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    return false;
}

enum xattr_op { XATTR_GET, XATTR_SET, XATTR_LIST, XATTR_REMOVE };

/* The common part: resolve the file (by path, by link, or by fd), check the
 * name, and answer as a filesystem without extended attributes. */
static long xattr_common(struct task *t, enum xattr_op op, int fd, uaddr_t upath, bool follow,
                         uaddr_t uname, size_t size, int flags)
{
    char name[XATTR_NAME_MAX + 1];
    if (op == XATTR_SET && (flags & ~(LINUX_XATTR_CREATE | LINUX_XATTR_REPLACE)))
        return -LINUX_EINVAL;
    struct at_target tg = {0};
    long err;
    if (fd >= 0) {
        struct file *f = fd_get(t, fd);
        if (!f)
            return -LINUX_EBADF;
        file_put(f);
    } else {
        char path[VFS_PATH_MAX];
        long n = path_copy_in(t, upath, path);
        if (n < 0)
            return n;
        err =
            at_resolve(t, LINUX_AT_FDCWD, path, follow ? 0 : LINUX_AT_SYMLINK_NOFOLLOW, true, &tg);
        if (err)
            return err;
        at_target_put(&tg);
    }
    if (op == XATTR_LIST)
        return 0;
    long n = copy_string_in(t->mm, name, uname, sizeof(name));
    if (n == -LINUX_EFAULT)
        return n;
    if (n <= 0)
        return -LINUX_ERANGE;
    if (op == XATTR_SET && size > XATTR_SIZE_MAX)
        return -LINUX_E2BIG;
    if (!xattr_known(name) || op == XATTR_SET)
        return -LINUX_EOPNOTSUPP;
    return -LINUX_ENODATA;
}

SYSCALL(getxattr)
{
    return xattr_common(t, XATTR_GET, -1, arg_uaddr(a, 0), true, arg_uaddr(a, 1), 0, 0);
}

SYSCALL(lgetxattr)
{
    return xattr_common(t, XATTR_GET, -1, arg_uaddr(a, 0), false, arg_uaddr(a, 1), 0, 0);
}

SYSCALL(fgetxattr)
{
    int fd = arg_int(a, 0);
    return fd < 0 ? -LINUX_EBADF : xattr_common(t, XATTR_GET, fd, 0, true, arg_uaddr(a, 1), 0, 0);
}

SYSCALL(setxattr)
{
    return xattr_common(t, XATTR_SET, -1, arg_uaddr(a, 0), true, arg_uaddr(a, 1), arg_size(a, 3),
                        arg_int(a, 4));
}

SYSCALL(lsetxattr)
{
    return xattr_common(t, XATTR_SET, -1, arg_uaddr(a, 0), false, arg_uaddr(a, 1), arg_size(a, 3),
                        arg_int(a, 4));
}

SYSCALL(fsetxattr)
{
    int fd = arg_int(a, 0);
    return fd < 0 ? -LINUX_EBADF
                  : xattr_common(t, XATTR_SET, fd, 0, true, arg_uaddr(a, 1), arg_size(a, 3),
                                 arg_int(a, 4));
}

SYSCALL(listxattr)
{
    return xattr_common(t, XATTR_LIST, -1, arg_uaddr(a, 0), true, 0, 0, 0);
}

SYSCALL(llistxattr)
{
    return xattr_common(t, XATTR_LIST, -1, arg_uaddr(a, 0), false, 0, 0, 0);
}

SYSCALL(flistxattr)
{
    int fd = arg_int(a, 0);
    return fd < 0 ? -LINUX_EBADF : xattr_common(t, XATTR_LIST, fd, 0, true, 0, 0, 0);
}

SYSCALL(removexattr)
{
    return xattr_common(t, XATTR_REMOVE, -1, arg_uaddr(a, 0), true, arg_uaddr(a, 1), 0, 0);
}

SYSCALL(lremovexattr)
{
    return xattr_common(t, XATTR_REMOVE, -1, arg_uaddr(a, 0), false, arg_uaddr(a, 1), 0, 0);
}

SYSCALL(fremovexattr)
{
    int fd = arg_int(a, 0);
    return fd < 0 ? -LINUX_EBADF
                  : xattr_common(t, XATTR_REMOVE, fd, 0, true, arg_uaddr(a, 1), 0, 0);
}
