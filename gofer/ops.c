/* The gofer's ops that change files: CREATE, MKDIR, MKNOD, SYMLINK, LINK,
 * UNLINK, RENAME, SETATTR. The safety rules of server.c hold here too:
 * names are single validated components, symlinks are never followed, a
 * read-only mount is EROFS before any host call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "gofer/server.h"

/* The end of every op that makes a file called `name` in dir: a handle
 * for it, its owner set, its stat in the reply. If `check_fd` >= 0 the
 * new name must be that open file. On failure the new name is removed
 * again (unlinkat with undo_flags). */
static int finish_new(struct gofer_server *s, int32_t dir, const char *name, uint32_t uid,
                      uint32_t gid, int check_fd, int undo_flags, struct gofer_buf *rep)
{
    struct gofer_handle *d = ht_slot(&s->ht, dir);
    int r = 0;
    int fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno; /* the name is not ours any more: leave it */
    struct kstatx st;
    if (check_fd >= 0) {
        struct kstatx cst;
        r = gofer_stat_fd(check_fd, &cst);
        if (r == 0) {
            r = gofer_stat_fd(fd, &st);
            if (r == 0 && (st.ino != cst.ino || st.dev_major != cst.dev_major ||
                           st.dev_minor != cst.dev_minor)) {
                close(fd);
                return -ESTALE; /* not ours: leave it */
            }
        }
    }
    if (r == 0 && (uid != GOFER_ID_NONE || gid != GOFER_ID_NONE) &&
        fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
        r = -errno;
    if (r == 0)
        r = gofer_stat_fd(fd, &st);
    int32_t slot = -1;
    if (r == 0) {
        struct gofer_file_id id = gofer_id_of(&st);
        slot = ht_alloc(&s->ht, fd, dir, d->mount, name, &id);
        if (slot < 0)
            r = slot;
    }
    if (r < 0) {
        close(fd);
        unlinkat(d->fd, name, undo_flags);
        return r;
    }
    gofer_put_handle_stat(s, rep, slot, &st);
    return 0;
}

/* The prologue of the ops on (dir handle, name): the dir must be a live
 * handle (EBADF), then the name a single valid component, copied into
 * name (GOFER_NAME_MAX + 1 bytes). Returns 0 or -errno. */
static int dir_and_name(struct gofer_server *s, uint64_t id, const struct gofer_str *str,
                        int32_t *out_dir, struct gofer_handle **out_d, char *name)
{
    *out_d = gofer_lookup(s, id, out_dir);
    if (!*out_d)
        return -EBADF;
    return gofer_validate_name(str, name);
}

int gofer_op_create(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd)
{
    const struct gofer_create_req *c = &req->u.create_req;
    int32_t dir;
    struct gofer_handle *d;
    char name[GOFER_NAME_MAX + 1];
    int r = dir_and_name(s, c->dir, &req->str[0], &dir, &d, name);
    if (r < 0)
        return r;
    int flags = gofer_open_flags(c->flags, OPEN_ALLOWED & ~LINUX_O_DIRECTORY);
    if (flags < 0)
        return flags;
    if (gofer_readonly(s, d))
        return -EROFS;
    int fd = openat(d->fd, name, flags | O_CREAT | O_EXCL | OPEN_ADDED, c->mode & 07777);
    if (fd < 0)
        return -errno;
    r = finish_new(s, dir, name, c->uid, c->gid, fd, 0, rep);
    if (r < 0) {
        close(fd);
        return r;
    }
    *out_fd = fd;
    return 0;
}

int gofer_op_mkdir(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd)
{
    (void)out_fd;
    const struct gofer_mknod_req *m = &req->u.mknod_req;
    int32_t dir;
    struct gofer_handle *d;
    char name[GOFER_NAME_MAX + 1];
    int r = dir_and_name(s, m->dir, &req->str[0], &dir, &d, name);
    if (r < 0)
        return r;
    if (gofer_readonly(s, d))
        return -EROFS;
    if (mkdirat(d->fd, name, m->mode & 07777) != 0)
        return -errno;
    return finish_new(s, dir, name, m->uid, m->gid, -1, AT_REMOVEDIR, rep);
}

int gofer_op_mknod(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd)
{
    (void)out_fd;
    const struct gofer_mknod_req *m = &req->u.mknod_req;
    int32_t dir;
    struct gofer_handle *d;
    char name[GOFER_NAME_MAX + 1];
    int r = dir_and_name(s, m->dir, &req->str[0], &dir, &d, name);
    if (r < 0)
        return r;
    uint32_t type = m->mode & LINUX_S_IFMT;
    switch (type) {
    case 0:
        type = LINUX_S_IFREG;
        break;
    case LINUX_S_IFREG:
    case LINUX_S_IFIFO:
    case LINUX_S_IFSOCK:
        break;
    case LINUX_S_IFCHR:
    case LINUX_S_IFBLK:
        return -EPERM; /* no devices, ever */
    default:
        return -EINVAL;
    }
    if (gofer_readonly(s, d))
        return -EROFS;
    if (mknodat(d->fd, name, type | (m->mode & 07777), 0) != 0)
        return -errno;
    return finish_new(s, dir, name, m->uid, m->gid, -1, 0, rep);
}

int gofer_op_symlink(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd)
{
    (void)out_fd;
    const struct gofer_symlink_req *m = &req->u.symlink_req;
    int32_t dir;
    struct gofer_handle *d;
    char name[GOFER_NAME_MAX + 1];
    int r = dir_and_name(s, m->dir, &req->str[0], &dir, &d, name);
    if (r < 0)
        return r;
    const struct gofer_str *t = &req->str[1];
    if (t->len == 0)
        return -ENOENT; /* Linux: symlink("", x) */
    if (t->len > GOFER_PATH_MAX)
        return -ENAMETOOLONG;
    if (memchr(t->ptr, '\0', t->len))
        return -EINVAL;
    char target[GOFER_PATH_MAX + 1];
    memcpy(target, t->ptr, t->len);
    target[t->len] = '\0';
    if (gofer_readonly(s, d))
        return -EROFS;
    if (symlinkat(target, d->fd, name) != 0)
        return -errno;
    return finish_new(s, dir, name, m->uid, m->gid, -1, 0, rep);
}

int gofer_op_link(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                  int *out_fd)
{
    (void)out_fd;
    const struct gofer_link_req *m = &req->u.link_req;
    int32_t dir, target;
    struct gofer_handle *d = gofer_lookup(s, m->dir, &dir);
    struct gofer_handle *t = gofer_lookup(s, m->target, &target);
    if (!d || !t)
        return -EBADF;
    char name[GOFER_NAME_MAX + 1];
    int r = gofer_validate_name(&req->str[0], name);
    if (r < 0)
        return r;
    if (gofer_readonly(s, d))
        return -EROFS;
    if (d->mount != t->mount)
        return -EXDEV;
    if (t->type == S_IFDIR)
        return -EPERM;
    if (linkat(t->fd, "", d->fd, name, AT_EMPTY_PATH) != 0) {
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH in the initial user
         * namespace: without it, link by the target's name (flags 0: a
         * symlink is linked, not followed), then check it is the file. */
        if (errno != ENOENT)
            return -errno;
        if (linkat(gofer_parent_fd(s, t), t->name, d->fd, name, 0) != 0)
            return -errno;
        struct kstatx st;
        int fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        r = gofer_stat_fd(fd, &st);
        close(fd);
        if (r == 0 && !gofer_same_file(t, &st))
            r = -ESTALE;
        if (r < 0) {
            unlinkat(d->fd, name, 0);
            return r;
        }
    }
    return finish_new(s, dir, name, GOFER_ID_NONE, GOFER_ID_NONE, -1, 0, rep);
}

int gofer_op_unlink(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd)
{
    (void)rep;
    (void)out_fd;
    const struct gofer_unlink_req *m = &req->u.unlink_req;
    int32_t dir;
    struct gofer_handle *d;
    char name[GOFER_NAME_MAX + 1];
    int r = dir_and_name(s, m->dir, &req->str[0], &dir, &d, name);
    if (r < 0)
        return r;
    if (m->flags & ~(uint32_t)GOFER_AT_REMOVEDIR)
        return -EINVAL;
    if (gofer_readonly(s, d))
        return -EROFS;
    if (unlinkat(d->fd, name, (int)m->flags) != 0)
        return -errno;
    return 0;
}

static bool is_child(struct gofer_server *s, const struct gofer_handle *h,
                     const struct gofer_handle *dir, const char *name)
{
    if (h->parent < 0 || h->mount != dir->mount)
        return false;
    const struct gofer_handle *p = ht_slot(&s->ht, h->parent);
    return p->ino == dir->ino && p->dev_major == dir->dev_major && p->dev_minor == dir->dev_minor &&
           strcmp(h->name, name) == 0;
}

/* After a rename, the handles named (olddir, oldname) now live at
 * (newdir, newname), and the other way round for an exchange. */
static void rename_handles(struct gofer_server *s, int32_t olddir, const char *oldname,
                           int32_t newdir, const char *newname, bool exchange)
{
    const struct gofer_handle *od = ht_slot(&s->ht, olddir);
    const struct gofer_handle *nd = ht_slot(&s->ht, newdir);
    for (uint32_t i = 0; i < s->ht.nslots; i++) {
        struct gofer_handle *h = ht_slot(&s->ht, (int32_t)i);
        if (h->fd < 0)
            continue;
        if (is_child(s, h, od, oldname))
            ht_rename(&s->ht, (int32_t)i, newdir, newname);
        else if (exchange && is_child(s, h, nd, newname))
            ht_rename(&s->ht, (int32_t)i, olddir, oldname);
    }
}

int gofer_op_rename(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd)
{
    (void)rep;
    (void)out_fd;
    const struct gofer_rename_req *m = &req->u.rename_req;
    int32_t olddir, newdir;
    struct gofer_handle *od = gofer_lookup(s, m->olddir, &olddir);
    struct gofer_handle *nd = gofer_lookup(s, m->newdir, &newdir);
    if (!od || !nd)
        return -EBADF;
    char oldname[GOFER_NAME_MAX + 1], newname[GOFER_NAME_MAX + 1];
    int r = gofer_validate_name(&req->str[0], oldname);
    if (r == 0)
        r = gofer_validate_name(&req->str[1], newname);
    if (r < 0)
        return r;
    if (m->flags & ~(uint32_t)(GOFER_RENAME_NOREPLACE | GOFER_RENAME_EXCHANGE))
        return -EINVAL;
    if (gofer_readonly(s, od) || gofer_readonly(s, nd))
        return -EROFS;
    if (od->mount != nd->mount)
        return -EXDEV;
    /* The syscall itself: glibc's renameat2 calls renameat for flags 0. */
    if (syscall(SYS_renameat2, od->fd, oldname, nd->fd, newname, m->flags) != 0)
        return -errno;
    rename_handles(s, olddir, oldname, newdir, newname, m->flags & GOFER_RENAME_EXCHANGE);
    return 0;
}

static bool valid_time(const struct gofer_timespec *t)
{
    return t->nsec < 1000000000u || t->nsec == GOFER_UTIME_NOW || t->nsec == GOFER_UTIME_OMIT;
}

static int set_mode(struct gofer_server *s, struct gofer_handle *h, uint32_t mode)
{
    if (h->type == S_IFLNK)
        return -EOPNOTSUPP; /* Linux: symlinks have no mode of their own */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
    if (syscall(SYS_fchmodat2, h->fd, "", mode & 07777, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    /* Before Linux 6.6: fchmod on the file opened again. */
    int fd = gofer_reopen(s, h, O_RDONLY);
    if (fd < 0)
        return fd;
    int r = fchmod(fd, mode & 07777) == 0 ? 0 : -errno;
    close(fd);
    return r;
}

static int set_size(struct gofer_server *s, struct gofer_handle *h, uint64_t size)
{
    if (h->type == S_IFDIR)
        return -EISDIR;
    if (h->type != S_IFREG)
        return -EINVAL;
    if (size > INT64_MAX)
        return -EINVAL;
    int fd = gofer_reopen(s, h, O_WRONLY);
    if (fd < 0)
        return fd;
    int r = ftruncate(fd, (off_t)size) == 0 ? 0 : -errno;
    close(fd);
    return r;
}

int gofer_op_setattr(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd)
{
    (void)out_fd;
    const struct gofer_setattr_req *a = &req->u.setattr_req;
    int32_t slot;
    struct gofer_handle *h = gofer_lookup(s, a->handle, &slot);
    if (!h)
        return -EBADF;
    if (a->mask & ~(uint32_t)GOFER_SETATTR_ALL)
        return -EINVAL;
    if (((a->mask & GOFER_SETATTR_ATIME) && !valid_time(&a->atime)) ||
        ((a->mask & GOFER_SETATTR_MTIME) && !valid_time(&a->mtime)))
        return -EINVAL;
    if (a->mask && gofer_readonly(s, h))
        return -EROFS;
    int r = 0;
    if (a->mask & (GOFER_SETATTR_UID | GOFER_SETATTR_GID)) {
        uid_t uid = (a->mask & GOFER_SETATTR_UID) ? a->uid : (uid_t)-1;
        gid_t gid = (a->mask & GOFER_SETATTR_GID) ? a->gid : (gid_t)-1;
        if (fchownat(h->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            return -errno;
    }
    if (a->mask & GOFER_SETATTR_MODE) {
        r = set_mode(s, h, a->mode);
        if (r < 0)
            return r;
    }
    if (a->mask & GOFER_SETATTR_SIZE) {
        r = set_size(s, h, a->size);
        if (r < 0)
            return r;
    }
    if (a->mask & (GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME)) {
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
        if (a->mask & GOFER_SETATTR_ATIME)
            ts[0] = (struct timespec){.tv_sec = a->atime.sec, .tv_nsec = a->atime.nsec};
        if (a->mask & GOFER_SETATTR_MTIME)
            ts[1] = (struct timespec){.tv_sec = a->mtime.sec, .tv_nsec = a->mtime.nsec};
        if (utimensat(h->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            return -errno;
    }
    return gofer_put_stat_rep(rep, h->fd);
}
