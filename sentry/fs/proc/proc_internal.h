/* Shared between the files of procfs (sentry/fs/proc); not for others.
 *
 * Parameters of procfs inodes (struct kernfs_inode): a = the process id
 * (tgid) of a /proc/PID subtree, b = the thread id of a /proc/PID/task/TID
 * subtree (0 at the /proc/PID level: the process's main thread). fd/N and
 * fdinfo/N entries have b = the fd and use the main thread's fd table.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/linux/types.h"
#include "sentry/fs/kernfs/kernfs.h"

struct task;
struct file;
struct kernel;

/* --- the sandbox's tasks (task_list.c) --- */
/* The task with thread id tid, or NULL. Only the sandbox's own tasks
 * exist here: the host's processes are never visible. */
struct task *proc_task_find(linux_pid_t tid);
/* The smallest thread-group id >= from with a live process, or 0. */
linux_pid_t proc_tgid_next(linux_pid_t from);
/* The smallest thread id >= from in thread group tgid, or 0. */
linux_pid_t proc_tid_next(linux_pid_t tgid, linux_pid_t from);
/* Number of tasks and of thread groups, for loadavg/stat. */
void proc_task_counts(int *out_tasks, int *out_groups);

/* The task a per-process inode stands for (its thread b, or the main
 * thread), or NULL if gone. */
struct task *proc_inode_task(const struct kernfs_inode *ki);

/* --- per-process directories (proc_pid.c) --- */
extern const struct kernfs_node proc_pid_dir;      /* /proc/PID */
extern const struct kernfs_node proc_tid_dir;      /* /proc/PID/task/TID */
extern const struct kernfs_dir_ops proc_root_pids; /* the PID entries of /proc */
/* Ownership of a process's files (its euid/egid; root when undumpable),
 * and ENOENT once it is gone. */
int proc_pid_getattr(const struct kernfs_inode *ki, struct vfs_attr *attr);

/* --- fd/, fdinfo/, maps, mounts (proc_fd.c) --- */
extern const struct kernfs_dir_ops proc_fd_ops;     /* fd/ */
extern const struct kernfs_dir_ops proc_fdinfo_ops; /* fdinfo/ */
int proc_show_maps(const struct kernfs_inode *ki, struct seqbuf *out);
int proc_show_mounts(const struct kernfs_inode *ki, struct seqbuf *out);
int proc_show_mountinfo(const struct kernfs_inode *ki, struct seqbuf *out);
/* readlink text of a magic link to p, seen from the calling task's root
 * (" (deleted)" appended for an unlinked file). Returns the length. */
long proc_path_link(const struct path *p, char *buf, size_t size);

/* --- system-wide files (proc_sys.c, cpuinfo.c) --- */
extern const struct kernfs_node proc_sys_entries[]; /* /proc/sys/ */
int proc_show_cpuinfo(const struct kernfs_inode *ki, struct seqbuf *out);
/* CPUs of the sandbox (kernel->cpus) for listing: count and whether cpu i
 * is in the set. */
int proc_cpu_count(void);
bool proc_cpu_present(int cpu);
#define PROC_MAX_CPUS 1024

/* Sandbox uptime in nanoseconds. */
uint64_t proc_uptime_ns(void);
