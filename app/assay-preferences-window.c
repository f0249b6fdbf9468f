/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-preferences-window.h"

#include <glib/gi18n.h>

static const char *const backend_ids[] = { "auto", "cpu", "cuda" };

struct _AssayPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings           *settings;
  AssayWorker         *worker;
  AdwComboRow         *backend_row;
  AdwActionRow        *in_use_row;
  GtkSpinButton       *threads_spin;
  AdwActionRow        *encoder_row;
  GtkButton           *encoder_button;
  GtkButton           *encoder_clear;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (AssayPreferencesWindow, assay_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
backend_get_mapping (GValue *value, GVariant *variant, gpointer data)
{
  const char *id = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (backend_ids); i++)
    if (g_str_equal (id, backend_ids[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
backend_set_mapping (const GValue *value, const GVariantType *type, gpointer data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (backend_ids[i < G_N_ELEMENTS (backend_ids) ? i : 0]);
}

static void
update_in_use (AssayPreferencesWindow *self)
{
  g_autofree char *description = assay_worker_dup_backend_description (self->worker);
  g_autofree char *note = assay_worker_dup_backend_note (self->worker);
  g_autofree char *text = note != NULL ? g_strdup_printf ("%s — %s", description, note)
                                       : g_strdup (description);

  adw_action_row_set_subtitle (self->in_use_row, text);
}

static void
backend_changed_cb (AssayWorker *worker, GParamSpec *pspec, AssayPreferencesWindow *self)
{
  update_in_use (self);
}

/* The text encoder: the folder that embeds texts (search and near-duplicates by meaning,
 * zero-shot labels, dense label retrieval). */
static void
update_encoder (AssayPreferencesWindow *self)
{
  g_autofree char *model = g_settings_get_string (self->settings, "encoder-model");

  adw_action_row_set_subtitle (self->encoder_row,
                               *model ? model : _("None yet: asked for when first needed (BERT, RoBERTa, XLM-R or a causal LM folder)"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->encoder_clear), *model != '\0');
}

static void
encoder_setting_cb (GSettings *settings, const char *key, AssayPreferencesWindow *self)
{
  update_encoder (self);
}

static void
encoder_response_cb (GtkNativeDialog *dialog, int response, AssayPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path != NULL)
        g_settings_set_string (self->settings, "encoder-model", path);
    }
  g_clear_object (&self->chooser);
}

static void
encoder_choose_cb (GtkButton *button, AssayPreferencesWindow *self)
{
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Text Encoder Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (encoder_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
encoder_clear_cb (GtkButton *button, AssayPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "encoder-model", "");
}

static void
assay_preferences_window_dispose (GObject *object)
{
  AssayPreferencesWindow *self = ASSAY_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->settings);
  g_clear_object (&self->worker);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (assay_preferences_window_parent_class)->dispose (object);
}

static void
assay_preferences_window_class_init (AssayPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = assay_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, backend_row);
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, in_use_row);
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, encoder_row);
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, encoder_button);
  gtk_widget_class_bind_template_child (widget_class, AssayPreferencesWindow, encoder_clear);
}

static void
assay_preferences_window_init (AssayPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
assay_preferences_window_new (GSettings *settings, AssayWorker *worker)
{
  AssayPreferencesWindow *self = g_object_new (ASSAY_TYPE_PREFERENCES_WINDOW, NULL);

  self->settings = g_object_ref (settings);
  self->worker = g_object_ref (worker);
  g_settings_bind_with_mapping (settings, "backend", self->backend_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, backend_get_mapping,
                                backend_set_mapping, NULL, NULL);
  g_settings_bind (settings, "cpu-threads", self->threads_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (worker, "notify::backend-description", G_CALLBACK (backend_changed_cb),
                           self, 0);
  update_in_use (self);
  g_signal_connect_object (settings, "changed::encoder-model", G_CALLBACK (encoder_setting_cb), self, 0);
  g_signal_connect (self->encoder_button, "clicked", G_CALLBACK (encoder_choose_cb), self);
  g_signal_connect (self->encoder_clear, "clicked", G_CALLBACK (encoder_clear_cb), self);
  update_encoder (self);
  return GTK_WINDOW (self);
}
