/* Platform selection by name, and the host's FPU layout. */
#include "platform/platform.h"

#include <cpuid.h>
#include <stdint.h>
#include <string.h>

const struct platform_ops *platform;

static const struct platform_ops *const platforms[] = {
    &platform_ptrace,
};

const struct platform_ops *platform_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    }
    return NULL;
}

/* Offsets in the XSAVE image (the Intel SDM's, vol. 1 section 13.4). */
#define XS_FCW 0
#define XS_MXCSR 24
#define XS_MXCSR_MASK 28
/* Linux's ptrace image puts the user XCR0 in the first word of the
 * software-reserved bytes (USER_XSTATE_XCR0_WORD), for debuggers. */
#define XS_SW_XCR0 464
#define XS_HEADER 512
#define XFEATURE_X87_SSE 0x3ULL

static bool host_has_xsave(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    return (c & bit_OSXSAVE) != 0; /* the kernel enabled XSAVE */
}

static uint64_t host_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

uint32_t platform_xstate_size(void)
{
    /* CPUID 0xd.0 EBX: the standard-format size of the features enabled in
     * XCR0, which the kernel sets to its user features: the size of its
     * NT_X86_XSTATE regset. */
    static uint32_t size;
    if (size)
        return size;
    unsigned int a, b, c, d;
    uint32_t s = 512;
    if (host_has_xsave() && __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b > 512)
        s = b;
    size = s;
    return s;
}

void platform_xstate_init(struct cpu_state *cpu)
{
    uint8_t *x = cpu->xstate;
    memset(x, 0, sizeof(cpu->xstate));
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    memcpy(x + XS_FCW, &fcw, sizeof(fcw));
    memcpy(x + XS_MXCSR, &mxcsr, sizeof(mxcsr));
    /* MXCSR_MASK is the CPU's, not state: the sentry checks an
     * application's MXCSR against it. Ask the CPU. */
    _Alignas(16) uint8_t fx[512];
    __asm__ volatile("fxsave64 %0" : "=m"(fx));
    memcpy(x + XS_MXCSR_MASK, fx + XS_MXCSR_MASK, 4);
    uint32_t size = platform_xstate_size();
    if (size > CPU_XSTATE_SIZE)
        size = CPU_XSTATE_SIZE;
    if (size > XS_HEADER) {
        uint64_t xcr0 = host_xcr0();
        memcpy(x + XS_SW_XCR0, &xcr0, sizeof(xcr0));
        /* x87 and SSE marked present, so that fcw and MXCSR above are
         * loaded: with both bits clear the kernel keeps the MXCSR the
         * previous program had. */
        uint64_t bv = XFEATURE_X87_SSE;
        memcpy(x + XS_HEADER, &bv, sizeof(bv));
    }
    cpu->xstate_size = size;
    cpu->xstate_valid = true;
    cpu->xstate_dirty = true;
}
