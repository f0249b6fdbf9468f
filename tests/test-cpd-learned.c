/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The learned CoRD-CPD model: training and storing it, scoring with it (windows of long series
 * checked against inference on each window), the thesis's pooled evaluation against a plain
 * float64 reference, and bad input (short series, NaN, another number of variables, damaged
 * models). Its gradients are checked against PyTorch in grad-peers. */
#include <math.h>
#include <string.h>

#include "assay-cord-model.h"
#include "assay-cord-train.h"
#include "assay-cpd-run.h"
#include "assay-cpd-view.h"
#include "assay-error.h"
#include "assay-spring-sim.h"
#include "assay-test-util.h"

static void
small_options (AssayCordTrainOptions *o)
{
  assay_cord_train_options_init (o);
  o->hidden = 8;
  o->msg_hidden = 8;
  o->epochs = 3;
  o->patience = 3;
  o->batch = 8;
  o->seed = 3;
}

static gint64
train_small (AssayStore *store, GArray *datasets, const AssayCordTrainOptions *o, JsonObject **result)
{
  g_autoptr (GError) error = NULL;
  gint64 model = 0;

  g_assert_true (assay_cord_train (store, datasets, o, NULL, NULL, NULL, &model, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (model, >, 0);
  return model;
}

static void
test_train_score_eval (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("learned.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ds = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (JsonObject) result = NULL, again = NULL, metrics = NULL;
  g_autoptr (AssayCordModel) model = NULL;
  g_autoptr (JsonArray) curve = NULL;
  AssayCordTrainOptions o;
  AssayCpdScoreOptions  score;
  gint64                a, b, id, run;
  double                first;

  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_CONNECTION, 18, 5, &a, &error));
  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_LOCATION, 18, 6, &b, &error));
  g_array_append_val (ds, a);
  g_array_append_val (ds, b);
  small_options (&o);
  id = train_small (store, ds, &o, &result);
  /* 36 series of 100 steps, every sixth validates: 30 training windows and 6 */
  g_assert_cmpint (json_object_get_int_member (result, "train_windows"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (result, "valid_windows"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (result, "window"), ==, 100);
  g_assert_true (isfinite (json_object_get_double_member (result, "valid_loss")));
  /* the simulator's springs are known: an edge accuracy is measured */
  first = json_object_get_double_member (result, "valid_edge_accuracy");
  g_assert_cmpfloat (first, >=, 0.0);
  g_assert_cmpfloat (first, <=, 1.0);
  curve = assay_cord_model_load_curve (store, id, &error);
  g_assert_nonnull (curve);
  g_assert_cmpint (json_array_get_length (curve), ==, json_object_get_int_member (result, "epochs"));
  /* the training loss falls over three epochs */
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (curve, 2), "train"), <,
                     json_object_get_double_member (json_array_get_object_element (curve, 0), "train"));
  /* the same seed trains the same model */
  {
    gint64 id2 = train_small (store, ds, &o, &again);
    g_assert_cmpint (id2, !=, id);
    g_assert_cmpfloat (json_object_get_double_member (again, "valid_loss"), ==,
                       json_object_get_double_member (result, "valid_loss"));
  }

  /* scoring through a run, and directly with the stored model: the same curves */
  assay_cpd_score_options_init (&score);
  score.detector = ASSAY_DETECTOR_CORD_LEARNED;
  score.model = id;
  g_assert_true (assay_cpd_score_dataset (store, a, &score, NULL, NULL, NULL, &run, &error));
  g_assert_no_error (error);
  model = assay_cord_model_load (store, id, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GArray) ids = assay_series_list (store, a, &error);
    g_autoptr (AssaySeries) s = assay_series_load (store, g_array_index (ids, gint64, 0), &error);
    g_autofree float *s_r = g_new (float, s->T), *s_d = g_new (float, s->T);
    guint             len;
    g_autofree float *stored = assay_cpd_load_score (store, run, s->id, "s_r", &len);
    g_autofree float *stored_d = assay_cpd_load_score (store, run, s->id, "s_d", &len);
    g_assert_true (assay_cord_model_score (model, s, s_r, s_d, NULL, NULL, NULL, NULL, &error));
    g_assert_cmpuint (len, ==, s->T);
    g_assert_cmpmem (s_r, s->T * sizeof (float), stored, len * sizeof (float));
    g_assert_cmpmem (s_d, s->T * sizeof (float), stored_d, len * sizeof (float));
    g_assert_cmpfloat (s_r[0], ==, 0.0f);
    g_assert_cmpfloat (s_d[0], ==, 0.0f);
  }
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM cpd_results WHERE run_id = (SELECT max(id) FROM runs)", -1),
                   ==, 18);
  /* the graphs A_{t-1} and A_t of every step were kept */
  g_assert_cmpint (assay_store_query_int (store, "SELECT min(length(graphs)) FROM cpd_results", -1), ==,
                   2 * 100 * 25 * 4);

  /* the thesis's pooled protocol against a plain float64 reference */
  metrics = assay_cpd_evaluate_run_burn_in (store, run, 25, &error);
  g_assert_no_error (error);
  {
    JsonObject *pooled = json_object_get_object_member (metrics, "pooled");
    static const char *names[] = { "s_en", "s_r", "s_d" };
    g_autoptr (GArray) ids = assay_series_list (store, a, &error);

    for (guint c = 0; c < G_N_ELEMENTS (names); c++)
      {
        JsonObject *m = json_object_get_object_member (pooled, names[c]);
        GArray     *pos = g_array_new (FALSE, FALSE, sizeof (double)), *neg = g_array_new (FALSE, FALSE, sizeof (double));
        double      wins = 0.0, tri = 0.0, dist = 0.0;

        for (guint i = 0; i < ids->len; i++)
          {
            g_autoptr (AssaySeries) s = assay_series_load (store, g_array_index (ids, gint64, i), &error);
            g_autoptr (GArray) truth = assay_series_annotation_union (s);
            guint             len, l = g_array_index (truth, guint, 0), y = 25;
            g_autofree float *v = assay_cpd_load_score (store, run, s->id, names[c], &len);
            for (guint t = 25; t < s->T - 25; t++)
              {
                double x = v[t];
                if (v[t] > v[y])
                  y = t;
                if (t == l)
                  g_array_append_val (pos, x);
                else if (t + 1 != l && t != l + 1)
                  g_array_append_val (neg, x);
              }
            tri += MAX (0.0, 1.0 - fabs ((double) y - l) / 15.0);
            dist += fabs ((double) y - l);
          }
        for (guint p = 0; p < pos->len; p++)
          for (guint q = 0; q < neg->len; q++)
            {
              double u = g_array_index (pos, double, p), w = g_array_index (neg, double, q);
              wins += u > w ? 1.0 : u == w ? 0.5 : 0.0;
            }
        g_assert_cmpfloat_with_epsilon (json_object_get_double_member (m, "auc"),
                                        wins / ((double) pos->len * neg->len), 1e-12);
        g_assert_cmpfloat_with_epsilon (json_object_get_double_member (m, "tri"), tri / ids->len, 1e-12);
        g_assert_cmpfloat_with_epsilon (json_object_get_double_member (m, "dist"), dist / ids->len, 1e-12);
        g_array_unref (pos);
        g_array_unref (neg);
      }
    g_assert_true (json_object_has_member (metrics, "type_accuracy_predicted"));
    /* p_acc of the first series: its graphs A_t against the springs the simulator draws again */
    {
      JsonObject *first = json_array_get_object_element (json_object_get_array_member (metrics, "per_series"), 0);
      g_autoptr (AssayCpdSeriesView) view = assay_cpd_series_view_load (store, g_array_index (ids, gint64, 0), run, &error);
      float       springs[2 * 25];
      g_autoptr (AssaySeries) sim = assay_spring_simulate (ASSAY_SPRING_CONNECTION, 5, 0, springs);
      guint       tc = g_array_index ((GArray *) g_ptr_array_index (sim->annotations, 0), guint, 0), right = 0;
      g_assert_nonnull (view->graphs_after);
      for (guint t = 25; t < 75; t++)
        for (guint i = 0; i < 5; i++)
          for (guint j = 0; j < 5; j++)
            if (i != j)
              right += (view->graphs_after[t * 25 + i * 5 + j] >= 0.5f) == (springs[(t < tc ? 0 : 25) + i * 5 + j] > 0.5f);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (first, "p_acc"), right / (50.0 * 20), 1e-12);
      g_assert_true (json_object_has_member (metrics, "p_acc"));
    }
    g_assert_true (json_object_has_member (json_array_get_object_element (json_object_get_array_member (metrics, "per_series"), 0),
                                           "type_score"));
  }
}

/* A series longer than the window is scored in windows overlapping by half, each step taken
 * from the window it is most central in: checked against inference on every window. */
static void
test_windows (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("windows.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ds = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (AssayCordModel) model = NULL;
  AssayCordTrainOptions o;
  gint64                a, id;
  guint                 W = 20, T, N, M, E, K, k;

  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_VELOCITY, 12, 9, &a, &error));
  g_array_append_val (ds, a);
  small_options (&o);
  o.window = W;
  o.epochs = 1;
  id = train_small (store, ds, &o, NULL);
  model = assay_cord_model_load (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (model->window, ==, W);
  N = ASSAY_SPRING_PARTICLES;
  M = 4;
  E = N * (N - 1);
  K = assay_cord_net_config (model->net)->edge_types;
  k = model->k;
  {
    g_autoptr (AssaySeries) s = assay_spring_simulate (ASSAY_SPRING_VELOCITY, 77, 0, NULL);
    g_autofree float *s_r = NULL, *s_d = NULL;
    g_autofree double *x = NULL;
    guint              n_starts = 0, starts[64];

    T = s->T;
    s_r = g_new (float, T);
    s_d = g_new (float, T);
    g_assert_true (assay_cord_model_score (model, s, s_r, s_d, NULL, NULL, NULL, NULL, &error));
    x = g_new (double, (gsize) T * N * M);
    for (gsize i = 0; i < (gsize) T * N * M; i++)
      x[i] = (s->x[i] - model->mean[i % M]) / model->std[i % M];
    for (guint st = 0;; st += W / 2)
      {
        starts[n_starts++] = MIN (st, T - W);
        if (MIN (st, T - W) + W >= T)
          break;
      }
    g_assert_cmpuint (n_starts, ==, 9);
    for (guint t = 1; t < T; t++)
      {
        double best = G_MAXDOUBLE;
        if (t < 5 || t + 5 >= T)
          {
            /* the model's margin at either end scores 0 */
            g_assert_cmpfloat (s_r[t], ==, 0.0f);
            g_assert_cmpfloat (s_d[t], ==, 0.0f);
            continue;
          }
        gboolean matched = FALSE;
        for (guint w = 0; w < n_starts; w++)
          if (starts[w] < t && t < starts[w] + W)
            best = MIN (best, fabs (t - (starts[w] + W / 2.0)));
        for (guint w = 0; w < n_starts && !matched; w++)
          {
            g_autofree double *prob = g_new (double, (gsize) W * E * K), *roll = g_new (double, (gsize) W * k * N * M);
            guint              u = t - starts[w];
            double             r = 0.0, d = 0.0;
            guint              steps = MIN (k, T - t);
            if (!(starts[w] < t && t < starts[w] + W) || fabs (t - (starts[w] + W / 2.0)) > best + 0.5)
              continue;
            assay_cord_net_infer (model->net, x + (gsize) starts[w] * N * M, W, k, prob, roll);
            for (guint e = 0; e < E; e++)
              r += fabs (prob[((gsize) u * E + e) * K + 1] - prob[((gsize) (u - 1) * E + e) * K + 1]);
            for (guint j = 0; j < steps; j++)
              for (guint q = 0; q < N * M; q++)
                {
                  double diff = roll[(((gsize) (u - 1) * k) + j) * N * M + q] - x[(gsize) (t + j) * N * M + q];
                  d += diff * diff;
                }
            d /= (double) steps * N * M;
            matched = fabs (r - s_r[t]) <= 1e-5 * MAX (1.0, r) && fabs (d - s_d[t]) <= 1e-5 * MAX (1.0, d);
          }
        if (!matched)
          g_error ("step %u: s_r %g, s_d %g match no window it is most central in", t, s_r[t], s_d[t]);
      }
  }
}

static gint64
dataset_of (AssayStore *store, AssaySeries **series, guint n)
{
  g_autoptr (GError) error = NULL;
  gint64 d = assay_store_add_dataset (store, "cpd", "hand-made", "test", NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpint (assay_series_store (series[i], store, d, &error), >, 0);
      assay_series_free (series[i]);
    }
  return d;
}

static AssaySeries *
noise_series (const char *name, guint T, guint N, guint M, guint seed)
{
  AssaySeries      *s = assay_series_new (name, T, N, M);
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < (gsize) T * N * M; i++)
    s->x[i] = (float) g_rand_double_range (r, -1, 1);
  for (guint n = 0; n < N; n++)
    s->var_names[n] = g_strdup_printf ("v%u", n);
  for (guint m = 0; m < M; m++)
    s->feat_names[m] = g_strdup_printf ("f%u", m);
  return s;
}

static void
test_bad_input (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("bad.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ds = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (AssayCordModel) model = NULL;
  AssayCordTrainOptions o;
  AssayCpdScoreOptions  score;
  gint64                a, bad, id, run = 0;

  small_options (&o);
  o.epochs = 1;
  /* one long series: every sixth window validates */
  {
    AssaySeries *s[] = { noise_series ("long", 400, 3, 2, 11) };
    gint64       d = dataset_of (store, s, 1), id0 = 0;
    g_autoptr (JsonObject) r = NULL;
    g_array_append_val (ds, d);
    g_assert_true (assay_cord_train (store, ds, &o, NULL, NULL, NULL, &id0, &r, &error));
    g_assert_no_error (error);
    /* windows of 100 at 0, 50, ..., 300: 7, of which the sixth validates */
    g_assert_cmpint (json_object_get_int_member (r, "train_windows"), ==, 6);
    g_assert_cmpint (json_object_get_int_member (r, "valid_windows"), ==, 1);
    g_array_set_size (ds, 0);
  }
  /* a series shorter than a window */
  {
    AssaySeries *s[] = { noise_series ("long-enough", 40, 3, 2, 1), noise_series ("too-short", 8, 3, 2, 2) };
    gint64       d = dataset_of (store, s, 2), id0 = 0;
    g_array_append_val (ds, d);
    g_assert_false (assay_cord_train (store, ds, &o, NULL, NULL, NULL, &id0, NULL, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "too-short"));
    g_assert_nonnull (strstr (error->message, "8 steps"));
    g_clear_error (&error);
    g_array_set_size (ds, 0);
  }
  /* NaN in a series: its step, variable and feature */
  {
    AssaySeries *s[] = { noise_series ("fine", 40, 3, 2, 3), noise_series ("holey", 40, 3, 2, 4) };
    gint64       d, id0 = 0;
    assay_series_at (s[1], 17, 2)[1] = NAN;
    d = dataset_of (store, s, 2);
    g_array_append_val (ds, d);
    g_assert_false (assay_cord_train (store, ds, &o, NULL, NULL, NULL, &id0, NULL, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "“holey”"));
    g_assert_nonnull (strstr (error->message, "step 17, variable v2, feature f1"));
    g_clear_error (&error);
    g_array_set_size (ds, 0);
  }
  /* one variable has no relations to learn */
  {
    AssaySeries *s[] = { noise_series ("alone", 40, 1, 2, 5), noise_series ("alone-2", 40, 1, 2, 6) };
    gint64       d = dataset_of (store, s, 2), id0 = 0;
    g_array_append_val (ds, d);
    g_assert_false (assay_cord_train (store, ds, &o, NULL, NULL, NULL, &id0, NULL, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_clear_error (&error);
    g_array_set_size (ds, 0);
  }
  /* going on from a model: its widths, window and scaling; with a learning rate of almost
   * nothing, its weights */
  {
    AssayCordTrainOptions more = o;
    g_autoptr (AssayCordModel) m0 = NULL, m1 = NULL;
    gint64 id0, id1 = 0;
    gsize  n0, n1;
    double *w0, *w1, worst = 0.0;
    AssaySeries *s3[] = { noise_series ("three", 60, 3, 2, 21), noise_series ("three-b", 60, 3, 2, 22),
                          noise_series ("three-c", 60, 3, 2, 23) };
    gint64 d3 = dataset_of (store, s3, 3);
    g_array_append_val (ds, d3);
    more.window = 30;
    id0 = train_small (store, ds, &more, NULL);
    more.window = 0;
    more.hidden = more.msg_hidden = 16; /* ignored: the model's widths stay */
    more.init = id0;
    more.lr = 1e-15;
    g_assert_true (assay_cord_train (store, ds, &more, NULL, NULL, NULL, &id1, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (id1, !=, id0);
    m0 = assay_cord_model_load (store, id0, &error);
    m1 = assay_cord_model_load (store, id1, &error);
    g_assert_cmpuint (m1->window, ==, 30);
    g_assert_cmpuint (assay_cord_net_config (m1->net)->hidden, ==, 8);
    g_assert_cmpmem (m0->mean, 2 * sizeof (double), m1->mean, 2 * sizeof (double));
    g_assert_cmpmem (m0->std, 2 * sizeof (double), m1->std, 2 * sizeof (double));
    w0 = assay_cord_net_params (m0->net, &n0);
    w1 = assay_cord_net_params (m1->net, &n1);
    g_assert_cmpuint (n0, ==, n1);
    for (gsize i = 0; i < n0; i++)
      worst = MAX (worst, fabs (w0[i] - w1[i]));
    g_assert_cmpfloat (worst, <, 1e-9);
    g_array_set_size (ds, 0);
    /* a model of 3 variables cannot go on with series of 5 */
    g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_VELOCITY, 6, 4, &d3, &error));
    g_array_append_val (ds, d3);
    g_assert_false (assay_cord_train (store, ds, &more, NULL, NULL, NULL, &id1, NULL, &error));
    g_assert_nonnull (strstr (error->message, "is for 3 variables of 2 features; these series have 5 of 4"));
    g_clear_error (&error);
    g_array_set_size (ds, 0);
  }
  /* a model applied to series with another number of variables */
  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_LOCATION, 6, 1, &a, &error));
  g_array_append_val (ds, a);
  id = train_small (store, ds, &o, NULL);
  {
    AssaySeries *s[] = { noise_series ("three-vars", 100, 3, 4, 7) };
    bad = dataset_of (store, s, 1);
  }
  assay_cpd_score_options_init (&score);
  score.detector = ASSAY_DETECTOR_CORD_LEARNED;
  score.model = id;
  g_assert_false (assay_cpd_score_dataset (store, bad, &score, NULL, NULL, NULL, &run, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "“three-vars” has 3 variables of 4 features; the model is for 5 variables of 4 features"));
  g_clear_error (&error);
  /* a model id that is another run, or none */
  score.model = 424242;
  g_assert_false (assay_cpd_score_dataset (store, a, &score, NULL, NULL, NULL, &run, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* damaged models: cut weights, a NaN weight, a configuration that is not JSON */
  model = assay_cord_model_load (store, id, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_exec (store, "CREATE TABLE keep AS SELECT * FROM cpd_models", &error));
  g_assert_true (assay_store_exec (store, "UPDATE cpd_models SET weights = substr(weights, 1, 800)", &error));
  g_assert_null (assay_cord_model_load (store, id, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "is damaged: its weights hold 800 bytes"));
  g_clear_error (&error);
  g_assert_true (assay_store_exec (store, "DELETE FROM cpd_models; INSERT INTO cpd_models SELECT * FROM keep;"
                                          "UPDATE cpd_models SET weights = X'000000000000F87F' || substr(weights, 9)",
                                   &error));
  g_assert_null (assay_cord_model_load (store, id, &error));
  g_assert_nonnull (strstr (error->message, "not finite"));
  g_clear_error (&error);
  g_assert_true (assay_store_exec (store, "UPDATE cpd_models SET config = '{\"N\": 5'", &error));
  g_assert_null (assay_cord_model_load (store, id, &error));
  g_assert_nonnull (strstr (error->message, "is damaged"));
  g_clear_error (&error);
  g_assert_true (assay_store_exec (store, "DELETE FROM cpd_models; INSERT INTO cpd_models SELECT * FROM keep", &error));
  g_assert_nonnull (assay_cord_model_load (store, id, &error));
  /* too short to score: k + 2 steps at least */
  {
    g_autoptr (AssaySeries) s = noise_series ("tiny", 4, 5, 4, 8);
    float s_r[4], s_d[4];
    g_assert_false (assay_cord_model_score (model, s, s_r, s_d, NULL, NULL, NULL, NULL, &error));
    g_assert_nonnull (strstr (error->message, "“tiny” has 4 steps, fewer than the 7 needed"));
    g_clear_error (&error);
  }
}

/* The data-parallel step equals its parts computed one after the other: gradients added in the
 * parts' proportions, batch-norm statistics averaged. */
static void
test_parallel_step (void)
{
  guint              B = 5, T = 13, N = 4, M = 3, K = 2, E = N * (N - 1);
  AssayCordNetConfig cfg;
  g_autoptr (GRand)  r = g_rand_new_with_seed (5);
  g_autofree double *x = g_new (double, (gsize) B * T * N * M), *noise = g_new (double, (gsize) T * B * E * K);
  g_autofree guint8 *truth = g_new (guint8, (gsize) B * T * E);
  AssayCordNet      *whole, *part[2];
  guint              start[3] = { 0, 2, 5 };
  double             loss, want = 0.0, worst = 0.0, scale = 0.0;
  gsize              n_w, n_b;
  AssayCordLoss      parts;

  assay_cord_net_config_init (&cfg, N, M);
  cfg.hidden = 6;
  cfg.msg_hidden = 5;
  cfg.pred_steps = 3;
  cfg.smooth_margin = 2;
  for (gsize i = 0; i < (gsize) B * T * N * M; i++)
    x[i] = g_rand_double_range (r, -1, 1);
  assay_cord_net_gumbel (r, noise, (gsize) T * B * E * K);
  for (gsize i = 0; i < (gsize) B * T * E; i++)
    truth[i] = (guint8) g_rand_int_range (r, 0, 2);
  whole = assay_cord_net_new (&cfg, 9);
  loss = assay_cord_net_loss_parallel (whole, x, B, T, noise, truth, 2, &parts);
  for (int p = 0; p < 2; p++)
    {
      guint             b0 = start[p], nb = start[p + 1] - start[p];
      g_autofree double *sub = g_new (double, (gsize) T * nb * E * K);
      for (guint t = 0; t < T; t++)
        memcpy (sub + (gsize) t * nb * E * K, noise + ((gsize) t * B + b0) * E * K, (gsize) nb * E * K * sizeof (double));
      part[p] = assay_cord_net_new (&cfg, 9);
      want += (double) nb / B * assay_cord_net_loss (part[p], x + (gsize) b0 * T * N * M, nb, T, sub, TRUE, TRUE,
                                                     truth + (gsize) b0 * T * E, NULL);
    }
  g_assert_cmpfloat_with_epsilon (loss, want, 1e-12 * fabs (want));
  {
    double *g = assay_cord_net_grads (whole), *g0 = assay_cord_net_grads (part[0]), *g1 = assay_cord_net_grads (part[1]);
    double *b = assay_cord_net_buffers (whole, &n_b), *b0 = assay_cord_net_buffers (part[0], &n_b);
    double *b1 = assay_cord_net_buffers (part[1], &n_b);
    assay_cord_net_params (whole, &n_w);
    for (gsize i = 0; i < n_w; i++)
      {
        double w = 0.4 * g0[i] + 0.6 * g1[i];
        worst = MAX (worst, fabs (g[i] - w));
        scale = MAX (scale, fabs (w));
      }
    g_assert_cmpfloat (worst, <=, 1e-12 * scale);
    for (gsize i = 0; i < n_b; i++)
      g_assert_cmpfloat_with_epsilon (b[i], 0.5 * (b0[i] + b1[i]), 1e-14);
  }
  assay_cord_net_free (whole);
  assay_cord_net_free (part[0]);
  assay_cord_net_free (part[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpd-learned/train-score-eval", test_train_score_eval);
  g_test_add_func ("/cpd-learned/windows", test_windows);
  g_test_add_func ("/cpd-learned/bad-input", test_bad_input);
  g_test_add_func ("/cpd-learned/parallel-step", test_parallel_step);
  return g_test_run ();
}
