/* File attributes: umask and creation modes, chmod/fchmod/fchmodat, chown
 * as root (and its clearing of set-id bits), truncate/ftruncate, utimensat
 * with UTIME_NOW and UTIME_OMIT, and statx against stat. */
#include "fs_util.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static void test_umask(void)
{
    struct stat st;
    umask(027);
    CHECK_RET(umask(027), 027);
    int fd = creat("c", 0666);
    CHECK(fd >= 0, "creat: %s", strerror(errno));
    close(fd);
    CHECK(stat_ok("c", &st) && (st.st_mode & 07777) == 0640, "umask 027 + creat 0666: %o",
          st.st_mode & 07777);
    CHECK_RET(mkdir("d", 0777), 0);
    CHECK(stat_ok("d", &st) && (st.st_mode & 07777) == 0750, "umask 027 + mkdir 0777: %o",
          st.st_mode & 07777);
    CHECK_RET(mkfifo("p", 0666), 0);
    CHECK(stat_ok("p", &st) && (st.st_mode & 07777) == 0640, "umask 027 + mkfifo: %o",
          st.st_mode & 07777);
    /* Set-id and sticky bits pass through the umask. */
    CHECK_RET(mkdir("sticky", 01777), 0);
    CHECK(stat_ok("sticky", &st) && (st.st_mode & 07777) == 01750, "mkdir 01777: %o",
          st.st_mode & 07777);
    umask(0);
    fd = open("u0", O_WRONLY | O_CREAT, 0777);
    close(fd);
    CHECK(stat_ok("u0", &st) && (st.st_mode & 07777) == 0777, "umask 0: %o",
          st.st_mode & 07777);
    CHECK_RET(umask(0777), 0);
    fd = open("u777", O_WRONLY | O_CREAT, 0666);
    CHECK(fd >= 0, "creating with a mode of 0 still opens for writing: %s", strerror(errno));
    CHECK_RET(write(fd, "x", 1), 1);
    close(fd);
    CHECK(stat_ok("u777", &st) && (st.st_mode & 07777) == 0, "umask 0777: %o",
          st.st_mode & 07777);
    umask(022);
}

static void test_chmod(void)
{
    struct stat st;
    put_file("m", 0644, "m");
    CHECK_RET(chmod("m", 0751), 0);
    CHECK(stat_ok("m", &st) && (st.st_mode & 07777) == 0751 && S_ISREG(st.st_mode),
          "chmod 0751: %o", st.st_mode);
    CHECK_RET(chmod("m", 07777), 0);
    CHECK(stat_ok("m", &st) && (st.st_mode & 07777) == 07777, "chmod 07777: %o",
          st.st_mode & 07777);
    int fd = open("m", O_RDONLY);
    CHECK_RET(fchmod(fd, 0400), 0);
    CHECK(stat_ok("m", &st) && (st.st_mode & 07777) == 0400, "fchmod: %o", st.st_mode & 07777);
    close(fd);
    CHECK_RET(fchmodat(AT_FDCWD, "m", 0600, 0), 0);
    CHECK(stat_ok("m", &st) && (st.st_mode & 07777) == 0600, "fchmodat: %o",
          st.st_mode & 07777);
    /* Only the permission bits change; the type bits are ignored. */
    CHECK_RET(chmod("m", S_IFDIR | 0644), 0);
    CHECK(stat_ok("m", &st) && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
          "chmod with type bits: %o", st.st_mode);
    CHECK_ERRNO(chmod("missing", 0644), ENOENT);
    CHECK_ERRNO(fchmod(-1, 0644), EBADF);
    /* chmod changes ctime but not mtime. */
    struct timespec ts[2] = {{1000, 0}, {2000, 0}};
    CHECK_RET(utimensat(AT_FDCWD, "m", ts, 0), 0);
    CHECK_RET(chmod("m", 0640), 0);
    CHECK(stat_ok("m", &st) && st.st_mtim.tv_sec == 2000 && st.st_ctim.tv_sec > 2000,
          "chmod mtime %ld ctime %ld", (long)st.st_mtim.tv_sec, (long)st.st_ctim.tv_sec);
}

static void test_chown(void)
{
    struct stat st;
    put_file("o", 0644, "o");
    CHECK_RET(chown("o", NOBODY, NOBODY), 0);
    CHECK(stat_ok("o", &st) && st.st_uid == NOBODY && st.st_gid == NOBODY, "chown: %u:%u",
          st.st_uid, st.st_gid);
    CHECK_RET(chown("o", -1, 0), 0);
    CHECK(stat_ok("o", &st) && st.st_uid == NOBODY && st.st_gid == 0, "chown -1:0: %u:%u",
          st.st_uid, st.st_gid);
    CHECK_RET(chown("o", 4242, -1), 0);
    CHECK(stat_ok("o", &st) && st.st_uid == 4242 && st.st_gid == 0, "chown 4242:-1: %u:%u",
          st.st_uid, st.st_gid);
    int fd = open("o", O_RDONLY);
    CHECK_RET(fchown(fd, 0, 0), 0);
    CHECK(stat_ok("o", &st) && st.st_uid == 0 && st.st_gid == 0, "fchown: %u:%u", st.st_uid,
          st.st_gid);
    close(fd);

    /* chown clears set-user-id, and set-group-id when group-executable,
     * even for root; a no-op chown (-1, -1) too. */
    CHECK_RET(chmod("o", 06755), 0);
    CHECK_RET(chown("o", 1, 1), 0);
    CHECK(stat_ok("o", &st) && (st.st_mode & 07777) == 0755, "chown left %o, want 0755",
          st.st_mode & 07777);
    CHECK_RET(chmod("o", 06745), 0);
    CHECK_RET(chown("o", -1, -1), 0);
    CHECK(stat_ok("o", &st) && (st.st_mode & 07777) == 02745,
          "chown of a non-group-executable file left %o, want 02745", st.st_mode & 07777);
    /* Directories keep their set-id bits. */
    CHECK_RET(mkdir("od", 0755), 0);
    CHECK_RET(chmod("od", 02755), 0);
    CHECK_RET(chown("od", 7, 7), 0);
    CHECK(stat_ok("od", &st) && (st.st_mode & 07777) == 02755, "dir chown left %o",
          st.st_mode & 07777);
    CHECK_ERRNO(chown("missing", 0, 0), ENOENT);
}

static void test_truncate(void)
{
    struct stat st;
    put_file("t", 0644, "0123456789");
    CHECK_RET(truncate("t", 4), 0);
    CHECK_CONTENT("t", "0123");
    CHECK_RET(truncate("t", 10000), 0);
    CHECK(stat_ok("t", &st) && st.st_size == 10000, "truncate up: %ld", (long)st.st_size);
    char buf[10001];
    int fd = open("t", O_RDWR);
    CHECK_RET(read(fd, buf, sizeof buf), 10000);
    int zeros = 1;
    for (int i = 4; i < 10000; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros && memcmp(buf, "0123", 4) == 0, "extended part is not zeros");
    CHECK_RET(ftruncate(fd, 2), 0);
    CHECK_RET(fstat(fd, &st), 0);
    CHECK(st.st_size == 2, "ftruncate: %ld", (long)st.st_size);
    /* The offset stays beyond the new end; reading there gives EOF. */
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 10000);
    CHECK_RET(read(fd, buf, 10), 0);
    CHECK_RET(ftruncate(fd, 0), 0);
    CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
    close(fd);

    CHECK_ERRNO(truncate("t", -1), EINVAL);
    CHECK_ERRNO(truncate("missing", 0), ENOENT);
    CHECK_RET(mkdir("td", 0755), 0);
    CHECK_ERRNO(truncate("td", 0), EISDIR);
    fd = open("t", O_RDONLY);
    CHECK_ERRNO(ftruncate(fd, 0), EINVAL);
    close(fd);
    fd = open("td", O_RDONLY);
    CHECK_ERRNO(ftruncate(fd, 0), EINVAL);
    close(fd);
    CHECK_ERRNO(ftruncate(-1, 0), EBADF);
}

static long long ts_ns(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void test_utimensat(void)
{
    struct stat st;
    put_file("u", 0644, "u");
    struct timespec ts[2] = {{111111, 222}, {333333, 444}};
    CHECK_RET(utimensat(AT_FDCWD, "u", ts, 0), 0);
    CHECK(stat_ok("u", &st) && ts_ns(st.st_atim) == ts_ns(ts[0]) &&
              ts_ns(st.st_mtim) == ts_ns(ts[1]),
          "utimensat: atime %lld mtime %lld", ts_ns(st.st_atim), ts_ns(st.st_mtim));

    /* UTIME_OMIT leaves a time alone; UTIME_NOW sets the current time. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec t2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    CHECK_RET(utimensat(AT_FDCWD, "u", t2, 0), 0);
    CHECK(stat_ok("u", &st) && ts_ns(st.st_atim) == ts_ns(ts[0]) &&
              st.st_mtim.tv_sec >= now.tv_sec - 1 && st.st_mtim.tv_sec <= now.tv_sec + 5,
          "OMIT/NOW: atime %lld mtime %ld (now %ld)", ts_ns(st.st_atim),
          (long)st.st_mtim.tv_sec, (long)now.tv_sec);
    struct timespec t3[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    long long mtime = ts_ns(st.st_mtim);
    CHECK_RET(utimensat(AT_FDCWD, "u", t3, 0), 0);
    CHECK(stat_ok("u", &st) && st.st_atim.tv_sec >= now.tv_sec - 1 && ts_ns(st.st_mtim) == mtime,
          "NOW/OMIT: atime %ld mtime %lld", (long)st.st_atim.tv_sec, ts_ns(st.st_mtim));

    /* NULL times means now for both. */
    CHECK_RET(utimensat(AT_FDCWD, "u", ts, 0), 0);
    CHECK_RET(utimensat(AT_FDCWD, "u", NULL, 0), 0);
    CHECK(stat_ok("u", &st) && st.st_atim.tv_sec >= now.tv_sec - 1 &&
              st.st_mtim.tv_sec >= now.tv_sec - 1,
          "NULL times: atime %ld mtime %ld", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);

    /* futimens, and the dirfd form. */
    int fd = open("u", O_RDONLY);
    CHECK_RET(futimens(fd, ts), 0);
    CHECK(stat_ok("u", &st) && ts_ns(st.st_mtim) == ts_ns(ts[1]), "futimens");
    close(fd);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    struct timespec t4[2] = {{5, 0}, {6, 0}};
    CHECK_RET(utimensat(dfd, "u", t4, 0), 0);
    CHECK(stat_ok("u", &st) && st.st_mtim.tv_sec == 6 && st.st_atim.tv_sec == 5,
          "utimensat(dirfd)");
    close(dfd);

    /* Writing moves mtime; a bad nanosecond value is EINVAL. */
    fd = open("u", O_WRONLY);
    CHECK_RET(write(fd, "more", 4), 4);
    close(fd);
    CHECK(stat_ok("u", &st) && st.st_mtim.tv_sec >= now.tv_sec - 1, "write kept mtime %ld",
          (long)st.st_mtim.tv_sec);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERRNO(utimensat(AT_FDCWD, "u", bad, 0), EINVAL);
    CHECK_ERRNO(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
}

static void test_statx(void)
{
    put_file("sx", 0640, "statx!");
    struct stat st;
    struct statx sx;
    CHECK_RET(stat("sx", &st), 0);
    CHECK_RET(statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS, &sx), 0);
    CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, "stx_mask %x",
          sx.stx_mask);
    CHECK(sx.stx_size == 6 && sx.stx_mode == st.st_mode && sx.stx_ino == st.st_ino &&
              sx.stx_nlink == 1 && sx.stx_uid == st.st_uid &&
              sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
              sx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec,
          "statx disagrees with stat");
    CHECK(makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev, "statx dev");
    CHECK_ERRNO(statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx), ENOENT);
    int fd = open("sx", O_RDONLY);
    CHECK_RET(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), 0);
    CHECK(sx.stx_size == 6, "statx AT_EMPTY_PATH size %llu", (unsigned long long)sx.stx_size);
    close(fd);
}

int main(void)
{
    scratch_enter("fs_attr");
    test_umask();
    test_chmod();
    test_chown();
    test_truncate();
    test_utimensat();
    test_statx();
    scratch_leave();
    return check_done("fs_attr");
}
