/* The stat family (stat, lstat, newfstatat, statx, statfs, fstatfs) and
 * getdents/getdents64.
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/dirent.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* --- stat --- */

static long stat_at(struct task *t, int dirfd, uaddr_t upath, int flags, uaddr_t ubuf)
{
    if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH | LINUX_AT_NO_AUTOMOUNT))
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long n = upath || !(flags & LINUX_AT_EMPTY_PATH) ? path_copy_in(t, upath, path) : 0;
    if (n < 0)
        return n;
    if (!upath)
        path[0] = '\0';
    struct at_target tg;
    int err = at_resolve(t, dirfd, path, flags, true, &tg);
    if (err)
        return err;
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    long ret;
    if (tg.file) {
        ret = stat_file(tg.file, &st);
    } else {
        struct vfs_attr attr;
        ret = vfs_getattr(tg.ino, &attr);
        if (!ret)
            vfs_attr_to_stat(&attr, tg.ino->sb ? tg.ino->sb->dev : 0, &st);
    }
    at_target_put(&tg);
    if (ret < 0)
        return ret;
    return copy_out(t->mm, ubuf, &st, sizeof(st)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(stat)
{
    return stat_at(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), 0, arg_uaddr(a, 1));
}

SYSCALL(lstat)
{
    return stat_at(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), LINUX_AT_SYMLINK_NOFOLLOW, arg_uaddr(a, 1));
}

SYSCALL(newfstatat)
{
    return stat_at(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 3), arg_uaddr(a, 2));
}

static void statx_time(struct linux_statx_timestamp *out, struct linux_timespec ts)
{
    out->tv_sec = ts.tv_sec;
    out->tv_nsec = (uint32_t)ts.tv_nsec;
}

SYSCALL(statx)
{
    int dirfd = arg_int(a, 0), flags = arg_int(a, 2);
    unsigned mask = arg_uint(a, 3);
    uaddr_t upath = arg_uaddr(a, 1), ubuf = arg_uaddr(a, 4);
    if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_NO_AUTOMOUNT | LINUX_AT_EMPTY_PATH |
                  LINUX_AT_STATX_SYNC_TYPE))
        return -LINUX_EINVAL;
    if ((flags & LINUX_AT_STATX_SYNC_TYPE) == LINUX_AT_STATX_SYNC_TYPE)
        return -LINUX_EINVAL;
    if (mask & LINUX_STATX__RESERVED)
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    path[0] = '\0';
    if (upath || !(flags & LINUX_AT_EMPTY_PATH)) {
        long n = path_copy_in(t, upath, path);
        if (n < 0)
            return n;
    }
    struct at_target tg;
    int err = at_resolve(t, dirfd, path, flags, true, &tg);
    if (err)
        return err;
    struct linux_statx sx;
    memset(&sx, 0, sizeof(sx));
    long ret = 0;
    struct linux_stat st;
    if (tg.ino) {
        struct vfs_attr attr;
        ret = vfs_getattr(tg.ino, &attr);
        if (!ret) {
            vfs_attr_to_stat(&attr, tg.ino->sb ? tg.ino->sb->dev : 0, &st);
            sx.stx_mask = LINUX_STATX_BASIC_STATS | LINUX_STATX_BTIME;
            statx_time(&sx.stx_btime, attr.btime);
        }
    } else {
        ret = stat_file(tg.file, &st);
        sx.stx_mask = LINUX_STATX_BASIC_STATS;
    }
    if (!ret) {
        sx.stx_blksize = (uint32_t)st.st_blksize;
        sx.stx_nlink = (uint32_t)st.st_nlink;
        sx.stx_uid = st.st_uid;
        sx.stx_gid = st.st_gid;
        sx.stx_mode = (uint16_t)st.st_mode;
        sx.stx_ino = st.st_ino;
        sx.stx_size = (uint64_t)st.st_size;
        sx.stx_blocks = (uint64_t)st.st_blocks;
        statx_time(&sx.stx_atime, (struct linux_timespec){st.st_atime_sec, st.st_atime_nsec});
        statx_time(&sx.stx_mtime, (struct linux_timespec){st.st_mtime_sec, st.st_mtime_nsec});
        statx_time(&sx.stx_ctime, (struct linux_timespec){st.st_ctime_sec, st.st_ctime_nsec});
        sx.stx_rdev_major =
            (uint32_t)(((st.st_rdev >> 8) & 0xfff) | ((st.st_rdev >> 32) & ~0xfffULL));
        sx.stx_rdev_minor = (uint32_t)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & ~0xffULL));
        sx.stx_dev_major = (uint32_t)(((st.st_dev >> 8) & 0xfff) | ((st.st_dev >> 32) & ~0xfffULL));
        sx.stx_dev_minor = (uint32_t)((st.st_dev & 0xff) | ((st.st_dev >> 12) & ~0xffULL));
        sx.stx_attributes_mask = LINUX_STATX_ATTR_MOUNT_ROOT;
        if (tg.path.mnt) {
            sx.stx_mask |= LINUX_STATX_MNT_ID;
            sx.stx_mnt_id = (uint64_t)tg.path.mnt->id;
            if (tg.path.dentry == tg.path.mnt->root)
                sx.stx_attributes |= LINUX_STATX_ATTR_MOUNT_ROOT;
        }
    }
    at_target_put(&tg);
    if (ret < 0)
        return ret;
    return copy_out(t->mm, ubuf, &sx, sizeof(sx)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(statfs)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, arg_uaddr(a, 0), path);
    if (n < 0)
        return n;
    struct path p;
    int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, &p);
    if (err)
        return err;
    struct linux_statfs sfs;
    err = vfs_statfs(t, &p, &sfs);
    path_put(&p);
    if (err)
        return err;
    return copy_out(t->mm, arg_uaddr(a, 1), &sfs, sizeof(sfs)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(fstatfs)
{
    struct file *f = fd_get_raw(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    struct linux_statfs sfs;
    int err;
    if (f->path.dentry) {
        err = vfs_statfs(t, &f->path, &sfs);
    } else {
        memset(&sfs, 0, sizeof(sfs));
        sfs.f_bsize = sfs.f_frsize = LINUX_PAGE_SIZE;
        sfs.f_namelen = VFS_NAME_MAX;
        sfs.f_flags = 0x20;
        err = 0;
    }
    file_put(f);
    if (err)
        return err;
    return copy_out(t->mm, arg_uaddr(a, 1), &sfs, sizeof(sfs)) < 0 ? -LINUX_EFAULT : 0;
}

/* --- getdents --- */

struct dirent_buf {
    uint8_t *buf;
    size_t size, used;
    bool old; /* getdents, not getdents64 */
};

static bool dirent_emit(void *ctx, const struct vfs_dirent *d)
{
    struct dirent_buf *b = ctx;
    size_t namelen = strlen(d->name);
    size_t reclen;
    if (b->old)
        reclen = (offsetof(struct linux_dirent, d_name) + namelen + 2 + 7) & ~(size_t)7;
    else
        reclen = (offsetof(struct linux_dirent64, d_name) + namelen + 1 + 7) & ~(size_t)7;
    if (b->used + reclen > b->size)
        return false;
    uint8_t *p = b->buf + b->used;
    memset(p, 0, reclen);
    if (b->old) {
        struct linux_dirent *e = (struct linux_dirent *)p;
        e->d_ino = d->ino;
        e->d_off = (int64_t)d->next;
        e->d_reclen = (uint16_t)reclen;
        memcpy(e->d_name, d->name, namelen);
        p[reclen - 1] = d->type;
    } else {
        struct linux_dirent64 *e = (struct linux_dirent64 *)p;
        e->d_ino = d->ino;
        e->d_off = (int64_t)d->next;
        e->d_reclen = (uint16_t)reclen;
        e->d_type = d->type;
        memcpy(e->d_name, d->name, namelen);
    }
    b->used += reclen;
    return true;
}

static long do_getdents(struct task *t, int fd, uaddr_t ubuf, unsigned count, bool old)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long ret;
    if (!f->ops->iterate) {
        ret = -LINUX_ENOTDIR;
        goto out_put_file;
    }
    if (f->inode && (f->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR &&
        f->inode->attr.nlink == 0) {
        ret = -LINUX_ENOENT;
        goto out_put_file;
    }
    struct dirent_buf b = {.size = count < 65536 ? count : 65536, .old = old};
    b.buf = malloc(b.size ? b.size : 1);
    if (!b.buf) {
        ret = -LINUX_ENOMEM;
        goto out_put_file;
    }
    ret = f->ops->iterate(f, dirent_emit, &b);
    if (ret == 0) {
        if (b.used == 0) {
            /* Nothing fit: EINVAL unless the listing is over. */
            struct dirent_buf probe = {.size = 4096, .old = old};
            uint8_t tmp[4096];
            probe.buf = tmp;
            int64_t pos = f->pos;
            f->ops->iterate(f, dirent_emit, &probe);
            f->pos = pos;
            ret = probe.used ? -LINUX_EINVAL : 0;
        } else {
            ret = copy_out(t->mm, ubuf, b.buf, b.used) < 0 ? -LINUX_EFAULT : (long)b.used;
        }
    }
    free(b.buf);
out_put_file:
    file_put(f);
    return ret;
}

SYSCALL(getdents64)
{
    return do_getdents(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), false);
}

SYSCALL(getdents)
{
    return do_getdents(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), true);
}
