/* A store through a null pointer kills the program with SIGSEGV (expected
 * exit status 139). */
#include <stddef.h>

#include "check.h"

int main(void)
{
    volatile int *p = NULL;
    /* Hide the null from the compiler so it emits a plain store, not a trap. */
    __asm__ volatile("" : "+r"(p));
    fprintf(stderr, "null_deref: storing through NULL, expecting SIGSEGV\n");
    *p = 1;
    fprintf(stderr, "FAIL null_deref: store through NULL succeeded\n");
    return 1;
}
