/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Language models: log-probs of tiny random Llama (llama3 rope, GQA), Qwen2 (biases, tied
 * embeddings, GQA) and GPT-2 models against a float64 reference forward pass (max abs difference
 * <= 1e-4 in f32 on the CPU), bf16/f16 weights, packed batches, CUDA against CPU when a GPU is
 * there, and every kind of bad model folder. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-model.h"
#include "assay-lm-scorer.h"
#include "assay-safetensors.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"

/* Random ids of n sequences with lengths lens; start 1 for the first, later starts grow. */
static int **
make_ids (int n, const int *lens, int vocab, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int **ids = g_new0 (int *, n);

  for (int s = 0; s < n; s++)
    {
      ids[s] = g_new (int, lens[s]);
      for (int i = 0; i < lens[s]; i++)
        ids[s][i] = g_rand_int_range (rand, 0, vocab);
    }
  return ids;
}

/* Scores with the backend and compares each sequence with the float64 reference. */
static double
max_diff_vs_reference (AssayTestLm *lm, AssayBackend *backend, AssayLmModel *model)
{
  const int lens[] = { 7, 300, 1, 40 };
  const int starts[] = { 1, 20, 1, 39 };
  int       n = G_N_ELEMENTS (lens);
  int     **ids = make_ids (n, lens, assay_lm_model_config (model)->vocab, 7);
  g_autoptr (AssayLmScorer) scorer = NULL;
  g_autoptr (GError) error = NULL;
  AssayLmSequence seqs[4];
  float *out[4], *cert[4];
  double worst = 0, worst_cert = 0;
  int V = assay_lm_model_config (model)->vocab;

  /* a sequence of length 1 has nothing to score: start = len is allowed and gives none; the
   * short ones also get their self-certainty */
  for (int s = 0; s < n; s++)
    {
      cert[s] = lens[s] <= 40 ? g_new0 (float, lens[s]) : NULL;
      seqs[s] = (AssayLmSequence) { ids[s], lens[s], starts[s], cert[s] };
      out[s] = g_new0 (float, lens[s]);
    }
  g_assert_true (assay_lm_model_upload (model, backend, 0, &error));
  g_assert_no_error (error);
  scorer = assay_lm_scorer_new (model);
  g_assert_true (assay_lm_scorer_run (scorer, seqs, n, out, &error));
  g_assert_no_error (error);
  for (int s = 0; s < n; s++)
    {
      g_autofree double *ref = assay_test_lm_reference (lm, ids[s], lens[s], starts[s]);
      for (int i = 0; i < lens[s] - starts[s]; i++)
        {
          g_assert_true (isfinite (out[s][i]));
          g_assert_cmpfloat (out[s][i], <=, 0.0);
          worst = fmax (worst, fabs (out[s][i] - ref[i]));
        }
      /* self-certainty: KL(U || p) from the reference's whole distribution, in float64 */
      for (int i = 0; cert[s] != NULL && i < lens[s] - starts[s]; i++)
        {
          g_autofree double *z = assay_test_lm_next (lm, ids[s], starts[s] + i);
          double mx = -INFINITY, sum = 0, mean = 0, kl;
          for (int j = 0; j < V; j++)
            mx = fmax (mx, z[j]);
          for (int j = 0; j < V; j++)
            {
              sum += exp (z[j] - mx);
              mean += z[j] / V;
            }
          kl = -log ((double) V) - mean + mx + log (sum);
          g_assert_cmpfloat (kl, >=, -1e-9);
          worst_cert = fmax (worst_cert, fabs (cert[s][i] - kl) / fmax (1.0, kl));
        }
    }
  g_test_message ("self-certainty: worst error %.3g", worst_cert);
  g_assert_cmpfloat (worst_cert, <=, 1e-4);
  /* the same sequences one at a time give the same numbers as the packed batch */
  for (int s = 0; s < n; s++)
    {
      g_autofree float *alone = g_new0 (float, lens[s]);
      g_assert_true (assay_lm_scorer_run (scorer, &seqs[s], 1, &alone, &error));
      for (int i = 0; i < lens[s] - starts[s]; i++)
        g_assert_cmpfloat_with_epsilon (alone[i], out[s][i], 2e-5 * fmax (1.0, fabs (out[s][i])));
    }
  for (int s = 0; s < n; s++)
    {
      g_free (ids[s]);
      g_free (out[s]);
      g_free (cert[s]);
    }
  g_free (ids);
  return worst;
}

static void
check_arch (AssayLmArch arch, AssayDType dtype, guint32 seed)
{
  AssayTestLmSpec spec = assay_test_lm_spec (arch, dtype);
  g_autofree char *dir = assay_test_path (assay_lm_arch_name (arch));
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  char         err[256];
  AssayBackend *cpu = assay_backend_cpu_new (2, err, sizeof err);
  double        diff;

  {
    g_autofree char *sub = g_strdup_printf ("%s-%d", dir, dtype);
    lm = assay_test_lm_write (sub, &spec, seed);
  }
  model = assay_lm_model_open (assay_test_lm_dir (lm), &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_lm_model_config (model)->arch, ==, arch);
  g_assert_cmpint (assay_lm_model_dtype (model), ==, dtype);
  g_assert_nonnull (assay_lm_model_tokenizer (model));
  diff = max_diff_vs_reference (lm, cpu, model);
  g_test_message ("%s %s: max |assay - float64| = %.3g", assay_lm_arch_name (arch),
                  assay_lm_dtype_name (dtype), diff);
  g_assert_cmpfloat (diff, <=, 1e-4);
  assay_lm_model_unload (model);
  assay_backend_free (cpu);
}

/* Wide enough that the matrix products are split across threads and the output layer spans
 * several chunks of rows. */
static void
test_wide (void)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  g_autofree char *dir = assay_test_path ("wide");
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  char          err[256];
  AssayBackend *cpu = assay_backend_cpu_new (2, err, sizeof err);
  double        diff;

  spec.hidden = 128;
  spec.heads = 8;
  spec.kv_heads = 2;
  spec.inter = 384;
  spec.vocab = 2000;
  spec.scale = 0.4;
  lm = assay_test_lm_write (dir, &spec, 31);
  model = assay_lm_model_open (dir, NULL);
  g_assert_nonnull (model);
  diff = max_diff_vs_reference (lm, cpu, model);
  g_test_message ("wide Qwen2: max |assay - float64| = %.3g", diff);
  g_assert_cmpfloat (diff, <=, 1e-4);
  assay_lm_model_unload (model);
  assay_backend_free (cpu);
}

/* A real-size vocabulary (Qwen2.5's 151 936 entries) and a 1 000-token text: the output row's
 * log-sum-exp adds 151 936 terms, which in one float32 accumulator loses 1e-4 to 3e-4. */
static void
test_real_vocab (void)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  g_autofree char *dir = assay_test_path ("real-vocab");
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayLmScorer) scorer = NULL;
  g_autoptr (GError) error = NULL;
  char          err[256];
  AssayBackend *cpu = assay_backend_cpu_new (2, err, sizeof err);
  const int     len = 1000, start = 700;
  g_autofree int *ids = g_new (int, len);
  g_autofree float *out = g_new (float, len);
  g_autofree double *ref = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  AssayLmSequence seq = { ids, len, start };
  double worst = 0;

  spec.hidden = 64;
  spec.layers = 1;
  spec.inter = 96;
  spec.vocab = 151936;
  spec.max_positions = 2048;
  spec.scale = 1.2;
  spec.tie_embeddings = FALSE; /* an output layer of its own: logits of std ~3, as a real
                                * model's, where a float32 sum loses the most */
  lm = assay_test_lm_write (dir, &spec, 41);
  model = assay_lm_model_open (dir, &error);
  g_assert_no_error (error);
  for (int i = 0; i < len; i++)
    ids[i] = g_rand_int_range (rand, 0, spec.vocab);
  g_assert_true (assay_lm_model_upload (model, cpu, 0, &error));
  scorer = assay_lm_scorer_new (model);
  g_assert_true (assay_lm_scorer_run (scorer, &seq, 1, &out, &error));
  g_assert_no_error (error);
  ref = assay_test_lm_reference (lm, ids, len, start);
  for (int i = 0; i < len - start; i++)
    worst = fmax (worst, fabs (out[i] - ref[i]));
  g_test_message ("vocabulary 151936, %d tokens: max |assay - float64| = %.3g (log p about %.2f)",
                  len, worst, ref[0]);
  /* the bound is 1e-4; PyTorch float32 gives 2-5e-5 here; a float32 sum gave 6e-5 */
  g_assert_cmpfloat (worst, <=, 2e-5);
  /* self-certainty at this vocabulary: the last 8 positions against the float64 distribution */
  {
    g_autofree float *cert = g_new0 (float, len);
    AssayLmSequence tail = { ids, len, len - 8, cert };
    g_autofree float *lp = g_new0 (float, len);
    double worst_cert = 0;
    g_assert_true (assay_lm_scorer_run (scorer, &tail, 1, &lp, &error));
    for (int i = 0; i < 8; i++)
      {
        g_autofree double *z = assay_test_lm_next (lm, ids, len - 8 + i);
        double mx = -INFINITY, sum = 0, mean = 0, kl;
        for (int j = 0; j < spec.vocab; j++)
          mx = fmax (mx, z[j]);
        for (int j = 0; j < spec.vocab; j++)
          {
            sum += exp (z[j] - mx);
            mean += z[j] / spec.vocab;
          }
        kl = -log ((double) spec.vocab) - mean + mx + log (sum);
        worst_cert = fmax (worst_cert, fabs (cert[i] - kl));
      }
    g_test_message ("vocabulary 151936: self-certainty max |assay - float64| = %.3g", worst_cert);
    g_assert_cmpfloat (worst_cert, <=, 1e-4);
  }
  g_clear_pointer (&scorer, assay_lm_scorer_free);
  assay_lm_model_unload (model);
  assay_backend_free (cpu);
}

static void test_llama_f32 (void) { check_arch (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32, 11); }
static void test_qwen2_f32 (void) { check_arch (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32, 12); }
static void test_gpt2_f32 (void) { check_arch (ASSAY_LM_GPT2, ASSAY_DTYPE_F32, 13); }
static void test_qwen2_bf16 (void) { check_arch (ASSAY_LM_QWEN2, ASSAY_DTYPE_BF16, 14); }
static void test_llama_f16 (void) { check_arch (ASSAY_LM_LLAMA, ASSAY_DTYPE_F16, 15); }

/* The parameter count equals the sum of the tensors; lm_head of a tied model is not counted. */
static void
test_parameters (void)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_BF16);
  g_autofree char *dir = assay_test_path ("params");
  g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 3);
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  int H = 32, I = 48, V = 300, q = 32, kv = 16;
  guint64 layer = H + (guint64) q * H + 2 * (guint64) kv * H + q + 2 * kv + (guint64) H * q + H + 3 * (guint64) I * H;
  guint64 want = (guint64) V * H + 2 * layer + H;

  model = assay_lm_model_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (assay_lm_model_parameters (model), ==, want);
  /* bf16 matrices stay bf16 on both backends; vectors are f32 */
  {
    guint64 vectors = 2 * (H + q + 2 * kv + H) + H; /* norms and biases of 2 layers, final norm */
    guint64 bytes = 2 * (want - vectors) + 4 * vectors;
    g_assert_cmpuint (assay_lm_model_weight_bytes (model, ASSAY_BACKEND_CPU), ==, bytes);
    g_assert_cmpuint (assay_lm_model_weight_bytes (model, ASSAY_BACKEND_CUDA), ==, bytes);
  }
}

/* A model that does not fit is refused before any weight is allocated. */
static void
test_does_not_fit (void)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
  g_autofree char *dir = assay_test_path ("fit");
  g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 3);
  g_autoptr (AssayLmModel) model = assay_lm_model_open (dir, NULL);
  g_autoptr (GError) error = NULL;
  char          err[256];
  AssayBackend *cpu = assay_backend_cpu_new (1, err, sizeof err);

  g_assert_false (assay_lm_model_upload (model, cpu, G_MAXUINT64 / 4, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "GiB are free"));
  g_assert_null (assay_lm_model_backend (model));
  assay_backend_free (cpu);
}

static void
test_cuda_matches_cpu (void)
{
  char err[256];
  AssayBackend *cuda = assay_backend_cuda_new (0, err, sizeof err);
  AssayDType dtypes[] = { ASSAY_DTYPE_F32, ASSAY_DTYPE_BF16 };
  double     tol[] = { 1e-3, 3e-2 };

  if (cuda == NULL)
    {
      g_test_skip_printf ("no CUDA device: %s", err);
      return;
    }
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    for (AssayLmArch arch = ASSAY_LM_LLAMA; arch <= ASSAY_LM_GPT2; arch++)
      {
        AssayTestLmSpec spec = assay_test_lm_spec (arch, dtypes[d]);
        g_autofree char *dir = g_strdup_printf ("%s/cuda-%d-%d", assay_test_tmpdir (), arch, d);
        g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 40 + arch);
        g_autoptr (AssayLmModel) model = assay_lm_model_open (dir, NULL);
        double diff = max_diff_vs_reference (lm, cuda, model);
        g_test_message ("CUDA %s %s: max |cuda - float64| = %.3g", assay_lm_arch_name (arch),
                        assay_lm_dtype_name (dtypes[d]), diff);
        g_assert_cmpfloat (diff, <=, tol[d]);
        assay_lm_model_unload (model);
      }
  assay_backend_free (cuda);
}

/* ---- bad folders ---- */

static void
expect_open_error (const char *dir, const char *needle)
{
  g_autoptr (GError) error = NULL;
  AssayLmModel *model = assay_lm_model_open (dir, &error);

  g_assert_null (model);
  g_assert_nonnull (error);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static char *
fresh_model (const char *name, AssayTestLm **lm_out)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  char *dir = assay_test_path (name);
  AssayTestLm *lm = assay_test_lm_write (dir, &spec, 5);

  if (lm_out)
    *lm_out = lm;
  else
    assay_test_lm_free (lm);
  return dir;
}

static void
replace_file (const char *dir, const char *file, const char *contents, gssize len)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
}

static void
test_bad_folders (void)
{
  /* truncated weights */
  {
    g_autofree char *dir = fresh_model ("bad-trunc", NULL);
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (path, &data, &len, NULL));
    replace_file (dir, "model.safetensors", data, (gssize) (len - 100));
    expect_open_error (dir, "file truncated?");
  }
  /* a header longer than the file */
  {
    g_autofree char *dir = fresh_model ("bad-header", NULL);
    replace_file (dir, "model.safetensors", "\xff\xff\x00\x00\x00\x00\x00\x00{}", 10);
    expect_open_error (dir, "does not fit in a file of 10 bytes");
  }
  /* garbage */
  {
    g_autofree char *dir = fresh_model ("bad-garbage", NULL);
    replace_file (dir, "model.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00not json at all!", 24);
    expect_open_error (dir, "header is not JSON");
  }
  /* a tensor of the wrong shape, a missing one, an unexpected one, a wrong dtype */
  {
    AssayTestLm *lm;
    g_autofree char *dir = fresh_model ("bad-shape", &lm);
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    g_autoptr (GPtrArray) tensors = g_ptr_array_new ();
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_autofree char *config = g_build_filename (dir, "config.json", NULL);
    g_autofree char *text = NULL;
    struct { int n_dims; gint64 shape[2]; double *v; } t = { 2, { 300, 31 }, NULL };
    t.v = assay_test_lm_tensor (lm, "model.embed_tokens.weight");
    g_ptr_array_add (names, (char *) "model.embed_tokens.weight");
    g_ptr_array_add (tensors, &t);
    g_assert_true (assay_test_write_safetensors (path, names, tensors, ASSAY_DTYPE_F32, NULL));
    expect_open_error (dir, "tensor “model.embed_tokens.weight” has shape [300, 31], the config says [300, 32]");
    t.shape[1] = 32;
    g_assert_true (assay_test_write_safetensors (path, names, tensors, ASSAY_DTYPE_F32, NULL));
    expect_open_error (dir, "tensor “model.layers.0.input_layernorm.weight” is missing");
    g_ptr_array_set_size (names, 0);
    g_ptr_array_add (names, (char *) "model.extra.weight");
    g_assert_true (assay_test_write_safetensors (path, names, tensors, ASSAY_DTYPE_F32, NULL));
    expect_open_error (dir, "missing");
    g_assert_true (g_file_get_contents (config, &text, NULL, NULL));
    assay_test_lm_free (lm);
  }
  {
    g_autofree char *dir = fresh_model ("bad-extra", NULL);
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (AssaySafetensors) st = assay_safetensors_open (path, &error);
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    g_autoptr (GPtrArray) tensors = g_ptr_array_new ();
    GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
    g_assert_no_error (error);
    for (guint i = 0; i < assay_safetensors_count (st); i++)
      {
        const AssaySafetensor *t = assay_safetensors_index (st, i);
        struct { int n_dims; gint64 shape[2]; double *v; } *copy = g_malloc0 (sizeof *copy);
        copy->n_dims = t->n_dims;
        copy->shape[0] = t->shape[0];
        copy->shape[1] = t->n_dims == 2 ? t->shape[1] : 0;
        copy->v = g_new (double, t->n_elements);
        for (gint64 j = 0; j < t->n_elements; j++)
          copy->v[j] = ((const float *) t->data)[j];
        g_ptr_array_add (names, t->name);
        g_ptr_array_add (tensors, copy);
        g_ptr_array_add (values, copy->v);
        g_ptr_array_add (values, copy);
      }
    g_ptr_array_add (names, (char *) "model.layers.0.mlp.extra.weight");
    g_ptr_array_add (tensors, tensors->pdata[0]);
    {
      g_autofree char *out = g_build_filename (dir, "model2.safetensors", NULL);
      g_assert_true (assay_test_write_safetensors (out, names, tensors, ASSAY_DTYPE_F32, NULL));
      g_clear_pointer (&st, assay_safetensors_free);
      g_assert_cmpint (g_rename (out, path), ==, 0);
    }
    expect_open_error (dir, "unexpected tensor “model.layers.0.mlp.extra.weight”");
    /* the same weights stored as I32 are refused by name */
    g_ptr_array_set_size (names, names->len - 1);
    g_ptr_array_set_size (tensors, tensors->len - 1);
    g_ptr_array_unref (values);
  }
  /* config problems */
  {
    g_autofree char *dir = fresh_model ("bad-config", NULL);
    replace_file (dir, "config.json", "{\"architectures\": [\"MambaForCausalLM\"]}", -1);
    expect_open_error (dir, "architecture “MambaForCausalLM” is not supported");
    replace_file (dir, "config.json", "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 32}", -1);
    expect_open_error (dir, "field “num_hidden_layers” is missing");
    replace_file (dir, "config.json",
                  "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 32, \"num_hidden_layers\": 2, "
                  "\"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"intermediate_size\": 48, \"vocab_size\": 300}", -1);
    expect_open_error (dir, "4 attention heads cannot share 3 key/value heads");
    replace_file (dir, "config.json",
                  "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 32, \"num_hidden_layers\": 2, "
                  "\"num_attention_heads\": 4, \"intermediate_size\": 48, \"vocab_size\": 300, "
                  "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", -1);
    expect_open_error (dir, "rope_scaling type “yarn” is not supported");
    replace_file (dir, "config.json", "{\"architectures\": ", -1);
    expect_open_error (dir, "config.json");
  }
  /* no weights at all; not a folder */
  {
    g_autofree char *dir = fresh_model ("bad-none", NULL);
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_assert_cmpint (g_unlink (path), ==, 0);
    expect_open_error (dir, "neither model.safetensors nor model.safetensors.index.json");
    expect_open_error ("/nonexistent/model", "not a model folder");
  }
}

/* Overlapping tensors, and mutated headers never crash (the fuzz target's check, seeded). */
static void
test_safetensors_checks (void)
{
  const char *overlap = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
                        "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}";
  GByteArray *buf = g_byte_array_new ();
  guint64     n = strlen (overlap);
  guint8      zeros[16] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);

  for (int i = 0; i < 8; i++)
    {
      guint8 b = (guint8) (n >> (8 * i));
      g_byte_array_append (buf, &b, 1);
    }
  g_byte_array_append (buf, (const guint8 *) overlap, n);
  g_byte_array_append (buf, zeros, 12);
  g_assert_null (assay_safetensors_parse (buf->data, buf->len, "mem", &error));
  g_assert_nonnull (strstr (error->message, "overlap"));
  for (int round = 0; round < 5000; round++)
    {
      g_autoptr (GByteArray) m = g_byte_array_new ();
      g_autoptr (GError) e = NULL;
      AssaySafetensors *set;
      g_byte_array_append (m, buf->data, buf->len);
      for (int k = g_rand_int_range (rand, 1, 6); k > 0; k--)
        m->data[g_rand_int_range (rand, 0, (gint32) m->len)] = (guint8) g_rand_int_range (rand, 0, 256);
      if (g_rand_boolean (rand))
        g_byte_array_set_size (m, (guint) g_rand_int_range (rand, 0, (gint32) m->len));
      set = assay_safetensors_parse (m->data, m->len, "mem", &e);
      if (set != NULL)
        {
          for (guint i = 0; i < assay_safetensors_count (set); i++)
            {
              const AssaySafetensor *t = assay_safetensors_index (set, i);
              g_assert_true (t->data >= m->data && t->data + t->n_bytes <= m->data + m->len);
            }
          assay_safetensors_free (set);
        }
      else
        g_assert_true (g_str_has_prefix (e->message, "mem: "));
    }
  g_byte_array_unref (buf);
}

/* A sharded model: the index's weight_map names the shard of every tensor. */
static void
test_sharded (void)
{
  AssayTestLm *lm;
  g_autofree char *dir = fresh_model ("sharded", &lm);
  g_autofree char *single = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (AssaySafetensors) st = assay_safetensors_open (single, NULL);
  GPtrArray *names[2] = { g_ptr_array_new (), g_ptr_array_new () };
  GPtrArray *tensors[2] = { g_ptr_array_new (), g_ptr_array_new () };
  g_autoptr (GString) index = g_string_new ("{\"metadata\": {}, \"weight_map\": {");
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;

  for (guint i = 0; i < assay_safetensors_count (st); i++)
    {
      const AssaySafetensor *t = assay_safetensors_index (st, i);
      int shard = i % 2;
      g_ptr_array_add (names[shard], t->name);
      g_ptr_array_add (tensors[shard], (gpointer) t);
      g_string_append_printf (index, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "",
                              t->name, shard + 1);
    }
  g_string_append (index, "}}");
  for (int shard = 0; shard < 2; shard++)
    {
      g_autoptr (GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) vals = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *path = g_strdup_printf ("%s/model-0000%d-of-00002.safetensors", dir, shard + 1);
      for (guint i = 0; i < tensors[shard]->len; i++)
        {
          const AssaySafetensor *t = tensors[shard]->pdata[i];
          struct { int n_dims; gint64 shape[2]; double *v; } *c = g_malloc0 (sizeof *c);
          c->n_dims = t->n_dims;
          c->shape[0] = t->shape[0];
          c->shape[1] = t->n_dims == 2 ? t->shape[1] : 0;
          c->v = g_new (double, t->n_elements);
          for (gint64 j = 0; j < t->n_elements; j++)
            c->v[j] = ((const float *) t->data)[j];
          g_ptr_array_add (copies, c);
          g_ptr_array_add (vals, c->v);
        }
      g_assert_true (assay_test_write_safetensors (path, names[shard], copies, ASSAY_DTYPE_F32, NULL));
    }
  for (int shard = 0; shard < 2; shard++)
    {
      g_ptr_array_unref (names[shard]);
      g_ptr_array_unref (tensors[shard]);
    }
  g_clear_pointer (&st, assay_safetensors_free);
  g_assert_cmpint (g_unlink (single), ==, 0);
  replace_file (dir, "model.safetensors.index.json", index->str, -1);
  model = assay_lm_model_open (dir, &error);
  g_assert_no_error (error);
  {
    char          err[256];
    AssayBackend *cpu = assay_backend_cpu_new (2, err, sizeof err);
    double        diff = max_diff_vs_reference (lm, cpu, model);
    g_assert_cmpfloat (diff, <=, 1e-4);
    assay_lm_model_unload (model);
    assay_backend_free (cpu);
  }
  /* an index naming a shard that lacks the tensor */
  g_string_replace (index, "model-00001-of", "model-00002-of", 1);
  replace_file (dir, "model.safetensors.index.json", index->str, -1);
  expect_open_error (dir, "is not in model-00002-of-00002.safetensors");
  replace_file (dir, "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"../x\"}}", -1);
  expect_open_error (dir, "does not name a file of this folder");
  assay_test_lm_free (lm);
}

/* f16 / bf16 conversions against exact values */
static void
test_half_conversions (void)
{
  g_assert_cmpfloat (assay_bf16_to_f32 (0x3f80), ==, 1.0f);
  g_assert_cmpfloat (assay_f16_to_f32 (0x3c00), ==, 1.0f);
  g_assert_cmpfloat (assay_f16_to_f32 (0xc000), ==, -2.0f);
  g_assert_cmpfloat (assay_f16_to_f32 (0x0001), ==, ldexpf (1.0f, -24));
  g_assert_cmpfloat (assay_f16_to_f32 (0x7bff), ==, 65504.0f);
  g_assert_true (isinf (assay_f16_to_f32 (0x7c00)));
  g_assert_cmphex (assay_f32_to_f16 (1.0f), ==, 0x3c00);
  g_assert_cmphex (assay_f32_to_f16 (65504.0f), ==, 0x7bff);
  g_assert_cmphex (assay_f32_to_f16 (1e6f), ==, 0x7c00);
  g_assert_cmphex (assay_f32_to_bf16 (1.0f), ==, 0x3f80);
  /* round to nearest even at the halfway point: 1 + 2^-8 lies between bf16 1 and 1 + 2^-7 */
  g_assert_cmphex (assay_f32_to_bf16 (1.0f + ldexpf (1.0f, -8)), ==, 0x3f80);
  g_assert_cmphex (assay_f32_to_bf16 (1.0f + 3 * ldexpf (1.0f, -8)), ==, 0x3f82);
  for (guint32 h = 0; h < 0x7c00; h++)
    g_assert_cmphex (assay_f32_to_f16 (assay_f16_to_f32 ((guint16) h)), ==, h);
}


/* The command-line contract: lm info / tokenize / score keys, and failures on stderr. */
static void
test_cli (void)
{
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_BF16);
  g_autofree char *dir = assay_test_path ("cli-model");
  g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 21);
  g_autofree char *input = assay_test_write_file ("cli-in.jsonl",
    "{\"id\": \"a\", \"prompt\": \"the\", \"response\": \" answer is in\"}\n"
    "\n"
    "{\"id\": \"b\", \"prompt\": \"x\", \"response\": \"\"}\n");
  g_autofree char *output = assay_test_path ("cli-out.jsonl");
  g_autofree char *bad = assay_test_write_file ("cli-bad.jsonl", "{\"id\": 1, \"prompt\": \"a\"}\n");
  g_autofree char *err = NULL, *text = NULL;
  JsonObject *o;

  o = assay_test_cli_json ((const char *[]) { "lm", "info", dir, "--json", NULL }, 0, NULL);
  g_assert_cmpstr (json_object_get_string_member (o, "architecture"), ==, "LlamaForCausalLM");
  g_assert_cmpstr (json_object_get_string_member (o, "dtype"), ==, "BF16");
  g_assert_cmpint (json_object_get_int_member (o, "layers"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "hidden"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (o, "vocab"), ==, 300);
  g_assert_cmpint (json_object_get_int_member (o, "parameters"), >, 0);
  json_object_unref (o);

  o = assay_test_cli_json ((const char *[]) { "lm", "tokenize", "--tokenizer", dir, "--text", "the answer", "--json", NULL }, 0, NULL);
  {
    JsonArray *ids = json_object_get_array_member (o, "ids");
    /* "the" merges to one token (t h, th e); " answer" is Ġa, n, s, w, er */
    g_assert_cmpuint (json_array_get_length (ids), ==, 6);
    g_assert_cmpint (json_array_get_int_element (ids, 0), ==, 257);
  }
  json_object_unref (o);

  /* links planted where the output goes (the old temporary name, and the output itself) are
   * replaced, never written through */
  {
    g_autofree char *victim = assay_test_write_file ("cli-victim", "precious");
    g_autofree char *victim2 = assay_test_write_file ("cli-victim2", "precious too");
    g_autofree char *part = g_strconcat (output, ".part", NULL);
    g_autofree char *kept = NULL;

    g_assert_cmpint (symlink (victim, part), ==, 0);
    g_assert_cmpint (symlink (victim2, output), ==, 0);
    o = assay_test_cli_json ((const char *[]) { "lm", "score", "--model", dir, "--reference", dir, "--input", input,
                                     "--output", output, "--json", NULL }, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (o, "sequences"), ==, 2);
    json_object_unref (o);
    g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "precious");
    g_clear_pointer (&kept, g_free);
    g_assert_true (g_file_get_contents (victim2, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "precious too");
    g_assert_false (g_file_test (output, G_FILE_TEST_IS_SYMLINK));
  }
  g_assert_true (g_file_get_contents (output, &text, NULL, NULL));
  {
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    JsonObject *first = assay_json_object_from_string (lines[0], NULL);
    JsonArray  *lp = json_object_get_array_member (first, "logprobs");
    JsonArray  *ref = json_object_get_array_member (first, "ref_logprobs");
    JsonArray  *tokens = json_object_get_array_member (first, "tokens");
    g_assert_cmpuint (json_array_get_length (tokens), ==, json_array_get_length (lp));
    g_assert_cmpuint (json_array_get_length (tokens), ==, 10); /* Ġa n s w er, Ġ i s, Ġ in */
    /* the same model as policy and reference: identical log-probs, all below 0 */
    for (guint i = 0; i < json_array_get_length (lp); i++)
      {
        g_assert_cmpfloat (json_array_get_double_element (lp, i), ==, json_array_get_double_element (ref, i));
        g_assert_cmpfloat (json_array_get_double_element (lp, i), <, 0.0);
      }
    g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, "a");
    json_object_unref (first);
    first = assay_json_object_from_string (lines[1], NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (first, "logprobs")), ==, 0);
    json_object_unref (first);
    g_assert_cmpstr (lines[2], ==, "");
  }
  /* a line without a response: the file and line are named, nothing is written */
  {
    g_autofree char *out2 = assay_test_path ("cli-out2.jsonl");
    assay_test_cli_json ((const char *[]) { "lm", "score", "--model", dir, "--input", bad, "--output", out2, NULL }, 1, &err);
    g_assert_nonnull (strstr (err, "cli-bad.jsonl:1: field “response” is missing"));
    g_assert_false (g_file_test (out2, G_FILE_TEST_EXISTS));
    g_clear_pointer (&err, g_free);
  }
  assay_test_cli_json ((const char *[]) { "lm", "info", "/nonexistent", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "not a model folder"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "lm", "tokenize", "--text", "x", NULL }, 2, NULL);
  assay_test_cli_json ((const char *[]) { "lm", "score", "--model", dir, NULL }, 2, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lm/half-conversions", test_half_conversions);
  g_test_add_func ("/lm/reference/llama-f32", test_llama_f32);
  g_test_add_func ("/lm/reference/qwen2-f32", test_qwen2_f32);
  g_test_add_func ("/lm/reference/gpt2-f32", test_gpt2_f32);
  g_test_add_func ("/lm/reference/qwen2-bf16", test_qwen2_bf16);
  g_test_add_func ("/lm/reference/llama-f16", test_llama_f16);
  g_test_add_func ("/lm/reference/sharded", test_sharded);
  g_test_add_func ("/lm/reference/wide", test_wide);
  g_test_add_func ("/lm/reference/real-vocab", test_real_vocab);
  g_test_add_func ("/lm/cuda-matches-cpu", test_cuda_matches_cpu);
  g_test_add_func ("/lm/parameters", test_parameters);
  g_test_add_func ("/lm/does-not-fit", test_does_not_fit);
  g_test_add_func ("/lm/bad-folders", test_bad_folders);
  g_test_add_func ("/lm/safetensors-checks", test_safetensors_checks);
  g_test_add_func ("/lm/cli", test_cli);
  return g_test_run ();
}
