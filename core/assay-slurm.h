/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-slurm.h: a sharded verb as a Slurm job array, and the state of the workspace's cluster
 * jobs.
 *
 * submit writes two batch scripts into a folder of their own beside the workspace
 * (WORKSPACE-cluster/VERB-TIMESTAMP/): array.sbatch, a job array whose task K runs
 * `srun assay-cli VERB ... --shard K/N --shard-out shard-K.assay`, and merge.sbatch, which runs
 * `assay-cli merge -w WORKSPACE FOLDER` (the folder's shard files) once every task has succeeded
 * (--dependency=afterok). The job ids are kept in the workspace (cluster_jobs). The merge job
 * writes the workspace from a compute node: SQLite's write-ahead log needs every process that
 * opens the file at once on one machine, so with the app open elsewhere submit with no merge
 * job (merge_job FALSE) and let the app or `assay-cli merge` merge the shards where it runs. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  const char        *cli;          /* the assay-cli the tasks run (absolute path) */
  const char        *workspace;    /* absolute path */
  const char *const *verb;         /* the verb and its options, e.g. {"traces", "credit", ...} */
  guint              n;            /* tasks (shards) */
  const char        *partition;    /* NULL: the cluster's default */
  int                gpus_per_task;
  const char        *time;         /* --time, NULL: the partition's default */
  int                cpus_per_task; /* 0: the cluster's default */
  gboolean           merge_job;
  const char        *folder;       /* NULL: WORKSPACE-cluster/VERB-TIMESTAMP */
  const char        *output;       /* verbs whose result is a file: merged into it */
} AssaySlurmSubmit;

/* A --partition or --time value sbatch takes as it is (letters, digits and _ . , : + -). */
gboolean assay_slurm_check_value (const char *value);
/* A path that can go into a script: no control characters. */
gboolean assay_slurm_check_path (const char *path);

/* The scripts (for --dry-run and for submit): folder is where shards and logs go. */
char    *assay_slurm_array_script (const AssaySlurmSubmit *submit, const char *folder);
char    *assay_slurm_merge_script (const AssaySlurmSubmit *submit, const char *folder);

/* Writes the scripts and (unless dry_run) submits them with sbatch. Result: {"folder",
 * "array_script", "merge_script", "array_job", "merge_job", "n", "id" (the cluster_jobs row)};
 * with dry_run also "array", "merge": the scripts' text. */
gboolean assay_slurm_submit (AssayStore             *store,
                             const AssaySlurmSubmit *submit,
                             gboolean                dry_run,
                             JsonObject            **result,
                             GError                **error);

/* The workspace's cluster jobs as squeue --json and sacct --json tell (sacct only where
 * accounting is enabled), and their shards: {"jobs": [{"id", "verb", "n", "folder",
 * "array_job", "merge_job", "tasks": {STATE: count}, "merge_state", "shards_written",
 * "shards_merged", "state"}], "squeue", "sacct"} where state is one of queued, running,
 * written (every shard there, not merged), merged, failed, incomplete (gone from the queue
 * with shards missing). With merge, the shards written and not yet merged are merged first
 * (partially: the rest follow as they appear), as the app does on its timer. */
gboolean assay_slurm_status (AssayStore *store, gboolean merge, JsonObject **result, GError **error);

G_END_DECLS
