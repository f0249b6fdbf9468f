/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend.c: dispatch from the public interface to the implementation's table. */
#include "assay-backend-private.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int
assay_backend_fail (AssayBackend *self, int status, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (self->error, sizeof self->error, fmt, ap);
  va_end (ap);
  return status;
}

void
assay_backend_write_error (char *err, size_t err_len, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || err_len == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, err_len, fmt, ap);
  va_end (ap);
}

int
assay_backend_check_gemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n,
                          int k, const void *a, int lda, const void *b, int ldb, const void *c,
                          int ldc)
{
  int a_cols = ta == ASSAY_TRANS_N ? k : m;
  int b_cols = tb == ASSAY_TRANS_N ? n : k;

  if (m < 0 || n < 0 || k < 0)
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "sgemm: negative size (m=%d n=%d k=%d)", m, n, k);
  if ((ta != ASSAY_TRANS_N && ta != ASSAY_TRANS_T) || (tb != ASSAY_TRANS_N && tb != ASSAY_TRANS_T))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: bad transpose flag");
  if (lda < (a_cols > 1 ? a_cols : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: lda=%d < %d", lda, a_cols);
  if (ldb < (b_cols > 1 ? b_cols : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: ldb=%d < %d", ldb, b_cols);
  if (ldc < (n > 1 ? n : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: ldc=%d < %d", ldc, n);
  if ((m > 0 && n > 0 && c == NULL) || (m > 0 && n > 0 && k > 0 && (a == NULL || b == NULL)))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: NULL matrix");
  return ASSAY_BACKEND_OK;
}

void
assay_backend_free (AssayBackend *self)
{
  if (self != NULL)
    self->vt->destroy (self);
}

AssayBackendKind
assay_backend_kind (const AssayBackend *self)
{
  return self->kind;
}

const char *
assay_backend_describe (const AssayBackend *self)
{
  return self->description;
}

const char *
assay_backend_device_name (const AssayBackend *self)
{
  return self->device_name;
}

int
assay_backend_threads (const AssayBackend *self)
{
  return self->threads;
}

uint64_t
assay_backend_memory_bytes (const AssayBackend *self)
{
  return self->memory_bytes;
}

const char *
assay_backend_last_error (const AssayBackend *self)
{
  return self->error;
}

void *
assay_backend_alloc (AssayBackend *self, size_t bytes)
{
  return self->vt->alloc (self, bytes);
}

void
assay_backend_release (AssayBackend *self, void *ptr)
{
  if (ptr != NULL)
    self->vt->release (self, ptr);
}

int
assay_backend_upload (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  return self->vt->upload (self, dst, src, bytes);
}

int
assay_backend_download (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  return self->vt->download (self, dst, src, bytes);
}

int
assay_backend_synchronize (AssayBackend *self)
{
  return self->vt->synchronize (self);
}

int
assay_backend_sgemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc)
{
  int status = assay_backend_check_gemm (self, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);

  if (status != ASSAY_BACKEND_OK)
    return status;
  if (m == 0 || n == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->sgemm (self, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int
assay_backend_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld)
{
  if (rows < 0 || cols < 0 || ld < cols || (rows > 0 && cols > 0 && x == NULL))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "softmax: bad shape (rows=%d cols=%d ld=%d)", rows, cols, ld);
  if (rows == 0 || cols == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->softmax_rows (self, x, rows, cols, ld);
}

int
assay_backend_logsumexp_rows (AssayBackend *self, const float *x, int rows, int cols, int ld,
                              float *out)
{
  if (rows < 0 || cols <= 0 || ld < cols || (rows > 0 && (x == NULL || out == NULL)))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "logsumexp: bad shape (rows=%d cols=%d ld=%d)", rows, cols, ld);
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->logsumexp_rows (self, x, rows, cols, ld, out);
}

size_t
assay_dtype_size (AssayDType dtype)
{
  return dtype == ASSAY_DTYPE_F32 ? 4 : 2;
}

float
assay_bf16_to_f32 (uint16_t v)
{
  union { uint32_t u; float f; } x = { .u = (uint32_t) v << 16 };
  return x.f;
}

uint16_t
assay_f32_to_bf16 (float v)
{
  union { float f; uint32_t u; } x = { .f = v };
  if (isnan (v))
    return (uint16_t) ((x.u >> 16) | 0x40);
  x.u += 0x7fff + ((x.u >> 16) & 1);
  return (uint16_t) (x.u >> 16);
}

float
assay_f16_to_f32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  union { uint32_t u; float f; } x;

  if (exp == 0)
    {
      /* zero or subnormal: man * 2^-24 */
      float f = ldexpf ((float) man, -24);
      return sign ? -f : f;
    }
  if (exp == 31)
    x.u = sign | 0x7f800000u | (man << 13);
  else
    x.u = sign | ((exp + 112) << 23) | (man << 13);
  return x.f;
}

uint16_t
assay_f32_to_f16 (float v)
{
  union { float f; uint32_t u; } x = { .f = v };
  uint32_t sign = (x.u >> 16) & 0x8000;
  float    a = fabsf (v);
  int      e;

  if (isnan (v))
    return (uint16_t) (sign | 0x7e00);
  if (a >= 65520.0f)
    return (uint16_t) (sign | 0x7c00);
  if (a < 6.103515625e-05f)
    {
      /* subnormal: round a / 2^-24 to nearest even */
      return (uint16_t) (sign | (uint32_t) nearbyintf (a * 16777216.0f));
    }
  frexpf (a, &e); /* a = m * 2^e, m in [0.5, 1) */
  {
    /* 11 significant bits: round a / 2^(e - 11) */
    uint32_t q = (uint32_t) nearbyintf (ldexpf (a, 11 - e)); /* in [1024, 2048] */
    int      exp = e - 1 + 15;
    if (q == 2048)
      {
        q = 1024;
        exp++;
      }
    if (exp >= 31)
      return (uint16_t) (sign | 0x7c00);
    return (uint16_t) (sign | ((uint32_t) exp << 10) | (q & 0x3ff));
  }
}

AssayDType
assay_backend_weight_dtype (AssayBackendKind kind, AssayDType dtype)
{
  return kind == ASSAY_BACKEND_CPU && dtype == ASSAY_DTYPE_F16 ? ASSAY_DTYPE_F32 : dtype;
}

AssayBackendWeight *
assay_backend_weight_new (AssayBackend *self, const void *host, AssayDType dtype, int rows,
                          int cols)
{
  AssayBackendWeight *w;

  if (rows <= 0 || cols <= 0 || host == NULL || dtype > ASSAY_DTYPE_BF16)
    {
      assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "weight: bad shape %d x %d", rows, cols);
      return NULL;
    }
  if ((w = calloc (1, sizeof *w)) == NULL)
    {
      assay_backend_fail (self, ASSAY_BACKEND_E_OOM, "weight: out of memory");
      return NULL;
    }
  w->rows = rows;
  w->cols = cols;
  w->dtype = dtype;
  if (self->vt->weight_init (self, w, host) != ASSAY_BACKEND_OK)
    {
      free (w);
      return NULL;
    }
  return w;
}

void
assay_backend_weight_free (AssayBackend *self, AssayBackendWeight *w)
{
  if (w == NULL)
    return;
  self->vt->weight_clear (self, w);
  free (w);
}

int
assay_backend_weight_rows (const AssayBackendWeight *w)
{
  return w->rows;
}

int
assay_backend_weight_cols (const AssayBackendWeight *w)
{
  return w->cols;
}

#define CHECK(cond, ...)                                                                           \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, __VA_ARGS__);                    \
    }                                                                                              \
  while (0)

int
assay_backend_linear (AssayBackend *self, const float *x, int rows, int ldx,
                      const AssayBackendWeight *w, const float *bias, float beta, float *y, int ldy)
{
  CHECK (w != NULL && rows >= 0, "linear: no weight");
  CHECK (ldx >= w->cols && ldy >= w->rows, "linear: strides %d/%d below %d/%d", ldx, ldy, w->cols,
         w->rows);
  CHECK (rows == 0 || (x != NULL && y != NULL), "linear: NULL matrix");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->linear (self, x, rows, ldx, w, bias, beta, y, ldy);
}

int
assay_backend_embed (AssayBackend *self, const AssayBackendWeight *table, const int *ids, int rows,
                     float *out, bool accumulate)
{
  CHECK (table != NULL && rows >= 0 && (rows == 0 || (ids != NULL && out != NULL)),
         "embed: bad arguments");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->embed (self, table, ids, rows, out, accumulate);
}

int
assay_backend_gather_rows (AssayBackend *self, const float *src, int src_rows, int cols,
                           const int *rows, int n, float *dst)
{
  AssayBackendWeight view = { src_rows, cols, ASSAY_DTYPE_F32, (void *) src };

  CHECK (src_rows > 0 && cols > 0 && n >= 0 && (n == 0 || (src && rows && dst)),
         "gather_rows: bad arguments");
  if (n == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->embed (self, &view, rows, n, dst, false);
}

int
assay_backend_rmsnorm (AssayBackend *self, const float *x, const float *w, float *out, int rows,
                       int cols, float eps)
{
  CHECK (rows >= 0 && cols > 0 && (rows == 0 || (x && w && out)), "rmsnorm: bad arguments");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->rmsnorm (self, x, w, out, rows, cols, eps);
}

int
assay_backend_layernorm (AssayBackend *self, const float *x, const float *w, const float *b,
                         float *out, int rows, int cols, float eps)
{
  CHECK (rows >= 0 && cols > 0 && (rows == 0 || (x && w && b && out)), "layernorm: bad arguments");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->layernorm (self, x, w, b, out, rows, cols, eps);
}

int
assay_backend_rope (AssayBackend *self, float *x, int rows, int ld, int n_heads, int head_dim,
                    const int *positions, const float *inv_freq)
{
  CHECK (rows >= 0 && n_heads > 0 && head_dim > 0 && head_dim % 2 == 0
           && ld >= n_heads * head_dim && inv_freq != NULL,
         "rope: bad arguments (heads %d, head_dim %d, ld %d)", n_heads, head_dim, ld);
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  CHECK (x != NULL && positions != NULL, "rope: NULL input");
  return self->vt->rope (self, x, rows, ld, n_heads, head_dim, positions, inv_freq);
}

int
assay_backend_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out)
{
  CHECK (rows >= 0 && inter > 0 && (rows == 0 || (gu && out)), "swiglu: bad arguments");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->swiglu (self, gu, rows, inter, out);
}

int
assay_backend_gelu_tanh (AssayBackend *self, float *x, size_t n)
{
  CHECK (n == 0 || x != NULL, "gelu: NULL input");
  if (n == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->gelu (self, x, n, false);
}

int
assay_backend_gelu_erf (AssayBackend *self, float *x, size_t n)
{
  CHECK (n == 0 || x != NULL, "gelu: NULL input");
  if (n == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->gelu (self, x, n, true);
}

size_t
assay_backend_attention_scratch (AssayBackend *self, int max_len, int n_heads)
{
  return self->vt->attention_scratch (self, max_len > 0 ? max_len : 1, n_heads);
}

static int
attention (AssayBackend *self, const float *q, const float *k, const float *v, int ld, float *out,
           int ld_out, const int *seq_offsets, int n_seqs, int n_heads, int n_kv_heads,
           int head_dim, float scale, bool causal, float *scratch)
{
  CHECK (n_seqs >= 0 && n_heads > 0 && n_kv_heads > 0 && head_dim > 0
           && n_heads % n_kv_heads == 0,
         "attention: %d heads cannot share %d key/value heads", n_heads, n_kv_heads);
  CHECK (ld >= n_kv_heads * head_dim && ld_out >= n_heads * head_dim, "attention: bad strides");
  if (n_seqs == 0)
    return ASSAY_BACKEND_OK;
  CHECK (seq_offsets != NULL && q && k && v && out && scratch, "attention: NULL input");
  for (int s = 0; s < n_seqs; s++)
    CHECK (seq_offsets[s] >= 0 && seq_offsets[s + 1] >= seq_offsets[s],
           "attention: sequence offsets not ascending at %d", s);
  return self->vt->attention (self, q, k, v, ld, out, ld_out, seq_offsets, n_seqs, n_heads,
                              n_kv_heads, head_dim, scale, causal, scratch);
}

int
assay_backend_attention (AssayBackend *self, const float *q, const float *k, const float *v,
                         int ld, float *out, int ld_out, const int *seq_offsets, int n_seqs,
                         int n_heads, int n_kv_heads, int head_dim, float scale, float *scratch)
{
  return attention (self, q, k, v, ld, out, ld_out, seq_offsets, n_seqs, n_heads, n_kv_heads,
                    head_dim, scale, true, scratch);
}

int
assay_backend_attention_bidirectional (AssayBackend *self, const float *q, const float *k,
                                       const float *v, int ld, float *out, int ld_out,
                                       const int *seq_offsets, int n_seqs, int n_heads,
                                       int n_kv_heads, int head_dim, float scale, float *scratch)
{
  return attention (self, q, k, v, ld, out, ld_out, seq_offsets, n_seqs, n_heads, n_kv_heads,
                    head_dim, scale, false, scratch);
}

int
assay_backend_target_logprobs (AssayBackend *self, const float *logits, int rows, int cols, int ld,
                               const int *targets, float *out)
{
  CHECK (rows >= 0 && cols > 0 && ld >= cols, "target_logprobs: bad shape");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  CHECK (logits && targets && out, "target_logprobs: NULL input");
  return self->vt->target_logprobs (self, logits, rows, cols, ld, targets, out);
}

int
assay_backend_scatter_rows (AssayBackend *self, const float *src, int ld_src, int cols, int n,
                            const int *rows, void *dst, AssayDType cache_dtype)
{
  CHECK (cols > 0 && ld_src >= cols && n >= 0, "scatter_rows: bad shape");
  CHECK (cache_dtype == ASSAY_DTYPE_F32 || cache_dtype == ASSAY_DTYPE_BF16,
         "scatter_rows: a cache is F32 or BF16");
  if (n == 0)
    return ASSAY_BACKEND_OK;
  CHECK (src && rows && dst, "scatter_rows: NULL input");
  if (self->vt->scatter_rows == NULL)
    return assay_backend_fail (self, ASSAY_BACKEND_E_UNAVAILABLE, "scatter_rows: not on %s",
                               assay_backend_describe (self));
  return self->vt->scatter_rows (self, src, ld_src, cols, n, rows, dst, cache_dtype);
}

size_t
assay_backend_attention_cached_scratch (AssayBackend *self, int n, int max_keys, int n_heads)
{
  if (self->vt->attention_cached_scratch == NULL)
    return 1;
  return self->vt->attention_cached_scratch (self, n > 0 ? n : 1, max_keys > 0 ? max_keys : 1,
                                             n_heads > 0 ? n_heads : 1);
}

int
assay_backend_attention_cached (AssayBackend *self, const float *q, int ldq, int n,
                                const void *k_cache, const void *v_cache, AssayDType cache_dtype,
                                const int *span, int max_keys, float *out, int ld_out, int n_heads,
                                int n_kv_heads, int head_dim, float scale, float *scratch)
{
  CHECK (n >= 0 && n_heads > 0 && n_kv_heads > 0 && head_dim > 0 && n_heads % n_kv_heads == 0,
         "attention_cached: %d heads cannot share %d key/value heads", n_heads, n_kv_heads);
  CHECK (ldq >= n_heads * head_dim && ld_out >= n_heads * head_dim && max_keys > 0,
         "attention_cached: bad strides");
  CHECK (cache_dtype == ASSAY_DTYPE_F32 || cache_dtype == ASSAY_DTYPE_BF16,
         "attention_cached: a cache is F32 or BF16");
  if (n == 0)
    return ASSAY_BACKEND_OK;
  CHECK (q && k_cache && v_cache && span && out && scratch, "attention_cached: NULL input");
  if (self->vt->attention_cached == NULL)
    return assay_backend_fail (self, ASSAY_BACKEND_E_UNAVAILABLE, "attention_cached: not on %s",
                               assay_backend_describe (self));
  return self->vt->attention_cached (self, q, ldq, n, k_cache, v_cache, cache_dtype, span, max_keys,
                                     out, ld_out, n_heads, n_kv_heads, head_dim, scale, scratch);
}

/* ---- gradients ---- */

#define HAVE(op)                                                                                   \
  do                                                                                               \
    {                                                                                              \
      if (self->vt->op == NULL)                                                                    \
        return assay_backend_fail (self, ASSAY_BACKEND_E_UNAVAILABLE,                              \
                                   "%s: not available on this backend (%s)", #op,                  \
                                   self->description);                                             \
    }                                                                                              \
  while (0)

int
assay_backend_embed_backward (AssayBackend *self, const int *ids, int rows, const float *dy, int cols,
                              float *dtable)
{
  HAVE (embed_backward);
  CHECK (rows >= 0 && cols > 0 && (rows == 0 || (ids && dy && dtable)), "embed_backward: bad arguments");
  return rows == 0 ? ASSAY_BACKEND_OK : self->vt->embed_backward (self, ids, rows, dy, cols, dtable);
}

int
assay_backend_rmsnorm_backward (AssayBackend *self, const float *x, const float *w, const float *dy,
                                int rows, int cols, float eps, float *dx, float *dw)
{
  HAVE (rmsnorm_backward);
  CHECK (rows >= 0 && cols > 0 && (rows == 0 || (x && w && dy && dx)) && dx != x,
         "rmsnorm_backward: bad arguments");
  return rows == 0 ? ASSAY_BACKEND_OK : self->vt->rmsnorm_backward (self, x, w, dy, rows, cols, eps, dx, dw);
}

int
assay_backend_layernorm_backward (AssayBackend *self, const float *x, const float *w, const float *dy,
                                  int rows, int cols, float eps, float *dx, float *dw, float *db)
{
  HAVE (layernorm_backward);
  CHECK (rows >= 0 && cols > 0 && (rows == 0 || (x && w && dy && dx)) && dx != x,
         "layernorm_backward: bad arguments");
  return rows == 0 ? ASSAY_BACKEND_OK
                   : self->vt->layernorm_backward (self, x, w, dy, rows, cols, eps, dx, dw, db);
}

int
assay_backend_rope_backward (AssayBackend *self, float *dx, int rows, int ld, int n_heads, int head_dim,
                             const int *positions, const float *inv_freq)
{
  HAVE (rope_backward);
  CHECK (rows >= 0 && n_heads > 0 && head_dim > 0 && head_dim % 2 == 0 && ld >= n_heads * head_dim
           && (rows == 0 || (dx && positions && inv_freq)),
         "rope_backward: bad arguments");
  return rows == 0 ? ASSAY_BACKEND_OK
                   : self->vt->rope_backward (self, dx, rows, ld, n_heads, head_dim, positions, inv_freq);
}

int
assay_backend_swiglu_backward (AssayBackend *self, const float *gu, const float *dy, int rows, int inter,
                               float *dgu)
{
  HAVE (swiglu_backward);
  CHECK (rows >= 0 && inter > 0 && (rows == 0 || (gu && dy && dgu)), "swiglu_backward: bad arguments");
  return rows == 0 ? ASSAY_BACKEND_OK : self->vt->swiglu_backward (self, gu, dy, rows, inter, dgu);
}

int
assay_backend_gelu_backward (AssayBackend *self, const float *x, const float *dy, size_t n, bool exact,
                             float *dx)
{
  HAVE (gelu_backward);
  CHECK (n == 0 || (x && dy && dx), "gelu_backward: bad arguments");
  return n == 0 ? ASSAY_BACKEND_OK : self->vt->gelu_backward (self, x, dy, n, exact, dx);
}

size_t
assay_backend_attention_backward_scratch (AssayBackend *self, int max_len, int n_heads)
{
  return self->vt->attention_backward_scratch != NULL
           ? self->vt->attention_backward_scratch (self, max_len > 0 ? max_len : 1, n_heads) : 1;
}

int
assay_backend_attention_backward (AssayBackend *self, const float *q, const float *k, const float *v,
                                  int ld, const float *dout, int ld_out, float *dq, float *dk, float *dv,
                                  const int *seq_offsets, int n_seqs, int n_heads, int n_kv_heads,
                                  int head_dim, float scale, bool causal, float *scratch)
{
  HAVE (attention_backward);
  CHECK (n_seqs >= 0 && n_heads > 0 && n_kv_heads > 0 && head_dim > 0 && n_heads % n_kv_heads == 0,
         "attention_backward: %d heads cannot share %d key/value heads", n_heads, n_kv_heads);
  CHECK (ld >= n_kv_heads * head_dim && ld >= n_heads * head_dim && ld_out >= n_heads * head_dim,
         "attention_backward: bad strides");
  if (n_seqs == 0)
    return ASSAY_BACKEND_OK;
  CHECK (seq_offsets && q && k && v && dout && dq && dk && dv && scratch, "attention_backward: NULL input");
  for (int s = 0; s < n_seqs; s++)
    CHECK (seq_offsets[s] >= 0 && seq_offsets[s + 1] >= seq_offsets[s],
           "attention_backward: sequence offsets not ascending at %d", s);
  return self->vt->attention_backward (self, q, k, v, ld, dout, ld_out, dq, dk, dv, seq_offsets, n_seqs,
                                       n_heads, n_kv_heads, head_dim, scale, causal, scratch);
}

int
assay_backend_xent_rows (AssayBackend *self, float *logits, int rows, int cols, int ld, const int *targets,
                         const float *row_weight, double *loss)
{
  HAVE (xent_rows);
  CHECK (rows >= 0 && cols > 0 && ld >= cols, "xent_rows: bad shape");
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  CHECK (logits && targets && loss, "xent_rows: NULL input");
  for (int r = 0; r < rows; r++)
    CHECK (targets[r] < cols, "xent_rows: target %d of row %d is not below %d", targets[r], r, cols);
  return self->vt->xent_rows (self, logits, rows, cols, ld, targets, row_weight, loss);
}
