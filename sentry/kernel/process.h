/* Processes: the task list, fork, exit and wait (internal to
 * sentry/kernel; the public calls are in task.h).
 *
 * Lock order: the kernel lock. */
#pragma once

struct task;

/* Adds a new task to the kernel's list and counts it as live. */
void task_list_add(struct task *t);
/* Called at the end of the task loop, its mm and fds released: makes t a
 * zombie, reparents its children to pid 1, notifies the parent; for pid 1
 * kills every other task; ends the sandbox when no task is left. */
void task_finish(struct task *t);
