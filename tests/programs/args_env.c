/* The initial process image: argv, envp and the auxiliary vector as the
 * kernel lays them out on the stack at execve.
 *
 * run-test.sh passes: alpha "" "two words" --dash
 * and runs the program under `env -i` with FOO=bar and MOAT_TEST_SPACE="a b c". */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start;
extern char _start[];

static const char *const want_args[] = {"alpha", "", "two words", "--dash"};
#define WANT_ARGC (int)(1 + sizeof(want_args) / sizeof(want_args[0]))

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void check_args(int argc, char **argv)
{
    CHECK(argc == WANT_ARGC, "argc %d, want %d", argc, WANT_ARGC);
    REQUIRE(argc >= 1 && argv[0] != NULL, "no argv[0]");
    CHECK(strcmp(base_name(argv[0]), "args_env") == 0 ||
              strcmp(base_name(argv[0]), "args_env_pie") == 0,
          "argv[0] is '%s'", argv[0]);
    for (int i = 1; i < argc && i < WANT_ARGC; i++)
        CHECK(strcmp(argv[i], want_args[i - 1]) == 0, "argv[%d] is '%s', want '%s'", i,
              argv[i], want_args[i - 1]);
    CHECK(argv[argc] == NULL, "argv[argc] is not NULL");
}

static void check_env(int argc, char **argv, char **envp)
{
    CHECK(envp == argv + argc + 1, "envp %p does not follow argv's NULL (%p)", (void *)envp,
          (void *)(argv + argc + 1));
    CHECK(environ == envp, "environ %p != envp %p", (void *)environ, (void *)envp);
    const char *foo = getenv("FOO");
    CHECK(foo && strcmp(foo, "bar") == 0, "FOO is '%s', want 'bar'", foo ? foo : "(unset)");
    const char *sp = getenv("MOAT_TEST_SPACE");
    CHECK(sp && strcmp(sp, "a b c") == 0, "MOAT_TEST_SPACE is '%s', want 'a b c'",
          sp ? sp : "(unset)");
    int found = 0;
    for (char **e = envp; *e; e++)
        if (strcmp(*e, "FOO=bar") == 0)
            found++;
    CHECK(found == 1, "FOO=bar appears %d times in envp", found);

    /* Linux copies the argument strings, then the environment strings,
     * contiguously (setproctitle-style code relies on this). */
    for (int i = 0; i + 1 < argc; i++)
        CHECK(argv[i + 1] == argv[i] + strlen(argv[i]) + 1, "argv[%d] not contiguous", i + 1);
    if (argc > 0 && envp[0])
        CHECK(envp[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1,
              "envp[0] does not follow the last argv string");
    for (int i = 0; envp[i] && envp[i + 1]; i++)
        CHECK(envp[i + 1] == envp[i] + strlen(envp[i]) + 1, "envp[%d] not contiguous", i + 1);
}

/* The load bias: where the PT_LOAD holding the ELF header actually sits minus
 * where the file says it is (0 for a static executable, the load address for
 * a static PIE). */
static uintptr_t load_bias(const ElfW(Phdr) *ph, int n)
{
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
            return (uintptr_t)&__ehdr_start - ph[i].p_vaddr;
    return (uintptr_t)-1;
}

static void check_auxv(char **envp)
{
    char **e = envp;
    while (*e)
        e++;
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(e + 1);
    int n = 0;
    int seen_pagesz = 0;
    unsigned long stack_hwcap = 0;
    for (; auxv[n].a_type != AT_NULL; n++) {
        REQUIRE(n < 64, "auxv has no AT_NULL within 64 entries");
        unsigned long t = auxv[n].a_type;
        if (t == AT_PAGESZ)
            seen_pagesz = 1;
        if (t == AT_HWCAP)
            stack_hwcap = auxv[n].a_un.a_val;
        int first = 1;
        for (int j = 0; j < n; j++)
            if (auxv[j].a_type == t)
                first = 0;
        /* getauxval reads the same vector, except AT_HWCAP/AT_HWCAP2 which
         * glibc replaces with its own x86 feature bits. */
        CHECK(!first || t == AT_HWCAP || t == AT_HWCAP2 || getauxval(t) == auxv[n].a_un.a_val,
              "auxv type %lu: stack 0x%lx, getauxval 0x%lx", t, auxv[n].a_un.a_val,
              getauxval(t));
        CHECK(first, "auxv type %lu appears twice", t);
    }
    CHECK(seen_pagesz, "no AT_PAGESZ on the stack");
    uintptr_t auxv_end = (uintptr_t)&auxv[n + 1];

    CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ %lu", getauxval(AT_PAGESZ));
    CHECK(getauxval(AT_CLKTCK) == 100, "AT_CLKTCK %lu", getauxval(AT_CLKTCK));
    CHECK(getauxval(AT_BASE) == 0, "AT_BASE 0x%lx for a program without interpreter",
          getauxval(AT_BASE));
    CHECK(getauxval(AT_FLAGS) == 0, "AT_FLAGS 0x%lx", getauxval(AT_FLAGS));
    CHECK(getauxval(AT_SECURE) == 0, "AT_SECURE %lu", getauxval(AT_SECURE));
    CHECK(stack_hwcap != 0, "AT_HWCAP missing or 0");

    CHECK(getauxval(AT_UID) == getuid(), "AT_UID %lu, getuid %u", getauxval(AT_UID), getuid());
    CHECK(getauxval(AT_EUID) == geteuid(), "AT_EUID %lu", getauxval(AT_EUID));
    CHECK(getauxval(AT_GID) == getgid(), "AT_GID %lu", getauxval(AT_GID));
    CHECK(getauxval(AT_EGID) == getegid(), "AT_EGID %lu", getauxval(AT_EGID));

    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start +
                                                __ehdr_start.e_phoff);
    CHECK(getauxval(AT_PHDR) == (uintptr_t)ph, "AT_PHDR 0x%lx, program headers at %p",
          getauxval(AT_PHDR), (const void *)ph);
    CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM %lu, e_phnum %u",
          getauxval(AT_PHNUM), __ehdr_start.e_phnum);
    CHECK(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT %lu", getauxval(AT_PHENT));
    uintptr_t bias = load_bias(ph, __ehdr_start.e_phnum);
    CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY 0x%lx, _start %p",
          getauxval(AT_ENTRY), (void *)_start);
    CHECK(getauxval(AT_ENTRY) == __ehdr_start.e_entry + bias,
          "AT_ENTRY 0x%lx, e_entry 0x%lx + bias 0x%lx", getauxval(AT_ENTRY),
          (unsigned long)__ehdr_start.e_entry, (unsigned long)bias);
    if (__ehdr_start.e_type == ET_EXEC)
        CHECK(bias == 0, "static executable loaded with bias 0x%lx", (unsigned long)bias);
    else
        CHECK(bias != 0 && bias % 4096 == 0, "static PIE bias 0x%lx", (unsigned long)bias);

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    REQUIRE(rnd != NULL, "AT_RANDOM missing");
    CHECK((uintptr_t)rnd > auxv_end, "AT_RANDOM bytes %p not above the auxv", (void *)rnd);
    int nonzero = 0;
    for (int i = 0; i < 16; i++)
        nonzero |= rnd[i];
    CHECK(nonzero, "AT_RANDOM's 16 bytes are all zero");

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    REQUIRE(execfn != NULL, "AT_EXECFN missing");
    CHECK((uintptr_t)execfn > auxv_end, "AT_EXECFN %p not above the auxv", (void *)execfn);
    CHECK(strlen(execfn) > 0 && strlen(execfn) < 4096, "AT_EXECFN length %zu", strlen(execfn));

    const char *plat = (const char *)getauxval(AT_PLATFORM);
    CHECK(plat && strcmp(plat, "x86_64") == 0, "AT_PLATFORM '%s'", plat ? plat : "(none)");
    /* AT_SYSINFO_EHDR is deliberately not checked: moat has no vDSO. */
}

int main(int argc, char **argv, char **envp)
{
    check_args(argc, argv);
    check_env(argc, argv, envp);
    check_auxv(envp);
    /* The strings live in the information block above the vectors. */
    char **e = envp;
    while (*e)
        e++;
    CHECK((uintptr_t)argv[0] > (uintptr_t)(e + 1), "argv strings below the vectors");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    if (execfn)
        CHECK(strcmp(base_name(execfn), base_name(argv[0])) == 0,
              "AT_EXECFN '%s' and argv[0] '%s' name different files", execfn, argv[0]);
    return check_done(__ehdr_start.e_type == ET_DYN ? "args_env (static-pie)" : "args_env");
}
