/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-llminer.h: LLMiner's mining of question-answer pairs from bare passages (thesis ch.5),
 * run with a local model: each passage is split into sentences; for each highlighted sentence the
 * model analyses it against the four criteria of the llminer-analysis template and decides; a
 * "No" (or no decision) ends that chain, which is stored as a record of kind "skipped" holding
 * the analysis; a "Yes" goes on to a question written from that analysis (llminer-question) and
 * an answer to that question from the passage (llminer-answer), stored as a "qa" record with the
 * analysis and the decision in extra and the run's provenance in params. Each group of passages
 * is stored in one transaction. Run as gen generate --template llminer. */
#pragma once

#include "assay-gen-generate.h"

G_BEGIN_DECLS

#define ASSAY_LLMINER_CHAIN "llminer"

/* "yes", "no" or "none": the last "Decision:" of an analysis. */
const char *assay_llminer_decision (const char *analysis);
/* The question of a generation: its first non-empty line, without a leading "Question:". */
char       *assay_llminer_question (const char *generated);

/* What answers the chain's prompts: n prompts in, n texts out (g_strdup'd into out) and the
 * tokens each took. */
typedef gboolean (*AssayLlminerGenerateFunc) (const char *const *prompts, guint n, char **out,
                                              guint *tokens, gpointer data, GError **error);

/* The chain with any generator (the model-free core; tests answer with their own). */
gboolean    assay_llminer_run_with (AssayStore                    *store,
                                    const AssayGenGenerateOptions *options,
                                    AssayLlminerGenerateFunc       generate,
                                    gpointer                       data,
                                    void (*progress) (double fraction, const char *message, gpointer data),
                                    gpointer                       progress_data,
                                    JsonObject                   **result,
                                    GError                       **error);

/* Result: {"dataset", "passages", "sentences", "records" (qa), "skipped", "tokens", "seconds",
 * "tokens_per_second", "backend", "model", "template"} */
gboolean    assay_llminer_run (AssayStore                    *store,
                               const AssayGenGenerateOptions *options,
                               AssayBackend                  *backend,
                               void (*progress) (double fraction, const char *message, gpointer data),
                               gpointer                       progress_data,
                               GCancellable                  *cancellable,
                               JsonObject                   **result,
                               GError                       **error);

G_END_DECLS
