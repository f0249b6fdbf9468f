/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-jobs-button.h"

#include <glib/gi18n.h>

#include "assay-job-row.h"

struct _AssayJobsButton
{
  AdwBin         parent_instance;

  AssayWorker   *worker;
  GtkMenuButton *button;
  GtkSpinner    *spinner;
  GtkLabel      *count;
  GtkListBox    *list;
  GtkWidget     *clear;
  GtkWidget     *cluster_heading;
  GtkListBox    *cluster_list;
  GtkWidget     *cluster_note;
  guint          cluster_live; /* cluster jobs not over */
};

G_DEFINE_FINAL_TYPE (AssayJobsButton, assay_jobs_button, ADW_TYPE_BIN)

static GtkWidget *
create_row (gpointer item, gpointer data)
{
  AssayJobsButton *self = data;

  return assay_job_row_new (ASSAY_JOB (item), self->worker);
}

static void
update (AssayJobsButton *self)
{
  guint            active = self->worker != NULL ? assay_worker_get_n_active (self->worker) : 0;
  g_autofree char *text = g_strdup_printf ("%u", active);

  gtk_spinner_set_spinning (self->spinner, active > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), active > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->count), active > 0);
  gtk_label_set_text (self->count, text);
  /* something to clear only once a job has ended */
  gtk_widget_set_sensitive (self->clear, self->worker != NULL
                                           && g_list_model_get_n_items (assay_worker_get_jobs (self->worker)) > active);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button),
                               active > 0 ? _("Jobs running")
                               : self->cluster_live > 0 ? _("Jobs running on the cluster")
                                                        : _("Jobs"));
}

/* What a cluster job's state means, in words. */
static char *
cluster_state_text (JsonObject *job)
{
  const char *state = json_object_get_string_member (job, "state");
  gint64      n = json_object_get_int_member (job, "n");
  gint64      written = json_object_get_int_member (job, "shards_written");
  gint64      merged = json_object_get_int_member (job, "shards_merged");
  JsonObject *tasks = json_object_get_object_member (job, "tasks");
  gint64      running = tasks != NULL && json_object_has_member (tasks, "RUNNING")
                          ? json_object_get_int_member (tasks, "RUNNING") : 0;
  const char *error = json_object_has_member (job, "merge_error")
                        ? json_object_get_string_member (job, "merge_error") : NULL;
  g_autofree char *what = NULL;

  if (g_str_equal (state, "merged"))
    what = g_strdup (_("Merged into the workspace"));
  else if (g_str_equal (state, "failed"))
    what = g_strdup (_("Failed: the logs are in its folder"));
  else if (g_str_equal (state, "running"))
    what = g_strdup_printf (_("Running: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " tasks"), running, n);
  else if (g_str_equal (state, "queued"))
    what = g_strdup (_("Waiting in the queue"));
  else if (g_str_equal (state, "written"))
    what = g_strdup (_("Every shard written, not merged yet"));
  else
    what = g_strdup (_("Gone from the queue with shards missing"));
  if (error != NULL)
    return g_strdup_printf (_("%s · merge failed: %s"), what, error);
  return g_strdup_printf (_("%s · %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " shards written, %"
                            G_GINT64_FORMAT " merged"), what, written, n, merged);
}

void
assay_jobs_button_set_cluster_status (AssayJobsButton *self, JsonObject *status)
{
  JsonArray  *jobs = status != NULL && json_object_has_member (status, "jobs")
                       ? json_object_get_array_member (status, "jobs") : NULL;
  const char *squeue = status != NULL && json_object_has_member (status, "squeue")
                         ? json_object_get_string_member (status, "squeue") : "ok";
  GtkWidget  *child;
  guint       n = jobs != NULL ? json_array_get_length (jobs) : 0;

  g_return_if_fail (ASSAY_IS_JOBS_BUTTON (self));
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->cluster_list))) != NULL)
    gtk_list_box_remove (self->cluster_list, child);
  self->cluster_live = 0;
  /* newest first, as they matter */
  for (guint i = n; i-- > 0;)
    {
      JsonObject      *job = json_array_get_object_element (jobs, i);
      const char      *state = json_object_get_string_member (job, "state");
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %" G_GINT64_FORMAT " task",
                                                             "%s · %" G_GINT64_FORMAT " tasks",
                                                             (gulong) json_object_get_int_member (job, "n")),
                                                json_object_get_string_member (job, "verb"),
                                                json_object_get_int_member (job, "n"));
      g_autofree char *subtitle = cluster_state_text (job);
      g_autofree char *tooltip = g_strdup_printf (_("Slurm array %s, files in %s"),
                                                  json_object_get_string_member (job, "array_job"),
                                                  json_object_get_string_member (job, "folder"));
      GtkWidget       *row = adw_action_row_new ();
      GtkWidget       *icon;

      self->cluster_live += g_str_equal (state, "queued") || g_str_equal (state, "running")
                            || g_str_equal (state, "written");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_set_tooltip_text (row, tooltip);
      icon = gtk_image_new_from_icon_name (g_str_equal (state, "merged")   ? "emblem-ok-symbolic"
                                           : g_str_equal (state, "failed") ? "dialog-error-symbolic"
                                                                           : "network-server-symbolic");
      if (g_str_equal (state, "failed"))
        gtk_widget_add_css_class (icon, "error");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_append (self->cluster_list, row);
    }
  gtk_widget_set_visible (self->cluster_heading, n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->cluster_list), n > 0);
  /* without the queue, states come from the shard files alone: say so */
  if (n > 0 && g_strcmp0 (squeue, "ok") != 0)
    {
      gtk_label_set_text (GTK_LABEL (self->cluster_note),
                          _("Slurm’s queue could not be read: states come from the shard files alone"));
      gtk_widget_set_tooltip_text (self->cluster_note, squeue);
      gtk_widget_set_visible (self->cluster_note, TRUE);
    }
  else
    gtk_widget_set_visible (self->cluster_note, FALSE);
  update (self);
}

static void
active_changed_cb (AssayWorker *worker, GParamSpec *pspec, AssayJobsButton *self)
{
  update (self);
}

static void
jobs_changed_cb (GListModel *jobs, guint position, guint removed, guint added, AssayJobsButton *self)
{
  update (self);
}

static void
clear_clicked_cb (GtkButton *button, AssayJobsButton *self)
{
  if (self->worker != NULL)
    assay_worker_clear_finished (self->worker);
}

void
assay_jobs_button_set_worker (AssayJobsButton *self, AssayWorker *worker)
{
  g_return_if_fail (ASSAY_IS_JOBS_BUTTON (self));

  if (self->worker != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->worker, self);
      g_signal_handlers_disconnect_by_data (assay_worker_get_jobs (self->worker), self);
    }
  g_set_object (&self->worker, worker);
  gtk_list_box_bind_model (self->list, worker != NULL ? assay_worker_get_jobs (worker) : NULL,
                           create_row, self, NULL);
  if (worker != NULL)
    {
      g_signal_connect (worker, "notify::n-active", G_CALLBACK (active_changed_cb), self);
      g_signal_connect (assay_worker_get_jobs (worker), "items-changed", G_CALLBACK (jobs_changed_cb), self);
    }
  update (self);
}

static void
assay_jobs_button_dispose (GObject *object)
{
  AssayJobsButton *self = ASSAY_JOBS_BUTTON (object);

  if (self->worker != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->worker, self);
      g_signal_handlers_disconnect_by_data (assay_worker_get_jobs (self->worker), self);
    }
  g_clear_object (&self->worker);
  G_OBJECT_CLASS (assay_jobs_button_parent_class)->dispose (object);
}

static void
assay_jobs_button_class_init (AssayJobsButtonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_jobs_button_dispose;
}

static void
assay_jobs_button_init (AssayJobsButton *self)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *popover_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *heading = gtk_label_new (_("Jobs"));
  GtkWidget *clear = self->clear = gtk_button_new_with_mnemonic (_("C_lear Finished"));
  GtkWidget *placeholder = gtk_label_new (_("No jobs yet"));
  GtkWidget *popover = gtk_popover_new ();

  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  self->count = GTK_LABEL (gtk_label_new ("0"));
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->spinner));
  gtk_box_append (GTK_BOX (content), gtk_image_new_from_icon_name ("system-run-symbolic"));
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->count));

  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (placeholder, "dim-label");
  g_object_set (placeholder, "margin-top", 18, "margin-bottom", 18, NULL);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_list_box_set_placeholder (self->list, placeholder);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 420);
  gtk_widget_set_size_request (scroller, 380, -1);
  gtk_widget_set_halign (clear, GTK_ALIGN_END);
  g_signal_connect (clear, "clicked", G_CALLBACK (clear_clicked_cb), self);
  self->cluster_heading = gtk_label_new (_("On the Cluster"));
  gtk_widget_add_css_class (self->cluster_heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (self->cluster_heading), 0);
  gtk_widget_set_margin_top (self->cluster_heading, 6);
  self->cluster_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->cluster_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->cluster_list), "boxed-list");
  gtk_widget_set_visible (self->cluster_heading, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->cluster_list), FALSE);
  gtk_box_append (GTK_BOX (popover_box), heading);
  gtk_box_append (GTK_BOX (popover_box), scroller);
  gtk_box_append (GTK_BOX (popover_box), clear);
  gtk_box_append (GTK_BOX (popover_box), self->cluster_heading);
  gtk_box_append (GTK_BOX (popover_box), GTK_WIDGET (self->cluster_list));
  self->cluster_note = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->cluster_note), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->cluster_note), 50);
  gtk_label_set_xalign (GTK_LABEL (self->cluster_note), 0);
  gtk_widget_add_css_class (self->cluster_note, "dim-label");
  gtk_widget_add_css_class (self->cluster_note, "caption");
  gtk_widget_set_visible (self->cluster_note, FALSE);
  gtk_box_append (GTK_BOX (popover_box), self->cluster_note);
  gtk_popover_set_child (GTK_POPOVER (popover), popover_box);

  self->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_child (self->button, content);
  gtk_menu_button_set_popover (self->button, popover);
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "flat");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->button));
  update (self);
}

void
assay_jobs_button_popup (AssayJobsButton *self)
{
  g_return_if_fail (ASSAY_IS_JOBS_BUTTON (self));
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  gtk_menu_button_popup (self->button);
}
