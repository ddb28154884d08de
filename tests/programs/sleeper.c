/* A long-running program for tests that act on a sandbox from outside:
 *   sleeper N       sleeps N seconds (in a syscall), then exits 0
 *   sleeper spin N  spins in user code for about N seconds, then exits 0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "spin") == 0) {
        time_t end = time(NULL) + atoi(argv[2]);
        while (time(NULL) < end)
            for (volatile long i = 0; i < 100000000; i++)
                ;
        return 0;
    }
    struct timespec ts = {.tv_sec = argc > 1 ? atoi(argv[1]) : 10};
    nanosleep(&ts, NULL);
    return 0;
}
