/* execve of #! scripts beyond proc_exec's single level: nested scripts
 * (a script whose interpreter is a script, up to Linux's limit of 5 script
 * levels; a 6th gives ELOOP), each level's interpreter argument and path
 * inserted before the script's; an interpreter named relative to the cwd;
 * a #! line without a newline; execveat(AT_EMPTY_PATH) of a script fd
 * (the script's name becomes /dev/fd/N); a script without #! (ENOEXEC from
 * execve, run by /bin/sh through glibc's execvp). The final interpreter is
 * this program (exec_script argv ...), which checks its argv against the
 * EXPECT environment variable (the arguments joined with '|'). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Room for a joined argv of up to 8 paths. */
#define WANT_SIZE (8 * PATH_MAX + 256)

static char self[PATH_MAX];
static char dir[] = "/tmp/moat-exec-script-XXXXXX";

/* Mode "argv": argv joined with '|' must equal $EXPECT. */
static int argv_mode(int argc, char **argv)
{
    char got[WANT_SIZE] = "";
    for (int i = 0; i < argc; i++) {
        if (i)
            strncat(got, "|", sizeof(got) - strlen(got) - 1);
        strncat(got, argv[i], sizeof(got) - strlen(got) - 1);
    }
    const char *want = getenv("EXPECT");
    if (!want || strcmp(got, want) != 0) {
        fprintf(stderr, "exec_script argv: got  '%s'\n", got);
        fprintf(stderr, "exec_script argv: want '%s'\n", want ? want : "(no EXPECT)");
        return 1;
    }
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
    REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
    close(fd);
    chmod(path, mode);
}

/* Runs PATH with ARGV in a child (execve, or execvp when VP), with
 * EXPECT=WANT in the environment; returns the exit status, 200 + errno
 * when the exec itself failed. */
static int run(const char *path, char **argv, const char *want, int vp)
{
    char env_expect[WANT_SIZE + 16];
    snprintf(env_expect, sizeof(env_expect), "EXPECT=%s", want);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (vp) {
            setenv("EXPECT", want, 1);
            setenv("PATH", dir, 1);
            execvp(path, argv);
        } else {
            char *envp[] = {env_expect, NULL};
            execve(path, argv, envp);
        }
        _exit(200 + errno);
    }
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Script level N (1..6): level 1 runs this program, level N > 1 runs
 * level N-1 with the argument "aN-1". */
static void make_levels(void)
{
    char path[PATH_MAX + 32], text[PATH_MAX + 64];
    for (int n = 1; n <= 6; n++) {
        snprintf(path, sizeof(path), "%s/level%d", dir, n);
        if (n == 1)
            snprintf(text, sizeof(text), "#!%s argv\n", self);
        else
            snprintf(text, sizeof(text), "#!%s/level%d a%d\necho not a shell\n", dir, n - 1,
                     n - 1);
        write_file(path, text, 0755);
    }
}

static void test_nested(void)
{
    char path[PATH_MAX + 32], want[WANT_SIZE];
    for (int n = 1; n <= 5; n++) {
        /* {self, "argv", dir/level1, "a1", dir/level2, ..., dir/levelN, "x", "y"} */
        snprintf(path, sizeof(path), "%s/level%d", dir, n);
        snprintf(want, sizeof(want), "%s|argv", self);
        for (int k = 1; k <= n; k++) {
            size_t len = strlen(want);
            if (k < n)
                snprintf(want + len, sizeof(want) - len, "|%s/level%d|a%d", dir, k, k);
            else
                snprintf(want + len, sizeof(want) - len, "|%s|x|y", path);
        }
        char *argv[] = {"ignored-argv0", "x", "y", NULL};
        int st = run(path, argv, want, 0);
        CHECK(st == 0, "%d nested script levels: status %d", n, st);
    }
    /* A sixth level is too deep: the exec fails with ELOOP. */
    snprintf(path, sizeof(path), "%s/level6", dir);
    char *argv[] = {"level6", NULL};
    int st = run(path, argv, "", 0);
    CHECK(st == 200 + ELOOP, "6 nested script levels: status %d, want %d (ELOOP)", st,
          200 + ELOOP);
}

static void test_relative_interpreter(void)
{
    char path[PATH_MAX + 32], want[WANT_SIZE];
    /* "#!level1" names dir/level1 relative to the cwd at exec time. */
    snprintf(path, sizeof(path), "%s/relative", dir);
    write_file(path, "#!level1 rel", 0755); /* and no newline at all */
    char cwd[PATH_MAX];
    REQUIRE(getcwd(cwd, sizeof(cwd)), "getcwd");
    REQUIRE(chdir(dir) == 0, "chdir");
    snprintf(want, sizeof(want), "%s|argv|level1|rel|./relative", self);
    char *argv[] = {"relative", NULL};
    int st = run("./relative", argv, want, 0);
    CHECK(st == 0, "relative interpreter: status %d", st);
    REQUIRE(chdir(cwd) == 0, "chdir back");
    unlink(path);
}

static void test_execveat_fd(void)
{
    char path[PATH_MAX + 32], want[WANT_SIZE];
    snprintf(path, sizeof(path), "%s/level1", dir);
    int fd = open(path, O_RDONLY);
    REQUIRE(fd >= 0, "open %s", path);
    snprintf(want, sizeof(want), "%s|argv|/dev/fd/%d|x", self, fd);
    char env_expect[WANT_SIZE + 16];
    snprintf(env_expect, sizeof(env_expect), "EXPECT=%s", want);
    char *argv[] = {"by-fd", "x", NULL};
    char *envp[] = {env_expect, NULL};
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        _exit(200 + errno);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execveat of a script fd: status %#x", st);

    /* A close-on-exec fd: the interpreter could not open /dev/fd/N, so
     * the exec fails with ENOENT. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    CHECK_ERRNO(syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH), ENOENT);
    close(fd);
}

static void test_no_shebang(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/plain", dir);
    write_file(path, "exit 37\n", 0755);
    char *argv[] = {"plain", NULL};
    CHECK_ERRNO(execve(path, argv, NULL), ENOEXEC);
    /* execvp runs it with /bin/sh. */
    int st = run("plain", argv, "", 1);
    CHECK(st == 37, "execvp of a script without #!: status %d", st);
    unlink(path);

    /* An interpreter that is a directory: EACCES. */
    snprintf(path, sizeof(path), "%s/dirinterp", dir);
    write_file(path, "#!/tmp\n", 0755);
    CHECK_ERRNO(execve(path, argv, NULL), EACCES);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "argv") == 0)
        return argv_mode(argc, argv);
    REQUIRE(realpath(argv[0], self), "realpath %s: %s", argv[0], strerror(errno));
    REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    make_levels();
    test_nested();
    test_relative_interpreter();
    test_execveat_fd();
    test_no_shebang();
    char path[PATH_MAX + 32];
    for (int n = 1; n <= 6; n++) {
        snprintf(path, sizeof(path), "%s/level%d", dir, n);
        unlink(path);
    }
    rmdir(dir);
    return check_done("exec_script");
}
