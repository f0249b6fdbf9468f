/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-adamw.h: AdamW (Loshchilov & Hutter, decoupled weight decay) over float32 master weights,
 * as torch.optim.AdamW steps: p -= lr * wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). Also the global gradient norm and
 * its clipping, and the warm-up + cosine learning-rate schedule. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double beta1, beta2, eps, weight_decay;
} AssayAdamWOptions;

typedef struct _AssayAdamW AssayAdamW;

/* The defaults of torch.optim.AdamW: 0.9, 0.999, 1e-8, weight decay 0.01. */
void        assay_adamw_options_init (AssayAdamWOptions *options);

AssayAdamW *assay_adamw_new      (const AssayAdamWOptions *options);
void        assay_adamw_free     (AssayAdamW *self);
/* A tensor of n values and its gradient (both owned by the caller); decay: whether weight decay
 * applies (not to norms and biases, by the usual convention). */
void        assay_adamw_add      (AssayAdamW *self,
                                  float      *param,
                                  float      *grad,
                                  gsize       n,
                                  gboolean    decay);
/* The same for a float64 tensor, stepped in float64 (its moments are not read by
 * assay_adamw_moments). */
void        assay_adamw_add_f64  (AssayAdamW *self,
                                  double     *param,
                                  double     *grad,
                                  gsize       n,
                                  gboolean    decay);
/* The L2 norm of all gradients together (float64 sum). */
double      assay_adamw_grad_norm (AssayAdamW *self);
/* Scales the gradients so that their norm is at most max_norm (torch's clip_grad_norm_, with its
 * 1e-6 in the divisor); returns the norm before. */
double      assay_adamw_clip     (AssayAdamW *self,
                                  double      max_norm);
/* One step with learning rate lr, then the gradients are zeroed. */
void        assay_adamw_step     (AssayAdamW *self,
                                  double      lr);
guint       assay_adamw_steps    (AssayAdamW *self);
/* The moments of the i-th tensor added (n floats each), to save or restore; and the step count
 * (its bias corrections) to restore. */
void        assay_adamw_moments  (AssayAdamW *self,
                                  guint       i,
                                  float     **m,
                                  float     **v,
                                  gsize      *n);
void        assay_adamw_set_steps (AssayAdamW *self,
                                   guint       t);

/* transformers' get_cosine_schedule_with_warmup: lr * step / warmup while warming up, then
 * lr * (floor + (1 - floor) * (1 + cos(pi * progress)) / 2) with progress from 0 to 1 over the
 * remaining steps (floor 0 is transformers' schedule). */
double      assay_lr_warmup_cosine (guint  step,
                                    guint  warmup,
                                    guint  total,
                                    double lr,
                                    double floor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayAdamW, assay_adamw_free)

G_END_DECLS
