/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keyboard only, on the demo workspace: every page reached with Alt+1..5 and its main action done
 * with real key presses through the X server (xdotool, XTEST); no widget is called. A program of
 * its own: its window must be the only one on its X server. */
#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <string.h>

#include "assay-changepoints-page.h"
#include "assay-demo.h"
#include "assay-gen-record.h"
#include "assay-generations-page.h"
#include "assay-labels-page.h"
#include "assay-series-plot.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"
#include "assay-token-heatmap.h"
#include "assay-traces-page.h"
#include "assay-videos-page.h"

/* ---- keyboard only ------------------------------------------------------------------------- */

/* Real key presses through the X server (XTEST), as a user types them: no widget is called. */
static void
xkey (const char *keys)
{
  g_auto (GStrv) words = g_strsplit (keys, " ", -1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;

  g_ptr_array_add (argv, (char *) "xdotool");
  g_ptr_array_add (argv, (char *) "key");
  g_ptr_array_add (argv, (char *) "--delay");
  g_ptr_array_add (argv, (char *) "60");
  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, words[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_cmpint (assay_test_spawn ((const char *const *) argv->pdata, &out, &err), ==, 0);
  assay_test_wait (250);
}

static gboolean
focus_within (AssayWindow *window, GtkWidget *ancestor)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

  return focus != NULL && (focus == ancestor || gtk_widget_is_ancestor (focus, ancestor));
}

/* Tab until the focus is inside target (at most n presses) */
static gboolean
tab_to (AssayWindow *window, GtkWidget *target, int n)
{
  for (int i = 0; i < n && !focus_within (window, target); i++)
    xkey ("Tab");
  return focus_within (window, target);
}

static gboolean
toplevel_shown (GType type)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return TRUE;
    }
  return FALSE;
}

/* Every page reached with Alt+1..5 and its main action done from the keyboard alone */
static void
keyboard (AssayWindow *window, gpointer data)
{
  AssayStore *store = assay_window_get_store (window);
  g_autofree char *out = NULL, *err = NULL;

  /* the window on top with the X input focus (there is no window manager to give it), the
   * pointer resting on its title bar; nothing is clicked */
  {
    GdkSurface      *surface = gtk_native_get_surface (GTK_NATIVE (window));
    g_autofree char *xid = NULL;
    g_assert_true (GDK_IS_X11_SURFACE (surface));
    xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
    g_assert_cmpint (assay_test_spawn ((const char *[]) { "xdotool", "windowraise", xid, NULL }, &out, &err), ==, 0);
    g_assert_cmpint (assay_test_spawn ((const char *[]) { "xdotool", "mousemove", "--window", xid, "300", "12", NULL },
                                       &out, &err), ==, 0);
    g_assert_cmpint (assay_test_spawn ((const char *[]) { "xdotool", "windowfocus", "--sync", xid, NULL }, &out, &err), ==, 0);
  }
  assay_test_wait (300);

  /* Labels: Alt+1 puts the focus on the label list; Down selects the next label */
  {
    AssayLabelsPage *page = ASSAY_LABELS_PAGE (assay_window_get_page (window, "labels"));
    int              before;
    xkey ("alt+1");
    for (int i = 0; i < 100 && !assay_labels_page_is_loaded (page); i++)
      assay_test_wait (50);
    /* the list takes the focus once it has rows: a busy machine may need a second Alt+1 */
    for (int i = 0; i < 5 && !focus_within (window, assay_labels_page_get_list (page)); i++)
      {
        assay_test_wait (300);
        xkey ("alt+1");
      }
    g_assert_true (focus_within (window, assay_labels_page_get_list (page)));
    before = assay_labels_page_get_selected_label (page);
    xkey ("Down Down");
    g_test_message ("labels: %d -> %d", before, assay_labels_page_get_selected_label (page));
    g_assert_cmpint (assay_labels_page_get_selected_label (page), !=, before);
  }

  /* Generations: a accepts the record and moves on, Ctrl+Z takes it back (and returns to it),
   * # 3 Return goes to record 3 */
  {
    AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
    gint64                id;
    xkey ("alt+2");
    for (int i = 0; i < 100 && !assay_generations_page_is_loaded (page); i++)
      assay_test_wait (50);
    id = assay_generations_page_get_current (page);
    g_assert_cmpint (id, >, 0);
    xkey ("n"); /* the next pending one */
    id = assay_generations_page_get_current (page);
    xkey ("a");
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, id, NULL);
      g_assert_cmpint (r->status, ==, ASSAY_GEN_ACCEPTED);
    }
    g_assert_cmpint (assay_generations_page_get_current (page), !=, id);
    xkey ("ctrl+z");
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, id, NULL);
      g_assert_cmpint (r->status, ==, ASSAY_GEN_PENDING);
    }
    g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
    xkey ("numbersign 3 Return");
    assay_test_wait (300);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, 3);
    xkey ("Escape");
  }

  /* Change Points: the plot has the focus; + zooms in, → moves the cursor, m marks the step and
   * Ctrl+Z takes the mark back */
  {
    AssayChangepointsPage *page = ASSAY_CHANGEPOINTS_PAGE (assay_window_get_page (window, "changepoints"));
    AssaySeriesPlot       *plot = ASSAY_SERIES_PLOT (assay_changepoints_page_get_plot (page));
    double                 s0, e0, s1, e1;
    gint64                 marks = assay_store_query_int (store, "SELECT count(*) FROM cpd_marks", 0);
    int                    cursor;
    xkey ("alt+3");
    for (int i = 0; i < 100 && !assay_changepoints_page_series_ready (page); i++)
      assay_test_wait (50);
    g_assert_true (focus_within (window, GTK_WIDGET (plot)));
    assay_series_plot_get_view (plot, &s0, &e0);
    xkey ("plus");
    assay_series_plot_get_view (plot, &s1, &e1);
    g_assert_cmpfloat (e1 - s1, <, e0 - s0);
    cursor = assay_series_plot_get_cursor (plot);
    xkey ("Right Right");
    g_assert_cmpint (assay_series_plot_get_cursor (plot), !=, cursor);
    xkey ("m");
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM cpd_marks", 0), ==, marks + 1);
    xkey ("ctrl+z");
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM cpd_marks", 0), ==, marks);
    xkey ("0");
  }

  /* Videos: the list has the focus; Down shows the next video; Tab reaches the responses, where
   * a number key scores the selected one */
  {
    AssayVideosPage *page = ASSAY_VIDEOS_PAGE (assay_window_get_page (window, "videos"));
    gint64           video, rated = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE "
                                                                  "kind = 'response' AND rating = 2", 0);
    xkey ("alt+4");
    for (int i = 0; i < 100 && assay_videos_page_get_video (page) == 0; i++)
      assay_test_wait (50);
    video = assay_videos_page_get_video (page);
    xkey ("Down");
    for (int i = 0; i < 100 && (assay_videos_page_get_video (page) == 0 || assay_videos_page_get_video (page) == video); i++)
      assay_test_wait (50);
    g_assert_cmpint (assay_videos_page_get_video (page), !=, video);
    g_assert_true (tab_to (window, assay_videos_page_get_responses (page), 12));
    xkey ("2");
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'response' "
                                                   "AND rating = 2", 0), ==, rated + 1);
    xkey ("ctrl+z");
  }

  /* Traces: the list has the focus; Down shows the next trace; Tab reaches the tokens, where →
   * moves the token cursor */
  {
    AssayTracesPage   *page = ASSAY_TRACES_PAGE (assay_window_get_page (window, "traces"));
    AssayTokenHeatmap *h = assay_traces_page_get_heatmap (page, FALSE);
    gint64             trace;
    int                cursor;
    xkey ("alt+5");
    for (int i = 0; i < 100 && assay_traces_page_get_trace (page) == 0; i++)
      assay_test_wait (50);
    trace = assay_traces_page_get_trace (page);
    xkey ("Down");
    for (int i = 0; i < 100 && (assay_traces_page_get_trace (page) == 0 || assay_traces_page_get_trace (page) == trace); i++)
      assay_test_wait (50);
    g_assert_cmpint (assay_traces_page_get_trace (page), !=, trace);
    g_assert_true (tab_to (window, GTK_WIDGET (h), 12));
    cursor = assay_token_heatmap_get_cursor (h);
    xkey ("Right Right");
    g_assert_cmpint (assay_token_heatmap_get_cursor (h), !=, cursor);
  }

  /* Preferences and the shortcuts window open from the keyboard and close with Escape */
  xkey ("ctrl+comma");
  assay_test_wait (300);
  g_assert_true (toplevel_shown (ADW_TYPE_PREFERENCES_WINDOW));
  xkey ("Escape");
  assay_test_wait (300);
  g_assert_false (toplevel_shown (ADW_TYPE_PREFERENCES_WINDOW));
  xkey ("ctrl+question");
  assay_test_wait (300);
  g_assert_true (toplevel_shown (GTK_TYPE_SHORTCUTS_WINDOW));
  xkey ("Escape");
  assay_test_wait (300);
  g_assert_false (toplevel_shown (GTK_TYPE_SHORTCUTS_WINDOW));
}

static void
test_keyboard (void)
{
  g_autofree char *path = assay_test_path ("keyboard.assay");
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_autoptr (GError) error = NULL;

  /* tools/install-deps installs it: without it this test would prove nothing */
  g_assert_nonnull (xdotool);
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_assert_no_error (error);
    g_assert_true (assay_demo_populate (store, NULL, &error));
    g_assert_no_error (error);
  }
  assay_test_run_app (path, keyboard, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/keyboard", test_keyboard);
  return g_test_run ();
}
