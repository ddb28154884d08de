/* Open file descriptions and fd tables.
 *
 * A struct file is an open file description: shared by dup'ed fds and
 * (later) across fork, reference counted, dispatching through file_ops. I/O
 * ops take iovecs that point into sentry memory (the memory file's mapping,
 * see mm_user_blocks), so data moves without an intermediate copy.
 *
 * Lock order: kernel lock only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/linux/dirent.h"
#include "abi/linux/stat.h"
#include "abi/linux/types.h"
#include "sentry/vfs/vfs.h"

struct file;
struct task;
struct mm_object;
struct poll_table;
struct seqbuf;

struct file_ops {
    /* pos is NULL for stream reads, else the offset to read at, advanced. An
     * empty slot means the Linux default, decided in file.c: -EINVAL for
     * read/write, -ESPIPE for positional I/O and seek, -ENOTTY for ioctl. */
    long (*read)(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
    long (*write)(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
    long (*pread)(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos);
    long (*pwrite)(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos);
    long (*seek)(struct file *f, int64_t off, int whence);
    long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uaddr_t arg);
    /* Files without an inode (host fds) answer fstat here; files with one
     * are stat'ed through the inode. */
    long (*stat)(struct file *f, struct linux_stat *out_st);
    /* Directory listing from cookie *pos (advanced past what was emitted).
     * Empty slot: -ENOTDIR. */
    int (*iterate)(struct file *f, vfs_emit_fn emit, void *ctx);
    int (*fsync)(struct file *f, bool datasync);
    /* Space allocation (fallocate mode/offset/len). Empty slot: -EOPNOTSUPP. */
    long (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
    /* For mmap: the memory-file object holding the file's pages from
     * offset 0, populated for [off, off+len) (reading them in if needed).
     * Empty slot: -ENODEV. */
    int (*get_pages)(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj);
    /* Readiness as LINUX_POLL* bits; registers on the queues that signal
     * changes with poll_wait(pt, ...) (sentry/vfs/poll.h). Empty slot:
     * always readable and writable (regular files). */
    unsigned (*poll)(struct file *f, struct poll_table *pt);
    /* Extra lines of /proc/PID/fdinfo/N (Linux's show_fdinfo). */
    void (*show_fdinfo)(struct file *f, struct seqbuf *out);
    void (*release)(struct file *f);
};

struct file {
    int refs;
    const struct file_ops *ops;
    int flags;      /* O_* status flags (O_APPEND, O_NONBLOCK, access mode) */
    int64_t pos;
    /* What was opened; NULL mount/dentry for files without a path (host
     * fds, pipes, anonymous inodes have inode but mount may be NULL). */
    struct path path;
    struct inode *inode;
    /* Writes are committed in chunks of this many bytes (pipes and sockets:
     * a page), and a fault inside a chunk discards it; 0 means bytewise. */
    uint32_t io_chunk;
    void *priv;     /* the implementation's state */
    /* The epoll items watching this file (sentry/fs/anon/epoll.c), dropped
     * when its last reference goes (Linux's f_ep). */
    struct epoll_item *ep_items;
};

/* A new file with one reference owned by the caller. */
struct file *file_new(const struct file_ops *ops, int flags, void *priv);
/* A new file for an opened path: takes references on the path and inode. */
struct file *file_new_path(const struct file_ops *ops, int flags, const struct path *p,
                           struct inode *ino);
void file_get(struct file *f);
void file_put(struct file *f);

long file_read(struct file *f, const struct iovec *iov, int iovcnt);
long file_write(struct file *f, const struct iovec *iov, int iovcnt);
long file_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos);
long file_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos);
long file_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg);

/* Linux's behaviour for directory files, shared by the filesystems that
 * list directories by cookie: seek moves the cookie (SEEK_SET/SEEK_CUR),
 * read and pread are EISDIR, fsync has nothing to write. */
long vfs_dir_seek(struct file *f, int64_t off, int whence);
long vfs_dir_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
long vfs_dir_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos);
int vfs_fsync_nothing(struct file *f, bool datasync);
/* Emits "." (cookie 1) and ".." (cookie 2) for a directory file whose
 * position is below 2, advancing f->pos past each one emitted. ".." is the
 * opened dentry's parent, or the directory itself at a root. Returns false
 * when emit asked to stop, true when the listing may go on from f->pos. */
static inline bool vfs_dir_emit_dots(struct file *f, vfs_emit_fn emit, void *ctx)
{
    struct inode *ino = f->inode;
    if (f->pos == 0) {
        struct vfs_dirent de = {ino->attr.ino, 1, LINUX_DT_DIR, "."};
        if (!emit(ctx, &de))
            return false;
        f->pos = 1;
    }
    if (f->pos == 1) {
        struct dentry *parent = f->path.dentry ? f->path.dentry->parent : NULL;
        uint64_t pino = parent && parent->inode ? parent->inode->attr.ino : ino->attr.ino;
        struct vfs_dirent de = {pino, 2, LINUX_DT_DIR, ".."};
        if (!emit(ctx, &de))
            return false;
        f->pos = 2;
    }
    return true;
}
long file_stat(struct file *f, struct linux_stat *out_st);


struct fd_entry {
    struct file *file;
    int fd_flags;
};

struct fdtable {
    int refs;
    struct fd_entry *v;
    int count; /* slots allocated */
};

struct fdtable *fdtable_new(void);
void fdtable_put(struct fdtable *t);
/* Installs f at the lowest free fd >= min, taking a new reference. Returns the
 * fd or -EMFILE. */
int fdtable_install(struct fdtable *t, struct file *f, int min, int fd_flags, uint64_t nofile_limit);
/* Installs f at exactly fd (closing what was there). Returns fd or -errno. */
int fdtable_install_at(struct fdtable *t, int fd, struct file *f, int fd_flags, uint64_t nofile_limit);
/* The file at fd with a new reference the caller must put, or NULL. */
struct file *fdtable_get(struct fdtable *t, int fd);
/* Closes fd. Returns 0 or -EBADF. */
int fdtable_close(struct fdtable *t, int fd);
/* Closes fds [first, last]; with cloexec, sets FD_CLOEXEC instead. */
int fdtable_close_range(struct fdtable *t, unsigned first, unsigned last, bool cloexec);
/* Closes every fd with FD_CLOEXEC (execve). */
void fdtable_close_on_exec(struct fdtable *t);
/* A copy for fork (each fd references the same files). NULL on ENOMEM. */
struct fdtable *fdtable_clone(struct fdtable *t);
/* The fd flags (FD_CLOEXEC) of fd, or -EBADF. */
int fdtable_get_flags(struct fdtable *t, int fd);
int fdtable_set_flags(struct fdtable *t, int fd, int fd_flags);

/* A file for a host fd the sentry holds (stdio of `moat do`). Takes
 * ownership of host_fd. */
struct file *hostfd_file_new(int host_fd, int flags);
