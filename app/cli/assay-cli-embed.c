/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli embed: text embeddings with an encoder (or a causal LM used as one), of a JSONL
 * file's lines or, kept in the workspace, of a generations dataset's records. */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "assay-cli-commands.h"
#include "assay-embed-job.h"

static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf x, y;
  return a != NULL && b != NULL && g_stat (a, &x) == 0 && g_stat (b, &y) == 0 && x.st_ino == y.st_ino
         && x.st_dev == y.st_dev;
}

int
assay_cli_embed (int argc, char **argv)
{
  AssayCliCommon common = { 0 };
  g_auto (AssayCliEmbed) e = { 0 };
  g_auto (AssayCliShard) shard = { 0 };
  g_autofree char *input = NULL, *output = NULL;
  gint64 dataset = 0;
  const GOptionEntry entries[] = {
    ASSAY_CLI_EMBED_SET_ENTRIES (e),
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("A generations dataset of the workspace: its records' vectors are kept there"), N_("ID") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &input, N_("JSONL of {id, text} (--field names another member)"), N_("FILE") },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &output, N_("JSONL written with {id, embedding}"), N_("FILE") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *result;
  int status = assay_cli_parse (&common, "embed", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status == ASSAY_CLI_OK && argc > 1)
    status = assay_cli_usage (_("embed takes no file argument"));
  if (status == ASSAY_CLI_OK && dataset != 0
      && (input != NULL || output != NULL || shard.parsed.n > 0 || common.workspace == NULL))
    status = assay_cli_usage (_("embed --dataset ID needs a workspace (-w FILE), and no --input, --output or --shard"));
  if (status == ASSAY_CLI_OK && dataset == 0
      && (input == NULL || (output == NULL && shard.parsed.n == 0) || e.f16))
    status = assay_cli_usage (_("embed needs --input FILE and --output FILE (or --shard K/N --shard-out FILE), "
                                "or a workspace and --dataset ID"));
  if (status == ASSAY_CLI_OK && dataset == 0 && shard.parsed.n > 0 && output != NULL)
    status = assay_cli_usage (_("embed --shard writes its --shard-out; the merge writes --output"));
  if (status == ASSAY_CLI_OK && dataset == 0 && same_file (input, output))
    status = assay_cli_usage (_("--output is the --input file"));
  if (status == ASSAY_CLI_OK && dataset != 0)
    {
      AssayEmbedSetOptions o;
      if ((status = assay_cli_embed_check (&e, "embed", dataset, &o)) == ASSAY_CLI_OK)
        {
          job = assay_embed_set_job_new (&o);
          assay_embed_set_options_clear (&o);
        }
    }
  else if (status == ASSAY_CLI_OK)
    {
      AssayEmbedFileOptions o = { 0 };
      g_autofree char *field = g_steal_pointer (&e.field); /* any member name, for a file */
      if ((status = assay_cli_embed_check (&e, "embed", 0, NULL)) == ASSAY_CLI_OK)
        {
          o.model = g_steal_pointer (&e.model);
          o.input = g_steal_pointer (&input);
          o.output = g_steal_pointer (&output);
          o.field = g_steal_pointer (&field);
          o.prefix = g_steal_pointer (&e.prefix);
          o.pooling = g_steal_pointer (&e.pooling);
          o.normalize = e.normalize ? 1 : e.no_normalize ? 0 : -1;
          o.max_tokens = e.max_tokens;
          o.shard = shard.parsed;
          o.shard_out = g_strdup (shard.shard_out);
          job = assay_embed_file_job_new (&o);
          assay_embed_file_options_clear (&o);
        }
    }
  if (job != NULL && (status = assay_cli_finish_job (&common, job, &result)) == ASSAY_CLI_OK)
    status = assay_cli_output (&common, result);
  assay_cli_common_clear (&common);
  return status;
}
