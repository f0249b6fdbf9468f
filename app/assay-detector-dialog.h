/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-detector-dialog.h: settings of a change-point run (detector, encoder, window k, α, τ,
 * threshold, baseline penalty and minimum segment, BOCPD λ; a learned model to score with, or a new
 * one to train). Emits "score" or "train". */
#pragma once

#include <adwaita.h>

#include "assay-cord-train.h"
#include "assay-cpd-run.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_DETECTOR_DIALOG (assay_detector_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayDetectorDialog, assay_detector_dialog, ASSAY, DETECTOR_DIALOG, AdwWindow)

AssayDetectorDialog *assay_detector_dialog_new (GtkWindow *parent, const char *dataset_name);
void                 assay_detector_dialog_get_options (AssayDetectorDialog  *self,
                                                        AssayCpdScoreOptions *options);
/* The trained models to choose from (n ids and labels, newest first). */
void                 assay_detector_dialog_set_models (AssayDetectorDialog *self,
                                                       const gint64        *ids,
                                                       const char *const   *labels,
                                                       guint                n);
void                 assay_detector_dialog_select_learned (AssayDetectorDialog *self);
void                 assay_detector_dialog_set_train_options (AssayDetectorDialog *self,
                                                              guint                epochs,
                                                              guint                width);
/* Epochs and width of the "train" signal's new model. */
void                 assay_detector_dialog_get_train_options (AssayDetectorDialog   *self,
                                                              AssayCordTrainOptions *options);

G_END_DECLS
