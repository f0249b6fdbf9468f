/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli slurm submit|status: a sharded verb as a Slurm job array, and where such jobs are. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "assay-cli-commands.h"
#include "assay-merge.h"
#include "assay-slurm.h"

/* submit's own options, taken out of argv wherever they are; the rest is the verb. */
typedef struct
{
  char    *workspace, *partition, *time, *folder;
  int      array, gpus, cpus;
  gboolean dry_run, no_merge, json, help;
} SubmitArgs;

static gboolean
take_value (char **argv, int argc, int *i, const char *name, char **value)
{
  gsize n = strlen (name);

  if (g_str_equal (argv[*i], name))
    {
      if (*i + 1 >= argc)
        return FALSE;
      g_free (*value);
      *value = g_strdup (argv[++*i]);
      return TRUE;
    }
  if (strncmp (argv[*i], name, n) == 0 && argv[*i][n] == '=')
    {
      g_free (*value);
      *value = g_strdup (argv[*i] + n + 1);
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_count (const char *text, int *value)
{
  char   *end;
  gint64  v;

  if (text == NULL)
    return FALSE;
  v = g_ascii_strtoll (text, &end, 10);
  if (*end != '\0' || end == text || v < 0 || v > 100000)
    return FALSE;
  *value = (int) v;
  return TRUE;
}

static int
verb_submit (int argc, char **argv)
{
  SubmitArgs a = { 0 };
  g_autoptr (GPtrArray) verb = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *array = NULL, *gpus = NULL, *cpus = NULL, *exe = NULL, *workspace = NULL, *name = NULL;
  g_autofree char *output = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  AssayCliCommon common = { 0 };
  AssaySlurmSubmit submit = { 0 };
  int status = ASSAY_CLI_OK;
  guint words = 0;

  for (int i = 1; i < argc; i++)
    {
      if (take_value (argv, argc, &i, "--workspace", &a.workspace) || take_value (argv, argc, &i, "-w", &a.workspace)
          || take_value (argv, argc, &i, "--array", &array) || take_value (argv, argc, &i, "--partition", &a.partition)
          || take_value (argv, argc, &i, "--time", &a.time) || take_value (argv, argc, &i, "--folder", &a.folder)
          || take_value (argv, argc, &i, "--gpus-per-task", &gpus)
          || take_value (argv, argc, &i, "--cpus-per-task", &cpus))
        continue;
      if (g_str_equal (argv[i], "--dry-run"))
        a.dry_run = TRUE;
      else if (g_str_equal (argv[i], "--no-merge-job"))
        a.no_merge = TRUE;
      else if (g_str_equal (argv[i], "--json"))
        a.json = TRUE;
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        a.help = TRUE;
      else if (g_str_has_prefix (argv[i], "--shard"))
        {
          status = assay_cli_usage (_("slurm submit gives each task its own --shard and --shard-out"));
          goto out;
        }
      else
        g_ptr_array_add (verb, g_strdup (argv[i]));
    }
  if (a.help)
    {
      g_autofree char *verbs = assay_merge_verbs ();
      g_print (_("Usage: assay-cli slurm submit -w WORKSPACE --array N [--partition P] [--gpus-per-task G]\n"
                 "         [--cpus-per-task C] [--time T] [--folder DIR] [--no-merge-job] [--dry-run] [--json]\n"
                 "         AREA VERB [the verb's options]\n\n"
                 "Runs the verb as a Slurm job array of N tasks, task K doing shard K of N, then a job\n"
                 "that merges the shards into the workspace once every task has succeeded.\n"
                 "Verbs: %s.\n"), verbs);
      goto out;
    }
  if (a.workspace == NULL)
    {
      status = assay_cli_usage (_("no workspace given (use -w FILE)"));
      goto out;
    }
  if (!parse_count (array, &a.array) || a.array < 1 || (gpus != NULL && !parse_count (gpus, &a.gpus))
      || (cpus != NULL && !parse_count (cpus, &a.cpus)))
    {
      status = assay_cli_usage (_("--array N takes 1 to 100000 tasks; --gpus-per-task and --cpus-per-task a count"));
      goto out;
    }
  if (verb->len < 1)
    {
      status = assay_cli_usage (_("slurm submit needs the verb to run, e.g. traces credit --policy DIR --reference DIR"));
      goto out;
    }
  if (((char *) verb->pdata[0])[0] == '-')
    {
      status = assay_cli_usage (_("slurm submit: unknown option “%s” (its options come before the verb)"),
                                (char *) verb->pdata[0]);
      goto out;
    }
  if ((a.partition != NULL && !assay_slurm_check_value (a.partition))
      || (a.time != NULL && !assay_slurm_check_value (a.time)))
    {
      status = assay_cli_usage (_("--partition and --time take letters, digits and _ . , : + - only"));
      goto out;
    }
  if (!assay_slurm_check_path (a.workspace) || (a.folder != NULL && !assay_slurm_check_path (a.folder)))
    {
      status = assay_cli_usage (_("the workspace and --folder paths may not hold control characters"));
      goto out;
    }
  for (guint i = 0; i < verb->len; i++)
    {
      char *arg = verb->pdata[i];
      char *eq = g_str_has_prefix (arg, "--") ? strchr (arg, '=') : NULL;
      const char *value = eq != NULL ? eq + 1 : arg;

      if (!assay_slurm_check_path (arg))
        {
          status = assay_cli_usage (_("the verb's arguments may not hold control characters"));
          goto out;
        }
      /* the tasks run in the job's folder: paths relative to here become absolute */
      if (value[0] != '-' && !g_path_is_absolute (value) && g_file_test (value, G_FILE_TEST_EXISTS))
        {
          g_autofree char *absolute = g_canonicalize_filename (value, NULL);
          char *now = eq != NULL ? g_strdup_printf ("%.*s=%s", (int) (eq - arg), arg, absolute) : g_strdup (absolute);
          g_free (verb->pdata[i]);
          verb->pdata[i] = now;
        }
    }
  g_ptr_array_add (verb, NULL);
  words = assay_merge_verb_words ((const char *const *) verb->pdata);
  g_ptr_array_remove_index (verb, verb->len - 1);
  name = words == 1 ? g_strdup (verb->pdata[0])
                    : g_strdup_printf ("%s %s", (char *) verb->pdata[0], verb->len > 1 ? (char *) verb->pdata[1] : "");
  if (words == 0)
    {
      g_autofree char *verbs = assay_merge_verbs ();
      status = assay_cli_usage (_("“%s” does not run in shards (these do: %s)"), name, verbs);
      goto out;
    }
  if (assay_merge_verb_writes_file (name))
    {
      /* the tasks write shards; the merge job writes the verb's --output */
      for (guint i = words; i < verb->len; i++)
        {
          const char *arg = verb->pdata[i];
          if ((g_str_equal (arg, "--output") || g_str_equal (arg, "-o")) && i + 1 < verb->len)
            {
              output = g_canonicalize_filename (verb->pdata[i + 1], NULL);
              g_ptr_array_remove_range (verb, i, 2);
              break;
            }
          if (g_str_has_prefix (arg, "--output="))
            {
              output = g_canonicalize_filename (arg + strlen ("--output="), NULL);
              g_ptr_array_remove_index (verb, i);
              break;
            }
        }
      if (output == NULL)
        {
          status = assay_cli_usage (_("%s writes a file: give its --output FILE, which the merge job writes"), name);
          goto out;
        }
    }
  g_ptr_array_add (verb, NULL);
  /* the tasks run this very program, on the workspace by its full path */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  workspace = g_canonicalize_filename (a.workspace, NULL);
  common.workspace = g_strdup (workspace);
  if (!a.dry_run && (store = assay_cli_open_workspace (&common, &error)) == NULL)
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  submit.cli = exe != NULL ? exe : "assay-cli";
  submit.workspace = workspace;
  submit.verb = (const char *const *) verb->pdata;
  submit.n = (guint) a.array;
  submit.partition = a.partition;
  submit.gpus_per_task = a.gpus;
  submit.cpus_per_task = a.cpus;
  submit.time = a.time;
  submit.merge_job = !a.no_merge;
  submit.folder = a.folder;
  submit.output = output;
  if (!assay_slurm_submit (store, &submit, a.dry_run, &result, &error))
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  if (a.json)
    assay_cli_print_json_object (g_steal_pointer (&result));
  else if (a.dry_run)
    g_print ("# %s\n%s\n# %s\n%s", json_object_get_string_member (result, "array_script"),
             json_object_get_string_member (result, "array"),
             json_object_get_string_member (result, "merge_script"),
             json_object_get_string_member (result, "merge"));
  else
    assay_cli_print_object_text (result);
out:
  assay_cli_common_clear (&common);
  g_free (a.workspace);
  g_free (a.partition);
  g_free (a.time);
  g_free (a.folder);
  return status;
}

static int
verb_status (AssayCliCommon *common, int argc, char **argv)
{
  gboolean merge = FALSE;
  const GOptionEntry entries[] = {
    { "merge", 0, 0, G_OPTION_ARG_NONE, &merge, N_("Merge the shards written and not merged yet"), NULL },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  int status = assay_cli_parse (common, "slurm status", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (!assay_slurm_status (store, merge, &result, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      assay_cli_print_json_object (g_steal_pointer (&result));
      return ASSAY_CLI_OK;
    }
  {
    JsonArray *jobs = json_object_get_array_member (result, "jobs");
    for (guint i = 0; i < json_array_get_length (jobs); i++)
      {
        JsonObject *j = json_array_get_object_element (jobs, i);
        g_print ("%-4" G_GINT64_FORMAT " %-10s %-14s %" G_GINT64_FORMAT " tasks, %" G_GINT64_FORMAT
                 " written, %" G_GINT64_FORMAT " merged  (array %s)\n",
                 json_object_get_int_member (j, "id"), json_object_get_string_member (j, "state"),
                 json_object_get_string_member (j, "verb"), json_object_get_int_member (j, "n"),
                 json_object_get_int_member (j, "shards_written"),
                 json_object_get_int_member (j, "shards_merged"),
                 json_object_get_string_member (j, "array_job"));
      }
    if (!g_str_equal (json_object_get_string_member (result, "squeue"), "ok"))
      g_print ("squeue: %s\n", json_object_get_string_member (result, "squeue"));
    if (!g_str_equal (json_object_get_string_member (result, "sacct"), "ok"))
      g_print ("sacct: %s\n", json_object_get_string_member (result, "sacct"));
  }
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "status", verb_status, N_("The workspace's cluster jobs, their tasks and shards (--merge: merge those written)") },
  { NULL }
};

int
assay_cli_slurm (int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "submit"))
    return verb_submit (argc - 1, argv + 1);
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      g_autofree char *list = assay_merge_verbs ();
      FILE *out = argc < 2 ? stderr : stdout;
      fprintf (out, "Usage: assay-cli slurm VERB [options]\n\n"
                    "  submit   Run a verb as a Slurm job array of shards, then merge them (%s)\n"
                    "  status   %s\n", list, _(verbs[0].summary));
      return argc < 2 ? ASSAY_CLI_USAGE : ASSAY_CLI_OK;
    }
  return assay_cli_dispatch ("slurm", verbs, argc, argv);
}
