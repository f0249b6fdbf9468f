/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-errors.h: generated records whose text probably does not fit their label (the
 * condition of a label-conditioned rewrite, an augmentation, a zero-shot label): confident
 * learning (assay-confident.h) over out-of-fold probabilities of a one-vs-rest linear SVM on the
 * texts' tf-idf (assay-oof.h), one label per record, the probabilities of a record normalised to
 * sum to 1. The text is the reviewer's edit where there is one. Records without a condition are
 * left out, and so are labels held by fewer than two records (nothing to learn them from).
 *
 * Every record checked also gets the model score "label_fit": the out-of-fold probability of its
 * own label, which the label model ("signals fit") weighs like any other signal. */
#pragma once

#include "assay-job.h"
#include "assay-xmtc-errors.h"

G_BEGIN_DECLS

/* options: the same knobs as xmtc errors (min_documents is not used). Result:
 * {"dataset", "records", "labels", "folds", "found", "dismissed" (left out: dismissed before, the
 *  item being the record's id),
 *  "errors": [{"record": id, "ext_id" (when imported with one), "label", "suggested", "score",
 *              "neighbours": [{"record", "label", "similarity"}] (nearest by tf-idf cosine),
 *              "keywords": {"given": [words], "suggested": [words]} (the words of each label that
 *              weigh most in the text under a one-vs-rest SVM on every record); both for the first
 *              options->evidence_limit errors}]
 *  ranked as the options say, "baseline" (with options->baseline: as many records, the lowest
 *  probability of the given label first), "seconds"} */
JsonObject *assay_gen_label_errors (AssayStore                  *store,
                                    gint64                       dataset,
                                    const AssayXmtcErrorOptions *options,
                                    AssayXmtcErrorProgress       progress,
                                    gpointer                     progress_data,
                                    GCancellable                *cancellable,
                                    GError                     **error);

/* Corrects one error as one undoable edit: the record's label becomes the suggested one.
 * error_entry: one element of "errors". */
gboolean    assay_gen_correct_label (AssayStore *store, JsonObject *error_entry, GError **error);

/* On the worker; the result is the function's object */
AssayJob   *assay_gen_errors_job_new (gint64 dataset, const AssayXmtcErrorOptions *options);

G_END_DECLS
