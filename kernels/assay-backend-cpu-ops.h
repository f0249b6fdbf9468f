/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu-ops.h: the CPU backend's transformer operations (assay-backend-cpu-ops.c). */
#pragma once

#include "assay-backend-private.h"

void  *assay_cpu_alloc (AssayBackend *self, size_t bytes);
void   assay_cpu_release (AssayBackend *self, void *ptr);
/* OpenBLAS's own thread count, changed only when it differs. The transformer operations run
 * OpenBLAS single-threaded inside their own OpenMP regions: two thread pools spinning against
 * each other on few cores cost a third of the time. */
void   assay_cpu_blas_threads (AssayBackend *self, int n);

int    assay_cpu_weight_init (AssayBackend *self, AssayBackendWeight *w, const void *host);
void   assay_cpu_weight_clear (AssayBackend *self, AssayBackendWeight *w);
int    assay_cpu_linear (AssayBackend *self, const float *x, int rows, int ldx,
                         const AssayBackendWeight *w, const float *bias, float beta, float *y,
                         int ldy);
int    assay_cpu_embed (AssayBackend *self, const AssayBackendWeight *table, const int *ids,
                        int rows, float *out, bool accumulate);
int    assay_cpu_rmsnorm (AssayBackend *self, const float *x, const float *w, float *out, int rows,
                          int cols, float eps);
int    assay_cpu_layernorm (AssayBackend *self, const float *x, const float *w, const float *b,
                            float *out, int rows, int cols, float eps);
int    assay_cpu_rope (AssayBackend *self, float *x, int rows, int ld, int n_heads, int head_dim,
                       const int *positions, const float *inv_freq);
int    assay_cpu_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out);
int    assay_cpu_gelu (AssayBackend *self, float *x, size_t n, bool exact);
size_t assay_cpu_attention_scratch (AssayBackend *self, int max_len, int n_heads);
int    assay_cpu_attention (AssayBackend *self, const float *q, const float *k, const float *v,
                            int ld, float *out, int ld_out, const int *seq_offsets, int n_seqs,
                            int n_heads, int n_kv_heads, int head_dim, float scale, bool causal,
                            float *scratch);
int    assay_cpu_target_logprobs (AssayBackend *self, const float *logits, int rows, int cols,
                                  int ld, const int *targets, float *out);
int    assay_cpu_scatter_rows (AssayBackend *self, const float *src, int ld_src, int cols, int n,
                               const int *rows, void *dst, AssayDType cache_dtype);
size_t assay_cpu_attention_cached_scratch (AssayBackend *self, int n, int max_keys, int n_heads);
int    assay_cpu_attention_cached (AssayBackend *self, const float *q, int ldq, int n,
                                   const void *k_cache, const void *v_cache, AssayDType cache_dtype,
                                   const int *span, int max_keys, float *out, int ld_out,
                                   int n_heads, int n_kv_heads, int head_dim, float scale,
                                   float *scratch);
