/* Unit tests for kernfs and the files of procfs, sysfs and devfs: lookups,
 * listings, links and the formats of the generated files, through the
 * inode and file ops over the fakes of test_fs_fakes.c (pid 1 is the only
 * task). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "sentry/fs/dev/devfs.h"
#include "sentry/fs/dev/devices.h"
#include "sentry/fs/kernfs/kernfs.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/special.h"
#include "sentry/fs/sys/sysfs.h"
#include "tests/unit/test_fs_fakes.h"

static struct superblock *proc_sb, *sys_sb, *dev_sb;
static char buf[65536];

static int setup(void **state)
{
    (void)state;
    fake_fs_setup();
    assert_int_equal(procfs_new_sb(&proc_sb), 0);
    assert_int_equal(sysfs_new_sb(&sys_sb), 0);
    assert_int_equal(devfs_new_sb(&dev_sb), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_put(proc_sb);
    sb_put(sys_sb);
    sb_put(dev_sb);
    fake_fs_teardown();
    return 0;
}

/* Reads path of sb into buf; returns the length or -errno. */
static long cat(struct superblock *sb, const char *path)
{
    struct file *f;
    int err = fake_open_path(sb, path, LINUX_O_RDONLY, &f);
    if (err)
        return err;
    long n = fake_read_all(f, buf, sizeof(buf));
    file_put(f);
    return n;
}

static long put(struct superblock *sb, const char *path, const char *text)
{
    struct file *f;
    int err = fake_open_path(sb, path, LINUX_O_WRONLY, &f);
    if (err)
        return err;
    long n = fake_write_str(f, text);
    file_put(f);
    return n;
}

static long link_of(struct superblock *sb, const char *path)
{
    struct inode *ino;
    int err = fake_lookup_path(sb, path, &ino);
    if (err)
        return err;
    long n = ino->ops->readlink(ino, buf, sizeof(buf) - 1);
    if (n >= 0)
        buf[n] = '\0';
    inode_put(ino);
    return n;
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
    int r = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (r != 0)
        fail_msg("`%s` does not match /%s/", text, pattern);
}

/* Lists a directory: names joined by spaces. */
struct listing {
    char text[4096];
};

static bool list_emit(void *ctx, const struct vfs_dirent *d)
{
    struct listing *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof(l->text) - n, "%s%s", n ? " " : "", d->name);
    return true;
}

static void list(struct superblock *sb, const char *path, struct listing *out)
{
    struct file *f;
    assert_int_equal(fake_open_path(sb, path, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &f), 0);
    out->text[0] = '\0';
    assert_int_equal(f->ops->iterate(f, list_emit, out), 0);
    file_put(f);
}

/* --- /proc --- */

static void test_proc_links(void **state)
{
    (void)state;
    assert_int_equal(link_of(proc_sb, "self"), 1);
    assert_string_equal(buf, "1");
    assert_int_equal(link_of(proc_sb, "thread-self"), 8);
    assert_string_equal(buf, "1/task/1");
    assert_int_equal(link_of(proc_sb, "mounts"), 11);
    assert_string_equal(buf, "self/mounts");
    struct inode *ino;
    assert_int_equal(fake_lookup_path(proc_sb, "2", &ino), -LINUX_ENOENT);
    assert_int_equal(fake_lookup_path(proc_sb, "01", &ino), -LINUX_ENOENT);
    assert_int_equal(fake_lookup_path(proc_sb, "1/nonesuch", &ino), -LINUX_ENOENT);
    assert_int_equal(fake_lookup_path(proc_sb, "1/task/1/status", &ino), 0);
    inode_put(ino);
}

static void test_proc_listing(void **state)
{
    (void)state;
    struct listing l;
    list(proc_sb, "", &l);
    assert_string_equal(l.text, ". .. cmdline cpuinfo filesystems loadavg meminfo mounts self "
                                "stat swaps sys thread-self uptime version 1");
    list(proc_sb, "1/task", &l);
    assert_string_equal(l.text, ". .. 1");
    list(proc_sb, "sys", &l);
    assert_string_equal(l.text, ". .. fs kernel net vm");
}

/* A listing that stops when the reader's buffer is full resumes where it
 * stopped. */
struct limited {
    int room;
    struct listing l;
};

static bool limited_emit(void *ctx, const struct vfs_dirent *d)
{
    struct limited *lim = ctx;
    if (lim->room-- <= 0)
        return false;
    return list_emit(&lim->l, d);
}

static void test_proc_listing_resume(void **state)
{
    (void)state;
    struct file *f;
    assert_int_equal(fake_open_path(proc_sb, "1", LINUX_O_RDONLY, &f), 0);
    struct limited lim = {.room = 5};
    assert_int_equal(f->ops->iterate(f, limited_emit, &lim), 0);
    assert_string_equal(lim.l.text, ". .. auxv cgroup cmdline");
    lim.room = 1000;
    lim.l.text[0] = '\0';
    assert_int_equal(f->ops->iterate(f, limited_emit, &lim), 0);
    assert_string_equal(lim.l.text, "comm cwd environ exe fd fdinfo gid_map limits maps "
                                    "mountinfo mounts oom_score_adj root stat statm status "
                                    "task uid_map");
    file_put(f);
}

static void test_proc_status(void **state)
{
    (void)state;
    assert_true(cat(proc_sb, "1/status") > 0);
    assert_matches(buf, "^Name:\tinit$");
    assert_matches(buf, "^State:\tR \\(running\\)$");
    assert_matches(buf, "^Tgid:\t1$");
    assert_matches(buf, "^Pid:\t1$");
    assert_matches(buf, "^PPid:\t0$");
    assert_matches(buf, "^Uid:\t0\t0\t0\t0$");
    assert_matches(buf, "^Threads:\t1$");
    assert_matches(buf, "^SigBlk:\t0000000000000000$");
    assert_matches(buf, "^CapEff:\t000001ffffffffff$");
    assert_matches(buf, "^Cpus_allowed:\t3$");
    assert_matches(buf, "^Cpus_allowed_list:\t0-1$");
    assert_true(cat(proc_sb, "1/task/1/status") > 0);
    assert_matches(buf, "^Pid:\t1$");
}

static void test_proc_stat(void **state)
{
    (void)state;
    assert_true(cat(proc_sb, "1/stat") > 0);
    assert_matches(buf, "^1 \\(init\\) R 0 1 1 0 -1 4194304 ");
    int fields = 0;
    for (char *p = buf; *p; p++)
        fields += *p == ' ';
    assert_int_equal(fields + 1, 52);
    assert_true(buf[strlen(buf) - 1] == '\n');
    assert_true(cat(proc_sb, "1/statm") > 0);
    assert_string_equal(buf, "0 0 0 0 0 0 0\n");
}

static void test_proc_limits(void **state)
{
    (void)state;
    assert_true(cat(proc_sb, "1/limits") > 0);
    char *line2 = strchr(buf, '\n') + 1;
    assert_memory_equal(buf,
                        "Limit                     Soft Limit           Hard Limit           "
                        "Units     \n",
                        78);
    assert_memory_equal(line2,
                        "Max cpu time              unlimited            unlimited        "
                        "    seconds   \n",
                        78);
    assert_matches(buf, "^Max open files            1024                 1048576              "
                        "files     $");
    assert_matches(buf, "^Max nice priority         unlimited            unlimited            $");
}

static void test_proc_comm(void **state)
{
    (void)state;
    task_set_current(&fake_task);
    assert_int_equal(put(proc_sb, "1/comm", "a-very-long-process-name\n"), 25);
    assert_string_equal(fake_task.comm, "a-very-long-pro");
    assert_int_equal(cat(proc_sb, "1/comm"), 16);
    assert_string_equal(buf, "a-very-long-pro\n");
    task_set_current(NULL);
}

static void test_proc_fd(void **state)
{
    (void)state;
    struct file *r, *w;
    assert_int_equal(pipe_create(&fake_task, 0, &r, &w), 0);
    assert_int_equal(fdtable_install(fake_task.fds, r, 3, LINUX_FD_CLOEXEC, 1024), 3);
    assert_int_equal(fdtable_install(fake_task.fds, w, 4, 0, 1024), 4);
    char want[64];
    int n = snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)r->inode->attr.ino);
    assert_int_equal(link_of(proc_sb, "1/fd/3"), n);
    assert_string_equal(buf, want);
    assert_int_equal(link_of(proc_sb, "1/fd/5"), -LINUX_ENOENT);
    struct inode *ino;
    assert_int_equal(fake_lookup_path(proc_sb, "1/fd/4", &ino), 0);
    assert_int_equal(ino->attr.mode, LINUX_S_IFLNK | 0300); /* -wx: write end */
    assert_non_null(ino->ops->get_link_path);               /* a magic link */
    inode_put(ino);
    assert_int_equal(fake_lookup_path(proc_sb, "self", &ino), 0);
    assert_null(ino->ops->get_link_path); /* a plain one */
    inode_put(ino);
    /* Following fd/3 leads to the pipe's own inode; opening that path
     * reopens the pipe (here for writing: a second writer). */
    assert_int_equal(fake_lookup_path(proc_sb, "1/fd/3", &ino), 0);
    struct mount *mnt;
    struct dentry *d;
    assert_int_equal(ino->ops->get_link_path(ino, &fake_task, &mnt, &d), 0);
    assert_ptr_equal(d->inode, r->inode);
    struct file *again = file_new(NULL, LINUX_O_WRONLY | LINUX_O_NONBLOCK, NULL);
    again->inode = d->inode;
    inode_get(d->inode);
    assert_int_equal(d->inode->ops->open(d->inode, again), 0);
    assert_true(pipe_is_file(again));
    assert_int_equal(again->ops->write(again, &(struct iovec){"hi", 2}, 1, NULL), 2);
    file_put(again);
    struct path lp = {mnt, d};
    path_put(&lp);
    inode_put(ino);
    struct listing l;
    list(proc_sb, "1/fd", &l);
    assert_string_equal(l.text, ". .. 3 4");
    assert_true(cat(proc_sb, "1/fdinfo/3") > 0);
    snprintf(want, sizeof(want), "pos:\t0\nflags:\t02000000\nmnt_id:\t0\nino:\t%lu\n",
             (unsigned long)r->inode->attr.ino);
    assert_string_equal(buf, want);
    /* Closed: the cached entry answers ENOENT. */
    assert_int_equal(fake_lookup_path(proc_sb, "1/fd/4", &ino), 0);
    assert_int_equal(fdtable_close(fake_task.fds, 4), 0);
    assert_int_equal(ino->ops->getattr(ino), -LINUX_ENOENT);
    inode_put(ino);
    file_put(r);
    file_put(w);
}

static void test_proc_system_files(void **state)
{
    (void)state;
    assert_true(cat(proc_sb, "uptime") > 0);
    assert_matches(buf, "^[0-9]+\\.[0-9]{2} [0-9]+\\.[0-9]{2}\n$");
    assert_true(cat(proc_sb, "loadavg") > 0);
    assert_matches(buf, "^0\\.00 0\\.00 0\\.00 1/1 1\n$");
    assert_true(cat(proc_sb, "version") > 0);
    assert_string_equal(buf, "Linux version 6.1.0 (moat@moat) (moat sentry) #1 SMP moat\n");
    assert_true(cat(proc_sb, "meminfo") > 0);
    assert_matches(buf, "^MemTotal: +[0-9]+ kB$");
    assert_matches(buf, "^HugePages_Total:       0$");
    assert_memory_equal(buf, "MemTotal:       ", 16);
    assert_true(cat(proc_sb, "stat") > 0);
    assert_matches(buf, "^cpu  0 0 0 [0-9]+ 0 0 0 0 0 0$");
    assert_matches(buf, "^cpu1 ");
    assert_matches(buf, "^btime [0-9]+$");
    assert_true(cat(proc_sb, "cpuinfo") > 0);
    assert_matches(buf, "^processor\t: 0$");
    assert_matches(buf, "^processor\t: 1$");
    assert_matches(buf, "^flags\t\t: fpu .*sse2");
    fs_special_register();
    assert_true(cat(proc_sb, "filesystems") > 0);
    assert_string_equal(buf, "nodev\tproc\nnodev\tsysfs\nnodev\tdevtmpfs\nnodev\tpipefs\n");
}

static void test_proc_sys(void **state)
{
    (void)state;
    assert_int_equal(cat(proc_sb, "sys/fs/pipe-max-size"), 8);
    assert_string_equal(buf, "1048576\n");
    assert_int_equal(put(proc_sb, "sys/fs/pipe-max-size", "5000\n"), 5);
    assert_int_equal(cat(proc_sb, "sys/fs/pipe-max-size"), 5);
    assert_string_equal(buf, "8192\n");
    assert_int_equal(put(proc_sb, "sys/fs/pipe-max-size", "lots"), -LINUX_EINVAL);
    assert_int_equal(put(proc_sb, "sys/fs/pipe-max-size", "1048576"), 7);
    assert_int_equal(cat(proc_sb, "sys/kernel/hostname"), 5);
    assert_string_equal(buf, "moat\n");
    assert_int_equal(put(proc_sb, "sys/kernel/hostname", "box\n"), 4);
    assert_string_equal(fake_kernel.uts.nodename, "box");
    assert_true(cat(proc_sb, "sys/kernel/osrelease") > 0);
    assert_string_equal(buf, "6.1.0\n");
    assert_true(cat(proc_sb, "sys/kernel/ostype") > 0);
    assert_string_equal(buf, "Linux\n");
    assert_true(cat(proc_sb, "sys/vm/overcommit_memory") > 0);
    assert_string_equal(buf, "0\n");
    assert_true(cat(proc_sb, "sys/kernel/random/boot_id") > 0);
    assert_matches(buf, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$");
    char first[64];
    strcpy(first, buf);
    cat(proc_sb, "sys/kernel/random/boot_id");
    assert_string_equal(buf, first);
    assert_int_equal(put(proc_sb, "sys/kernel/osrelease", "7.0"), -LINUX_EINVAL);
    /* O_TRUNC opens truncate to no effect; chmod is EPERM (devfs allows it). */
    struct inode *ino;
    assert_int_equal(fake_lookup_path(proc_sb, "sys/fs/pipe-max-size", &ino), 0);
    struct vfs_setattr sa = {.valid = VFS_SET_SIZE | VFS_SET_MTIME, .size = 0};
    assert_int_equal(ino->ops->setattr(ino, &sa), 0);
    sa = (struct vfs_setattr){.valid = VFS_SET_MODE, .mode = 0600};
    assert_int_equal(ino->ops->setattr(ino, &sa), -LINUX_EPERM);
    inode_put(ino);
    assert_int_equal(fake_lookup_path(dev_sb, "null", &ino), 0);
    assert_int_equal(ino->ops->setattr(ino, &sa), 0);
    assert_int_equal(ino->attr.mode, LINUX_S_IFCHR | 0600);
    inode_put(ino);
}

/* seq_file's rule: a read at offset 0 generates the contents again. */
static void test_proc_regenerate(void **state)
{
    (void)state;
    struct file *f;
    assert_int_equal(fake_open_path(proc_sb, "1/comm", LINUX_O_RDONLY, &f), 0);
    strcpy(fake_task.comm, "changed");
    char small[4];
    struct iovec iov = {small, 4};
    int64_t pos = 0;
    assert_int_equal(f->ops->read(f, &iov, 1, &pos), 4); /* as generated at open */
    assert_memory_equal(small, "init", 4);
    assert_int_equal(f->ops->read(f, &iov, 1, &pos), 1);
    assert_int_equal(f->ops->read(f, &iov, 1, &pos), 0);
    pos = 0;
    assert_int_equal(f->ops->read(f, &iov, 1, &pos), 4);
    assert_memory_equal(small, "chan", 4);
    assert_int_equal(f->ops->seek(f, 0, LINUX_SEEK_END), -LINUX_EINVAL);
    file_put(f);
}

/* --- /sys --- */

static void test_sysfs(void **state)
{
    (void)state;
    assert_int_equal(cat(sys_sb, "devices/system/cpu/online"), 4);
    assert_string_equal(buf, "0-1\n");
    fake_kernel.cpus[0] = 0x1d; /* 0, 2-4 */
    assert_int_equal(cat(sys_sb, "devices/system/cpu/possible"), 6);
    assert_string_equal(buf, "0,2-4\n");
    struct listing l;
    list(sys_sb, "devices/system/cpu", &l);
    assert_string_equal(l.text, ". .. kernel_max offline online possible present cpu0 cpu2 "
                                "cpu3 cpu4");
    struct inode *ino;
    assert_int_equal(fake_lookup_path(sys_sb, "devices/system/cpu/cpu1", &ino), -LINUX_ENOENT);
    assert_int_equal(fake_lookup_path(sys_sb, "devices/system/cpu/cpu02", &ino), -LINUX_ENOENT);
    assert_int_equal(fake_lookup_path(sys_sb, "devices/system/cpu/present", &ino), 0);
    assert_int_equal(ino->attr.size, 4096);
    assert_int_equal(ino->attr.mode, LINUX_S_IFREG | 0444);
    inode_put(ino);
    fake_kernel.cpus[0] = 0x3;
}

/* --- /dev --- */

static void test_devfs(void **state)
{
    (void)state;
    struct listing l;
    list(dev_sb, "", &l);
    assert_string_equal(l.text, ". .. fd full null pts random shm stderr stdin stdout tty "
                                "urandom zero");
    struct inode *ino;
    assert_int_equal(fake_lookup_path(dev_sb, "null", &ino), 0);
    assert_int_equal(ino->attr.mode, LINUX_S_IFCHR | 0666);
    assert_int_equal(ino->attr.rdev, 0x103);
    inode_put(ino);
    assert_int_equal(fake_lookup_path(dev_sb, "tty", &ino), 0);
    assert_int_equal(ino->attr.rdev, 0x500);
    inode_put(ino);
    assert_int_equal(link_of(dev_sb, "fd"), 13);
    assert_string_equal(buf, "/proc/self/fd");
    assert_int_equal(fake_lookup_path(dev_sb, "stdin", &ino), 0);
    assert_int_equal(ino->attr.size, 15); /* devtmpfs: the target's length */
    inode_put(ino);

    assert_int_equal(cat(dev_sb, "null"), 0);
    assert_int_equal(put(dev_sb, "null", "discarded"), 9);
    memset(buf, 'x', 100);
    struct file *f;
    assert_int_equal(fake_open_path(dev_sb, "zero", LINUX_O_RDONLY, &f), 0);
    struct iovec iov = {buf, 100};
    assert_int_equal(f->ops->read(f, &iov, 1, NULL), 100);
    assert_memory_equal(buf, (char[100]){0}, 100);
    file_put(f);
    assert_int_equal(put(dev_sb, "full", "x"), -LINUX_ENOSPC);
    assert_int_equal(fake_open_path(dev_sb, "urandom", LINUX_O_RDONLY, &f), 0);
    memset(buf, 0, 64);
    iov = (struct iovec){buf, 64};
    assert_int_equal(f->ops->read(f, &iov, 1, NULL), 64);
    assert_memory_not_equal(buf, (char[64]){0}, 64);
    file_put(f);
    assert_int_equal(fake_open_path(dev_sb, "tty", LINUX_O_RDWR, &f), -LINUX_ENXIO);

    /* Device numbers without a driver. */
    struct file *g = file_new(NULL, LINUX_O_RDONLY, NULL);
    assert_int_equal(chrdev_open_rdev(CHRDEV_MKDEV(1, 9), g), 0);
    assert_int_equal(chrdev_open_rdev(CHRDEV_MKDEV(4, 1), g), -LINUX_ENXIO);
    g->ops = NULL;
    file_put(g);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_proc_links),  T(test_proc_listing),    T(test_proc_listing_resume),
        T(test_proc_status), T(test_proc_stat),       T(test_proc_limits),
        T(test_proc_comm),   T(test_proc_fd),         T(test_proc_system_files),
        T(test_proc_sys),    T(test_proc_regenerate), T(test_sysfs),
        T(test_devfs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
