/* exporters/common/meta_yaml.c — metadata.yaml for the folder formats (contract in meta_yaml.h). */
#include "exporters/common/meta_yaml.h"

#include <stdio.h>
#include <string.h>

int cpose_write_metadata_yaml(const struct cpose_host *h, struct cpose_export *x, const char *dir)
{
    const char *const *keys = h->meta_keys(x);
    size_t cap = 4096, len = 0;
    char *text = h->alloc(cap);
    text[0] = 0;
    for (size_t i = 0; keys[i]; i++) {
        char *val = h->meta_text(x, keys[i], CPOSE_META_YAML);
        if (!val) {
            h->free(text);
            return CPOSE_PLUGIN_EINVAL;
        }
        size_t need = strlen(keys[i]) + strlen(val) + 4;
        if (len + need + 1 > cap) {
            cap = (len + need + 1) * 2;
            text = h->realloc(text, cap);
        }
        len += (size_t)snprintf(text + len, cap - len, "%s: %s\n", keys[i], val);
        h->free(val);
    }
    size_t plen = strlen(dir) + 16;
    char *path = h->alloc(plen);
    snprintf(path, plen, "%s/metadata.yaml", dir);
    int rc = h->write_file(x, path, text, len);
    h->free(path);
    h->free(text);
    return rc;
}
