/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-detector-dialog.h: settings of a change-point run (detector, encoder, window k, α, τ,
 * threshold, baseline penalty and minimum segment, BOCPD λ). Emits "score". */
#pragma once

#include <adwaita.h>

#include "assay-cpd-run.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_DETECTOR_DIALOG (assay_detector_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayDetectorDialog, assay_detector_dialog, ASSAY, DETECTOR_DIALOG, AdwWindow)

AssayDetectorDialog *assay_detector_dialog_new (GtkWindow *parent, const char *dataset_name);
void                 assay_detector_dialog_get_options (AssayDetectorDialog  *self,
                                                        AssayCpdScoreOptions *options);

G_END_DECLS
