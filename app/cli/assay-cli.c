/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli: the headless front end. assay-cli AREA VERB [options] */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "assay-cli-commands.h"

static const struct
{
  const char *name;
  int (*func) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "info", assay_cli_info, N_("Version, workspace format and compute backend") },
  { "undo", assay_cli_undo, N_("Undo the last decision in a workspace") },
  { "redo", assay_cli_redo, N_("Redo the last undone decision") },
  { "xmtc", assay_cli_xmtc, N_("Labels: corpora, one-vs-rest SVM, keyword profiles, metrics") },
  { "cpd", assay_cli_cpd, N_("Change points: series, CoRD-CPD and baseline scores, metrics") },
  { "gen", assay_cli_gen, N_("Generations: import, review, export for training, prompts answered here or elsewhere") },
  { "embed", assay_cli_embed, N_("Text embeddings of a JSONL file with an encoder model") },
  { "lm", assay_cli_lm, N_("Language models: inspect, tokenize, chat templates, score tokens, generate") },
  { "train", assay_cli_train, N_("Training: fine-tune a model on the records the reviewer kept (SFT, DPO)") },
  { "video", assay_cli_video, N_("Videos: probe files, sample frames") },
  { "signals", assay_cli_signals, N_("Signals: a label model weighs every signal of the records; P(good) per record") },
  { "traces", assay_cli_traces, N_("Reasoning traces: import, sample, token credit, first errors, re-ranking, heatmaps") },
  { "datasets", assay_cli_datasets, N_("Datasets of every area: list, rename, delete") },
  { "runs", assay_cli_runs, N_("Runs of every area: list, delete") },
  { "slurm", assay_cli_slurm, N_("Run a verb on a Slurm cluster as a job array of shards; where such jobs are") },
  { "merge", assay_cli_merge, N_("Merge the shards of a run made on many machines (--shard K/N)") },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: assay-cli AREA VERB [options]\n\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\nCommon options: -w/--workspace FILE, --json, --backend auto|cpu|cuda, "
                "--threads N.\n"
                "Exit status: 0 ok, 1 failure (one line on stderr), 2 wrong usage.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("assay-cli");

  if (argc < 2)
    {
      print_usage (stderr);
      return ASSAY_CLI_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return ASSAY_CLI_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("assay-cli %s\n", PACKAGE_VERSION);
      return ASSAY_CLI_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);
  g_printerr ("assay-cli: unknown area “%s” (try “assay-cli --help”)\n", argv[1]);
  return ASSAY_CLI_USAGE;
}
