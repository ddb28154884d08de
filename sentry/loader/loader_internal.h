/* Shared between the files of sentry/loader; not for other subsystems. */
#pragma once

#include <stdint.h>

struct elf_info;
struct file;
struct mm;

/* A random multiple of the page size below 2^bits pages. */
uint64_t loader_random_pages(unsigned bits);

/* Parses the ELF file f (read with pread). Returns 0 or -errno (-ENOEXEC
 * for a bad file) with *out_err set. */
int loader_parse_file(struct file *f, struct elf_info *out_info, const char **out_err);

/* Maps info's PT_LOAD segments of f at bias: the file part of each as a
 * private file mapping, the rest of its last file page zeroed, and the
 * remaining bss as anonymous memory. Returns 0 or -errno. */
int loader_map_elf(struct mm *mm, struct file *f, const struct elf_info *info, uint64_t bias);

/* The bias at which to load an ET_DYN interpreter described by info: the
 * highest free range below mm->mmap_base, aligned as its segments ask.
 * Returns -ENOMEM if there is no room. */
int loader_interp_bias(struct mm *mm, const struct elf_info *info, uint64_t *out_bias);
