/* goferfs: superblocks, inodes, lookups and the directory-changing ops, each
 * one gofer round trip (see goferfs.h and goferfs_impl.h; errors: see
 * goferfs_handles.c).
 *
 * Lock order: the kernel lock; the gofer client's lock is a leaf under it. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "lib/log.h"
#include "sentry/fs/gofer/goferfs_impl.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/object.h"

static const struct inode_ops goferfs_dir_iops, goferfs_file_iops, goferfs_other_iops;
static const struct fs_type goferfs_type;

/* --- inode numbers --- */

static size_t ino_slot(const struct goferfs_sb *s, uint32_t major, uint32_t minor, uint64_t host)
{
    uint64_t h = (host ^ ((uint64_t)major << 40) ^ ((uint64_t)minor << 20)) * 0x9e3779b97f4a7c15ULL;
    size_t mask = s->inos_cap - 1, i = (size_t)(h >> 20) & mask;
    while (s->inos[i].ino &&
           (s->inos[i].host_ino != host || s->inos[i].major != major || s->inos[i].minor != minor))
        i = (i + 1) & mask;
    return i;
}

/* Files on the root's host filesystem keep their host number; others get a
 * number of their own (Linux's overlayfs "xino" idea: high bits say which
 * filesystem), the same for the same host file every time. */
uint64_t goferfs_map_ino(struct goferfs_sb *s, uint32_t major, uint32_t minor, uint64_t host)
{
    if (major == s->root_major && minor == s->root_minor)
        return host;
    if ((s->ninos + 1) * 2 > s->inos_cap) {
        size_t cap = s->inos_cap ? s->inos_cap * 2 : 64;
        struct goferfs_ino_key *n = calloc(cap, sizeof(*n));
        if (!n)
            return host; /* out of memory: a possible collision, no worse */
        struct goferfs_sb tmp = {.inos = n, .inos_cap = cap};
        for (size_t i = 0; i < s->inos_cap; i++) {
            if (s->inos[i].ino)
                n[ino_slot(&tmp, s->inos[i].major, s->inos[i].minor, s->inos[i].host_ino)] =
                    s->inos[i];
        }
        free(s->inos);
        s->inos = n;
        s->inos_cap = cap;
    }
    size_t i = ino_slot(s, major, minor, host);
    if (!s->inos[i].ino) {
        s->inos[i] = (struct goferfs_ino_key){major, minor, host, ++s->next_synthetic};
        s->ninos++;
    }
    return s->inos[i].ino;
}

static uint64_t make_rdev(uint32_t major, uint32_t minor)
{
    return ((uint64_t)(major & 0xfffu) << 8) | ((uint64_t)(major & 0xfffff000u) << 32) |
           (minor & 0xffu) | ((uint64_t)(minor & 0xffffff00u) << 12);
}

static struct linux_timespec ts_of(struct gofer_timespec t)
{
    return (struct linux_timespec){t.sec, t.nsec};
}

void goferfs_set_attr(struct inode *ino, const struct gofer_stat *st)
{
    struct vfs_attr *a = &ino->attr;
    a->mode = st->mode;
    a->nlink = st->nlink;
    a->uid = st->uid;
    a->gid = st->gid;
    a->ino = goferfs_map_ino(goferfs_sbi(ino->sb), st->dev_major, st->dev_minor, st->ino);
    struct gofer_inode *gi = gofer_inode_of(ino);
    gi->host_major = st->dev_major;
    gi->host_minor = st->dev_minor;
    a->size = st->size;
    a->blocks = st->blocks;
    a->blksize = st->blksize ? st->blksize : 4096;
    a->rdev = make_rdev(st->rdev_major, st->rdev_minor);
    a->atime = ts_of(st->atime);
    a->mtime = ts_of(st->mtime);
    a->ctime = ts_of(st->ctime);
}

/* --- inodes --- */

static bool is_dir(const struct inode *ino)
{
    return (ino->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

/* A new inode for the file hs names, called name in parent (NULL for a
 * mount root). Takes over hs->handle (keeping or releasing it, see
 * goferfs_impl.h). */
static int inode_from(struct superblock *sb, const struct gofer_handle_stat *hs,
                      struct inode *parent, const char *name, struct inode **out)
{
    struct goferfs_sb *s = goferfs_sbi(sb);
    struct gofer_client *c = s->conn->client;
    uint32_t type = hs->stat.mode & LINUX_S_IFMT;
    const struct inode_ops *ops = type == LINUX_S_IFDIR   ? &goferfs_dir_iops
                                  : type == LINUX_S_IFREG ? &goferfs_file_iops
                                                          : &goferfs_other_iops;
    struct gofer_inode *gi = calloc(1, sizeof(*gi));
    struct inode *ino = gi ? inode_new(sb, ops, hs->stat.mode) : NULL;
    if (!ino) {
        free(gi);
        goferfs_release_handle(s->conn, hs->handle);
        return -LINUX_ENOMEM;
    }
    gi->ino = ino;
    gi->handle = hs->handle;
    gi->fd[0] = gi->fd[1] = gi->fd[2] = -1;
    ino->priv = gi;
    goferfs_set_attr(ino, &hs->stat);
    if (type == LINUX_S_IFDIR)
        ino->default_fops = &goferfs_dir_fops;
    else if (type == LINUX_S_IFREG)
        ino->default_fops = &goferfs_file_fops;
    int err = 0;
    if (type == LINUX_S_IFLNK) {
        char *buf = malloc(GOFER_PATH_MAX + 1);
        size_t len = 0;
        err = buf ? gofer_readlink(c, hs->handle, buf, GOFER_PATH_MAX + 1, &len) : -LINUX_ENOMEM;
        if (!err && len > GOFER_PATH_MAX)
            err = -LINUX_ENAMETOOLONG;
        if (!err) {
            buf[len] = '\0';
            gi->link = buf;
            gi->link_len = len;
        } else {
            free(buf);
        }
    }
    if (!err && s->readonly && parent) {
        gi->name = strdup(name);
        if (!gi->name) {
            err = -LINUX_ENOMEM;
        } else {
            gi->parent = parent;
            inode_get(parent);
            gi->handle = 0;
            if (type == LINUX_S_IFDIR)
                goferfs_dir_handle_cache(s, gi, hs->handle);
            else
                goferfs_release_handle(s->conn, hs->handle);
        }
    }
    if (err) {
        inode_put(ino);
        return goferfs_check_err(s->conn, err);
    }
    *out = ino;
    return 0;
}

int goferfs_refresh(struct inode *ino)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    if (!gi->stale)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (gi->fd[i] < 0)
            continue;
        struct gofer_stat st;
        struct stat hst;
        if (fstat(gi->fd[i], &hst) != 0)
            break;
        st = (struct gofer_stat){
            .mode = hst.st_mode,
            .nlink = (uint32_t)hst.st_nlink,
            .uid = hst.st_uid,
            .gid = hst.st_gid,
            .blksize = (uint32_t)hst.st_blksize,
            .dev_major = major(hst.st_dev),
            .dev_minor = minor(hst.st_dev),
            .rdev_major = major(hst.st_rdev),
            .rdev_minor = minor(hst.st_rdev),
            .ino = hst.st_ino,
            .size = (uint64_t)hst.st_size,
            .blocks = (uint64_t)hst.st_blocks,
            .atime = {hst.st_atim.tv_sec, (uint32_t)hst.st_atim.tv_nsec, 0},
            .mtime = {hst.st_mtim.tv_sec, (uint32_t)hst.st_mtim.tv_nsec, 0},
            .ctime = {hst.st_ctim.tv_sec, (uint32_t)hst.st_ctim.tv_nsec, 0},
        };
        goferfs_set_attr(ino, &st);
        gi->stale = false;
        return 0;
    }
    uint64_t h;
    bool temp;
    int err = goferfs_get_handle(ino, &h, &temp);
    if (err)
        return err;
    struct gofer_stat st;
    struct goferfs_conn *conn = goferfs_sbi(ino->sb)->conn;
    err = gofer_stat(conn->client, h, &st);
    if (temp)
        goferfs_release_handle(conn, h);
    if (err)
        return goferfs_check_err(conn, err);
    goferfs_set_attr(ino, &st);
    gi->stale = false;
    return 0;
}

static void mark_stale(struct inode *ino)
{
    gofer_inode_of(ino)->stale = true;
}

/* --- inode ops --- */

static int goferfs_lookup(struct inode *dir, const char *name, struct inode **out_inode)
{
    struct goferfs_conn *conn = goferfs_sbi(dir->sb)->conn;
    const char *names[1] = {name};
    struct gofer_handle_stat hs;
    unsigned walked;
    int werr;
    uint64_t dh;
    bool temp;
    int err = goferfs_get_handle(dir, &dh, &temp);
    if (err)
        return err;
    err = gofer_walk(conn->client, dh, 1, names, &hs, &walked, &werr);
    if (err)
        return goferfs_check_err(conn, err);
    if (walked == 0) {
        if (werr == -LINUX_ENOENT) {
            *out_inode = NULL;
            return 0;
        }
        return goferfs_check_err(conn, werr ? werr : -LINUX_EIO);
    }
    return inode_from(dir->sb, &hs, dir, name, out_inode);
}

/* The owner of a new file: the creator's fsuid, and the directory's group
 * in a set-group-ID directory. */
static void new_owner(struct inode *dir, const struct cred *cred, uint32_t *uid, uint32_t *gid)
{
    *uid = cred ? cred->fsuid : GOFER_ID_NONE;
    *gid = cred ? cred->fsgid : GOFER_ID_NONE;
    if (dir->attr.mode & LINUX_S_ISGID)
        *gid = dir->attr.gid;
}

/* The gofer may not be able to give a file an arbitrary owner (an
 * unprivileged gofer maps only its own ids): then the file keeps the
 * gofer's. */
static bool owner_refused(int err)
{
    return err == -LINUX_EPERM || err == -LINUX_EINVAL;
}

/* The end of every op that made a file: an inode for it, dir refreshed. */
static int made(struct inode *dir, const char *name, int err, struct gofer_handle_stat *hs,
                struct inode **out_inode)
{
    if (err)
        return goferfs_check_err(goferfs_sbi(dir->sb)->conn, err);
    mark_stale(dir);
    return inode_from(dir->sb, hs, dir, name, out_inode);
}

static int goferfs_create(struct inode *dir, const char *name, uint32_t mode,
                          const struct cred *cred, struct inode **out_inode)
{
    struct gofer_client *c = goferfs_client(dir);
    uint64_t h = gofer_inode_of(dir)->handle;
    uint32_t uid, gid;
    new_owner(dir, cred, &uid, &gid);
    struct gofer_handle_stat hs;
    int fd = -1;
    int err = gofer_create(c, h, name, LINUX_O_RDWR, mode & 07777, uid, gid, &hs, &fd);
    if (owner_refused(err))
        err = gofer_create(c, h, name, LINUX_O_RDWR, mode & 07777, GOFER_ID_NONE, GOFER_ID_NONE,
                           &hs, &fd);
    err = made(dir, name, err, &hs, out_inode);
    if (err) {
        if (fd >= 0)
            close(fd);
        return err;
    }
    goferfs_adopt_fd(*out_inode, LINUX_O_RDWR, fd);
    return 0;
}

static int goferfs_mkdir(struct inode *dir, const char *name, uint32_t mode,
                         const struct cred *cred, struct inode **out_inode)
{
    struct gofer_client *c = goferfs_client(dir);
    uint64_t h = gofer_inode_of(dir)->handle;
    uint32_t uid, gid;
    new_owner(dir, cred, &uid, &gid);
    mode &= 07777;
    if (dir->attr.mode & LINUX_S_ISGID)
        mode |= LINUX_S_ISGID;
    struct gofer_handle_stat hs;
    int err = gofer_mkdir(c, h, name, mode, uid, gid, &hs);
    if (owner_refused(err))
        err = gofer_mkdir(c, h, name, mode, GOFER_ID_NONE, GOFER_ID_NONE, &hs);
    err = made(dir, name, err, &hs, out_inode);
    if (!err)
        dir->attr.nlink++;
    return err;
}

static int goferfs_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                         const struct cred *cred, struct inode **out_inode)
{
    (void)rdev; /* devices: the gofer refuses them (EPERM) */
    struct gofer_client *c = goferfs_client(dir);
    uint64_t h = gofer_inode_of(dir)->handle;
    uint32_t uid, gid;
    new_owner(dir, cred, &uid, &gid);
    struct gofer_handle_stat hs;
    int err = gofer_mknod(c, h, name, mode, uid, gid, &hs);
    if (owner_refused(err))
        err = gofer_mknod(c, h, name, mode, GOFER_ID_NONE, GOFER_ID_NONE, &hs);
    return made(dir, name, err, &hs, out_inode);
}

static int goferfs_symlink(struct inode *dir, const char *name, const char *target,
                           const struct cred *cred, struct inode **out_inode)
{
    struct gofer_client *c = goferfs_client(dir);
    uint64_t h = gofer_inode_of(dir)->handle;
    uint32_t uid, gid;
    new_owner(dir, cred, &uid, &gid);
    struct gofer_handle_stat hs;
    int err = gofer_symlink(c, h, name, target, uid, gid, &hs);
    if (owner_refused(err))
        err = gofer_symlink(c, h, name, target, GOFER_ID_NONE, GOFER_ID_NONE, &hs);
    return made(dir, name, err, &hs, out_inode);
}

static int goferfs_link(struct inode *dir, const char *name, struct inode *target)
{
    struct goferfs_conn *conn = goferfs_sbi(dir->sb)->conn;
    uint64_t th;
    bool temp;
    int err = goferfs_get_handle(target, &th, &temp);
    if (err)
        return err;
    struct gofer_handle_stat hs;
    err = gofer_link(conn->client, gofer_inode_of(dir)->handle, name, th, &hs);
    if (temp)
        goferfs_release_handle(conn, th);
    if (err)
        return goferfs_check_err(conn, err);
    goferfs_release_handle(conn, hs.handle); /* the VFS links target itself */
    goferfs_set_attr(target, &hs.stat);
    mark_stale(dir);
    return 0;
}

static int remove_entry(struct inode *dir, const char *name, struct inode *victim, uint32_t flags)
{
    struct goferfs_conn *conn = goferfs_sbi(dir->sb)->conn;
    int err = gofer_unlink(conn->client, gofer_inode_of(dir)->handle, name, flags);
    if (err)
        return goferfs_check_err(conn, err);
    if (flags & GOFER_AT_REMOVEDIR) {
        victim->attr.nlink = 0;
        dir->attr.nlink--;
    } else {
        if (victim->attr.nlink > 0)
            victim->attr.nlink--;
        mark_stale(victim);
    }
    mark_stale(dir);
    return 0;
}

static int goferfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    return remove_entry(dir, name, victim, 0);
}

static int goferfs_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
    return remove_entry(dir, name, victim, GOFER_AT_REMOVEDIR);
}

static int goferfs_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir,
                          const char *new_name, unsigned flags)
{
    if (flags & LINUX_RENAME_WHITEOUT)
        return -LINUX_EINVAL;
    uint32_t gflags = ((flags & LINUX_RENAME_NOREPLACE) ? GOFER_RENAME_NOREPLACE : 0) |
                      ((flags & LINUX_RENAME_EXCHANGE) ? GOFER_RENAME_EXCHANGE : 0);
    struct goferfs_conn *conn = goferfs_sbi(old_dir->sb)->conn;
    int err = gofer_rename(conn->client, gofer_inode_of(old_dir)->handle, old_name,
                           gofer_inode_of(new_dir)->handle, new_name, gflags);
    if (err)
        return goferfs_check_err(conn, err);
    mark_stale(old_dir);
    mark_stale(new_dir);
    return 0;
}

static long goferfs_readlink(struct inode *ino, char *buf, size_t size)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    if (!gi->link)
        return -LINUX_EINVAL;
    memcpy(buf, gi->link, gi->link_len < size ? gi->link_len : size);
    return (long)gi->link_len;
}

static int goferfs_getattr(struct inode *ino)
{
    return goferfs_refresh(ino);
}

static struct gofer_timespec gofer_ts(struct linux_timespec t, bool now)
{
    return (struct gofer_timespec){t.tv_sec, now ? GOFER_UTIME_NOW : (uint32_t)t.tv_nsec, 0};
}

static int goferfs_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    struct gofer_attr a = {.atime = {0, GOFER_UTIME_OMIT, 0}, .mtime = {0, GOFER_UTIME_OMIT, 0}};
    bool now = sa->valid & VFS_SET_TIMES_NOW;
    if (sa->valid & VFS_SET_MODE) {
        a.mask |= GOFER_SETATTR_MODE;
        a.mode = sa->mode & 07777;
    }
    if (sa->valid & VFS_SET_UID) {
        a.mask |= GOFER_SETATTR_UID;
        a.uid = sa->uid;
    }
    if (sa->valid & VFS_SET_GID) {
        a.mask |= GOFER_SETATTR_GID;
        a.gid = sa->gid;
    }
    if (sa->valid & VFS_SET_SIZE) {
        if (!is_dir(ino) && (ino->attr.mode & LINUX_S_IFMT) != LINUX_S_IFREG)
            return -LINUX_EINVAL;
        a.mask |= GOFER_SETATTR_SIZE;
        a.size = sa->size;
    }
    if (sa->valid & VFS_SET_ATIME) {
        a.mask |= GOFER_SETATTR_ATIME;
        a.atime = gofer_ts(sa->atime, now);
    }
    if (sa->valid & VFS_SET_MTIME) {
        a.mask |= GOFER_SETATTR_MTIME;
        a.mtime = gofer_ts(sa->mtime, now);
    }
    if (!a.mask)
        return 0; /* only ctime: the host updates it with any change */
    uint64_t h;
    bool temp;
    int err = goferfs_get_handle(ino, &h, &temp);
    if (err)
        return err;
    struct goferfs_conn *conn = goferfs_sbi(ino->sb)->conn;
    struct gofer_stat st;
    uint64_t old_size = ino->attr.size;
    err = gofer_setattr(conn->client, h, &a, &st);
    if (temp)
        goferfs_release_handle(conn, h);
    if (err)
        return goferfs_check_err(conn, err);
    goferfs_set_attr(ino, &st);
    gofer_inode_of(ino)->stale = false;
    if ((a.mask & GOFER_SETATTR_SIZE) && ino->pages) {
        uint64_t from = old_size < st.size ? old_size : st.size;
        goferfs_pages_changed(ino, from, 0);
    }
    return 0;
}

static int goferfs_statfs(struct superblock *sb, struct linux_statfs *out)
{
    struct goferfs_conn *conn = goferfs_sbi(sb)->conn;
    struct gofer_statfs_rep r;
    int err = gofer_statfs(conn->client, gofer_inode_of(sb->root->inode)->handle, &r);
    if (err)
        return goferfs_check_err(conn, err);
    out->f_type = (int64_t)r.type;
    out->f_bsize = (int64_t)r.bsize;
    out->f_blocks = r.blocks;
    out->f_bfree = r.bfree;
    out->f_bavail = r.bavail;
    out->f_files = r.files;
    out->f_ffree = r.ffree;
    out->f_namelen = (int64_t)r.namelen;
    out->f_frsize = (int64_t)r.frsize;
    return 0;
}

static void goferfs_evict(struct inode *ino)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    if (!gi)
        return;
    goferfs_close_fds(ino);
    if (ino->pages)
        mm_object_put(ino->pages);
    if (ino->sb && ino->sb->priv) {
        goferfs_lru_unlist(goferfs_sbi(ino->sb), gi);
        goferfs_release_handle(goferfs_sbi(ino->sb)->conn, gi->handle);
    }
    if (gi->parent)
        inode_put(gi->parent);
    free(gi->name);
    free(gi->link);
    free(gi);
}

static const struct inode_ops goferfs_dir_iops = {
    .lookup = goferfs_lookup,
    .create = goferfs_create,
    .mkdir = goferfs_mkdir,
    .mknod = goferfs_mknod,
    .symlink = goferfs_symlink,
    .link = goferfs_link,
    .unlink = goferfs_unlink,
    .rmdir = goferfs_rmdir,
    .rename = goferfs_rename,
    .getattr = goferfs_getattr,
    .setattr = goferfs_setattr,
    .statfs = goferfs_statfs,
    .evict = goferfs_evict,
};

static const struct inode_ops goferfs_file_iops = {
    .getattr = goferfs_getattr,
    .setattr = goferfs_setattr,
    .open = goferfs_open,
    .statfs = goferfs_statfs,
    .evict = goferfs_evict,
};

/* Symlinks, FIFOs, sockets, devices: opened by the VFS's special openers
 * (a FIFO on the host is a sandbox pipe, a device node a sandbox device). */
static const struct inode_ops goferfs_other_iops = {
    .readlink = goferfs_readlink,
    .getattr = goferfs_getattr,
    .setattr = goferfs_setattr,
    .statfs = goferfs_statfs,
    .evict = goferfs_evict,
};

/* --- superblocks --- */

int goferfs_new_sb(struct goferfs_conn *conn, uint32_t mount, struct superblock **out_sb,
                   uint32_t *out_mode, bool *out_readonly)
{
    struct gofer_handle_stat hs;
    uint32_t mflags = 0;
    int err = gofer_attach(conn->client, mount, &hs, &mflags);
    if (err)
        return goferfs_check_err(conn, err);
    struct goferfs_sb *s = calloc(1, sizeof(*s));
    if (!s) {
        goferfs_release_handle(conn, hs.handle);
        return -LINUX_ENOMEM;
    }
    s->conn = conn;
    conn->refs++;
    s->mount = mount;
    s->readonly = mflags & GOFER_MOUNT_RDONLY;
    s->root_major = hs.stat.dev_major;
    s->root_minor = hs.stat.dev_minor;
    s->next_synthetic = 1ULL << 56;
    /* The root inode is made before its superblock: a stand-in for it. */
    struct superblock tmp = {.priv = s};
    struct inode *root;
    err = inode_from(&tmp, &hs, NULL, NULL, &root);
    if (err) {
        goferfs_conn_put(conn);
        free(s);
        return err;
    }
    struct superblock *sb = sb_new(&goferfs_type, root);
    if (!sb) {
        inode_put(root); /* evict releases the handle through tmp */
        goferfs_conn_put(conn);
        free(s->inos);
        free(s);
        return -LINUX_ENOMEM;
    }
    root->sb = sb;
    sb->priv = s;
    if (s->readonly)
        sb->flags |= LINUX_MS_RDONLY;
    if (out_mode)
        *out_mode = hs.stat.mode;
    if (out_readonly)
        *out_readonly = s->readonly;
    *out_sb = sb;
    return 0;
}

static void goferfs_kill_sb(struct superblock *sb)
{
    struct goferfs_sb *s = goferfs_sbi(sb);
    if (!s)
        return;
    /* Inodes still held elsewhere (open files pin the superblock through
     * their mount, so none should be) would find no superblock state. */
    sb->priv = NULL;
    struct goferfs_conn *conn = s->conn;
    free(s->inos);
    free(s);
    goferfs_conn_put(conn);
}

static const struct fs_type goferfs_type = {
    .name = "9p", /* as gVisor's gofer mounts show in /proc/mounts */
    .nodev = true,
    .kill_sb = goferfs_kill_sb,
};

bool goferfs_is_sb(const struct superblock *sb)
{
    return sb->type == &goferfs_type;
}
