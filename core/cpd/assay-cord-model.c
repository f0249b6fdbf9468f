/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-model.c: see assay-cord-model.h. */
#include "config.h"

#include "assay-cord-model.h"

#include <glib/gi18n-lib.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"

AssayCordModel *
assay_cord_model_new (AssayCordNet *net, guint window, const double *mean, const double *std)
{
  AssayCordModel *self = g_new0 (AssayCordModel, 1);
  guint           M = assay_cord_net_config (net)->M;

  self->net = net;
  self->window = window;
  self->k = 5;
  self->mean = g_memdup2 (mean, M * sizeof (double));
  self->std = g_memdup2 (std, M * sizeof (double));
  return self;
}

void
assay_cord_model_free (AssayCordModel *self)
{
  if (self == NULL)
    return;
  assay_cord_net_free (self->net);
  g_free (self->mean);
  g_free (self->std);
  g_free (self);
}

static JsonObject *
config_to_json (AssayCordModel *self)
{
  const AssayCordNetConfig *c = assay_cord_net_config (self->net);
  JsonObject               *o = json_object_new ();
  JsonArray                *mean = json_array_new (), *std = json_array_new (), *tensors = json_array_new ();

  json_object_set_string_member (o, "model", "cord-cpd");
  json_object_set_int_member (o, "N", c->N);
  json_object_set_int_member (o, "M", c->M);
  json_object_set_int_member (o, "hidden", c->hidden);
  json_object_set_int_member (o, "msg_hidden", c->msg_hidden);
  json_object_set_int_member (o, "edge_types", c->edge_types);
  json_object_set_int_member (o, "pred_steps", c->pred_steps);
  json_object_set_double_member (o, "temp", c->temp);
  json_object_set_double_member (o, "var", c->var);
  json_object_set_double_member (o, "smooth", c->smooth);
  json_object_set_int_member (o, "smooth_margin", c->smooth_margin);
  json_object_set_int_member (o, "window", self->window);
  json_object_set_int_member (o, "k", self->k);
  for (guint m = 0; m < c->M; m++)
    {
      json_array_add_double_element (mean, self->mean[m]);
      json_array_add_double_element (std, self->std[m]);
    }
  json_object_set_array_member (o, "mean", mean);
  json_object_set_array_member (o, "std", std);
  for (guint i = 0; i < assay_cord_net_n_tensors (self->net); i++)
    {
      guint       rows, cols;
      double     *data;
      const char *name = assay_cord_net_tensor (self->net, i, &rows, &cols, &data, NULL);
      JsonArray  *t = json_array_new ();
      json_array_add_string_element (t, name);
      json_array_add_int_element (t, rows);
      json_array_add_int_element (t, cols);
      json_array_add_array_element (tensors, t);
    }
  json_object_set_array_member (o, "tensors", tensors);
  return o;
}

gboolean
assay_cord_model_save (AssayCordModel *self, AssayStore *store, gint64 run_id, JsonArray *curve, GError **error)
{
  g_autoptr (JsonObject) config = config_to_json (self);
  g_autofree char *text = assay_json_object_to_string (config, FALSE);
  g_autofree char *curve_text = NULL;
  gsize            n_w, n_b;
  double          *w = assay_cord_net_params (self->net, &n_w), *b = assay_cord_net_buffers (self->net, &n_b);
  g_autofree guint8 *blob = g_new (guint8, (n_w + n_b) * 8);
  sqlite3_stmt     *stmt;

  if (curve != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);
      json_node_set_array (node, curve);
      curve_text = assay_json_node_to_string (node, FALSE);
      json_node_unref (node);
    }
  for (gsize i = 0; i < n_w + n_b; i++)
    {
      guint64 bits;
      double  v = i < n_w ? w[i] : b[i - n_w];
      memcpy (&bits, &v, 8);
      bits = GUINT64_TO_LE (bits);
      memcpy (blob + i * 8, &bits, 8);
    }
  stmt = assay_store_prepare (store, "INSERT OR REPLACE INTO cpd_models (run_id, config, weights, curve) VALUES (?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 3, blob, (n_w + n_b) * 8, SQLITE_TRANSIENT);
  if (curve_text != NULL)
    sqlite3_bind_text (stmt, 4, curve_text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 4);
  if (!assay_store_step_done (store, stmt, error))
    return FALSE;
  self->id = run_id;
  return TRUE;
}

static gboolean
damaged (GError **error, gint64 id, const char *what)
{
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Change-point model %lld is damaged: %s"),
               (long long) id, what);
  return FALSE;
}

static gboolean
get_uint (JsonObject *o, const char *key, guint lo, guint hi, guint *out, gint64 id, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  gint64    v;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || (v = json_node_get_int (n)) < lo || v > hi)
    {
      g_autofree char *what = g_strdup_printf (_("“%s” is missing or outside %u to %u"), key, lo, hi);
      return damaged (error, id, what);
    }
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_real (JsonObject *o, const char *key, double *out, gint64 id, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || !isfinite (*out = json_node_get_double (n)))
    {
      g_autofree char *what = g_strdup_printf (_("“%s” is missing or not a number"), key);
      return damaged (error, id, what);
    }
  return TRUE;
}

AssayCordModel *
assay_cord_model_load (AssayStore *store, gint64 run_id, GError **error)
{
  sqlite3_stmt     *stmt;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char  *text = NULL;
  g_autofree guint8 *blob = NULL;
  gsize             blob_len = 0, n_w, n_b;
  JsonObject       *o;
  JsonArray        *mean, *std, *tensors;
  AssayCordNetConfig c;
  guint             window, k;
  g_autofree double *mu = NULL, *sd = NULL;
  AssayCordNet     *net;
  AssayCordModel   *model;
  double           *w, *b;
  int               rc;

  stmt = assay_store_prepare (store, "SELECT config, weights FROM cpd_models WHERE run_id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      blob_len = (gsize) sqlite3_column_bytes (stmt, 1);
      blob = g_memdup2 (sqlite3_column_blob (stmt, 1), blob_len);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        {
          assay_store_set_error (store, error, "cpd_models");
          return NULL;
        }
      {
        g_autofree char *what = assay_store_describe_run (store, run_id);
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                     _("There is no change-point model %lld (%s); train one with “cpd train”"),
                     (long long) run_id, what);
      }
      return NULL;
    }
  if (text == NULL || !assay_json_parser_load (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return damaged (error, run_id, _("its configuration is not a JSON object")), NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  assay_cord_net_config_init (&c, 2, 1);
  if (!get_uint (o, "N", 2, 4096, &c.N, run_id, error) || !get_uint (o, "M", 1, 4096, &c.M, run_id, error)
      || !get_uint (o, "hidden", 2, 65536, &c.hidden, run_id, error)
      || !get_uint (o, "msg_hidden", 1, 65536, &c.msg_hidden, run_id, error)
      || !get_uint (o, "edge_types", 2, 8, &c.edge_types, run_id, error)
      || !get_uint (o, "pred_steps", 1, 1000000, &c.pred_steps, run_id, error)
      || !get_uint (o, "smooth_margin", 0, 1000000, &c.smooth_margin, run_id, error)
      || !get_uint (o, "window", 2, 100000000, &window, run_id, error)
      || !get_uint (o, "k", 1, 1000, &k, run_id, error) || !get_real (o, "temp", &c.temp, run_id, error)
      || !get_real (o, "var", &c.var, run_id, error) || !get_real (o, "smooth", &c.smooth, run_id, error))
    return NULL;
  if (c.hidden % 2 != 0)
    return damaged (error, run_id, _("its hidden width is odd")), NULL;
  mean = json_object_get_array_member (o, "mean");
  std = json_object_get_array_member (o, "std");
  tensors = json_object_get_array_member (o, "tensors");
  if (mean == NULL || std == NULL || json_array_get_length (mean) != c.M || json_array_get_length (std) != c.M)
    return damaged (error, run_id, _("its feature scaling does not have one value per feature")), NULL;
  mu = g_new (double, c.M);
  sd = g_new (double, c.M);
  for (guint m = 0; m < c.M; m++)
    {
      JsonNode *a = json_array_get_element (mean, m), *s = json_array_get_element (std, m);
      if (!JSON_NODE_HOLDS_VALUE (a) || !JSON_NODE_HOLDS_VALUE (s) || !isfinite (mu[m] = json_node_get_double (a))
          || !((sd[m] = json_node_get_double (s)) > 0) || !isfinite (sd[m]))
        return damaged (error, run_id, _("its feature scaling holds a value that is not a positive number")), NULL;
    }
  net = assay_cord_net_new (&c, 0);
  w = assay_cord_net_params (net, &n_w);
  b = assay_cord_net_buffers (net, &n_b);
  model = assay_cord_model_new (net, window, mu, sd);
  model->k = k;
  model->id = run_id;
  if (tensors == NULL || json_array_get_length (tensors) != assay_cord_net_n_tensors (net))
    return damaged (error, run_id, _("its tensors do not match its configuration")), assay_cord_model_free (model), NULL;
  for (guint i = 0; i < assay_cord_net_n_tensors (net); i++)
    {
      guint       rows, cols;
      double     *data;
      const char *name = assay_cord_net_tensor (net, i, &rows, &cols, &data, NULL);
      JsonNode   *tn = json_array_get_element (tensors, i);
      JsonArray  *t = JSON_NODE_HOLDS_ARRAY (tn) ? json_node_get_array (tn) : NULL;
      if (t == NULL || json_array_get_length (t) != 3
          || g_strcmp0 (json_node_get_string (json_array_get_element (t, 0)), name) != 0
          || json_array_get_int_element (t, 1) != rows || json_array_get_int_element (t, 2) != cols)
        {
          g_autofree char *what = g_strdup_printf (_("tensor %u is not %s [%u, %u]"), i, name, rows, cols);
          damaged (error, run_id, what);
          assay_cord_model_free (model);
          return NULL;
        }
    }
  if (blob_len != (n_w + n_b) * 8)
    {
      g_autofree char *what = g_strdup_printf (_("its weights hold %zu bytes, not %zu"), blob_len,
                                               (n_w + n_b) * 8);
      damaged (error, run_id, what);
      assay_cord_model_free (model);
      return NULL;
    }
  for (gsize i = 0; i < n_w + n_b; i++)
    {
      guint64 bits;
      double  v;
      memcpy (&bits, blob + i * 8, 8);
      bits = GUINT64_FROM_LE (bits);
      memcpy (&v, &bits, 8);
      if (!isfinite (v))
        {
          damaged (error, run_id, _("its weights hold a value that is not finite"));
          assay_cord_model_free (model);
          return NULL;
        }
      if (i < n_w)
        w[i] = v;
      else
        b[i - n_w] = v;
    }
  return model;
}

JsonArray *
assay_cord_model_load_curve (AssayStore *store, gint64 run_id, GError **error)
{
  sqlite3_stmt     *stmt = assay_store_prepare (store, "SELECT curve FROM cpd_models WHERE run_id = ?", error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char  *text = NULL;
  JsonNode         *root;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (text == NULL || !assay_json_parser_load (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_ARRAY (root) ? json_array_ref (json_node_get_array (root)) : NULL;
}

gboolean
assay_cord_model_check_series (guint N, guint M, AssaySeries *s, guint min_steps, GError **error)
{
  if (s->N != N || s->M != M)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Series “%s” has %u variables of %u features; the model is for %u variables of %u features"),
                   s->name, s->N, s->M, N, M);
      return FALSE;
    }
  if (s->T < min_steps)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Series “%s” has %u steps, fewer than the %u needed"), s->name, s->T, min_steps);
      return FALSE;
    }
  for (guint t = 0; t < s->T; t++)
    for (guint n = 0; n < N; n++)
      for (guint m = 0; m < M; m++)
        if (!isfinite (assay_series_at (s, t, n)[m]))
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         _("Series “%s” has a value that is not a number at step %u, variable %s, feature %s"),
                         s->name, t, s->var_names != NULL ? s->var_names[n] : "?",
                         s->feat_names != NULL ? s->feat_names[m] : "?");
            return FALSE;
          }
  return TRUE;
}

#define WINDOW_BATCH 16

/* The first step of window i: i strides on, the last window flush with the series' end. */
static guint
window_start (guint i, guint stride, guint T, guint W)
{
  return (guint) MIN ((gsize) i * stride, (gsize) T - W);
}

/* The scores of the steps window i owns (from the middle of its overlap with the window before to
 * the middle of its overlap with the window after), from its probabilities and roll-outs. */
static void
window_scores (AssayCordModel *self, const double *x, guint T, guint W, guint k, guint stride, guint n_win, guint i,
               const double *prob, const double *roll, float *s_r, float *s_d, float *before, float *after,
               float *forecast)
{
  const AssayCordNetConfig *c = assay_cord_net_config (self->net);
  guint                     N = c->N, M = c->M, K = c->edge_types, E = N * (N - 1);
  gsize                     nd = (gsize) N * M;
  guint                     start = window_start (i, stride, T, W), lo = 0, hi;

  if (i > 0)
    {
      guint prev = window_start (i - 1, stride, T, W);
      lo = (guint) (((gsize) prev + W + start) / 2);
    }
  if (i + 1 == n_win)
    hi = T;
  else
    {
      guint next = window_start (i + 1, stride, T, W);
      hi = (guint) (((gsize) start + W + next) / 2);
    }
  lo = MAX (lo, start);
  hi = MIN (hi, start + W);
  for (guint t = lo; t < hi; t++)
    {
      guint u = t - start; /* within the window */
      if (u >= 1)
        {
          double d = 0.0, se = 0.0;
          guint  steps = MIN (k, T - t);
          for (guint e = 0; e < E; e++)
            for (guint kk = 1; kk < K; kk++)
              d += fabs (prob[((gsize) u * E + e) * K + kk] - prob[((gsize) (u - 1) * E + e) * K + kk]);
          s_r[t] = (float) d;
          for (guint j = 0; j < steps; j++)
            for (gsize q = 0; q < nd; q++)
              {
                double r = roll[(((gsize) (u - 1) * k) + j) * nd + q] - x[(gsize) (t + j) * nd + q];
                se += r * r;
              }
          s_d[t] = (float) (se / ((double) steps * nd));
          if (forecast != NULL)
            for (gsize q = 0; q < nd; q++)
              forecast[(gsize) t * nd + q] = (float) (roll[((gsize) (u - 1) * k) * nd + q] * self->std[q % M] + self->mean[q % M]);
        }
      else if (forecast != NULL)
        for (gsize q = 0; q < nd; q++)
          forecast[(gsize) t * nd + q] = NAN;
      for (guint which = 0; which < 2; which++)
        {
          float *A = which == 0 ? before : after;
          guint  v = which == 0 ? (u > 0 ? u - 1 : 0) : u;
          if (A == NULL)
            continue;
          memset (A + (gsize) t * N * N, 0, (gsize) N * N * sizeof (float));
          for (guint i2 = 0, e = 0; i2 < N; i2++)
            for (guint j = 0; j < N; j++)
              if (i2 != j)
                {
                  double p = 0.0;
                  for (guint kk = 1; kk < K; kk++)
                    p += prob[((gsize) v * E + e) * K + kk];
                  A[(gsize) t * N * N + (gsize) i2 * N + j] = (float) p;
                  e++;
                }
        }
    }
}

gboolean
assay_cord_model_score (AssayCordModel *self, AssaySeries *series, float *s_r, float *s_d, float *before, float *after,
                        float *forecast, GCancellable *cancellable, GError **error)
{
  const AssayCordNetConfig *c = assay_cord_net_config (self->net);
  guint                     N = c->N, M = c->M, K = c->edge_types, E = N * (N - 1), T = series->T, k = self->k;
  guint                     W = self->window, n_win, stride;
  gsize                     nd = (gsize) N * M;
  g_autofree double        *x = NULL;

  if (!assay_cord_model_check_series (N, M, series, k + 2, error))
    return FALSE;
  x = g_new (double, (gsize) T * nd);
  for (gsize i = 0; i < (gsize) T * nd; i++)
    x[i] = (series->x[i] - self->mean[i % M]) / self->std[i % M];
  if (T <= W + W / 2)
    {
      W = T;
      n_win = 1;
      stride = T;
    }
  else
    {
      stride = MAX (1, W / 2);
      n_win = (T - W + stride - 1) / stride + 1;
    }
  memset (s_r, 0, T * sizeof (float));
  memset (s_d, 0, T * sizeof (float));
  {
    /* windows in batches, the batches on threads of their own (inference only reads the net) */
    guint         n_batches = (n_win + WINDOW_BATCH - 1) / WINDOW_BATCH;
    gboolean      outer = !omp_in_parallel (); /* inside a parallel loop over series, leave BLAS be */
    int           blas = openblas_get_num_threads ();
    volatile gint cancelled = 0;

    if (outer)
      openblas_set_num_threads (1);
#pragma omp parallel for schedule (dynamic, 1) num_threads (n_batches > 1 && outer ? omp_get_max_threads () : 1)
    for (guint bi = 0; bi < n_batches; bi++)
      {
        guint              w0 = bi * WINDOW_BATCH, nb = MIN (WINDOW_BATCH, n_win - w0);
        g_autofree double *xb = NULL, *prob = NULL, *roll = NULL;

        if (g_atomic_int_get (&cancelled) || g_cancellable_is_cancelled (cancellable))
          {
            g_atomic_int_set (&cancelled, 1);
            continue;
          }
        xb = g_new (double, (gsize) nb * W * nd);
        prob = g_new (double, (gsize) nb * W * E * K);
        roll = g_new (double, (gsize) nb * W * k * nd);
        for (guint b = 0; b < nb; b++)
          memcpy (xb + (gsize) b * W * nd, x + (gsize) window_start (w0 + b, stride, T, W) * nd,
                  (gsize) W * nd * sizeof (double));
        assay_cord_net_infer_batch (self->net, xb, nb, W, k, prob, roll);
        for (guint b = 0; b < nb; b++)
          window_scores (self, x, T, W, k, stride, n_win, w0 + b, prob + (gsize) b * W * E * K,
                         roll + (gsize) b * W * k * nd, s_r, s_d, before, after, forecast);
      }
    if (outer)
      openblas_set_num_threads (blas);
    if (cancelled && g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
  }
  /* the first and last steps: the encoder's GRUs there have seen one side only (training leaves
   * them out of the smoothness term for that reason); their scores would outshine real changes */
  {
    guint m = MIN (c->smooth_margin, T / 4);
    for (guint t = 0; t < T; t++)
      if (t < m || t + m >= T)
        s_r[t] = s_d[t] = 0.0f;
  }
  return TRUE;
}
