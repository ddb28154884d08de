/* Boot: memory file, platform, kernel, stdio, then pid 1 on its own task
 * thread. The calling thread waits for the sandbox to end.
 *
 * The order is "acquire first, then lock down": every host resource the
 * sentry needs is opened here, before the sandbox runs. */
#include "sentry/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/seccomp_filter.h"
#include "sentry/vfs/boot_sandbox.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

struct boot_init {
    struct task *task;
    const struct sentry_spec *spec;
    bool failed;
};

/* The sandbox's stdio: the host's fds 0-2, duplicated so the sentry owns
 * its copies. A closed host fd stays closed in the sandbox, and so does a
 * host directory or an O_PATH fd: those would hand the sandbox a host
 * object to walk from (fchdir, *at calls), not a stream. */
static int boot_stdio(struct fdtable *fds)
{
    for (int fd = 0; fd <= 2; fd++) {
        int host_flags = fcntl(fd, F_GETFL);
        if (host_flags < 0)
            continue;
        struct stat st;
        if ((host_flags & O_PATH) || fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
            log_warn("host fd %d is not a stream (a directory or O_PATH): closed in the sandbox",
                     fd);
            continue;
        }
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
            return -errno;
        int flags = host_flags & (LINUX_O_ACCMODE | LINUX_O_APPEND | LINUX_O_NONBLOCK);
        struct file *f = hostfd_file_new(dup_fd, flags);
        if (!f) {
            close(dup_fd);
            return -ENOMEM;
        }
        int r = fdtable_install_at(fds, fd, f, 0, 1024);
        file_put(f);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Opens pid 1's program in the sandbox like execvp: a name without '/' is
 * searched in PATH (pid 1's, else the usual default); EACCES from one
 * directory is remembered and reported if no other has the program. */
static int boot_open_program(struct task *t, const struct sentry_spec *spec, struct file **out_f,
                             char *out_path, size_t size)
{
    const char *prog = spec->execfn;
    if (strchr(prog, '/')) {
        snprintf(out_path, size, "%s", prog);
        return loader_open_exec(t, LINUX_AT_FDCWD, prog, 0, 0, out_f);
    }
    const char *path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char *const *e = spec->envp; e && *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) {
            path_env = *e + 5;
            break;
        }
    }
    int err = -LINUX_ENOENT;
    for (const char *p = path_env;; p++) {
        const char *end = strchrnul(p, ':');
        int n = snprintf(out_path, size, "%.*s/%s", (int)(end - p), end > p ? p : ".", prog);
        if (n > 0 && (size_t)n < size) {
            int r = loader_open_exec(t, LINUX_AT_FDCWD, out_path, 0, 0, out_f);
            if (r == 0)
                return 0;
            if (r == -LINUX_EACCES)
                err = r;
            else if (r != -LINUX_ENOENT && r != -LINUX_ENOTDIR)
                return r;
        }
        if (!*end)
            break;
        p = end;
    }
    snprintf(out_path, size, "%s", prog);
    return err;
}

static void boot_exec_error(const struct sentry_spec *spec, int err, const char *why)
{
    if (!spec->exec_error)
        return;
    spec->exec_error->err = err;
    snprintf(spec->exec_error->message, sizeof(spec->exec_error->message), "%s", why ? why : "");
}

/* Makes dir pid 1's working directory. */
static int boot_chdir(struct task *t, const char *dir)
{
    struct path p;
    int err = vfs_walk(t, LINUX_AT_FDCWD, dir, WALK_FOLLOW | WALK_DIRECTORY, &p);
    if (err)
        return err;
    fs_context_set_cwd(t->fs, &p);
    path_put(&p);
    return 0;
}

/* Loads pid 1 from the sandbox's filesystem. */
static int boot_load_from_vfs(struct task *t, const struct sentry_spec *spec)
{
    char path[VFS_PATH_MAX];
    struct file *f;
    int err = boot_open_program(t, spec, &f, path, sizeof(path));
    if (err) {
        /* Shells say "Is a directory" where execve says EACCES. */
        struct path p;
        bool is_dir = err == -LINUX_EACCES &&
                      vfs_walk(t, LINUX_AT_FDCWD, path, WALK_FOLLOW, &p) == 0;
        if (is_dir) {
            is_dir = p.dentry->inode &&
                     (p.dentry->inode->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
            path_put(&p);
        }
        boot_exec_error(spec, is_dir ? LINUX_EISDIR : -err, NULL);
        return err;
    }
    struct loader_args la = {
        .execfn = path,
        .argv = spec->argv,
        .envp = spec->envp,
    };
    const char *why = NULL;
    err = loader_load_file(t, f, &la, &why);
    file_put(f);
    if (err)
        boot_exec_error(spec, -err, why);
    return err;
}

static void *boot_init_main(void *arg)
{
    struct boot_init *bi = arg;
    struct task *t = bi->task;
    struct kernel *k = t->k;
    kernel_lock(k);
    t->mm = mm_new();
    if (!t->mm) {
        log_error("cannot create pid 1's address space: %s", strerror(errno));
        goto fail;
    }
    if (bi->spec->cwd && boot_chdir(t, bi->spec->cwd) != 0)
        log_warn("pid 1 starts in / : cannot enter %s", bi->spec->cwd);
    if (boot_load_from_vfs(t, bi->spec) != 0)
        goto fail;
    kernel_unlock(k);
    task_run(t);
    return NULL;

fail:
    bi->failed = true;
    kernel_set_exited(k, 0);
    kernel_unlock(k);
    return NULL;
}

/* Signals sent to moat itself that the sandbox's pid 1 gets instead: Ctrl-C
 * at the terminal, kill -TERM of moat, a hang-up, job-control resumes. */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                        SIGWINCH, SIGCONT};

static void forwarded_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
        sigaddset(set, forwarded_signals[i]);
}

/* The forwarding thread: takes each forwarded signal sent to moat and
 * sends it to pid 1's process, as runc's signal proxy does. Every other
 * sentry thread blocks these signals (the mask is set before any thread
 * starts), so they queue for this one. */
static void *signal_forwarder_main(void *arg)
{
    struct kernel *k = arg;
    sigset_t set;
    forwarded_set(&set);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig <= 0)
            continue;
        kernel_lock(k);
        struct task *init = k->init;
        if (!k->exited && init && !init->tg->zombie) {
            struct linux_siginfo info = signal_info_user(NULL, sig, LINUX_SI_USER);
            info.si_code = LINUX_SI_USER; /* from outside: pid 0, like a host sender */
            log_debug("forwarding signal %d to pid 1", sig);
            signal_send_group(init->tg, sig, &info);
        }
        kernel_unlock(k);
    }
    return NULL;
}

int sentry_run(const struct sentry_spec *spec)
{
    static struct kernel k;
    panic_install_handlers();
    /* Before any thread exists, so that every sentry thread inherits it. */
    sigset_t fwd;
    forwarded_set(&fwd);
    pthread_sigmask(SIG_BLOCK, &fwd, NULL);
    platform = platform_lookup(spec->platform);
    if (!platform) {
        log_error("unknown platform `%s`", spec->platform);
        return -1;
    }
    int err = memfile_init();
    if (err) {
        log_error("cannot create the memory file: %s", strerror(-err));
        return -1;
    }
    err = platform->init(memfile_fd());
    if (err) {
        log_error("cannot start the %s platform: %s", platform->name, strerror(-err));
        return -1;
    }
    kernel_init(&k);
    k.strace = spec->strace;

    struct fdtable *fds = fdtable_new();
    if (!fds || (err = boot_stdio(fds)) != 0) {
        log_error("cannot set up the sandbox's stdio: %s", strerror(err ? -err : ENOMEM));
        return -1;
    }
    struct boot_init bi = {.spec = spec};
    bi.task = task_new_init(&k, fds);
    if (!bi.task) {
        log_error("cannot create pid 1");
        return -1;
    }
    struct path root;
    if ((err = vfs_boot_sandbox(spec, &root)) != 0) {
        log_error("cannot build the root filesystem: %s", strerror(-err));
        return -1;
    }
    bi.task->fs = fs_context_new(&root, 022);
    path_put(&root);
    if (!bi.task->fs) {
        log_error("cannot create pid 1's filesystem context");
        return -1;
    }
    pthread_t fwd_thread;
    if ((err = pthread_create(&fwd_thread, NULL, signal_forwarder_main, &k)) != 0) {
        log_error("cannot start the signal forwarding thread: %s", strerror(err));
        return -1;
    }
    pthread_detach(fwd_thread);
    /* Everything the sentry needs from the host is held now: lock down. */
    if ((err = sentry_seccomp_install()) != 0) {
        log_error("cannot install the sentry's seccomp filter: %s", strerror(-err));
        return -1;
    }
    pthread_t thread;
    if ((err = pthread_create(&thread, NULL, boot_init_main, &bi)) != 0) {
        log_error("cannot start pid 1's task thread: %s", strerror(err));
        return -1;
    }
    int status = kernel_wait_exit(&k);
    pthread_join(thread, NULL);
    return bi.failed ? -1 : status;
}
