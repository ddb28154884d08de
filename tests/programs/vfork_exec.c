/* vfork and posix_spawn.
 *
 * vfork + execve of a program (this one, in a child mode) and of a missing
 * path (the child's _exit status); the vfork child shares the parent's
 * memory until it execs or exits (its store to a variable is seen by the
 * parent) and the parent is suspended until then. posix_spawn of a missing
 * program returns ENOENT to the parent (glibc's child reports the exec
 * error through memory shared with CLONE_VM | CLONE_VFORK), and of an
 * existing one its exit status; posix_spawnp searches PATH; file actions
 * (open onto stdout, dup2, close) and attributes (a process group, a
 * signal mask, default dispositions) are applied in the child. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

static char self[PATH_MAX];

static int wait_status(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Child modes, run after exec. */
static int child_mode(int argc, char **argv)
{
    if (strcmp(argv[1], "exit") == 0 && argc == 3)
        return atoi(argv[2]);
    if (strcmp(argv[1], "print") == 0 && argc == 3) {
        /* Writes its argument to stdout and reports fd 5 (closed by a file
         * action) and fd 6 (dup2'ed from stdout). */
        int bad = 0;
        if (fcntl(5, F_GETFD) != -1 || errno != EBADF)
            bad |= 1;
        if (write(6, "six:", 4) != 4)
            bad |= 2;
        if (write(1, argv[2], strlen(argv[2])) != (ssize_t)strlen(argv[2]))
            bad |= 4;
        return bad ? 100 + bad : 0;
    }
    if (strcmp(argv[1], "attrs") == 0) {
        /* pgid == pid (SETPGROUP 0), SIGUSR1 blocked (SETSIGMASK), SIGUSR2 at
         * its default (SETSIGDEF, though the parent ignores it). */
        int bad = 0;
        if (getpgrp() != getpid())
            bad |= 1;
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        if (!sigismember(&cur, SIGUSR1))
            bad |= 2;
        struct sigaction sa;
        sigaction(SIGUSR2, NULL, &sa);
        if (sa.sa_handler != SIG_DFL)
            bad |= 4;
        sigaction(SIGHUP, NULL, &sa);
        if (sa.sa_handler != SIG_IGN) /* ignored dispositions are inherited */
            bad |= 8;
        return bad ? 100 + bad : 0;
    }
    return 2;
}

static void test_vfork(void)
{
    /* Exec of a program: its status. */
    char *argv[] = {"vfork_exec", "exit", "17", NULL};
    pid_t pid = vfork();
    REQUIRE(pid >= 0, "vfork: %s", strerror(errno));
    if (pid == 0) {
        execve(self, argv, environ);
        _exit(126);
    }
    CHECK(wait_status(pid) == 17, "vfork + execve: status");

    /* Exec of a missing path: the child's _exit status; its errno store
     * lands in the parent's memory (shared until the child exits). */
    static volatile int child_errno;
    static volatile pid_t child_saw_pid;
    child_errno = 0;
    pid_t parent = getpid();
    pid = vfork();
    REQUIRE(pid >= 0, "vfork: %s", strerror(errno));
    if (pid == 0) {
        child_saw_pid = getpid();
        execve("/nonexistent/moat-vfork-missing", argv, environ);
        child_errno = errno;
        _exit(127);
    }
    /* The parent ran only after the child was done with the memory. */
    CHECK(child_errno == ENOENT, "the vfork child's errno store: %d (memory not shared?)",
          child_errno);
    CHECK(child_saw_pid == pid && pid != parent, "the child's pid %d, vfork returned %d",
          child_saw_pid, pid);
    CHECK(wait_status(pid) == 127, "vfork + missing execve: status");
}

static void test_spawn_basic(void)
{
    pid_t pid = -1;
    char *argv[] = {"vfork_exec", "exit", "23", NULL};
    CHECK_RET(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0);
    CHECK(pid > 0 && wait_status(pid) == 23, "posix_spawn: status");

    /* A missing program: ENOENT comes back to the parent; no child is
     * left to wait for. */
    pid = -1;
    int r = posix_spawn(&pid, "/nonexistent/moat-spawn-missing", NULL, NULL, argv, environ);
    CHECK(r == ENOENT, "posix_spawn of a missing program: %d (%s)", r, strerror(r));
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a child was left behind");

    /* Not executable: EACCES. */
    char dir[] = "/tmp/moat-vfork-exec-XXXXXX";
    REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/noexec", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create %s", path);
    close(fd);
    r = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    CHECK(r == EACCES, "posix_spawn of a non-executable file: %d (%s)", r, strerror(r));
    unlink(path);

    /* posix_spawnp: PATH search (the directory holding this program). */
    char pathenv[PATH_MAX + 64];
    snprintf(pathenv, sizeof(pathenv), "PATH=%s:%.*s", dir, (int)(strrchr(self, '/') - self),
             self);
    char *envp[] = {pathenv, NULL};
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", strchr(pathenv, '=') + 1, 1);
    const char *base = strrchr(self, '/') + 1;
    char *pargv[] = {(char *)base, "exit", "29", NULL};
    pid = -1;
    CHECK_RET(posix_spawnp(&pid, base, NULL, NULL, pargv, envp), 0);
    CHECK(pid > 0 && wait_status(pid) == 29, "posix_spawnp: status");
    r = posix_spawnp(&pid, "moat-no-such-program", NULL, NULL, pargv, envp);
    CHECK(r == ENOENT, "posix_spawnp of a missing name: %d", r);
    if (saved) {
        setenv("PATH", saved, 1);
        free(saved);
    } else {
        unsetenv("PATH");
    }
    rmdir(dir);
}

static void test_spawn_file_actions(void)
{
    char dir[] = "/tmp/moat-vfork-exec-XXXXXX";
    REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    char out[PATH_MAX + 32];
    snprintf(out, sizeof(out), "%s/out", dir);

    /* fd 5 open in the parent (no cloexec), closed in the child. */
    int five = dup2(0, 5);
    REQUIRE(five == 5, "dup2: %s", strerror(errno));

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 6);
    posix_spawn_file_actions_addclose(&fa, 5);
    char *argv[] = {"vfork_exec", "print", "hello spawn", NULL};
    pid_t pid = -1;
    CHECK_RET(posix_spawn(&pid, self, &fa, NULL, argv, environ), 0);
    CHECK(pid > 0 && wait_status(pid) == 0, "posix_spawn with file actions: status");
    posix_spawn_file_actions_destroy(&fa);
    CHECK(fcntl(5, F_GETFD) == 0, "the parent's fd 5 was closed");
    close(5);

    char buf[64] = {0};
    int fd = open(out, O_RDONLY);
    CHECK(fd >= 0, "open %s: %s", out, strerror(errno));
    if (fd >= 0) {
        CHECK(read(fd, buf, sizeof(buf) - 1) == 15, "read");
        close(fd);
    }
    CHECK(strcmp(buf, "six:hello spawn") == 0, "the child's output: '%s'", buf);

    /* A file action that fails: its errno comes back (no child left). */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 3, "/nonexistent/dir/file", O_RDONLY, 0);
    int r = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    CHECK(r == ENOENT, "posix_spawn with a failing open action: %d", r);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a child was left behind");

    unlink(out);
    rmdir(dir);
}

static void test_spawn_attrs(void)
{
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t mask, def;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    posix_spawnattr_setsigmask(&at, &mask);
    sigemptyset(&def);
    sigaddset(&def, SIGUSR2);
    posix_spawnattr_setsigdefault(&at, &def);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    char *argv[] = {"vfork_exec", "attrs", NULL};
    pid_t pid = -1;
    CHECK_RET(posix_spawn(&pid, self, NULL, &at, argv, environ), 0);
    int st = pid > 0 ? wait_status(pid) : -1;
    CHECK(st == 0, "posix_spawn with attributes: status %d", st);
    posix_spawnattr_destroy(&at);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGUSR1), "the child's mask leaked into the parent");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_mode(argc, argv);
    REQUIRE(realpath(argv[0], self), "realpath %s: %s", argv[0], strerror(errno));
    test_vfork();
    test_spawn_basic();
    test_spawn_file_actions();
    test_spawn_attrs();
    return check_done("vfork_exec");
}
