/* --strace line formatting (see strace.h). Everything is built in one fixed
 * buffer on the stack and written with one log_raw() call, so lines from
 * several task threads do not interleave. Application memory is read only
 * through copy_string_in/copy_in_partial; what cannot be read prints as its
 * address. */
#include "sentry/syscalls/strace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "abi/linux/decode.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/unistd_64.h"
#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscall.h"

#define STRACE_LINE_SIZE 1024
#define STRACE_STR_MAX 32 /* bytes of a string or buffer shown before "..." */
#define ARG_COUNT 6

/* ---- the line ---- */

struct line {
    char buf[STRACE_LINE_SIZE];
    size_t len; /* always < STRACE_LINE_SIZE; buf[len] is NUL */
};

static void line_init(struct line *l)
{
    l->len = 0;
    l->buf[0] = '\0';
}

static void line_put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

static void line_str(struct line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

static void line_fmt(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_fmt(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof(l->buf) - l->len;
    int n = vsnprintf(l->buf + l->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends what a decode_* function writes. */
#define LINE_DECODE(l, fn, ...)                                                                    \
    ((l)->len += fn((l)->buf + (l)->len, sizeof((l)->buf) - (l)->len, __VA_ARGS__))

static void line_emit(struct task *t, struct line *l)
{
    (void)t;
    log_raw("%s\n", l->buf);
}

/* ---- syscall classes ---- */

/* Calls that may block for long, or after which the arguments cannot be
 * read any more (execve replaces the address space): their line is split. */
static bool strace_split(long nr)
{
    switch (nr) {
    case LINUX_NR_read:
    case LINUX_NR_readv:
    case LINUX_NR_pread64:
    case LINUX_NR_preadv:
    case LINUX_NR_preadv2:
    case LINUX_NR_wait4:
    case LINUX_NR_waitid:
    case LINUX_NR_nanosleep:
    case LINUX_NR_clock_nanosleep:
    case LINUX_NR_pause:
    case LINUX_NR_rt_sigsuspend:
    case LINUX_NR_rt_sigtimedwait:
    case LINUX_NR_poll:
    case LINUX_NR_ppoll:
    case LINUX_NR_select:
    case LINUX_NR_pselect6:
    case LINUX_NR_epoll_wait:
    case LINUX_NR_epoll_pwait:
    case LINUX_NR_epoll_pwait2:
    case LINUX_NR_futex:
    case LINUX_NR_accept:
    case LINUX_NR_accept4:
    case LINUX_NR_connect:
    case LINUX_NR_recvfrom:
    case LINUX_NR_recvmsg:
    case LINUX_NR_flock:
    case LINUX_NR_vfork:
    case LINUX_NR_execve:
    case LINUX_NR_execveat:
        return true;
    default:
        return false;
    }
}

static bool strace_noreturn(long nr)
{
    return nr == LINUX_NR_exit || nr == LINUX_NR_exit_group;
}

/* Calls whose result is an address. */
static bool strace_returns_addr(long nr)
{
    return nr == LINUX_NR_mmap || nr == LINUX_NR_mremap || nr == LINUX_NR_brk ||
           nr == LINUX_NR_shmat;
}

/* Integer arguments with a decoder that enum sarg has no kind for. They
 * apply only where the table says the argument is an integer. */
enum arg_decoder {
    DEC_NONE,
    DEC_ARCH_PRCTL,
    DEC_PRCTL,
    DEC_MADVISE,
    DEC_SIGPROCMASK_HOW,
    DEC_FCNTL,
    DEC_AT_FLAGS,
    DEC_GRND_FLAGS,
    DEC_MREMAP_FLAGS,
    DEC_RLIMIT,
};

static const struct {
    long nr;
    int arg;
    enum arg_decoder dec;
} arg_decoders[] = {
    {LINUX_NR_arch_prctl, 0, DEC_ARCH_PRCTL},
    {LINUX_NR_prctl, 0, DEC_PRCTL},
    {LINUX_NR_madvise, 2, DEC_MADVISE},
    {LINUX_NR_rt_sigprocmask, 0, DEC_SIGPROCMASK_HOW},
    {LINUX_NR_fcntl, 1, DEC_FCNTL},
    {LINUX_NR_newfstatat, 3, DEC_AT_FLAGS},
    {LINUX_NR_unlinkat, 2, DEC_AT_FLAGS},
    {LINUX_NR_linkat, 4, DEC_AT_FLAGS},
    {LINUX_NR_fchownat, 4, DEC_AT_FLAGS},
    {LINUX_NR_utimensat, 3, DEC_AT_FLAGS},
    {LINUX_NR_statx, 2, DEC_AT_FLAGS},
    {LINUX_NR_execveat, 4, DEC_AT_FLAGS},
    {LINUX_NR_name_to_handle_at, 4, DEC_AT_FLAGS},
    {LINUX_NR_getrandom, 2, DEC_GRND_FLAGS},
    {LINUX_NR_mremap, 3, DEC_MREMAP_FLAGS},
    {LINUX_NR_getrlimit, 0, DEC_RLIMIT},
    {LINUX_NR_setrlimit, 0, DEC_RLIMIT},
    {LINUX_NR_prlimit64, 1, DEC_RLIMIT},
};

static enum arg_decoder arg_decoder_for(long nr, int i, enum sarg kind)
{
    if (kind != SA_INT && kind != SA_UINT && kind != SA_HEX)
        return DEC_NONE;
    for (size_t k = 0; k < sizeof(arg_decoders) / sizeof(arg_decoders[0]); k++)
        if (arg_decoders[k].nr == nr && arg_decoders[k].arg == i)
            return arg_decoders[k].dec;
    return DEC_NONE;
}

/* ---- application memory ---- */

/* Appends bytes as a C string literal, strace-style: printable ASCII as is,
 * the usual escapes, other bytes in octal (three digits when a digit
 * follows, so the text reads back unambiguously). */
static void line_escaped(struct line *l, const uint8_t *s, size_t n, bool more)
{
    line_str(l, "\"");
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        char esc[8];
        switch (c) {
        case '"':
            line_str(l, "\\\"");
            continue;
        case '\\':
            line_str(l, "\\\\");
            continue;
        case '\n':
            line_str(l, "\\n");
            continue;
        case '\t':
            line_str(l, "\\t");
            continue;
        case '\r':
            line_str(l, "\\r");
            continue;
        case '\v':
            line_str(l, "\\v");
            continue;
        case '\f':
            line_str(l, "\\f");
            continue;
        default:
            break;
        }
        if (c >= 0x20 && c < 0x7f) {
            line_put(l, (const char *)&c, 1);
            continue;
        }
        bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
        snprintf(esc, sizeof(esc), digit_next ? "\\%03o" : "\\%o", c);
        line_str(l, esc);
    }
    line_str(l, "\"");
    if (more)
        line_str(l, "...");
}

static void line_ptr(struct line *l, uint64_t addr)
{
    if (addr == 0)
        line_str(l, "NULL");
    else
        line_fmt(l, "%#" PRIx64, addr);
}

/* A NUL-terminated string in application memory. */
static void line_ustring(struct line *l, struct task *t, uaddr_t addr)
{
    if (addr == 0 || !t->mm) {
        line_ptr(l, addr);
        return;
    }
    /* One byte more than shown tells whether "..." is due. */
    char s[STRACE_STR_MAX + 2];
    long n = copy_string_in(t->mm, s, addr, sizeof(s));
    if (n >= 0) {
        size_t shown = (size_t)n > STRACE_STR_MAX ? STRACE_STR_MAX : (size_t)n;
        line_escaped(l, (const uint8_t *)s, shown, (size_t)n > STRACE_STR_MAX);
        return;
    }
    if (n == -LINUX_ENAMETOOLONG) {
        size_t got = copy_in_partial(t->mm, s, addr, STRACE_STR_MAX);
        if (got > 0) {
            line_escaped(l, (const uint8_t *)s, got, true);
            return;
        }
    }
    line_ptr(l, addr);
}

/* size bytes at addr, of which at most STRACE_STR_MAX are shown. */
static void line_ubuf(struct line *l, struct task *t, uaddr_t addr, uint64_t size)
{
    if (size == 0) {
        line_str(l, "\"\"");
        return;
    }
    if (addr == 0 || !t->mm) {
        line_ptr(l, addr);
        return;
    }
    uint8_t s[STRACE_STR_MAX];
    size_t want = size > STRACE_STR_MAX ? STRACE_STR_MAX : (size_t)size;
    size_t got = copy_in_partial(t->mm, s, addr, want);
    if (got == 0) {
        line_ptr(l, addr);
        return;
    }
    line_escaped(l, s, got, got < size);
}

/* ---- arguments ---- */

static int arg_count(const struct syscall_entry *e)
{
    int n = 0;
    while (n < ARG_COUNT && e->args[n] != SA_NONE)
        n++;
    return n;
}

/* The length of the buffer argument i: the next SA_SIZE argument. */
static bool buf_size(const struct syscall_entry *e, const struct syscall_args *a, int i,
                     uint64_t *out_size)
{
    for (int j = i + 1; j < ARG_COUNT; j++) {
        if (e->args[j] == SA_SIZE) {
            *out_size = a->a[j];
            return true;
        }
    }
    return false;
}

static void line_decoded(struct line *l, enum arg_decoder dec, uint64_t v)
{
    switch (dec) {
    case DEC_ARCH_PRCTL:
        LINE_DECODE(l, decode_arch_prctl, (uint32_t)v);
        break;
    case DEC_PRCTL:
        LINE_DECODE(l, decode_prctl, (uint32_t)v);
        break;
    case DEC_MADVISE:
        LINE_DECODE(l, decode_madvise, (uint32_t)v);
        break;
    case DEC_SIGPROCMASK_HOW:
        LINE_DECODE(l, decode_sigprocmask_how, (uint32_t)v);
        break;
    case DEC_FCNTL:
        LINE_DECODE(l, decode_fcntl_cmd, (uint32_t)v);
        break;
    case DEC_AT_FLAGS:
        LINE_DECODE(l, decode_at_flags, (uint32_t)v);
        break;
    case DEC_GRND_FLAGS:
        LINE_DECODE(l, decode_flags, (uint32_t)v, decode_grnd_flag_names);
        break;
    case DEC_MREMAP_FLAGS:
        LINE_DECODE(l, decode_flags, v, decode_mremap_flag_names);
        break;
    case DEC_RLIMIT:
        LINE_DECODE(l, decode_enum, (uint32_t)v, decode_rlimit_names);
        break;
    case DEC_NONE:
        break;
    }
}

/* Appends argument i. ret is the call's result when done, for SA_BUF_OUT. */
static void line_arg(struct line *l, struct task *t, const struct syscall_entry *e,
                     const struct syscall_args *a, int i, bool done, long ret)
{
    uint64_t v = a->a[i];
    enum sarg kind = e->args[i];
    enum arg_decoder dec = arg_decoder_for(a->nr, i, kind);
    if (dec != DEC_NONE) {
        line_decoded(l, dec, v);
        return;
    }
    uint64_t size;
    switch (kind) {
    case SA_NONE:
        break;
    case SA_INT:
        line_fmt(l, "%d", (int)v);
        break;
    case SA_UINT:
        line_fmt(l, "%u", (unsigned)v);
        break;
    case SA_HEX:
        line_fmt(l, "%#" PRIx64, v);
        break;
    case SA_PTR:
        line_ptr(l, v);
        break;
    case SA_SIZE:
        line_fmt(l, "%" PRIu64, v);
        break;
    case SA_OFF:
        line_fmt(l, "%" PRId64, (int64_t)v);
        break;
    case SA_FD:
        if ((int)v == LINUX_AT_FDCWD)
            line_str(l, "AT_FDCWD");
        else
            line_fmt(l, "%d", (int)v);
        break;
    case SA_STR:
        line_ustring(l, t, v);
        break;
    case SA_BUF_IN:
        if (buf_size(e, a, i, &size))
            line_ubuf(l, t, v, size);
        else
            line_ptr(l, v);
        break;
    case SA_BUF_OUT:
        /* What the call wrote: as many bytes as it returned. */
        if (done && ret >= 0)
            line_ubuf(l, t, v, (uint64_t)ret);
        else
            line_ptr(l, v);
        break;
    case SA_PROT:
        LINE_DECODE(l, decode_mmap_prot, v);
        break;
    case SA_MMAP_FLAGS:
        LINE_DECODE(l, decode_mmap_flags, v);
        break;
    case SA_OPEN_FLAGS:
        LINE_DECODE(l, decode_open_flags, (uint32_t)v);
        break;
    case SA_SIGNAL:
        LINE_DECODE(l, decode_signal, (int)v);
        break;
    case SA_CLOCK:
        LINE_DECODE(l, decode_clock, (int)v);
        break;
    case SA_MODE:
        line_fmt(l, "%#o", (unsigned)v);
        break;
    case SA_IOCTL:
        LINE_DECODE(l, decode_ioctl_request, (uint32_t)v);
        break;
    default:
        line_fmt(l, "%#" PRIx64, v);
        break;
    }
}

/* Like strace, open's mode is left out when the flags do not use it. */
static bool arg_hidden(const struct syscall_entry *e, const struct syscall_args *a, int i)
{
    if (e->args[i] != SA_MODE)
        return false;
    for (int j = 0; j < i; j++)
        if (e->args[j] == SA_OPEN_FLAGS)
            return !(a->a[j] & (LINUX_O_CREAT | LINUX_O_TMPFILE));
    return false;
}

/* Appends arguments [from, to), separated by ", ". */
static void line_args(struct line *l, struct task *t, const struct syscall_entry *e,
                      const struct syscall_args *a, int from, int to, bool done, long ret)
{
    bool first = true;
    for (int i = from; i < to; i++) {
        if (arg_hidden(e, a, i))
            continue;
        if (!first)
            line_str(l, ", ");
        line_arg(l, t, e, a, i, done, ret);
        first = false;
    }
}

/* Where a split line breaks: before the first argument the call fills. */
static int split_at(const struct syscall_entry *e)
{
    int n = arg_count(e);
    for (int i = 0; i < n; i++)
        if (e->args[i] == SA_BUF_OUT)
            return i;
    return n;
}

static void line_ret(struct line *l, long nr, long ret)
{
    if (ret < 0 && ret >= -4095) {
        int err = (int)-ret;
        const char *name = linux_errno_name(err);
        if (!name)
            line_fmt(l, " = -1 E??? (errno %d)", err);
        else if (err >= LINUX_ERESTARTSYS) /* never seen by the application */
            line_fmt(l, " = ? %s (%s)", name, linux_errno_desc(err));
        else
            line_fmt(l, " = -1 %s (%s)", name, linux_errno_desc(err));
    } else if (strace_returns_addr(nr)) {
        line_fmt(l, " = %#lx", (unsigned long)ret);
    } else {
        line_fmt(l, " = %ld", ret);
    }
}

static bool is_known(const struct syscall_entry *e)
{
    return e && e->name;
}

/* "[pid 1] " */
static void line_start(struct line *l, struct task *t)
{
    line_init(l);
    line_fmt(l, "[pid %d] ", (int)t->tid);
}

/* ---- entry points ---- */

void strace_enter(struct task *t, const struct syscall_entry *e, const struct syscall_args *a)
{
    if (!is_known(e))
        return;
    bool noreturn = strace_noreturn(a->nr);
    if (!noreturn && !strace_split(a->nr))
        return;
    struct line l;
    line_start(&l, t);
    line_fmt(&l, "%s(", e->name);
    if (noreturn) {
        line_args(&l, t, e, a, 0, arg_count(e), false, 0);
        line_str(&l, ") = ?");
    } else {
        int split = split_at(e);
        line_args(&l, t, e, a, 0, split, false, 0);
        if (split > 0 && split < arg_count(e))
            line_str(&l, ", ");
        else if (split > 0)
            line_str(&l, " ");
        line_str(&l, "<unfinished ...>");
    }
    line_emit(t, &l);
}

void strace_exit(struct task *t, const struct syscall_entry *e, const struct syscall_args *a,
                 long ret)
{
    struct line l;
    line_start(&l, t);
    if (!is_known(e)) {
        line_fmt(&l, "syscall_%ld(", a->nr);
        for (int i = 0; i < ARG_COUNT; i++)
            line_fmt(&l, i ? ", %#" PRIx64 : "%#" PRIx64, a->a[i]);
        line_str(&l, ")");
    } else if (strace_noreturn(a->nr)) {
        if (t->exiting)
            return; /* printed at entry, "= ?" */
        line_fmt(&l, "<... %s resumed>)", e->name);
    } else if (strace_split(a->nr)) {
        int split = split_at(e);
        line_fmt(&l, "<... %s resumed>", e->name);
        line_args(&l, t, e, a, split, arg_count(e), true, ret);
        line_str(&l, ")");
    } else {
        line_fmt(&l, "%s(", e->name);
        line_args(&l, t, e, a, 0, arg_count(e), true, ret);
        line_str(&l, ")");
    }
    line_ret(&l, a->nr, ret);
    line_emit(t, &l);
}
