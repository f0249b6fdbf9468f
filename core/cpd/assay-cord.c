/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cord.h"
#include "assay-cord-model.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

#define MAX_STORED_GRAPH_FLOATS ((gsize) 32 << 20)

void
assay_cord_options_init (AssayCordOptions *options)
{
  options->encoder = ASSAY_CORD_ENCODER_RELATIONAL;
  options->window = 20;
  options->k = 1;
  options->alpha = 0.75;
  options->tau = 0.0;
  options->threshold = 4.0;
  options->min_distance = 0; /* 0: the window */
  options->keep_graphs = TRUE;
}

gboolean
assay_cord_parse_encoder (const char *name, AssayCordEncoder *encoder)
{
  if (g_strcmp0 (name, "window") == 0)
    *encoder = ASSAY_CORD_ENCODER_WINDOW;
  else if (g_strcmp0 (name, "relational") == 0)
    *encoder = ASSAY_CORD_ENCODER_RELATIONAL;
  else if (g_strcmp0 (name, "learned") == 0)
    *encoder = ASSAY_CORD_ENCODER_LEARNED;
  else
    return FALSE;
  return TRUE;
}

const char *
assay_cord_encoder_name (AssayCordEncoder encoder)
{
  return encoder == ASSAY_CORD_ENCODER_WINDOW ? "window" : encoder == ASSAY_CORD_ENCODER_LEARNED ? "learned" : "relational";
}

void
assay_cord_result_free (AssayCordResult *result)
{
  if (result == NULL)
    return;
  g_free (result->s_r);
  g_free (result->s_d);
  g_free (result->s_en);
  g_free (result->graphs_before);
  g_free (result->graphs_after);
  g_free (result->forecast);
  g_clear_pointer (&result->change_points, g_array_unref);
  g_clear_pointer (&result->change_types, g_array_unref);
  g_free (result);
}

/* ---- small dense solver ------------------------------------------------------------------ */

/* Solves G c = r (n x n, symmetric positive semi-definite) with a tiny ridge; G and r are
 * overwritten. Gaussian elimination with partial pivoting. */
static void
solve (double *G, double *r, int n, double *c)
{
  double trace = 0.0;

  for (int i = 0; i < n; i++)
    trace += G[i * n + i];
  for (int i = 0; i < n; i++)
    G[i * n + i] += 1e-9 * (trace / MAX (n, 1)) + 1e-300;
  for (int col = 0; col < n; col++)
    {
      int    pivot = col;
      double best = fabs (G[col * n + col]);
      for (int row = col + 1; row < n; row++)
        if (fabs (G[row * n + col]) > best)
          {
            best = fabs (G[row * n + col]);
            pivot = row;
          }
      if (best < 1e-300)
        continue;
      if (pivot != col)
        {
          for (int k = 0; k < n; k++)
            {
              double t = G[col * n + k];
              G[col * n + k] = G[pivot * n + k];
              G[pivot * n + k] = t;
            }
          {
            double t = r[col];
            r[col] = r[pivot];
            r[pivot] = t;
          }
        }
      for (int row = col + 1; row < n; row++)
        {
          double f = G[row * n + col] / G[col * n + col];
          if (f == 0.0)
            continue;
          for (int k = col; k < n; k++)
            G[row * n + k] -= f * G[col * n + k];
          r[row] -= f * r[col];
        }
    }
  for (int row = n - 1; row >= 0; row--)
    {
      double v = r[row];
      for (int k = row + 1; k < n; k++)
        v -= G[row * n + k] * c[k];
      c[row] = fabs (G[row * n + row]) > 1e-300 ? v / G[row * n + row] : 0.0;
    }
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, gsize n)
{
  if (n == 0)
    return 0.0;
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- encoders ------------------------------------------------------------------------------ */

void
assay_cord_window_graph (AssaySeries *series, guint a, guint b, float *A)
{
  const guint N = series->N, M = series->M;

  memset (A, 0, (gsize) N * N * sizeof (float));
  if (b < a + 3)
    return;
  for (guint m = 0; m < M; m++)
    {
      double mean[64], var[64];
      double *mu = N <= 64 ? mean : g_new (double, N), *sd = N <= 64 ? var : g_new (double, N);
      guint   n = b - a;

      for (guint i = 0; i < N; i++)
        {
          double s = 0, ss = 0;
          for (guint t = a; t < b; t++)
            s += assay_series_at (series, t, i)[m];
          mu[i] = s / n;
          for (guint t = a; t < b; t++)
            {
              double d = assay_series_at (series, t, i)[m] - mu[i];
              ss += d * d;
            }
          sd[i] = sqrt (ss);
        }
      for (guint i = 0; i < N; i++)
        for (guint j = i + 1; j < N; j++)
          {
            double cov = 0, r;
            if (sd[i] < 1e-12 || sd[j] < 1e-12)
              continue;
            for (guint t = a; t < b; t++)
              cov += (assay_series_at (series, t, i)[m] - mu[i])
                     * (assay_series_at (series, t, j)[m] - mu[j]);
            r = fabs (cov / (sd[i] * sd[j])) / M;
            A[i * N + j] += (float) r;
            A[j * N + i] += (float) r;
          }
      if (mu != mean)
        {
          g_free (mu);
          g_free (sd);
        }
    }
}

/* Which features drive which: positions -> velocities for (x, y, vx, vy), else each to itself. */
static guint
feature_pairs (AssaySeries *series, guint *src, guint *tgt)
{
  char **f = series->feat_names;

  if (series->M == 4 && f != NULL && g_strcmp0 (f[0], "x") == 0 && g_strcmp0 (f[1], "y") == 0
      && g_strcmp0 (f[2], "vx") == 0 && g_strcmp0 (f[3], "vy") == 0)
    {
      src[0] = 0, tgt[0] = 2;
      src[1] = 1, tgt[1] = 3;
      return 2;
    }
  for (guint m = 0; m < series->M; m++)
    src[m] = tgt[m] = m;
  return series->M;
}

void
assay_cord_relational_coefficients (AssaySeries *series, guint a, guint b, float *C)
{
  const guint N = series->N;
  const int   P = (int) N - 1;
  guint      *src = g_new (guint, series->M), *tgt = g_new (guint, series->M);
  guint       n_pairs = feature_pairs (series, src, tgt);
  gsize       rows = b > a + 1 ? (gsize) (b - a - 1) * n_pairs : 0;
  double     *Z = g_new (double, MAX (rows * MAX (P, 1), 1));
  double     *y = g_new (double, MAX (rows, 1));
  double     *res = g_new (double, MAX (rows, 1));
  gboolean   *keep = g_new (gboolean, MAX (rows, 1));
  double     *G = g_new (double, MAX (P * P, 1)), *r = g_new (double, MAX (P, 1));
  double     *c = g_new (double, MAX (P, 1));
  float      *raw = g_new0 (float, (gsize) N * N);

  memset (C, 0, (gsize) N * N * sizeof (float));
  if (N < 2 || rows < (gsize) P + 1)
    goto out;
  for (guint i = 0; i < N; i++)
    {
      gsize q = 0;
      for (guint s = a; s + 1 < b; s++)
        for (guint d = 0; d < n_pairs; d++, q++)
          {
            int col = 0;
            y[q] = assay_series_at (series, s + 1, i)[tgt[d]] - assay_series_at (series, s, i)[tgt[d]];
            for (guint j = 0; j < N; j++)
              if (j != i)
                Z[q * P + col++] = assay_series_at (series, s, j)[src[d]]
                                   - assay_series_at (series, s, i)[src[d]];
            keep[q] = TRUE;
          }
      /* Trimmed least squares: fit, drop residuals beyond 5 MADs (walls, jumps), refit */
      for (int iteration = 0; iteration < 2; iteration++)
        {
          gsize n_keep = 0;
          memset (G, 0, sizeof (double) * P * P);
          memset (r, 0, sizeof (double) * P);
          for (gsize q2 = 0; q2 < rows; q2++)
            {
              if (!keep[q2])
                continue;
              for (int u = 0; u < P; u++)
                {
                  r[u] += Z[q2 * P + u] * y[q2];
                  for (int v = 0; v < P; v++)
                    G[u * P + v] += Z[q2 * P + u] * Z[q2 * P + v];
                }
            }
          solve (G, r, P, c);
          if (iteration == 1)
            break;
          for (gsize q2 = 0; q2 < rows; q2++)
            {
              double pred = 0;
              for (int u = 0; u < P; u++)
                pred += Z[q2 * P + u] * c[u];
              res[n_keep++] = fabs (pred - y[q2]);
            }
          {
            g_autofree double *sorted = g_memdup2 (res, rows * sizeof (double));
            double             mad = median (sorted, rows) + 1e-12;
            for (gsize q2 = 0; q2 < rows; q2++)
              keep[q2] = res[q2] <= 5.0 * mad;
          }
        }
      {
        int col = 0;
        for (guint j = 0; j < N; j++)
          if (j != i)
            raw[i * N + j] = (float) fabs (c[col++]);
      }
    }
  for (guint i = 0; i < N; i++)
    for (guint j = 0; j < N; j++)
      if (i != j)
        C[i * N + j] = 0.5f * (raw[i * N + j] + raw[j * N + i]);
out:
  g_free (src);
  g_free (tgt);
  g_free (Z);
  g_free (y);
  g_free (res);
  g_free (keep);
  g_free (G);
  g_free (r);
  g_free (c);
  g_free (raw);
}

static void
encode (AssaySeries *series, AssayCordEncoder encoder, guint a, guint b, float *A)
{
  if (encoder == ASSAY_CORD_ENCODER_WINDOW)
    assay_cord_window_graph (series, a, b, A);
  else
    assay_cord_relational_coefficients (series, a, b, A);
}

/* ---- scores ---------------------------------------------------------------------------------- */

void
assay_cord_zscore (float *v, guint n)
{
  double sum = 0, ss = 0, mean, sd;

  for (guint i = 0; i < n; i++)
    sum += isfinite (v[i]) ? v[i] : 0.0;
  mean = n > 0 ? sum / n : 0.0;
  for (guint i = 0; i < n; i++)
    {
      double d = (isfinite (v[i]) ? v[i] : 0.0) - mean;
      ss += d * d;
    }
  sd = n > 1 ? sqrt (ss / n) : 0.0;
  for (guint i = 0; i < n; i++)
    v[i] = sd > 1e-12 ? (float) (((isfinite (v[i]) ? v[i] : 0.0) - mean) / sd) : 0.0f;
}

typedef struct
{
  guint t;
  float v;
} Peak;

static int
cmp_peak (const void *a, const void *b)
{
  float x = ((const Peak *) a)->v, y = ((const Peak *) b)->v;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int
cmp_guint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

GArray *
assay_cord_peaks (const float *score, guint T, double threshold, guint min_distance)
{
  GArray *peaks = g_array_new (FALSE, FALSE, sizeof (Peak));
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint t = 0; t < T; t++)
    {
      float v = score[t];
      if (!(v >= threshold))
        continue;
      if ((t > 0 && score[t - 1] > v) || (t + 1 < T && score[t + 1] > v))
        continue;
      g_array_append_val (peaks, ((Peak) { t, v }));
    }
  if (peaks->len > 1)
    qsort (peaks->data, peaks->len, sizeof (Peak), cmp_peak);
  for (guint i = 0; i < peaks->len; i++)
    {
      guint    t = g_array_index (peaks, Peak, i).t;
      gboolean near = FALSE;
      for (guint j = 0; j < out->len && !near; j++)
        {
          guint u = g_array_index (out, guint, j);
          near = (t > u ? t - u : u - t) < MAX (min_distance, 1);
        }
      if (!near)
        g_array_append_val (out, t);
    }
  g_array_unref (peaks);
  g_array_sort (out, cmp_guint);
  return out;
}

/* The one-step errors e(s) of the linear message-passing decoder (e(0) = 0). graphs[s] is the
 * graph for predicting step s+1 from step s (N x N each), used to fit; the error of a step is
 * the smaller of those under graphs[s] and under alt[s] (the graph of the window ahead): a
 * change that some local graph explains is not an independent change. */
static void
decoder_errors (AssaySeries *series, const float *graphs, const float *alt, float *e,
                float *forecast)
{
  const guint T = series->T, N = series->N, M = series->M;
  const int   P = (int) (2 * M + 1);
  double     *mu = g_new0 (double, M), *sd = g_new0 (double, M);
  double     *phi = g_new (double, P), *G = g_new (double, P * P), *r = g_new (double, P);
  double     *Gw = g_new (double, P * P), *R = g_new (double, (gsize) P * M);
  double     *W = g_new0 (double, (gsize) P * M), *c = g_new (double, P);
  double     *err = g_new0 (double, MAX ((gsize) T * N, 1));
  double      cutoff = INFINITY;
  double     *delta_buffer = g_new (double, 2 * (gsize) N * M);

  /* Standardise each feature over all steps and variables */
  for (guint m = 0; m < M; m++)
    {
      double s = 0, ss = 0;
      for (guint t = 0; t < T; t++)
        for (guint n = 0; n < N; n++)
          s += assay_series_at (series, t, n)[m];
      mu[m] = s / MAX ((gsize) T * N, 1);
      for (guint t = 0; t < T; t++)
        for (guint n = 0; n < N; n++)
          {
            double d = assay_series_at (series, t, n)[m] - mu[m];
            ss += d * d;
          }
      sd[m] = sqrt (ss / MAX ((gsize) T * N, 1));
      if (sd[m] < 1e-12)
        sd[m] = 1.0;
    }
#define X(t, n, m) ((assay_series_at (series, (t), (n))[m] - mu[m]) / sd[m])
/* phi = [x_i(s); sum_j A_ij (x_j(s) - x_i(s)); 1], standardised */
#define FEATURES(A, s, i)                                                                          \
  do                                                                                               \
    {                                                                                              \
      for (guint m_ = 0; m_ < M; m_++)                                                             \
        {                                                                                          \
          double msg_ = 0;                                                                         \
          phi[m_] = X (s, i, m_);                                                                  \
          for (guint j_ = 0; j_ < N; j_++)                                                         \
            if (j_ != (i))                                                                         \
              msg_ += (A)[(i) * N + j_] * (X (s, j_, m_) - X (s, i, m_));                          \
          phi[M + m_] = msg_;                                                                      \
        }                                                                                          \
      phi[2 * M] = 1.0;                                                                            \
    }                                                                                              \
  while (0)

  for (int iteration = 0; iteration < 2; iteration++)
    {
      /* Fit: one normal system G c = r_out shared by the M outputs (G built once) */
      memset (G, 0, sizeof (double) * P * P);
      memset (R, 0, sizeof (double) * P * M);
      for (guint s = 0; s + 1 < T; s++)
        {
          const float *A = graphs + (gsize) s * N * N;
          for (guint i = 0; i < N; i++)
            {
              if (err[(gsize) (s + 1) * N + i] > cutoff)
                continue;
              FEATURES (A, s, i);
              for (int u = 0; u < P; u++)
                {
                  for (guint out = 0; out < M; out++)
                    R[(gsize) out * P + u] += phi[u] * (X (s + 1, i, out) - X (s, i, out));
                  for (int v = 0; v < P; v++)
                    G[u * P + v] += phi[u] * phi[v];
                }
            }
        }
      for (guint out = 0; out < M; out++)
        {
          /* solve() overwrites its system */
          memcpy (Gw, G, sizeof (double) * P * P);
          memcpy (r, R + (gsize) out * P, sizeof (double) * P);
          solve (Gw, r, P, c);
          for (int u = 0; u < P; u++)
            W[u * M + out] = c[u];
        }
      /* Errors per (step, variable); then drop the worst outliers (walls, glitches) and refit */
      for (guint s = 0; s + 1 < T; s++)
        {
          double best[2] = { 0, 0 };
          double *deltas = iteration == 1 && forecast != NULL ? delta_buffer : NULL;
          for (int which = 0; which < (iteration == 1 && alt != NULL ? 2 : 1); which++)
            {
              const float *A = (which == 0 ? graphs : alt) + (gsize) s * N * N;
              for (guint i = 0; i < N; i++)
                {
                  double sq = 0;
                  FEATURES (A, s, i);
                  for (guint out = 0; out < M; out++)
                    {
                      double pred = 0;
                      for (int u = 0; u < P; u++)
                        pred += phi[u] * W[u * M + out];
                      if (deltas != NULL)
                        deltas[((gsize) which * N + i) * M + out] = pred;
                      pred -= X (s + 1, i, out) - X (s, i, out);
                      sq += pred * pred;
                    }
                  if (which == 0)
                    err[(gsize) (s + 1) * N + i] = sq / M;
                  best[which] += sq / M;
                }
            }
          if (iteration == 1 && alt != NULL && best[1] < best[0])
            for (guint i = 0; i < N; i++)
              err[(gsize) (s + 1) * N + i] *= best[1] / MAX (best[0], 1e-300);
          if (deltas != NULL)
            {
              int which = alt != NULL && best[1] < best[0] ? 1 : 0;
              for (guint i = 0; i < N; i++)
                for (guint m = 0; m < M; m++)
                  forecast[((gsize) (s + 1) * N + i) * M + m] =
                    (float) ((X (s, i, m) + deltas[((gsize) which * N + i) * M + m]) * sd[m] + mu[m]);
            }
        }
      if (iteration == 0 && T > 2)
        {
          gsize              n = (gsize) (T - 1) * N;
          g_autofree double *sorted = g_memdup2 (err + N, n * sizeof (double));
          cutoff = 10.0 * median (sorted, n) + 1e-12;
        }
    }
  e[0] = 0.0f;
  for (guint s = 1; s < T; s++)
    {
      double sum = 0;
      for (guint i = 0; i < N; i++)
        sum += err[(gsize) s * N + i];
      e[s] = (float) (sum / N);
    }
#undef FEATURES
#undef X
  g_free (mu);
  g_free (sd);
  g_free (phi);
  g_free (G);
  g_free (Gw);
  g_free (R);
  g_free (r);
  g_free (W);
  g_free (c);
  g_free (err);
  g_free (delta_buffer);
}

AssayCordResult *
assay_cord_score (AssaySeries *series, const AssayCordOptions *options, GCancellable *cancellable,
                  GError **error)
{
  const guint T = series->T, N = series->N;
  const gsize NN = (gsize) N * N;
  const guint w = MAX (options->window, 4);
  g_autoptr (AssayCordResult) res = g_new0 (AssayCordResult, 1);
  g_autofree float *before = NULL;  /* B_t: window [t - w, t) */
  g_autofree float *after = NULL;   /* F_t: window [t, t + w) */
  g_autofree float *e = NULL;
  g_autofree float *zr = NULL;
  g_autofree float *zd = NULL;

  if (T < 2 * 4 || N == 0 || series->M == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Series “%s” is too short to score (%u steps)"), series->name, T);
      return NULL;
    }
  res->T = T;
  res->N = N;
  res->s_r = g_new0 (float, T);
  res->s_d = g_new0 (float, T);
  res->s_en = g_new0 (float, T);
  before = g_new0 (float, T * NN);
  after = g_new0 (float, T * NN);

  if (options->encoder == ASSAY_CORD_ENCODER_LEARNED)
    {
      if (options->model == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The learned detector needs a trained model"));
          return NULL;
        }
      if (options->keep_graphs && (gsize) T * N * series->M <= MAX_STORED_GRAPH_FLOATS)
        res->forecast = g_new (float, (gsize) T * N * series->M);
      if (!assay_cord_model_score (options->model, series, res->s_r, res->s_d, before, after, res->forecast,
                                   cancellable, error))
        return NULL;
      goto ensemble;
    }

  /* Graphs of the windows before and after each step */
  for (guint t = 0; t < T; t++)
    {
      if (t % 4096 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (N >= 2)
        {
          encode (series, options->encoder, t >= w ? t - w : 0, t, before + t * NN);
          encode (series, options->encoder, t, MIN (T, t + w), after + t * NN);
        }
    }
  if (options->encoder == ASSAY_CORD_ENCODER_RELATIONAL && N >= 2)
    {
      /* Squash |c| to [0, 1) with half the median coefficient of the series as the scale */
      gsize              n = 0;
      g_autofree double *all = g_new (double, (gsize) 2 * T * NN);
      double             sigma;
      for (gsize q = 0; q < T * NN; q++)
        {
          if (q % NN / N == q % N) /* diagonal */
            continue;
          all[n++] = before[q];
          all[n++] = after[q];
        }
      sigma = 0.5 * median (all, n);
      if (sigma < 1e-20)
        sigma = 1.0;
      for (gsize q = 0; q < T * NN; q++)
        {
          before[q] = (float) (1.0 - exp (-before[q] / sigma));
          after[q] = (float) (1.0 - exp (-after[q] / sigma));
        }
    }

  /* s_r: the graph after against the graph before, where both windows are at least half full */
  for (guint t = 0; t < T; t++)
    {
      double d = 0;
      if (t < w / 2 || T - t < w / 2 || N < 2)
        continue;
      for (gsize q = 0; q < NN; q++)
        d += fabs (after[t * NN + q] - before[t * NN + q]);
      res->s_r[t] = (float) d;
    }

  /* s_d: decoder errors, the graph of step s being the window ending at s (B_{s+1}) */
  {
    g_autofree float *graphs = g_new0 (float, T * NN);
    g_autofree float *ahead = g_new0 (float, T * NN);
    for (guint s = 0; s + 1 < T; s++)
      {
        const float *g = s + 1 >= 4 ? before + (s + 1) * NN : after; /* early: first window */
        const float *h = T - s >= 4 ? after + s * NN : before + (s + 1) * NN;
        memcpy (graphs + s * NN, g, NN * sizeof (float));
        memcpy (ahead + s * NN, h, NN * sizeof (float));
      }
    e = g_new0 (float, T);
    if (options->keep_graphs && (gsize) T * N * series->M <= MAX_STORED_GRAPH_FLOATS)
      {
        res->forecast = g_new (float, (gsize) T * N * series->M);
        for (gsize q = 0; q < (gsize) N * series->M; q++)
          res->forecast[q] = NAN; /* nothing predicts the first step */
      }
    decoder_errors (series, graphs, N >= 2 ? ahead : NULL, e, res->forecast);
  }
  {
    int k = (int) MAX (options->k, 1);
    for (int t = 0; t < (int) T; t++)
      {
        int    start = MAX (t - k / 2, 1), end = MIN (t - k / 2 + k, (int) T);
        double sum = 0;
        for (int s = start; s < end; s++)
          sum += e[s];
        res->s_d[t] = end > start ? (float) (sum / (end - start)) : 0.0f;
      }
  }

  /* Ensemble, change points and types */
ensemble:
  zr = g_memdup2 (res->s_r, T * sizeof (float));
  zd = g_memdup2 (res->s_d, T * sizeof (float));
  assay_cord_zscore (zr, T);
  assay_cord_zscore (zd, T);
  res->argmax = 0;
  for (guint t = 0; t < T; t++)
    {
      res->s_en[t] = zr[t] + zd[t];
      if (res->s_en[t] > res->s_en[res->argmax])
        res->argmax = t;
    }
  res->change_points = assay_cord_peaks (res->s_en, T, options->threshold,
                                         options->min_distance > 0 ? options->min_distance : w);
  res->change_types = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < res->change_points->len; i++)
    {
      guint t = g_array_index (res->change_points, guint, i);
      int   type = zr[t] - options->alpha * zd[t] >= options->tau ? ASSAY_CHANGE_CORRELATION
                                                                  : ASSAY_CHANGE_INDEPENDENT;
      g_array_append_val (res->change_types, type);
    }
  res->argmax_type = zr[res->argmax] - options->alpha * zd[res->argmax] >= options->tau
                       ? ASSAY_CHANGE_CORRELATION
                       : ASSAY_CHANGE_INDEPENDENT;

  if (options->keep_graphs && T * NN * 2 <= MAX_STORED_GRAPH_FLOATS && N >= 2)
    {
      res->graphs_before = g_steal_pointer (&before);
      res->graphs_after = g_steal_pointer (&after);
    }
  return g_steal_pointer (&res);
}
