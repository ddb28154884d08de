/* rename/renameat/renameat2: replacing files and empty directories, the
 * errors (ENOTEMPTY, EISDIR, ENOTDIR, EINVAL, EBUSY, ENOENT, EXDEV),
 * RENAME_NOREPLACE and RENAME_EXCHANGE, trailing slashes, and open fds
 * across a rename. EXDEV is checked between /tmp and /dev/shm when they are
 * distinct mounts. */
#include "fs_util.h"

#include <stdio.h>

static void test_basic(void)
{
    struct stat s1, s2;
    put_file("a", 0644, "aaa");
    put_file("b", 0644, "bbb");
    CHECK_RET(stat("a", &s1), 0);

    /* Over an existing file: the target is replaced, the inode moves. */
    CHECK_RET(rename("a", "b"), 0);
    CHECK_ERRNO(access("a", F_OK), ENOENT);
    CHECK_CONTENT("b", "aaa");
    CHECK(stat_ok("b", &s2) && same_file(&s1, &s2), "rename changed the inode");

    /* An open fd follows the file. */
    int fd = open("b", O_RDONLY);
    CHECK_RET(rename("b", "c"), 0);
    char buf[8] = "";
    CHECK_RET(read(fd, buf, sizeof buf), 3);
    CHECK_RET(fstat(fd, &s2), 0);
    CHECK(same_file(&s1, &s2), "fd lost its file");
    close(fd);

    /* Renaming to itself, or between two links of one inode, does nothing. */
    CHECK_RET(rename("c", "c"), 0);
    CHECK_RET(link("c", "c2"), 0);
    CHECK_RET(rename("c", "c2"), 0);
    CHECK(access("c", F_OK) == 0 && access("c2", F_OK) == 0,
          "rename between hard links removed one");
    CHECK(stat_ok("c", &s2) && s2.st_nlink == 2, "nlink %lu", (unsigned long)s2.st_nlink);

    /* Missing source or target directory. */
    CHECK_ERRNO(rename("missing", "x"), ENOENT);
    CHECK_ERRNO(rename("c", "nodir/x"), ENOENT);
    CHECK_ERRNO(rename("", "x"), ENOENT);
    CHECK_ERRNO(rename("c", ""), ENOENT);
    CHECK_ERRNO(rename("c/x", "y"), ENOTDIR);

    /* A symlink is renamed, not its target. */
    CHECK_RET(symlink("c", "sl"), 0);
    CHECK_RET(rename("sl", "sl2"), 0);
    CHECK(lstat("sl2", &s2) == 0 && S_ISLNK(s2.st_mode), "renamed symlink");
    CHECK_CONTENT("sl2", "aaa");
}

static void test_dirs(void)
{
    struct stat s1, s2;
    CHECK_RET(mkdir("d1", 0755), 0);
    put_file("d1/f", 0644, "in d1");
    CHECK_RET(mkdir("empty", 0755), 0);
    CHECK_RET(mkdir("full", 0755), 0);
    put_file("full/x", 0644, "x");
    put_file("plain", 0644, "plain");
    CHECK_RET(stat("d1", &s1), 0);

    /* A directory replaces an empty directory, never a non-empty one. */
    CHECK_RET(rename("d1", "empty"), 0);
    CHECK(stat_ok("empty", &s2) && same_file(&s1, &s2), "dir over empty dir");
    CHECK_CONTENT("empty/f", "in d1");
    CHECK_ERRNO(rename("empty", "full"), ENOTEMPTY);

    /* Type mismatches. */
    CHECK_ERRNO(rename("plain", "full"), EISDIR);
    CHECK_ERRNO(rename("full", "plain"), ENOTDIR);

    /* A directory cannot move into itself or its own subtree. */
    CHECK_RET(mkdir("full/sub", 0755), 0);
    CHECK_ERRNO(rename("full", "full/sub/inside"), EINVAL);
    CHECK_ERRNO(rename("full", "full/inside"), EINVAL);
    CHECK_ERRNO(rename("full/sub", "full/sub/sub"), EINVAL);
    CHECK_ERRNO(rename("full", "full/sub"), EINVAL);
    /* ...and a descendant cannot replace its ancestor (ENOTEMPTY). */
    CHECK_ERRNO(rename("full/sub", "full"), ENOTEMPTY);
    CHECK_ERRNO(rename(".", "x"), EBUSY);
    CHECK_ERRNO(rename("full/sub/..", "x"), EBUSY);
    CHECK_ERRNO(rename("plain", "."), EBUSY);

    /* Moving a directory updates ".." and the link counts. */
    CHECK_RET(mkdir("p1", 0755), 0);
    CHECK_RET(mkdir("p2", 0755), 0);
    CHECK_RET(mkdir("p1/child", 0755), 0);
    CHECK(stat_ok("p1", &s1) && s1.st_nlink == 3, "p1 nlink %lu", (unsigned long)s1.st_nlink);
    CHECK_RET(rename("p1/child", "p2/child"), 0);
    CHECK(stat_ok("p1", &s1) && s1.st_nlink == 2, "p1 nlink %lu after move",
          (unsigned long)s1.st_nlink);
    CHECK(stat_ok("p2", &s1) && s1.st_nlink == 3, "p2 nlink %lu after move",
          (unsigned long)s1.st_nlink);
    CHECK(stat_ok("p2/child/..", &s2) && same_file(&s1, &s2), "child/.. is not p2");

    /* Trailing slashes: fine on directories, ENOTDIR on anything else. */
    CHECK_RET(rename("p2/child/", "p2/moved/"), 0);
    CHECK_RET(rename("p2/moved", "p2/moved2/"), 0);
    CHECK_RET(rename("p2/moved2/", "p2/moved3"), 0);
    CHECK(stat_ok("p2/moved3", &s1) && S_ISDIR(s1.st_mode), "p2/moved3");
    CHECK_ERRNO(rename("plain/", "plain2"), ENOTDIR);
    CHECK_ERRNO(rename("plain", "plain2/"), ENOTDIR);
    CHECK_ERRNO(rename("missing/", "x"), ENOENT);
    CHECK_RET(access("plain", F_OK), 0);

    /* renameat with directory fds. */
    int d1 = open("p2", O_RDONLY | O_DIRECTORY), d2 = open("full", O_RDONLY | O_DIRECTORY);
    CHECK_RET(renameat(d1, "moved3", d2, "via-at"), 0);
    CHECK(stat_ok("full/via-at", &s1) && S_ISDIR(s1.st_mode), "renameat");
    CHECK_RET(renameat(d2, "via-at", AT_FDCWD, "back"), 0);
    CHECK_RET(access("back", F_OK), 0);
    close(d1);
    close(d2);
}

static void test_renameat2(void)
{
    struct stat s1, s2, s3;
    put_file("n1", 0644, "one");
    put_file("n2", 0644, "two");

    /* RENAME_NOREPLACE. */
    CHECK_ERRNO(renameat2(AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE), EEXIST);
    CHECK_CONTENT("n2", "two");
    CHECK_RET(renameat2(AT_FDCWD, "n1", AT_FDCWD, "n3", RENAME_NOREPLACE), 0);
    CHECK_CONTENT("n3", "one");
    CHECK_RET(symlink("nowhere", "dangling"), 0);
    CHECK_ERRNO(renameat2(AT_FDCWD, "n3", AT_FDCWD, "dangling", RENAME_NOREPLACE), EEXIST);

    /* RENAME_EXCHANGE swaps two names atomically, even a file and a dir. */
    CHECK_RET(stat("n2", &s1), 0);
    CHECK_RET(stat("n3", &s2), 0);
    CHECK_RET(renameat2(AT_FDCWD, "n2", AT_FDCWD, "n3", RENAME_EXCHANGE), 0);
    CHECK_CONTENT("n2", "one");
    CHECK_CONTENT("n3", "two");
    CHECK(stat_ok("n3", &s3) && same_file(&s1, &s3), "exchange moved inodes");
    CHECK_RET(mkdir("xd", 0755), 0);
    put_file("xd/inner", 0644, "inner");
    CHECK_RET(renameat2(AT_FDCWD, "n2", AT_FDCWD, "xd", RENAME_EXCHANGE), 0);
    CHECK_CONTENT("xd", "one");
    CHECK_CONTENT("n2/inner", "inner");
    CHECK_ERRNO(renameat2(AT_FDCWD, "n2", AT_FDCWD, "nonexistent", RENAME_EXCHANGE), ENOENT);
    CHECK_ERRNO(renameat2(AT_FDCWD, "n2", AT_FDCWD, "n3", RENAME_EXCHANGE | RENAME_NOREPLACE),
                EINVAL);
    CHECK_ERRNO(renameat2(AT_FDCWD, "n2", AT_FDCWD, "n3", 0x80000000u), EINVAL);
    /* Exchanging a directory into its own subtree. */
    CHECK_RET(mkdir("n2/deep", 0755), 0);
    CHECK_ERRNO(renameat2(AT_FDCWD, "n2", AT_FDCWD, "n2/deep", RENAME_EXCHANGE), EINVAL);
}

static void test_exdev(void)
{
    struct stat tmp, shm;
    if (stat("/dev/shm", &shm) != 0 || stat(scratch, &tmp) != 0 || tmp.st_dev == shm.st_dev) {
        fprintf(stderr, "fs_rename: /tmp and /dev/shm are not distinct mounts here; "
                        "EXDEV checks skipped\n");
        return;
    }
    char shm_path[64];
    snprintf(shm_path, sizeof shm_path, "/dev/shm/moat-fs_rename.%d", (int)getpid());
    put_file("cross", 0644, "cross");
    CHECK_ERRNO(rename("cross", shm_path), EXDEV);
    CHECK_ERRNO(link("cross", shm_path), EXDEV);
    CHECK_ERRNO(renameat2(AT_FDCWD, "cross", AT_FDCWD, shm_path, RENAME_NOREPLACE), EXDEV);
    CHECK_ERRNO(access(shm_path, F_OK), ENOENT);
    put_file(shm_path, 0644, "in shm");
    CHECK_ERRNO(rename(shm_path, "cross"), EXDEV);
    CHECK_ERRNO(renameat2(AT_FDCWD, shm_path, AT_FDCWD, "cross", RENAME_EXCHANGE), EXDEV);
    CHECK_CONTENT("cross", "cross");
    CHECK_RET(unlink(shm_path), 0);
}

int main(void)
{
    scratch_enter("fs_rename");
    umask(022);
    test_basic();
    test_dirs();
    test_renameat2();
    test_exdev();
    scratch_leave();
    return check_done("fs_rename");
}
