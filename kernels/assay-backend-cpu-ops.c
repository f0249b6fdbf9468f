/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu-ops.c: transformer operations of the CPU backend. Matrix products go to
 * OpenBLAS sgemm (its own threads); row loops are OpenMP-threaded. */
#include "assay-backend-cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Rows of the query block in causal attention: scores are computed for a block of queries
 * against the keys up to its last row, which skips most of the masked upper triangle. */
#define ATTN_BLOCK 128

int
assay_cpu_weight_init (AssayBackend *self, AssayBackendWeight *w, const void *host)
{
  size_t n = (size_t) w->rows * w->cols;
  float *data = assay_cpu_alloc (self, n * sizeof (float));
  AssayDType from = w->dtype;

  if (data == NULL)
    return ASSAY_BACKEND_E_OOM;
  if (from == ASSAY_DTYPE_F32)
    memcpy (data, host, n * sizeof (float));
  else
    {
      const uint16_t *src = host;
#pragma omp parallel for schedule(static) if (n > 65536)
      for (size_t i = 0; i < n; i++)
        data[i] = from == ASSAY_DTYPE_BF16 ? assay_bf16_to_f32 (src[i]) : assay_f16_to_f32 (src[i]);
    }
  w->data = data;
  w->dtype = ASSAY_DTYPE_F32;
  return ASSAY_BACKEND_OK;
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
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, w->rows, w->cols, 1.0f, x, ldx,
               w->data, w->cols, beta, y, ldy);
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
      if (accumulate)
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

int
assay_cpu_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out)
{
#pragma omp parallel for schedule(static) if ((long) rows * inter > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *g = gu + (size_t) r * 2 * inter;
      const float *u = g + inter;
      float       *o = out + (size_t) r * inter;
      for (int j = 0; j < inter; j++)
        o[j] = g[j] / (1.0f + expf (-g[j])) * u[j];
    }
  return ASSAY_BACKEND_OK;
}

int
assay_cpu_gelu_tanh (AssayBackend *self, float *x, size_t n)
{
  const float c = 0.7978845608028654f; /* sqrt(2 / pi) */

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
  return (size_t) ATTN_BLOCK * max_len;
}

/* Rows r0..r0+m-1 of a block of scores (row i sees keys 0..r0+i): scaled softmax in place,
 * masked keys set to 0 so the product with V can run over the whole block. */
static void
causal_softmax_block (float *s, int m, int nk, int r0)
{
#pragma omp parallel for schedule(static) if ((long) m * nk > 32768)
  for (int i = 0; i < m; i++)
    {
      float *row = s + (size_t) i * nk;
      int    n = r0 + i + 1;
      float  mx = -INFINITY, inv;
      double sum = 0.0;

      for (int j = 0; j < n; j++)
        mx = fmaxf (mx, row[j]);
      for (int j = 0; j < n; j++)
        {
          row[j] = expf (row[j] - mx);
          sum += row[j];
        }
      inv = (float) (1.0 / sum);
      for (int j = 0; j < n; j++)
        row[j] *= inv;
      for (int j = n; j < nk; j++)
        row[j] = 0.0f;
    }
}

int
assay_cpu_attention (AssayBackend *self, const float *q, const float *k, const float *v, int ld,
                     float *out, int ld_out, const int *seq_offsets, int n_seqs, int n_heads,
                     int n_kv_heads, int head_dim, float scale, float *scratch)
{
  int group = n_heads / n_kv_heads;

  for (int s = 0; s < n_seqs; s++)
    {
      int    off = seq_offsets[s], len = seq_offsets[s + 1] - seq_offsets[s];
      for (int h = 0; h < n_heads; h++)
        {
          const float *qh = q + (size_t) off * ld + (size_t) h * head_dim;
          const float *kh = k + (size_t) off * ld + (size_t) (h / group) * head_dim;
          const float *vh = v + (size_t) off * ld + (size_t) (h / group) * head_dim;
          float       *oh = out + (size_t) off * ld_out + (size_t) h * head_dim;

          for (int r0 = 0; r0 < len; r0 += ATTN_BLOCK)
            {
              int m = len - r0 < ATTN_BLOCK ? len - r0 : ATTN_BLOCK;
              int nk = r0 + m;

              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, nk, head_dim, scale,
                           qh + (size_t) r0 * ld, ld, kh, ld, 0.0f, scratch, nk);
              causal_softmax_block (scratch, m, nk, r0);
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, head_dim, nk, 1.0f,
                           scratch, nk, vh, ld, 0.0f, oh + (size_t) r0 * ld_out, ld_out);
            }
        }
    }
  return ASSAY_BACKEND_OK;
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
      float        mx = -INFINITY;
      float        sum = 0.0f;
      int          has_nan = 0;

      for (int j = 0; j < cols; j++)
        {
          has_nan |= isnan (row[j]);
          mx = fmaxf (mx, row[j]);
        }
      if (has_nan || isinf (mx))
        {
          out[r] = has_nan ? NAN : row[targets[r]] - mx;
          continue;
        }
      /* Blocks of 8 partial sums keep the loop vectorised and the rounding error small. */
      {
        float part[8] = { 0 };
        int   j = 0;
        for (; j + 8 <= cols; j += 8)
          for (int t = 0; t < 8; t++)
            part[t] += expf (row[j + t] - mx);
        for (; j < cols; j++)
          sum += expf (row[j] - mx);
        for (int t = 0; t < 8; t++)
          sum += part[t];
      }
      out[r] = row[targets[r]] - mx - logf (sum);
    }
  return ASSAY_BACKEND_OK;
}
