/* ELF parsing and validation: checks an x86_64 ELF64 executable held in a
 * byte buffer and extracts what the loader needs. See elf.h.
 *
 * The buffer is untrusted: every header is copied out with memcpy (no
 * unaligned or out-of-bounds access) and every offset and size is checked
 * with overflow-safe arithmetic before use. */
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

/* True if [off, off+len) lies inside a buffer of size bytes. */
static bool in_file(uint64_t off, uint64_t len, size_t size)
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

static int check_ehdr(const unsigned char *p, size_t size, Elf64_Ehdr *eh, const char **out_err)
{
    if (size < SELFMAG || memcmp(p, ELFMAG, SELFMAG) != 0)
        return fail(out_err, "not an ELF file");
    if (size < sizeof(*eh))
        return fail(out_err, "truncated ELF header");
    memcpy(eh, p, sizeof(*eh));
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
    return 0;
}

static int add_load(struct elf_info *info, const Elf64_Phdr *ph, size_t size, const char **out_err)
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
    return 0;
}

static int read_interp(struct elf_info *info, const unsigned char *p, const Elf64_Phdr *ph,
                       size_t size, const char **out_err)
{
    if (!in_file(ph->p_offset, ph->p_filesz, size))
        return fail(out_err, "PT_INTERP outside the file");
    if (ph->p_filesz > ELF_MAX_INTERP)
        return fail(out_err, "PT_INTERP too long");
    if (ph->p_filesz == 0)
        return fail(out_err, "empty PT_INTERP");
    const char *s = (const char *)p + ph->p_offset;
    if (s[ph->p_filesz - 1] != '\0')
        return fail(out_err, "PT_INTERP not NUL-terminated");
    if (s[0] == '\0')
        return fail(out_err, "empty PT_INTERP");
    memcpy(info->interp, s, ph->p_filesz); /* ends with the NUL checked above */
    info->has_interp = true;
    return 0;
}

int elf_parse(const void *data, size_t size, struct elf_info *out_info, const char **out_err)
{
    const unsigned char *p = data;
    struct elf_info *info = out_info;
    Elf64_Ehdr eh;

    memset(info, 0, sizeof(*info));
    if (out_err)
        *out_err = NULL;
    int err = check_ehdr(p, size, &eh, out_err);
    if (err)
        return err;

    info->is_dyn = eh.e_type == ET_DYN;
    info->entry = eh.e_entry;
    info->phoff = eh.e_phoff;
    info->phnum = eh.e_phnum;
    info->phentsize = eh.e_phentsize;
    info->exec_stack = true;

    bool have_phdr = false, have_stack = false;
    for (uint16_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, p + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof(ph));
        switch (ph.p_type) {
        case PT_LOAD:
            err = add_load(info, &ph, size, out_err);
            break;
        case PT_INTERP:
            /* Linux uses the first PT_INTERP; so do we. */
            if (!info->has_interp)
                err = read_interp(info, p, &ph, size, out_err);
            break;
        case PT_PHDR:
            if (!have_phdr) {
                info->phdr_vaddr = ph.p_vaddr;
                have_phdr = true;
            }
            break;
        case PT_GNU_STACK:
            if (!have_stack) {
                info->exec_stack = (ph.p_flags & PF_X) != 0;
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
