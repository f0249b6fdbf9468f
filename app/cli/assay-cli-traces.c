/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli traces import|credit|eval|render */
#include "config.h"

#include <glib/gi18n.h>

#include "assay-cli-commands.h"
#include "assay-gen-record.h"
#include "assay-token-export.h"
#include "assay-trace-reward.h"
#include "assay-trace-sample.h"
#include "assay-trace-credit.h"
#include "assay-trace-eval.h"
#include "assay-trace-import.h"
#include "assay-trace-tokens.h"

static int
verb_import (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *format_name = NULL, *name = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name,
      N_("processbench, jsonl (N candidates per question), trl, llava-reasoner or auto"), N_("FORMAT") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Dataset name"), N_("NAME") },
    { NULL }
  };
  AssayTraceFormat format = ASSAY_TRACE_FORMAT_AUTO;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status = assay_cli_parse (common, "traces import", "FILE", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("traces import takes one file"));
  if (format_name != NULL && !assay_trace_parse_format (format_name, &format))
    return assay_cli_usage (_("unknown format “%s”"), format_name);
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_trace_import_job_new (argv[1], format, name);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_credit (AssayCliCommon *common, int argc, char **argv)
{
  AssayTraceCreditOptions options = { 0 };
  g_auto (AssayCliShard) shard = { 0 };
  int       batch_tokens = 4096, limit = 0;
  gint64    dataset = 0;
  const GOptionEntry entries[] = {
    { "policy", 0, 0, G_OPTION_ARG_FILENAME, &options.policy, N_("Policy model folder (e.g. the DPO model)"), N_("DIR") },
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &options.reference, N_("Reference model folder (e.g. the SFT model)"), N_("DIR") },
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Only this dataset's traces"), N_("ID") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many records"), N_("N") },
    { "batch-tokens", 0, 0, G_OPTION_ARG_INT, &batch_tokens, N_("Tokens per forward pass (default 4096)"), N_("N") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int status = assay_cli_parse (common, "traces credit", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);

  if (status == ASSAY_CLI_OK && (options.policy == NULL || options.reference == NULL || argc > 1))
    status = assay_cli_usage (_("traces credit needs --policy DIR and --reference DIR"));
  if (status == ASSAY_CLI_OK && (batch_tokens < 1 || batch_tokens > (1 << 24) || limit < 0))
    status = assay_cli_usage (_("--batch-tokens must be between 1 and 16777216, --limit not negative"));
  if (status == ASSAY_CLI_OK && (store = assay_cli_open_input (common, &shard, &error)) == NULL)
    status = assay_cli_fail (g_steal_pointer (&error));
  if (status != ASSAY_CLI_OK)
    {
      assay_trace_credit_options_clear (&options);
      return status;
    }
  options.batch_tokens = batch_tokens;
  options.dataset = dataset;
  options.limit = limit;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_trace_credit_job_new (&options);
  assay_trace_credit_options_clear (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_reward (AssayCliCommon *common, int argc, char **argv)
{
  AssayTraceRewardOptions options = { NULL, 0, 0.5, NULL };
  g_autofree char *model = NULL, *name = NULL;
  gint64   dataset = 0;
  double   threshold = 0.5;
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      N_("Reward model folder: Qwen2ForProcessRewardModel (per step), a ForSequenceClassification ORM, or a causal LM (self-certainty)"), N_("DIR") },
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset of traces or records"), N_("ID") },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, N_("PRM: the first step below this P(right) is the first error (default 0.5)"), N_("P") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name of the scores (default: the model folder's name)"), N_("NAME") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int status = assay_cli_parse (common, "traces reward", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (model == NULL || dataset <= 0 || argc > 1)
    return assay_cli_usage (_("traces reward needs --model DIR and --dataset ID"));
  if (!(threshold > 0 && threshold < 1))
    return assay_cli_usage (_("--threshold must be between 0 and 1"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  options.model = model;
  options.dataset = dataset;
  options.threshold = threshold;
  options.name = name;
  job = assay_trace_reward_job_new (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_sample (AssayCliCommon *common, int argc, char **argv)
{
  AssayTraceSampleOptions options = { 0 };
  AssayCliSampling s = { ASSAY_SAMPLING_DEFAULT, 512, 0, FALSE, 64 };
  g_auto (AssayCliShard) shard = { 0 };
  int n = 8, limit = 0;
  gint64 dataset = 0;
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model, N_("Model folder"), N_("DIR") },
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Questions of this traces dataset only"), N_("ID") },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, N_("Candidates per question (default 8)"), N_("N") },
    ASSAY_CLI_SAMPLING_ENTRIES (s),
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many questions"), N_("N") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int status = assay_cli_parse (common, "traces sample", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);

  if (status == ASSAY_CLI_OK && (options.model == NULL || argc > 1))
    status = assay_cli_usage (_("traces sample needs --model DIR"));
  if (status == ASSAY_CLI_OK && (n < 1 || n > 4096 || limit < 0))
    status = assay_cli_usage (_("--n must be 1 to 4096 and --limit not negative"));
  if (status == ASSAY_CLI_OK)
    status = assay_cli_sampling_check (&s);
  if (status == ASSAY_CLI_OK && (store = assay_cli_open_input (common, &shard, &error)) == NULL)
    status = assay_cli_fail (g_steal_pointer (&error));
  if (status != ASSAY_CLI_OK)
    {
      assay_trace_sample_options_clear (&options);
      return status;
    }
  options.dataset = dataset;
  options.sampling = s.sampling;
  options.n = n;
  options.max_tokens = s.max_tokens;
  options.seed = (guint64) s.seed;
  options.chat = s.chat;
  options.limit = limit;
  options.max_batch = s.max_batch;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_trace_sample_job_new (&options);
  assay_trace_sample_options_clear (&options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_eval (AssayCliCommon *common, int argc, char **argv)
{
  gint64 run = 0;
  const GOptionEntry entries[] = {
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("Credit run"), N_("ID") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  JsonNode   *node;
  int status = assay_cli_parse (common, "traces eval", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (run <= 0 || argc > 1)
    return assay_cli_usage (_("traces eval needs --run ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || (o = assay_trace_eval (store, run, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  return assay_cli_output (common, node);
}

static int
verb_render (AssayCliCommon *common, int argc, char **argv)
{
  gint64 record = 0, run = 0;
  int    side = 0, width = 1000;
  double range = 0;
  g_autofree char *out = NULL;
  const GOptionEntry entries[] = {
    { "trace", 0, 0, G_OPTION_ARG_INT64, &record, N_("Trace (record id)"), N_("ID") },
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("Credit run"), N_("ID") },
    { "side", 0, 0, G_OPTION_ARG_INT, &side, N_("0: the response (a pair's chosen side), 1: a pair's rejected side"), N_("SIDE") },
    { "range", 0, 0, G_OPTION_ARG_DOUBLE, &range, N_("|credit − mean| at full colour (default: 98th percentile)"), N_("NATS") },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, N_("Figure width in pixels (default 1000)"), N_("PX") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("PNG or SVG file"), N_("FILE") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayGenRecord) r = NULL;
  g_autoptr (AssayTraceTokens) t = NULL;
  g_autofree char *title = NULL;
  AssayTokenData d;
  int status = assay_cli_parse (common, "traces render", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (record <= 0 || run <= 0 || out == NULL || argc > 1)
    return assay_cli_usage (_("traces render needs --trace ID, --run ID and --out FILE.png|FILE.svg"));
  if (side < 0 || side > 1 || width < 200 || width > 20000)
    return assay_cli_usage (_("--side is 0 or 1, --width 200 to 20000"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || (r = assay_gen_record_load (store, record, &error)) == NULL
      || (t = assay_trace_tokens_load (store, run, record, side, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  d = (AssayTokenData) {
    .text = side == 0 ? r->text : r->rejected,
    .n_tokens = t->n_tokens,
    .offsets = t->offsets,
    .credit = t->credit,
    .center = t->mean,
    .n_steps = t->n_steps,
    .steps = (const guint *) t->steps,
    .labelled = side == 0 && r->steps != NULL ? r->step_label : -2,
    .predicted = t->first_error,
  };
  {
    char labelled[16], predicted[16];
    g_snprintf (labelled, sizeof labelled, "%d", d.labelled);
    g_snprintf (predicted, sizeof predicted, "%d", t->first_error);
    title = g_strdup_printf (_("Trace %lld (%s), run %lld: R = %.3f, labelled first error %s, predicted %s"),
                             (long long) record,
                             side == 1 ? _("rejected") : g_strcmp0 (r->kind, "pair") == 0 ? _("chosen") : _("response"),
                             (long long) run, t->reward,
                             d.labelled >= 0 ? labelled : d.labelled == -1 ? _("none") : _("unknown"),
                             t->first_error >= 0 ? predicted : _("none"));
  }
  if (!assay_token_export (&d, range, title, width, out, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "output", out);
      json_object_set_int_member (o, "tokens", t->n_tokens);
      json_object_set_double_member (o, "reward", t->reward);
      assay_cli_print_json_object (o);
    }
  else
    g_print ("%s\n", out);
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "import", verb_import, N_("Import ProcessBench JSON, candidate JSONL or preference pairs") },
  { "sample", verb_sample, N_("N candidates per question from a local model, checked, with DPO pairs (T 1, 512 tokens)") },
  { "credit", verb_credit, N_("Token credit of every trace under a policy and a reference model") },
  { "reward", verb_reward, N_("Score traces with a reward model: a PRM's P(right) per step (min, last, product), an ORM's score, a causal LM's self-certainty; ProcessBench F1") },
  { "prm", verb_reward, N_("The same as reward (a process or outcome reward model)") },
  { "eval", verb_eval, N_("First-error F1, re-ranking accuracy against N, pair rewards of a run") },
  { "render", verb_render, N_("A trace's token heatmap as PNG or SVG") },
  { NULL }
};

int
assay_cli_traces (int argc, char **argv)
{
  return assay_cli_dispatch ("traces", verbs, argc, argv);
}
