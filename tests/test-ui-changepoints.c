/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Change Points page under Xvfb on scored connection-change series: table with metrics, plot
 * lanes, the graphs A at the cursor (values and colours), the forecast panel, and a mark added by
 * a click and removed by undo. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-changepoints-page.h"
#include "assay-cord-train.h"
#include "assay-curve-chart.h"
#include "assay-detector-dialog.h"
#include "assay-cpd-run.h"
#include "assay-cpd-series-row.h"
#include "assay-cpd-view.h"
#include "assay-matrix-heatmap.h"
#include "assay-series-plot.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"

#define N_SERIES 4

typedef struct
{
  gint64 dataset;
  gint64 run;
} Fixture;

static char *
make_workspace (const char *name, Fixture *fx)
{
  char *path = assay_test_path (name);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayCpdScoreOptions options;

  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_CONNECTION, N_SERIES, 1,
                                             &fx->dataset, &error));
  assay_cpd_score_options_init (&options);
  options.detector = ASSAY_DETECTOR_CORD;
  options.cord.encoder = ASSAY_CORD_ENCODER_RELATIONAL;
  g_assert_true (assay_cpd_score_dataset (store, fx->dataset, &options, NULL, NULL, NULL, &fx->run,
                                          &error));
  g_assert_no_error (error);
  return path;
}

static AssayChangepointsPage *
wait_ready (AssayWindow *window)
{
  AssayChangepointsPage *page =
    ASSAY_CHANGEPOINTS_PAGE (assay_window_get_page (window, "changepoints"));

  assay_window_show_page (window, "changepoints");
  for (int i = 0; i < 200 && !assay_changepoints_page_series_ready (page); i++)
    assay_test_wait (50);
  g_assert_true (assay_changepoints_page_is_loaded (page));
  g_assert_true (assay_changepoints_page_series_ready (page));
  assay_test_wait (200);
  return page;
}

static void
check_page (AssayWindow *window, gpointer data)
{
  Fixture               *fx = data;
  AssayChangepointsPage *page = wait_ready (window);
  GListModel            *rows = assay_changepoints_page_get_rows (page);
  AssayStore            *store = assay_page_get_store (ASSAY_PAGE (page));
  AssaySeriesPlot       *plot = ASSAY_SERIES_PLOT (assay_changepoints_page_get_plot (page));
  g_autoptr (AssayCpdSeriesRow) first = NULL;
  g_autoptr (AssayCpdSeriesView) view = NULL;
  g_autoptr (GError) error = NULL;
  gint64                 series;
  guint                  truth, N;
  double                 auc = -1;
  char                  *type = NULL;

  g_assert_false (assay_page_get_empty (ASSAY_PAGE (page)));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, N_SERIES);
  first = g_list_model_get_item (rows, 0);
  g_object_get (first, "auc", &auc, "type", &type, NULL);
  g_assert_cmpfloat (auc, >=, 0.0);
  g_assert_cmpfloat (auc, <=, 1.0);
  g_assert_cmpstr (type, ==, "connection");
  g_free (type);

  /* The plotted series is the first row; the independent view of the store agrees */
  series = assay_changepoints_page_get_series (page);
  g_assert_cmpint (series, ==, assay_cpd_series_row_get_id (first));
  view = assay_cpd_series_view_load (store, series, fx->run, &error);
  g_assert_no_error (error);
  N = view->series->N;
  g_assert_nonnull (view->graphs_before);
  /* one lane per variable, and s_en, s_r, s_d */
  g_assert_cmpuint (assay_series_plot_get_n_lanes (plot), ==, N + view->scores->len);
  g_assert_cmpuint (view->scores->len, >=, 3);

  /* At the true change the side panel shows A before and after that step */
  {
    g_autoptr (GArray) steps = assay_series_annotation_union (view->series);
    g_assert_cmpuint (steps->len, ==, 1);
    truth = g_array_index (steps, guint, 0);
  }
  assay_changepoints_page_set_cursor (page, (int) truth);
  assay_test_wait (100);
  g_assert_cmpint (assay_changepoints_page_get_cursor (page), ==, (int) truth);
  {
    AssayMatrixHeatmap *before = ASSAY_MATRIX_HEATMAP (assay_changepoints_page_get_heatmap (page, FALSE));
    AssayMatrixHeatmap *after = ASSAY_MATRIX_HEATMAP (assay_changepoints_page_get_heatmap (page, TRUE));
    const float        *ref_b = view->graphs_before + (gsize) truth * N * N;
    const float        *ref_a = view->graphs_after + (gsize) truth * N * N;
    float               strongest = 0, changed = 0;
    g_autoptr (GdkTexture) shot = NULL;
    GdkRGBA             c;

    g_assert_cmpuint (assay_matrix_heatmap_get_size (before), ==, N);
    g_assert_cmpuint (assay_matrix_heatmap_get_size (after), ==, N);
    for (guint i = 0; i < N; i++)
      for (guint j = 0; j < N; j++)
        {
          g_assert_cmpfloat (assay_matrix_heatmap_get_value (before, i, j), ==, ref_b[i * N + j]);
          g_assert_cmpfloat (assay_matrix_heatmap_get_value (after, i, j), ==, ref_a[i * N + j]);
          if (i != j)
            {
              strongest = MAX (strongest, ref_a[i * N + j]);
              changed = MAX (changed, fabsf (ref_a[i * N + j] - ref_b[i * N + j]));
            }
        }
    /* a connection change: some edge of A differs across the step */
    g_assert_cmpfloat (changed, >, 0.2);
    /* the strongest edge is drawn in its colour of the scale */
    shot = assay_test_render (GTK_WIDGET (after));
    assay_matrix_heatmap_color (strongest, &c);
    g_assert_true (assay_test_has_color (shot, &c, 3));
  }
  /* The decoder's forecast against the observed values */
  g_assert_nonnull (strstr (assay_changepoints_page_get_forecast_text (page), "Forecast"));

  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (plot));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 20);
  }
  /* the run's metrics whole, not "AUC 0.…" */
  {
    GtkLabel *summary = GTK_LABEL (assay_changepoints_page_get_summary (page));
    g_assert_nonnull (strstr (gtk_label_get_text (summary), "AUC "));
    g_assert_nonnull (strstr (gtk_label_get_text (summary), "F1 "));
    g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (summary)));
  }
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "changepoints.png");
  }

  /* The mouse wheel zooms and pans and keeps a finite view that still draws: one notch over
   * the plot blanked every lane before. 100 notches in, 100 out, then panned both ways. */
  {
    GtkEventController *scroll = NULL;
    g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (plot));
    double start0, end0, start, end;
    gboolean handled;

    assay_series_plot_get_view (plot, &start0, &end0);
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
        if (GTK_IS_EVENT_CONTROLLER_SCROLL (c))
          scroll = GTK_EVENT_CONTROLLER (c);
      }
    g_assert_nonnull (scroll);
    for (int dir = -1; dir <= 1; dir += 2)
      for (guint n = 0; n < 100; n++)
        {
          g_signal_emit_by_name (scroll, "scroll", 0.0, (double) dir, &handled);
          assay_series_plot_get_view (plot, &start, &end);
          g_assert_true (isfinite (start) && isfinite (end));
          g_assert_cmpfloat (start, >=, 0.0);
          g_assert_cmpfloat (end, >, start);
          g_assert_cmpfloat (end, <=, (double) view->series->T);
          if (n % 25 == 0)
            {
              g_autoptr (GdkTexture) shot = NULL;
              assay_test_wait (30);
              shot = assay_test_render (GTK_WIDGET (plot));
              g_assert_cmpuint (assay_test_count_colors (shot), >, 20);
            }
        }
    for (int dir = -1; dir <= 1; dir += 2)
      for (guint n = 0; n < 100; n++)
        {
          g_signal_emit_by_name (scroll, "scroll", (double) dir, 0.0, &handled);
          assay_series_plot_get_view (plot, &start, &end);
          g_assert_true (isfinite (start) && start >= 0.0 && end <= (double) view->series->T);
        }
    {
      g_autoptr (GdkTexture) shot = NULL;
      assay_test_wait (30);
      shot = assay_test_render (GTK_WIDGET (plot));
      g_assert_cmpuint (assay_test_count_colors (shot), >, 20);
    }
    /* a scroll event's position is NaN on X11: a non-finite view is refused, the view stays */
    assay_series_plot_get_view (plot, &start0, &end0);
    assay_series_plot_set_view (plot, NAN, NAN);
    assay_series_plot_zoom (plot, 1.25, NAN);
    assay_series_plot_get_view (plot, &start, &end);
    g_assert_cmpfloat (start, ==, start0);
    g_assert_cmpfloat (end, ==, end0);
  }

  /* A click adds a mark (stored, counted in the table); undo removes it */
  {
    g_autoptr (GArray) marks = NULL;
    guint n_marks = 99;

    g_signal_emit_by_name (plot, "step-clicked", (guint) 37);
    assay_test_wait (100);
    marks = assay_cpd_marks (store, series, NULL);
    g_assert_cmpuint (marks->len, ==, 1);
    g_assert_cmpuint (g_array_index (marks, guint, 0), ==, 37);
    g_object_get (first, "marks", &n_marks, NULL);
    g_assert_cmpuint (n_marks, ==, 1);
    g_array_unref (marks);

    gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
    assay_test_wait (100);
    marks = assay_cpd_marks (store, series, NULL);
    g_assert_cmpuint (marks->len, ==, 0);
    g_object_get (first, "marks", &n_marks, NULL);
    g_assert_cmpuint (n_marks, ==, 0);
  }

  /* The second series loads when selected */
  {
    g_autoptr (AssayCpdSeriesRow) second = g_list_model_get_item (rows, 1);
    gint64 id = assay_cpd_series_row_get_id (second);
    assay_changepoints_page_select_series (page, id);
    for (int i = 0; i < 100 && !assay_changepoints_page_series_ready (page); i++)
      assay_test_wait (50);
    g_assert_true (assay_changepoints_page_series_ready (page));
    g_assert_cmpint (assay_changepoints_page_get_series (page), ==, id);
  }
}

/* A learned model: its run shows the model's loss curve; the Score dialog lists the model, scores
 * with it, and trains a new one on the page's dataset as a job. */
static char *
make_learned_workspace (const char *name, Fixture *fx, gint64 *model)
{
  char *path = assay_test_path (name);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ds = g_array_new (FALSE, FALSE, sizeof (gint64));
  AssayCpdScoreOptions  options;
  AssayCordTrainOptions train;

  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_cpd_simulate_dataset (store, ASSAY_SPRING_CONNECTION, 12, 2, &fx->dataset, &error));
  g_array_append_val (ds, fx->dataset);
  assay_cord_train_options_init (&train);
  train.hidden = train.msg_hidden = 8;
  train.epochs = 4;
  g_assert_true (assay_cord_train (store, ds, &train, NULL, NULL, NULL, model, NULL, &error));
  g_assert_no_error (error);
  assay_cpd_score_options_init (&options);
  options.detector = ASSAY_DETECTOR_CORD_LEARNED;
  options.model = *model;
  g_assert_true (assay_cpd_score_dataset (store, fx->dataset, &options, NULL, NULL, NULL, &fx->run, &error));
  g_assert_no_error (error);
  return path;
}

static AssayDetectorDialog *
find_detector_dialog (void)
{
  GListModel *tops = gtk_window_get_toplevels (); /* not owned */
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ASSAY_IS_DETECTOR_DIALOG (w))
        return ASSAY_DETECTOR_DIALOG (w);
    }
  return NULL;
}

static void
check_learned (AssayWindow *window, gpointer data)
{
  Fixture               *fx = data;
  AssayChangepointsPage *page = wait_ready (window);
  AssayStore            *store = assay_page_get_store (ASSAY_PAGE (page));
  gint64                 model = assay_store_query_int (store, "SELECT max(run_id) FROM cpd_models", 0);
  AssayDetectorDialog   *dialog;
  AssayCpdScoreOptions   options;
  AssayCordTrainOptions  train;

  /* the learned run is the newest and shown: its model's loss curve beside the metrics */
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "epochs, the best validation loss"));
  {
    g_autofree char *want = g_strdup_printf ("Model #%lld", (long long) model);
    g_assert_true (assay_test_find_label (GTK_WIDGET (page), want));
  }
  assay_changepoints_page_set_cursor (page, 50);
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    g_autoptr (GdkTexture) dark = NULL, small = NULL;
    assay_test_save_screenshot (shot, "changepoints-learned.png");
    /* dark style: the loss curve's lines and labels on the dark panel */
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
    dark = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpuint (assay_test_count_colors (dark), >, 20);
    assay_test_save_screenshot (dark, "changepoints-learned-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    /* 800 x 600 */
    gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
    assay_test_wait (400);
    small = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "changepoints-learned-800x600.png");
  }

  /* the Score dialog lists the model; choosing it scores with it */
  gtk_widget_activate_action (GTK_WIDGET (page), "cpd.score", NULL);
  assay_test_wait (200);
  dialog = find_detector_dialog ();
  g_assert_nonnull (dialog);
  assay_detector_dialog_select_learned (dialog);
  assay_test_wait (200);
  assay_test_save_screenshot (assay_test_render (GTK_WIDGET (dialog)), "detector-dialog-learned.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  assay_test_wait (300);
  assay_test_save_screenshot (assay_test_render (GTK_WIDGET (dialog)), "detector-dialog-learned-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  assay_detector_dialog_get_options (dialog, &options);
  g_assert_cmpint (options.detector, ==, ASSAY_DETECTOR_CORD_LEARNED);
  g_assert_cmpint (options.model, ==, model);

  /* Train: a job on the page's dataset makes a second model */
  assay_detector_dialog_set_train_options (dialog, 2, 8);
  assay_detector_dialog_get_train_options (dialog, &train);
  g_assert_cmpuint (train.epochs, ==, 2);
  g_assert_cmpuint (train.hidden, ==, 8);
  g_signal_emit_by_name (dialog, "train");
  for (int i = 0; i < 400 && assay_store_query_int (store, "SELECT count(*) FROM cpd_models", 0) < 2; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM cpd_models", 0), ==, 2);
  for (int i = 0; i < 40 && !assay_test_find_label (GTK_WIDGET (window), "trained: 2 epochs"); i++)
    assay_test_wait (50);
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "trained: 2 epochs"));
  gtk_window_close (GTK_WINDOW (dialog));
  assay_test_wait (100);
  g_assert_null (find_detector_dialog ());
  {
    g_autoptr (GPtrArray) models = assay_cpd_model_infos (store, NULL);
    g_assert_cmpuint (models->len, ==, 2);
    g_assert_nonnull (strstr (((AssayCpdModelInfo *) g_ptr_array_index (models, 0))->label, "2 epochs"));
  }
  /* a training run is not a scoring run: the run list leaves it out */
  {
    g_autoptr (GPtrArray) runs = assay_cpd_run_infos (store, fx->dataset, NULL);
    g_assert_cmpuint (runs->len, ==, 1);
    g_assert_cmpstr (((AssayCpdRunInfo *) g_ptr_array_index (runs, 0))->detector, ==, "cord-learned");
    g_assert_nonnull (((AssayCpdRunInfo *) g_ptr_array_index (runs, 0))->curve);
  }
}

static void
test_learned (void)
{
  Fixture          fx = { 0 };
  gint64           model = 0;
  g_autofree char *path = make_learned_workspace ("changepoints-learned.assay", &fx, &model);

  assay_test_run_app (path, check_learned, &fx);
}

static void
test_changepoints_page (void)
{
  Fixture          fx = { 0 };
  g_autofree char *path = make_workspace ("changepoints-ui.assay", &fx);

  assay_test_run_app (path, check_page, &fx);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/changepoints/page", test_changepoints_page);
  g_test_add_func ("/ui/changepoints/learned", test_learned);
  return g_test_run ();
}
