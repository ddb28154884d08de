/* Logging: the sentry's debug log and the CLI's error lines. */
#pragma once

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sends log lines to fd (default: stderr) at or below level. */
void log_init(int fd, enum log_level level);
/* Opens DIR/moat.<pid>.log and logs there; returns 0 or -errno. */
int log_open_dir(const char *dir);
int log_fd(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the formatted text as is (for --strace lines). */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
