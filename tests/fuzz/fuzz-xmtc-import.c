/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the multi-label corpus importers (XC, Reuters SGML, JSONL, CSV) on arbitrary
 * bytes. Every input must end in success or a clean error: never a crash, leak or hang. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

#include "assay-xmtc-import.h"

static char       *input_path;
static AssayStore *store;

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
  g_autofree char *ws = g_build_filename (dir, "fuzz.assay", NULL);

  input_path = g_build_filename (dir, "input", NULL);
  store = assay_store_open (ws, NULL);
  g_assert (store != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const AssayXmtcFormat formats[] = { ASSAY_XMTC_FORMAT_XC, ASSAY_XMTC_FORMAT_REUTERS,
                                             ASSAY_XMTC_FORMAT_JSONL, ASSAY_XMTC_FORMAT_CSV };

  if (store == NULL)
    setup ();
  if (!g_file_set_contents (input_path, (const char *) data, (gssize) size, NULL))
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      AssayXmtcImportOptions options;
      AssayXmtcImportResult  result;
      g_autoptr (GError) error = NULL;

      assay_xmtc_import_options_init (&options);
      options.format = formats[i];
      if (formats[i] == ASSAY_XMTC_FORMAT_CSV)
        {
          options.no_header = size > 0 && data[0] == '#';
          options.text_columns = "1";
          options.label_column = "2";
        }
      if (!assay_xmtc_import (store, input_path, &options, &result, NULL, NULL, NULL, &error))
        g_assert (error != NULL && error->message != NULL);
    }
  /* Keep the workspace small */
  assay_store_exec (store, "DELETE FROM datasets", NULL);
  return 0;
}
