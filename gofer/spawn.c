/* Starting the gofer: a child of the CLI that builds its own mount
 * namespace holding only the sandbox root and the binds, locks itself down
 * and serves the protocol.
 *
 * The child, in order (acquire first, then lock down):
 *   1. dies with its parent (PR_SET_PDEATHSIG), leaves the terminal's
 *      session (a ^C is the sandbox's business, not the gofer's);
 *   2. unshare(CLONE_NEWNS) — or, when not root, CLONE_NEWUSER|CLONE_NEWNS
 *      mapping its own uid and gid to 0 (best effort: see docs/gofer.md);
 *      every mount becomes private;
 *   3. clones the root and each bind source as detached recursive bind
 *      mounts (open_tree), made nosuid, nodev and, where asked, read-only,
 *      recursively (mount_setattr);
 *   4. mounts a tmpfs, attaches the clones at /root, /b0, /b1 ... in it
 *      (a file bind onto an empty file), unmounts any kernel pseudo
 *      filesystem (proc, sys, ...) that came along under them, makes the
 *      tmpfs read-only, pivot_roots into it and drops the old root;
 *   5. keeps only the socket and an O_PATH fd of "/", raises its fd limit,
 *      sets no_new_privs, installs the seccomp allowlist (seccomp.c);
 *   6. sends HELLO (the protocol version) and serves until the socket
 *      closes.
 * Any failure before 6 is sent back as a HELLO carrying the errno and a
 * message, and the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/gofer.h"
#include "gofer/proto.h"

/* The new mount API (Linux 5.2; mount_setattr 5.12), spelled out here:
 * <linux/mount.h> and <sys/mount.h> clash on older glibc. */
#define G_OPEN_TREE_CLONE 1
#define G_AT_RECURSIVE 0x8000
#define G_MOVE_MOUNT_F_EMPTY_PATH 0x4
#define G_MOUNT_ATTR_RDONLY 0x1
#define G_MOUNT_ATTR_NOSUID 0x2
#define G_MOUNT_ATTR_NODEV 0x4

struct g_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

/* Where the tmpfs goes before pivot_root: any existing directory will do
 * (the namespace is private and the sources are already cloned). */
static const char *const tmp_candidates[] = {"/tmp", "/mnt", "/run",  "/var/tmp", "/media",
                                             "/srv", "/opt", "/home", "/root",    "/dev"};

/* Kernel pseudo filesystems a recursive bind can drag in. */
static const char *const pseudo_types[] = {
    "proc",    "sysfs",    "devpts",      "devtmpfs",  "cgroup",   "cgroup2",
    "debugfs", "tracefs",  "securityfs",  "bpf",       "configfs", "fusectl",
    "pstore",  "efivarfs", "binfmt_misc", "mqueue",    "nsfs",     "selinuxfs",
    "smackfs", "autofs",   "rpc_pipefs",  "hugetlbfs",
};

/* ---- The child ---- */

struct child {
    int sock;
    const struct gofer_config *cfg;
    int nmounts;
    int trees[1 + GOFER_BINDS_MAX];
    bool is_dir[1 + GOFER_BINDS_MAX];
    char names[1 + GOFER_BINDS_MAX][8];
    char tmp[64];
};

static void send_hello(int sock, uint32_t nmounts, int err, const char *msg)
{
    uint8_t buf[sizeof(struct gofer_hdr) + sizeof(struct gofer_hello) + 2 + GOFER_HELLO_MSG_MAX];
    struct gofer_buf b;
    struct gofer_hello h = {
        .version = GOFER_PROTO_VERSION, .nmounts = nmounts, .error = (uint32_t)err, .pad = 0};
    size_t len = strlen(msg);
    if (len > GOFER_HELLO_MSG_MAX)
        len = GOFER_HELLO_MSG_MAX;
    gofer_begin(&b, buf, sizeof(buf), GOFER_OP_HELLO, 0);
    gofer_put(&b, &h, sizeof(h));
    gofer_put_str(&b, msg, len);
    long n = gofer_end(&b);
    if (n <= 0)
        return;
    /* sendmsg, not send (sendto): the only call the seccomp filter allows. */
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/* Reports "<formatted>" with err to the parent and exits. */
__attribute__((noreturn, format(printf, 3, 4))) static void fail(struct child *c, int err,
                                                                 const char *fmt, ...)
{
    char msg[GOFER_HELLO_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    send_hello(c->sock, 0, err ? err : EINVAL, msg);
    _exit(1);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void new_namespace(struct child *c)
{
    if (unshare(CLONE_NEWNS) == 0)
        goto private;
    if (errno != EPERM || geteuid() == 0)
        fail(c, errno, "gofer: unshare(CLONE_NEWNS)");
    /* Not root: a user namespace where we are root (best effort). */
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        fail(c, errno, "gofer: unshare(CLONE_NEWUSER|CLONE_NEWNS) (not root)");
    char map[64];
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
        fail(c, errno, "gofer: write /proc/self/setgroups");
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0)
        fail(c, errno, "gofer: write /proc/self/uid_map");
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) != 0)
        fail(c, errno, "gofer: write /proc/self/gid_map");

  private:
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fail(c, errno, "gofer: make / private");
}

/* A detached recursive clone of path, nosuid, nodev, maybe read-only. */
static void clone_tree(struct child *c, int i, const char *what, const char *path, bool ro)
{
    int fd =
        (int)syscall(SYS_open_tree, AT_FDCWD, path, G_OPEN_TREE_CLONE | O_CLOEXEC | G_AT_RECURSIVE);
    if (fd < 0)
        fail(c, errno, "%s `%s`", what, path);
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail(c, errno, "%s `%s`", what, path);
    if (i == 0 && !S_ISDIR(st.st_mode))
        fail(c, ENOTDIR, "%s `%s`", what, path);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        fail(c, EINVAL, "%s `%s`: not a directory or a regular file", what, path);
    struct g_mount_attr attr = {
        .attr_set = G_MOUNT_ATTR_NOSUID | G_MOUNT_ATTR_NODEV | (ro ? G_MOUNT_ATTR_RDONLY : 0),
    };
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | G_AT_RECURSIVE, &attr, sizeof(attr)) !=
        0)
        fail(c, errno, "%s `%s`: set mount attributes", what, path);
    c->trees[i] = fd;
    c->is_dir[i] = S_ISDIR(st.st_mode);
}

static void mount_tmpfs(struct child *c)
{
    for (size_t i = 0; i < sizeof(tmp_candidates) / sizeof(tmp_candidates[0]); i++) {
        struct stat st;
        if (stat(tmp_candidates[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (mount("moat-gofer", tmp_candidates[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=0755,size=64k") == 0) {
            snprintf(c->tmp, sizeof(c->tmp), "%s", tmp_candidates[i]);
            return;
        }
    }
    fail(c, errno ? errno : ENOENT, "gofer: mount a tmpfs for the new root");
}

static void attach_trees(struct child *c)
{
    for (int i = 0; i < c->nmounts; i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", c->tmp, c->names[i]);
        int r = c->is_dir[i] ? mkdir(path, 0755) : mknod(path, S_IFREG | 0644, 0);
        if (r != 0)
            fail(c, errno, "gofer: make mount point %s", path);
        if (syscall(SYS_move_mount, c->trees[i], "", AT_FDCWD, path, G_MOVE_MOUNT_F_EMPTY_PATH) !=
            0)
            fail(c, errno, "gofer: attach %s", path);
        close(c->trees[i]);
        c->trees[i] = -1;
    }
}

/* Undoes mountinfo's octal escapes (\040 for a space ...) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static bool is_pseudo(const char *type)
{
    for (size_t i = 0; i < sizeof(pseudo_types) / sizeof(pseudo_types[0]); i++) {
        if (strcmp(type, pseudo_types[i]) == 0)
            return true;
    }
    return false;
}

/* Unmounts the pseudo filesystems under the new root, deepest (last
 * listed) first. In a user namespace they may be locked to their parent:
 * the server refuses to cross into them anyway (server.c pseudo_fs). */
static void prune_pseudo(struct child *c)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        fail(c, errno, "gofer: read /proc/self/mountinfo");
    char **paths = NULL;
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    size_t prefix = strlen(c->tmp);
    while (getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mountpoint options [optional...] - type ... */
        char mnt[4096], type[64];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(dash + 3, "%63s", type) != 1 || !is_pseudo(type))
            continue;
        unescape(mnt);
        if (strncmp(mnt, c->tmp, prefix) != 0 || mnt[prefix] != '/')
            continue;
        char **grown = realloc(paths, (n + 1) * sizeof(*paths));
        if (!grown || !(grown[n] = strdup(mnt)))
            fail(c, ENOMEM, "gofer: read /proc/self/mountinfo");
        paths = grown;
        n++;
    }
    free(line);
    fclose(f);
    while (n > 0) {
        n--;
        if (umount2(paths[n], MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
            fail(c, errno, "gofer: unmount %s", paths[n]);
        free(paths[n]);
    }
    free(paths);
}

static void enter_root(struct child *c)
{
    if (mount(NULL, c->tmp, NULL,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        fail(c, errno, "gofer: make the new root read-only");
    if (chdir(c->tmp) != 0)
        fail(c, errno, "gofer: chdir %s", c->tmp);
    if (syscall(SYS_pivot_root, ".", ".") != 0)
        fail(c, errno, "gofer: pivot_root");
    if (umount2(".", MNT_DETACH) != 0)
        fail(c, errno, "gofer: unmount the old root");
    if (chdir("/") != 0)
        fail(c, errno, "gofer: chdir /");
}

/* Closes every fd but keep[0..n) (sorted, distinct). */
static void close_others(struct child *c, const int *keep, int n)
{
    unsigned lo = 0;
    for (int i = 0; i <= n; i++) {
        unsigned hi = i < n ? (unsigned)keep[i] : ~0u;
        if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) != 0)
            fail(c, errno, "gofer: close_range");
        lo = hi + 1;
        if (i == n)
            break;
    }
}

static void raise_fd_limit(void)
{
    rlim_t want = 2 * GOFER_HANDLES_MAX + 64;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_max < want) {
        struct rlimit more = {want, want};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0)
            return;
    }
    rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

__attribute__((noreturn)) static void child_main(int sock, pid_t parent,
                                                 const struct gofer_config *cfg)
{
    struct child c = {.sock = sock, .cfg = cfg, .nmounts = 1 + cfg->nbinds};
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(1);
    setsid();
    /* Default dispositions: the CLI's handlers (crash dumps ...) are not the
     * gofer's, and could not run under its filter anyway. */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int i = 0; i < c.nmounts; i++) {
        c.trees[i] = -1;
        if (i == 0)
            snprintf(c.names[i], sizeof(c.names[i]), "root");
        else
            snprintf(c.names[i], sizeof(c.names[i]), "b%u", (unsigned)(i - 1) % 1000u);
    }

    new_namespace(&c);
    clone_tree(&c, 0, "sandbox root", cfg->root, cfg->root_readonly);
    for (int i = 0; i < cfg->nbinds; i++)
        clone_tree(&c, i + 1, "bind source", cfg->binds[i].source, cfg->binds[i].readonly);
    mount_tmpfs(&c);
    attach_trees(&c);
    prune_pseudo(&c);
    enter_root(&c);

    int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        fail(&c, errno, "gofer: open /");
    struct gofer_mount *mounts = calloc((size_t)c.nmounts, sizeof(*mounts));
    if (!mounts)
        fail(&c, ENOMEM, "gofer: allocate mounts");
    for (int i = 0; i < c.nmounts; i++) {
        mounts[i].dirfd = dirfd;
        mounts[i].name = c.names[i];
        mounts[i].readonly = i == 0 ? cfg->root_readonly : cfg->binds[i - 1].readonly;
        int fd = openat(dirfd, c.names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            fail(&c, errno, "gofer: open mount /%s", c.names[i]);
        close(fd);
    }

    raise_fd_limit();
    int keep[2] = {sock < dirfd ? sock : dirfd, sock < dirfd ? dirfd : sock};
    close_others(&c, keep, 2);
    umask(0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(&c, errno, "gofer: set no_new_privs");
    int r = gofer_seccomp_install(sock);
    if (r < 0)
        fail(&c, -r, "gofer: install the seccomp filter");
    send_hello(sock, (uint32_t)c.nmounts, 0, "");
    r = gofer_serve(sock, mounts, c.nmounts);
    /* exit_group itself: _exit may run sanitizer hooks the filter forbids. */
    syscall(SYS_exit_group, r == 0 ? 0 : 1);
    _exit(1);
}

/* ---- The parent ---- */

static int start_error(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int start_error(char *err, size_t errlen, int e, const char *fmt, ...)
{
    char msg[GOFER_HELLO_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err && errlen) {
        if (e)
            snprintf(err, errlen, "%s: %s", msg, strerror(e));
        else
            snprintf(err, errlen, "%s", msg);
    }
    return -1;
}

static void describe_status(char *buf, size_t size, int status)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "status %#x", status);
}

static void reap(pid_t pid, int *out_status)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out_status)
        *out_status = status;
}

int gofer_start(const struct gofer_config *cfg, pid_t *out_pid, int *out_sock, char *err,
                size_t errlen)
{
    if (!cfg->root)
        return start_error(err, errlen, 0, "gofer: no sandbox root");
    if (cfg->nbinds < 0 || cfg->nbinds > GOFER_BINDS_MAX)
        return start_error(err, errlen, 0, "gofer: %d binds (at most %d)", cfg->nbinds,
                           GOFER_BINDS_MAX);
    for (int i = 0; i < cfg->nbinds; i++) {
        if (!cfg->binds[i].source)
            return start_error(err, errlen, 0, "gofer: bind %d has no source", i);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return start_error(err, errlen, errno, "gofer: socketpair");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return start_error(err, errlen, e, "gofer: fork");
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(sv[1], parent, cfg);
    }
    close(sv[1]);

    /* The first message is HELLO: set-up done, or why it failed. */
    uint8_t buf[GOFER_MSG_MAX];
    ssize_t n;
    do {
        n = recv(sv[0], buf, sizeof(buf), 0);
    } while (n < 0 && errno == EINTR);
    int e = n < 0 ? errno : 0;
    struct gofer_msg m;
    if (n <= 0 || gofer_decode(buf, (size_t)n, GOFER_REPLY, &m) != 0 ||
        m.hdr.op != GOFER_OP_HELLO) {
        close(sv[0]);
        if (n > 0)
            kill(pid, SIGKILL);
        int status;
        reap(pid, &status);
        char how[64];
        describe_status(how, sizeof(how), status);
        if (n < 0)
            return start_error(err, errlen, e, "gofer: read its status");
        return start_error(err, errlen, 0, "gofer: exited during set-up (%s)", how);
    }
    if (m.u.hello.error) {
        close(sv[0]);
        reap(pid, NULL);
        return start_error(err, errlen, (int)m.u.hello.error, "%.*s", (int)m.str[0].len,
                           m.str[0].ptr);
    }
    if (m.u.hello.version != GOFER_PROTO_VERSION ||
        m.u.hello.nmounts != (uint32_t)(1 + cfg->nbinds)) {
        close(sv[0]);
        kill(pid, SIGKILL);
        reap(pid, NULL);
        return start_error(
            err, errlen, 0, "gofer: protocol version %u with %u mounts, want version %u with %d",
            m.u.hello.version, m.u.hello.nmounts, GOFER_PROTO_VERSION, 1 + cfg->nbinds);
    }
    *out_pid = pid;
    *out_sock = sv[0];
    return 0;
}
