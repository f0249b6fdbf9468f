/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the reasoning-trace importer (auto detection, ProcessBench, TRL, LLaVA-Reasoner
 * and candidate JSONL with answer judging) on arbitrary bytes. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-trace-import.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char       *input_path;
static AssayStore *store;

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "fuzz.assay", NULL);

  input_path = g_build_filename (dir, "traces.jsonl", NULL);
  store = assay_store_open (ws, NULL);
  g_assert (store != NULL);
  assay_store_exec (store, "PRAGMA synchronous = OFF", NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const AssayTraceFormat formats[] = {
    ASSAY_TRACE_FORMAT_AUTO, ASSAY_TRACE_FORMAT_PROCESSBENCH, ASSAY_TRACE_FORMAT_JSONL,
    ASSAY_TRACE_FORMAT_TRL,  ASSAY_TRACE_FORMAT_LLAVA_REASONER,
  };

  if (store == NULL)
    setup ();
  if (!g_file_set_contents (input_path, (const char *) data, (gssize) size, NULL))
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      AssayTraceImportResult result;
      g_autoptr (GError) error = NULL;

      if (!assay_trace_import (store, input_path, formats[i], NULL, &result, NULL, &error))
        g_assert (error != NULL && error->message != NULL);
      else if (result.judged > result.traces || result.correct > result.judged
               || result.questions > result.traces)
        __builtin_trap ();
    }
  assay_store_exec (store, "DELETE FROM datasets; DELETE FROM gen_mappings", NULL);
  return 0;
}
