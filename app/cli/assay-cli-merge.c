/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli merge: shards of a run into the workspace (or, for verbs that write a file, into
 * that file). */
#include "config.h"

#include <glib/gi18n.h>

#include "assay-cli-commands.h"
#include "assay-merge.h"

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
  if (!assay_merge (store, (const char *const *) argv + 1, (guint) argc - 1, &options, &result, &error))
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  status = assay_cli_output (&common, json_node_init_object (json_node_alloc (), result));
out:
  assay_cli_common_clear (&common);
  return status;
}
