/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-dedup.h: near-duplicate generations by MinHash (assay-minhash.h), over the text a
 * record stands for (the reviewer's edit when there is one), and the review decision that keeps
 * one record of each group. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-minhash.h"
#include "assay-store.h"

G_BEGIN_DECLS

/* The groups of dataset (0: every dataset) at threshold (estimated Jaccard of word 5-grams).
 * Result: {"records", "without_words", "pairs", "threshold", "seconds",
 * "groups": [[record id, ...] ...]} (ids ascending; groups by their first id). */
JsonObject *assay_gen_dedup (AssayStore                *store,
                             gint64                     dataset,
                             double                     threshold,
                             const AssayMinHashOptions *options,
                             GError                   **error);

/* Groups of indices (as assay_union_find_groups gives them) as the JSON of a result's "groups":
 * lists of the record ids ids[index]. */
JsonArray  *assay_gen_dedup_groups_json (GPtrArray *groups, const gint64 *ids);

/* Rejects every record of the groups but one (an accepted one when a group has one, else its
 * first), as one undoable decision; *n_rejected (optional) gets how many. */
gboolean    assay_gen_dedup_reject (AssayStore *store, JsonObject *result, guint *n_rejected,
                                    GError **error);

G_END_DECLS
