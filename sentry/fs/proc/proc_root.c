/* The top of /proc: self, thread-self, the system-wide files (meminfo, stat,
 * uptime, loadavg, version, filesystems...), the PID directories, and the
 * "proc" filesystem type.
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/proc/proc.h"

#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "abi/linux/time.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

#define USER_HZ 100

uint64_t proc_uptime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t ns = (uint64_t)now.tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)now.tv_nsec;
    return ns > kernel_global->boot_ns ? ns - kernel_global->boot_ns : 0;
}

bool proc_cpu_present(int cpu)
{
    const uint64_t *cpus = kernel_global->cpus;
    int bits = (int)sizeof(kernel_global->cpus) * 8;
    return cpu >= 0 && cpu < bits && ((cpus[cpu / 64] >> (cpu % 64)) & 1);
}

int proc_cpu_count(void)
{
    int n = 0;
    for (int i = 0; i < PROC_MAX_CPUS; i++)
        n += proc_cpu_present(i);
    return n ? n : 1;
}

/* --- self, thread-self --- */

static long self_readlink(const struct kernfs_inode *ki, char *buf, size_t size)
{
    (void)ki;
    struct task *t = task_current();
    if (!t)
        return -LINUX_ENOENT;
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%d", t->tg->tgid);
    return kernfs_copy_link(tmp, (size_t)n, buf, size);
}

static long thread_self_readlink(const struct kernfs_inode *ki, char *buf, size_t size)
{
    (void)ki;
    struct task *t = task_current();
    if (!t)
        return -LINUX_ENOENT;
    char tmp[48];
    int n = snprintf(tmp, sizeof(tmp), "%d/task/%d", t->tg->tgid, t->tid);
    return kernfs_copy_link(tmp, (size_t)n, buf, size);
}

/* --- system-wide files --- */

static void meminfo_line(struct seqbuf *out, const char *name, uint64_t bytes)
{
    char label[32];
    snprintf(label, sizeof(label), "%s:", name);
    seqbuf_printf(out, "%-16s%8lu kB\n", label, (unsigned long)(bytes >> 10));
}

static int show_meminfo(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    /* The host's figures, as sysinfo(2) in the sandbox reports them. */
    struct sysinfo si;
    uint64_t total = 0, free_ = 0, buffers = 0, shared = 0, swap = 0, swap_free = 0;
    if (sysinfo(&si) == 0) {
        uint64_t unit = si.mem_unit ? si.mem_unit : 1;
        total = si.totalram * unit;
        free_ = si.freeram * unit;
        buffers = si.bufferram * unit;
        shared = si.sharedram * unit;
        swap = si.totalswap * unit;
        swap_free = si.freeswap * unit;
    }
    static const char *const zero_lines[] = {
        "SwapCached",   "Active",         "Inactive",    "Active(anon)", "Inactive(anon)",
        "Active(file)", "Inactive(file)", "Unevictable", "Mlocked",
    };
    meminfo_line(out, "MemTotal", total);
    meminfo_line(out, "MemFree", free_);
    meminfo_line(out, "MemAvailable", free_ + buffers);
    meminfo_line(out, "Buffers", buffers);
    meminfo_line(out, "Cached", 0);
    for (size_t i = 0; i < sizeof(zero_lines) / sizeof(zero_lines[0]); i++)
        meminfo_line(out, zero_lines[i], 0);
    meminfo_line(out, "SwapTotal", swap);
    meminfo_line(out, "SwapFree", swap_free);
    static const char *const more_zero[] = {
        "Zswap", "Zswapped", "Dirty", "Writeback", "AnonPages", "Mapped",
    };
    for (size_t i = 0; i < sizeof(more_zero) / sizeof(more_zero[0]); i++)
        meminfo_line(out, more_zero[i], 0);
    meminfo_line(out, "Shmem", shared);
    static const char *const tail_zero[] = {
        "KReclaimable", "Slab",          "SReclaimable", "SUnreclaim", "KernelStack",
        "PageTables",   "SecPageTables", "NFS_Unstable", "Bounce",     "WritebackTmp",
    };
    for (size_t i = 0; i < sizeof(tail_zero) / sizeof(tail_zero[0]); i++)
        meminfo_line(out, tail_zero[i], 0);
    meminfo_line(out, "CommitLimit", total / 2 + swap);
    meminfo_line(out, "Committed_AS", total - free_);
    meminfo_line(out, "VmallocTotal", 34359738367ULL << 10);
    meminfo_line(out, "VmallocUsed", 0);
    meminfo_line(out, "VmallocChunk", 0);
    meminfo_line(out, "Percpu", 0);
    meminfo_line(out, "HardwareCorrupted", 0);
    meminfo_line(out, "AnonHugePages", 0);
    meminfo_line(out, "ShmemHugePages", 0);
    meminfo_line(out, "ShmemPmdMapped", 0);
    meminfo_line(out, "FileHugePages", 0);
    meminfo_line(out, "FilePmdMapped", 0);
    seqbuf_puts(out, "HugePages_Total:       0\nHugePages_Free:        0\n"
                     "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
    meminfo_line(out, "Hugepagesize", 2048 << 10);
    meminfo_line(out, "Hugetlb", 0);
    meminfo_line(out, "DirectMap4k", 0);
    meminfo_line(out, "DirectMap2M", 0);
    return 0;
}

static int show_stat(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    uint64_t up = proc_uptime_ns();
    uint64_t idle = up / (LINUX_NSEC_PER_SEC / USER_HZ);
    int ncpu = proc_cpu_count();
    seqbuf_printf(out, "cpu  0 0 0 %lu 0 0 0 0 0 0\n", (unsigned long)(idle * (uint64_t)ncpu));
    for (int i = 0, n = 0; i < PROC_MAX_CPUS && n < ncpu; i++) {
        if (!proc_cpu_present(i))
            continue;
        seqbuf_printf(out, "cpu%d 0 0 0 %lu 0 0 0 0 0 0\n", i, (unsigned long)idle);
        n++;
    }
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    int tasks, groups;
    proc_task_counts(&tasks, &groups);
    seqbuf_printf(out,
                  "intr 0\nctxt 0\nbtime %ld\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n"
                  "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
                  (long)(real.tv_sec - (int64_t)(up / LINUX_NSEC_PER_SEC)),
                  kernel_global->next_pid - 1);
    return 0;
}

static int show_uptime(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    uint64_t cs = proc_uptime_ns() / (LINUX_NSEC_PER_SEC / 100);
    uint64_t idle = cs * (uint64_t)proc_cpu_count();
    seqbuf_printf(out, "%lu.%02lu %lu.%02lu\n", (unsigned long)(cs / 100),
                  (unsigned long)(cs % 100), (unsigned long)(idle / 100),
                  (unsigned long)(idle % 100));
    return 0;
}

static int show_loadavg(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    int tasks, groups;
    proc_task_counts(&tasks, &groups);
    seqbuf_printf(out, "0.00 0.00 0.00 1/%d %d\n", tasks, kernel_global->next_pid - 1);
    return 0;
}

static int show_version(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    const struct kernel_identity *id = &kernel_global->uts;
    seqbuf_printf(out, "%s version %s (moat@moat) (moat sentry) %s\n", id->sysname, id->release,
                  id->version);
    return 0;
}

static void filesystems_one(const struct fs_type *type, void *ctx)
{
    seqbuf_printf(ctx, "%s\t%s\n", type->nodev ? "nodev" : "", type->name);
}

static int show_filesystems(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    fs_type_foreach(filesystems_one, out);
    return 0;
}

static int show_swaps(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    seqbuf_puts(out, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    return 0;
}

static int show_cmdline(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    seqbuf_puts(out, "moat\n");
    return 0;
}

/* --- the tree --- */

#define ROOT_REG(n, fn)                                                                            \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | 0444, .show = fn                                        \
    }

static const struct kernfs_node root_entries[] = {
    ROOT_REG("cmdline", show_cmdline),
    ROOT_REG("cpuinfo", proc_show_cpuinfo),
    ROOT_REG("filesystems", show_filesystems),
    ROOT_REG("loadavg", show_loadavg),
    ROOT_REG("meminfo", show_meminfo),
    {.name = "mounts", .mode = LINUX_S_IFLNK | 0777, .target = "self/mounts"},
    {.name = "self", .mode = LINUX_S_IFLNK | 0777, .readlink = self_readlink},
    ROOT_REG("stat", show_stat),
    ROOT_REG("swaps", show_swaps),
    {.name = "sys", .mode = LINUX_S_IFDIR | 0555, .children = proc_sys_entries},
    {.name = "thread-self", .mode = LINUX_S_IFLNK | 0777, .readlink = thread_self_readlink},
    ROOT_REG("uptime", show_uptime),
    ROOT_REG("version", show_version),
    {0},
};

static const struct kernfs_node proc_root = {
    .name = "",
    .mode = LINUX_S_IFDIR | 0555,
    .children = root_entries,
    .dir_ops = &proc_root_pids,
};

int procfs_new_sb(struct superblock **out_sb)
{
    struct superblock *sb = kernfs_new_sb(&procfs_type, &proc_root, 0);
    if (!sb)
        return -LINUX_ENOMEM;
    *out_sb = sb;
    return 0;
}

static int procfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                        const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data;
    return procfs_new_sb(out_sb);
}

const struct fs_type procfs_type = {
    .name = "proc",
    .nodev = true,
    .mount = procfs_mount,
    .kill_sb = kernfs_kill_sb,
};
