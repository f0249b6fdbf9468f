/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cluster-watch.h: the workspace's cluster jobs, looked at every so often while some are
 * not over (assay_slurm_status on a thread of its own, with a connection of its own, merging
 * the shards that have been written), and told to whoever shows them. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_CLUSTER_WATCH (assay_cluster_watch_get_type ())
G_DECLARE_FINAL_TYPE (AssayClusterWatch, assay_cluster_watch, ASSAY, CLUSTER_WATCH, GObject)

/* Signal "updated" (JsonObject *status): what assay_slurm_status gives ({"jobs": [...] oldest
 * first, "squeue", "sacct"}); {"jobs": []} when the workspace has none. */
AssayClusterWatch *assay_cluster_watch_new (void);
/* Watches this workspace (NULL: none); looks at once. */
void               assay_cluster_watch_set_store (AssayClusterWatch *self, AssayStore *store);
/* Looks now (e.g. when the jobs list opens), unless a look is under way. */
void               assay_cluster_watch_refresh (AssayClusterWatch *self);

G_END_DECLS
