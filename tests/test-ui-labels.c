/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Labels page under Xvfb on a trained corpus: table, chart, keyword profile, k and search,
 * a chart click; and its responsiveness with 100 000 labels. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-keyword-bars.h"
#include "assay-label-row.h"
#include "assay-labels-page.h"
#include "assay-label-errors-window.h"
#include "assay-longtail-chart.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"
#include "assay-xmtc-demo.h"
#include "assay-application.h"
#include "assay-depl-window.h"
#include "assay-test-lm.h"
#include "assay-xmtc-import-dialog.h"
#include "assay-xmtc-import.h"
#include "assay-xmtc-train.h"

static char *
make_workspace (const char *name, guint n_docs)
{
  char *path = assay_test_path (name);
  g_autofree char *jsonl = assay_xmtc_demo_corpus_jsonl (n_docs, 5);
  g_autofree char *corpus = assay_test_path ("corpus.jsonl");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayXmtcImportResult r;
  AssayXmtcTrainOptions options;
  AssayXmtcTrainResult  t;

  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (corpus, jsonl, -1, NULL));
  g_assert_true (assay_xmtc_import (store, corpus, NULL, &r, NULL, NULL, NULL, &error));
  assay_xmtc_train_options_init (&options);
  options.tfidf.stop_words = TRUE;
  g_assert_true (assay_xmtc_train (store, r.dataset, &options, NULL, NULL, NULL, NULL, &t, &error));
  g_assert_no_error (error);
  return path;
}

static AssayLabelsPage *
wait_loaded (AssayWindow *window)
{
  AssayLabelsPage *page = ASSAY_LABELS_PAGE (assay_window_get_page (window, "labels"));

  assay_window_show_page (window, "labels");
  for (int i = 0; i < 100 && !assay_labels_page_is_loaded (page); i++)
    assay_test_wait (50);
  g_assert_true (assay_labels_page_is_loaded (page));
  assay_test_wait (200);
  return page;
}

static int
row_of (GListModel *rows, const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (AssayLabelRow) row = g_list_model_get_item (rows, i);
      if (g_str_equal (assay_label_row_get_name (row), name))
        return (int) assay_label_row_get_index (row);
    }
  return -1;
}

static void
check_page (AssayWindow *window, gpointer data)
{
  AssayLabelsPage *page = wait_loaded (window);
  GListModel      *rows = assay_labels_page_get_rows (page);
  g_autoptr (GdkTexture) shot = NULL;
  g_autoptr (AssayLabelRow) first = NULL;
  g_autoptr (AssayLabelRow) last = NULL;
  guint            n = g_list_model_get_n_items (rows);
  int              astronomy;

  g_assert_false (assay_page_get_empty (ASSAY_PAGE (page)));
  g_assert_cmpuint (n, ==, 60);
  /* It opens on the rarest label, its row selected */
  for (int i = 0; i < 40 && gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (rows))
                              == GTK_INVALID_LIST_POSITION; i++)
    assay_test_wait (25);
  {
    g_autoptr (AssayLabelRow) rarest = g_list_model_get_item (rows, 0);
    g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (rows)), ==, 0);
    g_assert_cmpint (assay_labels_page_get_selected_label (page), ==,
                     (int) assay_label_row_get_index (rarest));
  }
  /* Sorted rare -> common by default */
  first = g_list_model_get_item (rows, 0);
  last = g_list_model_get_item (rows, n - 1);
  g_assert_cmpuint (assay_label_row_get_n_train (first), <=, assay_label_row_get_n_train (last));
  g_assert_cmpstr (assay_label_row_get_bin (last), ==, "head");

  /* Selecting a label shows its keyword profile, led by its own vocabulary */
  astronomy = row_of (rows, "astronomy");
  g_assert_cmpint (astronomy, >=, 0);
  assay_labels_page_select_label (page, astronomy);
  assay_test_wait (200);
  g_assert_cmpint (assay_labels_page_get_selected_label (page), ==, astronomy);
  g_assert_cmpuint (assay_keyword_bars_get_n_keywords (
                      ASSAY_KEYWORD_BARS (assay_labels_page_get_keyword_bars (page))),
                    >, 3);
  g_assert_true (g_str_has_prefix (assay_labels_page_get_pseudo_description (page), "astronomy "));
  {
    const char *desc = assay_labels_page_get_pseudo_description (page);
    gboolean    own = FALSE;
    const char *words[] = { "telescope", "galaxy", "orbit", "stellar", "nebula", "observatory" };
    for (guint i = 0; i < G_N_ELEMENTS (words); i++)
      own |= strstr (desc, words[i]) != NULL;
    g_assert_true (own);
  }
  /* The chart marks the selected label */
  g_assert_cmpint (assay_longtail_chart_get_selected (
                     ASSAY_LONGTAIL_CHART (assay_labels_page_get_chart (page))),
                   >=, 0);

  shot = assay_test_render (GTK_WIDGET (page));
  g_assert_cmpuint (assay_test_count_colors (shot), >, 50);
  /* the metrics users come for are shown whole at this size (PSP@5 and macro-F1 showed as "P…") */
  {
    GtkLabel *summary = GTK_LABEL (assay_labels_page_get_summary (page));
    g_test_message ("metrics at %d px: %s", gtk_widget_get_width (GTK_WIDGET (window)), gtk_label_get_text (summary));
    g_assert_true (g_str_has_prefix (gtk_label_get_text (summary), "PSP@5 "));
    g_assert_nonnull (strstr (gtk_label_get_text (summary), "macro-F1@"));
    g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (summary)));
  }
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "labels.png");
  }

  /* k and search */
  assay_labels_page_set_k (page, 5);
  assay_test_wait (100);
  assay_labels_page_set_search (page, "logy");
  assay_test_wait (200);
  g_assert_cmpuint (g_list_model_get_n_items (rows), <, 60);
  g_assert_cmpuint (g_list_model_get_n_items (rows), >, 10);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (AssayLabelRow) row = g_list_model_get_item (rows, i);
      g_assert_nonnull (strstr (assay_label_row_get_name (row), "logy"));
    }
  assay_labels_page_set_search (page, "");
  assay_test_wait (100);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 60);

  /* A click on the chart's rightmost bar selects the most common label */
  {
    GtkWidget *chart = assay_labels_page_get_chart (page);
    int        pos = assay_longtail_chart_position_at (ASSAY_LONGTAIL_CHART (chart),
                                                       gtk_widget_get_width (chart) - 41);
    g_signal_emit_by_name (chart, "activated", (guint) pos);
    assay_test_wait (100);
    g_assert_cmpint (assay_labels_page_get_selected_label (page), ==,
                     (int) assay_label_row_get_index (last));
  }
}

static void
test_labels_page (void)
{
  g_autofree char *path = make_workspace ("labels-ui.assay", 1500);

  assay_test_run_app (path, check_page, NULL);
}

static AssayXmtcImportDialog *
find_dialog (void)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (int round = 0; round < 40; round++)
    {
      for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
        {
          g_autoptr (GObject) w = g_list_model_get_item (tops, i);
          if (ASSAY_IS_XMTC_IMPORT_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
            return ASSAY_XMTC_IMPORT_DIALOG (w);
        }
      assay_test_wait (50);
    }
  return NULL;
}

/* A CSV without a "text" column (which the plain import asks for): the dialog guesses the
 * delimiter and the columns from their names, then from their contents; the import takes them */
static void
check_import (AssayWindow *window, gpointer data)
{
  AssayLabelsPage *page = ASSAY_LABELS_PAGE (assay_window_get_page (window, "labels"));
  AssayStore      *store = assay_window_get_store (window);
  GString         *csv = g_string_new ("id;abstract;tags;split\n");
  GString         *bare = g_string_new (NULL);
  g_autofree char *path = NULL, *bare_path = NULL;
  AssayXmtcImportDialog *dialog;
  AssayXmtcImportResult  r;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 30; i++)
    {
      g_string_append_printf (csv, "d%d;\"A study of topic %d; with a semicolon, and words about %s\";%s;%s\n", i, i,
                              i % 2 ? "galaxies" : "proteins", i % 2 ? "astro|physics" : "bio", i < 24 ? "train" : "test");
      g_string_append_printf (bare, "%s,\"Long text number %d about many things, at length\"\n", i % 2 ? "x" : "y", i);
    }
  path = assay_test_write_file ("ui-corpus.csv", csv->str);
  bare_path = assay_test_write_file ("ui-bare.csv", bare->str);
  g_string_free (csv, TRUE);
  g_string_free (bare, TRUE);
  {
    g_autoptr (AssayStore) scratch = assay_test_fresh_store ("ui-corpus-plain.assay");
    g_assert_false (assay_xmtc_import (scratch, path, NULL, &r, NULL, NULL, NULL, &error));
    g_clear_error (&error);
  }

  assay_labels_page_import_with_preview (page, path);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (assay_xmtc_import_dialog_get_format (dialog), ==, ASSAY_XMTC_FORMAT_CSV);
  g_assert_cmpint (assay_xmtc_import_dialog_get_delimiter (dialog), ==, ';');
  g_assert_cmpuint (assay_xmtc_import_dialog_get_n_columns (dialog), ==, 4);
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "text"), ==, "abstract");
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "label"), ==, "tags");
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "split"), ==, "split");
  g_assert_true (assay_xmtc_import_dialog_can_import (dialog));
  /* the same column twice cannot import */
  assay_xmtc_import_dialog_set_column (dialog, "label", "abstract");
  g_assert_false (assay_xmtc_import_dialog_can_import (dialog));
  assay_xmtc_import_dialog_set_column (dialog, "label", "tags");
  assay_test_wait (200);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
    assay_test_save_screenshot (shot, "labels-import-dialog.png");
  }
  {
    /* and in dark style: every row and cell readable */
    g_autoptr (GdkTexture) shot = NULL;
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (300);
    shot = assay_test_render (GTK_WIDGET (dialog));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "labels-import-dialog-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    assay_test_wait (100);
  }
  assay_xmtc_import_dialog_import (dialog);
  for (int i = 0; i < 100 && assay_store_query_int (store, "SELECT count(*) FROM datasets WHERE name = 'ui-corpus.csv' "
                                                           "AND importing IS NULL", 0) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM xmtc_documents d JOIN datasets s ON s.id = d.dataset_id "
                                                 "WHERE s.name = 'ui-corpus.csv'", 0), ==, 30);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM xmtc_documents d JOIN datasets s ON s.id = d.dataset_id "
                                                 "WHERE s.name = 'ui-corpus.csv' AND d.split = 'test'", 0), ==, 6);

  /* no header, no names: the longest column is the text, the other the labels */
  assay_labels_page_import_with_preview (page, bare_path);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (assay_xmtc_import_dialog_get_delimiter (dialog), ==, ',');
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "text"), ==, "Long text number 0 about many things, at length");
  assay_xmtc_import_dialog_set_header (dialog, FALSE);
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "text"), ==, "Column 2");
  g_assert_cmpstr (assay_xmtc_import_dialog_get_column (dialog, "label"), ==, "Column 1");
  assay_xmtc_import_dialog_import (dialog);
  for (int i = 0; i < 100 && assay_store_query_int (store, "SELECT count(*) FROM datasets WHERE name = 'ui-bare.csv' "
                                                           "AND importing IS NULL", 0) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM xmtc_documents d JOIN datasets s ON s.id = d.dataset_id "
                                                 "WHERE s.name = 'ui-bare.csv'", 0), ==, 30);

  /* a header without rows cannot import; random bytes open without a warning (invalid UTF-8
   * shown made valid) or say why in a toast */
  {
    g_autofree char *tiny = assay_test_write_file ("ui-tiny.csv", "text,labels\n");
    g_autofree char *junk = assay_test_path ("ui-junk.csv");
    guint8           bytes[3000];
    for (guint i = 0; i < sizeof bytes; i++)
      bytes[i] = (guint8) g_random_int_range (1, 256);
    g_assert_true (g_file_set_contents (junk, (const char *) bytes, sizeof bytes, NULL));
    assay_labels_page_import_with_preview (page, tiny);
    dialog = find_dialog ();
    g_assert_nonnull (dialog);
    g_assert_false (assay_xmtc_import_dialog_can_import (dialog));
    gtk_window_destroy (GTK_WINDOW (dialog));
    assay_test_wait (100);
    assay_labels_page_import_with_preview (page, junk);
    assay_test_wait (300);
    dialog = find_dialog ();
    if (dialog != NULL)
      gtk_window_destroy (GTK_WINDOW (dialog));
    assay_test_wait (100);
  }
}

static void
test_import_dialog (void)
{
  g_autofree char *path = make_workspace ("labels-import.assay", 300);

  assay_test_run_app (path, check_import, NULL);
}

/* Dense retrieval on Reuters-21578 with a tiny random BERT as the encoder (random weights: the
 * numbers are plumbing only): the comparison window opens with the three rankings side by side,
 * and the label's test documents by embedding appear beside the SVM's. Screenshots light, dark
 * and at 800 x 600. */
static AssayDeplWindow *
find_depl_window (void)
{
  GListModel *tops = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ASSAY_IS_DEPL_WINDOW (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ASSAY_DEPL_WINDOW (w);
    }
  return NULL;
}

static void
check_dense (AssayWindow *window, gpointer data)
{
  AssayLabelsPage *page = wait_loaded (window);
  AssayStore      *store = assay_window_get_store (window);
  GSettings       *settings = assay_application_get_settings (ASSAY_APPLICATION (g_application_get_default ()));
  AssayDeplWindow *w = NULL;

  g_settings_set_string (settings, "encoder-model", data);
  assay_labels_page_dense_retrieval (page);
  for (int i = 0; i < 1200 && (w = find_depl_window ()) == NULL; i++)
    assay_test_wait (50);
  g_assert_nonnull (w);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE area = 'xmtc-dense'", 0), ==, 2);
  g_assert_true (assay_test_find_label (GTK_WIDGET (w), "Tail macro-F1@5"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (w), "Fused"));
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (w));
    assay_test_save_screenshot (shot, "depl-comparison.png");
    gtk_window_set_default_size (GTK_WINDOW (w), 800, 600);
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    assay_test_wait (400);
  }
  {
    g_autoptr (GdkTexture) dark = assay_test_render (GTK_WIDGET (w));
    assay_test_save_screenshot (dark, "depl-comparison-dark-800x600.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  }
  gtk_window_destroy (GTK_WINDOW (w));
  assay_test_wait (200);
  /* the label shown: its documents by embedding, beside those by the SVM */
  g_assert_true (assay_test_find_label (GTK_WIDGET (page), "By embedding in top"));
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (shot, "labels-dense.png");
  }
  g_settings_set_string (settings, "encoder-model", "");
}

static void
test_dense (void)
{
  g_autofree char *path = assay_test_path ("labels-dense.assay");
  g_autofree char *dir = assay_test_path ("labels-dense-bert");
  g_autofree char *reuters = g_build_filename (assay_test_shared_data (), "xmtc", "reuters21578", NULL);
  AssayTestLmSpec  spec = assay_test_lm_spec (ASSAY_LM_BERT, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (JsonObject) imported = NULL, trained = NULL;

  if (!g_file_test (reuters, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("SKIP: no Reuters-21578 in the shared data");
      return;
    }
  spec.max_positions = 128; /* Reuters' long stories cut to 128 tokens */
  lm = assay_test_lm_write (dir, &spec, 31);
  g_remove (path);
  imported = assay_test_cli_json ((const char *[]) { "xmtc", "import", "-w", path, "--json", "--format", "reuters",
                                                     reuters, NULL }, 0, NULL);
  trained = assay_test_cli_json ((const char *[]) { "xmtc", "train", "-w", path, "--json", "--dataset", "1", NULL }, 0, NULL);
  g_assert_nonnull (trained);
  assay_test_run_app (path, check_dense, dir);
}

/* Find Label Errors: the window lists the likely errors of the demo corpus, shows the selected
 * document, applies a correction (undone from the main window) and dismisses another. Screenshots
 * light, dark and at 800 x 600. */
static GtkWindow *
find_errors_window (void)
{
  GListModel *tops = gtk_window_get_toplevels (); /* not owned */
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ASSAY_IS_LABEL_ERRORS_WINDOW (w))
        return GTK_WINDOW (w);
    }
  return NULL;
}

static void
check_errors (AssayWindow *window, gpointer data)
{
  AssayLabelsPage        *page = wait_loaded (window);
  AssayStore             *store = assay_page_get_store (ASSAY_PAGE (page));
  AssayLabelErrorsWindow *errors;
  g_autofree char        *labels_before = NULL;
  guint                   n;

  labels_before = g_strdup_printf ("%" G_GINT64_FORMAT, assay_store_query_int (store, "SELECT sum(length(labels)) FROM xmtc_documents", 0));
  gtk_widget_activate_action (GTK_WIDGET (page), "labels.errors", NULL);
  for (int i = 0; i < 200 && find_errors_window () == NULL; i++)
    assay_test_wait (50);
  g_assert_nonnull (find_errors_window ());
  errors = ASSAY_LABEL_ERRORS_WINDOW (find_errors_window ());
  assay_test_wait (300);
  n = assay_label_errors_window_get_n_rows (errors);
  g_assert_cmpuint (n, >, 0);
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Document "));
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Labels now: "));
  assay_test_save_screenshot (assay_test_render (GTK_WIDGET (errors)), "label-errors.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  assay_test_wait (300);
  assay_test_save_screenshot (assay_test_render (GTK_WIDGET (errors)), "label-errors-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_set_default_size (GTK_WINDOW (errors), 800, 600);
  assay_test_wait (300);
  {
    g_autoptr (GdkTexture) small = assay_test_render (GTK_WIDGET (errors));
    g_assert_cmpint (gdk_texture_get_width (small), <=, 800);
    assay_test_save_screenshot (small, "label-errors-800x600.png");
  }

  /* the evidence: the labels' SVM keywords found in the text (the workspace has an SVM run) */
  assay_label_errors_window_select (errors, 0);
  assay_test_wait (100);
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "keywords of “"));
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "Nearest: "));
  /* apply the first: one row fewer, the labels changed; undo in the main window restores them */
  assay_label_errors_window_select (errors, 0);
  g_assert_true (assay_label_errors_window_apply (errors));
  g_assert_cmpuint (assay_label_errors_window_get_n_rows (errors), ==, n - 1);
  g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "corrected"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  assay_test_wait (200);
  {
    g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, assay_store_query_int (store, "SELECT sum(length(labels)) FROM xmtc_documents", 0));
    g_assert_cmpstr (after, ==, labels_before);
  }
  /* dismiss the next */
  if (n > 1)
    {
      assay_label_errors_window_select (errors, 0);
      assay_label_errors_window_dismiss (errors);
      g_assert_cmpuint (assay_label_errors_window_get_n_rows (errors), ==, n - 2);
      /* kept in the workspace: later searches leave it out */
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM label_dismissals", 0), ==, 1);
      g_assert_true (assay_test_find_label (GTK_WIDGET (errors), "later searches leave it out"));
    }
  gtk_window_close (GTK_WINDOW (errors));
  assay_test_wait (100);
}

static void
test_errors (void)
{
  g_autofree char *path = make_workspace ("labels-errors.assay", 1500);

  assay_test_run_app (path, check_errors, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/labels/page", test_labels_page);
  g_test_add_func ("/ui/labels/import-dialog", test_import_dialog);
  g_test_add_func ("/ui/labels/dense", test_dense);
  g_test_add_func ("/ui/labels/errors", test_errors);
  return g_test_run ();
}
