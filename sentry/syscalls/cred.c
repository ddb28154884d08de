/* Credentials: the uid/gid getters and setters, within the sandbox. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/errno.h"
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

SYSCALL(getgroups)
{
    /* No supplementary groups: nothing to copy, whatever the list. */
    int size = arg_int(a, 0);
    (void)t;
    if (size < 0)
        return -LINUX_EINVAL;
    return 0;
}

/* Credentials within the sandbox. Privilege is euid 0 (no capability sets
 * yet): it may set any id; others may only move among their real,
 * effective and saved ids. The filesystem ids follow the effective ones. */

#define ID_UNCHANGED ((uint32_t)-1)

static bool id_is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
    return id == a || id == b || id == c;
}

static long set_res_ids(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t *fs, bool priv,
                        uint32_t nr, uint32_t ne, uint32_t ns)
{
    if (!priv && ((nr != ID_UNCHANGED && !id_is_one_of(nr, *r, *e, *s)) ||
                  (ne != ID_UNCHANGED && !id_is_one_of(ne, *r, *e, *s)) ||
                  (ns != ID_UNCHANGED && !id_is_one_of(ns, *r, *e, *s))))
        return -LINUX_EPERM;
    if (nr != ID_UNCHANGED)
        *r = nr;
    if (ne != ID_UNCHANGED)
        *e = ne;
    if (ns != ID_UNCHANGED)
        *s = ns;
    *fs = *e;
    return 0;
}

static long set_re_ids(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t *fs, bool priv,
                       uint32_t nr, uint32_t ne)
{
    if (!priv && ((nr != ID_UNCHANGED && nr != *r && nr != *e) ||
                  (ne != ID_UNCHANGED && !id_is_one_of(ne, *r, *e, *s))))
        return -LINUX_EPERM;
    uint32_t old_r = *r;
    if (nr != ID_UNCHANGED)
        *r = nr;
    if (ne != ID_UNCHANGED)
        *e = ne;
    if (nr != ID_UNCHANGED || (ne != ID_UNCHANGED && ne != old_r))
        *s = *e;
    *fs = *e;
    return 0;
}

static long set_one_id(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t *fs, bool priv,
                       uint32_t id)
{
    if (id == ID_UNCHANGED)
        return -LINUX_EINVAL;
    if (priv) {
        *r = *e = *s = *fs = id;
        return 0;
    }
    if (id != *r && id != *s)
        return -LINUX_EPERM;
    *e = *fs = id;
    return 0;
}

SYSCALL(setresuid)
{
    struct cred *c = &t->cred;
    return set_res_ids(&c->uid, &c->euid, &c->suid, &c->fsuid, c->euid == 0, arg_uint(a, 0),
                       arg_uint(a, 1), arg_uint(a, 2));
}

SYSCALL(setresgid)
{
    struct cred *c = &t->cred;
    return set_res_ids(&c->gid, &c->egid, &c->sgid, &c->fsgid, c->euid == 0, arg_uint(a, 0),
                       arg_uint(a, 1), arg_uint(a, 2));
}

SYSCALL(setreuid)
{
    struct cred *c = &t->cred;
    return set_re_ids(&c->uid, &c->euid, &c->suid, &c->fsuid, c->euid == 0, arg_uint(a, 0),
                      arg_uint(a, 1));
}

SYSCALL(setregid)
{
    struct cred *c = &t->cred;
    return set_re_ids(&c->gid, &c->egid, &c->sgid, &c->fsgid, c->euid == 0, arg_uint(a, 0),
                      arg_uint(a, 1));
}

SYSCALL(setuid)
{
    struct cred *c = &t->cred;
    return set_one_id(&c->uid, &c->euid, &c->suid, &c->fsuid, c->euid == 0, arg_uint(a, 0));
}

SYSCALL(setgid)
{
    struct cred *c = &t->cred;
    return set_one_id(&c->gid, &c->egid, &c->sgid, &c->fsgid, c->euid == 0, arg_uint(a, 0));
}

/* There are no supplementary groups (getgroups says none): only the empty
 * list can be set. */
SYSCALL(setgroups)
{
    int size = arg_int(a, 0);
    if (size < 0 || size > 65536)
        return -LINUX_EINVAL;
    if (t->cred.euid != 0)
        return -LINUX_EPERM;
    return size == 0 ? 0 : -LINUX_EINVAL;
}
