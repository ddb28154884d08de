/* libFuzzer target: the gofer's message parser and dispatcher
 * (gofer_handle_message) over a real temporary tree.
 *
 * An input is a sequence of requests, each a uint16 length (little-endian)
 * and that many bytes, handled in order by one fresh server, so a fuzzed
 * input can ATTACH and then use the handle it got (the first handle is
 * always 0x100000001). Oracles, beyond "never crash":
 *   - every reply decodes as a reply, with the request's tag (or 0);
 *   - every donated fd is a file inside the tree (never outside the root).
 *
 * Built with -fsanitize=fuzzer,address under clang; replay.c runs it over
 * the seeds in the normal test suite. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/gofer.h"
#include "gofer/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tree[64];
static int tree_fd = -1;
static struct gofer_mount mounts[2];
static bool verbose; /* FUZZ_GOFER_VERBOSE=1: print each request and reply */
static uint8_t rep[GOFER_MSG_MAX];
static uint8_t req[GOFER_MSG_MAX + 1];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_gofer_proto: %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void put(const char *rel, const char *text)
{
    int fd = openat(tree_fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

/* (Re)builds the tree: root/ (read-write) and ro/ (read-only). */
static void build_tree(void)
{
    nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    CHECK(mkdirat(tree_fd, "root", 0755) == 0);
    CHECK(mkdirat(tree_fd, "root/dir", 0755) == 0);
    CHECK(mkdirat(tree_fd, "ro", 0755) == 0);
    put("root/file", "hello");
    put("root/dir/sub", "sub");
    put("ro/file", "ro");
    CHECK(symlinkat("/etc/passwd", tree_fd, "root/abs") == 0);
    CHECK(symlinkat("../../..", tree_fd, "root/up") == 0);
    CHECK(mknodat(tree_fd, "root/fifo", S_IFIFO | 0644, 0) == 0);
}

static void cleanup(void)
{
    nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    rmdir(tree);
}

static void init(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tree, sizeof(tree), "%s/gofer-fuzz-XXXXXX", base);
    CHECK(mkdtemp(tree));
    tree_fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(tree_fd >= 0);
    mounts[0] = (struct gofer_mount){tree_fd, "root", false};
    mounts[1] = (struct gofer_mount){tree_fd, "ro", true};
    build_tree();
    atexit(cleanup);
    verbose = getenv("FUZZ_GOFER_VERBOSE") != NULL;
}

/* The donated fd must be a file under the tree. */
static void check_fd(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    CHECK(n > 0);
    path[n] = '\0';
    size_t len = strlen(tree);
    CHECK(strncmp(path, tree, len) == 0 && (path[len] == '/' || path[len] == '\0'));
}

/* Whether a request that succeeded may have changed the tree. */
static bool modifies(const uint8_t *msg, size_t len)
{
    struct gofer_msg m;
    if (gofer_decode(msg, len, GOFER_REQUEST, &m) != 0)
        return true; /* cannot happen after a success: be safe */
    switch (m.hdr.op) {
    case GOFER_OP_CREATE:
    case GOFER_OP_MKDIR:
    case GOFER_OP_MKNOD:
    case GOFER_OP_SYMLINK:
    case GOFER_OP_LINK:
    case GOFER_OP_UNLINK:
    case GOFER_OP_RENAME:
    case GOFER_OP_SETATTR:
        return true;
    case GOFER_OP_OPEN:
        return (m.u.open_req.flags & 01000 /* O_TRUNC */) != 0;
    default:
        return false;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (tree_fd < 0)
        init();
    struct gofer_server *s = gofer_server_new(mounts, 2);
    CHECK(s);
    bool dirty = false;
    while (size >= 2) {
        size_t len = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        memcpy(req, data, len);
        data += len;
        size -= len;

        int fd;
        size_t n = gofer_handle_message(s, req, len, rep, &fd);
        struct gofer_msg m;
        CHECK(gofer_decode(rep, n, GOFER_REPLY, &m) == 0);
        struct gofer_hdr h = {0};
        if (len >= sizeof(h))
            memcpy(&h, req, sizeof(h));
        CHECK(m.hdr.tag == h.tag);
        CHECK(m.hdr.op == GOFER_OP_ERROR || m.hdr.op == h.op);
        if (verbose)
            fprintf(stderr, "%s (%zu bytes) -> %s %u\n", gofer_op_name(h.op), len,
                    gofer_op_name(m.hdr.op),
                    m.hdr.op == GOFER_OP_ERROR ? m.u.error.error : (unsigned)n);
        if (m.hdr.op == GOFER_OP_ERROR)
            CHECK(m.u.error.error > 0 && m.u.error.error < 4096);
        else
            dirty |= modifies(req, len);
        if (fd >= 0) {
            CHECK(m.hdr.op == GOFER_OP_OPEN || m.hdr.op == GOFER_OP_CREATE);
            check_fd(fd);
            close(fd);
        }
    }
    gofer_server_free(s);
    if (dirty)
        build_tree();
    return 0;
}
