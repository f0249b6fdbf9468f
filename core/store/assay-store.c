/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-store.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-schema.h"
#include "assay-store-private.h"

struct _AssayStore
{
  GObject     parent_instance;

  sqlite3    *db;
  char       *path;
  char       *backup_path;
  int         schema_version;
  GHashTable *statements; /* SQL text -> sqlite3_stmt */
  int         tx_depth;
  gint64      tx_began;     /* monotonic time the outermost transaction began */
  int         busy_ms;      /* how long a statement waits for another writer */
  gint64      busy_since;   /* when the present wait began */
  char       *session;      /* journal entries' session (NULL: none) */
  char       *replayed_table; /* the first row the last undo/redo changed, in action order */
  gint64      replayed_row;
  gboolean    read_only;    /* the file or its folder cannot be written: reading and exports only */
  gint64      data_version; /* PRAGMA data_version at the last check_external */
  char       *datasets_seen; /* ids of the complete datasets then */

  /* Edit in progress */
  gboolean    in_edit;
  gint64      edit_entry;
  guint       edit_changes;
  GPtrArray  *edit_tables;
};

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayStore, assay_store, G_TYPE_OBJECT)

static void
assay_store_finalize (GObject *object)
{
  AssayStore *self = ASSAY_STORE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_clear_pointer (&self->edit_tables, g_ptr_array_unref);
  g_free (self->path);
  g_free (self->backup_path);
  g_free (self->session);
  g_free (self->replayed_table);
  g_free (self->datasets_seen);
  G_OBJECT_CLASS (assay_store_parent_class)->finalize (object);
}

static void
assay_store_class_init (AssayStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = assay_store_finalize;

  /**
   * AssayStore::changed:
   * @table: the table whose rows changed, or "journal"
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
assay_store_init (AssayStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  self->edit_tables = g_ptr_array_new_with_free_func (g_free);
}

gboolean
assay_store_set_error (AssayStore *self, GError **error, const char *context)
{
  int code = sqlite3_errcode (self->db);

  g_set_error (error, ASSAY_ERROR,
               code == SQLITE_NOTADB ? ASSAY_ERROR_NOT_WORKSPACE : ASSAY_ERROR_DATABASE,
               "%s: %s (%s)", self->path, sqlite3_errmsg (self->db), context);
  return FALSE;
}

gboolean
assay_store_checksum_rows (AssayStore *self, GChecksum *sum, const char *sql, const gint64 *params,
                           guint n_params, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (self, sql, error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n_params; i++)
    sqlite3_bind_int64 (stmt, (int) i + 1, params[i]);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    for (int c = 0; c < sqlite3_column_count (stmt); c++)
      {
        gint64 head[2] = { sqlite3_column_type (stmt, c), 0 };
        const void *bytes;
        if (head[0] == SQLITE_INTEGER)
          {
            gint64 v = sqlite3_column_int64 (stmt, c);
            g_checksum_update (sum, (const guchar *) head, sizeof head);
            g_checksum_update (sum, (const guchar *) &v, sizeof v);
            continue;
          }
        bytes = head[0] == SQLITE_NULL ? NULL : sqlite3_column_blob (stmt, c);
        head[1] = head[0] == SQLITE_NULL ? 0 : sqlite3_column_bytes (stmt, c);
        g_checksum_update (sum, (const guchar *) head, sizeof head);
        if (bytes != NULL && head[1] > 0)
          g_checksum_update (sum, bytes, head[1]);
      }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (self, error, sql);
  return TRUE;
}

char *
assay_store_hash_rows (AssayStore *self, const char *sql, const gint64 *params, guint n_params,
                       GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  if (!assay_store_checksum_rows (self, sum, sql, params, n_params, error))
    return NULL;
  return g_strdup (g_checksum_get_string (sum));
}

/* SQLite's own busy timeout sleeps up to 100 ms between tries: against an import that commits
 * every 100 ms and begins again at once it may never find the lock free. Try every 0.5 ms. */
static int
busy_handler (void *data, int count)
{
  AssayStore *self = data;
  gint64      now = g_get_monotonic_time ();

  /* one statement at a time per connection (SQLITE_OPEN_FULLMUTEX): one wait at a time */
  if (count == 0)
    self->busy_since = now;
  if (now - self->busy_since >= (gint64) self->busy_ms * 1000)
    return 0;
  g_usleep (count < 200 ? 500 : 2000);
  return 1;
}

void
assay_store_set_busy_timeout (AssayStore *self, int milliseconds)
{
  g_return_if_fail (ASSAY_IS_STORE (self));
  self->busy_ms = milliseconds;
  sqlite3_busy_handler (self->db, busy_handler, self);
}

gboolean
assay_store_exec (AssayStore *self, const char *sql, GError **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_DATABASE, "%s: %s", self->path,
                   message != NULL ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
assay_store_prepare (AssayStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      assay_store_set_error (self, error, sql);
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

gboolean
assay_store_step_done (AssayStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (self, error, sqlite3_sql (stmt));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gint64
assay_store_query_int (AssayStore *self, const char *sql, gint64 fallback)
{
  sqlite3_stmt *stmt = assay_store_prepare (self, sql, NULL);
  gint64        value = fallback;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW
      && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return value;
}

gboolean
assay_store_bind_variant (AssayStore *self, sqlite3_stmt *stmt, int index, GVariant *value,
                          GError **error)
{
  int rc;

  if (value == NULL)
    rc = sqlite3_bind_null (stmt, index);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    rc = sqlite3_bind_int (stmt, index, g_variant_get_boolean (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    rc = sqlite3_bind_int (stmt, index, g_variant_get_int32 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    rc = sqlite3_bind_int64 (stmt, index, g_variant_get_int64 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    rc = sqlite3_bind_double (stmt, index, g_variant_get_double (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    rc = sqlite3_bind_text (stmt, index, g_variant_get_string (value, NULL), -1,
                            SQLITE_TRANSIENT);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize         len = 0;
      gconstpointer data = g_variant_get_fixed_array (value, &len, 1);
      rc = sqlite3_bind_blob (stmt, index, data, (int) len, SQLITE_TRANSIENT);
    }
  else
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "cannot store a value of type %s",
                   g_variant_get_type_string (value));
      return FALSE;
    }
  if (rc != SQLITE_OK)
    return assay_store_set_error (self, error, "bind");
  return TRUE;
}

/* ---- transactions ---------------------------------------------------------------------- */

gboolean
assay_store_is_read_only (AssayStore *self)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  return self->read_only;
}

gboolean
assay_store_begin (AssayStore *self, GError **error)
{
  g_autofree char *sql = NULL;

  if (self->read_only)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_READ_ONLY,
                   _("“%s” is open read-only: decisions, imports and runs need a workspace "
                     "Assay may write"), self->path);
      return FALSE;
    }
  if (self->tx_depth == 0)
    sql = g_strdup ("BEGIN IMMEDIATE");
  else
    sql = g_strdup_printf ("SAVEPOINT sp%d", self->tx_depth);
  if (!assay_store_exec (self, sql, error))
    return FALSE;
  if (self->tx_depth == 0)
    self->tx_began = g_get_monotonic_time ();
  self->tx_depth++;
  return TRUE;
}

gboolean
assay_store_in_transaction (AssayStore *self)
{
  return self->tx_depth > 0;
}

gboolean
assay_store_checkpoint (AssayStore *self, guint interval_ms, GError **error)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  if (self->tx_depth != 1 || g_get_monotonic_time () - self->tx_began < (gint64) interval_ms * 1000)
    return TRUE;
  if (!assay_store_commit (self, error))
    return FALSE;
  /* a moment with the lock free: a writer waiting in busy_handler tries every 0.5 ms */
  g_usleep (2000);
  return assay_store_begin (self, error);
}

gboolean
assay_store_commit (AssayStore *self, GError **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (self->tx_depth > 0, FALSE);
  if (self->tx_depth == 1)
    sql = g_strdup ("COMMIT");
  else
    sql = g_strdup_printf ("RELEASE sp%d", self->tx_depth - 1);
  if (!assay_store_exec (self, sql, error))
    return FALSE;
  self->tx_depth--;
  return TRUE;
}

void
assay_store_rollback (AssayStore *self)
{
  g_autofree char *sql = NULL;

  g_return_if_fail (self->tx_depth > 0);
  if (self->tx_depth == 1)
    sql = g_strdup ("ROLLBACK");
  else
    sql = g_strdup_printf ("ROLLBACK TO sp%d; RELEASE sp%d", self->tx_depth - 1,
                           self->tx_depth - 1);
  if (!assay_store_exec (self, sql, NULL) && self->tx_depth == 1)
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  self->tx_depth--;
}

/* ---- opening and migrating --------------------------------------------------------------- */

int
assay_store_latest_schema_version (void)
{
  guint                 n;
  const AssayMigration *m = assay_schema_migrations (&n);

  return m[n - 1].version;
}

static char *
pick_backup_path (const char *path, int version)
{
  char *candidate = g_strdup_printf ("%s.v%d.bak", path, version);

  /* a link counts as taken, dangling or not: VACUUM INTO would write through it */
  for (int i = 1; g_file_test (candidate, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK); i++)
    {
      g_free (candidate);
      candidate = g_strdup_printf ("%s.v%d.%d.bak", path, version, i);
    }
  return candidate;
}

static gboolean
migrate (AssayStore *self, int target, GError **error)
{
  guint                 n;
  const AssayMigration *migrations = assay_schema_migrations (&n);
  int                   current;
  g_autofree char      *pragma = NULL;

  if (!assay_store_begin (self, error))
    return FALSE;
  /* Read again inside the write lock: another process may have migrated meanwhile. */
  current = (int) assay_store_query_int (self, "PRAGMA user_version", 0);
  for (guint i = 0; i < n && migrations[i].version <= target; i++)
    {
      if (migrations[i].version <= current)
        continue;
      if (!assay_store_exec (self, migrations[i].sql, error))
        {
          g_prefix_error (error, "migration %d (%s): ", migrations[i].version,
                          migrations[i].name);
          assay_store_rollback (self);
          return FALSE;
        }
      current = migrations[i].version;
    }
  pragma = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %d",
                            ASSAY_APPLICATION_ID, current);
  if (!assay_store_exec (self, pragma, error) || !assay_store_commit (self, error))
    {
      if (self->tx_depth > 0)
        assay_store_rollback (self);
      return FALSE;
    }
  self->schema_version = current;
  return TRUE;
}

static gboolean
backup (AssayStore *self, int version, GError **error)
{
  g_autofree char *backup_path = pick_backup_path (self->path, version);
  sqlite3_stmt    *stmt;

  stmt = assay_store_prepare (self, "VACUUM INTO ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, backup_path, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (self, stmt, error))
    {
      g_prefix_error (error, _("Could not back up the workspace before migrating it: "));
      return FALSE;
    }
  g_free (self->backup_path);
  self->backup_path = g_steal_pointer (&backup_path);
  return TRUE;
}

/* Datasets whose import was cut off (the importing process is gone) are removed whole. */
static void
drop_abandoned_imports (AssayStore *self)
{
  g_autoptr (GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (
    self, "SELECT id, importing FROM datasets WHERE importing IS NOT NULL", NULL);

  if (stmt == NULL)
    return;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      pid_t  pid = (pid_t) sqlite3_column_int64 (stmt, 1);

      if (pid <= 0 || (kill (pid, 0) == -1 && errno == ESRCH))
        g_array_append_val (gone, id);
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < gone->len; i++)
    assay_store_drop_dataset (self, g_array_index (gone, gint64, i), NULL);
}

/* Jobs recorded as running whose process is gone were cut off (a crash, a kill): say so. */
static void
mark_interrupted_jobs (AssayStore *self)
{
  g_autoptr (GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (
    self, "SELECT id, pid FROM jobs WHERE status IN ('running', 'queued')", NULL);

  if (stmt == NULL)
    return;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      pid_t  pid = (pid_t) sqlite3_column_int64 (stmt, 1);

      if (pid <= 0 || (kill (pid, 0) == -1 && errno == ESRCH))
        g_array_append_val (gone, id);
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < gone->len; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) why = g_error_new_literal (ASSAY_ERROR, ASSAY_ERROR_FAILED,
                                                    _("The process running it ended"));
      assay_store_finish_job (self, g_array_index (gone, gint64, i), "interrupted", why, &error);
    }
}

/* Runs left "running" by a process that is gone (a training run killed half-way; it can be
 * resumed as a new run) are marked "interrupted". Runs from before their process was recorded
 * are left as they are: nothing says whether they still run. */
static void
mark_interrupted_runs (AssayStore *self)
{
  g_autoptr (GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (self, "SELECT id, pid FROM runs WHERE status = 'running' AND pid > 0",
                                            NULL);

  if (stmt == NULL)
    return;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      pid_t  pid = (pid_t) sqlite3_column_int64 (stmt, 1);

      if (kill (pid, 0) == -1 && errno == ESRCH)
        g_array_append_val (gone, id);
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < gone->len; i++)
    {
      stmt = assay_store_prepare (self, "UPDATE runs SET status = 'interrupted', finished = "
                                        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND status = 'running'",
                                  NULL);
      if (stmt == NULL)
        return;
      sqlite3_bind_int64 (stmt, 1, g_array_index (gone, gint64, i));
      assay_store_step_done (self, stmt, NULL);
    }
}

static AssayStore *
open_store (const char *path, gboolean primary, gboolean reader, int target, GError **error)
{
  g_autoptr (AssayStore) self = NULL;
  int    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
  int    version, app_id, latest = assay_store_latest_schema_version ();
  gint64 tables;
  g_autofree char *mode = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (ASSAY_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  if (primary)
    flags |= SQLITE_OPEN_CREATE;
  /* A workspace we may not write (a shared, write-protected file; a read-only folder, where the
   * write-ahead log cannot be made) is opened for reading: browsing and exports work. */
  if (reader && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("There is no workspace “%s”"), path);
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *dir = g_path_get_dirname (path);
      self->read_only = reader || g_access (path, W_OK) != 0 || g_access (dir, W_OK) != 0;
    }
  if (self->read_only)
    flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI;
  if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_DATABASE, _("Could not open “%s”: %s"), path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  if (self->read_only
      && sqlite3_exec (self->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
    {
      /* WAL reading needs a -shm file we cannot create: read the file as it stands (a workspace
       * closed cleanly has everything in it; nobody else can be writing it) */
      g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
      g_autofree char *uri = g_strdup_printf ("file:%s?immutable=1", escaped);
      sqlite3_close (self->db);
      self->db = NULL;
      if (sqlite3_open_v2 (uri, &self->db, flags, NULL) != SQLITE_OK)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_DATABASE, _("Could not open “%s”: %s"), path,
                       self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
          return NULL;
        }
    }
  sqlite3_extended_result_codes (self->db, 1);
  assay_store_set_busy_timeout (self, 10000);

  /* Reading the header tells a database from anything else. */
  if (sqlite3_exec (self->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_WORKSPACE,
                   _("“%s” is not an Assay workspace: %s"), path, sqlite3_errmsg (self->db));
      return NULL;
    }
  /* one statement, one snapshot: read apart, another process creating the workspace could
   * commit in between, and its tables would be seen with the version from before them */
  {
    sqlite3_stmt *stmt = assay_store_prepare (
      self,
      "SELECT (SELECT user_version FROM pragma_user_version), "
      "(SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_master)",
      error);
    if (stmt == NULL)
      return NULL;
    if (sqlite3_step (stmt) != SQLITE_ROW)
      {
        assay_store_set_error (self, error, "reading the workspace header");
        sqlite3_reset (stmt);
        return NULL;
      }
    version = sqlite3_column_int (stmt, 0);
    app_id = sqlite3_column_int (stmt, 1);
    tables = sqlite3_column_int64 (stmt, 2);
    sqlite3_reset (stmt);
  }
  if ((version == 0 && tables > 0) || (version > 0 && app_id != ASSAY_APPLICATION_ID))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_WORKSPACE,
                   _("“%s” is a SQLite database but not an Assay workspace"), path);
      return NULL;
    }
  if (version > latest)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION,
                   _("“%s” was written by a newer version of Assay (workspace format %d; this "
                     "version reads up to %d). Open it with a newer Assay."),
                   path, version, latest);
      return NULL;
    }

  self->schema_version = version;
  if (self->read_only)
    {
      if (version < latest)
        {
          if (reader)
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION,
                         _("“%s” is in an older workspace format (%d; this version needs %d): "
                           "open it once with this version of Assay to upgrade it"),
                         path, version, latest);
          else
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_READ_ONLY,
                         _("“%s” is read-only and in an older workspace format (%d; this version "
                           "needs %d): make it writable once so Assay can upgrade it"),
                         path, version, latest);
          return NULL;
        }
      if (sqlite3_exec (self->db, "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; "
                                  "PRAGMA temp_store = MEMORY; PRAGMA query_only = ON",
                        NULL, NULL, NULL) != SQLITE_OK)
        {
          assay_store_set_error (self, error, "pragmas");
          return NULL;
        }
      return g_steal_pointer (&self);
    }

  /* a 64 MiB page cache (allocated only as used): large imports write each page once instead of
   * spilling the cache into the WAL over and over */
  if (sqlite3_exec (self->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                              "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
                    NULL, NULL, NULL)
      != SQLITE_OK)
    {
      assay_store_set_error (self, error, "pragmas");
      return NULL;
    }
  {
    /* Switching a new file to WAL needs it alone for a moment; a second process creating or
     * opening the same new workspace makes SQLite answer "busy" at once, without waiting (the
     * busy handler is skipped where waiting could deadlock). Try again for up to 10 s. */
    sqlite3_stmt *stmt = assay_store_prepare (self, "PRAGMA journal_mode = WAL", error);
    gint64        give_up = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    if (stmt == NULL)
      return NULL;
    for (guint attempt = 0;; attempt++)
      {
        int rc = sqlite3_step (stmt);

        g_clear_pointer (&mode, g_free);
        if (rc == SQLITE_ROW)
          mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
        if (g_strcmp0 (mode, "wal") == 0 || g_get_monotonic_time () > give_up
            || (rc != SQLITE_ROW && (sqlite3_errcode (self->db) & 0xff) != SQLITE_BUSY
                && (sqlite3_errcode (self->db) & 0xff) != SQLITE_LOCKED))
          break;
        g_usleep ((1 + g_random_int_range (0, 4 + MIN (attempt, 20u) * 2)) * 1000);
      }
    if (g_strcmp0 (mode, "wal") != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_DATABASE,
                     _("“%s”: could not switch to write-ahead logging (mode %s)"), path,
                     mode != NULL ? mode : "unknown");
        return NULL;
      }
  }

  self->schema_version = version;
  if (!primary)
    {
      if (version != latest)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION,
                       _("“%s” has workspace format %d, expected %d"), path, version, latest);
          return NULL;
        }
      return g_steal_pointer (&self);
    }

  if (version < target)
    {
      if (version > 0 && !backup (self, version, error))
        return NULL;
      if (!migrate (self, target, error))
        return NULL;
    }
  mark_interrupted_jobs (self);
  mark_interrupted_runs (self);
  drop_abandoned_imports (self);
  return g_steal_pointer (&self);
}

AssayStore *
assay_store_open_at_version (const char *path, gboolean primary, int target, GError **error)
{
  return open_store (path, primary, FALSE, target, error);
}

AssayStore *
assay_store_open_reader (const char *path, GError **error)
{
  return open_store (path, FALSE, TRUE, assay_store_latest_schema_version (), error);
}

AssayStore *
assay_store_open (const char *path, GError **error)
{
  return assay_store_open_at_version (path, TRUE, assay_store_latest_schema_version (), error);
}

AssayStore *
assay_store_open_secondary (const char *path, GError **error)
{
  return assay_store_open_at_version (path, FALSE, assay_store_latest_schema_version (), error);
}

const char *
assay_store_get_path (AssayStore *self)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), NULL);
  return self->path;
}

int
assay_store_get_schema_version (AssayStore *self)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), 0);
  return self->schema_version;
}

const char *
assay_store_get_backup_path (AssayStore *self)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), NULL);
  return self->backup_path;
}

sqlite3 *
assay_store_get_db (AssayStore *self)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), NULL);
  return self->db;
}

void
assay_store_emit_changed (AssayStore *self, const char *table)
{
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (table), table);
}

/* ---- bookkeeping --------------------------------------------------------------------------- */

static void
bind_json (sqlite3_stmt *stmt, int index, JsonObject *object)
{
  if (object == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, assay_json_object_to_string (object, FALSE), -1, g_free);
}

static gint64
add_dataset (AssayStore *self, const char *area, const char *name, const char *source,
             JsonObject *params, gboolean hidden, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), 0);
  /* (an open at an older schema version, as the migration tests do, has no "importing") */
  stmt = assay_store_prepare (
    self,
    hidden ? "INSERT INTO datasets (area, name, source, params, importing) VALUES (?, ?, ?, ?, ?)"
           : "INSERT INTO datasets (area, name, source, params) VALUES (?, ?, ?, ?)",
    error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, source, -1, SQLITE_TRANSIENT);
  bind_json (stmt, 4, params);
  if (hidden)
    sqlite3_bind_int64 (stmt, 5, getpid ());
  if (!assay_store_step_done (self, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gint64
assay_store_add_dataset (AssayStore *self, const char *area, const char *name,
                         const char *source, JsonObject *params, GError **error)
{
  return add_dataset (self, area, name, source, params, FALSE, error);
}

gint64
assay_store_add_hidden_dataset (AssayStore *self, const char *area, const char *name,
                                const char *source, JsonObject *params, GError **error)
{
  return add_dataset (self, area, name, source, params, TRUE, error);
}

gboolean
assay_store_publish_dataset (AssayStore *self, gint64 dataset_id, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (self, "UPDATE datasets SET importing = NULL WHERE id = ?",
                                            error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  return assay_store_step_done (self, stmt, error);
}

void
assay_dataset_info_free (AssayDatasetInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->area);
  g_free (info->name);
  g_free (info->created);
  g_free (info);
}

GPtrArray *
assay_store_list_datasets (AssayStore *self, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    self,
    "SELECT d.id, d.area, d.name, CASE d.area "
    "WHEN 'gen' THEN (SELECT count(*) FROM gen_records x WHERE x.dataset_id = d.id) "
    "WHEN 'video' THEN (SELECT count(*) FROM videos x WHERE x.dataset_id = d.id) "
    "WHEN 'xmtc' THEN (SELECT count(*) FROM xmtc_documents x WHERE x.dataset_id = d.id) "
    "WHEN 'cpd' THEN (SELECT count(*) FROM cpd_series x WHERE x.dataset_id = d.id) ELSE 0 END, "
    "(SELECT count(*) FROM runs r WHERE r.dataset_id = d.id), d.created "
    "FROM datasets d WHERE d.importing IS NULL ORDER BY d.id",
    error);
  GPtrArray *out;
  int        rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_dataset_info_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      AssayDatasetInfo *d = g_new0 (AssayDatasetInfo, 1);
      d->id = sqlite3_column_int64 (stmt, 0);
      d->area = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      d->name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      d->rows = sqlite3_column_int64 (stmt, 3);
      d->runs = sqlite3_column_int64 (stmt, 4);
      d->created = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
      g_ptr_array_add (out, d);
    }
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (self, error, "datasets");
      sqlite3_reset (stmt);
      g_ptr_array_unref (out);
      return NULL;
    }
  sqlite3_reset (stmt);
  return out;
}

gboolean
assay_store_delete_run (AssayStore *self, gint64 run_id, GError **error)
{
  sqlite3_stmt *stmt;

  if (!assay_store_begin (self, error))
    return FALSE;
  stmt = assay_store_prepare (self, "DELETE FROM runs WHERE id = ?", error);
  if (stmt != NULL)
    sqlite3_bind_int64 (stmt, 1, run_id);
  if (stmt == NULL || !assay_store_step_done (self, stmt, error))
    {
      assay_store_rollback (self);
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      assay_store_rollback (self);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No run %lld"), (long long) run_id);
      return FALSE;
    }
  return assay_store_commit (self, error);
}

char *
assay_store_describe_run (AssayStore *self, gint64 run_id)
{
  sqlite3_stmt *stmt = assay_store_prepare (self, "SELECT area, kind, dataset_id FROM runs WHERE id = ?",
                                            NULL);
  char         *text = NULL;

  if (stmt == NULL)
    return g_strdup_printf (_("there is no run %lld"), (long long) run_id);
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *area = (const char *) sqlite3_column_text (stmt, 0);
      const char *what = g_strcmp0 (area, "xmtc") == 0     ? _("a label-model run")
                         : g_strcmp0 (area, "cpd") == 0    ? _("a change-point run")
                         : g_strcmp0 (area, "traces") == 0 ? _("a token-credit run")
                                                           : _("a run");
      text = g_strdup_printf (_("run %lld is %s (%s) of dataset %lld"), (long long) run_id, what,
                              (const char *) sqlite3_column_text (stmt, 1),
                              (long long) sqlite3_column_int64 (stmt, 2));
    }
  else
    text = g_strdup_printf (_("there is no run %lld"), (long long) run_id);
  sqlite3_reset (stmt);
  return text;
}

gboolean
assay_store_drop_dataset (AssayStore *self, gint64 dataset_id, GError **error)
{
  sqlite3_stmt *stmt;

  if (!assay_store_begin (self, error))
    return FALSE;
  stmt = assay_store_prepare (self, "DELETE FROM datasets WHERE id = ?", error);
  if (stmt != NULL)
    sqlite3_bind_int64 (stmt, 1, dataset_id);
  if (stmt == NULL || !assay_store_step_done (self, stmt, error))
    {
      assay_store_rollback (self);
      return FALSE;
    }
  return assay_store_commit (self, error);
}

gint64
assay_store_add_run (AssayStore *self, gint64 dataset_id, const char *area, const char *kind,
                     JsonObject *params, const char *backend, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), 0);
  stmt = assay_store_prepare (self,
                              "INSERT INTO runs (dataset_id, area, kind, params, backend, pid) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    return 0;
  if (dataset_id > 0)
    sqlite3_bind_int64 (stmt, 1, dataset_id);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_text (stmt, 2, area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_TRANSIENT);
  bind_json (stmt, 4, params);
  sqlite3_bind_text (stmt, 5, backend, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, (gint64) getpid ());
  if (!assay_store_step_done (self, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
assay_store_finish_run (AssayStore *self, gint64 run_id, const char *status, double seconds,
                        JsonObject *metrics, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  stmt = assay_store_prepare (self,
                              "UPDATE runs SET status = ?, seconds = ?, "
                              "metrics = coalesce(?, metrics), "
                              "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double (stmt, 2, seconds);
  bind_json (stmt, 3, metrics);
  sqlite3_bind_int64 (stmt, 4, run_id);
  return assay_store_step_done (self, stmt, error);
}

gint64
assay_store_add_job (AssayStore *self, const char *kind, const char *title, const char *backend,
                     GError **error)
{
  sqlite3_stmt *stmt;

  stmt = assay_store_prepare (
    self, "INSERT INTO jobs (kind, title, backend, pid) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, backend, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, getpid ());
  if (!assay_store_step_done (self, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
assay_store_finish_job (AssayStore *self, gint64 job_id, const char *status,
                        const GError *job_error, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        give_up = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;

  stmt = assay_store_prepare (self,
                              "UPDATE jobs SET status = ?, error = ?, "
                              "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                              error);
  if (stmt == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (GError) local = NULL;
      int code;

      sqlite3_bind_text (stmt, 1, status, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, job_error != NULL ? job_error->message : NULL, -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, job_id);
      if (assay_store_step_done (self, stmt, &local))
        return TRUE;
      code = sqlite3_errcode (self->db) & 0xff;
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || g_get_monotonic_time () > give_up)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
}

gboolean
assay_store_get_dataset (AssayStore *self, gint64 dataset_id, char **area, char **name,
                         GError **error)
{
  /* a dataset still being imported is not there yet */
  sqlite3_stmt *stmt = assay_store_prepare (self, "SELECT area, name FROM datasets WHERE id = ? "
                                                  "AND importing IS NULL",
                                            error);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  if (found)
    {
      if (area != NULL)
        *area = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      if (name != NULL)
        *name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (!found)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No dataset %lld"),
                 (long long) dataset_id);
  return found;
}

gboolean
assay_store_rename_dataset (AssayStore *self, gint64 dataset_id, const char *name,
                            GError **error)
{
  if (!assay_store_edit_begin (self, _("Rename dataset"), error))
    return FALSE;
  if (!assay_store_edit_update (self, "datasets", dataset_id, "name", g_variant_new_string (name),
                                error))
    {
      assay_store_edit_abort (self);
      return FALSE;
    }
  return assay_store_edit_commit (self, error);
}

/* ---- undo journal -------------------------------------------------------------------------- */

static gboolean
check_identifier (const char *name, GError **error)
{
  if (name == NULL || *name == '\0' || g_ascii_isdigit (*name))
    goto bad;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      goto bad;
  return TRUE;
bad:
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "invalid SQL identifier “%s”",
               name != NULL ? name : "(null)");
  return FALSE;
}

/* The whole row as a JSON object text, or NULL (no error) when the row does not exist. */
static char *
row_image (AssayStore *self, const char *table, gint64 row_id, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\" WHERE rowid = ?", table);
  g_autoptr (JsonObject) object = NULL;
  sqlite3_stmt *stmt = assay_store_prepare (self, sql, error);
  int           rc, n;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, row_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        assay_store_set_error (self, error, sql);
      sqlite3_reset (stmt);
      return NULL;
    }
  object = json_object_new ();
  n = sqlite3_column_count (stmt);
  for (int i = 0; i < n; i++)
    {
      const char *name = sqlite3_column_name (stmt, i);

      switch (sqlite3_column_type (stmt, i))
        {
        case SQLITE_INTEGER:
          json_object_set_int_member (object, name, sqlite3_column_int64 (stmt, i));
          break;
        case SQLITE_FLOAT:
          json_object_set_double_member (object, name, sqlite3_column_double (stmt, i));
          break;
        case SQLITE_TEXT:
          json_object_set_string_member (object, name,
                                         (const char *) sqlite3_column_text (stmt, i));
          break;
        case SQLITE_BLOB:
          {
            g_autoptr (JsonObject) blob = json_object_new ();
            g_autofree char *b64 = g_base64_encode (sqlite3_column_blob (stmt, i),
                                                    sqlite3_column_bytes (stmt, i));
            json_object_set_string_member (blob, "$blob", b64);
            json_object_set_object_member (object, name, g_steal_pointer (&blob));
          }
          break;
        default:
          json_object_set_null_member (object, name);
        }
    }
  sqlite3_reset (stmt);
  return assay_json_object_to_string (object, FALSE);
}

static gboolean
record_change (AssayStore *self, const char *table, gint64 row_id, const char *before,
               const char *after, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (self,
                                            "INSERT INTO journal_changes "
                                            "(journal_id, tbl, row_id, before, after) "
                                            "VALUES (?, ?, ?, ?, ?)",
                                            error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, self->edit_entry);
  sqlite3_bind_text (stmt, 2, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, row_id);
  sqlite3_bind_text (stmt, 4, before, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, after, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (self, stmt, error))
    return FALSE;
  self->edit_changes++;
  for (guint i = 0; i < self->edit_tables->len; i++)
    if (g_str_equal (g_ptr_array_index (self->edit_tables, i), table))
      return TRUE;
  g_ptr_array_add (self->edit_tables, g_strdup (table));
  return TRUE;
}

static void
emit_edit_tables (AssayStore *self)
{
  g_autoptr (GPtrArray) tables = g_steal_pointer (&self->edit_tables);

  self->edit_tables = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < tables->len; i++)
    assay_store_emit_changed (self, g_ptr_array_index (tables, i));
  assay_store_emit_changed (self, "journal");
}

gboolean
assay_store_edit_begin (AssayStore *self, const char *label, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  g_return_val_if_fail (label != NULL, FALSE);

  if (self->in_edit)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "an edit is already in progress");
      return FALSE;
    }
  if (!assay_store_begin (self, error))
    return FALSE;
  /* A new action makes what this session undid unreachable (other sessions keep theirs). */
  stmt = assay_store_prepare (self, "DELETE FROM journal WHERE undone = 1 AND session IS ?", error);
  if (stmt != NULL)
    sqlite3_bind_text (stmt, 1, self->session, -1, SQLITE_TRANSIENT);
  if (stmt == NULL || !assay_store_step_done (self, stmt, error)
      || (stmt = assay_store_prepare (self, "INSERT INTO journal (label, session) VALUES (?, ?)",
                                      error))
           == NULL)
    {
      assay_store_rollback (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, self->session, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (self, stmt, error))
    {
      assay_store_rollback (self);
      return FALSE;
    }
  self->edit_entry = sqlite3_last_insert_rowid (self->db);
  self->edit_changes = 0;
  g_ptr_array_set_size (self->edit_tables, 0);
  self->in_edit = TRUE;
  return TRUE;
}

gboolean
assay_store_edit_update (AssayStore *self, const char *table, gint64 row_id, const char *column,
                         GVariant *value, GError **error)
{
  g_autoptr (GVariant) owned = value != NULL ? g_variant_ref_sink (value) : NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *sql = NULL;
  g_autoptr (GError) local_error = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->in_edit, FALSE);
  if (!check_identifier (table, error) || !check_identifier (column, error))
    return FALSE;

  before = row_image (self, table, row_id, &local_error);
  if (before == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No row %lld in %s"),
                     (long long) row_id, table);
      return FALSE;
    }
  sql = g_strdup_printf ("UPDATE \"%s\" SET \"%s\" = ? WHERE rowid = ?", table, column);
  stmt = assay_store_prepare (self, sql, error);
  if (stmt == NULL || !assay_store_bind_variant (self, stmt, 1, owned, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, row_id);
  if (!assay_store_step_done (self, stmt, error))
    return FALSE;
  after = row_image (self, table, row_id, error);
  if (after == NULL)
    return FALSE;
  if (g_str_equal (before, after))
    return TRUE; /* nothing changed: nothing to undo */
  return record_change (self, table, row_id, before, after, error);
}

gint64
assay_store_edit_insert (AssayStore *self, const char *table, const char *const *columns,
                         GVariant *const *values, guint n_columns, GError **error)
{
  g_autoptr (GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr (GString) sql = g_string_new (NULL);
  g_autofree char *after = NULL;
  sqlite3_stmt    *stmt;
  gint64           row_id;

  g_return_val_if_fail (ASSAY_IS_STORE (self), 0);
  g_return_val_if_fail (self->in_edit, 0);

  for (guint i = 0; i < n_columns; i++)
    if (values[i] != NULL)
      g_ptr_array_add (owned, g_variant_ref_sink (values[i]));
  if (!check_identifier (table, error))
    return 0;
  g_string_append_printf (sql, "INSERT INTO \"%s\" (", table);
  for (guint i = 0; i < n_columns; i++)
    {
      if (!check_identifier (columns[i], error))
        return 0;
      g_string_append_printf (sql, "%s\"%s\"", i ? ", " : "", columns[i]);
    }
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < n_columns; i++)
    g_string_append (sql, i ? ", ?" : "?");
  g_string_append (sql, ")");
  if (n_columns == 0)
    g_string_printf (sql, "INSERT INTO \"%s\" DEFAULT VALUES", table);

  stmt = assay_store_prepare (self, sql->str, error);
  if (stmt == NULL)
    return 0;
  for (guint i = 0; i < n_columns; i++)
    if (!assay_store_bind_variant (self, stmt, (int) i + 1, values[i], error))
      return 0;
  if (!assay_store_step_done (self, stmt, error))
    return 0;
  row_id = sqlite3_last_insert_rowid (self->db);
  after = row_image (self, table, row_id, error);
  if (after == NULL || !record_change (self, table, row_id, NULL, after, error))
    return 0;
  return row_id;
}

gboolean
assay_store_edit_delete (AssayStore *self, const char *table, gint64 row_id, GError **error)
{
  g_autofree char *before = NULL;
  g_autofree char *sql = NULL;
  g_autoptr (GError) local_error = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->in_edit, FALSE);
  if (!check_identifier (table, error))
    return FALSE;
  before = row_image (self, table, row_id, &local_error);
  if (before == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No row %lld in %s"),
                     (long long) row_id, table);
      return FALSE;
    }
  sql = g_strdup_printf ("DELETE FROM \"%s\" WHERE rowid = ?", table);
  stmt = assay_store_prepare (self, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, row_id);
  if (!assay_store_step_done (self, stmt, error))
    return FALSE;
  return record_change (self, table, row_id, before, NULL, error);
}

gboolean
assay_store_edit_commit (AssayStore *self, GError **error)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->in_edit, FALSE);

  if (self->edit_changes == 0)
    {
      sqlite3_stmt *stmt = assay_store_prepare (self, "DELETE FROM journal WHERE id = ?", error);
      if (stmt == NULL)
        {
          assay_store_edit_abort (self);
          return FALSE;
        }
      sqlite3_bind_int64 (stmt, 1, self->edit_entry);
      if (!assay_store_step_done (self, stmt, error))
        {
          assay_store_edit_abort (self);
          return FALSE;
        }
    }
  if (!assay_store_commit (self, error))
    {
      assay_store_edit_abort (self);
      return FALSE;
    }
  self->in_edit = FALSE;
  emit_edit_tables (self);
  return TRUE;
}

void
assay_store_edit_abort (AssayStore *self)
{
  g_return_if_fail (ASSAY_IS_STORE (self));
  if (!self->in_edit)
    return;
  assay_store_rollback (self);
  self->in_edit = FALSE;
  g_ptr_array_set_size (self->edit_tables, 0);
}

static gboolean
bind_json_value (AssayStore *self, sqlite3_stmt *stmt, int index, JsonNode *node, GError **error)
{
  if (JSON_NODE_HOLDS_NULL (node))
    sqlite3_bind_null (stmt, index);
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      const char *b64 = assay_json_get_string (json_node_get_object (node), "$blob", NULL);
      gsize       len = 0;
      guchar     *data;

      if (b64 == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "corrupt journal row image");
          return FALSE;
        }
      data = g_base64_decode (b64, &len);
      sqlite3_bind_blob (stmt, index, data, (int) len, g_free);
    }
  else
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_INT64 || type == G_TYPE_BOOLEAN)
        sqlite3_bind_int64 (stmt, index, json_node_get_int (node));
      else if (type == G_TYPE_DOUBLE)
        sqlite3_bind_double (stmt, index, json_node_get_double (node));
      else
        sqlite3_bind_text (stmt, index, json_node_get_string (node), -1, SQLITE_TRANSIENT);
    }
  return TRUE;
}

/* Makes the row (table, row_id) equal to image (JSON text), or deletes it if image is NULL. */
static gboolean
apply_image (AssayStore *self, const char *table, gint64 row_id, const char *image,
             GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GString) sql = g_string_new (NULL);
  g_autoptr (GList) members = NULL;
  g_autofree char *current = NULL;
  sqlite3_stmt    *stmt;
  int              index = 1;

  if (!check_identifier (table, error))
    return FALSE;
  if (image == NULL)
    {
      g_string_printf (sql, "DELETE FROM \"%s\" WHERE rowid = ?", table);
      stmt = assay_store_prepare (self, sql->str, error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, row_id);
      return assay_store_step_done (self, stmt, error);
    }

  object = assay_json_object_from_string (image, error);
  if (object == NULL)
    return FALSE;
  members = json_object_get_members (object);
  current = row_image (self, table, row_id, error);
  if (current == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (current != NULL)
    {
      g_string_printf (sql, "UPDATE \"%s\" SET ", table);
      for (GList *l = members; l; l = l->next)
        {
          if (!check_identifier (l->data, error))
            return FALSE;
          g_string_append_printf (sql, "%s\"%s\" = ?", l == members ? "" : ", ",
                                  (const char *) l->data);
        }
      g_string_append (sql, " WHERE rowid = ?");
    }
  else
    {
      g_string_printf (sql, "INSERT INTO \"%s\" (rowid", table);
      for (GList *l = members; l; l = l->next)
        {
          if (!check_identifier (l->data, error))
            return FALSE;
          g_string_append_printf (sql, ", \"%s\"", (const char *) l->data);
        }
      g_string_append (sql, ") VALUES (?");
      for (GList *l = members; l; l = l->next)
        g_string_append (sql, ", ?");
      g_string_append (sql, ")");
    }
  stmt = assay_store_prepare (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  if (current == NULL)
    sqlite3_bind_int64 (stmt, index++, row_id);
  for (GList *l = members; l; l = l->next)
    if (!bind_json_value (self, stmt, index++, json_object_get_member (object, l->data), error))
      return FALSE;
  if (current != NULL)
    sqlite3_bind_int64 (stmt, index, row_id);
  return assay_store_step_done (self, stmt, error);
}

static gboolean
replay (AssayStore *self, gboolean undo, char **label_out, GError **error)
{
  const char *find = undo ? "SELECT id, label FROM journal WHERE undone = 0 AND session IS ? "
                            "ORDER BY id DESC LIMIT 1"
                          : "SELECT id, label FROM journal WHERE undone = 1 AND session IS ? "
                            "ORDER BY id ASC LIMIT 1";
  /* the image to restore, and the one the row must still have (else another session changed
   * it since, and restoring would throw its change away) */
  const char *changes = undo ? "SELECT tbl, row_id, before, after FROM journal_changes "
                               "WHERE journal_id = ? ORDER BY id DESC"
                             : "SELECT tbl, row_id, after, before FROM journal_changes "
                               "WHERE journal_id = ? ORDER BY id ASC";
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *label = NULL;
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) images = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  gint64        entry = 0;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  if (self->in_edit)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "an edit is in progress");
      return FALSE;
    }
  if (!assay_store_begin (self, error))
    return FALSE;
  stmt = assay_store_prepare (self, find, error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, self->session, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      entry = sqlite3_column_int64 (stmt, 0);
      label = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (entry == 0)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                           undo ? _("Nothing to undo") : _("Nothing to redo"));
      goto fail;
    }

  /* Read the changes first: applying them reuses cached statements. */
  stmt = assay_store_prepare (self, changes, error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, entry);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 row_id = sqlite3_column_int64 (stmt, 1);
      g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_array_append_val (rows, row_id);
      g_ptr_array_add (images, g_strdup ((const char *) sqlite3_column_text (stmt, 2)));
      g_ptr_array_add (expected, g_strdup ((const char *) sqlite3_column_text (stmt, 3)));
    }
  sqlite3_reset (stmt);

  for (guint i = 0; i < tables->len; i++)
    {
      g_autoptr (GError) local = NULL;
      const char      *table = g_ptr_array_index (tables, i);
      g_autofree char *now = NULL;

      char            *key = g_strdup_printf ("%s:%" G_GINT64_FORMAT, table,
                                                  g_array_index (rows, gint64, i));

      /* a row changed twice in the entry: only its first image in this order is the row's */
      if (!g_hash_table_add (checked, key))
        continue;
      if (!check_identifier (table, error))
        goto fail;
      now = row_image (self, table, g_array_index (rows, gint64, i), &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          goto fail;
        }
      if (g_strcmp0 (now, g_ptr_array_index (expected, i)) != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                       undo ? _("Cannot undo “%s”: it was changed since in another window or "
                                "process")
                            : _("Cannot redo “%s”: it was changed since in another window or "
                                "process"),
                       label);
          goto fail;
        }
    }
  for (guint i = 0; i < tables->len; i++)
    {
      if (!apply_image (self, g_ptr_array_index (tables, i), g_array_index (rows, gint64, i),
                        g_ptr_array_index (images, i), error))
        goto fail;
    }
  stmt = assay_store_prepare (self, "UPDATE journal SET undone = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, undo ? 1 : 0);
  sqlite3_bind_int64 (stmt, 2, entry);
  if (!assay_store_step_done (self, stmt, error) || !assay_store_commit (self, error))
    goto fail;

  /* undo read the changes newest first: the action's first change is the last one read */
  g_clear_pointer (&self->replayed_table, g_free);
  self->replayed_row = 0;
  if (tables->len > 0)
    {
      self->replayed_table = g_strdup (g_ptr_array_index (tables, undo ? tables->len - 1 : 0));
      self->replayed_row = g_array_index (rows, gint64, undo ? rows->len - 1 : 0);
    }
  for (guint i = 0; i < tables->len; i++)
    {
      const char *table = g_ptr_array_index (tables, i);
      gboolean    seen = FALSE;
      for (guint j = 0; j < i; j++)
        seen |= g_str_equal (table, g_ptr_array_index (tables, j));
      if (!seen)
        assay_store_emit_changed (self, table);
    }
  assay_store_emit_changed (self, "journal");
  if (label_out != NULL)
    *label_out = g_steal_pointer (&label);
  return TRUE;

fail:
  if (self->tx_depth > 0)
    assay_store_rollback (self);
  return FALSE;
}

gboolean
assay_store_undo (AssayStore *self, char **label, GError **error)
{
  return replay (self, TRUE, label, error);
}

gboolean
assay_store_redo (AssayStore *self, char **label, GError **error)
{
  return replay (self, FALSE, label, error);
}

gint64
assay_store_get_replayed (AssayStore *self, const char **table)
{
  g_return_val_if_fail (ASSAY_IS_STORE (self), 0);
  if (table != NULL)
    *table = self->replayed_table;
  return self->replayed_table != NULL ? self->replayed_row : 0;
}

static char *
peek_label (AssayStore *self, const char *sql)
{
  sqlite3_stmt *stmt = assay_store_prepare (self, sql, NULL);
  char         *label = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, self->session, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    label = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return label;
}

char *
assay_store_dup_undo_label (AssayStore *self)
{
  return peek_label (self, "SELECT label FROM journal WHERE undone = 0 AND session IS ? "
                          "ORDER BY id DESC LIMIT 1");
}

char *
assay_store_dup_redo_label (AssayStore *self)
{
  return peek_label (self, "SELECT label FROM journal WHERE undone = 1 AND session IS ? "
                          "ORDER BY id ASC LIMIT 1");
}

static gboolean
journal_has (AssayStore *self, int undone)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    self, "SELECT EXISTS (SELECT 1 FROM journal WHERE undone = ? AND session IS ?)", NULL);
  gboolean      found = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, undone);
  sqlite3_bind_text (stmt, 2, self->session, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    found = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  return found;
}

gboolean
assay_store_can_undo (AssayStore *self)
{
  return journal_has (self, 0);
}

gboolean
assay_store_can_redo (AssayStore *self)
{
  return journal_has (self, 1);
}

void
assay_store_set_session (AssayStore *self, const char *session)
{
  g_return_if_fail (ASSAY_IS_STORE (self));
  g_free (self->session);
  self->session = g_strdup (session);
}

const char *
assay_store_get_session (AssayStore *self)
{
  return self->session;
}

static char *
complete_datasets (AssayStore *self)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    self, "SELECT group_concat (id) FROM datasets WHERE importing IS NULL", NULL);
  char *ids = NULL;

  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    ids = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return ids;
}

gboolean
assay_store_check_external (AssayStore *self)
{
  gint64           version;
  g_autofree char *datasets = NULL;
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt    *stmt;

  g_return_val_if_fail (ASSAY_IS_STORE (self), FALSE);
  if (self->tx_depth > 0)
    return FALSE;
  version = assay_store_query_int (self, "PRAGMA data_version", 0);
  if (self->data_version == 0)
    {
      /* the first call only takes note */
      self->data_version = version;
      self->datasets_seen = complete_datasets (self);
      return FALSE;
    }
  if (version == self->data_version)
    return FALSE;
  self->data_version = version;
  datasets = complete_datasets (self);
  if (g_strcmp0 (datasets, self->datasets_seen) != 0)
    {
      g_free (self->datasets_seen);
      self->datasets_seen = g_steal_pointer (&datasets);
      assay_store_emit_changed (self, "datasets");
    }
  stmt = assay_store_prepare (self, "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                    "name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%' AND "
                                    "name NOT IN ('datasets', 'journal', 'journal_changes', 'meta') "
                                    "ORDER BY name", NULL);
  if (stmt != NULL)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      sqlite3_reset (stmt);
    }
  for (guint i = 0; i < tables->len; i++)
    assay_store_emit_changed (self, tables->pdata[i]);
  assay_store_emit_changed (self, "journal");
  return TRUE;
}
