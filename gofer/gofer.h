/* The gofer: the only process of a sandbox that opens host files. It runs
 * in its own mount namespace holding only the sandbox root and the binds,
 * under a seccomp allowlist, and serves the protocol of gofer/proto.h on a
 * SOCK_SEQPACKET socket, donating fds to the sentry. docs/gofer.md has the
 * whole story. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Most binds one gofer serves. */
#define GOFER_BINDS_MAX 256

struct gofer_bind {
    const char *source; /* host path: a directory or a file */
    bool readonly;
};

struct gofer_config {
    const char *root; /* host path of the sandbox root directory */
    bool root_readonly;
    const struct gofer_bind *binds;
    int nbinds;
};

/* Starts the gofer for cfg: a child process in its own mount namespace,
 * serving mount 0 = cfg->root and mounts 1..nbinds = cfg->binds in order.
 * Call it before any thread exists (it forks), from the thread that lives
 * as long as the sandbox (the gofer dies with it: PR_SET_PDEATHSIG).
 *
 * Returns 0 once the gofer has finished its set-up and serves; the caller
 * owns *out_sock (close-on-exec; closing it ends the gofer) and must reap
 * *out_pid. On failure returns -1 with a one-line message in err (e.g.
 * "bind source `/x`: No such file or directory"), the child reaped, no fd
 * left open. */
int gofer_start(const struct gofer_config *cfg, pid_t *out_pid, int *out_sock, char *err,
                size_t errlen);

/* One mount the server serves: the file `name` in directory `dirfd`. The
 * server reopens it there (never through /proc), so a mount root can be a
 * file as well as a directory. */
struct gofer_mount {
    int dirfd; /* O_PATH directory, owned by the caller */
    const char *name;
    bool readonly;
};

/* Serves requests on sock until the peer closes it. Returns 0 then, or
 * -errno if the socket fails. The mounts must outlive the call. */
int gofer_serve(int sock, const struct gofer_mount *mounts, int nmounts);

/* The server without the socket, for gofer_serve, the tests and the
 * fuzzer. */
struct gofer_server;

/* Returns a server with no handles, or NULL (out of memory). */
struct gofer_server *gofer_server_new(const struct gofer_mount *mounts, int nmounts);
/* Closes every handle's fds and frees s. */
void gofer_server_free(struct gofer_server *s);
/* Handles one request of len bytes (any bytes at all) and writes the
 * reply into rep (GOFER_MSG_MAX bytes). Returns the reply's size. If the
 * reply donates an fd, *out_fd is it (owned by the caller, who sends and
 * closes it), else -1. */
size_t gofer_handle_message(struct gofer_server *s, const void *req, size_t len, void *rep,
                            int *out_fd);
/* Handles the server holds (for tests). */
uint32_t gofer_server_handles(const struct gofer_server *s);

/* Installs the gofer's seccomp filter on the calling thread (the filter
 * allows only the socket `sock` for messages). Returns 0 or -errno. */
int gofer_seccomp_install(int sock);

/* The syscalls the filter allows, NULL-terminated (docs/gofer.md lists
 * them; a test checks the two agree). */
extern const char *const gofer_seccomp_syscalls[];
