/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-generations-page.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-gen-dedup.h"
#include "assay-semantic.h"
#include "assay-gen-errors.h"
#include "assay-label-errors-window.h"
#include "assay-signals-jobs.h"
#include "assay-signals-window.h"
#include "assay-zeroshot-window.h"
#include "assay-gen-export.h"
#include "assay-finetune-dialog.h"
#include "assay-finetune-window.h"
#include "assay-gen-generate-dialog.h"
#include "assay-gen-import-dialog.h"
#include "assay-gen-jobs.h"
#include "assay-gen-list.h"
#include "assay-gen-stats-view.h"
#include "assay-gen-query.h"
#include "assay-json.h"
#include "assay-word-diff.h"
#include "assay-wrap-box.h"

#define DIFF_MAX_CELLS (4u << 20)
#define GRID_MAX_DOCS  60
#define GRID_CELL_CHARS 320

struct _AssayGenerationsPage
{
  AssayPage           parent_instance;

  GtkDropDown        *dataset_dropdown;
  GtkStringList      *dataset_list;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *kind_dropdown;
  GtkStringList      *kind_list;
  GtkDropDown        *model_dropdown;
  GtkStringList      *model_list;
  GtkDropDown        *condition_dropdown;
  GtkStringList      *condition_list;
  GtkDropDown        *rating_dropdown;
  GtkDropDown        *order_dropdown;
  GtkSearchEntry     *search_entry;
  GtkStack           *results_stack;
  AssayGenStatsView  *stats_box;
  GCancellable       *stats_cancellable;
  GtkWidget          *clear_filters_button;
  GtkLabel           *progress_label;
  GtkProgressBar     *progress_bar;
  GtkStackSwitcher   *view_switcher;
  GtkStack           *view_stack;
  GtkScrolledWindow  *list_scroller;
  GtkListView        *list_view;
  GtkLabel           *detail_title;
  GtkLabel           *detail_meta;
  GtkLabel           *context_title;
  GtkLabel           *context_label;
  GtkLabel           *text_title;
  GtkStack           *text_stack;
  GtkLabel           *text_label;
  GtkTextView        *text_view;
  guint               focus_idle;
  GtkWidget          *rejected_box;
  GtkLabel           *rejected_label;
  GtkGrid            *grid;

  AssayGenList       *list;
  GtkSingleSelection *selection;
  GArray             *dataset_ids;
  GPtrArray          *kinds;     /* as in kind_list after "Any kind" */
  GPtrArray          *models;    /* as in model_list after "Any model" */
  GPtrArray          *conditions; /* as in condition_list after "Any label" */
  gint64              dataset;
  AssayGenRecord     *record;    /* shown */
  gboolean            editing;
  guint               diff_chosen, diff_rejected;
  guint               grid_cells;
  guint               reviewed, total;
  GCancellable       *load_cancellable;
  char               *export_format;
  gboolean            export_accepted;
  char               *generate_model; /* the model folder Generate… used last */
  GCancellable       *count_cancellable;
  GCancellable       *choices_cancellable;
  gboolean            grid_dirty; /* records changed while the grid was hidden */
  char               *ranked;       /* a search by meaning: the ids found, best first (JSON) */
  char               *ranked_query; /* its query */
  gint64              ranked_dataset;
  gboolean            updating;
  gboolean            loaded;
  guint               refit_timeout; /* in order of doubt: the label model again, after decisions */
  AssayJob           *refit_job;
  GArray             *refit_queue;   /* gint64: datasets to fit next */
  gboolean            doubt_top;     /* the order just changed: the list starts at its top */
};

G_DEFINE_FINAL_TYPE (AssayGenerationsPage, assay_generations_page, ASSAY_TYPE_PAGE)

static void reload (AssayGenerationsPage *self, gint64 keep);

static void build_stats (AssayGenerationsPage *self);
static void show_record (AssayGenerationsPage *self, gint64 id);
static void build_grid (AssayGenerationsPage *self);

/* The P(good) colour of the record's line follows the style (the rows' badges follow it by their
 * style classes) */
static void
style_changed_cb (AdwStyleManager *manager, GParamSpec *pspec, AssayGenerationsPage *self)
{
  if (self->record != NULL && !self->editing)
    show_record (self, self->record->id);
}

/* P(good) under the label model as a colour: red (likely wrong), orange, green; lighter ones on
 * a dark style */
static const char *
p_good_color (double p)
{
  if (adw_style_manager_get_dark (adw_style_manager_get_default ()))
    return p < 0.25 ? "#ff7b63" : p < 0.75 ? "#ffa348" : "#8ff0a4";
  return p < 0.25 ? "#c01c28" : p < 0.75 ? "#c64600" : "#26a269";
}

/* Keyboard focus on the selected row. GTK 4.8's list view, asked to grab focus, gives it to
 * the row it last tracked, which a reload resets to the first: the review keys then acted on
 * the selected record while the focus ring sat on row 1. The row widgets know their list item
 * (setup_row); the one at the selected position takes the focus itself. */
static void
focus_selected_row (AssayGenerationsPage *self)
{
  guint pos = gtk_single_selection_get_selected (self->selection);

  if (pos != GTK_INVALID_LIST_POSITION)
    for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list_view)); row != NULL;
         row = gtk_widget_get_next_sibling (row))
      {
        GtkWidget   *box = gtk_widget_get_first_child (row);
        GtkListItem *item = box != NULL ? g_object_get_data (G_OBJECT (box), "assay-list-item") : NULL;

        if (item != NULL && gtk_list_item_get_position (item) == pos && gtk_widget_grab_focus (row))
          return;
      }
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static gboolean
focus_idle_cb (gpointer data)
{
  AssayGenerationsPage *self = data;

  self->focus_idle = 0;
  focus_selected_row (self);
  return G_SOURCE_REMOVE;
}

/* The selection moved (j/k, a decision): when the list has the keyboard focus it moves along,
 * once the list has laid out the row (it may have just scrolled into view). */
static void
follow_with_focus (AssayGenerationsPage *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->list_view)) || self->focus_idle != 0)
    return;
  self->focus_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE + 20, focus_idle_cb, self, NULL);
}

/* GTK 4.8 has no gtk_list_view_scroll_to(): its list action does the same */
static void
scroll_to (AssayGenerationsPage *self, guint position)
{
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
}

/* ---- filters --------------------------------------------------------------------------------- */

/* "#N" in the search field goes to record N instead of searching (a lone "#" is its start). */
static gboolean
is_goto (const char *text, gint64 *id)
{
  const char *p = text != NULL ? text : "";
  gint64      n = 0;

  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '#')
    return FALSE;
  while (g_ascii_isspace (*p))
    p++;
  for (; g_ascii_isdigit (*p) && n < G_MAXINT64 / 10 - 10; p++)
    n = n * 10 + (*p - '0');
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    return FALSE;
  if (id != NULL)
    *id = n;
  return TRUE;
}

/* "≈ words" (or "~ words") searches by meaning: the query, or NULL. */
static char *
meaning_query (const char *text)
{
  const char *p = text != NULL ? text : "";

  while (g_ascii_isspace (*p))
    p++;
  if (g_str_has_prefix (p, "\u2248"))
    p += strlen ("\u2248");
  else if (*p == '~')
    p++;
  else
    return NULL;
  return g_strstrip (g_strdup (p));
}

static void
current_filter (AssayGenerationsPage *self, AssayGenFilter *f)
{
  g_autofree char *meaning = NULL;
  guint s = gtk_drop_down_get_selected (self->status_dropdown);
  guint k = gtk_drop_down_get_selected (self->kind_dropdown);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  assay_gen_filter_init (f);
  f->dataset = self->dataset;
  f->status = s >= 1 && s <= 4 ? (int) s - 1 : -1;
  f->kind = k >= 1 && self->kinds != NULL && k - 1 < self->kinds->len
              ? g_ptr_array_index (self->kinds, k - 1)
              : NULL;
  f->search = search != NULL && *search && !is_goto (search, NULL) ? search : NULL;
  f->order = (AssayGenOrder) MIN (gtk_drop_down_get_selected (self->order_dropdown), 2);
  /* by meaning: the ranking found for this very query (Enter runs it), else no text filter */
  if ((meaning = meaning_query (search)) != NULL)
    {
      f->search = NULL;
      if (self->ranked != NULL && g_strcmp0 (meaning, self->ranked_query) == 0 && self->ranked_dataset == self->dataset)
        f->ranked = self->ranked;
    }
  {
    guint m = gtk_drop_down_get_selected (self->model_dropdown);
    guint c = gtk_drop_down_get_selected (self->condition_dropdown);
    guint r = gtk_drop_down_get_selected (self->rating_dropdown);
    if (m >= 1 && self->models != NULL && m - 1 < self->models->len)
      f->model = g_ptr_array_index (self->models, m - 1);
    if (c >= 1 && self->conditions != NULL && c - 1 < self->conditions->len)
      f->condition = g_ptr_array_index (self->conditions, c - 1);
    if (r >= 1 && r <= 5)
      f->min_rating = f->max_rating = (int) r;
    else if (r == 6)
      f->min_rating = 3;
    else if (r == 7)
      {
        f->min_rating = 1;
        f->max_rating = 2;
      }
  }
}

static void
refresh_datasets (AssayGenerationsPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  guint         selected = 0;

  g_clear_pointer (&self->dataset_ids, g_array_unref);
  self->dataset_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_ptr_array_add (names, g_strdup (_("All datasets")));
  {
    gint64 zero = 0;
    g_array_append_val (self->dataset_ids, zero);
  }
  stmt = store != NULL ? assay_store_prepare (store, "SELECT id, name FROM datasets WHERE area = "
                                                     "'gen' AND importing IS NULL ORDER BY id",
                                              NULL)
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
    self->dataset = 0; /* the chosen dataset is gone (deleted in another process) */
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->dataset_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->dataset_list)),
                          (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->dataset_dropdown, selected);
  self->updating = FALSE;
}

/* A dropdown of values (taken) after "any", keeping the chosen one when it is still there */
static void
set_choices (AssayGenerationsPage *self, GtkDropDown *dropdown, GtkStringList *list,
             GPtrArray **values, GPtrArray *fresh, const char *any)
{
  guint            keep = gtk_drop_down_get_selected (dropdown);
  g_autofree char *kept = keep >= 1 && *values != NULL && keep - 1 < (*values)->len
                            ? g_strdup (g_ptr_array_index (*values, keep - 1))
                            : NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint selected = 0;

  g_clear_pointer (values, g_ptr_array_unref);
  *values = fresh;
  g_ptr_array_add (names, (gpointer) any);
  for (guint i = 0; i < fresh->len; i++)
    {
      g_ptr_array_add (names, g_ptr_array_index (fresh, i));
      if (g_strcmp0 (kept, g_ptr_array_index (fresh, i)) == 0)
        selected = i + 1;
    }
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (list, 0, g_list_model_get_n_items (G_LIST_MODEL (list)),
                          (const char *const *) names->pdata);
  gtk_drop_down_set_selected (dropdown, selected);
  gtk_widget_set_sensitive (GTK_WIDGET (dropdown), fresh->len > 0);
  self->updating = FALSE;
}

/* What the filters can choose from in a dataset, and whether it has GenCo generations */
typedef struct
{
  GPtrArray *kinds, *models, *conditions;
  gboolean   genco;
} Choices;

static void
choices_free (Choices *c)
{
  g_clear_pointer (&c->kinds, g_ptr_array_unref);
  g_clear_pointer (&c->models, g_ptr_array_unref);
  g_clear_pointer (&c->conditions, g_ptr_array_unref);
  g_free (c);
}

static gpointer
read_choices (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  gint64        dataset = *(gint64 *) data;
  Choices      *c = g_new0 (Choices, 1);
  sqlite3_stmt *stmt;

  c->kinds = assay_gen_distinct (store, dataset, "kind");
  c->models = assay_gen_distinct (store, dataset, "model");
  c->conditions = assay_gen_distinct (store, dataset, "condition");
  stmt = assay_store_prepare (store, "SELECT EXISTS (SELECT 1 FROM gen_records WHERE kind IN "
                                     "('rewrite', 'elaboration') AND (?1 = 0 OR dataset_id = ?1) AND "
                                     ASSAY_DATASET_VISIBLE ("dataset_id") ")",
                              NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, dataset);
      c->genco = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0);
      sqlite3_reset (stmt);
    }
  return c;
}

static void
choices_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  Choices              *c = result;
  AssayGenFilter        before, after;
  g_autofree char      *kind = NULL, *model = NULL, *condition = NULL;

  if (c == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  current_filter (self, &before);
  kind = g_strdup (before.kind);
  model = g_strdup (before.model);
  condition = g_strdup (before.condition);
  set_choices (self, self->kind_dropdown, self->kind_list, &self->kinds,
               g_steal_pointer (&c->kinds), _("Any kind"));
  set_choices (self, self->model_dropdown, self->model_list, &self->models,
               g_steal_pointer (&c->models), _("Any model"));
  set_choices (self, self->condition_dropdown, self->condition_list, &self->conditions,
               g_steal_pointer (&c->conditions), _("Any label"));
  gtk_widget_set_visible (GTK_WIDGET (self->view_switcher), c->genco);
  if (!c->genco)
    gtk_stack_set_visible_child_name (self->view_stack, "review");
  self->grid_dirty = TRUE;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "grid") == 0)
    build_grid (self);
  choices_free (c);
  /* a choice the new dataset lacks fell back to "any": the list follows */
  current_filter (self, &after);
  if (g_strcmp0 (kind, after.kind) != 0 || g_strcmp0 (model, after.model) != 0
      || g_strcmp0 (condition, after.condition) != 0)
    reload (self, self->record != NULL ? self->record->id : 0);
}

static void
refresh_choices (AssayGenerationsPage *self)
{
  gint64 *dataset = g_new (gint64, 1);

  *dataset = self->dataset;
  assay_page_load (ASSAY_PAGE (self), &self->choices_cancellable, "[assay] generation choices",
                   read_choices, choices_done, dataset, g_free, (GDestroyNotify) choices_free);
}

static void
show_progress (AssayGenerationsPage *self, const guint counts[4])
{
  g_autofree char *text = NULL;

  self->total = counts[0] + counts[1] + counts[2] + counts[3];
  self->reviewed = self->total - counts[ASSAY_GEN_PENDING];
  text = g_strdup_printf (_("%u of %u reviewed · %u ✓ %u ✗ %u ✎"), self->reviewed, self->total,
                          counts[ASSAY_GEN_ACCEPTED], counts[ASSAY_GEN_REJECTED],
                          counts[ASSAY_GEN_EDITED]);
  gtk_label_set_text (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 self->total > 0 ? (double) self->reviewed / self->total : 0);
}

static gpointer
read_counts (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  guint *counts = g_new0 (guint, 4);

  if (!assay_gen_count_status (store, data, counts, error))
    g_clear_pointer (&counts, g_free);
  return counts;
}

static void
counts_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  if (result != NULL)
    show_progress (ASSAY_GENERATIONS_PAGE (page), result);
  g_free (result);
}

/* Counted again after a decision, off the main thread (a GROUP BY over the filter's records) */
static void
update_progress (AssayGenerationsPage *self)
{
  AssayGenFilter f;

  current_filter (self, &f);
  assay_page_load (ASSAY_PAGE (self), &self->count_cancellable, "[assay] generation counts",
                   read_counts, counts_done, assay_gen_filter_dup (&f),
                   (GDestroyNotify) assay_gen_filter_free, g_free);
}

/* ---- the GenCo grid -------------------------------------------------------------------------- */

static void
clear_grid (AssayGenerationsPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  self->grid_cells = 0;
}

static GtkWidget *
grid_label (const char *text, gboolean header)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 36);
  gtk_label_set_width_chars (GTK_LABEL (label), 24);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (header)
    gtk_widget_add_css_class (label, "heading");
  return label;
}

/* Rows: the source documents; columns: the condition labels ("—" for plain elaborations);
 * cells: the generations, coloured by review status (like the thesis' Table 3.6). */
static void
build_grid (AssayGenerationsPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GHashTable) docs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) label_order = g_ptr_array_new ();
  sqlite3_stmt *stmt;
  guint         n_docs = 0;
  gboolean      any = FALSE;

  clear_grid (self);
  self->grid_dirty = FALSE;
  if (store == NULL)
    return;
  stmt = assay_store_prepare (
    store,
    "SELECT coalesce (json_extract (extra, '$.doc_id'), source), source, "
    "coalesce (condition, ?2), coalesce (edited, text), status FROM gen_records "
    "WHERE kind IN ('rewrite', 'elaboration') AND (?1 = 0 OR dataset_id = ?1) "
    "AND " ASSAY_DATASET_VISIBLE ("dataset_id") " ORDER BY id LIMIT 20000",
    NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, self->dataset);
  sqlite3_bind_text (stmt, 2, _("Elaboration (no label)"), -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *doc = (const char *) sqlite3_column_text (stmt, 0);
      const char *label = (const char *) sqlite3_column_text (stmt, 2);
      const char *text = (const char *) sqlite3_column_text (stmt, 3);
      const char *status = (const char *) sqlite3_column_text (stmt, 4);
      gpointer    row, col;
      GtkWidget  *cell, *existing;
      if (doc == NULL || text == NULL)
        continue;
      if (!g_hash_table_lookup_extended (docs, doc, NULL, &row))
        {
          const char      *source = (const char *) sqlite3_column_text (stmt, 1);
          g_autofree char *head = NULL;
          if (n_docs >= GRID_MAX_DOCS)
            continue;
          row = GUINT_TO_POINTER (++n_docs);
          g_hash_table_insert (docs, g_strdup (doc), row);
          head = g_utf8_substring (source != NULL ? source : doc, 0,
                                   MIN (g_utf8_strlen (source != NULL ? source : doc, -1), 200));
          {
            GtkWidget *label = grid_label (head, FALSE);
            gtk_label_set_selectable (GTK_LABEL (label), FALSE);
            gtk_grid_attach (self->grid, label, 0, (int) n_docs, 1, 1);
          }
        }
      if (!g_hash_table_lookup_extended (labels, label, NULL, &col))
        {
          col = GUINT_TO_POINTER (label_order->len + 1);
          g_hash_table_insert (labels, g_strdup (label), col);
          g_ptr_array_add (label_order, (gpointer) label);
          gtk_grid_attach (self->grid, grid_label (label, TRUE), GPOINTER_TO_INT (col), 0, 1, 1);
        }
      existing = gtk_grid_get_child_at (self->grid, GPOINTER_TO_INT (col), GPOINTER_TO_INT (row));
      if (existing != NULL)
        continue; /* the first generation per cell */
      {
        g_autofree char *head = g_utf8_strlen (text, -1) > GRID_CELL_CHARS ? g_utf8_substring (text, 0, GRID_CELL_CHARS)
                                                                           : NULL;
        g_autofree char *shown = head != NULL ? g_strconcat (head, "…", NULL) : g_strdup (text);
        cell = grid_label (shown, FALSE);
      }
      gtk_widget_add_css_class (cell, "gen-cell");
      if (status != NULL && !g_str_equal (status, "pending"))
        gtk_widget_add_css_class (cell, status);
      gtk_grid_attach (self->grid, cell, GPOINTER_TO_INT (col), GPOINTER_TO_INT (row), 1, 1);
      self->grid_cells++;
      any = TRUE;
    }
  sqlite3_reset (stmt);
  if (any)
    gtk_grid_attach (self->grid, grid_label (_("Document"), TRUE), 0, 0, 1, 1);
}

/* ---- loading the list ------------------------------------------------------------------------ */

typedef struct
{
  AssayGenFilter *filter;
  gint64          keep;
  gint64          fallback; /* "#N": where to stay when the view does not hold record N */
  gboolean        go;
} LoadData;

static void
load_data_free (LoadData *d)
{
  assay_gen_filter_free (d->filter);
  g_free (d);
}

typedef struct
{
  GArray *ids;       /* the records the filter selects */
  guint   counts[4]; /* per status, under the filter without its status */
} Loaded;

static void
loaded_free (Loaded *l)
{
  g_clear_pointer (&l->ids, g_array_unref);
  g_free (l);
}

static gpointer
read_records (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  LoadData *d = data;
  Loaded   *l = g_new0 (Loaded, 1);

  l->ids = assay_gen_query_ids (store, d->filter, error);
  if (l->ids == NULL || !assay_gen_count_status (store, d->filter, l->counts, error))
    {
      loaded_free (l);
      return NULL;
    }
  return l;
}

static void
load_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  LoadData             *d = data;
  Loaded               *l = result;
  guint                 position;

  if (l == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  self->updating = TRUE;
  assay_gen_list_set (self->list, assay_page_get_store (page), g_steal_pointer (&l->ids));
  position = d->keep != 0 ? assay_gen_list_find (self->list, d->keep) : G_MAXUINT;
  if (position == G_MAXUINT && d->go)
    {
      g_autofree char *msg = g_strdup_printf (_("Record #%" G_GINT64_FORMAT " is not in this view: "
                                                "another dataset, or the filters leave it out"),
                                              d->keep);
      assay_page_toast (page, msg);
      position = d->fallback != 0 ? assay_gen_list_find (self->list, d->fallback) : G_MAXUINT;
    }
  if (position == G_MAXUINT && g_list_model_get_n_items (G_LIST_MODEL (self->list)) > 0)
    position = 0;
  gtk_single_selection_set_selected (self->selection, position == G_MAXUINT
                                                        ? GTK_INVALID_LIST_POSITION : position);
  self->updating = FALSE;
  show_record (self, position != G_MAXUINT ? assay_gen_list_get_id (self->list, position) : 0);
  if (position != G_MAXUINT)
    scroll_to (self, position);
  /* filters that match nothing say so, with the way back */
  gtk_stack_set_visible_child_name (self->results_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->list)) > 0 ? "records" : "none");
  show_progress (self, l->counts);
  loaded_free (l);
  self->loaded = TRUE;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "stats") == 0)
    build_stats (self);
}

static void
reload_full (AssayGenerationsPage *self, gint64 keep, gint64 fallback, gboolean go)
{
  AssayGenFilter f;
  LoadData      *d = g_new (LoadData, 1);

  current_filter (self, &f);
  d->filter = assay_gen_filter_dup (&f);
  d->keep = keep;
  d->fallback = fallback;
  d->go = go;
  assay_page_load (ASSAY_PAGE (self), &self->load_cancellable, "[assay] generation records",
                   read_records, load_done, d, (GDestroyNotify) load_data_free,
                   (GDestroyNotify) loaded_free);
}

static void
reload (AssayGenerationsPage *self, gint64 keep)
{
  reload_full (self, keep, 0, FALSE);
}

/* ---- the detail pane ------------------------------------------------------------------------- */

/* Markup helpers: the detail pane shows texts in wrapping labels (exact height for their
 * width), with spans for highlights and differences. */
#define SPAN_LABEL     "<span size='small' weight='bold' foreground='#77767b'>"
#define SPAN_HIGHLIGHT "<span background='#f6d32d' foreground='#241f31'>"
#define SPAN_CONDITION "<span weight='bold' foreground='#1c71d8'>"
#define SPAN_CHOSEN    "<span background='#8ff0a4' foreground='#241f31'>"
#define SPAN_REJECTED  "<span background='#f66151' foreground='#ffffff'>"
#define SPAN_ERROR     "<span background='#ffbe6f' foreground='#241f31'>"
#define SPAN_ERROR_TAG "<span size='small' weight='bold' foreground='#c01c28'>"

static void
add_escaped (GString *m, const char *text, gssize len)
{
  g_autofree char *e = g_markup_escape_text (text != NULL ? text : "", text != NULL ? len : 0);
  g_string_append (m, e);
}

static void
add_span (GString *m, const char *open, const char *text)
{
  g_string_append (m, open);
  add_escaped (m, text, -1);
  g_string_append (m, "</span>");
}

/* text with the byte spans wrapped in open ... </span> */
static char *
markup_spans (const char *text, GArray *spans, const char *open)
{
  GString *m = g_string_new (NULL);
  gsize    at = 0;

  for (guint i = 0; spans != NULL && i < spans->len; i++)
    {
      AssayDiffSpan *sp = &g_array_index (spans, AssayDiffSpan, i);
      add_escaped (m, text + at, (gssize) (sp->start - at));
      g_string_append (m, open);
      add_escaped (m, text + sp->start, (gssize) (sp->end - sp->start));
      g_string_append (m, "</span>");
      at = sp->end;
    }
  add_escaped (m, text + at, -1);
  return g_string_free (m, FALSE);
}

static void
show_context (AssayGenerationsPage *self, AssayGenRecord *r)
{
  const char *analysis = r->extra != NULL ? assay_json_get_string (r->extra, "analysis", NULL) : NULL;
  GString    *m = g_string_new (NULL);

#define SECTION(title)                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (m->len > 0)                                                                              \
        g_string_append (m, "\n\n");                                                               \
      add_span (m, SPAN_LABEL, title);                                                             \
      g_string_append_c (m, '\n');                                                                 \
    }                                                                                              \
  while (0)
  if (r->source != NULL)
    {
      const char *hl = r->highlight != NULL && *r->highlight ? strstr (r->source, r->highlight) : NULL;
      SECTION (r->highlight != NULL ? _("Passage") : _("Source"));
      if (hl != NULL)
        {
          add_escaped (m, r->source, hl - r->source);
          add_span (m, SPAN_HIGHLIGHT, r->highlight);
          add_escaped (m, hl + strlen (r->highlight), -1);
        }
      else
        add_escaped (m, r->source, -1);
    }
  if (r->highlight != NULL && (r->source == NULL || strstr (r->source, r->highlight) == NULL))
    {
      SECTION (_("Sentence"));
      add_span (m, SPAN_HIGHLIGHT, r->highlight);
    }
  if (r->condition != NULL)
    {
      SECTION (_("Condition"));
      add_span (m, SPAN_CONDITION, r->condition);
    }
  if (analysis != NULL)
    {
      SECTION (_("Analysis"));
      add_escaped (m, analysis, -1);
    }
  if (r->prompt != NULL)
    {
      SECTION (g_str_equal (r->kind, "qa") || g_str_equal (r->kind, "trace") ? _("Question")
                                                                              : _("Prompt"));
      add_escaped (m, r->prompt, -1);
    }
#undef SECTION
  gtk_label_set_markup (self->context_label, m->str);
  gtk_widget_set_visible (GTK_WIDGET (self->context_label), m->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->context_title), m->len > 0);
  g_string_free (m, TRUE);
}

static void
show_trace (AssayGenerationsPage *self, AssayGenRecord *r)
{
  GString *m = g_string_new (NULL);

  for (guint i = 0; r->steps[i] != NULL; i++)
    {
      g_autofree char *head = g_strdup_printf (_("Step %u"), i + 1);
      gboolean         first_error = (int) i == r->step_label;
      if (i > 0)
        g_string_append (m, "\n\n");
      add_span (m, SPAN_LABEL, head);
      if (first_error)
        add_span (m, SPAN_ERROR_TAG, _("  first error (label)"));
      g_string_append_c (m, '\n');
      if (first_error)
        add_span (m, SPAN_ERROR, r->steps[i]);
      else
        add_escaped (m, r->steps[i], -1);
    }
  gtk_label_set_markup (self->text_label, m->str);
  g_string_free (m, TRUE);
}

static void
show_record (AssayGenerationsPage *self, gint64 id)
{
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  AssayGenRecord  *r = NULL;
  g_autofree char *title = NULL;
  GString         *meta;
  gboolean         pair;

  self->editing = FALSE;
  gtk_stack_set_visible_child_name (self->text_stack, "show");
  g_clear_pointer (&self->record, assay_gen_record_free);
  self->diff_chosen = self->diff_rejected = 0;
  if (store != NULL && id > 0)
    r = assay_gen_record_load (store, id, &error);
  if (r == NULL)
    {
      gtk_label_set_text (self->detail_title, g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0
                                                ? _("No records match the filters")
                                                : "");
      gtk_label_set_text (self->detail_meta, "");
      gtk_label_set_text (self->text_label, "");
      gtk_label_set_text (self->context_label, "");
      gtk_widget_set_visible (self->rejected_box, FALSE);
      return;
    }
  self->record = r;
  pair = r->rejected != NULL;
  title = g_markup_printf_escaped ("%s <span alpha='60%%'>#%lld</span>", r->kind, (long long) r->id);
  gtk_label_set_markup (self->detail_title, title);

  meta = g_string_new (NULL);
  {
    static const char *colors[] = { "#9a9996", "#26a269", "#c01c28", "#1c71d8" };
    g_autofree char   *s = g_markup_printf_escaped ("<span foreground='%s' weight='bold'>%s</span>",
                                                    colors[r->status], assay_gen_status_name (r->status));
    g_string_append (meta, s);
  }
  if (r->rating > 0)
    {
      g_string_append (meta, " · <span foreground='#e5a50a'>");
      for (int i = 0; i < 5; i++)
        g_string_append (meta, i < r->rating ? "★" : "☆");
      g_string_append (meta, "</span>");
    }
  if (r->model != NULL)
    {
      g_autofree char *s = g_markup_printf_escaped (" · %s", r->model);
      g_string_append (meta, s);
    }
  if (r->ext_id != NULL)
    {
      g_autofree char *s = g_markup_printf_escaped (" · id %s", r->ext_id);
      g_string_append (meta, s);
    }
  if (r->correct >= 0)
    g_string_append (meta, r->correct ? _(" · final answer correct") : _(" · final answer wrong"));
  {
    /* the label model's belief, coloured from red (likely wrong) to green */
    double p = assay_signals_record_p_good (store, r->id);
    if (isfinite (p))
      {
        g_autofree char *s = g_markup_printf_escaped (_(" · <span foreground='%s' weight='bold'>P(good) %.2f</span>"),
                                                      p_good_color (p), p);
        g_string_append (meta, s);
      }
  }
  if (r->scores != NULL)
    {
      g_autoptr (GList) keys = json_object_get_members (r->scores);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          JsonNode        *n = json_object_get_member (r->scores, l->data);
          g_autofree char *v = JSON_NODE_HOLDS_VALUE (n) ? assay_json_node_to_string (n, FALSE) : NULL;
          g_autofree char *s = v != NULL ? g_markup_printf_escaped (" · %s %s", (char *) l->data, v) : NULL;
          if (s != NULL)
            g_string_append (meta, s);
        }
    }
  /* how a record made in Assay was made: the line says the template and the settings, the
   * tooltip all of the provenance (model folder, config hash, ...) */
  if (r->params != NULL && g_strcmp0 (assay_json_get_string (r->params, "generator", NULL), "assay") == 0)
    {
      g_autofree char *s = g_markup_printf_escaped (
        _(" · %s, T %.2g, top-p %.2g, seed %lld, answer %lld (%s)"),
        assay_json_get_string (r->params, "template", "?"), assay_json_get_double (r->params, "temperature", 0),
        assay_json_get_double (r->params, "top_p", 1), (long long) assay_json_get_int (r->params, "seed", 0),
        (long long) assay_json_get_int (r->params, "candidate", 0) + 1,
        assay_json_get_string (r->params, "finish_reason", "?"));
      g_autofree char *tip = assay_json_object_to_string (r->params, TRUE);
      g_string_append (meta, s);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->detail_meta), tip);
    }
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->detail_meta), NULL);
  gtk_label_set_markup (self->detail_meta, meta->str);
  g_string_free (meta, TRUE);

  show_context (self, r);
  gtk_widget_set_visible (self->rejected_box, pair);
  gtk_label_set_text (self->text_title, pair ? _("Chosen")
                                        : r->steps != NULL ? _("Reasoning steps")
                                        : r->edited != NULL ? _("Generation (edited)")
                                                            : _("Generation"));
  if (r->steps != NULL && r->edited == NULL)
    show_trace (self, r);
  else if (!pair)
    {
      g_autofree char *m = markup_spans (assay_gen_record_final_text (r), NULL, NULL);
      gtk_label_set_markup (self->text_label, m);
    }
  if (pair)
    {
      g_autoptr (GArray) sa = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
      g_autoptr (GArray) sb = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
      const char      *chosen = assay_gen_record_final_text (r);
      g_autofree char *ma = NULL, *mb = NULL;
      if (assay_word_diff (chosen, r->rejected, DIFF_MAX_CELLS, sa, sb))
        {
          self->diff_chosen = sa->len;
          self->diff_rejected = sb->len;
        }
      ma = markup_spans (chosen, sa, SPAN_CHOSEN);
      mb = markup_spans (r->rejected, sb, SPAN_REJECTED);
      gtk_label_set_markup (self->text_label, ma);
      gtk_label_set_markup (self->rejected_label, mb);
    }
}

/* ---- decisions ------------------------------------------------------------------------------- */

static void
move (AssayGenerationsPage *self, int delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint pos = gtk_single_selection_get_selected (self->selection);
  guint next;

  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    next = 0;
  else if (delta < 0)
    next = pos > 0 ? pos - 1 : 0;
  else
    next = MIN (pos + 1, n - 1);
  gtk_single_selection_set_selected (self->selection, next);
  scroll_to (self, next);
  follow_with_focus (self);
}

static void
decided (AssayGenerationsPage *self, gboolean ok, GError *error, gboolean advance)
{
  if (!ok)
    {
      assay_page_toast (ASSAY_PAGE (self), error != NULL ? error->message : _("Could not save"));
      return;
    }
  if (advance)
    move (self, +1);
}

static void
begin_edit (AssayGenerationsPage *self)
{
  if (self->record == NULL)
    return;
  self->editing = TRUE;
  /* edit the text itself (a trace's steps as one text) */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view),
                            assay_gen_record_final_text (self->record) != NULL
                              ? assay_gen_record_final_text (self->record) : "", -1);
  gtk_stack_set_visible_child_name (self->text_stack, "edit");
  gtk_label_set_text (self->text_title, _("Editing — Ctrl+Enter saves, Esc cancels"));
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
finish_edit (AssayGenerationsPage *self, gboolean save)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  gint64      id = self->record != NULL ? self->record->id : 0;

  if (!self->editing)
    return;
  self->editing = FALSE;
  if (save && store != NULL && id > 0)
    {
      GtkTextIter      a, b;
      g_autofree char *text = NULL;
      gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (self->text_view), &a, &b);
      text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (self->text_view), &a, &b, FALSE);
      if (g_strcmp0 (text, assay_gen_record_final_text (self->record)) != 0)
        {
          gboolean ok = assay_gen_set_edited (store, id, text, &error);
          decided (self, ok, error, FALSE);
        }
    }
  focus_selected_row (self);
  show_record (self, id);
}

/* n: the next record still pending after the one shown, in this view's filter (wrapping) */
static void
next_pending (AssayGenerationsPage *self)
{
  AssayStore     *store = assay_page_get_store (ASSAY_PAGE (self));
  AssayGenFilter  f;
  g_autoptr (GError) error = NULL;
  gint64          next;
  guint           pos;

  if (store == NULL)
    return;
  current_filter (self, &f);
  if (f.status >= 0 && f.status != ASSAY_GEN_PENDING)
    {
      assay_page_toast (ASSAY_PAGE (self), _("The status filter hides pending records"));
      return;
    }
  f.status = ASSAY_GEN_PENDING;
  next = assay_gen_query_next (store, &f, self->record != NULL ? self->record->id : 0, &error);
  if (next < 0)
    {
      assay_page_toast (ASSAY_PAGE (self), error->message);
      return;
    }
  if (next == 0 || (pos = assay_gen_list_find (self->list, next)) == G_MAXUINT)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Nothing left to review here"));
      return;
    }
  gtk_single_selection_set_selected (self->selection, pos);
  scroll_to (self, pos);
  follow_with_focus (self);
}

gboolean
assay_generations_page_key (AssayGenerationsPage *self, guint keyval, GdkModifierType state)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  gint64      id = self->record != NULL ? self->record->id : 0;
  gboolean    ok;

  state &= gtk_accelerator_get_default_mod_mask ();
  if (self->editing)
    {
      if (keyval == GDK_KEY_Escape)
        finish_edit (self, FALSE);
      else if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_CONTROL_MASK))
        finish_edit (self, TRUE);
      else
        return FALSE;
      return TRUE;
    }
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_j:
    case GDK_KEY_space:
      move (self, +1);
      return TRUE;
    case GDK_KEY_k:
      move (self, -1);
      return TRUE;
    case GDK_KEY_slash:
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
      return TRUE;
    case GDK_KEY_n:
      next_pending (self);
      return TRUE;
    case GDK_KEY_numbersign:
      /* # then the record's number: the search field goes there */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "#");
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
      gtk_editable_set_position (GTK_EDITABLE (self->search_entry), -1);
      return TRUE;
    default:
      break;
    }
  if (store == NULL || id == 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_a:
      ok = assay_gen_set_status (store, id, ASSAY_GEN_ACCEPTED, &error);
      decided (self, ok, error, TRUE);
      return TRUE;
    case GDK_KEY_x:
      ok = assay_gen_set_status (store, id, ASSAY_GEN_REJECTED, &error);
      decided (self, ok, error, TRUE);
      return TRUE;
    case GDK_KEY_e:
      begin_edit (self);
      return TRUE;
    case GDK_KEY_Delete:
      {
        /* the record goes (with its token credit), undoable; the list follows through
         * store_changed, which opens it on the record after */
        if (!assay_gen_delete (store, &id, 1, &error))
          {
            decided (self, FALSE, error, FALSE);
            return TRUE;
          }
        {
          g_autofree char *msg = g_strdup_printf (_("Record #%lld deleted (Ctrl+Z undoes)"), (long long) id);
          assay_page_toast (ASSAY_PAGE (self), msg);
        }
        return TRUE;
      }
    case GDK_KEY_1:
    case GDK_KEY_2:
    case GDK_KEY_3:
    case GDK_KEY_4:
    case GDK_KEY_5:
    case GDK_KEY_KP_1:
    case GDK_KEY_KP_2:
    case GDK_KEY_KP_3:
    case GDK_KEY_KP_4:
    case GDK_KEY_KP_5:
      {
        int rating = keyval >= GDK_KEY_KP_1 ? (int) (keyval - GDK_KEY_KP_0) : (int) (keyval - GDK_KEY_0);
        ok = assay_gen_set_rating (store, id, rating, &error);
        decided (self, ok, error, FALSE);
        return TRUE;
      }
    default:
      return FALSE;
    }
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
                GdkModifierType state, AssayGenerationsPage *self)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));

  /* typing into the search field or an edit goes there */
  if (!self->editing && focus != NULL
      && (GTK_IS_EDITABLE (focus) || gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) != NULL
          || (GTK_IS_TEXT_VIEW (focus) && gtk_text_view_get_editable (GTK_TEXT_VIEW (focus)))))
    {
      if (keyval == GDK_KEY_Escape)
        {
          /* Esc clears the search (the place is kept), then leaves the field */
          if (gtk_widget_is_ancestor (focus, GTK_WIDGET (self->search_entry))
              && *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0')
            gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
          focus_selected_row (self);
          return TRUE;
        }
      return FALSE;
    }
  if (gtk_stack_get_visible_child_name (self->view_stack) != NULL
      && !g_str_equal (gtk_stack_get_visible_child_name (self->view_stack), "review"))
    return FALSE;
  return assay_generations_page_key (self, keyval, state);
}

/* ---- list rows ------------------------------------------------------------------------------- */

static void
update_row (GtkListItem *item)
{
  AssayGenItem *row = gtk_list_item_get_item (item);
  GtkWidget    *box = gtk_list_item_get_child (item);
  GtkWidget    *strip = gtk_widget_get_first_child (box);
  GtkWidget    *texts = gtk_widget_get_next_sibling (strip);
  GtkLabel     *title = GTK_LABEL (gtk_widget_get_first_child (texts));
  GtkLabel     *sub = GTK_LABEL (gtk_widget_get_next_sibling (GTK_WIDGET (title)));
  GtkWidget    *p_good = gtk_widget_get_next_sibling (texts);
  GString      *s;

  if (row == NULL)
    return;
  {
    /* change the status class only when it changes: each change restyles the strip */
    const char *status = assay_gen_status_name (assay_gen_item_get_status (row));
    const char *shown = g_object_get_data (G_OBJECT (strip), "status");
    if (g_strcmp0 (shown, status) != 0)
      {
        if (shown != NULL)
          gtk_widget_remove_css_class (strip, shown);
        gtk_widget_add_css_class (strip, status);
        g_object_set_data (G_OBJECT (strip), "status", (gpointer) status); /* static string */
      }
  }
  gtk_label_set_text (title, assay_gen_item_get_snippet (row) != NULL ? assay_gen_item_get_snippet (row) : "");
  s = g_string_new (NULL);
  {
    /* the label model's belief */
    static const char *const classes[] = { "error", "warning", "success" };
    double p = assay_gen_item_get_p_good (row);
    gtk_widget_set_visible (p_good, isfinite (p));
    if (isfinite (p))
      {
        g_autofree char *text = g_strdup_printf ("%.2f", p);
        gtk_label_set_text (GTK_LABEL (p_good), text);
        for (int c = 0; c < 3; c++)
          if ((c == 0 && p < 0.25) || (c == 1 && p >= 0.25 && p < 0.75) || (c == 2 && p >= 0.75))
            gtk_widget_add_css_class (p_good, classes[c]);
          else
            gtk_widget_remove_css_class (p_good, classes[c]);
      }
  }
  {
    g_autofree char *kind = g_markup_escape_text (assay_gen_item_get_kind (row) != NULL ? assay_gen_item_get_kind (row) : "?", -1);
    g_string_append_printf (s, "%s · #%lld", kind, (long long) assay_gen_item_get_id (row));
  }
  if (assay_gen_item_get_rating (row) > 0)
    {
      g_string_append (s, " · ");
      for (int i = 0; i < assay_gen_item_get_rating (row); i++)
        g_string_append (s, "★");
    }
  if (assay_gen_item_get_prompt (row) != NULL && *assay_gen_item_get_prompt (row))
    {
      g_autofree char *prompt = g_markup_escape_text (assay_gen_item_get_prompt (row), -1);
      g_string_append_printf (s, " · %s", prompt);
    }
  gtk_label_set_markup (sub, s->str);
  g_string_free (s, TRUE);
}

static void
row_notify_cb (GObject *row, GParamSpec *pspec, GtkListItem *item)
{
  update_row (item);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *strip = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *sub = gtk_label_new (NULL);

  gtk_widget_add_css_class (strip, "gen-strip");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (title), TRUE);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (sub), TRUE);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), title);
  gtk_box_append (GTK_BOX (texts), sub);
  gtk_box_append (GTK_BOX (box), strip);
  gtk_box_append (GTK_BOX (box), texts);
  {
    /* P(good) under the label model, coloured by the style's error / warning / success */
    GtkWidget *p_good = gtk_label_new (NULL);
    gtk_widget_add_css_class (p_good, "caption-heading");
    gtk_widget_add_css_class (p_good, "numeric");
    gtk_widget_set_valign (p_good, GTK_ALIGN_CENTER);
    gtk_widget_set_visible (p_good, FALSE);
    gtk_box_append (GTK_BOX (box), p_good);
  }
  gtk_list_item_set_child (item, box);
  g_object_set_data (G_OBJECT (box), "assay-list-item", item); /* for focus_selected_row */
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GObject *row = gtk_list_item_get_item (item);

  update_row (item);
  g_signal_connect (row, "notify", G_CALLBACK (row_notify_cb), item);
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GObject *row = gtk_list_item_get_item (item);

  if (row != NULL)
    g_signal_handlers_disconnect_by_func (row, row_notify_cb, item);
}

/* ---- signals --------------------------------------------------------------------------------- */

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AssayGenerationsPage *self)
{
  guint pos = gtk_single_selection_get_selected (selection);

  if (self->updating)
    return;
  if (self->editing)
    finish_edit (self, TRUE); /* moving away keeps the edit */
  show_record (self, pos != GTK_INVALID_LIST_POSITION ? assay_gen_list_get_id (self->list, pos) : 0);
}

/* ---- order of doubt: the label model fitted again as the reviewer decides ------------------- */

/* The dataset whose label model the view means: the one chosen, else the record shown's */
static gint64
dataset_in_view (AssayGenerationsPage *self)
{
  return self->dataset > 0 ? self->dataset : self->record != NULL ? self->record->dataset : 0;
}

/* A label model is per dataset: with "All datasets", each dataset in the view has its own */
static gboolean
doubt_order (AssayGenerationsPage *self)
{
  return gtk_drop_down_get_selected (self->order_dropdown) > 0;
}

static void refit_next (AssayGenerationsPage *self);

static void
refit_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  g_clear_object (&self->refit_job);
  if (assay_job_get_state (job) == ASSAY_JOB_FAILED && assay_job_get_error (job) != NULL)
    assay_page_toast (ASSAY_PAGE (self), assay_job_get_error (job)->message);
  if (self->refit_queue->len > 0)
    {
      refit_next (self);
      return;
    }
  /* all fitted: the new order, on the record shown (at its top when the order was just chosen) */
  if (doubt_order (self) && !self->editing)
    reload (self, self->doubt_top ? 0 : self->record != NULL ? self->record->id : 0);
  else if (self->record != NULL && !self->editing)
    show_record (self, self->record->id);
  self->doubt_top = FALSE;
}

static void
refit_next (AssayGenerationsPage *self)
{
  g_autoptr (AssayJob) job = NULL;
  gint64 dataset;

  if (self->refit_job != NULL || self->refit_queue->len == 0)
    return;
  dataset = g_array_index (self->refit_queue, gint64, 0);
  g_array_remove_index (self->refit_queue, 0);
  job = assay_signals_fit_job_new (dataset, NULL);
  self->refit_job = g_object_ref (job);
  g_signal_connect_object (job, "finished", G_CALLBACK (refit_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
refit (AssayGenerationsPage *self, gint64 dataset)
{
  for (guint i = 0; i < self->refit_queue->len; i++)
    if (g_array_index (self->refit_queue, gint64, i) == dataset)
      return;
  if (dataset > 0)
    g_array_append_val (self->refit_queue, dataset);
  refit_next (self);
}

/* The datasets in view that have no fit yet */
static void
fit_missing (AssayGenerationsPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));

  if (store == NULL || !doubt_order (self) || self->dataset_ids == NULL)
    return;
  for (guint i = 1; i < self->dataset_ids->len; i++)
    {
      gint64 d = g_array_index (self->dataset_ids, gint64, i);
      if ((self->dataset == 0 || d == self->dataset) && assay_signals_current_run (store, d) == 0)
        refit (self, d);
    }
}

static gboolean
refit_timeout_cb (gpointer data)
{
  AssayGenerationsPage *self = data;

  self->refit_timeout = 0;
  if (doubt_order (self))
    refit (self, dataset_in_view (self));
  return G_SOURCE_REMOVE;
}

/* After a decision: the fit again once the reviewer pauses (a second and a half) */
static void
schedule_refit (AssayGenerationsPage *self)
{
  g_clear_handle_id (&self->refit_timeout, g_source_remove);
  self->refit_timeout = g_timeout_add (1500, refit_timeout_cb, self);
}

static void
filters_changed_cb (GObject *object, GParamSpec *pspec, AssayGenerationsPage *self)
{
  if (self->updating)
    return;
  reload (self, self->record != NULL ? self->record->id : 0);
}

/* In order of doubt without a fit yet: one first (the list follows when it is done) */
static void
order_changed_cb (GObject *object, GParamSpec *pspec, AssayGenerationsPage *self)
{
  if (self->updating)
    return;
  /* a new order starts at its top: the likeliest wrong, or the most uncertain */
  fit_missing (self);
  self->doubt_top = self->refit_job != NULL;
  reload (self, 0);
}

static void
clear_filters_cb (GtkButton *button, AssayGenerationsPage *self)
{
  GtkDropDown *dropdowns[] = { self->status_dropdown, self->kind_dropdown, self->model_dropdown,
                               self->condition_dropdown, self->rating_dropdown };

  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (dropdowns); i++)
    gtk_drop_down_set_selected (dropdowns[i], 0);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  self->updating = FALSE;
  reload (self, self->record != NULL ? self->record->id : 0);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
search_changed_cb (GtkSearchEntry *entry, AssayGenerationsPage *self)
{
  gint64 current = self->record != NULL ? self->record->id : 0, target = 0;

  /* "#N" goes to record N, with the list unfiltered by text */
  if (is_goto (gtk_editable_get_text (GTK_EDITABLE (entry)), &target))
    {
      reload_full (self, target > 0 ? target : current, current, target > 0);
      return;
    }
  /* the record shown stays shown when the new results hold it (clearing the search keeps the
   * reviewer's place) */
  reload (self, current);
}

/* ---- search by meaning ------------------------------------------------------------------------ */

/* The dataset whose embeddings the meaning features use: the one shown, or with "All datasets"
 * the workspace's only one; 0 when there is no telling. */
static gint64
meaning_dataset (AssayGenerationsPage *self)
{
  if (self->dataset > 0)
    return self->dataset;
  return self->dataset_ids != NULL && self->dataset_ids->len == 2 ? g_array_index (self->dataset_ids, gint64, 1) : 0;
}

/* Options that embed that dataset's records with the model (not owned: nothing to clear). */
static void
meaning_options (AssayGenerationsPage *self, const char *model, AssaySemanticOptions *o)
{
  memset (o, 0, sizeof *o);
  o->set.model = (char *) model;
  o->set.dataset = meaning_dataset (self);
  o->set.normalize = -1;
}

#define MEANING_RESULTS 200

static void
meaning_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  JsonNode        *node = assay_job_get_result (job);
  JsonArray       *hits, *ids;
  g_autofree char *msg = NULL;

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || node == NULL)
    return;
  hits = json_object_get_array_member (json_node_get_object (node), "results");
  ids = json_array_new ();
  for (guint i = 0; i < json_array_get_length (hits); i++)
    json_array_add_int_element (ids, json_object_get_int_member (json_array_get_object_element (hits, i), "id"));
  g_free (self->ranked);
  g_free (self->ranked_query);
  {
    JsonNode *n = json_node_init_array (json_node_alloc (), ids);
    self->ranked = assay_json_node_to_string (n, FALSE);
    json_node_unref (n);
  }
  json_array_unref (ids);
  self->ranked_query = g_strdup (json_object_get_string_member (json_node_get_object (node), "query"));
  self->ranked_dataset = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (job), "dataset"));
  reload (self, 0);
  msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record by meaning, most similar first",
                                      "%u records by meaning, most similar first", json_array_get_length (hits)),
                         json_array_get_length (hits));
  assay_page_toast (ASSAY_PAGE (self), msg);
}

static void
search_meaning_with (AssayPage *page, const char *model, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  g_autofree char      *query = meaning_query (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  AssaySemanticOptions  o = { 0 };
  g_autoptr (AssayJob)  job = NULL;

  meaning_options (self, model, &o);
  if (query == NULL || *query == '\0' || o.set.dataset <= 0)
    return;
  o.query = query;
  o.limit = MEANING_RESULTS;
  job = assay_semantic_job_new (ASSAY_SEMANTIC_SEARCH, &o);
  g_object_set_data (G_OBJECT (job), "dataset", GSIZE_TO_POINTER ((gsize) self->dataset));
  g_signal_connect_object (job, "finished", G_CALLBACK (meaning_finished_cb), self, 0);
  assay_page_submit (page, job);
}

/* Enter in the search field: to the list, on the record found; "≈ words" first searches by
 * meaning (the records' vectors are made once, on the compute thread) */
static void
search_activate_cb (GtkSearchEntry *entry, AssayGenerationsPage *self)
{
  g_autofree char *query = meaning_query (gtk_editable_get_text (GTK_EDITABLE (entry)));

  if (query != NULL && *query != '\0'
      && !(self->ranked != NULL && g_str_equal (query, self->ranked_query) && self->ranked_dataset == self->dataset))
    {
      if (meaning_dataset (self) <= 0)
        {
          assay_page_toast (ASSAY_PAGE (self), _("Choose a dataset to search by meaning"));
          return;
        }
      assay_page_with_encoder (ASSAY_PAGE (self), FALSE, search_meaning_with, NULL);
      return;
    }
  focus_selected_row (self);
}

static void
dataset_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, AssayGenerationsPage *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || self->dataset_ids == NULL || i >= self->dataset_ids->len)
    return;
  self->dataset = g_array_index (self->dataset_ids, gint64, i);
  refresh_choices (self);
  fit_missing (self);
  reload (self, 0);
}

static void
assay_generations_page_store_changed (AssayPage *page, const char *table)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  gint64                id = self->record != NULL ? self->record->id : 0;

  GtkWidget            *focus;
  gboolean              list_focused;

  if (!g_str_equal (table, "gen_records"))
    return;
  if (doubt_order (self))
    schedule_refit (self);
  /* the record shown was deleted (another process, or an undone import): the list again, on the
   * record after it */
  if (id > 0 && !self->editing)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE id = %" G_GINT64_FORMAT, id);
      if (assay_store_query_int (assay_page_get_store (page), sql, 1) == 0)
        {
          guint pos = assay_gen_list_find (self->list, id);
          guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
          reload (self, pos == G_MAXUINT ? 0
                        : pos + 1 < n ? assay_gen_list_get_id (self->list, pos + 1)
                        : pos > 0     ? assay_gen_list_get_id (self->list, pos - 1)
                                      : 0);
          return;
        }
    }
  focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));
  list_focused = focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->list_view));
  assay_gen_list_refresh (self->list);
  update_progress (self);
  if (!self->editing && id > 0)
    show_record (self, id);
  /* the rows were bound anew (a decision, an undo): the focus stays on the selected one */
  if (list_focused && !self->editing)
    focus_selected_row (self);
  /* the grid follows the records when it is shown, else when it is shown next */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "grid") == 0)
    build_grid (self);
  else
    self->grid_dirty = TRUE;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "stats") == 0)
    build_stats (self);
}

/* ---- statistics ------------------------------------------------------------------------------ */

static gpointer
read_stats (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  return assay_gen_stats (store, data, error);
}

static void
stats_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  g_autoptr (GPtrArray) stats = result;

  if (stats == NULL)
    {
      assay_gen_stats_view_set (self->stats_box, NULL);
      assay_page_toast (page, error->message);
      return;
    }
  assay_gen_stats_view_set (self->stats_box, stats);
}

static void
build_stats (AssayGenerationsPage *self)
{
  AssayGenFilter f;

  current_filter (self, &f);
  assay_page_load (ASSAY_PAGE (self), &self->stats_cancellable, "[assay] generation statistics", read_stats,
                   stats_done, assay_gen_filter_dup (&f), (GDestroyNotify) assay_gen_filter_free,
                   (GDestroyNotify) g_ptr_array_unref);
}

/* Ctrl+Z / Shift+Ctrl+Z: back to the record undone or redone, when the list holds it (a
 * decision moved on to the next record; the undo brings the reviewer back to decide again). */
static gboolean
assay_generations_page_reveal (AssayPage *page, const char *table, gint64 row_id)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  guint                 position;

  if (!g_str_equal (table, "gen_records"))
    return FALSE;
  position = assay_gen_list_find (self->list, row_id);
  if (position == G_MAXUINT && !self->editing)
    {
      /* not listed: a deletion undone, or another filter; read the list again on it */
      reload_full (self, row_id, self->record != NULL ? self->record->id : 0, FALSE);
      return TRUE;
    }
  if (position != G_MAXUINT && !self->editing)
    {
      gtk_single_selection_set_selected (self->selection, position);
      scroll_to (self, position);
      if (self->focus_idle == 0)
        self->focus_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE + 20, focus_idle_cb, self, NULL);
    }
  return TRUE;
}

static void
view_changed_cb (GtkStack *stack, GParamSpec *pspec, AssayGenerationsPage *self)
{
  if (self->grid_dirty && g_strcmp0 (gtk_stack_get_visible_child_name (stack), "grid") == 0)
    build_grid (self);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "stats") == 0)
    build_stats (self);
}

/* ---- actions --------------------------------------------------------------------------------- */

static void
bulk_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (widget);
  AssayStore           *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  AssayGenStatus        status;
  const gint64         *ids;
  guint                 n;

  if (store == NULL || !assay_gen_parse_status (g_variant_get_string (param, NULL), &status))
    return;
  ids = assay_gen_list_get_ids (self->list, &n);
  if (n == 0)
    return;
  if (!assay_gen_set_status_many (store, ids, n, status, &error))
    assay_page_toast (ASSAY_PAGE (self), error->message);
  else
    {
      g_autofree char *msg = g_strdup_printf (g_dngettext (NULL, "%u record set to %s (Ctrl+Z undoes)",
                                                           "%u records set to %s (Ctrl+Z undoes)", n),
                                              n, assay_gen_status_name (status));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

static void
import_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  JsonNode *result = assay_job_get_result (job);

  /* (a failure is toasted by the window) */
  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL)
    {
      JsonObject      *o = json_node_get_object (result);
      g_autofree char *msg = g_strdup_printf (_("Imported %lld records (%s)"),
                                              (long long) assay_json_get_int (o, "imported", 0),
                                              assay_json_get_string (o, "mapping", ""));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

void
assay_generations_page_import (AssayGenerationsPage *self, const char *path)
{
  g_autoptr (AssayJob) job = assay_gen_import_job_new (path, NULL);

  g_signal_connect_object (job, "finished", G_CALLBACK (import_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
import_options_chosen (const char *path, const AssayGenImportOptions *options, gpointer data)
{
  AssayGenerationsPage *self = data;
  g_autoptr (AssayJob) job = assay_gen_import_job_new (path, options);

  g_signal_connect_object (job, "finished", G_CALLBACK (import_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

/* The file chosen: a preview with the mapping to confirm or choose */
static void
import_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char *path = g_file_get_path (file);
  g_autoptr (GError) error = NULL;
  AssayGenImportDialog *dialog;

  if (path == NULL)
    return;
  dialog = assay_gen_import_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))),
                                        assay_page_get_store (page), path, import_options_chosen, page, &error);
  if (dialog == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  /* the page outlives its dialogs (both go with the window) */
  gtk_window_present (GTK_WINDOW (dialog));
}

void
assay_generations_page_import_with_preview (AssayGenerationsPage *self, const char *path)
{
  g_autoptr (GListStore) files = g_list_store_new (G_TYPE_FILE);
  g_autoptr (GFile) file = g_file_new_for_path (path);

  g_list_store_append (files, file);
  import_chosen (ASSAY_PAGE (self), G_LIST_MODEL (files), NULL);
}

static void
export_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  g_autoptr (GFile)     file = g_list_model_get_item (files, 0);
  g_autofree char      *path = g_file_get_path (file);
  AssayStore           *store = assay_page_get_store (page);
  g_autoptr (GError)    error = NULL;
  AssayGenExportFormat  format = ASSAY_GEN_EXPORT_SFT;
  AssayGenFilter        f;
  guint                 n = 0;

  if (path == NULL)
    return;
  current_filter (self, &f);
  if (self->export_accepted)
    {
      assay_gen_filter_init (&f);
      f.dataset = self->dataset;
      f.status = ASSAY_GEN_ACCEPTED;
    }
  assay_gen_parse_export_format (self->export_format, &format);
  if (store == NULL || !assay_gen_export (store, &f, format, path, &n, &error))
    assay_page_toast (page, error != NULL ? error->message : _("Nothing exported"));
  else
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *msg = g_strdup_printf (_("Exported %u rows to %s"), n, base);
      assay_page_toast (page, msg);
    }
}

static void
import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("JSONL or JSON records"));
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_filter_add_pattern (filter, "*.json");
  assay_page_choose (ASSAY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _("Import Generation Records"),
                     _("_Import"), filter, NULL, FALSE, import_chosen, NULL);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (widget);
  g_autofree char      *suggested = NULL;

  g_free (self->export_format);
  self->export_format = g_strdup (param != NULL ? g_variant_get_string (param, NULL) : "sft");
  self->export_accepted = param == NULL;
  suggested = g_strdup_printf ("%s.jsonl", self->export_format);
  assay_page_choose (ASSAY_PAGE (self), GTK_FILE_CHOOSER_ACTION_SAVE, _("Export Records"), _("_Export"),
                     NULL, suggested, FALSE, export_chosen, NULL);
}

static void
generate_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  JsonNode *result = assay_job_get_result (job);

  /* (a failure or a cancellation is told by the window; the records stored so far stay) */
  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL)
    {
      JsonObject      *o = json_node_get_object (result);
      gint64           made = assay_json_get_int (o, "records", 0), rated = assay_json_get_int (o, "rated", 0);
      g_autofree char *msg = NULL;
      if (rated > 0 || assay_json_get_int (o, "unrated", 0) > 0)
        msg = g_strdup_printf (_("Rated %lld records (%lld answers had no rating), %.0f tokens/s"),
                               (long long) rated, (long long) assay_json_get_int (o, "unrated", 0),
                               assay_json_get_double (o, "tokens_per_second", 0));
      else if (json_object_has_member (o, "skipped"))
        msg = g_strdup_printf (_("Mined %lld question-answer pairs from %lld sentences (%lld skipped)"),
                               (long long) made, (long long) assay_json_get_int (o, "sentences", 0),
                               (long long) assay_json_get_int (o, "skipped", 0));
      else
        msg = g_strdup_printf (_("Generated %lld records, %.0f tokens/s"), (long long) made,
                               assay_json_get_double (o, "tokens_per_second", 0));
      assay_page_toast (ASSAY_PAGE (self), msg);
    }
}

static void
generate_chosen (const AssayGenGenerateOptions *options, gpointer data)
{
  AssayGenerationsPage   *self = data;
  AssayGenGenerateOptions o = *options;
  AssayGenFilter          f;
  g_autoptr (AssayJob)    job = NULL;

  g_free (self->generate_model);
  self->generate_model = g_strdup (options->model);
  current_filter (self, &f);
  o.filter = &f;
  job = assay_gen_generate_job_new (&o);
  g_signal_connect_object (job, "finished", G_CALLBACK (generate_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

/* Generate… for the records the filter shows */
AssayGenGenerateDialog *
assay_generations_page_generate (AssayGenerationsPage *self)
{
  AssayGenGenerateDialog *dialog;
  GtkRoot                *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (assay_page_get_store (ASSAY_PAGE (self)) == NULL)
    return NULL;
  dialog = assay_gen_generate_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                          g_list_model_get_n_items (G_LIST_MODEL (self->list)),
                                          self->generate_model, generate_chosen, self);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
generate_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_generate (ASSAY_GENERATIONS_PAGE (widget));
}

/* ---- fine-tuning ------------------------------------------------------------------------------ */

/* Fine-Tune… on the dataset shown (the only one when "all" is shown) */
AssayFinetuneDialog *
assay_generations_page_finetune (AssayGenerationsPage *self)
{
  return assay_finetune_window_ask (ASSAY_PAGE (self), self->dataset, self->dataset_ids);
}

static void
finetune_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_finetune (ASSAY_GENERATIONS_PAGE (widget));
}

/* ---- near-duplicates ------------------------------------------------------------------------- */

#define DEDUP_THRESHOLD 0.8
#define DEDUP_SHOWN     6

static void
dedup_response_cb (AdwMessageDialog *dialog, const char *response, AssayGenerationsPage *self)
{
  JsonObject      *result = g_object_get_data (G_OBJECT (dialog), "result");
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GError) error = NULL;
  g_autofree char *msg = NULL;
  guint            n = 0;

  if (!g_str_equal (response, "reject") || store == NULL || result == NULL)
    return;
  if (!assay_gen_dedup_reject (store, result, &n, &error))
    {
      assay_page_toast (ASSAY_PAGE (self), error->message);
      return;
    }
  msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u near-duplicate rejected (Ctrl+Z undoes)",
                                      "%u near-duplicates rejected (Ctrl+Z undoes)", n), n);
  assay_page_toast (ASSAY_PAGE (self), msg);
}

/* A line for a group: its size and the start of its first record's text. */
static char *
dedup_group_line (AssayStore *store, JsonArray *group)
{
  g_autoptr (AssayGenRecord) rec = assay_gen_record_load (store, json_array_get_int_element (group, 0), NULL);
  const char      *text = rec != NULL ? assay_gen_record_final_text (rec) : NULL;
  g_autofree char *start = NULL, *flat = NULL;

  flat = g_strdup (text != NULL ? text : "");
  g_strdelimit (flat, "\n\r\t", ' ');
  start = g_utf8_substring (flat, 0, MIN (g_utf8_strlen (flat, -1), 70));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "• %u record: “%s%s”", "• %u records: “%s%s”",
                                       json_array_get_length (group)),
                          json_array_get_length (group), start, g_utf8_strlen (flat, -1) > 70 ? "…" : "");
}

static void
dedup_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  JsonNode   *node = assay_job_get_result (job);
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  JsonObject *result;
  JsonArray  *groups;
  GtkWidget  *dialog;
  GString    *body;
  guint       n_groups, n_records = 0;

  /* (a failure is toasted by the window) */
  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || node == NULL || store == NULL)
    return;
  result = json_node_get_object (node);
  groups = json_object_get_array_member (result, "groups");
  n_groups = json_array_get_length (groups);
  if (n_groups == 0)
    {
      g_autofree char *msg = g_strdup_printf (_("No near-duplicates among %lld records"),
                                              (long long) json_object_get_int_member (result, "records"));
      assay_page_toast (ASSAY_PAGE (self), msg);
      return;
    }
  for (guint g = 0; g < n_groups; g++)
    n_records += json_array_get_length (json_array_get_array_element (groups, g));
  body = g_string_new (NULL);
  if (g_strcmp0 (assay_json_get_string (result, "method", NULL), "embedding") == 0)
    g_string_append_printf (body, _("%u records fall into groups whose texts' embeddings have a cosine of at "
                                    "least %.2f. Rejecting keeps one record of each group: an accepted one if "
                                    "the group has one, else the first."),
                            n_records, json_object_get_double_member (result, "threshold"));
  else
    g_string_append_printf (body, _("%u records fall into groups whose texts share at least %.0f %% of their "
                                    "word 5-grams (estimated). Rejecting keeps one record of each group: an "
                                    "accepted one if the group has one, else the first."),
                            n_records, 100 * DEDUP_THRESHOLD);
  for (guint g = 0; g < MIN (n_groups, DEDUP_SHOWN); g++)
    {
      g_autofree char *line = dedup_group_line (store, json_array_get_array_element (groups, g));
      g_string_append_printf (body, "\n%s", line);
    }
  if (n_groups > DEDUP_SHOWN)
    g_string_append_printf (body, _("\n… and %u more groups"), n_groups - DEDUP_SHOWN);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                     g_dngettext (GETTEXT_PACKAGE, "%u Group of Near-Duplicates",
                                                  "%u Groups of Near-Duplicates", n_groups),
                                     n_groups);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body->str);
  g_string_free (body, TRUE);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"), "reject",
                                    _("_Reject All but One"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reject",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_object_set_data_full (G_OBJECT (dialog), "result", json_object_ref (result), (GDestroyNotify) json_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (dedup_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
assay_generations_page_find_duplicates (AssayGenerationsPage *self)
{
  g_autoptr (AssayJob) job = assay_gen_dedup_job_new (self->dataset, DEDUP_THRESHOLD);

  g_signal_connect_object (job, "finished", G_CALLBACK (dedup_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
dedup_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_find_duplicates (ASSAY_GENERATIONS_PAGE (widget));
}

/* ---- by meaning: near-duplicates, zero-shot labels ---------------------------------------------- */

#define MEANING_THRESHOLD 0.95

static void
dedup_meaning_with (AssayPage *page, const char *model, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  AssaySemanticOptions  o = { 0 };
  g_autoptr (AssayJob)  job = NULL;

  meaning_options (self, model, &o);
  o.threshold = MEANING_THRESHOLD;
  o.neighbours = 10;
  job = assay_semantic_job_new (ASSAY_SEMANTIC_DEDUP, &o);
  g_signal_connect_object (job, "finished", G_CALLBACK (dedup_finished_cb), self, 0);
  assay_page_submit (page, job);
}

void
assay_generations_page_find_duplicates_by_meaning (AssayGenerationsPage *self)
{
  if (meaning_dataset (self) <= 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Choose a dataset to find near-duplicates by meaning"));
      return;
    }
  assay_page_with_encoder (ASSAY_PAGE (self), FALSE, dedup_meaning_with, NULL);
}

static void
dedup_meaning_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_find_duplicates_by_meaning (ASSAY_GENERATIONS_PAGE (widget));
}

static void
zeroshot_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  JsonNode  *node = assay_job_get_result (job);
  GtkWidget *window;

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || node == NULL)
    return;
  window = assay_zeroshot_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                      json_node_get_object (node), ASSAY_PAGE (self));
  gtk_window_present (GTK_WINDOW (window));
}

/* Labels typed as "a, b, c": the names, or NULL when fewer than two. */
static char **
split_labels (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", ",", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) out = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (b, parts[i]);
  out = g_strv_builder_end (b);
  return g_strv_length (out) >= 2 ? g_steal_pointer (&out) : NULL;
}

void
assay_generations_page_run_zeroshot (AssayGenerationsPage *self, const char *model, const char *labels,
                                     gint64 augmentations)
{
  AssaySemanticOptions o = { 0 };
  g_autoptr (AssayJob) job = NULL;
  g_auto (GStrv) names = split_labels (labels);

  if (names == NULL)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Zero-shot labels need two or more labels, separated by commas"));
      return;
    }
  meaning_options (self, model, &o);
  o.labels = names;
  /* the records' own labels, when they have some, to score the prediction against */
  o.truth = self->conditions != NULL && self->conditions->len > 0 ? (char *) "condition" : NULL;
  o.augmentations = augmentations;
  job = assay_semantic_job_new (ASSAY_SEMANTIC_ZEROSHOT, &o);
  g_signal_connect_object (job, "finished", G_CALLBACK (zeroshot_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
zeroshot_response_cb (AdwMessageDialog *dialog, const char *response, AssayGenerationsPage *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  GtkDropDown *from = g_object_get_data (G_OBJECT (dialog), "elaborations");
  GArray      *ids = g_object_get_data (G_OBJECT (dialog), "elaboration-ids");
  const char  *model = g_object_get_data (G_OBJECT (dialog), "model");
  guint        i = from != NULL ? gtk_drop_down_get_selected (from) : 0;

  assay_generations_page_run_zeroshot (self, model, gtk_editable_get_text (entry),
                                       ids != NULL && i >= 1 && i - 1 < ids->len ? g_array_index (ids, gint64, i - 1) : 0);
}

static void zeroshot_with (AssayPage *page, const char *model, gpointer data);

static void
zeroshot_encoder_response_cb (AdwMessageDialog *dialog, const char *response, AssayGenerationsPage *self)
{
  if (g_str_equal (response, "encoder"))
    assay_page_with_encoder (ASSAY_PAGE (self), TRUE, zeroshot_with, NULL);
}

static void
zeroshot_with (AssayPage *page, const char *model, gpointer data)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  GtkWidget            *dialog, *entry, *box;
  AssayStore           *store = assay_page_get_store (page);
  GArray               *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt         *stmt;
  g_autofree char      *base = g_path_get_basename (model);
  g_autofree char      *body = g_strdup_printf (_("Each text gets the label whose prompts (“Category: [label].”, "
                                                  "“It is about [label].”) its embedding is most similar to. "
                                                  "Encoder: %s."), base);
  g_autoptr (GString)   prefill = g_string_new (NULL);

  for (guint i = 0; self->conditions != NULL && i < self->conditions->len && i < 50; i++)
    g_string_append_printf (prefill, "%s%s", i ? ", " : "", (const char *) g_ptr_array_index (self->conditions, i));
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), _("Zero-Shot Labels"), body);
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Labels, separated by commas"));
  gtk_editable_set_text (GTK_EDITABLE (entry), prefill->str);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_box_append (GTK_BOX (box), entry);
  /* datasets of generated elaborations of these records (GenCo Eq 3.9) */
  g_ptr_array_add (names, g_strdup (_("No elaborations")));
  stmt = store != NULL ? assay_store_prepare (store, "SELECT DISTINCT a.dataset_id, d.name FROM gen_records a "
                                                     "JOIN datasets d ON d.id = a.dataset_id "
                                                     "JOIN gen_records r ON r.id = json_extract (a.extra, '$.from') "
                                                     "WHERE json_valid (a.extra) AND r.dataset_id = ?1 AND a.dataset_id != ?1 "
                                                     "ORDER BY a.dataset_id", NULL)
                       : NULL;
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, meaning_dataset (self));
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);
          g_array_append_val (ids, id);
          g_ptr_array_add (names, g_strdup_printf (_("Elaborations from “%s”"), (const char *) sqlite3_column_text (stmt, 1)));
        }
      sqlite3_reset (stmt);
    }
  if (ids->len > 0)
    {
      GtkWidget *from;
      g_ptr_array_add (names, NULL);
      from = gtk_drop_down_new_from_strings ((const char *const *) names->pdata);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (from), 1);
      gtk_widget_set_tooltip_text (from, _("A text with generated elaborations is the mean of its embeddings with each"));
      gtk_box_append (GTK_BOX (box), from);
      g_object_set_data (G_OBJECT (dialog), "elaborations", from);
    }
  g_object_set_data_full (G_OBJECT (dialog), "elaboration-ids", ids, (GDestroyNotify) g_array_unref);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "encoder",
                                    _("_Encoder…"), "run", _("_Label"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "run", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "run");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data_full (G_OBJECT (dialog), "model", g_strdup (model), g_free);
  g_signal_connect_object (dialog, "response::run", G_CALLBACK (zeroshot_response_cb), self, 0);
  g_signal_connect_object (dialog, "response::encoder", G_CALLBACK (zeroshot_encoder_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
zeroshot_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (widget);

  if (meaning_dataset (self) <= 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Choose a dataset to label"));
      return;
    }
  assay_page_with_encoder (ASSAY_PAGE (self), FALSE, zeroshot_with, NULL);
}

/* A fit the signals window asked for is the dataset's now: its P(good) on the records shown */
static void
chosen_fit_done_cb (AssayGenerationsPage *self)
{
  if (self->editing)
    return;
  if (doubt_order (self))
    reload (self, self->record != NULL ? self->record->id : 0);
  else if (self->record != NULL)
    show_record (self, self->record->id);
}

/* The signals window asks for a fit by the other label model: it becomes the dataset's */
static void
label_model_chosen_cb (AssaySignalsWindow *window, guint choice, AssayGenerationsPage *self)
{
  g_autoptr (AssayJob) job = NULL;
  AssaySignalsFitOptions options;

  assay_signals_fit_options_init (&options);
  options.automatic = choice == 0;
  options.matrix_completion = choice == 2;
  job = assay_signals_fit_job_new (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (window), "dataset")), &options);
  assay_signals_window_follow (window, job);
  g_signal_connect_object (job, "finished", G_CALLBACK (chosen_fit_done_cb), self, G_CONNECT_SWAPPED);
  assay_page_submit (ASSAY_PAGE (self), job);
}

/* The signals window: each signal's accuracy and what each of its answers says, fitted now */
void
assay_generations_page_weigh_signals (AssayGenerationsPage *self)
{
  g_autoptr (AssayJob) job = NULL;
  AssaySignalsWindow *window;
  gint64 dataset = dataset_in_view (self);

  if (dataset <= 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Choose a dataset: each has a label model of its own"));
      return;
    }
  window = assay_signals_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  g_object_set_data (G_OBJECT (window), "dataset", GINT_TO_POINTER ((int) dataset));
  g_signal_connect_object (window, "label-model-chosen", G_CALLBACK (label_model_chosen_cb), self, 0);
  gtk_window_present (GTK_WINDOW (window));
  /* its own fit, beside any the order of doubt runs (the last to finish is the current one) */
  job = assay_signals_fit_job_new (dataset, NULL);
  assay_signals_window_follow (window, job);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
label_errors_finished_cb (AssayJob *job, AssayGenerationsPage *self)
{
  assay_label_errors_window_present_job (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                         assay_page_get_store (ASSAY_PAGE (self)), job);
}

/* Likely label errors of the dataset shown (gen errors), in the Likely Label Errors window */
void
assay_generations_page_find_label_errors (AssayGenerationsPage *self)
{
  g_autoptr (AssayJob) job = NULL;
  gint64 dataset = dataset_in_view (self);

  if (dataset <= 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Choose a dataset whose records carry labels"));
      return;
    }
  job = assay_gen_errors_job_new (dataset, NULL);
  g_signal_connect_object (job, "finished", G_CALLBACK (label_errors_finished_cb), self, 0);
  assay_page_submit (ASSAY_PAGE (self), job);
}

static void
label_errors_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_find_label_errors (ASSAY_GENERATIONS_PAGE (widget));
}

static void
signals_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_generations_page_weigh_signals (ASSAY_GENERATIONS_PAGE (widget));
}

static void
choose_encoder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_page_choose_encoder (ASSAY_PAGE (widget));
}

static void
focus_search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (ASSAY_GENERATIONS_PAGE (widget)->search_entry));
}

/* ---- page ------------------------------------------------------------------------------------ */

static void
assay_generations_page_workspace_changed (AssayPage *page, AssayStore *store)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);
  gboolean              any;

  self->dataset = 0;
  self->loaded = FALSE;
  g_clear_pointer (&self->ranked, g_free);
  g_clear_pointer (&self->ranked_query, g_free);
  g_clear_pointer (&self->record, assay_gen_record_free);
  assay_gen_list_set (self->list, store, NULL);
  any = store != NULL
        && assay_store_query_int (store, "SELECT EXISTS (SELECT 1 FROM gen_records WHERE "
                                           ASSAY_DATASET_VISIBLE ("dataset_id") ")", 0) > 0;
  assay_page_set_empty (page, !any);
  if (!any)
    return;
  refresh_datasets (self);
  refresh_choices (self);
  reload (self, 0);
}

static void
assay_generations_page_job_finished (AssayPage *page, AssayJob *job)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED
      || !g_str_equal (assay_job_get_kind (job), "gen-import"))
    return;
  assay_page_set_empty (page, FALSE);
  refresh_datasets (self);
  refresh_choices (self);
  reload (self, self->record != NULL ? self->record->id : 0);
}

static void
assay_generations_page_focus_content (AssayPage *page)
{
  focus_selected_row (ASSAY_GENERATIONS_PAGE (page));
}

static void
assay_generations_page_datasets_changed (AssayPage *page)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (page);

  if (assay_page_get_empty (page))
    {
      assay_generations_page_workspace_changed (page, assay_page_get_store (page));
      return;
    }
  refresh_datasets (self);
  refresh_choices (self);
  reload (self, self->record != NULL ? self->record->id : 0);
}

static void
assay_generations_page_dispose (GObject *object)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (object);

  g_clear_handle_id (&self->focus_idle, g_source_remove);
  g_clear_handle_id (&self->refit_timeout, g_source_remove);
  g_clear_object (&self->refit_job);
  g_clear_pointer (&self->refit_queue, g_array_unref);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->count_cancellable != NULL)
    g_cancellable_cancel (self->count_cancellable);
  if (self->choices_cancellable != NULL)
    g_cancellable_cancel (self->choices_cancellable);
  if (self->stats_cancellable != NULL)
    g_cancellable_cancel (self->stats_cancellable);
  g_clear_object (&self->stats_cancellable);
  g_clear_object (&self->choices_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->count_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_GENERATIONS_PAGE);
  G_OBJECT_CLASS (assay_generations_page_parent_class)->dispose (object);
}

static void
assay_generations_page_finalize (GObject *object)
{
  AssayGenerationsPage *self = ASSAY_GENERATIONS_PAGE (object);

  g_clear_pointer (&self->record, assay_gen_record_free);
  g_clear_pointer (&self->dataset_ids, g_array_unref);
  g_clear_pointer (&self->kinds, g_ptr_array_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->conditions, g_ptr_array_unref);
  g_clear_object (&self->list);
  g_clear_object (&self->selection);
  g_free (self->export_format);
  g_free (self->generate_model);
  g_free (self->ranked);
  g_free (self->ranked_query);
  G_OBJECT_CLASS (assay_generations_page_parent_class)->finalize (object);
}

static void
assay_generations_page_class_init (AssayGenerationsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AssayPageClass *page_class = ASSAY_PAGE_CLASS (klass);

  object_class->dispose = assay_generations_page_dispose;
  object_class->finalize = assay_generations_page_finalize;
  page_class->workspace_changed = assay_generations_page_workspace_changed;
  page_class->job_finished = assay_generations_page_job_finished;
  page_class->store_changed = assay_generations_page_store_changed;
  page_class->reveal = assay_generations_page_reveal;
  page_class->datasets_changed = assay_generations_page_datasets_changed;
  page_class->focus_content = assay_generations_page_focus_content;

  g_type_ensure (ASSAY_TYPE_WRAP_BOX);
  g_type_ensure (ASSAY_TYPE_GEN_STATS_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-generations-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, AssayGenerationsPage, name)
  CHILD (dataset_dropdown);
  CHILD (dataset_list);
  CHILD (status_dropdown);
  CHILD (kind_dropdown);
  CHILD (kind_list);
  CHILD (model_dropdown);
  CHILD (model_list);
  CHILD (condition_dropdown);
  CHILD (condition_list);
  CHILD (rating_dropdown);
  CHILD (order_dropdown);
  CHILD (results_stack);
  CHILD (stats_box);
  CHILD (clear_filters_button);
  CHILD (search_entry);
  CHILD (progress_label);
  CHILD (progress_bar);
  CHILD (view_switcher);
  CHILD (view_stack);
  CHILD (list_scroller);
  CHILD (list_view);
  CHILD (detail_title);
  CHILD (detail_meta);
  CHILD (context_title);
  CHILD (context_label);
  CHILD (text_title);
  CHILD (text_stack);
  CHILD (text_label);
  CHILD (text_view);
  CHILD (rejected_box);
  CHILD (rejected_label);
  CHILD (grid);
#undef CHILD

  gtk_widget_class_install_action (widget_class, "gen.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "gen.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "gen.finetune", NULL, finetune_action);
  gtk_widget_class_install_action (widget_class, "gen.dedup", NULL, dedup_action);
  gtk_widget_class_install_action (widget_class, "gen.dedup-meaning", NULL, dedup_meaning_action);
  gtk_widget_class_install_action (widget_class, "gen.zeroshot", NULL, zeroshot_action);
  gtk_widget_class_install_action (widget_class, "gen.choose-encoder", NULL, choose_encoder_action);
  gtk_widget_class_install_action (widget_class, "gen.signals", NULL, signals_action);
  gtk_widget_class_install_action (widget_class, "gen.label-errors", NULL, label_errors_action);
  gtk_widget_class_install_action (widget_class, "gen.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "gen.export-accepted", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "gen.bulk", "s", bulk_action);
  gtk_widget_class_install_action (widget_class, "gen.focus-search", NULL, focus_search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "gen.focus-search", NULL);
}

static void
assay_generations_page_init (AssayGenerationsPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->refit_queue = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->list = assay_gen_list_new ();
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->list)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  gtk_widget_set_visible (GTK_WIDGET (self->view_switcher), FALSE);

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (self->dataset_dropdown, "notify::selected", G_CALLBACK (dataset_changed_cb), self);
  g_signal_connect (self->status_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->kind_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->model_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->condition_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->rating_dropdown, "notify::selected", G_CALLBACK (filters_changed_cb), self);
  g_signal_connect (self->order_dropdown, "notify::selected", G_CALLBACK (order_changed_cb), self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (style_changed_cb), self, 0);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self);
  g_signal_connect (self->clear_filters_button, "clicked", G_CALLBACK (clear_filters_cb), self);
  g_signal_connect (self->view_stack, "notify::visible-child-name", G_CALLBACK (view_changed_cb), self);
}

AssayPage *
assay_generations_page_new (void)
{
  return g_object_new (ASSAY_TYPE_GENERATIONS_PAGE, "name", "generations", "title",
                       _("Generations"), "icon-name", "assay-generations-symbolic", "empty-title",
                       _("No Generations"), "empty-description",
                       _("LLM-written augmentations, label-conditioned rewrites, mined QA pairs "
                         "and sampled responses, reviewed with the keyboard and exported for "
                         "training.\n\nImport JSONL: TRL preference rows, LLaVA-Reasoner pairs, "
                         "ProcessBench, LLMiner, GenCo, or any shape with a field map."),
                       NULL);
}

gboolean
assay_generations_page_is_loaded (AssayGenerationsPage *self)
{
  return self->loaded;
}

GListModel *
assay_generations_page_get_rows (AssayGenerationsPage *self)
{
  return G_LIST_MODEL (self->selection);
}

gint64
assay_generations_page_get_current (AssayGenerationsPage *self)
{
  return self->record != NULL ? self->record->id : 0;
}

void
assay_generations_page_select (AssayGenerationsPage *self, guint position)
{
  gtk_single_selection_set_selected (self->selection, position);
}

gboolean
assay_generations_page_set_dataset (AssayGenerationsPage *self, gint64 dataset)
{
  refresh_datasets (self);
  for (guint i = 0; self->dataset_ids != NULL && i < self->dataset_ids->len; i++)
    if (g_array_index (self->dataset_ids, gint64, i) == dataset)
      {
        gtk_drop_down_set_selected (self->dataset_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

void
assay_generations_page_activate_search (AssayGenerationsPage *self)
{
  search_activate_cb (self->search_entry, self);
}

void
assay_generations_page_set_search (AssayGenerationsPage *self, const char *text)
{
  self->loaded = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  /* as typing does, without the entry's delay */
  search_changed_cb (self->search_entry, self);
}

void
assay_generations_page_set_status_filter (AssayGenerationsPage *self, int status)
{
  self->loaded = FALSE;
  gtk_drop_down_set_selected (self->status_dropdown, status < 0 ? 0 : (guint) status + 1);
}

void
assay_generations_page_get_progress (AssayGenerationsPage *self, guint *reviewed, guint *total)
{
  *reviewed = self->reviewed;
  *total = self->total;
}

void
assay_generations_page_get_diff_counts (AssayGenerationsPage *self, guint *chosen, guint *rejected)
{
  *chosen = self->diff_chosen;
  *rejected = self->diff_rejected;
}

gboolean
assay_generations_page_is_editing (AssayGenerationsPage *self)
{
  return self->editing;
}

GtkWidget *
assay_generations_page_get_text_view (AssayGenerationsPage *self)
{
  return GTK_WIDGET (self->text_view);
}

void
assay_generations_page_show_grid (AssayGenerationsPage *self, gboolean grid)
{
  gtk_stack_set_visible_child_name (self->view_stack, grid ? "grid" : "review");
}

guint
assay_generations_page_get_grid_cells (AssayGenerationsPage *self)
{
  return self->grid_cells;
}

GtkScrolledWindow *
assay_generations_page_get_list_scroller (AssayGenerationsPage *self)
{
  return self->list_scroller;
}

void
assay_generations_page_set_rating_filter (AssayGenerationsPage *self, guint choice)
{
  self->loaded = FALSE;
  gtk_drop_down_set_selected (self->rating_dropdown, choice);
}

void
assay_generations_page_set_condition_filter (AssayGenerationsPage *self, const char *label)
{
  guint choice = 0;

  for (guint i = 0; label != NULL && self->conditions != NULL && i < self->conditions->len; i++)
    if (g_str_equal (g_ptr_array_index (self->conditions, i), label))
      choice = i + 1;
  self->loaded = FALSE;
  gtk_drop_down_set_selected (self->condition_dropdown, choice);
}

GtkWidget *
assay_generations_page_get_list_view (AssayGenerationsPage *self)
{
  return GTK_WIDGET (self->list_view);
}

guint
assay_generations_page_get_selected (AssayGenerationsPage *self)
{
  return gtk_single_selection_get_selected (self->selection);
}

GtkWidget *
assay_generations_page_get_grid (AssayGenerationsPage *self)
{
  return GTK_WIDGET (self->grid);
}

GtkWidget *
assay_generations_page_get_search_entry (AssayGenerationsPage *self)
{
  return GTK_WIDGET (self->search_entry);
}

gboolean
assay_generations_page_shows_no_results (AssayGenerationsPage *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->results_stack), "none") == 0;
}

void
assay_generations_page_clear_filters (AssayGenerationsPage *self)
{
  self->loaded = FALSE;
  g_signal_emit_by_name (self->clear_filters_button, "clicked");
}

void
assay_generations_page_show_stats (AssayGenerationsPage *self)
{
  gtk_stack_set_visible_child_name (self->view_stack, "stats");
}

/* The statistics view's text, in reading order (for tests) */
char *
assay_generations_page_dup_stats_text (AssayGenerationsPage *self)
{
  return assay_gen_stats_view_dup_text (self->stats_box);
}

void
assay_generations_page_set_order (AssayGenerationsPage *self, guint order)
{
  gtk_drop_down_set_selected (self->order_dropdown, MIN (order, 2));
}
