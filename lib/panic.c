/* Failing closed. A sentry bug must never let the sandbox go on in a broken
 * state: print where it happened, symbolized, then kill everything. */
#define UNW_LOCAL_ONLY
#include "lib/panic.h"

#include <libunwind.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/symtab.h"

static void (*panic_killer)(void);

void panic_set_killer(void (*kill_sandbox)(void))
{
    panic_killer = kill_sandbox;
}

void panic_dump_stack(void)
{
    unw_context_t uc;
    unw_cursor_t cursor;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cursor, &uc) != 0) {
        log_raw("moat: (no stack: libunwind failed)");
        return;
    }
    for (int depth = 0; depth < 64 && unw_step(&cursor) > 0; depth++) {
        unw_word_t ip = 0, off = 0;
        char name[256];
        unw_get_reg(&cursor, UNW_REG_IP, &ip);
        const char *sym;
        uintptr_t sym_off;
        /* The return address may sit just past the call's function. */
        if (symtab_lookup((uintptr_t)ip - (depth > 0), &sym, &sym_off)) {
            snprintf(name, sizeof(name), "%s", sym);
            off = sym_off + (depth > 0);
        } else if (unw_get_proc_name(&cursor, name, sizeof(name), &off) != 0) {
            strcpy(name, "??");
        }
        log_raw("  #%-2d 0x%016lx %s+0x%lx", depth, (unsigned long)ip, name, (unsigned long)off);
    }
}

static noreturn void panic_finish(int signo)
{
    panic_dump_stack();
    if (panic_killer)
        panic_killer();
    if (signo) {
        /* Die of the same signal: the handler blocks it, so unblock it. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, signo);
        signal(signo, SIG_DFL);
        raise(signo);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
    _exit(125);
}

noreturn void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_raw("moat: sentry panic: %s; killing the sandbox. Stack:", buf);
    panic_finish(0);
}

static void panic_on_signal(int signo, siginfo_t *si, void *uctx)
{
    (void)uctx;
    log_raw("moat: sentry crashed: signal %d (%s) at address %p; killing the sandbox. Stack:",
            signo, strsignal(signo), si->si_addr);
    panic_finish(signo);
}

void panic_install_handlers(void)
{
    /* Now, while files can still be opened: see lib/symtab.h. */
    symtab_load();
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    static const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        struct sigaction sa = {.sa_sigaction = panic_on_signal,
                               .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND};
        sigaction(signals[i], &sa, NULL);
    }
}
