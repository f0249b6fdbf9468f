/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-reward-model.h: reward models on the engine. An outcome reward model
 * (LlamaForSequenceClassification, Qwen2ForSequenceClassification, MistralFor...: the decoder
 * and score = Linear(hidden, labels, no bias)) is read at the last token of the conversation;
 * a process reward model (Qwen2ForProcessRewardModel, Qwen2.5-Math-PRM: score =
 * Linear(hidden, hidden) + bias, ReLU, Linear(hidden, 2) + bias) at each step separator, where
 * P(step right) = softmax(logits)[1].
 *
 * Inputs are rendered by the folder's chat template, as the models' cards do: an ORM sees the
 * conversation [user: prompt, assistant: response]; a PRM sees [system: "Please reason step by
 * step, and put your final answer within \boxed{}.", user: problem, assistant: the steps, each
 * followed by the separator "<extra_0>"]. */
#pragma once

#include "assay-backend.h"
#include "assay-lm-model.h"

G_BEGIN_DECLS

#define ASSAY_PRM_SEPARATOR "<extra_0>"
#define ASSAY_PRM_SYSTEM    "Please reason step by step, and put your final answer within \\boxed{}."

typedef struct _AssayRewardModel AssayRewardModel;

/* A folder whose config names a reward head; its weights go to the backend */
AssayRewardModel *assay_reward_model_open (const char *dir, AssayBackend *backend, GError **error);
void              assay_reward_model_free (AssayRewardModel *self);
AssayLmRewardHead assay_reward_model_head (AssayRewardModel *self);
int               assay_reward_model_labels (AssayRewardModel *self);
AssayLmModel     *assay_reward_model_lm (AssayRewardModel *self);

/* The rows of the head a caller needs: every position, the last one, or (a token id ≥ 0) the
 * positions holding that token */
#define ASSAY_REWARD_ROWS_ALL  (-1)
#define ASSAY_REWARD_ROWS_LAST (-2)

/* The head at the positions rows names of one sequence: len x labels logits, NaN at the others
 * (the head is an H x H layer a token for a PRM: only the rows read are computed); g_free */
double           *assay_reward_model_logits_ids (AssayRewardModel *self, const int *ids, int len, int rows,
                                                 GError **error);

/* An ORM's score of a response to a prompt: the head at the last token (labels values, out) */
gboolean          assay_reward_model_score (AssayRewardModel *self, const char *prompt, const char *response,
                                            double *out, GError **error);
/* A PRM's P(step right) for each of n steps (out: n values) */
gboolean          assay_reward_model_steps (AssayRewardModel *self, const char *problem,
                                            const char *const *steps, int n, double *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayRewardModel, assay_reward_model_free)

G_END_DECLS
