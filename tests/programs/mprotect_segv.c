/* A write to a page made read-only by mprotect kills the program with
 * SIGSEGV (expected exit status 139). Everything before the fault is checked
 * so that a wrong early result cannot pass as the expected death. */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
    const size_t page = 4096;
    volatile char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
    p[0] = 42;
    p[page - 1] = 43;
    REQUIRE(mprotect((void *)p, page, PROT_READ) == 0, "mprotect: %s", strerror(errno));
    REQUIRE(p[0] == 42 && p[page - 1] == 43, "read after PROT_READ gave %d %d", p[0],
            p[page - 1]);
    /* The default action must apply: make sure nothing is blocked or ignored. */
    sigset_t none;
    sigemptyset(&none);
    REQUIRE(sigprocmask(SIG_SETMASK, &none, NULL) == 0, "sigprocmask");
    signal(SIGSEGV, SIG_DFL);

    fprintf(stderr, "mprotect_segv: writing to a read-only page, expecting SIGSEGV\n");
    p[1] = 1;
    fprintf(stderr, "FAIL mprotect_segv: write to a PROT_READ page succeeded\n");
    return 1;
}
