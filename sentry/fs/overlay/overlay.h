/* overlay: a filesystem that shows an upper filesystem (writable, a tmpfs)
 * over a lower one (read-only: the gofer's view of the host), like Linux's
 * overlayfs. The default root of `moat do`: the program sees the host's
 * files, its writes land in sandbox memory and vanish at exit.
 *
 * - Lookup merges: an upper entry wins; a whiteout (an upper character
 *   device 0/0) hides the lower entry of its name; an opaque upper
 *   directory hides the lower directory of its name.
 * - getdents merges both listings (lower order first, then names only the
 *   upper has), without duplicates or whiteouts.
 * - Any change copies up first: the parent chain of directories (with
 *   their attributes), then the object itself. A regular file's data is
 *   copied lazily, when it is opened for writing or truncated to a
 *   non-zero size (until then its upper copy is metadata only).
 * - Removing or renaming away a name the lower layer has leaves a
 *   whiteout. Renaming a directory that has lower content is EXDEV (Linux
 *   overlayfs without redirect_dir); programs (mv) then copy.
 * - st_dev is the overlay's; st_ino is the lower object's for anything
 *   that came from the lower layer (stable across copy-up), else the
 *   upper's with a high bit set. Merged directories report nlink 1, as
 *   Linux's overlayfs.
 * - The lower layer is never written.
 *
 * Lock order: the kernel lock covers every overlay. */
#pragma once

struct superblock;

/* A new overlay of upper over lower (taking references on both). The
 * upper's root gets the lower root's attributes. Returns 0 or -errno; the
 * caller owns *out_sb. */
int overlay_new_sb(struct superblock *lower, struct superblock *upper, struct superblock **out_sb);
