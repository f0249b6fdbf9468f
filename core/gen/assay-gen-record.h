/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-record.h: one model-generated record of the workspace (a row of gen_records; see the
 * "generations" migration for what each field holds), and the reviewer's decisions on it, each
 * one undoable edit committed at once. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_GEN_PENDING,
  ASSAY_GEN_ACCEPTED,
  ASSAY_GEN_REJECTED,
  ASSAY_GEN_EDITED,
} AssayGenStatus;

typedef struct
{
  gint64         id;
  gint64         dataset;
  char          *ext_id;
  char          *kind;       /* elaboration, rewrite, qa, response, trace, pair */
  char          *source;
  char          *highlight;
  char          *condition;
  char          *prompt;
  char          *text;
  char          *rejected;
  char          *model;
  JsonObject    *params;
  char         **steps;      /* NULL-terminated, or NULL */
  int            step_label; /* -1: no error (or unknown when steps is NULL) */
  char          *answer;
  int            correct;    /* 1, 0, or -1 unknown */
  JsonObject    *scores;
  int            rating;     /* 1-5, 0 unrated */
  AssayGenStatus status;
  char          *edited;
  JsonObject    *extra;
} AssayGenRecord;

AssayGenRecord *assay_gen_record_load (AssayStore *store, gint64 id, GError **error);
void            assay_gen_record_free (AssayGenRecord *record);
/* The text that counts: the reviewer's edit if any, else the generation */
const char     *assay_gen_record_final_text (AssayGenRecord *record);

/* The steps column (a JSON array of strings) as a NULL-terminated list; NULL when text is NULL
 * or not an array (items that are not strings become ""). */
char          **assay_gen_steps_parse (const char *text);

const char     *assay_gen_status_name (AssayGenStatus status);
gboolean        assay_gen_parse_status (const char *name, AssayGenStatus *status);

/* Decisions (one undoable edit each; emits changed::gen_records) */
gboolean        assay_gen_set_status (AssayStore *store, gint64 id, AssayGenStatus status,
                                      GError **error);
gboolean        assay_gen_set_rating (AssayStore *store, gint64 id, int rating, GError **error);
/* Keeps the original text; status becomes edited. */
gboolean        assay_gen_set_edited (AssayStore *store, gint64 id, const char *text,
                                      GError **error);
/* One edit over many records (a bulk action): status for each id. */
gboolean        assay_gen_set_status_many (AssayStore *store, const gint64 *ids, guint n,
                                           AssayGenStatus status, GError **error);

/* Deletes records as one undoable edit, with what depends on them (their token credit in every
 * run, the reviewer's video pairs naming them), all of which undo restores. */
gboolean        assay_gen_delete (AssayStore *store, const gint64 *ids, guint n, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayGenRecord, assay_gen_record_free)

G_END_DECLS
