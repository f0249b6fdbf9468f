/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-precompiled.h: SentencePiece's precompiled character map (the "Precompiled" normaliser
 * of tokenizer.json, XLM-R's and T5's nmt_nfkc): a little-endian u32 giving the size of a
 * Darts-clone double-array trie over UTF-8 bytes, the trie's u32 units, then NUL-separated
 * replacement strings that the trie's values point into. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayPrecompiled AssayPrecompiled;

/* From the raw blob (base64-decoded); NULL with a message in *why when it is malformed. */
AssayPrecompiled *assay_precompiled_new  (const guint8 *blob,
                                          gsize         len,
                                          char        **why);
void              assay_precompiled_free (AssayPrecompiled *self);

/* The replacement of the shortest key that is a prefix of chunk[0, len) (as the Hugging Face
 * tokenizers look it up), or NULL when no key is; *out_len gets its length in bytes. */
const char       *assay_precompiled_transform (const AssayPrecompiled *self,
                                               const char             *chunk,
                                               gsize                   len,
                                               gsize                  *out_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayPrecompiled, assay_precompiled_free)

G_END_DECLS
