/* mount(2) and umount2(2) inside the sandbox: new mounts of registered
 * filesystem types (tmpfs...), bind mounts (not recursive yet), remounts
 * that change the mount's flags; propagation flags are accepted and mean
 * nothing (there is one mount namespace).
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

#define MS_PROPAGATION (LINUX_MS_SHARED | LINUX_MS_PRIVATE | LINUX_MS_SLAVE | LINUX_MS_UNBINDABLE)

static int mnt_flags_of(unsigned long flags)
{
    int m = 0;
    if (flags & LINUX_MS_RDONLY)
        m |= LINUX_MNT_RDONLY;
    if (flags & LINUX_MS_NOSUID)
        m |= LINUX_MNT_NOSUID;
    if (flags & LINUX_MS_NODEV)
        m |= LINUX_MNT_NODEV;
    if (flags & LINUX_MS_NOEXEC)
        m |= LINUX_MNT_NOEXEC;
    if (flags & LINUX_MS_NOATIME)
        m |= LINUX_MNT_NOATIME;
    if (flags & LINUX_MS_NODIRATIME)
        m |= LINUX_MNT_NODIRATIME;
    if (!(flags & (LINUX_MS_NOATIME | LINUX_MS_STRICTATIME)))
        m |= LINUX_MNT_RELATIME;
    return m;
}

static bool is_dir(const struct dentry *d)
{
    return d->inode && (d->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

/* Copies a mount(2) string (fstype, source): at most a page. */
static long mount_string_in(struct task *t, uaddr_t u, char *buf, size_t size)
{
    long n = copy_string_in(t->mm, buf, u, size);
    return n == -LINUX_ENAMETOOLONG ? -LINUX_EINVAL : n;
}

static long do_bind(struct task *t, uaddr_t usource, const struct path *target, unsigned long flags)
{
    char *src = malloc(VFS_PATH_MAX);
    if (!src)
        return -LINUX_ENOMEM;
    long err = path_copy_in(t, usource, src);
    struct path sp = {0};
    if (err >= 0)
        err = vfs_walk(t, LINUX_AT_FDCWD, src, WALK_FOLLOW, &sp);
    free(src);
    if (err < 0)
        return err;
    if (is_dir(sp.dentry) != is_dir(target->dentry))
        err = -LINUX_ENOTDIR;
    else
        err = mount_attach(target, sp.mnt->sb, sp.dentry,
                           sp.mnt->flags | mnt_flags_of(flags & ~LINUX_MS_RDONLY), NULL);
    path_put(&sp);
    return err;
}

static long do_new_mount(struct task *t, uaddr_t usource, uaddr_t ufstype, uaddr_t udata,
                         const struct path *target, unsigned long flags)
{
    char fstype[256], source[256];
    long n = mount_string_in(t, ufstype, fstype, sizeof(fstype));
    if (n < 0)
        return n;
    source[0] = '\0';
    if (usource && (n = mount_string_in(t, usource, source, sizeof(source))) < 0)
        return n;
    const struct fs_type *type = fs_type_find(fstype);
    if (!type)
        return -LINUX_ENODEV;
    char *data = NULL;
    if (udata) {
        data = calloc(1, LINUX_PAGE_SIZE + 1);
        if (!data)
            return -LINUX_ENOMEM;
        /* Linux copies up to a page, stopping quietly at a bad address. */
        if (copy_in_partial(t->mm, data, udata, LINUX_PAGE_SIZE) == 0) {
            free(data);
            return -LINUX_EFAULT;
        }
    }
    struct superblock *sb;
    long err = type->mount(type, source, flags, data, &sb);
    free(data);
    if (err)
        return err;
    if (is_dir(sb->root) != is_dir(target->dentry))
        err = -LINUX_ENOTDIR;
    else
        err = mount_attach(target, sb, NULL, mnt_flags_of(flags), NULL);
    sb_put(sb);
    return err;
}

SYSCALL(mount)
{
    uaddr_t usource = arg_uaddr(a, 0), utarget = arg_uaddr(a, 1), ufstype = arg_uaddr(a, 2);
    unsigned long flags = arg_u64(a, 3);
    uaddr_t udata = arg_uaddr(a, 4);
    if (t->cred.euid != 0)
        return -LINUX_EPERM;
    if ((flags & LINUX_MS_MGC_MSK) == LINUX_MS_MGC_VAL)
        flags &= ~(unsigned long)LINUX_MS_MGC_MSK;
    char *tpath = malloc(VFS_PATH_MAX);
    if (!tpath)
        return -LINUX_ENOMEM;
    long err = path_copy_in(t, utarget, tpath);
    struct path target = {0};
    if (err >= 0)
        err = vfs_walk(t, LINUX_AT_FDCWD, tpath, WALK_FOLLOW, &target);
    free(tpath);
    if (err < 0)
        return err;
    if (flags & LINUX_MS_REMOUNT) {
        if (target.dentry != target.mnt->root) {
            err = -LINUX_EINVAL;
        } else {
            target.mnt->flags = mnt_flags_of(flags);
            if (!(flags & LINUX_MS_BIND))
                target.mnt->sb->flags =
                    (target.mnt->sb->flags & ~LINUX_MS_RDONLY) | (flags & LINUX_MS_RDONLY);
            err = 0;
        }
    } else if (flags & LINUX_MS_BIND) {
        err = do_bind(t, usource, &target, flags);
    } else if (flags & MS_PROPAGATION) {
        err = 0; /* one mount namespace: nothing propagates */
    } else if (flags & LINUX_MS_MOVE) {
        err = -LINUX_EINVAL; /* TODO: MS_MOVE */
    } else {
        err = do_new_mount(t, usource, ufstype, udata, &target, flags);
    }
    path_put(&target);
    return err;
}

SYSCALL(umount2)
{
    int flags = arg_int(a, 1);
    if (flags & ~(LINUX_MNT_FORCE | LINUX_MNT_DETACH | LINUX_MNT_EXPIRE | LINUX_UMOUNT_NOFOLLOW))
        return -LINUX_EINVAL;
    if ((flags & LINUX_MNT_EXPIRE) && (flags & (LINUX_MNT_FORCE | LINUX_MNT_DETACH)))
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long err = path_copy_in(t, arg_uaddr(a, 0), path);
    if (err < 0)
        return err;
    struct path p;
    err = vfs_walk(t, LINUX_AT_FDCWD, path, (flags & LINUX_UMOUNT_NOFOLLOW) ? 0 : WALK_FOLLOW, &p);
    if (err)
        return err;
    if (t->cred.euid != 0)
        err = -LINUX_EPERM;
    else if (p.dentry != p.mnt->root || p.mnt->parent == p.mnt)
        err = -LINUX_EINVAL;
    else if (flags & LINUX_MNT_EXPIRE)
        err = -LINUX_EAGAIN;
    else
        err = mount_detach(p.mnt, flags & LINUX_MNT_DETACH);
    path_put(&p);
    return err;
}
