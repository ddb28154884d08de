/* /proc/cpuinfo, synthesized from CPUID (the sentry never opens host
 * files). The CPU the application runs on is the one the sentry runs on, so
 * what CPUID says here is what the application's own CPUID instructions
 * see. One entry per CPU of the sandbox's set (kernel->cpus), numbered as
 * the set numbers them, in Linux's format (arch/x86/kernel/cpu/proc.c).
 * Flags are the CPUID feature bits under Linux's names, in Linux's order;
 * Linux's own synthetic flags (constant_tsc, rep_good...) are not shown.
 *
 * Lock order: none (pure but for the cached frequency). */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sentry/fs/proc/cpuinfo.h"
#include "sentry/fs/proc/proc_internal.h"

struct flag_word {
    uint32_t leaf, subleaf;
    int reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
    const char *names[32];
};

/* Linux's x86_cap_flags, word by word in cpufeatures.h order. */
static const struct flag_word flag_words[] = {
    {1, 0, 3, {"fpu",  "vme",   "de",   "pse",     "tsc",  "msr", "pae",  "mce",
               "cx8",  "apic",  NULL,   "sep",     "mtrr", "pge", "mca",  "cmov",
               "pat",  "pse36", "pn",   "clflush", NULL,   "dts", "acpi", "mmx",
               "fxsr", "sse",   "sse2", "ss",      "ht",   "tm",  "ia64", "pbe"}},
    {0x80000001,
     0,
     3,
     {[11] = "syscall",
      [19] = "mp",
      [20] = "nx",
      [22] = "mmxext",
      [25] = "fxsr_opt",
      [26] = "pdpe1gb",
      [27] = "rdtscp",
      [29] = "lm",
      [30] = "3dnowext",
      [31] = "3dnow"}},
    {1, 0, 2, {"pni",    "pclmulqdq", "dtes64", "monitor", "ds_cpl",
               "vmx",    "smx",       "est",    "tm2",     "ssse3",
               "cid",    "sdbg",      "fma",    "cx16",    "xtpr",
               "pdcm",   NULL,        "pcid",   "dca",     "sse4_1",
               "sse4_2", "x2apic",    "movbe",  "popcnt",  "tsc_deadline_timer",
               "aes",    "xsave",     NULL,     "avx",     "f16c",
               "rdrand", "hypervisor"}},
    {0x80000001, 0, 2, {"lahf_lm",    "cmp_legacy",  "svm",
                        "extapic",    "cr8_legacy",  "abm",
                        "sse4a",      "misalignsse", "3dnowprefetch",
                        "osvw",       "ibs",         "xop",
                        "skinit",     "wdt",         NULL,
                        "lwp",        "fma4",        "tce",
                        NULL,         "nodeid_msr",  NULL,
                        "tbm",        "topoext",     "perfctr_core",
                        "perfctr_nb", NULL,          "bpext",
                        "ptsc",       "perfctr_llc", "mwaitx"}},
    {7, 0, 1, {"fsgsbase", "tsc_adjust", "sgx",      "bmi1",       "hle",      "avx2",
               NULL,       "smep",       "bmi2",     "erms",       "invpcid",  "rtm",
               "cqm",      NULL,         "mpx",      "rdt_a",      "avx512f",  "avx512dq",
               "rdseed",   "adx",        "smap",     "avx512ifma", NULL,       "clflushopt",
               "clwb",     "intel_pt",   "avx512pf", "avx512er",   "avx512cd", "sha_ni",
               "avx512bw", "avx512vl"}},
    {0xd, 1, 0, {"xsaveopt", "xsavec", "xgetbv1", "xsaves"}},
    {7, 1, 0, {[4] = "avx_vnni", [5] = "avx512_bf16"}},
    {0x80000008, 0, 1, {"clzero", "irperf", "xsaveerptr", [4] = "rdpru", [9] = "wbnoinvd"}},
    {6, 0, 0, {[0] = "dtherm", [1] = "ida", [2] = "arat", [4] = "pln", [6] = "pts"}},
    {7,
     0,
     2,
     {[1] = "avx512vbmi",
      [2] = "umip",
      [3] = "pku",
      [4] = "ospke",
      [5] = "waitpkg",
      [6] = "avx512_vbmi2",
      [8] = "gfni",
      [9] = "vaes",
      [10] = "vpclmulqdq",
      [11] = "avx512_vnni",
      [12] = "avx512_bitalg",
      [13] = "tme",
      [14] = "avx512_vpopcntdq",
      [16] = "la57",
      [22] = "rdpid",
      [24] = "bus_lock_detect",
      [25] = "cldemote",
      [27] = "movdiri",
      [28] = "movdir64b",
      [29] = "enqcmd",
      [30] = "sgx_lc"}},
    {7,
     0,
     3,
     {[2] = "avx512_4vnniw",
      [3] = "avx512_4fmaps",
      [4] = "fsrm",
      [8] = "avx512_vp2intersect",
      [10] = "md_clear",
      [14] = "serialize",
      [16] = "tsxldtrk",
      [18] = "pconfig",
      [19] = "arch_lbr",
      [20] = "ibt",
      [22] = "amx_bf16",
      [23] = "avx512_fp16",
      [24] = "amx_tile",
      [25] = "amx_int8",
      [28] = "flush_l1d",
      [29] = "arch_capabilities"}},
};

void cpuinfo_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    __cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
}

static uint32_t max_leaf(cpuid_fn cpuid, uint32_t base)
{
    uint32_t r[4];
    cpuid(base, 0, r);
    return r[0];
}

static bool leaf_ok(cpuid_fn cpuid, uint32_t leaf)
{
    uint32_t base = leaf & 0x80000000u;
    uint32_t max = max_leaf(cpuid, base);
    return leaf <= max && (base == 0 || max >= 0x80000000u);
}

void cpuinfo_flags(struct seqbuf *out, cpuid_fn cpuid)
{
    for (size_t w = 0; w < sizeof(flag_words) / sizeof(flag_words[0]); w++) {
        const struct flag_word *fw = &flag_words[w];
        if (!leaf_ok(cpuid, fw->leaf))
            continue;
        uint32_t r[4];
        cpuid(fw->leaf, fw->subleaf, r);
        for (int bit = 0; bit < 32; bit++) {
            if (fw->names[bit] && ((r[fw->reg] >> bit) & 1))
                seqbuf_printf(out, " %s", fw->names[bit]);
        }
        if (w == 1) {
            /* Linux's word 3: the synthetic flags that follow from CPUID. */
            bool invariant_tsc = false;
            if (leaf_ok(cpuid, 0x80000007)) {
                cpuid(0x80000007, 0, r);
                invariant_tsc = (r[3] >> 8) & 1;
            }
            seqbuf_puts(out, invariant_tsc ? " constant_tsc nonstop_tsc cpuid" : " cpuid");
        }
    }
}

/* The size in KB of the largest cache: Intel's leaf 4, else AMD's L2. */
static unsigned cache_kb(cpuid_fn cpuid)
{
    uint32_t r[4];
    unsigned best = 0;
    if (leaf_ok(cpuid, 4)) {
        for (uint32_t i = 0; i < 16; i++) {
            cpuid(4, i, r);
            if ((r[0] & 0x1f) == 0)
                break;
            uint64_t size = (uint64_t)(((r[1] >> 22) & 0x3ff) + 1) * (((r[1] >> 12) & 0x3ff) + 1) *
                            ((r[1] & 0xfff) + 1) * ((uint64_t)r[2] + 1);
            if (size / 1024 > best)
                best = (unsigned)(size / 1024);
        }
    }
    if (best == 0 && leaf_ok(cpuid, 0x80000006)) {
        cpuid(0x80000006, 0, r);
        best = r[2] >> 16;
    }
    return best;
}

/* The TSC frequency in kHz: CPUID when it says, else measured once. */
unsigned cpuinfo_host_khz(void)
{
    static unsigned khz;
    if (khz)
        return khz;
    uint32_t r[4];
    if (leaf_ok(cpuinfo_host_cpuid, 0x16)) {
        cpuinfo_host_cpuid(0x16, 0, r);
        if (r[0])
            return khz = r[0] * 1000;
    }
    cpuinfo_host_cpuid(1, 0, r);
    if ((r[2] >> 31) & 1) { /* a hypervisor: its timing leaf */
        cpuinfo_host_cpuid(0x40000000, 0, r);
        if (r[0] >= 0x40000010) {
            cpuinfo_host_cpuid(0x40000010, 0, r);
            if (r[0])
                return khz = r[0];
        }
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = __builtin_ia32_rdtsc();
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < 2000000);
    uint64_t t1 = __builtin_ia32_rdtsc();
    int64_t ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    return khz = (unsigned)((t1 - t0) * 1000000ULL / (uint64_t)ns);
}

void cpuinfo_format(struct seqbuf *out, cpuid_fn cpuid, const int *cpus, int ncpus, unsigned khz)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t level = r[0];
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';

    cpuid(1, 0, r);
    uint32_t sig = r[0];
    unsigned family = (sig >> 8) & 0xf, model = (sig >> 4) & 0xf, stepping = sig & 0xf;
    if (family == 0xf)
        family += (sig >> 20) & 0xff;
    if (family >= 6)
        model += ((sig >> 16) & 0xf) << 4;
    unsigned clflush = ((r[1] >> 8) & 0xff) * 8;

    char brand[49] = "unknown";
    if (leaf_ok(cpuid, 0x80000004)) {
        uint32_t b[12];
        for (uint32_t i = 0; i < 3; i++)
            cpuid(0x80000002 + i, 0, &b[i * 4]);
        memcpy(brand, b, 48);
        brand[48] = '\0';
        size_t skip = strspn(brand, " ");
        memmove(brand, brand + skip, strlen(brand + skip) + 1);
        for (size_t n = strlen(brand); n > 0 && brand[n - 1] == ' '; n--)
            brand[n - 1] = '\0';
    }
    unsigned phys = 36, virt = 48;
    if (leaf_ok(cpuid, 0x80000008)) {
        cpuid(0x80000008, 0, r);
        phys = r[0] & 0xff;
        virt = (r[0] >> 8) & 0xff;
    }
    unsigned cache = cache_kb(cpuid);

    for (int i = 0; i < ncpus; i++) {
        seqbuf_printf(out,
                      "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                      "model name\t: %s\nstepping\t: %u\nmicrocode\t: 0x0\n"
                      "cpu MHz\t\t: %u.%03u\n",
                      cpus[i], vendor, family, model, brand, stepping, khz / 1000, khz % 1000);
        if (cache)
            seqbuf_printf(out, "cache size\t: %u KB\n", cache);
        seqbuf_printf(out,
                      "physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\n"
                      "apicid\t\t: %d\ninitial apicid\t: %d\nfpu\t\t: yes\n"
                      "fpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
                      ncpus, i, ncpus, cpus[i], cpus[i], level);
        cpuinfo_flags(out, cpuid);
        unsigned bogo = khz / 5; /* 2 × MHz, in hundredths */
        seqbuf_printf(out,
                      "\nbugs\t\t:\nbogomips\t: %u.%02u\nclflush size\t: %u\n"
                      "cache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
                      "power management:\n\n",
                      bogo / 100, bogo % 100, clflush, clflush, phys, virt);
    }
}

int proc_show_cpuinfo(const struct kernfs_inode *ki, struct seqbuf *out)
{
    (void)ki;
    int cpus[PROC_MAX_CPUS];
    int n = 0;
    for (int i = 0; i < PROC_MAX_CPUS; i++) {
        if (proc_cpu_present(i))
            cpus[n++] = i;
    }
    if (n == 0)
        cpus[n++] = 0;
    cpuinfo_format(out, cpuinfo_host_cpuid, cpus, n, cpuinfo_host_khz());
    return 0;
}
