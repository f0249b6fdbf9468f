/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The workspace store: creation, refusal of foreign and newer files, migration with backup, the
 * undo journal across reopen, and crash safety under SIGKILL. */
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-store-private.h"
#include "assay-test-util.h"

static char *
query_text (AssayStore *store, const char *sql)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, sql, NULL);
  char         *text = NULL;

  g_assert_nonnull (stmt);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return text;
}

static void
test_create (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("create.assay");
  g_autofree char *mode = query_text (store, "PRAGMA journal_mode");

  g_assert_cmpint (assay_store_get_schema_version (store), ==, assay_store_latest_schema_version ());
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (assay_store_query_int (store, "PRAGMA foreign_keys", 0), ==, 1);
  g_assert_null (assay_store_get_backup_path (store));
  g_assert_false (assay_store_can_undo (store));
}

static void
test_refuse_newer (void)
{
  g_autofree char *path = assay_test_path ("newer.assay");
  g_autoptr (GError) error = NULL;
  AssayStore *store;
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d",
                                          assay_store_latest_schema_version () + 1);

  store = assay_test_fresh_store ("newer.assay");
  g_assert_true (assay_store_exec (store, sql, NULL));
  g_object_unref (store);

  store = assay_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_nonnull (strstr (error->message, "newer.assay"));
}

static void
test_refuse_foreign (void)
{
  g_autofree char *garbage = assay_test_path ("garbage.assay");
  g_autofree char *other = assay_test_path ("other.sqlite");
  g_autoptr (GError) error = NULL;
  sqlite3 *db;

  g_assert_true (g_file_set_contents (garbage, "this is not a database at all, not even close....."
                                               "...............................................",
                                      -1, NULL));
  g_assert_null (assay_store_open (garbage, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_WORKSPACE);
  g_assert_nonnull (strstr (error->message, "garbage.assay"));
  g_clear_error (&error);

  g_unlink (other);
  g_assert_cmpint (sqlite3_open (other, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)", NULL, NULL,
                                 NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_null (assay_store_open (other, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_WORKSPACE);
  g_clear_error (&error);

  /* The foreign database was left as it was. */
  g_assert_cmpint (sqlite3_open (other, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT x FROM t", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  g_assert_null (assay_store_open_secondary ("/nonexistent/dir/x.assay", &error));
  g_assert_nonnull (error);
}

static void
test_migrate_with_backup (void)
{
  g_autofree char *path = assay_test_path ("old.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayStore) old = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayStore) backup = NULL;
  g_autofree char *name = NULL;
  gint64 id;

  g_unlink (path);
  old = assay_store_open_at_version (path, TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_get_schema_version (old), ==, 1);
  id = assay_store_add_dataset (old, "test", "kept across migration", "src", NULL, &error);
  g_assert_no_error (error);
  /* A secondary connection refuses a file that needs migrating. */
  g_assert_null (assay_store_open_secondary (path, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_VERSION);
  g_clear_error (&error);
  g_clear_object (&old);

  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_get_schema_version (store), ==, assay_store_latest_schema_version ());
  g_assert_nonnull (assay_store_get_backup_path (store));
  g_assert_true (g_file_test (assay_store_get_backup_path (store), G_FILE_TEST_EXISTS));
  g_assert_true (assay_store_get_dataset (store, id, NULL, &name, &error));
  g_assert_cmpstr (name, ==, "kept across migration");
  /* The journal table of the newer schema exists and works. */
  g_assert_true (assay_store_rename_dataset (store, id, "renamed", &error));
  g_assert_no_error (error);

  /* The backup is the old file: format 1, same data, no journal. */
  backup = assay_store_open_at_version (assay_store_get_backup_path (store), TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_get_schema_version (backup), ==, 1);
  g_assert_cmpint (assay_store_query_int (backup, "SELECT count(*) FROM sqlite_master "
                                                  "WHERE name = 'journal'", -1),
                   ==, 0);
  g_assert_cmpint (assay_store_query_int (backup, "SELECT count(*) FROM datasets", -1), ==, 1);
}

static const char *notes_schema =
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT, score REAL, flag INTEGER, data BLOB)";

static char *
note_text (AssayStore *store, gint64 id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT text FROM notes WHERE id = %" G_GINT64_FORMAT, id);
  return query_text (store, sql);
}

static void
test_undo_redo_across_reopen (void)
{
  g_autofree char *path = assay_test_path ("undo.assay");
  g_autoptr (GError) error = NULL;
  AssayStore *store = assay_test_fresh_store ("undo.assay");
  GVariant   *values[4];
  const char *columns[] = { "text", "score", "flag", "data" };
  static const guchar blob[] = { 0, 1, 2, 255 };
  g_autofree char *label = NULL;
  gint64 a, b;

  g_assert_true (assay_store_exec (store, notes_schema, NULL));

  /* Edit 1: insert two rows */
  g_assert_true (assay_store_edit_begin (store, "Add notes", &error));
  values[0] = g_variant_new_string ("first");
  values[1] = g_variant_new_double (0.5);
  values[2] = g_variant_new_boolean (TRUE);
  values[3] = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob, sizeof blob, 1);
  a = assay_store_edit_insert (store, "notes", columns, values, 4, &error);
  g_assert_no_error (error);
  values[0] = g_variant_new_string ("second");
  b = assay_store_edit_insert (store, "notes", columns, values, 1, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_edit_commit (store, &error));
  /* Edit 2: change a row */
  g_assert_true (assay_store_edit_begin (store, "Edit note", &error));
  g_assert_true (assay_store_edit_update (store, "notes", a, "text", g_variant_new_string ("edited"),
                                          &error));
  g_assert_true (assay_store_edit_update (store, "notes", a, "score", NULL, &error));
  g_assert_true (assay_store_edit_commit (store, &error));
  /* Edit 3: delete a row */
  g_assert_true (assay_store_edit_begin (store, "Delete note", &error));
  g_assert_true (assay_store_edit_delete (store, "notes", b, &error));
  g_assert_true (assay_store_edit_commit (store, &error));
  g_assert_no_error (error);
  g_object_unref (store);

  /* Reopen: undo the delete and the edit. */
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_can_undo (store));
  g_assert_false (assay_store_can_redo (store));
  {
    const char *table = "x";
    g_assert_cmpint (assay_store_get_replayed (store, &table), ==, 0);
    g_assert_null (table);
  }
  g_assert_true (assay_store_undo (store, &label, &error));
  g_assert_cmpstr (label, ==, "Delete note");
  g_clear_pointer (&label, g_free);
  {
    /* the undone action's row, for views to go back to */
    const char *table = NULL;
    g_assert_cmpint (assay_store_get_replayed (store, &table), ==, b);
    g_assert_cmpstr (table, ==, "notes");
  }
  {
    g_autofree char *t = note_text (store, b);
    g_assert_cmpstr (t, ==, "second");
  }
  g_assert_true (assay_store_undo (store, &label, &error));
  g_assert_cmpstr (label, ==, "Edit note");
  g_clear_pointer (&label, g_free);
  g_assert_cmpint (assay_store_get_replayed (store, NULL), ==, a);
  {
    g_autofree char *t = note_text (store, a);
    g_autofree char *score = query_text (store, "SELECT score FROM notes WHERE text = 'first'");
    g_autofree char *hex = query_text (store, "SELECT hex(data) FROM notes WHERE text = 'first'");
    g_assert_cmpstr (t, ==, "first");
    g_assert_cmpstr (score, ==, "0.5");
    g_assert_cmpstr (hex, ==, "000102FF");
  }
  g_object_unref (store);

  /* Reopen: redo one; then a new edit drops the rest of the redo stack. */
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_can_redo (store));
  {
    g_autofree char *redo = assay_store_dup_redo_label (store);
    g_assert_cmpstr (redo, ==, "Edit note");
  }
  g_assert_true (assay_store_redo (store, &label, &error));
  g_assert_cmpstr (label, ==, "Edit note");
  {
    g_autofree char *t = note_text (store, a);
    g_assert_cmpstr (t, ==, "edited");
  }
  g_assert_true (assay_store_edit_begin (store, "Another", &error));
  g_assert_true (assay_store_edit_update (store, "notes", b, "text", g_variant_new_string ("x"),
                                          &error));
  g_assert_true (assay_store_edit_commit (store, &error));
  g_assert_false (assay_store_can_redo (store));

  /* Undo everything back to the empty table, then nothing more to undo. */
  while (assay_store_can_undo (store))
    g_assert_true (assay_store_undo (store, NULL, &error));
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM notes", -1), ==, 0);
  g_assert_false (assay_store_undo (store, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
  g_clear_error (&error);
  /* ...and redo all of it. */
  while (assay_store_can_redo (store))
    g_assert_true (assay_store_redo (store, NULL, &error));
  {
    g_autofree char *t = note_text (store, b);
    g_assert_cmpstr (t, ==, "x");
  }
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM notes", -1), ==, 2);
  g_object_unref (store);
}

static void
test_edit_errors (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("errors.assay");
  g_autoptr (GError) error = NULL;

  g_assert_true (assay_store_exec (store, notes_schema, NULL));
  g_assert_true (assay_store_edit_begin (store, "Bad", &error));
  g_assert_false (assay_store_edit_update (store, "notes", 99, "text", g_variant_new_string ("x"),
                                           &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (assay_store_edit_update (store, "notes; DROP TABLE notes", 1, "text", NULL,
                                           &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  assay_store_edit_abort (store);
  g_assert_false (assay_store_can_undo (store));
  /* An edit that changes nothing leaves nothing to undo. */
  g_assert_true (assay_store_edit_begin (store, "Nothing", &error));
  g_assert_true (assay_store_edit_commit (store, &error));
  g_assert_false (assay_store_can_undo (store));
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM notes", -1), ==, 0);
}

static void
changed_cb (AssayStore *store, const char *table, GPtrArray *seen)
{
  g_ptr_array_add (seen, g_strdup (table));
}

static void
test_changed_signal (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("signal.assay");
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gint64 id;

  id = assay_store_add_dataset (store, "test", "a", NULL, NULL, &error);
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), seen);
  g_assert_true (assay_store_rename_dataset (store, id, "b", &error));
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "datasets");
  g_assert_cmpstr (g_ptr_array_index (seen, 1), ==, "journal");
  g_assert_true (assay_store_undo (store, NULL, &error));
  g_assert_cmpuint (seen->len, ==, 4);
}

/* A second connection reads while the first holds a write transaction (WAL). */
static void
test_reader_not_blocked (void)
{
  g_autofree char *path = assay_test_path ("wal.assay");
  g_autoptr (AssayStore) writer = assay_test_fresh_store ("wal.assay");
  g_autoptr (AssayStore) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();

  assay_store_add_dataset (writer, "test", "before", NULL, NULL, &error);
  reader = assay_store_open_secondary (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_begin (writer, &error));
  assay_store_add_dataset (writer, "test", "uncommitted", NULL, NULL, &error);
  g_timer_start (timer);
  g_assert_cmpint (assay_store_query_int (reader, "SELECT count(*) FROM datasets", -1), ==, 1);
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 0.5);
  g_assert_true (assay_store_commit (writer, &error));
  g_assert_cmpint (assay_store_query_int (reader, "SELECT count(*) FROM datasets", -1), ==, 2);
}

/* A child commits decisions one by one and says so on a pipe after each commit; it is killed
 * with SIGKILL mid-stream. Every decision it reported must be in the file. */
static void
test_crash_safety (void)
{
  g_autofree char *path = assay_test_path ("crash.assay");
  int    fds[2];
  pid_t  pid;
  int    reported = 0, status;
  char   buf[64];
  gint64 rows;
  g_autoptr (AssayStore) store = assay_test_fresh_store ("crash.assay");
  g_autoptr (GError) error = NULL;

  g_assert_true (assay_store_exec (store, notes_schema, NULL));
  g_clear_object (&store);
  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      AssayStore *child = assay_store_open (path, NULL);
      const char *columns[] = { "text" };
      close (fds[0]);
      for (int i = 0;; i++)
        {
          GVariant *values[] = { g_variant_new_printf ("decision %d", i) };
          assay_store_edit_begin (child, "Decide", NULL);
          assay_store_edit_insert (child, "notes", columns, values, 1, NULL);
          assay_store_edit_commit (child, NULL);
          if (write (fds[1], "x", 1) != 1)
            _exit (1);
        }
    }
  close (fds[1]);
  while (reported < 200)
    {
      ssize_t n = read (fds[0], buf, sizeof buf);
      g_assert_cmpint (n, >, 0);
      reported += (int) n;
    }
  kill (pid, SIGKILL);
  /* Drain what it managed to report before dying. */
  for (ssize_t n; (n = read (fds[0], buf, sizeof buf)) > 0;)
    reported += (int) n;
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  rows = assay_store_query_int (store, "SELECT count(*) FROM notes", -1);
  g_test_message ("child reported %d commits, file holds %" G_GINT64_FORMAT, reported, rows);
  g_assert_cmpint (rows, >=, reported);
  g_assert_cmpint (rows, <=, reported + 1);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM journal", -1), ==, rows);
  {
    g_autofree char *check = query_text (store, "PRAGMA integrity_check");
    g_assert_cmpstr (check, ==, "ok");
  }
  g_assert_true (assay_store_undo (store, NULL, &error));
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM notes", -1), ==, rows - 1);
}

static void
test_bookkeeping (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("books.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) metrics = json_object_new ();
  g_autofree char *text = NULL;
  gint64 ds, run, job;

  json_object_set_double_member (params, "C", 1.0);
  json_object_set_double_member (metrics, "p@1", 0.9);
  ds = assay_store_add_dataset (store, "xmtc", "corpus", "file.txt", params, &error);
  g_assert_no_error (error);
  run = assay_store_add_run (store, ds, "xmtc", "svm", params, "CPU", &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_finish_run (store, run, "done", 1.5, metrics, &error));
  text = query_text (store, "SELECT json_extract(metrics, '$.\"p@1\"') FROM runs");
  g_assert_cmpstr (text, ==, "0.9");
  job = assay_store_add_job (store, "train", "Train", "CPU", &error);
  g_assert_cmpint (job, >, 0);
  g_assert_true (assay_store_finish_job (store, job, "succeeded", NULL, &error));
  g_assert_false (assay_store_get_dataset (store, 999, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  /* Deleting a dataset removes its runs. */
  g_assert_true (assay_store_exec (store, "DELETE FROM datasets", NULL));
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs", -1), ==, 0);
}

/* A job left 'running' by a process that is gone is marked interrupted on open. */
static void
test_interrupted_jobs (void)
{
  g_autofree char *path = assay_test_path ("jobs.assay");
  g_autoptr (AssayStore) store = assay_test_fresh_store ("jobs.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;
  pid_t pid;
  int   wstatus;

  pid = fork ();
  if (pid == 0)
    {
      AssayStore *child = assay_store_open_secondary (path, NULL);
      assay_store_add_job (child, "train", "Train", "CPU", NULL);
      _exit (0);
    }
  waitpid (pid, &wstatus, 0);
  g_clear_object (&store);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  status = query_text (store, "SELECT status FROM jobs");
  g_assert_cmpstr (status, ==, "interrupted");
}

/* A run left 'running' by a process that is gone (a training run killed half-way) is marked
 * interrupted on open; one whose process lives, or whose process is unknown, is not. */
static void
test_interrupted_runs (void)
{
  g_autofree char *path = assay_test_path ("runs-pid.assay");
  g_autoptr (AssayStore) store = assay_test_fresh_store ("runs-pid.assay");
  g_autoptr (GError) error = NULL;
  gint64 alive, unknown;
  pid_t  pid;
  int    wstatus;

  alive = assay_store_add_run (store, 0, "train", "sft", NULL, "CPU", &error);
  unknown = assay_store_add_run (store, 0, "train", "sft", NULL, "CPU", &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_exec (store, "UPDATE runs SET pid = NULL WHERE id = 2", NULL));
  pid = fork ();
  if (pid == 0)
    {
      AssayStore *child = assay_store_open_secondary (path, NULL);
      assay_store_add_run (child, 0, "train", "dpo", NULL, "CPU", NULL);
      _exit (0);
    }
  waitpid (pid, &wstatus, 0);
  g_clear_object (&store);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE kind = 'dpo' AND status = 'interrupted' "
                                                 "AND finished IS NOT NULL", -1), ==, 1);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE status = 'running'", -1), ==, 2);
  g_assert_cmpint (alive, ==, 1);
  g_assert_cmpint (unknown, ==, 2);
}

static void
check_note (AssayStore *store, gint64 id, const char *want)
{
  g_autofree char *text = note_text (store, id);
  g_assert_cmpstr (text, ==, want);
}

static gint64
add_note (AssayStore *store, const char *text)
{
  const char *columns[] = { "text" };
  GVariant   *values[] = { g_variant_new_string (text) };
  g_autoptr (GError) error = NULL;
  gint64 id;

  g_assert_true (assay_store_edit_begin (store, "Add note", &error));
  id = assay_store_edit_insert (store, "notes", columns, values, 1, &error);
  g_assert_true (assay_store_edit_commit (store, &error));
  g_assert_no_error (error);
  return id;
}

static void
set_note (AssayStore *store, gint64 id, const char *label, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (assay_store_edit_begin (store, label, &error));
  g_assert_true (assay_store_edit_update (store, "notes", id, "text", g_variant_new_string (text), &error));
  g_assert_true (assay_store_edit_commit (store, &error));
  g_assert_no_error (error);
}

/* Two sessions on one workspace (the app and a script): each undoes and redoes its own
 * decisions only, and an undo that would throw away the other's later change is refused. */
static void
test_undo_sessions (void)
{
  g_autoptr (AssayStore) app = assay_test_fresh_store ("sessions.assay");
  g_autoptr (AssayStore) cli = assay_store_open (assay_store_get_path (app), NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  gint64 a, b, c;

  g_assert_true (assay_store_exec (app, notes_schema, NULL));
  a = add_note (app, "a0");
  b = add_note (app, "b0");
  c = add_note (app, "c0");
  assay_store_set_session (app, "app");
  assay_store_set_session (cli, "cli");
  g_assert_false (assay_store_can_undo (app)); /* the set-up's entries have no session */

  set_note (app, a, "App edits a", "a1");
  set_note (cli, b, "Script edits b", "b1");
  set_note (app, c, "App edits c", "c1");
  {
    g_autofree char *next = assay_store_dup_undo_label (cli);
    g_assert_cmpstr (next, ==, "Script edits b");
  }

  /* the script's undo takes back b, not the app's later c */
  g_assert_true (assay_store_undo (cli, &label, &error));
  g_assert_cmpstr (label, ==, "Script edits b");
  g_clear_pointer (&label, g_free);
  check_note (app, b, "b0");
  check_note (app, c, "c1");
  g_assert_false (assay_store_can_undo (cli));
  g_assert_true (assay_store_can_redo (cli));
  /* a new app decision keeps the script's redo */
  set_note (app, a, "App edits a again", "a2");
  g_assert_true (assay_store_can_redo (cli));

  /* the script changes c after the app did: the app's undo of c would lose it, so it is refused */
  set_note (cli, c, "Script edits c", "c2");
  g_assert_true (assay_store_undo (app, &label, &error)); /* a2 -> a1 */
  g_assert_cmpstr (label, ==, "App edits a again");
  g_clear_pointer (&label, g_free);
  g_assert_false (assay_store_undo (app, &label, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "App edits c"));
  g_clear_error (&error);
  check_note (app, c, "c2");
  /* once the script takes its change back, the app's undo goes through */
  g_assert_true (assay_store_undo (cli, NULL, &error));
  g_assert_true (assay_store_undo (app, NULL, &error));
  g_assert_no_error (error);
  check_note (app, c, "c0");
  g_assert_true (assay_store_undo (app, NULL, &error));
  check_note (app, a, "a0");
  g_assert_false (assay_store_can_undo (app));
}

/* commits by another connection are noticed, with "datasets" when a dataset was published */
static void
test_check_external (void)
{
  g_autoptr (AssayStore) view = assay_test_fresh_store ("external.assay");
  g_autoptr (AssayStore) other = assay_store_open (assay_store_get_path (view), NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  gint64 id;

  g_signal_connect (view, "changed", G_CALLBACK (changed_cb), seen);
  g_assert_false (assay_store_check_external (view)); /* takes note */
  g_assert_false (assay_store_check_external (view));
  g_assert_true (assay_store_exec (view, notes_schema, NULL)); /* our own commit: not external */
  g_assert_false (assay_store_check_external (view));
  id = assay_store_add_hidden_dataset (other, "gen", "hidden", NULL, NULL, NULL);
  g_assert_true (assay_store_check_external (view));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "gen_records", g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (seen, "datasets", g_str_equal, NULL));
  g_ptr_array_set_size (seen, 0);
  g_assert_true (assay_store_publish_dataset (other, id, NULL));
  g_assert_true (assay_store_check_external (view));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "datasets", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "journal", g_str_equal, NULL));
  g_assert_false (assay_store_check_external (view));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/create", test_create);
  g_test_add_func ("/store/refuse-newer", test_refuse_newer);
  g_test_add_func ("/store/refuse-foreign", test_refuse_foreign);
  g_test_add_func ("/store/migrate-with-backup", test_migrate_with_backup);
  g_test_add_func ("/store/undo-redo-across-reopen", test_undo_redo_across_reopen);
  g_test_add_func ("/store/edit-errors", test_edit_errors);
  g_test_add_func ("/store/changed-signal", test_changed_signal);
  g_test_add_func ("/store/reader-not-blocked", test_reader_not_blocked);
  g_test_add_func ("/store/crash-safety", test_crash_safety);
  g_test_add_func ("/store/bookkeeping", test_bookkeeping);
  g_test_add_func ("/store/interrupted-jobs", test_interrupted_jobs);
  g_test_add_func ("/store/interrupted-runs", test_interrupted_runs);
  g_test_add_func ("/store/undo-sessions", test_undo_sessions);
  g_test_add_func ("/store/check-external", test_check_external);
  return g_test_run ();
}
