/* Reaping, reparenting, process groups and sessions, job-control stops.
 *
 * The test makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so an
 * orphan is reparented to it both natively and under moat (where it is
 * pid 1 anyway).
 *
 *  - a zombie: kill(pid, 0) still finds it, /proc/PID/stat says Z, wait
 *    reaps it and then it is gone (ESRCH);
 *  - an orphaned grandchild's getppid() becomes the subreaper's pid, and
 *    the subreaper reaps it with its exit status;
 *  - kill(-pgid) reaches every member of a process group (and no one
 *    else); kill(0, sig) the caller's own group; a missing group is ESRCH;
 *    setpgid/getpgid errors (ESRCH for a non-child, EPERM across sessions);
 *  - setsid makes a new session and group, with the caller as leader, and
 *    fails (EPERM) for a group leader;
 *  - SIGTSTP and SIGTTOU (sent with kill) stop a process of a process group
 *    that is not orphaned; in an orphaned group the kernel discards them
 *    (SIGSTOP still stops). The groups are built in a new session so this
 *    does not depend on how the test was started. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int wait_status(pid_t pid, int options)
{
    int st = 0;
    return waitpid(pid, &st, options) == pid ? st : -1;
}

/* The state letter of /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static void test_zombie(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(4);
    /* Wait for it to die without reaping it. */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_RET(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
    CHECK_RET(kill(pid, 0), 0);
    CHECK(proc_state(pid) == 'Z', "zombie's /proc state '%c'", proc_state(pid));
    int st = wait_status(pid, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4, "status %#x", st);
    CHECK_ERRNO(kill(pid, 0), ESRCH);
}

static void test_orphan(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t me = getpid();
    pid_t mid = fork();
    REQUIRE(mid >= 0, "fork");
    if (mid == 0) {
        pid_t parent = getpid();
        pid_t g = fork();
        if (g < 0)
            _exit(1);
        if (g == 0) {
            /* Wait until our parent is gone, report the new parent. */
            for (int i = 0; i < 5000 && getppid() == parent; i++)
                usleep(1000);
            pid_t now = getppid();
            write(p[1], &now, sizeof(now));
            _exit(6);
        }
        write(p[1], &g, sizeof(g));
        _exit(0);
    }
    close(p[1]);
    pid_t g = 0, newparent = 0;
    CHECK(read(p[0], &g, sizeof(g)) == sizeof(g), "grandchild pid");
    int st = wait_status(mid, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "middle child: %#x", st);
    CHECK(read(p[0], &newparent, sizeof(newparent)) == sizeof(newparent), "new parent");
    CHECK(newparent == me, "orphan's parent is %d, want the subreaper %d", newparent, me);
    /* The subreaper reaps it. */
    st = wait_status(g, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 6, "reaping the orphan: %#x", st);
    close(p[0]);
}

/* A child that joins process group PGID (0: its own) and waits. */
static pid_t group_child(pid_t pgid, int ready_fd)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        setpgid(0, pgid);
        char c = 'r';
        write(ready_fd, &c, 1);
        for (;;)
            pause();
    }
    setpgid(pid, pgid); /* both sides, so there is no race */
    return pid;
}

static void test_groups(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t a = group_child(0, p[1]);
    pid_t b = group_child(a, p[1]);
    pid_t c = group_child(a, p[1]);
    pid_t other = group_child(0, p[1]);
    for (int ready = 0; ready < 4;) {
        char buf[4];
        ssize_t n = read(p[0], buf, sizeof(buf));
        REQUIRE(n > 0, "children ready: %s", strerror(errno));
        ready += (int)n;
    }
    CHECK(getpgid(a) == a && getpgid(b) == a && getpgid(c) == a, "groups %d %d %d, want %d",
          getpgid(a), getpgid(b), getpgid(c), a);
    CHECK(getpgid(other) == other, "other's group %d", getpgid(other));

    CHECK_RET(kill(-a, SIGTERM), 0);
    pid_t members[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        int st = wait_status(members[i], 0);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "member %d: status %#x",
              i, st);
    }
    /* The other group was not touched. */
    CHECK(waitpid(other, NULL, WNOHANG) == 0, "kill(-pgid) reached another group");
    CHECK_ERRNO(kill(-a, SIGTERM), ESRCH);
    kill(other, SIGKILL);
    wait_status(other, 0);
    close(p[0]);
    close(p[1]);

    /* kill(0, sig): the caller's own group, from a group leader child. */
    pid_t leader = fork();
    REQUIRE(leader >= 0, "fork");
    if (leader == 0) {
        setpgid(0, 0);
        signal(SIGUSR1, SIG_IGN); /* survive our own signal */
        pid_t kid = fork();
        if (kid == 0) {
            signal(SIGUSR1, SIG_DFL); /* SIG_IGN is inherited */
            for (;;)
                pause();
        }
        usleep(10000);
        kill(0, SIGUSR1);
        int st = 0;
        waitpid(kid, &st, 0);
        _exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1 ? 0 : 1);
    }
    int st = wait_status(leader, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "kill(0, SIGUSR1): %#x", st);

    /* setpgid errors. */
    CHECK_ERRNO(setpgid(0x3ffffff0, 0), ESRCH);
    CHECK_ERRNO(setpgid(0, 0x3ffffff0), EPERM);
    CHECK_ERRNO(getpgid(0x3ffffff0), ESRCH);
    CHECK_ERRNO(setpgid(-1, 0), EINVAL);
}

static void test_setsid(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        int bad = 0;
        pid_t old_sid = getsid(0);
        if (setsid() != getpid())
            bad |= 1;
        if (getsid(0) != getpid() || getpgrp() != getpid() || old_sid == getpid())
            bad |= 2;
        if (setsid() != -1 || errno != EPERM)
            bad |= 4;
        _exit(bad);
    }
    int st = wait_status(pid, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "setsid child: %#x", st);

    /* A group leader cannot setsid. */
    pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        setpgid(0, 0);
        _exit(setsid() == -1 && errno == EPERM ? 0 : 1);
    }
    st = wait_status(pid, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "setsid of a group leader: %#x",
          st);

    /* setpgid into a group of another session: EPERM. The child says when
     * its setsid is done (a sleep would race a slow fork). */
    int ready[2];
    REQUIRE(pipe(ready) == 0, "pipe");
    pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        setsid();
        close(ready[0]);
        close(ready[1]);
        for (;;)
            pause();
    }
    close(ready[1]);
    char eof;
    REQUIRE(read(ready[0], &eof, 1) == 0, "the child's setsid");
    close(ready[0]);
    CHECK_ERRNO(setpgid(pid, getpgrp()), EPERM);
    kill(pid, SIGKILL);
    wait_status(pid, 0);
}

/* In a new session: leader S (group S, orphaned: S's parent is in another
 * session) with children B (own group, not orphaned: S is in the same
 * session, another group) and C (in group S, orphaned). The exit status
 * of S says what it saw. */
static int job_control_session(void)
{
    if (setsid() < 0)
        return 100;
    int bad = 0;
    int stops[2] = {SIGTSTP, SIGTTOU};
    for (int i = 0; i < 2; i++) {
        pid_t b = fork();
        if (b < 0)
            return 101;
        if (b == 0) {
            setpgid(0, 0);
            for (;;)
                pause();
        }
        setpgid(b, b);
        kill(b, stops[i]);
        int st = wait_status(b, WUNTRACED);
        if (st == -1 || !WIFSTOPPED(st) || WSTOPSIG(st) != stops[i])
            bad |= 1 << i;
        kill(b, SIGKILL);
        wait_status(b, 0);
    }

    /* C in the orphaned group: SIGTSTP is discarded, it answers. */
    int to_c[2], from_c[2];
    if (pipe(to_c) || pipe(from_c))
        return 102;
    pid_t c = fork();
    if (c < 0)
        return 103;
    if (c == 0) {
        close(to_c[1]);
        close(from_c[0]);
        char x;
        while (read(to_c[0], &x, 1) == 1)
            write(from_c[1], &x, 1);
        _exit(5);
    }
    close(to_c[0]);
    close(from_c[1]);
    kill(c, SIGTSTP);
    char x = 'q';
    write(to_c[1], &x, 1);
    /* Its answer, without hanging if it was stopped after all. */
    fcntl(from_c[0], F_SETFL, O_NONBLOCK);
    int st = 0, answered = 0;
    for (int i = 0; i < 5000 && !answered; i++) {
        answered = read(from_c[0], &x, 1) == 1;
        if (!answered && waitpid(c, &st, WUNTRACED | WNOHANG) != 0) {
            bad |= 8; /* stopped (or gone) */
            kill(c, SIGCONT);
            break;
        }
        if (!answered)
            usleep(1000);
    }
    if (!answered)
        bad |= 4;
    /* SIGSTOP works even there. */
    kill(c, SIGSTOP);
    st = wait_status(c, WUNTRACED);
    if (st == -1 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
        bad |= 16;
    kill(c, SIGCONT);
    close(to_c[1]); /* EOF: C exits */
    st = wait_status(c, 0);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 5)
        bad |= 32;
    close(from_c[0]);
    return bad;
}

static void test_job_control(void)
{
    pid_t s = fork();
    REQUIRE(s >= 0, "fork");
    if (s == 0)
        _exit(job_control_session());
    int st = wait_status(s, 0);
    CHECK(st != -1 && WIFEXITED(st), "session leader status %#x", st);
    int bad = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    CHECK(!(bad & 1), "SIGTSTP did not stop a process of a non-orphaned group");
    CHECK(!(bad & 2), "SIGTTOU did not stop a process of a non-orphaned group");
    CHECK(!(bad & 12), "SIGTSTP stopped a process of an orphaned group (%#x)", bad);
    CHECK(!(bad & 16), "SIGSTOP did not stop a process of an orphaned group");
    CHECK(!(bad & 32), "the orphaned group's process did not exit normally");
    CHECK(bad < 100, "session set-up failed: %d", bad);
}

int main(void)
{
    CHECK_RET(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    int on = 0;
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 1, "PR_GET_CHILD_SUBREAPER %d", on);
    test_zombie();
    test_orphan();
    test_groups();
    test_setsid();
    test_job_control();
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "children left");
    return check_done("proc_reap");
}
