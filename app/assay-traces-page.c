/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-traces-page.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-answer.h"
#include "assay-application.h"
#include "assay-columns.h"
#include "assay-credit.h"
#include "assay-finetune-window.h"
#include "assay-curve-chart.h"
#include "assay-error.h"
#include "assay-gen-list.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-gen-query.h"
#include "assay-import-dialog.h"
#include "assay-palette.h"
#include "assay-token-export.h"
#include "assay-trace-credit.h"
#include "assay-trace-import.h"
#include "assay-trace-item.h"
#include "assay-trace-tokens.h"
#include "assay-wrap-box.h"

struct _AssayTracesPage
{
  AssayPage          parent_instance;

  GtkDropDown       *dataset_dropdown;
  GtkStringList     *dataset_list;
  GtkSearchEntry    *search_entry;
  GtkToggleButton   *wrong_toggle;
  GtkDropDown       *run_dropdown;
  GtkStringList     *run_list;
  GtkLabel          *summary_label;
  GtkSpinButton     *range_spin;
  GtkColumnView     *column_view;
  GtkLabel          *question_label;
  GtkLabel          *trace_label;
  GtkDrawingArea    *legend;
  GtkLabel          *legend_range;
  GtkDrawingArea    *legend_labelled;
  GtkDrawingArea    *legend_predicted;
  GtkDrawingArea    *legend_prm;
  GtkWidget         *legend_prm_box;
  GtkLabel          *chosen_title;
  AssayTokenHeatmap *heatmap;
  GtkWidget         *rejected_box;
  GtkLabel          *rejected_title;
  AssayTokenHeatmap *heatmap_rejected;
  GtkLabel          *token_label;
  GtkLabel          *metrics_label;
  AssayCurveChart   *chart;

  AssayGenList       *list;
  GtkSingleSelection *selection;
  GArray             *run_ids;   /* gint64, as in run_list (none: empty) */
  GArray             *dataset_ids; /* gint64, as in dataset_list (0: all) */
  gint64              dataset;
  gint64              run;
  gint64              trace;     /* shown */
  gint64              want;      /* to select once listed */
  AssayGenRecord     *record;    /* shown */
  AssayTraceTokens   *tokens[2]; /* shown, or NULL */
  GCancellable       *list_cancellable;
  GCancellable       *trace_cancellable;
  char               *policy, *reference; /* for the credit dialog */
  gboolean            updating;
};

G_DEFINE_FINAL_TYPE (AssayTracesPage, assay_traces_page, ASSAY_TYPE_PAGE)

static void update_legend (AssayTracesPage *self);

static GSettings *
settings (void)
{
  GApplication *app = g_application_get_default ();
  return app != NULL && ASSAY_IS_APPLICATION (app) ? assay_application_get_settings (ASSAY_APPLICATION (app)) : NULL;
}

/* ---- the list ------------------------------------------------------------------------------------ */

static GObject *
make_item (AssayStore *store, gint64 id, gpointer data)
{
  return G_OBJECT (assay_trace_item_new (store, id, ((AssayTracesPage *) data)->run));
}

static void
reload_item (GObject *item, AssayStore *store, gpointer data)
{
  assay_trace_item_reload (ASSAY_TRACE_ITEM (item), store, ((AssayTracesPage *) data)->run);
}

typedef struct
{
  GArray *ids;   /* the traces the filters keep */
  gint64  total; /* traces in the workspace */
} Listed;

static void
listed_free (Listed *l)
{
  if (l->ids != NULL)
    g_array_unref (l->ids);
  g_free (l);
}

static gpointer
list_load (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  AssayGenFilter *filter = data;
  AssayGenFilter  all;
  Listed         *l = g_new0 (Listed, 1);
  guint           counts[4];

  /* the traces the filters keep, and how many there are in all (counted, not listed) */
  assay_gen_filter_init (&all);
  all.traces = TRUE;
  if ((l->ids = assay_gen_query_ids (store, filter, error)) == NULL
      || !assay_gen_count_status (store, &all, counts, error))
    {
      listed_free (l);
      return NULL;
    }
  l->total = (gint64) counts[0] + counts[1] + counts[2] + counts[3];
  return l;
}

static void
list_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);
  Listed          *l = result;
  guint            position, n;

  if (l == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  self->updating = TRUE;
  assay_gen_list_set (self->list, assay_page_get_store (page), g_steal_pointer (&l->ids));
  self->updating = FALSE;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  {
    g_autofree char *summary = NULL;
    if (n == (guint) l->total)
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u trace", "%u traces", n), n);
    else if (n == 0)
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "No trace matches (of %lld)",
                                              "No trace matches (of %lld)", (gulong) l->total),
                                 (long long) l->total);
    else
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %lld trace", "%u of %lld traces",
                                              (gulong) l->total),
                                 n, (long long) l->total);
    gtk_label_set_text (self->summary_label, summary);
  }
  /* the empty state is for a workspace without traces, not for filters that match none */
  assay_page_set_empty (page, l->total == 0);
  position = self->want != 0 ? assay_gen_list_find (self->list, self->want) : G_MAXUINT;
  if (position == G_MAXUINT && n > 0)
    position = 0;
  self->want = 0;
  if (position != G_MAXUINT)
    gtk_single_selection_set_selected (self->selection, position);
  listed_free (l);
}

static void
load_list (AssayTracesPage *self)
{
  AssayGenFilter f;
  const char    *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  assay_gen_filter_init (&f);
  f.traces = TRUE;
  f.dataset = self->dataset;
  f.wrong = gtk_toggle_button_get_active (self->wrong_toggle);
  f.search = search != NULL && *search ? search : NULL;
  assay_page_load (ASSAY_PAGE (self), &self->list_cancellable, "traces-list", list_load, list_done,
                   assay_gen_filter_dup (&f), (GDestroyNotify) assay_gen_filter_free,
                   (GDestroyNotify) listed_free);
}

/* Datasets that hold traces; the chosen one is kept while it is there */
static void
refresh_datasets (AssayTracesPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  guint         selected = 0;
  gint64        zero = 0;

  g_array_set_size (self->dataset_ids, 0);
  g_array_append_val (self->dataset_ids, zero);
  g_ptr_array_add (names, g_strdup (_("All datasets")));
  stmt = store != NULL ? assay_store_prepare (store, "SELECT d.id, d.name FROM datasets d WHERE d.area = 'gen' "
                                                     "AND d.importing IS NULL AND EXISTS (SELECT 1 FROM "
                                                     "gen_records r WHERE r.dataset_id = d.id AND r.kind IN "
                                                     ASSAY_TRACE_KINDS_SQL ") ORDER BY d.id", NULL)
                       : NULL;
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (self->dataset_ids, id);
      g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      if (id == self->dataset)
        selected = self->dataset_ids->len - 1;
    }
  if (stmt != NULL)
    sqlite3_reset (stmt);
  if (selected == 0)
    self->dataset = 0;
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->dataset_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->dataset_list)),
                          (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->dataset_dropdown, selected);
  self->updating = FALSE;
  /* one dataset: nothing to choose */
  gtk_widget_set_visible (GTK_WIDGET (self->dataset_dropdown), self->dataset_ids->len > 2);
}

static void
filters_changed (AssayTracesPage *self)
{
  if (self->updating)
    return;
  self->want = self->record != NULL ? self->record->id : 0;
  load_list (self);
}

static void
dataset_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayTracesPage *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || i >= self->dataset_ids->len)
    return;
  self->dataset = g_array_index (self->dataset_ids, gint64, i);
  filters_changed (self);
}

static void
search_changed_cb (GtkSearchEntry *entry, AssayTracesPage *self)
{
  filters_changed (self);
}

static void
wrong_toggled_cb (GtkToggleButton *button, AssayTracesPage *self)
{
  filters_changed (self);
}

/* ---- runs ---------------------------------------------------------------------------------------- */

static JsonObject *
run_metrics (AssayTracesPage *self)
{
  AssayStore   *store = assay_page_get_store (ASSAY_PAGE (self));
  sqlite3_stmt *stmt;
  JsonObject   *o = NULL;

  if (store == NULL || self->run == 0
      || (stmt = assay_store_prepare (store, "SELECT metrics FROM runs WHERE id = ?", NULL)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, self->run);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    o = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  return o;
}

static double
json_array_double (JsonArray *a, guint i)
{
  JsonNode *n = a != NULL && i < json_array_get_length (a) ? json_array_get_element (a, i) : NULL;
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

static void
show_metrics (AssayTracesPage *self)
{
  g_autoptr (JsonObject) m = run_metrics (self);
  static const char *const keys[] = { "majority", "best_of_n", "weighted", "best_of_n_certainty", "any_correct" };
  const char *names[] = { _("majority vote"), _("best-of-N by R"), _("weighted by softmax(R)"),
                          _("best-of-N by self-certainty"), _("any correct") };
  GString    *s = g_string_new (NULL);
  JsonArray  *ns;

  if (m == NULL)
    {
      gtk_label_set_text (self->metrics_label,
                          self->run_ids->len == 0
                            ? _("No token credit yet: choose a policy and its reference model with "
                                "Compute Credit to colour the tokens, score the steps and re-rank "
                                "candidates.")
                            : "");
      assay_curve_chart_set_data (self->chart, 0, NULL, 0, NULL, NULL, TRUE);
      /* no chart without curves: the heatmaps keep the room */
      gtk_widget_set_visible (GTK_WIDGET (self->chart), FALSE);
      g_string_free (s, TRUE);
      return;
    }
  g_string_append_printf (s, _("<b>First erroneous step</b>\nThreshold %.3f (%s on %lld labelled traces)\n"),
                          assay_json_get_double (m, "threshold", 0),
                          g_strcmp0 (assay_json_get_string (m, "threshold_source", ""), "calibrated") == 0 ? _("calibrated")
                          : g_strcmp0 (assay_json_get_string (m, "threshold_source", ""), "given") == 0 ? _("set by hand")
                                                                                                     : _("default, no labels"),
                          (long long) assay_json_get_int (m, "calibration_traces", 0));
  if (json_object_has_member (m, "processbench_f1") && !json_object_get_null_member (m, "processbench_f1"))
    {
      g_string_append_printf (s, _("ProcessBench F1 %.3f on %lld held-out traces"),
                              assay_json_get_double (m, "processbench_f1", 0),
                              (long long) assay_json_get_int (m, "evaluated_traces", 0));
      if (!json_object_get_null_member (m, "acc_erroneous"))
        g_string_append_printf (s, _("\nerroneous %.3f"), assay_json_get_double (m, "acc_erroneous", 0));
      if (!json_object_get_null_member (m, "acc_correct"))
        g_string_append_printf (s, _(" · correct %.3f"), assay_json_get_double (m, "acc_correct", 0));
    }
  if (json_object_has_member (m, "pairs"))
    {
      JsonObject *p = json_object_get_object_member (m, "pairs");
      g_string_append_printf (s, _("\n\n<b>Pairs</b>\n%lld pairs · DPO loss %.3f · R chosen &gt; rejected %.1f%%"),
                              (long long) assay_json_get_int (p, "n", 0),
                              assay_json_get_double (p, "mean_dpo_loss", 0),
                              100.0 * assay_json_get_double (p, "reward_accuracy", 0));
    }
  if (json_object_has_member (m, "tokens_per_second"))
    g_string_append_printf (s, _("\n\n%lld tokens scored at %.0f tokens/s"),
                            (long long) assay_json_get_int (m, "tokens", 0),
                            assay_json_get_double (m, "tokens_per_second", 0));
  ns = json_object_has_member (m, "n") ? json_object_get_array_member (m, "n") : NULL;
  if (ns != NULL)
    {
      guint            n = json_array_get_length (ns);
      g_autofree double *x = g_new (double, MAX (n, 1)), *y = g_new (double, 5 * MAX (n, 1));
      const char      *shown[5];
      int              curves = 0;
      g_string_append_printf (s, _("\n\n<b>Re-ranking</b> over %lld questions\n"),
                              (long long) assay_json_get_int (m, "questions", 0));
      for (guint i = 0; i < n; i++)
        x[i] = json_array_double (ns, i);
      for (int k = 0; k < 5; k++)
        {
          JsonArray *a = json_object_has_member (m, keys[k]) ? json_object_get_array_member (m, keys[k]) : NULL;
          if (a == NULL && k == 3)
            continue; /* a run without self-certainty */
          for (guint i = 0; i < n; i++)
            y[curves * n + i] = json_array_double (a, i);
          g_string_append_printf (s, _("%s at N = %g: %.3f\n"), names[k], x[n - 1], y[curves * n + n - 1]);
          shown[curves++] = names[k];
        }
      assay_curve_chart_set_data (self->chart, (int) n, x, curves, shown, y, TRUE);
    }
  else
    {
      assay_curve_chart_set_data (self->chart, 0, NULL, 0, NULL, NULL, TRUE);
      g_string_append (s, _("\n\nNo re-ranking: no question has several candidates."));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->chart), ns != NULL && json_array_get_length (ns) > 0);
  gtk_label_set_markup (self->metrics_label, s->str);
  g_string_free (s, TRUE);
}

static void
refresh_runs (AssayTracesPage *self, gint64 select)
{
  AssayStore   *store = assay_page_get_store (ASSAY_PAGE (self));
  sqlite3_stmt *stmt;
  guint         position = 0;

  self->updating = TRUE;
  g_array_set_size (self->run_ids, 0);
  gtk_string_list_splice (self->run_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->run_list)), NULL);
  if (store != NULL
      && (stmt = assay_store_prepare (store, "SELECT id, params FROM runs WHERE "
                                             "area = 'traces' AND kind = 'credit' AND status = 'done' "
                                             "ORDER BY id DESC", NULL)) != NULL)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gint64           id = sqlite3_column_int64 (stmt, 0);
          g_autoptr (JsonObject) p = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 1), NULL);
          g_autofree char *a = g_path_get_basename (p ? assay_json_get_string (p, "policy", "?") : "?");
          g_autofree char *b = g_path_get_basename (p ? assay_json_get_string (p, "reference", "?") : "?");
          g_autofree char *label = g_strdup_printf (_("Run %lld: %s against %s"), (long long) id, a, b);
          if (id == select)
            position = self->run_ids->len;
          g_array_append_val (self->run_ids, id);
          gtk_string_list_append (self->run_list, label);
        }
      sqlite3_reset (stmt);
    }
  if (self->run_ids->len == 0)
    gtk_string_list_append (self->run_list, _("No credit run"));
  gtk_drop_down_set_selected (self->run_dropdown, position);
  self->run = self->run_ids->len > 0 ? g_array_index (self->run_ids, gint64, position) : 0;
  self->updating = FALSE;
  show_metrics (self);
}

/* ---- the selected trace -------------------------------------------------------------------------- */

typedef struct
{
  AssayGenRecord   *record;
  AssayTraceTokens *tokens[2];
} Loaded;

static void
loaded_free (Loaded *l)
{
  assay_gen_record_free (l->record);
  assay_trace_tokens_free (l->tokens[0]);
  assay_trace_tokens_free (l->tokens[1]);
  g_free (l);
}

typedef struct
{
  gint64 record, run;
} TraceQuery;

static gpointer
trace_load (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  TraceQuery *q = data;
  Loaded     *l = g_new0 (Loaded, 1);

  if ((l->record = assay_gen_record_load (store, q->record, error)) == NULL)
    {
      g_free (l);
      return NULL;
    }
  for (int side = 0; side < 2 && q->run != 0; side++)
    {
      g_autoptr (GError) local = NULL;
      l->tokens[side] = assay_trace_tokens_load (store, q->run, q->record, side, &local);
      if (l->tokens[side] == NULL && !g_error_matches (local, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          loaded_free (l);
          return NULL;
        }
    }
  return l;
}

/* What the heatmap draws of one side's credit (the arrays stay the tokens'). */
static AssayTokenData
token_data (AssayGenRecord *r, AssayTraceTokens *t, int side)
{
  return (AssayTokenData) {
    .text = side == 0 ? r->text : r->rejected,
    .n_tokens = t->n_tokens,
    .offsets = t->offsets,
    .credit = t->credit,
    .center = t->mean,
    .n_steps = t->n_steps,
    .steps = (const guint *) t->steps,
    .labelled = side == 0 && r->steps != NULL ? r->step_label : -2,
    .predicted = t->first_error,
  };
}

/* A process reward model's P(step right) of the record's steps (the first "NAME:steps" list of
 * its scores with one value per step), or NULL; *name gets NAME */
static double *
prm_steps (AssayGenRecord *r, char **name)
{
  g_autoptr (GList) keys = NULL;
  guint n = r->steps != NULL ? g_strv_length (r->steps) : 0;

  if (name != NULL)
    *name = NULL;
  if (r->scores == NULL || n == 0)
    return NULL;
  keys = json_object_get_members (r->scores);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode  *node = json_object_get_member (r->scores, l->data);
      JsonArray *a;
      double    *p;
      if (!g_str_has_suffix (l->data, ":steps") || !JSON_NODE_HOLDS_ARRAY (node))
        continue;
      a = json_node_get_array (node);
      if (json_array_get_length (a) != n)
        continue;
      p = g_new (double, n);
      for (guint k = 0; k < n; k++)
        {
          JsonNode *e = json_array_get_element (a, k);
          p[k] = JSON_NODE_HOLDS_VALUE (e) && (json_node_get_value_type (e) == G_TYPE_DOUBLE
                                              || json_node_get_value_type (e) == G_TYPE_INT64)
                   ? json_node_get_double (e) : NAN;
        }
      if (name != NULL)
        *name = g_strndup (l->data, strlen (l->data) - strlen (":steps"));
      return p;
    }
  return NULL;
}

/* The heatmap's data for one side: the credit run's tokens, or without one, the text with each
 * step as one uncoloured piece (steps and labels still shown); a PRM's step scores beside. */
static void
set_heatmap (AssayTracesPage *self, AssayTokenHeatmap *heatmap, int side)
{
  AssayGenRecord   *r = self->record;
  AssayTraceTokens *t = self->tokens[side];
  const char       *text = side == 0 ? r->text : r->rejected;
  int               labelled = side == 0 && r->steps != NULL ? r->step_label : -2;
  AssayTokenData    d = { 0 };
  g_autofree double *prm = side == 0 ? prm_steps (r, NULL) : NULL;

  if (text == NULL)
    {
      assay_token_heatmap_set_data (heatmap, NULL, NULL, NULL);
      return;
    }
  if (t != NULL)
    {
      d = token_data (r, t, side);
      if (prm != NULL && d.n_steps == (int) g_strv_length (r->steps))
        d.step_scores = prm;
      assay_token_heatmap_set_data (heatmap, &d, t->logprobs, t->ref_logprobs);
    }
  else
    {
      g_autoptr (GArray) spans = assay_credit_steps (text, side == 0 ? (const char *const *) r->steps : NULL, NULL);
      g_autofree guint *offsets = NULL;
      if (spans == NULL)
        spans = assay_credit_steps (text, NULL, NULL);
      offsets = g_new (guint, 2 * MAX (spans->len, 1));
      for (guint i = 0; i < spans->len; i++)
        {
          offsets[2 * i] = g_array_index (spans, AssaySpan, i).begin;
          offsets[2 * i + 1] = i + 1 < spans->len ? g_array_index (spans, AssaySpan, i + 1).begin
                                                  : (guint) strlen (text);
        }
      d.text = text;
      d.labelled = labelled;
      d.n_tokens = (int) spans->len;
      d.offsets = offsets;
      d.n_steps = (int) spans->len;
      d.steps = (const guint *) spans->data;
      d.predicted = -2;
      if (prm != NULL && r->steps != NULL && d.n_steps == (int) g_strv_length (r->steps))
        d.step_scores = prm;
      assay_token_heatmap_set_data (heatmap, &d, NULL, NULL);
    }
  assay_token_heatmap_set_range (heatmap, gtk_spin_button_get_value (self->range_spin));
}

static void
show_trace (AssayTracesPage *self)
{
  AssayGenRecord *r = self->record;
  gboolean        pair = r != NULL && g_strcmp0 (r->kind, "pair") == 0 && r->rejected != NULL;
  GString        *s = g_string_new (NULL);

  if (r == NULL)
    {
      gtk_label_set_text (self->question_label, "");
      gtk_label_set_text (self->trace_label, "");
      assay_token_heatmap_set_data (self->heatmap, NULL, NULL, NULL);
      assay_token_heatmap_set_data (self->heatmap_rejected, NULL, NULL, NULL);
      gtk_widget_set_visible (self->legend_prm_box, FALSE);
      g_string_free (s, TRUE);
      return;
    }
  gtk_label_set_text (self->question_label, r->prompt != NULL ? r->prompt : "");
  g_string_append_printf (s, _("Trace %lld"), (long long) r->id);
  if (r->model != NULL)
    g_string_append_printf (s, " · %s", r->model);
  if (!pair && r->text != NULL)
    {
      g_autofree char *answer = assay_answer_extract (r->text, NULL);
      if (answer != NULL)
        g_string_append_printf (s, _(" · answer “%s”"), answer);
      if (r->answer != NULL)
        g_string_append_printf (s, _(" · reference “%s”"), r->answer);
      g_string_append (s, r->correct == 1 ? _(" · correct") : r->correct == 0 ? _(" · wrong") : "");
    }
  if (r->steps != NULL)
    {
      if (r->step_label >= 0)
        g_string_append_printf (s, _(" · labelled first error: step %d"), r->step_label);
      else
        g_string_append (s, _(" · labelled: no error"));
    }
  if (self->tokens[0] != NULL)
    {
      g_autofree char *predicted = self->tokens[0]->first_error >= 0
                                     ? g_strdup_printf (_("step %d"), self->tokens[0]->first_error)
                                     : g_strdup (_("none"));
      g_string_append_printf (s, _(" · predicted first error: %s · R = %.3f · %d tokens"), predicted,
                              self->tokens[0]->reward, self->tokens[0]->n_tokens);
    }
  else if (self->run != 0)
    g_string_append (s, _(" · not scored in this run"));
  {
    g_autofree char *name = NULL;
    g_autofree double *prm = prm_steps (r, &name);
    gtk_widget_set_visible (self->legend_prm_box, prm != NULL);
    if (prm != NULL)
      {
        guint n = g_strv_length (r->steps);
        int   first = -1;
        double lo = 1;
        for (guint k = 0; k < n; k++)
          {
            if (first < 0 && prm[k] < 0.5)
              first = (int) k;
            lo = MIN (lo, prm[k]);
          }
        if (first >= 0)
          g_string_append_printf (s, _(" · %s: first step below ½ is %d, lowest P(right) %.2f"), name, first, lo);
        else
          g_string_append_printf (s, _(" · %s: every step above ½, lowest P(right) %.2f"), name, lo);
      }
  }
  gtk_label_set_text (self->trace_label, s->str);
  g_string_free (s, TRUE);

  set_heatmap (self, self->heatmap, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->chosen_title), pair);
  gtk_widget_set_visible (self->rejected_box, pair);
  if (pair)
    {
      g_autofree char *a = self->tokens[0] ? g_strdup_printf (_("Chosen · R = %.3f"), self->tokens[0]->reward) : g_strdup (_("Chosen"));
      g_autofree char *b = self->tokens[1] ? g_strdup_printf (_("Rejected · R = %.3f"), self->tokens[1]->reward) : g_strdup (_("Rejected"));
      gtk_label_set_text (self->chosen_title, a);
      gtk_label_set_text (self->rejected_title, b);
      set_heatmap (self, self->heatmap_rejected, 1);
    }
  else
    assay_token_heatmap_set_data (self->heatmap_rejected, NULL, NULL, NULL);
  gtk_label_set_text (self->token_label, _("Click a token, then ←/→ move token by token and ↑/↓ step by step; hover for log-probs"));
  update_legend (self);
}

static void
trace_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);
  Loaded          *l = result;

  if (l == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  g_clear_pointer (&self->record, assay_gen_record_free);
  g_clear_pointer (&self->tokens[0], assay_trace_tokens_free);
  g_clear_pointer (&self->tokens[1], assay_trace_tokens_free);
  self->record = g_steal_pointer (&l->record);
  self->tokens[0] = g_steal_pointer (&l->tokens[0]);
  self->tokens[1] = g_steal_pointer (&l->tokens[1]);
  self->trace = self->record->id;
  loaded_free (l);
  show_trace (self);
}

static void
load_trace (AssayTracesPage *self, gint64 record)
{
  TraceQuery *q = g_new (TraceQuery, 1);

  q->record = record;
  q->run = self->run;
  self->trace = 0;
  assay_page_load (ASSAY_PAGE (self), &self->trace_cancellable, "traces-trace", trace_load,
                   trace_done, q, g_free, (GDestroyNotify) loaded_free);
}

/* The trace selected in the list (its view may still be loading), or 0 */
static gint64
selected_trace (AssayTracesPage *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);

  return position != GTK_INVALID_LIST_POSITION ? assay_gen_list_get_id (self->list, position) : 0;
}

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AssayTracesPage *self)
{
  guint position = gtk_single_selection_get_selected (selection);

  if (self->updating || position == GTK_INVALID_LIST_POSITION)
    return;
  load_trace (self, assay_gen_list_get_id (self->list, position));
}

static void
run_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayTracesPage *self)
{
  guint position = gtk_drop_down_get_selected (dropdown);

  if (self->updating || position >= self->run_ids->len)
    return;
  self->run = g_array_index (self->run_ids, gint64, position);
  show_metrics (self);
  assay_gen_list_refresh (self->list);
  if (selected_trace (self) != 0)
    load_trace (self, selected_trace (self));
}

static void
range_changed_cb (GtkSpinButton *spin, AssayTracesPage *self)
{
  assay_token_heatmap_set_range (self->heatmap, gtk_spin_button_get_value (spin));
  assay_token_heatmap_set_range (self->heatmap_rejected, gtk_spin_button_get_value (spin));
  update_legend (self);
}

static void
cursor_changed_cb (AssayTokenHeatmap *heatmap, int token, AssayTracesPage *self)
{
  g_autofree char *text = assay_token_heatmap_describe (heatmap, token);
  AssayTokenHeatmap *other = heatmap == self->heatmap ? self->heatmap_rejected : self->heatmap;
  int              step = assay_token_heatmap_get_cursor_step (heatmap);

  gtk_label_set_text (self->token_label, text != NULL ? text : "");
  /* a pair's sides: keep the same step in view on both */
  if (gtk_widget_get_visible (self->rejected_box) && step >= 0
      && step != assay_token_heatmap_get_cursor_step (other))
    assay_token_heatmap_scroll_to_step (other, step);
}

/* The colour scale: mean - range (blue) to mean + range (red), as the heatmaps colour tokens */
static void
legend_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  gboolean dark = assay_palette_is_dark (GTK_WIDGET (area));
  GdkRGBA  fg;

  for (int i = 0; i < width; i++)
    {
      double rgb[3];
      assay_token_color_scheme (width > 1 ? 2.0 * i / (width - 1.0) - 1.0 : 0.0, dark, rgb);
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_rectangle (cr, i, 0, 1.0, height);
      cairo_fill (cr);
    }
  assay_palette_foreground (GTK_WIDGET (area), &fg);
  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, 0.5, 0.5, width - 1.0, height - 1.0);
  cairo_stroke (cr);
}

/* The marks of the labelled (red) and predicted (orange) first error, as the heatmaps draw them */
static void
swatch_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  if (GPOINTER_TO_INT (data))
    cairo_set_source_rgb (cr, 0.95, 0.55, 0.05);
  else
    cairo_set_source_rgb (cr, 0.80, 0.10, 0.10);
  cairo_paint (cr);
}

/* The PRM lane's scale: green (1) at the top to red (0) at the bottom */
static void
prm_swatch_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  for (int y = 0; y < height; y++)
    {
      double rgb[3];
      assay_token_step_score_color (height > 1 ? 1.0 - (double) y / (height - 1) : 1.0, rgb);
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_rectangle (cr, 0, y, width, 1.0);
      cairo_fill (cr);
    }
}

static void
update_legend (AssayTracesPage *self)
{
  g_autofree char *text = g_strdup_printf (_("±%.3g nats from the mean"),
                                           assay_token_heatmap_get_range (self->heatmap));

  gtk_label_set_text (self->legend_range, text);
  gtk_widget_queue_draw (GTK_WIDGET (self->legend));
}

/* ---- actions ------------------------------------------------------------------------------------- */

static void
import_dialog_cb (AssayImportDialog *dialog, gpointer data)
{
  /* the choices in AssayTraceFormat's order */
  g_autoptr (AssayJob) job = assay_trace_import_job_new (assay_import_dialog_get_files (dialog)[0],
                                                         (AssayTraceFormat) assay_import_dialog_get_choice (dialog, "format"),
                                                         assay_import_dialog_get_name (dialog));
  assay_page_submit (ASSAY_PAGE (data), job);
}

AssayImportDialog *
assay_traces_page_import_with_options (AssayTracesPage *self, const char *path)
{
  const char *files[] = { path, NULL };
  const char *formats[] = { _("Automatic (from the first row)"), _("ProcessBench (labelled steps)"),
                            _("Candidate JSONL (question, response, answer)"), _("TRL preference pairs"),
                            _("LLaVA-Reasoner pairs"), NULL };
  AssayImportDialog *dialog = assay_import_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                       _("Import Traces"), files, import_dialog_cb, self);

  assay_import_dialog_add_choice (dialog, "format", _("Format"), NULL, formats, ASSAY_TRACE_FORMAT_AUTO);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
import_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    assay_traces_page_import_with_options (ASSAY_TRACES_PAGE (page), path);
}

static void
import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Traces (ProcessBench JSON, JSONL)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  assay_page_choose (ASSAY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _("Import Traces"), _("_Import"),
                     filter, NULL, FALSE, import_chosen, NULL);
}

static void
export_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  AssayTracesPage  *self = ASSAY_TRACES_PAGE (page);
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char  *path = g_file_get_path (file);
  g_autoptr (GError) error = NULL;
  AssayTraceTokens *t = self->tokens[0];
  g_autofree char  *title = NULL;
  AssayTokenData    d;

  if (path == NULL || self->record == NULL || t == NULL)
    return;
  title = g_strdup_printf (_("Trace %lld, run %lld: R = %.3f"), (long long) self->record->id,
                           (long long) self->run, t->reward);
  d = token_data (self->record, t, 0);
  if (!assay_token_export (&d, gtk_spin_button_get_value (self->range_spin), title, 1000, path, &error))
    assay_page_toast (page, error->message);
  else
    {
      g_autofree char *msg = g_strdup_printf (_("Heatmap saved to %s"), path);
      assay_page_toast (page, msg);
    }
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (widget);
  g_autofree char *suggested = NULL;

  if (self->record == NULL || self->tokens[0] == NULL)
    {
      assay_page_toast (ASSAY_PAGE (self), _("This trace has no token credit to export yet"));
      return;
    }
  suggested = g_strdup_printf ("trace-%lld-run-%lld.svg", (long long) self->record->id, (long long) self->run);
  assay_page_choose (ASSAY_PAGE (self), GTK_FILE_CHOOSER_ACTION_SAVE, _("Export Heatmap"), _("_Export"),
                     NULL, suggested, FALSE, export_chosen, NULL);
}

/* The credit dialog: two model folders (remembered), then a job on the compute thread. */
static void credit_dialog (AssayTracesPage *self);

static void
folder_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  char           **slot = GPOINTER_TO_INT (data) ? &self->reference : &self->policy;

  g_free (*slot);
  *slot = g_file_get_path (file);
  credit_dialog (self);
}

static void
choose_folder (AssayTracesPage *self, gboolean reference)
{
  assay_page_choose (ASSAY_PAGE (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                     reference ? _("Reference Model Folder") : _("Policy Model Folder"), _("_Select"),
                     NULL, NULL, FALSE, folder_chosen, GINT_TO_POINTER (reference));
}

static void
credit_response_cb (AdwMessageDialog *dialog, const char *response, AssayTracesPage *self)
{
  if (g_str_equal (response, "policy"))
    choose_folder (self, FALSE);
  else if (g_str_equal (response, "reference"))
    choose_folder (self, TRUE);
  else if (g_str_equal (response, "compute") && self->policy != NULL && self->reference != NULL)
    {
      AssayTraceCreditOptions options = { self->policy, self->reference, 0, 4096, 0 };
      g_autoptr (AssayJob) job = assay_trace_credit_job_new (&options);
      GSettings *s = settings ();
      if (s != NULL)
        {
          g_settings_set_string (s, "traces-policy", self->policy);
          g_settings_set_string (s, "traces-reference", self->reference);
        }
      assay_page_submit (ASSAY_PAGE (self), job);
    }
}

static void
credit_dialog (AssayTracesPage *self)
{
  GtkWidget       *dialog;
  g_autofree char *body = g_strdup_printf (
    _("Every token of every trace is scored under both models (log π and log π_ref); its credit "
      "is their difference.\n\nPolicy: %s\nReference: %s"),
    self->policy != NULL ? self->policy : _("not chosen"),
    self->reference != NULL ? self->reference : _("not chosen"));

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Compute Token Credit"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "policy", _("_Policy…"), "reference", _("_Reference…"),
                                    "compute", _("C_ompute"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "compute",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "compute",
                                           self->policy != NULL && self->reference != NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog),
                                           self->policy != NULL && self->reference != NULL ? "compute" : "policy");
  g_signal_connect_object (dialog, "response", G_CALLBACK (credit_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
assay_traces_page_credit_with (AssayTracesPage *self, const char *policy, const char *reference)
{
  g_free (self->policy);
  g_free (self->reference);
  self->policy = g_strdup (policy);
  self->reference = g_strdup (reference);
  credit_dialog (self);
}

/* Fine-Tune… on the traces dataset shown (e.g. the pairs `traces sample` made) */
AssayFinetuneDialog *
assay_traces_page_finetune (AssayTracesPage *self)
{
  /* (the reference model of the credit dialog, until a fine-tuning starts from another) */
  if (g_object_get_data (G_OBJECT (self), "assay-finetune-model") == NULL && self->reference != NULL)
    g_object_set_data_full (G_OBJECT (self), "assay-finetune-model", g_strdup (self->reference), g_free);
  return assay_finetune_window_ask (ASSAY_PAGE (self), self->dataset, self->dataset_ids);
}

static void
finetune_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_traces_page_finetune (ASSAY_TRACES_PAGE (widget));
}

static void
credit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (widget);
  GSettings       *s = settings ();

  if (s != NULL && self->policy == NULL)
    {
      g_autofree char *p = g_settings_get_string (s, "traces-policy");
      g_autofree char *r = g_settings_get_string (s, "traces-reference");
      self->policy = *p ? g_steal_pointer (&p) : NULL;
      self->reference = *r ? g_steal_pointer (&r) : NULL;
    }
  credit_dialog (self);
}

/* ---- page ---------------------------------------------------------------------------------------- */

static void
assay_traces_page_workspace_changed (AssayPage *page, AssayStore *store)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);

  g_clear_pointer (&self->record, assay_gen_record_free);
  g_clear_pointer (&self->tokens[0], assay_trace_tokens_free);
  g_clear_pointer (&self->tokens[1], assay_trace_tokens_free);
  self->trace = self->want = 0;
  self->updating = TRUE;
  assay_gen_list_set (self->list, store, NULL);
  self->updating = FALSE;
  show_trace (self);
  assay_page_set_empty (page, TRUE);
  self->dataset = 0;
  refresh_datasets (self);
  refresh_runs (self, 0);
  if (store != NULL)
    load_list (self);
}

static void
assay_traces_page_job_finished (AssayPage *page, AssayJob *job)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);
  JsonNode        *result = assay_job_get_result (job);
  const char      *kind = assay_job_get_kind (job);

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || result == NULL
      || !JSON_NODE_HOLDS_OBJECT (result) || !g_str_has_prefix (kind, "traces-"))
    return;
  if (g_str_equal (kind, "traces-credit"))
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (_("Token credit of %lld traces computed on %s"),
                                              (long long) assay_json_get_int (o, "traces", 0),
                                              assay_json_get_string (o, "backend", "?"));
      refresh_runs (self, assay_json_get_int (o, "run", 0));
      assay_gen_list_refresh (self->list);
      /* the selected trace in the new run, also when its first view is still loading (the
       * demo's run ends while the page opens) */
      if (selected_trace (self) != 0)
        load_trace (self, selected_trace (self));
      assay_page_toast (page, msg);
    }
  else
    {
      self->want = self->record != NULL ? self->record->id : 0;
      refresh_datasets (self);
      load_list (self);
    }
}

static void
assay_traces_page_store_changed (AssayPage *page, const char *table)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);

  if (g_strcmp0 (table, "gen_records") == 0)
    assay_gen_list_refresh (self->list);
}

static void
assay_traces_page_datasets_changed (AssayPage *page)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);

  refresh_datasets (self);
  self->want = self->record != NULL ? self->record->id : 0;
  load_list (self);
}

static void
assay_traces_page_focus_content (AssayPage *page)
{
  /* the trace list: arrows move from trace to trace; Tab goes on to the tokens */
  AssayTracesPage *self = ASSAY_TRACES_PAGE (page);
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

static void
assay_traces_page_dispose (GObject *object)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (object);

  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->trace_cancellable != NULL)
    g_cancellable_cancel (self->trace_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->trace_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_TRACES_PAGE);
  G_OBJECT_CLASS (assay_traces_page_parent_class)->dispose (object);
}

static void
assay_traces_page_finalize (GObject *object)
{
  AssayTracesPage *self = ASSAY_TRACES_PAGE (object);

  g_clear_pointer (&self->record, assay_gen_record_free);
  g_clear_pointer (&self->tokens[0], assay_trace_tokens_free);
  g_clear_pointer (&self->tokens[1], assay_trace_tokens_free);
  g_clear_pointer (&self->run_ids, g_array_unref);
  g_clear_pointer (&self->dataset_ids, g_array_unref);
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_free (self->policy);
  g_free (self->reference);
  G_OBJECT_CLASS (assay_traces_page_parent_class)->finalize (object);
}

static void
assay_traces_page_class_init (AssayTracesPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AssayPageClass *page_class = ASSAY_PAGE_CLASS (klass);

  object_class->dispose = assay_traces_page_dispose;
  object_class->finalize = assay_traces_page_finalize;
  page_class->workspace_changed = assay_traces_page_workspace_changed;
  page_class->focus_content = assay_traces_page_focus_content;
  page_class->job_finished = assay_traces_page_job_finished;
  page_class->store_changed = assay_traces_page_store_changed;
  page_class->datasets_changed = assay_traces_page_datasets_changed;

  g_type_ensure (ASSAY_TYPE_TOKEN_HEATMAP);
  g_type_ensure (ASSAY_TYPE_CURVE_CHART);
  g_type_ensure (ASSAY_TYPE_WRAP_BOX);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/assay-traces-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, AssayTracesPage, name)
  CHILD (dataset_dropdown);
  CHILD (dataset_list);
  CHILD (search_entry);
  CHILD (wrong_toggle);
  CHILD (run_dropdown);
  CHILD (run_list);
  CHILD (summary_label);
  CHILD (range_spin);
  CHILD (column_view);
  CHILD (question_label);
  CHILD (trace_label);
  CHILD (legend);
  CHILD (legend_range);
  CHILD (legend_labelled);
  CHILD (legend_predicted);
  CHILD (legend_prm);
  CHILD (legend_prm_box);
  CHILD (chosen_title);
  CHILD (heatmap);
  CHILD (rejected_box);
  CHILD (rejected_title);
  CHILD (heatmap_rejected);
  CHILD (token_label);
  CHILD (metrics_label);
  CHILD (chart);
#undef CHILD
  gtk_widget_class_install_action (widget_class, "traces.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "traces.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "traces.credit", NULL, credit_action);
  gtk_widget_class_install_action (widget_class, "traces.finetune", NULL, finetune_action);
}

static void
assay_traces_page_init (AssayTracesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->run_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->dataset_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->list = assay_gen_list_new_custom (ASSAY_TYPE_TRACE_ITEM, make_item, reload_item, self);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->list)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, _("Trace"), "trace", FALSE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, _("OK"), "correct", FALSE, FALSE);
  gtk_column_view_column_set_fixed_width (
    assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, "R", "reward", FALSE, FALSE), 76);
  assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, _("Label"), "label", FALSE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, _("Pred."), "predicted", FALSE, FALSE);
  assay_columns_add (self->column_view, ASSAY_TYPE_TRACE_ITEM, _("Question"), "question", FALSE, TRUE);
  gtk_drawing_area_set_draw_func (self->legend, legend_draw, self, NULL);
  gtk_drawing_area_set_draw_func (self->legend_labelled, swatch_draw, GINT_TO_POINTER (0), NULL);
  gtk_drawing_area_set_draw_func (self->legend_predicted, swatch_draw, GINT_TO_POINTER (1), NULL);
  gtk_drawing_area_set_draw_func (self->legend_prm, prm_swatch_draw, NULL, NULL);
  update_legend (self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (self->run_dropdown, "notify::selected", G_CALLBACK (run_changed_cb), self);
  g_signal_connect (self->dataset_dropdown, "notify::selected", G_CALLBACK (dataset_changed_cb), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->wrong_toggle, "toggled", G_CALLBACK (wrong_toggled_cb), self);
  g_signal_connect (self->range_spin, "value-changed", G_CALLBACK (range_changed_cb), self);
  g_signal_connect (self->heatmap, "cursor-changed", G_CALLBACK (cursor_changed_cb), self);
  g_signal_connect (self->heatmap_rejected, "cursor-changed", G_CALLBACK (cursor_changed_cb), self);

}

AssayPage *
assay_traces_page_new (void)
{
  return g_object_new (ASSAY_TYPE_TRACES_PAGE, "name", "traces", "title", _("Traces"), "icon-name",
                       "assay-traces-symbolic", "empty-title", _("No Reasoning Traces"),
                       "empty-description",
                       _("Token-level DPO credit on reasoning traces: per-token log-ratio of a "
                         "policy to its reference, step rewards, first-error steps and best-of-N "
                         "re-ranking.\n\nImport ProcessBench JSON, candidate JSONL or preference "
                         "pairs."),
                       NULL);
}

guint
assay_traces_page_get_n_traces (AssayTracesPage *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->list));
}

gboolean
assay_traces_page_select_trace (AssayTracesPage *self, gint64 record)
{
  guint position = assay_gen_list_find (self->list, record);

  if (position == G_MAXUINT)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

gint64
assay_traces_page_get_trace (AssayTracesPage *self)
{
  return self->trace;
}

gint64
assay_traces_page_get_run (AssayTracesPage *self)
{
  return self->run;
}

AssayTokenHeatmap *
assay_traces_page_get_heatmap (AssayTracesPage *self, gboolean rejected)
{
  return rejected ? self->heatmap_rejected : self->heatmap;
}

const char *
assay_traces_page_get_metrics_text (AssayTracesPage *self)
{
  return gtk_label_get_text (self->metrics_label);
}

void
assay_traces_page_set_filters (AssayTracesPage *self, gint64 dataset, gboolean wrong, const char *search)
{
  self->updating = TRUE;
  for (guint i = 0; i < self->dataset_ids->len; i++)
    if (g_array_index (self->dataset_ids, gint64, i) == dataset)
      gtk_drop_down_set_selected (self->dataset_dropdown, i);
  self->dataset = dataset;
  gtk_toggle_button_set_active (self->wrong_toggle, wrong);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), search != NULL ? search : "");
  self->updating = FALSE;
  filters_changed (self);
}

const char *
assay_traces_page_get_summary (AssayTracesPage *self)
{
  return gtk_label_get_text (self->summary_label);
}
