/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the generation importer (JSONL, or a JSON array of records) on arbitrary bytes,
 * with auto mapping, every built-in mapping and a custom field map, and the import dialog's preview
 * (its own cut of a JSON array's first elements) and guess. Every input must end in success or a
 * clean error: never a crash, leak or hang. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-gen-import.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char       *input_path;
static AssayStore *store;
static JsonObject *custom;

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "fuzz.assay", NULL);

  input_path = g_build_filename (dir, "records.jsonl", NULL);
  store = assay_store_open (ws, NULL);
  g_assert (store != NULL);
  assay_store_exec (store, "PRAGMA synchronous = OFF", NULL);
  custom = assay_gen_parse_fields ("prompt=instruction, text=output, model=m", NULL);
  g_assert (custom != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const AssayGenMapping mappings[] = {
    ASSAY_GEN_MAP_AUTO,         ASSAY_GEN_MAP_TRL,     ASSAY_GEN_MAP_LLAVA_REASONER,
    ASSAY_GEN_MAP_PROCESSBENCH, ASSAY_GEN_MAP_LLMINER, ASSAY_GEN_MAP_GENCO,
    ASSAY_GEN_MAP_CUSTOM,
  };

  if (store == NULL)
    setup ();
  if (!g_file_set_contents (input_path, (const char *) data, (gssize) size, NULL))
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (mappings); i++)
    {
      AssayGenImportOptions options;
      AssayGenImportResult  result;
      g_autoptr (GError) error = NULL;

      assay_gen_import_options_init (&options);
      options.mapping = mappings[i];
      if (mappings[i] == ASSAY_GEN_MAP_CUSTOM)
        options.fields = custom;
      if (!assay_gen_import (store, input_path, &options, &result, NULL, NULL, NULL, &error))
        g_assert (error != NULL && error->message != NULL);
      else if (result.imported == 0)
        __builtin_trap (); /* success means at least one record */
    }
  {
    g_autoptr (GError) error = NULL;
    AssayGenPreview *p = assay_gen_preview (input_path, 8, &error);
    if (p == NULL)
      g_assert (error != NULL && error->message != NULL);
    else
      {
        JsonObject *fields = NULL;
        if (p->rows->len == 0 || p->rows->len > 8)
          __builtin_trap ();
        assay_gen_guess (store, p->rows->pdata[0], &fields);
        if (fields != NULL)
          json_object_unref (fields);
        assay_gen_preview_free (p);
      }
  }
  /* Keep the workspace small and every input independent of the ones before */
  assay_store_exec (store, "DELETE FROM datasets; DELETE FROM gen_mappings", NULL);
  return 0;
}
