/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-test-lm.h: tiny random causal LMs (and BERT encoders) written as Hugging Face folders
 * (config.json, model.safetensors, tokenizer.json), and a plain float64 forward pass over the
 * same weights (causal LMs only: the encoders' reference is PyTorch, tests/peers). */
#pragma once

#include <glib.h>

#include "assay-backend.h"
#include "assay-lm-config.h"

G_BEGIN_DECLS

typedef struct
{
  AssayLmArch arch;
  int         hidden, layers, heads, kv_heads, inter, vocab, max_positions;
  gboolean    tie_embeddings;
  gboolean    rope_llama3; /* Llama: llama3 rope scaling */
  AssayDType  dtype;
  double      scale; /* weight scale (0: 1) */
  gboolean    anchor; /* Llama/Qwen2: hidden dimension 0 held at 1 through every layer (the
                       * embedding's column 0 is 1, no layer writes to it), so a favoured
                       * token's logit can be raised at every position (assay_test_lm_favour) */
  AssayLmRewardHead reward; /* Llama/Qwen2: a reward model (no lm_head; the score head) */
  int         num_labels;   /* its sequence-classification outputs (0: 1) */
} AssayTestLmSpec;

typedef struct _AssayTestLm AssayTestLm;

/* The tiny model the tests use: hidden 32, 2 layers, 4 heads (2 key/value heads but for GPT-2),
 * intermediate 48, vocabulary 300, 512 positions; Qwen2 ties its embeddings, Llama scales its
 * rotary frequencies as Llama 3 does. */
AssayTestLmSpec assay_test_lm_spec (AssayLmArch arch, AssayDType dtype);
/* Writes the folder dir (created) with weights drawn from seed. */
AssayTestLm  *assay_test_lm_write (const char *dir, const AssayTestLmSpec *spec, guint32 seed);
void          assay_test_lm_free (AssayTestLm *self);
const char   *assay_test_lm_dir (AssayTestLm *self);
/* The values of a tensor as stored (rounded to the dtype), row-major. */
double       *assay_test_lm_tensor (AssayTestLm *self, const char *name);
/* Adds bias to the output layer column of token id and rewrites the weights (a copy of a model
 * whose output favours that token): lm_head must be untied. With spec.anchor the logit of id
 * rises at every position (by bias x norm weight / rms of the state); without, on average. */
void          assay_test_lm_favour (AssayTestLm *self, int id, double bias);
/* float64 log p(ids[i] | ids[<i]) for i = start .. len-1 (len - start values, g_free). */
double       *assay_test_lm_reference (AssayTestLm *self, const int *ids, int len, int start);
/* float64 logits of the token after the len ids, V values (g_free). */
double       *assay_test_lm_next (AssayTestLm *self, const int *ids, int len);
/* A reward model's head at every position, float64: len x labels logits (g_free) */
double       *assay_test_lm_reward_logits (AssayTestLm *self, const int *ids, int len);
/* Writes a safetensors file of the named tensors (name, dtype, n_dims, shape, values). */
gboolean      assay_test_write_safetensors (const char *path, GPtrArray *names, GPtrArray *tensors,
                                            AssayDType dtype, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTestLm, assay_test_lm_free)

G_END_DECLS
