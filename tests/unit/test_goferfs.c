/* goferfs and the sandbox's mount tree against a real gofer (gofer_start)
 * over a temporary directory, in-process through the VFS API:
 * vfs_boot_sandbox builds / (overlay over the read-only root), /proc,
 * /dev, /sys, /tmp and three binds (rw directory, ro directory, rw file at
 * a path the root does not have). Checks reads, listings (order and
 * batching), symlinks, the page cache, that overlay writes never reach the
 * host, that rw-bind writes do, and EROFS on the ro bind.
 *
 * Needs what the gofer needs (namespaces: root, or unprivileged user
 * namespaces); exits 77 (skipped) if the gofer cannot start. */
#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "gofer/gofer.h"
#include "sentry/boot.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/object.h"
#include "sentry/vfs/boot_sandbox.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define NFILES 300
/* More directories than a read-only mount keeps handles for
 * (GOFERFS_DIR_HANDLES_MAX), and a chain deeper than one WALK. */
#define NDIRS 2100
#define DEPTH 300

static char tmp[64];
static struct task task;
static struct thread_group tg;
static pid_t gofer_pid;

static void host_write(const char *rel, const char *data, int mode)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        abort();
    close(fd);
}

static void host_mkdir(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    if (mkdir(path, 0755) != 0)
        abort();
}

/* The host file's contents, or "" if it does not exist. */
static const char *host_read(const char *rel)
{
    static char buf[256];
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return buf;
}

static bool host_exists(const char *rel)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    return lstat(path, &st) == 0;
}

static int write_file(const char *path, int flags, const char *data)
{
    struct file *f;
    int err = vfs_open(&task, LINUX_AT_FDCWD, path, flags | LINUX_O_WRONLY, 0644, 0, &f);
    if (err)
        return err;
    struct iovec iov = {(void *)data, strlen(data)};
    long n = file_write(f, &iov, 1);
    file_put(f);
    return n < 0 ? (int)n : 0;
}

static void expect_content(const char *path, const char *want)
{
    struct file *f;
    int err = vfs_open(&task, LINUX_AT_FDCWD, path, LINUX_O_RDONLY, 0, 0, &f);
    if (err)
        fail_msg("open %s: %d", path, err);
    char buf[256];
    struct iovec iov = {buf, sizeof(buf) - 1};
    long n = file_read(f, &iov, 1);
    file_put(f);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static int stat_path(const char *path, struct vfs_attr *out)
{
    struct path p;
    int err = vfs_walk(&task, LINUX_AT_FDCWD, path, 0, &p);
    if (err)
        return err;
    err = vfs_stat(&task, &p, out);
    path_put(&p);
    return err;
}

struct listing {
    char (*names)[16];
    int count;
};

static bool listing_emit(void *ctx, const struct vfs_dirent *d)
{
    struct listing *l = ctx;
    if (strcmp(d->name, ".") && strcmp(d->name, "..") && l->count < NFILES + 8)
        snprintf(l->names[l->count++], 16, "%s", d->name);
    return true;
}

/* Stops after 7 entries, to check that a listing resumes where it was. */
static bool listing_emit_some(void *ctx, const struct vfs_dirent *d)
{
    struct listing *l = ctx;
    if (l->count >= 7)
        return false;
    return listing_emit(ctx, d);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/moat-goferfs-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    host_mkdir("root");
    host_write("root/file", "hello", 0644);
    host_write("root/exe", "#!/bin/sh\n", 0755);
    host_mkdir("root/dir");
    for (int i = 0; i < NFILES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "root/dir/f%03d", i);
        host_write(name, name + 10, 0644);
    }
    host_mkdir("root/many");
    for (int i = 0; i < NDIRS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "root/many/d%04d", i);
        host_mkdir(name);
        strcat(name, "/f");
        host_write(name, "f", 0644);
        name[strlen(name) - 1] = 'g';
        host_write(name, "g", 0644);
    }
    char deep[DEPTH * 2 + 32] = "root/deep";
    host_mkdir(deep);
    for (int i = 0; i < DEPTH; i++) {
        strcat(deep, "/a");
        host_mkdir(deep);
    }
    strcat(deep, "/end");
    host_write(deep, "end", 0644);
    strcpy(deep + strlen(deep) - 3, "end2");
    host_write(deep, "end2", 0644);
    char path[256];
    snprintf(path, sizeof(path), "%s/root/link", tmp);
    if (symlink("dir/f007", path) != 0)
        return -1;
    host_mkdir("rw");
    host_write("rw/data", "bind data", 0644);
    host_mkdir("ro");
    host_write("ro/data", "read only", 0644);
    host_write("single", "single file", 0644);

    char root[128], rw[128], ro[128], single[128];
    snprintf(root, sizeof(root), "%s/root", tmp);
    snprintf(rw, sizeof(rw), "%s/rw", tmp);
    snprintf(ro, sizeof(ro), "%s/ro", tmp);
    snprintf(single, sizeof(single), "%s/single", tmp);
    struct gofer_bind gb[3] = {{rw, false}, {ro, true}, {single, false}};
    struct gofer_config cfg = {.root = root, .root_readonly = true, .binds = gb, .nbinds = 3};
    int sock;
    char err[256];
    if (gofer_start(&cfg, &gofer_pid, &sock, err, sizeof(err)) != 0) {
        fprintf(stderr, "skipped: cannot start the gofer: %s\n", err);
        exit(77);
    }
    if (memfile_init() != 0)
        return -1;
    static struct kernel k;
    kernel_init(&k);
    kernel_global = &k;
    struct sentry_bind sb[3] = {{"/mnt/rw", false}, {"/mnt/ro", true}, {"/etc/x/single", false}};
    struct sentry_spec spec = {.gofer_sock = sock, .root_overlay = true, .binds = sb, .nbinds = 3};
    struct path rootp;
    int e = vfs_boot_sandbox(&spec, &rootp);
    if (e) {
        fprintf(stderr, "vfs_boot_sandbox: %d\n", e);
        return -1;
    }
    task.tg = &tg;
    task.fds = fdtable_new();
    task.fs = fs_context_new(&rootp, 022);
    path_put(&rootp);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fs_context_put(task.fs); /* the last mount reference: the gofer's socket closes */
    fdtable_put(task.fds);
    /* The gofer ends when the sentry's side of the socket closes. */
    int status;
    pid_t r = 0;
    for (int i = 0; i < 200 && r == 0; i++) {
        r = waitpid(gofer_pid, &status, WNOHANG);
        if (r == 0)
            usleep(10000);
    }
    if (r == 0) {
        fprintf(stderr, "the gofer did not exit: the socket stayed open\n");
        kill(gofer_pid, SIGKILL);
        waitpid(gofer_pid, &status, 0);
        return -1;
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_read_and_stat(void **state)
{
    (void)state;
    expect_content("/file", "hello");
    expect_content("/link", "007");
    expect_content("/dir/f123", "123");
    struct vfs_attr a;
    assert_int_equal(stat_path("/file", &a), 0);
    char host[256];
    struct stat st;
    snprintf(host, sizeof(host), "%s/root/file", tmp);
    assert_int_equal(stat(host, &st), 0);
    assert_int_equal(a.ino, st.st_ino);
    assert_int_equal(a.size, 5);
    assert_int_equal(a.mode, LINUX_S_IFREG | 0644);
    assert_int_equal(stat_path("/exe", &a), 0);
    assert_int_equal(a.mode, LINUX_S_IFREG | 0755);
    assert_int_equal(stat_path("/missing", &a), -LINUX_ENOENT);
    assert_int_equal(stat_path("/file/x", &a), -LINUX_ENOTDIR);
    char target[32];
    assert_int_equal(vfs_readlink(&task, LINUX_AT_FDCWD, "/link", target, sizeof(target)), 8);
    assert_memory_equal(target, "dir/f007", 8);
    /* Every file of a large directory, each its own lookup. */
    for (int i = 0; i < NFILES; i++) {
        char p[32];
        snprintf(p, sizeof(p), "/dir/f%03d", i);
        assert_int_equal(stat_path(p, &a), 0);
        assert_int_equal(a.size, 3);
    }
}

static void test_listing(void **state)
{
    (void)state;
    static char names[NFILES + 8][16];
    struct listing l = {names, 0};
    struct file *f;
    assert_int_equal(
        vfs_open(&task, LINUX_AT_FDCWD, "/dir", LINUX_O_RDONLY | LINUX_O_DIRECTORY, 0, 0, &f), 0);
    /* In pieces, as getdents with a small buffer. */
    for (int round = 0; round < 100 && l.count < NFILES; round++) {
        int before = l.count;
        struct listing part = {names + l.count, 0};
        assert_int_equal(f->ops->iterate(f, listing_emit_some, &part), 0);
        l.count += part.count;
        if (l.count == before)
            break;
    }
    file_put(f);
    assert_int_equal(l.count, NFILES);
    /* The host's order. */
    char host[256];
    snprintf(host, sizeof(host), "%s/root/dir", tmp);
    DIR *d = opendir(host);
    assert_non_null(d);
    int i = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            assert_string_equal(names[i++], e->d_name);
    }
    closedir(d);
    l.count = 0;
    assert_int_equal(vfs_open(&task, LINUX_AT_FDCWD, "/", LINUX_O_RDONLY, 0, 0, &f), 0);
    assert_int_equal(f->ops->iterate(f, listing_emit, &l), 0);
    file_put(f);
    bool has_etc = false;
    for (int k = 0; k < l.count; k++)
        has_etc |= strcmp(names[k], "etc") == 0;
    assert_true(has_etc); /* the bind's mountpoint, made in the overlay */
}

static void test_overlay_writes_stay(void **state)
{
    (void)state;
    assert_int_equal(write_file("/file", LINUX_O_APPEND, " world"), 0);
    expect_content("/file", "hello world");
    assert_string_equal(host_read("root/file"), "hello");
    assert_int_equal(write_file("/new", LINUX_O_CREAT, "new"), 0);
    expect_content("/new", "new");
    assert_false(host_exists("root/new"));
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/dir/f001", 0), 0);
    assert_true(host_exists("root/dir/f001"));
    assert_int_equal(vfs_mkdir(&task, LINUX_AT_FDCWD, "/dir/sub", 0755), 0);
    assert_false(host_exists("root/dir/sub"));
    assert_int_equal(vfs_rename(&task, LINUX_AT_FDCWD, "/dir/f002", LINUX_AT_FDCWD, "/moved", 0),
                     0);
    expect_content("/moved", "002");
    assert_true(host_exists("root/dir/f002"));
    assert_false(host_exists("root/moved"));
}

static void test_binds(void **state)
{
    (void)state;
    expect_content("/mnt/rw/data", "bind data");
    expect_content("/mnt/ro/data", "read only");
    expect_content("/etc/x/single", "single file");
    /* The rw bind reaches the host. */
    assert_int_equal(write_file("/mnt/rw/out", LINUX_O_CREAT, "from sandbox"), 0);
    assert_string_equal(host_read("rw/out"), "from sandbox");
    assert_int_equal(write_file("/mnt/rw/data", LINUX_O_TRUNC, "changed"), 0);
    assert_string_equal(host_read("rw/data"), "changed");
    struct vfs_attr a;
    assert_int_equal(stat_path("/mnt/rw/data", &a), 0);
    assert_int_equal(a.size, 7);
    assert_int_equal(vfs_mkdir(&task, LINUX_AT_FDCWD, "/mnt/rw/d", 0700), 0);
    assert_true(host_exists("rw/d"));
    assert_int_equal(vfs_symlink(&task, "out", LINUX_AT_FDCWD, "/mnt/rw/d/l"), 0);
    assert_int_equal(
        vfs_rename(&task, LINUX_AT_FDCWD, "/mnt/rw/out", LINUX_AT_FDCWD, "/mnt/rw/d/out", 0), 0);
    assert_string_equal(host_read("rw/d/out"), "from sandbox");
    expect_content("/mnt/rw/d/l", "from sandbox");
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/mnt/rw/d/l", 0), 0);
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/mnt/rw/d/out", 0), 0);
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/mnt/rw/d", LINUX_AT_REMOVEDIR), 0);
    assert_false(host_exists("rw/d"));
    struct path p;
    assert_int_equal(vfs_walk(&task, LINUX_AT_FDCWD, "/mnt/rw/data", 0, &p), 0);
    struct vfs_setattr sa = {.valid = VFS_SET_MODE, .mode = 0600};
    assert_int_equal(vfs_setattr(&task, &p, &sa), 0);
    path_put(&p);
    char host[256];
    struct stat st;
    snprintf(host, sizeof(host), "%s/rw/data", tmp);
    assert_int_equal(stat(host, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* The ro bind refuses. */
    assert_int_equal(write_file("/mnt/ro/data", 0, "x"), -LINUX_EROFS);
    assert_int_equal(write_file("/mnt/ro/new", LINUX_O_CREAT, "x"), -LINUX_EROFS);
    assert_int_equal(vfs_unlink(&task, LINUX_AT_FDCWD, "/mnt/ro/data", 0), -LINUX_EROFS);
    assert_string_equal(host_read("ro/data"), "read only");
    /* The file bind. */
    assert_int_equal(write_file("/etc/x/single", LINUX_O_APPEND, "!"), 0);
    assert_string_equal(host_read("single"), "single file!");
    struct linux_statfs sfs;
    assert_int_equal(vfs_walk(&task, LINUX_AT_FDCWD, "/mnt/rw", 0, &p), 0);
    assert_int_equal(vfs_statfs(&task, &p, &sfs), 0);
    path_put(&p);
    assert_true(sfs.f_bsize > 0);
}

static void test_kernel_mounts_and_pages(void **state)
{
    (void)state;
    struct vfs_attr a;
    assert_int_equal(stat_path("/dev/null", &a), 0);
    assert_int_equal(a.mode & LINUX_S_IFMT, LINUX_S_IFCHR);
    assert_int_equal(stat_path("/proc", &a), 0);
    assert_int_equal(stat_path("/tmp", &a), 0);
    assert_int_equal(a.mode, LINUX_S_IFDIR | 01777);
    assert_int_equal(stat_path("/dev/shm", &a), 0);
    assert_int_equal(write_file("/tmp/t", LINUX_O_CREAT, "t"), 0);
    /* The page cache of a root file (what mmap maps). */
    struct file *f;
    assert_int_equal(vfs_open(&task, LINUX_AT_FDCWD, "/dir/f042", LINUX_O_RDONLY, 0, 0, &f), 0);
    struct mm_object *obj, *again;
    assert_int_equal(f->ops->get_pages(f, 0, 4096, &obj), 0);
    assert_int_equal(f->ops->get_pages(f, 0, 4096, &again), 0);
    assert_ptr_equal(obj, again); /* one page cache per inode */
    assert_int_equal(obj->size, 3);
    assert_int_equal(mm_object_populate(obj, 0, 1), 0);
    const char *page = mm_object_page_ptr(obj, 0);
    assert_memory_equal(page, "042\0\0", 5);
    mm_object_put(again);
    file_put(f);
    mm_object_put(obj); /* outlives the file */
}

/* Handles of read-only directories are dropped and walked to again. */
static void test_handle_reuse(void **state)
{
    (void)state;
    char p[DEPTH * 2 + 32];
    struct vfs_attr a;
    strcpy(p, "/deep");
    for (int i = 0; i < DEPTH; i++)
        strcat(p, "/a");
    strcat(p, "/end");
    expect_content(p, "end");
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < NDIRS; i++) {
            char f[64];
            snprintf(f, sizeof(f), "/many/d%04d/%c", i, round ? 'g' : 'f');
            assert_int_equal(stat_path(f, &a), 0);
        }
    }
    /* The deep chain's handles are all gone: one walk of 300 names. */
    strcpy(p + strlen(p) - 3, "end2");
    expect_content(p, "end2");
    assert_int_equal(stat_path("/many/d0000/missing", &a), -LINUX_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_stat),           cmocka_unit_test(test_listing),
        cmocka_unit_test(test_overlay_writes_stay),     cmocka_unit_test(test_binds),
        cmocka_unit_test(test_kernel_mounts_and_pages),
        cmocka_unit_test(test_handle_reuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
