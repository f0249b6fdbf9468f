/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-generate-job.c: see assay-lm-generate-job.h. Output lines: {"id", "candidate", "text",
 * "tokens", "token_ids", "logprobs" (under the model, T = 1: ready for a credit run),
 * "sample_logprobs" (under the distribution sampled from), "finish_reason", "prompt_tokens"}. */
#include "assay-lm-generate-job.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-lm-prompt.h"
#include "assay-lm-provenance.h"
#include "assay-error.h"
#include "assay-json.h"

void
assay_lm_generate_file_options_clear (AssayLmGenerateFileOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->input, g_free);
  g_clear_pointer (&o->output, g_free);
  g_clear_pointer (&o->stop, g_strfreev);
  g_clear_pointer (&o->shard_out, g_free);
}

typedef struct
{
  JsonNode *id;
  GArray   *ids;
} Prompt;

static void
prompt_clear (Prompt *p)
{
  g_clear_pointer (&p->id, json_node_unref);
  g_clear_pointer (&p->ids, g_array_unref);
}

/* The ids a line asks to continue: its prompt, or its messages (and any other variables of the
 * line, such as tools) through the chat template. A prompt with --chat is one user turn. */
static GArray *
line_ids (JsonObject *o, AssayLmPrompt *prompter, GError **error)
{
  const char *prompt = assay_json_get_string (o, "prompt", NULL);
  JsonNode   *messages = json_object_get_member (o, "messages");
  g_autoptr (JsonObject) vars = NULL;
  g_autofree char *text = NULL;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *member;

  if (messages == NULL)
    {
      if (prompt == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "field “prompt” is missing or not a string");
          return NULL;
        }
      return assay_lm_prompt_encode (prompter, prompt, error);
    }
  if (!assay_lm_prompt_is_chat (prompter))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "field “messages” needs --chat (a chat template)");
      return NULL;
    }
  vars = json_object_new ();
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &member))
    if (!g_str_equal (name, "id") && !g_str_equal (name, "prompt"))
      json_object_set_member (vars, name, json_node_copy (member));
  if ((text = assay_lm_prompt_render (prompter, vars, error)) == NULL)
    return NULL;
  return assay_lm_prompt_encode_rendered (prompter, text, error);
}

static gboolean
read_prompts (const AssayLmGenerateFileOptions *o, AssayLmModel *model, GArray *prompts,
              GError **error)
{
  g_autoptr (AssayLmPrompt) prompter = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) lines = NULL;
  gsize length;

  if ((prompter = assay_lm_prompt_new (model, o->chat, error)) == NULL)
    return FALSE;
  if (!g_file_get_contents (o->input, &contents, &length, &local))
    {
      g_set_error (error, ASSAY_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? ASSAY_ERROR_NOT_FOUND : ASSAY_ERROR_FAILED,
                   "%s", local->message);
      return FALSE;
    }
  if (!g_utf8_validate (contents, (gssize) length, NULL))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not UTF-8 text", o->input);
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (JsonObject) line = NULL;
      Prompt p = { 0 };

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if ((line = assay_json_object_from_string (lines[i], &e)) == NULL
          || (p.ids = line_ids (line, prompter, &e)) == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", o->input, i + 1,
                       e != NULL ? e->message : "not a JSON object");
          return FALSE;
        }
      if (p.ids->len == 0)
        {
          g_array_unref (p.ids);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: the prompt is empty and the model has no beginning-of-sequence token",
                       o->input, i + 1);
          return FALSE;
        }
      p.id = json_object_has_member (line, "id") ? json_node_copy (json_object_get_member (line, "id"))
                                                 : json_node_init_int (json_node_alloc (), i + 1);
      g_array_append_val (prompts, p);
    }
  if (prompts->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: no prompts", o->input);
      return FALSE;
    }
  return TRUE;
}

/* Candidate c of prompt p as its output line. */
static char *
candidate_line (Prompt *pr, const AssayLmCandidate *cand, int c, AssayLmTokenizer *tok)
{
  g_autoptr (JsonObject) o = json_object_new ();
  JsonArray *tokens = json_array_new (), *ids = json_array_new ();
  JsonArray *lp = json_array_new (), *lq = json_array_new ();

  json_object_set_member (o, "id", json_node_copy (pr->id));
  json_object_set_int_member (o, "candidate", c);
  json_object_set_string_member (o, "text", cand->text != NULL ? cand->text : "");
  for (guint i = 0; i < cand->ids->len; i++)
    {
      int              id = g_array_index (cand->ids, int, i);
      g_autofree char *piece = assay_lm_tokenizer_decode (tok, &id, 1);
      json_array_add_string_element (tokens, piece);
      json_array_add_int_element (ids, id);
      json_array_add_double_element (lp, g_array_index (cand->model_logprobs, float, i));
      json_array_add_double_element (lq, g_array_index (cand->logprobs, float, i));
    }
  json_object_set_array_member (o, "tokens", tokens);
  json_object_set_array_member (o, "token_ids", ids);
  json_object_set_array_member (o, "logprobs", lp);
  json_object_set_array_member (o, "sample_logprobs", lq);
  json_object_set_string_member (o, "finish_reason", assay_lm_finish_name (cand->finish));
  json_object_set_int_member (o, "prompt_tokens", pr->ids->len);
  return assay_json_object_to_string (o, FALSE);
}

/* The candidates of prompts [begin, end) (cands holds theirs only), to a file or, for a shard,
 * as numbered lines of the shard file. */
static gboolean
write_output (const char *path, AssayShardWriter *writer, JsonObject *summary, GArray *prompts,
              guint begin, guint end, const AssayLmCandidate *cands, int n, AssayLmTokenizer *tok,
              GError **error)
{
  g_autoptr (AssayAtomicFile) file = NULL;
  AssayStore   *store = writer != NULL ? assay_shard_writer_get_store (writer) : NULL;
  sqlite3_stmt *stmt = NULL;
  FILE         *out = NULL;

  if (store != NULL)
    {
      if (!assay_store_exec (store, "CREATE TABLE shard_lines (idx INTEGER PRIMARY KEY, line TEXT NOT NULL)",
                             error)
          || (stmt = assay_store_prepare (store, "INSERT INTO shard_lines (idx, line) VALUES (?, ?)",
                                          error)) == NULL)
        return FALSE;
    }
  else
    {
      if ((file = assay_atomic_file_new (path, error)) == NULL)
        return FALSE;
      out = assay_atomic_file_get_stream (file);
    }
  for (guint p = begin; p < end; p++)
    for (int c = 0; c < n; c++)
      {
        g_autofree char *text = candidate_line (&g_array_index (prompts, Prompt, p),
                                                &cands[(gsize) (p - begin) * n + c], c, tok);
        if (store != NULL)
          {
            sqlite3_bind_int64 (stmt, 1, (gint64) p * n + c);
            sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
            if (!assay_store_step_done (store, stmt, error))
              return FALSE;
          }
        else
          {
            fputs (text, out);
            fputc ('\n', out);
          }
      }
  if (store != NULL)
    return assay_shard_writer_finish (writer, summary, error);
  return assay_atomic_file_commit (file, error);
}

/* What makes the run, for a shard: the generator's provenance with every other setting that
 * changes a token, the model's fingerprint and the input file's hash. */
static JsonObject *
provenance_new (const AssayLmGenerateFileOptions *o, GError **error)
{
  g_autoptr (JsonObject) p = json_object_new ();
  g_autofree char *fp = assay_shard_fingerprint_folder (o->model, error);
  g_autofree char *inputs = fp != NULL ? assay_shard_hash_file (o->input, error) : NULL;
  JsonObject *s;
  JsonArray  *stop;

  if (inputs == NULL)
    return NULL;
  s = assay_lm_provenance_new (o->model, "lm-generate", &o->sampling, o->max_tokens, o->seed, o->chat);
  json_object_set_int_member (s, "n", o->n);
  json_object_set_int_member (s, "max_batch", o->max_batch);
  json_object_set_string_member (s, "kv_cache", o->kv_cache == ASSAY_DTYPE_BF16 ? "bf16" : "f32");
  stop = json_array_new ();
  for (char **t = o->stop; t != NULL && *t != NULL; t++)
    json_array_add_string_element (stop, *t);
  json_object_set_array_member (s, "stop", stop);
  json_object_set_object_member (p, "params", s);
  json_object_set_string_member (p, "model_fingerprint", fp);
  json_object_set_string_member (p, "input_sha256", inputs);
  return g_steal_pointer (&p);
}

gboolean
assay_lm_generate_file (const AssayLmGenerateFileOptions *o, AssayBackend *backend,
                        void (*progress) (double, const char *, gpointer), gpointer progress_data,
                        GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (GArray) prompts = g_array_new (FALSE, TRUE, sizeof (Prompt));
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autofree const int **ids = NULL;
  g_autofree int *lens = NULL;
  g_autoptr (AssayShardWriter) writer = NULL;
  AssayLmCandidate *cands;
  AssayLmGenerateOptions go = { 0 };
  guint    begin = 0, end;
  const AssayLmConfig *c;
  AssayLmProgress pr = { progress, progress_data, 0, 0, 0, 0 };
  guint64  tokens = 0;
  gboolean ok;
  double   seconds;
  JsonObject *r;

  g_array_set_clear_func (prompts, (GDestroyNotify) prompt_clear);
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL)
    return FALSE;
  c = assay_lm_model_config (model);
  if (progress)
    progress (0.0, _("Reading prompts"), progress_data);
  if (!read_prompts (o, model, prompts, error))
    return FALSE;
  ids = g_new (const int *, prompts->len);
  lens = g_new (int, prompts->len);
  for (guint p = 0; p < prompts->len; p++)
    {
      GArray *a = g_array_index (prompts, Prompt, p).ids;
      ids[p] = (const int *) a->data;
      lens[p] = (int) a->len;
    }
  go.sampling = o->sampling;
  go.seed = o->seed;
  go.n = o->n;
  go.max_tokens = o->max_tokens;
  go.stop = o->stop;
  go.eos = c->eos_ids;
  go.n_eos = c->n_eos;
  go.max_batch = o->max_batch;
  go.kv_cache = o->kv_cache;
  if (progress)
    progress (0.0, _("Loading weights"), progress_data);
  if (!assay_lm_model_upload (model, backend,
                              assay_lm_generator_peak_memory (c, lens, (int) prompts->len, &go), error))
    return FALSE;
  end = prompts->len;
  if (o->shard.n > 0)
    {
      /* whole groups of the one-run plan, each candidate on its own random stream */
      g_autoptr (JsonObject) provenance = provenance_new (o, error);
      guint             n_groups, g0, g1;

      if (provenance == NULL)
        return FALSE;
      assay_lm_generator_shard (lens, (int) prompts->len, &go, &o->shard, &begin, &end, &n_groups, &g0, &g1);
      if ((writer = assay_shard_writer_new (o->shard_out, "lm generate", provenance, &o->shard, n_groups,
                                            g0, g1, error)) == NULL)
        return FALSE;
    }
  gen = assay_lm_generator_new (model);
  cands = g_new0 (AssayLmCandidate, (gsize) MAX (end - begin, 1) * o->n);
  pr.total = (int) (end - begin) * o->n;
  pr.t0 = g_get_monotonic_time ();
  ok = assay_lm_generator_run (gen, ids + begin, lens + begin, (int) (end - begin), &go, cands,
                               assay_lm_progress_step, &pr, cancellable, error);
  seconds = (g_get_monotonic_time () - pr.t0) / 1e6;
  if (ok)
    {
      g_autoptr (JsonObject) summary = json_object_new ();
      for (guint i = 0; i < pr.total; i++)
        tokens += cands[i].ids->len;
      json_object_set_int_member (summary, "prompts", end - begin);
      json_object_set_int_member (summary, "tokens", (gint64) tokens);
      json_object_set_double_member (summary, "seconds", seconds);
      json_object_set_string_member (summary, "backend", assay_backend_describe (backend));
      ok = write_output (o->output, writer, summary, prompts, begin, end, cands, o->n,
                         assay_lm_model_tokenizer (model), error);
    }
  for (guint i = 0; i < pr.total; i++)
    assay_lm_candidate_clear (&cands[i]);
  g_free (cands);
  if (!ok)
    return FALSE;
  r = json_object_new ();
  json_object_set_int_member (r, "prompts", end - begin);
  json_object_set_int_member (r, "candidates", pr.total);
  json_object_set_int_member (r, "tokens", (gint64) tokens);
  json_object_set_double_member (r, "seconds", seconds);
  json_object_set_double_member (r, "tokens_per_second", seconds > 0 ? tokens / seconds : 0);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  if (writer != NULL)
    {
      json_object_set_string_member (r, "shard_out", o->shard_out);
      json_object_set_int_member (r, "k", o->shard.k);
      json_object_set_int_member (r, "n", o->shard.n);
    }
  else
    json_object_set_string_member (r, "output", o->output);
  *result = r;
  return TRUE;
}

static gboolean
generate_run (AssayJob *job, gpointer user_data, GError **error)
{
  JsonObject *result = NULL;

  if (!assay_lm_generate_file (user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                               assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayLmGenerateFileOptions *o)
{
  assay_lm_generate_file_options_clear (o);
  g_free (o);
}

AssayJob *
assay_lm_generate_job_new (const AssayLmGenerateFileOptions *options)
{
  AssayLmGenerateFileOptions *copy = g_new0 (AssayLmGenerateFileOptions, 1);
  g_autofree char *base = g_path_get_basename (options->model);
  g_autofree char *title = g_strdup_printf (_("Generate with %s"), base);

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->input = g_strdup (options->input);
  copy->output = g_strdup (options->output);
  copy->stop = g_strdupv (options->stop);
  copy->shard_out = g_strdup (options->shard_out);
  return assay_job_new ("lm-generate", title, ASSAY_JOB_LANE_COMPUTE, generate_run, copy,
                        (GDestroyNotify) options_free);
}
