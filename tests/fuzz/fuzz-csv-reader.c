/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the RFC 4180 CSV reader on arbitrary bytes, with a comma, a tab and a semicolon.
 * Every record ends or fails with "FILE:LINE: ..."; line numbers never go back. */
#include <stdint.h>
#include <string.h>

#include "assay-csv-reader.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char delimiters[] = { ',', '\t', ';' };
  /* a copy of exactly size bytes, so that reading past the end is caught */
  char *copy = g_memdup2 (data, size);

  for (guint d = 0; d < G_N_ELEMENTS (delimiters); d++)
    {
      g_autoptr (AssayCsvReader) reader = assay_csv_reader_new ("fuzz.csv", copy, size, delimiters[d]);
      g_autoptr (GError) error = NULL;
      GPtrArray *fields = NULL;
      guint      line = 0, records = 0;

      while (assay_csv_reader_next (reader, &fields, &error))
        {
          guint now = assay_csv_reader_get_line (reader);
          double fraction = assay_csv_reader_get_fraction (reader);
          if (fields == NULL || now < line || fraction < 0 || fraction > 1 || ++records > size + 1)
            __builtin_trap ();
          line = now;
          for (guint i = 0; i < fields->len; i++)
            if (fields->pdata[i] == NULL)
              __builtin_trap ();
            else
              (void) strlen (fields->pdata[i]);
        }
      if (error != NULL && !g_str_has_prefix (error->message, "fuzz.csv:"))
        __builtin_trap ();
    }
  g_free (copy);
  return 0;
}
