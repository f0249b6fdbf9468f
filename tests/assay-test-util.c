/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-test-util.h"

#include "assay-json.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static char *tmpdir;

static void
remove_tree (const char *path)
{
  GDir       *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
cleanup (void)
{
  if (tmpdir != NULL && g_getenv ("ASSAY_TEST_KEEP") == NULL)
    remove_tree (tmpdir);
}

const char *
assay_test_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr (GError) error = NULL;
      tmpdir = g_dir_make_tmp ("assay-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (cleanup);
    }
  return tmpdir;
}

char *
assay_test_path (const char *name)
{
  return g_build_filename (assay_test_tmpdir (), name, NULL);
}

const char *
assay_test_shared_data (void)
{
  static char *path;

  if (path == NULL)
    {
      const char *env = g_getenv ("ASSAY_SHARED_DATA");
      path = env != NULL ? g_strdup (env)
                         : g_build_filename (ASSAY_SOURCE_ROOT, "..", "shared", "data", NULL);
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *msg = g_strdup_printf ("SKIP: shared data not found at %s "
                                              "(set ASSAY_SHARED_DATA)", path);
      g_test_skip (msg);
      return NULL;
    }
  return path;
}

char *
assay_test_source_path (const char *relative)
{
  return g_build_filename (ASSAY_SOURCE_ROOT, relative, NULL);
}

char *
assay_test_build_path (const char *relative)
{
  return g_build_filename (ASSAY_BUILD_ROOT, relative, NULL);
}

int
assay_test_spawn (const char *const *argv, char **out, char **err)
{
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status,
                &error);
  g_assert_no_error (error);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

AssayStore *
assay_test_fresh_store (const char *name)
{
  g_autofree char *path = assay_test_path (name);
  g_autoptr (GError) error = NULL;
  AssayStore *store;

  g_unlink (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  return store;
}

char *
assay_test_write_file (const char *name, const char *contents)
{
  char *path = assay_test_path (name);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

JsonObject *
assay_test_cli_json (const char *const *args, int want_status, char **err_out)
{
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int status;

  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  status = assay_test_spawn ((const char *const *) argv->pdata, &out, &err);
  if (status != want_status)
    g_error ("assay-cli exit %d (want %d): %s", status, want_status, err);
  if (err_out)
    *err_out = g_steal_pointer (&err);
  return want_status == 0 ? assay_json_object_from_string (out, NULL) : NULL;
}

JsonObject *
assay_test_signal_named (JsonObject *fit, const char *name)
{
  JsonArray *a = json_object_get_array_member (fit, "signals");

  for (guint j = 0; j < json_array_get_length (a); j++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (a, j), "name"), name))
      return json_array_get_object_element (a, j);
  return NULL;
}
