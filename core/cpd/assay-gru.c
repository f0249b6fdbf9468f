/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gru.c: see assay-gru.h. The input side of every step is one product over all steps; the
 * hidden side one product per step; in backward the weight gradients are one product each over
 * all steps. */
#include "assay-gru.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static double
sigmoid (double v)
{
  return v >= 0 ? 1.0 / (1.0 + exp (-v)) : exp (v) / (1.0 + exp (v));
}

void
assay_gru_forward (const AssayGru *g, const double *x, int T, int S, const double *h0, double *h, double *gates)
{
  int               H = g->hidden, In = g->in, G = 3 * H;
  g_autofree double *gi = g_new (double, (gsize) T * S * G), *gh = g_new (double, (gsize) S * G);

  if (h0 != NULL)
    memcpy (h, h0, (gsize) S * H * sizeof (double));
  else
    memset (h, 0, (gsize) S * H * sizeof (double));
  if (T == 0)
    return;
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T * S, G, In, 1.0, x, In, g->w_ih, In, 0.0, gi, G);
  for (int t = 0; t < T; t++)
    {
      const double *hp = h + (gsize) t * S * H;
      double       *hn = h + (gsize) (t + 1) * S * H;

      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, S, G, H, 1.0, hp, H, g->w_hh, H, 0.0, gh, G);
      for (int s = 0; s < S; s++)
        {
          const double *a = gi + ((gsize) t * S + s) * G, *b = gh + (gsize) s * G, *hps = hp + (gsize) s * H;
          double       *hns = hn + (gsize) s * H;
          double       *gt = gates != NULL ? gates + ((gsize) t * S + s) * 4 * H : NULL;

          for (int j = 0; j < H; j++)
            {
              double r = sigmoid (a[j] + g->b_ih[j] + b[j] + g->b_hh[j]);
              double z = sigmoid (a[H + j] + g->b_ih[H + j] + b[H + j] + g->b_hh[H + j]);
              double hn_lin = b[2 * H + j] + g->b_hh[2 * H + j];
              double n = tanh (a[2 * H + j] + g->b_ih[2 * H + j] + r * hn_lin);

              hns[j] = (1.0 - z) * n + z * hps[j];
              if (gt != NULL)
                {
                  gt[j] = r;
                  gt[H + j] = z;
                  gt[2 * H + j] = n;
                  gt[3 * H + j] = hn_lin;
                }
            }
        }
    }
}

void
assay_gru_backward (const AssayGru *g, const double *x, int T, int S, const double *h, const double *gates,
                    double *dh, AssayGruGrad *grad, double *dx, double *dh0)
{
  int               H = g->hidden, In = g->in, G = 3 * H;
  g_autofree double *dgi = g_new (double, (gsize) T * S * G), *dgh = g_new (double, (gsize) T * S * G);

  for (int t = T - 1; t >= 0; t--)
    {
      const double *hp = h + (gsize) t * S * H;
      double       *dhn = dh + (gsize) (t + 1) * S * H, *dhp = dh + (gsize) t * S * H;
      double       *dgi_t = dgi + (gsize) t * S * G, *dgh_t = dgh + (gsize) t * S * G;

      for (int s = 0; s < S; s++)
        {
          const double *gt = gates + ((gsize) t * S + s) * 4 * H, *hps = hp + (gsize) s * H;
          const double *d_s = dhn + (gsize) s * H;
          double       *dhp_s = dhp + (gsize) s * H, *a = dgi_t + (gsize) s * G, *b = dgh_t + (gsize) s * G;

          for (int j = 0; j < H; j++)
            {
              double r = gt[j], z = gt[H + j], n = gt[2 * H + j], hn_lin = gt[3 * H + j];
              double d = d_s[j];
              double dn_pre = d * (1.0 - z) * (1.0 - n * n);
              double dz_pre = d * (hps[j] - n) * z * (1.0 - z);
              double dr_pre = dn_pre * hn_lin * r * (1.0 - r);

              dhp_s[j] += d * z;
              a[j] = dr_pre;
              a[H + j] = dz_pre;
              a[2 * H + j] = dn_pre;
              b[j] = dr_pre;
              b[H + j] = dz_pre;
              b[2 * H + j] = dn_pre * r;
            }
        }
      /* through W_hh into the previous states */
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, S, H, G, 1.0, dgh_t, G, g->w_hh, H, 1.0, dhp, H);
    }
  if (T > 0)
    {
      cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, G, In, T * S, 1.0, dgi, G, x, In, 1.0, grad->w_ih, In);
      cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, G, H, T * S, 1.0, dgh, G, h, H, 1.0, grad->w_hh, H);
      for (gsize r = 0; r < (gsize) T * S; r++)
        for (int k = 0; k < G; k++)
          {
            grad->b_ih[k] += dgi[r * G + k];
            grad->b_hh[k] += dgh[r * G + k];
          }
      if (dx != NULL)
        cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, T * S, In, G, 1.0, dgi, G, g->w_ih, In, 0.0, dx, In);
    }
  if (dh0 != NULL)
    memcpy (dh0, dh, (gsize) S * H * sizeof (double));
}
