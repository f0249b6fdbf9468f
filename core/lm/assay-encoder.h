/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-encoder.h: text embeddings from a model folder: BERT / RoBERTa / XLM-R encoders
 * (bidirectional attention) or a causal LM used as an embedder (last-token pooling), pooled and
 * optionally L2-normalised as the folder's sentence-transformers files say. Sequences are packed
 * without padding, each attending only to itself, so a text's embedding does not depend on the
 * others in its batch. */
#pragma once

#include <glib.h>

#include "assay-lm-model.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_POOLING_CLS,  /* the first token's hidden state */
  ASSAY_POOLING_MEAN, /* the mean over every token, special ones included (sentence-transformers) */
  ASSAY_POOLING_LAST, /* the last token's (decoder embedders) */
} AssayPooling;

typedef struct
{
  AssayPooling pooling;
  gboolean     normalize;
  int          max_tokens; /* a text's tokens, special ones included; 0: the model's limit */
  const char  *prefix;     /* put before every text ("query: " for E5), or NULL */
} AssayEncoderOptions;

const char *assay_pooling_name (AssayPooling pooling);
gboolean    assay_pooling_parse (const char *name, AssayPooling *pooling);

/* The pooling and normalisation a model folder asks for: its modules.json (a Normalize module)
 * and Pooling config when present; otherwise mean (encoders) or last token (causal LMs),
 * normalised. A folder asking for what is not supported (max pooling, a Dense module) is an
 * error naming the file. */
gboolean assay_encoder_folder_options (AssayLmModel *model, AssayEncoderOptions *options,
                                       GError **error);

/* Tokens per forward pass. */
#define ASSAY_ENCODER_BATCH_TOKENS 4096

typedef struct _AssayEncoder AssayEncoder;

/* model: opened, with a tokenizer. Its weights go to the backend (unless there already), after
 * checking that they and a batch's activations fit. */
AssayEncoder *assay_encoder_new (AssayLmModel              *model,
                                 AssayBackend              *backend,
                                 const AssayEncoderOptions *options,
                                 GError                   **error);
void          assay_encoder_free (AssayEncoder *self);
int           assay_encoder_dim (AssayEncoder *self);
/* The longest text in tokens (special ones included); longer ones are cut. */
int           assay_encoder_max_tokens (AssayEncoder *self);

/* The ids the model sees for a text: the prefix, the tokenizer's special tokens around it, cut
 * to the longest text (keeping the closing special token). */
GArray       *assay_encoder_tokenize (AssayEncoder *self, const char *text, GError **error);
/* n sequences of ids (lens[i] ids each) into out (n x dim floats), batch by batch. */
gboolean      assay_encoder_embed_ids (AssayEncoder     *self,
                                       const int *const *ids,
                                       const int        *lens,
                                       int               n,
                                       float            *out,
                                       GError          **error);
/* Every token's final hidden state (after the final norm of a causal LM) of one sequence: len x
 * dim floats into out. */
gboolean      assay_encoder_hidden_ids (AssayEncoder *self,
                                        const int    *ids,
                                        int           len,
                                        float        *out,
                                        GError      **error);
/* n texts (valid UTF-8) into out (n x dim floats). */
gboolean      assay_encoder_embed (AssayEncoder      *self,
                                   const char *const *texts,
                                   int                n,
                                   float             *out,
                                   GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayEncoder, assay_encoder_free)

G_END_DECLS
