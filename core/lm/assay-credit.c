/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-credit.c: see assay-credit.h. */
#include "assay-credit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

double *
assay_credit_tokens (const float *lp, const float *ref, int n)
{
  double *r = g_new (double, MAX (n, 1));

  for (int i = 0; i < n; i++)
    r[i] = isnan (lp[i]) || isnan (ref[i]) ? NAN : (double) lp[i] - (double) ref[i];
  return r;
}

double
assay_credit_sum (const double *r, int n)
{
  double s = 0.0;

  for (int i = 0; i < n; i++)
    if (isfinite (r[i]))
      s += r[i];
  return s;
}

double
assay_credit_mean (const double *r, int n)
{
  double s = 0.0;
  int    k = 0;

  for (int i = 0; i < n; i++)
    if (isfinite (r[i]))
      {
        s += r[i];
        k++;
      }
  return k > 0 ? s / k : 0.0;
}

static void
add_span (GArray *spans, const char *text, gsize begin, gsize end)
{
  AssaySpan s;

  while (begin < end && g_ascii_isspace (text[begin]))
    begin++;
  while (end > begin && g_ascii_isspace (text[end - 1]))
    end--;
  if (end > begin)
    {
      s.begin = (guint) begin;
      s.end = (guint) end;
      g_array_append_val (spans, s);
    }
}

GArray *
assay_credit_steps (const char *response, const char *const *steps, GError **error)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (AssaySpan));
  gsize   len = strlen (response);

  if (steps != NULL && steps[0] != NULL)
    {
      const char *from = response;
      for (guint i = 0; steps[i] != NULL; i++)
        {
          g_autofree char *needle = g_strstrip (g_strdup (steps[i]));
          const char      *at;
          if (*needle == '\0')
            continue;
          if ((at = strstr (from, needle)) == NULL)
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "step %u is not in the response text", i + 1);
              g_array_unref (spans);
              return NULL;
            }
          add_span (spans, response, at - response, at - response + strlen (needle));
          from = at + strlen (needle);
        }
      return spans;
    }
  {
    g_autoptr (GRegex) re = g_regex_new ("(?m)^\\s*Step\\s+\\d+\\s*[:.]", 0, 0, NULL);
    g_autoptr (GMatchInfo) m = NULL;
    GArray *starts = g_array_new (FALSE, FALSE, sizeof (gsize));
    if (g_regex_match (re, response, 0, &m))
      {
        do
          {
            int b, e;
            g_match_info_fetch_pos (m, 0, &b, &e);
            gsize s = (gsize) b;
            g_array_append_val (starts, s);
          }
        while (g_match_info_next (m, NULL));
      }
    if (starts->len >= 2)
      {
        /* text before "Step 1:" belongs to the first step */
        for (guint i = 0; i < starts->len; i++)
          add_span (spans, response, i == 0 ? 0 : g_array_index (starts, gsize, i),
                    i + 1 < starts->len ? g_array_index (starts, gsize, i + 1) : len);
        g_array_unref (starts);
        return spans;
      }
    g_array_unref (starts);
  }
  for (gsize b = 0; b < len;)
    {
      const char *nl = strchr (response + b, '\n');
      gsize       e = nl ? (gsize) (nl - response) : len;
      add_span (spans, response, b, e);
      b = e + 1;
    }
  return spans;
}

double *
assay_credit_step_rewards (const double *r, const guint *offsets, int n_tokens,
                           const AssaySpan *steps, int n_steps)
{
  double *out = g_new0 (double, MAX (n_steps, 1));
  int     k = 0;

  if (n_steps == 0)
    return out;
  for (int i = 0; i < n_tokens; i++)
    {
      guint begin = offsets[2 * i];
      while (k + 1 < n_steps && begin >= steps[k + 1].begin)
        k++;
      if (isfinite (r[i]))
        out[k] += r[i];
    }
  return out;
}

int
assay_credit_first_error (const double *step_rewards, int n_steps, double threshold)
{
  for (int i = 0; i < n_steps; i++)
    if (step_rewards[i] < threshold)
      return i;
  return -1;
}

AssayProcessBenchScore
assay_processbench_score (const int *labels, const int *predicted, int n)
{
  AssayProcessBenchScore s = { 0 };
  int                    hit_err = 0, hit_ok = 0;

  for (int i = 0; i < n; i++)
    {
      if (labels[i] >= 0)
        {
          s.n_erroneous++;
          hit_err += predicted[i] == labels[i];
        }
      else
        {
          s.n_correct++;
          hit_ok += predicted[i] < 0;
        }
    }
  s.acc_erroneous = s.n_erroneous ? (double) hit_err / s.n_erroneous : 0.0;
  s.acc_correct = s.n_correct ? (double) hit_ok / s.n_correct : 0.0;
  s.f1 = s.acc_erroneous + s.acc_correct > 0
           ? 2.0 * s.acc_erroneous * s.acc_correct / (s.acc_erroneous + s.acc_correct)
           : 0.0;
  return s;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double
assay_credit_calibrate (const double *const *step_rewards, const int *n_steps, const int *labels,
                        int n, AssayProcessBenchScore *score)
{
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree int *predicted = g_new (int, MAX (n, 1));
  double          best_t = 0.0;
  AssayProcessBenchScore best = { -1.0 };

  for (int i = 0; i < n; i++)
    for (int j = 0; j < n_steps[i]; j++)
      if (isfinite (step_rewards[i][j]))
        g_array_append_val (values, step_rewards[i][j]);
  if (values->len > 0)
    qsort (values->data, values->len, sizeof (double), cmp_double);
  /* candidates: below all values, midpoints of distinct neighbours, above all */
  for (guint c = 0; c <= values->len; c++)
    {
      double t;
      AssayProcessBenchScore s;
      if (values->len == 0)
        t = 0.0;
      else if (c == 0)
        t = g_array_index (values, double, 0) - 1.0;
      else if (c == values->len)
        t = g_array_index (values, double, c - 1) + 1.0;
      else
        {
          double a = g_array_index (values, double, c - 1), b = g_array_index (values, double, c);
          if (a == b)
            continue;
          t = 0.5 * (a + b);
        }
      for (int i = 0; i < n; i++)
        predicted[i] = assay_credit_first_error (step_rewards[i], n_steps[i], t);
      s = assay_processbench_score (labels, predicted, n);
      if (s.f1 > best.f1)
        {
          best = s;
          best_t = t;
        }
      if (values->len == 0)
        break;
    }
  if (score != NULL)
    *score = best;
  return best_t;
}

double
assay_dpo_loss (double reward_chosen, double reward_rejected, double beta)
{
  double z = beta * (reward_chosen - reward_rejected);

  /* -log sigmoid(z) = log(1 + exp(-z)) */
  return z > 0 ? log1p (exp (-z)) : -z + log1p (exp (z));
}

int
assay_rerank (const char *const *answers, const double *rewards, int n, AssayRerank method)
{
  int    best = -1;
  double best_score = -INFINITY, max_r = -INFINITY;

  if (method == ASSAY_RERANK_BEST_OF_N)
    {
      for (int i = 0; i < n; i++)
        if (answers[i] != NULL && (best < 0 || rewards[i] > rewards[best]))
          best = i;
      return best;
    }
  for (int i = 0; i < n; i++)
    if (answers[i] != NULL && rewards != NULL)
      max_r = fmax (max_r, rewards[i]);
  for (int i = 0; i < n; i++)
    {
      double score = 0.0;
      gboolean seen = FALSE;
      if (answers[i] == NULL)
        continue;
      for (int j = 0; j < i && !seen; j++)
        seen = answers[j] != NULL && g_str_equal (answers[j], answers[i]);
      if (seen)
        continue; /* counted with its first occurrence */
      for (int j = i; j < n; j++)
        if (answers[j] != NULL && g_str_equal (answers[j], answers[i]))
          score += method == ASSAY_RERANK_MAJORITY ? 1.0 : exp (rewards[j] - max_r);
      if (score > best_score)
        {
          best_score = score;
          best = i;
        }
    }
  return best;
}

JsonObject *
assay_rerank_curves (GPtrArray *groups, const char *const *answers, const int *correct,
                     const AssayRerankCurve *curves, guint n_curves)
{
  g_autofree JsonArray **arrays = g_new (JsonArray *, n_curves + 1);
  JsonObject *o;
  JsonArray  *ns;
  guint       max_n = 0, multi = 0;

  for (guint q = 0; q < groups->len; q++)
    {
      max_n = MAX (max_n, ((GArray *) groups->pdata[q])->len);
      multi += ((GArray *) groups->pdata[q])->len >= 2;
    }
  if (multi == 0)
    return NULL;
  ns = json_array_new ();
  for (guint m = 0; m <= n_curves; m++)
    arrays[m] = json_array_new ();
  for (guint n = 1;; n = n * 2 > max_n && n < max_n ? max_n : n * 2)
    {
      g_autofree double *right = g_new0 (double, n_curves + 1);
      g_autofree const char **a = g_new (const char *, n);
      g_autofree double *scores = g_new (double, n);
      guint count = 0;
      for (guint q = 0; q < groups->len; q++)
        {
          GArray  *c = groups->pdata[q];
          gboolean any = FALSE;
          if (c->len < n)
            continue;
          for (guint i = 0; i < n; i++)
            {
              a[i] = answers[g_array_index (c, guint, i)];
              any |= correct[g_array_index (c, guint, i)] == 1;
            }
          for (guint m = 0; m < n_curves; m++)
            {
              int chosen;
              for (guint i = 0; i < n; i++)
                scores[i] = curves[m].scores != NULL ? curves[m].scores[g_array_index (c, guint, i)] : 0.0;
              chosen = assay_rerank (a, scores, (int) n, curves[m].method);
              right[m] += chosen >= 0 && correct[g_array_index (c, guint, chosen)] == 1;
            }
          right[n_curves] += any;
          count++;
        }
      json_array_add_int_element (ns, n);
      for (guint m = 0; m <= n_curves; m++)
        json_array_add_double_element (arrays[m], count > 0 ? right[m] / count : 0.0);
      if (n >= max_n)
        break;
    }
  o = json_object_new ();
  json_object_set_int_member (o, "questions", groups->len);
  json_object_set_array_member (o, "n", ns);
  for (guint m = 0; m < n_curves; m++)
    json_object_set_array_member (o, curves[m].key, arrays[m]);
  json_object_set_array_member (o, "any_correct", arrays[n_curves]);
  return o;
}

GArray *
assay_credit_pairs (const gboolean *correct, int n, guint64 seed, int max_pairs)
{
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GRand) rand = NULL;
  int     n_correct = 0;
  double  acc;

  for (int i = 0; i < n; i++)
    n_correct += correct[i] ? 1 : 0;
  acc = n > 0 ? (double) n_correct / n : 0.0;
  if (n == 0 || acc < 0.25 || acc > 0.85)
    return pairs;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (correct[i] && !correct[j])
        {
          int p[2] = { i, j };
          g_array_append_vals (all, p, 2);
        }
  rand = g_rand_new_with_seed ((guint32) (seed ^ (seed >> 32)));
  /* a partial Fisher-Yates shuffle of the pairs: the first max_pairs are the draw */
  for (int k = 0; k < max_pairs && k < (int) all->len / 2; k++)
    {
      int  m = (int) all->len / 2;
      int  pick = g_rand_int_range (rand, k, m);
      int *d = (int *) all->data;
      int  a = d[2 * k], b = d[2 * k + 1];
      d[2 * k] = d[2 * pick];
      d[2 * k + 1] = d[2 * pick + 1];
      d[2 * pick] = a;
      d[2 * pick + 1] = b;
      g_array_append_vals (pairs, &d[2 * k], 2);
    }
  return pairs;
}
