/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-finetune-window.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-curve-chart.h"
#include "assay-json.h"

struct _AssayFinetuneWindow
{
  AdwWindow               parent_instance;

  AssayJob               *job;
  AssayFinetuneObjective  objective;
  char                   *model, *out;
  gboolean                lora;
  AssayFinetuneCreditFunc credit;
  gpointer                data;
  guint                   n_steps;
  GtkLabel               *status;
  GtkProgressBar         *progress;
  AssayCurveChart        *loss, *rewards;
  GtkWidget              *stop, *credit_button;
};

G_DEFINE_FINAL_TYPE (AssayFinetuneWindow, assay_finetune_window, ADW_TYPE_WINDOW)

static void
assay_finetune_window_dispose (GObject *object)
{
  AssayFinetuneWindow *self = ASSAY_FINETUNE_WINDOW (object);

  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  G_OBJECT_CLASS (assay_finetune_window_parent_class)->dispose (object);
}

static void
assay_finetune_window_finalize (GObject *object)
{
  AssayFinetuneWindow *self = ASSAY_FINETUNE_WINDOW (object);

  g_free (self->model);
  g_free (self->out);
  G_OBJECT_CLASS (assay_finetune_window_parent_class)->finalize (object);
}

static void
assay_finetune_window_class_init (AssayFinetuneWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_finetune_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = assay_finetune_window_finalize;
}

static void
assay_finetune_window_init (AssayFinetuneWindow *self)
{
}

guint
assay_finetune_window_get_n_steps (AssayFinetuneWindow *self)
{
  return self->n_steps;
}

static void
partial_cb (AssayFinetuneWindow *self)
{
  JsonNode          *node = assay_job_get_partial (self->job);
  JsonArray         *steps;
  guint              n;
  g_autofree double *x = NULL, *loss = NULL, *rew = NULL;
  const char        *loss_names[] = { _("Loss") };
  const char        *reward_names[] = { _("Accuracy"), _("Margin") };

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)
      || !json_object_has_member (json_node_get_object (node), "steps"))
    return;
  steps = json_object_get_array_member (json_node_get_object (node), "steps");
  n = json_array_get_length (steps);
  x = g_new (double, MAX (n, 1));
  loss = g_new (double, MAX (n, 1));
  rew = g_new (double, 2 * MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      x[i] = (double) assay_json_get_int (s, "step", i + 1);
      loss[i] = assay_json_get_double (s, "loss", NAN);
      rew[i] = assay_json_get_double (s, "rewards/accuracies", NAN);
      rew[n + i] = assay_json_get_double (s, "rewards/margins", NAN);
    }
  self->n_steps = n;
  assay_curve_chart_set_data (self->loss, (int) n, x, 1, loss_names, loss, FALSE);
  if (self->rewards != NULL)
    assay_curve_chart_set_data (self->rewards, (int) n, x, 2, reward_names, rew, FALSE);
}

static void
progress_cb (AssayFinetuneWindow *self)
{
  g_autofree char *message = assay_job_dup_message (self->job);
  AssayJobState    state = assay_job_get_state (self->job);

  gtk_progress_bar_set_fraction (self->progress, assay_job_get_fraction (self->job));
  if (state == ASSAY_JOB_QUEUED)
    gtk_label_set_text (self->status, _("Waiting for the compute thread…"));
  else if (state == ASSAY_JOB_RUNNING)
    gtk_label_set_text (self->status, message != NULL ? message : _("Starting…"));
}

gboolean
assay_finetune_window_can_credit (AssayFinetuneWindow *self)
{
  return assay_job_get_state (self->job) == ASSAY_JOB_SUCCEEDED;
}

static void
finished_cb (AssayJob *job, AssayFinetuneWindow *self)
{
  AssayJobState state = assay_job_get_state (job);

  partial_cb (self);
  gtk_widget_set_visible (self->stop, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  if (state == ASSAY_JOB_SUCCEEDED)
    {
      JsonNode        *result = assay_job_get_result (job);
      JsonObject      *o = result != NULL && JSON_NODE_HOLDS_OBJECT (result) ? json_node_get_object (result) : NULL;
      g_autofree char *steps = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u step", "%u steps", self->n_steps),
                                                self->n_steps);
      g_autofree char *text = g_strdup_printf (_("Done in %.0f s: %s over %lld records. The model is in %s"),
                                               o != NULL ? assay_json_get_double (o, "seconds", 0) : 0, steps,
                                               o != NULL ? (long long) assay_json_get_int (o, "examples", 0) : 0LL,
                                               o != NULL && json_object_has_member (o, "merged")
                                                 ? assay_json_get_string (o, "merged", "")
                                                 : self->out);
      gtk_label_set_text (self->status, text);
      gtk_widget_set_visible (self->credit_button, self->credit != NULL);
    }
  else if (state == ASSAY_JOB_CANCELLED)
    gtk_label_set_text (self->status, self->n_steps > 0
                                        ? _("Stopped. Where it stopped is saved in the output folder: training again "
                                            "with the same settings and “resume” goes on from there.")
                                        : _("Stopped before the first step: nothing was written."));
  else
    {
      const GError    *error = assay_job_get_error (job);
      g_autofree char *text = g_strdup_printf (_("Failed: %s"), error != NULL ? error->message : _("unknown error"));
      gtk_label_set_text (self->status, text);
    }
}

static void
stop_cb (AssayFinetuneWindow *self)
{
  assay_job_cancel (self->job);
  gtk_widget_set_sensitive (self->stop, FALSE);
  gtk_label_set_text (self->status, _("Stopping after this step…"));
}

void
assay_finetune_window_credit (AssayFinetuneWindow *self)
{
  g_autofree char *policy = NULL;

  if (!assay_finetune_window_can_credit (self) || self->credit == NULL)
    return;
  policy = self->lora ? g_build_filename (self->out, "merged", NULL) : g_strdup (self->out);
  self->credit (policy, self->model, self->data);
}

static void
add_setting (GtkWidget *group, const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
}

static GtkWidget *
chart_frame (const char *title, AssayCurveChart **chart, const char *y_label)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  *chart = ASSAY_CURVE_CHART (assay_curve_chart_new ());
  assay_curve_chart_set_auto_y (*chart, TRUE);
  assay_curve_chart_set_labels (*chart, _("Step"), y_label);
  assay_curve_chart_set_empty_text (*chart, _("No step yet"));
  gtk_widget_set_size_request (GTK_WIDGET (*chart), -1, 180);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (*chart));
  return box;
}

AssayFinetuneWindow *
assay_finetune_window_new (GtkWindow *parent, AssayJob *job, const AssayFinetuneOptions *o,
                           AssayFinetuneCreditFunc credit, gpointer data)
{
  AssayFinetuneWindow *self = g_object_new (ASSAY_TYPE_FINETUNE_WINDOW, "transient-for", parent, "default-width", 720,
                                            "default-height", 720, "title", assay_job_get_title (job), NULL);
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0), *header = adw_header_bar_new ();
  GtkWidget *scroller = gtk_scrolled_window_new (), *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18), *settings = adw_preferences_group_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  g_autofree char *lr = g_strdup_printf ("%g", o->lr);
  g_autofree char *shape = g_strdup_printf (_("%d epochs, batches of %d tokens, warm-up %.0f%%, seed %u"), o->epochs,
                                           o->batch_tokens, 100 * o->warmup, o->seed);
  g_autofree char *method = o->lora_rank > 0 ? g_strdup_printf (_("LoRA, rank %d, alpha %g"), o->lora_rank,
                                                                o->lora_alpha > 0 ? o->lora_alpha : 2.0 * o->lora_rank)
                                             : g_strdup (_("Every weight"));
  g_autofree char *objective = o->objective == ASSAY_FINETUNE_SFT ? g_strdup ("SFT")
                               : g_strdup_printf ("%s, beta %g", o->objective == ASSAY_FINETUNE_DPO ? "DPO" : "IPO", o->beta);

  self->job = g_object_ref (job);
  self->objective = o->objective;
  self->model = g_strdup (o->model);
  self->out = g_strdup (o->out);
  self->lora = o->lora_rank > 0;
  self->credit = credit;
  self->data = data;

  gtk_box_append (GTK_BOX (toolbar), header);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status, TRUE);
  gtk_label_set_xalign (self->status, 0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status));
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));

  gtk_box_append (GTK_BOX (box), chart_frame (_("Loss per step"), &self->loss, NULL));
  if (o->objective != ASSAY_FINETUNE_SFT)
    gtk_box_append (GTK_BOX (box), chart_frame (_("Rewards per step"), &self->rewards, NULL));

  self->stop = gtk_button_new_with_mnemonic (_("_Stop"));
  gtk_widget_add_css_class (self->stop, "destructive-action");
  self->credit_button = gtk_button_new_with_mnemonic (_("Compute _Credit with This Policy"));
  gtk_widget_add_css_class (self->credit_button, "suggested-action");
  gtk_widget_set_visible (self->credit_button, FALSE);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (buttons), self->stop);
  gtk_box_append (GTK_BOX (buttons), self->credit_button);
  gtk_box_append (GTK_BOX (box), buttons);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (settings), _("Settings"));
  add_setting (settings, _("Objective"), objective);
  add_setting (settings, _("Method"), method);
  add_setting (settings, _("Starts from"), o->model);
  add_setting (settings, _("Writes to"), o->out);
  add_setting (settings, _("Peak learning rate"), lr);
  add_setting (settings, _("Schedule"), shape);
  gtk_box_append (GTK_BOX (box), settings);

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (toolbar), scroller);
  adw_window_set_content (ADW_WINDOW (self), toolbar);

  g_signal_connect_swapped (self->stop, "clicked", G_CALLBACK (stop_cb), self);
  g_signal_connect_swapped (self->credit_button, "clicked", G_CALLBACK (assay_finetune_window_credit), self);
  g_signal_connect_swapped (job, "notify::partial", G_CALLBACK (partial_cb), self);
  g_signal_connect_swapped (job, "notify::fraction", G_CALLBACK (progress_cb), self);
  g_signal_connect_swapped (job, "notify::message", G_CALLBACK (progress_cb), self);
  g_signal_connect_swapped (job, "notify::state", G_CALLBACK (progress_cb), self);
  g_signal_connect (job, "finished", G_CALLBACK (finished_cb), self);
  progress_cb (self);
  partial_cb (self);
  if (assay_job_is_finished (job))
    finished_cb (job, self);
  return self;
}

AssayFinetuneWindow *
assay_finetune_window_run (AssayPage *page, const AssayFinetuneOptions *options, AssayFinetuneCreditFunc credit,
                           gpointer data)
{
  g_autoptr (AssayJob) job = assay_finetune_job_new (options);
  GtkRoot             *root = gtk_widget_get_root (GTK_WIDGET (page));
  AssayFinetuneWindow *window;

  assay_page_submit (page, job);
  window = assay_finetune_window_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, job, options, credit, data);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
page_credit (const char *policy, const char *reference, gpointer page)
{
  gtk_widget_activate_action (GTK_WIDGET (page), "win.credit-with", "(ss)", policy, reference);
}

static void
page_chosen (const AssayFinetuneOptions *options, gpointer page)
{
  g_object_set_data_full (G_OBJECT (page), "assay-finetune-model", g_strdup (options->model), g_free);
  assay_finetune_window_run (ASSAY_PAGE (page), options, page_credit, page);
}

AssayFinetuneDialog *
assay_finetune_window_ask (AssayPage *page, gint64 dataset, const GArray *dataset_ids)
{
  AssayStore          *store = assay_page_get_store (page);
  GtkRoot             *root = gtk_widget_get_root (GTK_WIDGET (page));
  AssayFinetuneDialog *dialog;

  if (store == NULL)
    return NULL;
  if (dataset == 0 && dataset_ids != NULL && dataset_ids->len == 2)
    dataset = g_array_index (dataset_ids, gint64, 1); /* the only one */
  if (dataset == 0)
    {
      assay_page_toast (page, _("Choose the dataset to train on first"));
      return NULL;
    }
  dialog = assay_finetune_dialog_new_for (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, store, dataset,
                                          g_object_get_data (G_OBJECT (page), "assay-finetune-model"), page_chosen,
                                          page);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}
