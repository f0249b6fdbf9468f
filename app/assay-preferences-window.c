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

static void
assay_preferences_window_dispose (GObject *object)
{
  AssayPreferencesWindow *self = ASSAY_PREFERENCES_WINDOW (object);

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
  return GTK_WINDOW (self);
}
