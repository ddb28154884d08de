/* Boot: memory file, platform, kernel, stdio, then pid 1 on its own task
 * thread. The calling thread waits for the sandbox to end.
 *
 * The order is "acquire first, then lock down": every host resource the
 * sentry needs is opened here, before the sandbox runs. */
#include "sentry/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "abi/linux/fcntl.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/seccomp_filter.h"
#include "sentry/vfs/file.h"

struct boot_init {
    struct task *task;
    const struct sentry_spec *spec;
    bool failed;
};

/* The sandbox's stdio: the host's fds 0-2, duplicated so the sentry owns
 * its copies. A closed host fd stays closed in the sandbox. */
static int boot_stdio(struct fdtable *fds)
{
    for (int fd = 0; fd <= 2; fd++) {
        int host_flags = fcntl(fd, F_GETFL);
        if (host_flags < 0)
            continue;
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
    struct loader_args la = {
        .image = bi->spec->image,
        .image_size = bi->spec->image_size,
        .execfn = bi->spec->execfn,
        .argv = bi->spec->argv,
        .envp = bi->spec->envp,
    };
    const char *why;
    int err = loader_load(t, &la, &why);
    if (err) {
        log_error("%s: cannot execute: %s", bi->spec->execfn, why ? why : strerror(-err));
        goto fail;
    }
    kernel_unlock(k);
    task_run(t);
    return NULL;

fail:
    bi->failed = true;
    kernel_set_exited(k, 0);
    kernel_unlock(k);
    return NULL;
}

int sentry_run(const struct sentry_spec *spec)
{
    static struct kernel k;
    panic_install_handlers();
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
