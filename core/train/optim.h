/* core/train/optim.h — the optimizers Ultralytics 8.1 builds (build_optimizer), with PyTorch 1.13's
 * update rules, over three parameter groups; the gradient-norm clip.
 *
 * Groups (enum cpose_param_group): 0 biases (no decay), 1 weights (decay), 2 norm weights (no decay).
 * Ultralytics constructs: Adam/Adamax/AdamW/NAdam/RAdam(lr, betas=(momentum, 0.999)), RMSprop(lr,
 * momentum=momentum), SGD(lr, momentum, nesterov=True); eps 1e-8, RMSprop alpha 0.99, NAdam
 * momentum_decay 4e-3. Only SGD and RMSProp groups have a "momentum" the warmup moves (see schedule.h);
 * the Adam family keeps beta1 = the momentum it was built with. A parameter without a gradient (grad
 * NULL) is skipped, as PyTorch skips p.grad is None. State is float32 like PyTorch's. */
#ifndef CPOSE_TRAIN_OPTIM_H
#define CPOSE_TRAIN_OPTIM_H

#include "core/base/status.h"
#include "core/train/param_table.h"

enum cpose_optim_kind {
    CPOSE_OPTIM_SGD,
    CPOSE_OPTIM_ADAM,
    CPOSE_OPTIM_ADAMAX,
    CPOSE_OPTIM_ADAMW,
    CPOSE_OPTIM_NADAM,
    CPOSE_OPTIM_RADAM,
    CPOSE_OPTIM_RMSPROP,
};

/* Ultralytics' optimizer choice. name: auto|SGD|Adam|Adamax|AdamW|NAdam|RAdam|RMSProp (as spelled).
 * For auto: iterations > 10000 → SGD lr 0.01 momentum 0.9; else AdamW lr round(0.002·5/(4+nc), 6)
 * momentum 0.9, and *warmup_bias_lr becomes 0. Otherwise lr = lr0 and momentum = momentum as given.
 * An unknown name is CPOSE_EINVAL with the valid list. */
struct cpose_optim_choice {
    enum cpose_optim_kind kind;
    double lr, momentum;
    int warmup_bias_lr_zeroed; /* 1 when auto forced warmup_bias_lr to 0 */
};
CPOSE_API int cpose_optim_choose(const char *name, int nc, long iterations, double lr0, double momentum,
                                 double *warmup_bias_lr, struct cpose_optim_choice *out);
CPOSE_API const char *cpose_optim_name(enum cpose_optim_kind kind);

/* Ultralytics' trainer arithmetic: accumulate = max(round(nbs / batch), 1); the decay of the weight
 * group = weight_decay · batch · accumulate / nbs; iterations = ceil(n_images / max(batch, nbs)) · epochs.
 * round() is half-to-even like Python's. */
CPOSE_API int cpose_optim_accumulate(int nbs, int batch);
CPOSE_API double cpose_optim_scaled_decay(double weight_decay, int batch, int nbs);
CPOSE_API long cpose_optim_iterations(long n_images, int batch, int nbs, int epochs);

struct cpose_optim_group {
    double lr, initial_lr; /* the current lr and the lr the group was built with */
    double momentum;       /* SGD/RMSProp momentum, or beta1 of the Adam family */
    double weight_decay;
};

struct cpose_optim {
    enum cpose_optim_kind kind;
    struct cpose_optim_group group[CPOSE_OPTIM_NGROUPS];
    double beta2, eps, rms_alpha, momentum_decay;
    struct cpose_param *params; /* borrowed */
    size_t np;
    float **s1, **s2;           /* per parameter: first state (momentum buffer / exp_avg / square_avg),
                                   second (exp_avg_sq / exp_inf / RMSProp momentum buffer); zeros at creation */
    long *steps;                /* per parameter step count (PyTorch's state['step']) */
    float *mu_product;          /* NAdam, per parameter */
};

/* Builds an optimizer over params (borrowed; they must outlive it) with Ultralytics' three groups:
 * lr and momentum for all, decay for group 1 only. Returns CPOSE_EINVAL for a parameter in no group. */
CPOSE_API int cpose_optim_create(enum cpose_optim_kind kind, double lr, double momentum, double decay,
                                 struct cpose_param *params, size_t np, struct cpose_optim **out);
CPOSE_API void cpose_optim_free(struct cpose_optim *o);
/* One update of every parameter that has a gradient, with each group's current lr/momentum. */
CPOSE_API void cpose_optim_step(struct cpose_optim *o);
/* Sets every gradient to zero. */
CPOSE_API void cpose_optim_zero_grad(struct cpose_param *params, size_t np);

/* torch.nn.utils.clip_grad_norm_(max_norm, norm_type 2): total = ‖(‖g_i‖₂)_i‖₂ over the parameters
 * with a gradient; every gradient is multiplied by min(max_norm / (total + 1e-6), 1). Returns total
 * (before clipping). */
CPOSE_API double cpose_clip_grad_norm(struct cpose_param *params, size_t np, double max_norm);

#endif
