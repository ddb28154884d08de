/* The mount tree of a sandbox whose files come from a gofer
 * (sentry/vfs/boot_sandbox.c). */
#pragma once

struct path;
struct sentry_spec;

/* Builds the sandbox's mount tree from spec and returns its root (the
 * caller owns the path's references):
 *   /          gofer mount 0: under an in-memory overlay when
 *              spec->root_overlay, else the gofer's files themselves
 *              (read-only if the gofer serves them so)
 *   /proc      procfs              /dev  devfs, with a tmpfs on /dev/shm
 *   /sys       sysfs (read-only)   /tmp  tmpfs
 *   binds      spec->binds[i] = gofer mount i + 1 at its target,
 *              read-only when asked; missing mountpoints are made (in the
 *              overlay's upper layer: never on the host's read-only root)
 * With spec->gofer_sock < 0 it is vfs_boot_root's in-memory root. The
 * spec's socket belongs to the sentry from then on. Returns 0 or -errno
 * (the reason is logged). Boot time, on the thread that boots. */
int vfs_boot_sandbox(const struct sentry_spec *spec, struct path *out_root);
