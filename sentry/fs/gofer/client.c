/* The sentry's gofer client: encode a request, one round trip on the
 * socket, decode the reply (gofer/proto.c does both ends' bytes).
 *
 * Lock order: c->lock is a leaf; it is held for a whole call (the request
 * and reply buffers are the client's) and never with the kernel lock. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/gofer/client.h"

struct gofer_client {
    pthread_mutex_t lock;
    int sock;
    uint32_t next_tag;
    bool dead; /* the gofer is gone or broke the protocol: every call is -EIO */
    uint8_t req[GOFER_MSG_MAX];
    uint8_t rep[GOFER_MSG_MAX];
};

struct gofer_client *gofer_client_new(int sock)
{
    struct gofer_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->sock = sock;
    c->next_tag = 1;
    return c;
}

void gofer_client_free(struct gofer_client *c)
{
    if (!c)
        return;
    close(c->sock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Marks the client dead; returns -EIO. */
static int broken(struct gofer_client *c)
{
    c->dead = true;
    return -LINUX_EIO;
}

static void begin(struct gofer_client *c, struct gofer_buf *b, uint16_t op)
{
    uint32_t tag = c->next_tag++;
    gofer_begin(b, c->req, sizeof(c->req), op, tag);
}

/* Receives one reply; *out_fd gets a donated fd or -1 (extra fds are
 * closed). Returns the reply's size or -EIO. */
static long recv_reply(struct gofer_client *c, int *out_fd)
{
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = c->rep, .iov_len = sizeof(c->rep)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    ssize_t n;
    do {
        n = recvmsg(c->sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    *out_fd = -1;
    /* Even for an empty reply: its fds are taken, then closed below. */
    if (n >= 0 && mh.msg_controllen > 0) {
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                continue;
            size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < nfds; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
                if (*out_fd < 0)
                    *out_fd = fd;
                else
                    close(fd);
            }
        }
    }
    if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (*out_fd >= 0)
            close(*out_fd);
        *out_fd = -1;
        return broken(c);
    }
    return n;
}

/* Sends the request in b, waits for its reply and decodes it into
 * out_rep. want_fd: the reply must carry an fd (*out_fd), else any fd is
 * closed. Returns 0, the gofer's -errno, or -EIO. Call with c->lock. */
static int call(struct gofer_client *c, struct gofer_buf *b, struct gofer_msg *out_rep, int *out_fd)
{
    if (c->dead)
        return -LINUX_EIO;
    long len = gofer_end(b);
    if (len < 0)
        return (int)len; /* the request does not fit the protocol */
    struct gofer_hdr req;
    memcpy(&req, b->data, sizeof(req));

    ssize_t sent;
    do {
        /* sendmsg, not send (sendto): the one the sentry's filter allows. */
        struct iovec iov = {.iov_base = b->data, .iov_len = (size_t)len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        sent = sendmsg(c->sock, &mh, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent != len)
        return broken(c);

    int fd;
    long n = recv_reply(c, &fd);
    if (n < 0)
        return (int)n;
    int r;
    if (gofer_decode(c->rep, (size_t)n, GOFER_REPLY, out_rep) != 0 || out_rep->hdr.tag != req.tag ||
        (out_rep->hdr.op != req.op && out_rep->hdr.op != GOFER_OP_ERROR)) {
        r = broken(c);
    } else if (out_rep->hdr.op == GOFER_OP_ERROR) {
        uint32_t e = out_rep->u.error.error;
        r = e == 0 || e > 4095 ? broken(c) : -(int)e;
    } else if (out_fd && fd < 0) {
        r = broken(c); /* a successful open without an fd */
    } else {
        r = 0;
    }
    if (r == 0 && out_fd) {
        *out_fd = fd;
        fd = -1;
    }
    if (fd >= 0)
        close(fd);
    return r;
}

static void put_name(struct gofer_buf *b, const char *name)
{
    gofer_put_str(b, name, strlen(name));
}

/* The round trip of an op whose request is a fixed part and up to two
 * strings: encodes it, calls, decodes the reply into *m. Call with
 * c->lock (m's strings point into c->rep). */
static int request(struct gofer_client *c, uint16_t op, const void *fixed, size_t size,
                   const char *s0, const char *s1, struct gofer_msg *m, int *out_fd)
{
    struct gofer_buf b;
    begin(c, &b, op);
    gofer_put(&b, fixed, size);
    if (s0)
        put_name(&b, s0);
    if (s1)
        put_name(&b, s1);
    return call(c, &b, m, out_fd);
}

int gofer_attach(struct gofer_client *c, uint32_t mount, struct gofer_handle_stat *out_root,
                 uint32_t *out_mount_flags)
{
    struct gofer_attach_req a = {.mount = mount, .pad = 0};
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, GOFER_OP_ATTACH, &a, sizeof(a), NULL, NULL, &m, NULL);
    if (r == 0) {
        out_root->handle = m.u.attach_rep.handle;
        out_root->stat = m.u.attach_rep.stat;
        if (out_mount_flags)
            *out_mount_flags = m.u.attach_rep.mount_flags;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_walk(struct gofer_client *c, uint64_t dir, unsigned count, const char *const *names,
               struct gofer_handle_stat *out, unsigned *out_walked, int *out_err)
{
    if (count == 0 || count > GOFER_WALK_MAX)
        return -LINUX_EINVAL;
    struct gofer_walk_req w = {.dir = dir, .count = count, .pad = 0};
    struct gofer_buf b;
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    begin(c, &b, GOFER_OP_WALK);
    gofer_put(&b, &w, sizeof(w));
    for (unsigned i = 0; i < count; i++)
        put_name(&b, names[i]);
    int r = call(c, &b, &m, NULL);
    if (r == 0) {
        const struct gofer_walk_rep *wr = &m.u.walk_rep;
        if (wr->count > count || (wr->error != 0 && wr->count == count) || wr->error > 4095) {
            r = broken(c);
        } else {
            struct gofer_cursor cur = gofer_list(&m);
            for (unsigned i = 0; i < wr->count; i++)
                gofer_next_handle_stat(&cur, &out[i]);
            *out_walked = wr->count;
            *out_err = -(int)wr->error;
            /* A walk cut short without an error must end at a symlink. */
            if (wr->count < count && wr->error == 0 &&
                (wr->count == 0 || (out[wr->count - 1].stat.mode & LINUX_S_IFMT) != LINUX_S_IFLNK))
                r = broken(c);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

/* One handle in, one fixed part out: STAT, STATFS. */
static int handle_call(struct gofer_client *c, uint16_t op, uint64_t handle, void *out, size_t size)
{
    struct gofer_handle_req h = {.handle = handle};
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, op, &h, sizeof(h), NULL, NULL, &m, NULL);
    if (r == 0)
        memcpy(out, m.u.raw, size);
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_stat(struct gofer_client *c, uint64_t handle, struct gofer_stat *out_stat)
{
    return handle_call(c, GOFER_OP_STAT, handle, out_stat, sizeof(*out_stat));
}

int gofer_statfs(struct gofer_client *c, uint64_t handle, struct gofer_statfs_rep *out_statfs)
{
    return handle_call(c, GOFER_OP_STATFS, handle, out_statfs, sizeof(*out_statfs));
}

int gofer_open(struct gofer_client *c, uint64_t handle, uint32_t flags, int *out_fd)
{
    struct gofer_open_req o = {.handle = handle, .flags = flags, .pad = 0};
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, GOFER_OP_OPEN, &o, sizeof(o), NULL, NULL, &m, out_fd);
    pthread_mutex_unlock(&c->lock);
    return r;
}

/* The ops that make a file: request fixed part + strings -> handle and
 * stat (+ fd for CREATE). */
static int new_call(struct gofer_client *c, uint16_t op, const void *fixed, size_t size,
                    const char *s0, const char *s1, struct gofer_handle_stat *out_new, int *out_fd)
{
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, op, fixed, size, s0, s1, &m, out_fd);
    if (r == 0 && out_new)
        *out_new = m.u.handle_stat;
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags,
                 uint32_t mode, uint32_t uid, uint32_t gid, struct gofer_handle_stat *out_new,
                 int *out_fd)
{
    struct gofer_create_req q = {.dir = dir, .flags = flags, .mode = mode, .uid = uid, .gid = gid};
    return new_call(c, GOFER_OP_CREATE, &q, sizeof(q), name, NULL, out_new, out_fd);
}

int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, struct gofer_handle_stat *out_new)
{
    struct gofer_mknod_req q = {.dir = dir, .mode = mode, .uid = uid, .gid = gid, .pad = 0};
    return new_call(c, GOFER_OP_MKDIR, &q, sizeof(q), name, NULL, out_new, NULL);
}

int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, struct gofer_handle_stat *out_new)
{
    struct gofer_mknod_req q = {.dir = dir, .mode = mode, .uid = uid, .gid = gid, .pad = 0};
    return new_call(c, GOFER_OP_MKNOD, &q, sizeof(q), name, NULL, out_new, NULL);
}

int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                  uint32_t uid, uint32_t gid, struct gofer_handle_stat *out_new)
{
    struct gofer_symlink_req q = {.dir = dir, .uid = uid, .gid = gid};
    return new_call(c, GOFER_OP_SYMLINK, &q, sizeof(q), name, target, out_new, NULL);
}

int gofer_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target,
               struct gofer_handle_stat *out_new)
{
    struct gofer_link_req q = {.dir = dir, .target = target};
    return new_call(c, GOFER_OP_LINK, &q, sizeof(q), name, NULL, out_new, NULL);
}

/* Ops whose reply is empty. */
static int plain_call(struct gofer_client *c, uint16_t op, const void *fixed, size_t size,
                      const char *s0, const char *s1)
{
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, op, fixed, size, s0, s1, &m, NULL);
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags)
{
    struct gofer_unlink_req q = {.dir = dir, .flags = flags, .pad = 0};
    return plain_call(c, GOFER_OP_UNLINK, &q, sizeof(q), name, NULL);
}

int gofer_rename(struct gofer_client *c, uint64_t olddir, const char *oldname, uint64_t newdir,
                 const char *newname, uint32_t flags)
{
    struct gofer_rename_req q = {.olddir = olddir, .newdir = newdir, .flags = flags, .pad = 0};
    return plain_call(c, GOFER_OP_RENAME, &q, sizeof(q), oldname, newname);
}

int gofer_readlink(struct gofer_client *c, uint64_t handle, char *buf, size_t size, size_t *out_len)
{
    struct gofer_handle_req h = {.handle = handle};
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, GOFER_OP_READLINK, &h, sizeof(h), NULL, NULL, &m, NULL);
    if (r == 0) {
        size_t n = m.str[0].len < size ? m.str[0].len : size;
        memcpy(buf, m.str[0].ptr, n);
        if (n < size)
            buf[n] = '\0';
        *out_len = n;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_getdents(struct gofer_client *c, uint64_t dir, uint64_t offset,
                   struct gofer_dirent_entry *out, unsigned max, unsigned *out_count)
{
    if (max == 0)
        return -LINUX_EINVAL;
    /* Enough bytes for max entries of the longest name, within a message. */
    uint64_t want = (uint64_t)max * (sizeof(struct gofer_dirent) + 2 + GOFER_NAME_MAX);
    uint32_t room = GOFER_MSG_MAX - sizeof(struct gofer_hdr) - sizeof(struct gofer_getdents_rep);
    struct gofer_getdents_req q = {
        .dir = dir, .offset = offset, .size = want < room ? (uint32_t)want : room, .pad = 0};
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, GOFER_OP_GETDENTS, &q, sizeof(q), NULL, NULL, &m, NULL);
    if (r == 0) {
        struct gofer_cursor cur = gofer_list(&m);
        unsigned n = 0;
        for (; n < m.count && n < max; n++) {
            struct gofer_dirent d;
            struct gofer_str name;
            gofer_next_dirent(&cur, &d, &name);
            out[n].ino = d.ino;
            out[n].next = d.next;
            out[n].type = (uint8_t)d.type;
            out[n].namelen = (uint16_t)name.len;
            memcpy(out[n].name, name.ptr, name.len);
            out[n].name[name.len] = '\0';
        }
        *out_count = n;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_setattr(struct gofer_client *c, uint64_t handle, const struct gofer_attr *attr,
                  struct gofer_stat *out_stat)
{
    struct gofer_setattr_req q = {
        .handle = handle,
        .mask = attr->mask,
        .mode = attr->mode,
        .uid = attr->uid,
        .gid = attr->gid,
        .size = attr->size,
        .atime = attr->atime,
        .mtime = attr->mtime,
    };
    struct gofer_msg m;
    pthread_mutex_lock(&c->lock);
    int r = request(c, GOFER_OP_SETATTR, &q, sizeof(q), NULL, NULL, &m, NULL);
    if (r == 0 && out_stat)
        *out_stat = m.u.stat_rep.stat;
    pthread_mutex_unlock(&c->lock);
    return r;
}

int gofer_close(struct gofer_client *c, const uint64_t *handles, size_t count)
{
    int result = 0;
    while (count > 0) {
        uint32_t n = count < GOFER_CLOSE_MAX ? (uint32_t)count : GOFER_CLOSE_MAX;
        struct gofer_close_req q = {.count = n, .pad = 0};
        struct gofer_buf b;
        struct gofer_msg m;
        pthread_mutex_lock(&c->lock);
        begin(c, &b, GOFER_OP_CLOSE);
        gofer_put(&b, &q, sizeof(q));
        for (uint32_t i = 0; i < n; i++)
            gofer_put_u64(&b, handles[i]);
        int r = call(c, &b, &m, NULL);
        pthread_mutex_unlock(&c->lock);
        if (r == -LINUX_EIO)
            return r;
        if (r < 0)
            result = r;
        handles += n;
        count -= n;
    }
    return result;
}
