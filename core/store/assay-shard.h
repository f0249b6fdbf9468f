/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-shard.h: one shard of a run split N ways (a task of a cluster job array).
 *
 * A sharded verb reads the workspace without writing it (assay_store_open_reader) and writes
 * its share of the results into a shard file: a small SQLite file in the workspace format
 * holding only that shard's rows (foreign keys refer to the workspace's rows) and, in its meta
 * table under "shard", what makes the run: {"format": 1, "verb", "key", "k", "n", "units",
 * "begin", "end", "provenance": {...}, "summary": {...}}. key is the SHA-256 of the provenance
 * (verb, settings, model fingerprints, input hash, n), the same for every shard of one run.
 *
 * The file is written under a temporary name beside the target and renamed onto it only when
 * the shard is complete: a task killed half-way leaves no file that merge would accept.
 *
 * Shards split a verb's work units (batches, series, prompts) into N contiguous ranges, so the
 * merged rows come in the order one run writes them, and every unit is computed as in one run
 * (bit for bit). */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint k; /* 0-based */
  guint n; /* 0: not sharded */
} AssayShard;

/* "K/N" with 0 <= K < N <= 100000; errors say what is wrong with text. */
gboolean    assay_shard_parse (const char *text, AssayShard *shard, GError **error);
/* The units [*begin, *end) of shard k of n out of n_units (balanced, contiguous); all of them
 * when not sharded. */
void        assay_shard_range (const AssayShard *shard, guint n_units, guint *begin, guint *end);

/* A fingerprint of a model folder, cheap enough to take in every task: SHA-256 over each
 * regular file's name and size, the whole of its small files (under 16 MiB: config, tokenizer),
 * and of large ones (weights) the first and last MiB (a safetensors header with the offsets of
 * every tensor is in the first). */
char       *assay_shard_fingerprint_folder (const char *dir, GError **error);
/* SHA-256 of a file's bytes (an input file of a file verb). */
char       *assay_shard_hash_file (const char *path, GError **error);
/* The run key of a provenance object: SHA-256 of its JSON. */
char       *assay_shard_key (JsonObject *provenance);

/* ---- writing a shard ---------------------------------------------------------------------- */

typedef struct _AssayShardWriter AssayShardWriter;

/* Creates the temporary file beside path. provenance is copied; it must not hold k. */
AssayShardWriter *assay_shard_writer_new (const char       *path,
                                          const char       *verb,
                                          JsonObject       *provenance,
                                          const AssayShard *shard,
                                          guint             units,
                                          guint             begin,
                                          guint             end,
                                          GError          **error);
/* The shard's own store (foreign keys off, rollback journal, one transaction until finish). */
AssayStore       *assay_shard_writer_get_store (AssayShardWriter *self);
/* Commits the rows with the meta row (summary copied), closes and renames onto the target. */
gboolean          assay_shard_writer_finish (AssayShardWriter *self,
                                             JsonObject       *summary,
                                             GError          **error);
/* finish, then the task's result: a copy of summary with "shard_out", "k" and "n"; NULL on failure. */
JsonObject       *assay_shard_writer_finish_result (AssayShardWriter *self,
                                                    JsonObject       *summary,
                                                    GError          **error);
/* Removes the temporary file unless finished. */
void              assay_shard_writer_free (AssayShardWriter *self);

/* ---- reading shards ------------------------------------------------------------------------ */

typedef struct
{
  char       *path;
  sqlite3    *db; /* read-only */
  JsonObject *meta;
  char       *verb;
  char       *key;
  guint       k, n, units, begin, end;
  JsonObject *provenance; /* owned by meta */
  JsonObject *summary;    /* owned by meta; may be NULL */
} AssayShardFile;

/* Errors name the file: not a shard, unfinished, of a newer format. */
AssayShardFile *assay_shard_file_open (const char *path, GError **error);
void            assay_shard_file_free (AssayShardFile *self);

/* Checks that the shard holds as many rows in table as its summary's member says (rows lost or
 * added after it was written are refused, naming the file). */
gboolean        assay_shard_check_count (AssayShardFile *shard,
                                         const char     *table,
                                         const char     *member,
                                         GError        **error);

/* Copies the rows of select (run on the shard) into the workspace with insert, whose ?1 is
 * bound to target and ?2, ?3, ... to the selected columns in order. A constraint failure (a
 * row there already: shards that overlap) is an error naming the shard file and table. */
gboolean        assay_shard_copy_rows (AssayStore     *store,
                                       AssayShardFile *shard,
                                       const char     *table,
                                       const char     *select,
                                       const char     *insert,
                                       gint64          target,
                                       GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayShardWriter, assay_shard_writer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayShardFile, assay_shard_file_free)

G_END_DECLS
