/* Operations that change directories: mkdir, mknod, symlink, link,
 * unlink/rmdir and rename, with Linux's checks in Linux's order (fs/namei.c:
 * filename_create, may_create, may_delete, do_renameat2...). The
 * filesystem's op changes its own entries; the dentry cache is updated
 * here after it succeeds.
 *
 * Lock order: the kernel lock. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/walk.h"

/* The parent and a (negative) child for a name to create: Linux's
 * filename_create. want_dir allows a trailing slash (mkdir). */
struct create_target {
    struct path parent;
    struct path child;
    char name[VFS_NAME_MAX + 1];
};

static void create_target_put(struct create_target *c)
{
    path_put(&c->child);
    path_put(&c->parent);
}

static int create_prepare(struct task *t, int dirfd, const char *path, bool want_dir,
                          struct create_target *out)
{
    memset(out, 0, sizeof(*out));
    int type;
    bool slash;
    int err = vfs_walk_parent(t, dirfd, path, 0, &out->parent, out->name, &type, &slash);
    if (err)
        return err;
    if (type != WALK_LAST_NORM) {
        err = -LINUX_EEXIST;
        goto fail;
    }
    err = vfs_lookup_one(t, &out->parent, out->name, &out->child);
    if (err)
        goto fail;
    if (out->child.dentry->inode) {
        err = -LINUX_EEXIST;
        goto fail;
    }
    if (slash && !want_dir) {
        err = -LINUX_ENOENT;
        goto fail;
    }
    if (vfs_mount_readonly(out->parent.mnt)) {
        err = -LINUX_EROFS;
        goto fail;
    }
    return 0;
fail:
    create_target_put(out);
    return err;
}

/* Linux's may_create, for a name known to be free. */
static int may_create(struct task *t, const struct path *dir)
{
    if (dir->dentry->dead)
        return -LINUX_ENOENT;
    return vfs_permission(&t->cred, dir->dentry->inode, VFS_MAY_WRITE | VFS_MAY_EXEC);
}

/* Puts the new inode in the cache under c's name. */
static int create_finish(struct create_target *c, struct inode *ino)
{
    struct dentry *d = dentry_instantiate(c->parent.dentry, c->name, ino);
    inode_put(ino);
    return d ? 0 : -LINUX_ENOMEM;
}

int vfs_mkdir(struct task *t, int dirfd, const char *path, uint32_t mode)
{
    struct create_target c;
    int err = create_prepare(t, dirfd, path, true, &c);
    if (err)
        return err;
    err = may_create(t, &c.parent);
    struct inode *dir = c.parent.dentry->inode;
    if (!err && !dir->ops->mkdir)
        err = -LINUX_EPERM;
    if (!err) {
        struct inode *ino;
        mode = LINUX_S_IFDIR | (mode & (0777 | LINUX_S_ISVTX) & ~t->fs->umask);
        err = dir->ops->mkdir(dir, c.name, mode, &t->cred, &ino);
        if (!err)
            err = create_finish(&c, ino);
    }
    create_target_put(&c);
    return err;
}

int vfs_mknod(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t rdev)
{
    switch (mode & LINUX_S_IFMT) {
    case 0:
        mode |= LINUX_S_IFREG;
        break;
    case LINUX_S_IFREG:
    case LINUX_S_IFCHR:
    case LINUX_S_IFBLK:
    case LINUX_S_IFIFO:
    case LINUX_S_IFSOCK:
        break;
    case LINUX_S_IFDIR:
        return -LINUX_EPERM;
    default:
        return -LINUX_EINVAL;
    }
    struct create_target c;
    int err = create_prepare(t, dirfd, path, false, &c);
    if (err)
        return err;
    err = may_create(t, &c.parent);
    bool dev = mode_is(mode, LINUX_S_IFCHR) || mode_is(mode, LINUX_S_IFBLK);
    if (!err && dev && !vfs_cred_is_root(&t->cred))
        err = -LINUX_EPERM;
    struct inode *dir = c.parent.dentry->inode;
    if (!err) {
        struct inode *ino;
        mode = (mode & LINUX_S_IFMT) | (mode & 07777 & ~t->fs->umask);
        if (mode_is(mode, LINUX_S_IFREG))
            err = dir->ops->create ? dir->ops->create(dir, c.name, mode, &t->cred, &ino)
                                   : -LINUX_EACCES;
        else
            err = dir->ops->mknod
                      ? dir->ops->mknod(dir, c.name, mode, dev ? rdev : 0, &t->cred, &ino)
                      : -LINUX_EPERM;
        if (!err)
            err = create_finish(&c, ino);
    }
    create_target_put(&c);
    return err;
}

int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path)
{
    struct create_target c;
    int err = create_prepare(t, dirfd, path, false, &c);
    if (err)
        return err;
    err = may_create(t, &c.parent);
    struct inode *dir = c.parent.dentry->inode;
    if (!err && !dir->ops->symlink)
        err = -LINUX_EPERM;
    if (!err) {
        struct inode *ino;
        err = dir->ops->symlink(dir, c.name, target, &t->cred, &ino);
        if (!err)
            err = create_finish(&c, ino);
    }
    create_target_put(&c);
    return err;
}

/* fs.protected_hardlinks (on by default): linking someone else's file needs
 * to be able to read and write it, and it must be a plain file. */
static int may_linkat(struct task *t, struct inode *ino)
{
    const struct cred *cred = &t->cred;
    if (cred->fsuid == ino->attr.uid || vfs_cred_is_root(cred))
        return 0;
    uint32_t mode = ino->attr.mode;
    if (!mode_is(mode, LINUX_S_IFREG) || (mode & LINUX_S_ISUID) ||
        ((mode & (LINUX_S_ISGID | LINUX_S_IXGRP)) == (LINUX_S_ISGID | LINUX_S_IXGRP)) ||
        vfs_permission(cred, ino, VFS_MAY_READ | VFS_MAY_WRITE) != 0)
        return -LINUX_EPERM;
    return 0;
}

int vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
             int flags)
{
    struct path old;
    unsigned wf = ((flags & LINUX_AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0) |
                  ((flags & LINUX_AT_EMPTY_PATH) ? WALK_EMPTY_PATH : 0);
    int err = vfs_walk(t, olddirfd, oldpath, wf, &old);
    if (err)
        return err;
    struct create_target c;
    err = create_prepare(t, newdirfd, newpath, false, &c);
    if (err)
        goto out_put_old;
    struct inode *ino = old.dentry->inode;
    struct inode *dir = c.parent.dentry->inode;
    if (old.mnt != c.parent.mnt)
        err = -LINUX_EXDEV;
    if (!err)
        err = may_linkat(t, ino);
    if (!err)
        err = may_create(t, &c.parent);
    if (!err && ino->sb != dir->sb)
        err = -LINUX_EXDEV;
    if (!err && (!dir->ops->link || mode_is(ino->attr.mode, LINUX_S_IFDIR)))
        err = -LINUX_EPERM;
    if (!err && ino->attr.nlink == 0)
        err = -LINUX_ENOENT;
    if (!err)
        err = dir->ops->link(dir, c.name, ino);
    if (!err) {
        inode_get(ino);
        err = create_finish(&c, ino);
    }
    create_target_put(&c);
out_put_old:
    path_put(&old);
    return err;
}

/* Linux's may_delete: victim is a positive child of dir. */
static int may_delete(struct task *t, struct path *dir, struct dentry *victim, bool isdir)
{
    const struct cred *cred = &t->cred;
    struct inode *dino = dir->dentry->inode, *ino = victim->inode;
    int err = vfs_permission(cred, dino, VFS_MAY_WRITE | VFS_MAY_EXEC);
    if (err)
        return err;
    if ((dino->attr.mode & LINUX_S_ISVTX) && !vfs_cred_is_root(cred) &&
        cred->fsuid != ino->attr.uid && cred->fsuid != dino->attr.uid)
        return -LINUX_EPERM;
    if (isdir) {
        if (!mode_is(ino->attr.mode, LINUX_S_IFDIR))
            return -LINUX_ENOTDIR;
        if (victim->parent == victim)
            return -LINUX_EBUSY;
    } else if (mode_is(ino->attr.mode, LINUX_S_IFDIR)) {
        return -LINUX_EISDIR;
    }
    if (dir->dentry->dead)
        return -LINUX_ENOENT;
    return 0;
}

/* Whether something is mounted on d (in any mount of d's tree). */
static bool is_mountpoint(const struct dentry *d)
{
    return d->mounted > 0;
}

/* Drops a removed name from the cache. */
static void dentry_removed(struct dentry *d)
{
    if (d->inode && mode_is(d->inode->attr.mode, LINUX_S_IFDIR))
        dentry_drop_children(d);
    dentry_unhash(d);
}

int vfs_unlink(struct task *t, int dirfd, const char *path, int flags)
{
    bool rmdir = flags & LINUX_AT_REMOVEDIR;
    struct path parent, victim = {0};
    char name[VFS_NAME_MAX + 1];
    int type;
    bool slash;
    int err = vfs_walk_parent(t, dirfd, path, 0, &parent, name, &type, &slash);
    if (err)
        return err;
    if (type != WALK_LAST_NORM) {
        if (!rmdir)
            err = -LINUX_EISDIR;
        else
            err = type == WALK_LAST_DOTDOT ? -LINUX_ENOTEMPTY
                  : type == WALK_LAST_DOT  ? -LINUX_EINVAL
                                           : -LINUX_EBUSY;
        goto out;
    }
    if (vfs_mount_readonly(parent.mnt)) {
        err = -LINUX_EROFS;
        goto out;
    }
    err = vfs_lookup_one(t, &parent, name, &victim);
    if (err)
        goto out;
    /* The victim itself, not what may be mounted on it. */
    if (victim.mnt != parent.mnt) {
        path_put(&victim);
        victim.mnt = parent.mnt;
        mount_get(victim.mnt);
        victim.dentry = dentry_lookup_cached(parent.dentry, name);
        dentry_get(victim.dentry);
    }
    struct dentry *d = victim.dentry;
    if (!d->inode) {
        err = -LINUX_ENOENT;
        goto out;
    }
    if (!rmdir && slash) {
        err = mode_is(d->inode->attr.mode, LINUX_S_IFDIR) ? -LINUX_EISDIR : -LINUX_ENOTDIR;
        goto out;
    }
    err = may_delete(t, &parent, d, rmdir);
    if (err)
        goto out;
    struct inode *dir = parent.dentry->inode;
    if (!(rmdir ? dir->ops->rmdir : dir->ops->unlink)) {
        err = -LINUX_EPERM;
        goto out;
    }
    if (is_mountpoint(d)) {
        err = -LINUX_EBUSY;
        goto out;
    }
    err = rmdir ? dir->ops->rmdir(dir, name, d->inode) : dir->ops->unlink(dir, name, d->inode);
    if (!err)
        dentry_removed(d);
out:
    path_put(&victim);
    path_put(&parent);
    return err;
}

/* The positive or negative dentry name in dir, not crossing mounts. */
static int lookup_here(struct task *t, struct path *dir, const char *name, struct dentry **out)
{
    struct path p;
    int err = vfs_lookup_one(t, dir, name, &p);
    if (err)
        return err;
    struct dentry *d = p.dentry;
    if (p.mnt != dir->mnt)
        d = dentry_lookup_cached(dir->dentry, name);
    dentry_get(d);
    path_put(&p);
    *out = d;
    return 0;
}

/* Whether a is b or one of b's ancestors (same filesystem). */
static bool is_ancestor(const struct dentry *a, const struct dentry *b)
{
    for (;;) {
        if (a == b)
            return true;
        if (b->parent == b)
            return false;
        b = b->parent;
    }
}

struct rename_args {
    struct path old_dir, new_dir;
    char old_name[VFS_NAME_MAX + 1], new_name[VFS_NAME_MAX + 1];
    int old_type, new_type;
    bool old_slash, new_slash;
    struct dentry *old_d, *new_d;
};

static int rename_checks(struct task *t, struct rename_args *r, unsigned flags)
{
    struct dentry *old_d = r->old_d, *new_d = r->new_d;
    bool exchange = flags & LINUX_RENAME_EXCHANGE;
    if (!old_d->inode)
        return -LINUX_ENOENT;
    if ((flags & LINUX_RENAME_NOREPLACE) && new_d->inode)
        return -LINUX_EEXIST;
    bool old_is_dir = mode_is(old_d->inode->attr.mode, LINUX_S_IFDIR);
    bool new_is_dir = new_d->inode && mode_is(new_d->inode->attr.mode, LINUX_S_IFDIR);
    if (exchange) {
        if (!new_d->inode)
            return -LINUX_ENOENT;
        if (!new_is_dir && r->new_slash)
            return -LINUX_ENOTDIR;
    }
    if (!old_is_dir) {
        if (r->old_slash || (!exchange && r->new_slash))
            return -LINUX_ENOTDIR;
    }
    if (r->old_dir.dentry != r->new_dir.dentry) {
        if (is_ancestor(old_d, r->new_dir.dentry))
            return -LINUX_EINVAL;
        if (new_d->inode && is_ancestor(new_d, r->old_dir.dentry))
            return exchange ? -LINUX_EINVAL : -LINUX_ENOTEMPTY;
    }
    if (old_d->inode == new_d->inode)
        return 1; /* the same file: nothing to do */
    int err = may_delete(t, &r->old_dir, old_d, old_is_dir);
    if (err)
        return err;
    if (!new_d->inode)
        err = may_create(t, &r->new_dir);
    else
        err = may_delete(t, &r->new_dir, new_d, exchange ? new_is_dir : old_is_dir);
    if (err)
        return err;
    struct inode *old_dir = r->old_dir.dentry->inode;
    if (!old_dir->ops->rename)
        return -LINUX_EPERM;
    if (r->old_dir.dentry != r->new_dir.dentry) {
        if (old_is_dir && (err = vfs_permission(&t->cred, old_d->inode, VFS_MAY_WRITE)))
            return err;
        if (exchange && new_is_dir && (err = vfs_permission(&t->cred, new_d->inode, VFS_MAY_WRITE)))
            return err;
    }
    if (is_mountpoint(old_d) || is_mountpoint(new_d))
        return -LINUX_EBUSY;
    return 0;
}

int vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
               unsigned flags)
{
    if (flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE | LINUX_RENAME_WHITEOUT))
        return -LINUX_EINVAL;
    if ((flags & LINUX_RENAME_EXCHANGE) &&
        (flags & (LINUX_RENAME_NOREPLACE | LINUX_RENAME_WHITEOUT)))
        return -LINUX_EINVAL;
    if ((flags & LINUX_RENAME_WHITEOUT) && !vfs_cred_is_root(&t->cred))
        return -LINUX_EPERM;
    struct rename_args r;
    memset(&r, 0, sizeof(r));
    int err =
        vfs_walk_parent(t, olddirfd, oldpath, 0, &r.old_dir, r.old_name, &r.old_type, &r.old_slash);
    if (err)
        return err;
    err =
        vfs_walk_parent(t, newdirfd, newpath, 0, &r.new_dir, r.new_name, &r.new_type, &r.new_slash);
    if (err)
        goto out;
    if (r.old_dir.mnt != r.new_dir.mnt) {
        err = -LINUX_EXDEV;
        goto out;
    }
    if (r.old_type != WALK_LAST_NORM) {
        err = -LINUX_EBUSY;
        goto out;
    }
    if (r.new_type != WALK_LAST_NORM) {
        err = (flags & LINUX_RENAME_NOREPLACE) ? -LINUX_EEXIST : -LINUX_EBUSY;
        goto out;
    }
    if (vfs_mount_readonly(r.old_dir.mnt)) {
        err = -LINUX_EROFS;
        goto out;
    }
    err = lookup_here(t, &r.old_dir, r.old_name, &r.old_d);
    if (err)
        goto out;
    err = lookup_here(t, &r.new_dir, r.new_name, &r.new_d);
    if (err)
        goto out;
    err = rename_checks(t, &r, flags);
    if (err) {
        err = err > 0 ? 0 : err;
        goto out;
    }
    struct inode *old_dir = r.old_dir.dentry->inode, *new_dir = r.new_dir.dentry->inode;
    err = old_dir->ops->rename(old_dir, r.old_name, new_dir, r.new_name, flags);
    if (err)
        goto out;
    /* The cache follows the filesystem. */
    struct dentry *old_d = r.old_d, *new_d = r.new_d;
    if (flags & LINUX_RENAME_EXCHANGE) {
        dentry_unhash(new_d);
        dentry_move(old_d, r.new_dir.dentry, r.new_name);
        dentry_move(new_d, r.old_dir.dentry, r.old_name);
    } else {
        if (new_d->inode)
            dentry_removed(new_d);
        else
            dentry_unhash(new_d);
        dentry_move(old_d, r.new_dir.dentry, r.new_name);
    }
out:
    if (r.old_d)
        dentry_put(r.old_d);
    if (r.new_d)
        dentry_put(r.new_d);
    path_put(&r.old_dir);
    path_put(&r.new_dir);
    return err;
}
