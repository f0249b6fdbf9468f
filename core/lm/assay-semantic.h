/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-semantic.h: what stored embeddings are for (assay-embed-set.h): records ranked by
 * similarity to a query, near-duplicate groups by cosine, and GenCo's zero-shot labels
 * (DESIGN.md §6.2: label prompts, g(x, c) = cos(f(x), f(p_c)), ŷ = argmax). Each brings the
 * dataset's embeddings up to date first. */
#pragma once

#include "assay-embed-set.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_SEMANTIC_SEARCH,
  ASSAY_SEMANTIC_DEDUP,
  ASSAY_SEMANTIC_ZEROSHOT,
} AssaySemanticKind;

/* The label prompts of GenCo (Table 3.3); "{label}" stands for the label's name. */
#define ASSAY_ZEROSHOT_TEMPLATES { "Category: {label}.", "It is about {label}.", NULL }

typedef struct
{
  AssayEmbedSetOptions set;
  /* search */
  char   *query;
  char   *query_prefix; /* put before the query instead of set.prefix (E5's "query: "), or NULL */
  int     limit;        /* results (default 20) */
  /* dedup */
  double  threshold;    /* cosine at or above which two records are near-duplicates */
  int     neighbours;   /* candidates per record (default 10) */
  /* zero-shot */
  char  **labels;       /* label names */
  char  **templates;    /* NULL: ASSAY_ZEROSHOT_TEMPLATES */
  char   *truth;        /* where a record's true label is: "condition" or "extra.NAME", or NULL */
  gint64  augmentations; /* a dataset of generated elaborations (records whose extra.from is a
                          * record of this dataset), or 0: a record with K of them is
                          * represented by (1/K) Σ f(x ⊕ x_aug) (Eq 3.9), normalised */
} AssaySemanticOptions;

void      assay_semantic_options_clear (AssaySemanticOptions *options);

/* search: {"set", "query", "results": [{"id", "score"} ...]} best first.
 * dedup: as assay_gen_dedup's result ({"records", "pairs", "threshold", "seconds", "groups"})
 *        with "method": "embedding" and "set".
 * zero-shot: {"set", "labels", "templates", "records", "augmented" (records represented by their
 *        elaborations), "predictions": [{"id", "label", "score", "scores": [...]}], and with a truth: "evaluated", "accuracy", "macro_f1",
 *        "per_class": [{"label", "precision", "recall", "f1", "support"}], "truth_unknown"}. */
gboolean  assay_semantic_run (AssayStore                 *store,
                              AssaySemanticKind           kind,
                              const AssaySemanticOptions *options,
                              AssayBackend               *backend,
                              void (*progress) (double fraction, const char *message, gpointer data),
                              gpointer                    progress_data,
                              GCancellable               *cancellable,
                              JsonObject                **result,
                              GError                    **error);

/* Takes the options (copied); runs on the worker's workspace. */
AssayJob *assay_semantic_job_new (AssaySemanticKind kind, const AssaySemanticOptions *options);

G_END_DECLS
