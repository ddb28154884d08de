/* goferfs: a filesystem whose files are host files served by the gofer
 * (DESIGN.md section 6). Each gofer mount (0 = the sandbox root, 1.. the
 * binds) is one goferfs superblock; all of them share one connection to
 * the gofer.
 *
 * Inodes hold a gofer handle and the attributes the walk returned. Data
 * never goes through the gofer: opening a file asks it for a host fd
 * (donated over the socket), and the sentry reads and writes that fd
 * itself. mmap is served from a page cache (one mm_object per inode)
 * filled from a donated read-only fd.
 *
 * A read-only mount is assumed not to change underneath the sandbox
 * (attributes, symlink targets and directory entries are cached); a
 * writable one is changed only through the sandbox, which refreshes what
 * it changed.
 *
 * Lock order: the kernel lock covers every goferfs object; gofer round
 * trips are made with it held (the VFS does not revalidate a lookup that
 * dropped it), and the client's own lock is a leaf under it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct superblock;
struct goferfs_conn;

/* A connection to the gofer on sock (taking ownership of sock). The caller
 * owns the returned reference; each superblock holds its own. NULL when
 * out of memory (sock is then closed). */
struct goferfs_conn *goferfs_conn_new(int sock);
void goferfs_conn_put(struct goferfs_conn *conn);

/* A superblock for gofer mount `mount` (attached now). *out_mode gets the
 * mount root's mode (a bind may be a regular file), *out_readonly whether
 * the gofer serves it read-only (the superblock is then MS_RDONLY).
 * Returns 0 or -errno (-EIO: the gofer is gone); the caller owns *out_sb. */
int goferfs_new_sb(struct goferfs_conn *conn, uint32_t mount, struct superblock **out_sb,
                   uint32_t *out_mode, bool *out_readonly);

/* Whether sb is a goferfs superblock. */
bool goferfs_is_sb(const struct superblock *sb);
