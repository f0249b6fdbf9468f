/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-label-row.h: one label in the Labels table (plain values, for sorting and binding). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_LABEL_ROW (assay_label_row_get_type ())
G_DECLARE_FINAL_TYPE (AssayLabelRow, assay_label_row, ASSAY, LABEL_ROW, GObject)

/* f1, precision, recall: -1 when there is nothing to measure. */
AssayLabelRow *assay_label_row_new (guint       index,
                                    const char *name,
                                    guint       n_train,
                                    guint       n_test,
                                    const char *bin,
                                    gboolean    trained);
void           assay_label_row_set_scores (AssayLabelRow *self,
                                           double         f1,
                                           double         precision,
                                           double         recall);
guint          assay_label_row_get_index (AssayLabelRow *self);
const char    *assay_label_row_get_name (AssayLabelRow *self);
const char    *assay_label_row_get_bin (AssayLabelRow *self);
guint          assay_label_row_get_n_train (AssayLabelRow *self);

G_END_DECLS
