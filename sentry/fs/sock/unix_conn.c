/* AF_UNIX names and connections (Linux's af_unix.c): bind (autobind,
 * abstract names, filesystem names as S_IFSOCK inodes), the name table,
 * datagram connect/disconnect, listen, stream and seqpacket connect, and
 * accept. See unix.h.
 *
 * The name table is a list of bound sockets: abstract names are matched
 * by bytes and socket type (Linux hashes the type into the name), paths by
 * the inode the walk finds. A bound socket holds its path, as Linux, so an
 * unlinked socket file stops being reachable while the socket lives on.
 *
 * Lock order: the kernel lock; connect and accept sleep on the listener's
 * queues with it dropped. */
#include <stdio.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/sock/unix_impl.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define SUN_PATH_OFFSET ((int)__builtin_offsetof(struct linux_sockaddr_un, sun_path))

static struct unix_sock *bound_list;
static unsigned autobind_next;

int unix_validate_addr(const struct linux_sockaddr_un *sun, int addrlen)
{
    if (addrlen <= SUN_PATH_OFFSET || addrlen > (int)sizeof(*sun))
        return -LINUX_EINVAL;
    if (sun->sun_family != LINUX_AF_UNIX)
        return -LINUX_EINVAL;
    return 0;
}

/* Linux's unix_mkname_bsd: the path ends at a NUL or at addrlen. Fills
 * path (sizeof(sun_path) + 1 bytes) and returns the address length a
 * socket bound there reports (family, path, NUL). */
static int mkname_bsd(const struct linux_sockaddr_un *sun, int addrlen, char *path)
{
    size_t n = (size_t)(addrlen - SUN_PATH_OFFSET);
    memcpy(path, sun->sun_path, n);
    path[n] = '\0';
    return SUN_PATH_OFFSET + (int)strlen(path) + 1;
}

static void table_add(struct unix_sock *u)
{
    u->bound = true;
    u->bound_next = bound_list;
    bound_list = u;
}

void unix_unbind(struct unix_sock *u)
{
    if (u->bound) {
        struct unix_sock **pp = &bound_list;
        while (*pp != u)
            pp = &(*pp)->bound_next;
        *pp = u->bound_next;
        u->bound = false;
    }
    if (u->path.dentry)
        path_put(&u->path);
    u->path = (struct path){0};
}

static struct unix_sock *find_abstract(const struct linux_sockaddr_un *sun, int addrlen, int type)
{
    for (struct unix_sock *u = bound_list; u; u = u->bound_next) {
        if (!u->path.dentry && u->type == type && u->addrlen == addrlen &&
            memcmp(&u->addr, sun, (size_t)addrlen) == 0)
            return u;
    }
    return NULL;
}

static struct unix_sock *find_inode(const struct inode *ino)
{
    for (struct unix_sock *u = bound_list; u; u = u->bound_next) {
        if (u->path.dentry && u->path.dentry->inode == ino)
            return u;
    }
    return NULL;
}

int unix_find_other(struct task *t, const struct linux_sockaddr_un *sun, int addrlen, int type,
                    struct unix_sock **out_other)
{
    struct unix_sock *other;
    if (!sun->sun_path[0]) {
        other = find_abstract(sun, addrlen, type);
        if (!other)
            return -LINUX_ECONNREFUSED;
    } else {
        char path[sizeof(sun->sun_path) + 1];
        mkname_bsd(sun, addrlen, path);
        struct path p;
        int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, &p);
        if (err)
            return err;
        struct inode *ino = p.dentry->inode;
        err = vfs_permission(&t->cred, ino, VFS_MAY_WRITE);
        if (!err && (ino->attr.mode & LINUX_S_IFMT) != LINUX_S_IFSOCK)
            err = -LINUX_ECONNREFUSED;
        other = err ? NULL : find_inode(ino);
        if (!err && !other)
            err = -LINUX_ECONNREFUSED;
        if (!err && other->type != type)
            err = -LINUX_EPROTOTYPE;
        path_put(&p);
        if (err)
            return err;
    }
    usock_get(other);
    *out_other = other;
    return 0;
}

/* --- bind --- */

int unix_autobind(struct unix_sock *u)
{
    if (u->addrlen)
        return 0;
    struct linux_sockaddr_un sun = {.sun_family = LINUX_AF_UNIX};
    int len = SUN_PATH_OFFSET + 6; /* NUL and five hex digits */
    for (unsigned tries = 0; tries <= 0xFFFFF; tries++) {
        autobind_next = (autobind_next + 1) & 0xFFFFF;
        char name[8];
        snprintf(name, sizeof(name), "%05x", autobind_next);
        sun.sun_path[0] = '\0';
        memcpy(sun.sun_path + 1, name, 5);
        if (!find_abstract(&sun, len, u->type)) {
            u->addr = sun;
            u->addrlen = len;
            table_add(u);
            return 0;
        }
    }
    return -LINUX_ENOSPC;
}

static int bind_abstract(struct unix_sock *u, const struct linux_sockaddr_un *sun, int addrlen)
{
    if (u->addrlen)
        return -LINUX_EINVAL;
    if (find_abstract(sun, addrlen, u->type))
        return -LINUX_EADDRINUSE;
    memset(&u->addr, 0, sizeof(u->addr));
    memcpy(&u->addr, sun, (size_t)addrlen);
    u->addrlen = addrlen;
    table_add(u);
    return 0;
}

/* Linux's unix_bind_bsd: makes the S_IFSOCK inode (mode 0777 less the
 * umask), then takes the name; an already named socket unlinks it again. */
static int bind_bsd(struct task *t, struct unix_sock *u, const struct linux_sockaddr_un *sun,
                    int addrlen)
{
    char path[sizeof(sun->sun_path) + 1];
    int len = mkname_bsd(sun, addrlen, path);
    int err = vfs_mknod(t, LINUX_AT_FDCWD, path, LINUX_S_IFSOCK | 0777, 0);
    if (err)
        return err == -LINUX_EEXIST ? -LINUX_EADDRINUSE : err;
    struct path p = {0};
    if (u->addrlen)
        err = -LINUX_EINVAL;
    else
        err = vfs_walk(t, LINUX_AT_FDCWD, path, 0, &p);
    if (err) {
        vfs_unlink(t, LINUX_AT_FDCWD, path, 0);
        return err;
    }
    memset(&u->addr, 0, sizeof(u->addr));
    u->addr.sun_family = LINUX_AF_UNIX;
    memcpy(u->addr.sun_path, path, strlen(path));
    u->addrlen = len;
    u->path = p;
    table_add(u);
    return 0;
}

int unix_bind(struct file *f, const void *addr, int addrlen)
{
    struct unix_sock *u = f->priv;
    const struct linux_sockaddr_un *sun = addr;
    if (addrlen == SUN_PATH_OFFSET && sun->sun_family == LINUX_AF_UNIX)
        return unix_autobind(u);
    int err = unix_validate_addr(sun, addrlen);
    if (err)
        return err;
    if (sun->sun_path[0])
        return bind_bsd(task_current(), u, sun, addrlen);
    return bind_abstract(u, sun, addrlen);
}

/* --- connections --- */

int unix_listen(struct file *f, int backlog)
{
    struct unix_sock *u = f->priv;
    if (u->type != LINUX_SOCK_STREAM && u->type != LINUX_SOCK_SEQPACKET)
        return -LINUX_EOPNOTSUPP;
    if (!u->addrlen)
        return -LINUX_EINVAL; /* no listens on an unbound socket */
    if (u->state != UNIX_CLOSE && u->state != UNIX_LISTEN)
        return -LINUX_EINVAL;
    if ((unsigned)backlog > u->max_backlog)
        waitqueue_wake_all(&u->peer_wait);
    u->max_backlog = (unsigned)backlog;
    u->state = UNIX_LISTEN;
    /* Connectors copy the listener's credentials. */
    usock_init_peercred(u, task_current());
    return 0;
}

static int unix_dgram_connect(struct task *t, struct unix_sock *u,
                              const struct linux_sockaddr_un *sun, int addrlen)
{
    if (addrlen < (int)sizeof(sun->sun_family))
        return -LINUX_EINVAL;
    if (sun->sun_family == LINUX_AF_UNSPEC) {
        /* 1003.1g: breaking the connection with AF_UNSPEC. */
        unix_dgram_set_peer(u, NULL);
        return 0;
    }
    int err = unix_validate_addr(sun, addrlen);
    if (err)
        return err;
    if (u->passcred && !u->addrlen) {
        err = unix_autobind(u);
        if (err)
            return err;
    }
    struct unix_sock *other;
    err = unix_find_other(t, sun, addrlen, u->type, &other);
    if (err)
        return err;
    if (other->peer && other->peer != u) { /* !unix_may_send */
        usock_put(other);
        return -LINUX_EPERM;
    }
    u->state = UNIX_ESTABLISHED;
    other->state = UNIX_ESTABLISHED;
    unix_dgram_set_peer(u, other);
    usock_put(other);
    return 0;
}

static bool backlog_ready(void *arg)
{
    struct unix_sock *l = arg;
    return l->dead || l->state != UNIX_LISTEN || (l->shutdown & UNIX_RCV_SHUTDOWN) ||
           !usock_recvq_full(l);
}

/* Linux's unix_stream_connect: a new socket (the "embryo") joins the
 * listener's accept queue, connected back to back with u. */
static int unix_stream_connect(struct task *t, struct file *f, struct unix_sock *u,
                               const struct linux_sockaddr_un *sun, int addrlen)
{
    int err = unix_validate_addr(sun, addrlen);
    if (err)
        return err;
    if (u->passcred && !u->addrlen) {
        err = unix_autobind(u);
        if (err)
            return err;
    }
    struct sock_wait w;
    usock_wait_init(&w, u->sndtimeo, f->flags & LINUX_O_NONBLOCK);
    struct unix_sock *newsk = usock_alloc(u->type);
    if (!newsk)
        return -LINUX_ENOMEM;
    struct unix_sock *other;
    for (;;) {
        err = unix_find_other(t, sun, addrlen, u->type, &other);
        if (err)
            goto out;
        err = -LINUX_ECONNREFUSED;
        if (other->state != UNIX_LISTEN || (other->shutdown & UNIX_RCV_SHUTDOWN))
            goto out_put;
        if (!usock_recvq_full(other))
            break;
        err = -LINUX_EAGAIN;
        if (!w.timeo)
            goto out_put;
        err = usock_sleep(&other->peer_wait, &w, backlog_ready, other);
        usock_put(other);
        if (err)
            goto out;
    }
    if (u->state != UNIX_CLOSE) {
        err = u->state == UNIX_ESTABLISHED ? -LINUX_EISCONN : -LINUX_EINVAL;
        goto out_put;
    }
    /* The way is open. */
    newsk->peer = u;
    usock_get(u);
    newsk->state = UNIX_ESTABLISHED;
    usock_init_peercred(newsk, t);
    newsk->addr = other->addr;
    newsk->addrlen = other->addrlen;
    if (other->path.dentry) {
        newsk->path = other->path;
        path_get(&newsk->path);
    }
    u->peercred = other->peercred;
    u->state = UNIX_ESTABLISHED;
    u->peer = newsk;
    usock_get(newsk);
    /* The accept queue takes the creation reference. */
    newsk->accept_next = NULL;
    *other->accept_tail = newsk;
    other->accept_tail = &newsk->accept_next;
    other->accept_len++;
    waitqueue_wake_all(&other->wq);
    usock_put(other);
    return 0;

out_put:
    usock_put(other);
out:
    usock_put(newsk);
    return err;
}

int unix_connect(struct file *f, const void *addr, int addrlen)
{
    struct unix_sock *u = f->priv;
    if (u->type == LINUX_SOCK_DGRAM)
        return unix_dgram_connect(task_current(), u, addr, addrlen);
    return unix_stream_connect(task_current(), f, u, addr, addrlen);
}

static bool accept_ready(void *arg)
{
    struct unix_sock *u = arg;
    return u->accept_head || u->err || (u->shutdown & UNIX_RCV_SHUTDOWN) || u->state != UNIX_LISTEN;
}

int unix_accept(struct file *f, int flags, struct file **out_file)
{
    struct unix_sock *u = f->priv;
    if (u->type != LINUX_SOCK_STREAM && u->type != LINUX_SOCK_SEQPACKET)
        return -LINUX_EOPNOTSUPP;
    if (u->state != UNIX_LISTEN)
        return -LINUX_EINVAL;
    /* skb_recv_datagram on the listener, with its SO_RCVTIMEO. */
    struct sock_wait w;
    usock_wait_init(&w, u->rcvtimeo, f->flags & LINUX_O_NONBLOCK);
    for (;;) {
        int err = -u->err;
        u->err = 0;
        if (err)
            return err;
        if (u->accept_head)
            break;
        if (!w.timeo)
            return -LINUX_EAGAIN;
        if ((u->shutdown & UNIX_RCV_SHUTDOWN) || u->state != UNIX_LISTEN)
            return -LINUX_EINVAL;
        err = usock_sleep(&u->wq, &w, accept_ready, u);
        if (err)
            return err;
    }
    struct unix_sock *newsk = u->accept_head;
    u->accept_head = newsk->accept_next;
    if (!u->accept_head)
        u->accept_tail = &u->accept_head;
    u->accept_len--;
    newsk->accept_next = NULL;
    waitqueue_wake_all(&u->peer_wait);
    int err = usock_file_new(task_current(), newsk, flags & LINUX_O_NONBLOCK, out_file);
    if (err) {
        newsk->accept_next = u->accept_head;
        u->accept_head = newsk;
        if (!newsk->accept_next)
            u->accept_tail = &newsk->accept_next;
        u->accept_len++;
    }
    return err;
}

void unix_accept_undo(struct file *listener, struct file *newf)
{
    struct unix_sock *u = listener->priv;
    struct unix_sock *newsk = newf->priv;
    newf->priv = NULL; /* the reference goes back to the accept queue */
    newsk->has_file = false;
    newsk->accept_next = u->accept_head;
    u->accept_head = newsk;
    if (!newsk->accept_next)
        u->accept_tail = &newsk->accept_next;
    u->accept_len++;
    file_put(newf);
}
