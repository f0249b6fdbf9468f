/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu-ops.c: transformer operations of the CPU backend. Matrix products go to
 * OpenBLAS sgemm (its own threads); row loops are OpenMP-threaded. */
#include "assay-backend-cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* exp(x) for x <= 88 (Cephes' expf: Cody-Waite reduction, degree-5 polynomial; relative error
 * below 2e-7), written so that GCC vectorises loops over it, which it cannot do with libm's expf
 * unless -ffast-math. Below -87 it returns about 1.6e-38 instead of a subnormal. */
static inline float
exp_approx (float x)
{
  float   n, f, p;
  int32_t e;
  float   scale, given = x;

  /* (a NaN goes to -87 here, so the exponent stays an integer in range; it comes back below) */
  x = x > -87.0f ? (x < 88.0f ? x : 88.0f) : -87.0f;
  n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
  f = x - n * 0.693359375f + n * 2.12194440e-4f;
  p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * f * f + f + 1.0f;
  e = ((int32_t) n + 127) << 23;
  memcpy (&scale, &e, sizeof scale);
  return given == given ? p * scale : given;
}

#define VECTOR_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))

/* Rows of the query block in causal attention: scores are computed for a block of queries
 * against the keys up to its last row, which skips most of the masked upper triangle. */
#define ATTN_BLOCK 128

/* bf16 weights stay bf16 (half the memory and half the bytes each product reads: decoding is
 * bound by them); products convert blocks of rows to float32 as they go. f16 becomes float32. */
int
assay_cpu_weight_init (AssayBackend *self, AssayBackendWeight *w, const void *host)
{
  size_t     n = (size_t) w->rows * w->cols;
  AssayDType from = w->dtype;
  void      *data = assay_cpu_alloc (self, n * (from == ASSAY_DTYPE_BF16 ? 2 : sizeof (float)));

  if (data == NULL)
    return ASSAY_BACKEND_E_OOM;
  if (from == ASSAY_DTYPE_F32)
    memcpy (data, host, n * sizeof (float));
  else if (from == ASSAY_DTYPE_BF16)
    memcpy (data, host, n * 2);
  else
    {
      const uint16_t *src = host;
      float          *dst = data;
#pragma omp parallel for schedule(static) if (n > 65536)
      for (size_t i = 0; i < n; i++)
        dst[i] = assay_f16_to_f32 (src[i]);
      w->dtype = ASSAY_DTYPE_F32;
    }
  w->data = data;
  return ASSAY_BACKEND_OK;
}

/* n bf16 values to float32: the 16 bits are the top half of the float. */
VECTOR_CLONES static void
bf16_to_f32 (const uint16_t *src, size_t n, float *dst)
{
  uint32_t *d = (uint32_t *) dst;

  for (size_t i = 0; i < n; i++)
    d[i] = (uint32_t) src[i] << 16;
}

typedef float    v16f __attribute__ ((vector_size (64)));
typedef uint32_t v16u __attribute__ ((vector_size (64)));
typedef uint16_t v16h __attribute__ ((vector_size (32)));

/* Rows of bf16 W that a GEMV takes at once (rows of x at most). */
#define GEMV_ROWS 4

/* y[r][j] = x[r] . W[j] (+ beta y) for j in n0..n1-1 and up to GEMV_ROWS rows of x: each weight
 * row is read once, converted in registers, and multiplied with every row of x (decoding is a
 * few rows: the weights' bytes are the cost). */
/* 16 bf16 values as floats, and 16 floats, loaded unaligned (macros: a function returning a
 * 64-byte vector would change the ABI outside the AVX-512 clone). */
#define bf16x16(p)                                                                                 \
  ({                                                                                               \
    v16h h_;                                                                                       \
    v16u u_;                                                                                       \
    v16f f_;                                                                                       \
    memcpy (&h_, (p), sizeof h_);                                                                  \
    u_ = __builtin_convertvector (h_, v16u) << 16;                                                 \
    memcpy (&f_, &u_, sizeof f_);                                                                  \
    f_;                                                                                            \
  })
#define f32x16(p)                                                                                  \
  ({                                                                                               \
    v16f f_;                                                                                       \
    memcpy (&f_, (p), sizeof f_);                                                                  \
    f_;                                                                                            \
  })

typedef float v8f __attribute__ ((vector_size (32)));
typedef float v4f __attribute__ ((vector_size (16)));

/* The sum of a vector's 16 lanes by halves (a chain of 16 scalar adds cost as much as a whole
 * 896-wide dot product). */
#define hsum16(v)                                                                                  \
  ({                                                                                               \
    v16f v_ = (v);                                                                                 \
    v8f  e_ = __builtin_shufflevector (v_, v_, 0, 1, 2, 3, 4, 5, 6, 7)                             \
             + __builtin_shufflevector (v_, v_, 8, 9, 10, 11, 12, 13, 14, 15);                     \
    v4f  f_ = __builtin_shufflevector (e_, e_, 0, 1, 2, 3) + __builtin_shufflevector (e_, e_, 4, 5, 6, 7); \
    (f_[0] + f_[2]) + (f_[1] + f_[3]);                                                             \
  })

/* One row of x: four independent accumulators, so the adds do not wait on each other. */
VECTOR_CLONES static void
gemv_bf16_one (const float *x, const uint16_t *W, int n0, int n1, int k, float beta, float *y)
{
  for (int j = n0; j < n1; j++)
    {
      const uint16_t *w = W + (size_t) j * k;
      v16f            a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
      float           sum = 0.0f;
      int             i = 0;

      for (; i + 64 <= k; i += 64)
        {
          a0 += f32x16 (x + i) * bf16x16 (w + i);
          a1 += f32x16 (x + i + 16) * bf16x16 (w + i + 16);
          a2 += f32x16 (x + i + 32) * bf16x16 (w + i + 32);
          a3 += f32x16 (x + i + 48) * bf16x16 (w + i + 48);
        }
      for (; i + 16 <= k; i += 16)
        a0 += f32x16 (x + i) * bf16x16 (w + i);
      sum = hsum16 (a0 + a1 + a2 + a3);
      for (; i < k; i++)
        sum += x[i] * assay_bf16_to_f32 (w[i]);
      y[j] = beta == 0.0f ? sum : sum + beta * y[j];
    }
}

VECTOR_CLONES static void
gemv_bf16 (const float *x, int rows, int ldx, const uint16_t *W, int n0, int n1, int k,
           float beta, float *y, int ldy)
{
  if (rows == 1)
    {
      gemv_bf16_one (x, W, n0, n1, k, beta, y);
      return;
    }
  for (int j = n0; j < n1; j++)
    {
      const uint16_t *w = W + (size_t) j * k;
      v16f            acc[GEMV_ROWS];
      int             i = 0;

      for (int r = 0; r < rows; r++)
        acc[r] = (v16f) { 0 };
      for (; i + 16 <= k; i += 16)
        {
          v16f wf = bf16x16 (w + i);
          for (int r = 0; r < rows; r++)
            acc[r] += f32x16 (x + (size_t) r * ldx + i) * wf;
        }
      for (int r = 0; r < rows; r++)
        {
          const float *xr = x + (size_t) r * ldx;
          float       *out = y + (size_t) r * ldy + j;
          float        sum = hsum16 (acc[r]);
          for (int t = i; t < k; t++)
            sum += xr[t] * assay_bf16_to_f32 (w[t]);
          *out = beta == 0.0f ? sum : sum + beta * *out;
        }
    }
}

/* A thread's buffer for converted rows, kept for the thread's life (OpenMP threads persist). */
static float *
thread_buffer (size_t floats)
{
  static __thread float *buf;
  static __thread size_t cap;

  if (floats > cap)
    {
      free (buf);
      buf = malloc (floats * sizeof (float));
      cap = buf != NULL ? floats : 0;
    }
  return buf;
}

void
assay_cpu_weight_clear (AssayBackend *self, AssayBackendWeight *w)
{
  assay_cpu_release (self, w->data);
  w->data = NULL;
}

int
assay_cpu_linear (AssayBackend *self, const float *x, int rows, int ldx,
                  const AssayBackendWeight *w, const float *bias, float beta, float *y, int ldy)
{
  int          parts = self->threads > 0 ? self->threads : 1;
  int          n = w->rows, k = w->cols;
  int          per = ((n + parts - 1) / parts + 15) & ~15;
  const float *W = w->data;
  int          failed = 0;

  /* Each thread multiplies by its own slice of W's rows (y's columns); OpenBLAS runs in the
   * calling thread. bf16 slices go by blocks of rows converted to float32 first. */
  if ((long) rows * n * k < 4L << 20 && w->dtype != ASSAY_DTYPE_BF16)
    parts = 1, per = n;
  assay_cpu_blas_threads (self, 1);
#pragma omp parallel for num_threads(parts) schedule(static) if (parts > 1) reduction(| : failed)
  for (int t = 0; t < parts; t++)
    {
      int n0 = t * per, n1 = n0 + per < n ? n0 + per : n;
      if (n0 >= n1)
        continue;
      if (w->dtype != ASSAY_DTYPE_BF16)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, n1 - n0, k, 1.0f, x, ldx,
                     W + (size_t) n0 * k, k, beta, y + n0, ldy);
      else if (rows <= GEMV_ROWS)
        gemv_bf16 (x, rows, ldx, w->data, n0, n1, k, beta, y, ldy);
      else
        {
          int    block = 256;
          float *buf = thread_buffer ((size_t) block * k);
          if (buf == NULL)
            {
              failed = 1;
              continue;
            }
          for (int b0 = n0; b0 < n1; b0 += block)
            {
              int m = b0 + block < n1 ? block : n1 - b0;
              bf16_to_f32 ((const uint16_t *) w->data + (size_t) b0 * k, (size_t) m * k, buf);
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, m, k, 1.0f, x, ldx,
                           buf, k, beta, y + b0, ldy);
            }
        }
    }
  if (failed)
    return assay_backend_fail (self, ASSAY_BACKEND_E_OOM, "linear: no memory for a block of %d x %d",
                               256, k);
  if (bias != NULL)
    {
#pragma omp parallel for schedule(static) if ((long) rows * w->rows > 65536)
      for (int r = 0; r < rows; r++)
        {
          float *row = y + (size_t) r * ldy;
          for (int j = 0; j < w->rows; j++)
            row[j] += bias[j];
        }
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_embed (AssayBackend *self, const AssayBackendWeight *table, const int *ids, int rows,
                 float *out, bool accumulate)
{
  const float *data = table->data;
  int          cols = table->cols;
  bool        bf16 = table->dtype == ASSAY_DTYPE_BF16;

  for (int r = 0; r < rows; r++)
    if (ids[r] < 0 || ids[r] >= table->rows)
      return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                                 "embed: token id %d outside the table of %d rows", ids[r],
                                 table->rows);
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *src = data + (size_t) ids[r] * cols;
      float       *dst = out + (size_t) r * cols;
      if (bf16)
        {
          const uint16_t *h = (const uint16_t *) table->data + (size_t) ids[r] * cols;
          for (int j = 0; j < cols; j++)
            dst[j] = (accumulate ? dst[j] : 0.0f) + assay_bf16_to_f32 (h[j]);
        }
      else if (accumulate)
        for (int j = 0; j < cols; j++)
          dst[j] += src[j];
      else
        memcpy (dst, src, (size_t) cols * sizeof (float));
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_rmsnorm (AssayBackend *self, const float *x, const float *w, float *out, int rows,
                   int cols, float eps)
{
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *xr = x + (size_t) r * cols;
      float       *o = out + (size_t) r * cols;
      double       ss = 0.0;
      float        inv;

      for (int j = 0; j < cols; j++)
        ss += (double) xr[j] * xr[j];
      inv = (float) (1.0 / sqrt (ss / cols + eps));
      for (int j = 0; j < cols; j++)
        o[j] = xr[j] * inv * w[j];
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_layernorm (AssayBackend *self, const float *x, const float *w, const float *b,
                     float *out, int rows, int cols, float eps)
{
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *xr = x + (size_t) r * cols;
      float       *o = out + (size_t) r * cols;
      double       mean = 0.0, var = 0.0;
      float        inv, m;

      for (int j = 0; j < cols; j++)
        mean += xr[j];
      mean /= cols;
      for (int j = 0; j < cols; j++)
        var += (xr[j] - mean) * (xr[j] - mean);
      inv = (float) (1.0 / sqrt (var / cols + eps));
      m = (float) mean;
      for (int j = 0; j < cols; j++)
        o[j] = (xr[j] - m) * inv * w[j] + b[j];
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_rope (AssayBackend *self, float *x, int rows, int ld, int n_heads, int head_dim,
                const int *positions, const float *inv_freq)
{
  int half = head_dim / 2;

#pragma omp parallel if ((long) rows * n_heads * head_dim > 65536)
  {
    float *cs = malloc ((size_t) head_dim * sizeof (float));
#pragma omp for schedule(static)
    for (int r = 0; r < rows; r++)
      {
        float *row = x + (size_t) r * ld;
        for (int i = 0; i < half; i++)
          {
            double a = (double) positions[r] * inv_freq[i];
            cs[i] = (float) cos (a);
            cs[half + i] = (float) sin (a);
          }
        for (int h = 0; h < n_heads; h++)
          {
            float *v = row + (size_t) h * head_dim;
            for (int i = 0; i < half; i++)
              {
                float a = v[i], b = v[half + i];
                v[i] = a * cs[i] - b * cs[half + i];
                v[half + i] = b * cs[i] + a * cs[half + i];
              }
          }
      }
    free (cs);
  }
  return ASSAY_BACKEND_OK;
}

VECTOR_CLONES static void
swiglu_row (const float *g, const float *u, float *o, int inter)
{
  for (int j = 0; j < inter; j++)
    o[j] = g[j] / (1.0f + exp_approx (-g[j])) * u[j];
}

int
assay_cpu_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out)
{
#pragma omp parallel for schedule(static) if ((long) rows * inter > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *g = gu + (size_t) r * 2 * inter;
      const float *u = g + inter;
      swiglu_row (g, u, out + (size_t) r * inter, inter);
    }
  return ASSAY_BACKEND_OK;
}

/* erf as a rational function on [-4, 4] (Eigen's and TensorFlow's float erf), vectorised:
 * max |error| 4.2e-7 against erf in float64 (glibc's erff, 1 ulp, is not vectorised and took a
 * tenth of an encoder's time). */
static inline float
erf_rational (float x)
{
  float x2, p, q;

  x = x < -4.0f ? -4.0f : x > 4.0f ? 4.0f : x;
  x2 = x * x;
  p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  return x * p / q;
}

VECTOR_CLONES static void
gelu_erf_range (float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5f * x[i] * (1.0f + erf_rational (x[i] * 0.7071067811865476f));
}

int
assay_cpu_gelu (AssayBackend *self, float *x, size_t n, bool exact)
{
  const float c = 0.7978845608028654f; /* sqrt(2 / pi) */

  if (exact)
    {
      size_t chunk = 16384, n_chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n > 65536)
      for (size_t k = 0; k < n_chunks; k++)
        gelu_erf_range (x + k * chunk, k * chunk + chunk <= n ? chunk : n - k * chunk);
      return ASSAY_BACKEND_OK;
    }
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++)
    {
      float v = x[i];
      x[i] = 0.5f * v * (1.0f + tanhf (c * (v + 0.044715f * v * v * v)));
    }
  return ASSAY_BACKEND_OK;
}

size_t
assay_cpu_attention_scratch (AssayBackend *self, int max_len, int n_heads)
{
  return (size_t) (self->threads > 0 ? self->threads : 1) * ATTN_BLOCK * max_len;
}

/* Rows r0..r0+m-1 of a block of scores (causal: row i sees keys 0..r0+i; else all nk keys):
 * softmax in place, masked keys set to 0 so the product with V can run over the whole block. */
VECTOR_CLONES static void
softmax_block (float *s, int m, int nk, int r0, bool causal)
{
  for (int i = 0; i < m; i++)
    {
      float *row = s + (size_t) i * nk;
      int    n = causal ? r0 + i + 1 : nk;
      float  mx = -INFINITY, sum = 0.0f, inv;

      for (int j = 0; j < n; j++)
        mx = row[j] > mx ? row[j] : mx;
      for (int j = 0; j < n; j++)
        {
          row[j] = exp_approx (row[j] - mx);
          sum += row[j];
        }
      inv = 1.0f / sum;
      for (int j = 0; j < n; j++)
        row[j] *= inv;
      for (int j = n; j < nk; j++)
        row[j] = 0.0f;
    }
}

int
assay_cpu_attention (AssayBackend *self, const float *q, const float *k, const float *v, int ld,
                     float *out, int ld_out, const int *seq_offsets, int n_seqs, int n_heads,
                     int n_kv_heads, int head_dim, float scale, bool causal, float *scratch)
{
  int    group = n_heads / n_kv_heads;
  int    threads = self->threads > 0 ? self->threads : 1;
  int    max_len = 1;
  size_t per_thread;

  for (int s = 0; s < n_seqs; s++)
    if (seq_offsets[s + 1] - seq_offsets[s] > max_len)
      max_len = seq_offsets[s + 1] - seq_offsets[s];
  per_thread = (size_t) ATTN_BLOCK * max_len;
  /* (sequence, head) pairs in parallel, each with single-threaded BLAS and its own scratch */
  assay_cpu_blas_threads (self, 1);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (long p = 0; p < (long) n_seqs * n_heads; p++)
    {
      int          s = (int) (p / n_heads), h = (int) (p % n_heads);
      int          off = seq_offsets[s], len = seq_offsets[s + 1] - seq_offsets[s];
      float       *sc = scratch + (size_t) omp_get_thread_num () * per_thread;
      const float *qh = q + (size_t) off * ld + (size_t) h * head_dim;
      const float *kh = k + (size_t) off * ld + (size_t) (h / group) * head_dim;
      const float *vh = v + (size_t) off * ld + (size_t) (h / group) * head_dim;
      float       *oh = out + (size_t) off * ld_out + (size_t) h * head_dim;

      for (int r0 = 0; r0 < len; r0 += ATTN_BLOCK)
        {
          int m = len - r0 < ATTN_BLOCK ? len - r0 : ATTN_BLOCK;
          int nk = causal ? r0 + m : len;

          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, nk, head_dim, scale,
                       qh + (size_t) r0 * ld, ld, kh, ld, 0.0f, sc, nk);
          softmax_block (sc, m, nk, r0, causal);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, head_dim, nk, 1.0f, sc, nk,
                       vh, ld, 0.0f, oh + (size_t) r0 * ld_out, ld_out);
        }
    }
  return ASSAY_BACKEND_OK;
}

/* Terms summed in float32 (vector lanes) before they join the row's float64 total: a real
 * vocabulary of 150 000 terms added into one float loses about 3e-4 of the log-sum-exp. */
#define LSE_BLOCK 512

/* log p(target) of one row of finite logits */
VECTOR_CLONES static float
row_logprob (const float *row, int cols, int target)
{
  float  mx = -INFINITY;
  double sum = 0.0;

  for (int j = 0; j < cols; j++)
    mx = row[j] > mx ? row[j] : mx;
  for (int j0 = 0; j0 < cols; j0 += LSE_BLOCK)
    {
      int   j1 = j0 + LSE_BLOCK < cols ? j0 + LSE_BLOCK : cols;
      float part = 0.0f;
      for (int j = j0; j < j1; j++)
        part += exp_approx (row[j] - mx);
      sum += part;
    }
  return (float) ((double) row[target] - mx - log (sum));
}

int
assay_cpu_target_logprobs (AssayBackend *self, const float *logits, int rows, int cols, int ld,
                           const int *targets, float *out)
{
  for (int r = 0; r < rows; r++)
    if (targets[r] < 0 || targets[r] >= cols)
      return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                                 "target_logprobs: target %d outside %d columns", targets[r], cols);
#pragma omp parallel for schedule(static) if (rows > 1 && (long) rows * cols > 16384)
  for (int r = 0; r < rows; r++)
    {
      const float *row = logits + (size_t) r * ld;
      int          bad = 0;
      float        mx = -INFINITY;

      for (int j = 0; j < cols; j++)
        {
          bad |= !isfinite (row[j]);
          mx = row[j] > mx ? row[j] : mx;
        }
      if (bad)
        {
          /* NaN anywhere gives NaN; infinities take the slow, exact path */
          int has_nan = 0;
          for (int j = 0; j < cols; j++)
            has_nan |= isnan (row[j]);
          if (has_nan || isinf (mx))
            out[r] = has_nan ? NAN : row[targets[r]] - mx;
          else
            {
              double sum = 0.0;
              for (int j = 0; j < cols; j++)
                sum += exp ((double) row[j] - mx);
              out[r] = row[targets[r]] - mx - (float) log (sum);
            }
          continue;
        }
      out[r] = row_logprob (row, cols, targets[r]);
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_scatter_rows (AssayBackend *self, const float *src, int ld_src, int cols, int n,
                        const int *rows, void *dst, AssayDType cache_dtype)
{
  for (int r = 0; r < n; r++)
    {
      const float *s = src + (size_t) r * ld_src;
      if (rows[r] < 0)
        return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "scatter_rows: row %d", rows[r]);
      if (cache_dtype == ASSAY_DTYPE_BF16)
        {
          uint16_t *d = (uint16_t *) dst + (size_t) rows[r] * cols;
          for (int j = 0; j < cols; j++)
            d[j] = assay_f32_to_bf16 (s[j]);
        }
      else
        memcpy ((float *) dst + (size_t) rows[r] * cols, s, (size_t) cols * sizeof (float));
    }
  return ASSAY_BACKEND_OK;
}

size_t
assay_cpu_attention_cached_scratch (AssayBackend *self, int n, int max_keys, int n_heads)
{
  return (size_t) (self->threads > 0 ? self->threads : 1) * max_keys;
}

/* Key or value j of a span: its row in the cache. */
#define SPAN_ROW(span, j, n_prefix) ((size_t) ((j) < (n_prefix) ? (span)[0] + (j) : (span)[2] + (j)))

/* One query head against its keys: scores, softmax, the weighted sum of values. Decoding reads
 * each cached row once; the loops are memory-bound and vectorise over head_dim. A bf16 cache is
 * converted as it is read. */
VECTOR_CLONES static void
attend_one (const float *qh, const void *k_cache, const void *v_cache, bool bf16, int kv_dim,
            int kv_off, const int *span, int head_dim, float scale, float *p, float *oh)
{
  int   n_keys = span[3], n_prefix = span[1] < n_keys ? span[1] : n_keys;
  float mx = -INFINITY, sum = 0.0f, inv;

  for (int j = 0; j < n_keys; j++)
    {
      size_t at = SPAN_ROW (span, j, n_prefix) * kv_dim + kv_off;
      float  d = 0.0f;
      if (bf16)
        {
          const uint16_t *kj = (const uint16_t *) k_cache + at;
          for (int i = 0; i < head_dim; i++)
            {
              uint32_t u = (uint32_t) kj[i] << 16;
              float    k;
              memcpy (&k, &u, sizeof k);
              d += qh[i] * k;
            }
        }
      else
        {
          const float *kj = (const float *) k_cache + at;
          for (int i = 0; i < head_dim; i++)
            d += qh[i] * kj[i];
        }
      p[j] = d * scale;
      mx = p[j] > mx ? p[j] : mx;
    }
  for (int j = 0; j < n_keys; j++)
    {
      p[j] = exp_approx (p[j] - mx);
      sum += p[j];
    }
  inv = 1.0f / sum;
  for (int i = 0; i < head_dim; i++)
    oh[i] = 0.0f;
  for (int j = 0; j < n_keys; j++)
    {
      size_t at = SPAN_ROW (span, j, n_prefix) * kv_dim + kv_off;
      float  w = p[j] * inv;
      if (bf16)
        {
          const uint16_t *vj = (const uint16_t *) v_cache + at;
          for (int i = 0; i < head_dim; i++)
            {
              uint32_t u = (uint32_t) vj[i] << 16;
              float    v;
              memcpy (&v, &u, sizeof v);
              oh[i] += w * v;
            }
        }
      else
        {
          const float *vj = (const float *) v_cache + at;
          for (int i = 0; i < head_dim; i++)
            oh[i] += w * vj[i];
        }
    }
}

int
assay_cpu_attention_cached (AssayBackend *self, const float *q, int ldq, int n,
                            const void *k_cache, const void *v_cache, AssayDType cache_dtype,
                            const int *span, int max_keys, float *out, int ld_out, int n_heads,
                            int n_kv_heads, int head_dim, float scale, float *scratch)
{
  int  threads = self->threads > 0 ? self->threads : 1;
  int  group = n_heads / n_kv_heads, kv_dim = n_kv_heads * head_dim;
  bool bf16 = cache_dtype == ASSAY_DTYPE_BF16;

  for (int r = 0; r < n; r++)
    if (span[4 * r + 3] < 1 || span[4 * r + 3] > max_keys || span[4 * r] < 0 || span[4 * r + 2] < 0)
      return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                                 "attention_cached: row %d sees %d keys (at most %d)", r,
                                 span[4 * r + 3], max_keys);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if ((long) n * n_heads > 1)
  for (long t = 0; t < (long) n * n_heads; t++)
    {
      int r = (int) (t / n_heads), h = (int) (t % n_heads);
      attend_one (q + (size_t) r * ldq + (size_t) h * head_dim, k_cache, v_cache, bf16, kv_dim,
                  (h / group) * head_dim, span + 4 * r, head_dim, scale,
                  scratch + (size_t) omp_get_thread_num () * max_keys,
                  out + (size_t) r * ld_out + (size_t) h * head_dim);
    }
  return ASSAY_BACKEND_OK;
}
