/* abi/linux/decode.c: the --strace decoders. The host is the oracle where it
 * has one: errno names and texts (strerrorname_np, strerror), signal names
 * (sigabbrev_np) and the flag values of glibc's headers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>

#include <asm/prctl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "abi/linux/decode.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/mman.h"
#include "abi/linux/signal.h"

typedef size_t (*decoder)(char *buf, size_t size, uint64_t value);

static const char *dec(decoder d, uint64_t value)
{
    static char buf[256];
    size_t n = d(buf, sizeof(buf), value);
    assert_int_equal(n, strlen(buf));
    return buf;
}

/* Adapters for the decoders that take signed values. */
static size_t clock_u(char *buf, size_t size, uint64_t v)
{
    return decode_clock(buf, size, (int64_t)v);
}

static size_t signal_u(char *buf, size_t size, uint64_t v)
{
    return decode_signal(buf, size, (int64_t)v);
}

static size_t sigset_u(char *buf, size_t size, uint64_t v)
{
    return decode_sigset(buf, size, v);
}

static void test_errno_names(void **state)
{
    (void)state;
    for (int err = 1; err < 200; err++) {
        const char *host = strerrorname_np(err);
        const char *ours = linux_errno_name(err);
        if (!host) {
            assert_null(ours);
            assert_null(linux_errno_desc(err));
            continue;
        }
        assert_non_null(ours);
        assert_string_equal(ours, host);
        assert_string_equal(linux_errno_desc(err), strerror(err));
    }
    assert_string_equal(linux_errno_name(ENOENT), "ENOENT");
    assert_string_equal(linux_errno_name(EWOULDBLOCK), "EAGAIN");
    assert_string_equal(linux_errno_name(EHWPOISON), "EHWPOISON");
    assert_null(linux_errno_name(0));
    assert_null(linux_errno_name(-2));
    assert_null(linux_errno_name(41));
    assert_null(linux_errno_name(134));
    assert_null(linux_errno_name(511));
    assert_null(linux_errno_name(517));
    assert_null(linux_errno_name(4095));
    assert_string_equal(linux_errno_name(512), "ERESTARTSYS");
    assert_string_equal(linux_errno_name(513), "ERESTARTNOINTR");
    assert_string_equal(linux_errno_name(514), "ERESTARTNOHAND");
    assert_string_equal(linux_errno_name(515), "ENOIOCTLCMD");
    assert_string_equal(linux_errno_name(516), "ERESTART_RESTARTBLOCK");
    for (int err = 512; err <= 516; err++)
        assert_non_null(linux_errno_desc(err));
}

static void test_signal_names(void **state)
{
    (void)state;
    for (int sig = 1; sig < 32; sig++) {
        char want[32];
        /* glibc calls 29 POLL; the kernel and strace call it SIGIO. */
        snprintf(want, sizeof(want), "SIG%s", sig == SIGIO ? "IO" : sigabbrev_np(sig));
        assert_string_equal(linux_signal_name(sig), want);
    }
    assert_string_equal(linux_signal_name(32), "SIGRTMIN");
    assert_string_equal(linux_signal_name(33), "SIGRTMIN+1");
    assert_string_equal(linux_signal_name(63), "SIGRTMIN+31");
    assert_string_equal(linux_signal_name(64), "SIGRTMAX");
    for (int sig = 1; sig <= 64; sig++)
        assert_non_null(linux_signal_name(sig));
    assert_null(linux_signal_name(0));
    assert_null(linux_signal_name(-1));
    assert_null(linux_signal_name(65));

    assert_string_equal(dec(signal_u, SIGKILL), "SIGKILL");
    assert_string_equal(dec(signal_u, 0), "0");
    assert_string_equal(dec(signal_u, 65), "65");
    assert_string_equal(dec(signal_u, (uint64_t)-3), "-3");
}

static void test_decode_flags_generic(void **state)
{
    (void)state;
    static const struct flag_name table[] = {
        {0, 0xf, "T_ZERO"},                      /* a zero field value */
        {1, 0xf, "T_ONE"},  {0x30, 0, "B_BOTH"}, /* a two-bit flag, before its parts */
        {0x10, 0, "B_LOW"}, {0x20, 0, "B_HIGH"}, {0x100, 0, "B_X"}, {0, 0, NULL},
    };
    char buf[128];
    assert_int_equal(decode_flags(buf, sizeof(buf), 0, table), 6);
    assert_string_equal(buf, "T_ZERO");
    decode_flags(buf, sizeof(buf), 0x1, table);
    assert_string_equal(buf, "T_ONE");
    decode_flags(buf, sizeof(buf), 0x31, table);
    assert_string_equal(buf, "T_ONE|B_BOTH");
    decode_flags(buf, sizeof(buf), 0x120, table);
    assert_string_equal(buf, "T_ZERO|B_HIGH|B_X");
    /* An unknown field value and unknown bits come out in hex, once. */
    decode_flags(buf, sizeof(buf), 0x7, table);
    assert_string_equal(buf, "0x7");
    decode_flags(buf, sizeof(buf), 0x80000000000001c5ULL, table);
    assert_string_equal(buf, "B_X|0x80000000000000c5");

    static const struct flag_name bits[] = {{1, 0, "A"}, {2, 0, "B"}, {0, 0, NULL}};
    decode_flags(buf, sizeof(buf), 0, bits);
    assert_string_equal(buf, "0");
    decode_flags(buf, sizeof(buf), 3, bits);
    assert_string_equal(buf, "A|B");
    decode_flags(buf, sizeof(buf), 0x1004, bits);
    assert_string_equal(buf, "0x1004");
    static const struct flag_name empty[] = {{0, 0, NULL}};
    decode_flags(buf, sizeof(buf), 0, empty);
    assert_string_equal(buf, "0");
    decode_flags(buf, sizeof(buf), 10, empty);
    assert_string_equal(buf, "0xa");
}

static void test_mmap(void **state)
{
    (void)state;
    assert_string_equal(dec(decode_mmap_prot, PROT_NONE), "PROT_NONE");
    assert_string_equal(dec(decode_mmap_prot, PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
    assert_string_equal(dec(decode_mmap_prot, PROT_READ | PROT_EXEC), "PROT_READ|PROT_EXEC");
    assert_string_equal(dec(decode_mmap_prot, PROT_READ | PROT_GROWSDOWN),
                        "PROT_READ|PROT_GROWSDOWN");
    assert_string_equal(dec(decode_mmap_prot, PROT_READ | 0x10), "PROT_READ|0x10");
    assert_string_equal(dec(decode_mmap_prot, 0x10), "0x10");

    assert_string_equal(dec(decode_mmap_flags, MAP_PRIVATE | MAP_ANONYMOUS),
                        "MAP_PRIVATE|MAP_ANONYMOUS");
    assert_string_equal(dec(decode_mmap_flags, MAP_SHARED | MAP_FIXED), "MAP_SHARED|MAP_FIXED");
    assert_string_equal(dec(decode_mmap_flags, MAP_SHARED_VALIDATE | MAP_SYNC),
                        "MAP_SHARED_VALIDATE|MAP_SYNC");
    assert_string_equal(
        dec(decode_mmap_flags, MAP_PRIVATE | MAP_FIXED_NOREPLACE | MAP_STACK | MAP_NORESERVE),
        "MAP_PRIVATE|MAP_NORESERVE|MAP_STACK|MAP_FIXED_NOREPLACE");
    assert_string_equal(dec(decode_mmap_flags, MAP_PRIVATE | MAP_DENYWRITE | MAP_POPULATE),
                        "MAP_PRIVATE|MAP_DENYWRITE|MAP_POPULATE");
    /* No type, or a type Linux does not have. */
    assert_string_equal(dec(decode_mmap_flags, 0), "0");
    assert_string_equal(dec(decode_mmap_flags, MAP_ANONYMOUS), "MAP_ANONYMOUS");
    assert_string_equal(dec(decode_mmap_flags, 0x4 | MAP_ANONYMOUS), "MAP_ANONYMOUS|0x4");
    assert_string_equal(dec(decode_mmap_flags, MAP_PRIVATE | 0x80000000), "MAP_PRIVATE|0x80000000");
}

static void test_open_flags(void **state)
{
    (void)state;
    assert_string_equal(dec(decode_open_flags, O_RDONLY), "O_RDONLY");
    assert_string_equal(dec(decode_open_flags, O_WRONLY | O_CREAT | O_TRUNC),
                        "O_WRONLY|O_CREAT|O_TRUNC");
    assert_string_equal(dec(decode_open_flags, O_RDWR | O_CLOEXEC), "O_RDWR|O_CLOEXEC");
    assert_string_equal(dec(decode_open_flags, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC),
                        "O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_CLOEXEC");
    /* Multi-bit flags take their bits first. */
    assert_string_equal(dec(decode_open_flags, O_WRONLY | O_SYNC), "O_WRONLY|O_SYNC");
    assert_string_equal(dec(decode_open_flags, O_WRONLY | O_DSYNC), "O_WRONLY|O_DSYNC");
    assert_string_equal(dec(decode_open_flags, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
    assert_string_equal(dec(decode_open_flags, O_PATH | O_NOFOLLOW), "O_RDONLY|O_NOFOLLOW|O_PATH");
    /* The kernel's bit, which glibc hides as O_LARGEFILE == 0. */
    assert_string_equal(dec(decode_open_flags, LINUX_O_LARGEFILE), "O_RDONLY|O_LARGEFILE");
    /* An invalid access mode and unknown bits. */
    assert_string_equal(dec(decode_open_flags, 3), "0x3");
    assert_string_equal(dec(decode_open_flags, O_RDONLY | 0x40000000), "O_RDONLY|0x40000000");

    /* Each of glibc's flags decodes to its own name. */
    static const struct {
        uint64_t value;
        const char *name;
    } host[] = {
        {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
        {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
        {O_DSYNC, "O_DSYNC"},         {FASYNC, "FASYNC"},         {O_DIRECT, "O_DIRECT"},
        {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
        {O_CLOEXEC, "O_CLOEXEC"},     {O_SYNC, "O_SYNC"},         {O_PATH, "O_PATH"},
        {O_TMPFILE, "O_TMPFILE"},
    };
    for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "O_RDONLY|%s", host[i].name);
        assert_string_equal(dec(decode_open_flags, host[i].value), want);
    }
}

static void test_at_flags(void **state)
{
    (void)state;
    assert_string_equal(dec(decode_at_flags, 0), "0");
    assert_string_equal(dec(decode_at_flags, AT_SYMLINK_NOFOLLOW), "AT_SYMLINK_NOFOLLOW");
    assert_string_equal(dec(decode_at_flags, AT_REMOVEDIR), "AT_REMOVEDIR");
    assert_string_equal(dec(decode_at_flags, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
                        "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
    assert_string_equal(dec(decode_at_flags, AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT),
                        "AT_NO_AUTOMOUNT|AT_STATX_DONT_SYNC");
    assert_string_equal(dec(decode_at_flags, AT_RECURSIVE | 1), "AT_RECURSIVE|0x1");
}

static void test_enums(void **state)
{
    (void)state;
    assert_string_equal(dec(clock_u, CLOCK_REALTIME), "CLOCK_REALTIME");
    assert_string_equal(dec(clock_u, CLOCK_MONOTONIC), "CLOCK_MONOTONIC");
    assert_string_equal(dec(clock_u, CLOCK_BOOTTIME), "CLOCK_BOOTTIME");
    assert_string_equal(dec(clock_u, CLOCK_TAI), "CLOCK_TAI");
    assert_string_equal(dec(clock_u, 10), "10");
    assert_string_equal(dec(clock_u, (uint64_t)-6), "-6"); /* a CPU clock of pid 0 */

    assert_string_equal(dec(decode_arch_prctl, ARCH_SET_FS), "ARCH_SET_FS");
    assert_string_equal(dec(decode_arch_prctl, ARCH_GET_GS), "ARCH_GET_GS");
    assert_string_equal(dec(decode_arch_prctl, 0x3001), "0x3001");

    assert_string_equal(dec(decode_prctl, PR_SET_NAME), "PR_SET_NAME");
    assert_string_equal(dec(decode_prctl, PR_SET_NO_NEW_PRIVS), "PR_SET_NO_NEW_PRIVS");
    assert_string_equal(dec(decode_prctl, PR_SET_PTRACER), "PR_SET_PTRACER");
    assert_string_equal(dec(decode_prctl, PR_SET_VMA), "PR_SET_VMA");
    assert_string_equal(dec(decode_prctl, 9999), "9999");

    assert_string_equal(dec(decode_madvise, MADV_DONTNEED), "MADV_DONTNEED");
    assert_string_equal(dec(decode_madvise, MADV_NORMAL), "MADV_NORMAL");
    assert_string_equal(dec(decode_madvise, MADV_HWPOISON), "MADV_HWPOISON");
    assert_string_equal(dec(decode_madvise, 77), "77");

    assert_string_equal(dec(decode_sigprocmask_how, SIG_BLOCK), "SIG_BLOCK");
    assert_string_equal(dec(decode_sigprocmask_how, SIG_UNBLOCK), "SIG_UNBLOCK");
    assert_string_equal(dec(decode_sigprocmask_how, SIG_SETMASK), "SIG_SETMASK");
    assert_string_equal(dec(decode_sigprocmask_how, 3), "3");

    assert_string_equal(dec(decode_fcntl_cmd, F_GETFL), "F_GETFL");
    assert_string_equal(dec(decode_fcntl_cmd, F_DUPFD_CLOEXEC), "F_DUPFD_CLOEXEC");
    assert_string_equal(dec(decode_fcntl_cmd, F_OFD_SETLKW), "F_OFD_SETLKW");
    assert_string_equal(dec(decode_fcntl_cmd, F_ADD_SEALS), "F_ADD_SEALS");
    assert_string_equal(dec(decode_fcntl_cmd, 12), "12");

    assert_string_equal(dec(decode_ioctl_request, TCGETS), "TCGETS");
    assert_string_equal(dec(decode_ioctl_request, TIOCGWINSZ), "TIOCGWINSZ");
    assert_string_equal(dec(decode_ioctl_request, FIONREAD), "FIONREAD");
    assert_string_equal(dec(decode_ioctl_request, TIOCGPTN), "TIOCGPTN");
    assert_string_equal(dec(decode_ioctl_request, TIOCSPTLCK), "TIOCSPTLCK");
    assert_string_equal(dec(decode_ioctl_request, _IOR('T', 0x99, int)),
                        "_IOC(_IOC_READ, 0x54, 0x99, 0x4)");
    assert_string_equal(dec(decode_ioctl_request, _IOWR('f', 1, long)),
                        "_IOC(_IOC_READ|_IOC_WRITE, 0x66, 0x1, 0x8)");
    assert_string_equal(dec(decode_ioctl_request, 0x5499), "0x5499");
    assert_string_equal(dec(decode_ioctl_request, 0x123456789ULL), "0x123456789");
}

/* decode_lookup returns the first match: a value listed twice would hide a
 * name, so every value table lists each value once. */
static void test_value_tables_unique(void **state)
{
    (void)state;
    const struct flag_name *tables[] = {
        decode_clock_names,       decode_arch_prctl_names, decode_prctl_names, decode_madvise_names,
        decode_sigprocmask_names, decode_fcntl_names,      decode_ioctl_names, decode_rlimit_names,
    };
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        size_t count = 0;
        for (const struct flag_name *a = tables[t]; a->name; a++, count++)
            for (const struct flag_name *b = a + 1; b->name; b++)
                if (a->value == b->value)
                    fail_msg("%s and %s share %#llx", a->name, b->name,
                             (unsigned long long)a->value);
        assert_true(count > 2);
    }
}

static void test_sigset(void **state)
{
    (void)state;
    assert_string_equal(dec(sigset_u, 0), "[]");
    assert_string_equal(dec(sigset_u, linux_sigmask(SIGINT) | linux_sigmask(SIGTERM)),
                        "[INT TERM]");
    assert_string_equal(dec(sigset_u, linux_sigmask(32) | linux_sigmask(33) | linux_sigmask(64)),
                        "[RTMIN RTMIN+1 RTMAX]");
    assert_string_equal(dec(sigset_u, ~0ULL), "~[]");
    assert_string_equal(dec(sigset_u, ~linux_sigmask(SIGKILL)), "~[KILL]");
}

/* Every decoder, at every buffer size: NUL-terminated, a prefix of the
 * full text, its length returned, nothing written past size. */
static void check_truncation(decoder d, uint64_t value)
{
    char full[512];
    size_t full_len = d(full, sizeof(full), value);
    assert_true(full_len > 0);
    assert_int_equal(full_len, strlen(full));

    char buf[600];
    for (size_t size = 0; size <= full_len + 2; size++) {
        memset(buf, 'Z', sizeof(buf));
        size_t n = d(buf, size, value);
        if (size == 0) {
            assert_int_equal(n, 0);
            assert_int_equal(buf[0], 'Z');
            continue;
        }
        size_t want = full_len < size - 1 ? full_len : size - 1;
        assert_int_equal(n, want);
        assert_int_equal(buf[n], '\0');
        assert_memory_equal(buf, full, n);
        for (size_t i = size; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 'Z');
    }
    /* size 0 with no buffer at all */
    assert_int_equal(d(NULL, 0, value), 0);
}

static void test_truncation(void **state)
{
    (void)state;
    check_truncation(decode_mmap_prot, PROT_READ | PROT_WRITE | PROT_EXEC | 0x100);
    check_truncation(decode_mmap_prot, 0);
    check_truncation(decode_mmap_flags, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | 0x80000000);
    check_truncation(decode_open_flags, O_RDWR | O_CREAT | O_CLOEXEC | 0x40000000);
    check_truncation(decode_at_flags, 0);
    check_truncation(decode_at_flags, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    check_truncation(clock_u, CLOCK_MONOTONIC);
    check_truncation(clock_u, (uint64_t)-12345);
    check_truncation(decode_arch_prctl, 0x3001);
    check_truncation(decode_prctl, PR_SET_NAME);
    check_truncation(decode_madvise, 1234);
    check_truncation(decode_sigprocmask_how, SIG_SETMASK);
    check_truncation(decode_fcntl_cmd, F_GETFD);
    check_truncation(decode_ioctl_request, TCGETS);
    check_truncation(decode_ioctl_request, _IOWR('f', 1, long));
    check_truncation(decode_ioctl_request, 0xffffffffffffffffULL);
    check_truncation(signal_u, SIGSEGV);
    check_truncation(signal_u, 99);
    check_truncation(sigset_u, ~0ULL >> 1);
    check_truncation(sigset_u, 0x5555555555555555ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_names),
        cmocka_unit_test(test_signal_names),
        cmocka_unit_test(test_decode_flags_generic),
        cmocka_unit_test(test_mmap),
        cmocka_unit_test(test_open_flags),
        cmocka_unit_test(test_at_flags),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_value_tables_unique),
        cmocka_unit_test(test_sigset),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
