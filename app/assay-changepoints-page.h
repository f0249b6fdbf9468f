/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-changepoints-page.h: the Change Points view. A dataset's series in a table with their
 * metrics under a detector run; the selected series plotted with its score lanes, true and
 * detected change points and the user's marks; at the cursor, the graphs A before and after the
 * step and the decoder's forecast against the observed values. */
#pragma once

#include "assay-import-dialog.h"
#include "assay-page.h"
#include "assay-cpd-run.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_CHANGEPOINTS_PAGE (assay_changepoints_page_get_type ())
G_DECLARE_FINAL_TYPE (AssayChangepointsPage, assay_changepoints_page, ASSAY, CHANGEPOINTS_PAGE,
                      AssayPage)

AssayPage  *assay_changepoints_page_new (void);

/* For tests and the command line of the app */
gboolean    assay_changepoints_page_is_loaded (AssayChangepointsPage *self);
GListModel *assay_changepoints_page_get_rows (AssayChangepointsPage *self);
/* Selects the series with this id (if listed); loads it in the background. */
void        assay_changepoints_page_select_series (AssayChangepointsPage *self, gint64 series);
gint64      assay_changepoints_page_get_series (AssayChangepointsPage *self);
/* TRUE once the selected series is plotted */
gboolean    assay_changepoints_page_series_ready (AssayChangepointsPage *self);
/* Imports a CSV, TCPD JSON or JSONL file on the worker; the page shows it when done. */
void        assay_changepoints_page_import (AssayChangepointsPage *self, const char *path);
void        assay_changepoints_page_score (AssayChangepointsPage      *self,
                                           const AssayCpdScoreOptions *options);
GtkWidget  *assay_changepoints_page_get_plot (AssayChangepointsPage *self);
GtkWidget  *assay_changepoints_page_get_heatmap (AssayChangepointsPage *self, gboolean after);
/* The step shown in the side panel, or -1 */
int         assay_changepoints_page_get_cursor (AssayChangepointsPage *self);
void        assay_changepoints_page_set_cursor (AssayChangepointsPage *self, int step);
const char *assay_changepoints_page_get_forecast_text (AssayChangepointsPage *self);

GtkWidget   *assay_changepoints_page_get_summary (AssayChangepointsPage *self);

/* As the file chooser does: the import's options (format, time column, delimiter, missing values,
 * dataset name) asked first */
AssayImportDialog *assay_changepoints_page_import_with_options (AssayChangepointsPage *self, const char *path);

G_END_DECLS
