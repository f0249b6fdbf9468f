/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embeddings.h: the vectors of an embedding set as stored in the workspace (made by
 * assay-embed-set.h's encoder runs), read back for the uses of embeddings. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  set;
  int     dim;
  guint   n;
  gint64 *ids;     /* record (document) ids, ascending */
  float  *vectors; /* n x dim */
  gint64  dataset; /* the set's dataset */
} AssayEmbeddings;

/* The vectors of a set for the records still in its dataset (float16 widened to float32). */
AssayEmbeddings *assay_embeddings_load (AssayStore *store, gint64 set, GError **error);
void             assay_embeddings_free (AssayEmbeddings *embeddings);
/* The row of a record in e, or -1. */
int              assay_embeddings_find (const AssayEmbeddings *e, gint64 id);

/* The set of dataset whose vectors were made from field ("text", "prompt", "test") with the most
 * vectors (a half-made set loses to a whole one), the one brought up to date last among equals;
 * 0 when there is none. -1 with error on a database error. */
gint64           assay_embeddings_latest_set (AssayStore *store, gint64 dataset, const char *field, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayEmbeddings, assay_embeddings_free)

G_END_DECLS
