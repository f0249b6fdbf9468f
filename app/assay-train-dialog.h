/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-train-dialog.h: the settings of a label-model run (C, loss, keywords, min/max df, stop
 * words). Emits "train" when the user starts it. */
#pragma once

#include <adwaita.h>

#include "assay-xmtc-train.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_TRAIN_DIALOG (assay_train_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayTrainDialog, assay_train_dialog, ASSAY, TRAIN_DIALOG, AdwWindow)

AssayTrainDialog *assay_train_dialog_new (GtkWindow *parent, const char *dataset_name);
void              assay_train_dialog_set_options (AssayTrainDialog            *self,
                                                  const AssayXmtcTrainOptions *options);
void              assay_train_dialog_get_options (AssayTrainDialog      *self,
                                                  AssayXmtcTrainOptions *options);

G_END_DECLS
