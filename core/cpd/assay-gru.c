/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gru.c: see assay-gru.h. */
#include "assay-gru.h"

#include <math.h>
#include <string.h>

static double
sigmoid (double v)
{
  return v >= 0 ? 1.0 / (1.0 + exp (-v)) : exp (v) / (1.0 + exp (v));
}

void
assay_gru_forward (const AssayGru *g, const double *x, int T, const double *h0, double *h, double *gates)
{
  int               H = g->hidden, I = g->in;
  g_autofree double *gi = g_new (double, 3 * H), *gh = g_new (double, 3 * H);

  for (int j = 0; j < H; j++)
    h[j] = h0 != NULL ? h0[j] : 0.0;
  for (int t = 0; t < T; t++)
    {
      const double *xt = x + (gsize) t * I, *hp = h + (gsize) t * H;
      double       *hn = h + (gsize) (t + 1) * H;

      for (int k = 0; k < 3 * H; k++)
        {
          double si = g->b_ih[k], sh = g->b_hh[k];
          for (int i = 0; i < I; i++)
            si += g->w_ih[(gsize) k * I + i] * xt[i];
          for (int i = 0; i < H; i++)
            sh += g->w_hh[(gsize) k * H + i] * hp[i];
          gi[k] = si;
          gh[k] = sh;
        }
      for (int j = 0; j < H; j++)
        {
          double r = sigmoid (gi[j] + gh[j]);
          double z = sigmoid (gi[H + j] + gh[H + j]);
          double n = tanh (gi[2 * H + j] + r * gh[2 * H + j]);
          hn[j] = (1.0 - z) * n + z * hp[j];
          if (gates != NULL)
            {
              double *gt = gates + (gsize) t * 4 * H;
              gt[j] = r;
              gt[H + j] = z;
              gt[2 * H + j] = n;
              gt[3 * H + j] = gh[2 * H + j];
            }
        }
    }
}

void
assay_gru_backward (const AssayGru *g, const double *x, int T, const double *h, const double *gates, double *dh,
                    AssayGruGrad *grad, double *dx, double *dh0)
{
  int               H = g->hidden, I = g->in;
  g_autofree double *dgi = g_new (double, 3 * H), *dgh = g_new (double, 3 * H);

  for (int t = T - 1; t >= 0; t--)
    {
      const double *xt = x + (gsize) t * I, *hp = h + (gsize) t * H, *gt = gates + (gsize) t * 4 * H;
      double       *dhn = dh + (gsize) (t + 1) * H, *dhp = dh + (gsize) t * H;

      for (int j = 0; j < H; j++)
        {
          double r = gt[j], z = gt[H + j], n = gt[2 * H + j], hn_lin = gt[3 * H + j];
          double d = dhn[j];
          double dn = d * (1.0 - z), dz = d * (hp[j] - n);
          double dn_pre = dn * (1.0 - n * n);       /* through tanh */
          double dr = dn_pre * hn_lin;
          double dr_pre = dr * r * (1.0 - r), dz_pre = dz * z * (1.0 - z);

          dhp[j] += d * z;
          /* input side: r, z, n pre-activations; hidden side: the same for r and z, r * for n */
          dgi[j] = dr_pre;
          dgi[H + j] = dz_pre;
          dgi[2 * H + j] = dn_pre;
          dgh[j] = dr_pre;
          dgh[H + j] = dz_pre;
          dgh[2 * H + j] = dn_pre * r;
        }
      for (int k = 0; k < 3 * H; k++)
        {
          grad->b_ih[k] += dgi[k];
          grad->b_hh[k] += dgh[k];
          for (int i = 0; i < I; i++)
            grad->w_ih[(gsize) k * I + i] += dgi[k] * xt[i];
          for (int i = 0; i < H; i++)
            {
              grad->w_hh[(gsize) k * H + i] += dgh[k] * hp[i];
              dhp[i] += dgh[k] * g->w_hh[(gsize) k * H + i];
            }
        }
      if (dx != NULL)
        for (int i = 0; i < I; i++)
          {
            double s = 0.0;
            for (int k = 0; k < 3 * H; k++)
              s += dgi[k] * g->w_ih[(gsize) k * I + i];
            dx[(gsize) t * I + i] = s;
          }
    }
  if (dh0 != NULL)
    memcpy (dh0, dh, (gsize) H * sizeof (double));
}
