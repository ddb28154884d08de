/* Advisory file locks, in memory (Linux's fs/locks.c): flock(2) locks,
 * POSIX record locks (fcntl F_SETLK...) and open file description locks
 * (F_OFD_SETLK...).
 *
 * Owners, as Linux's: a POSIX lock belongs to the fd table of the process
 * that set it (so fork does not inherit it, and closing any fd of the file
 * in that table drops it); an OFD lock and a flock lock belong to the open
 * file description (struct file) and go with its last close.
 *
 * Lock order: the kernel lock. A blocking request sleeps on the inode's
 * lock wait queue with it dropped. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct file;
struct inode;
struct task;

/* One byte range [start, end] (end inclusive; VFS_LOCK_EOF: to the end of
 * the file, whatever it becomes). */
#define VFS_LOCK_EOF INT64_MAX

struct vfs_lock_desc {
    int type; /* LINUX_F_RDLCK, LINUX_F_WRLCK or LINUX_F_UNLCK */
    int64_t start, end;
    int pid; /* the holder's pid, -1 for an OFD lock */
};

/* F_GETLK / F_OFD_GETLK: the first lock that would conflict with *io (for
 * owner), written over *io; io->type = F_UNLCK if none. */
void vfs_lock_test(struct inode *ino, const void *owner, struct vfs_lock_desc *io);
/* F_SETLK(W) / F_OFD_SETLK(W): sets, changes or (F_UNLCK) releases owner's
 * lock over the range. -EAGAIN on a conflict unless wait; waiting can give
 * -EDEADLK (POSIX locks only, a cycle of waiting owners) or -ERESTARTSYS. */
int vfs_lock_set(struct task *t, struct inode *ino, const void *owner, bool ofd,
                 const struct vfs_lock_desc *d, bool wait);
/* flock(2) on f: op is LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. */
int vfs_flock(struct task *t, struct file *f, int op);
/* A file of ino was closed in fd table owner: drop owner's POSIX locks. */
void vfs_locks_close_posix(struct inode *ino, const void *owner);
/* The last reference to f is gone: drop its OFD and flock locks. */
void vfs_locks_release_file(struct file *f);
/* The inode dies. */
void vfs_locks_free(struct inode *ino);
