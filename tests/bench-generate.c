/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-generate MODEL_DIR [--prompt 256] [--n 16] [--new 256] [--single 64] [--threads 2]
 *                          [--backend cpu|cuda]
 * Generation speed beside the memory-bandwidth bound measured in the same run:
 *  - one sequence decoded token by token (greedy, end-of-sequence ignored): seconds per token
 *    against the bound, the bytes of weights each token reads divided by the read bandwidth
 *    (a streaming sum over 1 GiB with the same threads, the best of runs before and after);
 *  - N candidates of one prompt, sampled at T = 1: new tokens per second, prefill included;
 *  - peak memory (VmHWM). Prints one JSON object. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assay-lm-generator.h"
#include "assay-lm-model.h"
#include "bench-util.h"

/* Best of a few streaming reads of bytes (a sum of 64-bit words, which vectorises, with
 * `threads` threads), in bytes/s. */
static double
read_bandwidth (size_t bytes, int threads)
{
  size_t    n = bytes / sizeof (guint64);
  guint64  *a = malloc (n * sizeof (guint64));
  double    best = 0;
  guint64   sink = 0;

  if (a == NULL)
    return 0;
#pragma omp parallel for num_threads(threads)
  for (size_t i = 0; i < n; i++)
    a[i] = i;
  for (int r = 0; r < 10; r++)
    {
      double  t0 = bench_now (), t;
      guint64 sum = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : sum)
      for (size_t i = 0; i < n; i++)
        sum += a[i];
      t = bench_now () - t0;
      sink += sum;
      if (r > 0)
        best = MAX (best, bytes / t);
    }
  free (a);
  return sink != 1 ? best : 0;
}

int
main (int argc, char **argv)
{
  int prompt_len = 256, n = 16, new_tokens = 256, single = 64, threads = 2;
  g_autofree char *backend_name = NULL, *kv = NULL;
  const GOptionEntry entries[] = {
    { "prompt", 0, 0, G_OPTION_ARG_INT, &prompt_len, "prompt tokens of the N candidates", "N" },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, "candidates of the prompt", "N" },
    { "new", 0, 0, G_OPTION_ARG_INT, &new_tokens, "new tokens per candidate", "N" },
    { "single", 0, 0, G_OPTION_ARG_INT, &single, "new tokens of the one-sequence decode", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend_name, "cpu or cuda", "B" },
    { "kv-cache", 0, 0, G_OPTION_ARG_STRING, &kv, "f32 or bf16", "TYPE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL_DIR");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  AssayBackend *b;
  const AssayLmConfig *c;
  g_autofree int *prompt = NULL;
  AssayLmGenerateOptions o = { 0 };
  AssayLmCandidate one[1] = { { 0 } }, *many;
  double bandwidth, weight_bytes, t0, single_s, many_s, bound;
  gint64 many_tokens = 0;
  long   peak;
  const int short_len = 16;
  const int *pp;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "bench-generate MODEL_DIR");
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
  o.kv_cache = kv != NULL && g_str_equal (kv, "bf16") ? ASSAY_DTYPE_BF16 : ASSAY_DTYPE_F32;
  bandwidth = read_bandwidth ((size_t) 1 << 30, threads);
  /* the peak from here on: the model and the generation, not the bandwidth buffer */
  {
    FILE *f = fopen ("/proc/self/clear_refs", "w");
    if (f != NULL)
      {
        fputs ("5", f);
        fclose (f);
      }
  }
  if (!assay_lm_model_upload (model, b, assay_lm_generator_memory (c, prompt_len, n, new_tokens, o.kv_cache), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  /* bytes a decode step reads: every weight once (the embedding is a lookup of one row, unless
   * it is also the output layer) */
  weight_bytes = (double) assay_lm_model_weight_bytes (model, assay_backend_kind (b));
  if (!c->tie_embeddings)
    weight_bytes -= (double) c->vocab * c->hidden
                    * assay_dtype_size (assay_backend_weight_dtype (assay_backend_kind (b), assay_lm_model_dtype (model)));
  prompt = g_new (int, prompt_len);
  for (int i = 0; i < prompt_len; i++)
    prompt[i] = g_rand_int_range (rand, 0, c->vocab);
  gen = assay_lm_generator_new (model);
  pp = prompt;

  /* one sequence: a short prompt, then `single` greedy tokens; the time per token is measured
   * over the decode steps after the first (prefill and first draw excluded by a run of 1) */
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.sampling.temperature = 0;
  o.n = 1;
  o.max_tokens = 4; /* warm-up: pages of the weights and buffers touched once */
  if (!assay_lm_generator_run (gen, &pp, &short_len, 1, &o, one, NULL, NULL, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  assay_lm_candidate_clear (&one[0]);
  o.max_tokens = 1;
  t0 = bench_now ();
  assay_lm_generator_run (gen, &pp, &short_len, 1, &o, one, NULL, NULL, NULL, &error);
  single_s = bench_now () - t0;
  assay_lm_candidate_clear (&one[0]);
  o.max_tokens = single;
  t0 = bench_now ();
  assay_lm_generator_run (gen, &pp, &short_len, 1, &o, one, NULL, NULL, NULL, &error);
  single_s = (bench_now () - t0 - single_s) / (single - 1);
  assay_lm_candidate_clear (&one[0]);

  /* N candidates of one prompt, sampled */
  o.sampling.temperature = 1.0;
  o.seed = 3;
  o.n = n;
  o.max_tokens = new_tokens;
  many = g_new0 (AssayLmCandidate, n);
  t0 = bench_now ();
  if (!assay_lm_generator_run (gen, &pp, &prompt_len, 1, &o, many, NULL, NULL, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  many_s = bench_now () - t0;
  for (int i = 0; i < n; i++)
    {
      many_tokens += many[i].ids->len;
      assay_lm_candidate_clear (&many[i]);
    }
  g_free (many);
  peak = bench_peak_rss_bytes ();
  /* the machine's bandwidth moves when others share it: the bound takes the best of a
   * measurement before and one after the decoding (the stricter bound); after the peak memory
   * is read, as its buffer is not the generator's */
  bandwidth = MAX (bandwidth, read_bandwidth ((size_t) 1 << 30, threads));
  bound = weight_bytes / bandwidth;
  g_print ("{\"backend\": \"%s\", \"parameters\": %" G_GUINT64_FORMAT ", \"weights\": \"%s\", "
           "\"weight_bytes_per_token\": %.0f, \"read_bandwidth_gbs\": %.2f, "
           "\"single_seconds_per_token\": %.4f, \"single_bound_seconds\": %.4f, "
           "\"fraction_of_bandwidth_bound\": %.3f, \"n\": %d, \"prompt\": %d, \"new\": %d, "
           "\"many_tokens\": %" G_GINT64_FORMAT ", \"many_seconds\": %.2f, \"many_tokens_per_second\": %.1f, "
           "\"peak_rss_bytes\": %ld, \"kv_cache\": \"%s\"}\n",
           assay_backend_describe (b), assay_lm_model_parameters (model),
           assay_lm_dtype_name (assay_backend_weight_dtype (assay_backend_kind (b), assay_lm_model_dtype (model))),
           weight_bytes, bandwidth / 1e9, single_s, bound, bound / single_s, n, prompt_len, new_tokens,
           many_tokens, many_s, many_tokens / many_s, peak, assay_lm_dtype_name (o.kv_cache));
  g_clear_pointer (&gen, assay_lm_generator_free);
  assay_lm_model_unload (model);
  assay_backend_free (b);
  return 0;
}
