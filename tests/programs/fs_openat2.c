/* openat2: the open_how checks (size, unknown bits, mode without O_CREAT),
 * RESOLVE_BENEATH (escapes by "..", absolute paths or symlinks are EXDEV),
 * RESOLVE_NO_SYMLINKS (ELOOP), RESOLVE_IN_ROOT (".." and absolute symlinks
 * stay inside), RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV. */
#include "fs_util.h"

#include <linux/openat2.h>
#include <sys/syscall.h>

static long do_openat2(int dirfd, const char *path, __u64 flags, __u64 mode, __u64 resolve)
{
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* openat2 must succeed and give the file that PATH (relative to the scratch
 * dir) names. */
#define CHECK_OPENS(dirfd, p, resolve, want_path)                                \
    do {                                                                         \
        long co_fd_ = do_openat2((dirfd), (p), O_RDONLY, 0, (resolve));          \
        struct stat co_a_, co_b_;                                                \
        CHECK(co_fd_ >= 0 && fstat((int)co_fd_, &co_a_) == 0 &&                  \
                  stat((want_path), &co_b_) == 0 && same_file(&co_a_, &co_b_),   \
              "openat2(%s, %s): fd %ld (%s), want the file %s", #resolve, (p),   \
              co_fd_, co_fd_ < 0 ? strerror(errno) : "wrong file", (want_path)); \
        if (co_fd_ >= 0)                                                         \
            close((int)co_fd_);                                                  \
    } while (0)

static void test_how(int root)
{
    struct open_how how = {.flags = O_RDONLY};
    CHECK_ERRNO(syscall(SYS_openat2, root, "file", &how, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_openat2, root, "file", NULL, sizeof how), EFAULT);
    /* A larger struct is fine if the extra bytes are zero... */
    struct {
        struct open_how how;
        __u64 extra;
    } big = {{.flags = O_RDONLY}, 0};
    long fd = syscall(SYS_openat2, root, "file", &big, sizeof big);
    CHECK(fd >= 0, "openat2 with a larger zeroed struct: %s", strerror(errno));
    if (fd >= 0)
        close((int)fd);
    /* ...and E2BIG if not. */
    big.extra = 1;
    CHECK_ERRNO(syscall(SYS_openat2, root, "file", &big, sizeof big), E2BIG);
    CHECK_ERRNO(do_openat2(root, "file", O_RDONLY, 0, 0x1000000), EINVAL);
    CHECK_ERRNO(do_openat2(root, "file", O_RDONLY, 0644, 0), EINVAL);
    CHECK_ERRNO(do_openat2(root, "file", 1ULL << 40, 0, 0), EINVAL);
    CHECK_ERRNO(do_openat2(root, "file", O_RDONLY, 0,
                           RESOLVE_BENEATH | RESOLVE_IN_ROOT),
                EINVAL);
    fd = do_openat2(root, "created", O_WRONLY | O_CREAT | O_EXCL, 0600, 0);
    CHECK(fd >= 0, "openat2 O_CREAT: %s", strerror(errno));
    if (fd >= 0)
        close((int)fd);
    struct stat st;
    CHECK(stat_ok("root/created", &st) && (st.st_mode & 0777) == 0600,
          "openat2 created mode %o", st.st_mode & 0777);
    /* Plain openat2 behaves like openat. */
    CHECK_OPENS(root, "sub/../file", 0, "root/file");
    CHECK_OPENS(root, "../outside", 0, "outside");
    CHECK_ERRNO(do_openat2(root, "missing", O_RDONLY, 0, 0), ENOENT);
}

static void test_beneath(int root)
{
    CHECK_OPENS(root, "file", RESOLVE_BENEATH, "root/file");
    CHECK_OPENS(root, "sub/../file", RESOLVE_BENEATH, "root/file");
    CHECK_OPENS(root, "sub/rel-in", RESOLVE_BENEATH, "root/file");
    CHECK_OPENS(root, ".", RESOLVE_BENEATH, "root");
    CHECK_ERRNO(do_openat2(root, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "../outside", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "sub/../../outside", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "sub/../../root/file", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "abs-link", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    CHECK_ERRNO(do_openat2(root, "sub/rel-out", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    /* O_CREAT is refused before anything is created outside. */
    CHECK_ERRNO(do_openat2(root, "../escaped", O_WRONLY | O_CREAT, 0644, RESOLVE_BENEATH),
                EXDEV);
    CHECK_ERRNO(access("escaped", F_OK), ENOENT);
    /* With AT_FDCWD the cwd is the boundary. */
    CHECK_OPENS(AT_FDCWD, "root/file", RESOLVE_BENEATH, "root/file");
    CHECK_ERRNO(do_openat2(AT_FDCWD, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
}

static void test_no_symlinks(int root)
{
    CHECK_OPENS(root, "sub/../file", RESOLVE_NO_SYMLINKS, "root/file");
    CHECK_ERRNO(do_openat2(root, "sub/rel-in", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
    CHECK_ERRNO(do_openat2(root, "link-sub/inner", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
    CHECK_OPENS(root, "link-sub/inner", 0, "root/sub/inner");
    /* O_PATH|O_NOFOLLOW may open a final symlink itself. */
    long fd = do_openat2(root, "sub/rel-in", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
    CHECK(fd >= 0, "O_PATH|O_NOFOLLOW on a final symlink: %s", strerror(errno));
    if (fd >= 0)
        close((int)fd);
}

static void test_in_root(int root)
{
    CHECK_OPENS(root, "file", RESOLVE_IN_ROOT, "root/file");
    CHECK_OPENS(root, "..", RESOLVE_IN_ROOT, "root");
    CHECK_OPENS(root, "../../../file", RESOLVE_IN_ROOT, "root/file");
    CHECK_OPENS(root, "sub/../../file", RESOLVE_IN_ROOT, "root/file");
    CHECK_OPENS(root, "/file", RESOLVE_IN_ROOT, "root/file");
    CHECK_OPENS(root, "/", RESOLVE_IN_ROOT, "root");
    /* Symlinks are resolved as if root were "/". */
    CHECK_OPENS(root, "abs-link", RESOLVE_IN_ROOT, "root/file");
    CHECK_OPENS(root, "sub/rel-out", RESOLVE_IN_ROOT, "root/outside");
    CHECK_OPENS(root, "sub/dotdot-link/file", RESOLVE_IN_ROOT, "root/file");
    /* "outside" exists only outside the root: the escape finds nothing. */
    CHECK_OPENS(AT_FDCWD, "outside", 0, "outside");
    CHECK_ERRNO(do_openat2(root, "../outside-only", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
    CHECK_ERRNO(do_openat2(root, "to-outside-only", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
    CHECK_OPENS(root, "to-outside-only", 0, "outside-only");
}

static void test_magic_xdev(int root)
{
    int fd = openat(root, "file", O_RDONLY);
    REQUIRE(fd >= 0, "open root/file");
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    CHECK_OPENS(AT_FDCWD, proc, 0, "root/file");
    CHECK_ERRNO(do_openat2(AT_FDCWD, proc, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
    CHECK_ERRNO(do_openat2(AT_FDCWD, proc, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
    close(fd);

    /* RESOLVE_NO_XDEV: crossing into another mount is EXDEV. */
    struct stat s1, s2;
    if (stat("/", &s1) == 0 && stat("/proc", &s2) == 0 && s1.st_dev != s2.st_dev) {
        int slash = open("/", O_RDONLY | O_DIRECTORY);
        CHECK_ERRNO(do_openat2(slash, "proc/self", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
        CHECK_ERRNO(do_openat2(AT_FDCWD, "/proc", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
        close(slash);
    } else {
        fprintf(stderr, "fs_openat2: / and /proc are not distinct mounts; "
                        "RESOLVE_NO_XDEV check skipped\n");
    }
    CHECK_OPENS(root, "sub/../file", RESOLVE_NO_XDEV, "root/file");
}

int main(void)
{
    scratch_enter("fs_openat2");
    umask(022);
    /* scratch/outside, scratch/outside-only, scratch/root/{file, outside,
     * sub/inner, sub/rel-in -> ../file, sub/rel-out -> ../../outside,
     * sub/dotdot-link -> ../.., abs-link -> /file, link-sub -> sub,
     * to-outside-only -> ../outside-only} */
    put_file("outside", 0644, "outside");
    put_file("outside-only", 0644, "outside only");
    CHECK_RET(mkdir("root", 0755), 0);
    put_file("root/file", 0644, "file");
    put_file("root/outside", 0644, "the root's own outside");
    CHECK_RET(mkdir("root/sub", 0755), 0);
    put_file("root/sub/inner", 0644, "inner");
    CHECK_RET(symlink("../file", "root/sub/rel-in"), 0);
    CHECK_RET(symlink("../../outside", "root/sub/rel-out"), 0);
    CHECK_RET(symlink("../..", "root/sub/dotdot-link"), 0);
    CHECK_RET(symlink("/file", "root/abs-link"), 0);
    CHECK_RET(symlink("sub", "root/link-sub"), 0);
    CHECK_RET(symlink("../outside-only", "root/to-outside-only"), 0);

    int root = open("root", O_RDONLY | O_DIRECTORY);
    REQUIRE(root >= 0, "open root");
    test_how(root);
    test_beneath(root);
    test_no_symlinks(root);
    test_in_root(root);
    test_magic_xdev(root);
    close(root);
    scratch_leave();
    return check_done("fs_openat2");
}
