/* epoll_create/epoll_ctl/epoll_wait argument errors, in Linux's order, and
 * nested epoll: an epoll fd watched by another epoll and by poll, loops
 * (ELOOP) and the nesting limit, and how an epoll fd shows in fstat and
 * /proc/self/fd. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static int ctl(int ep, int op, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)fd};
    return epoll_ctl(ep, op, fd, &ev);
}

static void test_create(void)
{
    CHECK_ERRNO(epoll_create(0), EINVAL);
    CHECK_ERRNO(epoll_create(-1), EINVAL);
    CHECK_ERRNO(epoll_create1(O_NONBLOCK), EINVAL);
    CHECK_ERRNO(epoll_create1(1), EINVAL);
    int ep = epoll_create(100);
    REQUIRE(ep >= 0, "epoll_create: %s", strerror(errno));
    CHECK_RET(fcntl(ep, F_GETFD), 0);
    CHECK_RET(fcntl(ep, F_GETFL), O_RDWR);
    char b[16];
    CHECK_ERRNO(read(ep, b, sizeof b), EINVAL);
    CHECK_ERRNO(write(ep, b, sizeof b), EINVAL);
    struct stat st;
    CHECK_RET(fstat(ep, &st), 0);
    CHECK((st.st_mode & 0777) == 0600, "mode %o", st.st_mode);
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
    ssize_t n = readlink(path, link, sizeof link - 1);
    CHECK(n > 0, "readlink: %s", strerror(errno));
    link[n > 0 ? n : 0] = 0;
    CHECK(strcmp(link, "anon_inode:[eventpoll]") == 0, "link \"%s\"", link);
    close(ep);
}

static void test_ctl_errors(void)
{
    int ep = epoll_create1(0);
    int efd = eventfd(0, 0);
    int file = open("/proc/self/stat", O_RDONLY);
    int null = open("/dev/null", O_RDWR);
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    int p[2];
    REQUIRE(ep >= 0 && efd >= 0 && file >= 0 && null >= 0 && dir >= 0 && pipe(p) == 0, "setup: %s",
            strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN};
    /* The event is copied first (not for DEL), then the fds are looked up. */
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, efd, (void *)8), EFAULT);
    CHECK_ERRNO(epoll_ctl(-1, EPOLL_CTL_ADD, efd, (void *)8), EFAULT);
    CHECK_ERRNO(epoll_ctl(1000, EPOLL_CTL_ADD, efd, &ev), EBADF);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 1000, &ev), EBADF);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, 1000, (void *)8), EBADF);
    /* Files without a poll op: EPERM (before the other checks). */
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, file, EPOLLIN), EPERM);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, null, EPOLLIN), EPERM);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, dir, EPOLLIN), EPERM);
    CHECK_ERRNO(ctl(efd, EPOLL_CTL_ADD, file, EPOLLIN), EPERM);
    /* Not an epoll fd; an epoll fd on itself. */
    CHECK_ERRNO(ctl(efd, EPOLL_CTL_ADD, p[0], EPOLLIN), EINVAL);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN), EINVAL);
    /* Unknown op. */
    CHECK_ERRNO(ctl(ep, 99, efd, EPOLLIN), EINVAL);
    CHECK_ERRNO(ctl(ep, 0, efd, EPOLLIN), EINVAL);
    /* MOD/DEL of what is not there; ADD twice. */
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN), ENOENT);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
    CHECK_RET(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN), 0);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLOUT), EEXIST);
    CHECK_RET(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLOUT), 0);
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), 0);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
    /* EPOLLEXCLUSIVE: ADD only, only with the "ok" bits, not on epoll. */
    CHECK_RET(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE), 0);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN), EINVAL);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE), EINVAL);
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT), EINVAL);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP), EINVAL);
    CHECK_RET(ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET), 0);
    int ep2 = epoll_create1(0);
    CHECK_ERRNO(ctl(ep, EPOLL_CTL_ADD, ep2, EPOLLIN | EPOLLEXCLUSIVE), EINVAL);
    /* DEL ignores the event pointer. */
    CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], (void *)8), 0);
    close(ep2);

    /* epoll_wait. */
    struct epoll_event out[4];
    CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, 0, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, -1, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, INT32_MAX / 12 + 1, 0), EINVAL);
    CHECK_ERRNO(epoll_wait(1000, out, 4, 0), EBADF);
    CHECK_ERRNO(epoll_wait(efd, out, 4, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_epoll_wait, ep, 0x7ffffffff000UL, 4096, 0), EFAULT);
    /* A buffer that cannot be written: EFAULT, and the event stays. */
    CHECK_RET(ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT), 0);
    void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(ro != MAP_FAILED, "mmap");
    CHECK_ERRNO(epoll_wait(ep, ro, 4, 0), EFAULT);
    CHECK_RET(epoll_wait(ep, out, 4, 0), 1);
    munmap(ro, 4096);

    close(p[0]);
    close(p[1]);
    close(dir);
    close(null);
    close(file);
    close(efd);
    close(ep);
}

static void test_nested(void)
{
    int outer = epoll_create1(0);
    int inner = epoll_create1(0);
    int efd = eventfd(0, EFD_NONBLOCK);
    REQUIRE(outer >= 0 && inner >= 0 && efd >= 0, "setup");
    CHECK_RET(ctl(inner, EPOLL_CTL_ADD, efd, EPOLLIN), 0);
    CHECK_RET(ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN), 0);
    struct epoll_event ev[2];
    CHECK_RET(epoll_wait(outer, ev, 2, 0), 0);
    struct pollfd pfd = {inner, POLLIN, 0};
    CHECK_RET(poll(&pfd, 1, 0), 0);
    uint64_t v = 1;
    CHECK_RET(write(efd, &v, 8), 8);
    /* The inner epoll is readable: poll and the outer epoll say so. */
    CHECK_RET(poll(&pfd, 1, 0), 1);
    CHECK(pfd.revents == POLLIN, "inner revents %#x", pfd.revents);
    CHECK_RET(epoll_wait(outer, ev, 2, 0), 1);
    CHECK(ev[0].events == EPOLLIN && ev[0].data.u64 == (uint64_t)inner, "events %#x", ev[0].events);
    CHECK_RET(epoll_wait(inner, ev, 2, 0), 1);
    CHECK_RET(read(efd, &v, 8), 8);
    CHECK_RET(epoll_wait(outer, ev, 2, 0), 0);
    CHECK_RET(poll(&pfd, 1, 0), 0);
    /* A blocking wait on the outer one is woken through the inner one. */
    CHECK_RET(write(efd, &v, 8), 8);
    CHECK_RET(epoll_wait(outer, ev, 2, 1000), 1);

    /* Loops: inner watching outer. */
    CHECK_ERRNO(ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN), ELOOP);
    int third = epoll_create1(0);
    CHECK_RET(ctl(third, EPOLL_CTL_ADD, outer, EPOLLIN), 0);
    CHECK_ERRNO(ctl(inner, EPOLL_CTL_ADD, third, EPOLLIN), ELOOP);
    close(third);
    /* Closing the inner epoll drops the outer's item. */
    close(inner);
    CHECK_RET(epoll_wait(outer, ev, 2, 0), 0);
    close(efd);
    close(outer);

    /* Nesting: at most 5 epoll fds on a chain, built either way. */
    int chain[6];
    for (int i = 0; i < 6; i++)
        chain[i] = epoll_create1(0);
    for (int i = 0; i < 4; i++)
        CHECK_RET(ctl(chain[i], EPOLL_CTL_ADD, chain[i + 1], EPOLLIN), 0);
    CHECK_ERRNO(ctl(chain[4], EPOLL_CTL_ADD, chain[5], EPOLLIN), ELOOP);
    for (int i = 0; i < 6; i++)
        close(chain[i]);
    for (int i = 0; i < 6; i++)
        chain[i] = epoll_create1(0);
    for (int i = 4; i >= 1; i--)
        CHECK_RET(ctl(chain[i], EPOLL_CTL_ADD, chain[i + 1], EPOLLIN), 0);
    CHECK_ERRNO(ctl(chain[0], EPOLL_CTL_ADD, chain[1], EPOLLIN), ELOOP);
    for (int i = 0; i < 6; i++)
        close(chain[i]);
}

int main(void)
{
    test_create();
    test_ctl_errors();
    test_nested();
    return check_done("epoll_errors");
}
