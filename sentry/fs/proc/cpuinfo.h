/* /proc/cpuinfo from CPUID: the formatting, apart from the CPU it asks, so
 * a unit test can feed it a recorded or the host's CPUID. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/fs/kernfs/seqbuf.h"

/* out = eax, ebx, ecx, edx of CPUID leaf/subleaf. */
typedef void (*cpuid_fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* The CPU's own CPUID. */
void cpuinfo_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* The CPU's (TSC) frequency in kHz: CPUID leaf 0x16, the hypervisor's
 * timing leaf, or measured once against CLOCK_MONOTONIC (2 ms). */
unsigned cpuinfo_host_khz(void);

/* Appends the feature flags (" fpu vme ...") to out. */
void cpuinfo_flags(struct seqbuf *out, cpuid_fn cpuid);
/* Appends /proc/cpuinfo for the ncpus CPUs numbered cpus[]. */
void cpuinfo_format(struct seqbuf *out, cpuid_fn cpuid, const int *cpus, int ncpus, unsigned khz);
