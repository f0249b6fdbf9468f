/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu-grad.c: gradients of the CPU backend's transformer operations, for
 * training. Sums over a row run in float64; matrix products go to OpenBLAS. */
#include "assay-backend-cpu-grad.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "assay-backend-cpu-ops.h"

/* Query rows per block in the attention's backward pass (as in the forward pass). */
#define GRAD_ATTN_BLOCK 64

int
assay_cpu_embed_backward (AssayBackend *self, const int *ids, int rows, const float *dy, int cols,
                          float *dtable)
{
  /* columns in parallel: a token seen twice adds to one row from one thread */
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int c0 = 0; c0 < cols; c0 += 64)
    {
      int c1 = c0 + 64 < cols ? c0 + 64 : cols;
      for (int r = 0; r < rows; r++)
        {
          float       *t = dtable + (size_t) ids[r] * cols;
          const float *d = dy + (size_t) r * cols;
          for (int c = c0; c < c1; c++)
            t[c] += d[c];
        }
    }
  return ASSAY_BACKEND_OK;
}

/* y = x * inv * w with inv = (mean(x^2) + eps)^-1/2:
 * dx = inv * w * dy - x * inv^3 / n * sum(w * dy * x);  dw += sum over rows of dy * x * inv. */
int
assay_cpu_rmsnorm_backward (AssayBackend *self, const float *x, const float *w, const float *dy,
                            int rows, int cols, float eps, float *dx, float *dw)
{
  double *inv = malloc ((size_t) rows * sizeof (double));

  if (inv == NULL)
    return assay_backend_fail (self, ASSAY_BACKEND_E_OOM, "rmsnorm backward: out of memory");
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *xr = x + (size_t) r * cols, *d = dy + (size_t) r * cols;
      float       *o = dx + (size_t) r * cols;
      double       ss = 0.0, dot = 0.0, i, k;

      for (int j = 0; j < cols; j++)
        {
          ss += (double) xr[j] * xr[j];
          dot += (double) w[j] * d[j] * xr[j];
        }
      i = 1.0 / sqrt (ss / cols + eps);
      inv[r] = i;
      k = dot * i * i * i / cols;
      for (int j = 0; j < cols; j++)
        o[j] = (float) (i * w[j] * d[j] - xr[j] * k);
    }
  if (dw != NULL)
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
    for (int j = 0; j < cols; j++)
      {
        double s = 0.0;
        for (int r = 0; r < rows; r++)
          s += (double) dy[(size_t) r * cols + j] * x[(size_t) r * cols + j] * inv[r];
        dw[j] += (float) s;
      }
  free (inv);
  return ASSAY_BACKEND_OK;
}

/* y = xhat * w + b, xhat = (x - mean) * inv: with g = dy * w,
 * dx = inv * (g - mean(g) - xhat * mean(g * xhat));  dw += sum dy * xhat;  db += sum dy. */
int
assay_cpu_layernorm_backward (AssayBackend *self, const float *x, const float *w, const float *dy,
                              int rows, int cols, float eps, float *dx, float *dw, float *db)
{
  double *stats = malloc ((size_t) rows * 2 * sizeof (double));

  if (stats == NULL)
    return assay_backend_fail (self, ASSAY_BACKEND_E_OOM, "layernorm backward: out of memory");
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *xr = x + (size_t) r * cols, *d = dy + (size_t) r * cols;
      float       *o = dx + (size_t) r * cols;
      double       mean = 0.0, var = 0.0, i, mg = 0.0, mgx = 0.0;

      for (int j = 0; j < cols; j++)
        mean += xr[j];
      mean /= cols;
      for (int j = 0; j < cols; j++)
        var += (xr[j] - mean) * (xr[j] - mean);
      i = 1.0 / sqrt (var / cols + eps);
      for (int j = 0; j < cols; j++)
        {
          double g = (double) d[j] * w[j];
          mg += g;
          mgx += g * (xr[j] - mean) * i;
        }
      mg /= cols;
      mgx /= cols;
      for (int j = 0; j < cols; j++)
        o[j] = (float) (i * ((double) d[j] * w[j] - mg - (xr[j] - mean) * i * mgx));
      stats[2 * r] = mean;
      stats[2 * r + 1] = i;
    }
  if (dw != NULL || db != NULL)
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
    for (int j = 0; j < cols; j++)
      {
        double sw = 0.0, sb = 0.0;
        for (int r = 0; r < rows; r++)
          {
            double d = dy[(size_t) r * cols + j];
            sw += d * (x[(size_t) r * cols + j] - stats[2 * r]) * stats[2 * r + 1];
            sb += d;
          }
        if (dw != NULL)
          dw[j] += (float) sw;
        if (db != NULL)
          db[j] += (float) sb;
      }
  free (stats);
  return ASSAY_BACKEND_OK;
}

/* The rotation's transpose: each pair turns back by the same angle. */
int
assay_cpu_rope_backward (AssayBackend *self, float *dx, int rows, int ld, int n_heads, int head_dim,
                         const int *positions, const float *inv_freq)
{
  int half = head_dim / 2;

#pragma omp parallel for schedule(static) if ((long) rows * n_heads * head_dim > 65536)
  for (int r = 0; r < rows; r++)
    {
      float *row = dx + (size_t) r * ld;
      for (int i = 0; i < half; i++)
        {
          double a = (double) positions[r] * inv_freq[i];
          float  c = (float) cos (a), s = (float) sin (a);
          for (int h = 0; h < n_heads; h++)
            {
              float *v = row + (size_t) h * head_dim;
              float  x = v[i], y = v[half + i];
              v[i] = x * c + y * s;
              v[half + i] = y * c - x * s;
            }
        }
    }
  return ASSAY_BACKEND_OK;
}

/* y = silu(g) * u:  dg = dy * u * sigma(g) * (1 + g * (1 - sigma(g))),  du = dy * silu(g). */
int
assay_cpu_swiglu_backward (AssayBackend *self, const float *gu, const float *dy, int rows, int inter,
                           float *dgu)
{
#pragma omp parallel for schedule(static) if ((long) rows * inter > 65536)
  for (int r = 0; r < rows; r++)
    {
      const float *g = gu + (size_t) r * 2 * inter, *u = g + inter, *d = dy + (size_t) r * inter;
      float       *dg = dgu + (size_t) r * 2 * inter, *du = dg + inter;
      for (int j = 0; j < inter; j++)
        {
          double s = 1.0 / (1.0 + exp (-(double) g[j]));
          dg[j] = (float) (d[j] * u[j] * s * (1.0 + g[j] * (1.0 - s)));
          du[j] = (float) (d[j] * g[j] * s);
        }
    }
  return ASSAY_BACKEND_OK;
}

/* Exact: d/dx x * Phi(x) = Phi(x) + x * phi(x). Tanh form: y = x / 2 * (1 + tanh t),
 * t = c (x + 0.044715 x^3): dy/dx = (1 + tanh t) / 2 + x / 2 * (1 - tanh^2 t) * c (1 + 3 * 0.044715 x^2). */
int
assay_cpu_gelu_backward (AssayBackend *self, const float *x, const float *dy, size_t n, bool exact,
                         float *dx)
{
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++)
    {
      double v = x[i], g;
      if (exact)
        g = 0.5 * (1.0 + erf (v / sqrt (2.0))) + v * exp (-0.5 * v * v) / sqrt (2.0 * M_PI);
      else
        {
          double c = sqrt (2.0 / M_PI), t = tanh (c * (v + 0.044715 * v * v * v));
          g = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * v * v);
        }
      dx[i] = (float) (dy[i] * g);
    }
  return ASSAY_BACKEND_OK;
}

size_t
assay_cpu_attention_backward_scratch (AssayBackend *self, int max_len, int n_heads)
{
  int threads = self->threads > 0 ? self->threads : 1;
  return (size_t) threads * 2 * GRAD_ATTN_BLOCK * (size_t) (max_len > 0 ? max_len : 1);
}

/* Per sequence and key/value head (which owns its slice of dk and dv), for each query head of
 * its group and each block of query rows: the scores and their softmax P again, then
 * dV += P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dP * P));  dQ = scale dS K;
 * dK += scale dS^T Q. */
int
assay_cpu_attention_backward (AssayBackend *self, const float *q, const float *k, const float *v,
                              int ld, const float *dout, int ld_out, float *dq, float *dk, float *dv,
                              const int *seq_offsets, int n_seqs, int n_heads, int n_kv_heads,
                              int head_dim, float scale, bool causal, float *scratch)
{
  int    group = n_heads / n_kv_heads;
  int    threads = self->threads > 0 ? self->threads : 1;
  int    max_len = 1;
  size_t per_thread;

  for (int s = 0; s < n_seqs; s++)
    if (seq_offsets[s + 1] - seq_offsets[s] > max_len)
      max_len = seq_offsets[s + 1] - seq_offsets[s];
  per_thread = (size_t) 2 * GRAD_ATTN_BLOCK * max_len;
  assay_cpu_blas_threads (self, 1);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (long p = 0; p < (long) n_seqs * n_kv_heads; p++)
    {
      int          s = (int) (p / n_kv_heads), kvh = (int) (p % n_kv_heads);
      int          off = seq_offsets[s], len = seq_offsets[s + 1] - seq_offsets[s];
      float       *P = scratch + (size_t) omp_get_thread_num () * per_thread;
      float       *dP = P + (size_t) GRAD_ATTN_BLOCK * max_len;
      const float *kh = k + (size_t) off * ld + (size_t) kvh * head_dim;
      const float *vh = v + (size_t) off * ld + (size_t) kvh * head_dim;
      float       *dkh = dk + (size_t) off * ld + (size_t) kvh * head_dim;
      float       *dvh = dv + (size_t) off * ld + (size_t) kvh * head_dim;

      for (int r = 0; r < len; r++)
        {
          memset (dkh + (size_t) r * ld, 0, (size_t) head_dim * sizeof (float));
          memset (dvh + (size_t) r * ld, 0, (size_t) head_dim * sizeof (float));
        }
      for (int h = kvh * group; h < (kvh + 1) * group; h++)
        {
          const float *qh = q + (size_t) off * ld + (size_t) h * head_dim;
          const float *doh = dout + (size_t) off * ld_out + (size_t) h * head_dim;
          float       *dqh = dq + (size_t) off * ld + (size_t) h * head_dim;

          for (int r0 = 0; r0 < len; r0 += GRAD_ATTN_BLOCK)
            {
              int m = len - r0 < GRAD_ATTN_BLOCK ? len - r0 : GRAD_ATTN_BLOCK;
              int nk = causal ? r0 + m : len;

              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, nk, head_dim, scale,
                           qh + (size_t) r0 * ld, ld, kh, ld, 0.0f, P, nk);
              for (int i = 0; i < m; i++)
                {
                  float *row = P + (size_t) i * nk;
                  int    keys = causal ? r0 + i + 1 : nk;
                  float  mx = row[0];
                  double sum = 0.0;
                  for (int j = 1; j < keys; j++)
                    mx = row[j] > mx ? row[j] : mx;
                  for (int j = 0; j < keys; j++)
                    sum += row[j] = expf (row[j] - mx);
                  for (int j = 0; j < keys; j++)
                    row[j] = (float) (row[j] / sum);
                  for (int j = keys; j < nk; j++)
                    row[j] = 0.0f;
                }
              /* dV += P^T dO */
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, nk, head_dim, m, 1.0f, P, nk,
                           doh + (size_t) r0 * ld_out, ld_out, 1.0f, dvh, ld);
              /* dP = dO V^T, then dS in place */
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, nk, head_dim, 1.0f,
                           doh + (size_t) r0 * ld_out, ld_out, vh, ld, 0.0f, dP, nk);
              for (int i = 0; i < m; i++)
                {
                  float *pr = P + (size_t) i * nk, *dr = dP + (size_t) i * nk;
                  double dot = 0.0;
                  for (int j = 0; j < nk; j++)
                    dot += (double) pr[j] * dr[j];
                  for (int j = 0; j < nk; j++)
                    dr[j] = (float) (pr[j] * (dr[j] - dot));
                }
              /* dQ = scale dS K;  dK += scale dS^T Q */
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, head_dim, nk, scale, dP, nk,
                           kh, ld, 0.0f, dqh + (size_t) r0 * ld, ld);
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, nk, head_dim, m, scale, dP, nk,
                           qh + (size_t) r0 * ld, ld, 1.0f, dkh, ld);
            }
        }
    }
  return ASSAY_BACKEND_OK;
}

/* Per row: loss = w (logsumexp(z) - z[t]) and z becomes dloss/dz = w (softmax(z) - onehot(t)); a
 * row of weight 0 (or target < 0) adds nothing and gets zeros. */
int
assay_cpu_xent_rows (AssayBackend *self, float *logits, int rows, int cols, int ld, const int *targets,
                     const float *row_weight, double *loss)
{
#pragma omp parallel for schedule(static) if ((long) rows * cols > 65536)
  for (int r = 0; r < rows; r++)
    {
      float *z = logits + (size_t) r * ld;
      double w = row_weight != NULL ? row_weight[r] : 1.0, sum = 0.0, lse;
      float  mx = z[0];
      int    t = targets[r];

      if (w == 0.0 || t < 0)
        {
          memset (z, 0, (size_t) cols * sizeof (float));
          loss[r] = 0.0;
          continue;
        }
      for (int j = 1; j < cols; j++)
        mx = z[j] > mx ? z[j] : mx;
      for (int j = 0; j < cols; j++)
        sum += exp ((double) z[j] - mx);
      lse = mx + log (sum);
      loss[r] = w * (lse - z[t]);
      for (int j = 0; j < cols; j++)
        z[j] = (float) (w * exp ((double) z[j] - lse));
      z[t] -= (float) w;
    }
  return ASSAY_BACKEND_OK;
}
