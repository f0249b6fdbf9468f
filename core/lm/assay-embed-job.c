/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embed-job.c: see assay-embed-job.h. Every text is tokenized first (so a bad line fails
 * before any weights load), then embedded chunk by chunk; an embedding does not depend on the
 * texts beside it, so a shard's lines equal those lines of one run. */
#include "assay-embed-job.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-error.h"
#include "assay-json.h"

void
assay_embed_file_options_clear (AssayEmbedFileOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->input, g_free);
  g_clear_pointer (&o->output, g_free);
  g_clear_pointer (&o->field, g_free);
  g_clear_pointer (&o->prefix, g_free);
  g_clear_pointer (&o->pooling, g_free);
  g_clear_pointer (&o->shard_out, g_free);
}

gboolean
assay_embed_encoder_options (AssayLmModel *model, const char *pooling, int normalize,
                             int max_tokens, const char *prefix, AssayEncoderOptions *out,
                             GError **error)
{
  if (!assay_encoder_folder_options (model, out, error))
    return FALSE;
  if (pooling != NULL && !assay_pooling_parse (pooling, &out->pooling))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "pooling “%s” is not cls, mean or last", pooling);
      return FALSE;
    }
  if (normalize >= 0)
    out->normalize = normalize != 0;
  out->max_tokens = max_tokens;
  out->prefix = prefix;
  return TRUE;
}

typedef struct
{
  JsonNode *id;
  GArray   *ids;
} Item;

static void
item_clear (Item *it)
{
  g_clear_pointer (&it->id, json_node_unref);
  g_clear_pointer (&it->ids, g_array_unref);
}

static gboolean
read_items (const char *path, const char *field, AssayEncoder *enc, GArray *items, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GDataInputStream) data = NULL;
  g_autoptr (GError) local = NULL;
  char  *line;
  gsize  len;
  guint  number = 0;

  if ((in = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR,
                   g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? ASSAY_ERROR_NOT_FOUND : ASSAY_ERROR_FAILED,
                   "%s: %s", path, local->message);
      return FALSE;
    }
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  while ((line = g_data_input_stream_read_line_utf8 (data, &len, NULL, &local)) != NULL)
    {
      g_autofree char *text = line;
      g_autoptr (GError) e = NULL;
      JsonObject *o;
      JsonNode   *id;
      const char *body;
      Item        it = { 0 };

      number++;
      if (*g_strstrip (text) == '\0')
        continue;
      if ((o = assay_json_object_from_string (text, &e)) == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number, e->message);
          return FALSE;
        }
      if (strstr (text, "\\u0000") != NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: the text holds a NUL character (\\u0000), which would cut it short", path, number);
          json_object_unref (o);
          return FALSE;
        }
      id = json_object_get_member (o, "id");
      body = assay_json_get_string (o, field, NULL);
      if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || body == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: field “%s” is missing or not %s", path, number,
                       id == NULL || !JSON_NODE_HOLDS_VALUE (id) ? "id" : field,
                       id == NULL || !JSON_NODE_HOLDS_VALUE (id) ? "a string or a number" : "a string");
          json_object_unref (o);
          return FALSE;
        }
      if ((it.ids = assay_encoder_tokenize (enc, body, &e)) == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number, e->message);
          json_object_unref (o);
          return FALSE;
        }
      it.id = json_node_copy (id);
      json_object_unref (o);
      g_array_append_val (items, it);
    }
  if (local != NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number + 1,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

/* {"id": ..., "embedding": [...]} with float32 values written to round-trip (9 digits). */
static char *
item_line (const Item *it, const float *v, int dim)
{
  GString         *s = g_string_new ("{\"id\":");
  g_autofree char *id = assay_json_node_to_string (it->id, FALSE);
  char             buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, id);
  g_string_append (s, ",\"embedding\":[");
  for (int j = 0; j < dim; j++)
    {
      if (j > 0)
        g_string_append_c (s, ',');
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.9g", v[j]));
    }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

gboolean
assay_embed_file (const AssayEmbedFileOptions *o, AssayBackend *backend,
                  void (*progress) (double, const char *, gpointer), gpointer progress_data,
                  GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayEncoder) enc = NULL;
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_autoptr (AssayShardWriter) writer = NULL;
  g_autoptr (AssayAtomicFile) file = NULL;
  g_autofree float *vectors = NULL;
  AssayEncoderOptions eo;
  sqlite3_stmt *stmt = NULL;
  AssayStore   *shard_store = NULL;
  guint         units, begin = 0, end, first, last;
  guint64       tokens = 0;
  gint64        t0;
  double        seconds;
  int           dim;
  JsonObject   *r;

  g_array_set_clear_func (items, (GDestroyNotify) item_clear);
  if ((model = assay_lm_model_open (o->model, error)) == NULL
      || !assay_embed_encoder_options (model, o->pooling, o->normalize, o->max_tokens, o->prefix, &eo, error))
    return FALSE;
  if (progress)
    progress (0.0, _("Loading weights"), progress_data);
  if ((enc = assay_encoder_new (model, backend, &eo, error)) == NULL)
    return FALSE;
  if (progress)
    progress (0.0, _("Tokenizing"), progress_data);
  if (!read_items (o->input, o->field != NULL ? o->field : "text", enc, items, error))
    return FALSE;
  dim = assay_encoder_dim (enc);
  units = (items->len + ASSAY_EMBED_CHUNK - 1) / ASSAY_EMBED_CHUNK;
  end = units;
  if (o->shard.n > 0)
    {
      g_autoptr (JsonObject) provenance = json_object_new ();
      JsonObject      *params = json_object_new ();
      g_autofree char *fp = NULL, *inputs = NULL;

      assay_shard_range (&o->shard, units, &begin, &end);
      json_object_set_object_member (provenance, "params", params);
      json_object_set_string_member (params, "model", o->model);
      json_object_set_string_member (params, "field", o->field != NULL ? o->field : "text");
      json_object_set_string_member (params, "prefix", eo.prefix != NULL ? eo.prefix : "");
      json_object_set_string_member (params, "pooling", assay_pooling_name (eo.pooling));
      json_object_set_boolean_member (params, "normalize", eo.normalize);
      json_object_set_int_member (params, "max_tokens", assay_encoder_max_tokens (enc));
      if ((fp = assay_shard_fingerprint_folder (o->model, error)) == NULL
          || (inputs = assay_shard_hash_file (o->input, error)) == NULL)
        return FALSE;
      json_object_set_string_member (provenance, "model_fingerprint", fp);
      json_object_set_string_member (provenance, "input_sha256", inputs);
      if ((writer = assay_shard_writer_new (o->shard_out, "embed", provenance, &o->shard, units,
                                            begin, end, error)) == NULL)
        return FALSE;
      shard_store = assay_shard_writer_get_store (writer);
      if (!assay_store_exec (shard_store,
                             "CREATE TABLE shard_lines (idx INTEGER PRIMARY KEY, line TEXT NOT NULL)", error)
          || (stmt = assay_store_prepare (shard_store, "INSERT INTO shard_lines (idx, line) VALUES (?, ?)",
                                          error)) == NULL)
        return FALSE;
    }
  else if ((file = assay_atomic_file_new (o->output, error)) == NULL)
    return FALSE;
  first = MIN (begin * ASSAY_EMBED_CHUNK, items->len);
  last = MIN (end * ASSAY_EMBED_CHUNK, items->len);
  vectors = g_new (float, (gsize) ASSAY_EMBED_CHUNK * dim);
  t0 = g_get_monotonic_time ();
  for (guint c0 = first; c0 < last; c0 += ASSAY_EMBED_CHUNK)
    {
      guint            c1 = MIN (c0 + ASSAY_EMBED_CHUNK, last);
      const int       *ids[ASSAY_EMBED_CHUNK];
      int              lens[ASSAY_EMBED_CHUNK];
      g_autofree char *message = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (guint k = c0; k < c1; k++)
        {
          Item *it = &g_array_index (items, Item, k);
          ids[k - c0] = (const int *) it->ids->data;
          lens[k - c0] = (int) it->ids->len;
          tokens += it->ids->len;
        }
      if (!assay_encoder_embed_ids (enc, ids, lens, (int) (c1 - c0), vectors, error))
        return FALSE;
      for (guint k = c0; k < c1; k++)
        {
          g_autofree char *line = item_line (&g_array_index (items, Item, k), vectors + (gsize) (k - c0) * dim, dim);
          if (stmt != NULL)
            {
              sqlite3_bind_int64 (stmt, 1, k);
              sqlite3_bind_text (stmt, 2, line, -1, SQLITE_TRANSIENT);
              if (!assay_store_step_done (shard_store, stmt, error))
                return FALSE;
            }
          else
            {
              fputs (line, assay_atomic_file_get_stream (file));
              fputc ('\n', assay_atomic_file_get_stream (file));
            }
        }
      message = g_strdup_printf (_("Embedded %u of %u texts"), c1 - first, last - first);
      if (progress)
        progress ((double) (c1 - first) / MAX (last - first, 1), message, progress_data);
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  r = json_object_new ();
  json_object_set_int_member (r, "texts", last - first);
  json_object_set_int_member (r, "tokens", (gint64) tokens);
  json_object_set_int_member (r, "dim", dim);
  json_object_set_string_member (r, "pooling", assay_pooling_name (eo.pooling));
  json_object_set_boolean_member (r, "normalize", eo.normalize);
  json_object_set_double_member (r, "seconds", seconds);
  json_object_set_double_member (r, "texts_per_second", seconds > 0 ? (last - first) / seconds : 0);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  if (writer != NULL)
    {
      *result = assay_shard_writer_finish_result (writer, r, error);
      json_object_unref (r);
      return *result != NULL;
    }
  if (!assay_atomic_file_commit (file, error))
    {
      json_object_unref (r);
      return FALSE;
    }
  json_object_set_string_member (r, "output", o->output);
  *result = r;
  return TRUE;
}

static gboolean
embed_run (AssayJob *job, gpointer user_data, GError **error)
{
  JsonObject *result = NULL;

  if (!assay_embed_file (user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                         assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayEmbedFileOptions *o)
{
  assay_embed_file_options_clear (o);
  g_free (o);
}

AssayJob *
assay_embed_file_job_new (const AssayEmbedFileOptions *options)
{
  AssayEmbedFileOptions *copy = g_new0 (AssayEmbedFileOptions, 1);
  g_autofree char       *base = g_path_get_basename (options->model);
  g_autofree char       *title = g_strdup_printf (_("Embed texts with %s"), base);

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->input = g_strdup (options->input);
  copy->output = g_strdup (options->output);
  copy->field = g_strdup (options->field);
  copy->prefix = g_strdup (options->prefix);
  copy->pooling = g_strdup (options->pooling);
  copy->shard_out = g_strdup (options->shard_out);
  return assay_job_new ("embed", title, ASSAY_JOB_LANE_COMPUTE, embed_run, copy,
                        (GDestroyNotify) options_free);
}
