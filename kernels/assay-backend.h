/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend.h: the compute backend interface shared by the CPU and CUDA implementations.
 *
 * Plain C, no GLib. All matrices are row-major float32. Pointers passed to the operations live in
 * the backend's memory space: host memory for the CPU backend, device memory for the CUDA backend;
 * use assay_backend_alloc() / upload() / download() to move data. Every operation returns 0 on
 * success or an AssayBackendStatus; the message of the last failure is assay_backend_last_error().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AssayBackend AssayBackend;

typedef enum
{
  ASSAY_BACKEND_CPU = 0,
  ASSAY_BACKEND_CUDA = 1,
} AssayBackendKind;

typedef enum
{
  ASSAY_TRANS_N = 0,
  ASSAY_TRANS_T = 1,
} AssayTranspose;

typedef enum
{
  ASSAY_BACKEND_OK = 0,
  ASSAY_BACKEND_E_UNAVAILABLE = 1, /* no such backend / device */
  ASSAY_BACKEND_E_OOM = 2,         /* allocation failed */
  ASSAY_BACKEND_E_INVALID = 3,     /* bad arguments */
  ASSAY_BACKEND_E_DEVICE = 4,      /* a device-side failure (CUDA/cuBLAS error) */
} AssayBackendStatus;

/* The most CPU threads a backend takes (OpenMP cannot start many more). */
#define ASSAY_BACKEND_MAX_THREADS 1024

/* Construction. On failure they return NULL and write a message into err (if given). */
AssayBackend *assay_backend_cpu_new (int n_threads, char *err, size_t err_len);
AssayBackend *assay_backend_cuda_new (int device, char *err, size_t err_len);
bool          assay_backend_cuda_compiled (void);
void          assay_backend_free (AssayBackend *self);

AssayBackendKind assay_backend_kind (const AssayBackend *self);
/* e.g. "CPU: OpenBLAS 0.3.21, 2 threads" or "CUDA: NVIDIA H100 80GB HBM3, 79.1 GiB" */
const char      *assay_backend_describe (const AssayBackend *self);
const char      *assay_backend_device_name (const AssayBackend *self);
int              assay_backend_threads (const AssayBackend *self);
uint64_t         assay_backend_memory_bytes (const AssayBackend *self);
const char      *assay_backend_last_error (const AssayBackend *self);

/* Memory in the backend's space. alloc returns NULL on failure (last_error says why). */
void *assay_backend_alloc (AssayBackend *self, size_t bytes);
void  assay_backend_release (AssayBackend *self, void *ptr);
int   assay_backend_upload (AssayBackend *self, void *dst, const void *host_src, size_t bytes);
int   assay_backend_download (AssayBackend *self, void *host_dst, const void *src, size_t bytes);
int   assay_backend_synchronize (AssayBackend *self);

/* C (m x n) = alpha * op(A) * op(B) + beta * C, row-major; op(A) is m x k, op(B) is k x n.
 * lda/ldb/ldc are row strides in elements of the matrices as stored. */
int assay_backend_sgemm (AssayBackend  *self,
                         AssayTranspose trans_a,
                         AssayTranspose trans_b,
                         int            m,
                         int            n,
                         int            k,
                         float          alpha,
                         const float   *a,
                         int            lda,
                         const float   *b,
                         int            ldb,
                         float          beta,
                         float         *c,
                         int            ldc);

/* In place: each of `rows` rows of `cols` values (row stride ld) becomes its softmax. */
int assay_backend_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld);

/* out[r] = log(sum_j exp(x[r][j])) for each row; out has `rows` floats in backend memory. */
int assay_backend_logsumexp_rows (AssayBackend *self,
                                  const float  *x,
                                  int           rows,
                                  int           cols,
                                  int           ld,
                                  float        *out);


/* ---- Transformer operations (language-model scoring) ----
 * Activations are float32 in backend memory. Integer arrays named ids, positions and targets live
 * in backend memory too; seq_offsets (n_seqs + 1 ascending row offsets) is a host array. */

typedef enum
{
  ASSAY_DTYPE_F32 = 0,
  ASSAY_DTYPE_F16 = 1,
  ASSAY_DTYPE_BF16 = 2,
} AssayDType;

size_t assay_dtype_size (AssayDType dtype);
float  assay_bf16_to_f32 (uint16_t v);
float  assay_f16_to_f32 (uint16_t v);
uint16_t assay_f32_to_bf16 (float v); /* round to nearest even */
uint16_t assay_f32_to_f16 (float v);  /* round to nearest even */

/* A weight matrix of rows x cols (out x in features), row-major, in backend memory. The CPU
 * backend keeps float32 and bf16 as given (bf16 rows are converted block by block inside each
 * product) and converts f16 to float32 once; the CUDA backend keeps the given dtype and
 * multiplies with cuBLAS GemmEx accumulating in float32. */
typedef struct AssayBackendWeight AssayBackendWeight;

AssayBackendWeight *assay_backend_weight_new (AssayBackend *self,
                                              const void   *host,
                                              AssayDType    dtype,
                                              int           rows,
                                              int           cols);
void                assay_backend_weight_free (AssayBackend *self, AssayBackendWeight *weight);
/* The dtype a weight of `dtype` is kept in, and the bytes a rows x cols weight takes. */
AssayDType          assay_backend_weight_dtype (AssayBackendKind kind, AssayDType dtype);
int                 assay_backend_weight_rows (const AssayBackendWeight *weight);
int                 assay_backend_weight_cols (const AssayBackendWeight *weight);

/* y (rows x W.rows, row stride ldy) = x (rows x W.cols, stride ldx) * W^T + bias + beta * y.
 * bias (W.rows floats) may be NULL. */
int assay_backend_linear (AssayBackend             *self,
                          const float              *x,
                          int                       rows,
                          int                       ldx,
                          const AssayBackendWeight *w,
                          const float              *bias,
                          float                     beta,
                          float                    *y,
                          int                       ldy);
/* out[r] (+)= table[ids[r]] for r < rows; out rows are table->cols wide. */
int assay_backend_embed (AssayBackend             *self,
                         const AssayBackendWeight *table,
                         const int                *ids,
                         int                       rows,
                         float                    *out,
                         bool                      accumulate);
/* dst[i] = src[rows[i]] for n rows of cols floats (src row stride cols). */
int assay_backend_gather_rows (AssayBackend *self,
                               const float  *src,
                               int           src_rows,
                               int           cols,
                               const int    *rows,
                               int           n,
                               float        *dst);
/* out = x / sqrt(mean(x^2) + eps) * w, per row (out may be x). */
int assay_backend_rmsnorm (AssayBackend *self,
                           const float  *x,
                           const float  *w,
                           float        *out,
                           int           rows,
                           int           cols,
                           float         eps);
/* out = (x - mean) / sqrt(var + eps) * w + b, per row (out may be x). */
int assay_backend_layernorm (AssayBackend *self,
                             const float  *x,
                             const float  *w,
                             const float  *b,
                             float        *out,
                             int           rows,
                             int           cols,
                             float         eps);
/* Rotary embedding in place, the "rotate half" layout of Llama/Qwen2 in Hugging Face: in each of
 * n_heads heads of head_dim values (from column 0 of a row with stride ld), the pair
 * (i, i + head_dim/2) turns by positions[r] * inv_freq[i] (inv_freq: head_dim/2 host floats). */
int assay_backend_rope (AssayBackend *self,
                        float        *x,
                        int           rows,
                        int           ld,
                        int           n_heads,
                        int           head_dim,
                        const int    *positions,
                        const float  *inv_freq);
/* out[r][i] = silu(gu[r][i]) * gu[r][inter + i]: gu rows are [gate | up], 2 * inter wide. */
int assay_backend_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out);
/* x = gelu(x) with the tanh approximation (GPT-2's "gelu_new"), n values. */
int assay_backend_gelu_tanh (AssayBackend *self, float *x, size_t n);
/* x = x / 2 * (1 + erf(x / sqrt 2)): the exact GELU of BERT's "gelu", n values. */
int assay_backend_gelu_erf (AssayBackend *self, float *x, size_t n);
/* Causal multi-head attention with grouped K/V heads, per sequence: rows seq_offsets[s] ..
 * seq_offsets[s+1]-1 attend to the rows before them in the same sequence. q has n_heads *
 * head_dim columns, k and v n_kv_heads * head_dim; all three share the row stride ld (they may be
 * column slices of one fused qkv matrix). out (stride ld_out) gets n_heads * head_dim columns.
 * scratch: assay_backend_attention_scratch() floats for the longest sequence. */
size_t assay_backend_attention_scratch (AssayBackend *self, int max_len, int n_heads);
int    assay_backend_attention (AssayBackend *self,
                                const float  *q,
                                const float  *k,
                                const float  *v,
                                int           ld,
                                float        *out,
                                int           ld_out,
                                const int    *seq_offsets,
                                int           n_seqs,
                                int           n_heads,
                                int           n_kv_heads,
                                int           head_dim,
                                float         scale,
                                float        *scratch);
/* The same without the causal mask (encoders): every row attends to every row of its sequence,
 * and to none of the others, so sequences packed together need no padding mask. */
int    assay_backend_attention_bidirectional (AssayBackend *self,
                                              const float  *q,
                                              const float  *k,
                                              const float  *v,
                                              int           ld,
                                              float        *out,
                                              int           ld_out,
                                              const int    *seq_offsets,
                                              int           n_seqs,
                                              int           n_heads,
                                              int           n_kv_heads,
                                              int           head_dim,
                                              float         scale,
                                              float        *scratch);
/* ---- Decoding with a key/value cache ----
 * A cache holds rows of kv_dim = n_kv_heads * head_dim values, one row per (sequence, position),
 * for keys and for values alike, in float32 or bf16 (cache_dtype); the caller lays sequences out
 * in it. */

/* dst[rows[r]] = src[r] for r < n: rows of cols floats (src row stride ld_src) stored as
 * cache_dtype (F32, or BF16 rounded to nearest even) with dst row stride cols. rows: n ints in
 * backend memory. */
int assay_backend_scatter_rows (AssayBackend *self,
                                const float  *src,
                                int           ld_src,
                                int           cols,
                                int           n,
                                const int    *rows,
                                void         *dst,
                                AssayDType    cache_dtype);
/* Attention of n query rows against cached keys and values (cache_dtype F32 or BF16). Row r sees
 * span[4r+3] keys; key j is cache row span[4r] + j when j < span[4r+1] (a prefix shared with other
 * sequences), else cache row span[4r+2] + j (the sequence's own rows). span: 4n ints in backend
 * memory; max_keys bounds every span[4r+3]. q has n_heads * head_dim columns (row stride ldq),
 * out likewise (ld_out). scratch: assay_backend_attention_cached_scratch() floats. */
size_t assay_backend_attention_cached_scratch (AssayBackend *self, int n, int max_keys, int n_heads);
int    assay_backend_attention_cached (AssayBackend *self,
                                       const float  *q,
                                       int           ldq,
                                       int           n,
                                       const void   *k_cache,
                                       const void   *v_cache,
                                       AssayDType    cache_dtype,
                                       const int    *span,
                                       int           max_keys,
                                       float        *out,
                                       int           ld_out,
                                       int           n_heads,
                                       int           n_kv_heads,
                                       int           head_dim,
                                       float         scale,
                                       float        *scratch);

/* out[r] = logits[r][targets[r]] - log(sum_j exp(logits[r][j])): the log-probability of each
 * row's target under the softmax of the row. NaN rows give NaN. */
int assay_backend_target_logprobs (AssayBackend *self,
                                   const float  *logits,
                                   int           rows,
                                   int           cols,
                                   int           ld,
                                   const int    *targets,
                                   float        *out);

/* ---- Gradients (reverse mode), for training ----
 * dy / dout are the gradients of an operation's outputs. Gradients of inputs are written (dx,
 * dq, ...); gradients of parameters (dtable, dw, db) are added to, so that they accumulate over
 * calls. The CPU backend has them all; the CUDA backend reports E_UNAVAILABLE for now. */

/* dtable[ids[r]] += dy[r] (rows of cols floats). */
int    assay_backend_embed_backward (AssayBackend *self, const int *ids, int rows, const float *dy,
                                     int cols, float *dtable);
/* Of assay_backend_rmsnorm: dx (may not be x), dw (may be NULL). */
int    assay_backend_rmsnorm_backward (AssayBackend *self, const float *x, const float *w,
                                       const float *dy, int rows, int cols, float eps, float *dx,
                                       float *dw);
/* Of assay_backend_layernorm: dx, dw and db (each of the last two may be NULL). */
int    assay_backend_layernorm_backward (AssayBackend *self, const float *x, const float *w,
                                         const float *dy, int rows, int cols, float eps, float *dx,
                                         float *dw, float *db);
/* Of assay_backend_rope, in place: dx holds dy and becomes the gradient of the unrotated x. */
int    assay_backend_rope_backward (AssayBackend *self, float *dx, int rows, int ld, int n_heads,
                                    int head_dim, const int *positions, const float *inv_freq);
/* Of assay_backend_swiglu: dgu (rows of [dgate | dup], 2 * inter wide). */
int    assay_backend_swiglu_backward (AssayBackend *self, const float *gu, const float *dy, int rows,
                                      int inter, float *dgu);
/* Of assay_backend_gelu_erf (exact) or assay_backend_gelu_tanh: dx from the input x. */
int    assay_backend_gelu_backward (AssayBackend *self, const float *x, const float *dy, size_t n,
                                    bool exact, float *dx);
/* Of assay_backend_attention (causal) or _bidirectional, the softmax recomputed: dq, dk and dv
 * share the stride ld of q, k and v (they may be column slices of one fused matrix); dout has
 * stride ld_out. scratch: assay_backend_attention_backward_scratch() floats. */
size_t assay_backend_attention_backward_scratch (AssayBackend *self, int max_len, int n_heads);
int    assay_backend_attention_backward (AssayBackend *self, const float *q, const float *k,
                                         const float *v, int ld, const float *dout, int ld_out,
                                         float *dq, float *dk, float *dv, const int *seq_offsets,
                                         int n_seqs, int n_heads, int n_kv_heads, int head_dim,
                                         float scale, bool causal, float *scratch);
/* Cross-entropy of rows of logits (stride ld) against targets, each row weighted by row_weight
 * (NULL: 1; weight 0 or target < 0: the row is left out): loss[r] (host doubles) gets
 * w (logsumexp - logit of the target), and the logits become d(sum of losses)/d logits. */
int    assay_backend_xent_rows (AssayBackend *self, float *logits, int rows, int cols, int ld,
                                const int *targets, const float *row_weight, double *loss);

#ifdef __cplusplus
}
#endif
