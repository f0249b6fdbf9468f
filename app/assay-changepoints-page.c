/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-changepoints-page.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-columns.h"
#include "assay-cpd-jobs.h"
#include "assay-cpd-series-row.h"
#include "assay-cpd-view.h"
#include "assay-detector-dialog.h"
#include "assay-error.h"
#include "assay-import-dialog.h"
#include "assay-json.h"
#include "assay-matrix-heatmap.h"
#include "assay-curve-chart.h"
#include "assay-palette.h"
#include "assay-series-plot.h"
#include "assay-wrap-box.h"

#define SIMULATED_COUNT 20
#define FORECAST_ROWS   8

struct _AssayChangepointsPage
{
  AssayPage           parent_instance;

  GtkDrawingArea      *key_truth;
  GtkDrawingArea      *key_detected;
  GtkDrawingArea      *key_marks;
  GtkLabel            *key_scores;
  GtkDropDown        *dataset_dropdown;
  GtkStringList      *dataset_list;
  GtkDropDown        *run_dropdown;
  GtkStringList      *run_list;
  GtkDropDown        *feature_dropdown;
  GtkStringList      *feature_list;
  GtkLabel           *summary_label;
  GtkColumnView      *column_view;
  GtkLabel           *series_title;
  AssaySeriesPlot    *plot;
  GtkLabel           *cursor_label;
  AssayMatrixHeatmap *heatmap_before;
  AssayMatrixHeatmap *heatmap_after;
  GtkLabel           *forecast_label;
  GtkLabel           *metrics_label;
  GtkLabel           *loss_label;
  AssayCurveChart    *loss_chart;

  GListStore         *rows;
  GtkSortListModel   *sort_model;
  GtkSingleSelection *selection;

  GArray             *dataset_ids; /* gint64, as in dataset_list */
  GPtrArray          *runs;        /* AssayCpdRunInfo *, as in run_list after "No run" */
  gint64              dataset;
  gint64              run;
  gint64              series;      /* selected */
  gint64              want_series; /* to select once listed */
  AssayCpdSeriesView *view;        /* of series under run, or NULL while loading */
  GCancellable       *list_cancellable;
  GCancellable       *series_cancellable;
  gboolean            updating;
};

G_DEFINE_FINAL_TYPE (AssayChangepointsPage, assay_changepoints_page, ASSAY_TYPE_PAGE)

static void load_list (AssayChangepointsPage *self, gint64 dataset, gint64 run);
static void load_series (AssayChangepointsPage *self, gint64 series);

static double
metric (JsonObject *metrics, const char *key)
{
  if (metrics == NULL || !json_object_has_member (metrics, key))
    return -1;
  return assay_json_get_double (metrics, key, -1);
}

/* ---- datasets and runs --------------------------------------------------------------------- */

static void
refresh_datasets (AssayChangepointsPage *self, gint64 select)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_clear_pointer (&self->dataset_ids, g_array_unref);
  if (store == NULL)
    return;
  self->dataset_ids = assay_cpd_dataset_list (store, names);
  for (guint i = 0; i < self->dataset_ids->len; i++)
    if (g_array_index (self->dataset_ids, gint64, i) == select)
      selected = i;
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->dataset_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->dataset_list)),
                          (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->dataset_dropdown, selected);
  self->updating = FALSE;
}

static char *
describe_run (AssayCpdRunInfo *info)
{
  const char *encoder = info->params != NULL ? assay_json_get_string (info->params, "encoder", NULL)
                                             : NULL;
  double      auc = metric (info->metrics, "auc");
  GString    *s = g_string_new (NULL);

  g_string_append_printf (s, "#%lld %s", (long long) info->id, info->detector);
  if (encoder != NULL && g_str_equal (info->detector, "cord"))
    g_string_append_printf (s, " (%s)", encoder);
  if (auc >= 0)
    g_string_append_printf (s, " · AUC %.3f", auc);
  return g_string_free (s, FALSE);
}

/* A learned run: its model's training and validation loss per epoch. */
static void
update_loss_chart (AssayChangepointsPage *self)
{
  AssayCpdRunInfo *info = NULL;

  for (guint i = 0; self->runs != NULL && i < self->runs->len; i++)
    if (((AssayCpdRunInfo *) g_ptr_array_index (self->runs, i))->id == self->run)
      info = g_ptr_array_index (self->runs, i);
  if (info == NULL || info->curve == NULL || json_array_get_length (info->curve) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->loss_chart), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->loss_label), FALSE);
      return;
    }
  {
    guint              n = json_array_get_length (info->curve), best = 0;
    g_autofree double *x = g_new (double, n), *y = g_new (double, 2 * n);
    const char        *names[] = { _("training"), _("validation") };
    g_autofree char   *text = NULL;

    for (guint i = 0; i < n; i++)
      {
        JsonObject *p = json_array_get_object_element (info->curve, i);
        x[i] = assay_json_get_double (p, "epoch", i + 1);
        y[i] = assay_json_get_double (p, "train", NAN);
        y[n + i] = assay_json_get_double (p, "valid", NAN);
        if (y[n + i] < y[n + best])
          best = i;
      }
    assay_curve_chart_set_auto_y (self->loss_chart, TRUE);
    assay_curve_chart_set_labels (self->loss_chart, _("epoch"), _("loss"));
    assay_curve_chart_set_data (self->loss_chart, (int) n, x, 2, names, y, FALSE);
    text = g_strdup_printf (_("<b>Model #%lld</b>: %u epochs, the best validation loss %.4g at epoch %u"),
                            (long long) assay_json_get_int (info->params, "model", 0), n, y[n + best], best + 1);
    gtk_label_set_markup (self->loss_label, text);
    gtk_widget_set_visible (GTK_WIDGET (self->loss_chart), TRUE);
    gtk_widget_set_visible (GTK_WIDGET (self->loss_label), TRUE);
  }
}

static void
update_run_list (AssayChangepointsPage *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_ptr_array_add (names, g_strdup (_("No run")));
  for (guint i = 0; self->runs != NULL && i < self->runs->len; i++)
    {
      AssayCpdRunInfo *info = g_ptr_array_index (self->runs, i);
      g_ptr_array_add (names, describe_run (info));
      if (info->id == self->run)
        selected = i + 1;
    }
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->run_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->run_list)),
                          (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->run_dropdown, selected);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_dropdown), self->runs != NULL && self->runs->len > 0);
  self->updating = FALSE;
}

static AssayCpdRunInfo *
current_run (AssayChangepointsPage *self)
{
  for (guint i = 0; self->runs != NULL && i < self->runs->len; i++)
    if (((AssayCpdRunInfo *) g_ptr_array_index (self->runs, i))->id == self->run)
      return g_ptr_array_index (self->runs, i);
  return NULL;
}

static void
update_summary (AssayChangepointsPage *self)
{
  AssayCpdRunInfo *info = current_run (self);
  guint            n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  GString         *s = g_string_new (NULL);

  g_string_append_printf (s, ngettext ("%u series", "%u series", n), n);
  if (info == NULL)
    g_string_append (s, _(" · not scored yet: Score… runs a detector"));
  else
    {
      static const char *keys[] = { "auc", "tri", "f1", "cover", "type_accuracy" };
      static const char *names[] = { "AUC", "TRI", "F1", N_("cover"), N_("type accuracy") };
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          double v = metric (info->metrics, keys[i]);
          if (v >= 0 && !isnan (v))
            g_string_append_printf (s, " · %s %.3f", i < 3 ? names[i] : _(names[i]), v);
        }
      g_string_append_printf (s, _(" (mean, %s)"), info->detector);
    }
  gtk_label_set_text (self->summary_label, s->str);
  g_string_free (s, TRUE);
}

/* ---- the series table ------------------------------------------------------------------------ */

typedef struct
{
  gint64     dataset;
  gint64     run;    /* -1: the newest */
  GPtrArray *infos;
  GPtrArray *runs;
} ListData;

static void
list_data_free (ListData *data)
{
  g_clear_pointer (&data->infos, g_ptr_array_unref);
  g_clear_pointer (&data->runs, g_ptr_array_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ListData, list_data_free)

/* The runs of the dataset and its series' infos under the run */
static gpointer
read_list (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  ListData *in = data;
  ListData *out = g_new0 (ListData, 1);

  out->dataset = in->dataset;
  out->runs = assay_cpd_run_infos (store, in->dataset, error);
  if (out->runs == NULL)
    {
      list_data_free (out);
      return NULL;
    }
  out->run = in->run;
  if (out->run < 0)
    out->run = out->runs->len > 0 ? ((AssayCpdRunInfo *) g_ptr_array_index (out->runs, 0))->id : 0;
  out->infos = assay_cpd_series_infos (store, in->dataset, out->run, error);
  if (out->infos == NULL)
    {
      list_data_free (out);
      return NULL;
    }
  return out;
}

static void
fill_rows (AssayChangepointsPage *self, GPtrArray *infos)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < infos->len; i++)
    {
      AssayCpdSeriesInfo *info = g_ptr_array_index (infos, i);
      g_ptr_array_add (items, assay_cpd_series_row_new (
                                info->id, info->name, info->T, info->N, info->n_truth,
                                info->n_marks, info->change_type != NULL ? info->change_type : "",
                                metric (info->metrics, "auc"), metric (info->metrics, "tri"),
                                metric (info->metrics, "f1"), metric (info->metrics, "cover")));
    }
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                       items->pdata, items->len);
  g_ptr_array_unref (items);
}

static guint
row_position (AssayChangepointsPage *self, gint64 series)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  guint       n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (AssayCpdSeriesRow) row = g_list_model_get_item (model, i);
      if (assay_cpd_series_row_get_id (row) == series)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
list_done (AssayPage *page, gpointer result, const GError *error, gpointer unused)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (page);
  g_autoptr (ListData)   data = result;
  gint64                 keep;
  guint                  position;

  if (data == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  keep = self->want_series != 0 ? self->want_series : self->series;
  self->dataset = data->dataset;
  self->run = data->run;
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  self->runs = g_steal_pointer (&data->runs);
  update_run_list (self);
  update_loss_chart (self);
  self->updating = TRUE;
  fill_rows (self, data->infos);
  self->updating = FALSE;
  update_summary (self);
  assay_page_set_empty (page, FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cpd.score", TRUE);

  /* Keep the series in view (its scores under the new run), or start on the first row */
  position = row_position (self, keep);
  if (position == GTK_INVALID_LIST_POSITION && g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    position = 0;
  self->want_series = 0;
  self->series = 0;
  self->updating = TRUE;
  gtk_single_selection_set_selected (self->selection, position);
  self->updating = FALSE;
  if (position != GTK_INVALID_LIST_POSITION)
    {
      g_autoptr (AssayCpdSeriesRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
      load_series (self, assay_cpd_series_row_get_id (row));
    }
}

static void
load_list (AssayChangepointsPage *self, gint64 dataset, gint64 run)
{
  ListData *data;

  if (dataset == 0)
    return;
  /* the dataset in view from now on: jobs that finish meanwhile for it reload it */
  self->dataset = dataset;
  data = g_new0 (ListData, 1);
  data->dataset = dataset;
  data->run = run;
  assay_page_load (ASSAY_PAGE (self), &self->list_cancellable, "[assay] change-point series",
                   read_list, list_done, data, (GDestroyNotify) list_data_free,
                   (GDestroyNotify) list_data_free);
}

/* ---- the selected series ---------------------------------------------------------------------- */

static void
update_feature_list (AssayChangepointsPage *self, AssaySeries *series)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint keep = gtk_drop_down_get_selected (self->feature_dropdown);

  g_ptr_array_add (names, (gpointer) (series->M > 1 ? _("All features") : _("Values")));
  for (guint m = 0; series->M > 1 && m < series->M; m++)
    g_ptr_array_add (names, series->feat_names != NULL ? series->feat_names[m] : (gpointer) "");
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->feature_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->feature_list)),
                          (const char *const *) names->pdata);
  if (keep == GTK_INVALID_LIST_POSITION || keep > (series->M > 1 ? series->M : 0))
    keep = 0;
  gtk_drop_down_set_selected (self->feature_dropdown, keep);
  gtk_widget_set_sensitive (GTK_WIDGET (self->feature_dropdown), series->M > 1);
  assay_series_plot_set_feature (self->plot, (int) keep - 1);
  self->updating = FALSE;
}

static void
update_metrics_label (AssayChangepointsPage *self)
{
  AssayCpdSeriesView *v = self->view;
  GString            *s = g_string_new (NULL);
  g_autoptr (GArray) truth = NULL;

  if (v == NULL)
    {
      gtk_label_set_text (self->metrics_label, "");
      g_string_free (s, TRUE);
      return;
    }
  truth = assay_series_annotation_union (v->series);
  g_string_append_printf (s, "<b>%s</b>\n", _("This series"));
  if (v->series->change_type != NULL)
    g_string_append_printf (s, _("True change: %s\n"), v->series->change_type);
  g_string_append_printf (s, _("Annotated steps: %u · your marks: %u\n"), truth->len, v->marks->len);
  g_string_append_printf (s, _("Detected: %u"), v->change_points->len);
  for (guint i = 0; i < MIN (v->change_points->len, 12); i++)
    {
      char type = v->change_types->str[i];
      g_string_append_printf (s, "%s%u%s", i == 0 ? " (" : ", ",
                              g_array_index (v->change_points, guint, i),
                              type == 'C' ? "ᶜ" : type == 'I' ? "ⁱ" : "");
    }
  if (v->change_points->len > 12)
    g_string_append (s, ", …");
  if (v->change_points->len > 0)
    g_string_append (s, ")");
  if (v->metrics != NULL)
    {
      static const char *keys[] = { "auc", "tri", "dist", "f1", "cover" };
      g_string_append_c (s, '\n');
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          double x = metric (v->metrics, keys[i]);
          if (x >= 0 && !isnan (x))
            g_string_append_printf (s, "%s%s %.3f", i == 0 ? "" : " · ", keys[i], x);
        }
      if (json_object_has_member (v->metrics, "type"))
        g_string_append_printf (s, _("\nType at the true change: %s"),
                                assay_json_get_string (v->metrics, "type", ""));
    }
  g_string_append (s, _("\n\nᶜ correlation change · ⁱ independent change"));
  gtk_label_set_markup (self->metrics_label, s->str);
  g_string_free (s, TRUE);
}

/* The side panel at step t: A before and after, the forecast against the observed values. */
static void
show_cursor (AssayChangepointsPage *self, int t)
{
  AssayCpdSeriesView *v = self->view;
  AssaySeries        *x;
  GString            *s;
  g_autofree char    *title = NULL;
  guint               N;

  if (v == NULL || t < 0 || (guint) t >= v->series->T)
    {
      gtk_label_set_text (self->cursor_label, _("Hover the plot to inspect a step"));
      assay_matrix_heatmap_set_matrix (self->heatmap_before, NULL, 0);
      assay_matrix_heatmap_set_matrix (self->heatmap_after, NULL, 0);
      gtk_label_set_text (self->forecast_label, "");
      return;
    }
  x = v->series;
  N = x->N;
  if (x->time_labels != NULL && x->time_labels[t] != NULL)
    title = g_strdup_printf (_("Step %d · %s"), t, x->time_labels[t]);
  else
    title = g_strdup_printf (_("Step %d"), t);
  for (guint i = 0; i < v->scores->len; i++)
    {
      const float *sc = g_ptr_array_index (v->scores, i);
      char        *next = g_strdup_printf ("%s\n%s %.3g", title,
                                           (const char *) g_ptr_array_index (v->score_names, i), sc[t]);
      g_free (title);
      title = next;
    }
  gtk_label_set_text (self->cursor_label, title);

  if (v->graphs_before != NULL)
    {
      assay_matrix_heatmap_set_matrix (self->heatmap_before, v->graphs_before + (gsize) t * N * N, N);
      assay_matrix_heatmap_set_matrix (self->heatmap_after, v->graphs_after + (gsize) t * N * N, N);
    }
  else
    {
      assay_matrix_heatmap_set_matrix (self->heatmap_before, NULL, 0);
      assay_matrix_heatmap_set_matrix (self->heatmap_after, NULL, 0);
    }

  s = g_string_new (NULL);
  if (v->forecast != NULL && t > 0)
    {
      /* one-step forecast of x_t from x_{t-1} and A, per variable: observed, forecast, error */
      g_string_append_printf (s, "%s\n%-10s %7s %7s %6s\n", _("Forecast of this step"), _("var"),
                              _("seen"), _("fcst"), _("|err|"));
      for (guint n = 0; n < MIN (N, FORECAST_ROWS); n++)
        {
          const float *obs = assay_series_at (x, (guint) t, n);
          const float *fc = v->forecast + ((gsize) t * N + n) * x->M;
          double       err = 0;
          for (guint m = 0; m < x->M; m++)
            err += fabs ((double) obs[m] - fc[m]);
          g_string_append_printf (s, "%-10.10s %7.3f %7.3f %6.3f\n",
                                  x->var_names != NULL ? x->var_names[n] : "", obs[0], fc[0],
                                  err / x->M);
        }
      if (N > FORECAST_ROWS)
        g_string_append_printf (s, _("… %u more variables\n"), N - FORECAST_ROWS);
      if (x->M > 1)
        g_string_append (s, _("(first feature; error: mean over features)"));
    }
  else if (v->forecast == NULL)
    g_string_append (s, _("No forecast: the selected run is not CoRD-CPD."));
  gtk_label_set_text (self->forecast_label, s->str);
  g_string_free (s, TRUE);
}

/* Moves the plot's cursor and shows that step in the side panel (once: a cursor that moves
 * tells the panel through "cursor-moved") */
static void
move_cursor (AssayChangepointsPage *self, int step)
{
  if (assay_series_plot_get_cursor (self->plot) == step || step < 0)
    show_cursor (self, step);
  assay_series_plot_set_cursor (self->plot, step);
}

static void
apply_view (AssayChangepointsPage *self, AssayCpdSeriesView *v)
{
  AssaySeries *x = v->series;
  g_autoptr (GArray) truth = assay_series_annotation_union (x);
  g_autofree char *title = NULL;
  int              cursor = assay_series_plot_get_cursor (self->plot);

  g_clear_pointer (&self->view, assay_cpd_series_view_free);
  self->view = v;
  {
    g_autofree char *steps = g_strdup_printf (ngettext ("%u step", "%u steps", x->T), x->T);
    g_autofree char *vars = g_strdup_printf (ngettext ("%u variable", "%u variables", x->N), x->N);
    g_autofree char *feats = g_strdup_printf (ngettext ("%u feature", "%u features", x->M), x->M);
    title = g_strdup_printf (_("%s — %s, %s × %s"), x->name, steps, vars, feats);
  }
  gtk_label_set_text (self->series_title, title);

  assay_series_plot_set_series (self->plot, x->x, x->T, x->N, x->M,
                                (const char *const *) x->var_names,
                                (const char *const *) x->feat_names);
  update_feature_list (self, x);
  assay_series_plot_clear_scores (self->plot);
  {
    gboolean cord = FALSE;
    for (guint i = 0; i < v->scores->len; i++)
      {
        assay_series_plot_add_score (self->plot, g_ptr_array_index (v->score_names, i),
                                     g_ptr_array_index (v->scores, i), x->T);
        cord |= g_strcmp0 (g_ptr_array_index (v->score_names, i), "s_r") == 0;
      }
    /* the words for CoRD's three score lanes; other detectors have one "score" */
    gtk_widget_set_visible (GTK_WIDGET (self->key_scores), cord);
  }
  if (v->runlength != NULL)
    assay_series_plot_add_heatmap (self->plot, _("run length"), v->runlength, x->T, v->R);
  assay_series_plot_set_forecast (self->plot, v->forecast);
  assay_series_plot_set_truth (self->plot, (const guint *) truth->data, truth->len);
  assay_series_plot_set_predicted (self->plot, (const guint *) v->change_points->data,
                                   v->change_types->str, v->change_points->len);
  assay_series_plot_set_marks (self->plot, (const guint *) v->marks->data, v->marks->len);
  update_metrics_label (self);

  /* Start the cursor on the true change, else the strongest detection */
  if (cursor < 0 || (guint) cursor >= x->T)
    cursor = truth->len > 0 ? (int) g_array_index (truth, guint, 0)
             : v->change_points->len > 0 ? (int) g_array_index (v->change_points, guint, 0)
                                         : (int) x->T / 2;
  move_cursor (self, cursor);
}

typedef struct
{
  gint64 series;
  gint64 run;
} SeriesData;

static gpointer
read_series (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  SeriesData *d = data;

  return assay_cpd_series_view_load (store, d->series, d->run, error);
}

static void
series_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  if (result != NULL)
    apply_view (ASSAY_CHANGEPOINTS_PAGE (page), result);
  else
    assay_page_toast (page, error->message);
}

static void
load_series (AssayChangepointsPage *self, gint64 series)
{
  SeriesData *data;

  if (series != self->series)
    assay_series_plot_set_cursor (self->plot, -1);
  self->series = series;
  g_clear_pointer (&self->view, assay_cpd_series_view_free);
  if (series == 0)
    {
      if (self->series_cancellable != NULL)
        g_cancellable_cancel (self->series_cancellable);
      return;
    }
  data = g_new (SeriesData, 1);
  data->series = series;
  data->run = self->run;
  assay_page_load (ASSAY_PAGE (self), &self->series_cancellable, "[assay] change-point series view",
                   read_series, series_done, data, g_free,
                   (GDestroyNotify) assay_cpd_series_view_free);
}

/* ---- marks ------------------------------------------------------------------------------------- */

static void
refresh_marks (AssayChangepointsPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  guint       position;

  if (store == NULL || self->view == NULL)
    return;
  g_array_unref (self->view->marks);
  self->view->marks = assay_cpd_marks (store, self->series, NULL);
  assay_series_plot_set_marks (self->plot, (const guint *) self->view->marks->data,
                               self->view->marks->len);
  update_metrics_label (self);
  position = row_position (self, self->series);
  if (position != GTK_INVALID_LIST_POSITION)
    {
      g_autoptr (AssayCpdSeriesRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
      assay_cpd_series_row_set_marks (row, self->view->marks->len);
    }
}

static void
assay_changepoints_page_store_changed (AssayPage *page, const char *table)
{
  if (g_str_equal (table, "cpd_marks"))
    refresh_marks (ASSAY_CHANGEPOINTS_PAGE (page));
}

static void
step_clicked_cb (AssaySeriesPlot *plot, guint step, AssayChangepointsPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;

  if (store == NULL || self->series == 0 || self->view == NULL)
    return;
  if (!assay_cpd_toggle_mark (store, self->series, step, NULL, &error))
    assay_page_toast (ASSAY_PAGE (self), error->message);
  /* the store's changed::cpd_marks refreshes the plot */
}

static void
cursor_moved_cb (AssaySeriesPlot *plot, guint step, AssayChangepointsPage *self)
{
  show_cursor (self, (int) step);
}

/* ---- toolbar ------------------------------------------------------------------------------------- */

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AssayChangepointsPage *self)
{
  AssayCpdSeriesRow *row = gtk_single_selection_get_selected_item (selection);

  if (self->updating || row == NULL || assay_cpd_series_row_get_id (row) == self->series)
    return;
  load_series (self, assay_cpd_series_row_get_id (row));
}

static void
dataset_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayChangepointsPage *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || self->dataset_ids == NULL || i >= self->dataset_ids->len)
    return;
  self->series = 0;
  load_list (self, g_array_index (self->dataset_ids, gint64, i), -1);
}

static void
run_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayChangepointsPage *self)
{
  guint  i = gtk_drop_down_get_selected (dropdown);
  gint64 run = 0;

  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  if (i > 0 && self->runs != NULL && i - 1 < self->runs->len)
    run = ((AssayCpdRunInfo *) g_ptr_array_index (self->runs, i - 1))->id;
  load_list (self, self->dataset, run);
}

static void
feature_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayChangepointsPage *self)
{
  if (self->updating)
    return;
  assay_series_plot_set_feature (self->plot, (int) gtk_drop_down_get_selected (dropdown) - 1);
}

/* ---- actions ------------------------------------------------------------------------------------- */

static void
job_message_cb (AssayJob *job, AssayChangepointsPage *self)
{
  JsonNode *result = assay_job_get_result (job);

  /* (a failure is toasted by the window) */
  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL
      && JSON_NODE_HOLDS_OBJECT (result) && g_str_equal (assay_job_get_kind (job), "cpd-score"))
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (_("Scored in %.1f s: AUC %.3f, F1 %.3f"),
                                              assay_json_get_double (o, "seconds", 0),
                                              assay_json_get_double (o, "auc", NAN),
                                              assay_json_get_double (o, "f1", NAN));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
  else if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL
           && JSON_NODE_HOLDS_OBJECT (result) && g_str_equal (assay_job_get_kind (job), "cpd-train"))
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (_("Model #%lld trained: %lld epochs, validation loss %.4g — Score… scores with it"),
                                              (long long) assay_json_get_int (o, "model", 0),
                                              (long long) assay_json_get_int (o, "epochs", 0),
                                              assay_json_get_double (o, "valid_loss", NAN));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

static void
submit (AssayChangepointsPage *self, AssayJob *job)
{
  g_signal_connect_object (job, "finished", G_CALLBACK (job_message_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

void
assay_changepoints_page_score (AssayChangepointsPage *self, const AssayCpdScoreOptions *options)
{
  g_return_if_fail (ASSAY_IS_CHANGEPOINTS_PAGE (self));
  if (self->dataset == 0)
    return;
  {
    g_autoptr (AssayJob) job = assay_cpd_score_job_new (self->dataset, options);
    submit (self, job);
  }
}

static void
dialog_score_cb (AssayDetectorDialog *dialog, AssayChangepointsPage *self)
{
  AssayCpdScoreOptions options;

  assay_cpd_score_options_init (&options);
  assay_detector_dialog_get_options (dialog, &options);
  assay_changepoints_page_score (self, &options);
}

static void
dialog_train_cb (AssayDetectorDialog *dialog, AssayChangepointsPage *self)
{
  AssayCordTrainOptions options;
  g_autoptr (GArray) datasets = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (self->dataset == 0)
    return;
  assay_detector_dialog_get_train_options (dialog, &options);
  g_array_append_val (datasets, self->dataset);
  {
    g_autoptr (AssayJob) job = assay_cpd_train_job_new (datasets, &options);
    submit (self, job);
  }
}

static void
score_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (widget);
  AssayDetectorDialog   *dialog;
  guint                  i = gtk_drop_down_get_selected (self->dataset_dropdown);
  const char            *dataset_name = NULL;

  if (self->dataset == 0)
    return;
  if (i != GTK_INVALID_LIST_POSITION)
    dataset_name = gtk_string_list_get_string (self->dataset_list, i);
  dialog = assay_detector_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), dataset_name);
  g_signal_connect_object (dialog, "score", G_CALLBACK (dialog_score_cb), self, 0);
  g_signal_connect_object (dialog, "train", G_CALLBACK (dialog_train_cb), self, 0);
  {
    g_autoptr (GPtrArray) models = assay_cpd_model_infos (assay_page_get_store (ASSAY_PAGE (self)), NULL);
    g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr (GPtrArray) labels = g_ptr_array_new ();
    for (guint i = 0; models != NULL && i < models->len; i++)
      {
        AssayCpdModelInfo *m = g_ptr_array_index (models, i);
        g_array_append_val (ids, m->id);
        g_ptr_array_add (labels, m->label);
      }
    g_ptr_array_add (labels, NULL);
    assay_detector_dialog_set_models (dialog, (gint64 *) ids->data, (const char *const *) labels->pdata, ids->len);
  }
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
simulate_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (widget);
  AssaySpringChange      change;
  guint64                seed;

  if (!assay_spring_parse_change (g_variant_get_string (param, NULL), &change))
    return;
  /* Seeds follow the number of datasets, so a new simulation differs from the last one and
   * the same workspace history reproduces the same series. */
  seed = 1 + (self->dataset_ids != NULL ? self->dataset_ids->len : 0);
  {
    g_autoptr (AssayJob) job = assay_cpd_simulate_job_new (change, SIMULATED_COUNT, seed);
    submit (self, job);
  }
}

void
assay_changepoints_page_import (AssayChangepointsPage *self, const char *path)
{
  const char *paths[] = { path, NULL };
  g_autoptr (AssayJob) job = assay_cpd_import_job_new (paths, NULL);

  submit (self, job);
}

static void
import_dialog_cb (AssayImportDialog *dialog, gpointer data)
{
  static const char delimiters[] = { ',', '\t', ';' };
  AssayCpdImportOptions o;
  g_autofree char *time = g_strstrip (g_strdup (assay_import_dialog_get_text (dialog, "time")));
  g_autoptr (AssayJob) job = NULL;

  assay_cpd_import_options_init (&o);
  o.format = (AssayCpdFormat) assay_import_dialog_get_choice (dialog, "format"); /* in AssayCpdFormat's order */
  o.name = assay_import_dialog_get_name (dialog);
  o.time_column = *time != '\0' ? time : NULL;
  o.delimiter = delimiters[MIN (assay_import_dialog_get_choice (dialog, "delimiter"), G_N_ELEMENTS (delimiters) - 1)];
  o.refuse_missing = assay_import_dialog_get_switch (dialog, "refuse-missing");
  job = assay_cpd_import_job_new (assay_import_dialog_get_files (dialog), &o);
  submit (ASSAY_CHANGEPOINTS_PAGE (data), job);
}

AssayImportDialog *
assay_changepoints_page_import_with_options (AssayChangepointsPage *self, const char *path)
{
  const char *files[] = { path, NULL };
  const char *formats[] = { _("Automatic"), _("CSV (a column per variable)"), _("TCPD JSON"), _("JSONL"), NULL };
  const char *delimiters[] = { _("Comma"), _("Tab"), _("Semicolon"), NULL };
  g_autofree char *lower = g_ascii_strdown (path, -1);
  AssayImportDialog *dialog = assay_import_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                       _("Import Series"), files, import_dialog_cb, self);

  assay_import_dialog_add_choice (dialog, "format", _("Format"), NULL, formats, ASSAY_CPD_FORMAT_AUTO);
  assay_import_dialog_add_text (dialog, "time", _("Time column (CSV; empty: none)"), NULL);
  assay_import_dialog_add_choice (dialog, "delimiter", _("Delimiter (CSV)"), NULL, delimiters,
                                  g_str_has_suffix (lower, ".tsv") ? 1 : 0);
  assay_import_dialog_add_switch (dialog, "refuse-missing", _("Refuse missing values"),
                                  _("Fail on a missing value instead of interpolating it"), FALSE);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
import_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    assay_changepoints_page_import_with_options (ASSAY_CHANGEPOINTS_PAGE (page), path);
}

static void
import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Series (CSV, TCPD JSON, JSONL)"));
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  assay_page_choose (ASSAY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _("Import Time Series"),
                     _("_Import"), filter, NULL, FALSE, import_chosen, NULL);
}

/* ---- page ---------------------------------------------------------------------------------------- */

static void
assay_changepoints_page_workspace_changed (AssayPage *page, AssayStore *store)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (page);

  g_clear_pointer (&self->view, assay_cpd_series_view_free);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  self->dataset = self->run = self->series = self->want_series = 0;
  g_list_store_remove_all (self->rows);
  assay_page_set_empty (page, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cpd.score", FALSE);
  if (store == NULL)
    return;
  refresh_datasets (self, 0);
  if (self->dataset_ids != NULL && self->dataset_ids->len > 0)
    load_list (self, g_array_index (self->dataset_ids, gint64, 0), -1);
}

static void
assay_changepoints_page_job_finished (AssayPage *page, AssayJob *job)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (page);
  JsonNode              *result = assay_job_get_result (job);
  const char            *kind = assay_job_get_kind (job);
  JsonObject            *o;

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || result == NULL
      || !JSON_NODE_HOLDS_OBJECT (result) || !g_str_has_prefix (kind, "cpd-"))
    return;
  o = json_node_get_object (result);
  if (g_str_equal (kind, "cpd-score"))
    {
      /* show the new run if it scored the dataset in view */
      gint64 run = assay_json_get_int (o, "run", 0);
      if (self->dataset == 0 || assay_json_get_int (o, "dataset", 0) != self->dataset)
        return;
      load_list (self, self->dataset, run);
    }
  else
    {
      /* a new dataset (simulated or imported): show it */
      gint64 dataset = assay_json_get_int (o, "dataset", 0);
      refresh_datasets (self, dataset);
      self->series = 0;
      load_list (self, dataset, -1);
    }
}

static void
assay_changepoints_page_focus_content (AssayPage *page)
{
  /* the plot: ←/→ move the cursor, +/−/0 zoom, m marks (Tab reaches the series list) */
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (page);
  gtk_widget_grab_focus (GTK_WIDGET (self->plot));
}

static void
assay_changepoints_page_dispose (GObject *object)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (object);

  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->series_cancellable != NULL)
    g_cancellable_cancel (self->series_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->series_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_CHANGEPOINTS_PAGE);
  G_OBJECT_CLASS (assay_changepoints_page_parent_class)->dispose (object);
}

static void
assay_changepoints_page_finalize (GObject *object)
{
  AssayChangepointsPage *self = ASSAY_CHANGEPOINTS_PAGE (object);

  g_clear_pointer (&self->view, assay_cpd_series_view_free);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->dataset_ids, g_array_unref);
  g_clear_object (&self->rows);
  g_clear_object (&self->selection);
  G_OBJECT_CLASS (assay_changepoints_page_parent_class)->finalize (object);
}

/* The legend's line samples, drawn as the plot draws those lines (assay-series-plot.c) */
static void
key_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  int     kind = GPOINTER_TO_INT (data);
  double  dash[] = { kind == 1 ? 4 : 2, kind == 1 ? 4 : 2 };
  GdkRGBA color;

  if (kind == 0)
    assay_palette_positive (&color);
  else if (kind == 1)
    assay_palette_negative (&color);
  else
    assay_palette_series (3, &color);
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 1.5);
  cairo_set_dash (cr, dash, kind == 0 ? 0 : 2, 0);
  /* upright, as in the plot */
  cairo_move_to (cr, width / 2 + 0.5, 0);
  cairo_line_to (cr, width / 2 + 0.5, height);
  cairo_stroke (cr);
}

static void
assay_changepoints_page_class_init (AssayChangepointsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AssayPageClass *page_class = ASSAY_PAGE_CLASS (klass);

  object_class->dispose = assay_changepoints_page_dispose;
  object_class->finalize = assay_changepoints_page_finalize;
  page_class->workspace_changed = assay_changepoints_page_workspace_changed;
  page_class->focus_content = assay_changepoints_page_focus_content;
  page_class->job_finished = assay_changepoints_page_job_finished;
  page_class->store_changed = assay_changepoints_page_store_changed;

  g_type_ensure (ASSAY_TYPE_SERIES_PLOT);
  g_type_ensure (ASSAY_TYPE_MATRIX_HEATMAP);
  g_type_ensure (ASSAY_TYPE_CURVE_CHART);
  g_type_ensure (ASSAY_TYPE_WRAP_BOX);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-changepoints-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, AssayChangepointsPage, name)
  CHILD (dataset_dropdown);
  CHILD (dataset_list);
  CHILD (run_dropdown);
  CHILD (run_list);
  CHILD (feature_dropdown);
  CHILD (feature_list);
  CHILD (summary_label);
  CHILD (column_view);
  CHILD (series_title);
  CHILD (plot);
  CHILD (key_truth);
  CHILD (key_detected);
  CHILD (key_marks);
  CHILD (key_scores);
  CHILD (cursor_label);
  CHILD (heatmap_before);
  CHILD (heatmap_after);
  CHILD (forecast_label);
  CHILD (metrics_label);
  CHILD (loss_label);
  CHILD (loss_chart);
#undef CHILD

  gtk_widget_class_install_action (widget_class, "cpd.score", NULL, score_action);
  gtk_widget_class_install_action (widget_class, "cpd.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "cpd.simulate", "s", simulate_action);
}

static void
assay_changepoints_page_init (AssayChangepointsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->key_truth, key_draw, GINT_TO_POINTER (0), NULL);
  gtk_drawing_area_set_draw_func (self->key_detected, key_draw, GINT_TO_POINTER (1), NULL);
  gtk_drawing_area_set_draw_func (self->key_marks, key_draw, GINT_TO_POINTER (2), NULL);
  assay_matrix_heatmap_set_title (self->heatmap_before, _("A before the step"));
  assay_matrix_heatmap_set_title (self->heatmap_after, _("A after the step"));

  self->rows = g_list_store_new (ASSAY_TYPE_CPD_SERIES_ROW);
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->rows)),
                                              g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->sort_model));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));

  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Series"), "name",
                     FALSE, TRUE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Steps"), "steps", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Vars"), "variables", TRUE,
                     FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Change"), "type", FALSE,
                     FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Truth"), "truth", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Marks"), "marks", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, "AUC", "auc", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, "TRI", "tri", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, "F1", "f1", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_CPD_SERIES_ROW, _("Cover"), "cover", TRUE, FALSE);

  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (self->dataset_dropdown, "notify::selected", G_CALLBACK (dataset_changed_cb), self);
  g_signal_connect (self->run_dropdown, "notify::selected", G_CALLBACK (run_changed_cb), self);
  g_signal_connect (self->feature_dropdown, "notify::selected", G_CALLBACK (feature_changed_cb), self);
  g_signal_connect (self->plot, "step-clicked", G_CALLBACK (step_clicked_cb), self);
  g_signal_connect (self->plot, "cursor-moved", G_CALLBACK (cursor_moved_cb), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cpd.score", FALSE);
  show_cursor (self, -1);
}

AssayPage *
assay_changepoints_page_new (void)
{
  return g_object_new (ASSAY_TYPE_CHANGEPOINTS_PAGE, "name", "changepoints", "title",
                       _("Change Points"), "icon-name", "assay-changepoints-symbolic",
                       "empty-title", _("No Series"), "empty-description",
                       _("Multivariate time series with correlation-change and dynamics-change "
                         "scores, baselines, ground truth and your own marks.\n\nImport CSV, "
                         "TCPD JSON or JSONL, or simulate particle-spring series."),
                       NULL);
}

gboolean
assay_changepoints_page_is_loaded (AssayChangepointsPage *self)
{
  return self->dataset != 0;
}

GListModel *
assay_changepoints_page_get_rows (AssayChangepointsPage *self)
{
  return G_LIST_MODEL (self->selection);
}

void
assay_changepoints_page_select_series (AssayChangepointsPage *self, gint64 series)
{
  guint position = row_position (self, series);

  if (position == GTK_INVALID_LIST_POSITION)
    {
      self->want_series = series;
      return;
    }
  self->updating = TRUE;
  gtk_single_selection_set_selected (self->selection, position);
  self->updating = FALSE;
  if (series != self->series || self->view == NULL)
    load_series (self, series);
}

gint64
assay_changepoints_page_get_series (AssayChangepointsPage *self)
{
  return self->series;
}

gboolean
assay_changepoints_page_series_ready (AssayChangepointsPage *self)
{
  return self->view != NULL;
}

GtkWidget *
assay_changepoints_page_get_plot (AssayChangepointsPage *self)
{
  return GTK_WIDGET (self->plot);
}

GtkWidget *
assay_changepoints_page_get_heatmap (AssayChangepointsPage *self, gboolean after)
{
  return GTK_WIDGET (after ? self->heatmap_after : self->heatmap_before);
}

int
assay_changepoints_page_get_cursor (AssayChangepointsPage *self)
{
  return assay_series_plot_get_cursor (self->plot);
}

void
assay_changepoints_page_set_cursor (AssayChangepointsPage *self, int step)
{
  move_cursor (self, step);
}

const char *
assay_changepoints_page_get_forecast_text (AssayChangepointsPage *self)
{
  return gtk_label_get_text (self->forecast_label);
}

GtkWidget *
assay_changepoints_page_get_summary (AssayChangepointsPage *self)
{
  return GTK_WIDGET (self->summary_label);
}
