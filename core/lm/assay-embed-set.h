/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embed-set.h: the stored embeddings of a dataset's records (generations) or documents
 * (labels) under one encoder (a model folder and its settings): made once on the compute
 * thread, kept in the workspace, brought up to date when records are added or edited, and read
 * back for near-duplicates, semantic search, zero-shot labels and dense label retrieval. */
#pragma once

#include "assay-embeddings.h"
#include "assay-encoder.h"
#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  char    *model;      /* model folder */
  gint64   dataset;    /* a generations or labels dataset */
  char    *field;      /* generations: "text" (the reviewed text: the edit when there is one) or
                        * "prompt"; labels: "text" (every document's title and text) or "test"
                        * (the test split's) */
  char    *prefix;     /* put before every text, or NULL */
  char    *pooling;    /* "cls", "mean", "last" or NULL: as the model folder says */
  int      normalize;  /* -1: as the folder says; 0 or 1 */
  int      max_tokens; /* 0: the model's limit */
  gboolean f16;        /* store float16 (half the space) rather than float32 */
} AssayEmbedSetOptions;

void      assay_embed_set_options_clear (AssayEmbedSetOptions *options);

/* Embeds the dataset's records that have no vector in the set yet or whose text changed since,
 * committing every chunk of ASSAY_EMBED_CHUNK (a run stopped half-way keeps what it did and the
 * next run goes on from there), and drops vectors of records no longer in the dataset. Result:
 * {"set", "dataset", "model", "records", "embedded", "reused", "without_text", "dim", "dtype",
 *  "pooling", "normalize", "seconds", "backend"}. */
gboolean  assay_embed_set_update (AssayStore                 *store,
                                  const AssayEmbedSetOptions *options,
                                  AssayBackend               *backend,
                                  void (*progress) (double fraction, const char *message, gpointer data),
                                  gpointer                    progress_data,
                                  GCancellable               *cancellable,
                                  JsonObject                **result,
                                  GError                    **error);
/* Texts (not stored) embedded as the set's records are: same model and settings, the prefix
 * replaced when given. out: n x the model's width. */
gboolean  assay_embed_texts (const AssayEmbedSetOptions *options,
                             const char                 *prefix,
                             AssayBackend               *backend,
                             const char *const          *texts,
                             int                         n,
                             float                      *out,
                             GError                    **error);
/* Takes the options (copied); runs on the worker's workspace. */
AssayJob *assay_embed_set_job_new (const AssayEmbedSetOptions *options);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AssayEmbedSetOptions, assay_embed_set_options_clear)

G_END_DECLS
