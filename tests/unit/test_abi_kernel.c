/* The abi/linux/ headers against the kernel's own uapi headers: the ABI as
 * Linux defines it, where glibc differs (struct termios and NCCS, the
 * kernel's struct sigaction, SIGRTMIN, O_LARGEFILE...). Only kernel headers
 * here: glibc's <termios.h> or <signal.h> would clash with them. */
#include <stddef.h>
#include <stdint.h>

#include <asm/errno.h>
#include <asm/ioctls.h>
#include <asm/mman.h>
#include <asm/prctl.h>
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <asm/ucontext.h>
#include <asm/unistd_64.h>
#include <linux/auxvec.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/eventpoll.h>
#include <linux/falloc.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/magic.h>
#include <linux/mman.h>
#include <linux/openat2.h>
#include <linux/prctl.h>
#include <linux/random.h>
#include <linux/resource.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <linux/signal.h>
#include <linux/sockios.h>
#include <linux/stat.h>
#include <linux/sysinfo.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/times.h>
#include <linux/uio.h>
#include <linux/utsname.h>
#include <linux/xattr.h>

#define ABI_INCLUDES
#include "tests/unit/abi_list.inc"
#undef ABI_INCLUDES
#include "tests/unit/test_abi.h"

/* x86's uapi <asm/signal.h> defines SIGRTMAX as _NSIG, which only the
 * kernel's internal headers define: leave SIGRTMAX to the glibc oracle. */
#undef SIGRTMAX

#define K "kernel"

void abi_kernel_nrs(void)
{
#define ABI_NR(n) abi_nr(K, #n, LINUX_NR_##n, __NR_##n);
#define ABI_NR_NOHOST(n) abi_nr_nohost(K, #n);
#include "tests/unit/abi_list.inc"
#undef ABI_NR
#undef ABI_NR_NOHOST
}

void abi_kernel_consts(void)
{
#define ABI_CONST(ours, name, host) abi_const(K, name, (uint64_t)(ours), (uint64_t)(host));
#define ABI_NOHOST(name) abi_nohost(K, name);
#include "tests/unit/abi_list.inc"
#undef ABI_CONST
#undef ABI_NOHOST
    /* Constants the kernel spells differently. */
    abi_const(K, "UTS_LEN", LINUX_UTS_LEN, __NEW_UTS_LEN + 1);
    abi_const(K, "RLIM_INFINITY (64-bit)", LINUX_RLIM_INFINITY, RLIM64_INFINITY);
    abi_const(K, "_LINUX_CAPABILITY_VERSION_1", LINUX_CAPABILITY_VERSION_1,
              _LINUX_CAPABILITY_VERSION_1);
    abi_const(K, "_LINUX_CAPABILITY_VERSION_2", LINUX_CAPABILITY_VERSION_2,
              _LINUX_CAPABILITY_VERSION_2);
    abi_const(K, "_LINUX_CAPABILITY_VERSION_3", LINUX_CAPABILITY_VERSION_3,
              _LINUX_CAPABILITY_VERSION_3);
    abi_const(K, "_LINUX_CAPABILITY_U32S_1", LINUX_CAPABILITY_U32S_1, _LINUX_CAPABILITY_U32S_1);
    abi_const(K, "_LINUX_CAPABILITY_U32S_3", LINUX_CAPABILITY_U32S_3, _LINUX_CAPABILITY_U32S_3);
}

/* arch/x86/include/asm/sigframe.h's rt_sigframe (not uapi), built from
 * the uapi parts it is made of. */
struct kernel_rt_sigframe {
    char *pretcode;
    struct ucontext uc;
    struct siginfo info;
};

void abi_kernel_structs(void)
{
    /* <asm/ucontext.h>: the kernel's ucontext (glibc's ucontext_t is
     * larger: its sigset_t has 1024 bits). */
    ABI_SIZE(K, struct linux_ucontext, struct ucontext);
    ABI_FIELD(K, struct linux_ucontext, uc_flags, struct ucontext, uc_flags);
    ABI_FIELD(K, struct linux_ucontext, uc_stack, struct ucontext, uc_stack);
    ABI_FIELD(K, struct linux_ucontext, uc_mcontext, struct ucontext, uc_mcontext);
    ABI_FIELD(K, struct linux_ucontext, uc_sigmask, struct ucontext, uc_sigmask);
    ABI_SIZE(K, struct linux_rt_sigframe, struct kernel_rt_sigframe);
    ABI_FIELD(K, struct linux_rt_sigframe, uc, struct kernel_rt_sigframe, uc);
    ABI_FIELD(K, struct linux_rt_sigframe, info, struct kernel_rt_sigframe, info);

    /* <asm/stat.h>: the x86_64 struct stat that fstat/newfstatat fill. */
    ABI_SIZE(K, struct linux_stat, struct stat);
    ABI_FIELD(K, struct linux_stat, st_dev, struct stat, st_dev);
    ABI_FIELD(K, struct linux_stat, st_ino, struct stat, st_ino);
    ABI_FIELD(K, struct linux_stat, st_nlink, struct stat, st_nlink);
    ABI_FIELD(K, struct linux_stat, st_mode, struct stat, st_mode);
    ABI_FIELD(K, struct linux_stat, st_uid, struct stat, st_uid);
    ABI_FIELD(K, struct linux_stat, st_gid, struct stat, st_gid);
    ABI_FIELD(K, struct linux_stat, st_rdev, struct stat, st_rdev);
    ABI_FIELD(K, struct linux_stat, st_size, struct stat, st_size);
    ABI_FIELD(K, struct linux_stat, st_blksize, struct stat, st_blksize);
    ABI_FIELD(K, struct linux_stat, st_blocks, struct stat, st_blocks);
    ABI_FIELD(K, struct linux_stat, st_atime_sec, struct stat, st_atime);
    ABI_FIELD(K, struct linux_stat, st_atime_nsec, struct stat, st_atime_nsec);
    ABI_FIELD(K, struct linux_stat, st_mtime_sec, struct stat, st_mtime);
    ABI_FIELD(K, struct linux_stat, st_mtime_nsec, struct stat, st_mtime_nsec);
    ABI_FIELD(K, struct linux_stat, st_ctime_sec, struct stat, st_ctime);
    ABI_FIELD(K, struct linux_stat, st_ctime_nsec, struct stat, st_ctime_nsec);

    ABI_SIZE(K, struct linux_timespec, struct __kernel_timespec);
    ABI_FIELD(K, struct linux_timespec, tv_sec, struct __kernel_timespec, tv_sec);
    ABI_FIELD(K, struct linux_timespec, tv_nsec, struct __kernel_timespec, tv_nsec);
    ABI_SIZE(K, struct linux_timespec, struct timespec);
    ABI_SIZE(K, struct linux_timeval, struct __kernel_old_timeval);
    ABI_FIELD(K, struct linux_timeval, tv_sec, struct __kernel_old_timeval, tv_sec);
    ABI_FIELD(K, struct linux_timeval, tv_usec, struct __kernel_old_timeval, tv_usec);
    ABI_SIZE(K, struct linux_timezone, struct timezone);
    ABI_FIELD(K, struct linux_timezone, tz_minuteswest, struct timezone, tz_minuteswest);
    ABI_FIELD(K, struct linux_timezone, tz_dsttime, struct timezone, tz_dsttime);

    ABI_SIZE(K, struct linux_utsname, struct new_utsname);
    ABI_FIELD(K, struct linux_utsname, sysname, struct new_utsname, sysname);
    ABI_FIELD(K, struct linux_utsname, nodename, struct new_utsname, nodename);
    ABI_FIELD(K, struct linux_utsname, release, struct new_utsname, release);
    ABI_FIELD(K, struct linux_utsname, version, struct new_utsname, version);
    ABI_FIELD(K, struct linux_utsname, machine, struct new_utsname, machine);
    ABI_FIELD(K, struct linux_utsname, domainname, struct new_utsname, domainname);

    ABI_SIZE(K, struct linux_sysinfo, struct sysinfo);
    ABI_FIELD(K, struct linux_sysinfo, uptime, struct sysinfo, uptime);
    ABI_FIELD(K, struct linux_sysinfo, loads, struct sysinfo, loads);
    ABI_FIELD(K, struct linux_sysinfo, totalram, struct sysinfo, totalram);
    ABI_FIELD(K, struct linux_sysinfo, freeram, struct sysinfo, freeram);
    ABI_FIELD(K, struct linux_sysinfo, sharedram, struct sysinfo, sharedram);
    ABI_FIELD(K, struct linux_sysinfo, bufferram, struct sysinfo, bufferram);
    ABI_FIELD(K, struct linux_sysinfo, totalswap, struct sysinfo, totalswap);
    ABI_FIELD(K, struct linux_sysinfo, freeswap, struct sysinfo, freeswap);
    ABI_FIELD(K, struct linux_sysinfo, procs, struct sysinfo, procs);
    ABI_FIELD(K, struct linux_sysinfo, totalhigh, struct sysinfo, totalhigh);
    ABI_FIELD(K, struct linux_sysinfo, freehigh, struct sysinfo, freehigh);
    ABI_FIELD(K, struct linux_sysinfo, mem_unit, struct sysinfo, mem_unit);

    ABI_SIZE(K, struct linux_rlimit64, struct rlimit64);
    ABI_FIELD(K, struct linux_rlimit64, rlim_cur, struct rlimit64, rlim_cur);
    ABI_FIELD(K, struct linux_rlimit64, rlim_max, struct rlimit64, rlim_max);
    ABI_SIZE(K, struct linux_rlimit64, struct rlimit);

    ABI_SIZE(K, struct linux_rusage, struct rusage);
    ABI_FIELD(K, struct linux_rusage, ru_utime, struct rusage, ru_utime);
    ABI_FIELD(K, struct linux_rusage, ru_stime, struct rusage, ru_stime);
    ABI_FIELD(K, struct linux_rusage, ru_maxrss, struct rusage, ru_maxrss);
    ABI_FIELD(K, struct linux_rusage, ru_nivcsw, struct rusage, ru_nivcsw);
    ABI_SIZE(K, struct linux_tms, struct tms);
    ABI_FIELD(K, struct linux_tms, tms_utime, struct tms, tms_utime);
    ABI_FIELD(K, struct linux_tms, tms_stime, struct tms, tms_stime);
    ABI_FIELD(K, struct linux_tms, tms_cutime, struct tms, tms_cutime);
    ABI_FIELD(K, struct linux_tms, tms_cstime, struct tms, tms_cstime);

    ABI_SIZE(K, struct linux_cap_header, struct __user_cap_header_struct);
    ABI_FIELD(K, struct linux_cap_header, version, struct __user_cap_header_struct, version);
    ABI_FIELD(K, struct linux_cap_header, pid, struct __user_cap_header_struct, pid);
    ABI_SIZE(K, struct linux_cap_data, struct __user_cap_data_struct);
    ABI_FIELD(K, struct linux_cap_data, effective, struct __user_cap_data_struct, effective);
    ABI_FIELD(K, struct linux_cap_data, permitted, struct __user_cap_data_struct, permitted);
    ABI_FIELD(K, struct linux_cap_data, inheritable, struct __user_cap_data_struct, inheritable);

    ABI_SIZE(K, struct linux_robust_list_head, struct robust_list_head);
    ABI_FIELD(K, struct linux_robust_list_head, next, struct robust_list_head, list.next);
    ABI_FIELD(K, struct linux_robust_list_head, futex_offset, struct robust_list_head,
              futex_offset);
    ABI_FIELD(K, struct linux_robust_list_head, list_op_pending, struct robust_list_head,
              list_op_pending);

    /* <asm-generic/siginfo.h>: the kernel's own union layout. */
    ABI_SIZE(K, struct linux_siginfo, siginfo_t);
    ABI_FIELD(K, struct linux_siginfo, si_signo, siginfo_t, si_signo);
    ABI_FIELD(K, struct linux_siginfo, si_errno, siginfo_t, si_errno);
    ABI_FIELD(K, struct linux_siginfo, si_code, siginfo_t, si_code);
    ABI_FIELD(K, struct linux_siginfo, f.kill.pid, siginfo_t, si_pid);
    ABI_FIELD(K, struct linux_siginfo, f.kill.uid, siginfo_t, si_uid);
    ABI_FIELD(K, struct linux_siginfo, f.timer.tid, siginfo_t, si_tid);
    ABI_FIELD(K, struct linux_siginfo, f.timer.overrun, siginfo_t, si_overrun);
    ABI_FIELD(K, struct linux_siginfo, f.timer.value, siginfo_t, _sifields._timer._sigval);
    ABI_FIELD(K, struct linux_siginfo, f.rt.pid, siginfo_t, _sifields._rt._pid);
    ABI_FIELD(K, struct linux_siginfo, f.rt.uid, siginfo_t, _sifields._rt._uid);
    ABI_FIELD(K, struct linux_siginfo, f.rt.value, siginfo_t, si_value);
    ABI_FIELD(K, struct linux_siginfo, f.chld.pid, siginfo_t, _sifields._sigchld._pid);
    ABI_FIELD(K, struct linux_siginfo, f.chld.uid, siginfo_t, _sifields._sigchld._uid);
    ABI_FIELD(K, struct linux_siginfo, f.chld.status, siginfo_t, si_status);
    ABI_FIELD(K, struct linux_siginfo, f.chld.utime, siginfo_t, si_utime);
    ABI_FIELD(K, struct linux_siginfo, f.chld.stime, siginfo_t, si_stime);
    ABI_FIELD(K, struct linux_siginfo, f.fault.addr, siginfo_t, si_addr);
    abi_offset(K, "struct linux_siginfo.f.fault.addr", offsetof(struct linux_siginfo, f.fault.addr),
               16);

    ABI_SIZE(K, struct linux_stack_t, stack_t);
    ABI_FIELD(K, struct linux_stack_t, ss_sp, stack_t, ss_sp);
    ABI_FIELD(K, struct linux_stack_t, ss_flags, stack_t, ss_flags);
    ABI_FIELD(K, struct linux_stack_t, ss_size, stack_t, ss_size);

    /* <asm/signal.h>, x86_64: the struct rt_sigaction reads, not glibc's. */
    ABI_SIZE(K, struct linux_sigaction, struct sigaction);
    ABI_FIELD(K, struct linux_sigaction, handler, struct sigaction, sa_handler);
    ABI_FIELD(K, struct linux_sigaction, flags, struct sigaction, sa_flags);
    ABI_FIELD(K, struct linux_sigaction, restorer, struct sigaction, sa_restorer);
    ABI_FIELD(K, struct linux_sigaction, mask, struct sigaction, sa_mask);
    abi_offset(K, "struct linux_sigaction.handler", offsetof(struct linux_sigaction, handler), 0);
    abi_offset(K, "struct linux_sigaction.flags", offsetof(struct linux_sigaction, flags), 8);
    abi_offset(K, "struct linux_sigaction.restorer", offsetof(struct linux_sigaction, restorer),
               16);
    abi_offset(K, "struct linux_sigaction.mask", offsetof(struct linux_sigaction, mask), 24);

    /* <asm/termbits.h>: 36 bytes, NCCS 19 (glibc's is 60 bytes, NCCS 32). */
    ABI_SIZE(K, struct linux_termios, struct termios);
    ABI_FIELD(K, struct linux_termios, c_iflag, struct termios, c_iflag);
    ABI_FIELD(K, struct linux_termios, c_oflag, struct termios, c_oflag);
    ABI_FIELD(K, struct linux_termios, c_cflag, struct termios, c_cflag);
    ABI_FIELD(K, struct linux_termios, c_lflag, struct termios, c_lflag);
    ABI_FIELD(K, struct linux_termios, c_line, struct termios, c_line);
    ABI_FIELD(K, struct linux_termios, c_cc, struct termios, c_cc);
    abi_size(K, "struct linux_termios (36)", sizeof(struct linux_termios), 36);

    ABI_SIZE(K, struct linux_winsize, struct winsize);
    ABI_FIELD(K, struct linux_winsize, ws_row, struct winsize, ws_row);
    ABI_FIELD(K, struct linux_winsize, ws_col, struct winsize, ws_col);
    ABI_FIELD(K, struct linux_winsize, ws_xpixel, struct winsize, ws_xpixel);
    ABI_FIELD(K, struct linux_winsize, ws_ypixel, struct winsize, ws_ypixel);

    ABI_SIZE(K, struct linux_flock, struct flock);
    ABI_FIELD(K, struct linux_flock, l_type, struct flock, l_type);
    ABI_FIELD(K, struct linux_flock, l_whence, struct flock, l_whence);
    ABI_FIELD(K, struct linux_flock, l_start, struct flock, l_start);
    ABI_FIELD(K, struct linux_flock, l_len, struct flock, l_len);
    ABI_FIELD(K, struct linux_flock, l_pid, struct flock, l_pid);

    ABI_SIZE(K, struct linux_iovec, struct iovec);
    ABI_FIELD(K, struct linux_iovec, iov_base, struct iovec, iov_base);
    ABI_FIELD(K, struct linux_iovec, iov_len, struct iovec, iov_len);

    ABI_SIZE(K, struct linux_open_how, struct open_how);
    ABI_FIELD(K, struct linux_open_how, flags, struct open_how, flags);
    ABI_FIELD(K, struct linux_open_how, mode, struct open_how, mode);
    ABI_FIELD(K, struct linux_open_how, resolve, struct open_how, resolve);
}
