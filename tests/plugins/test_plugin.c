/* tests/plugins/test_plugin.c — exporter plugins for tests/test_plugin_loader.c, one source built
 * several times with different -D flags (tests/CMakeLists.txt):
 *   default          format "testfmt": writes "<format> <nodes> <names>" atomically; fail=True
 *                    writes half a file through file_open, then fails (the host must leave nothing);
 *   TP_FORMAT=name   another format name (TP_FORMAT="testfmt" again: a duplicate);
 *   TP_MAJOR=n       another ABI major version;  TP_SMALL: a struct_size smaller than the host needs;
 *   TP_NO_ENTRY      no entry symbol at all. */
#include <stdio.h>
#include <string.h>

#include "plugins/cpose_plugin.h"

#ifndef TP_FORMAT
#define TP_FORMAT "testfmt"
#endif
#ifndef TP_MAJOR
#define TP_MAJOR CPOSE_PLUGIN_ABI_MAJOR
#endif

static const struct cpose_plugin_arg tp_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "64", "input size"},
    {"fail", CPOSE_PLUGIN_ARG_BOOL, "False", "fail half-way through the write"},
    {NULL, 0, NULL, NULL},
};

static int tp_export(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    char *names = h->meta_text(x, "names", CPOSE_META_PYTHON);
    char text[512];
    int n = snprintf(text, sizeof text, "%s %d %s %s\n", TP_FORMAT, v->n_nodes, names, h->arg(x, "imgsz"));
    h->free(names);
    if (h->arg_bool(x, "fail")) {
        struct cpose_host_file *f = h->file_open(x, out_path);
        if (!f) return CPOSE_PLUGIN_EIO;
        h->file_write(f, text, (size_t)n / 2);
        h->file_abort(f);
        return h->error(x, CPOSE_PLUGIN_EIO, "failing on purpose after %d bytes", n / 2);
    }
    return h->write_file(x, out_path, text, (size_t)n);
}

static const struct cpose_plugin tp = {
    .abi_major = TP_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
#ifdef TP_SMALL
    .struct_size = 24,
#else
    .struct_size = sizeof(struct cpose_plugin),
#endif
    .format = TP_FORMAT,
    .suffix = ".test.txt",
    .args = tp_args,
    .description = "test plugin",
    .export_model = tp_export,
};

#ifndef TP_NO_ENTRY
CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &tp; }
#else
CPOSE_PLUGIN_EXPORT const struct cpose_plugin *some_other_symbol(void) { return &tp; }
#endif
