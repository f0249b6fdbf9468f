/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-import-dialog.h"

#include <glib/gi18n.h>

struct _AssayImportDialog
{
  AdwWindow             parent_instance;

  GStrv                 files;
  AssayImportDialogFunc func;
  gpointer              data;
  GHashTable           *widgets; /* key -> the row's value widget (borrowed) */
  AdwEntryRow          *name_row;
  char                 *name;
  GtkWidget            *group;
};

G_DEFINE_FINAL_TYPE (AssayImportDialog, assay_import_dialog, ADW_TYPE_WINDOW)

static void
assay_import_dialog_finalize (GObject *object)
{
  AssayImportDialog *self = ASSAY_IMPORT_DIALOG (object);

  g_strfreev (self->files);
  g_hash_table_unref (self->widgets);
  g_free (self->name);
  G_OBJECT_CLASS (assay_import_dialog_parent_class)->finalize (object);
}

static void
assay_import_dialog_class_init (AssayImportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = assay_import_dialog_finalize;
}

static void
assay_import_dialog_init (AssayImportDialog *self)
{
  self->widgets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

GtkWidget *
assay_import_dialog_frame (AdwWindow *window, const char *title, const char *subtitle, GtkWidget **import)
{
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget          *header = adw_header_bar_new ();
  GtkWidget          *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget          *scroller = gtk_scrolled_window_new ();
  GtkWidget          *clamp = adw_clamp_new ();
  GtkWidget          *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkEventController *keys = gtk_shortcut_controller_new ();

  *import = gtk_button_new_with_mnemonic (_("_Import"));
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new (title, subtitle));
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), window);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  gtk_widget_add_css_class (*import, "suggested-action");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), *import);
  gtk_box_append (GTK_BOX (box), header);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_widget_set_vexpand (scroller, TRUE);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  g_object_set (content, "margin-start", 12, "margin-end", 12, "margin-top", 18, "margin-bottom", 18, NULL);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_window_set_content (window, box);
  gtk_window_set_default_widget (GTK_WINDOW (window), *import);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (window), keys);
  return content;
}

static void
import_clicked_cb (GtkButton *button, AssayImportDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  g_free (self->name);
  self->name = *name != '\0' ? g_strdup (name) : NULL;
  g_object_ref (self);
  if (self->func != NULL)
    self->func (self, self->data);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

AssayImportDialog *
assay_import_dialog_new (GtkWindow *parent, const char *what, const char *const *files,
                         AssayImportDialogFunc func, gpointer data)
{
  AssayImportDialog *self = g_object_new (ASSAY_TYPE_IMPORT_DIALOG, "modal", TRUE, "transient-for", parent,
                                          "default-width", 560, "title", what, NULL);
  g_autofree char *base = g_path_get_basename (files[0]);
  g_autofree char *subtitle = g_strv_length ((GStrv) files) > 1
                                ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s and %u more file", "%s and %u more files",
                                                                g_strv_length ((GStrv) files) - 1),
                                                   base, g_strv_length ((GStrv) files) - 1)
                                : g_strdup (base);
  GtkWidget *import, *content;

  self->files = g_strdupv ((GStrv) files);
  self->func = func;
  self->data = data;
  content = assay_import_dialog_frame (ADW_WINDOW (self), what, subtitle, &import);
  g_signal_connect (import, "clicked", G_CALLBACK (import_clicked_cb), self);
  self->group = adw_preferences_group_new ();
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Dataset name"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), base);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), GTK_WIDGET (self->name_row));
  gtk_box_append (GTK_BOX (content), self->group);
  return self;
}

static GtkWidget *
action_row (AssayImportDialog *self, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), row);
  return row;
}

void
assay_import_dialog_add_choice (AssayImportDialog *self, const char *key, const char *title,
                                const char *subtitle, const char *const *labels, guint selected)
{
  AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());
  g_autoptr (GtkStringList) list = gtk_string_list_new (labels);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (row, selected);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), GTK_WIDGET (row));
  g_hash_table_insert (self->widgets, g_strdup (key), row);
}

void
assay_import_dialog_add_number (AssayImportDialog *self, const char *key, const char *title,
                                const char *subtitle, double lower, double upper, double value)
{
  GtkWidget *row = action_row (self, title, subtitle);
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, 1);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  g_hash_table_insert (self->widgets, g_strdup (key), spin);
}

GtkSpinButton *
assay_import_dialog_spin_row (GtkWidget *group, const char *title, const char *subtitle, double lower, double upper,
                              double step, guint digits, double value, GtkWidget **row_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_spin_button_new_with_range (lower, upper, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (button), digits);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (button), value);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  if (row_out != NULL)
    *row_out = row;
  return GTK_SPIN_BUTTON (button);
}

void
assay_import_dialog_add_text (AssayImportDialog *self, const char *key, const char *title, const char *value)
{
  AdwEntryRow *row = ADW_ENTRY_ROW (adw_entry_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), value != NULL ? value : "");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), GTK_WIDGET (row));
  g_hash_table_insert (self->widgets, g_strdup (key), row);
}

void
assay_import_dialog_add_switch (AssayImportDialog *self, const char *key, const char *title,
                                const char *subtitle, gboolean active)
{
  GtkWidget *row = action_row (self, title, subtitle);
  GtkWidget *sw = gtk_switch_new ();

  gtk_switch_set_active (GTK_SWITCH (sw), active);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  g_hash_table_insert (self->widgets, g_strdup (key), sw);
}

const char *const *
assay_import_dialog_get_files (AssayImportDialog *self)
{
  return (const char *const *) self->files;
}

const char *
assay_import_dialog_get_name (AssayImportDialog *self)
{
  return self->name;
}

guint
assay_import_dialog_get_choice (AssayImportDialog *self, const char *key)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  return w != NULL && ADW_IS_COMBO_ROW (w) ? adw_combo_row_get_selected (ADW_COMBO_ROW (w)) : 0;
}

double
assay_import_dialog_get_number (AssayImportDialog *self, const char *key)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  return w != NULL && GTK_IS_SPIN_BUTTON (w) ? gtk_spin_button_get_value (GTK_SPIN_BUTTON (w)) : 0;
}

const char *
assay_import_dialog_get_text (AssayImportDialog *self, const char *key)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  return w != NULL && GTK_IS_EDITABLE (w) ? gtk_editable_get_text (GTK_EDITABLE (w)) : NULL;
}

gboolean
assay_import_dialog_get_switch (AssayImportDialog *self, const char *key)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  return w != NULL && GTK_IS_SWITCH (w) && gtk_switch_get_active (GTK_SWITCH (w));
}

void
assay_import_dialog_set_choice (AssayImportDialog *self, const char *key, guint selected)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  if (w != NULL && ADW_IS_COMBO_ROW (w))
    adw_combo_row_set_selected (ADW_COMBO_ROW (w), selected);
}

void
assay_import_dialog_set_number (AssayImportDialog *self, const char *key, double value)
{
  GtkWidget *w = g_hash_table_lookup (self->widgets, key);

  if (w != NULL && GTK_IS_SPIN_BUTTON (w))
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), value);
}

void
assay_import_dialog_set_text (AssayImportDialog *self, const char *key, const char *value)
{
  GtkWidget *w = g_strcmp0 (key, "name") == 0 ? GTK_WIDGET (self->name_row) : g_hash_table_lookup (self->widgets, key);

  if (w != NULL && GTK_IS_EDITABLE (w))
    gtk_editable_set_text (GTK_EDITABLE (w), value);
}

void
assay_import_dialog_import (AssayImportDialog *self)
{
  import_clicked_cb (NULL, self);
}
