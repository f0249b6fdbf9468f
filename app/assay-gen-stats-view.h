/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-stats-view.h: the counts of the generations in view (assay_gen_stats): how many
 * records, by review status and by rating as bars with their share, the mean rating, and a
 * table by kind. */
#pragma once

#include <gtk/gtk.h>

#include "assay-gen-query.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GEN_STATS_VIEW (assay_gen_stats_view_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenStatsView, assay_gen_stats_view, ASSAY, GEN_STATS_VIEW, GtkBox)

/* stats: AssayGenStats *, all of them first, then one per kind (NULL: empty) */
void  assay_gen_stats_view_set      (AssayGenStatsView *self, GPtrArray *stats);
/* Its labels' text, for tests: labels one per line, a grid's cells separated by | */
char *assay_gen_stats_view_dup_text (AssayGenStatsView *self);

G_END_DECLS
