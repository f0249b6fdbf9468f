/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-train-model.h: a causal language model (Llama, Qwen2, Mistral) held for training:
 * float32 master copies of every weight of the folder, each with its gradient, and one forward +
 * backward pass over packed sequences that adds the gradients of a weighted token-level
 * cross-entropy. The output layer's logits exist for a chunk of rows at a time; each layer keeps
 * only its input, and its activations are computed again in the backward pass (one more forward
 * pass of compute, for activation memory of one layer instead of all of them).
 *
 * Parameters are the folder's tensors under their Hugging Face names, so that optimisers,
 * checkpoints and checks address them by name. */
#pragma once

#include <glib.h>

#include "assay-adamw.h"
#include "assay-backend.h"
#include "assay-lm-model.h"

G_BEGIN_DECLS

typedef struct _AssayTrainModel AssayTrainModel;

/* LoRA (Hu et al.; PEFT's LoraConfig): each targeted linear W x becomes W x + (alpha / rank) B A
 * dropout(x) with A [rank, in] drawn as PEFT draws it (kaiming-uniform, a = sqrt 5: uniform in
 * +-1/sqrt(in)) and B [out, rank] zero; everything else is frozen. GPT-2's Conv1D weights are
 * [in, out] (PEFT's fan_in_fan_out): its adapters are the same, and merging adds (B A)^T. */
typedef struct
{
  int      rank;
  double   alpha;
  double   dropout;
  char   **targets; /* module names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
                     * GPT-2: c_attn, c_proj (both), c_fc, or attn.c_proj / mlp.c_proj); NULL: all */
  guint    seed;
} AssayLoraOptions;

/* Reads the weights of model's folder (any dtype it stores) as float32 for the CPU backend b. */
AssayTrainModel *assay_train_model_new  (AssayLmModel *model,
                                         AssayBackend *backend,
                                         GError      **error);
void             assay_train_model_free (AssayTrainModel *self);

guint            assay_train_model_n_params    (AssayTrainModel *self);
const char      *assay_train_model_param_name  (AssayTrainModel *self,
                                                guint            i);
/* Values and gradient of parameter i (n floats each; the caller may change the values). */
float           *assay_train_model_param       (AssayTrainModel *self,
                                                guint            i,
                                                gsize           *n);
float           *assay_train_model_grad        (AssayTrainModel *self,
                                                guint            i);
/* Adds LoRA adapters (they become the only trainable parameters, after the base ones). */
gboolean         assay_train_model_add_lora    (AssayTrainModel        *self,
                                                const AssayLoraOptions *options,
                                                GError                **error);
gboolean         assay_train_model_has_lora    (AssayTrainModel *self);
/* Whether parameter i is trained (has a gradient): all without LoRA, the adapters with it. */
gboolean         assay_train_model_param_trainable (AssayTrainModel *self,
                                                    guint            i);
/* Hands every trainable parameter and its gradient to opt (in parameter order). */
void             assay_train_model_register (AssayTrainModel *self,
                                             AssayAdamW      *opt);
/* The dropout masks of the next passes (the same seed gives the same masks: a scoring pass and the
 * training pass of one batch must agree). */
void             assay_train_model_set_dropout_seed (AssayTrainModel *self,
                                                     guint64          seed);
/* Whether weight decay applies: matrices yes, norms and biases no. */
gboolean         assay_train_model_param_decays (AssayTrainModel *self,
                                                 guint            i);
/* rows x cols (cols 0 for a vector). */
void             assay_train_model_param_shape (AssayTrainModel *self,
                                                guint            i,
                                                int             *rows,
                                                int             *cols);

/* One forward and backward pass over T tokens ids packed as n_seqs sequences (seq_offsets:
 * n_seqs + 1 ascending offsets; positions restart at 0 in each). Token t is scored on
 * targets[t] (the next token, or < 0: not scored) with weight weights[t] (NULL: 1). The
 * gradients of the summed weighted loss are added to the parameters' gradients; *loss gets the
 * sum. logprobs (optional, T floats) gets log p(targets[t]) (0 where not scored). */
gboolean         assay_train_model_step (AssayTrainModel *self,
                                         const int       *ids,
                                         int              T,
                                         const int       *seq_offsets,
                                         int              n_seqs,
                                         const int       *targets,
                                         const float     *weights,
                                         double          *loss,
                                         float           *logprobs,
                                         GError         **error);

/* The forward pass alone: logprobs (T floats) gets log p(targets[t]) (0 where targets[t] < 0);
 * no gradient changes. */
gboolean         assay_train_model_score (AssayTrainModel *self,
                                          const int       *ids,
                                          int              T,
                                          const int       *seq_offsets,
                                          int              n_seqs,
                                          const int       *targets,
                                          float           *logprobs,
                                          GError         **error);

/* Sets the parameters (with LoRA: the adapters) from a safetensors file holding them under their
 * names (adapters also under PEFT's "base_model.model." prefix), float32 of the same shapes. */
gboolean         assay_train_model_load (AssayTrainModel *self,
                                         const char      *path,
                                         GError         **error);

/* With LoRA: the adapters as PEFT writes them, dir/adapter_model.safetensors
 * (base_model.model.<module>.lora_A.weight / lora_B.weight) and dir/adapter_config.json, with the
 * tokenizer files. */
gboolean         assay_train_model_save_adapter (AssayTrainModel *self,
                                                 const char      *dir,
                                                 GError         **error);

/* Writes the weights (with LoRA: W + (alpha / rank) B A, merged) as a Hugging Face folder dir (created when missing): model.safetensors
 * (float32, or bfloat16), config.json with torch_dtype set accordingly, and the tokenizer and
 * generation files of the folder the model came from. Each file is written whole or not at
 * all. */
gboolean         assay_train_model_save (AssayTrainModel *self,
                                         const char      *dir,
                                         gboolean         bf16,
                                         GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTrainModel, assay_train_model_free)

G_END_DECLS
