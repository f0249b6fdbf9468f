/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-eval.h: what a credit run says about its traces (DESIGN.md §6.5).
 *
 * First errors: the threshold on step rewards is calibrated (best ProcessBench F1) on the even
 * half of the labelled traces in id order and judged on the odd half (on all of them when there
 * are fewer than 4); without labelled traces it is 0. Keys: threshold, threshold_source
 * ("calibrated" | "default"), calibration_traces, evaluated_traces, processbench_f1,
 * acc_erroneous, acc_correct (null without traces of that kind; processbench_f1 needs both).
 *
 * Re-ranking: the candidates of a question are the traces with the same prompt whose
 * correctness is known (from the data, or their extracted answer against the reference answer);
 * for N = 1, 2, 4, ... and the largest count, over the questions with at least N candidates and
 * their first N by id: accuracy of majority voting, best-of-N by R and voting weighted by
 * softmax(R), best-of-N by the policy's self-certainty (when the run computed it), and the share
 * with any correct candidate. Keys (when some question has two or more candidates): questions,
 * n, majority, best_of_n, weighted, best_of_n_certainty, any_correct (arrays over n).
 *
 * Pairs: pair records scored on both sides, and (correct, wrong) pairs drawn from candidates
 * (seed 0): pairs {n, mean_dpo_loss (beta 0.1), reward_accuracy (R_chosen > R_rejected)}. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

JsonObject *assay_trace_eval (AssayStore *store, gint64 run, GError **error);
/* Sets every trace's predicted first error of the run at threshold. */
gboolean    assay_trace_apply_threshold (AssayStore *store, gint64 run, double threshold,
                                         GError **error);

G_END_DECLS
