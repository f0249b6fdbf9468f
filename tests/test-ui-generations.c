/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Generations page under Xvfb: the list and detail of a demo workspace's records, a pair
 * with its differing words marked, keyboard decisions (accept, reject, rate, edit) committed at
 * once and undone, progress, search, and the GenCo grid. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-gen-demo.h"
#include "assay-gen-item.h"
#include "assay-gen-query.h"
#include "assay-finetune-window.h"
#include "assay-generations-page.h"
#include "assay-gen-import-dialog.h"
#include "assay-test-lm.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"
#include "assay-application.h"
#include "assay-alignment-heatmap.h"
#include "assay-zeroshot-window.h"
#include "assay-label-errors-window.h"
#include "assay-signals.h"
#include "assay-signals-window.h"

static char *
make_workspace (void)
{
  char *path = assay_test_path ("generations-ui.assay");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;

  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_gen_demo_import (store, &error));
  g_assert_no_error (error);
  return path;
}

/* WCAG 2 contrast ratio of two sRGB colours */
static double
luminance (double r, double g, double b)
{
  double c[3] = { r, g, b };
  for (int i = 0; i < 3; i++)
    c[i] = c[i] <= 0.03928 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static double
contrast (double r1, double g1, double b1, double r2, double g2, double b2)
{
  double a = luminance (r1, g1, b1), b = luminance (r2, g2, b2);
  return (MAX (a, b) + 0.05) / (MIN (a, b) + 0.05);
}

static AssayGenerationsPage *
wait_loaded (AssayWindow *window)
{
  AssayGenerationsPage *page =
    ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));

  for (int i = 0; i < 200 && !assay_generations_page_is_loaded (page); i++)
    assay_test_wait (25);
  g_assert_true (assay_generations_page_is_loaded (page));
  assay_test_wait (100);
  return page;
}

static guint
position_of_kind (GListModel *rows, const char *kind)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (AssayGenItem) item = g_list_model_get_item (rows, i);
      if (g_strcmp0 (assay_gen_item_get_kind (item), kind) == 0)
        return i;
    }
  g_assert_not_reached ();
  return 0;
}

static AssayGenRecord *
current (AssayGenerationsPage *page)
{
  g_autoptr (GError) error = NULL;
  AssayGenRecord *r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)),
                                             assay_generations_page_get_current (page), &error);
  g_assert_no_error (error);
  return r;
}

static void
press (AssayGenerationsPage *page, guint keyval, GdkModifierType state)
{
  g_assert_true (assay_generations_page_key (page, keyval, state));
  assay_test_wait (60);
}

static void
check_page (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page;
  GListModel           *rows;
  guint                 n, pos, reviewed, total, reviewed0, chosen = 0, rejected = 0;
  gint64                id;

  assay_window_show_page (window, "generations");
  page = wait_loaded (window);
  rows = assay_generations_page_get_rows (page);
  n = g_list_model_get_n_items (rows);
  g_assert_cmpuint (n, ==, 26);
  assay_generations_page_get_progress (page, &reviewed0, &total);
  g_assert_cmpuint (total, ==, 26);
  g_assert_cmpuint (reviewed0, ==, 4);

  /* a pair: both sides, their differing words marked */
  pos = position_of_kind (rows, "pair");
  assay_generations_page_select (page, pos);
  assay_test_wait (100);
  {
    g_autoptr (AssayGenRecord) r = current (page);
    g_assert_cmpstr (r->kind, ==, "pair");
    id = r->id;
  }
  assay_test_wait (400); /* text views measure their lines in idle time */
  assay_generations_page_get_diff_counts (page, &chosen, &rejected);
  g_assert_cmpuint (chosen, >, 0);
  g_assert_cmpuint (rejected, >, 0);
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "generations-pair.png");
  }

  /* a: accepted, committed, and the next record is shown */
  press (page, GDK_KEY_a, 0);
  g_assert_cmpint (assay_generations_page_get_current (page), !=, id);
  {
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), id, NULL);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_ACCEPTED);
  }
  assay_generations_page_get_progress (page, &reviewed, &total);
  g_assert_cmpuint (reviewed, ==, reviewed0 + 1);
  /* k back, 4 rates without moving, x rejects */
  press (page, GDK_KEY_k, 0);
  g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
  press (page, GDK_KEY_4, 0);
  {
    g_autoptr (AssayGenRecord) r = current (page);
    g_assert_cmpint (r->rating, ==, 4);
  }
  press (page, GDK_KEY_x, 0);
  {
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), id, NULL);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_REJECTED);
  }
  /* undo (the window's Ctrl+Z) reverts the last decision */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (60);
  {
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), id, NULL);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_ACCEPTED);
    g_assert_cmpint (r->rating, ==, 4);
  }
  /* ... and goes back to the record it reverted (x had moved on to the next one) */
  g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
  {
    g_autoptr (AssayGenItem) item = g_list_model_get_item (rows, assay_generations_page_get_selected (page));
    g_assert_cmpint (assay_gen_item_get_id (item), ==, id);
  }
  /* from another page too: the window shows Generations again, on that record */
  press (page, GDK_KEY_x, 0);
  g_assert_cmpint (assay_generations_page_get_current (page), !=, id);
  assay_window_show_page (window, "labels");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (60);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
  g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
  /* redo goes to it as well */
  press (page, GDK_KEY_j, 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  assay_test_wait (60);
  g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
  {
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), id, NULL);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_REJECTED);
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (60);

  /* e edits in place; Ctrl+Enter saves beside the original. The editor wraps in the space
   * there is: the window's minimum width does not grow (it grew to fit the text on one line) */
  press (page, GDK_KEY_k, 0);
  id = assay_generations_page_get_current (page);
  {
    int before = 0, after = 0;
    gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &before, NULL, NULL, NULL);
    press (page, GDK_KEY_e, 0);
    assay_test_wait (200);
    gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &after, NULL, NULL, NULL);
    g_test_message ("window minimum width %d before editing, %d while editing", before, after);
    g_assert_cmpint (after, <=, before);
  }
  g_assert_true (assay_generations_page_is_editing (page));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (assay_generations_page_get_text_view (page))),
                            "A corrected generation.", -1);
  press (page, GDK_KEY_Return, GDK_CONTROL_MASK);
  g_assert_false (assay_generations_page_is_editing (page));
  {
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), id, NULL);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_EDITED);
    g_assert_cmpstr (r->edited, ==, "A corrected generation.");
    g_assert_nonnull (r->text);
    g_assert_cmpstr (r->text, !=, r->edited);
  }
  /* n goes to the next pending record after this one */
  {
    gint64 here = assay_generations_page_get_current (page), there;
    press (page, GDK_KEY_n, 0);
    there = assay_generations_page_get_current (page);
    {
      g_autoptr (AssayGenRecord) r = current (page);
      g_assert_cmpint (r->status, ==, ASSAY_GEN_PENDING);
    }
    g_assert_cmpint (there, !=, here);
    /* nothing pending between them */
    for (gint64 between = MIN (here, there) + 1; there > here && between < there; between++)
      {
        g_autoptr (AssayGenRecord) r = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), between, NULL);
        if (r != NULL)
          g_assert_cmpint (r->status, !=, ASSAY_GEN_PENDING);
      }
  }
  /* Esc cancels an edit */
  press (page, GDK_KEY_e, 0);
  press (page, GDK_KEY_Escape, 0);
  g_assert_false (assay_generations_page_is_editing (page));

  /* search narrows the list */
  assay_generations_page_set_search (page, "Canberra");
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  {
    /* clearing the search keeps the place: the found record stays shown and selected */
    gint64 found = assay_generations_page_get_current (page);
    assay_generations_page_set_search (page, "");
    page = wait_loaded (window);
    g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, found);
    {
      g_autoptr (AssayGenItem) item = g_list_model_get_item (rows, assay_generations_page_get_selected (page));
      g_assert_cmpint (assay_gen_item_get_id (item), ==, found);
    }
  }

  /* "#N" goes to record N without filtering the list; a record the view leaves out keeps the
   * place (and says so) */
  {
    assay_generations_page_set_search (page, "#14");
    page = wait_loaded (window);
    g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, 14);
    {
      g_autoptr (AssayGenItem) item = g_list_model_get_item (rows, assay_generations_page_get_selected (page));
      g_assert_cmpint (assay_gen_item_get_id (item), ==, 14);
    }
    assay_generations_page_set_search (page, " # 3 ");
    page = wait_loaded (window);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, 3);
    assay_generations_page_set_search (page, "#99999");
    page = wait_loaded (window);
    g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, 3);
    /* the # key starts it in the search field */
    press (page, GDK_KEY_numbersign, 0);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (assay_generations_page_get_search_entry (page))), ==, "#");
    assay_generations_page_set_search (page, "");
    page = wait_loaded (window);
  }

  /* a search nothing matches: a status page, whose button clears search and filters */
  assay_generations_page_set_status_filter (page, 1);
  page = wait_loaded (window);
  assay_generations_page_set_search (page, "zzzz no such text");
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 0);
  g_assert_true (assay_generations_page_shows_no_results (page));
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "generations-no-results.png");
  }
  assay_generations_page_clear_filters (page);
  page = wait_loaded (window);
  g_test_message ("after clearing: %u records, search \"%s\"", g_list_model_get_n_items (rows), gtk_editable_get_text (GTK_EDITABLE (assay_generations_page_get_search_entry (page))));
  g_assert_false (assay_generations_page_shows_no_results (page));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (assay_generations_page_get_search_entry (page))), ==, "");

  /* label and rating filters (from the popover) */
  assay_generations_page_set_condition_filter (page, "World");
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  assay_generations_page_set_condition_filter (page, NULL);
  page = wait_loaded (window);
  assay_generations_page_set_rating_filter (page, 6); /* 3 or more: the two 5-star demo records + the 4 given above */
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  assay_generations_page_set_rating_filter (page, 0);
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);

  /* Statistics: every status and rating of the 26 records, as counted here */
  {
    AssayStore      *store = assay_page_get_store (ASSAY_PAGE (page));
    g_autofree char *text = NULL, *pending = NULL, *five = NULL;
    gint64           n_pending = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'pending'", 0);
    gint64           n_five = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE rating = 5", 0);
    assay_generations_page_show_stats (page);
    for (int i = 0; i < 100; i++)
      {
        g_free (text);
        text = assay_generations_page_dup_stats_text (page);
        if (strstr (text, "26 records") != NULL)
          break;
        assay_test_wait (30);
      }
    g_test_message ("%s", text);
    g_assert_nonnull (strstr (text, "26 records"));
    pending = g_strdup_printf ("Pending|%lld · %.0f %%|", (long long) n_pending, 100.0 * n_pending / 26);
    five = g_strdup_printf ("★★★★★|%lld · %.0f %%|", (long long) n_five, 100.0 * n_five / 26);
    g_assert_nonnull (strstr (text, pending));
    g_assert_nonnull (strstr (text, five));
    g_assert_nonnull (strstr (text, "By kind"));
    assay_test_wait (200); /* (the view switcher's buttons restyle on the next frame) */
    {
      g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
      assay_test_save_screenshot (whole, "generations-stats.png");
    }
    assay_generations_page_show_grid (page, FALSE); /* back to Review */
  }

  /* the GenCo grid: 4 documents x (elaboration + labels) */
  assay_generations_page_show_grid (page, TRUE);
  assay_test_wait (150);
  g_assert_cmpuint (assay_generations_page_get_grid_cells (page), ==, 12);
  /* text on every coloured cell readable: WCAG contrast >= 4.5:1, light and dark style */
  for (int dark = 0; dark < 2; dark++)
    {
      guint coloured = 0;
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
      assay_test_wait (150);
      for (GtkWidget *cell = gtk_widget_get_first_child (assay_generations_page_get_grid (page)); cell != NULL;
           cell = gtk_widget_get_next_sibling (cell))
        {
          g_autoptr (GdkTexture) shot = NULL;
          GdkRGBA  text;
          guint32  bg;
          double   ratio;
          if (!gtk_widget_has_css_class (cell, "accepted") && !gtk_widget_has_css_class (cell, "rejected")
              && !gtk_widget_has_css_class (cell, "edited"))
            continue;
          shot = assay_test_render (cell);
          bg = assay_test_pixel (shot, gdk_texture_get_width (shot) / 2, 2); /* in the padding */
          gtk_style_context_get_color (gtk_widget_get_style_context (cell), &text);
          ratio = contrast (text.red, text.green, text.blue,
                            ((bg >> 16) & 0xff) / 255.0, ((bg >> 8) & 0xff) / 255.0, (bg & 0xff) / 255.0);
          g_test_message ("%s cell (%s style): contrast %.2f",
                          gtk_widget_has_css_class (cell, "accepted") ? "accepted"
                          : gtk_widget_has_css_class (cell, "rejected") ? "rejected" : "edited",
                          dark ? "dark" : "light", ratio);
          g_assert_cmpfloat (ratio, >=, 4.5);
          coloured++;
        }
      g_assert_cmpuint (coloured, >, 0);
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "generations-grid.png");
  }
  assay_generations_page_show_grid (page, FALSE);

  /* Delete removes the record shown and shows the next; Ctrl+Z brings it back, shown again */
  {
    AssayStore *store = assay_page_get_store (ASSAY_PAGE (page));
    gint64      gone;
    assay_generations_page_select (page, 3);
    assay_test_wait (100);
    gone = assay_generations_page_get_current (page);
    press (page, GDK_KEY_Delete, 0);
    page = wait_loaded (window);
    g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 25);
    g_assert_cmpint (assay_generations_page_get_current (page), !=, gone);
    g_assert_cmpint (assay_generations_page_get_current (page), >, 0);
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE id = %lld", (long long) gone);
      g_assert_cmpint (assay_store_query_int (store, sql, 0), ==, 0);
    }
    gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
    for (int i = 0; i < 100 && g_list_model_get_n_items (rows) != 26; i++)
      assay_test_wait (30);
    assay_test_wait (100);
    g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, gone);
    /* another process deletes the record shown: the page moves on within its poll (1 s) */
    {
      g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
      g_autofree char *ids = g_strdup_printf ("%lld", (long long) gone);
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "gen", "delete", "-w", assay_store_get_path (store),
                                                            "--id", ids, NULL }, &out, &err), ==, 0);
      for (int i = 0; i < 100 && g_list_model_get_n_items (rows) != 25; i++)
        assay_test_wait (30);
      assay_test_wait (100);
      g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 25);
      g_assert_cmpint (assay_generations_page_get_current (page), !=, gone);
      g_assert_cmpint (assay_generations_page_get_current (page), >, 0);
    }
  }
}

static void
test_generations_page (void)
{
  g_autofree char *path = make_workspace ();

  assay_test_run_app (path, check_page, NULL);
}

static char *
run_cli (const char *const *args)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  char *err = NULL;
  int status;

  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  status = assay_test_spawn ((const char *const *) argv->pdata, &out, &err);
  if (status != 0)
    g_test_message ("assay-cli %s: %s", args[0], err);
  return err;
}

/* Waits (up to 5 s) for the page to show reviewed/total; returns the ms it took. */
static gint64
wait_progress (AssayGenerationsPage *page, guint want_reviewed, guint want_total)
{
  gint64 start = g_get_monotonic_time ();
  guint  reviewed = 0, total = 0;

  while (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    {
      assay_generations_page_get_progress (page, &reviewed, &total);
      if (reviewed == want_reviewed && total == want_total)
        return (g_get_monotonic_time () - start) / 1000;
      assay_test_wait (20);
    }
  g_error ("the page shows %u of %u reviewed, not %u of %u", reviewed, total, want_reviewed, want_total);
  return -1;
}

/* Another process writes the workspace while the window is open: its decisions and its import
 * show within 2 s, and its undo takes back its own decision, not the app's. */
static void
check_other_process (AssayWindow *window, gpointer data)
{
  const char           *path = data;
  AssayGenerationsPage *page;
  guint                 reviewed0, total0;
  g_autofree char *extra = NULL;
  GString              *rows = g_string_new (NULL);
  gint64                app_id, ms;
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (g_free);

  assay_window_show_page (window, "generations");
  page = wait_loaded (window);
  assay_generations_page_get_progress (page, &reviewed0, &total0);

  /* the app decides on the record it shows */
  app_id = assay_generations_page_get_current (page);
  press (page, GDK_KEY_a, 0);
  {
    g_autoptr (AssayGenRecord) r = current (page);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_ACCEPTED);
  }

  /* assay-cli rejects three pending records and imports 25 more */
  {
    AssayGenFilter filter = { 0 };
    g_autoptr (GArray) ids = NULL;
    g_autoptr (GError) error = NULL;
    filter.status = ASSAY_GEN_PENDING;
    ids = assay_gen_query_ids (assay_page_get_store (ASSAY_PAGE (page)), &filter, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ids->len, >=, 3);
    for (guint i = 0; i < 3; i++)
      g_ptr_array_add (pending, g_strdup_printf ("%" G_GINT64_FORMAT, g_array_index (ids, gint64, i)));
  }
  for (guint i = 0; i < 3; i++)
    g_free (run_cli ((const char *[]){ "gen", "review", "-w", path, "--id", pending->pdata[i], "--reject", NULL }));
  ms = wait_progress (page, reviewed0 + 4, total0);
  g_test_message ("three decisions by assay-cli shown after %" G_GINT64_FORMAT " ms", ms);
  g_assert_cmpint (ms, <=, 2000);

  for (guint i = 0; i < 25; i++)
    g_string_append_printf (rows, "{\"prompt\": \"q%u\", \"chosen\": \"yes %u\", \"rejected\": \"no %u\"}\n", i, i, i);
  extra = assay_test_write_file ("other-process.jsonl", rows->str);
  g_string_free (rows, TRUE);
  g_free (run_cli ((const char *[]){ "gen", "import", "-w", path, extra, NULL }));
  ms = wait_progress (page, reviewed0 + 4, total0 + 25);
  g_test_message ("an import by assay-cli shown after %" G_GINT64_FORMAT " ms", ms);
  g_assert_cmpint (ms, <=, 2000);

  /* assay-cli's undo takes back its own last decision; the app's stays */
  g_free (run_cli ((const char *[]){ "undo", "-w", path, NULL }));
  wait_progress (page, reviewed0 + 3, total0 + 25);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (AssayGenRecord) mine = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), app_id, &error);
    g_assert_no_error (error);
    g_assert_cmpint (mine->status, ==, ASSAY_GEN_ACCEPTED);
  }
  /* and the app's undo takes back the app's */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  wait_progress (page, reviewed0 + 2, total0 + 25);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (AssayGenRecord) mine = assay_gen_record_load (assay_page_get_store (ASSAY_PAGE (page)), app_id, &error);
    g_assert_cmpint (mine->status, ==, ASSAY_GEN_PENDING);
  }
}

static void
test_other_process (void)
{
  g_autofree char *path = make_workspace ();

  assay_test_run_app (path, check_other_process, path);
}

static guint
focused_row (AssayGenerationsPage *page, GtkWidget *list_view)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (list_view));

  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, list_view));
  /* the focused row is the list view's child holding the focus */
  for (GtkWidget *row = gtk_widget_get_first_child (list_view); row != NULL; row = gtk_widget_get_next_sibling (row))
    if (row == focus || gtk_widget_is_ancestor (focus, row))
      {
        GtkListItem *item = g_object_get_data (G_OBJECT (gtk_widget_get_first_child (row)), "assay-list-item");
        return gtk_list_item_get_position (item);
      }
  g_assert_not_reached ();
  return 0;
}

/* Choosing the page (sidebar, Alt+2) puts the keyboard focus on the selected record, and a
 * decision or an undo leaves it there: the keys did nothing until the list was clicked, and
 * after Ctrl+Z the focus ring jumped to row 1 while the selection stayed. */
static void
check_focus (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page;
  GtkWidget            *list_view;
  guint                 selected;

  assay_window_show_page (window, "labels");
  page = wait_loaded (window);
  list_view = assay_generations_page_get_list_view (page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "generations"));
  assay_test_wait (200);
  press (page, GDK_KEY_j, 0);
  press (page, GDK_KEY_j, 0);
  press (page, GDK_KEY_j, 0);
  selected = assay_generations_page_get_selected (page);
  g_assert_cmpuint (selected, ==, 3);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "labels"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "generations"));
  assay_test_wait (200);
  g_assert_cmpuint (focused_row (page, list_view), ==, selected);
  /* a decision moves on: the focus follows the selection */
  press (page, GDK_KEY_x, 0);
  assay_test_wait (200);
  g_assert_cmpuint (focused_row (page, list_view), ==, assay_generations_page_get_selected (page));
  /* undo returns to the undone record, focus and all */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (300);
  g_assert_cmpuint (focused_row (page, list_view), ==, assay_generations_page_get_selected (page));
}

static void
test_focus (void)
{
  g_autofree char *path = make_workspace ();

  assay_test_run_app (path, check_focus, NULL);
}

static AssayGenImportDialog *
find_import_dialog (void)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (int round = 0; round < 40; round++)
    {
      for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
        {
          g_autoptr (GObject) w = g_list_model_get_item (tops, i);
          if (ASSAY_IS_GEN_IMPORT_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
            return ASSAY_GEN_IMPORT_DIALOG (w);
        }
      assay_test_wait (50);
    }
  return NULL;
}

/* Import with a preview: an {instruction, output} file (no built-in mapping; the plain import
 * refused it) gets a guessed field map and imports; TRL rows are detected; rows with nothing to
 * guess from wait for the text field; a file with no JSON object says so in a toast */
static void
check_import_dialog (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  AssayStore           *store = assay_window_get_store (window);
  g_autofree char *alpaca = assay_test_write_file ("ui-alpaca.jsonl",
    "{\"id\": \"a1\", \"instruction\": \"Name a colour.\", \"input\": \"\", \"output\": \"Blue.\"}\n"
    "{\"id\": \"a2\", \"instruction\": \"Name a fruit.\", \"input\": \"\", \"output\": \"A pear.\"}\n"
    "{\"id\": \"a3\", \"instruction\": \"Add 2 and 3.\", \"input\": \"\", \"output\": \"5\"}\n");
  g_autofree char *trl = assay_test_write_file ("ui-prefs.jsonl",
    "{\"prompt\": \"Q\", \"chosen\": \"good\", \"rejected\": \"bad\"}\n");
  g_autofree char *odd = assay_test_write_file ("ui-odd.jsonl", "{\"foo\": \"x\", \"bar\": \"y\"}\n");
  AssayGenImportDialog *dialog;

  assay_window_show_page (window, "generations");
  assay_generations_page_import_with_preview (page, alpaca);
  dialog = find_import_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (assay_gen_import_dialog_get_mapping (dialog), ==, ASSAY_GEN_MAP_CUSTOM);
  g_assert_cmpstr (assay_gen_import_dialog_get_field (dialog, "prompt"), ==, "instruction");
  g_assert_cmpstr (assay_gen_import_dialog_get_field (dialog, "text"), ==, "output");
  g_assert_cmpstr (assay_gen_import_dialog_get_field (dialog, "ext_id"), ==, "id");
  g_assert_true (assay_gen_import_dialog_can_import (dialog));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "import-dialog.png");
  }
  {
    /* and in dark style: every row and cell readable */
    g_autoptr (GdkTexture) shot = NULL;
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
    shot = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "import-dialog-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    assay_test_wait (100);
  }
  assay_gen_import_dialog_import (dialog);
  for (int i = 0; i < 100 && assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE prompt = 'Add 2 and 3.' AND text = '5'", 0) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE prompt = 'Add 2 and 3.' AND text = '5' AND ext_id = 'a3'", 0), ==, 1);
  /* the map is remembered: the next file of that shape opens with it */
  assay_generations_page_import_with_preview (page, alpaca);
  dialog = find_import_dialog ();
  g_assert_cmpint (assay_gen_import_dialog_get_mapping (dialog), ==, ASSAY_GEN_MAP_CUSTOM);
  g_assert_cmpstr (assay_gen_import_dialog_get_field (dialog, "text"), ==, "output");
  gtk_window_destroy (GTK_WINDOW (dialog));
  assay_test_wait (100);

  assay_generations_page_import_with_preview (page, trl);
  dialog = find_import_dialog ();
  g_assert_cmpint (assay_gen_import_dialog_get_mapping (dialog), ==, ASSAY_GEN_MAP_AUTO);
  g_assert_true (assay_gen_import_dialog_can_import (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
  assay_test_wait (100);

  assay_generations_page_import_with_preview (page, odd);
  dialog = find_import_dialog ();
  g_assert_cmpint (assay_gen_import_dialog_get_mapping (dialog), ==, ASSAY_GEN_MAP_CUSTOM);
  g_assert_false (assay_gen_import_dialog_can_import (dialog));
  assay_gen_import_dialog_set_field (dialog, "text", "bar");
  g_assert_true (assay_gen_import_dialog_can_import (dialog));
  assay_gen_import_dialog_set_mapping (dialog, ASSAY_GEN_MAP_AUTO);
  g_assert_false (assay_gen_import_dialog_can_import (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
  assay_test_wait (100);
  /* nothing to preview: no dialog, the reason in a toast */
  {
    g_autofree char *bad = assay_test_write_file ("ui-bad.jsonl", "just text\n");
    assay_generations_page_import_with_preview (page, bad);
    assay_test_wait (200);
    g_assert_true (find_import_dialog () == NULL);
  }
}

static void
test_import_dialog (void)
{
  g_autofree char *path = make_workspace ();

  assay_test_run_app (path, check_import_dialog, NULL);
}

/* Generate… with a local model: the dialog (light, dark, 800 x 600), the template's settings,
 * no Generate without a model folder, then a job whose answers become records with provenance. */
static void
check_generate (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage   *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  AssayStore             *store = assay_window_get_store (window);
  const char             *model = data;
  AssayGenGenerateDialog *dialog;
  gint64                  before = assay_store_query_int (store, "SELECT count(*) FROM gen_records", 0);
  gint64                  want;
  AssayGenFilter          f;

  assay_window_show_page (window, "generations");
  assay_test_wait (300);
  /* only the records the reviewer accepted: the status filter */
  assay_generations_page_set_status_filter (page, ASSAY_GEN_ACCEPTED);
  assay_test_wait (400);
  assay_gen_filter_init (&f);
  f.status = ASSAY_GEN_ACCEPTED;
  {
    g_autoptr (GArray) ids = assay_gen_query_ids (store, &f, NULL);
    want = ids->len;
  }
  g_assert_cmpint (want, >, 0);
  dialog = assay_generations_page_generate (page);
  g_assert_nonnull (dialog);
  g_assert_false (assay_gen_generate_dialog_can_generate (dialog));
  assay_gen_generate_dialog_set_template (dialog, "genco-elaboration");
  g_assert_cmpfloat (assay_gen_generate_dialog_get_number (dialog, "n"), ==, 5);
  g_assert_cmpfloat (assay_gen_generate_dialog_get_number (dialog, "temperature"), ==, 0.8);
  g_assert_cmpfloat (assay_gen_generate_dialog_get_number (dialog, "top-p"), ==, 0.95);
  assay_gen_generate_dialog_set_template (dialog, "judge");
  g_assert_cmpfloat (assay_gen_generate_dialog_get_number (dialog, "temperature"), ==, 0);
  assay_gen_generate_dialog_set_template (dialog, "genco-elaboration");
  assay_gen_generate_dialog_set_model (dialog, "/nonexistent/folder");
  g_assert_false (assay_gen_generate_dialog_can_generate (dialog));
  assay_gen_generate_dialog_set_model (dialog, model);
  g_assert_true (assay_gen_generate_dialog_can_generate (dialog));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpint (gdk_texture_get_height (shot), <=, 600);
    assay_test_save_screenshot (shot, "generate-dialog.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpuint (assay_test_count_colors (dark), >, 8);
    assay_test_save_screenshot (dark, "generate-dialog-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    assay_test_wait (100);
  }
  assay_gen_generate_dialog_set_number (dialog, "n", 2);
  assay_gen_generate_dialog_set_number (dialog, "max-tokens", 6);
  assay_gen_generate_dialog_generate (dialog);
  for (int i = 0; i < 400 && assay_store_query_int (store, "SELECT count(*) FROM gen_records", 0) < before + 2 * want; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records", 0), ==, before + 2 * want);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE "
                                                 "json_extract (params, '$.generator') = 'assay' AND "
                                                 "json_extract (params, '$.template') = 'genco-elaboration'", 0), ==, 2 * want);
  /* a generated record says how it was made */
  assay_generations_page_clear_filters (page);
  assay_test_wait (600);
  assay_generations_page_select (page, g_list_model_get_n_items (assay_generations_page_get_rows (page)) - 1);
  assay_test_wait (400);
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "genco-elaboration, T 0.8, top-p 0.95, seed 0, answer 2"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "generated-record.png");
  }
}

static void
test_generate (void)
{
  g_autofree char *path = make_workspace ();
  g_autofree char *dir = assay_test_path ("ui-generate-model");
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = NULL;

  spec.max_positions = 1024;
  lm = assay_test_lm_write (dir, &spec, 5);
  assay_test_run_app (path, check_generate, dir);
}

/* Find Near-Duplicates: on the demo's records plus copies of three of them (one retyped, one
 * with different punctuation), the job's dialog names the groups; Reject keeps one of each,
 * Ctrl+Z takes it back. Screenshots light and dark. */
/* A visible message dialog whose body holds part (any with NULL). */
static AdwMessageDialog *
find_message_dialog_with (const char *part)
{
  GListModel *tops = gtk_window_get_toplevels (); /* (not ours) */
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w))
          && (part == NULL || strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (w)), part) != NULL))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  return find_message_dialog_with (NULL);
}

/* Fine-Tune…: the dialog (light, dark, 800 x 600) with TRL's defaults per objective, no Train
 * without a model, then DPO on the demo's accepted pairs in the run window, whose loss and
 * reward curves grow as the steps come; the run is kept, the model written, and "Compute Credit
 * with This Policy" opens the Traces page's credit dialog on the trained model and its base. */
/* A line of AG News' CSV ("class","title","text"): its title and text, and its class from 0 */
static char *
ag_news_row (const char *line, int *klass)
{
  g_auto (GStrv) f = g_strsplit (line, "\",\"", 3);
  char *body;

  g_assert_cmpuint (g_strv_length (f), ==, 3);
  *klass = atoi (f[0] + 1) - 1;
  body = g_strdup_printf ("%s. %s", f[1], f[2]);
  body[strlen (body) - 1] = '\0'; /* the closing quote */
  return body;
}

/* The visible top-level window of type, or NULL */
static GtkWindow *
find_window (GType type)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WINDOW (w);
    }
  return NULL;
}

static AssayFinetuneWindow *
find_finetune_window (void)
{
  GListModel *tops = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ASSAY_IS_FINETUNE_WINDOW (w))
        return ASSAY_FINETUNE_WINDOW (w);
    }
  return NULL;
}

static void
check_finetune (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  AssayStore           *store = assay_window_get_store (window);
  const char           *model = data;
  AssayFinetuneDialog  *dialog;
  AssayFinetuneWindow  *run;
  gint64                dataset = assay_store_query_int (store, "SELECT dataset_id FROM gen_records WHERE rejected IS NOT NULL "
                                                                "GROUP BY dataset_id ORDER BY count(*) DESC LIMIT 1", 0);
  g_autofree char      *out = NULL, *accept = NULL;

  /* the reviewer kept the pairs of that dataset */
  g_assert_cmpint (dataset, >, 0);
  accept = g_strdup_printf ("UPDATE gen_records SET status = 'accepted' WHERE dataset_id = %" G_GINT64_FORMAT, dataset);
  g_assert_true (assay_store_exec (store, accept, NULL));
  assay_window_show_page (window, "generations");
  assay_test_wait (300);
  g_assert_true (assay_generations_page_set_dataset (page, dataset));
  assay_test_wait (300);
  dialog = assay_generations_page_finetune (page);
  g_assert_nonnull (dialog);
  g_assert_false (assay_finetune_dialog_can_train (dialog));
  assay_finetune_dialog_set_model (dialog, "/nonexistent/folder");
  g_assert_false (assay_finetune_dialog_can_train (dialog));
  assay_finetune_dialog_set_model (dialog, model);
  assay_finetune_dialog_set_objective (dialog, ASSAY_FINETUNE_DPO);
  assay_finetune_dialog_set_lora (dialog, 4);
  assay_finetune_dialog_set_schedule (dialog, 6, 64);
  g_assert_true (assay_finetune_dialog_can_train (dialog));
  g_assert_true (g_str_has_suffix (assay_finetune_dialog_get_out (dialog), "-dpo-lora"));
  out = g_strdup (assay_finetune_dialog_get_out (dialog));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpint (gdk_texture_get_height (shot), <=, 600);
    assay_test_save_screenshot (shot, "finetune-dialog.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpuint (assay_test_count_colors (dark), >, 8);
    assay_test_save_screenshot (dark, "finetune-dialog-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    assay_test_wait (100);
  }
  assay_finetune_dialog_train (dialog);
  run = find_finetune_window ();
  g_assert_nonnull (run);
  for (int i = 0; i < 1200 && !assay_finetune_window_can_credit (run); i++)
    assay_test_wait (50);
  g_assert_true (assay_finetune_window_can_credit (run));
  g_assert_cmpuint (assay_finetune_window_get_n_steps (run), >, 0);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE area = 'train' AND kind = 'dpo' "
                                                 "AND status = 'done'", 0), ==, 1);
  {
    g_autofree char *adapter = g_build_filename (out, "adapter_model.safetensors", NULL);
    g_autofree char *merged = g_build_filename (out, "merged", "model.safetensors", NULL);
    g_assert_true (g_file_test (adapter, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (merged, G_FILE_TEST_IS_REGULAR));
  }
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (run));
    assay_test_save_screenshot (shot, "finetune-run.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (run));
    assay_test_save_screenshot (dark, "finetune-run-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    assay_test_wait (100);
  }
  gtk_window_set_default_size (GTK_WINDOW (run), 800, 600);
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) small = assay_test_render (GTK_WIDGET (run));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "finetune-run-800x600.png");
  }
  assay_finetune_window_credit (run);
  assay_test_wait (400);
  g_assert_true (gtk_widget_get_child_visible (GTK_WIDGET (assay_window_get_page (window, "traces"))));
  {
    AdwMessageDialog *credit = find_message_dialog_with ("merged");
    g_assert_nonnull (credit);
    g_assert_nonnull (strstr (adw_message_dialog_get_body (credit), model));
    gtk_window_destroy (GTK_WINDOW (credit));
  }
  gtk_window_destroy (GTK_WINDOW (run));
}

static void
test_finetune (void)
{
  g_autofree char *path = make_workspace ();
  g_autofree char *dir = assay_test_path ("ui-finetune-model");
  g_autofree char *out = assay_test_path ("ui-finetune-model-dpo-lora");
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = NULL;
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", out);

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  spec.max_positions = 1024;
  lm = assay_test_lm_write (dir, &spec, 5);
  assay_test_run_app (path, check_finetune, dir);
}


static void
check_duplicates (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  AssayStore           *store = assay_window_get_store (window);
  AdwMessageDialog     *dialog = NULL;
  g_autoptr (GError) error = NULL;
  gint64 rejected_before = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'rejected'", 0);

  assay_window_show_page (window, "generations");
  wait_loaded (window);
  assay_generations_page_find_duplicates (page);
  for (int i = 0; i < 200 && (dialog = find_message_dialog ()) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "3 Groups of Near-Duplicates"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "• 2 records"));
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpint (gdk_texture_get_width (shot), <=, 800);
    assay_test_save_screenshot (shot, "duplicates-dialog.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpuint (assay_test_count_colors (dark), >, 8);
    assay_test_save_screenshot (dark, "duplicates-dialog-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  }
  adw_message_dialog_response (dialog, "reject");
  assay_test_wait (200);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'rejected'", 0),
                   ==, rejected_before + 3);
  g_assert_true (assay_store_undo (store, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'rejected'", 0),
                   ==, rejected_before);
}

static void
test_duplicates (void)
{
  g_autofree char *path = make_workspace ();

  {
    g_autoptr (AssayStore) store = assay_store_open (path, NULL);
    g_assert_nonnull (store);
    /* three copies of long records: as they are, in capitals, with its punctuation changed */
    g_assert_true (assay_store_exec (store,
      "INSERT INTO gen_records (dataset_id, kind, text, status) "
      "SELECT dataset_id, kind, text, 'pending' FROM gen_records WHERE length (text) > 200 ORDER BY id LIMIT 1 OFFSET 0;"
      "INSERT INTO gen_records (dataset_id, kind, text, status) "
      "SELECT dataset_id, kind, upper (text), 'pending' FROM gen_records WHERE length (text) > 200 ORDER BY id LIMIT 1 OFFSET 1;"
      "INSERT INTO gen_records (dataset_id, kind, text, status) "
      "SELECT dataset_id, kind, replace (replace (text, ',', ' ;'), '.', '!'), 'pending' FROM gen_records "
      "WHERE length (text) > 200 ORDER BY id LIMIT 1 OFFSET 2;", NULL));
  }
  assay_test_run_app (path, check_duplicates, NULL);
}

/* By meaning, with a tiny random BERT as the text encoder (random weights: what is checked is the
 * plumbing, not how good the neighbours are): "≈ text" ranks the records, the record holding
 * that very text first; near-duplicates by meaning name their cosine; zero-shot labels open the
 * alignment heatmap, whose cells show their record on the page. On 300 AG News records with
 * their classes as labels. Screenshots light, dark and at 800 x 600. */
static void
check_meaning (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  AssayStore           *store = assay_window_get_store (window);
  GSettings            *settings = assay_application_get_settings (ASSAY_APPLICATION (g_application_get_default ()));
  AdwMessageDialog     *dialog = NULL;
  AssayZeroshotWindow  *zs = NULL;
  g_autofree char      *query = NULL;
  GtkWidget            *heatmap;

  g_settings_set_string (settings, "encoder-model", data);
  assay_window_show_page (window, "generations");
  wait_loaded (window);

  /* search by meaning: record 7's own text comes first */
  {
    sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT text FROM gen_records WHERE id = 7", NULL);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    query = g_strdup_printf ("\u2248 %s", (const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
  }
  assay_generations_page_set_search (page, query);
  assay_generations_page_activate_search (page);
  for (int i = 0; i < 400 && assay_store_query_int (store, "SELECT count(*) FROM embeddings", 0) < 301; i++)
    assay_test_wait (25);
  for (int i = 0; i < 200 && assay_generations_page_get_current (page) != 7; i++)
    assay_test_wait (25);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM embeddings", 0), ==, 301);
  g_assert_cmpint (assay_generations_page_get_current (page), ==, 7);
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "search-by-meaning.png");
  }
  assay_generations_page_set_search (page, "");

  /* near-duplicates by meaning: record 301 repeats record 3 */
  assay_generations_page_find_duplicates_by_meaning (page);
  /* (an earlier test's dialog may still be about: this one speaks of cosines) */
  for (int i = 0; i < 400 && (dialog = find_message_dialog_with ("cosine")) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "Near-Duplicates"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "cosine"));
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "duplicates-by-meaning.png");
  }
  adw_message_dialog_response (dialog, "close");
  assay_test_wait (100);

  /* zero-shot labels and the alignment heatmap */
  assay_generations_page_run_zeroshot (page, data, "World, Sports, Business, Sci/Tech", 0);
  for (int i = 0; i < 400 && (zs = (AssayZeroshotWindow *) find_window (ASSAY_TYPE_ZEROSHOT_WINDOW)) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (zs);
  heatmap = assay_zeroshot_window_get_heatmap (zs);
  g_assert_true (assay_test_find_label (GTK_WIDGET (zs), "accuracy"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (zs), "Sci/Tech"));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (zs));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "zeroshot-heatmap.png");
    gtk_window_set_default_size (GTK_WINDOW (zs), 800, 600);
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (400);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (zs));
    assay_test_save_screenshot (dark, "zeroshot-heatmap-dark-800x600.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  }
  /* grouped by predicted label: each group's rows in descending weight; a cell shows its record */
  {
    guint row = assay_alignment_heatmap_row_at (ASSAY_ALIGNMENT_HEATMAP (heatmap), 10);
    gint64 id = assay_zeroshot_window_get_record (zs, row);
    guint r2, c2;
    g_assert_cmpint (id, >, 0);
    g_signal_emit_by_name (heatmap, "cell-activated", row, 0u);
    assay_test_wait (200);
    g_assert_cmpint (assay_generations_page_get_current (page), ==, id);
    g_assert_true (assay_alignment_heatmap_cell_at (ASSAY_ALIGNMENT_HEATMAP (heatmap),
                                                    gtk_widget_get_width (heatmap) - 20, 30, &r2, &c2));
    g_assert_cmpuint (c2, ==, 3);
    assay_alignment_heatmap_set_grouped (ASSAY_ALIGNMENT_HEATMAP (heatmap), FALSE);
    g_assert_cmpuint (assay_alignment_heatmap_row_at (ASSAY_ALIGNMENT_HEATMAP (heatmap), 10), ==, 10);
  }
  gtk_window_destroy (GTK_WINDOW (zs));

  /* with generated elaborations of records 1 and 2 in a dataset of their own: the dialog offers
   * them, and the labels take them (Eq 3.9) */
  g_assert_true (assay_store_exec (store, "INSERT INTO datasets (area, name) VALUES ('gen', 'elaborations');"
                                          "INSERT INTO gen_records (dataset_id, kind, text, extra) VALUES "
                                          "(2, 'augmentation', 'More about it.', '{\"from\": 1}'), "
                                          "(2, 'augmentation', 'And more.', '{\"from\": 2}')", NULL));
  assay_store_emit_changed (store, "datasets");
  g_assert_true (assay_generations_page_set_dataset (page, 1));
  assay_test_wait (200);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "gen.zeroshot", NULL));
  for (int i = 0; i < 200 && (dialog = find_message_dialog_with ("Encoder:")) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (dialog);
  g_assert_nonnull (g_object_get_data (G_OBJECT (dialog), "elaborations"));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "zeroshot-dialog.png");
  }
  adw_message_dialog_response (dialog, "run");
  zs = NULL;
  for (int i = 0; i < 400 && (zs = (AssayZeroshotWindow *) find_window (ASSAY_TYPE_ZEROSHOT_WINDOW)) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (zs);
  g_assert_true (assay_test_find_label (GTK_WIDGET (zs), "2 texts are the mean"));
  gtk_window_destroy (GTK_WINDOW (zs));
  g_settings_set_string (settings, "encoder-model", "");
}

static void
test_meaning (void)
{
  g_autofree char *path = assay_test_path ("meaning-ui.assay");
  g_autofree char *dir = assay_test_path ("ui-meaning-bert");
  g_autofree char *csv = g_build_filename (assay_test_shared_data (), "text", "ag_news_test.csv", NULL);
  const char      *classes[] = { "World", "Sports", "Business", "Sci/Tech" };
  AssayTestLmSpec  spec = assay_test_lm_spec (ASSAY_LM_BERT, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 21);
  g_autoptr (GError) error = NULL;

  if (!g_file_test (csv, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("SKIP: no AG News in the shared data");
      return;
    }
  g_remove (path);
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;
    g_assert_no_error (error);
    g_assert_true (assay_store_exec (store, "INSERT INTO datasets (area, name) VALUES ('gen', 'AG News')", &error));
    g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
    lines = g_strsplit (text, "\n", 301);
    for (guint i = 0; i < 300; i++)
      {
        /* "class","title","description": the title and description as the text */
        sqlite3_stmt *stmt;
        int c;
        g_autofree char *body = ag_news_row (lines[i], &c);
        stmt = assay_store_prepare (store, "INSERT INTO gen_records (dataset_id, kind, text, condition) "
                                           "VALUES (1, 'rewrite', ?, ?)", &error);
        sqlite3_bind_text (stmt, 1, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 2, classes[CLAMP (c, 0, 3)], -1, SQLITE_STATIC);
        g_assert_true (assay_store_step_done (store, stmt, &error));
      }
    g_assert_true (assay_store_exec (store, "INSERT INTO gen_records (dataset_id, kind, text, condition) "
                                            "SELECT dataset_id, kind, text, condition FROM gen_records WHERE id = 3", &error));
  }
  assay_test_run_app (path, check_meaning, dir);
}

/* Review in order of doubt on ProcessBench's GSM8K traces: the label model is fitted when the
 * order is chosen, the list starts with the record likeliest wrong, the detail says its
 * P(good), a decision makes the model fit again with it, next pending takes the likeliest wrong
 * still pending, and the Signals window shows every signal (light, dark, 800 x 600). */
static gint64
decided_in_fit (AssayStore *store)
{
  g_autoptr (JsonObject) fit = assay_signals_show (store, 1, NULL);
  return fit != NULL ? json_object_get_int_member (fit, "decided") : -1;
}

static void
check_doubt (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page;
  AssayStore           *store = assay_window_get_store (window);
  AssaySignalsWindow   *signals = NULL;
  g_autoptr (JsonObject) shown = NULL;
  g_autoptr (GError) error = NULL;
  gint64 first;

  assay_window_show_page (window, "generations");
  page = wait_loaded (window);
  g_assert_cmpint (assay_signals_current_run (store, 1), ==, 0);
  assay_generations_page_set_order (page, 1);
  for (int i = 0; i < 400 && assay_signals_current_run (store, 1) == 0; i++)
    assay_test_wait (25);
  g_assert_cmpint (assay_signals_current_run (store, 1), >, 0);
  assay_test_wait (400);
  /* the list in order of doubt: as "signals show" ranks them */
  shown = assay_signals_show (store, 1, &error);
  g_assert_no_error (error);
  first = json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (shown, "ranked"), 0), "id");
  assay_generations_page_select (page, 0);
  assay_test_wait (200);
  g_assert_cmpint (assay_generations_page_get_current (page), ==, first);
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "P(good) "));
  /* the rows carry P(good) too, lowest first */
  {
    GListModel *rows = assay_generations_page_get_rows (page);
    g_autoptr (AssayGenItem) a = g_list_model_get_item (rows, 0);
    g_autoptr (AssayGenItem) b = g_list_model_get_item (rows, 1);
    g_assert_true (isfinite (assay_gen_item_get_p_good (a)));
    g_assert_cmpfloat (assay_gen_item_get_p_good (a), <=, assay_gen_item_get_p_good (b));
    g_assert_cmpfloat (fabs (assay_gen_item_get_p_good (a) -
                             json_object_get_double_member (json_array_get_object_element (json_object_get_array_member (shown, "ranked"), 0), "p_good")),
                       <, 1e-12);
  }
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "generations-doubt.png");
  }
  /* a decision (x: reject): the model fits again with it once the reviewer pauses */
  press (page, GDK_KEY_x, 0);
  for (int i = 0; i < 400 && decided_in_fit (store) != 1; i++)
    assay_test_wait (25);
  g_assert_cmpint (decided_in_fit (store), ==, 1);
  assay_test_wait (300);
  /* next pending, in this order: the likeliest wrong still pending, other than the one shown */
  {
    gint64 before = assay_generations_page_get_current (page), want = 0;
    g_autoptr (JsonObject) again = assay_signals_show (store, 1, &error);
    JsonArray *records = json_object_get_array_member (again, "ranked");
    press (page, GDK_KEY_n, 0);
    for (guint i = 0; i < json_array_get_length (records) && want == 0; i++)
      {
        JsonObject *r = json_array_get_object_element (records, i);
        if (g_str_equal (json_object_get_string_member (r, "status"), "pending")
            && json_object_get_int_member (r, "id") != before)
          want = json_object_get_int_member (r, "id");
      }
    g_assert_cmpint (assay_generations_page_get_current (page), ==, want);
  }

  /* the Signals window */
  assay_generations_page_weigh_signals (page);
  for (int i = 0; i < 400 && ((signals = (AssaySignalsWindow *) find_window (ASSAY_TYPE_SIGNALS_WINDOW)) == NULL || assay_signals_window_get_n_signals (signals) == 0); i++)
    assay_test_wait (25);
  g_assert_nonnull (signals);
  g_assert_cmpuint (assay_signals_window_get_n_signals (signals), >=, 2);
  g_assert_true (assay_test_find_label (GTK_WIDGET (signals), "arithmetic"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (signals), "Against the first-error labels"));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (signals));
    assay_test_save_screenshot (shot, "signals-window.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (signals));
    g_autoptr (GdkTexture) page_dark = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpuint (assay_test_count_colors (dark), >, 8);
    assay_test_save_screenshot (dark, "signals-window-dark.png");
    assay_test_save_screenshot (page_dark, "generations-doubt-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    gtk_window_set_default_size (GTK_WINDOW (signals), 800, 600);
    assay_test_wait (400);
  }
  {
    g_autoptr (GdkTexture) small = assay_test_render (GTK_WIDGET (signals));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "signals-window-800x600.png");
  }
  /* one decision: the automatic choice fitted matrix completion; Dawid-Skene chosen in the window
   * is fitted, shown, and the dataset's from now on; then automatic again */
  g_assert_true (assay_test_find_label (GTK_WIDGET (signals), "Snorkel’s matrix completion (automatic"));
  assay_signals_window_choose_label_model (signals, 1);
  for (int i = 0; i < 400 && !assay_test_find_label (GTK_WIDGET (signals), "Dawid–Skene EM ·"); i++)
    assay_test_wait (25);
  g_assert_true (assay_test_find_label (GTK_WIDGET (signals), "Dawid–Skene EM ·"));
  {
    g_autofree char *sql = g_strdup_printf ("SELECT json_extract (params, '$.label_model_choice') = 'dawid-skene' FROM runs "
                                            "WHERE id = %lld", (long long) assay_signals_current_run (store, 1));
    g_assert_cmpint (assay_store_query_int (store, sql, 0), ==, 1);
  }
  assay_signals_window_choose_label_model (signals, 0);
  for (int i = 0; i < 400 && !assay_test_find_label (GTK_WIDGET (signals), "Snorkel’s matrix completion (automatic"); i++)
    assay_test_wait (25);
  g_assert_true (assay_test_find_label (GTK_WIDGET (signals), "Snorkel’s matrix completion (automatic"));
  gtk_window_close (GTK_WINDOW (signals));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  assay_test_wait (500);
  {
    g_autoptr (GdkTexture) small = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "generations-doubt-800x600.png");
  }
}

static void
test_doubt (void)
{
  g_autofree char *path = assay_test_path ("doubt-ui.assay");
  const char *data = assay_test_shared_data ();
  g_autofree char *file = NULL;

  if (data == NULL)
    return;
  file = g_build_filename (data, "reasoning", "processbench", "gsm8k.json", NULL);
  g_remove (path);
  {
    const char *args[] = { "traces", "import", "-w", path, "--json", file, NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (o, "traces"), ==, 400);
  }
  assay_test_run_app (path, check_doubt, NULL);
}

/* Find Label Errors… on label-conditioned records: 600 AG News texts with every 10th label
 * changed; the window lists records, a correction relabels one (undone from the main window), a
 * dismissal is kept. Screenshots light and dark. */
static char *
condition_of (AssayStore *store, gint64 id)
{
  g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, id, NULL);
  return r != NULL ? g_strdup (r->condition) : NULL;
}

static void
check_label_errors (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage   *page;
  AssayStore             *store = assay_window_get_store (window);
  AssayLabelErrorsWindow *errors = NULL;
  guint                   n;
  gint64                  first;
  g_autofree char        *before = NULL;

  assay_window_show_page (window, "generations");
  page = wait_loaded (window);
  assay_generations_page_find_label_errors (page);
  for (int i = 0; i < 400 && (errors = (AssayLabelErrorsWindow *) find_window (ASSAY_TYPE_LABEL_ERRORS_WINDOW)) == NULL; i++)
    assay_test_wait (25);
  g_assert_nonnull (errors);
  n = assay_label_errors_window_get_n_rows (errors);
  g_assert_cmpuint (n, >, 10);
  assay_label_errors_window_select (errors, 0);
  assay_test_wait (300);
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Record #"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Label now: "));
  /* the evidence: the nearest records and their labels */
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Nearest: #"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "keywords of “"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (errors));
    assay_test_save_screenshot (shot, "gen-label-errors.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (errors));
    assay_test_save_screenshot (dark, "gen-label-errors-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    gtk_window_set_default_size (GTK_WINDOW (errors), 800, 600);
    assay_test_wait (400);
  }
  {
    g_autoptr (GdkTexture) small = assay_test_render (GTK_WIDGET (errors));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "gen-label-errors-800x600.png");
  }
  /* the first listed: which record, relabelled and undone */
  first = assay_store_query_int (store, "SELECT id FROM gen_records ORDER BY json_extract (scores, '$.label_fit'), id LIMIT 1", 0);
  before = condition_of (store, first);
  g_assert_true (assay_label_errors_window_apply (errors));
  g_assert_cmpuint (assay_label_errors_window_get_n_rows (errors), ==, n - 1);
  {
    g_autofree char *after = condition_of (store, first);
    g_assert_cmpstr (after, !=, before);
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (200);
  {
    g_autofree char *undone = condition_of (store, first);
    g_assert_cmpstr (undone, ==, before);
  }
  /* a dismissal is kept */
  assay_label_errors_window_select (errors, 0);
  assay_label_errors_window_dismiss (errors);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM label_dismissals", 0), ==, 1);
  gtk_window_close (GTK_WINDOW (errors));
  assay_test_wait (100);
}

static void
test_label_errors (void)
{
  g_autofree char *path = assay_test_path ("gen-errors-ui.assay");
  g_autofree char *csv = g_build_filename (assay_test_shared_data (), "text", "ag_news_test.csv", NULL);
  const char      *classes[] = { "World", "Sports", "Business", "Sci/Tech" };
  g_autoptr (GError) error = NULL;

  if (!g_file_test (csv, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("SKIP: no AG News in the shared data");
      return;
    }
  g_remove (path);
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;
    g_assert_no_error (error);
    g_assert_true (assay_store_exec (store, "INSERT INTO datasets (area, name) VALUES ('gen', 'AG News rewrites')", &error));
    g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
    lines = g_strsplit (text, "\n", 601);
    for (guint i = 0; i < 600; i++)
      {
        sqlite3_stmt *stmt;
        int c;
        g_autofree char *body = ag_news_row (lines[i], &c);
        if (i % 10 == 0)
          c = (c + 1) % 4; /* a wrong label */
        stmt = assay_store_prepare (store, "INSERT INTO gen_records (dataset_id, kind, text, condition) "
                                           "VALUES (1, 'rewrite', ?, ?)", &error);
        sqlite3_bind_text (stmt, 1, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 2, classes[CLAMP (c, 0, 3)], -1, SQLITE_STATIC);
        g_assert_true (assay_store_step_done (store, stmt, &error));
      }
  }
  assay_test_run_app (path, check_label_errors, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/generations/page", test_generations_page);
  g_test_add_func ("/ui/generations/other-process", test_other_process);
  g_test_add_func ("/ui/generations/focus", test_focus);
  g_test_add_func ("/ui/generations/import-dialog", test_import_dialog);
  g_test_add_func ("/ui/generations/generate", test_generate);
  g_test_add_func ("/ui/generations/duplicates", test_duplicates);
  g_test_add_func ("/ui/generations/meaning", test_meaning);
  g_test_add_func ("/ui/generations/finetune", test_finetune);
  g_test_add_func ("/ui/generations/doubt", test_doubt);
  g_test_add_func ("/ui/generations/label-errors", test_label_errors);
  return g_test_run ();
}
