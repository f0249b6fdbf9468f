/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-store.h: one connection to a workspace file (SQLite, WAL).
 *
 * The main thread holds one AssayStore made by assay_store_open(), which creates or migrates
 * the file. Each job thread opens its own with assay_store_open_secondary(). A store is used by
 * one thread at a time.
 *
 * Every human decision goes through the edit API (assay_store_edit_*): the change is committed at
 * once together with a journal entry holding the row images before and after, so that undo and
 * redo work across restarts, from the app and from assay-cli alike.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_STORE (assay_store_get_type ())
G_DECLARE_FINAL_TYPE (AssayStore, assay_store, ASSAY, STORE, GObject)

AssayStore *assay_store_open (const char *path, GError **error);
AssayStore *assay_store_open_secondary (const char *path, GError **error);
/* Opened for reading only, whatever the file's permissions: nothing is written to the file (no
 * job rows, no clean-up), so many processes on other machines may read one workspace (the
 * shards of a cluster job). */
AssayStore *assay_store_open_reader (const char *path, GError **error);

const char *assay_store_get_path (AssayStore *self);
int         assay_store_get_schema_version (AssayStore *self);
int         assay_store_latest_schema_version (void);
/* The backup written before the last migration of this file, or NULL. */
const char *assay_store_get_backup_path (AssayStore *self);
sqlite3    *assay_store_get_db (AssayStore *self);

/* Plain SQL helpers. prepare() returns a cached, reset statement owned by the store. */
gboolean      assay_store_exec (AssayStore *self, const char *sql, GError **error);
sqlite3_stmt *assay_store_prepare (AssayStore *self, const char *sql, GError **error);
gboolean      assay_store_step_done (AssayStore *self, sqlite3_stmt *stmt, GError **error);
gboolean      assay_store_bind_variant (AssayStore   *self,
                                        sqlite3_stmt *stmt,
                                        int           index,
                                        GVariant     *value,
                                        GError      **error);
gint64        assay_store_query_int (AssayStore *self, const char *sql, gint64 fallback);
gboolean      assay_store_set_error (AssayStore *self, GError **error, const char *context);
/* Adds every row of sql (its ? bound to params in order) to sum: each column's type, length and
 * bytes, so that NULL, '' and 0 differ. For hashes of what a run read (shard provenance). */
gboolean      assay_store_checksum_rows (AssayStore   *self,
                                         GChecksum    *sum,
                                         const char   *sql,
                                         const gint64 *params,
                                         guint         n_params,
                                         GError      **error);
/* The SHA-256 (hex) of checksum_rows over one query; NULL with an error. */
char         *assay_store_hash_rows (AssayStore   *self,
                                     const char   *sql,
                                     const gint64 *params,
                                     guint         n_params,
                                     GError      **error);
/* How long one statement waits for another connection's write lock (10 s by default). */
void          assay_store_set_busy_timeout (AssayStore *self, int milliseconds);

/* Opened for reading only (the file or its folder is not writable): every write fails with
 * ASSAY_ERROR_READ_ONLY; reading and exports work. */
gboolean      assay_store_is_read_only (AssayStore *self);

/* Transactions (nest through savepoints). */
gboolean assay_store_begin (AssayStore *self, GError **error);
gboolean assay_store_commit (AssayStore *self, GError **error);
void     assay_store_rollback (AssayStore *self);

/* Writing in chunks. checkpoint commits the store's transaction and begins a new one when at
 * least interval_ms have passed since the last, leaving other connections a moment to take the
 * write lock; it does nothing inside a caller's transaction (nested: tx depth > 1) or outside
 * any. */
gboolean assay_store_checkpoint (AssayStore *self, guint interval_ms, GError **error);
gboolean assay_store_in_transaction (AssayStore *self);

/* A condition on a dataset id column that leaves out datasets still being imported, for every
 * query that lists datasets or records across datasets, e.g.
 * "SELECT ... FROM gen_records WHERE " ASSAY_DATASET_VISIBLE ("dataset_id"). */
#define ASSAY_DATASET_VISIBLE(column) \
  "(" column " NOT IN (SELECT id FROM datasets WHERE importing IS NOT NULL))"

/* Bookkeeping shared by all areas. params / metrics are JSON objects (may be NULL). */
gint64   assay_store_add_dataset (AssayStore *self,
                                  const char *area,
                                  const char *name,
                                  const char *source,
                                  JsonObject *params,
                                  GError    **error);
/* A dataset hidden until published: for imports that commit in chunks. If the process dies
 * first, the next open of the workspace removes it. */
gint64   assay_store_add_hidden_dataset (AssayStore *self,
                                         const char *area,
                                         const char *name,
                                         const char *source,
                                         JsonObject *params,
                                         GError    **error);
gboolean assay_store_publish_dataset (AssayStore *self, gint64 dataset_id, GError **error);
/* Deletes a dataset with all that depends on it (runs, records, series, videos, ...). */
gboolean assay_store_drop_dataset (AssayStore *self, gint64 dataset_id, GError **error);
/* A complete dataset of any area, as lists show it */
typedef struct
{
  gint64 id;
  char  *area;
  char  *name;
  gint64 rows;    /* records, documents, series or videos, as the area keeps them */
  gint64 runs;
  char  *created;
} AssayDatasetInfo;

void       assay_dataset_info_free (AssayDatasetInfo *info);
/* AssayDatasetInfo of every complete dataset, oldest first; NULL with an error. */
GPtrArray *assay_store_list_datasets (AssayStore *self, GError **error);
/* Deletes a run with its results (scores, weights, token credit, ...). */
gboolean assay_store_delete_run (AssayStore *self, gint64 run_id, GError **error);
/* What a run id is, for messages (run ids are shared by all areas): "run 7 is a change-point
 * run (cord-relational) of dataset 2", or "there is no run 7". Free with g_free. */
char    *assay_store_describe_run (AssayStore *self, gint64 run_id);
gint64   assay_store_add_run (AssayStore *self,
                              gint64      dataset_id,
                              const char *area,
                              const char *kind,
                              JsonObject *params,
                              const char *backend,
                              GError    **error);
gboolean assay_store_finish_run (AssayStore *self,
                                 gint64      run_id,
                                 const char *status,
                                 double      seconds,
                                 JsonObject *metrics,
                                 GError    **error);
gint64   assay_store_add_job (AssayStore *self,
                              const char *kind,
                              const char *title,
                              const char *backend,
                              GError    **error);
/* Records the job's end. Another writer's lock does not lose it: a busy database is retried
 * for up to ten minutes (the job's own results are already committed by then). */
gboolean assay_store_finish_job (AssayStore   *self,
                                 gint64        job_id,
                                 const char   *status,
                                 const GError *job_error,
                                 GError      **error);
/* The area and name of a dataset; FALSE with ASSAY_ERROR_NOT_FOUND when it does not exist. */
gboolean assay_store_get_dataset (AssayStore *self,
                                  gint64      dataset_id,
                                  char      **area,
                                  char      **name,
                                  GError    **error);
/* Renames a dataset as an undoable edit. */
gboolean assay_store_rename_dataset (AssayStore *self,
                                     gint64      dataset_id,
                                     const char *name,
                                     GError    **error);

/* Undoable edits. begin/commit bracket one user action; the row-level helpers record row images
 * (tables must have an INTEGER PRIMARY KEY). Values are GVariants (NULL = SQL NULL; types b, i,
 * x, d, s, ay). Floating references are consumed. */
gboolean assay_store_edit_begin (AssayStore *self, const char *label, GError **error);
gboolean assay_store_edit_update (AssayStore *self,
                                  const char *table,
                                  gint64      row_id,
                                  const char *column,
                                  GVariant   *value,
                                  GError    **error);
gint64   assay_store_edit_insert (AssayStore        *self,
                                  const char        *table,
                                  const char *const *columns,
                                  GVariant *const   *values,
                                  guint              n_columns,
                                  GError           **error);
gboolean assay_store_edit_delete (AssayStore *self,
                                  const char *table,
                                  gint64      row_id,
                                  GError    **error);
gboolean assay_store_edit_commit (AssayStore *self, GError **error);
void     assay_store_edit_abort (AssayStore *self);

/* The session whose journal entries this connection makes, undoes and redoes (NULL, the
 * default: the entries without a session). */
void        assay_store_set_session (AssayStore *self, const char *session);
const char *assay_store_get_session (AssayStore *self);
gboolean assay_store_can_undo (AssayStore *self);
gboolean assay_store_can_redo (AssayStore *self);
/* Label of the action undo/redo would revert/reapply (free with g_free), or NULL. */
char    *assay_store_dup_undo_label (AssayStore *self);
char    *assay_store_dup_redo_label (AssayStore *self);
/* On success *label (optional) is the label of the action undone / redone. */
gboolean assay_store_undo (AssayStore *self, char **label, GError **error);
gboolean assay_store_redo (AssayStore *self, char **label, GError **error);
/* The row the last successful undo or redo of this connection changed first (in the action's
 * own order) and its table (owned by the store, valid until the next undo or redo); 0 and NULL
 * before any. Views use it to go back to what was undone. */
gint64   assay_store_get_replayed (AssayStore *self, const char **table);

/* Emitted (detail: the table name) after an edit, undo or redo changed rows of a table, and
 * "journal" after the undo/redo state changed. Areas that write outside the edit API may call
 * assay_store_emit_changed() to tell views. */
void assay_store_emit_changed (AssayStore *self, const char *table);

/* Notices commits by other connections (other processes, the app's own jobs) since the last
 * call (PRAGMA data_version) and tells views: changed::TABLE for every table of the workspace,
 * "journal", and "datasets" when the set of complete datasets changed. Cheap when nothing
 * changed; the app calls it from a timer. Returns TRUE when something changed. */
gboolean assay_store_check_external (AssayStore *self);

G_END_DECLS
