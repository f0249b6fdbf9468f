/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Generations page under Xvfb: the list and detail of a demo workspace's records, a pair
 * with its differing words marked, keyboard decisions (accept, reject, rate, edit) committed at
 * once and undone, progress, search, and the GenCo grid. */
#include <glib/gstdio.h>
#include <string.h>

#include "assay-gen-demo.h"
#include "assay-gen-item.h"
#include "assay-gen-query.h"
#include "assay-generations-page.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"

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

  /* e edits in place; Ctrl+Enter saves beside the original */
  press (page, GDK_KEY_k, 0);
  id = assay_generations_page_get_current (page);
  press (page, GDK_KEY_e, 0);
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
  /* Esc cancels an edit */
  press (page, GDK_KEY_e, 0);
  press (page, GDK_KEY_Escape, 0);
  g_assert_false (assay_generations_page_is_editing (page));

  /* search narrows the list */
  assay_generations_page_set_search (page, "Canberra");
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  assay_generations_page_set_search (page, "");
  page = wait_loaded (window);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 26);

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

  /* the GenCo grid: 4 documents x (elaboration + labels) */
  assay_generations_page_show_grid (page, TRUE);
  assay_test_wait (150);
  g_assert_cmpuint (assay_generations_page_get_grid_cells (page), ==, 12);
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "generations-grid.png");
  }
  assay_generations_page_show_grid (page, FALSE);
}

static void
test_generations_page (void)
{
  g_autofree char *path = make_workspace ();

  assay_test_run_app (path, check_page, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/generations/page", test_generations_page);
  return g_test_run ();
}
