/* Internals of AF_UNIX sockets shared by unix.c (sockets, data),
 * unix_conn.c (names and connections) and unix_opt.c (options). See
 * unix.h.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/linux/socket.h"
#include "abi/linux/time.h"
#include "sentry/fs/sock/unix.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/vfs.h"

struct task;

/* Socket states (Linux's TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN). */
enum { UNIX_CLOSE, UNIX_ESTABLISHED, UNIX_LISTEN };

/* sk_shutdown bits. */
#define UNIX_RCV_SHUTDOWN 1
#define UNIX_SEND_SHUTDOWN 2
#define UNIX_SHUTDOWN_MASK 3

/* /proc/sys/net/unix/max_dgram_qlen: the receive backlog of a datagram
 * socket that senders other than its peer may fill. */
#define UNIX_MAX_DGRAM_QLEN 10

/* One queued buffer: a datagram, or a piece of a stream. */
struct unix_skb {
    struct unix_skb *next;
    uint8_t *data;
    size_t len;
    size_t consumed;          /* stream: bytes already read */
    size_t truesize;          /* charged to sender->wmem */
    struct unix_sock *sender; /* a reference */
    struct file **files;      /* SCM_RIGHTS in flight: references */
    int nfiles;
    bool has_creds;
    bool peeked; /* an empty datagram seen by a peek at an offset */
    struct linux_ucred creds;
};

struct unix_sock {
    int refs;
    int type;               /* LINUX_SOCK_STREAM, _DGRAM or _SEQPACKET */
    int state;              /* UNIX_CLOSE ... */
    uint8_t shutdown;       /* UNIX_*_SHUTDOWN */
    bool dead;              /* released: its file is gone */
    bool has_file;          /* false for a connection not accepted yet */
    int err;                /* sk_err: a pending error (positive) */
    struct unix_sock *peer; /* a reference */

    struct unix_skb *rq_head, **rq_tail;
    unsigned rq_len;
    uint64_t rq_seq; /* buffers ever queued (stream readers wait for more) */
    int peek_off;    /* SO_PEEK_OFF: -1 off */
    /* A listener's connections not accepted yet (references). */
    struct unix_sock *accept_head, **accept_tail, *accept_next;
    unsigned accept_len;
    unsigned max_backlog;

    size_t wmem; /* truesize of our buffers not freed yet */
    int sndbuf, rcvbuf;
    long rcvtimeo, sndtimeo; /* jiffies; LONG_MAX: none */
    int rcvlowat;
    bool passcred;
    bool opt_debug, opt_dontroute, opt_broadcast, opt_reuseaddr, opt_keepalive;
    bool opt_oobinline, opt_no_check, opt_passsec;
    bool linger_on;
    int linger_secs;
    int priority;
    uint32_t mark;
    uint64_t cookie;
    struct linux_ucred peercred;

    /* The name: addrlen 0 for an unnamed socket. A bound socket is in the
     * name table (bound); a filesystem name also holds its path. */
    struct linux_sockaddr_un addr;
    int addrlen;
    bool bound;
    struct path path;
    struct unix_sock *bound_next;

    /* Readers, writers and pollers of this socket; senders waiting for
     * room in its receive queue, connectors for its backlog. */
    struct waitqueue wq;
    struct waitqueue peer_wait;
};

/* Linux's default and maximum buffer sizes (/proc/sys/net/core/
 * {w,r}mem_{default,max}) and the floors of SO_SNDBUF/SO_RCVBUF. */
#define SOCK_WMEM_DEFAULT 212992
#define SOCK_WMEM_MAX 212992
#define SOCK_RMEM_DEFAULT 212992
#define SOCK_RMEM_MAX 212992
#define SOCK_MIN_SNDBUF 4608 /* 2 * (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))) */
#define SOCK_MIN_RCVBUF 2304

/* Jiffies of SO_RCVTIMEO/SO_SNDTIMEO (CONFIG_HZ=250, as Debian and
 * Fedora build Linux), and "no timeout". */
#define SOCK_HZ 250
#define SOCK_TIMEO_MAX LONG_MAX

/* The time a blocking call may still wait: jiffies of SO_RCVTIMEO or
 * SO_SNDTIMEO (0: do not wait), turned into a deadline at the first
 * sleep. */
struct sock_wait {
    long timeo;
    bool started;
    struct linux_timespec deadline;
};

/* unix.c */
void usock_wait_init(struct sock_wait *w, long timeo, bool nonblock);
/* One sleep on wq until ready(arg) (checked first). Returns 0 to re-check
 * (w->timeo is 0 once the time is up) or Linux's sock_intr_errno:
 * -ERESTARTSYS when waiting without a timeout, -EINTR with one. */
int usock_sleep(struct waitqueue *wq, struct sock_wait *w, bool (*ready)(void *), void *arg);
struct unix_sock *usock_alloc(int type);
void usock_get(struct unix_sock *u);
void usock_put(struct unix_sock *u);
void usock_init_peercred(struct unix_sock *u, const struct task *t);
/* Linux's sock_error: takes the pending error as -errno (0: none). */
int usock_error(struct unix_sock *u);
/* Linux's unix_writable: a quarter of SO_SNDBUF or less in flight. */
bool usock_writable(const struct unix_sock *u);
/* A socket file for u (which the file then owns), flags LINUX_O_NONBLOCK. */
int usock_file_new(struct task *t, struct unix_sock *u, int flags, struct file **out_file);
void unix_release_sock(struct unix_sock *u, bool embryo);
void usock_purge_queue(struct unix_sock *u);
bool usock_recvq_full(const struct unix_sock *u);
/* Connects datagram socket u to other (NULL: disconnects), dropping the
 * old peer as Linux's unix_dgram_connect. */
void unix_dgram_set_peer(struct unix_sock *u, struct unix_sock *other);

/* unix_conn.c */
/* Linux's unix_validate_addr: more than the family, at most a sockaddr_un,
 * family AF_UNIX. */
int unix_validate_addr(const struct linux_sockaddr_un *sun, int addrlen);
/* Finds the socket bound to sun (a new reference in *out_other): -ENOENT
 * and the walk's errors for a missing path, -ECONNREFUSED when nothing of
 * that type is bound there, -EPROTOTYPE for another type. */
int unix_find_other(struct task *t, const struct linux_sockaddr_un *sun, int addrlen, int type,
                    struct unix_sock **out_other);
int unix_autobind(struct unix_sock *u);
/* Takes u out of the name table (release). */
void unix_unbind(struct unix_sock *u);
