/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-label-errors-window.h: the likely label errors of a corpus (xmtc errors) or of generated
 * records (gen errors), most likely first: the document or record, the label given or missing,
 * the suggested one, its text (and, for a corpus with an SVM run, each label's keywords found in
 * it); a correction is applied as one undoable edit, or the error dismissed (kept: later searches
 * leave it out). Keys: A applies, D dismisses, Up and Down move. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_LABEL_ERRORS_WINDOW (assay_label_errors_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayLabelErrorsWindow, assay_label_errors_window, ASSAY, LABEL_ERRORS_WINDOW, AdwWindow)

/* result: the object of assay_xmtc_label_errors or assay_gen_label_errors (kept); at most the
 * 2 000 likeliest are listed. */
GtkWidget *assay_label_errors_window_new (GtkWindow  *parent,
                                          AssayStore *store,
                                          gint64      dataset,
                                          const char *dataset_name,
                                          JsonObject *result);
/* On a finished search job (xmtc errors, gen errors): the window on its result, presented, its
 * title naming the dataset; nothing when the job failed (the jobs list says why) */
void       assay_label_errors_window_present_job (GtkWindow *parent, AssayStore *store, AssayJob *job);
guint      assay_label_errors_window_get_n_rows (AssayLabelErrorsWindow *self);
void       assay_label_errors_window_select (AssayLabelErrorsWindow *self, guint row);
/* On the selected error: FALSE when it could not be applied (the window says why). */
gboolean   assay_label_errors_window_apply (AssayLabelErrorsWindow *self);
void       assay_label_errors_window_dismiss (AssayLabelErrorsWindow *self);

G_END_DECLS
