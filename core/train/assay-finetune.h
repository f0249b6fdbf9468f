/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-finetune.h: fine-tuning (full, all weights) of a causal language model on the records of
 * a generations dataset that the reviewer kept, as TRL's trainers do it.
 *
 * SFT (SFTTrainer, prompt-completion data): each record is [BOS] prompt (or the prompt as a user
 * turn through the model's chat template) then its final text (the reviewer's edit where one
 * exists) and the model's end-of-sequence token; the loss is the mean cross-entropy over the
 * completion's tokens only.
 *
 * DPO (DPOTrainer): each pair record gives [BOS] prompt chosen and [BOS] prompt rejected (the
 * final text is the chosen side); log pi(y|x) is the sum of the response's token log-probs under
 * the policy, the reference's are computed once before training by the model being trained
 * (the policy starts as its own reference). With h = (log pi(c) - log ref(c)) - (log pi(r) -
 * log ref(r)) the loss is the pairs' mean of -log sigmoid(beta h) (sigmoid) or, for IPO, of
 * (h - 1 / (2 beta))^2 with the log-probs averaged over each response's tokens. The metrics are
 * TRL's: rewards/chosen = beta (log pi(c) - log ref(c)), rewards/rejected, rewards/accuracies,
 * rewards/margins, logps/chosen, logps/rejected (of the policy before the step).
 *
 * Records (pairs) are packed into batches of at most batch_tokens tokens (each sequence its own:
 * no attention across records), shuffled each epoch; AdamW with the warm-up + cosine schedule and
 * gradient clipping; accumulate batches per optimiser step. The trained model is written as a
 * Hugging Face folder (model.safetensors, config.json and the tokenizer files) and the run, with
 * every step's metrics, is kept in the workspace (area "train", kind "sft", "dpo" or "ipo").
 * With LoRA only the adapters train; out gets them in PEFT's format (adapter_model.safetensors,
 * adapter_config.json) and out/merged the model with them merged in.
 *
 * A run stopped (cancelled) leaves out/checkpoint: the trained tensors, AdamW's moments and the
 * steps so far; the run is kept as "cancelled". With save_every the checkpoint is also written
 * every so many steps, so that a killed process loses at most those. Resuming with the same settings takes the
 * same shuffles and packing, skips the steps done and goes on from there. */
#pragma once

#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_FINETUNE_SFT,
  ASSAY_FINETUNE_DPO,
  ASSAY_FINETUNE_IPO,
} AssayFinetuneObjective;

typedef struct
{
  AssayFinetuneObjective objective;
  char    *model;         /* the folder to start from */
  gint64   dataset;       /* a generations dataset */
  int      status;        /* AssayGenStatus of the records to learn from, -1: any */
  char    *out;           /* the folder the trained model is written to */
  double   lr;            /* peak learning rate (SFT 2e-5, DPO 1e-6 as TRL) */
  double   beta;          /* DPO / IPO (0.1) */
  int      epochs;        /* SFT 3, DPO 1 */
  int      batch_tokens;  /* tokens per batch (4096) */
  int      accumulate;    /* batches per optimiser step (1) */
  int      max_len;       /* tokens per sequence at most (0: the model's context) */
  double   warmup;        /* share of the steps spent warming up (0) */
  double   weight_decay;  /* 0 */
  double   max_grad_norm; /* 1 */
  guint    seed;          /* 42 */
  gboolean chat;          /* prompts through the chat template */
  gboolean bf16;          /* write bfloat16 weights (default: as the model's files are) */
  gboolean force;         /* replace a model already in out */
  int      lora_rank;     /* 0: full fine-tuning; else LoRA adapters of this rank */
  double   lora_alpha;    /* 0: twice the rank */
  double   lora_dropout;  /* 0.05 */
  char    *lora_targets;  /* comma-separated module names, NULL: every linear */
  gboolean resume;        /* go on from the checkpoint a stopped run left in out */
  int      save_every;    /* also write the checkpoint every this many steps (0: only on a stop) */
} AssayFinetuneOptions;

/* The defaults of an objective (TRL's where it has them). */
void        assay_finetune_options_init  (AssayFinetuneOptions  *options,
                                          AssayFinetuneObjective objective);
void        assay_finetune_options_clear (AssayFinetuneOptions *options);
const char *assay_finetune_objective_name (AssayFinetuneObjective objective);

/* Trains and writes out; *result: {"run", "out", "objective", "examples", "skipped", "tokens",
 * "steps": [{"step", "epoch", "loss", "learning_rate", "grad_norm", "num_tokens", and for DPO
 * "rewards/chosen", ...}], "seconds"}. */
/* on_step (optional) gets each step's metrics (borrowed) as the step ends, with progress_data. */
gboolean    assay_finetune_run (AssayStore                 *store,
                                const AssayFinetuneOptions *options,
                                AssayBackend               *backend,
                                void                      (*progress) (double fraction, const char *message, gpointer data),
                                void                      (*on_step) (JsonObject *step, gpointer data),
                                gpointer                    progress_data,
                                GCancellable               *cancellable,
                                JsonObject                **result,
                                GError                    **error);

/* The job's "partial" is the list of the steps so far ({"steps": [...], "total_steps"}). */
AssayJob   *assay_finetune_job_new (const AssayFinetuneOptions *options);

G_END_DECLS
