/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-normalized.h: a text being normalised and pre-tokenised, as the Hugging Face tokenizers'
 * NormalizedString: every byte of the current text remembers the byte range of the original
 * text it came from, so tokens of the rewritten text still have offsets in what the user wrote.
 * The rewrites are those of tokenizer.json's normalizers and pre-tokenizers for SentencePiece
 * models (XLM-R, T5, ALBERT, mBART). */
#pragma once

#include <glib.h>

#include "assay-precompiled.h"

G_BEGIN_DECLS

typedef struct
{
  GString *text;
  GArray  *align; /* per byte of text: guint[2], the original [start, end) */
  gsize    base;  /* where the original text starts (the position of an empty text) */
} AssayNormalized;

AssayNormalized *assay_normalized_new   (const char *text,
                                         gsize       len,
                                         gsize       base);
void             assay_normalized_free  (AssayNormalized *self);

/* The original byte range of the current bytes [from, to); an empty range sits where it is. */
void             assay_normalized_original (const AssayNormalized *self,
                                            gsize                  from,
                                            gsize                  to,
                                            guint                 *start,
                                            guint                 *end);

/* The end of the extended grapheme cluster (Unicode UAX #29, without the Prepend class and with
 * Extended_Pictographic approximated by the emoji blocks) that starts at s[pos]. */
gsize            assay_normalized_grapheme_end (const char *s,
                                                gsize       len,
                                                gsize       pos);

/* Normalizers. Precompiled: each grapheme of fewer than 6 bytes that the map has a key for
 * becomes its replacement; otherwise each of its characters that has one does (the Hugging Face
 * tokenizers' reading of SentencePiece's map). */
void             assay_normalized_precompiled   (AssayNormalized        *self,
                                                 const AssayPrecompiled *map);
void             assay_normalized_replace       (AssayNormalized *self,
                                                 GRegex          *pattern,
                                                 const char      *content);
void             assay_normalized_strip         (AssayNormalized *self,
                                                 gboolean         left,
                                                 gboolean         right);
void             assay_normalized_unicode       (AssayNormalized *self,
                                                 GNormalizeMode   mode);
void             assay_normalized_lowercase     (AssayNormalized *self);
void             assay_normalized_strip_accents (AssayNormalized *self);
/* Puts prefix before a text that is not empty. */
void             assay_normalized_prepend       (AssayNormalized *self,
                                                 const char      *prefix);

/* Pre-tokenizers: the pieces (AssayNormalized*, owned by the array), empty ones left out.
 * split_whitespace drops the white space; split_before cuts before each delimiter, which
 * stays at the start of the piece that follows it (Metaspace's split). */
GPtrArray       *assay_normalized_split_whitespace (const AssayNormalized *self);
GPtrArray       *assay_normalized_split_before     (const AssayNormalized *self,
                                                    const char            *delimiter);

/* Unicode White_Space (what Rust's char::is_whitespace tests). */
gboolean         assay_normalized_is_space (gunichar c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayNormalized, assay_normalized_free)

G_END_DECLS
