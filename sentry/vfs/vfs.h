/* The VFS: superblocks, inodes, dentries, mounts, per-process filesystem
 * context, and the path walk (DESIGN.md section 6). Linux's shape.
 *
 * Objects and ownership:
 *   - struct superblock: one mounted filesystem instance; owns its root
 *     dentry; filesystems hang their state off sb->priv.
 *   - struct inode: one file object of a filesystem, reference counted
 *     (inode_get/inode_put). Attributes live in ino->attr and are kept
 *     current by the filesystem (a filesystem whose data can change
 *     underneath, like a gofer mount, refreshes them in ops->getattr).
 *   - struct dentry: a name in a directory, cached. A dentry holds one
 *     reference on its inode (NULL inode = negative dentry: a cached
 *     ENOENT) and one on its parent. Children are found through the
 *     parent's child table. dentry_get/dentry_put.
 *   - struct mount: a superblock's root (or a subtree, for binds) attached
 *     at a dentry of a parent mount. Path = (mount, dentry) pair.
 *   - struct fs_context: a process's root, cwd and umask.
 *
 * Every function returns 0 / a value, or -LINUX_Exxx. Functions returning
 * an object through out_* give the caller a new reference.
 *
 * Lock order: the kernel lock covers the whole VFS. Filesystem ops may be
 * called with it held; an op that must block on the host for long (a gofer
 * round trip) may drop and retake it only if it revalidates what it looked
 * at. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/linux/stat.h"
#include "abi/linux/time.h"
#include "abi/linux/types.h"

struct task;
struct file;
struct cred;
struct inode;
struct dentry;
struct mount;
struct superblock;
struct vfs_locks;

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLINK_MAX 40 /* links followed in one walk: more is ELOOP */

/* Attributes, in statx's shape. */
struct vfs_attr {
    uint32_t mode;  /* LINUX_S_IF* | permission bits */
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t ino;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    uint32_t blksize;
    uint64_t rdev;   /* makedev-encoded */
    struct linux_timespec atime, mtime, ctime, btime;
};

/* setattr: which fields to change. */
#define VFS_SET_MODE 0x01
#define VFS_SET_UID 0x02
#define VFS_SET_GID 0x04
#define VFS_SET_SIZE 0x08
#define VFS_SET_ATIME 0x10
#define VFS_SET_MTIME 0x20
#define VFS_SET_CTIME 0x40
/* With ATIME/MTIME: the times are "now" (utimes(NULL), UTIME_NOW), which
 * the owner or anyone with write permission may set; explicit times need
 * the owner (Linux's ATTR_TOUCH vs ATTR_TIMES_SET). */
#define VFS_SET_TIMES_NOW 0x80
/* chown: clear set-user-ID / set-group-ID as Linux does (ATTR_KILL_*). */
#define VFS_SET_KILL_SUID 0x100

struct vfs_setattr {
    uint32_t valid; /* VFS_SET_* */
    uint32_t mode;  /* permission bits only */
    uint32_t uid, gid;
    uint64_t size;
    struct linux_timespec atime, mtime; /* already resolved (no UTIME_NOW) */
};

/* One directory entry, for getdents. */
struct vfs_dirent {
    uint64_t ino;
    uint64_t next;  /* cookie to resume after this entry */
    uint8_t type;   /* DT_* */
    const char *name;
};

/* getdents emits entries through this; it returns false when the caller's
 * buffer is full (the entry was not taken). */
typedef bool (*vfs_emit_fn)(void *ctx, const struct vfs_dirent *d);

struct linux_statfs;

/* Inode operations. An empty slot means the Linux default, applied by the
 * vfs_* functions: lookup → ENOENT, directory-changing ops → EPERM (or
 * EROFS on a read-only mount, decided before the op is called), readlink →
 * EINVAL, setattr → EPERM, xattr ops → ENOTSUP (Linux's EOPNOTSUPP). */
struct inode_ops {
    /* Finds name in dir. *out_inode = NULL with 0 means "does not exist"
     * and may be cached as a negative dentry; -ENOENT means the same
     * without caching. */
    int (*lookup)(struct inode *dir, const char *name, struct inode **out_inode);
    /* Creates a regular file (and opens it: see vfs_open). mode has the
     * type bits set and umask applied. */
    int (*create)(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
                  struct inode **out_inode);
    int (*mkdir)(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
                 struct inode **out_inode);
    /* FIFOs, sockets, regular files, and (if the filesystem allows) devices. */
    int (*mknod)(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                 const struct cred *cred, struct inode **out_inode);
    int (*symlink)(struct inode *dir, const char *name, const char *target,
                   const struct cred *cred, struct inode **out_inode);
    int (*link)(struct inode *dir, const char *name, struct inode *target);
    int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
    int (*rmdir)(struct inode *dir, const char *name, struct inode *victim);
    /* flags: LINUX_RENAME_NOREPLACE / EXCHANGE, already checked for
     * existence by the VFS; the op only moves. */
    int (*rename)(struct inode *old_dir, const char *old_name, struct inode *new_dir,
                  const char *new_name, unsigned flags);
    /* Copies the link target (not NUL-terminated) into buf; returns its
     * full length, which may exceed size. */
    long (*readlink)(struct inode *ino, char *buf, size_t size);
    /* Magic links (/proc/self/fd/N, /proc/PID/cwd...): instead of a target
     * string, the path it stands for, with new references. Optional. */
    int (*get_link_path)(struct inode *ino, struct task *t, struct mount **out_mnt,
                         struct dentry **out_dentry);
    /* Refreshes ino->attr; optional. */
    int (*getattr)(struct inode *ino);
    /* Applies sa (permissions already checked) and updates ino->attr. */
    int (*setattr)(struct inode *ino, const struct vfs_setattr *sa);
    /* Opens ino: sets up *out_file (already allocated by the VFS with
     * flags, inode, path set) — its ops and priv. Optional when the inode
     * sets default_fops. */
    int (*open)(struct inode *ino, struct file *f);
    int (*statfs)(struct superblock *sb, struct linux_statfs *out);
    /* The last reference to ino is gone: free the filesystem's state
     * (ino->priv, its data). Optional. The VFS frees the inode itself. */
    void (*evict)(struct inode *ino);
};

struct inode {
    int refs;
    struct superblock *sb;
    const struct inode_ops *ops;
    /* File ops for opens when ops->open is NULL. */
    const struct file_ops *default_fops;
    struct vfs_attr attr;
    /* Memory-file pages of the file's data, for mmap and page-cache reads
     * (tmpfs: the data itself). Owned by the filesystem. */
    struct mm_object *pages;
    /* Advisory locks (flock, POSIX and OFD record locks), sentry/vfs/lock.c;
     * NULL until the first lock. */
    struct vfs_locks *locks;
    void *priv;
};

struct fs_type {
    const char *name; /* "tmpfs", "proc", ... as in /proc/filesystems */
    bool nodev;       /* "nodev" in /proc/filesystems */
    /* Builds a superblock for a new mount. data: the mount(2) data string
     * or NULL. */
    int (*mount)(const struct fs_type *type, const char *source, unsigned long flags,
                 const char *data, struct superblock **out_sb);
    void (*kill_sb)(struct superblock *sb);
};

struct superblock {
    int refs;
    const struct fs_type *type;
    uint64_t dev;       /* st_dev of its inodes */
    struct dentry *root;
    unsigned long flags; /* LINUX_MS_RDONLY ... */
    uint64_t next_ino;  /* for filesystems that number their own inodes */
    void *priv;
};

struct dentry_table {
    struct dentry **slots;
    size_t count, cap; /* open addressing, power-of-two cap */
};

struct dentry {
    int refs;
    char *name;               /* "" for a root */
    struct dentry *parent;    /* itself for a root */
    struct inode *inode;      /* NULL: negative */
    struct superblock *sb;
    struct dentry_table children;
    int mounted;              /* mounts whose mountpoint is this dentry */
    bool dead;                /* unlinked/rmdir'd: no new lookups find it */
};

#define LINUX_MNT_RDONLY 0x1
#define LINUX_MNT_NOSUID 0x2
#define LINUX_MNT_NODEV 0x4
#define LINUX_MNT_NOEXEC 0x8
#define LINUX_MNT_NOATIME 0x10
#define LINUX_MNT_NODIRATIME 0x20
#define LINUX_MNT_RELATIME 0x40

struct mount {
    int refs;
    struct mount *parent;       /* itself for the root mount */
    struct dentry *mountpoint;  /* in parent */
    struct dentry *root;        /* of the mounted tree */
    struct superblock *sb;
    int flags;                  /* LINUX_MNT_* */
    int id;                     /* mount id (/proc/PID/mountinfo) */
    struct mount **children;    /* mounts on dentries of this mount */
    size_t nchildren;
};

struct path {
    struct mount *mnt;
    struct dentry *dentry;
};

struct fs_context {
    int refs;
    struct path root, cwd;
    uint32_t umask;
};

/* --- objects --- */
struct inode *inode_new(struct superblock *sb, const struct inode_ops *ops, uint32_t mode);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
void path_get(const struct path *p);
void path_put(struct path *p);
/* A new superblock with a root dentry for root_inode (taking its reference). */
struct superblock *sb_new(const struct fs_type *type, struct inode *root_inode);
/* The superblock of an internal filesystem never mounted (pipefs,
 * sockfs): an empty root directory, inode 1, with root_ops and mode
 * (permission bits); new inodes number from 2. NULL on ENOMEM. */
static inline struct superblock *sb_new_internal(const struct fs_type *type,
                                                 const struct inode_ops *root_ops,
                                                 uint32_t root_mode)
{
    struct inode *root = inode_new(NULL, root_ops, LINUX_S_IFDIR | root_mode);
    if (!root)
        return NULL;
    struct superblock *sb = sb_new(type, root);
    if (!sb) {
        inode_put(root);
        return NULL;
    }
    root->sb = sb;
    root->attr.ino = 1;
    sb->next_ino = 2;
    return sb;
}
void sb_get(struct superblock *sb);
void sb_put(struct superblock *sb);
/* A new anonymous-device number for a superblock's st_dev. */
uint64_t vfs_new_dev(void);
/* The current time, for timestamps. */
struct linux_timespec vfs_now(void);

/* --- mounts --- */
void mount_get(struct mount *mnt);
void mount_put(struct mount *mnt);
/* Makes the root mount of a new mount tree from sb (taking a reference on
 * sb); the caller owns the returned reference. */
struct mount *mount_new_root(struct superblock *sb);
/* Mounts sb (or, for binds, the subtree at root) on path at. */
int mount_attach(const struct path *at, struct superblock *sb, struct dentry *root, int flags,
                 struct mount **out_mnt);
int mount_detach(struct mount *mnt, bool lazy);
/* If a mount sits on p, moves p to the top mount's root (in place). */
void mount_follow_down(struct path *p);
/* Iterates every mount (for /proc/PID/mounts): depth first. */
void mount_foreach(struct mount *root, void (*fn)(struct mount *m, void *ctx), void *ctx);
/* Registered filesystem types, for mount(2) and /proc/filesystems. */
const struct fs_type *fs_type_find(const char *name);
void fs_type_foreach(void (*fn)(const struct fs_type *type, void *ctx), void *ctx);

/* --- the path walk --- */
#define WALK_FOLLOW 0x0001       /* follow a trailing symlink */
#define WALK_DIRECTORY 0x0002    /* the result must be a directory */
#define WALK_EMPTY_PATH 0x0004   /* "" means dirfd itself (AT_EMPTY_PATH) */
#define WALK_BENEATH 0x0008      /* RESOLVE_BENEATH: never leave dirfd (EXDEV) */
#define WALK_IN_ROOT 0x0010      /* RESOLVE_IN_ROOT: dirfd acts as the root */
#define WALK_NO_SYMLINKS 0x0020  /* RESOLVE_NO_SYMLINKS: any symlink → ELOOP */
#define WALK_NO_MAGICLINKS 0x0040
#define WALK_NO_XDEV 0x0080      /* RESOLVE_NO_XDEV: never cross a mount */
#define WALK_ALLOW_NEGATIVE 0x0100 /* a missing last component is not ENOENT:
                                      out has a negative dentry (for O_CREAT) */

/* Resolves path (a sandbox path, already copied in) relative to dirfd
 * (LINUX_AT_FDCWD or an fd of t) for t's credentials, filesystem context
 * and fd table. Symlinks and `..` are resolved here, inside t's root: `..`
 * at the root stays at the root, `..` at a mount root crosses to the parent
 * mount. Errors as Linux: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES
 * (search permission), EXDEV (BENEATH escapes), EBADF. */
int vfs_walk(struct task *t, int dirfd, const char *path, unsigned flags, struct path *out);

/* Resolves all but the last component: *out_parent is the directory, the
 * last name is copied to out_last (VFS_NAME_MAX + 1 bytes). out_last is ""
 * for a path ending in "/" or "." or ".." (*out_last_type tells which:
 * WALK_LAST_NORM, WALK_LAST_ROOT, WALK_LAST_DOT, WALK_LAST_DOTDOT), and
 * *out_trailing_slash says whether the path ended with '/'. */
#define WALK_LAST_NORM 0
#define WALK_LAST_ROOT 1
#define WALK_LAST_DOT 2
#define WALK_LAST_DOTDOT 3
int vfs_walk_parent(struct task *t, int dirfd, const char *path, unsigned flags,
                    struct path *out_parent, char *out_last, int *out_last_type,
                    bool *out_trailing_slash);

/* Looks name up in dir (cached), crossing mounts. *out has a (possibly
 * negative) dentry. */
int vfs_lookup_one(struct task *t, const struct path *dir, const char *name, struct path *out);

/* Permission check of ino for mask (LINUX_MAY_READ/WRITE/EXEC) by cred,
 * Linux rules (root bypasses rwx except exec needs some x bit). */
#define VFS_MAY_EXEC 1
#define VFS_MAY_WRITE 2
#define VFS_MAY_READ 4
int vfs_permission(const struct cred *cred, struct inode *ino, int mask);

/* --- operations used by syscalls, procfs and the loader --- */
/* open(2) core: flags are Linux O_*; mode for O_CREAT/O_TMPFILE (umask is
 * applied here). Returns the new file (caller's reference). */
int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
             unsigned walk_flags, struct file **out_file);
/* Opens an already-resolved path. */
int vfs_open_path(struct task *t, const struct path *p, int flags, struct file **out_file);
int vfs_stat(struct task *t, const struct path *p, struct vfs_attr *out_attr);
int vfs_mkdir(struct task *t, int dirfd, const char *path, uint32_t mode);
int vfs_mknod(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t rdev);
int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path);
int vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
             const char *newpath, int flags);
int vfs_unlink(struct task *t, int dirfd, const char *path, int flags);
int vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
               const char *newpath, unsigned flags);
/* readlinkat(2) core: copies at most size bytes of the target into buf
 * and returns how many; an empty path means dirfd itself. */
long vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t size);
/* statfs(2) core for the filesystem p is on. */
int vfs_statfs(struct task *t, const struct path *p, struct linux_statfs *out);
int vfs_setattr(struct task *t, const struct path *p, const struct vfs_setattr *sa);
/* The same on an inode reached through an open file (fchmod, fchown,
 * futimens, ftruncate); mnt may be NULL. */
int vfs_setattr_inode(struct task *t, struct mount *mnt, struct inode *ino,
                      const struct vfs_setattr *sa);
/* Whether writes through mnt to its filesystem are refused (EROFS). */
bool vfs_mount_readonly(const struct mount *mnt);
/* The absolute path of p as seen from root (for getcwd, /proc links,
 * AT_EXECFN): writes a NUL-terminated string; -ENAMETOOLONG if it does not
 * fit. Paths outside root read as "/" (Linux shows them relative to the
 * real root; inside a sandbox there is nothing above root). */
int vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t size);

/* --- boot --- */
/* The root of a new sandbox's mount tree (sentry/vfs/boot_root.c): the
 * caller owns the path's references. */
int vfs_boot_root(struct path *out_root);

/* --- filesystem context --- */
struct fs_context *fs_context_new(const struct path *root, uint32_t umask);
struct fs_context *fs_context_clone(struct fs_context *fs);
void fs_context_get(struct fs_context *fs); /* CLONE_FS sharing */
void fs_context_put(struct fs_context *fs);
/* Replaces fs's root or cwd with p (taking a new reference). */
void fs_context_set_root(struct fs_context *fs, const struct path *p);
void fs_context_set_cwd(struct fs_context *fs, const struct path *p);

/* --- more objects and helpers --- */
/* The dentry for name in dir's child table (positive or negative), or NULL;
 * no new reference. */
struct dentry *dentry_lookup_cached(struct dentry *dir, const char *name);
/* Adds (or makes positive) the child name of dir for ino (taking a
 * reference on ino): what a filesystem's create/mkdir/... leave in the
 * cache. Returns the dentry (no new reference) or NULL on ENOMEM. */
struct dentry *dentry_instantiate(struct dentry *dir, const char *name, struct inode *ino);
/* Takes d out of its parent's child table and marks it dead (unlink,
 * rmdir, a gofer entry found stale). Open files keep what they hold. */
void dentry_unhash(struct dentry *d);
/* Registers a filesystem type (boot, before the first mount). */
void fs_type_register(const struct fs_type *type);
/* Fills ino's owner, group and mode for a new file in dir made by cred,
 * Linux's inode_init_owner (set-group-ID directories). mode has its type
 * bits. */
void vfs_init_owner(struct inode *ino, struct inode *dir, uint32_t mode, const struct cred *cred);
/* struct stat from attributes, for stat(2) and friends. */
void vfs_attr_to_stat(const struct vfs_attr *a, uint64_t dev, struct linux_stat *out);
/* Attributes of ino, refreshed through ops->getattr. */
int vfs_getattr(struct inode *ino, struct vfs_attr *out_attr);
/* Openers of special files (FIFOs, character devices...) that live on any
 * filesystem: the pipe and device code registers one per file type
 * (LINUX_S_IFIFO, LINUX_S_IFCHR, LINUX_S_IFBLK). open sets f->ops/priv;
 * without an opener, opening the file gives ENXIO. */
typedef int (*vfs_special_open_fn)(struct task *t, struct inode *ino, struct file *f);
void vfs_register_special_open(uint32_t ifmt, vfs_special_open_fn open);
/* Root check for the VFS's permission rules: Linux's capable(CAP_...) for
 * the filesystem capabilities (fsuid 0). */
bool vfs_cred_is_root(const struct cred *cred);
/* Whether cred is in group gid (its fsgid or a supplementary group). */
bool vfs_cred_in_group(const struct cred *cred, uint32_t gid);
