/* AF_UNIX sockets (Linux's net/unix/af_unix.c).
 *
 * A socket is an open file (file_ops below, so read/write/readv/writev,
 * poll, splice and sendfile work on it) whose priv is a struct unix_sock,
 * on an S_IFSOCK inode of the internal sockfs (fstat, "socket:[INO]" in
 * /proc/PID/fd). Three types, as Linux:
 *
 *   - SOCK_STREAM: a byte stream; each send queues buffers (Linux's skbs)
 *     on the peer's receive queue, a read drains across them.
 *   - SOCK_DGRAM: messages with boundaries; a message longer than the
 *     reader's buffer is truncated (MSG_TRUNC).
 *   - SOCK_SEQPACKET: connected datagrams: boundaries, EOF at peer close.
 *
 * Flow control is Linux's: every queued buffer is charged to its sender
 * (sk_wmem_alloc, counted in Linux's skb "truesize") until the reader
 * consumes it; a sender blocks while its charge reaches SO_SNDBUF. Control
 * messages travel with the data: SCM_RIGHTS (file references held while
 * in flight), SCM_CREDENTIALS.
 *
 * Connections come from socketpair(2), or from connect(2) to a socket
 * bound to a name (abstract, or a path in the sandbox's filesystem) that
 * listens (unix_conn.c).
 *
 * Lock order: the kernel lock covers every socket. Blocking sends and
 * receives sleep on the socket's wait queue with it dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/linux/socket.h"
#include "abi/linux/uio.h"

struct file;
struct mm;
struct task;

/* Kernel-internal limits, Linux's values. */
#define UNIX_SCM_MAX_FD 253 /* SCM_MAX_FD: files per message */
#define SOCK_ADDR_MAX 128   /* sizeof(struct sockaddr_storage) */
#define SOCK_TYPE_MASK 0xf
#define SOCK_TYPE_MAX 11       /* SOCK_MAX: SOCK_PACKET + 1 */
#define SOCK_OPTMEM_MAX 131072 /* /proc/sys/net/core/optmem_max */

/* The data of one send or receive: application iovecs copied at the time
 * of the copy (sendmsg/recvmsg: a fault is seen where it happens), or
 * sentry-memory iovecs the caller translated (file read/write ops). */
struct sock_data {
    struct mm *mm; /* set: uiov is used */
    const struct linux_iovec *uiov;
    const struct iovec *iov;
    int count;
    int i;       /* current iovec */
    size_t off;  /* offset in it */
    size_t left; /* bytes left in all of them */
};

void sock_data_init_user(struct sock_data *d, struct mm *mm, const struct linux_iovec *uiov,
                         int count);
void sock_data_init_kernel(struct sock_data *d, const struct iovec *iov, int count);

/* What travels beside the data: SCM_RIGHTS files and SCM_CREDENTIALS. */
struct unix_scm {
    struct file *files[UNIX_SCM_MAX_FD]; /* one reference each, owned by the holder */
    int nfiles;
    bool has_creds;
    struct linux_ucred creds;
};

/* Puts the files of scm. */
void unix_scm_release(struct unix_scm *scm);

/* socket(2) / socketpair(2) cores. type is SOCK_STREAM, SOCK_DGRAM or
 * SOCK_SEQPACKET (the caller maps SOCK_RAW and checks the rest); flags:
 * LINUX_O_NONBLOCK. The caller owns one reference to each file. */
int unix_socket_new(struct task *t, int type, int flags, struct file **out_file);
int unix_socketpair(struct task *t, int type, int flags, struct file **out_a, struct file **out_b);

/* True if f is a socket (else the socket calls fail with ENOTSOCK). */
bool unix_is_socket(const struct file *f);

/* sendmsg core. d is the data, scm the control messages (NULL: none; the
 * caller keeps its references), addr/addrlen the destination (addrlen 0:
 * none; at most SOCK_ADDR_MAX bytes, already copied in). flags are MSG_*,
 * with MSG_DONTWAIT already added for an O_NONBLOCK file. Returns the
 * bytes sent (a stream may send part), or -errno; EPIPE on a stream
 * without MSG_NOSIGNAL also sends SIGPIPE, as Linux. */
long unix_sendmsg(struct file *f, struct sock_data *d, const struct unix_scm *scm, const void *addr,
                  int addrlen, int flags);

/* What a receive brings beside the data. */
struct unix_recv_info {
    int msg_flags;            /* MSG_TRUNC */
    bool passcred;            /* SO_PASSCRED: creds must be delivered */
    struct linux_ucred creds; /* the sender's (for passcred) */
    struct unix_scm scm;      /* received files (creds unused): the caller's */
    struct linux_sockaddr_un addr;
    int addrlen; /* the sender's address; 0 when unnamed */
};

/* recvmsg core: returns the bytes received (for a datagram with MSG_TRUNC,
 * its full length), or -errno, and fills *out (files only on success). */
long unix_recvmsg(struct file *f, struct sock_data *d, int flags, struct unix_recv_info *out);

/* The pending error of f's socket (SO_ERROR): unix_take_error returns it
 * as -errno and clears it (Linux's sock_error); unix_set_error records
 * one (recvmmsg keeps a late error for the next call). */
int unix_take_error(struct file *f);
void unix_set_error(struct file *f, int err);

/* shutdown(2): how is SHUT_RD/WR/RDWR, else -EINVAL. */
int unix_shutdown(struct file *f, int how);
/* getsockname / getpeername: the address and its length (2 for an
 * unnamed socket). getpeername of an unconnected socket: -ENOTCONN. */
int unix_getname(struct file *f, bool peer, struct linux_sockaddr_un *out_addr, int *out_len);

/* SOL_SOCKET options. getsockopt writes the value (at most 16 bytes) to
 * out_val and its natural size to *out_len; setsockopt reads len bytes of
 * val. -ENOPROTOOPT for options Linux does not know at SOL_SOCKET. */
#define SOCK_OPT_MAX 16
int unix_getsockopt(struct file *f, int name, void *out_val, int *out_len);
int unix_setsockopt(struct file *f, int name, const void *val, int len);

/* bind(2): addrlen 2 (just the family) autobinds an abstract name
 * ("\0" and five hex digits); an abstract name (sun_path[0] == 0) is taken
 * if free (EADDRINUSE); a path makes an S_IFSOCK inode there (EADDRINUSE if
 * it exists). -EINVAL for a socket already named. addr is already copied
 * in (at most SOCK_ADDR_MAX bytes). */
int unix_bind(struct file *f, const void *addr, int addrlen);
/* listen(2), backlog already clamped to somaxconn. */
int unix_listen(struct file *f, int backlog);
/* connect(2): datagram sockets set their default destination (AF_UNSPEC
 * removes it); stream and seqpacket sockets join the listener's accept
 * queue (blocking while it is full unless O_NONBLOCK). */
int unix_connect(struct file *f, const void *addr, int addrlen);
/* accept(2): waits for a connection on listener f (O_NONBLOCK and
 * SO_RCVTIMEO of f) and makes its file with flags LINUX_O_NONBLOCK (the
 * caller's reference). unix_accept_undo puts the connection back at the
 * head of the queue and drops newf (when no fd could be installed). */
int unix_accept(struct file *f, int flags, struct file **out_file);
void unix_accept_undo(struct file *f, struct file *newf);
