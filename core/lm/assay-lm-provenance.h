/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-provenance.h: what made a generated record, kept in its params: {"generator":
 * "assay", "model_dir", "model_config_sha256", "template", "chat", "temperature", "top_p",
 * "top_k", "min_p", "repetition_penalty", "max_tokens", "seed"}; the caller adds what is the
 * record's own (candidate, finish_reason, tokens). And the progress of a generation in words. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-lm-sampler.h"

G_BEGIN_DECLS

JsonObject *assay_lm_provenance_new (const char          *model_dir,
                                     const char          *template_name,
                                     const AssaySampling *sampling,
                                     int                  max_tokens,
                                     guint64              seed,
                                     gboolean             chat);
/* A copy (members copied) to add a record's own members to. */
JsonObject *assay_lm_provenance_copy (JsonObject *provenance);

/* The generator's step callback turned into a job's progress: finished of total candidates and
 * the tokens per second since t0. A run made of several generator runs sets done and before to
 * the candidates and tokens of the runs before this one. */
typedef struct
{
  void (*progress) (double fraction, const char *message, gpointer data);
  gpointer data;
  guint    total;
  gint64   t0;     /* g_get_monotonic_time () at the start */
  guint    done;   /* candidates finished before this generator run */
  guint64  before; /* tokens before this generator run */
} AssayLmProgress;

void        assay_lm_progress_step (guint64 tokens, int finished, gpointer progress);

G_END_DECLS
