/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli xmtc import|train|eval|keywords|list */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "assay-cli-commands.h"
#include "assay-depl.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-xmtc-eval.h"
#include "assay-xmtc-jobs.h"
#include "assay-xmtc-model.h"

static int
verb_import (AssayCliCommon *common, int argc, char **argv)
{
  AssayXmtcImportOptions options;
  g_autofree char *format = NULL, *name = NULL, *test = NULL, *vocab = NULL, *label_names = NULL;
  g_autofree char *delimiter = NULL, *text_columns = NULL, *label_column = NULL;
  g_autofree char *label_separator = NULL, *split_column = NULL;
  gboolean         all_topics = FALSE, no_header = FALSE;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("xc, reuters, jsonl, csv or auto"), N_("FORMAT") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Dataset name"), N_("NAME") },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &test, N_("A second file holding the test split"), N_("FILE") },
    { "vocabulary", 0, 0, G_OPTION_ARG_FILENAME, &vocab, N_("xc: feature names, one per line"), N_("FILE") },
    { "label-names", 0, 0, G_OPTION_ARG_FILENAME, &label_names, N_("xc: label names, one per line"), N_("FILE") },
    { "all-topics", 0, 0, G_OPTION_ARG_NONE, &all_topics, N_("reuters: keep categories missing from a split"), NULL },
    { "delimiter", 0, 0, G_OPTION_ARG_STRING, &delimiter, N_("csv: field separator (default ,)"), N_("C") },
    { "no-header", 0, 0, G_OPTION_ARG_NONE, &no_header, N_("csv: the first line is data"), NULL },
    { "text-column", 0, 0, G_OPTION_ARG_STRING, &text_columns, N_("csv: text column(s), names or 1-based numbers"), N_("COLS") },
    { "label-column", 0, 0, G_OPTION_ARG_STRING, &label_column, N_("csv: label column"), N_("COL") },
    { "label-separator", 0, 0, G_OPTION_ARG_STRING, &label_separator, N_("csv: separator between labels (default |)"), N_("SEP") },
    { "split-column", 0, 0, G_OPTION_ARG_STRING, &split_column, N_("csv: column saying train or test"), N_("COL") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status;

  status = assay_cli_parse (common, "xmtc import", "FILE", entries, &argc, &argv);
  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("xmtc import takes one FILE (or folder)"));
  assay_xmtc_import_options_init (&options);
  if (format != NULL && !assay_xmtc_parse_format (format, &options.format))
    return assay_cli_usage (_("unknown format “%s”"), format);
  if (delimiter != NULL)
    {
      if (g_str_equal (delimiter, "\\t") || g_str_equal (delimiter, "tab"))
        options.delimiter = '\t';
      else if (strlen (delimiter) == 1)
        options.delimiter = delimiter[0];
      else
        return assay_cli_usage (_("the delimiter must be one character"));
    }
  else
    options.delimiter = '\0';
  options.name = name;
  options.test_path = test;
  options.vocabulary_path = vocab;
  options.label_names_path = label_names;
  options.reuters_all_topics = all_topics;
  options.no_header = no_header;
  options.text_columns = text_columns;
  options.label_column = label_column;
  if (label_separator != NULL)
    options.label_separator = label_separator;
  options.split_column = split_column;

  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_xmtc_import_job_new (argv[1], &options);
  status = assay_cli_finish_job (common, job, &result);
  if (status != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_train (AssayCliCommon *common, int argc, char **argv)
{
  AssayXmtcTrainOptions options;
  gint64           dataset = 0;
  double           C = -1, eps = -1, max_df = -1, prune = -1, A = -1, B = -1;
  int              keywords = -1, min_df = -1, top_k = -1, max_iter = -1;
  g_autofree char *loss = NULL;
  gboolean         stop_words = FALSE;
  g_auto (AssayCliShard) shard = { 0 };
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset to train on"), N_("ID") },
    { "C", 0, 0, G_OPTION_ARG_DOUBLE, &C, N_("SVM cost (default 1)"), N_("C") },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &loss, N_("hinge (default) or squared-hinge"), N_("LOSS") },
    { "eps", 0, 0, G_OPTION_ARG_DOUBLE, &eps, N_("Stopping tolerance (default 0.1)"), N_("EPS") },
    { "max-iter", 0, 0, G_OPTION_ARG_INT, &max_iter, N_("Passes over the data at most (default 1000)"), N_("N") },
    { "keywords", 0, 0, G_OPTION_ARG_INT, &keywords, N_("Keywords per label (default 16)"), N_("K") },
    { "min-df", 0, 0, G_OPTION_ARG_INT, &min_df, N_("Drop terms in fewer documents (default 1)"), N_("N") },
    { "max-df", 0, 0, G_OPTION_ARG_DOUBLE, &max_df, N_("Drop terms in a larger fraction of documents (default 1)"), N_("F") },
    { "stop-words", 0, 0, G_OPTION_ARG_NONE, &stop_words, N_("Drop English stop words"), NULL },
    { "prune", 0, 0, G_OPTION_ARG_DOUBLE, &prune, N_("Drop weights smaller than this (default 0.001)"), N_("W") },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, N_("Predictions kept per document (default 10)"), N_("K") },
    { "A", 0, 0, G_OPTION_ARG_DOUBLE, &A, N_("Propensity A (default 0.55)"), N_("A") },
    { "B", 0, 0, G_OPTION_ARG_DOUBLE, &B, N_("Propensity B (default 1.5)"), N_("B") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status;

  status = assay_cli_parse (common, "xmtc train", NULL, entries, &argc, &argv);
  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("xmtc train needs --dataset ID"));
  assay_xmtc_train_options_init (&options);
  if (C > 0)
    options.svm.C = C;
  else if (C != -1)
    return assay_cli_usage (_("--C must be positive"));
  if (loss != NULL)
    {
      if (g_str_equal (loss, "hinge"))
        options.svm.loss = ASSAY_SVM_HINGE;
      else if (g_str_equal (loss, "squared-hinge"))
        options.svm.loss = ASSAY_SVM_SQUARED_HINGE;
      else
        return assay_cli_usage (_("--loss is hinge or squared-hinge"));
    }
  if (eps > 0)
    options.svm.eps = eps;
  if (max_iter > 0)
    options.svm.max_iter = (guint) max_iter;
  if (keywords >= 0)
    options.keywords = (guint) keywords;
  if (min_df > 0)
    options.tfidf.min_df = (guint) min_df;
  if (max_df > 0 && max_df <= 1)
    options.tfidf.max_df = max_df;
  else if (max_df != -1)
    return assay_cli_usage (_("--max-df is a fraction in (0, 1]"));
  options.tfidf.stop_words = stop_words;
  if (prune >= 0)
    options.prune = (float) prune;
  if (top_k > 0)
    options.top_k = (guint) top_k;
  if (A > 0)
    options.propensity_a = A;
  if (B >= 0)
    options.propensity_b = B;
  options.threads = common->threads;
  options.shard = shard.parsed;
  options.shard_out = shard.shard_out;

  if ((store = assay_cli_open_input (common, &shard, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_xmtc_train_job_new (dataset, &options);
  status = assay_cli_finish_job (common, job, &result);
  if (status != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

/* SVM, dense retrieval and their fusion side by side (DEPL's Table 2.3), then per bin. */
static void
print_comparison (JsonObject *c)
{
  static const char *const metrics[] = { "p@1", "p@3", "p@5", "psp@1", "psp@3", "psp@5", "macro_f1@5",
                                         "tail_macro_f1@1", "tail_macro_f1@3", "tail_macro_f1@5", NULL };
  static const char *const methods[] = { "svm", "dense", "fused" };
  JsonObject *m[3];
  JsonArray  *bins[3];

  for (int i = 0; i < 3; i++)
    {
      m[i] = json_object_has_member (c, methods[i]) ? json_object_get_object_member (c, methods[i]) : NULL;
      bins[i] = m[i] != NULL && json_object_has_member (m[i], "bins") ? json_object_get_array_member (m[i], "bins") : NULL;
    }
  g_print ("%-18s %10s %10s %10s\n", "", "SVM", _("dense"), _("fused"));
  for (int k = 0; metrics[k] != NULL; k++)
    {
      g_print ("%-18s", metrics[k]);
      for (int i = 0; i < 3; i++)
        if (m[i] != NULL && json_object_has_member (m[i], metrics[k]))
          g_print (" %10.4f", json_object_get_double_member (m[i], metrics[k]));
        else
          g_print (" %10s", "-");
      g_print ("\n");
    }
  if (bins[0] == NULL)
    return;
  g_print ("\n%-18s %10s %10s %10s   (F1@5 per bin of labels, rare to common)\n", _("train docs"), "SVM", _("dense"), _("fused"));
  for (guint b = 0; b < json_array_get_length (bins[0]); b++)
    {
      JsonObject      *bin = json_array_get_object_element (bins[0], b);
      g_autofree char *range = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                                json_object_get_int_member (bin, "min_train"),
                                                json_object_get_int_member (bin, "max_train"));
      g_print ("%-18s", range);
      for (int i = 0; i < 3; i++)
        if (bins[i] != NULL && b < json_array_get_length (bins[i]))
          g_print (" %10.4f", json_object_get_double_member (json_array_get_object_element (bins[i], b), "f1@5"));
      g_print ("\n");
    }
}

static int
verb_retrieve (AssayCliCommon *common, int argc, char **argv)
{
  gint64   run = 0;
  gboolean dense = FALSE;
  int      top_k = 10, keywords = 0;
  double   A = 0.55, B = 1.5;
  g_auto (AssayCliEmbed) e = { 0 };
  const GOptionEntry entries[] = {
    { "dense", 0, 0, G_OPTION_ARG_NONE, &dense, N_("Rank labels by embedding (DEPL), beside the SVM and fused with it"), NULL },
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("The SVM run whose keywords describe the labels"), N_("ID") },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, N_("Labels kept per document (default 10)"), N_("K") },
    { "keywords", 0, 0, G_OPTION_ARG_INT, &keywords, N_("Keywords per description (default: the run's)"), N_("K") },
    { "A", 0, 0, G_OPTION_ARG_DOUBLE, &A, N_("Propensity A (default 0.55)"), N_("A") },
    { "B", 0, 0, G_OPTION_ARG_DOUBLE, &B, N_("Propensity B (default 1.5)"), N_("B") },
    ASSAY_CLI_EMBED_ENTRIES (e),
    { "f16", 0, 0, G_OPTION_ARG_NONE, &e.f16, N_("Store float16 document vectors (half the space)"), NULL },
    { NULL }
  };
  AssayDeplOptions o = { 0 };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *node;
  int status = assay_cli_parse (common, "xmtc retrieve", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (!dense || run <= 0 || argc > 1 || common->workspace == NULL || top_k < 5 || top_k > 1000 || keywords < 0)
    return assay_cli_usage (_("xmtc retrieve needs --dense, a workspace (-w FILE), --run ID and --model DIR; --top-k 5 to 1000"));
  if (!(A > 0 && A < 100) || !(B > 0 && B < 100))
    return assay_cli_usage (_("--A and --B, the propensity model's constants, must be above 0 (and below 100)"));
  if ((status = assay_cli_embed_check (&e, "xmtc retrieve", 0, &o.set)) != ASSAY_CLI_OK)
    return status;
  o.run = run;
  o.top_k = (guint) top_k;
  o.keywords = (guint) keywords;
  o.propensity_a = A;
  o.propensity_b = B;
  job = assay_depl_job_new (&o);
  assay_depl_options_clear (&o);
  if ((status = assay_cli_finish_job (common, job, &node)) != ASSAY_CLI_OK)
    return status;
  if (!common->json)
    {
      JsonObject *r = json_node_get_object (node);
      g_print (_("SVM run %" G_GINT64_FORMAT ", dense run %" G_GINT64_FORMAT ", fused run %" G_GINT64_FORMAT
                 ": %" G_GINT64_FORMAT " test documents, %" G_GINT64_FORMAT " labels, %" G_GINT64_FORMAT " embedded now\n\n"),
               json_object_get_int_member (r, "svm_run"), json_object_get_int_member (r, "dense_run"),
               json_object_get_int_member (r, "fused_run"), json_object_get_int_member (r, "test_documents"),
               json_object_get_int_member (r, "labels"), json_object_get_int_member (r, "embedded"));
      print_comparison (r);
      json_node_unref (node);
      return ASSAY_CLI_OK;
    }
  return assay_cli_output (common, node);
}

static int
verb_eval (AssayCliCommon *common, int argc, char **argv)
{
  gint64 run = 0;
  double A = 0.55, B = 1.5;
  gboolean dense = FALSE;
  const GOptionEntry entries[] = {
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("Run to evaluate"), N_("ID") },
    { "dense", 0, 0, G_OPTION_ARG_NONE, &dense, N_("The SVM run beside its dense retrieval and their fusion (xmtc retrieve --dense)"), NULL },
    { "A", 0, 0, G_OPTION_ARG_DOUBLE, &A, N_("Propensity A (default 0.55)"), N_("A") },
    { "B", 0, 0, G_OPTION_ARG_DOUBLE, &B, N_("Propensity B (default 1.5)"), N_("B") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *metrics;
  JsonNode   *node;
  int         status;

  status = assay_cli_parse (common, "xmtc eval", NULL, entries, &argc, &argv);
  if (status != ASSAY_CLI_OK)
    return status;
  if (run <= 0)
    return assay_cli_usage (_("xmtc eval needs --run ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (dense)
    {
      JsonObject *c = assay_depl_comparison (store, run, &error);
      g_autofree char *area = NULL;
      gint64 svm_run = 0;
      if (c == NULL && error == NULL)
        {
          sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT area, json_extract (params, '$.svm_run') FROM runs WHERE id = ?", NULL);
          if (stmt != NULL)
            {
              sqlite3_bind_int64 (stmt, 1, run);
              if (sqlite3_step (stmt) == SQLITE_ROW)
                {
                  area = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
                  svm_run = sqlite3_column_int64 (stmt, 1);
                }
              sqlite3_reset (stmt);
            }
          if (area == NULL)
            g_set_error (&error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No run %" G_GINT64_FORMAT), run);
          else if (g_str_equal (area, "xmtc-dense"))
            g_set_error (&error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         _("Run %" G_GINT64_FORMAT " is a dense or fused ranking; its SVM run is %" G_GINT64_FORMAT),
                         run, svm_run);
          else
            g_set_error (&error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                         _("Run %" G_GINT64_FORMAT " has no dense retrieval yet (xmtc retrieve --dense --run %" G_GINT64_FORMAT ")"),
                         run, run);
        }
      if (c == NULL)
        return assay_cli_fail (g_steal_pointer (&error));
      if (common->json)
        {
          JsonNode *n = json_node_init_object (json_node_alloc (), c);
          json_object_unref (c);
          return assay_cli_output (common, n);
        }
      print_comparison (c);
      json_object_unref (c);
      return ASSAY_CLI_OK;
    }
  metrics = assay_xmtc_evaluate_run (store, run, A, B, &error);
  if (metrics == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  json_object_set_int_member (metrics, "run", run);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, metrics);
  if (!common->json)
    {
      JsonArray *bins = json_object_get_array_member (json_node_get_object (node), "bins");
      assay_cli_print_object_text (json_node_get_object (node));
      g_print ("\n%-14s %8s %8s %8s\n", _("train docs"), "F1@1", "F1@3", "F1@5");
      for (guint i = 0; i < json_array_get_length (bins); i++)
        {
          JsonObject      *bin = json_array_get_object_element (bins, i);
          g_autofree char *range = g_strdup_printf (
            "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, json_object_get_int_member (bin, "min_train"),
            json_object_get_int_member (bin, "max_train"));
          g_print ("%-14s %8.4f %8.4f %8.4f\n", range, json_object_get_double_member (bin, "f1@1"),
                   json_object_get_double_member (bin, "f1@3"),
                   json_object_get_double_member (bin, "f1@5"));
        }
      json_node_unref (node);
      return ASSAY_CLI_OK;
    }
  assay_cli_print_json (node);
  return ASSAY_CLI_OK;
}

static int
verb_keywords (AssayCliCommon *common, int argc, char **argv)
{
  gint64           run = 0;
  int              k = -1;
  g_autofree char *label = NULL;
  const GOptionEntry entries[] = {
    { "run", 0, 0, G_OPTION_ARG_INT64, &run, N_("Trained run"), N_("ID") },
    { "label", 0, 0, G_OPTION_ARG_STRING, &label, N_("Label name"), N_("NAME") },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, N_("How many keywords (default: the run's)"), N_("K") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayXmtcModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) keywords = NULL;
  g_autofree char *description = NULL;
  int label_idx, status;

  status = assay_cli_parse (common, "xmtc keywords", NULL, entries, &argc, &argv);
  if (status != ASSAY_CLI_OK)
    return status;
  if (run <= 0 || label == NULL)
    return assay_cli_usage (_("xmtc keywords needs --run ID and --label NAME"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if ((model = assay_xmtc_model_load (store, run, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  label_idx = assay_xmtc_model_find_label (model, label);
  if (label_idx < 0)
    return assay_cli_fail (g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                        _("no label “%s” in run %lld"), label, (long long) run));
  if (k < 0)
    k = (int) assay_xmtc_model_get_keywords_k (model);
  keywords = assay_xmtc_model_keywords (model, (guint) label_idx, (guint) k);
  description = assay_xmtc_model_pseudo_description (model, (guint) label_idx, (guint) k);
  if (common->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, label);
      json_builder_set_member_name (b, "trained");
      json_builder_add_boolean_value (b, assay_xmtc_model_is_trained (model, (guint) label_idx));
      json_builder_set_member_name (b, "keywords");
      json_builder_begin_array (b);
      for (guint i = 0; i < keywords->len; i++)
        {
          AssayKeyword *kw = &g_array_index (keywords, AssayKeyword, i);
          json_builder_begin_array (b);
          json_builder_add_string_value (b, kw->term);
          json_builder_add_double_value (b, kw->weight);
          json_builder_end_array (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "pseudo_description");
      json_builder_add_string_value (b, description);
      json_builder_end_object (b);
      assay_cli_print_json (json_builder_get_root (b));
    }
  else
    {
      for (guint i = 0; i < keywords->len; i++)
        {
          AssayKeyword *kw = &g_array_index (keywords, AssayKeyword, i);
          g_print ("%-24s %.4f\n", kw->term, kw->weight);
        }
      g_print ("\n%s\n", description);
    }
  return ASSAY_CLI_OK;
}

static int
verb_list (AssayCliCommon *common, int argc, char **argv)
{
  static const char *const dataset_keys[] = { "dataset", "name", "documents", "labels", NULL };
  static const char *const run_keys[] = { "run", "dataset", "kind", "status", "seconds", "p@1", NULL };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  int status = assay_cli_parse (common, "xmtc list", NULL, NULL, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_begin_object (b);
  if (!assay_cli_add_rows (common, store, b, "datasets",
                           "SELECT d.id, d.name, (SELECT count(*) FROM xmtc_documents x WHERE "
                           "x.dataset_id = d.id), (SELECT count(*) FROM xmtc_labels l WHERE "
                           "l.dataset_id = d.id) FROM datasets d WHERE d.area = 'xmtc' AND d.importing IS NULL ORDER BY d.id",
                           dataset_keys, &error)
      || !assay_cli_add_rows (common, store, b, "runs",
                              "SELECT id, dataset_id, CASE area WHEN 'xmtc' THEN 'svm' ELSE kind END, status, "
                              "seconds, json_extract (metrics, '$.\"p@1\"') "
                              "FROM runs WHERE area IN ('xmtc', 'xmtc-dense') ORDER BY id",
                              run_keys, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_end_object (b);
  if (common->json)
    assay_cli_print_json (json_builder_get_root (b));
  return ASSAY_CLI_OK;
}

static int
verb_errors (AssayCliCommon *common, int argc, char **argv)
{
  AssayXmtcErrorOptions options;
  gint64             dataset = 0;
  int                min_docs = G_MININT;
  g_auto (AssayCliLabelErrors) e = ASSAY_CLI_LABEL_ERRORS_INIT;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset to check"), N_("ID") },
    ASSAY_CLI_LABEL_ERRORS_ENTRIES (e),
    { "min-documents", 0, 0, G_OPTION_ARG_INT, &min_docs, N_("Multi-label: check labels given to at least N documents (default 1)"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status = assay_cli_parse (common, "xmtc errors", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("xmtc errors needs --dataset ID"));
  if ((status = assay_cli_label_errors_check (&e, common->threads, &options)) != ASSAY_CLI_OK)
    return status;
  if (min_docs != G_MININT && min_docs < 1)
    return assay_cli_usage (_("--min-documents must be at least 1"));
  if (min_docs != G_MININT)
    options.min_documents = (guint) min_docs;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if ((status = assay_cli_label_errors_resolve (&e, store, dataset, &options)) != ASSAY_CLI_OK)
    return status;
  job = assay_xmtc_errors_job_new (dataset, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_label_errors_output (common, &e, result);
}

static const AssayCliVerb verbs[] = {
  { "import", verb_import, N_("Import a labelled corpus (xc, reuters, jsonl, csv)") },
  { "train", verb_train, N_("Train the one-vs-rest SVM and keyword profiles") },
  { "eval", verb_eval, N_("P@k, nDCG@k, PSP@k and macro-F1@k of a run (--dense: beside dense retrieval)") },
  { "retrieve", verb_retrieve, N_("Labels by embedding of documents and pseudo descriptions (--dense, DEPL), fused with the SVM") },
  { "errors", verb_errors, N_("Likely label errors by confident learning (out-of-fold SVM probabilities)") },
  { "keywords", verb_keywords, N_("A label's keywords and pseudo description") },
  { "list", verb_list, N_("Datasets and runs (SVM, dense retrieval and their fusion)") },
  { NULL }
};

int
assay_cli_xmtc (int argc, char **argv)
{
  return assay_cli_dispatch ("xmtc", verbs, argc, argv);
}
