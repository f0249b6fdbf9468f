/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: a Hugging Face tokenizer.json of arbitrary bytes. A tokenizer that loads encodes
 * and decodes a few texts: every id is in the vocabulary and the offsets lie inside the text. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

#include "assay-lm-tokenizer.h"
#include "fuzz-tokenizer-exercise.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *dir;
static char *json_path;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (dir == NULL)
    {
      dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
      json_path = g_build_filename (dir, "tokenizer.json", NULL);
    }
  if (!g_file_set_contents (json_path, (const char *) data, (gssize) size, NULL))
    return 0;
  /* the file, and the folder holding it */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      AssayLmTokenizer *tok = assay_lm_tokenizer_load (i == 0 ? json_path : dir, &error);

      if (tok == NULL)
        {
          g_assert (error != NULL && error->message != NULL);
          continue;
        }
      if (i == 0)
        exercise (tok);
      assay_lm_tokenizer_free (tok);
    }
  return 0;
}
