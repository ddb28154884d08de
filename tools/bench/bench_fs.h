/*
 * bench_fs.h - scratch directories and file helpers for the file-system
 * microbenchmarks (bench_open, bench_stat, bench_pread, bench_getdents).
 *
 * Each benchmark makes its own directory PARENT/moat-bench-NAME.PID.NS (PARENT
 * defaults to /tmp; NS is the monotonic clock, so the name is unique even
 * where every sandbox's first process has the same pid), works inside it and
 * removes it and everything in it at the end, also when it fails part-way.
 * The directory is flat: bench_scratch_remove() unlinks every entry it lists
 * and then removes the directory.
 *
 * Include after bench_rt.h, in the benchmark's one translation unit.
 */
#pragma once

#include "bench_rt.h"

#define BENCH_NR_CLOSE 3
#define BENCH_NR_PREAD64 17
#define BENCH_NR_GETDENTS64 217
#define BENCH_NR_OPENAT 257
#define BENCH_NR_MKDIRAT 258
#define BENCH_NR_NEWFSTATAT 262
#define BENCH_NR_UNLINKAT 263

#define BENCH_AT_FDCWD (-100)
#define BENCH_AT_REMOVEDIR 0x200
#define BENCH_O_RDONLY 0
#define BENCH_O_WRONLY 1
#define BENCH_O_CREAT 0100
#define BENCH_O_EXCL 0200
#define BENCH_O_DIRECTORY 0200000
#define BENCH_O_CLOEXEC 02000000
#define BENCH_EEXIST 17
#define BENCH_EINTR 4

#define BENCH_PATH_MAX 256

/* struct stat as the x86-64 kernel fills it (144 bytes). */
struct bench_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    int64_t st_times[6];
    int64_t reserved[3];
};

/* struct linux_dirent64 header; d_name follows. */
struct bench_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

struct bench_scratch {
    const char *prog; /* for messages */
    char dir[BENCH_PATH_MAX];
    int made;         /* dir exists and is ours to remove */
};

static struct bench_scratch *bench_scratch_current; /* removed by bench_fail */

/* Appends s to the NUL-terminated path in buf (size BENCH_PATH_MAX). */
static void bench_path_append(char *buf, const char *s)
{
    size_t len = 0;
    while (buf[len])
        len++;
    while (*s && len + 1 < BENCH_PATH_MAX)
        buf[len++] = *s++;
    buf[len] = 0;
}

static void bench_path_append_u(char *buf, uint64_t v, int min_digits)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < min_digits);
    char out[25];
    int i = 0;
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = 0;
    bench_path_append(buf, out);
}

/* path = scratch dir + "/" + name [+ index, zero-padded to 4 digits if >= 0] */
static void bench_scratch_path(const struct bench_scratch *s, char *path, const char *name,
                               int64_t index)
{
    path[0] = 0;
    bench_path_append(path, s->dir);
    bench_path_append(path, "/");
    bench_path_append(path, name);
    if (index >= 0)
        bench_path_append_u(path, (uint64_t)index, 4);
}

static void bench_scratch_remove(struct bench_scratch *s);

/* Reports "PROG: MSG (errno E)" on stderr, removes the scratch directory and
 * exits with status 2. err is a negative errno or 0. */
__attribute__((noreturn)) static void bench_fail(const char *prog, const char *msg, long err)
{
    struct bench_out o = {.len = 0};
    bench_puts(&o, prog);
    bench_puts(&o, ": ");
    bench_puts(&o, msg);
    if (err < 0) {
        bench_puts(&o, " (errno ");
        bench_putu(&o, (uint64_t)-err);
        bench_puts(&o, ")");
    }
    bench_puts(&o, "\n");
    bench_flush(&o, 2);
    if (bench_scratch_current) {
        struct bench_scratch *s = bench_scratch_current;
        bench_scratch_current = 0; /* no recursion if removal fails */
        bench_scratch_remove(s);
    }
    bench_exit(2);
}

/* Makes PARENT/moat-bench-NAME.PID.NS; PARENT must exist. */
static void bench_scratch_make(struct bench_scratch *s, const char *prog, const char *name,
                               const char *parent)
{
    s->prog = prog;
    s->made = 0;
    long pid = bench_syscall0(BENCH_NR_GETPID);
    for (int attempt = 0;; attempt++) {
        s->dir[0] = 0;
        bench_path_append(s->dir, parent);
        bench_path_append(s->dir, "/moat-bench-");
        bench_path_append(s->dir, name);
        bench_path_append(s->dir, ".");
        bench_path_append_u(s->dir, pid > 0 ? (uint64_t)pid : 0, 1);
        bench_path_append(s->dir, ".");
        bench_path_append_u(s->dir, bench_now_ns(), 1);
        long err = bench_syscall3(BENCH_NR_MKDIRAT, BENCH_AT_FDCWD, (long)s->dir, 0700);
        if (err == 0)
            break;
        if (err != -BENCH_EEXIST || attempt >= 10)
            bench_fail(prog, "cannot make the scratch directory", err);
    }
    s->made = 1;
    bench_scratch_current = s;
}

/* Creates an empty file at path (which must not exist); returns its fd
 * (write-only) if keep_open, else closes it and returns 0. */
static int bench_create(const struct bench_scratch *s, const char *path, int keep_open)
{
    long fd = bench_syscall4(BENCH_NR_OPENAT, BENCH_AT_FDCWD, (long)path,
                             BENCH_O_WRONLY | BENCH_O_CREAT | BENCH_O_EXCL | BENCH_O_CLOEXEC, 0600);
    if (fd < 0)
        bench_fail(s->prog, "cannot create a file in the scratch directory", fd);
    if (keep_open)
        return (int)fd;
    long err = bench_syscall2(BENCH_NR_CLOSE, fd, 0);
    if (err != 0)
        bench_fail(s->prog, "close failed", err);
    return 0;
}

static int bench_is_dot(const char *name)
{
    return name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
}

/* Unlinks every entry of the (flat) scratch directory, then removes it.
 * Failures are reported on stderr and exit with status 2. */
static void bench_scratch_remove(struct bench_scratch *s)
{
    static char buf[16384] __attribute__((aligned(8)));
    if (!s->made)
        return;
    bench_scratch_current = 0;
    for (;;) {
        /* Reopen after each batch: unlinking while reading one stream may
         * skip entries. */
        long fd = bench_syscall4(BENCH_NR_OPENAT, BENCH_AT_FDCWD, (long)s->dir,
                                 BENCH_O_RDONLY | BENCH_O_DIRECTORY | BENCH_O_CLOEXEC, 0);
        if (fd < 0)
            bench_fail(s->prog, "cannot open the scratch directory to remove it", fd);
        long n = bench_syscall3(BENCH_NR_GETDENTS64, fd, (long)buf, sizeof(buf));
        if (n < 0)
            bench_fail(s->prog, "getdents64 of the scratch directory failed", n);
        int removed = 0;
        for (long off = 0; off < n;) {
            struct bench_dirent64 *d = (struct bench_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (bench_is_dot(d->d_name))
                continue;
            long err = bench_syscall3(BENCH_NR_UNLINKAT, fd, (long)d->d_name, 0);
            if (err != 0)
                bench_fail(s->prog, "cannot remove a file in the scratch directory", err);
            removed++;
        }
        bench_syscall2(BENCH_NR_CLOSE, fd, 0);
        if (removed == 0)
            break;
    }
    long err = bench_syscall3(BENCH_NR_UNLINKAT, BENCH_AT_FDCWD, (long)s->dir, BENCH_AT_REMOVEDIR);
    if (err != 0)
        bench_fail(s->prog, "cannot remove the scratch directory", err);
    s->made = 0;
}

/* Prints "bench_NAME: N iterations, X ns/op" on stdout; returns the exit
 * status. */
static int bench_report(const char *prog, uint64_t iterations, uint64_t elapsed_ns)
{
    struct bench_out o = {.len = 0};
    bench_puts(&o, prog);
    bench_puts(&o, ": ");
    bench_putu(&o, iterations);
    bench_puts(&o, " iterations, ");
    bench_putfrac(&o, elapsed_ns, iterations);
    bench_puts(&o, " ns/op\n");
    return bench_flush(&o, 1) == 0 ? 0 : 1;
}

/* Parses [ITERATIONS [DIR]] (argv[1], argv[2]); dies with usage otherwise. */
static void bench_fs_args(int argc, char **argv, const char *prog, const char *usage,
                          uint64_t *iterations, const char **parent)
{
    if (argc > 3)
        bench_die(prog, usage);
    if (argc >= 2 && (bench_parse_u64(argv[1], iterations) != 0 || *iterations == 0))
        bench_die(prog, "ITERATIONS must be a positive integer");
    if (argc >= 3) {
        size_t len = 0;
        while (argv[2][len])
            len++;
        if (len == 0 || len > 128)
            bench_die(prog, "DIR must be a path of 1..128 characters");
        *parent = argv[2];
    }
}
