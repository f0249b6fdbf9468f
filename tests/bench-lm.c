/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-lm MODEL_DIR [--batch 8] [--length 512] [--rounds 2] [--backend cpu|cuda]
 * Scored tokens per second of teacher-forced scoring on random token ids, beside the ceiling of
 * the hardware measured in the same run (OpenBLAS sgemm GFLOP/s; cuBLAS on CUDA), the fraction of
 * the FLOP bound reached, and peak memory. Prints one JSON object. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-lm-model.h"
#include "bench-util.h"
#include "assay-lm-scorer.h"

int
main (int argc, char **argv)
{
  int batch = 8, length = 512, rounds = 2, threads = 0;
  g_autofree char *backend_name = NULL;
  const GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "sequences per batch", "N" },
    { "length", 0, 0, G_OPTION_ARG_INT, &length, "tokens per sequence", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "timed batches", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend_name, "cpu or cuda", "B" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL_DIR");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmScorer) scorer = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  AssayBackend *b;
  const AssayLmConfig *c;
  AssayLmSequence *seqs;
  float **out;
  double load_s, t0, seconds, ceiling, flops_per_token, tps;
  double attn;
  gint64 scored = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "bench-lm MODEL_DIR");
      return 2;
    }
  if ((b = bench_backend (backend_name, threads)) == NULL)
    return 77;
  if ((model = assay_lm_model_open (argv[1], &error)) == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  c = assay_lm_model_config (model);
  ceiling = MAX (bench_sgemm_gflops (b, 4096, 4096, 4096), bench_sgemm_gflops (b, batch * length, 2 * c->inter, c->hidden));
  t0 = bench_now ();
  if (!assay_lm_model_upload (model, b, assay_lm_scorer_activation_bytes (c, assay_backend_kind (b), batch * length, length), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  load_s = bench_now () - t0;
  scorer = assay_lm_scorer_new (model);
  seqs = g_new (AssayLmSequence, batch);
  out = g_new (float *, batch);
  for (int s = 0; s < batch; s++)
    {
      int *ids = g_new (int, length);
      for (int i = 0; i < length; i++)
        ids[i] = g_rand_int_range (rand, 0, c->vocab);
      seqs[s] = (AssayLmSequence) { ids, length, 1 };
      out[s] = g_new (float, length);
    }
  /* one warm-up batch: buffers, first touch of pages */
  if (!assay_lm_scorer_run (scorer, seqs, batch, out, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  t0 = bench_now ();
  for (int r = 0; r < rounds; r++)
    {
      assay_lm_scorer_run (scorer, seqs, batch, out, &error);
      scored += (gint64) batch * (length - 1);
    }
  seconds = bench_now () - t0;
  tps = scored / seconds;
  /* FLOPs per token: 2 x (parameters without the embedding lookup, with the output layer) plus
   * attention's Q K^T and P V over the causal context (mean (length + 1) / 2). */
  attn = 4.0 * c->layers * c->heads * c->head_dim * (length + 1) / 2.0;
  flops_per_token = 2.0 * (double) assay_lm_model_parameters (model)
                    - (c->tie_embeddings ? 0.0 : 2.0 * c->vocab * c->hidden) /* embed is a lookup; untied head counted once */
                    + attn;
  if (c->arch == ASSAY_LM_GPT2)
    flops_per_token -= 2.0 * c->max_positions * c->hidden;
  g_print ("{\"backend\": \"%s\", \"parameters\": %" G_GUINT64_FORMAT ", \"batch\": %d, \"length\": %d, "
           "\"tokens_per_second\": %.1f, \"seconds_per_batch\": %.3f, \"load_seconds\": %.2f, "
           "\"gemm_ceiling_gflops\": %.1f, \"achieved_gflops\": %.1f, \"fraction_of_ceiling\": %.3f, "
           "\"peak_rss_bytes\": %ld}\n",
           assay_backend_describe (b), assay_lm_model_parameters (model), batch, length, tps,
           seconds / rounds, load_s, ceiling, tps * flops_per_token / 1e9,
           tps * flops_per_token / 1e9 / ceiling, bench_peak_rss_bytes ());
  for (int s = 0; s < batch; s++)
    {
      g_free ((int *) seqs[s].ids);
      g_free (out[s]);
    }
  g_free (seqs);
  g_free (out);
  g_clear_pointer (&scorer, assay_lm_scorer_free);
  assay_lm_model_unload (model);
  assay_backend_free (b);
  return 0;
}
