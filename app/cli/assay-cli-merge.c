/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli merge: shards of a run into the workspace (or, for verbs that write a file, into
 * that file). */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-cli-commands.h"
#include "assay-merge.h"

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
assay_cli_merge (int argc, char **argv)
{
  AssayCliCommon common = { 0 };
  gboolean       partial = FALSE;
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
    { "partial", 0, 0, G_OPTION_ARG_NONE, &partial,
      N_("Merge the shards there are and say which are missing"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("The file to write, for shards of lm score and lm generate"), N_("FILE") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  AssayMergeOptions options = { 0 };
  int status = assay_cli_parse (&common, "merge", _("SHARD…"), entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    goto out;
  if (argc < 2)
    {
      status = assay_cli_usage (_("merge takes one or more shard files"));
      goto out;
    }
  if (common.workspace == NULL && output == NULL)
    {
      status = assay_cli_usage (_("merge needs a workspace (-w FILE), or --output FILE for shards of "
                                  "lm score and lm generate"));
      goto out;
    }
  if (common.workspace != NULL && (store = assay_cli_open_workspace (&common, &error)) == NULL)
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  options.partial = partial;
  options.output = output;
  /* a folder stands for its .assay files (a cluster job's shards) */
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
          g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;
          if (dir == NULL)
            {
              status = assay_cli_fail (g_steal_pointer (&error));
              goto out;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            if (g_str_has_suffix (name, ".assay") && name[0] != '.')
              g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          g_ptr_array_sort (names, compare_paths);
          for (guint k = 0; k < names->len; k++)
            g_ptr_array_add (paths, g_strdup (names->pdata[k]));
        }
      else
        g_ptr_array_add (paths, g_strdup (argv[i]));
    }
  if (paths->len == 0)
    {
      status = assay_cli_usage (_("no shard files in the folders given"));
      goto out;
    }
  if (output != NULL)
    {
      /* never written over: a shard being merged, a workspace */
      GStatBuf out_st, st;
      g_autofree char *head = NULL;
      gsize            len = 0;
      for (guint k = 0; k < paths->len && g_stat (output, &out_st) == 0; k++)
        if (g_stat (paths->pdata[k], &st) == 0 && st.st_ino == out_st.st_ino && st.st_dev == out_st.st_dev)
          {
            status = assay_cli_usage (_("--output “%s” is one of the shards"), output);
            goto out;
          }
      if (g_file_get_contents (output, &head, &len, NULL) && len >= 16 && memcmp (head, "SQLite format 3", 16) == 0)
        {
          status = assay_cli_usage (_("--output “%s” is a database (a workspace or a shard), not overwritten"), output);
          goto out;
        }
    }
  if (!assay_merge (store, (const char *const *) paths->pdata, paths->len, &options, &result, &error))
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  status = assay_cli_output (&common, json_node_init_object (json_node_alloc (), result));
out:
  assay_cli_common_clear (&common);
  return status;
}
