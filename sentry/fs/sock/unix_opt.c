/* AF_UNIX socket options: Linux's sk_getsockopt / sk_setsockopt for the
 * SOL_SOCKET options an AF_UNIX socket answers (see unix.h). Buffer sizes
 * are doubled on the way in with Linux's floors; timeouts are kept in
 * jiffies (HZ=250) as Linux does, so values read back are Linux's.
 *
 * Lock order: the kernel lock. */
#include <limits.h>
#include <string.h>

#include "abi/linux/capability.h"
#include "abi/linux/errno.h"
#include "sentry/fs/sock/unix_impl.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

/* The unprivileged range of SO_PRIORITY. */
#define SOCK_PRIO_MAX_USER 6

static uint64_t next_cookie = 1;

/* --- socket options (Linux's sk_getsockopt / sk_setsockopt) --- */

/* A timeout in jiffies as struct timeval (sock_get_timeout). */
static void timeo_to_timeval(long timeo, int64_t out[2])
{
    if (timeo == SOCK_TIMEO_MAX) {
        out[0] = out[1] = 0;
    } else {
        out[0] = timeo / SOCK_HZ;
        out[1] = (timeo % SOCK_HZ) * 1000000 / SOCK_HZ;
    }
}

/* sock_set_timeout: a struct timeval (old and new layouts are the same
 * size on x86_64) into jiffies, rounded up. */
static int timeval_to_timeo(const void *val, int len, long *out)
{
    int64_t tv[2];
    if (len < (int)sizeof(tv))
        return -LINUX_EINVAL;
    memcpy(tv, val, sizeof(tv));
    if (tv[1] < 0 || tv[1] >= 1000000)
        return -LINUX_EDOM;
    if (tv[0] < 0) {
        *out = 0; /* Linux: a negative time means "do not wait" */
        return 0;
    }
    long v = SOCK_TIMEO_MAX;
    if ((tv[0] || tv[1]) && tv[0] < SOCK_TIMEO_MAX / SOCK_HZ - 1)
        v = (long)tv[0] * SOCK_HZ + (long)((tv[1] + 1000000 / SOCK_HZ - 1) / (1000000 / SOCK_HZ));
    *out = v;
    return 0;
}

static bool capable(const struct task *t, int cap)
{
    return cred_capable(&t->cred, cap);
}

/* sockopt_capable(CAP_NET_RAW) || sockopt_capable(CAP_NET_ADMIN) */
static bool capable_net(const struct task *t)
{
    return capable(t, LINUX_CAP_NET_RAW) || capable(t, LINUX_CAP_NET_ADMIN);
}

int unix_getsockopt(struct file *f, int name, void *out_val, int *out_len)
{
    struct unix_sock *u = f->priv;
    int v = 0;
    switch (name) {
    case LINUX_SO_DEBUG:
        v = u->opt_debug;
        break;
    case LINUX_SO_DONTROUTE:
        v = u->opt_dontroute;
        break;
    case LINUX_SO_BROADCAST:
        v = u->opt_broadcast;
        break;
    case LINUX_SO_SNDBUF:
        v = u->sndbuf;
        break;
    case LINUX_SO_RCVBUF:
        v = u->rcvbuf;
        break;
    case LINUX_SO_REUSEADDR:
        v = u->opt_reuseaddr;
        break;
    case LINUX_SO_REUSEPORT:
        v = 0;
        break;
    case LINUX_SO_KEEPALIVE:
        v = u->opt_keepalive;
        break;
    case LINUX_SO_TYPE:
        v = u->type;
        break;
    case LINUX_SO_PROTOCOL:
        v = 0; /* AF_UNIX sockets keep no protocol number */
        break;
    case LINUX_SO_DOMAIN:
        v = LINUX_AF_UNIX;
        break;
    case LINUX_SO_ERROR:
        v = -usock_error(u);
        break;
    case LINUX_SO_OOBINLINE:
        v = u->opt_oobinline;
        break;
    case LINUX_SO_NO_CHECK:
        v = u->opt_no_check;
        break;
    case LINUX_SO_PRIORITY:
        v = u->priority;
        break;
    case LINUX_SO_LINGER: {
        struct linux_linger l = {u->linger_on, u->linger_secs};
        memcpy(out_val, &l, sizeof(l));
        *out_len = sizeof(l);
        return 0;
    }
    case LINUX_SO_BSDCOMPAT:
        v = 0;
        break;
    case LINUX_SO_PASSSEC:
        v = u->opt_passsec;
        break;
    case LINUX_SO_MARK:
        v = (int)u->mark;
        break;
    case LINUX_SO_RCVTIMEO_OLD:
    case LINUX_SO_RCVTIMEO_NEW:
    case LINUX_SO_SNDTIMEO_OLD:
    case LINUX_SO_SNDTIMEO_NEW: {
        bool rcv = name == LINUX_SO_RCVTIMEO_OLD || name == LINUX_SO_RCVTIMEO_NEW;
        int64_t tv[2];
        timeo_to_timeval(rcv ? u->rcvtimeo : u->sndtimeo, tv);
        memcpy(out_val, tv, sizeof(tv));
        *out_len = sizeof(tv);
        return 0;
    }
    case LINUX_SO_RCVLOWAT:
        v = u->rcvlowat;
        break;
    case LINUX_SO_SNDLOWAT:
        v = 1;
        break;
    case LINUX_SO_PASSCRED:
        v = u->passcred;
        break;
    case LINUX_SO_PEERCRED:
        memcpy(out_val, &u->peercred, sizeof(u->peercred));
        *out_len = sizeof(u->peercred);
        return 0;
    case LINUX_SO_ACCEPTCONN:
        v = u->state == UNIX_LISTEN;
        break;
    case LINUX_SO_PEEK_OFF:
        v = u->peek_off;
        break;
    case LINUX_SO_COOKIE: {
        if (!u->cookie)
            u->cookie = next_cookie++;
        memcpy(out_val, &u->cookie, sizeof(u->cookie));
        *out_len = sizeof(u->cookie);
        return 0;
    }
    default:
        return -LINUX_ENOPROTOOPT;
    }
    memcpy(out_val, &v, sizeof(v));
    *out_len = sizeof(v);
    return 0;
}

static void set_sndbuf(struct unix_sock *u, int val)
{
    if (val > INT_MAX / 2)
        val = INT_MAX / 2;
    u->sndbuf = val * 2 > SOCK_MIN_SNDBUF ? val * 2 : SOCK_MIN_SNDBUF;
    /* sk_write_space: wake writers if there is room now. */
    if (usock_writable(u))
        waitqueue_wake_all(&u->wq);
}

static void set_rcvbuf(struct unix_sock *u, int val)
{
    if (val > INT_MAX / 2)
        val = INT_MAX / 2;
    u->rcvbuf = val * 2 > SOCK_MIN_RCVBUF ? val * 2 : SOCK_MIN_RCVBUF;
}

int unix_setsockopt(struct file *f, int name, const void *val, int len)
{
    struct unix_sock *u = f->priv;
    struct task *t = task_current();
    if (len < (int)sizeof(int))
        return -LINUX_EINVAL;
    int v;
    memcpy(&v, val, sizeof(v));
    bool on = v != 0;
    switch (name) {
    case LINUX_SO_DEBUG:
        if (on && !capable(t, LINUX_CAP_NET_ADMIN))
            return -LINUX_EACCES;
        u->opt_debug = on;
        return 0;
    case LINUX_SO_REUSEADDR:
        u->opt_reuseaddr = on;
        return 0;
    case LINUX_SO_REUSEPORT:
        return on ? -LINUX_EOPNOTSUPP : 0; /* inet sockets only */
    case LINUX_SO_DONTROUTE:
        u->opt_dontroute = on;
        return 0;
    case LINUX_SO_BROADCAST:
        u->opt_broadcast = on;
        return 0;
    case LINUX_SO_SNDBUF:
        set_sndbuf(u, (unsigned)v > SOCK_WMEM_MAX ? SOCK_WMEM_MAX : v);
        return 0;
    case LINUX_SO_SNDBUFFORCE:
        if (!capable(t, LINUX_CAP_NET_ADMIN))
            return -LINUX_EPERM;
        set_sndbuf(u, v < 0 ? 0 : v);
        return 0;
    case LINUX_SO_RCVBUF:
        set_rcvbuf(u, (unsigned)v > SOCK_RMEM_MAX ? SOCK_RMEM_MAX : v);
        return 0;
    case LINUX_SO_RCVBUFFORCE:
        if (!capable(t, LINUX_CAP_NET_ADMIN))
            return -LINUX_EPERM;
        set_rcvbuf(u, v < 0 ? 0 : v);
        return 0;
    case LINUX_SO_KEEPALIVE:
        u->opt_keepalive = on;
        return 0;
    case LINUX_SO_OOBINLINE:
        u->opt_oobinline = on;
        return 0;
    case LINUX_SO_NO_CHECK:
        u->opt_no_check = on;
        return 0;
    case LINUX_SO_PRIORITY:
        if ((v < 0 || v > SOCK_PRIO_MAX_USER) && !capable_net(t))
            return -LINUX_EPERM;
        u->priority = v;
        return 0;
    case LINUX_SO_LINGER: {
        struct linux_linger l;
        if (len < (int)sizeof(l))
            return -LINUX_EINVAL;
        memcpy(&l, val, sizeof(l));
        u->linger_on = l.l_onoff != 0;
        if (l.l_onoff)
            u->linger_secs = l.l_linger;
        return 0;
    }
    case LINUX_SO_BSDCOMPAT:
        return 0;
    case LINUX_SO_PASSCRED:
        u->passcred = on;
        return 0;
    case LINUX_SO_PASSSEC:
        u->opt_passsec = on;
        return 0;
    case LINUX_SO_RCVTIMEO_OLD:
    case LINUX_SO_RCVTIMEO_NEW:
        return timeval_to_timeo(val, len, &u->rcvtimeo);
    case LINUX_SO_SNDTIMEO_OLD:
    case LINUX_SO_SNDTIMEO_NEW:
        return timeval_to_timeo(val, len, &u->sndtimeo);
    case LINUX_SO_RCVLOWAT:
        if (v < 0)
            v = INT_MAX;
        u->rcvlowat = v ? v : 1;
        return 0;
    case LINUX_SO_MARK:
        if (!capable_net(t))
            return -LINUX_EPERM;
        u->mark = (uint32_t)v;
        return 0;
    case LINUX_SO_PEEK_OFF:
        u->peek_off = v;
        return 0;
    default:
        return -LINUX_ENOPROTOOPT;
    }
}
