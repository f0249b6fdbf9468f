/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-private.h: what an implementation fills in. */
#pragma once

#include "assay-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  void (*destroy) (AssayBackend *self);
  void *(*alloc) (AssayBackend *self, size_t bytes);
  void (*release) (AssayBackend *self, void *ptr);
  int (*upload) (AssayBackend *self, void *dst, const void *src, size_t bytes);
  int (*download) (AssayBackend *self, void *dst, const void *src, size_t bytes);
  int (*synchronize) (AssayBackend *self);
  int (*sgemm) (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc);
  int (*softmax_rows) (AssayBackend *self, float *x, int rows, int cols, int ld);
  int (*logsumexp_rows) (AssayBackend *self, const float *x, int rows, int cols, int ld,
                         float *out);
  /* Transformer operations; arguments are checked by assay-backend.c before these run. */
  int (*weight_init) (AssayBackend *self, AssayBackendWeight *w, const void *host);
  void (*weight_clear) (AssayBackend *self, AssayBackendWeight *w);
  int (*linear) (AssayBackend *self, const float *x, int rows, int ldx,
                 const AssayBackendWeight *w, const float *bias, float beta, float *y, int ldy);
  int (*embed) (AssayBackend *self, const AssayBackendWeight *table, const int *ids, int rows,
                float *out, bool accumulate);
  int (*rmsnorm) (AssayBackend *self, const float *x, const float *w, float *out, int rows,
                  int cols, float eps);
  int (*layernorm) (AssayBackend *self, const float *x, const float *w, const float *b,
                    float *out, int rows, int cols, float eps);
  int (*rope) (AssayBackend *self, float *x, int rows, int ld, int n_heads, int head_dim,
               const int *positions, const float *inv_freq);
  int (*swiglu) (AssayBackend *self, const float *gu, int rows, int inter, float *out);
  int (*gelu) (AssayBackend *self, float *x, size_t n, bool exact);
  size_t (*attention_scratch) (AssayBackend *self, int max_len, int n_heads);
  int (*attention) (AssayBackend *self, const float *q, const float *k, const float *v, int ld,
                    float *out, int ld_out, const int *seq_offsets, int n_seqs, int n_heads,
                    int n_kv_heads, int head_dim, float scale, bool causal, float *scratch);
  int (*target_logprobs) (AssayBackend *self, const float *logits, int rows, int cols, int ld,
                          const int *targets, float *out);
  int (*scatter_rows) (AssayBackend *self, const float *src, int ld_src, int cols, int n,
                       const int *rows, void *dst, AssayDType cache_dtype);
  size_t (*attention_cached_scratch) (AssayBackend *self, int n, int max_keys, int n_heads);
  int (*attention_cached) (AssayBackend *self, const float *q, int ldq, int n,
                           const void *k_cache, const void *v_cache, AssayDType cache_dtype,
                           const int *span, int max_keys, float *out, int ld_out, int n_heads,
                           int n_kv_heads, int head_dim, float scale, float *scratch);
  /* gradients (NULL where a backend has none yet) */
  int (*embed_backward) (AssayBackend *self, const int *ids, int rows, const float *dy, int cols,
                         float *dtable);
  int (*rmsnorm_backward) (AssayBackend *self, const float *x, const float *w, const float *dy,
                           int rows, int cols, float eps, float *dx, float *dw);
  int (*layernorm_backward) (AssayBackend *self, const float *x, const float *w, const float *dy,
                             int rows, int cols, float eps, float *dx, float *dw, float *db);
  int (*rope_backward) (AssayBackend *self, float *dx, int rows, int ld, int n_heads, int head_dim,
                        const int *positions, const float *inv_freq);
  int (*swiglu_backward) (AssayBackend *self, const float *gu, const float *dy, int rows, int inter,
                          float *dgu);
  int (*gelu_backward) (AssayBackend *self, const float *x, const float *dy, size_t n, bool exact,
                        float *dx);
  size_t (*attention_backward_scratch) (AssayBackend *self, int max_len, int n_heads);
  int (*attention_backward) (AssayBackend *self, const float *q, const float *k, const float *v,
                             int ld, const float *dout, int ld_out, float *dq, float *dk, float *dv,
                             const int *seq_offsets, int n_seqs, int n_heads, int n_kv_heads,
                             int head_dim, float scale, bool causal, float *scratch);
  int (*xent_rows) (AssayBackend *self, float *logits, int rows, int cols, int ld,
                    const int *targets, const float *row_weight, double *loss);
} AssayBackendVTable;

struct AssayBackendWeight
{
  int        rows;
  int        cols;
  AssayDType dtype; /* as stored in data */
  void      *data;  /* backend memory */
};

struct AssayBackend
{
  const AssayBackendVTable *vt;
  AssayBackendKind          kind;
  int                       threads;
  uint64_t                  memory_bytes;
  char                      device_name[128];
  char                      description[256];
  char                      error[512];
};

/* Records a message as the last error and returns status. printf-style. */
int assay_backend_fail (AssayBackend *self, int status, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__ ((format (printf, 3, 4)))
#endif
  ;

void assay_backend_write_error (char *err, size_t err_len, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__ ((format (printf, 3, 4)))
#endif
  ;

/* Checks the shape arguments of sgemm; shared so both implementations reject the same calls. */
int assay_backend_check_gemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m,
                              int n, int k, const void *a, int lda, const void *b, int ldb,
                              const void *c, int ldc);

#ifdef __cplusplus
}
#endif
