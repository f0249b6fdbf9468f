/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-gen-stats-view.h"

#include <glib/gi18n.h>

struct _AssayGenStatsView
{
  GtkBox parent_instance;
};

G_DEFINE_FINAL_TYPE (AssayGenStatsView, assay_gen_stats_view, GTK_TYPE_BOX)

/* A row: name, a bar of n out of total, the count and its share */
static void
stats_bar (GtkGrid *grid, int row, const char *name, guint n, guint total)
{
  GtkWidget       *label = gtk_label_new (name);
  GtkWidget       *bar = gtk_progress_bar_new ();
  g_autofree char *text = total > 0 ? g_strdup_printf ("%u · %.0f %%", n, 100.0 * n / total) : g_strdup ("0");
  GtkWidget       *count = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_xalign (GTK_LABEL (count), 1);
  gtk_widget_add_css_class (count, "numeric");
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), total > 0 ? (double) n / total : 0);
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, bar, 1, row, 1, 1);
  gtk_grid_attach (grid, count, 2, row, 1, 1);
}

static GtkWidget *
stats_heading (const char *text)
{
  GtkWidget *h = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (h), 0);
  gtk_widget_add_css_class (h, "heading");
  gtk_widget_set_margin_top (h, 12);
  return h;
}

void
assay_gen_stats_view_set (AssayGenStatsView *self, GPtrArray *stats)
{
  /* in the order a review goes: pending, accepted, edited, rejected */
  static const struct
  {
    AssayGenStatus status;
    const char    *name;
  } statuses[] = { { ASSAY_GEN_PENDING, N_("Pending") }, { ASSAY_GEN_ACCEPTED, N_("Accepted") },
                   { ASSAY_GEN_EDITED, N_("Edited") }, { ASSAY_GEN_REJECTED, N_("Rejected") } };
  static const char *const stars[] = { N_("Unrated"), "★", "★★", "★★★", "★★★★", "★★★★★" };
  AssayGenStats *all;
  GtkWidget     *child;
  GtkGrid       *grid;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_box_remove (GTK_BOX (self), child);
  if (stats == NULL || stats->len == 0)
    return;
  all = stats->pdata[0];
  {
    g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record", "%u records", all->total),
                                              all->total);
    GtkWidget *t = gtk_label_new (title);
    GtkWidget *note = gtk_label_new (_("Over the dataset, kind, model, label, rating and search chosen above, every status."));
    gtk_label_set_xalign (GTK_LABEL (t), 0);
    gtk_widget_add_css_class (t, "title-3");
    gtk_label_set_xalign (GTK_LABEL (note), 0);
    gtk_label_set_wrap (GTK_LABEL (note), TRUE);
    gtk_widget_add_css_class (note, "dim-label");
    gtk_box_append (GTK_BOX (self), t);
    gtk_box_append (GTK_BOX (self), note);
  }
  gtk_box_append (GTK_BOX (self), stats_heading (_("Status")));
  grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (grid, 4);
  gtk_grid_set_column_spacing (grid, 12);
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    stats_bar (grid, (int) i, _(statuses[i].name), all->status[statuses[i].status], all->total);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (grid));
  gtk_box_append (GTK_BOX (self), stats_heading (_("Rating")));
  grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (grid, 4);
  gtk_grid_set_column_spacing (grid, 12);
  for (int r = 5; r >= 0; r--)
    stats_bar (grid, 5 - r, r == 0 ? _(stars[0]) : stars[r], all->rating[r], all->total);
  {
    guint  rated = all->total - all->rating[0];
    double sum = 0;
    for (int r = 1; r <= 5; r++)
      sum += (double) r * all->rating[r];
    if (rated > 0)
      {
        g_autofree char *mean = g_strdup_printf (_("Mean rating %.2f over %u rated"), sum / rated, rated);
        GtkWidget       *m = gtk_label_new (mean);
        gtk_label_set_xalign (GTK_LABEL (m), 0);
        gtk_widget_add_css_class (m, "dim-label");
        gtk_grid_attach (grid, m, 0, 6, 3, 1);
      }
  }
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (grid));
  if (stats->len > 2)
    {
      static const char *const cols[] = { N_("Kind"), N_("Records"), N_("Pending"), N_("Accepted"), N_("Edited"), N_("Rejected") };
      gtk_box_append (GTK_BOX (self), stats_heading (_("By kind")));
      grid = GTK_GRID (gtk_grid_new ());
      gtk_grid_set_row_spacing (grid, 4);
      gtk_grid_set_column_spacing (grid, 18);
      for (int c = 0; c < 6; c++)
        {
          GtkWidget *h = gtk_label_new (_(cols[c]));
          gtk_label_set_xalign (GTK_LABEL (h), c == 0 ? 0 : 1);
          gtk_widget_add_css_class (h, "dim-label");
          gtk_grid_attach (grid, h, c, 0, 1, 1);
        }
      for (guint k = 1; k < stats->len; k++)
        {
          AssayGenStats *s = stats->pdata[k];
          guint          v[5] = { s->total, s->status[ASSAY_GEN_PENDING], s->status[ASSAY_GEN_ACCEPTED],
                                  s->status[ASSAY_GEN_EDITED], s->status[ASSAY_GEN_REJECTED] };
          GtkWidget     *name = gtk_label_new (s->kind);
          gtk_label_set_xalign (GTK_LABEL (name), 0);
          gtk_grid_attach (grid, name, 0, (int) k, 1, 1);
          for (int c = 0; c < 5; c++)
            {
              g_autofree char *t = g_strdup_printf ("%u", v[c]);
              GtkWidget       *l = gtk_label_new (t);
              gtk_label_set_xalign (GTK_LABEL (l), 1);
              gtk_widget_add_css_class (l, "numeric");
              gtk_grid_attach (grid, l, c + 1, (int) k, 1, 1);
            }
        }
      gtk_box_append (GTK_BOX (self), GTK_WIDGET (grid));
    }
}

char *
assay_gen_stats_view_dup_text (AssayGenStatsView *self)
{
  GString *s = g_string_new (NULL);

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self)); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_LABEL (c))
        g_string_append_printf (s, "%s\n", gtk_label_get_text (GTK_LABEL (c)));
      else if (GTK_IS_GRID (c))
        for (GtkWidget *l = gtk_widget_get_first_child (c); l != NULL; l = gtk_widget_get_next_sibling (l))
          if (GTK_IS_LABEL (l))
            g_string_append_printf (s, "%s|", gtk_label_get_text (GTK_LABEL (l)));
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static void
assay_gen_stats_view_class_init (AssayGenStatsViewClass *klass)
{
}

static void
assay_gen_stats_view_init (AssayGenStatsView *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
}
