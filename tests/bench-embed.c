/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-embed MODEL_DIR [--batch 32] [--length 128] [--rounds 3] [--backend cpu|cuda]
 * Embeddings per second of an encoder on random token ids (each sequence [CLS] ids [SEP]
 * shaped), beside the sgemm ceiling of the hardware measured in the same run and the fraction of
 * the FLOP bound reached; with --knn N also exact k-nearest neighbours of N x N random unit
 * vectors of the model's width. Prints one JSON object. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-encoder.h"
#include "assay-knn.h"
#include "bench-util.h"

int
main (int argc, char **argv)
{
  int batch = 32, length = 128, rounds = 3, threads = 0, knn = 0;
  g_autofree char *backend_name = NULL;
  const GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "sequences per round", "N" },
    { "length", 0, 0, G_OPTION_ARG_INT, &length, "tokens per sequence", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "timed rounds", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend_name, "cpu or cuda", "B" },
    { "knn", 0, 0, G_OPTION_ARG_INT, &knn, "also time exact 10-NN of N x N vectors", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL_DIR");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayEncoder) enc = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  AssayEncoderOptions eo = { ASSAY_POOLING_CLS, TRUE, 0, NULL };
  AssayBackend *b;
  const AssayLmConfig *c;
  int **ids, *lens;
  float *out;
  double t0, seconds, ceiling, flops_per_seq, eps, knn_s = 0;
  guint64 layer_params;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "bench-embed MODEL_DIR");
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
  ceiling = MAX (bench_sgemm_gflops (b, 2048, 2048, 2048), bench_sgemm_gflops (b, 4096, c->inter, c->hidden));
  if ((enc = assay_encoder_new (model, b, &eo, &error)) == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  ids = g_new (int *, batch);
  lens = g_new (int, batch);
  out = g_new (float, (gsize) batch * c->hidden);
  for (int s = 0; s < batch; s++)
    {
      ids[s] = g_new (int, length);
      for (int i = 0; i < length; i++)
        ids[s][i] = g_rand_int_range (rand, 0, c->vocab);
      lens[s] = length;
    }
  if (!assay_encoder_embed_ids (enc, (const int *const *) ids, lens, batch, out, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  t0 = bench_now ();
  for (int r = 0; r < rounds; r++)
    assay_encoder_embed_ids (enc, (const int *const *) ids, lens, batch, out, NULL);
  seconds = bench_now () - t0;
  eps = (double) batch * rounds / seconds;
  /* per sequence: 2 x the layers' weights per token, and Q K^T and P V over every key */
  layer_params = assay_lm_model_parameters (model)
                 - (guint64) (c->vocab + c->max_positions + c->type_vocab + 2) * c->hidden;
  flops_per_seq = 2.0 * layer_params * length + 4.0 * c->layers * c->hidden * (double) length * length;
  if (knn > 0)
    {
      float *v = g_new (float, (gsize) knn * c->hidden);
      g_autofree int *nn = g_new (int, (gsize) knn * 10);
      g_autofree float *sim = g_new (float, (gsize) knn * 10);
      for (gsize i = 0; i < (gsize) knn; i++)
        {
          double n = 0;
          for (int j = 0; j < c->hidden; j++)
            n += pow (v[i * c->hidden + j] = (float) g_rand_double_range (rand, -1, 1), 2);
          for (int j = 0; j < c->hidden; j++)
            v[i * c->hidden + j] /= (float) sqrt (n);
        }
      AssayKnnOptions ko = { TRUE, NULL, NULL };
      t0 = bench_now ();
      if (!assay_knn (b, v, knn, v, knn, c->hidden, 10, nn, sim, &ko, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      knn_s = bench_now () - t0;
      g_free (v);
    }
  g_print ("{\"backend\": \"%s\", \"parameters\": %" G_GUINT64_FORMAT ", \"batch\": %d, \"length\": %d, "
           "\"embeddings_per_second\": %.2f, \"gemm_ceiling_gflops\": %.1f, \"achieved_gflops\": %.1f, "
           "\"fraction_of_ceiling\": %.3f, \"knn_n\": %d, \"knn_seconds\": %.2f, \"peak_rss_bytes\": %ld}\n",
           assay_backend_describe (b), assay_lm_model_parameters (model), batch, length, eps, ceiling,
           eps * flops_per_seq / 1e9, eps * flops_per_seq / 1e9 / ceiling, knn, knn_s,
           bench_peak_rss_bytes ());
  for (int s = 0; s < batch; s++)
    g_free (ids[s]);
  g_free (ids);
  g_free (lens);
  g_free (out);
  g_clear_pointer (&enc, assay_encoder_free);
  assay_lm_model_unload (model);
  assay_backend_free (b);
  return 0;
}
