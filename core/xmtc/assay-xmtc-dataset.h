/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-dataset.h: a multi-label corpus as read back from the workspace. */
#pragma once

#include "assay-csr.h"
#include "assay-store.h"
#include "assay-xmtc-metrics.h"

G_BEGIN_DECLS

typedef struct
{
  gint64    id;
  char     *name;
  guint     n_labels;
  char    **label_names; /* n_labels */
  guint    *n_train;     /* per label */
  guint    *n_test;
  guint     n_docs;
  gint64   *doc_ids;     /* workspace row ids */
  gboolean *is_test;
  char    **texts;       /* title + text, or NULL (sparse formats) */
  gsize    *label_offsets; /* n_docs + 1 */
  guint32  *labels;
  AssayCsr *features;    /* sparse formats: all documents; else NULL */
  guint     n_features;
  char    **feature_names; /* sparse formats with a vocabulary; else NULL */
} AssayXmtcDataset;

AssayXmtcDataset *assay_xmtc_dataset_load (AssayStore *store,
                                           gint64      dataset_id,
                                           gboolean    with_text,
                                           GError    **error);
void              assay_xmtc_dataset_free (AssayXmtcDataset *self);
/* The row numbers of the training (test FALSE) or test documents, in order. */
GArray           *assay_xmtc_dataset_split (AssayXmtcDataset *self, gboolean test);
/* Label sets of the given documents, as one AssayLabelSets (arrays owned by the caller:
 * offsets_out, labels_out). */
void              assay_xmtc_dataset_label_sets (AssayXmtcDataset *self,
                                                 GArray           *rows,
                                                 AssayLabelSets   *sets,
                                                 gsize           **offsets_out,
                                                 guint32         **labels_out);
/* The datasets of this area, newest first: ids (gint64) and names. */
GArray           *assay_xmtc_dataset_list (AssayStore *store, GPtrArray *names);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayXmtcDataset, assay_xmtc_dataset_free)

G_END_DECLS
