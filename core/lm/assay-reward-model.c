/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-reward-model.c: outcome and process reward heads over the engine (see the header). */
#include "config.h"

#include "assay-reward-model.h"

#include <math.h>
#include <string.h>

#include "assay-encoder.h"
#include "assay-error.h"
#include "assay-lm-prompt.h"
#include "assay-lm-tokenizer.h"

struct _AssayRewardModel
{
  AssayLmModel  *model;
  AssayEncoder  *encoder;
  AssayLmPrompt *prompt;   /* the chat template, when the folder has one */
  GError        *no_chat;  /* why there is none */
  int            H, labels;
  double        *w1, *b1;  /* PRM: hidden x hidden, hidden */
  double        *w2, *b2;  /* ORM: labels x hidden (no bias); PRM: 2 x hidden, 2 */
};

void
assay_reward_model_free (AssayRewardModel *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->encoder, assay_encoder_free);
  g_clear_pointer (&self->prompt, assay_lm_prompt_free);
  g_clear_error (&self->no_chat);
  g_clear_pointer (&self->model, assay_lm_model_free);
  g_free (self->w1);
  g_free (self->b1);
  g_free (self->w2);
  g_free (self->b2);
  g_free (self);
}

AssayRewardModel *
assay_reward_model_open (const char *dir, AssayBackend *backend, GError **error)
{
  g_autoptr (AssayRewardModel) self = g_new0 (AssayRewardModel, 1);
  const AssayLmConfig *c;
  AssayEncoderOptions o = { ASSAY_POOLING_LAST, FALSE, 0, NULL };

  if ((self->model = assay_lm_model_open (dir, error)) == NULL)
    return NULL;
  c = assay_lm_model_config (self->model);
  if (c->reward_head == ASSAY_LM_REWARD_NONE)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: %s is not a reward model (LlamaForSequenceClassification, "
                   "Qwen2ForSequenceClassification or Qwen2ForProcessRewardModel are)",
                   dir, c->architecture);
      return NULL;
    }
  if (assay_lm_model_tokenizer (self->model) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: no tokenizer.json", dir);
      return NULL;
    }
  self->H = c->hidden;
  self->labels = c->num_labels;
  if (c->reward_head == ASSAY_LM_REWARD_SEQUENCE)
    self->w2 = assay_lm_model_read_tensor (self->model, "score.weight", self->labels, self->H, error);
  else if ((self->w1 = assay_lm_model_read_tensor (self->model, "score.0.weight", self->H, self->H, error)) == NULL
           || (self->b1 = assay_lm_model_read_tensor (self->model, "score.0.bias", self->H, 0, error)) == NULL
           || (self->w2 = assay_lm_model_read_tensor (self->model, "score.2.weight", 2, self->H, error)) == NULL
           || (self->b2 = assay_lm_model_read_tensor (self->model, "score.2.bias", 2, 0, error)) == NULL)
    return NULL;
  if (self->w2 == NULL)
    return NULL;
  if ((self->encoder = assay_encoder_new (self->model, backend, &o, error)) == NULL)
    return NULL;
  self->prompt = assay_lm_prompt_new (self->model, TRUE, &self->no_chat);
  return g_steal_pointer (&self);
}

AssayLmRewardHead
assay_reward_model_head (AssayRewardModel *self)
{
  return assay_lm_model_config (self->model)->reward_head;
}

int
assay_reward_model_labels (AssayRewardModel *self)
{
  return self->labels;
}

AssayLmModel *
assay_reward_model_lm (AssayRewardModel *self)
{
  return self->model;
}

double *
assay_reward_model_logits_ids (AssayRewardModel *self, const int *ids, int len, int rows, GError **error)
{
  int                H = self->H, L = self->labels;
  g_autofree float  *hidden = g_new (float, (gsize) MAX (len, 1) * H);
  g_autofree double *mid = g_new (double, H);
  double            *out;

  if (!assay_encoder_hidden_ids (self->encoder, ids, len, hidden, error))
    return NULL;
  out = g_new (double, (gsize) len * L);
  for (int t = 0; t < len; t++)
    {
      const float *h = hidden + (gsize) t * H;
      if ((rows == ASSAY_REWARD_ROWS_LAST && t != len - 1) || (rows >= 0 && ids[t] != rows))
        {
          for (int k = 0; k < L; k++)
            out[(gsize) t * L + k] = NAN;
          continue;
        }
      if (self->w1 != NULL)
        {
          for (int i = 0; i < H; i++)
            {
              double a = self->b1[i];
              for (int j = 0; j < H; j++)
                a += self->w1[(gsize) i * H + j] * h[j];
              mid[i] = a > 0 ? a : 0;
            }
          for (int k = 0; k < L; k++)
            {
              double a = self->b2[k];
              for (int j = 0; j < H; j++)
                a += self->w2[(gsize) k * H + j] * mid[j];
              out[(gsize) t * L + k] = a;
            }
        }
      else
        for (int k = 0; k < L; k++)
          {
            double a = 0;
            for (int j = 0; j < H; j++)
              a += self->w2[(gsize) k * H + j] * h[j];
            out[(gsize) t * L + k] = a;
          }
    }
  return out;
}

static GArray *
render (AssayRewardModel *self, JsonArray *messages, GError **error)
{
  g_autoptr (JsonObject) vars = json_object_new ();
  g_autofree char *text = NULL;

  if (self->prompt == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s", self->no_chat != NULL ? self->no_chat->message
                                                                                                 : "no chat template");
      json_array_unref (messages);
      return NULL;
    }
  g_autoptr (GArray) ids = NULL;

  json_object_set_array_member (vars, "messages", messages);
  json_object_set_boolean_member (vars, "add_generation_prompt", FALSE);
  if ((text = assay_lm_prompt_render (self->prompt, vars, error)) == NULL
      || (ids = assay_lm_prompt_encode_rendered (self->prompt, text, error)) == NULL)
    return NULL;
  if ((int) ids->len > assay_encoder_max_tokens (self->encoder))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_TOO_LONG, "%u tokens, more than the %d %s reads", ids->len,
                   assay_encoder_max_tokens (self->encoder), assay_lm_model_dir (self->model));
      return NULL;
    }
  return g_steal_pointer (&ids);
}

static void
add_message (JsonArray *messages, const char *role, const char *content)
{
  JsonObject *m = json_object_new ();

  json_object_set_string_member (m, "role", role);
  json_object_set_string_member (m, "content", content);
  json_array_add_object_element (messages, m);
}

gboolean
assay_reward_model_score (AssayRewardModel *self, const char *prompt, const char *response, double *out,
                          GError **error)
{
  JsonArray *messages = json_array_new ();
  g_autoptr (GArray) ids = NULL;
  g_autofree double *logits = NULL;

  if (assay_reward_model_head (self) != ASSAY_LM_REWARD_SEQUENCE)
    {
      json_array_unref (messages);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: a process reward model scores steps, not answers",
                   assay_lm_model_dir (self->model));
      return FALSE;
    }
  add_message (messages, "user", prompt != NULL ? prompt : "");
  add_message (messages, "assistant", response != NULL ? response : "");
  if ((ids = render (self, messages, error)) == NULL
      || (logits = assay_reward_model_logits_ids (self, (const int *) ids->data, (int) ids->len, ASSAY_REWARD_ROWS_LAST,
                                                  error)) == NULL)
    return FALSE;
  memcpy (out, logits + (gsize) (ids->len - 1) * self->labels, sizeof (double) * self->labels);
  return TRUE;
}

gboolean
assay_reward_model_steps (AssayRewardModel *self, const char *problem, const char *const *steps, int n,
                          double *out, GError **error)
{
  JsonArray *messages = json_array_new ();
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autoptr (GArray) ids = NULL;
  g_autofree double *logits = NULL;
  int sep, found = 0;

  if (assay_reward_model_head (self) != ASSAY_LM_REWARD_PROCESS)
    {
      json_array_unref (messages);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: an outcome reward model scores answers, not steps",
                   assay_lm_model_dir (self->model));
      return FALSE;
    }
  sep = assay_lm_tokenizer_token_id (assay_lm_model_tokenizer (self->model), ASSAY_PRM_SEPARATOR);
  if (sep < 0)
    {
      json_array_unref (messages);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the tokenizer has no step separator %s",
                   assay_lm_model_dir (self->model), ASSAY_PRM_SEPARATOR);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      /* a separator written inside a step would count as a step of its own */
      if (strstr (steps[i], ASSAY_PRM_SEPARATOR) != NULL)
        {
          json_array_unref (messages);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "step %d holds the separator %s", i + 1,
                       ASSAY_PRM_SEPARATOR);
          return FALSE;
        }
      g_string_append (answer, steps[i]);
      g_string_append (answer, ASSAY_PRM_SEPARATOR);
    }
  add_message (messages, "system", ASSAY_PRM_SYSTEM);
  add_message (messages, "user", problem != NULL ? problem : "");
  add_message (messages, "assistant", answer->str);
  if ((ids = render (self, messages, error)) == NULL
      || (logits = assay_reward_model_logits_ids (self, (const int *) ids->data, (int) ids->len, sep, error)) == NULL)
    return FALSE;
  for (guint t = 0; t < ids->len; t++)
    if (g_array_index (ids, int, t) == sep)
      {
        double a = logits[(gsize) t * 2], b = logits[(gsize) t * 2 + 1], m = MAX (a, b);
        if (found < n)
          out[found] = exp (b - m) / (exp (a - m) + exp (b - m));
        found++;
      }
  if (found != n)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%d steps but %d separators after rendering (the template or a cut changed them)", n, found);
      return FALSE;
    }
  return TRUE;
}
