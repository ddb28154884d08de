/* The root filesystem of a new sandbox: what pid 1's fs_context starts
 * with. For now an empty tmpfs with /tmp; the gofer-backed overlay root
 * replaces this function's body (the rest of the VFS does not care what
 * the root is).
 *
 * Lock order: called at boot, before any task runs. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/fs/special.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sysfs.h"
#include "sentry/fs/dev/devfs.h"
#include "sentry/kernel/kernel.h"

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

/* /proc, /sys and /dev (with its /dev/shm tmpfs), as Linux mounts them. */
static int boot_special_mounts(const struct path *root)
{
    fs_special_register();
    struct task *t = kernel_global->init;
    struct path at;
    struct superblock *sb;
    int err;
    for (int i = 0; i < 2; i++) {
        err = vfs_lookup_one(t, root, i == 0 ? "proc" : "sys", &at);
        if (err)
            return err;
        err = i == 0 ? procfs_new_sb(&sb) : sysfs_new_sb(&sb);
        if (!err) {
            err = mount_attach(&at, sb, NULL, LINUX_MNT_NOSUID | LINUX_MNT_NODEV | LINUX_MNT_NOEXEC,
                               NULL);
            sb_put(sb);
        }
        path_put(&at);
        if (err)
            return err;
    }
    err = vfs_lookup_one(t, root, "dev", &at);
    if (err)
        return err;
    err = devfs_mount(t, &at, LINUX_MNT_NOSUID, NULL);
    path_put(&at);
    return err;
}

int vfs_boot_root(struct path *out_root)
{
    tmpfs_register();
    struct superblock *sb;
    int err = tmpfs_new_sb("mode=0755", &sb);
    if (err)
        return err;
    err = boot_mkdir(sb, "tmp", 01777);
    for (const char *d = "proc\0sys\0dev\0"; !err && *d; d += strlen(d) + 1)
        err = boot_mkdir(sb, d, 0755);
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
    err = boot_special_mounts(out_root);
    if (err)
        path_put(out_root);
    return err;
}
