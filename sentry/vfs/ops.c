/* VFS operations on resolved paths: open (and O_CREAT), stat, setattr,
 * readlink, statfs. Each follows Linux's checks in Linux's order
 * (fs/namei.c, fs/open.c, fs/attr.c).
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/walk.h"

/* Files opened with O_PATH, and the start of every open: no operations. */
static const struct file_ops path_fops = {0};

bool vfs_mount_readonly(const struct mount *mnt)
{
    return mnt && ((mnt->flags & LINUX_MNT_RDONLY) || (mnt->sb->flags & LINUX_MS_RDONLY));
}

static bool owner_or_root(const struct cred *cred, const struct inode *ino)
{
    return cred->fsuid == ino->attr.uid || vfs_cred_is_root(cred);
}

/* The permission an open asks for (Linux's ACC_MODE, plus O_TRUNC). */
static int open_acc_mode(int flags)
{
    static const int acc[4] = {VFS_MAY_READ, VFS_MAY_WRITE, VFS_MAY_READ | VFS_MAY_WRITE,
                               VFS_MAY_READ | VFS_MAY_WRITE};
    int mask = acc[flags & LINUX_O_ACCMODE];
    if (flags & LINUX_O_TRUNC)
        mask |= VFS_MAY_WRITE;
    return mask;
}

static int truncate_on_open(struct task *t, const struct path *p)
{
    struct vfs_setattr sa = {
        .valid = VFS_SET_SIZE | VFS_SET_MTIME | VFS_SET_CTIME | VFS_SET_TIMES_NOW,
        .size = 0,
    };
    sa.mtime = vfs_now();
    struct inode *ino = p->dentry->inode;
    if (!ino->ops->setattr)
        return -LINUX_EPERM;
    (void)t;
    return ino->ops->setattr(ino, &sa);
}

/* Opens the file at p (positive): Linux's do_open after the lookup. created
 * says the file was just made by this open (no permission check, no
 * truncation). */
static int open_resolved(struct task *t, const struct path *p, int flags, bool created,
                         struct file **out_file)
{
    struct inode *ino = p->dentry->inode;
    uint32_t mode = ino->attr.mode;
    if ((flags & LINUX_O_CREAT) && mode_is(mode, LINUX_S_IFDIR))
        return -LINUX_EISDIR;
    if ((flags & LINUX_O_DIRECTORY) && !mode_is(mode, LINUX_S_IFDIR))
        return -LINUX_ENOTDIR;
    if (flags & LINUX_O_PATH) {
        int fflags =
            (flags & (LINUX_O_PATH | LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW)) | LINUX_O_LARGEFILE;
        struct file *f = file_new_path(&path_fops, fflags, p, ino);
        if (!f)
            return -LINUX_ENOMEM;
        *out_file = f;
        return 0;
    }
    bool do_truncate = false;
    if (!created) {
        int acc = open_acc_mode(flags);
        switch (mode & LINUX_S_IFMT) {
        case LINUX_S_IFLNK:
            return -LINUX_ELOOP;
        case LINUX_S_IFDIR:
            if (acc & VFS_MAY_WRITE)
                return -LINUX_EISDIR;
            break;
        case LINUX_S_IFCHR:
        case LINUX_S_IFBLK:
            if (p->mnt && (p->mnt->flags & LINUX_MNT_NODEV))
                return -LINUX_EACCES;
            flags &= ~LINUX_O_TRUNC;
            break;
        case LINUX_S_IFIFO:
        case LINUX_S_IFSOCK:
            flags &= ~LINUX_O_TRUNC;
            break;
        default:
            break;
        }
        bool special = !mode_is(mode, LINUX_S_IFREG) && !mode_is(mode, LINUX_S_IFDIR) &&
                       !mode_is(mode, LINUX_S_IFLNK);
        if ((acc & VFS_MAY_WRITE) && !special && p->mnt && (p->mnt->sb->flags & LINUX_MS_RDONLY))
            return -LINUX_EROFS;
        int err = vfs_permission(&t->cred, ino, acc);
        if (err)
            return err;
        if ((acc & VFS_MAY_WRITE) && !special && vfs_mount_readonly(p->mnt))
            return -LINUX_EROFS;
        if ((flags & LINUX_O_NOATIME) && !owner_or_root(&t->cred, ino))
            return -LINUX_EPERM;
        do_truncate = (flags & LINUX_O_TRUNC) && mode_is(mode, LINUX_S_IFREG);
    }
    int fflags = (flags & ~(LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_NOCTTY | LINUX_O_TRUNC |
                            LINUX_O_CLOEXEC)) |
                 LINUX_O_LARGEFILE;
    struct file *f =
        file_new_path(ino->default_fops ? ino->default_fops : &path_fops, fflags, p, ino);
    if (!f)
        return -LINUX_ENOMEM;
    int err = 0;
    if (ino->ops->open) {
        err = ino->ops->open(ino, f);
    } else if (!ino->default_fops) {
        vfs_special_open_fn opener = vfs_special_opener(mode);
        err = opener ? opener(t, ino, f) : -LINUX_ENXIO;
    }
    if (!err && do_truncate)
        err = truncate_on_open(t, p);
    if (err) {
        file_put(f);
        return err;
    }
    *out_file = f;
    return 0;
}

int vfs_open_path(struct task *t, const struct path *p, int flags, struct file **out_file)
{
    if (!p->dentry->inode)
        return -LINUX_ENOENT;
    return open_resolved(t, p, flags & ~LINUX_O_CREAT, false, out_file);
}

/* Creates the regular file nd->last in nd->cur for open(O_CREAT). */
static int open_create(struct nameidata *nd, uint32_t mode, struct path *out)
{
    struct task *t = nd->t;
    struct path *dir = &nd->cur;
    struct inode *dino = dir->dentry->inode;
    if (vfs_mount_readonly(dir->mnt))
        return -LINUX_EROFS;
    int err = vfs_permission(nd->cred, dino, VFS_MAY_WRITE | VFS_MAY_EXEC);
    if (err)
        return err;
    if (dir->dentry->dead)
        return -LINUX_ENOENT;
    if (!dino->ops->create)
        return -LINUX_EACCES;
    struct inode *ino;
    mode = LINUX_S_IFREG | (mode & 07777 & ~t->fs->umask);
    err = dino->ops->create(dino, nd->last, mode, nd->cred, &ino);
    if (err)
        return err;
    struct dentry *d = dentry_instantiate(dir->dentry, nd->last, ino);
    inode_put(ino);
    if (!d)
        return -LINUX_ENOMEM;
    dentry_get(d);
    out->mnt = dir->mnt;
    mount_get(out->mnt);
    out->dentry = d;
    return 0;
}

int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
             unsigned walk_flags, struct file **out_file)
{
    struct nameidata nd;
    int err = nd_start(&nd, t, NULL, dirfd, path, walk_flags);
    if (!err)
        err = nd_walk_prefix(&nd, path);
    if (err)
        goto out;
    if (!(flags & LINUX_O_CREAT)) {
        err = nd_walk_last(&nd, !(flags & LINUX_O_NOFOLLOW), flags & LINUX_O_DIRECTORY, false);
        if (!err)
            err = open_resolved(t, &nd.cur, flags, false, out_file);
        goto out;
    }
    for (;;) {
        if (nd.last_type != WALK_LAST_NORM) {
            err = nd_walk_last(&nd, true, false, false);
            if (!err)
                err = -LINUX_EISDIR;
            goto out;
        }
        if (nd.trailing_slash) {
            err = -LINUX_EISDIR;
            goto out;
        }
        struct path child;
        err = vfs_lookup_one(t, &nd.cur, nd.last, &child);
        if (err)
            goto out;
        if (!child.dentry->inode) {
            path_put(&child);
            struct path created;
            err = open_create(&nd, mode, &created);
            if (!err) {
                err = open_resolved(t, &created, flags, true, out_file);
                path_put(&created);
            }
            goto out;
        }
        if (flags & LINUX_O_EXCL) {
            path_put(&child);
            err = -LINUX_EEXIST;
            goto out;
        }
        if (mode_is(path_mode(&child), LINUX_S_IFLNK) && !(flags & LINUX_O_NOFOLLOW)) {
            int r = nd_follow_link(&nd, &child);
            path_put(&child);
            if (r < 0) {
                err = r;
                goto out;
            }
            if (r == 0)
                continue; /* create or open the body's last component */
            err = open_resolved(t, &nd.cur, flags, false, out_file);
            goto out;
        }
        err = open_resolved(t, &child, flags, false, out_file);
        path_put(&child);
        goto out;
    }
out:
    nd_done(&nd);
    return err;
}

int vfs_stat(struct task *t, const struct path *p, struct vfs_attr *out_attr)
{
    (void)t;
    if (!p->dentry->inode)
        return -LINUX_ENOENT;
    return vfs_getattr(p->dentry->inode, out_attr);
}

int vfs_setattr_inode(struct task *t, struct mount *mnt, struct inode *ino,
                      const struct vfs_setattr *in)
{
    const struct cred *cred = &t->cred;
    struct vfs_setattr sa = *in;
    if (vfs_mount_readonly(mnt))
        return -LINUX_EROFS;
    if (sa.valid & VFS_SET_UID) {
        if (!vfs_cred_is_root(cred) && (cred->fsuid != ino->attr.uid || sa.uid != ino->attr.uid))
            return -LINUX_EPERM;
    }
    if (sa.valid & VFS_SET_GID) {
        if (!vfs_cred_is_root(cred) &&
            (cred->fsuid != ino->attr.uid ||
             (sa.gid != ino->attr.gid && !vfs_cred_in_group(cred, sa.gid))))
            return -LINUX_EPERM;
    }
    if (sa.valid & VFS_SET_MODE) {
        if (!owner_or_root(cred, ino))
            return -LINUX_EPERM;
        uint32_t gid = (sa.valid & VFS_SET_GID) ? sa.gid : ino->attr.gid;
        if (!vfs_cred_in_group(cred, gid) && !vfs_cred_is_root(cred))
            sa.mode &= ~LINUX_S_ISGID;
    }
    if (sa.valid & (VFS_SET_ATIME | VFS_SET_MTIME)) {
        if (sa.valid & VFS_SET_TIMES_NOW) {
            if (!owner_or_root(cred, ino)) {
                int err = vfs_permission(cred, ino, VFS_MAY_WRITE);
                if (err)
                    return err;
            }
        } else if (!owner_or_root(cred, ino)) {
            return -LINUX_EPERM;
        }
    }
    if ((sa.valid & VFS_SET_KILL_SUID) && !mode_is(ino->attr.mode, LINUX_S_IFDIR)) {
        uint32_t m = (sa.valid & VFS_SET_MODE) ? sa.mode : (ino->attr.mode & 07777);
        m &= ~LINUX_S_ISUID;
        if ((m & LINUX_S_ISGID) &&
            ((m & LINUX_S_IXGRP) ||
             (!vfs_cred_in_group(cred, ino->attr.gid) && !vfs_cred_is_root(cred))))
            m &= ~LINUX_S_ISGID;
        if (m != (ino->attr.mode & 07777)) {
            sa.valid |= VFS_SET_MODE;
            sa.mode = m;
        }
    }
    sa.valid |= VFS_SET_CTIME;
    if (!ino->ops->setattr)
        return -LINUX_EPERM;
    return ino->ops->setattr(ino, &sa);
}

int vfs_setattr(struct task *t, const struct path *p, const struct vfs_setattr *sa)
{
    if (!p->dentry->inode)
        return -LINUX_ENOENT;
    return vfs_setattr_inode(t, p->mnt, p->dentry->inode, sa);
}

long vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t size)
{
    struct path p;
    int err = vfs_walk(t, dirfd, path, WALK_EMPTY_PATH, &p);
    if (err)
        return err;
    struct inode *ino = p.dentry->inode;
    long n;
    if (!mode_is(ino->attr.mode, LINUX_S_IFLNK)) {
        n = *path ? -LINUX_EINVAL : -LINUX_ENOENT;
    } else if (ino->ops->readlink) {
        n = ino->ops->readlink(ino, buf, size);
        if (n > (long)size)
            n = (long)size;
    } else if (ino->ops->get_link_path) {
        struct path target;
        n = ino->ops->get_link_path(ino, t, &target.mnt, &target.dentry);
        if (n == 0) {
            char *s = malloc(VFS_PATH_MAX);
            n = s ? vfs_path_string(&t->fs->root, &target, s, VFS_PATH_MAX) : -LINUX_ENOMEM;
            if (n == 0) {
                size_t len = strlen(s);
                n = (long)(len < size ? len : size);
                memcpy(buf, s, (size_t)n);
            }
            free(s);
            path_put(&target);
        }
    } else {
        n = -LINUX_EINVAL;
    }
    path_put(&p);
    return n;
}

int vfs_statfs(struct task *t, const struct path *p, struct linux_statfs *out)
{
    (void)t;
    struct superblock *sb = p->dentry->sb;
    memset(out, 0, sizeof(*out));
    struct inode *root = sb->root->inode;
    int err = root->ops->statfs ? root->ops->statfs(sb, out) : 0;
    if (err)
        return err;
    if (!out->f_bsize)
        out->f_bsize = 4096;
    if (!out->f_frsize)
        out->f_frsize = out->f_bsize;
    if (!out->f_namelen)
        out->f_namelen = VFS_NAME_MAX;
    int64_t flags = 0x20; /* ST_VALID */
    int mf = p->mnt ? p->mnt->flags : 0;
    if ((mf & LINUX_MNT_RDONLY) || (sb->flags & LINUX_MS_RDONLY))
        flags |= LINUX_ST_RDONLY;
    if (mf & LINUX_MNT_NOSUID)
        flags |= LINUX_ST_NOSUID;
    if (mf & LINUX_MNT_NODEV)
        flags |= LINUX_ST_NODEV;
    if (mf & LINUX_MNT_NOEXEC)
        flags |= LINUX_ST_NOEXEC;
    if (mf & LINUX_MNT_RELATIME)
        flags |= LINUX_ST_RELATIME;
    out->f_flags = flags;
    out->f_fsid[0] = (int32_t)(sb->dev & 0xffffffff);
    out->f_fsid[1] = (int32_t)(sb->dev >> 32);
    return 0;
}
