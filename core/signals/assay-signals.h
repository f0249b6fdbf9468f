/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-signals.h: what Assay knows about each record of a generations dataset, as labelling
 * functions of the label model (assay-label-model.h), fitted, evaluated and stored.
 *
 * Signals, each abstaining where it has nothing to say (records in id order):
 *   answer          the record's correctness (from the data, or its extracted answer against
 *                   the reference): bad / good
 *   arithmetic      the calculations its steps (or text) write out, recomputed
 *                   (assay-arith-check.h): bad when one is wrong, good when all are right
 *   score:KEY       each numeric member of the records' model scores (a judge's rating "judge",
 *                   an ORM's score, a PRM's lowest step P(right) "NAME:min"; its ":last" and
 *                   ":prod" repeat it and are left out)
 *   consistency     the share of the other candidates for the same prompt that reach the same
 *                   extracted answer (prompts with three candidates or more)
 *   duplicate       bad for a record whose text is a near-duplicate of an earlier record's
 *                   (MinHash, estimated Jaccard of word 5-grams ≥ 0.8, as gen dedup), good for
 *                   the others whose text (the edit where there is one) has a word
 *   R (run N), min step credit (run N), self-certainty (run N)
 *                   each token-credit run over the dataset: the trace's reward, its lowest
 *                   step reward and the policy's mean self-certainty
 * A numeric signal with at most five distinct values has one category per value; otherwise its
 * values are cut at their quintiles (equal edges merged). The model learns what each category
 * says; no direction is assumed beyond the start (low bad, high good). A signal that never
 * votes, or votes one category only, is left out.
 *
 * The reviewer's decisions are the known labels: accepted good; rejected and edited bad (an
 * edit says the generation needed fixing). Pending records are what the model predicts.
 * Truth, for evaluation only and never a signal: a trace with a labelled first error
 * (ProcessBench's label) is good when it has none.
 *
 * A fit is a run (area gen, kind signals) that replaces the dataset's earlier ones; P(good) of
 * every record goes to gen_signals. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-label-model.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint      n;          /* records */
  gint64    *ids;        /* n */
  guint      m;          /* signals */
  GPtrArray *names;      /* m */
  GPtrArray *categories; /* m: GStrv, a label per category ("bad", "≤ 3.5", "4", ...) */
  guint     *n_cat;      /* m */
  gint8     *lean;       /* sum of n_cat */
  gint8     *votes;      /* n x m */
  gint8     *known;      /* n: the reviewer's decisions (-1 pending) */
  gint8     *truth;      /* n: -1 unknown */
  guint      n_known, n_truth;
  gboolean   duplicates_reused; /* the duplicate signal came from signal_cache (no MinHash ran) */
} AssaySignals;

AssaySignals *assay_signals_read (AssayStore *store, gint64 dataset, GError **error);
void          assay_signals_free (AssaySignals *signals);
/* The votes in the label model's form (pointing into signals) */
AssayLabelVotes assay_signals_votes (const AssaySignals *signals);

typedef struct
{
  gboolean use_decisions;  /* TRUE: the reviewer's decisions are known labels */
  gboolean matrix_completion; /* FALSE: Dawid-Skene EM; TRUE: Snorkel's matrix-completion model
                            * (the decisions then give the class balance, fix their records and
                            * choose between mirror images; they do not enter its fit) */
  gboolean automatic;      /* (the default) matrix completion while fewer than 20 records are
                            * decided, Dawid-Skene EM from then on; matrix_completion unread */
} AssaySignalsFitOptions;

void        assay_signals_fit_options_init (AssaySignalsFitOptions *options);
/* "auto", "dawid-skene" or "matrix-completion" */
const char *assay_signals_label_model_choice (const AssaySignalsFitOptions *options);
/* Sets the choice from its name; FALSE for another name */
gboolean    assay_signals_parse_label_model (const char *name, AssaySignalsFitOptions *options);

/* {"run" (when stored), "dataset", "label_model": "dawid-skene" | "matrix-completion" (the one
 *  fitted), "label_model_choice": "auto" | "dawid-skene" | "matrix-completion", "records",
 *  "decided", "prior", "iterations", "converged", "cached": ["duplicate"] when the texts had not
 *  changed since the duplicates were last found,
 *  "identified": FALSE when fewer than 20 records are decided and either fewer than three
 *  signals vote on 5% of the records or more, or the fit puts 97% of them or more in one class
 *  (the accuracies are then not determined by the data: P(good) orders the records, its values
 *  are not calibrated),
 *  "signals": [{"name", "coverage", "accuracy" (estimated), "categories": [{"label", "records",
 *               "p_good": P(good | this category alone)}],
 *               "measured": {"decided", "accuracy", "precision_good", "precision_bad"} (against
 *               the decisions, null members where undefined; null without decisions),
 *               "auroc" (against the truth, the signal alone; when truth is known)}],
 *  "dependent": [[name, name], ...],
 *  "evaluation": {"records" (truth known, not decided), "auroc", "brier" (mean squared error of
 *                 P(good)), "majority_auroc",
 *                 "best_signal", "best_signal_auroc"} (when truth is known)} */
/* options NULL: the defaults, with the label model of the dataset's current fit */
JsonObject *assay_signals_fit (AssayStore                   *store,
                               gint64                        dataset,
                               const AssaySignalsFitOptions *options,
                               GCancellable                 *cancellable,
                               GError                      **error);

/* P(good) of a record under its dataset's current fit; NaN when it has none */
double      assay_signals_record_p_good (AssayStore *store, gint64 record);
/* The dataset's current signals run (0: none) */
gint64      assay_signals_current_run (AssayStore *store, gint64 dataset);
/* {"run", "dataset", ...the fit's metrics, "ranked": [{"id", "p_good", "status"}] ordered by
 *  P(good), lowest first} */
JsonObject *assay_signals_show (AssayStore *store, gint64 dataset, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssaySignals, assay_signals_free)

G_END_DECLS
