/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli lm info|tokenize|score|generate */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "assay-cli-commands.h"
#include "assay-chat-template.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-generate-job.h"
#include "assay-lm-jobs.h"
#include "assay-lm-model.h"
#include "assay-lm-scorer.h"

static int
verb_info (AssayCliCommon *common, int argc, char **argv)
{
  int batch = 8, length = 512;
  const GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Sequences per batch for the memory estimate (default 8)"), N_("N") },
    { "length", 0, 0, G_OPTION_ARG_INT, &length, N_("Tokens per sequence for the memory estimate (default 512)"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  const AssayLmConfig *c;
  JsonObject *o, *memory;
  int status = assay_cli_parse (common, "lm info", "DIR", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("lm info takes one model folder"));
  if (batch < 1 || length < 1 || (gint64) batch * length > (1 << 24))
    return assay_cli_usage (_("--batch and --length must be positive (and their product at most 16777216)"));
  if ((model = assay_lm_model_open (argv[1], &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  c = assay_lm_model_config (model);
  o = json_object_new ();
  json_object_set_string_member (o, "architecture", c->architecture);
  json_object_set_int_member (o, "parameters", (gint64) assay_lm_model_parameters (model));
  json_object_set_string_member (o, "dtype", assay_lm_dtype_name (assay_lm_model_dtype (model)));
  json_object_set_int_member (o, "layers", c->layers);
  json_object_set_int_member (o, "hidden", c->hidden);
  json_object_set_int_member (o, "vocab", c->vocab);
  json_object_set_int_member (o, "heads", c->heads);
  json_object_set_int_member (o, "kv_heads", c->kv_heads);
  json_object_set_int_member (o, "head_dim", c->head_dim);
  json_object_set_int_member (o, "intermediate", c->inter);
  json_object_set_boolean_member (o, "tied_embeddings", c->tie_embeddings);
  if (c->rope_type != NULL)
    json_object_set_string_member (o, "rope_scaling", c->rope_type);
  json_object_set_boolean_member (o, "tokenizer", assay_lm_model_tokenizer (model) != NULL);
  /* memory per backend: weights, and activations of one batch of batch x length tokens */
  memory = json_object_new ();
  for (AssayBackendKind kind = ASSAY_BACKEND_CPU; kind <= ASSAY_BACKEND_CUDA; kind++)
    {
      JsonObject *m = json_object_new ();
      guint64 w = assay_lm_model_weight_bytes (model, kind);
      guint64 a = assay_lm_scorer_activation_bytes (c, kind, batch * length, length);
      json_object_set_int_member (m, "weights", (gint64) w);
      json_object_set_int_member (m, "activations", (gint64) a);
      json_object_set_int_member (m, "total", (gint64) (w + a));
      json_object_set_object_member (memory, kind == ASSAY_BACKEND_CPU ? "cpu" : "cuda", m);
    }
  if (common->json)
    {
      json_object_set_object_member (o, "memory", memory);
      assay_cli_print_json_object (o);
      return ASSAY_CLI_OK;
    }
  assay_cli_print_object_text (o);
  for (AssayBackendKind kind = ASSAY_BACKEND_CPU; kind <= ASSAY_BACKEND_CUDA; kind++)
    {
      JsonObject *m = json_object_get_object_member (memory, kind == ASSAY_BACKEND_CPU ? "cpu" : "cuda");
      g_print ("%-22s %.2f GiB (weights %.2f GiB %s, activations for %d x %d tokens %.2f GiB)\n",
               kind == ASSAY_BACKEND_CPU ? "memory cpu" : "memory cuda",
               json_object_get_int_member (m, "total") / 1073741824.0,
               json_object_get_int_member (m, "weights") / 1073741824.0,
               assay_lm_dtype_name (assay_backend_weight_dtype (kind, assay_lm_model_dtype (model))),
               batch, length, json_object_get_int_member (m, "activations") / 1073741824.0);
    }
  json_object_unref (memory);
  json_object_unref (o);
  return ASSAY_CLI_OK;
}

static void
print_ids (AssayCliCommon *common, GArray *ids, GArray *offsets, AssayLmTokenizer *tok)
{
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      JsonArray  *a = json_array_new (), *off = json_array_new ();
      for (guint i = 0; i < ids->len; i++)
        {
          json_array_add_int_element (a, g_array_index (ids, int, i));
          json_array_add_int_element (off, g_array_index (offsets, guint, 2 * i));
        }
      json_object_set_array_member (o, "ids", a);
      json_object_set_array_member (o, "offsets", off);
      assay_cli_print_json_object (o);
      return;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      int              id = g_array_index (ids, int, i);
      g_autofree char *piece = assay_lm_tokenizer_decode (tok, &id, 1);
      g_autofree char *escaped = g_strescape (piece, NULL);
      g_print ("%s%d \"%s\"", i ? "  " : "", id, escaped);
    }
  g_print ("\n");
}

static int
verb_tokenize (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *path = NULL, *text = NULL, *input = NULL;
  const GOptionEntry entries[] = {
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &path, N_("tokenizer.json, a folder with one (or with encoder.json + vocab.bpe), or a GGUF file (BERT WordPiece, Llama SentencePiece)"), N_("PATH") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, N_("Text to tokenize"), N_("TEXT") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &input, N_("A file: each line is tokenized"), N_("FILE") },
    { NULL }
  };
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GError) error = NULL;
  int status = assay_cli_parse (common, "lm tokenize", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (path == NULL || (text == NULL) == (input == NULL) || argc > 1)
    return assay_cli_usage (_("lm tokenize needs --tokenizer PATH and one of --text or --input"));
  if ((tok = assay_lm_tokenizer_load (path, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (text != NULL)
    {
      g_autoptr (GArray) offsets = NULL;
      g_autoptr (GArray) ids = assay_lm_tokenizer_encode (tok, text, &offsets, &error);
      if (ids == NULL)
        return assay_cli_fail (g_steal_pointer (&error));
      print_ids (common, ids, offsets, tok);
      return ASSAY_CLI_OK;
    }
  {
    g_autofree char *contents = NULL;
    g_auto (GStrv) lines = NULL;
    guint n;
    if (!g_file_get_contents (input, &contents, NULL, &error))
      return assay_cli_fail (g_steal_pointer (&error));
    lines = g_strsplit (contents, "\n", -1);
    n = g_strv_length (lines);
    if (n > 0 && *lines[n - 1] == '\0')
      n--; /* the newline that ends the last line */
    for (guint i = 0; i < n; i++)
      {
        g_autoptr (GArray) offsets = NULL;
        g_autoptr (GArray) ids = NULL;
        g_autoptr (GError) e = NULL;
        if ((ids = assay_lm_tokenizer_encode (tok, lines[i], &offsets, &e)) == NULL)
          {
            g_autoptr (GError) named = g_error_new (ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s",
                                                    input, i + 1, e->message);
            return assay_cli_fail (g_steal_pointer (&named));
          }
        print_ids (common, ids, offsets, tok);
      }
  }
  return ASSAY_CLI_OK;
}

/* The output may not be the input (the input would be gone before it was read whole). */
static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf x, y;
  return a != NULL && b != NULL && g_stat (a, &x) == 0 && g_stat (b, &y) == 0 && x.st_ino == y.st_ino
         && x.st_dev == y.st_dev;
}

static int
verb_score (AssayCliCommon *common, int argc, char **argv)
{
  AssayLmScoreOptions options = { 0 };
  g_auto (AssayCliShard) shard = { 0 };
  int batch_tokens = 4096;
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.policy, N_("Model folder (the policy)"), N_("DIR") },
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &options.reference, N_("Second model folder (the reference)"), N_("DIR") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &options.input, N_("JSONL of {id, prompt, response}"), N_("FILE") },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &options.output, N_("JSONL written with tokens and log-probs"), N_("FILE") },
    { "batch-tokens", 0, 0, G_OPTION_ARG_INT, &batch_tokens, N_("Tokens per forward pass (default 4096)"), N_("N") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *result;
  int status = assay_cli_parse (common, "lm score", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status == ASSAY_CLI_OK
      && (options.policy == NULL || options.input == NULL
          || (options.output == NULL && shard.parsed.n == 0) || argc > 1))
    status = assay_cli_usage (_("lm score needs --model DIR, --input FILE and --output FILE (or --shard K/N --shard-out FILE)"));
  if (status == ASSAY_CLI_OK && (batch_tokens < 1 || batch_tokens > (1 << 24)))
    status = assay_cli_usage (_("--batch-tokens must be between 1 and 16777216"));
  if (status == ASSAY_CLI_OK && same_file (options.input, options.output))
    status = assay_cli_usage (_("--output is the --input file"));
  if (status != ASSAY_CLI_OK)
    {
      assay_lm_score_options_clear (&options);
      return status;
    }
  options.batch_tokens = batch_tokens;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_lm_score_job_new (&options);
  assay_lm_score_options_clear (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_generate (AssayCliCommon *common, int argc, char **argv)
{
  AssayLmGenerateFileOptions options = { 0 };
  AssayCliSampling s = { ASSAY_SAMPLING_DEFAULT, 256, 0, FALSE, 64 };
  int n = 1;
  char **stop = NULL;
  g_autofree char *kv = NULL;
  g_auto (AssayCliShard) shard = { 0 };
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model, N_("Model folder"), N_("DIR") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &options.input, N_("JSONL of {id, prompt} or {id, messages}"), N_("FILE") },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &options.output, N_("JSONL written with one line per candidate"), N_("FILE") },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, N_("Candidates per prompt (default 1)"), N_("N") },
    ASSAY_CLI_SAMPLING_ENTRIES (s),
    { "stop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stop, N_("Stop before this text (repeatable)"), N_("TEXT") },
    { "kv-cache", 0, 0, G_OPTION_ARG_STRING, &kv, N_("f32 (default: the numbers of lm score) or bf16 (half the memory)"), N_("TYPE") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *result;
  int status = assay_cli_parse (common, "lm generate", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status == ASSAY_CLI_OK
      && (options.model == NULL || options.input == NULL || (options.output == NULL && shard.parsed.n == 0)
          || argc > 1))
    status = assay_cli_usage (_("lm generate needs --model DIR, --input FILE and --output FILE (or --shard K/N --shard-out FILE)"));
  if (status == ASSAY_CLI_OK && kv != NULL && !g_str_equal (kv, "f32") && !g_str_equal (kv, "bf16"))
    status = assay_cli_usage (_("--kv-cache is f32 or bf16"));
  if (status == ASSAY_CLI_OK && (n < 1 || n > 100000))
    status = assay_cli_usage (_("--n must be 1 to 100000"));
  if (status == ASSAY_CLI_OK && same_file (options.input, options.output))
    status = assay_cli_usage (_("--output is the --input file"));
  if (status == ASSAY_CLI_OK)
    status = assay_cli_sampling_check (&s);
  if (status != ASSAY_CLI_OK)
    {
      assay_lm_generate_file_options_clear (&options);
      g_strfreev (stop);
      return status;
    }
  options.sampling = s.sampling;
  options.n = n;
  options.max_tokens = s.max_tokens;
  options.max_batch = s.max_batch;
  options.seed = (guint64) s.seed;
  options.chat = s.chat;
  options.stop = stop;
  options.kv_cache = kv != NULL && g_str_equal (kv, "bf16") ? ASSAY_DTYPE_BF16 : ASSAY_DTYPE_F32;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_lm_generate_job_new (&options);
  assay_lm_generate_file_options_clear (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_chat_template (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *model = NULL, *template_path = NULL, *messages_path = NULL, *contexts_path = NULL;
  g_autofree char *bos = NULL, *eos = NULL, *source = NULL;
  gboolean         add_generation_prompt = FALSE;
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, N_("Model folder whose chat template to use"), N_("DIR") },
    { "template", 0, 0, G_OPTION_ARG_FILENAME, &template_path, N_("Jinja chat template file"), N_("FILE") },
    { "messages", 0, 0, G_OPTION_ARG_FILENAME, &messages_path, N_("JSON list of {role, content}, or an object with messages and other template variables"), N_("FILE") },
    { "add-generation-prompt", 0, 0, G_OPTION_ARG_NONE, &add_generation_prompt, N_("End with the opening of an assistant turn"), NULL },
    /* for the peer test: a JSON list of inputs as --messages takes them, rendered in one run */
    { "contexts", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &contexts_path, NULL, NULL },
    { NULL }
  };
  g_autoptr (AssayChatTemplate) template = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  int status = assay_cli_parse (common, "lm chat-template", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK
      && ((model == NULL) == (template_path == NULL) || (messages_path == NULL) == (contexts_path == NULL) || argc > 1))
    status = assay_cli_usage (_("lm chat-template needs one of --model DIR and --template FILE (not both), and --messages FILE"));
  if (status != ASSAY_CLI_OK)
    return status;
  if (model != NULL)
    template = assay_chat_template_load_model (model, &bos, &eos, &error);
  else if (g_file_get_contents (template_path, &source, NULL, &error)
           && (template = assay_chat_template_new (source, &error)) == NULL)
    g_prefix_error (&error, "%s: ", template_path);
  if (template == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (!assay_json_parser_load_file (parser, messages_path != NULL ? messages_path : contexts_path, &error))
    {
      g_prefix_error (&error, "%s: ", messages_path != NULL ? messages_path : contexts_path);
      return assay_cli_fail (g_steal_pointer (&error));
    }
  root = json_parser_get_root (parser);
  if (contexts_path != NULL && !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (&error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not a JSON list", contexts_path);
      return assay_cli_fail (g_steal_pointer (&error));
    }
  if (contexts_path != NULL)
    {
      JsonArray *results = json_array_new ();
      JsonNode  *node = json_node_new (JSON_NODE_ARRAY);

      json_node_take_array (node, results);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
        {
          g_autoptr (JsonObject) context = NULL;
          g_autoptr (GError) local = NULL;
          g_autofree char *text = NULL;
          JsonObject *r = json_object_new ();

          context = assay_chat_template_context_new (json_array_get_element (json_node_get_array (root), i), bos, eos, &local);
          if (context != NULL && add_generation_prompt)
            json_object_set_boolean_member (context, "add_generation_prompt", TRUE);
          if (context != NULL)
            text = assay_chat_template_render (template, context, &local);
          if (text != NULL)
            json_object_set_string_member (r, "text", text);
          else
            json_object_set_string_member (r, "error", local->message);
          json_array_add_object_element (results, r);
        }
      assay_cli_print_json (node);
      return ASSAY_CLI_OK;
    }
  {
    g_autoptr (JsonObject) context = assay_chat_template_context_new (root, bos, eos, &error);
    g_autofree char *text = NULL;

    if (context == NULL)
      {
        g_prefix_error (&error, "%s: ", messages_path);
        return assay_cli_fail (g_steal_pointer (&error));
      }
    if (add_generation_prompt)
      json_object_set_boolean_member (context, "add_generation_prompt", TRUE);
    if ((text = assay_chat_template_render (template, context, &error)) == NULL)
      return assay_cli_fail (g_steal_pointer (&error));
    if (common->json)
      {
        JsonObject *o = json_object_new ();

        json_object_set_string_member (o, "text", text);
        assay_cli_print_json_object (o);
      }
    else
      fwrite (text, 1, strlen (text), stdout);
  }
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "info", verb_info, N_("Architecture, parameters, dtype and memory of a model folder") },
  { "tokenize", verb_tokenize, N_("Token ids of a text or of each line of a file") },
  { "score", verb_score, N_("Per-token log-probs of responses under one or two models") },
  { "generate", verb_generate, N_("Sample candidates for prompts with a local model (T 1, 256 tokens)") },
  { "chat-template", verb_chat_template, N_("The prompt a model's chat template makes of messages") },
  { NULL }
};

int
assay_cli_lm (int argc, char **argv)
{
  return assay_cli_dispatch ("lm", verbs, argc, argv);
}
