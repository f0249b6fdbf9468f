/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-import.h: generation records from JSONL (or a JSON array) into a new dataset, as one
 * transaction: a bad row fails the import naming the file and line (or array item).
 *
 * Built-in mappings (field of the row -> record):
 *   trl             prompt, chosen -> text, rejected (strings or conversational message lists;
 *                   without a prompt the shared leading messages of chosen are the prompt)
 *   llava-reasoner  question -> prompt, chosen, rejected, image (or video) -> source
 *   processbench    problem -> prompt, steps[] (-> text, joined), label -> step_label,
 *                   final_answer_correct -> correct, generator -> model, id
 *   llminer         passage -> source, sentence -> highlight, analysis (kept), question ->
 *                   prompt, answer -> text
 *   genco           doc_id/document_id, document/source -> source, label/condition ->
 *                   condition, text/generation/elaboration -> text
 *   custom          a field map {record field: row field}; remembered for files of the same
 *                   shape (their rows' sorted keys), so "auto" finds it next time.
 * auto picks one from the first row's keys. Fields no mapping consumes are kept in extra. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_GEN_MAP_AUTO,
  ASSAY_GEN_MAP_TRL,
  ASSAY_GEN_MAP_LLAVA_REASONER,
  ASSAY_GEN_MAP_PROCESSBENCH,
  ASSAY_GEN_MAP_LLMINER,
  ASSAY_GEN_MAP_GENCO,
  ASSAY_GEN_MAP_CUSTOM,
} AssayGenMapping;

typedef struct
{
  AssayGenMapping mapping;
  const char     *name;   /* of the dataset (default: the file's name) */
  JsonObject     *fields; /* custom: record field -> row field; kind may be a literal "=qa" */
  gboolean        keep_hidden; /* the caller publishes the dataset (assay_store_publish_dataset) */
} AssayGenImportOptions;

typedef struct
{
  gint64 dataset;
  guint  imported;
  guint  numbers_as_text;  /* numbers found where text belongs, stored as their exact text */
  AssayGenMapping mapping; /* the one used */
} AssayGenImportResult;

typedef void (*AssayGenProgress) (double fraction, const char *message, gpointer data);

void        assay_gen_import_options_init (AssayGenImportOptions *options);
gboolean    assay_gen_parse_mapping (const char *name, AssayGenMapping *mapping);
const char *assay_gen_mapping_name (AssayGenMapping mapping);
/* Parses "field=column,field=column" into a field map. */
JsonObject *assay_gen_parse_fields (const char *spec, GError **error);
gboolean    assay_gen_import (AssayStore                  *store,
                              const char                  *path,
                              const AssayGenImportOptions *options,
                              AssayGenImportResult        *result,
                              AssayGenProgress             progress,
                              gpointer                     progress_data,
                              GCancellable                *cancellable,
                              GError                     **error);

/* An import preview: the first rows of a JSONL file or JSON array (at most max_rows objects; lines
 * that are not objects are skipped) and the fields they use, in first-seen order. */
typedef struct
{
  GPtrArray *rows;  /* JsonObject */
  GPtrArray *keys;  /* char * */
  gboolean   array; /* a JSON array, not JSONL */
} AssayGenPreview;

AssayGenPreview   *assay_gen_preview (const char *path, guint max_rows, GError **error);
void               assay_gen_preview_free (AssayGenPreview *preview);
/* What "auto" does with a first row in this workspace: a field map remembered for rows of its
 * shape (CUSTOM, *fields set), else a built-in mapping that fits; when none fits, AUTO with *fields
 * a guessed map (prompt from instruction/question/input…, text from output/response/answer…), or
 * NULL when nothing could be guessed. *fields is NULL unless said. */
AssayGenMapping    assay_gen_guess (AssayStore *store, JsonObject *row, JsonObject **fields);
/* The record fields a custom map may fill (NULL-terminated) */
const char *const *assay_gen_record_fields (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayGenPreview, assay_gen_preview_free)

G_END_DECLS
