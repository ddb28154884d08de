/* Symlinks: readlink (EINVAL on a non-symlink, truncation), relative and
 * absolute targets, ".." after a symlink, dangling links, loops (ELOOP), the
 * 40-link limit, AT_SYMLINK_NOFOLLOW / AT_SYMLINK_FOLLOW, EEXIST. */
#include "fs_util.h"

#include <sys/time.h>

static void test_readlink(void)
{
    put_file("file", 0644, "file data");
    CHECK_RET(symlink("file", "l"), 0);
    char buf[64];
    memset(buf, 'X', sizeof buf);
    CHECK_RET(readlink("l", buf, sizeof buf), 4);
    CHECK(memcmp(buf, "fileX", 5) == 0, "readlink wrote \"%.5s\", want \"file\" with no NUL",
          buf);

    /* Truncation: as many bytes as fit, no NUL, no error. */
    memset(buf, 'X', sizeof buf);
    CHECK_RET(readlink("l", buf, 3), 3);
    CHECK(memcmp(buf, "filX", 4) == 0, "truncated readlink wrote \"%.4s\"", buf);
    CHECK_RET(readlink("l", buf, 1), 1);
    CHECK_ERRNO(readlink("l", buf, 0), EINVAL);

    CHECK_ERRNO(readlink("file", buf, sizeof buf), EINVAL);
    CHECK_ERRNO(readlink(".", buf, sizeof buf), EINVAL);
    CHECK_ERRNO(readlink("missing", buf, sizeof buf), ENOENT);
    CHECK_ERRNO(readlink("file/x", buf, sizeof buf), ENOTDIR);

    /* The target is stored verbatim, however odd. */
    const char *odd = "a//b/../c/./";
    CHECK_RET(symlink(odd, "odd"), 0);
    CHECK_RET(readlink("odd", buf, sizeof buf), (long)strlen(odd));
    CHECK(memcmp(buf, odd, strlen(odd)) == 0, "odd target %.*s", (int)strlen(odd), buf);
    struct stat st;
    CHECK_RET(lstat("odd", &st), 0);
    CHECK(S_ISLNK(st.st_mode) && st.st_size == (off_t)strlen(odd),
          "lstat mode %o size %ld", st.st_mode, (long)st.st_size);
    CHECK_ERRNO(symlink("", "empty"), ENOENT);

    /* readlinkat with a dirfd, and with an empty path on an O_PATH link fd. */
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_RET(readlinkat(dfd, "l", buf, sizeof buf), 4);
    close(dfd);
    int lfd = open("l", O_PATH | O_NOFOLLOW);
    CHECK_RET(readlinkat(lfd, "", buf, sizeof buf), 4);
    close(lfd);
    int ffd = open("file", O_PATH);
    /* An empty path on anything but a symlink is ENOENT, not EINVAL. */
    CHECK_ERRNO(readlinkat(ffd, "", buf, sizeof buf), ENOENT);
    close(ffd);
}

static void test_resolution(void)
{
    CHECK_RET(mkdir("a", 0755), 0);
    CHECK_RET(mkdir("a/b", 0755), 0);
    put_file("a/b/target", 0644, "target");
    put_file("a/sibling", 0644, "sibling");
    struct stat s1, s2;

    /* A relative target is resolved from the link's own directory. */
    CHECK_RET(symlink("b/target", "a/rel"), 0);
    CHECK_CONTENT("a/rel", "target");
    CHECK_RET(symlink("../sibling", "a/b/up"), 0);
    CHECK_CONTENT("a/b/up", "sibling");
    /* An absolute target is resolved from the root. */
    char abs[PATH_MAX + 32];
    snprintf(abs, sizeof abs, "%s/a/b/target", scratch);
    CHECK_RET(symlink(abs, "absl"), 0);
    CHECK_CONTENT("absl", "target");

    /* ".." after a symlink to a directory is the target's parent. */
    CHECK_RET(symlink("a/b", "lb"), 0);
    CHECK_RET(stat("a", &s1), 0);
    CHECK(stat_ok("lb/..", &s2) && same_file(&s1, &s2), "lb/.. is not a");
    CHECK_CONTENT("lb/../sibling", "sibling");
    CHECK_CONTENT("lb/target", "target");

    /* Symlinks in the middle of a path, and chains of them. */
    CHECK_RET(symlink("lb", "llb"), 0);
    CHECK_CONTENT("llb/target", "target");
    CHECK_RET(symlink("a/b/target", "lfile"), 0);
    CHECK_ERRNO(stat("lfile/x", &s1), ENOTDIR);
    /* A trailing slash follows a final symlink to a directory. */
    CHECK(lstat("lb/", &s1) == 0 && S_ISDIR(s1.st_mode), "lstat lb/ is not the directory");
    CHECK(lstat("lb", &s1) == 0 && S_ISLNK(s1.st_mode), "lstat lb is not the link");
    CHECK_ERRNO(stat("lfile/", &s1), ENOTDIR);

    /* Dangling links: lstat works, stat and open say ENOENT. */
    CHECK_RET(symlink("does-not-exist", "dangle"), 0);
    CHECK_RET(lstat("dangle", &s1), 0);
    CHECK_ERRNO(stat("dangle", &s1), ENOENT);
    CHECK_ERRNO(open("dangle", O_RDONLY), ENOENT);
    CHECK_RET(symlink("a/b/target/x", "through-file"), 0);
    CHECK_ERRNO(stat("through-file", &s1), ENOTDIR);

    /* EEXIST: a symlink never replaces anything, not even a dangling link. */
    CHECK_ERRNO(symlink("x", "dangle"), EEXIST);
    CHECK_ERRNO(symlink("x", "a"), EEXIST);
    CHECK_ERRNO(symlink("x", "a/b/target"), EEXIST);
    CHECK_ERRNO(symlink("x", "missing/l"), ENOENT);
}

static void test_loops(void)
{
    struct stat st;
    CHECK_RET(symlink("self", "self"), 0);
    CHECK_ERRNO(stat("self", &st), ELOOP);
    CHECK_ERRNO(open("self", O_RDONLY), ELOOP);
    CHECK_ERRNO(open("self", O_WRONLY | O_CREAT, 0644), ELOOP);
    CHECK_RET(lstat("self", &st), 0);
    CHECK_RET(symlink("loop-b", "loop-a"), 0);
    CHECK_RET(symlink("loop-a", "loop-b"), 0);
    CHECK_ERRNO(stat("loop-a", &st), ELOOP);
    CHECK_ERRNO(stat("loop-a/x", &st), ELOOP);
    CHECK_ERRNO(chdir("loop-b"), ELOOP);
    /* A link to "." can be walked through many times in one path... */
    CHECK_RET(symlink(".", "dot"), 0);
    CHECK_RET(stat("dot/dot/dot/dot/dot", &st), 0);

    /* The 40-link limit: a chain of 40 links resolves, 41 is ELOOP. The
     * limit counts every link followed while walking one path. */
    CHECK_RET(mkdir("chain", 0755), 0);
    put_file("chain/end", 0644, "end of chain");
    char name[32], target[32];
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "chain/l%d", i);
        if (i == 1)
            snprintf(target, sizeof target, "end");
        else
            snprintf(target, sizeof target, "l%d", i - 1);
        CHECK_RET(symlink(target, name), 0);
    }
    CHECK_CONTENT("chain/l40", "end of chain");
    CHECK_RET(stat("chain/l40", &st), 0);
    CHECK_ERRNO(stat("chain/l41", &st), ELOOP);
    CHECK_ERRNO(open("chain/l41", O_RDONLY), ELOOP);
    CHECK_RET(lstat("chain/l41", &st), 0);
    /* Every link of the walk counts, "dot" too: 1 + 39 is fine, 2 + 39 not. */
    CHECK_RET(stat("dot/chain/l39", &st), 0);
    CHECK_ERRNO(stat("dot/dot/chain/l39", &st), ELOOP);
}

static void test_nofollow_flags(void)
{
    put_file("t", 0644, "t");
    CHECK_RET(symlink("t", "lt"), 0);
    struct stat s1, s2, sl;

    CHECK_RET(fstatat(AT_FDCWD, "lt", &s1, 0), 0);
    CHECK_RET(stat("t", &s2), 0);
    CHECK(same_file(&s1, &s2), "fstatat follows the link");
    CHECK_RET(fstatat(AT_FDCWD, "lt", &sl, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(S_ISLNK(sl.st_mode) && !same_file(&sl, &s2), "AT_SYMLINK_NOFOLLOW gives the link");

    /* linkat: the link itself by default, its target with AT_SYMLINK_FOLLOW. */
    CHECK_RET(linkat(AT_FDCWD, "lt", AT_FDCWD, "hard-to-link", 0), 0);
    CHECK(lstat("hard-to-link", &s1) == 0 && same_file(&s1, &sl) && S_ISLNK(s1.st_mode),
          "linkat without AT_SYMLINK_FOLLOW");
    CHECK_RET(linkat(AT_FDCWD, "lt", AT_FDCWD, "hard-to-target", AT_SYMLINK_FOLLOW), 0);
    CHECK(lstat("hard-to-target", &s1) == 0 && same_file(&s1, &s2),
          "linkat with AT_SYMLINK_FOLLOW");
    CHECK(stat("t", &s2) == 0 && s2.st_nlink == 2, "target nlink %lu, want 2",
          (unsigned long)s2.st_nlink);

    /* lchown / fchownat(AT_SYMLINK_NOFOLLOW) change the link, not the target. */
    CHECK_RET(lchown("lt", 123, 456), 0);
    CHECK(lstat("lt", &s1) == 0 && s1.st_uid == 123 && s1.st_gid == 456, "lchown");
    CHECK(stat("t", &s2) == 0 && s2.st_uid == 0 && s2.st_gid == 0, "lchown hit the target");
    CHECK_RET(fchownat(AT_FDCWD, "lt", 0, 0, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(lstat("lt", &s1) == 0 && s1.st_uid == 0, "fchownat NOFOLLOW");

    /* utimensat(AT_SYMLINK_NOFOLLOW) sets the link's times. */
    struct timespec ts[2] = {{1000000, 0}, {2000000, 0}};
    CHECK_RET(utimensat(AT_FDCWD, "lt", ts, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(lstat("lt", &s1) == 0 && s1.st_mtim.tv_sec == 2000000, "link mtime %ld",
          (long)s1.st_mtim.tv_sec);
    CHECK(stat("t", &s2) == 0 && s2.st_mtim.tv_sec != 2000000, "target mtime changed");

    /* Permissions of a symlink are always 0777; chmod follows it. */
    CHECK_RET(lstat("lt", &s1), 0);
    CHECK((s1.st_mode & 07777) == 0777, "symlink mode %o", s1.st_mode & 07777);
    CHECK_RET(chmod("lt", 0600), 0);
    CHECK(stat("t", &s2) == 0 && (s2.st_mode & 07777) == 0600, "chmod via symlink");
    CHECK_ERRNO(fchmodat(AT_FDCWD, "lt", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);

    /* unlink removes the link, not the target. */
    CHECK_RET(unlink("lt"), 0);
    CHECK_RET(access("t", F_OK), 0);
}

int main(void)
{
    scratch_enter("fs_symlink");
    umask(022);
    test_readlink();
    test_resolution();
    test_loops();
    test_nofollow_flags();
    scratch_leave();
    return check_done("fs_symlink");
}
