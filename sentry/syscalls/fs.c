/* Path syscalls: the open family, access, readlink,
 * the directory-changing calls (mkdir, mknod, unlink, rmdir, rename, link,
 * symlink) and the process's cwd/root/umask (the stat family is in
 * fs_stat.c). Each copies its arguments in,
 * checks flags as Linux does, and calls the VFS.
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "abi/linux/stat.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* --- shared helpers --- */

long path_copy_in(struct task *t, uaddr_t upath, char *buf)
{
    return copy_string_in(t->mm, buf, upath, VFS_PATH_MAX);
}

struct file *fd_get_raw(struct task *t, int fd)
{
    return fdtable_get(t->fds, fd);
}

struct file *fd_get(struct task *t, int fd)
{
    struct file *f = fdtable_get(t->fds, fd);
    if (f && (f->flags & LINUX_O_PATH)) {
        file_put(f);
        return NULL;
    }
    return f;
}

int at_resolve(struct task *t, int dirfd, const char *path, int at_flags, bool follow,
               struct at_target *out)
{
    memset(out, 0, sizeof(*out));
    if (!*path && (at_flags & LINUX_AT_EMPTY_PATH) && dirfd != LINUX_AT_FDCWD) {
        struct file *f = fd_get_raw(t, dirfd);
        if (!f)
            return -LINUX_EBADF;
        out->file = f;
        out->ino = f->inode;
        if (f->path.dentry) {
            out->path = f->path;
            path_get(&out->path);
        }
        return 0;
    }
    unsigned wf = (at_flags & LINUX_AT_EMPTY_PATH) ? WALK_EMPTY_PATH : 0;
    if (follow && !(at_flags & LINUX_AT_SYMLINK_NOFOLLOW))
        wf |= WALK_FOLLOW;
    int err = vfs_walk(t, dirfd, path, wf, &out->path);
    if (err)
        return err;
    out->ino = out->path.dentry->inode;
    return 0;
}

void at_target_put(struct at_target *tg)
{
    path_put(&tg->path);
    if (tg->file)
        file_put(tg->file);
    tg->file = NULL;
    tg->ino = NULL;
}

long stat_file(struct file *f, struct linux_stat *out)
{
    if (!f->inode)
        return file_stat(f, out);
    struct vfs_attr a;
    int err = vfs_getattr(f->inode, &a);
    if (err)
        return err;
    vfs_attr_to_stat(&a, f->inode->sb ? f->inode->sb->dev : 0, out);
    return 0;
}

static uint64_t nofile(struct task *t)
{
    return t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur;
}

/* --- open --- */

#define VALID_OPEN_FLAGS                                                                           \
    (LINUX_O_ACCMODE | LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_NOCTTY | LINUX_O_TRUNC |             \
     LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_O_SYNC | LINUX_O_DSYNC | LINUX_FASYNC |             \
     LINUX_O_DIRECT | LINUX_O_LARGEFILE | LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW | LINUX_O_NOATIME | \
     LINUX_O_CLOEXEC | LINUX_O_PATH | LINUX_O_TMPFILE)
#define O_PATH_FLAGS (LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW | LINUX_O_PATH | LINUX_O_CLOEXEC)
#define O_TMPFILE_ONLY 020000000 /* __O_TMPFILE */

static bool will_create(uint64_t flags)
{
    return (flags & LINUX_O_CREAT) || (flags & LINUX_O_TMPFILE) == LINUX_O_TMPFILE;
}

/* Linux's build_open_flags checks, after open/openat's own trimming. */
static int open_flags_check(uint64_t flags)
{
    if ((flags & LINUX_O_DIRECTORY) && (flags & LINUX_O_CREAT))
        return -LINUX_EINVAL;
    if (flags & O_TMPFILE_ONLY) {
        if ((flags & (LINUX_O_TMPFILE | LINUX_O_CREAT)) != LINUX_O_TMPFILE)
            return -LINUX_EINVAL;
        int acc = flags & LINUX_O_ACCMODE;
        if (acc != LINUX_O_WRONLY && acc != LINUX_O_RDWR)
            return -LINUX_EINVAL;
    }
    return 0;
}

static long do_open(struct task *t, int dirfd, uaddr_t upath, int flags, uint32_t mode,
                    unsigned walk_flags)
{
    char *path = malloc(VFS_PATH_MAX);
    if (!path)
        return -LINUX_ENOMEM;
    long ret = path_copy_in(t, upath, path);
    if (ret < 0)
        goto out;
    if (flags & O_TMPFILE_ONLY) {
        ret = -LINUX_EOPNOTSUPP; /* TODO: O_TMPFILE on tmpfs */
        goto out;
    }
    struct file *f;
    ret = vfs_open(t, dirfd, path, flags, mode, walk_flags, &f);
    if (ret < 0)
        goto out;
    ret =
        fdtable_install(t->fds, f, 0, (flags & LINUX_O_CLOEXEC) ? LINUX_FD_CLOEXEC : 0, nofile(t));
    file_put(f);
out:
    free(path);
    return ret;
}

/* open(2)/openat(2): unknown flags are ignored, O_PATH drops the others. */
static long open_legacy(struct task *t, int dirfd, uaddr_t upath, uint64_t flags, uint32_t mode)
{
    flags &= VALID_OPEN_FLAGS;
    if (flags & LINUX_O_PATH)
        flags &= O_PATH_FLAGS;
    mode = will_create(flags) ? mode & 07777 : 0;
    long err = open_flags_check(flags);
    if (err)
        return err;
    return do_open(t, dirfd, upath, (int)flags, mode, 0);
}

SYSCALL(open)
{
    return open_legacy(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), arg_uint(a, 2));
}

SYSCALL(openat)
{
    return open_legacy(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), arg_uint(a, 3));
}

SYSCALL(creat)
{
    return open_legacy(t, LINUX_AT_FDCWD, arg_uaddr(a, 0),
                       LINUX_O_CREAT | LINUX_O_WRONLY | LINUX_O_TRUNC, arg_uint(a, 1));
}

#define VALID_RESOLVE_FLAGS                                                                        \
    (LINUX_RESOLVE_NO_XDEV | LINUX_RESOLVE_NO_MAGICLINKS | LINUX_RESOLVE_NO_SYMLINKS |             \
     LINUX_RESOLVE_BENEATH | LINUX_RESOLVE_IN_ROOT | LINUX_RESOLVE_CACHED)

SYSCALL(openat2)
{
    int dirfd = arg_int(a, 0);
    uaddr_t upath = arg_uaddr(a, 1), uhow = arg_uaddr(a, 2);
    size_t size = arg_size(a, 3);
    struct linux_open_how how;
    if (size < sizeof(how))
        return -LINUX_EINVAL;
    if (size > LINUX_PAGE_SIZE)
        return -LINUX_E2BIG;
    if (copy_in(t->mm, &how, uhow, sizeof(how)) < 0)
        return -LINUX_EFAULT;
    /* A larger struct from a newer program: the rest must be zeros. */
    for (size_t off = sizeof(how); off < size; off += 64) {
        uint8_t rest[64];
        size_t n = size - off < sizeof(rest) ? size - off : sizeof(rest);
        if (copy_in(t->mm, rest, uhow + off, n) < 0)
            return -LINUX_EFAULT;
        for (size_t i = 0; i < n; i++) {
            if (rest[i])
                return -LINUX_E2BIG;
        }
    }
    if (how.flags & ~(uint64_t)VALID_OPEN_FLAGS)
        return -LINUX_EINVAL;
    if (how.resolve & ~(uint64_t)VALID_RESOLVE_FLAGS)
        return -LINUX_EINVAL;
    if ((how.resolve & LINUX_RESOLVE_BENEATH) && (how.resolve & LINUX_RESOLVE_IN_ROOT))
        return -LINUX_EINVAL;
    if (will_create(how.flags) ? (how.mode & ~07777ULL) != 0 : how.mode != 0)
        return -LINUX_EINVAL;
    long err = open_flags_check(how.flags);
    if (err)
        return err;
    if ((how.flags & LINUX_O_PATH) && (how.flags & ~(uint64_t)O_PATH_FLAGS))
        return -LINUX_EINVAL;
    if ((how.resolve & LINUX_RESOLVE_CACHED) &&
        (how.flags & (LINUX_O_TRUNC | LINUX_O_CREAT | O_TMPFILE_ONLY)))
        return -LINUX_EAGAIN;
    unsigned wf = 0;
    if (how.resolve & LINUX_RESOLVE_NO_XDEV)
        wf |= WALK_NO_XDEV;
    if (how.resolve & LINUX_RESOLVE_NO_MAGICLINKS)
        wf |= WALK_NO_MAGICLINKS;
    if (how.resolve & LINUX_RESOLVE_NO_SYMLINKS)
        wf |= WALK_NO_SYMLINKS;
    if (how.resolve & LINUX_RESOLVE_BENEATH)
        wf |= WALK_BENEATH;
    if (how.resolve & LINUX_RESOLVE_IN_ROOT)
        wf |= WALK_IN_ROOT;
    return do_open(t, dirfd, upath, (int)how.flags, (uint32_t)how.mode, wf);
}

/* --- access --- */

static long do_access(struct task *t, int dirfd, uaddr_t upath, int mode, int flags)
{
    if (mode & ~7)
        return -LINUX_EINVAL;
    if (flags & ~(LINUX_AT_EACCESS | LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    if (n < 0)
        return n;
    /* access(2) checks with the real ids (Linux's access_override_creds). */
    struct cred saved = t->cred;
    if (!(flags & LINUX_AT_EACCESS)) {
        t->cred.fsuid = t->cred.uid;
        t->cred.fsgid = t->cred.gid;
    }
    struct at_target tg;
    long ret = at_resolve(t, dirfd, path, flags, true, &tg);
    if (ret == 0) {
        if (mode && tg.ino) {
            int mask = ((mode & LINUX_R_OK) ? VFS_MAY_READ : 0) |
                       ((mode & LINUX_W_OK) ? VFS_MAY_WRITE : 0) |
                       ((mode & LINUX_X_OK) ? VFS_MAY_EXEC : 0);
            uint32_t type = tg.ino->attr.mode & LINUX_S_IFMT;
            if ((mask & VFS_MAY_WRITE) && vfs_mount_readonly(tg.path.mnt) &&
                (type == LINUX_S_IFREG || type == LINUX_S_IFDIR || type == LINUX_S_IFLNK))
                ret = -LINUX_EROFS;
            else
                ret = vfs_permission(&t->cred, tg.ino, mask);
        }
        at_target_put(&tg);
    }
    t->cred = saved;
    return ret;
}

SYSCALL(access)
{
    return do_access(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_int(a, 1), 0);
}

SYSCALL(faccessat)
{
    return do_access(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), 0);
}

SYSCALL(faccessat2)
{
    return do_access(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_int(a, 3));
}

/* --- readlink --- */

static long do_readlink(struct task *t, int dirfd, uaddr_t upath, uaddr_t ubuf, int bufsiz)
{
    if (bufsiz <= 0)
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    if (n < 0)
        return n;
    size_t size = (size_t)bufsiz < VFS_PATH_MAX ? (size_t)bufsiz : VFS_PATH_MAX;
    char *buf = malloc(size);
    if (!buf)
        return -LINUX_ENOMEM;
    n = vfs_readlink(t, dirfd, path, buf, size);
    if (n > 0 && copy_out(t->mm, ubuf, buf, (size_t)n) < 0)
        n = -LINUX_EFAULT;
    free(buf);
    return n;
}

SYSCALL(readlink)
{
    return do_readlink(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1), arg_int(a, 2));
}

SYSCALL(readlinkat)
{
    return do_readlink(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_int(a, 3));
}

/* --- names --- */

static long do_mkdir(struct task *t, int dirfd, uaddr_t upath, uint32_t mode)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    return n < 0 ? n : vfs_mkdir(t, dirfd, path, mode);
}

SYSCALL(mkdir)
{
    return do_mkdir(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1));
}

SYSCALL(mkdirat)
{
    return do_mkdir(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2));
}

static long do_mknod(struct task *t, int dirfd, uaddr_t upath, uint32_t mode, unsigned dev)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    return n < 0 ? n : vfs_mknod(t, dirfd, path, mode, dev);
}

SYSCALL(mknod)
{
    return do_mknod(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), arg_uint(a, 2));
}

SYSCALL(mknodat)
{
    return do_mknod(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), arg_uint(a, 3));
}

static long do_unlink(struct task *t, int dirfd, uaddr_t upath, int flags)
{
    if (flags & ~LINUX_AT_REMOVEDIR)
        return -LINUX_EINVAL;
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, upath, path);
    return n < 0 ? n : vfs_unlink(t, dirfd, path, flags);
}

SYSCALL(unlink)
{
    return do_unlink(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), 0);
}

SYSCALL(rmdir)
{
    return do_unlink(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), LINUX_AT_REMOVEDIR);
}

SYSCALL(unlinkat)
{
    return do_unlink(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2));
}

enum two_path_op { TWO_PATH_RENAME, TWO_PATH_LINK };

/* rename/link: copies both paths in, then does op. */
static long do_two_paths(struct task *t, enum two_path_op op, int olddirfd, uaddr_t uold,
                         int newdirfd, uaddr_t unew, unsigned flags)
{
    char *oldpath = malloc(2 * VFS_PATH_MAX);
    if (!oldpath)
        return -LINUX_ENOMEM;
    char *newpath = oldpath + VFS_PATH_MAX;
    long n = path_copy_in(t, uold, oldpath);
    if (n >= 0)
        n = path_copy_in(t, unew, newpath);
    if (n >= 0)
        n = op == TWO_PATH_RENAME ? vfs_rename(t, olddirfd, oldpath, newdirfd, newpath, flags)
                                  : vfs_link(t, olddirfd, oldpath, newdirfd, newpath, (int)flags);
    free(oldpath);
    return n;
}

static long do_rename(struct task *t, int olddirfd, uaddr_t uold, int newdirfd, uaddr_t unew,
                      unsigned flags)
{
    return do_two_paths(t, TWO_PATH_RENAME, olddirfd, uold, newdirfd, unew, flags);
}

SYSCALL(rename)
{
    return do_rename(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), LINUX_AT_FDCWD, arg_uaddr(a, 1), 0);
}

SYSCALL(renameat)
{
    return do_rename(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3), 0);
}

SYSCALL(renameat2)
{
    return do_rename(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3),
                     arg_uint(a, 4));
}

static long do_link(struct task *t, int olddirfd, uaddr_t uold, int newdirfd, uaddr_t unew,
                    int flags)
{
    if (flags & ~(LINUX_AT_SYMLINK_FOLLOW | LINUX_AT_EMPTY_PATH))
        return -LINUX_EINVAL;
    return do_two_paths(t, TWO_PATH_LINK, olddirfd, uold, newdirfd, unew, (unsigned)flags);
}

SYSCALL(link)
{
    return do_link(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), LINUX_AT_FDCWD, arg_uaddr(a, 1), 0);
}

SYSCALL(linkat)
{
    return do_link(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3),
                   arg_int(a, 4));
}

static long do_symlink(struct task *t, uaddr_t utarget, int dirfd, uaddr_t upath)
{
    char *target = malloc(2 * VFS_PATH_MAX);
    if (!target)
        return -LINUX_ENOMEM;
    char *path = target + VFS_PATH_MAX;
    long n = path_copy_in(t, utarget, target);
    if (n == 0)
        n = -LINUX_ENOENT;
    if (n >= 0)
        n = path_copy_in(t, upath, path);
    if (n >= 0)
        n = vfs_symlink(t, target, dirfd, path);
    free(target);
    return n;
}

SYSCALL(symlink)
{
    return do_symlink(t, arg_uaddr(a, 0), LINUX_AT_FDCWD, arg_uaddr(a, 1));
}

SYSCALL(symlinkat)
{
    return do_symlink(t, arg_uaddr(a, 0), arg_int(a, 1), arg_uaddr(a, 2));
}

/* --- cwd, root, umask --- */

static long set_cwd(struct task *t, const struct path *p)
{
    int err = vfs_permission(&t->cred, p->dentry->inode, VFS_MAY_EXEC);
    if (!err)
        fs_context_set_cwd(t->fs, p);
    return err;
}

SYSCALL(chdir)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, arg_uaddr(a, 0), path);
    if (n < 0)
        return n;
    struct path p;
    int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW | WALK_DIRECTORY, &p);
    if (err)
        return err;
    err = (int)set_cwd(t, &p);
    path_put(&p);
    return err;
}

SYSCALL(fchdir)
{
    struct file *f = fd_get_raw(t, arg_int(a, 0));
    if (!f)
        return -LINUX_EBADF;
    long err = -LINUX_ENOTDIR;
    if (f->path.dentry && f->path.dentry->inode &&
        (f->path.dentry->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
        err = set_cwd(t, &f->path);
    file_put(f);
    return err;
}

SYSCALL(getcwd)
{
    uaddr_t ubuf = arg_uaddr(a, 0);
    size_t size = arg_size(a, 1);
    struct path *cwd = &t->fs->cwd;
    if (cwd->dentry->dead && cwd->dentry->parent != cwd->dentry)
        return -LINUX_ENOENT;
    char *buf = malloc(VFS_PATH_MAX);
    if (!buf)
        return -LINUX_ENOMEM;
    long ret = vfs_path_string(&t->fs->root, cwd, buf, VFS_PATH_MAX);
    if (ret == 0) {
        size_t len = strlen(buf) + 1;
        if (len > size)
            ret = -LINUX_ERANGE;
        else
            ret = copy_out(t->mm, ubuf, buf, len) < 0 ? -LINUX_EFAULT : (long)len;
    }
    free(buf);
    return ret;
}

SYSCALL(chroot)
{
    char path[VFS_PATH_MAX];
    long n = path_copy_in(t, arg_uaddr(a, 0), path);
    if (n < 0)
        return n;
    struct path p;
    int err = vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW | WALK_DIRECTORY, &p);
    if (err)
        return err;
    err = vfs_permission(&t->cred, p.dentry->inode, VFS_MAY_EXEC);
    if (!err && t->cred.euid != 0)
        err = -LINUX_EPERM;
    if (!err)
        fs_context_set_root(t->fs, &p);
    path_put(&p);
    return err;
}

SYSCALL(umask)
{
    uint32_t old = t->fs->umask;
    t->fs->umask = arg_uint(a, 0) & 0777;
    return old;
}
