/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-sft.c: see assay-sft.h. */
#include "config.h"

#include "assay-sft.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-adamw.h"
#include "assay-error.h"
#include "assay-gen-query.h"
#include "assay-gen-record.h"
#include "assay-lm-model.h"
#include "assay-lm-prompt.h"
#include "assay-lm-tokenizer.h"
#include "assay-train-model.h"

void
assay_sft_options_init (AssaySftOptions *o)
{
  memset (o, 0, sizeof *o);
  o->status = ASSAY_GEN_ACCEPTED;
  o->lr = 2e-5;
  o->epochs = 3;
  o->batch_tokens = 4096;
  o->accumulate = 1;
  o->max_grad_norm = 1.0;
  o->seed = 42;
}

void
assay_sft_options_clear (AssaySftOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->out, g_free);
}

typedef struct
{
  GArray *ids;   /* int */
  int     first; /* the completion's first token */
} Example;

static void
example_clear (gpointer p)
{
  Example *e = p;
  g_clear_pointer (&e->ids, g_array_unref);
}

static gboolean
same_folder (const char *a, const char *b)
{
  GStatBuf x, y;
  return g_stat (a, &x) == 0 && g_stat (b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* The records as examples; *skipped counts those with no text or a prompt filling max_len. */
static GArray *
load_examples (AssayStore *store, const AssaySftOptions *o, AssayLmModel *model, int max_len, guint *skipped,
               GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (model);
  AssayLmTokenizer    *tok = assay_lm_model_tokenizer (model);
  g_autoptr (AssayLmPrompt) prompt = NULL;
  g_autoptr (GArray) ids = NULL;
  GArray             *out = g_array_new (FALSE, FALSE, sizeof (Example));
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
      g_autoptr (GArray) p = NULL, t = NULL;
      const char *text;
      Example     e;

      if (r == NULL)
        goto fail;
      text = assay_gen_record_final_text (r);
      if (text == NULL || *text == '\0')
        {
          (*skipped)++;
          continue;
        }
      if ((p = assay_lm_prompt_encode (prompt, r->prompt != NULL ? r->prompt : "", error)) == NULL
          || (t = assay_lm_tokenizer_encode (tok, text, NULL, error)) == NULL)
        {
          g_prefix_error (error, "record %" G_GINT64_FORMAT ": ", r->id);
          goto fail;
        }
      if (c->n_eos > 0)
        g_array_append_val (t, c->eos_ids[0]);
      if ((int) p->len + 1 >= max_len || p->len + t->len < 2)
        {
          (*skipped)++;
          continue;
        }
      e.ids = g_array_sized_new (FALSE, FALSE, sizeof (int), p->len + t->len);
      g_array_append_vals (e.ids, p->data, p->len);
      e.first = (int) p->len;
      g_array_append_vals (e.ids, t->data, MIN (t->len, (guint) (max_len - (int) p->len)));
      e.first = MAX (e.first, 1); /* the first token of all has nothing before it */
      g_array_append_val (out, e);
    }
  return out;
fail:
  g_array_unref (out);
  return NULL;
}

/* The examples of one epoch in batches of at most budget tokens (an example longer than that
 * alone): batch b holds order[start[b] .. start[b + 1]). */
static GArray *
batches (GArray *examples, const guint *order, int budget)
{
  GArray *start = g_array_new (FALSE, FALSE, sizeof (guint));
  int     used = 0;

  for (guint i = 0; i < examples->len; i++)
    {
      int len = (int) g_array_index (examples, Example, order[i]).ids->len;
      if (i == 0 || used + len > budget)
        {
          g_array_append_val (start, i);
          used = 0;
        }
      used += len;
    }
  g_array_append_val (start, examples->len);
  return start;
}

gboolean
assay_sft_run (AssayStore *store, const AssaySftOptions *o, AssayBackend *backend,
               void (*progress) (double, const char *, gpointer), gpointer progress_data, GCancellable *cancellable,
               JsonObject **result, GError **error)
{
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayTrainModel) train = NULL;
  g_autoptr (AssayAdamW) opt = NULL;
  g_autoptr (GArray) examples = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (o->seed);
  g_autofree guint *order = NULL;
  g_autoptr (GPtrArray) starts = NULL;
  g_autofree char  *existing = NULL;
  JsonObject       *params, *metrics;
  JsonArray        *steps;
  AssayAdamWOptions ao;
  gint64            run, t0 = g_get_monotonic_time ();
  guint             skipped = 0, step = 0, total_steps = 0;
  guint64           tokens = 0, seen = 0;
  int               max_len;
  gboolean          ok = FALSE;
  double            last_loss = 0.0;

  if (o->out == NULL || o->model == NULL || o->epochs < 1 || o->batch_tokens < 2 || o->accumulate < 1
      || !(o->lr > 0) || o->warmup < 0 || o->warmup >= 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "training needs a model, an output folder, epochs ≥ 1, batch tokens ≥ 2, accumulate ≥ 1, "
                   "a learning rate > 0 and a warm-up share in [0, 1)");
      return FALSE;
    }
  if (same_folder (o->model, o->out))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the output folder is the model's own", o->out);
      return FALSE;
    }
  existing = g_build_filename (o->out, "model.safetensors", NULL);
  if (!o->force && g_file_test (existing, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s already holds a model (give another folder, or force to replace it)", o->out);
      return FALSE;
    }
  if ((model = assay_lm_model_open_causal (o->model, error)) == NULL
      || (train = assay_train_model_new (model, backend, error)) == NULL)
    return FALSE;
  max_len = o->max_len > 0 ? o->max_len : assay_lm_model_config (model)->max_positions;
  max_len = MAX (max_len, 2);
  if ((examples = load_examples (store, o, model, max_len, &skipped, error)) == NULL)
    return FALSE;
  if (examples->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                   _("Nothing to train on: dataset %" G_GINT64_FORMAT " has no record with that status and a text"),
                   o->dataset);
      return FALSE;
    }
  /* every epoch's shuffle and packing first: the schedule needs the number of steps */
  order = g_new (guint, (gsize) examples->len * o->epochs);
  starts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < examples->len; i++)
    {
      order[i] = i;
      tokens += g_array_index (examples, Example, i).ids->len;
    }
  for (int epoch = 0; epoch < o->epochs; epoch++)
    {
      guint *ord = order + (gsize) epoch * examples->len;
      GArray *start;
      if (epoch > 0)
        memcpy (ord, ord - examples->len, examples->len * sizeof (guint));
      for (guint i = examples->len; i > 1; i--)
        {
          guint j = (guint) g_rand_int_range (rng, 0, (gint32) i), t = ord[i - 1];
          ord[i - 1] = ord[j];
          ord[j] = t;
        }
      start = batches (examples, ord, o->batch_tokens);
      g_ptr_array_add (starts, start);
      total_steps += (start->len - 1 + (guint) o->accumulate - 1) / (guint) o->accumulate;
    }

  assay_adamw_options_init (&ao);
  ao.weight_decay = o->weight_decay;
  opt = assay_adamw_new (&ao);
  for (guint i = 0; i < assay_train_model_n_params (train); i++)
    {
      gsize  n;
      float *w = assay_train_model_param (train, i, &n);
      assay_adamw_add (opt, w, assay_train_model_grad (train, i), n, assay_train_model_param_decays (train, i));
    }
  params = json_object_new ();
  json_object_set_string_member (params, "model", o->model);
  json_object_set_string_member (params, "out", o->out);
  json_object_set_int_member (params, "status", o->status);
  json_object_set_double_member (params, "learning_rate", o->lr);
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
  run = assay_store_add_run (store, o->dataset, "train", "sft", params, assay_backend_describe (backend), error);
  json_object_unref (params);
  if (run <= 0)
    return FALSE;
  steps = json_array_new ();

  for (int epoch = 0; epoch < o->epochs; epoch++)
    {
      GArray      *start = starts->pdata[epoch];
      const guint *ord = order + (gsize) epoch * examples->len;

      for (guint b0 = 0; b0 + 1 < start->len; b0 += (guint) o->accumulate)
        {
          guint  b1 = MIN (b0 + (guint) o->accumulate, start->len - 1), scored = 0, n_tok = 0;
          double loss_sum = 0.0, norm, lr;
          JsonObject *m;
          g_autofree char *msg = NULL;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          for (guint i = g_array_index (start, guint, b0); i < g_array_index (start, guint, b1); i++)
            {
              const Example *e = &g_array_index (examples, Example, ord[i]);
              scored += e->ids->len - (guint) e->first;
            }
          for (guint b = b0; b < b1; b++)
            {
              guint             from = g_array_index (start, guint, b), to = g_array_index (start, guint, b + 1);
              g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
              g_autoptr (GArray) targets = g_array_new (FALSE, FALSE, sizeof (int));
              g_autoptr (GArray) weights = g_array_new (FALSE, FALSE, sizeof (float));
              g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (int));
              double            loss;
              int               zero = 0;

              g_array_append_val (offsets, zero);
              for (guint i = from; i < to; i++)
                {
                  const Example *e = &g_array_index (examples, Example, ord[i]);
                  for (guint t = 0; t < e->ids->len; t++)
                    {
                      /* position t predicts token t + 1; the completion's tokens are scored, each
                       * weighing 1 / (tokens scored in the step): the mean over them */
                      int   target = t + 1 < e->ids->len && (int) t + 1 >= e->first ? g_array_index (e->ids, int, t + 1) : -1;
                      float w = target >= 0 ? (float) (1.0 / scored) : 0.0f;
                      g_array_append_val (ids, g_array_index (e->ids, int, t));
                      g_array_append_val (targets, target);
                      g_array_append_val (weights, w);
                    }
                  g_array_append_val (offsets, ids->len);
                }
              if (!assay_train_model_step (train, (int *) ids->data, (int) ids->len, (int *) offsets->data,
                                           (int) offsets->len - 1, (int *) targets->data, (float *) weights->data,
                                           &loss, NULL, error))
                goto out;
              loss_sum += loss;
              n_tok += ids->len;
            }
          norm = o->max_grad_norm > 0 ? assay_adamw_clip (opt, o->max_grad_norm) : assay_adamw_grad_norm (opt);
          lr = assay_lr_warmup_cosine (step, (guint) (o->warmup * total_steps + 0.5), total_steps, o->lr, 0.0);
          assay_adamw_step (opt, lr);
          step++;
          seen += n_tok;
          last_loss = loss_sum;
          m = json_object_new ();
          json_object_set_int_member (m, "step", step);
          json_object_set_double_member (m, "epoch", epoch + (double) (b1) / (start->len - 1));
          json_object_set_double_member (m, "loss", loss_sum);
          json_object_set_double_member (m, "learning_rate", lr);
          json_object_set_double_member (m, "grad_norm", norm);
          json_object_set_int_member (m, "num_tokens", (gint64) seen);
          json_array_add_object_element (steps, m);
          msg = g_strdup_printf (_("Step %u of %u: loss %.4f"), step, total_steps, loss_sum);
          if (progress != NULL)
            progress (0.98 * step / total_steps, msg, progress_data);
        }
    }
  if (progress != NULL)
    progress (0.98, _("Writing the trained model"), progress_data);
  if (!assay_train_model_save (train, o->out, o->bf16 || assay_lm_model_dtype (model) == ASSAY_DTYPE_BF16, error))
    goto out;
  ok = TRUE;
out:
  metrics = json_object_new ();
  json_object_set_array_member (metrics, "steps", json_array_ref (steps));
  json_object_set_double_member (metrics, "final_loss", last_loss);
  json_object_set_int_member (metrics, "examples", examples->len);
  if (!assay_store_finish_run (store, run, ok ? "done" : "failed", (g_get_monotonic_time () - t0) / 1e6, metrics,
                               ok ? error : NULL))
    ok = FALSE;
  json_object_unref (metrics);
  if (ok)
    {
      *result = json_object_new ();
      json_object_set_int_member (*result, "run", run);
      json_object_set_string_member (*result, "out", o->out);
      json_object_set_int_member (*result, "examples", examples->len);
      json_object_set_int_member (*result, "skipped", skipped);
      json_object_set_int_member (*result, "tokens", (gint64) tokens);
      json_object_set_array_member (*result, "steps", json_array_ref (steps));
      json_object_set_double_member (*result, "seconds", (g_get_monotonic_time () - t0) / 1e6);
    }
  json_array_unref (steps);
  return ok;
}

static gboolean
sft_job_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_sft_run (store, user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                         assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssaySftOptions *o)
{
  assay_sft_options_clear (o);
  g_free (o);
}

AssayJob *
assay_sft_job_new (const AssaySftOptions *options)
{
  AssaySftOptions *copy = g_new0 (AssaySftOptions, 1);
  g_autofree char *base = g_path_get_basename (options->model);
  g_autofree char *title = g_strdup_printf (_("Fine-tune %s (SFT)"), base);
  AssayJob        *job;

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->out = g_strdup (options->out);
  job = assay_job_new ("train-sft", title, ASSAY_JOB_LANE_COMPUTE, sft_job_run, copy, (GDestroyNotify) options_free);
  assay_job_set_force_cpu (job, TRUE); /* (the engine's gradients run on the CPU for now) */
  return job;
}
