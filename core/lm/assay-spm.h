/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-spm.h: SentencePiece BPE with byte fallback (Llama 2, Mistral, Gemma), as llama.cpp and
 * Hugging Face tokenizers do it: a "▁" before the text (when add_prefix), every space a "▁";
 * start from the characters; repeatedly join the adjacent pair whose joined text is a
 * vocabulary piece of the highest score (llama.cpp, from GGUF scores) or whose merge has the
 * lowest rank (Hugging Face, from tokenizer.json merges), the leftmost among equals; a character
 * no piece holds becomes its UTF-8 bytes' <0xXX> tokens. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  GHashTable  *vocab;      /* char* -> GINT_TO_POINTER (id), not owned */
  const float *scores;     /* per id (llama.cpp's scores), or NULL: merge ranks instead */
  guint        n_scores;
  /* Hugging Face's BPE: the rank of the merge of two tokens (lower first), FALSE when the pair
   * is no merge; used when scores is NULL */
  gboolean   (*merge_rank) (gpointer data, int left, int right, guint *rank);
  gpointer     merge_data;
  int          byte_id[256]; /* the <0xXX> tokens (-1: none: the unknown token instead) */
  int          unk;
  gboolean     add_prefix;
} AssaySpm;

/* Tokenizes text[0, len) (valid UTF-8), appending ids; offsets (optional) gets each token's
 * byte range in text (the "▁" of the prefix has an empty range at the start), shifted by base. */
void assay_spm_encode (const AssaySpm *self,
                       const char     *text,
                       gsize           len,
                       gsize           base,
                       GArray         *ids,
                       GArray         *offsets);

G_END_DECLS
