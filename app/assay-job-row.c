/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-job-row.h"

#include <glib/gi18n.h>

#include "assay-error.h"

struct _AssayJobRow
{
  GtkWidget       parent_instance;

  AssayJob       *job;
  AssayWorker    *worker;
  GtkLabel       *title;
  GtkLabel       *message;
  GtkLabel       *time;
  GtkProgressBar *progress;
  guint           tick;
  GtkButton      *cancel;
  GtkButton      *retry;
};

G_DEFINE_FINAL_TYPE (AssayJobRow, assay_job_row, GTK_TYPE_WIDGET)

static void update (AssayJobRow *self);

static gboolean
tick_cb (gpointer data)
{
  update (data);
  return G_SOURCE_CONTINUE;
}

static void
update (AssayJobRow *self)
{
  AssayJobState    state = assay_job_get_state (self->job);
  g_autofree char *message = assay_job_dup_message (self->job);
  g_autofree char *text = NULL;
  const GError    *error = assay_job_get_error (self->job);
  const char      *backend = assay_job_get_backend_description (self->job);

  switch (state)
    {
    case ASSAY_JOB_QUEUED:
      text = g_strdup (_("Queued"));
      break;
    case ASSAY_JOB_RUNNING:
      text = g_strdup (message != NULL ? message : _("Running…"));
      break;
    case ASSAY_JOB_SUCCEEDED:
      text = backend != NULL ? g_strdup_printf (_("Done in %.1f s on %s"),
                                                assay_job_get_seconds (self->job), backend)
                             : g_strdup_printf (_("Done in %.1f s"),
                                                assay_job_get_seconds (self->job));
      break;
    case ASSAY_JOB_FAILED:
      text = g_strdup (error != NULL ? error->message : _("Failed"));
      break;
    case ASSAY_JOB_CANCELLED:
      text = g_strdup (_("Cancelled"));
      break;
    }
  gtk_label_set_text (self->message, text);
  {
    /* elapsed time and time left, every second while it runs */
    g_autofree char *time = assay_job_dup_time_text (self->job);
    gtk_label_set_text (self->time, time != NULL ? time : "");
    gtk_widget_set_visible (GTK_WIDGET (self->time), time != NULL);
    if (state == ASSAY_JOB_RUNNING && self->tick == 0)
      self->tick = g_timeout_add_seconds (1, tick_cb, self);
    else if (state != ASSAY_JOB_RUNNING)
      g_clear_handle_id (&self->tick, g_source_remove);
  }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->message), text);
  gtk_progress_bar_set_fraction (self->progress, assay_job_get_fraction (self->job));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), state <= ASSAY_JOB_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel), state <= ASSAY_JOB_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->retry),
                          state == ASSAY_JOB_FAILED && error != NULL
                            && g_error_matches (error, ASSAY_ERROR, ASSAY_ERROR_DEVICE));
  if (state == ASSAY_JOB_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->message), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message), "error");
}

static void
job_notify_cb (AssayJob *job, GParamSpec *pspec, AssayJobRow *self)
{
  update (self);
}

static void
cancel_clicked_cb (GtkButton *button, AssayJobRow *self)
{
  assay_job_cancel (self->job);
}

static void
retry_clicked_cb (GtkButton *button, AssayJobRow *self)
{
  assay_worker_retry_on_cpu (self->worker, self->job);
}

static void
assay_job_row_dispose (GObject *object)
{
  AssayJobRow *self = ASSAY_JOB_ROW (object);
  GtkWidget   *child;

  g_clear_handle_id (&self->tick, g_source_remove);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->job);
  g_clear_object (&self->worker);
  G_OBJECT_CLASS (assay_job_row_parent_class)->dispose (object);
}

static void
assay_job_row_class_init (AssayJobRowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_job_row_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_GRID_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "assayjobrow");
}

static void
assay_job_row_init (AssayJobRow *self)
{
  GtkGridLayout *layout = GTK_GRID_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self)));
  GtkWidget     *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_grid_layout_set_row_spacing (layout, 4);
  gtk_grid_layout_set_column_spacing (layout, 12);
  g_object_set (self, "margin-start", 6, "margin-end", 6, "margin-top", 6, "margin-bottom", 6,
                NULL);

  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_ellipsize (self->title, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "heading");
  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->message, 0);
  gtk_label_set_wrap (self->message, TRUE);
  gtk_label_set_wrap_mode (self->message, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (self->message, 48);
  gtk_widget_add_css_class (GTK_WIDGET (self->message), "caption");
  self->time = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->time, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->time), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->time), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->time), "numeric");
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  self->cancel = GTK_BUTTON (gtk_button_new_from_icon_name ("process-stop-symbolic"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->cancel), _("Cancel"));
  gtk_widget_add_css_class (GTK_WIDGET (self->cancel), "flat");
  gtk_widget_add_css_class (GTK_WIDGET (self->cancel), "circular");
  self->retry = GTK_BUTTON (gtk_button_new_with_mnemonic (_("Retry on _CPU")));
  gtk_widget_add_css_class (GTK_WIDGET (self->retry), "flat");
  gtk_widget_set_valign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->retry));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->cancel));

  gtk_widget_set_parent (GTK_WIDGET (self->title), GTK_WIDGET (self));
  gtk_widget_set_parent (GTK_WIDGET (self->message), GTK_WIDGET (self));
  gtk_widget_set_parent (GTK_WIDGET (self->time), GTK_WIDGET (self));
  gtk_widget_set_parent (GTK_WIDGET (self->progress), GTK_WIDGET (self));
  gtk_widget_set_parent (buttons, GTK_WIDGET (self));
  g_object_set (gtk_layout_manager_get_layout_child (GTK_LAYOUT_MANAGER (layout),
                                                     GTK_WIDGET (self->title)),
                "row", 0, "column", 0, NULL);
  g_object_set (gtk_layout_manager_get_layout_child (GTK_LAYOUT_MANAGER (layout),
                                                     GTK_WIDGET (self->message)),
                "row", 1, "column", 0, NULL);
  g_object_set (gtk_layout_manager_get_layout_child (GTK_LAYOUT_MANAGER (layout),
                                                     GTK_WIDGET (self->time)),
                "row", 2, "column", 0, NULL);
  g_object_set (gtk_layout_manager_get_layout_child (GTK_LAYOUT_MANAGER (layout),
                                                     GTK_WIDGET (self->progress)),
                "row", 3, "column", 0, NULL);
  g_object_set (gtk_layout_manager_get_layout_child (GTK_LAYOUT_MANAGER (layout), buttons),
                "row", 0, "column", 1, "row-span", 4, NULL);

  g_signal_connect (self->cancel, "clicked", G_CALLBACK (cancel_clicked_cb), self);
  g_signal_connect (self->retry, "clicked", G_CALLBACK (retry_clicked_cb), self);
}

GtkWidget *
assay_job_row_new (AssayJob *job, AssayWorker *worker)
{
  AssayJobRow *self = g_object_new (ASSAY_TYPE_JOB_ROW, NULL);

  self->job = g_object_ref (job);
  self->worker = g_object_ref (worker);
  gtk_label_set_text (self->title, assay_job_get_title (job));
  g_signal_connect_object (job, "notify", G_CALLBACK (job_notify_cb), self, 0);
  update (self);
  return GTK_WIDGET (self);
}

const char *
assay_job_row_get_time_text (AssayJobRow *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->time)) ? gtk_label_get_text (self->time) : NULL;
}

AssayJob *
assay_job_row_get_job (AssayJobRow *self)
{
  return self->job;
}
