/* Unit tests for sentry/loader with file mappings: an ELF built in memory
 * (segments, bss zeroing by copy-on-write), and this test's own executable
 * loaded with its real interpreter from the host (PT_INTERP, AT_BASE), over
 * the fake platform of test_mm_fakes.c. vfs_open is faked here: it reads
 * host files into image files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <elf.h>

#include "abi/linux/auxv.h"
#include "abi/linux/errno.h"
#include "abi/linux/mman.h"
#include "abi/linux/stat.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "tests/unit/test_mm_fakes.h"

#define PG 0x1000ULL

/* What the fake vfs_open does. */
static enum { OPEN_HOST, OPEN_ENOENT, OPEN_GARBAGE, OPEN_DIR } open_mode;
static char opened_path[256];

int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
             unsigned walk_flags, struct file **out_file)
{
    (void)t, (void)flags, (void)mode, (void)walk_flags;
    assert_int_equal(dirfd, LINUX_AT_FDCWD);
    snprintf(opened_path, sizeof(opened_path), "%s", path);
    struct file *f = NULL;
    switch (open_mode) {
    case OPEN_ENOENT:
        return -LINUX_ENOENT;
    case OPEN_GARBAGE:
        f = fake_file_from_host("/proc/self/cmdline");
        break;
    case OPEN_DIR:
    case OPEN_HOST:
        f = fake_file_from_host(path);
        break;
    }
    if (!f)
        return -LINUX_ENOENT;
    if (open_mode == OPEN_DIR)
        f->inode->attr.mode = LINUX_S_IFDIR | 0755;
    *out_file = f;
    return 0;
}

static struct task task;

static int setup(void **state)
{
    (void)state;
    fake_platform_setup();
    return 0;
}

static void task_reset(void)
{
    memset(&task, 0, sizeof(task));
    task.mm = mm_new();
    assert_non_null(task.mm);
}

static uint64_t auxv_get(const struct mm *mm, uint64_t type)
{
    for (size_t i = 0; i < mm->auxv_count; i++) {
        if (mm->auxv[2 * i] == type)
            return mm->auxv[2 * i + 1];
    }
    fail_msg("no auxv entry %lu", (unsigned long)type);
    return 0;
}

static char *const test_argv[] = {"prog", "arg", NULL};
static char *const test_envp[] = {"A=1", NULL};

/* An ET_EXEC of 0x1800 bytes: text at 0x400000 (file 0..0x300), data at
 * 0x401100 (file 0x1100..0x1200) with bss up to 0x404100. Every other byte
 * of the file is 0xee, so the bss must be zeroed over file bytes. */
static uint8_t elf_image[0x1800];

static void build_elf(void)
{
    memset(elf_image, 0xee, sizeof(elf_image));
    Elf64_Ehdr eh = {
        .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
        .e_type = ET_EXEC,
        .e_machine = EM_X86_64,
        .e_version = EV_CURRENT,
        .e_entry = 0x400100,
        .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 2,
    };
    Elf64_Phdr ph[2] = {
        {.p_type = PT_LOAD,
         .p_flags = PF_R | PF_X,
         .p_offset = 0,
         .p_vaddr = 0x400000,
         .p_filesz = 0x300,
         .p_memsz = 0x300,
         .p_align = PG},
        {.p_type = PT_LOAD,
         .p_flags = PF_R | PF_W,
         .p_offset = 0x1100,
         .p_vaddr = 0x401100,
         .p_filesz = 0x100,
         .p_memsz = 0x3000,
         .p_align = PG},
    };
    memcpy(elf_image, &eh, sizeof(eh));
    memcpy(elf_image + sizeof(eh), ph, sizeof(ph));
    for (int i = 0; i < 0x100; i++)
        elf_image[0x1100 + i] = (uint8_t)i;
}

static void test_load_static(void **state)
{
    (void)state;
    build_elf();
    task_reset();
    struct mm *mm = task.mm;
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, elf_image, sizeof(elf_image), 0, false);
    struct loader_args la = {.execfn = "/bin/prog", .argv = test_argv, .envp = test_envp};
    const char *why = NULL;
    assert_int_equal(loader_load_file(&task, f, &la, &why), 0);
    assert_null(why);
    assert_int_equal(task.cpu.regs.rip, 0x400100);
    assert_string_equal(task.comm, "prog");
    assert_ptr_equal(mm->exe_file, f);

    /* Text and the data page are file mappings, the rest of the bss is
     * anonymous. */
    struct vma *v = vma_find(&mm->vmas, 0x400000);
    assert_non_null(v);
    assert_int_equal(v->end, 0x401000);
    assert_int_equal(v->prot, LINUX_PROT_READ | LINUX_PROT_EXEC);
    assert_ptr_equal(v->file, f);
    v = vma_find(&mm->vmas, 0x401000);
    assert_non_null(v);
    assert_int_equal(v->end, 0x402000);
    assert_ptr_equal(v->file, f);
    assert_int_equal(v->obj_off, 0x1000);
    v = vma_find(&mm->vmas, 0x402000);
    assert_non_null(v);
    assert_null(v->obj);
    assert_int_equal(v->end, 0x405000);
    assert_null(vma_find(&mm->vmas, 0x405000));
    /* Zeroing the bss tail copied the data page. */
    assert_non_null(pma_find(&mm->pmas, 0x401000));
    assert_null(pma_find(&mm->pmas, 0x400000));

    uint8_t got[0x200];
    assert_int_equal(copy_in(mm, got, 0x401100, 0x200), 0x200);
    for (int i = 0; i < 0x100; i++)
        assert_int_equal(got[i], i);
    for (int i = 0x100; i < 0x200; i++)
        assert_int_equal(got[i], 0);
    assert_int_equal(copy_in(mm, got, 0x404000, 0x100), 0x100);
    assert_int_equal(got[0xff], 0);
    /* The file's own bytes did not change. */
    assert_int_equal(((uint8_t *)mm_object_page_ptr(ff.obj, 1))[0x200], 0xee);

    assert_int_equal(auxv_get(mm, LINUX_AT_PHDR), 0x400040);
    assert_int_equal(auxv_get(mm, LINUX_AT_PHNUM), 2);
    assert_int_equal(auxv_get(mm, LINUX_AT_ENTRY), 0x400100);
    assert_int_equal(auxv_get(mm, LINUX_AT_BASE), 0);
    assert_true(mm->brk_start >= 0x405000);

    mm_put(mm);
    assert_int_equal(f->refs, 1);
    file_put(f);
    assert_int_equal(ff.obj->refs, 1);
    mm_object_put(ff.obj);
}

static void test_load_errors(void **state)
{
    (void)state;
    build_elf();
    struct loader_args la = {.execfn = "prog", .argv = test_argv, .envp = test_envp};
    const char *why = NULL;
    /* Not ELF; a truncated file. */
    task_reset();
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, (const uint8_t *)"#!/bin/sh\n", 10, 0, false);
    assert_int_equal(loader_load_file(&task, f, &la, &why), -LINUX_ENOEXEC);
    assert_string_equal(why, "not an ELF file");
    file_put(f);
    mm_object_put(ff.obj);
    f = fake_file_open(&ff, elf_image, 0x1180, 0, false);
    assert_int_equal(loader_load_file(&task, f, &la, &why), -LINUX_ENOEXEC);
    file_put(f);
    mm_object_put(ff.obj);
    mm_put(task.mm);

    /* The byte-buffer entry point loads the same. */
    task_reset();
    la.image = elf_image;
    la.image_size = sizeof(elf_image);
    assert_int_equal(loader_load(&task, &la, &why), 0);
    assert_int_equal(task.cpu.regs.rip, 0x400100);
    assert_non_null(task.mm->exe_file);
    mm_put(task.mm);
}

/* This test's own executable: a PIE with an interpreter. */
static void test_load_dynamic(void **state)
{
    (void)state;
    struct file *f = fake_file_from_host("/proc/self/exe");
    assert_non_null(f);
    struct loader_args la = {.execfn = "/proc/self/exe", .argv = test_argv, .envp = test_envp};
    const char *why = NULL;

    task_reset();
    struct mm *mm = task.mm;
    open_mode = OPEN_HOST;
    int err = loader_load_file(&task, f, &la, &why);
    if (err)
        fail_msg("load: %d %s", err, why ? why : "");
    assert_string_equal(opened_path, "/lib64/ld-linux-x86-64.so.2");

    uint64_t base = auxv_get(mm, LINUX_AT_BASE);
    uint64_t entry = auxv_get(mm, LINUX_AT_ENTRY);
    assert_int_not_equal(base, 0);
    assert_int_equal(base % PG, 0);
    assert_true(base < mm->mmap_base);
    /* The interpreter runs first; the program's entry is in its mapping. */
    struct vma *iv = vma_find(&mm->vmas, base);
    assert_non_null(iv);
    assert_non_null(iv->file);
    assert_ptr_not_equal(iv->file, f);
    assert_int_equal(iv->obj_off, 0);
    struct vma *tv = vma_find(&mm->vmas, task.cpu.regs.rip);
    assert_non_null(tv);
    assert_ptr_equal(tv->file, iv->file);
    assert_true(tv->prot & LINUX_PROT_EXEC);
    struct vma *pv = vma_find(&mm->vmas, entry);
    assert_non_null(pv);
    assert_ptr_equal(pv->file, f);
    assert_true(pv->prot & LINUX_PROT_EXEC);
    assert_true(entry >= 0x555555554000ULL && entry < 0x565555554000ULL);
    /* AT_PHDR points at the program's headers, mapped from the file. */
    uint64_t phdr = auxv_get(mm, LINUX_AT_PHDR);
    Elf64_Phdr ph;
    assert_int_equal(copy_in(mm, &ph, phdr, sizeof(ph)), sizeof(ph));
    assert_int_equal(ph.p_type, PT_PHDR);
    /* The interpreter's ELF header is at AT_BASE. */
    unsigned char magic[4];
    assert_int_equal(copy_in(mm, magic, base, 4), 4);
    assert_memory_equal(magic, ELFMAG, 4);
    mm_put(mm);

    /* A missing interpreter is ENOENT, a bad one ELIBBAD, a directory
     * EACCES. */
    const struct {
        int mode, err;
    } cases[] = {
        {OPEN_ENOENT, -LINUX_ENOENT}, {OPEN_GARBAGE, -LINUX_ELIBBAD}, {OPEN_DIR, -LINUX_EACCES}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        task_reset();
        open_mode = cases[i].mode;
        assert_int_equal(loader_load_file(&task, f, &la, &why), cases[i].err);
        assert_non_null(why);
        mm_put(task.mm);
    }
    assert_int_equal(f->refs, 1);
    file_put(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_static),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_dynamic),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
