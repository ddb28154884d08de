/* Socket syscalls (Linux's net/socket.c): socket, socketpair, bind,
 * listen, accept/accept4, connect, getsockname, getpeername, shutdown,
 * getsockopt, setsockopt. The data calls (sendto, recvfrom, sendmsg,
 * recvmsg, sendmmsg, recvmmsg) are in socket_msg.c.
 *
 * Only AF_UNIX is implemented (sentry/fs/sock/unix.c); other families are
 * EAFNOSUPPORT from socket(2), the honest "not available" (a program
 * probing for IPv4/IPv6 sees a kernel without them). Errors come in
 * Linux's order: fd lookup, then argument copies, then the protocol. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "abi/linux/socket.h"
#include "sentry/fs/sock/unix.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/socket_internal.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

/* /proc/sys/net/core/somaxconn: the largest listen backlog. */
#define SOCK_SOMAXCONN 4096

struct file *sock_fd_get(struct task *t, int fd, long *out_err)
{
    struct file *f = fd_get(t, fd);
    if (!f) {
        *out_err = -LINUX_EBADF;
        return NULL;
    }
    if (!unix_is_socket(f)) {
        file_put(f);
        *out_err = -LINUX_ENOTSOCK;
        return NULL;
    }
    return f;
}

long sock_addr_in(struct task *t, uaddr_t uaddr, int addrlen, void *buf)
{
    memset(buf, 0, SOCK_ADDR_MAX + 1);
    if (addrlen < 0 || addrlen > SOCK_ADDR_MAX)
        return -LINUX_EINVAL;
    if (addrlen == 0)
        return 0;
    return copy_in(t->mm, buf, uaddr, (size_t)addrlen) < 0 ? -LINUX_EFAULT : 0;
}

long sock_addr_out(struct task *t, const void *kaddr, int klen, uaddr_t uaddr, uaddr_t ulen)
{
    int len;
    if (copy_in(t->mm, &len, ulen, sizeof(len)) < 0)
        return -LINUX_EFAULT;
    if (len > klen)
        len = klen;
    if (len < 0)
        return -LINUX_EINVAL;
    if (len && copy_out(t->mm, uaddr, kaddr, (size_t)len) < 0)
        return -LINUX_EFAULT;
    return copy_out(t->mm, ulen, &klen, sizeof(klen)) < 0 ? -LINUX_EFAULT : 0;
}

static uint64_t nofile_limit(const struct task *t)
{
    return t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur;
}

/* The creation checks of __sock_create and unix_create, in Linux's order.
 * Returns the socket type to make (SOCK_RAW is a datagram socket, as
 * Linux) or -errno. */
static int sock_check_create(int family, int type, int protocol)
{
    if (family < 0 || family >= LINUX_AF_MAX)
        return -LINUX_EAFNOSUPPORT;
    if (type < 0 || type >= SOCK_TYPE_MAX)
        return -LINUX_EINVAL;
    if (family != LINUX_AF_UNIX)
        return -LINUX_EAFNOSUPPORT; /* not implemented: no network */
    if (protocol && protocol != LINUX_PF_UNIX)
        return -LINUX_EPROTONOSUPPORT;
    switch (type) {
    case LINUX_SOCK_STREAM:
    case LINUX_SOCK_SEQPACKET:
    case LINUX_SOCK_DGRAM:
        return type;
    case LINUX_SOCK_RAW:
        return LINUX_SOCK_DGRAM;
    default:
        return -LINUX_ESOCKTNOSUPPORT;
    }
}

/* SOCK_NONBLOCK and SOCK_CLOEXEC of a type argument as file flags; -1 for
 * other bits. */
static int sock_type_flags(int type)
{
    int flags = type & ~SOCK_TYPE_MASK;
    if (flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
        return -1;
    return flags;
}

SYSCALL(socket)
{
    int flags = sock_type_flags(arg_int(a, 1));
    if (flags < 0)
        return -LINUX_EINVAL;
    int type = sock_check_create(arg_int(a, 0), arg_int(a, 1) & SOCK_TYPE_MASK, arg_int(a, 2));
    if (type < 0)
        return type;
    struct file *f;
    long ret = unix_socket_new(t, type, flags & LINUX_O_NONBLOCK, &f);
    if (ret)
        return ret;
    ret = fdtable_install(t->fds, f, 0, (flags & LINUX_SOCK_CLOEXEC) ? LINUX_FD_CLOEXEC : 0,
                          nofile_limit(t));
    file_put(f);
    return ret;
}

SYSCALL(socketpair)
{
    int family = arg_int(a, 0);
    uaddr_t usv = arg_uaddr(a, 3);
    int flags = sock_type_flags(arg_int(a, 1));
    if (flags < 0)
        return -LINUX_EINVAL;
    int type = sock_check_create(family, arg_int(a, 1) & SOCK_TYPE_MASK, arg_int(a, 2));
    /* Linux's inet sockets exist but cannot be paired. */
    if (type == -LINUX_EAFNOSUPPORT && (family == LINUX_AF_INET || family == LINUX_AF_INET6))
        type = -LINUX_EOPNOTSUPP;
    if (type < 0) {
        /* Linux writes the fd numbers to sv before it creates the
         * sockets: a bad sv comes first. */
        int probe[2];
        if (copy_in(t->mm, probe, usv, sizeof(probe)) < 0 ||
            copy_out(t->mm, usv, probe, sizeof(probe)) < 0)
            return -LINUX_EFAULT;
        return type;
    }
    struct file *fa, *fb;
    long ret = unix_socketpair(t, type, flags & LINUX_O_NONBLOCK, &fa, &fb);
    if (ret)
        return ret;
    int fd_flags = (flags & LINUX_SOCK_CLOEXEC) ? LINUX_FD_CLOEXEC : 0;
    return fd_install_pair(t, fa, fb, fd_flags, usv);
}

/* bind and connect: a socket fd and an address from the application. */
static long sock_addr_op(struct task *t, const struct syscall_args *a,
                         int (*op)(struct file *f, const void *addr, int addrlen))
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    char addr[SOCK_ADDR_MAX + 1];
    int addrlen = arg_int(a, 2);
    ret = sock_addr_in(t, arg_uaddr(a, 1), addrlen, addr);
    if (!ret)
        ret = op(f, addr, addrlen);
    file_put(f);
    return ret;
}

SYSCALL(bind)
{
    return sock_addr_op(t, a, unix_bind);
}

SYSCALL(listen)
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    int backlog = arg_int(a, 1);
    if ((unsigned)backlog > SOCK_SOMAXCONN)
        backlog = SOCK_SOMAXCONN;
    ret = unix_listen(f, backlog);
    file_put(f);
    return ret;
}

SYSCALL(connect)
{
    return sock_addr_op(t, a, unix_connect);
}

static long do_accept4(struct task *t, int fd, uaddr_t uaddr, uaddr_t ulen, int flags)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LINUX_EBADF;
    long ret = -LINUX_EINVAL;
    if (flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
        goto out_put;
    ret = -LINUX_ENOTSOCK;
    if (!unix_is_socket(f))
        goto out_put;
    struct file *nf;
    ret = unix_accept(f, flags & LINUX_O_NONBLOCK, &nf);
    if (ret)
        goto out_put;
    ret = fdtable_install(t->fds, nf, 0, (flags & LINUX_SOCK_CLOEXEC) ? LINUX_FD_CLOEXEC : 0,
                          nofile_limit(t));
    if (ret < 0) {
        unix_accept_undo(f, nf); /* the connection stays queued */
        goto out_put;
    }
    if (uaddr) {
        struct linux_sockaddr_un sun;
        int len;
        long err = unix_getname(nf, true, &sun, &len);
        if (err)
            err = -LINUX_ECONNABORTED;
        else
            err = sock_addr_out(t, &sun, len, uaddr, ulen);
        if (err) {
            /* As Linux, the connection is lost with the new file. */
            fdtable_close(t->fds, (int)ret);
            ret = err;
        }
    }
    file_put(nf);
out_put:
    file_put(f);
    return ret;
}

SYSCALL(accept)
{
    return do_accept4(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), 0);
}

SYSCALL(accept4)
{
    return do_accept4(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_int(a, 3));
}

static long do_getname(struct task *t, const struct syscall_args *a, bool peer)
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    struct linux_sockaddr_un sun;
    int len;
    ret = unix_getname(f, peer, &sun, &len);
    if (!ret)
        ret = sock_addr_out(t, &sun, len, arg_uaddr(a, 1), arg_uaddr(a, 2));
    file_put(f);
    return ret;
}

SYSCALL(getsockname)
{
    return do_getname(t, a, false);
}

SYSCALL(getpeername)
{
    return do_getname(t, a, true);
}

SYSCALL(shutdown)
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    ret = unix_shutdown(f, arg_int(a, 1));
    file_put(f);
    return ret;
}

/* SO_PEERNAME (sk_getsockopt): the peer's address, and EINVAL when the
 * buffer is longer than it (Linux's own rule). */
static long getsockopt_peername(struct task *t, struct file *f, int len, uaddr_t uval, uaddr_t ulen)
{
    struct linux_sockaddr_un sun;
    int lv;
    if (unix_getname(f, true, &sun, &lv))
        return -LINUX_ENOTCONN;
    if (lv < len)
        return -LINUX_EINVAL;
    if (len && copy_out(t->mm, uval, &sun, (size_t)len) < 0)
        return -LINUX_EFAULT;
    return copy_out(t->mm, ulen, &len, sizeof(len)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(getsockopt)
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    int level = arg_int(a, 1), name = arg_int(a, 2);
    uaddr_t uval = arg_uaddr(a, 3), ulen = arg_uaddr(a, 4);
    ret = -LINUX_EOPNOTSUPP; /* AF_UNIX has options at SOL_SOCKET only */
    if (level != LINUX_SOL_SOCKET)
        goto out_put;
    int len;
    ret = -LINUX_EFAULT;
    if (copy_in(t->mm, &len, ulen, sizeof(len)) < 0)
        goto out_put;
    ret = -LINUX_EINVAL;
    if (len < 0)
        goto out_put;
    if (name == LINUX_SO_PEERNAME) {
        ret = getsockopt_peername(t, f, len, uval, ulen);
        goto out_put;
    }
    char val[SOCK_OPT_MAX];
    int lv;
    ret = unix_getsockopt(f, name, val, &lv);
    if (ret)
        goto out_put;
    if (len > lv)
        len = lv;
    ret = -LINUX_EFAULT;
    if (len && copy_out(t->mm, uval, val, (size_t)len) < 0)
        goto out_put;
    if (copy_out(t->mm, ulen, &len, sizeof(len)) < 0)
        goto out_put;
    ret = 0;
out_put:
    file_put(f);
    return ret;
}

SYSCALL(setsockopt)
{
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    int level = arg_int(a, 1), name = arg_int(a, 2), optlen = arg_int(a, 4);
    uaddr_t uval = arg_uaddr(a, 3);
    ret = -LINUX_EINVAL;
    if (optlen < 0)
        goto out_put;
    ret = -LINUX_EOPNOTSUPP;
    if (level != LINUX_SOL_SOCKET)
        goto out_put;
    ret = -LINUX_EINVAL;
    if (optlen < (int)sizeof(int))
        goto out_put;
    /* Every option reads an int first; the few longer ones (SO_LINGER,
     * the timeouts) read the rest only when optlen covers it. */
    char val[SOCK_OPT_MAX];
    size_t want = (size_t)optlen < sizeof(val) ? (size_t)optlen : sizeof(val);
    size_t got = copy_in_partial(t->mm, val, uval, want);
    ret = -LINUX_EFAULT;
    if (got < sizeof(int))
        goto out_put;
    if (got < want) {
        /* Only a longer option could need the bytes that faulted. */
        bool long_opt = name == LINUX_SO_LINGER || name == LINUX_SO_RCVTIMEO_OLD ||
                        name == LINUX_SO_RCVTIMEO_NEW || name == LINUX_SO_SNDTIMEO_OLD ||
                        name == LINUX_SO_SNDTIMEO_NEW;
        size_t need = name == LINUX_SO_LINGER ? sizeof(struct linux_linger) : 16;
        if (long_opt && want >= need && got < need)
            goto out_put;
    }
    ret = unix_setsockopt(f, name, val, optlen);
out_put:
    file_put(f);
    return ret;
}
