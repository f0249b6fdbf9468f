/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-tokenizer.h: word tokens for tf-idf.
 *
 * A token is a maximal run of word characters (letters, numbers, '_'), at least min_length
 * characters long: the same tokens as scikit-learn's default token_pattern (?u)\b\w\w+\b when
 * min_length is 2. Tokens are lower-cased (Unicode) when asked, and stop words are dropped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayTokenizer AssayTokenizer;

/* Called for each token: the (lower-cased) token text, and its byte span in the input. */
typedef void (*AssayTokenFunc) (const char *token,
                                gsize       token_len,
                                gsize       start,
                                gsize       end,
                                gpointer    user_data);

AssayTokenizer    *assay_tokenizer_new (gboolean lowercase, guint min_length);
void               assay_tokenizer_free (AssayTokenizer *self);
/* NULL or empty: none. */
void               assay_tokenizer_set_stop_words (AssayTokenizer *self, const char *const *words);
/* A built-in English stop-word list (articles, pronouns, auxiliaries, prepositions, ...). */
const char *const *assay_tokenizer_english_stop_words (void);
gboolean           assay_tokenizer_is_stop_word (AssayTokenizer *self, const char *token);
void               assay_tokenizer_foreach (AssayTokenizer *self,
                                            const char     *text,
                                            gssize          length,
                                            AssayTokenFunc  func,
                                            gpointer        user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTokenizer, assay_tokenizer_free)

G_END_DECLS
