/* A minimal .symtab reader for the running executable (see symtab.h). */
#include "lib/symtab.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const Elf64_Sym *st_syms;
static size_t st_count;
static const char *st_strs;
static size_t st_strs_size;
static uintptr_t st_bias;

static int symtab_find_bias(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    /* The first object is the main program. */
    st_bias = info->dlpi_addr;
    return 1;
}

bool symtab_load(void)
{
    if (st_syms)
        return true;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(Elf64_Ehdr))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return false;
    size_t size = (size_t)st.st_size;
    const uint8_t *base = map;
    const Elf64_Ehdr *eh = map;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > size || (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
        goto fail;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
            goto fail;
        st_strs = (const char *)base + strs->sh_offset;
        st_strs_size = strs->sh_size;
        st_count = sh[i].sh_size / sizeof(Elf64_Sym);
        dl_iterate_phdr(symtab_find_bias, NULL);
        st_syms = (const Elf64_Sym *)(base + sh[i].sh_offset);
        return true;
    }
fail:
    munmap(map, size);
    return false;
}

bool symtab_lookup(uintptr_t ip, const char **out_name, uintptr_t *out_offset)
{
    if (!st_syms || ip < st_bias)
        return false;
    uintptr_t addr = ip - st_bias;
    for (size_t i = 0; i < st_count; i++) {
        const Elf64_Sym *s = &st_syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_name >= st_strs_size)
            continue;
        if (addr >= s->st_value && addr < s->st_value + (s->st_size ? s->st_size : 1)) {
            *out_name = st_strs + s->st_name;
            *out_offset = addr - s->st_value;
            return true;
        }
    }
    return false;
}
