/* The special filesystems and files of sentry/fs/{proc,sys,dev,pipe,anon}:
 * what boot registers before the first mount. */
#pragma once

/* Registers the fs types "proc", "sysfs", "devtmpfs" and "pipefs" (for
 * mount(2) and /proc/filesystems), and the VFS's openers of FIFOs
 * (pipe_fifo_open) and character devices (chrdev_open) on any filesystem.
 * Call once at boot, before mounting. */
void fs_special_register(void);
