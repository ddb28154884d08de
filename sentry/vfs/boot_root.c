/* The root filesystem of a new sandbox: what pid 1's fs_context starts
 * with. For now an empty tmpfs with /tmp; the gofer-backed overlay root
 * replaces this function's body (the rest of the VFS does not care what
 * the root is).
 *
 * Lock order: called at boot, before any task runs. */
#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Makes directory name in the root (boot time: root's credentials). */
static int boot_mkdir(struct superblock *sb, const char *name, uint32_t mode)
{
    static const struct cred root_cred;
    struct inode *dir = sb->root->inode, *ino;
    int err = dir->ops->mkdir(dir, name, LINUX_S_IFDIR | mode, &root_cred, &ino);
    if (err)
        return err;
    struct dentry *d = dentry_instantiate(sb->root, name, ino);
    inode_put(ino);
    return d ? 0 : -LINUX_ENOMEM;
}

int vfs_boot_root(struct path *out_root)
{
    tmpfs_register();
    struct superblock *sb;
    int err = tmpfs_new_sb("mode=0755", &sb);
    if (err)
        return err;
    err = boot_mkdir(sb, "tmp", 01777);
    if (err) {
        sb_put(sb);
        return err;
    }
    struct mount *m = mount_new_root(sb);
    sb_put(sb); /* the mount holds it now */
    if (!m)
        return -LINUX_ENOMEM;
    out_root->mnt = m;
    out_root->dentry = m->root;
    dentry_get(m->root);
    return 0;
}
