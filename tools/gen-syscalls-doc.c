/* gen-syscalls-doc: writes docs/syscalls.md, the syscall compatibility
 * table, from the sentry's syscall table (sentry/syscalls/table.c).
 *
 *   gen-syscalls-doc [OUTPUT]    (stdout without OUTPUT)
 *
 * Linked against the sentry library, so the document always says what the
 * table says. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sentry/syscalls/syscall.h"

static const char *support_name(enum syscall_support s)
{
    switch (s) {
    case SYSCALL_FULL:
        return "full";
    case SYSCALL_PARTIAL:
        return "partial";
    case SYSCALL_MISSING:
        break;
    }
    return "not implemented";
}

/* A table cell: '|' would end the cell, a newline the row. */
static void put_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void write_doc(FILE *out)
{
    int counts[3] = {0, 0, 0}, total = 0;
    for (int nr = 0; nr < LINUX_NR_MAX; nr++) {
        const struct syscall_entry *e = &syscall_table[nr];
        if (!e->name)
            continue;
        total++;
        counts[e->support]++;
    }

    fputs("# Syscall compatibility (x86_64)\n\n", out);
    fputs("Generated from `sentry/syscalls/table.c` by `tools/gen-syscalls-doc`: do not edit.\n"
          "Regenerate it after changing the table.\n\n",
          out);
    fprintf(out, "%d syscalls: **%d full**, **%d partial**, **%d not implemented** (ENOSYS).\n\n",
            total, counts[SYSCALL_FULL], counts[SYSCALL_PARTIAL], counts[SYSCALL_MISSING]);
    fputs("- *full*: behaves as Linux for every argument (a note may still say how).\n"
          "- *partial*: implemented; the note says what is missing or approximated.\n"
          "- *not implemented*: returns ENOSYS, logged once per sandbox with the program "
          "that asked.\n\n",
          out);
    fputs("| # | syscall | support | notes |\n", out);
    fputs("| ---: | --- | --- | --- |\n", out);
    for (int nr = 0; nr < LINUX_NR_MAX; nr++) {
        const struct syscall_entry *e = &syscall_table[nr];
        if (!e->name)
            continue;
        fprintf(out, "| %d | %s | %s | ", nr, e->name, support_name(e->support));
        put_cell(out, e->note);
        fputs(" |\n", out);
    }
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [OUTPUT]\n", argv[0]);
        return 2;
    }
    FILE *out = stdout;
    if (argc == 2) {
        out = fopen(argv[1], "w");
        if (!out) {
            fprintf(stderr, "gen-syscalls-doc: open `%s`: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    write_doc(out);
    if (ferror(out) || (out != stdout && fclose(out) != 0) || (out == stdout && fflush(out))) {
        fprintf(stderr, "gen-syscalls-doc: write failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
