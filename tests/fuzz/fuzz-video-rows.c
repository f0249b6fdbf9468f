/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the video importer's rows (LLaVA-Hound captions, QA, preference and scored
 * response rows; JSONL or a JSON array) on arbitrary bytes, without any video. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-video-import.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char       *input_path;
static AssayStore *store;

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "fuzz.assay", NULL);

  input_path = g_build_filename (dir, "rows.jsonl", NULL);
  store = assay_store_open (ws, NULL);
  g_assert (store != NULL);
  assay_store_exec (store, "PRAGMA synchronous = OFF", NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char            *paths[] = { NULL, NULL };
  AssayVideoImportResult result;
  g_autoptr (GError) error = NULL;

  if (store == NULL)
    setup ();
  if (!g_file_set_contents (input_path, (const char *) data, (gssize) size, NULL))
    return 0;
  paths[0] = input_path;
  if (!assay_video_import (store, paths, 4, NULL, &result, NULL, NULL, NULL, &error))
    g_assert (error != NULL && error->message != NULL);
  else if (result.records == 0 || result.videos != 0 || result.unmatched > result.records)
    __builtin_trap ();
  assay_video_import_result_clear (&result);
  assay_store_exec (store, "DELETE FROM datasets", NULL);
  return 0;
}
