/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-series-row.h: one series in the Change Points table (plain values). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_CPD_SERIES_ROW (assay_cpd_series_row_get_type ())
G_DECLARE_FINAL_TYPE (AssayCpdSeriesRow, assay_cpd_series_row, ASSAY, CPD_SERIES_ROW, GObject)

/* metrics: -1 when not measured */
AssayCpdSeriesRow *assay_cpd_series_row_new (gint64 id, const char *name, guint steps,
                                             guint variables, guint truth, guint marks,
                                             const char *type, double auc, double tri,
                                             double f1, double cover);
gint64             assay_cpd_series_row_get_id (AssayCpdSeriesRow *self);
const char        *assay_cpd_series_row_get_name (AssayCpdSeriesRow *self);
void               assay_cpd_series_row_set_marks (AssayCpdSeriesRow *self, guint marks);

G_END_DECLS
