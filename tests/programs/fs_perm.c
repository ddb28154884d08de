/* Permission checks: access/faccessat (with AT_EACCESS) as root and as the
 * unprivileged uid 65534, and EACCES/EPERM from the path walk and from
 * open/mkdir/unlink/chmod/chown/utimensat. The tests run as root; the
 * unprivileged checks run in children that drop to 65534. */
#include "fs_util.h"

#include <sys/sysmacros.h>
#include <time.h>

/* The tree, made by root:
 *   .            0755 (so 65534 can reach the rest)
 *   priv/        0700   priv/file 0644
 *   pub/         0755   pub/ro 0644, pub/rw 0666, pub/none 0000, pub/x 0755
 *   noexec/      0644   (readable, not searchable) noexec/file
 *   wx/          0733   (searchable and writable, not readable)
 *   mine/        0755 owned by 65534   mine/sg0 owned by 65534:0
 *   sticky/      01777  sticky/roots 0666 owned by root */
static void make_tree(void)
{
    CHECK_RET(chmod(".", 0755), 0);
    CHECK_RET(mkdir("priv", 0700), 0);
    put_file("priv/file", 0644, "private");
    CHECK_RET(mkdir("pub", 0755), 0);
    put_file("pub/ro", 0644, "ro");
    put_file("pub/rw", 0666, "rw");
    put_file("pub/none", 0000, "none");
    put_file("pub/x", 0755, "#!/bin/false\n");
    put_file("pub/rx_other", 0705, "");
    CHECK_RET(mkdir("noexec", 0755), 0);
    put_file("noexec/file", 0644, "");
    CHECK_RET(chmod("noexec", 0644), 0);
    CHECK_RET(mkdir("wx", 0733), 0);
    put_file("wx/file", 0644, "wx");
    CHECK_RET(mkdir("mine", 0755), 0);
    CHECK_RET(chown("mine", NOBODY, NOBODY), 0);
    put_file("mine/sg0", 0644, "");
    CHECK_RET(chown("mine/sg0", NOBODY, 0), 0);
    CHECK_RET(mkdir("sticky", 01777), 0);
    put_file("sticky/roots", 0666, "");
}

static void test_root(void)
{
    /* Root passes read and write checks regardless of mode... */
    CHECK_RET(access("pub/none", R_OK | W_OK), 0);
    CHECK_RET(access("priv/file", R_OK | W_OK), 0);
    CHECK_RET(access("noexec/file", F_OK), 0);
    int fd = open("pub/none", O_RDWR);
    CHECK(fd >= 0, "root opening a 0000 file: %s", strerror(errno));
    close(fd);
    /* ...but execute needs at least one x bit on a regular file. */
    CHECK_ERRNO(access("pub/ro", X_OK), EACCES);
    CHECK_ERRNO(access("pub/none", X_OK), EACCES);
    CHECK_RET(access("pub/x", X_OK), 0);
    CHECK_RET(access("pub/rx_other", X_OK), 0);
    CHECK_RET(access("noexec", X_OK), 0);
    CHECK_RET(faccessat(AT_FDCWD, "pub/ro", R_OK, AT_EACCESS), 0);
    CHECK_ERRNO(faccessat(AT_FDCWD, "pub/ro", X_OK, AT_EACCESS), EACCES);
    CHECK_ERRNO(access("missing", F_OK), ENOENT);
    CHECK_ERRNO(access("pub/ro/x", F_OK), ENOTDIR);
    CHECK_ERRNO(access("pub/ro", 0x80), EINVAL);
    CHECK_ERRNO(faccessat(AT_FDCWD, "pub/ro", F_OK, 0x1), EINVAL);
}

static void nobody_checks(void *arg)
{
    (void)arg;
    as_nobody();
    struct stat st;

    /* access with the real (and, here, effective) uid 65534. */
    CHECK_RET(access("pub/ro", R_OK), 0);
    CHECK_ERRNO(access("pub/ro", W_OK), EACCES);
    CHECK_ERRNO(access("pub/ro", X_OK), EACCES);
    CHECK_RET(access("pub/rw", R_OK | W_OK), 0);
    CHECK_ERRNO(access("pub/none", R_OK), EACCES);
    CHECK_RET(access("pub/none", F_OK), 0);
    CHECK_RET(access("pub/x", R_OK | X_OK), 0);
    /* "other" bits apply to 65534. */
    CHECK_RET(access("pub/rx_other", R_OK | X_OK), 0);
    CHECK_RET(faccessat(AT_FDCWD, "pub/ro", R_OK, AT_EACCESS), 0);
    CHECK_ERRNO(faccessat(AT_FDCWD, "pub/ro", W_OK, AT_EACCESS), EACCES);

    /* A 0700 directory of root's: nothing inside can be reached. */
    CHECK_ERRNO(access("priv/file", F_OK), EACCES);
    CHECK_ERRNO(faccessat(AT_FDCWD, "priv/file", F_OK, AT_EACCESS), EACCES);
    CHECK_ERRNO(stat("priv/file", &st), EACCES);
    CHECK_ERRNO(open("priv/file", O_RDONLY), EACCES);
    CHECK_ERRNO(open("priv/new", O_WRONLY | O_CREAT, 0644), EACCES);
    CHECK_ERRNO(open("priv", O_RDONLY), EACCES);
    CHECK_ERRNO(chdir("priv"), EACCES);
    CHECK_ERRNO(stat("priv/missing", &st), EACCES);
    CHECK_RET(stat("priv", &st), 0);
    CHECK_ERRNO(access("priv", R_OK), EACCES);

    /* A readable but not searchable directory. */
    CHECK_RET(access("noexec", R_OK), 0);
    CHECK_ERRNO(stat("noexec/file", &st), EACCES);
    CHECK_ERRNO(chdir("noexec"), EACCES);
    int fd = open("noexec", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "opening a readable directory: %s", strerror(errno));
    close(fd);

    /* A searchable, writable, unreadable directory: names work, listing does not. */
    CHECK_ERRNO(open("wx", O_RDONLY | O_DIRECTORY), EACCES);
    CHECK_CONTENT("wx/file", "wx");
    put_file("wx/nobodys", 0644, "mine");
    CHECK_RET(unlink("wx/nobodys"), 0);

    /* open and friends on root's files. */
    CHECK_ERRNO(open("pub/ro", O_WRONLY), EACCES);
    CHECK_ERRNO(open("pub/ro", O_RDONLY | O_TRUNC), EACCES);
    CHECK_ERRNO(open("pub/none", O_RDONLY), EACCES);
    CHECK_ERRNO(truncate("pub/ro", 0), EACCES);
    fd = open("pub/rw", O_RDWR);
    CHECK(fd >= 0, "open 0666 file: %s", strerror(errno));
    close(fd);
    CHECK_ERRNO(open("pub/new", O_WRONLY | O_CREAT, 0644), EACCES);
    CHECK_ERRNO(mkdir("pub/newdir", 0755), EACCES);
    CHECK_ERRNO(unlink("pub/rw"), EACCES);
    CHECK_ERRNO(rename("pub/rw", "pub/rw2"), EACCES);
    CHECK_ERRNO(rename("pub/rw", "mine/rw"), EACCES);
    CHECK_ERRNO(symlink("x", "pub/link"), EACCES);
    CHECK_ERRNO(rmdir("pub"), EACCES);

    /* Ownership: only the owner may chmod or set times explicitly; nobody
     * may give a file away. */
    CHECK_ERRNO(chmod("pub/rw", 0777), EPERM);
    CHECK_ERRNO(chown("pub/rw", NOBODY, NOBODY), EPERM);
    struct timespec ts[2] = {{1, 0}, {2, 0}};
    CHECK_ERRNO(utimensat(AT_FDCWD, "pub/rw", ts, 0), EPERM);
    /* ...but a writer may set both times to now. */
    CHECK_RET(utimensat(AT_FDCWD, "pub/rw", NULL, 0), 0);
    CHECK_ERRNO(utimensat(AT_FDCWD, "pub/ro", NULL, 0), EACCES);

    /* In its own directory 65534 can do everything. */
    put_file("mine/f", 0600, "own");
    CHECK(stat_ok("mine/f", &st) && st.st_uid == NOBODY && st.st_gid == NOBODY,
          "new file owned by %u:%u", st.st_uid, st.st_gid);
    CHECK_RET(chmod("mine/f", 0000), 0);
    CHECK_ERRNO(open("mine/f", O_RDONLY), EACCES);
    CHECK_RET(chmod("mine/f", 0600), 0);
    CHECK_ERRNO(chown("mine/f", 0, -1), EPERM);
    CHECK_ERRNO(chown("mine/f", -1, 0), EPERM);
    CHECK_RET(chown("mine/f", NOBODY, NOBODY), 0);
    CHECK_RET(utimensat(AT_FDCWD, "mine/f", ts, 0), 0);
    CHECK_RET(rename("mine/f", "mine/g"), 0);
    CHECK_RET(unlink("mine/g"), 0);
    /* chmod g+s: kept in its own group, silently dropped in another. */
    CHECK_RET(chmod("mine/sg0", 02755), 0);
    CHECK(stat_ok("mine/sg0", &st) && (st.st_mode & 07777) == 0755,
          "g+s in a foreign group: %o, want 0755", st.st_mode & 07777);
    put_file("mine/sg", 0644, "");
    CHECK_RET(chown("mine/sg", -1, NOBODY), 0);
    CHECK_RET(chmod("mine/sg", 02755), 0);
    CHECK(stat_ok("mine/sg", &st) && (st.st_mode & 07777) == 02755, "g+s in own group: %o",
          st.st_mode & 07777);

    /* A sticky directory: others' files cannot be removed or renamed. */
    put_file("sticky/nobodys", 0644, "");
    CHECK_ERRNO(unlink("sticky/roots"), EPERM);
    CHECK_ERRNO(rename("sticky/roots", "sticky/r2"), EPERM);
    CHECK_RET(unlink("sticky/nobodys"), 0);
    /* ...but can be written when their mode allows. */
    fd = open("sticky/roots", O_WRONLY);
    CHECK(fd >= 0, "writing root's 0666 file in a sticky dir: %s", strerror(errno));
    close(fd);

    /* Privileged calls. */
    CHECK_ERRNO(chroot("mine"), EPERM);
    CHECK_ERRNO(mknod("mine/null", S_IFCHR | 0666, makedev(1, 3)), EPERM);
}

/* Real uid 65534, effective uid 0: access uses the real ids (and so fails),
 * faccessat(AT_EACCESS) uses the effective ones (and so succeeds). */
static void eaccess_checks(void *arg)
{
    (void)arg;
    REQUIRE(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
    REQUIRE(setresgid(NOBODY, 0, 0) == 0, "setresgid: %s", strerror(errno));
    REQUIRE(setresuid(NOBODY, 0, 0) == 0, "setresuid: %s", strerror(errno));
    CHECK_ERRNO(access("priv/file", R_OK), EACCES);
    CHECK_RET(faccessat(AT_FDCWD, "priv/file", R_OK, AT_EACCESS), 0);
    CHECK_ERRNO(access("pub/ro", W_OK), EACCES);
    CHECK_RET(faccessat(AT_FDCWD, "pub/ro", W_OK, AT_EACCESS), 0);
    /* The effective uid is what open uses. */
    int fd = open("priv/file", O_RDONLY);
    CHECK(fd >= 0, "open with euid 0: %s", strerror(errno));
    close(fd);
}

int main(void)
{
    scratch_enter("fs_perm");
    umask(0);
    make_tree();
    test_root();
    CHECK_CHILD(nobody_checks, NULL);
    CHECK_CHILD(eaccess_checks, NULL);
    scratch_leave();
    return check_done("fs_perm");
}
