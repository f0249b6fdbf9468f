/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window under Xvfb: opens a workspace, visits the five pages, and checks each drew. */
#include <adwaita.h>

#include <math.h>
#include <string.h>

#include "assay-datasets-window.h"
#include "assay-demo.h"
#include "assay-generations-page.h"
#include "assay-changepoints-page.h"
#include "assay-job-row.h"
#include "assay-trace-import.h"
#include "assay-traces-page.h"
#include "assay-video-demo.h"
#include "assay-videos-page.h"
#include "assay-application.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"

static void
visit_pages (AssayWindow *window, gpointer data)
{
  const char *const *names = assay_window_page_names ();
  guint              n = 0;

  g_assert_nonnull (assay_window_get_store (window));
  for (guint i = 0; names[i] != NULL; i++, n++)
    {
      AssayPage       *page = assay_window_get_page (window, names[i]);
      g_autoptr (GdkTexture) shot = NULL;
      g_autofree char *file = g_strdup_printf ("page-%s.png", names[i]);
      guint            colors;

      g_assert_nonnull (page);
      g_assert_true (assay_window_show_page (window, names[i]));
      assay_test_wait (250);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (page)), >, 300);
      g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (page)), >, 300);
      shot = assay_test_render (GTK_WIDGET (page));
      colors = assay_test_count_colors (shot);
      g_test_message ("page %s: %dx%d, %u colours", names[i], gdk_texture_get_width (shot),
                      gdk_texture_get_height (shot), colors);
      /* A blank or one-colour page means nothing was drawn. */
      g_assert_cmpuint (colors, >, 8);
      g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "ui.assay");
      {
        g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
        assay_test_save_screenshot (whole, file);
      }
    }
  g_assert_cmpuint (n, ==, 5);

  /* The whole window too. */
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "window.png");
  }
}

static void
test_visit_pages (void)
{
  g_autofree char *path = assay_test_path ("ui.assay");

  assay_test_run_app (path, visit_pages, NULL);
}

static void
welcome (AssayWindow *window, gpointer data)
{
  g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));

  g_assert_null (assay_window_get_store (window));
  g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
  assay_test_save_screenshot (shot, "welcome.png");
}

static void
test_welcome (void)
{
  assay_test_run_app (NULL, welcome, NULL);
}

static GtkWindow *
find_toplevel (const char *type_name)
{
  GListModel *list = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (list, i);
      if (g_str_equal (G_OBJECT_TYPE_NAME (w), type_name) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static void
collect_rows (GtkWidget *widget, GPtrArray *rows)
{
  if (ADW_IS_ACTION_ROW (widget) || ADW_IS_COMBO_ROW (widget))
    g_ptr_array_add (rows, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_rows (c, rows);
}

/* Preferences (it opened empty on libadwaita 1.2: a property from a newer release in the
 * template), the shortcuts window and About open with no warning; the backend in use is shown. */
static void
open_windows (AssayWindow *window, gpointer data)
{
  GtkWindow *prefs, *other;
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  gboolean   in_use = FALSE;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "app.preferences", NULL));
  assay_test_wait (300);
  prefs = find_toplevel ("AssayPreferencesWindow");
  g_assert_nonnull (prefs);
  collect_rows (GTK_WIDGET (prefs), rows);
  g_assert_cmpuint (rows->len, >=, 4); /* backend, in use, threads, text encoder */
  for (guint i = 0; i < rows->len; i++)
    if (ADW_IS_ACTION_ROW (rows->pdata[i])
        && g_strcmp0 (adw_preferences_row_get_title (rows->pdata[i]), "In use") == 0)
      {
        const char *subtitle = adw_action_row_get_subtitle (rows->pdata[i]);
        in_use = TRUE;
        g_assert_true (g_str_has_prefix (subtitle, "CPU") || g_str_has_prefix (subtitle, "CUDA"));
      }
  g_assert_true (in_use);
  /* the text encoder row says which folder embeds texts, and follows the setting */
  {
    GSettings *settings = assay_application_get_settings (ASSAY_APPLICATION (g_application_get_default ()));
    AdwActionRow *encoder = NULL;
    for (guint i = 0; i < rows->len; i++)
      if (ADW_IS_ACTION_ROW (rows->pdata[i])
          && g_strcmp0 (adw_preferences_row_get_title (rows->pdata[i]), "Text _encoder") == 0)
        encoder = rows->pdata[i];
    g_assert_nonnull (encoder);
    g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (encoder), "None yet"));
    g_settings_set_string (settings, "encoder-model", "/models/bge-small-en-v1.5");
    g_assert_cmpstr (adw_action_row_get_subtitle (encoder), ==, "/models/bge-small-en-v1.5");
    assay_test_wait (100);
  }
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (prefs));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "preferences.png");
  }
  gtk_window_destroy (prefs);
  g_settings_set_string (assay_application_get_settings (ASSAY_APPLICATION (g_application_get_default ())),
                         "encoder-model", "");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  assay_test_wait (300);
  other = find_toplevel ("GtkShortcutsWindow");
  g_assert_nonnull (other);
  gtk_window_destroy (other);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "app.about", NULL));
  assay_test_wait (300);
  other = find_toplevel ("AdwAboutWindow");
  g_assert_nonnull (other);
  gtk_window_destroy (other);
  assay_test_wait (50);
}

static void
test_open_windows (void)
{
  g_autofree char *path = assay_test_path ("windows.assay");

  assay_test_run_app (path, open_windows, NULL);
}

/* A toast shows its message as written: "<" and "&" (most parse errors) made the markup title
 * fail to parse, and the toast showed nothing. */
static void
toast_text (AssayWindow *window, gpointer data)
{
  const char *message = "line 3: expected \"<\" & found \">\" in <data>";
  AdwToastOverlay *overlay = NULL;
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  gboolean         shown = FALSE;

  assay_window_toast (window, message);
  assay_test_wait (400);
  /* the toast's label, as drawn */
  {
    GtkWidget *w = GTK_WIDGET (window);
    GPtrArray *stack = g_ptr_array_new ();
    g_ptr_array_add (stack, w);
    while (stack->len > 0)
      {
        GtkWidget *top = g_ptr_array_steal_index (stack, stack->len - 1);
        if (ADW_IS_TOAST_OVERLAY (top))
          overlay = ADW_TOAST_OVERLAY (top);
        if (GTK_IS_LABEL (top) && gtk_widget_get_mapped (top)
            && g_strcmp0 (gtk_label_get_text (GTK_LABEL (top)), message) == 0)
          shown = TRUE;
        for (GtkWidget *c = gtk_widget_get_first_child (top); c != NULL; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
  }
  g_assert_nonnull (overlay);
  g_assert_true (shown);
}

static void
test_toast_text (void)
{
  assay_test_run_app (NULL, toast_text, NULL);
}

/* A job that fails says so where the user looks, with the way to the details: it was only
 * inside the jobs popover (e.g. an import of a file that is not there). */
static void
failed_job (AssayWindow *window, gpointer data)
{
  AssayPage *page = assay_window_get_page (window, "generations");

  assay_window_show_page (window, "generations");
  assay_generations_page_import (ASSAY_GENERATIONS_PAGE (page), "/nonexistent/generations.jsonl");
  for (int i = 0; i < 100 && !assay_test_find_label (GTK_WIDGET (window), "failed:"); i++)
    assay_test_wait (30);
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "failed:"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "/nonexistent/generations.jsonl"));
  /* Details opens the jobs list */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-jobs", NULL));
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "failed-job.png");
  }
}

static void
test_failed_job (void)
{
  g_autofree char *path = assay_test_path ("failed-job.assay");

  assay_test_run_app (path, failed_job, NULL);
}

/* A long job shows its progress, elapsed time and time left on the page that started it, and
 * goes away from there when it ends (it was only in the jobs popover, without any time). */
static gboolean
slow_job (AssayJob *job, gpointer data, GError **error)
{
  volatile gint *release = data;

  for (int i = 1; i <= 40 && !g_atomic_int_get (release); i++)
    {
      if (assay_job_check_cancelled (job, error))
        return FALSE;
      g_usleep (50 * 1000);
      assay_job_set_progress (job, i / 100.0, "Working through the records");
    }
  while (!g_atomic_int_get (release))
    g_usleep (10 * 1000);
  return TRUE;
}

static void
page_progress (AssayWindow *window, gpointer data)
{
  AssayPage     *page = assay_window_get_page (window, "labels");
  GtkWidget     *box = assay_page_get_jobs_box (page);
  volatile gint  release = 0;
  g_autoptr (AssayJob) job = assay_job_new ("test", "A long job", ASSAY_JOB_LANE_COMPUTE, slow_job,
                                            (gpointer) &release, NULL);
  const char    *text = NULL;

  assay_window_show_page (window, "labels");
  assay_page_submit (page, job);
  g_assert_true (gtk_widget_get_visible (box));
  for (int i = 0; i < 150; i++)
    {
      GtkWidget *row = gtk_widget_get_first_child (box);
      assay_test_wait (30);
      text = row != NULL ? assay_job_row_get_time_text (ASSAY_JOB_ROW (row)) : NULL;
      if (text != NULL && strstr (text, " left") != NULL)
        break;
    }
  g_test_message ("page job row: %s", text);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, " elapsed · "));
  g_assert_nonnull (strstr (text, " left"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "A long job"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), " left"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "page-job.png");
  }
  g_atomic_int_set (&release, 1);
  for (int i = 0; i < 100 && !assay_job_is_finished (job); i++)
    assay_test_wait (30);
  assay_test_wait (50);
  g_assert_false (gtk_widget_get_visible (box));
  g_assert_null (gtk_widget_get_first_child (box));
}

static void
test_page_progress (void)
{
  g_autofree char *path = assay_test_path ("page-progress.assay");

  assay_test_run_app (path, page_progress, NULL);
}

/* The Datasets window lists every area's datasets; rename goes through the journal (undo takes
 * it back), delete asks first and takes the rows with it; the pages follow. */
static void
datasets_window (AssayWindow *window, gpointer data)
{
  AssayStore          *store = assay_window_get_store (window);
  AssayDatasetsWindow *dw;
  AdwMessageDialog    *dialog;
  GtkWidget           *row, *button;
  g_autoptr (GPtrArray) before = NULL, after = NULL;

  before = assay_store_list_datasets (store, NULL);
  g_assert_cmpuint (before->len, ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.datasets", NULL));
  assay_test_wait (300);
  dw = ASSAY_DATASETS_WINDOW (find_toplevel ("AssayDatasetsWindow"));
  g_assert_nonnull (dw);
  g_assert_cmpuint (assay_datasets_window_get_n_rows (dw), ==, 2);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dw));
    assay_test_save_screenshot (shot, "datasets.png");
  }
  /* rename the first: its pencil button, a name, Rename */
  row = assay_datasets_window_get_row (dw, 0);
  button = NULL;
  {
    g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
    GPtrArray *stack = g_ptr_array_new ();
    g_ptr_array_add (stack, row);
    while (stack->len > 0)
      {
        GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);
        if (GTK_IS_BUTTON (w) && gtk_widget_get_tooltip_text (w) != NULL)
          g_ptr_array_add (buttons, w);
        for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
    g_assert_cmpuint (buttons->len, ==, 2);
    for (guint i = 0; i < buttons->len; i++)
      if (g_str_equal (gtk_widget_get_tooltip_text (buttons->pdata[i]), "Rename"))
        button = buttons->pdata[i];
  }
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  assay_test_wait (200);
  dialog = assay_datasets_window_get_dialog (dw);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "  renamed pairs ");
  adw_message_dialog_response (dialog, "rename");
  assay_test_wait (200);
  after = assay_store_list_datasets (store, NULL);
  g_assert_cmpstr (((AssayDatasetInfo *) after->pdata[0])->name, ==, "renamed pairs");
  g_clear_pointer (&after, g_ptr_array_unref);
  g_assert_true (assay_store_can_undo (store));

  /* delete the second: the trash button, Delete */
  row = assay_datasets_window_get_row (dw, 1);
  {
    GPtrArray *stack = g_ptr_array_new ();
    button = NULL;
    g_ptr_array_add (stack, row);
    while (stack->len > 0)
      {
        GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);
        if (GTK_IS_BUTTON (w) && g_strcmp0 (gtk_widget_get_tooltip_text (w), "Delete") == 0)
          button = w;
        for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
  }
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  assay_test_wait (200);
  dialog = assay_datasets_window_get_dialog (dw);
  g_assert_nonnull (dialog);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "datasets-delete.png");
  }
  adw_message_dialog_response (dialog, "delete");
  assay_test_wait (300);
  after = assay_store_list_datasets (store, NULL);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpuint (assay_datasets_window_get_n_rows (dw), ==, 1);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM cpd_series", -1), ==, 0);
  gtk_window_destroy (GTK_WINDOW (dw));
}

static void
test_datasets_window (void)
{
  g_autofree char *path = assay_test_path ("datasets-window.assay");
  g_autofree char *rows = assay_test_write_file ("datasets-window.jsonl",
    "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  const char *gen[] = { cli, "gen", "import", "-w", path, rows, NULL };
  const char *cpd[] = { cli, "cpd", "simulate", "-w", path, "--type", "location", "--count", "2", "--seed", "1", NULL };

  g_autofree char *out1 = NULL, *out2 = NULL, *err1 = NULL, *err2 = NULL;

  g_assert_cmpint (assay_test_spawn (gen, &out1, &err1), ==, 0);
  g_assert_cmpint (assay_test_spawn (cpd, &out2, &err2), ==, 0);
  assay_test_run_app (path, datasets_window, NULL);
}

/* Every page of a populated workspace at 1920x1080, 1366x768, 960x1000 (half a screen) and
 * 800x600, light and dark: the window can be that small (its minimum width was 1034 px), each
 * page fits its allocation (nothing cut off), toolbars wrap; screenshots of the two small sizes. */
/* A paned's child given less than its minimum width is cut off: finds the first such, if any */
static GtkWidget *
clipped (GtkWidget *w)
{
  if (!gtk_widget_get_mapped (w))
    return NULL;
  if (GTK_IS_PANED (w))
    for (int k = 0; k < 2; k++)
      {
        GtkWidget *c = k == 0 ? gtk_paned_get_start_child (GTK_PANED (w)) : gtk_paned_get_end_child (GTK_PANED (w));
        int        min = 0;
        if (c == NULL || !gtk_widget_get_visible (c))
          continue;
        gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
        /* (the measure counts the margins, the width does not) */
        if (gtk_widget_get_width (c) + gtk_widget_get_margin_start (c) + gtk_widget_get_margin_end (c) < min)
          return c;
      }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = clipped (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
sizes (AssayWindow *window, gpointer data)
{
  static const int sizes[][2] = { { 1920, 1080 }, { 1366, 768 }, { 960, 1000 }, { 800, 600 } };
  const char *const *names = assay_window_page_names ();
  int                wmin = 0, w0 = 0, h0 = 0;

  /* no crossfades: a page's inner stack, resized while hidden, would be drawn mid-transition
   * before its next allocation (a GTK warning, fatal here) */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  /* everything loads first */
  for (guint i = 0; names[i] != NULL; i++)
    {
      assay_window_show_page (window, names[i]);
      assay_test_wait (600);
    }
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &wmin, NULL, NULL, NULL);
  g_test_message ("window minimum width %d px", wmin);
  g_assert_cmpint (wmin, <=, 800);
  gtk_window_get_default_size (GTK_WINDOW (window), &w0, &h0);
  for (int dark = 0; dark < 2; dark++)
    {
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
      for (guint i = 0; names[i] != NULL; i++)
        {
          GtkWidget *page = GTK_WIDGET (assay_window_get_page (window, names[i]));

          /* pages are switched at the size they were last drawn at: GTK 4.8 warns when a page
           * hidden through a resize is drawn before its next allocation */
          gtk_window_set_default_size (GTK_WINDOW (window), w0, h0);
          assay_test_wait (300);
          assay_window_show_page (window, names[i]);
          assay_test_wait (300);
          for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
            {
              int pmin = 0;

              gtk_window_set_default_size (GTK_WINDOW (window), sizes[s][0], sizes[s][1]);
              assay_test_wait (400);
              gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &pmin, NULL, NULL, NULL);
              if (pmin > gtk_widget_get_width (page) || gtk_widget_get_width (GTK_WIDGET (window)) > sizes[s][0])
                g_error ("%s at %dx%d (%s): the page needs %d px, has %d (window %d wide)", names[i], sizes[s][0],
                         sizes[s][1], dark ? "dark" : "light", pmin, gtk_widget_get_width (page),
                         gtk_widget_get_width (GTK_WIDGET (window)));
              {
                GtkWidget *cut = clipped (page);
                if (cut != NULL)
                  {
                    int min = 0;
                    gtk_widget_measure (cut, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
                    g_error ("%s at %dx%d: a %s in a pane is cut off (%d px of %d)", names[i], sizes[s][0], sizes[s][1],
                             G_OBJECT_TYPE_NAME (cut), gtk_widget_get_width (cut), min);
                  }
              }
              if (sizes[s][0] <= 960)
                {
                  g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
                  g_autofree char *file = g_strdup_printf ("%s-%dx%d-%s.png", names[i], sizes[s][0], sizes[s][1],
                                                           dark ? "dark" : "light");
                  assay_test_save_screenshot (shot, file);
                }
            }
        }
    }
  gtk_window_set_default_size (GTK_WINDOW (window), w0, h0);
  assay_test_wait (300);

  /* every page's dialog opens with no warning, in the same populated workspace */
  {
    static const struct { const char *page, *action, *type; } dialogs[] = {
      { "labels", "labels.train", "AssayTrainDialog" },
      { "changepoints", "cpd.score", "AssayDetectorDialog" },
      { "traces", "traces.credit", "AdwMessageDialog" },
    };
    for (guint d = 0; d < G_N_ELEMENTS (dialogs); d++)
      {
        GtkWindow *dialog;
        g_autofree char *file = g_strdup_printf ("dialog-%s.png", dialogs[d].action);

        assay_window_show_page (window, dialogs[d].page);
        assay_test_wait (200);
        g_assert_true (gtk_widget_activate_action (GTK_WIDGET (assay_window_get_page (window, dialogs[d].page)),
                                                   dialogs[d].action, NULL));
        assay_test_wait (300);
        dialog = find_toplevel (dialogs[d].type);
        if (dialog == NULL)
          g_error ("%s opened no %s", dialogs[d].action, dialogs[d].type);
        {
          g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
          assay_test_save_screenshot (shot, file);
        }
        gtk_window_destroy (dialog);
        assay_test_wait (100);
      }
  }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_sizes (void)
{
  g_autofree char *path = assay_test_path ("sizes.assay");
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_assert_no_error (error);
    g_assert_true (assay_demo_populate (store, NULL, &error));
    g_assert_no_error (error);
    /* the demo shows the Traces page's main feature: a credit run over its traces */
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE area = 'traces' "
                                                   "AND kind = 'credit' AND status = 'done'", 0), ==, 1);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(DISTINCT record_id) FROM trace_tokens", 0), ==, 11);
  }
  assay_test_run_app (path, sizes, NULL);
}

/* The imports of Traces, Videos and Change Points ask for their options first (the CLI's
 * --format, --count, --time-column, --name); what is chosen is what is imported */
static void
import_options (AssayWindow *window, gpointer data)
{
  AssayStore        *store = assay_window_get_store (window);
  AssayImportDialog *dialog;
  g_autofree char   *pairs = assay_test_write_file ("opts-pairs.jsonl",
                                                    "{\"prompt\": \"Q1\", \"chosen\": \"yes\", \"rejected\": \"no\"}\n"
                                                    "{\"prompt\": \"Q2\", \"chosen\": \"up\", \"rejected\": \"down\"}\n");
  GString          *csv = g_string_new ("time,a,b\n");
  g_autofree char  *series = NULL;
  g_autofree char  *dir = assay_test_path ("opts-clips");
  g_auto (GStrv)    clips = NULL;
  g_autoptr (GError) error = NULL;

  for (int t = 0; t < 60; t++)
    g_string_append_printf (csv, "%d,%g,%g\n", 1000 + 10 * t, t < 30 ? 0.0 : 3.0, sin (t / 5.0));
  series = assay_test_write_file ("opts-series.csv", csv->str);
  g_string_free (csv, TRUE);

  dialog = assay_traces_page_import_with_options (ASSAY_TRACES_PAGE (assay_window_get_page (window, "traces")), pairs);
  assay_import_dialog_set_choice (dialog, "format", ASSAY_TRACE_FORMAT_TRL);
  assay_import_dialog_set_text (dialog, "name", "My pairs");
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "import-options-traces.png");
  }
  assay_import_dialog_import (dialog);
  for (int i = 0; i < 100 && assay_store_query_int (store, "SELECT count(*) FROM datasets WHERE name = 'My pairs' AND importing IS NULL", 0) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records g JOIN datasets d ON d.id = g.dataset_id "
                                                 "WHERE d.name = 'My pairs' AND g.kind = 'pair'", 0), ==, 2);

  dialog = assay_changepoints_page_import_with_options (ASSAY_CHANGEPOINTS_PAGE (assay_window_get_page (window, "changepoints")), series);
  assay_import_dialog_set_text (dialog, "time", "time");
  assay_test_wait (100);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "import-options-series.png");
  }
  assay_import_dialog_import (dialog);
  for (int i = 0; i < 100 && assay_store_query_int (store, "SELECT count(*) FROM cpd_series", 0) == 0; i++)
    assay_test_wait (50);
  /* two variables: the time column is the time, not a third variable */
  g_assert_cmpint (assay_store_query_int (store, "SELECT n_vars FROM cpd_series", 0), ==, 2);

  clips = assay_video_demo_write (dir, &error);
  g_assert_no_error (error);
  dialog = assay_videos_page_import_with_options (ASSAY_VIDEOS_PAGE (assay_window_get_page (window, "videos")),
                                                  (const char *const *) clips);
  assay_import_dialog_set_number (dialog, "count", 4);
  assay_import_dialog_import (dialog);
  for (int i = 0; i < 200 && assay_store_query_int (store, "SELECT count(*) FROM videos v JOIN datasets d ON d.id = v.dataset_id "
                                                           "WHERE d.importing IS NULL", 0) < 3; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM videos", 0), ==, 3);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM video_frames", 0), ==, 12);
}

static void
test_import_options (void)
{
  g_autofree char *path = assay_test_path ("import-options.assay");

  assay_test_run_app (path, import_options, NULL);
}

/* Every menu and popover of every page opens (and shows something) with warnings fatal: the
 * main menu, the workspace menu, the jobs list, the filter popovers and the pages' menus */
static void
collect_menu_buttons (GtkWidget *w, GPtrArray *out)
{
  if (GTK_IS_MENU_BUTTON (w) && gtk_widget_get_mapped (w))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_menu_buttons (c, out);
}

static void
popovers (AssayWindow *window, gpointer data)
{
  const char *const *names = assay_window_page_names ();
  guint              opened = 0;

  for (guint p = 0; names[p] != NULL; p++)
    {
      g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
      assay_window_show_page (window, names[p]);
      assay_test_wait (400);
      collect_menu_buttons (GTK_WIDGET (window), buttons);
      g_assert_cmpuint (buttons->len, >=, 2); /* the main menu and the jobs button at least */
      for (guint i = 0; i < buttons->len; i++)
        {
          GtkMenuButton *b = buttons->pdata[i];
          GtkPopover    *pop;
          if (!gtk_widget_is_sensitive (GTK_WIDGET (b)))
            continue;
          gtk_menu_button_popup (b);
          assay_test_wait (150);
          pop = gtk_menu_button_get_popover (b);
          g_assert_nonnull (pop);
          g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (pop)));
          g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (pop)), >, 20);
          if (p == 1 && i == 0)
            {
              g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (pop));
              assay_test_save_screenshot (shot, "popover.png");
            }
          gtk_menu_button_popdown (b);
          assay_test_wait (50);
          opened++;
        }
    }
  g_test_message ("%u menus and popovers opened", opened);
  g_assert_cmpuint (opened, >=, 10);
}

static void
test_popovers (void)
{
  g_autofree char *path = assay_test_path ("popovers.assay");
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_assert_no_error (error);
    g_assert_true (assay_demo_populate (store, NULL, &error));
    g_assert_no_error (error);
  }
  assay_test_run_app (path, popovers, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/welcome", test_welcome);
  g_test_add_func ("/ui/visit-pages", test_visit_pages);
  g_test_add_func ("/ui/open-windows", test_open_windows);
  g_test_add_func ("/ui/toast-text", test_toast_text);
  g_test_add_func ("/ui/failed-job", test_failed_job);
  g_test_add_func ("/ui/page-progress", test_page_progress);
  g_test_add_func ("/ui/import-options", test_import_options);
  g_test_add_func ("/ui/popovers", test_popovers);
  g_test_add_func ("/ui/datasets-window", test_datasets_window);
  g_test_add_func ("/ui/sizes", test_sizes);
  return g_test_run ();
}
