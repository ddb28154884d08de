/* A process's filesystem context: root, cwd and umask (Linux's fs_struct).
 * Shared between tasks created with CLONE_FS, copied otherwise.
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>

#include "lib/panic.h"
#include "sentry/vfs/vfs.h"

struct fs_context *fs_context_new(const struct path *root, uint32_t umask)
{
    struct fs_context *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    fs->refs = 1;
    fs->root = *root;
    path_get(root);
    fs->cwd = *root;
    path_get(root);
    fs->umask = umask & 0777;
    return fs;
}

struct fs_context *fs_context_clone(struct fs_context *fs)
{
    struct fs_context *c = fs_context_new(&fs->root, fs->umask);
    if (c)
        fs_context_set_cwd(c, &fs->cwd);
    return c;
}

void fs_context_get(struct fs_context *fs)
{
    SENTRY_ASSERT(fs->refs > 0);
    fs->refs++;
}

void fs_context_put(struct fs_context *fs)
{
    SENTRY_ASSERT(fs->refs > 0);
    if (--fs->refs > 0)
        return;
    path_put(&fs->root);
    path_put(&fs->cwd);
    free(fs);
}

void fs_context_set_root(struct fs_context *fs, const struct path *p)
{
    struct path old = fs->root;
    path_get(p);
    fs->root = *p;
    path_put(&old);
}

void fs_context_set_cwd(struct fs_context *fs, const struct path *p)
{
    struct path old = fs->cwd;
    path_get(p);
    fs->cwd = *p;
    path_put(&old);
}
