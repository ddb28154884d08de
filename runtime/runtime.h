/* The CLI: one file per command, registered in main.c's commands[]. */
#pragma once

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int cmd_do(int argc, char **argv);

/* Prints "moat: <formatted>" (and ": strerror(err)" when err != 0) to
 * stderr; returns status, for `return rt_error(...)`. */
int rt_error(int status, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
