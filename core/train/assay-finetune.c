/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-finetune.c: see assay-finetune.h. The gradient of a loss L of the responses' log-probs is
 * that of sum_t w_t (-log p_t) with w_t = -dL/d log p_t, which the engine's weighted
 * cross-entropy computes: SFT weighs each completion token 1 / (tokens in the step); DPO first
 * scores the batch (forward only) to know each pair's dL/dh, then weighs the chosen side's tokens
 * by -dL/dh and the rejected side's by +dL/dh (divided by the pairs in the step, and for IPO by
 * each response's length). */
#include "config.h"

#include "assay-finetune.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-adamw.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-safetensors-writer.h"
#include "assay-safetensors.h"
#include "assay-gen-query.h"
#include "assay-gen-record.h"
#include "assay-lm-model.h"
#include "assay-lm-prompt.h"
#include "assay-lm-tokenizer.h"
#include "assay-train-model.h"

void
assay_finetune_options_init (AssayFinetuneOptions *o, AssayFinetuneObjective objective)
{
  memset (o, 0, sizeof *o);
  o->objective = objective;
  o->status = ASSAY_GEN_ACCEPTED;
  o->lr = objective == ASSAY_FINETUNE_SFT ? 2e-5 : 1e-6;
  o->beta = 0.1;
  o->epochs = objective == ASSAY_FINETUNE_SFT ? 3 : 1;
  o->batch_tokens = 4096;
  o->accumulate = 1;
  o->max_grad_norm = 1.0;
  o->seed = 42;
  o->lora_dropout = 0.05;
}

void
assay_finetune_options_clear (AssayFinetuneOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->out, g_free);
  g_clear_pointer (&o->lora_targets, g_free);
}

const char *
assay_finetune_objective_name (AssayFinetuneObjective objective)
{
  return objective == ASSAY_FINETUNE_SFT ? "sft" : objective == ASSAY_FINETUNE_DPO ? "dpo" : "ipo";
}

/* A record: one sequence (SFT) or two (DPO: chosen, rejected). */
typedef struct
{
  GArray *ids[2];   /* int */
  int     first[2]; /* the response's first token */
  double  ref[2];   /* the reference's log-prob of the response (DPO) */
} Example;

static void
example_clear (gpointer p)
{
  Example *e = p;
  g_clear_pointer (&e->ids[0], g_array_unref);
  g_clear_pointer (&e->ids[1], g_array_unref);
}

static int
sides (const AssayFinetuneOptions *o)
{
  return o->objective == ASSAY_FINETUNE_SFT ? 1 : 2;
}

static guint
example_tokens (const Example *e)
{
  return e->ids[0]->len + (e->ids[1] != NULL ? e->ids[1]->len : 0);
}

static gboolean
same_folder (const char *a, const char *b)
{
  GStatBuf x, y;
  return g_stat (a, &x) == 0 && g_stat (b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* prompt + response + EOS, the response cut at max_len; NULL when the prompt leaves no room. */
static GArray *
join (GArray *prompt, AssayLmTokenizer *tok, const AssayLmConfig *c, const char *response, int max_len, int *first,
      GError **error)
{
  g_autoptr (GArray) r = assay_lm_tokenizer_encode (tok, response, NULL, error);
  GArray *ids;

  if (r == NULL)
    return NULL;
  if (c->n_eos > 0)
    g_array_append_val (r, c->eos_ids[0]);
  if ((int) prompt->len + 1 >= max_len || prompt->len + r->len < 2)
    return NULL;
  ids = g_array_sized_new (FALSE, FALSE, sizeof (int), prompt->len + r->len);
  g_array_append_vals (ids, prompt->data, prompt->len);
  g_array_append_vals (ids, r->data, MIN (r->len, (guint) (max_len - (int) prompt->len)));
  *first = MAX ((int) prompt->len, 1); /* the first token of all has nothing before it */
  return ids;
}

/* The records as examples; *skipped counts those with no text (or no rejected side, for DPO) or a
 * prompt filling max_len. */
static GArray *
load_examples (AssayStore *store, const AssayFinetuneOptions *o, AssayLmModel *model, int max_len, guint *skipped,
               GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (model);
  AssayLmTokenizer    *tok = assay_lm_model_tokenizer (model);
  g_autoptr (AssayLmPrompt) prompt = NULL;
  g_autoptr (GArray) ids = NULL;
  GArray             *out = g_array_new (FALSE, TRUE, sizeof (Example));
  AssayGenFilter      f;

  g_array_set_clear_func (out, example_clear);
  assay_gen_filter_init (&f);
  f.dataset = o->dataset;
  f.status = o->status;
  if (tok == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: no tokenizer", assay_lm_model_dir (model));
      goto fail;
    }
  if ((prompt = assay_lm_prompt_new (model, o->chat, error)) == NULL || (ids = assay_gen_query_ids (store, &f, error)) == NULL)
    goto fail;
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, g_array_index (ids, gint64, i), error);
      g_autoptr (GArray) p = NULL;
      g_autoptr (GError) local = NULL;
      const char *text;
      Example     e = { { NULL, NULL }, { 0, 0 }, { 0, 0 } };

      if (r == NULL)
        goto fail;
      text = assay_gen_record_final_text (r);
      if (text == NULL || *text == '\0' || (sides (o) == 2 && (r->rejected == NULL || *r->rejected == '\0')))
        {
          (*skipped)++;
          continue;
        }
      if ((p = assay_lm_prompt_encode (prompt, r->prompt != NULL ? r->prompt : "", &local)) != NULL)
        for (int s = 0; s < sides (o) && local == NULL; s++)
          if ((e.ids[s] = join (p, tok, c, s == 0 ? text : r->rejected, max_len, &e.first[s], &local)) == NULL)
            break;
      if (local != NULL)
        {
          example_clear (&e);
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "record %" G_GINT64_FORMAT ": ", r->id);
          goto fail;
        }
      if (e.ids[sides (o) - 1] == NULL)
        {
          /* no room after the prompt */
          example_clear (&e);
          (*skipped)++;
          continue;
        }
      g_array_append_val (out, e);
    }
  return out;
fail:
  g_array_unref (out);
  return NULL;
}

/* The examples in order[0 .. n) in batches of at most budget tokens (an example longer than that
 * alone): batch b holds order[start[b] .. start[b + 1]). */
static GArray *
batches (GArray *examples, const guint *order, guint n, int budget)
{
  GArray *start = g_array_new (FALSE, FALSE, sizeof (guint));
  int     used = 0;

  for (guint i = 0; i < n; i++)
    {
      int len = (int) example_tokens (&g_array_index (examples, Example, order[i]));
      if (i == 0 || used + len > budget)
        {
          g_array_append_val (start, i);
          used = 0;
        }
      used += len;
    }
  g_array_append_val (start, n);
  return start;
}

/* One batch laid out for the engine: every side of every example its own sequence, its
 * response's positions scored. at[2 * k + s] is where side s of the k-th example starts. */
typedef struct
{
  GArray *ids, *targets, *weights, *offsets, *at;
} Batch;

static void
batch_clear (Batch *b)
{
  g_clear_pointer (&b->ids, g_array_unref);
  g_clear_pointer (&b->targets, g_array_unref);
  g_clear_pointer (&b->weights, g_array_unref);
  g_clear_pointer (&b->offsets, g_array_unref);
  g_clear_pointer (&b->at, g_array_unref);
}

static void
batch_make (Batch *b, GArray *examples, const guint *order, guint from, guint to, int n_sides)
{
  int zero = 0;

  b->ids = g_array_new (FALSE, FALSE, sizeof (int));
  b->targets = g_array_new (FALSE, FALSE, sizeof (int));
  b->weights = g_array_new (FALSE, FALSE, sizeof (float));
  b->offsets = g_array_new (FALSE, FALSE, sizeof (int));
  b->at = g_array_new (FALSE, FALSE, sizeof (int));
  g_array_append_val (b->offsets, zero);
  for (guint i = from; i < to; i++)
    for (int s = 0; s < n_sides; s++)
      {
        const Example *e = &g_array_index (examples, Example, order[i]);
        const GArray  *ids = e->ids[s];
        int            at = (int) b->ids->len;
        float          none = 0.0f;

        g_array_append_val (b->at, at);
        for (guint t = 0; t < ids->len; t++)
          {
            /* position t predicts token t + 1, scored within the response */
            int target = t + 1 < ids->len && (int) t + 1 >= e->first[s] ? g_array_index (ids, int, t + 1) : -1;
            g_array_append_val (b->ids, g_array_index (ids, int, t));
            g_array_append_val (b->targets, target);
            g_array_append_val (b->weights, none);
          }
        g_array_append_val (b->offsets, b->ids->len);
      }
}

/* The sum of the scored log-probs of side s of the k-th example of a batch, and their count. */
static double
side_logprob (const Batch *b, const float *lp, guint k, int s, int n_sides, int *n)
{
  int    at = g_array_index (b->at, int, k * n_sides + s);
  int    end = g_array_index (b->offsets, int, k * n_sides + s + 1);
  double sum = 0.0;

  *n = 0;
  for (int t = at; t < end; t++)
    if (g_array_index (b->targets, int, t) >= 0)
      {
        sum += lp[t];
        (*n)++;
      }
  return sum;
}

/* Sets the weight of every scored token of side s of the k-th example. */
static void
side_weigh (Batch *b, guint k, int s, int n_sides, float w)
{
  int at = g_array_index (b->at, int, k * n_sides + s);
  int end = g_array_index (b->offsets, int, k * n_sides + s + 1);

  for (int t = at; t < end; t++)
    if (g_array_index (b->targets, int, t) >= 0)
      g_array_index (b->weights, float, t) = w;
}

static gboolean
score (AssayTrainModel *train, Batch *b, float *lp, GError **error)
{
  return assay_train_model_score (train, (int *) b->ids->data, (int) b->ids->len, (int *) b->offsets->data,
                                  (int) b->offsets->len - 1, (int *) b->targets->data, lp, error);
}

/* DPO's reference: each example's response log-probs under the model before training. */
static gboolean
reference_logprobs (AssayTrainModel *train, GArray *examples, int budget, GError **error)
{
  g_autofree guint *order = g_new (guint, examples->len);
  g_autoptr (GArray) start = NULL;

  for (guint i = 0; i < examples->len; i++)
    order[i] = i;
  start = batches (examples, order, examples->len, budget);
  for (guint k = 0; k + 1 < start->len; k++)
    {
      guint from = g_array_index (start, guint, k), to = g_array_index (start, guint, k + 1);
      Batch b = { 0 };
      g_autofree float *lp = NULL;
      gboolean ok;

      batch_make (&b, examples, order, from, to, 2);
      lp = g_new (float, b.ids->len);
      ok = score (train, &b, lp, error);
      for (guint i = from; ok && i < to; i++)
        for (int s = 0; s < 2; s++)
          {
            int n;
            g_array_index (examples, Example, i).ref[s] = side_logprob (&b, lp, i - from, s, 2, &n);
          }
      batch_clear (&b);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static double
log_sigmoid (double x)
{
  return x >= 0 ? -log1p (exp (-x)) : x - log1p (exp (x));
}

/* The pairs of a step: their dL/dh weights set on the batches; the step's metrics added to m. */
static void
dpo_weigh (const AssayFinetuneOptions *o, GArray *examples, const guint *ord, GArray *start, guint b0, guint b1,
           Batch *bs, float **lps, JsonObject *m)
{
  guint  pairs = g_array_index (start, guint, b1) - g_array_index (start, guint, b0);
  double loss = 0, rc = 0, rr = 0, acc = 0, lc = 0, lr = 0;
  gboolean ipo = o->objective == ASSAY_FINETUNE_IPO;

  for (guint b = b0; b < b1; b++)
    {
      guint from = g_array_index (start, guint, b), to = g_array_index (start, guint, b + 1);
      for (guint i = from; i < to; i++)
        {
          const Example *e = &g_array_index (examples, Example, ord[i]);
          int    nc, nr;
          double pc = side_logprob (&bs[b - b0], lps[b - b0], i - from, 0, 2, &nc);
          double pr = side_logprob (&bs[b - b0], lps[b - b0], i - from, 1, 2, &nr);
          double sc = ipo ? 1.0 / MAX (nc, 1) : 1.0, sr = ipo ? 1.0 / MAX (nr, 1) : 1.0;
          double dc = (pc - e->ref[0]) * sc, dr = (pr - e->ref[1]) * sr, h = dc - dr, dl;

          if (ipo)
            {
              double gap = h - 1.0 / (2.0 * o->beta);
              loss += gap * gap;
              dl = 2.0 * gap;
            }
          else
            {
              loss += -log_sigmoid (o->beta * h);
              dl = -o->beta * exp (log_sigmoid (-o->beta * h)); /* -beta sigma(-beta h) */
            }
          side_weigh (&bs[b - b0], i - from, 0, 2, (float) (-dl * sc / pairs));
          side_weigh (&bs[b - b0], i - from, 1, 2, (float) (dl * sr / pairs));
          rc += o->beta * dc;
          rr += o->beta * dr;
          acc += dc > dr;
          lc += pc;
          lr += pr;
        }
    }
  json_object_set_double_member (m, "loss", loss / pairs);
  json_object_set_double_member (m, "rewards/chosen", rc / pairs);
  json_object_set_double_member (m, "rewards/rejected", rr / pairs);
  json_object_set_double_member (m, "rewards/accuracies", acc / pairs);
  json_object_set_double_member (m, "rewards/margins", (rc - rr) / pairs);
  json_object_set_double_member (m, "logps/chosen", lc / pairs);
  json_object_set_double_member (m, "logps/rejected", lr / pairs);
}

/* ---- stopping and resuming ---- */

static char *
checkpoint_dir (const AssayFinetuneOptions *o)
{
  return g_build_filename (o->out, "checkpoint", NULL);
}

/* Removes a checkpoint folder (its three files, then the folder). */
static void
remove_checkpoint (const char *dir)
{
  static const char *const files[] = { "weights.safetensors", "optimizer.safetensors", "trainer_state.json" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

/* The settings a checkpoint must share with the run that resumes it. */
static JsonObject *
resume_key (const AssayFinetuneOptions *o)
{
  JsonObject *k = json_object_new ();

  json_object_set_string_member (k, "objective", assay_finetune_objective_name (o->objective));
  json_object_set_int_member (k, "dataset", o->dataset);
  json_object_set_int_member (k, "status", o->status);
  json_object_set_int_member (k, "epochs", o->epochs);
  json_object_set_int_member (k, "batch_tokens", o->batch_tokens);
  json_object_set_int_member (k, "accumulate", o->accumulate);
  json_object_set_int_member (k, "max_len", o->max_len);
  json_object_set_int_member (k, "seed", o->seed);
  json_object_set_int_member (k, "lora_rank", o->lora_rank);
  json_object_set_boolean_member (k, "chat", o->chat);
  /* (the schedule and the optimiser: a change would not be the run that stopped) */
  json_object_set_double_member (k, "lr", o->lr);
  json_object_set_double_member (k, "warmup", o->warmup);
  json_object_set_double_member (k, "weight_decay", o->weight_decay);
  json_object_set_double_member (k, "max_grad_norm", o->max_grad_norm);
  if (o->objective != ASSAY_FINETUNE_SFT)
    json_object_set_double_member (k, "beta", o->beta);
  if (o->lora_rank > 0)
    {
      json_object_set_double_member (k, "lora_alpha", o->lora_alpha > 0 ? o->lora_alpha : 2.0 * o->lora_rank);
      json_object_set_double_member (k, "lora_dropout", o->lora_dropout);
      json_object_set_string_member (k, "lora_targets", o->lora_targets != NULL ? o->lora_targets : "all-linear");
    }
  return k;
}

/* OUT/checkpoint: the trained tensors, AdamW's moments and the steps so far, written into a new
 * folder that then replaces the old one (a stop while writing leaves the previous checkpoint). */
static gboolean
save_checkpoint (AssayTrainModel *train, AssayAdamW *opt, const AssayFinetuneOptions *o, guint step, JsonArray *steps,
                 GError **error)
{
  g_autofree char *dir = checkpoint_dir (o);
  g_autofree char *tmp = g_strconcat (dir, ".new", NULL), *old = g_strconcat (dir, ".old", NULL);
  g_autofree char *weights = g_build_filename (tmp, "weights.safetensors", NULL);
  g_autofree char *moments = g_build_filename (tmp, "optimizer.safetensors", NULL);
  g_autofree char *state_path = g_build_filename (tmp, "trainer_state.json", NULL);
  g_autoptr (AssaySafetensorsWriter) w = assay_safetensors_writer_new (FALSE);
  g_autoptr (AssaySafetensorsWriter) m = assay_safetensors_writer_new (FALSE);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonObject) state = resume_key (o);
  g_autofree char *text = NULL;
  guint            k = 0;
  gboolean         ok;

  /* a fresh folder of our own: not what a stop left half-written, nor a link planted there */
  if (g_file_test (tmp, G_FILE_TEST_IS_SYMLINK))
    g_unlink (tmp);
  else
    remove_checkpoint (tmp);
  if (g_mkdir_with_parents (o->out, 0755) != 0 || g_mkdir (tmp, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", tmp, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < assay_train_model_n_params (train); i++)
    if (assay_train_model_param_trainable (train, i))
      {
        int    rows, cols;
        gsize  n;
        float *mv, *vv;
        char  *a, *b;
        assay_train_model_param_shape (train, i, &rows, &cols);
        assay_safetensors_writer_add (w, assay_train_model_param_name (train, i), assay_train_model_param (train, i, NULL),
                                      rows, cols);
        assay_adamw_moments (opt, k++, &mv, &vv, &n);
        a = g_strconcat (assay_train_model_param_name (train, i), ".exp_avg", NULL);
        b = g_strconcat (assay_train_model_param_name (train, i), ".exp_avg_sq", NULL);
        g_ptr_array_add (names, a);
        g_ptr_array_add (names, b);
        assay_safetensors_writer_add (m, a, mv, rows, cols);
        assay_safetensors_writer_add (m, b, vv, rows, cols);
      }
  json_object_set_int_member (state, "step", step);
  json_object_set_array_member (state, "steps", json_array_ref (steps));
  text = assay_json_object_to_string (state, TRUE);
  ok = assay_safetensors_writer_write (w, weights, error) && assay_safetensors_writer_write (m, moments, error)
       && g_file_set_contents (state_path, text, -1, error);
  if (ok)
    {
      /* the new checkpoint replaces the old: old aside, new in, old removed */
      if (g_file_test (dir, G_FILE_TEST_IS_DIR) && (remove_checkpoint (old), g_rename (dir, old) != 0))
        ok = FALSE;
      else if (g_rename (tmp, dir) != 0)
        ok = FALSE;
      if (!ok)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      else
        {
          remove_checkpoint (old);
        }
    }
  return ok;
}

/* The checkpoint of an earlier run with these settings: its step and steps, the weights and
 * moments loaded. */
static gboolean
load_checkpoint (AssayTrainModel *train, AssayAdamW *opt, const AssayFinetuneOptions *o, guint *step, JsonArray **steps,
                 GError **error)
{
  g_autofree char *dir = checkpoint_dir (o);
  g_autofree char *state_path = g_build_filename (dir, "trainer_state.json", NULL);
  g_autofree char *weights = NULL, *moments = NULL, *text = NULL;
  g_autoptr (JsonObject) state = NULL;
  g_autoptr (JsonObject) key = resume_key (o);
  g_autoptr (AssaySafetensors) files = NULL;
  JsonObjectIter   iter;
  const char      *name;
  JsonNode        *value;
  guint            k = 0;

  if (!g_file_test (state_path, G_FILE_TEST_IS_REGULAR))
    {
      /* killed between setting the old checkpoint aside and putting the new one in: the old one */
      g_autofree char *old = g_strconcat (dir, ".old", NULL);
      g_free (dir);
      dir = g_steal_pointer (&old);
      g_free (state_path);
      state_path = g_build_filename (dir, "trainer_state.json", NULL);
    }
  weights = g_build_filename (dir, "weights.safetensors", NULL);
  moments = g_build_filename (dir, "optimizer.safetensors", NULL);
  if (!g_file_get_contents (state_path, &text, NULL, NULL))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: no stopped run to resume here", o->out);
      return FALSE;
    }
  if ((state = assay_json_object_from_string (text, error)) == NULL)
    {
      g_prefix_error (error, "%s: ", state_path);
      return FALSE;
    }
  json_object_iter_init (&iter, key);
  while (json_object_iter_next (&iter, &name, &value))
    {
      g_autofree char *want = assay_json_node_to_string (value, FALSE);
      g_autofree char *have = json_object_has_member (state, name)
                                ? assay_json_node_to_string (json_object_get_member (state, name), FALSE) : NULL;
      if (g_strcmp0 (want, have) != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: the stopped run had %s %s, not %s: resume it with its own settings", state_path, name,
                       have != NULL ? have : "none", want);
          return FALSE;
        }
    }
  if (!assay_train_model_load (train, weights, error) || (files = assay_safetensors_open (moments, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < assay_train_model_n_params (train); i++)
    if (assay_train_model_param_trainable (train, i))
      {
        gsize  n;
        float *mv, *vv;
        g_autofree char *a = g_strconcat (assay_train_model_param_name (train, i), ".exp_avg", NULL);
        g_autofree char *b = g_strconcat (assay_train_model_param_name (train, i), ".exp_avg_sq", NULL);
        const AssaySafetensor *ta = assay_safetensors_get (files, a), *tb = assay_safetensors_get (files, b);
        assay_adamw_moments (opt, k++, &mv, &vv, &n);
        if (ta == NULL || tb == NULL || ta->type != ASSAY_ST_F32 || tb->type != ASSAY_ST_F32
            || ta->n_elements != (gint64) n || tb->n_elements != (gint64) n)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the moments of “%s” are missing", moments,
                         assay_train_model_param_name (train, i));
            return FALSE;
          }
        memcpy (mv, ta->data, n * sizeof (float));
        memcpy (vv, tb->data, n * sizeof (float));
      }
  *step = (guint) assay_json_get_int (state, "step", 0);
  assay_adamw_set_steps (opt, *step);
  *steps = json_object_has_member (state, "steps") ? json_array_ref (json_object_get_array_member (state, "steps"))
                                                   : json_array_new ();
  return TRUE;
}

gboolean
assay_finetune_run (AssayStore *store, const AssayFinetuneOptions *o, AssayBackend *backend,
                    void (*progress) (double, const char *, gpointer), void (*on_step) (JsonObject *, gpointer),
                    gpointer progress_data, GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayTrainModel) train = NULL;
  g_autoptr (AssayAdamW) opt = NULL;
  g_autoptr (GArray) examples = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (o->seed);
  g_autofree guint *order = NULL;
  g_autoptr (GPtrArray) starts = NULL;
  g_autofree char  *existing = NULL, *merged = NULL;
  const char       *kind = assay_finetune_objective_name (o->objective);
  int               n_sides = sides (o);
  JsonObject       *params, *metrics;
  JsonArray        *steps = NULL;
  AssayAdamWOptions ao;
  gint64            run, t0 = g_get_monotonic_time ();
  guint             skipped = 0, step = 0, total_steps = 0, resumed = 0, at = 0;
  gboolean          cancelled = FALSE;
  guint64           tokens = 0, seen = 0;
  int               max_len;
  gboolean          ok = FALSE;
  double            last_loss = 0.0;

  if (o->out == NULL || o->model == NULL || o->epochs < 1 || o->batch_tokens < 2 || o->accumulate < 1
      || !(o->lr > 0) || !isfinite (o->lr) || !(o->warmup >= 0) || o->warmup >= 1 || !(o->beta > 0) || !isfinite (o->beta)
      || !(o->weight_decay >= 0) || !isfinite (o->weight_decay) || !(o->max_grad_norm >= 0)
      || !isfinite (o->max_grad_norm) || !(o->lora_alpha >= 0) || !isfinite (o->lora_alpha)
      || !(o->lora_dropout >= 0) || o->lora_dropout >= 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "training needs a model, an output folder, epochs ≥ 1, batch tokens ≥ 2, accumulate ≥ 1, "
                   "a finite learning rate > 0, a warm-up share in [0, 1), a finite beta > 0, finite weight decay, "
                   "gradient clipping and LoRA alpha ≥ 0, and LoRA dropout in [0, 1)");
      return FALSE;
    }
  if (same_folder (o->model, o->out))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the output folder is the model's own", o->out);
      return FALSE;
    }
  {
    /* a stopped run waits here to be resumed: starting over would throw its steps away */
    g_autofree char *stopped = g_build_filename (o->out, "checkpoint", "trainer_state.json", NULL);
    if (!o->force && !o->resume && g_file_test (stopped, G_FILE_TEST_EXISTS))
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     "%s holds a stopped run: resume it, or force to start over (its checkpoint is then lost)", o->out);
        return FALSE;
      }
  }
  existing = g_build_filename (o->out, o->lora_rank > 0 ? "adapter_model.safetensors" : "model.safetensors", NULL);
  if (!o->force && !o->resume && g_file_test (existing, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s already holds a model (give another folder, or force to replace it)", o->out);
      return FALSE;
    }
  {
    g_autofree char *area = NULL;
    if (!assay_store_get_dataset (store, o->dataset, &area, NULL, error))
      return FALSE;
    if (!g_str_equal (area, "gen"))
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("dataset %" G_GINT64_FORMAT " holds %s, not generated records: training learns from reviewed "
                       "records and pairs"), o->dataset, area);
        return FALSE;
      }
  }
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL
      || (train = assay_train_model_new (model, backend, error)) == NULL)
    return FALSE;
  if (o->lora_rank > 0)
    {
      g_auto (GStrv) targets = o->lora_targets != NULL ? g_strsplit (o->lora_targets, ",", -1) : NULL;
      AssayLoraOptions lo = { o->lora_rank, o->lora_alpha > 0 ? o->lora_alpha : 2.0 * o->lora_rank, o->lora_dropout,
                              targets, o->seed };
      if (!assay_train_model_add_lora (train, &lo, error))
        return FALSE;
    }
  max_len = o->max_len > 0 ? o->max_len : assay_lm_model_config (model)->max_positions;
  max_len = MAX (max_len, 2);
  if ((examples = load_examples (store, o, model, max_len, &skipped, error)) == NULL)
    return FALSE;
  if (examples->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                   n_sides == 1 ? _("Nothing to train on: dataset %" G_GINT64_FORMAT " has no record with that status and a text")
                                : _("Nothing to train on: dataset %" G_GINT64_FORMAT " has no pair (chosen and rejected) with that status"),
                   o->dataset);
      return FALSE;
    }
  if (n_sides == 2)
    {
      if (progress != NULL)
        progress (0.0, _("Log-probabilities of the reference"), progress_data);
      if (!reference_logprobs (train, examples, o->batch_tokens, error))
        return FALSE;
    }
  /* every epoch's shuffle and packing first: the schedule needs the number of steps */
  order = g_new (guint, (gsize) examples->len * o->epochs);
  starts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < examples->len; i++)
    {
      order[i] = i;
      tokens += example_tokens (&g_array_index (examples, Example, i));
    }
  for (int epoch = 0; epoch < o->epochs; epoch++)
    {
      guint  *ord = order + (gsize) epoch * examples->len;
      GArray *start;
      if (epoch > 0)
        memcpy (ord, ord - examples->len, examples->len * sizeof (guint));
      for (guint i = examples->len; i > 1; i--)
        {
          guint j = (guint) g_rand_int_range (rng, 0, (gint32) i), t = ord[i - 1];
          ord[i - 1] = ord[j];
          ord[j] = t;
        }
      start = batches (examples, ord, examples->len, o->batch_tokens);
      g_ptr_array_add (starts, start);
      total_steps += (start->len - 1 + (guint) o->accumulate - 1) / (guint) o->accumulate;
    }

  assay_adamw_options_init (&ao);
  ao.weight_decay = o->weight_decay;
  opt = assay_adamw_new (&ao);
  assay_train_model_register (train, opt);
  params = json_object_new ();
  json_object_set_string_member (params, "model", o->model);
  json_object_set_string_member (params, "out", o->out);
  json_object_set_int_member (params, "status", o->status);
  json_object_set_double_member (params, "learning_rate", o->lr);
  if (n_sides == 2)
    json_object_set_double_member (params, "beta", o->beta);
  json_object_set_int_member (params, "epochs", o->epochs);
  json_object_set_int_member (params, "batch_tokens", o->batch_tokens);
  json_object_set_int_member (params, "accumulate", o->accumulate);
  json_object_set_int_member (params, "max_len", max_len);
  json_object_set_double_member (params, "warmup_ratio", o->warmup);
  json_object_set_double_member (params, "weight_decay", o->weight_decay);
  json_object_set_double_member (params, "max_grad_norm", o->max_grad_norm);
  json_object_set_int_member (params, "seed", o->seed);
  json_object_set_boolean_member (params, "chat", o->chat);
  json_object_set_string_member (params, "schedule", "warm-up + cosine");
  if (o->lora_rank > 0)
    {
      json_object_set_int_member (params, "lora_rank", o->lora_rank);
      json_object_set_double_member (params, "lora_alpha", o->lora_alpha > 0 ? o->lora_alpha : 2.0 * o->lora_rank);
      json_object_set_double_member (params, "lora_dropout", o->lora_dropout);
      json_object_set_string_member (params, "lora_targets", o->lora_targets != NULL ? o->lora_targets : "all-linear");
    }
  if (o->resume && !load_checkpoint (train, opt, o, &resumed, &steps, error))
    {
      json_object_unref (params);
      return FALSE;
    }
  if (o->resume)
    json_object_set_int_member (params, "resumed_at_step", resumed);
  run = assay_store_add_run (store, o->dataset, "train", kind, params, assay_backend_describe (backend), error);
  json_object_unref (params);
  if (run <= 0)
    {
      g_clear_pointer (&steps, json_array_unref);
      return FALSE;
    }
  if (steps == NULL)
    steps = json_array_new ();
  step = resumed;
  if (json_array_get_length (steps) > 0)
    {
      /* the tokens seen before the stop */
      JsonObject *last = json_array_get_object_element (steps, json_array_get_length (steps) - 1);
      seen = (guint64) MAX (assay_json_get_int (last, "num_tokens", 0), 0);
    }
  if (on_step != NULL)
    for (guint i = 0; i < json_array_get_length (steps); i++)
      on_step (json_array_get_object_element (steps, i), progress_data);

  for (int epoch = 0; epoch < o->epochs; epoch++)
    {
      GArray      *start = starts->pdata[epoch];
      const guint *ord = order + (gsize) epoch * examples->len;

      for (guint b0 = 0; b0 + 1 < start->len; b0 += (guint) o->accumulate)
        {
          guint            b1 = MIN (b0 + (guint) o->accumulate, start->len - 1), scored = 0, n_tok = 0;
          g_autofree Batch *bs = g_new0 (Batch, b1 - b0);
          g_autofree float **lps = g_new0 (float *, b1 - b0);
          double           loss_sum = 0.0, norm, lr;
          JsonObject      *m = json_object_new ();
          g_autofree char *msg = NULL;
          gboolean         step_ok = TRUE;

          if (at++ < resumed)
            {
              /* done before the stop this run resumes */
              json_object_unref (m);
              continue;
            }
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              json_object_unref (m);
              cancelled = TRUE;
              if (step > resumed || o->resume)
                {
                  g_autoptr (GError) local = NULL;
                  if (progress != NULL)
                    progress (0.98 * step / total_steps, _("Saving where the run stopped"), progress_data);
                  if (!save_checkpoint (train, opt, o, step, steps, &local))
                    g_prefix_error (error, "(and the checkpoint could not be written: %s) ", local->message);
                }
              goto out;
            }
          /* one set of dropout masks for the step (its scoring and training passes agree) */
          assay_train_model_set_dropout_seed (train, ((guint64) o->seed << 32) ^ step);
          for (guint b = b0; b < b1; b++)
            batch_make (&bs[b - b0], examples, ord, g_array_index (start, guint, b), g_array_index (start, guint, b + 1),
                        n_sides);
          if (n_sides == 1)
            {
              /* the mean over the step's completion tokens */
              for (guint b = b0; b < b1; b++)
                for (guint t = 0; t < bs[b - b0].targets->len; t++)
                  scored += g_array_index (bs[b - b0].targets, int, t) >= 0;
              for (guint b = b0; b < b1; b++)
                for (guint t = 0; t < bs[b - b0].targets->len; t++)
                  if (g_array_index (bs[b - b0].targets, int, t) >= 0)
                    g_array_index (bs[b - b0].weights, float, t) = (float) (1.0 / scored);
            }
          else
            {
              for (guint b = b0; step_ok && b < b1; b++)
                {
                  lps[b - b0] = g_new (float, bs[b - b0].ids->len);
                  step_ok = score (train, &bs[b - b0], lps[b - b0], error);
                }
              if (step_ok)
                dpo_weigh (o, examples, ord, start, b0, b1, bs, lps, m);
            }
          for (guint b = b0; step_ok && b < b1; b++)
            {
              double loss;
              step_ok = assay_train_model_step (train, (int *) bs[b - b0].ids->data, (int) bs[b - b0].ids->len,
                                                (int *) bs[b - b0].offsets->data, (int) bs[b - b0].offsets->len - 1,
                                                (int *) bs[b - b0].targets->data, (float *) bs[b - b0].weights->data,
                                                &loss, NULL, error);
              loss_sum += loss;
              n_tok += bs[b - b0].ids->len;
            }
          for (guint b = b0; b < b1; b++)
            {
              batch_clear (&bs[b - b0]);
              g_free (lps[b - b0]);
            }
          if (!step_ok)
            {
              json_object_unref (m);
              goto out;
            }
          norm = o->max_grad_norm > 0 ? assay_adamw_clip (opt, o->max_grad_norm) : assay_adamw_grad_norm (opt);
          if (!isfinite (loss_sum) || !isfinite (norm))
            {
              /* nothing more to learn from here: the model is left as the last finite step made it */
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                           _("step %u: the loss or the gradient is no longer finite (loss %g, gradient norm %g); "
                             "nothing was written: try a lower learning rate"),
                           step + 1, loss_sum, norm);
              json_object_unref (m);
              goto out;
            }
          lr = assay_lr_warmup_cosine (step, (guint) (o->warmup * total_steps + 0.5), total_steps, o->lr, 0.0);
          assay_adamw_step (opt, lr);
          step++;
          seen += n_tok;
          if (n_sides == 1)
            json_object_set_double_member (m, "loss", loss_sum);
          last_loss = json_object_get_double_member (m, "loss");
          json_object_set_int_member (m, "step", step);
          json_object_set_double_member (m, "epoch", epoch + (double) b1 / (start->len - 1));
          json_object_set_double_member (m, "learning_rate", lr);
          json_object_set_double_member (m, "grad_norm", norm);
          json_object_set_int_member (m, "num_tokens", (gint64) seen);
          json_object_set_int_member (m, "total_steps", total_steps);
          json_array_add_object_element (steps, m);
          if (on_step != NULL)
            on_step (m, progress_data);
          if (o->save_every > 0 && step % (guint) o->save_every == 0 && step < total_steps
              && !save_checkpoint (train, opt, o, step, steps, error))
            goto out;
          msg = g_strdup_printf (_("Step %u of %u: loss %.4f"), step, total_steps, last_loss);
          if (progress != NULL)
            progress (0.98 * step / total_steps, msg, progress_data);
        }
    }
  if (progress != NULL)
    progress (0.98, _("Writing the trained model"), progress_data);
  if (o->lora_rank > 0)
    {
      merged = g_build_filename (o->out, "merged", NULL);
      if (!assay_train_model_save_adapter (train, o->out, error)
          || !assay_train_model_save (train, merged, o->bf16 || assay_lm_model_dtype (model) == ASSAY_DTYPE_BF16, error))
        goto out;
    }
  else if (!assay_train_model_save (train, o->out, o->bf16 || assay_lm_model_dtype (model) == ASSAY_DTYPE_BF16, error))
    goto out;
  ok = TRUE;
  {
    /* finished: a checkpoint a stop left here has served */
    g_autofree char *dir = checkpoint_dir (o);
    remove_checkpoint (dir);
  }
out:
  metrics = json_object_new ();
  json_object_set_array_member (metrics, "steps", json_array_ref (steps));
  json_object_set_double_member (metrics, "final_loss", last_loss);
  json_object_set_int_member (metrics, "examples", examples->len);
  if (cancelled)
    {
      g_autofree char *dir = checkpoint_dir (o);
      json_object_set_int_member (metrics, "stopped_at_step", step);
      json_object_set_string_member (metrics, "checkpoint", dir);
    }
  if (!assay_store_finish_run (store, run, ok ? "done" : cancelled ? "cancelled" : "failed",
                               (g_get_monotonic_time () - t0) / 1e6, metrics, ok ? error : NULL))
    ok = FALSE;
  json_object_unref (metrics);
  if (ok)
    {
      *result = json_object_new ();
      json_object_set_int_member (*result, "run", run);
      json_object_set_string_member (*result, "out", o->out);
      if (merged != NULL)
        json_object_set_string_member (*result, "merged", merged);
      json_object_set_string_member (*result, "objective", kind);
      json_object_set_int_member (*result, "examples", examples->len);
      json_object_set_int_member (*result, "skipped", skipped);
      json_object_set_int_member (*result, "tokens", (gint64) tokens);
      json_object_set_array_member (*result, "steps", json_array_ref (steps));
      json_object_set_double_member (*result, "seconds", (g_get_monotonic_time () - t0) / 1e6);
    }
  json_array_unref (steps);
  return ok;
}

typedef struct
{
  AssayJob *job;
  GPtrArray *steps; /* JsonObject, the worker's own */
} Sink;

static void
sink_progress (double fraction, const char *message, gpointer data)
{
  assay_job_progress_func (fraction, message, ((Sink *) data)->job);
}

/* A copy of the steps so far for the main thread: objects of scalars, copied member by member
 * (json-glib's objects are not to be shared between threads). */
static void
sink_step (JsonObject *step, gpointer data)
{
  Sink      *sink = data;
  JsonArray *list = json_array_new ();
  JsonObject *root = json_object_new ();

  g_ptr_array_add (sink->steps, json_object_ref (step));
  for (guint i = 0; i < sink->steps->len; i++)
    {
      JsonObject *copy = json_object_new ();
      JsonObjectIter iter;
      const char    *name;
      JsonNode      *value;
      json_object_iter_init (&iter, sink->steps->pdata[i]);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (copy, name, json_node_copy (value));
      json_array_add_object_element (list, copy);
    }
  json_object_set_array_member (root, "steps", list);
  assay_job_set_partial (sink->job, json_node_init_object (json_node_alloc (), root));
  json_object_unref (root);
}

static gboolean
finetune_job_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;
  Sink        sink = { job, g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref) };
  gboolean    ok;

  ok = store != NULL
       && assay_finetune_run (store, user_data, assay_job_get_backend (job), sink_progress, sink_step, &sink,
                              assay_job_get_cancellable (job), &result, error);
  g_ptr_array_unref (sink.steps);
  if (ok)
    assay_job_take_result_object (job, result);
  return ok;
}

static void
options_free (AssayFinetuneOptions *o)
{
  assay_finetune_options_clear (o);
  g_free (o);
}

AssayJob *
assay_finetune_job_new (const AssayFinetuneOptions *options)
{
  AssayFinetuneOptions *copy = g_new0 (AssayFinetuneOptions, 1);
  g_autofree char      *base = g_path_get_basename (options->model);
  g_autofree char      *upper = g_ascii_strup (assay_finetune_objective_name (options->objective), -1);
  g_autofree char      *title = g_strdup_printf (_("Fine-tune %s (%s)"), base, upper);
  g_autofree char      *kind = g_strdup_printf ("train-%s", assay_finetune_objective_name (options->objective));
  AssayJob             *job;

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->out = g_strdup (options->out);
  copy->lora_targets = g_strdup (options->lora_targets);
  job = assay_job_new (kind, title, ASSAY_JOB_LANE_COMPUTE, finetune_job_run, copy, (GDestroyNotify) options_free);
  assay_job_set_force_cpu (job, TRUE); /* (the engine's gradients run on the CPU for now) */
  return job;
}
