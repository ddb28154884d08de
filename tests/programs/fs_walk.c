/* The path walk: trailing slashes, "." and "..", ".." at the root, AT_FDCWD
 * and dirfd-relative paths, AT_EMPTY_PATH, ENOENT / ENOTDIR / ENAMETOOLONG,
 * getcwd after chdir and fchdir, and chroot. */
#include "fs_util.h"

static void test_trailing_slash(void)
{
    put_file("file", 0644, "data");
    CHECK_RET(mkdir("dir", 0755), 0);
    struct stat st;

    CHECK_ERRNO(open("file/", O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open("file/", O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(stat("file/", &st), ENOTDIR);
    CHECK_ERRNO(lstat("file/", &st), ENOTDIR);
    CHECK_ERRNO(unlink("file/"), ENOTDIR);
    CHECK_ERRNO(rmdir("file/"), ENOTDIR);
    CHECK_ERRNO(open("nofile/", O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open("nofile/", O_RDONLY), ENOENT);

    CHECK_RET(stat("dir/", &st), 0);
    CHECK(S_ISDIR(st.st_mode), "dir/ is not a directory");
    CHECK_RET(stat("dir//", &st), 0);
    int fd = open("dir/", O_RDONLY);
    CHECK(fd >= 0, "open dir/: %s", strerror(errno));
    close(fd);

    /* mkdir and rmdir accept a trailing slash. */
    CHECK_RET(mkdir("d2/", 0755), 0);
    CHECK_RET(stat("d2", &st), 0);
    CHECK(S_ISDIR(st.st_mode), "d2 is not a directory");
    CHECK_ERRNO(mkdir("d2/", 0755), EEXIST);
    CHECK_ERRNO(mkdir("file/", 0755), EEXIST);
    CHECK_RET(rmdir("d2/"), 0);
    CHECK_ERRNO(stat("d2", &st), ENOENT);
    CHECK_RET(mkdir("d3//", 0755), 0);
    CHECK_RET(rmdir("d3//"), 0);
}

static void test_dots(void)
{
    CHECK_RET(mkdir("a", 0755), 0);
    CHECK_RET(mkdir("a/b", 0755), 0);
    put_file("a/f", 0644, "f");
    struct stat s1, s2;

    CHECK_RET(stat("a", &s1), 0);
    CHECK(stat_ok("a/.", &s2) && same_file(&s1, &s2), "a/. is not a");
    CHECK(stat_ok("a/b/..", &s2) && same_file(&s1, &s2), "a/b/.. is not a");
    CHECK(stat_ok("./a/./b/../", &s2) && same_file(&s1, &s2), "./a/./b/../ is not a");
    CHECK(stat_ok("a//b///..//.", &s2) && same_file(&s1, &s2), "repeated slashes");
    CHECK_RET(stat(".", &s1), 0);
    CHECK(stat_ok("a/..", &s2) && same_file(&s1, &s2), "a/.. is not .");
    CHECK_ERRNO(stat("a/f/.", &s2), ENOTDIR);
    CHECK_ERRNO(stat("a/f/..", &s2), ENOTDIR);
    /* ".." of a missing directory does not exist either. */
    CHECK_ERRNO(stat("a/missing/..", &s2), ENOENT);

    /* ".." at the root stays at the root. */
    CHECK_RET(stat("/", &s1), 0);
    CHECK(stat_ok("/..", &s2) && same_file(&s1, &s2), "/.. is not /");
    CHECK(stat_ok("/../../..", &s2) && same_file(&s1, &s2), "/../../.. is not /");
    CHECK(stat_ok("//..//.", &s2) && same_file(&s1, &s2), "//..//. is not /");
    char up[PATH_MAX + 64];
    snprintf(up, sizeof up, "/../..%s/../../../../../../../../..", scratch);
    CHECK(stat_ok(up, &s2) && same_file(&s1, &s2), "%s is not /", up);
    CHECK_RET(stat("/tmp", &s1), 0);
    CHECK(stat_ok("/../tmp/../../tmp", &s2) && same_file(&s1, &s2), "/../tmp/../../tmp");
}

static void test_errors(void)
{
    put_file("reg", 0644, "r");
    struct stat st;
    CHECK_ERRNO(stat("missing", &st), ENOENT);
    CHECK_ERRNO(stat("missing/x", &st), ENOENT);
    CHECK_ERRNO(stat("a/missing/x/y", &st), ENOENT);
    CHECK_ERRNO(stat("", &st), ENOENT);
    CHECK_ERRNO(stat("reg/x", &st), ENOTDIR);
    CHECK_ERRNO(stat("reg/x/y", &st), ENOTDIR);
    CHECK_ERRNO(mkdir("reg/x", 0755), ENOTDIR);
    CHECK_ERRNO(open("reg/x", O_WRONLY | O_CREAT, 0644), ENOTDIR);
    CHECK_ERRNO(unlink("reg/x"), ENOTDIR);
    CHECK_ERRNO(chdir("reg"), ENOTDIR);
    CHECK_ERRNO(chdir("missing"), ENOENT);

    /* A component longer than NAME_MAX, a path longer than PATH_MAX. */
    char name[NAME_MAX + 2];
    memset(name, 'n', NAME_MAX + 1);
    name[NAME_MAX + 1] = '\0';
    CHECK_ERRNO(stat(name, &st), ENAMETOOLONG);
    CHECK_ERRNO(open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
    CHECK_ERRNO(mkdir(name, 0755), ENAMETOOLONG);
    name[NAME_MAX] = '\0';
    int fd = open(name, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "a NAME_MAX-long name: %s", strerror(errno));
    close(fd);
    CHECK_RET(unlink(name), 0);
    static char longpath[PATH_MAX + 16];
    for (size_t i = 0; i + 2 < sizeof longpath; i += 2)
        memcpy(longpath + i, "./", 2);
    longpath[sizeof longpath - 1] = '\0';
    CHECK_ERRNO(stat(longpath, &st), ENAMETOOLONG);
}

static void test_dirfd(void)
{
    CHECK_RET(mkdir("w", 0755), 0);
    CHECK_RET(mkdir("w/x", 0755), 0);
    put_file("w/x/f", 0644, "wxf");
    int dfd = open("w", O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0, "open w: %s", strerror(errno));
    struct stat s1, s2;

    CHECK_RET(fstatat(dfd, "x/f", &s1, 0), 0);
    CHECK(stat_ok("w/x/f", &s2) && same_file(&s1, &s2), "fstatat relative to dirfd");
    CHECK_RET(fstatat(AT_FDCWD, "w/x/f", &s2, 0), 0);
    CHECK(same_file(&s1, &s2), "fstatat AT_FDCWD");
    CHECK_RET(fstatat(dfd, "..", &s1, 0), 0);
    CHECK(stat_ok(".", &s2) && same_file(&s1, &s2), "dirfd/.. is not the cwd");

    /* AT_EMPTY_PATH: the fd itself, any file type. */
    CHECK_RET(fstatat(dfd, "", &s1, AT_EMPTY_PATH), 0);
    CHECK(stat_ok("w", &s2) && same_file(&s1, &s2), "AT_EMPTY_PATH on dirfd");
    int ffd = open("w/x/f", O_RDONLY);
    CHECK_RET(fstatat(ffd, "", &s1, AT_EMPTY_PATH), 0);
    CHECK(stat_ok("w/x/f", &s2) && same_file(&s1, &s2) && s1.st_size == 3,
          "AT_EMPTY_PATH on file fd");
    CHECK_ERRNO(fstatat(ffd, "", &s1, 0), ENOENT);
    CHECK_ERRNO(fstatat(ffd, "x", &s1, 0), ENOTDIR);
    CHECK_RET(fstatat(AT_FDCWD, "", &s1, AT_EMPTY_PATH), 0);
    CHECK(stat_ok(".", &s2) && same_file(&s1, &s2), "AT_FDCWD with AT_EMPTY_PATH");
    CHECK_ERRNO(fstatat(-1, "", &s1, AT_EMPTY_PATH), EBADF);
    CHECK_ERRNO(fstatat(dfd, "f", &s1, 0x40000000), EINVAL);
    close(ffd);

    /* The dirfd keeps naming its directory after a rename. */
    CHECK_RET(rename("w", "w2"), 0);
    CHECK_RET(fstatat(dfd, "x/f", &s1, 0), 0);
    CHECK_RET(rename("w2", "w"), 0);
    close(dfd);
}

static void test_cwd(void)
{
    char buf[PATH_MAX], want[PATH_MAX + 16];
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, scratch) == 0,
          "getcwd %s, want %s", buf, scratch);
    CHECK_RET(mkdir("c", 0755), 0);
    CHECK_RET(mkdir("c/d", 0755), 0);
    CHECK_RET(chdir("c/d"), 0);
    snprintf(want, sizeof want, "%s/c/d", scratch);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, want) == 0, "getcwd %s, want %s",
          buf, want);
    CHECK_RET(chdir(".."), 0);
    snprintf(want, sizeof want, "%s/c", scratch);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, want) == 0, "getcwd %s, want %s",
          buf, want);

    /* getcwd through a symlink gives the physical path. */
    CHECK_RET(symlink("c/d", "../lnk"), 0);
    CHECK_RET(chdir("../lnk"), 0);
    snprintf(want, sizeof want, "%s/c/d", scratch);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, want) == 0,
          "getcwd via symlink %s, want %s", buf, want);

    int fd = open(scratch, O_RDONLY | O_DIRECTORY);
    CHECK_RET(fchdir(fd), 0);
    close(fd);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, scratch) == 0,
          "getcwd after fchdir %s", buf);
    fd = open("c", O_PATH);
    CHECK_RET(fchdir(fd), 0);
    close(fd);
    snprintf(want, sizeof want, "%s/c", scratch);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, want) == 0,
          "getcwd after fchdir(O_PATH) %s", buf);
    put_file("regular", 0644, "");
    int rfd = open("regular", O_RDONLY);
    CHECK_ERRNO(fchdir(rfd), ENOTDIR);
    CHECK_ERRNO(fchdir(-1), EBADF);
    close(rfd);
    CHECK_RET(unlink("regular"), 0);

    /* A buffer too small for the path: ERANGE. */
    errno = 0;
    CHECK(getcwd(buf, 2) == NULL && errno == ERANGE, "getcwd tiny buffer: %s",
          strerror(errno));

    /* The cwd was removed: getcwd says ENOENT. */
    CHECK_RET(mkdir("gone", 0755), 0);
    CHECK_RET(chdir("gone"), 0);
    CHECK_RET(rmdir("../gone"), 0);
    errno = 0;
    CHECK(getcwd(buf, sizeof buf) == NULL && errno == ENOENT,
          "getcwd in a removed dir: %s", strerror(errno));
    struct stat st;
    CHECK_ERRNO(open("new", O_WRONLY | O_CREAT, 0644), ENOENT);
    CHECK_RET(stat(".", &st), 0);
    CHECK(st.st_nlink == 0, "removed cwd has nlink %lu", (unsigned long)st.st_nlink);
    CHECK_RET(chdir(scratch), 0);
}

static void chroot_child(void *arg)
{
    (void)arg;
    struct stat before, st;
    REQUIRE(stat(scratch, &before) == 0, "stat scratch");
    REQUIRE(chroot(scratch) == 0, "chroot %s: %s", scratch, strerror(errno));
    /* chroot does not move the cwd; "/" is now the scratch directory. */
    CHECK(stat_ok("/", &st) && same_file(&st, &before), "/ is not the scratch dir");
    CHECK(stat_ok("/..", &st) && same_file(&st, &before), "/.. left the chroot");
    CHECK(stat_ok("/../../../..", &st) && same_file(&st, &before), "/../.. left the chroot");
    CHECK_CONTENT("/inroot", "in the root");
    CHECK_ERRNO(stat("/tmp", &st), ENOENT);
    CHECK_RET(chdir("/"), 0);
    char buf[PATH_MAX];
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, "/") == 0, "getcwd %s, want /",
          buf);
    CHECK_RET(mkdir("/sub", 0755), 0);
    CHECK_RET(chdir("/sub/../../sub"), 0);
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, "/sub") == 0,
          "getcwd %s, want /sub", buf);
    CHECK_RET(symlink("/inroot", "/sub/abs"), 0);
    CHECK_CONTENT("/sub/abs", "in the root");
    CHECK_RET(symlink("../../../../inroot", "/sub/rel"), 0);
    CHECK_CONTENT("/sub/rel", "in the root");
}

static void test_chroot(void)
{
    put_file("inroot", 0644, "in the root");
    CHECK_CHILD(chroot_child, NULL);
    /* The child's changes are in the scratch dir; its absolute symlink now
     * points outside the chroot, to a file that does not exist. */
    struct stat st;
    CHECK_RET(lstat("sub/abs", &st), 0);
    CHECK_ERRNO(stat("sub/abs", &st), ENOENT);
    CHECK_ERRNO(chroot("inroot"), ENOTDIR);
    CHECK_ERRNO(chroot("missing"), ENOENT);
}

int main(void)
{
    scratch_enter("fs_walk");
    umask(022);
    test_trailing_slash();
    test_dots();
    test_errors();
    test_dirfd();
    test_cwd();
    test_chroot();
    scratch_leave();
    return check_done("fs_walk");
}
