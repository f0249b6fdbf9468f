/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli-commands.h: the top-level commands, one per area. Each takes argv from the area
 * name on and returns an exit status. */
#pragma once

#include "assay-cli-common.h"

G_BEGIN_DECLS

int assay_cli_info (int argc, char **argv);
int assay_cli_undo (int argc, char **argv);
int assay_cli_redo (int argc, char **argv);
int assay_cli_xmtc (int argc, char **argv);
int assay_cli_cpd (int argc, char **argv);
int assay_cli_gen (int argc, char **argv);
int assay_cli_lm (int argc, char **argv);
int assay_cli_video (int argc, char **argv);
int assay_cli_traces (int argc, char **argv);
int assay_cli_datasets (int argc, char **argv);
int assay_cli_runs (int argc, char **argv);
int assay_cli_merge (int argc, char **argv);
int assay_cli_slurm (int argc, char **argv);
int assay_cli_embed (int argc, char **argv);
int assay_cli_train (int argc, char **argv);
int assay_cli_signals (int argc, char **argv);

G_END_DECLS
