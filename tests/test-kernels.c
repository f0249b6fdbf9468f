/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The kernels backend against plain float64 references written here; CUDA against the CPU when a
 * device answers (skipped, visibly, otherwise). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "assay-backend.h"

typedef struct
{
  int m, n, k;
  AssayTranspose ta, tb;
  int pad; /* extra elements per row: strides larger than the matrix */
  float alpha, beta;
} GemmCase;

static void
fill_random (GRand *rand, float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}

/* Reference: C = alpha op(A) op(B) + beta C in float64. */
static void
gemm_ref (const GemmCase *c, const float *a, int lda, const float *b, int ldb, const float *c0,
          int ldc, double *out)
{
  for (int i = 0; i < c->m; i++)
    for (int j = 0; j < c->n; j++)
      {
        double sum = 0.0;
        for (int p = 0; p < c->k; p++)
          {
            double av = c->ta == ASSAY_TRANS_N ? a[(size_t) i * lda + p] : a[(size_t) p * lda + i];
            double bv = c->tb == ASSAY_TRANS_N ? b[(size_t) p * ldb + j] : b[(size_t) j * ldb + p];
            sum += av * bv;
          }
        out[(size_t) i * c->n + j] = c->alpha * sum + c->beta * (double) c0[(size_t) i * ldc + j];
      }
}

/* Runs a case on backend and returns the max relative error against the reference. */
static double
run_gemm_case (AssayBackend *backend, const GemmCase *gc, GRand *rand)
{
  int    a_rows = gc->ta == ASSAY_TRANS_N ? gc->m : gc->k;
  int    a_cols = gc->ta == ASSAY_TRANS_N ? gc->k : gc->m;
  int    b_rows = gc->tb == ASSAY_TRANS_N ? gc->k : gc->n;
  int    b_cols = gc->tb == ASSAY_TRANS_N ? gc->n : gc->k;
  int    lda = MAX (a_cols, 1) + gc->pad, ldb = MAX (b_cols, 1) + gc->pad;
  int    ldc = MAX (gc->n, 1) + gc->pad;
  size_t na = (size_t) a_rows * lda, nb = (size_t) b_rows * ldb, nc = (size_t) gc->m * ldc;
  g_autofree float  *a = g_new (float, MAX (na, 1));
  g_autofree float  *b = g_new (float, MAX (nb, 1));
  g_autofree float  *c = g_new (float, MAX (nc, 1));
  g_autofree float  *c0 = g_new (float, MAX (nc, 1));
  g_autofree double *ref = g_new (double, MAX ((size_t) gc->m * gc->n, 1));
  float *da, *db, *dc;
  double worst = 0.0;

  fill_random (rand, a, na);
  fill_random (rand, b, nb);
  fill_random (rand, c0, nc);
  gemm_ref (gc, a, lda, b, ldb, c0, ldc, ref);

  da = assay_backend_alloc (backend, MAX (na, 1) * sizeof (float));
  db = assay_backend_alloc (backend, MAX (nb, 1) * sizeof (float));
  dc = assay_backend_alloc (backend, MAX (nc, 1) * sizeof (float));
  g_assert_nonnull (da);
  g_assert_nonnull (db);
  g_assert_nonnull (dc);
  g_assert_cmpint (assay_backend_upload (backend, da, a, na * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_upload (backend, db, b, nb * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_upload (backend, dc, c0, nc * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_sgemm (backend, gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha,
                                        da, lda, db, ldb, gc->beta, dc, ldc),
                   ==, 0);
  g_assert_cmpint (assay_backend_download (backend, c, dc, nc * sizeof (float)), ==, 0);
  for (int i = 0; i < gc->m; i++)
    for (int j = 0; j < gc->n; j++)
      {
        double want = ref[(size_t) i * gc->n + j];
        double got = c[(size_t) i * ldc + j];
        /* float32 accumulation over k terms of size <= 1: error grows like sqrt(k) eps */
        double scale = MAX (1.0, sqrt ((double) gc->k));
        worst = MAX (worst, fabs (got - want) / scale);
      }
  /* The padding between rows of C must be left alone. */
  for (int i = 0; i < gc->m; i++)
    for (int j = gc->n; j < ldc; j++)
      g_assert_cmpfloat (c[(size_t) i * ldc + j], ==, c0[(size_t) i * ldc + j]);
  assay_backend_release (backend, da);
  assay_backend_release (backend, db);
  assay_backend_release (backend, dc);
  return worst;
}

static GArray *
gemm_cases (void)
{
  static const int sizes[][3] = {
    { 1, 1, 1 },   { 1, 7, 3 },     { 7, 1, 5 },    { 3, 5, 1 },     { 17, 13, 19 },
    { 31, 33, 65 }, { 64, 64, 64 }, { 127, 3, 255 }, { 5, 129, 7 }, { 100, 101, 102 },
    { 2, 2, 0 },   { 9, 11, 513 },
  };
  GArray *cases = g_array_new (FALSE, FALSE, sizeof (GemmCase));

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int t = 0; t < 4; t++)
      {
        GemmCase gc = { sizes[s][0], sizes[s][1], sizes[s][2], t & 1, (t >> 1) & 1,
                        (int) (s % 3), s % 2 ? 0.75f : 1.0f, s % 4 == 1 ? 0.5f : 0.0f };
        g_array_append_val (cases, gc);
      }
  return cases;
}

static void
test_cpu_sgemm (void)
{
  char          err[256];
  AssayBackend *cpu = assay_backend_cpu_new (0, err, sizeof err);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GArray) cases = gemm_cases ();

  g_assert_nonnull (cpu);
  g_assert_cmpint (assay_backend_kind (cpu), ==, ASSAY_BACKEND_CPU);
  g_assert_true (g_str_has_prefix (assay_backend_describe (cpu), "CPU: OpenBLAS"));
  for (guint i = 0; i < cases->len; i++)
    {
      GemmCase *gc = &g_array_index (cases, GemmCase, i);
      double    worst = run_gemm_case (cpu, gc, rand);
      if (worst > 1e-5)
        g_error ("sgemm m=%d n=%d k=%d ta=%d tb=%d pad=%d: error %g > 1e-5", gc->m, gc->n, gc->k,
                 gc->ta, gc->tb, gc->pad, worst);
    }
  assay_backend_free (cpu);
}

static void
test_cpu_sgemm_rejects_bad_shapes (void)
{
  AssayBackend *cpu = assay_backend_cpu_new (1, NULL, 0);
  float         buf[16] = { 0 };

  g_assert_cmpint (assay_backend_sgemm (cpu, ASSAY_TRANS_N, ASSAY_TRANS_N, 2, 2, 3, 1, buf, 2, buf,
                                        2, 0, buf, 2),
                   ==, ASSAY_BACKEND_E_INVALID);
  g_assert_nonnull (strstr (assay_backend_last_error (cpu), "lda"));
  g_assert_cmpint (assay_backend_sgemm (cpu, ASSAY_TRANS_N, ASSAY_TRANS_N, -1, 2, 3, 1, buf, 3, buf,
                                        2, 0, buf, 2),
                   ==, ASSAY_BACKEND_E_INVALID);
  g_assert_cmpint (assay_backend_sgemm (cpu, ASSAY_TRANS_N, ASSAY_TRANS_T, 2, 2, 3, 1, buf, 3, buf,
                                        2, 0, buf, 2),
                   ==, ASSAY_BACKEND_E_INVALID);
  g_assert_cmpint (assay_backend_softmax_rows (cpu, buf, 2, 4, 3), ==, ASSAY_BACKEND_E_INVALID);
  g_assert_cmpint (assay_backend_logsumexp_rows (cpu, buf, 2, 0, 3, buf), ==,
                   ASSAY_BACKEND_E_INVALID);
  assay_backend_free (cpu);
}

/* Rows with large offsets and spreads: overflow-prone for a naive exp. */
static float *
row_data (GRand *rand, int rows, int cols, int ld)
{
  float *x = g_new (float, (size_t) rows * ld);

  for (int r = 0; r < rows; r++)
    {
      double offset = g_rand_double_range (rand, -200.0, 200.0);
      double spread = r % 3 == 0 ? 30.0 : 3.0;
      for (int j = 0; j < ld; j++)
        x[(size_t) r * ld + j] = (float) (offset + g_rand_double_range (rand, -spread, spread));
    }
  return x;
}

static void
check_rows (AssayBackend *backend, GRand *rand, int rows, int cols, int ld)
{
  g_autofree float *x = row_data (rand, rows, cols, ld);
  g_autofree float *sm = g_new (float, (size_t) rows * ld);
  g_autofree float *lse = g_new (float, rows);
  size_t bytes = (size_t) rows * ld * sizeof (float);
  float *dx = assay_backend_alloc (backend, bytes);
  float *dout = assay_backend_alloc (backend, rows * sizeof (float));

  g_assert_cmpint (assay_backend_upload (backend, dx, x, bytes), ==, 0);
  g_assert_cmpint (assay_backend_logsumexp_rows (backend, dx, rows, cols, ld, dout), ==, 0);
  g_assert_cmpint (assay_backend_download (backend, lse, dout, rows * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_softmax_rows (backend, dx, rows, cols, ld), ==, 0);
  g_assert_cmpint (assay_backend_download (backend, sm, dx, bytes), ==, 0);

  for (int r = 0; r < rows; r++)
    {
      const float *row = x + (size_t) r * ld;
      double       mx = -INFINITY, sum = 0.0, ref_lse;
      for (int j = 0; j < cols; j++)
        mx = MAX (mx, row[j]);
      for (int j = 0; j < cols; j++)
        sum += exp ((double) row[j] - mx);
      ref_lse = mx + log (sum);
      /* |lse| up to ~230: float32 holds it to ~1.5e-5; allow 4 ulps of that size. */
      g_assert_cmpfloat_with_epsilon (lse[r], ref_lse, 1e-4 + 2e-7 * fabs (ref_lse));
      for (int j = 0; j < cols; j++)
        {
          double want = exp ((double) row[j] - ref_lse);
          g_assert_cmpfloat_with_epsilon (sm[(size_t) r * ld + j], want, 2e-6 + 1e-4 * want);
        }
      for (int j = cols; j < ld; j++) /* padding untouched */
        g_assert_cmpfloat (sm[(size_t) r * ld + j], ==, row[j]);
    }
  assay_backend_release (backend, dx);
  assay_backend_release (backend, dout);
}

static void
test_cpu_softmax_logsumexp (void)
{
  AssayBackend *cpu = assay_backend_cpu_new (0, NULL, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  check_rows (cpu, rand, 1, 1, 1);
  check_rows (cpu, rand, 3, 17, 19);
  check_rows (cpu, rand, 64, 1000, 1003);
  check_rows (cpu, rand, 257, 151, 151);
  check_rows (cpu, rand, 5, 32768, 32768);
  assay_backend_free (cpu);
}

/* y = x W^T + bias + beta y with bf16 weights (kept bf16 on the CPU): every path (one row, a few
 * rows, blocks converted for sgemm), a width that is no multiple of 16, against float64. */
static void
test_cpu_linear_bf16 (void)
{
  AssayBackend *cpu = assay_backend_cpu_new (2, NULL, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);
  const int n = 301, k = 1000, row_counts[] = { 1, 2, 4, 5, 64 };
  g_autofree guint16 *wh = g_new (guint16, (gsize) n * k);
  g_autofree float *bias = g_new (float, n);
  AssayBackendWeight *w;

  for (gsize i = 0; i < (gsize) n * k; i++)
    wh[i] = assay_f32_to_bf16 ((float) g_rand_double_range (rand, -1, 1));
  for (int j = 0; j < n; j++)
    bias[j] = (float) g_rand_double_range (rand, -1, 1);
  w = assay_backend_weight_new (cpu, wh, ASSAY_DTYPE_BF16, n, k);
  g_assert_nonnull (w);
  g_assert_cmpint (assay_backend_weight_dtype (ASSAY_BACKEND_CPU, ASSAY_DTYPE_BF16), ==, ASSAY_DTYPE_BF16);
  for (guint c = 0; c < G_N_ELEMENTS (row_counts); c++)
    for (int with_beta = 0; with_beta < 2; with_beta++)
      {
        int rows = row_counts[c], ldx = k + 3, ldy = n + 5;
        g_autofree float *x = g_new (float, (gsize) rows * ldx);
        g_autofree float *y = g_new (float, (gsize) rows * ldy);
        g_autofree float *y0 = NULL;
        double worst = 0;

        for (gsize i = 0; i < (gsize) rows * ldx; i++)
          x[i] = (float) g_rand_double_range (rand, -1, 1);
        for (gsize i = 0; i < (gsize) rows * ldy; i++)
          y[i] = (float) g_rand_double_range (rand, -1, 1);
        y0 = g_memdup2 (y, (gsize) rows * ldy * sizeof (float));
        g_assert_cmpint (assay_backend_linear (cpu, x, rows, ldx, w, with_beta ? bias : NULL,
                                               with_beta ? 1.0f : 0.0f, y, ldy), ==, 0);
        for (int r = 0; r < rows; r++)
          for (int j = 0; j < n; j++)
            {
              double ref = with_beta ? bias[j] + y0[(gsize) r * ldy + j] : 0;
              for (int i = 0; i < k; i++)
                ref += (double) x[(gsize) r * ldx + i] * assay_bf16_to_f32 (wh[(gsize) j * k + i]);
              worst = fmax (worst, fabs (y[(gsize) r * ldy + j] - ref));
            }
        g_test_message ("bf16 linear, %d rows%s: max |cpu - float64| = %.2g", rows,
                        with_beta ? ", bias, beta 1" : "", worst);
        g_assert_cmpfloat (worst, <=, 2e-4);
      }
  assay_backend_weight_free (cpu, w);
  assay_backend_free (cpu);
}

/* Log-probabilities over a real-size vocabulary (151 936) with logits of std 3, as a trained
 * model's: against float64, within 1e-5 (a float32 sum of the row lost up to 3e-4). */
static void
test_cpu_target_logprobs_real_vocab (void)
{
  AssayBackend *cpu = assay_backend_cpu_new (2, NULL, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  const int rows = 48, cols = 151936;
  g_autofree float *x = g_new (float, (gsize) rows * cols);
  g_autofree float *out = g_new (float, rows);
  g_autofree int *targets = g_new (int, rows);
  double worst = 0;

  for (gsize i = 0; i < (gsize) rows * cols; i++)
    {
      double u = g_rand_double (rand), v = g_rand_double (rand);
      x[i] = (float) (3.0 * sqrt (-2.0 * log (1.0 - u)) * cos (2 * G_PI * v));
    }
  for (int r = 0; r < rows; r++)
    targets[r] = g_rand_int_range (rand, 0, cols);
  g_assert_cmpint (assay_backend_target_logprobs (cpu, x, rows, cols, cols, targets, out), ==, 0);
  for (int r = 0; r < rows; r++)
    {
      const float *row = x + (gsize) r * cols;
      double mx = -INFINITY, sum = 0;
      for (int j = 0; j < cols; j++)
        mx = fmax (mx, row[j]);
      for (int j = 0; j < cols; j++)
        sum += exp ((double) row[j] - mx);
      worst = fmax (worst, fabs (out[r] - (row[targets[r]] - mx - log (sum))));
    }
  g_test_message ("151936 columns, std 3: max |cpu - float64| = %.3g", worst);
  g_assert_cmpfloat (worst, <=, 1e-5);
  assay_backend_free (cpu);
}

static void
test_cpu_logsumexp_special_values (void)
{
  AssayBackend *cpu = assay_backend_cpu_new (1, NULL, 0);
  float         x[12] = { -INFINITY, -INFINITY, -INFINITY, 1.0f, NAN, 2.0f,
                          INFINITY, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f };
  float         out[4];

  g_assert_cmpint (assay_backend_logsumexp_rows (cpu, x, 4, 3, 3, out), ==, 0);
  g_assert_true (isinf (out[0]) && out[0] < 0);
  g_assert_true (isnan (out[1]));
  g_assert_true (isinf (out[2]) && out[2] > 0);
  g_assert_cmpfloat_with_epsilon (out[3], log (3.0), 1e-6);
  assay_backend_free (cpu);
}

/* Bidirectional attention (encoders) and the exact GELU against float64 on any backend: three
 * packed sequences, one longer than the CPU's block of 128 query rows, grouped K/V heads. */
static void
check_encoder_ops (AssayBackend *b, GRand *rand)
{
  const int lens[] = { 1, 130, 257 }, nh = 4, nkv = 2, hd = 16, ld = (nh + 2 * nkv) * hd;
  int       offsets[4] = { 0 }, T;
  double    worst = 0.0;
  g_autofree float *qkv = NULL, *out = NULL, *g = NULL;
  float    *d_qkv, *d_out, *d_scratch, *d_g;
  size_t    n_g = 4096;

  for (int s = 0; s < 3; s++)
    offsets[s + 1] = offsets[s] + lens[s];
  T = offsets[3];
  qkv = g_new (float, (gsize) T * ld);
  out = g_new (float, (gsize) T * nh * hd);
  for (int i = 0; i < T * ld; i++)
    qkv[i] = (float) g_rand_double_range (rand, -2.0, 2.0);
  d_qkv = assay_backend_alloc (b, (gsize) T * ld * sizeof (float));
  d_out = assay_backend_alloc (b, (gsize) T * nh * hd * sizeof (float));
  d_scratch = assay_backend_alloc (b, assay_backend_attention_scratch (b, 257, nh) * sizeof (float));
  g_assert_nonnull (d_qkv);
  g_assert_nonnull (d_out);
  g_assert_nonnull (d_scratch);
  g_assert_cmpint (assay_backend_upload (b, d_qkv, qkv, (gsize) T * ld * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_attention_bidirectional (b, d_qkv, d_qkv + nh * hd, d_qkv + (nh + nkv) * hd,
                                                          ld, d_out, nh * hd, offsets, 3, nh, nkv, hd,
                                                          0.25f, d_scratch), ==, 0);
  g_assert_cmpint (assay_backend_download (b, out, d_out, (gsize) T * nh * hd * sizeof (float)), ==, 0);
  for (int s = 0; s < 3; s++)
    for (int i = offsets[s]; i < offsets[s + 1]; i++)
      for (int h = 0; h < nh; h++)
        {
          int               g_ = h / (nh / nkv);
          g_autofree double *p = g_new (double, lens[s]);
          double             mx = -INFINITY, sum = 0.0;
          for (int j = offsets[s]; j < offsets[s + 1]; j++)
            {
              double d = 0.0;
              for (int t = 0; t < hd; t++)
                d += (double) qkv[(gsize) i * ld + h * hd + t] * qkv[(gsize) j * ld + (nh + g_) * hd + t];
              p[j - offsets[s]] = d * 0.25;
              mx = MAX (mx, p[j - offsets[s]]);
            }
          for (int j = 0; j < lens[s]; j++)
            sum += (p[j] = exp (p[j] - mx));
          for (int t = 0; t < hd; t++)
            {
              double acc = 0.0;
              for (int j = offsets[s]; j < offsets[s + 1]; j++)
                acc += p[j - offsets[s]] / sum * qkv[(gsize) j * ld + (nh + nkv + g_) * hd + t];
              worst = MAX (worst, fabs (acc - out[(gsize) i * nh * hd + h * hd + t]));
            }
        }
  g_test_message ("%s: bidirectional attention max error %.2e", assay_backend_describe (b), worst);
  g_assert_cmpfloat (worst, <=, 1e-5);

  g = g_new (float, n_g);
  for (size_t i = 0; i < n_g; i++)
    g[i] = -8.0f + 16.0f * (float) i / (float) n_g;
  d_g = assay_backend_alloc (b, n_g * sizeof (float));
  g_assert_cmpint (assay_backend_upload (b, d_g, g, n_g * sizeof (float)), ==, 0);
  g_assert_cmpint (assay_backend_gelu_erf (b, d_g, n_g), ==, 0);
  {
    g_autofree float *r = g_new (float, n_g);
    double            gw = 0.0;
    g_assert_cmpint (assay_backend_download (b, r, d_g, n_g * sizeof (float)), ==, 0);
    for (size_t i = 0; i < n_g; i++)
      {
        double x = g[i], want = 0.5 * x * (1.0 + erf (x / sqrt (2.0)));
        gw = MAX (gw, fabs (r[i] - want) / MAX (1.0, fabs (want)));
      }
    g_test_message ("%s: gelu_erf max error %.2e", assay_backend_describe (b), gw);
    g_assert_cmpfloat (gw, <=, 2e-6);
  }
  assay_backend_release (b, d_qkv);
  assay_backend_release (b, d_out);
  assay_backend_release (b, d_scratch);
  assay_backend_release (b, d_g);
}

static void
test_cpu_encoder_ops (void)
{
  char          err[256];
  AssayBackend *cpu = assay_backend_cpu_new (2, err, sizeof err);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  g_assert_nonnull (cpu);
  check_encoder_ops (cpu, rand);
  assay_backend_free (cpu);
}

static AssayBackend *
cuda_or_skip (void)
{
  char          err[512] = "";
  AssayBackend *cuda;

  if (!assay_backend_cuda_compiled ())
    {
      g_test_skip ("SKIP: this build has no CUDA backend (configure with -Dcuda=enabled)");
      return NULL;
    }
  cuda = assay_backend_cuda_new (0, err, sizeof err);
  if (cuda == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("SKIP: no GPU here: %s", err);
      g_test_skip (msg);
    }
  return cuda;
}

static gboolean
mapped (const char *name)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, name) != NULL;
}

/* The CUDA backend is a module loaded on first use: a program that never asks for it does not
 * map cuBLAS (its static initialisers cost 0.1 s at every start); asked for, the module loads
 * and what can fail is the device, not the loading. */
static void
test_cuda_module (void)
{
  char          err[512] = "";
  AssayBackend *cuda;

  g_assert_false (mapped ("libcublas"));
  g_assert_false (mapped ("libcudart"));
  if (!assay_backend_cuda_compiled ())
    {
      g_test_skip ("SKIP: this build has no CUDA backend (configure with -Dcuda=enabled)");
      return;
    }
  cuda = assay_backend_cuda_new (0, err, sizeof err);
  g_assert_true (mapped ("libassay-cuda"));
  g_assert_true (mapped ("libcublas"));
  if (cuda == NULL)
    {
      g_test_message ("no GPU: %s", err);
      g_assert_null (strstr (err, "could not be loaded"));
      g_assert_null (strstr (err, "module is missing"));
      g_assert_null (strstr (err, "not Assay's CUDA backend"));
    }
  else
    assay_backend_free (cuda);
}

static void
test_cuda_matches_cpu (void)
{
  AssayBackend *cuda = cuda_or_skip ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GArray) cases = NULL;

  if (cuda == NULL)
    return;
  g_test_message ("CUDA device: %s", assay_backend_describe (cuda));
  cases = gemm_cases ();
  for (guint i = 0; i < cases->len; i++)
    {
      GemmCase *gc = &g_array_index (cases, GemmCase, i);
      double    worst = run_gemm_case (cuda, gc, rand);
      if (worst > 1e-5)
        g_error ("CUDA sgemm m=%d n=%d k=%d ta=%d tb=%d: error %g > 1e-5", gc->m, gc->n, gc->k,
                 gc->ta, gc->tb, worst);
    }
  check_rows (cuda, rand, 3, 17, 19);
  check_rows (cuda, rand, 64, 1000, 1003);
  check_rows (cuda, rand, 5, 32768, 32768);
  check_encoder_ops (cuda, rand);
  assay_backend_free (cuda);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kernels/cuda-module", test_cuda_module);
  g_test_add_func ("/kernels/cpu/sgemm", test_cpu_sgemm);
  g_test_add_func ("/kernels/cpu/sgemm-bad-shapes", test_cpu_sgemm_rejects_bad_shapes);
  g_test_add_func ("/kernels/cpu/softmax-logsumexp", test_cpu_softmax_logsumexp);
  g_test_add_func ("/kernels/cpu/logsumexp-special", test_cpu_logsumexp_special_values);
  g_test_add_func ("/kernels/cpu/target-logprobs-real-vocab", test_cpu_target_logprobs_real_vocab);
  g_test_add_func ("/kernels/cpu/linear-bf16", test_cpu_linear_bf16);
  g_test_add_func ("/kernels/cpu/encoder-ops", test_cpu_encoder_ops);
  g_test_add_func ("/kernels/cuda/matches-reference", test_cuda_matches_cpu);
  return g_test_run ();
}
