/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-import.c: see assay-trace-import.h. The rows go through the generations importer;
 * candidate files get a field map made from their first row, and their correctness is set from
 * the extracted answers inside the same transaction. */
#include "assay-trace-import.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

static const char *const format_names[] = { "auto", "processbench", "jsonl", "trl", "llava-reasoner" };

gboolean
assay_trace_parse_format (const char *name, AssayTraceFormat *format)
{
  int i = assay_names_find (format_names, G_N_ELEMENTS (format_names), name);

  if (i < 0)
    return FALSE;
  *format = (AssayTraceFormat) i;
  return TRUE;
}

/* The first object of a JSON array file, read alone (the whole array is parsed once, by the
 * importer): the text from its "{" to the matching "}", strings and escapes skipped. */
static JsonObject *
first_array_object (const char *path, GError **error)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  g_autoptr (GError) local = NULL;
  const char *p, *end, *begin = NULL;
  int         depth = 0;
  gboolean    in_string = FALSE;
  JsonObject *object;

  if (map == NULL)
    return NULL;
  p = g_mapped_file_get_contents (map);
  end = p + g_mapped_file_get_length (map);
  for (; p < end; p++)
    {
      if (in_string)
        {
          if (*p == '\\')
            p++;
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }
      if (*p == '"')
        in_string = TRUE;
      else if (*p == '{' && depth++ == 0)
        begin = p;
      else if (*p == '}' && begin != NULL && --depth == 0)
        {
          g_autofree char *text = g_strndup (begin, p + 1 - begin);
          if ((object = assay_json_object_from_string (text, &local)) == NULL)
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         _("%s: the first row is not JSON: %s"), path, local->message);
          return object;
        }
      else if (begin == NULL && *p != '[' && !g_ascii_isspace (*p))
        break;
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               _("%s: a JSON array whose first item is not an object"), path);
  return NULL;
}

/* The first row of a JSONL file or JSON array, or NULL with an error that says what is wrong
 * with the file: missing, a folder, unreadable, empty, not UTF-8, not JSON, not an object. */
static JsonObject *
first_row (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GDataInputStream) data = NULL;
  g_autoptr (GError) local = NULL;
  char    *line;
  guint    number = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: no such file"), path);
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: a folder, not a JSONL or JSON file"), path);
      return NULL;
    }
  if ((in = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: cannot be read: %s"), path,
                   local->message);
      return NULL;
    }
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  while ((line = g_data_input_stream_read_line_utf8 (data, NULL, NULL, &local)) != NULL)
    {
      g_autofree char *text = line;
      JsonObject      *row;

      number++;
      if (*g_strstrip (text) == '\0')
        continue;
      if (text[0] == '[')
        return first_array_object (path, error);
      if ((row = assay_json_object_from_string (text, &local)) == NULL)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("%s: line %u: not a JSON object: %s"), path, number, local->message);
      return row;
    }
  if (local != NULL)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: line %u: %s"), path,
                 number + 1,
                 g_error_matches (local, G_CONVERT_ERROR, G_CONVERT_ERROR_ILLEGAL_SEQUENCE)
                   ? _("not UTF-8 text") : local->message);
  else
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: no rows (the file is empty)"),
                 path);
  return NULL;
}

static const char *
first_key (JsonObject *row, const char *const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    if (json_object_has_member (row, keys[i]))
      return keys[i];
  return NULL;
}

static JsonObject *
candidate_fields (const char *path, JsonObject *row, GError **error)
{
  static const char *const question[] = { "question", "prompt", "problem", "query", NULL };
  static const char *const response[] = { "response", "completion", "output", "candidate", NULL };
  static const char *const truth[] = { "answer", "ground_truth", "gt_answer", "reference", NULL };
  static const char *const id[] = { "id", "uid", NULL };
  static const char *const model[] = { "model", "generator", NULL };
  JsonObject *f;

  if (row == NULL || first_key (row, question) == NULL || first_key (row, response) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: the first row has no question (question, prompt or problem) or no "
                     "response (response, completion, output or candidate)"),
                   path);
      return NULL;
    }
  f = json_object_new ();
  json_object_set_string_member (f, "prompt", first_key (row, question));
  json_object_set_string_member (f, "text", first_key (row, response));
  json_object_set_string_member (f, "kind", "=trace");
  if (first_key (row, truth) != NULL)
    json_object_set_string_member (f, "answer", first_key (row, truth));
  if (first_key (row, id) != NULL)
    json_object_set_string_member (f, "ext_id", first_key (row, id));
  if (first_key (row, model) != NULL)
    json_object_set_string_member (f, "model", first_key (row, model));
  if (json_object_has_member (row, "steps"))
    json_object_set_string_member (f, "steps", "steps");
  if (json_object_has_member (row, "label"))
    json_object_set_string_member (f, "step_label", "label");
  if (json_object_has_member (row, "correct"))
    json_object_set_string_member (f, "correct", "correct");
  return f;
}

/* correct = extracted answer against the reference, where the data did not say. */
static gboolean
judge (AssayStore *store, gint64 dataset, GError **error)
{
  sqlite3_stmt *read = assay_store_prepare (store,
                                            "SELECT id, text, answer FROM gen_records WHERE "
                                            "dataset_id = ? AND correct IS NULL AND answer IS NOT NULL "
                                            "AND text IS NOT NULL",
                                            error);
  g_autoptr (GArray) verdicts = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *write;
  int rc;

  if (read == NULL)
    return FALSE;
  sqlite3_bind_int64 (read, 1, dataset);
  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      g_autofree char *extracted = assay_answer_extract ((const char *) sqlite3_column_text (read, 1), NULL);
      gint64 v[2] = { sqlite3_column_int64 (read, 0),
                      extracted != NULL
                        && assay_answer_equal (extracted, (const char *) sqlite3_column_text (read, 2)) };
      g_array_append_vals (verdicts, v, 2);
    }
  sqlite3_reset (read);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "gen_records");
  if ((write = assay_store_prepare (store, "UPDATE gen_records SET correct = ? WHERE id = ?", error)) == NULL)
    return FALSE;
  for (guint k = 0; k < verdicts->len; k += 2)
    {
      sqlite3_bind_int64 (write, 1, g_array_index (verdicts, gint64, k + 1));
      sqlite3_bind_int64 (write, 2, g_array_index (verdicts, gint64, k));
      if (!assay_store_step_done (store, write, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
assay_trace_import (AssayStore *store, const char *path, AssayTraceFormat format, const char *name,
                    AssayTraceImportResult *result, GCancellable *cancellable, GError **error)
{
  AssayGenImportOptions options;
  AssayGenImportResult  r;
  g_autoptr (JsonObject) fields = NULL;
  g_autoptr (JsonObject) row = NULL;
  sqlite3_stmt *stmt;

  memset (result, 0, sizeof *result);
  assay_gen_import_options_init (&options);
  options.name = name;
  if (format == ASSAY_TRACE_FORMAT_AUTO)
    {
      if ((row = first_row (path, error)) == NULL)
        return FALSE;
      if (json_object_has_member (row, "problem") && json_object_has_member (row, "steps"))
        format = ASSAY_TRACE_FORMAT_PROCESSBENCH;
      else if (json_object_has_member (row, "chosen") && json_object_has_member (row, "rejected"))
        format = json_object_has_member (row, "prompt") ? ASSAY_TRACE_FORMAT_TRL
                                                        : ASSAY_TRACE_FORMAT_LLAVA_REASONER;
      else
        format = ASSAY_TRACE_FORMAT_JSONL;
    }
  switch (format)
    {
    case ASSAY_TRACE_FORMAT_PROCESSBENCH:
      options.mapping = ASSAY_GEN_MAP_PROCESSBENCH;
      break;
    case ASSAY_TRACE_FORMAT_TRL:
      options.mapping = ASSAY_GEN_MAP_TRL;
      break;
    case ASSAY_TRACE_FORMAT_LLAVA_REASONER:
      options.mapping = ASSAY_GEN_MAP_LLAVA_REASONER;
      break;
    case ASSAY_TRACE_FORMAT_JSONL:
    case ASSAY_TRACE_FORMAT_AUTO:
    default:
      if (row == NULL && (row = first_row (path, error)) == NULL)
        return FALSE;
      if ((fields = candidate_fields (path, row, error)) == NULL)
        return FALSE;
      options.mapping = ASSAY_GEN_MAP_CUSTOM;
      options.fields = fields;
      break;
    }
  /* the records come in chunks into a hidden dataset; judged and published in one step */
  options.keep_hidden = TRUE;
  if (!assay_gen_import (store, path, &options, &r, NULL, NULL, cancellable, error))
    return FALSE;
  if (!assay_store_begin (store, error))
    {
      assay_store_drop_dataset (store, r.dataset, NULL);
      return FALSE;
    }
  if (!judge (store, r.dataset, error) || !assay_store_publish_dataset (store, r.dataset, error)
      || (stmt = assay_store_prepare (store,
                                      "SELECT count(*), count(DISTINCT prompt), sum(correct = 1), "
                                      "count(correct) FROM gen_records WHERE dataset_id = ?",
                                      error)) == NULL)
    {
      assay_store_rollback (store);
      assay_store_drop_dataset (store, r.dataset, NULL);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, r.dataset);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      result->traces = (guint) sqlite3_column_int64 (stmt, 0);
      result->questions = (guint) sqlite3_column_int64 (stmt, 1);
      result->correct = (guint) sqlite3_column_int64 (stmt, 2);
      result->judged = (guint) sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  result->dataset = r.dataset;
  if (!assay_store_commit (store, error))
    {
      assay_store_rollback (store);
      assay_store_drop_dataset (store, r.dataset, NULL);
      return FALSE;
    }
  assay_store_emit_changed (store, "gen_records");
  return TRUE;
}

typedef struct
{
  char            *path;
  char            *name;
  AssayTraceFormat format;
} ImportData;

static void
import_data_free (ImportData *d)
{
  g_free (d->path);
  g_free (d->name);
  g_free (d);
}

static gboolean
import_run (AssayJob *job, gpointer user_data, GError **error)
{
  ImportData            *d = user_data;
  AssayStore            *store = assay_job_open_store (job, error);
  AssayTraceImportResult r;
  JsonObject            *o;

  if (store == NULL)
    return FALSE;
  assay_job_set_progress (job, 0.1, _("Reading traces"));
  if (!assay_trace_import (store, d->path, d->format, d->name, &r, assay_job_get_cancellable (job), error))
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", r.dataset);
  json_object_set_int_member (o, "traces", r.traces);
  json_object_set_int_member (o, "questions", r.questions);
  json_object_set_int_member (o, "correct", r.correct);
  json_object_set_int_member (o, "judged", r.judged);
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_trace_import_job_new (const char *path, AssayTraceFormat format, const char *name)
{
  ImportData      *d = g_new0 (ImportData, 1);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Import traces from %s"), base);

  d->path = g_strdup (path);
  d->name = g_strdup (name);
  d->format = format;
  return assay_job_new ("traces-import", title, ASSAY_JOB_LANE_IO, import_run, d,
                        (GDestroyNotify) import_data_free);
}
