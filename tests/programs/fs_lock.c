/* File locks: POSIX record locks (F_SETLK/F_GETLK between processes, shared
 * and exclusive, ranges, release on close of any fd of the file), open file
 * description locks (F_OFD_SETLK/F_OFD_GETLK), and flock(2). Conflicts are
 * checked from forked children, since a process never conflicts with its
 * own POSIX locks. */
#include "fs_util.h"

#include <sys/file.h>

static struct flock range(short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fl;
}

static pid_t parent_pid;

/* The parent holds a write lock on [0,10) and a read lock on [20,30). */
static void posix_child(void *arg)
{
    (void)arg;
    int fd = open("lockfile", O_RDWR);
    REQUIRE(fd >= 0, "child open: %s", strerror(errno));

    struct flock fl = range(F_WRLCK, 5, 1);
    CHECK_RET(fcntl(fd, F_GETLK, &fl), 0);
    CHECK(fl.l_type == F_WRLCK && fl.l_pid == parent_pid && fl.l_start == 0 && fl.l_len == 10,
          "F_GETLK: type %d pid %d start %ld len %ld, want the parent's write lock [0,10)",
          fl.l_type, (int)fl.l_pid, (long)fl.l_start, (long)fl.l_len);
    fl = range(F_RDLCK, 0, 1);
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EAGAIN);
    fl = range(F_WRLCK, 9, 5);
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EAGAIN);
    /* Outside the parent's ranges: fine. */
    fl = range(F_WRLCK, 10, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    /* The read-locked range admits readers, not writers. */
    fl = range(F_RDLCK, 20, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    fl = range(F_WRLCK, 25, 1);
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EAGAIN);
    fl = range(F_WRLCK, 25, 1);
    CHECK_RET(fcntl(fd, F_GETLK, &fl), 0);
    CHECK(fl.l_type == F_RDLCK && fl.l_pid == parent_pid, "F_GETLK on read lock: type %d",
          fl.l_type);
    /* A free range: F_GETLK says F_UNLCK. */
    fl = range(F_WRLCK, 1000, 0);
    CHECK_RET(fcntl(fd, F_GETLK, &fl), 0);
    CHECK(fl.l_type == F_UNLCK, "F_GETLK on a free range: type %d", fl.l_type);
    close(fd);
}

static void posix_child_after_unlock(void *arg)
{
    (void)arg;
    int fd = open("lockfile", O_RDWR);
    struct flock fl = range(F_WRLCK, 0, 0);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    close(fd);
}

static void test_posix(void)
{
    put_file("lockfile", 0644, "0123456789012345678901234567890123456789");
    int fd = open("lockfile", O_RDWR);
    REQUIRE(fd >= 0, "open lockfile");
    struct flock fl = range(F_WRLCK, 0, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    fl = range(F_RDLCK, 20, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    /* Our own locks never conflict with us. */
    fl = range(F_WRLCK, 0, 0);
    CHECK_RET(fcntl(fd, F_GETLK, &fl), 0);
    CHECK(fl.l_type == F_UNLCK, "own lock reported as conflicting: type %d", fl.l_type);
    /* Converting our own read lock to a write lock works. */
    fl = range(F_WRLCK, 20, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    fl = range(F_RDLCK, 20, 10);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);

    CHECK_CHILD(posix_child, NULL);

    /* Closing ANY fd of the file drops all of this process's locks on it. */
    int other = open("lockfile", O_RDONLY);
    close(other);
    CHECK_CHILD(posix_child_after_unlock, NULL);

    /* Locks need the matching access mode; bad arguments are EINVAL. */
    int ro = open("lockfile", O_RDONLY);
    fl = range(F_WRLCK, 0, 1);
    CHECK_ERRNO(fcntl(ro, F_SETLK, &fl), EBADF);
    fl = range(F_RDLCK, 0, 1);
    CHECK_RET(fcntl(ro, F_SETLK, &fl), 0);
    fl = range(F_UNLCK, 0, 0);
    CHECK_RET(fcntl(ro, F_SETLK, &fl), 0);
    close(ro);
    fl = range(42, 0, 1);
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
    fl = range(F_WRLCK, -5, 1);
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
    fl = range(F_WRLCK, 0, 1);
    fl.l_whence = 7;
    CHECK_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
    close(fd);
}

static void test_ofd(void)
{
    int a = open("lockfile", O_RDWR), b = open("lockfile", O_RDWR);
    REQUIRE(a >= 0 && b >= 0, "open twice");
    /* OFD locks belong to the open file description: two opens in one
     * process conflict. */
    struct flock fl = range(F_WRLCK, 0, 10);
    CHECK_RET(fcntl(a, F_OFD_SETLK, &fl), 0);
    fl = range(F_WRLCK, 5, 1);
    CHECK_ERRNO(fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
    fl = range(F_RDLCK, 0, 1);
    CHECK_RET(fcntl(b, F_OFD_GETLK, &fl), 0);
    CHECK(fl.l_type == F_WRLCK && fl.l_pid == -1, "F_OFD_GETLK: type %d pid %d", fl.l_type,
          (int)fl.l_pid);
    /* l_pid must be 0 on the way in. */
    fl = range(F_WRLCK, 0, 1);
    fl.l_pid = 1;
    CHECK_ERRNO(fcntl(b, F_OFD_SETLK, &fl), EINVAL);
    /* A dup shares the description and its lock; closing the dup keeps it. */
    int c = dup(a);
    close(c);
    fl = range(F_WRLCK, 5, 1);
    CHECK_ERRNO(fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
    close(a);
    CHECK_RET(fcntl(b, F_OFD_SETLK, &fl), 0);
    close(b);
}

/* ARG: 0 the file is free, 1 someone holds LOCK_EX, 2 someone holds LOCK_SH. */
static void flock_child(void *arg)
{
    int expect = *(int *)arg;
    int fd = open("lockfile", O_RDONLY);
    if (expect == 0) {
        CHECK_RET(flock(fd, LOCK_EX | LOCK_NB), 0);
    } else if (expect == 2) {
        CHECK_ERRNO(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
        CHECK_RET(flock(fd, LOCK_SH | LOCK_NB), 0);
    } else {
        CHECK_ERRNO(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
        CHECK_ERRNO(flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    }
    close(fd);
}

static void flock_inherited_child(void *arg)
{
    /* The inherited fd shares the description, so the lock is ours too. */
    int fd = *(int *)arg;
    CHECK_RET(flock(fd, LOCK_EX | LOCK_NB), 0);
}

static void test_flock(void)
{
    int fd = open("lockfile", O_RDONLY);
    REQUIRE(fd >= 0, "open");
    CHECK_RET(flock(fd, LOCK_EX), 0);
    int busy = 1, shared = 2, free_ = 0;
    CHECK_CHILD(flock_child, &busy);
    CHECK_CHILD(flock_inherited_child, &fd);
    /* Another open in this same process conflicts with flock locks. */
    int other = open("lockfile", O_RDONLY);
    CHECK_ERRNO(flock(other, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    /* Downgrade to shared: other shared lockers get in, exclusive ones not. */
    CHECK_RET(flock(fd, LOCK_SH), 0);
    CHECK_RET(flock(other, LOCK_SH | LOCK_NB), 0);
    CHECK_CHILD(flock_child, &shared);
    CHECK_RET(flock(other, LOCK_UN), 0);
    CHECK_RET(flock(fd, LOCK_UN), 0);
    CHECK_CHILD(flock_child, &free_);
    CHECK_ERRNO(flock(fd, 0), EINVAL);
    CHECK_ERRNO(flock(-1, LOCK_SH), EBADF);
    /* Closing the last fd of the description releases the lock. */
    CHECK_RET(flock(fd, LOCK_EX), 0);
    close(fd);
    CHECK_RET(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
    /* flock and POSIX locks are independent. */
    fd = open("lockfile", O_RDWR);
    CHECK_RET(flock(fd, LOCK_EX), 0);
    struct flock fl = range(F_WRLCK, 0, 0);
    CHECK_RET(fcntl(fd, F_SETLK, &fl), 0);
    close(fd);
}

int main(void)
{
    parent_pid = getpid();
    scratch_enter("fs_lock");
    test_posix();
    test_ofd();
    test_flock();
    scratch_leave();
    return check_done("fs_lock");
}
