/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the time-series importer on arbitrary bytes read as CSV (comma and semicolon,
 * with and without refusing missing values), a TCPD series file and JSONL series. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-cpd-import.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char       *input_path;
static AssayStore *store;

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "fuzz.assay", NULL);

  input_path = g_build_filename (dir, "series.dat", NULL);
  store = assay_store_open (ws, NULL);
  g_assert (store != NULL);
  assay_store_exec (store, "PRAGMA synchronous = OFF", NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const struct
  {
    AssayCpdFormat format;
    char           delimiter;
    gboolean       refuse_missing;
  } runs[] = {
    { ASSAY_CPD_FORMAT_CSV, ',', FALSE },   { ASSAY_CPD_FORMAT_CSV, ';', TRUE },
    { ASSAY_CPD_FORMAT_TCPD, 0, FALSE },    { ASSAY_CPD_FORMAT_TCPD, 0, TRUE },
    { ASSAY_CPD_FORMAT_JSONL, 0, FALSE },   { ASSAY_CPD_FORMAT_JSONL, 0, TRUE },
  };
  const char *paths[] = { NULL, NULL };

  if (store == NULL)
    setup ();
  if (!g_file_set_contents (input_path, (const char *) data, (gssize) size, NULL))
    return 0;
  paths[0] = input_path;
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      AssayCpdImportOptions options;
      AssayCpdImportResult  result;
      g_autoptr (GError) error = NULL;

      assay_cpd_import_options_init (&options);
      options.format = runs[i].format;
      options.refuse_missing = runs[i].refuse_missing;
      if (runs[i].delimiter != 0)
        options.delimiter = runs[i].delimiter;
      if (!assay_cpd_import (store, paths, &options, &result, NULL, &error))
        g_assert (error != NULL && error->message != NULL);
      else if (result.series == 0 || result.annotated > result.series)
        __builtin_trap ();
    }
  assay_store_exec (store, "DELETE FROM datasets", NULL);
  return 0;
}
