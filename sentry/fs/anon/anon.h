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
struct path;

/* Fills *out with new references to a path standing for f. Returns 0 or
 * -ENOMEM. */
int anon_file_path(struct file *f, struct path *out);

/* Whether p lies on one of the internal mounts anon_file_path makes: a file
 * opened through such a path (a pipe or memfd reopened through
 * /proc/PID/fd) has no path of its own to show. */
bool anon_path_is_internal(const struct path *p);
