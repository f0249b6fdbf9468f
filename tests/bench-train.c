/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-train MODEL_DIR [--batch 8] [--length 512] [--rounds 3] [--threads 2] [--lora R]
 * Training tokens per second of full fine-tuning (or of LoRA adapters of rank R on every linear,
 * alpha 2R, no dropout): forward, backward, AdamW step on random token ids, every position
 * scored, and the peak resident memory. Prints one JSON object. */
#include "assay-adamw.h"
#include "assay-train-model.h"
#include "bench-util.h"

int
main (int argc, char **argv)
{
  int batch = 8, length = 512, rounds = 3, threads = 2, lora = 0;
  const GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "sequences per step", "N" },
    { "length", 0, 0, G_OPTION_ARG_INT, &length, "tokens per sequence", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "timed steps", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
    { "lora", 0, 0, G_OPTION_ARG_INT, &lora, "LoRA rank (0: full fine-tuning)", "R" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL_DIR");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayTrainModel) train = NULL;
  g_autoptr (AssayAdamW) opt = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  AssayAdamWOptions ao;
  AssayBackend *b;
  int    T, *ids, *targets, *offsets;
  double t0 = 0, seconds, loss = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    g_error ("usage: bench-train MODEL_DIR [options]");
  if ((b = bench_backend ("cpu", threads)) == NULL)
    return 1;
  if ((model = assay_lm_model_open_causal (argv[1], &error)) == NULL || (train = assay_train_model_new (model, b, &error)) == NULL)
    g_error ("%s", error->message);
  if (lora > 0)
    {
      AssayLoraOptions lo = { lora, 2.0 * lora, 0.0, NULL, 1 };
      if (!assay_train_model_add_lora (train, &lo, &error))
        g_error ("%s", error->message);
    }
  T = batch * length;
  ids = g_new (int, T);
  targets = g_new (int, T);
  offsets = g_new (int, batch + 1);
  for (int s = 0; s <= batch; s++)
    offsets[s] = s * length;
  for (int t = 0; t < T; t++)
    ids[t] = g_rand_int_range (rand, 0, assay_lm_model_config (model)->vocab);
  for (int t = 0; t < T; t++)
    targets[t] = (t + 1) % length != 0 ? ids[t + 1] : -1;
  assay_adamw_options_init (&ao);
  opt = assay_adamw_new (&ao);
  assay_train_model_register (train, opt);
  for (int r = -1; r < rounds; r++)
    {
      if (r == 0)
        t0 = bench_now ();
      if (!assay_train_model_step (train, ids, T, offsets, batch, targets, NULL, &loss, NULL, &error))
        g_error ("%s", error->message);
      assay_adamw_clip (opt, 1.0);
      assay_adamw_step (opt, 1e-5);
    }
  seconds = bench_now () - t0;
  g_print ("{\"tokens_per_second\": %.1f, \"seconds_per_step\": %.3f, \"peak_rss_bytes\": %ld, \"threads\": %d, "
           "\"loss\": %.4f}\n", rounds * (double) batch * (length - 1) / seconds, seconds / rounds,
           bench_peak_rss_bytes (), threads, loss / (batch * (length - 1)));
  g_free (ids);
  g_free (targets);
  g_free (offsets);
  g_clear_pointer (&train, assay_train_model_free);
  assay_backend_free (b);
  return 0;
}
