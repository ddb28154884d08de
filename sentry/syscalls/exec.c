/* execve and execveat: open the program (loader_open_exec), follow #!
 * scripts, then replace the address space with a new one the loader fills.
 *
 * The point of no return is the swap to the new mm: errors found before it
 * (a missing file, EACCES, ENOEXEC for a file the loader does not accept,
 * E2BIG) return to the old program; a failure while loading into the new mm
 * kills the process with SIGSEGV, as Linux does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/signal.h"
#include "abi/linux/stat.h"
#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define EXEC_MAX_ARG_STRLEN (32 * 4096)  /* Linux MAX_ARG_STRLEN */
#define EXEC_MAX_TOTAL (2 * 1024 * 1024) /* what the stack may hold (ours) */
#define EXEC_MAX_STRINGS 0x7fffffff
#define EXEC_BUF_SIZE 256 /* Linux BINPRM_BUF_SIZE */
#define EXEC_MAX_DEPTH 4  /* #! nesting (Linux: ELOOP past it) */

struct exec_strings {
    char **v;
    size_t count, cap;
    size_t total;
};

static void strings_free(struct exec_strings *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->count = s->cap = 0;
}

/* Inserts a copy of str at index at. */
static int strings_insert(struct exec_strings *s, size_t at, const char *str)
{
    if (s->count + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -LINUX_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    size_t len = strlen(str) + 1;
    if (s->total + len + sizeof(char *) > EXEC_MAX_TOTAL)
        return -LINUX_E2BIG;
    char *c = strdup(str);
    if (!c)
        return -LINUX_ENOMEM;
    memmove(&s->v[at + 1], &s->v[at], (s->count - at) * sizeof(*s->v));
    s->v[at] = c;
    s->count++;
    s->v[s->count] = NULL;
    s->total += len + sizeof(char *);
    return 0;
}

static void strings_remove_first(struct exec_strings *s)
{
    if (!s->count)
        return;
    s->total -= strlen(s->v[0]) + 1 + sizeof(char *);
    free(s->v[0]);
    memmove(&s->v[0], &s->v[1], s->count * sizeof(*s->v)); /* with the NULL */
    s->count--;
}

/* Copies an application argv/envp array in. A NULL array is empty. */
static int strings_copy_in(struct task *t, uaddr_t uarr, struct exec_strings *s)
{
    char *buf = malloc(EXEC_MAX_ARG_STRLEN);
    if (!buf)
        return -LINUX_ENOMEM;
    int err = 0;
    if (!s->v) {
        s->v = calloc(16, sizeof(*s->v));
        if (!s->v) {
            free(buf);
            return -LINUX_ENOMEM;
        }
        s->cap = 16;
    }
    for (size_t i = 0; uarr; i++) {
        uint64_t p;
        if (copy_in(t->mm, &p, uarr + i * sizeof(p), sizeof(p)) < 0) {
            err = -LINUX_EFAULT;
            break;
        }
        if (!p)
            break;
        long n = copy_string_in(t->mm, buf, p, EXEC_MAX_ARG_STRLEN);
        if (n < 0) {
            err = n == -LINUX_ENAMETOOLONG ? -LINUX_E2BIG : (int)n;
            break;
        }
        if ((err = strings_insert(s, s->count, buf)) != 0)
            break;
    }
    free(buf);
    return err;
}

/* A #! line in buf[0, n) (buf[n] is NUL), as Linux's binfmt_script: the
 * interpreter and its optional argument (the rest of the line, one
 * argument, trailing blanks dropped). A line longer than the buffer is
 * accepted only if the interpreter name ends within it. Returns 1 for a
 * script, 0 for something else, -ENOEXEC for a bad #! line. */
static int parse_shebang(char *buf, size_t n, char **out_interp, char **out_arg)
{
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return 0;
    char *end = strchr(buf, '\n');
    if (!end) {
        char *p = buf + 2;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return -LINUX_ENOEXEC;
        char *last = buf + (n < EXEC_BUF_SIZE ? n : EXEC_BUF_SIZE - 1);
        if (n >= EXEC_BUF_SIZE) {
            while (p < last && *p != ' ' && *p != '\t' && *p)
                p++;
            if (p == last)
                return -LINUX_ENOEXEC; /* the interpreter name is cut off */
        }
        end = last;
    }
    while (end > buf + 2 && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return -LINUX_ENOEXEC;
    char *interp = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    char *arg = NULL;
    if (*p) {
        *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            arg = p;
    }
    *out_interp = interp;
    *out_arg = arg;
    return 1;
}

static long do_execve(struct task *t, int dirfd, uaddr_t upath, uaddr_t uargv, uaddr_t uenvp,
                      int flags)
{
    if (flags & ~(LINUX_AT_EMPTY_PATH | LINUX_AT_SYMLINK_NOFOLLOW))
        return -LINUX_EINVAL;
    char *script_copy = NULL; /* a script's name, past the first level */
    char *path = malloc(VFS_PATH_MAX);
    char *execfn = malloc(VFS_PATH_MAX + 32);
    if (!path || !execfn) {
        free(path);
        free(execfn);
        return -LINUX_ENOMEM;
    }
    struct exec_strings argv = {0}, envp = {0};
    struct file *f = NULL;
    long err = path_copy_in(t, upath, path);
    if (err < 0)
        goto out;
    if ((err = strings_copy_in(t, uargv, &argv)) != 0 ||
        (err = strings_copy_in(t, uenvp, &envp)) != 0)
        goto out;
    if (argv.total + envp.total > EXEC_MAX_TOTAL) {
        err = -LINUX_E2BIG;
        goto out;
    }
    /* The name the program sees (AT_EXECFN, a script's argument). */
    if (dirfd == LINUX_AT_FDCWD || path[0] == '/')
        snprintf(execfn, VFS_PATH_MAX + 32, "%s", path);
    else if (!path[0])
        snprintf(execfn, VFS_PATH_MAX + 32, "/dev/fd/%d", dirfd);
    else
        snprintf(execfn, VFS_PATH_MAX + 32, "/dev/fd/%d/%s", dirfd, path);

    err =
        loader_open_exec(t, dirfd, path, (flags & LINUX_AT_SYMLINK_NOFOLLOW) ? LINUX_O_NOFOLLOW : 0,
                         (flags & LINUX_AT_EMPTY_PATH) ? WALK_EMPTY_PATH : 0, &f);
    if (err)
        goto out;
    /* #! scripts, up to EXEC_MAX_DEPTH deep. */
    const char *script_name = execfn;
    for (int depth = 0;; depth++) {
        char buf[EXEC_BUF_SIZE + 1];
        struct iovec iov = {buf, EXEC_BUF_SIZE};
        long n = file_pread(f, &iov, 1, 0);
        if (n < 0)
            n = 0;
        buf[n] = '\0';
        char *interp, *arg;
        int r = parse_shebang(buf, (size_t)n, &interp, &arg);
        if (r < 0) {
            err = r;
            goto out;
        }
        if (r == 0)
            break;
        if (depth >= EXEC_MAX_DEPTH) {
            err = -LINUX_ELOOP;
            goto out;
        }
        /* argv: interp [arg] script argv[1...] */
        strings_remove_first(&argv);
        if ((err = strings_insert(&argv, 0, script_name)) != 0 ||
            (arg && (err = strings_insert(&argv, 0, arg)) != 0) ||
            (err = strings_insert(&argv, 0, interp)) != 0)
            goto out;
        file_put(f);
        f = NULL;
        /* argv[0] is freed when the next level replaces it: keep a copy. */
        free(script_copy);
        script_copy = strdup(argv.v[0]);
        if (!script_copy) {
            err = -LINUX_ENOMEM;
            goto out;
        }
        script_name = script_copy;
        err = loader_open_exec(t, LINUX_AT_FDCWD, interp, 0, 0, &f);
        if (err)
            goto out;
    }

    /* A new address space; the old one stays until the load is done. */
    struct mm *old = t->mm;
    struct mm *mm = mm_new();
    if (!mm) {
        err = -LINUX_ENOMEM;
        goto out;
    }
    struct cpu_state saved = t->cpu;
    char saved_comm[TASK_COMM_LEN];
    memcpy(saved_comm, t->comm, sizeof(saved_comm));
    t->mm = mm;
    struct loader_args la = {.execfn = execfn, .argv = argv.v, .envp = envp.v};
    const char *why = NULL;
    err = loader_load_file(t, f, &la, &why);
    if (err) {
        if (mm->vmas.count == 0) {
            /* Nothing loaded yet (not a program we run): back to the old. */
            t->mm = old;
            t->cpu = saved;
            memcpy(t->comm, saved_comm, sizeof(saved_comm));
            mm_put(mm);
            goto out;
        }
        log_info("pid %d: execve of %s failed past the point of no return: %s", t->tid, execfn,
                 why ? why : "load error");
        futex_exec_robust_list(t, old);
        task_drop_mm(t, old);
        task_kill_by_signal(t, LINUX_SIGSEGV);
        err = 0;
        goto out;
    }
    /* Past the point of no return: the other threads go, this one becomes
     * the process's leader. */
    if (task_exec_kill_others(t) != 0) {
        task_drop_mm(t, old);
        err = 0;
        goto out;
    }
    futex_exec_robust_list(t, old); /* the list lives in the old mm */
    cred_exec(&t->cred, t->no_new_privs);
    task_drop_mm(t, old);
    /* What execve resets. POSIX timers go; itimers, the signal mask and
     * pending signals stay. */
    fdtable_close_on_exec(t->fds);
    for (int i = 0; i < LINUX_NSIG; i++) {
        struct linux_sigaction *sa = &t->tg->sigactions[i];
        if (sa->handler != LINUX_SIG_IGN)
            memset(sa, 0, sizeof(*sa));
    }
    t->altstack = (struct linux_stack_t){.ss_flags = LINUX_SS_DISABLE};
    exec_delete_posix_timers(t->tg);
    t->clear_child_tid = 0;
    t->undumpable = false;
    platform_xstate_init(&t->cpu); /* a clean FPU for the new program */
    task_vfork_done(t);
    err = 0;
out:
    free(script_copy);
    if (f)
        file_put(f);
    strings_free(&argv);
    strings_free(&envp);
    free(path);
    free(execfn);
    return err;
}

SYSCALL(execve)
{
    return do_execve(t, LINUX_AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), 0);
}

SYSCALL(execveat)
{
    return do_execve(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3),
                     arg_int(a, 4));
}
