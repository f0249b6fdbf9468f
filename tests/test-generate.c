/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Generation with a key/value cache on tiny random Llama, Qwen2 and GPT-2 models (F32, BF16):
 * greedy decoding equals, token for token, the argmax of the float64 reference forward pass over
 * the growing sequence; the recorded log-probs equal the scorer's (teacher forcing) on the
 * generated ids; batching changes nothing; sampling draws from the distribution it claims
 * (chi-square against probabilities computed here in float64 from the reference); seeds, stop
 * strings, end-of-sequence tokens, the context limit and cancellation. */
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "assay-answer.h"
#include "assay-error.h"
#include "assay-gen-export.h"
#include "assay-gen-generate.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-llminer.h"
#include "assay-trace-sample.h"
#include "assay-lm-generator.h"
#include "assay-lm-model.h"
#include "assay-lm-scorer.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"

typedef struct
{
  AssayTestLm  *lm;
  AssayLmModel *model;
  AssayBackend *cpu;
} Fixture;

/* The float64 reference's log-probs of the next token after ids. */
static double *
next_logprobs (AssayTestLm *lm, const int *ids, int len, int V)
{
  double *z = assay_test_lm_next (lm, ids, len), mx = -INFINITY, sum = 0;

  for (int v = 0; v < V; v++)
    mx = fmax (mx, z[v]);
  for (int v = 0; v < V; v++)
    sum += exp (z[v] - mx);
  for (int v = 0; v < V; v++)
    z[v] -= mx + log (sum);
  return z;
}

static void
fixture_open_scaled (Fixture *f, AssayLmArch arch, AssayDType dtype, guint32 seed, double scale)
{
  AssayTestLmSpec s = assay_test_lm_spec (arch, dtype);
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;
  char err[256];

  s.max_positions = 1024;
  s.tie_embeddings = s.tie_embeddings && scale == 0; /* scaled: an output layer of its own */
  s.scale = scale;
  dir = assay_test_path (g_strdup_printf ("gen-%s-%d-%u", assay_lm_arch_name (arch), dtype, seed));
  f->lm = assay_test_lm_write (dir, &s, seed);
  f->model = assay_lm_model_open (dir, &error);
  g_assert_no_error (error);
  f->cpu = assay_backend_cpu_new (2, err, sizeof err);
  g_assert_true (assay_lm_model_upload (f->model, f->cpu, 0, &error));
  g_assert_no_error (error);
}

static void
fixture_open (Fixture *f, AssayLmArch arch, AssayDType dtype, guint32 seed)
{
  fixture_open_scaled (f, arch, dtype, seed, 0);
}

static void
fixture_close (Fixture *f)
{
  assay_lm_model_unload (f->model);
  assay_lm_model_free (f->model);
  assay_backend_free (f->cpu);
  assay_test_lm_free (f->lm);
}

static AssayLmGenerateOptions
greedy_options (int n, int max_tokens)
{
  AssayLmGenerateOptions o = { 0 };

  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.sampling.temperature = 0;
  o.n = n;
  o.max_tokens = max_tokens;
  return o;
}

static int *
random_ids (GRand *rand, int n, int vocab)
{
  int *ids = g_new (int, n);

  for (int i = 0; i < n; i++)
    ids[i] = g_rand_int_range (rand, 0, vocab);
  return ids;
}

static void
candidates_free (AssayLmCandidate *c, int n)
{
  for (int i = 0; i < n; i++)
    assay_lm_candidate_clear (&c[i]);
  g_free (c);
}

/* Greedy: each token is the argmax of the float64 next-token distribution of the prompt and the
 * tokens before it (near ties, where float32 may rightly pick the other, are counted and must be
 * rare); the recorded model log-probs equal the scorer's on the same ids within 1e-5. */
static void
check_greedy (AssayLmArch arch, AssayDType dtype, guint32 seed)
{
  Fixture f;
  const int lens[] = { 5, 17, 1 }, n_prompts = 3, new_tokens = 24;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int *prompts[3];
  AssayLmGenerateOptions o = greedy_options (2, new_tokens);
  AssayLmCandidate *batched = g_new0 (AssayLmCandidate, n_prompts * 2);
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (AssayLmScorer) scorer = NULL;
  g_autoptr (GError) error = NULL;
  int compared = 0, ties = 0;
  double worst_lp = 0;

  /* weights scaled down: the argmax moves from token to token (at full scale a random model
   * repeats one token, which would hide a wrong cache) */
  fixture_open_scaled (&f, arch, dtype, seed, 0.6);
  gen = assay_lm_generator_new (f.model);
  scorer = assay_lm_scorer_new (f.model);
  for (int p = 0; p < n_prompts; p++)
    prompts[p] = random_ids (rand, lens[p], 300);
  g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, n_prompts, &o,
                                         batched, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int p = 0; p < n_prompts; p++)
    {
      AssayLmCandidate *c = &batched[2 * p];
      int  len = lens[p] + (int) c->ids->len;
      g_autofree int *seq = g_new (int, len);
      g_autofree float *lp = g_new (float, len);
      AssayLmSequence sq = { seq, len, lens[p] };
      AssayLmCandidate alone = { 0 };

      g_assert_cmpint (c->finish, ==, ASSAY_LM_FINISH_LENGTH);
      g_assert_cmpint (c->ids->len, ==, new_tokens);
      /* both greedy candidates of a prompt are the same */
      g_assert_cmpmem (c->ids->data, c->ids->len * sizeof (int), batched[2 * p + 1].ids->data,
                       batched[2 * p + 1].ids->len * sizeof (int));
      memcpy (seq, prompts[p], lens[p] * sizeof (int));
      memcpy (seq + lens[p], c->ids->data, c->ids->len * sizeof (int));
      for (int t = 0; t < new_tokens; t++)
        {
          g_autofree double *dist = next_logprobs (f.lm, seq, lens[p] + t, 300);
          int best = 0, second = -1;
          for (int v = 1; v < 300; v++)
            if (dist[v] > dist[best])
              second = best, best = v;
            else if (second < 0 || dist[v] > dist[second])
              second = v;
          if (dist[best] - dist[second] < 1e-4)
            {
              ties++;
              g_assert_true (seq[lens[p] + t] == best || seq[lens[p] + t] == second);
              break; /* the rest follows another path than the reference's argmax */
            }
          g_assert_cmpint (seq[lens[p] + t], ==, best);
          compared++;
        }
      /* the recorded log-probs against teacher forcing on the same ids */
      g_assert_true (assay_lm_scorer_run (scorer, &sq, 1, &lp, &error));
      g_assert_no_error (error);
      for (int t = 0; t < new_tokens; t++)
        worst_lp = fmax (worst_lp, fabs (g_array_index (c->model_logprobs, float, t) - lp[t]));
      /* one prompt alone, one candidate: the same tokens as in the batch */
      {
        AssayLmGenerateOptions o1 = greedy_options (1, new_tokens);
        const int *pp = prompts[p];
        g_assert_true (assay_lm_generator_run (gen, &pp, &lens[p], 1, &o1, &alone, NULL, NULL, NULL, &error));
        g_assert_cmpmem (alone.ids->data, alone.ids->len * sizeof (int), c->ids->data, c->ids->len * sizeof (int));
        assay_lm_candidate_clear (&alone);
      }
    }
  {
    g_autoptr (GHashTable) distinct = g_hash_table_new (NULL, NULL);
    for (int p = 0; p < n_prompts; p++)
      for (guint t = 0; t < batched[2 * p].ids->len; t++)
        g_hash_table_add (distinct, GINT_TO_POINTER (g_array_index (batched[2 * p].ids, int, t)));
    g_test_message ("%s %s greedy: %d tokens equal the float64 argmax (%d near ties, %u distinct "
                    "tokens), recorded log-probs vs teacher forcing max %.3g", assay_lm_arch_name (arch),
                    assay_lm_dtype_name (dtype), compared, ties, g_hash_table_size (distinct), worst_lp);
    g_assert_cmpuint (g_hash_table_size (distinct), >=, 10);
  }
  g_assert_cmpint (compared, >=, 3 * new_tokens - 24);
  g_assert_cmpfloat (worst_lp, <=, 1e-5);
  candidates_free (batched, n_prompts * 2);
  for (int p = 0; p < n_prompts; p++)
    g_free (prompts[p]);
  g_clear_pointer (&scorer, assay_lm_scorer_free);
  fixture_close (&f);
}

static void test_greedy_llama (void) { check_greedy (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 21); }
static void test_greedy_qwen2 (void) { check_greedy (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 22); }
static void test_greedy_gpt2 (void) { check_greedy (ASSAY_LM_GPT2, ASSAY_DTYPE_F32, 23); }
static void test_greedy_qwen2_bf16 (void) { check_greedy (ASSAY_LM_QWEN2, ASSAY_DTYPE_BF16, 24); }
static void test_greedy_llama_bf16 (void) { check_greedy (ASSAY_LM_LLAMA, ASSAY_DTYPE_BF16, 25); }

/* A bf16 key/value cache: half the cache memory, the greedy tokens of the float32 cache (until
 * a near tie), model log-probs within 2e-2 of them. */
static void
test_kv_bf16 (void)
{
  Fixture f;
  const int lens[] = { 5, 40, 1 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  int *prompts[3];
  AssayLmGenerateOptions o = greedy_options (2, 32);
  AssayLmCandidate exact[6] = { { 0 } }, half[6] = { { 0 } };
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GError) error = NULL;
  double worst = 0;
  guint same = 0;
  const AssayLmConfig *c;

  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_BF16, 131, 0.6);
  c = assay_lm_model_config (f.model);
  g_assert_cmpuint (assay_lm_generator_memory (c, 46, 6, 32, ASSAY_DTYPE_F32)
                      - assay_lm_generator_memory (c, 46, 6, 32, ASSAY_DTYPE_BF16),
                    ==, 2 * (guint64) c->layers * c->kv_heads * c->head_dim * (46 + 6 * 32) * 2);
  gen = assay_lm_generator_new (f.model);
  for (int p = 0; p < 3; p++)
    prompts[p] = random_ids (rand, lens[p], 300);
  g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, exact, NULL, NULL, NULL, &error));
  o.kv_cache = ASSAY_DTYPE_BF16;
  g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, half, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 6; i++)
    {
      guint k = 0;
      while (k < exact[i].ids->len && k < half[i].ids->len
             && g_array_index (exact[i].ids, int, k) == g_array_index (half[i].ids, int, k))
        {
          worst = fmax (worst, fabs (g_array_index (exact[i].model_logprobs, float, k)
                                     - g_array_index (half[i].model_logprobs, float, k)));
          k++;
        }
      same += k;
      assay_lm_candidate_clear (&exact[i]);
      assay_lm_candidate_clear (&half[i]);
    }
  g_test_message ("bf16 cache: %u of 192 tokens as with float32 before any difference, log-probs within %.2g",
                  same, worst);
  g_assert_cmpuint (same, >=, 150);
  g_assert_cmpfloat (worst, <=, 2e-2);
  g_assert_cmpfloat (worst, >, 0); /* the cache is rounded: the numbers do move */
  o.kv_cache = ASSAY_DTYPE_F16;
  g_assert_false (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, exact, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  for (int p = 0; p < 3; p++)
    g_free (prompts[p]);
  fixture_close (&f);
}

/* Upper tail of the chi-square distribution with k degrees of freedom (Wilson-Hilferty). */
static double
chi2_tail (double x, int k)
{
  double z = (pow (x / k, 1.0 / 3) - (1 - 2.0 / (9 * k))) / sqrt (2.0 / (9 * k));
  return 0.5 * erfc (z / sqrt (2));
}

/* The distribution the settings claim, from float64 log-probs, written here from the
 * definitions (penalty on the history's tokens, temperature, top-k, top-p, min-p). */
static void
expected (const double *logits, int V, const AssaySampling *s, const int *history, int n_history,
          double *q)
{
  g_autofree double *z = g_new (double, V);
  g_autofree int *order = g_new (int, V);
  double mx = -INFINITY, sum = 0, cum = 0;
  int keep = V;

  for (int v = 0; v < V; v++)
    {
      gboolean seen = FALSE;
      for (int i = 0; i < n_history; i++)
        seen = seen || history[i] == v;
      z[v] = logits[v];
      if (seen)
        z[v] = z[v] > 0 ? z[v] / s->repetition_penalty : z[v] * s->repetition_penalty;
      z[v] /= s->temperature;
      mx = fmax (mx, z[v]);
      order[v] = v;
    }
  for (int v = 0; v < V; v++)
    sum += (q[v] = exp (z[v] - mx));
  for (int v = 0; v < V; v++)
    q[v] /= sum;
  for (int i = 0; i < V; i++) /* selection sort, most likely first */
    for (int j = i + 1; j < V; j++)
      if (q[order[j]] > q[order[i]])
        {
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
  if (s->top_k > 0)
    keep = MIN (keep, s->top_k);
  if (s->top_p < 1)
    {
      double total = 0;
      for (int i = 0; i < keep; i++)
        total += q[order[i]];
      for (int i = 0; i < keep; i++)
        if ((cum += q[order[i]] / total) >= s->top_p)
          {
            keep = i + 1;
            break;
          }
    }
  if (s->min_p > 0)
    for (int i = 1; i < keep; i++)
      if (q[order[i]] < s->min_p * q[order[0]])
        {
          keep = i;
          break;
        }
  sum = 0;
  for (int i = 0; i < keep; i++)
    sum += q[order[i]];
  for (int i = 0; i < V; i++)
    q[order[i]] = i < keep ? q[order[i]] / sum : 0;
}

/* 20 000 draws of the first token (20 000 candidates of one prompt: one prefill, 20 000
 * samplers) against the expected distribution; a token outside its support fails at once. */
static void
check_sampling (Fixture *f, const AssaySampling *s, const char *label)
{
  const int draws = 20000, V = 300, len = 9;
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autofree int *prompt = random_ids (rand, len, V);
  g_autofree double *logits = assay_test_lm_next (f->lm, prompt, len);
  g_autofree double *logp = next_logprobs (f->lm, prompt, len, V);
  g_autofree double *q = g_new (double, V);
  g_autofree int *count = g_new0 (int, V);
  AssayLmGenerateOptions o = greedy_options (draws, 1);
  AssayLmCandidate *out = g_new0 (AssayLmCandidate, draws);
  g_autoptr (AssayLmGenerator) gen = assay_lm_generator_new (f->model);
  g_autoptr (GError) error = NULL;
  const int *pp = prompt;
  double chi2 = 0, pooled_e = 0, pooled_o = 0, p, worst_lq = 0;
  int bins = 0, support = 0;

  o.sampling = *s;
  o.seed = 1234;
  expected (logits, V, s, prompt, len, q);
  g_assert_true (assay_lm_generator_run (gen, &pp, &len, 1, &o, out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < draws; i++)
    {
      int tok = g_array_index (out[i].ids, int, 0);
      g_assert_cmpfloat (q[tok], >, 0);
      count[tok]++;
      /* the recorded sampling log-prob is the claimed distribution's */
      worst_lq = fmax (worst_lq, fabs (g_array_index (out[i].logprobs, float, 0) - log (q[tok])));
      g_assert_cmpfloat (fabs (g_array_index (out[i].model_logprobs, float, 0) - logp[tok]), <=, 1e-4);
    }
  for (int v = 0; v < V; v++)
    {
      double e = q[v] * draws;
      if (q[v] > 0)
        support++;
      if (e >= 5)
        {
          chi2 += (count[v] - e) * (count[v] - e) / e;
          bins++;
        }
      else
        {
          pooled_e += e;
          pooled_o += count[v];
        }
    }
  if (pooled_e >= 5)
    {
      chi2 += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e;
      bins++;
    }
  p = bins > 1 ? chi2_tail (chi2, bins - 1) : 1.0;
  g_test_message ("%s: %d tokens in the support, chi-square %.1f on %d bins, p = %.3g; "
                  "sampling log-prob vs float64 max %.2g", label, support, chi2, bins, p, worst_lq);
  g_assert_cmpfloat (p, >, 0.001);
  g_assert_cmpfloat (worst_lq, <=, 1e-4);
  candidates_free (out, draws);
}

static void
test_sampling_distribution (void)
{
  Fixture f;
  AssaySampling s;

  /* small weights: a flat next-token distribution, so every setting cuts somewhere */
  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 31, 0.6);
  s = ASSAY_SAMPLING_DEFAULT;
  check_sampling (&f, &s, "T 1");
  s.temperature = 0.7;
  check_sampling (&f, &s, "T 0.7");
  s = ASSAY_SAMPLING_DEFAULT;
  s.top_k = 20;
  check_sampling (&f, &s, "T 1, top-k 20");
  s = ASSAY_SAMPLING_DEFAULT;
  s.temperature = 0.8;
  s.top_p = 0.9;
  check_sampling (&f, &s, "T 0.8, top-p 0.9");
  s = ASSAY_SAMPLING_DEFAULT;
  s.min_p = 0.05;
  check_sampling (&f, &s, "T 1, min-p 0.05");
  s = ASSAY_SAMPLING_DEFAULT;
  s.repetition_penalty = 1.5;
  check_sampling (&f, &s, "T 1, repetition penalty 1.5");
  fixture_close (&f);
}

/* The same seed gives the same tokens, another seed others; candidates decoded 1, 3 or 64 at a
 * time are the same tokens. */
static void
test_seeds_and_batching (void)
{
  Fixture f;
  const int lens[] = { 4, 11, 7 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  int *prompts[3];
  AssayLmCandidate *runs[4];
  const int batches[4] = { 64, 1, 3, 64 };
  const guint64 seeds[4] = { 7, 7, 7, 8 };
  g_autoptr (AssayLmGenerator) gen = NULL;
  int differ = 0;

  fixture_open (&f, ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 41);
  gen = assay_lm_generator_new (f.model);
  for (int p = 0; p < 3; p++)
    prompts[p] = random_ids (rand, lens[p], 300);
  for (int r = 0; r < 4; r++)
    {
      AssayLmGenerateOptions o = greedy_options (4, 30);
      g_autoptr (GError) error = NULL;
      o.sampling = ASSAY_SAMPLING_DEFAULT;
      o.sampling.top_p = 0.95;
      o.seed = seeds[r];
      o.max_batch = batches[r];
      runs[r] = g_new0 (AssayLmCandidate, 12);
      g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, runs[r], NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  for (int i = 0; i < 12; i++)
    {
      for (int r = 1; r < 3; r++)
        g_assert_cmpmem (runs[r][i].ids->data, runs[r][i].ids->len * sizeof (int), runs[0][i].ids->data,
                         runs[0][i].ids->len * sizeof (int));
      differ += runs[3][i].ids->len != runs[0][i].ids->len
                || memcmp (runs[3][i].ids->data, runs[0][i].ids->data, runs[0][i].ids->len * sizeof (int)) != 0;
      /* the 4 candidates of a prompt differ from each other */
      if (i % 4 > 0)
        g_assert_true (memcmp (runs[0][i].ids->data, runs[0][i - 1].ids->data, 30 * sizeof (int)) != 0);
    }
  g_assert_cmpint (differ, ==, 12);
  for (int r = 0; r < 4; r++)
    candidates_free (runs[r], 12);
  for (int p = 0; p < 3; p++)
    g_free (prompts[p]);
  fixture_close (&f);
}

/* An end-of-sequence token ends a candidate without being kept; a stop string cuts the text
 * before it. The stops are taken from a first run, so they do occur. */
static void
test_stops (void)
{
  Fixture f;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree int *prompt = random_ids (rand, 6, 300);
  const int len = 6;
  const int *pp = prompt;
  AssayLmGenerateOptions o = greedy_options (1, 20);
  AssayLmCandidate base = { 0 }, eos = { 0 }, stop = { 0 };
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GError) error = NULL;
  AssayLmTokenizer *tok;
  int eos_id;
  g_autofree char *piece = NULL;
  char *stops[2] = { NULL, NULL };
  const char *at;

  /* sampled (a greedy random model repeats one token): the same seed replays the same tokens */
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.seed = 17;
  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 51, 0.6);
  tok = assay_lm_model_tokenizer (f.model);
  gen = assay_lm_generator_new (f.model);
  g_assert_true (assay_lm_generator_run (gen, &pp, &len, 1, &o, &base, NULL, NULL, NULL, &error));
  g_assert_cmpint (base.ids->len, ==, 20);
  g_assert_cmpstr (base.text, !=, NULL);

  eos_id = g_array_index (base.ids, int, 9);
  o.eos = &eos_id;
  o.n_eos = 1;
  g_assert_true (assay_lm_generator_run (gen, &pp, &len, 1, &o, &eos, NULL, NULL, NULL, &error));
  g_assert_cmpint (eos.finish, ==, ASSAY_LM_FINISH_EOS);
  g_assert_cmpint (eos.ids->len, <=, 9);
  g_assert_cmpint (eos.ids->len, ==, eos.logprobs->len);
  for (guint i = 0; i < eos.ids->len; i++)
    g_assert_cmpint (g_array_index (eos.ids, int, i), ==, g_array_index (base.ids, int, i));

  o.eos = NULL;
  o.n_eos = 0;
  /* the stop: the bytes of the first printable ASCII token from the sixth on */
  {
    g_autoptr (GString) raw = g_string_new (NULL);
    g_autofree char *want = NULL;
    for (guint i = 0; i < base.ids->len; i++)
      {
        gsize       n = 0;
        const char *b = assay_lm_tokenizer_token_bytes (tok, g_array_index (base.ids, int, i), &n);
        gboolean    ascii;
        if (b == NULL)
          n = 0; /* an id past the tokenizer's vocabulary: no text */
        ascii = n > 0;
        for (gsize j = 0; j < n; j++)
          ascii = ascii && g_ascii_isprint (b[j]);
        if (piece == NULL && i >= 5 && ascii)
          piece = g_strndup (b, n);
        if (n > 0)
          g_string_append_len (raw, b, (gssize) n);
      }
    g_assert_nonnull (piece);
    at = strstr (raw->str, piece);
    want = g_utf8_make_valid (raw->str, at - raw->str);
    stops[0] = piece;
    o.stop = stops;
    g_assert_true (assay_lm_generator_run (gen, &pp, &len, 1, &o, &stop, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (stop.finish, ==, ASSAY_LM_FINISH_STOP);
    /* the text is the greedy text up to the first occurrence of the stop string */
    g_assert_cmpstr (stop.text, ==, want);
  }
  assay_lm_candidate_clear (&base);
  assay_lm_candidate_clear (&eos);
  assay_lm_candidate_clear (&stop);
  fixture_close (&f);
}

static void
cancel_after (guint64 tokens, int finished, gpointer data)
{
  if (tokens >= 40)
    g_cancellable_cancel (data);
}

/* A prompt that leaves no room in the context and bad settings are refused naming the cause; a
 * cancelled run leaves no candidate behind. */
static void
test_refusals (void)
{
  Fixture f;
  g_autofree int *prompt = g_new0 (int, 1020);
  int len = 1020, bad = 300, one = 1;
  const int *pp = prompt;
  AssayLmGenerateOptions o = greedy_options (2, 10);
  AssayLmCandidate out[2] = { { 0 } };
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;

  fixture_open (&f, ASSAY_LM_GPT2, ASSAY_DTYPE_F32, 61);
  gen = assay_lm_generator_new (f.model);
  g_assert_false (assay_lm_generator_run (gen, &pp, &len, 1, &o, out, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "context of 1024"));
  g_clear_error (&error);
  pp = &bad;
  g_assert_false (assay_lm_generator_run (gen, &pp, &one, 1, &o, out, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "token id 300"));
  g_clear_error (&error);
  pp = prompt;
  o.sampling.top_p = 1.5;
  g_assert_false (assay_lm_generator_run (gen, &pp, &one, 1, &o, out, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "top-p"));
  g_clear_error (&error);
  o.sampling.top_p = 1;
  o.max_tokens = 100;
  g_assert_false (assay_lm_generator_run (gen, &pp, &one, 1, &o, out, cancel_after, cancel, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (out[0].ids);
  g_assert_null (out[1].ids);
  fixture_close (&f);
}

/* On a GPU: greedy decoding with the cache on CUDA gives the tokens of the CPU, and model
 * log-probs within 1e-3 (F32) of the scorer on the CPU (skipped, visibly, without a device). */
static void
test_cuda (void)
{
  char          err[256];
  AssayBackend *cuda = assay_backend_cuda_new (0, err, sizeof err);
  AssayDType    dtypes[] = { ASSAY_DTYPE_F32, ASSAY_DTYPE_BF16 };

  if (cuda == NULL)
    {
      g_test_skip_printf ("no CUDA device: %s", err);
      return;
    }
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    for (AssayLmArch arch = ASSAY_LM_LLAMA; arch <= ASSAY_LM_GPT2; arch++)
      {
        Fixture f;
        const int lens[] = { 5, 17, 1 };
        g_autoptr (GRand) rand = g_rand_new_with_seed (d * 10 + arch);
        int *prompts[3];
        AssayLmGenerateOptions o = greedy_options (2, 16);
        AssayLmCandidate on_cpu[6] = { { 0 } }, on_gpu[6] = { { 0 } };
        g_autoptr (AssayLmModel) gpu_model = NULL;
        g_autoptr (GError) error = NULL;
        double worst = 0;
        guint same = 0;

        fixture_open_scaled (&f, arch, dtypes[d], 110 + arch, 0.6);
        for (int p = 0; p < 3; p++)
          prompts[p] = random_ids (rand, lens[p], 300);
        {
          g_autoptr (AssayLmGenerator) gen = assay_lm_generator_new (f.model);
          g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, on_cpu, NULL, NULL, NULL, &error));
        }
        gpu_model = assay_lm_model_open (assay_test_lm_dir (f.lm), &error);
        g_assert_true (assay_lm_model_upload (gpu_model, cuda, 0, &error));
        g_assert_no_error (error);
        {
          g_autoptr (AssayLmGenerator) gen = assay_lm_generator_new (gpu_model);
          g_assert_true (assay_lm_generator_run (gen, (const int *const *) prompts, lens, 3, &o, on_gpu, NULL, NULL, NULL, &error));
          g_assert_no_error (error);
        }
        for (int i = 0; i < 6; i++)
          {
            guint n = MIN (on_cpu[i].ids->len, on_gpu[i].ids->len), k = 0;
            while (k < n && g_array_index (on_cpu[i].ids, int, k) == g_array_index (on_gpu[i].ids, int, k))
              {
                worst = fmax (worst, fabs (g_array_index (on_cpu[i].model_logprobs, float, k)
                                           - g_array_index (on_gpu[i].model_logprobs, float, k)));
                k++;
              }
            same += k;
            assay_lm_candidate_clear (&on_cpu[i]);
            assay_lm_candidate_clear (&on_gpu[i]);
          }
        g_test_message ("CUDA %s %s: %u of 96 greedy tokens as on the CPU before any difference, "
                        "log-probs within %.2g", assay_lm_arch_name (arch), assay_lm_dtype_name (dtypes[d]),
                        same, worst);
        g_assert_cmpuint (same, >=, 80);
        g_assert_cmpfloat (worst, <=, dtypes[d] == ASSAY_DTYPE_F32 ? 1e-3 : 3e-2);
        assay_lm_model_unload (gpu_model);
        for (int p = 0; p < 3; p++)
          g_free (prompts[p]);
        fixture_close (&f);
      }
  assay_backend_free (cuda);
}

static void
cancel_on_progress (double fraction, const char *message, gpointer data)
{
  /* the first group's 16 answers done (of 80): cancel the rest */
  if (fraction >= 0.2)
    g_cancellable_cancel (data);
}

/* Cancelling gen generate keeps the groups already stored, never a part of one; cancelling
 * traces sample stores nothing (one transaction). */
static void
test_cancel (void)
{
  Fixture f;
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-cancel.assay");
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) docs = g_string_new (NULL);
  g_autofree char *path = NULL;
  JsonObject *result = NULL;
  AssayGenGenerateOptions o = { 0 };
  AssayTraceSampleOptions t = { 0 };
  AssayGenFilter flt;
  gint64 made;

  for (int i = 0; i < 40; i++)
    g_string_append_printf (docs, "{\"id\": \"d%d\", \"document\": \"Document number %d.\"}\n", i, i);
  path = assay_test_write_file ("cancel-docs.jsonl", docs->str);
  g_clear_object (&store);
  {
    g_autofree char *ws = assay_test_path ("gen-cancel.assay");
    g_autoptr (JsonObject) imp = assay_test_cli_json ((const char *[]) { "gen", "import", "-w", ws, path, "--json", NULL }, 0, NULL);
    store = assay_store_open (ws, &error);
    g_assert_no_error (error);
  }
  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 121, 0.6);
  assay_gen_filter_init (&flt);
  flt.kind = "document";
  o.model = (char *) assay_test_lm_dir (f.lm);
  o.template_name = (char *) "genco-elaboration";
  o.filter = &flt;
  o.n = 2;
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.max_tokens = 4;
  o.max_batch = 16; /* groups of 8 records */
  g_assert_false (assay_gen_generate (store, &o, f.cpu, cancel_on_progress, cancel, cancel, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  made = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'elaboration'", -1);
  g_test_message ("cancelled after the first group: %" G_GINT64_FORMAT " of 80 answers stored", made);
  g_assert_cmpint (made, ==, 16);

  /* traces sample: all or nothing */
  {
    const char *tr = "{\"question\": \"1 + 1?\", \"response\": \"### Answer: 2\", \"answer\": \"2\"}\n"
                     "{\"question\": \"2 + 2?\", \"response\": \"### Answer: 4\", \"answer\": \"4\"}\n";
    g_autofree char *tpath = assay_test_write_file ("cancel-traces.jsonl", tr);
    g_autofree char *ws = assay_test_path ("gen-cancel.assay");
    g_autoptr (JsonObject) imp = assay_test_cli_json ((const char *[]) { "traces", "import", "-w", ws, tpath, "--json", NULL }, 0, NULL);
    gint64 before = assay_store_query_int (store, "SELECT count(*) FROM gen_records", -1);
    gint64 sets = assay_store_query_int (store, "SELECT count(*) FROM datasets", -1);
    g_autoptr (GCancellable) now = g_cancellable_new ();
    t.model = (char *) assay_test_lm_dir (f.lm);
    t.n = 4;
    t.sampling = ASSAY_SAMPLING_DEFAULT;
    t.max_tokens = 50;
    g_cancellable_cancel (now);
    g_assert_false (assay_trace_sample (store, &t, f.cpu, NULL, NULL, now, &result, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records", -1), ==, before);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM datasets", -1), ==, sets);
  }
  fixture_close (&f);
}

/* A model whose scores are NaN (a broken output row): generation stops naming where, and
 * lm score writes null, never a NaN that is not JSON. */
static void
test_nan_model (void)
{
  Fixture f;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmGenerator) gen = NULL;
  g_autoptr (GError) error = NULL;
  const int prompt[] = { 1, 2, 3 }, len = 3;
  const int *pp = prompt;
  AssayLmGenerateOptions o = greedy_options (1, 4);
  AssayLmCandidate out = { 0 };
  g_autofree char *input = assay_test_write_file ("nan-score.jsonl", "{\"id\": 1, \"prompt\": \"a\", \"response\": \"bc\"}\n");
  g_autofree char *output = assay_test_path ("nan-score-out.jsonl");
  g_autofree char *text = NULL;

  fixture_open (&f, ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 141);
  assay_test_lm_favour (f.lm, 7, NAN);
  model = assay_lm_model_open (assay_test_lm_dir (f.lm), &error);
  g_assert_no_error (error);
  g_assert_true (assay_lm_model_upload (model, f.cpu, 0, &error));
  gen = assay_lm_generator_new (model);
  g_assert_false (assay_lm_generator_run (gen, &pp, &len, 1, &o, &out, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "not finite"));
  g_assert_null (out.ids);
  assay_lm_model_unload (model);
  assay_test_cli_json ((const char *[]) { "lm", "score", "--model", assay_test_lm_dir (f.lm), "--input", input,
    "--output", output, NULL }, 0, NULL);
  g_assert_true (g_file_get_contents (output, &text, NULL, NULL));
  g_assert_null (strstr (text, "nan"));
  g_assert_nonnull (strstr (text, "null"));
  fixture_close (&f);
}

/* Ctrl+C on the command line cancels the job: exit 1 saying so, and no output file. */
static void
test_sigint (void)
{
  Fixture f;
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *input = assay_test_write_file ("sigint.jsonl", "{\"id\": 1, \"prompt\": \"a long one\"}\n");
  g_autofree char *output = assay_test_path ("sigint-out.jsonl");
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  fixture_open (&f, ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 151);
  g_unlink (output);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           cli, "lm", "generate", "--model", assay_test_lm_dir (f.lm), "--input", input,
                           "--output", output, "--n", "256", "--max-tokens", "1000", NULL);
  g_assert_no_error (error);
  g_usleep (G_USEC_PER_SEC / 2); /* 256 x 1 000 tokens take far longer */
  g_subprocess_send_signal (proc, SIGINT);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_nonnull (strstr (err, "cancelled"));
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  fixture_close (&f);
}

static GPtrArray *
read_lines (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      {
        g_autoptr (GError) error = NULL;
        JsonObject *o = assay_json_object_from_string (lines[i], &error);
        g_assert_no_error (error);
        g_ptr_array_add (out, o);
      }
  return out;
}

/* assay-cli lm generate: one line per candidate with its fields, the same file for the same
 * seed, greedy candidates alike, and bad input refused with the file and line, nothing written. */
static void
test_cli (void)
{
  Fixture f;
  g_autofree char *input = assay_test_write_file ("gen-prompts.jsonl",
    "{\"id\": \"a\", \"prompt\": \"the answer is\"}\n"
    "\n"
    "{\"id\": 7, \"prompt\": \"one two\"}\n"
    "{\"prompt\": \"x\"}\n");
  g_autofree char *bad = assay_test_write_file ("gen-bad.jsonl",
    "{\"id\": 1, \"prompt\": \"fine\"}\n{\"id\": 2, \"text\": \"no prompt\"}\n");
  g_autofree char *msgs = assay_test_write_file ("gen-messages.jsonl",
    "{\"id\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
  g_autofree char *out1 = assay_test_path ("gen-out1.jsonl");
  g_autofree char *out2 = assay_test_path ("gen-out2.jsonl");
  g_autofree char *out3 = assay_test_path ("gen-out3.jsonl");
  g_autofree char *t1 = NULL, *t2 = NULL;
  g_autoptr (JsonObject) r = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  const char *dir;
  char *err = NULL;

  fixture_open_scaled (&f, ASSAY_LM_LLAMA, ASSAY_DTYPE_BF16, 71, 0.6);
  dir = assay_test_lm_dir (f.lm);
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (JsonObject) o = assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir,
        "--input", input, "--output", k == 0 ? out1 : out2, "--n", "3", "--temperature", "0.8",
        "--top-p", "0.95", "--max-tokens", "12", "--seed", "5", "--json", NULL }, 0, NULL);
      g_assert_cmpint (json_object_get_int_member (o, "prompts"), ==, 3);
      g_assert_cmpint (json_object_get_int_member (o, "candidates"), ==, 9);
    }
  g_assert_true (g_file_get_contents (out1, &t1, NULL, NULL));
  g_assert_true (g_file_get_contents (out2, &t2, NULL, NULL));
  g_assert_cmpstr (t1, ==, t2);
  lines = read_lines (out1);
  g_assert_cmpuint (lines->len, ==, 9);
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *o = lines->pdata[i];
      guint n = json_array_get_length (json_object_get_array_member (o, "token_ids"));
      g_assert_cmpint (json_object_get_int_member (o, "candidate"), ==, i % 3);
      g_assert_cmpuint (n, >=, 1);
      g_assert_cmpuint (n, <=, 12);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tokens")), ==, n);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "logprobs")), ==, n);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "sample_logprobs")), ==, n);
      g_assert_true (json_object_has_member (o, "text"));
      g_assert_nonnull (json_object_get_string_member (o, "finish_reason"));
    }
  g_assert_cmpstr (json_object_get_string_member (lines->pdata[0], "id"), ==, "a");
  g_assert_cmpint (json_object_get_int_member (lines->pdata[3], "id"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (lines->pdata[6], "id"), ==, 4); /* its line number */

  /* greedy: the candidates of a prompt are the same */
  r = assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", input,
    "--output", out3, "--n", "2", "--temperature", "0", "--max-tokens", "8", "--json", NULL }, 0, NULL);
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = read_lines (out3);
  for (guint i = 0; i < lines->len; i += 2)
    {
      g_autofree char *a = json_to_string (json_object_get_member (lines->pdata[i], "token_ids"), FALSE);
      g_autofree char *b = json_to_string (json_object_get_member (lines->pdata[i + 1], "token_ids"), FALSE);
      g_assert_cmpstr (a, ==, b);
    }

  /* --chat: the messages through the folder's chat template (tokenizer_config.json); the prompt
   * is the text `lm chat-template` prints, encoded */
  {
    const char *data = assay_test_shared_data ();
    g_autofree char *tmpl_path = data ? g_build_filename (data, "chat-templates", "Qwen-Qwen2.5-7B-Instruct.jinja", NULL) : NULL;
    g_autofree char *tmpl = NULL, *config = NULL, *config_text = NULL, *m = NULL, *out4 = assay_test_path ("gen-out4.jsonl");
    g_autoptr (JsonObject) cfg = json_object_new ();
    g_autoptr (JsonObject) rendered = NULL, tokens = NULL, res = NULL;
    g_autoptr (GPtrArray) chat_lines = NULL;

    if (tmpl_path != NULL && g_file_get_contents (tmpl_path, &tmpl, NULL, NULL))
      {
        json_object_set_string_member (cfg, "chat_template", tmpl);
        json_object_set_string_member (cfg, "eos_token", "<|im_end|>");
        config = g_build_filename (dir, "tokenizer_config.json", NULL);
        config_text = assay_json_object_to_string (cfg, FALSE);
        g_assert_true (g_file_set_contents (config, config_text, -1, NULL));
        m = assay_test_write_file ("gen-m.json", "[{\"role\": \"user\", \"content\": \"hi\"}]");
        rendered = assay_test_cli_json ((const char *[]) { "lm", "chat-template", "--model", dir, "--messages", m,
          "--add-generation-prompt", "--json", NULL }, 0, NULL);
        g_assert_true (g_str_has_suffix (json_object_get_string_member (rendered, "text"), "<|im_start|>assistant\n"));
        tokens = assay_test_cli_json ((const char *[]) { "lm", "tokenize", "--tokenizer", dir, "--text",
          json_object_get_string_member (rendered, "text"), "--json", NULL }, 0, NULL);
        res = assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", msgs,
          "--output", out4, "--chat", "--max-tokens", "4", "--json", NULL }, 0, NULL);
        chat_lines = read_lines (out4);
        g_assert_cmpuint (chat_lines->len, ==, 1);
        g_assert_cmpint (json_object_get_int_member (chat_lines->pdata[0], "prompt_tokens"), ==,
                         json_array_get_length (json_object_get_array_member (tokens, "ids")));
        g_unlink (config);
      }
  }

  /* refusals: nothing is written */
  g_unlink (out3);
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", bad,
    "--output", out3, NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "gen-bad.jsonl:2"));
  g_assert_nonnull (strstr (err, "prompt"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", msgs,
    "--output", out3, NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "--chat"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", msgs,
    "--output", out3, "--chat", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "chat template"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", input,
    "--output", out3, "--max-tokens", "5000", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "context"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", input,
    "--output", out3, "--top-p", "0", NULL }, 2, &err);
  g_assert_nonnull (strstr (err, "top-p"));
  g_clear_pointer (&err, g_free);
  g_assert_false (g_file_test (out3, G_FILE_TEST_EXISTS));
  /* a device is written in place, never replaced by a file: /dev/full says it is full */
  if (g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      GStatBuf st;
      assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", input,
        "--output", "/dev/full", "--max-tokens", "2", NULL }, 1, &err);
      g_assert_nonnull (strstr (err, "/dev/full"));
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (g_stat ("/dev/full", &st), ==, 0);
      g_assert_true (S_ISCHR (st.st_mode));
    }
  assay_test_cli_json ((const char *[]) { "lm", "generate", "--model", dir, "--input", input,
    "--output", out3, "--threads", "100000", NULL }, 2, &err);
  g_assert_nonnull (strstr (err, "--threads"));
  g_clear_pointer (&err, g_free);
  fixture_close (&f);
}

/* assay-cli gen generate: GenCo's elaborations of bare documents (Table 3.3 prompts), N answers
 * per record, each a record with its provenance (model folder and config hash, template and its
 * hash, sampling settings, seed, candidate), which the export keeps; the conditional prompt in
 * the thesis's words; refusals before any work. */
static void
test_gen_generate (void)
{
  Fixture f;
  g_autofree char *ws = assay_test_path ("gen-generate.assay");
  g_autofree char *docs = assay_test_write_file ("gen-docs.jsonl",
    "{\"id\": \"d1\", \"document\": \"The match ended in a draw after extra time.\"}\n"
    "{\"id\": \"d2\", \"document\": \"Shares fell as the bank cut its forecast.\"}\n"
    "{\"id\": \"d3\", \"document\": \"A new chip doubles the speed of phones.\", \"label\": \"Sci/Tech\"}\n");
  g_autofree char *req = assay_test_path ("gen-requests.jsonl");
  g_autofree char *sft = assay_test_path ("gen-sft.jsonl");
  g_autofree char *config_sha = NULL, *config_text = NULL, *config_path = NULL;
  g_autofree char *requests = NULL, *dataset_s = NULL, *ds2 = NULL;
  g_autoptr (JsonObject) imp = NULL, gen = NULL, list = NULL, cond = NULL, exp = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (AssayStore) fresh = assay_test_fresh_store ("gen-generate.assay");
  JsonArray *records;
  const char *dir;
  char *err = NULL;
  gsize len;

  g_clear_pointer (&fresh, g_object_unref);
  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 81, 0.6);
  dir = assay_test_lm_dir (f.lm);
  config_path = g_build_filename (dir, "config.json", NULL);
  g_assert_true (g_file_get_contents (config_path, &config_text, &len, NULL));
  config_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) config_text, len);

  imp = assay_test_cli_json ((const char *[]) { "gen", "import", "-w", ws, docs, "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (imp, "imported"), ==, 3);
  gen = assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "genco-elaboration",
    "--model", dir, "--kind", "document", "--n", "2", "--max-tokens", "8", "--seed", "4", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (gen, "records"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (gen, "prompts"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (gen, "tokens"), >, 0);
  dataset_s = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (gen, "dataset"));
  list = assay_test_cli_json ((const char *[]) { "gen", "list", "-w", ws, "--dataset", dataset_s, "--json", NULL }, 0, NULL);
  records = json_object_get_array_member (list, "records");
  g_assert_cmpuint (json_array_get_length (records), ==, 6);
  for (guint i = 0; i < 6; i++)
    {
      JsonObject *r = json_array_get_object_element (records, i);
      JsonObject *p = json_object_get_object_member (r, "params");
      g_assert_cmpstr (json_object_get_string_member (r, "kind"), ==, "elaboration");
      g_assert_nonnull (json_object_get_string_member (r, "source"));
      g_assert_cmpstr (json_object_get_string_member (p, "generator"), ==, "assay");
      g_assert_cmpstr (json_object_get_string_member (p, "model_dir"), ==, dir);
      g_assert_cmpstr (json_object_get_string_member (p, "model_config_sha256"), ==, config_sha);
      g_assert_cmpstr (json_object_get_string_member (p, "template"), ==, "genco-elaboration");
      g_assert_cmpint (json_object_get_int_member (p, "candidate"), ==, i % 2);
      g_assert_cmpfloat (json_object_get_double_member (p, "temperature"), ==, 0.8);
      g_assert_cmpfloat (json_object_get_double_member (p, "top_p"), ==, 0.95);
      g_assert_true (json_object_has_member (p, "finish_reason"));
    }
  /* the provenance goes out with the export */
  exp = assay_test_cli_json ((const char *[]) { "gen", "export", "-w", ws, "--dataset", dataset_s, "--format", "sft",
    sft, "--json", NULL }, 0, NULL);
  lines = read_lines (sft);
  g_assert_cmpuint (lines->len, ==, 6);
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *p = json_object_get_object_member (lines->pdata[i], "provenance");
      g_assert_nonnull (p);
      g_assert_cmpstr (json_object_get_string_member (p, "model_config_sha256"), ==, config_sha);
      g_assert_cmpstr (json_object_get_string_member (p, "template"), ==, "genco-elaboration");
    }

  /* the conditional prompt: Table 3.3's words with the pseudo label */
  assay_test_cli_json ((const char *[]) { "gen", "prompts", "-w", ws, "--template", "genco-conditional",
    "--kind", "document", req, NULL }, 0, NULL);
  g_assert_true (g_file_get_contents (req, &requests, NULL, NULL));
  g_assert_nonnull (strstr (requests, "Elaborate the text in a few sentences. (Discuss the Sci/Tech aspects of the article.)"));
  g_assert_nonnull (strstr (requests, "### Input:\\nA new chip doubles the speed of phones."));
  cond = assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "genco-conditional",
    "--model", dir, "--kind", "document", "--search", "chip", "--max-tokens", "4", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (cond, "records"), ==, 1);
  ds2 = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (cond, "dataset"));
  g_clear_pointer (&list, json_object_unref);
  list = assay_test_cli_json ((const char *[]) { "gen", "list", "-w", ws, "--dataset", ds2, "--json", NULL }, 0, NULL);
  {
    JsonObject *r = json_array_get_object_element (json_object_get_array_member (list, "records"), 0);
    g_assert_cmpstr (json_object_get_string_member (r, "kind"), ==, "rewrite");
    g_assert_cmpstr (json_object_get_string_member (r, "condition"), ==, "Sci/Tech");
  }

  /* refusals, before any record is written */
  assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "nope", "--model", dir, NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "nope"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "genco-elaboration", "--model", dir,
    "--kind", "document", "--max-tokens", "4000", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "context"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "genco-elaboration", "--model", dir,
    "--kind", "document", "--chat", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "chat template"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "genco-elaboration", "--model", dir,
    "--kind", "no-such-kind", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "No records"));
  g_clear_pointer (&err, g_free);
  {
    g_autoptr (JsonObject) all = assay_test_cli_json ((const char *[]) { "gen", "list", "-w", ws, "--json", NULL }, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (all, "total"), ==, 3 + 6 + 1);
  }
  fixture_close (&f);
}

/* assay-cli traces sample on ProcessBench GSM8K: questions with a ground truth (the answer of a
 * trace known correct), N candidates each with steps, the reference and provenance; then a credit
 * run and an evaluation with re-ranking curves up to N. */
static void
test_traces_sample (void)
{
  Fixture f, ref;
  const char *data = assay_test_shared_data ();
  g_autofree char *ws = assay_test_path ("traces-sample.assay");
  g_autofree char *gsm = NULL, *contents = NULL, *truth = NULL, *ds = NULL, *run = NULL;
  g_autoptr (AssayStore) fresh = NULL;
  g_autoptr (JsonObject) imp = NULL, smp = NULL, list = NULL, credit = NULL, ev = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GHashTable) solved = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) truths = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  JsonArray *rows, *records, *ns;
  guint unsolved = 0;

  if (data == NULL)
    return;
  gsm = g_build_filename (data, "reasoning", "processbench", "gsm8k.json", NULL);
  /* the first question with a trace known correct, and its answer: the ground truth */
  g_assert_true (g_file_get_contents (gsm, &contents, NULL, NULL));
  root = json_from_string (contents, NULL);
  rows = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *problem = json_object_get_string_member (row, "problem");
      gboolean    ok = json_object_get_boolean_member (row, "final_answer_correct");
      g_autofree char *answer = NULL;
      if (ok)
        {
          JsonArray *steps = json_object_get_array_member (row, "steps");
          g_autoptr (GString) text = g_string_new (NULL);
          for (guint k = 0; k < json_array_get_length (steps); k++)
            g_string_append_printf (text, k ? "\n\n%s" : "%s", json_array_get_string_element (steps, k));
          answer = assay_answer_extract (text->str, NULL);
          if (answer != NULL && !g_hash_table_contains (truths, problem))
            g_hash_table_insert (truths, (gpointer) problem, g_strdup (answer));
        }
      if (!g_hash_table_contains (solved, problem))
        g_ptr_array_add (order, (gpointer) problem);
      /* a question has a ground truth when a trace known correct has an answer to extract */
      g_hash_table_insert (solved, (gpointer) problem,
                           GINT_TO_POINTER (answer != NULL || GPOINTER_TO_INT (g_hash_table_lookup (solved, problem))));
    }
  /* the first question, in order of first appearance, with a ground truth */
  for (guint i = 0; truth == NULL && i < order->len; i++)
    truth = g_strdup (g_hash_table_lookup (truths, order->pdata[i]));
  {
    GHashTableIter iter;
    gpointer       value;
    g_hash_table_iter_init (&iter, solved);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      unsolved += !GPOINTER_TO_INT (value);
  }
  g_assert_nonnull (truth);
  fresh = assay_test_fresh_store ("traces-sample.assay");
  g_clear_pointer (&fresh, g_object_unref);
  fixture_open_scaled (&f, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 91, 0.6);
  fixture_open_scaled (&ref, ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 92, 0.6);
  imp = assay_test_cli_json ((const char *[]) { "traces", "import", "-w", ws, gsm, "--json", NULL }, 0, NULL);
  smp = assay_test_cli_json ((const char *[]) { "traces", "sample", "-w", ws, "--model", assay_test_lm_dir (f.lm),
    "--n", "4", "--limit", "3", "--max-tokens", "12", "--seed", "2", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (smp, "questions"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (smp, "candidates"), ==, 12);
  /* distinct questions none of whose traces is known correct */
  g_assert_cmpint (json_object_get_int_member (smp, "no_ground_truth"), ==, unsolved);
  ds = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (smp, "dataset"));
  list = assay_test_cli_json ((const char *[]) { "gen", "list", "-w", ws, "--dataset", ds, "--json", NULL }, 0, NULL);
  records = json_object_get_array_member (list, "records");
  g_assert_cmpuint (json_array_get_length (records), ==, 12);
  {
    JsonObject *first = json_array_get_object_element (records, 0);
    g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "trace");
    g_assert_cmpstr (json_object_get_string_member (first, "answer"), ==, truth);
    g_assert_true (json_object_has_member (first, "steps"));
    g_assert_true (json_object_has_member (first, "correct"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (first, "params"), "template"),
                     ==, "traces-sample");
  }
  /* credit and re-ranking with real N */
  credit = assay_test_cli_json ((const char *[]) { "traces", "credit", "-w", ws, "--policy", assay_test_lm_dir (f.lm),
    "--reference", assay_test_lm_dir (ref.lm), "--dataset", ds, "--json", NULL }, 0, NULL);
  run = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (credit, "run"));
  g_assert_cmpint (json_object_get_int_member (credit, "traces"), ==, 12);
  ev = assay_test_cli_json ((const char *[]) { "traces", "eval", "-w", ws, "--run", run, "--json", NULL }, 0, NULL);
  ns = json_object_get_array_member (ev, "n");
  g_assert_cmpint (json_array_get_int_element (ns, json_array_get_length (ns) - 1), ==, 4);
  g_assert_cmpint (json_object_get_int_member (ev, "questions"), ==, 3);
  fixture_close (&ref);
  fixture_close (&f);
}

/* Checking and storing candidates: answers against the ground truth, pairs only for questions
 * with accuracy in [0.25, 0.85], at most 3, exported as TRL DPO rows. */
static void
test_traces_sample_pairs (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("traces-pairs.assay");
  g_autoptr (GError) error = NULL;
  AssayTraceSampleOptions o = { 0 };
  AssayTraceSampleStored st;
  const char *questions[] = { "What is 2 + 3?", "What is 1 + 1?" };
  const char *truths[] = { "5", "2" };
  const char *texts[] = {
    "2 + 3 = 5.\n\n### Answer: 5", "2 + 3 = 6.\n\n### Answer: 6", "Add them.\n\n### Answer: 5.00",
    "Guess.\n\n### Answer: 7",
    "### Answer: 2", "### Answer: 2", "The answer is 2", "\\boxed{2}",
  };
  g_autofree char *out = assay_test_path ("traces-pairs.jsonl");
  g_autoptr (GPtrArray) lines = NULL;
  AssayGenFilter flt;
  guint exported = 0;

  o.model = (char *) "/models/tiny";
  o.n = 4;
  o.seed = 1;
  g_assert_true (assay_trace_sample_store (store, &o, questions, truths, 2, texts, NULL, NULL, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.correct, ==, 2 + 4);
  g_assert_cmpuint (st.pairs, ==, 3); /* 2 + 3: accuracy 0.5, four possible pairs, three drawn */
  g_assert_cmpint (st.pairs_dataset, >, 0);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'trace'", 0), ==, 8);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'pair' AND "
                                                 "prompt = 'What is 2 + 3?'", 0), ==, 3);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'pair' AND "
                                                 "(text LIKE '%Answer: 6' OR text LIKE '%Answer: 7' OR "
                                                 "rejected LIKE '%Answer: 5%')", -1), ==, 0);
  assay_gen_filter_init (&flt);
  flt.dataset = st.pairs_dataset;
  g_assert_true (assay_gen_export (store, &flt, ASSAY_GEN_EXPORT_TRL_DPO, out, &exported, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (exported, ==, 3);
  lines = read_lines (out);
  g_assert_cmpuint (lines->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (lines->pdata[0], "prompt"), ==, "What is 2 + 3?");
  g_assert_nonnull (json_object_get_object_member (lines->pdata[0], "provenance"));
}

static gboolean
fake_miner (const char *const *prompts, guint n, char **out, guint *tokens, gpointer data,
            GError **error)
{
  guint *calls = data;

  for (guint i = 0; i < n; i++)
    {
      const char *p = prompts[i];
      tokens[i] = 3;
      if (strstr (p, "Analyse whether the highlighted sentence") != NULL)
        {
          /* the analysis sees the passage and the highlighted sentence */
          g_assert_nonnull (strstr (p, "Passage:\nAda wrote notes. They described loops. It was 1843."));
          g_assert_nonnull (strstr (p, "four criteria"));
          out[i] = g_strdup (strstr (p, "Highlighted sentence:\nThey described loops.") != NULL
                               ? "1. Informative: yes, a method.\n2-4: yes.\nDecision: Yes"
                               : "1. Informative: no, narration.\nDecision: No");
          calls[0]++;
        }
      else if (strstr (p, "Based on the analysis") != NULL)
        {
          /* the question step reads the analysis the model wrote */
          g_assert_nonnull (strstr (p, "Analysis:\n1. Informative: yes, a method.\n2-4: yes.\nDecision: Yes"));
          g_assert_nonnull (strstr (p, "Highlighted sentence:\nThey described loops."));
          out[i] = g_strdup ("Question: What did Ada's notes describe?\nA second line.");
          calls[1]++;
        }
      else
        {
          /* the answer step reads the question the model wrote */
          g_assert_nonnull (strstr (p, "Question:\nWhat did Ada's notes describe?\n"));
          g_assert_nonnull (strstr (p, "Passage:\nAda wrote notes."));
          out[i] = g_strdup ("  Loops.  ");
          calls[2]++;
        }
    }
  return TRUE;
}

/* LLMiner: a bare passage, its sentences analysed one by one; "No" ends a chain (stored as
 * skipped with its analysis); "Yes" goes on to a question written from that analysis and an
 * answer to that question. The chain once with a generator of the test's own (to check what each
 * step reads), once with the tiny model through the CLI. */
static void
test_llminer (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("llminer.assay");
  g_autofree char *ws = assay_test_path ("llminer.assay");
  g_autofree char *passages = assay_test_write_file ("passages.jsonl",
    "{\"id\": \"p1\", \"passage\": \"Ada wrote notes. They described loops. It was 1843.\"}\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) r = NULL, imp = NULL, gen = NULL;
  AssayGenGenerateOptions o = { 0 };
  AssayGenFilter flt;
  guint calls[3] = { 0, 0, 0 };
  Fixture f;

  g_assert_cmpstr (assay_llminer_decision ("criteria...\nDecision: No\n"), ==, "no");
  g_assert_cmpstr (assay_llminer_decision ("**Decision:** yes."), ==, "yes");
  g_assert_cmpstr (assay_llminer_decision ("Decision: No. Wait. Decision: Yes"), ==, "yes");
  g_assert_cmpstr (assay_llminer_decision ("undecided"), ==, "none");
  g_clear_pointer (&store, g_object_unref);
  imp = assay_test_cli_json ((const char *[]) { "gen", "import", "-w", ws, passages, "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (imp, "imported"), ==, 1);
  store = assay_store_open (ws, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'passage'", 0), ==, 1);

  assay_gen_filter_init (&flt);
  flt.kind = "passage";
  o.model = (char *) "/models/fake";
  o.template_name = (char *) ASSAY_LLMINER_CHAIN;
  o.filter = &flt;
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.max_tokens = 16;
  g_assert_true (assay_llminer_run_with (store, &o, fake_miner, calls, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (calls[0], ==, 3);
  g_assert_cmpuint (calls[1], ==, 1);
  g_assert_cmpuint (calls[2], ==, 1);
  g_assert_cmpint (json_object_get_int_member (r, "sentences"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (r, "records"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (r, "skipped"), ==, 2);
  {
    gint64 id = assay_store_query_int (store, "SELECT id FROM gen_records WHERE kind = 'qa'", 0);
    g_autoptr (AssayGenRecord) qa = assay_gen_record_load (store, id, &error);
    g_assert_cmpstr (qa->prompt, ==, "What did Ada's notes describe?");
    g_assert_cmpstr (qa->text, ==, "Loops.");
    g_assert_cmpstr (qa->highlight, ==, "They described loops.");
    g_assert_cmpstr (qa->source, ==, "Ada wrote notes. They described loops. It was 1843.");
    g_assert_cmpstr (assay_json_get_string (qa->extra, "decision", NULL), ==, "yes");
    g_assert_nonnull (strstr (assay_json_get_string (qa->extra, "analysis", NULL), "Decision: Yes"));
    g_assert_cmpstr (assay_json_get_string (qa->params, "template", NULL), ==, "llminer");
  }
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'skipped' AND "
                                                 "text LIKE '%Decision: No' AND highlight IS NOT NULL", 0), ==, 2);
  g_clear_object (&store);

  /* the tiny model, end to end: every sentence ends as a pair or as skipped */
  fixture_open_scaled (&f, ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 101, 0.6);
  gen = assay_test_cli_json ((const char *[]) { "gen", "generate", "-w", ws, "--template", "llminer",
    "--model", assay_test_lm_dir (f.lm), "--kind", "passage", "--max-tokens", "6", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (gen, "sentences"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (gen, "records") + json_object_get_int_member (gen, "skipped"), ==, 3);
  fixture_close (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/generate/greedy/llama-f32", test_greedy_llama);
  g_test_add_func ("/generate/greedy/qwen2-f32", test_greedy_qwen2);
  g_test_add_func ("/generate/greedy/gpt2-f32", test_greedy_gpt2);
  g_test_add_func ("/generate/greedy/qwen2-bf16", test_greedy_qwen2_bf16);
  g_test_add_func ("/generate/greedy/llama-bf16", test_greedy_llama_bf16);
  g_test_add_func ("/generate/sampling-distribution", test_sampling_distribution);
  g_test_add_func ("/generate/seeds-and-batching", test_seeds_and_batching);
  g_test_add_func ("/generate/stops", test_stops);
  g_test_add_func ("/generate/refusals", test_refusals);
  g_test_add_func ("/generate/cli", test_cli);
  g_test_add_func ("/generate/kv-bf16", test_kv_bf16);
  g_test_add_func ("/generate/cuda", test_cuda);
  g_test_add_func ("/generate/cancel", test_cancel);
  g_test_add_func ("/generate/sigint", test_sigint);
  g_test_add_func ("/generate/nan-model", test_nan_model);
  g_test_add_func ("/generate/gen-generate", test_gen_generate);
  g_test_add_func ("/generate/traces-sample", test_traces_sample);
  g_test_add_func ("/generate/llminer", test_llminer);
  g_test_add_func ("/generate/traces-sample-pairs", test_traces_sample_pairs);
  return g_test_run ();
}
