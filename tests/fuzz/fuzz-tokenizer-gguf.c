/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: a GGUF file of arbitrary bytes read as a tokenizer (its tokenizer.ggml.* keys:
 * BERT WordPiece, Llama SentencePiece). A tokenizer that loads is exercised as the tokenizer.json
 * target does; one that does not says why. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-lm-tokenizer.h"
#include "fuzz-tokenizer-exercise.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *path;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  AssayLmTokenizer *tok;

  if (path == NULL)
    {
      g_autofree char *dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
      path = g_build_filename (dir, "vocab.gguf", NULL);
    }
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;
  tok = assay_lm_tokenizer_load (path, &error);
  if (tok == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  exercise (tok);
  assay_lm_tokenizer_free (tok);
  return 0;
}
