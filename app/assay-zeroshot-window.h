/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-zeroshot-window.h: the result of zero-shot labels (GenCo) over a generations dataset:
 * accuracy and per-class F1 when the records carry their label, and the alignment of texts with
 * labels (the softmax of their similarities at τ = 0.1, DESIGN.md §6.2) as a heatmap; clicking a
 * text's cell shows that record on the page. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "assay-page.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_ZEROSHOT_WINDOW (assay_zeroshot_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayZeroshotWindow, assay_zeroshot_window, ASSAY, ZEROSHOT_WINDOW, AdwWindow)

/* result: assay_semantic_run's zero-shot result; page: where a clicked record is shown. */
GtkWidget *assay_zeroshot_window_new (GtkWindow *parent, JsonObject *result, AssayPage *page);
/* The heatmap, for tests. */
GtkWidget *assay_zeroshot_window_get_heatmap (AssayZeroshotWindow *self);
/* The records of the heatmap's rows (in data order), for tests. */
gint64     assay_zeroshot_window_get_record (AssayZeroshotWindow *self, guint row);

#define ASSAY_ZEROSHOT_TAU 0.1

G_END_DECLS
