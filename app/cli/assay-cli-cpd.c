/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli cpd simulate|import|score|eval|list */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-cli-commands.h"
#include "assay-cpd-jobs.h"
#include "assay-json.h"

static int
verb_simulate (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *type = NULL;
  int              count = 100;
  gint64           seed = 1;
  const GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, N_("location, velocity or connection"), N_("TYPE") },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("How many series (default 100)"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), N_("S") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  AssaySpringChange change;
  JsonNode *result;
  int       status = assay_cli_parse (common, "cpd simulate", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (type == NULL || !assay_spring_parse_change (type, &change) || change == ASSAY_SPRING_NONE)
    return assay_cli_usage (_("cpd simulate needs --type location, velocity or connection"));
  if (count < 1 || count > 1000000)
    return assay_cli_usage (_("--count must be between 1 and 1000000"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_cpd_simulate_job_new (change, (guint) count, (guint64) seed);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_import (AssayCliCommon *common, int argc, char **argv)
{
  g_autofree char *format = NULL, *name = NULL, *time_column = NULL, *delimiter = NULL;
  gboolean         refuse = FALSE;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("csv, tcpd, jsonl or auto"), N_("FORMAT") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Dataset name"), N_("NAME") },
    { "time-column", 0, 0, G_OPTION_ARG_STRING, &time_column, N_("csv: the time column"), N_("COL") },
    { "delimiter", 0, 0, G_OPTION_ARG_STRING, &delimiter, N_("csv: field separator"), N_("C") },
    { "refuse-missing", 0, 0, G_OPTION_ARG_NONE, &refuse, N_("Fail on missing values instead of interpolating"), NULL },
    { NULL }
  };
  AssayCpdImportOptions options;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int       status = assay_cli_parse (common, "cpd import", "FILE...", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc < 2)
    return assay_cli_usage (_("cpd import takes one or more files or folders"));
  assay_cpd_import_options_init (&options);
  if (format != NULL && !assay_cpd_parse_format (format, &options.format))
    return assay_cli_usage (_("unknown format “%s”"), format);
  if (delimiter != NULL)
    {
      if (strlen (delimiter) != 1 && !g_str_equal (delimiter, "\\t"))
        return assay_cli_usage (_("the delimiter must be one character"));
      options.delimiter = g_str_equal (delimiter, "\\t") ? '\t' : delimiter[0];
    }
  options.name = name;
  options.time_column = time_column;
  options.refuse_missing = refuse;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_cpd_import_job_new ((const char *const *) argv + 1, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_score (AssayCliCommon *common, int argc, char **argv)
{
  gint64           dataset = 0;
  g_autofree char *detector = NULL, *encoder = NULL;
  int              window = -1, k = -1, min_size = -1, lag = -1;
  gint64           model = 0;
  g_auto (AssayCliShard) shard = { 0 };
  double           alpha = NAN, tau = NAN, threshold = NAN, penalty = NAN, lambda = NAN;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset to score"), N_("ID") },
    { "detector", 0, 0, G_OPTION_ARG_STRING, &detector, N_("cord (default), cord-learned, binseg, pelt or bocpd"), N_("NAME") },
    { "model", 0, 0, G_OPTION_ARG_INT64, &model, N_("cord-learned: the model made by cpd train"), N_("ID") },
    { "encoder", 0, 0, G_OPTION_ARG_STRING, &encoder, N_("cord: relational (default) or window"), N_("NAME") },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, N_("cord: graph window w (default 20)"), N_("W") },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, N_("cord: s_d window (default 1)"), N_("K") },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, N_("cord: type rule α (default 0.75)"), N_("A") },
    { "tau", 0, 0, G_OPTION_ARG_DOUBLE, &tau, N_("cord: type rule τ (default 0)"), N_("T") },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, N_("cord: s_en peak threshold (default 4)"), N_("Z") },
    { "penalty", 0, 0, G_OPTION_ARG_DOUBLE, &penalty, N_("binseg, pelt: penalty (default BIC)"), N_("P") },
    { "min-size", 0, 0, G_OPTION_ARG_INT, &min_size, N_("Shortest segment (default 5)"), N_("N") },
    { "lambda", 0, 0, G_OPTION_ARG_DOUBLE, &lambda, N_("bocpd: expected run length (default 100)"), N_("L") },
    { "lag", 0, 0, G_OPTION_ARG_INT, &lag, N_("bocpd: score delay (default 5)"), N_("N") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  AssayCpdScoreOptions options;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int       status = assay_cli_parse (common, "cpd score", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("cpd score needs --dataset ID"));
  assay_cpd_score_options_init (&options);
  if (detector != NULL && !assay_detector_parse (detector, &options.detector))
    return assay_cli_usage (_("unknown detector “%s”: use cord, cord-learned, binseg, pelt or bocpd"), detector);
  if (encoder != NULL && (!assay_cord_parse_encoder (encoder, &options.cord.encoder)
                          || options.cord.encoder == ASSAY_CORD_ENCODER_LEARNED))
    return assay_cli_usage (_("unknown encoder “%s”: use window or relational (a learned model: --detector cord-learned --model ID)"), encoder);
  if (options.detector == ASSAY_DETECTOR_CORD_LEARNED && model <= 0)
    return assay_cli_usage (_("--detector cord-learned needs --model ID (from cpd train)"));
  if (options.detector != ASSAY_DETECTOR_CORD_LEARNED && model != 0)
    return assay_cli_usage (_("--model goes with --detector cord-learned"));
  options.model = model;
  if (window > 0)
    options.cord.window = (guint) window;
  if (k > 0)
    options.cord.k = (guint) k;
  if (!isnan (alpha))
    options.cord.alpha = alpha;
  if (!isnan (tau))
    options.cord.tau = tau;
  if (!isnan (threshold))
    options.cord.threshold = threshold;
  if (!isnan (penalty))
    options.baseline.penalty = penalty;
  if (min_size > 0)
    options.baseline.min_size = (guint) min_size;
  if (!isnan (lambda) && lambda > 0)
    options.baseline.lambda = lambda;
  if (lag >= 0)
    options.baseline.lag = (guint) lag;
  options.threads = common->threads;
  options.shard = shard.parsed;
  options.shard_out = shard.shard_out;
  if ((store = assay_cli_open_input (common, &shard, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_cpd_score_job_new (dataset, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_train (AssayCliCommon *common, int argc, char **argv)
{
  g_auto (GStrv)     dataset_args = NULL;
  gint64             valid = 0, seed = 1, init = 0;
  int                epochs = -1, hidden = -1, msg_hidden = -1, window = -1, batch = -1, patience = -1;
  double             lr = NAN;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &dataset_args, N_("Dataset to learn from (repeat for more)"), N_("ID") },
    { "valid", 0, 0, G_OPTION_ARG_INT64, &valid, N_("Validation dataset (default: every sixth series)"), N_("ID") },
    { "init", 0, 0, G_OPTION_ARG_INT64, &init, N_("Go on training from this model (a new model is stored)"), N_("MODEL") },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, N_("Most epochs (default 200)"), N_("N") },
    { "patience", 0, 0, G_OPTION_ARG_INT, &patience, N_("Stop after N epochs without a better validation loss (default 20)"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), N_("S") },
    { "hidden", 0, 0, G_OPTION_ARG_INT, &hidden, N_("Encoder width (default 64; the paper's 256)"), N_("H") },
    { "msg-hidden", 0, 0, G_OPTION_ARG_INT, &msg_hidden, N_("Decoder width (default 64; the paper's 256)"), N_("D") },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, N_("Steps per training window (default: the shortest series, at most 100)"), N_("W") },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Windows per step (default 32)"), N_("B") },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Learning rate (default 0.001)"), N_("LR") },
    { NULL }
  };
  AssayCordTrainOptions options;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result;
  int       status = assay_cli_parse (common, "cpd train", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  for (guint i = 0; dataset_args != NULL && dataset_args[i] != NULL; i++)
    {
      gint64 id;
      if (!g_ascii_string_to_signed (dataset_args[i], 10, 1, G_MAXINT64, &id, NULL))
        return assay_cli_usage (_("--dataset takes a dataset id, not “%s”"), dataset_args[i]);
      g_array_append_val (ids, id);
    }
  if (ids->len == 0)
    return assay_cli_usage (_("cpd train needs --dataset ID"));
  assay_cord_train_options_init (&options);
  if (epochs == 0 || epochs < -1 || epochs > 1000000)
    return assay_cli_usage (_("--epochs must be between 1 and 1000000"));
  if ((hidden != -1 && (hidden < 2 || hidden > 4096)) || (msg_hidden != -1 && (msg_hidden < 1 || msg_hidden > 4096)))
    return assay_cli_usage (_("--hidden and --msg-hidden must be between 2 and 4096"));
  if ((batch != -1 && (batch < 1 || batch > 100000)) || (patience != -1 && patience < 1) || (window != -1 && window < 1))
    return assay_cli_usage (_("--batch, --patience and --window must be positive"));
  if (!isnan (lr) && !(lr > 0 && lr < 10))
    return assay_cli_usage (_("--lr must be between 0 and 10"));
  if (epochs > 0)
    options.epochs = (guint) epochs;
  if (patience > 0)
    options.patience = (guint) patience;
  if (hidden > 0)
    options.hidden = (guint) hidden;
  if (msg_hidden > 0)
    options.msg_hidden = (guint) msg_hidden;
  if (window > 0)
    options.window = (guint) window;
  if (batch > 0)
    options.batch = (guint) batch;
  if (!isnan (lr))
    options.lr = lr;
  options.seed = (guint64) seed;
  options.valid_dataset = valid;
  options.threads = common->threads;
  if (init < 0)
    return assay_cli_usage (_("--init takes a model id"));
  options.init = init;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_cpd_train_job_new (ids, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_eval (AssayCliCommon *common, int argc, char **argv)
{
  gint64 run = 0;
  int    burn_in = 0;
  const GOptionEntry entries[] = {
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("Run to evaluate"), N_("ID") },
    { "burn-in", 0, 0, G_OPTION_ARG_INT, &burn_in, N_("Also the thesis's pooled AUC, TRI and DIST over steps [B, T - B) of s_en, s_r and s_d (the thesis: 25)"), N_("B") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *metrics;
  JsonNode   *node;
  int         status = assay_cli_parse (common, "cpd eval", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (run <= 0)
    return assay_cli_usage (_("cpd eval needs --run ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (burn_in < 0 || burn_in > 1000000)
    return assay_cli_usage (_("--burn-in must be between 0 and 1000000"));
  if ((metrics = assay_cpd_evaluate_run_burn_in (store, run, (guint) burn_in, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, metrics);
  if (common->json)
    {
      assay_cli_print_json (node);
      return ASSAY_CLI_OK;
    }
  assay_cli_print_object_text (metrics);
  {
    JsonArray *per = json_object_get_array_member (metrics, "per_series");
    g_print ("\n%-28s %7s %7s %7s %7s\n", _("series"), "auc", "tri", "f1", "cover");
    for (guint i = 0; i < json_array_get_length (per); i++)
      {
        JsonObject *s = json_array_get_object_element (per, i);
        g_print ("%-28.28s %7.3f %7.3f %7.3f %7.3f\n", json_object_get_string_member (s, "name"),
                 assay_json_get_double (s, "auc", NAN), assay_json_get_double (s, "tri", NAN),
                 assay_json_get_double (s, "f1", NAN), assay_json_get_double (s, "cover", NAN));
      }
  }
  json_node_unref (node);
  return ASSAY_CLI_OK;
}

static int
verb_list (AssayCliCommon *common, int argc, char **argv)
{
  static const char *const dataset_keys[] = { "dataset", "name", "series", NULL };
  static const char *const run_keys[] = { "run", "dataset", "detector", "auc", "f1", NULL };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  int status = assay_cli_parse (common, "cpd list", NULL, NULL, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_begin_object (b);
  if (!assay_cli_add_rows (common, store, b, "datasets",
                           "SELECT d.id, d.name, (SELECT count(*) FROM cpd_series s WHERE "
                           "s.dataset_id = d.id) FROM datasets d WHERE d.area = 'cpd' AND d.importing IS NULL ORDER BY d.id",
                           dataset_keys, &error)
      || !assay_cli_add_rows (common, store, b, "runs",
                              "SELECT id, dataset_id, kind, json_extract (metrics, '$.auc'), "
                              "json_extract (metrics, '$.f1') FROM runs WHERE area = 'cpd' AND "
                              "status = 'done' ORDER BY id",
                              run_keys, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_end_object (b);
  if (common->json)
    assay_cli_print_json (json_builder_get_root (b));
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "simulate", verb_simulate, N_("Particle-spring series with one change each") },
  { "import", verb_import, N_("Import series (CSV, TCPD JSON, JSONL)") },
  { "train", verb_train, N_("Train the learned CoRD-CPD model on datasets of series") },
  { "score", verb_score, N_("Score change points with a detector") },
  { "eval", verb_eval, N_("AUC, TRI, DIST, F1, cover and type accuracy of a run") },
  { "list", verb_list, N_("Datasets and runs") },
  { NULL }
};

int
assay_cli_cpd (int argc, char **argv)
{
  return assay_cli_dispatch ("cpd", verbs, argc, argv);
}
