/* A syscall Linux itself never implemented (vserver) gives ENOSYS, every
 * time, natively and in moat; the sandbox survives it. Under moat the debug
 * log names it once (checked by tests/integration/cli.sh). */
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
    CHECK_ERRNO(syscall(SYS_vserver, 1, 2, 3), ENOSYS);
    CHECK_ERRNO(syscall(SYS_vserver), ENOSYS);
    /* Numbers past the table are ENOSYS too. */
    CHECK_ERRNO(syscall(1000), ENOSYS);
    CHECK_ERRNO(syscall(-1L), ENOSYS);
    return check_done("enosys");
}
