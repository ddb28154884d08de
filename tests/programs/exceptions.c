/* A CPU exception in application code kills the program with the signal
 * Linux raises for it (no handler installed): exceptions KIND.
 *   fpe  integer division by zero  -> SIGFPE  (136)
 *   ill  ud2                       -> SIGILL  (132)
 *   trap int3                      -> SIGTRAP (133)
 *   gp   a privileged instruction  -> SIGSEGV (139) */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: exceptions fpe|ill|trap|gp\n");
        return 2;
    }
    if (strcmp(argv[1], "fpe") == 0) {
        /* In asm: the compiler turns 1 / x into a compare. */
        __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcltd\n\tidiv %%ecx"
                         : : : "eax", "ecx", "edx");
    } else if (strcmp(argv[1], "ill") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(argv[1], "trap") == 0) {
        __asm__ volatile("int3");
    } else if (strcmp(argv[1], "gp") == 0) {
        __asm__ volatile("hlt");
    }
    fprintf(stderr, "exceptions %s: still alive\n", argv[1]);
    return 1;
}
