/* Processes: execve and execveat. vfork + exec of a static program (this
 * one, in a child mode), with close-on-exec fds closed and signal handlers
 * reset; a #! script with an interpreter argument; the errors of Linux
 * (ENOENT, EACCES, ENOEXEC). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

static void on_usr1(int sig)
{
    (void)sig;
}

/* Modes run after exec. */
static int child_mode(int argc, char **argv)
{
    if (strcmp(argv[1], "child") == 0) {
        int bad = 0;
        if (argc != 4 || strcmp(argv[2], "x") != 0)
            bad |= 1;
        const char *k = getenv("K");
        if (!k || strcmp(k, "v") != 0 || getenv("FOO"))
            bad |= 2;
        if (argc == 4 && fcntl(atoi(argv[3]), F_GETFD) != -1)
            bad |= 4; /* close-on-exec fd still open */
        struct sigaction sa;
        if (sigaction(SIGUSR1, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
            bad |= 8;
        if (sigaction(SIGUSR2, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
            bad |= 16;
        if (fcntl(1, F_GETFD) < 0)
            bad |= 32; /* stdout was inherited */
        if (bad)
            fprintf(stderr, "child mode: bad %#x\n", bad);
        return bad ? 1 : 23;
    }
    if (strncmp(argv[1], "script-arg", 10) == 0) {
        /* {interp, "script-arg  opt arg", script, "extra"}: the rest of the
         * #! line is one argument (inner blanks kept, trailing dropped). */
        const char *base = argc > 2 ? strrchr(argv[2], '/') : NULL;
        if (argc != 4 || strcmp(argv[1], "script-arg  opt arg") != 0 || !base ||
            strcmp(base, "/script") != 0 || strcmp(argv[3], "extra") != 0) {
            for (int i = 0; i < argc; i++)
                fprintf(stderr, "argv[%d] = '%s'\n", i, argv[i]);
            return 1;
        }
        return 24;
    }
    return 2;
}

static int run_wait(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
    REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
    close(fd);
    chmod(path, mode);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_mode(argc, argv);
    char self[PATH_MAX];
    REQUIRE(realpath(argv[0], self), "realpath %s: %s", argv[0], strerror(errno));

    /* vfork + exec, close-on-exec, signal dispositions. */
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    char fdarg[16];
    snprintf(fdarg, sizeof(fdarg), "%d", p[0]);
    char *cargv[] = {"proc_exec", "child", "x", fdarg, NULL};
    char *cenv[] = {"K=v", NULL};
    pid_t pid = vfork();
    REQUIRE(pid >= 0, "vfork: %s", strerror(errno));
    if (pid == 0) {
        execve(self, cargv, cenv);
        _exit(99);
    }
    CHECK(run_wait(pid) == 23, "vfork+exec status");
    close(p[0]);
    close(p[1]);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);

    char dir[] = "/tmp/moat-proc-exec-XXXXXX";
    REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    char script[PATH_MAX + 64], text[PATH_MAX + 64];

    /* A #! script with an interpreter argument, run through fork. */
    snprintf(script, sizeof(script), "%s/script", dir);
    snprintf(text, sizeof(text), "#! %s script-arg  opt arg \t\n# more\n", self);
    write_file(script, text, 0755);
    char *sargv[] = {"ignored", "extra", NULL};
    pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        execve(script, sargv, environ);
        _exit(98);
    }
    int st = run_wait(pid);
    CHECK(st == 24, "script: status %d", st);

    /* Errors. */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/missing", dir);
    CHECK_ERRNO(execve(path, sargv, environ), ENOENT);
    snprintf(path, sizeof(path), "%s/noexec", dir);
    write_file(path, "#!/bin/sh\n", 0644);
    CHECK_ERRNO(execve(path, sargv, environ), EACCES);
    CHECK_ERRNO(execve(dir, sargv, environ), EACCES);
    snprintf(path, sizeof(path), "%s/garbage", dir);
    write_file(path, "this is not a program\n", 0755);
    CHECK_ERRNO(execve(path, sargv, environ), ENOEXEC);
    snprintf(path, sizeof(path), "%s/empty", dir);
    write_file(path, "#!\n", 0755);
    CHECK_ERRNO(execve(path, sargv, environ), ENOEXEC);
    snprintf(path, sizeof(path), "%s/nointerp", dir);
    snprintf(text, sizeof(text), "#!%s/no-such-interpreter\n", dir);
    write_file(path, text, 0755);
    CHECK_ERRNO(execve(path, sargv, environ), ENOENT);

    /* execveat relative to a directory fd. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0, "open dir");
    CHECK_ERRNO(syscall(SYS_execveat, dfd, "missing", sargv, environ, 0), ENOENT);
    CHECK_ERRNO(syscall(SYS_execveat, dfd, "garbage", sargv, environ, 0x40000), EINVAL);
    close(dfd);

    const char *names[] = {"script", "noexec", "garbage", "empty", "nointerp"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_done("proc_exec");
}
