/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-application.h"

#include <malloc.h>

#include <glib/gi18n.h>

#include "assay-demo.h"
#include "assay-resources.h"
#include "assay-preferences-window.h"
#include "assay-window.h"

#define MAX_RECENT 10

struct _AssayApplication
{
  AdwApplication parent_instance;

  GSettings     *settings;
  AssayWorker   *worker;
  gboolean       open_demo;
  char          *start_page;
  char          *backend_override;
};

G_DEFINE_FINAL_TYPE (AssayApplication, assay_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Open the demo workspace (created if missing)"),
    NULL },
  { "page", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Show this page first: labels, generations, changepoints, videos or traces"), N_("PAGE") },
  { "backend", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Compute backend: auto, cpu or cuda"),
    N_("BACKEND") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

/* The schema of an installed Assay, or the one compiled in the build tree when run uninstalled. */
static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsSchemaSource) build_source = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      build_source = g_settings_schema_source_new_from_directory (ASSAY_BUILD_SCHEMA_DIR, source,
                                                                  FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, APP_ID, FALSE);
    }
  if (schema == NULL)
    {
      g_printerr (_("The settings schema %s is not installed; run “ninja” in the build folder "
                    "or install Assay.\n"),
                  APP_ID);
      exit (EXIT_FAILURE);
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static AssayBackendPreference
current_preference (AssayApplication *self)
{
  AssayBackendPreference   preference = ASSAY_BACKEND_PREFERENCE_AUTO;
  g_autofree char         *text = g_settings_get_string (self->settings, "backend");

  if (self->backend_override != NULL)
    assay_worker_parse_preference (self->backend_override, &preference);
  else
    assay_worker_parse_preference (text, &preference);
  return preference;
}

static void
backend_setting_changed_cb (GSettings *settings, const char *key, AssayApplication *self)
{
  g_clear_pointer (&self->backend_override, g_free);
  assay_worker_set_backend_preference (self->worker, current_preference (self));
}

static AssayWindow *
empty_window (AssayApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (ASSAY_IS_WINDOW (l->data) && assay_window_get_store (l->data) == NULL)
      return l->data;
  return assay_window_new (GTK_APPLICATION (self));
}

gboolean
assay_application_open_demo (AssayApplication *self, GError **error)
{
  g_autofree char *path = assay_demo_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (AssayStore) store = NULL;
  AssayWindow *window;

  g_mkdir_with_parents (dir, 0755);
  store = assay_store_open (path, error);
  if (store == NULL || !assay_demo_populate (store, self->worker, error))
    return FALSE;
  window = empty_window (self);
  if (!assay_window_open_workspace (window, path, error))
    return FALSE;
  if (self->start_page != NULL)
    assay_window_show_page (window, self->start_page);
  gtk_window_present (GTK_WINDOW (window));
  return TRUE;
}

static void
assay_application_activate (GApplication *app)
{
  AssayApplication *self = ASSAY_APPLICATION (app);
  g_autoptr (GError) error = NULL;
  AssayWindow *window;

  if (self->open_demo)
    {
      self->open_demo = FALSE;
      if (assay_application_open_demo (self, &error))
        return;
    }
  window = empty_window (self);
  gtk_window_present (GTK_WINDOW (window));
  if (error != NULL)
    assay_window_toast (window, error->message);
}

static void
assay_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  AssayApplication *self = ASSAY_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      g_autoptr (GError) error = NULL;
      AssayWindow *window = empty_window (self);

      gtk_window_present (GTK_WINDOW (window));
      if (path == NULL || !assay_window_open_workspace (window, path, &error))
        assay_window_toast (window, error != NULL ? error->message : _("Not a local file"));
      else if (self->start_page != NULL)
        assay_window_show_page (window, self->start_page);
    }
}

static int
assay_application_handle_local_options (GApplication *app, GVariantDict *dict)
{
  AssayApplication *self = ASSAY_APPLICATION (app);
  AssayBackendPreference preference;

  if (g_variant_dict_contains (dict, "version"))
    {
      g_print ("assay %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  self->open_demo = g_variant_dict_contains (dict, "demo");
  g_variant_dict_lookup (dict, "page", "s", &self->start_page);
  g_variant_dict_lookup (dict, "backend", "s", &self->backend_override);
  if (self->backend_override != NULL
      && !assay_worker_parse_preference (self->backend_override, &preference))
    {
      g_printerr (_("Unknown backend “%s”: use auto, cpu or cuda\n"), self->backend_override);
      return 2;
    }
  return -1;
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  AssayApplication *self = data;
  GtkWindow        *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow        *prefs = assay_preferences_window_new (self->settings, self->worker);

  gtk_window_set_transient_for (prefs, parent);
  gtk_window_present (prefs);
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  AssayApplication *self = data;
  GtkWindow        *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char       *developers[] = { _("The Assay developers"), NULL };
  g_autofree char  *backend = assay_worker_dup_backend_description (self->worker);
  g_autofree char  *debug_info = g_strdup_printf ("Assay %s\nBackend: %s\nGTK %u.%u.%u\n"
                                                  "libadwaita %u.%u.%u\nSQLite %s\n",
                                                  PACKAGE_VERSION, backend,
                                                  gtk_get_major_version (),
                                                  gtk_get_minor_version (),
                                                  gtk_get_micro_version (),
                                                  adw_get_major_version (),
                                                  adw_get_minor_version (),
                                                  adw_get_micro_version (), sqlite3_libversion ());

  adw_show_about_window (parent, "application-name", "Assay", "application-icon", APP_ID,
                         "version", PACKAGE_VERSION, "developer-name", _("The Assay developers"),
                         "developers", developers, "license-type", GTK_LICENSE_GPL_3_0,
                         "comments",
                         _("A workbench for inspecting model-generated training signals"),
                         "debug-info", debug_info, NULL);
}

static void
open_demo_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  AssayApplication *self = data;
  g_autoptr (GError) error = NULL;

  if (!assay_application_open_demo (self, &error))
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
      if (ASSAY_IS_WINDOW (window))
        assay_window_toast (ASSAY_WINDOW (window), error->message);
      else
        g_warning ("%s", error->message);
    }
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  g_application_quit (G_APPLICATION (data));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "about", about_action },
  { "open-demo", open_demo_action },
  { "quit", quit_action },
};

static void
assay_application_startup (GApplication *app)
{
  AssayApplication *self = ASSAY_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *help_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (assay_application_parent_class)->startup (app);

  self->settings = load_settings ();
  self->worker = assay_worker_new (current_preference (self),
                                   g_settings_get_int (self->settings, "cpu-threads"));
  g_signal_connect (self->settings, "changed::backend", G_CALLBACK (backend_setting_changed_cb),
                    self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         help_accels);
}

static void
assay_application_shutdown (GApplication *app)
{
  AssayApplication *self = ASSAY_APPLICATION (app);

  if (self->worker != NULL)
    assay_worker_cancel_all (self->worker);
  G_APPLICATION_CLASS (assay_application_parent_class)->shutdown (app);
  g_clear_object (&self->worker);
}

static void
assay_application_finalize (GObject *object)
{
  AssayApplication *self = ASSAY_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->worker);
  g_free (self->start_page);
  g_free (self->backend_override);
  G_OBJECT_CLASS (assay_application_parent_class)->finalize (object);
}

static void
assay_application_class_init (AssayApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* The resources live in a static library: register them by hand so nothing is dropped. */
  assay_register_resource ();

  G_OBJECT_CLASS (klass)->finalize = assay_application_finalize;
  app_class->activate = assay_application_activate;
  app_class->open = assay_application_open;
  app_class->startup = assay_application_startup;
  app_class->shutdown = assay_application_shutdown;
  app_class->handle_local_options = assay_application_handle_local_options;
}

static void
assay_application_init (AssayApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[WORKSPACE…]"));
}

AssayApplication *
assay_application_new (void)
{
  return g_object_new (ASSAY_TYPE_APPLICATION, "application-id", APP_ID, "flags",
                       G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", RESOURCE_PREFIX, NULL);
}

GSettings *
assay_application_get_settings (AssayApplication *self)
{
  return self->settings;
}

AssayWorker *
assay_application_get_worker (AssayApplication *self)
{
  return self->worker;
}

void
assay_application_add_recent (AssayApplication *self, const char *path)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-workspaces");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) updated = NULL;
  guint n = 1;

  g_strv_builder_add (builder, path);
  for (guint i = 0; recent[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (recent[i], path) != 0 && g_file_test (recent[i], G_FILE_TEST_EXISTS))
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-workspaces", (const char *const *) updated);
}

void
assay_application_tune_allocator (void)
{
  mallopt (M_MMAP_THRESHOLD, 32 << 20);
  mallopt (M_TRIM_THRESHOLD, 128 << 20);
}
