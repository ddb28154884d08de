/*
 * bench_touch - cost of first-touch page faults on anonymous memory.
 *
 * Maps SIZE_MIB (default 64) MiB of private anonymous memory, writes one byte
 * per 4 KiB page, then unmaps it.
 *
 * usage: bench_touch [SIZE_MIB]
 * prints: bench_touch: P pages, X ns/page, Y ms total
 */
#include "bench_rt.h"

#define PAGE_SIZE 4096u

int bench_main(int argc, char **argv)
{
    uint64_t mib = 64;
    if (argc > 2)
        bench_die("bench_touch", "usage: bench_touch [SIZE_MIB]");
    if (argc == 2 && (bench_parse_u64(argv[1], &mib) != 0 || mib == 0 || mib > 65536))
        bench_die("bench_touch", "SIZE_MIB must be an integer in 1..65536");

    uint64_t size = mib << 20;
    uint64_t pages = size / PAGE_SIZE;

    uint64_t start = bench_now_ns();
    long addr = bench_syscall6(BENCH_NR_MMAP, 0, (long)size, BENCH_PROT_READ | BENCH_PROT_WRITE,
                               BENCH_MAP_PRIVATE | BENCH_MAP_ANONYMOUS, -1, 0);
    if (addr < 0 && addr > -4096)
        bench_die("bench_touch", "mmap failed");
    volatile unsigned char *p = (volatile unsigned char *)addr;
    for (uint64_t i = 0; i < pages; i++)
        p[i * PAGE_SIZE] = 1;
    uint64_t elapsed = bench_now_ns() - start;

    /* Read back so that the writes cannot be elided and memory is sane. */
    for (uint64_t i = 0; i < pages; i += 4097)
        if (p[i * PAGE_SIZE] != 1)
            bench_die("bench_touch", "memory does not read back what was written");
    if (bench_syscall2(BENCH_NR_MUNMAP, addr, (long)size) != 0)
        bench_die("bench_touch", "munmap failed");

    struct bench_out o = {.len = 0};
    bench_puts(&o, "bench_touch: ");
    bench_putu(&o, pages);
    bench_puts(&o, " pages, ");
    bench_putfrac(&o, elapsed, pages);
    bench_puts(&o, " ns/page, ");
    bench_putfrac(&o, elapsed, 1000000);
    bench_puts(&o, " ms total\n");
    return bench_flush(&o, 1) == 0 ? 0 : 1;
}
