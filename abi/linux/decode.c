/* Names of Linux values for --strace (see decode.h). The errno texts are
 * glibc's strerror() texts, which is what strace prints; test_decode.c
 * checks both tables against the host's. */
#include "abi/linux/decode.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/ioctl.h"
#include "abi/linux/mman.h"
#include "abi/linux/prctl.h"
#include "abi/linux/random.h"
#include "abi/linux/resource.h"
#include "abi/linux/signal.h"
#include "abi/linux/stat.h"
#include "abi/linux/time.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errno ---- */

struct errno_name {
    const char *name;
    const char *desc;
};

static const struct errno_name errno_names[] = {
    [LINUX_EPERM] = {"EPERM", "Operation not permitted"},
    [LINUX_ENOENT] = {"ENOENT", "No such file or directory"},
    [LINUX_ESRCH] = {"ESRCH", "No such process"},
    [LINUX_EINTR] = {"EINTR", "Interrupted system call"},
    [LINUX_EIO] = {"EIO", "Input/output error"},
    [LINUX_ENXIO] = {"ENXIO", "No such device or address"},
    [LINUX_E2BIG] = {"E2BIG", "Argument list too long"},
    [LINUX_ENOEXEC] = {"ENOEXEC", "Exec format error"},
    [LINUX_EBADF] = {"EBADF", "Bad file descriptor"},
    [LINUX_ECHILD] = {"ECHILD", "No child processes"},
    [LINUX_EAGAIN] = {"EAGAIN", "Resource temporarily unavailable"},
    [LINUX_ENOMEM] = {"ENOMEM", "Cannot allocate memory"},
    [LINUX_EACCES] = {"EACCES", "Permission denied"},
    [LINUX_EFAULT] = {"EFAULT", "Bad address"},
    [LINUX_ENOTBLK] = {"ENOTBLK", "Block device required"},
    [LINUX_EBUSY] = {"EBUSY", "Device or resource busy"},
    [LINUX_EEXIST] = {"EEXIST", "File exists"},
    [LINUX_EXDEV] = {"EXDEV", "Invalid cross-device link"},
    [LINUX_ENODEV] = {"ENODEV", "No such device"},
    [LINUX_ENOTDIR] = {"ENOTDIR", "Not a directory"},
    [LINUX_EISDIR] = {"EISDIR", "Is a directory"},
    [LINUX_EINVAL] = {"EINVAL", "Invalid argument"},
    [LINUX_ENFILE] = {"ENFILE", "Too many open files in system"},
    [LINUX_EMFILE] = {"EMFILE", "Too many open files"},
    [LINUX_ENOTTY] = {"ENOTTY", "Inappropriate ioctl for device"},
    [LINUX_ETXTBSY] = {"ETXTBSY", "Text file busy"},
    [LINUX_EFBIG] = {"EFBIG", "File too large"},
    [LINUX_ENOSPC] = {"ENOSPC", "No space left on device"},
    [LINUX_ESPIPE] = {"ESPIPE", "Illegal seek"},
    [LINUX_EROFS] = {"EROFS", "Read-only file system"},
    [LINUX_EMLINK] = {"EMLINK", "Too many links"},
    [LINUX_EPIPE] = {"EPIPE", "Broken pipe"},
    [LINUX_EDOM] = {"EDOM", "Numerical argument out of domain"},
    [LINUX_ERANGE] = {"ERANGE", "Numerical result out of range"},
    [LINUX_EDEADLK] = {"EDEADLK", "Resource deadlock avoided"},
    [LINUX_ENAMETOOLONG] = {"ENAMETOOLONG", "File name too long"},
    [LINUX_ENOLCK] = {"ENOLCK", "No locks available"},
    [LINUX_ENOSYS] = {"ENOSYS", "Function not implemented"},
    [LINUX_ENOTEMPTY] = {"ENOTEMPTY", "Directory not empty"},
    [LINUX_ELOOP] = {"ELOOP", "Too many levels of symbolic links"},
    [LINUX_ENOMSG] = {"ENOMSG", "No message of desired type"},
    [LINUX_EIDRM] = {"EIDRM", "Identifier removed"},
    [LINUX_ECHRNG] = {"ECHRNG", "Channel number out of range"},
    [LINUX_EL2NSYNC] = {"EL2NSYNC", "Level 2 not synchronized"},
    [LINUX_EL3HLT] = {"EL3HLT", "Level 3 halted"},
    [LINUX_EL3RST] = {"EL3RST", "Level 3 reset"},
    [LINUX_ELNRNG] = {"ELNRNG", "Link number out of range"},
    [LINUX_EUNATCH] = {"EUNATCH", "Protocol driver not attached"},
    [LINUX_ENOCSI] = {"ENOCSI", "No CSI structure available"},
    [LINUX_EL2HLT] = {"EL2HLT", "Level 2 halted"},
    [LINUX_EBADE] = {"EBADE", "Invalid exchange"},
    [LINUX_EBADR] = {"EBADR", "Invalid request descriptor"},
    [LINUX_EXFULL] = {"EXFULL", "Exchange full"},
    [LINUX_ENOANO] = {"ENOANO", "No anode"},
    [LINUX_EBADRQC] = {"EBADRQC", "Invalid request code"},
    [LINUX_EBADSLT] = {"EBADSLT", "Invalid slot"},
    [LINUX_EBFONT] = {"EBFONT", "Bad font file format"},
    [LINUX_ENOSTR] = {"ENOSTR", "Device not a stream"},
    [LINUX_ENODATA] = {"ENODATA", "No data available"},
    [LINUX_ETIME] = {"ETIME", "Timer expired"},
    [LINUX_ENOSR] = {"ENOSR", "Out of streams resources"},
    [LINUX_ENONET] = {"ENONET", "Machine is not on the network"},
    [LINUX_ENOPKG] = {"ENOPKG", "Package not installed"},
    [LINUX_EREMOTE] = {"EREMOTE", "Object is remote"},
    [LINUX_ENOLINK] = {"ENOLINK", "Link has been severed"},
    [LINUX_EADV] = {"EADV", "Advertise error"},
    [LINUX_ESRMNT] = {"ESRMNT", "Srmount error"},
    [LINUX_ECOMM] = {"ECOMM", "Communication error on send"},
    [LINUX_EPROTO] = {"EPROTO", "Protocol error"},
    [LINUX_EMULTIHOP] = {"EMULTIHOP", "Multihop attempted"},
    [LINUX_EDOTDOT] = {"EDOTDOT", "RFS specific error"},
    [LINUX_EBADMSG] = {"EBADMSG", "Bad message"},
    [LINUX_EOVERFLOW] = {"EOVERFLOW", "Value too large for defined data type"},
    [LINUX_ENOTUNIQ] = {"ENOTUNIQ", "Name not unique on network"},
    [LINUX_EBADFD] = {"EBADFD", "File descriptor in bad state"},
    [LINUX_EREMCHG] = {"EREMCHG", "Remote address changed"},
    [LINUX_ELIBACC] = {"ELIBACC", "Can not access a needed shared library"},
    [LINUX_ELIBBAD] = {"ELIBBAD", "Accessing a corrupted shared library"},
    [LINUX_ELIBSCN] = {"ELIBSCN", ".lib section in a.out corrupted"},
    [LINUX_ELIBMAX] = {"ELIBMAX", "Attempting to link in too many shared libraries"},
    [LINUX_ELIBEXEC] = {"ELIBEXEC", "Cannot exec a shared library directly"},
    [LINUX_EILSEQ] = {"EILSEQ", "Invalid or incomplete multibyte or wide character"},
    [LINUX_ERESTART] = {"ERESTART", "Interrupted system call should be restarted"},
    [LINUX_ESTRPIPE] = {"ESTRPIPE", "Streams pipe error"},
    [LINUX_EUSERS] = {"EUSERS", "Too many users"},
    [LINUX_ENOTSOCK] = {"ENOTSOCK", "Socket operation on non-socket"},
    [LINUX_EDESTADDRREQ] = {"EDESTADDRREQ", "Destination address required"},
    [LINUX_EMSGSIZE] = {"EMSGSIZE", "Message too long"},
    [LINUX_EPROTOTYPE] = {"EPROTOTYPE", "Protocol wrong type for socket"},
    [LINUX_ENOPROTOOPT] = {"ENOPROTOOPT", "Protocol not available"},
    [LINUX_EPROTONOSUPPORT] = {"EPROTONOSUPPORT", "Protocol not supported"},
    [LINUX_ESOCKTNOSUPPORT] = {"ESOCKTNOSUPPORT", "Socket type not supported"},
    [LINUX_EOPNOTSUPP] = {"EOPNOTSUPP", "Operation not supported"},
    [LINUX_EPFNOSUPPORT] = {"EPFNOSUPPORT", "Protocol family not supported"},
    [LINUX_EAFNOSUPPORT] = {"EAFNOSUPPORT", "Address family not supported by protocol"},
    [LINUX_EADDRINUSE] = {"EADDRINUSE", "Address already in use"},
    [LINUX_EADDRNOTAVAIL] = {"EADDRNOTAVAIL", "Cannot assign requested address"},
    [LINUX_ENETDOWN] = {"ENETDOWN", "Network is down"},
    [LINUX_ENETUNREACH] = {"ENETUNREACH", "Network is unreachable"},
    [LINUX_ENETRESET] = {"ENETRESET", "Network dropped connection on reset"},
    [LINUX_ECONNABORTED] = {"ECONNABORTED", "Software caused connection abort"},
    [LINUX_ECONNRESET] = {"ECONNRESET", "Connection reset by peer"},
    [LINUX_ENOBUFS] = {"ENOBUFS", "No buffer space available"},
    [LINUX_EISCONN] = {"EISCONN", "Transport endpoint is already connected"},
    [LINUX_ENOTCONN] = {"ENOTCONN", "Transport endpoint is not connected"},
    [LINUX_ESHUTDOWN] = {"ESHUTDOWN", "Cannot send after transport endpoint shutdown"},
    [LINUX_ETOOMANYREFS] = {"ETOOMANYREFS", "Too many references: cannot splice"},
    [LINUX_ETIMEDOUT] = {"ETIMEDOUT", "Connection timed out"},
    [LINUX_ECONNREFUSED] = {"ECONNREFUSED", "Connection refused"},
    [LINUX_EHOSTDOWN] = {"EHOSTDOWN", "Host is down"},
    [LINUX_EHOSTUNREACH] = {"EHOSTUNREACH", "No route to host"},
    [LINUX_EALREADY] = {"EALREADY", "Operation already in progress"},
    [LINUX_EINPROGRESS] = {"EINPROGRESS", "Operation now in progress"},
    [LINUX_ESTALE] = {"ESTALE", "Stale file handle"},
    [LINUX_EUCLEAN] = {"EUCLEAN", "Structure needs cleaning"},
    [LINUX_ENOTNAM] = {"ENOTNAM", "Not a XENIX named type file"},
    [LINUX_ENAVAIL] = {"ENAVAIL", "No XENIX semaphores available"},
    [LINUX_EISNAM] = {"EISNAM", "Is a named type file"},
    [LINUX_EREMOTEIO] = {"EREMOTEIO", "Remote I/O error"},
    [LINUX_EDQUOT] = {"EDQUOT", "Disk quota exceeded"},
    [LINUX_ENOMEDIUM] = {"ENOMEDIUM", "No medium found"},
    [LINUX_EMEDIUMTYPE] = {"EMEDIUMTYPE", "Wrong medium type"},
    [LINUX_ECANCELED] = {"ECANCELED", "Operation canceled"},
    [LINUX_ENOKEY] = {"ENOKEY", "Required key not available"},
    [LINUX_EKEYEXPIRED] = {"EKEYEXPIRED", "Key has expired"},
    [LINUX_EKEYREVOKED] = {"EKEYREVOKED", "Key has been revoked"},
    [LINUX_EKEYREJECTED] = {"EKEYREJECTED", "Key was rejected by service"},
    [LINUX_EOWNERDEAD] = {"EOWNERDEAD", "Owner died"},
    [LINUX_ENOTRECOVERABLE] = {"ENOTRECOVERABLE", "State not recoverable"},
    [LINUX_ERFKILL] = {"ERFKILL", "Operation not possible due to RF-kill"},
    [LINUX_EHWPOISON] = {"EHWPOISON", "Memory page has hardware error"},
};

/* Kernel-internal codes, as strace names them. */
static const struct errno_name errno_internal[] = {
    [LINUX_ERESTARTSYS - LINUX_ERESTARTSYS] = {"ERESTARTSYS",
                                               "To be restarted if SA_RESTART is set"},
    [LINUX_ERESTARTNOINTR - LINUX_ERESTARTSYS] = {"ERESTARTNOINTR", "To be restarted"},
    [LINUX_ERESTARTNOHAND -
        LINUX_ERESTARTSYS] = {"ERESTARTNOHAND", "To be restarted if no handler"},
    [LINUX_ENOIOCTLCMD - LINUX_ERESTARTSYS] = {"ENOIOCTLCMD", "Inappropriate ioctl for device"},
    [LINUX_ERESTART_RESTARTBLOCK -
        LINUX_ERESTARTSYS] = {"ERESTART_RESTARTBLOCK", "Interrupted by signal"},
};

static const struct errno_name *errno_lookup(int err)
{
    if (err > 0 && (size_t)err < ARRAY_SIZE(errno_names) && errno_names[err].name)
        return &errno_names[err];
    if (err >= LINUX_ERESTARTSYS && err <= LINUX_ERESTART_RESTARTBLOCK)
        return &errno_internal[err - LINUX_ERESTARTSYS];
    return NULL;
}

const char *linux_errno_name(int err)
{
    const struct errno_name *e = errno_lookup(err);
    return e ? e->name : NULL;
}

const char *linux_errno_desc(int err)
{
    const struct errno_name *e = errno_lookup(err);
    return e ? e->desc : NULL;
}

/* ---- signals ---- */

#define SIG(n) [LINUX_##n] = #n
static const char *const signal_names[] = {
    SIG(SIGHUP),
    SIG(SIGINT),
    SIG(SIGQUIT),
    SIG(SIGILL),
    SIG(SIGTRAP),
    SIG(SIGABRT),
    SIG(SIGBUS),
    SIG(SIGFPE),
    SIG(SIGKILL),
    SIG(SIGUSR1),
    SIG(SIGSEGV),
    SIG(SIGUSR2),
    SIG(SIGPIPE),
    SIG(SIGALRM),
    SIG(SIGTERM),
    SIG(SIGSTKFLT),
    SIG(SIGCHLD),
    SIG(SIGCONT),
    SIG(SIGSTOP),
    SIG(SIGTSTP),
    SIG(SIGTTIN),
    SIG(SIGTTOU),
    SIG(SIGURG),
    SIG(SIGXCPU),
    SIG(SIGXFSZ),
    SIG(SIGVTALRM),
    SIG(SIGPROF),
    SIG(SIGWINCH),
    SIG(SIGIO),
    SIG(SIGPWR),
    SIG(SIGSYS),
#define RT(n) [LINUX_SIGRTMIN + n] = "SIGRTMIN+" #n
    [LINUX_SIGRTMIN] = "SIGRTMIN",
    RT(1),
    RT(2),
    RT(3),
    RT(4),
    RT(5),
    RT(6),
    RT(7),
    RT(8),
    RT(9),
    RT(10),
    RT(11),
    RT(12),
    RT(13),
    RT(14),
    RT(15),
    RT(16),
    RT(17),
    RT(18),
    RT(19),
    RT(20),
    RT(21),
    RT(22),
    RT(23),
    RT(24),
    RT(25),
    RT(26),
    RT(27),
    RT(28),
    RT(29),
    RT(30),
    RT(31),
    [LINUX_SIGRTMAX] = "SIGRTMAX",
#undef RT
};
#undef SIG
_Static_assert(ARRAY_SIZE(signal_names) == LINUX_SIGRTMAX + 1, "signal_names");

const char *linux_signal_name(int signo)
{
    if (signo <= 0 || (size_t)signo >= ARRAY_SIZE(signal_names))
        return NULL;
    return signal_names[signo];
}

/* ---- the writer: bounded, always NUL-terminated ---- */

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void out_init(struct out *o, char *buf, size_t size)
{
    o->buf = buf;
    o->size = size;
    o->len = 0;
    if (size > 0)
        buf[0] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    if (o->size == 0)
        return;
    size_t n = strlen(s), room = o->size - 1 - o->len;
    if (n > room)
        n = room;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    out_str(o, tmp);
}

/* ---- generic decoders ---- */

size_t decode_flags(char *buf, size_t size, uint64_t value, const struct flag_name *table)
{
    struct out o;
    out_init(&o, buf, size);
    uint64_t consumed = 0;
    bool any = false;
    for (const struct flag_name *e = table; e->name; e++) {
        uint64_t mask = e->mask ? e->mask : e->value;
        if (mask == 0 || (consumed & mask) || (value & mask) != e->value)
            continue;
        if (any)
            out_str(&o, "|");
        out_str(&o, e->name);
        consumed |= mask;
        any = true;
    }
    uint64_t rest = value & ~consumed;
    if (rest || !any) {
        if (any)
            out_str(&o, "|");
        if (rest)
            out_fmt(&o, "%#" PRIx64, rest);
        else
            out_str(&o, "0");
    }
    return o.len;
}

const char *decode_lookup(uint64_t value, const struct flag_name *table)
{
    for (const struct flag_name *e = table; e->name; e++)
        if (e->value == value)
            return e->name;
    return NULL;
}

size_t decode_enum(char *buf, size_t size, uint64_t value, const struct flag_name *table)
{
    struct out o;
    out_init(&o, buf, size);
    const char *name = decode_lookup(value, table);
    if (name)
        out_str(&o, name);
    else
        out_fmt(&o, "%" PRId64, (int64_t)value);
    return o.len;
}

/* ---- tables ---- */

#define F(n)                                                                                       \
    {                                                                                              \
        LINUX_##n, 0, #n                                                                           \
    }
#define FIELD(n, m)                                                                                \
    {                                                                                              \
        LINUX_##n, LINUX_##m, #n                                                                   \
    }
#define ZERO(n)                                                                                    \
    {                                                                                              \
        0, UINT64_MAX, #n                                                                          \
    }
#define V(n)                                                                                       \
    {                                                                                              \
        (uint64_t)(LINUX_##n), 0, #n                                                               \
    }
#define END                                                                                        \
    {                                                                                              \
        0, 0, NULL                                                                                 \
    }

const struct flag_name decode_mmap_prot_names[] = {
    ZERO(PROT_NONE),   F(PROT_READ),    F(PROT_WRITE), F(PROT_EXEC),
    F(PROT_GROWSDOWN), F(PROT_GROWSUP), END,
};

const struct flag_name decode_mmap_flag_names[] = {
    FIELD(MAP_SHARED_VALIDATE, MAP_TYPE),
    FIELD(MAP_SHARED, MAP_TYPE),
    FIELD(MAP_PRIVATE, MAP_TYPE),
    F(MAP_FIXED),
    F(MAP_ANONYMOUS),
    F(MAP_32BIT),
    F(MAP_GROWSDOWN),
    F(MAP_DENYWRITE),
    F(MAP_EXECUTABLE),
    F(MAP_LOCKED),
    F(MAP_NORESERVE),
    F(MAP_POPULATE),
    F(MAP_NONBLOCK),
    F(MAP_STACK),
    F(MAP_HUGETLB),
    F(MAP_SYNC),
    F(MAP_FIXED_NOREPLACE),
    F(MAP_UNINITIALIZED),
    END,
};

const struct flag_name decode_mremap_flag_names[] = {
    F(MREMAP_MAYMOVE),
    F(MREMAP_FIXED),
    F(MREMAP_DONTUNMAP),
    END,
};

const struct flag_name decode_open_flag_names[] = {
    FIELD(O_RDONLY, O_ACCMODE),
    FIELD(O_WRONLY, O_ACCMODE),
    FIELD(O_RDWR, O_ACCMODE),
    F(O_CREAT),
    F(O_EXCL),
    F(O_NOCTTY),
    F(O_TRUNC),
    F(O_APPEND),
    F(O_NONBLOCK),
    F(O_SYNC), /* before O_DSYNC: it includes that bit */
    F(O_DSYNC),
    F(FASYNC),
    F(O_DIRECT),
    F(O_LARGEFILE),
    F(O_TMPFILE), /* before O_DIRECTORY: it includes that bit */
    F(O_DIRECTORY),
    F(O_NOFOLLOW),
    F(O_NOATIME),
    F(O_CLOEXEC),
    F(O_PATH),
    END,
};

const struct flag_name decode_at_flag_names[] = {
    F(AT_SYMLINK_NOFOLLOW),
    F(AT_REMOVEDIR), /* also AT_EACCESS for faccessat */
    F(AT_SYMLINK_FOLLOW),
    F(AT_NO_AUTOMOUNT),
    F(AT_EMPTY_PATH),
    F(AT_STATX_FORCE_SYNC),
    F(AT_STATX_DONT_SYNC),
    F(AT_RECURSIVE),
    END,
};

const struct flag_name decode_sa_flag_names[] = {
    F(SA_NOCLDSTOP),      F(SA_NOCLDWAIT), F(SA_SIGINFO), F(SA_UNSUPPORTED),
    F(SA_EXPOSE_TAGBITS), F(SA_RESTORER),  F(SA_ONSTACK), F(SA_RESTART),
    F(SA_NODEFER),        F(SA_RESETHAND), END,
};

const struct flag_name decode_grnd_flag_names[] = {
    F(GRND_NONBLOCK),
    F(GRND_RANDOM),
    F(GRND_INSECURE),
    END,
};

const struct flag_name decode_clock_names[] = {
    V(CLOCK_REALTIME),          V(CLOCK_MONOTONIC),     V(CLOCK_PROCESS_CPUTIME_ID),
    V(CLOCK_THREAD_CPUTIME_ID), V(CLOCK_MONOTONIC_RAW), V(CLOCK_REALTIME_COARSE),
    V(CLOCK_MONOTONIC_COARSE),  V(CLOCK_BOOTTIME),      V(CLOCK_REALTIME_ALARM),
    V(CLOCK_BOOTTIME_ALARM),    V(CLOCK_TAI),           END,
};

const struct flag_name decode_arch_prctl_names[] = {
    V(ARCH_SET_GS),
    V(ARCH_SET_FS),
    V(ARCH_GET_FS),
    V(ARCH_GET_GS),
    V(ARCH_GET_CPUID),
    V(ARCH_SET_CPUID),
    END,
};

const struct flag_name decode_prctl_names[] = {
    V(PR_SET_PDEATHSIG),
    V(PR_GET_PDEATHSIG),
    V(PR_GET_DUMPABLE),
    V(PR_SET_DUMPABLE),
    V(PR_GET_UNALIGN),
    V(PR_SET_UNALIGN),
    V(PR_GET_KEEPCAPS),
    V(PR_SET_KEEPCAPS),
    V(PR_GET_FPEMU),
    V(PR_SET_FPEMU),
    V(PR_GET_FPEXC),
    V(PR_SET_FPEXC),
    V(PR_GET_TIMING),
    V(PR_SET_TIMING),
    V(PR_SET_NAME),
    V(PR_GET_NAME),
    V(PR_GET_ENDIAN),
    V(PR_SET_ENDIAN),
    V(PR_GET_SECCOMP),
    V(PR_SET_SECCOMP),
    V(PR_CAPBSET_READ),
    V(PR_CAPBSET_DROP),
    V(PR_GET_TSC),
    V(PR_SET_TSC),
    V(PR_GET_SECUREBITS),
    V(PR_SET_SECUREBITS),
    V(PR_SET_TIMERSLACK),
    V(PR_GET_TIMERSLACK),
    V(PR_TASK_PERF_EVENTS_DISABLE),
    V(PR_TASK_PERF_EVENTS_ENABLE),
    V(PR_MCE_KILL),
    V(PR_MCE_KILL_GET),
    V(PR_SET_MM),
    V(PR_SET_CHILD_SUBREAPER),
    V(PR_GET_CHILD_SUBREAPER),
    V(PR_SET_NO_NEW_PRIVS),
    V(PR_GET_NO_NEW_PRIVS),
    V(PR_GET_TID_ADDRESS),
    V(PR_SET_THP_DISABLE),
    V(PR_GET_THP_DISABLE),
    V(PR_MPX_ENABLE_MANAGEMENT),
    V(PR_MPX_DISABLE_MANAGEMENT),
    V(PR_SET_FP_MODE),
    V(PR_GET_FP_MODE),
    V(PR_CAP_AMBIENT),
    V(PR_SVE_SET_VL),
    V(PR_SVE_GET_VL),
    V(PR_GET_SPECULATION_CTRL),
    V(PR_SET_SPECULATION_CTRL),
    V(PR_PAC_RESET_KEYS),
    V(PR_SET_TAGGED_ADDR_CTRL),
    V(PR_GET_TAGGED_ADDR_CTRL),
    V(PR_SET_IO_FLUSHER),
    V(PR_GET_IO_FLUSHER),
    V(PR_SET_SYSCALL_USER_DISPATCH),
    V(PR_PAC_SET_ENABLED_KEYS),
    V(PR_PAC_GET_ENABLED_KEYS),
    V(PR_SCHED_CORE),
    V(PR_SME_SET_VL),
    V(PR_SME_GET_VL),
    V(PR_SET_PTRACER),
    V(PR_SET_VMA),
    END,
};

const struct flag_name decode_madvise_names[] = {
    V(MADV_NORMAL),         V(MADV_RANDOM),
    V(MADV_SEQUENTIAL),     V(MADV_WILLNEED),
    V(MADV_DONTNEED),       V(MADV_FREE),
    V(MADV_REMOVE),         V(MADV_DONTFORK),
    V(MADV_DOFORK),         V(MADV_MERGEABLE),
    V(MADV_UNMERGEABLE),    V(MADV_HUGEPAGE),
    V(MADV_NOHUGEPAGE),     V(MADV_DONTDUMP),
    V(MADV_DODUMP),         V(MADV_WIPEONFORK),
    V(MADV_KEEPONFORK),     V(MADV_COLD),
    V(MADV_PAGEOUT),        V(MADV_POPULATE_READ),
    V(MADV_POPULATE_WRITE), V(MADV_DONTNEED_LOCKED),
    V(MADV_COLLAPSE),       V(MADV_HWPOISON),
    V(MADV_SOFT_OFFLINE),   END,
};

const struct flag_name decode_sigprocmask_names[] = {
    V(SIG_BLOCK),
    V(SIG_UNBLOCK),
    V(SIG_SETMASK),
    END,
};

const struct flag_name decode_fcntl_names[] = {
    V(F_DUPFD),
    V(F_GETFD),
    V(F_SETFD),
    V(F_GETFL),
    V(F_SETFL),
    V(F_GETLK),
    V(F_SETLK),
    V(F_SETLKW),
    V(F_SETOWN),
    V(F_GETOWN),
    V(F_SETSIG),
    V(F_GETSIG),
    V(F_SETOWN_EX),
    V(F_GETOWN_EX),
    V(F_GETOWNER_UIDS),
    V(F_OFD_GETLK),
    V(F_OFD_SETLK),
    V(F_OFD_SETLKW),
    V(F_SETLEASE),
    V(F_GETLEASE),
    V(F_NOTIFY),
    V(F_CANCELLK),
    V(F_DUPFD_CLOEXEC),
    V(F_SETPIPE_SZ),
    V(F_GETPIPE_SZ),
    V(F_ADD_SEALS),
    V(F_GET_SEALS),
    V(F_GET_RW_HINT),
    V(F_SET_RW_HINT),
    V(F_GET_FILE_RW_HINT),
    V(F_SET_FILE_RW_HINT),
    END,
};

const struct flag_name decode_ioctl_names[] = {
    V(TCGETS),       V(TCSETS),       V(TCSETSW),     V(TCSETSF),
    V(TCGETA),       V(TCSETA),       V(TCSETAW),     V(TCSETAF),
    V(TCSBRK),       V(TCXONC),       V(TCFLSH),      V(TIOCEXCL),
    V(TIOCNXCL),     V(TIOCSCTTY),    V(TIOCGPGRP),   V(TIOCSPGRP),
    V(TIOCOUTQ),     V(TIOCSTI),      V(TIOCGWINSZ),  V(TIOCSWINSZ),
    V(TIOCMGET),     V(TIOCMBIS),     V(TIOCMBIC),    V(TIOCMSET),
    V(TIOCGSOFTCAR), V(TIOCSSOFTCAR), V(FIONREAD),    V(TIOCLINUX),
    V(TIOCCONS),     V(TIOCPKT),      V(FIONBIO),     V(TIOCNOTTY),
    V(TIOCSETD),     V(TIOCGETD),     V(TCSBRKP),     V(TIOCSBRK),
    V(TIOCCBRK),     V(TIOCGSID),     V(TCGETS2),     V(TCSETS2),
    V(TCSETSW2),     V(TCSETSF2),     V(TIOCGPTN),    V(TIOCSPTLCK),
    V(TIOCGDEV),     V(TIOCSIG),      V(TIOCVHANGUP), V(TIOCGPKT),
    V(TIOCGPTLCK),   V(TIOCGEXCL),    V(TIOCGPTPEER), V(FIONCLEX),
    V(FIOCLEX),      V(FIOASYNC),     V(FIOQSIZE),    END,
};

const struct flag_name decode_rlimit_names[] = {
    V(RLIMIT_CPU),
    V(RLIMIT_FSIZE),
    V(RLIMIT_DATA),
    V(RLIMIT_STACK),
    V(RLIMIT_CORE),
    V(RLIMIT_RSS),
    V(RLIMIT_NPROC),
    V(RLIMIT_NOFILE),
    V(RLIMIT_MEMLOCK),
    V(RLIMIT_AS),
    V(RLIMIT_LOCKS),
    V(RLIMIT_SIGPENDING),
    V(RLIMIT_MSGQUEUE),
    V(RLIMIT_NICE),
    V(RLIMIT_RTPRIO),
    V(RLIMIT_RTTIME),
    END,
};

#undef F
#undef FIELD
#undef ZERO
#undef V
#undef END

/* ---- named decoders ---- */

size_t decode_mmap_prot(char *buf, size_t size, uint64_t prot)
{
    return decode_flags(buf, size, prot, decode_mmap_prot_names);
}

size_t decode_mmap_flags(char *buf, size_t size, uint64_t flags)
{
    return decode_flags(buf, size, flags, decode_mmap_flag_names);
}

size_t decode_open_flags(char *buf, size_t size, uint64_t flags)
{
    return decode_flags(buf, size, flags, decode_open_flag_names);
}

size_t decode_at_flags(char *buf, size_t size, uint64_t flags)
{
    return decode_flags(buf, size, flags, decode_at_flag_names);
}

size_t decode_clock(char *buf, size_t size, int64_t clock_id)
{
    return decode_enum(buf, size, (uint64_t)clock_id, decode_clock_names);
}

size_t decode_arch_prctl(char *buf, size_t size, uint64_t code)
{
    struct out o;
    out_init(&o, buf, size);
    const char *name = decode_lookup(code, decode_arch_prctl_names);
    if (name)
        out_str(&o, name);
    else
        out_fmt(&o, "%#" PRIx64, code);
    return o.len;
}

size_t decode_prctl(char *buf, size_t size, uint64_t option)
{
    return decode_enum(buf, size, option, decode_prctl_names);
}

size_t decode_madvise(char *buf, size_t size, uint64_t advice)
{
    return decode_enum(buf, size, advice, decode_madvise_names);
}

size_t decode_sigprocmask_how(char *buf, size_t size, uint64_t how)
{
    return decode_enum(buf, size, how, decode_sigprocmask_names);
}

size_t decode_fcntl_cmd(char *buf, size_t size, uint64_t cmd)
{
    return decode_enum(buf, size, cmd, decode_fcntl_names);
}

size_t decode_ioctl_request(char *buf, size_t size, uint64_t request)
{
    struct out o;
    out_init(&o, buf, size);
    const char *name = decode_lookup(request, decode_ioctl_names);
    if (name) {
        out_str(&o, name);
        return o.len;
    }
    unsigned dir = (unsigned)(request >> LINUX_IOC_DIRSHIFT) & 3;
    unsigned type = (unsigned)(request >> LINUX_IOC_TYPESHIFT) & ((1U << LINUX_IOC_TYPEBITS) - 1);
    unsigned nr = (unsigned)(request >> LINUX_IOC_NRSHIFT) & ((1U << LINUX_IOC_NRBITS) - 1);
    unsigned sz = (unsigned)(request >> LINUX_IOC_SIZESHIFT) & ((1U << LINUX_IOC_SIZEBITS) - 1);
    if ((dir || sz) && request <= UINT32_MAX) {
        static const char *const dirs[] = {"_IOC_NONE", "_IOC_WRITE", "_IOC_READ",
                                           "_IOC_READ|_IOC_WRITE"};
        out_fmt(&o, "_IOC(%s, %#x, %#x, %#x)", dirs[dir], type, nr, sz);
    } else {
        out_fmt(&o, "%#" PRIx64, request);
    }
    return o.len;
}

size_t decode_signal(char *buf, size_t size, int64_t signo)
{
    struct out o;
    out_init(&o, buf, size);
    const char *name = signo > 0 && signo <= LINUX_SIGRTMAX ? linux_signal_name((int)signo) : NULL;
    if (name)
        out_str(&o, name);
    else
        out_fmt(&o, "%" PRId64, signo);
    return o.len;
}

size_t decode_sigset(char *buf, size_t size, uint64_t mask)
{
    struct out o;
    out_init(&o, buf, size);
    /* Like strace: a mostly full set prints as the complement of the rest. */
    if (__builtin_popcountll(mask) > 32) {
        out_str(&o, "~");
        mask = ~mask;
    }
    out_str(&o, "[");
    bool first = true;
    for (int sig = 1; sig <= LINUX_SIGRTMAX; sig++) {
        if (!(mask & linux_sigmask(sig)))
            continue;
        if (!first)
            out_str(&o, " ");
        out_str(&o, linux_signal_name(sig) + 3); /* without "SIG" */
        first = false;
    }
    out_str(&o, "]");
    return o.len;
}
