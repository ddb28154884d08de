/* Tiny assertion helpers for the behaviour programs.
 *
 * Each program runs natively and under moat; the host kernel is the oracle.
 * CHECK records a failure and goes on (so one run reports every mismatch);
 * REQUIRE stops at once (for preconditions whose failure would make later
 * checks meaningless or crash). check_done() prints "ok NAME" on stdout, or
 * a failure count on stderr, and gives the exit status for main. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,     \
                    #cond);                                                      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define REQUIRE(cond, ...)                                                       \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: REQUIRE(%s) failed: ", __FILE__, __LINE__,   \
                    #cond);                                                      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* EXPR must fail with -1 and errno == ERR (libc / syscall() convention). */
#define CHECK_ERRNO(expr, err)                                                   \
    do {                                                                         \
        errno = 0;                                                               \
        long check_r_ = (long)(expr);                                            \
        int check_e_ = errno;                                                    \
        CHECK(check_r_ == -1 && check_e_ == (err),                               \
              "%s: got %ld errno %d (%s), want -1 errno %d (%s)", #expr,         \
              check_r_, check_e_, strerror(check_e_), (err), strerror(err));     \
    } while (0)

/* EXPR must succeed, returning exactly WANT. */
#define CHECK_RET(expr, want)                                                    \
    do {                                                                         \
        errno = 0;                                                               \
        long check_r_ = (long)(expr);                                            \
        int check_e_ = errno;                                                    \
        CHECK(check_r_ == (long)(want), "%s: got %ld errno %d (%s), want %ld",   \
              #expr, check_r_, check_e_, strerror(check_e_), (long)(want));      \
    } while (0)

static inline int check_done(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "FAIL %s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("ok %s\n", name);
    return 0;
}
