/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-labels-page.h: tail-label keyword profiles: the label table, the long-tail chart, and
 * the selected label's keywords, pseudo description and documents. */
#pragma once

#include "assay-page.h"
#include "assay-xmtc-train.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_LABELS_PAGE (assay_labels_page_get_type ())
G_DECLARE_FINAL_TYPE (AssayLabelsPage, assay_labels_page, ASSAY, LABELS_PAGE, AssayPage)

AssayPage *assay_labels_page_new (void);
/* Shows the profile of label (its index in the dataset); selects its row. */
void       assay_labels_page_select_label (AssayLabelsPage *self, int label);
int        assay_labels_page_get_selected_label (AssayLabelsPage *self);
void       assay_labels_page_train (AssayLabelsPage *self, const AssayXmtcTrainOptions *options);
/* Looks for likely label errors in the dataset shown (a job); the Likely Label Errors window
 * opens with them. */
void       assay_labels_page_find_errors (AssayLabelsPage *self);
void       assay_labels_page_import (AssayLabelsPage *self, const char *path);
/* As the file chooser does: the import dialog (columns and a preview for CSV) */
void       assay_labels_page_import_with_preview (AssayLabelsPage *self, const char *path);
/* For tests: the table's rows as shown (filtered and sorted), and the page's parts. */
GListModel *assay_labels_page_get_rows (AssayLabelsPage *self);
gboolean    assay_labels_page_is_loaded (AssayLabelsPage *self);
void        assay_labels_page_set_k (AssayLabelsPage *self, guint k);
void        assay_labels_page_set_search (AssayLabelsPage *self, const char *text);
GtkWidget  *assay_labels_page_get_keyword_bars (AssayLabelsPage *self);
GtkWidget  *assay_labels_page_get_list (AssayLabelsPage *self);
GtkWidget  *assay_labels_page_get_chart (AssayLabelsPage *self);
const char *assay_labels_page_get_pseudo_description (AssayLabelsPage *self);

GtkWidget   *assay_labels_page_get_summary (AssayLabelsPage *self);

/* Dense label retrieval (DEPL) of the run shown, with the text encoder (remembered, else chosen). */
void assay_labels_page_dense_retrieval (AssayLabelsPage *self);

G_END_DECLS
