/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-datasets-window.h"

#include <glib/gi18n.h>

struct _AssayDatasetsWindow
{
  AdwPreferencesWindow parent_instance;

  AssayStore           *store;
  AdwPreferencesGroup  *group;
  GPtrArray            *rows;    /* AdwActionRow, as added to the group */
  GPtrArray            *datasets; /* AssayDatasetInfo, same order */
  AdwMessageDialog     *dialog;  /* rename or delete, while open */
  GtkWidget            *empty;
};

G_DEFINE_FINAL_TYPE (AssayDatasetsWindow, assay_datasets_window, ADW_TYPE_PREFERENCES_WINDOW)

static void refresh (AssayDatasetsWindow *self);

static const char *
area_title (const char *area)
{
  if (g_strcmp0 (area, "gen") == 0)
    return _("Generations");
  if (g_strcmp0 (area, "xmtc") == 0)
    return _("Labels");
  if (g_strcmp0 (area, "cpd") == 0)
    return _("Change points");
  if (g_strcmp0 (area, "video") == 0)
    return _("Videos");
  return area;
}

static AssayDatasetInfo *
info_of (AssayDatasetsWindow *self, GtkWidget *button)
{
  GtkWidget *row = gtk_widget_get_ancestor (button, ADW_TYPE_ACTION_ROW);

  for (guint i = 0; i < self->rows->len; i++)
    if (self->rows->pdata[i] == row)
      return self->datasets->pdata[i];
  return NULL;
}

static void
toast_error (AssayDatasetsWindow *self, GError *error)
{
  g_autofree char *escaped = g_markup_escape_text (error->message, -1);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
}

static void
rename_response_cb (AdwMessageDialog *dialog, const char *response, AssayDatasetsWindow *self)
{
  gint64     id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "dataset"));
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr (GError) error = NULL;

  self->dialog = NULL;
  if (!g_str_equal (response, "rename") || *name == '\0')
    return;
  if (!assay_store_rename_dataset (self->store, id, name, &error))
    toast_error (self, error);
  refresh (self);
}

static void
rename_clicked_cb (GtkButton *button, AssayDatasetsWindow *self)
{
  AssayDatasetInfo *d = info_of (self, GTK_WIDGET (button));
  GtkWidget        *entry;
  AdwMessageDialog *dialog;

  if (d == NULL)
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Rename Dataset"), NULL));
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), d->name);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "rename");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "dataset", GSIZE_TO_POINTER (d->id));
  g_signal_connect (dialog, "response", G_CALLBACK (rename_response_cb), self);
  self->dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_response_cb (AdwMessageDialog *dialog, const char *response, AssayDatasetsWindow *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "dataset"));
  g_autoptr (GError) error = NULL;

  self->dialog = NULL;
  if (!g_str_equal (response, "delete"))
    return;
  if (!assay_store_drop_dataset (self->store, id, &error))
    toast_error (self, error);
  else
    assay_store_emit_changed (self->store, "datasets");
  refresh (self);
}

static void
delete_clicked_cb (GtkButton *button, AssayDatasetsWindow *self)
{
  AssayDatasetInfo *d = info_of (self, GTK_WIDGET (button));
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  if (d == NULL)
    return;
  body = g_strdup_printf (
    ngettext ("“%s” and its %lld row go, with its runs and your decisions on it. This cannot be undone.",
              "“%s” and its %lld rows go, with its runs and your decisions on them. This cannot be undone.",
              (gulong) d->rows),
    d->name, (long long) d->rows);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Delete Dataset?"), body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "dataset", GSIZE_TO_POINTER (d->id));
  g_signal_connect (dialog, "response", G_CALLBACK (delete_response_cb), self);
  self->dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (b, tooltip);
  gtk_widget_add_css_class (b, "flat");
  return b;
}

static void
refresh (AssayDatasetsWindow *self)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, self->rows->pdata[i]);
  g_ptr_array_set_size (self->rows, 0);
  g_clear_pointer (&self->datasets, g_ptr_array_unref);
  if (self->empty != NULL)
    {
      adw_preferences_group_remove (self->group, self->empty);
      self->empty = NULL;
    }
  if (self->store == NULL || (self->datasets = assay_store_list_datasets (self->store, &error)) == NULL)
    {
      if (error != NULL)
        toast_error (self, error);
      return;
    }
  for (guint i = 0; i < self->datasets->len; i++)
    {
      AssayDatasetInfo *d = self->datasets->pdata[i];
      GtkWidget        *row = adw_action_row_new ();
      GtkWidget        *rename = icon_button ("document-edit-symbolic", _("Rename"));
      GtkWidget        *delete = icon_button ("user-trash-symbolic", _("Delete"));
      g_autofree char  *rows = g_strdup_printf (ngettext ("%lld row", "%lld rows", (gulong) d->rows),
                                                (long long) d->rows);
      g_autofree char  *runs = g_strdup_printf (ngettext ("%lld run", "%lld runs", (gulong) d->runs),
                                                (long long) d->runs);
      g_autofree char  *day = g_strndup (d->created != NULL ? d->created : "", 10);
      g_autofree char  *subtitle = g_strdup_printf ("%s · %s · %s · %s", area_title (d->area), rows, runs, day);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), d->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_add_css_class (delete, "error");
      g_signal_connect (rename, "clicked", G_CALLBACK (rename_clicked_cb), self);
      g_signal_connect (delete, "clicked", G_CALLBACK (delete_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), rename);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), delete);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
  if (self->datasets->len == 0)
    {
      self->empty = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->empty), _("No datasets yet"));
      adw_preferences_group_add (self->group, self->empty);
    }
}

static void
assay_datasets_window_dispose (GObject *object)
{
  AssayDatasetsWindow *self = ASSAY_DATASETS_WINDOW (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->datasets, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_DATASETS_WINDOW);
  G_OBJECT_CLASS (assay_datasets_window_parent_class)->dispose (object);
}

static void
assay_datasets_window_class_init (AssayDatasetsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = assay_datasets_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-datasets-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AssayDatasetsWindow, group);
}

static void
assay_datasets_window_init (AssayDatasetsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
}

GtkWindow *
assay_datasets_window_new (GtkWindow *parent, AssayStore *store)
{
  AssayDatasetsWindow *self = g_object_new (ASSAY_TYPE_DATASETS_WINDOW, "transient-for", parent, NULL);

  self->store = store != NULL ? g_object_ref (store) : NULL;
  refresh (self);
  return GTK_WINDOW (self);
}

guint
assay_datasets_window_get_n_rows (AssayDatasetsWindow *self)
{
  return self->rows->len;
}

GtkWidget *
assay_datasets_window_get_row (AssayDatasetsWindow *self, guint i)
{
  return i < self->rows->len ? self->rows->pdata[i] : NULL;
}

AdwMessageDialog *
assay_datasets_window_get_dialog (AssayDatasetsWindow *self)
{
  return self->dialog;
}
