/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-labels-page.h"
#include "assay-label-errors-window.h"

#include "assay-xmtc-import-dialog.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-columns.h"
#include "assay-depl.h"
#include "assay-depl-window.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-keyword-bars.h"
#include "assay-label-row.h"
#include "assay-longtail-chart.h"
#include "assay-tokenizer.h"
#include "assay-train-dialog.h"
#include "assay-wrap-box.h"
#include "assay-xmtc-eval.h"
#include "assay-xmtc-jobs.h"
#include "assay-xmtc-metrics.h"
#include "assay-xmtc-overview.h"

#define MAX_DOCS_LISTED 100

struct _AssayLabelsPage
{
  AssayPage           parent_instance;

  GtkDropDown        *dataset_dropdown;
  GtkStringList      *dataset_list;
  GtkDropDown        *run_dropdown;
  GtkStringList      *run_list;
  GtkDropDown        *k_dropdown;
  GtkDropDown        *bin_dropdown;
  GtkDropDown        *compare_dropdown;
  GtkStringList      *compare_list;
  GtkLabel           *summary_label;
  AssayLongtailChart *chart;
  GtkSearchEntry     *search_entry;
  GtkColumnView      *column_view;
  GtkWidget          *profile_box;
  GtkLabel           *profile_title;
  GtkLabel           *profile_subtitle;
  GtkLabel           *profile_metrics;
  GtkLabel           *compare_label;
  AssayKeywordBars   *keyword_bars;
  GtkLabel           *pseudo_label;
  GtkStack           *docs_stack;
  GtkStackPage       *train_page;
  GtkStackPage       *predicted_page;
  GtkStackPage       *dense_page;
  GtkListBox         *dense_list;
  GtkListBox         *train_list;
  GtkListBox         *predicted_list;
  GtkTextView        *doc_view;

  GListStore         *rows;
  GtkFilterListModel *filter_model;
  GtkSortListModel   *sort_model;
  GtkSingleSelection *selection;
  GtkCustomFilter    *bin_filter;
  GtkStringFilter    *search_filter;
  GtkColumnViewColumn *train_column;

  AssayXmtcOverview  *overview;
  GArray             *dataset_ids; /* gint64, as in dataset_list */
  guint              *chart_order;     /* chart position -> label */
  int                *chart_position;  /* label -> chart position, or -1 */
  guint               n_chart;
  int                 current_label;
  GCancellable       *load_cancellable;
  gboolean            updating;
  GPtrArray          *keyword_terms;  /* highlighted in documents */
  GtkNativeDialog    *chooser;
  guint               locate_source;
  int                 locate_label;
  guint               locate_next;
};

G_DEFINE_FINAL_TYPE (AssayLabelsPage, assay_labels_page, ASSAY_TYPE_PAGE)

static void load (AssayLabelsPage *self, gint64 dataset, gint64 run);
static void show_profile (AssayLabelsPage *self, int label);

static guint
selected_k (AssayLabelsPage *self)
{
  static const guint ks[] = { 1, 3, 5 };
  guint              i = gtk_drop_down_get_selected (self->k_dropdown);

  return ks[i < 3 ? i : 0];
}

static gint64
run_at (AssayLabelsPage *self, guint position)
{
  if (self->overview == NULL || position >= self->overview->runs->len)
    return 0;
  return g_array_index (self->overview->runs, AssayXmtcRunInfo, position).run;
}

/* ---- rows ------------------------------------------------------------------------------------ */

static gboolean
bin_filter_func (gpointer item, gpointer data)
{
  AssayLabelsPage *self = data;
  static const char *bins[] = { NULL, "tail", "torso", "head", "unseen" };
  guint              choice = gtk_drop_down_get_selected (self->bin_dropdown);

  if (choice == 0 || choice >= G_N_ELEMENTS (bins))
    return TRUE;
  return g_strcmp0 (assay_label_row_get_bin (ASSAY_LABEL_ROW (item)), bins[choice]) == 0;
}

static void
fill_rows (AssayLabelsPage *self)
{
  AssayXmtcOverview *ov = self->overview;
  guint              ki = assay_xmtc_overview_k_index (selected_k (self));
  GPtrArray         *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint l = 0; ov != NULL && l < ov->n_labels; l++)
    {
      AssayLabelRow *row = assay_label_row_new (
        l, ov->names[l], ov->n_train[l], ov->n_test[l],
        assay_xmtc_label_bin_name (assay_xmtc_label_bin (ov->n_train[l])), ov->trained[l]);
      if (ov->tp[ki] != NULL)
        {
          guint tp = ov->tp[ki][l], fp = ov->fp[ki][l], fn = ov->fn[ki][l];
          assay_label_row_set_scores (row, 2 * tp + fp + fn > 0 ? assay_xmtc_f1 (tp, fp, fn) : -1,
                                      tp + fp > 0 ? (double) tp / (tp + fp) : -1,
                                      tp + fn > 0 ? (double) tp / (tp + fn) : -1);
        }
      g_ptr_array_add (items, row);
    }
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                       items->pdata, items->len);
  g_ptr_array_unref (items);
}

/* ---- summary and chart --------------------------------------------------------------------- */

static int
compare_chart (gconstpointer a, gconstpointer b, gpointer data)
{
  const guint *n = data;
  guint        x = *(const guint *) a, y = *(const guint *) b;

  if (n[x] != n[y])
    return n[x] < n[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
update_chart (AssayLabelsPage *self)
{
  AssayXmtcOverview *ov = self->overview;
  guint              k = selected_k (self);
  g_autofree guint  *counts = NULL;
  g_autofree const char **names = NULL;
  g_autofree double *curve = NULL;
  g_autofree char   *curve_label = NULL;
  guint              ki = assay_xmtc_overview_k_index (k);
  guint              n_bins = 0, bin_size;

  g_clear_pointer (&self->chart_order, g_free);
  g_clear_pointer (&self->chart_position, g_free);
  self->n_chart = 0;
  if (ov == NULL)
    return;
  self->chart_order = g_new (guint, MAX (ov->n_labels, 1));
  self->chart_position = g_new (int, MAX (ov->n_labels, 1));
  for (guint l = 0; l < ov->n_labels; l++)
    {
      self->chart_position[l] = -1;
      if (ov->n_train[l] > 0)
        self->chart_order[self->n_chart++] = l;
    }
  g_qsort_with_data (self->chart_order, self->n_chart, sizeof (guint), compare_chart, ov->n_train);
  counts = g_new (guint, MAX (self->n_chart, 1));
  names = g_new (const char *, MAX (self->n_chart, 1));
  for (guint i = 0; i < self->n_chart; i++)
    {
      counts[i] = ov->n_train[self->chart_order[i]];
      names[i] = ov->names[self->chart_order[i]];
      self->chart_position[self->chart_order[i]] = (int) i;
    }
  /* macro-F1@k per consecutive group of labels, rare -> common: groups of 100 as in the DEPL
   * paper's Figure 2.1 once there are enough labels, finer below. */
  bin_size = self->n_chart >= 1000 ? ASSAY_XMTC_BIN_SIZE : self->n_chart >= 200 ? 50 : 10;
  g_free (curve_label);
  curve_label = g_strdup_printf (_("macro-F1@%u per %u labels"), k, bin_size);
  if (ov->tp[ki] != NULL && self->n_chart > 0)
    {
      g_autofree gboolean *in_bin = g_new0 (gboolean, ov->n_labels);
      n_bins = (self->n_chart + bin_size - 1) / bin_size;
      curve = g_new (double, n_bins);
      for (guint b = 0; b < n_bins; b++)
        {
          guint first = b * bin_size, last = MIN (first + bin_size, self->n_chart), counted;
          double f1;
          for (guint i = first; i < last; i++)
            in_bin[self->chart_order[i]] = TRUE;
          f1 = assay_xmtc_macro_f1 (ov->tp[ki], ov->fp[ki], ov->fn[ki], ov->n_labels, in_bin,
                                    &counted);
          curve[b] = counted > 0 ? f1 : NAN;
          for (guint i = first; i < last; i++)
            in_bin[self->chart_order[i]] = FALSE;
        }
    }
  assay_longtail_chart_set_data (self->chart, counts, names, self->n_chart, curve, n_bins,
                                 bin_size, curve_label);
}

static double
metric (JsonObject *metrics, const char *key)
{
  return metrics != NULL && json_object_has_member (metrics, key)
           ? json_object_get_double_member (metrics, key)
           : NAN;
}

static void
update_summary (AssayLabelsPage *self)
{
  AssayXmtcOverview *ov = self->overview;
  JsonObject        *m = ov != NULL ? ov->metrics : NULL;
  guint              k = selected_k (self);
  char               macro_key[32], tail_key[32];
  g_autofree char   *text = NULL;

  if (m == NULL)
    {
      gtk_label_set_text (self->summary_label,
                          ov != NULL ? _("Not trained yet: press Train to build keyword profiles")
                                     : "");
      return;
    }
  g_snprintf (macro_key, sizeof macro_key, "macro_f1@%u", k);
  g_snprintf (tail_key, sizeof tail_key, "tail_macro_f1@%u", k);
  /* the tail-label metrics first: they are what the page is for; the rest in the tooltip */
  text = g_strdup_printf (_("PSP@5 %.1f · macro-F1@%u %.1f · tail macro-F1@%u %.1f (%d tail labels) · "
                            "P@1 %.1f"),
                          100 * metric (m, "psp@5"), k, 100 * metric (m, macro_key), k,
                          100 * metric (m, tail_key), (int) assay_json_get_int (m, "tail_labels", 0),
                          100 * metric (m, "p@1"));
  gtk_label_set_text (self->summary_label, text);
  {
    g_autofree char *all = g_strdup_printf (_("PSP@5 %.1f · macro-F1@%u %.1f · tail macro-F1@%u %.1f "
                                              "(%d tail labels)\nP@1 %.1f · P@3 %.1f · P@5 %.1f · "
                                              "nDCG@5 %.1f"),
                                            100 * metric (m, "psp@5"), k, 100 * metric (m, macro_key), k,
                                            100 * metric (m, tail_key),
                                            (int) assay_json_get_int (m, "tail_labels", 0),
                                            100 * metric (m, "p@1"), 100 * metric (m, "p@3"),
                                            100 * metric (m, "p@5"), 100 * metric (m, "ndcg@5"));
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary_label), all);
  }
}

/* ---- dropdown contents -------------------------------------------------------------------------- */

static char *
describe_run (AssayXmtcRunInfo *info)
{
  const char *loss = assay_json_get_string (info->params, "loss", "hinge");

  return g_strdup_printf (_("Run %lld · P@1 %.3f · C=%g %s"), (long long) info->run,
                          info->p_at_1, assay_json_get_double (info->params, "C", 1.0), loss);
}

static void
update_run_lists (AssayLabelsPage *self)
{
  AssayXmtcOverview *ov = self->overview;
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) compare = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_ptr_array_add (compare, g_strdup (_("No comparison")));
  for (guint i = 0; ov != NULL && i < ov->runs->len; i++)
    {
      AssayXmtcRunInfo *info = &g_array_index (ov->runs, AssayXmtcRunInfo, i);
      g_ptr_array_add (runs, describe_run (info));
      g_ptr_array_add (compare, g_strdup_printf (_("Compare with run %lld"), (long long) info->run));
      if (info->run == ov->run)
        selected = i;
    }
  if (runs->len == 0)
    g_ptr_array_add (runs, g_strdup (_("Not trained")));
  g_ptr_array_add (runs, NULL);
  g_ptr_array_add (compare, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->run_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->run_list)),
                          (const char *const *) runs->pdata);
  gtk_drop_down_set_selected (self->run_dropdown, selected);
  gtk_string_list_splice (self->compare_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->compare_list)),
                          (const char *const *) compare->pdata);
  gtk_drop_down_set_selected (self->compare_dropdown, 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_dropdown), ov != NULL && ov->runs->len > 1);
  self->updating = FALSE;
}

static void
refresh_datasets (AssayLabelsPage *self, gint64 select)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_clear_pointer (&self->dataset_ids, g_array_unref);
  if (store == NULL)
    return;
  self->dataset_ids = assay_xmtc_dataset_list (store, names);
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

/* ---- loading -------------------------------------------------------------------------------------- */

typedef struct
{
  gint64 dataset;
  gint64 run;
} LoadData;

static gpointer
load_overview (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  LoadData *d = data;

  return assay_xmtc_overview_load (store, d->dataset, d->run, error);
}

static void
apply_overview (AssayLabelsPage *self, AssayXmtcOverview *ov)
{
  int keep = self->current_label;

  g_clear_pointer (&self->overview, assay_xmtc_overview_free);
  self->overview = ov;
  update_run_lists (self);
  fill_rows (self);
  update_chart (self);
  update_summary (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labels.train", TRUE);
  assay_page_set_empty (ASSAY_PAGE (self), FALSE);
  if (keep < 0 || (guint) keep >= ov->n_labels)
    {
      /* Start on the rarest label, the first row of the table as it opens (the table filters
       * and sorts incrementally, so its rows are not there yet to ask) */
      keep = ov->n_labels > 0 ? 0 : -1;
      for (guint l = 1; l < ov->n_labels; l++)
        if (ov->n_train[l] < ov->n_train[keep])
          keep = (int) l;
    }
  self->current_label = -1;
  assay_labels_page_select_label (self, keep);
}

static void
load_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  if (result != NULL)
    {
      apply_overview (ASSAY_LABELS_PAGE (page), result);
      return;
    }
  assay_page_set_empty (page, TRUE);
  if (!g_error_matches (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND))
    assay_page_toast (page, error->message);
}

static void
load (AssayLabelsPage *self, gint64 dataset, gint64 run)
{
  LoadData *d = g_new (LoadData, 1);

  d->dataset = dataset;
  d->run = run;
  assay_page_load (ASSAY_PAGE (self), &self->load_cancellable, "[assay] labels overview",
                   load_overview, load_done, d, g_free,
                   (GDestroyNotify) assay_xmtc_overview_free);
}

static void
reload_current (AssayLabelsPage *self, gint64 run)
{
  gint64 dataset = self->overview != NULL ? self->overview->dataset : 0;

  refresh_datasets (self, dataset);
  load (self, dataset, run);
}

/* ---- the keyword profile ------------------------------------------------------------------------ */

typedef struct
{
  GHashTable *wanted;
  GArray     *spans;
} SpanCtx;

static void
collect_span (const char *token, gsize len, gsize start, gsize end, gpointer data)
{
  SpanCtx *ctx = data;

  if (g_hash_table_contains (ctx->wanted, token))
    {
      gsize span[2] = { start, end };
      g_array_append_vals (ctx->spans, span, 1);
    }
}

static void
show_document (AssayLabelsPage *self, gint64 doc)
{
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (self->doc_view);
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  GtkTextIter      iter;
  sqlite3_stmt    *stmt;

  gtk_text_buffer_set_text (buffer, "", 0);
  if (store == NULL || doc <= 0)
    return;
  stmt = assay_store_prepare (store, "SELECT title, text, ext_id FROM xmtc_documents WHERE id = ?",
                              NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, doc);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      title = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      text = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (title == NULL && text == NULL)
        text = g_strdup_printf (_("Document %s holds sparse features only (no text)."),
                                (const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_reset (stmt);

  gtk_text_buffer_get_end_iter (buffer, &iter);
  if (title != NULL)
    {
      gtk_text_buffer_insert_with_tags_by_name (buffer, &iter, title, -1, "title", NULL);
      gtk_text_buffer_insert (buffer, &iter, "\n\n", -1);
    }
  if (text != NULL)
    gtk_text_buffer_insert (buffer, &iter, text, -1);

  /* Highlight the keywords where the tokenizer finds them */
  if (self->keyword_terms != NULL && self->keyword_terms->len > 0)
    {
      g_autoptr (AssayTokenizer) tokenizer = assay_tokenizer_new (TRUE, 2);
      g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (gsize) * 2);
      SpanCtx ctx = { wanted, spans };
      g_autofree char *all = NULL;
      GtkTextIter start, end;

      for (guint i = 0; i < self->keyword_terms->len; i++)
        g_hash_table_add (wanted, g_ptr_array_index (self->keyword_terms, i));
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      all = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      assay_tokenizer_foreach (tokenizer, all, -1, collect_span, &ctx);
      for (guint i = 0; i < spans->len; i++)
        {
          gsize *span = &g_array_index (spans, gsize, 2 * i);
          glong  a = g_utf8_pointer_to_offset (all, all + span[0]);
          glong  b = g_utf8_pointer_to_offset (all, all + span[1]);
          gtk_text_buffer_get_iter_at_offset (buffer, &start, (int) a);
          gtk_text_buffer_get_iter_at_offset (buffer, &end, (int) b);
          gtk_text_buffer_apply_tag_by_name (buffer, "keyword", &start, &end);
        }
    }
}

static void
doc_row_activated_cb (GtkListBox *box, GtkListBoxRow *row, AssayLabelsPage *self)
{
  gint64 *doc = g_object_get_data (G_OBJECT (row), "doc");

  if (doc != NULL)
    show_document (self, *doc);
}

static GtkWidget *
doc_row_new (gint64 doc, const char *text)
{
  GtkWidget       *row = gtk_list_box_row_new ();
  GtkWidget       *label = gtk_label_new (NULL);
  g_autofree char *line = g_strdup (text != NULL ? text : "?");

  g_strdelimit (line, "\n\r\t", ' ');
  gtk_label_set_text (GTK_LABEL (label), line);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  g_object_set (label, "margin-start", 8, "margin-end", 8, "margin-top", 4, "margin-bottom", 4,
                NULL);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  g_object_set_data_full (G_OBJECT (row), "doc", g_memdup2 (&doc, sizeof doc), g_free);
  return row;
}

typedef struct
{
  char    *title;
  gboolean has_label;
} DocInfo;

static void
doc_info_free (DocInfo *info)
{
  g_free (info->title);
  g_free (info);
}

/* Titles (and whether they carry label) of many documents in one query: id -> DocInfo. */
static GHashTable *
doc_infos (AssayStore *store, const gint64 *docs, guint n, guint label)
{
  GHashTable   *out = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                             (GDestroyNotify) doc_info_free);
  GString      *ids = g_string_new ("[");
  sqlite3_stmt *stmt;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (ids, "%s%" G_GINT64_FORMAT, i ? "," : "", docs[i]);
  g_string_append_c (ids, ']');
  stmt = assay_store_prepare (store,
                              "SELECT id, coalesce(title, substr(text, 1, 90), ext_id), labels "
                              "FROM xmtc_documents WHERE id IN (SELECT value FROM json_each(?))",
                              NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, ids->str, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          DocInfo       *info = g_new0 (DocInfo, 1);
          const guint32 *blob = sqlite3_column_blob (stmt, 2);
          guint          m = (guint) (sqlite3_column_bytes (stmt, 2) / sizeof (guint32));
          gint64         id = sqlite3_column_int64 (stmt, 0);
          info->title = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
          for (guint j = 0; j < m && !info->has_label; j++)
            info->has_label = GUINT32_FROM_LE (blob[j]) == label;
          g_hash_table_insert (out, g_memdup2 (&id, sizeof id), info);
        }
      sqlite3_reset (stmt);
    }
  g_string_free (ids, TRUE);
  return out;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

typedef struct
{
  gint64 doc;
  guint  rank;
  float  score;
} DenseHit;

static int
dense_hit_cmp (gconstpointer a, gconstpointer b)
{
  const DenseHit *x = a, *y = b;
  return x->score != y->score ? (x->score > y->score ? -1 : 1) : (x->doc < y->doc ? -1 : x->doc > y->doc);
}

/* The newest dense retrieval made from the run shown (0: none). */
static gint64
dense_run (AssayLabelsPage *self)
{
  AssayStore   *store = assay_page_get_store (ASSAY_PAGE (self));
  sqlite3_stmt *stmt;
  gint64        run = 0;

  if (store == NULL || self->overview == NULL || self->overview->run <= 0
      || (stmt = assay_store_prepare (store, "SELECT id FROM runs WHERE area = 'xmtc-dense' AND kind = 'dense' AND "
                                             "status = 'done' AND json_extract (params, '$.svm_run') = ? "
                                             "ORDER BY id DESC LIMIT 1", NULL)) == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, self->overview->run);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    run = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return run;
}

/* The test documents that dense retrieval puts the label in the top k of, by cosine: beside
 * those the SVM puts it in. */
static void
fill_dense (AssayLabelsPage *self, guint label, guint k)
{
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  gint64           run = dense_run (self);
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DenseHit));
  g_autoptr (GArray) shown = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GHashTable) infos = NULL;
  g_autofree char *title = NULL;
  sqlite3_stmt    *stmt;

  clear_list (self->dense_list);
  g_object_set (self->dense_page, "visible", run > 0, NULL);
  if (run <= 0 || (stmt = assay_store_prepare (store, "SELECT doc_id, labels, scores FROM xmtc_predictions "
                                                      "WHERE run_id = ?", NULL)) == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, run);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const guint8 *labels = sqlite3_column_blob (stmt, 1), *scores = sqlite3_column_blob (stmt, 2);
      guint         n = MIN ((guint) sqlite3_column_bytes (stmt, 1) / 4, (guint) sqlite3_column_bytes (stmt, 2) / 4);
      for (guint r = 0; r < MIN (n, k); r++)
        {
          guint32 l;
          memcpy (&l, labels + 4 * r, 4);
          if (GUINT32_FROM_LE (l) == label)
            {
              DenseHit h = { sqlite3_column_int64 (stmt, 0), r, 0 };
              memcpy (&h.score, scores + 4 * r, 4);
              g_array_append_val (hits, h);
              break;
            }
        }
    }
  sqlite3_reset (stmt);
  g_array_sort (hits, dense_hit_cmp);
  for (guint i = 0; i < MIN (hits->len, MAX_DOCS_LISTED); i++)
    g_array_append_val (shown, g_array_index (hits, DenseHit, i).doc);
  infos = doc_infos (store, (gint64 *) shown->data, shown->len, label);
  for (guint i = 0; i < shown->len; i++)
    {
      DenseHit        *h = &g_array_index (hits, DenseHit, i);
      DocInfo         *info = g_hash_table_lookup (infos, &h->doc);
      g_autofree char *text = g_strdup_printf ("%s #%u  %.3f  %s", info != NULL && info->has_label ? "✓" : "✗",
                                               h->rank + 1, h->score, info != NULL ? info->title : "?");
      gtk_list_box_append (self->dense_list, doc_row_new (h->doc, text));
    }
  title = g_strdup_printf (_("By embedding in top %u (%u)"), k, hits->len);
  gtk_stack_page_set_title (self->dense_page, title);
}

static void
fill_documents (AssayLabelsPage *self, guint label)
{
  AssayStore        *store = assay_page_get_store (ASSAY_PAGE (self));
  AssayXmtcOverview *ov = self->overview;
  guint              k = selected_k (self);
  guint              n_train = 0, n_pred = 0;
  g_autofree char   *train_title = NULL;
  g_autofree char   *pred_title = NULL;

  clear_list (self->train_list);
  clear_list (self->predicted_list);
  if (ov->train_offsets != NULL)
    {
      gsize a = ov->train_offsets[label], b = ov->train_offsets[label + 1];
      guint n = (guint) MIN (b - a, MAX_DOCS_LISTED);
      g_autoptr (GHashTable) infos = doc_infos (store, ov->train_docs + a, n, label);
      n_train = (guint) (b - a);
      for (guint i = 0; i < n; i++)
        {
          DocInfo *info = g_hash_table_lookup (infos, &ov->train_docs[a + i]);
          gtk_list_box_append (self->train_list,
                               doc_row_new (ov->train_docs[a + i], info != NULL ? info->title : NULL));
        }
    }
  if (ov->pred_offsets != NULL)
    {
      gsize  a = ov->pred_offsets[label], b = ov->pred_offsets[label + 1];
      g_autoptr (GArray) shown = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr (GArray) ranks = g_array_new (FALSE, FALSE, sizeof (guint8));
      g_autoptr (GHashTable) infos = NULL;
      for (gsize p = a; p < b; p++)
        {
          if (ov->pred_rank[p] >= k)
            continue;
          n_pred++;
          if (shown->len < MAX_DOCS_LISTED)
            {
              g_array_append_val (shown, ov->pred_docs[p]);
              g_array_append_val (ranks, ov->pred_rank[p]);
            }
        }
      infos = doc_infos (store, (gint64 *) shown->data, shown->len, label);
      for (guint i = 0; i < shown->len; i++)
        {
          gint64           doc = g_array_index (shown, gint64, i);
          DocInfo         *info = g_hash_table_lookup (infos, &doc);
          g_autofree char *text = g_strdup_printf ("%s #%u  %s",
                                                   info != NULL && info->has_label ? "✓" : "✗",
                                                   g_array_index (ranks, guint8, i) + 1,
                                                   info != NULL ? info->title : "?");
          gtk_list_box_append (self->predicted_list, doc_row_new (doc, text));
        }
    }
  fill_dense (self, label, k);
  train_title = g_strdup_printf (_("Training (%u)"), n_train);
  pred_title = g_strdup_printf (_("Predicted in top %u (%u)"), k, n_pred);
  gtk_stack_page_set_title (self->train_page, train_title);
  gtk_stack_page_set_title (self->predicted_page, pred_title);
  if (n_train > 0)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->train_list, 0);
      gtk_list_box_select_row (self->train_list, row);
      doc_row_activated_cb (self->train_list, row, self);
    }
  else
    show_document (self, 0);
}

static void
label_scores (AssayStore *store, gint64 run, guint label, guint k, guint *tp, guint *fp,
              guint *fn)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT tp, fp, fn FROM xmtc_label_results WHERE "
                                            "run_id = ? AND k = ? AND label_idx = ?",
                                            NULL);

  *tp = *fp = *fn = 0;
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int (stmt, 2, (int) k);
  sqlite3_bind_int (stmt, 3, (int) label);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *tp = (guint) sqlite3_column_int (stmt, 0);
      *fp = (guint) sqlite3_column_int (stmt, 1);
      *fn = (guint) sqlite3_column_int (stmt, 2);
    }
  sqlite3_reset (stmt);
}

static void
show_keywords (AssayLabelsPage *self, guint label)
{
  AssayStore        *store = assay_page_get_store (ASSAY_PAGE (self));
  AssayXmtcOverview *ov = self->overview;
  guint              k_kw = (guint) assay_json_get_int (ov->params, "keywords", 16);
  gint64             other = run_at (self, gtk_drop_down_get_selected (self->compare_dropdown) - 1);
  g_autoptr (GPtrArray) terms = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) other_terms = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) keywords = NULL;
  g_autoptr (GArray) other_keywords = NULL;
  g_autoptr (GPtrArray) shown = g_ptr_array_new ();
  g_autoptr (GArray) weights = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GArray) marks = g_array_new (FALSE, FALSE, sizeof (int));
  GString           *pseudo = g_string_new (ov->names[label]);

  g_clear_pointer (&self->keyword_terms, g_ptr_array_unref);
  self->keyword_terms = g_ptr_array_new_with_free_func (g_free);
  if (ov->run > 0)
    keywords = assay_xmtc_label_keywords (store, ov->run, label, k_kw, terms, NULL);
  else
    keywords = g_array_new (FALSE, FALSE, sizeof (AssayKeyword));
  if (other > 0 && other != ov->run)
    other_keywords = assay_xmtc_label_keywords (store, other, label, k_kw, other_terms, NULL);

  for (guint i = 0; i < keywords->len; i++)
    {
      AssayKeyword *kw = &g_array_index (keywords, AssayKeyword, i);
      int           mark = 0;
      if (other_keywords != NULL)
        {
          mark = 1;
          for (guint j = 0; j < other_keywords->len; j++)
            if (g_str_equal (g_array_index (other_keywords, AssayKeyword, j).term, kw->term))
              mark = 0;
        }
      g_ptr_array_add (shown, (gpointer) kw->term);
      g_array_append_val (weights, kw->weight);
      g_array_append_val (marks, mark);
      g_ptr_array_add (self->keyword_terms, g_strdup (kw->term));
      g_string_append_printf (pseudo, " %s", kw->term);
    }
  if (other_keywords != NULL)
    {
      guint tp, fp, fn, tp2, fp2, fn2, k = selected_k (self), gained = 0, lost = 0;
      g_autofree char *text = NULL;
      for (guint j = 0; j < other_keywords->len; j++)
        {
          AssayKeyword *kw = &g_array_index (other_keywords, AssayKeyword, j);
          gboolean      kept = FALSE;
          int           mark = -1;
          for (guint i = 0; i < keywords->len; i++)
            kept |= g_str_equal (g_array_index (keywords, AssayKeyword, i).term, kw->term);
          if (kept)
            continue;
          lost++;
          g_ptr_array_add (shown, (gpointer) kw->term);
          g_array_append_val (weights, kw->weight);
          g_array_append_val (marks, mark);
        }
      for (guint i = 0; i < marks->len; i++)
        gained += g_array_index (marks, int, i) > 0;
      label_scores (store, ov->run, label, k, &tp, &fp, &fn);
      label_scores (store, other, label, k, &tp2, &fp2, &fn2);
      text = g_strdup_printf (_("Against run %lld: %u keywords gained, %u lost; F1@%u %.3f → "
                                "%.3f (%+.3f)"),
                              (long long) other, gained, lost, k, assay_xmtc_f1 (tp2, fp2, fn2),
                              assay_xmtc_f1 (tp, fp, fn),
                              assay_xmtc_f1 (tp, fp, fn) - assay_xmtc_f1 (tp2, fp2, fn2));
      gtk_label_set_text (self->compare_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->compare_label), other_keywords != NULL);
  assay_keyword_bars_set_keywords (self->keyword_bars, (const char *const *) shown->pdata,
                                   (const float *) weights->data,
                                   other_keywords != NULL ? (const int *) marks->data : NULL,
                                   shown->len);
  if (ov->run == 0)
    gtk_label_set_text (self->pseudo_label, _("Train the model to generate keywords."));
  else if (!ov->trained[label])
    gtk_label_set_text (self->pseudo_label,
                        _("No training document: the model cannot describe this label."));
  else
    gtk_label_set_text (self->pseudo_label, pseudo->str);
  g_string_free (pseudo, TRUE);
}

static void
show_profile (AssayLabelsPage *self, int label)
{
  AssayXmtcOverview *ov = self->overview;
  guint              k = selected_k (self);
  guint              ki = assay_xmtc_overview_k_index (k);
  g_autofree char   *subtitle = NULL;
  g_autofree char   *scores = NULL;

  self->current_label = label;
  gtk_widget_set_visible (self->profile_box, ov != NULL && label >= 0);
  if (ov == NULL || label < 0 || (guint) label >= ov->n_labels)
    return;
  gtk_label_set_text (self->profile_title, ov->names[label]);
  {
    /* each count with its own plural */
    g_autofree char *train = g_strdup_printf (ngettext ("%u training document", "%u training documents",
                                                        ov->n_train[label]), ov->n_train[label]);
    g_autofree char *test = g_strdup_printf (ngettext ("%u test document", "%u test documents",
                                                       ov->n_test[label]), ov->n_test[label]);
    subtitle = g_strdup_printf (_("%s · %s · %s label"), train, test,
                                assay_xmtc_label_bin_name (assay_xmtc_label_bin (ov->n_train[label])));
  }
  gtk_label_set_text (self->profile_subtitle, subtitle);
  if (ov->tp[ki] != NULL)
    {
      guint tp = ov->tp[ki][label], fp = ov->fp[ki][label], fn = ov->fn[ki][label];
      /* as in the table: "—" where a score is undefined (nothing predicted, nothing to find) */
      g_autofree char *f1 = 2 * tp + fp + fn > 0 ? g_strdup_printf ("%.3f", assay_xmtc_f1 (tp, fp, fn))
                                                : g_strdup ("—");
      g_autofree char *precision = tp + fp > 0 ? g_strdup_printf ("%.3f", (double) tp / (tp + fp))
                                               : g_strdup ("—");
      g_autofree char *recall = tp + fn > 0 ? g_strdup_printf ("%.3f", (double) tp / (tp + fn))
                                            : g_strdup ("—");
      scores = g_strdup_printf (_("<b>F1@%u %s</b>   precision %s   recall %s   "
                                  "<span alpha='60%%'>(TP %u · FP %u · FN %u)</span>"),
                                k, f1, precision, recall, tp, fp, fn);
    }
  else
    scores = g_strdup (_("No run yet"));
  gtk_label_set_markup (self->profile_metrics, scores);
  show_keywords (self, (guint) label);
  fill_documents (self, (guint) label);
  assay_longtail_chart_set_selected (self->chart, self->chart_position != NULL
                                                    ? self->chart_position[label]
                                                    : -1);
}

/* ---- selection --------------------------------------------------------------------------------- */

/* Finding a row in the sorted, filtered model walks it; with many labels that is done in
 * chunks on idle, after the profile is already shown. */
#define LOCATE_CHUNK 8000

static void
scroll_to_selected (AssayLabelsPage *self)
{
  guint i = gtk_single_selection_get_selected (self->selection);

  if (i == GTK_INVALID_LIST_POSITION)
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); child;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", i);
}

static gboolean locate_step (gpointer data);

/* The table filters and sorts incrementally: once both are done, the label shown in the profile
 * gets its row selected (it may not have been there to select) and brought into view. */
static void
table_pending_cb (GObject *model, GParamSpec *pspec, AssayLabelsPage *self)
{
  if (gtk_filter_list_model_get_pending (self->filter_model) != 0
      || gtk_sort_list_model_get_pending (self->sort_model) != 0)
    return;
  if (gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION
      && self->current_label >= 0 && self->locate_source == 0)
    {
      self->locate_label = self->current_label;
      self->locate_next = 0;
      self->locate_source = g_idle_add (locate_step, self);
    }
  else
    scroll_to_selected (self);
}

static gboolean
locate_step (gpointer data)
{
  AssayLabelsPage *self = data;
  GListModel      *model = G_LIST_MODEL (self->selection);
  guint            n = g_list_model_get_n_items (model);
  guint            end = MIN (self->locate_next + LOCATE_CHUNK, n);

  for (guint i = self->locate_next; i < end; i++)
    {
      g_autoptr (AssayLabelRow) row = g_list_model_get_item (model, i);
      if ((int) assay_label_row_get_index (row) == self->locate_label)
        {
          gtk_single_selection_set_selected (self->selection, i);
          scroll_to_selected (self);
          self->locate_source = 0;
          return G_SOURCE_REMOVE;
        }
    }
  self->locate_next = end;
  if (end >= n)
    {
      self->locate_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
assay_labels_page_select_label (AssayLabelsPage *self, int label)
{
  g_return_if_fail (ASSAY_IS_LABELS_PAGE (self));

  if (self->current_label != label)
    show_profile (self, label);
  g_clear_handle_id (&self->locate_source, g_source_remove);
  if (label < 0)
    return;
  self->locate_label = label;
  self->locate_next = 0;
  /* Small tables: at once (and tests see the result synchronously) */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) <= LOCATE_CHUNK)
    locate_step (self);
  else
    self->locate_source = g_idle_add (locate_step, self);
}

int
assay_labels_page_get_selected_label (AssayLabelsPage *self)
{
  return self->current_label;
}

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AssayLabelsPage *self)
{
  AssayLabelRow *row = gtk_single_selection_get_selected_item (selection);

  if (row != NULL && (int) assay_label_row_get_index (row) != self->current_label)
    show_profile (self, (int) assay_label_row_get_index (row));
}

static void
chart_activated_cb (AssayLongtailChart *chart, guint position, AssayLabelsPage *self)
{
  if (self->chart_order != NULL && position < self->n_chart)
    {
      /* Make sure the filter does not hide it */
      gtk_drop_down_set_selected (self->bin_dropdown, 0);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      assay_labels_page_select_label (self, (int) self->chart_order[position]);
    }
}

static void
dataset_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayLabelsPage *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || self->dataset_ids == NULL || i >= self->dataset_ids->len)
    return;
  self->current_label = -1;
  load (self, g_array_index (self->dataset_ids, gint64, i), 0);
}

static void
run_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayLabelsPage *self)
{
  gint64 run = run_at (self, gtk_drop_down_get_selected (dropdown));

  if (self->updating || run <= 0 || self->overview == NULL || run == self->overview->run)
    return;
  load (self, self->overview->dataset, run);
}

static void
k_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayLabelsPage *self)
{
  int label = self->current_label;
  g_autofree char *title = g_strdup_printf ("F1@%u", selected_k (self));

  if (self->overview == NULL)
    return;
  {
    g_autoptr (GtkColumnViewColumn) column =
      g_list_model_get_item (gtk_column_view_get_columns (self->column_view), 4);
    gtk_column_view_column_set_title (column, title);
  }
  fill_rows (self);
  update_chart (self);
  update_summary (self);
  self->current_label = -1;
  assay_labels_page_select_label (self, label);
}

static void
compare_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayLabelsPage *self)
{
  if (!self->updating && self->overview != NULL && self->current_label >= 0)
    show_keywords (self, (guint) self->current_label);
}

static void
filters_changed_cb (gpointer widget, AssayLabelsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->bin_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
search_changed_cb (GtkSearchEntry *entry, AssayLabelsPage *self)
{
  gtk_string_filter_set_search (self->search_filter, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* ---- actions -------------------------------------------------------------------------------------- */

static void
train_finished_cb (AssayJob *job, AssayLabelsPage *self)
{
  JsonNode *result = assay_job_get_result (job);

  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL)
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (_("Trained in %.1f s: P@1 %.1f, PSP@5 %.1f"),
                                              json_object_get_double_member (o, "seconds"),
                                              100 * assay_json_get_double (o, "p@1", 0),
                                              100 * assay_json_get_double (o, "psp@5", 0));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

void
assay_labels_page_train (AssayLabelsPage *self, const AssayXmtcTrainOptions *options)
{
  g_autoptr (AssayJob) job = NULL;

  g_return_if_fail (self->overview != NULL);
  job = assay_xmtc_train_job_new (self->overview->dataset, options);
  g_signal_connect_object (job, "finished", G_CALLBACK (train_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
errors_finished_cb (AssayJob *job, AssayLabelsPage *self)
{
  assay_label_errors_window_present_job (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                         assay_page_get_store (ASSAY_PAGE (self)), job);
}

void
assay_labels_page_find_errors (AssayLabelsPage *self)
{
  g_autoptr (AssayJob) job = NULL;

  g_return_if_fail (ASSAY_IS_LABELS_PAGE (self));
  if (self->overview == NULL)
    return;
  job = assay_xmtc_errors_job_new (self->overview->dataset, NULL);
  g_signal_connect_object (job, "finished", G_CALLBACK (errors_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
errors_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_labels_page_find_errors (ASSAY_LABELS_PAGE (widget));
}

static void
dialog_train_cb (AssayTrainDialog *dialog, AssayLabelsPage *self)
{
  AssayXmtcTrainOptions options;

  assay_xmtc_train_options_init (&options);
  assay_train_dialog_get_options (dialog, &options);
  assay_labels_page_train (self, &options);
}

static void
train_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayLabelsPage      *self = ASSAY_LABELS_PAGE (widget);
  GtkRoot              *root = gtk_widget_get_root (widget);
  AssayTrainDialog     *dialog;
  AssayXmtcTrainOptions options;

  if (self->overview == NULL)
    return;
  dialog = assay_train_dialog_new (GTK_WINDOW (root), self->overview->dataset_name);
  assay_xmtc_train_options_init (&options);
  if (self->overview->params != NULL)
    {
      JsonObject *p = self->overview->params;
      options.svm.C = assay_json_get_double (p, "C", options.svm.C);
      options.svm.loss = g_strcmp0 (assay_json_get_string (p, "loss", "hinge"), "hinge") == 0
                           ? ASSAY_SVM_HINGE
                           : ASSAY_SVM_SQUARED_HINGE;
      options.svm.eps = assay_json_get_double (p, "eps", options.svm.eps);
      options.keywords = (guint) assay_json_get_int (p, "keywords", options.keywords);
      options.tfidf.min_df = (guint) assay_json_get_int (p, "min_df", options.tfidf.min_df);
      options.tfidf.max_df = assay_json_get_double (p, "max_df", options.tfidf.max_df);
      options.tfidf.stop_words = assay_json_get_bool (p, "stop_words", FALSE);
    }
  assay_train_dialog_set_options (dialog, &options);
  g_signal_connect_object (dialog, "train", G_CALLBACK (dialog_train_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_finished_cb (AssayJob *job, AssayLabelsPage *self)
{
  JsonNode *result = assay_job_get_result (job);

  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL)
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (
        _("Imported %lld documents (%lld train, %lld test) with %lld labels"),
        (long long) json_object_get_int_member (o, "documents"),
        (long long) json_object_get_int_member (o, "train"),
        (long long) json_object_get_int_member (o, "test"),
        (long long) json_object_get_int_member (o, "labels"));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

void
assay_labels_page_import (AssayLabelsPage *self, const char *path)
{
  g_autoptr (AssayJob) job = assay_xmtc_import_job_new (path, NULL);

  g_signal_connect_object (job, "finished", G_CALLBACK (import_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
import_options_chosen (const char *path, const AssayXmtcImportOptions *options, gpointer data)
{
  AssayLabelsPage *self = data;
  g_autoptr (AssayJob) job = assay_xmtc_import_job_new (path, options);

  g_signal_connect_object (job, "finished", G_CALLBACK (import_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

void
assay_labels_page_import_with_preview (AssayLabelsPage *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  AssayXmtcImportDialog *dialog = assay_xmtc_import_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                                path, import_options_chosen, self, &error);

  if (dialog == NULL)
    {
      assay_page_toast (ASSAY_PAGE (self), error->message);
      return;
    }
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
chooser_response_cb (GtkNativeDialog *dialog, int response, AssayLabelsPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        assay_labels_page_import_with_preview (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
choose (AssayLabelsPage *self, GtkFileChooserAction action)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER ? _("Import Reuters-21578 Folder")
                                                    : _("Import Labelled Corpus"),
    GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), action, _("_Import"), _("_Cancel"));

  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Corpora (XC, JSONL, CSV, SGML)"));
      gtk_file_filter_add_pattern (filter, "*.txt");
      gtk_file_filter_add_pattern (filter, "*.jsonl");
      gtk_file_filter_add_pattern (filter, "*.json");
      gtk_file_filter_add_pattern (filter, "*.csv");
      gtk_file_filter_add_pattern (filter, "*.tsv");
      gtk_file_filter_add_pattern (filter, "*.sgm");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

static void
import_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (ASSAY_LABELS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
import_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (ASSAY_LABELS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
focus_search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (ASSAY_LABELS_PAGE (widget)->search_entry));
}

/* ---- page --------------------------------------------------------------------------------------- */

static void
assay_labels_page_workspace_changed (AssayPage *page, AssayStore *store)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (page);

  g_clear_pointer (&self->overview, assay_xmtc_overview_free);
  self->current_label = -1;
  g_list_store_remove_all (self->rows);
  assay_page_set_empty (page, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labels.train", FALSE);
  if (store == NULL)
    return;
  refresh_datasets (self, 0);
  if (self->dataset_ids != NULL && self->dataset_ids->len > 0)
    load (self, g_array_index (self->dataset_ids, gint64, 0), 0);
}

static void show_comparison (AssayLabelsPage *self, JsonObject *comparison);

static void
assay_labels_page_job_finished (AssayPage *page, AssayJob *job)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (page);
  JsonNode        *result = assay_job_get_result (job);
  JsonObject      *o;

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || result == NULL
      || !JSON_NODE_HOLDS_OBJECT (result))
    return;
  o = json_node_get_object (result);
  if (g_str_equal (assay_job_get_kind (job), "xmtc-train"))
    reload_current (self, assay_json_get_int (o, "run", 0));
  else if (g_str_equal (assay_job_get_kind (job), "xmtc-dense"))
    {
      /* the documents by embedding beside the SVM's, and the comparison */
      if (self->current_label >= 0)
        fill_documents (self, (guint) self->current_label);
      show_comparison (self, o);
    }
  else if (g_str_equal (assay_job_get_kind (job), "xmtc-import"))
    {
      gint64 dataset = assay_json_get_int (o, "dataset", 0);
      refresh_datasets (self, dataset);
      self->current_label = -1;
      load (self, dataset, 0);
    }
}

/* ---- dense retrieval (DEPL) ---- */

static void
dense_with (AssayPage *page, const char *model, gpointer data)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (page);
  AssayDeplOptions o = { 0 };
  g_autoptr (AssayJob) job = NULL;

  o.set.model = (char *) model;
  o.set.normalize = -1;
  o.run = self->overview->run;
  o.top_k = 10;
  job = assay_depl_job_new (&o);
  assay_page_submit (page, job);
}

void
assay_labels_page_dense_retrieval (AssayLabelsPage *self)
{
  if (self->overview == NULL || self->overview->run <= 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Train first: dense retrieval describes labels by the SVM's keywords"));
      return;
    }
  assay_page_with_encoder (ASSAY_PAGE (self), FALSE, dense_with, NULL);
}

static void
dense_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_labels_page_dense_retrieval (ASSAY_LABELS_PAGE (widget));
}

static void
show_comparison (AssayLabelsPage *self, JsonObject *comparison)
{
  GtkWidget *window = assay_depl_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), comparison);
  gtk_window_present (GTK_WINDOW (window));
}

static void
dense_compare_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (widget);
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) c = NULL;

  if (store != NULL && self->overview != NULL && self->overview->run > 0)
    c = assay_depl_comparison (store, self->overview->run, &error);
  if (c == NULL)
    {
      assay_page_toast (ASSAY_PAGE (self), error != NULL ? error->message
                                                         : _("This run has no dense retrieval yet (Dense Retrieval…)"));
      return;
    }
  show_comparison (self, c);
}

static void
choose_encoder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_page_choose_encoder (ASSAY_PAGE (widget));
}

static void
assay_labels_page_focus_content (AssayPage *page)
{
  /* the label list: arrows move from label to label */
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (page);
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

static void
assay_labels_page_dispose (GObject *object)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (object);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->locate_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_LABELS_PAGE);
  G_OBJECT_CLASS (assay_labels_page_parent_class)->dispose (object);
}

static void
assay_labels_page_finalize (GObject *object)
{
  AssayLabelsPage *self = ASSAY_LABELS_PAGE (object);

  g_clear_pointer (&self->overview, assay_xmtc_overview_free);
  g_clear_pointer (&self->dataset_ids, g_array_unref);
  g_clear_pointer (&self->keyword_terms, g_ptr_array_unref);
  g_free (self->chart_order);
  g_free (self->chart_position);
  g_clear_object (&self->rows);
  g_clear_object (&self->selection);
  G_OBJECT_CLASS (assay_labels_page_parent_class)->finalize (object);
}

static void
assay_labels_page_class_init (AssayLabelsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AssayPageClass *page_class = ASSAY_PAGE_CLASS (klass);

  object_class->dispose = assay_labels_page_dispose;
  object_class->finalize = assay_labels_page_finalize;
  page_class->workspace_changed = assay_labels_page_workspace_changed;
  page_class->focus_content = assay_labels_page_focus_content;
  page_class->job_finished = assay_labels_page_job_finished;

  g_type_ensure (ASSAY_TYPE_LONGTAIL_CHART);
  g_type_ensure (ASSAY_TYPE_KEYWORD_BARS);
  g_type_ensure (ASSAY_TYPE_WRAP_BOX);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-labels-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, AssayLabelsPage, name)
  CHILD (dataset_dropdown);
  CHILD (dataset_list);
  CHILD (run_dropdown);
  CHILD (run_list);
  CHILD (k_dropdown);
  CHILD (bin_dropdown);
  CHILD (compare_dropdown);
  CHILD (compare_list);
  CHILD (summary_label);
  CHILD (chart);
  CHILD (search_entry);
  CHILD (column_view);
  CHILD (profile_box);
  CHILD (profile_title);
  CHILD (profile_subtitle);
  CHILD (profile_metrics);
  CHILD (compare_label);
  CHILD (keyword_bars);
  CHILD (pseudo_label);
  CHILD (docs_stack);
  CHILD (train_page);
  CHILD (predicted_page);
  CHILD (dense_page);
  CHILD (dense_list);
  CHILD (train_list);
  CHILD (predicted_list);
  CHILD (doc_view);
#undef CHILD

  gtk_widget_class_install_action (widget_class, "labels.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "labels.errors", NULL, errors_action);
  gtk_widget_class_install_action (widget_class, "labels.dense", NULL, dense_action);
  gtk_widget_class_install_action (widget_class, "labels.dense-compare", NULL, dense_compare_action);
  gtk_widget_class_install_action (widget_class, "labels.choose-encoder", NULL, choose_encoder_action);
  gtk_widget_class_install_action (widget_class, "labels.import-file", NULL, import_file_action);
  gtk_widget_class_install_action (widget_class, "labels.import-folder", NULL,
                                   import_folder_action);
  gtk_widget_class_install_action (widget_class, "labels.focus-search", NULL, focus_search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "labels.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_slash, 0, "labels.focus-search",
                                       NULL);
}

static void
assay_labels_page_init (AssayLabelsPage *self)
{
  GtkEveryFilter *filter;
  GtkTextBuffer  *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->current_label = -1;

  /* rows -> filter (bin, search) -> sort (the column view's sorter) -> selection */
  self->rows = g_list_store_new (ASSAY_TYPE_LABEL_ROW);
  self->bin_filter = gtk_custom_filter_new (bin_filter_func, self, NULL);
  self->search_filter = gtk_string_filter_new (
    gtk_property_expression_new (ASSAY_TYPE_LABEL_ROW, NULL, "name"));
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->search_filter, TRUE);
  filter = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->bin_filter));
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->search_filter));
  self->filter_model = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->rows)),
                                                  GTK_FILTER (filter));
  gtk_filter_list_model_set_incremental (self->filter_model, TRUE);
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (self->filter_model),
                                              g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  gtk_sort_list_model_set_incremental (self->sort_model, TRUE);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->sort_model));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));

  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Label"), "name", FALSE, TRUE);
  self->train_column = assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Train"),
                                          "n-train", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Test"), "n-test", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Bin"), "bin", FALSE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, "F1@1", "f1", TRUE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Precision"), "precision", TRUE,
                     FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_LABEL_ROW, _("Recall"), "recall", TRUE, FALSE);
  gtk_column_view_sort_by_column (self->column_view, self->train_column, GTK_SORT_ASCENDING);

  buffer = gtk_text_view_get_buffer (self->doc_view);
  gtk_text_buffer_create_tag (buffer, "title", "weight", PANGO_WEIGHT_BOLD, "scale", 1.15, NULL);
  gtk_text_buffer_create_tag (buffer, "keyword", "background", "#f6d32d", "foreground", "#241f31",
                              "weight", PANGO_WEIGHT_BOLD, NULL);

  g_signal_connect (self->sort_model, "notify::pending", G_CALLBACK (table_pending_cb), self);
  g_signal_connect (self->filter_model, "notify::pending", G_CALLBACK (table_pending_cb), self);
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (selection_changed_cb),
                    self);
  g_signal_connect (self->chart, "activated", G_CALLBACK (chart_activated_cb), self);
  g_signal_connect (self->dataset_dropdown, "notify::selected", G_CALLBACK (dataset_changed_cb),
                    self);
  g_signal_connect (self->run_dropdown, "notify::selected", G_CALLBACK (run_changed_cb), self);
  g_signal_connect (self->k_dropdown, "notify::selected", G_CALLBACK (k_changed_cb), self);
  g_signal_connect (self->compare_dropdown, "notify::selected", G_CALLBACK (compare_changed_cb),
                    self);
  g_signal_connect (self->bin_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->train_list, "row-activated", G_CALLBACK (doc_row_activated_cb), self);
  g_signal_connect (self->predicted_list, "row-activated", G_CALLBACK (doc_row_activated_cb),
                    self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labels.train", FALSE);
}

AssayPage *
assay_labels_page_new (void)
{
  return g_object_new (ASSAY_TYPE_LABELS_PAGE, "name", "labels", "title", _("Labels"),
                       "icon-name", "assay-labels-symbolic", "empty-title",
                       _("No Labelled Corpus"), "empty-description",
                       _("Keyword profiles of rare labels, generated by a one-vs-rest linear SVM "
                         "on tf-idf, with the tail-label metrics (PSP@k, macro-F1@k).\n\nImport "
                         "a corpus: Extreme Classification format, Reuters-21578 SGML, JSONL or "
                         "CSV."),
                       NULL);
}

GListModel *
assay_labels_page_get_rows (AssayLabelsPage *self)
{
  return G_LIST_MODEL (self->selection);
}

gboolean
assay_labels_page_is_loaded (AssayLabelsPage *self)
{
  return self->overview != NULL;
}

void
assay_labels_page_set_k (AssayLabelsPage *self, guint k)
{
  gtk_drop_down_set_selected (self->k_dropdown, assay_xmtc_overview_k_index (k));
}

void
assay_labels_page_set_search (AssayLabelsPage *self, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  gtk_string_filter_set_search (self->search_filter, text);
}

GtkWidget *
assay_labels_page_get_keyword_bars (AssayLabelsPage *self)
{
  return GTK_WIDGET (self->keyword_bars);
}

GtkWidget *
assay_labels_page_get_chart (AssayLabelsPage *self)
{
  return GTK_WIDGET (self->chart);
}

const char *
assay_labels_page_get_pseudo_description (AssayLabelsPage *self)
{
  return gtk_label_get_text (self->pseudo_label);
}

GtkWidget *
assay_labels_page_get_summary (AssayLabelsPage *self)
{
  return GTK_WIDGET (self->summary_label);
}

GtkWidget *
assay_labels_page_get_list (AssayLabelsPage *self)
{
  return GTK_WIDGET (self->column_view);
}
