/* The overlay filesystem (sentry/fs/overlay) over two in-process tmpfs
 * superblocks, through the VFS API: merged lookups and listings,
 * whiteouts, opaque directories, copy-up (metadata, then data), rename and
 * unlink semantics, stable inode numbers, and that the lower layer is
 * never written.
 *
 * Each test gets a fresh lower tree:
 *   /a/  /a/file ("hello lower")  /a/sub/  /a/sub/x ("x data")  /a/sub/y
 *   /b/  /b/z                     /link -> a/file                /big (3 pages + 5) */
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
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

static struct task task;
static struct thread_group tg;
static struct fs_context *lower_fs, *ovl_fs;
static struct superblock *upper_sb;

#define BIG_SIZE (3 * 4096 + 5)

static void must(int err, const char *what)
{
    if (err)
        fail_msg("%s: error %d", what, err);
}

static struct fs_context *context_on(struct superblock *sb)
{
    struct mount *m = mount_new_root(sb);
    struct path root = {m, sb->root};
    dentry_get(sb->root);
    struct fs_context *fs = fs_context_new(&root, 022);
    path_put(&root);
    return fs;
}

static void write_file(const char *path, int flags, const char *data)
{
    struct file *f;
    int err = vfs_open(&task, LINUX_AT_FDCWD, path, flags | LINUX_O_WRONLY, 0644, 0, &f);
    if (err)
        fail_msg("open %s: %d", path, err);
    struct iovec iov = {(void *)data, strlen(data)};
    assert_int_equal(file_write(f, &iov, 1), (long)strlen(data));
    file_put(f);
}

/* The file's contents (NUL-terminated, at most size - 1 bytes), or -errno. */
static long read_file(const char *path, char *buf, size_t size)
{
    struct file *f;
    int err = vfs_open(&task, LINUX_AT_FDCWD, path, LINUX_O_RDONLY, 0, 0, &f);
    if (err)
        return err;
    struct iovec iov = {buf, size - 1};
    long n = file_read(f, &iov, 1);
    file_put(f);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

static void expect_content(const char *path, const char *want)
{
    char buf[256];
    long n = read_file(path, buf, sizeof(buf));
    if (n < 0)
        fail_msg("read %s: %ld", path, n);
    assert_string_equal(buf, want);
}

static int stat_path(const char *path, struct vfs_attr *out, unsigned flags)
{
    struct path p;
    int err = vfs_walk(&task, LINUX_AT_FDCWD, path, flags, &p);
    if (err)
        return err;
    err = vfs_stat(&task, &p, out);
    path_put(&p);
    return err;
}

static uint64_t dev_of(const char *path)
{
    struct path p;
    must(vfs_walk(&task, LINUX_AT_FDCWD, path, 0, &p), path);
    uint64_t dev = p.dentry->inode->sb->dev;
    path_put(&p);
    return dev;
}

struct names {
    char buf[1024];
    int count;
};

static bool names_emit(void *ctx, const struct vfs_dirent *d)
{
    struct names *n = ctx;
    if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
        return true;
    if (n->count++)
        strcat(n->buf, ",");
    strcat(n->buf, d->name);
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's names, sorted, joined by commas. */
static const char *list(const char *path)
{
    static char out[1024];
    struct names n = {.count = 0};
    struct file *f;
    must(vfs_open(&task, LINUX_AT_FDCWD, path, LINUX_O_RDONLY | LINUX_O_DIRECTORY, 0, 0, &f), path);
    must(f->ops->iterate(f, names_emit, &n), "iterate");
    file_put(f);
    char *v[64];
    int c = 0;
    for (char *s = strtok(n.buf, ","); s && c < 64; s = strtok(NULL, ","))
        v[c++] = s;
    qsort(v, (size_t)c, sizeof(v[0]), cmp_str);
    out[0] = '\0';
    for (int i = 0; i < c; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, v[i]);
    }
    return out;
}

static void on_lower(void)
{
    task.fs = lower_fs;
}

static void on_overlay(void)
{
    task.fs = ovl_fs;
}

static int setup(void **state)
{
    (void)state;
    static bool once;
    if (!once) {
        must(memfile_init(), "memfile");
        tmpfs_register();
        once = true;
    }
    task.tg = &tg;
    task.fds = fdtable_new();
    struct superblock *lower;
    must(tmpfs_new_sb("mode=0755", &lower), "lower sb");
    lower_fs = context_on(lower);
    on_lower();
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a", 0755), "a");
    write_file("/a/file", LINUX_O_CREAT, "hello lower");
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a/sub", 0755), "a/sub");
    write_file("/a/sub/x", LINUX_O_CREAT, "x data");
    write_file("/a/sub/y", LINUX_O_CREAT, "y");
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/b", 0700), "b");
    write_file("/b/z", LINUX_O_CREAT, "z");
    must(vfs_symlink(&task, "a/file", LINUX_AT_FDCWD, "/link"), "link");
    char big[BIG_SIZE + 1];
    for (int i = 0; i < BIG_SIZE; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG_SIZE] = '\0';
    write_file("/big", LINUX_O_CREAT, big);
    must(tmpfs_new_sb("mode=0755", &upper_sb), "upper sb");
    struct superblock *ovl;
    must(overlay_new_sb(lower, upper_sb, &ovl), "overlay sb");
    sb_put(lower);
    ovl_fs = context_on(ovl);
    sb_put(ovl);
    on_overlay();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    task.fs = NULL;
    fs_context_put(ovl_fs);
    fs_context_put(lower_fs);
    sb_put(upper_sb);
    fdtable_put(task.fds);
    return 0;
}

/* Whether the upper layer has name in its root directory... of path. */
static struct inode *upper_lookup(const char *dir, const char *name)
{
    struct inode *d = upper_sb->root->inode;
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", dir);
    for (char *s = strtok(copy, "/"); s; s = strtok(NULL, "/")) {
        struct inode *next = NULL;
        if (d->ops->lookup(d, s, &next) != 0 || !next)
            return NULL;
        inode_put(next); /* the tmpfs directory keeps it */
        d = next;
    }
    struct inode *out = NULL;
    if (d->ops->lookup(d, name, &out) != 0)
        return NULL;
    if (out)
        inode_put(out);
    return out;
}

static void test_lookup_and_list(void **state)
{
    (void)state;
    expect_content("/a/file", "hello lower");
    expect_content("/link", "hello lower");
    assert_string_equal(list("/"), "a,b,big,link");
    assert_string_equal(list("/a/sub"), "x,y");
    struct vfs_attr a;
    must(stat_path("/b", &a, 0), "stat b");
    assert_int_equal(a.mode, LINUX_S_IFDIR | 0700);
    char target[64];
    long n = vfs_readlink(&task, LINUX_AT_FDCWD, "/link", target, sizeof(target));
    assert_int_equal(n, 6);
    assert_memory_equal(target, "a/file", 6);
    assert_int_equal(stat_path("/missing", &a, 0), -LINUX_ENOENT);
    /* Nothing was copied up by looking. */
    assert_null(upper_lookup("", "a"));
}

static void test_write_copies_up(void **state)
{
    (void)state;
    struct vfs_attr before, after;
    must(stat_path("/a/file", &before, 0), "stat");
    write_file("/a/file", LINUX_O_APPEND, " more");
    expect_content("/a/file", "hello lower more");
    must(stat_path("/a/file", &after, 0), "stat");
    assert_int_equal(before.ino, after.ino);
    assert_int_equal(after.size, 16);
    assert_int_equal(dev_of("/a/file"), dev_of("/"));
    assert_non_null(upper_lookup("a", "file"));
    /* The parent came up with its attributes. */
    struct inode *ua = upper_lookup("", "a");
    assert_non_null(ua);
    assert_int_equal(ua->attr.mode, LINUX_S_IFDIR | 0755);
    on_lower();
    expect_content("/a/file", "hello lower");
    on_overlay();
    /* O_TRUNC on a lower file: empty above, untouched below. */
    write_file("/big", LINUX_O_TRUNC, "new");
    expect_content("/big", "new");
    on_lower();
    must(stat_path("/big", &after, 0), "lower big");
    assert_int_equal(after.size, BIG_SIZE);
}

static void test_chmod_is_metadata_only(void **state)
{
    (void)state;
    struct path p;
    must(vfs_walk(&task, LINUX_AT_FDCWD, "/big", 0, &p), "walk");
    struct vfs_setattr sa = {.valid = VFS_SET_MODE, .mode = 0600};
    must(vfs_setattr(&task, &p, &sa), "chmod");
    path_put(&p);
    struct vfs_attr a;
    must(stat_path("/big", &a, 0), "stat");
    assert_int_equal(a.mode, LINUX_S_IFREG | 0600);
    assert_int_equal(a.size, BIG_SIZE);
    /* The upper copy is sized but has no data pages yet. */
    struct inode *u = upper_lookup("", "big");
    assert_non_null(u);
    assert_int_equal(u->attr.size, BIG_SIZE);
    struct vfs_attr ua;
    must(vfs_getattr(u, &ua), "upper attr");
    assert_int_equal(ua.blocks, 0);
    char buf[64];
    assert_int_equal(read_file("/big", buf, 5), 4);
    assert_string_equal(buf, "abcd");
    /* Opening for writing copies the data. */
    struct file *f;
    must(vfs_open(&task, LINUX_AT_FDCWD, "/big", LINUX_O_RDWR, 0, 0, &f), "open rw");
    struct iovec iov = {"XY", 2};
    assert_int_equal(file_pwrite(f, &iov, 1, 4096), 2);
    char page[8] = {0};
    iov = (struct iovec){page, 4};
    assert_int_equal(file_pread(f, &iov, 1, 4094), 4);
    assert_memory_equal(page, "mnXY", 4); /* 4094 % 26 = 12: "m" */
    file_put(f);
    must(vfs_getattr(u, &ua), "upper attr");
    assert_true(ua.blocks > 0);
    must(stat_path("/big", &a, 0), "stat");
    assert_int_equal(a.size, BIG_SIZE);
}

static void test_unlink_whiteout(void **state)
{
    (void)state;
    struct vfs_attr a;
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/sub/x", 0), "unlink");
    assert_int_equal(stat_path("/a/sub/x", &a, 0), -LINUX_ENOENT);
    assert_string_equal(list("/a/sub"), "y");
    struct inode *w = upper_lookup("a/sub", "x");
    assert_non_null(w);
    assert_int_equal(w->attr.mode & LINUX_S_IFMT, LINUX_S_IFCHR);
    assert_int_equal(w->attr.rdev, 0);
    on_lower();
    expect_content("/a/sub/x", "x data");
    on_overlay();
    /* A new file over the whiteout. */
    write_file("/a/sub/x", LINUX_O_CREAT | LINUX_O_EXCL, "fresh");
    expect_content("/a/sub/x", "fresh");
    assert_string_equal(list("/a/sub"), "x,y");
    /* Unlinking an upper-only file leaves no whiteout. */
    write_file("/a/new", LINUX_O_CREAT, "n");
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/new", 0), "unlink new");
    assert_null(upper_lookup("a", "new"));
    assert_string_equal(list("/a"), "file,sub");
}

static void test_rmdir_and_opaque(void **state)
{
    (void)state;
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/sub", LINUX_AT_REMOVEDIR),
                     -LINUX_ENOTEMPTY);
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/sub/x", 0), "x");
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/sub/y", 0), "y");
    assert_string_equal(list("/a/sub"), "");
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/a/sub", LINUX_AT_REMOVEDIR), "rmdir");
    struct vfs_attr a;
    assert_int_equal(stat_path("/a/sub", &a, 0), -LINUX_ENOENT);
    assert_string_equal(list("/a"), "file");
    /* A new directory where the lower one was shows none of its entries. */
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a/sub", 0750), "mkdir");
    assert_string_equal(list("/a/sub"), "");
    assert_int_equal(stat_path("/a/sub/x", &a, 0), -LINUX_ENOENT);
    must(stat_path("/a/sub", &a, 0), "stat");
    assert_int_equal(a.mode, LINUX_S_IFDIR | 0750);
    write_file("/a/sub/q", LINUX_O_CREAT, "q");
    assert_string_equal(list("/a/sub"), "q");
    on_lower();
    assert_string_equal(list("/a/sub"), "x,y");
}

static void test_readdir_merge(void **state)
{
    (void)state;
    write_file("/a/file", LINUX_O_APPEND, "!");  /* copied up: one entry */
    write_file("/a/zz", LINUX_O_CREAT, "upper"); /* upper only */
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a/sub/d", 0755), "mkdir");
    assert_string_equal(list("/a"), "file,sub,zz");
    assert_string_equal(list("/a/sub"), "d,x,y");
    assert_string_equal(list("/"), "a,b,big,link");
    /* Merged directories: nlink 1, as Linux's overlayfs. */
    struct vfs_attr a;
    must(stat_path("/a", &a, 0), "stat");
    assert_int_equal(a.nlink, 1);
    must(stat_path("/b", &a, 0), "stat");
    assert_int_equal(a.nlink, 2);
}

static void test_rename(void **state)
{
    (void)state;
    struct vfs_attr a, before;
    must(stat_path("/a/sub/x", &before, 0), "stat");
    must(vfs_rename(&task, LINUX_AT_FDCWD, "/a/sub/x", LINUX_AT_FDCWD, "/b/moved", 0), "rename");
    assert_int_equal(stat_path("/a/sub/x", &a, 0), -LINUX_ENOENT);
    expect_content("/b/moved", "x data");
    must(stat_path("/b/moved", &a, 0), "stat");
    assert_int_equal(a.ino, before.ino);
    assert_string_equal(list("/a/sub"), "y");
    assert_string_equal(list("/b"), "moved,z");
    /* Over a lower file: the target's lower entry stays hidden. */
    must(vfs_rename(&task, LINUX_AT_FDCWD, "/b/moved", LINUX_AT_FDCWD, "/b/z", 0), "over");
    expect_content("/b/z", "x data");
    assert_string_equal(list("/b"), "z");
    /* Directories with lower content cannot move; new ones can. */
    assert_int_equal(vfs_rename(&task, LINUX_AT_FDCWD, "/a/sub", LINUX_AT_FDCWD, "/a/sub2", 0),
                     -LINUX_EXDEV);
    must(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a/nd", 0755), "mkdir");
    write_file("/a/nd/f", LINUX_O_CREAT, "f");
    must(vfs_rename(&task, LINUX_AT_FDCWD, "/a/nd", LINUX_AT_FDCWD, "/nd2", 0), "rename dir");
    expect_content("/nd2/f", "f");
    /* A new directory moved over a lower name hides the lower directory. */
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/b/z", 0), "unlink");
    must(vfs_unlink(&task, LINUX_AT_FDCWD, "/b", LINUX_AT_REMOVEDIR), "rmdir b");
    must(vfs_rename(&task, LINUX_AT_FDCWD, "/nd2", LINUX_AT_FDCWD, "/b", 0), "onto b");
    assert_string_equal(list("/b"), "f");
    on_lower();
    assert_string_equal(list("/"), "a,b,big,link");
    assert_string_equal(list("/b"), "z");
    expect_content("/a/sub/x", "x data");
}

static void test_exchange_and_link(void **state)
{
    (void)state;
    write_file("/a/up", LINUX_O_CREAT, "upper file");
    must(vfs_rename(&task, LINUX_AT_FDCWD, "/a/up", LINUX_AT_FDCWD, "/a/file",
                    LINUX_RENAME_EXCHANGE),
         "exchange");
    expect_content("/a/file", "upper file");
    expect_content("/a/up", "hello lower");
    must(vfs_link(&task, LINUX_AT_FDCWD, "/a/sub/y", LINUX_AT_FDCWD, "/a/ylink", 0), "link");
    struct vfs_attr a, b;
    must(stat_path("/a/sub/y", &a, 0), "stat");
    must(stat_path("/a/ylink", &b, 0), "stat");
    assert_int_equal(a.ino, b.ino);
    assert_int_equal(a.nlink, 2);
    write_file("/a/ylink", LINUX_O_APPEND, "+");
    expect_content("/a/sub/y", "y+");
    on_lower();
    expect_content("/a/sub/y", "y");
    expect_content("/a/file", "hello lower");
}

static void test_symlink_and_special(void **state)
{
    (void)state;
    must(vfs_symlink(&task, "sub/y", LINUX_AT_FDCWD, "/a/sl"), "symlink");
    expect_content("/a/sl", "y");
    /* lchown copies a lower symlink up. */
    struct path p;
    must(vfs_walk(&task, LINUX_AT_FDCWD, "/link", 0, &p), "walk");
    struct vfs_setattr sa = {.valid = VFS_SET_UID | VFS_SET_GID, .uid = 5, .gid = 6};
    must(vfs_setattr(&task, &p, &sa), "lchown");
    path_put(&p);
    struct vfs_attr a;
    must(stat_path("/link", &a, 0), "lstat");
    assert_int_equal(a.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
    assert_int_equal(a.uid, 5);
    expect_content("/link", "hello lower");
    must(vfs_mknod(&task, LINUX_AT_FDCWD, "/a/fifo", LINUX_S_IFIFO | 0600, 0), "mkfifo");
    must(stat_path("/a/fifo", &a, 0), "stat fifo");
    assert_int_equal(a.mode, LINUX_S_IFIFO | 0600);
    assert_int_equal(vfs_mkdir(&task, LINUX_AT_FDCWD, "/a/file", 0755), -LINUX_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_copies_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chmod_is_metadata_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink_whiteout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rmdir_and_opaque, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readdir_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exchange_and_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_and_special, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
