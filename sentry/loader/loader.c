/* Loading an ELF program into a fresh address space: the stack with argv,
 * envp and auxv, and the initial registers. The segments (program and
 * interpreter) are mapped by load_elf.c.
 *
 * No vDSO is mapped: the application's clock calls come to the sentry as
 * syscalls, and nothing of the host's leaks in. */
#include "sentry/loader/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>

#include "abi/linux/auxv.h"
#include "abi/linux/errno.h"
#include "abi/linux/mman.h"
#include "abi/linux/stat.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/loader_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

/* Linux's ELF_ET_DYN_BASE for x86_64: where position-independent programs
 * are loaded, before randomization. */
#define LOADER_DYN_BASE 0x555555554000ULL
#define LOADER_STACK_SIZE (8ULL << 20)
/* Linux limits argv + envp to a quarter of the stack limit. */
#define LOADER_MAX_ARG_SIZE (LOADER_STACK_SIZE / 4)
/* Space between the stack's limit and the top of the mmap area. */
#define LOADER_STACK_GAP (128ULL << 20)

uint64_t loader_random_pages(unsigned bits)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = 0;
    return (r & ((1ULL << bits) - 1)) * LINUX_PAGE_SIZE;
}

/* Bytes of the strings of a NULL-terminated vector, NULs included. */
static size_t loader_strings_size(char *const *v, size_t *out_count)
{
    size_t size = 0, n = 0;
    for (; v && v[n]; n++)
        size += strlen(v[n]) + 1;
    *out_count = n;
    return size;
}

/* Lays out the initial stack the way Linux's create_elf_tables does and
 * copies it out in one piece. Sets the stack pointer in *out_sp. */
static int loader_build_stack(struct task *t, const struct loader_args *la, uint64_t stack_top,
                              const uint64_t *auxv, size_t auxv_words, uint64_t *out_sp)
{
    struct mm *mm = t->mm;
    size_t argc, envc;
    size_t argv_size = loader_strings_size(la->argv, &argc);
    size_t envp_size = loader_strings_size(la->envp, &envc);
    size_t execfn_size = strlen(la->execfn) + 1;
    static const char platform_str[] = "x86_64";
    size_t strings = argv_size + envp_size + execfn_size + sizeof(platform_str) + 32;
    if (argv_size + envp_size > LOADER_MAX_ARG_SIZE)
        return -LINUX_E2BIG;
    size_t vectors = (1 + argc + 1 + envc + 1 + auxv_words) * sizeof(uint64_t);
    uint64_t sp = (stack_top - 8 - strings - vectors) & ~15ULL;
    size_t total = stack_top - sp;
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return -LINUX_ENOMEM;

    /* Strings from the top down: execfn, envp, argv, platform, random. */
    uint64_t p = stack_top - 8;
    uint64_t execfn_addr = p -= execfn_size;
    memcpy(buf + (p - sp), la->execfn, execfn_size);
    uint64_t *env_addrs = calloc(envc + 1, sizeof(uint64_t));
    uint64_t *arg_addrs = calloc(argc + 1, sizeof(uint64_t));
    if (!env_addrs || !arg_addrs) {
        free(env_addrs);
        free(arg_addrs);
        free(buf);
        return -LINUX_ENOMEM;
    }
    p -= envp_size;
    mm->env_start = p;
    for (size_t i = 0; i < envc; i++) {
        size_t n = strlen(la->envp[i]) + 1;
        env_addrs[i] = p;
        memcpy(buf + (p - sp), la->envp[i], n);
        p += n;
    }
    mm->env_end = p;
    p = mm->env_start - argv_size;
    mm->arg_start = p;
    for (size_t i = 0; i < argc; i++) {
        size_t n = strlen(la->argv[i]) + 1;
        arg_addrs[i] = p;
        memcpy(buf + (p - sp), la->argv[i], n);
        p += n;
    }
    mm->arg_end = p;
    p = mm->arg_start - sizeof(platform_str);
    uint64_t platform_addr = p;
    memcpy(buf + (p - sp), platform_str, sizeof(platform_str));
    p = (p - 16) & ~15ULL;
    uint64_t random_addr = p;
    if (getrandom(buf + (p - sp), 16, 0) != 16)
        memset(buf + (p - sp), 0x5a, 16);

    /* Vectors from sp up: argc, argv[], NULL, envp[], NULL, auxv. */
    uint64_t *w = (uint64_t *)(buf);
    size_t wi = 0;
    w[wi++] = argc;
    for (size_t i = 0; i < argc; i++)
        w[wi++] = arg_addrs[i];
    w[wi++] = 0;
    for (size_t i = 0; i < envc; i++)
        w[wi++] = env_addrs[i];
    w[wi++] = 0;
    size_t auxv_at = wi;
    memcpy(&w[wi], auxv, auxv_words * sizeof(uint64_t));
    for (size_t i = 0; i + 1 < auxv_words; i += 2) {
        if (w[auxv_at + i] == LINUX_AT_RANDOM)
            w[auxv_at + i + 1] = random_addr;
        else if (w[auxv_at + i] == LINUX_AT_EXECFN)
            w[auxv_at + i + 1] = execfn_addr;
        else if (w[auxv_at + i] == LINUX_AT_PLATFORM)
            w[auxv_at + i + 1] = platform_addr;
    }
    SENTRY_ASSERT((auxv_at + auxv_words) * sizeof(uint64_t) <= random_addr - sp);
    memcpy(mm->auxv, &w[auxv_at], auxv_words * sizeof(uint64_t));
    mm->auxv_count = auxv_words / 2;
    free(env_addrs);
    free(arg_addrs);

    long r = copy_out(mm, sp, buf, total);
    free(buf);
    if (r < 0)
        return (int)r;
    *out_sp = sp;
    return 0;
}


/* Loads the interpreter named by info into t->mm below the mmap base.
 * Returns 0 with its bias in *out_bias, or -errno with *out_err set. */
static int loader_load_interp(struct task *t, const struct elf_info *info, uint64_t *out_bias,
                              uint64_t *out_entry, const char **out_err)
{
    struct file *f;
    int err = loader_open_exec(t, LINUX_AT_FDCWD, info->interp, 0, 0, &f);
    if (err) {
        *out_err = "cannot open the ELF interpreter";
        return err;
    }
    struct elf_info *ii = malloc(sizeof(*ii));
    if (!ii) {
        err = -LINUX_ENOMEM;
        goto out_put_file;
    }
    err = loader_parse_file(f, ii, out_err);
    if (err) {
        /* Linux: an interpreter that is no valid ELF file is ELIBBAD. */
        if (err == -LINUX_ENOEXEC)
            err = -LINUX_ELIBBAD;
        *out_err = "bad ELF interpreter";
        goto out_free;
    }
    uint64_t bias = 0;
    if (ii->is_dyn && (err = loader_interp_bias(t->mm, ii, &bias)) != 0) {
        *out_err = "no room for the ELF interpreter";
        goto out_free;
    }
    err = loader_map_elf(t->mm, f, ii, bias);
    if (err) {
        *out_err = "cannot map the ELF interpreter";
        goto out_free;
    }
    *out_bias = bias;
    *out_entry = ii->entry + bias;
out_free:
    free(ii);
out_put_file:
    file_put(f);
    return err;
}

int loader_load_file(struct task *t, struct file *f, const struct loader_args *la,
                     const char **out_err)
{
    struct mm *mm = t->mm;
    *out_err = NULL;
    struct elf_info *info = malloc(sizeof(*info)); /* large (PT_INTERP buffer) */
    if (!info)
        return -LINUX_ENOMEM;
    int err = loader_parse_file(f, info, out_err);
    if (err)
        goto out;
    if (!f->ops->get_pages) {
        *out_err = "the file cannot be mapped"; /* Linux: no mmap op, ENOEXEC */
        err = -LINUX_ENOEXEC;
        goto out;
    }
    uint64_t bias = 0;
    if (info->is_dyn) {
        uint64_t base = (LOADER_DYN_BASE + loader_random_pages(20)) & ~(info->align - 1);
        bias = base - info->min_vaddr;
    }
    err = loader_map_elf(mm, f, info, bias);
    if (err) {
        *out_err = "cannot map the program's segments";
        goto out;
    }

    uint64_t stack_top = PF_TASK_SIZE - LINUX_PAGE_SIZE - loader_random_pages(16);
    struct vma stack = {
        .start = stack_top - LOADER_STACK_SIZE,
        .end = stack_top,
        .prot = LINUX_PROT_READ | LINUX_PROT_WRITE | (info->exec_stack ? LINUX_PROT_EXEC : 0),
        .max_prot = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC,
        .flags = VMA_STACK | VMA_GROWSDOWN,
        .name = "[stack]",
    };
    if (!vma_range_free(&mm->vmas, stack.start, stack.end) ||
        vma_insert(&mm->vmas, &stack) != 0) {
        *out_err = "the program's segments overlap the stack";
        err = -LINUX_ENOMEM;
        goto out;
    }
    mm->stack_start = stack.start;
    mm->stack_end = stack.end;
    mm->mmap_base = stack.start - LOADER_STACK_GAP - loader_random_pages(24);

    uint64_t entry = info->entry + bias, interp_bias = 0;
    if (info->has_interp) {
        err = loader_load_interp(t, info, &interp_bias, &entry, out_err);
        if (err)
            goto out;
    }

    uint64_t load_end = page_round_up(info->max_vaddr + bias);
    mm->brk_start = mm->brk = load_end + loader_random_pages(13);

    uint64_t auxv[] = {
        LINUX_AT_HWCAP, getauxval(AT_HWCAP),
        LINUX_AT_PAGESZ, LINUX_PAGE_SIZE,
        LINUX_AT_CLKTCK, 100,
        LINUX_AT_PHDR, info->phdr_vaddr ? info->phdr_vaddr + bias : 0,
        LINUX_AT_PHENT, info->phentsize,
        LINUX_AT_PHNUM, info->phnum,
        LINUX_AT_BASE, interp_bias,
        LINUX_AT_FLAGS, 0,
        LINUX_AT_ENTRY, info->entry + bias,
        LINUX_AT_UID, t->cred.uid,
        LINUX_AT_EUID, t->cred.euid,
        LINUX_AT_GID, t->cred.gid,
        LINUX_AT_EGID, t->cred.egid,
        LINUX_AT_SECURE, 0,
        LINUX_AT_RANDOM, 0,      /* filled in with the stack address */
        LINUX_AT_HWCAP2, getauxval(AT_HWCAP2),
        LINUX_AT_EXECFN, 0,      /* filled in */
        LINUX_AT_PLATFORM, 0,    /* filled in */
        LINUX_AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) ? getauxval(AT_MINSIGSTKSZ) : 2048,
        LINUX_AT_NULL, 0,
    };
    uint64_t sp = 0;
    err = loader_build_stack(t, la, stack_top, auxv, sizeof(auxv) / sizeof(auxv[0]), &sp);
    if (err) {
        *out_err = err == -LINUX_E2BIG ? "argument list too long" : "cannot build the stack";
        goto out;
    }

    struct cpu_regs *r = &t->cpu.regs;
    memset(r, 0, sizeof(*r));
    r->rip = entry;
    r->rsp = sp;
    r->cs = 0x33;
    r->ss = 0x2b;
    r->eflags = 0x202;
    r->orig_rax = (uint64_t)-1;
    t->cpu.regs_dirty = true;

    if (mm->exe_file)
        file_put(mm->exe_file);
    file_get(f);
    mm->exe_file = f;

    const char *base = strrchr(la->execfn, '/');
    base = base ? base + 1 : la->execfn;
    snprintf(t->comm, sizeof(t->comm), "%s", base);
out:
    free(info);
    return err;
}

int loader_load(struct task *t, const struct loader_args *la, const char **out_err)
{
    *out_err = NULL;
    struct file *f = loader_image_file_new(la->image, la->image_size);
    if (!f) {
        *out_err = "out of memory for the program image";
        return -LINUX_ENOMEM;
    }
    int err = loader_load_file(t, f, la, out_err);
    file_put(f);
    return err;
}
