/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile input: every reader refuses what it cannot read with one clear line and never crashes
 * (deep nesting, numbers out of range, empty and comment-only files, folders, wrong encodings). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "assay-atomic-file.h"
#include "assay-error.h"
#include "assay-gen-import.h"
#include "assay-gen-query.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-safetensors.h"
#include "assay-test-util.h"
#include "assay-video.h"
#include "assay-xmtc-import.h"

static char *
repeat (const char *unit, guint n)
{
  GString *s = g_string_sized_new (strlen (unit) * n + 1);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

/* Runs assay-cli with args; asserts it exits with 1 and says exactly one line on stderr that
 * holds every string in want (NULL-terminated). */
static void
assert_refused (const char *const *args, const char *const *want)
{
  g_autofree char *err = NULL;
  g_autofree char *joined = g_strjoinv (" ", (char **) args);

  assay_test_cli_json (args, 1, &err);
  g_test_message ("assay-cli %s → %s", joined, err);
  g_assert_true (g_str_has_prefix (err, "assay-cli: "));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_cmpstr (strchr (err, '\n') + 1, ==, ""); /* one line: no CRITICAL or warning before it */
  for (guint i = 0; want[i] != NULL; i++)
    if (strstr (err, want[i]) == NULL)
      g_error ("“%s” lacks “%s”", err, want[i]);
}

static void
test_json_check (void)
{
  g_autofree char *deep_ok = NULL, *deep_bad = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *opened = repeat ("[", ASSAY_JSON_MAX_DEPTH);
  g_autofree char *closed = repeat ("]", ASSAY_JSON_MAX_DEPTH);
  g_autofree char *in_string = NULL;

  deep_ok = g_strconcat (opened, closed, NULL);
  g_assert_true (assay_json_check (deep_ok, -1, &error));
  g_assert_no_error (error);
  deep_bad = g_strconcat ("\n  ", opened, "[", "]", closed, NULL);
  g_assert_false (assay_json_check (deep_bad, -1, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "nested deeper than 512"));
  g_assert_nonnull (strstr (error->message, "line 2, column 515"));
  g_clear_error (&error);

  /* brackets inside strings (with escaped quotes) and comments do not count */
  in_string = g_strconcat ("{\"a\": \"\\\"", opened, opened, "\", /* ", opened, opened,
                           " */ \"b\": 1 // ", opened, opened, "\n}", NULL);
  g_assert_true (assay_json_check (in_string, -1, &error));
  g_assert_no_error (error);

  /* one value per text: json-glib would read the first of two and drop the other */
  for (const char *const *t = (const char *[]) { "{\"a\": 1} {\"b\": 2}", "[1] {}", "\"s\" [1]", "{} \"x\"", NULL }; *t; t++)
    {
      g_assert_false (assay_json_check (*t, -1, &error));
      g_assert_nonnull (strstr (error->message, "a second JSON value"));
      g_clear_error (&error);
    }
  g_assert_true (assay_json_check ("  {\"a\": [1, {\"b\": \"}\"}]}  // end\n", -1, NULL));

  /* numbers: the edges of int64 and double */
  g_assert_true (assay_json_check ("[-9223372036854775808, 9223372036854775807, 1.7e308, 4.9e-324]",
                                   -1, NULL));
  g_assert_false (assay_json_check ("[9223372036854775808]", -1, &error));
  g_assert_nonnull (strstr (error->message, "does not fit in 64 bits (column 2)"));
  g_clear_error (&error);
  g_assert_false (assay_json_check ("{\"x\":\n -1e999}", -1, &error));
  g_assert_nonnull (strstr (error->message, "-1e999 is out of range for a double (line 2, column 2)"));
  g_clear_error (&error);

  /* nothing to parse */
  g_assert_false (assay_json_check ("", 0, &error));
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);
  g_assert_false (assay_json_check ("  // a comment\n /* another */ ", -1, &error));
  g_assert_nonnull (strstr (error->message, "only blanks or comments"));
  g_clear_error (&error);

  /* and json-glib's own errors read "what (line, column)" */
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_assert_false (assay_json_parser_load (parser, "{\"a\": 1,\n \"b\": nope}", -1, &error));
    g_assert_nonnull (strstr (error->message, "(line 2, column"));
    g_assert_null (strstr (error->message, "<data>"));
  }
}

/* 100 000 opening brackets crashed json-glib (stack overflow) in every reader */
static void
test_deep_json_everywhere (void)
{
  g_autofree char *deep = repeat ("[", 100000);
  g_autofree char *deep_row = g_strconcat ("{\"text\": \"a\", \"labels\": ", deep, "}\n", NULL);
  g_autofree char *ws = assay_test_path ("deep.assay");
  g_autofree char *json = assay_test_write_file ("deep.json", deep);
  g_autofree char *jsonl = assay_test_write_file ("deep.jsonl", deep_row);
  g_autofree char *model = assay_test_path ("deep-model");
  g_autofree char *config = NULL, *st = NULL;
  const char *const want[] = { "nested deeper than 512 levels", NULL };

  assert_refused ((const char *[]){ "gen", "import", "-w", ws, json, NULL }, want);
  assert_refused ((const char *[]){ "gen", "import", "-w", ws, jsonl, NULL }, want);
  assert_refused ((const char *[]){ "xmtc", "import", "-w", ws, jsonl, NULL }, want);
  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, json, NULL }, want);
  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, "--format", "jsonl", jsonl, NULL }, want);
  assert_refused ((const char *[]){ "video", "import", "-w", ws, jsonl, NULL }, want);
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, jsonl, NULL }, want);

  g_assert_cmpint (g_mkdir_with_parents (model, 0755), ==, 0);
  config = g_build_filename (model, "config.json", NULL);
  g_assert_true (g_file_set_contents (config, deep, -1, NULL));
  assert_refused ((const char *[]){ "lm", "info", model, NULL }, want);

  /* a safetensors header of 100 001 "[" */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GByteArray) file = g_byte_array_new ();
    guint64 n = 100001;
    AssaySafetensors *s;

    for (int i = 0; i < 8; i++)
      g_byte_array_append (file, (guint8[]){ (guint8) (n >> (8 * i)) }, 1);
    for (guint64 i = 0; i < n; i++)
      g_byte_array_append (file, (const guint8 *) "[", 1);
    st = g_build_filename (model, "model.safetensors", NULL);
    g_assert_true (g_file_set_contents (st, (const char *) file->data, file->len, NULL));
    s = assay_safetensors_open (st, &error);
    g_assert_null (s);
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "nested deeper than 512 levels"));
  }
}

static void
test_numbers_in_generations (void)
{
  g_autofree char *ws = assay_test_path ("numbers.assay");
  g_autofree char *inf = assay_test_write_file (
    "inf.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"x\": 1e999}\n");
  g_autofree char *big = assay_test_write_file (
    "big.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"x\": 99999999999999999999}\n");
  g_autofree char *ok = assay_test_write_file (
    "numbers.jsonl",
    "{\"prompt\": \"p\", \"chosen\": 0.1, \"rejected\": 72, \"x\": 1.5e300, \"y\": -9223372036854775808}\n");
  g_autoptr (JsonObject) imported = NULL, list = NULL;
  JsonObject *record;
  g_autoptr (JsonObject) extra = NULL;

  assert_refused ((const char *[]){ "gen", "import", "-w", ws, inf, NULL },
                  (const char *[]){ "inf.jsonl: line 1", "1e999 is out of range", NULL });
  assert_refused ((const char *[]){ "gen", "import", "-w", ws, big, NULL },
                  (const char *[]){ "big.jsonl: line 1", "99999999999999999999 does not fit in 64 bits", NULL });

  imported = assay_test_cli_json ((const char *[]){ "gen", "import", "-w", ws, ok, "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (imported, "imported"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (imported, "numbers_as_text"), ==, 2);
  list = assay_test_cli_json ((const char *[]){ "gen", "list", "-w", ws, "--json", NULL }, 0, NULL);
  record = json_array_get_object_element (json_object_get_array_member (list, "records"), 0);
  g_assert_cmpstr (json_object_get_string_member (record, "text"), ==, "0.1"); /* not 0.10000000000000001 */
  g_assert_cmpstr (json_object_get_string_member (record, "rejected"), ==, "72");
}

static void
test_trace_import_says_what_is_wrong (void)
{
  g_autofree char *ws = assay_test_path ("traces.assay");
  g_autofree char *empty = assay_test_write_file ("empty.jsonl", "");
  g_autofree char *blank = assay_test_write_file ("blank.jsonl", "\n  \n");
  g_autofree char *garbage = assay_test_write_file ("garbage.jsonl", "garbage\n");
  g_autofree char *latin1 = assay_test_write_file ("latin1.jsonl", "{\"question\": \"caf\xe9\"}\n");
  g_autofree char *nan = assay_test_write_file ("nan.jsonl", "{\"question\": NaN}\n");
  g_autofree char *numbers = assay_test_write_file ("numbers.json", "[1, 2]");
  g_autofree char *folder = assay_test_path ("a-folder");
  g_autofree char *missing = assay_test_path ("missing.jsonl");

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, empty, NULL },
                  (const char *[]){ "empty.jsonl: no rows (the file is empty)", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, blank, NULL },
                  (const char *[]){ "blank.jsonl: no rows", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, garbage, NULL },
                  (const char *[]){ "garbage.jsonl: line 1: not a JSON object", "garbage", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, latin1, NULL },
                  (const char *[]){ "latin1.jsonl: line 1: not UTF-8 text", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, nan, NULL },
                  (const char *[]){ "nan.jsonl: line 1: not a JSON object", "NaN", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, numbers, NULL },
                  (const char *[]){ "numbers.json: a JSON array whose first item is not an object", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, folder, NULL },
                  (const char *[]){ "a-folder: a folder, not a JSONL or JSON file", NULL });
  assert_refused ((const char *[]){ "traces", "import", "-w", ws, missing, NULL },
                  (const char *[]){ "missing.jsonl: no such file", NULL });
}

static void
test_series_without_values (void)
{
  g_autofree char *ws = assay_test_path ("series.assay");
  g_autofree char *nulls = assay_test_write_file (
    "nulls.json", "{\"name\": \"all-null\", \"n_obs\": 3, \"time\": {\"index\": [0, 1, 2]}, "
                  "\"series\": [{\"label\": \"V1\", \"type\": \"float\", \"raw\": [null, null, null]}]}");
  g_autofree char *header = assay_test_write_file ("header.csv", "time,a,b\n");
  g_autofree char *one = assay_test_write_file ("one.csv", "time,a,b\n0,1,2\n");
  g_autofree char *empty = assay_test_write_file ("empty.json", "");
  g_autofree char *comment = assay_test_write_file ("comment.jsonl", "// nothing here\n");

  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, nulls, NULL },
                  (const char *[]){ "nulls.json", "every value of V1 is missing", NULL });
  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, header, NULL },
                  (const char *[]){ "header.csv", "has 0 steps", NULL });
  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, one, NULL },
                  (const char *[]){ "one.csv", "has 1 step;", NULL });
  assert_refused ((const char *[]){ "cpd", "import", "-w", ws, empty, NULL },
                  (const char *[]){ "empty.json", "empty, no JSON value", NULL });
  assert_refused ((const char *[]){ "xmtc", "import", "-w", ws, comment, NULL },
                  (const char *[]){ "comment.jsonl:1", "only blanks or comments", NULL });
  assert_refused ((const char *[]){ "gen", "import", "-w", ws, comment, NULL },
                  (const char *[]){ "comment.jsonl: line 1", "only blanks or comments", NULL });
  /* nothing of it was kept */
  {
    g_autoptr (JsonObject) info = assay_test_cli_json (
      (const char *[]){ "cpd", "list", "-w", ws, "--json", NULL }, 0, NULL);
    g_assert_nonnull (info);
  }
}

static void
test_config_sizes (void)
{
  g_autofree char *model = assay_test_path ("huge-model");
  g_autofree char *config = g_build_filename (model, "config.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (model, 0755), ==, 0);
  g_assert_true (g_file_set_contents (
    config,
    "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": 1099511627776,"
    " \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 8,"
    " \"vocab_size\": 16}", -1, NULL));
  assert_refused ((const char *[]){ "lm", "info", model, NULL },
                  (const char *[]){ "“hidden_size” is 1099511627776", "up to 1073741824", NULL });
}

static void
test_atomic_file (void)
{
  g_autofree char *target = assay_test_write_file ("atomic.txt", "old");
  g_autofree char *victim = assay_test_write_file ("atomic-victim.txt", "precious");
  g_autofree char *link = assay_test_path ("atomic-link.txt");
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  /* abandoned: the target keeps what it had */
  {
    g_autoptr (AssayAtomicFile) f = assay_atomic_file_new (target, &error);
    g_assert_no_error (error);
    fputs ("half written", assay_atomic_file_get_stream (f));
  }
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "old");
  g_clear_pointer (&contents, g_free);

  /* committed onto a link: the link is replaced, its target untouched */
  g_assert_cmpint (symlink (victim, link), ==, 0);
  {
    g_autoptr (AssayAtomicFile) f = assay_atomic_file_new (link, &error);
    g_assert_no_error (error);
    fputs ("new", assay_atomic_file_get_stream (f));
    g_assert_true (assay_atomic_file_commit (f, &error));
    g_assert_no_error (error);
  }
  g_assert_false (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (link, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "new");
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "precious");

  /* a folder, or a folder that does not exist: an error naming the path */
  g_assert_null (assay_atomic_file_new (assay_test_tmpdir (), &error));
  g_assert_nonnull (strstr (error->message, "is a folder"));
  g_clear_error (&error);
  {
    g_autofree char *nowhere = assay_test_path ("no-such-folder/out.jsonl");
    g_assert_null (assay_atomic_file_new (nowhere, &error));
    g_assert_nonnull (strstr (error->message, "no-such-folder/out.jsonl"));
    g_clear_error (&error);
  }

  /* no temporary file is left behind */
  dir = g_dir_open (assay_test_tmpdir (), 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, ".atomic"));
}

/* Three processes creating one new workspace at once: SQLite answered "busy" to the switch to
 * WAL without waiting, and 2–6 of 20 such races failed. */
static void
test_create_race (void)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");

  for (guint round = 0; round < 30; round++)
    {
      g_autofree char *name = g_strdup_printf ("race-%u.assay", round);
      g_autofree char *ws = assay_test_path (name);
      GSubprocess *p[3];

      for (guint i = 0; i < G_N_ELEMENTS (p); i++)
        {
          g_autoptr (GError) error = NULL;
          p[i] = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                   &error, cli, "info", "-w", ws, NULL);
          g_assert_no_error (error);
        }
      for (guint i = 0; i < G_N_ELEMENTS (p); i++)
        {
          g_autofree char *err = NULL;
          g_autoptr (GError) error = NULL;
          g_subprocess_communicate_utf8 (p[i], NULL, NULL, NULL, &err, &error);
          g_assert_no_error (error);
          if (!g_subprocess_get_successful (p[i]))
            g_error ("round %u, process %u: %s", round, i, err);
          g_object_unref (p[i]);
        }
    }
}

/* The job's closing update waits out another writer's lock instead of leaving the job
 * "running" (to be called "interrupted" on the next open). */
typedef struct
{
  AssayStore *holder;
  guint       hold_ms;
} Holder;

static gpointer
release_later (gpointer data)
{
  Holder *h = data;

  g_usleep (h->hold_ms * 1000);
  g_assert_true (assay_store_commit (h->holder, NULL));
  return NULL;
}

static void
test_job_end_waits_for_lock (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("job-lock.assay");
  g_autoptr (AssayStore) other = assay_store_open (assay_store_get_path (store), NULL);
  g_autoptr (GError) error = NULL;
  gint64  job;
  Holder  h = { other, 1200 };
  GThread *thread;
  sqlite3_stmt *stmt;

  g_assert_nonnull (other);
  job = assay_store_add_job (store, "test", "A job", "CPU", &error);
  g_assert_no_error (error);
  assay_store_set_busy_timeout (store, 100);
  g_assert_true (assay_store_begin (other, &error)); /* BEGIN IMMEDIATE: the write lock */
  thread = g_thread_new ("holder", release_later, &h);
  g_assert_true (assay_store_finish_job (store, job, "succeeded", NULL, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  stmt = assay_store_prepare (store, "SELECT status FROM jobs WHERE id = ?", &error);
  sqlite3_bind_int64 (stmt, 1, job);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "succeeded");
  sqlite3_reset (stmt);
}

/* A JSONL file of n generated pairs */
static char *
write_pairs (const char *name, guint n)
{
  g_autofree char *path = assay_test_path (name);
  FILE *f = fopen (path, "w");

  g_assert_nonnull (f);
  for (guint i = 0; i < n; i++)
    fprintf (f, "{\"prompt\": \"question %u about the weather in town %u\", \"chosen\": \"a careful "
                "answer number %u that explains the reasoning step by step\", \"rejected\": \"a hasty "
                "answer %u\"}\n", i, i % 97, i, i);
  g_assert_cmpint (fclose (f), ==, 0);
  return g_steal_pointer (&path);
}

static gint64
count_rows (const char *ws, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (ws, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

typedef struct
{
  char     *ws;
  char     *path;
  gboolean  ok;
  gint64    dataset;
  gint      done;
} ImportRun;

static gpointer
import_thread (gpointer data)
{
  ImportRun *run = data;
  g_autoptr (AssayStore) store = assay_store_open (run->ws, NULL);
  g_autoptr (GError) error = NULL;
  AssayGenImportResult r;

  run->ok = assay_gen_import (store, run->path, NULL, &r, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  run->dataset = r.dataset;
  g_atomic_int_set (&run->done, 1);
  return NULL;
}

/* A long import commits in chunks into a hidden dataset: another connection's decisions get
 * in within a 1 s wait (the whole import held the lock before), and no list shows the
 * import's records until it is complete. */
static void
test_import_interleaves (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("interleave.assay");
  g_autofree char *small = write_pairs ("interleave-small.jsonl", 1);
  g_autoptr (GError) error = NULL;
  AssayGenImportResult r;
  ImportRun run = { 0 };
  GThread  *thread;
  guint     decisions = 0, hidden_seen = 0;

  g_assert_true (assay_gen_import (store, small, NULL, &r, NULL, NULL, NULL, &error));
  run.ws = g_strdup (assay_store_get_path (store));
  run.path = write_pairs ("interleave-big.jsonl", 60000);
  assay_store_set_busy_timeout (store, 1000);
  thread = g_thread_new ("import", import_thread, &run);
  while (!g_atomic_int_get (&run.done))
    {
      g_autoptr (GArray) ids = NULL;
      AssayGenFilter filter = { 0 };

      filter.status = -1;
      g_assert_true (assay_gen_set_status (store, 1, decisions % 2 ? ASSAY_GEN_ACCEPTED : ASSAY_GEN_REJECTED,
                                           &error));
      g_assert_no_error (error);
      decisions++;
      if (count_rows (run.ws, "SELECT count(*) FROM datasets WHERE importing IS NOT NULL") == 1)
        {
          hidden_seen++;
          ids = assay_gen_query_ids (store, &filter, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (ids->len, ==, 1); /* the imported chunks are not listed */
        }
      g_usleep (20000);
    }
  g_thread_join (thread);
  g_assert_true (run.ok);
  g_test_message ("%u decisions during the import, %u while its dataset was hidden", decisions, hidden_seen);
  g_assert_cmpuint (hidden_seen, >=, 3);
  g_assert_cmpint (count_rows (run.ws, "SELECT count(*) FROM datasets WHERE importing IS NOT NULL"), ==, 0);
  g_assert_cmpint (count_rows (run.ws, "SELECT count(*) FROM gen_records"), ==, 60001);
  g_free (run.ws);
  g_free (run.path);
}

/* Kills an assay-cli import once its hidden dataset exists; the next open removes it whole. */
static void
kill_mid_import (const char *ws, const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                         | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  gint64 give_up = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_assert_no_error (error);
  while (count_rows (ws, "SELECT count(*) FROM datasets WHERE importing IS NOT NULL") < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_usleep (5000);
    }
  g_usleep (g_random_int_range (0, 200000));
  g_subprocess_force_exit (p);
  g_subprocess_wait (p, NULL, NULL);
  g_assert_true (g_subprocess_get_if_signaled (p));
}

static void
test_killed_imports_leave_nothing (void)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *ws = assay_test_path ("killed.assay");
  g_autofree char *big = write_pairs ("killed.jsonl", 40000);
  const char *data = assay_test_shared_data ();
  g_autoptr (JsonObject) o = NULL;

  o = assay_test_cli_json ((const char *[]){ "info", "-w", ws, "--json", NULL }, 0, NULL);
  for (guint i = 0; i < 3; i++)
    {
      kill_mid_import (ws, (const char *[]){ cli, "gen", "import", "-w", ws, big, NULL });
      kill_mid_import (ws, (const char *[]){ cli, "traces", "import", "-w", ws, big, NULL });
    }
  /* the next command removes what the killed imports left */
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "info", "-w", ws, "--json", NULL }, 0, NULL);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM datasets"), ==, 0);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_records"), ==, 0);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_fts"), ==, 0);

  if (data != NULL)
    {
      g_autofree char *videos = g_build_filename (data, "video", NULL);
      for (guint i = 0; i < 3; i++)
        kill_mid_import (ws, (const char *[]){ cli, "video", "import", "-w", ws, videos, NULL });
      g_clear_pointer (&o, json_object_unref);
      o = assay_test_cli_json ((const char *[]){ "video", "import", "-w", ws, videos, "--count", "3", "--json", NULL },
                               0, NULL);
      g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM datasets"), ==, 1); /* the rerun's, alone */
      g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM videos"), ==, 2);
    }
  {
    sqlite3 *db = NULL;
    char   **table = NULL;
    int      rows, cols;
    g_assert_cmpint (sqlite3_open (ws, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_get_table (db, "PRAGMA integrity_check", &table, &rows, &cols, NULL), ==, SQLITE_OK);
    g_assert_cmpstr (table[1], ==, "ok");
    sqlite3_free_table (table);
    sqlite3_close (db);
  }
}

/* video import of inputs none of which can be read fails with every reason, and keeps nothing */
static void
test_video_nothing_readable (void)
{
  g_autofree char *ws = assay_test_path ("videos-broken.assay");
  g_autofree char *empty = assay_test_write_file ("empty.mp4", "");
  g_autofree char *garbage = assay_test_write_file ("garbage.mkv", "not a video at all, just text");
  g_autofree char *rows = assay_test_write_file ("no-rows.jsonl", "\n");
  g_autofree char *folder = assay_test_path ("no-videos-here");

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  assert_refused ((const char *[]){ "video", "import", "-w", ws, empty, garbage, rows, folder, NULL },
                  (const char *[]){ "Nothing could be read", "empty.mp4: ", "garbage.mkv: ",
                                    "no-rows.jsonl: no rows", "no-videos-here: no video files", NULL });
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM datasets"), ==, 0);
}

/* A 1.9 KB WebM whose stream says 32x24 while its second key frame says 9600x9525 (found by the
 * video-probe fuzz target: 365 MB of RGBA for one frame, the peak memory the fuzzer saw grow to
 * 1.5 GB). Decoders refuse frames past 8K; whatever decodes is at most that size. */
static void
test_video_huge_frames (void)
{
  g_autofree char *path = assay_test_source_path ("tests/fuzz/seeds/video/huge-frame-vp8.webm");
  g_autoptr (GError) error = NULL;
  AssayVideoInfo *info = assay_video_probe (path, -1, &error);
  GPtrArray      *frames;
  gint64          all[2] = { 0, 1 };

  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpint (info->frames, ==, 2);
  frames = assay_video_decode_frames (info, all, 2, NULL, &error);
  if (frames != NULL)
    {
      for (guint i = 0; i < frames->len; i++)
        {
          const AssayVideoFrame *f = frames->pdata[i];
          g_assert_cmpint ((gint64) f->width * f->height, <=, 8192 * 4352);
        }
      g_ptr_array_unref (frames);
    }
  else
    g_assert_nonnull (strstr (error->message, "huge-frame-vp8.webm"));
  assay_video_info_free (info);
}

/* Runs assay-cli as a user who may not write the workspace: as root (CI), through setpriv as
 * nobody; else as ourselves. Returns the exit status; stdout and stderr in out and err. */
static int
run_unprivileged (const char *const *args, char **out, char **err)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  if (getuid () == 0)
    {
      for (const char *const *a = (const char *[]){ "setpriv", "--reuid=65534", "--regid=65534",
                                                    "--clear-groups", NULL }; *a; a++)
        g_ptr_array_add (argv, (char *) *a);
    }
  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return assay_test_spawn ((const char *const *) argv->pdata, out, err);
}

/* A workspace the user may not write is opened read-only: lists and exports work, decisions
 * and imports say why they cannot (it was refused as "not an Assay workspace"). */
static void
test_read_only_workspace (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-ro-XXXXXX", NULL);
  g_autofree char *outdir = g_dir_make_tmp ("assay-ro-out-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "shared.assay", NULL);
  g_autofree char *export = g_build_filename (outdir, "accepted.jsonl", NULL);
  g_autofree char *pairs = write_pairs ("ro-pairs.jsonl", 5);
  g_autofree char *out = NULL, *err = NULL, *exported = NULL;
  g_autoptr (JsonObject) o = NULL;

  if (getuid () == 0 && !g_find_program_in_path ("setpriv"))
    {
      g_test_skip ("running as root without setpriv: no user to be refused writing");
      return;
    }
  o = assay_test_cli_json ((const char *[]){ "gen", "import", "-w", ws, pairs, "--json", NULL }, 0, NULL);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "gen", "review", "-w", ws, "--id", "2", "--accept", NULL }, 0, NULL);
  g_assert_cmpint (g_chmod (pairs, 0644), ==, 0);
  g_assert_cmpint (g_chmod (ws, 0444), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  g_assert_cmpint (g_chmod (outdir, 0777), ==, 0);

  g_assert_cmpint (run_unprivileged ((const char *[]){ "info", "-w", ws, "--json", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\"read_only\":true"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_unprivileged ((const char *[]){ "gen", "list", "-w", ws, "--json", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\"total\":5"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_unprivileged ((const char *[]){ "gen", "export", "-w", ws, "--format", "trl-dpo",
                                                       "--status", "accepted", export, NULL }, &out, &err), ==, 0);
  g_assert_true (g_file_get_contents (export, &exported, NULL, NULL));
  g_assert_nonnull (strstr (exported, "question 1 about"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_unprivileged ((const char *[]){ "gen", "review", "-w", ws, "--id", "1", "--reject", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "is open read-only"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *readable = g_build_filename (outdir, "more.jsonl", NULL);
    g_autofree char *rows = NULL;
    g_assert_true (g_file_get_contents (pairs, &rows, NULL, NULL));
    g_assert_true (g_file_set_contents (readable, rows, -1, NULL));
    g_chmod (readable, 0644);
    g_assert_cmpint (run_unprivileged ((const char *[]){ "gen", "import", "-w", ws, readable, NULL }, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "is open read-only"));
    g_remove (readable);
  }

  g_chmod (dir, 0755);
  g_chmod (ws, 0644);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_records WHERE status = 'pending'"), ==, 4);
  g_remove (ws);
  g_remove (export);
  g_rmdir (dir);
  g_rmdir (outdir);
}

/* Two review loops and two imports at once, each an assay-cli process per command: every
 * command succeeds and every decision and record is there. */
static void
test_writers_at_once (void)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *ws = assay_test_path ("at-once.assay");
  g_autofree char *small = write_pairs ("at-once-small.jsonl", 200);
  g_autofree char *a = write_pairs ("at-once-a.jsonl", 30000);
  g_autofree char *b = write_pairs ("at-once-b.jsonl", 20000);
  g_autoptr (GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (JsonObject) o = NULL;

  o = assay_test_cli_json ((const char *[]){ "gen", "import", "-w", ws, small, "--json", NULL }, 0, NULL);
  for (guint loop = 0; loop < 2; loop++)
    {
      /* loop 0 accepts the odd records 1..79, loop 1 rejects the even ones 2..80 */
      g_autofree char *script = g_strdup_printf (
        "for i in $(seq %u 2 80); do \"$0\" gen review -w \"$1\" --id $i %s || exit 1; done",
        loop + 1, loop == 0 ? "--accept" : "--reject");
      g_autoptr (GError) error = NULL;
      g_ptr_array_add (procs, g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                &error, "sh", "-c", script, cli, ws, NULL));
      g_assert_no_error (error);
    }
  for (const char *const *f = (const char *[]){ a, b, NULL }; *f; f++)
    {
      g_autoptr (GError) error = NULL;
      g_ptr_array_add (procs, g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                &error, cli, "gen", "import", "-w", ws, *f, NULL));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < procs->len; i++)
    {
      g_autofree char *err = NULL;
      g_subprocess_communicate_utf8 (procs->pdata[i], NULL, NULL, NULL, &err, NULL);
      if (!g_subprocess_get_successful (procs->pdata[i]))
        g_error ("writer %u failed: %s", i, err);
    }
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_records"), ==, 200 + 30000 + 20000);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_records WHERE id <= 80 AND id % 2 = 1 "
                                   "AND status = 'accepted'"), ==, 40);
  g_assert_cmpint (count_rows (ws, "SELECT count(*) FROM gen_records WHERE id <= 80 AND id % 2 = 0 "
                                   "AND status = 'rejected'"), ==, 40);
}

/* video pairs with no pair to make: an error saying why, and no empty file */
static void
test_video_pairs_nothing (void)
{
  g_autofree char *ws = assay_test_path ("no-pairs.assay");
  g_autofree char *out = assay_test_path ("no-pairs.jsonl");
  g_autofree char *rows = assay_test_write_file (
    "all-good.jsonl",
    "{\"id\": \"a\", \"video\": \"a.mp4\", \"prompt\": \"What happens?\", \"response\": \"A cat sleeps.\", \"score\": 4}\n"
    "{\"id\": \"a\", \"video\": \"a.mp4\", \"prompt\": \"What happens?\", \"response\": \"A cat naps.\", \"score\": 5}\n");
  g_autoptr (JsonObject) o = NULL;

  o = assay_test_cli_json ((const char *[]){ "video", "import", "-w", ws, rows, "--json", NULL }, 0, NULL);
  assert_refused ((const char *[]){ "video", "pairs", "-w", ws, out, NULL },
                  (const char *[]){ "No preference pairs to export", NULL });
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* An XC file without documents whose header counts 11 million labels: refused as "no documents"
 * without first naming every label (it took 10 s and over 1 GB; found by the xmtc-import fuzz
 * target). The import runs in a child whose peak memory is checked. */
static void
test_xc_empty_huge_header (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = assay_test_write_file ("huge-header.xc", "0 4 11111111\n");
      g_autoptr (AssayStore) store = assay_test_fresh_store ("huge-header.assay");
      g_autoptr (GError) error = NULL;
      AssayXmtcImportResult r;
      AssayXmtcImportOptions o;
      struct rusage ru;

      assay_xmtc_import_options_init (&o);
      o.format = ASSAY_XMTC_FORMAT_XC;
      g_assert_false (assay_xmtc_import (store, path, &o, &r, NULL, NULL, NULL, &error));
      g_assert_nonnull (strstr (error->message, "no documents"));
      g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
      g_test_message ("peak RSS %ld KB", ru.ru_maxrss);
      /* 6 MB here; the old code: 462 MB. (Under ASan the peak says more about ASan than about
       * the import: the plain build of the suite holds the bound.) */
#if !defined(__SANITIZE_ADDRESS__)
      g_assert_cmpint (ru.ru_maxrss, <, 100 * 1024);
#endif
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Numbers in exponent form are written as JSON (json-glib alone writes "1e-10.0"), and a string
 * that looks like one is left as it is. */
static void
test_json_exponents (void)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) back = NULL;

  json_object_set_double_member (o, "small", 1e-10);
  json_object_set_double_member (o, "big", -2.5e300);
  json_object_set_double_member (o, "plain", 0.5);
  json_object_set_string_member (o, "text", "1e-10.0 stays");
  text = assay_json_object_to_string (o, FALSE);
  g_assert_nonnull (strstr (text, "\"1e-10.0 stays\""));
  g_assert_null (strstr (text, "e-10.0,"));
  back = assay_json_object_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (back, "small"), ==, 1e-10);
  g_assert_cmpfloat (json_object_get_double_member (back, "big"), ==, -2.5e300);
  g_assert_cmpfloat (json_object_get_double_member (back, "plain"), ==, 0.5);
}

/* Text with every control character (U+0001 .. U+001F: a model's byte tokens write them) comes
 * out of --json and the TRL export as strict JSON: json-glib leaves U+001F raw in strings. */
static void
test_json_control_characters (void)
{
  g_autofree char *ws = assay_test_path ("controls.assay");
  g_autofree char *export = assay_test_path ("controls.jsonl");
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  GString         *text = g_string_new ("");
  g_autofree char *input = NULL, *out = NULL, *exported = NULL;

  g_remove (ws);
  for (int c = 1; c < 0x20; c++)
    g_string_append_printf (text, "\\u%04x", c);
  g_string_prepend (text, "{\"id\": \"a\", \"prompt\": \"p\", \"text\": \"x");
  g_string_append (text, "y\"}\n");
  input = assay_test_write_file ("controls.jsonl.in", text->str);
  g_assert_nonnull (assay_test_cli_json ((const char *[]) { "gen", "import", "-w", ws, input, "--map",
                                                            "ext_id=id,prompt=prompt,text=text", "--json", NULL }, 0, NULL));
  g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "gen", "list", "-w", ws, "--json", NULL }, &out, NULL), ==, 0);
  g_assert_nonnull (assay_test_cli_json ((const char *[]) { "gen", "export", "-w", ws, "--format", "sft", export,
                                                            "--json", NULL }, 0, NULL));
  g_assert_true (g_file_get_contents (export, &exported, NULL, NULL));
  for (const char *t = out; *t; t++)
    if ((guchar) *t < 0x20)
      g_assert_cmpint (*t, ==, '\n');
  for (const char *t = exported; *t; t++)
    if ((guchar) *t < 0x20)
      g_assert_cmpint (*t, ==, '\n');
  g_assert_nonnull (strstr (out, "\\u001f"));
  g_assert_nonnull (strstr (exported, "\\u001f"));
  g_string_free (text, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hardening/json-check", test_json_check);
  g_test_add_func ("/hardening/json-exponents", test_json_exponents);
  g_test_add_func ("/hardening/deep-json-everywhere", test_deep_json_everywhere);
  g_test_add_func ("/hardening/numbers-in-generations", test_numbers_in_generations);
  g_test_add_func ("/hardening/trace-import-errors", test_trace_import_says_what_is_wrong);
  g_test_add_func ("/hardening/series-without-values", test_series_without_values);
  g_test_add_func ("/hardening/config-sizes", test_config_sizes);
  g_test_add_func ("/hardening/atomic-file", test_atomic_file);
  g_test_add_func ("/hardening/create-race", test_create_race);
  g_test_add_func ("/hardening/job-end-waits-for-lock", test_job_end_waits_for_lock);
  g_test_add_func ("/hardening/import-interleaves", test_import_interleaves);
  g_test_add_func ("/hardening/killed-imports-leave-nothing", test_killed_imports_leave_nothing);
  g_test_add_func ("/hardening/video-nothing-readable", test_video_nothing_readable);
  g_test_add_func ("/hardening/video-huge-frames", test_video_huge_frames);
  g_test_add_func ("/hardening/xc-empty-huge-header", test_xc_empty_huge_header);
  g_test_add_func ("/hardening/read-only-workspace", test_read_only_workspace);
  g_test_add_func ("/hardening/writers-at-once", test_writers_at_once);
  g_test_add_func ("/hardening/video-pairs-nothing", test_video_pairs_nothing);
  g_test_add_func ("/hardening/json-control-characters", test_json_control_characters);
  return g_test_run ();
}
