/* Tests of the gofer's server (gofer/server.c, handles.c) through the
 * sentry's client (sentry/fs/gofer/client.c), and of gofer_start.
 *
 * Default: gofer_serve runs in a forked child on a socketpair over a
 * temporary tree (no namespaces): mount 0 = <tmp>/root (read-write),
 * mount 1 = <tmp>/ro (read-only).
 *
 * `test_gofer_server --start`: gofer_start itself (namespaces, pivot_root,
 * seccomp). Needs root: exits 77 (skipped) otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "gofer/gofer.h"
#include "gofer/handles.h"
#include "gofer/proto.h"
#include "sentry/fs/gofer/client.h"

#ifndef MOAT_SOURCE_ROOT
#define MOAT_SOURCE_ROOT "."
#endif

static char tmp[64];
static struct gofer_client *client;
static int raw_sock; /* the client's socket, for raw messages */
static pid_t server_pid;
static uint64_t root, ro_root;

/* ---- Fixture ---- */

static void put_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void make_dir(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_symlink(const char *target, const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    assert_int_equal(symlink(target, path), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Serve the fixture with gofer_start (namespaces, seccomp) instead of a
 * plain gofer_serve child. */
static bool use_start;

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/gofer-test-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    make_dir("root");
    make_dir("root/dir");
    make_dir("root/big");
    put_file("root/file", "hello");
    put_file("root/dir/sub", "sub");
    make_symlink("/etc/passwd", "root/link_abs");
    make_symlink("../../..", "root/link_up");
    make_dir("ro");
    put_file("ro/file", "read only");
    make_dir("ro/d");
    put_file("outside", "secret");
    for (int i = 0; i < 1000; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "root/big/entry-%04d", i);
        put_file(rel, "");
    }

    if (use_start) {
        char root_path[128], ro_path[128], err[256];
        snprintf(root_path, sizeof(root_path), "%s/root", tmp);
        snprintf(ro_path, sizeof(ro_path), "%s/ro", tmp);
        struct gofer_bind binds[] = {{ro_path, true}};
        struct gofer_config cfg = {.root = root_path, .binds = binds, .nbinds = 1};
        if (gofer_start(&cfg, &server_pid, &raw_sock, err, sizeof(err)) != 0)
            fail_msg("gofer_start: %s", err);
    } else {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        server_pid = fork();
        assert_true(server_pid >= 0);
        if (server_pid == 0) {
            close(sv[0]);
            int dirfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
            struct gofer_mount mounts[] = {{dirfd, "root", false}, {dirfd, "ro", true}};
            int r = gofer_serve(sv[1], mounts, 2);
            _exit(r == 0 ? 0 : 1);
        }
        close(sv[1]);
        raw_sock = sv[0];
    }
    client = gofer_client_new(raw_sock);
    assert_non_null(client);
    struct gofer_handle_stat hs;
    uint32_t flags;
    assert_int_equal(gofer_attach(client, 0, &hs, &flags), 0);
    root = hs.handle;
    assert_int_equal(flags, 0);
    assert_int_equal(hs.stat.mode & LINUX_S_IFMT, LINUX_S_IFDIR);
    assert_int_equal(gofer_attach(client, 1, &hs, &flags), 0);
    ro_root = hs.handle;
    assert_int_equal(flags, GOFER_MOUNT_RDONLY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gofer_client_free(client);
    waitpid(server_pid, NULL, 0);
    rm_tree(tmp);
    return 0;
}

/* ---- Helpers ---- */

/* Walks one name from dir; returns the handle (asserts success). */
static uint64_t walk1(uint64_t dir, const char *name, struct gofer_stat *out_st)
{
    struct gofer_handle_stat hs[1];
    unsigned walked;
    int err;
    const char *names[] = {name};
    assert_int_equal(gofer_walk(client, dir, 1, names, hs, &walked, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(walked, 1);
    if (out_st)
        *out_st = hs[0].stat;
    return hs[0].handle;
}

static int walk_err(uint64_t dir, const char *name)
{
    struct gofer_handle_stat hs[1];
    unsigned walked;
    int err;
    const char *names[] = {name};
    int r = gofer_walk(client, dir, 1, names, hs, &walked, &err);
    if (r < 0)
        return r;
    assert_int_equal(walked, 0);
    return err;
}

static void read_all(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    assert_true(n >= 0);
    buf[n] = '\0';
}

static void host_path(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", tmp, rel);
}

static void close1(uint64_t h)
{
    assert_int_equal(gofer_close(client, &h, 1), 0);
}

/* ---- Tests ---- */

static void test_attach_walk_stat(void **state)
{
    (void)state;
    struct gofer_handle_stat hs[4];
    unsigned walked;
    int err;
    const char *path[] = {"dir", "sub"};
    assert_int_equal(gofer_walk(client, root, 2, path, hs, &walked, &err), 0);
    assert_int_equal(walked, 2);
    assert_int_equal(err, 0);
    assert_int_equal(hs[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFDIR);
    assert_int_equal(hs[1].stat.mode & LINUX_S_IFMT, LINUX_S_IFREG);
    assert_int_equal(hs[1].stat.size, 3);
    struct stat st;
    char p[256];
    host_path(p, sizeof(p), "root/dir/sub");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(hs[1].stat.ino, st.st_ino);

    struct gofer_stat gs;
    assert_int_equal(gofer_stat(client, hs[1].handle, &gs), 0);
    assert_int_equal(gs.ino, st.st_ino);
    assert_int_equal(gs.nlink, 1);
    assert_int_equal(gs.mtime.sec, st.st_mtim.tv_sec);
    assert_int_equal(gs.mtime.nsec, st.st_mtim.tv_nsec);

    /* A missing name stops the walk with its errno. */
    const char *missing[] = {"dir", "nope", "x"};
    assert_int_equal(gofer_walk(client, root, 3, missing, hs, &walked, &err), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(err, -LINUX_ENOENT);
    close1(hs[0].handle);
    /* Through a file: ENOTDIR. */
    const char *through[] = {"file", "x"};
    assert_int_equal(gofer_walk(client, root, 2, through, hs, &walked, &err), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(err, -LINUX_ENOTDIR);
    close1(hs[0].handle);

    /* No such mount. */
    assert_int_equal(gofer_attach(client, 2, hs, NULL), -LINUX_EINVAL);
}

static void test_open_read(void **state)
{
    (void)state;
    uint64_t f = walk1(root, "file", NULL);
    int fd = -1;
    assert_int_equal(gofer_open(client, f, LINUX_O_RDONLY, &fd), 0);
    assert_true(fd >= 0);
    char buf[64];
    read_all(fd, buf, sizeof(buf));
    assert_string_equal(buf, "hello");
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_int_equal(write(fd, "x", 1), -1); /* read-only */
    close(fd);

    /* Read-write with O_APPEND. */
    assert_int_equal(gofer_open(client, f, LINUX_O_RDWR | LINUX_O_APPEND, &fd), 0);
    assert_int_equal(write(fd, "!", 1), 1);
    read_all(fd, buf, sizeof(buf));
    assert_string_equal(buf, "hello!");
    close(fd);

    /* Bad flags. */
    assert_int_equal(gofer_open(client, f, LINUX_O_ACCMODE, &fd), -LINUX_EINVAL);
    assert_int_equal(gofer_open(client, f, LINUX_O_CREAT, &fd), -LINUX_EINVAL);
    assert_int_equal(gofer_open(client, f, LINUX_O_PATH, &fd), -LINUX_EINVAL);
    assert_int_equal(gofer_open(client, f, LINUX_O_DIRECTORY, &fd), -LINUX_ENOTDIR);

    /* A directory. */
    uint64_t d = walk1(root, "dir", NULL);
    assert_int_equal(gofer_open(client, d, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &fd), 0);
    close(fd);
    assert_int_equal(gofer_open(client, d, LINUX_O_WRONLY, &fd), -LINUX_EISDIR);
    /* The root itself. */
    assert_int_equal(gofer_open(client, root, LINUX_O_RDONLY, &fd), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    close(fd);
    uint64_t both[] = {f, d};
    assert_int_equal(gofer_close(client, both, 2), 0);
}

static void test_create_mkdir_mknod(void **state)
{
    (void)state;
    struct gofer_handle_stat hs;
    int fd = -1;
    assert_int_equal(gofer_create(client, root, "new", LINUX_O_RDWR, 0640, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     0);
    assert_int_equal(write(fd, "data", 4), 4);
    close(fd);
    assert_int_equal(hs.stat.mode, LINUX_S_IFREG | 0640);
    char p[256], buf[64];
    host_path(p, sizeof(p), "root/new");
    int hfd = open(p, O_RDONLY);
    read_all(hfd, buf, sizeof(buf));
    close(hfd);
    assert_string_equal(buf, "data");
    /* O_EXCL: it exists now. */
    assert_int_equal(gofer_create(client, root, "new", LINUX_O_RDWR, 0640, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     -LINUX_EEXIST);
    /* Owner set at creation (we run as root in the test VM; else skip). */
    if (geteuid() == 0) {
        struct gofer_handle_stat own;
        assert_int_equal(
            gofer_create(client, root, "owned", LINUX_O_WRONLY, 0600, 1234, 5678, &own, &fd), 0);
        close(fd);
        assert_int_equal(own.stat.uid, 1234);
        assert_int_equal(own.stat.gid, 5678);
        close1(own.handle);
    }

    struct gofer_handle_stat dh;
    assert_int_equal(gofer_mkdir(client, root, "newdir", 0750, GOFER_ID_NONE, GOFER_ID_NONE, &dh),
                     0);
    assert_int_equal(dh.stat.mode, LINUX_S_IFDIR | 0750);
    assert_int_equal(gofer_mkdir(client, root, "newdir", 0750, GOFER_ID_NONE, GOFER_ID_NONE, &dh),
                     -LINUX_EEXIST);

    struct gofer_handle_stat nh;
    assert_int_equal(
        gofer_mknod(client, root, "fifo", LINUX_S_IFIFO | 0600, GOFER_ID_NONE, GOFER_ID_NONE, &nh),
        0);
    assert_int_equal(nh.stat.mode, LINUX_S_IFIFO | 0600);
    /* Opening a FIFO never blocks the gofer (O_NONBLOCK). */
    assert_int_equal(gofer_open(client, nh.handle, LINUX_O_RDONLY, &fd), 0);
    close(fd);
    assert_int_equal(gofer_open(client, nh.handle, LINUX_O_WRONLY, &fd), -LINUX_ENXIO);
    close1(nh.handle);
    assert_int_equal(gofer_mknod(client, root, "reg", 0644, GOFER_ID_NONE, GOFER_ID_NONE, &nh), 0);
    assert_int_equal(nh.stat.mode, LINUX_S_IFREG | 0644);
    close1(nh.handle);
    assert_int_equal(
        gofer_mknod(client, root, "sock", LINUX_S_IFSOCK | 0644, GOFER_ID_NONE, GOFER_ID_NONE, &nh),
        0);
    close1(nh.handle);
    /* No devices. */
    assert_int_equal(
        gofer_mknod(client, root, "null", LINUX_S_IFCHR | 0666, GOFER_ID_NONE, GOFER_ID_NONE, &nh),
        -LINUX_EPERM);
    assert_int_equal(
        gofer_mknod(client, root, "blk", LINUX_S_IFBLK | 0666, GOFER_ID_NONE, GOFER_ID_NONE, &nh),
        -LINUX_EPERM);
    assert_int_equal(walk_err(root, "null"), -LINUX_ENOENT);
    uint64_t hs2[] = {hs.handle, dh.handle};
    assert_int_equal(gofer_close(client, hs2, 2), 0);
}

static void test_symlink_link_readlink(void **state)
{
    (void)state;
    struct gofer_handle_stat sh;
    assert_int_equal(
        gofer_symlink(client, root, "sl", "dir/sub", GOFER_ID_NONE, GOFER_ID_NONE, &sh), 0);
    assert_int_equal(sh.stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
    char buf[GOFER_PATH_MAX + 1];
    size_t len;
    assert_int_equal(gofer_readlink(client, sh.handle, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 7);
    assert_string_equal(buf, "dir/sub");
    /* Like readlink(2): truncated to the buffer. */
    assert_int_equal(gofer_readlink(client, sh.handle, buf, 3, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "dir", 3);
    /* Not a symlink. */
    assert_int_equal(gofer_readlink(client, root, buf, sizeof(buf), &len), -LINUX_EINVAL);
    /* Targets: empty is ENOENT (as Linux), NUL inside is refused. */
    assert_int_equal(gofer_symlink(client, root, "sl2", "", GOFER_ID_NONE, GOFER_ID_NONE, &sh),
                     -LINUX_ENOENT);

    uint64_t f = walk1(root, "file", NULL);
    struct gofer_handle_stat lh;
    assert_int_equal(gofer_link(client, root, "file-link", f, &lh), 0);
    assert_int_equal(lh.stat.nlink, 2);
    struct gofer_stat st;
    assert_int_equal(gofer_stat(client, f, &st), 0);
    assert_int_equal(st.ino, lh.stat.ino);
    /* Directories cannot be linked; a symlink is linked as itself. */
    uint64_t d = walk1(root, "dir", NULL);
    assert_int_equal(gofer_link(client, root, "dir-link", d, &lh), -LINUX_EPERM);
    struct gofer_handle_stat l2;
    assert_int_equal(gofer_link(client, root, "sl-link", sh.handle, &l2), 0);
    assert_int_equal(l2.stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
    /* Across mounts. */
    assert_int_equal(gofer_link(client, ro_root, "x", f, &l2), -LINUX_EROFS);
    uint64_t all[] = {sh.handle, f, lh.handle, d, l2.handle};
    assert_int_equal(gofer_close(client, all, 5), 0);
}

static void test_unlink_rename(void **state)
{
    (void)state;
    struct gofer_handle_stat hs;
    int fd;
    assert_int_equal(gofer_create(client, root, "victim", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     0);
    close(fd);
    close1(hs.handle);
    assert_int_equal(gofer_unlink(client, root, "victim", 0), 0);
    assert_int_equal(walk_err(root, "victim"), -LINUX_ENOENT);
    assert_int_equal(gofer_unlink(client, root, "victim", 0), -LINUX_ENOENT);
    assert_int_equal(gofer_mkdir(client, root, "vdir", 0755, GOFER_ID_NONE, GOFER_ID_NONE, &hs), 0);
    close1(hs.handle);
    assert_int_equal(gofer_unlink(client, root, "vdir", 0), -LINUX_EISDIR);
    assert_int_equal(gofer_unlink(client, root, "vdir", GOFER_AT_REMOVEDIR), 0);
    assert_int_equal(gofer_unlink(client, root, "dir", GOFER_AT_REMOVEDIR), -LINUX_ENOTEMPTY);
    assert_int_equal(gofer_unlink(client, root, "x", 0x1), -LINUX_EINVAL);

    /* Rename a directory; its handle still opens (the gofer follows the
     * rename), and so do handles below it. */
    assert_int_equal(gofer_mkdir(client, root, "a", 0755, GOFER_ID_NONE, GOFER_ID_NONE, &hs), 0);
    uint64_t a = hs.handle;
    struct gofer_handle_stat in;
    assert_int_equal(gofer_create(client, a, "inner", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &in, &fd),
                     0);
    assert_int_equal(write(fd, "in", 2), 2);
    close(fd);
    assert_int_equal(gofer_rename(client, root, "a", root, "b", 0), 0);
    assert_int_equal(gofer_open(client, a, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &fd), 0);
    close(fd);
    assert_int_equal(gofer_open(client, in.handle, LINUX_O_RDONLY, &fd), 0);
    close(fd);
    assert_int_equal(walk_err(root, "a"), -LINUX_ENOENT);
    /* Into another directory. */
    uint64_t dir = walk1(root, "dir", NULL);
    assert_int_equal(gofer_rename(client, a, "inner", dir, "moved", 0), 0);
    assert_int_equal(gofer_open(client, in.handle, LINUX_O_RDONLY, &fd), 0);
    char buf[16];
    read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, "in");
    /* NOREPLACE and EXCHANGE. */
    assert_int_equal(gofer_rename(client, dir, "moved", dir, "sub", GOFER_RENAME_NOREPLACE),
                     -LINUX_EEXIST);
    uint64_t sub = walk1(dir, "sub", NULL);
    assert_int_equal(gofer_rename(client, dir, "moved", dir, "sub", GOFER_RENAME_EXCHANGE), 0);
    assert_int_equal(gofer_open(client, sub, LINUX_O_RDONLY, &fd), 0);
    read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, "sub");
    assert_int_equal(gofer_rename(client, dir, "moved", dir, "sub", GOFER_RENAME_EXCHANGE), 0);
    assert_int_equal(gofer_rename(client, dir, "a", dir, "b", 0x4 /* WHITEOUT */), -LINUX_EINVAL);
    /* Back where the other tests expect it. */
    assert_int_equal(gofer_unlink(client, dir, "moved", 0), 0);
    assert_int_equal(gofer_unlink(client, root, "b", GOFER_AT_REMOVEDIR), 0);

    /* A handle whose name now names another file is stale. */
    uint64_t f;
    assert_int_equal(gofer_create(client, root, "stale", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     0);
    close(fd);
    f = hs.handle;
    assert_int_equal(gofer_unlink(client, root, "stale", 0), 0);
    struct gofer_handle_stat hs2;
    assert_int_equal(gofer_create(client, root, "stale", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs2, &fd),
                     0);
    close(fd);
    assert_int_equal(gofer_open(client, f, LINUX_O_RDONLY, &fd), -LINUX_ESTALE);
    uint64_t all[] = {a, in.handle, dir, sub, f, hs2.handle};
    assert_int_equal(gofer_close(client, all, 6), 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_getdents(void **state)
{
    (void)state;
    /* The root: no "." or "..". */
    struct gofer_dirent_entry ents[64];
    unsigned n;
    assert_int_equal(gofer_getdents(client, root, 0, ents, 64, &n), 0);
    bool saw_file = false, saw_dir = false;
    for (unsigned i = 0; i < n; i++) {
        assert_string_not_equal(ents[i].name, ".");
        assert_string_not_equal(ents[i].name, "..");
        if (strcmp(ents[i].name, "file") == 0) {
            saw_file = true;
            assert_int_equal(ents[i].type, DT_REG);
        }
        if (strcmp(ents[i].name, "dir") == 0) {
            saw_dir = true;
            assert_int_equal(ents[i].type, DT_DIR);
        }
    }
    assert_true(saw_file && saw_dir);

    /* 1000 entries, paged 7 at a time and all at once: each exactly once. */
    uint64_t big = walk1(root, "big", NULL);
    for (unsigned page = 7; page <= 64; page += 57) {
        char *names[1000];
        unsigned total = 0;
        uint64_t off = 0;
        for (;;) {
            assert_int_equal(gofer_getdents(client, big, off, ents, page, &n), 0);
            if (n == 0)
                break;
            assert_true(n <= page);
            for (unsigned i = 0; i < n; i++) {
                assert_true(total < 1000);
                names[total++] = strdup(ents[i].name);
            }
            off = ents[n - 1].next;
        }
        assert_int_equal(total, 1000);
        qsort(names, total, sizeof(names[0]), cmp_str);
        for (unsigned i = 0; i < total; i++) {
            char want[32];
            snprintf(want, sizeof(want), "entry-%04u", i);
            assert_string_equal(names[i], want);
            free(names[i]);
        }
    }
    /* Not a directory. */
    uint64_t f = walk1(root, "file", NULL);
    assert_int_equal(gofer_getdents(client, f, 0, ents, 64, &n), -LINUX_ENOTDIR);
    uint64_t both[] = {big, f};
    assert_int_equal(gofer_close(client, both, 2), 0);
}

static void test_setattr_statfs(void **state)
{
    (void)state;
    struct gofer_handle_stat hs;
    int fd;
    assert_int_equal(gofer_create(client, root, "attrs", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    struct gofer_stat st;
    struct gofer_attr a = {.mask = GOFER_SETATTR_MODE, .mode = 0600};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), 0);
    assert_int_equal(st.mode, LINUX_S_IFREG | 0600);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_SIZE, .size = 4};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), 0);
    assert_int_equal(st.size, 4);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME,
                            .atime = {.sec = 1000, .nsec = 5},
                            .mtime = {.sec = 2000, .nsec = 7}};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), 0);
    assert_int_equal(st.atime.sec, 1000);
    assert_int_equal(st.atime.nsec, 5);
    assert_int_equal(st.mtime.sec, 2000);
    assert_int_equal(st.mtime.nsec, 7);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME,
                            .atime = {.nsec = GOFER_UTIME_NOW},
                            .mtime = {.nsec = GOFER_UTIME_OMIT}};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), 0);
    assert_true(st.atime.sec > 1000);
    assert_int_equal(st.mtime.sec, 2000);
    if (geteuid() == 0) {
        a = (struct gofer_attr){
            .mask = GOFER_SETATTR_UID | GOFER_SETATTR_GID, .uid = 4321, .gid = 8765};
        assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), 0);
        assert_int_equal(st.uid, 4321);
        assert_int_equal(st.gid, 8765);
    }
    /* Invalid: unknown mask bits, bad nsec, size of a directory. */
    a = (struct gofer_attr){.mask = 0x100};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), -LINUX_EINVAL);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_MTIME, .mtime = {.nsec = 1000000000}};
    assert_int_equal(gofer_setattr(client, hs.handle, &a, &st), -LINUX_EINVAL);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_SIZE, .size = 0};
    assert_int_equal(gofer_setattr(client, root, &a, &st), -LINUX_EISDIR);
    /* A symlink has no mode of its own, but its times can change. */
    uint64_t sl = walk1(root, "link_abs", NULL);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_MODE, .mode = 0777};
    assert_int_equal(gofer_setattr(client, sl, &a, &st), -LINUX_EOPNOTSUPP);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_MTIME, .mtime = {.sec = 3000}};
    assert_int_equal(gofer_setattr(client, sl, &a, &st), 0);
    assert_int_equal(st.mtime.sec, 3000);

    struct gofer_statfs_rep sf;
    assert_int_equal(gofer_statfs(client, root, &sf), 0);
    struct statfs hsf;
    assert_int_equal(statfs(tmp, &hsf), 0);
    assert_int_equal(sf.type, (uint64_t)hsf.f_type);
    assert_int_equal(sf.bsize, (uint64_t)hsf.f_bsize);
    assert_int_equal(sf.namelen, 255);
    uint64_t both[] = {hs.handle, sl};
    assert_int_equal(gofer_close(client, both, 2), 0);
}

static void test_readonly_mount(void **state)
{
    (void)state;
    struct gofer_handle_stat hs;
    int fd = -1;
    uint64_t f = walk1(ro_root, "file", NULL);
    uint64_t d = walk1(ro_root, "d", NULL);
    /* Reading is fine. */
    assert_int_equal(gofer_open(client, f, LINUX_O_RDONLY, &fd), 0);
    char buf[32];
    read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, "read only");
    assert_int_equal(gofer_open(client, f, LINUX_O_WRONLY, &fd), -LINUX_EROFS);
    assert_int_equal(gofer_open(client, f, LINUX_O_RDWR, &fd), -LINUX_EROFS);
    assert_int_equal(gofer_open(client, f, LINUX_O_RDONLY | LINUX_O_TRUNC, &fd), -LINUX_EROFS);
    assert_int_equal(gofer_create(client, ro_root, "n", LINUX_O_RDWR, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &hs, &fd),
                     -LINUX_EROFS);
    assert_int_equal(gofer_mkdir(client, ro_root, "n", 0755, GOFER_ID_NONE, GOFER_ID_NONE, &hs),
                     -LINUX_EROFS);
    assert_int_equal(
        gofer_mknod(client, ro_root, "n", LINUX_S_IFIFO | 0644, GOFER_ID_NONE, GOFER_ID_NONE, &hs),
        -LINUX_EROFS);
    assert_int_equal(gofer_symlink(client, ro_root, "n", "t", GOFER_ID_NONE, GOFER_ID_NONE, &hs),
                     -LINUX_EROFS);
    assert_int_equal(gofer_link(client, ro_root, "n", f, &hs), -LINUX_EROFS);
    assert_int_equal(gofer_unlink(client, ro_root, "file", 0), -LINUX_EROFS);
    assert_int_equal(gofer_unlink(client, d, "x", 0), -LINUX_EROFS);
    assert_int_equal(gofer_rename(client, ro_root, "file", ro_root, "g", 0), -LINUX_EROFS);
    /* Across mounts: the read-only side wins, else EXDEV. */
    assert_int_equal(gofer_rename(client, root, "file", ro_root, "g", 0), -LINUX_EROFS);
    struct gofer_attr a = {.mask = GOFER_SETATTR_MODE, .mode = 0777};
    assert_int_equal(gofer_setattr(client, f, &a, NULL), -LINUX_EROFS);
    a = (struct gofer_attr){.mask = GOFER_SETATTR_SIZE, .size = 0};
    assert_int_equal(gofer_setattr(client, f, &a, NULL), -LINUX_EROFS);
    /* Nothing changed on the host. */
    char p[256];
    host_path(p, sizeof(p), "ro/file");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 9);
    assert_int_equal(st.st_mode & 0777, 0644);
    uint64_t both[] = {f, d};
    assert_int_equal(gofer_close(client, both, 2), 0);
}

/* Symlinks are handles, never followed: nothing outside the root. */
static void test_symlinks_not_followed(void **state)
{
    (void)state;
    struct gofer_handle_stat hs[4];
    unsigned walked;
    int err;
    const char *abs_path[] = {"link_abs", "x"};
    assert_int_equal(gofer_walk(client, root, 2, abs_path, hs, &walked, &err), 0);
    assert_int_equal(walked, 1); /* stops right after the symlink, no error */
    assert_int_equal(err, 0);
    assert_int_equal(hs[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
    struct stat passwd;
    if (stat("/etc/passwd", &passwd) == 0)
        assert_int_not_equal(hs[0].stat.ino, passwd.st_ino);
    int fd = -1;
    assert_int_equal(gofer_open(client, hs[0].handle, LINUX_O_RDONLY, &fd), -LINUX_ELOOP);
    assert_int_equal(gofer_getdents(client, hs[0].handle, 0, NULL, 1, &walked), -LINUX_ENOTDIR);
    /* Walking from a symlink handle does not go through it. */
    assert_int_equal(walk_err(hs[0].handle, "passwd"), -LINUX_ENOTDIR);
    close1(hs[0].handle);

    const char *up[] = {"link_up", "outside"};
    assert_int_equal(gofer_walk(client, root, 2, up, hs, &walked, &err), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(hs[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
    assert_int_equal(walk_err(hs[0].handle, "outside"), -LINUX_ENOTDIR);
    assert_int_equal(gofer_open(client, hs[0].handle, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &fd),
                     -LINUX_ELOOP);
    close1(hs[0].handle);
    /* And the file next to the root is not reachable by name. */
    assert_int_equal(walk_err(root, "outside"), -LINUX_ENOENT);
}

static void test_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"..", ".", "", "a/b", "/", "/etc", "dir/"};
    struct gofer_handle_stat hs;
    int fd;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(walk_err(root, bad[i]), -LINUX_EINVAL);
        assert_int_equal(gofer_create(client, root, bad[i], LINUX_O_RDWR, 0644, GOFER_ID_NONE,
                                      GOFER_ID_NONE, &hs, &fd),
                         -LINUX_EINVAL);
        assert_int_equal(gofer_mkdir(client, root, bad[i], 0755, GOFER_ID_NONE, GOFER_ID_NONE, &hs),
                         -LINUX_EINVAL);
        assert_int_equal(gofer_unlink(client, root, bad[i], 0), -LINUX_EINVAL);
        assert_int_equal(gofer_rename(client, root, "file", root, bad[i], 0), -LINUX_EINVAL);
        assert_int_equal(gofer_rename(client, root, bad[i], root, "zz", 0), -LINUX_EINVAL);
        assert_int_equal(
            gofer_symlink(client, root, bad[i], "t", GOFER_ID_NONE, GOFER_ID_NONE, &hs),
            -LINUX_EINVAL);
    }
    /* A valid first name and a bad second one: nothing is walked. */
    struct gofer_handle_stat w[2];
    unsigned walked = 99;
    int err;
    const char *mixed[] = {"dir", ".."};
    assert_int_equal(gofer_walk(client, root, 2, mixed, w, &walked, &err), -LINUX_EINVAL);
    assert_int_equal(walked, 99);
    /* Too long. */
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    assert_int_equal(walk_err(root, longname), -LINUX_ENAMETOOLONG);
    longname[255] = '\0';
    assert_int_equal(walk_err(root, longname), -LINUX_ENOENT);

    /* NUL inside a name (only a raw message can carry it). */
    uint8_t msg[128];
    struct gofer_buf b;
    struct gofer_walk_req wr = {.dir = root, .count = 1};
    gofer_begin(&b, msg, sizeof(msg), GOFER_OP_WALK, 77);
    gofer_put(&b, &wr, sizeof(wr));
    gofer_put_str(&b, "di\0r", 4);
    long n = gofer_end(&b);
    assert_int_equal(send(raw_sock, msg, (size_t)n, 0), n);
    uint8_t rep[GOFER_MSG_MAX];
    ssize_t rn = recv(raw_sock, rep, sizeof(rep), 0);
    struct gofer_msg m;
    assert_int_equal(gofer_decode(rep, (size_t)rn, GOFER_REPLY, &m), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_ERROR);
    assert_int_equal(m.hdr.tag, 77);
    assert_int_equal(m.u.error.error, LINUX_EINVAL);
}

static void test_bad_handles(void **state)
{
    (void)state;
    struct gofer_stat st;
    assert_int_equal(gofer_stat(client, 12345, &st), -LINUX_EBADF);
    assert_int_equal(gofer_stat(client, 0, &st), -LINUX_EBADF);
    assert_int_equal(gofer_stat(client, ~0ull, &st), -LINUX_EBADF);
    /* Right slot, wrong generation. */
    assert_int_equal(gofer_stat(client, root ^ (1ull << 40), &st), -LINUX_EBADF);
    uint64_t f = walk1(root, "file", NULL);
    close1(f);
    assert_int_equal(gofer_stat(client, f, &st), -LINUX_EBADF);
    int fd;
    assert_int_equal(gofer_open(client, f, LINUX_O_RDONLY, &fd), -LINUX_EBADF);
    assert_int_equal(gofer_close(client, &f, 1), -LINUX_EBADF);
    /* A closed handle's slot is reused with a new id. */
    uint64_t g = walk1(root, "file", NULL);
    assert_int_not_equal(g, f);
    assert_int_equal(gofer_stat(client, f, &st), -LINUX_EBADF);
    assert_int_equal(gofer_stat(client, g, &st), 0);
    /* A close list with a bad handle still closes the good ones. */
    uint64_t list[] = {g, 999};
    assert_int_equal(gofer_close(client, list, 2), -LINUX_EBADF);
    assert_int_equal(gofer_stat(client, g, &st), -LINUX_EBADF);
    /* The parent of a closed handle lives on for its child. */
    uint64_t d = walk1(root, "dir", NULL);
    uint64_t sub = walk1(d, "sub", NULL);
    close1(d);
    assert_int_equal(gofer_open(client, sub, LINUX_O_RDONLY, &fd), 0);
    close(fd);
    close1(sub);
}

/* One raw request, one reply: returns the reply's size. */
static ssize_t raw_call(const void *req, size_t len, uint8_t *rep)
{
    assert_int_equal(send(raw_sock, req, len, 0), (ssize_t)len);
    ssize_t n = recv(raw_sock, rep, GOFER_MSG_MAX, 0);
    assert_true(n > 0);
    return n;
}

/* Seeded garbage: every message gets a well-formed reply, the server lives. */
static void test_garbage(void **state)
{
    (void)state;
    static uint8_t msg[GOFER_MSG_MAX + 100];
    static uint8_t rep[GOFER_MSG_MAX];
    srand(42);
    int errors = 0;
    for (int i = 0; i < 5000; i++) {
        size_t len = 1 + (size_t)rand() % 300;
        if (i % 500 == 0)
            len = GOFER_MSG_MAX + 1 + (size_t)rand() % 50; /* oversized */
        for (size_t k = 0; k < len; k++)
            msg[k] = (uint8_t)rand();
        uint32_t tag = 0;
        if (len >= sizeof(struct gofer_hdr) && rand() % 4 != 0) {
            /* A plausible header so the op handlers see the rest. */
            struct gofer_hdr h = {.size = (uint32_t)len,
                                  .op = (uint16_t)(rand() % (GOFER_OP_COUNT + 2)),
                                  .flags = 0,
                                  .tag = (uint32_t)i};
            memcpy(msg, &h, sizeof(h));
        }
        if (len >= sizeof(struct gofer_hdr))
            memcpy(&tag, msg + 8, 4);
        ssize_t n = raw_call(msg, len, rep);
        struct gofer_msg m;
        assert_int_equal(gofer_decode(rep, (size_t)n, GOFER_REPLY, &m), 0);
        assert_int_equal(m.hdr.tag, tag);
        if (m.hdr.op == GOFER_OP_ERROR) {
            errors++;
            assert_true(m.u.error.error > 0 && m.u.error.error < 4096);
        }
    }
    assert_true(errors > 4900);
    /* An empty message is an error too, not the end. */
    ssize_t n = raw_call(msg, 0, rep);
    struct gofer_msg m;
    assert_int_equal(gofer_decode(rep, (size_t)n, GOFER_REPLY, &m), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_ERROR);
    assert_int_equal(m.u.error.error, LINUX_EINVAL);
    /* fds sent to the gofer are dropped. */
    struct gofer_handle_req hr = {.handle = root};
    struct gofer_buf b;
    gofer_begin(&b, msg, sizeof(msg), GOFER_OP_STAT, 5);
    gofer_put(&b, &hr, sizeof(hr));
    long len = gofer_end(&b);
    int fd = open("/dev/null", O_RDONLY);
    struct iovec iov = {msg, (size_t)len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl = {0};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    assert_int_equal(sendmsg(raw_sock, &mh, 0), len);
    close(fd);
    n = recv(raw_sock, rep, sizeof(rep), 0);
    assert_int_equal(gofer_decode(rep, (size_t)n, GOFER_REPLY, &m), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_STAT);
    /* Still serving. */
    struct gofer_stat st;
    assert_int_equal(gofer_stat(client, root, &st), 0);
}

/* The handle table alone: limits, references, ids. */
static void test_handle_table(void **state)
{
    (void)state;
    struct gofer_htable t;
    ht_init(&t, 3);
    struct gofer_file_id id = {.type = S_IFDIR, .ino = 1};
    int32_t a = ht_alloc(&t, dup(0), -1, 0, "root", &id);
    int32_t b = ht_alloc(&t, dup(0), a, 0, "b", &id);
    int32_t c = ht_alloc(&t, dup(0), b, 0, "c", &id);
    assert_true(a >= 0 && b >= 0 && c >= 0);
    int fd = dup(0);
    assert_int_equal(ht_alloc(&t, fd, c, 0, "d", &id), -LINUX_ENFILE);
    close(fd);
    uint64_t ida = ht_id(&t, a), idb = ht_id(&t, b), idc = ht_id(&t, c);
    int32_t slot;
    assert_non_null(ht_lookup(&t, idb, &slot));
    assert_int_equal(slot, b);
    /* Closing a and b keeps them alive for c; closing c frees all three. */
    ht_release(&t, a);
    ht_release(&t, b);
    assert_null(ht_lookup(&t, ida, &slot));
    assert_null(ht_lookup(&t, idb, &slot));
    assert_int_equal(t.live, 3);
    assert_non_null(ht_lookup(&t, idc, &slot));
    ht_release(&t, c);
    assert_int_equal(t.live, 0);
    assert_null(ht_lookup(&t, idc, &slot));
    /* Reuse gets new ids. */
    int32_t e = ht_alloc(&t, dup(0), -1, 0, "e", &id);
    assert_true(e >= 0);
    assert_int_not_equal(ht_id(&t, e), ida);
    assert_int_not_equal(ht_id(&t, e), idb);
    assert_int_not_equal(ht_id(&t, e), idc);
    ht_destroy(&t);

    /* Many: chunks, and a long chain freed without recursion. */
    ht_init(&t, GOFER_HANDLES_MAX);
    int32_t prev = -1;
    for (int i = 0; i < 5000; i++) {
        int32_t s = ht_alloc(&t, dup(0), prev, 0, "x", &id);
        assert_true(s >= 0);
        if (prev >= 0)
            ht_release(&t, prev);
        prev = s;
    }
    assert_int_equal(t.live, 5000);
    ht_release(&t, prev);
    assert_int_equal(t.live, 0);
    ht_destroy(&t);
}

/* The server alone, without a socket: what the fuzzer drives. */
static void test_handle_message(void **state)
{
    (void)state;
    int dirfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct gofer_mount mounts[] = {{dirfd, "root", false}};
    struct gofer_server *s = gofer_server_new(mounts, 1);
    assert_non_null(s);
    static uint8_t rep[GOFER_MSG_MAX];
    uint8_t req[64];
    struct gofer_buf b;
    struct gofer_attach_req a = {.mount = 0};
    gofer_begin(&b, req, sizeof(req), GOFER_OP_ATTACH, 1);
    gofer_put(&b, &a, sizeof(a));
    long len = gofer_end(&b);
    int fd;
    size_t n = gofer_handle_message(s, req, (size_t)len, rep, &fd);
    struct gofer_msg m;
    assert_int_equal(gofer_decode(rep, n, GOFER_REPLY, &m), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_ATTACH);
    assert_int_equal(fd, -1);
    assert_int_equal(gofer_server_handles(s), 1);
    struct gofer_open_req o = {.handle = m.u.attach_rep.handle, .flags = LINUX_O_RDONLY};
    gofer_begin(&b, req, sizeof(req), GOFER_OP_OPEN, 2);
    gofer_put(&b, &o, sizeof(o));
    len = gofer_end(&b);
    n = gofer_handle_message(s, req, (size_t)len, rep, &fd);
    assert_int_equal(gofer_decode(rep, n, GOFER_REPLY, &m), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_OPEN);
    assert_true(fd >= 0);
    close(fd);
    gofer_server_free(s);
    close(dirfd);
}

/* The filter kills a call it does not allow, and allows those it does. */
static void test_seccomp_filter(void **state)
{
    (void)state;
    for (int allowed = 0; allowed < 2; allowed++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            if (gofer_seccomp_install(0) != 0)
                _exit(3);
            if (allowed) {
                int fd = openat(AT_FDCWD, "/", O_PATH | O_NOFOLLOW);
                close(fd);
                syscall(SYS_exit_group, fd >= 0 ? 0 : 4); /* not _exit: sanitizer hooks */
            }
            openat(AT_FDCWD, "/", O_RDONLY); /* no O_NOFOLLOW: killed */
            _exit(5);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (allowed) {
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        } else {
            assert_true(WIFSIGNALED(status));
            assert_int_equal(WTERMSIG(status), SIGSYS);
        }
    }
}

/* A row "| `name` | why |" of the allowlist table: its name, or false. */
static bool syscall_row(const char *line, char *name, size_t size)
{
    if (strncmp(line, "| `", 3) != 0)
        return false;
    const char *start = line + 3;
    size_t n = strspn(start, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || n >= size || strncmp(start + n, "` |", 3) != 0)
        return false;
    memcpy(name, start, n);
    name[n] = '\0';
    return true;
}

/* docs/gofer.md lists exactly the syscalls the filter allows, counted. */
static void test_seccomp_doc(void **state)
{
    (void)state;
    FILE *f = fopen(MOAT_SOURCE_ROOT "/docs/gofer.md", "r");
    assert_non_null(f);
    char line[512];
    size_t documented = 0, count = 0, stated = 0;
    while (fgets(line, sizeof(line), f)) {
        char name[64];
        unsigned long n;
        if (syscall_row(line, name, sizeof(name))) {
            bool found = false;
            for (const char *const *p = gofer_seccomp_syscalls; *p; p++)
                found |= strcmp(*p, name) == 0;
            if (!found)
                fail_msg("docs/gofer.md lists `%s`, which the filter does not allow", name);
            documented++;
        }
        const char *claim = strstr(line, "The filter allows **");
        if (claim && sscanf(claim, "The filter allows **%lu** system calls", &n) == 1)
            stated = n;
    }
    fclose(f);
    for (const char *const *p = gofer_seccomp_syscalls; *p; p++)
        count++;
    assert_int_equal(documented, count);
    assert_int_equal(stated, count);
}

/* gofer_serve returns 0 when the client closes its socket. */
static void test_serve_ends_on_close(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        int dirfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct gofer_mount mounts[] = {{dirfd, "root", false}};
        _exit(gofer_serve(sv[1], mounts, 1) == 0 ? 0 : 1);
    }
    close(sv[1]);
    struct gofer_client *c = gofer_client_new(sv[0]);
    struct gofer_handle_stat hs;
    assert_int_equal(gofer_attach(c, 0, &hs, NULL), 0);
    gofer_client_free(c);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Must be last: a dead gofer makes every call -EIO. */
static void test_dead_gofer(void **state)
{
    (void)state;
    kill(server_pid, SIGKILL);
    struct gofer_stat st;
    assert_int_equal(gofer_stat(client, root, &st), -LINUX_EIO);
    assert_int_equal(gofer_stat(client, root, &st), -LINUX_EIO);
    int fd;
    assert_int_equal(gofer_open(client, root, LINUX_O_RDONLY, &fd), -LINUX_EIO);
}

/* Open fds of this process, counted in /proc/self/fd. */
static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A broken peer that donates an fd with an empty reply: the client must
 * treat the gofer as dead and must not keep the fd. */
static void test_empty_reply_with_fd(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    struct gofer_client *c = gofer_client_new(sv[0]);
    assert_non_null(c);
    int donated = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(donated >= 0);
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct msghdr mh = {.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &donated, sizeof(int));
    assert_int_equal(sendmsg(sv[1], &mh, 0), 0);
    close(donated);

    int before = count_open_fds();
    struct gofer_stat st;
    assert_int_equal(gofer_stat(c, 1, &st), -LINUX_EIO);
    assert_int_equal(count_open_fds(), before);
    gofer_client_free(c);
    close(sv[1]);
}

/* ---- gofer_start (root) ---- */

static char stmp[64];

static void sput(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", stmp, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void spath(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", stmp, rel);
}

static int start_setup(void **state)
{
    (void)state;
    snprintf(stmp, sizeof(stmp), "/tmp/gofer-start-XXXXXX");
    assert_non_null(mkdtemp(stmp));
    char p[256];
    static const char *const dirs[] = {"root", "root/usr", "rw", "ro"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        spath(p, sizeof(p), dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    sput("root/hello", "hi");
    sput("ro/data", "ro data");
    sput("single", "one file");
    spath(p, sizeof(p), "root/esc");
    assert_int_equal(symlink("/etc/passwd", p), 0);
    return 0;
}

static int start_teardown(void **state)
{
    (void)state;
    rm_tree(stmp);
    return 0;
}

struct started {
    pid_t pid;
    struct gofer_client *c;
};

static struct started start(void)
{
    char root_path[256], rw[256], ro[256], single[256];
    spath(root_path, sizeof(root_path), "root");
    spath(rw, sizeof(rw), "rw");
    spath(ro, sizeof(ro), "ro");
    spath(single, sizeof(single), "single");
    struct gofer_bind binds[] = {{rw, false}, {ro, true}, {single, false}};
    struct gofer_config cfg = {
        .root = root_path, .root_readonly = false, .binds = binds, .nbinds = 3};
    struct started s;
    int sock;
    char err[256] = "";
    int r = gofer_start(&cfg, &s.pid, &sock, err, sizeof(err));
    if (r != 0)
        fail_msg("gofer_start: %s", err);
    s.c = gofer_client_new(sock);
    assert_non_null(s.c);
    return s;
}

static int stop(struct started s)
{
    gofer_client_free(s.c);
    int status;
    assert_int_equal(waitpid(s.pid, &status, 0), s.pid);
    return status;
}

/* The fds a process holds. */
static int count_fds(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(p);
    assert_non_null(d);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        count += de->d_name[0] != '.';
    closedir(d);
    return count;
}

static void test_start_serves(void **state)
{
    (void)state;
    struct started s = start();
    /* Only the socket and the directory of the mount points stay open. */
    assert_int_equal(count_fds(s.pid), 2);
    struct gofer_handle_stat r0, r1, r2, r3;
    uint32_t flags;
    assert_int_equal(gofer_attach(s.c, 0, &r0, &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(gofer_attach(s.c, 1, &r1, &flags), 0);
    assert_int_equal(gofer_attach(s.c, 2, &r2, &flags), 0);
    assert_int_equal(flags, GOFER_MOUNT_RDONLY);
    assert_int_equal(gofer_attach(s.c, 3, &r3, &flags), 0);
    assert_int_equal(r3.stat.mode & LINUX_S_IFMT, LINUX_S_IFREG);
    assert_int_equal(gofer_attach(s.c, 4, &r3, &flags), -LINUX_EINVAL);

    /* The root holds what the host dir holds, and nothing of the host's. */
    struct gofer_dirent_entry ents[16];
    unsigned n;
    assert_int_equal(gofer_getdents(s.c, r0.handle, 0, ents, 16, &n), 0);
    assert_int_equal(n, 3); /* hello, usr, esc */
    struct gofer_handle_stat hs[2];
    unsigned walked;
    int err;
    const char *etc[] = {"etc"};
    assert_int_equal(gofer_walk(s.c, r0.handle, 1, etc, hs, &walked, &err), 0);
    assert_int_equal(err, -LINUX_ENOENT);
    const char *esc[] = {"esc", "passwd"};
    assert_int_equal(gofer_walk(s.c, r0.handle, 2, esc, hs, &walked, &err), 0);
    assert_int_equal(walked, 1);
    int fd;
    assert_int_equal(gofer_open(s.c, hs[0].handle, LINUX_O_RDONLY, &fd), -LINUX_ELOOP);
    const char *up[] = {".."};
    assert_int_equal(gofer_walk(s.c, r0.handle, 1, up, hs, &walked, &err), -LINUX_EINVAL);

    /* Writes to the rw bind reach the host. */
    struct gofer_handle_stat nh;
    assert_int_equal(gofer_create(s.c, r1.handle, "out", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &nh, &fd),
                     0);
    assert_int_equal(write(fd, "written", 7), 7);
    close(fd);
    char p[256], buf[64];
    spath(p, sizeof(p), "rw/out");
    int hfd = open(p, O_RDONLY);
    assert_true(hfd >= 0);
    read_all(hfd, buf, sizeof(buf));
    close(hfd);
    assert_string_equal(buf, "written");

    /* The ro bind refuses, in the gofer and in its mount. */
    assert_int_equal(gofer_create(s.c, r2.handle, "out", LINUX_O_WRONLY, 0644, GOFER_ID_NONE,
                                  GOFER_ID_NONE, &nh, &fd),
                     -LINUX_EROFS);
    snprintf(p, sizeof(p), "/proc/%d/root/b1/out", (int)s.pid);
    errno = 0;
    assert_int_equal(open(p, O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, EROFS);

    /* The file bind reads through. */
    assert_int_equal(gofer_open(s.c, r3.handle, LINUX_O_RDONLY, &fd), 0);
    read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, "one file");

    /* The gofer's whole world: /root, /b0, /b1, /b2 — no /proc, no /etc. */
    snprintf(p, sizeof(p), "/proc/%d/root", (int)s.pid);
    DIR *d = opendir(p);
    assert_non_null(d);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        count++;
        assert_true(strcmp(de->d_name, "root") == 0 || strcmp(de->d_name, "b0") == 0 ||
                    strcmp(de->d_name, "b1") == 0 || strcmp(de->d_name, "b2") == 0);
    }
    closedir(d);
    assert_int_equal(count, 4);
    /* Seccomp and no_new_privs are on. */
    snprintf(p, sizeof(p), "/proc/%d/status", (int)s.pid);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[256];
    bool seccomp = false, nnp = false;
    while (fgets(line, sizeof(line), f)) {
        seccomp |= strcmp(line, "Seccomp:\t2\n") == 0;
        nnp |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
    }
    fclose(f);
    assert_true(seccomp);
    assert_true(nnp);
    /* Closing the socket ends the gofer cleanly. */
    int status = stop(s);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A host root with /proc under it: the gofer drops it. */
static void test_start_no_proc(void **state)
{
    (void)state;
    struct gofer_config cfg = {.root = "/", .root_readonly = true};
    pid_t pid;
    int sock;
    char err[256];
    if (gofer_start(&cfg, &pid, &sock, err, sizeof(err)) != 0)
        fail_msg("gofer_start: %s", err);
    struct gofer_client *c = gofer_client_new(sock);
    struct gofer_handle_stat r, hs[2];
    assert_int_equal(gofer_attach(c, 0, &r, NULL), 0);
    unsigned walked;
    int e;
    /* /proc is an empty directory now; its pid entries are not there. */
    const char *self[] = {"proc", "self"};
    assert_int_equal(gofer_walk(c, r.handle, 2, self, hs, &walked, &e), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(e, -LINUX_ENOENT);
    const char *one[] = {"proc", "1"};
    assert_int_equal(gofer_walk(c, r.handle, 2, one, hs, &walked, &e), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(e, -LINUX_ENOENT);
    /* But /etc/passwd is the host's (the root is "/"), read-only. */
    const char *passwd[] = {"etc", "passwd"};
    assert_int_equal(gofer_walk(c, r.handle, 2, passwd, hs, &walked, &e), 0);
    assert_int_equal(walked, 2);
    int fd;
    assert_int_equal(gofer_open(c, hs[1].handle, LINUX_O_RDWR, &fd), -LINUX_EROFS);
    gofer_client_free(c);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
}

/* The server's second wall: a pseudo filesystem still mounted under a
 * root is refused (gofer_serve alone, proc mounted in a private mount
 * namespace). */
static void test_pseudo_fs_refused(void **state)
{
    (void)state;
    char pp[256];
    spath(pp, sizeof(pp), "root/pp");
    assert_int_equal(mkdir(pp, 0755), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("proc", pp, "proc", 0, NULL) != 0)
            _exit(2);
        int dirfd = open(stmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct gofer_mount mounts[] = {{dirfd, "root", false}};
        _exit(gofer_serve(sv[1], mounts, 1) == 0 ? 0 : 1);
    }
    close(sv[1]);
    struct gofer_client *c = gofer_client_new(sv[0]);
    struct gofer_handle_stat r, hs[2];
    assert_int_equal(gofer_attach(c, 0, &r, NULL), 0);
    unsigned walked;
    int e;
    const char *self[] = {"pp", "self"};
    assert_int_equal(gofer_walk(c, r.handle, 2, self, hs, &walked, &e), 0);
    assert_int_equal(walked, 0);
    assert_int_equal(e, -LINUX_EACCES);
    gofer_client_free(c);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(rmdir(pp), 0);
}

static void test_start_errors(void **state)
{
    (void)state;
    char err[512];
    pid_t pid;
    int sock;
    struct gofer_config cfg = {.root = "/nonexistent/root"};
    assert_int_equal(gofer_start(&cfg, &pid, &sock, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "sandbox root `/nonexistent/root`"));
    assert_non_null(strstr(err, strerror(ENOENT)));

    char root_path[256];
    spath(root_path, sizeof(root_path), "root");
    struct gofer_bind binds[] = {{"/nonexistent/bind", false}};
    cfg = (struct gofer_config){.root = root_path, .binds = binds, .nbinds = 1};
    assert_int_equal(gofer_start(&cfg, &pid, &sock, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bind source `/nonexistent/bind`"));
    assert_non_null(strstr(err, strerror(ENOENT)));

    /* A root that is a file. */
    char single[256];
    spath(single, sizeof(single), "single");
    cfg = (struct gofer_config){.root = single};
    assert_int_equal(gofer_start(&cfg, &pid, &sock, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    /* No child is left behind. */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* The gofer dies with its parent, even while its socket is still open
 * elsewhere (PR_SET_PDEATHSIG). */
static void test_start_parent_death(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    pid_t mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        /* The parent: start a gofer, hand its pid and socket up, die. */
        close(sv[0]);
        char root_path[256];
        spath(root_path, sizeof(root_path), "root");
        struct gofer_config cfg = {.root = root_path};
        pid_t pid;
        int sock;
        char err[256];
        if (gofer_start(&cfg, &pid, &sock, err, sizeof(err)) != 0)
            _exit(1);
        struct iovec iov = {&pid, sizeof(pid)};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl = {0};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.buf,
                            .msg_controllen = sizeof(ctl.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &sock, sizeof(int));
        _exit(sendmsg(sv[1], &mh, 0) < 0 ? 2 : 0);
    }
    close(sv[1]);
    pid_t gofer;
    int sock = -1;
    struct iovec iov = {&gofer, sizeof(gofer)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    assert_int_equal(recvmsg(sv[0], &mh, 0), sizeof(gofer));
    memcpy(&sock, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
    close(sv[0]);
    int status;
    assert_int_equal(waitpid(mid, &status, 0), mid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* We hold the socket; the gofer must still die (and is ours to reap). */
    assert_int_equal(waitpid(gofer, &status, 0), gofer);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    close(sock);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach_walk_stat),      cmocka_unit_test(test_open_read),
        cmocka_unit_test(test_create_mkdir_mknod),    cmocka_unit_test(test_symlink_link_readlink),
        cmocka_unit_test(test_unlink_rename),         cmocka_unit_test(test_getdents),
        cmocka_unit_test(test_setattr_statfs),        cmocka_unit_test(test_readonly_mount),
        cmocka_unit_test(test_symlinks_not_followed), cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_handles),           cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_handle_table),          cmocka_unit_test(test_handle_message),
        cmocka_unit_test(test_seccomp_filter),        cmocka_unit_test(test_seccomp_doc),
        cmocka_unit_test(test_serve_ends_on_close),   cmocka_unit_test(test_dead_gofer),
        cmocka_unit_test(test_empty_reply_with_fd),
    };
    if (argc > 1 && strcmp(argv[1], "--start") == 0) {
        if (geteuid() != 0) {
            fprintf(stderr, "gofer_start tests need root: skipped\n");
            return 77;
        }
        const struct CMUnitTest start_tests[] = {
            cmocka_unit_test(test_start_serves),       cmocka_unit_test(test_start_no_proc),
            cmocka_unit_test(test_pseudo_fs_refused),  cmocka_unit_test(test_start_errors),
            cmocka_unit_test(test_start_parent_death),
        };
        int failed = cmocka_run_group_tests(start_tests, start_setup, start_teardown);
        /* Every server test again, against a gofer_start gofer (seccomp on). */
        use_start = true;
        return failed + cmocka_run_group_tests(tests, setup, teardown);
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
