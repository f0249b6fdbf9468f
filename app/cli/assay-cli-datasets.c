/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli datasets|runs: what a workspace holds, across areas; rename and delete. */
#include "config.h"

#include <glib/gi18n.h>

#include "assay-cli-commands.h"
#include "assay-error.h"
#include "assay-json.h"

static int
verb_list (AssayCliCommon *common, int argc, char **argv)
{
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  JsonObject *o;
  JsonArray  *a;
  int status = assay_cli_parse (common, "datasets list", NULL, NULL, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || (list = assay_store_list_datasets (store, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  o = json_object_new ();
  a = json_array_new ();
  for (guint i = 0; i < list->len; i++)
    {
      AssayDatasetInfo *d = list->pdata[i];
      JsonObject       *row = json_object_new ();
      json_object_set_int_member (row, "dataset", d->id);
      json_object_set_string_member (row, "area", d->area);
      json_object_set_string_member (row, "name", d->name);
      json_object_set_int_member (row, "rows", d->rows);
      json_object_set_int_member (row, "runs", d->runs);
      json_object_set_string_member (row, "created", d->created);
      json_array_add_object_element (a, row);
      if (!common->json)
        g_print ("%lld  %-6s %-40s %8lld rows  %3lld runs  %s\n", (long long) d->id, d->area, d->name,
                 (long long) d->rows, (long long) d->runs, d->created);
    }
  json_object_set_array_member (o, "datasets", a);
  if (common->json)
    assay_cli_print_json_object (o);
  else
    json_object_unref (o);
  return ASSAY_CLI_OK;
}

static int
verb_rename (AssayCliCommon *common, int argc, char **argv)
{
  gint64           id = 0;
  g_autofree char *name = NULL;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_INT64, &id, N_("Dataset"), N_("ID") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("New name"), N_("NAME") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  int status = assay_cli_parse (common, "datasets rename", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (id <= 0 || name == NULL || *g_strstrip (name) == '\0')
    return assay_cli_usage (_("datasets rename takes --id ID and a non-empty --name NAME"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_store_get_dataset (store, id, NULL, NULL, &error)
      || !assay_store_rename_dataset (store, id, name, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "dataset", id);
      json_object_set_string_member (o, "name", name);
      assay_cli_print_json_object (o);
    }
  else
    g_print (_("Dataset %lld is now “%s” (undo takes it back)\n"), (long long) id, name);
  return ASSAY_CLI_OK;
}

static int
verb_delete (AssayCliCommon *common, int argc, char **argv)
{
  gint64 id = 0, rows, runs;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_INT64, &id, N_("Dataset"), N_("ID") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *area = NULL, *name = NULL;
  sqlite3_stmt *stmt;
  int status = assay_cli_parse (common, "datasets delete", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (id <= 0)
    return assay_cli_usage (_("datasets delete takes --id ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_store_get_dataset (store, id, &area, &name, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  /* what goes with it, to say so */
  stmt = assay_store_prepare (store,
                              "SELECT (SELECT count(*) FROM gen_records WHERE dataset_id = ?1) "
                              "+ (SELECT count(*) FROM videos WHERE dataset_id = ?1) "
                              "+ (SELECT count(*) FROM xmtc_documents WHERE dataset_id = ?1) "
                              "+ (SELECT count(*) FROM cpd_series WHERE dataset_id = ?1), "
                              "(SELECT count(*) FROM runs WHERE dataset_id = ?1)",
                              &error);
  if (stmt == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_step (stmt);
  rows = sqlite3_column_int64 (stmt, 0);
  runs = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  if (!assay_store_drop_dataset (store, id, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  assay_store_emit_changed (store, "datasets");
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "deleted", id);
      json_object_set_string_member (o, "area", area);
      json_object_set_string_member (o, "name", name);
      json_object_set_int_member (o, "rows", rows);
      json_object_set_int_member (o, "runs", runs);
      assay_cli_print_json_object (o);
    }
  else
    {
      g_autofree char *r = g_strdup_printf (ngettext ("%lld row", "%lld rows", (gulong) rows), (long long) rows);
      g_autofree char *n = g_strdup_printf (ngettext ("%lld run", "%lld runs", (gulong) runs), (long long) runs);
      g_print (_("Deleted dataset %lld (%s “%s”) with %s and %s\n"), (long long) id, area, name, r, n);
    }
  return ASSAY_CLI_OK;
}

static int
verb_runs_list (AssayCliCommon *common, int argc, char **argv)
{
  static const char *const keys[] = { "run", "area", "kind", "dataset", "status", "created", NULL };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  int status = assay_cli_parse (common, "runs list", NULL, NULL, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_begin_object (b);
  if (!assay_cli_add_rows (common, store, b, "runs",
                           "SELECT id, area, kind, dataset_id, status, created FROM runs ORDER BY id",
                           keys, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  json_builder_end_object (b);
  if (common->json)
    assay_cli_print_json (json_builder_get_root (b));
  return ASSAY_CLI_OK;
}

static int
verb_runs_delete (AssayCliCommon *common, int argc, char **argv)
{
  gint64 id = 0;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_INT64, &id, N_("Run"), N_("ID") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *what = NULL;
  int status = assay_cli_parse (common, "runs delete", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (id <= 0)
    return assay_cli_usage (_("runs delete takes --id ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  what = assay_store_describe_run (store, id);
  if (!assay_store_delete_run (store, id, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "deleted", id);
      json_object_set_string_member (o, "run", what);
      assay_cli_print_json_object (o);
    }
  else
    g_print (_("Deleted: %s\n"), what);
  return ASSAY_CLI_OK;
}

static const AssayCliVerb dataset_verbs[] = {
  { "list", verb_list, N_("Datasets of every area, with their rows and runs") },
  { "rename", verb_rename, N_("Rename a dataset (undoable)") },
  { "delete", verb_delete, N_("Delete a dataset with its rows and runs") },
  { NULL }
};

static const AssayCliVerb run_verbs[] = {
  { "list", verb_runs_list, N_("Runs of every area") },
  { "delete", verb_runs_delete, N_("Delete a run with its results") },
  { NULL }
};

int
assay_cli_datasets (int argc, char **argv)
{
  return assay_cli_dispatch ("datasets", dataset_verbs, argc, argv);
}

int
assay_cli_runs (int argc, char **argv)
{
  return assay_cli_dispatch ("runs", run_verbs, argc, argv);
}
