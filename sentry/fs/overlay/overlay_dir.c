/* overlay directories: the ops that change them (copy-up first, whiteouts
 * for lower names that go away, opaque directories where a new directory
 * replaces a lower name) and merged listings.
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/dirent.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/overlay/overlay_impl.h"

/* --- listings --- */

struct ovl_ent {
    char *name;
    uint64_t ino;
    uint8_t type;
    bool whiteout; /* upper listings only */
};

struct ovl_list {
    struct ovl_ent *v;
    size_t count, cap;
};

static void list_free(struct ovl_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i].name);
    free(l->v);
    l->v = NULL;
    l->count = l->cap = 0;
}

static int list_add(struct ovl_list *l, const char *name, uint64_t ino, uint8_t type)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct ovl_ent *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -LINUX_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -LINUX_ENOMEM;
    l->v[l->count++] = (struct ovl_ent){copy, ino, type, false};
    return 0;
}

struct collect {
    struct ovl_list *list;
    int err;
};

static bool collect_emit(void *ctx, const struct vfs_dirent *d)
{
    struct collect *c = ctx;
    if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
        return true;
    if (!c->err)
        c->err = list_add(c->list, d->name, d->ino, d->type);
    return true;
}

/* Every entry of the layer directory real (without "." and ".."). */
static int list_layer(struct inode *real, struct ovl_list *out)
{
    struct file *f;
    int err = ovl_open_real(real, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &f);
    if (err)
        return err;
    struct collect c = {out, 0};
    err = f->ops->iterate ? f->ops->iterate(f, collect_emit, &c) : -LINUX_ENOTDIR;
    file_put(f);
    return err ? err : c.err;
}

/* Marks the whiteouts of an upper listing. */
static void mark_whiteouts(struct inode *upper, struct ovl_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        if (l->v[i].type != LINUX_DT_CHR)
            continue;
        struct inode *w = NULL;
        if (upper->ops->lookup(upper, l->v[i].name, &w) == 0 && w) {
            l->v[i].whiteout = ovl_is_whiteout(w);
            inode_put(w);
        }
    }
}

/* A name index over a listing: open addressing of entry indices + 1. */
struct name_index {
    size_t *slots, cap;
};

static size_t hash_name(const char *s)
{
    size_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static int index_build(struct name_index *ix, const struct ovl_list *l)
{
    ix->cap = 16;
    while (ix->cap < l->count * 2)
        ix->cap *= 2;
    ix->slots = calloc(ix->cap, sizeof(*ix->slots));
    if (!ix->slots)
        return -LINUX_ENOMEM;
    for (size_t i = 0; i < l->count; i++) {
        size_t k = hash_name(l->v[i].name) & (ix->cap - 1);
        while (ix->slots[k])
            k = (k + 1) & (ix->cap - 1);
        ix->slots[k] = i + 1;
    }
    return 0;
}

/* The index of name in l, or -1. */
static long index_find(const struct name_index *ix, const struct ovl_list *l, const char *name)
{
    for (size_t k = hash_name(name) & (ix->cap - 1); ix->slots[k]; k = (k + 1) & (ix->cap - 1)) {
        if (strcmp(l->v[ix->slots[k] - 1].name, name) == 0)
            return (long)ix->slots[k] - 1;
    }
    return -1;
}

/* The st_ino of the upper entry called name in dir (what a lookup shows). */
static uint64_t upper_ent_ino(struct inode *dir, const struct ovl_ent *e)
{
    struct ovl_inode *di = ovl_of(dir);
    struct ovl_inode *c = ovl_child_find(di, e->name);
    if (c)
        return c->ino->attr.ino;
    struct inode *u = NULL;
    uint64_t ino = e->ino | OVL_UPPER_INO_BIT;
    if (di->upper->ops->lookup(di->upper, e->name, &u) == 0 && u) {
        struct ovl_meta *m = ovl_meta_find(ovl_sbi(dir->sb), u);
        if (m)
            ino = m->ino;
        inode_put(u);
    }
    return ino;
}

/* The merged listing of an overlay directory: the lower entries in their
 * order (an upper entry of the same name replaces one, a whiteout hides
 * it), then the entries only the upper layer has. */
static int merged_list(struct inode *dir, struct ovl_list *out)
{
    struct ovl_inode *di = ovl_of(dir);
    struct ovl_list up = {0}, low = {0};
    struct name_index ix = {0};
    int err = 0;
    if (di->upper) {
        err = list_layer(di->upper, &up);
        if (!err)
            mark_whiteouts(di->upper, &up);
    }
    if (!err && di->lower)
        err = list_layer(di->lower, &low);
    if (!err)
        err = index_build(&ix, &up);
    bool *used = err ? NULL : calloc(up.count + 1, sizeof(bool));
    if (!err && !used)
        err = -LINUX_ENOMEM;
    for (size_t i = 0; !err && i < low.count; i++) {
        long k = index_find(&ix, &up, low.v[i].name);
        if (k < 0) {
            err = list_add(out, low.v[i].name, low.v[i].ino, low.v[i].type);
            continue;
        }
        used[k] = true;
        if (!up.v[k].whiteout)
            err = list_add(out, up.v[k].name, upper_ent_ino(dir, &up.v[k]), up.v[k].type);
    }
    for (size_t i = 0; !err && i < up.count; i++) {
        if (!used[i] && !up.v[i].whiteout)
            err = list_add(out, up.v[i].name, upper_ent_ino(dir, &up.v[i]), up.v[i].type);
    }
    free(used);
    free(ix.slots);
    list_free(&up);
    list_free(&low);
    if (err)
        list_free(out);
    return err;
}

/* Whether an overlay directory is empty in the merged view. */
static int merged_empty(struct inode *dir)
{
    struct ovl_list l = {0};
    int err = merged_list(dir, &l);
    if (!err && l.count > 0)
        err = -LINUX_ENOTEMPTY;
    list_free(&l);
    return err;
}

/* Removes the whiteouts of an upper directory that is empty in the merged
 * view, so the upper layer can remove it. */
static int clear_whiteouts(struct inode *upper)
{
    struct ovl_list l = {0};
    int err = list_layer(upper, &l);
    if (!err)
        mark_whiteouts(upper, &l);
    for (size_t i = 0; !err && i < l.count; i++) {
        if (!l.v[i].whiteout) {
            err = -LINUX_ENOTEMPTY;
            break;
        }
        struct inode *w = NULL;
        err = upper->ops->lookup(upper, l.v[i].name, &w);
        if (!err && w)
            err = upper->ops->unlink(upper, l.v[i].name, w);
        if (w)
            inode_put(w);
    }
    list_free(&l);
    return err;
}

/* --- whiteouts and new names --- */

static int make_whiteout(struct inode *pu, const char *name)
{
    struct inode *w;
    int err = pu->ops->mknod(pu, name, LINUX_S_IFCHR, 0, &ovl_root_cred, &w);
    if (!err)
        inode_put(w);
    return err;
}

/* Gets dir ready for a new entry called name: dir copied up, a whiteout of
 * that name removed (*out_was_whiteout). */
static int prepare_new(struct inode *dir, const char *name, bool *out_was_whiteout)
{
    *out_was_whiteout = false;
    int err = ovl_copy_up(dir);
    if (err)
        return err;
    struct inode *pu = ovl_of(dir)->upper, *w = NULL;
    err = pu->ops->lookup(pu, name, &w);
    if (err == -LINUX_ENOENT || (!err && !w))
        return 0;
    if (err)
        return err;
    if (ovl_is_whiteout(w)) {
        err = pu->ops->unlink(pu, name, w);
        *out_was_whiteout = !err;
    } else {
        err = -LINUX_EEXIST;
    }
    inode_put(w);
    return err;
}

/* Wraps the new upper object u (the caller's reference) called name. */
static int finish_new(struct inode *dir, const char *name, int err, struct inode *u, bool opaque,
                      struct inode **out_inode)
{
    if (err)
        return err;
    if (opaque) {
        struct ovl_meta *m = ovl_meta_get(ovl_sbi(dir->sb), u, u->attr.ino | OVL_UPPER_INO_BIT);
        if (m)
            m->opaque = true;
    }
    err = ovl_inode_make(dir, name, u, NULL, out_inode);
    ovl_refresh_attr(dir);
    return err;
}

int ovl_create(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
               struct inode **out_inode)
{
    bool wh;
    int err = prepare_new(dir, name, &wh);
    struct inode *pu = ovl_of(dir)->upper, *u = NULL;
    if (!err)
        err = pu->ops->create(pu, name, mode, cred, &u);
    return finish_new(dir, name, err, u, false, out_inode);
}

int ovl_mkdir(struct inode *dir, const char *name, uint32_t mode, const struct cred *cred,
              struct inode **out_inode)
{
    bool wh;
    int err = prepare_new(dir, name, &wh);
    struct inode *pu = ovl_of(dir)->upper, *u = NULL;
    if (!err)
        err = pu->ops->mkdir(pu, name, mode, cred, &u);
    /* Over a whiteout, the new directory must not show the old one's lower
     * entries: opaque. */
    return finish_new(dir, name, err, u, wh, out_inode);
}

int ovl_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
              const struct cred *cred, struct inode **out_inode)
{
    bool wh;
    int err = prepare_new(dir, name, &wh);
    struct inode *pu = ovl_of(dir)->upper, *u = NULL;
    if (!err)
        err = pu->ops->mknod ? pu->ops->mknod(pu, name, mode, rdev, cred, &u) : -LINUX_EPERM;
    return finish_new(dir, name, err, u, false, out_inode);
}

int ovl_symlink(struct inode *dir, const char *name, const char *target, const struct cred *cred,
                struct inode **out_inode)
{
    bool wh;
    int err = prepare_new(dir, name, &wh);
    struct inode *pu = ovl_of(dir)->upper, *u = NULL;
    if (!err)
        err = pu->ops->symlink(pu, name, target, cred, &u);
    return finish_new(dir, name, err, u, false, out_inode);
}

int ovl_link(struct inode *dir, const char *name, struct inode *target)
{
    /* Both names then share the upper copy: its data too, so no overlay
     * inode of either name is left reading the lower file. */
    int err = ovl_copy_up_data(target);
    bool wh;
    if (!err)
        err = prepare_new(dir, name, &wh);
    struct inode *pu = ovl_of(dir)->upper;
    if (!err)
        err = pu->ops->link(pu, name, ovl_of(target)->upper);
    if (!err) {
        ovl_refresh_attr(target);
        ovl_refresh_attr(dir);
    }
    return err;
}

/* The end of removing victim's name from dir: whiteout, tables. */
static int removed(struct inode *dir, const char *name, struct inode *victim, bool has_lower)
{
    struct ovl_inode *v = ovl_of(victim);
    int err = has_lower ? make_whiteout(ovl_of(dir)->upper, name) : 0;
    if (v->upper && v->upper->attr.nlink == 0)
        ovl_meta_drop(ovl_sbi(dir->sb), v->upper);
    ovl_child_remove(ovl_of(dir), v);
    ovl_refresh_attr(dir);
    if (v->upper)
        ovl_refresh_attr(victim);
    return err;
}

int ovl_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct ovl_inode *v = ovl_of(victim);
    bool has = false;
    int err = ovl_copy_up(dir);
    if (!err)
        err = ovl_lower_has(dir, name, &has);
    struct inode *pu = ovl_of(dir)->upper;
    if (!err && v->upper)
        err = pu->ops->unlink(pu, name, v->upper);
    return err ? err : removed(dir, name, victim, has);
}

int ovl_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
    struct ovl_inode *v = ovl_of(victim);
    bool has = false;
    int err = merged_empty(victim);
    if (!err)
        err = ovl_copy_up(dir);
    if (!err)
        err = ovl_lower_has(dir, name, &has);
    struct inode *pu = ovl_of(dir)->upper;
    if (!err && v->upper) {
        err = clear_whiteouts(v->upper);
        if (!err)
            err = pu->ops->rmdir(pu, name, v->upper);
    }
    return err ? err : removed(dir, name, victim, has);
}

/* Marks the upper directory of ino opaque if its new parent has a lower
 * layer (whatever that layer has under its name must stay hidden). */
static void opaque_if_merged(struct inode *ino, struct inode *parent)
{
    if (!ovl_is_dir(ino) || !ovl_of(parent)->lower)
        return;
    struct ovl_meta *m = ovl_meta_get(ovl_sbi(ino->sb), ovl_of(ino)->upper, ino->attr.ino);
    if (m)
        m->opaque = true;
}

int ovl_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir,
               const char *new_name, unsigned flags)
{
    bool exchange = flags & LINUX_RENAME_EXCHANGE;
    struct inode *src = NULL, *dst = NULL;
    int err = ovl_lookup_child(old_dir, old_name, &src);
    if (!err && !src)
        err = -LINUX_ENOENT;
    if (!err)
        err = ovl_lookup_child(new_dir, new_name, &dst);
    if (err)
        goto out;
    /* Without redirects a directory with lower content cannot move. */
    if ((ovl_is_dir(src) && ovl_of(src)->lower) ||
        (exchange && dst && ovl_is_dir(dst) && ovl_of(dst)->lower)) {
        err = -LINUX_EXDEV;
        goto out;
    }
    if (!exchange && dst && ovl_is_dir(dst) && (err = merged_empty(dst)) != 0)
        goto out;
    bool old_has = false;
    if (!(err = ovl_copy_up(old_dir)) && !(err = ovl_copy_up(new_dir)) &&
        !(err = ovl_copy_up(src)) && !(exchange && (err = ovl_copy_up(dst))))
        err = ovl_lower_has(old_dir, old_name, &old_has);
    if (!err && !exchange && dst && ovl_is_dir(dst) && ovl_of(dst)->upper)
        err = clear_whiteouts(ovl_of(dst)->upper);
    if (err)
        goto out;
    struct inode *opu = ovl_of(old_dir)->upper, *npu = ovl_of(new_dir)->upper;
    unsigned uflags =
        exchange ? LINUX_RENAME_EXCHANGE
                 : ((old_has ? LINUX_RENAME_WHITEOUT : 0) | (flags & LINUX_RENAME_WHITEOUT));
    err = opu->ops->rename(opu, old_name, npu, new_name, uflags);
    if (err)
        goto out;
    opaque_if_merged(src, new_dir);
    if (exchange) {
        opaque_if_merged(dst, old_dir);
        ovl_child_move(ovl_of(src), new_dir, new_name);
        ovl_child_move(ovl_of(dst), old_dir, old_name);
        ovl_refresh_attr(dst);
    } else {
        if (dst) {
            struct ovl_inode *d = ovl_of(dst);
            ovl_child_remove(ovl_of(new_dir), d);
            if (d->upper && d->upper->attr.nlink == 0)
                ovl_meta_drop(ovl_sbi(new_dir->sb), d->upper);
        }
        ovl_child_move(ovl_of(src), new_dir, new_name);
    }
    ovl_refresh_attr(src);
    ovl_refresh_attr(old_dir);
    ovl_refresh_attr(new_dir);
out:
    if (src)
        inode_put(src);
    if (dst)
        inode_put(dst);
    return err;
}

/* --- directory files --- */

static int ovl_iterate(struct file *f, vfs_emit_fn emit, void *ctx)
{
    struct inode *ino = f->inode;
    struct ovl_list *l = f->priv;
    if (!l || f->pos == 0) {
        struct ovl_list *n = calloc(1, sizeof(*n));
        int err = n ? merged_list(ino, n) : -LINUX_ENOMEM;
        if (err) {
            free(n);
            return err;
        }
        if (l) {
            list_free(l);
            free(l);
        }
        f->priv = l = n;
    }
    if (!vfs_dir_emit_dots(f, emit, ctx))
        return 0;
    for (size_t i = (size_t)f->pos - 2; i < l->count; i++) {
        struct vfs_dirent de = {l->v[i].ino, i + 3, l->v[i].type, l->v[i].name};
        if (!emit(ctx, &de))
            break;
        f->pos = (int64_t)i + 3;
    }
    return 0;
}

static void ovl_dir_release(struct file *f)
{
    struct ovl_list *l = f->priv;
    if (l) {
        list_free(l);
        free(l);
    }
}

const struct file_ops ovl_dir_fops = {
    .read = vfs_dir_read,
    .pread = vfs_dir_pread,
    .seek = vfs_dir_seek,
    .iterate = ovl_iterate,
    .fsync = vfs_fsync_nothing,
    .release = ovl_dir_release,
};
