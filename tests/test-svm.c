/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SVM solver against LIBLINEAR (Debian's liblinear-tools): on the same problems, the primal
 * objective of our solution and of LIBLINEAR's (both computed here in float64) agree to 1e-3
 * relative, for the hinge loss (-s 3) and the squared hinge (-s 2), with bias (-B 1). */
#include <math.h>
#include <stdio.h>

#include "assay-svm.h"
#include "assay-test-util.h"

/* A sparse problem with some signal: the label depends on a few features, plus noise. */
static AssayCsr *
make_problem (guint n, guint F, guint nnz, double positive_rate, guint64 seed,
              GArray *positives)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) seed);
  AssayCsr *x = assay_csr_new (F);
  guint32  *idx = g_new (guint32, nnz);
  float    *val = g_new (float, nnz);

  for (guint i = 0; i < n; i++)
    {
      gboolean positive = g_rand_double (rand) < positive_rate;
      guint    m = 1 + g_rand_int_range (rand, 0, nnz);
      for (guint j = 0; j < m; j++)
        {
          /* Positives draw more often from the first 20 features. */
          if (positive && g_rand_double (rand) < 0.4)
            idx[j] = g_rand_int_range (rand, 0, 20);
          else
            idx[j] = g_rand_int_range (rand, 0, F);
          val[j] = (float) g_rand_double_range (rand, 0.1, 1.0);
        }
      assay_csr_append_row (x, idx, val, m);
      if (positive)
        g_array_append_val (positives, i);
    }
  assay_csr_normalize_rows (x);
  g_free (idx);
  g_free (val);
  return x;
}

static char *
write_liblinear (const AssayCsr *x, GArray *positives)
{
  g_autofree char *path = assay_test_path ("problem.txt");
  FILE *f = fopen (path, "w");
  guint k = 0;

  for (guint i = 0; i < x->n_rows; i++)
    {
      gboolean pos = k < positives->len && g_array_index (positives, guint32, k) == i;
      if (pos)
        k++;
      fprintf (f, "%s", pos ? "+1" : "-1");
      for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
        fprintf (f, " %u:%.9g", x->indices[p] + 1, x->data[p]);
      fprintf (f, "\n");
    }
  fclose (f);
  return g_steal_pointer (&path);
}

/* Runs liblinear-train and reads w (n_cols weights, then the intercept). */
static float *
liblinear (const char *problem, const char *solver, double C, guint F)
{
  g_autofree char *model = assay_test_path ("problem.model");
  g_autofree char *cost = g_strdup_printf ("%g", C);
  const char *argv[] = { "liblinear-train", "-q", "-s", solver, "-e", "1e-4", "-B", "1", "-c",
                         cost, problem, model, NULL };
  g_autofree char *out = NULL, *err = NULL, *text = NULL;
  g_auto (GStrv) lines = NULL;
  float   *w = g_new0 (float, F + 1);
  gboolean in_w = FALSE, negate = FALSE;
  guint    k = 0;

  g_assert_cmpint (assay_test_spawn (argv, &out, &err), ==, 0);
  g_assert_true (g_file_get_contents (model, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "label "))
        negate = g_str_has_prefix (lines[i], "label -1");
      else if (g_str_equal (lines[i], "w"))
        in_w = TRUE;
      else if (in_w && *lines[i] != '\0' && k <= F)
        w[k++] = (float) g_ascii_strtod (lines[i], NULL);
    }
  g_assert_cmpuint (k, ==, F + 1);
  if (negate)
    for (guint f = 0; f <= F; f++)
      w[f] = -w[f];
  return w;
}

static void
compare (AssaySvmLoss loss, const char *solver, double C, double rate, guint64 seed)
{
  g_autoptr (GArray) positives = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (AssayCsr) x = make_problem (1500, 400, 30, rate, seed, positives);
  g_autofree char *problem = write_liblinear (x, positives);
  g_autofree float *theirs = liblinear (problem, solver, C, x->n_cols);
  g_autofree float *ours = g_new (float, x->n_cols + 1);
  const guint32 *pos = (const guint32 *) positives->data;
  guint          n_pos = positives->len;
  AssaySvmOptions options;
  AssaySvmStats   stats;
  double          f_ours, f_theirs, rel;

  assay_svm_options_init (&options);
  options.loss = loss;
  options.C = C;
  options.eps = 1e-4;
  options.max_iter = 100000;
  g_assert_true (assay_svm_train (x, 1, &pos, &n_pos, &options, 1, ours, &stats, NULL, NULL,
                                  NULL));
  g_assert_cmpuint (stats.not_converged, ==, 0);
  f_ours = assay_svm_primal_objective (x, pos, n_pos, &options, ours);
  f_theirs = assay_svm_primal_objective (x, pos, n_pos, &options, theirs);
  rel = fabs (f_ours - f_theirs) / f_theirs;
  g_test_message ("%s C=%g positives=%u: ours %.6f, LIBLINEAR %.6f, relative %.2e (%u passes)",
                  solver, C, n_pos, f_ours, f_theirs, rel, stats.max_passes);
  g_assert_cmpfloat (rel, <=, 1e-3);
}

static gboolean
have_liblinear (void)
{
  g_autofree char *path = g_find_program_in_path ("liblinear-train");

  if (path == NULL)
    g_test_skip ("SKIP: liblinear-train not installed (Debian package liblinear-tools)");
  return path != NULL;
}

static void
test_hinge_vs_liblinear (void)
{
  if (!have_liblinear ())
    return;
  compare (ASSAY_SVM_HINGE, "3", 1.0, 0.3, 1);
  compare (ASSAY_SVM_HINGE, "3", 10.0, 0.05, 2);
  compare (ASSAY_SVM_HINGE, "3", 0.1, 0.01, 3);
}

static void
test_squared_hinge_vs_liblinear (void)
{
  if (!have_liblinear ())
    return;
  compare (ASSAY_SVM_SQUARED_HINGE, "2", 1.0, 0.3, 4);
  compare (ASSAY_SVM_SQUARED_HINGE, "2", 10.0, 0.05, 5);
  compare (ASSAY_SVM_SQUARED_HINGE, "2", 0.1, 0.01, 6);
}

/* Eleven problems at once (one full block of eight and a partial one) reach the same optima as
 * each alone, on several threads. */
static void
test_blocks_match_single (void)
{
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (AssayCsr) x = make_problem (800, 300, 25, 0.2, 9, all);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const guint P = 11;
  GArray *pos[11];
  const guint32 *pos_data[11];
  guint  n_pos[11];
  g_autofree float *block = g_new (float, P * (x->n_cols + 1));
  AssaySvmOptions options;

  assay_svm_options_init (&options);
  options.eps = 1e-3;
  options.loss = ASSAY_SVM_SQUARED_HINGE;
  for (guint p = 0; p < P; p++)
    {
      pos[p] = g_array_new (FALSE, FALSE, sizeof (guint32));
      for (guint i = 0; i < x->n_rows; i++)
        if (g_rand_double (rand) < 0.02 * (p + 1))
          g_array_append_val (pos[p], i);
      pos_data[p] = (const guint32 *) pos[p]->data;
      n_pos[p] = pos[p]->len;
    }
  n_pos[3] = 0; /* a problem with no positive at all */
  g_assert_true (assay_svm_train (x, P, pos_data, n_pos, &options, 2, block, NULL, NULL, NULL,
                                  NULL));
  for (guint p = 0; p < P; p++)
    {
      g_autofree float *single = g_new (float, x->n_cols + 1);
      double a, b;
      g_assert_true (assay_svm_train (x, 1, &pos_data[p], &n_pos[p], &options, 1, single, NULL,
                                      NULL, NULL, NULL));
      a = assay_svm_primal_objective (x, pos_data[p], n_pos[p], &options,
                                      block + p * (x->n_cols + 1));
      b = assay_svm_primal_objective (x, pos_data[p], n_pos[p], &options, single);
      g_assert_cmpfloat (fabs (a - b) / b, <=, 1e-3);
      g_array_unref (pos[p]);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/svm/hinge-vs-liblinear", test_hinge_vs_liblinear);
  g_test_add_func ("/svm/squared-hinge-vs-liblinear", test_squared_hinge_vs_liblinear);
  g_test_add_func ("/svm/blocks-match-single", test_blocks_match_single);
  return g_test_run ();
}
