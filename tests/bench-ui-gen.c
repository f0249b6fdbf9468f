/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: the Generations page with 1 000 000 records (Xvfb). The time from opening the
 * workspace to the list shown with its first record, then the work per frame while scrolling the
 * list from top to bottom in 300 jumps (every frame shows rows never seen before), and the time to
 * apply a search and a status filter. Goal: frames under 16 ms at the 95th percentile. Printed
 * as one JSON line. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "assay-generations-page.h"
#include "assay-application.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"

/* ASSAY_BENCH_RECORDS overrides the count (to see how costs grow with it) */
static int N_RECORDS = 1000000;

static gint64 t_open;

static char *
make_workspace (void)
{
  g_autofree char *name = g_strdup_printf ("gen-bench-%d.assay", N_RECORDS);
  char *path = assay_test_path (name);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = NULL;
  gint64 dataset;

  if (g_file_test (path, G_FILE_TEST_EXISTS) && g_getenv ("ASSAY_BENCH_REUSE") != NULL)
    return path;
  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  dataset = assay_store_add_dataset (store, "gen", "bench", NULL, NULL, &error);
  g_assert_no_error (error);
  /* rows like a sampled-response set: kinds and statuses mixed, texts of ~40 words */
  sql = g_strdup_printf (
    "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
    "INSERT INTO gen_records (dataset_id, kind, prompt, text, rejected, status, rating) "
    "SELECT %lld, CASE i %% 3 WHEN 0 THEN 'pair' WHEN 1 THEN 'response' ELSE 'qa' END, "
    "'Question ' || i || ': how many apples remain if ' || (i %% 17) || ' are eaten?', "
    "'Step one counts the apples in each basket of record ' || i || ', step two subtracts the "
    "eaten ones, and the answer is ' || (i %% 97) || ' apples in total after checking the sum.', "
    "CASE i %% 3 WHEN 0 THEN 'The answer is ' || (i %% 89) || ' apples.' END, "
    "CASE i %% 5 WHEN 0 THEN 'accepted' WHEN 1 THEN 'rejected' ELSE 'pending' END, "
    "i %% 6 FROM n; COMMIT;",
    N_RECORDS, (long long) dataset);
  g_assert_true (assay_store_exec (store, sql, &error));
  g_assert_no_error (error);
  return path;
}

static void
run (AssayWindow *window, gpointer data)
{
  AssayGenerationsPage *page = ASSAY_GENERATIONS_PAGE (assay_window_get_page (window, "generations"));
  double                open_ms, p50, p95, max, search_ms, filter_ms;
  guint                 frames;
  gint64                t;
  GtkScrolledWindow    *scroller;
  GtkAdjustment        *adj;

  assay_window_show_page (window, "generations");
  while (!assay_generations_page_is_loaded (page))
    g_main_context_iteration (NULL, TRUE);
  open_ms = (g_get_monotonic_time () - t_open) / 1000.0;
  g_assert_cmpuint (g_list_model_get_n_items (assay_generations_page_get_rows (page)), ==, N_RECORDS);
  assay_test_wait (300);

  scroller = assay_generations_page_get_list_scroller (page);
  adj = gtk_scrolled_window_get_vadjustment (scroller);
  frames = assay_test_scroll_frames (scroller, (gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)) / 300.0,
                                     400, &p50, &p95, &max);

  /* the same window scrolled by 3 px a frame: repaint only, no new rows (the floor) */
  {
    double f50, f95, fmax;
    guint  n = assay_test_scroll_frames (scroller, 3, 120, &f50, &f95, &fmax);
    printf ("{\"small_steps\": {\"frames\": %u, \"p50_ms\": %.2f, \"p95_ms\": %.2f}}\n", n, f50, f95);
  }

  t = g_get_monotonic_time ();
  assay_generations_page_set_search (page, "apples 42");
  while (!assay_generations_page_is_loaded (page))
    g_main_context_iteration (NULL, TRUE);
  search_ms = (g_get_monotonic_time () - t) / 1000.0;
  assay_generations_page_set_search (page, "");
  while (!assay_generations_page_is_loaded (page))
    g_main_context_iteration (NULL, TRUE);
  t = g_get_monotonic_time ();
  assay_generations_page_set_status_filter (page, ASSAY_GEN_ACCEPTED);
  while (!assay_generations_page_is_loaded (page))
    g_main_context_iteration (NULL, TRUE);
  filter_ms = (g_get_monotonic_time () - t) / 1000.0;

  printf ("{\"records\": %d, \"open_ms\": %.0f, \"scroll\": {\"frames\": %u, \"p50_ms\": %.2f, "
          "\"p95_ms\": %.2f, \"max_ms\": %.2f}, \"search_ms\": %.0f, \"status_filter_ms\": %.0f}\n",
          N_RECORDS, open_ms, frames, p50, p95, max, search_ms, filter_ms);
}

int
main (int argc, char *argv[])
{
  g_autofree char *path = NULL;

  if (g_getenv ("ASSAY_BENCH_RECORDS") != NULL)
    N_RECORDS = atoi (g_getenv ("ASSAY_BENCH_RECORDS"));
  assay_application_tune_allocator (); /* as the app does */
  gtk_test_init (&argc, &argv, NULL);
  path = make_workspace ();
  t_open = g_get_monotonic_time ();
  assay_test_run_app (path, run, NULL);
  return 0;
}
