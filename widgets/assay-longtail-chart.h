/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-longtail-chart.h: the long tail of a label set. Labels sorted rare -> common along x, their
 * training-document counts as bars on a log scale (coloured by bin: tail 1-9, torso 10-99,
 * head 100+), decimated to the maximum per pixel column, and a per-bin curve (e.g. macro-F1@k per
 * 100 labels) on a 0-1 axis over it. Clicking a bar emits "activated" with its position. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_LONGTAIL_CHART (assay_longtail_chart_get_type ())
G_DECLARE_FINAL_TYPE (AssayLongtailChart, assay_longtail_chart, ASSAY, LONGTAIL_CHART, GtkWidget)

GtkWidget *assay_longtail_chart_new (void);
/* counts: n values in display order (ascending). names (optional, n entries) for tooltips.
 * curve: n_bins values in [0, 1] (NaN: none) for consecutive groups of bin_size positions. */
void       assay_longtail_chart_set_data (AssayLongtailChart *self,
                                          const guint        *counts,
                                          const char *const  *names,
                                          guint               n,
                                          const double       *curve,
                                          guint               n_bins,
                                          guint               bin_size,
                                          const char         *curve_label);
/* Position to mark, or -1. */
void       assay_longtail_chart_set_selected (AssayLongtailChart *self, int position);
int        assay_longtail_chart_get_selected (AssayLongtailChart *self);
/* The position under x (widget coordinates), or -1. */
int        assay_longtail_chart_position_at (AssayLongtailChart *self, double x);

G_END_DECLS
