/* Internals shared by goferfs.c (superblocks, inodes, directory ops) and
 * goferfs_file.c (open files, directories, the page cache).
 *
 * Handles: on a writable mount every inode holds its gofer handle. On a
 * read-only mount, where nothing is ever renamed so (parent, name) always
 * names the same file, only the root holds one for good: a non-directory
 * drops its handle right after the lookup, and directories keep theirs on
 * a bounded most-recently-used list. A handle that is needed again is
 * walked to, in one round trip, from the nearest ancestor that has one.
 * So walking a tree of any size never runs the gofer out of handles (each
 * is an fd in the gofer). Handles are released in batches
 * (goferfs_release_handle).
 *
 * Donated fds: an inode caches one host fd per access mode, shared by every
 * open file of that mode; fds nobody uses stay open on a bounded idle list
 * (oldest closed first) so opening a file again costs no round trip.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/fs/gofer/client.h"
#include "sentry/fs/gofer/goferfs.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Handles queued before one CLOSE carries them all. */
#define GOFERFS_CLOSE_BATCH 64
/* Directory handles a read-only mount keeps (most recently used). */
#define GOFERFS_DIR_HANDLES_MAX 2048
/* Idle donated fds kept open per superblock. */
#define GOFERFS_IDLE_FDS_MAX 256

struct goferfs_conn {
    int refs;
    struct gofer_client *client;
    uint64_t pending[GOFERFS_CLOSE_BATCH]; /* handles to close */
    size_t npending;
    bool warned_dead;
};

/* (host device, host inode) -> sentry inode number, for files on another
 * host filesystem than the mount's root (their numbers may collide). */
struct goferfs_ino_key {
    uint32_t major, minor;
    uint64_t host_ino;
    uint64_t ino;
};

struct goferfs_sb {
    struct goferfs_conn *conn;
    uint32_t mount;
    bool readonly;
    uint32_t root_major, root_minor;
    struct goferfs_ino_key *inos; /* open addressing, power-of-two cap */
    size_t ninos, inos_cap;
    uint64_t next_synthetic;
    struct gofer_inode *idle_first, *idle_last; /* inodes with idle fds */
    unsigned idle_count;
    struct gofer_inode *lru_first, *lru_last; /* read-only: directory handles */
    unsigned lru_count;
};

struct gofer_inode {
    struct inode *ino;    /* back pointer */
    uint64_t handle;      /* 0: none (see the top) */
    struct inode *parent; /* read-only mounts: the directory to walk from */
    char *name;
    struct gofer_inode *lru_prev, *lru_next;
    bool lru_listed;
    int fd[3];         /* donated fds by access mode, -1 if none */
    unsigned users[3]; /* open files using fd[i] */
    struct gofer_inode *idle_prev, *idle_next;
    bool idle_listed;
    uint32_t host_major, host_minor; /* the file's host device */
    char *link;                      /* symlink target (NUL-terminated), cached */
    size_t link_len;
    bool stale; /* ino->attr needs a refresh from the host */
};

static inline struct gofer_inode *gofer_inode_of(struct inode *ino)
{
    return ino->priv;
}

static inline struct goferfs_sb *goferfs_sbi(struct superblock *sb)
{
    return sb->priv;
}

static inline struct gofer_client *goferfs_client(struct inode *ino)
{
    return goferfs_sbi(ino->sb)->conn->client;
}

/* goferfs_handles.c */
/* Queues handle for release (a CLOSE round trip every GOFERFS_CLOSE_BATCH). */
void goferfs_release_handle(struct goferfs_conn *conn, uint64_t handle);
/* Sends every queued CLOSE. */
void goferfs_flush_handles(struct goferfs_conn *conn);
/* A handle for ino's file: its own (or its directory's cached one), or
 * one walked to from its nearest ancestor with a handle (*out_temp: the
 * caller releases it with goferfs_release_handle). */
int goferfs_get_handle(struct inode *ino, uint64_t *out_handle, bool *out_temp);
/* The sentry inode number of a host file (see map_ino in goferfs.c). */
uint64_t goferfs_map_ino(struct goferfs_sb *s, uint32_t major, uint32_t minor, uint64_t host_ino);
/* Gives directory gi of a read-only mount handle h (on the most recently
 * used list, which drops the oldest past GOFERFS_DIR_HANDLES_MAX). */
void goferfs_dir_handle_cache(struct goferfs_sb *s, struct gofer_inode *gi, uint64_t h);
void goferfs_lru_unlist(struct goferfs_sb *s, struct gofer_inode *gi);
/* Logs a lost gofer connection once; passes err through. */
int goferfs_check_err(struct goferfs_conn *conn, int err);

/* goferfs.c */
/* Converts a gofer stat into ino->attr (mapping the inode number). */
void goferfs_set_attr(struct inode *ino, const struct gofer_stat *st);

/* goferfs_file.c */
extern const struct file_ops goferfs_file_fops;
extern const struct file_ops goferfs_dir_fops;
/* inode_ops.open for regular files: attaches a donated fd to f. */
int goferfs_open(struct inode *ino, struct file *f);
/* Stashes a donated fd (from CREATE) as ino's cached fd for accmode. */
void goferfs_adopt_fd(struct inode *ino, int accmode, int fd);
/* Closes ino's fds (evict) and takes it off the idle list. */
void goferfs_close_fds(struct inode *ino);
/* Refreshes ino->attr from the host if it is stale. */
int goferfs_refresh(struct inode *ino);
/* After ino's size changed (a write, a truncate): resizes the page cache
 * and reloads its present pages in [off, off + len) from the host. */
void goferfs_pages_changed(struct inode *ino, uint64_t off, uint64_t len);
