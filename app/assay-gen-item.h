/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-item.h: one generation record as a list row: its id and the few fields the list
 * shows (kind, status, rating, P(good) under the label model, the start of its text and prompt),
 * read on demand. */
#pragma once

#include "assay-gen-record.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GEN_ITEM (assay_gen_item_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenItem, assay_gen_item, ASSAY, GEN_ITEM, GObject)

/* Reads the summary from store (NULL fields when the record is gone) */
AssayGenItem  *assay_gen_item_new (AssayStore *store, gint64 id);
/* Reads it again and notifies "status", "rating" and "snippet" */
void           assay_gen_item_reload (AssayGenItem *self, AssayStore *store);
gint64         assay_gen_item_get_id (AssayGenItem *self);
const char    *assay_gen_item_get_kind (AssayGenItem *self);
AssayGenStatus assay_gen_item_get_status (AssayGenItem *self);
int            assay_gen_item_get_rating (AssayGenItem *self);
const char    *assay_gen_item_get_snippet (AssayGenItem *self);
const char    *assay_gen_item_get_prompt (AssayGenItem *self);
/* P(good) under the dataset's label model (signals fit), NaN when it has none */
double         assay_gen_item_get_p_good (AssayGenItem *self);

G_END_DECLS
