/* Helpers for the filesystem behaviour programs (fs_*.c).
 *
 * Each program works in its own scratch directory, made with mkdtemp under
 * /tmp and removed at the end, so runs never collide (natively the tests run
 * in parallel as root). scratch_enter() makes it and chdirs into it, so the
 * checks use short relative paths; scratch_leave() goes back to / and removes
 * the whole tree.
 *
 * Checks that need another process or other credentials run in a forked
 * child (in_child): the child's CHECK failures become its exit status, which
 * the parent checks. as_nobody() drops to uid/gid 65534 with no supplementary
 * groups, for the EACCES cases (the tests run as root). */
#pragma once

#include "check.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static char scratch[PATH_MAX];

static inline void scratch_enter(const char *name)
{
    snprintf(scratch, sizeof scratch, "/tmp/moat-%s.XXXXXX", name);
    REQUIRE(mkdtemp(scratch) != NULL, "mkdtemp %s: %s", scratch, strerror(errno));
    REQUIRE(chdir(scratch) == 0, "chdir %s: %s", scratch, strerror(errno));
}

static int scratch_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = type == FTW_DP ? rmdir(path) : unlink(path);
    if (r != 0)
        fprintf(stderr, "scratch cleanup: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

static inline void scratch_leave(void)
{
    CHECK(chdir("/") == 0, "chdir /: %s", strerror(errno));
    /* Directories made unsearchable by a test must not stop the cleanup. */
    chmod(scratch, 0700);
    nftw(scratch, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    struct stat st;
    CHECK(lstat(scratch, &st) == -1 && errno == ENOENT, "scratch %s still exists", scratch);
}

/* Creates (or truncates) PATH with MODE and writes the string DATA. */
static inline void put_file(const char *path, mode_t mode, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
    size_t n = strlen(data);
    REQUIRE(write(fd, data, n) == (ssize_t)n, "write %s: %s", path, strerror(errno));
    REQUIRE(close(fd) == 0, "close %s: %s", path, strerror(errno));
}

/* Reads at most SIZE-1 bytes of PATH into BUF, NUL-terminated. Returns the
 * byte count, or -1 with errno set. */
static inline ssize_t get_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < size) {
        ssize_t r = read(fd, buf + got, size - 1 - got);
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

/* The file's content must be exactly WANT. */
#define CHECK_CONTENT(path, want)                                                \
    do {                                                                         \
        char cc_buf_[4096];                                                      \
        ssize_t cc_n_ = get_file((path), cc_buf_, sizeof cc_buf_);               \
        CHECK(cc_n_ >= 0 && strcmp(cc_buf_, (want)) == 0,                        \
              "content of %s: got %zd \"%s\" (%s), want \"%s\"", (path), cc_n_,  \
              cc_n_ >= 0 ? cc_buf_ : "", cc_n_ >= 0 ? "ok" : strerror(errno),    \
              (want));                                                           \
    } while (0)

/* The two stat results name the same file. */
static inline int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static inline int stat_ok(const char *path, struct stat *st)
{
    return stat(path, st) == 0;
}

/* Runs FN in a forked child and returns its wait status as an exit code
 * (128+N when killed by signal N). The child exits 1 if any CHECK failed. */
static inline int in_child(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        check_failures = 0;
        fn(arg);
        fflush(stderr);
        _exit(check_failures ? 1 : 0);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Runs FN in a child; the child's checks must all pass. */
#define CHECK_CHILD(fn, arg)                                                     \
    do {                                                                         \
        int cc_st_ = in_child((fn), (arg));                                      \
        CHECK(cc_st_ == 0, "child %s exited with status %d", #fn, cc_st_);       \
    } while (0)

/* In a child: become uid/gid 65534 with no supplementary groups. */
static inline void as_nobody(void)
{
    REQUIRE(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
    REQUIRE(setresgid(NOBODY, NOBODY, NOBODY) == 0, "setresgid: %s", strerror(errno));
    REQUIRE(setresuid(NOBODY, NOBODY, NOBODY) == 0, "setresuid: %s", strerror(errno));
    REQUIRE(geteuid() == NOBODY && getegid() == NOBODY, "still privileged");
}
