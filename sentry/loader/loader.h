/* Program loading: execve's second half (DESIGN.md section 5). */
#pragma once

#include <stddef.h>

struct task;
struct file;

struct loader_args {
    const void *image;     /* loader_load only: the ELF file's bytes */
    size_t image_size;
    const char *execfn;    /* the path as given: AT_EXECFN, comm */
    char *const *argv;     /* NULL-terminated */
    char *const *envp;     /* NULL-terminated */
};

/* Loads the program open as f into t->mm (which must be empty) and sets t's
 * initial registers: PT_LOAD segments become private file mappings of f
 * (text shared read-only, data copy-on-write) plus anonymous bss; a
 * PT_INTERP interpreter is opened through the VFS (loader_open_exec) and
 * loaded at a random base, and runs first (AT_BASE = its base, AT_ENTRY the
 * program's entry). t->mm takes a reference on f as its exe_file. Returns 0,
 * or -errno with *out_err saying what went wrong: -ENOEXEC for a bad
 * program, -ELIBBAD for an interpreter that is not a valid ELF file, the
 * open's error for a missing or unusable interpreter. */
int loader_load_file(struct task *t, struct file *f, const struct loader_args *la,
                     const char **out_err);

/* loader_load_file of la->image (a byte buffer, copied into an image file).
 * For pid 1 while the CLI reads the program, and for tests. */
int loader_load(struct task *t, const struct loader_args *la, const char **out_err);

/* Opens path (relative to dirfd, as openat) for execution as Linux's
 * open_exec: read-only, a regular file (else -EACCES), on a mount without
 * noexec (else -EACCES), with execute permission for t (else -EACCES).
 * open_flags may add LINUX_O_NOFOLLOW; walk_flags are vfs_open's (e.g.
 * WALK_EMPTY_PATH for execveat). The caller owns the returned file. */
int loader_open_exec(struct task *t, int dirfd, const char *path, int open_flags,
                     unsigned walk_flags, struct file **out_file);

/* A read-only in-memory file holding a copy of data[0, size) (read, pread,
 * fstat, mmap): for programs that do not come from the VFS. The caller owns
 * the returned file. NULL when out of memory. */
struct file *loader_image_file_new(const void *data, size_t size);
