/* tmpfs: superblocks, inodes and the directory-changing inode ops.
 *
 * Link counts as Linux's: a directory has 2 + its subdirectories, a file
 * one per name. An inode lives while a name or an open file refers to it;
 * its data goes with the last reference (inode_ops.evict).
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "sentry/fs/tmpfs/tmpfs_impl.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/object.h"

static const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_other_iops;

static struct tmpfs_sb *sbi(struct superblock *sb)
{
    return sb->priv;
}

static bool is_dir(const struct inode *ino)
{
    return (ino->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

static void touch_dir(struct inode *dir)
{
    dir->attr.mtime = dir->attr.ctime = vfs_now();
}

/* A new inode of type mode (with permission bits), owned per cred and dir. */
static int tmpfs_new_inode(struct superblock *sb, struct inode *dir, uint32_t mode,
                           const struct cred *cred, struct inode **out)
{
    struct tmpfs_sb *s = sbi(sb);
    if (s->inodes >= s->max_inodes)
        return -LINUX_ENOSPC;
    uint32_t type = mode & LINUX_S_IFMT;
    const struct inode_ops *ops = type == LINUX_S_IFDIR   ? &tmpfs_dir_iops
                                  : type == LINUX_S_IFREG ? &tmpfs_file_iops
                                                          : &tmpfs_other_iops;
    struct inode *ino = inode_new(sb, ops, mode);
    if (!ino)
        return -LINUX_ENOSPC;
    if (cred)
        vfs_init_owner(ino, dir, mode, cred);
    if (type == LINUX_S_IFDIR) {
        ino->priv = tmpfs_dir_new();
        ino->default_fops = &tmpfs_dir_fops;
        ino->attr.nlink = 2;
        ino->attr.size = 2 * TMPFS_DIRENT_SIZE;
        if (!ino->priv) {
            inode_put(ino);
            return -LINUX_ENOSPC;
        }
    } else if (type == LINUX_S_IFREG) {
        ino->pages = mm_object_new(0, NULL, NULL);
        ino->default_fops = &tmpfs_file_fops;
        if (!ino->pages) {
            inode_put(ino);
            return -LINUX_ENOSPC;
        }
    }
    s->inodes++;
    *out = ino;
    return 0;
}

/* Adds ino under name in dir (taking a reference) and updates dir. */
static int link_into(struct inode *dir, const char *name, struct inode *ino)
{
    int err = tmpfs_dir_add(tmpfs_dir_of(dir), name, ino);
    if (err)
        return err;
    dir->attr.size += TMPFS_DIRENT_SIZE;
    if (is_dir(ino))
        dir->attr.nlink++;
    touch_dir(dir);
    return 0;
}

static int tmpfs_lookup(struct inode *dir, const char *name, struct inode **out_inode)
{
    struct tmpfs_dirent *e = tmpfs_dir_find(tmpfs_dir_of(dir), name);
    if (e)
        inode_get(e->ino);
    *out_inode = e ? e->ino : NULL;
    return 0;
}

static int make_node(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
                     struct inode **out_inode)
{
    struct inode *ino;
    int err = tmpfs_new_inode(dir->sb, dir, mode, cred, &ino);
    if (err)
        return err;
    err = link_into(dir, name, ino);
    if (err) {
        inode_put(ino);
        return err;
    }
    *out_inode = ino;
    return 0;
}

static int tmpfs_create(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
                        struct inode **out_inode)
{
    return make_node(dir, name, mode, cred, out_inode);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
                       struct inode **out_inode)
{
    return make_node(dir, name, mode, cred, out_inode);
}

static int tmpfs_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                       const struct cred *cred, struct inode **out_inode)
{
    int err = make_node(dir, name, mode, cred, out_inode);
    if (!err)
        (*out_inode)->attr.rdev = rdev;
    return err;
}

static int tmpfs_symlink(struct inode *dir, const char *name, const char *target,
                         const struct cred *cred, struct inode **out_inode)
{
    char *copy = strdup(target);
    if (!copy)
        return -LINUX_ENOSPC;
    struct inode *ino;
    int err = tmpfs_new_inode(dir->sb, dir, LINUX_S_IFLNK | 0777, cred, &ino);
    if (err) {
        free(copy);
        return err;
    }
    ino->priv = copy;
    ino->attr.size = strlen(copy);
    err = link_into(dir, name, ino);
    if (err) {
        inode_put(ino);
        return err;
    }
    *out_inode = ino;
    return 0;
}

static int tmpfs_link(struct inode *dir, const char *name, struct inode *target)
{
    int err = link_into(dir, name, target);
    if (err)
        return err;
    target->attr.nlink++;
    target->attr.ctime = vfs_now();
    return 0;
}

/* Takes name out of dir; the victim loses a link. */
static void unlink_from(struct inode *dir, const char *name, struct inode *victim)
{
    struct inode *ino = tmpfs_dir_remove(tmpfs_dir_of(dir), name);
    dir->attr.size -= TMPFS_DIRENT_SIZE;
    if (is_dir(victim)) {
        dir->attr.nlink--;
        victim->attr.nlink = 0;
    } else {
        victim->attr.nlink--;
    }
    victim->attr.ctime = vfs_now();
    touch_dir(dir);
    if (ino)
        inode_put(ino);
}

static int tmpfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    unlink_from(dir, name, victim);
    return 0;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
    if (tmpfs_dir_of(victim)->count > 0)
        return -LINUX_ENOTEMPTY;
    unlink_from(dir, name, victim);
    return 0;
}

static int tmpfs_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir,
                        const char *new_name, unsigned flags)
{
    struct tmpfs_dirent *oe = tmpfs_dir_find(tmpfs_dir_of(old_dir), old_name);
    struct tmpfs_dirent *ne = tmpfs_dir_find(tmpfs_dir_of(new_dir), new_name);
    if (!oe)
        return -LINUX_ENOENT;
    struct inode *moved = oe->ino;
    struct linux_timespec now = vfs_now();
    if (flags & LINUX_RENAME_EXCHANGE) {
        if (!ne)
            return -LINUX_ENOENT;
        struct inode *other = ne->ino;
        oe->ino = other;
        ne->ino = moved;
        if (old_dir != new_dir && is_dir(moved) != is_dir(other)) {
            if (is_dir(moved)) {
                old_dir->attr.nlink--;
                new_dir->attr.nlink++;
            } else {
                old_dir->attr.nlink++;
                new_dir->attr.nlink--;
            }
        }
        moved->attr.ctime = other->attr.ctime = now;
        touch_dir(old_dir);
        touch_dir(new_dir);
        return 0;
    }
    if (ne) {
        if (is_dir(ne->ino) && tmpfs_dir_of(ne->ino)->count > 0)
            return -LINUX_ENOTEMPTY;
    }
    struct inode *whiteout = NULL;
    if (flags & LINUX_RENAME_WHITEOUT) {
        int err = tmpfs_new_inode(old_dir->sb, old_dir, LINUX_S_IFCHR, NULL, &whiteout);
        if (err)
            return err;
        whiteout->attr.uid = moved->attr.uid;
        whiteout->attr.gid = moved->attr.gid;
    }
    if (ne)
        unlink_from(new_dir, new_name, ne->ino);
    /* Add the new name first: if that fails, nothing moved. */
    int err = link_into(new_dir, new_name, moved);
    if (err) {
        if (whiteout)
            inode_put(whiteout);
        return err;
    }
    struct inode *old = tmpfs_dir_remove(tmpfs_dir_of(old_dir), old_name);
    old_dir->attr.size -= TMPFS_DIRENT_SIZE;
    if (is_dir(moved))
        old_dir->attr.nlink--;
    touch_dir(old_dir);
    if (old)
        inode_put(old);
    if (whiteout) {
        err = link_into(old_dir, old_name, whiteout);
        inode_put(whiteout);
    }
    moved->attr.ctime = now;
    return err;
}

static long tmpfs_readlink(struct inode *ino, char *buf, size_t size)
{
    const char *target = ino->priv;
    size_t len = strlen(target);
    memcpy(buf, target, len < size ? len : size);
    return (long)len;
}

static int tmpfs_getattr(struct inode *ino)
{
    uint32_t type = ino->attr.mode & LINUX_S_IFMT;
    if (type == LINUX_S_IFREG)
        ino->attr.blocks = tmpfs_file_pages(ino) * (LINUX_PAGE_SIZE / 512);
    else
        ino->attr.blocks = 0;
    return 0;
}

static int tmpfs_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    struct linux_timespec now = vfs_now();
    if (sa->valid & VFS_SET_SIZE) {
        if ((ino->attr.mode & LINUX_S_IFMT) != LINUX_S_IFREG)
            return -LINUX_EINVAL;
        if (sa->size != ino->attr.size) {
            int err = tmpfs_file_resize(ino, sa->size);
            if (err)
                return err;
        }
        ino->attr.mtime = ino->attr.ctime = now;
    }
    if (sa->valid & VFS_SET_MODE)
        ino->attr.mode = (ino->attr.mode & LINUX_S_IFMT) | (sa->mode & 07777);
    if (sa->valid & VFS_SET_UID)
        ino->attr.uid = sa->uid;
    if (sa->valid & VFS_SET_GID)
        ino->attr.gid = sa->gid;
    if (sa->valid & VFS_SET_ATIME)
        ino->attr.atime = sa->atime;
    if (sa->valid & VFS_SET_MTIME)
        ino->attr.mtime = sa->mtime;
    if (sa->valid & VFS_SET_CTIME)
        ino->attr.ctime = now;
    return 0;
}

static int tmpfs_statfs(struct superblock *sb, struct linux_statfs *out)
{
    struct tmpfs_sb *s = sbi(sb);
    uint64_t used = 0; /* pages: not tracked per sb yet, reported as free */
    out->f_type = LINUX_TMPFS_MAGIC;
    out->f_bsize = LINUX_PAGE_SIZE;
    out->f_blocks = s->max_blocks;
    out->f_bfree = out->f_bavail = s->max_blocks - used;
    out->f_files = s->max_inodes;
    out->f_ffree = s->max_inodes - s->inodes;
    out->f_namelen = VFS_NAME_MAX;
    out->f_frsize = LINUX_PAGE_SIZE;
    return 0;
}

static void tmpfs_evict(struct inode *ino)
{
    uint32_t type = ino->attr.mode & LINUX_S_IFMT;
    if (type == LINUX_S_IFDIR)
        tmpfs_dir_free(ino->priv);
    else if (type == LINUX_S_IFLNK)
        free(ino->priv);
    if (ino->pages)
        mm_object_put(ino->pages);
    if (ino->sb && ino->sb->priv)
        sbi(ino->sb)->inodes--;
}

static const struct inode_ops tmpfs_dir_iops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .getattr = tmpfs_getattr,
    .setattr = tmpfs_setattr,
    .statfs = tmpfs_statfs,
    .evict = tmpfs_evict,
};

static const struct inode_ops tmpfs_file_iops = {
    .getattr = tmpfs_getattr,
    .setattr = tmpfs_setattr,
    .evict = tmpfs_evict,
};

/* Symlinks, FIFOs, sockets, device nodes. */
static const struct inode_ops tmpfs_other_iops = {
    .readlink = tmpfs_readlink,
    .getattr = tmpfs_getattr,
    .setattr = tmpfs_setattr,
    .evict = tmpfs_evict,
};

/* --- mounting --- */

/* A size with an optional k/m/g suffix, or a percentage of memory. */
static int parse_size(const char *v, uint64_t total, uint64_t *out)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v)
        return -LINUX_EINVAL;
    switch (*end) {
    case 'k':
    case 'K':
        n <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        n <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        n <<= 30;
        end++;
        break;
    case '%':
        n = total / 100 * n;
        end++;
        break;
    default:
        break;
    }
    if (*end)
        return -LINUX_EINVAL;
    *out = n;
    return 0;
}

static int parse_opts(struct tmpfs_sb *s, const char *opts)
{
    if (!opts || !*opts)
        return 0;
    uint64_t mem = s->max_blocks * 2 * LINUX_PAGE_SIZE;
    char *copy = strdup(opts), *save = NULL;
    if (!copy)
        return -LINUX_ENOMEM;
    int err = 0;
    for (char *o = strtok_r(copy, ",", &save); o && !err; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        char *v = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        uint64_t n;
        char *end;
        if (!v && (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0 || strcmp(o, "nosuid") == 0 ||
                   strcmp(o, "nodev") == 0 || strcmp(o, "noexec") == 0 ||
                   strcmp(o, "relatime") == 0 || strcmp(o, "noatime") == 0))
            continue;
        if (!v) {
            err = -LINUX_EINVAL;
        } else if (strcmp(o, "size") == 0) {
            err = parse_size(v, mem, &n);
            s->max_blocks = (n + LINUX_PAGE_SIZE - 1) / LINUX_PAGE_SIZE;
        } else if (strcmp(o, "nr_blocks") == 0) {
            err = parse_size(v, mem / LINUX_PAGE_SIZE, &s->max_blocks);
        } else if (strcmp(o, "nr_inodes") == 0) {
            err = parse_size(v, mem / LINUX_PAGE_SIZE, &s->max_inodes);
        } else if (strcmp(o, "mode") == 0) {
            unsigned long m = strtoul(v, &end, 8);
            err = (*end || end == v) ? -LINUX_EINVAL : 0;
            s->root_mode = (uint32_t)(m & 07777);
        } else if (strcmp(o, "uid") == 0 || strcmp(o, "gid") == 0) {
            unsigned long id = strtoul(v, &end, 10);
            err = (*end || end == v) ? -LINUX_EINVAL : 0;
            if (o[0] == 'u')
                s->root_uid = (uint32_t)id;
            else
                s->root_gid = (uint32_t)id;
        } else if (strcmp(o, "huge") == 0 || strcmp(o, "mpol") == 0 || strcmp(o, "inode64") == 0) {
            continue;
        } else {
            err = -LINUX_EINVAL;
        }
    }
    free(copy);
    return err;
}

int tmpfs_new_sb(const char *opts, struct superblock **out_sb)
{
    struct tmpfs_sb *s = calloc(1, sizeof(*s));
    if (!s)
        return -LINUX_ENOMEM;
    long pages = sysconf(_SC_PHYS_PAGES);
    s->max_blocks = pages > 0 ? (uint64_t)pages / 2 : 262144;
    s->max_inodes = s->max_blocks;
    s->root_mode = 01777;
    int err = parse_opts(s, opts);
    if (err) {
        free(s);
        return err;
    }
    /* The root inode is made before the superblock: count it by hand. */
    struct superblock tmp = {.priv = s};
    struct inode *root;
    err = tmpfs_new_inode(&tmp, NULL, LINUX_S_IFDIR | s->root_mode, NULL, &root);
    if (err) {
        free(s);
        return err;
    }
    root->attr.uid = s->root_uid;
    root->attr.gid = s->root_gid;
    struct superblock *sb = sb_new(&tmpfs_fs_type, root);
    if (!sb) {
        root->sb = NULL;
        inode_put(root);
        free(s);
        return -LINUX_ENOMEM;
    }
    sb->priv = s;
    sb->next_ino = tmp.next_ino;
    root->sb = sb;
    *out_sb = sb;
    return 0;
}

static int tmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                       const char *data, struct superblock **out_sb)
{
    (void)type, (void)source;
    int err = tmpfs_new_sb(data, out_sb);
    if (!err)
        (*out_sb)->flags = flags & LINUX_MS_RDONLY;
    return err;
}

static void tmpfs_kill_sb(struct superblock *sb)
{
    free(sb->priv);
    sb->priv = NULL;
}

const struct fs_type tmpfs_fs_type = {
    .name = "tmpfs",
    .nodev = true,
    .mount = tmpfs_mount,
    .kill_sb = tmpfs_kill_sb,
};

void tmpfs_register(void)
{
    fs_type_register(&tmpfs_fs_type);
}
