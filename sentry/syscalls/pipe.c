/* pipe, pipe2 and memfd_create: thin handlers over sentry/fs/pipe and
 * sentry/fs/anon. */
#include "abi/linux/fcntl.h"
#include "abi/linux/memfd.h"
#include "abi/linux/resource.h"
#include "sentry/fs/anon/memfd.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

/* O_NOTIFICATION_PIPE (watch queues) shares O_EXCL's bit. */
#define PIPE2_NOTIFICATION LINUX_O_EXCL

static long do_pipe2(struct task *t, uaddr_t fildes, int flags)
{
    if (flags & ~(LINUX_O_CLOEXEC | LINUX_O_NONBLOCK | LINUX_O_DIRECT | PIPE2_NOTIFICATION))
        return -LINUX_EINVAL;
    if (flags & PIPE2_NOTIFICATION)
        return -LINUX_ENOPKG; /* Linux without CONFIG_WATCH_QUEUE */
    struct file *rf, *wf;
    int err = pipe_create(t, flags & (LINUX_O_NONBLOCK | LINUX_O_DIRECT), &rf, &wf);
    if (err)
        return err;
    int fd_flags = (flags & LINUX_O_CLOEXEC) ? LINUX_FD_CLOEXEC : 0;
    return fd_install_pair(t, rf, wf, fd_flags, fildes);
}

SYSCALL(pipe)
{
    return do_pipe2(t, arg_uaddr(a, 0), 0);
}

SYSCALL(pipe2)
{
    return do_pipe2(t, arg_uaddr(a, 0), arg_int(a, 1));
}

SYSCALL(memfd_create)
{
    unsigned flags = arg_uint(a, 1);
    long err = memfd_check_flags(flags);
    if (err)
        return err;
    /* Linux: strnlen_user up to MFD_NAME_MAX_LEN + 1 bytes with the NUL. */
    char name[MEMFD_NAME_MAX + 1];
    long n = copy_string_in(t->mm, name, arg_uaddr(a, 0), sizeof(name));
    if (n == -LINUX_ENAMETOOLONG)
        return -LINUX_EINVAL;
    if (n < 0)
        return n;
    struct file *f;
    err = memfd_create_file(t, name, flags, &f);
    if (err)
        return err;
    long fd = fdtable_install(t->fds, f, 0, (flags & LINUX_MFD_CLOEXEC) ? LINUX_FD_CLOEXEC : 0,
                              t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur);
    file_put(f);
    return fd;
}
