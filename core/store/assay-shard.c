/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-shard.c: shard files, written whole or not at all, and read back for merging. */
#include "config.h"

#include "assay-shard.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-error.h"
#include "assay-json.h"

#define SHARD_FORMAT   1
#define MAX_SHARDS     100000
#define SMALL_FILE     (16 << 20)
#define FINGERPRINT_MB (1 << 20)

static JsonObject *
object_copy (JsonObject *object)
{
  g_autofree char *text = assay_json_object_to_string (object, FALSE);

  return assay_json_object_from_string (text, NULL);
}

gboolean
assay_shard_parse (const char *text, AssayShard *shard, GError **error)
{
  guint64 k, n;
  char   *end;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    goto bad;
  k = g_ascii_strtoull (text, &end, 10);
  if (*end != '/' || !g_ascii_isdigit (end[1]))
    goto bad;
  n = g_ascii_strtoull (end + 1, &end, 10);
  if (*end != '\0')
    goto bad;
  if (n < 1 || n > MAX_SHARDS || k >= n)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Shard “%s”: K must be 0 to N − 1 and N 1 to %d"), text, MAX_SHARDS);
      return FALSE;
    }
  shard->k = (guint) k;
  shard->n = (guint) n;
  return TRUE;

bad:
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               _("Shard “%s” is not K/N (e.g. 0/4, the first of four)"), text ? text : "");
  return FALSE;
}

void
assay_shard_range (const AssayShard *shard, guint n_units, guint *begin, guint *end)
{
  if (shard == NULL || shard->n == 0)
    {
      *begin = 0;
      *end = n_units;
      return;
    }
  *begin = (guint) ((guint64) n_units * shard->k / shard->n);
  *end = (guint) ((guint64) n_units * (shard->k + 1) / shard->n);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
hash_range (GChecksum *sum, FILE *f, const char *path, gint64 offset, gint64 length, GError **error)
{
  g_autofree guchar *buf = g_malloc (64 * 1024);

  if (fseeko (f, offset, SEEK_SET) != 0)
    goto failed;
  while (length > 0)
    {
      size_t want = (size_t) MIN (length, 64 * 1024), got = fread (buf, 1, want, f);
      if (got != want)
        goto failed;
      g_checksum_update (sum, buf, got);
      length -= (gint64) got;
    }
  return TRUE;

failed:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read “%s”: %s"), path,
               ferror (f) ? g_strerror (errno) : _("the file is shorter than it was"));
  return FALSE;
}

char *
assay_shard_fingerprint_folder (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *line = NULL;
      GStatBuf         st;
      FILE            *f;
      gboolean         ok;

      if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      line = g_strdup_printf ("%s\t%" G_GINT64_FORMAT "\n", (const char *) names->pdata[i],
                              (gint64) st.st_size);
      g_checksum_update (sum, (const guchar *) line, -1);
      if ((f = g_fopen (path, "rb")) == NULL)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Could not read “%s”: %s"),
                       path, g_strerror (saved));
          return NULL;
        }
      if (st.st_size <= SMALL_FILE)
        ok = hash_range (sum, f, path, 0, st.st_size, error);
      else
        ok = hash_range (sum, f, path, 0, FINGERPRINT_MB, error)
             && hash_range (sum, f, path, st.st_size - FINGERPRINT_MB, FINGERPRINT_MB, error);
      fclose (f);
      if (!ok)
        return NULL;
    }
  return g_strdup (g_checksum_get_string (sum));
}

char *
assay_shard_hash_file (const char *path, GError **error)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, error);

  if (map == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (map),
                                      g_mapped_file_get_length (map));
}

char *
assay_shard_key (JsonObject *provenance)
{
  g_autofree char *text = assay_json_object_to_string (provenance, FALSE);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* ---- writing ------------------------------------------------------------------------------ */

struct _AssayShardWriter
{
  char            *path;
  AssayAtomicFile *file;
  AssayStore      *store;
  JsonObject      *meta;
  gboolean         finished;
};

AssayShardWriter *
assay_shard_writer_new (const char *path, const char *verb, JsonObject *provenance,
                        const AssayShard *shard, guint units, guint begin, guint end,
                        GError **error)
{
  g_autoptr (AssayShardWriter) self = g_new0 (AssayShardWriter, 1);
  g_autoptr (JsonObject) copy = object_copy (provenance);
  g_autofree char *key = NULL;

  g_return_val_if_fail (shard != NULL && shard->n > 0, NULL);
  self->path = g_strdup (path);
  if (!json_object_has_member (copy, "verb"))
    json_object_set_string_member (copy, "verb", verb);
  json_object_set_int_member (copy, "n", shard->n);
  key = assay_shard_key (copy);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      /* a task run again replaces its shard; nothing else is overwritten (least of all the
       * workspace itself, given by mistake) */
      g_autoptr (GError) why = NULL;
      g_autoptr (AssayShardFile) old = assay_shard_file_open (path, &why);
      if (old == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("“%s” exists and is not a shard file: it is left as it is"), path);
          return NULL;
        }
    }
  if ((self->file = assay_atomic_file_new (path, error)) == NULL)
    return NULL;
  if (assay_atomic_file_get_temp_path (self->file) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s”: a shard is written to a regular file, not a device or a pipe"), path);
      return NULL;
    }
  if ((self->store = assay_store_open (assay_atomic_file_get_temp_path (self->file), error)) == NULL)
    return NULL;
  /* one file to move about (no write-ahead log beside it); rows refer to the workspace's */
  if (!assay_store_exec (self->store, "PRAGMA journal_mode = DELETE", error)
      || !assay_store_exec (self->store, "PRAGMA foreign_keys = OFF", error)
      || !assay_store_begin (self->store, error))
    return NULL;
  self->meta = json_object_new ();
  json_object_set_int_member (self->meta, "format", SHARD_FORMAT);
  json_object_set_string_member (self->meta, "verb", verb);
  json_object_set_string_member (self->meta, "key", key);
  json_object_set_int_member (self->meta, "k", shard->k);
  json_object_set_int_member (self->meta, "n", shard->n);
  json_object_set_int_member (self->meta, "units", units);
  json_object_set_int_member (self->meta, "begin", begin);
  json_object_set_int_member (self->meta, "end", end);
  json_object_set_object_member (self->meta, "provenance", g_steal_pointer (&copy));
  return g_steal_pointer (&self);
}

AssayStore *
assay_shard_writer_get_store (AssayShardWriter *self)
{
  return self->store;
}

gboolean
assay_shard_writer_finish (AssayShardWriter *self, JsonObject *summary, GError **error)
{
  g_autofree char *text = NULL;
  sqlite3_stmt    *stmt;

  json_object_set_object_member (self->meta, "summary",
                                 summary != NULL ? object_copy (summary) : json_object_new ());
  text = assay_json_object_to_string (self->meta, FALSE);
  if ((stmt = assay_store_prepare (self->store, "INSERT INTO meta (key, value) VALUES ('shard', ?)",
                                   error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (self->store, stmt, error) || !assay_store_commit (self->store, error))
    return FALSE;
  g_clear_object (&self->store);
  if (!assay_atomic_file_commit (self->file, error))
    return FALSE;
  self->finished = TRUE;
  return TRUE;
}

JsonObject *
assay_shard_writer_finish_result (AssayShardWriter *self, JsonObject *summary, GError **error)
{
  JsonObject *result;

  if (!assay_shard_writer_finish (self, summary, error))
    return NULL;
  result = object_copy (summary);
  json_object_set_string_member (result, "shard_out", self->path);
  json_object_set_int_member (result, "k", json_object_get_int_member (self->meta, "k"));
  json_object_set_int_member (result, "n", json_object_get_int_member (self->meta, "n"));
  return result;
}

void
assay_shard_writer_free (AssayShardWriter *self)
{
  if (self == NULL)
    return;
  if (self->store != NULL)
    {
      if (assay_store_in_transaction (self->store))
        assay_store_rollback (self->store);
      g_clear_object (&self->store);
    }
  if (self->file != NULL && !self->finished && assay_atomic_file_get_temp_path (self->file) != NULL)
    {
      g_autofree char *journal = g_strconcat (assay_atomic_file_get_temp_path (self->file), "-journal", NULL);
      g_unlink (journal);
    }
  g_clear_pointer (&self->file, assay_atomic_file_free);
  g_clear_pointer (&self->meta, json_object_unref);
  g_free (self->path);
  g_free (self);
}

/* ---- reading ------------------------------------------------------------------------------ */

void
assay_shard_file_free (AssayShardFile *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_clear_pointer (&self->meta, json_object_unref);
  g_free (self->verb);
  g_free (self->key);
  g_free (self);
}

static JsonObject *
meta_object (JsonObject *meta, const char *member)
{
  JsonNode *node = json_object_get_member (meta, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
meta_uint (JsonObject *meta, const char *member, guint *value)
{
  JsonNode *node = json_object_get_member (meta, member);
  gint64    v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || v > G_MAXUINT)
    return FALSE;
  *value = (guint) v;
  return TRUE;
}

AssayShardFile *
assay_shard_file_open (const char *path, GError **error)
{
  g_autoptr (AssayShardFile) self = g_new0 (AssayShardFile, 1);
  g_autoptr (GError) local = NULL;
  g_autofree char *escaped = NULL, *uri = NULL;
  sqlite3_stmt *stmt = NULL;
  const char   *text;
  gint64        format;
  guint         k = 0, n = 0;

  self->path = g_strdup (path);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("“%s”: no such shard file"), path);
      return NULL;
    }
  /* immutable: a finished shard is never written again, and its folder may be read-only */
  escaped = g_uri_escape_string (path, "/", FALSE);
  uri = g_strdup_printf ("file:%s?immutable=1", escaped);
  if (sqlite3_open_v2 (uri, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK
      || sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = 'shard'", -1, &stmt, NULL)
           != SQLITE_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s” is not a shard file: %s"), path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  if (sqlite3_step (stmt) != SQLITE_ROW || (text = (const char *) sqlite3_column_text (stmt, 0)) == NULL)
    {
      sqlite3_finalize (stmt);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s” is not a finished shard (no shard record in it)"), path);
      return NULL;
    }
  self->meta = assay_json_object_from_string (text, &local);
  sqlite3_finalize (stmt);
  if (self->meta == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s”: the shard record is not a JSON object%s%s"), path,
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  format = json_object_get_int_member_with_default (self->meta, "format", 0);
  if (format > SHARD_FORMAT)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION,
                   _("“%s” was written by a newer version of Assay (shard format %d)"), path,
                   (int) format);
      return NULL;
    }
  if (format != SHARD_FORMAT
      || json_object_get_string_member_with_default (self->meta, "verb", NULL) == NULL
      || json_object_get_string_member_with_default (self->meta, "key", NULL) == NULL
      || !meta_uint (self->meta, "k", &k) || !meta_uint (self->meta, "n", &n) || n == 0 || k >= n
      || !meta_uint (self->meta, "units", &self->units) || !meta_uint (self->meta, "begin", &self->begin)
      || !meta_uint (self->meta, "end", &self->end) || self->begin > self->end
      || self->end > self->units
      || meta_object (self->meta, "provenance") == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s”: the shard record is incomplete or out of range"), path);
      return NULL;
    }
  self->k = k;
  self->n = n;
  self->verb = g_strdup (json_object_get_string_member (self->meta, "verb"));
  self->key = g_strdup (json_object_get_string_member (self->meta, "key"));
  self->provenance = meta_object (self->meta, "provenance");
  self->summary = meta_object (self->meta, "summary");
  return g_steal_pointer (&self);
}

gboolean
assay_shard_copy_rows (AssayStore *store, AssayShardFile *shard, const char *table,
                       const char *select, const char *insert, gint64 target, GError **error)
{
  sqlite3_stmt *from = NULL, *to;
  int           rc, n_columns;

  if ((to = assay_store_prepare (store, insert, error)) == NULL)
    return FALSE;
  if (sqlite3_prepare_v2 (shard->db, select, -1, &from, NULL) != SQLITE_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: reading %s: %s"),
                   shard->path, table, sqlite3_errmsg (shard->db));
      return FALSE;
    }
  n_columns = sqlite3_column_count (from);
  while ((rc = sqlite3_step (from)) == SQLITE_ROW)
    {
      sqlite3_bind_int64 (to, 1, target);
      for (int c = 0; c < n_columns; c++)
        sqlite3_bind_value (to, c + 2, sqlite3_column_value (from, c));
      if (sqlite3_step (to) != SQLITE_DONE)
        {
          int code = sqlite3_extended_errcode (assay_store_get_db (store));
          g_set_error (error, ASSAY_ERROR,
                       (code & 0xff) == SQLITE_CONSTRAINT ? ASSAY_ERROR_INVALID_INPUT : ASSAY_ERROR_DATABASE,
                       (code & 0xff) == SQLITE_CONSTRAINT
                         ? _("“%s”: its %s rows overlap rows already merged, or refer to rows the "
                             "workspace no longer has (%s)")
                         : _("“%s”: merging %s: %s"),
                       shard->path, table, sqlite3_errmsg (assay_store_get_db (store)));
          sqlite3_reset (to);
          sqlite3_finalize (from);
          return FALSE;
        }
      sqlite3_reset (to);
    }
  sqlite3_clear_bindings (to);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: reading %s: %s"),
                   shard->path, table, sqlite3_errmsg (shard->db));
      sqlite3_finalize (from);
      return FALSE;
    }
  sqlite3_finalize (from);
  return TRUE;
}

gboolean
assay_shard_check_count (AssayShardFile *shard, const char *table, const char *member, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3_stmt    *stmt = NULL;
  gint64           rows = -1, want = -2;

  if (shard->summary != NULL && json_object_has_member (shard->summary, member))
    want = json_object_get_int_member (shard->summary, member);
  if (sqlite3_prepare_v2 (shard->db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    rows = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rows != want)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s” holds %" G_GINT64_FORMAT " rows of %s where its summary says %" G_GINT64_FORMAT
                     ": the file was changed after it was written"),
                   shard->path, rows, table, want);
      return FALSE;
    }
  return TRUE;
}
