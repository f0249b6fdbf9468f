/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-generator.h: sampling continuations of prompts with a key/value cache. A prompt's
 * keys and values are computed once and shared by its N candidates; all candidates of a group of
 * prompts decode together, one row each per step (batched matrix products). */
#pragma once

#include <gio/gio.h>

#include "assay-lm-model.h"
#include "assay-lm-sampler.h"
#include "assay-shard.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_LM_FINISH_LENGTH, /* max_tokens reached */
  ASSAY_LM_FINISH_EOS,    /* an end-of-sequence token (not kept in the tokens) */
  ASSAY_LM_FINISH_STOP,   /* a stop string (the text ends before it) */
} AssayLmFinish;

const char *assay_lm_finish_name (AssayLmFinish finish); /* "length", "eos", "stop" */

typedef struct
{
  AssaySampling sampling;
  guint64       seed;
  int           n;          /* candidates per prompt */
  int           max_tokens; /* new tokens per candidate */
  char        **stop;       /* stop strings (NULL-terminated), or NULL */
  const int    *eos;        /* tokens that end a candidate */
  int           n_eos;
  int           max_batch;  /* candidates decoded at once (0: 64) */
  int           batch_tokens; /* prompt tokens per prefill (0: 4096) */
  AssayDType    kv_cache;   /* F32 (0, exact: the same numbers as teacher forcing) or BF16 (half
                             * the memory; log-probs within about 1e-2) */
  int           prompt_offset; /* the first prompt's index in the whole run (a shard's prompts):
                                * candidate c of prompt p draws from stream (offset + p) * n + c */
} AssayLmGenerateOptions;

typedef struct
{
  GArray       *ids;            /* int: the generated tokens */
  GArray       *logprobs;       /* float: log q(token), the distribution it was drawn from */
  GArray       *model_logprobs; /* float: log p(token) under the model at T = 1 */
  AssayLmFinish finish;
  char         *text;           /* the tokens' text, cut before a stop string */
} AssayLmCandidate;

void assay_lm_candidate_clear (AssayLmCandidate *candidate);

typedef struct _AssayLmGenerator AssayLmGenerator;

/* The model must be uploaded; its tokenizer is needed for stop strings and texts. */
AssayLmGenerator *assay_lm_generator_new (AssayLmModel *model);
void              assay_lm_generator_free (AssayLmGenerator *self);

/* n_prompts prompts (token ids, each at least one) get options->n candidates each: out has
 * n_prompts * n entries, prompt-major, zeroed by the caller. Candidate c of prompt p draws from
 * its own random stream (seed, p * n + c), so the tokens do not depend on batching. After each
 * step, step(tokens generated so far, candidates finished, data). Nothing is left in out after
 * a failure or cancellation. */
gboolean          assay_lm_generator_run (AssayLmGenerator             *self,
                                          const int *const             *prompts,
                                          const int                    *lens,
                                          int                           n_prompts,
                                          const AssayLmGenerateOptions *options,
                                          AssayLmCandidate             *out,
                                          void (*step) (guint64 tokens, int finished, gpointer data),
                                          gpointer                      data,
                                          GCancellable                 *cancellable,
                                          GError                      **error);

/* Bytes of cache (of kv_cache values) and activations for a group of prompts of
 * `prompt_tokens` tokens in all, with `candidates` candidates of up to max_tokens each. */
guint64           assay_lm_generator_memory (const AssayLmConfig *config,
                                             int                  prompt_tokens,
                                             int                  candidates,
                                             int                  max_tokens,
                                             AssayDType           kv_cache);

/* Whether a prompt of len tokens leaves room for max_tokens more in the model's context; else
 * an error saying so (callers prefix which prompt). */
gboolean          assay_lm_generator_fits (const AssayLmConfig *config,
                                           int                  len,
                                           int                  max_tokens,
                                           GError             **error);

/* The groups run() forms of these prompts: *n_groups + 1 prompt indices, group g being
 * [plan[g], plan[g + 1]). Free with g_free. A shard takes whole groups (and sets prompt_offset),
 * so its candidates are decoded exactly as in one run. */
int              *assay_lm_generator_plan (const int                    *lens,
                                           int                           n_prompts,
                                           const AssayLmGenerateOptions *options,
                                           int                          *n_groups);

/* The prompts [*begin, *end) of shard of a run over these prompts: whole groups of its plan
 * (*n_groups in all, the shard's [*g0, *g1)); sets o->prompt_offset to *begin. */
void              assay_lm_generator_shard (const int              *lens,
                                            int                     n_prompts,
                                            AssayLmGenerateOptions *options,
                                            const AssayShard       *shard,
                                            guint                  *begin,
                                            guint                  *end,
                                            guint                  *n_groups,
                                            guint                  *g0,
                                            guint                  *g1);

/* The most bytes any group of a run over these prompts takes (the groups run() would form). */
guint64           assay_lm_generator_peak_memory (const AssayLmConfig          *config,
                                                  const int                    *lens,
                                                  int                           n_prompts,
                                                  const AssayLmGenerateOptions *options);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmGenerator, assay_lm_generator_free)

G_END_DECLS
