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
  options->matrix_completion = FALSE;
  options->class_balance = NAN;
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
  guint    n, F;     /* n rows: the distinct (votes, known label) of the records */
  double   records; /* the records they stand for */
  gint16  *votes;   /* n x F: -1 abstain (every member abstains), else a category */
  guint   *n_cat;   /* F */
  guint   *offset;  /* F + 1: sum of (n_cat + 1) before */
  int     *member;  /* F x 2: the functions of the factor (second -1 for one) */
  const double *weight; /* n: how many records each row stands for */
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
factors_init (Factors *f, const AssayLabelVotes *v, const double *weight, double records)
{
  f->weight = weight;
  f->records = records;
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
      double w = f->weight[i], q = fit->q[i];
      if (known_only && (known == NULL || known[i] < 0))
        continue;
      sum_good += w * q;
      total += w;
      for (guint g = 0; g < f->F; g++)
        {
          int k = f->votes[(gsize) i * f->F + g];
          fit_row (f, fit, g, 1)[k + 1] += w * q;
          fit_row (f, fit, g, 0)[k + 1] += w * (1.0 - q);
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
          ll += f->weight[i] * (known[i] == 1 ? l1 : l0);
          continue;
        }
      top = MAX (l0, l1);
      ll += f->weight[i] * (top + log (exp (l0 - top) + exp (l1 - top)));
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
    obs[(guint) (f->votes[(gsize) i * f->F + a] + 1) * cb + (guint) (f->votes[(gsize) i * f->F + b] + 1)] += f->weight[i];
  for (guint x = 0; x < ca; x++)
    for (guint z = 0; z < cb; z++)
      {
        double e = f->records * (fit->prior * fit_row (f, fit, a, 1)[x] * fit_row (f, fit, b, 1)[z]
                           + (1 - fit->prior) * fit_row (f, fit, a, 0)[x] * fit_row (f, fit, b, 0)[z]);
        double o = obs[x * cb + z];
        if (o > 0)
          g += 2 * o * log (o / e);
      }
  return g / f->records;
}

/* Checks the votes; cats: the sum of (n_cat + 1), n_known: the known labels. */
static gboolean
votes_check (const AssayLabelVotes *v, guint *cats, guint *n_known, GError **error)
{
  *cats = *n_known = 0;
  if (v->n == 0 || v->m == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   v->n == 0 ? _("the label model has no records to fit") : _("the label model has no signals to fit"));
      return FALSE;
    }
  for (guint j = 0; j < v->m; j++)
    {
      if (v->n_cat[j] < 2 || v->n_cat[j] > 127)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("signal %u has %u categories (2 to 127 are possible)"), j + 1, v->n_cat[j]);
          return FALSE;
        }
      *cats += v->n_cat[j] + 1;
    }
  for (gsize t = 0; t < (gsize) v->n * v->m; t++)
    if (v->votes[t] < -1 || v->votes[t] >= (int) v->n_cat[t % v->m])
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("record %u: signal %u votes %d, outside its categories"), (guint) (t / v->m) + 1,
                     (guint) (t % v->m) + 1, v->votes[t]);
        return FALSE;
      }
  for (guint i = 0; v->known != NULL && i < v->n; i++)
    *n_known += v->known[i] >= 0;
  return TRUE;
}

/* Each function's coverage and its decision rule's accuracy, from theta and the prior */
static void
finish (AssayLabelModel *model, const AssayLabelVotes *v)
{
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
}

/* ---- Snorkel's matrix-completion model ---- */

/* The model's arrays for v (theta zero) */
static AssayLabelModel *
model_new (const AssayLabelVotes *v, guint cats)
{
  AssayLabelModel *model = g_new0 (AssayLabelModel, 1);

  model->n = v->n;
  model->m = v->m;
  model->dependent = g_array_new (FALSE, FALSE, sizeof (guint));
  model->n_cat = g_memdup2 (v->n_cat, sizeof (guint) * v->m);
  model->offset = g_new0 (guint, v->m + 1);
  for (guint j = 0; j < v->m; j++)
    model->offset[j + 1] = model->offset[j] + v->n_cat[j] + 1;
  model->theta = g_new0 (double, 2 * cats);
  model->accuracy = g_new (double, v->m);
  model->coverage = g_new0 (double, v->m);
  model->p_good = g_new (double, v->n);
  return model;
}

typedef struct
{
  guint         d;     /* rows: the functions' categories, abstain left out */
  const guint  *fn;    /* d: the function of each row */
  const double *O;     /* d x d: the share of records with both answers */
  gboolean      fixed_p;
} Mc;

/* The loss at x = [mu (d x 2, row-major), p] and its gradient */
static double
mc_loss (const Mc *mc, const double *x, double *g)
{
  guint         d = mc->d;
  const double *mu = x;
  double        p[2] = { 1.0 - x[2 * d], x[2 * d] }, loss = 0.0, gp = 0.0;

  memset (g, 0, (2 * d + 1) * sizeof (double));
  for (guint r = 0; r < d; r++)
    {
      /* the row's answer share: sum_y p_y mu_ry against O_rr */
      double dr = p[0] * mu[2 * r] + p[1] * mu[2 * r + 1] - mc->O[(gsize) r * d + r];
      loss += dr * dr;
      g[2 * r] += 2 * dr * p[0];
      g[2 * r + 1] += 2 * dr * p[1];
      gp += 2 * dr * (mu[2 * r + 1] - mu[2 * r]);
      /* every pair of rows of different functions: O_rs against sum_y p_y mu_ry mu_sy */
      for (guint t = 0; t < d; t++)
        {
          double m, e;
          if (mc->fn[t] == mc->fn[r])
            continue;
          m = p[0] * mu[2 * r] * mu[2 * t] + p[1] * mu[2 * r + 1] * mu[2 * t + 1];
          e = mc->O[(gsize) r * d + t] - m;
          loss += e * e;
          /* (the pair (t, r) adds the same again) */
          g[2 * r] -= 4 * e * p[0] * mu[2 * t];
          g[2 * r + 1] -= 4 * e * p[1] * mu[2 * t + 1];
          gp -= 2 * e * (mu[2 * r + 1] * mu[2 * t + 1] - mu[2 * r] * mu[2 * t]);
        }
    }
  g[2 * d] = mc->fixed_p ? 0.0 : gp;
  return loss;
}

static void
mc_project (double *x, guint d, double eps)
{
  for (guint i = 0; i < 2 * d; i++)
    x[i] = CLAMP (x[i], eps, 1.0 - eps);
  x[2 * d] = CLAMP (x[2 * d], 0.01, 0.99);
}

/* Snorkel's label model (Ratner et al. 2019, "Training Complex Models with Multi-Task Weak
 * Supervision"; snorkel.labeling.model.LabelModel with conditionally independent functions):
 * O = the share of records giving each pair of (non-abstaining) answers; mu_ry = P(answer r | y);
 * minimise sum over rows r, s of different functions (O_rs - sum_y p_y mu_ry mu_sy)^2 +
 * sum_r (sum_y p_y mu_ry - O_rr)^2 over mu in [eps, 1 - eps], by projected gradient descent
 * with backtracking to convergence (Snorkel takes 100 SGD steps). The class balance p is given
 * as Snorkel takes it: options->class_balance, else the known labels' share when 20 or more are
 * known (Snorkel's Y_dev), else uniform (fitting it with mu was tried: the loss barely depends on
 * it, and 20 000 simulated records put it 0.06 off). The start is Snorkel's:
 * mu_ry = O_rr 0.7 / p_y for the class the answer leans to, eps otherwise (both O_rr when it
 * leans to neither). Of the two mirror-image solutions the one that fits the known labels
 * better is kept, else Snorkel's choice (the answers more often right where they lean).
 * P(y | answers) = p_y prod over answering functions of mu_{answer, y} (abstains left out). */
static AssayLabelModel *
fit_mc (const AssayLabelVotes *v, guint cats, double class_balance, guint n_known, GError **error)
{
  g_autoptr (AssayLabelModel) model = model_new (v, cats);
  guint             d = cats - v->m, it;
  g_autofree guint *fn = g_new (guint, d), *row0 = g_new (guint, v->m);
  g_autofree double *O = g_new0 (double, (gsize) d * d), *x = g_new (double, 2 * d + 1);
  g_autofree double *g = g_new (double, 2 * d + 1), *trial = g_new (double, 2 * d + 1), *g2 = g_new (double, 2 * d + 1);
  g_autofree int    *ans = g_new (int, v->m);
  double            eps = MIN (0.01, pow (10.0, -ceil (log10 ((double) v->n)))), loss, step = 1.0;
  Mc                mc = { d, fn, O, TRUE };
  gboolean          converged = FALSE;

  /* rows and the overlaps */
  for (guint j = 0, r = 0; j < v->m; j++)
    {
      row0[j] = r;
      for (guint k = 0; k < v->n_cat[j]; k++)
        fn[r++] = j;
    }
  for (guint i = 0; i < v->n; i++)
    {
      guint a = 0;
      for (guint j = 0; j < v->m; j++)
        if (v->votes[(gsize) i * v->m + j] >= 0)
          ans[a++] = (int) (row0[j] + (guint) v->votes[(gsize) i * v->m + j]);
      for (guint u = 0; u < a; u++)
        for (guint w = 0; w < a; w++)
          O[(gsize) ans[u] * d + ans[w]] += 1.0;
    }
  for (gsize t = 0; t < (gsize) d * d; t++)
    O[t] /= v->n;
  /* the start */
  {
    guint lean_at = 0;
    for (guint j = 0; j < v->m; j++)
      for (guint k = 0; k < v->n_cat[j]; k++, lean_at++)
        {
          guint  r = row0[j] + k;
          double o = O[(gsize) r * d + r];
          int    lean = v->lean != NULL ? v->lean[lean_at] : 0;
          x[2 * r] = lean < 0 ? o * 0.7 / 0.5 : lean > 0 ? eps : o;
          x[2 * r + 1] = lean > 0 ? o * 0.7 / 0.5 : lean < 0 ? eps : o;
        }
    if (class_balance > 0 && class_balance < 1)
      x[2 * d] = class_balance;
    else if (n_known >= 20)
      {
        guint good = 0;
        for (guint i = 0; i < v->n; i++)
          good += v->known[i] == 1;
        x[2 * d] = CLAMP ((double) good / n_known, 0.01, 0.99);
      }
    else
      x[2 * d] = 0.5;
    /* (Snorkel's start divides by the class's share) */
    for (guint r = 0; r < d; r++)
      {
        x[2 * r] *= 0.5 / (1.0 - x[2 * d]);
        x[2 * r + 1] *= 0.5 / x[2 * d];
      }
    mc_project (x, d, eps);
  }
  /* projected gradient descent, the step doubled after each success, halved until the loss falls */
  loss = mc_loss (&mc, x, g);
  for (it = 0; it < 100000; it++)
    {
      double next = loss, moved = 0.0;
      gboolean ok = FALSE;
      for (int tries = 0; tries < 60; tries++)
        {
          double decrease = 0.0;
          for (guint i = 0; i <= 2 * d; i++)
            trial[i] = x[i] - step * g[i];
          mc_project (trial, d, eps);
          for (guint i = 0; i <= 2 * d; i++)
            decrease += g[i] * (x[i] - trial[i]);
          next = mc_loss (&mc, trial, g2);
          if (next <= loss - 1e-4 * decrease)
            {
              ok = TRUE;
              break;
            }
          step *= 0.5;
        }
      if (!ok)
        {
          converged = TRUE; /* no decrease left at this precision */
          break;
        }
      for (guint i = 0; i <= 2 * d; i++)
        moved = MAX (moved, fabs (trial[i] - x[i]));
      memcpy (x, trial, (2 * d + 1) * sizeof (double));
      memcpy (g, g2, (2 * d + 1) * sizeof (double));
      if (loss - next <= 1e-16 * MAX (loss, 1e-300) || moved < 1e-13)
        {
          loss = next;
          converged = TRUE;
          it++;
          break;
        }
      loss = next;
      step *= 2.0;
    }

  /* predictions under mu and its mirror image; keep the better one */
  {
    double lean_score[2] = { 0, 0 }, known_ll[2] = { 0, 0 };
    guint  known_cls[2] = { 0, 0 }, lean_at = 0, keep = 0;
    g_autofree double *q = g_new (double, 2 * (gsize) v->n);
    for (int flip = 0; flip < 2; flip++)
      {
        double p1 = flip ? 1.0 - x[2 * d] : x[2 * d];
        for (guint i = 0; i < v->n; i++)
          {
            double lg = log (p1), lb = log (1.0 - p1);
            for (guint j = 0; j < v->m; j++)
              {
                int k = v->votes[(gsize) i * v->m + j];
                guint r = row0[j] + (guint) k;
                if (k < 0)
                  continue;
                lg += log (x[2 * r + (flip ? 0 : 1)]);
                lb += log (x[2 * r + (flip ? 1 : 0)]);
              }
            q[2 * (gsize) i + flip] = 1.0 / (1.0 + exp (lb - lg));
            if (v->known != NULL && v->known[i] >= 0)
              {
                double pk = v->known[i] ? q[2 * (gsize) i + flip] : 1.0 - q[2 * (gsize) i + flip];
                known_ll[flip] += log (MAX (pk, 1e-300));
                if (flip == 0)
                  known_cls[v->known[i]]++;
              }
          }
        lean_at = 0;
        for (guint j = 0; j < v->m; j++)
          for (guint k = 0; k < v->n_cat[j]; k++, lean_at++)
            {
              guint r = row0[j] + k;
              int   lean = v->lean != NULL ? v->lean[lean_at] : 0;
              if (lean > 0)
                lean_score[flip] += p1 * x[2 * r + (flip ? 0 : 1)];
              else if (lean < 0)
                lean_score[flip] += (1.0 - p1) * x[2 * r + (flip ? 1 : 0)];
            }
      }
    /* (a mirror image changes the class balance: only where it is uniform, as Snorkel) */
    if (fabs (x[2 * d] - 0.5) > 1e-12)
      keep = 0;
    else if (known_cls[0] > 0 && known_cls[1] > 0)
      keep = known_ll[1] > known_ll[0];
    else
      keep = lean_score[1] > lean_score[0];
    model->prior = keep ? 1.0 - x[2 * d] : x[2 * d];
    for (guint i = 0; i < v->n; i++)
      model->p_good[i] = v->known != NULL && v->known[i] >= 0 ? v->known[i] : q[2 * (gsize) i + keep];
    /* theta: mu, abstaining taking what is left (normalised when the answers exceed 1) */
    for (guint j = 0; j < v->m; j++)
      for (int y = 0; y < 2; y++)
        {
          double *row = theta_row (model, j, y), sum = 0.0;
          int     col = keep ? 1 - y : y;
          for (guint k = 0; k < v->n_cat[j]; k++)
            sum += row[k + 1] = x[2 * (row0[j] + k) + col];
          row[0] = MAX (1.0 - sum, 1e-6);
          sum += row[0];
          for (guint k = 0; k <= v->n_cat[j]; k++)
            row[k] /= sum;
        }
  }
  model->iterations = it;
  model->converged = converged;
  model->loglik = -loss; /* (the matrix-completion loss, negated) */
  finish (model, v);
  (void) error;
  return g_steal_pointer (&model);
}

/* The records as their distinct rows of (votes, known label), each with the number of records it
 * stands for (EM over them is EM over the records, many times faster where few signals vote in
 * few ways); row_of[i]: record i's row. The view points into new arrays owned by the caller. */
typedef struct
{
  AssayLabelVotes view;
  gint8          *votes, *known;
  double         *weight;
  guint          *row_of;
} Distinct;

static void
distinct_clear (Distinct *d)
{
  g_free (d->votes);
  g_free (d->known);
  g_free (d->weight);
  g_free (d->row_of);
}

static void
distinct_init (Distinct *d, const AssayLabelVotes *v)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  g_autofree gint8 *key = g_new (gint8, v->m + 1);
  guint rows = 0;

  d->votes = g_new (gint8, (gsize) v->n * v->m);
  d->known = g_new (gint8, v->n);
  d->weight = g_new (double, v->n);
  d->row_of = g_new (guint, v->n);
  for (guint i = 0; i < v->n; i++)
    {
      gpointer at;
      memcpy (key, v->votes + (gsize) i * v->m, v->m);
      key[v->m] = v->known != NULL ? v->known[i] : -1;
      {
        g_autoptr (GBytes) b = g_bytes_new (key, v->m + 1);
        if (g_hash_table_lookup_extended (seen, b, NULL, &at))
          {
            d->row_of[i] = GPOINTER_TO_UINT (at);
            d->weight[d->row_of[i]] += 1.0;
            continue;
          }
        g_hash_table_insert (seen, g_bytes_ref (b), GUINT_TO_POINTER (rows));
      }
      memcpy (d->votes + (gsize) rows * v->m, key, v->m);
      d->known[rows] = key[v->m];
      d->weight[rows] = 1.0;
      d->row_of[i] = rows++;
    }
  d->view = *v;
  d->view.n = rows;
  d->view.votes = d->votes;
  d->view.known = v->known != NULL ? d->known : NULL;
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
  Distinct dv = { 0 };
  g_autofree double *start = NULL;
  guint   cats = 0, n_known = 0;

  if (options == NULL)
    {
      assay_label_model_options_init (&defaults);
      options = &defaults;
    }
  if (!votes_check (v, &cats, &n_known, error))
    return NULL;
  if (options->matrix_completion)
    return fit_mc (v, cats, options->class_balance, n_known, error);

  /* EM runs over the distinct rows; the records take their row's posterior at the end */
  distinct_init (&dv, v);
  factors_init (&f, &dv.view, dv.weight, v->n);
  start = majority_start (&dv.view);
  em_best (&f, &dv.view, start, options, &fit);
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
      em_best (&f, &dv.view, start, options, &fit);
    }

  /* per function: its factor's categories summed over the other member */
  model->n = v->n;
  model->m = v->m;
  model->prior = fit.prior;
  model->p_good = g_new (double, MAX (v->n, 1));
  for (guint i = 0; i < v->n; i++)
    model->p_good[i] = fit.q[dv.row_of[i]];
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
  distinct_clear (&dv);

  finish (model, v);
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
