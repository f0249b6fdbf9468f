/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-window.h"

#include "assay-traces-page.h"

#include <glib/gi18n.h>

#include "assay-application.h"
#include "assay-error.h"
#include "assay-datasets-window.h"
#include "assay-cluster-watch.h"
#include "assay-jobs-button.h"
#include "assay-pages.h"

struct _AssayWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay     *toast_overlay;
  AdwLeaflet          *leaflet;
  GtkListBox          *sidebar_list;
  GtkLabel            *backend_label;
  AdwWindowTitle      *title_widget;
  GtkMenuButton       *workspace_button;
  AssayJobsButton     *jobs_button;
  GtkStack            *main_stack;
  GtkStack            *page_stack;
  GtkListBox          *recent_list;

  GPtrArray           *pages; /* AssayPage, sidebar order */
  AssayStore          *store;
  guint                watch_id; /* looks for other processes' writes */
  AssayClusterWatch   *cluster;  /* the workspace's jobs on a cluster */
  GtkNativeDialog     *chooser;
};

G_DEFINE_FINAL_TYPE (AssayWindow, assay_window, ADW_TYPE_APPLICATION_WINDOW)

static AssayApplication *
get_app (AssayWindow *self)
{
  return ASSAY_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

void
assay_window_toast (AssayWindow *self, const char *message)
{
  /* a toast's title is Pango markup (libadwaita 1.2 has no plain-text toasts): escaped, a
   * message with "<" or "&" (most parse errors) would show as nothing */
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast        *toast = adw_toast_new (escaped);

  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
page_toast_cb (AssayPage *page, const char *message, AssayWindow *self)
{
  assay_window_toast (self, message);
}

/* ---- pages and sidebar ---------------------------------------------------------------------- */

const char *const *
assay_window_page_names (void)
{
  static const char *const names[] = { "labels", "generations", "changepoints", "videos",
                                       "traces", NULL };
  return names;
}

static GtkWidget *
sidebar_row_new (AssayPage *page)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (assay_page_get_title (page));

  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (assay_page_get_icon_name (page)));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_name (row, assay_page_get_name (page));
  return row;
}

static void
update_title (AssayWindow *self)
{
  GtkWidget       *visible = gtk_stack_get_visible_child (self->page_stack);
  g_autofree char *base = NULL;

  if (self->store == NULL)
    {
      adw_window_title_set_title (self->title_widget, "Assay");
      adw_window_title_set_subtitle (self->title_widget, NULL);
      gtk_window_set_title (GTK_WINDOW (self), "Assay");
      return;
    }
  base = g_path_get_basename (assay_store_get_path (self->store));
  adw_window_title_set_title (self->title_widget,
                              visible != NULL ? assay_page_get_title (ASSAY_PAGE (visible)) : "");
  if (assay_store_is_read_only (self->store))
    {
      g_autofree char *subtitle = g_strdup_printf (_("%s (read-only)"), base);
      adw_window_title_set_subtitle (self->title_widget, subtitle);
    }
  else
    adw_window_title_set_subtitle (self->title_widget, base);
  gtk_window_set_title (GTK_WINDOW (self), base);
}

gboolean
assay_window_show_page (AssayWindow *self, const char *name)
{
  for (guint i = 0; i < self->pages->len; i++)
    {
      AssayPage *page = g_ptr_array_index (self->pages, i);

      if (g_strcmp0 (assay_page_get_name (page), name) != 0)
        continue;
      gtk_stack_set_visible_child (self->page_stack, GTK_WIDGET (page));
      gtk_list_box_select_row (self->sidebar_list,
                               gtk_list_box_get_row_at_index (self->sidebar_list, (int) i));
      adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
      update_title (self);
      g_settings_set_string (assay_application_get_settings (get_app (self)), "last-page", name);
      return TRUE;
    }
  return FALSE;
}

AssayPage *
assay_window_get_page (AssayWindow *self, const char *name)
{
  for (guint i = 0; i < self->pages->len; i++)
    {
      AssayPage *page = g_ptr_array_index (self->pages, i);
      if (g_strcmp0 (assay_page_get_name (page), name) == 0)
        return page;
    }
  return NULL;
}

static void
sidebar_row_activated_cb (GtkListBox *box, GtkListBoxRow *row, AssayWindow *self)
{
  const char *name = gtk_widget_get_name (GTK_WIDGET (row));

  /* chosen in the sidebar: the page's keys work at once, without a click into it first */
  if (assay_window_show_page (self, name))
    assay_page_focus_content (assay_window_get_page (self, name));
}

static void
add_pages (AssayWindow *self)
{
  AssayPage **pages = assay_pages_create ();

  for (guint i = 0; pages[i] != NULL; i++)
    {
      AssayPage *page = pages[i];

      g_ptr_array_add (self->pages, page);
      gtk_stack_add_named (self->page_stack, GTK_WIDGET (page), assay_page_get_name (page));
      gtk_list_box_append (self->sidebar_list, sidebar_row_new (page));
      g_signal_connect_object (page, "toast", G_CALLBACK (page_toast_cb), self, 0);
    }
  g_free (pages);
}

/* ---- workspace ------------------------------------------------------------------------------ */

static void
update_undo_actions (AssayWindow *self)
{
  gboolean can_undo = self->store != NULL && assay_store_can_undo (self->store);
  gboolean can_redo = self->store != NULL && assay_store_can_redo (self->store);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", can_undo);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", can_redo);
}

static void
journal_changed_cb (AssayStore *store, const char *table, AssayWindow *self)
{
  update_undo_actions (self);
}

AssayStore *
assay_window_get_store (AssayWindow *self)
{
  return self->store;
}

/* Another process (assay-cli, a second window) or one of our own jobs committed: the store
 * tells the pages which tables to read again. Once a second: "within 2 s" for the user. */
static gboolean
watch_cb (gpointer data)
{
  AssayWindow *self = data;

  if (self->store != NULL)
    assay_store_check_external (self->store);
  return G_SOURCE_CONTINUE;
}

static void
cluster_updated_cb (AssayClusterWatch *watch, JsonObject *status, AssayWindow *self)
{
  assay_jobs_button_set_cluster_status (self->jobs_button, status);
}

static void
set_store (AssayWindow *self, AssayStore *store)
{
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_handle_id (&self->watch_id, g_source_remove);
  g_set_object (&self->store, store);
  if (store != NULL)
    {
      /* the app's undo takes back the app's decisions, not a script's (assay-cli: "cli") */
      assay_store_set_session (store, "app");
      assay_store_check_external (store); /* takes note of where the workspace is now */
      self->watch_id = g_timeout_add (1000, watch_cb, self);
      g_signal_connect (store, "changed::journal", G_CALLBACK (journal_changed_cb), self);
    }
  for (guint i = 0; i < self->pages->len; i++)
    assay_page_set_store (g_ptr_array_index (self->pages, i), store);
  assay_cluster_watch_set_store (self->cluster, store);
  gtk_stack_set_visible_child_name (self->main_stack, store != NULL ? "pages" : "welcome");
  gtk_widget_set_sensitive (GTK_WIDGET (self->sidebar_list), store != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.datasets", store != NULL);
  update_undo_actions (self);
  update_title (self);
}

gboolean
assay_window_open_workspace (AssayWindow *self, const char *path, GError **error)
{
  g_autoptr (AssayStore) store = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_return_val_if_fail (ASSAY_IS_WINDOW (self), FALSE);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("Could not create folder “%s”"), dir);
      return FALSE;
    }
  store = assay_store_open (path, error);
  if (store == NULL)
    return FALSE;
  if (assay_store_is_read_only (store))
    {
      g_autofree char *msg = g_strdup_printf (_("%s is read-only: you can browse and export, "
                                                "not review or import"),
                                              assay_store_get_path (store));
      assay_window_toast (self, msg);
    }
  if (assay_store_get_backup_path (store) != NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Workspace upgraded; the old file was kept as %s"),
                                              assay_store_get_backup_path (store));
      assay_window_toast (self, msg);
    }
  set_store (self, store);
  assay_application_add_recent (get_app (self), path);
  return TRUE;
}

static void
open_path_or_toast (AssayWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;

  if (!assay_window_open_workspace (self, path, &error))
    assay_window_toast (self, error->message);
}

static void
chooser_response_cb (GtkNativeDialog *dialog, int response, AssayWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        {
          if (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SAVE
              && !g_str_has_suffix (path, ".assay"))
            {
              char *with_suffix = g_strconcat (path, ".assay", NULL);
              g_free (path);
              path = with_suffix;
            }
          open_path_or_toast (self, path);
        }
    }
  g_clear_object (&self->chooser);
}

static void
show_chooser (AssayWindow *self, GtkFileChooserAction action)
{
  GtkFileChooserNative *native;
  GtkFileFilter        *filter = gtk_file_filter_new ();

  native = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_SAVE
                                          ? _("New Workspace")
                                          : _("Open Workspace"),
                                        GTK_WINDOW (self), action,
                                        action == GTK_FILE_CHOOSER_ACTION_SAVE ? _("_Create")
                                                                               : _("_Open"),
                                        _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Assay workspaces"));
  gtk_file_filter_add_pattern (filter, "*.assay");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);
  if (action == GTK_FILE_CHOOSER_ACTION_SAVE)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), _("Untitled.assay"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

static void
new_workspace_action (GtkWidget *widget, const char *name, GVariant *param)
{
  show_chooser (ASSAY_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SAVE);
}

static void
open_workspace_action (GtkWidget *widget, const char *name, GVariant *param)
{
  show_chooser (ASSAY_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
open_recent_action (GtkWidget *widget, const char *name, GVariant *param)
{
  open_path_or_toast (ASSAY_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
undo_redo (AssayWindow *self, gboolean undo)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  g_autofree char *msg = NULL;
  gboolean         ok;

  if (self->store == NULL)
    return;
  ok = undo ? assay_store_undo (self->store, &label, &error)
            : assay_store_redo (self->store, &label, &error);
  if (!ok)
    {
      assay_window_toast (self, error->message);
      return;
    }
  msg = g_strdup_printf (undo ? _("Undone: %s") : _("Redone: %s"), label);
  assay_window_toast (self, msg);
  /* back to what was undone: its page, its record */
  {
    const char *table = NULL;
    gint64      row = assay_store_get_replayed (self->store, &table);
    for (guint i = 0; i < self->pages->len; i++)
      {
        AssayPage *page = g_ptr_array_index (self->pages, i);
        if (assay_page_reveal (page, table, row))
          {
            assay_window_show_page (self, assay_page_get_name (page));
            break;
          }
      }
  }
}

static void
undo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (ASSAY_WINDOW (widget), TRUE);
}

static void
redo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (ASSAY_WINDOW (widget), FALSE);
}

static void
show_page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayWindow *self = ASSAY_WINDOW (widget);

  /* Alt+1..5: as from the sidebar, the page takes the keyboard focus */
  if (self->store != NULL && assay_window_show_page (self, g_variant_get_string (param, NULL)))
    assay_page_focus_content (assay_window_get_page (self, g_variant_get_string (param, NULL)));
}

/* (policy, reference): the Traces page, with its credit dialog set to those two models (a
 * fine-tuning run's "Compute Credit with This Policy") */
static void
credit_with_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayWindow *self = ASSAY_WINDOW (widget);
  const char  *policy, *reference;
  AssayPage   *page;

  g_variant_get (param, "(&s&s)", &policy, &reference);
  if (self->store == NULL || !assay_window_show_page (self, "traces")
      || (page = assay_window_get_page (self, "traces")) == NULL)
    return;
  assay_traces_page_credit_with (ASSAY_TRACES_PAGE (page), policy, reference);
}

static void
show_sidebar_action (GtkWidget *widget, const char *name, GVariant *param)
{
  adw_leaflet_navigate (ASSAY_WINDOW (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ---- recent workspaces and backend ----------------------------------------------------------- */

static GMenuModel *
build_workspace_menu (AssayWindow *self, char **recent)
{
  GMenu *menu = g_menu_new ();
  GMenu *main = g_menu_new ();
  GMenu *recent_section = g_menu_new ();

  g_menu_append (main, _("_New Workspace…"), "win.new-workspace");
  g_menu_append (main, _("_Open Workspace…"), "win.open-workspace");
  g_menu_append (main, _("Open _Demo Workspace"), "app.open-demo");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (main));
  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (recent[i]);
      g_autoptr (GMenuItem) item = g_menu_item_new (base, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (recent[i]));
      g_menu_append_item (recent_section, item);
    }
  if (recent[0] != NULL)
    g_menu_append_section (menu, _("Recent"), G_MENU_MODEL (recent_section));
  g_object_unref (main);
  g_object_unref (recent_section);
  return G_MENU_MODEL (menu);
}

static void
recent_row_activated_cb (GtkListBox *box, GtkListBoxRow *row, AssayWindow *self)
{
  const char *path = g_object_get_data (G_OBJECT (row), "path");

  if (path != NULL)
    open_path_or_toast (self, path);
}

static void
update_recent (AssayWindow *self)
{
  GSettings  *settings = assay_application_get_settings (get_app (self));
  g_auto (GStrv) recent = g_settings_get_strv (settings, "recent-workspaces");
  g_autoptr (GMenuModel) menu = build_workspace_menu (self, recent);
  GtkWidget  *child;

  gtk_menu_button_set_menu_model (self->workspace_button, menu);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);
  for (guint i = 0; recent[i] != NULL && i < 6; i++)
    {
      g_autofree char *base = g_path_get_basename (recent[i]);
      g_autofree char *dir = g_path_get_dirname (recent[i]);
      GtkWidget       *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), dir);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "path", g_strdup (recent[i]), g_free);
      gtk_list_box_append (self->recent_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), recent[0] != NULL);
}

static void
recent_changed_cb (GSettings *settings, const char *key, AssayWindow *self)
{
  update_recent (self);
}

static void
update_backend_label (AssayWindow *self)
{
  AssayWorker     *worker = assay_application_get_worker (get_app (self));
  g_autofree char *description = assay_worker_dup_backend_description (worker);
  g_autofree char *note = assay_worker_dup_backend_note (worker);
  g_autofree char *text = note != NULL ? g_strdup_printf ("%s\n%s", description, note)
                                       : g_strdup (description);

  gtk_label_set_text (self->backend_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->backend_label),
                               _("The backend that runs the models"));
}

static void
backend_changed_cb (AssayWorker *worker, GParamSpec *pspec, AssayWindow *self)
{
  update_backend_label (self);
}

static void
job_finished_cb (AssayJob *job, AssayWindow *self)
{
  const GError *error = assay_job_get_error (job);

  for (guint i = 0; i < self->pages->len; i++)
    assay_page_job_finished (g_ptr_array_index (self->pages, i), job);
  /* a failure is said here, for every page's jobs, with the way to the details */
  if (assay_job_get_state (job) == ASSAY_JOB_FAILED && error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("%s failed: %s"), assay_job_get_title (job),
                                                  error->message);
      g_autofree char *escaped = g_markup_escape_text (message, -1);
      AdwToast        *toast = adw_toast_new (escaped);

      adw_toast_set_timeout (toast, 8);
      adw_toast_set_button_label (toast, _("_Details"));
      adw_toast_set_action_name (toast, "win.show-jobs");
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

static void
datasets_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayWindow *self = ASSAY_WINDOW (widget);

  if (self->store != NULL)
    gtk_window_present (assay_datasets_window_new (GTK_WINDOW (self), self->store));
}

static void
show_jobs_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_jobs_button_popup (ASSAY_WINDOW (widget)->jobs_button);
}

static void
jobs_changed_cb (GListModel *jobs, guint position, guint removed, guint added, AssayWindow *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (AssayJob) job = g_list_model_get_item (jobs, i);
      g_signal_connect_object (job, "finished", G_CALLBACK (job_finished_cb), self, 0);
    }
}

/* Needs the application, which is set only after construction. */
static void
setup (AssayWindow *self)
{
  AssayApplication *app = get_app (self);
  GSettings        *settings = assay_application_get_settings (app);
  AssayWorker      *worker = assay_application_get_worker (app);
  g_autofree char  *last_page = NULL;

  for (guint i = 0; i < self->pages->len; i++)
    assay_page_set_worker (g_ptr_array_index (self->pages, i), worker);
  assay_jobs_button_set_worker (self->jobs_button, worker);
  g_signal_connect_object (assay_worker_get_jobs (worker), "items-changed",
                           G_CALLBACK (jobs_changed_cb), self, 0);
  /* jobs queued before this window existed (e.g. by the demo) tell it when they end too */
  jobs_changed_cb (assay_worker_get_jobs (worker), 0, 0,
                   g_list_model_get_n_items (assay_worker_get_jobs (worker)), self);

  g_signal_connect_object (settings, "changed::recent-workspaces", G_CALLBACK (recent_changed_cb),
                           self, 0);
  g_signal_connect_object (worker, "notify::backend-description", G_CALLBACK (backend_changed_cb),
                           self, 0);
  update_recent (self);
  update_backend_label (self);

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  last_page = g_settings_get_string (settings, "last-page");
  if (!assay_window_show_page (self, last_page))
    assay_window_show_page (self, "labels");
  set_store (self, NULL);
}

static void
assay_window_dispose (GObject *object)
{
  AssayWindow *self = ASSAY_WINDOW (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_handle_id (&self->watch_id, g_source_remove);
  if (self->cluster != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->cluster, self);
      assay_cluster_watch_set_store (self->cluster, NULL);
      g_clear_object (&self->cluster);
    }
  g_clear_object (&self->store);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_WINDOW);
  G_OBJECT_CLASS (assay_window_parent_class)->dispose (object);
}

static void
assay_window_finalize (GObject *object)
{
  g_ptr_array_unref (ASSAY_WINDOW (object)->pages);
  G_OBJECT_CLASS (assay_window_parent_class)->finalize (object);
}

static void
assay_window_class_init (AssayWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const char *const *names = assay_window_page_names ();

  object_class->dispose = assay_window_dispose;
  object_class->finalize = assay_window_finalize;

  g_type_ensure (ASSAY_TYPE_JOBS_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/assay-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, backend_label);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, title_widget);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, workspace_button);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, jobs_button);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, page_stack);
  gtk_widget_class_bind_template_child (widget_class, AssayWindow, recent_list);

  gtk_widget_class_install_action (widget_class, "win.new-workspace", NULL, new_workspace_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-workspace", NULL);
  gtk_widget_class_install_action (widget_class, "win.open-workspace", NULL,
                                   open_workspace_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
                                       "win.open-workspace", NULL);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.show-jobs", NULL, show_jobs_action);
  gtk_widget_class_install_action (widget_class, "win.datasets", NULL, datasets_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo",
                                       NULL);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, redo_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.credit-with", "(ss)", credit_with_action);
  for (guint i = 0; names[i] != NULL; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-page", "s", names[i]);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
}

static void
assay_window_init (AssayWindow *self)
{
  self->pages = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cluster = assay_cluster_watch_new ();
  g_signal_connect (self->cluster, "updated", G_CALLBACK (cluster_updated_cb), self);
  add_pages (self);
  g_signal_connect (self->sidebar_list, "row-activated", G_CALLBACK (sidebar_row_activated_cb),
                    self);
  g_signal_connect (self->recent_list, "row-activated", G_CALLBACK (recent_row_activated_cb),
                    self);
}

AssayWindow *
assay_window_new (GtkApplication *application)
{
  AssayWindow *self = g_object_new (ASSAY_TYPE_WINDOW, "application", application, NULL);

  setup (self);
  return self;
}
