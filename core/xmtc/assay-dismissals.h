/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-dismissals.h: likely label errors the reviewer has dismissed ("the label is right"),
 * kept in the workspace (label_dismissals) so that later searches (xmtc errors, gen errors) leave
 * them out. A dismissal is an undoable decision. item: the document's id as imported (xmtc) or
 * the record's id (generations); given: whether the label is given (FALSE: one said missing). */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

/* Dismisses one (an existing dismissal is not an error) */
gboolean    assay_dismissal_add (AssayStore *store, gint64 dataset, const char *item, const char *label,
                                 gboolean given, GError **error);
/* The dataset's dismissals, as keys for assay_dismissal_key (a set; g_hash_table_unref) */
GHashTable *assay_dismissals_load (AssayStore *store, gint64 dataset, GError **error);
char       *assay_dismissal_key (const char *item, const char *label, gboolean given);

G_END_DECLS
