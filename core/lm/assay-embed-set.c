/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embed-set.c: see assay-embed-set.h. A set is found by the hash of the model folder's
 * fingerprint and the settings, so other weights or settings make another set and never mix. */
#include "assay-embed-set.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-embed-job.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-shard.h"

void
assay_embed_set_options_clear (AssayEmbedSetOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->field, g_free);
  g_clear_pointer (&o->prefix, g_free);
  g_clear_pointer (&o->pooling, g_free);
}

#define XMTC_DOCUMENTS                                                                             \
  "SELECT id, CASE WHEN title IS NOT NULL AND text IS NOT NULL AND text != '' THEN title || char(10) || text "   \
  "ELSE coalesce (title, text, '') END FROM xmtc_documents WHERE dataset_id = ?"

static char *
text_hash (const char *text)
{
  g_autofree char *full = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  return g_strndup (full, 32);
}

typedef struct
{
  gint64 id;
  char  *text;
  char  *hash;
} Pending;

static void
pending_clear (Pending *p)
{
  g_free (p->text);
  g_free (p->hash);
}

/* The set's row, made when missing (another process making it at the same time is fine: the
 * row is made once); its dim and dtype must match the model's. */
static gint64
find_or_add_set (AssayStore *store, gint64 dataset, const char *key, const char *model,
                 const char *settings, int dim, const char *dtype, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "INSERT OR IGNORE INTO embedding_sets (dataset_id, key, model, settings, dim, dtype) "
                                                   "VALUES (?, ?, ?, ?, ?, ?)", error);
  gint64        id = -1;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, settings, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 5, dim);
  sqlite3_bind_text (stmt, 6, dtype, -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (store, stmt, error)
      || (stmt = assay_store_prepare (store, "SELECT id, dim, dtype FROM embedding_sets WHERE dataset_id = ? AND key = ?",
                                      error)) == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (sqlite3_column_int (stmt, 1) != dim || g_strcmp0 ((const char *) sqlite3_column_text (stmt, 2), dtype) != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Embedding set %" G_GINT64_FORMAT " holds vectors of another width or type"), id);
          id = -1;
        }
    }
  else
    assay_store_set_error (store, error, "embedding_sets");
  sqlite3_reset (stmt);
  return id;
}

gboolean
assay_embed_set_update (AssayStore *store, const AssayEmbedSetOptions *o, AssayBackend *backend,
                        void (*progress) (double, const char *, gpointer), gpointer progress_data,
                        GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayEncoder) enc = NULL;
  g_autoptr (GArray) pending = g_array_new (FALSE, TRUE, sizeof (Pending));
  g_array_set_clear_func (pending, (GDestroyNotify) pending_clear);
  g_autoptr (GHashTable) have = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr (GArray) emptied = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (JsonObject) settings = json_object_new ();
  g_autofree char *area = NULL, *fingerprint = NULL, *settings_text = NULL, *key_text = NULL, *key = NULL;
  g_autofree float *vectors = NULL;
  g_autofree guint16 *half = NULL;
  const char   *field = o->field != NULL ? o->field : "text";
  const char   *items;
  AssayEncoderOptions eo;
  sqlite3_stmt *stmt;
  gint64        set, t0 = g_get_monotonic_time ();
  guint         records = 0, without = 0, done = 0;
  int           dim, rc;
  JsonObject   *r;

  if (!assay_store_get_dataset (store, o->dataset, &area, NULL, error))
    return FALSE;
  if (g_str_equal (area, "gen") && g_str_equal (field, "text"))
    items = "SELECT id, coalesce (edited, text) FROM gen_records WHERE dataset_id = ? ORDER BY id";
  else if (g_str_equal (area, "gen") && g_str_equal (field, "prompt"))
    items = "SELECT id, prompt FROM gen_records WHERE dataset_id = ? ORDER BY id";
  else if (g_str_equal (area, "xmtc") && (g_str_equal (field, "text") || g_str_equal (field, "test")))
    /* a document is its title and text, as the Labels page reads it */
    items = g_str_equal (field, "test") ? XMTC_DOCUMENTS " AND split = 'test' ORDER BY id" : XMTC_DOCUMENTS " ORDER BY id";
  else if (g_str_equal (area, "gen") || g_str_equal (area, "xmtc"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("The field to embed is text or prompt (generations), text or test (labels), not “%s”"), field);
      return FALSE;
    }
  else
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Dataset %" G_GINT64_FORMAT " holds %s data; generations and labelled documents have embeddings"),
                   o->dataset, area);
      return FALSE;
    }
  if ((model = assay_lm_model_open (o->model, error)) == NULL
      || !assay_embed_encoder_options (model, o->pooling, o->normalize, o->max_tokens, o->prefix, &eo, error)
      || (fingerprint = assay_shard_fingerprint_folder (o->model, error)) == NULL)
    return FALSE;
  dim = assay_lm_model_config (model)->hidden;
  json_object_set_string_member (settings, "field", field);
  json_object_set_string_member (settings, "prefix", eo.prefix != NULL ? eo.prefix : "");
  json_object_set_string_member (settings, "pooling", assay_pooling_name (eo.pooling));
  json_object_set_boolean_member (settings, "normalize", eo.normalize);
  json_object_set_int_member (settings, "max_tokens", o->max_tokens);
  settings_text = assay_json_object_to_string (settings, FALSE);
  key_text = g_strconcat (fingerprint, "\n", settings_text, "\n", o->f16 ? "f16" : "f32", NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key_text, -1);

  if (!assay_store_begin (store, error))
    return FALSE;
  if ((set = find_or_add_set (store, o->dataset, key, o->model, settings_text, dim, o->f16 ? "f16" : "f32", error)) < 0
      || !assay_store_commit (store, error))
    {
      assay_store_rollback (store);
      return FALSE;
    }
  /* what the set holds already */
  if ((stmt = assay_store_prepare (store, "SELECT item_id, text_hash FROM embeddings WHERE set_id = ?", error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, set);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (have, g_memdup2 (&(gint64) { sqlite3_column_int64 (stmt, 0) }, sizeof (gint64)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "embeddings");
  if ((stmt = assay_store_prepare (store, items, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, o->dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64      id = sqlite3_column_int64 (stmt, 0);
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      const char *old;
      Pending     p;

      records++;
      if (text == NULL || *text == '\0')
        {
          without++;
          if (g_hash_table_contains (have, &id))
            g_array_append_val (emptied, id); /* its text was taken away since: so goes its vector */
          continue;
        }
      p.hash = text_hash (text);
      old = g_hash_table_lookup (have, &id);
      if (old != NULL && g_str_equal (old, p.hash))
        {
          g_free (p.hash);
          continue;
        }
      p.id = id;
      p.text = g_strdup (text);
      g_array_append_val (pending, p);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "records");

  if (pending->len > 0)
    {
      if (progress)
        progress (0.0, _("Loading weights"), progress_data);
      if ((enc = assay_encoder_new (model, backend, &eo, error)) == NULL)
        return FALSE;
      vectors = g_new (float, (gsize) ASSAY_EMBED_CHUNK * dim);
      half = g_new (guint16, dim);
    }
  for (guint c0 = 0; c0 < pending->len; c0 += ASSAY_EMBED_CHUNK)
    {
      guint             c1 = MIN (c0 + ASSAY_EMBED_CHUNK, pending->len);
      const char       *texts[ASSAY_EMBED_CHUNK];
      g_autofree char  *message = NULL;
      g_autoptr (GError) local = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (guint k = c0; k < c1; k++)
        texts[k - c0] = g_array_index (pending, Pending, k).text;
      if (!assay_encoder_embed (enc, texts, (int) (c1 - c0), vectors, &local))
        {
          /* the encoder names no record: say which chunk failed */
          g_set_error (error, ASSAY_ERROR, local->code, _("Records %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ": %s"),
                       g_array_index (pending, Pending, c0).id, g_array_index (pending, Pending, c1 - 1).id,
                       local->message);
          return FALSE;
        }
      if (!assay_store_begin (store, error))
        return FALSE;
      stmt = assay_store_prepare (store, "INSERT OR REPLACE INTO embeddings (set_id, item_id, text_hash, vector) "
                                         "VALUES (?, ?, ?, ?)", error);
      for (guint k = c0; stmt != NULL && k < c1; k++)
        {
          Pending     *p = &g_array_index (pending, Pending, k);
          const float *v = vectors + (gsize) (k - c0) * dim;
          sqlite3_bind_int64 (stmt, 1, set);
          sqlite3_bind_int64 (stmt, 2, p->id);
          sqlite3_bind_text (stmt, 3, p->hash, -1, SQLITE_TRANSIENT);
          if (o->f16)
            {
              for (int j = 0; j < dim; j++)
                half[j] = GUINT16_TO_LE (assay_f32_to_f16 (v[j]));
              sqlite3_bind_blob (stmt, 4, half, dim * 2, SQLITE_TRANSIENT);
            }
          else
            sqlite3_bind_blob (stmt, 4, v, dim * 4, SQLITE_TRANSIENT);
          if (!assay_store_step_done (store, stmt, error))
            stmt = NULL;
        }
      if (stmt == NULL || !assay_store_commit (store, error))
        {
          assay_store_rollback (store);
          return FALSE;
        }
      done = c1;
      message = g_strdup_printf (_("Embedded %u of %u records"), done, pending->len);
      if (progress)
        progress ((double) done / pending->len, message, progress_data);
    }
  /* vectors of records deleted since, and the set's bookkeeping */
  if (!assay_store_begin (store, error))
    return FALSE;
  if ((stmt = assay_store_prepare (store, g_str_equal (area, "gen")
                                            ? "DELETE FROM embeddings WHERE set_id = ?1 AND item_id NOT IN "
                                              "(SELECT id FROM gen_records WHERE dataset_id = ?2)"
                                            : "DELETE FROM embeddings WHERE set_id = ?1 AND item_id NOT IN "
                                              "(SELECT id FROM xmtc_documents WHERE dataset_id = ?2)", error)) == NULL)
    goto failed;
  sqlite3_bind_int64 (stmt, 1, set);
  sqlite3_bind_int64 (stmt, 2, o->dataset);
  if (!assay_store_step_done (store, stmt, error))
    goto failed;
  for (guint k = 0; k < emptied->len; k++)
    {
      if ((stmt = assay_store_prepare (store, "DELETE FROM embeddings WHERE set_id = ? AND item_id = ?", error)) == NULL)
        goto failed;
      sqlite3_bind_int64 (stmt, 1, set);
      sqlite3_bind_int64 (stmt, 2, g_array_index (emptied, gint64, k));
      if (!assay_store_step_done (store, stmt, error))
        goto failed;
    }
  if ((stmt = assay_store_prepare (store, "UPDATE embedding_sets SET updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
                                          "backend = coalesce (?2, backend) WHERE id = ?1", error)) == NULL)
    goto failed;
  sqlite3_bind_int64 (stmt, 1, set);
  if (pending->len > 0)
    sqlite3_bind_text (stmt, 2, assay_backend_describe (backend), -1, SQLITE_TRANSIENT);
  if (!assay_store_step_done (store, stmt, error) || !assay_store_commit (store, error))
    goto failed;
  assay_store_emit_changed (store, "embeddings");

  r = json_object_new ();
  json_object_set_int_member (r, "set", set);
  json_object_set_int_member (r, "dataset", o->dataset);
  json_object_set_string_member (r, "model", o->model);
  json_object_set_int_member (r, "records", records);
  json_object_set_int_member (r, "embedded", done);
  json_object_set_int_member (r, "reused", records - without - pending->len);
  json_object_set_int_member (r, "without_text", without);
  json_object_set_int_member (r, "dim", dim);
  json_object_set_string_member (r, "dtype", o->f16 ? "f16" : "f32");
  json_object_set_string_member (r, "pooling", assay_pooling_name (eo.pooling));
  json_object_set_boolean_member (r, "normalize", eo.normalize);
  json_object_set_double_member (r, "seconds", (g_get_monotonic_time () - t0) / 1e6);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  *result = r;
  return TRUE;

failed:
  assay_store_rollback (store);
  return FALSE;
}

gboolean
assay_embed_texts (const AssayEmbedSetOptions *o, const char *prefix, AssayBackend *backend,
                   const char *const *texts, int n, float *out, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayEncoder) enc = NULL;
  AssayEncoderOptions eo;

  if ((model = assay_lm_model_open (o->model, error)) == NULL
      || !assay_embed_encoder_options (model, o->pooling, o->normalize, o->max_tokens,
                                       prefix != NULL ? prefix : o->prefix, &eo, error)
      || (enc = assay_encoder_new (model, backend, &eo, error)) == NULL)
    return FALSE;
  return assay_encoder_embed (enc, texts, n, out, error);
}

static gboolean
set_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_embed_set_update (store, user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                                  assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayEmbedSetOptions *o)
{
  assay_embed_set_options_clear (o);
  g_free (o);
}

AssayJob *
assay_embed_set_job_new (const AssayEmbedSetOptions *options)
{
  AssayEmbedSetOptions *copy = g_new0 (AssayEmbedSetOptions, 1);
  g_autofree char      *base = g_path_get_basename (options->model);
  g_autofree char      *title = g_strdup_printf (_("Embed records with %s"), base);

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->field = g_strdup (options->field);
  copy->prefix = g_strdup (options->prefix);
  copy->pooling = g_strdup (options->pooling);
  return assay_job_new ("embed", title, ASSAY_JOB_LANE_COMPUTE, set_run, copy, (GDestroyNotify) options_free);
}
