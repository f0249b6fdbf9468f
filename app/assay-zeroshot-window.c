/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-zeroshot-window.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-alignment-heatmap.h"

struct _AssayZeroshotWindow
{
  AdwWindow  parent_instance;

  GtkWidget *heatmap;
  GArray    *ids;  /* gint64 per row */
  AssayPage *page; /* weak */
};

G_DEFINE_FINAL_TYPE (AssayZeroshotWindow, assay_zeroshot_window, ADW_TYPE_WINDOW)

static void
cell_activated_cb (AssayAlignmentHeatmap *heatmap, guint row, guint col, AssayZeroshotWindow *self)
{
  if (self->page != NULL && row < self->ids->len)
    assay_page_reveal (self->page, "gen_records", g_array_index (self->ids, gint64, row));
}

static void
grouped_toggled_cb (GtkToggleButton *button, AssayZeroshotWindow *self)
{
  assay_alignment_heatmap_set_grouped (ASSAY_ALIGNMENT_HEATMAP (self->heatmap), gtk_toggle_button_get_active (button));
}

/* The first words of each record's text, for the tooltips. */
static GPtrArray *
record_tips (AssayPage *page, GArray *ids)
{
  GPtrArray    *tips = g_ptr_array_new_with_free_func (g_free);
  AssayStore   *store = page != NULL ? assay_page_get_store (page) : NULL;
  sqlite3_stmt *stmt = store != NULL ? assay_store_prepare (store, "SELECT replace (substr (coalesce (edited, text, ''), 1, 160), "
                                                                   "char(10), ' ') FROM gen_records WHERE id = ?", NULL)
                                     : NULL;

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      char  *tip = NULL;
      if (stmt != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, id);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            tip = g_strdup_printf ("#%" G_GINT64_FORMAT " %s", id, (const char *) sqlite3_column_text (stmt, 0));
          sqlite3_reset (stmt);
        }
      g_ptr_array_add (tips, tip != NULL ? tip : g_strdup_printf ("#%" G_GINT64_FORMAT, id));
    }
  return tips;
}

static GtkWidget *
metrics_grid (JsonObject *result)
{
  GtkWidget *grid = gtk_grid_new ();
  JsonArray *per = json_object_get_array_member (result, "per_class");
  const char *heads[] = { N_("Label"), N_("Precision"), N_("Recall"), N_("F1"), N_("Texts") };

  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  for (int c = 0; c < 5; c++)
    {
      GtkWidget *l = gtk_label_new (_(heads[c]));
      gtk_widget_add_css_class (l, "heading");
      gtk_label_set_xalign (GTK_LABEL (l), c == 0 ? 0 : 1);
      gtk_grid_attach (GTK_GRID (grid), l, c, 0, 1, 1);
    }
  for (guint i = 0; i < json_array_get_length (per); i++)
    {
      JsonObject *k = json_array_get_object_element (per, i);
      char        cells[4][32];
      g_snprintf (cells[0], 32, "%.3f", json_object_get_double_member (k, "precision"));
      g_snprintf (cells[1], 32, "%.3f", json_object_get_double_member (k, "recall"));
      g_snprintf (cells[2], 32, "%.3f", json_object_get_double_member (k, "f1"));
      g_snprintf (cells[3], 32, "%" G_GINT64_FORMAT, json_object_get_int_member (k, "support"));
      {
        GtkWidget *name = gtk_label_new (json_object_get_string_member (k, "label"));
        gtk_label_set_xalign (GTK_LABEL (name), 0);
        gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
        gtk_grid_attach (GTK_GRID (grid), name, 0, (int) i + 1, 1, 1);
      }
      for (int c = 0; c < 4; c++)
        {
          GtkWidget *l = gtk_label_new (cells[c]);
          gtk_label_set_xalign (GTK_LABEL (l), 1);
          gtk_widget_add_css_class (l, "numeric");
          gtk_grid_attach (GTK_GRID (grid), l, c + 1, (int) i + 1, 1, 1);
        }
    }
  return grid;
}

GtkWidget *
assay_zeroshot_window_new (GtkWindow *parent, JsonObject *result, AssayPage *page)
{
  AssayZeroshotWindow *self = g_object_new (ASSAY_TYPE_ZEROSHOT_WINDOW, "transient-for", parent,
                                            "default-width", 760, "default-height", 640,
                                            "title", _("Zero-Shot Labels"), NULL);
  JsonArray  *labels = json_object_get_array_member (result, "labels");
  JsonArray  *pred = json_object_get_array_member (result, "predictions");
  guint       C = json_array_get_length (labels), n = json_array_get_length (pred);
  g_autofree float *values = g_new (float, (gsize) MAX (n, 1) * MAX (C, 1));
  g_autofree int   *predicted = g_new (int, MAX (n, 1));
  g_autofree int   *truth = g_new (int, MAX (n, 1));
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GPtrArray) tips = NULL;
  g_autofree char *summary = NULL;
  GtkWidget  *box, *header, *toggle, *toolbar, *text;

  self->page = page;
  if (page != NULL)
    g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &self->page);
  for (guint c = 0; c < C; c++)
    g_ptr_array_add (names, (gpointer) json_array_get_string_element (labels, c));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *p = json_array_get_object_element (pred, i);
      JsonArray  *s = json_object_get_array_member (p, "scores");
      const char *want = json_object_has_member (p, "truth") ? json_object_get_string_member (p, "truth") : NULL;
      double      mx = -INFINITY, sum = 0;
      gint64      id = json_object_get_int_member (p, "id");

      g_array_append_val (self->ids, id);
      predicted[i] = truth[i] = -1;
      for (guint c = 0; c < C; c++)
        {
          double v = json_array_get_double_element (s, c);
          mx = MAX (mx, v);
          if (g_strcmp0 (json_object_get_string_member (p, "label"), names->pdata[c]) == 0)
            predicted[i] = (int) c;
          if (g_strcmp0 (want, names->pdata[c]) == 0)
            truth[i] = (int) c;
        }
      /* the soft targets Q ∝ exp (sim / τ) */
      for (guint c = 0; c < C; c++)
        sum += exp ((json_array_get_double_element (s, c) - mx) / ASSAY_ZEROSHOT_TAU);
      for (guint c = 0; c < C; c++)
        values[(gsize) i * C + c] = (float) (exp ((json_array_get_double_element (s, c) - mx) / ASSAY_ZEROSHOT_TAU) / sum);
    }
  tips = record_tips (page, self->ids);
  assay_alignment_heatmap_set_data (ASSAY_ALIGNMENT_HEATMAP (self->heatmap), n, C, values, predicted, truth,
                                    (const char *const *) names->pdata, (const char *const *) tips->pdata);

  toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  toggle = gtk_toggle_button_new_with_mnemonic (_("_Group by Predicted Label"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  g_signal_connect (toggle, "toggled", G_CALLBACK (grouped_toggled_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), toggle);
  gtk_box_append (GTK_BOX (toolbar), header);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 18);
  if (json_object_has_member (result, "accuracy"))
    summary = g_strdup_printf (_("%u texts, %u labels. Against the records' own labels: accuracy %.3f, macro-F1 %.3f "
                                 "(%" G_GINT64_FORMAT " texts with a label among these)."),
                               n, C, json_object_get_double_member (result, "accuracy"),
                               json_object_get_double_member (result, "macro_f1"),
                               json_object_get_int_member (result, "evaluated"));
  else
    summary = g_strdup_printf (_("%u texts, %u labels. The records carry no label to compare with."), n, C);
  if (json_object_get_int_member (result, "augmented") > 0)
    {
      g_autofree char *more = g_strdup_printf (_("%s %" G_GINT64_FORMAT " texts are the mean of their embeddings with "
                                                 "their generated elaborations (Eq 3.9)."),
                                               summary, json_object_get_int_member (result, "augmented"));
      g_free (summary);
      summary = g_steal_pointer (&more);
    }
  text = gtk_label_new (summary);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_box_append (GTK_BOX (box), text);
  if (json_object_has_member (result, "per_class"))
    gtk_box_append (GTK_BOX (box), metrics_grid (result));
  {
    GtkWidget *hint = gtk_label_new (_("Each row is a text, each column a label: the text's weight on the label, "
                                       "softmax of the similarities at τ = 0.1. The strip on the right is green "
                                       "where the predicted label is the true one. Click a cell to see the record."));
    gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
    gtk_label_set_xalign (GTK_LABEL (hint), 0);
    gtk_widget_add_css_class (hint, "dim-label");
    gtk_box_append (GTK_BOX (box), hint);
  }
  gtk_widget_set_vexpand (self->heatmap, TRUE);
  gtk_box_append (GTK_BOX (box), self->heatmap);
  gtk_box_append (GTK_BOX (toolbar), box);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
  return GTK_WIDGET (self);
}

GtkWidget *
assay_zeroshot_window_get_heatmap (AssayZeroshotWindow *self)
{
  return self->heatmap;
}

gint64
assay_zeroshot_window_get_record (AssayZeroshotWindow *self, guint row)
{
  return row < self->ids->len ? g_array_index (self->ids, gint64, row) : 0;
}

static void
assay_zeroshot_window_dispose (GObject *object)
{
  AssayZeroshotWindow *self = ASSAY_ZEROSHOT_WINDOW (object);

  if (self->page != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->page), (gpointer *) &self->page);
  self->page = NULL;
  G_OBJECT_CLASS (assay_zeroshot_window_parent_class)->dispose (object);
}

static void
assay_zeroshot_window_finalize (GObject *object)
{
  g_array_unref (ASSAY_ZEROSHOT_WINDOW (object)->ids);
  G_OBJECT_CLASS (assay_zeroshot_window_parent_class)->finalize (object);
}

static void
assay_zeroshot_window_class_init (AssayZeroshotWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_zeroshot_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = assay_zeroshot_window_finalize;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
assay_zeroshot_window_init (AssayZeroshotWindow *self)
{
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->heatmap = assay_alignment_heatmap_new ();
  g_signal_connect (self->heatmap, "cell-activated", G_CALLBACK (cell_activated_cb), self);
}
