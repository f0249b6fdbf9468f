/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-model.h: a trained run read back: vocabulary, sparse weights per label, and the
 * keyword profiles derived from them (the k terms with the largest positive weights). */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct _AssayXmtcModel AssayXmtcModel;

typedef struct
{
  const char *term;
  float       weight;
  guint       feature;
} AssayKeyword;

AssayXmtcModel *assay_xmtc_model_load (AssayStore *store, gint64 run_id, GError **error);
void            assay_xmtc_model_free (AssayXmtcModel *self);

gint64          assay_xmtc_model_get_dataset (AssayXmtcModel *self);
guint           assay_xmtc_model_get_n_labels (AssayXmtcModel *self);
guint           assay_xmtc_model_get_n_terms (AssayXmtcModel *self);
/* k of the run's keyword profiles */
guint           assay_xmtc_model_get_keywords_k (AssayXmtcModel *self);
const char     *assay_xmtc_model_get_label_name (AssayXmtcModel *self, guint label);
/* -1 when unknown */
int             assay_xmtc_model_find_label (AssayXmtcModel *self, const char *name);
gboolean        assay_xmtc_model_is_trained (AssayXmtcModel *self, guint label);
/* Up to k keywords, best first (array of AssayKeyword; terms owned by the model). */
GArray         *assay_xmtc_model_keywords (AssayXmtcModel *self, guint label, guint k);
/* "name kw1 kw2 ..." */
char           *assay_xmtc_model_pseudo_description (AssayXmtcModel *self, guint label, guint k);

/* Evidence for a label in a text: the label's k best keywords that occur in it as words
 * (lower-cased), best first, at most max of them; NULL-terminated (g_strfreev), empty when none
 * or the label is unknown or untrained. */
GStrv           assay_xmtc_model_evidence (AssayXmtcModel *self, const char *label, const char *text, guint k,
                                           guint max);
/* The dataset's latest finished one-vs-rest SVM run (0: none) */
gint64          assay_xmtc_latest_svm_run (AssayStore *store, gint64 dataset);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayXmtcModel, assay_xmtc_model_free)

G_END_DECLS
