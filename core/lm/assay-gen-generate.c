/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-generate.c: see assay-gen-generate.h. */
#include "assay-gen-generate.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-gen-prompts.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-llminer.h"
#include "assay-lm-generator.h"
#include "assay-lm-prompt.h"
#include "assay-lm-provenance.h"

void
assay_gen_generate_options_clear (AssayGenGenerateOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->template_name, g_free);
  g_clear_pointer (&o->filter, assay_gen_filter_free);
  g_clear_pointer (&o->shard_out, g_free);
}

/* SHA-256 of what a template is filled from in a record (its texts; not its scores, which a
 * judge changes). */
static char *
record_hash (AssayStore *store, gint64 id, GError **error)
{
  return assay_store_hash_rows (store, "SELECT kind, source, highlight, condition, prompt, text, rejected, "
                                "steps, answer FROM gen_records WHERE id = ?", &id, 1, error);
}

/* A shard keeps the records it was made from (id and record_hash), for merge to check, and the
 * judge's ratings, which one run writes into those records. */
static gboolean
shard_tables (AssayStore *out, GError **error)
{
  return assay_store_exec (out,
                           "CREATE TABLE shard_sources (record_id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL);"
                           "CREATE TABLE shard_ratings (record_id INTEGER PRIMARY KEY, rating INTEGER NOT NULL);",
                           error);
}

static gboolean
shard_source (AssayStore *store, AssayStore *out, gint64 id, GError **error)
{
  g_autofree char *hash = record_hash (store, id, error);
  sqlite3_stmt    *stmt;

  if (hash == NULL
      || (stmt = assay_store_prepare (out, "INSERT INTO shard_sources (record_id, sha256) VALUES (?, ?)",
                                      error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_TRANSIENT);
  return assay_store_step_done (out, stmt, error);
}

gboolean
assay_gen_generate_merge (AssayMergeContext *ctx, GError **error)
{
  for (guint i = 0; i < ctx->n_shards; i++)
    {
      AssayShardFile *shard = ctx->shards[i];
      sqlite3_stmt   *stmt = NULL;
      int             rc;

      /* the records answered must be this workspace's, as they were */
      if (sqlite3_prepare_v2 (shard->db, "SELECT record_id, sha256 FROM shard_sources ORDER BY record_id",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: %s"), shard->path,
                       sqlite3_errmsg (shard->db));
          return FALSE;
        }
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64           id = sqlite3_column_int64 (stmt, 0);
          g_autoptr (GError) local = NULL;
          g_autofree char *now = record_hash (ctx->store, id, &local);
          if (now == NULL || g_strcmp0 (now, (const char *) sqlite3_column_text (stmt, 1)) != 0)
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           _("“%s” was made from record %" G_GINT64_FORMAT ", which this workspace "
                             "no longer holds as it was"),
                           shard->path, id);
              sqlite3_finalize (stmt);
              return FALSE;
            }
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: reading its sources failed"),
                       shard->path);
          return FALSE;
        }
      /* the judge's ratings, into the records' scores as one run writes them */
      if (sqlite3_prepare_v2 (shard->db, "SELECT record_id, rating FROM shard_ratings ORDER BY record_id",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: %s"), shard->path,
                       sqlite3_errmsg (shard->db));
          return FALSE;
        }
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          g_autoptr (AssayGenRecord) rec = assay_gen_record_load (ctx->store, sqlite3_column_int64 (stmt, 0), error);
          g_autofree char *answer = g_strdup_printf ("%d", sqlite3_column_int (stmt, 1));
          gint64   unused = 0;
          gboolean was_rating;
          if (rec == NULL
              || !assay_gen_store_answer (ctx->store, assay_json_get_string (ctx->provenance, "template", ""),
                                          rec, answer, NULL, NULL, NULL, NULL, NULL, &unused, &was_rating,
                                          error))
            {
              sqlite3_finalize (stmt);
              return FALSE;
            }
        }
      sqlite3_finalize (stmt);
    }
  /* the answers that are records: into one dataset */
  return assay_merge_records (ctx, 0, "records", error);
}

gboolean
assay_gen_generate (AssayStore *store, const AssayGenGenerateOptions *o, AssayBackend *backend,
                    void (*progress) (double, const char *, gpointer), gpointer progress_data,
                    GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autofree char *body = NULL, *model_name = NULL, *dataset_name = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmPrompt) prompter = NULL;
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (JsonObject) base = NULL;
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_gen_record_free);
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  const AssayLmConfig *c;
  AssayLmGenerateOptions go = { 0 };
  gboolean judge;
  gint64   dataset = 0, t0;
  guint64  tokens = 0;
  AssayLmProgress step = { 0 };
  guint    made = 0, rated = 0, unrated = 0, first = 0, last;
  int      n, per_group;
  gboolean sharded = o->shard.n > 0;
  g_autoptr (AssayShardWriter) writer = NULL;
  AssayStore *out = store;
  double   seconds;
  JsonObject *r;

  if (g_strcmp0 (o->template_name, ASSAY_LLMINER_CHAIN) == 0)
    {
      if (sharded)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       _("The LLMiner chain does not run in shards: its stages batch across all the "
                         "passages. Run its single-template steps (llminer-questions, "
                         "llminer-answer) in shards instead"));
          return FALSE;
        }
      return assay_llminer_run (store, o, backend, progress, progress_data, cancellable, result, error);
    }
  if ((body = assay_gen_template_get (store, o->template_name, error)) == NULL)
    return FALSE;
  judge = assay_gen_template_is_judge (o->template_name);
  n = judge ? 1 : o->n;
  if (n < 1 || o->max_tokens < 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Answers per record and new tokens must be at least 1"));
      return FALSE;
    }
  if (!assay_sampling_check (&o->sampling, error))
    return FALSE;
  if ((ids = assay_gen_query_ids (store, o->filter, error)) == NULL)
    return FALSE;
  if (o->limit > 0 && ids->len > (guint) o->limit)
    g_array_set_size (ids, o->limit);
  if (ids->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO, _("No records selected"));
      return FALSE;
    }
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL)
    return FALSE;
  c = assay_lm_model_config (model);
  if ((prompter = assay_lm_prompt_new (model, o->chat, error)) == NULL)
    return FALSE;

  /* every prompt first: a record the template cannot be filled from fails before any work */
  if (progress != NULL)
    progress (0.0, _("Filling the template"), progress_data);
  for (guint i = 0; i < ids->len; i++)
    {
      AssayGenRecord  *rec = assay_gen_record_load (store, g_array_index (ids, gint64, i), error);
      g_autofree char *text = NULL;
      GArray          *p;

      if (rec == NULL)
        return FALSE;
      g_ptr_array_add (records, rec);
      text = assay_gen_render (store, body, rec);
      if ((p = assay_lm_prompt_encode (prompter, text, error)) == NULL)
        {
          g_prefix_error (error, _("Record %" G_GINT64_FORMAT ": "), rec->id);
          return FALSE;
        }
      g_ptr_array_add (prompts, p);
      if (!assay_lm_generator_fits (c, (int) p->len, o->max_tokens, error))
        {
          g_prefix_error (error, _("Record %" G_GINT64_FORMAT ": "), rec->id);
          return FALSE;
        }
    }

  if (progress != NULL)
    progress (0.0, _("Loading weights"), progress_data);
  go.sampling = o->sampling;
  go.n = n;
  go.max_tokens = o->max_tokens;
  go.eos = c->eos_ids;
  go.n_eos = c->n_eos;
  go.max_batch = o->max_batch;
  {
    g_autofree int *lens = g_new (int, prompts->len);
    for (guint i = 0; i < prompts->len; i++)
      lens[i] = (int) ((GArray *) prompts->pdata[i])->len;
    if (!assay_lm_model_upload (model, backend,
                                assay_lm_generator_peak_memory (c, lens, (int) prompts->len, &go), error))
      return FALSE;
  }
  gen = assay_lm_generator_new (model);
  base = assay_lm_provenance_new (o->model, o->template_name, &o->sampling, o->max_tokens, o->seed, o->chat);
  {
    g_autofree char *tmpl = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);
    json_object_set_string_member (base, "template_sha256", tmpl);
  }
  model_name = g_path_get_basename (o->model);
  dataset_name = g_strdup_printf (_("%s by %s"), o->template_name, model_name);
  per_group = MAX (1, (o->max_batch > 0 ? o->max_batch : 64) / n);
  last = records->len;
  if (sharded)
    {
      /* whole groups of records, each generated as in one run (its seed is its place in the run) */
      guint n_groups = (records->len + (guint) per_group - 1) / (guint) per_group, b0, b1;
      g_autoptr (JsonObject) provenance = json_object_new ();
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autofree char *fp = assay_shard_fingerprint_folder (o->model, error);
      JsonObject *params;

      if (fp == NULL)
        return FALSE;
      assay_shard_range (&o->shard, n_groups, &b0, &b1);
      first = b0 * (guint) per_group;
      last = MIN (records->len, b1 * (guint) per_group);
      for (guint i = 0; i < prompts->len; i++)
        {
          GArray *p = prompts->pdata[i];
          gint64  id = ((AssayGenRecord *) records->pdata[i])->id;
          g_checksum_update (sum, (const guchar *) &id, sizeof id);
          g_checksum_update (sum, (const guchar *) p->data, p->len * sizeof (int));
        }
      params = assay_lm_provenance_copy (base);
      json_object_set_int_member (params, "n", n);
      json_object_set_int_member (params, "max_batch", o->max_batch);
      json_object_set_object_member (provenance, "params", params);
      json_object_set_string_member (provenance, "template", o->template_name);
      json_object_set_string_member (provenance, "model_fingerprint", fp);
      json_object_set_string_member (provenance, "prompts_sha256", g_checksum_get_string (sum));
      if ((writer = assay_shard_writer_new (o->shard_out, "gen generate", provenance, &o->shard, n_groups,
                                            b0, b1, error)) == NULL)
        return FALSE;
      out = assay_shard_writer_get_store (writer);
      if (!shard_tables (out, error))
        return FALSE;
      for (guint i = first; i < last; i++)
        if (!shard_source (store, out, ((AssayGenRecord *) records->pdata[i])->id, error))
          return FALSE;
    }
  t0 = g_get_monotonic_time ();
  step = (AssayLmProgress) { progress, progress_data, (last - first) * (guint) n, t0, 0, 0 };

  /* groups of records: generate, then store that group's answers in one transaction */
  for (guint g0 = first; g0 < last; g0 += per_group)
    {
      guint             g1 = MIN (last, g0 + per_group), np = g1 - g0;
      g_autofree const int **pp = g_new (const int *, np);
      g_autofree int   *lens = g_new (int, np);
      AssayLmCandidate *cands = g_new0 (AssayLmCandidate, (gsize) np * n);
      gboolean          ok, begun;

      for (guint i = 0; i < np; i++)
        {
          GArray *p = prompts->pdata[g0 + i];
          pp[i] = (const int *) p->data;
          lens[i] = (int) p->len;
        }
      /* the seed of a record's answers: the run's seed and its place in the run */
      go.seed = o->seed + g0;
      step.done = (g0 - first) * (guint) n;
      step.before = tokens;
      ok = assay_lm_generator_run (gen, pp, lens, (int) np, &go, cands, assay_lm_progress_step, &step,
                                   cancellable, error);
      begun = ok && assay_store_begin (out, error);
      ok = begun;
      for (guint i = 0; ok && i < np; i++)
        for (int k = 0; ok && k < n; k++)
          {
            AssayGenRecord  *rec = records->pdata[g0 + i];
            AssayLmCandidate *cand = &cands[i * n + k];
            g_autoptr (JsonObject) params = assay_lm_provenance_copy (base);
            g_autoptr (GError) local = NULL;
            g_autofree char *ext = g_strdup_printf ("%" G_GINT64_FORMAT ":%s:%d", rec->id, o->template_name, k);
            gboolean was_rating = FALSE;

            json_object_set_int_member (params, "seed", (gint64) go.seed);
            json_object_set_int_member (params, "candidate", k);
            json_object_set_string_member (params, "finish_reason", assay_lm_finish_name (cand->finish));
            json_object_set_int_member (params, "tokens", cand->ids->len);
            tokens += cand->ids->len;
            if (sharded && judge)
              {
                /* the rating goes into the record when merged */
                int rating = assay_gen_parse_rating (cand->text != NULL ? cand->text : "");
                sqlite3_stmt *stmt;
                if (rating == 0)
                  unrated++;
                else if ((stmt = assay_store_prepare (out, "INSERT INTO shard_ratings (record_id, rating) "
                                                           "VALUES (?, ?)", error)) == NULL)
                  ok = FALSE;
                else
                  {
                    sqlite3_bind_int64 (stmt, 1, rec->id);
                    sqlite3_bind_int (stmt, 2, rating);
                    ok = assay_store_step_done (out, stmt, error);
                    rated += ok;
                  }
              }
            else if (!assay_gen_store_answer (out, o->template_name, rec, cand->text != NULL ? cand->text : "",
                                         ext, model_name, params, dataset_name, o->model, &dataset,
                                         &was_rating, &local))
              {
                if (judge && g_error_matches (local, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT))
                  unrated++; /* the judge gave no rating: the record keeps none */
                else
                  {
                    g_propagate_error (error, g_steal_pointer (&local));
                    ok = FALSE;
                  }
              }
            else if (was_rating)
              rated++;
            else
              made++;
          }
      for (guint j = 0; j < np * (guint) n; j++)
        assay_lm_candidate_clear (&cands[j]);
      g_free (cands);
      if (ok)
        ok = assay_store_commit (out, error);
      else if (begun)
        assay_store_rollback (out);
      if (!ok)
        return FALSE;
      assay_store_emit_changed (out, "gen_records");
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  r = json_object_new ();
  if (sharded)
    {
      json_object_set_int_member (r, "records", made);
      json_object_set_int_member (r, "rated", rated);
      json_object_set_int_member (r, "unrated", unrated);
      json_object_set_int_member (r, "prompts", last - first);
      json_object_set_int_member (r, "tokens", (gint64) tokens);
      json_object_set_double_member (r, "seconds", seconds);
      json_object_set_string_member (r, "backend", assay_backend_describe (backend));
      *result = assay_shard_writer_finish_result (writer, r, error);
      json_object_unref (r);
      return *result != NULL;
    }
  json_object_set_int_member (r, "dataset", dataset);
  json_object_set_int_member (r, "records", made);
  json_object_set_int_member (r, "rated", rated);
  json_object_set_int_member (r, "unrated", unrated);
  json_object_set_int_member (r, "prompts", records->len);
  json_object_set_int_member (r, "tokens", (gint64) tokens);
  json_object_set_double_member (r, "seconds", seconds);
  json_object_set_double_member (r, "tokens_per_second", seconds > 0 ? tokens / seconds : 0);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  json_object_set_string_member (r, "model", o->model);
  json_object_set_string_member (r, "template", o->template_name);
  *result = r;
  return TRUE;
}

static gboolean
generate_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayGenGenerateOptions *o = user_data;
  g_autoptr (AssayStore) reader = NULL;
  AssayStore *store = o->shard.n > 0 ? (reader = assay_store_open_reader (assay_job_get_workspace (job), error))
                                     : assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_gen_generate (store, user_data, assay_job_get_backend (job), assay_job_progress_func,
                              job, assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayGenGenerateOptions *o)
{
  assay_gen_generate_options_clear (o);
  g_free (o);
}

AssayJob *
assay_gen_generate_job_new (const AssayGenGenerateOptions *options)
{
  AssayGenGenerateOptions *copy = g_new0 (AssayGenGenerateOptions, 1);
  g_autofree char *base = g_path_get_basename (options->model);
  g_autofree char *title = g_strdup_printf (_("%s with %s"), options->template_name, base);
  AssayJob *job;

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->template_name = g_strdup (options->template_name);
  copy->filter = options->filter != NULL ? assay_gen_filter_dup (options->filter) : NULL;
  copy->shard_out = g_strdup (options->shard_out);
  job = assay_job_new ("gen-generate", title, ASSAY_JOB_LANE_COMPUTE, generate_run, copy,
                       (GDestroyNotify) options_free);
  assay_job_set_reads_only (job, options->shard.n > 0);
  return job;
}
