/* The mount tree of a sandbox whose files come from a gofer: the root (an
 * overlay over gofer mount 0, or that mount itself), the kernel's own
 * filesystems, then the binds (see boot_sandbox.h).
 *
 * Paths are walked and mountpoints made through the ordinary VFS calls,
 * as root, by a stand-in task whose filesystem context is the new root:
 * pid 1 does not have one yet.
 *
 * Lock order: boot time, before any task runs. */
#include "sentry/vfs/boot_sandbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "lib/log.h"
#include "sentry/boot.h"
#include "sentry/fs/dev/devfs.h"
#include "sentry/fs/gofer/goferfs.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/special.h"
#include "sentry/fs/sys/sysfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Donated fds are the sentry's only host files: one per open file of the
 * sandbox (shared between opens of a file) plus a bounded cache. Raise the
 * sentry's own limit so the application's limits are the ones that count
 * (a donated fd the sentry could not receive would break the gofer
 * connection for good). */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Makes every missing directory of path's parent (mkdir -p). */
static int make_parents(struct task *t, const char *path)
{
    char buf[VFS_PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof(buf))
        return -LINUX_ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int err = vfs_mkdir(t, LINUX_AT_FDCWD, buf, 0755);
        *p = '/';
        if (err && err != -LINUX_EEXIST)
            return err;
    }
    return 0;
}

/* The mountpoint path (following symlinks, as mount(8) does): a
 * directory, or for a file bind a non-directory, made if missing. */
static int mountpoint(struct task *t, const char *path, bool dir, struct path *out)
{
    int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, out);
    if (err == -LINUX_ENOENT) {
        err = make_parents(t, path);
        if (!err)
            err = dir ? vfs_mkdir(t, LINUX_AT_FDCWD, path, 0755)
                      : vfs_mknod(t, LINUX_AT_FDCWD, path, LINUX_S_IFREG | 0644, 0);
        if (!err)
            err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, out);
    }
    if (err)
        return err;
    bool is_dir = (out->dentry->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
    if (is_dir != dir) {
        path_put(out);
        return dir ? -LINUX_ENOTDIR : -LINUX_EISDIR;
    }
    return 0;
}

/* Mounts sb on path (a directory), reporting what failed. */
static int mount_at(struct task *t, const char *path, struct superblock *sb, int flags)
{
    struct path at;
    int err = mountpoint(t, path, true, &at);
    if (!err) {
        err = mount_attach(&at, sb, NULL, flags, NULL);
        path_put(&at);
    }
    sb_put(sb);
    if (err == -LINUX_EROFS) {
        /* A read-only root without the mountpoint: do without. */
        log_warn("no %s in the sandbox: the read-only root has no such directory", path);
        return 0;
    }
    if (err)
        log_error("cannot mount %s in the sandbox: %s", path, strerror(-err));
    return err;
}

/* /proc, /dev (+ /dev/shm), /sys, /tmp. */
static int kernel_mounts(struct task *t)
{
    struct superblock *sb;
    int err = procfs_new_sb(&sb);
    if (!err)
        err = mount_at(t, "/proc", sb, LINUX_MNT_NOSUID | LINUX_MNT_NODEV | LINUX_MNT_NOEXEC);
    if (err)
        return err;
    struct path at;
    err = mountpoint(t, "/dev", true, &at);
    if (!err) {
        err = devfs_mount(t, &at, LINUX_MNT_NOSUID, NULL);
        path_put(&at);
    }
    if (err == -LINUX_EROFS) {
        log_warn("no /dev in the sandbox: the read-only root has no such directory");
    } else if (err) {
        log_error("cannot mount /dev in the sandbox: %s", strerror(-err));
        return err;
    }
    err = sysfs_new_sb(&sb);
    if (!err)
        err = mount_at(t, "/sys", sb,
                       LINUX_MNT_RDONLY | LINUX_MNT_NOSUID | LINUX_MNT_NODEV | LINUX_MNT_NOEXEC);
    if (err)
        return err;
    err = tmpfs_new_sb("mode=1777", &sb);
    if (!err)
        err = mount_at(t, "/tmp", sb, LINUX_MNT_NOSUID | LINUX_MNT_NODEV);
    return err;
}

static int bind_mounts(struct task *t, const struct sentry_spec *spec, struct goferfs_conn *conn)
{
    for (size_t i = 0; i < spec->nbinds; i++) {
        const struct sentry_bind *b = &spec->binds[i];
        struct superblock *sb;
        uint32_t mode;
        bool ro;
        int err = goferfs_new_sb(conn, (uint32_t)i + 1, &sb, &mode, &ro);
        if (err) {
            log_error("bind %s: cannot attach gofer mount %zu: %s", b->target, i + 1,
                      strerror(-err));
            return err;
        }
        struct path at;
        bool dir = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
        err = mountpoint(t, b->target, dir, &at);
        if (!err) {
            int flags = (b->readonly || ro) ? LINUX_MNT_RDONLY : 0;
            err = mount_attach(&at, sb, NULL, flags, NULL);
            path_put(&at);
        }
        sb_put(sb);
        if (err) {
            log_error("bind %s: %s", b->target, strerror(-err));
            return err;
        }
    }
    return 0;
}

/* The root mount: gofer mount 0, under an overlay if asked. */
static int root_mount(const struct sentry_spec *spec, struct goferfs_conn *conn,
                      struct mount **out_mnt)
{
    struct superblock *gsb, *usb, *rsb;
    bool ro;
    int err = goferfs_new_sb(conn, 0, &gsb, NULL, &ro);
    if (err) {
        log_error("cannot attach the sandbox root: %s", strerror(-err));
        return err;
    }
    int flags = 0;
    if (spec->root_overlay) {
        err = tmpfs_new_sb("mode=0755", &usb);
        if (!err) {
            err = overlay_new_sb(gsb, usb, &rsb);
            sb_put(usb);
        }
        sb_put(gsb);
        if (err) {
            log_error("cannot build the root overlay: %s", strerror(-err));
            return err;
        }
    } else {
        rsb = gsb;
        flags = ro ? LINUX_MNT_RDONLY : 0;
    }
    struct mount *m = mount_new_root(rsb);
    sb_put(rsb);
    if (!m)
        return -LINUX_ENOMEM;
    m->flags = flags;
    *out_mnt = m;
    return 0;
}

int vfs_boot_sandbox(const struct sentry_spec *spec, struct path *out_root)
{
    if (spec->gofer_sock < 0)
        return vfs_boot_root(out_root);
    raise_nofile();
    tmpfs_register();
    fs_special_register();
    struct goferfs_conn *conn = goferfs_conn_new(spec->gofer_sock);
    if (!conn)
        return -LINUX_ENOMEM;
    struct mount *m;
    int err = root_mount(spec, conn, &m);
    if (err) {
        goferfs_conn_put(conn);
        return err;
    }
    struct path root = {m, m->root};
    dentry_get(m->root);
    /* A stand-in for pid 1 (root, no fds) to walk the new tree. */
    struct task bt;
    memset(&bt, 0, sizeof(bt));
    bt.fs = fs_context_new(&root, 022);
    err = bt.fs ? kernel_mounts(&bt) : -LINUX_ENOMEM;
    if (!err)
        err = bind_mounts(&bt, spec, conn);
    if (bt.fs)
        fs_context_put(bt.fs);
    goferfs_conn_put(conn);
    if (err) {
        path_put(&root);
        return err;
    }
    *out_root = root;
    return 0;
}
