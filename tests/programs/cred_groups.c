/* Supplementary groups: setgroups/getgroups round trips (sorted, with
 * duplicates, up to NGROUPS_MAX), their errors, inheritance by fork, the
 * CAP_SETGID rule, and file permission checks (open, chown) that see the
 * groups. Also setfsgid. Run as root (moat's first process is). */
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define NGROUPS_MAX_LINUX 65536

static long set_groups(int n, const gid_t *g)
{
    return syscall(SYS_setgroups, n, g);
}

static long get_groups(int n, gid_t *g)
{
    return syscall(SYS_getgroups, n, g);
}

static void in_child(void (*fn)(void), const char *what)
{
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        fn();
        _exit(check_failures ? 1 : 0);
    }
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", what, st);
}

static void child_round_trip(void)
{
    const gid_t set[] = {1000, 5, 70000, 5, 0};
    CHECK_RET(set_groups(5, set), 0);
    CHECK_RET(get_groups(0, NULL), 5);
    gid_t got[8];
    memset(got, 0xff, sizeof(got));
    CHECK_RET(get_groups(8, got), 5);
    /* Linux keeps them sorted, duplicates and all. */
    const gid_t sorted[] = {0, 5, 5, 1000, 70000};
    CHECK(memcmp(got, sorted, sizeof(sorted)) == 0, "groups %u %u %u %u %u", got[0], got[1], got[2],
          got[3], got[4]);
    CHECK(got[5] == (gid_t)-1, "wrote past the count");
    CHECK_ERRNO(get_groups(4, got), EINVAL);
    CHECK_ERRNO(get_groups(-1, got), EINVAL);
    CHECK_ERRNO(get_groups(5, (gid_t *)8), EFAULT);
    /* glibc's getgroups is the same call. */
    CHECK_RET(getgroups(8, got), 5);

    /* Errors leave the list alone. */
    CHECK_ERRNO(set_groups(-1, set), EINVAL);
    CHECK_ERRNO(set_groups(NGROUPS_MAX_LINUX + 1, set), EINVAL);
    CHECK_ERRNO(set_groups(2, (gid_t *)8), EFAULT);
    const gid_t bad[] = {3, (gid_t)-1};
    CHECK_ERRNO(set_groups(2, bad), EINVAL);
    CHECK_RET(get_groups(0, NULL), 5);

    /* The biggest list Linux takes. */
    gid_t *big = malloc(NGROUPS_MAX_LINUX * sizeof(gid_t));
    REQUIRE(big, "malloc");
    for (int i = 0; i < NGROUPS_MAX_LINUX; i++)
        big[i] = (gid_t)(NGROUPS_MAX_LINUX - i);
    CHECK_RET(set_groups(NGROUPS_MAX_LINUX, big), 0);
    CHECK_RET(get_groups(0, NULL), NGROUPS_MAX_LINUX);
    memset(big, 0, NGROUPS_MAX_LINUX * sizeof(gid_t));
    CHECK_RET(get_groups(NGROUPS_MAX_LINUX, big), NGROUPS_MAX_LINUX);
    CHECK(big[0] == 1 && big[NGROUPS_MAX_LINUX - 1] == NGROUPS_MAX_LINUX, "big %u..%u", big[0],
          big[NGROUPS_MAX_LINUX - 1]);
    free(big);

    /* Empty. */
    CHECK_RET(set_groups(0, NULL), 0);
    CHECK_RET(get_groups(0, NULL), 0);
    CHECK_RET(get_groups(3, got), 0);
}

static void child_inherit_and_privilege(void)
{
    const gid_t set[] = {42, 7};
    REQUIRE(set_groups(2, set) == 0, "setgroups: %s", strerror(errno));
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        gid_t got[4] = {0};
        int ok = get_groups(4, got) == 2 && got[0] == 7 && got[1] == 42;
        /* The child's change stays its own. */
        const gid_t mine[] = {9};
        ok &= set_groups(1, mine) == 0;
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    gid_t got[4] = {0};
    CHECK_RET(get_groups(4, got), 2);
    CHECK(got[0] == 7 && got[1] == 42, "parent's groups %u %u", got[0], got[1]);
    /* A non-root process (no CAP_SETGID) cannot change them, but keeps
     * them. */
    CHECK_RET(setresuid(1000, 1000, 1000), 0);
    CHECK_ERRNO(set_groups(0, NULL), EPERM);
    CHECK_RET(get_groups(4, got), 2);
}

static char dir[] = "/tmp/cred_groups.XXXXXX";

static void child_permissions(void)
{
    char path[64], mine[64];
    snprintf(path, sizeof(path), "%s/grp-only", dir);
    snprintf(mine, sizeof(mine), "%s/mine", dir);
    /* Readable by group 4242 only. */
    int fd = open(path, O_CREAT | O_WRONLY, 0040);
    REQUIRE(fd >= 0, "create: %s", strerror(errno));
    close(fd);
    REQUIRE(chown(path, 0, 4242) == 0, "chown: %s", strerror(errno));
    REQUIRE(chmod(path, 0040) == 0, "chmod");
    fd = open(mine, O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0, "create: %s", strerror(errno));
    close(fd);
    REQUIRE(chown(mine, 1000, 100) == 0, "chown: %s", strerror(errno));

    const gid_t set[] = {4242, 4243};
    REQUIRE(set_groups(2, set) == 0, "setgroups");
    REQUIRE(setresgid(100, 100, 100) == 0, "setresgid");
    REQUIRE(setresuid(1000, 1000, 1000) == 0, "setresuid");
    /* A supplementary group opens the file... */
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open through a supplementary group: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    CHECK_ERRNO(open(path, O_WRONLY), EACCES);
    CHECK_RET(access(path, R_OK), 0);
    /* ... and an owner may give its file to one of its groups only. */
    CHECK_RET(chown(mine, (uid_t)-1, 4243), 0);
    CHECK_ERRNO(chown(mine, (uid_t)-1, 4244), EPERM);
    /* setfsgid to a non-member: refused (it returns the old one). */
    CHECK_RET(setfsgid(4242), 100);
    CHECK_RET(setfsgid((gid_t)-1), 100);
}

static void child_no_groups(void)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/grp-only", dir);
    REQUIRE(set_groups(0, NULL) == 0, "setgroups");
    REQUIRE(setresgid(100, 100, 100) == 0, "setresgid");
    REQUIRE(setresuid(1000, 1000, 1000) == 0, "setresuid");
    CHECK_ERRNO(open(path, O_RDONLY), EACCES);
}

static void child_setfsgid(void)
{
    /* Root may take any fs gid; setfsgid always returns the old one. */
    CHECK_RET(setfsgid(555), 0);
    CHECK_RET(setfsgid(556), 555);
    CHECK_RET(setfsgid((gid_t)-1), 556);
    CHECK_RET(getegid(), 0);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("ok cred_groups (not root: nothing checked)\n");
        return 0;
    }
    REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    REQUIRE(chmod(dir, 0755) == 0, "chmod");
    in_child(child_round_trip, "round trip");
    in_child(child_inherit_and_privilege, "inheritance and privilege");
    in_child(child_permissions, "permissions");
    in_child(child_no_groups, "no groups");
    in_child(child_setfsgid, "setfsgid");
    char path[64];
    snprintf(path, sizeof(path), "%s/grp-only", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/mine", dir);
    unlink(path);
    rmdir(dir);
    return check_done("cred_groups");
}
