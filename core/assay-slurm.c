/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-slurm.c: see assay-slurm.h. sbatch, squeue and sacct are run as programs; their JSON
 * (Slurm 22.05's openapi v0.0.38 layout, and the later one where fields became objects) is read
 * for the few fields used. */
#include "config.h"

#include "assay-slurm.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-merge.h"
#include "assay-shard.h"

static char *
shard_path (const char *folder, guint k)
{
  g_autofree char *name = g_strdup_printf ("shard-%u.assay", k);
  return g_build_filename (folder, name, NULL);
}

static void
append_quoted (GString *s, const char *arg)
{
  g_autofree char *q = g_shell_quote (arg);
  g_string_append_c (s, ' ');
  g_string_append (s, q);
}

/* A value sbatch reads from a #SBATCH line as it is: no white space, quotes, comment or escape
 * (sbatch splits those lines at white space and strips quotes); others go on its command line. */
static gboolean
directive_safe (const char *value)
{
  for (const char *p = value; *p; p++)
    if (g_ascii_isspace (*p) || *p == '"' || *p == '\'' || *p == '#' || *p == '\\' || (guchar) *p < 0x20)
      return FALSE;
  return TRUE;
}

gboolean
assay_slurm_check_value (const char *value)
{
  if (value == NULL || *value == '\0')
    return FALSE;
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_.,:+-", *p) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
assay_slurm_check_path (const char *path)
{
  for (const char *p = path; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static void
append_header (GString *s, const AssaySlurmSubmit *o, const char *folder, const char *name,
               const char *log)
{
  g_autofree char *logs = g_build_filename (folder, log, NULL);
  g_autofree char *job_name = g_strdup_printf ("assay-%s", name);

  g_string_append (s, "#!/bin/bash\n");
  g_string_append_printf (s, "#SBATCH --job-name=%s\n", job_name);
  if (directive_safe (logs))
    g_string_append_printf (s, "#SBATCH --output=%s\n", logs);
  else
    g_string_append (s, "# (the log file, --output, is given on sbatch's command line)\n");
  if (o->partition != NULL)
    g_string_append_printf (s, "#SBATCH --partition=%s\n", o->partition);
  if (o->time != NULL)
    g_string_append_printf (s, "#SBATCH --time=%s\n", o->time);
}

/* The verb's words joined by sep ("traces credit", or "embed" alone). */
static char *
verb_words (const AssaySlurmSubmit *o, const char *sep)
{
  if (assay_merge_verb_words (o->verb) == 1 || o->verb[0] == NULL || o->verb[1] == NULL)
    return g_strdup (o->verb[0] != NULL ? o->verb[0] : "");
  return g_strdup_printf ("%s%s%s", o->verb[0], sep, o->verb[1]);
}

static char *
verb_name (const AssaySlurmSubmit *o)
{
  return verb_words (o, "-");
}

char *
assay_slurm_array_script (const AssaySlurmSubmit *o, const char *folder)
{
  GString         *s = g_string_new (NULL);
  g_autofree char *name = verb_name (o);
  g_autofree char *quoted_folder = g_shell_quote (folder);

  append_header (s, o, folder, name, "task-%a.log");
  g_string_append_printf (s, "#SBATCH --array=0-%u\n", o->n - 1);
  g_string_append (s, "#SBATCH --ntasks=1\n");
  if (o->cpus_per_task > 0)
    g_string_append_printf (s, "#SBATCH --cpus-per-task=%d\n", o->cpus_per_task);
  if (o->gpus_per_task > 0)
    g_string_append_printf (s, "#SBATCH --gpus-per-task=%d\n", o->gpus_per_task);
  g_string_append (s, "# One shard of the run per task; a shard file appears only when its task has "
                      "finished.\nset -euo pipefail\n");
  g_string_append_printf (s, "cd %s\n", quoted_folder);
  g_string_append (s, "srun");
  append_quoted (s, o->cli);
  for (guint i = 0; o->verb[i] != NULL; i++)
    append_quoted (s, o->verb[i]);
  append_quoted (s, "-w");
  append_quoted (s, o->workspace);
  if (o->cpus_per_task > 0)
    g_string_append_printf (s, " --threads %d", o->cpus_per_task);
  g_string_append_printf (s, " --shard \"${SLURM_ARRAY_TASK_ID}/%u\"", o->n);
  /* the one argument that must expand: the task's own file */
  {
    g_autofree char *q = g_shell_quote (folder);
    g_string_append_printf (s, " --shard-out %s/\"shard-${SLURM_ARRAY_TASK_ID}.assay\"", q);
  }
  g_string_append (s, " --json\n");
  return g_string_free (s, FALSE);
}

char *
assay_slurm_merge_script (const AssaySlurmSubmit *o, const char *folder)
{
  GString         *s = g_string_new (NULL);
  g_autofree char *name = verb_name (o);
  g_autofree char *merge_name = g_strconcat (name, "-merge", NULL);

  append_header (s, o, folder, merge_name, "merge.log");
  g_string_append (s, "#SBATCH --ntasks=1\n");
  g_string_append (s, "# Runs when every task of the array has succeeded (--dependency=afterok).\n"
                      "set -euo pipefail\n");
  g_string_append (s, "exec");
  append_quoted (s, o->cli);
  append_quoted (s, "merge");
  if (o->output != NULL)
    {
      append_quoted (s, "--output");
      append_quoted (s, o->output);
    }
  else
    {
      append_quoted (s, "-w");
      append_quoted (s, o->workspace);
    }
  g_string_append (s, " --json");
  /* the folder: merge takes its shard files (one argument, whatever the number of tasks) */
  append_quoted (s, folder);
  g_string_append_c (s, '\n');
  return g_string_free (s, FALSE);
}

static char *
bytes_text (GBytes *bytes)
{
  gsize       size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  return data != NULL ? g_strndup (data, size) : g_strdup ("");
}

/* Runs argv, returning its stdout; an error with its stderr's first line when it fails. */
static char *
run_program (const char *const *argv, char **err_out, GError **error)
{
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GBytes) out = NULL, err = NULL;
  g_autofree char *err_text = NULL;

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (p == NULL)
    return NULL;
  if (!g_subprocess_communicate (p, NULL, NULL, &out, &err, error))
    return NULL;
  err_text = bytes_text (err);
  g_strstrip (err_text);
  if (!g_subprocess_get_if_exited (p) || g_subprocess_get_exit_status (p) != 0)
    {
      const char *name = g_str_equal (argv[0], "timeout") ? argv[2] : argv[0];
      char       *nl = strchr (err_text, '\n');
      if (nl != NULL)
        *nl = '\0';
      if (g_str_equal (argv[0], "timeout") && g_subprocess_get_if_exited (p)
          && g_subprocess_get_exit_status (p) == 124)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("%s did not answer within %s s"), name, argv[1]);
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("%s failed: %s"), name,
                     err_text[0] != '\0' ? err_text : _("no message"));
      if (err_out != NULL)
        *err_out = g_steal_pointer (&err_text);
      return NULL;
    }
  return bytes_text (out);
}

static char *
sbatch (const char *const *argv, GError **error)
{
  g_autofree char *out = run_program (argv, NULL, error);
  char            *semi;

  if (out == NULL)
    return NULL;
  g_strstrip (out);
  if ((semi = strchr (out, ';')) != NULL) /* "id;cluster" */
    *semi = '\0';
  if (out[0] == '\0' || strspn (out, "0123456789") != strlen (out))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("sbatch answered “%s”, not a job id"), out);
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
write_script (const char *path, const char *text, GError **error)
{
  if (!g_file_set_contents (path, text, -1, error))
    return FALSE;
  g_chmod (path, 0755);
  return TRUE;
}

gboolean
assay_slurm_submit (AssayStore *store, const AssaySlurmSubmit *o, gboolean dry_run,
                    JsonObject **result, GError **error)
{
  g_autofree char *folder = NULL, *array = NULL, *merge = NULL, *array_path = NULL;
  g_autofree char *merge_path = NULL, *array_job = NULL, *merge_job = NULL, *command = NULL;
  g_autofree char *name = verb_name (o);
  JsonObject      *r;
  gint64           id = 0;

  if (o->n < 1 || o->verb == NULL || assay_merge_verb_words (o->verb) == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("A cluster job needs a verb (e.g. traces credit ...) and at least one task"));
      return FALSE;
    }
  if (o->folder != NULL)
    folder = g_canonicalize_filename (o->folder, NULL);
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
      g_autofree char *parent = g_strconcat (o->workspace, "-cluster", NULL);
      g_autofree char *leaf = g_strdup_printf ("%s-%s", name, stamp);
      folder = g_build_filename (parent, leaf, NULL);
    }
  array = assay_slurm_array_script (o, folder);
  merge = assay_slurm_merge_script (o, folder);
  array_path = g_build_filename (folder, "array.sbatch", NULL);
  merge_path = g_build_filename (folder, "merge.sbatch", NULL);
  command = g_strjoinv (" ", (char **) o->verb);

  if (!dry_run)
    {
      g_autofree char *array_log = g_build_filename (folder, "task-%a.log", NULL);
      g_autofree char *array_out = g_strconcat ("--output=", array_log, NULL);
      const char *array_argv[] = { "sbatch", "--parsable", array_out, array_path, NULL };
      sqlite3_stmt *stmt;

      if (g_file_test (folder, G_FILE_TEST_EXISTS) && o->folder == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("“%s” exists already"), folder);
          return FALSE;
        }
      if (g_mkdir_with_parents (folder, 0755) != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("Could not create folder “%s”"), folder);
          return FALSE;
        }
      if (!write_script (array_path, array, error) || !write_script (merge_path, merge, error))
        return FALSE;
      if ((array_job = sbatch (array_argv, error)) == NULL)
        return FALSE;
      if (o->merge_job)
        {
          g_autofree char *dependency = g_strdup_printf ("--dependency=afterok:%s", array_job);
          g_autofree char *merge_log = g_build_filename (folder, "merge.log", NULL);
          g_autofree char *merge_out = g_strconcat ("--output=", merge_log, NULL);
          const char *merge_argv[] = { "sbatch", "--parsable", dependency, merge_out, merge_path, NULL };
          if ((merge_job = sbatch (merge_argv, error)) == NULL)
            return FALSE;
        }
      if ((stmt = assay_store_prepare (store,
                                       "INSERT INTO cluster_jobs (array_job, merge_job, verb, n, folder, "
                                       "command) VALUES (?, ?, ?, ?, ?, ?)",
                                       error)) == NULL)
        return FALSE;
      {
        g_autofree char *verb = verb_words (o, " ");
        sqlite3_bind_text (stmt, 1, array_job, -1, SQLITE_TRANSIENT);
        if (merge_job != NULL)
          sqlite3_bind_text (stmt, 2, merge_job, -1, SQLITE_TRANSIENT);
        else
          sqlite3_bind_null (stmt, 2);
        sqlite3_bind_text (stmt, 3, verb, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (stmt, 4, o->n);
        sqlite3_bind_text (stmt, 5, folder, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 6, command, -1, SQLITE_TRANSIENT);
        if (!assay_store_step_done (store, stmt, error))
          return FALSE;
      }
      id = sqlite3_last_insert_rowid (assay_store_get_db (store));
    }

  r = json_object_new ();
  json_object_set_string_member (r, "folder", folder);
  json_object_set_string_member (r, "array_script", array_path);
  json_object_set_string_member (r, "merge_script", merge_path);
  json_object_set_int_member (r, "n", o->n);
  if (dry_run)
    {
      json_object_set_string_member (r, "array", array);
      json_object_set_string_member (r, "merge", merge);
    }
  else
    {
      json_object_set_int_member (r, "id", id);
      json_object_set_string_member (r, "array_job", array_job);
      if (merge_job != NULL)
        json_object_set_string_member (r, "merge_job", merge_job);
    }
  *result = r;
  return TRUE;
}

/* ---- status -------------------------------------------------------------------------------- */

/* A field that 22.05 writes as a value and later versions as {"set", "number"} or [..]. */
static gint64
job_int (JsonObject *job, const char *member, gint64 fallback)
{
  JsonNode *node = json_object_get_member (job, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return fallback;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      if (!assay_json_get_bool (o, "set", TRUE))
        return fallback;
      return assay_json_get_int (o, "number", fallback);
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  return fallback;
}

static const char *
job_state (JsonObject *job)
{
  JsonNode *node = json_object_get_member (job, "job_state");

  if (node == NULL)
    {
      JsonObject *state = json_object_get_member (job, "state") != NULL
                            && JSON_NODE_HOLDS_OBJECT (json_object_get_member (job, "state"))
                            ? json_object_get_object_member (job, "state") : NULL;
      node = state != NULL ? json_object_get_member (state, "current") : NULL;
    }
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) > 0)
    node = json_array_get_element (json_node_get_array (node), 0);
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return "UNKNOWN";
}

/* How many tasks "0-3,5,7-9%2" names. */
static guint
count_tasks (const char *text)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *copy = g_strdup (text != NULL ? text : "");
  char            *pct = strchr (copy, '%');
  guint            n = 0;

  if (pct != NULL)
    *pct = '\0';
  parts = g_strsplit (copy, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 a, b;
      char   *end;
      if (parts[i][0] == '\0')
        continue;
      a = g_ascii_strtoull (parts[i], &end, 10);
      b = *end == '-' ? g_ascii_strtoull (end + 1, NULL, 10) : a;
      n += b >= a ? (guint) (b - a + 1) : 0;
    }
  return n;
}

static JsonArray *
slurm_jobs (const char *program, const char *ids, char **why)
{
  g_autofree char *jobs_arg = g_strdup_printf ("--jobs=%s", ids);
  g_autofree char *timeout = g_find_program_in_path ("timeout");
  /* a controller that does not answer makes the Slurm commands retry for a minute: give up
   * sooner (the state then comes from the shard files) */
  const char      *with_timeout[] = { "timeout", "20", program, "--json", jobs_arg, NULL };
  const char      *plain[] = { program, "--json", jobs_arg, NULL };
  const char *const *argv = timeout != NULL ? with_timeout : plain;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = run_program (argv, NULL, &error);
  g_autoptr (JsonObject) root = NULL;
  JsonNode *jobs;

  if (out == NULL)
    {
      *why = g_strdup (error->message);
      return NULL;
    }
  if ((root = assay_json_object_from_string (out, &error)) == NULL)
    {
      *why = g_strdup_printf (_("%s --json: %s"), program, error->message);
      return NULL;
    }
  jobs = json_object_get_member (root, "jobs");
  if (jobs == NULL || !JSON_NODE_HOLDS_ARRAY (jobs))
    {
      *why = g_strdup_printf (_("%s --json gave no job list"), program);
      return NULL;
    }
  return json_array_ref (json_node_get_array (jobs));
}

static void
count_state (JsonObject *tasks, const char *state, guint n)
{
  json_object_set_int_member (tasks, state, assay_json_get_int (tasks, state, 0) + n);
}

static gboolean
is_failure (const char *state)
{
  static const char *failed[] = { "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                                  "BOOT_FAIL", "DEADLINE", "PREEMPTED" };
  for (guint i = 0; i < G_N_ELEMENTS (failed); i++)
    if (g_str_has_prefix (state, failed[i]))
      return TRUE;
  return FALSE;
}

/* The shards of a job written so far (finished files only); with merge, those not merged yet
 * are merged (partially: the rest follow as they appear). Sets "shards_written", and
 * "merged_now" or "merge_error". */
static void
look_at_shards (AssayStore *store, JsonObject *row, gboolean merge)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *folder = json_object_get_string_member (row, "folder");
  gint64      count = json_object_get_int_member (row, "n");
  guint       n;

  if (count < 1 || count > 100000 || folder == NULL)
    {
      /* a row no submit writes: say so rather than look for shards */
      json_object_set_int_member (row, "shards_written", 0);
      json_object_set_string_member (row, "merge_error", "the job's row is damaged (tasks out of 1 to 100000, or no folder)");
      return;
    }
  n = (guint) count;

  for (guint k = 0; k < n; k++)
    {
      char *path = shard_path (folder, k);
      g_autoptr (AssayShardFile) f = assay_shard_file_open (path, NULL);
      if (f != NULL)
        g_ptr_array_add (paths, path);
      else
        g_free (path);
    }
  json_object_set_int_member (row, "shards_written", paths->len);
  if (merge && paths->len > 0 && !assay_store_is_read_only (store))
    {
      AssayMergeOptions options = { .partial = TRUE };
      g_autoptr (JsonObject) merged_now = NULL;
      g_autoptr (GError) merge_error = NULL;
      if (assay_merge (store, (const char *const *) paths->pdata, paths->len, &options, &merged_now, &merge_error))
        json_object_set_member (row, "merged_now", json_node_copy (json_object_get_member (merged_now, "merged")));
      else
        json_object_set_string_member (row, "merge_error", merge_error->message);
    }
}

gboolean
assay_slurm_status (AssayStore *store, gboolean merge, JsonObject **result, GError **error)
{
  g_autoptr (GString) ids = g_string_new (NULL);
  g_autoptr (JsonArray) out = json_array_new ();
  g_autoptr (JsonArray) queue = NULL, acct = NULL;
  g_autofree char *queue_why = NULL, *acct_why = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT id, array_job, merge_job, verb, n, folder, command, "
                                            "submitted, state FROM cluster_jobs ORDER BY id",
                                            error);
  JsonObject *r;
  int         rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();
      json_object_set_int_member (row, "id", sqlite3_column_int64 (stmt, 0));
      json_object_set_string_member (row, "array_job", (const char *) sqlite3_column_text (stmt, 1));
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        json_object_set_string_member (row, "merge_job", (const char *) sqlite3_column_text (stmt, 2));
      json_object_set_string_member (row, "verb", (const char *) sqlite3_column_text (stmt, 3));
      json_object_set_int_member (row, "n", sqlite3_column_int64 (stmt, 4));
      json_object_set_string_member (row, "folder", (const char *) sqlite3_column_text (stmt, 5));
      json_object_set_string_member (row, "command", (const char *) sqlite3_column_text (stmt, 6));
      json_object_set_string_member (row, "submitted", (const char *) sqlite3_column_text (stmt, 7));
      json_object_set_string_member (row, "was", (const char *) sqlite3_column_text (stmt, 8));
      g_string_append_printf (ids, "%s%s", ids->len > 0 ? "," : "", (const char *) sqlite3_column_text (stmt, 1));
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        g_string_append_printf (ids, ",%s", (const char *) sqlite3_column_text (stmt, 2));
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "cluster_jobs");
  /* the shards first: merging needs no scheduler, which may be slow to answer or not there */
  for (guint i = 0; i < rows->len; i++)
    look_at_shards (store, rows->pdata[i], merge);
  if (ids->len > 0)
    {
      queue = slurm_jobs ("squeue", ids->str, &queue_why);
      acct = slurm_jobs ("sacct", ids->str, &acct_why);
    }

  for (guint i = 0; i < rows->len; i++)
    {
      JsonObject *row = rows->pdata[i];
      JsonObject *tasks = json_object_new ();
      const char *array_job = json_object_get_string_member (row, "array_job");
      const char *merge_job = assay_json_get_string (row, "merge_job", NULL);
      const char *folder = json_object_get_string_member (row, "folder");
      const char *merge_state = NULL, *state;
      guint       n = (guint) json_object_get_int_member (row, "n"), written = 0, seen = 0;
      gint64      merged = 0;
      gboolean    failed = FALSE, running = FALSE, queued = FALSE;
      g_autoptr (GHashTable) task_seen = g_hash_table_new (g_direct_hash, g_direct_equal);

      /* sacct knows finished tasks, squeue the pending and running ones: squeue wins */
      for (int source = 0; source < 2; source++)
        {
          JsonArray *jobs = source == 0 ? queue : acct;
          for (guint j = 0; jobs != NULL && j < json_array_get_length (jobs); j++)
            {
              JsonObject *job = json_array_get_object_element (jobs, j);
              gint64      job_id = job_int (job, "job_id", -1);
              gint64      array_id = job_int (job, "array_job_id", -1);
              gint64      task = job_int (job, "array_task_id", -1);
              const char *st = job_state (job);
              g_autofree char *job_text = g_strdup_printf ("%" G_GINT64_FORMAT, job_id);
              g_autofree char *array_text = NULL;

              if (array_id < 0 && json_object_get_member (job, "array") != NULL
                  && JSON_NODE_HOLDS_OBJECT (json_object_get_member (job, "array")))
                {
                  JsonObject *a = json_object_get_object_member (job, "array");
                  array_id = job_int (a, "job_id", -1);
                  task = job_int (a, "task_id", -1);
                }
              array_text = g_strdup_printf ("%" G_GINT64_FORMAT, array_id);
              if (merge_job != NULL && g_str_equal (job_text, merge_job))
                {
                  if (merge_state == NULL || source == 0)
                    merge_state = g_intern_string (st);
                  continue;
                }
              if (!g_str_equal (array_text, array_job) && !g_str_equal (job_text, array_job))
                continue;
              if (task < 0)
                {
                  /* the pending rest of an array, as one record */
                  const char *range = assay_json_get_string (job, "array_task_string", NULL);
                  guint       c = count_tasks (range);
                  if (source == 0 && c > 0)
                    {
                      count_state (tasks, st, c);
                      seen += c;
                      queued = TRUE;
                    }
                  continue;
                }
              if (g_hash_table_contains (task_seen, GINT_TO_POINTER ((int) task + 1)))
                continue;
              g_hash_table_add (task_seen, GINT_TO_POINTER ((int) task + 1));
              count_state (tasks, st, 1);
              seen++;
              failed |= is_failure (st);
              running |= g_str_equal (st, "RUNNING") || g_str_equal (st, "COMPLETING");
              queued |= g_str_equal (st, "PENDING");
            }
        }
      written = (guint) json_object_get_int_member (row, "shards_written");
      {
        g_autofree char *pattern = g_build_filename (folder, "shard-%", NULL);
        sqlite3_stmt    *q = assay_store_prepare (store, "SELECT count(*) FROM shard_merges WHERE file LIKE ?",
                                                  NULL);
        if (q != NULL)
          {
            sqlite3_bind_text (q, 1, pattern, -1, SQLITE_TRANSIENT);
            if (sqlite3_step (q) == SQLITE_ROW)
              merged = sqlite3_column_int64 (q, 0);
            sqlite3_reset (q);
          }
      }
      if (merge_state != NULL && is_failure (merge_state))
        failed = TRUE;
      /* a failure seen once stays (the queue forgets finished jobs; without accounting nothing
       * else remembers) */
      if (g_strcmp0 (json_object_get_string_member (row, "was"), "failed") == 0 && !running && !queued)
        failed = TRUE;
      state = merged >= n                ? "merged"
              : failed                   ? "failed"
              : running                  ? "running"
              : queued                   ? "queued"
              : written >= n             ? "written"
              : merge_state != NULL && g_str_equal (merge_state, "PENDING") ? "queued"
                                         : "incomplete";
      json_object_set_object_member (row, "tasks", tasks);
      if (merge_state != NULL)
        json_object_set_string_member (row, "merge_state", merge_state);
      json_object_set_int_member (row, "shards_written", written);
      json_object_set_int_member (row, "shards_merged", merged);
      json_object_set_int_member (row, "tasks_seen", seen);
      json_object_set_string_member (row, "state", state);
      if ((stmt = assay_store_prepare (store, "UPDATE cluster_jobs SET state = ? WHERE id = ? AND state IS NOT ?",
                                       NULL)) != NULL)
        {
          sqlite3_bind_text (stmt, 1, state, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 2, json_object_get_int_member (row, "id"));
          sqlite3_bind_text (stmt, 3, state, -1, SQLITE_STATIC);
          if (!assay_store_is_read_only (store))
            assay_store_step_done (store, stmt, NULL);
          else
            sqlite3_reset (stmt);
        }
      json_array_add_object_element (out, json_object_ref (row));
    }

  r = json_object_new ();
  json_object_set_array_member (r, "jobs", json_array_ref (out));
  json_object_set_string_member (r, "squeue", queue != NULL ? "ok" : queue_why != NULL ? queue_why : "not asked");
  json_object_set_string_member (r, "sacct", acct != NULL ? "ok" : acct_why != NULL ? acct_why : "not asked");
  *result = r;
  return TRUE;
}
