/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: a chat template of arbitrary bytes (model folders bring their own), parsed and,
 * when it parses, rendered for a fixed conversation with a system turn, a tool call and the
 * generation prompt. Either an error with a message or a valid UTF-8 text, nothing else. */
#include <stdint.h>
#include <string.h>

#include "assay-chat-template.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char conversation[] =
  "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
  " {\"role\": \"user\", \"content\": \"Hi <b>\\u00e9\\ud83d\\ude00\\n  \"},"
  " {\"role\": \"assistant\", \"content\": \"<think>x</think>\\nHello\", \"tool_calls\": "
  "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": {\"a\": [1, 2.5, null]}}}]},"
  " {\"role\": \"tool\", \"content\": \"42\"}, {\"role\": \"user\", \"content\": \"\"}],"
  " \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
  " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}]}";

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *source = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayChatTemplate) tmpl = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  JsonObject *context;

  if (!g_utf8_validate (source, -1, NULL))
    return 0;
  if ((tmpl = assay_chat_template_new (source, &error)) == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  g_assert (json_parser_load_from_data (parser, conversation, -1, NULL));
  context = json_node_get_object (json_parser_get_root (parser));
  text = assay_chat_template_render (tmpl, context, &error);
  if (text == NULL)
    g_assert (error != NULL && error->message != NULL);
  else if (!g_utf8_validate (text, -1, NULL))
    __builtin_trap ();
  return 0;
}
