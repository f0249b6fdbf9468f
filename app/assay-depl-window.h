/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-depl-window.h: an SVM run beside its dense label retrieval and their fusion (DEPL's
 * Table 2.3): P@k, PSP@k, macro-F1 and tail macro-F1, then F1@5 per bin of labels from rare to
 * common. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_DEPL_WINDOW (assay_depl_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayDeplWindow, assay_depl_window, ASSAY, DEPL_WINDOW, AdwWindow)

/* comparison: as assay_depl_comparison or assay_depl_run give it */
GtkWidget *assay_depl_window_new (GtkWindow *parent, JsonObject *comparison);

G_END_DECLS
