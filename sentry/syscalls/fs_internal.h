/* Helpers shared by the path syscall families (fs.c, fs_attr.c,
 * fs_mount.c, file.c). */
#pragma once

#include <stdbool.h>

#include "abi/linux/types.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

struct task;

/* Copies a path argument in (at most VFS_PATH_MAX - 1 bytes; buf has
 * VFS_PATH_MAX). Returns its length, -EFAULT or -ENAMETOOLONG. */
long path_copy_in(struct task *t, uaddr_t upath, char *buf);

/* What a *at(2) call with AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW names: a
 * path, and for an empty path the file of dirfd (which may have an inode
 * but no path). at_target_put drops the references. */
struct at_target {
    struct path path;  /* NULL mount/dentry for a file without a path */
    struct file *file; /* set for the empty-path form on an fd */
    struct inode *ino; /* what to operate on (NULL: ask file->ops->stat) */
};

/* Resolves (dirfd, path) with at_flags (LINUX_AT_EMPTY_PATH,
 * LINUX_AT_SYMLINK_NOFOLLOW; follow says whether to follow a final
 * symlink without NOFOLLOW). */
int at_resolve(struct task *t, int dirfd, const char *path, int at_flags, bool follow,
               struct at_target *out);
void at_target_put(struct at_target *tg);

/* The file at fd with a new reference, or NULL: fd_get refuses O_PATH
 * files (Linux's fdget for operations an O_PATH fd cannot do), fd_get_raw
 * takes any. */
struct file *fd_get(struct task *t, int fd);
struct file *fd_get_raw(struct task *t, int fd);

/* fstat(2) of an open file into out. */
long stat_file(struct file *f, struct linux_stat *out);

/* file_lock.c: the fcntl lock commands, and flock(2). */
long fcntl_lock(struct task *t, int fd, int cmd, uaddr_t arg);
