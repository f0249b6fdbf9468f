/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-matrix-heatmap.h: an N x N matrix of values in [0, 1] (e.g. a correlation graph A_t) as a
 * grid of cells from white (0) to deep blue (1), with a title and the variables' numbers. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_MATRIX_HEATMAP (assay_matrix_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (AssayMatrixHeatmap, assay_matrix_heatmap, ASSAY, MATRIX_HEATMAP, GtkWidget)

GtkWidget *assay_matrix_heatmap_new (void);
void       assay_matrix_heatmap_set_title (AssayMatrixHeatmap *self, const char *title);
/* values: N * N, copied; NULL clears */
void       assay_matrix_heatmap_set_matrix (AssayMatrixHeatmap *self, const float *values, guint N);
/* The colour of a cell value, for tests */
void       assay_matrix_heatmap_color (double value, GdkRGBA *color);
/* What is shown: N (0 when empty) and the value of cell (i, j) */
guint      assay_matrix_heatmap_get_size (AssayMatrixHeatmap *self);
float      assay_matrix_heatmap_get_value (AssayMatrixHeatmap *self, guint i, guint j);

G_END_DECLS
