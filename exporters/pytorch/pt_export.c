/* exporters/pytorch/pt_export.c — format=pytorch: <stem>.pt, a checkpoint as torch.save writes it
 * (a stored zip under <stem>/ with data.pkl in pickle protocol 2, data/<n> storages, version "3",
 * members 64-byte aligned) holding Ultralytics' checkpoint dict: epoch -1, best_fitness None, model
 * (the pickled ultralytics.nn.tasks.PoseModel, pt_model.c), ema None, updates None, optimizer None,
 * train_args (the model's own, or a minimal {task: pose, ...}), date, version, license, docs.
 * half=True stores float tensors as fp16, as Ultralytics' stripped checkpoints do. */
#include <string.h>

#include "exporters/common/torch_archive.h"
#include "exporters/pytorch/pt_model.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg pt_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size the graph is read at (the .pt itself holds no size)"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 tensors (as Ultralytics' stripped checkpoints)"},
    {NULL, 0, NULL, NULL},
};

static void str_item(struct pklw *w, const char *k, const char *v)
{
    pklw_str(w, k);
    if (v) pklw_str(w, v);
    else pklw_none(w);
}

static int export_pt(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (!CPOSE_HOST_HAS(h, model_text))
        return h->error(x, CPOSE_PLUGIN_EABI, "this cpose is older than plugin ABI 1.1 (model_text), which the .pt "
                        "writer needs for the model YAML");
    const struct cpose_plugin_meta *md = h->meta(x);
    const char *train_args = h->model_text(x, "train_args");
    struct torch_archive a;
    ta_init(&a, h, x);
    struct pklw *w = &a.pk;
    pklw_proto(w);
    pklw_empty_dict(w);
    pklw_memoize(w);
    pklw_mark(w);
    pklw_str(w, "epoch"), pklw_int(w, -1);
    pklw_str(w, "best_fitness"), pklw_none(w);
    pklw_str(w, "model");
    h->progress(x, 0.1, "pytorch: pickling the module tree");
    int rc = pt_pickle_pose_model(&a, h->arg_bool(x, "half") ? TA_F16 : TA_F32, train_args);
    if (!rc) {
        pklw_str(w, "ema"), pklw_none(w);
        pklw_str(w, "updates"), pklw_none(w);
        pklw_str(w, "optimizer"), pklw_none(w);
        pklw_str(w, "train_args");
        rc = pt_pickle_train_args(&a, train_args);
    }
    if (!rc) {
        str_item(w, "date", md->date);
        str_item(w, "version", md->version);
        str_item(w, "license", md->license);
        str_item(w, "docs", md->docs);
        pklw_setitems(w);
        pklw_stop(w);
        ta_member(&a, "version", "3\n", 2);
        rc = ta_write(&a, out_path);
    }
    if (!rc)
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: %d tensors (%s)%s", out_path, a.n_storages,
               h->arg_bool(x, "half") ? "fp16" : "fp32", train_args ? ", with the model's train_args" : "");
    ta_free(&a);
    return rc;
}

static const struct cpose_plugin pt_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "pytorch",
    .suffix = ".pt",
    .is_dir = 0,
    .args = pt_args,
    .description = "PyTorch checkpoint as Ultralytics saves it (pickled PoseModel, torch.save zip): <stem>.pt",
    .export_model = export_pt,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &pt_plugin; }
