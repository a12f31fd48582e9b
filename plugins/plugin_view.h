/* plugins/plugin_view.h — builds the graph view plugins translate (struct cpose_view in
 * cpose_plugin.h) from a model: the fused inference graph with SiLU and residuals as their own
 * nodes and the Pose head decode expanded into primitive ops. Host side; not seen by plugins. */
#ifndef CPOSE_PLUGIN_VIEW_H
#define CPOSE_PLUGIN_VIEW_H

#include <stdint.h>

#include "plugins/cpose_plugin.h"
#include "core/nn/model.h"

struct cpose_view_store;  /* owns a view's nodes, names and constants */

/* Builds the view of m for a batch B and an H×W input (multiples of the model's max stride).
 * The conv weights are BN-folded copies owned by the store. Returns CPOSE_OK and an owned store,
 * or an error naming the node the view cannot express. */
CPOSE_API int cpose_view_build(struct cpose_model *m, int64_t B, int64_t H, int64_t W, struct cpose_view_store **out);
/* The view inside a store (borrowed, valid while the store lives). */
CPOSE_API const struct cpose_view *cpose_view_of(const struct cpose_view_store *s);
CPOSE_API void cpose_view_store_free(struct cpose_view_store *s); /* NULL-safe */

/* The name of a view op ("Conv", "Sigmoid", ...; "?" for an unknown id). */
CPOSE_API const char *cpose_view_op_name(int op);

#endif
