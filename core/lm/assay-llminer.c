/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-llminer.c: see assay-llminer.h. */
#include "assay-llminer.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-gen-prompts.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-lm-generator.h"
#include "assay-lm-prompt.h"
#include "assay-lm-provenance.h"
#include "assay-sentences.h"

/* Passages per group: their chains are decoded together and stored in one transaction. */
#define GROUP 8

const char *
assay_llminer_decision (const char *analysis)
{
  g_autofree char *lower = g_ascii_strdown (analysis != NULL ? analysis : "", -1);
  const char      *p = NULL, *q;

  for (q = lower; (q = strstr (q, "decision")) != NULL; q++)
    p = q;
  if (p == NULL)
    return "none";
  p += strlen ("decision");
  while (*p == ' ' || *p == ':' || *p == '*' || *p == '\t')
    p++;
  if (g_str_has_prefix (p, "yes"))
    return "yes";
  if (g_str_has_prefix (p, "no"))
    return "no";
  return "none";
}

char *
assay_llminer_question (const char *generated)
{
  g_auto (GStrv) lines = g_strsplit (generated != NULL ? generated : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (g_ascii_strncasecmp (line, "question:", 9) == 0)
        line = g_strstrip (line + 9);
      if (*line != '\0')
        return g_strdup (line);
    }
  return g_strdup ("");
}

typedef struct
{
  AssayGenRecord *passage;
  char           *sentence;
  char           *analysis;
  const char     *decision;
  char           *question;
  char           *answer;
  guint           tokens;
} Item;

static void
item_clear (Item *it)
{
  g_free (it->sentence);
  g_free (it->analysis);
  g_free (it->question);
  g_free (it->answer);
}

typedef struct
{
  AssayStore                    *store;
  const AssayGenGenerateOptions *o;
  AssayLlminerGenerateFunc       generate;
  gpointer                       data;
  guint64                        tokens;
} Chain;

/* The local model behind AssayLlminerGenerateFunc. */
typedef struct
{
  AssayLmModel          *model;
  AssayLmPrompt         *prompter;
  AssayLmGenerator      *gen;
  AssayLmGenerateOptions go;
  int                    max_tokens;
  GCancellable          *cancellable;
} Local;

static gboolean
local_generate (const char *const *prompts, guint n, char **out, guint *tokens, gpointer data,
                GError **error)
{
  Local               *lo = data;
  const AssayLmConfig *c = assay_lm_model_config (lo->model);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autofree const int **pp = g_new (const int *, n);
  g_autofree int *lens = g_new (int, n);
  AssayLmCandidate *cands;
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      GArray *p = assay_lm_prompt_encode (lo->prompter, prompts[i], error);
      if (p == NULL)
        return FALSE;
      g_ptr_array_add (ids, p);
      if (!assay_lm_generator_fits (c, (int) p->len, lo->max_tokens, error))
        return FALSE;
      pp[i] = (const int *) p->data;
      lens[i] = (int) p->len;
    }
  cands = g_new0 (AssayLmCandidate, n);
  ok = assay_lm_generator_run (lo->gen, pp, lens, (int) n, &lo->go, cands, NULL, NULL,
                               lo->cancellable, error);
  for (guint i = 0; i < n; i++)
    {
      if (ok)
        {
          out[i] = g_strdup (cands[i].text != NULL ? cands[i].text : "");
          tokens[i] = cands[i].ids->len;
        }
      assay_lm_candidate_clear (&cands[i]);
    }
  g_free (cands);
  lo->go.seed++;
  return ok;
}

/* One stage: the template filled for each item (fill sets the record's fields), one answer
 * each, taken by take. */
static gboolean
stage (Chain *ch, const char *template_name, GPtrArray *items,
       void (*fill) (Item *it, AssayGenRecord *tmp), void (*take) (Item *it, const char *text),
       GError **error)
{
  g_autofree char *body = assay_gen_template_get (ch->store, template_name, error);
  g_autofree char **prompts = NULL, **out = NULL;
  g_autofree guint *tokens = NULL;
  gboolean ok;

  if (body == NULL)
    return FALSE;
  if (items->len == 0)
    return TRUE;
  prompts = g_new0 (char *, items->len + 1);
  out = g_new0 (char *, items->len + 1);
  tokens = g_new0 (guint, items->len);
  for (guint i = 0; i < items->len; i++)
    {
      Item          *it = items->pdata[i];
      AssayGenRecord tmp = { 0 };
      g_autoptr (JsonObject) extra = json_object_new ();

      tmp.id = it->passage->id;
      tmp.dataset = it->passage->dataset;
      tmp.kind = (char *) "qa";
      tmp.source = it->passage->source;
      tmp.highlight = it->sentence;
      tmp.extra = extra;
      tmp.correct = -1;
      tmp.step_label = -1;
      fill (it, &tmp);
      prompts[i] = assay_gen_render (ch->store, body, &tmp);
    }
  ok = ch->generate ((const char *const *) prompts, items->len, out, tokens, ch->data, error);
  for (guint i = 0; ok && i < items->len; i++)
    {
      Item            *it = items->pdata[i];
      g_autofree char *t = g_strstrip (g_strdup (out[i] != NULL ? out[i] : ""));
      take (it, t);
      it->tokens += tokens[i];
      ch->tokens += tokens[i];
    }
  for (guint i = 0; i < items->len; i++)
    {
      g_free (prompts[i]);
      g_free (out[i]);
    }
  if (!ok)
    g_prefix_error (error, "%s: ", template_name);
  return ok;
}

static void fill_none (Item *it, AssayGenRecord *tmp) { }

static void
fill_analysis (Item *it, AssayGenRecord *tmp)
{
  json_object_set_string_member (tmp->extra, "analysis", it->analysis);
}

static void
fill_question (Item *it, AssayGenRecord *tmp)
{
  tmp->prompt = it->question;
}

static void
take_analysis (Item *it, const char *text)
{
  it->analysis = g_strdup (text);
  it->decision = assay_llminer_decision (text);
}

static void
take_question (Item *it, const char *text)
{
  it->question = assay_llminer_question (text);
}

static void
take_answer (Item *it, const char *text)
{
  it->answer = g_strdup (text);
}

static gboolean
store_items (Chain *ch, GPtrArray *items, JsonObject *base, const char *model_name,
             const char *dataset_name, gint64 *dataset, guint *made, guint *skipped, GError **error)
{
  sqlite3_stmt *stmt;

  if (!assay_store_begin (ch->store, error))
    return FALSE;
  if (*dataset == 0
      && (*dataset = assay_store_add_dataset (ch->store, "gen", dataset_name, ch->o->model, NULL, error)) == 0)
    goto failed;
  if ((stmt = assay_store_prepare (ch->store,
                                   "INSERT INTO gen_records (dataset_id, ext_id, kind, source, highlight, "
                                   "prompt, text, model, params, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   error)) == NULL)
    goto failed;
  for (guint i = 0; i < items->len; i++)
    {
      Item            *it = items->pdata[i];
      gboolean         mined = g_str_equal (it->decision, "yes") && it->question != NULL && *it->question != '\0';
      g_autoptr (JsonObject) extra = json_object_new ();
      g_autoptr (JsonObject) params = assay_lm_provenance_copy (base);
      g_autofree char *extra_text = NULL, *params_text = NULL;
      g_autofree char *ext = g_strdup_printf ("%" G_GINT64_FORMAT ":llminer:%u", it->passage->id, i);
      json_object_set_int_member (params, "tokens", it->tokens);
      json_object_set_int_member (extra, "from", it->passage->id);
      json_object_set_string_member (extra, "template", ASSAY_LLMINER_CHAIN);
      json_object_set_string_member (extra, "analysis", it->analysis);
      json_object_set_string_member (extra, "decision", it->decision);
      extra_text = assay_json_object_to_string (extra, FALSE);
      params_text = assay_json_object_to_string (params, FALSE);
      sqlite3_bind_int64 (stmt, 1, *dataset);
      sqlite3_bind_text (stmt, 2, ext, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, mined ? "qa" : "skipped", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, it->passage->source, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, it->sentence, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 6, mined ? it->question : NULL, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 7, mined ? it->answer : it->analysis, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 8, model_name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 9, params_text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 10, extra_text, -1, SQLITE_TRANSIENT);
      if (!assay_store_step_done (ch->store, stmt, error))
        goto failed;
      if (mined)
        (*made)++;
      else
        (*skipped)++;
    }
  if (!assay_store_commit (ch->store, error))
    goto failed;
  assay_store_emit_changed (ch->store, "gen_records");
  return TRUE;

failed:
  assay_store_rollback (ch->store);
  return FALSE;
}

gboolean
assay_llminer_run_with (AssayStore *store, const AssayGenGenerateOptions *o,
                        AssayLlminerGenerateFunc generate, gpointer data,
                        void (*progress) (double, const char *, gpointer), gpointer progress_data,
                        JsonObject **result, GError **error)
{
  g_autoptr (GArray) ids = NULL;
  g_autoptr (JsonObject) base = NULL;
  g_autoptr (GPtrArray) passages = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_gen_record_free);
  g_autofree char *model_name = NULL, *dataset_name = NULL;
  Chain    ch = { 0 };
  gint64   dataset = 0, t0;
  guint    made = 0, skipped = 0, sentences = 0;
  double   seconds;
  JsonObject *r;

  if ((ids = assay_gen_query_ids (store, o->filter, error)) == NULL)
    return FALSE;
  if (o->limit > 0 && ids->len > (guint) o->limit)
    g_array_set_size (ids, o->limit);
  for (guint i = 0; i < ids->len; i++)
    {
      AssayGenRecord *rec = assay_gen_record_load (store, g_array_index (ids, gint64, i), error);
      if (rec == NULL)
        return FALSE;
      if (rec->source == NULL || *rec->source == '\0')
        {
          assay_gen_record_free (rec);
          continue;
        }
      g_ptr_array_add (passages, rec);
    }
  if (passages->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                   _("No records with a passage selected (import bare passages as {\"passage\": TEXT})"));
      return FALSE;
    }
  base = assay_lm_provenance_new (o->model, ASSAY_LLMINER_CHAIN, &o->sampling, o->max_tokens, o->seed, o->chat);
  model_name = g_path_get_basename (o->model);
  dataset_name = g_strdup_printf (_("llminer by %s"), model_name);
  ch.store = store;
  ch.o = o;
  ch.generate = generate;
  ch.data = data;
  t0 = g_get_monotonic_time ();

  for (guint g0 = 0; g0 < passages->len; g0 += GROUP)
    {
      guint g1 = MIN (passages->len, g0 + GROUP);
      g_autoptr (GPtrArray) items = g_ptr_array_new ();
      g_autoptr (GPtrArray) yes = g_ptr_array_new ();
      g_autoptr (GArray) storage = g_array_new (FALSE, TRUE, sizeof (Item));
      gboolean ok;

      g_array_set_clear_func (storage, (GDestroyNotify) item_clear);
      for (guint p = g0; p < g1; p++)
        {
          AssayGenRecord *rec = passages->pdata[p];
          g_auto (GStrv) sents = assay_sentences_split (rec->source);
          for (guint s = 0; sents[s] != NULL; s++)
            {
              Item it = { rec, g_strdup (sents[s]), NULL, "none", NULL, NULL, 0 };
              g_array_append_val (storage, it);
            }
        }
      for (guint i = 0; i < storage->len; i++)
        g_ptr_array_add (items, &g_array_index (storage, Item, i));
      sentences += items->len;
      ok = stage (&ch, "llminer-analysis", items, fill_none, take_analysis, error);
      for (guint i = 0; ok && i < items->len; i++)
        if (g_str_equal (((Item *) items->pdata[i])->decision, "yes"))
          g_ptr_array_add (yes, items->pdata[i]);
      ok = ok && stage (&ch, "llminer-question", yes, fill_analysis, take_question, error);
      ok = ok && stage (&ch, "llminer-answer", yes, fill_question, take_answer, error);
      ok = ok && store_items (&ch, items, base, model_name, dataset_name, &dataset, &made, &skipped, error);
      if (!ok)
        return FALSE;
      if (progress != NULL)
        {
          double           s = (g_get_monotonic_time () - t0) / 1e6;
          g_autofree char *msg = g_strdup_printf (_("%u of %u passages, %u pairs, %.0f tokens/s"), g1,
                                                  passages->len, made, s > 0 ? ch.tokens / s : 0.0);
          progress ((double) g1 / passages->len, msg, progress_data);
        }
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  r = json_object_new ();
  json_object_set_int_member (r, "dataset", dataset);
  json_object_set_int_member (r, "passages", passages->len);
  json_object_set_int_member (r, "sentences", sentences);
  json_object_set_int_member (r, "records", made);
  json_object_set_int_member (r, "skipped", skipped);
  json_object_set_int_member (r, "tokens", (gint64) ch.tokens);
  json_object_set_double_member (r, "seconds", seconds);
  json_object_set_double_member (r, "tokens_per_second", seconds > 0 ? ch.tokens / seconds : 0);
  json_object_set_string_member (r, "model", o->model);
  json_object_set_string_member (r, "template", ASSAY_LLMINER_CHAIN);
  *result = r;
  return TRUE;
}

gboolean
assay_llminer_run (AssayStore *store, const AssayGenGenerateOptions *o, AssayBackend *backend,
                   void (*progress) (double, const char *, gpointer), gpointer progress_data,
                   GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmPrompt) prompter = NULL;
  g_autoptr (AssayLmGenerator) gen = NULL;
  const AssayLmConfig *c;
  Local lo = { 0 };

  if (o->max_tokens < 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("New tokens must be at least 1"));
      return FALSE;
    }
  if (!assay_sampling_check (&o->sampling, error))
    return FALSE;
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL)
    return FALSE;
  c = assay_lm_model_config (model);
  if ((prompter = assay_lm_prompt_new (model, o->chat, error)) == NULL)
    return FALSE;
  if (progress != NULL)
    progress (0.0, _("Loading weights"), progress_data);
  if (!assay_lm_model_upload (model, backend,
                              /* the stages' prompts are not known yet: a group of the batch's
                               * prompts of up to 4096 tokens in all */
                              assay_lm_generator_memory (c, 4096, o->max_batch > 0 ? o->max_batch : 64,
                                                         o->max_tokens, ASSAY_DTYPE_F32),
                              error))
    return FALSE;
  gen = assay_lm_generator_new (model);
  lo.model = model;
  lo.prompter = prompter;
  lo.gen = gen;
  lo.max_tokens = o->max_tokens;
  lo.cancellable = cancellable;
  lo.go.sampling = o->sampling;
  lo.go.seed = o->seed;
  lo.go.n = 1;
  lo.go.max_tokens = o->max_tokens;
  lo.go.eos = c->eos_ids;
  lo.go.n_eos = c->n_eos;
  lo.go.max_batch = o->max_batch;
  if (!assay_llminer_run_with (store, o, local_generate, &lo, progress, progress_data, result, error))
    return FALSE;
  json_object_set_string_member (*result, "backend", assay_backend_describe (backend));
  return TRUE;
}
