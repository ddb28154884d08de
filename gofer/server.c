/* The gofer's server: decodes a request, runs its handler (an array
 * indexed by op, lisafs's shape), encodes the reply. This file has the
 * loop, the dispatch, the host helpers and the ops that only read; ops.c
 * the ops that change files.
 *
 * Safety rules every handler follows:
 * - A file is reached only from a handle the gofer holds, one component
 *   at a time: openat(handle fd, name, O_PATH|O_NOFOLLOW). A name is never
 *   "", ".", "..", and never holds '/' or NUL (gofer_validate_name).
 * - A symlink is never followed: every open, stat, chown and utimes
 *   carries O_NOFOLLOW / AT_SYMLINK_NOFOLLOW or works on the handle's own
 *   fd (AT_EMPTY_PATH). A symlink is walked to as itself; the sentry reads
 *   its target and resolves it.
 * - A file is opened (for OPEN, GETDENTS, a truncate) as openat(parent's
 *   fd, name, O_NOFOLLOW) — never through /proc — and must still be the
 *   handle's file (same device and inode), else ESTALE.
 * - Every change to a read-only mount is EROFS before any host call.
 * - Crossing into a kernel pseudo filesystem (procfs, sysfs, ...) is
 *   EACCES, should one still be mounted under a root.
 *
 * Errors are host errnos, which are the Linux errnos (the gofer runs on a
 * Linux host; the _Static_asserts below pin the values the server uses). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "gofer/server.h"

_Static_assert(EINVAL == LINUX_EINVAL && EBADF == LINUX_EBADF && EROFS == LINUX_EROFS &&
                   ENOSYS == LINUX_ENOSYS && ESTALE == LINUX_ESTALE && ELOOP == LINUX_ELOOP,
               "host errnos are Linux errnos");
_Static_assert(O_ACCMODE == LINUX_O_ACCMODE && O_TRUNC == LINUX_O_TRUNC &&
                   O_APPEND == LINUX_O_APPEND && O_DIRECTORY == LINUX_O_DIRECTORY &&
                   O_NONBLOCK == LINUX_O_NONBLOCK && O_NOFOLLOW == LINUX_O_NOFOLLOW &&
                   O_SYNC == LINUX_O_SYNC && O_DIRECT == LINUX_O_DIRECT &&
                   O_NOATIME == LINUX_O_NOATIME && O_CLOEXEC == LINUX_O_CLOEXEC,
               "host open flags are Linux open flags");
_Static_assert(AT_REMOVEDIR == GOFER_AT_REMOVEDIR && RENAME_NOREPLACE == GOFER_RENAME_NOREPLACE &&
                   RENAME_EXCHANGE == GOFER_RENAME_EXCHANGE && UTIME_NOW == GOFER_UTIME_NOW &&
                   UTIME_OMIT == GOFER_UTIME_OMIT,
               "host *at flags are Linux flags");

#define KSTATX_MASK (0x7ffU /* STATX_BASIC_STATS */ | 0x1000U /* STATX_MNT_ID */)
#define KSTATX_MNT_ID 0x1000U

/* ---- Helpers ---- */

int gofer_stat_fd(int fd, struct kstatx *out_st)
{
    if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, KSTATX_MASK, out_st) != 0)
        return -errno;
    if (!(out_st->mask & KSTATX_MNT_ID))
        out_st->mnt_id = 0;
    return 0;
}

static struct gofer_timespec wire_ts(struct kstatx_ts t)
{
    return (struct gofer_timespec){.sec = t.tv_sec, .nsec = t.tv_nsec, .pad = 0};
}

struct gofer_stat gofer_wire_stat(const struct kstatx *st)
{
    return (struct gofer_stat){
        .mode = st->mode,
        .nlink = st->nlink,
        .uid = st->uid,
        .gid = st->gid,
        .blksize = st->blksize,
        .dev_major = st->dev_major,
        .dev_minor = st->dev_minor,
        .rdev_major = st->rdev_major,
        .rdev_minor = st->rdev_minor,
        .ino = st->ino,
        .size = st->size,
        .blocks = st->blocks,
        .atime = wire_ts(st->atime),
        .mtime = wire_ts(st->mtime),
        .ctime = wire_ts(st->ctime),
    };
}

struct gofer_file_id gofer_id_of(const struct kstatx *st)
{
    return (struct gofer_file_id){
        .type = st->mode & S_IFMT,
        .dev_major = st->dev_major,
        .dev_minor = st->dev_minor,
        .ino = st->ino,
        .mnt_id = st->mnt_id,
    };
}

bool gofer_same_file(const struct gofer_handle *h, const struct kstatx *st)
{
    return h->ino == st->ino && h->dev_major == st->dev_major && h->dev_minor == st->dev_minor;
}

/* A file name the gofer will pass to an *at() call: copied NUL-terminated
 * into out (GOFER_NAME_MAX + 1 bytes). */
int gofer_validate_name(const struct gofer_str *s, char *out)
{
    if (s->len == 0 || memchr(s->ptr, '/', s->len) || memchr(s->ptr, '\0', s->len))
        return -EINVAL;
    if ((s->len == 1 && s->ptr[0] == '.') || (s->len == 2 && s->ptr[0] == '.' && s->ptr[1] == '.'))
        return -EINVAL;
    if (s->len > GOFER_NAME_MAX)
        return -ENAMETOOLONG;
    memcpy(out, s->ptr, s->len);
    out[s->len] = '\0';
    return 0;
}

struct gofer_handle *gofer_lookup(struct gofer_server *s, uint64_t id, int32_t *out_slot)
{
    return ht_lookup(&s->ht, id, out_slot);
}

bool gofer_readonly(const struct gofer_server *s, const struct gofer_handle *h)
{
    return s->mounts[h->mount].readonly;
}

/* The directory fd a handle's name lives in. */
int gofer_parent_fd(struct gofer_server *s, const struct gofer_handle *h)
{
    return h->parent >= 0 ? ht_slot(&s->ht, h->parent)->fd : s->mounts[h->mount].dirfd;
}

/* Opens the handle's file with flags (O_NOFOLLOW and friends added):
 * openat(parent, name), then checks it is still the same file. Returns
 * the fd or -errno (ELOOP for a symlink, ESTALE if the name now names
 * another file). */
int gofer_reopen(struct gofer_server *s, const struct gofer_handle *h, int flags)
{
    int fd = openat(gofer_parent_fd(s, h), h->name, flags | OPEN_ADDED);
    if (fd < 0)
        return -errno;
    struct kstatx st;
    int r = gofer_stat_fd(fd, &st);
    if (r == 0 && !gofer_same_file(h, &st))
        r = -ESTALE;
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* Kernel pseudo filesystems the sandbox must never reach through the
 * gofer (gofer_start unmounts them; this is the second wall). */
static bool pseudo_fs(int fd)
{
    static const long magics[] = {
        0x9fa0,           /* proc */
        0x62656572,       /* sysfs */
        0x1cd1,           /* devpts */
        0x27e0eb,         /* cgroup */
        0x63677270,       /* cgroup2 */
        0x64626720,       /* debugfs */
        0x74726163,       /* tracefs */
        0x73636673,       /* securityfs */
        0xcafe4a11,       /* bpf */
        0x62656570,       /* configfs */
        0x65735543,       /* fusectl */
        0x6165676c,       /* pstore */
        (long)0xde5e81e4, /* efivarfs */
        0x42494e4d,       /* binfmt_misc */
        0x19800202,       /* mqueue */
        0x6e736673,       /* nsfs */
        (long)0xf97cff8c, /* selinuxfs */
        0x43415d53,       /* smackfs */
    };
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0)
        return true;
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
        if ((unsigned long)sf.f_type == (unsigned long)magics[i])
            return true;
    }
    return false;
}

/* Walks one component: a new handle for `name` in dir (slot). Returns the
 * new slot or -errno. */
static int32_t walk_one(struct gofer_server *s, int32_t dir, const char *name,
                        struct kstatx *out_st)
{
    struct gofer_handle *d = ht_slot(&s->ht, dir);
    int fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = gofer_stat_fd(fd, out_st);
    if (r == 0 && out_st->mnt_id != d->mnt_id && pseudo_fs(fd))
        r = -EACCES;
    if (r == 0) {
        struct gofer_file_id id = gofer_id_of(out_st);
        r = ht_alloc(&s->ht, fd, dir, d->mount, name, &id);
    }
    if (r < 0)
        close(fd);
    return r;
}

void gofer_put_handle_stat(struct gofer_server *s, struct gofer_buf *rep, int32_t slot,
                           const struct kstatx *st)
{
    struct gofer_handle_stat hs = {.handle = ht_id(&s->ht, slot), .stat = gofer_wire_stat(st)};
    gofer_put(rep, &hs, sizeof(hs));
}

int gofer_put_stat_rep(struct gofer_buf *rep, int fd)
{
    struct kstatx st;
    int r = gofer_stat_fd(fd, &st);
    if (r < 0)
        return r;
    struct gofer_stat_rep sr = {.stat = gofer_wire_stat(&st)};
    gofer_put(rep, &sr, sizeof(sr));
    return 0;
}

/* The handle a STAT, READLINK or STATFS request names, or NULL (EBADF). */
static struct gofer_handle *req_handle(struct gofer_server *s, const struct gofer_msg *req)
{
    int32_t slot;
    return gofer_lookup(s, req->u.handle_req.handle, &slot);
}

/* A reply's fixed part that is known only once its list is built: its
 * first bytes now, its final bytes later (unless the reply overflowed). */
static size_t reserve_fixed(struct gofer_buf *rep, const void *p, size_t size)
{
    size_t at = rep->len;
    gofer_put(rep, p, size);
    return at;
}

static void patch_fixed(struct gofer_buf *rep, size_t at, const void *p, size_t size)
{
    if (!rep->err)
        memcpy(rep->data + at, p, size);
}

/* ---- Handlers: (server, request, reply being built, donated fd) ->
 * 0 or -errno. The dispatcher has begun the reply with the request's op
 * and tag. ---- */

static int op_attach(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd)
{
    (void)out_fd;
    uint32_t m = req->u.attach_req.mount;
    if (m >= (uint32_t)s->nmounts)
        return -EINVAL;
    const struct gofer_mount *mnt = &s->mounts[m];
    int fd = openat(mnt->dirfd, mnt->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct kstatx st;
    int r = gofer_stat_fd(fd, &st);
    int32_t slot = -1;
    if (r == 0) {
        struct gofer_file_id id = gofer_id_of(&st);
        slot = ht_alloc(&s->ht, fd, -1, (uint16_t)m, mnt->name, &id);
        r = slot < 0 ? slot : 0;
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    struct gofer_attach_rep a = {
        .handle = ht_id(&s->ht, slot),
        .mount_flags = mnt->readonly ? GOFER_MOUNT_RDONLY : 0,
        .stat = gofer_wire_stat(&st),
    };
    gofer_put(rep, &a, sizeof(a));
    return 0;
}

static int op_walk(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd)
{
    (void)out_fd;
    int32_t dir;
    if (!gofer_lookup(s, req->u.walk_req.dir, &dir))
        return -EBADF;
    if (req->count == 0)
        return -EINVAL;
    /* Every name is checked before anything is walked. */
    struct gofer_cursor c = gofer_list(req);
    for (uint32_t i = 0; i < req->count; i++) {
        struct gofer_str name;
        char buf[GOFER_NAME_MAX + 1];
        int r = gofer_next_str(&c, &name);
        if (r == 0)
            r = gofer_validate_name(&name, buf);
        if (r < 0)
            return r;
    }

    struct gofer_walk_rep w = {0};
    size_t fixed_at = reserve_fixed(rep, &w, sizeof(w));
    c = gofer_list(req);
    int32_t cur = dir;
    for (uint32_t i = 0; i < req->count; i++) {
        struct gofer_str name;
        char buf[GOFER_NAME_MAX + 1];
        gofer_next_str(&c, &name);
        gofer_validate_name(&name, buf);
        if (i > 0 && ht_slot(&s->ht, cur)->type == S_IFLNK)
            break; /* never through a symlink: the sentry resolves it */
        struct kstatx st;
        int32_t slot = walk_one(s, cur, buf, &st);
        if (slot < 0) {
            w.error = (uint32_t)-slot;
            break;
        }
        gofer_put_handle_stat(s, rep, slot, &st);
        w.count++;
        cur = slot;
    }
    patch_fixed(rep, fixed_at, &w, sizeof(w));
    return 0;
}

static int op_stat(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd)
{
    (void)out_fd;
    struct gofer_handle *h = req_handle(s, req);
    if (!h)
        return -EBADF;
    return gofer_put_stat_rep(rep, h->fd);
}

/* Checks open flags; returns the host flags or -errno. */
int gofer_open_flags(uint32_t flags, uint32_t allowed)
{
    if (flags & ~allowed)
        return -EINVAL;
    if ((flags & LINUX_O_ACCMODE) == LINUX_O_ACCMODE)
        return -EINVAL;
    return (int)flags;
}

static bool open_writes(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int op_open(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd)
{
    (void)rep;
    int32_t slot;
    struct gofer_handle *h = gofer_lookup(s, req->u.open_req.handle, &slot);
    if (!h)
        return -EBADF;
    int flags = gofer_open_flags(req->u.open_req.flags, OPEN_ALLOWED);
    if (flags < 0)
        return flags;
    if (h->type == S_IFLNK)
        return -ELOOP;
    if (h->type == S_IFCHR || h->type == S_IFBLK)
        return -EACCES; /* mounts are nodev */
    if (open_writes(flags) && gofer_readonly(s, h))
        return -EROFS;
    int fd = gofer_reopen(s, h, flags);
    if (fd < 0)
        return fd;
    *out_fd = fd;
    return 0;
}

static int op_readlink(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                       int *out_fd)
{
    (void)out_fd;
    struct gofer_handle *h = req_handle(s, req);
    if (!h)
        return -EBADF;
    if (h->type != S_IFLNK)
        return -EINVAL;
    char buf[GOFER_PATH_MAX + 1];
    ssize_t n = readlinkat(h->fd, "", buf, sizeof(buf));
    if (n < 0)
        return -errno;
    if ((size_t)n > GOFER_PATH_MAX)
        return -ENAMETOOLONG;
    gofer_put_str(rep, buf, (size_t)n);
    return 0;
}

/* A host getdents64 record. */
struct host_dirent {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
};
#define HOST_DIRENT_NAME 19

static int op_getdents(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                       int *out_fd)
{
    (void)out_fd;
    const struct gofer_getdents_req *g = &req->u.getdents_req;
    int32_t slot;
    struct gofer_handle *h = gofer_lookup(s, g->dir, &slot);
    if (!h)
        return -EBADF;
    if (h->type != S_IFDIR)
        return -ENOTDIR;
    if (g->offset > INT64_MAX)
        return -EINVAL;
    if (h->dirfd < 0) {
        int fd = gofer_reopen(s, h, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            return fd;
        h->dirfd = fd;
    }
    if (lseek(h->dirfd, (off_t)g->offset, SEEK_SET) < 0)
        return -errno;

    struct gofer_getdents_rep gr = {0};
    size_t fixed_at = reserve_fixed(rep, &gr, sizeof(gr));
    size_t room = rep->cap - rep->len;
    if (g->size < room)
        room = g->size;
    size_t used = 0;
    bool full = false;
    while (!full) {
        ssize_t n = getdents64(h->dirfd, s->dents, sizeof(s->dents));
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (size_t off = 0; off + HOST_DIRENT_NAME < (size_t)n;) {
            struct host_dirent hd;
            memcpy(&hd, s->dents + off, sizeof(hd));
            if (hd.reclen <= HOST_DIRENT_NAME || hd.reclen > (size_t)n - off)
                return -EIO;
            const char *name = (const char *)s->dents + off + HOST_DIRENT_NAME;
            size_t len = strnlen(name, hd.reclen - HOST_DIRENT_NAME);
            off += hd.reclen;
            if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
                continue;
            size_t need = sizeof(struct gofer_dirent) + sizeof(uint16_t) + len;
            if (len > GOFER_NAME_MAX || used + need > room) {
                full = true;
                break;
            }
            struct gofer_dirent d = {.ino = hd.ino, .next = (uint64_t)hd.off, .type = hd.type};
            gofer_put(rep, &d, sizeof(d));
            gofer_put_str(rep, name, len);
            used += need;
            gr.count++;
        }
        if (gr.count > 0)
            break; /* the rest next time, from the last entry's cookie */
    }
    if (full && gr.count == 0)
        return -EINVAL; /* Linux: the buffer cannot hold one entry */
    patch_fixed(rep, fixed_at, &gr, sizeof(gr));
    return 0;
}

static int op_statfs(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd)
{
    (void)out_fd;
    struct gofer_handle *h = req_handle(s, req);
    if (!h)
        return -EBADF;
    struct statfs sf;
    if (fstatfs(h->fd, &sf) != 0)
        return -errno;
    uint64_t fsid;
    memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
    struct gofer_statfs_rep r = {
        .type = (uint64_t)sf.f_type,
        .bsize = (uint64_t)sf.f_bsize,
        .blocks = sf.f_blocks,
        .bfree = sf.f_bfree,
        .bavail = sf.f_bavail,
        .files = sf.f_files,
        .ffree = sf.f_ffree,
        .fsid = fsid,
        .namelen = (uint64_t)sf.f_namelen,
        .frsize = (uint64_t)sf.f_frsize,
        .flags = (uint64_t)sf.f_flags,
    };
    gofer_put(rep, &r, sizeof(r));
    return 0;
}

static int op_close(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd)
{
    (void)rep;
    (void)out_fd;
    if (req->count == 0)
        return -EINVAL;
    int r = 0;
    struct gofer_cursor c = gofer_list(req);
    uint64_t id;
    while (gofer_next_u64(&c, &id) == 0) {
        int32_t slot;
        if (gofer_lookup(s, id, &slot))
            ht_release(&s->ht, slot);
        else
            r = -EBADF;
    }
    return r;
}

static const gofer_handler handlers[GOFER_OP_COUNT] = {
    [GOFER_OP_ATTACH] = op_attach,       [GOFER_OP_WALK] = op_walk,
    [GOFER_OP_STAT] = op_stat,           [GOFER_OP_OPEN] = op_open,
    [GOFER_OP_CREATE] = gofer_op_create, [GOFER_OP_MKDIR] = gofer_op_mkdir,
    [GOFER_OP_MKNOD] = gofer_op_mknod,   [GOFER_OP_SYMLINK] = gofer_op_symlink,
    [GOFER_OP_LINK] = gofer_op_link,     [GOFER_OP_UNLINK] = gofer_op_unlink,
    [GOFER_OP_RENAME] = gofer_op_rename, [GOFER_OP_READLINK] = op_readlink,
    [GOFER_OP_GETDENTS] = op_getdents,   [GOFER_OP_SETATTR] = gofer_op_setattr,
    [GOFER_OP_STATFS] = op_statfs,       [GOFER_OP_CLOSE] = op_close,
};

/* ---- The server ---- */

struct gofer_server *gofer_server_new(const struct gofer_mount *mounts, int nmounts)
{
    struct gofer_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->mounts = mounts;
    s->nmounts = nmounts;
    ht_init(&s->ht, GOFER_HANDLES_MAX);
    return s;
}

void gofer_server_free(struct gofer_server *s)
{
    if (!s)
        return;
    ht_destroy(&s->ht);
    free(s);
}

uint32_t gofer_server_handles(const struct gofer_server *s)
{
    return s->ht.live;
}

size_t gofer_handle_message(struct gofer_server *s, const void *req, size_t len, void *rep,
                            int *out_fd)
{
    *out_fd = -1;
    struct gofer_msg m;
    int r = gofer_decode(req, len, GOFER_REQUEST, &m);
    if (r < 0)
        return gofer_encode_error(rep, m.hdr.tag, -r);
    gofer_handler h = handlers[m.hdr.op];
    if (!h)
        return gofer_encode_error(rep, m.hdr.tag, ENOSYS);
    struct gofer_buf b;
    gofer_begin(&b, rep, GOFER_MSG_MAX, m.hdr.op, m.hdr.tag);
    r = h(s, &m, &b, out_fd);
    long n = r < 0 ? r : gofer_end(&b);
    if (n < 0) {
        if (*out_fd >= 0)
            close(*out_fd);
        *out_fd = -1;
        return gofer_encode_error(rep, m.hdr.tag, (int)-n);
    }
    return (size_t)n;
}

/* After recvmsg returned 0: the peer closed, or sent an empty message. */
static bool peer_closed(int sock)
{
    struct pollfd p = {.fd = sock, .events = POLLIN | POLLRDHUP};
    struct timespec zero = {0, 0};
    if (ppoll(&p, 1, &zero, NULL) < 0)
        return true;
    return (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

static int send_reply(int sock, const void *buf, size_t len, int fd)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int gofer_serve(int sock, const struct gofer_mount *mounts, int nmounts)
{
    struct gofer_server *s = gofer_server_new(mounts, nmounts);
    /* One byte more than the largest message, so an oversized one shows. */
    uint8_t *req = malloc(GOFER_MSG_MAX + 1);
    uint8_t *rep = malloc(GOFER_MSG_MAX);
    int r = 0;
    if (!s || !req || !rep) {
        r = -ENOMEM;
        goto out;
    }
    for (;;) {
        struct iovec iov = {.iov_base = req, .iov_len = GOFER_MSG_MAX + 1};
        /* No control buffer: fds a client sends are discarded by the kernel. */
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(sock, &mh, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        if (n == 0 && peer_closed(sock))
            break;
        int fd;
        size_t len = gofer_handle_message(s, req, (size_t)n, rep, &fd);
        r = send_reply(sock, rep, len, fd);
        if (fd >= 0)
            close(fd);
        if (r == -EPIPE || r == -ECONNRESET) {
            r = 0; /* the client is gone */
            break;
        }
        if (r < 0)
            break;
    }
out:
    free(req);
    free(rep);
    gofer_server_free(s);
    return r;
}
