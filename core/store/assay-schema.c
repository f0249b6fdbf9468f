/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-schema.c: workspace migrations, in order. Never edit a released migration: append one.
 * Each area adds its tables with a migration of its own at the end of this list. */
#include "assay-schema.h"

#define NOW "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"

static const AssayMigration migrations[] = {
  { 1, "bookkeeping",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE datasets ("
    "  id INTEGER PRIMARY KEY,"
    "  area TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  source TEXT,"
    "  params TEXT,"
    "  created TEXT NOT NULL DEFAULT " NOW ");"
    "CREATE INDEX datasets_area ON datasets (area);"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER REFERENCES datasets (id) ON DELETE CASCADE,"
    "  area TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  params TEXT,"
    "  backend TEXT,"
    "  status TEXT NOT NULL DEFAULT 'running',"
    "  seconds REAL,"
    "  metrics TEXT,"
    "  created TEXT NOT NULL DEFAULT " NOW ","
    "  finished TEXT);"
    "CREATE INDEX runs_dataset ON runs (dataset_id);"
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  title TEXT,"
    "  backend TEXT,"
    "  status TEXT NOT NULL DEFAULT 'running',"
    "  pid INTEGER,"
    "  error TEXT,"
    "  created TEXT NOT NULL DEFAULT " NOW ","
    "  finished TEXT);" },
  { 2, "undo-journal",
    "CREATE TABLE journal ("
    "  id INTEGER PRIMARY KEY,"
    "  label TEXT NOT NULL,"
    "  undone INTEGER NOT NULL DEFAULT 0,"
    "  created TEXT NOT NULL DEFAULT " NOW ");"
    "CREATE INDEX journal_undone ON journal (undone, id);"
    "CREATE TABLE journal_changes ("
    "  id INTEGER PRIMARY KEY,"
    "  journal_id INTEGER NOT NULL REFERENCES journal (id) ON DELETE CASCADE,"
    "  tbl TEXT NOT NULL,"
    "  row_id INTEGER NOT NULL,"
    "  before TEXT,"
    "  after TEXT);"
    "CREATE INDEX journal_changes_entry ON journal_changes (journal_id);" },
};

const AssayMigration *
assay_schema_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (migrations);
  return migrations;
}
