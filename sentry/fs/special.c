/* Registration of the special filesystems and file types (see special.h). */
#include "sentry/fs/special.h"

#include "abi/linux/stat.h"
#include "sentry/fs/dev/devfs.h"
#include "sentry/fs/dev/devices.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sysfs.h"
#include "sentry/vfs/vfs.h"

static int fifo_open(struct task *t, struct inode *ino, struct file *f)
{
    (void)t; /* a FIFO open that waits for its partner blocks task_current() */
    return pipe_fifo_open(ino, f);
}

void fs_special_register(void)
{
    fs_type_register(&procfs_type);
    fs_type_register(&sysfs_type);
    fs_type_register(&devfs_type);
    fs_type_register(&pipefs_type);
    vfs_register_special_open(LINUX_S_IFIFO, fifo_open);
    vfs_register_special_open(LINUX_S_IFCHR, chrdev_open);
}
