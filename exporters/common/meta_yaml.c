/* exporters/common/meta_yaml.c — metadata.yaml / metadata JSON text for the exporters (contract in
 * meta_yaml.h). */
#include "exporters/common/meta_yaml.h"

#include <stdio.h>
#include <string.h>

char *cpose_metadata_text(const struct cpose_host *h, struct cpose_export *x, int style)
{
    const char *const *keys = h->meta_keys(x);
    int json = style == CPOSE_META_JSON;
    size_t cap = 4096, len = 0;
    char *text = h->alloc(cap);
    len = (size_t)snprintf(text, cap, "%s", json ? "{" : "");
    for (size_t i = 0; keys[i]; i++) {
        char *val = h->meta_text(x, keys[i], json ? CPOSE_META_JSON : CPOSE_META_YAML);
        if (!val) {
            h->free(text);
            return NULL;
        }
        size_t need = strlen(keys[i]) + strlen(val) + 8;
        if (len + need + 2 > cap) {
            cap = (len + need + 2) * 2;
            text = h->realloc(text, cap);
        }
        if (json) len += (size_t)snprintf(text + len, cap - len, "%s\"%s\": %s", i ? ", " : "", keys[i], val);
        else len += (size_t)snprintf(text + len, cap - len, "%s: %s\n", keys[i], val);
        h->free(val);
    }
    if (json) snprintf(text + len, cap - len, "}");
    return text;
}

int cpose_write_metadata_yaml(const struct cpose_host *h, struct cpose_export *x, const char *dir)
{
    char *text = cpose_metadata_text(h, x, CPOSE_META_YAML);
    if (!text) return CPOSE_PLUGIN_EINVAL;
    size_t plen = strlen(dir) + 16;
    char *path = h->alloc(plen);
    snprintf(path, plen, "%s/metadata.yaml", dir);
    int rc = h->write_file(x, path, text, strlen(text));
    h->free(path);
    h->free(text);
    return rc;
}
