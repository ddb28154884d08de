/* open/openat/creat flags: O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_TRUNC,
 * O_APPEND, O_CLOEXEC, O_PATH, and the errno of each misuse. */
#include "fs_util.h"

#include <sys/ioctl.h>

static void test_creat_excl(void)
{
    umask(022);
    int fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, "O_CREAT|O_EXCL new file: %s", strerror(errno));
    close(fd);
    CHECK_ERRNO(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    /* Without O_EXCL an existing file is simply opened. */
    fd = open("f", O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0, "O_CREAT existing: %s", strerror(errno));
    close(fd);
    struct stat st;
    CHECK_RET(stat("f", &st), 0);
    CHECK((st.st_mode & 07777) == 0644, "mode %o, want 644 (O_CREAT must not change it)",
          st.st_mode & 07777);
    CHECK(S_ISREG(st.st_mode) && st.st_size == 0, "mode %o size %ld", st.st_mode,
          (long)st.st_size);

    /* O_EXCL does not follow a symlink, not even a dangling one. */
    CHECK_RET(symlink("nowhere", "dangling"), 0);
    CHECK_ERRNO(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK_ERRNO(access("nowhere", F_OK), ENOENT);
    /* Without O_EXCL, O_CREAT through a dangling symlink creates its target. */
    fd = open("dangling", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "O_CREAT via dangling symlink: %s", strerror(errno));
    close(fd);
    CHECK_RET(access("nowhere", F_OK), 0);

    /* Missing parent, existing directory, empty path. */
    CHECK_ERRNO(open("nodir/f", O_WRONLY | O_CREAT, 0644), ENOENT);
    CHECK_RET(mkdir("d", 0755), 0);
    CHECK_ERRNO(open("d", O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open("d", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK_ERRNO(open("", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("missing", O_RDONLY), ENOENT);

    /* creat() is O_CREAT|O_WRONLY|O_TRUNC. */
    put_file("c", 0644, "old content");
    fd = creat("c", 0600);
    CHECK(fd >= 0, "creat: %s", strerror(errno));
    CHECK_RET(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
    char b;
    CHECK_ERRNO(read(fd, &b, 1), EBADF);
    close(fd);
    CHECK_RET(stat("c", &st), 0);
    CHECK(st.st_size == 0, "creat did not truncate: size %ld", (long)st.st_size);
}

static void test_directory_nofollow(void)
{
    put_file("file", 0644, "data");
    CHECK_RET(mkdir("dir", 0755), 0);
    CHECK_RET(symlink("file", "lfile"), 0);
    CHECK_RET(symlink("dir", "ldir"), 0);

    CHECK_ERRNO(open("file", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERRNO(open("lfile", O_RDONLY | O_DIRECTORY), ENOTDIR);
    int fd = open("dir", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "O_DIRECTORY on dir: %s", strerror(errno));
    close(fd);
    fd = open("ldir", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "O_DIRECTORY via symlink to dir: %s", strerror(errno));
    close(fd);

    /* Directories cannot be opened for writing. */
    CHECK_ERRNO(open("dir", O_WRONLY), EISDIR);
    CHECK_ERRNO(open("dir", O_RDWR), EISDIR);

    /* O_NOFOLLOW: ELOOP on a final symlink, followed in earlier components. */
    CHECK_ERRNO(open("lfile", O_RDONLY | O_NOFOLLOW), ELOOP);
    CHECK_ERRNO(open("ldir", O_RDONLY | O_NOFOLLOW), ELOOP);
    /* ...but with O_DIRECTORY too, the unfollowed symlink is "not a directory". */
    CHECK_ERRNO(open("ldir", O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
    put_file("dir/inner", 0644, "x");
    fd = open("ldir/inner", O_RDONLY | O_NOFOLLOW);
    CHECK(fd >= 0, "O_NOFOLLOW with a symlink in the middle: %s", strerror(errno));
    close(fd);
    fd = open("file", O_RDONLY | O_NOFOLLOW);
    CHECK(fd >= 0, "O_NOFOLLOW on a plain file: %s", strerror(errno));
    close(fd);

    /* O_PATH|O_NOFOLLOW opens the symlink itself. */
    fd = open("lfile", O_PATH | O_NOFOLLOW);
    CHECK(fd >= 0, "O_PATH|O_NOFOLLOW on symlink: %s", strerror(errno));
    if (fd >= 0) {
        struct stat st;
        CHECK_RET(fstat(fd, &st), 0);
        CHECK(S_ISLNK(st.st_mode), "O_PATH|O_NOFOLLOW fd is mode %o, want a symlink",
              st.st_mode);
        close(fd);
    }
}

static void test_trunc_append(void)
{
    put_file("t", 0644, "0123456789");
    int fd = open("t", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0, "O_TRUNC: %s", strerror(errno));
    struct stat st;
    CHECK_RET(fstat(fd, &st), 0);
    CHECK(st.st_size == 0, "O_TRUNC left size %ld", (long)st.st_size);
    CHECK_RET(write(fd, "ab", 2), 2);
    close(fd);
    CHECK_CONTENT("t", "ab");

    /* O_APPEND: every write goes to the end, whatever the offset. */
    fd = open("t", O_RDWR | O_APPEND);
    CHECK(fd >= 0, "O_APPEND: %s", strerror(errno));
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 0);
    CHECK_RET(write(fd, "cd", 2), 2);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 4);
    CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
    CHECK_RET(write(fd, "ef", 2), 2);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 6);
    /* Linux appends even for pwrite on an O_APPEND file. */
    CHECK_RET(pwrite(fd, "gh", 2, 0), 2);
    CHECK(fcntl(fd, F_GETFL) & O_APPEND, "F_GETFL lacks O_APPEND");
    close(fd);
    CHECK_CONTENT("t", "abcdefgh");

    /* Two O_APPEND descriptions both append. */
    int a = open("t", O_WRONLY | O_APPEND), b = open("t", O_WRONLY | O_APPEND);
    CHECK(a >= 0 && b >= 0, "open twice: %s", strerror(errno));
    CHECK_RET(write(a, "1", 1), 1);
    CHECK_RET(write(b, "2", 1), 1);
    CHECK_RET(write(a, "3", 1), 1);
    close(a);
    close(b);
    CHECK_CONTENT("t", "abcdefgh123");

    /* F_SETFL can switch O_APPEND on. */
    fd = open("t", O_WRONLY);
    CHECK_RET(fcntl(fd, F_SETFL, O_APPEND), 0);
    CHECK_RET(write(fd, "!", 1), 1);
    close(fd);
    CHECK_CONTENT("t", "abcdefgh123!");
}

static void test_cloexec_flags(void)
{
    put_file("x", 0644, "x");
    int fd = open("x", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "O_CLOEXEC: %s", strerror(errno));
    CHECK_RET(fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK((fcntl(fd, F_GETFL) & O_CLOEXEC) == 0, "O_CLOEXEC visible in F_GETFL");
    CHECK_RET(fcntl(fd, F_SETFD, 0), 0);
    CHECK_RET(fcntl(fd, F_GETFD), 0);
    CHECK_RET(ioctl(fd, FIOCLEX), 0);
    CHECK_RET(fcntl(fd, F_GETFD), FD_CLOEXEC);
    close(fd);
    fd = open("x", O_RDONLY);
    CHECK_RET(fcntl(fd, F_GETFD), 0);
    CHECK_RET(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    close(fd);
    fd = open("x", O_RDWR);
    CHECK_RET(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);

    /* The lowest free descriptor is used. */
    int fd2 = open("x", O_RDONLY);
    close(fd);
    int fd3 = open("x", O_RDONLY);
    CHECK(fd3 == fd, "reopened fd %d, want the freed %d", fd3, fd);
    close(fd2);
    close(fd3);
}

static void test_opath(void)
{
    put_file("p", 0600, "secret");
    CHECK_RET(mkdir("pd", 0755), 0);
    put_file("pd/inner", 0644, "inner");

    int fd = open("p", O_PATH);
    CHECK(fd >= 0, "O_PATH file: %s", strerror(errno));
    struct stat st, want;
    CHECK_RET(stat("p", &want), 0);
    CHECK_RET(fstat(fd, &st), 0);
    CHECK(same_file(&st, &want) && st.st_size == 6, "fstat of O_PATH fd");
    CHECK_RET(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
    CHECK(same_file(&st, &want), "fstatat AT_EMPTY_PATH of O_PATH fd");
    char b[8];
    CHECK_ERRNO(read(fd, b, sizeof b), EBADF);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    CHECK_ERRNO(fchmod(fd, 0644), EBADF);
    CHECK_ERRNO(ftruncate(fd, 0), EBADF);
    CHECK((fcntl(fd, F_GETFL) & O_PATH) == O_PATH, "F_GETFL lacks O_PATH: %x",
          fcntl(fd, F_GETFL));
    /* O_PATH ignores other access flags. */
    int fd2 = open("p", O_PATH | O_WRONLY);
    CHECK(fd2 >= 0, "O_PATH|O_WRONLY: %s", strerror(errno));
    CHECK_ERRNO(write(fd2, "x", 1), EBADF);
    close(fd2);
    close(fd);

    /* A directory O_PATH fd works as a dirfd and for fchdir. */
    fd = open("pd", O_PATH | O_DIRECTORY);
    CHECK(fd >= 0, "O_PATH dir: %s", strerror(errno));
    fd2 = openat(fd, "inner", O_RDONLY);
    CHECK(fd2 >= 0, "openat from O_PATH dirfd: %s", strerror(errno));
    CHECK_RET(read(fd2, b, sizeof b), 5);
    close(fd2);
    CHECK_RET(fchdir(fd), 0);
    CHECK_CONTENT("inner", "inner");
    CHECK_RET(chdir(".."), 0);
    close(fd);
}

static void test_openat(void)
{
    CHECK_RET(mkdir("at", 0755), 0);
    CHECK_RET(mkdir("at/sub", 0755), 0);
    put_file("at/sub/f", 0644, "atf");
    put_file("top", 0644, "top");
    int dfd = open("at", O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0, "open at: %s", strerror(errno));

    int fd = openat(dfd, "sub/f", O_RDONLY);
    CHECK(fd >= 0, "openat relative: %s", strerror(errno));
    close(fd);
    fd = openat(dfd, "../top", O_RDONLY);
    CHECK(fd >= 0, "openat ..: %s", strerror(errno));
    close(fd);
    fd = openat(AT_FDCWD, "at/sub/f", O_RDONLY);
    CHECK(fd >= 0, "openat AT_FDCWD: %s", strerror(errno));
    close(fd);
    fd = openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, "openat create: %s", strerror(errno));
    close(fd);
    CHECK_RET(access("at/new", F_OK), 0);

    /* An absolute path ignores dirfd, even an invalid one. */
    char abs[PATH_MAX + 16];
    snprintf(abs, sizeof abs, "%s/top", scratch);
    fd = openat(-1, abs, O_RDONLY);
    CHECK(fd >= 0, "openat(-1, absolute): %s", strerror(errno));
    close(fd);

    /* A relative path needs a valid directory fd. */
    CHECK_ERRNO(openat(-1, "top", O_RDONLY), EBADF);
    CHECK_ERRNO(openat(999, "top", O_RDONLY), EBADF);
    int ffd = open("top", O_RDONLY);
    CHECK_ERRNO(openat(ffd, "x", O_RDONLY), ENOTDIR);
    close(ffd);
    close(dfd);
}

int main(void)
{
    scratch_enter("fs_open");
    test_creat_excl();
    test_directory_nofollow();
    test_trunc_append();
    test_cloexec_flags();
    test_opath();
    test_openat();
    scratch_leave();
    return check_done("fs_open");
}
