/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-cli-common.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-json.h"

void
assay_cli_common_clear (AssayCliCommon *common)
{
  g_clear_pointer (&common->workspace, g_free);
  g_clear_pointer (&common->backend, g_free);
  g_clear_pointer (&common->session, g_free);
}

int
assay_cli_usage (const char *format, ...)
{
  va_list          args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("assay-cli: %s\n", message);
  return ASSAY_CLI_USAGE;
}

int
assay_cli_fail (GError *error)
{
  g_autofree char *line = g_strdup (error != NULL ? error->message : _("failed"));

  /* One line on stderr */
  g_strdelimit (line, "\n", ' ');
  g_printerr ("assay-cli: %s\n", line);
  g_clear_error (&error);
  return ASSAY_CLI_FAILED;
}

int
assay_cli_parse (AssayCliCommon *common, const char *command, const char *parameter,
                 const GOptionEntry *entries, int *argc, char ***argv)
{
  const GOptionEntry common_entries[] = {
    { "workspace", 'w', 0, G_OPTION_ARG_FILENAME, &common->workspace,
      N_("Workspace file (created when missing)"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &common->json, N_("Print one JSON object on stdout"),
      NULL },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &common->backend,
      N_("Compute backend: auto, cpu or cuda"), N_("BACKEND") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &common->threads, N_("CPU threads (0: all cores)"),
      N_("N") },
    { "session", 0, 0, G_OPTION_ARG_STRING, &common->session,
      N_("Whose decisions undo and redo take back (default: cli; the app has its own)"),
      N_("NAME") },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (parameter);
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = g_strdup_printf ("assay-cli %s", command);
  AssayBackendPreference preference;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, common_entries, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    return assay_cli_usage ("%s", error->message);
  if (common->backend != NULL && !assay_worker_parse_preference (common->backend, &preference))
    return assay_cli_usage (_("unknown backend “%s”: use auto, cpu or cuda"), common->backend);
  if (common->threads < 0 || common->threads > ASSAY_BACKEND_MAX_THREADS)
    return assay_cli_usage (_("--threads must be between 0 (all cores) and %d"), ASSAY_BACKEND_MAX_THREADS);
  return ASSAY_CLI_OK;
}

int
assay_cli_dispatch (const char *area, const AssayCliVerb *verbs, int argc, char **argv)
{
  AssayCliCommon common = { 0 };
  int            status;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      GString *text = g_string_new (NULL);
      g_string_append_printf (text, "Usage: assay-cli %s VERB [options]\n\nVerbs:\n", area);
      for (guint i = 0; verbs[i].name != NULL; i++)
        g_string_append_printf (text, "  %-10s %s\n", verbs[i].name, _(verbs[i].summary));
      if (argc < 2)
        {
          g_printerr ("%s", text->str);
          g_string_free (text, TRUE);
          return ASSAY_CLI_USAGE;
        }
      g_print ("%s", text->str);
      g_string_free (text, TRUE);
      return ASSAY_CLI_OK;
    }
  for (guint i = 0; verbs[i].name != NULL; i++)
    if (g_str_equal (verbs[i].name, argv[1]))
      {
        status = verbs[i].func (&common, argc - 1, argv + 1);
        assay_cli_common_clear (&common);
        return status;
      }
  return assay_cli_usage (_("unknown verb “%s %s” (try “assay-cli %s --help”)"), area, argv[1],
                          area);
}

AssayStore *
assay_cli_open_workspace (AssayCliCommon *common, GError **error)
{
  g_autofree char *dir = NULL;
  AssayStore      *store;

  if (common->workspace == NULL)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                           _("no workspace given (use -w FILE)"));
      return NULL;
    }
  dir = g_path_get_dirname (common->workspace);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("could not create folder “%s”"), dir);
      return NULL;
    }
  store = assay_store_open (common->workspace, error);
  if (store != NULL)
    assay_store_set_session (store, common->session != NULL ? common->session : "cli");
  return store;
}

int
assay_cli_shard_check (AssayCliShard *shard)
{
  g_autoptr (GError) error = NULL;

  shard->parsed.n = 0;
  if (shard->shard == NULL && shard->shard_out == NULL)
    return ASSAY_CLI_OK;
  if (shard->shard == NULL || shard->shard_out == NULL || *shard->shard_out == '\0')
    return assay_cli_usage (_("--shard K/N and --shard-out FILE go together"));
  if (!assay_shard_parse (shard->shard, &shard->parsed, &error))
    return assay_cli_usage ("%s", error->message);
  return ASSAY_CLI_OK;
}

void
assay_cli_shard_clear (AssayCliShard *shard)
{
  g_clear_pointer (&shard->shard, g_free);
  g_clear_pointer (&shard->shard_out, g_free);
}

AssayStore *
assay_cli_open_input (AssayCliCommon *common, const AssayCliShard *shard, GError **error)
{
  if (shard == NULL || shard->parsed.n == 0)
    return assay_cli_open_workspace (common, error);
  if (common->workspace == NULL)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("no workspace given (use -w FILE)"));
      return NULL;
    }
  return assay_store_open_reader (common->workspace, error);
}

AssayWorker *
assay_cli_worker (AssayCliCommon *common)
{
  AssayBackendPreference preference = ASSAY_BACKEND_PREFERENCE_AUTO;
  AssayWorker           *worker;

  if (common->backend != NULL)
    assay_worker_parse_preference (common->backend, &preference);
  worker = assay_worker_new (preference, common->threads);
  if (common->workspace != NULL)
    assay_worker_set_workspace (worker, common->workspace);
  return worker;
}

static void
progress_cb (AssayJob *job, GParamSpec *pspec, gpointer data)
{
  g_autofree char *message = assay_job_dup_message (job);

  fprintf (stderr, "\r\033[K%s: %3.0f%% %s", assay_job_get_title (job),
           100.0 * assay_job_get_fraction (job), message != NULL ? message : "");
  fflush (stderr);
}

/* Ctrl+C or SIGTERM: the job is cancelled and stops at its next check, leaving nothing half
 * written (its output's temporary file removed, its transaction rolled back); a second signal
 * ends the process at once. */
static gboolean
interrupted_cb (gpointer data)
{
  AssayJob *job = data;

  if (g_cancellable_is_cancelled (assay_job_get_cancellable (job)))
    _exit (130);
  fprintf (stderr, "%s%s\n", isatty (STDERR_FILENO) ? "\r\033[K" : "", _("Cancelling… (again to stop at once)"));
  assay_job_cancel (job);
  return G_SOURCE_CONTINUE;
}

gboolean
assay_cli_run_job (AssayWorker *worker, AssayJob *job, GError **error)
{
  gboolean tty = isatty (STDERR_FILENO);
  gulong   handler = 0;
  guint    sigint, sigterm;
  gboolean ok;

  if (tty)
    handler = g_signal_connect (job, "notify::fraction", G_CALLBACK (progress_cb), NULL);
  sigint = g_unix_signal_add (SIGINT, interrupted_cb, job);
  sigterm = g_unix_signal_add (SIGTERM, interrupted_cb, job);
  ok = assay_worker_run_sync (worker, job, error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (tty)
    {
      g_signal_handler_disconnect (job, handler);
      fprintf (stderr, "\r\033[K");
    }
  return ok;
}

void
assay_cli_print_json (JsonNode *node)
{
  g_autofree char *text = assay_json_node_to_string (node, FALSE);

  g_print ("%s\n", text);
  json_node_unref (node);
}

void
assay_cli_print_json_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  assay_cli_print_json (node);
}

int
assay_cli_finish_job (AssayCliCommon *common, AssayJob *job, JsonNode **result)
{
  g_autoptr (AssayWorker) worker = assay_cli_worker (common);
  g_autoptr (GError) error = NULL;

  if (!assay_cli_run_job (worker, job, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  *result = json_node_ref (assay_job_get_result (job));
  return ASSAY_CLI_OK;
}

void
assay_cli_print_object_text (JsonObject *o)
{
  g_autoptr (GList) members = json_object_get_members (o);

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *node = json_object_get_member (o, l->data);
      if (!JSON_NODE_HOLDS_VALUE (node))
        continue;
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        g_print ("%-22s %.4f\n", (const char *) l->data, json_node_get_double (node));
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        g_print ("%-22s %" G_GINT64_FORMAT "\n", (const char *) l->data, json_node_get_int (node));
      else if (json_node_get_value_type (node) == G_TYPE_STRING)
        g_print ("%-22s %s\n", (const char *) l->data, json_node_get_string (node));
    }
}

int
assay_cli_output (AssayCliCommon *common, JsonNode *node)
{
  if (common->json)
    assay_cli_print_json (node);
  else
    {
      assay_cli_print_object_text (json_node_get_object (node));
      json_node_unref (node);
    }
  return ASSAY_CLI_OK;
}

gboolean
assay_cli_add_rows (AssayCliCommon *common, AssayStore *store, JsonBuilder *b, const char *member,
                    const char *sql, const char *const *keys, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (GString) line = g_string_new (NULL);
      json_builder_begin_object (b);
      for (int i = 0; keys[i] != NULL; i++)
        {
          json_builder_set_member_name (b, keys[i]);
          g_string_append_printf (line, "%s%s ", i > 0 ? "  " : "", keys[i]);
          switch (sqlite3_column_type (stmt, i))
            {
            case SQLITE_INTEGER:
              json_builder_add_int_value (b, sqlite3_column_int64 (stmt, i));
              g_string_append_printf (line, "%lld", (long long) sqlite3_column_int64 (stmt, i));
              break;
            case SQLITE_FLOAT:
              json_builder_add_double_value (b, sqlite3_column_double (stmt, i));
              g_string_append_printf (line, "%.4f", sqlite3_column_double (stmt, i));
              break;
            case SQLITE_NULL:
              json_builder_add_null_value (b);
              g_string_append (line, "—");
              break;
            default:
              json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, i));
              g_string_append (line, (const char *) sqlite3_column_text (stmt, i));
            }
        }
      json_builder_end_object (b);
      if (!common->json)
        g_print ("%s\n", line->str);
    }
  sqlite3_reset (stmt);
  json_builder_end_array (b);
  return TRUE;
}

int
assay_cli_embed_check (AssayCliEmbed *e, const char *verb, gint64 dataset, AssayEmbedSetOptions *out)
{
  AssayPooling pooling;

  if (e->model == NULL)
    return assay_cli_usage (_("%s needs --model DIR (an encoder)"), verb);
  if (e->pooling != NULL && !assay_pooling_parse (e->pooling, &pooling))
    return assay_cli_usage (_("--pooling is cls, mean or last"));
  if (e->normalize && e->no_normalize)
    return assay_cli_usage (_("--normalize and --no-normalize exclude each other"));
  if (e->max_tokens < 0 || e->max_tokens == 1 || e->max_tokens > 1 << 20)
    return assay_cli_usage (_("--max-tokens must be 2 to 1048576"));
  if (e->field != NULL && !g_str_equal (e->field, "text") && !g_str_equal (e->field, "prompt")
      && !g_str_equal (e->field, "test"))
    return assay_cli_usage (_("--field is text or prompt (generations), text or test (labelled documents)"));
  if (out != NULL)
    {
      memset (out, 0, sizeof *out);
      out->model = g_steal_pointer (&e->model);
      out->field = g_steal_pointer (&e->field);
      out->prefix = g_steal_pointer (&e->prefix);
      out->pooling = g_steal_pointer (&e->pooling);
      out->normalize = e->normalize ? 1 : e->no_normalize ? 0 : -1;
      out->max_tokens = e->max_tokens;
      out->f16 = e->f16;
      out->dataset = dataset;
    }
  return ASSAY_CLI_OK;
}

void
assay_cli_embed_clear (AssayCliEmbed *e)
{
  g_clear_pointer (&e->model, g_free);
  g_clear_pointer (&e->field, g_free);
  g_clear_pointer (&e->prefix, g_free);
  g_clear_pointer (&e->pooling, g_free);
}

int
assay_cli_sampling_check (const AssayCliSampling *s)
{
  g_autoptr (GError) error = NULL;

  if (s->max_tokens < 1 || s->max_tokens > 1000000)
    return assay_cli_usage (_("--max-tokens must be 1 to 1000000"));
  if (s->max_batch < 1)
    return assay_cli_usage (_("--max-batch must be at least 1"));
  if (s->seed < 0)
    return assay_cli_usage (_("--seed must not be negative"));
  if (!assay_sampling_check (&s->sampling, &error))
    return assay_cli_usage ("%s", error->message);
  return ASSAY_CLI_OK;
}

int
assay_cli_label_errors_check (const AssayCliLabelErrors *e, int threads, AssayXmtcErrorOptions *out)
{
  assay_xmtc_error_options_init (out);
  if (e->folds != G_MININT && (e->folds < 2 || e->folds > 100))
    return assay_cli_usage (_("--folds must be between 2 and 100"));
  if (e->folds != G_MININT)
    out->folds = (guint) e->folds;
  if (e->top != G_MININT && e->top < 0)
    return assay_cli_usage (_("--top must not be negative"));
  if (e->filter != NULL && !assay_cl_parse_filter (e->filter, &out->filter))
    return assay_cli_usage (_("unknown filter “%s”: use prune-by-noise-rate or confident-joint"), e->filter);
  if (e->rank != NULL && !assay_cl_parse_rank (e->rank, &out->rank))
    return assay_cli_usage (_("unknown ranking “%s”: use self-confidence or normalized-margin"), e->rank);
  if (e->C > 0 && isfinite (e->C))
    out->svm.C = e->C;
  else if (e->C != -G_MAXDOUBLE)
    return assay_cli_usage (_("--C must be positive and finite"));
  out->seed = (guint64) e->seed;
  out->threads = threads;
  out->baseline = e->baseline;
  out->include_dismissed = e->include_dismissed;
  if (e->neighbours != G_MININT && (e->neighbours < 0 || e->neighbours > 50))
    return assay_cli_usage (_("--neighbours must be between 0 and 50"));
  if (e->neighbours != G_MININT)
    out->neighbours = (guint) e->neighbours;
  if (e->embeddings != NULL && !g_str_equal (e->embeddings, "latest"))
    {
      char *end = NULL;
      gint64 set = g_ascii_strtoll (e->embeddings, &end, 10);
      if (end == e->embeddings || *end != '\0' || set <= 0)
        return assay_cli_usage (_("--embeddings takes an embedding set's id or “latest”, not “%s”"), e->embeddings);
      out->embedding_set = set;
    }
  out->model = e->embeddings != NULL ? ASSAY_ERROR_MODEL_MEAN : ASSAY_ERROR_MODEL_SVM;
  if (e->probabilities != NULL && !assay_error_model_parse (e->probabilities, &out->model))
    return assay_cli_usage (_("unknown --probabilities “%s”: use svm, embeddings or mean"), e->probabilities);
  if (out->model != ASSAY_ERROR_MODEL_SVM && e->embeddings == NULL)
    return assay_cli_usage (_("--probabilities %s needs --embeddings SET"), e->probabilities);
  return ASSAY_CLI_OK;
}

int
assay_cli_label_errors_resolve (const AssayCliLabelErrors *e, AssayStore *store, gint64 dataset,
                                AssayXmtcErrorOptions *out)
{
  g_autoptr (GError) error = NULL;

  if (e->embeddings == NULL || !g_str_equal (e->embeddings, "latest"))
    return ASSAY_CLI_OK;
  if ((out->embedding_set = assay_embeddings_latest_set (store, dataset, "text", &error)) < 0)
    return assay_cli_fail (g_steal_pointer (&error));
  if (out->embedding_set == 0)
    {
      g_set_error (&error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   _("dataset %lld has no embedding set of its texts: embed it first (assay-cli embed -w WS "
                     "--dataset %lld --model DIR)"), (long long) dataset, (long long) dataset);
      return assay_cli_fail (g_steal_pointer (&error));
    }
  return ASSAY_CLI_OK;
}

void
assay_cli_label_errors_clear (AssayCliLabelErrors *e)
{
  g_clear_pointer (&e->filter, g_free);
  g_clear_pointer (&e->rank, g_free);
  g_clear_pointer (&e->embeddings, g_free);
  g_clear_pointer (&e->probabilities, g_free);
}

int
assay_cli_label_errors_output (AssayCliCommon *common, const AssayCliLabelErrors *e, JsonNode *result)
{
  JsonArray *errors = json_object_get_array_member (json_node_get_object (result), "errors");

  if (e->top != G_MININT)
    while (json_array_get_length (errors) > (guint) e->top)
      json_array_remove_element (errors, json_array_get_length (errors) - 1);
  if (common->json)
    return assay_cli_output (common, result);
  if (assay_json_get_int (json_node_get_object (result), "found", 0) == 0)
    g_print (_("No likely label errors found\n"));
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonObject *o = json_array_get_object_element (errors, i);
      const char *suggested = json_object_has_member (o, "suggested") ? json_object_get_string_member (o, "suggested") : NULL;
      g_autofree char *who = json_object_has_member (o, "document")
                               ? g_strdup (json_object_get_string_member (o, "document"))
                               : g_strdup_printf ("#%lld", (long long) json_object_get_int_member (o, "record"));
      gboolean given = !json_object_has_member (o, "given") || json_object_get_boolean_member (o, "given");
      g_print ("%-12s %s %-20s score %.4f%s%s\n", who, given ? _("given  ") : _("missing"),
               json_object_get_string_member (o, "label"), json_object_get_double_member (o, "score"),
               suggested != NULL ? _("  suggested: ") : "", suggested != NULL ? suggested : "");
    }
  json_node_unref (result);
  return ASSAY_CLI_OK;
}
