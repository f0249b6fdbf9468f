/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-import.c: see assay-video-import.h. */
#include "assay-video-import.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-video.h"

#define THUMB_WIDTH 160

static const char *const video_extensions[] = { ".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v",
                                                ".mpg", ".mpeg", ".ogv", ".flv", NULL };

void
assay_video_import_result_clear (AssayVideoImportResult *r)
{
  g_clear_pointer (&r->errors, g_ptr_array_unref);
}

char *
assay_video_key (const char *name)
{
  g_autofree char *base = g_path_get_basename (name);
  char            *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    for (guint i = 0; video_extensions[i] != NULL; i++)
      if (g_ascii_strcasecmp (dot, video_extensions[i]) == 0)
        {
          *dot = '\0';
          break;
        }
  return g_steal_pointer (&base);
}

static gboolean
is_video_name (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL)
    return FALSE;
  for (guint i = 0; video_extensions[i] != NULL; i++)
    if (g_ascii_strcasecmp (dot, video_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

/* ---- rows ---------------------------------------------------------------------------------- */

typedef struct
{
  AssayStore   *store;
  gint64        dataset;
  sqlite3_stmt *insert;
  GHashTable   *seen;  /* "key\\nquestion\\ntext" of responses */
  guint         records;
} Rows;

static gboolean
insert_record (Rows *rows, const char *ext_id, const char *kind, const char *key,
               const char *prompt, const char *text, const char *answer, double score,
               gboolean has_score, GError **error)
{
  sqlite3_stmt *s = rows->insert;
  g_autofree char *scores = has_score ? g_strdup_printf ("{\"score\": %.17g}", score) : NULL;

  if (g_str_equal (kind, "response"))
    {
      char *dedupe = g_strdup_printf ("%s\n%s\n%s", key, prompt ? prompt : "", text);
      if (!g_hash_table_add (rows->seen, dedupe))
        return TRUE;
    }
  sqlite3_bind_int64 (s, 1, rows->dataset);
  sqlite3_bind_text (s, 2, ext_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 4, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 5, prompt, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 6, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 7, answer, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 8, scores, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (rows->store, s, error))
    return FALSE;
  rows->records++;
  return TRUE;
}

static const char *
str_member (JsonObject *o, const char *a, const char *b)
{
  const char *v = assay_json_get_string (o, a, NULL);
  return v != NULL || b == NULL ? v : assay_json_get_string (o, b, NULL);
}

/* A score member: a number, or a string holding one. */
static gboolean
score_member (JsonObject *o, const char *name, double *score)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_STRING)
    {
      char *end;
      *score = g_ascii_strtod (json_node_get_string (n), &end);
      return end != json_node_get_string (n);
    }
  *score = json_node_get_double (n);
  return TRUE;
}

static char *
clean_question (const char *value)
{
  g_autoptr (GString) s = g_string_new (value != NULL ? value : "");
  g_string_replace (s, "<video>", "", 0);
  g_string_replace (s, "<image>", "", 0);
  return g_strstrip (g_strdup (s->str));
}

static gboolean
row_records (Rows *rows, JsonObject *o, const char *where, GError **error)
{
  const char      *id = str_member (o, "id", NULL);
  const char      *video = str_member (o, "video", NULL);
  g_autofree char *key = NULL;
  double           a, b;

  if (video == NULL && id == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: no “video” or “id”"), where);
      return FALSE;
    }
  key = assay_video_key (video != NULL ? video : id);
  if (json_object_has_member (o, "conversations"))
    {
      JsonNode  *n = json_object_get_member (o, "conversations");
      JsonArray *turns;
      gboolean   caption = assay_json_get_bool (o, "caption", FALSE)
                           || g_strcmp0 (assay_json_get_string (o, "kind", NULL), "caption") == 0;
      if (!JSON_NODE_HOLDS_ARRAY (n))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: “conversations” is not a list"), where);
          return FALSE;
        }
      turns = json_node_get_array (n);
      for (guint i = 0; i + 1 < json_array_get_length (turns); i += 2)
        {
          JsonNode  *qn = json_array_get_element (turns, i), *an = json_array_get_element (turns, i + 1);
          JsonObject *q = JSON_NODE_HOLDS_OBJECT (qn) ? json_node_get_object (qn) : NULL;
          JsonObject *ans = JSON_NODE_HOLDS_OBJECT (an) ? json_node_get_object (an) : NULL;
          g_autofree char *question = NULL, *lower = NULL;
          const char *answer;
          if (q == NULL || ans == NULL || (answer = assay_json_get_string (ans, "value", NULL)) == NULL
              || assay_json_get_string (q, "value", NULL) == NULL)
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           _("%s: turn %u is not {\"from\", \"value\"}"), where, i);
              return FALSE;
            }
          question = clean_question (assay_json_get_string (q, "value", NULL));
          lower = g_utf8_strdown (question, -1);
          if (!insert_record (rows, id, caption || (i == 0 && strstr (lower, "describ") != NULL) ? "caption" : "qa",
                              key, question, answer, NULL, 0, FALSE, error))
            return FALSE;
        }
      return TRUE;
    }
  if (json_object_has_member (o, "chosen") && json_object_has_member (o, "rejected"))
    {
      const char *prompt = str_member (o, "prompt", "question");
      const char *chosen = str_member (o, "chosen", NULL), *rejected = str_member (o, "rejected", NULL);
      gboolean    ha = score_member (o, "chosen_score", &a), hb = score_member (o, "rejected_score", &b);
      g_autofree char *question = clean_question (prompt);
      if (chosen == NULL || rejected == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: “chosen” and “rejected” must be strings"), where);
          return FALSE;
        }
      return insert_record (rows, id, "response", key, question, chosen, str_member (o, "answer", NULL), a, ha, error)
             && insert_record (rows, id, "response", key, question, rejected, str_member (o, "answer", NULL), b, hb, error);
    }
  if (json_object_has_member (o, "response"))
    {
      g_autofree char *question = clean_question (str_member (o, "prompt", "question"));
      const char *response = str_member (o, "response", NULL);
      if (response == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: “response” is not a string"), where);
          return FALSE;
        }
      return insert_record (rows, id, "response", key, question, response, str_member (o, "answer", NULL),
                            score_member (o, "score", &a) ? a : 0, score_member (o, "score", &a), error);
    }
  if (str_member (o, "caption", NULL) != NULL)
    return insert_record (rows, id, "caption", key, NULL, str_member (o, "caption", NULL), NULL, 0, FALSE, error);
  if (str_member (o, "question", NULL) != NULL && str_member (o, "answer", NULL) != NULL)
    {
      g_autofree char *question = clean_question (str_member (o, "question", NULL));
      return insert_record (rows, id, "qa", key, question, str_member (o, "answer", NULL), NULL, 0, FALSE, error);
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               _("%s: not a caption, QA, preference or response row (no conversations, caption, "
                 "chosen/rejected, response or question/answer)"), where);
  return FALSE;
}

static gboolean
read_rows (Rows *rows, const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GDataInputStream) data = NULL;
  g_autoptr (GError) local = NULL;
  char  *line;
  guint  number = 0;

  if ((in = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: %s", path, local->message);
      return FALSE;
    }
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  while ((line = g_data_input_stream_read_line_utf8 (data, NULL, NULL, &local)) != NULL)
    {
      g_autofree char *text = line;
      g_autofree char *where = NULL;
      g_autoptr (GError) parse = NULL;
      JsonObject *o;
      gboolean    ok;

      number++;
      if (*g_strstrip (text) == '\0')
        continue;
      where = g_strdup_printf ("%s:%u", path, number);
      if (number == 1 && text[0] == '[')
        {
          /* a JSON array of rows */
          g_autoptr (JsonParser) parser = json_parser_new ();
          JsonArray *a;
          if (!assay_json_parser_load_file (parser, path, &parse)
              || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path,
                           parse ? parse->message : _("not a JSON array"));
              return FALSE;
            }
          a = json_node_get_array (json_parser_get_root (parser));
          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              g_autofree char *item = g_strdup_printf (_("%s: item %u"), path, i);
              JsonNode *n = json_array_get_element (a, i);
              if (!JSON_NODE_HOLDS_OBJECT (n))
                {
                  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s is not an object"), item);
                  return FALSE;
                }
              if (!row_records (rows, json_node_get_object (n), item, error))
                return FALSE;
            }
          return TRUE;
        }
      if ((o = assay_json_object_from_string (text, &parse)) == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", where, parse->message);
          return FALSE;
        }
      ok = row_records (rows, o, where, error);
      json_object_unref (o);
      if (!ok)
        return FALSE;
    }
  if (local != NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number + 1, local->message);
      return FALSE;
    }
  return TRUE;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* ---- videos -------------------------------------------------------------------------------- */

static gboolean
store_video (AssayStore *store, gint64 dataset, const char *path, int count,
             AssayVideoImportResult *r, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (AssayVideoInfo) info = assay_video_probe (path, -1, &local);
  g_autoptr (GPtrArray) frames = NULL;
  g_autofree char *key = assay_video_key (path);
  sqlite3_stmt *stmt;
  gint64 video;

  if (info != NULL)
    {
      g_autoptr (GArray) indices = assay_video_sample_indices (info->frames, count);
      /* PNG and thumbnail encoded beside the decoding */
      frames = assay_video_sample_png (info, (const gint64 *) indices->data, (int) indices->len,
                                       THUMB_WIDTH, cancellable, &local);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!assay_store_begin (store, error))
    return FALSE;
  stmt = assay_store_prepare (store, "INSERT INTO videos (dataset_id, name, path, container, codec, "
                                     "width, height, frames, duration, fps, error) VALUES "
                                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, path, -1, SQLITE_TRANSIENT);
  if (info != NULL)
    {
      sqlite3_bind_text (stmt, 4, info->container, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, info->codec, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 6, info->width);
      sqlite3_bind_int (stmt, 7, info->height);
      sqlite3_bind_int64 (stmt, 8, info->frames);
      sqlite3_bind_double (stmt, 9, info->duration);
      sqlite3_bind_double (stmt, 10, info->fps);
    }
  if (local != NULL)
    sqlite3_bind_text (stmt, 11, local->message, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (store, stmt, error))
    goto failed;
  video = sqlite3_last_insert_rowid (assay_store_get_db (store));
  if (local == NULL)
    {
      stmt = assay_store_prepare (store, "INSERT INTO video_frames (video_id, position, frame, seconds, "
                                         "width, height, image, thumb) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        goto failed;
      for (guint i = 0; i < frames->len; i++)
        {
          AssayVideoPng *f = frames->pdata[i];
          gsize n1, n2;
          const void *full = g_bytes_get_data (f->png, &n1);
          const void *thumb = g_bytes_get_data (f->thumb, &n2);
          sqlite3_bind_int64 (stmt, 1, video);
          sqlite3_bind_int (stmt, 2, (int) i);
          sqlite3_bind_int64 (stmt, 3, f->index);
          sqlite3_bind_double (stmt, 4, f->seconds);
          sqlite3_bind_int (stmt, 5, f->width);
          sqlite3_bind_int (stmt, 6, f->height);
          sqlite3_bind_blob64 (stmt, 7, full, n1, SQLITE_STATIC);
          sqlite3_bind_blob64 (stmt, 8, thumb, n2, SQLITE_STATIC);
          if (!assay_store_step_done (store, stmt, error))
            goto failed;
        }
      r->videos++;
      r->frames += frames->len;
    }
  else
    {
      r->failed++;
      g_ptr_array_add (r->errors, g_strdup (local->message));
    }
  return assay_store_commit (store, error);

failed:
  assay_store_rollback (store);
  return FALSE;
}

gboolean
assay_video_import (AssayStore *store, const char *const *paths, int count, const char *name,
                    AssayVideoImportResult *r, void (*progress) (double, const char *, gpointer),
                    gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) videos = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) unread = g_ptr_array_new_with_free_func (g_free); /* inputs with nothing */
  g_autofree char *base = NULL;
  Rows rows = { store };

  memset (r, 0, sizeof *r);
  r->errors = g_ptr_array_new_with_free_func (g_free);
  if (paths == NULL || paths[0] == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Nothing to import"));
      return FALSE;
    }
  for (guint i = 0; paths[i] != NULL; i++)
    {
      if (g_file_test (paths[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) dir = g_dir_open (paths[i], 0, error);
          g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *entry;
          if (dir == NULL)
            return FALSE;
          while ((entry = g_dir_read_name (dir)) != NULL)
            if (is_video_name (entry))
              g_ptr_array_add (names, g_build_filename (paths[i], entry, NULL));
          /* sorted by name: the workspace does not depend on the folder's order */
          g_ptr_array_sort (names, compare_paths);
          if (names->len == 0)
            g_ptr_array_add (unread, g_strdup_printf (_("%s: no video files in this folder"), paths[i]));
          for (guint k = 0; k < names->len; k++)
            g_ptr_array_add (videos, g_strdup (names->pdata[k]));
        }
      else if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: no such file or folder"), paths[i]);
          return FALSE;
        }
      else if (g_str_has_suffix (paths[i], ".jsonl") || g_str_has_suffix (paths[i], ".json"))
        g_ptr_array_add (tables, g_strdup (paths[i]));
      else
        g_ptr_array_add (videos, g_strdup (paths[i]));
    }

  /* The dataset stays hidden until every video is in (each in a transaction of its own, so
   * other writers get in between); a failure, a cancel or a kill leaves nothing behind. */
  base = g_path_get_basename (paths[0]);
  if (!assay_store_begin (store, error))
    return FALSE;
  if ((r->dataset = assay_store_add_hidden_dataset (store, "video", name != NULL ? name : base,
                                                    paths[0], NULL, error)) <= 0)
    goto failed;
  rows.dataset = r->dataset;
  rows.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rows.insert = assay_store_prepare (store, "INSERT INTO gen_records (dataset_id, ext_id, kind, source, "
                                            "prompt, text, answer, scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (rows.insert == NULL)
    goto failed;
  for (guint i = 0; i < tables->len; i++)
    {
      if (progress)
        progress (0.0, _("Reading captions and responses"), progress_data);
      guint before = rows.records;
      if (!read_rows (&rows, tables->pdata[i], error))
        goto failed;
      if (rows.records == before)
        g_ptr_array_add (unread, g_strdup_printf (_("%s: no rows"), (char *) tables->pdata[i]));
    }
  g_clear_pointer (&rows.seen, g_hash_table_unref);
  r->records = rows.records;
  if (!assay_store_commit (store, error))
    {
      assay_store_rollback (store);
      return FALSE;
    }

  for (guint i = 0; i < videos->len; i++)
    {
      if (progress)
        {
          g_autofree char *b = g_path_get_basename (videos->pdata[i]);
          g_autofree char *msg = g_strdup_printf (_("Sampling frames of %s (%u of %u)"), b, i + 1, videos->len);
          progress ((double) i / videos->len, msg, progress_data);
        }
      if (!store_video (store, r->dataset, videos->pdata[i], count > 0 ? count : 10, r, cancellable, error))
        {
          assay_store_drop_dataset (store, r->dataset, NULL);
          return FALSE;
        }
    }
  if (r->videos == 0 && r->records == 0)
    {
      /* nothing could be read: no empty dataset, and every reason */
      g_autoptr (GString) why = g_string_new (_("Nothing could be read"));
      for (guint i = 0; i < r->errors->len; i++)
        g_ptr_array_add (unread, g_strdup (r->errors->pdata[i]));
      for (guint i = 0; i < unread->len && i < 8; i++)
        g_string_append_printf (why, "%s%s", i == 0 ? ": " : "; ", (char *) unread->pdata[i]);
      if (unread->len > 8)
        g_string_append_printf (why, _("; and %u more"), unread->len - 8);
      assay_store_drop_dataset (store, r->dataset, NULL);
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, why->str);
      return FALSE;
    }
  if (!assay_store_publish_dataset (store, r->dataset, error))
    {
      assay_store_drop_dataset (store, r->dataset, NULL);
      return FALSE;
    }
  {
    sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT count(*) FROM gen_records g WHERE g.dataset_id = ? "
                                                     "AND NOT EXISTS (SELECT 1 FROM videos v WHERE v.name = g.source)", NULL);
    if (stmt != NULL)
      {
        sqlite3_bind_int64 (stmt, 1, r->dataset);
        if (sqlite3_step (stmt) == SQLITE_ROW)
          r->unmatched = (guint) sqlite3_column_int64 (stmt, 0);
        sqlite3_reset (stmt);
      }
  }
  assay_store_emit_changed (store, "videos");
  assay_store_emit_changed (store, "gen_records");
  return TRUE;

failed:
  g_clear_pointer (&rows.seen, g_hash_table_unref);
  assay_store_rollback (store);
  return FALSE;
}

typedef struct
{
  GStrv paths;
  int   count;
  char *name;
} ImportData;

static void
import_data_free (ImportData *d)
{
  g_strfreev (d->paths);
  g_free (d->name);
  g_free (d);
}

static gboolean
import_run (AssayJob *job, gpointer user_data, GError **error)
{
  ImportData            *d = user_data;
  AssayStore            *store = assay_job_open_store (job, error);
  AssayVideoImportResult r = { 0 };
  JsonObject            *o;
  JsonArray             *errors;

  if (store == NULL
      || !assay_video_import (store, (const char *const *) d->paths, d->count, d->name, &r,
                              assay_job_progress_func, job, assay_job_get_cancellable (job), error))
    {
      assay_video_import_result_clear (&r);
      return FALSE;
    }
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", r.dataset);
  json_object_set_int_member (o, "videos", r.videos);
  json_object_set_int_member (o, "failed", r.failed);
  json_object_set_int_member (o, "frames", r.frames);
  json_object_set_int_member (o, "records", r.records);
  json_object_set_int_member (o, "unmatched", r.unmatched);
  errors = json_array_new ();
  for (guint i = 0; i < r.errors->len; i++)
    json_array_add_string_element (errors, r.errors->pdata[i]);
  json_object_set_array_member (o, "errors", errors);
  assay_video_import_result_clear (&r);
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_video_import_job_new (const char *const *paths, int count, const char *name)
{
  ImportData      *d = g_new0 (ImportData, 1);
  g_autofree char *base = g_path_get_basename (paths[0]);
  g_autofree char *title = g_strdup_printf (_("Import videos from %s"), base);

  d->paths = g_strdupv ((char **) paths);
  d->count = count;
  d->name = g_strdup (name);
  return assay_job_new ("video-import", title, ASSAY_JOB_LANE_IO, import_run, d,
                        (GDestroyNotify) import_data_free);
}

gboolean
assay_video_delete (AssayStore *store, gint64 video, guint *records, GError **error)
{
  sqlite3_stmt    *stmt;
  g_autofree char *name = NULL;
  gint64           dataset = 0;
  gboolean         shared = FALSE;

  if (records != NULL)
    *records = 0;
  if (!assay_store_begin (store, error))
    return FALSE;
  if ((stmt = assay_store_prepare (store, "SELECT name, dataset_id FROM videos WHERE id = ?", error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, video);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      dataset = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (name == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("there is no video %lld"), (long long) video);
      goto fail;
    }
  if ((stmt = assay_store_prepare (store, "SELECT count(*) FROM videos WHERE dataset_id = ? AND name = ? AND id != ?",
                                   error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, video);
  shared = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) > 0;
  sqlite3_reset (stmt);
  if (!shared)
    {
      if ((stmt = assay_store_prepare (store, "DELETE FROM gen_records WHERE dataset_id = ? AND source = ?", error)) == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, dataset);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
      if (records != NULL)
        *records = (guint) sqlite3_changes (assay_store_get_db (store));
    }
  if ((stmt = assay_store_prepare (store, "DELETE FROM videos WHERE id = ?", error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, video);
  if (!assay_store_step_done (store, stmt, error) || !assay_store_commit (store, error))
    goto fail;
  assay_store_emit_changed (store, "videos");
  assay_store_emit_changed (store, "gen_records");
  return TRUE;

fail:
  assay_store_rollback (store);
  return FALSE;
}
