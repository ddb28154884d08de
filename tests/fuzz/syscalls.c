/* Random syscalls with hostile arguments, for the sentry: whatever the
 * program asks, the sentry must never crash or hang (DESIGN.md section 10).
 * The program itself may die (it can unmap its own code), so the checker
 * (syscalls.sh) looks only for sentry panics and hangs.
 *
 *   fuzz_syscalls SEED COUNT [mm]
 *
 * Without "mm" the calls that can destroy the program's own memory
 * (munmap, mprotect, mremap, madvise, brk, mmap) are skipped too, so a run
 * lasts its COUNT calls; with it they are in, and the run usually ends
 * with the program's own SIGSEGV.
 *
 * Calls that would end or block the run (exit, kill, fork, exec, waits,
 * sleeps, reads of stdin...) are skipped: they test nothing here and would
 * stop the loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t state;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Arguments that are often wrong in interesting ways: zero, small fds and
 * sizes, -1, kernel and stub addresses, page-aligned offsets, noise. */
static uint64_t hostile_arg(void)
{
    switch (rnd() % 8) {
    case 0:
        return 0;
    case 1:
        return rnd() % 64;
    case 2:
        return (uint64_t)-1;
    case 3:
        return 0xffff800000000000ULL;
    case 4:
        return rnd();
    case 5:
        return 0x7fffffff0000ULL + rnd() % 0x10000; /* the ptrace stub's page */
    case 6:
        return 4096 * (rnd() % 1024);
    default:
        return rnd() & 0xffffffff;
    }
}

static int skipped_mm(long nr)
{
    return nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_mremap || nr == SYS_madvise ||
           nr == SYS_brk || nr == SYS_mmap || nr == SYS_shmdt || nr == SYS_arch_prctl;
}

static int skipped(long nr)
{
    static const long skip[] = {
        SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_fork, SYS_vfork,
        SYS_clone, SYS_clone3, SYS_execve, SYS_execveat, SYS_rt_sigreturn, SYS_pause,
        SYS_rt_sigsuspend, SYS_nanosleep, SYS_clock_nanosleep, SYS_wait4, SYS_waitid, SYS_read,
        SYS_readv, SYS_pread64, SYS_preadv, SYS_preadv2, SYS_futex, SYS_select, SYS_pselect6,
        SYS_poll, SYS_ppoll, SYS_epoll_wait, SYS_epoll_pwait, SYS_flock, SYS_fcntl,
        SYS_close, SYS_close_range, SYS_dup2, SYS_dup3, SYS_splice, SYS_tee, SYS_sendfile,
        SYS_copy_file_range, SYS_chroot, SYS_setuid, SYS_setresuid, SYS_setreuid, SYS_setgid,
        SYS_setresgid, SYS_setregid, SYS_setgroups, SYS_rt_sigtimedwait, SYS_prlimit64,
        SYS_setrlimit, SYS_pipe, SYS_pipe2, SYS_vhangup, SYS_reboot,
    };
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (skip[i] == nr)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: fuzz_syscalls SEED COUNT [mm]\n");
        return 2;
    }
    int with_mm = argc == 4;
    state = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
    int count = atoi(argv[2]);
    for (int i = 0; i < count; i++) {
        long nr = (long)(rnd() % 460);
        if (skipped(nr) || (!with_mm && skipped_mm(nr)))
            continue;
        syscall(nr, hostile_arg(), hostile_arg(), hostile_arg(), hostile_arg(), hostile_arg(),
                hostile_arg());
    }
    printf("survived %d\n", count);
    return 0;
}
