/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-depl-window.h"

#include <glib/gi18n.h>

struct _AssayDeplWindow
{
  AdwWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (AssayDeplWindow, assay_depl_window, ADW_TYPE_WINDOW)

static const char *const methods[] = { "svm", "dense", "fused" };

static GtkWidget *
cell (const char *text, float xalign, gboolean heading)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), xalign);
  gtk_widget_add_css_class (l, heading ? "heading" : "numeric");
  return l;
}

/* Rows of metrics, the best of the three in bold. */
static GtkWidget *
metrics_grid (JsonObject *c)
{
  static const struct { const char *key, *name; } rows[] = {
    { "p@1", "P@1" }, { "p@3", "P@3" }, { "p@5", "P@5" }, { "psp@1", "PSP@1" }, { "psp@3", "PSP@3" },
    { "psp@5", "PSP@5" }, { "macro_f1@5", N_("Macro-F1@5") }, { "tail_macro_f1@1", N_("Tail macro-F1@1") },
    { "tail_macro_f1@3", N_("Tail macro-F1@3") }, { "tail_macro_f1@5", N_("Tail macro-F1@5") },
  };
  const char *heads[] = { "", N_("SVM"), N_("Dense"), N_("Fused") };
  GtkWidget  *grid = gtk_grid_new ();

  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  for (int h = 0; h < 4; h++)
    gtk_grid_attach (GTK_GRID (grid), cell (*heads[h] ? _(heads[h]) : "", h ? 1 : 0, TRUE), h, 0, 1, 1);
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      double v[3];
      int    best = -1;
      gtk_grid_attach (GTK_GRID (grid), cell (_(rows[r].name), 0, FALSE), 0, (int) r + 1, 1, 1);
      for (int m = 0; m < 3; m++)
        {
          JsonObject *o = json_object_has_member (c, methods[m]) ? json_object_get_object_member (c, methods[m]) : NULL;
          v[m] = o != NULL && json_object_has_member (o, rows[r].key) ? json_object_get_double_member (o, rows[r].key) : -1;
          if (v[m] >= 0 && (best < 0 || v[m] > v[best]))
            best = m;
        }
      for (int m = 0; m < 3; m++)
        {
          char       text[32];
          GtkWidget *l;
          if (v[m] >= 0)
            g_snprintf (text, sizeof text, "%.1f", 100 * v[m]);
          else
            g_strlcpy (text, "–", sizeof text);
          l = cell (text, 1, FALSE);
          if (m == best)
            gtk_widget_add_css_class (l, "heading");
          gtk_grid_attach (GTK_GRID (grid), l, m + 1, (int) r + 1, 1, 1);
        }
    }
  return grid;
}

static GtkWidget *
bins_grid (JsonObject *c)
{
  GtkWidget  *grid = gtk_grid_new ();
  JsonArray  *bins[3] = { NULL, NULL, NULL };
  const char *heads[] = { N_("Training documents"), N_("Labels"), N_("SVM"), N_("Dense"), N_("Fused") };

  for (int m = 0; m < 3; m++)
    {
      JsonObject *o = json_object_has_member (c, methods[m]) ? json_object_get_object_member (c, methods[m]) : NULL;
      bins[m] = o != NULL && json_object_has_member (o, "bins") ? json_object_get_array_member (o, "bins") : NULL;
    }
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  for (int h = 0; h < 5; h++)
    gtk_grid_attach (GTK_GRID (grid), cell (_(heads[h]), h ? 1 : 0, TRUE), h, 0, 1, 1);
  for (guint b = 0; bins[0] != NULL && b < json_array_get_length (bins[0]); b++)
    {
      JsonObject      *bin = json_array_get_object_element (bins[0], b);
      g_autofree char *range = g_strdup_printf ("%" G_GINT64_FORMAT "–%" G_GINT64_FORMAT,
                                                json_object_get_int_member (bin, "min_train"),
                                                json_object_get_int_member (bin, "max_train"));
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_has_member (bin, "labels")
                                                                   ? json_object_get_int_member (bin, "labels") : 0);
      gtk_grid_attach (GTK_GRID (grid), cell (range, 0, FALSE), 0, (int) b + 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell (n, 1, FALSE), 1, (int) b + 1, 1, 1);
      for (int m = 0; m < 3; m++)
        {
          char text[32] = "–";
          if (bins[m] != NULL && b < json_array_get_length (bins[m]))
            g_snprintf (text, sizeof text, "%.1f",
                        100 * json_object_get_double_member (json_array_get_object_element (bins[m], b), "f1@5"));
          gtk_grid_attach (GTK_GRID (grid), cell (text, 1, FALSE), m + 2, (int) b + 1, 1, 1);
        }
    }
  return grid;
}

GtkWidget *
assay_depl_window_new (GtkWindow *parent, JsonObject *c)
{
  AssayDeplWindow *self = g_object_new (ASSAY_TYPE_DEPL_WINDOW, "transient-for", parent, "default-width", 620,
                                        "default-height", 640, "title", _("Dense Label Retrieval"), NULL);
  GtkWidget       *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget       *scrolled = gtk_scrolled_window_new ();
  GtkWidget       *text, *title;
  g_autofree char *base = json_object_has_member (c, "model") ? g_path_get_basename (json_object_get_string_member (c, "model"))
                                                             : NULL;
  g_autofree char *intro = g_strdup_printf (
    _("The SVM of run %" G_GINT64_FORMAT "; labels ranked by the cosine between the embeddings (%s) of the test "
      "documents and of the labels' pseudo descriptions (each label's name and keywords); and the two "
      "rankings fused by reciprocal rank. The best of each row is in bold."),
    json_object_get_int_member (c, "svm_run"), base != NULL ? base : _("an encoder"));

  gtk_box_append (GTK_BOX (toolbar), adw_header_bar_new ());
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 18);
  text = gtk_label_new (intro);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), metrics_grid (c));
  title = gtk_label_new (_("F1@5 per bin of labels, rare to common"));
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_set_margin_top (title, 6);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), bins_grid (c));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (toolbar), scrolled);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
  return GTK_WIDGET (self);
}

static void
assay_depl_window_class_init (AssayDeplWindowClass *klass)
{
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
assay_depl_window_init (AssayDeplWindow *self)
{
}
