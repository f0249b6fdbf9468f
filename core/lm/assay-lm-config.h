/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-config.h: the parts of a Hugging Face config.json the forward pass needs. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  ASSAY_LM_LLAMA, /* LlamaForCausalLM (MistralForCausalLM): RMSNorm, RoPE (incl. llama3 scaling),
                   * SwiGLU, GQA */
  ASSAY_LM_QWEN2, /* Qwen2ForCausalLM: the same with q/k/v biases */
  ASSAY_LM_GPT2,  /* GPT2LMHeadModel: LayerNorm, learned positions, GELU (tanh), fused qkv */
  /* Encoders: post-LayerNorm blocks, learned absolute and token-type embeddings, bidirectional
   * attention; no language-model head. */
  ASSAY_LM_BERT,    /* BertModel (BGE, E5, MiniLM, SimCSE, DPR) */
  ASSAY_LM_ROBERTA, /* RobertaModel, XLMRobertaModel: BERT with positions from pad_token_id + 1 */
} AssayLmArch;

typedef enum
{
  ASSAY_LM_REWARD_NONE,
  ASSAY_LM_REWARD_SEQUENCE, /* LlamaForSequenceClassification, Qwen2ForSequenceClassification,
                             * MistralForSequenceClassification: score = Linear(hidden, labels,
                             * no bias), read at the last token (outcome reward models) */
  ASSAY_LM_REWARD_PROCESS,  /* Qwen2ForProcessRewardModel (Qwen2.5-Math-PRM): score =
                             * Linear(hidden, hidden) - ReLU - Linear(hidden, 2), read at every
                             * step separator */
} AssayLmRewardHead;

typedef struct
{
  AssayLmArch arch;
  char       *architecture; /* as the file names it */
  char       *torch_dtype;  /* "bfloat16", ... or NULL */
  int         hidden;
  int         layers;
  int         heads;
  int         kv_heads;
  int         head_dim;
  int         inter;
  int         vocab;
  int         max_positions;
  double      norm_eps;
  double      rope_theta;
  gboolean    tie_embeddings;
  gboolean    qkv_bias;
  gboolean    no_head;      /* LlamaModel, Qwen2Model, MistralModel: saved without lm_head */
  /* reward models (no lm_head; their score head is read by assay-reward-model.h) */
  AssayLmRewardHead reward_head;
  int         num_labels;   /* outputs of a sequence-classification head */
  /* rope_scaling */
  char       *rope_type; /* NULL, "llama3" or "linear" */
  double      rope_factor;
  double      rope_low_freq_factor;
  double      rope_high_freq_factor;
  int         rope_original_max;
  int         bos_token_id; /* -1 when none */
  int         eos_ids[8];   /* eos_token_id (a number or a list), n_eos of them */
  int         n_eos;
  /* encoders */
  int         type_vocab;      /* type_vocab_size */
  int         position_offset; /* the position of the first token: RoBERTa's pad_token_id + 1 */
  gboolean    gelu_exact;      /* hidden_act "gelu" (erf) rather than a tanh approximation */
} AssayLmConfig;

AssayLmConfig *assay_lm_config_load (const char *path, GError **error);
AssayLmConfig *assay_lm_config_parse (const char *text, const char *label, GError **error);
void           assay_lm_config_free (AssayLmConfig *config);
/* Adds the ids of an "eos_token_id" member (a number or a list) to config->eos_ids, once each. */
void           assay_lm_config_add_eos (AssayLmConfig *config, JsonObject *object);
const char    *assay_lm_arch_name (AssayLmArch arch);
gboolean       assay_lm_arch_is_encoder (AssayLmArch arch);
/* The head_dim / 2 inverse frequencies of the rotary embedding, scaling applied. */
float         *assay_lm_config_inv_freq (const AssayLmConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmConfig, assay_lm_config_free)

G_END_DECLS
