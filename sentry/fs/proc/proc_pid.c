/* /proc/PID and /proc/PID/task/TID: per-process files.
 *
 * Formats follow Linux 6.1's fs/proc (array.c, base.c) field for field, so
 * ps, top, and libraries parsing status/stat/limits read them unchanged.
 * Figures the sentry does not track (CPU times, faults, context switches)
 * read as 0.
 *
 * Lock order: the kernel lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/resource.h"
#include "abi/linux/signal.h"
#include "abi/linux/stat.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

#define KB(bytes) ((unsigned long)((bytes) >> 10))
/* Linux's full capability set for CAP_LAST_CAP = 40. */
#define PROC_CAP_FULL 0x000001ffffffffffULL

int proc_pid_getattr(const struct kernfs_inode *ki, struct vfs_attr *attr)
{
    struct task *t = proc_inode_task(ki);
    if (!t)
        return -LINUX_ENOENT;
    bool dumpable = !t->undumpable;
    attr->uid = dumpable ? t->cred.euid : 0;
    attr->gid = dumpable ? t->cred.egid : 0;
    return 0;
}

static struct task *task_or_fail(const struct kernfs_inode *ki)
{
    return proc_inode_task(ki);
}

/* --- memory figures --- */

struct mm_figures {
    uint64_t size, rss, stack, data, exec, shared_rss;
};

static void mm_figures(const struct mm *mm, struct mm_figures *out)
{
    *out = (struct mm_figures){0};
    if (!mm)
        return;
    for (size_t i = 0; i < mm->vmas.count; i++) {
        const struct vma *v = &mm->vmas.v[i];
        uint64_t len = v->end - v->start;
        out->size += len;
        if (v->flags & VMA_STACK)
            out->stack += len;
        else if ((v->prot & VMA_PROT_EXEC) && v->file)
            out->exec += len;
        else if ((v->prot & VMA_PROT_WRITE) && !(v->flags & VMA_SHARED))
            out->data += len;
    }
    for (size_t i = 0; i < mm->pmas.count; i++)
        out->rss += mm->pmas.v[i].end - mm->pmas.v[i].start;
}

/* --- stat, statm, status --- */

static char task_state(const struct task *t)
{
    if (t->zombie || t->exiting)
        return 'Z';
    if (t->tg->stopped)
        return 'T';
    if (t->sleep)
        return 'S';
    return 'R';
}

static const char *task_state_name(char s)
{
    switch (s) {
    case 'Z':
        return "Z (zombie)";
    case 'S':
        return "S (sleeping)";
    default:
        return "R (running)";
    }
}

static uint64_t sig_mask_of(const struct task *t, bool ignored)
{
    uint64_t m = 0;
    for (int i = 0; i < LINUX_NSIG; i++) {
        uint64_t h = t->tg->sigactions[i].handler;
        if (ignored ? h == LINUX_SIG_IGN : h > LINUX_SIG_IGN)
            m |= 1ULL << i;
    }
    return m;
}

static int show_stat(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    const struct mm *mm = t->mm;
    struct mm_figures f;
    mm_figures(mm, &f);
    int threads, groups;
    proc_task_counts(&threads, &groups);
    linux_pid_t pid = ki->b ? t->tid : t->tg->tgid;
    uint64_t rsslim = t->tg->rlimits[LINUX_RLIMIT_RSS].rlim_cur;
    seqbuf_printf(out, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %d 0 0 %lu %lu %lu ",
                  pid, t->comm, task_state(t), t->tg->ppid, t->tg->tgid, t->tg->tgid, threads,
                  (unsigned long)f.size, (unsigned long)(f.rss / LINUX_PAGE_SIZE),
                  (unsigned long)rsslim);
    uint64_t sig_ign = sig_mask_of(t, true), sig_cgt = sig_mask_of(t, false);
    seqbuf_printf(out, "%lu %lu %lu 0 0 0 %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 ", mm ? 1UL : 0UL,
                  mm ? 1UL : 0UL, mm ? (unsigned long)mm->stack_end : 0UL,
                  (unsigned long)t->sigmask, (unsigned long)sig_ign, (unsigned long)sig_cgt);
    seqbuf_printf(out, "%lu %lu %lu %lu %lu %lu %lu %d\n", 0UL, 0UL,
                  mm ? (unsigned long)mm->brk_start : 0UL, mm ? (unsigned long)mm->arg_start : 0UL,
                  mm ? (unsigned long)mm->arg_end : 0UL, mm ? (unsigned long)mm->env_start : 0UL,
                  mm ? (unsigned long)mm->env_end : 0UL, t->exiting ? t->tg->exit_code : 0);
    return 0;
}

static int show_statm(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    struct mm_figures f;
    mm_figures(t->mm, &f);
    uint64_t pg = LINUX_PAGE_SIZE;
    seqbuf_printf(out, "%lu %lu %lu %lu 0 %lu 0\n", (unsigned long)(f.size / pg),
                  (unsigned long)(f.rss / pg), 0UL, (unsigned long)(f.exec / pg),
                  (unsigned long)((f.data + f.stack) / pg));
    return 0;
}

static void print_cpu_mask(struct seqbuf *out)
{
    const uint64_t *cpus = kernel_global->cpus;
    int words = (int)(sizeof(kernel_global->cpus) / sizeof(cpus[0])) * 2; /* 32-bit groups */
    int top = words - 1;
    while (top > 0 && !((cpus[top / 2] >> ((top % 2) * 32)) & 0xffffffffu))
        top--;
    for (int w = top; w >= 0; w--) {
        uint32_t v = (uint32_t)(cpus[w / 2] >> ((w % 2) * 32));
        seqbuf_printf(out, w == top ? "%x" : ",%08x", v);
    }
}

static int show_status(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    struct mm_figures f;
    mm_figures(t->mm, &f);
    int threads, groups;
    proc_task_counts(&threads, &groups);
    const struct cred *c = &t->cred;
    uint64_t caps = c->euid == 0 ? PROC_CAP_FULL : 0;
    seqbuf_printf(out, "Name:\t%s\n", t->comm);
    if (t->fs)
        seqbuf_printf(out, "Umask:\t%04o\n", t->fs->umask);
    seqbuf_printf(out,
                  "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
                  "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t\n"
                  "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
                  task_state_name(task_state(t)), t->tg->tgid, t->tid, t->tg->ppid, c->uid, c->euid,
                  c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid,
                  t->fds ? (t->fds->count > 64 ? t->fds->count : 64) : 0, t->tg->tgid, t->tid,
                  t->tg->tgid, t->tg->tgid);
    if (t->mm) {
        seqbuf_printf(out,
                      "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n"
                      "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n"
                      "RssShmem:\t%8lu kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\n"
                      "VmLib:\t%8lu kB\nVmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\n"
                      "HugetlbPages:\t%8lu kB\n",
                      KB(f.size), KB(f.size), 0UL, 0UL, KB(f.rss), KB(f.rss), KB(f.rss), 0UL, 0UL,
                      KB(f.data), KB(f.stack), KB(f.exec), 0UL, 0UL, 0UL, 0UL);
    }
    seqbuf_printf(out, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t0/%lu\n", threads,
                  (unsigned long)t->tg->rlimits[LINUX_RLIMIT_SIGPENDING].rlim_cur);
    seqbuf_printf(out,
                  "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
                  "SigCgt:\t%016lx\n",
                  0UL, 0UL, (unsigned long)t->sigmask, (unsigned long)sig_mask_of(t, true),
                  (unsigned long)sig_mask_of(t, false));
    seqbuf_printf(out,
                  "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\n"
                  "CapAmb:\t%016lx\nNoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n"
                  "Speculation_Store_Bypass:\tthread vulnerable\n"
                  "SpeculationIndirectBranch:\tconditional enabled\n",
                  0UL, (unsigned long)caps, (unsigned long)caps, (unsigned long)PROC_CAP_FULL, 0UL,
                  t->no_new_privs ? 1 : 0);
    seqbuf_puts(out, "Cpus_allowed:\t");
    print_cpu_mask(out);
    seqbuf_puts(out, "\nCpus_allowed_list:\t");
    seqbuf_cpulist(out, kernel_global->cpus, (int)sizeof(kernel_global->cpus) * 8);
    seqbuf_puts(out, "\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n"
                     "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    return 0;
}

/* --- memory areas: cmdline, environ, auxv --- */

static int show_user_range(struct task *t, uint64_t start, uint64_t end, struct seqbuf *out)
{
    if (!t->mm || end <= start)
        return 0;
    size_t len = end - start;
    if (len > (64U << 20))
        len = 64U << 20;
    char *buf = malloc(len);
    if (!buf)
        return -LINUX_ENOMEM;
    size_t got = copy_in_partial(t->mm, buf, start, len);
    seqbuf_write(out, buf, got);
    free(buf);
    return 0;
}

static int show_cmdline(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    return t->mm ? show_user_range(t, t->mm->arg_start, t->mm->arg_end, out) : 0;
}

static int show_environ(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    return t->mm ? show_user_range(t, t->mm->env_start, t->mm->env_end, out) : 0;
}

static int show_auxv(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    if (t->mm)
        seqbuf_write(out, t->mm->auxv, t->mm->auxv_count * 2 * sizeof(uint64_t));
    return 0;
}

/* --- small files --- */

static int show_comm(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    seqbuf_printf(out, "%s\n", t->comm);
    return 0;
}

static long store_comm(const struct kernfs_inode *ki, const char *buf, size_t size)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    /* Linux: only the thread group itself may rename its threads. */
    struct task *self = task_current();
    if (!self || self->tg != t->tg)
        return -LINUX_EINVAL;
    size_t n = size < TASK_COMM_LEN - 1 ? size : TASK_COMM_LEN - 1;
    memset(t->comm, 0, sizeof(t->comm));
    memcpy(t->comm, buf, n);
    char *nl = strchr(t->comm, '\n');
    if (nl)
        *nl = '\0';
    return (long)size;
}

static int show_limits(const struct kernfs_inode *ki, struct seqbuf *out)
{
    static const struct {
        const char *name, *unit;
    } names[LINUX_RLIM_NLIMITS] = {
        {"Max cpu time", "seconds"},     {"Max file size", "bytes"},
        {"Max data size", "bytes"},      {"Max stack size", "bytes"},
        {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
        {"Max processes", "processes"},  {"Max open files", "files"},
        {"Max locked memory", "bytes"},  {"Max address space", "bytes"},
        {"Max file locks", "locks"},     {"Max pending signals", "signals"},
        {"Max msgqueue size", "bytes"},  {"Max nice priority", NULL},
        {"Max realtime priority", NULL}, {"Max realtime timeout", "us"},
    };
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ESRCH;
    seqbuf_printf(out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < LINUX_RLIM_NLIMITS; i++) {
        const struct linux_rlimit64 *r = &t->tg->rlimits[i];
        seqbuf_printf(out, "%-25s ", names[i].name);
        if (r->rlim_cur == LINUX_RLIM_INFINITY)
            seqbuf_printf(out, "%-20s ", "unlimited");
        else
            seqbuf_printf(out, "%-20lu ", (unsigned long)r->rlim_cur);
        if (r->rlim_max == LINUX_RLIM_INFINITY)
            seqbuf_printf(out, "%-20s ", "unlimited");
        else
            seqbuf_printf(out, "%-20lu ", (unsigned long)r->rlim_max);
        if (names[i].unit)
            seqbuf_printf(out, "%-10s", names[i].unit);
        seqbuf_putc(out, '\n');
    }
    return 0;
}

static int show_cgroup(const struct kernfs_inode *ki, struct seqbuf *out)
{
    if (!task_or_fail(ki))
        return -LINUX_ESRCH;
    seqbuf_puts(out, "0::/\n");
    return 0;
}

static int show_id_map(const struct kernfs_inode *ki, struct seqbuf *out)
{
    if (!task_or_fail(ki))
        return -LINUX_ESRCH;
    /* The initial user namespace's identity map, as Linux prints it. */
    seqbuf_printf(out, "%10u %10u %10u\n", 0U, 0U, 4294967295U);
    return 0;
}

static int show_oom_score_adj(const struct kernfs_inode *ki, struct seqbuf *out)
{
    if (!task_or_fail(ki))
        return -LINUX_ESRCH;
    seqbuf_puts(out, "0\n");
    return 0;
}

static long store_accept(const struct kernfs_inode *ki, const char *buf, size_t size)
{
    (void)buf;
    return task_or_fail(ki) ? (long)size : -LINUX_ESRCH;
}

/* --- magic links: cwd, root, exe --- */

enum proc_link { LINK_CWD, LINK_ROOT, LINK_EXE };

static int link_path(const struct kernfs_inode *ki, enum proc_link which, struct path *out)
{
    struct task *t = task_or_fail(ki);
    if (!t)
        return -LINUX_ENOENT;
    const struct path *p = NULL;
    switch (which) {
    case LINK_CWD:
        p = t->fs ? &t->fs->cwd : NULL;
        break;
    case LINK_ROOT:
        p = t->fs ? &t->fs->root : NULL;
        break;
    case LINK_EXE:
        p = t->mm && t->mm->exe_file ? &t->mm->exe_file->path : NULL;
        break;
    }
    if (!p || !p->dentry)
        return -LINUX_ENOENT;
    *out = *p;
    path_get(out);
    return 0;
}

#define PROC_LINK(name, which)                                                                     \
    static int name##_get_link(const struct kernfs_inode *ki, struct task *t, struct path *out)    \
    {                                                                                              \
        (void)t;                                                                                   \
        return link_path(ki, which, out);                                                          \
    }                                                                                              \
    static long name##_readlink(const struct kernfs_inode *ki, char *buf, size_t size)             \
    {                                                                                              \
        struct path p;                                                                             \
        int err = link_path(ki, which, &p);                                                        \
        if (err)                                                                                   \
            return err;                                                                            \
        long n = proc_path_link(&p, buf, size);                                                    \
        path_put(&p);                                                                              \
        return n;                                                                                  \
    }

PROC_LINK(cwd, LINK_CWD)
PROC_LINK(root, LINK_ROOT)
PROC_LINK(exe, LINK_EXE)

/* --- /proc/PID/task --- */

static bool parse_pid(const char *name, linux_pid_t *out)
{
    if (!*name || (name[0] == '0' && name[1]) || strlen(name) > 9)
        return false;
    long v = 0;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = (linux_pid_t)v;
    return v > 0;
}

static int task_dir_lookup(const struct kernfs_inode *dir, const char *name,
                           const struct kernfs_node **out_node, int64_t *out_a, int64_t *out_b)
{
    linux_pid_t tid;
    if (!parse_pid(name, &tid) || proc_tid_next((linux_pid_t)dir->a, tid) != tid)
        return -LINUX_ENOENT;
    *out_node = &proc_tid_dir;
    *out_a = dir->a;
    *out_b = tid;
    return 0;
}

static void task_dir_iterate(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                             void *ctx)
{
    linux_pid_t from = start > 0x7fffffff ? 0x7fffffff : (linux_pid_t)start;
    for (linux_pid_t tid; (tid = proc_tid_next((linux_pid_t)dir->a, from)) != 0; from = tid + 1) {
        char name[16];
        snprintf(name, sizeof(name), "%d", tid);
        if (!emit(ctx, (uint64_t)tid, name, &proc_tid_dir, dir->a, tid))
            return;
    }
}

static const struct kernfs_dir_ops task_dir_ops = {
    .lookup = task_dir_lookup,
    .iterate = task_dir_iterate,
};

/* --- the directories --- */

#define REG(n, m, ...)                                                                             \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | (m), .getattr = proc_pid_getattr, __VA_ARGS__           \
    }
#define LNK(n, fn)                                                                                 \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFLNK | 0777, .readlink = fn##_readlink,                        \
        .get_link = fn##_get_link, .getattr = proc_pid_getattr                                     \
    }

#define PID_COMMON_ENTRIES                                                                         \
    REG("auxv", 0400, .show = show_auxv), REG("cgroup", 0444, .show = show_cgroup),                \
        REG("cmdline", 0444, .show = show_cmdline),                                                \
        REG("comm", 0644, .show = show_comm, .store = store_comm), LNK("cwd", cwd),                \
        REG("environ", 0400, .show = show_environ), LNK("exe", exe),                               \
        {.name = "fd",                                                                             \
         .mode = LINUX_S_IFDIR | 0500,                                                             \
         .dir_ops = &proc_fd_ops,                                                                  \
         .getattr = proc_pid_getattr},                                                             \
        {.name = "fdinfo",                                                                         \
         .mode = LINUX_S_IFDIR | 0500,                                                             \
         .dir_ops = &proc_fdinfo_ops,                                                              \
         .getattr = proc_pid_getattr},                                                             \
        REG("gid_map", 0644, .show = show_id_map), REG("limits", 0444, .show = show_limits),       \
        REG("maps", 0444, .show = proc_show_maps),                                                 \
        REG("mountinfo", 0444, .show = proc_show_mountinfo),                                       \
        REG("mounts", 0444, .show = proc_show_mounts),                                             \
        REG("oom_score_adj", 0644, .show = show_oom_score_adj, .store = store_accept),             \
        LNK("root", root), REG("stat", 0444, .show = show_stat),                                   \
        REG("statm", 0444, .show = show_statm), REG("status", 0444, .show = show_status)

static const struct kernfs_node pid_entries[] = {
    PID_COMMON_ENTRIES,
    {.name = "task",
     .mode = LINUX_S_IFDIR | 0555,
     .dir_ops = &task_dir_ops,
     .getattr = proc_pid_getattr},
    REG("uid_map", 0644, .show = show_id_map),
    {0},
};

static const struct kernfs_node tid_entries[] = {
    PID_COMMON_ENTRIES,
    REG("uid_map", 0644, .show = show_id_map),
    {0},
};

const struct kernfs_node proc_pid_dir = {
    .name = "PID",
    .mode = LINUX_S_IFDIR | 0555,
    .children = pid_entries,
    .getattr = proc_pid_getattr,
};

const struct kernfs_node proc_tid_dir = {
    .name = "TID",
    .mode = LINUX_S_IFDIR | 0555,
    .children = tid_entries,
    .getattr = proc_pid_getattr,
};

/* --- the PID entries of /proc --- */

static int pids_lookup(const struct kernfs_inode *dir, const char *name,
                       const struct kernfs_node **out_node, int64_t *out_a, int64_t *out_b)
{
    (void)dir;
    linux_pid_t pid;
    if (!parse_pid(name, &pid))
        return -LINUX_ENOENT;
    struct task *t = proc_task_find(pid);
    if (!t)
        return -LINUX_ENOENT;
    if (t->tg->tgid == pid) {
        *out_node = &proc_pid_dir;
        *out_a = pid;
        *out_b = 0;
    } else {
        /* Linux: /proc/TID of a non-leader thread works but is not listed. */
        *out_node = &proc_tid_dir;
        *out_a = t->tg->tgid;
        *out_b = pid;
    }
    return 0;
}

static void pids_iterate(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                         void *ctx)
{
    (void)dir;
    linux_pid_t from = start > 0x7fffffff ? 0x7fffffff : (linux_pid_t)start;
    for (linux_pid_t pid; (pid = proc_tgid_next(from)) != 0; from = pid + 1) {
        char name[16];
        snprintf(name, sizeof(name), "%d", pid);
        if (!emit(ctx, (uint64_t)pid, name, &proc_pid_dir, pid, 0))
            return;
    }
}

const struct kernfs_dir_ops proc_root_pids = {
    .lookup = pids_lookup,
    .iterate = pids_iterate,
};
