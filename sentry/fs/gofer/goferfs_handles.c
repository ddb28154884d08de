/* goferfs: the gofer connection shared by a gofer's superblocks, batched
 * handle release, and the handles of read-only mounts (see
 * goferfs_impl.h): a most-recently-used list of directory handles and the
 * walk that gets a handle back in one round trip.
 *
 * Errors: the gofer's errno is the application's. A gofer that is gone (or
 * broke the protocol) makes every call -EIO for ever: the application sees
 * EIO on every file operation (nothing of the host is reachable any more,
 * so this fails closed without killing the sandbox outright), and the loss
 * is logged once.
 *
 * Lock order: the kernel lock; the gofer client's lock is a leaf under it. */
#include <stdlib.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "lib/log.h"
#include "sentry/fs/gofer/goferfs_impl.h"

/* --- the connection --- */

struct goferfs_conn *goferfs_conn_new(int sock)
{
    struct goferfs_conn *conn = calloc(1, sizeof(*conn));
    if (conn)
        conn->client = gofer_client_new(sock);
    if (!conn || !conn->client) {
        free(conn);
        close(sock);
        return NULL;
    }
    conn->refs = 1;
    return conn;
}

void goferfs_conn_put(struct goferfs_conn *conn)
{
    if (--conn->refs > 0)
        return;
    goferfs_flush_handles(conn);
    gofer_client_free(conn->client);
    free(conn);
}

int goferfs_check_err(struct goferfs_conn *conn, int err)
{
    if (err == -LINUX_EIO && !conn->warned_dead) {
        conn->warned_dead = true;
        log_error("goferfs: the gofer returned EIO (gone or broken?): file operations fail");
    }
    return err;
}

void goferfs_flush_handles(struct goferfs_conn *conn)
{
    if (conn->npending == 0)
        return;
    int err = gofer_close(conn->client, conn->pending, conn->npending);
    if (err && err != -LINUX_EIO)
        log_warn("goferfs: closing %zu handles: error %d", conn->npending, err);
    conn->npending = 0;
}

void goferfs_release_handle(struct goferfs_conn *conn, uint64_t handle)
{
    if (!handle)
        return;
    conn->pending[conn->npending++] = handle;
    if (conn->npending == GOFERFS_CLOSE_BATCH)
        goferfs_flush_handles(conn);
}

/* --- handles of read-only mounts --- */

void goferfs_lru_unlist(struct goferfs_sb *s, struct gofer_inode *gi)
{
    if (!gi->lru_listed)
        return;
    if (gi->lru_prev)
        gi->lru_prev->lru_next = gi->lru_next;
    else
        s->lru_first = gi->lru_next;
    if (gi->lru_next)
        gi->lru_next->lru_prev = gi->lru_prev;
    else
        s->lru_last = gi->lru_prev;
    gi->lru_prev = gi->lru_next = NULL;
    gi->lru_listed = false;
    s->lru_count--;
}

static void lru_append(struct goferfs_sb *s, struct gofer_inode *gi)
{
    gi->lru_prev = s->lru_last;
    gi->lru_next = NULL;
    if (s->lru_last)
        s->lru_last->lru_next = gi;
    else
        s->lru_first = gi;
    s->lru_last = gi;
    gi->lru_listed = true;
    s->lru_count++;
}

/* Gives directory gi (of a read-only mount) handle h, dropping the least
 * recently used directory handle past the limit. */
void goferfs_dir_handle_cache(struct goferfs_sb *s, struct gofer_inode *gi, uint64_t h)
{
    gi->handle = h;
    lru_append(s, gi);
    while (s->lru_count > GOFERFS_DIR_HANDLES_MAX) {
        struct gofer_inode *old = s->lru_first;
        goferfs_lru_unlist(s, old);
        goferfs_release_handle(s->conn, old->handle);
        old->handle = 0;
    }
}

/* Walks from the nearest ancestor of ino that has a handle down to ino, a
 * batch of GOFER_WALK_MAX names per round trip, caching the handles of
 * the directories on the way. */
static int walk_to(struct inode *ino, uint64_t *out_handle, bool *out_temp)
{
    struct goferfs_sb *s = goferfs_sbi(ino->sb);
    size_t depth = 0;
    for (struct inode *i = ino; !gofer_inode_of(i)->handle; i = gofer_inode_of(i)->parent) {
        if (!gofer_inode_of(i)->parent)
            return -LINUX_ESTALE;
        depth++;
    }
    struct inode **chain = malloc(depth * sizeof(*chain)); /* chain[0]: ino */
    const char **names = malloc(GOFER_WALK_MAX * sizeof(*names));
    struct gofer_handle_stat *hs = malloc(GOFER_WALK_MAX * sizeof(*hs));
    int err = chain && names && hs ? 0 : -LINUX_ENOMEM;
    struct inode *i = ino;
    for (size_t k = 0; !err && k < depth; k++, i = gofer_inode_of(i)->parent)
        chain[k] = i;
    uint64_t from = err ? 0 : gofer_inode_of(i)->handle; /* the ancestor's */
    size_t left = depth;
    while (!err && left > 0) {
        unsigned n = left < GOFER_WALK_MAX ? (unsigned)left : GOFER_WALK_MAX;
        for (unsigned k = 0; k < n; k++)
            names[k] = gofer_inode_of(chain[left - 1 - k])->name;
        unsigned walked = 0;
        int werr = 0;
        err = gofer_walk(s->conn->client, from, n, names, hs, &walked, &werr);
        if (!err && walked < n)
            err = werr ? werr : -LINUX_ESTALE; /* renamed or removed on the host */
        for (unsigned k = 0; k < walked; k++) {
            struct inode *c = chain[left - 1 - k];
            bool last = left - 1 - k == 0;
            if (err || ((c->attr.mode & LINUX_S_IFMT) != LINUX_S_IFDIR && !last)) {
                goferfs_release_handle(s->conn, hs[k].handle);
            } else if ((c->attr.mode & LINUX_S_IFMT) == LINUX_S_IFDIR) {
                goferfs_dir_handle_cache(s, gofer_inode_of(c), hs[k].handle);
            } else {
                *out_handle = hs[k].handle; /* the file itself: the caller's */
                *out_temp = true;
            }
        }
        if (!err) {
            left -= n;
            from = hs[n - 1].handle;
        }
    }
    free(chain);
    free(names);
    free(hs);
    if (err)
        return goferfs_check_err(s->conn, err);
    if (!*out_temp)
        *out_handle = gofer_inode_of(ino)->handle;
    return 0;
}

int goferfs_get_handle(struct inode *ino, uint64_t *out_handle, bool *out_temp)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    *out_temp = false;
    if (gi->handle) {
        if (gi->lru_listed) {
            struct goferfs_sb *s = goferfs_sbi(ino->sb);
            goferfs_lru_unlist(s, gi);
            lru_append(s, gi);
        }
        *out_handle = gi->handle;
        return 0;
    }
    return walk_to(ino, out_handle, out_temp);
}
