/* uname: well-formed, NUL-terminated fields describing an x86-64 Linux. */
#include <ctype.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

static void check_field(const char *name, const char *f)
{
    size_t n = strnlen(f, sizeof(((struct utsname *)0)->sysname));
    CHECK(n > 0, "%s is empty", name);
    CHECK(n < sizeof(((struct utsname *)0)->sysname), "%s is not NUL-terminated", name);
}

int main(void)
{
    struct utsname u;
    memset(&u, 0xff, sizeof(u));
    CHECK_RET(syscall(SYS_uname, &u), 0);
    check_field("sysname", u.sysname);
    check_field("nodename", u.nodename);
    check_field("release", u.release);
    check_field("version", u.version);
    check_field("machine", u.machine);
    check_field("domainname", u.domainname);
    CHECK(strcmp(u.sysname, "Linux") == 0, "sysname '%s'", u.sysname);
    CHECK(strcmp(u.machine, "x86_64") == 0, "machine '%s'", u.machine);

    /* release starts "MAJOR.MINOR", with a major glibc accepts (>= 3). */
    unsigned major = 0, minor = 0;
    CHECK(sscanf(u.release, "%u.%u", &major, &minor) == 2, "release '%s' is not N.N...",
          u.release);
    CHECK(major >= 3, "release '%s' is older than glibc's minimum", u.release);

    /* Stable across calls; the libc wrapper agrees. */
    struct utsname v;
    CHECK_RET(uname(&v), 0);
    CHECK(strcmp(u.release, v.release) == 0 && strcmp(u.nodename, v.nodename) == 0,
          "uname changed between calls");

    CHECK_ERRNO(syscall(SYS_uname, (void *)8), EFAULT);
    CHECK_ERRNO(syscall(SYS_uname, NULL), EFAULT);
    return check_done("uname");
}
