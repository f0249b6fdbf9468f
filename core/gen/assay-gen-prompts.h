/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-prompts.h: the prompt templates of the methods Assay supports, filled from records,
 * exported as a batch of requests for any model server, and the answers read back by id.
 *
 * Built-in templates (the workspace may hold an edited version of each, gen_templates):
 *   genco-elaboration   GenCo: elaborate a short document (Alpaca instruction format)
 *   genco-conditional   GenCo: elaborate it as being about the pseudo label
 *   llminer-analysis    LLMiner: analyse one sentence of a passage
 *   llminer-question    LLMiner: propose a question the sentence answers, from the analysis
 *   llminer-answer      LLMiner: answer the question from the passage
 *   llminer-single      LLMiner: analysis, question and answer in one prompt
 *   judge               an LLM judge's 1-5 rating of a response, against the reference answer
 *                       and the context (the video's caption, else the record's source)
 *   judge-video         LLaVA-Hound-DPO's judge of a video response: caption, question,
 *                       ground-truth answer, prediction; "Score: N"
 * Placeholders: {document} {passage} {source}, {sentence} {highlight}, {label} {condition},
 * {question} {prompt}, {response} {text}, {rejected}, {answer}, {analysis}, {caption} (of the
 * record's video: the caption record with the same video in its dataset), {context} (that
 * caption, else the source).
 *
 * A request is {"id": "RECORD:TEMPLATE", "prompt": ...}. An answer is {"id", and one of
 * "answer", "text", "output", "response", "completion"}: a judge's answer sets the record's
 * model score "judge" (the first 1-5 after "Rating:" or "Score:", else the first digit 1-5); any other
 * becomes a new record in a dataset of answers, with the source, sentence and label of the
 * record it was asked about. */
#pragma once

#include "assay-gen-query.h"

G_BEGIN_DECLS

/* NULL-terminated names of the built-in templates */
const char *const *assay_gen_template_names (void);
const char        *assay_gen_template_builtin (const char *name);
/* The workspace's version, else the built-in one; NULL (with error) for an unknown name. */
char              *assay_gen_template_get (AssayStore *store, const char *name, GError **error);
gboolean           assay_gen_template_set (AssayStore *store, const char *name, const char *body,
                                           GError **error);
/* The template with the record's fields in place of its placeholders; store (may be NULL) is
 * where {caption} looks up the caption of the record's video. */
char              *assay_gen_render (AssayStore *store, const char *body, AssayGenRecord *record);
gboolean           assay_gen_export_requests (AssayStore *store, const AssayGenFilter *filter,
                                              const char *template_name, const char *path,
                                              guint *written, GError **error);
/* The first rating 1-5 after "Rating:" or "Score:", else the first lone digit 1-5; 0 if none. */
int                assay_gen_parse_rating (const char *text);
/* TRUE for a template whose answers are ratings of the record (the judge). */
gboolean           assay_gen_template_is_judge (const char *name);
/* Stores one answer to template_name asked about record r, inside the caller's transaction: a
 * judge's rating becomes the record's model score "judge" (*was_rating set; an answer without
 * a rating is an error); any other answer a new record of the template's kind in *dataset
 * (created as dataset_name from dataset_source when 0), with the source, sentence and label of
 * r, and params (the provenance of a generation; may be NULL). */
gboolean           assay_gen_store_answer (AssayStore     *store,
                                           const char     *template_name,
                                           AssayGenRecord *r,
                                           const char     *answer,
                                           const char     *ext_id,
                                           const char     *model,
                                           JsonObject     *params,
                                           const char     *dataset_name,
                                           const char     *dataset_source,
                                           gint64         *dataset,
                                           gboolean       *was_rating,
                                           GError        **error);
/* Returns the number of answers read; *rated of them were judge ratings; *dataset gets the
 * dataset of new records (0 if none). */
gboolean           assay_gen_import_answers (AssayStore *store, const char *path, guint *read,
                                             guint *rated, gint64 *dataset, GError **error);

G_END_DECLS
