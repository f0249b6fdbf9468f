/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-chat-template.h: Hugging Face chat templates, a subset of Jinja rendered as transformers
 * does it (jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop
 * controls, its tojson, raise_exception and strftime_now). Constructs outside the subset are
 * errors naming the construct and the template line, never a different output. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _AssayChatTemplate AssayChatTemplate;

/* Parses source; errors name the template line. */
AssayChatTemplate *assay_chat_template_new (const char *source, GError **error);
void               assay_chat_template_free (AssayChatTemplate *self);

/* The text of the template for context, a JSON object of its variables: messages,
 * add_generation_prompt, bos_token, eos_token, tools, documents, ... as given (transformers passes
 * tools and documents as null when there are none). A raise_exception() of the template is an
 * ASSAY_ERROR_INVALID_INPUT whose message is the template's. */
char *assay_chat_template_render (AssayChatTemplate *self, JsonObject *context, GError **error);

/* The variables of one rendering as transformers passes them: input is a JSON list of messages
 * ({role, content, ...}) or an object with "messages" and other variables; tools and documents are
 * null and add_generation_prompt false unless given; bos_token and eos_token (when not NULL) unless
 * given. */
JsonObject *assay_chat_template_context_new (JsonNode *input, const char *bos, const char *eos,
                                             GError **error);

/* A model folder's template: chat_template.jinja, else tokenizer_config.json's "chat_template"
 * (a string, or a list of {name, template} of which "default" is taken), else
 * chat_template.json. bos and eos (optional) get tokenizer_config.json's bos_token and eos_token
 * (a string or {"content": ...}), NULL when it has none. */
AssayChatTemplate *assay_chat_template_load_model (const char *dir, char **bos, char **eos,
                                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayChatTemplate, assay_chat_template_free)

G_END_DECLS
