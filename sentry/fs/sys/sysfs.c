/* sysfs (see sysfs.h).
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/sys/sysfs.h"

#include <stdio.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/kernfs/kernfs.h"
#include "sentry/kernel/kernel.h"

#define SYSFS_MAX_CPUS 1024

static bool cpu_in_set(int cpu)
{
    const uint64_t *cpus = kernel_global->cpus;
    int bits = (int)sizeof(kernel_global->cpus) * 8;
    return cpu >= 0 && cpu < bits && ((cpus[cpu / 64] >> (cpu % 64)) & 1);
}

/* "0-1,4\n": the sandbox's CPU set in Linux's cpulist format. */
static int show_cpu_list(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    seqbuf_cpulist(out, kernel_global->cpus, (int)sizeof(kernel_global->cpus) * 8);
    seqbuf_putc(out, '\n');
    return 0;
}

static int show_const(const struct kernfs_inode *ki, struct seqbuf *out)
{
    seqbuf_puts(out, ki->node->target);
    return 0;
}

static const struct kernfs_node cpu_n_dir = {.name = "cpuN", .mode = LINUX_S_IFDIR | 0755};

static bool parse_cpu_name(const char *name, int *out)
{
    if (strncmp(name, "cpu", 3) != 0 || !name[3] || (name[3] == '0' && name[4]))
        return false;
    int v = 0;
    for (const char *p = name + 3; *p; p++) {
        if (*p < '0' || *p > '9' || v > SYSFS_MAX_CPUS)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

static int cpus_lookup(const struct kernfs_inode *dir, const char *name,
                       const struct kernfs_node **out_node, int64_t *out_a, int64_t *out_b)
{
    (void)dir;
    int cpu;
    if (!parse_cpu_name(name, &cpu) || !cpu_in_set(cpu))
        return -LINUX_ENOENT;
    *out_node = &cpu_n_dir;
    *out_a = cpu;
    *out_b = 0;
    return 0;
}

static void cpus_iterate(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                         void *ctx)
{
    (void)dir;
    for (int cpu = start > SYSFS_MAX_CPUS ? SYSFS_MAX_CPUS : (int)start; cpu < SYSFS_MAX_CPUS;
         cpu++) {
        if (!cpu_in_set(cpu))
            continue;
        char name[16];
        snprintf(name, sizeof(name), "cpu%d", cpu);
        if (!emit(ctx, (uint64_t)cpu, name, &cpu_n_dir, cpu, 0))
            return;
    }
}

static const struct kernfs_dir_ops cpus_ops = {.lookup = cpus_lookup, .iterate = cpus_iterate};

#define LIST(n)                                                                                    \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | 0444, .show = show_cpu_list                             \
    }
#define DIR(n, c)                                                                                  \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFDIR | 0755, .children = c                                     \
    }

static const struct kernfs_node cpu_entries[] = {
    {.name = "kernel_max", .mode = LINUX_S_IFREG | 0444, .show = show_const, .target = "8191\n"},
    {.name = "offline", .mode = LINUX_S_IFREG | 0444, .show = show_const, .target = "\n"},
    LIST("online"),
    LIST("possible"),
    LIST("present"),
    {0},
};

static const struct kernfs_node system_entries[] = {
    {.name = "cpu", .mode = LINUX_S_IFDIR | 0755, .children = cpu_entries, .dir_ops = &cpus_ops},
    {0},
};

static const struct kernfs_node devices_entries[] = {
    DIR("system", system_entries),
    {0},
};

static const struct kernfs_node thp_entries[] = {
    {.name = "enabled",
     .mode = LINUX_S_IFREG | 0644,
     .show = show_const,
     .target = "always [madvise] never\n"},
    {0},
};

static const struct kernfs_node mm_entries[] = {
    DIR("transparent_hugepage", thp_entries),
    {0},
};

static const struct kernfs_node kernel_entries[] = {
    DIR("mm", mm_entries),
    {0},
};

static const struct kernfs_node root_entries[] = {
    DIR("block", NULL),
    DIR("bus", NULL),
    DIR("class", NULL),
    DIR("dev", NULL),
    DIR("devices", devices_entries),
    DIR("firmware", NULL),
    DIR("fs", NULL),
    DIR("kernel", kernel_entries),
    DIR("module", NULL),
    DIR("power", NULL),
    {0},
};

static const struct kernfs_node sysfs_root = {
    .name = "",
    .mode = LINUX_S_IFDIR | 0555,
    .children = root_entries,
};

int sysfs_new_sb(struct superblock **out_sb)
{
    struct superblock *sb = kernfs_new_sb(&sysfs_type, &sysfs_root, KERNFS_FILE_SIZE_PAGE);
    if (!sb)
        return -LINUX_ENOMEM;
    *out_sb = sb;
    return 0;
}

static int sysfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                       const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data;
    return sysfs_new_sb(out_sb);
}

const struct fs_type sysfs_type = {
    .name = "sysfs",
    .nodev = true,
    .mount = sysfs_mount,
    .kill_sb = kernfs_kill_sb,
};
