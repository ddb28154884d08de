/* Directories and links: mkdir/rmdir/unlink/link and their errors (EEXIST,
 * ENOTEMPTY, EISDIR, ENOTDIR, EPERM, EINVAL), link counts, an unlinked open
 * file stays readable, and getdents64 lists exactly what was created. */
#include "fs_util.h"

#include <dirent.h>
#include <sys/syscall.h>

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void test_mkdir_rmdir(void)
{
    struct stat st;
    CHECK_RET(mkdir("d", 0755), 0);
    CHECK(stat_ok("d", &st) && S_ISDIR(st.st_mode) && st.st_nlink == 2,
          "new dir mode %o nlink %lu", st.st_mode, (unsigned long)st.st_nlink);
    CHECK_ERRNO(mkdir("d", 0755), EEXIST);
    put_file("f", 0644, "f");
    CHECK_ERRNO(mkdir("f", 0755), EEXIST);
    CHECK_RET(symlink("nowhere", "dangling"), 0);
    CHECK_ERRNO(mkdir("dangling", 0755), EEXIST);
    CHECK_ERRNO(mkdir("no/such", 0755), ENOENT);
    CHECK_ERRNO(mkdir("", 0755), ENOENT);

    /* Subdirectories count in the parent's link count; files do not. */
    CHECK_RET(mkdir("d/s1", 0755), 0);
    CHECK_RET(mkdir("d/s2", 0755), 0);
    put_file("d/file", 0644, "x");
    CHECK(stat_ok("d", &st) && st.st_nlink == 4, "d nlink %lu, want 4",
          (unsigned long)st.st_nlink);

    CHECK_ERRNO(rmdir("d"), ENOTEMPTY);
    CHECK_ERRNO(rmdir("f"), ENOTDIR);
    CHECK_ERRNO(rmdir("missing"), ENOENT);
    CHECK_ERRNO(rmdir("d/s1/."), EINVAL);
    CHECK_ERRNO(rmdir("."), EINVAL);
    CHECK_ERRNO(rmdir("d/s1/.."), ENOTEMPTY);
    CHECK_ERRNO(rmdir("dangling"), ENOTDIR);
    CHECK_RET(rmdir("d/s1"), 0);
    CHECK(stat_ok("d", &st) && st.st_nlink == 3, "d nlink %lu after rmdir, want 3",
          (unsigned long)st.st_nlink);

    /* unlink refuses directories; unlinkat(AT_REMOVEDIR) is rmdir. */
    CHECK_ERRNO(unlink("d/s2"), EISDIR);
    CHECK_ERRNO(unlink("d"), EISDIR);
    CHECK_ERRNO(unlinkat(AT_FDCWD, "d/file", AT_REMOVEDIR), ENOTDIR);
    CHECK_RET(unlinkat(AT_FDCWD, "d/s2", AT_REMOVEDIR), 0);
    CHECK_RET(unlinkat(AT_FDCWD, "d/file", 0), 0);
    CHECK_ERRNO(unlinkat(AT_FDCWD, "d", 0x1), EINVAL);
    CHECK_RET(rmdir("d"), 0);
    CHECK_ERRNO(unlink("missing"), ENOENT);
    CHECK_ERRNO(unlink("f/x"), ENOTDIR);
    CHECK_RET(unlink("dangling"), 0);

    /* Removing a directory that is some process's cwd is allowed. */
    CHECK_RET(mkdir("cwd", 0755), 0);
    CHECK_RET(chdir("cwd"), 0);
    CHECK_RET(rmdir("../cwd"), 0);
    CHECK_RET(chdir(scratch), 0);
}

static void test_links(void)
{
    struct stat st, st2;
    put_file("orig", 0644, "original");
    CHECK(stat_ok("orig", &st) && st.st_nlink == 1, "nlink %lu", (unsigned long)st.st_nlink);
    CHECK_RET(link("orig", "hard"), 0);
    CHECK(stat_ok("orig", &st) && st.st_nlink == 2, "nlink %lu after link",
          (unsigned long)st.st_nlink);
    CHECK(stat_ok("hard", &st2) && same_file(&st, &st2), "hard link is another inode");
    CHECK_CONTENT("hard", "original");

    CHECK_ERRNO(link("orig", "hard"), EEXIST);
    put_file("other", 0644, "");
    CHECK_ERRNO(link("orig", "other"), EEXIST);
    CHECK_ERRNO(link("missing", "x"), ENOENT);
    CHECK_ERRNO(link("orig", "nodir/x"), ENOENT);
    CHECK_RET(mkdir("dir", 0755), 0);
    CHECK_ERRNO(link("dir", "dirlink"), EPERM);
    CHECK_ERRNO(link("orig", "dir"), EEXIST);
    CHECK_ERRNO(link("orig/", "x"), ENOTDIR);

    /* linkat with dirfds and with AT_EMPTY_PATH (root only). */
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    CHECK_RET(linkat(AT_FDCWD, "orig", dfd, "third", 0), 0);
    int ffd = open("orig", O_RDONLY);
    CHECK_RET(linkat(ffd, "", dfd, "fourth", AT_EMPTY_PATH), 0);
    CHECK(stat_ok("orig", &st) && st.st_nlink == 4, "nlink %lu, want 4",
          (unsigned long)st.st_nlink);
    close(ffd);
    close(dfd);

    /* unlink decrements; the data lives while a name or an fd remains. */
    CHECK_RET(unlink("hard"), 0);
    CHECK_RET(unlink("dir/third"), 0);
    CHECK_RET(unlink("dir/fourth"), 0);
    CHECK(stat_ok("orig", &st) && st.st_nlink == 1, "nlink %lu, want 1",
          (unsigned long)st.st_nlink);

    int fd = open("orig", O_RDWR);
    REQUIRE(fd >= 0, "open orig");
    CHECK_RET(unlink("orig"), 0);
    CHECK_ERRNO(access("orig", F_OK), ENOENT);
    CHECK_RET(fstat(fd, &st), 0);
    CHECK(st.st_nlink == 0, "unlinked file nlink %lu", (unsigned long)st.st_nlink);
    char buf[32] = "";
    CHECK_RET(pread(fd, buf, sizeof buf - 1, 0), 8);
    CHECK(strcmp(buf, "original") == 0, "unlinked file reads \"%s\"", buf);
    CHECK_RET(pwrite(fd, "still writable", 14, 0), 14);
    memset(buf, 0, sizeof buf);
    CHECK_RET(pread(fd, buf, sizeof buf - 1, 0), 14);
    CHECK(strcmp(buf, "still writable") == 0, "unlinked file reads \"%s\"", buf);
    /* A new file of the same name is a different file. */
    put_file("orig", 0644, "new");
    struct stat nst;
    CHECK(stat_ok("orig", &nst) && !same_file(&st, &nst), "recreated name reused the inode");
    /* Linking an unlinked file back through AT_EMPTY_PATH is refused. */
    CHECK_ERRNO(linkat(fd, "", AT_FDCWD, "revived", AT_EMPTY_PATH), ENOENT);
    close(fd);
}

/* Reads all entries of DIRFD with getdents64 in chunks of BUFSZ bytes; adds
 * each name (with its d_type) to NAMES/TYPES. Returns the count, or -1. */
static int read_dir(int dirfd, size_t bufsz, char names[][32], unsigned char *types, int max)
{
    char buf[4096];
    int n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, dirfd, buf, bufsz);
        if (r < 0)
            return -1;
        if (r == 0)
            return n;
        for (long off = 0; off < r;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (n < max) {
                snprintf(names[n], 32, "%s", d->d_name);
                types[n] = d->d_type;
            }
            n++;
            off += d->d_reclen;
        }
    }
}

static int find_name(char names[][32], int n, const char *name)
{
    int found = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            if (found >= 0)
                return -2; /* listed twice */
            found = i;
        }
    }
    return found;
}

static void test_getdents(void)
{
    enum { NFILES = 60 };
    CHECK_RET(mkdir("list", 0755), 0);
    char path[64];
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "list/file-%02d", i);
        put_file(path, 0644, "");
    }
    CHECK_RET(mkdir("list/subdir", 0755), 0);
    CHECK_RET(symlink("file-00", "list/link"), 0);
    CHECK_RET(mkfifo("list/fifo", 0644), 0);

    static char names[128][32];
    unsigned char types[128];
    int dfd = open("list", O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0, "open list");
    /* A small buffer makes the listing take many calls. */
    int n = read_dir(dfd, 128, names, types, 128);
    CHECK(n == NFILES + 5, "getdents64 listed %d entries, want %d", n, NFILES + 5);
    if (n > 128)
        n = 128;
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "file-%02d", i);
        int k = find_name(names, n, path);
        CHECK(k >= 0, "%s listed %s", path, k == -2 ? "twice" : "not at all");
        if (k >= 0)
            CHECK(types[k] == DT_REG, "%s d_type %d", path, types[k]);
    }
    const struct {
        const char *name;
        unsigned char type;
    } special[] = {{".", DT_DIR}, {"..", DT_DIR}, {"subdir", DT_DIR},
                   {"link", DT_LNK}, {"fifo", DT_FIFO}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        int k = find_name(names, n, special[i].name);
        CHECK(k >= 0, "%s listed %s", special[i].name, k == -2 ? "twice" : "not at all");
        if (k >= 0)
            CHECK(types[k] == special[i].type, "%s d_type %d, want %d", special[i].name,
                  types[k], special[i].type);
    }
    /* At the end it keeps returning 0. */
    CHECK_RET(syscall(SYS_getdents64, dfd, names, sizeof names), 0);

    /* Rewinding lists everything again; removed names disappear. */
    CHECK_RET(unlink("list/file-07"), 0);
    CHECK_RET(lseek(dfd, 0, SEEK_SET), 0);
    n = read_dir(dfd, 4096, names, types, 128);
    CHECK(n == NFILES + 4, "after unlink and rewind: %d entries, want %d", n, NFILES + 4);
    CHECK(find_name(names, n > 128 ? 128 : n, "file-07") == -1, "file-07 still listed");

    /* Errors: a buffer too small for one entry, a non-directory, a bad fd. */
    CHECK_RET(lseek(dfd, 0, SEEK_SET), 0);
    CHECK_ERRNO(syscall(SYS_getdents64, dfd, names, 8), EINVAL);
    close(dfd);
    int ffd = open("list/file-00", O_RDONLY);
    CHECK_ERRNO(syscall(SYS_getdents64, ffd, names, sizeof names), ENOTDIR);
    close(ffd);
    CHECK_ERRNO(syscall(SYS_getdents64, 999, names, sizeof names), EBADF);

    /* An empty directory lists . and .. only; readdir(3) agrees. */
    CHECK_RET(mkdir("list/subdir/e", 0755), 0);
    DIR *dir = opendir("list/subdir/e");
    REQUIRE(dir != NULL, "opendir");
    int count = 0, dots = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        count++;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            dots++;
    }
    closedir(dir);
    CHECK(count == 2 && dots == 2, "empty dir: %d entries, %d dots", count, dots);

    /* Listing a removed directory that is still open: ENOENT. */
    dfd = open("list/subdir/e", O_RDONLY | O_DIRECTORY);
    CHECK_RET(rmdir("list/subdir/e"), 0);
    CHECK_ERRNO(syscall(SYS_getdents64, dfd, names, sizeof names), ENOENT);
    close(dfd);
}

int main(void)
{
    scratch_enter("fs_dir");
    umask(022);
    test_mkdir_rmdir();
    test_links();
    test_getdents();
    scratch_leave();
    return check_done("fs_dir");
}
