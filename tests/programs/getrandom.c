/* getrandom: fills buffers with fresh bytes; flag and pointer checking. */
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static int all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int main(void)
{
    unsigned char a[64], b[64];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    CHECK_RET(syscall(SYS_getrandom, a, sizeof(a), 0), sizeof(a));
    CHECK_RET(syscall(SYS_getrandom, b, sizeof(b), 0), sizeof(b));
    CHECK(!all_zero(a, sizeof(a)), "64 random bytes are all zero");
    CHECK(memcmp(a, b, sizeof(a)) != 0, "two calls returned the same bytes");

    /* A small request is never short; a large one returns something. */
    unsigned char small[7] = {0};
    CHECK_RET(syscall(SYS_getrandom, small, sizeof(small), GRND_NONBLOCK), sizeof(small));
    CHECK_RET(syscall(SYS_getrandom, a, sizeof(a), GRND_RANDOM | GRND_NONBLOCK), sizeof(a));
    CHECK_RET(syscall(SYS_getrandom, a, 0, 0), 0);

    size_t big_size = 1 << 20;
    unsigned char *big = calloc(1, big_size);
    REQUIRE(big, "calloc");
    long n = syscall(SYS_getrandom, big, big_size, 0);
    CHECK(n > 0 && (size_t)n <= big_size, "1 MiB request returned %ld", n);
    if (n >= 4096)
        CHECK(!all_zero(big + n - 4096, 4096), "last filled page of a big request is zero");
    free(big);

    /* The byte distribution is not silly: every value of 64 KiB shows up. */
    static unsigned char buf[65536];
    size_t got = 0;
    while (got < sizeof(buf)) {
        long r = syscall(SYS_getrandom, buf + got, sizeof(buf) - got, 0);
        REQUIRE(r > 0, "getrandom: %s", strerror(errno));
        got += r;
    }
    int seen[256] = {0};
    for (size_t i = 0; i < sizeof(buf); i++)
        seen[buf[i]] = 1;
    int missing = 0;
    for (int i = 0; i < 256; i++)
        missing += !seen[i];
    CHECK(missing == 0, "%d byte values never appeared in 64 KiB", missing);

    CHECK_ERRNO(syscall(SYS_getrandom, a, sizeof(a), 0x100), EINVAL);
    CHECK_ERRNO(syscall(SYS_getrandom, a, sizeof(a), -1), EINVAL);
    CHECK_ERRNO(syscall(SYS_getrandom, (void *)8, 16, 0), EFAULT);
    CHECK_ERRNO(syscall(SYS_getrandom, (void *)8, 16, GRND_NONBLOCK), EFAULT);

    /* The libc wrapper too. */
    CHECK_RET(getrandom(b, 16, 0), 16);
    return check_done("getrandom");
}
