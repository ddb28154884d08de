/* poll, ppoll, select and pselect6 (Linux's fs/select.c) over file_poll
 * (sentry/vfs/poll.h).
 *
 * One pass asks every file for its readiness; the first pass also
 * registers the task on the queues the files name, unless something is
 * ready already. The task then sleeps until a wake-up, the deadline
 * (CLOCK_MONOTONIC) or an interruption, and passes again. An interrupted
 * wait that found nothing returns -ERESTARTNOHAND (the dispatcher applies
 * the restart rules); select, pselect6 and ppoll write the time left back
 * as Linux does. */
#include <stdlib.h>
#include <time.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "abi/linux/resource.h"
#include "abi/linux/time.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/poll_time.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"

/* POLLNVAL (an fd closed meanwhile, an O_PATH fd) is in every set: such
 * an fd is reported ready rather than waited for forever. */
#define POLLIN_SET                                                                                 \
    (LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR |          \
     LINUX_POLLNVAL)
#define POLLOUT_SET                                                                                \
    (LINUX_POLLWRBAND | LINUX_POLLWRNORM | LINUX_POLLOUT | LINUX_POLLERR | LINUX_POLLNVAL)
#define POLLEX_SET (LINUX_POLLPRI | LINUX_POLLNVAL)

/* --- timeouts --- */

static struct linux_timespec monotonic_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (struct linux_timespec){now.tv_sec, now.tv_nsec};
}

int poll_timeout_set(struct poll_timeout *to, int64_t sec, int64_t nsec)
{
    if (sec < 0 || nsec < 0 || nsec >= LINUX_NSEC_PER_SEC)
        return -LINUX_EINVAL;
    to->set = true;
    to->zero = sec == 0 && nsec == 0;
    if (to->zero)
        return 0;
    /* Saturating, like timespec64_add_safe. */
    struct linux_timespec now = monotonic_now();
    if (sec >= INT64_MAX - now.tv_sec) {
        to->end = (struct linux_timespec){INT64_MAX, 0};
        return 0;
    }
    to->end.tv_sec = now.tv_sec + sec;
    to->end.tv_nsec = now.tv_nsec + nsec;
    if (to->end.tv_nsec >= LINUX_NSEC_PER_SEC) {
        to->end.tv_sec++;
        to->end.tv_nsec -= LINUX_NSEC_PER_SEC;
    }
    return 0;
}

long poll_timeout_finish(struct task *t, const struct poll_timeout *to, uaddr_t uts, bool timeval,
                         long ret)
{
    if (!uts || !to->set || to->zero)
        return ret;
    struct linux_timespec now = monotonic_now();
    int64_t sec = to->end.tv_sec - now.tv_sec;
    int64_t nsec = to->end.tv_nsec - now.tv_nsec;
    if (nsec < 0) {
        sec--;
        nsec += LINUX_NSEC_PER_SEC;
    }
    if (sec < 0)
        sec = nsec = 0;
    long err;
    if (timeval) {
        struct linux_timeval tv = {sec, nsec / 1000};
        err = copy_out(t->mm, uts, &tv, sizeof(tv));
    } else {
        struct linux_timespec ts = {sec, nsec};
        err = copy_out(t->mm, uts, &ts, sizeof(ts));
    }
    /* A timeout in read-only memory is not an error, but the call must
     * not restart with it. */
    if (err < 0 && ret == -LINUX_ERESTARTNOHAND)
        ret = -LINUX_EINTR;
    return ret;
}

long poll_set_user_sigmask(struct task *t, uaddr_t umask, size_t sigsetsize)
{
    if (!umask)
        return 0;
    if (sigsetsize != sizeof(uint64_t))
        return -LINUX_EINVAL;
    uint64_t mask;
    if (copy_in(t->mm, &mask, umask, sizeof(mask)) < 0)
        return -LINUX_EFAULT;
    signal_set_temporary_mask(t, mask);
    return 0;
}

/* --- poll and ppoll --- */

/* Linux's do_poll: fills revents, returns how many are non-zero. */
static long do_poll(struct task *t, struct linux_pollfd *fds, unsigned nfds,
                    const struct poll_timeout *to)
{
    struct poll_table pt;
    poll_table_init(&pt, t);
    bool reg = true, timed_out = false;
    if (to->set && to->zero) {
        reg = false;
        timed_out = true;
    }
    t->wake_pending = false; /* registered nowhere yet: an old wake-up means nothing */
    long count;
    for (;;) {
        count = 0;
        for (unsigned i = 0; i < nfds; i++) {
            unsigned mask = 0;
            if (fds[i].fd >= 0) {
                struct file *f = fd_get(t, fds[i].fd);
                if (!f) {
                    mask = LINUX_POLLNVAL;
                } else {
                    unsigned filter = (uint16_t)fds[i].events | LINUX_POLLERR | LINUX_POLLHUP;
                    pt.key = filter;
                    mask = file_poll(f, reg ? &pt : NULL) & filter;
                    file_put(f);
                }
            }
            fds[i].revents = (int16_t)mask;
            if (mask) {
                count++;
                reg = false; /* something to report: no need to sleep */
            }
        }
        reg = false;
        if (!count) {
            if (pt.failed)
                count = -LINUX_ENOMEM;
            if (t->interrupt_pending)
                count = -LINUX_ERESTARTNOHAND;
        }
        if (count || timed_out)
            break;
        int err = task_block(t, to->set ? &to->end : NULL);
        if (err == -LINUX_ETIMEDOUT)
            timed_out = true; /* one more pass, as Linux */
    }
    poll_table_release(&pt);
    return count;
}

/* Linux's do_sys_poll. */
static long do_sys_poll(struct task *t, uaddr_t ufds, unsigned nfds, const struct poll_timeout *to)
{
    if (nfds > t->tg->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur)
        return -LINUX_EINVAL;
    struct linux_pollfd stack_fds[32];
    struct linux_pollfd *fds = stack_fds;
    if (nfds > sizeof(stack_fds) / sizeof(stack_fds[0])) {
        fds = malloc((size_t)nfds * sizeof(*fds));
        if (!fds)
            return -LINUX_ENOMEM;
    }
    long ret;
    if (nfds && copy_in(t->mm, fds, ufds, (size_t)nfds * sizeof(*fds)) < 0) {
        ret = -LINUX_EFAULT;
        goto out_free;
    }
    ret = do_poll(t, fds, nfds, to);
    /* revents are written back even when interrupted (all zero then). */
    for (unsigned i = 0; i < nfds; i++) {
        uaddr_t at = ufds + (uaddr_t)i * sizeof(*fds) + offsetof(struct linux_pollfd, revents);
        if (copy_out(t->mm, at, &fds[i].revents, sizeof(fds[i].revents)) < 0) {
            ret = -LINUX_EFAULT;
            break;
        }
    }
out_free:
    if (fds != stack_fds)
        free(fds);
    return ret;
}

SYSCALL(poll)
{
    int timeout_ms = arg_int(a, 2);
    struct poll_timeout to = {0};
    if (timeout_ms >= 0)
        poll_timeout_set(&to, timeout_ms / 1000, (int64_t)(timeout_ms % 1000) * 1000000);
    /* TODO(signals): Linux restarts poll through restart_syscall with the
     * time left; ERESTARTNOHAND restarts it with the whole timeout. */
    return do_sys_poll(t, arg_uaddr(a, 0), arg_uint(a, 1), &to);
}

SYSCALL(ppoll)
{
    uaddr_t tsp = arg_uaddr(a, 2);
    struct poll_timeout to = {0};
    if (tsp) {
        struct linux_timespec ts;
        if (copy_in(t->mm, &ts, tsp, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        if (poll_timeout_set(&to, ts.tv_sec, ts.tv_nsec) != 0)
            return -LINUX_EINVAL;
    }
    long ret = poll_set_user_sigmask(t, arg_uaddr(a, 3), arg_size(a, 4));
    if (ret)
        return ret;
    ret = do_sys_poll(t, arg_uaddr(a, 0), arg_uint(a, 1), &to);
    return poll_timeout_finish(t, &to, tsp, false, ret);
}

/* --- select and pselect6 --- */

#define BITS_PER_WORD 64

/* Linux's fdt->max_fds: the fd table's size, at least 64. select looks
 * at no fd beyond it. */
static int select_max_fds(const struct task *t)
{
    return t->fds->count > BITS_PER_WORD ? t->fds->count : BITS_PER_WORD;
}

struct fd_sets {
    uint64_t *in, *out, *ex, *res_in, *res_out, *res_ex;
};

/* Linux's max_select_fd: -EBADF if a set names a closed fd, else the
 * highest fd named + 1. */
static int max_select_fd(struct task *t, int n, const struct fd_sets *s)
{
    int max = 0;
    for (int w = 0; w * BITS_PER_WORD < n; w++) {
        uint64_t set = s->in[w] | s->out[w] | s->ex[w];
        int bits = n - w * BITS_PER_WORD;
        if (bits < BITS_PER_WORD)
            set &= (1ULL << bits) - 1;
        for (int b = 0; set; b++, set >>= 1) {
            if (!(set & 1))
                continue;
            int fd = w * BITS_PER_WORD + b;
            /* Any open fd, O_PATH included (it is then never ready). */
            struct file *f = fd_get_raw(t, fd);
            if (!f)
                return -LINUX_EBADF;
            file_put(f);
            max = fd + 1;
        }
    }
    return max;
}

/* Linux's do_select: fills the result sets, returns the bits set. */
static long do_select(struct task *t, int n, const struct fd_sets *s, const struct poll_timeout *to)
{
    long ret = max_select_fd(t, n, s);
    if (ret < 0)
        return ret;
    n = (int)ret;
    struct poll_table pt;
    poll_table_init(&pt, t);
    bool reg = true, timed_out = false;
    if (to->set && to->zero) {
        reg = false;
        timed_out = true;
    }
    t->wake_pending = false;
    long retval;
    int words = (n + BITS_PER_WORD - 1) / BITS_PER_WORD;
    for (;;) {
        retval = 0;
        for (int w = 0; w < words; w++) {
            uint64_t in = s->in[w], out = s->out[w], ex = s->ex[w];
            uint64_t all = in | out | ex;
            uint64_t res_in = 0, res_out = 0, res_ex = 0;
            for (int b = 0; b < BITS_PER_WORD && w * BITS_PER_WORD + b < n; b++) {
                uint64_t bit = 1ULL << b;
                if (!(all & bit))
                    continue;
                unsigned mask = LINUX_POLLNVAL;
                struct file *f = fd_get(t, w * BITS_PER_WORD + b);
                if (f) {
                    pt.key = POLLEX_SET | ((in & bit) ? POLLIN_SET : 0) |
                             ((out & bit) ? POLLOUT_SET : 0);
                    mask = file_poll(f, reg ? &pt : NULL);
                    file_put(f);
                }
                if ((mask & POLLIN_SET) && (in & bit)) {
                    res_in |= bit;
                    retval++;
                    reg = false;
                }
                if ((mask & POLLOUT_SET) && (out & bit)) {
                    res_out |= bit;
                    retval++;
                    reg = false;
                }
                if ((mask & POLLEX_SET) && (ex & bit)) {
                    res_ex |= bit;
                    retval++;
                    reg = false;
                }
            }
            s->res_in[w] = res_in;
            s->res_out[w] = res_out;
            s->res_ex[w] = res_ex;
        }
        reg = false;
        if (retval || timed_out || t->interrupt_pending)
            break;
        if (pt.failed) {
            retval = -LINUX_ENOMEM;
            break;
        }
        int err = task_block(t, to->set ? &to->end : NULL);
        if (err == -LINUX_ETIMEDOUT)
            timed_out = true;
    }
    poll_table_release(&pt);
    return retval;
}

/* Linux's core_sys_select. */
static long core_sys_select(struct task *t, int n, uaddr_t inp, uaddr_t outp, uaddr_t exp,
                            const struct poll_timeout *to)
{
    if (n < 0)
        return -LINUX_EINVAL;
    int max_fds = select_max_fds(t);
    if (n > max_fds)
        n = max_fds;
    size_t words = ((size_t)n + BITS_PER_WORD - 1) / BITS_PER_WORD;
    size_t size = words * sizeof(uint64_t);
    uint64_t stack_bits[6 * 4];
    uint64_t *bits = stack_bits;
    if (words > 4) {
        bits = calloc(6 * words, sizeof(uint64_t));
        if (!bits)
            return -LINUX_ENOMEM;
    }
    struct fd_sets s = {
        bits, bits + words, bits + 2 * words, bits + 3 * words, bits + 4 * words, bits + 5 * words};
    uaddr_t uptr[3] = {inp, outp, exp};
    uint64_t *sets[3] = {s.in, s.out, s.ex};
    uint64_t *res[3] = {s.res_in, s.res_out, s.res_ex};
    long ret = 0;
    for (int i = 0; i < 3; i++) {
        if (!uptr[i] || !size) {
            for (size_t w = 0; w < words; w++)
                sets[i][w] = 0;
        } else if (copy_in(t->mm, sets[i], uptr[i], size) < 0) {
            ret = -LINUX_EFAULT;
            goto out_free;
        }
    }
    ret = do_select(t, n, &s, to);
    if (ret < 0)
        goto out_free;
    if (ret == 0 && t->interrupt_pending) {
        ret = -LINUX_ERESTARTNOHAND;
        goto out_free;
    }
    for (int i = 0; i < 3; i++) {
        if (uptr[i] && size && copy_out(t->mm, uptr[i], res[i], size) < 0) {
            ret = -LINUX_EFAULT;
            break;
        }
    }
out_free:
    if (bits != stack_bits)
        free(bits);
    return ret;
}

SYSCALL(select)
{
    uaddr_t tvp = arg_uaddr(a, 4);
    struct poll_timeout to = {0};
    if (tvp) {
        struct linux_timeval tv;
        if (copy_in(t->mm, &tv, tvp, sizeof(tv)) < 0)
            return -LINUX_EFAULT;
        /* Linux carries whole seconds out of tv_usec. */
        if (poll_timeout_set(&to, tv.tv_sec + tv.tv_usec / 1000000,
                             (tv.tv_usec % 1000000) * 1000) != 0)
            return -LINUX_EINVAL;
    }
    long ret =
        core_sys_select(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3), &to);
    return poll_timeout_finish(t, &to, tvp, true, ret);
}

SYSCALL(pselect6)
{
    /* The sixth argument points at {const sigset_t *ss; size_t ss_len}. */
    struct {
        uint64_t ss;
        uint64_t ss_len;
    } pack = {0, 0};
    uaddr_t packp = arg_uaddr(a, 5);
    if (packp && copy_in(t->mm, &pack, packp, sizeof(pack)) < 0)
        return -LINUX_EFAULT;
    uaddr_t tsp = arg_uaddr(a, 4);
    struct poll_timeout to = {0};
    if (tsp) {
        struct linux_timespec ts;
        if (copy_in(t->mm, &ts, tsp, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        if (poll_timeout_set(&to, ts.tv_sec, ts.tv_nsec) != 0)
            return -LINUX_EINVAL;
    }
    long ret = poll_set_user_sigmask(t, (uaddr_t)pack.ss, (size_t)pack.ss_len);
    if (ret)
        return ret;
    ret = core_sys_select(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3), &to);
    return poll_timeout_finish(t, &to, tsp, false, ret);
}
