/* Thread-local storage on x86-64: the %fs base set up by the loader, __thread
 * variables, and arch_prctl(ARCH_SET_FS/ARCH_GET_FS) to a block of our own. */
#include <asm/prctl.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

extern const ElfW(Ehdr) __ehdr_start;

static __thread int tls_init = 42;
static __thread int tls_zero;
static __thread char tls_big[1000] = {[0] = 'a', [999] = 'z'};

static uintptr_t fs0(void)
{
    uintptr_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static uintptr_t fs_word(long offset)
{
    uintptr_t v;
    __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(offset));
    return v;
}

/* A raw syscall that does not touch errno (which lives in TLS). */
static long raw_arch_prctl(long code, uintptr_t arg)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_arch_prctl), "D"(code), "S"(arg)
                     : "rcx", "r11", "memory");
    return ret;
}

static uintptr_t get_fs(void)
{
    uintptr_t fs = 0;
    long r = raw_arch_prctl(ARCH_GET_FS, (uintptr_t)&fs);
    CHECK(r == 0, "ARCH_GET_FS returned %ld", r);
    return fs;
}

int main(void)
{
    uintptr_t fs = get_fs();
    CHECK(fs != 0, "%%fs base is 0");
    CHECK(fs0() == fs, "%%fs:0 is 0x%lx, ARCH_GET_FS says 0x%lx", fs0(), fs);
    CHECK((uintptr_t)__builtin_thread_pointer() == fs, "__builtin_thread_pointer mismatch");

    /* Variant II TLS: the block sits just below the thread pointer. */
    CHECK(tls_init == 42, "initialised __thread variable is %d", tls_init);
    CHECK(tls_zero == 0, "zero __thread variable is %d", tls_zero);
    CHECK(tls_big[0] == 'a' && tls_big[999] == 'z' && tls_big[500] == 0,
          "__thread array initialisation wrong");
    CHECK((uintptr_t)&tls_init < fs && (uintptr_t)&tls_init > fs - 65536,
          "&tls_init %p not just below the thread pointer 0x%lx", (void *)&tls_init, fs);
    tls_init++;
    tls_zero = 7;
    CHECK(tls_init == 43 && tls_zero == 7, "__thread writes lost");
    /* errno is TLS too. */
    errno = 0;
    CHECK(syscall(SYS_arch_prctl, 0x9999, 0) == -1 && errno == EINVAL,
          "unknown arch_prctl code: errno %d", errno);

    /* Switch to a block of our own. Copy the TCB head (self pointer, stack
     * guard at 0x28, pointer guard at 0x30) so compiler-inserted checks keep
     * working, and touch no libc state while it is installed. */
    static uintptr_t block[64] __attribute__((aligned(64)));
    memcpy(block, (void *)fs, sizeof(block));
    block[0] = (uintptr_t)block;
    block[9] = 0x1234567890abcdefUL; /* offset 0x48 */
    long r = raw_arch_prctl(ARCH_SET_FS, (uintptr_t)block);
    uintptr_t seen0 = fs0();
    uintptr_t seen48 = fs_word(0x48);
    uintptr_t got = 0;
    long r2 = raw_arch_prctl(ARCH_GET_FS, (uintptr_t)&got);
    long r3 = raw_arch_prctl(ARCH_SET_FS, fs);
    /* Back on the real TCB: now report. */
    CHECK(r == 0, "ARCH_SET_FS to our block returned %ld", r);
    CHECK(r3 == 0, "ARCH_SET_FS back returned %ld", r3);
    CHECK(seen0 == (uintptr_t)block, "%%fs:0 on our block is 0x%lx, want %p", seen0,
          (void *)block);
    CHECK(seen48 == 0x1234567890abcdefUL, "%%fs:0x48 on our block is 0x%lx", seen48);
    CHECK(r2 == 0 && got == (uintptr_t)block, "ARCH_GET_FS on our block: %ld 0x%lx", r2, got);
    CHECK(get_fs() == fs && fs0() == fs, "thread pointer not restored");
    CHECK(tls_init == 43 && tls_zero == 7, "__thread values changed across the switch");

    /* Errors: a non-canonical base is refused; a bad out pointer faults. */
    CHECK(raw_arch_prctl(ARCH_SET_FS, 1UL << 63) == -EPERM, "non-canonical ARCH_SET_FS accepted");
    CHECK(get_fs() == fs, "refused ARCH_SET_FS changed the base");
    CHECK(raw_arch_prctl(ARCH_GET_FS, 8) == -EFAULT, "ARCH_GET_FS to a bad pointer");
    CHECK(raw_arch_prctl(0x9999, 0) == -EINVAL, "unknown code");

    return check_done(__ehdr_start.e_type == ET_DYN ? "tls (static-pie)" : "tls");
}
