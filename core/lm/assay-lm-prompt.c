/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-prompt.c: see assay-lm-prompt.h. */
#include "assay-lm-prompt.h"

#include "assay-chat-template.h"
#include "assay-error.h"

struct _AssayLmPrompt
{
  AssayLmModel      *model;
  AssayLmTokenizer  *tok;
  AssayChatTemplate *tmpl;
  char              *bos, *eos;
};

AssayLmPrompt *
assay_lm_prompt_new (AssayLmModel *model, gboolean chat, GError **error)
{
  g_autoptr (AssayLmPrompt) self = g_new0 (AssayLmPrompt, 1);

  self->model = model;
  self->tok = assay_lm_model_tokenizer (model);
  if (self->tok == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s has no tokenizer (tokenizer.json): prompts cannot be encoded",
                   assay_lm_model_dir (model));
      return NULL;
    }
  if (chat
      && (self->tmpl = assay_chat_template_load_model (assay_lm_model_dir (model), &self->bos,
                                                       &self->eos, error)) == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
assay_lm_prompt_free (AssayLmPrompt *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->tmpl, assay_chat_template_free);
  g_free (self->bos);
  g_free (self->eos);
  g_free (self);
}

gboolean
assay_lm_prompt_is_chat (AssayLmPrompt *self)
{
  return self->tmpl != NULL;
}

char *
assay_lm_prompt_render (AssayLmPrompt *self, JsonObject *vars, GError **error)
{
  g_autoptr (JsonNode) input = NULL;
  g_autoptr (JsonObject) context = NULL;
  JsonNode *messages = json_object_get_member (vars, "messages");

  g_return_val_if_fail (self->tmpl != NULL, NULL);
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "field “messages” is missing or not a list");
      return NULL;
    }
  input = json_node_init_object (json_node_alloc (), vars);
  if ((context = assay_chat_template_context_new (input, self->bos, self->eos, error)) == NULL)
    return NULL;
  if (!json_object_has_member (vars, "add_generation_prompt"))
    json_object_set_boolean_member (context, "add_generation_prompt", TRUE);
  return assay_chat_template_render (self->tmpl, context, error);
}

GArray *
assay_lm_prompt_encode_rendered (AssayLmPrompt *self, const char *text, GError **error)
{
  return assay_lm_tokenizer_encode (self->tok, text, NULL, error);
}

GArray *
assay_lm_prompt_encode (AssayLmPrompt *self, const char *text, GError **error)
{
  GArray *ids, *enc;
  int     bos;

  if (self->tmpl != NULL)
    {
      g_autoptr (JsonObject) vars = json_object_new ();
      JsonArray       *a = json_array_new ();
      JsonObject      *m = json_object_new ();
      g_autofree char *rendered = NULL;
      json_object_set_string_member (m, "role", "user");
      json_object_set_string_member (m, "content", text);
      json_array_add_object_element (a, m);
      json_object_set_array_member (vars, "messages", a);
      if ((rendered = assay_lm_prompt_render (self, vars, error)) == NULL)
        return NULL;
      return assay_lm_tokenizer_encode (self->tok, rendered, NULL, error);
    }
  if ((enc = assay_lm_tokenizer_encode (self->tok, text, NULL, error)) == NULL)
    return NULL;
  bos = assay_lm_tokenizer_bos_id (self->tok);
  if (bos < 0)
    return enc;
  ids = g_array_sized_new (FALSE, FALSE, sizeof (int), enc->len + 1);
  g_array_append_val (ids, bos);
  g_array_append_vals (ids, enc->data, enc->len);
  g_array_unref (enc);
  return ids;
}
