/* Names of Linux values for --strace: errno and signal names, and flag and
 * command decoders. Pure formatting: no sentry dependencies, no allocation.
 *
 * Every decoder writing to buf takes its size in bytes, always
 * NUL-terminates it (when size > 0), cuts the text short rather than
 * overflow, and returns the length of the text it wrote (at most size - 1). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* "ENOENT" for 2, also for the kernel-internal codes ("ERESTARTSYS"); NULL
 * for a number Linux does not use. */
const char *linux_errno_name(int err);
/* The text strace prints after the name: "No such file or directory". NULL
 * when linux_errno_name is. */
const char *linux_errno_desc(int err);
/* "SIGINT" for 2; "SIGRTMIN", "SIGRTMIN+1" ... "SIGRTMAX" for 32..64; NULL
 * out of range. */
const char *linux_signal_name(int signo);

/* One entry of a decoding table; a table ends with an entry whose name is
 * NULL. An entry matches when (value & mask) == entry value, where a mask of
 * 0 means the value's own bits. So a plain flag is { LINUX_O_CREAT, 0, ..},
 * a field value is { LINUX_O_RDONLY, LINUX_O_ACCMODE, ..} and a name for
 * zero alone is { 0, UINT64_MAX, ..}. */
struct flag_name {
    uint64_t value;
    uint64_t mask;
    const char *name;
};

/* "PROT_READ|PROT_WRITE": the names of the entries of table that match, in
 * table order, each consuming its bits (a matching entry whose bits are
 * already consumed is skipped); the bits left over as one hex number
 * ("O_CREAT|0x40000000"); "0" when nothing matched and value is 0. */
size_t decode_flags(char *buf, size_t size, uint64_t value, const struct flag_name *table);
/* The name of the first entry equal to value (masks are ignored), or NULL. */
const char *decode_lookup(uint64_t value, const struct flag_name *table);
/* decode_lookup's name, or the value in decimal (as a signed int64) when
 * the table has none. */
size_t decode_enum(char *buf, size_t size, uint64_t value, const struct flag_name *table);

/* Flag sets, for decode_flags. */
extern const struct flag_name decode_mmap_prot_names[];   /* PROT_* */
extern const struct flag_name decode_mmap_flag_names[];   /* MAP_* incl. the type */
extern const struct flag_name decode_mremap_flag_names[]; /* MREMAP_* */
extern const struct flag_name decode_open_flag_names[];   /* O_* incl. the access mode */
extern const struct flag_name decode_at_flag_names[];     /* AT_* of *at(2) */
extern const struct flag_name decode_sa_flag_names[];     /* SA_* */
extern const struct flag_name decode_grnd_flag_names[];   /* GRND_* */
/* Values, for decode_enum. */
extern const struct flag_name decode_clock_names[];       /* CLOCK_* */
extern const struct flag_name decode_arch_prctl_names[];  /* ARCH_* */
extern const struct flag_name decode_prctl_names[];       /* PR_* options */
extern const struct flag_name decode_madvise_names[];     /* MADV_* */
extern const struct flag_name decode_sigprocmask_names[]; /* SIG_BLOCK ... */
extern const struct flag_name decode_fcntl_names[];       /* F_* commands */
extern const struct flag_name decode_ioctl_names[];       /* TCGETS ... */
extern const struct flag_name decode_rlimit_names[];      /* RLIMIT_* */

size_t decode_mmap_prot(char *buf, size_t size, uint64_t prot);
size_t decode_mmap_flags(char *buf, size_t size, uint64_t flags);
size_t decode_open_flags(char *buf, size_t size, uint64_t flags);
size_t decode_at_flags(char *buf, size_t size, uint64_t flags);
/* The clock's name; a CPU clock of a pid or thread (negative id) as
 * "MAKE_PROCESS_CPUCLOCK(pid, ...)"-like text is not decoded: the number. */
size_t decode_clock(char *buf, size_t size, int64_t clock_id);
size_t decode_arch_prctl(char *buf, size_t size, uint64_t code);
size_t decode_prctl(char *buf, size_t size, uint64_t option);
size_t decode_madvise(char *buf, size_t size, uint64_t advice);
size_t decode_sigprocmask_how(char *buf, size_t size, uint64_t how);
size_t decode_fcntl_cmd(char *buf, size_t size, uint64_t cmd);
/* "TCGETS"; an unknown request as "_IOC(_IOC_READ, 0x54, 0x99, 0x4)" when
 * it has a direction or size, else in hex. */
size_t decode_ioctl_request(char *buf, size_t size, uint64_t request);
/* "SIGINT", or the number. */
size_t decode_signal(char *buf, size_t size, int64_t signo);
/* "[INT TERM RTMIN+1]" like strace; "[]" for none. */
size_t decode_sigset(char *buf, size_t size, uint64_t mask);
