/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu-grad.h: the CPU backend's gradients of the transformer operations
 * (assay-backend-cpu-grad.c); the arguments are as in assay-backend.h. */
#pragma once

#include "assay-backend-private.h"

int    assay_cpu_embed_backward (AssayBackend *self, const int *ids, int rows, const float *dy,
                                 int cols, float *dtable);
int    assay_cpu_rmsnorm_backward (AssayBackend *self, const float *x, const float *w,
                                   const float *dy, int rows, int cols, float eps, float *dx,
                                   float *dw);
int    assay_cpu_layernorm_backward (AssayBackend *self, const float *x, const float *w,
                                     const float *dy, int rows, int cols, float eps, float *dx,
                                     float *dw, float *db);
int    assay_cpu_rope_backward (AssayBackend *self, float *dx, int rows, int ld, int n_heads,
                                int head_dim, const int *positions, const float *inv_freq);
int    assay_cpu_swiglu_backward (AssayBackend *self, const float *gu, const float *dy, int rows,
                                  int inter, float *dgu);
int    assay_cpu_gelu_backward (AssayBackend *self, const float *x, const float *dy, size_t n,
                                bool exact, float *dx);
size_t assay_cpu_attention_backward_scratch (AssayBackend *self, int max_len, int n_heads);
int    assay_cpu_attention_backward (AssayBackend *self, const float *q, const float *k,
                                     const float *v, int ld, const float *dout, int ld_out,
                                     float *dq, float *dk, float *dv, const int *seq_offsets,
                                     int n_seqs, int n_heads, int n_kv_heads, int head_dim,
                                     float scale, bool causal, float *scratch);
int    assay_cpu_xent_rows (AssayBackend *self, float *logits, int rows, int cols, int ld,
                            const int *targets, const float *row_weight, double *loss);
