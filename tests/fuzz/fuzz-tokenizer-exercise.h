/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-tokenizer-exercise.h: what the tokenizer fuzz targets do with a tokenizer that loaded:
 * encode and decode a few texts; every id is in the vocabulary, the offsets lie inside the text
 * and the decoded text is UTF-8. */
#pragma once

#include <string.h>

#include "assay-lm-tokenizer.h"

static void
exercise (AssayLmTokenizer *tok)
{
  static const char *const texts[] = {
    "", "Hello world", " the  quick\tbrown fox\n\n", "x = 3.14159; y = x * 2",
    "naïve café — 東京 🙂", "<|endoftext|>aaaaaaaaaaaaaaaa<|im_start|>",
    "\uff21\u0301x \uff76\uff9e e\u0301\u0301  Z\u200d <mask>\u2160 \U0001F469\u200d\U0001F467",
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

