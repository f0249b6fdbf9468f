/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-schema.h: the ordered list of workspace migrations. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "ASSY" in PRAGMA application_id: marks a file as an Assay workspace. */
#define ASSAY_APPLICATION_ID 0x41535359

typedef struct
{
  int         version; /* user_version after this migration */
  const char *name;
  const char *sql;     /* run inside the migration's transaction */
} AssayMigration;

const AssayMigration *assay_schema_migrations (guint *n_migrations);

G_END_DECLS
