/* The gofer's seccomp allowlist. Anything else kills the gofer
 * (SCMP_ACT_KILL_PROCESS), and with it the sandbox. docs/gofer.md lists
 * every call with its reason; keep the two in step (a unit test compares
 * gofer_seccomp_syscalls with the document).
 *
 * Argument filters, where they make a rule narrower:
 * - recvmsg/sendmsg only on the protocol socket;
 * - openat only with O_NOFOLLOW, and O_CREAT only with O_EXCL;
 * - statx, fchownat, utimensat only with AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW
 *   (on the handle's own fd, never following a symlink); fchmodat2 only
 *   with AT_EMPTY_PATH;
 * - linkat never with AT_SYMLINK_FOLLOW; renameat2 never RENAME_WHITEOUT;
 * - mknodat only for regular files, FIFOs and sockets;
 * - mmap never with PROT_EXEC. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h> /* RENAME_WHITEOUT */
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "gofer/gofer.h"

const char *const gofer_seccomp_syscalls[] = {
    "recvmsg",    "sendmsg",   "ppoll",      "openat",    "close",      "statx",     "fstatfs",
    "getdents64", "lseek",     "readlinkat", "mkdirat",   "mknodat",    "symlinkat", "linkat",
    "unlinkat",   "renameat2", "fchownat",   "fchmodat2", "fchmod",     "ftruncate", "utimensat",
    "brk",        "mmap",      "munmap",     "mremap",    "exit_group", NULL,
};

#define FCHMODAT2_X86_64 452 /* libseccomp < 2.5.5 has no name for it */

static int nr_of(const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0 && strcmp(name, "fchmodat2") == 0)
        nr = FCHMODAT2_X86_64;
    return nr;
}

struct rule {
    const char *name;
    unsigned nargs; /* 0 or 1 */
    struct scmp_arg_cmp arg;
};

/* The rules name exactly the syscalls of gofer_seccomp_syscalls. */
static bool same_names(const struct rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (const char *const *p = gofer_seccomp_syscalls; *p && !found; p++)
            found = strcmp(*p, rules[i].name) == 0;
        if (!found)
            return false;
    }
    for (const char *const *p = gofer_seccomp_syscalls; *p; p++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(*p, rules[i].name) == 0;
        if (!found)
            return false;
    }
    return true;
}

int gofer_seccomp_install(int sock)
{
    const scmp_datum_t nofollow_path = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW;
    const scmp_datum_t excl = O_NOFOLLOW | O_CREAT | O_EXCL;
    const struct rule rules[] = {
        {"recvmsg", 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock, 0)},
        {"sendmsg", 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock, 0)},
        {"ppoll", 0, {0, 0, 0, 0}},
        {"openat", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_NOFOLLOW | O_CREAT, O_NOFOLLOW)},
        {"openat", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, excl, excl)},
        {"close", 0, {0, 0, 0, 0}},
        {"statx", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, nofollow_path, nofollow_path)},
        {"fstatfs", 0, {0, 0, 0, 0}},
        {"getdents64", 0, {0, 0, 0, 0}},
        {"lseek", 0, {0, 0, 0, 0}},
        {"readlinkat", 0, {0, 0, 0, 0}},
        {"mkdirat", 0, {0, 0, 0, 0}},
        {"mknodat", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFREG)},
        {"mknodat", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFIFO)},
        {"mknodat", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFSOCK)},
        {"symlinkat", 0, {0, 0, 0, 0}},
        {"linkat", 1, SCMP_A4(SCMP_CMP_MASKED_EQ, AT_SYMLINK_FOLLOW, 0)},
        {"unlinkat", 0, {0, 0, 0, 0}},
        {"renameat2", 1, SCMP_A4(SCMP_CMP_MASKED_EQ, RENAME_WHITEOUT, 0)},
        {"fchownat", 1, SCMP_A4(SCMP_CMP_MASKED_EQ, nofollow_path, nofollow_path)},
        {"fchmodat2", 1, SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH, 0)},
        {"fchmod", 0, {0, 0, 0, 0}},
        {"ftruncate", 0, {0, 0, 0, 0}},
        {"utimensat", 1, SCMP_A3(SCMP_CMP_MASKED_EQ, nofollow_path, nofollow_path)},
        {"brk", 0, {0, 0, 0, 0}},
        {"mmap", 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)},
        {"munmap", 0, {0, 0, 0, 0}},
        {"mremap", 0, {0, 0, 0, 0}},
        {"exit_group", 0, {0, 0, 0, 0}},
    };

    const size_t nrules = sizeof(rules) / sizeof(rules[0]);
    if (!same_names(rules, nrules))
        return -EINVAL; /* gofer_seccomp_syscalls is out of date */

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; i < nrules && r == 0; i++) {
        const struct rule *rl = &rules[i];
        if (rl->nargs)
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr_of(rl->name), 1, rl->arg);
        else
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr_of(rl->name), 0);
    }
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    return r;
}
