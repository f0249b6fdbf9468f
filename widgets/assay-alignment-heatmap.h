/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-alignment-heatmap.h: how texts align with labels (GenCo, Fig 3.4): one row per text, one
 * column per label, each cell the text's weight on the label (values in [0, 1], e.g. the softmax
 * of its similarities), from white to deep blue; beside each row a mark of whether the predicted
 * label is the true one. Rows can be grouped by predicted label (then by weight), the labels'
 * names above their columns and beside their groups. More rows than pixels are averaged into
 * strips. Clicking a cell says which text and label it is ("cell-activated"). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_ALIGNMENT_HEATMAP (assay_alignment_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (AssayAlignmentHeatmap, assay_alignment_heatmap, ASSAY, ALIGNMENT_HEATMAP, GtkWidget)

GtkWidget *assay_alignment_heatmap_new (void);
/* values: n_rows x n_cols; predicted and truth: per row a column, or -1 (truth unknown);
 * labels: n_cols names; tips: per row a text for its tooltip, or NULL. All copied. */
void       assay_alignment_heatmap_set_data (AssayAlignmentHeatmap *self,
                                             guint                  n_rows,
                                             guint                  n_cols,
                                             const float           *values,
                                             const int             *predicted,
                                             const int             *truth,
                                             const char *const     *labels,
                                             const char *const     *tips);
/* Rows grouped by predicted label (the default) or in the order given. */
void       assay_alignment_heatmap_set_grouped (AssayAlignmentHeatmap *self, gboolean grouped);
gboolean   assay_alignment_heatmap_get_grouped (AssayAlignmentHeatmap *self);
/* The data row shown at place i (0 at the top), for tests and keyboard use. */
guint      assay_alignment_heatmap_row_at (AssayAlignmentHeatmap *self, guint i);
/* The cell under a point of the widget: FALSE outside the grid. */
gboolean   assay_alignment_heatmap_cell_at (AssayAlignmentHeatmap *self,
                                            double                 x,
                                            double                 y,
                                            guint                 *row,
                                            guint                 *col);

G_END_DECLS
