/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-wordpiece.h: BERT's tokenization (BertNormalizer, BertPreTokenizer, WordPiece) as
 * Hugging Face tokenizers does it:
 *   clean: drop NUL, U+FFFD and control characters, every white space becomes a space;
 *   Chinese characters (the CJK ideograph blocks) become words of their own;
 *   strip accents (NFD, then drop non-spacing marks), lower-case;
 *   split at white space and around every punctuation character (ASCII symbols count);
 *   each word: the longest vocabulary piece from its start, then the longest continuation piece
 *   from there, and so on; a word with a part no piece covers, or longer than max_chars
 *   characters, is one unknown token.
 * Continuation pieces are written with a prefix ("##" in tokenizer.json); llama.cpp's GGUF
 * files write them bare and the word-initial ones with a "▁" prefix instead (word_prefix). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  GHashTable *vocab;          /* char* -> GINT_TO_POINTER (id), not owned */
  int         unk;            /* id of the unknown token */
  const char *continuation;   /* "##" or "" */
  const char *word_prefix;    /* "" or "▁" */
  int         max_chars;      /* 100 */
  gboolean    clean, chinese, strip_accents, lowercase;
} AssayWordPiece;

/* Tokenizes text[0, len) (valid UTF-8) appending ids; offsets (optional) gets each token's byte
 * range in text, shifted by base. */
void assay_wordpiece_encode (const AssayWordPiece *self,
                             const char           *text,
                             gsize                 len,
                             gsize                 base,
                             GArray               *ids,
                             GArray               *offsets);

G_END_DECLS
