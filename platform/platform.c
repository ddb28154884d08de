/* Platform selection by name. */
#include "platform/platform.h"

#include <string.h>

const struct platform_ops *platform;

static const struct platform_ops *const platforms[] = {
    &platform_ptrace,
};

const struct platform_ops *platform_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    }
    return NULL;
}
