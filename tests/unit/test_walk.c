/* The path walk (sentry/vfs/walk.c) on an in-process tmpfs tree with a fake
 * task: results and errnos for symlinks (loops, the 40-link limit), `..` at
 * the root and across a mount, trailing slashes, dirfds, permissions, and
 * the openat2 RESOLVE_* scoping flags.
 *
 * The tree (root 0755):
 *   /a/            /a/b/           /a/b/c/       /a/file
 *   /a/rel -> b/c  /a/abs -> /a/file            /a/up -> ../a/b
 *   /a/self -> self                /a/dot -> .   /a/dangling -> nowhere
 *   /chain/end, /chain/l1 -> end, l2 -> l1, ..., l41 -> l40
 *   /priv/ (0700, root's)  /priv/x
 *   /mnt/          (a second tmpfs is mounted here: /mnt/inner) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

static struct task task;
static struct thread_group tg;
static struct path root;
static struct mount *mnt_inner;

static void must(int err, const char *what)
{
    if (err) {
        fprintf(stderr, "setup: %s: %d\n", what, err);
        abort();
    }
}

static int setup(void **state)
{
    (void)state;
    tmpfs_register();
    struct superblock *sb;
    must(tmpfs_new_sb("mode=0755", &sb), "root sb");
    root.mnt = mount_new_root(sb);
    root.dentry = sb->root;
    dentry_get(sb->root);
    sb_put(sb);
    task.tg = &tg;
    task.fds = fdtable_new();
    task.fs = fs_context_new(&root, 022);
    struct task *t = &task;
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/a", 0755), "mkdir a");
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/a/b", 0755), "mkdir a/b");
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/a/b/c", 0755), "mkdir a/b/c");
    must(vfs_mknod(t, LINUX_AT_FDCWD, "/a/file", LINUX_S_IFREG | 0644, 0), "a/file");
    must(vfs_symlink(t, "b/c", LINUX_AT_FDCWD, "/a/rel"), "a/rel");
    must(vfs_symlink(t, "/a/file", LINUX_AT_FDCWD, "/a/abs"), "a/abs");
    must(vfs_symlink(t, "../a/b", LINUX_AT_FDCWD, "/a/up"), "a/up");
    must(vfs_symlink(t, "self", LINUX_AT_FDCWD, "/a/self"), "a/self");
    must(vfs_symlink(t, ".", LINUX_AT_FDCWD, "/a/dot"), "a/dot");
    must(vfs_symlink(t, "nowhere", LINUX_AT_FDCWD, "/a/dangling"), "a/dangling");
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/chain", 0755), "chain");
    must(vfs_mknod(t, LINUX_AT_FDCWD, "/chain/end", LINUX_S_IFREG | 0644, 0), "chain/end");
    char name[32], target[32];
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "/chain/l%d", i);
        snprintf(target, sizeof target, i == 1 ? "end" : "l%d", i - 1);
        must(vfs_symlink(t, target, LINUX_AT_FDCWD, name), "chain link");
    }
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/priv", 0700), "priv");
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/priv/x", 0755), "priv/x");
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/mnt", 0755), "mnt");
    struct path at;
    must(vfs_walk(t, LINUX_AT_FDCWD, "/mnt", WALK_FOLLOW, &at), "walk mnt");
    struct superblock *sb2;
    must(tmpfs_new_sb(NULL, &sb2), "inner sb");
    must(mount_attach(&at, sb2, NULL, 0, &mnt_inner), "mount");
    sb_put(sb2);
    path_put(&at);
    must(vfs_mkdir(t, LINUX_AT_FDCWD, "/mnt/inner", 0755), "mnt/inner");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mount_put(mnt_inner);
    fdtable_put(task.fds);
    fs_context_put(task.fs);
    path_put(&root);
    return 0;
}

/* Walks path and checks the result's name (its dentry's) or errno. */
static int walk(int dirfd, const char *path, unsigned flags, struct path *out)
{
    return vfs_walk(&task, dirfd, path, flags, out);
}

static void expect_name(int dirfd, const char *path, unsigned flags, const char *name)
{
    struct path p;
    int err = walk(dirfd, path, flags, &p);
    if (err)
        fail_msg("%s: error %d, want %s", path, err, name);
    if (strcmp(p.dentry->name, name) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", path, p.dentry->name, name);
    path_put(&p);
}

static void expect_err(int dirfd, const char *path, unsigned flags, int want)
{
    struct path p;
    int err = walk(dirfd, path, flags, &p);
    if (err == 0)
        path_put(&p);
    if (err != want)
        fail_msg("%s (flags %#x): error %d, want %d", path, flags, err, want);
}

static bool same(const char *p1, const char *p2)
{
    struct path a, b;
    assert_int_equal(walk(LINUX_AT_FDCWD, p1, WALK_FOLLOW, &a), 0);
    assert_int_equal(walk(LINUX_AT_FDCWD, p2, WALK_FOLLOW, &b), 0);
    bool eq = a.mnt == b.mnt && a.dentry == b.dentry;
    path_put(&a);
    path_put(&b);
    return eq;
}

/* An fd of path opened O_RDONLY (or O_PATH), installed in the task. */
static int open_fd(const char *path, int flags)
{
    struct file *f;
    assert_int_equal(vfs_open(&task, LINUX_AT_FDCWD, path, flags, 0, 0, &f), 0);
    int fd = fdtable_install(task.fds, f, 0, 0, 1024);
    file_put(f);
    assert_true(fd >= 0);
    return fd;
}

static void test_basic(void **state)
{
    (void)state;
    expect_name(LINUX_AT_FDCWD, "/a/b/c", 0, "c");
    expect_name(LINUX_AT_FDCWD, "a/b", 0, "b");
    expect_name(LINUX_AT_FDCWD, "//a///b//", 0, "b");
    expect_name(LINUX_AT_FDCWD, "/a/./b/../b/c/.", 0, "c");
    expect_err(LINUX_AT_FDCWD, "/a/missing", 0, -LINUX_ENOENT);
    expect_err(LINUX_AT_FDCWD, "/a/missing/x", 0, -LINUX_ENOENT);
    expect_err(LINUX_AT_FDCWD, "/a/file/x", 0, -LINUX_ENOTDIR);
    expect_err(LINUX_AT_FDCWD, "/a/file/.", 0, -LINUX_ENOTDIR);
    expect_err(LINUX_AT_FDCWD, "", 0, -LINUX_ENOENT);
    expect_name(LINUX_AT_FDCWD, "", WALK_EMPTY_PATH, ""); /* the cwd: / */
    /* A negative result only when asked for. */
    struct path p;
    assert_int_equal(walk(LINUX_AT_FDCWD, "/a/new", WALK_ALLOW_NEGATIVE, &p), 0);
    assert_null(p.dentry->inode);
    path_put(&p);
}

static void test_trailing_slash(void **state)
{
    (void)state;
    expect_err(LINUX_AT_FDCWD, "/a/file/", 0, -LINUX_ENOTDIR);
    expect_name(LINUX_AT_FDCWD, "/a/b/", 0, "b");
    /* A trailing slash follows a final symlink, which must be a directory. */
    expect_name(LINUX_AT_FDCWD, "/a/rel/", 0, "c");
    expect_name(LINUX_AT_FDCWD, "/a/rel", 0, "rel");
    expect_err(LINUX_AT_FDCWD, "/a/abs/", 0, -LINUX_ENOTDIR);
    expect_err(LINUX_AT_FDCWD, "/a/file", WALK_DIRECTORY, -LINUX_ENOTDIR);

    struct path parent;
    char last[VFS_NAME_MAX + 1];
    int type;
    bool slash;
    assert_int_equal(
        vfs_walk_parent(&task, LINUX_AT_FDCWD, "/a/b/new/", 0, &parent, last, &type, &slash), 0);
    assert_string_equal(last, "new");
    assert_int_equal(type, WALK_LAST_NORM);
    assert_true(slash);
    assert_string_equal(parent.dentry->name, "b");
    path_put(&parent);
    assert_int_equal(
        vfs_walk_parent(&task, LINUX_AT_FDCWD, "/a/..", 0, &parent, last, &type, &slash), 0);
    assert_int_equal(type, WALK_LAST_DOTDOT);
    path_put(&parent);
    assert_int_equal(vfs_walk_parent(&task, LINUX_AT_FDCWD, "/", 0, &parent, last, &type, &slash),
                     0);
    assert_int_equal(type, WALK_LAST_ROOT);
    path_put(&parent);
}

static void test_symlinks(void **state)
{
    (void)state;
    expect_name(LINUX_AT_FDCWD, "/a/rel", WALK_FOLLOW, "c");
    expect_name(LINUX_AT_FDCWD, "/a/abs", WALK_FOLLOW, "file");
    expect_name(LINUX_AT_FDCWD, "/a/up/c", 0, "c");
    expect_name(LINUX_AT_FDCWD, "/a/rel/..", 0, "b"); /* the target's parent */
    expect_err(LINUX_AT_FDCWD, "/a/dangling", WALK_FOLLOW, -LINUX_ENOENT);
    expect_name(LINUX_AT_FDCWD, "/a/dangling", 0, "dangling");
    expect_err(LINUX_AT_FDCWD, "/a/self", WALK_FOLLOW, -LINUX_ELOOP);
    expect_err(LINUX_AT_FDCWD, "/a/self/x", 0, -LINUX_ELOOP);
    expect_name(LINUX_AT_FDCWD, "/a/self", 0, "self");
    expect_name(LINUX_AT_FDCWD, "/a/dot/dot/dot/b", 0, "b");
    /* 40 links resolve, 41 are ELOOP; every link of the walk counts. */
    expect_name(LINUX_AT_FDCWD, "/chain/l40", WALK_FOLLOW, "end");
    expect_err(LINUX_AT_FDCWD, "/chain/l41", WALK_FOLLOW, -LINUX_ELOOP);
    expect_name(LINUX_AT_FDCWD, "/a/dot/../chain/l39", WALK_FOLLOW, "end");
    expect_err(LINUX_AT_FDCWD, "/a/dot/dot/../chain/l39", WALK_FOLLOW, -LINUX_ELOOP);
}

static void test_dotdot(void **state)
{
    (void)state;
    assert_true(same("/..", "/"));
    assert_true(same("/../../..", "/"));
    assert_true(same("/a/../..", "/"));
    /* Across the mount at /mnt, both ways. */
    struct path p;
    assert_int_equal(walk(LINUX_AT_FDCWD, "/mnt", 0, &p), 0);
    assert_ptr_equal(p.mnt, mnt_inner);
    assert_ptr_equal(p.dentry, mnt_inner->root);
    path_put(&p);
    assert_true(same("/mnt/..", "/"));
    assert_true(same("/mnt/inner/../..", "/"));
    assert_true(same("/mnt/inner/../../a", "/a"));
    expect_name(LINUX_AT_FDCWD, "/mnt/inner", 0, "inner");
    /* A chroot-like root: `..` stops there. */
    struct path a;
    assert_int_equal(walk(LINUX_AT_FDCWD, "/a", 0, &a), 0);
    fs_context_set_root(task.fs, &a);
    expect_name(LINUX_AT_FDCWD, "/../../b", 0, "b");
    expect_name(LINUX_AT_FDCWD, "/abs", 0, "abs");
    expect_err(LINUX_AT_FDCWD, "/abs", WALK_FOLLOW, -LINUX_ENOENT); /* /a/a/file */
    fs_context_set_root(task.fs, &root);
    path_put(&a);
}

static void test_dirfd(void **state)
{
    (void)state;
    int dfd = open_fd("/a", LINUX_O_RDONLY | LINUX_O_DIRECTORY);
    int ffd = open_fd("/a/file", LINUX_O_RDONLY);
    expect_name(dfd, "b/c", 0, "c");
    expect_name(dfd, "..", 0, "");
    expect_name(dfd, "", WALK_EMPTY_PATH, "a");
    expect_name(ffd, "", WALK_EMPTY_PATH, "file");
    expect_err(ffd, "x", 0, -LINUX_ENOTDIR);
    expect_err(99, "x", 0, -LINUX_EBADF);
    expect_name(99, "/a", 0, "a"); /* an absolute path ignores dirfd */
    fdtable_close(task.fds, dfd);
    fdtable_close(task.fds, ffd);
}

static void test_names_and_permissions(void **state)
{
    (void)state;
    char name[VFS_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    expect_err(LINUX_AT_FDCWD, name, 0, -LINUX_ENAMETOOLONG);
    static char longpath[VFS_PATH_MAX + 8];
    for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
        memcpy(longpath + i, "./", 2);
    longpath[sizeof(longpath) - 1] = '\0';
    expect_err(LINUX_AT_FDCWD, longpath, 0, -LINUX_ENAMETOOLONG);

    /* Search permission: uid 1000 cannot pass root's 0700 directory. */
    struct cred saved = task.cred;
    task.cred.uid = task.cred.euid = task.cred.fsuid = 1000;
    task.cred.gid = task.cred.egid = task.cred.fsgid = 1000;
    expect_err(LINUX_AT_FDCWD, "/priv/x", 0, -LINUX_EACCES);
    expect_err(LINUX_AT_FDCWD, "/priv/missing", 0, -LINUX_EACCES);
    expect_name(LINUX_AT_FDCWD, "/priv", 0, "priv");
    task.cred = saved;
    expect_name(LINUX_AT_FDCWD, "/priv/x", 0, "x");
}

static void test_resolve_flags(void **state)
{
    (void)state;
    int dfd = open_fd("/a", LINUX_O_RDONLY | LINUX_O_DIRECTORY);
    /* BENEATH: never leave dirfd. */
    expect_name(dfd, "b/../file", WALK_BENEATH, "file");
    expect_name(dfd, "rel", WALK_BENEATH | WALK_FOLLOW, "c");
    expect_err(dfd, "..", WALK_BENEATH, -LINUX_EXDEV);
    expect_err(dfd, "b/../../a", WALK_BENEATH, -LINUX_EXDEV);
    expect_err(dfd, "/a", WALK_BENEATH, -LINUX_EXDEV);
    expect_err(dfd, "abs", WALK_BENEATH | WALK_FOLLOW, -LINUX_EXDEV);
    expect_err(dfd, "up", WALK_BENEATH | WALK_FOLLOW, -LINUX_EXDEV);
    /* IN_ROOT: dirfd is "/". */
    expect_name(dfd, "..", WALK_IN_ROOT, "a");
    expect_name(dfd, "/file", WALK_IN_ROOT, "file");
    expect_name(dfd, "../../b", WALK_IN_ROOT, "b");
    expect_err(dfd, "abs", WALK_IN_ROOT | WALK_FOLLOW, -LINUX_ENOENT); /* /a/file in /a */
    /* NO_SYMLINKS: any symlink is ELOOP, except an unfollowed last one. */
    expect_err(dfd, "rel", WALK_NO_SYMLINKS | WALK_FOLLOW, -LINUX_ELOOP);
    expect_err(dfd, "rel/x", WALK_NO_SYMLINKS, -LINUX_ELOOP);
    expect_name(dfd, "rel", WALK_NO_SYMLINKS, "rel");
    /* NO_XDEV: no mount crossing either way. */
    expect_err(LINUX_AT_FDCWD, "/mnt", WALK_NO_XDEV, -LINUX_EXDEV);
    expect_err(LINUX_AT_FDCWD, "/mnt/inner", WALK_NO_XDEV, -LINUX_EXDEV);
    int mfd = open_fd("/mnt/inner", LINUX_O_RDONLY);
    expect_err(mfd, "../..", WALK_NO_XDEV, -LINUX_EXDEV);
    expect_name(mfd, "..", WALK_NO_XDEV, "");
    expect_name(dfd, "b/../file", WALK_NO_XDEV, "file");
    fdtable_close(task.fds, mfd);
    fdtable_close(task.fds, dfd);
}

static void test_path_string(void **state)
{
    (void)state;
    struct path p;
    char buf[64];
    assert_int_equal(walk(LINUX_AT_FDCWD, "/mnt/inner", 0, &p), 0);
    assert_int_equal(vfs_path_string(&root, &p, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/mnt/inner");
    assert_int_equal(vfs_path_string(&root, &p, buf, 5), -LINUX_ENAMETOOLONG);
    path_put(&p);
    assert_int_equal(vfs_path_string(&root, &root, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),         cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_symlinks),      cmocka_unit_test(test_dotdot),
        cmocka_unit_test(test_dirfd),         cmocka_unit_test(test_names_and_permissions),
        cmocka_unit_test(test_resolve_flags), cmocka_unit_test(test_path_string),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
