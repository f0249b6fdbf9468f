/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli as users and scripts call it: exit statuses, JSON, no display needed. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "assay-test-util.h"

static char *cli;

static int
run_cli (char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list     args;
  const char *arg;

  g_ptr_array_add (argv, cli);
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return assay_test_spawn ((const char *const *) argv->pdata, out, err);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_info_without_display (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *ws = assay_test_path ("info.assay");
  g_autoptr (JsonObject) info = NULL;

  g_assert_null (g_getenv ("DISPLAY"));
  g_assert_cmpint (run_cli (&out, &err, "info", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Backend: "));
  g_assert_nonnull (strstr (out, "Workspace format: "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (&out, &err, "info", "-w", ws, "--json", NULL), ==, 0);
  g_assert_cmpuint (strlen (err), ==, 0);
  info = parse_object (out);
  g_assert_true (json_object_has_member (info, "version"));
  g_assert_cmpint (json_object_get_int_member (info, "schema_version"), ==,
                   json_object_get_int_member (info, "latest_schema_version"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (info, "backend"), "CPU: ")
                 || g_str_has_prefix (json_object_get_string_member (info, "backend"), "CUDA: "));
  g_assert_cmpstr (json_object_get_string_member (info, "workspace"), ==, ws);
  g_assert_true (g_file_test (ws, G_FILE_TEST_EXISTS));
}

static void
test_usage_errors (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (&out, &err, NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "nonsense", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "nonsense"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "info", "--no-such-option", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "info", "--backend", "tpu", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "undo", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&out, &err, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Usage"));
}

static void
test_failures_one_line (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *ws = assay_test_path ("empty-journal.assay");
  g_autofree char *garbage = assay_test_path ("garbage.assay");

  g_assert_cmpint (run_cli (&out, &err, "undo", "-w", ws, NULL), ==, 1);
  g_assert_cmpstr (err, ==, "assay-cli: Nothing to undo\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_file_set_contents (garbage, "not a workspace, just some text that is long enough to be read"
                                " as a header by SQLite and rejected................",
                       -1, NULL);
  g_assert_cmpint (run_cli (&out, &err, "info", "-w", garbage, NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "assay-cli: "));
  g_assert_nonnull (strstr (err, "garbage.assay"));
  g_assert_nonnull (strstr (err, "not an Assay workspace"));
  g_assert_cmpint ((int) (strchr (err, '\n') - err), ==, (int) strlen (err) - 1);
}

/* datasets and runs across areas: list, rename (undoable), delete; a run id of another area
 * is named for what it is */
static void
test_datasets_and_runs (void)
{
  g_autofree char *ws = assay_test_path ("datasets.assay");
  g_autofree char *rows = assay_test_write_file ("datasets.jsonl",
    "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"q\", \"chosen\": \"c\", \"rejected\": \"d\"}\n");
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) o = NULL;
  JsonArray *a;
  gint64 run, cpd;

  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "gen", "import", "-w", ws, rows, "--json", NULL }, 0, NULL);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "cpd", "simulate", "-w", ws, "--type", "connection", "--count", "3",
                                             "--seed", "1", "--json", NULL }, 0, NULL);
  cpd = json_object_get_int_member (o, "dataset");
  g_clear_pointer (&o, json_object_unref);
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cpd);
    o = assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", id, "--json", NULL }, 0, NULL);
    run = json_object_get_int_member (o, "run");
  }
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "datasets", "list", "-w", ws, "--json", NULL }, 0, NULL);
  a = json_object_get_array_member (o, "datasets");
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (a, 0), "area"), ==, "gen");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, 0), "rows"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, 1), "rows"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, 1), "runs"), ==, 1);

  /* a change-point run given to a label-model verb says what it is */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, run);
    assay_test_cli_json ((const char *[]){ "xmtc", "eval", "-w", ws, "--run", id, NULL }, 1, &err);
    g_assert_nonnull (strstr (err, "is a change-point run (cord)"));
    g_clear_pointer (&err, g_free);
  }
  /* rename, undone */
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "datasets", "rename", "-w", ws, "--id", "1", "--name", "reviewed pairs",
                                             "--json", NULL }, 0, NULL);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "datasets", "list", "-w", ws, "--json", NULL }, 0, NULL);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (o, "datasets"), 0), "name"),
                   ==, "reviewed pairs");
  assay_test_cli_json ((const char *[]){ "undo", "-w", ws, NULL }, 0, NULL);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "datasets", "list", "-w", ws, "--json", NULL }, 0, NULL);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (o, "datasets"), 0), "name"),
                   ==, "datasets.jsonl");
  /* delete: the series and the run go with it */
  g_clear_pointer (&o, json_object_unref);
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cpd);
    o = assay_test_cli_json ((const char *[]){ "datasets", "delete", "-w", ws, "--id", id, "--json", NULL }, 0, NULL);
  }
  g_assert_cmpint (json_object_get_int_member (o, "rows"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "runs"), ==, 1);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "runs", "list", "-w", ws, "--json", NULL }, 0, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "runs")), ==, 0);
  assay_test_cli_json ((const char *[]){ "datasets", "delete", "-w", ws, "--id", "99", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "No dataset 99"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "runs", "delete", "-w", ws, "--id", "99", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "No run 99"));
}

/* cpd train, then score and eval with the learned model; its usage errors */
static void
test_cpd_learned (void)
{
  g_autofree char *ws = assay_test_path ("cpd-learned.assay");
  g_autofree char *err = NULL, *model_id = NULL, *run_id = NULL;
  g_autoptr (JsonObject) o = NULL;

  g_remove (ws);
  o = assay_test_cli_json ((const char *[]){ "cpd", "simulate", "-w", ws, "--type", "velocity", "--count", "6",
                                             "--seed", "2", "--json", NULL }, 0, NULL);
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "cpd", "train", "-w", ws, "--dataset", "1", "--epochs", "1", "--hidden", "8",
                                             "--msg-hidden", "8", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (o, "epochs"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "train_windows"), ==, 5);
  model_id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "model"));
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", "1", "--detector", "cord-learned",
                                             "--model", model_id, "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (o, "series"), ==, 6);
  run_id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (o, "run"));
  g_clear_pointer (&o, json_object_unref);
  o = assay_test_cli_json ((const char *[]){ "cpd", "eval", "-w", ws, "--run", run_id, "--burn-in", "25", "--json", NULL },
                           0, NULL);
  g_assert_cmpstr (json_object_get_string_member (o, "detector"), ==, "cord-learned");
  g_assert_true (json_object_has_member (json_object_get_object_member (o, "pooled"), "s_d"));
  g_assert_true (json_object_has_member (o, "p_acc"));
  /* usage errors: exit 2, the option named */
  assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", "1", "--detector", "cord-learned", NULL }, 2, &err);
  g_assert_nonnull (strstr (err, "--model"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", "1", "--model", model_id, NULL }, 2, &err);
  g_assert_nonnull (strstr (err, "cord-learned"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", "1", "--encoder", "learned", NULL }, 2, &err);
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "train", "-w", ws, NULL }, 2, &err);
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "train", "-w", ws, "--dataset", "one", NULL }, 2, &err);
  g_assert_nonnull (strstr (err, "“one”"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "train", "-w", ws, "--dataset", "1", "--epochs", "0", NULL }, 2, &err);
  g_clear_pointer (&err, g_free);
  /* failures: exit 1, one line */
  assay_test_cli_json ((const char *[]){ "cpd", "train", "-w", ws, "--dataset", "99", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "99"));
  g_assert_cmpint ((int) (strchr (err, '\n') - err), ==, (int) strlen (err) - 1);
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]){ "cpd", "score", "-w", ws, "--dataset", "1", "--detector", "cord-learned",
                                         "--model", run_id, NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "There is no change-point model"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("DISPLAY");
  g_unsetenv ("WAYLAND_DISPLAY");
  cli = assay_test_build_path ("app/cli/assay-cli");
  g_test_add_func ("/cli/info-without-display", test_info_without_display);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/failures-one-line", test_failures_one_line);
  g_test_add_func ("/cli/datasets-and-runs", test_datasets_and_runs);
  g_test_add_func ("/cli/cpd-learned", test_cpd_learned);
  return g_test_run ();
}
