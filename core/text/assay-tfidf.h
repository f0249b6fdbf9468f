/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-tfidf.h: vocabulary and tf-idf features with l2-normalised rows.
 *
 * As scikit-learn's TfidfVectorizer with its defaults: raw term counts, smooth idf
 * idf(t) = ln((1 + n) / (1 + df(t))) + 1, rows scaled to unit norm. The vocabulary comes from the
 * training documents, pruned by min_df (a count) and max_df (a fraction), sorted by term. */
#pragma once

#include <gio/gio.h>

#include "assay-csr.h"
#include "assay-tokenizer.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean lowercase;
  gboolean stop_words; /* the built-in English list */
  guint    min_df;     /* >= 1 */
  double   max_df;     /* (0, 1] */
  guint    min_token_length;
} AssayTfidfOptions;

typedef struct _AssayTfidf AssayTfidf;

void        assay_tfidf_options_init (AssayTfidfOptions *options);

AssayTfidf *assay_tfidf_new (const AssayTfidfOptions *options);
/* From a stored vocabulary (terms in id order and their idf). */
AssayTfidf *assay_tfidf_new_from_vocabulary (const AssayTfidfOptions *options,
                                             const char *const       *terms,
                                             const float             *idf,
                                             guint                    n_terms);
void        assay_tfidf_free (AssayTfidf *self);

/* Learns the vocabulary and idf from docs and returns their feature rows. */
AssayCsr   *assay_tfidf_fit_transform (AssayTfidf        *self,
                                       const char *const *docs,
                                       guint              n_docs,
                                       GCancellable      *cancellable,
                                       GError           **error);
AssayCsr   *assay_tfidf_transform (AssayTfidf *self, const char *const *docs, guint n_docs);

guint       assay_tfidf_get_n_terms (AssayTfidf *self);
const char *assay_tfidf_get_term (AssayTfidf *self, guint id);
const float *assay_tfidf_get_idf (AssayTfidf *self);
/* -1 when the term is not in the vocabulary. */
int         assay_tfidf_lookup (AssayTfidf *self, const char *term);
AssayTokenizer *assay_tfidf_get_tokenizer (AssayTfidf *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTfidf, assay_tfidf_free)

G_END_DECLS
