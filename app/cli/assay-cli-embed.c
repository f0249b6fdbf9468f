/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli embed: text embeddings of a JSONL file's lines with an encoder (or a causal LM used
 * as one). */
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
  AssayCliCommon        common = { 0 };
  AssayEmbedFileOptions options = { 0 };
  g_auto (AssayCliShard) shard = { 0 };
  gboolean normalize = FALSE, no_normalize = FALSE;
  int      max_tokens = 0;
  const GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &options.model, N_("Model folder: BertModel, RobertaModel, XLMRobertaModel, or a causal LM"), N_("DIR") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &options.input, N_("JSONL of {id, text}"), N_("FILE") },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &options.output, N_("JSONL written with {id, embedding}"), N_("FILE") },
    { "field", 0, 0, G_OPTION_ARG_STRING, &options.field, N_("The member holding the text (default text)"), N_("NAME") },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &options.prefix, N_("Put before every text (E5: \"query: \")"), N_("TEXT") },
    { "pooling", 0, 0, G_OPTION_ARG_STRING, &options.pooling, N_("cls, mean or last (default: as the model folder says)"), N_("MODE") },
    { "normalize", 0, 0, G_OPTION_ARG_NONE, &normalize, N_("L2-normalise (default: as the model folder says)"), NULL },
    { "no-normalize", 0, 0, G_OPTION_ARG_NONE, &no_normalize, N_("Do not L2-normalise"), NULL },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT, &max_tokens, N_("Cut texts to N tokens (default: the model's limit)"), N_("N") },
    ASSAY_CLI_SHARD_ENTRIES (shard),
    { NULL }
  };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *result;
  AssayPooling pooling;
  int status = assay_cli_parse (&common, "embed", NULL, entries, &argc, &argv);

  if (status == ASSAY_CLI_OK)
    status = assay_cli_shard_check (&shard);
  if (status == ASSAY_CLI_OK
      && (options.model == NULL || options.input == NULL || (options.output == NULL && shard.parsed.n == 0)
          || argc > 1))
    status = assay_cli_usage (_("embed needs --model DIR, --input FILE and --output FILE (or --shard K/N --shard-out FILE)"));
  if (status == ASSAY_CLI_OK && options.pooling != NULL && !assay_pooling_parse (options.pooling, &pooling))
    status = assay_cli_usage (_("--pooling is cls, mean or last"));
  if (status == ASSAY_CLI_OK && normalize && no_normalize)
    status = assay_cli_usage (_("--normalize and --no-normalize exclude each other"));
  if (status == ASSAY_CLI_OK && (max_tokens < 0 || max_tokens == 1 || max_tokens > 1 << 20))
    status = assay_cli_usage (_("--max-tokens must be 2 to 1048576"));
  if (status == ASSAY_CLI_OK && same_file (options.input, options.output))
    status = assay_cli_usage (_("--output is the --input file"));
  if (status != ASSAY_CLI_OK)
    goto out;
  options.normalize = normalize ? 1 : no_normalize ? 0 : -1;
  options.max_tokens = max_tokens;
  options.shard = shard.parsed;
  options.shard_out = g_strdup (shard.shard_out);
  job = assay_embed_file_job_new (&options);
  if ((status = assay_cli_finish_job (&common, job, &result)) == ASSAY_CLI_OK)
    status = assay_cli_output (&common, result);
out:
  assay_embed_file_options_clear (&options);
  assay_cli_common_clear (&common);
  return status;
}
