/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-minhash.h: near-duplicate texts without a model. A text's shingles are its word 5-grams
 * (words: runs of letters and digits, case-folded; a text of fewer words is one shingle of all
 * of them); its signature the minimum of each of n_perm hash permutations over its shingles
 * (h(x) = (a x + b) mod 2^61 - 1), so that the share of equal signature entries estimates the
 * Jaccard similarity of two shingle sets. Candidate pairs come from locality-sensitive hashing
 * (bands of rows of the signature, as many rows per band as keep the recall at the threshold
 * above 99.9 %) and are kept when their estimate reaches the threshold; groups are the connected
 * pairs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint   n_perm;  /* 128 */
  guint   shingle; /* 5 words */
  guint64 seed;
} AssayMinHashOptions;

void     assay_minhash_options_init (AssayMinHashOptions *options);

typedef struct _AssayMinHash AssayMinHash;

AssayMinHash *assay_minhash_new (const AssayMinHashOptions *options);
void          assay_minhash_free (AssayMinHash *self);
guint         assay_minhash_n_perm (AssayMinHash *self);

/* The signature of text into sig (n_perm values); FALSE when the text has no word (sig is then
 * all G_MAXUINT64 and the text takes part in no group). */
gboolean      assay_minhash_signature (AssayMinHash *self, const char *text, guint64 *sig);
/* The share of equal entries of two signatures. */
double        assay_minhash_estimate (const guint64 *a, const guint64 *b, guint n_perm);

/* Groups of near-duplicates among n signatures (sigs: n * n_perm, valid[i] FALSE leaves text i
 * out): each a GArray of guint indices, ascending, groups ordered by their first index.
 * *n_pairs gets the number of pairs found at or above threshold. */
GPtrArray    *assay_minhash_groups (AssayMinHash   *self,
                                    const guint64  *sigs,
                                    const gboolean *valid,
                                    guint           n,
                                    double          threshold,
                                    guint          *n_pairs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayMinHash, assay_minhash_free)

G_END_DECLS
