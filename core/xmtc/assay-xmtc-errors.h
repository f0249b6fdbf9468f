/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-errors.h: likely label errors of a corpus by confident learning (assay-confident.h).
 *
 * Out-of-fold probabilities: the documents (training and test) are dealt into `folds` folds at
 * random; for each fold a one-vs-rest linear SVM per label is trained on the other folds' tf-idf
 * rows (or stored sparse features) and gives the fold's decision values; Platt scaling per label,
 * fitted on all out-of-fold values, turns them into probabilities. A corpus where every document
 * has one label is one K-class problem (the labels' probabilities normalised to sum to 1); a
 * multi-label corpus is a two-class problem per label ("has it" or not), for labels given to at
 * least min_documents documents.
 *
 * Each error found is a (document, label) assignment: "given" TRUE, the document carries a label
 * it probably should not (with the likeliest other label as "suggested" in a one-label corpus);
 * FALSE, it lacks one it probably should carry (in a multi-label corpus only where the label's
 * probability is on the other side of 1/2). Errors are ranked by score, the probability of
 * the assignment as given (lowest first; with the normalised margin ranking, that margin). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-confident.h"
#include "assay-store.h"
#include "assay-svm.h"
#include "assay-tfidf.h"

G_BEGIN_DECLS

/* Where the out-of-fold probabilities come from */
typedef enum
{
  ASSAY_ERROR_MODEL_SVM,        /* the SVM on tf-idf (or stored features), Platt-scaled */
  ASSAY_ERROR_MODEL_EMBEDDINGS, /* logistic regression on an embedding set's vectors */
  ASSAY_ERROR_MODEL_MEAN,       /* the mean of both */
} AssayErrorModel;

typedef struct
{
  guint             folds;          /* 5 */
  AssayClFilter     filter;         /* prune by noise rate */
  AssayClRank       rank;           /* self-confidence */
  guint             min_documents;  /* multi-label: labels given to fewer are not checked (1) */
  AssaySvmOptions   svm;
  AssayTfidfOptions tfidf;
  guint64           seed;
  int               threads;        /* 0: every core */
  gboolean          include_dismissed; /* also the errors the reviewer dismissed (assay-dismissals.h) */
  gboolean          baseline;       /* also "baseline": as many assignments, the ones with the
                                     * lowest probability as given (no confident learning) */
  guint             neighbours;     /* evidence: each error's nearest documents by cosine of the
                                     * features (3) ... */
  guint             evidence_limit; /* ... for the first this many errors as ranked (500) */
  gint64            embedding_set;  /* the embedding set of the dataset's items (0: none) */
  AssayErrorModel   model;          /* SVM; EMBEDDINGS and MEAN need embedding_set */
  double            logreg_C;       /* logistic regression's C (1) */
} AssayXmtcErrorOptions;

typedef void (*AssayXmtcErrorProgress) (double fraction, const char *message, gpointer data);

void        assay_xmtc_error_options_init (AssayXmtcErrorOptions *options);

/* {"dataset", "documents", "labels", "one_label": bool, "folds", "checked_labels", "dismissed" (left
 *  out, dismissed before),
 *  "model": "svm" | "embeddings" | "mean", "embedding_set" (with embeddings),
 *  "errors": [{"document": id as imported (or the row id when it had none), "label": name,
 *              "given": bool, "suggested": name (one-label corpora), "score": double,
 *              "neighbours": [{"document", "labels": [names], "similarity"}] (the first
 *              evidence_limit errors)}, ...],
 *  "seconds"}. */
JsonObject *assay_xmtc_label_errors (AssayStore                  *store,
                                     gint64                       dataset_id,
                                     const AssayXmtcErrorOptions *options,
                                     AssayXmtcErrorProgress       progress,
                                     gpointer                     progress_data,
                                     GCancellable                *cancellable,
                                     GError                     **error);

/* The out-of-fold probabilities (n x L) of the options' model for n items with features x (the
 * SVM's) whose ids in the embedding set are item_ids (documents' or records' row ids), item i's
 * labels being labels[offsets[i] .. offsets[i + 1]); one_label: each row normalised to sum to 1.
 * Refused, naming them, when the set is another dataset's, when items lack a vector in it or
 * when a vector is not finite. NULL with error. */
double     *assay_label_error_probabilities (AssayStore                  *store,
                                             gint64                       dataset,
                                             AssayCsr                    *x,
                                             const gint64                *item_ids,
                                             const gsize                 *offsets,
                                             const guint                 *labels,
                                             guint                        n,
                                             guint                        L,
                                             gboolean                     one_label,
                                             const AssayXmtcErrorOptions *options,
                                             AssayXmtcErrorProgress       progress,
                                             gpointer                     progress_data,
                                             GCancellable                *cancellable,
                                             GError                     **error);
/* Evidence: for each of the first options->evidence_limit of n errors (rows: their rows of x, in
 * rank order), its options->neighbours nearest other rows of x by cosine (over the columns found
 * in fewer than half the rows: common words say nothing of a label), each made an object by
 * entry; an array per error (fewer than n when limited; none without neighbours). */
GPtrArray  *assay_label_error_neighbours (AssayCsr                    *x,
                                          const guint                 *rows,
                                          guint                        n,
                                          const AssayXmtcErrorOptions *options,
                                          JsonObject *(*entry) (guint row, double similarity, gpointer data),
                                          gpointer                     data);
/* "svm", "embeddings", "mean"; parsing FALSE for anything else */
const char *assay_error_model_name  (AssayErrorModel model);
gboolean    assay_error_model_parse (const char *name, AssayErrorModel *model);

/* A document by its id as imported (or its row id): its title, text and label names. */
gboolean    assay_xmtc_document_get (AssayStore  *store,
                                     gint64       dataset_id,
                                     const char  *document,
                                     char       **title,
                                     char       **text,
                                     GStrv       *labels,
                                     GError     **error);
/* Corrects one error as one undoable edit: a label given in error is taken away (and, in a
 * one-label corpus, the suggested one given); a missing label is given. The labels' document
 * counts follow. error_entry: one element of "errors". */
gboolean    assay_xmtc_correct_label (AssayStore  *store,
                                      gint64       dataset_id,
                                      JsonObject  *error_entry,
                                      GError     **error);

G_END_DECLS
