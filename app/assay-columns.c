/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-columns.h"

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gboolean   numeric = GPOINTER_TO_INT (data);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0f : 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
show_value (GtkLabel *label, GObject *row, const char *property)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (row), property);
  GValue      value = G_VALUE_INIT;
  char        text[64];

  g_value_init (&value, pspec->value_type);
  g_object_get_property (row, property, &value);
  if (G_VALUE_HOLDS_STRING (&value))
    gtk_label_set_text (label, g_value_get_string (&value));
  else if (G_VALUE_HOLDS_UINT (&value))
    {
      g_snprintf (text, sizeof text, "%u", g_value_get_uint (&value));
      gtk_label_set_text (label, text);
    }
  else if (G_VALUE_HOLDS_DOUBLE (&value))
    {
      double v = g_value_get_double (&value);
      if (v < 0)
        g_snprintf (text, sizeof text, "—");
      else
        g_snprintf (text, sizeof text, "%.3f", v);
      gtk_label_set_text (label, text);
    }
  g_value_unset (&value);
  if (g_str_equal (property, "bin"))
    {
      gtk_widget_set_css_classes (GTK_WIDGET (label), NULL);
      gtk_widget_add_css_class (GTK_WIDGET (label), "bin");
      gtk_widget_add_css_class (GTK_WIDGET (label), gtk_label_get_text (label));
    }
}

static void
row_notify_cb (GObject *row, GParamSpec *pspec, GtkLabel *label)
{
  show_value (label, row, pspec->name);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  const char      *property = g_object_get_data (G_OBJECT (factory), "property");
  GObject         *row = gtk_list_item_get_item (item);
  GtkLabel        *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *detailed = g_strconcat ("notify::", property, NULL);
  gulong           handler;

  show_value (label, row, property);
  /* Rows whose values change (e.g. a count of marks) update their cell in place */
  handler = g_signal_connect (row, detailed, G_CALLBACK (row_notify_cb), label);
  g_object_set_data (G_OBJECT (item), "assay-notify", GSIZE_TO_POINTER ((gsize) handler));
}

static void
unbind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GObject *row = gtk_list_item_get_item (item);
  gulong   handler = (gulong) GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (item), "assay-notify"));

  if (row != NULL && handler != 0 && g_signal_handler_is_connected (row, handler))
    g_signal_handler_disconnect (row, handler);
  g_object_set_data (G_OBJECT (item), "assay-notify", NULL);
}

GtkColumnViewColumn *
assay_columns_add (GtkColumnView *view, GType row_type, const char *title, const char *property,
                   gboolean numeric, gboolean expand)
{
  GtkListItemFactory  *factory = gtk_signal_list_item_factory_new ();
  GtkExpression       *expression = gtk_property_expression_new (row_type, NULL, property);
  GtkSorter           *sorter = numeric ? GTK_SORTER (gtk_numeric_sorter_new (expression))
                                        : GTK_SORTER (gtk_string_sorter_new (expression));
  GtkColumnViewColumn *column;

  g_object_set_data (G_OBJECT (factory), "property", (gpointer) property);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (numeric));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), NULL);
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (view, column);
  g_object_unref (column);
  g_object_unref (sorter);
  return column;
}
