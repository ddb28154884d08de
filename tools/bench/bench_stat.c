/*
 * bench_stat - cost of stat on a file whose dentry is cached.
 *
 * Makes a scratch directory DIR/moat-bench-stat.PID.NS (DIR defaults to /tmp)
 * with one empty file in it, stats it once, then times ITERATIONS stat calls
 * (newfstatat(AT_FDCWD, absolute path, &st, 0), what glibc's stat makes) and
 * removes the directory.
 *
 * usage: bench_stat [ITERATIONS [DIR]]   (default 10000, /tmp)
 * prints: bench_stat: N iterations, X ns/op
 */
#include "bench_rt.h"
#include "bench_fs.h"

#define PROG "bench_stat"

static void stat_file(const char *path, struct bench_stat *st)
{
    long err = bench_syscall4(BENCH_NR_NEWFSTATAT, BENCH_AT_FDCWD, (long)path, (long)st, 0);
    if (err != 0)
        bench_fail(PROG, "stat failed", err);
}

int bench_main(int argc, char **argv)
{
    uint64_t iterations = 10000;
    const char *parent = "/tmp";
    bench_fs_args(argc, argv, PROG, "usage: bench_stat [ITERATIONS [DIR]]", &iterations, &parent);

    struct bench_scratch s;
    struct bench_stat st;
    char path[BENCH_PATH_MAX];
    bench_scratch_make(&s, PROG, "stat", parent);
    bench_scratch_path(&s, path, "file", -1);
    bench_create(&s, path, 0);
    stat_file(path, &st); /* warm up */
    if ((st.st_mode & 0170000) != 0100000 || st.st_size != 0)
        bench_fail(PROG, "stat does not describe the empty regular file just made", 0);

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < iterations; i++)
        stat_file(path, &st);
    uint64_t elapsed = bench_now_ns() - start;

    bench_scratch_remove(&s);
    return bench_report(PROG, iterations, elapsed);
}
