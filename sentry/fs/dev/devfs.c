/* devfs (see devfs.h).
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/dev/devfs.h"

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/dev/devices.h"
#include "sentry/fs/kernfs/kernfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs.h"

static int devfs_chr_open(const struct kernfs_inode *ki, struct task *t, struct file *f)
{
    (void)t;
    return chrdev_open_rdev(ki->node->rdev, f);
}

#define CHR(n, maj, min)                                                                           \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFCHR | 0666, .open = devfs_chr_open,                           \
        .rdev = CHRDEV_MKDEV(maj, min)                                                             \
    }
#define LINK(n, t)                                                                                 \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFLNK | 0777, .target = t                                       \
    }

static const struct kernfs_node dev_entries[] = {
    LINK("fd", "/proc/self/fd"),
    CHR("full", 1, 7),
    CHR("null", 1, 3),
    {.name = "pts", .mode = LINUX_S_IFDIR | 0755},
    CHR("random", 1, 8),
    {.name = "shm", .mode = LINUX_S_IFDIR | 01777},
    LINK("stderr", "/proc/self/fd/2"),
    LINK("stdin", "/proc/self/fd/0"),
    LINK("stdout", "/proc/self/fd/1"),
    CHR("tty", 5, 0),
    CHR("urandom", 1, 9),
    CHR("zero", 1, 5),
    {0},
};

static const struct kernfs_node devfs_root = {
    .name = "",
    .mode = LINUX_S_IFDIR | 0755,
    .children = dev_entries,
};

int devfs_new_sb(struct superblock **out_sb)
{
    struct superblock *sb =
        kernfs_new_sb(&devfs_type, &devfs_root, KERNFS_LINK_SIZE | KERNFS_CHMOD);
    if (!sb)
        return -LINUX_ENOMEM;
    *out_sb = sb;
    return 0;
}

int devfs_mount(struct task *t, const struct path *at, int mnt_flags, struct mount **out_mnt)
{
    struct superblock *sb;
    int err = devfs_new_sb(&sb);
    if (err)
        return err;
    struct mount *mnt;
    err = mount_attach(at, sb, NULL, mnt_flags, &mnt);
    sb_put(sb); /* the mount holds its own */
    if (err)
        return err;

    struct path dev = {mnt, mnt->root};
    struct path shm;
    err = vfs_lookup_one(t, &dev, "shm", &shm);
    if (err)
        goto out_put_mnt;
    struct superblock *tsb;
    err = tmpfs_new_sb("mode=1777", &tsb);
    if (!err) {
        err = mount_attach(&shm, tsb, NULL, LINUX_MNT_NOSUID | LINUX_MNT_NODEV, NULL);
        sb_put(tsb);
    }
    path_put(&shm);
    if (err)
        goto out_put_mnt;
    if (out_mnt)
        *out_mnt = mnt;
    else
        mount_put(mnt);
    return 0;

out_put_mnt:
    mount_detach(mnt, true);
    mount_put(mnt);
    return err;
}

static int devfs_fs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                          const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data;
    return devfs_new_sb(out_sb);
}

const struct fs_type devfs_type = {
    .name = "devtmpfs",
    .nodev = true,
    .mount = devfs_fs_mount,
    .kill_sb = kernfs_kill_sb,
};
