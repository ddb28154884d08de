/* overlay: superblocks, overlay inodes, the merged lookup and attributes
 * (see overlay.h and overlay_impl.h).
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "lib/panic.h"
#include "sentry/fs/overlay/overlay_impl.h"

const struct cred ovl_root_cred;

static const struct inode_ops ovl_dir_iops, ovl_file_iops, ovl_other_iops;
static const struct fs_type ovl_type;

/* --- the metadata table (open addressing, linear probing) --- */

static size_t meta_home(const struct ovl_sb *s, const struct inode *upper)
{
    uint64_t h = (uint64_t)(uintptr_t)upper * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (s->meta_cap - 1);
}

static size_t meta_slot(const struct ovl_sb *s, const struct inode *upper)
{
    size_t i = meta_home(s, upper);
    while (s->meta[i].upper && s->meta[i].upper != upper)
        i = (i + 1) & (s->meta_cap - 1);
    return i;
}

struct ovl_meta *ovl_meta_find(struct ovl_sb *s, struct inode *upper)
{
    if (!s->nmeta || !upper)
        return NULL;
    struct ovl_meta *m = &s->meta[meta_slot(s, upper)];
    return m->upper ? m : NULL;
}

struct ovl_meta *ovl_meta_get(struct ovl_sb *s, struct inode *upper, uint64_t ino)
{
    struct ovl_meta *m = ovl_meta_find(s, upper);
    if (m)
        return m;
    if ((s->nmeta + 1) * 2 > s->meta_cap) {
        size_t cap = s->meta_cap ? s->meta_cap * 2 : 64;
        struct ovl_meta *n = calloc(cap, sizeof(*n));
        if (!n)
            return NULL;
        struct ovl_sb tmp = {.meta = n, .meta_cap = cap};
        for (size_t i = 0; i < s->meta_cap; i++) {
            if (s->meta[i].upper)
                n[meta_slot(&tmp, s->meta[i].upper)] = s->meta[i];
        }
        free(s->meta);
        s->meta = n;
        s->meta_cap = cap;
    }
    m = &s->meta[meta_slot(s, upper)];
    *m = (struct ovl_meta){.upper = upper, .ino = ino};
    inode_get(upper);
    s->nmeta++;
    return m;
}

void ovl_meta_drop(struct ovl_sb *s, struct inode *upper)
{
    struct ovl_meta *m = ovl_meta_find(s, upper);
    if (!m)
        return;
    struct ovl_meta gone = *m;
    size_t mask = s->meta_cap - 1, i = (size_t)(m - s->meta);
    m->upper = NULL;
    s->nmeta--;
    /* Shift the rest of the run back over the hole. */
    for (size_t j = (i + 1) & mask; s->meta[j].upper; j = (j + 1) & mask) {
        size_t home = meta_home(s, s->meta[j].upper);
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            s->meta[i] = s->meta[j];
            s->meta[j].upper = NULL;
            i = j;
        }
    }
    if (gone.lower)
        inode_put(gone.lower);
    inode_put(gone.upper);
}

/* --- live children --- */

static size_t name_hash(const char *name)
{
    size_t h = 5381;
    for (; *name; name++)
        h = h * 33 + (unsigned char)*name;
    return h;
}

struct ovl_inode *ovl_child_find(struct ovl_inode *dir, const char *name)
{
    if (!dir->nbuckets)
        return NULL;
    for (struct ovl_inode *c = dir->buckets[name_hash(name) & (dir->nbuckets - 1)]; c;
         c = c->hnext) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static int child_add(struct ovl_inode *dir, struct ovl_inode *child)
{
    if (dir->nchildren + 1 > dir->nbuckets) {
        size_t n = dir->nbuckets ? dir->nbuckets * 2 : 8;
        struct ovl_inode **b = calloc(n, sizeof(*b));
        if (!b)
            return -LINUX_ENOMEM;
        for (size_t i = 0; i < dir->nbuckets; i++) {
            for (struct ovl_inode *c = dir->buckets[i], *next; c; c = next) {
                next = c->hnext;
                size_t k = name_hash(c->name) & (n - 1);
                c->hnext = b[k];
                b[k] = c;
            }
        }
        free(dir->buckets);
        dir->buckets = b;
        dir->nbuckets = n;
    }
    size_t k = name_hash(child->name) & (dir->nbuckets - 1);
    child->hnext = dir->buckets[k];
    dir->buckets[k] = child;
    child->in_parent = true;
    dir->nchildren++;
    return 0;
}

void ovl_child_remove(struct ovl_inode *dir, struct ovl_inode *child)
{
    if (!child->in_parent)
        return;
    struct ovl_inode **p = &dir->buckets[name_hash(child->name) & (dir->nbuckets - 1)];
    for (; *p; p = &(*p)->hnext) {
        if (*p == child) {
            *p = child->hnext;
            dir->nchildren--;
            break;
        }
    }
    child->hnext = NULL;
    child->in_parent = false;
}

int ovl_child_move(struct ovl_inode *child, struct inode *new_dir, const char *new_name)
{
    char *name = strdup(new_name);
    if (!name)
        return -LINUX_ENOMEM;
    if (child->parent)
        ovl_child_remove(ovl_of(child->parent), child);
    struct inode *old_parent = child->parent;
    inode_get(new_dir);
    child->parent = new_dir;
    free(child->name);
    child->name = name;
    /* Out of the table if this fails: later lookups make a new inode. */
    child_add(ovl_of(new_dir), child);
    if (old_parent)
        inode_put(old_parent);
    return 0;
}

/* --- overlay inodes --- */

void ovl_refresh_attr(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    struct inode *real = ovl_real(ino);
    uint64_t number = ino->attr.ino;
    struct vfs_attr a;
    if (vfs_getattr(real, &a) != 0)
        return;
    a.ino = number;
    if (oi->upper && oi->lower) {
        if (ovl_is_dir(ino))
            a.nlink = 1; /* merged: Linux's overlayfs does not count */
        else
            a.blocks = oi->lower->attr.blocks; /* metacopy */
    }
    ino->attr = a;
}

int ovl_inode_make(struct inode *dir, const char *name, struct inode *upper, struct inode *lower,
                   struct inode **out_inode)
{
    struct superblock *sb = dir->sb;
    struct ovl_sb *s = ovl_sbi(sb);
    struct ovl_meta *m = ovl_meta_find(s, upper);
    uint64_t number;
    if (upper) {
        bool drop_lower = !ovl_is_dir(upper) || !lower || !ovl_is_dir(lower) || (m && m->opaque);
        if (drop_lower && lower) {
            inode_put(lower);
            lower = NULL;
        }
        if (!ovl_is_dir(upper) && m && m->lower) {
            lower = m->lower; /* metacopy: the data is still there */
            inode_get(lower);
        }
        number = m ? m->ino : lower ? lower->attr.ino : upper->attr.ino | OVL_UPPER_INO_BIT;
    } else {
        number = lower->attr.ino;
    }
    struct inode *real = upper ? upper : lower;
    uint32_t type = real->attr.mode & LINUX_S_IFMT;
    const struct inode_ops *ops = type == LINUX_S_IFDIR   ? &ovl_dir_iops
                                  : type == LINUX_S_IFREG ? &ovl_file_iops
                                                          : &ovl_other_iops;
    struct ovl_inode *oi = calloc(1, sizeof(*oi));
    char *copy = oi ? strdup(name) : NULL;
    struct inode *ino = copy ? inode_new(sb, ops, real->attr.mode) : NULL;
    if (!ino) {
        free(copy);
        free(oi);
        if (upper)
            inode_put(upper);
        if (lower)
            inode_put(lower);
        return -LINUX_ENOMEM;
    }
    oi->name = copy;
    oi->ino = ino;
    oi->upper = upper;
    oi->lower = lower;
    ino->priv = oi;
    ino->attr.ino = number;
    if (type == LINUX_S_IFDIR)
        ino->default_fops = &ovl_dir_fops;
    else if (type == LINUX_S_IFREG)
        ino->default_fops = &ovl_file_fops;
    ovl_refresh_attr(ino);
    oi->parent = dir;
    inode_get(dir);
    child_add(ovl_of(dir), oi); /* best effort: see ovl_child_move */
    *out_inode = ino;
    return 0;
}

int ovl_lookup_child(struct inode *dir, const char *name, struct inode **out_inode)
{
    struct ovl_inode *di = ovl_of(dir);
    struct ovl_inode *c = ovl_child_find(di, name);
    if (c) {
        inode_get(c->ino);
        *out_inode = c->ino;
        return 0;
    }
    struct inode *u = NULL, *l = NULL;
    bool hidden = false;
    if (di->upper && di->upper->ops->lookup) {
        int err = di->upper->ops->lookup(di->upper, name, &u);
        if (err && err != -LINUX_ENOENT)
            return err;
        if (err)
            u = NULL;
        if (u && ovl_is_whiteout(u)) {
            inode_put(u);
            u = NULL;
            hidden = true;
        }
    }
    bool want_lower = !hidden && di->lower && (!u || ovl_is_dir(u));
    if (want_lower && u) {
        struct ovl_meta *m = ovl_meta_find(ovl_sbi(dir->sb), u);
        want_lower = !(m && m->opaque);
    }
    if (want_lower && di->lower->ops->lookup) {
        int err = di->lower->ops->lookup(di->lower, name, &l);
        if (err && err != -LINUX_ENOENT) {
            if (u)
                inode_put(u);
            return err;
        }
        if (err)
            l = NULL;
    }
    if (!u && !l) {
        *out_inode = NULL;
        return 0;
    }
    return ovl_inode_make(dir, name, u, l, out_inode);
}

int ovl_lower_has(struct inode *dir, const char *name, bool *out_has)
{
    struct ovl_inode *di = ovl_of(dir);
    *out_has = false;
    if (!di->lower || !di->lower->ops->lookup)
        return 0;
    struct inode *l = NULL;
    int err = di->lower->ops->lookup(di->lower, name, &l);
    if (err == -LINUX_ENOENT)
        return 0;
    if (err)
        return err;
    if (l) {
        *out_has = true;
        inode_put(l);
    }
    return 0;
}

/* --- inode ops --- */

static int ovl_lookup(struct inode *dir, const char *name, struct inode **out_inode)
{
    return ovl_lookup_child(dir, name, out_inode);
}

static int ovl_getattr(struct inode *ino)
{
    ovl_refresh_attr(ino);
    return 0;
}

static int ovl_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    int err;
    if ((sa->valid & VFS_SET_SIZE) && ovl_metacopy(ino) && sa->size != 0)
        err = ovl_copy_up_data(ino);
    else
        err = ovl_copy_up(ino);
    if (err)
        return err;
    struct inode *upper = ovl_of(ino)->upper;
    if ((sa->valid & VFS_SET_SIZE) && sa->size == 0)
        ovl_metacopy_clear(ino);
    if (!upper->ops->setattr)
        return -LINUX_EPERM;
    err = upper->ops->setattr(upper, sa);
    ovl_refresh_attr(ino);
    return err;
}

static long ovl_readlink(struct inode *ino, char *buf, size_t size)
{
    struct inode *real = ovl_real(ino);
    if (!real->ops->readlink)
        return -LINUX_EINVAL;
    return real->ops->readlink(real, buf, size);
}

static int ovl_statfs(struct superblock *sb, struct linux_statfs *out)
{
    struct superblock *upper = ovl_sbi(sb)->upper_sb;
    struct inode *root = upper->root->inode;
    int err = root->ops->statfs ? root->ops->statfs(upper, out) : 0;
    out->f_type = LINUX_OVERLAYFS_SUPER_MAGIC;
    return err;
}

static void ovl_evict(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    if (!oi)
        return;
    SENTRY_ASSERT(oi->nchildren == 0);
    if (oi->parent) {
        ovl_child_remove(ovl_of(oi->parent), oi);
        inode_put(oi->parent);
    }
    if (oi->upper)
        inode_put(oi->upper);
    if (oi->lower)
        inode_put(oi->lower);
    free(oi->buckets);
    free(oi->name);
    free(oi);
}

static const struct inode_ops ovl_dir_iops = {
    .lookup = ovl_lookup,
    .create = ovl_create,
    .mkdir = ovl_mkdir,
    .mknod = ovl_mknod,
    .symlink = ovl_symlink,
    .link = ovl_link,
    .unlink = ovl_unlink,
    .rmdir = ovl_rmdir,
    .rename = ovl_rename,
    .getattr = ovl_getattr,
    .setattr = ovl_setattr,
    .statfs = ovl_statfs,
    .evict = ovl_evict,
};

static const struct inode_ops ovl_file_iops = {
    .getattr = ovl_getattr,
    .setattr = ovl_setattr,
    .open = ovl_open,
    .evict = ovl_evict,
};

/* Symlinks, FIFOs, sockets, devices: opened by the VFS's special openers on
 * the overlay inode itself. */
static const struct inode_ops ovl_other_iops = {
    .readlink = ovl_readlink,
    .getattr = ovl_getattr,
    .setattr = ovl_setattr,
    .evict = ovl_evict,
};

/* --- superblocks --- */

int overlay_new_sb(struct superblock *lower, struct superblock *upper, struct superblock **out_sb)
{
    struct ovl_sb *s = calloc(1, sizeof(*s));
    if (!s)
        return -LINUX_ENOMEM;
    s->lower_sb = lower;
    s->upper_sb = upper;
    sb_get(lower);
    sb_get(upper);
    struct inode *lroot = lower->root->inode, *uroot = upper->root->inode;
    /* The upper root stands for the lower one. */
    struct vfs_attr la;
    int err = vfs_getattr(lroot, &la);
    if (!err && uroot->ops->setattr) {
        struct vfs_setattr sa = {
            .valid = VFS_SET_MODE | VFS_SET_UID | VFS_SET_GID | VFS_SET_ATIME | VFS_SET_MTIME,
            .mode = la.mode & 07777,
            .uid = la.uid,
            .gid = la.gid,
            .atime = la.atime,
            .mtime = la.mtime,
        };
        err = uroot->ops->setattr(uroot, &sa);
    }
    struct superblock tmp = {.priv = s};
    struct inode *root = NULL;
    if (!err) {
        struct ovl_meta *m = ovl_meta_get(s, uroot, la.ino);
        if (!m)
            err = -LINUX_ENOMEM;
    }
    if (!err) {
        /* ovl_inode_make wants a parent: make the root by hand. */
        struct ovl_inode *oi = calloc(1, sizeof(*oi));
        root = oi ? inode_new(&tmp, &ovl_dir_iops, LINUX_S_IFDIR | (la.mode & 07777)) : NULL;
        if (!root) {
            free(oi);
            err = -LINUX_ENOMEM;
        } else {
            oi->ino = root;
            oi->upper = uroot;
            oi->lower = lroot;
            inode_get(uroot);
            inode_get(lroot);
            root->priv = oi;
            root->default_fops = &ovl_dir_fops;
            root->attr.ino = la.ino;
            ovl_refresh_attr(root);
        }
    }
    struct superblock *sb = err ? NULL : sb_new(&ovl_type, root);
    if (!sb) {
        if (root)
            inode_put(root);
        for (size_t i = 0; i < s->meta_cap; i++) {
            if (s->meta[i].upper)
                inode_put(s->meta[i].upper);
        }
        free(s->meta);
        free(s);
        sb_put(lower);
        sb_put(upper);
        return err ? err : -LINUX_ENOMEM;
    }
    root->sb = sb;
    sb->priv = s;
    *out_sb = sb;
    return 0;
}

static void ovl_kill_sb(struct superblock *sb)
{
    struct ovl_sb *s = ovl_sbi(sb);
    for (size_t i = 0; i < s->meta_cap; i++) {
        if (!s->meta[i].upper)
            continue;
        if (s->meta[i].lower)
            inode_put(s->meta[i].lower);
        inode_put(s->meta[i].upper);
    }
    free(s->meta);
    sb_put(s->upper_sb);
    sb_put(s->lower_sb);
    free(s);
    sb->priv = NULL;
}

static const struct fs_type ovl_type = {
    .name = "overlay",
    .nodev = true,
    .kill_sb = ovl_kill_sb,
};
