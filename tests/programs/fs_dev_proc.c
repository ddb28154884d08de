/* /dev and /proc: the null, zero, full, random and urandom devices (types,
 * numbers, read and write behaviour), /dev/fd, and /proc/self (the symlink
 * itself, exe, cwd, fd/, status, maps, cmdline, stat). */
#include "fs_util.h"

#include <sys/sysmacros.h>

/* The program's absolute path, from argv[0] and the starting cwd. */
static char exe_path[PATH_MAX + 8];

static void check_chardev(const char *path, unsigned maj, unsigned min)
{
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == maj &&
              minor(st.st_rdev) == min && (st.st_mode & 0666) == 0666,
          "%s: mode %o rdev %u:%u, want a 0666 char device %u:%u", path, st.st_mode,
          major(st.st_rdev), minor(st.st_rdev), maj, min);
}

static void test_dev(void)
{
    check_chardev("/dev/null", 1, 3);
    check_chardev("/dev/zero", 1, 5);
    check_chardev("/dev/full", 1, 7);
    check_chardev("/dev/random", 1, 8);
    check_chardev("/dev/urandom", 1, 9);

    char buf[4096];
    int fd = open("/dev/null", O_RDWR);
    REQUIRE(fd >= 0, "open /dev/null: %s", strerror(errno));
    CHECK_RET(read(fd, buf, sizeof buf), 0);
    CHECK_RET(write(fd, buf, sizeof buf), (long)sizeof buf);
    CHECK_RET(lseek(fd, 100, SEEK_SET), 0);
    close(fd);

    fd = open("/dev/zero", O_RDWR);
    REQUIRE(fd >= 0, "open /dev/zero: %s", strerror(errno));
    memset(buf, 'x', sizeof buf);
    CHECK_RET(read(fd, buf, sizeof buf), (long)sizeof buf);
    int zeros = 1;
    for (size_t i = 0; i < sizeof buf; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros, "/dev/zero gave non-zero bytes");
    CHECK_RET(write(fd, "x", 1), 1);
    close(fd);

    fd = open("/dev/full", O_RDWR);
    REQUIRE(fd >= 0, "open /dev/full: %s", strerror(errno));
    CHECK_ERRNO(write(fd, "x", 1), ENOSPC);
    memset(buf, 'x', 16);
    CHECK_RET(read(fd, buf, 16), 16);
    CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0, "/dev/full reads non-zero");
    close(fd);

    /* Random devices: two reads differ and are not all zero. */
    const char *rnd[] = {"/dev/urandom", "/dev/random"};
    for (int k = 0; k < 2; k++) {
        unsigned char a[64] = {0}, b[64] = {0};
        fd = open(rnd[k], O_RDONLY);
        REQUIRE(fd >= 0, "open %s: %s", rnd[k], strerror(errno));
        CHECK_RET(read(fd, a, sizeof a), 64);
        CHECK_RET(read(fd, b, sizeof b), 64);
        int nonzero = 0;
        for (int i = 0; i < 64; i++)
            nonzero += a[i] != 0;
        CHECK(nonzero > 32 && memcmp(a, b, 64) != 0, "%s does not look random", rnd[k]);
        close(fd);
    }

    /* Device files are not directories. */
    struct stat st;
    CHECK_ERRNO(stat("/dev/null/x", &st), ENOTDIR);
    CHECK_ERRNO(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERRNO(stat("/dev/no-such-device", &st), ENOENT);

    /* /dev/fd/N reopens an open file. */
    char fdpath[32];
    int ffd = open(scratch, O_RDONLY | O_DIRECTORY);
    snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", ffd);
    struct stat a, b;
    CHECK(stat(fdpath, &a) == 0 && stat(scratch, &b) == 0 && same_file(&a, &b),
          "%s is not the scratch dir", fdpath);
    close(ffd);
}

static void read_proc(const char *path, char *buf, size_t size)
{
    ssize_t n = get_file(path, buf, size);
    CHECK(n > 0, "read %s: %zd (%s)", path, n, n < 0 ? strerror(errno) : "empty");
    if (n < 0)
        buf[0] = '\0';
}

static void test_proc_self(const char *argv0)
{
    char buf[65536], want[PATH_MAX + 64];

    /* /proc/self is a symlink to our pid. */
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(want, sizeof want, "%d", (int)getpid());
    CHECK(strcmp(buf, want) == 0, "/proc/self -> %s, want %s", buf, want);
    struct stat a, b;
    snprintf(want, sizeof want, "/proc/%d", (int)getpid());
    CHECK(stat("/proc/self", &a) == 0 && stat(want, &b) == 0 && same_file(&a, &b),
          "/proc/self is not %s", want);

    /* exe: the program's absolute path. */
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strcmp(buf, exe_path) == 0, "/proc/self/exe -> %s, want %s", buf, exe_path);
    CHECK(stat("/proc/self/exe", &a) == 0 && stat(exe_path, &b) == 0 && same_file(&a, &b),
          "/proc/self/exe is not the program file");

    /* cwd follows chdir. */
    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strcmp(buf, scratch) == 0, "/proc/self/cwd -> %s, want %s", buf, scratch);
    n = readlink("/proc/self/root", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strcmp(buf, "/") == 0, "/proc/self/root -> %s", buf);

    /* fd/N: the path of an open file; reopening it gives the same file;
     * after unlink the link says "(deleted)". */
    put_file("opened", 0644, "opened");
    int fd = open("opened", O_RDONLY);
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    n = readlink(fdpath, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(want, sizeof want, "%s/opened", scratch);
    CHECK(strcmp(buf, want) == 0, "%s -> %s, want %s", fdpath, buf, want);
    int fd2 = open(fdpath, O_RDONLY);
    CHECK(fd2 >= 0 && fstat(fd2, &a) == 0 && fstat(fd, &b) == 0 && same_file(&a, &b),
          "reopening %s", fdpath);
    close(fd2);
    CHECK_RET(unlink("opened"), 0);
    n = readlink(fdpath, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(want, sizeof want, "%s/opened (deleted)", scratch);
    CHECK(strcmp(buf, want) == 0, "%s -> %s, want %s", fdpath, buf, want);
    /* The link to a pipe names it. */
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", p[0]);
    n = readlink(fdpath, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strncmp(buf, "pipe:[", 6) == 0, "%s -> %s, want pipe:[...]", fdpath, buf);
    /* The fd directory lists exactly the open descriptors. */
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    CHECK_RET(access(fdpath, F_OK), 0);
    close(fd);
    CHECK_ERRNO(access(fdpath, F_OK), ENOENT);
    close(p[0]);
    close(p[1]);

    /* status: Name, Pid and PPid lines. */
    read_proc("/proc/self/status", buf, sizeof buf);
    snprintf(want, sizeof want, "\nPid:\t%d\n", (int)getpid());
    CHECK(strstr(buf, want) != NULL, "/proc/self/status lacks \"Pid:\\t%d\"", (int)getpid());
    snprintf(want, sizeof want, "\nPPid:\t%d\n", (int)getppid());
    CHECK(strstr(buf, want) != NULL, "/proc/self/status lacks \"PPid:\\t%d\"",
          (int)getppid());
    CHECK(strncmp(buf, "Name:\tfs_dev_proc\n", 18) == 0, "status starts \"%.20s\"", buf);

    /* maps: the stack, and the program's own file. */
    read_proc("/proc/self/maps", buf, sizeof buf);
    CHECK(strstr(buf, "[stack]\n") != NULL, "/proc/self/maps lacks [stack]");
    n = readlink("/proc/self/exe", want, sizeof want - 1);
    want[n > 0 ? n : 0] = '\0';
    CHECK(n > 0 && strstr(buf, want) != NULL, "/proc/self/maps lacks %s", want);
    CHECK(strstr(buf, " r-xp ") != NULL, "/proc/self/maps has no r-xp mapping");

    /* cmdline: the arguments, NUL-terminated. */
    fd = open("/proc/self/cmdline", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    close(fd);
    CHECK(n == (ssize_t)strlen(argv0) + 1 + 4 && strcmp(buf, argv0) == 0 &&
              memcmp(buf + strlen(argv0) + 1, "arg\0", 4) == 0,
          "/proc/self/cmdline: %zd bytes \"%s\"", n, buf);

    /* stat: "PID (COMM) STATE PPID ...". */
    read_proc("/proc/self/stat", buf, sizeof buf);
    snprintf(want, sizeof want, "%d (fs_dev_proc) R %d ", (int)getpid(), (int)getppid());
    CHECK(strncmp(buf, want, strlen(want)) == 0, "/proc/self/stat: \"%.40s\", want \"%s\"",
          buf, want);

    /* A pid that does not exist. */
    CHECK_ERRNO(stat("/proc/999999999", &a), ENOENT);
}

int main(int argc, char **argv)
{
    REQUIRE(argc == 2 && strcmp(argv[1], "arg") == 0, "usage: fs_dev_proc arg");
    if (argv[0][0] == '/') {
        snprintf(exe_path, sizeof exe_path, "%s", argv[0]);
    } else {
        char cwd[PATH_MAX];
        REQUIRE(getcwd(cwd, sizeof cwd) != NULL, "getcwd: %s", strerror(errno));
        const char *rel = strncmp(argv[0], "./", 2) == 0 ? argv[0] + 2 : argv[0];
        REQUIRE(strlen(cwd) + strlen(rel) + 2 <= sizeof exe_path, "path too long");
        strcpy(exe_path, strcmp(cwd, "/") ? cwd : "");
        strcat(exe_path, "/");
        strcat(exe_path, rel);
    }
    scratch_enter("fs_dev_proc");
    test_dev();
    test_proc_self(argv[0]);
    scratch_leave();
    return check_done("fs_dev_proc");
}
