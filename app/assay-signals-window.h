/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-signals-window.h: which signals of a dataset's records deserve trust, from the label
 * model's fit (signals fit): each signal's coverage, estimated accuracy and, where the reviewer
 * decided records, its measured accuracy and precision; what each of its answers says
 * (P(good) given that answer alone); pairs modelled jointly; and, where the records carry
 * first-error labels, how P(good) ranks them against the best single signal. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "assay-job.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_SIGNALS_WINDOW (assay_signals_window_get_type ())
G_DECLARE_FINAL_TYPE (AssaySignalsWindow, assay_signals_window, ASSAY, SIGNALS_WINDOW, AdwWindow)

AssaySignalsWindow *assay_signals_window_new (GtkWindow *parent);
/* ::label-model-chosen (guint choice: 0 automatic, 1 Dawid-Skene EM, 2 matrix completion) asks
 * the owner for a fit so; follow its job to show it. */
/* Shows the fit of a running (or finished) signals-fit job when it ends */
void                assay_signals_window_follow (AssaySignalsWindow *self, AssayJob *job);
/* Shows a fit: the object of assay_signals_fit */
void                assay_signals_window_set_fit (AssaySignalsWindow *self, JsonObject *fit);
/* Shows why there is none */
void                assay_signals_window_set_error (AssaySignalsWindow *self, const char *message);
guint               assay_signals_window_get_n_signals (AssaySignalsWindow *self);
/* Picks the label model as the user would (0 automatic, 1 Dawid-Skene, 2 matrix completion) */
void                assay_signals_window_choose_label_model (AssaySignalsWindow *self, guint choice);

G_END_DECLS
