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
  { 4, "change-points",
    /* data: float32 little-endian, [step][variable][feature]. annotations: JSON object
     * annotator -> [0-based change steps]. change_type: the simulator's, when known. */
    "CREATE TABLE cpd_series ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  n_steps INTEGER NOT NULL,"
    "  n_vars INTEGER NOT NULL,"
    "  n_feats INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  var_names TEXT,"
    "  feat_names TEXT,"
    "  time_labels TEXT,"
    "  annotations TEXT,"
    "  change_type TEXT,"
    "  missing INTEGER NOT NULL DEFAULT 0,"
    "  params TEXT);"
    "CREATE INDEX cpd_series_dataset ON cpd_series (dataset_id);"
    /* Per run and series: named score curves (float32 per step), the graphs A_t
     * (float32 [step][i][j]) and the detected change points with their types. */
    "CREATE TABLE cpd_scores ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  series_id INTEGER NOT NULL REFERENCES cpd_series (id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (run_id, series_id, name)) WITHOUT ROWID;"
    "CREATE TABLE cpd_results ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  series_id INTEGER NOT NULL REFERENCES cpd_series (id) ON DELETE CASCADE,"
    "  change_points TEXT NOT NULL,"
    "  change_types TEXT,"
    "  metrics TEXT,"
    "  graphs BLOB,"
    "  PRIMARY KEY (run_id, series_id)) WITHOUT ROWID;"
    /* The user's own change-point marks (edited through the undo journal). */
    "CREATE TABLE cpd_marks ("
    "  id INTEGER PRIMARY KEY,"
    "  series_id INTEGER NOT NULL REFERENCES cpd_series (id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX cpd_marks_series ON cpd_marks (series_id, step);" },
  { 5, "generations",
    /* One model-written record: kind elaboration | rewrite | qa | response | trace | pair.
     * source: the document, passage or video it was made from, highlight: the sentence of the
     * passage it is about, condition: e.g. the pseudo label, prompt: what the model was asked,
     * text: the generation (for a pair the chosen side), rejected: a pair's other side, steps:
     * JSON array of reasoning steps, step_label: first erroneous step (-1: none), answer: the
     * reference answer, correct: 1/0, scores: JSON object of model scores, rating: the
     * reviewer's 1-5, status: pending | accepted | rejected | edited, edited: the reviewer's
     * text (the original stays in text), extra: the source row's other fields. */
    "CREATE TABLE gen_records ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  ext_id TEXT,"
    "  kind TEXT NOT NULL,"
    "  source TEXT,"
    "  highlight TEXT,"
    "  condition TEXT,"
    "  prompt TEXT,"
    "  text TEXT,"
    "  rejected TEXT,"
    "  model TEXT,"
    "  params TEXT,"
    "  steps TEXT,"
    "  step_label INTEGER,"
    "  answer TEXT,"
    "  correct INTEGER,"
    "  scores TEXT,"
    "  rating INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'pending',"
    "  edited TEXT,"
    "  extra TEXT);"
    "CREATE INDEX gen_records_dataset ON gen_records (dataset_id);"
    "CREATE INDEX gen_records_status ON gen_records (status);"
    "CREATE INDEX gen_records_ext ON gen_records (ext_id);"
    "CREATE VIRTUAL TABLE gen_fts USING fts5 (prompt, text, rejected, source, edited,"
    "  content = 'gen_records', content_rowid = 'id', tokenize = 'unicode61');"
    "CREATE TRIGGER gen_records_ai AFTER INSERT ON gen_records BEGIN"
    "  INSERT INTO gen_fts (rowid, prompt, text, rejected, source, edited)"
    "  VALUES (new.id, new.prompt, new.text, new.rejected, new.source, new.edited); END;"
    "CREATE TRIGGER gen_records_ad AFTER DELETE ON gen_records BEGIN"
    "  INSERT INTO gen_fts (gen_fts, rowid, prompt, text, rejected, source, edited)"
    "  VALUES ('delete', old.id, old.prompt, old.text, old.rejected, old.source, old.edited); END;"
    "CREATE TRIGGER gen_records_au AFTER UPDATE OF prompt, text, rejected, source, edited"
    "  ON gen_records BEGIN"
    "  INSERT INTO gen_fts (gen_fts, rowid, prompt, text, rejected, source, edited)"
    "  VALUES ('delete', old.id, old.prompt, old.text, old.rejected, old.source, old.edited);"
    "  INSERT INTO gen_fts (rowid, prompt, text, rejected, source, edited)"
    "  VALUES (new.id, new.prompt, new.text, new.rejected, new.source, new.edited); END;"
    /* Field mappings remembered per file shape (the sorted keys of its rows) */
    "CREATE TABLE gen_mappings (shape TEXT PRIMARY KEY, mapping TEXT NOT NULL);"
    /* The user's versions of the built-in prompt templates */
    "CREATE TABLE gen_templates (name TEXT PRIMARY KEY, body TEXT NOT NULL);" },
  { 6, "traces",
    /* Token credit of a trace (a gen_records row) under a run's model pair; side 0 is the record's
     * text (a pair's chosen answer), side 1 a pair's rejected one. offsets: uint32 LE begin, end
     * byte of each token in that text; logprobs / ref_logprobs: float32 LE per token under the
     * policy and the reference (NaN: not scored); reward: R = sum of the credit; step_rewards:
     * float32 per step; steps: uint32 LE begin, end byte of each step;
     * first_error: the step predicted at the run's threshold (-1: none). */
    "CREATE TABLE trace_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  record_id INTEGER NOT NULL REFERENCES gen_records (id) ON DELETE CASCADE,"
    "  side INTEGER NOT NULL,"
    "  n_tokens INTEGER NOT NULL,"
    "  offsets BLOB NOT NULL,"
    "  logprobs BLOB NOT NULL,"
    "  ref_logprobs BLOB NOT NULL,"
    "  reward REAL NOT NULL,"
    "  steps BLOB,"
    "  step_rewards BLOB,"
    "  first_error INTEGER);"
    "CREATE UNIQUE INDEX trace_tokens_key ON trace_tokens (run_id, record_id, side);"
    "CREATE INDEX trace_tokens_record ON trace_tokens (record_id);" },
  { 7, "videos",
    /* A video file of a dataset: what the probe found (of the video stream), or why it could
     * not be read (error). name: the file name, the key captions and responses refer to. */
    "CREATE TABLE videos ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  container TEXT,"
    "  codec TEXT,"
    "  width INTEGER,"
    "  height INTEGER,"
    "  frames INTEGER,"
    "  duration REAL,"
    "  fps REAL,"
    "  error TEXT);"
    "CREATE INDEX videos_name ON videos (name);"
    /* The sampled frames (position 0.. in time order): frame index, time, PNG full size and a
     * PNG thumbnail, so reopening a workspace never decodes again. */
    "CREATE TABLE video_frames ("
    "  video_id INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  frame INTEGER NOT NULL,"
    "  seconds REAL NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  image BLOB NOT NULL,"
    "  thumb BLOB NOT NULL,"
    "  PRIMARY KEY (video_id, position));"
    /* The reviewer's own pair for a (video, question): chosen and rejected responses (edited
     * through the undo journal); without one the pair follows the scores. */
    "CREATE TABLE video_choices ("
    "  id INTEGER PRIMARY KEY,"
    "  video TEXT NOT NULL,"
    "  question TEXT NOT NULL,"
    "  chosen INTEGER REFERENCES gen_records (id) ON DELETE CASCADE,"
    "  rejected INTEGER REFERENCES gen_records (id) ON DELETE CASCADE);"
    "CREATE UNIQUE INDEX video_choices_key ON video_choices (video, question);" },
  { 8, "dataset-imports",
    /* A dataset being imported: the importing process's id. Imports commit in short chunks so
     * other writers get in between; until the import publishes the dataset (NULL) every list
     * leaves it out, and one whose process is gone is removed on the next open. */
    "ALTER TABLE datasets ADD COLUMN importing INTEGER;" },
  { 9, "journal-sessions",
    /* Who made a journal entry: "app", "cli" or a name given with assay-cli --session. Undo and
     * redo take a session's own entries only; NULL (entries from before) belongs to whoever
     * has no session name. */
    "ALTER TABLE journal ADD COLUMN session TEXT;"
    "DROP INDEX journal_undone;"
    "CREATE INDEX journal_session ON journal (session, undone, id);" },
  { 10, "shards",
    /* The shards of a sharded run merged into this workspace: run_key is the hash of the run's
     * provenance (verb, settings, model fingerprints, input hash, N), k the shard (0-based) of n;
     * the merged result is a run or a dataset. Merging a shard again finds it here. */
    "CREATE TABLE shard_merges ("
    "  run_key TEXT NOT NULL,"
    "  k INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  verb TEXT NOT NULL,"
    "  run_id INTEGER REFERENCES runs (id) ON DELETE CASCADE,"
    "  dataset_id INTEGER REFERENCES datasets (id) ON DELETE CASCADE,"
    "  file TEXT,"
    "  summary TEXT,"
    "  merged TEXT NOT NULL DEFAULT " NOW ","
    "  PRIMARY KEY (run_key, k));"
    /* Cluster jobs submitted for this workspace: a Slurm job array of n shards written into
     * folder, and the job that merges them (0: none). */
    "CREATE TABLE cluster_jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  scheduler TEXT NOT NULL DEFAULT 'slurm',"
    "  array_job TEXT NOT NULL,"
    "  merge_job TEXT,"
    "  verb TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  folder TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'submitted',"
    "  submitted TEXT NOT NULL DEFAULT " NOW ");" },
  { 11, "embeddings",
    /* Text embeddings of a dataset's records under one encoder and its settings: key is the hash
     * of the model folder's fingerprint and the settings (settings: JSON of field, prefix,
     * pooling, normalize, max_tokens), model the folder as given. dtype: f32 or f16. */
    "CREATE TABLE embedding_sets ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  settings TEXT NOT NULL,"
    "  dim INTEGER NOT NULL,"
    "  dtype TEXT NOT NULL,"
    "  backend TEXT,"
    "  updated TEXT NOT NULL DEFAULT " NOW ","
    "  UNIQUE (dataset_id, key));"
    /* One vector per record (gen_records.id); text_hash: of the text it was made from, so an
     * edited record is embedded again. vector: dim float32 or float16, little-endian. */
    "CREATE TABLE embeddings ("
    "  set_id INTEGER NOT NULL REFERENCES embedding_sets (id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL,"
    "  text_hash TEXT NOT NULL,"
    "  vector BLOB NOT NULL,"
    "  PRIMARY KEY (set_id, item_id)) WITHOUT ROWID;" },
  { 12, "cpd-models",
    /* A learned CoRD-CPD model, made by the training run run_id (its id is the model's):
     * config the JSON of its shape, window, feature scaling and tensor names; weights its
     * parameters then batch-norm buffers, float64 little-endian; curve the JSON of its
     * training (per epoch: train and validation loss, validation edge accuracy). */
    "CREATE TABLE cpd_models ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    "  config TEXT NOT NULL,"
    "  weights BLOB NOT NULL,"
    "  curve TEXT);" },
  { 13, "runs-pid",
    /* The process that made a run: a run left "running" by a process that is gone (killed
     * during training) is marked "interrupted" when the workspace is next opened. */
    "ALTER TABLE runs ADD COLUMN pid INTEGER;" },
  { 14, "gen-signals",
    /* P(good) of each record under a label model over its signals (area gen, kind signals;
     * the run's metrics hold each signal's estimated accuracy and categories). */
    "CREATE TABLE gen_signals ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  record_id INTEGER NOT NULL REFERENCES gen_records (id) ON DELETE CASCADE,"
    "  p_good REAL NOT NULL,"
    "  PRIMARY KEY (run_id, record_id)) WITHOUT ROWID;"
    "CREATE INDEX gen_signals_record ON gen_signals (record_id);" },
  { 15, "trace-certainty",
    /* The policy's mean self-certainty over a trace's scored tokens (KL(U || p) averaged; NULL
     * when the run did not compute it), for best-of-N selection. */
    "ALTER TABLE trace_tokens ADD COLUMN certainty REAL;" },
  { 16, "label-dismissals",
    /* Likely label errors the reviewer dismissed (an undoable decision): item is the document's
     * id as imported (xmtc) or the record's id (generations), given whether the label was given
     * (FALSE: missing). Later searches leave them out. */
    "CREATE TABLE label_dismissals ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  item TEXT NOT NULL,"
    "  label TEXT NOT NULL,"
    "  given INTEGER NOT NULL,"
    "  UNIQUE (dataset_id, item, label, given));" },
  { 17, "signal-cache",
    /* What a signal that depends only on the records' texts found, kept until they change:
     * kind names the signal ("duplicate"), fingerprint hashes the texts it read and its
     * settings, data is its result (JSON). A cache: losing it costs only time. */
    "CREATE TABLE IF NOT EXISTS signal_cache ("
    "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY (dataset_id, kind)) WITHOUT ROWID;" },
};

const AssayMigration *
assay_schema_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (migrations);
  return migrations;
}
