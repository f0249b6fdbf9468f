/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-curve-chart.h: a few named curves over shared x values (drawn on a log2 axis when asked),
 * y from 0 to 1 (e.g. re-ranking accuracy against the number of candidates N) or over the data's
 * range (e.g. a training loss against the step). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_CURVE_CHART (assay_curve_chart_get_type ())
G_DECLARE_FINAL_TYPE (AssayCurveChart, assay_curve_chart, ASSAY, CURVE_CHART, GtkWidget)

GtkWidget *assay_curve_chart_new (void);
/* Copies: n_x x values, n_series curves of n_x values each (NaN: gap), their names. */
void       assay_curve_chart_set_data (AssayCurveChart   *self,
                                       int                n_x,
                                       const double      *x,
                                       int                n_series,
                                       const char *const *names,
                                       const double      *y,
                                       gboolean           log2_x);
void       assay_curve_chart_set_labels (AssayCurveChart *self, const char *x_label,
                                         const char *y_label);
/* The y axis spans the data, on round numbers (default: 0 to 1). */
void       assay_curve_chart_set_auto_y (AssayCurveChart *self, gboolean auto_y);
/* What the chart says without data (default: "No questions with several candidates"). */
void       assay_curve_chart_set_empty_text (AssayCurveChart *self, const char *text);

G_END_DECLS
