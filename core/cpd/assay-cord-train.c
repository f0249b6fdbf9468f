/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-train.c: see assay-cord-train.h. */
#include "config.h"

#include "assay-cord-train.h"

#include <glib/gi18n-lib.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "assay-adamw.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-spring-sim.h"

#define MIN_WINDOW 12

void
assay_cord_train_options_init (AssayCordTrainOptions *o)
{
  memset (o, 0, sizeof *o);
  o->hidden = 64;
  o->msg_hidden = 64;
  o->batch = 32;
  o->epochs = 200;
  o->patience = 20;
  o->lr = 1e-3;
  o->lr_decay = 200;
  o->gamma = 0.5;
  o->seed = 1;
}

JsonObject *
assay_cord_train_options_to_json (const AssayCordTrainOptions *o)
{
  JsonObject *j = json_object_new ();

  json_object_set_int_member (j, "hidden", o->hidden);
  json_object_set_int_member (j, "msg_hidden", o->msg_hidden);
  json_object_set_int_member (j, "window", o->window);
  json_object_set_int_member (j, "batch", o->batch);
  json_object_set_int_member (j, "epochs", o->epochs);
  json_object_set_int_member (j, "patience", o->patience);
  json_object_set_double_member (j, "lr", o->lr);
  json_object_set_int_member (j, "lr_decay", o->lr_decay);
  json_object_set_double_member (j, "gamma", o->gamma);
  json_object_set_int_member (j, "seed", (gint64) o->seed);
  if (o->valid_dataset > 0)
    json_object_set_int_member (j, "valid_dataset", o->valid_dataset);
  if (o->init > 0)
    json_object_set_int_member (j, "init", o->init);
  return j;
}

/* Windows cut from series: values (n x W x N x M) and, where every series knows its springs,
 * true edge types (n x W x E). */
typedef struct
{
  GArray *x;       /* double */
  GArray *truth;   /* guint8, or NULL once a series without truth was added */
  guint   n;
} Windows;

static void
windows_init (Windows *w, gboolean truth)
{
  w->x = g_array_new (FALSE, FALSE, sizeof (double));
  w->truth = truth ? g_array_new (FALSE, FALSE, sizeof (guint8)) : NULL;
  w->n = 0;
}

static void
windows_clear (Windows *w)
{
  g_clear_pointer (&w->x, g_array_unref);
  g_clear_pointer (&w->truth, g_array_unref);
}

/* springs: 2 x N x N (before, after the change at tc) or NULL. */
static void
windows_add (Windows *w, AssaySeries *s, guint W, const float *springs, guint tc)
{
  guint N = s->N, M = s->M, stride = MAX (1, W / 2);
  gsize nd = (gsize) N * M;

  if (springs == NULL)
    g_clear_pointer (&w->truth, g_array_unref);
  for (guint start = 0;; start += stride)
    {
      guint a = MIN (start, s->T - W);
      for (gsize i = 0; i < (gsize) W * nd; i++)
        {
          double v = s->x[(gsize) a * nd + i];
          g_array_append_val (w->x, v);
        }
      if (w->truth != NULL)
        for (guint t = a; t < a + W; t++)
          {
            const float *g = springs + (t < tc ? 0 : (gsize) N * N);
            for (guint i = 0; i < N; i++)
              for (guint j = 0; j < N; j++)
                if (i != j)
                  {
                    guint8 type = g[i * N + j] > 0.5f;
                    g_array_append_val (w->truth, type);
                  }
          }
      w->n++;
      if (a + W >= s->T)
        break;
    }
}

/* Moves every sixth window of from into to. */
static void
windows_split (Windows *from, Windows *to, gsize per, gsize per_e)
{
  GArray *x = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *truth = from->truth != NULL ? g_array_new (FALSE, FALSE, sizeof (guint8)) : NULL;
  guint   n = 0;

  for (guint w = 0; w < from->n; w++)
    {
      gboolean held = w % 6 == 5;
      g_array_append_vals (held ? to->x : x, &g_array_index (from->x, double, w * per), per);
      if (truth != NULL)
        g_array_append_vals (held ? to->truth : truth, &g_array_index (from->truth, guint8, w * per_e), per_e);
      if (held)
        to->n++;
      else
        n++;
    }
  g_array_unref (from->x);
  from->x = x;
  if (from->truth != NULL)
    g_array_unref (from->truth);
  from->truth = truth;
  from->n = n;
}

typedef struct
{
  gint64       dataset;
  GPtrArray   *series;   /* AssaySeries */
  GPtrArray   *springs;  /* float * (2 N N) or NULL each */
  GArray      *tc;       /* guint */
} Source;

static void
source_free (Source *src)
{
  g_ptr_array_unref (src->series);
  g_ptr_array_unref (src->springs);
  g_array_unref (src->tc);
  g_free (src);
}

static Source *
load_source (AssayStore *store, gint64 dataset, GError **error)
{
  g_autofree char *area = NULL, *name = NULL, *params_text = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject      *params = NULL;
  Source          *src;
  sqlite3_stmt    *stmt;

  if (!assay_store_get_dataset (store, dataset, &area, &name, error))
    return NULL;
  if (g_strcmp0 (area, "cpd") != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Dataset %lld (“%s”) holds no time series"), (long long) dataset, name);
      return NULL;
    }
  if ((stmt = assay_store_prepare (store, "SELECT params FROM datasets WHERE id = ?", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    params_text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (params_text != NULL && assay_json_parser_load (parser, params_text, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    params = json_node_get_object (json_parser_get_root (parser));
  if ((ids = assay_series_list (store, dataset, error)) == NULL)
    return NULL;
  src = g_new0 (Source, 1);
  src->dataset = dataset;
  src->series = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_series_free);
  src->springs = g_ptr_array_new_with_free_func (g_free);
  src->tc = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < ids->len; i++)
    {
      AssaySeries *s = assay_series_load (store, g_array_index (ids, gint64, i), error);
      float       *springs = NULL;
      guint        tc = G_MAXUINT;

      if (s == NULL)
        {
          source_free (src);
          return NULL;
        }
      springs = g_new (float, 2 * ASSAY_SPRING_PARTICLES * ASSAY_SPRING_PARTICLES);
      if (!assay_spring_truth (params, i, s, springs, &tc))
        g_clear_pointer (&springs, g_free);
      g_ptr_array_add (src->series, s);
      g_ptr_array_add (src->springs, springs);
      g_array_append_val (src->tc, tc);
    }
  if (ids->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Dataset %lld (“%s”) has no series"),
                   (long long) dataset, name);
      source_free (src);
      return NULL;
    }
  return src;
}

/* The validation loss: batches on threads of their own (inference reads the net only). */
static double
evaluate (AssayCordNet *net, Windows *w, guint W, guint batch, int threads, AssayCordLoss *mean)
{
  const AssayCordNetConfig *c = assay_cord_net_config (net);
  gsize                     per = (gsize) W * c->N * c->M, per_e = (gsize) W * c->N * (c->N - 1);
  double                    total = 0.0, nll = 0.0, smooth = 0.0, acc = 0.0;
  guint                     n_batches = (w->n + batch - 1) / batch;
  int                       blas = openblas_get_num_threads ();

  openblas_set_num_threads (1);
#pragma omp parallel for num_threads (threads) schedule (dynamic, 1) reduction (+ : total, nll, smooth, acc)
  for (guint i = 0; i < n_batches; i++)
    {
      guint         b0 = i * batch, B = MIN (batch, w->n - b0);
      AssayCordLoss parts;
      double        l = assay_cord_net_loss (net, &g_array_index (w->x, double, b0 * per), B, W, NULL, FALSE, FALSE,
                                             w->truth != NULL ? &g_array_index (w->truth, guint8, b0 * per_e) : NULL,
                                             &parts);
      total += l * B;
      nll += parts.nll * B;
      smooth += parts.smooth * B;
      acc += (w->truth != NULL ? parts.edge_accuracy : 0.0) * B;
    }
  openblas_set_num_threads (blas);
  mean->nll = nll / w->n;
  mean->smooth = smooth / w->n;
  mean->edge_accuracy = w->truth != NULL ? acc / w->n : NAN;
  return total / w->n;
}

gboolean
assay_cord_train (AssayStore *store, GArray *datasets, const AssayCordTrainOptions *options,
                  AssayCordTrainProgress progress, gpointer progress_data, GCancellable *cancellable,
                  gint64 *model_id, JsonObject **result, GError **error)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (AssayCordModel) model = NULL;
  g_autoptr (AssayAdamW) adam = NULL;
  g_autoptr (GRand) rng = NULL;
  g_autoptr (JsonArray) curve = json_array_new ();
  g_autoptr (JsonObject) metrics = json_object_new ();
  g_autofree double *mean = NULL, *std = NULL, *noise = NULL, *best_w = NULL, *best_b = NULL;
  g_autofree guint *order = NULL;
  AssayAdamWOptions adam_options;
  AssayCordNetConfig cfg;
  AssayCordNet     *net;
  Windows           train, valid;
  Source           *valid_src = NULL;
  guint             N = 0, M = 0, W = options->window, min_T = G_MAXUINT, E, best_epoch = 0, epoch, since = 0;
  gsize             n_w, n_b, per, per_e;
  double           *weights, *buffers; /* the net's, kept by the net */
  double            best = INFINITY, train_loss = NAN;
  gboolean          truth = TRUE, stopped = FALSE, ok = FALSE;
  gint64            run = 0;
  int               threads = options->threads > 0 ? options->threads : omp_get_max_threads ();

  g_return_val_if_fail (datasets != NULL && datasets->len > 0, FALSE);
  for (guint d = 0; d < datasets->len + (options->valid_dataset > 0); d++)
    {
      gint64  id = d < datasets->len ? g_array_index (datasets, gint64, d) : options->valid_dataset;
      Source *src = load_source (store, id, error);
      if (src == NULL)
        return FALSE;
      if (d < datasets->len)
        g_ptr_array_add (sources, src);
      else
        valid_src = src;
      for (guint i = 0; i < src->series->len; i++)
        {
          AssaySeries *s = g_ptr_array_index (src->series, i);
          if (N == 0)
            {
              N = s->N;
              M = s->M;
              if (N < 2)
                {
                  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                               _("Series “%s” has one variable; the model learns relations between two or more"),
                               s->name);
                  goto out;
                }
            }
          if (!assay_cord_model_check_series (N, M, s, MIN_WINDOW, error))
            goto out;
          min_T = MIN (min_T, s->T);
          truth = truth && g_ptr_array_index (src->springs, i) != NULL;
        }
    }
  if (options->init > 0)
    {
      const AssayCordNetConfig *c;
      if ((model = assay_cord_model_load (store, options->init, error)) == NULL)
        goto out;
      c = assay_cord_net_config (model->net);
      if (c->N != N || c->M != M)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Model %lld is for %u variables of %u features; these series have %u of %u"),
                       (long long) options->init, c->N, c->M, N, M);
          goto out;
        }
      if (W == 0)
        W = MIN (model->window, min_T);
    }
  if (W == 0)
    W = MIN (100, min_T);
  if (W < MIN_WINDOW || W > min_T)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("The training window must be %u to %u steps (the shortest series)"), MIN_WINDOW, min_T);
      goto out;
    }
  E = N * (N - 1);
  per = (gsize) W * N * M;
  per_e = (gsize) W * E;
  windows_init (&train, truth);
  windows_init (&valid, truth);
  {
    guint n_series = 0;
    for (guint d = 0; d < sources->len; d++)
      n_series += ((Source *) g_ptr_array_index (sources, d))->series->len;
    /* validation: every sixth series, or with fewer than six series every sixth window */
    for (guint d = 0; d < sources->len; d++)
      {
        Source *src = g_ptr_array_index (sources, d);
        for (guint i = 0; i < src->series->len; i++)
          windows_add (valid_src == NULL && n_series >= 6 && i % 6 == 5 ? &valid : &train,
                       g_ptr_array_index (src->series, i), W, g_ptr_array_index (src->springs, i),
                       g_array_index (src->tc, guint, i));
      }
    if (valid_src == NULL && n_series < 6)
      windows_split (&train, &valid, per, per_e);
  }
  if (valid_src != NULL)
    for (guint i = 0; i < valid_src->series->len; i++)
      windows_add (&valid, g_ptr_array_index (valid_src->series, i), W, g_ptr_array_index (valid_src->springs, i),
                   g_array_index (valid_src->tc, guint, i));
  if (train.n == 0 || valid.n == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Training needs windows to learn from and to validate on: give more or longer series, or a validation dataset"));
      goto out_windows;
    }

  /* feature scaling from the training windows (or the model's own when going on from one) */
  mean = g_new0 (double, M);
  std = g_new0 (double, M);
  if (model != NULL)
    {
      memcpy (mean, model->mean, M * sizeof (double));
      memcpy (std, model->std, M * sizeof (double));
    }
  else
  {
    g_autofree double *ss = g_new0 (double, M);
    gsize              count = train.x->len / M;
    for (gsize i = 0; i < train.x->len; i++)
      mean[i % M] += g_array_index (train.x, double, i);
    for (guint m = 0; m < M; m++)
      mean[m] /= count;
    for (gsize i = 0; i < train.x->len; i++)
      {
        double d = g_array_index (train.x, double, i) - mean[i % M];
        ss[i % M] += d * d;
      }
    for (guint m = 0; m < M; m++)
      std[m] = ss[m] > 0 ? sqrt (ss[m] / count) : 1.0;
  }
  for (Windows *w = &train; w != NULL; w = w == &train ? &valid : NULL)
    for (gsize i = 0; i < w->x->len; i++)
      g_array_index (w->x, double, i) = (g_array_index (w->x, double, i) - mean[i % M]) / std[i % M];

  if (model != NULL)
    {
      net = model->net;
      model->window = W;
      cfg = *assay_cord_net_config (net);
    }
  else
    {
      assay_cord_net_config_init (&cfg, N, M);
      if (options->hidden > 0)
        cfg.hidden = options->hidden + options->hidden % 2;
      if (options->msg_hidden > 0)
        cfg.msg_hidden = options->msg_hidden;
      net = assay_cord_net_new (&cfg, options->seed);
      model = assay_cord_model_new (net, W, mean, std);
    }
  assay_adamw_options_init (&adam_options);
  adam_options.weight_decay = 0.0;
  adam = assay_adamw_new (&adam_options);
  weights = assay_cord_net_params (net, &n_w);
  buffers = assay_cord_net_buffers (net, &n_b);
  assay_adamw_add_f64 (adam, weights, assay_cord_net_grads (net), n_w, FALSE);
  best_w = g_memdup2 (weights, n_w * sizeof (double));
  best_b = g_memdup2 (buffers, n_b * sizeof (double));
  rng = g_rand_new_with_seed_array ((const guint32[]) { (guint32) options->seed, (guint32) (options->seed >> 32), 7 }, 3);
  order = g_new (guint, train.n);
  noise = g_new (double, (gsize) W * MAX (1, options->batch) * E * cfg.edge_types);
  {
    g_autoptr (GArray) batch_x = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr (GArray) batch_t = g_array_new (FALSE, FALSE, sizeof (guint8));
    guint bs = MAX (1, options->batch), steps_per_epoch = (train.n + bs - 1) / bs;

    for (epoch = 0; epoch < options->epochs && !stopped; epoch++)
      {
        double        lr = options->lr * pow (options->gamma, (double) (epoch / MAX (1, options->lr_decay)));
        double        sum = 0.0, sum_acc = 0.0, vloss;
        AssayCordLoss vparts;
        JsonObject   *point;

        for (guint i = 0; i < train.n; i++)
          order[i] = i;
        for (guint i = train.n; i > 1; i--)
          {
            guint j = (guint) g_rand_int_range (rng, 0, (gint32) i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
          }
        for (guint s = 0; s < steps_per_epoch; s++)
          {
            guint         B = MIN (bs, train.n - s * bs);
            AssayCordLoss parts;
            double        l;

            if (g_cancellable_is_cancelled (cancellable))
              {
                stopped = TRUE;
                break;
              }
            g_array_set_size (batch_x, 0);
            g_array_set_size (batch_t, 0);
            for (guint b = 0; b < B; b++)
              {
                guint w = order[s * bs + b];
                g_array_append_vals (batch_x, &g_array_index (train.x, double, w * per), per);
                if (train.truth != NULL)
                  g_array_append_vals (batch_t, &g_array_index (train.truth, guint8, w * per_e), per_e);
              }
            assay_cord_net_gumbel (rng, noise, (gsize) W * B * E * cfg.edge_types);
            l = assay_cord_net_loss_parallel (net, (double *) batch_x->data, B, W, noise,
                                              train.truth != NULL ? (guint8 *) batch_t->data : NULL, threads, &parts);
            if (!isfinite (l))
              {
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                             _("Training diverged at epoch %u (the loss is not finite); try a lower learning rate"),
                             epoch + 1);
                goto out_windows;
              }
            assay_adamw_step (adam, lr);
            sum += l * B;
            sum_acc += parts.edge_accuracy * B;
            if (progress != NULL)
              {
                g_autofree char *msg = g_strdup_printf (_("Epoch %u of %u: loss %.4g (best validation %.4g)"), epoch + 1,
                                                        options->epochs, l, best);
                progress ((epoch + (s + 1.0) / steps_per_epoch) / options->epochs, msg, progress_data);
              }
          }
        if (stopped && sum == 0.0)
          break;
        train_loss = sum / train.n;
        vloss = evaluate (net, &valid, W, bs, threads, &vparts);
        point = json_object_new ();
        json_object_set_int_member (point, "epoch", epoch + 1);
        json_object_set_double_member (point, "train", train_loss);
        json_object_set_double_member (point, "valid", vloss);
        json_object_set_double_member (point, "valid_nll", vparts.nll);
        json_object_set_double_member (point, "valid_smooth", vparts.smooth);
        if (train.truth != NULL)
          {
            json_object_set_double_member (point, "train_edge_accuracy", sum_acc / train.n);
            json_object_set_double_member (point, "valid_edge_accuracy", vparts.edge_accuracy);
          }
        json_object_set_double_member (point, "seconds", g_timer_elapsed (timer, NULL));
        json_array_add_object_element (curve, point);
        if (vloss < best)
          {
            best = vloss;
            best_epoch = epoch + 1;
            since = 0;
            memcpy (best_w, weights, n_w * sizeof (double));
            memcpy (best_b, buffers, n_b * sizeof (double));
          }
        else if (++since >= options->patience)
          {
            epoch++;
            break;
          }
      }
  }
  if (best_epoch == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Training stopped before its first epoch ended"));
      goto out_windows;
    }
  memcpy (weights, best_w, n_w * sizeof (double));
  memcpy (buffers, best_b, n_b * sizeof (double));

  {
    g_autoptr (JsonObject) params = assay_cord_train_options_to_json (options);
    JsonArray  *ds = json_array_new ();
    JsonObject *best_point = json_array_get_object_element (curve, best_epoch - 1);

    for (guint d = 0; d < datasets->len; d++)
      json_array_add_int_element (ds, g_array_index (datasets, gint64, d));
    json_object_set_array_member (params, "datasets", ds);
    json_object_set_int_member (params, "window", W);
    json_object_set_int_member (params, "hidden", cfg.hidden);
    json_object_set_int_member (params, "msg_hidden", cfg.msg_hidden);
    json_object_set_int_member (metrics, "epochs", epoch);
    json_object_set_int_member (metrics, "best_epoch", best_epoch);
    json_object_set_double_member (metrics, "valid_loss", best);
    json_object_set_double_member (metrics, "train_loss", json_object_get_double_member (best_point, "train"));
    if (json_object_has_member (best_point, "valid_edge_accuracy"))
      json_object_set_double_member (metrics, "valid_edge_accuracy",
                                     json_object_get_double_member (best_point, "valid_edge_accuracy"));
    json_object_set_int_member (metrics, "train_windows", train.n);
    json_object_set_int_member (metrics, "valid_windows", valid.n);
    json_object_set_int_member (metrics, "window", W);
    json_object_set_int_member (metrics, "parameters", (gint64) n_w);
    json_object_set_boolean_member (metrics, "stopped", stopped);
    json_object_set_double_member (metrics, "seconds", g_timer_elapsed (timer, NULL));
    /* the run and its model appear together or not at all */
    if (!assay_store_begin (store, error))
      goto out_windows;
    run = assay_store_add_run (store, g_array_index (datasets, gint64, 0), "cpd", "cord-train", params, "CPU", error);
    if (run == 0 || !assay_cord_model_save (model, store, run, curve, error)
        || !assay_store_finish_run (store, run, stopped ? "stopped" : "done", g_timer_elapsed (timer, NULL), metrics,
                                    error)
        || !assay_store_commit (store, error))
      {
        assay_store_rollback (store);
        goto out_windows;
      }
    assay_store_emit_changed (store, "runs");
  }
  json_object_set_int_member (metrics, "model", run);
  *model_id = run;
  if (result != NULL)
    *result = json_object_ref (metrics);
  ok = TRUE;
out_windows:
  windows_clear (&train);
  windows_clear (&valid);
out:
  if (valid_src != NULL)
    source_free (valid_src);
  return ok;
}
