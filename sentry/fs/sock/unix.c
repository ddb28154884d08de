/* AF_UNIX sockets: the socket object, its receive queue, sending and
 * receiving for the three types, shutdown and poll (see unix.h). Follows Linux's net/unix/af_unix.c
 * and net/core/sock.c closely, so that byte counts, flow control, the order of error checks and
 * errno values match; unix_conn.c has naming and connections (bind, listen, connect, accept),
 * unix_opt.c the socket options.
 *
 * Lifetimes: a unix_sock is reference counted. Its file holds one
 * reference, the peer pointer of its peer another, each queued buffer one
 * on its sender (the buffer is charged to the sender's wmem until freed,
 * Linux's skb->sk), a listener's accept queue one on each pending
 * connection. Releasing the file (unix_release_sock) detaches the socket:
 * the peer of a stream or seqpacket socket sees EOF and EPIPE, its own
 * queue is purged (which puts the files in flight there).
 *
 * Not implemented: garbage collection of files in flight that only
 * reference each other (Linux's unix_gc: a socket sent over itself leaks
 * until the sandbox ends), MSG_OOB on streams (EOPNOTSUPP, as Linux without
 * CONFIG_AF_UNIX_OOB), SO_PASSPIDFD/SO_PEERPIDFD and
 * SCM_PIDFD, the per-user limit of files in flight (ETOOMANYREFS).
 *
 * Lock order: the kernel lock only; blocking drops it in waitqueue_wait.
 * TODO(threads): file read/write ops receive iovecs translated before the
 * call (see pipe.c); sendmsg/recvmsg copy at the time of the copy. */
#include "sentry/fs/sock/unix_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/ioctl.h"
#include "abi/linux/poll.h"
#include "abi/linux/signal.h"
#include "abi/linux/stat.h"
#include "lib/panic.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* The skb geometry behind Linux's memory accounting (x86_64, 4 KiB
 * pages): a buffer's truesize is its kmalloc'ed head (data aligned to 64
 * bytes plus struct skb_shared_info) plus struct sk_buff plus its page
 * fragments. */
#define SKB_SHINFO_SIZE 320
#define SKB_STRUCT_SIZE 256
#define SKB_MAX_HEAD0 (4096 - SKB_SHINFO_SIZE)  /* SKB_MAX_HEAD(0) */
#define SKB_MAX_ALLOC (16384 - SKB_SHINFO_SIZE) /* SKB_MAX_ORDER(0, 2) */
#define UNIX_SKB_FRAGS_SZ 32768
#define SKB_MAX_FRAGS 17
#define UNIX_STREAM_SKB_MAX (SKB_MAX_HEAD0 + UNIX_SKB_FRAGS_SZ)

/* overflowuid/gid: the ids of a message sent without credentials. */
#define OVERFLOW_ID 65534

static struct superblock *sockfs_sb;

/* --- application data --- */

void sock_data_init_user(struct sock_data *d, struct mm *mm, const struct linux_iovec *uiov,
                         int count)
{
    *d = (struct sock_data){.mm = mm, .uiov = uiov, .count = count};
    for (int i = 0; i < count; i++)
        d->left += uiov[i].iov_len;
}

void sock_data_init_kernel(struct sock_data *d, const struct iovec *iov, int count)
{
    *d = (struct sock_data){.iov = iov, .count = count, .left = iov_total(iov, count)};
}

/* Moves up to size bytes between buf and the data (to_app: into the
 * application's buffers). Returns the bytes moved: fewer than asked only
 * at a fault in application memory. */
static size_t sd_copy(struct sock_data *d, void *buf, size_t size, bool to_app)
{
    size_t done = 0;
    if (size > d->left)
        size = d->left;
    while (done < size) {
        size_t seg = d->mm ? d->uiov[d->i].iov_len : d->iov[d->i].iov_len;
        size_t n = seg - d->off;
        if (n == 0) {
            d->i++;
            d->off = 0;
            continue;
        }
        if (n > size - done)
            n = size - done;
        size_t got;
        if (d->mm) {
            uaddr_t at = d->uiov[d->i].iov_base + d->off;
            got = to_app ? copy_out_partial(d->mm, at, (char *)buf + done, n)
                         : copy_in_partial(d->mm, (char *)buf + done, at, n);
        } else {
            char *p = (char *)d->iov[d->i].iov_base + d->off;
            if (to_app)
                memcpy(p, (char *)buf + done, n);
            else
                memcpy((char *)buf + done, p, n);
            got = n;
        }
        d->off += got;
        done += got;
        d->left -= got;
        if (got < n)
            break;
    }
    return done;
}

/* --- buffers (Linux's skbs) --- */

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* What kmalloc hands out for n bytes: its caches up to 8 KiB, then
 * power-of-two page runs. */
static size_t kmalloc_size(size_t n)
{
    static const size_t caches[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
    for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
        if (n <= caches[i])
            return caches[i];
    }
    size_t p = 4096;
    while (p < n)
        p <<= 1;
    return p;
}

static size_t skb_truesize(size_t linear, size_t frags)
{
    return kmalloc_size(align64(linear) + SKB_SHINFO_SIZE) + SKB_STRUCT_SIZE + page_round_up(frags);
}

/* A stream buffer of size bytes: what fits a page head, the rest in page
 * fragments (unix_stream_sendmsg). */
static size_t stream_truesize(size_t size)
{
    size_t data_len = size > SKB_MAX_HEAD0 ? page_round_up(size - SKB_MAX_HEAD0) : 0;
    if (data_len > size)
        data_len = size;
    return skb_truesize(size - data_len, data_len);
}

/* A datagram of len bytes (unix_dgram_sendmsg). */
static size_t dgram_truesize(size_t len)
{
    size_t data_len = 0;
    if (len > SKB_MAX_ALLOC) {
        data_len = len - SKB_MAX_ALLOC;
        if (data_len > SKB_MAX_FRAGS * 4096)
            data_len = SKB_MAX_FRAGS * 4096;
        data_len = page_round_up(data_len);
    }
    return skb_truesize(len - data_len, data_len);
}

/* A buffer of len bytes charged to sender. NULL: out of memory. */
static struct unix_skb *skb_alloc(struct unix_sock *sender, size_t len, size_t truesize)
{
    struct unix_skb *skb = calloc(1, sizeof(*skb));
    if (!skb)
        return NULL;
    if (len && !(skb->data = malloc(len))) {
        free(skb);
        return NULL;
    }
    skb->len = len;
    skb->truesize = truesize;
    skb->sender = sender;
    usock_get(sender);
    sender->wmem += truesize;
    return skb;
}

static size_t skb_left(const struct unix_skb *skb)
{
    return skb->len - skb->consumed;
}

/* Linux's unix_writable: a quarter of the send buffer or less in flight. */
bool usock_writable(const struct unix_sock *u)
{
    return u->state != UNIX_LISTEN && (u->wmem + 1) * 4 <= (size_t)u->sndbuf;
}

/* Frees skb: puts its files, uncharges its sender (sock_wfree, which wakes
 * a sender that became writable). */
static void skb_free(struct unix_skb *skb)
{
    for (int i = 0; i < skb->nfiles; i++)
        file_put(skb->files[i]);
    free(skb->files);
    struct unix_sock *sender = skb->sender;
    SENTRY_ASSERT(sender->wmem >= skb->truesize);
    sender->wmem -= skb->truesize;
    if (!sender->dead && usock_writable(sender))
        waitqueue_wake_all(&sender->wq);
    usock_put(sender);
    free(skb->data);
    free(skb);
}

static void rq_append(struct unix_sock *u, struct unix_skb *skb)
{
    skb->next = NULL;
    u->rq_seq++;
    *u->rq_tail = skb;
    u->rq_tail = &skb->next;
    u->rq_len++;
}

static struct unix_skb *rq_pop(struct unix_sock *u)
{
    struct unix_skb *skb = u->rq_head;
    if (!skb)
        return NULL;
    u->rq_head = skb->next;
    if (!u->rq_head)
        u->rq_tail = &u->rq_head;
    u->rq_len--;
    skb->next = NULL;
    return skb;
}

void usock_purge_queue(struct unix_sock *u)
{
    struct unix_skb *list = u->rq_head;
    u->rq_head = NULL;
    u->rq_tail = &u->rq_head;
    u->rq_len = 0;
    /* Freeing may release files, and through them other sockets: the
     * queue is detached first. */
    while (list) {
        struct unix_skb *next = list->next;
        skb_free(list);
        list = next;
    }
}

/* Attaches scm to skb: the files (new references) when with_files, and
 * explicit credentials (Linux's unix_scm_to_skb). */
static int skb_attach_scm(struct unix_skb *skb, const struct unix_scm *scm, bool with_files)
{
    if (!scm)
        return 0;
    if (with_files && scm->nfiles) {
        skb->files = malloc((size_t)scm->nfiles * sizeof(*skb->files));
        if (!skb->files)
            return -LINUX_ENOMEM;
        for (int i = 0; i < scm->nfiles; i++) {
            skb->files[i] = scm->files[i];
            file_get(skb->files[i]);
        }
        skb->nfiles = scm->nfiles;
    }
    if (scm->has_creds) {
        skb->has_creds = true;
        skb->creds = scm->creds;
    }
    return 0;
}

/* Linux's maybe_add_creds: the sender's credentials go with a buffer that
 * has none when either end asked for them (SO_PASSCRED), or the receiver
 * has no file yet (a connection not accepted). */
static void skb_maybe_add_creds(struct unix_skb *skb, const struct unix_sock *u,
                                const struct unix_sock *other, const struct task *t)
{
    if (skb->has_creds)
        return;
    if (u->passcred || other->passcred || !other->has_file) {
        skb->has_creds = true;
        skb->creds =
            (struct linux_ucred){.pid = t->tg->tgid, .uid = t->cred.uid, .gid = t->cred.gid};
    }
}

/* The credentials a receiver sees for skb (none: pid 0, the overflow ids). */
static struct linux_ucred skb_creds(const struct unix_skb *skb)
{
    if (skb->has_creds)
        return skb->creds;
    return (struct linux_ucred){.pid = 0, .uid = OVERFLOW_ID, .gid = OVERFLOW_ID};
}

static bool skb_creds_equal(const struct unix_skb *skb, bool has, const struct linux_ucred *c)
{
    if (skb->has_creds != has)
        return false;
    return !has ||
           (skb->creds.pid == c->pid && skb->creds.uid == c->uid && skb->creds.gid == c->gid);
}

/* Gives the files of skb to scm: moved, or (peek) new references. */
static void skb_files_to_scm(struct unix_skb *skb, struct unix_scm *scm, bool peek)
{
    for (int i = 0; i < skb->nfiles; i++) {
        scm->files[scm->nfiles++] = skb->files[i];
        if (peek)
            file_get(skb->files[i]);
    }
    if (!peek) {
        free(skb->files);
        skb->files = NULL;
        skb->nfiles = 0;
    }
}

void unix_scm_release(struct unix_scm *scm)
{
    for (int i = 0; i < scm->nfiles; i++)
        file_put(scm->files[i]);
    scm->nfiles = 0;
}

/* --- sockets --- */

void usock_get(struct unix_sock *u)
{
    u->refs++;
}

void usock_put(struct unix_sock *u)
{
    SENTRY_ASSERT(u->refs > 0);
    if (--u->refs > 0)
        return;
    SENTRY_ASSERT(!u->rq_head && !u->peer && !u->accept_head && u->wmem == 0);
    SENTRY_ASSERT(!u->bound && !u->path.dentry);
    free(u);
}

struct unix_sock *usock_alloc(int type)
{
    struct unix_sock *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->refs = 1;
    u->type = type;
    u->state = UNIX_CLOSE;
    u->rq_tail = &u->rq_head;
    u->accept_tail = &u->accept_head;
    u->sndbuf = SOCK_WMEM_DEFAULT;
    u->rcvbuf = SOCK_RMEM_DEFAULT;
    u->rcvtimeo = u->sndtimeo = SOCK_TIMEO_MAX;
    u->rcvlowat = 1;
    u->peek_off = -1;
    u->max_backlog = UNIX_MAX_DGRAM_QLEN;
    u->peercred = (struct linux_ucred){.pid = 0, .uid = (uint32_t)-1, .gid = (uint32_t)-1};
    return u;
}

void usock_init_peercred(struct unix_sock *u, const struct task *t)
{
    u->peercred =
        (struct linux_ucred){.pid = t->tg->tgid, .uid = t->cred.euid, .gid = t->cred.egid};
}

/* Linux's sock_error: takes the pending error. */
int usock_error(struct unix_sock *u)
{
    int err = u->err;
    u->err = 0;
    return -err;
}

static bool connection_based(const struct unix_sock *u)
{
    return u->type == LINUX_SOCK_STREAM || u->type == LINUX_SOCK_SEQPACKET;
}

/* Linux's unix_release_sock: detaches u from its peer, purges its queue
 * and pending connections. embryo: u is a connection never accepted. */
void unix_release_sock(struct unix_sock *u, bool embryo)
{
    unix_unbind(u);
    u->dead = true;
    u->shutdown = UNIX_SHUTDOWN_MASK;
    u->state = UNIX_CLOSE;
    struct unix_sock *pair = u->peer;
    u->peer = NULL;
    waitqueue_wake_all(&u->peer_wait);
    if (pair) {
        if (connection_based(u)) {
            pair->shutdown = UNIX_SHUTDOWN_MASK;
            if (u->rq_head || embryo)
                pair->err = LINUX_ECONNRESET;
            waitqueue_wake_all(&pair->wq);
        }
        usock_put(pair);
    }
    usock_purge_queue(u);
    struct unix_sock *pending = u->accept_head;
    u->accept_head = NULL;
    u->accept_tail = &u->accept_head;
    u->accept_len = 0;
    while (pending) {
        struct unix_sock *next = pending->accept_next;
        unix_release_sock(pending, true);
        usock_put(pending);
        pending = next;
    }
}

/* --- waiting --- */

void usock_wait_init(struct sock_wait *w, long timeo, bool nonblock)
{
    *w = (struct sock_wait){.timeo = nonblock ? 0 : timeo};
}

int usock_sleep(struct waitqueue *wq, struct sock_wait *w, bool (*ready)(void *), void *arg)
{
    const struct linux_timespec *dl = NULL;
    if (w->timeo != SOCK_TIMEO_MAX) {
        if (!w->started) {
            long j = w->timeo < 2000000000000L ? w->timeo : 2000000000000L;
            w->deadline = waitqueue_deadline_after((int64_t)j * (1000000000 / SOCK_HZ));
            w->started = true;
        }
        dl = &w->deadline;
    }
    int err = waitqueue_wait(wq, task_current(), ready, arg, dl);
    if (err == -LINUX_ETIMEDOUT) {
        w->timeo = 0;
        return 0;
    }
    if (err == -LINUX_ERESTARTSYS)
        return w->timeo == SOCK_TIMEO_MAX ? -LINUX_ERESTARTSYS : -LINUX_EINTR;
    return err;
}

static bool wmem_ready(void *arg)
{
    struct unix_sock *u = arg;
    return u->err || (u->shutdown & UNIX_SEND_SHUTDOWN) || u->wmem < (size_t)u->sndbuf;
}

/* Linux's sock_alloc_send_pskb wait: room under SO_SNDBUF for one more
 * buffer. Returns 0 or -errno (the pending error, EPIPE after
 * SHUT_WR, EAGAIN, EINTR/ERESTARTSYS). */
static int wait_for_wmem(struct unix_sock *u, struct sock_wait *w)
{
    for (;;) {
        int err = usock_error(u);
        if (err)
            return err;
        if (u->shutdown & UNIX_SEND_SHUTDOWN)
            return -LINUX_EPIPE;
        if (u->wmem < (size_t)u->sndbuf)
            return 0;
        if (!w->timeo)
            return -LINUX_EAGAIN;
        err = usock_sleep(&u->wq, w, wmem_ready, u);
        if (err)
            return err;
    }
}

/* --- sending --- */

static void send_sigpipe(struct task *t)
{
    signal_send_thread(t, LINUX_SIGPIPE, NULL);
}

static long unix_stream_sendmsg(struct task *t, struct unix_sock *u, struct sock_data *d,
                                const struct unix_scm *scm, int addrlen, int flags)
{
    size_t len = d->left, sent = 0;
    long err;
    if (flags & LINUX_MSG_OOB)
        return -LINUX_EOPNOTSUPP;
    if (addrlen)
        return u->state == UNIX_ESTABLISHED ? -LINUX_EISCONN : -LINUX_EOPNOTSUPP;
    struct unix_sock *other = u->peer;
    if (!other)
        return -LINUX_ENOTCONN;
    if (u->shutdown & UNIX_SEND_SHUTDOWN)
        goto pipe_err;
    struct sock_wait w;
    usock_wait_init(&w, u->sndtimeo, flags & LINUX_MSG_DONTWAIT);
    bool files_sent = false;
    while (sent < len) {
        size_t size = len - sent;
        size_t half = (size_t)(u->sndbuf >> 1) - 64;
        if (size > half)
            size = half;
        if (size > UNIX_STREAM_SKB_MAX)
            size = UNIX_STREAM_SKB_MAX;
        err = wait_for_wmem(u, &w);
        if (err)
            goto out_err;
        struct unix_skb *skb = skb_alloc(u, size, stream_truesize(size));
        if (!skb) {
            err = -LINUX_ENOBUFS;
            goto out_err;
        }
        /* Only the first buffer carries the files. */
        err = skb_attach_scm(skb, scm, !files_sent);
        if (err) {
            skb_free(skb);
            goto out_err;
        }
        files_sent = true;
        if (sd_copy(d, skb->data, size, false) < size) {
            skb_free(skb);
            err = -LINUX_EFAULT;
            goto out_err;
        }
        if (other->dead || (other->shutdown & UNIX_RCV_SHUTDOWN)) {
            skb_free(skb);
            goto pipe_err;
        }
        skb_maybe_add_creds(skb, u, other, t);
        rq_append(other, skb);
        waitqueue_wake_all(&other->wq);
        sent += size;
    }
    return (long)sent;

pipe_err:
    if (sent == 0 && !(flags & LINUX_MSG_NOSIGNAL))
        send_sigpipe(t);
    err = -LINUX_EPIPE;
out_err:
    return sent ? (long)sent : err;
}

/* Linux's unix_dgram_disconnected: u lost its peer other. */
static void dgram_disconnected(struct unix_sock *u, struct unix_sock *other)
{
    if (u->rq_head) {
        usock_purge_queue(u);
        waitqueue_wake_all(&u->peer_wait);
        /* One side of a two-way datagram pipe went away: the other side
         * gets an error (messages were lost). */
        if (!other->dead && other->peer == u) {
            other->err = LINUX_ECONNRESET;
            waitqueue_wake_all(&other->wq);
        }
    }
}

void unix_dgram_set_peer(struct unix_sock *u, struct unix_sock *other)
{
    struct unix_sock *old = u->peer;
    u->peer = other;
    if (other)
        usock_get(other);
    if (!old)
        return;
    if (!other)
        u->state = UNIX_CLOSE;
    if (other != old) {
        dgram_disconnected(u, old);
        if (!old->peer)
            old->state = UNIX_CLOSE;
    }
    usock_put(old);
}

/* Linux's unix_recvq_full: more queued than the backlog allows. */
bool usock_recvq_full(const struct unix_sock *u)
{
    return u->rq_len + u->accept_len > u->max_backlog;
}

struct peer_wait_arg {
    struct unix_sock *sender, *other;
};

static bool peer_wait_ready(void *arg)
{
    struct peer_wait_arg *a = arg;
    return a->other->dead || (a->other->shutdown & UNIX_RCV_SHUTDOWN) ||
           a->other->peer == a->sender || !usock_recvq_full(a->other);
}

static long unix_dgram_sendmsg(struct task *t, struct unix_sock *u, struct sock_data *d,
                               const struct unix_scm *scm, const void *addr, int addrlen, int flags)
{
    size_t len = d->left;
    struct unix_sock *other = NULL; /* a reference */
    const struct linux_sockaddr_un *sun = addr;
    long err;
    if (flags & LINUX_MSG_OOB)
        return -LINUX_EOPNOTSUPP;
    if (addrlen) {
        err = unix_validate_addr(sun, addrlen);
        if (err)
            return err;
    } else {
        sun = NULL;
    }
    if (u->passcred && !u->addrlen) {
        err = unix_autobind(u);
        if (err)
            return err;
    }
    if (len > (size_t)u->sndbuf - 32)
        return -LINUX_EMSGSIZE;
    struct sock_wait w;
    usock_wait_init(&w, u->sndtimeo, flags & LINUX_MSG_DONTWAIT);
    err = wait_for_wmem(u, &w);
    if (err)
        return err;
    struct unix_skb *skb = skb_alloc(u, len, dgram_truesize(len));
    if (!skb)
        return -LINUX_ENOBUFS;
    err = skb_attach_scm(skb, scm, true);
    if (err)
        goto out_free;
    if (sd_copy(d, skb->data, len, false) < len) {
        err = -LINUX_EFAULT;
        goto out_free;
    }
    /* Waits for a full receiver use SO_SNDTIMEO afresh. */
    usock_wait_init(&w, u->sndtimeo, flags & LINUX_MSG_DONTWAIT);
    if (sun) {
    lookup:
        err = unix_find_other(t, sun, addrlen, u->type, &other);
        if (err)
            goto out_free;
    } else {
        err = -LINUX_ENOTCONN;
        if (!u->peer)
            goto out_free;
        other = u->peer;
        usock_get(other);
    }
    skb_maybe_add_creds(skb, u, other, t);
restart:
    err = -LINUX_EPERM;
    if (other->peer && other->peer != u) /* !unix_may_send */
        goto out_put;
    if (other->dead) {
        if (u->type == LINUX_SOCK_SEQPACKET) {
            err = -LINUX_EPIPE;
            goto out_put;
        }
        if (u->peer == other) {
            unix_dgram_set_peer(u, NULL);
            err = -LINUX_ECONNREFUSED;
            goto out_put;
        }
        err = -LINUX_ECONNRESET;
        if (!sun)
            goto out_put;
        usock_put(other);
        other = NULL;
        goto lookup;
    }
    err = -LINUX_EPIPE;
    if (other->shutdown & UNIX_RCV_SHUTDOWN)
        goto out_put;
    if (other != u && other->peer != u && usock_recvq_full(other)) {
        err = -LINUX_EAGAIN;
        if (!w.timeo)
            goto out_put;
        struct peer_wait_arg pw = {u, other};
        err = usock_sleep(&other->peer_wait, &w, peer_wait_ready, &pw);
        if (err)
            goto out_put;
        goto restart;
    }
    rq_append(other, skb);
    waitqueue_wake_all(&other->wq);
    usock_put(other);
    return (long)len;

out_put:
    usock_put(other);
out_free:
    skb_free(skb);
    return err;
}

long unix_sendmsg(struct file *f, struct sock_data *d, const struct unix_scm *scm, const void *addr,
                  int addrlen, int flags)
{
    struct unix_sock *u = f->priv;
    struct task *t = task_current();
    switch (u->type) {
    case LINUX_SOCK_STREAM:
        return unix_stream_sendmsg(t, u, d, scm, addrlen, flags);
    case LINUX_SOCK_SEQPACKET: {
        int err = usock_error(u);
        if (err)
            return err;
        if (u->state != UNIX_ESTABLISHED)
            return -LINUX_ENOTCONN;
        return unix_dgram_sendmsg(t, u, d, scm, NULL, 0, flags);
    }
    default:
        return unix_dgram_sendmsg(t, u, d, scm, addr, addrlen, flags);
    }
}

/* --- receiving --- */

static void recv_info_init(struct unix_recv_info *out, const struct unix_sock *u)
{
    out->msg_flags = 0;
    out->passcred = u->passcred;
    out->creds = (struct linux_ucred){0};
    out->scm.nfiles = 0;
    out->scm.has_creds = false;
    out->addrlen = 0;
}

/* The address of a buffer's sender, as the receiver reports it. */
static void recv_sender_addr(struct unix_recv_info *out, const struct unix_skb *skb)
{
    const struct unix_sock *s = skb->sender;
    out->addrlen = s->addrlen;
    if (s->addrlen)
        memcpy(&out->addr, &s->addr, (size_t)s->addrlen);
}

/* Linux's sk_peek_offset_bwd / _fwd: SO_PEEK_OFF follows reads and
 * peeks when it is on (not negative). */
static void peek_off_bwd(struct unix_sock *u, long val)
{
    if (u->peek_off >= 0) {
        long off = u->peek_off - val;
        u->peek_off = off > 0 ? (int)(off < INT_MAX ? off : INT_MAX) : 0;
    }
}

static void peek_off_fwd(struct unix_sock *u, long val)
{
    peek_off_bwd(u, -val);
}

struct stream_wait {
    struct unix_sock *u;
    uint64_t seen; /* rq_seq when the reader went to sleep */
};

/* unix_stream_data_wait: new data (not just data the reader skipped over),
 * an error or EOF. */
static bool stream_data_ready(void *arg)
{
    struct stream_wait *sw = arg;
    struct unix_sock *u = sw->u;
    return u->rq_seq != sw->seen || u->err || (u->shutdown & UNIX_RCV_SHUTDOWN);
}

/* Linux's unix_stream_read_generic. */
static long unix_stream_recvmsg(struct unix_sock *u, struct sock_data *d, int flags,
                                struct unix_recv_info *out)
{
    if (u->state != UNIX_ESTABLISHED)
        return -LINUX_EINVAL;
    if (flags & LINUX_MSG_OOB)
        return -LINUX_EOPNOTSUPP;
    bool peek = flags & LINUX_MSG_PEEK;
    size_t size = d->left;
    size_t target = (flags & LINUX_MSG_WAITALL)
                        ? size
                        : ((size_t)u->rcvlowat < size ? (size_t)u->rcvlowat : size);
    if (target == 0)
        target = 1;
    struct sock_wait w;
    usock_wait_init(&w, u->rcvtimeo, flags & LINUX_MSG_DONTWAIT);
    size_t skip = peek && u->peek_off > 0 ? (size_t)u->peek_off : 0;
    size_t copied = 0;
    long err = 0;
    bool check_creds = false, have_creds = false, addr_done = false;
    struct linux_ucred creds = {0};
    do {
    redo:;
        struct unix_skb *skb = u->rq_head;
    again:
        if (!skb) {
            if (copied >= target)
                break;
            err = usock_error(u);
            if (err)
                break;
            if (u->shutdown & UNIX_RCV_SHUTDOWN)
                break;
            if (!w.timeo) {
                err = -LINUX_EAGAIN;
                break;
            }
            struct stream_wait sw = {u, u->rq_seq};
            err = usock_sleep(&u->wq, &w, stream_data_ready, &sw);
            if (err)
                goto out;
            goto redo;
        }
        while (skip >= skb_left(skb)) {
            skip -= skb_left(skb);
            skb = skb->next;
            if (!skb)
                goto again;
        }
        if (check_creds) {
            /* Never glue data from different writers. */
            if (!skb_creds_equal(skb, have_creds, &creds))
                break;
        } else if (u->passcred) {
            have_creds = skb->has_creds;
            creds = skb->creds;
            out->creds = skb_creds(skb);
            check_creds = true;
        }
        if (!addr_done) {
            recv_sender_addr(out, skb);
            addr_done = true;
        }
        size_t left = skb_left(skb) - skip;
        size_t chunk = left < size ? left : size;
        if (sd_copy(d, skb->data + skb->consumed + skip, chunk, true) < chunk) {
            if (copied == 0)
                err = -LINUX_EFAULT;
            break;
        }
        copied += chunk;
        size -= chunk;
        if (!peek) {
            skb->consumed += chunk;
            peek_off_bwd(u, (long)chunk);
            bool had_files = skb->nfiles > 0;
            if (had_files)
                skb_files_to_scm(skb, &out->scm, false);
            if (skb_left(skb))
                break;
            rq_pop(u);
            skb_free(skb);
            if (had_files)
                break;
        } else {
            /* Peeked files are duplicated (Linux's choice). */
            if (skb->nfiles)
                skb_files_to_scm(skb, &out->scm, true);
            peek_off_fwd(u, (long)chunk);
            if (skb->nfiles)
                break;
            skip = 0;
            skb = skb->next;
            if (skb)
                goto again;
            break;
        }
    } while (size);
out:
    return copied ? (long)copied : err;
}

static bool dgram_ready(void *arg)
{
    struct unix_sock *u = arg;
    return u->rq_head || u->err || (u->shutdown & UNIX_RCV_SHUTDOWN) ||
           (u->type == LINUX_SOCK_SEQPACKET && u->state != UNIX_ESTABLISHED);
}

/* Linux's __skb_try_recv_from_queue: the message to receive. A peek with
 * SO_PEEK_OFF on skips whole messages the offset covers (and empty ones
 * already peeked at) and leaves in *out_skip where in the message to
 * start. */
static struct unix_skb *dgram_find(struct unix_sock *u, bool peek, size_t *out_skip)
{
    *out_skip = 0;
    if (!peek || u->peek_off < 0) {
        if (peek && u->rq_head && !u->rq_head->len)
            u->rq_head->peeked = true;
        return u->rq_head;
    }
    size_t off = (size_t)u->peek_off;
    for (struct unix_skb *skb = u->rq_head; skb; skb = skb->next) {
        if (off >= skb->len && (off || skb->peeked)) {
            off -= skb->len;
            continue;
        }
        if (!skb->len)
            skb->peeked = true;
        *out_skip = off;
        return skb;
    }
    return NULL;
}

/* Linux's __unix_dgram_recvmsg (datagram and seqpacket sockets). */
static long unix_dgram_recvmsg(struct unix_sock *u, struct sock_data *d, int flags,
                               struct unix_recv_info *out)
{
    if (flags & LINUX_MSG_OOB)
        return -LINUX_EOPNOTSUPP;
    bool peek = flags & LINUX_MSG_PEEK;
    struct sock_wait w;
    usock_wait_init(&w, u->rcvtimeo, flags & LINUX_MSG_DONTWAIT);
    struct unix_skb *skb = NULL;
    size_t skip = 0;
    long err;
    for (;;) {
        /* __skb_try_recv_datagram: a pending error comes first. */
        err = usock_error(u);
        if (err)
            break;
        skb = dgram_find(u, peek, &skip);
        if (skb)
            break;
        err = -LINUX_EAGAIN;
        if (!w.timeo)
            break;
        /* __skb_wait_for_more_packets */
        if (u->shutdown & UNIX_RCV_SHUTDOWN) {
            err = 0;
            break;
        }
        if (u->type == LINUX_SOCK_SEQPACKET && u->state != UNIX_ESTABLISHED) {
            err = -LINUX_ENOTCONN;
            break;
        }
        int werr = usock_sleep(&u->wq, &w, dgram_ready, u);
        if (werr) {
            err = werr;
            break;
        }
    }
    if (!skb) {
        /* EOF on a disconnected non-blocking seqpacket socket. */
        if (u->type == LINUX_SOCK_SEQPACKET && err == -LINUX_EAGAIN &&
            (u->shutdown & UNIX_RCV_SHUTDOWN))
            err = 0;
        return err;
    }
    if (!peek) {
        rq_pop(u);
        waitqueue_wake_all(&u->peer_wait);
    }
    recv_sender_addr(out, skb);
    size_t size = d->left, avail = skb->len - skip;
    if (size > avail)
        size = avail;
    else if (size < avail)
        out->msg_flags |= LINUX_MSG_TRUNC;
    if (sd_copy(d, skb->data + skip, size, true) < size) {
        err = -LINUX_EFAULT;
        goto out_free;
    }
    out->creds = skb_creds(skb);
    if (!peek)
        peek_off_bwd(u, (long)skb->len);
    else
        peek_off_fwd(u, (long)size);
    skb_files_to_scm(skb, &out->scm, peek);
    err = (flags & LINUX_MSG_TRUNC) ? (long)avail : (long)size;
out_free:
    if (!peek)
        skb_free(skb);
    return err;
}

long unix_recvmsg(struct file *f, struct sock_data *d, int flags, struct unix_recv_info *out)
{
    struct unix_sock *u = f->priv;
    recv_info_init(out, u);
    long ret;
    switch (u->type) {
    case LINUX_SOCK_STREAM:
        ret = unix_stream_recvmsg(u, d, flags, out);
        break;
    case LINUX_SOCK_SEQPACKET:
        if (u->state != UNIX_ESTABLISHED)
            return -LINUX_ENOTCONN;
        ret = unix_dgram_recvmsg(u, d, flags, out);
        break;
    default:
        ret = unix_dgram_recvmsg(u, d, flags, out);
        break;
    }
    if (ret < 0)
        unix_scm_release(&out->scm); /* a stream read that found nothing more */
    return ret;
}

/* --- file ops --- */

static long unix_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct sock_data d;
    sock_data_init_kernel(&d, iov, iovcnt);
    if (d.left == 0)
        return 0;
    struct unix_recv_info info;
    long r = unix_recvmsg(f, &d, (f->flags & LINUX_O_NONBLOCK) ? LINUX_MSG_DONTWAIT : 0, &info);
    /* read(2) has no room for control messages: files received are
     * dropped, as Linux's scm_destroy. */
    unix_scm_release(&info.scm);
    return r;
}

static long unix_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct sock_data d;
    sock_data_init_kernel(&d, iov, iovcnt);
    return unix_sendmsg(f, &d, NULL, NULL, 0,
                        (f->flags & LINUX_O_NONBLOCK) ? LINUX_MSG_DONTWAIT : 0);
}

/* Linux's unix_inq_len. */
static long usock_inq_len(const struct unix_sock *u)
{
    if (u->state == UNIX_LISTEN)
        return -LINUX_EINVAL;
    long n = 0;
    if (connection_based(u)) {
        for (const struct unix_skb *skb = u->rq_head; skb; skb = skb->next)
            n += (long)skb_left(skb);
    } else if (u->rq_head) {
        n = (long)u->rq_head->len;
    }
    return n;
}

static long unix_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    struct unix_sock *u = f->priv;
    long amount;
    switch (cmd) {
    case LINUX_SIOCINQ:
        amount = usock_inq_len(u);
        if (amount < 0)
            return amount;
        break;
    case LINUX_SIOCOUTQ:
        amount = (long)u->wmem;
        break;
    default:
        return -LINUX_ENOTTY;
    }
    int v = (int)amount;
    return copy_out(t->mm, arg, &v, sizeof(v)) < 0 ? -LINUX_EFAULT : 0;
}

/* Linux's unix_poll (streams) and unix_dgram_poll. */
static unsigned unix_poll(struct file *f, struct poll_table *pt)
{
    struct unix_sock *u = f->priv;
    poll_wait(pt, &u->wq);
    unsigned mask = 0;
    if (u->err)
        mask |= LINUX_POLLERR;
    if (u->shutdown == UNIX_SHUTDOWN_MASK)
        mask |= LINUX_POLLHUP;
    if (u->shutdown & UNIX_RCV_SHUTDOWN)
        mask |= LINUX_POLLRDHUP | LINUX_POLLIN | LINUX_POLLRDNORM;
    if (u->rq_head || u->accept_head)
        mask |= LINUX_POLLIN | LINUX_POLLRDNORM;
    if (u->type == LINUX_SOCK_STREAM) {
        if (u->state == UNIX_CLOSE)
            mask |= LINUX_POLLHUP;
        if (usock_writable(u))
            mask |= LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
        return mask;
    }
    if (u->type == LINUX_SOCK_SEQPACKET && u->state == UNIX_CLOSE)
        mask |= LINUX_POLLHUP;
    bool writable = usock_writable(u);
    /* A full receiver that is not our peer (TODO: its drain does not wake
     * pollers of this socket; Linux registers on its peer_wait). */
    struct unix_sock *other = u->peer;
    if (writable && other && other->peer != u && usock_recvq_full(other))
        writable = false;
    if (writable)
        mask |= LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
    return mask;
}

static void unix_file_release(struct file *f)
{
    struct unix_sock *u = f->priv;
    if (!u)
        return; /* an accept undone: the socket went back to the queue */
    f->priv = NULL;
    unix_release_sock(u, false);
    usock_put(u);
}

static const struct file_ops unix_fops = {
    .read = unix_read,
    .write = unix_write,
    .ioctl = unix_ioctl,
    .poll = unix_poll,
    .release = unix_file_release,
};

bool unix_is_socket(const struct file *f)
{
    return f->ops == &unix_fops;
}

/* --- sockfs and socket files --- */

static int sockfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                        const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted (as Linux: SB_NOUSER) */
}

static const struct fs_type sockfs_type = {.name = "sockfs", .nodev = true, .mount = sockfs_mount};
static const struct inode_ops sockfs_inode_ops;

static struct superblock *sockfs_get_sb(void)
{
    if (!sockfs_sb)
        sockfs_sb = sb_new_internal(&sockfs_type, &sockfs_inode_ops, 0555);
    return sockfs_sb;
}

int usock_file_new(struct task *t, struct unix_sock *u, int flags, struct file **out_file)
{
    struct superblock *sb = sockfs_get_sb();
    if (!sb)
        return -LINUX_ENOMEM;
    /* Linux's sock_alloc: S_IFSOCK | 0777, owned by the fs ids. */
    struct inode *ino = inode_new(sb, &sockfs_inode_ops, LINUX_S_IFSOCK | 0777);
    if (!ino)
        return -LINUX_ENOMEM;
    struct linux_timespec now = vfs_now();
    ino->attr.ino = sb->next_ino++;
    ino->attr.nlink = 1;
    ino->attr.uid = t->cred.fsuid;
    ino->attr.gid = t->cred.fsgid;
    ino->attr.blksize = 4096;
    ino->attr.atime = ino->attr.mtime = ino->attr.ctime = ino->attr.btime = now;
    struct file *f = file_new(&unix_fops, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK), u);
    if (!f) {
        inode_put(ino);
        return -LINUX_ENOMEM;
    }
    f->inode = ino; /* the creation reference */
    /* file_rw commits writes whole: a fault anywhere in a datagram fails
     * it (EFAULT), a stream keeps the buffers before the fault. */
    f->io_chunk = u->type == LINUX_SOCK_STREAM ? UNIX_STREAM_SKB_MAX : UINT32_MAX;
    u->has_file = true;
    *out_file = f;
    return 0;
}

int unix_socket_new(struct task *t, int type, int flags, struct file **out_file)
{
    struct unix_sock *u = usock_alloc(type);
    if (!u)
        return -LINUX_ENOMEM;
    int err = usock_file_new(t, u, flags, out_file);
    if (err)
        usock_put(u);
    return err;
}

int unix_socketpair(struct task *t, int type, int flags, struct file **out_a, struct file **out_b)
{
    struct unix_sock *a = usock_alloc(type);
    struct unix_sock *b = usock_alloc(type);
    struct file *fa = NULL;
    int err = -LINUX_ENOMEM;
    if (!a || !b)
        goto out_free;
    err = usock_file_new(t, a, flags, &fa);
    if (err)
        goto out_free;
    a = NULL; /* the file owns it */
    err = usock_file_new(t, b, flags, out_b);
    if (err)
        goto out_free;
    struct unix_sock *ua = fa->priv, *ub = (*out_b)->priv;
    ua->peer = ub;
    usock_get(ub);
    ub->peer = ua;
    usock_get(ua);
    usock_init_peercred(ua, t);
    usock_init_peercred(ub, t);
    ua->state = ub->state = UNIX_ESTABLISHED;
    *out_a = fa;
    return 0;

out_free:
    if (fa)
        file_put(fa);
    if (a)
        usock_put(a);
    if (b)
        usock_put(b);
    return err;
}

int unix_take_error(struct file *f)
{
    return usock_error(f->priv);
}

void unix_set_error(struct file *f, int err)
{
    struct unix_sock *u = f->priv;
    u->err = err;
    waitqueue_wake_all(&u->wq);
}

/* --- shutdown and names --- */

int unix_shutdown(struct file *f, int how)
{
    struct unix_sock *u = f->priv;
    if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR)
        return -LINUX_EINVAL;
    /* SHUT_RD → RCV_SHUTDOWN (1), SHUT_WR → SEND_SHUTDOWN (2), both. */
    int mode = how + 1;
    u->shutdown |= (uint8_t)mode;
    waitqueue_wake_all(&u->wq);
    struct unix_sock *other = u->peer;
    if (other && connection_based(u)) {
        int peer_mode = 0;
        if (mode & UNIX_RCV_SHUTDOWN)
            peer_mode |= UNIX_SEND_SHUTDOWN;
        if (mode & UNIX_SEND_SHUTDOWN)
            peer_mode |= UNIX_RCV_SHUTDOWN;
        other->shutdown |= (uint8_t)peer_mode;
        waitqueue_wake_all(&other->wq);
    }
    return 0;
}

int unix_getname(struct file *f, bool peer, struct linux_sockaddr_un *out_addr, int *out_len)
{
    struct unix_sock *u = f->priv;
    if (peer) {
        u = u->peer;
        if (!u)
            return -LINUX_ENOTCONN;
    }
    if (!u->addrlen) {
        memset(out_addr, 0, sizeof(*out_addr));
        out_addr->sun_family = LINUX_AF_UNIX;
        *out_len = (int)__builtin_offsetof(struct linux_sockaddr_un, sun_path);
    } else {
        memcpy(out_addr, &u->addr, sizeof(*out_addr));
        *out_len = u->addrlen;
    }
    return 0;
}
