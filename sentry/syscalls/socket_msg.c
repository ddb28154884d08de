/* Socket data syscalls (Linux's net/socket.c and net/core/scm.c): sendto,
 * recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, and the control
 * messages they carry: SCM_RIGHTS (files; the receiver gets new fds) and
 * SCM_CREDENTIALS, laid out as x86_64's CMSG macros (16-byte header,
 * 8-byte alignment).
 *
 * Data is copied straight between application memory and the socket's
 * buffers at the time of the copy (struct sock_data); the msghdr, the
 * address and the control buffer are copied in first, as Linux does. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "abi/linux/socket.h"
#include "abi/linux/time.h"
#include "abi/linux/uio.h"
#include "sentry/fs/sock/unix.h"
#include "abi/linux/capability.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/socket_internal.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

/* MSG_CMSG_COMPAT: 32-bit callers only; sendmsg and recvmsg refuse it. */
#define MSG_CMSG_COMPAT 0x80000000U

#define CMSG_HDR_SIZE sizeof(struct linux_cmsghdr)

/* --- sending --- */

/* Linux's scm_check_creds: the sender's own pid and ids, unless it has
 * the capabilities (root) to claim others. */
static int scm_check_creds(const struct task *t, const struct linux_ucred *c)
{
    if (c->uid == (uint32_t)-1 || c->gid == (uint32_t)-1)
        return -LINUX_EINVAL;
    const struct cred *cr = &t->cred;
    bool pid_ok = c->pid == t->tg->tgid || cred_capable(cr, LINUX_CAP_SYS_ADMIN);
    bool uid_ok = c->uid == cr->uid || c->uid == cr->euid || c->uid == cr->suid ||
                  cred_capable(cr, LINUX_CAP_SETUID);
    bool gid_ok = c->gid == cr->gid || c->gid == cr->egid || c->gid == cr->sgid ||
                  cred_capable(cr, LINUX_CAP_SETGID);
    return pid_ok && uid_ok && gid_ok ? 0 : -LINUX_EPERM;
}

/* Linux's __scm_send: parses the control buffer ctl (size bytes, in
 * sentry memory) into scm, taking references on the files named. On
 * error, scm holds nothing. */
static long scm_parse(struct task *t, const uint8_t *ctl, uint64_t size, struct unix_scm *scm)
{
    long err;
    uint64_t off = 0;
    if (size < CMSG_HDR_SIZE)
        return 0;
    for (;;) {
        struct linux_cmsghdr h;
        memcpy(&h, ctl + off, sizeof(h));
        err = -LINUX_EINVAL;
        /* CMSG_OK */
        if (h.cmsg_len < CMSG_HDR_SIZE || h.cmsg_len > size - off)
            goto out_release;
        if (h.cmsg_level == LINUX_SOL_SOCKET) {
            const uint8_t *data = ctl + off + CMSG_HDR_SIZE;
            uint64_t dlen = h.cmsg_len - CMSG_HDR_SIZE;
            switch (h.cmsg_type) {
            case LINUX_SCM_RIGHTS: {
                int num = (int)(dlen / sizeof(int));
                if (num <= 0)
                    break;
                if (num > UNIX_SCM_MAX_FD || scm->nfiles + num > UNIX_SCM_MAX_FD)
                    goto out_release;
                for (int i = 0; i < num; i++) {
                    int fd;
                    memcpy(&fd, data + (size_t)i * sizeof(int), sizeof(fd));
                    struct file *f = fd < 0 ? NULL : fdtable_get(t->fds, fd);
                    err = -LINUX_EBADF;
                    if (!f)
                        goto out_release;
                    scm->files[scm->nfiles++] = f;
                }
                break;
            }
            case LINUX_SCM_CREDENTIALS: {
                struct linux_ucred c;
                if (h.cmsg_len != linux_cmsg_len(sizeof(c)))
                    goto out_release;
                memcpy(&c, data, sizeof(c));
                err = scm_check_creds(t, &c);
                if (err)
                    goto out_release;
                err = -LINUX_ESRCH;
                if (c.pid <= 0 || !task_find(c.pid))
                    goto out_release;
                scm->has_creds = true;
                scm->creds = c;
                break;
            }
            default:
                goto out_release;
            }
        }
        /* CMSG_NXTHDR */
        uint64_t next = off + linux_cmsg_align(h.cmsg_len);
        if (next < off || next + CMSG_HDR_SIZE > size)
            break;
        off = next;
    }
    return 0;

out_release:
    unix_scm_release(scm);
    scm->has_creds = false;
    return err;
}

/* A copied-in msghdr: the address, the iovecs and the control buffer in
 * sentry memory. */
struct msg_in {
    char addr[SOCK_ADDR_MAX + 1];
    int addrlen;
    struct linux_iovec iov[LINUX_UIO_MAXIOV];
    int iovcnt;
};

/* Linux's copy_msghdr_from_user for sendmsg (the address copied in) or
 * recvmsg (its address kept). */
static long msghdr_in(struct task *t, const struct linux_msghdr *m, bool sending,
                      struct msg_in *out)
{
    int namelen = m->msg_name ? m->msg_namelen : 0;
    if (namelen < 0)
        return -LINUX_EINVAL;
    if (namelen > SOCK_ADDR_MAX)
        namelen = SOCK_ADDR_MAX;
    out->addrlen = 0;
    if (sending && m->msg_name && namelen) {
        long err = sock_addr_in(t, m->msg_name, namelen, out->addr);
        if (err)
            return err;
        out->addrlen = namelen;
    }
    if (m->msg_iovlen > LINUX_UIO_MAXIOV)
        return -LINUX_EMSGSIZE;
    out->iovcnt = (int)m->msg_iovlen;
    long total = copy_iovecs_in(t->mm, m->msg_iov, out->iovcnt, out->iov);
    return total < 0 ? total : 0;
}

/* ___sys_sendmsg on a copied msghdr. */
static long do_sendmsg(struct task *t, struct file *f, const struct linux_msghdr *m, int flags,
                       struct msg_in *in)
{
    long err = msghdr_in(t, m, true, in);
    if (err)
        return err;
    if (m->msg_controllen > 0x7fffffff)
        return -LINUX_ENOBUFS;
    struct unix_scm *scm = NULL;
    if (m->msg_controllen) {
        if (m->msg_controllen > SOCK_OPTMEM_MAX)
            return -LINUX_ENOBUFS;
        uint8_t *ctl = malloc(m->msg_controllen);
        scm = calloc(1, sizeof(*scm));
        err = -LINUX_ENOBUFS;
        if (!ctl || !scm)
            goto out_free;
        err = -LINUX_EFAULT;
        if (copy_in(t->mm, ctl, m->msg_control, m->msg_controllen) < 0)
            goto out_free;
        err = scm_parse(t, ctl, m->msg_controllen, scm);
    out_free:
        free(ctl);
        if (err) {
            free(scm);
            return err;
        }
    }
    if (f->flags & LINUX_O_NONBLOCK)
        flags |= LINUX_MSG_DONTWAIT;
    struct sock_data d;
    sock_data_init_user(&d, t->mm, in->iov, in->iovcnt);
    long ret = unix_sendmsg(f, &d, scm, in->addr, in->addrlen, flags);
    if (scm) {
        unix_scm_release(scm);
        free(scm);
    }
    return ret;
}

SYSCALL(sendto)
{
    size_t len = arg_size(a, 2);
    if (len > (size_t)LINUX_MAX_RW_COUNT)
        len = (size_t)LINUX_MAX_RW_COUNT;
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    int flags = arg_int(a, 3), addrlen = 0;
    char addr[SOCK_ADDR_MAX + 1];
    if (arg_uaddr(a, 4)) {
        addrlen = arg_int(a, 5);
        ret = sock_addr_in(t, arg_uaddr(a, 4), addrlen, addr);
        if (ret)
            goto out_put;
    }
    if (f->flags & LINUX_O_NONBLOCK)
        flags |= LINUX_MSG_DONTWAIT;
    struct linux_iovec iov = {arg_uaddr(a, 1), len};
    struct sock_data d;
    sock_data_init_user(&d, t->mm, &iov, 1);
    ret = unix_sendmsg(f, &d, NULL, addr, addrlen, flags);
out_put:
    file_put(f);
    return ret;
}

SYSCALL(sendmsg)
{
    int flags = arg_int(a, 2);
    if ((unsigned)flags & MSG_CMSG_COMPAT)
        return -LINUX_EINVAL;
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    struct linux_msghdr m;
    struct msg_in *in = malloc(sizeof(*in));
    ret = -LINUX_ENOMEM;
    if (!in)
        goto out_put;
    ret = -LINUX_EFAULT;
    if (copy_in(t->mm, &m, arg_uaddr(a, 1), sizeof(m)) >= 0)
        ret = do_sendmsg(t, f, &m, flags, in);
    free(in);
out_put:
    file_put(f);
    return ret;
}

SYSCALL(sendmmsg)
{
    unsigned vlen = arg_uint(a, 2);
    int flags = arg_int(a, 3);
    if ((unsigned)flags & MSG_CMSG_COMPAT)
        return -LINUX_EINVAL;
    if (vlen > LINUX_UIO_MAXIOV)
        vlen = LINUX_UIO_MAXIOV;
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    struct msg_in *in = malloc(sizeof(*in));
    if (!in) {
        file_put(f);
        return -LINUX_ENOMEM;
    }
    uaddr_t entry = arg_uaddr(a, 1);
    unsigned datagrams = 0;
    long err = 0;
    while (datagrams < vlen) {
        struct linux_mmsghdr mm;
        if (copy_in(t->mm, &mm, entry, sizeof(mm)) < 0) {
            err = -LINUX_EFAULT;
            break;
        }
        err = do_sendmsg(t, f, &mm.msg_hdr, flags, in);
        if (err < 0)
            break;
        uint32_t sent = (uint32_t)err;
        uint64_t total = 0;
        for (int i = 0; i < in->iovcnt; i++)
            total += in->iov[i].iov_len;
        err = 0;
        if (copy_out(t->mm, entry + __builtin_offsetof(struct linux_mmsghdr, msg_len), &sent,
                     sizeof(sent)) < 0) {
            err = -LINUX_EFAULT;
            break;
        }
        entry += sizeof(struct linux_mmsghdr);
        datagrams++;
        if (sent < total)
            break; /* a partial send ends the batch */
    }
    free(in);
    file_put(f);
    /* An error is returned only when nothing was sent. */
    return datagrams ? (long)datagrams : err;
}

/* --- receiving --- */

/* Where control messages go: Linux's msg_control_user and msg_controllen,
 * advanced as messages are written. */
struct cmsg_out {
    uaddr_t ptr;
    uint64_t left;
    uint32_t *msg_flags;
};

/* Linux's put_cmsg: a message truncated to the room left (MSG_CTRUNC). */
static void put_cmsg(struct task *t, struct cmsg_out *co, int level, int type, const void *data,
                     size_t len)
{
    uint64_t cmlen = linux_cmsg_len(len);
    if (!co->ptr || co->left < CMSG_HDR_SIZE) {
        *co->msg_flags |= LINUX_MSG_CTRUNC;
        return;
    }
    if (co->left < cmlen) {
        *co->msg_flags |= LINUX_MSG_CTRUNC;
        cmlen = co->left;
    }
    struct linux_cmsghdr h = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
    if (copy_out(t->mm, co->ptr, &h, sizeof(h)) < 0 ||
        copy_out(t->mm, co->ptr + CMSG_HDR_SIZE, data, cmlen - CMSG_HDR_SIZE) < 0)
        return;
    uint64_t adv = linux_cmsg_space(len);
    if (adv > co->left)
        adv = co->left;
    co->ptr += adv;
    co->left -= adv;
}

/* Linux's scm_detach_fds: installs as many received files as the room
 * allows (one reference each into the fd table), one SCM_RIGHTS message
 * for them; the rest are dropped with MSG_CTRUNC. Puts every file of scm. */
static void detach_fds(struct task *t, struct cmsg_out *co, struct unix_scm *scm, bool cloexec)
{
    int fdmax = co->left <= CMSG_HDR_SIZE ? 0 : (int)((co->left - CMSG_HDR_SIZE) / sizeof(int));
    if (fdmax > scm->nfiles)
        fdmax = scm->nfiles;
    uint64_t limit = t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur;
    int i;
    for (i = 0; i < fdmax; i++) {
        int fd = fdtable_install(t->fds, scm->files[i], 0, cloexec ? LINUX_FD_CLOEXEC : 0, limit);
        if (fd < 0)
            break;
        if (copy_out(t->mm, co->ptr + CMSG_HDR_SIZE + (uint64_t)i * sizeof(int), &fd, sizeof(fd)) <
            0) {
            fdtable_close(t->fds, fd);
            break;
        }
    }
    if (i > 0) {
        struct linux_cmsghdr h = {.cmsg_len = linux_cmsg_len((uint64_t)i * sizeof(int)),
                                  .cmsg_level = LINUX_SOL_SOCKET,
                                  .cmsg_type = LINUX_SCM_RIGHTS};
        if (copy_out(t->mm, co->ptr, &h, sizeof(h)) >= 0) {
            uint64_t adv = linux_cmsg_space((uint64_t)i * sizeof(int));
            if (adv > co->left)
                adv = co->left;
            co->ptr += adv;
            co->left -= adv;
        }
    }
    if (i < scm->nfiles || (scm->nfiles && fdmax <= 0))
        *co->msg_flags |= LINUX_MSG_CTRUNC;
    unix_scm_release(scm);
}

/* Linux's scm_recv_unix: credentials (SO_PASSCRED), then files. */
static void scm_recv(struct task *t, struct cmsg_out *co, struct unix_recv_info *info, bool cloexec)
{
    if (!co->ptr) {
        if (info->passcred || info->scm.nfiles)
            *co->msg_flags |= LINUX_MSG_CTRUNC;
        unix_scm_release(&info->scm);
        return;
    }
    if (info->passcred)
        put_cmsg(t, co, LINUX_SOL_SOCKET, LINUX_SCM_CREDENTIALS, &info->creds, sizeof(info->creds));
    if (info->scm.nfiles)
        detach_fds(t, co, &info->scm, cloexec);
}

/* ___sys_recvmsg on the msghdr at um (already copied into *m). */
static long do_recvmsg(struct task *t, struct file *f, uaddr_t um, const struct linux_msghdr *m,
                       int flags, struct msg_in *in, struct unix_recv_info *info)
{
    long err = msghdr_in(t, m, false, in);
    if (err)
        return err;
    uint32_t msg_flags = (uint32_t)flags & (LINUX_MSG_CMSG_CLOEXEC | MSG_CMSG_COMPAT);
    if (f->flags & LINUX_O_NONBLOCK)
        flags |= LINUX_MSG_DONTWAIT;
    struct sock_data d;
    sock_data_init_user(&d, t->mm, in->iov, in->iovcnt);
    long len = unix_recvmsg(f, &d, flags, info);
    if (len < 0)
        return len;
    msg_flags |= (uint32_t)info->msg_flags;
    struct cmsg_out co = {
        .ptr = m->msg_control, .left = m->msg_controllen, .msg_flags = &msg_flags};
    scm_recv(t, &co, info, flags & LINUX_MSG_CMSG_CLOEXEC);
    if (m->msg_name) {
        err = sock_addr_out(t, &info->addr, info->addrlen, m->msg_name,
                            um + __builtin_offsetof(struct linux_msghdr, msg_namelen));
        if (err)
            return err;
    }
    uint32_t out_flags = msg_flags & ~MSG_CMSG_COMPAT;
    if (copy_out(t->mm, um + __builtin_offsetof(struct linux_msghdr, msg_flags), &out_flags,
                 sizeof(out_flags)) < 0)
        return -LINUX_EFAULT;
    uint64_t used = m->msg_controllen - co.left;
    if (copy_out(t->mm, um + __builtin_offsetof(struct linux_msghdr, msg_controllen), &used,
                 sizeof(used)) < 0)
        return -LINUX_EFAULT;
    return len;
}

SYSCALL(recvfrom)
{
    size_t len = arg_size(a, 2);
    if (len > (size_t)LINUX_MAX_RW_COUNT)
        len = (size_t)LINUX_MAX_RW_COUNT;
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    int flags = arg_int(a, 3);
    if (f->flags & LINUX_O_NONBLOCK)
        flags |= LINUX_MSG_DONTWAIT;
    struct linux_iovec iov = {arg_uaddr(a, 1), len};
    struct sock_data d;
    sock_data_init_user(&d, t->mm, &iov, 1);
    struct unix_recv_info info;
    ret = unix_recvmsg(f, &d, flags, &info);
    if (ret >= 0) {
        /* No room for control messages: files are dropped. */
        unix_scm_release(&info.scm);
        uaddr_t uaddr = arg_uaddr(a, 4);
        if (uaddr) {
            long err = sock_addr_out(t, &info.addr, info.addrlen, uaddr, arg_uaddr(a, 5));
            if (err)
                ret = err;
        }
    }
    file_put(f);
    return ret;
}

SYSCALL(recvmsg)
{
    int flags = arg_int(a, 2);
    if ((unsigned)flags & MSG_CMSG_COMPAT)
        return -LINUX_EINVAL;
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    struct msg_in *in = malloc(sizeof(*in));
    struct unix_recv_info *info = malloc(sizeof(*info));
    ret = -LINUX_ENOMEM;
    if (!in || !info)
        goto out_free;
    struct linux_msghdr m;
    uaddr_t um = arg_uaddr(a, 1);
    ret = -LINUX_EFAULT;
    if (copy_in(t->mm, &m, um, sizeof(m)) >= 0)
        ret = do_recvmsg(t, f, um, &m, flags, in, info);
out_free:
    free(in);
    free(info);
    file_put(f);
    return ret;
}

SYSCALL(recvmmsg)
{
    unsigned vlen = arg_uint(a, 2);
    int flags = arg_int(a, 3);
    uaddr_t utimeout = arg_uaddr(a, 4);
    if ((unsigned)flags & MSG_CMSG_COMPAT)
        return -LINUX_EINVAL;
    struct linux_timespec ts;
    struct linux_timespec end;
    if (utimeout) {
        if (copy_in(t->mm, &ts, utimeout, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= LINUX_NSEC_PER_SEC)
            return -LINUX_EINVAL;
        end = waitqueue_deadline_after(ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec);
    }
    long ret;
    struct file *f = sock_fd_get(t, arg_int(a, 0), &ret);
    if (!f)
        return ret;
    struct msg_in *in = malloc(sizeof(*in));
    struct unix_recv_info *info = malloc(sizeof(*info));
    long err = -LINUX_ENOMEM;
    unsigned datagrams = 0;
    if (!in || !info)
        goto out;
    err = unix_take_error(f);
    if (err)
        goto out;
    uaddr_t entry = arg_uaddr(a, 1);
    while (datagrams < vlen) {
        struct linux_msghdr m;
        if (copy_in(t->mm, &m, entry, sizeof(m)) < 0) {
            err = -LINUX_EFAULT;
            break;
        }
        err = do_recvmsg(t, f, entry, &m, flags & ~LINUX_MSG_WAITFORONE, in, info);
        if (err < 0)
            break;
        uint32_t n = (uint32_t)err;
        err = 0;
        if (copy_out(t->mm, entry + __builtin_offsetof(struct linux_mmsghdr, msg_len), &n,
                     sizeof(n)) < 0) {
            err = -LINUX_EFAULT;
            break;
        }
        entry += sizeof(struct linux_mmsghdr);
        datagrams++;
        if (flags & LINUX_MSG_WAITFORONE)
            flags |= LINUX_MSG_DONTWAIT;
        if (utimeout) {
            /* As Linux, the timeout is only looked at between messages. */
            struct linux_timespec now = waitqueue_deadline_after(0);
            int64_t left =
                (end.tv_sec - now.tv_sec) * LINUX_NSEC_PER_SEC + (end.tv_nsec - now.tv_nsec);
            if (left < 0)
                left = 0;
            ts.tv_sec = left / LINUX_NSEC_PER_SEC;
            ts.tv_nsec = left % LINUX_NSEC_PER_SEC;
            if (left == 0)
                break;
        }
    }
out:
    /* An error after some messages is kept for the next call, as Linux
     * (SO_ERROR); EAGAIN just ends the batch. */
    if (datagrams && err && err != -LINUX_EAGAIN && err > -LINUX_ERESTARTSYS)
        unix_set_error(f, (int)-err);
    free(in);
    free(info);
    file_put(f);
    if (datagrams == 0)
        return err;
    if (utimeout && copy_out(t->mm, utimeout, &ts, sizeof(ts)) < 0)
        return -LINUX_EFAULT;
    return (long)datagrams;
}
