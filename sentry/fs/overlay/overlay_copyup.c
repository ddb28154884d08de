/* overlay copy-up: giving an object of the lower layer a copy in the upper
 * one before anything changes it (Linux's fs/overlayfs/copy_up.c).
 *
 * ovl_copy_up copies the parent chain first (each directory made with the
 * lower one's mode, owner and times), then the object: a directory, a
 * symlink, a special file, or a regular file as metadata only (sized, but
 * sparse: its data stays in the lower file, kept in the superblock's
 * metadata table). ovl_copy_up_data copies that data when the file is
 * opened for writing or truncated to a non-zero size. A lower object that
 * lost its name while still in use is copied up under a temporary name in
 * the upper root, which is then removed.
 *
 * Lock order: the kernel lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/overlay/overlay_impl.h"

#define COPY_CHUNK (64 * 1024)

/* Files opened for the overlay's own use and to stand behind overlay
 * files whose layer inode has no file ops (never read or written). */
static const struct file_ops no_fops;

int ovl_open_real(struct inode *real, int flags, struct file **out_file)
{
    struct path none = {0};
    struct file *f = file_new_path(real->default_fops ? real->default_fops : &no_fops,
                                   flags | LINUX_O_LARGEFILE, &none, real);
    if (!f)
        return -LINUX_ENOMEM;
    int err = real->ops->open ? real->ops->open(real, f) : 0;
    if (err) {
        file_put(f);
        return err;
    }
    *out_file = f;
    return 0;
}

bool ovl_metacopy(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    return oi->upper && oi->lower && !ovl_is_dir(ino);
}

void ovl_metacopy_clear(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    if (!ovl_metacopy(ino))
        return;
    struct ovl_meta *m = ovl_meta_find(ovl_sbi(ino->sb), oi->upper);
    if (m && m->lower) {
        inode_put(m->lower);
        m->lower = NULL;
    }
    inode_put(oi->lower);
    oi->lower = NULL;
}

/* Gives upper the lower object's owner, times and (with mode) mode. */
static int copy_attrs(struct inode *upper, const struct vfs_attr *la, bool mode)
{
    struct vfs_setattr sa = {
        .valid =
            VFS_SET_UID | VFS_SET_GID | VFS_SET_ATIME | VFS_SET_MTIME | (mode ? VFS_SET_MODE : 0),
        .mode = la->mode & 07777,
        .uid = la->uid,
        .gid = la->gid,
        .atime = la->atime,
        .mtime = la->mtime,
    };
    return upper->ops->setattr ? upper->ops->setattr(upper, &sa) : 0;
}

/* Makes the upper object for lower object l called name in upper dir pu. */
static int make_upper(struct inode *pu, const char *name, struct inode *l,
                      const struct vfs_attr *la, struct inode **out)
{
    const struct cred *cred = &ovl_root_cred;
    uint32_t mode = la->mode;
    switch (mode & LINUX_S_IFMT) {
    case LINUX_S_IFDIR:
        return pu->ops->mkdir(pu, name, mode, cred, out);
    case LINUX_S_IFREG:
        return pu->ops->create(pu, name, mode, cred, out);
    case LINUX_S_IFLNK: {
        char *target = malloc(VFS_PATH_MAX);
        if (!target)
            return -LINUX_ENOMEM;
        long n = l->ops->readlink ? l->ops->readlink(l, target, VFS_PATH_MAX - 1) : -LINUX_EINVAL;
        int err = n < 0 ? (int)n : n >= VFS_PATH_MAX ? -LINUX_ENAMETOOLONG : 0;
        if (!err) {
            target[n] = '\0';
            err = pu->ops->symlink(pu, name, target, cred, out);
        }
        free(target);
        return err;
    }
    default:
        return pu->ops->mknod(pu, name, mode, la->rdev, cred, out);
    }
}

int ovl_copy_up(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    if (oi->upper)
        return 0;
    if (!oi->parent)
        return -LINUX_EIO; /* the root always has an upper copy */
    bool orphan = !oi->in_parent;
    char tmpname[48];
    const char *name = oi->name;
    struct inode *pu, *l = oi->lower, *u;
    int err = 0;
    if (orphan) {
        static unsigned long orphans;
        pu = ovl_of(ino->sb->root->inode)->upper;
        snprintf(tmpname, sizeof(tmpname), ".moat-ovl-orphan-%lu", ++orphans);
        name = tmpname;
    } else {
        err = ovl_copy_up(oi->parent);
        if (err)
            return err;
        pu = ovl_of(oi->parent)->upper;
    }
    struct vfs_attr la;
    err = vfs_getattr(l, &la);
    if (err)
        return err;
    err = make_upper(pu, name, l, &la, &u);
    if (err)
        return err;
    bool regular = (la.mode & LINUX_S_IFMT) == LINUX_S_IFREG;
    if (regular && la.size > 0) {
        struct vfs_setattr sa = {.valid = VFS_SET_SIZE, .size = la.size};
        err = u->ops->setattr(u, &sa);
    }
    if (!err)
        err = copy_attrs(u, &la, (la.mode & LINUX_S_IFMT) != LINUX_S_IFLNK);
    struct ovl_meta *m = err ? NULL : ovl_meta_get(ovl_sbi(ino->sb), u, ino->attr.ino);
    if (!err && !m)
        err = -LINUX_ENOMEM;
    if (!err && regular && la.size > 0) {
        m->lower = l; /* metacopy */
        inode_get(l);
    }
    if (err || orphan) {
        int uerr = ovl_is_dir(u) ? pu->ops->rmdir(pu, name, u) : pu->ops->unlink(pu, name, u);
        if (err) {
            if (m)
                ovl_meta_drop(ovl_sbi(ino->sb), u);
            inode_put(u);
            return err;
        }
        (void)uerr;
    }
    oi->upper = u;
    if (!ovl_is_dir(ino) && !(m && m->lower)) {
        inode_put(oi->lower);
        oi->lower = NULL;
    }
    ovl_refresh_attr(ino);
    return 0;
}

static bool all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i])
            return false;
    }
    return true;
}

int ovl_copy_up_data(struct inode *ino)
{
    int err = ovl_copy_up(ino);
    if (err || !ovl_metacopy(ino))
        return err;
    struct ovl_inode *oi = ovl_of(ino);
    struct vfs_attr la;
    err = vfs_getattr(oi->lower, &la);
    if (err)
        return err;
    struct file *lf = NULL, *uf = NULL;
    char *buf = malloc(COPY_CHUNK);
    err = buf ? ovl_open_real(oi->lower, LINUX_O_RDONLY, &lf) : -LINUX_ENOMEM;
    if (!err)
        err = ovl_open_real(oi->upper, LINUX_O_WRONLY, &uf);
    int64_t off = 0;
    while (!err) {
        struct iovec iov = {buf, COPY_CHUNK};
        long n = file_pread(lf, &iov, 1, off);
        if (n <= 0) {
            err = (int)n;
            break;
        }
        /* The upper file is sparse already: zeros need no pages. */
        if (!all_zero(buf, (size_t)n)) {
            iov.iov_len = (size_t)n;
            long w = file_pwrite(uf, &iov, 1, off);
            if (w != n)
                err = w < 0 ? (int)w : -LINUX_EIO;
        }
        off += n;
    }
    if (lf)
        file_put(lf);
    if (uf)
        file_put(uf);
    free(buf);
    if (err)
        return err;
    err = copy_attrs(oi->upper, &la, false); /* the writes moved mtime */
    ovl_metacopy_clear(ino);
    ovl_refresh_attr(ino);
    return err;
}
