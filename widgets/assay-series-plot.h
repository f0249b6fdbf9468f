/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-series-plot.h: a multivariate series with its change-point scores.
 *
 * One lane per variable (its features overlaid, or one chosen), one lane per score curve under
 * them, and vertical marks for the true change steps (green), the detected ones (red, with
 * their type) and the user's own (violet). Scroll zooms around the pointer, dragging pans,
 * clicking (without dragging) emits "step-clicked"; hovering moves a shared cursor and emits
 * "cursor-moved". Each curve is decimated through a min/max pyramid, so drawing costs the
 * width in pixels, not the length of the series. When zoomed in, forecasts (if given) show as
 * dots beside the observed line. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_SERIES_PLOT (assay_series_plot_get_type ())
G_DECLARE_FINAL_TYPE (AssaySeriesPlot, assay_series_plot, ASSAY, SERIES_PLOT, GtkWidget)

GtkWidget *assay_series_plot_new (void);
/* x: T * N * M floats, [t][n][m]; copied. */
void       assay_series_plot_set_series (AssaySeriesPlot   *self,
                                         const float       *x,
                                         guint              T,
                                         guint              N,
                                         guint              M,
                                         const char *const *var_names,
                                         const char *const *feat_names);
/* -1: every feature overlaid */
void       assay_series_plot_set_feature (AssaySeriesPlot *self, int feature);
void       assay_series_plot_clear_scores (AssaySeriesPlot *self);
void       assay_series_plot_add_score (AssaySeriesPlot *self, const char *name, const float *v,
                                        guint T);
/* A heat-map lane (e.g. a run-length posterior): T x R values in [0, 1], row t at step t. */
void       assay_series_plot_add_heatmap (AssaySeriesPlot *self, const char *name,
                                          const float *v, guint T, guint R);
/* One-step forecasts, T * N * M like the series (NULL: none). */
void       assay_series_plot_set_forecast (AssaySeriesPlot *self, const float *forecast);
void       assay_series_plot_set_truth (AssaySeriesPlot *self, const guint *steps, guint n);
/* types: per step 'C' (correlation), 'I' (independent) or 0 */
void       assay_series_plot_set_predicted (AssaySeriesPlot *self, const guint *steps,
                                            const char *types, guint n);
void       assay_series_plot_set_marks (AssaySeriesPlot *self, const guint *steps, guint n);

/* The visible step range [start, end) */
void       assay_series_plot_set_view (AssaySeriesPlot *self, double start, double end);
void       assay_series_plot_get_view (AssaySeriesPlot *self, double *start, double *end);
void       assay_series_plot_zoom (AssaySeriesPlot *self, double factor, double around_step);
int        assay_series_plot_get_cursor (AssaySeriesPlot *self);
void       assay_series_plot_set_cursor (AssaySeriesPlot *self, int step);
/* Step under widget x, or -1 */
int        assay_series_plot_step_at (AssaySeriesPlot *self, double x);
guint      assay_series_plot_get_n_lanes (AssaySeriesPlot *self);

G_END_DECLS
