/* Failing closed: a sentry bug prints a symbolized stack to the log and
 * kills the whole sandbox. */
#pragma once

#include <stdnoreturn.h>

/* Registered by the sandbox owner: called by panic() before exiting, to kill
 * every process of the sandbox (stubs, gofer). Must be async-signal-safe. */
void panic_set_killer(void (*kill_sandbox)(void));
/* Installs handlers for SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT in the sentry
 * that dump the stack and fail closed. */
void panic_install_handlers(void);
/* Prints the calling thread's stack, symbolized, to the log. */
void panic_dump_stack(void);
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define SENTRY_ASSERT(cond)                                                                \
    do {                                                                                   \
        if (!(cond))                                                                       \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);              \
    } while (0)
