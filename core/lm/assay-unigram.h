/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-unigram.h: SentencePiece's Unigram model (XLM-R, T5, ALBERT, mBART) as the Hugging Face
 * tokenizers run it: the segmentation of a pre-token into vocabulary pieces with the highest sum
 * of piece scores (Viterbi over a byte trie of the pieces; among equal sums the one found first,
 * shorter pieces before longer at each position); a character no piece of its own length covers
 * may be the unknown token, scored 10 below the lowest score; runs of unknown tokens are fused
 * into one; with byte fallback an unknown run becomes the <0xXX> tokens of its bytes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayUnigram AssayUnigram;

/* pieces[i] / scores[i] for id i (NULL: no piece); vocab (char* -> id, not owned) decides which
 * id a piece listed twice has and finds the byte tokens. */
AssayUnigram *assay_unigram_new  (const char *const *pieces,
                                  const double      *scores,
                                  guint              n,
                                  GHashTable        *vocab,
                                  int                unk,
                                  gboolean           byte_fallback);
void          assay_unigram_free (AssayUnigram *self);

/* Tokenizes text[0, len) (valid UTF-8, one pre-token), appending ids, and to spans (optional)
 * each token's byte range [start, end) in text as two guints. */
void          assay_unigram_encode (const AssayUnigram *self,
                                    const char         *text,
                                    gsize               len,
                                    GArray             *ids,
                                    GArray             *spans);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayUnigram, assay_unigram_free)

G_END_DECLS
