/*
 * bench_getdents - cost of listing a 1000-entry directory.
 *
 * Makes a scratch directory DIR/moat-bench-getdents.PID.NS (DIR defaults to
 * /tmp) holding 1000 empty files e0000..e0999, lists it once, then times
 * ITERATIONS full listings - open(O_DIRECTORY), getdents64 with a 32 KiB
 * buffer (glibc's readdir buffer) until it returns 0, close - checking each
 * time that all 1000 files are seen, and removes the directory.
 *
 * usage: bench_getdents [ITERATIONS [DIR]]   (default 200, /tmp)
 * prints: bench_getdents: N iterations, X ns/op   (X per full listing)
 */
#include "bench_rt.h"
#include "bench_fs.h"

#define PROG "bench_getdents"
#define ENTRIES 1000
#define BUF_SIZE 32768

static char buf[BUF_SIZE] __attribute__((aligned(8)));

/* Lists dir fully; returns the number of entries other than . and .. */
static uint64_t list(const char *dir)
{
    long fd = bench_syscall4(BENCH_NR_OPENAT, BENCH_AT_FDCWD, (long)dir,
                             BENCH_O_RDONLY | BENCH_O_DIRECTORY | BENCH_O_CLOEXEC, 0);
    if (fd < 0)
        bench_fail(PROG, "open(O_DIRECTORY) failed", fd);
    uint64_t count = 0;
    for (;;) {
        long n = bench_syscall3(BENCH_NR_GETDENTS64, fd, (long)buf, BUF_SIZE);
        if (n < 0)
            bench_fail(PROG, "getdents64 failed", n);
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct bench_dirent64 *d = (struct bench_dirent64 *)(buf + off);
            if (d->d_reclen == 0)
                bench_fail(PROG, "getdents64 returned a zero-length record", 0);
            off += d->d_reclen;
            count += !bench_is_dot(d->d_name);
        }
    }
    long err = bench_syscall2(BENCH_NR_CLOSE, fd, 0);
    if (err != 0)
        bench_fail(PROG, "close failed", err);
    return count;
}

int bench_main(int argc, char **argv)
{
    uint64_t iterations = 200;
    const char *parent = "/tmp";
    bench_fs_args(argc, argv, PROG, "usage: bench_getdents [ITERATIONS [DIR]]", &iterations,
                  &parent);

    struct bench_scratch s;
    char path[BENCH_PATH_MAX];
    bench_scratch_make(&s, PROG, "getdents", parent);
    for (int64_t i = 0; i < ENTRIES; i++) {
        bench_scratch_path(&s, path, "e", i);
        bench_create(&s, path, 0);
    }
    if (list(s.dir) != ENTRIES) /* warm up */
        bench_fail(PROG, "the listing does not hold the 1000 files just made", 0);

    uint64_t start = bench_now_ns();
    uint64_t seen = 0;
    for (uint64_t i = 0; i < iterations; i++)
        seen += list(s.dir);
    uint64_t elapsed = bench_now_ns() - start;
    if (seen != iterations * ENTRIES)
        bench_fail(PROG, "a listing did not hold the 1000 files", 0);

    bench_scratch_remove(&s);
    return bench_report(PROG, iterations, elapsed);
}
