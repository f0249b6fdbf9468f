/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The token heatmap and the Traces page under Xvfb. The widget alone, offscreen, with known
 * credit values: each token's background is the scale's colour of its value (clamped), an
 * unscored token has none. The page on ProcessBench GSM8K traces scored by a tiny model pair
 * whose policy favours "e": the list, a trace with a labelled and a predicted first error, the
 * colours of a favoured and of another token, step moves, the run's metrics; screenshot. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-slurm.h"
#include "assay-gen-record.h"
#include "assay-test-lm.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"
#include "assay-token-heatmap.h"
#include "assay-trace-credit.h"
#include "assay-trace-eval.h"
#include "assay-trace-import.h"
#include "assay-trace-tokens.h"
#include "assay-traces-page.h"

#define FAVOURED 101 /* "e" */
#define TOLERANCE 3

static void
expect_color (GdkTexture *shot, int x, int y, const double rgb[3])
{
  guint32 p = assay_test_pixel (shot, x, y);
  int     r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

  if (abs (r - (int) lround (rgb[0] * 255)) > TOLERANCE || abs (g - (int) lround (rgb[1] * 255)) > TOLERANCE
      || abs (b - (int) lround (rgb[2] * 255)) > TOLERANCE)
    g_error ("pixel (%d, %d) is #%02x%02x%02x, expected #%02x%02x%02x", x, y, r, g, b,
             (int) lround (rgb[0] * 255), (int) lround (rgb[1] * 255), (int) lround (rgb[2] * 255));
}

/* The top row of a token's box (text starts below it). */
static void
token_point (AssayTokenHeatmap *h, int token, int *x, int *y)
{
  double bx, by, bw, bh;

  g_assert_true (assay_token_layout_token_rect (assay_token_heatmap_get_layout (h), token, &bx, &by, &bw, &bh));
  *x = (int) (bx + bw / 2);
  *y = (int) by + 1; /* below the step rule on row 0, above the glyphs */
}

static void
test_widget_colors (void)
{
  /* tokens: "aaaa" +2 (clamped to +1), "    \n" +0.5, "bbbb" -1, "    " NaN, "cccc" -0.25;
   * steps: the first line, the second */
  const char   text[] = "aaaa    \nbbbb    cccc";
  const guint  offsets[] = { 0, 4, 4, 9, 9, 13, 13, 17, 17, 21 };
  const double credit[] = { 2.0, 0.5, -1.0, NAN, -0.25 };
  const guint  steps[] = { 0, 9, 9, 21 };
  AssayTokenData d = { text, 5, offsets, credit, 0.0, 2, steps, 1, 0 };
  GtkWidget   *window = gtk_window_new ();
  GtkWidget   *heatmap = assay_token_heatmap_new ();
  g_autoptr (GdkTexture) shot = NULL;
  double       rgb[3];
  int          x, y;

  gtk_window_set_default_size (GTK_WINDOW (window), 500, 120);
  gtk_window_set_child (GTK_WINDOW (window), heatmap);
  gtk_window_present (GTK_WINDOW (window));
  assay_token_heatmap_set_data (ASSAY_TOKEN_HEATMAP (heatmap), &d, NULL, NULL);
  assay_token_heatmap_set_range (ASSAY_TOKEN_HEATMAP (heatmap), 1.0);
  assay_test_wait (200);
  shot = assay_test_render (heatmap);
  for (int t = 0; t < 5; t++)
    {
      token_point (ASSAY_TOKEN_HEATMAP (heatmap), t, &x, &y);
      if (isnan (credit[t]))
        {
          rgb[0] = rgb[1] = 0.995;
          rgb[2] = 0.99; /* the paper */
        }
      else
        g_assert_true (assay_token_color (credit[t], rgb));
      expect_color (shot, x, y, rgb);
    }
  /* the ends of the scale: RdBu's blue and red */
  assay_token_color (-1.0, rgb);
  g_assert_cmpfloat (fabs (rgb[0] - 0.129), <, 1e-9);
  assay_token_color (1.0, rgb);
  g_assert_cmpfloat (fabs (rgb[0] - 0.698), <, 1e-9);
  /* steps: token 2 starts step 1 */
  g_assert_cmpint (assay_token_layout_token_step (assay_token_heatmap_get_layout (ASSAY_TOKEN_HEATMAP (heatmap)), 2), ==, 1);
  g_assert_cmpint (assay_token_layout_step_token (assay_token_heatmap_get_layout (ASSAY_TOKEN_HEATMAP (heatmap)), 1), ==, 2);
  /* the labelled first error (step 1) has the red bar, the predicted one (step 0) the orange */
  {
    GdkRGBA red = { 0.80, 0.10, 0.10, 1 }, orange = { 0.95, 0.55, 0.05, 1 };
    g_assert_true (assay_test_has_color (shot, &red, TOLERANCE));
    g_assert_true (assay_test_has_color (shot, &orange, TOLERANCE));
  }
  /* dark style: the dark scheme's colours, not the paper (the heatmap stayed white) */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  assay_test_wait (200);
  g_clear_object (&shot);
  shot = assay_test_render (heatmap);
  g_assert_true (assay_token_layout_get_dark (assay_token_heatmap_get_layout (ASSAY_TOKEN_HEATMAP (heatmap))));
  for (int t = 0; t < 5; t++)
    {
      token_point (ASSAY_TOKEN_HEATMAP (heatmap), t, &x, &y);
      if (isnan (credit[t]))
        rgb[0] = rgb[1] = rgb[2] = 0.14; /* the dark paper */
      else
        g_assert_true (assay_token_color_scheme (credit[t], TRUE, rgb));
      expect_color (shot, x, y, rgb);
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  assay_test_wait (100);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Lines break at blanks, not inside words, also where a word is several BPE tokens ("group"
 * "s" was split across lines) */
static void
test_word_wrap (void)
{
  const char *words[] = { "Each", " group", "s", " costs", " $", "1", ",", " so", " eighteen", " pencil",
                          "s", " cost", " six", " times", " one", " dollar", ",", " which", " is", " $",
                          "6", ".", " White", " rabbits", " jump", "ed", " over", " the", " lazy", " dog",
                          "s", " again", " and", " again", NULL };
  GString          *text = g_string_new (NULL);
  g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) credit = g_array_new (FALSE, FALSE, sizeof (double));
  PangoFontMap     *map = pango_cairo_font_map_get_default ();
  PangoContext     *context = pango_font_map_create_context (map);
  AssayTokenLayout *layout;
  AssayTokenData    d = { 0 };
  guint             checked = 0;

  for (guint i = 0; words[i] != NULL; i++)
    {
      guint  b = (guint) text->len, e;
      double v = (i % 5) / 5.0 - 0.4;
      g_string_append (text, words[i]);
      e = (guint) text->len;
      g_array_append_val (offsets, b);
      g_array_append_val (offsets, e);
      g_array_append_val (credit, v);
    }
  d.text = text->str;
  d.n_tokens = (int) credit->len;
  d.offsets = (const guint *) offsets->data;
  d.credit = (const double *) credit->data;
  d.labelled = d.predicted = -1;
  layout = assay_token_layout_new (&d, context, NULL);
  for (double width = 180; width <= 420; width += 7)
    {
      assay_token_layout_wrap (layout, width);
      for (int t = 1; t < d.n_tokens; t++)
        {
          double x, y, w, h;
          /* a token that continues a word (no blank before it) stays on its word's line: the
           * cell just left of it holds the word's previous token */
          if (words[t][0] == ' ')
            continue;
          g_assert_true (assay_token_layout_token_rect (layout, t, &x, &y, &w, &h));
          if (assay_token_layout_token_at (layout, x - 1.0, y + h / 2) != t - 1)
            g_error ("width %.0f: “%s%s” broken across lines", width, words[t - 1], words[t]);
          checked++;
        }
    }
  g_assert_cmpuint (checked, >, 100);
  assay_token_layout_free (layout);
  g_object_unref (context);
  g_string_free (text, TRUE);
}

/* Text on every colour of the scale, in both schemes, at WCAG contrast >= 4.5:1 */
static void
test_scale_contrast (void)
{
  for (int dark = 0; dark < 2; dark++)
    {
      double worst = 100;
      for (int i = -200; i <= 200; i++)
        {
          double bg[3], text[3], c;
          g_assert_true (assay_token_color_scheme (i / 200.0, dark, bg));
          assay_token_text_color (bg, dark, text);
          c = assay_token_contrast (text, bg);
          worst = MIN (worst, c);
          if (c < 4.5)
            g_error ("%s scheme, credit %.3f of the range: text contrast %.2f", dark ? "dark" : "light", i / 200.0, c);
        }
      g_test_message ("%s scheme: lowest text contrast %.2f", dark ? "dark" : "light", worst);
    }
}

static int
compare_doubles (const double *a, const double *b)
{
  return (*a > *b) - (*a < *b);
}

typedef struct
{
  gint64 run;
  gint64 trace; /* labelled and predicted first error */
} Fixture;

static char *
make_workspace (Fixture *fx)
{
  g_autofree char *full = g_build_filename (assay_test_shared_data (), "reasoning", "processbench", "gsm8k.json", NULL);
  g_autofree char *pb = assay_test_path ("ui-traces-gsm8k.json");
  char            *path = assay_test_path ("ui-traces.db");
  g_autofree char *ref = assay_test_path ("ui-traces-model");
  g_autofree char *pol = assay_test_path ("ui-traces-model-policy");
  AssayTestLmSpec  s = { ASSAY_LM_QWEN2, 32, 2, 4, 2, 48, 300, 1024, FALSE, FALSE, ASSAY_DTYPE_F32, 0, TRUE };
  g_autoptr (AssayTestLm) r = assay_test_lm_write (ref, &s, 5);
  g_autoptr (AssayTestLm) p = assay_test_lm_write (pol, &s, 5);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayTraceImportResult ir;
  AssayTraceCreditOptions o = { pol, ref, 0, 4096, 120 };
  char          err[128];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);
  JsonObject   *result = NULL;

  assay_test_lm_favour (p, FAVOURED, 6.0);
  /* 60 erroneous and 60 correct traces (the file lists the erroneous ones first) */
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    JsonArray *all, *some = json_array_new ();
    JsonNode  *root = json_node_new (JSON_NODE_ARRAY);
    g_assert_true (json_parser_load_from_file (parser, full, &error));
    all = json_node_get_array (json_parser_get_root (parser));
    for (guint i = 0; i < 60; i++)
      {
        json_array_add_element (some, json_node_copy (json_array_get_element (all, i)));
        json_array_add_element (some, json_node_copy (json_array_get_element (all, json_array_get_length (all) - 1 - i)));
      }
    json_node_take_array (root, some);
    json_generator_set_root (gen, root);
    g_assert_true (json_generator_to_file (gen, pb, &error));
    json_node_unref (root);
  }
  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_trace_import (store, pb, ASSAY_TRACE_FORMAT_PROCESSBENCH, "ProcessBench GSM8K", &ir, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (assay_trace_credit (store, &o, b, NULL, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  fx->run = json_object_get_int_member (result, "run");
  json_object_unref (result);
  assay_backend_free (b);
  /* Random models predict nothing useful, and the calibrated threshold says so ("never"); for a
   * view with predictions, set the threshold by hand at the median step reward. */
  {
    g_autofree char *sql = NULL;
    double threshold = NAN;
    sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT step_rewards FROM trace_tokens", &error);
    g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        const float *f = sqlite3_column_blob (stmt, 0);
        for (int k = 0; k < sqlite3_column_bytes (stmt, 0) / 4; k++)
          {
            double v = f[k];
            g_array_append_val (all, v);
          }
      }
    sqlite3_reset (stmt);
    g_array_sort (all, (GCompareFunc) compare_doubles);
    threshold = g_array_index (all, double, all->len / 2);
    g_assert_true (assay_trace_apply_threshold (store, fx->run, threshold, &error));
    sql = g_strdup_printf ("UPDATE runs SET metrics = json_set (metrics, '$.threshold', %.17g, "
                           "'$.threshold_source', 'given') WHERE id = %lld", threshold, (long long) fx->run);
    g_assert_true (assay_store_exec (store, sql, &error));
  }
  fx->trace = assay_store_query_int (store,
                                     "SELECT t.record_id FROM trace_tokens t JOIN gen_records r ON r.id = t.record_id "
                                     "WHERE t.first_error >= 0 AND r.step_label >= 0 AND t.n_tokens < 400 "
                                     "ORDER BY t.first_error = r.step_label DESC, t.record_id LIMIT 1", 0);
  if (fx->trace == 0)
    fx->trace = assay_store_query_int (store, "SELECT min(record_id) FROM trace_tokens t JOIN gen_records r "
                                              "ON r.id = t.record_id WHERE r.step_label >= 0", 0);
  return path;
}

/* True when a word of text (split at anything but letters and digits, any case) starts with
 * prefix: the search's own rule (its last word matches as a prefix), counted here by hand. */
static gboolean
has_word_prefix (const char *text, const char *prefix)
{
  g_autofree char *lower = g_ascii_strdown (text != NULL ? text : "", -1);
  size_t           n = strlen (prefix);

  for (const char *p = lower; *p; p++)
    if ((p == lower || !g_ascii_isalnum (p[-1])) && strncmp (p, prefix, n) == 0)
      return TRUE;
  return FALSE;
}

static void
wait_list (AssayTracesPage *page, guint want)
{
  for (int i = 0; i < 100 && assay_traces_page_get_n_traces (page) != want; i++)
    assay_test_wait (30);
  assay_test_wait (50);
}

/* Only wrong, search and dataset narrow the list to what a plain reading of the rows gives */
static void
check_filters (AssayTracesPage *page, AssayStore *store, Fixture *fx)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT kind, correct, step_label, steps IS NOT NULL, "
                                                   "prompt, text, rejected, dataset_id FROM gen_records", NULL);
  guint         wrong = 0, found = 0, all = 0;
  gint64        dataset = 0;
  const char   *word = "pencil";

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 0);
      if (g_strcmp0 (kind, "trace") != 0 && g_strcmp0 (kind, "pair") != 0)
        continue;
      all++;
      dataset = sqlite3_column_int64 (stmt, 7);
      if (g_str_equal (kind, "trace")
          && ((sqlite3_column_type (stmt, 1) != SQLITE_NULL && sqlite3_column_int (stmt, 1) == 0)
              || (sqlite3_column_type (stmt, 2) != SQLITE_NULL && sqlite3_column_int (stmt, 2) >= 0
                  && sqlite3_column_int (stmt, 3))))
        wrong++;
      for (int c = 4; c <= 6; c++)
        if (has_word_prefix ((const char *) sqlite3_column_text (stmt, c), word))
          {
            found++;
            break;
          }
    }
  sqlite3_reset (stmt);
  g_test_message ("traces %u, wrong %u, with a word starting \"%s\" %u", all, wrong, word, found);
  g_assert_cmpuint (all, ==, 120);
  g_assert_cmpuint (wrong, >, 0);
  g_assert_cmpuint (wrong, <, all);
  g_assert_cmpuint (found, >, 0);

  assay_traces_page_set_filters (page, 0, TRUE, NULL);
  wait_list (page, wrong);
  g_assert_cmpuint (assay_traces_page_get_n_traces (page), ==, wrong);
  {
    g_autofree char *want = g_strdup_printf ("%u of 120 traces", wrong);
    g_assert_cmpstr (assay_traces_page_get_summary (page), ==, want);
  }
  assay_traces_page_set_filters (page, 0, FALSE, word);
  wait_list (page, found);
  g_assert_cmpuint (assay_traces_page_get_n_traces (page), ==, found);
  assay_traces_page_set_filters (page, dataset, FALSE, "zzzzqqq");
  wait_list (page, 0);
  g_assert_cmpuint (assay_traces_page_get_n_traces (page), ==, 0);
  g_assert_cmpstr (assay_traces_page_get_summary (page), ==, "No trace matches (of 120)");
  /* the page keeps its content (the empty state is for a workspace without traces) */
  g_assert_false (assay_page_get_empty (ASSAY_PAGE (page)));
  assay_traces_page_set_filters (page, dataset, FALSE, NULL);
  wait_list (page, 120);
  g_assert_cmpuint (assay_traces_page_get_n_traces (page), ==, 120);
  g_assert_cmpstr (assay_traces_page_get_summary (page), ==, "120 traces");
  (void) fx;
}

static void
check_page (AssayWindow *window, gpointer data)
{
  Fixture           *fx = data;
  AssayTracesPage   *page = ASSAY_TRACES_PAGE (assay_window_get_page (window, "traces"));
  AssayStore        *store;
  AssayTokenHeatmap *h;
  g_autoptr (AssayTraceTokens) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) shot = NULL;
  int                favoured = -1, other = -1, x, y;
  double             rgb[3], range;

  assay_window_show_page (window, "traces");
  for (int i = 0; i < 200 && assay_traces_page_get_n_traces (page) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpuint (assay_traces_page_get_n_traces (page), ==, 120);
  g_assert_cmpint (assay_traces_page_get_run (page), ==, fx->run);
  g_assert_true (assay_traces_page_select_trace (page, fx->trace));
  for (int i = 0; i < 200 && assay_traces_page_get_trace (page) != fx->trace; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_traces_page_get_trace (page), ==, fx->trace);
  assay_test_wait (300);
  g_assert_nonnull (strstr (assay_traces_page_get_metrics_text (page), "ProcessBench F1"));

  /* the heatmap holds the stored credit: a favoured token is warm, another cool, as the scale
   * says for (credit - mean) / range */
  store = assay_page_get_store (ASSAY_PAGE (page));
  t = assay_trace_tokens_load (store, fx->run, fx->trace, 0, &error);
  g_assert_no_error (error);
  /* the fixture's trace has both a labelled and a predicted first error */
  g_assert_cmpint (t->first_error, >=, 0);
  h = assay_traces_page_get_heatmap (page, FALSE);
  range = assay_token_heatmap_get_range (h);
  {
    const char *text = NULL;
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, fx->trace, &error);
    g_assert_no_error (error);
    text = r->text;
    for (int i = 0; i < t->n_tokens && i < 120; i++)
      {
        gboolean is_e = t->offsets[2 * i + 1] - t->offsets[2 * i] == 1 && text[t->offsets[2 * i]] == 'e';
        if (is_e && favoured < 0)
          favoured = i;
        if (!is_e && other < 0 && t->credit[i] - t->mean < -0.3 * range)
          other = i;
      }
  }
  g_assert_cmpint (favoured, >=, 0);
  g_assert_cmpint (other, >=, 0);
  g_assert_cmpfloat (t->credit[favoured] - t->mean, >, 0.0);
  shot = assay_test_render (GTK_WIDGET (h));
  token_point (h, favoured, &x, &y);
  g_assert_true (assay_token_color ((t->credit[favoured] - t->mean) / range, rgb));
  g_assert_cmpfloat (rgb[0], >, rgb[2]); /* warm */
  expect_color (shot, x, y, rgb);
  token_point (h, other, &x, &y);
  g_assert_true (assay_token_color ((t->credit[other] - t->mean) / range, rgb));
  g_assert_cmpfloat (rgb[2], >, rgb[0]); /* cool */
  expect_color (shot, x, y, rgb);

  /* the cursor: a token, then its step */
  assay_token_heatmap_set_cursor (h, favoured);
  g_assert_cmpint (assay_token_heatmap_get_cursor (h), ==, favoured);
  g_assert_cmpint (assay_token_heatmap_get_cursor_step (h), ==,
                   assay_token_layout_token_step (assay_token_heatmap_get_layout (h), favoured));
  assay_token_heatmap_set_cursor (h, 0);
  /* the import action opens one file chooser; a second asking replaces it */
  {
    guint before = g_list_model_get_n_items (gtk_window_get_toplevels ());
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "traces.import", NULL));
    assay_test_wait (300);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, before + 1);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "traces.import", NULL));
    assay_test_wait (300);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, before + 1);
  }
  {
    /* Fine-Tune… opens the dialog on the dataset shown (or says to choose one) */
    AssayFinetuneDialog *dialog = assay_traces_page_finetune (page);
    assay_test_wait (200);
    g_assert_nonnull (dialog); /* (the fixture's one dataset) */
    g_assert_false (assay_finetune_dialog_can_train (dialog)); /* nothing accepted */
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  {
    g_autoptr (GdkTexture) whole = NULL;
    assay_test_wait (300);
    whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "traces.png");
  }
  check_filters (page, store, fx);
}

static void
test_page (void)
{
  Fixture          fx = { 0 };
  g_autofree char *pb = g_build_filename (assay_test_shared_data (), "reasoning", "processbench", "gsm8k.json", NULL);
  g_autofree char *path = NULL;

  if (!g_file_test (pb, G_FILE_TEST_EXISTS)) /* the subset is made from it */
    {
      g_test_skip ("no ProcessBench data");
      return;
    }
  path = make_workspace (&fx);
  assay_test_run_app (path, check_page, &fx);
}

/* The workspace's jobs on a cluster: two of the four shards of a credit run written, the other
 * two not yet. The window merges the written ones by itself and the jobs list says where the job
 * is; squeue is not there (or knows nothing of the job), which the list says too. */
static void
check_cluster (AssayWindow *window, gpointer data)
{
  const char *path = data;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  gint64 merged = 0;

  for (int i = 0; i < 200 && merged < 2; i++)
    {
      assay_test_wait (50);
      g_clear_object (&store);
      store = assay_store_open_secondary (path, &error);
      g_assert_no_error (error);
      merged = assay_store_query_int (store, "SELECT count(*) FROM shard_merges", 0);
    }
  if (merged != 2)
    {
      JsonObject *st = NULL;
      g_autofree char *text = NULL;
      g_assert_true (assay_slurm_status (store, FALSE, &st, &error));
      text = assay_json_object_to_string (st, FALSE);
      g_printerr ("DEBUG %s\n", text);
    }
  g_assert_cmpint (merged, ==, 2);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM trace_tokens t JOIN shard_merges m "
                                                 "ON t.run_id = m.run_id WHERE m.k = 0", 0), >, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-jobs", NULL));
  for (int i = 0; i < 100 && !assay_test_find_label (GTK_WIDGET (window), "2 of 4 shards written, 2 merged"); i++)
    assay_test_wait (30);
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "On the Cluster"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "traces credit · 4 tasks"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "2 of 4 shards written, 2 merged"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (window), "Gone from the queue with shards missing"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "cluster-jobs.png");
  }
}

static void
test_cluster (void)
{
  g_autofree char *path = assay_test_path ("ui-cluster.db");
  g_autofree char *folder = assay_test_path ("ui-cluster-shards");
  g_autofree char *ref = assay_test_path ("ui-cluster-model");
  g_autofree char *pol = assay_test_path ("ui-cluster-model-policy");
  g_autofree char *pb = g_build_filename (assay_test_shared_data (), "reasoning", "processbench", "gsm8k.json", NULL);
  AssayTestLmSpec  s = { ASSAY_LM_QWEN2, 32, 2, 4, 2, 48, 300, 1024, FALSE, FALSE, ASSAY_DTYPE_F32, 0, TRUE };
  g_autoptr (AssayTestLm) r = assay_test_lm_write (ref, &s, 5);
  g_autoptr (AssayTestLm) p = assay_test_lm_write (pol, &s, 6);
  g_autoptr (GError) error = NULL;
  char          err[128];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);

  if (!g_file_test (pb, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no ProcessBench data");
      assay_backend_free (b);
      return;
    }
  g_remove (path);
  g_mkdir_with_parents (folder, 0755);
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autoptr (AssayStore) reader = NULL;
    AssayTraceImportResult ir;
    sqlite3_stmt *stmt;

    g_assert_no_error (error);
    g_assert_true (assay_trace_import (store, pb, ASSAY_TRACE_FORMAT_PROCESSBENCH, "GSM8K", &ir, NULL, &error));
    g_assert_no_error (error);
    reader = assay_store_open_reader (path, &error);
    g_assert_no_error (error);
    for (guint k = 0; k < 2; k++)
      {
        g_autofree char *name = g_strdup_printf ("shard-%u.assay", k);
        g_autofree char *out = g_build_filename (folder, name, NULL);
        AssayTraceCreditOptions o = { pol, ref, 0, 2048, 40, { k, 4 }, out };
        JsonObject *result = NULL;
        g_assert_true (assay_trace_credit (reader, &o, b, NULL, NULL, NULL, &result, &error));
        g_assert_no_error (error);
        json_object_unref (result);
      }
    stmt = assay_store_prepare (store, "INSERT INTO cluster_jobs (array_job, merge_job, verb, n, folder, command) "
                                       "VALUES ('77', NULL, 'traces credit', 4, ?, 'traces credit')", &error);
    g_assert_nonnull (stmt);
    sqlite3_bind_text (stmt, 1, folder, -1, SQLITE_TRANSIENT);
    g_assert_true (assay_store_step_done (store, stmt, &error));
  }
  assay_backend_free (b);
  /* squeue, where installed, finds no cluster (no slurm.conf): the list says the queue could not
   * be read */
  g_unsetenv ("SLURM_CONF");
  assay_test_run_app (path, check_cluster, path);
}

/* A process reward model's lane: ProcessBench traces whose scores hold a PRM's P(step right)
 * (as traces reward writes them) show it beside the step numbers, red below ½ and green above,
 * and the trace's line names the first step below ½ (light and dark screenshots). */
static void
check_prm_lane (AssayWindow *window, gpointer data)
{
  AssayTracesPage   *page = ASSAY_TRACES_PAGE (assay_window_get_page (window, "traces"));
  AssayTokenHeatmap *h;
  AssayTokenLayout  *layout;
  gint64             trace = GPOINTER_TO_SIZE (data);

  assay_window_show_page (window, "traces");
  for (int i = 0; i < 200 && assay_traces_page_get_n_traces (page) == 0; i++)
    assay_test_wait (50);
  g_assert_true (assay_traces_page_select_trace (page, trace));
  for (int i = 0; i < 200 && assay_traces_page_get_trace (page) != trace; i++)
    assay_test_wait (50);
  assay_test_wait (300);
  h = assay_traces_page_get_heatmap (page, FALSE);
  layout = assay_token_heatmap_get_layout (h);
  g_assert_nonnull (layout);
  g_assert_cmpfloat (fabs (assay_token_layout_get_step_score (layout, 0) - 0.1), <, 1e-9);
  g_assert_cmpfloat (fabs (assay_token_layout_get_step_score (layout, 1) - 0.8), <, 1e-9);
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "tiny-prm: first step below ½ is 0"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "PRM: P(step right)"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (h));
    int x, y;
    guint32 px;
    /* the lane's colour on step 0's first line: red dominates */
    {
      double tx, ty, tw, th;
      g_assert_true (assay_token_layout_token_rect (layout, assay_token_layout_step_token (layout, 0), &tx, &ty, &tw, &th));
      x = (int) (tx - 8);
      y = (int) (ty + th / 2);
    }
    px = assay_test_pixel (shot, x, y);
    g_test_message ("lane pixel at (%d, %d): %08x", x, y, px);
    assay_test_save_screenshot (shot, "traces-prm-lane.png");
    g_assert_cmpuint ((px >> 16) & 0xff, >, ((px >> 8) & 0xff) + 40);
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (dark, "traces-prm-lane-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  }
}

static void
test_prm_lane (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *path = assay_test_path ("prm-lane.assay");
  g_autofree char *file = NULL;
  gint64 trace;

  if (data == NULL)
    return;
  file = g_build_filename (data, "reasoning", "processbench", "gsm8k.json", NULL);
  g_remove (path);
  {
    const char *args[] = { "traces", "import", "-w", path, "--json", file, NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
  }
  {
    g_autoptr (AssayStore) store = assay_store_open (path, NULL);
    g_autoptr (GError) error = NULL;
    /* the first trace with four steps or more: 0.1, 0.8, 0.6, ... */
    trace = assay_store_query_int (store, "SELECT min(id) FROM gen_records WHERE json_array_length (steps) >= 4", 0);
    g_assert_cmpint (trace, >, 0);
    {
      g_autofree char *sql = g_strdup_printf (
        "UPDATE gen_records SET scores = json_object ('tiny-prm:min', 0.2, 'tiny-prm:steps', "
        "json ('[0.1, 0.8' || replace (substr (hex (zeroblob (json_array_length (steps) - 2)), 1, "
        "2 * (json_array_length (steps) - 2)), '00', ', 0.6') || ']')) WHERE id = %" G_GINT64_FORMAT, trace);
      g_assert_true (assay_store_exec (store, sql, &error));
      g_assert_no_error (error);
    }
  }
  assay_test_run_app (path, check_prm_lane, GSIZE_TO_POINTER ((gsize) trace));
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/traces/heatmap-colors", test_widget_colors);
  g_test_add_func ("/ui/traces/scale-contrast", test_scale_contrast);
  g_test_add_func ("/ui/traces/word-wrap", test_word_wrap);
  g_test_add_func ("/ui/traces/page", test_page);
  g_test_add_func ("/ui/traces/cluster-jobs", test_cluster);
  g_test_add_func ("/ui/traces/prm-lane", test_prm_lane);
  return g_test_run ();
}
