/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-detector-dialog.h"

#include <glib/gi18n.h>

struct _AssayDetectorDialog
{
  AdwWindow       parent_instance;

  AdwWindowTitle *title;
  AdwComboRow    *detector_row;
  AdwComboRow    *encoder_row;
  GtkSpinButton  *window_spin;
  GtkSpinButton  *k_spin;
  GtkSpinButton  *alpha_spin;
  GtkSpinButton  *tau_spin;
  GtkSpinButton  *threshold_spin;
  GtkSwitch      *bic_switch;
  GtkSpinButton  *penalty_spin;
  GtkSpinButton  *min_size_spin;
  GtkSpinButton  *lambda_spin;
  GtkWidget      *cord_group;
  GtkWidget      *baseline_group;
  GtkWidget      *learned_group;
  GtkWidget      *window_row;
  GtkWidget      *k_row;
  GtkWidget      *score_button;
  AdwComboRow    *model_row;
  GtkStringList  *model_list;
  GtkSpinButton  *epochs_spin;
  GtkSpinButton  *width_spin;
  GArray         *model_ids; /* gint64, as in model_list */
};

enum
{
  SCORE,
  TRAIN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayDetectorDialog, assay_detector_dialog, ADW_TYPE_WINDOW)

static void
detector_changed_cb (AdwComboRow *row, GParamSpec *pspec, AssayDetectorDialog *self)
{
  AssayDetector d = (AssayDetector) adw_combo_row_get_selected (row);
  gboolean      learned = d == ASSAY_DETECTOR_CORD_LEARNED, cord = d == ASSAY_DETECTOR_CORD || learned;

  gtk_widget_set_visible (self->cord_group, cord);
  gtk_widget_set_visible (self->learned_group, learned);
  gtk_widget_set_visible (self->window_row, !learned);
  gtk_widget_set_visible (self->k_row, !learned);
  gtk_widget_set_visible (GTK_WIDGET (self->encoder_row), !learned);
  gtk_widget_set_visible (self->baseline_group, !cord);
  /* a learned detector needs a model to score with */
  gtk_widget_set_sensitive (self->score_button, !learned || self->model_ids->len > 0);
}

static void
train_clicked_cb (GtkButton *button, AssayDetectorDialog *self)
{
  g_signal_emit (self, signals[TRAIN], 0);
  gtk_window_close (GTK_WINDOW (self));
}

static void
score_clicked_cb (GtkButton *button, AssayDetectorDialog *self)
{
  g_signal_emit (self, signals[SCORE], 0);
  gtk_window_close (GTK_WINDOW (self));
}

static void
cancel_clicked_cb (GtkButton *button, AssayDetectorDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
assay_detector_dialog_dispose (GObject *object)
{
  AssayDetectorDialog *self = ASSAY_DETECTOR_DIALOG (object);

  g_clear_pointer (&self->model_ids, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), ASSAY_TYPE_DETECTOR_DIALOG);
  G_OBJECT_CLASS (assay_detector_dialog_parent_class)->dispose (object);
}

static void
assay_detector_dialog_class_init (AssayDetectorDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = assay_detector_dialog_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-detector-dialog.ui");
#define CHILD(n) gtk_widget_class_bind_template_child (widget_class, AssayDetectorDialog, n)
  CHILD (title);
  CHILD (detector_row);
  CHILD (encoder_row);
  CHILD (window_spin);
  CHILD (k_spin);
  CHILD (alpha_spin);
  CHILD (tau_spin);
  CHILD (threshold_spin);
  CHILD (bic_switch);
  CHILD (penalty_spin);
  CHILD (min_size_spin);
  CHILD (lambda_spin);
  CHILD (cord_group);
  CHILD (baseline_group);
  CHILD (learned_group);
  CHILD (window_row);
  CHILD (k_row);
  CHILD (score_button);
  CHILD (model_row);
  CHILD (model_list);
  CHILD (epochs_spin);
  CHILD (width_spin);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, score_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, train_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, detector_changed_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  signals[SCORE] = g_signal_new ("score", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
  /* "train": train a new model on the dataset (assay_detector_dialog_get_train_options) */
  signals[TRAIN] = g_signal_new ("train", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
}

static void
assay_detector_dialog_init (AssayDetectorDialog *self)
{
  AssayCpdScoreOptions  o;
  AssayCordTrainOptions t;

  self->model_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gtk_widget_init_template (GTK_WIDGET (self));
  assay_cpd_score_options_init (&o);
  assay_cord_train_options_init (&t);
  gtk_spin_button_set_value (self->epochs_spin, t.epochs);
  gtk_spin_button_set_value (self->width_spin, t.hidden);
  gtk_string_list_append (self->model_list, _("No trained model yet"));
  gtk_spin_button_set_value (self->window_spin, o.cord.window);
  gtk_spin_button_set_value (self->k_spin, o.cord.k);
  gtk_spin_button_set_value (self->alpha_spin, o.cord.alpha);
  gtk_spin_button_set_value (self->tau_spin, o.cord.tau);
  gtk_spin_button_set_value (self->threshold_spin, o.cord.threshold);
  gtk_switch_set_active (self->bic_switch, TRUE);
  gtk_spin_button_set_value (self->penalty_spin, 20);
  gtk_spin_button_set_value (self->min_size_spin, o.baseline.min_size);
  gtk_spin_button_set_value (self->lambda_spin, o.baseline.lambda);
  g_object_bind_property (self->bic_switch, "active", self->penalty_spin, "sensitive",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  detector_changed_cb (self->detector_row, NULL, self);
}

AssayDetectorDialog *
assay_detector_dialog_new (GtkWindow *parent, const char *dataset_name)
{
  AssayDetectorDialog *self = g_object_new (ASSAY_TYPE_DETECTOR_DIALOG, "transient-for", parent,
                                            "modal", TRUE, NULL);

  adw_window_title_set_subtitle (self->title, dataset_name);
  return self;
}

void
assay_detector_dialog_get_options (AssayDetectorDialog *self, AssayCpdScoreOptions *o)
{
  assay_cpd_score_options_init (o);
  o->detector = (AssayDetector) adw_combo_row_get_selected (self->detector_row);
  if (o->detector == ASSAY_DETECTOR_CORD_LEARNED)
    {
      guint i = adw_combo_row_get_selected (self->model_row);
      o->model = i < self->model_ids->len ? g_array_index (self->model_ids, gint64, i) : 0;
    }
  o->cord.encoder = adw_combo_row_get_selected (self->encoder_row) == 0 ? ASSAY_CORD_ENCODER_RELATIONAL
                                                                        : ASSAY_CORD_ENCODER_WINDOW;
  o->cord.window = (guint) gtk_spin_button_get_value_as_int (self->window_spin);
  o->cord.k = (guint) gtk_spin_button_get_value_as_int (self->k_spin);
  o->cord.alpha = gtk_spin_button_get_value (self->alpha_spin);
  o->cord.tau = gtk_spin_button_get_value (self->tau_spin);
  o->cord.threshold = gtk_spin_button_get_value (self->threshold_spin);
  o->baseline.penalty = gtk_switch_get_active (self->bic_switch) ? -1
                                                                  : gtk_spin_button_get_value (self->penalty_spin);
  o->baseline.min_size = (guint) gtk_spin_button_get_value_as_int (self->min_size_spin);
  o->baseline.lambda = gtk_spin_button_get_value (self->lambda_spin);
}

void
assay_detector_dialog_set_models (AssayDetectorDialog *self, const gint64 *ids, const char *const *labels, guint n)
{
  g_return_if_fail (ASSAY_IS_DETECTOR_DIALOG (self));
  g_array_set_size (self->model_ids, 0);
  g_array_append_vals (self->model_ids, ids, n);
  gtk_string_list_splice (self->model_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->model_list)),
                          n > 0 ? labels : (const char *const[]) { _("No trained model yet"), NULL });
  adw_combo_row_set_selected (self->model_row, 0);
  detector_changed_cb (self->detector_row, NULL, self);
}

void
assay_detector_dialog_select_learned (AssayDetectorDialog *self)
{
  g_return_if_fail (ASSAY_IS_DETECTOR_DIALOG (self));
  adw_combo_row_set_selected (self->detector_row, ASSAY_DETECTOR_CORD_LEARNED);
}

void
assay_detector_dialog_get_train_options (AssayDetectorDialog *self, AssayCordTrainOptions *o)
{
  assay_cord_train_options_init (o);
  o->epochs = (guint) gtk_spin_button_get_value_as_int (self->epochs_spin);
  o->hidden = o->msg_hidden = (guint) gtk_spin_button_get_value_as_int (self->width_spin);
}

void
assay_detector_dialog_set_train_options (AssayDetectorDialog *self, guint epochs, guint width)
{
  g_return_if_fail (ASSAY_IS_DETECTOR_DIALOG (self));
  gtk_spin_button_set_value (self->epochs_spin, epochs);
  gtk_spin_button_set_value (self->width_spin, width);
}
