/* Fakes for the unit tests of sentry/fs (pipes, memfd, kernfs, procfs,
 * sysfs, devfs): the VFS object functions, file and fd-table basics, the
 * kernel lock and one task, and copy_in/copy_out over sentry memory (an
 * application address is a sentry pointer here). The code under test and
 * sentry/kernel/waitqueue.c, sentry/mm/object.c and the memory file are
 * real. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

extern struct kernel fake_kernel;
extern struct task fake_task;      /* pid 1, kernel_global->init */
extern int fake_killed_by;         /* task_kill_by_signal's signal, 0 if none */
extern int fake_signal_sent;       /* signal_send_thread's signal, 0 if none */
extern const char *fake_root_path; /* what vfs_path_string answers */

/* Resets the kernel, pid 1 (comm "init", root credentials, an fd table
 * with nothing open) and the memory file; takes the kernel lock. */
void fake_fs_setup(void);
void fake_fs_teardown(void);

/* Reads all of f from offset 0 through its ops into buf (NUL-terminated);
 * returns the length or -errno. */
long fake_read_all(struct file *f, char *buf, size_t size);
/* Writes str to f through its ops. */
long fake_write_str(struct file *f, const char *str);

/* Looks path (relative, "a/b/c") up from dir's inode through inode ops and
 * opens it with flags: a file with references the caller puts. */
int fake_open_path(struct superblock *sb, const char *path, int flags, struct file **out_file);
/* Looks path up and returns its inode (a reference), or -errno. */
int fake_lookup_path(struct superblock *sb, const char *path, struct inode **out_inode);
