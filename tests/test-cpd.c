/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Change points: metrics against TCPDBench's own test values and hand cases, simulator
 * invariants, baselines against exhaustive float64 references, CoRD pieces against float64,
 * importers on good and bad input, and the scoring pipeline end to end. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-cord.h"
#include "assay-cpd-baselines.h"
#include "assay-cpd-import.h"
#include "assay-cpd-metrics.h"
#include "assay-cpd-run.h"
#include "assay-error.h"
#include "assay-spring-sim.h"
#include "assay-test-util.h"

static GPtrArray *
annotations (const char *spec)
{
  /* "10,20;11,20;10;0,5": annotators separated by ';' (an empty one is an empty list) */
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_auto (GStrv) parts = g_strsplit (spec, ";", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));
      g_auto (GStrv) steps = g_strsplit (parts[i], ",", -1);
      for (guint j = 0; steps[j] != NULL; j++)
        if (*steps[j] != '\0')
          {
            guint v = (guint) g_ascii_strtoull (steps[j], NULL, 10);
            g_array_append_val (a, v);
          }
      g_ptr_array_add (out, a);
    }
  return out;
}

/* The doctest values of TCPDBench's analysis/scripts/metrics.py */
static void
test_tcpdbench_values (void)
{
  const guint p1[] = { 10, 20 }, p2[] = { 10 };
  g_autoptr (GPtrArray) a1 = annotations ("10,20;11,20;10;0,5");
  g_autoptr (GPtrArray) a2 = annotations (";10;50");
  g_autoptr (GPtrArray) c1 = annotations ("10,20;10;0,5");
  g_autoptr (GPtrArray) c2 = annotations (";10;40");

  g_assert_cmpfloat_with_epsilon (assay_cpd_f1 (a1, p1, 2, 5, NULL, NULL), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_f1 (a2, p2, 1, 5, NULL, NULL), 0.9090909090909091, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_f1 (a2, NULL, 0, 5, NULL, NULL), 0.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_cover (c1, p1, 2, 45), 0.7962962962962963, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_cover (c2, p2, 1, 45), 0.7954144620811286, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_cover (c2, NULL, 0, 45), 0.8189300411522634, 1e-12);
}

/* true_positives({1, 10, 20, 23}, {3, 8, 20}) = {1, 10, 20}: with one annotator and 0 added to
 * both sides, precision = |{0, 1, 10, 20}| / |{0, 3, 8, 20}| = 1 and recall 4/5 */
static void
test_f1_no_double_counting (void)
{
  const guint pred[] = { 3, 8, 20 };
  g_autoptr (GPtrArray) a = annotations ("1,10,20,23");
  double P, R, F = assay_cpd_f1 (a, pred, 3, 5, &P, &R);

  g_assert_cmpfloat_with_epsilon (P, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (R, 4.0 / 5.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (F, 2 * 0.8 / 1.8, 1e-12);
  /* a prediction can only match one true change */
  {
    const guint one[] = { 10 };
    g_autoptr (GPtrArray) b = annotations ("9,11");
    assay_cpd_f1 (b, one, 1, 5, &P, &R);
    g_assert_cmpfloat_with_epsilon (P, 1.0, 1e-12);     /* {0, 10} both true positives */
    g_assert_cmpfloat_with_epsilon (R, 2.0 / 3.0, 1e-12); /* {0, 9, 11}: 9 matched, 11 not */
  }
}

static void
test_auc_tri (void)
{
  const float score[] = { 0.1f, 0.4f, 0.9f, 0.2f, 0.4f };
  const guint pos[] = { 2 };
  const guint pos2[] = { 1, 2 };
  const float ties[] = { 1, 1, 1, 1 };

  /* the positive beats all four negatives */
  g_assert_cmpfloat_with_epsilon (assay_cpd_auc (score, 5, pos, 1), 1.0, 1e-12);
  /* positives 0.4 and 0.9 vs negatives 0.1, 0.2, 0.4: (2.5 + 3) / 6 */
  g_assert_cmpfloat_with_epsilon (assay_cpd_auc (score, 5, pos2, 2), 5.5 / 6.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_auc (ties, 4, pos, 1), 0.5, 1e-12);
  g_assert_true (isnan (assay_cpd_auc (score, 5, NULL, 0)));
  g_assert_cmpfloat_with_epsilon (assay_cpd_tri (50, 50, 15), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_tri (56, 50, 15), 1.0 - 6.0 / 15.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_cpd_tri (20, 50, 15), 0.0, 1e-12);
}

/* ---- simulator ------------------------------------------------------------------------------- */

static void
test_simulator_invariants (void)
{
  float graphs[2 * 25];
  g_autoptr (AssaySeries) a = assay_spring_simulate (ASSAY_SPRING_CONNECTION, 7, 3, graphs);
  g_autoptr (AssaySeries) b = assay_spring_simulate (ASSAY_SPRING_CONNECTION, 7, 3, NULL);
  g_autoptr (AssaySeries) c = assay_spring_simulate (ASSAY_SPRING_CONNECTION, 7, 4, NULL);
  guint tc = g_array_index ((GArray *) g_ptr_array_index (a->annotations, 0), guint, 0);
  guint changed = 0;

  /* seeded: same (seed, index) gives the same series, another index another one */
  g_assert_cmpuint (a->T, ==, 100);
  g_assert_cmpuint (a->N, ==, 5);
  g_assert_cmpuint (a->M, ==, 4);
  g_assert_cmpmem (a->x, 100 * 5 * 4 * sizeof (float), b->x, 100 * 5 * 4 * sizeof (float));
  g_assert_true (memcmp (a->x, c->x, 100 * 5 * 4 * sizeof (float)) != 0);
  g_assert_cmpuint (tc, >=, 25);
  g_assert_cmpuint (tc, <=, 75);
  g_assert_cmpstr (a->change_type, ==, "connection");
  /* at least 5 of the 10 pairs flipped, symmetric, no self loops */
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      {
        g_assert_cmpfloat (graphs[i * 5 + j], ==, graphs[j * 5 + i]);
        if (i == j)
          g_assert_cmpfloat (graphs[i * 5 + j], ==, 0);
        if (i < j)
          changed += graphs[i * 5 + j] != graphs[25 + i * 5 + j];
      }
  g_assert_cmpuint (changed, >=, 5);
  /* walls: every position stays in the box */
  for (guint q = 0; q < 100 * 5; q++)
    {
      g_assert_cmpfloat (fabs (a->x[q * 4]), <=, ASSAY_SPRING_BOX + 1e-4);
      g_assert_cmpfloat (fabs (a->x[q * 4 + 1]), <=, ASSAY_SPRING_BOX + 1e-4);
    }
}

static void
test_simulator_energy (void)
{
  /* Without a change, kinetic + spring energy is roughly conserved (elastic walls keep the
   * speed; symplectic Euler with dt = 0.001 drifts little). */
  for (guint i = 0; i < 10; i++)
    {
      float graphs[2 * 25];
      g_autoptr (AssaySeries) s = assay_spring_simulate (ASSAY_SPRING_NONE, 3, i, graphs);
      double e0 = assay_spring_energy (s, 0, graphs), worst = 0;
      for (guint t = 1; t < s->T; t++)
        worst = MAX (worst, fabs (assay_spring_energy (s, t, graphs) - e0) / e0);
      g_assert_cmpuint (s->annotations->len, ==, 0);
      if (worst > 0.02)
        g_error ("series %u: energy drifts by %.3f", i, worst);
    }
}

static void
test_simulator_changes (void)
{
  /* A location change moves positions at tc by ~0.1, a velocity change velocities by ~0.02 */
  for (int kind = 0; kind < 2; kind++)
    {
      g_autoptr (AssaySeries) s = assay_spring_simulate (kind == 0 ? ASSAY_SPRING_LOCATION
                                                                   : ASSAY_SPRING_VELOCITY,
                                                         11, 0, NULL);
      guint  tc = g_array_index ((GArray *) g_ptr_array_index (s->annotations, 0), guint, 0);
      double jump = 0, normal = 0;
      int    f = kind == 0 ? 0 : 2;
      for (guint i = 0; i < 5; i++)
        {
          /* compare the step into tc with the one before it (second differences) */
          double d1 = assay_series_at (s, tc, i)[f] - 2 * assay_series_at (s, tc - 1, i)[f]
                      + assay_series_at (s, tc - 2, i)[f];
          double d0 = assay_series_at (s, tc - 1, i)[f] - 2 * assay_series_at (s, tc - 2, i)[f]
                      + assay_series_at (s, tc - 3, i)[f];
          jump += fabs (d1);
          normal += fabs (d0);
        }
      g_assert_cmpfloat (jump, >, 3 * normal);
    }
}

/* ---- baselines against exhaustive references ---------------------------------------------------- */

static AssaySeries *
steps_series (const double *levels, const guint *lengths, guint n_segments, double noise, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint        T = 0, t = 0;
  AssaySeries *s;

  for (guint i = 0; i < n_segments; i++)
    T += lengths[i];
  s = assay_series_new ("steps", T, 1, 1);
  for (guint i = 0; i < n_segments; i++)
    for (guint j = 0; j < lengths[i]; j++, t++)
      {
        double u = g_rand_double (rand), v = g_rand_double (rand);
        s->x[t] = (float) (levels[i] + noise * sqrt (-2 * log (u + 1e-300)) * cos (2 * G_PI * v));
      }
  return s;
}

/* Exhaustive optimal partitioning (O(T^2)) in float64 with the same cost and penalty. */
static double
reference_optimal (const double *z, guint T, guint min_size, double pen, GArray *cps)
{
  double *F = g_new (double, T + 1);
  guint  *last = g_new0 (guint, T + 1);
  double  result;

  F[0] = -pen;
  for (guint t = 1; t <= T; t++)
    {
      F[t] = INFINITY;
      for (guint s = 0; s + min_size <= t; s++)
        {
          double sum = 0, sq = 0, n = t - s, var, c;
          if (!isfinite (F[s]))
            continue;
          for (guint q = s; q < t; q++)
            {
              sum += z[q];
              sq += z[q] * z[q];
            }
          var = (sq - sum * sum / n) / n;
          c = n * log (MAX (var, 1e-3));
          if (F[s] + c + pen < F[t])
            {
              F[t] = F[s] + c + pen;
              last[t] = s;
            }
        }
    }
  for (guint t = T; t > 0 && last[t] > 0; t = last[t])
    g_array_prepend_val (cps, last[t]);
  result = F[T];
  g_free (F);
  g_free (last);
  return result;
}

static void
test_pelt_is_optimal (void)
{
  const double levels[] = { 0, 3, -1, 4, 4.5 };
  const guint  lengths[] = { 30, 25, 40, 20, 35 };

  for (guint32 seed = 1; seed <= 5; seed++)
    {
      g_autoptr (AssaySeries) s = steps_series (levels, lengths, 5, 0.8 + 0.2 * seed, seed);
      g_autoptr (GArray) ref = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autofree double *z = g_new (double, s->T);
      AssayBaselineOptions options;
      double mean = 0, sd = 0;
      g_autoptr (AssayBaselineResult) r = NULL;

      for (guint t = 0; t < s->T; t++)
        mean += s->x[t] / s->T;
      for (guint t = 0; t < s->T; t++)
        sd += (s->x[t] - mean) * (s->x[t] - mean) / s->T;
      sd = sqrt (sd);
      for (guint t = 0; t < s->T; t++)
        z[t] = (s->x[t] - mean) / sd;
      assay_baseline_options_init (&options);
      reference_optimal (z, s->T, options.min_size, 3.0 * log (s->T), ref);
      r = assay_baseline_run (s, ASSAY_DETECTOR_PELT, &options, NULL, NULL);
      g_assert_nonnull (r);
      g_assert_cmpuint (r->change_points->len, ==, ref->len);
      for (guint i = 0; i < ref->len; i++)
        g_assert_cmpuint (g_array_index (r->change_points, guint, i), ==, g_array_index (ref, guint, i));
      /* and the clear level shifts are found */
      g_assert_cmpuint (ref->len, >=, 3);
    }
}

static void
test_binseg_finds_steps (void)
{
  const double levels[] = { 0, 5, 0 };
  const guint  lengths[] = { 40, 30, 50 };
  g_autoptr (AssaySeries) s = steps_series (levels, lengths, 3, 0.5, 9);
  AssayBaselineOptions options;
  g_autoptr (AssayBaselineResult) r = NULL;

  assay_baseline_options_init (&options);
  r = assay_baseline_run (s, ASSAY_DETECTOR_BINSEG, &options, NULL, NULL);
  /* Greedy splits may add a short low-variance sliver next to a change (PELT, optimal, does
   * not: see pelt-is-optimal); both true changes must be found within 2 steps. */
  {
    gboolean at40 = FALSE, at70 = FALSE;
    for (guint i = 0; i < r->change_points->len; i++)
      {
        guint c = g_array_index (r->change_points, guint, i);
        at40 |= c >= 38 && c <= 42;
        at70 |= c >= 68 && c <= 72;
      }
    g_assert_true (at40 && at70);
    g_assert_cmpuint (r->change_points->len, <=, 3);
  }
  /* the split profile peaks at a true change */
  {
    guint best = 0;
    for (guint t = 1; t < s->T; t++)
      if (r->score[t] > r->score[best])
        best = t;
    g_test_message ("split profile peaks at %u", best);
    g_assert_true ((best >= 38 && best <= 42) || (best >= 68 && best <= 72));
  }
}

/* Plain BOCPD in float64 without truncation, univariate, same prior and hazard. */
static void
reference_bocpd (const double *x, guint T, double lambda, double *p_cp_at)
{
  double *P = g_new0 (double, T + 2), *mu = g_new (double, T + 2), *ka = g_new (double, T + 2);
  double *al = g_new (double, T + 2), *be = g_new (double, T + 2);
  double *nP = g_new0 (double, T + 2), *nmu = g_new (double, T + 2), *nka = g_new (double, T + 2);
  double *nal = g_new (double, T + 2), *nbe = g_new (double, T + 2);
  double  H = 1.0 / lambda;
  guint   n = 1;

  P[0] = 1;
  mu[0] = 0, ka[0] = 1, al[0] = 1, be[0] = 1;
  for (guint t = 0; t < T; t++)
    {
      double cp = 0, norm = 0;
      for (guint r = 0; r < n; r++)
        {
          double nu = 2 * al[r], sc2 = be[r] * (ka[r] + 1) / (al[r] * ka[r]);
          double pred = exp (lgamma ((nu + 1) / 2) - lgamma (nu / 2) - 0.5 * log (nu * G_PI * sc2)
                             - (nu + 1) / 2 * log1p ((x[t] - mu[r]) * (x[t] - mu[r]) / (nu * sc2)));
          nP[r + 1] = P[r] * pred * (1 - H);
          cp += P[r] * pred * H;
          nmu[r + 1] = (ka[r] * mu[r] + x[t]) / (ka[r] + 1);
          nka[r + 1] = ka[r] + 1;
          nal[r + 1] = al[r] + 0.5;
          nbe[r + 1] = be[r] + ka[r] * (x[t] - mu[r]) * (x[t] - mu[r]) / (2 * (ka[r] + 1));
        }
      nP[0] = cp;
      nmu[0] = x[t] / 2, nka[0] = 2, nal[0] = 1.5, nbe[0] = 1 + x[t] * x[t] / 4;
      n++;
      for (guint r = 0; r < n; r++)
        norm += nP[r];
      for (guint r = 0; r < n; r++)
        {
          P[r] = nP[r] / norm;
          mu[r] = nmu[r], ka[r] = nka[r], al[r] = nal[r], be[r] = nbe[r];
        }
      p_cp_at[t] = n > 5 ? P[5] : 0; /* run of length 5 at t */
    }
  g_free (P), g_free (mu), g_free (ka), g_free (al), g_free (be);
  g_free (nP), g_free (nmu), g_free (nka), g_free (nal), g_free (nbe);
}

static void
test_bocpd_matches_reference (void)
{
  const double levels[] = { 0, 2.5, -1 };
  const guint  lengths[] = { 60, 50, 70 };
  g_autoptr (AssaySeries) s = steps_series (levels, lengths, 3, 0.7, 4);
  g_autofree double *z = g_new (double, s->T);
  g_autofree double *ref = g_new0 (double, s->T);
  AssayBaselineOptions options;
  g_autoptr (AssayBaselineResult) r = NULL;
  double mean = 0, sd = 0, worst = 0;

  for (guint t = 0; t < s->T; t++)
    mean += s->x[t] / s->T;
  for (guint t = 0; t < s->T; t++)
    sd += (s->x[t] - mean) * (s->x[t] - mean) / s->T;
  sd = sqrt (sd);
  for (guint t = 0; t < s->T; t++)
    z[t] = (s->x[t] - mean) / sd;
  reference_bocpd (z, s->T, 100, ref);
  assay_baseline_options_init (&options);
  options.max_run = 1000; /* no truncation */
  r = assay_baseline_run (s, ASSAY_DETECTOR_BOCPD, &options, NULL, NULL);
  for (guint t = 0; t + 5 < s->T; t++)
    worst = MAX (worst, fabs (r->score[t] - ref[t + 5]));
  g_test_message ("BOCPD max |score - float64 reference| = %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-5);
  /* the two level shifts are detected within 2 steps */
  g_assert_cmpuint (r->change_points->len, >=, 2);
  {
    gboolean near60 = FALSE, near110 = FALSE;
    for (guint i = 0; i < r->change_points->len; i++)
      {
        guint c = g_array_index (r->change_points, guint, i);
        near60 |= c >= 58 && c <= 62;
        near110 |= c >= 108 && c <= 112;
      }
    g_assert_true (near60 && near110);
  }
  /* the run-length posterior is kept and each row sums to at most 1 */
  g_assert_nonnull (r->runlength);
  for (guint t = 0; t < s->T; t++)
    {
      double sum = 0;
      for (guint q = 0; q < r->R; q++)
        sum += r->runlength[(gsize) t * r->R + q];
      g_assert_cmpfloat (sum, <=, 1.0 + 1e-5);
    }
}

/* ---- CoRD pieces against float64 -------------------------------------------------------------- */

static void
test_window_graph_reference (void)
{
  g_autoptr (AssaySeries) s = assay_spring_simulate (ASSAY_SPRING_NONE, 5, 1, NULL);
  float A[25];

  assay_cord_window_graph (s, 10, 40, A);
  for (guint i = 0; i < 5; i++)
    for (guint j = 0; j < 5; j++)
      {
        double want = 0;
        if (i != j)
          for (guint m = 0; m < 4; m++)
            {
              double mi = 0, mj = 0, cov = 0, vi = 0, vj = 0;
              for (guint t = 10; t < 40; t++)
                {
                  mi += assay_series_at (s, t, i)[m] / 30.0;
                  mj += assay_series_at (s, t, j)[m] / 30.0;
                }
              for (guint t = 10; t < 40; t++)
                {
                  double a = assay_series_at (s, t, i)[m] - mi, b = assay_series_at (s, t, j)[m] - mj;
                  cov += a * b;
                  vi += a * a;
                  vj += b * b;
                }
              want += fabs (cov / sqrt (vi * vj)) / 4.0;
            }
        g_assert_cmpfloat_with_epsilon (A[i * 5 + j], want, 1e-5);
      }
}

static void
test_relational_recovers_springs (void)
{
  /* On a window without change, the regression recovers the spring graph: coefficients of
   * connected pairs are an order of magnitude above the others. */
  float graphs[50], C[25];
  guint right = 0, total = 0;

  for (guint idx = 0; idx < 5; idx++)
    {
      g_autoptr (AssaySeries) s = assay_spring_simulate (ASSAY_SPRING_NONE, 2, idx, graphs);
      assay_cord_relational_coefficients (s, 0, 60, C);
      for (guint i = 0; i < 5; i++)
        for (guint j = i + 1; j < 5; j++)
          {
            gboolean edge = graphs[i * 5 + j] > 0.5;
            right += edge ? C[i * 5 + j] > 0.004 : C[i * 5 + j] < 0.004;
            total++;
          }
    }
  g_test_message ("relational encoder: %u of %u pairs right", right, total);
  g_assert_cmpuint (right, >=, total * 95 / 100);
}

static void
test_cord_detects_and_types (void)
{
  AssayCordOptions options;
  double auc_sum[3] = { 0 };
  guint  correct = 0;

  assay_cord_options_init (&options);
  for (int kind = 0; kind < 3; kind++)
    for (guint i = 0; i < 20; i++)
      {
        g_autoptr (AssaySeries) s = assay_spring_simulate ((AssaySpringChange) kind, 1, i, NULL);
        g_autoptr (AssayCordResult) r = assay_cord_score (s, &options, NULL, NULL);
        guint tc = g_array_index ((GArray *) g_ptr_array_index (s->annotations, 0), guint, 0);
        float zr[100], zd[100];
        double auc = assay_cpd_auc (r->s_en, s->T, &tc, 1);
        memcpy (zr, r->s_r, sizeof zr);
        memcpy (zd, r->s_d, sizeof zd);
        assay_cord_zscore (zr, 100);
        assay_cord_zscore (zd, 100);
        auc_sum[kind] += auc;
        /* the type rule at the true step */
        correct += (zr[tc] - 0.75 * zd[tc] >= 0) == (kind == ASSAY_SPRING_CONNECTION);
        /* s_en is the sum of the z-scores */
        for (guint t = 0; t < 100; t++)
          g_assert_cmpfloat_with_epsilon (r->s_en[t], zr[t] + zd[t], 1e-4);
      }
  g_test_message ("AUC location %.3f velocity %.3f connection %.3f, type accuracy %.2f",
                  auc_sum[0] / 20, auc_sum[1] / 20, auc_sum[2] / 20, correct / 60.0);
  g_assert_cmpfloat (auc_sum[0] / 20, >, 0.9);
  g_assert_cmpfloat (auc_sum[1] / 20, >, 0.9);
  g_assert_cmpfloat (auc_sum[2] / 20, >, 0.75);
  g_assert_cmpuint (correct, >=, 50);
}

static void
test_zscore_and_peaks (void)
{
  float v[] = { 1, 2, 3, 4 };
  const float s[] = { 0, 5, 1, 0, 4.5f, 0, 0, 9, 0 };
  g_autoptr (GArray) peaks = NULL;

  assay_cord_zscore (v, 4);
  g_assert_cmpfloat_with_epsilon (v[0], -1.5 / sqrt (1.25), 1e-6);
  g_assert_cmpfloat_with_epsilon (v[0] + v[1] + v[2] + v[3], 0, 1e-6);
  peaks = assay_cord_peaks (s, 9, 4.0, 4);
  /* 9 at 7 first, then 5 at 1 (4.5 at 4 is within 4 steps of 1) */
  g_assert_cmpuint (peaks->len, ==, 2);
  g_assert_cmpuint (g_array_index (peaks, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (peaks, guint, 1), ==, 7);
}

/* ---- import -------------------------------------------------------------------------------------- */

static void
test_import_csv_grid_and_missing (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("csv.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *grid = assay_test_write_file ("grid.csv",
                                      "time,a.x,a.y,b.x,b.y\n"
                                      "0,1,2,3,4\n"
                                      "1,1.5,,3.5,4.5\n"
                                      "2,2,3,NaN,5\n"
                                      "3,2.5,3.5,5,5.5\n");
  g_autofree char *bad = assay_test_write_file ("bad.csv", "a,b\n1,2\n3,x\n");
  const char *paths[] = { grid, NULL };
  const char *bad_paths[] = { bad, NULL };
  AssayCpdImportOptions options;
  AssayCpdImportResult  r;
  g_autoptr (AssaySeries) s = NULL;
  g_autoptr (GArray) ids = NULL;

  g_assert_true (assay_cpd_import (store, paths, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.series, ==, 1);
  g_assert_cmpuint (r.missing, ==, 2);
  ids = assay_series_list (store, r.dataset, NULL);
  s = assay_series_load (store, g_array_index (ids, gint64, 0), &error);
  g_assert_cmpuint (s->T, ==, 4);
  g_assert_cmpuint (s->N, ==, 2);
  g_assert_cmpuint (s->M, ==, 2);
  g_assert_cmpstr (s->var_names[1], ==, "b");
  g_assert_cmpstr (s->feat_names[1], ==, "y");
  g_assert_cmpstr (s->time_labels[2], ==, "2");
  /* interpolated: a.y at step 1 between 2 and 3; b.x at step 2 between 3.5 and 5 */
  g_assert_cmpfloat_with_epsilon (assay_series_at (s, 1, 0)[1], 2.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (assay_series_at (s, 2, 1)[0], 4.25, 1e-6);

  assay_cpd_import_options_init (&options);
  options.refuse_missing = TRUE;
  g_assert_false (assay_cpd_import (store, paths, &options, &r, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "step 1 of a.y"));
  g_clear_error (&error);
  g_assert_false (assay_cpd_import (store, bad_paths, NULL, &r, NULL, &error));
  g_assert_nonnull (strstr (error->message, "bad.csv: line 3, column “b”: “x” is not a number"));
  g_clear_error (&error);
  /* all or nothing: still one dataset */
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM datasets", -1), ==, 1);
}

static void
test_import_jsonl_and_errors (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("jsonl.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *good = assay_test_write_file ("s.jsonl",
                                      "{\"name\": \"one\", \"data\": [1, 2, null, 4, 5, 6, 7, 8], "
                                      "\"change_points\": [3], \"change_type\": \"location\"}\n"
                                      "{\"name\": \"two\", \"data\": [[[1,2],[3,4]],[[1,2],[3,4]]], "
                                      "\"var_names\": [\"p\", \"q\"], "
                                      "\"annotations\": {\"ann1\": [1], \"ann2\": []}}\n");
  g_autofree char *bad = assay_test_write_file ("b.jsonl", "{\"name\": \"x\", \"data\": [1, \"two\"]}\n");
  const char *paths[] = { good, NULL };
  const char *bad_paths[] = { bad, NULL };
  AssayCpdImportResult r;
  g_autoptr (GArray) ids = NULL;

  g_assert_true (assay_cpd_import (store, paths, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.series, ==, 2);
  g_assert_cmpuint (r.missing, ==, 1);
  g_assert_cmpuint (r.annotated, ==, 2);
  ids = assay_series_list (store, r.dataset, NULL);
  {
    g_autoptr (AssaySeries) two = assay_series_load (store, g_array_index (ids, gint64, 1), NULL);
    g_assert_cmpuint (two->N, ==, 2);
    g_assert_cmpuint (two->M, ==, 2);
    g_assert_cmpstr (two->var_names[0], ==, "p");
    g_assert_cmpuint (two->annotations->len, ==, 2);
  }
  g_assert_false (assay_cpd_import (store, bad_paths, NULL, &r, NULL, &error));
  g_assert_nonnull (strstr (error->message, "b.jsonl: line 1: step 1, variable 0: not a number"));
}

static void
test_import_tcpd (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *dir = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  const char *paths[2] = { NULL, NULL };
  AssayCpdImportResult r;

  if (data == NULL)
    return;
  dir = g_build_filename (data, "cpd", "tcpd", NULL);
  paths[0] = dir;
  store = assay_test_fresh_store ("tcpd.assay");
  g_assert_true (assay_cpd_import (store, paths, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.series, ==, 16);
  g_assert_cmpuint (r.annotated, ==, 16);
  /* run_log is the multivariate one: 376 x 2 */
  g_assert_cmpint (assay_store_query_int (store, "SELECT n_steps * 10 + n_vars FROM cpd_series "
                                                 "WHERE name = 'run_log'", -1), ==, 3762);
}

/* ---- pipeline ------------------------------------------------------------------------------------ */

static void
test_score_and_eval_pipeline (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("pipeline.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) metrics = NULL;
  AssayCpdScoreOptions options;
  gint64 dataset, run;

  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_VELOCITY, 12, 5, &dataset, &error));
  assay_cpd_score_options_init (&options);
  g_assert_true (assay_cpd_score_dataset (store, dataset, &options, NULL, NULL, NULL, &run, &error));
  g_assert_no_error (error);
  metrics = assay_cpd_evaluate_run (store, run, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (metrics, "series"), ==, 12);
  g_assert_cmpfloat (json_object_get_double_member (metrics, "auc"), >, 0.85);
  g_assert_true (json_object_has_member (metrics, "type_accuracy"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (metrics, "per_series")), ==, 12);
  /* the graphs were kept: 2 x T x N x N floats per series */
  g_assert_cmpint (assay_store_query_int (store, "SELECT min(length(graphs)) FROM cpd_results", -1),
                   ==, 2 * 100 * 25 * 4);
  for (int d = ASSAY_DETECTOR_BINSEG; d <= ASSAY_DETECTOR_BOCPD; d++)
    {
      g_autoptr (JsonObject) m = NULL;
      options.detector = (AssayDetector) d;
      g_assert_true (assay_cpd_score_dataset (store, dataset, &options, NULL, NULL, NULL, &run, &error));
      m = assay_cpd_evaluate_run (store, run, &error);
      g_assert_nonnull (m);
    }
  g_assert_null (assay_cpd_evaluate_run (store, 9999, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpd/metrics/tcpdbench-values", test_tcpdbench_values);
  g_test_add_func ("/cpd/metrics/f1-no-double-counting", test_f1_no_double_counting);
  g_test_add_func ("/cpd/metrics/auc-tri", test_auc_tri);
  g_test_add_func ("/cpd/simulator/invariants", test_simulator_invariants);
  g_test_add_func ("/cpd/simulator/energy", test_simulator_energy);
  g_test_add_func ("/cpd/simulator/changes", test_simulator_changes);
  g_test_add_func ("/cpd/baselines/pelt-is-optimal", test_pelt_is_optimal);
  g_test_add_func ("/cpd/baselines/binseg", test_binseg_finds_steps);
  g_test_add_func ("/cpd/baselines/bocpd-reference", test_bocpd_matches_reference);
  g_test_add_func ("/cpd/cord/window-graph-reference", test_window_graph_reference);
  g_test_add_func ("/cpd/cord/relational-recovers-springs", test_relational_recovers_springs);
  g_test_add_func ("/cpd/cord/detects-and-types", test_cord_detects_and_types);
  g_test_add_func ("/cpd/cord/zscore-peaks", test_zscore_and_peaks);
  g_test_add_func ("/cpd/import/csv-grid-missing", test_import_csv_grid_and_missing);
  g_test_add_func ("/cpd/import/jsonl-errors", test_import_jsonl_and_errors);
  g_test_add_func ("/cpd/import/tcpd", test_import_tcpd);
  g_test_add_func ("/cpd/pipeline", test_score_and_eval_pipeline);
  return g_test_run ();
}
