/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embed-job.h: text embeddings of a JSONL file's lines ({id, text} -> {id, embedding}) on
 * the compute thread, whole or as one shard of many. */
#pragma once

#include "assay-encoder.h"
#include "assay-job.h"
#include "assay-shard.h"

G_BEGIN_DECLS

/* Texts per unit of work: progress, cancellation and shards go by these. */
#define ASSAY_EMBED_CHUNK 256

typedef struct
{
  char        *model;      /* model folder */
  char        *input;      /* JSONL: {"id", "text"} per line */
  char        *output;     /* JSONL: {"id", "embedding"} per line, in the input's order */
  char        *field;      /* the member holding the text (default "text") */
  char        *prefix;     /* put before every text, or NULL */
  char        *pooling;    /* "cls", "mean", "last" or NULL: as the model folder says */
  int          normalize;  /* -1: as the folder says; 0 or 1 */
  int          max_tokens; /* 0: the model's limit */
  AssayShard   shard;      /* n > 0: only this shard's chunks, into shard_out (output unused) */
  char        *shard_out;
} AssayEmbedFileOptions;

void      assay_embed_file_options_clear (AssayEmbedFileOptions *options);

/* The encoder options a run takes: the folder's, then the given overrides. */
gboolean  assay_embed_encoder_options (AssayLmModel        *model,
                                       const char          *pooling,
                                       int                  normalize,
                                       int                  max_tokens,
                                       const char          *prefix,
                                       AssayEncoderOptions *out,
                                       GError             **error);

/* The work itself (also used by benchmarks). Result: {"texts", "tokens", "dim", "pooling",
 * "normalize", "seconds", "texts_per_second", "backend", "output"}. */
gboolean  assay_embed_file (const AssayEmbedFileOptions *options,
                            AssayBackend                *backend,
                            void (*progress) (double fraction, const char *message, gpointer data),
                            gpointer                     progress_data,
                            GCancellable                *cancellable,
                            JsonObject                 **result,
                            GError                     **error);

/* Takes the options (copied). */
AssayJob *assay_embed_file_job_new (const AssayEmbedFileOptions *options);

G_END_DECLS
