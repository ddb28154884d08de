/* The path walk (DESIGN.md section 6): component by component through the
 * dentry cache and inode_ops.lookup, never the host. Symlinks are followed
 * here (at most VFS_SYMLINK_MAX per walk), `..` stays inside the root and
 * crosses mount points upwards, and the openat2 RESOLVE_* scoping rules
 * apply. Errors follow Linux's fs/namei.c, in its order.
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/walk.h"

#define WALK_SCOPED (WALK_BENEATH | WALK_IN_ROOT)

int vfs_permission(const struct cred *cred, struct inode *ino, int mask)
{
    uint32_t mode = ino->attr.mode;
    uint32_t perm;
    mask &= VFS_MAY_READ | VFS_MAY_WRITE | VFS_MAY_EXEC;
    if (cred->fsuid == ino->attr.uid)
        perm = mode >> 6;
    else if (vfs_cred_in_group(cred, ino->attr.gid))
        perm = mode >> 3;
    else
        perm = mode;
    if ((perm & (uint32_t)mask) == (uint32_t)mask)
        return 0;
    if (vfs_cred_is_root(cred)) {
        /* CAP_DAC_OVERRIDE: everything but executing a file no one may
         * execute. */
        if (mode_is(mode, LINUX_S_IFDIR) || !(mask & VFS_MAY_EXEC) || (mode & 0111))
            return 0;
    }
    return -LINUX_EACCES;
}

/* Replaces nd->cur with p (taking a new reference). */
static void nd_set_cur(struct nameidata *nd, const struct path *p)
{
    struct path old = nd->cur;
    path_get(p);
    nd->cur = *p;
    path_put(&old);
}

/* Moves nd->cur to the child path (the caller's reference passes to nd). */
static void nd_move_to(struct nameidata *nd, struct path *child)
{
    path_put(&nd->cur);
    nd->cur = *child;
    child->mnt = NULL;
    child->dentry = NULL;
}

int nd_start(struct nameidata *nd, struct task *t, const struct cred *cred, int dirfd,
             const char *path, unsigned flags)
{
    memset(nd, 0, sizeof(*nd));
    nd->t = t;
    nd->cred = cred ? cred : &t->cred;
    nd->flags = flags;
    nd->last_type = WALK_LAST_ROOT;
    if (!*path && !(flags & WALK_EMPTY_PATH))
        return -LINUX_ENOENT;
    if (strlen(path) >= VFS_PATH_MAX)
        return -LINUX_ENAMETOOLONG;
    if (path[0] == '/' && !(flags & WALK_IN_ROOT)) {
        if (flags & WALK_BENEATH)
            return -LINUX_EXDEV;
        nd->root = t->fs->root;
        path_get(&nd->root);
        nd->cur = nd->root;
        path_get(&nd->cur);
        return 0;
    }
    if (dirfd == LINUX_AT_FDCWD) {
        nd->cur = t->fs->cwd;
        path_get(&nd->cur);
    } else {
        struct file *f = fdtable_get(t->fds, dirfd);
        if (!f)
            return -LINUX_EBADF;
        if (!f->path.dentry || !f->path.dentry->inode) {
            file_put(f);
            return *path ? -LINUX_ENOTDIR : -LINUX_ENOENT;
        }
        if (*path && !mode_is(path_mode(&f->path), LINUX_S_IFDIR)) {
            file_put(f);
            return -LINUX_ENOTDIR;
        }
        nd->cur = f->path;
        path_get(&nd->cur);
        file_put(f);
    }
    nd->root = (flags & WALK_SCOPED) ? nd->cur : t->fs->root;
    path_get(&nd->root);
    return 0;
}

void nd_done(struct nameidata *nd)
{
    path_put(&nd->cur);
    path_put(&nd->root);
}

/* `/` at the start of a path or a symlink body. */
static int nd_jump_root(struct nameidata *nd)
{
    if (nd->flags & WALK_BENEATH)
        return -LINUX_EXDEV;
    if ((nd->flags & WALK_NO_XDEV) && nd->cur.mnt != nd->root.mnt)
        return -LINUX_EXDEV;
    nd_set_cur(nd, &nd->root);
    return 0;
}

static int nd_dotdot(struct nameidata *nd)
{
    for (;;) {
        if (path_equal(&nd->cur, &nd->root))
            return (nd->flags & WALK_BENEATH) ? -LINUX_EXDEV : 0;
        if (nd->cur.dentry != nd->cur.mnt->root)
            break;
        /* At a mount's root: go to where it is mounted. */
        struct mount *m = nd->cur.mnt;
        if (m->parent == m)
            return (nd->flags & WALK_BENEATH) ? -LINUX_EXDEV : 0;
        struct path up = {m->parent, m->mountpoint};
        if (path_equal(&up, &nd->root))
            return (nd->flags & WALK_BENEATH) ? -LINUX_EXDEV : 0;
        if (nd->flags & WALK_NO_XDEV)
            return -LINUX_EXDEV;
        nd_set_cur(nd, &up);
    }
    struct path parent = {nd->cur.mnt, nd->cur.dentry->parent};
    nd_set_cur(nd, &parent);
    struct mount *before = nd->cur.mnt;
    mount_follow_down(&nd->cur);
    if ((nd->flags & WALK_NO_XDEV) && nd->cur.mnt != before)
        return -LINUX_EXDEV;
    return 0;
}

/* vfs_lookup_one for a name already known to fit VFS_NAME_MAX (the walk's
 * components), so the hot path does not measure it again. */
static int lookup_one(const struct path *dir, const char *name, struct path *out)
{
    struct dentry *d = dentry_lookup_cached(dir->dentry, name);
    bool hashed = true;
    if (!d) {
        struct inode *dino = dir->dentry->inode;
        if (!dino || !mode_is(dino->attr.mode, LINUX_S_IFDIR))
            return -LINUX_ENOTDIR;
        struct inode *ino = NULL;
        int err = dir->dentry->dead || !dino->ops->lookup ? -LINUX_ENOENT
                                                          : dino->ops->lookup(dino, name, &ino);
        if (err == 0) {
            d = dentry_add_child(dir->dentry, name, ino);
            if (ino)
                inode_put(ino);
            if (!d)
                return -LINUX_ENOMEM;
        } else if (err == -LINUX_ENOENT) {
            /* A negative entry that is not cached. */
            d = calloc(1, sizeof(*d));
            if (!d || !(d->name = strdup(name))) {
                free(d);
                return -LINUX_ENOMEM;
            }
            d->refs = 1;
            d->parent = dir->dentry;
            dentry_get(dir->dentry);
            d->sb = dir->dentry->sb;
            d->dead = true;
            hashed = false;
        } else {
            return err;
        }
    }
    if (hashed)
        dentry_get(d);
    out->mnt = dir->mnt;
    mount_get(out->mnt);
    out->dentry = d;
    if (d->inode)
        mount_follow_down(out);
    return 0;
}

int vfs_lookup_one(struct task *t, const struct path *dir, const char *name, struct path *out)
{
    (void)t;
    if (strlen(name) > VFS_NAME_MAX)
        return -LINUX_ENAMETOOLONG;
    return lookup_one(dir, name, out);
}

/* Looks the component up from nd->cur into *out (positive or negative).
 * name is a component of at most VFS_NAME_MAX bytes (nd_walk_prefix checks
 * each one; nd->last holds no more). */
static int nd_lookup(struct nameidata *nd, const char *name, struct path *out)
{
    int err = lookup_one(&nd->cur, name, out);
    if (err)
        return err;
    if ((nd->flags & WALK_NO_XDEV) && out->mnt != nd->cur.mnt) {
        path_put(out);
        return -LINUX_EXDEV;
    }
    return 0;
}

/* Reads a symlink body into a new buffer the caller frees. */
static int read_link_body(struct inode *ino, char **out_body)
{
    if (!ino->ops->readlink)
        return -LINUX_EINVAL;
    char *buf = malloc(VFS_PATH_MAX);
    if (!buf)
        return -LINUX_ENOMEM;
    long n = ino->ops->readlink(ino, buf, VFS_PATH_MAX);
    if (n < 0 || n >= VFS_PATH_MAX || n == 0) {
        free(buf);
        return n < 0 ? (int)n : n == 0 ? -LINUX_ENOENT : -LINUX_ENAMETOOLONG;
    }
    buf[n] = '\0';
    *out_body = buf;
    return 0;
}

int nd_follow_link(struct nameidata *nd, const struct path *link)
{
    if (nd->flags & WALK_NO_SYMLINKS)
        return -LINUX_ELOOP;
    if (++nd->nlinks > VFS_SYMLINK_MAX)
        return -LINUX_ELOOP;
    struct inode *ino = link->dentry->inode;
    if (ino->ops->get_link_path) {
        if (nd->flags & WALK_NO_MAGICLINKS)
            return -LINUX_ELOOP;
        if (nd->flags & WALK_SCOPED)
            return -LINUX_EXDEV;
        struct path target;
        int err = ino->ops->get_link_path(ino, nd->t, &target.mnt, &target.dentry);
        if (err)
            return err;
        if ((nd->flags & WALK_NO_XDEV) && target.mnt != nd->cur.mnt) {
            path_put(&target);
            return -LINUX_EXDEV;
        }
        nd_move_to(nd, &target);
        return 1;
    }
    char *body = NULL;
    int err = read_link_body(ino, &body);
    if (err)
        return err;
    err = nd_walk_prefix(nd, body);
    free(body);
    return err;
}

/* Walks the whole of a symlink body met in the middle of a path: nd->cur
 * ends at what it names, which must be a directory (checked by the
 * caller). */
static int nd_walk_link_full(struct nameidata *nd, const struct path *link)
{
    int r = nd_follow_link(nd, link);
    if (r != 0)
        return r < 0 ? r : 0;
    return nd_walk_last(nd, true, true, false);
}

/* One component in the middle of a path. */
static int nd_step(struct nameidata *nd, const char *name, int type)
{
    if (type == WALK_LAST_DOT)
        return 0;
    if (type == WALK_LAST_DOTDOT)
        return nd_dotdot(nd);
    struct path child;
    int err = nd_lookup(nd, name, &child);
    if (err)
        return err;
    if (!child.dentry->inode) {
        path_put(&child);
        return -LINUX_ENOENT;
    }
    if (mode_is(path_mode(&child), LINUX_S_IFLNK)) {
        err = nd_walk_link_full(nd, &child);
        path_put(&child);
        return err;
    }
    nd_move_to(nd, &child);
    return 0;
}

static int component_type(const char *name, size_t len)
{
    if (len == 1 && name[0] == '.')
        return WALK_LAST_DOT;
    if (len == 2 && name[0] == '.' && name[1] == '.')
        return WALK_LAST_DOTDOT;
    return WALK_LAST_NORM;
}

int nd_walk_prefix(struct nameidata *nd, const char *s)
{
    if (*s == '/') {
        int err = nd_jump_root(nd);
        if (err)
            return err;
        while (*s == '/')
            s++;
        nd->last_type = WALK_LAST_ROOT;
        nd->last[0] = '\0';
        nd->trailing_slash = false;
    } else if (!*s) {
        /* An empty path (AT_EMPTY_PATH): the start itself. */
        nd->last_type = WALK_LAST_DOT;
        nd->last[0] = '\0';
        nd->trailing_slash = false;
        return 0;
    }
    while (*s) {
        struct inode *dir = nd->cur.dentry->inode;
        int err = vfs_permission(nd->cred, dir, VFS_MAY_EXEC);
        if (err)
            return err;
        const char *end = strchrnul(s, '/');
        size_t len = (size_t)(end - s);
        if (len > VFS_NAME_MAX)
            return -LINUX_ENAMETOOLONG;
        const char *comp = s;
        int type = component_type(comp, len);
        bool slash = *end == '/';
        s = end;
        while (*s == '/')
            s++;
        if (!*s) {
            /* The last component goes straight to nd->last. */
            memcpy(nd->last, comp, len);
            nd->last[len] = '\0';
            nd->last_type = type;
            nd->trailing_slash = slash;
            if (type != WALK_LAST_NORM)
                nd->last[0] = '\0';
            return 0;
        }
        char name[VFS_NAME_MAX + 1];
        memcpy(name, comp, len);
        name[len] = '\0';
        err = nd_step(nd, name, type);
        if (err)
            return err;
        if (!mode_is(path_mode(&nd->cur), LINUX_S_IFDIR))
            return -LINUX_ENOTDIR;
    }
    return 0;
}

int nd_walk_last(struct nameidata *nd, bool follow, bool must_dir, bool allow_negative)
{
    for (;;) {
        must_dir = must_dir || nd->trailing_slash;
        if (nd->last_type == WALK_LAST_DOTDOT) {
            int err = nd_dotdot(nd);
            if (err)
                return err;
        } else if (nd->last_type == WALK_LAST_NORM) {
            struct path child;
            int err = nd_lookup(nd, nd->last, &child);
            if (err)
                return err;
            if (!child.dentry->inode) {
                if (!allow_negative) {
                    path_put(&child);
                    return -LINUX_ENOENT;
                }
                nd_move_to(nd, &child);
                return 0;
            }
            if (mode_is(path_mode(&child), LINUX_S_IFLNK) && (follow || nd->trailing_slash)) {
                int r = nd_follow_link(nd, &child);
                path_put(&child);
                if (r < 0)
                    return r;
                if (r == 0)
                    continue; /* the body's last component */
            } else {
                nd_move_to(nd, &child);
            }
        }
        break;
    }
    if (must_dir && !mode_is(path_mode(&nd->cur), LINUX_S_IFDIR))
        return -LINUX_ENOTDIR;
    return 0;
}

int vfs_walk(struct task *t, int dirfd, const char *path, unsigned flags, struct path *out)
{
    struct nameidata nd;
    int err = nd_start(&nd, t, NULL, dirfd, path, flags);
    if (!err)
        err = nd_walk_prefix(&nd, path);
    if (!err)
        err = nd_walk_last(&nd, flags & WALK_FOLLOW, flags & WALK_DIRECTORY,
                           flags & WALK_ALLOW_NEGATIVE);
    if (!err) {
        *out = nd.cur;
        nd.cur.mnt = NULL;
        nd.cur.dentry = NULL;
    }
    nd_done(&nd);
    return err;
}

int vfs_walk_parent(struct task *t, int dirfd, const char *path, unsigned flags,
                    struct path *out_parent, char *out_last, int *out_last_type,
                    bool *out_trailing_slash)
{
    struct nameidata nd;
    int err = nd_start(&nd, t, NULL, dirfd, path, flags & ~WALK_EMPTY_PATH);
    if (!err)
        err = nd_walk_prefix(&nd, path);
    if (!err) {
        *out_parent = nd.cur;
        nd.cur.mnt = NULL;
        nd.cur.dentry = NULL;
        memcpy(out_last, nd.last, sizeof(nd.last));
        *out_last_type = nd.last_type;
        *out_trailing_slash = nd.trailing_slash;
    }
    nd_done(&nd);
    return err;
}

int vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t size)
{
    if (size == 0)
        return -LINUX_ENAMETOOLONG;
    /* Built backwards from the end of buf. */
    size_t pos = size - 1;
    buf[pos] = '\0';
    struct mount *mnt = p->mnt;
    struct dentry *d = p->dentry;
    bool any = false;
    for (;;) {
        if (mnt == root->mnt && d == root->dentry)
            break;
        if (d == mnt->root) {
            if (mnt->parent == mnt)
                break; /* outside root: shown from the top */
            d = mnt->mountpoint;
            mnt = mnt->parent;
            continue;
        }
        size_t len = strlen(d->name);
        if (pos < len + 1)
            return -LINUX_ENAMETOOLONG;
        pos -= len;
        memcpy(buf + pos, d->name, len);
        buf[--pos] = '/';
        any = true;
        d = d->parent;
    }
    if (!any) {
        if (pos < 1)
            return -LINUX_ENAMETOOLONG;
        buf[--pos] = '/';
    }
    memmove(buf, buf + pos, size - pos);
    return 0;
}
