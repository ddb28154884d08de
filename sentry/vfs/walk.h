/* Internals of the path walk shared by walk.c and the operations in
 * ops.c/namei.c (Linux's struct nameidata). Not for use outside sentry/vfs/.
 *
 * A walk starts (nd_start) at the root or the dirfd, walks every component
 * but the last (nd_walk_prefix), then either resolves the last one
 * (nd_walk_last) or leaves it to the caller (create, unlink, rename...).
 * nd->cur and nd->root hold references; nd_done drops them. */
#pragma once

#include <stdbool.h>

#include "sentry/vfs/vfs.h"

struct nameidata {
    struct task *t;
    const struct cred *cred;
    unsigned flags;   /* WALK_* */
    struct path root; /* where `..` stops and `/` starts */
    struct path cur;
    int nlinks; /* symlinks followed so far */
    char last[VFS_NAME_MAX + 1];
    int last_type; /* WALK_LAST_* */
    bool trailing_slash;
};

/* Sets up nd for path relative to dirfd. cred may be NULL for t's. */
int nd_start(struct nameidata *nd, struct task *t, const struct cred *cred, int dirfd,
             const char *path, unsigned flags);
void nd_done(struct nameidata *nd);
/* Walks all but the last component of s from nd->cur (or the root for an
 * absolute s), following symlinks; fills nd->last*. */
int nd_walk_prefix(struct nameidata *nd, const char *s);
/* Resolves nd->last into nd->cur, following a final symlink when follow
 * (or a trailing slash) asks. With allow_negative a missing name leaves a
 * negative dentry in nd->cur. must_dir: the result must be a directory. */
int nd_walk_last(struct nameidata *nd, bool follow, bool must_dir, bool allow_negative);
/* Follows the symlink at link (a child of nd->cur): a magic link replaces
 * nd->cur and returns 1; an ordinary one walks the body's prefix, leaving
 * its last component in nd->last, and returns 0. */
int nd_follow_link(struct nameidata *nd, const struct path *link);

/* vfs.c internals. */
struct dentry *dentry_add_child(struct dentry *dir, const char *name, struct inode *ino);
void dentry_drop_children(struct dentry *d);
int dentry_move(struct dentry *d, struct dentry *new_parent, const char *new_name);
vfs_special_open_fn vfs_special_opener(uint32_t mode);

static inline bool path_equal(const struct path *a, const struct path *b)
{
    return a->mnt == b->mnt && a->dentry == b->dentry;
}

static inline uint32_t path_mode(const struct path *p)
{
    return p->dentry->inode ? p->dentry->inode->attr.mode : 0;
}

static inline bool mode_is(uint32_t mode, uint32_t ifmt)
{
    return (mode & LINUX_S_IFMT) == ifmt;
}
