/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-traces-page.h: reasoning traces with token-level DPO credit: the list of traces (lazy)
 * with correctness, R and first-error steps under a credit run; the selected trace as a token
 * heatmap (a pair's chosen and rejected side by side, steps aligned); first-error F1 and the
 * re-ranking curves of the run. Without a run, traces show with their steps and labels. */
#pragma once

#include "assay-finetune-dialog.h"
#include "assay-import-dialog.h"
#include "assay-page.h"
#include "assay-token-heatmap.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_TRACES_PAGE (assay_traces_page_get_type ())
G_DECLARE_FINAL_TYPE (AssayTracesPage, assay_traces_page, ASSAY, TRACES_PAGE, AssayPage)

AssayPage         *assay_traces_page_new (void);

/* For tests */
guint              assay_traces_page_get_n_traces (AssayTracesPage *self);
gboolean           assay_traces_page_select_trace (AssayTracesPage *self, gint64 record);
gint64             assay_traces_page_get_trace (AssayTracesPage *self); /* shown, 0 while loading */
gint64             assay_traces_page_get_run (AssayTracesPage *self);
AssayTokenHeatmap *assay_traces_page_get_heatmap (AssayTracesPage *self, gboolean rejected);
const char        *assay_traces_page_get_metrics_text (AssayTracesPage *self);

/* The list's filters: a dataset (0: all), only wrong traces, search words */
void        assay_traces_page_set_filters (AssayTracesPage *self, gint64 dataset, gboolean wrong,
                                           const char *search);
const char *assay_traces_page_get_summary (AssayTracesPage *self);
/* Fine-Tune… on the dataset shown; NULL (with a toast) when none is chosen. */
AssayFinetuneDialog *assay_traces_page_finetune (AssayTracesPage *self);
/* The credit dialog with these two model folders chosen (the user still confirms). */
void        assay_traces_page_credit_with (AssayTracesPage *self, const char *policy, const char *reference);

/* As the file chooser does: the import's options (format, dataset name) asked first */
AssayImportDialog *assay_traces_page_import_with_options (AssayTracesPage *self, const char *path);

G_END_DECLS
