/* abi/linux/ against the host: every syscall number, errno and flag
 * constant, and the size and field offsets of every struct, compared with
 * glibc's headers here and with the kernel's uapi headers in
 * test_abi_kernel.c. The constant list is generated (abi_list.inc, see
 * gen_abi_list.sh); test_list_is_fresh fails when a LINUX_ constant is
 * missing from it. Two run-time checks ask the host kernel itself:
 * rt_sigaction with struct linux_sigaction, and TCGETS on a pty. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <asm/prctl.h>
#include <linux/magic.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define ABI_INCLUDES
#include "tests/unit/abi_list.inc"
#undef ABI_INCLUDES
#include "tests/unit/test_abi.h"

/* glibc's <sys/ioctl.h> spells these with _IOR(..., struct termios2) but
 * has no struct termios2: the kernel unit checks them. */
#undef TCGETS2
#undef TCSETS2
#undef TCSETSW2
#undef TCSETSF2

#define G "glibc"

/* ---- recorders ---- */

static int failures;

/* Every name an oracle was asked about, and whether some oracle had it. */
#define MAX_NAMES 2048
static struct seen {
    const char *name;
    bool checked;
} seen[MAX_NAMES];
static size_t seen_count;

static struct seen *seen_get(const char *name)
{
    for (size_t i = 0; i < seen_count; i++)
        if (strcmp(seen[i].name, name) == 0)
            return &seen[i];
    assert_true(seen_count < MAX_NAMES);
    seen[seen_count].name = name;
    seen[seen_count].checked = false;
    return &seen[seen_count++];
}

static void mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mismatch(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    print_error("ABI MISMATCH: %s\n", line);
    failures++;
}

void abi_nr(const char *oracle, const char *name, long ours, long host)
{
    if (ours != host)
        mismatch("%s: LINUX_NR_%s is %ld, host says %ld", oracle, name, ours, host);
}

void abi_nr_nohost(const char *oracle, const char *name)
{
    print_message("note: %s headers have no __NR_%s (older than ours?)\n", oracle, name);
}

/* glibc values that differ from the kernel's by design: the kernel oracle
 * checks these. */
static const char *const glibc_differs[] = {
    "SIGRTMIN",    /* glibc reserves 32 and 33 for itself: its SIGRTMIN is 34 */
    "NCCS",        /* glibc's struct termios has 32 control chars, the kernel's 19 */
    "O_LARGEFILE", /* 0 in glibc on 64-bit; the kernel reports the 0100000 bit */
    "SIGSTKSZ",    /* sysconf(_SC_SIGSTKSZ) in glibc >= 2.34 with _GNU_SOURCE */
    "MINSIGSTKSZ",
};

/* Constants no host header defines under the same name, each with a reason.
 * Anything else missing from both oracles fails test_constants. */
static const char *const no_host_ok[] = {
    "PAGE_SIZE",       /* not a uapi constant; 4096 on x86_64 */
    "PAGE_MASK",       /* derived from PAGE_SIZE */
    "NSEC_PER_SEC",    /* kernel-internal <vdso/time64.h> */
    "UTS_LEN",         /* checked by hand: __NEW_UTS_LEN + 1, _UTSNAME_LENGTH */
    "SIG_UNBLOCKABLE", /* moat's own: SIGKILL and SIGSTOP */
    "ERESTARTSYS",     /* kernel-internal <linux/errno.h>, never reach the app */
    "ERESTARTNOINTR",
    "ERESTARTNOHAND",
    "ENOIOCTLCMD",
    "MAX_RW_COUNT", /* kernel-internal <linux/fs.h>: INT_MAX & PAGE_MASK */
    "ERESTART_RESTARTBLOCK",
    "MFD_NOEXEC_SEAL",  /* Linux 6.3 <linux/memfd.h>: newer than Debian 12's headers */
    "MFD_EXEC",
    "F_SEAL_EXEC",      /* Linux 6.3 */
    "MFD_HUGE_SHIFT",   /* <linux/memfd.h> only, which clashes with glibc's */
    "MFD_HUGE_MASK",
    "MFD_NAME_PREFIX",  /* kernel-internal (mm/memfd.c): "memfd:" */
    "MFD_NAME_MAX_LEN", /* kernel-internal: NAME_MAX - strlen("memfd:") */
    "CAPABILITY_VERSION_1", /* checked by hand: the kernel spells them _LINUX_... */
    "CAPABILITY_VERSION_2",
    "CAPABILITY_VERSION_3",
    "CAPABILITY_U32S_1",
    "CAPABILITY_U32S_3",
    "USER_HZ", /* kernel-internal <asm/param.h> (the uapi HZ is 100 too) */
};

static bool in_list(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

void abi_const(const char *oracle, const char *name, uint64_t ours, uint64_t host)
{
    if (strcmp(oracle, G) == 0 &&
        in_list(name, glibc_differs, sizeof(glibc_differs) / sizeof(glibc_differs[0]))) {
        seen_get(name);
        return;
    }
    seen_get(name)->checked = true;
    if (ours != host)
        mismatch("%s: LINUX_%s is %#llx, host says %#llx", oracle, name, (unsigned long long)ours,
                 (unsigned long long)host);
}

void abi_nohost(const char *oracle, const char *name)
{
    (void)oracle;
    seen_get(name);
}

void abi_field(const char *oracle, const char *what, size_t ours_off, size_t ours_size,
               size_t host_off, size_t host_size)
{
    if (ours_off != host_off)
        mismatch("%s: %s at offset %zu, host has it at %zu", oracle, what, ours_off, host_off);
    if (ours_size != host_size)
        mismatch("%s: %s is %zu bytes, host's is %zu", oracle, what, ours_size, host_size);
}

/* The structs whose size some oracle checked, for test_list_is_fresh. */
static const char *sized[128];
static size_t sized_count;

void abi_size(const char *oracle, const char *what, size_t ours, size_t host)
{
    if (sized_count < sizeof(sized) / sizeof(sized[0]))
        sized[sized_count++] = what;
    if (ours != host)
        mismatch("%s: sizeof(%s) is %zu, host's is %zu", oracle, what, ours, host);
}

void abi_offset(const char *oracle, const char *what, size_t ours, size_t want)
{
    if (ours != want)
        mismatch("%s: %s at offset %zu, the ABI wants %zu", oracle, what, ours, want);
}

/* ---- glibc oracle ---- */

static void glibc_nrs(void)
{
#define ABI_NR(n) abi_nr(G, #n, LINUX_NR_##n, SYS_##n);
#define ABI_NR_NOHOST(n) abi_nr_nohost(G, #n);
#include "tests/unit/abi_list.inc"
#undef ABI_NR
#undef ABI_NR_NOHOST
}

static void glibc_consts(void)
{
#define ABI_CONST(ours, name, host) abi_const(G, name, (uint64_t)(ours), (uint64_t)(host));
#define ABI_NOHOST(name) abi_nohost(G, name);
#include "tests/unit/abi_list.inc"
#undef ABI_CONST
#undef ABI_NOHOST
    /* glibc's own spellings. */
    abi_const(G, "UTS_LEN", LINUX_UTS_LEN, _UTSNAME_LENGTH);
    abi_const(G, "SIGRTMIN (kernel's)", LINUX_SIGRTMIN, __SIGRTMIN);
    abi_const(G, "SIGRTMAX (kernel's)", LINUX_SIGRTMAX, __SIGRTMAX);
    abi_const(G, "RLIM64_INFINITY", LINUX_RLIM_INFINITY, RLIM64_INFINITY);
    abi_const(G, "PAGE_SIZE (sysconf)", LINUX_PAGE_SIZE, (uint64_t)sysconf(_SC_PAGESIZE));
}

static void glibc_structs(void)
{
    /* On x86_64 glibc's struct stat is the kernel's. */
    ABI_SIZE(G, struct linux_stat, struct stat);
    ABI_FIELD(G, struct linux_stat, st_dev, struct stat, st_dev);
    ABI_FIELD(G, struct linux_stat, st_ino, struct stat, st_ino);
    ABI_FIELD(G, struct linux_stat, st_nlink, struct stat, st_nlink);
    ABI_FIELD(G, struct linux_stat, st_mode, struct stat, st_mode);
    ABI_FIELD(G, struct linux_stat, st_uid, struct stat, st_uid);
    ABI_FIELD(G, struct linux_stat, st_gid, struct stat, st_gid);
    ABI_FIELD(G, struct linux_stat, st_rdev, struct stat, st_rdev);
    ABI_FIELD(G, struct linux_stat, st_size, struct stat, st_size);
    ABI_FIELD(G, struct linux_stat, st_blksize, struct stat, st_blksize);
    ABI_FIELD(G, struct linux_stat, st_blocks, struct stat, st_blocks);
    ABI_FIELD(G, struct linux_stat, st_atime_sec, struct stat, st_atim.tv_sec);
    ABI_FIELD(G, struct linux_stat, st_atime_nsec, struct stat, st_atim.tv_nsec);
    ABI_FIELD(G, struct linux_stat, st_mtime_sec, struct stat, st_mtim.tv_sec);
    ABI_FIELD(G, struct linux_stat, st_mtime_nsec, struct stat, st_mtim.tv_nsec);
    ABI_FIELD(G, struct linux_stat, st_ctime_sec, struct stat, st_ctim.tv_sec);
    ABI_FIELD(G, struct linux_stat, st_ctime_nsec, struct stat, st_ctim.tv_nsec);

    ABI_SIZE(G, struct linux_timespec, struct timespec);
    ABI_FIELD(G, struct linux_timespec, tv_sec, struct timespec, tv_sec);
    ABI_FIELD(G, struct linux_timespec, tv_nsec, struct timespec, tv_nsec);
    ABI_SIZE(G, struct linux_timeval, struct timeval);
    ABI_FIELD(G, struct linux_timeval, tv_sec, struct timeval, tv_sec);
    ABI_FIELD(G, struct linux_timeval, tv_usec, struct timeval, tv_usec);
    ABI_SIZE(G, struct linux_timezone, struct timezone);
    ABI_FIELD(G, struct linux_timezone, tz_minuteswest, struct timezone, tz_minuteswest);
    ABI_FIELD(G, struct linux_timezone, tz_dsttime, struct timezone, tz_dsttime);

    ABI_SIZE(G, struct linux_utsname, struct utsname);
    ABI_FIELD(G, struct linux_utsname, sysname, struct utsname, sysname);
    ABI_FIELD(G, struct linux_utsname, nodename, struct utsname, nodename);
    ABI_FIELD(G, struct linux_utsname, release, struct utsname, release);
    ABI_FIELD(G, struct linux_utsname, version, struct utsname, version);
    ABI_FIELD(G, struct linux_utsname, machine, struct utsname, machine);
    ABI_FIELD(G, struct linux_utsname, domainname, struct utsname, domainname);

    ABI_SIZE(G, struct linux_sysinfo, struct sysinfo);
    ABI_FIELD(G, struct linux_sysinfo, uptime, struct sysinfo, uptime);
    ABI_FIELD(G, struct linux_sysinfo, loads, struct sysinfo, loads);
    ABI_FIELD(G, struct linux_sysinfo, totalram, struct sysinfo, totalram);
    ABI_FIELD(G, struct linux_sysinfo, freeram, struct sysinfo, freeram);
    ABI_FIELD(G, struct linux_sysinfo, sharedram, struct sysinfo, sharedram);
    ABI_FIELD(G, struct linux_sysinfo, bufferram, struct sysinfo, bufferram);
    ABI_FIELD(G, struct linux_sysinfo, totalswap, struct sysinfo, totalswap);
    ABI_FIELD(G, struct linux_sysinfo, freeswap, struct sysinfo, freeswap);
    ABI_FIELD(G, struct linux_sysinfo, procs, struct sysinfo, procs);
    ABI_FIELD(G, struct linux_sysinfo, totalhigh, struct sysinfo, totalhigh);
    ABI_FIELD(G, struct linux_sysinfo, freehigh, struct sysinfo, freehigh);
    ABI_FIELD(G, struct linux_sysinfo, mem_unit, struct sysinfo, mem_unit);

    ABI_SIZE(G, struct linux_rlimit64, struct rlimit64);
    ABI_FIELD(G, struct linux_rlimit64, rlim_cur, struct rlimit64, rlim_cur);
    ABI_FIELD(G, struct linux_rlimit64, rlim_max, struct rlimit64, rlim_max);
    ABI_SIZE(G, struct linux_rlimit64, struct rlimit);
    ABI_FIELD(G, struct linux_rlimit64, rlim_cur, struct rlimit, rlim_cur);
    ABI_FIELD(G, struct linux_rlimit64, rlim_max, struct rlimit, rlim_max);

    ABI_SIZE(G, struct linux_sigcontext, struct sigcontext);
    ABI_FIELD(G, struct linux_sigcontext, r8, struct sigcontext, r8);
    ABI_FIELD(G, struct linux_sigcontext, rdi, struct sigcontext, rdi);
    ABI_FIELD(G, struct linux_sigcontext, rip, struct sigcontext, rip);
    ABI_FIELD(G, struct linux_sigcontext, eflags, struct sigcontext, eflags);
    ABI_FIELD(G, struct linux_sigcontext, cs, struct sigcontext, cs);
    ABI_FIELD(G, struct linux_sigcontext, err, struct sigcontext, err);
    ABI_FIELD(G, struct linux_sigcontext, trapno, struct sigcontext, trapno);
    ABI_FIELD(G, struct linux_sigcontext, cr2, struct sigcontext, cr2);
    ABI_FIELD(G, struct linux_sigcontext, fpstate, struct sigcontext, fpstate);
    ABI_SIZE(G, struct linux_fpx_sw_bytes, struct _fpx_sw_bytes);
    ABI_FIELD(G, struct linux_fpx_sw_bytes, xstate_size, struct _fpx_sw_bytes, xstate_size);
    ABI_SIZE(G, struct linux_sigevent, struct sigevent);
    ABI_SIZE(G, struct linux_siginfo, siginfo_t);
    ABI_FIELD(G, struct linux_siginfo, si_signo, siginfo_t, si_signo);
    ABI_FIELD(G, struct linux_siginfo, si_errno, siginfo_t, si_errno);
    ABI_FIELD(G, struct linux_siginfo, si_code, siginfo_t, si_code);
    ABI_FIELD(G, struct linux_siginfo, f.kill.pid, siginfo_t, si_pid);
    ABI_FIELD(G, struct linux_siginfo, f.kill.uid, siginfo_t, si_uid);
    ABI_FIELD(G, struct linux_siginfo, f.timer.tid, siginfo_t, si_timerid);
    ABI_FIELD(G, struct linux_siginfo, f.timer.overrun, siginfo_t, si_overrun);
    ABI_FIELD(G, struct linux_siginfo, f.rt.pid, siginfo_t, si_pid);
    ABI_FIELD(G, struct linux_siginfo, f.rt.uid, siginfo_t, si_uid);
    ABI_FIELD(G, struct linux_siginfo, f.rt.value, siginfo_t, si_value);
    ABI_FIELD(G, struct linux_siginfo, f.chld.pid, siginfo_t, si_pid);
    ABI_FIELD(G, struct linux_siginfo, f.chld.uid, siginfo_t, si_uid);
    ABI_FIELD(G, struct linux_siginfo, f.chld.status, siginfo_t, si_status);
    ABI_FIELD(G, struct linux_siginfo, f.chld.utime, siginfo_t, si_utime);
    ABI_FIELD(G, struct linux_siginfo, f.chld.stime, siginfo_t, si_stime);
    ABI_FIELD(G, struct linux_siginfo, f.fault.addr, siginfo_t, si_addr);
    abi_offset(G, "struct linux_siginfo.f.fault.addr", offsetof(struct linux_siginfo, f.fault.addr),
               16);

    ABI_SIZE(G, struct linux_stack_t, stack_t);
    ABI_FIELD(G, struct linux_stack_t, ss_sp, stack_t, ss_sp);
    ABI_FIELD(G, struct linux_stack_t, ss_flags, stack_t, ss_flags);
    ABI_FIELD(G, struct linux_stack_t, ss_size, stack_t, ss_size);

    ABI_SIZE(G, struct linux_winsize, struct winsize);
    ABI_FIELD(G, struct linux_winsize, ws_row, struct winsize, ws_row);
    ABI_FIELD(G, struct linux_winsize, ws_col, struct winsize, ws_col);
    ABI_FIELD(G, struct linux_winsize, ws_xpixel, struct winsize, ws_xpixel);
    ABI_FIELD(G, struct linux_winsize, ws_ypixel, struct winsize, ws_ypixel);

    ABI_SIZE(G, struct linux_flock, struct flock);
    ABI_FIELD(G, struct linux_flock, l_type, struct flock, l_type);
    ABI_FIELD(G, struct linux_flock, l_whence, struct flock, l_whence);
    ABI_FIELD(G, struct linux_flock, l_start, struct flock, l_start);
    ABI_FIELD(G, struct linux_flock, l_len, struct flock, l_len);
    ABI_FIELD(G, struct linux_flock, l_pid, struct flock, l_pid);

    ABI_SIZE(G, struct linux_sockaddr_un, struct sockaddr_un);
    ABI_FIELD(G, struct linux_sockaddr_un, sun_family, struct sockaddr_un, sun_family);
    ABI_FIELD(G, struct linux_sockaddr_un, sun_path, struct sockaddr_un, sun_path);
    ABI_SIZE(G, struct linux_msghdr, struct msghdr);
    ABI_FIELD(G, struct linux_msghdr, msg_name, struct msghdr, msg_name);
    ABI_FIELD(G, struct linux_msghdr, msg_namelen, struct msghdr, msg_namelen);
    ABI_FIELD(G, struct linux_msghdr, msg_iov, struct msghdr, msg_iov);
    ABI_FIELD(G, struct linux_msghdr, msg_iovlen, struct msghdr, msg_iovlen);
    ABI_FIELD(G, struct linux_msghdr, msg_control, struct msghdr, msg_control);
    ABI_FIELD(G, struct linux_msghdr, msg_controllen, struct msghdr, msg_controllen);
    ABI_FIELD(G, struct linux_msghdr, msg_flags, struct msghdr, msg_flags);
    ABI_SIZE(G, struct linux_mmsghdr, struct mmsghdr);
    ABI_FIELD(G, struct linux_mmsghdr, msg_hdr, struct mmsghdr, msg_hdr);
    ABI_FIELD(G, struct linux_mmsghdr, msg_len, struct mmsghdr, msg_len);
    ABI_SIZE(G, struct linux_cmsghdr, struct cmsghdr);
    ABI_FIELD(G, struct linux_cmsghdr, cmsg_len, struct cmsghdr, cmsg_len);
    ABI_FIELD(G, struct linux_cmsghdr, cmsg_level, struct cmsghdr, cmsg_level);
    ABI_FIELD(G, struct linux_cmsghdr, cmsg_type, struct cmsghdr, cmsg_type);
    abi_const(G, "CMSG_LEN(12)", linux_cmsg_len(12), CMSG_LEN(12));
    abi_const(G, "CMSG_SPACE(12)", linux_cmsg_space(12), CMSG_SPACE(12));
    ABI_SIZE(G, struct linux_ucred, struct ucred);
    ABI_FIELD(G, struct linux_ucred, pid, struct ucred, pid);
    ABI_FIELD(G, struct linux_ucred, uid, struct ucred, uid);
    ABI_FIELD(G, struct linux_ucred, gid, struct ucred, gid);
    ABI_SIZE(G, struct linux_linger, struct linger);
    ABI_FIELD(G, struct linux_linger, l_onoff, struct linger, l_onoff);
    ABI_FIELD(G, struct linux_linger, l_linger, struct linger, l_linger);

    ABI_SIZE(G, struct linux_iovec, struct iovec);
    ABI_FIELD(G, struct linux_iovec, iov_base, struct iovec, iov_base);
    ABI_FIELD(G, struct linux_iovec, iov_len, struct iovec, iov_len);

    ABI_SIZE(G, struct linux_statfs, struct statfs);
    ABI_FIELD(G, struct linux_statfs, f_type, struct statfs, f_type);
    ABI_FIELD(G, struct linux_statfs, f_bsize, struct statfs, f_bsize);
    ABI_FIELD(G, struct linux_statfs, f_blocks, struct statfs, f_blocks);
    ABI_FIELD(G, struct linux_statfs, f_bfree, struct statfs, f_bfree);
    ABI_FIELD(G, struct linux_statfs, f_bavail, struct statfs, f_bavail);
    ABI_FIELD(G, struct linux_statfs, f_files, struct statfs, f_files);
    ABI_FIELD(G, struct linux_statfs, f_ffree, struct statfs, f_ffree);
    ABI_FIELD(G, struct linux_statfs, f_fsid, struct statfs, f_fsid);
    ABI_FIELD(G, struct linux_statfs, f_namelen, struct statfs, f_namelen);
    ABI_FIELD(G, struct linux_statfs, f_frsize, struct statfs, f_frsize);
    ABI_FIELD(G, struct linux_statfs, f_flags, struct statfs, f_flags);

    ABI_SIZE(G, struct linux_statx, struct statx);
    ABI_FIELD(G, struct linux_statx, stx_mask, struct statx, stx_mask);
    ABI_FIELD(G, struct linux_statx, stx_blksize, struct statx, stx_blksize);
    ABI_FIELD(G, struct linux_statx, stx_attributes, struct statx, stx_attributes);
    ABI_FIELD(G, struct linux_statx, stx_nlink, struct statx, stx_nlink);
    ABI_FIELD(G, struct linux_statx, stx_uid, struct statx, stx_uid);
    ABI_FIELD(G, struct linux_statx, stx_gid, struct statx, stx_gid);
    ABI_FIELD(G, struct linux_statx, stx_mode, struct statx, stx_mode);
    ABI_FIELD(G, struct linux_statx, stx_ino, struct statx, stx_ino);
    ABI_FIELD(G, struct linux_statx, stx_size, struct statx, stx_size);
    ABI_FIELD(G, struct linux_statx, stx_blocks, struct statx, stx_blocks);
    ABI_FIELD(G, struct linux_statx, stx_attributes_mask, struct statx, stx_attributes_mask);
    ABI_FIELD(G, struct linux_statx, stx_atime, struct statx, stx_atime);
    ABI_FIELD(G, struct linux_statx, stx_btime, struct statx, stx_btime);
    ABI_FIELD(G, struct linux_statx, stx_ctime, struct statx, stx_ctime);
    ABI_FIELD(G, struct linux_statx, stx_mtime, struct statx, stx_mtime);
    ABI_FIELD(G, struct linux_statx, stx_rdev_major, struct statx, stx_rdev_major);
    ABI_FIELD(G, struct linux_statx, stx_rdev_minor, struct statx, stx_rdev_minor);
    ABI_FIELD(G, struct linux_statx, stx_dev_major, struct statx, stx_dev_major);
    ABI_FIELD(G, struct linux_statx, stx_dev_minor, struct statx, stx_dev_minor);
    ABI_SIZE(G, struct linux_statx_timestamp, struct statx_timestamp);
    ABI_FIELD(G, struct linux_statx_timestamp, tv_sec, struct statx_timestamp, tv_sec);
    ABI_FIELD(G, struct linux_statx_timestamp, tv_nsec, struct statx_timestamp, tv_nsec);

    ABI_SIZE(G, struct linux_pollfd, struct pollfd);
    ABI_FIELD(G, struct linux_pollfd, fd, struct pollfd, fd);
    ABI_FIELD(G, struct linux_pollfd, events, struct pollfd, events);
    ABI_FIELD(G, struct linux_pollfd, revents, struct pollfd, revents);
    ABI_SIZE(G, struct linux_epoll_event, struct epoll_event);
    ABI_FIELD(G, struct linux_epoll_event, events, struct epoll_event, events);
    ABI_FIELD(G, struct linux_epoll_event, data, struct epoll_event, data);

    /* Only the fixed part of a directory record: the name is variable. */
    abi_size(G, "struct linux_dirent64 (fixed part)", offsetof(struct linux_dirent64, d_name),
             offsetof(struct dirent64, d_name));
    ABI_FIELD(G, struct linux_dirent64, d_ino, struct dirent64, d_ino);
    ABI_FIELD(G, struct linux_dirent64, d_off, struct dirent64, d_off);
    ABI_FIELD(G, struct linux_dirent64, d_reclen, struct dirent64, d_reclen);
    ABI_FIELD(G, struct linux_dirent64, d_type, struct dirent64, d_type);
    /* struct linux_dirent has no libc counterpart: its fixed offsets. */
    abi_size(G, "struct linux_dirent (fixed part)", offsetof(struct linux_dirent, d_name), 18);
    abi_offset(G, "struct linux_dirent.d_reclen", offsetof(struct linux_dirent, d_reclen), 16);

    /* struct sigaction and struct termios: glibc's are not the kernel's;
     * see test_abi_kernel.c and the run-time tests below. */
}

/* ---- tests ---- */

static void test_syscall_numbers(void **state)
{
    (void)state;
    failures = 0;
    glibc_nrs();
    abi_kernel_nrs();
    assert_int_equal(failures, 0);
}

static void test_constants(void **state)
{
    (void)state;
    failures = 0;
    seen_count = 0;
    glibc_consts();
    abi_kernel_consts();
    for (size_t i = 0; i < seen_count; i++) {
        if (seen[i].checked)
            continue;
        if (in_list(seen[i].name, no_host_ok, sizeof(no_host_ok) / sizeof(no_host_ok[0])))
            continue;
        mismatch("LINUX_%s: neither glibc nor the kernel headers define %s; fix the name, "
                 "or add it to no_host_ok with a reason",
                 seen[i].name, seen[i].name);
    }
    assert_int_equal(failures, 0);
}

static void test_struct_layouts(void **state)
{
    (void)state;
    failures = 0;
    glibc_structs();
    abi_kernel_structs();
    assert_int_equal(failures, 0);
}

/* The kernel's own word on struct linux_sigaction: install a handler with a
 * raw rt_sigaction and read it back through glibc, and the other way. */
static void dummy_handler(int sig)
{
    (void)sig;
}

static void dummy_restorer(void)
{
}

static void test_rt_sigaction_layout(void **state)
{
    (void)state;
    struct sigaction saved;
    assert_int_equal(sigaction(SIGUSR2, NULL, &saved), 0);

    struct linux_sigaction in = {
        .handler = (uint64_t)(uintptr_t)dummy_handler,
        .flags = LINUX_SA_RESTORER | LINUX_SA_RESTART | LINUX_SA_NODEFER,
        .restorer = (uint64_t)(uintptr_t)dummy_restorer,
        .mask = linux_sigmask(LINUX_SIGINT) | linux_sigmask(LINUX_SIGRTMIN + 5),
    };
    assert_int_equal(syscall(SYS_rt_sigaction, SIGUSR2, &in, NULL, sizeof(in.mask)), 0);

    struct sigaction got;
    assert_int_equal(sigaction(SIGUSR2, NULL, &got), 0);
    assert_ptr_equal(got.sa_handler, dummy_handler);
    assert_true(got.sa_flags & SA_RESTART);
    assert_true(got.sa_flags & SA_NODEFER);
    assert_true(sigismember(&got.sa_mask, SIGINT));
    assert_true(sigismember(&got.sa_mask, 32 + 5));
    assert_false(sigismember(&got.sa_mask, SIGTERM));

    struct linux_sigaction out;
    memset(&out, 0xa5, sizeof(out));
    assert_int_equal(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &out, sizeof(out.mask)), 0);
    assert_int_equal(out.handler, in.handler);
    assert_int_equal(out.flags, in.flags);
    assert_int_equal(out.restorer, in.restorer);
    assert_int_equal(out.mask, in.mask);

    assert_int_equal(sigaction(SIGUSR2, &saved, NULL), 0);
}

/* TCGETS fills struct linux_termios exactly as glibc's tcgetattr reports. */
static void test_tcgets_layout(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        if (master >= 0)
            close(master);
        print_message("no pty: skipping\n");
        skip();
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);

    struct termios want;
    assert_int_equal(tcgetattr(slave, &want), 0);
    want.c_cc[VMIN] = 7; /* make a c_cc slot recognisable */
    want.c_cc[VTIME] = 3;
    assert_int_equal(tcsetattr(slave, TCSANOW, &want), 0);
    assert_int_equal(tcgetattr(slave, &want), 0);

    struct linux_termios got;
    memset(&got, 0xa5, sizeof(got));
    assert_int_equal(ioctl(slave, LINUX_TCGETS, &got), 0);
    assert_int_equal(got.c_iflag, want.c_iflag);
    assert_int_equal(got.c_oflag, want.c_oflag);
    assert_int_equal(got.c_cflag, want.c_cflag);
    assert_int_equal(got.c_lflag, want.c_lflag);
    assert_int_equal(got.c_line, want.c_line);
    for (int i = 0; i < LINUX_NCCS; i++)
        assert_int_equal(got.c_cc[i], want.c_cc[i]);

    struct linux_winsize ws = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 1, .ws_ypixel = 2};
    assert_int_equal(ioctl(slave, LINUX_TIOCSWINSZ, &ws), 0);
    struct winsize hws;
    assert_int_equal(ioctl(slave, TIOCGWINSZ, &hws), 0);
    assert_int_equal(hws.ws_row, 24);
    assert_int_equal(hws.ws_col, 80);
    assert_int_equal(hws.ws_xpixel, 1);
    assert_int_equal(hws.ws_ypixel, 2);

    close(slave);
    close(master);
}

/* fstat through the raw syscall into struct linux_stat agrees with glibc. */
static void test_fstat_layout(void **state)
{
    (void)state;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct linux_stat ls;
    memset(&ls, 0xa5, sizeof(ls));
    assert_int_equal(syscall(SYS_fstat, fd, &ls), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(ls.st_dev, st.st_dev);
    assert_int_equal(ls.st_ino, st.st_ino);
    assert_int_equal(ls.st_mode, st.st_mode);
    assert_int_equal(ls.st_size, st.st_size);
    assert_int_equal(ls.st_mtime_sec, st.st_mtim.tv_sec);
    assert_int_equal(ls.st_mtime_nsec, st.st_mtim.tv_nsec);
    assert_int_equal(ls.st_ctime_nsec, st.st_ctim.tv_nsec);
    close(fd);
}

/* Finds the source tree's abi/linux/, from MOAT_SOURCE_ROOT (a -D or the
 * environment) or from this file's path. */
static bool find_abi_dir(char *out, size_t size)
{
    const char *roots[3] = {getenv("MOAT_SOURCE_ROOT"), NULL, NULL};
#ifdef MOAT_SOURCE_ROOT
    roots[1] = MOAT_SOURCE_ROOT;
#endif
    char here[512];
    snprintf(here, sizeof(here), "%s", __FILE__);
    char *slash = strrchr(here, '/');
    if (slash) {
        strcpy(slash, "/../..");
        roots[2] = here;
    }
    for (int i = 0; i < 3; i++) {
        if (!roots[i])
            continue;
        snprintf(out, size, "%s/abi/linux", roots[i]);
        char probe[600];
        snprintf(probe, sizeof(probe), "%s/unistd_64.h", out);
        if (access(probe, R_OK) == 0)
            return true;
    }
    return false;
}

static bool struct_sized(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < sized_count; i++)
        if (strncmp(sized[i], name, len) == 0 && (sized[i][len] == '\0' || sized[i][len] == ' '))
            return true;
    return false;
}

/* Every object-like LINUX_ macro in abi/linux/ is in abi_list.inc, and
 * every struct linux_* there is compared with a host struct. */
static void test_list_is_fresh(void **state)
{
    (void)state;
    char dir[512];
    if (!find_abi_dir(dir, sizeof(dir))) {
        print_message("abi/linux/ not found (set MOAT_SOURCE_ROOT): skipping\n");
        skip();
    }

    /* What the list holds: every name it passes to the recorders. */
    static const char *const listed[] = {
#define ABI_NR(n) "NR_" #n,
#define ABI_NR_NOHOST(n) "NR_" #n,
#define ABI_CONST(ours, name, host) name,
#define ABI_NOHOST(name) name,
#include "tests/unit/abi_list.inc"
#undef ABI_NR
#undef ABI_NR_NOHOST
#undef ABI_CONST
#undef ABI_NOHOST
    };
    size_t listed_count = sizeof(listed) / sizeof(listed[0]);

    sized_count = 0;
    glibc_structs();
    abi_kernel_structs();

    DIR *d = opendir(dir);
    assert_non_null(d);
    int missing = 0, found = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 3 || strcmp(de->d_name + len - 2, ".h") != 0 ||
            strcmp(de->d_name, "decode.h") == 0)
            continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "struct linux_", 13) == 0 && strchr(line, '{')) {
                char *end = line + 13;
                while (*end == '_' || (*end >= 'a' && *end <= 'z') || (*end >= '0' && *end <= '9'))
                    end++;
                *end = '\0';
                if (!struct_sized(line)) {
                    print_error("%s (%s) is not compared with a host struct: add it to "
                                "glibc_structs or abi_kernel_structs\n",
                                line, de->d_name);
                    missing++;
                }
                continue;
            }
            if (strncmp(line, "#define LINUX_", 14) != 0)
                continue;
            char *name = line + 14, *end = name;
            while (*end == '_' || (*end >= 'A' && *end <= 'Z') || (*end >= 'a' && *end <= 'z') ||
                   (*end >= '0' && *end <= '9'))
                end++;
            if (*end != ' ' && *end != '\t')
                continue; /* function-like, or no value */
            *end = '\0';
            if (strcmp(name, "NR_MAX") == 0)
                continue;
            found++;
            if (!in_list(name, listed, listed_count)) {
                print_error("LINUX_%s (%s) is not in tests/unit/abi_list.inc: run "
                            "sh tests/unit/gen_abi_list.sh > tests/unit/abi_list.inc\n",
                            name, de->d_name);
                missing++;
            }
        }
        fclose(f);
    }
    closedir(d);
    assert_true(found > 500);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syscall_numbers), cmocka_unit_test(test_constants),
        cmocka_unit_test(test_struct_layouts),  cmocka_unit_test(test_rt_sigaction_layout),
        cmocka_unit_test(test_tcgets_layout),   cmocka_unit_test(test_fstat_layout),
        cmocka_unit_test(test_list_is_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
