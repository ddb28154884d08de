/* Unit tests for sentry/kernel/cred.c: the all-zero cred is root with every
 * capability, group lists are shared by reference, and Linux's capability
 * rules for set-id changes, execve and the capability prctls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/capability.h"
#include "abi/linux/errno.h"
#include "abi/linux/prctl.h"
#include "sentry/kernel/cred.h"

#define BIT(cap) (1ULL << (cap))

static void test_zero_is_root(void **state)
{
    (void)state;
    struct cred c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET);
    assert_int_equal(cred_cap_effective(&c), CRED_CAP_FULL_SET);
    assert_int_equal(cred_cap_bset(&c), CRED_CAP_FULL_SET);
    assert_int_equal(c.cap_inheritable, 0);
    assert_int_equal(c.cap_ambient, 0);
    assert_int_equal(CRED_CAP_FULL_SET, 0x1ffffffffffULL);
    assert_true(cred_capable(&c, LINUX_CAP_SETUID));
    assert_true(cred_capable(&c, LINUX_CAP_CHECKPOINT_RESTORE));
    assert_false(cred_capable(&c, LINUX_CAP_LAST_CAP + 1));
    assert_false(cred_capable(&c, -1));
    cred_set_cap_effective(&c, BIT(LINUX_CAP_KILL));
    assert_false(cred_capable(&c, LINUX_CAP_SETUID));
    assert_true(cred_capable(&c, LINUX_CAP_KILL));
    /* Bits past CAP_LAST_CAP never show. */
    cred_set_cap_permitted(&c, ~0ULL);
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET);
}

static void test_groups(void **state)
{
    (void)state;
    struct cred a, b;
    memset(&a, 0, sizeof(a));
    a.fsgid = 50;
    assert_true(cred_in_group(&a, 50));
    assert_false(cred_in_group(&a, 7));
    const linux_gid_t gids[] = {30, 7, 1000, 7, 4};
    assert_int_equal(cred_set_groups(&a, gids, 5), 0);
    /* Sorted, duplicates kept (Linux's groups_sort). */
    assert_int_equal(a.groups->count, 5);
    const linux_gid_t sorted[] = {4, 7, 7, 30, 1000};
    assert_memory_equal(a.groups->gids, sorted, sizeof(sorted));
    for (int i = 0; i < 5; i++)
        assert_true(cred_in_group(&a, gids[i]));
    assert_false(cred_in_group(&a, 5));
    assert_false(cred_in_group(&a, 1001));
    assert_true(cred_in_group(&a, 50)); /* fsgid still */

    /* A copy shares the list; replacing one side leaves the other. */
    cred_copy(&b, &a);
    assert_ptr_equal(a.groups, b.groups);
    assert_int_equal(a.groups->refs, 2);
    const linux_gid_t one = 9;
    assert_int_equal(cred_set_groups(&a, &one, 1), 0);
    assert_int_equal(b.groups->refs, 1);
    assert_true(cred_in_group(&b, 1000));
    assert_false(cred_in_group(&a, 1000));
    assert_true(cred_in_group(&a, 9));
    assert_int_equal(cred_set_groups(&a, NULL, 0), 0);
    assert_null(a.groups);
    cred_put(&b);
    assert_null(b.groups);
    cred_put(&a);
}

static struct cred root_with(uint32_t uid, uint32_t euid, uint32_t suid)
{
    struct cred c;
    memset(&c, 0, sizeof(c));
    c.uid = uid;
    c.euid = c.fsuid = euid;
    c.suid = suid;
    return c;
}

static void test_fix_setuid(void **state)
{
    (void)state;
    /* euid 0 -> 1000 with uid and suid still 0: effective cleared,
     * permitted kept; and back: effective = permitted. */
    struct cred old = root_with(0, 0, 0), c = old;
    c.euid = c.fsuid = 1000;
    cred_fix_setuid(&c, &old, false);
    assert_int_equal(cred_cap_effective(&c), 0);
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET);
    old = c;
    c.euid = c.fsuid = 0;
    cred_fix_setuid(&c, &old, false);
    assert_int_equal(cred_cap_effective(&c), CRED_CAP_FULL_SET);

    /* All of r/e/s leave 0: permitted, effective and ambient go. */
    old = root_with(0, 0, 0);
    old.cap_inheritable = old.cap_ambient = BIT(LINUX_CAP_NET_RAW);
    c = old;
    c.uid = c.euid = c.suid = c.fsuid = 1000;
    cred_fix_setuid(&c, &old, false);
    assert_int_equal(cred_cap_permitted(&c), 0);
    assert_int_equal(cred_cap_effective(&c), 0);
    assert_int_equal(c.cap_ambient, 0);
    assert_int_equal(c.cap_inheritable, BIT(LINUX_CAP_NET_RAW));
    assert_int_equal(cred_cap_bset(&c), CRED_CAP_FULL_SET);

    /* Keep-caps keeps the permitted set (effective still goes). */
    old = root_with(0, 0, 0);
    old.securebits = LINUX_SECBIT_KEEP_CAPS;
    c = old;
    c.uid = c.euid = c.suid = c.fsuid = 1000;
    cred_fix_setuid(&c, &old, false);
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET);
    assert_int_equal(cred_cap_effective(&c), 0);

    /* NO_SETUID_FIXUP: nothing changes. */
    old = root_with(0, 0, 0);
    old.securebits = LINUX_SECBIT_NO_SETUID_FIXUP;
    c = old;
    c.uid = c.euid = c.suid = c.fsuid = 1000;
    cred_fix_setuid(&c, &old, false);
    assert_int_equal(cred_cap_effective(&c), CRED_CAP_FULL_SET);

    /* fsuid 0 -> 1000 drops the fs capabilities from effective; back to 0
     * raises those of them that are permitted. */
    old = root_with(0, 0, 0);
    c = old;
    c.fsuid = 1000;
    cred_fix_setuid(&c, &old, true);
    assert_int_equal(cred_cap_effective(&c), CRED_CAP_FULL_SET & ~CRED_CAP_FS_SET);
    assert_false(cred_capable(&c, LINUX_CAP_DAC_OVERRIDE));
    assert_true(cred_capable(&c, LINUX_CAP_SETUID));
    old = c;
    cred_set_cap_permitted(&c, cred_cap_permitted(&c) & ~BIT(LINUX_CAP_CHOWN));
    c.fsuid = 0;
    cred_fix_setuid(&c, &old, true);
    assert_true(cred_capable(&c, LINUX_CAP_DAC_OVERRIDE));
    assert_false(cred_capable(&c, LINUX_CAP_CHOWN));
}

static void test_exec(void **state)
{
    (void)state;
    /* Root gets bset | inheritable, effective too. */
    struct cred c = root_with(0, 0, 0);
    cred_set_cap_bset(&c, CRED_CAP_FULL_SET & ~BIT(LINUX_CAP_SYS_ADMIN));
    cred_set_cap_permitted(&c, BIT(LINUX_CAP_KILL));
    cred_set_cap_effective(&c, 0);
    c.securebits = LINUX_SECBIT_KEEP_CAPS;
    cred_exec(&c, false);
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET & ~BIT(LINUX_CAP_SYS_ADMIN));
    assert_int_equal(cred_cap_effective(&c), cred_cap_permitted(&c));
    assert_int_equal(c.securebits, 0);
    /* ... but not with no_new_privs: no more than it had. */
    c = root_with(0, 0, 0);
    cred_set_cap_permitted(&c, BIT(LINUX_CAP_KILL));
    cred_exec(&c, true);
    assert_int_equal(cred_cap_permitted(&c), BIT(LINUX_CAP_KILL));
    /* Real uid 0 only: permitted, not effective. */
    c = root_with(0, 1000, 1000);
    cred_set_cap_permitted(&c, 0);
    cred_set_cap_effective(&c, 0);
    cred_exec(&c, false);
    assert_int_equal(cred_cap_permitted(&c), CRED_CAP_FULL_SET);
    assert_int_equal(cred_cap_effective(&c), 0);
    assert_int_equal(c.suid, 1000);
    /* A non-root process keeps only its ambient set. */
    c = root_with(1000, 1000, 1000);
    cred_set_cap_permitted(&c, BIT(LINUX_CAP_NET_RAW) | BIT(LINUX_CAP_KILL));
    cred_set_cap_effective(&c, BIT(LINUX_CAP_KILL));
    c.cap_inheritable = c.cap_ambient = BIT(LINUX_CAP_NET_RAW);
    cred_exec(&c, false);
    assert_int_equal(cred_cap_permitted(&c), BIT(LINUX_CAP_NET_RAW));
    assert_int_equal(cred_cap_effective(&c), BIT(LINUX_CAP_NET_RAW));
    /* A set-id state (euid != uid) clears the ambient set; saved and fs
     * ids follow the effective ones. */
    c = root_with(1000, 2000, 1000);
    c.fsuid = 3000;
    cred_set_cap_permitted(&c, BIT(LINUX_CAP_NET_RAW));
    c.cap_inheritable = c.cap_ambient = BIT(LINUX_CAP_NET_RAW);
    cred_exec(&c, false);
    assert_int_equal(c.cap_ambient, 0);
    assert_int_equal(cred_cap_permitted(&c), 0);
    assert_int_equal(c.suid, 2000);
    assert_int_equal(c.fsuid, 2000);
}

static void test_prctls(void **state)
{
    (void)state;
    struct cred c;
    memset(&c, 0, sizeof(c));
    /* Ambient: raising needs permitted and inheritable. */
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_RAISE, LINUX_CAP_KILL, 0, 0),
                     -LINUX_EPERM);
    c.cap_inheritable = BIT(LINUX_CAP_KILL);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_RAISE, LINUX_CAP_KILL, 0, 0),
                     0);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_IS_SET, LINUX_CAP_KILL, 0, 0),
                     1);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_IS_SET, 41, 0, 0),
                     -LINUX_EINVAL);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_IS_SET, 1, 1, 0),
                     -LINUX_EINVAL);
    assert_int_equal(cred_prctl_cap_ambient(&c, 9, 1, 0, 0), -LINUX_EINVAL);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0),
                     -LINUX_EINVAL);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_LOWER, LINUX_CAP_KILL, 0, 0),
                     0);
    assert_int_equal(c.cap_ambient, 0);
    c.cap_ambient = BIT(3);
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 0);
    assert_int_equal(c.cap_ambient, 0);
    c.securebits = LINUX_SECBIT_NO_CAP_AMBIENT_RAISE;
    assert_int_equal(cred_prctl_cap_ambient(&c, LINUX_PR_CAP_AMBIENT_RAISE, LINUX_CAP_KILL, 0, 0),
                     -LINUX_EPERM);
    c.securebits = 0;

    /* Bounding set: CAP_SETPCAP and a valid number. */
    assert_int_equal(cred_prctl_capbset_drop(&c, 41), -LINUX_EINVAL);
    assert_int_equal(cred_prctl_capbset_drop(&c, LINUX_CAP_SYS_ADMIN), 0);
    assert_int_equal(cred_cap_bset(&c), CRED_CAP_FULL_SET & ~BIT(LINUX_CAP_SYS_ADMIN));
    cred_set_cap_effective(&c, 0);
    assert_int_equal(cred_prctl_capbset_drop(&c, LINUX_CAP_KILL), -LINUX_EPERM);
    assert_int_equal(cred_prctl_set_securebits(&c, LINUX_SECBIT_KEEP_CAPS), -LINUX_EPERM);
    cred_set_cap_effective(&c, CRED_CAP_FULL_SET);

    /* Keep-caps and securebits locks. */
    assert_int_equal(cred_prctl_set_keepcaps(&c, 2), -LINUX_EINVAL);
    assert_int_equal(cred_prctl_set_keepcaps(&c, 1), 0);
    assert_int_equal(c.securebits, LINUX_SECBIT_KEEP_CAPS);
    assert_int_equal(cred_prctl_set_securebits(&c, 0x100), -LINUX_EPERM);
    assert_int_equal(
        cred_prctl_set_securebits(&c, LINUX_SECBIT_KEEP_CAPS | LINUX_SECBIT_KEEP_CAPS_LOCKED), 0);
    assert_int_equal(cred_prctl_set_keepcaps(&c, 0), -LINUX_EPERM);
    assert_int_equal(cred_prctl_set_securebits(&c, LINUX_SECBIT_KEEP_CAPS_LOCKED), -LINUX_EPERM);
    assert_int_equal(cred_prctl_set_securebits(&c, LINUX_SECBIT_KEEP_CAPS), -LINUX_EPERM);
    assert_int_equal(cred_prctl_set_securebits(&c, LINUX_SECBIT_KEEP_CAPS |
                                                       LINUX_SECBIT_KEEP_CAPS_LOCKED |
                                                       LINUX_SECBIT_NOROOT),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_is_root), cmocka_unit_test(test_groups),
        cmocka_unit_test(test_fix_setuid),   cmocka_unit_test(test_exec),
        cmocka_unit_test(test_prctls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
