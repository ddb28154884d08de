/* Capabilities of a root process: capget/capset (header versions, the
 * version write-back, other pids, the rules on what capset may change),
 * how setuid-family calls change the sets, keep-caps, the ambient and
 * bounding sets through prctl, and capabilities being what privileged
 * calls check. Run as root (moat's first process is root with every
 * capability; natively the test expects root). Each change happens in a
 * forked child. */
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BIT(c) (1ULL << (c))

struct caps {
    uint64_t eff, prm, inh;
};

static long capget_raw(uint32_t version, int pid, struct __user_cap_data_struct *data)
{
    struct __user_cap_header_struct h = {version, pid};
    return syscall(SYS_capget, &h, data);
}

static struct caps get_caps(void)
{
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    REQUIRE(capget_raw(_LINUX_CAPABILITY_VERSION_3, 0, d) == 0, "capget: %s", strerror(errno));
    return (struct caps){d[0].effective | (uint64_t)d[1].effective << 32,
                         d[0].permitted | (uint64_t)d[1].permitted << 32,
                         d[0].inheritable | (uint64_t)d[1].inheritable << 32};
}

static long set_caps(struct caps c)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)c.eff, (uint32_t)c.prm, (uint32_t)c.inh},
        {(uint32_t)(c.eff >> 32), (uint32_t)(c.prm >> 32), (uint32_t)(c.inh >> 32)},
    };
    return syscall(SYS_capset, &h, d);
}

static uint64_t bounding_set(void)
{
    uint64_t set = 0;
    for (int c = 0; c <= CAP_LAST_CAP; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            set |= BIT(c);
    return set;
}

/* Runs fn in a child; its failed checks count here through the exit code. */
static void in_child(void (*fn)(void), const char *what)
{
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        fn();
        _exit(check_failures ? 1 : 0);
    }
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", what, st);
}

static void test_root_sets(void)
{
    struct caps c = get_caps();
    uint64_t bset = bounding_set();
    CHECK(c.prm != 0 && c.eff == c.prm, "eff %#llx prm %#llx", (unsigned long long)c.eff,
          (unsigned long long)c.prm);
    CHECK((c.prm & ~bset) == 0, "permitted %#llx outside bounding %#llx", (unsigned long long)c.prm,
          (unsigned long long)bset);
    CHECK(c.inh == 0, "inheritable %#llx", (unsigned long long)c.inh);
    CHECK(c.prm & BIT(CAP_SETUID), "no CAP_SETUID");
    CHECK(c.prm & BIT(CAP_SETGID), "no CAP_SETGID");
    CHECK(c.prm & BIT(CAP_SETPCAP), "no CAP_SETPCAP");
    CHECK_ERRNO(prctl(PR_CAPBSET_READ, CAP_LAST_CAP + 1, 0, 0, 0), EINVAL);
    CHECK_RET(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0), 0);
}

static void test_capget_versions(void)
{
    struct caps c = get_caps();
    struct __user_cap_data_struct d[2];
    /* Version 1: one struct, the low 32 capabilities; the rest untouched. */
    memset(d, 0x5a, sizeof(d));
    CHECK_RET(capget_raw(_LINUX_CAPABILITY_VERSION_1, 0, d), 0);
    CHECK(d[0].permitted == (uint32_t)c.prm, "v1 permitted %#x", d[0].permitted);
    CHECK(d[1].permitted == 0x5a5a5a5a, "v1 wrote a second struct");
    /* Version 2 is 3's twin. */
    memset(d, 0, sizeof(d));
    CHECK_RET(capget_raw(_LINUX_CAPABILITY_VERSION_2, 0, d), 0);
    CHECK(d[1].permitted == (uint32_t)(c.prm >> 32), "v2 high permitted %#x", d[1].permitted);
    /* A bad version: EINVAL and the preferred version written back; with
     * no data pointer that is a probe and succeeds. */
    struct __user_cap_header_struct h = {0x12345678, 0};
    CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "version written back %#x", h.version);
    h.version = 1;
    CHECK_RET(syscall(SYS_capget, &h, NULL), 0);
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "probe version %#x", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    CHECK_RET(syscall(SYS_capget, &h, NULL), 0);
    CHECK_ERRNO(syscall(SYS_capget, NULL, d), EFAULT);
    CHECK_ERRNO(syscall(SYS_capget, &h, (void *)8), EFAULT);
    /* Other pids: readable; negative EINVAL; missing ESRCH. */
    CHECK_RET(capget_raw(_LINUX_CAPABILITY_VERSION_3, getpid(), d), 0);
    CHECK_ERRNO(capget_raw(_LINUX_CAPABILITY_VERSION_3, -1, d), EINVAL);
    CHECK_ERRNO(capget_raw(_LINUX_CAPABILITY_VERSION_3, 0x3fffff00, d), ESRCH);
    /* Another process's sets, as it changed them. */
    int ready[2], done[2];
    REQUIRE(pipe(ready) == 0 && pipe(done) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        struct caps mine = get_caps();
        mine.eff &= ~BIT(CAP_KILL);
        char b = set_caps(mine) == 0 ? 'y' : 'n';
        if (write(ready[1], &b, 1) != 1 || read(done[0], &b, 1) != 1)
            _exit(2);
        _exit(0);
    }
    char b = 0;
    CHECK(read(ready[0], &b, 1) == 1 && b == 'y', "child capset");
    memset(d, 0, sizeof(d));
    CHECK_RET(capget_raw(_LINUX_CAPABILITY_VERSION_3, pid, d), 0);
    uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
    uint64_t prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    CHECK(eff == (c.eff & ~BIT(CAP_KILL)) && prm == c.prm, "child's sets %#llx %#llx",
          (unsigned long long)eff, (unsigned long long)prm);
    CHECK(write(done[1], "x", 1) == 1, "write");
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    close(ready[0]);
    close(ready[1]);
    close(done[0]);
    close(done[1]);
}

static void child_capset_rules(void)
{
    struct caps c = get_caps();
    uint64_t full = c.prm;
    /* Drop CAP_KILL from effective, then raise it again: it is permitted. */
    c.eff &= ~BIT(CAP_KILL);
    CHECK_RET(set_caps(c), 0);
    CHECK(get_caps().eff == (full & ~BIT(CAP_KILL)), "effective after drop %#llx",
          (unsigned long long)get_caps().eff);
    c.eff = full;
    CHECK_RET(set_caps(c), 0);
    /* Effective outside permitted: EPERM. */
    c.prm = full & ~BIT(CAP_NET_RAW);
    CHECK_ERRNO(set_caps(c), EPERM);
    c.eff = c.prm;
    CHECK_RET(set_caps(c), 0);
    /* Permitted only shrinks. */
    c.prm = full;
    CHECK_ERRNO(set_caps(c), EPERM);
    c.prm = full & ~BIT(CAP_NET_RAW);
    /* Inheritable: within the bounding set (CAP_SETPCAP lets it go past
     * permitted); without CAP_SETPCAP, within permitted. */
    c.inh = BIT(CAP_NET_RAW);
    CHECK_RET(set_caps(c), 0);
    c.eff &= ~BIT(CAP_SETPCAP);
    c.inh = 0;
    CHECK_RET(set_caps(c), 0);
    c.inh = BIT(CAP_NET_RAW);
    CHECK_ERRNO(set_caps(c), EPERM);
    c.inh = BIT(CAP_KILL);
    CHECK_RET(set_caps(c), 0);
    struct caps now = get_caps();
    CHECK(now.inh == BIT(CAP_KILL) && now.prm == (full & ~BIT(CAP_NET_RAW)) &&
              now.eff == (full & ~BIT(CAP_NET_RAW) & ~BIT(CAP_SETPCAP)),
          "sets %#llx %#llx %#llx", (unsigned long long)now.eff, (unsigned long long)now.prm,
          (unsigned long long)now.inh);
    /* Only the caller: another pid is EPERM; a bad version EINVAL. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, getppid()};
    struct __user_cap_data_struct d[2] = {{0}};
    CHECK_ERRNO(syscall(SYS_capset, &h, d), EPERM);
    h.pid = getpid();
    d[0].effective = d[0].permitted = (uint32_t)now.prm;
    d[1].effective = d[1].permitted = (uint32_t)(now.prm >> 32);
    CHECK_RET(syscall(SYS_capset, &h, d), 0);
    h.version = 0;
    CHECK_ERRNO(syscall(SYS_capset, &h, d), EINVAL);
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "capset version %#x", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    CHECK_ERRNO(syscall(SYS_capset, &h, (void *)8), EFAULT);
    /* Version 1 sets only the low 32: the high permitted ones are lost. */
    h.version = _LINUX_CAPABILITY_VERSION_1;
    d[0].inheritable = 0;
    CHECK_RET(syscall(SYS_capset, &h, d), 0);
    CHECK((get_caps().prm >> 32) == 0, "v1 capset kept high caps %#llx",
          (unsigned long long)get_caps().prm);
}

static void child_privilege_is_capability(void)
{
    struct caps c = get_caps();
    c.eff &= ~(BIT(CAP_SETUID) | BIT(CAP_SETGID));
    REQUIRE(set_caps(c) == 0, "capset");
    /* Still uid 0, but without the capabilities. */
    CHECK_ERRNO(setuid(4321), EPERM);
    CHECK_ERRNO(setgid(4321), EPERM);
    CHECK_ERRNO(syscall(SYS_setgroups, 0, NULL), EPERM);
    CHECK_ERRNO(syscall(SYS_setresuid, -1, 4321, -1), EPERM);
    CHECK_RET(syscall(SYS_setresuid, -1, 0, -1), 0); /* among its own ids */
    CHECK_RET(getuid(), 0);
}

static void child_setuid_drops(void)
{
    uint64_t full = get_caps().prm;
    /* euid leaving 0 clears effective; coming back restores it. */
    CHECK_RET(syscall(SYS_setresuid, -1, 1000, -1), 0);
    struct caps c = get_caps();
    CHECK(c.eff == 0 && c.prm == full, "after seteuid: %#llx %#llx", (unsigned long long)c.eff,
          (unsigned long long)c.prm);
    CHECK_RET(syscall(SYS_setresuid, -1, 0, -1), 0);
    CHECK(get_caps().eff == full, "after seteuid(0): %#llx", (unsigned long long)get_caps().eff);
    /* fsuid leaving 0 drops the filesystem capabilities only. */
    CHECK_RET(setfsuid(1000), 0);
    c = get_caps();
    CHECK(!(c.eff & BIT(CAP_DAC_OVERRIDE)) && !(c.eff & BIT(CAP_CHOWN)) &&
              !(c.eff & BIT(CAP_FOWNER)) && !(c.eff & BIT(CAP_MKNOD)) &&
              (c.eff & BIT(CAP_SETUID)) && (c.eff & BIT(CAP_KILL)),
          "after setfsuid(1000): %#llx", (unsigned long long)c.eff);
    CHECK_RET(setfsuid(0), 1000);
    CHECK(get_caps().eff == full, "after setfsuid(0): %#llx", (unsigned long long)get_caps().eff);
    CHECK_RET(setfsuid(-1), 0); /* a query */
    /* Ambient: raise needs permitted and inheritable. */
    CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
    c = get_caps();
    c.inh = BIT(CAP_NET_RAW);
    REQUIRE(set_caps(c) == 0, "capset");
    CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), 0);
    CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 1);
    CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 1, 0), EINVAL);
    CHECK_ERRNO(prctl(PR_CAP_AMBIENT, 77, CAP_NET_RAW, 0, 0), EINVAL);
    /* Dropping the inheritable bit drops the ambient one. */
    c.inh = 0;
    REQUIRE(set_caps(c) == 0, "capset");
    CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
    c.inh = BIT(CAP_NET_RAW);
    REQUIRE(set_caps(c) == 0, "capset");
    CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), 0);
    /* All of r/e/s uid leaving 0: permitted, effective and ambient go. */
    CHECK_RET(setresuid(1000, 1000, 1000), 0);
    c = get_caps();
    CHECK(c.eff == 0 && c.prm == 0 && c.inh == BIT(CAP_NET_RAW),
          "after setresuid: %#llx %#llx %#llx", (unsigned long long)c.eff,
          (unsigned long long)c.prm, (unsigned long long)c.inh);
    CHECK_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
    CHECK_ERRNO(setuid(0), EPERM);
}

static void child_keepcaps(void)
{
    uint64_t full = get_caps().prm;
    CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
    CHECK_RET(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
    CHECK_RET(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS);
    CHECK_RET(setresuid(1000, 1000, 1000), 0);
    struct caps c = get_caps();
    CHECK(c.eff == 0 && c.prm == full, "keep-caps: %#llx %#llx", (unsigned long long)c.eff,
          (unsigned long long)c.prm);
    /* The kept permitted set can be made effective again. */
    c.eff = BIT(CAP_SETUID);
    CHECK_RET(set_caps(c), 0);
    CHECK_RET(setuid(0), 0);
    CHECK_RET(getuid(), 0);
}

static void child_bounding_and_securebits(void)
{
    CHECK_RET(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0), 0);
    CHECK_ERRNO(prctl(PR_CAPBSET_DROP, CAP_LAST_CAP + 1, 0, 0, 0), EINVAL);
    /* A dropped bounding capability cannot become inheritable. */
    struct caps c = get_caps();
    c.inh = BIT(CAP_SYS_BOOT);
    CHECK_ERRNO(set_caps(c), EPERM);
    /* Securebits: lock keep-caps on; then it cannot change. */
    CHECK_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 16, 0, 0, 0), EPERM); /* no such bit */
    CHECK_RET(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED);
    CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM);
    CHECK_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0), EPERM);
    /* Without CAP_SETPCAP neither the bounding set nor securebits change. */
    c = get_caps();
    c.inh = 0;
    c.eff &= ~BIT(CAP_SETPCAP);
    REQUIRE(set_caps(c) == 0, "capset");
    CHECK_ERRNO(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
    CHECK_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0),
                EPERM);
}

int main(void)
{
    if (geteuid() != 0) {
        /* moat always runs its first process as root. */
        printf("ok cred_caps (not root: nothing checked)\n");
        return 0;
    }
    test_root_sets();
    test_capget_versions();
    in_child(child_capset_rules, "capset rules");
    in_child(child_privilege_is_capability, "privilege is a capability");
    in_child(child_setuid_drops, "setuid drops capabilities");
    in_child(child_keepcaps, "keep-caps");
    in_child(child_bounding_and_securebits, "bounding set and securebits");
    /* The children's changes stayed theirs. */
    struct caps c = get_caps();
    CHECK(c.eff == c.prm && c.inh == 0, "parent changed");
    CHECK_RET(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0), 1);
    return check_done("cred_caps");
}
