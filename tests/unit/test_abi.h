/* Shared by test_abi.c (checks against glibc's headers) and
 * test_abi_kernel.c (checks against the kernel's uapi headers, which cannot
 * share a compilation unit with glibc's: both define struct termios, struct
 * sigaction, sigset_t... with different layouts). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Recorders, defined in test_abi.c. oracle names the headers compared with
 * ("glibc" or "kernel"); a mismatch is printed and counted. */
void abi_nr(const char *oracle, const char *name, long ours, long host);
void abi_nr_nohost(const char *oracle, const char *name);
void abi_const(const char *oracle, const char *name, uint64_t ours, uint64_t host);
void abi_nohost(const char *oracle, const char *name);
void abi_field(const char *oracle, const char *what, size_t ours_off, size_t ours_size,
               size_t host_off, size_t host_size);
void abi_size(const char *oracle, const char *what, size_t ours, size_t host);
void abi_offset(const char *oracle, const char *what, size_t ours, size_t want);

#define ABI_FIELD(oracle, ours_t, ours_f, host_t, host_f)                                          \
    abi_field(oracle, #ours_t "." #ours_f, offsetof(ours_t, ours_f),                               \
              sizeof(((ours_t *)0)->ours_f), offsetof(host_t, host_f),                             \
              sizeof(((host_t *)0)->host_f))
#define ABI_SIZE(oracle, ours_t, host_t) abi_size(oracle, #ours_t, sizeof(ours_t), sizeof(host_t))

/* test_abi_kernel.c */
void abi_kernel_nrs(void);
void abi_kernel_consts(void);
void abi_kernel_structs(void);
