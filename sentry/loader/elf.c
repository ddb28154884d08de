/* ELF parsing and validation: checks an x86_64 ELF64 executable, read
 * through a callback (a file) or held in a byte buffer, and extracts what the
 * loader needs. See elf.h.
 *
 * The file is untrusted: headers are read into local copies (no unaligned
 * or out-of-bounds access) and every offset and size is checked with
 * overflow-safe arithmetic before use. */
#include "sentry/loader/elf.h"

#include <elf.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/types.h"

/* Highest user address + 1 on x86_64 with 4-level paging (TASK_SIZE_MAX). */
#define ELF_USER_TOP 0x7ffffffff000ULL

static int fail(const char **out_err, const char *msg)
{
    if (out_err)
        *out_err = msg;
    return -LINUX_ENOEXEC;
}

/* True if [off, off+len) lies inside a file of size bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int prot_from_flags(uint32_t p_flags)
{
    int prot = 0;
    if (p_flags & PF_R)
        prot |= 0x1;
    if (p_flags & PF_W)
        prot |= 0x2;
    if (p_flags & PF_X)
        prot |= 0x4;
    return prot;
}

static int check_ehdr(const Elf64_Ehdr *eh, uint64_t size, const char **out_err)
{
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return fail(out_err, "not a 64-bit ELF file");
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(out_err, "not a little-endian ELF file");
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(out_err, "bad ELF version");
    if (eh->e_machine != EM_X86_64)
        return fail(out_err, "not x86_64");
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return fail(out_err, "not an executable or shared object");
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return fail(out_err, "bad program header size");
    if (eh->e_phnum == 0)
        return fail(out_err, "no program headers");
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize, size))
        return fail(out_err, "truncated program headers");
    /* Linux reads at most a page of program headers. */
    if ((uint64_t)eh->e_phnum * eh->e_phentsize > ELF_MAX_PHDRS_SIZE)
        return fail(out_err, "too many program headers");
    return 0;
}

static int add_load(struct elf_info *info, const Elf64_Phdr *ph, uint64_t size,
                    const char **out_err)
{
    if (info->nsegs == ELF_MAX_LOAD_SEGS)
        return fail(out_err, "too many PT_LOAD segments");
    if (ph->p_filesz > ph->p_memsz)
        return fail(out_err, "PT_LOAD file size larger than memory size");
    if (!in_file(ph->p_offset, ph->p_filesz, size))
        return fail(out_err, "PT_LOAD file range outside the file");
    if (ph->p_vaddr > ELF_USER_TOP || ph->p_memsz > ELF_USER_TOP - ph->p_vaddr)
        return fail(out_err, "PT_LOAD outside the user address space");
    if ((ph->p_vaddr & ~LINUX_PAGE_MASK) != (ph->p_offset & ~LINUX_PAGE_MASK))
        return fail(out_err, "PT_LOAD vaddr and offset not congruent modulo the page size");
    if (info->nsegs > 0) {
        const struct elf_load_seg *prev = &info->segs[info->nsegs - 1];
        if (ph->p_vaddr < prev->vaddr + prev->memsz)
            return fail(out_err, "PT_LOAD segments out of order or overlapping");
    }
    struct elf_load_seg *seg = &info->segs[info->nsegs++];
    seg->vaddr = ph->p_vaddr;
    seg->memsz = ph->p_memsz;
    seg->offset = ph->p_offset;
    seg->filesz = ph->p_filesz;
    seg->prot = prot_from_flags(ph->p_flags);
    /* Linux's maximum_alignment: powers of two only, at least a page. */
    uint64_t align = ph->p_align;
    if (align && (align & (align - 1)) == 0 && align > info->align && align <= ELF_MAX_ALIGN)
        info->align = align;
    return 0;
}

/* Reads exactly size bytes at off. Returns 0, -LINUX_ENOEXEC (with
 * *out_err = short_msg) for a short read, or the reader's -errno. */
static int read_exact(elf_read_fn read, void *ctx, void *buf, size_t size, uint64_t off,
                      const char *short_msg, const char **out_err)
{
    long n = read(ctx, buf, size, off);
    if (n < 0) {
        if (out_err)
            *out_err = "read error";
        return (int)n;
    }
    if ((size_t)n != size)
        return fail(out_err, short_msg);
    return 0;
}

static int read_interp(struct elf_info *info, elf_read_fn read, void *ctx, const Elf64_Phdr *ph,
                       uint64_t size, const char **out_err)
{
    if (!in_file(ph->p_offset, ph->p_filesz, size))
        return fail(out_err, "PT_INTERP outside the file");
    if (ph->p_filesz > ELF_MAX_INTERP)
        return fail(out_err, "PT_INTERP too long");
    if (ph->p_filesz == 0)
        return fail(out_err, "empty PT_INTERP");
    char *s = info->interp;
    int err = read_exact(read, ctx, s, ph->p_filesz, ph->p_offset, "PT_INTERP outside the file",
                         out_err);
    if (err)
        return err;
    if (s[ph->p_filesz - 1] != '\0')
        return fail(out_err, "PT_INTERP not NUL-terminated");
    if (s[0] == '\0')
        return fail(out_err, "empty PT_INTERP");
    info->has_interp = true;
    return 0;
}

int elf_parse_file(elf_read_fn read, void *ctx, uint64_t size, struct elf_info *out_info,
                   const char **out_err)
{
    struct elf_info *info = out_info;
    Elf64_Ehdr eh;
    unsigned char magic[SELFMAG];
    /* Program headers, read in one piece (at most ELF_MAX_PHDRS_SIZE). */
    Elf64_Phdr phdrs[ELF_MAX_PHDRS_SIZE / sizeof(Elf64_Phdr)];

    memset(info, 0, sizeof(*info));
    if (out_err)
        *out_err = NULL;
    int err;
    if (size < SELFMAG || read(ctx, magic, SELFMAG, 0) != SELFMAG ||
        memcmp(magic, ELFMAG, SELFMAG) != 0) {
        err = fail(out_err, "not an ELF file");
        goto out_clear;
    }
    if (size < sizeof(eh)) {
        err = fail(out_err, "truncated ELF header");
        goto out_clear;
    }
    err = read_exact(read, ctx, &eh, sizeof(eh), 0, "truncated ELF header", out_err);
    if (!err)
        err = check_ehdr(&eh, size, out_err);
    if (!err)
        err = read_exact(read, ctx, phdrs, (size_t)eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff,
                         "truncated program headers", out_err);
    if (err)
        goto out_clear;

    info->is_dyn = eh.e_type == ET_DYN;
    info->entry = eh.e_entry;
    info->phoff = eh.e_phoff;
    info->phnum = eh.e_phnum;
    info->phentsize = eh.e_phentsize;
    info->exec_stack = true;
    info->align = LINUX_PAGE_SIZE;

    bool have_phdr = false, have_stack = false;
    for (uint16_t i = 0; i < eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &phdrs[i];
        switch (ph->p_type) {
        case PT_LOAD:
            err = add_load(info, ph, size, out_err);
            break;
        case PT_INTERP:
            /* Linux uses the first PT_INTERP; so do we. */
            if (!info->has_interp)
                err = read_interp(info, read, ctx, ph, size, out_err);
            break;
        case PT_PHDR:
            if (!have_phdr) {
                info->phdr_vaddr = ph->p_vaddr;
                have_phdr = true;
            }
            break;
        case PT_GNU_STACK:
            if (!have_stack) {
                info->exec_stack = (ph->p_flags & PF_X) != 0;
                have_stack = true;
            }
            break;
        default:
            break;
        }
        if (err)
            goto out_clear;
    }
    if (info->nsegs == 0) {
        err = fail(out_err, "no PT_LOAD segments");
        goto out_clear;
    }

    info->min_vaddr = page_round_down(info->segs[0].vaddr);
    const struct elf_load_seg *last = &info->segs[info->nsegs - 1];
    info->max_vaddr = last->vaddr + last->memsz; /* ascending, not overlapping */

    if (!have_phdr) {
        uint64_t ph_size = (uint64_t)eh.e_phnum * eh.e_phentsize; /* checked in file */
        for (int i = 0; i < info->nsegs; i++) {
            const struct elf_load_seg *seg = &info->segs[i];
            if (seg->offset <= eh.e_phoff && eh.e_phoff + ph_size <= seg->offset + seg->filesz) {
                info->phdr_vaddr = seg->vaddr + (eh.e_phoff - seg->offset);
                break;
            }
        }
    }
    return 0;

out_clear:
    memset(info, 0, sizeof(*info));
    return err;
}

struct elf_buffer {
    const unsigned char *data;
    size_t size;
};

static long buffer_read(void *ctx, void *buf, size_t size, uint64_t off)
{
    const struct elf_buffer *b = ctx;
    if (off >= b->size)
        return 0;
    size_t n = b->size - off < size ? (size_t)(b->size - off) : size;
    memcpy(buf, b->data + off, n);
    return (long)n;
}

int elf_parse(const void *data, size_t size, struct elf_info *out_info, const char **out_err)
{
    struct elf_buffer b = {.data = data, .size = data ? size : 0};
    return elf_parse_file(buffer_read, &b, b.size, out_info, out_err);
}
