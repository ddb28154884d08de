/*
 * bench_rt.h - a tiny freestanding runtime for moat's microbenchmarks.
 *
 * The benchmarks are linked with -nostdlib -static so that they make only the
 * system calls they measure (and, in the file benchmarks, those that set up
 * and remove their scratch files; see bench_fs.h) plus write, clock_gettime,
 * mmap, munmap and exit_group: no libc start-up (arch_prctl, set_tid_address, rseq, brk,
 * getrandom...). That keeps them runnable under a minimal sentry and makes the
 * native, moat and runsc figures measure the same thing.
 *
 * x86-64 only. Include this header in exactly one translation unit, which
 * defines bench_main(argc, argv).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "tools/bench supports x86-64 only"
#endif

#define BENCH_NR_WRITE 1
#define BENCH_NR_MMAP 9
#define BENCH_NR_MUNMAP 11
#define BENCH_NR_GETPID 39
#define BENCH_NR_CLOCK_GETTIME 228
#define BENCH_NR_EXIT_GROUP 231

#define BENCH_PROT_READ 0x1
#define BENCH_PROT_WRITE 0x2
#define BENCH_MAP_PRIVATE 0x02
#define BENCH_MAP_ANONYMOUS 0x20
#define BENCH_CLOCK_MONOTONIC 1

struct bench_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

static inline long bench_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static inline long bench_syscall2(long nr, long a0, long a1)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long bench_syscall3(long nr, long a0, long a1, long a2)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long bench_syscall4(long nr, long a0, long a1, long a2, long a3)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long bench_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* gcc may emit calls to these even with -ffreestanding. */
void *memset(void *dst, int c, size_t size);
void *memcpy(void *dst, const void *src, size_t size);

void *memset(void *dst, int c, size_t size)
{
    unsigned char *d = dst;
    while (size--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t size)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (size--)
        *d++ = *s++;
    return dst;
}

__attribute__((noreturn)) static void bench_exit(int status)
{
    for (;;)
        bench_syscall2(BENCH_NR_EXIT_GROUP, status, 0);
}

/* Writes all of buf to fd; returns 0 or -errno. */
static long bench_write_all(int fd, const char *buf, size_t size)
{
    while (size > 0) {
        long n = bench_syscall3(BENCH_NR_WRITE, fd, (long)buf, (long)size);
        if (n == -4 /* EINTR */)
            continue;
        if (n <= 0)
            return n < 0 ? n : -5 /* EIO */;
        buf += n;
        size -= (size_t)n;
    }
    return 0;
}

/* A fixed output buffer; bench_flush() writes it to stdout. */
struct bench_out {
    char buf[512];
    size_t len;
};

static void bench_puts(struct bench_out *o, const char *s)
{
    while (*s && o->len < sizeof(o->buf))
        o->buf[o->len++] = *s++;
}

static void bench_putu(struct bench_out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0 && o->len < sizeof(o->buf))
        o->buf[o->len++] = tmp[--n];
}

/* Prints num/den with three decimals (rounded), e.g. 152.345. */
static void bench_putfrac(struct bench_out *o, uint64_t num, uint64_t den)
{
    if (den == 0) {
        bench_puts(o, "nan");
        return;
    }
    uint64_t milli = (num * 1000 + den / 2) / den; /* num < 2^53 in practice */
    bench_putu(o, milli / 1000);
    bench_puts(o, ".");
    uint64_t frac = milli % 1000;
    char digits[4] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                      (char)('0' + frac % 10), 0};
    bench_puts(o, digits);
}

static int bench_flush(struct bench_out *o, int fd)
{
    long err = bench_write_all(fd, o->buf, o->len);
    o->len = 0;
    return err < 0 ? -1 : 0;
}

__attribute__((noreturn)) static void bench_die(const char *prog, const char *msg)
{
    struct bench_out o = {.len = 0};
    bench_puts(&o, prog);
    bench_puts(&o, ": ");
    bench_puts(&o, msg);
    bench_puts(&o, "\n");
    bench_flush(&o, 2);
    bench_exit(2);
}

/* Parses a decimal unsigned integer; returns -1 on malformed input. */
static int bench_parse_u64(const char *s, uint64_t *out_value)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out_value = v;
    return 0;
}

/* Monotonic time in nanoseconds, through the real system call (no vDSO). */
static uint64_t bench_now_ns(void)
{
    struct bench_timespec ts;
    if (bench_syscall2(BENCH_NR_CLOCK_GETTIME, BENCH_CLOCK_MONOTONIC, (long)&ts) != 0)
        bench_die("bench", "clock_gettime failed");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_main(int argc, char **argv);

/* The kernel enters here with the stack pointer at argc. */
__attribute__((used, noreturn)) static void bench_start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    bench_exit(bench_main(argc, argv));
}

__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call bench_start_c\n"
        "    hlt\n");
