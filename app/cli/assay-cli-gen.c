/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli gen import|list|review|export|prompts|answers|templates */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-gen-generate.h"
#include "assay-cli-commands.h"
#include "assay-gen-dedup.h"
#include "assay-gen-errors.h"
#include "assay-semantic.h"
#include "assay-gen-export.h"
#include "assay-gen-jobs.h"
#include "assay-gen-prompts.h"
#include "assay-json.h"

static int
verb_import (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *mapping = NULL, *name = NULL, *map = NULL;
  const GOptionEntry entries[] = {
    { "mapping", 0, 0, G_OPTION_ARG_STRING, &mapping,
      N_("trl, llava-reasoner, processbench, llminer, genco or auto"), N_("MAPPING") },
    { "map", 0, 0, G_OPTION_ARG_STRING, &map,
      N_("Field map for other shapes, e.g. prompt=instruction,text=output (remembered)"),
      N_("FIELD=COLUMN,...") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Dataset name"), N_("NAME") },
    { NULL }
  };
  AssayGenImportOptions options;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) fields = NULL;
  JsonNode   *result = NULL;
  JsonObject *o;
  int         status = assay_cli_parse (common, "gen import", "FILE", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("gen import takes one JSONL or JSON file"));
  assay_gen_import_options_init (&options);
  if (mapping != NULL && !assay_gen_parse_mapping (mapping, &options.mapping))
    return assay_cli_usage (_("unknown mapping “%s”"), mapping);
  if (map != NULL && (fields = assay_gen_parse_fields (map, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  options.fields = fields;
  options.name = name;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_gen_import_job_new (argv[1], &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  o = json_node_get_object (result);
  if (common->json)
    assay_cli_print_json (result);
  else
    {
      g_print (_("Imported %lld records (%s) into dataset %lld\n"),
             (long long) json_object_get_int_member (o, "imported"),
             json_object_get_string_member (o, "mapping"),
             (long long) json_object_get_int_member (o, "dataset"));
      if (assay_json_get_int (o, "numbers_as_text", 0) > 0)
        {
          gint64 n = assay_json_get_int (o, "numbers_as_text", 0);
          g_print (ngettext ("%lld number in a text field was stored as text of the same value\n",
                             "%lld numbers in text fields were stored as text of the same value\n",
                             (gulong) n),
                   (long long) n);
        }
      json_node_unref (result);
    }
  return ASSAY_CLI_OK;
}

/* --status --search --kind --dataset, shared by list, export and prompts */
typedef struct
{
  char  *status;
  char  *search;
  char  *kind;
  gint64 dataset;
} FilterArgs;

static void
filter_args_clear (FilterArgs *a)
{
  g_free (a->status);
  g_free (a->search);
  g_free (a->kind);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FilterArgs, filter_args_clear)

#define FILTER_ENTRIES(f)                                                                          \
  { "status", 0, 0, G_OPTION_ARG_STRING, &(f).status, N_("pending, accepted, rejected or edited"), \
    N_("STATUS") },                                                                                \
  { "search", 0, 0, G_OPTION_ARG_STRING, &(f).search, N_("Full-text search"), N_("TEXT") },       \
  { "kind", 0, 0, G_OPTION_ARG_STRING, &(f).kind, N_("Record kind"), N_("KIND") },                 \
  { "dataset", 0, 0, G_OPTION_ARG_INT64, &(f).dataset, N_("Only this dataset"), N_("ID") }

static gboolean
make_filter (FilterArgs *a, AssayGenFilter *f)
{
  AssayGenStatus s;

  assay_gen_filter_init (f);
  if (a->status != NULL)
    {
      if (!assay_gen_parse_status (a->status, &s))
        return FALSE;
      f->status = (int) s;
    }
  f->search = a->search;
  f->kind = a->kind;
  f->dataset = a->dataset;
  return TRUE;
}

static JsonNode *
record_json (AssayGenRecord *r)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode    *node;

#define STR(key, value)                                                                            \
  if ((value) != NULL)                                                                             \
    {                                                                                              \
      json_builder_set_member_name (b, key);                                                       \
      json_builder_add_string_value (b, value);                                                    \
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, r->id);
  json_builder_set_member_name (b, "dataset");
  json_builder_add_int_value (b, r->dataset);
  STR ("ext_id", r->ext_id);
  STR ("kind", r->kind);
  STR ("status", assay_gen_status_name (r->status));
  STR ("source", r->source);
  STR ("highlight", r->highlight);
  STR ("condition", r->condition);
  STR ("prompt", r->prompt);
  STR ("text", r->text);
  STR ("rejected", r->rejected);
  STR ("edited", r->edited);
  STR ("model", r->model);
  STR ("answer", r->answer);
  if (r->rating > 0)
    {
      json_builder_set_member_name (b, "rating");
      json_builder_add_int_value (b, r->rating);
    }
  if (r->steps != NULL)
    {
      json_builder_set_member_name (b, "steps");
      json_builder_begin_array (b);
      for (guint i = 0; r->steps[i] != NULL; i++)
        json_builder_add_string_value (b, r->steps[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "step_label");
      json_builder_add_int_value (b, r->step_label);
    }
  if (r->correct >= 0)
    {
      json_builder_set_member_name (b, "correct");
      json_builder_add_boolean_value (b, r->correct != 0);
    }
  if (r->scores != NULL)
    {
      json_builder_set_member_name (b, "scores");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), r->scores));
    }
  if (r->params != NULL)
    {
      json_builder_set_member_name (b, "params");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), r->params));
    }
#undef STR
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

static int
verb_list (AssayCliCommon *common, int argc, char **argv)
{
  g_auto (FilterArgs) fa = { 0 };
  int                offset = 0, limit = 50;
  g_autofree char   *order = NULL;
  const GOptionEntry entries[] = {
    FILTER_ENTRIES (fa),
    { "order", 0, 0, G_OPTION_ARG_STRING, &order,
      N_("import (default), likely-wrong or uncertain (by P(good) of the last \"signals fit\")"), N_("ORDER") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip this many records"), N_("N") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Records per page (default 50)"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = NULL;
  AssayGenFilter f;
  JsonBuilder   *b;
  int            status = assay_cli_parse (common, "gen list", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (!make_filter (&fa, &f))
    return assay_cli_usage (_("unknown status"));
  if (order == NULL || g_str_equal (order, "import"))
    f.order = ASSAY_GEN_ORDER_IMPORT;
  else if (g_str_equal (order, "likely-wrong"))
    f.order = ASSAY_GEN_ORDER_LIKELY_WRONG;
  else if (g_str_equal (order, "uncertain"))
    f.order = ASSAY_GEN_ORDER_UNCERTAIN;
  else
    return assay_cli_usage (_("unknown order “%s”: use import, likely-wrong or uncertain"), order);
  if (offset < 0 || limit < 0)
    return assay_cli_usage (_("--offset and --limit are not negative"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || (ids = assay_gen_query_ids (store, &f, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, ids->len);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, offset);
  json_builder_set_member_name (b, "records");
  json_builder_begin_array (b);
  for (guint i = (guint) offset; i < ids->len && i < (guint) offset + (guint) limit; i++)
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, g_array_index (ids, gint64, i), &error);
      if (r == NULL)
        {
          g_object_unref (b);
          return assay_cli_fail (g_steal_pointer (&error));
        }
      if (common->json)
        json_builder_add_value (b, record_json (r));
      else
        {
          g_autofree char *text = g_strndup (assay_gen_record_final_text (r) != NULL
                                               ? assay_gen_record_final_text (r) : "", 70);
          for (char *p = text; *p; p++)
            if (*p == '\n')
              *p = ' ';
          g_print ("%8lld  %-11s %-9s %s%s\n", (long long) r->id, r->kind,
                   assay_gen_status_name (r->status), text,
                   strlen (text) >= 70 ? "…" : "");
        }
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (common->json)
    assay_cli_print_json (json_builder_get_root (b));
  else
    g_print (_("%u records\n"), ids->len);
  g_object_unref (b);
  return ASSAY_CLI_OK;
}

static int
verb_review (AssayCliCommon *common, int argc, char **argv)
{
  gint64             id = 0;
  gboolean           accept = FALSE, reject = FALSE, reset = FALSE;
  int                rate = -1;
  g_autofree char   *edit = NULL;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_INT64, &id, N_("The record"), N_("N") },
    { "accept", 0, 0, G_OPTION_ARG_NONE, &accept, N_("Accept it"), NULL },
    { "reject", 0, 0, G_OPTION_ARG_NONE, &reject, N_("Reject it"), NULL },
    { "pending", 0, 0, G_OPTION_ARG_NONE, &reset, N_("Back to pending"), NULL },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, N_("Rate it 1-5 (0 clears)"), N_("K") },
    { "edit", 0, 0, G_OPTION_ARG_STRING, &edit, N_("Replace its text (the original is kept)"), N_("TEXT") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  int      status = assay_cli_parse (common, "gen review", NULL, entries, &argc, &argv);
  gboolean ok;

  if (status != ASSAY_CLI_OK)
    return status;
  if (id <= 0 || (accept + reject + reset + (rate >= 0) + (edit != NULL)) != 1)
    return assay_cli_usage (_("gen review takes --id N and one of --accept, --reject, --pending, "
                              "--rate K, --edit TEXT"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (accept || reject || reset)
    ok = assay_gen_set_status (store, id,
                               accept ? ASSAY_GEN_ACCEPTED : reject ? ASSAY_GEN_REJECTED
                                                                    : ASSAY_GEN_PENDING,
                               &error);
  else if (rate >= 0)
    ok = assay_gen_set_rating (store, id, rate, &error);
  else
    ok = assay_gen_set_edited (store, id, edit, &error);
  if (!ok)
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, id, &error);
      if (r == NULL)
        return assay_cli_fail (g_steal_pointer (&error));
      assay_cli_print_json (record_json (r));
    }
  return ASSAY_CLI_OK;
}

static int
verb_delete (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char   *ids_text = NULL;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_STRING, &ids_text, N_("The records, comma-separated"), N_("N[,N…]") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_auto (GStrv) parts = NULL;
  int status = assay_cli_parse (common, "gen delete", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (ids_text == NULL)
    return assay_cli_usage (_("gen delete takes --id N[,N…]"));
  parts = g_strsplit (ids_text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 id = 0;
      if (!g_ascii_string_to_signed (g_strstrip (parts[i]), 10, 1, G_MAXINT64, &id, NULL))
        return assay_cli_usage (_("gen delete: record ids are positive integers"));
      g_array_append_val (ids, id);
    }
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_gen_delete (store, (const gint64 *) ids->data, ids->len, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "deleted", ids->len);
      assay_cli_print_json_object (o);
    }
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u record deleted (assay-cli undo takes it back)\n",
                          "%u records deleted (assay-cli undo takes them back)\n", ids->len),
             ids->len);
  return ASSAY_CLI_OK;
}

static int
verb_export (AssayCliCommon *common, int argc, char **argv)
{
  g_auto (FilterArgs) fa = { 0 };
  g_autofree char   *format = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("trl-dpo, trl-dpo-chat, kto, prm or sft"),
      N_("FORMAT") },
    FILTER_ENTRIES (fa),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayGenExportFormat fmt;
  AssayGenFilter       f;
  guint                n = 0;
  int                  status = assay_cli_parse (common, "gen export", "OUT", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2 || format == NULL || !assay_gen_parse_export_format (format, &fmt))
    return assay_cli_usage (_("gen export takes --format trl-dpo|trl-dpo-chat|kto|prm|sft and "
                            "an output file"));
  if (!make_filter (&fa, &f))
    return assay_cli_usage (_("unknown status"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_gen_export (store, &f, fmt, argv[1], &n, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "exported", n);
      json_object_set_string_member (o, "format", format);
      assay_cli_print_json_object (o);
    }
  else
    g_print (_("Exported %u rows to %s\n"), n, argv[1]);
  return ASSAY_CLI_OK;
}

static int
verb_prompts (AssayCliCommon *common, int argc, char **argv)
{
  g_auto (FilterArgs) fa = { 0 };
  g_autofree char   *name = NULL;
  const GOptionEntry entries[] = {
    { "template", 0, 0, G_OPTION_ARG_STRING, &name, N_("Template name (see gen templates)"), N_("NAME") },
    FILTER_ENTRIES (fa),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayGenFilter f;
  guint          n = 0;
  int            status = assay_cli_parse (common, "gen prompts", "OUT", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2 || name == NULL)
    return assay_cli_usage (_("gen prompts takes --template NAME and an output file"));
  if (!make_filter (&fa, &f))
    return assay_cli_usage (_("unknown status"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_gen_export_requests (store, &f, name, argv[1], &n, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "requests", n);
      assay_cli_print_json_object (o);
    }
  else
    g_print (_("Wrote %u requests to %s\n"), n, argv[1]);
  return ASSAY_CLI_OK;
}

static int
verb_answers (AssayCliCommon *common, int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  guint  read = 0, rated = 0;
  gint64 dataset = 0;
  int    status = assay_cli_parse (common, "gen answers", "FILE", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("gen answers takes one JSONL file of answers"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_gen_import_answers (store, argv[1], &read, &rated, &dataset, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "answers", read);
      json_object_set_int_member (o, "rated", rated);
      json_object_set_int_member (o, "dataset", dataset);
      assay_cli_print_json_object (o);
    }
  else
    g_print (_("Read %u answers (%u ratings)\n"), read, rated);
  return ASSAY_CLI_OK;
}

static int
verb_templates (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char   *show = NULL, *set = NULL, *from = NULL;
  const GOptionEntry entries[] = {
    { "show", 0, 0, G_OPTION_ARG_STRING, &show, N_("Print this template"), N_("NAME") },
    { "set", 0, 0, G_OPTION_ARG_STRING, &set, N_("Replace this template (with --from)"), N_("NAME") },
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, N_("File with the new template"), N_("FILE") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  int status = assay_cli_parse (common, "gen templates", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (show == NULL && set == NULL)
    {
      for (const char *const *n = assay_gen_template_names (); *n != NULL; n++)
        g_print ("%s\n", *n);
      return ASSAY_CLI_OK;
    }
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (set != NULL)
    {
      g_autofree char *body = NULL;
      if (from == NULL)
        return assay_cli_usage (_("--set needs --from FILE"));
      if (!g_file_get_contents (from, &body, NULL, &error)
          || !assay_gen_template_set (store, set, body, &error))
        return assay_cli_fail (g_steal_pointer (&error));
      return ASSAY_CLI_OK;
    }
  {
    g_autofree char *body = assay_gen_template_get (store, show, &error);
    if (body == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
    g_print ("%s\n", body);
  }
  return ASSAY_CLI_OK;
}

static int
verb_generate (AssayCliCommon *common, int argc, char **argv)
{
  g_auto (FilterArgs) fa = { 0 };
  AssayGenGenerateOptions options = { 0 };
  AssayCliSampling s = { { 0.8, 0, 0.95, 0.0, 1.0 }, 128, 0, FALSE, 64 }; /* GenCo's, Table 3.3 */
  g_auto (AssayCliShard) shard = { 0 };
  int n = 1, limit = 0;
  const GOptionEntry entries[] = {
    { "template", 0, 0, G_OPTION_ARG_STRING, &options.template_name, N_("Template name (see gen templates)"), N_("NAME") },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model, N_("Model folder"), N_("DIR") },
    FILTER_ENTRIES (fa),
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many records"), N_("N") },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, N_("Answers per record (default 1; the judge rates once)"), N_("N") },
    ASSAY_CLI_SAMPLING_ENTRIES (s),
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  AssayGenFilter f;
  JsonNode *result;
  int status = assay_cli_parse (common, "gen generate", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);

  if (status == ASSAY_CLI_OK && (options.template_name == NULL || options.model == NULL || argc > 1))
    status = assay_cli_usage (_("gen generate needs --template NAME and --model DIR"));
  if (status == ASSAY_CLI_OK && !make_filter (&fa, &f))
    status = assay_cli_usage (_("unknown status"));
  if (status == ASSAY_CLI_OK && (n < 1 || n > 1024 || limit < 0))
    status = assay_cli_usage (_("--n must be 1 to 1024 and --limit not negative"));
  if (status == ASSAY_CLI_OK)
    status = assay_cli_sampling_check (&s);
  if (status == ASSAY_CLI_OK && (store = assay_cli_open_input (common, &shard, &error)) == NULL)
    status = assay_cli_fail (g_steal_pointer (&error));
  if (status != ASSAY_CLI_OK)
    {
      assay_gen_generate_options_clear (&options);
      return status;
    }
  options.filter = assay_gen_filter_dup (&f);
  options.sampling = s.sampling;
  options.n = n;
  options.max_tokens = s.max_tokens;
  options.seed = (guint64) s.seed;
  options.chat = s.chat;
  options.limit = limit;
  options.max_batch = s.max_batch;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_gen_generate_job_new (&options);
  assay_gen_generate_options_clear (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

/* A semantic job (search, dedup --model, zeroshot) run to its end; its result object, or NULL
 * with *status set. */
static JsonObject *
run_semantic (AssayCliCommon *common, AssaySemanticKind kind, AssaySemanticOptions *o, int *status)
{
  g_autoptr (AssayJob) job = assay_semantic_job_new (kind, o);
  JsonNode   *node = NULL;
  JsonObject *r;

  assay_semantic_options_clear (o);
  if ((*status = assay_cli_finish_job (common, job, &node)) != ASSAY_CLI_OK)
    return NULL;
  r = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  return r;
}

static int
verb_dedup (AssayCliCommon *common, int argc, char **argv)
{
  gint64   dataset = 0;
  double   threshold = 0;
  g_autofree char *threshold_text = NULL;
  int      neighbours = 10;
  gboolean reject = FALSE;
  g_auto (AssayCliEmbed) e = { 0 };
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Only this dataset (needed with --model)"), N_("ID") },
    { "threshold", 0, 0, G_OPTION_ARG_STRING, &threshold_text,
      N_("From which texts are near-duplicates: estimated Jaccard of word 5-grams (default 0.8), or with --model the cosine (default 0.95)"), N_("X") },
    { "reject", 0, 0, G_OPTION_ARG_NONE, &reject,
      N_("Reject all but one record of each group (an accepted one if there is), one undoable decision"), NULL },
    { "neighbours", 0, 0, G_OPTION_ARG_INT, &neighbours, N_("With --model: candidates per record (default 10)"), N_("K") },
    ASSAY_CLI_EMBED_SET_ENTRIES (e),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *result;
  int status = assay_cli_parse (common, "gen dedup", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (threshold_text == NULL)
    threshold = e.model != NULL ? 0.95 : 0.8;
  else
    {
      char *end = NULL;
      threshold = g_ascii_strtod (threshold_text, &end);
      if (end == threshold_text || *end != '\0')
        threshold = NAN; /* refused below */
    }
  if (argc > 1 || !(threshold > (e.model != NULL ? -1 : 0) && threshold <= 1))
    return assay_cli_usage (_("gen dedup takes no file, and --threshold in (0, 1] (a cosine in (-1, 1] with --model)"));
  if (e.model != NULL && (dataset == 0 || neighbours < 1 || neighbours > 1000))
    return assay_cli_usage (_("gen dedup --model needs --dataset ID, and --neighbours 1 to 1000"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (e.model != NULL)
    {
      AssaySemanticOptions o = { 0 };
      if ((status = assay_cli_embed_check (&e, "gen dedup", dataset, &o.set)) != ASSAY_CLI_OK)
        return status;
      o.threshold = threshold;
      o.neighbours = neighbours;
      if ((result = run_semantic (common, ASSAY_SEMANTIC_DEDUP, &o, &status)) == NULL)
        return status;
    }
  else if ((result = assay_gen_dedup (store, dataset, threshold, NULL, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (reject)
    {
      guint n = 0;
      if (!assay_gen_dedup_reject (store, result, &n, &error))
        {
          json_object_unref (result);
          return assay_cli_fail (g_steal_pointer (&error));
        }
      json_object_set_int_member (result, "rejected", n);
    }
  json_object_set_int_member (result, "n_groups", json_array_get_length (json_object_get_array_member (result, "groups")));
  status = assay_cli_output (common, json_node_init_object (json_node_alloc (), result));
  json_object_unref (result);
  return status;
}

static int
verb_search (AssayCliCommon *common, int argc, char **argv)
{
  gint64 dataset = 0;
  int    limit = 20;
  g_autofree char *similar = NULL, *query_prefix = NULL;
  g_auto (AssayCliEmbed) e = { 0 };
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("The generations dataset to search"), N_("ID") },
    { "similar", 0, 0, G_OPTION_ARG_STRING, &similar, N_("Rank records by similarity to this text"), N_("TEXT") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Results (default 20)"), N_("N") },
    { "query-prefix", 0, 0, G_OPTION_ARG_STRING, &query_prefix, N_("Put before the query instead of --prefix (E5: \"query: \")"), N_("TEXT") },
    ASSAY_CLI_EMBED_SET_ENTRIES (e),
    { NULL }
  };
  AssaySemanticOptions o = { 0 };
  JsonObject *result;
  int status = assay_cli_parse (common, "gen search", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc > 1 || dataset == 0 || similar == NULL || common->workspace == NULL || limit < 1 || limit > 100000)
    return assay_cli_usage (_("gen search needs a workspace (-w FILE), --dataset ID, --similar TEXT and --model DIR; --limit 1 to 100000"));
  if ((status = assay_cli_embed_check (&e, "gen search", dataset, &o.set)) != ASSAY_CLI_OK)
    return status;
  o.query = g_steal_pointer (&similar);
  o.query_prefix = g_steal_pointer (&query_prefix);
  o.limit = limit;
  if ((result = run_semantic (common, ASSAY_SEMANTIC_SEARCH, &o, &status)) == NULL)
    return status;
  if (!common->json)
    {
      /* a line per hit: id, score, the start of its text */
      g_autoptr (AssayStore) store = NULL;
      g_autoptr (GError) error = NULL;
      JsonArray    *hits = json_object_get_array_member (result, "results");
      sqlite3_stmt *stmt;
      if ((store = assay_cli_open_workspace (common, &error)) == NULL
          || (stmt = assay_store_prepare (store, "SELECT substr (replace (coalesce ((SELECT coalesce (edited, text) FROM gen_records "
                                                 "WHERE id = ?1 AND dataset_id = ?2), (SELECT coalesce (title, text) FROM "
                                                 "xmtc_documents WHERE id = ?1 AND dataset_id = ?2), ''), char(10), ' '), 1, 100)",
                                          &error)) == NULL)
        {
          json_object_unref (result);
          return assay_cli_fail (g_steal_pointer (&error));
        }
      for (guint i = 0; i < json_array_get_length (hits); i++)
        {
          JsonObject *h = json_array_get_object_element (hits, i);
          sqlite3_bind_int64 (stmt, 1, json_object_get_int_member (h, "id"));
          sqlite3_bind_int64 (stmt, 2, dataset);
          g_print ("%8" G_GINT64_FORMAT "  %.4f  %s\n", json_object_get_int_member (h, "id"),
                   json_object_get_double_member (h, "score"),
                   sqlite3_step (stmt) == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : "");
          sqlite3_reset (stmt);
        }
      json_object_unref (result);
      return ASSAY_CLI_OK;
    }
  status = assay_cli_output (common, json_node_init_object (json_node_alloc (), result));
  json_object_unref (result);
  return status;
}

static int
verb_zeroshot (AssayCliCommon *common, int argc, char **argv)
{
  gint64 dataset = 0, augmentations = 0;
  g_auto (GStrv) labels = NULL, templates = NULL;
  g_autofree char *labels_file = NULL, *truth = NULL;
  g_auto (AssayCliEmbed) e = { 0 };
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("The generations dataset to label"), N_("ID") },
    { "label", 0, 0, G_OPTION_ARG_STRING_ARRAY, &labels, N_("A label's name (repeatable)"), N_("NAME") },
    { "labels-file", 0, 0, G_OPTION_ARG_FILENAME, &labels_file, N_("Label names, one per line"), N_("FILE") },
    { "template", 0, 0, G_OPTION_ARG_STRING_ARRAY, &templates,
      N_("A label prompt with {label} (repeatable; default \"Category: {label}.\" and \"It is about {label}.\")"), N_("TEXT") },
    { "truth", 0, 0, G_OPTION_ARG_STRING, &truth, N_("Where the true label is: condition or extra.NAME (accuracy and F1 then)"), N_("FIELD") },
    { "augmentations", 0, 0, G_OPTION_ARG_INT64, &augmentations,
      N_("A dataset of generated elaborations (gen generate --template genco-elaborate): a text is the mean of its embeddings with each (Eq 3.9)"), N_("ID") },
    ASSAY_CLI_EMBED_SET_ENTRIES (e),
    { NULL }
  };
  AssaySemanticOptions o = { 0 };
  g_autoptr (GError) error = NULL;
  JsonObject *result;
  int status = assay_cli_parse (common, "gen zeroshot", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (labels_file != NULL)
    {
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      if (!g_file_get_contents (labels_file, &text, NULL, &error))
        return assay_cli_fail (g_steal_pointer (&error));
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; labels != NULL && labels[i] != NULL; i++)
        g_strv_builder_add (b, labels[i]);
      for (guint i = 0; lines[i] != NULL; i++)
        if (*g_strstrip (lines[i]) != '\0')
          g_strv_builder_add (b, lines[i]);
      g_strfreev (labels);
      labels = g_strv_builder_end (b);
    }
  if (argc > 1 || dataset == 0 || common->workspace == NULL || labels == NULL || g_strv_length (labels) < 2)
    return assay_cli_usage (_("gen zeroshot needs a workspace (-w FILE), --dataset ID, --model DIR and two or more labels (--label or --labels-file)"));
  if ((status = assay_cli_embed_check (&e, "gen zeroshot", dataset, &o.set)) != ASSAY_CLI_OK)
    return status;
  o.labels = g_steal_pointer (&labels);
  o.templates = g_steal_pointer (&templates);
  o.truth = g_steal_pointer (&truth);
  o.augmentations = augmentations;
  if ((result = run_semantic (common, ASSAY_SEMANTIC_ZEROSHOT, &o, &status)) == NULL)
    return status;
  if (!common->json)
    {
      /* the summary; the predictions only with --json */
      JsonArray *per = json_object_has_member (result, "per_class") ? json_object_get_array_member (result, "per_class") : NULL;
      json_object_remove_member (result, "predictions");
      assay_cli_print_object_text (result);
      for (guint i = 0; per != NULL && i < json_array_get_length (per); i++)
        {
          JsonObject *k = json_array_get_object_element (per, i);
          g_print ("  %-20s precision %.4f  recall %.4f  F1 %.4f  support %" G_GINT64_FORMAT "\n",
                   json_object_get_string_member (k, "label"), json_object_get_double_member (k, "precision"),
                   json_object_get_double_member (k, "recall"), json_object_get_double_member (k, "f1"),
                   json_object_get_int_member (k, "support"));
        }
      json_object_unref (result);
      return ASSAY_CLI_OK;
    }
  status = assay_cli_output (common, json_node_init_object (json_node_alloc (), result));
  json_object_unref (result);
  return status;
}

static int
verb_errors (AssayCliCommon *common, int argc, char **argv)
{
  AssayXmtcErrorOptions options;
  gint64             dataset = 0;
  g_auto (AssayCliLabelErrors) e = ASSAY_CLI_LABEL_ERRORS_INIT;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset of generated records with labels (conditions)"), N_("ID") },
    ASSAY_CLI_LABEL_ERRORS_ENTRIES (e),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status = assay_cli_parse (common, "gen errors", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("gen errors needs --dataset ID"));
  if ((status = assay_cli_label_errors_check (&e, common->threads, &options)) != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if ((status = assay_cli_label_errors_resolve (&e, store, dataset, &options)) != ASSAY_CLI_OK)
    return status;
  job = assay_gen_errors_job_new (dataset, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_label_errors_output (common, &e, result);
}

static const AssayCliVerb verbs[] = {
  { "import", verb_import, N_("Import generation records (JSONL or JSON array)") },
  { "list", verb_list, N_("Records by status and search, paged") },
  { "review", verb_review, N_("Accept, reject, rate or edit a record (undoable)") },
  { "delete", verb_delete, N_("Delete records with their token credit (undoable)") },
  { "export", verb_export, N_("Training files: TRL DPO, KTO, stepwise PRM, SFT") },
  { "prompts", verb_prompts, N_("A batch of filled prompt templates for a model server") },
  { "answers", verb_answers, N_("Read a model server's answers back by id") },
  { "generate", verb_generate, N_("Fill a template from records and answer it with a local model (T 0.8, top-p 0.95, 128 tokens)") },
  { "templates", verb_templates, N_("List, show or replace the prompt templates") },
  { "errors", verb_errors, N_("Records whose text probably does not fit their label (confident learning, out-of-fold SVM); writes each record's label_fit") },
  { "dedup", verb_dedup, N_("Near-duplicate records (MinHash of word 5-grams, or by embedding with --model); --reject keeps one of each group") },
  { "search", verb_search, N_("Records ranked by similarity of meaning to a text (--similar), by embedding") },
  { "zeroshot", verb_zeroshot, N_("Zero-shot labels by embedding similarity to label prompts (GenCo); accuracy and F1 with --truth") },
  { NULL }
};

int
assay_cli_gen (int argc, char **argv)
{
  return assay_cli_dispatch ("gen", verbs, argc, argv);
}
