/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The label model: Dawid-Skene EM against a plain float64 version written here from the
 * equations (products of probabilities, no logarithms), accuracies recovered from signals
 * simulated with known accuracies, coverages and a correlated pair, the reviewer's labels
 * anchoring the fit, and AUROC against a pairwise count. */
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-label-model.h"
#include "assay-test-util.h"

/* ---- the reference: the same EM, written out plainly ---- */

/* M: counts of each category under each class, smoothed (over the known records alone for the
 * labelled start) */
static double
reference_m (const AssayLabelVotes *v, const guint *off, double s, const double *q, gboolean known_only,
             double th[2][64])
{
  double sq = 0, total = 0;

  for (guint i = 0; i < v->n; i++)
    if (!known_only || v->known[i] >= 0)
      {
        sq += q[i];
        total++;
      }
  for (guint j = 0; j < v->m; j++)
    for (guint k = 0; k <= v->n_cat[j]; k++)
      {
        double c1 = 0, c0 = 0;
        for (guint i = 0; i < v->n; i++)
          if ((guint) (v->votes[i * v->m + j] + 1) == k && (!known_only || v->known[i] >= 0))
            {
              c1 += q[i];
              c0 += 1 - q[i];
            }
        th[1][off[j] + k] = (c1 + s) / (sq + s * (v->n_cat[j] + 1));
        th[0][off[j] + k] = (c0 + s) / (total - sq + s * (v->n_cat[j] + 1));
      }
  return (sq + s) / (total + 2 * s);
}

/* E: products of the probabilities; returns the likelihood's logarithm */
static double
reference_e (const AssayLabelVotes *v, const guint *off, double prior, double th[2][64], double *q)
{
  double ll = 0;

  for (guint i = 0; i < v->n; i++)
    {
      double p1 = prior, p0 = 1 - prior;
      for (guint j = 0; j < v->m; j++)
        {
          p1 *= th[1][off[j] + v->votes[i * v->m + j] + 1];
          p0 *= th[0][off[j] + v->votes[i * v->m + j] + 1];
        }
      if (v->known != NULL && v->known[i] >= 0)
        {
          ll += log (v->known[i] ? p1 : p0);
          continue;
        }
      ll += log (p1 + p0);
      q[i] = p1 / (p1 + p0);
    }
  return ll;
}

static double
reference_em (const AssayLabelVotes *v, double s, guint iterations, gboolean labelled, double *q,
              double *prior_out)
{
  guint  m = v->m, n = v->n, off[16] = { 0 };
  double th[2][64], prior, ll;

  g_assert_cmpuint (m, <, 16);
  for (guint j = 0; j < m; j++)
    off[j + 1] = off[j] + v->n_cat[j] + 1;
  g_assert_cmpuint (off[m], <=, 64);
  /* start: majority of leaning votes */
  for (guint i = 0; i < n; i++)
    {
      double good = 0, bad = 0;
      if (v->known != NULL && v->known[i] >= 0)
        {
          q[i] = v->known[i];
          continue;
        }
      for (guint j = 0; j < m; j++)
        {
          int k = v->votes[i * m + j];
          if (k >= 0)
            {
              int lean = v->lean[off[j] - j + k];
              good += lean > 0;
              bad += lean < 0;
            }
        }
      q[i] = (good + 1) / (good + bad + 2);
    }
  if (labelled)
    {
      prior = reference_m (v, off, s, q, TRUE, th);
      reference_e (v, off, prior, th, q);
    }
  for (guint it = 0; it < iterations; it++)
    {
      prior = reference_m (v, off, s, q, FALSE, th);
      reference_e (v, off, prior, th, q);
    }
  prior = reference_m (v, off, s, q, FALSE, th);
  ll = reference_e (v, off, prior, th, q);
  *prior_out = prior;
  return ll;
}

/* ---- simulation ---- */

typedef struct
{
  guint   n, m;
  gint8  *votes;
  guint   n_cat[16];
  gint8   lean[64];
  gint8  *truth;
} Sim;

static void
sim_free (Sim *s)
{
  g_free (s->votes);
  g_free (s->truth);
}

/* A binary function: votes with probability cover; right with probability acc */
static void
sim_binary (Sim *s, GRand *r, guint j, double cover, double acc)
{
  for (guint i = 0; i < s->n; i++)
    s->votes[i * s->m + j] = g_rand_double (r) >= cover ? -1
                             : g_rand_double (r) < acc ? s->truth[i] : 1 - s->truth[i];
}

static void
sim_init (Sim *s, guint n, guint m, double prior, guint64 seed, GRand **r)
{
  memset (s, 0, sizeof *s);
  s->n = n;
  s->m = m;
  s->votes = g_new (gint8, (gsize) n * m);
  s->truth = g_new (gint8, n);
  *r = g_rand_new_with_seed ((guint32) seed);
  for (guint i = 0; i < n; i++)
    s->truth[i] = g_rand_double (*r) < prior;
}

/* The true accuracy of the fitted decision rule of function j on the simulated truth */
static double
true_accuracy (const Sim *s, const AssayLabelModel *model, guint j)
{
  guint right = 0, voted = 0;
  for (guint i = 0; i < s->n; i++)
    {
      int k = s->votes[i * s->m + j];
      if (k < 0)
        continue;
      voted++;
      right += (assay_label_model_category_good (model, j, k) > 0.5) == (s->truth[i] == 1);
    }
  return (double) right / voted;
}

static AssayLabelVotes
sim_votes (const Sim *s, const gint8 *known)
{
  AssayLabelVotes v = { s->n, s->m, s->votes, s->n_cat, s->lean, known };
  return v;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Binary functions (0 bad, 1 good), one that only ever says "bad" (a checker that finds a
 * mistake), a continuous score cut into 5 quantile bins, and a pair whose second copies the
 * first half the time (their errors are correlated beyond the class) */
static void
simulate (Sim *s, guint n, guint64 seed)
{
  GRand *r;
  guint  j = 0, lean_at = 0;
  double *score;
  double  edges[4];

  sim_init (s, n, 8, 0.6, seed, &r);
  for (guint t = 0; t < 8; t++)
    s->n_cat[t] = 2;
  sim_binary (s, r, j++, 0.9, 0.85);
  sim_binary (s, r, j++, 0.5, 0.75);
  sim_binary (s, r, j++, 0.7, 0.65);
  /* the checker: fires on 60% of bad records and 5% of good ones */
  for (guint i = 0; i < n; i++)
    s->votes[i * s->m + j] = g_rand_double (r) < (s->truth[i] ? 0.05 : 0.6) ? 0 : -1;
  j++;
  /* the score: N(y, 1), quantile bins */
  score = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      double u1 = g_rand_double (r), u2 = g_rand_double (r);
      score[i] = s->truth[i] + sqrt (-2 * log (1 - u1)) * cos (2 * G_PI * u2);
    }
  {
    g_autofree double *sorted = g_memdup2 (score, sizeof (double) * n);
    qsort (sorted, n, sizeof (double), cmp_double);
    for (guint b = 0; b < 4; b++)
      edges[b] = sorted[(b + 1) * n / 5];
  }
  s->n_cat[j] = 5;
  for (guint i = 0; i < n; i++)
    {
      int b = 0;
      while (b < 4 && score[i] >= edges[b])
        b++;
      s->votes[i * s->m + j] = (gint8) b;
    }
  g_free (score);
  j++;
  /* the correlated pair */
  sim_binary (s, r, j, 0.8, 0.7);
  for (guint i = 0; i < n; i++)
    s->votes[i * s->m + j + 1] = g_rand_double (r) < 0.5 ? s->votes[i * s->m + j]
                                 : g_rand_double (r) < 0.7 ? s->truth[i] : 1 - s->truth[i];
  j += 2;
  sim_binary (s, r, j++, 1.0, 0.55);
  g_assert_cmpuint (j, ==, 8);
  for (guint t = 0; t < 8; t++)
    {
      for (guint k = 0; k < s->n_cat[t]; k++)
        s->lean[lean_at + k] = s->n_cat[t] == 2 ? (k == 1 ? 1 : -1)
                               : (k < s->n_cat[t] / 2 ? -1 : k > s->n_cat[t] / 2 ? 1 : 0);
      lean_at += s->n_cat[t];
    }
  g_rand_free (r);
}

static void
test_reference (void)
{
  Sim s;
  g_autoptr (GError) error = NULL;
  AssayLabelModelOptions o;
  g_autofree double *q = NULL;
  g_autofree gint8 *known = NULL;
  double prior, ll;

  simulate (&s, 3000, 7);
  q = g_new (double, s.n);
  known = g_new (gint8, s.n);
  for (guint i = 0; i < s.n; i++)
    known[i] = i % 10 == 0 ? s.truth[i] : -1;
  for (int with_known = 0; with_known < 2; with_known++)
    {
      AssayLabelVotes v = sim_votes (&s, with_known ? known : NULL);
      g_autoptr (AssayLabelModel) model = NULL;
      double worst = 0;

      /* a fixed number of iterations on both sides */
      assay_label_model_options_init (&o);
      o.tol = 0;
      o.max_iter = 25;
      o.dependence = 0;
      model = assay_label_model_fit (&v, &o, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (model->iterations, ==, 25);
      /* the better of the two starts when labels are known */
      ll = reference_em (&v, 1.0, 25, FALSE, q, &prior);
      if (with_known)
        {
          g_autofree double *q2 = g_new (double, s.n);
          double prior2, ll2 = reference_em (&v, 1.0, 25, TRUE, q2, &prior2);
          g_test_message ("log-likelihood from the majority %.6f, from the labels %.6f", ll, ll2);
          if (ll2 > ll + 1e-9)
            {
              memcpy (q, q2, sizeof (double) * s.n);
              prior = prior2;
              ll = ll2;
            }
        }
      g_assert_cmpfloat (fabs (model->loglik - ll), <, 1e-8 * fabs (ll));
      for (guint i = 0; i < s.n; i++)
        worst = MAX (worst, fabs (model->p_good[i] - q[i]));
      g_test_message ("with known labels %d: worst |q - q_ref| %.3g, prior %.6f / %.6f", with_known, worst,
                      model->prior, prior);
      g_assert_cmpfloat (worst, <, 1e-12);
      g_assert_cmpfloat (fabs (model->prior - prior), <, 1e-12);
      if (with_known)
        for (guint i = 0; i < s.n; i += 10)
          g_assert_cmpfloat (model->p_good[i], ==, s.truth[i]);
    }
  sim_free (&s);
}

static void
test_recovers_accuracies (void)
{
  Sim s;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLabelModel) model = NULL;
  AssayLabelVotes v;
  g_autofree double *mv = NULL;
  double auroc, auroc_mv, true_prior = 0;

  simulate (&s, 20000, 11);
  v = sim_votes (&s, NULL);
  model = assay_label_model_fit (&v, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (model->converged);
  for (guint i = 0; i < s.n; i++)
    true_prior += s.truth[i];
  true_prior /= s.n;
  g_test_message ("prior %.4f (true %.4f), %u iterations", model->prior, true_prior, model->iterations);
  g_assert_cmpfloat (fabs (model->prior - true_prior), <, 0.03);
  for (guint j = 0; j < s.m; j++)
    {
      double t = true_accuracy (&s, model, j);
      g_test_message ("signal %u: coverage %.3f, accuracy %.4f (true %.4f)", j, model->coverage[j],
                      model->accuracy[j], t);
      g_assert_cmpfloat (fabs (model->accuracy[j] - t), <=, 0.03);
    }
  /* the pair that shares its errors beyond the class is found, and only it */
  g_assert_cmpuint (model->dependent->len, ==, 2);
  g_assert_cmpuint (g_array_index (model->dependent, guint, 0), ==, 5);
  g_assert_cmpuint (g_array_index (model->dependent, guint, 1), ==, 6);
  /* modelled as independent, the pair's accuracies come out inflated */
  {
    AssayLabelModelOptions o;
    g_autoptr (AssayLabelModel) naive = NULL;
    assay_label_model_options_init (&o);
    o.dependence = 0;
    naive = assay_label_model_fit (&v, &o, &error);
    g_assert_no_error (error);
    g_test_message ("independent model: pair accuracies %.4f %.4f (true %.4f %.4f)", naive->accuracy[5],
                    naive->accuracy[6], true_accuracy (&s, naive, 5), true_accuracy (&s, naive, 6));
    g_assert_cmpfloat (naive->accuracy[5] - true_accuracy (&s, naive, 5), >, 0.03);
  }
  /* P(good) ranks better than the plain majority of the votes */
  mv = g_new (double, s.n);
  for (guint i = 0; i < s.n; i++)
    {
      double sum = 0;
      for (guint j = 0; j < s.m; j++)
        {
          int k = s.votes[i * s.m + j];
          if (k >= 0)
            sum += s.n_cat[j] == 2 ? (k == 1 ? 1 : -1) : (k - 2) / 2.0;
        }
      mv[i] = sum;
    }
  auroc = assay_auroc (model->p_good, s.truth, s.n);
  auroc_mv = assay_auroc (mv, s.truth, s.n);
  g_test_message ("AUROC: label model %.4f, majority vote %.4f", auroc, auroc_mv);
  g_assert_cmpfloat (auroc, >, auroc_mv + 0.01);
  sim_free (&s);
}

/* Without the reviewer, EM can settle on the mirror image when most signals are worse than
 * chance; labels on a few records pull it back. */
static void
test_known_labels_anchor (void)
{
  Sim s;
  GRand *r;
  g_autoptr (GError) error = NULL;
  g_autofree gint8 *known = NULL;
  AssayLabelVotes v;

  sim_init (&s, 5000, 4, 0.5, 3, &r);
  for (guint j = 0; j < 4; j++)
    {
      s.n_cat[j] = 2;
      s.lean[2 * j] = -1;
      s.lean[2 * j + 1] = 1;
    }
  /* three of four signals vote the opposite way most of the time */
  sim_binary (&s, r, 0, 1.0, 0.2);
  sim_binary (&s, r, 1, 1.0, 0.25);
  sim_binary (&s, r, 2, 1.0, 0.3);
  sim_binary (&s, r, 3, 1.0, 0.9);
  known = g_new (gint8, s.n);
  for (guint i = 0; i < s.n; i++)
    known[i] = i < 100 ? s.truth[i] : -1;
  for (int with_known = 0; with_known < 2; with_known++)
    {
      g_autoptr (AssayLabelModel) model = NULL;
      double auroc;
      v = sim_votes (&s, with_known ? known : NULL);
      model = assay_label_model_fit (&v, NULL, &error);
      g_assert_no_error (error);
      auroc = assay_auroc (model->p_good + 100, s.truth + 100, s.n - 100);
      g_test_message ("100 labels %d: AUROC %.4f", with_known, auroc);
      if (with_known)
        g_assert_cmpfloat (auroc, >, 0.95);
      else
        g_assert_cmpfloat (auroc, <, 0.1); /* the mirror image */
    }
  g_rand_free (r);
  sim_free (&s);
}

static void
test_auroc (void)
{
  GRand *r = g_rand_new_with_seed (5);
  double score[500];
  gint8  truth[500];

  for (int round = 0; round < 3; round++)
    {
      double pairs = 0, wins = 0;
      for (guint i = 0; i < 500; i++)
        {
          truth[i] = g_rand_int_range (r, 0, 3) - (round == 2 ? 1 : 0) * (i % 7 == 0); /* some -1 */
          truth[i] = MIN (truth[i], 1);
          score[i] = round == 0 ? g_rand_int_range (r, 0, 5) : g_rand_double (r) + truth[i] * 0.3;
          if (i % 11 == 0)
            score[i] = NAN;
        }
      for (guint a = 0; a < 500; a++)
        for (guint b = 0; b < 500; b++)
          if (truth[a] == 1 && truth[b] == 0 && !isnan (score[a]) && !isnan (score[b]))
            {
              pairs++;
              wins += score[a] > score[b] ? 1 : score[a] == score[b] ? 0.5 : 0;
            }
      g_assert_cmpfloat (fabs (assay_auroc (score, truth, 500) - wins / pairs), <, 1e-12);
    }
  truth[0] = 1;
  for (guint i = 1; i < 500; i++)
    truth[i] = 1;
  g_assert_true (isnan (assay_auroc (score, truth, 500)));
  g_rand_free (r);
}

static void
test_bad_votes (void)
{
  gint8 votes[4] = { 0, 1, 2, -1 };
  guint n_cat[2] = { 2, 2 };
  AssayLabelVotes v = { 2, 2, votes, n_cat, NULL, NULL };
  g_autoptr (GError) error = NULL;
  AssayLabelModel *model = assay_label_model_fit (&v, NULL, &error);

  g_assert_null (model);
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "record 2: signal 1"));
  g_clear_error (&error);
  v.n = 0;
  g_assert_null (assay_label_model_fit (&v, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
}

/* The matrix-completion loss written here from its definition (float64, every pair of rows of
 * different functions, both orders), at mu (rows: the functions' categories in order) and p */
static double
mc_reference_loss (const Sim *s, const double *mu0, const double *mu1, double p)
{
  guint  d = 0, fn[64], row0[16];
  double O[64][64] = { { 0 } }, loss = 0;

  for (guint j = 0; j < s->m; j++)
    {
      row0[j] = d;
      for (guint k = 0; k < s->n_cat[j]; k++)
        fn[d++] = j;
    }
  for (guint i = 0; i < s->n; i++)
    for (guint a = 0; a < s->m; a++)
      for (guint b = 0; b < s->m; b++)
        if (s->votes[i * s->m + a] >= 0 && s->votes[i * s->m + b] >= 0)
          O[row0[a] + s->votes[i * s->m + a]][row0[b] + s->votes[i * s->m + b]] += 1.0 / s->n;
  for (guint r = 0; r < d; r++)
    {
      double e = (1 - p) * mu0[r] + p * mu1[r] - O[r][r];
      loss += e * e;
      for (guint t = 0; t < d; t++)
        if (fn[t] != fn[r])
          {
            double f = O[r][t] - ((1 - p) * mu0[r] * mu0[t] + p * mu1[r] * mu1[t]);
            loss += f * f;
          }
    }
  return loss;
}

/* Snorkel's matrix-completion model on conditionally independent signals: the accuracies within
 * 0.03 of the truth, the prior too, its loss at or below the loss of the true conditional
 * probabilities (measured on the same records), and P(good) ranking above the majority vote. */
static void
test_matrix_completion (void)
{
  Sim s;
  GRand *r;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLabelModel) mc = NULL, ds = NULL;
  AssayLabelModelOptions o;
  AssayLabelVotes v;
  double true_prior = 0, mu0[64], mu1[64], fit0[64], fit1[64], at_truth, at_fit;
  guint lean_at = 0, d = 0;
  g_autofree double *mv = NULL;

  sim_init (&s, 20000, 7, 0.6, 5, &r);
  for (guint t = 0; t < 7; t++)
    s.n_cat[t] = 2;
  sim_binary (&s, r, 0, 0.9, 0.85);
  sim_binary (&s, r, 1, 0.5, 0.75);
  sim_binary (&s, r, 2, 0.7, 0.65);
  for (guint i = 0; i < s.n; i++)
    s.votes[i * s.m + 3] = g_rand_double (r) < (s.truth[i] ? 0.05 : 0.6) ? 0 : -1;
  s.n_cat[4] = 3; /* a three-way judge: bad, unsure, good */
  for (guint i = 0; i < s.n; i++)
    {
      double u = g_rand_double (r);
      s.votes[i * s.m + 4] = s.truth[i] ? (u < 0.1 ? 0 : u < 0.4 ? 1 : 2) : (u < 0.55 ? 0 : u < 0.85 ? 1 : 2);
    }
  sim_binary (&s, r, 5, 0.8, 0.7);
  sim_binary (&s, r, 6, 1.0, 0.58);
  g_rand_free (r);
  for (guint t = 0; t < 7; t++)
    for (guint k = 0; k < s.n_cat[t]; k++)
      s.lean[lean_at++] = s.n_cat[t] == 2 ? (k == 1 ? 1 : -1) : (k == 0 ? -1 : k == 2 ? 1 : 0);
  for (guint i = 0; i < s.n; i++)
    true_prior += s.truth[i];
  true_prior /= s.n;

  v = sim_votes (&s, NULL);
  assay_label_model_options_init (&o);
  o.matrix_completion = TRUE;
  o.class_balance = true_prior; /* (as a Snorkel user gives it) */
  mc = assay_label_model_fit (&v, &o, &error);
  g_assert_no_error (error);
  g_assert_true (mc->converged);
  g_test_message ("matrix completion: prior %.4f (true %.4f), %u iterations", mc->prior, true_prior, mc->iterations);
  for (guint j = 0; j < s.m; j++)
    {
      double t = true_accuracy (&s, mc, j);
      g_test_message ("signal %u: accuracy %.4f (true %.4f)", j, mc->accuracy[j], t);
      g_assert_cmpfloat (fabs (mc->accuracy[j] - t), <=, 0.03);
    }
  /* the loss: at the fit against at the truth's conditional probabilities (the model's theta
   * is normalised with abstain; the loss takes P(answer | y) as theta gives it) */
  for (guint j = 0; j < s.m; j++)
    {
      guint n_y[2] = { 0, 0 }, c[2][8] = { { 0 } };
      for (guint i = 0; i < s.n; i++)
        {
          int k = s.votes[i * s.m + j];
          n_y[s.truth[i]]++;
          if (k >= 0)
            c[s.truth[i]][k]++;
        }
      for (guint k = 0; k < s.n_cat[j]; k++, d++)
        {
          mu0[d] = (double) c[0][k] / n_y[0];
          mu1[d] = (double) c[1][k] / n_y[1];
          fit0[d] = assay_label_model_theta (mc, j, 0, (int) k);
          fit1[d] = assay_label_model_theta (mc, j, 1, (int) k);
        }
    }
  at_truth = mc_reference_loss (&s, mu0, mu1, true_prior);
  at_fit = mc_reference_loss (&s, fit0, fit1, mc->prior);
  g_test_message ("loss at the fit %.3e, at the truth %.3e (the model says %.3e)", at_fit, at_truth, -mc->loglik);
  g_assert_cmpfloat (at_fit, <=, at_truth);
  /* the class balance from 200 known labels (the reviewer's decisions), as from Snorkel's Y_dev;
   * uniform without them */
  {
    g_autofree gint8 *known = g_new (gint8, s.n);
    g_autoptr (AssayLabelModel) with = NULL, uniform = NULL;
    AssayLabelVotes vk;
    double worst = 0;
    for (guint i = 0; i < s.n; i++)
      known[i] = i % 100 == 7 ? s.truth[i] : -1;
    vk = sim_votes (&s, known);
    o.class_balance = NAN;
    with = assay_label_model_fit (&vk, &o, &error);
    g_assert_no_error (error);
    for (guint j = 0; j < s.m; j++)
      worst = MAX (worst, fabs (with->accuracy[j] - true_accuracy (&s, with, j)));
    g_test_message ("with 200 known labels: prior %.4f, worst accuracy error %.4f", with->prior, worst);
    g_assert_cmpfloat (fabs (with->prior - true_prior), <, 0.03);
    g_assert_cmpfloat (worst, <=, 0.03);
    uniform = assay_label_model_fit (&v, &o, &error);
    g_assert_no_error (error);
    worst = 0;
    for (guint j = 0; j < s.m; j++)
      worst = MAX (worst, fabs (uniform->accuracy[j] - true_accuracy (&s, uniform, j)));
    g_test_message ("uniform class balance (Snorkel's default): worst accuracy error %.4f, AUROC %.4f", worst,
                    assay_auroc (uniform->p_good, s.truth, s.n));
    g_assert_cmpfloat (uniform->prior, ==, 0.5);
  }
  /* P(good) ranks above the majority vote, near Dawid-Skene's */
  mv = g_new (double, s.n);
  for (guint i = 0; i < s.n; i++)
    {
      double sum = 0;
      for (guint j = 0; j < s.m; j++)
        {
          int k = s.votes[i * s.m + j];
          if (k >= 0)
            sum += s.n_cat[j] == 2 ? (k == 1 ? 1 : -1) : k - 1;
        }
      mv[i] = sum;
    }
  ds = assay_label_model_fit (&v, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("AUROC: matrix completion %.4f, Dawid-Skene %.4f, majority vote %.4f",
                  assay_auroc (mc->p_good, s.truth, s.n), assay_auroc (ds->p_good, s.truth, s.n),
                  assay_auroc (mv, s.truth, s.n));
  g_assert_cmpfloat (assay_auroc (mc->p_good, s.truth, s.n), >, assay_auroc (mv, s.truth, s.n) + 0.01);
  g_assert_cmpfloat (assay_auroc (mc->p_good, s.truth, s.n), >, assay_auroc (ds->p_good, s.truth, s.n) - 0.01);
  sim_free (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/label-model/reference", test_reference);
  g_test_add_func ("/label-model/recovers-accuracies", test_recovers_accuracies);
  g_test_add_func ("/label-model/known-labels-anchor", test_known_labels_anchor);
  g_test_add_func ("/label-model/auroc", test_auroc);
  g_test_add_func ("/label-model/bad-votes", test_bad_votes);
  g_test_add_func ("/label-model/matrix-completion", test_matrix_completion);
  return g_test_run ();
}
