/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2, eventfd and eventfd2: thin handlers over sentry/fs/anon
 * (epoll.c, eventfd.c). */
#include "abi/linux/epoll.h"
#include "abi/linux/eventfd.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "abi/linux/time.h"
#include "platform/platform.h"
#include "sentry/fs/anon/epoll.h"
#include "sentry/fs/anon/eventfd.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/poll_time.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

/* Installs f (the caller's reference is dropped) and returns the fd. */
static long install_new_file(struct task *t, struct file *f, bool cloexec)
{
    long fd = fdtable_install(t->fds, f, 0, cloexec ? LINUX_FD_CLOEXEC : 0,
                              t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur);
    file_put(f);
    return fd;
}

static long do_epoll_create(struct task *t, int flags)
{
    if (flags & ~LINUX_EPOLL_CLOEXEC)
        return -LINUX_EINVAL;
    struct file *f;
    int err = epoll_create_file(&f);
    if (err)
        return err;
    return install_new_file(t, f, flags & LINUX_EPOLL_CLOEXEC);
}

SYSCALL(epoll_create)
{
    if (arg_int(a, 0) <= 0)
        return -LINUX_EINVAL;
    return do_epoll_create(t, 0);
}

SYSCALL(epoll_create1)
{
    return do_epoll_create(t, arg_int(a, 0));
}

SYSCALL(epoll_ctl)
{
    int op = arg_int(a, 1);
    struct linux_epoll_event ev = {0, 0};
    if (op != LINUX_EPOLL_CTL_DEL && copy_in(t->mm, &ev, arg_uaddr(a, 3), sizeof(ev)) < 0)
        return -LINUX_EFAULT;
    struct file *epf = fd_get(t, arg_int(a, 0));
    if (!epf)
        return -LINUX_EBADF;
    long ret = -LINUX_EBADF;
    struct file *tf = fd_get(t, arg_int(a, 2));
    if (tf) {
        ret = epoll_ctl_file(epf, op, arg_int(a, 2), tf, &ev);
        file_put(tf);
    }
    file_put(epf);
    return ret;
}

/* Linux's do_epoll_wait; to NULL waits forever. */
static long do_epoll_wait(struct task *t, int epfd, uaddr_t events, int maxevents,
                          const struct poll_timeout *to)
{
    if (maxevents <= 0 || maxevents > EPOLL_MAX_EVENTS)
        return -LINUX_EINVAL;
    /* access_ok: the whole array must be application addresses. */
    uint64_t size = (uint64_t)maxevents * sizeof(struct linux_epoll_event);
    if (events > PF_TASK_SIZE || size > PF_TASK_SIZE - events)
        return -LINUX_EFAULT;
    struct file *epf = fd_get(t, epfd);
    if (!epf)
        return -LINUX_EBADF;
    long ret = -LINUX_EINVAL;
    if (epoll_is_file(epf))
        ret = epoll_wait_file(t, epf, events, maxevents, to->set && !to->zero ? &to->end : NULL,
                              to->set && to->zero);
    file_put(epf);
    return ret;
}

static void epoll_timeout_ms(struct poll_timeout *to, int timeout_ms)
{
    *to = (struct poll_timeout){0};
    if (timeout_ms >= 0)
        poll_timeout_set(to, timeout_ms / 1000, (int64_t)(timeout_ms % 1000) * 1000000);
}

SYSCALL(epoll_wait)
{
    struct poll_timeout to;
    epoll_timeout_ms(&to, arg_int(a, 3));
    return do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), &to);
}

SYSCALL(epoll_pwait)
{
    struct poll_timeout to;
    epoll_timeout_ms(&to, arg_int(a, 3));
    long err = poll_set_user_sigmask(t, arg_uaddr(a, 4), arg_size(a, 5));
    if (err)
        return err;
    return do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), &to);
}

SYSCALL(epoll_pwait2)
{
    struct poll_timeout to = {0};
    uaddr_t tsp = arg_uaddr(a, 3);
    if (tsp) {
        struct linux_timespec ts;
        if (copy_in(t->mm, &ts, tsp, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        if (poll_timeout_set(&to, ts.tv_sec, ts.tv_nsec) != 0)
            return -LINUX_EINVAL;
    }
    long err = poll_set_user_sigmask(t, arg_uaddr(a, 4), arg_size(a, 5));
    if (err)
        return err;
    return do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), &to);
}

static long do_eventfd(struct task *t, unsigned initval, int flags)
{
    struct file *f;
    int err = eventfd_create(initval, flags, &f);
    if (err)
        return err;
    return install_new_file(t, f, flags & LINUX_EFD_CLOEXEC);
}

SYSCALL(eventfd)
{
    return do_eventfd(t, arg_uint(a, 0), 0);
}

SYSCALL(eventfd2)
{
    return do_eventfd(t, arg_uint(a, 0), arg_int(a, 1));
}
