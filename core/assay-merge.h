/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-merge.h: shards of a run (assay-shard.h) merged into the workspace.
 *
 * The shards must be of one run (same verb, provenance and N, no shard twice). Without partial,
 * every shard not merged before must be among them. The merge is one transaction and
 * idempotent: shards merged before (table shard_merges) are left out, so merging the same files
 * twice changes nothing, and the rest of a partial merge can follow later. Verbs whose result is
 * a file (lm score, lm generate) write output instead, in the order one run writes it. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean    partial; /* merge what is there; the result says what is missing */
  const char *output;  /* the file to write, for verbs whose result is a file */
} AssayMergeOptions;

/* Result: {"verb", "key", "n", "merged": [K...], "already": [K...], "missing": [K...],
 * "complete", "run" or "dataset" or "output"}. store may be NULL for file verbs. */
gboolean assay_merge (AssayStore              *store,
                      const char *const       *paths,
                      guint                    n_paths,
                      const AssayMergeOptions *options,
                      JsonObject             **result,
                      GError                 **error);
/* TRUE for the verbs that take --shard ("traces credit", ...); their names, comma-separated. */
gboolean assay_merge_verb_known (const char *verb);
char    *assay_merge_verbs (void);
/* How many words of argv name a verb that runs in shards: 1 ("embed"), 2 ("traces credit"), or
 * 0 when none does. */
guint    assay_merge_verb_words (const char *const *argv);
/* TRUE when the verb's result is a file rather than workspace rows. */
gboolean assay_merge_verb_writes_file (const char *verb);

G_END_DECLS
