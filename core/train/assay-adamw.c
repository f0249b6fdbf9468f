/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-adamw.c: see assay-adamw.h. */
#include "assay-adamw.h"

#include <math.h>
#include <string.h>

typedef struct
{
  float   *param, *grad;
  float   *m, *v;
  double  *param64, *grad64; /* a float64 tensor instead (its moments in m64, v64) */
  double  *m64, *v64;
  gsize    n;
  gboolean decay;
} Group;

struct _AssayAdamW
{
  AssayAdamWOptions o;
  GArray           *groups;
  guint             t;
};

void
assay_adamw_options_init (AssayAdamWOptions *o)
{
  o->beta1 = 0.9;
  o->beta2 = 0.999;
  o->eps = 1e-8;
  o->weight_decay = 0.01;
}

AssayAdamW *
assay_adamw_new (const AssayAdamWOptions *options)
{
  AssayAdamW *self = g_new0 (AssayAdamW, 1);

  self->o = *options;
  self->groups = g_array_new (FALSE, FALSE, sizeof (Group));
  return self;
}

void
assay_adamw_free (AssayAdamW *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->groups->len; i++)
    {
      Group *g = &g_array_index (self->groups, Group, i);
      g_free (g->m);
      g_free (g->v);
      g_free (g->m64);
      g_free (g->v64);
    }
  g_array_unref (self->groups);
  g_free (self);
}

void
assay_adamw_add (AssayAdamW *self, float *param, float *grad, gsize n, gboolean decay)
{
  Group g = { param, grad, g_new0 (float, n), g_new0 (float, n), NULL, NULL, NULL, NULL, n, decay };

  g_array_append_val (self->groups, g);
}

void
assay_adamw_add_f64 (AssayAdamW *self, double *param, double *grad, gsize n, gboolean decay)
{
  Group g = { NULL, NULL, NULL, NULL, param, grad, g_new0 (double, n), g_new0 (double, n), n, decay };

  g_array_append_val (self->groups, g);
}

double
assay_adamw_grad_norm (AssayAdamW *self)
{
  double ss = 0.0;

  for (guint i = 0; i < self->groups->len; i++)
    {
      const Group *g = &g_array_index (self->groups, Group, i);
      double       s = 0.0;
#pragma omp parallel for reduction(+ : s) schedule(static) if (g->n > 65536)
      for (gsize j = 0; j < g->n; j++)
        s += g->grad64 != NULL ? g->grad64[j] * g->grad64[j] : (double) g->grad[j] * g->grad[j];
      ss += s;
    }
  return sqrt (ss);
}

double
assay_adamw_clip (AssayAdamW *self, double max_norm)
{
  double norm = assay_adamw_grad_norm (self);
  float  k;

  if (!(norm > max_norm))
    return norm;
  k = (float) (max_norm / (norm + 1e-6));
  for (guint i = 0; i < self->groups->len; i++)
    {
      const Group *g = &g_array_index (self->groups, Group, i);
#pragma omp parallel for schedule(static) if (g->n > 65536)
      for (gsize j = 0; j < g->n; j++)
        if (g->grad64 != NULL)
          g->grad64[j] *= max_norm / (norm + 1e-6);
        else
          g->grad[j] *= k;
    }
  return norm;
}

void
assay_adamw_step (AssayAdamW *self, double lr)
{
  double b1 = self->o.beta1, b2 = self->o.beta2, eps = self->o.eps;
  double c1, c2;

  self->t++;
  c1 = 1.0 - pow (b1, self->t);
  c2 = sqrt (1.0 - pow (b2, self->t));
  for (guint i = 0; i < self->groups->len; i++)
    {
      const Group *g = &g_array_index (self->groups, Group, i);
      double       decay = g->decay ? 1.0 - lr * self->o.weight_decay : 1.0;
      if (g->param64 != NULL)
        {
          for (gsize j = 0; j < g->n; j++)
            {
              double gr = g->grad64[j];
              g->m64[j] = b1 * g->m64[j] + (1.0 - b1) * gr;
              g->v64[j] = b2 * g->v64[j] + (1.0 - b2) * gr * gr;
              g->param64[j] = g->param64[j] * decay - lr / c1 * g->m64[j] / (sqrt (g->v64[j]) / c2 + eps);
              g->grad64[j] = 0.0;
            }
          continue;
        }
#pragma omp parallel for schedule(static) if (g->n > 65536)
      for (gsize j = 0; j < g->n; j++)
        {
          double gr = g->grad[j];
          double m = b1 * g->m[j] + (1.0 - b1) * gr;
          double v = b2 * g->v[j] + (1.0 - b2) * gr * gr;
          g->m[j] = (float) m;
          g->v[j] = (float) v;
          g->param[j] = (float) (g->param[j] * decay - lr / c1 * m / (sqrt (v) / c2 + eps));
          g->grad[j] = 0.0f;
        }
    }
}

guint
assay_adamw_steps (AssayAdamW *self)
{
  return self->t;
}

void
assay_adamw_moments (AssayAdamW *self, guint i, float **m, float **v, gsize *n)
{
  const Group *g = &g_array_index (self->groups, Group, i);

  *m = g->m;
  *v = g->v;
  *n = g->n;
}

void
assay_adamw_set_steps (AssayAdamW *self, guint t)
{
  self->t = t;
}

double
assay_lr_warmup_cosine (guint step, guint warmup, guint total, double lr, double floor)
{
  double progress;

  if (step < warmup)
    return lr * step / MAX (1, warmup);
  progress = (double) (step - warmup) / MAX (1, (gint64) total - warmup);
  progress = MIN (progress, 1.0);
  return lr * (floor + (1.0 - floor) * 0.5 * (1.0 + cos (G_PI * progress)));
}
