/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli info, undo, redo */
#include "config.h"

#include <glib/gi18n.h>

#include "assay-cli-commands.h"

int
assay_cli_info (int argc, char **argv)
{
  AssayCliCommon common = { 0 };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayWorker) worker = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *note = NULL;
  int              status;
  AssayBackendKind kind;

  status = assay_cli_parse (&common, "info", NULL, NULL, &argc, &argv);
  if (status != ASSAY_CLI_OK)
    goto out;
  if (argc > 1)
    {
      status = assay_cli_usage (_("unexpected argument “%s”"), argv[1]);
      goto out;
    }
  if (common.workspace != NULL && (store = assay_cli_open_workspace (&common, &error)) == NULL)
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  worker = assay_cli_worker (&common);
  backend = assay_worker_dup_backend_description (worker);
  note = assay_worker_dup_backend_note (worker);
  kind = assay_worker_get_backend_kind (worker);

  if (common.json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "version");
      json_builder_add_string_value (b, PACKAGE_VERSION);
      json_builder_set_member_name (b, "schema_version");
      json_builder_add_int_value (b, store != NULL ? assay_store_get_schema_version (store)
                                                   : assay_store_latest_schema_version ());
      json_builder_set_member_name (b, "latest_schema_version");
      json_builder_add_int_value (b, assay_store_latest_schema_version ());
      json_builder_set_member_name (b, "workspace");
      if (store != NULL)
        json_builder_add_string_value (b, assay_store_get_path (store));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "read_only");
      json_builder_add_boolean_value (b, store != NULL && assay_store_is_read_only (store));
      json_builder_set_member_name (b, "backend");
      json_builder_add_string_value (b, backend);
      json_builder_set_member_name (b, "backend_kind");
      json_builder_add_string_value (b, kind == ASSAY_BACKEND_CUDA ? "cuda" : "cpu");
      json_builder_set_member_name (b, "backend_note");
      if (note != NULL)
        json_builder_add_string_value (b, note);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "cuda_compiled");
      json_builder_add_boolean_value (b, assay_backend_cuda_compiled ());
      json_builder_set_member_name (b, "cpu_threads");
      json_builder_add_int_value (b, assay_worker_get_cpu_threads (worker));
      json_builder_end_object (b);
      assay_cli_print_json (json_builder_get_root (b));
    }
  else
    {
      g_print ("Assay %s\n", PACKAGE_VERSION);
      if (store != NULL)
        g_print (assay_store_is_read_only (store) ? _("Workspace: %s (format %d, read-only)\n")
                                                  : _("Workspace: %s (format %d)\n"),
                 assay_store_get_path (store), assay_store_get_schema_version (store));
      g_print (_("Workspace format: %d (the newest this version reads)\n"),
               assay_store_latest_schema_version ());
      g_print (_("Backend: %s\n"), backend);
      if (note != NULL)
        g_print ("%s\n", note);
      if (!assay_backend_cuda_compiled ())
        g_print (_("CUDA: not built into this copy\n"));
    }
out:
  assay_cli_common_clear (&common);
  return status;
}

static int
journal (int argc, char **argv, gboolean undo)
{
  AssayCliCommon common = { 0 };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  int              status;
  gboolean         ok;

  status = assay_cli_parse (&common, undo ? "undo" : "redo", NULL, NULL, &argc, &argv);
  if (status != ASSAY_CLI_OK)
    goto out;
  if (common.workspace == NULL)
    {
      status = assay_cli_usage (_("no workspace given (use -w FILE)"));
      goto out;
    }
  store = assay_cli_open_workspace (&common, &error);
  if (store == NULL)
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  ok = undo ? assay_store_undo (store, &label, &error) : assay_store_redo (store, &label, &error);
  if (!ok)
    {
      status = assay_cli_fail (g_steal_pointer (&error));
      goto out;
    }
  if (common.json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, undo ? "undone" : "redone");
      json_builder_add_string_value (b, label);
      json_builder_end_object (b);
      assay_cli_print_json (json_builder_get_root (b));
    }
  else
    g_print (undo ? _("Undone: %s\n") : _("Redone: %s\n"), label);
out:
  assay_cli_common_clear (&common);
  return status;
}

int
assay_cli_undo (int argc, char **argv)
{
  return journal (argc, argv, TRUE);
}

int
assay_cli_redo (int argc, char **argv)
{
  return journal (argc, argv, FALSE);
}
