/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Chat templates: the Jinja subset against outputs taken from jinja2 3.1 (configured as
 * transformers configures it), errors that name the construct and the template line, model
 * folders, and the lm chat-template verb. */
#include <string.h>

#include "assay-chat-template.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-test-util.h"

typedef struct
{
  const char *template;
  const char *context;  /* a JSON object */
  const char *expected; /* jinja2's text */
} Case;

static const Case cases[] = {
  { "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}]}",
    "<system>Be brief.<user>Hi \303\251 \360\237\216\211<assistant><think>x</think>\n\nHello" },
  { "{%- for m in messages -%}\n  {{ m.role }}\n{%- endfor %}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}]}",
    "systemuserassistant" },
  { "  {% if true %}\n  x\n  {% endif %}\ny",
    "{}",
    "  x\ny" },
  { "a {#- c -#} b {# d #}\ne{% raw %} {{ x }} {% endraw %}",
    "{}",
    "ab e {{ x }} " },
  { "{{ [1, 'a', none, true, 1.5, {'k': (1,)}] }} {{ none }} {{ true }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ 7 // -2 }} {{ -7 % 3 }} {{ 2 ** 10 }}",
    "{}",
    "[1, 'a', None, True, 1.5, {'k': (1,)}] None True 1e+16 0.30000000000000004 -4 2 1024" },
  { "{{ 'h\303\251llo'[1:3] }}{{ 'h\303\251llo'|length }}{{ 'h\303\251llo'[::-1] }}{{ 'h\303\251llo'|upper }}{{ messages[-1].content.split('</think>')[-1].lstrip('\\n') }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}]}",
    "\303\251l5oll\303\251hH\303\211LLOHello" },
  { "{% set ns = namespace(n=0) %}{% for m in messages if m.role != 'system' %}{% set ns.n = ns.n + loop.index %}{{ loop.first }}{{ loop.last }}{{ loop.length }}{% endfor %}{{ ns.n }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}]}",
    "TrueFalse2FalseTrue23" },
  { "{% for k, v in d.items() %}{{ k }}={{ v }}{{ ',' if not loop.last }}{% endfor %} {{ d|tojson }} {{ d|tojson(indent=2) }} {{ d|dictsort }}",
    "{\"d\": {\"b\": [1, 2.5], \"a\": \"\303\251\\\"\\n\"}}",
    "b=[1, 2.5],a=\303\251\"\n {\"b\": [1, 2.5], \"a\": \"\303\251\\\"\\n\"} {\n  \"b\": [\n    1,\n    2.5\n  ],\n  \"a\": \"\303\251\\\"\\n\"\n} [('a', '\303\251\"\\n'), ('b', [1, 2.5])]" },
  { "{{ messages|map(attribute='role')|join('|') }} {{ messages|selectattr('role','equalto','user')|list|length }} {{ [3,1,2]|sort }} {{ 'x'|default('y') }}{{ u|default('y') }} {{ ' a '|trim }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}]}",
    "system|user|assistant 1 [1, 2, 3] xy a" },
  { "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{% macro wrap(t) %}[{{ t }}:{{ caller('in') }}]{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {% call(x) wrap('C') %}{{ x|upper }}{% endcall %}",
    "{}",
    "Hi Ann! Hi Bob? [C:IN]" },
  { "{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}{% for x in [] %}a{% else %}empty{% endfor %}",
    "{}",
    "02empty" },
  { "{{ x is defined }}{{ x is undefined }}{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}{{ 3 is odd }}{{ 4 is divisibleby 2 }}{{ 'yes' if x else 'no' }}[{{ 'never' if false }}]",
    "{}",
    "FalseTrueTrueTrueTrueTrueTrueno[]" },
  { "{% set x %}block {{ 1 + 1 }}{% endset %}{{ x|upper }} {% filter title %}hello world{% endfilter %} {{ '%s=%d'|format('a', 3) }} {{ '{}-{}'.format(1, 'b') }}",
    "{}",
    "BLOCK 2 Hello World a=3 1-b" },
  { "{{ bos_token }}{% for m in messages %}{{ m['content'] | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}{{ eos_token }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \303\251 \360\237\216\211\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\\n\\nHello\"}], \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}",
    "<s>Be brief.Hi \303\251 \360\237\216\211<think>x</think>\n\nHello</s>" },
};

static char *
render (const char *source, const char *context_json, GError **error)
{
  g_autoptr (AssayChatTemplate) template = assay_chat_template_new (source, error);
  g_autoptr (JsonObject) context = NULL;

  if (template == NULL)
    return NULL;
  context = assay_json_object_from_string (context_json, error);
  g_assert_nonnull (context);
  return assay_chat_template_render (template, context, error);
}

static void
test_language (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = render (cases[i].template, cases[i].context, &error);

      g_test_message ("case %u: %s", i, cases[i].template);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* error: the expected code; parts: substrings the message must contain */
static void
check_error (const char *source, const char *context, int code, const char *part1, const char *part2)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = render (source, context, &error);

  g_test_message ("%s", source);
  g_assert_null (text);
  g_assert_error (error, ASSAY_ERROR, code);
  if (strstr (error->message, part1) == NULL || (part2 != NULL && strstr (error->message, part2) == NULL))
    g_error ("“%s” lacks “%s” or “%s”", error->message, part1, part2 != NULL ? part2 : "");
}

static void
test_errors (void)
{
  /* outside the subset: named with the line */
  check_error ("a\nb\n{{ text | wordwrap(10) }}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 3", "“wordwrap”");
  check_error ("{% include 'other.jinja' %}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 1", "“include”");
  check_error ("\n{% for x in xs recursive %}{% endfor %}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 2", "recursive");
  check_error ("{{ 'a'.encode() }}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 1", "“encode”");
  /* sizes a template could make without end: refused, never built */
  check_error ("{{ 'x' | center(2**40) }}", "{}", ASSAY_ERROR_OUT_OF_MEMORY, "template line 1", "too long");
  check_error ("{{ 'x'.ljust(2**40) }}", "{}", ASSAY_ERROR_OUT_OF_MEMORY, "template line 1", "too long");
  check_error ("{{ 'x' | indent(20000) }}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 1", "10000");
  check_error ("{{ [1] | tojson(indent=5000) }}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 1", "1000");
  check_error ("{% for a in range(2000) %}\n{% for b in range(2000) %}{% endfor %}{% endfor %}", "{}",
               ASSAY_ERROR_UNSUPPORTED, "template line 2", "runs too long");
  check_error ("{{ cycler(1, 2) }}", "{}", ASSAY_ERROR_UNSUPPORTED, "template line 1", "“cycler”");
  /* not Jinja at all */
  check_error ("{% frobnicate %}", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 1", "unknown tag “frobnicate”");
  check_error ("x\n{{ 1 | nosuch }}", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 2", "“nosuch”");
  check_error ("{% if a %}\n{% for x in y %}\nnever closed", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 3",
               "“endfor”");
  check_error ("{% endif %}", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 1", "“endif”");
  check_error ("{{ 'open", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 1", "unterminated string");
  check_error ("\n\n{{ x", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 3", "not closed");
  check_error ("{# comment", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 1", "comment");
  check_error ("{{ (1 }}", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 1", NULL);
  /* what jinja2 raises while rendering */
  check_error ("\n{{ nothing.attr }}", "{}", ASSAY_ERROR_INVALID_INPUT, "template line 2", "'nothing' is undefined");
  check_error ("{{ m.missing.deeper }}", "{\"m\": {}}", ASSAY_ERROR_INVALID_INPUT,
               "'dict object' has no attribute 'missing'", NULL);
  check_error ("{{ 'a' + 1 }}", "{}", ASSAY_ERROR_INVALID_INPUT, "can only concatenate str", NULL);
  check_error ("{% set l = [] %}{{ l.append(1) }}", "{}", ASSAY_ERROR_INVALID_INPUT, "unsafe", NULL);
  check_error ("{{ 1 // 0 }}", "{}", ASSAY_ERROR_INVALID_INPUT, "by zero", NULL);
  check_error ("{{ x | tojson }}", "{}", ASSAY_ERROR_INVALID_INPUT, "not JSON serializable", NULL);
  check_error ("{% for x in none %}{% endfor %}", "{}", ASSAY_ERROR_INVALID_INPUT, "not iterable", NULL);
  {
    /* raise_exception(): the template's own message, as it is */
    g_autoptr (GError) error = NULL;
    g_autofree char *text = render ("{% if messages[0].role == 'system' %}{{ raise_exception('System role not "
                                    "supported') }}{% endif %}",
                                    "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}]}", &error);

    g_assert_null (text);
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_cmpstr (error->message, ==, "System role not supported");
  }
}

static void
test_shared_templates (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *dir = NULL;
  g_autofree char *bos = NULL, *eos = NULL;
  g_autoptr (AssayChatTemplate) template = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) context = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GDir) listing = NULL;
  const char *name;
  guint n = 0;

  if (data == NULL)
    return;
  /* Qwen2.5's folder: the template from tokenizer_config.json, no bos, eos <|im_end|> */
  dir = g_build_filename (data, "tokenizers", "qwen2_5", NULL);
  template = assay_chat_template_load_model (dir, &bos, &eos, &error);
  g_assert_no_error (error);
  g_assert_null (bos);
  g_assert_cmpstr (eos, ==, "<|im_end|>");
  context = assay_json_object_from_string ("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                                           "\"add_generation_prompt\": true, \"tools\": null}", &error);
  g_assert_no_error (error);
  text = assay_chat_template_render (template, context, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==,
                   "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                   "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  /* every real template parses (the peer test compares their output with jinja2's) */
  g_free (dir);
  dir = g_build_filename (data, "chat-templates", NULL);
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL), *source = NULL;
      g_autoptr (AssayChatTemplate) t = NULL;

      if (!g_str_has_suffix (name, ".jinja"))
        continue;
      g_assert_true (g_file_get_contents (path, &source, NULL, NULL));
      t = assay_chat_template_new (source, &error);
      g_assert_no_error (error);
      n++;
    }
  g_assert_cmpuint (n, >=, 9);
}

static void
test_model_folders (void)
{
  g_autofree char *listed = assay_test_path ("chat-listed");
  g_autofree char *jinja = assay_test_path ("chat-jinja");
  g_autofree char *none = assay_test_path ("chat-none");
  g_autofree char *bos = NULL, *eos = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayChatTemplate) t = NULL;
  g_autoptr (JsonObject) context = json_object_new ();
  g_autofree char *text = NULL;

  g_assert_cmpint (g_mkdir_with_parents (listed, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (jinja, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (none, 0700), ==, 0);
  /* a list of named templates: "default" is taken; special tokens as AddedToken objects */
  g_free (assay_test_write_file ("chat-listed/tokenizer_config.json",
                                 "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\","
                                 " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                                 " {\"name\": \"default\", \"template\": \"{{ bos_token }}D{{ eos_token }}\"}]}"));
  t = assay_chat_template_load_model (listed, &bos, &eos, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bos, ==, "<s>");
  g_assert_cmpstr (eos, ==, "</s>");
  json_object_set_string_member (context, "bos_token", bos);
  json_object_set_string_member (context, "eos_token", eos);
  text = assay_chat_template_render (t, context, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "<s>D</s>");
  g_clear_pointer (&t, assay_chat_template_free);
  g_clear_pointer (&text, g_free);
  /* chat_template.jinja wins over tokenizer_config.json */
  g_free (assay_test_write_file ("chat-jinja/tokenizer_config.json", "{\"chat_template\": \"config\"}"));
  g_free (assay_test_write_file ("chat-jinja/chat_template.jinja", "file\n"));
  t = assay_chat_template_load_model (jinja, NULL, NULL, &error);
  g_assert_no_error (error);
  text = assay_chat_template_render (t, context, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "file");
  g_clear_pointer (&t, assay_chat_template_free);
  /* no template: the error names the folder */
  g_free (assay_test_write_file ("chat-none/tokenizer_config.json", "{\"eos_token\": \"</s>\"}"));
  t = assay_chat_template_load_model (none, NULL, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, none));
}

static void
test_cli (void)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *template = assay_test_write_file ("cli-chat.jinja",
                                                     "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n"
                                                     "{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}");
  g_autofree char *messages = assay_test_write_file ("cli-chat.json",
                                                     "[{\"role\": \"user\", \"content\": \"Héllo \\\"you\\\"\"}]");
  g_autofree char *object = assay_test_write_file ("cli-chat-object.json",
                                                   "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                                                   "\"add_generation_prompt\": true}");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  {
    const char *argv[] = { cli, "lm", "chat-template", "--template", template, "--messages", messages,
                           "--add-generation-prompt", NULL };

    status = assay_test_spawn (argv, &out, &err);
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpstr (out, ==, "[user] Héllo \"you\"\n[assistant]");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { cli, "lm", "chat-template", "--template", template, "--messages", object, "--json", NULL };

    status = assay_test_spawn (argv, &out, &err);
    g_assert_cmpint (status, ==, 0);
    o = assay_json_object_from_string (out, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (assay_json_get_string (o, "text", NULL), ==, "[user] x\n[assistant]");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { cli, "lm", "chat-template", "--messages", messages, NULL };

    status = assay_test_spawn (argv, &out, &err);
    g_assert_cmpint (status, ==, 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lm/chat-template/language", test_language);
  g_test_add_func ("/lm/chat-template/errors", test_errors);
  g_test_add_func ("/lm/chat-template/shared-templates", test_shared_templates);
  g_test_add_func ("/lm/chat-template/model-folders", test_model_folders);
  g_test_add_func ("/lm/chat-template/cli", test_cli);
  return g_test_run ();
}
