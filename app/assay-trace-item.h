/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-item.h: one trace as a row of the Traces page's list: its correctness, sequence
 * reward R, labelled and predicted first error under the page's run, and its question. Read on
 * demand; all shown fields are strings. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_TRACE_ITEM (assay_trace_item_get_type ())
G_DECLARE_FINAL_TYPE (AssayTraceItem, assay_trace_item, ASSAY, TRACE_ITEM, GObject)

/* run: 0 for none (R and the prediction show "—") */
AssayTraceItem *assay_trace_item_new (AssayStore *store, gint64 id, gint64 run);
void            assay_trace_item_reload (AssayTraceItem *self, AssayStore *store, gint64 run);
gint64          assay_trace_item_get_id (AssayTraceItem *self);

G_END_DECLS
