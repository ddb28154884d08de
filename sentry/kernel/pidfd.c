/* pidfds (see pidfd.h). */
#include "sentry/kernel/pidfd.h"

#include <stdint.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/kernfs/seqbuf.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* Every pidfd poller waits here; exits are rare enough for one queue. */
static struct waitqueue pidfd_exit_wq;

static linux_pid_t pidfd_of(struct file *f)
{
    return (linux_pid_t)(intptr_t)f->priv;
}

static unsigned pidfd_poll(struct file *f, struct poll_table *pt)
{
    poll_wait(pt, &pidfd_exit_wq);
    struct task *p = task_find(pidfd_of(f));
    if (!p || p->tg->zombie)
        return LINUX_POLLIN | LINUX_POLLRDNORM;
    return 0;
}

/* "Pid:" is -1 once the process has been reaped, as Linux's. */
static void pidfd_show_fdinfo(struct file *f, struct seqbuf *out)
{
    struct task *p = task_find(pidfd_of(f));
    linux_pid_t pid = p ? pidfd_of(f) : -1;
    seqbuf_printf(out, "Pid:\t%d\nNSpid:\t%d\n", pid, pid);
}

static const struct file_ops pidfd_fops = {
    .poll = pidfd_poll,
    .show_fdinfo = pidfd_show_fdinfo,
};

static int pidfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                       const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted */
}

/* /proc/PID/fd/N shows "anon_inode:[pidfd]". */
static const struct fs_type pidfd_fs_type = {
    .name = "pidfd",
    .nodev = true,
    .mount = pidfs_mount,
};

int pidfd_install(struct task *t, linux_pid_t tgid, int flags)
{
    struct file *f = anon_inode_file_new(&pidfd_fs_type, &pidfd_fops,
                                         LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK),
                                         (void *)(intptr_t)tgid);
    if (!f)
        return -LINUX_ENOMEM;
    int fd = fdtable_install(t->fds, f, 0, LINUX_FD_CLOEXEC,
                             t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur);
    file_put(f);
    return fd;
}

linux_pid_t pidfd_pid(struct task *t, int fd)
{
    struct file *f = fdtable_get(t->fds, fd);
    if (!f)
        return -LINUX_EBADF;
    linux_pid_t pid = f->ops == &pidfd_fops ? pidfd_of(f) : -LINUX_EBADF;
    file_put(f);
    return pid;
}

void pidfd_notify_exit(struct thread_group *tg)
{
    (void)tg;
    waitqueue_wake_all(&pidfd_exit_wq);
}
