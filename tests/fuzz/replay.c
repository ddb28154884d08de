/* Runs a libFuzzer target over files and directories of inputs, without
 * libFuzzer: how the seeds run in the normal (gcc) test suite.
 * usage: fuzz_X_replay PATH... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = grown;
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        if (n == 0)
            break;
        size += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            runs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, NULL);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        char **paths = calloc((size_t)n, sizeof(*paths));
        int np = 0;
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                size_t len = strlen(argv[i]) + strlen(names[k]->d_name) + 2;
                paths[np] = malloc(len);
                snprintf(paths[np], len, "%s/%s", argv[i], names[k]->d_name);
                np++;
            }
            free(names[k]);
        }
        free(names);
        qsort(paths, (size_t)np, sizeof(*paths), cmp);
        for (int k = 0; k < np; k++) {
            if (run_file(paths[k]) != 0)
                return 1;
            free(paths[k]);
            runs++;
        }
        free(paths);
    }
    printf("%d inputs ran\n", runs);
    return runs > 0 ? 0 : 1;
}
