/* Paths for open files that have none: pipes, memfds, and files the sentry
 * made without the VFS (host stdio, program images). /proc/PID/fd/N is a
 * magic link to the open file's path; for these files, this is the path it
 * leads to, so that open("/dev/stdin"), stat("/proc/self/fd/3") and
 * reopening a pipe through /proc work as on Linux.
 *
 *   - a file with an inode (pipefs, memfd): that inode, on an internal
 *     mount of its superblock. Opening it goes through the inode's own open
 *     (a pipe reopened for reading adds a reader, as Linux's fifo_open).
 *   - a file without one (host fds): a proxy inode whose attributes come
 *     from the file's fstat and whose opens share the original file
 *     description (offset and status flags included, like dup).
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>

struct file;
struct file_ops;
struct fs_type;
struct path;

/* Fills *out with new references to a path standing for f. Returns 0 or
 * -ENOMEM. */
int anon_file_path(struct file *f, struct path *out);

/* Whether p lies on one of the internal mounts anon_file_path makes: a file
 * opened through such a path (a pipe or memfd reopened through
 * /proc/PID/fd) has no path of its own to show. */
bool anon_path_is_internal(const struct path *p);

/* A new file on the anonymous inode of type's internal superblock
 * (Linux's anon_inode_getfile): every file of a type shares one inode
 * (mode 0600, no file type bits), and /proc/PID/fd/N reads
 * "anon_inode:[NAME]" with NAME the type's name ("eventfd", "eventpoll").
 * The caller owns the file's reference; NULL on ENOMEM. */
struct file *anon_inode_file_new(const struct fs_type *type, const struct file_ops *ops, int flags,
                                 void *priv);
