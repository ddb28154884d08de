/* Many processes (about 320 in all): 100 sequential fork/exit/wait with
 * distinct statuses; binary fork trees of 63 processes (one, then two at
 * once) where each parent reaps its two children and passes the count of
 * its subtree up in its exit status; 30 children alive at once, reaped in
 * any order by wait(). At the end no child is left (ECHILD) and the fd
 * table is as it was (no leaked pipe ends). */
#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_sequential(void)
{
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork %d: %s", i, strerror(errno));
        if (pid == 0)
            _exit(i);
        int st = 0;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != i)
            bad++;
    }
    CHECK(bad == 0, "%d of 100 sequential children had a wrong status", bad);
}

/* Returns (as the exit status) the number of processes in this subtree
 * (1 + the children's), or 255 on an error. */
static int tree(int depth)
{
    if (depth == 0)
        return 1;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] < 0)
            return 255;
        if (kids[i] == 0)
            _exit(tree(depth - 1));
    }
    int total = 1;
    for (int i = 0; i < 2; i++) {
        int st = 0;
        if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) == 255)
            return 255;
        total += WEXITSTATUS(st);
    }
    return total;
}

static void test_tree(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(tree(5)); /* 2^6 - 1 = 63 processes, this one included */
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 63, "tree of depth 5: status %#x, want 63", st);
    /* And a second one, beside a running first. */
    pid_t a = fork(), b;
    REQUIRE(a >= 0, "fork");
    if (a == 0)
        _exit(tree(5));
    b = fork();
    REQUIRE(b >= 0, "fork");
    if (b == 0)
        _exit(tree(5));
    int sa = 0, sb = 0;
    CHECK(waitpid(b, &sb, 0) == b && waitpid(a, &sa, 0) == a, "waitpid");
    CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 63 && WIFEXITED(sb) && WEXITSTATUS(sb) == 63,
          "two trees: %#x %#x", sa, sb);
}

static void test_concurrent(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    int expected_sum = 0;
    for (int i = 0; i < 30; i++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork %d: %s", i, strerror(errno));
        if (pid == 0) {
            close(p[1]);
            char c;
            read(p[0], &c, 1); /* all start exiting together at EOF */
            _exit(i + 1);
        }
        expected_sum += i + 1;
    }
    close(p[0]);
    close(p[1]);
    int sum = 0, reaped = 0;
    pid_t r;
    int st;
    while ((r = wait(&st)) > 0) {
        reaped++;
        if (WIFEXITED(st))
            sum += WEXITSTATUS(st);
    }
    CHECK(errno == ECHILD, "wait ended with errno %d", errno);
    CHECK(reaped == 30 && sum == expected_sum, "reaped %d, status sum %d (want 30, %d)", reaped,
          sum, expected_sum);
}

int main(void)
{
    int fds_before = count_fds();
    test_sequential();
    test_tree();
    test_concurrent();
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "children left");
    int fds_after = count_fds();
    CHECK(fds_before == fds_after, "%d fds before, %d after", fds_before, fds_after);
    return check_done("stress");
}
