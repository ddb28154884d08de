/* moat: entry point and command table. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"

static const struct command commands[] = {
    {"do", "run one program in a sandbox", cmd_do},
};

int rt_error(int status, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err)
        fprintf(stderr, "moat: %s: %s\n", msg, strerror(err));
    else
        fprintf(stderr, "moat: %s\n", msg);
    return status;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: moat COMMAND [FLAGS] [-- PROGRAM ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nmoat COMMAND --help shows the command's flags.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    rt_error(0, 0, "unknown command `%s`", argv[1]);
    usage(stderr);
    return 2;
}
