/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-baselines.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-cord.h"
#include "assay-error.h"
#include "assay-names.h"

#define VAR_FLOOR 1e-3 /* in units of the standardised series */
#define MAX_RUNLENGTH_FLOATS ((gsize) 4 << 20)

void
assay_baseline_options_init (AssayBaselineOptions *options)
{
  options->penalty = -1.0;
  options->min_size = 5;
  options->max_cps = 0;
  options->lambda = 100.0;
  options->lag = 5;
  options->max_run = 500;
}

gboolean
assay_detector_parse (const char *name, AssayDetector *detector)
{
  static const char *const names[] = { "cord", "binseg", "pelt", "bocpd", "cord-learned" };
  int                      i = assay_names_find (names, G_N_ELEMENTS (names), name);

  if (i < 0)
    return FALSE;
  *detector = (AssayDetector) i;
  return TRUE;
}

const char *
assay_detector_name (AssayDetector detector)
{
  static const char *names[] = { "cord", "binseg", "pelt", "bocpd", "cord-learned" };
  return names[detector];
}

void
assay_baseline_result_free (AssayBaselineResult *result)
{
  if (result == NULL)
    return;
  g_free (result->score);
  g_free (result->runlength);
  g_clear_pointer (&result->change_points, g_array_unref);
  g_free (result);
}

/* The standardised series as d = N * M dimensions, [t][k]. */
static double *
standardised (AssaySeries *series, guint *d_out)
{
  const guint T = series->T, d = series->N * series->M;
  double     *z = g_new (double, MAX ((gsize) T * d, 1));

  for (guint k = 0; k < d; k++)
    {
      double s = 0, ss = 0, mean, sd;
      for (guint t = 0; t < T; t++)
        s += series->x[(gsize) t * d + k];
      mean = s / MAX (T, 1);
      for (guint t = 0; t < T; t++)
        {
          double v = series->x[(gsize) t * d + k] - mean;
          ss += v * v;
        }
      sd = sqrt (ss / MAX (T, 1));
      if (sd < 1e-12)
        sd = 1.0;
      for (guint t = 0; t < T; t++)
        z[(gsize) t * d + k] = (series->x[(gsize) t * d + k] - mean) / sd;
    }
  *d_out = d;
  return z;
}

double
assay_gaussian_segment_cost (const double *s1, const double *s2, guint d, guint a, guint b)
{
  double n = b - a, cost = 0;

  for (guint k = 0; k < d; k++)
    {
      double S1 = s1[(gsize) b * d + k] - s1[(gsize) a * d + k];
      double S2 = s2[(gsize) b * d + k] - s2[(gsize) a * d + k];
      double var = (S2 - S1 * S1 / n) / n;
      cost += n * log (MAX (var, VAR_FLOOR));
    }
  return cost;
}

typedef struct
{
  guint   T, d;
  double *s1, *s2;
} Prefix;

static void
prefix_init (Prefix *p, const double *z, guint T, guint d)
{
  p->T = T;
  p->d = d;
  p->s1 = g_new0 (double, (gsize) (T + 1) * d);
  p->s2 = g_new0 (double, (gsize) (T + 1) * d);
  for (guint t = 0; t < T; t++)
    for (guint k = 0; k < d; k++)
      {
        double v = z[(gsize) t * d + k];
        p->s1[(gsize) (t + 1) * d + k] = p->s1[(gsize) t * d + k] + v;
        p->s2[(gsize) (t + 1) * d + k] = p->s2[(gsize) t * d + k] + v * v;
      }
}

static inline double
cost (Prefix *p, guint a, guint b)
{
  return assay_gaussian_segment_cost (p->s1, p->s2, p->d, a, b);
}

/* Best single split of [a, b): position and cost drop (-INFINITY when none fits). */
static double
best_split (Prefix *p, guint a, guint b, guint min_size, guint *at)
{
  double whole, best = -INFINITY;

  *at = 0;
  if (b - a < 2 * min_size)
    return -INFINITY;
  whole = cost (p, a, b);
  for (guint t = a + min_size; t + min_size <= b; t++)
    {
      double gain = whole - cost (p, a, t) - cost (p, t, b);
      if (gain > best)
        {
          best = gain;
          *at = t;
        }
    }
  return best;
}

static int
cmp_guint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

typedef struct
{
  guint  a, b, at;
  double gain;
} Segment;

/* Greedy binary segmentation; each segment's best split is computed once (O(T log T)). */
static GArray *
binseg (Prefix *p, double pen, guint min_size, guint max_cps)
{
  GArray *cps = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *segs = g_array_new (FALSE, FALSE, sizeof (Segment));
  Segment whole = { 0, p->T, 0, 0 };

  whole.gain = best_split (p, 0, p->T, min_size, &whole.at);
  g_array_append_val (segs, whole);
  while (cps->len < max_cps)
    {
      guint   best = 0;
      Segment left, right;
      for (guint i = 1; i < segs->len; i++)
        if (g_array_index (segs, Segment, i).gain > g_array_index (segs, Segment, best).gain)
          best = i;
      if (segs->len == 0 || !(g_array_index (segs, Segment, best).gain > pen))
        break;
      left = g_array_index (segs, Segment, best);
      right = left;
      left.b = right.a = left.at;
      g_array_append_val (cps, left.at);
      left.gain = best_split (p, left.a, left.b, min_size, &left.at);
      right.gain = best_split (p, right.a, right.b, min_size, &right.at);
      g_array_index (segs, Segment, best) = left;
      g_array_append_val (segs, right);
    }
  g_array_unref (segs);
  g_array_sort (cps, cmp_guint);
  return cps;
}

/* PELT: F(t) = min_s F(s) + C(s, t) + pen over candidate starts s with t - s >= min_size;
 * candidates with F(s) + C(s, t) > F(t) can never be optimal again and are pruned. */
static GArray *
pelt (Prefix *p, double pen, guint min_size, GCancellable *cancellable)
{
  const guint T = p->T;
  double     *F = g_new (double, T + 1);
  guint      *last = g_new0 (guint, T + 1);
  GArray     *R = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray     *kept = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray     *cps = g_array_new (FALSE, FALSE, sizeof (guint));
  guint       zero = 0;

  F[0] = -pen;
  for (guint t = 1; t <= T; t++)
    F[t] = INFINITY;
  g_array_append_val (R, zero);
  for (guint t = min_size; t <= T; t++)
    {
      if (t % 4096 == 0 && g_cancellable_is_cancelled (cancellable))
        break;
      for (guint i = 0; i < R->len; i++)
        {
          guint  s = g_array_index (R, guint, i);
          double v;
          if (t - s < min_size)
            continue;
          v = F[s] + cost (p, s, t) + pen;
          if (v < F[t])
            {
              F[t] = v;
              last[t] = s;
            }
        }
      g_array_set_size (kept, 0);
      for (guint i = 0; i < R->len; i++)
        {
          guint s = g_array_index (R, guint, i);
          if (t - s < min_size || F[s] + cost (p, s, t) <= F[t])
            g_array_append_val (kept, s);
        }
      if (isfinite (F[t]))
        g_array_append_val (kept, t);
      {
        GArray *swap = R;
        R = kept;
        kept = swap;
      }
    }
  if (isfinite (F[T]))
    for (guint t = T; t > 0 && last[t] > 0; t = last[t])
      g_array_append_val (cps, last[t]);
  g_array_sort (cps, cmp_guint);
  g_free (F);
  g_free (last);
  g_array_unref (R);
  g_array_unref (kept);
  return cps;
}

/* Split gain profile: C(0,T) - C(0,t) - C(t,T) where both sides hold min_size steps. */
static float *
split_profile (Prefix *p, guint min_size)
{
  float *score = g_new0 (float, MAX (p->T, 1));
  double whole = cost (p, 0, p->T);

  for (guint t = min_size; t + min_size <= p->T; t++)
    score[t] = (float) (whole - cost (p, 0, t) - cost (p, t, p->T));
  return score;
}

/* ---- BOCPD ------------------------------------------------------------------------------------- */

static inline double
logaddexp (double a, double b)
{
  if (a == -INFINITY)
    return b;
  if (b == -INFINITY)
    return a;
  return a > b ? a + log1p (exp (b - a)) : b + log1p (exp (a - b));
}

/* Student-t log density; gamma_term = lgamma((ν+1)/2) - lgamma(ν/2), which depends on the run
 * length only (α grows by 1/2 per observation), so it is tabulated. */
static inline double
student_logpdf (double x, double mu, double kappa, double alpha, double beta, double gamma_term)
{
  double nu = 2 * alpha;
  double scale2 = beta * (kappa + 1) / (alpha * kappa);
  double z = (x - mu) * (x - mu) / (nu * scale2);

  return gamma_term - 0.5 * log (nu * G_PI * scale2) - (nu + 1) / 2 * log1p (z);
}

static AssayBaselineResult *
bocpd (const double *z, guint T, guint d, const AssayBaselineOptions *options,
       GCancellable *cancellable)
{
  AssayBaselineResult *res = g_new0 (AssayBaselineResult, 1);
  const guint          R = MAX (MIN (options->max_run, T + 1), 2);
  const double         logH = log (1.0 / MAX (options->lambda, 1.0));
  const double         log1mH = log1p (-1.0 / MAX (options->lambda, 1.0));
  double              *logP = g_new (double, R), *next = g_new (double, R);
  double              *mu = g_new (double, (gsize) R * d), *kappa = g_new (double, R);
  double              *alpha = g_new (double, R), *beta = g_new (double, (gsize) R * d);
  double              *nmu = g_new (double, (gsize) R * d), *nbeta = g_new (double, (gsize) R * d);
  double              *pred = g_new (double, R);
  double              *gamma_term = g_new (double, R + 2);
  float               *p_start = g_new0 (float, MAX (T, 1)); /* P(r_t = lag) at t */
  guint                n_runs = 1;
  const guint          lag = options->lag;
  gboolean             keep = (gsize) T * MIN (R, 200) <= MAX_RUNLENGTH_FLOATS;

  res->T = T;
  res->score = g_new0 (float, MAX (T, 1));
  if (keep)
    {
      res->R = MIN (R, 200);
      res->runlength = g_new0 (float, (gsize) T * res->R);
    }
  /* indexed by the observations a run has seen, α = 1 + n / 2 */
  for (guint n = 0; n < R + 2; n++)
    {
      double nu = 2 * (1.0 + 0.5 * n);
      gamma_term[n] = lgamma ((nu + 1) / 2) - lgamma (nu / 2);
    }
  logP[0] = 0.0;
  kappa[0] = 1.0;
  alpha[0] = 1.0;
  for (guint k = 0; k < d; k++)
    {
      mu[k] = 0.0;
      beta[k] = 1.0;
    }

  for (guint t = 0; t < T; t++)
    {
      const double *x = z + (gsize) t * d;
      double        cp = -INFINITY, norm;
      guint         grown;

      if (t % 4096 == 0 && g_cancellable_is_cancelled (cancellable))
        break;
      for (guint r = 0; r < n_runs; r++)
        {
          double lp = 0;
          for (guint k = 0; k < d; k++)
            lp += student_logpdf (x[k], mu[(gsize) r * d + k], kappa[r], alpha[r],
                                  beta[(gsize) r * d + k],
                                  gamma_term[MIN ((guint) lround (2 * (alpha[r] - 1.0)), R + 1)]);
          pred[r] = lp;
        }
      /* change: mass from every run into r = 0; growth: r -> r + 1 */
      for (guint r = 0; r < n_runs; r++)
        {
          cp = logaddexp (cp, logP[r] + pred[r] + logH);
        }
      grown = MIN (n_runs + 1, R);
      next[0] = cp;
      for (guint r = 1; r < grown; r++)
        next[r] = logP[r - 1] + pred[r - 1] + log1mH;
      norm = -INFINITY;
      for (guint r = 0; r < grown; r++)
        norm = logaddexp (norm, next[r]);
      for (guint r = 0; r < grown; r++)
        logP[r] = next[r] - norm;

      /* Posterior parameters: r = 0 is the prior updated by x; r >= 1 from r - 1 */
      for (guint r = grown - 1; r >= 1; r--)
        {
          guint  q = r - 1;
          double kq = kappa[q];
          for (guint k = 0; k < d; k++)
            {
              double m = mu[(gsize) q * d + k];
              nmu[(gsize) r * d + k] = (kq * m + x[k]) / (kq + 1);
              nbeta[(gsize) r * d + k] = beta[(gsize) q * d + k]
                                         + kq * (x[k] - m) * (x[k] - m) / (2 * (kq + 1));
            }
        }
      for (guint r = grown - 1; r >= 1; r--)
        {
          kappa[r] = kappa[r - 1] + 1;
          alpha[r] = alpha[r - 1] + 0.5;
          memcpy (mu + (gsize) r * d, nmu + (gsize) r * d, d * sizeof (double));
          memcpy (beta + (gsize) r * d, nbeta + (gsize) r * d, d * sizeof (double));
        }
      kappa[0] = 1.0 + 1.0;
      alpha[0] = 1.0 + 0.5;
      for (guint k = 0; k < d; k++)
        {
          mu[k] = x[k] / 2.0;
          beta[k] = 1.0 + x[k] * x[k] / 4.0;
        }
      n_runs = grown;

      if (res->runlength != NULL)
        for (guint r = 0; r < MIN (n_runs, res->R); r++)
          res->runlength[(gsize) t * res->R + r] = (float) exp (logP[r]);
      if (lag < n_runs)
        p_start[t] = (float) exp (logP[lag]);
    }
  /* The run that is `lag` long at t + lag began at t */
  for (guint t = 0; t + lag < T; t++)
    res->score[t] = p_start[t + lag];
  res->change_points = assay_cord_peaks (res->score, T, 0.5, MAX (options->min_size, 1));
  g_free (logP);
  g_free (next);
  g_free (mu);
  g_free (kappa);
  g_free (alpha);
  g_free (beta);
  g_free (nmu);
  g_free (nbeta);
  g_free (pred);
  g_free (gamma_term);
  g_free (p_start);
  return res;
}

AssayBaselineResult *
assay_baseline_run (AssaySeries *series, AssayDetector detector,
                    const AssayBaselineOptions *options, GCancellable *cancellable,
                    GError **error)
{
  guint             d;
  g_autofree double *z = standardised (series, &d);
  AssayBaselineResult *res;
  double            pen = options->penalty;
  guint             min_size = MAX (options->min_size, 2);

  if (series->T < 2 * min_size || d == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Series “%s” is too short for %s (%u steps)"), series->name,
                   assay_detector_name (detector), series->T);
      return NULL;
    }
  if (detector == ASSAY_DETECTOR_BOCPD)
    return bocpd (z, series->T, d, options, cancellable);

  if (pen < 0)
    pen = (2.0 * d + 1.0) * log ((double) series->T);
  res = g_new0 (AssayBaselineResult, 1);
  res->T = series->T;
  {
    Prefix p;
    prefix_init (&p, z, series->T, d);
    res->score = split_profile (&p, min_size);
    if (detector == ASSAY_DETECTOR_BINSEG)
      res->change_points = binseg (&p, pen, min_size,
                                   options->max_cps > 0 ? options->max_cps : series->T / min_size);
    else
      res->change_points = pelt (&p, pen, min_size, cancellable);
    g_free (p.s1);
    g_free (p.s2);
  }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      assay_baseline_result_free (res);
      return NULL;
    }
  return res;
}
