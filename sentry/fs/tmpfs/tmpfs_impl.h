/* Internals shared by the tmpfs files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Linux's BOGO_DIRENT_SIZE: a directory's st_size grows by this much per
 * entry (and starts at two of them). */
#define TMPFS_DIRENT_SIZE 20

struct tmpfs_sb {
    uint64_t max_blocks; /* pages */
    uint64_t max_inodes;
    uint64_t inodes; /* in use */
    uint32_t root_mode, root_uid, root_gid;
};

struct tmpfs_dirent {
    char *name;
    struct inode *ino;                /* one reference */
    uint64_t cookie;                  /* getdents position, increasing */
    struct tmpfs_dirent *hnext;       /* hash chain */
    struct tmpfs_dirent *prev, *next; /* in cookie order */
};

struct tmpfs_dir {
    struct tmpfs_dirent **buckets;
    size_t nbuckets, count;
    struct tmpfs_dirent *first, *last;
    uint64_t next_cookie;
};

/* tmpfs_dir.c: directory tables and directory files. */
struct tmpfs_dir *tmpfs_dir_new(void);
void tmpfs_dir_free(struct tmpfs_dir *d);
struct tmpfs_dirent *tmpfs_dir_find(struct tmpfs_dir *d, const char *name);
/* Adds name → ino, taking a reference on ino. */
int tmpfs_dir_add(struct tmpfs_dir *d, const char *name, struct inode *ino);
/* Removes the entry; returns its inode reference to the caller. */
struct inode *tmpfs_dir_remove(struct tmpfs_dir *d, const char *name);
extern const struct file_ops tmpfs_dir_fops;

/* tmpfs_file.c: regular files. */
extern const struct file_ops tmpfs_file_fops;
/* Sets the size of a regular file (truncate): -ENOSPC, -EFBIG. */
int tmpfs_file_resize(struct inode *ino, uint64_t size);
/* Pages holding data (for st_blocks). */
uint64_t tmpfs_file_pages(struct inode *ino);
/* relatime: whether a read now should update atime. */
void tmpfs_touch_atime(struct inode *ino);

static inline struct tmpfs_dir *tmpfs_dir_of(struct inode *ino)
{
    return ino->priv;
}
