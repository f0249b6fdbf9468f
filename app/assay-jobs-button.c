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
                               active > 0 ? _("Jobs running") : _("Jobs"));
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
  gtk_box_append (GTK_BOX (popover_box), heading);
  gtk_box_append (GTK_BOX (popover_box), scroller);
  gtk_box_append (GTK_BOX (popover_box), clear);
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
