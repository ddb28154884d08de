/* Pipes and FIFOs (Linux's fs/pipe.c).
 *
 * One struct pipe serves an anonymous pipe (pipe(2): two files on an inode
 * of the internal pipefs) and a named FIFO (an S_IFIFO inode of any
 * filesystem, opened through the VFS with pipe_fifo_open). The buffer is
 * Linux's ring of page-sized slots: 16 by default (64 KiB), resizable with
 * F_SETPIPE_SZ; small writes merge into the last slot, a write of at most a
 * page always lands in one slot, which gives PIPE_BUF atomicity.
 *
 * Lock order: the kernel lock covers every pipe. A blocking read, write or
 * FIFO open sleeps on the pipe's wait queues with it dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct inode;
struct task;
struct fs_type;
struct waitqueue;

#define PIPE_BUF_SIZE 4096            /* PIPE_BUF */
#define PIPE_DEF_SLOTS 16             /* 64 KiB */
#define PIPE_MAX_SIZE_DEFAULT 1048576 /* /proc/sys/fs/pipe-max-size */

/* /proc/sys/fs/pipe-max-size: the most an F_SETPIPE_SZ may ask for (nobody
 * in the sandbox holds CAP_SYS_RESOURCE over the host). */
extern unsigned int pipe_max_size;
/* Sets pipe_max_size as a write to /proc/sys/fs/pipe-max-size does:
 * rounded like F_SETPIPE_SZ sizes; 0 or above 2 GiB is -EINVAL. */
int pipe_set_max_size(unsigned long size);

/* The internal filesystem of anonymous pipes (st_dev of their inodes). */
extern const struct fs_type pipefs_type;

/* pipe2(2) core: a new pipe and its two files, read end then write end.
 * flags: LINUX_O_NONBLOCK and LINUX_O_DIRECT (packet mode), set on both.
 * The caller owns one reference to each file. */
int pipe_create(struct task *t, int flags, struct file **out_read, struct file **out_write);

/* Opens a FIFO: for inode_ops.open of an S_IFIFO inode (tmpfs, overlay,
 * gofer...). f comes from the VFS with flags, inode and path set; on
 * success f->ops and f->priv are set. As Linux: O_RDONLY waits for a
 * writer unless O_NONBLOCK; O_WRONLY waits for a reader, or with
 * O_NONBLOCK fails with -ENXIO when there is none; O_RDWR never waits.
 * Returns 0, -ENXIO, -ERESTARTSYS (interrupted), -ENOMEM. */
int pipe_fifo_open(struct inode *ino, struct file *f);

/* fcntl F_GETPIPE_SZ / F_SETPIPE_SZ on f. -EBADF when f is not a pipe or
 * FIFO (Linux's answer), -EINVAL for other commands. */
long pipe_fcntl(struct file *f, int cmd, long arg);

/* True if f is a pipe or an opened FIFO. */
bool pipe_is_file(const struct file *f);

/* Readiness of f as LINUX_POLL* bits; the pipe's file_ops.poll is built
 * on it. Waiters for input sleep on *out_rd, for output on *out_wr (the
 * queues the pipe wakes). */
unsigned pipe_poll(struct file *f, struct waitqueue **out_rd, struct waitqueue **out_wr);

/* splice(2) and tee(2) support (sentry/syscalls/splice.c). f, in and out
 * are pipe files (pipe_is_file); nonblock is SPLICE_F_NONBLOCK or an end's
 * O_NONBLOCK, as Linux's do_splice decides. Bytes are copied, not shared:
 * each slot filled here is one page of its own, which write(2) does not
 * merge into (Linux clears PIPE_BUF_FLAG_CAN_MERGE on spliced buffers). */

/* Waits until f's pipe holds data: returns the bytes buffered, 0 for EOF
 * (empty without writers) or, with got_some, at once when empty; -EAGAIN
 * (nonblock) or -ERESTARTSYS. Linux's splice_from_pipe_next. */
long pipe_splice_wait_data(struct file *f, bool nonblock, bool got_some);
/* Waits until f's pipe has a free slot: returns the free slots' bytes;
 * -EPIPE (and SIGPIPE) without readers, -EAGAIN (nonblock), -ERESTARTSYS.
 * Linux's wait_for_space. */
long pipe_splice_wait_room(struct file *f, bool nonblock);
/* Copies up to len buffered bytes into buf without consuming them. */
size_t pipe_peek(struct file *f, void *buf, size_t len);
/* Consumes len buffered bytes as a read would (waking writers). */
void pipe_consume(struct file *f, size_t len);
/* Appends up to len bytes of buf in fresh slots without blocking, the
 * first at in-page offset page_off (a file's offset % page, so slots follow
 * the page cache's pages as Linux's filemap_splice_read does). Returns the
 * bytes appended (fewer when the pipe fills). */
size_t pipe_splice_append(struct file *f, const void *buf, size_t len, unsigned page_off);
/* splice between two pipes (Linux's splice_pipe_to_pipe): moves whole
 * slots, splitting the last. -EINVAL for the same pipe. */
long pipe_splice_pipe(struct file *in, struct file *out, size_t len, bool nonblock);
/* tee(2) (Linux's link_pipe): copies up to len bytes of in's buffered data
 * into out without consuming them. -EINVAL for the same pipe. */
long pipe_tee(struct file *in, struct file *out, size_t len, bool nonblock);
