/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-sample.c: see assay-trace-sample.h. Everything is written in one transaction at
 * the end: a failed or cancelled run leaves neither candidates nor pairs. */
#include "assay-trace-sample.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-credit.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-generator.h"
#include "assay-lm-prompt.h"
#include "assay-lm-provenance.h"
#include "assay-trace-credit.h"

void
assay_trace_sample_options_clear (AssayTraceSampleOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->shard_out, g_free);
}

char *
assay_trace_sample_prompt (const char *question)
{
  return g_strdup_printf ("%s\n\n%s\n\n", question, ASSAY_TRACE_SAMPLE_INSTRUCTION);
}

typedef struct
{
  char *question;
  char *truth;
} Question;

static void
question_clear (Question *q)
{
  g_free (q->question);
  g_free (q->truth);
}

/* Questions in order of first appearance, with their ground truth when one is known. */
static gboolean
read_questions (AssayStore *store, gint64 dataset, GArray *out, guint *no_truth, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  sqlite3_stmt *stmt = assay_store_prepare (
    store,
    "SELECT prompt, answer, text, correct FROM gen_records WHERE kind = 'trace' AND prompt IS NOT NULL "
    "AND (?1 = 0 OR dataset_id = ?1) AND " ASSAY_DATASET_VISIBLE ("dataset_id") " ORDER BY id",
    error);
  guint kept = 0;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *prompt = (const char *) sqlite3_column_text (stmt, 0);
      const char *answer = (const char *) sqlite3_column_text (stmt, 1);
      const char *text = (const char *) sqlite3_column_text (stmt, 2);
      gboolean    correct = sqlite3_column_type (stmt, 3) != SQLITE_NULL && sqlite3_column_int (stmt, 3) == 1;
      gpointer    index;
      Question   *q;

      if (!g_hash_table_lookup_extended (seen, prompt, NULL, &index))
        {
          Question nq = { g_strdup (prompt), NULL };
          g_array_append_val (out, nq);
          index = GUINT_TO_POINTER (out->len);
          g_hash_table_insert (seen, g_array_index (out, Question, out->len - 1).question, index);
        }
      q = &g_array_index (out, Question, GPOINTER_TO_UINT (index) - 1);
      if (q->truth == NULL && answer != NULL && *answer != '\0')
        q->truth = g_strdup (answer);
      else if (q->truth == NULL && correct && text != NULL)
        q->truth = assay_answer_extract (text, NULL);
    }
  sqlite3_reset (stmt);
  /* keep those with a ground truth, in order */
  *no_truth = 0;
  for (guint i = 0; i < out->len; i++)
    {
      Question *q = &g_array_index (out, Question, i);
      if (q->truth == NULL)
        {
          (*no_truth)++;
          question_clear (q);
          continue;
        }
      g_array_index (out, Question, kept++) = *q;
    }
  /* the tail holds moved copies: shrink without clearing them */
  g_array_set_clear_func (out, NULL);
  g_array_set_size (out, kept);
  g_array_set_clear_func (out, (GDestroyNotify) question_clear);
  return TRUE;
}

/* A candidate's steps: its paragraphs (blank-line separated), else its lines. */
static char *
steps_json (const char *text)
{
  g_auto (GStrv) parts = g_regex_split_simple ("\\n\\s*\\n", text, 0, 0);
  g_autoptr (JsonArray) a = json_array_new ();
  g_autoptr (JsonNode) node = NULL;

  if (g_strv_length (parts) <= 1)
    {
      g_strfreev (parts);
      parts = g_strsplit (text, "\n", -1);
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *s = g_strstrip (g_strdup (parts[i]));
      if (*s != '\0')
        json_array_add_string_element (a, s);
    }
  node = json_node_init_array (json_node_alloc (), a);
  return assay_json_node_to_string (node, FALSE);
}

static JsonObject *
params_of (const AssayTraceSampleOptions *o, int candidate, const char *finish, guint tokens)
{
  JsonObject *p = assay_lm_provenance_new (o->model, "traces-sample", &o->sampling, o->max_tokens,
                                           o->seed, o->chat);

  if (candidate >= 0)
    json_object_set_int_member (p, "candidate", candidate);
  if (finish != NULL)
    {
      json_object_set_string_member (p, "finish_reason", finish);
      json_object_set_int_member (p, "tokens", tokens);
    }
  return p;
}

static gboolean
insert (sqlite3_stmt *stmt, AssayStore *store, gint64 dataset, const char *ext, const char *kind,
        const char *prompt, const char *text, const char *rejected, const char *model,
        JsonObject *params, const char *steps, const char *truth, int correct, GError **error)
{
  g_autofree char *p = assay_json_object_to_string (params, FALSE);

  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, ext, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, prompt, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, rejected, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, p, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 9, steps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 10, truth, -1, SQLITE_TRANSIENT);
  if (correct < 0)
    sqlite3_bind_null (stmt, 11);
  else
    sqlite3_bind_int (stmt, 11, correct);
  return assay_store_step_done (store, stmt, error);
}

#define INSERT_SQL                                                                                 \
  "INSERT INTO gen_records (dataset_id, ext_id, kind, prompt, text, rejected, model, params, "   \
  "steps, answer, correct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* first: the index of questions[0] among the run's questions (a shard's), for the records'
 * names and the draw of each question's pairs */
static gboolean
store_from (AssayStore *store, const AssayTraceSampleOptions *o, guint first,
            const char *const *questions, const char *const *truths, guint n_questions,
            const char *const *texts, const char *const *finish, const guint *tokens,
            AssayTraceSampleStored *out, GError **error)
{
  g_autofree char *model_name = g_path_get_basename (o->model);
  g_autofree char *name = g_strdup_printf (_("%d candidates by %s"), o->n, model_name);
  sqlite3_stmt    *stmt;
  gboolean         ok;

  memset (out, 0, sizeof *out);
  if (!assay_store_begin (store, error))
    return FALSE;
  ok = (out->dataset = assay_store_add_dataset (store, "gen", name, o->model, NULL, error)) != 0
       && (stmt = assay_store_prepare (store, INSERT_SQL, error)) != NULL;
  for (guint i = 0; ok && i < n_questions; i++)
    {
      g_autofree gboolean *correct = g_new (gboolean, o->n);
      g_autoptr (GArray) drawn = NULL;

      for (int k = 0; ok && k < o->n; k++)
        {
          const char      *text = texts[i * o->n + k];
          g_autofree char *extracted = assay_answer_extract (text, NULL);
          g_autofree char *steps = steps_json (text);
          g_autofree char *ext = g_strdup_printf ("q%u:%d", first + i + 1, k);
          g_autoptr (JsonObject) params = params_of (o, k, finish != NULL ? finish[i * o->n + k] : NULL,
                                                     tokens != NULL ? tokens[i * o->n + k] : 0);
          correct[k] = extracted != NULL && assay_answer_equal (extracted, truths[i]);
          out->correct += correct[k];
          ok = insert (stmt, store, out->dataset, ext, "trace", questions[i], text, NULL, model_name,
                       params, steps, truths[i], correct[k], error);
        }
      drawn = assay_credit_pairs (correct, o->n, o->seed + first + i, 3);
      for (guint p = 0; ok && p < drawn->len / 2; p++)
        {
          int w = g_array_index (drawn, int, 2 * p), l = g_array_index (drawn, int, 2 * p + 1);
          g_autofree char *ext = g_strdup_printf ("q%u:%d>%d", first + i + 1, w, l);
          g_autoptr (JsonObject) params = params_of (o, -1, NULL, 0);
          if (out->pairs_dataset == 0)
            {
              g_autofree char *pname = g_strdup_printf (_("DPO pairs of %s"), name);
              if ((out->pairs_dataset = assay_store_add_dataset (store, "gen", pname, o->model, NULL, error)) == 0)
                {
                  ok = FALSE;
                  break;
                }
            }
          json_object_set_int_member (params, "chosen_candidate", w);
          json_object_set_int_member (params, "rejected_candidate", l);
          ok = insert (stmt, store, out->pairs_dataset, ext, "pair", questions[i], texts[i * o->n + w],
                       texts[i * o->n + l], model_name, params, NULL, truths[i], -1, error);
          out->pairs++;
        }
    }
  ok = ok && assay_store_commit (store, error);
  if (!ok)
    {
      assay_store_rollback (store);
      memset (out, 0, sizeof *out);
      return FALSE;
    }
  assay_store_emit_changed (store, "gen_records");
  return TRUE;
}

gboolean
assay_trace_sample_store (AssayStore *store, const AssayTraceSampleOptions *o,
                          const char *const *questions, const char *const *truths, guint n_questions,
                          const char *const *texts, const char *const *finish, const guint *tokens,
                          AssayTraceSampleStored *out, GError **error)
{
  return store_from (store, o, 0, questions, truths, n_questions, texts, finish, tokens, out, error);
}

/* SHA-256 of the questions asked and their ground truths, in order. */
static char *
questions_hash (GArray *qs)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < qs->len; i++)
    {
      Question *q = &g_array_index (qs, Question, i);
      g_checksum_update (sum, (const guchar *) q->question, strlen (q->question) + 1);
      g_checksum_update (sum, (const guchar *) q->truth, strlen (q->truth) + 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* The questions a run over dataset (limit) asks, as read_questions gives them. */
static gboolean
run_questions (AssayStore *store, gint64 dataset, int limit, GArray *qs, guint *no_truth, GError **error)
{
  if (!read_questions (store, dataset, qs, no_truth, error))
    return FALSE;
  if (limit > 0 && qs->len > (guint) limit)
    g_array_set_size (qs, limit);
  return TRUE;
}

static JsonObject *
provenance_new (const AssayTraceSampleOptions *o, GArray *qs, GError **error)
{
  g_autofree char *fp = assay_shard_fingerprint_folder (o->model, error);
  g_autofree char *inputs = NULL;
  JsonObject *p, *params;

  if (fp == NULL)
    return NULL;
  inputs = questions_hash (qs);
  params = assay_lm_provenance_new (o->model, "traces-sample", &o->sampling, o->max_tokens, o->seed, o->chat);
  json_object_set_int_member (params, "n", o->n);
  json_object_set_int_member (params, "max_batch", o->max_batch);
  p = json_object_new ();
  json_object_set_string_member (p, "verb", "traces sample");
  json_object_set_object_member (p, "params", params);
  json_object_set_int_member (p, "dataset", o->dataset);
  json_object_set_int_member (p, "limit", o->limit);
  json_object_set_string_member (p, "model_fingerprint", fp);
  json_object_set_string_member (p, "inputs_sha256", inputs);
  return p;
}

gboolean
assay_trace_sample_merge (AssayMergeContext *ctx, GError **error)
{
  g_autoptr (GArray) qs = g_array_new (FALSE, TRUE, sizeof (Question));
  g_autofree char *inputs = NULL;
  guint no_truth = 0;

  g_array_set_clear_func (qs, (GDestroyNotify) question_clear);
  /* the questions must be this workspace's, as they are now */
  if (!run_questions (ctx->store, assay_json_get_int (ctx->provenance, "dataset", 0),
                      (int) assay_json_get_int (ctx->provenance, "limit", 0), qs, &no_truth, error))
    return FALSE;
  inputs = questions_hash (qs);
  if (g_strcmp0 (inputs, assay_json_get_string (ctx->provenance, "inputs_sha256", "")) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s” was made from other questions than this workspace holds (another "
                     "workspace, or traces changed since)"),
                   ctx->shards[0]->path);
      return FALSE;
    }
  /* the shard's first dataset holds the candidates, its second (when there is one) the pairs */
  return assay_merge_records (ctx, 0, "candidates", error) && assay_merge_records (ctx, 1, "pairs", error);
}

gboolean
assay_trace_sample (AssayStore *store, const AssayTraceSampleOptions *o, AssayBackend *backend,
                    void (*progress) (double, const char *, gpointer), gpointer progress_data,
                    GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (GArray) qs = g_array_new (FALSE, TRUE, sizeof (Question));
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmPrompt) prompter = NULL;
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr (AssayShardWriter) writer = NULL;
  AssayLmCandidate *cands = NULL;
  AssayLmGenerateOptions go = { 0 };
  const AssayLmConfig *c;
  AssayStore *out = store;
  gboolean    sharded = o->shard.n > 0;
  guint       begin = 0, end;
  guint    no_truth = 0, n_correct = 0, n_pairs = 0;
  guint64  tokens = 0;
  gint64   dataset = 0, pairs_dataset = 0, t0;
  double   seconds;
  gboolean ok;
  JsonObject *r;

  g_array_set_clear_func (qs, (GDestroyNotify) question_clear);
  if (o->n < 1 || o->max_tokens < 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Candidates per question and new tokens must be at least 1"));
      return FALSE;
    }
  if (!assay_sampling_check (&o->sampling, error))
    return FALSE;
  if (!run_questions (store, o->dataset, o->limit, qs, &no_truth, error))
    return FALSE;
  if (qs->len == 0)
    {
      if (no_truth > 0)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                     _("No question has a ground truth (%u without one: import traces with an "
                       "answer field, or with a trace known correct)"), no_truth);
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO, _("No traces to take questions from"));
      return FALSE;
    }
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL)
    return FALSE;
  c = assay_lm_model_config (model);
  if ((prompter = assay_lm_prompt_new (model, o->chat, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < qs->len; i++)
    {
      g_autofree char *text = assay_trace_sample_prompt (g_array_index (qs, Question, i).question);
      GArray          *p = assay_lm_prompt_encode (prompter, text, error);
      if (p == NULL)
        return FALSE;
      g_ptr_array_add (prompts, p);
      if (!assay_lm_generator_fits (c, (int) p->len, o->max_tokens, error))
        {
          g_prefix_error (error, _("Question %u: "), i + 1);
          return FALSE;
        }
    }
  if (progress != NULL)
    progress (0.0, _("Loading weights"), progress_data);
  go.sampling = o->sampling;
  go.seed = o->seed;
  go.n = o->n;
  go.max_tokens = o->max_tokens;
  go.eos = c->eos_ids;
  go.n_eos = c->n_eos;
  go.max_batch = o->max_batch;
  {
    g_autofree int *lens = g_new (int, qs->len);
    for (guint i = 0; i < qs->len; i++)
      lens[i] = (int) ((GArray *) prompts->pdata[i])->len;
    if (!assay_lm_model_upload (model, backend,
                                assay_lm_generator_peak_memory (c, lens, (int) qs->len, &go), error))
      return FALSE;
  }
  gen = assay_lm_generator_new (model);
  end = qs->len;
  {
    g_autofree const int **pp = g_new (const int *, qs->len);
    g_autofree int *lens = g_new (int, qs->len);
    AssayLmProgress pr = { progress, progress_data, 0, 0, 0, 0 };
    for (guint i = 0; i < qs->len; i++)
      {
        GArray *p = prompts->pdata[i];
        pp[i] = (const int *) p->data;
        lens[i] = (int) p->len;
      }
    if (sharded)
      {
        /* whole groups of the one-run plan, each candidate on its run-wide random stream */
        g_autoptr (JsonObject) provenance = provenance_new (o, qs, error);
        guint            n_groups, g0, g1;

        if (provenance == NULL)
          return FALSE;
        assay_lm_generator_shard (lens, (int) qs->len, &go, &o->shard, &begin, &end, &n_groups, &g0, &g1);
        if ((writer = assay_shard_writer_new (o->shard_out, "traces sample", provenance, &o->shard, n_groups,
                                              g0, g1, error)) == NULL)
          return FALSE;
        out = assay_shard_writer_get_store (writer);
      }
    cands = g_new0 (AssayLmCandidate, (gsize) MAX (end - begin, 1) * o->n);
    t0 = g_get_monotonic_time ();
    pr.total = (end - begin) * (guint) o->n;
    pr.t0 = t0;
    ok = assay_lm_generator_run (gen, pp + begin, lens + begin, (int) (end - begin), &go, cands,
                                 assay_lm_progress_step, &pr, cancellable, error);
  }
  seconds = (g_get_monotonic_time () - t0) / 1e6;

  /* store: candidates, then pairs, in one transaction */
  {
    g_autofree const char **questions = g_new (const char *, qs->len);
    g_autofree const char **truths = g_new (const char *, qs->len);
    g_autofree const char **texts = g_new (const char *, (gsize) qs->len * o->n);
    g_autofree const char **finish = g_new (const char *, (gsize) qs->len * o->n);
    g_autofree guint *counts = g_new (guint, (gsize) qs->len * o->n);
    AssayTraceSampleStored stored = { 0 };

    for (guint i = begin; i < end; i++)
      {
        questions[i - begin] = g_array_index (qs, Question, i).question;
        truths[i - begin] = g_array_index (qs, Question, i).truth;
      }
    for (guint j = 0; ok && j < (end - begin) * (guint) o->n; j++)
      {
        texts[j] = cands[j].text != NULL ? cands[j].text : "";
        finish[j] = assay_lm_finish_name (cands[j].finish);
        counts[j] = cands[j].ids->len;
        tokens += cands[j].ids->len;
      }
    ok = ok && store_from (out, o, begin, questions, truths, end - begin, texts, finish, counts,
                           &stored, error);
    dataset = stored.dataset;
    pairs_dataset = stored.pairs_dataset;
    n_correct = stored.correct;
    n_pairs = stored.pairs;
  }
  for (guint j = 0; j < (end - begin) * (guint) o->n; j++)
    assay_lm_candidate_clear (&cands[j]);
  g_free (cands);
  if (!ok)
    return FALSE;
  r = json_object_new ();
  if (sharded)
    {
      json_object_set_int_member (r, "questions", end - begin);
      json_object_set_int_member (r, "candidates", (gint64) (end - begin) * o->n);
      json_object_set_int_member (r, "correct", n_correct);
      json_object_set_int_member (r, "pairs", n_pairs);
      json_object_set_int_member (r, "tokens", (gint64) tokens);
      json_object_set_double_member (r, "seconds", seconds);
      json_object_set_string_member (r, "backend", assay_backend_describe (backend));
      *result = assay_shard_writer_finish_result (writer, r, error);
      json_object_unref (r);
      return *result != NULL;
    }
  json_object_set_int_member (r, "dataset", dataset);
  json_object_set_int_member (r, "pairs_dataset", pairs_dataset);
  json_object_set_int_member (r, "questions", qs->len);
  json_object_set_int_member (r, "candidates", (gint64) qs->len * o->n);
  json_object_set_int_member (r, "correct", n_correct);
  json_object_set_int_member (r, "pairs", n_pairs);
  json_object_set_int_member (r, "no_ground_truth", no_truth);
  json_object_set_int_member (r, "tokens", (gint64) tokens);
  json_object_set_double_member (r, "seconds", seconds);
  json_object_set_double_member (r, "tokens_per_second", seconds > 0 ? tokens / seconds : 0);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  *result = r;
  return TRUE;
}

static gboolean
sample_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayTraceSampleOptions *o = user_data;
  g_autoptr (AssayStore) reader = NULL;
  AssayStore *store = o->shard.n > 0 ? (reader = assay_store_open_reader (assay_job_get_workspace (job), error))
                                     : assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_trace_sample (store, user_data, assay_job_get_backend (job), assay_job_progress_func,
                              job, assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayTraceSampleOptions *o)
{
  assay_trace_sample_options_clear (o);
  g_free (o);
}

AssayJob *
assay_trace_sample_job_new (const AssayTraceSampleOptions *options)
{
  AssayTraceSampleOptions *copy = g_new0 (AssayTraceSampleOptions, 1);
  g_autofree char *base = g_path_get_basename (options->model);
  g_autofree char *title = g_strdup_printf (_("Sample %d candidates per question with %s"), options->n, base);

  AssayJob *job;

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->shard_out = g_strdup (options->shard_out);
  job = assay_job_new ("traces-sample", title, ASSAY_JOB_LANE_COMPUTE, sample_run, copy,
                       (GDestroyNotify) options_free);
  assay_job_set_reads_only (job, options->shard.n > 0);
  return job;
}
