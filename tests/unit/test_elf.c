/* Unit tests for sentry/loader/elf.c: ELF images built in memory, valid and
 * corrupt. Every parse runs on a heap copy of exactly the image's size, so
 * AddressSanitizer catches any read past the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <elf.h>

#include "abi/linux/errno.h"
#include "sentry/loader/elf.h"

#define MAX_PH 24
#define INTERP_PATH "/lib64/ld-linux-x86-64.so.2"

/* An image described as structs, serialized into bytes for each parse. */
struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PH];
    int nph;     /* headers written at eh.e_phoff (eh.e_phnum may differ) */
    size_t size; /* file size */
    uint64_t interp_off;
    char interp[5000];
    size_t interp_len; /* bytes of interp written (0: none) */
};

static struct elf_info info;

static unsigned char *serialize(const struct image *im)
{
    unsigned char *buf = malloc(im->size ? im->size : 1);
    assert_non_null(buf);
    memset(buf, 0xa5, im->size);
    if (im->size >= sizeof(im->eh))
        memcpy(buf, &im->eh, sizeof(im->eh));
    else
        memcpy(buf, &im->eh, im->size);
    for (int i = 0; i < im->nph && im->eh.e_phoff < im->size; i++) {
        uint64_t rel = (uint64_t)i * sizeof(Elf64_Phdr); /* no wrap-around */
        if (rel < im->size - im->eh.e_phoff &&
            sizeof(Elf64_Phdr) <= im->size - im->eh.e_phoff - rel)
            memcpy(buf + im->eh.e_phoff + rel, &im->ph[i], sizeof(Elf64_Phdr));
    }
    if (im->interp_len && im->interp_off < im->size) {
        size_t n = im->interp_len;
        if (n > im->size - im->interp_off)
            n = im->size - im->interp_off;
        memcpy(buf + im->interp_off, im->interp, n);
    }
    return buf;
}

/* Parses the first size bytes of the serialized image. */
static int parse_n(const struct image *im, size_t size, const char **out_err)
{
    unsigned char *full = serialize(im);
    unsigned char *buf = malloc(size ? size : 1);
    assert_non_null(buf);
    memcpy(buf, full, size);
    free(full);
    int err = elf_parse(buf, size, &info, out_err);
    free(buf);
    return err;
}

static int parse(const struct image *im, const char **out_err)
{
    return parse_n(im, im->size, out_err);
}

static Elf64_Phdr load(uint64_t off, uint64_t vaddr, uint64_t filesz, uint64_t memsz,
                       uint32_t flags)
{
    return (Elf64_Phdr){.p_type = PT_LOAD,
                        .p_flags = flags,
                        .p_offset = off,
                        .p_vaddr = vaddr,
                        .p_paddr = vaddr,
                        .p_filesz = filesz,
                        .p_memsz = memsz,
                        .p_align = 0x1000};
}

static void set_ehdr(struct image *im, uint16_t type, uint64_t entry)
{
    memset(&im->eh, 0, sizeof(im->eh));
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_ident[EI_VERSION] = EV_CURRENT;
    im->eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    im->eh.e_type = type;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = entry;
    im->eh.e_phoff = sizeof(Elf64_Ehdr);
    im->eh.e_ehsize = sizeof(Elf64_Ehdr);
    im->eh.e_phentsize = sizeof(Elf64_Phdr);
}

static void finish(struct image *im)
{
    im->eh.e_phnum = (uint16_t)im->nph;
}

/* Static non-PIE: three PT_LOADs (R with the headers, RX, RW with bss), a
 * non-executable stack, a note. The last segment ends at the end of the
 * file, so any truncation must fail. */
static void static_exec(struct image *im)
{
    memset(im, 0, sizeof(*im));
    set_ehdr(im, ET_EXEC, 0x401000);
    im->ph[im->nph++] = load(0, 0x400000, 0x200, 0x200, PF_R);
    im->ph[im->nph++] = load(0x1000, 0x401000, 0x100, 0x100, PF_R | PF_X);
    im->ph[im->nph++] = load(0x1100, 0x402100, 0x100, 0x1000, PF_R | PF_W);
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 0x190, .p_filesz = 0x20};
    im->size = 0x1200;
    finish(im);
}

/* Static PIE: ET_DYN at 0 with PT_PHDR and an executable stack. */
static void static_pie(struct image *im)
{
    memset(im, 0, sizeof(*im));
    set_ehdr(im, ET_DYN, 0x1000);
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_PHDR,
                                     .p_flags = PF_R,
                                     .p_offset = 0x40,
                                     .p_vaddr = 0x40,
                                     .p_filesz = 4 * sizeof(Elf64_Phdr),
                                     .p_memsz = 4 * sizeof(Elf64_Phdr)};
    im->ph[im->nph++] = load(0, 0, 0x300, 0x300, PF_R);
    im->ph[im->nph++] = load(0x1000, 0x1000, 0x800, 0x800, PF_R | PF_X);
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W | PF_X};
    im->size = 0x1800;
    finish(im);
}

/* Dynamic PIE with PT_INTERP and no PT_GNU_STACK. */
static void dyn_pie(struct image *im)
{
    memset(im, 0, sizeof(*im));
    set_ehdr(im, ET_DYN, 0x1040);
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_PHDR,
                                     .p_flags = PF_R,
                                     .p_offset = 0x40,
                                     .p_vaddr = 0x40,
                                     .p_filesz = 5 * sizeof(Elf64_Phdr),
                                     .p_memsz = 5 * sizeof(Elf64_Phdr)};
    im->interp_off = 0x200;
    im->interp_len = sizeof(INTERP_PATH);
    memcpy(im->interp, INTERP_PATH, sizeof(INTERP_PATH));
    im->ph[im->nph++] = (Elf64_Phdr){.p_type = PT_INTERP,
                                     .p_flags = PF_R,
                                     .p_offset = 0x200,
                                     .p_vaddr = 0x200,
                                     .p_filesz = sizeof(INTERP_PATH),
                                     .p_memsz = sizeof(INTERP_PATH)};
    im->ph[im->nph++] = load(0, 0, 0x400, 0x400, PF_R);
    im->ph[im->nph++] = load(0x1000, 0x1000, 0x200, 0x200, PF_R | PF_X);
    im->ph[im->nph++] = load(0x1200, 0x3200, 0x100, 0x300, PF_R | PF_W);
    im->size = 0x1300;
    finish(im);
}

static struct image im; /* large: not on the stack */

static void expect_enoexec(const struct image *image)
{
    const char *err = NULL;
    assert_int_equal(parse(image, &err), -LINUX_ENOEXEC);
    assert_non_null(err);
    assert_true(strlen(err) > 0);
}

static void test_static_exec(void **state)
{
    (void)state;
    const char *err = "unset";
    static_exec(&im);
    assert_int_equal(parse(&im, &err), 0);
    assert_null(err);
    assert_false(info.is_dyn);
    assert_int_equal(info.entry, 0x401000);
    assert_int_equal(info.phoff, 64);
    assert_int_equal(info.phnum, 5);
    assert_int_equal(info.phentsize, 56);
    assert_int_equal(info.phdr_vaddr, 0x400040);
    assert_int_equal(info.nsegs, 3);
    assert_int_equal(info.segs[0].vaddr, 0x400000);
    assert_int_equal(info.segs[0].prot, 1);
    assert_int_equal(info.segs[1].vaddr, 0x401000);
    assert_int_equal(info.segs[1].offset, 0x1000);
    assert_int_equal(info.segs[1].filesz, 0x100);
    assert_int_equal(info.segs[1].prot, 1 | 4);
    assert_int_equal(info.segs[2].vaddr, 0x402100);
    assert_int_equal(info.segs[2].offset, 0x1100);
    assert_int_equal(info.segs[2].filesz, 0x100);
    assert_int_equal(info.segs[2].memsz, 0x1000);
    assert_int_equal(info.segs[2].prot, 1 | 2);
    assert_int_equal(info.min_vaddr, 0x400000);
    assert_int_equal(info.max_vaddr, 0x403100);
    assert_false(info.has_interp);
    assert_false(info.exec_stack);

    /* out_err may be NULL. */
    assert_int_equal(elf_parse(NULL, 0, &info, NULL), -LINUX_ENOEXEC);
}

static void test_static_pie(void **state)
{
    (void)state;
    const char *err = NULL;
    static_pie(&im);
    assert_int_equal(parse(&im, &err), 0);
    assert_true(info.is_dyn);
    assert_int_equal(info.entry, 0x1000);
    assert_int_equal(info.phdr_vaddr, 0x40);
    assert_int_equal(info.nsegs, 2);
    assert_int_equal(info.min_vaddr, 0);
    assert_int_equal(info.max_vaddr, 0x1800);
    assert_int_equal(info.segs[1].prot, 1 | 4);
    assert_false(info.has_interp);
    assert_true(info.exec_stack);

    /* PT_PHDR wins over the PT_LOAD that covers the headers. */
    im.ph[0].p_vaddr = 0x1040;
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.phdr_vaddr, 0x1040);

    /* Without PT_PHDR, nor a PT_LOAD covering all of the headers: 0. */
    im.ph[0].p_type = PT_NULL;
    im.ph[1].p_filesz = 0x80; /* covers only part of them */
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.phdr_vaddr, 0);
    /* Covering them exactly: found. */
    im.ph[1].p_filesz = 0x40 + 4 * sizeof(Elf64_Phdr);
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.phdr_vaddr, 0x40);

    /* Unaligned first vaddr: min_vaddr rounds down. */
    static_pie(&im);
    im.ph[1] = load(0x40, 0x10040, 0x200, 0x200, PF_R);
    im.ph[2] = load(0x1000, 0x11000, 0x800, 0x800, PF_R | PF_X);
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.min_vaddr, 0x10000);
    assert_int_equal(info.max_vaddr, 0x11800);
}

static void test_dyn_interp(void **state)
{
    (void)state;
    const char *err = NULL;
    dyn_pie(&im);
    assert_int_equal(parse(&im, &err), 0);
    assert_true(info.is_dyn);
    assert_true(info.has_interp);
    assert_string_equal(info.interp, INTERP_PATH);
    assert_true(info.exec_stack); /* no PT_GNU_STACK */
    assert_int_equal(info.nsegs, 3);
    assert_int_equal(info.max_vaddr, 0x3500);
    assert_int_equal(info.phdr_vaddr, 0x40);

    /* The longest path that fits. */
    im.interp_off = 0x400;
    im.interp_len = ELF_MAX_INTERP;
    memset(im.interp, 'a', ELF_MAX_INTERP - 1);
    im.interp[ELF_MAX_INTERP - 1] = '\0';
    im.ph[1].p_offset = 0x400;
    im.ph[1].p_filesz = ELF_MAX_INTERP;
    im.ph[4] = load(0x1400, 0x3400, 0x1000, 0x1000, PF_R | PF_W);
    im.size = 0x2400;
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(strlen(info.interp), ELF_MAX_INTERP - 1);
}

static void test_truncated_header(void **state)
{
    (void)state;
    static_exec(&im);
    for (size_t n = 0; n < sizeof(Elf64_Ehdr); n++) {
        const char *err = NULL;
        assert_int_equal(parse_n(&im, n, &err), -LINUX_ENOEXEC);
        assert_non_null(err);
    }
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    void (*makers[])(struct image *) = {static_exec, static_pie, dyn_pie};
    for (size_t k = 0; k < sizeof(makers) / sizeof(makers[0]); k++) {
        makers[k](&im);
        const char *err = NULL;
        assert_int_equal(parse(&im, &err), 0);
        for (size_t n = 0; n < im.size; n++) {
            err = NULL;
            assert_int_equal(parse_n(&im, n, &err), -LINUX_ENOEXEC);
            assert_non_null(err);
        }
    }
}

/* Each mutation of a valid image that must be rejected. */
static void m_bad_magic(struct image *p)
{
    p->eh.e_ident[EI_MAG1] = 'X';
}
static void m_class32(struct image *p)
{
    p->eh.e_ident[EI_CLASS] = ELFCLASS32;
}
static void m_big_endian(struct image *p)
{
    p->eh.e_ident[EI_DATA] = ELFDATA2MSB;
}
static void m_ident_version(struct image *p)
{
    p->eh.e_ident[EI_VERSION] = 2;
}
static void m_version(struct image *p)
{
    p->eh.e_version = 0;
}
static void m_aarch64(struct image *p)
{
    p->eh.e_machine = EM_AARCH64;
}
static void m_i386(struct image *p)
{
    p->eh.e_machine = EM_386;
}
static void m_rel(struct image *p)
{
    p->eh.e_type = ET_REL;
}
static void m_core(struct image *p)
{
    p->eh.e_type = ET_CORE;
}
static void m_phentsize(struct image *p)
{
    p->eh.e_phentsize = 32;
}
static void m_phnum0(struct image *p)
{
    p->eh.e_phnum = 0;
}
static void m_phoff_beyond(struct image *p)
{
    p->eh.e_phoff = p->size + 0x1000;
}
static void m_phoff_huge(struct image *p)
{
    p->eh.e_phoff = UINT64_MAX - 8;
}
static void m_phnum_beyond(struct image *p)
{
    p->eh.e_phnum = (uint16_t)((p->size - p->eh.e_phoff) / sizeof(Elf64_Phdr) + 1);
}
static void m_phnum_max(struct image *p)
{
    p->eh.e_phnum = 0xffff;
}
static void m_no_load(struct image *p)
{
    for (int i = 0; i < p->nph; i++) {
        if (p->ph[i].p_type == PT_LOAD)
            p->ph[i].p_type = PT_NULL;
    }
}
static void m_filesz_gt_memsz(struct image *p)
{
    p->ph[2].p_memsz = p->ph[2].p_filesz - 1;
}
static void m_file_range_beyond(struct image *p)
{
    p->ph[2].p_filesz += 1;
    p->ph[2].p_memsz += 0x1000;
}
static void m_offset_beyond(struct image *p)
{
    p->ph[1].p_offset = p->size + 0x1000;
    p->ph[1].p_vaddr = 0x401000 + 0x1000 + (p->size & 0xfff);
}
static void m_offset_overflow(struct image *p)
{
    p->ph[1].p_offset = UINT64_MAX - 0xfff;
    p->ph[1].p_vaddr = 0x401000;
    p->ph[1].p_filesz = 0x1000;
    p->ph[1].p_memsz = 0x1000;
}
static void m_vaddr_overflow(struct image *p)
{
    p->ph[2].p_vaddr = 0xfffffffffffff100ULL;
    p->ph[2].p_memsz = 0x2000;
}
static void m_vaddr_kernel(struct image *p)
{
    p->ph[2].p_vaddr = 0xffff800000000100ULL;
}
static void m_vaddr_47bit(struct image *p)
{
    /* Ends at 1 << 47: its last page is above TASK_SIZE (0x7ffffffff000). */
    p->ph[2].p_vaddr = 0x7ffffffff100ULL;
    p->ph[2].p_memsz = 0xf00;
}
static void m_memsz_huge(struct image *p)
{
    p->ph[2].p_memsz = UINT64_MAX;
}
static void m_misaligned_vaddr(struct image *p)
{
    p->ph[1].p_vaddr = 0x401008;
}
static void m_misaligned_offset(struct image *p)
{
    p->ph[1].p_offset = 0x1008;
    p->ph[1].p_filesz = 0xf8;
}
static void m_out_of_order(struct image *p)
{
    Elf64_Phdr t = p->ph[1];
    p->ph[1] = p->ph[2];
    p->ph[2] = t;
}
static void m_overlap(struct image *p)
{
    p->ph[1].p_memsz = 0x1200; /* runs into the RW segment at 0x402100 */
}
static void m_too_many_loads(struct image *p)
{
    /* Seventeen one-page PT_LOADs, in order, all valid on their own. */
    p->nph = 0;
    for (int i = 0; i <= ELF_MAX_LOAD_SEGS; i++)
        p->ph[p->nph++] = load(0, 0x400000 + (uint64_t)i * 0x1000, 0x100, 0x100, PF_R);
    p->eh.e_phnum = (uint16_t)p->nph;
}

static const struct mutation {
    const char *name;
    void (*fn)(struct image *);
} mutations[] = {
    {"bad magic", m_bad_magic},
    {"32-bit", m_class32},
    {"big endian", m_big_endian},
    {"ident version", m_ident_version},
    {"e_version", m_version},
    {"aarch64", m_aarch64},
    {"i386", m_i386},
    {"ET_REL", m_rel},
    {"ET_CORE", m_core},
    {"phentsize", m_phentsize},
    {"phnum 0", m_phnum0},
    {"phoff beyond file", m_phoff_beyond},
    {"phoff overflow", m_phoff_huge},
    {"phnum*phentsize beyond file", m_phnum_beyond},
    {"phnum 0xffff", m_phnum_max},
    {"no PT_LOAD", m_no_load},
    {"filesz > memsz", m_filesz_gt_memsz},
    {"offset+filesz beyond file", m_file_range_beyond},
    {"offset beyond file", m_offset_beyond},
    {"offset+filesz overflow", m_offset_overflow},
    {"vaddr+memsz overflow", m_vaddr_overflow},
    {"kernel vaddr", m_vaddr_kernel},
    {"beyond 47 bits", m_vaddr_47bit},
    {"memsz huge", m_memsz_huge},
    {"misaligned vaddr", m_misaligned_vaddr},
    {"misaligned offset", m_misaligned_offset},
    {"PT_LOADs out of order", m_out_of_order},
    {"PT_LOADs overlapping", m_overlap},
    {"too many PT_LOADs", m_too_many_loads},
};

static void test_corrupt(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(mutations) / sizeof(mutations[0]); k++) {
        static_exec(&im);
        mutations[k].fn(&im);
        const char *err = NULL;
        int ret = parse(&im, &err);
        if (ret != -LINUX_ENOEXEC || !err)
            fail_msg("mutation '%s' not rejected (ret %d)", mutations[k].name, ret);
        /* The info is not left half-filled. */
        assert_int_equal(info.nsegs, 0);
    }
    /* A few messages, as the header promises them. */
    const char *err = NULL;
    static_exec(&im);
    m_bad_magic(&im);
    parse(&im, &err);
    assert_string_equal(err, "not an ELF file");
    static_exec(&im);
    m_aarch64(&im);
    parse(&im, &err);
    assert_string_equal(err, "not x86_64");
    static_exec(&im);
    m_phnum_beyond(&im);
    parse(&im, &err);
    assert_string_equal(err, "truncated program headers");
}

static void test_load_limits(void **state)
{
    (void)state;
    const char *err = NULL;
    /* Exactly ELF_MAX_LOAD_SEGS is fine. */
    static_exec(&im);
    im.nph = 0;
    for (int i = 0; i < ELF_MAX_LOAD_SEGS; i++)
        im.ph[im.nph++] = load(0, 0x400000 + (uint64_t)i * 0x1000, 0x100, 0x100, PF_R);
    finish(&im);
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.nsegs, ELF_MAX_LOAD_SEGS);

    /* Touching segments, a zero-size bss-only segment and the highest user
     * page are fine. */
    static_exec(&im);
    im.ph[2] = load(0x1100, 0x401100, 0x100, 0x100, PF_R | PF_W);
    im.ph[3] = load(0x1000, 0x7fffffffe000, 0, 0x1000, PF_R | PF_W);
    finish(&im);
    assert_int_equal(parse(&im, &err), 0);
    assert_int_equal(info.nsegs, 4);
    assert_int_equal(info.max_vaddr, 0x7ffffffff000);
    assert_int_equal(info.segs[3].filesz, 0);
}

static void test_bad_interp(void **state)
{
    (void)state;
    /* Unterminated. */
    dyn_pie(&im);
    im.ph[1].p_filesz = sizeof(INTERP_PATH) - 1;
    expect_enoexec(&im);
    /* Unterminated: NUL just past the end. */
    dyn_pie(&im);
    im.interp[5] = 'x';
    im.ph[1].p_filesz = 6;
    expect_enoexec(&im);
    /* Empty: no bytes, or just a NUL. */
    dyn_pie(&im);
    im.ph[1].p_filesz = 0;
    expect_enoexec(&im);
    dyn_pie(&im);
    im.interp[0] = '\0';
    expect_enoexec(&im);
    dyn_pie(&im);
    im.interp[0] = '\0';
    im.ph[1].p_filesz = 1;
    expect_enoexec(&im);
    /* Outside the file. */
    dyn_pie(&im);
    im.ph[1].p_offset = im.size - 4;
    expect_enoexec(&im);
    dyn_pie(&im);
    im.ph[1].p_offset = UINT64_MAX - 4;
    expect_enoexec(&im);
    /* Too long (with its NUL it would not fit). */
    dyn_pie(&im);
    im.interp_off = 0x400;
    im.interp_len = ELF_MAX_INTERP + 1;
    memset(im.interp, 'a', ELF_MAX_INTERP);
    im.interp[ELF_MAX_INTERP] = '\0';
    im.ph[1].p_offset = 0x400;
    im.ph[1].p_filesz = ELF_MAX_INTERP + 1;
    im.ph[4] = load(0x1400, 0x3400, 0x1000, 0x1000, PF_R | PF_W);
    im.size = 0x2400;
    expect_enoexec(&im);
}

static void test_random_bytes(void **state)
{
    (void)state;
    /* Random corruptions of valid images: never a crash; either a clean
     * parse or -ENOEXEC with a message. */
    uint64_t x = 0x243f6a8885a308d3ULL;
    void (*makers[])(struct image *) = {static_exec, static_pie, dyn_pie};
    for (int iter = 0; iter < 20000; iter++) {
        makers[iter % 3](&im);
        unsigned char *buf = serialize(&im);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (x >> 8) % 0x240; /* headers and interp */
            buf[pos] = (unsigned char)x;
        }
        const char *err = NULL;
        int ret = elf_parse(buf, im.size, &info, &err);
        if (ret != 0) {
            assert_int_equal(ret, -LINUX_ENOEXEC);
            assert_non_null(err);
        } else {
            assert_true(info.nsegs >= 1 && info.nsegs <= ELF_MAX_LOAD_SEGS);
            assert_true(info.max_vaddr <= 0x7ffffffff000ULL);
            if (info.has_interp)
                assert_true(strlen(info.interp) < ELF_MAX_INTERP);
        }
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_exec),          cmocka_unit_test(test_static_pie),
        cmocka_unit_test(test_dyn_interp),           cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_truncated_everywhere), cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_load_limits),          cmocka_unit_test(test_bad_interp),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
