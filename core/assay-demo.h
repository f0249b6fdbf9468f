/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-demo.h: the demo workspace. Each area contributes one recipe; a recipe runs once per
 * workspace (remembered in the meta table), so reopening an older demo adds what is new. */
#pragma once

#include "assay-store.h"
#include "assay-worker.h"

G_BEGIN_DECLS

/* $XDG_DATA_HOME/assay/demo.assay */
char    *assay_demo_default_path (void);
/* Runs every recipe not yet run on this workspace. Recipes that need the compute backend submit
 * jobs to worker (may be NULL: then they run what they can synchronously). */
gboolean assay_demo_populate (AssayStore *store, AssayWorker *worker, GError **error);
/* Names of the recipes already applied to the workspace, for display. */
GStrv    assay_demo_applied (AssayStore *store);

G_END_DECLS
