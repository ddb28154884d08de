/* Credentials (see cred.h): group lists, and the capability rules of
 * Linux's security/commoncap.c for set-id calls, execve and the capability
 * prctls. There are no user namespaces: every check is against the one
 * initial namespace, as Linux's ns_capable(&init_user_ns, ...). */
#include "sentry/kernel/cred.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/prctl.h"
#include "lib/panic.h"

bool cred_in_group(const struct cred *c, linux_gid_t gid)
{
    if (c->fsgid == gid)
        return true;
    const struct cred_groups *g = c->groups;
    if (!g)
        return false;
    int lo = 0, hi = g->count;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->gids[mid] == gid)
            return true;
        if (g->gids[mid] < gid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void groups_put(struct cred_groups *g)
{
    if (!g)
        return;
    SENTRY_ASSERT(g->refs > 0);
    if (--g->refs == 0)
        free(g);
}

void cred_copy(struct cred *dst, const struct cred *src)
{
    *dst = *src;
    if (dst->groups)
        dst->groups->refs++;
}

void cred_put(struct cred *c)
{
    groups_put(c->groups);
    c->groups = NULL;
}

static int gid_cmp(const void *a, const void *b)
{
    linux_gid_t x = *(const linux_gid_t *)a, y = *(const linux_gid_t *)b;
    return x < y ? -1 : x > y;
}

int cred_set_groups(struct cred *c, const linux_gid_t *gids, int count)
{
    struct cred_groups *g = NULL;
    if (count > 0) {
        g = malloc(sizeof(*g) + (size_t)count * sizeof(g->gids[0]));
        if (!g)
            return -LINUX_ENOMEM;
        g->refs = 1;
        g->count = count;
        memcpy(g->gids, gids, (size_t)count * sizeof(g->gids[0]));
        /* Linux's groups_sort(): sorted, duplicates kept. */
        qsort(g->gids, (size_t)count, sizeof(g->gids[0]), gid_cmp);
    }
    groups_put(c->groups);
    c->groups = g;
    return 0;
}

/* cap_emulate_setxuid(): losing uid 0 in all of r/e/s uid drops the
 * permitted and effective sets (unless keep-caps) and the ambient set;
 * euid leaving 0 drops the effective set, euid becoming 0 restores it
 * from the permitted set. */
static void emulate_setxuid(struct cred *c, const struct cred *old)
{
    bool old_root = old->uid == 0 || old->euid == 0 || old->suid == 0;
    bool new_root = c->uid == 0 || c->euid == 0 || c->suid == 0;
    if (old_root && !new_root) {
        if (!(c->securebits & LINUX_SECBIT_KEEP_CAPS)) {
            cred_set_cap_permitted(c, 0);
            cred_set_cap_effective(c, 0);
        }
        c->cap_ambient = 0;
    }
    if (old->euid == 0 && c->euid != 0)
        cred_set_cap_effective(c, 0);
    if (old->euid != 0 && c->euid == 0)
        cred_set_cap_effective(c, cred_cap_permitted(c));
}

void cred_fix_setuid(struct cred *c, const struct cred *old, bool fs)
{
    if (c->securebits & LINUX_SECBIT_NO_SETUID_FIXUP)
        return;
    if (!fs) {
        emulate_setxuid(c, old);
        return;
    }
    if (old->fsuid == 0 && c->fsuid != 0)
        cred_set_cap_effective(c, cred_cap_effective(c) & ~CRED_CAP_FS_SET);
    if (old->fsuid != 0 && c->fsuid == 0)
        cred_set_cap_effective(c,
                               cred_cap_effective(c) | (cred_cap_permitted(c) & CRED_CAP_FS_SET));
}

void cred_exec(struct cred *c, bool no_new_privs)
{
    uint64_t old_permitted = cred_cap_permitted(c);
    /* No file capabilities: root (real or effective, unless SECURE_NOROOT)
     * gets pP' = bset | pI, effective too when euid is 0; others none. */
    uint64_t permitted = 0;
    bool effective = false;
    if (!(c->securebits & LINUX_SECBIT_NOROOT)) {
        if (c->euid == 0 || c->uid == 0)
            permitted = cred_cap_bset(c) | c->cap_inheritable;
        effective = c->euid == 0;
    }
    /* "set-id": the effective ids differ from the real ones. */
    bool is_setid = c->euid != c->uid || c->egid != c->gid;
    if ((is_setid || (permitted & ~old_permitted)) && no_new_privs) {
        c->euid = c->uid;
        c->egid = c->gid;
        permitted &= old_permitted;
    }
    c->suid = c->fsuid = c->euid;
    c->sgid = c->fsgid = c->egid;
    if (is_setid)
        c->cap_ambient = 0;
    permitted |= c->cap_ambient;
    cred_set_cap_permitted(c, permitted);
    cred_set_cap_effective(c, effective ? permitted : c->cap_ambient);
    c->securebits &= ~(uint32_t)LINUX_SECBIT_KEEP_CAPS;
}

long cred_prctl_capbset_drop(struct cred *c, uint64_t cap)
{
    if (!cred_capable(c, LINUX_CAP_SETPCAP))
        return -LINUX_EPERM;
    if (cap > LINUX_CAP_LAST_CAP)
        return -LINUX_EINVAL;
    cred_set_cap_bset(c, cred_cap_bset(c) & ~(1ULL << cap));
    return 0;
}

long cred_prctl_cap_ambient(struct cred *c, uint64_t op, uint64_t cap, uint64_t arg4, uint64_t arg5)
{
    if (op == LINUX_PR_CAP_AMBIENT_CLEAR_ALL) {
        if (cap || arg4 || arg5)
            return -LINUX_EINVAL;
        c->cap_ambient = 0;
        return 0;
    }
    if (cap > LINUX_CAP_LAST_CAP || arg4 || arg5)
        return -LINUX_EINVAL;
    uint64_t bit = 1ULL << cap;
    switch (op) {
    case LINUX_PR_CAP_AMBIENT_IS_SET:
        return (c->cap_ambient & bit) != 0;
    case LINUX_PR_CAP_AMBIENT_RAISE:
        if (!(cred_cap_permitted(c) & bit) || !(c->cap_inheritable & bit) ||
            (c->securebits & LINUX_SECBIT_NO_CAP_AMBIENT_RAISE))
            return -LINUX_EPERM;
        c->cap_ambient |= bit;
        return 0;
    case LINUX_PR_CAP_AMBIENT_LOWER:
        c->cap_ambient &= ~bit;
        return 0;
    default:
        return -LINUX_EINVAL;
    }
}

long cred_prctl_set_keepcaps(struct cred *c, uint64_t keep)
{
    if (keep > 1)
        return -LINUX_EINVAL;
    if (c->securebits & LINUX_SECBIT_KEEP_CAPS_LOCKED)
        return -LINUX_EPERM;
    if (keep)
        c->securebits |= LINUX_SECBIT_KEEP_CAPS;
    else
        c->securebits &= ~(uint32_t)LINUX_SECBIT_KEEP_CAPS;
    return 0;
}

long cred_prctl_set_securebits(struct cred *c, uint64_t bits)
{
    uint64_t old = c->securebits;
    /* No change of a locked bit, no unlocking, no unknown bit, and
     * CAP_SETPCAP. */
    if ((((old & LINUX_SECURE_ALL_LOCKS) >> 1) & (old ^ bits)) ||
        (old & LINUX_SECURE_ALL_LOCKS & ~bits) ||
        (bits & ~(uint64_t)(LINUX_SECURE_ALL_LOCKS | LINUX_SECURE_ALL_BITS)) ||
        !cred_capable(c, LINUX_CAP_SETPCAP))
        return -LINUX_EPERM;
    c->securebits = (uint32_t)bits;
    return 0;
}
