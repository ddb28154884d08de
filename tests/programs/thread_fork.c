/* fork and exec in a multi-threaded process.
 *
 * fork while 4 other threads run (and take malloc's locks): the child has
 * a single thread (its /proc/self/task lists one entry, itself), can
 * malloc, create a thread of its own and exit normally through exit()
 * (atexit handlers and stdio flushing).
 *
 * execve from a thread that is not the main one: the other threads end,
 * the process keeps its pid and the exec'ing thread becomes the leader
 * (tid == pid after exec); the new program gets the old pid in argv and
 * checks it (thread_fork execd PID). The parent sees its child's exit
 * status from the new program. */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char self[PATH_MAX];

/* Entries of /proc/self/task, or -1; the single entry's tid in *out_tid. */
static int count_tasks(pid_t *out_tid)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        if (out_tid)
            *out_tid = atoi(e->d_name);
    }
    closedir(d);
    return n;
}

/* Busy threads: malloc and free in a loop until told to stop. */
static atomic_int busy_stop;

static void *busy_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&busy_stop)) {
        void *p = malloc(100 + (rand() & 1023));
        free(p);
    }
    return NULL;
}

static int child_status_pipe[2];

static void child_atexit(void)
{
    char c = 'a';
    write(child_status_pipe[1], &c, 1);
}

static void *child_thread(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

static void test_fork_with_threads(void)
{
    pthread_t t[4];
    atomic_store(&busy_stop, 0);
    for (int i = 0; i < 4; i++)
        REQUIRE(pthread_create(&t[i], NULL, busy_main, NULL) == 0, "pthread_create");
    usleep(5000);
    REQUIRE(pipe(child_status_pipe) == 0, "pipe");
    int tasks_before = count_tasks(NULL);
    CHECK(tasks_before == 5, "/proc/self/task: %d entries with 5 threads", tasks_before);

    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            int bad = 0;
            pid_t only = 0;
            if (count_tasks(&only) != 1 || only != getpid())
                bad |= 1;
            if (gettid() != getpid())
                bad |= 2;
            /* malloc's locks are usable (glibc resets them at fork). */
            for (int i = 0; i < 1000; i++) {
                char *p = malloc(64 + i);
                if (!p) {
                    bad |= 4;
                    break;
                }
                memset(p, i, 64 + i);
                free(p);
            }
            pthread_t ct;
            void *ret = NULL;
            if (pthread_create(&ct, NULL, child_thread, (void *)41) != 0 ||
                pthread_join(ct, &ret) != 0 || ret != (void *)42)
                bad |= 8;
            atexit(child_atexit);
            printf("%s", ""); /* stdio usable */
            exit(bad ? 100 + bad : 0);
        }
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: child status %#x", round, st);
        char c = 0;
        CHECK(read(child_status_pipe[0], &c, 1) == 1 && c == 'a', "the child's atexit handler");
    }
    atomic_store(&busy_stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    close(child_status_pipe[0]);
    close(child_status_pipe[1]);
}

/* execve from a second thread of a child; the main thread waits in join
 * (it never returns: exec ends it). */
static void *exec_thread(void *arg)
{
    (void)arg;
    char pidarg[32];
    snprintf(pidarg, sizeof(pidarg), "%d", (int)getpid());
    char *argv[] = {"thread_fork", "execd", pidarg, NULL};
    char *envp[] = {"FROM_THREAD=1", NULL};
    execve(self, argv, envp);
    _exit(99);
}

static void *sleeper_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void test_exec_from_thread(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        pthread_t t1, t2;
        if (pthread_create(&t1, NULL, sleeper_thread, NULL) != 0 ||
            pthread_create(&t2, NULL, exec_thread, NULL) != 0)
            _exit(98);
        pthread_join(t2, NULL);
        _exit(97);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 33, "exec from a thread: status %#x", st);
}

/* After the exec: one thread, whose tid is the old pid. */
static int execd_mode(const char *old_pid)
{
    int bad = 0;
    if (getpid() != atoi(old_pid))
        bad |= 1;
    if (gettid() != getpid())
        bad |= 2;
    pid_t only = 0;
    if (count_tasks(&only) != 1 || only != getpid())
        bad |= 4;
    const char *e = getenv("FROM_THREAD");
    if (!e || strcmp(e, "1") != 0)
        bad |= 8;
    if (bad)
        fprintf(stderr, "execd: pid %d (old %s), tid %d, tasks %d: bad %#x\n", getpid(), old_pid,
                gettid(), count_tasks(NULL), bad);
    return bad ? 1 : 33;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "execd") == 0)
        return execd_mode(argv[2]);
    REQUIRE(realpath(argv[0], self), "realpath %s: %s", argv[0], strerror(errno));
    test_fork_with_threads();
    test_exec_from_thread();
    return check_done("thread_fork");
}
