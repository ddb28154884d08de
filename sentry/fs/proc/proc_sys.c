/* /proc/sys: the sysctls programs read (and the few they write), with the
 * sandbox's values.
 *
 * Lock order: the kernel lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"

/* A file with fixed text. The text lives in the node's target field (a
 * regular file has no other use for it). */
static int show_const(const struct kernfs_inode *ki, struct seqbuf *out)
{
    seqbuf_puts(out, ki->node->target);
    return 0;
}

/* An integer sysctl: Linux gives its value to a read at offset 0 only. */
#define CONST(n, text)                                                                             \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | 0444, .flags = KERNFS_READ_AT_ZERO, .show = show_const, \
        .target = text "\n"                                                                        \
    }
/* Writable by root in Linux; the sandbox accepts and ignores writes. */
#define CONST_RW(n, text)                                                                          \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | 0644, .flags = KERNFS_READ_AT_ZERO, .show = show_const, \
        .store = store_ignore, .target = text "\n"                                                 \
    }

static long store_ignore(const struct kernfs_inode *ki, const char *buf, size_t size)
{
    (void)ki, (void)buf;
    return (long)size;
}

/* --- kernel/ --- */

static int show_uts(const struct kernfs_inode *ki, struct seqbuf *out)
{
    const struct kernel_identity *id = &kernel_global->uts;
    const char *name = ki->node->name;
    const char *v = strcmp(name, "hostname") == 0     ? id->nodename
                    : strcmp(name, "domainname") == 0 ? id->domainname
                    : strcmp(name, "osrelease") == 0  ? id->release
                    : strcmp(name, "ostype") == 0     ? id->sysname
                                                      : id->version;
    seqbuf_printf(out, "%s\n", v);
    return 0;
}

/* hostname and domainname: Linux's proc_dostring keeps at most the field
 * size less one, up to the first newline. */
static long store_uts(const struct kernfs_inode *ki, const char *buf, size_t size)
{
    struct kernel_identity *id = &kernel_global->uts;
    char *field = strcmp(ki->node->name, "hostname") == 0 ? id->nodename : id->domainname;
    size_t n = strcspn(buf, "\n");
    if (n > sizeof(id->nodename) - 1)
        n = sizeof(id->nodename) - 1;
    memset(field, 0, sizeof(id->nodename));
    memcpy(field, buf, n);
    return (long)size;
}

static void format_uuid(char out[37], const uint8_t b[16])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void random_uuid(uint8_t b[16])
{
    if (getrandom(b, 16, GRND_NONBLOCK) != 16)
        memset(b, 0x5a, 16);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 1 */
}

static int show_boot_id(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    static char id[37];
    if (!id[0]) {
        uint8_t b[16];
        random_uuid(b);
        format_uuid(id, b);
    }
    seqbuf_printf(out, "%s\n", id);
    return 0;
}

static int show_uuid(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    uint8_t b[16];
    char id[37];
    random_uuid(b);
    format_uuid(id, b);
    seqbuf_printf(out, "%s\n", id);
    return 0;
}

#define UTS(n, m)                                                                                  \
    {                                                                                              \
        .name = n, .mode = LINUX_S_IFREG | (m), .show = show_uts, .store = store_uts               \
    }

static const struct kernfs_node random_entries[] = {
    {.name = "boot_id", .mode = LINUX_S_IFREG | 0444, .show = show_boot_id},
    CONST("entropy_avail", "256"),
    CONST("poolsize", "256"),
    {.name = "uuid", .mode = LINUX_S_IFREG | 0444, .show = show_uuid},
    {0},
};

static const struct kernfs_node kernel_entries[] = {
    CONST("cap_last_cap", "40"),
    UTS("domainname", 0644),
    UTS("hostname", 0644),
    CONST("ngroups_max", "65536"),
    {.name = "osrelease", .mode = LINUX_S_IFREG | 0444, .show = show_uts},
    {.name = "ostype", .mode = LINUX_S_IFREG | 0444, .show = show_uts},
    CONST("overflowgid", "65534"),
    CONST("overflowuid", "65534"),
    CONST("pid_max", "4194304"),
    {.name = "random", .mode = LINUX_S_IFDIR | 0555, .children = random_entries},
    CONST("threads-max", "126918"),
    {.name = "version", .mode = LINUX_S_IFREG | 0444, .show = show_uts},
    {0},
};

/* --- vm/ --- */

static const struct kernfs_node vm_entries[] = {
    CONST("max_map_count", "65530"),
    CONST("mmap_min_addr", "65536"),
    CONST_RW("overcommit_memory", "0"),
    CONST("overcommit_ratio", "50"),
    {0},
};

/* --- fs/ --- */

static int show_pipe_max_size(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    seqbuf_printf(out, "%u\n", pipe_max_size);
    return 0;
}

static long store_pipe_max_size(const struct kernfs_inode *ki, const char *buf, size_t size)
{
    (void)ki;
    char *end;
    unsigned long v = strtoul(buf, &end, 10);
    if (end == buf || (*end && *end != '\n'))
        return -LINUX_EINVAL;
    int err = pipe_set_max_size(v);
    return err ? err : (long)size;
}

static const struct kernfs_node fs_entries[] = {
    CONST("file-max", "9223372036854775807"),
    CONST("nr_open", "1048576"),
    {.name = "pipe-max-size",
     .mode = LINUX_S_IFREG | 0644,
     .flags = KERNFS_READ_AT_ZERO,
     .show = show_pipe_max_size,
     .store = store_pipe_max_size},
    {0},
};

/* --- net/ --- */

static const struct kernfs_node net_core_entries[] = {
    CONST("somaxconn", "4096"),
    {0},
};

static const struct kernfs_node net_entries[] = {
    {.name = "core", .mode = LINUX_S_IFDIR | 0555, .children = net_core_entries},
    {0},
};

const struct kernfs_node proc_sys_entries[] = {
    {.name = "fs", .mode = LINUX_S_IFDIR | 0555, .children = fs_entries},
    {.name = "kernel", .mode = LINUX_S_IFDIR | 0555, .children = kernel_entries},
    {.name = "net", .mode = LINUX_S_IFDIR | 0555, .children = net_entries},
    {.name = "vm", .mode = LINUX_S_IFDIR | 0555, .children = vm_entries},
    {0},
};
