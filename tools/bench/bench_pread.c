/*
 * bench_pread - cost of a 4 KiB pread from a file's cached pages.
 *
 * Makes a scratch directory DIR/moat-bench-pread.PID.NS (DIR defaults to
 * /tmp), writes a 1 MiB file in it (page P filled with the byte P), reads it
 * all once, then times ITERATIONS 4 KiB preads at rotating page-aligned
 * offsets (page i * 97 mod 256: every page in turn, never sequential) and
 * removes the directory.
 *
 * usage: bench_pread [ITERATIONS [DIR]]   (default 10000, /tmp)
 * prints: bench_pread: N iterations, X ns/op
 */
#include "bench_rt.h"
#include "bench_fs.h"

#define PROG "bench_pread"
#define CHUNK 4096u
#define FILE_PAGES 256u /* 1 MiB */

static unsigned char buf[CHUNK] __attribute__((aligned(64)));

static void pread_page(long fd, uint64_t page)
{
    long n = bench_syscall4(BENCH_NR_PREAD64, fd, (long)buf, CHUNK, (long)(page * CHUNK));
    if (n != (long)CHUNK)
        bench_fail(PROG, "pread did not return 4096 bytes", n < 0 ? n : 0);
}

int bench_main(int argc, char **argv)
{
    uint64_t iterations = 10000;
    const char *parent = "/tmp";
    bench_fs_args(argc, argv, PROG, "usage: bench_pread [ITERATIONS [DIR]]", &iterations, &parent);

    struct bench_scratch s;
    char path[BENCH_PATH_MAX];
    bench_scratch_make(&s, PROG, "pread", parent);
    bench_scratch_path(&s, path, "file", -1);
    long wfd = bench_create(&s, path, 1);
    for (uint64_t page = 0; page < FILE_PAGES; page++) {
        memset(buf, (int)page, CHUNK);
        long err = bench_write_all((int)wfd, (const char *)buf, CHUNK);
        if (err != 0)
            bench_fail(PROG, "cannot write the 1 MiB file", err);
    }
    long err = bench_syscall2(BENCH_NR_CLOSE, wfd, 0);
    if (err != 0)
        bench_fail(PROG, "close failed", err);

    long fd = bench_syscall4(BENCH_NR_OPENAT, BENCH_AT_FDCWD, (long)path,
                             BENCH_O_RDONLY | BENCH_O_CLOEXEC, 0);
    if (fd < 0)
        bench_fail(PROG, "open failed", fd);
    /* Warm up, and check that pread returns what was written. */
    for (uint64_t page = 0; page < FILE_PAGES; page++) {
        pread_page(fd, page);
        if (buf[0] != (unsigned char)page || buf[CHUNK - 1] != (unsigned char)page)
            bench_fail(PROG, "pread does not return what was written", 0);
    }

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < iterations; i++)
        pread_page(fd, (i * 97) % FILE_PAGES);
    uint64_t elapsed = bench_now_ns() - start;

    bench_syscall2(BENCH_NR_CLOSE, fd, 0);
    bench_scratch_remove(&s);
    return bench_report(PROG, iterations, elapsed);
}
