/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-sft.h: supervised fine-tuning (full, all weights) of a causal language model on the
 * records of a generations dataset that the reviewer kept, as TRL's SFTTrainer does with
 * prompt-completion data: each record is [BOS] prompt (or the prompt as a user turn through the
 * model's chat template) then its final text (the reviewer's edit where one exists) and the
 * model's end-of-sequence token; the loss is the mean cross-entropy over the completion's
 * tokens only. Records are packed into batches of at most batch_tokens tokens (each its own
 * sequence: no attention across records), shuffled each epoch; AdamW with the warm-up + cosine
 * schedule and gradient clipping; accumulate batches per optimiser step. The trained model is
 * written as a Hugging Face folder (model.safetensors, config.json and the tokenizer files) and
 * the run, with every step's metrics, is kept in the workspace (area "train", kind "sft"). */
#pragma once

#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  char    *model;         /* the folder to start from */
  gint64   dataset;       /* a generations dataset */
  int      status;        /* AssayGenStatus of the records to learn from, -1: any */
  char    *out;           /* the folder the trained model is written to */
  double   lr;            /* peak learning rate (2e-5) */
  int      epochs;        /* 3 */
  int      batch_tokens;  /* tokens per batch (4096) */
  int      accumulate;    /* batches per optimiser step (1) */
  int      max_len;       /* tokens per record at most (0: the model's context) */
  double   warmup;        /* share of the steps spent warming up (0) */
  double   weight_decay;  /* 0 */
  double   max_grad_norm; /* 1 */
  guint    seed;          /* 42 */
  gboolean chat;          /* prompts through the chat template */
  gboolean bf16;          /* write bfloat16 weights (default: as the model's files are) */
  gboolean force;         /* replace a model already in out */
} AssaySftOptions;

void      assay_sft_options_init  (AssaySftOptions *options);
void      assay_sft_options_clear (AssaySftOptions *options);

/* Trains and writes out; *result: {"run", "out", "examples", "skipped", "tokens", "steps":
 * [{"step", "epoch", "loss", "learning_rate", "grad_norm", "num_tokens"}], "seconds"}. */
gboolean  assay_sft_run (AssayStore            *store,
                         const AssaySftOptions *options,
                         AssayBackend          *backend,
                         void                 (*progress) (double fraction, const char *message, gpointer data),
                         gpointer               progress_data,
                         GCancellable          *cancellable,
                         JsonObject           **result,
                         GError               **error);

AssayJob *assay_sft_job_new (const AssaySftOptions *options);

G_END_DECLS
