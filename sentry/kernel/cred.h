/* Credentials: capability sets, supplementary groups and Linux's rules for
 * how set-id calls and execve change capabilities (security/commoncap.c).
 * struct cred itself is in sentry/kernel/task.h.
 *
 * Each task owns its struct cred (Linux's are per thread too). The group
 * list is shared by reference between copies: cred_copy() takes a
 * reference, cred_put() drops it, and a copy made with plain assignment
 * must not outlive the cred it was copied from.
 *
 * Lock order: the kernel lock covers every cred. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/capability.h"
#include "abi/linux/types.h"
#include "sentry/kernel/task.h"

/* Every capability Linux 6.1 knows (CAP_LAST_CAP 40). */
#define CRED_CAP_FULL_SET ((1ULL << (LINUX_CAP_LAST_CAP + 1)) - 1)
/* The capabilities a change of fsuid from or to 0 drops or raises
 * (Linux's CAP_FS_SET). */
#define CRED_CAP_FS_SET                                                                            \
    ((1ULL << LINUX_CAP_CHOWN) | (1ULL << LINUX_CAP_DAC_OVERRIDE) |                                \
     (1ULL << LINUX_CAP_DAC_READ_SEARCH) | (1ULL << LINUX_CAP_FOWNER) |                            \
     (1ULL << LINUX_CAP_FSETID) | (1ULL << LINUX_CAP_LINUX_IMMUTABLE) |                            \
     (1ULL << LINUX_CAP_MKNOD) | (1ULL << LINUX_CAP_MAC_OVERRIDE))
/* setgroups accepts at most this many groups (NGROUPS_MAX). */
#define CRED_NGROUPS_MAX 65536

struct cred_groups {
    int refs;
    int count;
    linux_gid_t gids[]; /* sorted */
};

static inline uint64_t cred_cap_permitted(const struct cred *c)
{
    return ~c->cap_permitted_missing & CRED_CAP_FULL_SET;
}

static inline uint64_t cred_cap_effective(const struct cred *c)
{
    return ~c->cap_effective_missing & CRED_CAP_FULL_SET;
}

static inline uint64_t cred_cap_bset(const struct cred *c)
{
    return ~c->cap_bset_missing & CRED_CAP_FULL_SET;
}

static inline void cred_set_cap_permitted(struct cred *c, uint64_t set)
{
    c->cap_permitted_missing = ~set & CRED_CAP_FULL_SET;
}

static inline void cred_set_cap_effective(struct cred *c, uint64_t set)
{
    c->cap_effective_missing = ~set & CRED_CAP_FULL_SET;
}

static inline void cred_set_cap_bset(struct cred *c, uint64_t set)
{
    c->cap_bset_missing = ~set & CRED_CAP_FULL_SET;
}

/* Linux's capable(): cap is in c's effective set. */
static inline bool cred_capable(const struct cred *c, int cap)
{
    return cap >= 0 && cap <= LINUX_CAP_LAST_CAP && (cred_cap_effective(c) >> cap & 1);
}

/* Linux's in_group_p(): gid is c's fsgid or one of its supplementary
 * groups. */
bool cred_in_group(const struct cred *c, linux_gid_t gid);

/* *dst = *src, with a reference on src's group list. dst must not hold a
 * list of its own (put it first). */
void cred_copy(struct cred *dst, const struct cred *src);
/* Drops c's reference on its group list. */
void cred_put(struct cred *c);
/* Replaces c's supplementary groups with count gids (any order; sorted
 * here). Returns 0 or -ENOMEM. */
int cred_set_groups(struct cred *c, const linux_gid_t *gids, int count);

/* Linux's cap_task_fix_setuid(): adjusts c's capabilities after a change of
 * its uids from old's. fs says only the fsuid changed (setfsuid). */
void cred_fix_setuid(struct cred *c, const struct cred *old, bool fs);
/* execve of a file with no set-id bit and no file capabilities (what moat
 * runs), past its point of no return: Linux's cap_bprm_creds_from_file().
 * Root gets the bounding set (plus the inheritable one), others keep only
 * their ambient capabilities; saved and fs ids follow the effective ones;
 * keep-caps is cleared. With no_new_privs (the task's PR_SET_NO_NEW_PRIVS)
 * nothing is gained. */
void cred_exec(struct cred *c, bool no_new_privs);

/* The capability prctls (Linux's cap_task_prctl). Each returns the prctl
 * result or -errno. */
long cred_prctl_capbset_drop(struct cred *c, uint64_t cap);
long cred_prctl_cap_ambient(struct cred *c, uint64_t op, uint64_t cap, uint64_t arg4,
                            uint64_t arg5);
long cred_prctl_set_keepcaps(struct cred *c, uint64_t keep);
long cred_prctl_set_securebits(struct cred *c, uint64_t bits);
