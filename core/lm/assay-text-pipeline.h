/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-text-pipeline.h: the normalizer and pre-tokenizer of a SentencePiece model's
 * tokenizer.json (XLM-R, T5, ALBERT, mBART), read once and run on each stretch of text between
 * added tokens: the stretch normalised, then cut into the pre-tokens the model segments.
 *
 * Normalizers: Sequence, Precompiled (SentencePiece's character map; null or empty does
 * nothing), Replace (String or Regex pattern), Strip, NFC, NFD, NFKC, NFKD, Lowercase,
 * StripAccents, Prepend, Nmt. Pre-tokenizers: Sequence, Metaspace (replacement,
 * add_prefix_space or prepend_scheme always / first / never, split), WhitespaceSplit. Anything
 * else is refused, naming it. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _AssayTextPipeline AssayTextPipeline;

/* normalizer and pre_tokenizer: the members of tokenizer.json (NULL or null: none); path names
 * the file in errors. */
AssayTextPipeline *assay_text_pipeline_new  (JsonNode    *normalizer,
                                             JsonNode    *pre_tokenizer,
                                             const char  *path,
                                             GError     **error);
void               assay_text_pipeline_free (AssayTextPipeline *self);

/* The pre-tokens (AssayNormalized*, owned by the array) of text[0, len) (valid UTF-8), whose
 * first byte is byte base of the whole text. */
GPtrArray         *assay_text_pipeline_run  (const AssayTextPipeline *self,
                                             const char              *text,
                                             gsize                    len,
                                             gsize                    base);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTextPipeline, assay_text_pipeline_free)

G_END_DECLS
