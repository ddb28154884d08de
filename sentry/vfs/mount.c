/* The mount tree.
 *
 * A mount's parent holds it through its children array (the tree's
 * reference); a child does not hold its parent. When a mount dies, its
 * remaining children become detached roots of their own (as after a lazy
 * unmount). A mount holds references on its superblock, its root dentry and
 * its mountpoint dentry. dentry->mounted counts the mounts sitting on a
 * dentry, so the walk only searches a mount's children when it may find one.
 *
 * Lock order: the kernel lock covers the tree. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "lib/panic.h"
#include "sentry/vfs/vfs.h"

static int next_mount_id = 1;

static struct mount *mount_alloc(struct superblock *sb, struct dentry *root, int flags)
{
    struct mount *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->refs = 1;
    m->parent = m;
    m->sb = sb;
    sb_get(sb);
    m->root = root;
    dentry_get(root);
    m->mountpoint = root;
    dentry_get(root);
    m->flags = flags;
    m->id = next_mount_id++;
    return m;
}

struct mount *mount_new_root(struct superblock *sb)
{
    return mount_alloc(sb, sb->root, 0);
}

void mount_get(struct mount *mnt)
{
    SENTRY_ASSERT(mnt->refs > 0);
    mnt->refs++;
}

/* Takes m out of its parent's children; the tree's reference becomes the
 * caller's. */
static void mount_unlink(struct mount *m)
{
    struct mount *p = m->parent;
    for (size_t i = 0; i < p->nchildren; i++) {
        if (p->children[i] == m) {
            memmove(&p->children[i], &p->children[i + 1],
                    (p->nchildren - i - 1) * sizeof(p->children[0]));
            p->nchildren--;
            break;
        }
    }
    m->mountpoint->mounted--;
    dentry_put(m->mountpoint);
    m->mountpoint = m->root;
    dentry_get(m->root);
    m->parent = m;
}

void mount_put(struct mount *mnt)
{
    SENTRY_ASSERT(mnt->refs > 0);
    if (--mnt->refs > 0)
        return;
    SENTRY_ASSERT(mnt->parent == mnt);
    while (mnt->nchildren > 0) {
        struct mount *c = mnt->children[mnt->nchildren - 1];
        mount_unlink(c);
        mount_put(c);
    }
    free(mnt->children);
    dentry_put(mnt->mountpoint);
    dentry_put(mnt->root);
    sb_put(mnt->sb);
    free(mnt);
}

int mount_attach(const struct path *at, struct superblock *sb, struct dentry *root, int flags,
                 struct mount **out_mnt)
{
    if (at->dentry->dead)
        return -LINUX_ENOENT;
    struct mount *p = at->mnt;
    struct mount **children = realloc(p->children, (p->nchildren + 1) * sizeof(*children));
    if (!children)
        return -LINUX_ENOMEM;
    p->children = children;
    struct mount *m = mount_alloc(sb, root ? root : sb->root, flags);
    if (!m)
        return -LINUX_ENOMEM;
    dentry_put(m->mountpoint);
    m->parent = p;
    m->mountpoint = at->dentry;
    dentry_get(at->dentry);
    at->dentry->mounted++;
    p->children[p->nchildren++] = m;
    if (out_mnt) {
        mount_get(m);
        *out_mnt = m;
    }
    return 0;
}

static void mount_detach_tree(struct mount *m)
{
    while (m->nchildren > 0)
        mount_detach_tree(m->children[m->nchildren - 1]);
    mount_unlink(m);
    mount_put(m);
}

int mount_detach(struct mount *mnt, bool lazy)
{
    if (mnt->parent == mnt)
        return -LINUX_EINVAL;
    if (!lazy) {
        /* The tree's reference and the caller's: any other is a user. */
        if (mnt->nchildren > 0 || mnt->refs > 2)
            return -LINUX_EBUSY;
    }
    mount_detach_tree(mnt);
    return 0;
}

/* The mount on (mnt, d) that was attached last, or NULL. */
static struct mount *mount_on(struct mount *mnt, struct dentry *d)
{
    for (size_t i = mnt->nchildren; i > 0; i--) {
        if (mnt->children[i - 1]->mountpoint == d)
            return mnt->children[i - 1];
    }
    return NULL;
}

void mount_follow_down(struct path *p)
{
    while (p->dentry->mounted > 0) {
        struct mount *c = mount_on(p->mnt, p->dentry);
        if (!c)
            return;
        mount_get(c);
        dentry_get(c->root);
        path_put(p);
        p->mnt = c;
        p->dentry = c->root;
    }
}

void mount_foreach(struct mount *root, void (*fn)(struct mount *m, void *ctx), void *ctx)
{
    fn(root, ctx);
    for (size_t i = 0; i < root->nchildren; i++)
        mount_foreach(root->children[i], fn, ctx);
}
