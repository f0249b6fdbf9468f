/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-train-dialog.h"

#include <glib/gi18n.h>

struct _AssayTrainDialog
{
  AdwWindow      parent_instance;

  AdwWindowTitle *title;
  GtkSpinButton  *c_spin;
  AdwComboRow    *loss_row;
  GtkSpinButton  *keywords_spin;
  GtkSpinButton  *min_df_spin;
  GtkSpinButton  *max_df_spin;
  GtkSwitch      *stop_words_switch;
  GtkSpinButton  *eps_spin;
};

enum
{
  TRAIN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayTrainDialog, assay_train_dialog, ADW_TYPE_WINDOW)

static void
train_clicked_cb (GtkButton *button, AssayTrainDialog *self)
{
  g_signal_emit (self, signals[TRAIN], 0);
  gtk_window_close (GTK_WINDOW (self));
}

static void
cancel_clicked_cb (GtkButton *button, AssayTrainDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
assay_train_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), ASSAY_TYPE_TRAIN_DIALOG);
  G_OBJECT_CLASS (assay_train_dialog_parent_class)->dispose (object);
}

static void
assay_train_dialog_class_init (AssayTrainDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = assay_train_dialog_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/ui/assay-train-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, title);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, c_spin);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, loss_row);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, keywords_spin);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, min_df_spin);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, max_df_spin);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, stop_words_switch);
  gtk_widget_class_bind_template_child (widget_class, AssayTrainDialog, eps_spin);
  gtk_widget_class_bind_template_callback (widget_class, train_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  signals[TRAIN] = g_signal_new ("train", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
}

static void
assay_train_dialog_init (AssayTrainDialog *self)
{
  AssayXmtcTrainOptions options;

  gtk_widget_init_template (GTK_WIDGET (self));
  assay_xmtc_train_options_init (&options);
  assay_train_dialog_set_options (self, &options);
}

AssayTrainDialog *
assay_train_dialog_new (GtkWindow *parent, const char *dataset_name)
{
  AssayTrainDialog *self = g_object_new (ASSAY_TYPE_TRAIN_DIALOG, "transient-for", parent,
                                         "modal", TRUE, NULL);

  adw_window_title_set_subtitle (self->title, dataset_name);
  return self;
}

void
assay_train_dialog_set_options (AssayTrainDialog *self, const AssayXmtcTrainOptions *options)
{
  gtk_spin_button_set_value (self->c_spin, options->svm.C);
  adw_combo_row_set_selected (self->loss_row, options->svm.loss == ASSAY_SVM_HINGE ? 0 : 1);
  gtk_spin_button_set_value (self->keywords_spin, options->keywords);
  gtk_spin_button_set_value (self->min_df_spin, options->tfidf.min_df);
  gtk_spin_button_set_value (self->max_df_spin, options->tfidf.max_df);
  gtk_switch_set_active (self->stop_words_switch, options->tfidf.stop_words);
  gtk_spin_button_set_value (self->eps_spin, options->svm.eps);
}

void
assay_train_dialog_get_options (AssayTrainDialog *self, AssayXmtcTrainOptions *options)
{
  options->svm.C = gtk_spin_button_get_value (self->c_spin);
  options->svm.loss = adw_combo_row_get_selected (self->loss_row) == 0 ? ASSAY_SVM_HINGE
                                                                       : ASSAY_SVM_SQUARED_HINGE;
  options->keywords = (guint) gtk_spin_button_get_value_as_int (self->keywords_spin);
  options->tfidf.min_df = (guint) gtk_spin_button_get_value_as_int (self->min_df_spin);
  options->tfidf.max_df = gtk_spin_button_get_value (self->max_df_spin);
  options->tfidf.stop_words = gtk_switch_get_active (self->stop_words_switch);
  options->svm.eps = gtk_spin_button_get_value (self->eps_spin);
}
