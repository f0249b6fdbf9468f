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
  { 3, "xmtc",
    /* Labels of a multi-label corpus; idx is the label's index within its dataset. */
    "CREATE TABLE xmtc_labels ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  n_train INTEGER NOT NULL DEFAULT 0,"
    "  n_test INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (dataset_id, idx));"
    /* labels: int32 little-endian label indices. features (sparse formats): pairs of uint32
     * index and float32 value, little-endian. */
    "CREATE TABLE xmtc_documents ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  ext_id TEXT,"
    "  split TEXT NOT NULL CHECK (split IN ('train', 'test')),"
    "  title TEXT,"
    "  text TEXT,"
    "  labels BLOB NOT NULL,"
    "  features BLOB);"
    "CREATE INDEX xmtc_documents_dataset ON xmtc_documents (dataset_id, split);"
    "CREATE TABLE xmtc_features ("
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  term TEXT NOT NULL,"
    "  PRIMARY KEY (dataset_id, idx)) WITHOUT ROWID;"
    /* Per run: the vocabulary, the weights, the top-k predictions, per-label results. */
    "CREATE TABLE xmtc_run_terms ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  term TEXT NOT NULL,"
    "  idf REAL NOT NULL,"
    "  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE xmtc_weights ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  label_idx INTEGER NOT NULL,"
    "  intercept REAL NOT NULL,"
    "  indices BLOB NOT NULL,"
    "  weights BLOB NOT NULL,"
    "  PRIMARY KEY (run_id, label_idx)) WITHOUT ROWID;"
    "CREATE TABLE xmtc_predictions ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  doc_id INTEGER NOT NULL REFERENCES xmtc_documents (id) ON DELETE CASCADE,"
    "  labels BLOB NOT NULL,"
    "  scores BLOB NOT NULL,"
    "  PRIMARY KEY (run_id, doc_id)) WITHOUT ROWID;"
    "CREATE TABLE xmtc_label_results ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  k INTEGER NOT NULL,"
    "  label_idx INTEGER NOT NULL,"
    "  tp INTEGER NOT NULL,"
    "  fp INTEGER NOT NULL,"
    "  fn INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, k, label_idx)) WITHOUT ROWID;" },
};

const AssayMigration *
assay_schema_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (migrations);
  return migrations;
}
