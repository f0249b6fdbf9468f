/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-signals-window.h"

#include <glib/gi18n.h>

#include "assay-json.h"

struct _AssaySignalsWindow
{
  AdwWindow  parent_instance;

  GtkStack  *stack;
  AdwStatusPage *waiting;
  AdwPreferencesPage *page;
  GPtrArray *groups;  /* AdwPreferencesGroup * shown, removed on the next fit */
  guint      n_signals;
  AdwComboRow *model_row; /* the label model, or NULL */
};

enum
{
  SIGNAL_LABEL_MODEL_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssaySignalsWindow, assay_signals_window, ADW_TYPE_WINDOW)

static char *
maybe (JsonObject *o, const char *key, const char *format)
{
  if (o == NULL || !json_object_has_member (o, key) || json_object_get_null_member (o, key))
    return g_strdup ("–");
  return g_strdup_printf (format, json_object_get_double_member (o, key));
}

static AdwPreferencesGroup *
add_group (AssaySignalsWindow *self, const char *title, const char *description)
{
  AdwPreferencesGroup *g = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (g, title);
  if (description != NULL)
    adw_preferences_group_set_description (g, description);
  adw_preferences_page_add (self->page, g);
  g_ptr_array_add (self->groups, g);
  return g;
}

static void
add_row (AdwPreferencesGroup *g, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (g, row);
}

/* A bar for P(good) of one answer: red to green, its width the probability */
static GtkWidget *
p_good_bar (double p)
{
  GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);

  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), CLAMP (p, 0, 1));
  gtk_level_bar_set_mode (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_MODE_CONTINUOUS);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_widget_add_css_class (bar, p < 0.25 ? "assay-doubt-bad" : p < 0.75 ? "assay-doubt-mid" : "assay-doubt-good");
  gtk_widget_set_size_request (bar, 120, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  return bar;
}

static void
model_chosen_cb (AssaySignalsWindow *self)
{
  g_signal_emit (self, signals[SIGNAL_LABEL_MODEL_CHOSEN], 0, adw_combo_row_get_selected (self->model_row));
}

static void
clear (AssaySignalsWindow *self)
{
  for (guint i = 0; i < self->groups->len; i++)
    adw_preferences_page_remove (self->page, g_ptr_array_index (self->groups, i));
  g_ptr_array_set_size (self->groups, 0);
  self->n_signals = 0;
  self->model_row = NULL;
}

void
assay_signals_window_set_fit (AssaySignalsWindow *self, JsonObject *fit)
{
  JsonArray  *signals = json_object_get_array_member (fit, "signals");
  JsonArray  *dependent = json_object_get_array_member (fit, "dependent");
  AdwPreferencesGroup *g;
  g_autofree char *summary = NULL;
  gint64 decided = assay_json_get_int (fit, "decided", 0);

  clear (self);
  summary = g_strdup_printf (_("%s%s · %lld records, %lld decided by the reviewer · P(good) before any signal %.2f"),
                             g_strcmp0 (json_object_get_string_member_with_default (fit, "label_model", NULL),
                                        "matrix-completion") == 0
                               ? _("Snorkel’s matrix completion") : _("Dawid–Skene EM"),
                             g_strcmp0 (json_object_get_string_member_with_default (fit, "label_model_choice", "auto"),
                                        "auto") == 0
                               ? _(" (automatic: matrix completion until 20 records are decided, then Dawid–Skene EM)")
                               : "",
                             (long long) assay_json_get_int (fit, "records", 0), (long long) decided,
                             assay_json_get_double (fit, "prior", 0));
  g = add_group (self, _("Label model"), summary);
  {
    /* another choice, fitted on request (the page runs it) */
    const char *const names[] = { _("Automatic"), _("Dawid–Skene EM"), _("Matrix completion (Snorkel)"), NULL };
    const char *choice = json_object_get_string_member_with_default (fit, "label_model_choice", "auto");
    GtkStringList *list = gtk_string_list_new (names);
    self->model_row = ADW_COMBO_ROW (adw_combo_row_new ());
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row), _("Label model"));
    adw_combo_row_set_model (self->model_row, G_LIST_MODEL (list));
    adw_combo_row_set_selected (self->model_row, g_str_equal (choice, "dawid-skene") ? 1
                                                 : g_str_equal (choice, "matrix-completion") ? 2 : 0);
    g_object_unref (list);
    g_signal_connect_swapped (self->model_row, "notify::selected", G_CALLBACK (model_chosen_cb), self);
    adw_preferences_group_add (g, GTK_WIDGET (self->model_row));
  }
  if (json_object_has_member (fit, "identified") && !json_object_get_boolean_member (fit, "identified"))
    add_row (g, _("Not calibrated yet"),
             _("Without 20 decided records the signals do not tell the classes apart (fewer than three vote, or "
               "the fit puts nearly every record in one class): P(good) orders the records, but its values and "
               "the accuracies below are not determined by the data. Decide some records."));
  if (json_object_has_member (fit, "evaluation"))
    {
      JsonObject *ev = json_object_get_object_member (fit, "evaluation");
      g_autofree char *auroc = maybe (ev, "auroc", "%.4f"), *brier = maybe (ev, "brier", "%.4f");
      g_autofree char *majority = maybe (ev, "majority_auroc", "%.4f"), *best = maybe (ev, "best_signal_auroc", "%.4f");
      g_autofree char *line = g_strdup_printf (_("AUROC of P(good) %s (Brier %s) · majority vote %s · best signal "
                                                 "alone, %s, %s · %lld records not decided"),
                                               auroc, brier, majority,
                                               assay_json_get_string (ev, "best_signal", "–"), best,
                                               (long long) assay_json_get_int (ev, "records", 0));
      add_row (g, _("Against the first-error labels"), line);
    }
  for (guint k = 0; dependent != NULL && k < json_array_get_length (dependent); k++)
    {
      JsonArray *pair = json_array_get_array_element (dependent, k);
      g_autofree char *line = g_strdup_printf (_("“%s” and “%s” share their mistakes beyond what the class explains; "
                                                 "the model weighs them as one"),
                                               json_array_get_string_element (pair, 0),
                                               json_array_get_string_element (pair, 1));
      add_row (g, _("Dependent signals"), line);
    }

  g = add_group (self, _("Signals"),
                 decided > 0 ? _("Estimated accuracy from the votes alone; measured against the reviewer’s decisions")
                             : _("Estimated accuracy from the votes alone (no record decided yet)"));
  for (guint j = 0; j < json_array_get_length (signals); j++)
    {
      JsonObject *e = json_array_get_object_element (signals, j);
      JsonObject *m = json_object_has_member (e, "measured") && !json_object_get_null_member (e, "measured")
                        ? json_object_get_object_member (e, "measured") : NULL;
      JsonArray  *cats = json_object_get_array_member (e, "categories");
      GtkWidget  *row = adw_expander_row_new ();
      g_autofree char *acc = maybe (e, "accuracy", "%.3f"), *macc = maybe (m, "accuracy", "%.3f");
      g_autofree char *pg = maybe (m, "precision_good", "%.3f"), *pb = maybe (m, "precision_bad", "%.3f");
      g_autofree char *auroc = maybe (e, "auroc", "%.3f");
      g_autofree char *sub = NULL;
      GString *line = g_string_new (NULL);

      g_string_append_printf (line, _("votes on %.0f%% · estimated accuracy %s"),
                              100 * assay_json_get_double (e, "coverage", 0), acc);
      if (m != NULL)
        g_string_append_printf (line, _(" · measured %s on %lld decided (precision: good %s, bad %s)"), macc,
                                (long long) assay_json_get_int (m, "decided", 0), pg, pb);
      if (json_object_has_member (e, "auroc"))
        g_string_append_printf (line, _(" · AUROC alone %s"), auroc);
      sub = g_string_free (line, FALSE);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), assay_json_get_string (e, "name", "?"));
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), sub);
      for (guint k = 0; cats != NULL && k < json_array_get_length (cats); k++)
        {
          JsonObject *c = json_array_get_object_element (cats, k);
          GtkWidget  *r = adw_action_row_new ();
          double      p = assay_json_get_double (c, "p_good", 0.5);
          g_autofree char *csub = g_strdup_printf (_("%lld records · P(good) given this answer alone %.2f"),
                                                   (long long) assay_json_get_int (c, "records", 0), p);
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (r), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (r), assay_json_get_string (c, "label", "?"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (r), csub);
          adw_action_row_add_suffix (ADW_ACTION_ROW (r), p_good_bar (p));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), r);
        }
      adw_preferences_group_add (g, row);
      self->n_signals++;
    }
  gtk_stack_set_visible_child_name (self->stack, "fit");
}

void
assay_signals_window_set_error (AssaySignalsWindow *self, const char *message)
{
  adw_status_page_set_icon_name (self->waiting, "dialog-information-symbolic");
  adw_status_page_set_title (self->waiting, _("No signals to weigh"));
  adw_status_page_set_description (self->waiting, message);
  adw_status_page_set_child (self->waiting, NULL);
  gtk_stack_set_visible_child_name (self->stack, "waiting");
}

static void
job_finished_cb (AssayJob *job, AssaySignalsWindow *self)
{
  JsonNode *result = assay_job_get_result (job);

  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && result != NULL && JSON_NODE_HOLDS_OBJECT (result))
    assay_signals_window_set_fit (self, json_node_get_object (result));
  else
    assay_signals_window_set_error (self, assay_job_get_error (job) != NULL ? assay_job_get_error (job)->message
                                                                            : _("The fit was stopped"));
}

void
assay_signals_window_follow (AssaySignalsWindow *self, AssayJob *job)
{
  if (assay_job_is_finished (job))
    job_finished_cb (job, self);
  else
    g_signal_connect_object (job, "finished", G_CALLBACK (job_finished_cb), self, 0);
}

void
assay_signals_window_choose_label_model (AssaySignalsWindow *self, guint choice)
{
  g_return_if_fail (self->model_row != NULL && choice <= 2);
  adw_combo_row_set_selected (self->model_row, choice);
}

guint
assay_signals_window_get_n_signals (AssaySignalsWindow *self)
{
  return self->n_signals;
}

static void
assay_signals_window_finalize (GObject *object)
{
  AssaySignalsWindow *self = ASSAY_SIGNALS_WINDOW (object);

  g_ptr_array_unref (self->groups);
  G_OBJECT_CLASS (assay_signals_window_parent_class)->finalize (object);
}

static void
assay_signals_window_class_init (AssaySignalsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = assay_signals_window_finalize;
  /* ::label-model-chosen (guint choice: 0 automatic, 1 Dawid-Skene, 2 matrix completion): the
   * user asks for a fit so */
  signals[SIGNAL_LABEL_MODEL_CHOSEN] = g_signal_new ("label-model-chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
assay_signals_window_init (AssaySignalsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *spinner = gtk_spinner_new ();

  self->groups = g_ptr_array_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Signals"));
  gtk_window_set_default_size (GTK_WINDOW (self), 760, 620);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new (_("Signals"), _("Which to trust")));
  gtk_box_append (GTK_BOX (box), header);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  self->waiting = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_title (self->waiting, _("Weighing the signals…"));
  adw_status_page_set_description (self->waiting, _("A label model learns from the records’ votes how far each "
                                                    "signal can be trusted"));
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  adw_status_page_set_child (self->waiting, spinner);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->waiting), "waiting");
  self->page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->page), "fit");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  adw_window_set_content (ADW_WINDOW (self), box);
}

AssaySignalsWindow *
assay_signals_window_new (GtkWindow *parent)
{
  return g_object_new (ASSAY_TYPE_SIGNALS_WINDOW, "transient-for", parent, "modal", FALSE, NULL);
}
