/*
 * bench_open - cost of opening and closing a file whose dentry is cached.
 *
 * Makes a scratch directory DIR/moat-bench-open.PID.NS (DIR defaults to /tmp)
 * with one empty file in it, opens and closes the file once (so its dentry is
 * cached: under moat, no gofer round trip), then times ITERATIONS
 * open(O_RDONLY) + close pairs of it by absolute path, and removes the
 * directory.
 *
 * usage: bench_open [ITERATIONS [DIR]]   (default 10000, /tmp)
 * prints: bench_open: N iterations, X ns/op   (X per open+close pair)
 */
#include "bench_rt.h"
#include "bench_fs.h"

#define PROG "bench_open"

static void open_close(const char *path)
{
    long fd = bench_syscall4(BENCH_NR_OPENAT, BENCH_AT_FDCWD, (long)path, BENCH_O_RDONLY, 0);
    if (fd < 0)
        bench_fail(PROG, "open failed", fd);
    long err = bench_syscall2(BENCH_NR_CLOSE, fd, 0);
    if (err != 0)
        bench_fail(PROG, "close failed", err);
}

int bench_main(int argc, char **argv)
{
    uint64_t iterations = 10000;
    const char *parent = "/tmp";
    bench_fs_args(argc, argv, PROG, "usage: bench_open [ITERATIONS [DIR]]", &iterations, &parent);

    struct bench_scratch s;
    char path[BENCH_PATH_MAX];
    bench_scratch_make(&s, PROG, "open", parent);
    bench_scratch_path(&s, path, "file", -1);
    bench_create(&s, path, 0);
    open_close(path); /* warm up: caches the dentry, faults in the stack */

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < iterations; i++)
        open_close(path);
    uint64_t elapsed = bench_now_ns() - start;

    bench_scratch_remove(&s);
    return bench_report(PROG, iterations, elapsed);
}
