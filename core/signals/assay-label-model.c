/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-label-model.c: Dawid-Skene EM over labelling functions with abstain (see the header). */
#include "config.h"

#include "assay-label-model.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

void
assay_label_model_options_init (AssayLabelModelOptions *options)
{
  options->smoothing = 1.0;
  options->tol = 1e-9;
  options->max_iter = 1000;
  options->dependence = 0.02;
}

static inline double *
theta_row (const AssayLabelModel *model, guint j, int y)
{
  return model->theta + 2 * model->offset[j] + (guint) y * (model->n_cat[j] + 1);
}

double
assay_label_model_theta (const AssayLabelModel *model, guint j, int y, int k)
{
  return theta_row (model, j, y)[k + 1];
}

double
assay_label_model_category_good (const AssayLabelModel *model, guint j, int k)
{
  double g = model->prior * assay_label_model_theta (model, j, 1, k);
  double b = (1.0 - model->prior) * assay_label_model_theta (model, j, 0, k);

  return g + b > 0 ? g / (g + b) : 0.5;
}

void
assay_label_model_free (AssayLabelModel *model)
{
  if (model == NULL)
    return;
  g_free (model->p_good);
  g_free (model->n_cat);
  g_free (model->offset);
  g_free (model->theta);
  g_free (model->accuracy);
  g_free (model->coverage);
  if (model->dependent != NULL)
    g_array_unref (model->dependent);
  g_free (model);
}

/* ---- EM over factors: a factor is one function, or a pair of dependent functions taken
 * jointly (its categories the pairs of their answers) ---- */

typedef struct
{
  guint    n, F;
  gint16  *votes;   /* n x F: -1 abstain (every member abstains), else a category */
  guint   *n_cat;   /* F */
  guint   *offset;  /* F + 1: sum of (n_cat + 1) before */
  int     *member;  /* F x 2: the functions of the factor (second -1 for one) */
} Factors;

typedef struct
{
  double   prior;
  double  *theta;   /* [2 * offset[f] + y * (n_cat[f] + 1) + k + 1] */
  double  *q;
  double   loglik;
  guint    iterations;
  gboolean converged;
} Fit;

static void
factors_clear (Factors *f)
{
  g_free (f->votes);
  g_free (f->n_cat);
  g_free (f->offset);
  g_free (f->member);
}

static void
fit_clear (Fit *fit)
{
  g_free (fit->theta);
  g_free (fit->q);
}

static void
factors_update_offsets (Factors *f)
{
  f->offset = g_renew (guint, f->offset, f->F + 1);
  f->offset[0] = 0;
  for (guint g = 0; g < f->F; g++)
    f->offset[g + 1] = f->offset[g] + f->n_cat[g] + 1;
}

static void
factors_init (Factors *f, const AssayLabelVotes *v)
{
  f->n = v->n;
  f->F = v->m;
  f->votes = g_new (gint16, (gsize) v->n * v->m);
  for (gsize t = 0; t < (gsize) v->n * v->m; t++)
    f->votes[t] = v->votes[t];
  f->n_cat = g_memdup2 (v->n_cat, sizeof (guint) * v->m);
  f->offset = NULL;
  f->member = g_new (int, 2 * v->m);
  for (guint j = 0; j < v->m; j++)
    {
      f->member[2 * j] = (int) j;
      f->member[2 * j + 1] = -1;
    }
  factors_update_offsets (f);
}

/* Factors a and b (a < b) become one, in a's place */
static void
factors_merge (Factors *f, guint a, guint b)
{
  guint   ca = f->n_cat[a], cb = f->n_cat[b], F = f->F - 1;
  gint16 *votes = g_new (gint16, (gsize) f->n * F);

  for (guint i = 0; i < f->n; i++)
    {
      int va = f->votes[(gsize) i * f->F + a], vb = f->votes[(gsize) i * f->F + b];
      for (guint g = 0, h = 0; g < f->F; g++)
        {
          if (g == b)
            continue;
          votes[(gsize) i * F + h++] = g == a ? (gint16) ((va + 1) * (int) (cb + 1) + vb + 1 - 1)
                                              : f->votes[(gsize) i * f->F + g];
        }
    }
  g_free (f->votes);
  f->votes = votes;
  f->n_cat[a] = (ca + 1) * (cb + 1) - 1;
  f->member[2 * a + 1] = f->member[2 * b];
  memmove (f->n_cat + b, f->n_cat + b + 1, sizeof (guint) * (F - b));
  memmove (f->member + 2 * b, f->member + 2 * b + 2, sizeof (int) * 2 * (F - b));
  f->F = F;
  factors_update_offsets (f);
}

static inline double *
fit_row (const Factors *f, const Fit *fit, guint g, int y)
{
  return fit->theta + 2 * f->offset[g] + (guint) y * (f->n_cat[g] + 1);
}

static void
m_step (const Factors *f, Fit *fit, double s, const gint8 *known, gboolean known_only)
{
  double sum_good = 0, total = 0;

  memset (fit->theta, 0, sizeof (double) * 2 * f->offset[f->F]);
  for (guint i = 0; i < f->n; i++)
    {
      double q = fit->q[i];
      if (known_only && (known == NULL || known[i] < 0))
        continue;
      sum_good += q;
      total += 1;
      for (guint g = 0; g < f->F; g++)
        {
          int k = f->votes[(gsize) i * f->F + g];
          fit_row (f, fit, g, 1)[k + 1] += q;
          fit_row (f, fit, g, 0)[k + 1] += 1.0 - q;
        }
    }
  for (guint g = 0; g < f->F; g++)
    for (int y = 0; y < 2; y++)
      {
        double *row = fit_row (f, fit, g, y), sum = y == 1 ? sum_good : total - sum_good;
        for (guint k = 0; k <= f->n_cat[g]; k++)
          row[k] = (row[k] + s) / (sum + s * (f->n_cat[g] + 1));
      }
  fit->prior = (sum_good + s) / (total + 2 * s);
}

/* Returns the largest change of a q; sets the log-likelihood of the votes (and known labels) */
static double
e_step (const Factors *f, Fit *fit, const gint8 *known, double *log_theta)
{
  double change = 0, lp1 = log (fit->prior), lp0 = log1p (-fit->prior), ll = 0;

  for (guint t = 0; t < 2 * f->offset[f->F]; t++)
    log_theta[t] = log (fit->theta[t]);
  for (guint i = 0; i < f->n; i++)
    {
      double l1 = lp1, l0 = lp0, q, top;
      for (guint g = 0; g < f->F; g++)
        {
          int   k = f->votes[(gsize) i * f->F + g];
          guint base = 2 * f->offset[g];
          l1 += log_theta[base + (f->n_cat[g] + 1) + (guint) (k + 1)];
          l0 += log_theta[base + (guint) (k + 1)];
        }
      if (known != NULL && known[i] >= 0)
        {
          ll += known[i] == 1 ? l1 : l0;
          continue;
        }
      top = MAX (l0, l1);
      ll += top + log (exp (l0 - top) + exp (l1 - top));
      q = 1.0 / (1.0 + exp (l0 - l1));
      change = MAX (change, fabs (q - fit->q[i]));
      fit->q[i] = q;
    }
  fit->loglik = ll;
  return change;
}

/* The start of EM: the known labels, else the majority of the leaning votes (one pass; the
 * same for every fit of these votes) */
static double *
majority_start (const AssayLabelVotes *v)
{
  double *q = g_new (double, MAX (v->n, 1));
  g_autofree guint *lean_at = g_new0 (guint, v->m + 1);

  for (guint j = 0; j < v->m; j++)
    lean_at[j + 1] = lean_at[j] + v->n_cat[j];
  for (guint i = 0; i < v->n; i++)
    {
      int good = 0, bad = 0;
      if (v->known != NULL && v->known[i] >= 0)
        {
          q[i] = v->known[i];
          continue;
        }
      for (guint j = 0; j < v->m && v->lean != NULL; j++)
        {
          int k = v->votes[(gsize) i * v->m + j];
          if (k >= 0)
            {
              good += v->lean[lean_at[j] + (guint) k] > 0;
              bad += v->lean[lean_at[j] + (guint) k] < 0;
            }
        }
      q[i] = (good + 1.0) / (good + bad + 2.0);
    }
  return q;
}

/* EM from a start: the majority of the leaning votes, or (labelled) the model of the known
 * records alone */
static void
em (const Factors *f, const AssayLabelVotes *v, const double *start, const AssayLabelModelOptions *o,
    gboolean labelled, Fit *fit)
{
  g_autofree double *log_theta = g_new (double, 2 * f->offset[f->F]);

  fit->theta = g_new0 (double, 2 * f->offset[f->F]);
  fit->q = g_memdup2 (start, sizeof (double) * MAX (f->n, 1));
  if (labelled)
    {
      m_step (f, fit, o->smoothing, v->known, TRUE);
      e_step (f, fit, v->known, log_theta);
    }
  fit->converged = FALSE;
  for (fit->iterations = 0; fit->iterations < o->max_iter; fit->iterations++)
    {
      m_step (f, fit, o->smoothing, v->known, FALSE);
      if (e_step (f, fit, v->known, log_theta) < o->tol)
        {
          fit->converged = TRUE;
          fit->iterations++;
          break;
        }
    }
  m_step (f, fit, o->smoothing, v->known, FALSE);
  e_step (f, fit, v->known, log_theta); /* the likelihood at the final parameters; q moves < tol */
}

/* The better of the starts: with known labels of both classes, EM also starts from them, and the
 * fit with the higher likelihood stays */
static void
em_best (const Factors *f, const AssayLabelVotes *v, const double *start, const AssayLabelModelOptions *o, Fit *fit)
{
  guint known[2] = { 0, 0 };

  em (f, v, start, o, FALSE, fit);
  for (guint i = 0; v->known != NULL && i < v->n; i++)
    if (v->known[i] >= 0)
      known[v->known[i]]++;
  if (known[0] > 0 && known[1] > 0)
    {
      Fit other = { 0 };
      em (f, v, start, o, TRUE, &other);
      if (other.loglik > fit->loglik + 1e-9)
        {
          fit_clear (fit);
          *fit = other;
        }
      else
        fit_clear (&other);
    }
}

/* G statistic per record of the joint answers of two one-function factors against the model's
 * (independent given the class): 2/n sum O ln(O / E) */
static double
dependence (const Factors *f, const Fit *fit, guint a, guint b)
{
  guint  ca = f->n_cat[a] + 1, cb = f->n_cat[b] + 1;
  g_autofree double *obs = g_new0 (double, ca * cb);
  double g = 0;

  for (guint i = 0; i < f->n; i++)
    obs[(guint) (f->votes[(gsize) i * f->F + a] + 1) * cb + (guint) (f->votes[(gsize) i * f->F + b] + 1)] += 1;
  for (guint x = 0; x < ca; x++)
    for (guint z = 0; z < cb; z++)
      {
        double e = f->n * (fit->prior * fit_row (f, fit, a, 1)[x] * fit_row (f, fit, b, 1)[z]
                           + (1 - fit->prior) * fit_row (f, fit, a, 0)[x] * fit_row (f, fit, b, 0)[z]);
        double o = obs[x * cb + z];
        if (o > 0)
          g += 2 * o * log (o / e);
      }
  return g / f->n;
}

AssayLabelModel *
assay_label_model_fit (const AssayLabelVotes        *v,
                       const AssayLabelModelOptions *options,
                       GError                      **error)
{
  AssayLabelModelOptions defaults;
  g_autoptr (AssayLabelModel) model = NULL;
  Factors f;
  Fit     fit = { 0 };
  g_autofree double *start = NULL;
  guint   cats = 0, n_known = 0;

  if (options == NULL)
    {
      assay_label_model_options_init (&defaults);
      options = &defaults;
    }
  if (v->n == 0 || v->m == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   v->n == 0 ? _("the label model has no records to fit") : _("the label model has no signals to fit"));
      return NULL;
    }
  for (guint j = 0; j < v->m; j++)
    {
      if (v->n_cat[j] < 2 || v->n_cat[j] > 127)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("signal %u has %u categories (2 to 127 are possible)"), j + 1, v->n_cat[j]);
          return NULL;
        }
      cats += v->n_cat[j] + 1;
    }
  for (gsize t = 0; t < (gsize) v->n * v->m; t++)
    if (v->votes[t] < -1 || v->votes[t] >= (int) v->n_cat[t % v->m])
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("record %u: signal %u votes %d, outside its categories"), (guint) (t / v->m) + 1,
                     (guint) (t % v->m) + 1, v->votes[t]);
        return NULL;
      }
  for (guint i = 0; v->known != NULL && i < v->n; i++)
    n_known += v->known[i] >= 0;

  factors_init (&f, v);
  start = majority_start (v);
  em_best (&f, v, start, options, &fit);
  /* dependent pairs, strongest first, become joint factors while enough stay for the model to
   * be identified (three factors, or labels) */
  model = g_new0 (AssayLabelModel, 1);
  model->dependent = g_array_new (FALSE, FALSE, sizeof (guint));
  while (options->dependence > 0 && (f.F > 3 || n_known >= 20))
    {
      double best = options->dependence;
      int    ba = -1, bb = -1;
      for (guint a = 0; a < f.F; a++)
        for (guint b = a + 1; b < f.F; b++)
          if (f.member[2 * a + 1] < 0 && f.member[2 * b + 1] < 0
              && (f.n_cat[a] + 1) * (f.n_cat[b] + 1) - 1 <= 127)
            {
              double d = dependence (&f, &fit, a, b);
              if (d > best)
                {
                  best = d;
                  ba = (int) a;
                  bb = (int) b;
                }
            }
      if (ba < 0)
        break;
      g_array_append_val (model->dependent, f.member[2 * ba]);
      g_array_append_val (model->dependent, f.member[2 * bb]);
      factors_merge (&f, (guint) ba, (guint) bb);
      fit_clear (&fit);
      em_best (&f, v, start, options, &fit);
    }

  /* per function: its factor's categories summed over the other member */
  model->n = v->n;
  model->m = v->m;
  model->prior = fit.prior;
  model->p_good = g_steal_pointer (&fit.q);
  model->iterations = fit.iterations;
  model->converged = fit.converged;
  model->loglik = fit.loglik;
  model->n_cat = g_memdup2 (v->n_cat, sizeof (guint) * v->m);
  model->offset = g_new0 (guint, v->m + 1);
  for (guint j = 0; j < v->m; j++)
    model->offset[j + 1] = model->offset[j] + v->n_cat[j] + 1;
  model->theta = g_new0 (double, 2 * cats);
  model->accuracy = g_new (double, v->m);
  model->coverage = g_new0 (double, v->m);
  for (guint g = 0; g < f.F; g++)
    for (int y = 0; y < 2; y++)
      {
        const double *row = fit_row (&f, &fit, g, y);
        int a = f.member[2 * g], b = f.member[2 * g + 1];
        if (b < 0)
          memcpy (theta_row (model, (guint) a, y), row, sizeof (double) * (v->n_cat[a] + 1));
        else
          for (guint x = 0; x <= v->n_cat[a]; x++)
            for (guint z = 0; z <= v->n_cat[b]; z++)
              {
                double p = row[x * (v->n_cat[b] + 1) + z];
                theta_row (model, (guint) a, y)[x] += p;
                theta_row (model, (guint) b, y)[z] += p;
              }
      }
  fit_clear (&fit);
  factors_clear (&f);

  for (guint j = 0; j < v->m; j++)
    {
      double right = 0, voted = 0;
      guint  n_voted = 0;
      for (guint i = 0; i < v->n; i++)
        n_voted += v->votes[(gsize) i * v->m + j] >= 0;
      model->coverage[j] = (double) n_voted / v->n;
      for (guint k = 0; k < v->n_cat[j]; k++)
        {
          double g = model->prior * assay_label_model_theta (model, j, 1, (int) k);
          double b = (1.0 - model->prior) * assay_label_model_theta (model, j, 0, (int) k);
          right += MAX (g, b);
          voted += g + b;
        }
      model->accuracy[j] = n_voted > 0 ? right / voted : NAN;
    }
  return g_steal_pointer (&model);
}

typedef struct
{
  double score;
  gint8  truth;
} Scored;

static int
by_score (const void *a, const void *b)
{
  double x = ((const Scored *) a)->score, y = ((const Scored *) b)->score;
  return (x > y) - (x < y);
}

double
assay_auroc (const double *score, const gint8 *truth, guint n)
{
  g_autofree Scored *s = g_new (Scored, MAX (n, 1));
  guint  k = 0, pos = 0, neg = 0;
  double rank_sum = 0;

  for (guint i = 0; i < n; i++)
    if (!isnan (score[i]) && truth[i] >= 0)
      {
        s[k].score = score[i];
        s[k].truth = truth[i];
        pos += truth[i] == 1;
        neg += truth[i] == 0;
        k++;
      }
  if (pos == 0 || neg == 0)
    return NAN;
  qsort (s, k, sizeof (Scored), by_score);
  /* Mann-Whitney: mean rank of the positives, ties at their mean rank */
  for (guint a = 0; a < k;)
    {
      guint  b = a;
      double mid;
      while (b < k && s[b].score == s[a].score)
        b++;
      mid = (a + 1 + b) / 2.0; /* ranks a+1 .. b */
      for (guint t = a; t < b; t++)
        if (s[t].truth == 1)
          rank_sum += mid;
      a = b;
    }
  return (rank_sum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
}
