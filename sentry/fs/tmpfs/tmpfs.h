/* tmpfs: a filesystem in sentry memory. Directories are in-memory tables,
 * regular files keep their data in the memory file (one mm_object per file,
 * ino->pages, which mmap maps directly), symlinks keep their target.
 * FIFOs, sockets and device nodes are inodes whose opening is left to the
 * code registered for their type (vfs_register_special_open).
 *
 * Lock order: the kernel lock covers every tmpfs. */
#pragma once

#include <stdint.h>

struct superblock;
struct fs_type;

/* The "tmpfs" filesystem type (registered by tmpfs_register). */
extern const struct fs_type tmpfs_fs_type;
void tmpfs_register(void);

/* A new tmpfs superblock, for boot and /dev/shm. opts is a mount(2) data
 * string ("size=64m,mode=1777,uid=0,gid=0,nr_inodes=1000") or NULL.
 * Returns 0 or -errno (-EINVAL for a bad option); the caller owns *out_sb. */
int tmpfs_new_sb(const char *opts, struct superblock **out_sb);
