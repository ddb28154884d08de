/* Internals shared by the overlay's files: overlay.c (superblocks, inodes,
 * lookup, attributes), overlay_copyup.c (copy-up), overlay_dir.c (the
 * directory-changing ops, whiteouts, merged listings) and overlay_file.c
 * (open files).
 *
 * Objects:
 *   - struct ovl_inode (inode->priv): the layers' inodes behind one
 *     overlay inode. For a directory, `lower` is the lower directory to
 *     merge with (NULL when there is none or the upper one is opaque); for
 *     a regular file it is the file whose data is not copied up yet (or
 *     the file itself while there is no upper copy). An overlay inode is
 *     unique per (parent, name) while it lives: each directory keeps a
 *     table of its live children, so copy-up state is never split.
 *   - struct ovl_meta: facts about an upper inode that must outlive any
 *     overlay inode (Linux keeps them in xattrs): the st_ino it shows, the
 *     lower file still holding its data (metacopy), opacity. Kept in a
 *     table of the superblock keyed by the upper inode, until the upper
 *     inode loses its last name.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/fs/overlay/overlay.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* st_ino of objects that exist only in the upper layer. */
#define OVL_UPPER_INO_BIT (1ULL << 62)

struct ovl_meta {
    struct inode *upper; /* the key; one reference */
    uint64_t ino;        /* st_ino shown */
    struct inode *lower; /* metacopy: the data is still here (a reference) */
    bool opaque;
};

struct ovl_sb {
    struct superblock *lower_sb, *upper_sb;
    struct ovl_meta *meta; /* open addressing on the upper pointer */
    size_t nmeta, meta_cap;
};

struct ovl_inode {
    struct inode *ino;           /* back pointer */
    struct inode *upper, *lower; /* references, either may be NULL */
    struct inode *parent;        /* overlay parent (a reference); NULL: root */
    char *name;
    /* Directories: live children by name, hash chains through hnext (no
     * references: a child leaves its parent's table when it dies). */
    struct ovl_inode **buckets;
    size_t nbuckets, nchildren;
    struct ovl_inode *hnext;
    bool in_parent; /* in parent's table */
};

static inline struct ovl_inode *ovl_of(struct inode *ino)
{
    return ino->priv;
}

static inline struct ovl_sb *ovl_sbi(struct superblock *sb)
{
    return sb->priv;
}

static inline bool ovl_is_dir(const struct inode *ino)
{
    return (ino->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

static inline bool ovl_is_whiteout(const struct inode *ino)
{
    return (ino->attr.mode & LINUX_S_IFMT) == LINUX_S_IFCHR && ino->attr.rdev == 0;
}

/* The inode that answers for ino now: its upper copy, else the lower. */
static inline struct inode *ovl_real(struct inode *ino)
{
    struct ovl_inode *oi = ovl_of(ino);
    return oi->upper ? oi->upper : oi->lower;
}

/* Credentials of the overlay's own changes to the upper layer (copy-up,
 * whiteouts): root's. */
extern const struct cred ovl_root_cred;

/* overlay.c */
struct ovl_meta *ovl_meta_find(struct ovl_sb *s, struct inode *upper);
/* The entry for upper, added (taking a reference) if missing; NULL on ENOMEM. */
struct ovl_meta *ovl_meta_get(struct ovl_sb *s, struct inode *upper, uint64_t ino);
/* Forgets upper (its last name is gone). */
void ovl_meta_drop(struct ovl_sb *s, struct inode *upper);
/* The live child called name of dir, or NULL (no new reference). */
struct ovl_inode *ovl_child_find(struct ovl_inode *dir, const char *name);
void ovl_child_remove(struct ovl_inode *dir, struct ovl_inode *child);
/* Moves child (a live child of old_dir) to be new_name in new_dir. */
int ovl_child_move(struct ovl_inode *child, struct inode *new_dir, const char *new_name);
/* The overlay inode for the object named name in dir whose layers are
 * upper and lower (taking over the caller's references to them). */
int ovl_inode_make(struct inode *dir, const char *name, struct inode *upper, struct inode *lower,
                   struct inode **out_inode);
/* Finds name in dir: the live child, or a new overlay inode; *out_inode is
 * NULL when the merged view has no such name. */
int ovl_lookup_child(struct inode *dir, const char *name, struct inode **out_inode);
/* Whether the merged directory's lower layer has an entry called name (a
 * whiteout is then needed to hide it). */
int ovl_lower_has(struct inode *dir, const char *name, bool *out_has);
/* Copies the real inode's attributes to the overlay inode's. */
void ovl_refresh_attr(struct inode *ino);

/* overlay_copyup.c */
/* Makes sure ino has an upper copy (its parents first); a regular file's
 * data may stay in the lower layer (metacopy). */
int ovl_copy_up(struct inode *ino);
/* The same with a regular file's data copied too. */
int ovl_copy_up_data(struct inode *ino);
/* Whether ino's data is still only in the lower layer. */
bool ovl_metacopy(struct inode *ino);
/* Drops a metacopy's lower data (the file was truncated to 0). */
void ovl_metacopy_clear(struct inode *ino);
/* Opens the layer inode real with flags into a file without a path (for
 * the overlay's own use and as the file behind an overlay file). */
int ovl_open_real(struct inode *real, int flags, struct file **out_file);

/* overlay_dir.c */
extern const struct file_ops ovl_dir_fops;
int ovl_create(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
               struct inode **out_inode);
int ovl_mkdir(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
              struct inode **out_inode);
int ovl_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
              const struct cred *cred, struct inode **out_inode);
int ovl_symlink(struct inode *dir, const char *name, const char *target, const struct cred *cred,
                struct inode **out_inode);
int ovl_link(struct inode *dir, const char *name, struct inode *target);
int ovl_unlink(struct inode *dir, const char *name, struct inode *victim);
int ovl_rmdir(struct inode *dir, const char *name, struct inode *victim);
int ovl_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir,
               const char *new_name, unsigned flags);

/* overlay_file.c */
extern const struct file_ops ovl_file_fops;
int ovl_open(struct inode *ino, struct file *f);
