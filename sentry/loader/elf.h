/* ELF parsing and validation (x86_64 ELF64 little-endian executables).
 * Pure logic over a byte buffer or a read callback: no mapping, no I/O of
 * its own; unit-tested alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_LOAD_SEGS 16
#define ELF_MAX_INTERP 4096
/* Linux reads at most this many bytes of program headers (ELF_MIN_ALIGN). */
#define ELF_MAX_PHDRS_SIZE 4096
/* Largest PT_LOAD alignment honoured (larger ones are treated as none). */
#define ELF_MAX_ALIGN (1ULL << 30)

struct elf_load_seg {
    uint64_t vaddr;  /* p_vaddr, not yet biased */
    uint64_t memsz;
    uint64_t offset; /* p_offset in the file */
    uint64_t filesz;
    int prot;        /* PROT_* from p_flags */
};

struct elf_info {
    bool is_dyn;             /* ET_DYN (PIE or static-PIE) vs ET_EXEC */
    uint64_t entry;          /* e_entry, not biased */
    uint64_t phoff;
    uint16_t phnum, phentsize;
    uint64_t phdr_vaddr;     /* vaddr of the program headers (PT_PHDR, or the
                                PT_LOAD covering phoff), 0 if not loaded */
    struct elf_load_seg segs[ELF_MAX_LOAD_SEGS];
    int nsegs;
    uint64_t min_vaddr;      /* page-rounded-down lowest PT_LOAD vaddr */
    uint64_t max_vaddr;      /* highest vaddr + memsz of any PT_LOAD */
    uint64_t align;          /* largest power-of-two p_align of the PT_LOADs,
                                at least the page size */
    bool has_interp;
    char interp[ELF_MAX_INTERP]; /* PT_INTERP path, NUL-terminated */
    bool exec_stack;         /* PT_GNU_STACK has PF_X (or no PT_GNU_STACK) */
};

/* Validates and parses the ELF image in data[0, size). Returns 0, or
 * -LINUX_ENOEXEC with *out_err set to a static message saying what is wrong
 * ("not an ELF file", "truncated program headers", "not x86_64", ...).
 * Rejects: bad magic, not 64-bit, not little-endian, bad version, machine
 * other than x86_64, type other than EXEC/DYN, phentsize != 56, program
 * headers outside the file, zero or more than ELF_MAX_LOAD_SEGS PT_LOADs,
 * segments with filesz > memsz, file ranges outside the file, vaddr+memsz
 * overflow or beyond the 47-bit user address space, p_vaddr and p_offset
 * not congruent modulo the page size, PT_LOADs not in ascending vaddr order
 * or overlapping, a PT_INTERP that is empty, unterminated or too long, and
 * more than ELF_MAX_PHDRS_SIZE bytes of program headers. */
int elf_parse(const void *data, size_t size, struct elf_info *out_info, const char **out_err);

/* Reads up to size bytes at file offset off into buf. Returns the bytes read
 * (fewer only at the end of the file) or -errno. */
typedef long (*elf_read_fn)(void *ctx, void *buf, size_t size, uint64_t off);
/* elf_parse for a file of size bytes read through read(ctx, ...): the same
 * checks (and "too many program headers" past ELF_MAX_PHDRS_SIZE bytes of
 * them, as Linux). A read error is returned as is, with *out_err "read
 * error"; a short read is -LINUX_ENOEXEC. */
int elf_parse_file(elf_read_fn read, void *ctx, uint64_t size, struct elf_info *out_info,
                   const char **out_err);
