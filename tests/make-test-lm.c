/* SPDX-License-Identifier: GPL-3.0-or-later */
/* make-test-lm DIR [--arch llama|qwen2|gpt2|bert] [--dtype f32|bf16|f16] [--seed N] [--favour ID]
 *              [--max-positions N]
 * Writes a tiny random model folder (the one the tests use) for the peer scripts; --favour
 * also writes DIR-favoured: the same model with token ID pushed up in the output layer. */
#include <stdlib.h>
#include <string.h>

#include "assay-test-lm.h"

int
main (int argc, char **argv)
{
  g_autofree char *arch = NULL, *dtype = NULL;
  gint64 seed = 1;
  int    favour = -1, positions = 256;
  const GOptionEntry entries[] = {
    { "max-positions", 0, 0, G_OPTION_ARG_INT, &positions, "context length (default 256)", "N" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "llama, qwen2, gpt2 or bert", "ARCH" },
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &dtype, "f32, bf16 or f16", "DTYPE" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "random seed", "N" },
    { "favour", 0, 0, G_OPTION_ARG_INT, &favour, "also write DIR-favoured favouring token ID", "ID" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("DIR");
  g_autoptr (GError) error = NULL;
  AssayTestLmSpec spec = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "make-test-lm DIR");
      return 2;
    }
  spec.arch = arch == NULL || g_str_equal (arch, "qwen2") ? ASSAY_LM_QWEN2
              : g_str_equal (arch, "llama")               ? ASSAY_LM_LLAMA
              : g_str_equal (arch, "bert")                ? ASSAY_LM_BERT
                                                          : ASSAY_LM_GPT2;
  spec.dtype = dtype == NULL || g_str_equal (dtype, "f32") ? ASSAY_DTYPE_F32
               : g_str_equal (dtype, "bf16")              ? ASSAY_DTYPE_BF16
                                                          : ASSAY_DTYPE_F16;
  spec.hidden = 32;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = spec.arch == ASSAY_LM_GPT2 || spec.arch == ASSAY_LM_BERT ? 4 : 2;
  spec.inter = 48;
  spec.vocab = 300;
  spec.max_positions = CLAMP (positions, 16, 1 << 16);
  spec.tie_embeddings = spec.arch == ASSAY_LM_QWEN2 && favour < 0;
  spec.rope_llama3 = spec.arch == ASSAY_LM_LLAMA;
  spec.anchor = favour >= 0 && spec.arch != ASSAY_LM_GPT2;
  {
    g_autoptr (AssayTestLm) lm = assay_test_lm_write (argv[1], &spec, (guint32) seed);
    if (favour >= 0)
      {
        g_autofree char *dir = g_strconcat (argv[1], "-favoured", NULL);
        g_autoptr (AssayTestLm) copy = assay_test_lm_write (dir, &spec, (guint32) seed);
        assay_test_lm_favour (copy, favour, 40.0);
      }
  }
  return 0;
}
