/* Credentials: the uid/gid getters and setters, supplementary groups and
 * capget/capset, within the sandbox (no user namespaces: ids are the
 * sandbox's own). Privilege is Linux's: CAP_SETUID for uids, CAP_SETGID for
 * gids and groups, and a change of uids adjusts the capability sets
 * (cred_fix_setuid, sentry/kernel/cred.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "abi/linux/capability.h"
#include "abi/linux/errno.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

SYSCALL(getuid)
{
    (void)a;
    return t->cred.uid;
}

SYSCALL(geteuid)
{
    (void)a;
    return t->cred.euid;
}

SYSCALL(getgid)
{
    (void)a;
    return t->cred.gid;
}

SYSCALL(getegid)
{
    (void)a;
    return t->cred.egid;
}

/* getresuid/getresgid: three put_user()s, stopping at the first fault. */
static long put_ids(struct task *t, const struct syscall_args *a, const uint32_t ids[3])
{
    for (int i = 0; i < 3; i++)
        if (copy_out(t->mm, arg_uaddr(a, i), &ids[i], sizeof(ids[i])) < 0)
            return -LINUX_EFAULT;
    return 0;
}

SYSCALL(getresuid)
{
    const uint32_t ids[3] = {t->cred.uid, t->cred.euid, t->cred.suid};
    return put_ids(t, a, ids);
}

SYSCALL(getresgid)
{
    const uint32_t ids[3] = {t->cred.gid, t->cred.egid, t->cred.sgid};
    return put_ids(t, a, ids);
}

/* The set-id rules are the same for uids and gids; only the privilege
 * (CAP_SETUID / CAP_SETGID) and the capability fix-up (uids only) differ.
 * Each helper works on one id family of c. (uint32_t)-1 is "unchanged". */

#define ID_UNCHANGED ((uint32_t)-1)

struct ids {
    uint32_t *r, *e, *s, *fs;
};

static struct ids uids_of(struct cred *c)
{
    return (struct ids){&c->uid, &c->euid, &c->suid, &c->fsuid};
}

static struct ids gids_of(struct cred *c)
{
    return (struct ids){&c->gid, &c->egid, &c->sgid, &c->fsgid};
}

static bool id_is_one_of(uint32_t id, const struct ids *x)
{
    return id == *x->r || id == *x->e || id == *x->s;
}

/* setresuid/setresgid. Returns 1 when nothing changed (no fix-up). */
static long set_res_ids(struct ids x, bool priv, uint32_t nr, uint32_t ne, uint32_t ns)
{
    if ((nr == ID_UNCHANGED || nr == *x.r) && (ne == ID_UNCHANGED || (ne == *x.e && ne == *x.fs)) &&
        (ns == ID_UNCHANGED || ns == *x.s))
        return 1;
    if (!priv && ((nr != ID_UNCHANGED && !id_is_one_of(nr, &x)) ||
                  (ne != ID_UNCHANGED && !id_is_one_of(ne, &x)) ||
                  (ns != ID_UNCHANGED && !id_is_one_of(ns, &x))))
        return -LINUX_EPERM;
    if (nr != ID_UNCHANGED)
        *x.r = nr;
    if (ne != ID_UNCHANGED)
        *x.e = ne;
    if (ns != ID_UNCHANGED)
        *x.s = ns;
    *x.fs = *x.e;
    return 0;
}

/* setreuid/setregid. */
static long set_re_ids(struct ids x, bool priv, uint32_t nr, uint32_t ne)
{
    if (!priv && ((nr != ID_UNCHANGED && nr != *x.r && nr != *x.e) ||
                  (ne != ID_UNCHANGED && !id_is_one_of(ne, &x))))
        return -LINUX_EPERM;
    uint32_t old_r = *x.r;
    if (nr != ID_UNCHANGED)
        *x.r = nr;
    if (ne != ID_UNCHANGED)
        *x.e = ne;
    if (nr != ID_UNCHANGED || (ne != ID_UNCHANGED && ne != old_r))
        *x.s = *x.e;
    *x.fs = *x.e;
    return 0;
}

/* setuid/setgid: privileged, all ids; else only the effective (and fs) id,
 * to the real or saved one. */
static long set_one_id(struct ids x, bool priv, uint32_t id)
{
    if (id == ID_UNCHANGED)
        return -LINUX_EINVAL;
    if (priv)
        *x.r = *x.s = id;
    else if (id != *x.r && id != *x.s)
        return -LINUX_EPERM;
    *x.e = *x.fs = id;
    return 0;
}

/* setfsuid/setfsgid: always returns the old fs id; changes it to one of
 * the other ids, or to any id with privilege. Returns whether it changed. */
static bool set_fs_id(struct ids x, bool priv, uint32_t id)
{
    if (id == ID_UNCHANGED || id == *x.fs)
        return false;
    if (!priv && !id_is_one_of(id, &x))
        return false;
    *x.fs = id;
    return true;
}

/* Runs a uid change on t's cred and the capability fix-up after it. */
static long uid_change_done(struct task *t, const struct cred *old, long err)
{
    if (err < 0)
        return err;
    if (err == 0)
        cred_fix_setuid(&t->cred, old, false);
    return 0;
}

SYSCALL(setresuid)
{
    struct cred *c = &t->cred, old = *c;
    long err = set_res_ids(uids_of(c), cred_capable(c, LINUX_CAP_SETUID), arg_uint(a, 0),
                           arg_uint(a, 1), arg_uint(a, 2));
    return uid_change_done(t, &old, err);
}

SYSCALL(setreuid)
{
    struct cred *c = &t->cred, old = *c;
    long err =
        set_re_ids(uids_of(c), cred_capable(c, LINUX_CAP_SETUID), arg_uint(a, 0), arg_uint(a, 1));
    return uid_change_done(t, &old, err);
}

SYSCALL(setuid)
{
    struct cred *c = &t->cred, old = *c;
    long err = set_one_id(uids_of(c), cred_capable(c, LINUX_CAP_SETUID), arg_uint(a, 0));
    return uid_change_done(t, &old, err);
}

SYSCALL(setresgid)
{
    struct cred *c = &t->cred;
    long err = set_res_ids(gids_of(c), cred_capable(c, LINUX_CAP_SETGID), arg_uint(a, 0),
                           arg_uint(a, 1), arg_uint(a, 2));
    return err < 0 ? err : 0;
}

SYSCALL(setregid)
{
    struct cred *c = &t->cred;
    return set_re_ids(gids_of(c), cred_capable(c, LINUX_CAP_SETGID), arg_uint(a, 0),
                      arg_uint(a, 1));
}

SYSCALL(setgid)
{
    struct cred *c = &t->cred;
    return set_one_id(gids_of(c), cred_capable(c, LINUX_CAP_SETGID), arg_uint(a, 0));
}

SYSCALL(setfsuid)
{
    struct cred *c = &t->cred, old = *c;
    if (set_fs_id(uids_of(c), cred_capable(c, LINUX_CAP_SETUID), arg_uint(a, 0)))
        cred_fix_setuid(c, &old, true);
    return old.fsuid;
}

SYSCALL(setfsgid)
{
    struct cred *c = &t->cred;
    uint32_t old = c->fsgid;
    set_fs_id(gids_of(c), cred_capable(c, LINUX_CAP_SETGID), arg_uint(a, 0));
    return old;
}

SYSCALL(getgroups)
{
    int size = arg_int(a, 0);
    if (size < 0)
        return -LINUX_EINVAL;
    const struct cred_groups *g = t->cred.groups;
    int count = g ? g->count : 0;
    if (size == 0 || count == 0)
        return count;
    if (count > size)
        return -LINUX_EINVAL;
    if (copy_out(t->mm, arg_uaddr(a, 1), g->gids, (size_t)count * sizeof(g->gids[0])) < 0)
        return -LINUX_EFAULT;
    return count;
}

SYSCALL(setgroups)
{
    int size = arg_int(a, 0);
    if (!cred_capable(&t->cred, LINUX_CAP_SETGID))
        return -LINUX_EPERM;
    if ((unsigned)size > CRED_NGROUPS_MAX)
        return -LINUX_EINVAL;
    linux_gid_t *gids = NULL;
    if (size > 0) {
        gids = malloc((size_t)size * sizeof(*gids));
        if (!gids)
            return -LINUX_ENOMEM;
    }
    /* Linux reads the groups one by one: an invalid one (-1) before a
     * fault is EINVAL. */
    size_t got = size > 0
                     ? copy_in_partial(t->mm, gids, arg_uaddr(a, 1), (size_t)size * sizeof(*gids)) /
                           sizeof(*gids)
                     : 0;
    long err = 0;
    for (size_t i = 0; i < got && !err; i++)
        if (gids[i] == ID_UNCHANGED)
            err = -LINUX_EINVAL;
    if (!err && got < (size_t)size)
        err = -LINUX_EFAULT;
    if (!err)
        err = cred_set_groups(&t->cred, gids, size);
    free(gids);
    return err;
}

/* capget/capset's header check (Linux's cap_validate_magic): the number of
 * data structs the version carries, or -EINVAL after writing the version
 * the kernel prefers back into the header. */
static long cap_header_version(struct task *t, uaddr_t uheader, unsigned *out_count)
{
    uint32_t version;
    if (copy_in(t->mm, &version, uheader, sizeof(version)) < 0)
        return -LINUX_EFAULT;
    switch (version) {
    case LINUX_CAPABILITY_VERSION_1:
        *out_count = LINUX_CAPABILITY_U32S_1;
        return 0;
    case LINUX_CAPABILITY_VERSION_2:
    case LINUX_CAPABILITY_VERSION_3:
        *out_count = LINUX_CAPABILITY_U32S_3;
        return 0;
    default:
        version = LINUX_CAPABILITY_VERSION_3;
        if (copy_out(t->mm, uheader, &version, sizeof(version)) < 0)
            return -LINUX_EFAULT;
        return -LINUX_EINVAL;
    }
}

static int32_t cap_header_pid(struct task *t, uaddr_t uheader, long *out_err)
{
    int32_t pid = 0;
    *out_err =
        copy_in(t->mm, &pid, uheader + offsetof(struct linux_cap_header, pid), sizeof(pid)) < 0
            ? -LINUX_EFAULT
            : 0;
    return pid;
}

SYSCALL(capget)
{
    uaddr_t uheader = arg_uaddr(a, 0), udata = arg_uaddr(a, 1);
    unsigned count;
    long err = cap_header_version(t, uheader, &count);
    /* A NULL data pointer probes the version: 0 even for a bad one. */
    if (!udata || err)
        return !udata && err == -LINUX_EINVAL ? 0 : err;
    int32_t pid = cap_header_pid(t, uheader, &err);
    if (err)
        return err;
    if (pid < 0)
        return -LINUX_EINVAL;
    const struct task *target = t;
    if (pid != 0 && pid != t->tid) {
        target = task_find(pid);
        if (!target)
            return -LINUX_ESRCH;
    }
    const struct cred *c = &target->cred;
    uint64_t e = cred_cap_effective(c), p = cred_cap_permitted(c), i = c->cap_inheritable;
    struct linux_cap_data data[LINUX_CAPABILITY_U32S_3];
    for (unsigned n = 0; n < LINUX_CAPABILITY_U32S_3; n++)
        data[n] = (struct linux_cap_data){(uint32_t)(e >> (32 * n)), (uint32_t)(p >> (32 * n)),
                                          (uint32_t)(i >> (32 * n))};
    /* Version 1 silently gets only the low 32 capabilities. */
    if (copy_out(t->mm, udata, data, count * sizeof(data[0])) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(capset)
{
    uaddr_t uheader = arg_uaddr(a, 0), udata = arg_uaddr(a, 1);
    unsigned count;
    long err = cap_header_version(t, uheader, &count);
    if (err)
        return err;
    int32_t pid = cap_header_pid(t, uheader, &err);
    if (err)
        return err;
    if (pid != 0 && pid != t->tid)
        return -LINUX_EPERM; /* only the caller's own */
    struct linux_cap_data data[LINUX_CAPABILITY_U32S_3] = {{0}};
    if (copy_in(t->mm, data, udata, count * sizeof(data[0])) < 0)
        return -LINUX_EFAULT;
    uint64_t e = 0, p = 0, i = 0;
    for (unsigned n = 0; n < count; n++) {
        e |= (uint64_t)data[n].effective << (32 * n);
        p |= (uint64_t)data[n].permitted << (32 * n);
        i |= (uint64_t)data[n].inheritable << (32 * n);
    }
    e &= CRED_CAP_FULL_SET;
    p &= CRED_CAP_FULL_SET;
    i &= CRED_CAP_FULL_SET;
    /* Linux's cap_capset(): the inheritable set grows only within the
     * permitted set (unless CAP_SETPCAP) and the bounding set; the
     * permitted set only shrinks; effective stays within permitted. */
    struct cred *c = &t->cred;
    uint64_t old_p = cred_cap_permitted(c), old_i = c->cap_inheritable;
    if (!cred_capable(c, LINUX_CAP_SETPCAP) && (i & ~(old_i | old_p)))
        return -LINUX_EPERM;
    if (i & ~(old_i | cred_cap_bset(c)))
        return -LINUX_EPERM;
    if (p & ~old_p)
        return -LINUX_EPERM;
    if (e & ~p)
        return -LINUX_EPERM;
    cred_set_cap_effective(c, e);
    cred_set_cap_permitted(c, p);
    c->cap_inheritable = i;
    c->cap_ambient &= p & i;
    return 0;
}
