/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: a Hugging Face tokenizer.json of arbitrary bytes. A tokenizer that loads encodes
 * and decodes a few texts: every id is in the vocabulary and the offsets lie inside the text. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

#include "assay-lm-tokenizer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *dir;
static char *json_path;

static void
exercise (AssayLmTokenizer *tok)
{
  static const char *const texts[] = {
    "", "Hello world", " the  quick\tbrown fox\n\n", "x = 3.14159; y = x * 2",
    "naïve café — 東京 🙂", "<|endoftext|>aaaaaaaaaaaaaaaa<|im_start|>",
  };
  guint vocab = assay_lm_tokenizer_vocab_size (tok);
  int   bos = assay_lm_tokenizer_bos_id (tok);

  if (bos >= 0 && (guint) bos >= vocab)
    __builtin_trap ();
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GError) error = NULL;
      GArray *offsets = NULL;
      GArray *ids = assay_lm_tokenizer_encode (tok, texts[i], &offsets, &error);
      gsize   len = strlen (texts[i]);

      if (ids == NULL)
        {
          g_assert (error != NULL && error->message != NULL);
          continue;
        }
      for (guint k = 0; k < ids->len; k++)
        {
          int id = g_array_index (ids, int, k);
          gsize n = 0;
          if (id < 0 || (guint) id >= vocab || assay_lm_tokenizer_token_bytes (tok, id, &n) == NULL)
            __builtin_trap ();
        }
      if (offsets != NULL)
        {
          for (guint k = 0; k < offsets->len; k++)
            if (g_array_index (offsets, guint, k) > len)
              __builtin_trap ();
          g_array_unref (offsets);
        }
      {
        g_autofree char *text = assay_lm_tokenizer_decode (tok, (const int *) (void *) ids->data, ids->len);
        if (text == NULL || !g_utf8_validate (text, -1, NULL))
          __builtin_trap ();
      }
      g_array_unref (ids);
    }
  for (guint id = 0; id < MIN (vocab, 64u); id++)
    {
      gsize n = 0;
      assay_lm_tokenizer_token_bytes (tok, (int) id, &n);
    }
  assay_lm_tokenizer_token_id (tok, "<|endoftext|>");
}

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
