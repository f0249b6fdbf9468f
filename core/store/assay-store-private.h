/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-store-private.h: in-tree API for tests. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

/* Opens (primary: creating and migrating) up to schema version `target` only. Tests use it to
 * make workspaces of an older format. */
AssayStore *assay_store_open_at_version (const char *path,
                                         gboolean    primary,
                                         int         target,
                                         GError    **error);

G_END_DECLS
