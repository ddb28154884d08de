/* moat do [FLAGS] -- PROGRAM ARGS...: run one program in a sandbox, with
 * the host's stdio; exit with its status like a shell would.
 *
 * The CLI checks --root/--bind on the host and starts the gofer; the
 * program is found and loaded inside the sandbox by the sentry, which
 * never opens a host file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/gofer.h"
#include "lib/log.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "sentry/boot.h"

/* Shell conventions: 127 for a program not found, 126 for one that cannot
 * be executed. */
#define EXIT_NOT_FOUND 127
#define EXIT_CANNOT_EXEC 126
#define EXIT_USAGE 2

extern char **environ;

static void do_usage(FILE *out)
{
    fprintf(out,
            "usage: moat do [FLAGS] -- PROGRAM [ARGS...]\n"
            "\n"
            "Runs PROGRAM (a statically linked x86_64 Linux program) in a sandbox.\n"
            "\n"
            "flags:\n"
            "  --root DIR         the sandbox's root (default /), read-only with an\n"
            "                     in-memory overlay: writes vanish at exit\n"
            "  --bind HOST:PATH[:ro|rw]\n"
            "                     make host file or directory HOST appear at PATH\n"
            "                     (default rw: writes reach the host)\n"
            "  --cwd DIR          pid 1's working directory in the sandbox (default: the\n"
            "                     current directory when the root is /, else /)\n"
            "  --strace           log every syscall, decoded, to stderr or the debug log\n"
            "  --debug-log DIR    write the sentry's log to DIR/moat.PID.log\n"
            "  --platform NAME    how application code runs: ptrace (default)\n"
            "  -h, --help         show this help\n");
}

static int exit_status_of(const char *prog, int status)
{
    if ((status & 0x7f) == 0)
        return (status >> 8) & 0xff;
    int sig = status & 0x7f;
    fprintf(stderr, "moat: %s: %s%s\n", prog, strsignal(sig), status & 0x80 ? " (core dumped)" : "");
    return 128 + sig;
}

/* Whether dir lies under a mount the sandbox provides itself, and no bind
 * of the caller's covers it. */
static bool do_cwd_hidden(const char *dir, const struct spec_fs *fs)
{
    static const char *const own[] = {"/tmp", "/proc", "/dev", "/sys"};
    bool hidden = false;
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        size_t n = strlen(own[i]);
        if (strncmp(dir, own[i], n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
            hidden = true;
    }
    for (size_t i = 0; hidden && i < fs->nbinds; i++) {
        size_t n = strlen(fs->binds[i].target);
        if (strncmp(dir, fs->binds[i].target, n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
            hidden = false;
    }
    return hidden;
}

static int do_run_with_gofer(struct sentry_spec *spec, struct spec_fs *fs, const char *prog,
                             char **argv)
{
    char err[512];
    if (spec_check_fs(fs, err, sizeof(err)) != 0)
        return rt_error(EXIT_USAGE, 0, "do: %s", err);
    /* Over the host's root, start where the caller is, like runsc do. If
     * that directory is one the sandbox replaces with its own (/tmp, /proc,
     * /dev, /sys), bind it read-only at the same path so relative paths
     * still work. */
    char host_cwd[PATH_MAX];
    if (!spec->cwd && strcmp(fs->root, "/") == 0 && getcwd(host_cwd, sizeof(host_cwd))) {
        spec->cwd = host_cwd;
        if (do_cwd_hidden(host_cwd, fs) && fs->nbinds < SPEC_MAX_BINDS) {
            char *src = strdup(host_cwd), *dst = strdup(host_cwd);
            if (src && dst) {
                fs->binds[fs->nbinds++] = (struct spec_bind){src, dst, true};
            } else {
                free(src);
                free(dst);
            }
        }
    }
    struct gofer_bind gbinds[SPEC_MAX_BINDS];
    struct sentry_bind sbinds[SPEC_MAX_BINDS];
    for (size_t i = 0; i < fs->nbinds; i++) {
        gbinds[i] = (struct gofer_bind){.source = fs->binds[i].source,
                                        .readonly = fs->binds[i].readonly};
        sbinds[i] = (struct sentry_bind){.target = fs->binds[i].target,
                                         .readonly = fs->binds[i].readonly};
    }
    struct gofer_config cfg = {
        .root = fs->root,
        .root_readonly = true,
        .binds = gbinds,
        .nbinds = (int)fs->nbinds,
    };
    pid_t gofer_pid;
    int sock;
    if (gofer_start(&cfg, &gofer_pid, &sock, err, sizeof(err)) != 0)
        return rt_error(EXIT_USAGE, 0, "do: cannot start the gofer: %s", err);

    struct sentry_exec_error exec_error = {0};
    spec->gofer_sock = sock;
    spec->root_overlay = true;
    spec->binds = sbinds;
    spec->nbinds = fs->nbinds;
    spec->execfn = prog;
    spec->argv = argv;
    spec->exec_error = &exec_error;
    int status = sentry_run(spec);
    close(sock);
    while (waitpid(gofer_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (status >= 0)
        return exit_status_of(prog, status);
    if (exec_error.err == 0)
        return EXIT_CANNOT_EXEC;
    if (exec_error.message[0])
        rt_error(0, 0, "%s: cannot execute: %s", prog, exec_error.message);
    else
        rt_error(0, exec_error.err, "%s", prog);
    return exec_error.err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

int cmd_do(int argc, char **argv)
{
    static const struct option options[] = {
        {"strace", no_argument, NULL, 's'},
        {"debug-log", required_argument, NULL, 'd'},
        {"platform", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"root", required_argument, NULL, 'r'},
        {"bind", required_argument, NULL, 'b'},
        {"cwd", required_argument, NULL, 'c'},
        {0},
    };
    struct spec_fs fs = {0};
    char err_buf[512];
    struct sentry_spec spec = {.platform = "ptrace", .envp = environ};
    const char *debug_dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            spec.strace = true;
            break;
        case 'd':
            debug_dir = optarg;
            break;
        case 'p':
            spec.platform = optarg;
            break;
        case 'c':
            if (optarg[0] != '/') {
                spec_fs_free(&fs);
                return rt_error(EXIT_USAGE, 0, "do: --cwd `%s` is not an absolute path", optarg);
            }
            spec.cwd = optarg;
            break;
        case 'r':
            free(fs.root);
            fs.root = strdup(optarg);
            break;
        case 'b':
            if (fs.nbinds == SPEC_MAX_BINDS) {
                spec_fs_free(&fs);
                return rt_error(EXIT_USAGE, 0, "do: more than %d --bind flags", SPEC_MAX_BINDS);
            }
            if (spec_parse_bind(optarg, &fs.binds[fs.nbinds], err_buf, sizeof(err_buf)) != 0) {
                spec_fs_free(&fs);
                return rt_error(EXIT_USAGE, 0, "do: %s", err_buf);
            }
            fs.nbinds++;
            break;
        case 'h':
            do_usage(stdout);
            spec_fs_free(&fs);
            return 0;
        default:
            do_usage(stderr);
            spec_fs_free(&fs);
            return EXIT_USAGE;
        }
    }
    int status;
    if (optind >= argc) {
        rt_error(0, 0, "do: missing PROGRAM");
        do_usage(stderr);
        status = EXIT_USAGE;
        goto out_free_fs;
    }
    if (strcmp(spec.platform, "ptrace") != 0) {
        status = rt_error(EXIT_USAGE, 0, "do: unknown platform `%s` (available: ptrace)",
                          spec.platform);
        goto out_free_fs;
    }
    if (debug_dir) {
        int err = log_open_dir(debug_dir);
        if (err) {
            status = rt_error(EXIT_USAGE, -err, "do: cannot open the debug log in `%s`",
                              debug_dir);
            goto out_free_fs;
        }
    }
    if (!fs.root)
        fs.root = strdup("/");

    const char *prog = argv[optind];
    status = do_run_with_gofer(&spec, &fs, prog, argv + optind);
out_free_fs:
    spec_fs_free(&fs);
    return status;
}
