/* Logging. One fd, written with single write(2) calls per line so lines from
 * several task threads do not interleave. */
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_out_fd = 2;
static enum log_level log_max_level = LOG_WARN;

void log_init(int fd, enum log_level level)
{
    log_out_fd = fd;
    log_max_level = level;
}

int log_open_dir(const char *dir)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/moat.%d.log", dir, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    log_out_fd = fd;
    log_max_level = LOG_DEBUG;
    return 0;
}

int log_fd(void)
{
    return log_out_fd;
}

static void log_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(log_out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void log_vformat(const char *prefix, const char *fmt, va_list ap)
{
    char buf[2048];
    size_t off = 0;
    if (prefix) {
        int n = snprintf(buf, sizeof(buf), "%s", prefix);
        off = n > 0 ? (size_t)n : 0;
    }
    int n = vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
    if (n < 0)
        return;
    off += (size_t)n;
    if (off >= sizeof(buf) - 1)
        off = sizeof(buf) - 2;
    if (off == 0 || buf[off - 1] != '\n')
        buf[off++] = '\n';
    log_write_all(buf, off);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const prefixes[] = {"moat: error: ", "moat: warning: ", "moat: ", "moat: "};
    if (level > log_max_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vformat(prefixes[level], fmt, ap);
    va_end(ap);
}

void log_raw(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vformat(NULL, fmt, ap);
    va_end(ap);
}
