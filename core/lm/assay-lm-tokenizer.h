/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-tokenizer.h: byte-level BPE (GPT-2, Qwen2, Llama 3) from a Hugging Face tokenizer.json
 * or GPT-2's encoder.json + vocab.bpe; BERT's WordPiece and Llama 2's SentencePiece from the
 * vocabulary of a GGUF file (llama.cpp). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayLmTokenizer AssayLmTokenizer;

/* path: a tokenizer.json, a folder holding one (or encoder.json + vocab.bpe), or a .gguf file. */
AssayLmTokenizer *assay_lm_tokenizer_load (const char *path, GError **error);
void              assay_lm_tokenizer_free (AssayLmTokenizer *self);

/* Token ids of text (valid UTF-8), no special tokens added. offsets (optional) gets two guint
 * per token: the byte range of the token in text (tokens that share a character split it). */
GArray           *assay_lm_tokenizer_encode (AssayLmTokenizer *self,
                                             const char       *text,
                                             GArray          **offsets,
                                             GError          **error);
/* The text of ids (bytes of partial characters replaced so the result is valid UTF-8). */
char             *assay_lm_tokenizer_decode (AssayLmTokenizer *self, const int *ids, guint n);
/* The bytes one token stands for (not NUL-terminated: *len), NULL for an unknown id. */
const char       *assay_lm_tokenizer_token_bytes (AssayLmTokenizer *self, int id, gsize *len);
guint             assay_lm_tokenizer_vocab_size (AssayLmTokenizer *self);
int               assay_lm_tokenizer_token_id (AssayLmTokenizer *self, const char *token);
/* The id put before every sequence (Llama 3's <|begin_of_text|>, BERT's [CLS]), or -1. */
int               assay_lm_tokenizer_bos_id (AssayLmTokenizer *self);
/* The id put after every sequence by the post-processor (BERT's [SEP], RoBERTa's </s>), or -1. */
int               assay_lm_tokenizer_eos_id (AssayLmTokenizer *self);
const char       *assay_lm_tokenizer_path (AssayLmTokenizer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmTokenizer, assay_lm_tokenizer_free)

G_END_DECLS
