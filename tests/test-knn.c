/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exact nearest neighbours against a float64 scan written here: blocks of the product, the self
 * case's halved products, ties, fewer candidates than k. */
#include <math.h>

#include "assay-knn.h"

typedef struct
{
  double s;
  int    j;
} Cand;

static int
cand_cmp (const void *a, const void *b)
{
  const Cand *x = a, *y = b;
  if (x->s != y->s)
    return x->s > y->s ? -1 : 1;
  return x->j - y->j;
}

static float *
random_units (GRand *rand, int n, int dim, int levels)
{
  float *v = g_new (float, (gsize) n * dim);
  for (int i = 0; i < n; i++)
    {
      double norm = 0;
      for (int d = 0; d < dim; d++)
        {
          /* levels > 0: few distinct values, so that many scores tie */
          double x = levels > 0 ? g_rand_int_range (rand, 0, levels) : g_rand_double_range (rand, -1, 1);
          v[(gsize) i * dim + d] = (float) x;
          norm += x * x;
        }
      for (int d = 0; d < dim && levels == 0; d++)
        v[(gsize) i * dim + d] /= (float) sqrt (norm);
    }
  return v;
}

/* every query's k neighbours equal the float64 scan's; where two candidates' float64 scores are
 * within 1e-6 (float32 rounding of a 64-term sum) either order is right */
static void
check (AssayBackend *b, const float *q, int nq, const float *base, int nb, int dim, int k, gboolean self)
{
  g_autofree int   *nn = g_new (int, (gsize) MAX (nq, 1) * k);
  g_autofree float *sim = g_new (float, (gsize) MAX (nq, 1) * k);
  g_autofree Cand  *c = g_new (Cand, MAX (nb, 1));
  g_autoptr (GError) error = NULL;
  AssayKnnOptions   o = { self, NULL, NULL };
  int               loose = 0;

  g_assert_true (assay_knn (b, q, nq, base, nb, dim, k, nn, sim, &o, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < nq; i++)
    {
      int n = 0;
      for (int j = 0; j < nb; j++)
        {
          double s = 0;
          if (self && i == j)
            continue;
          for (int d = 0; d < dim; d++)
            s += (double) q[(gsize) i * dim + d] * base[(gsize) j * dim + d];
          c[n++] = (Cand) { s, j };
        }
      qsort (c, n, sizeof (Cand), cand_cmp);
      for (int r = 0; r < k; r++)
        {
          int got = nn[(gsize) i * k + r];
          if (r >= n)
            {
              g_assert_cmpint (got, ==, -1);
              continue;
            }
          g_assert_cmpint (got, >=, 0);
          if (got != c[r].j)
            {
              /* allowed only between scores float32 cannot tell apart */
              double want = c[r].s, have = 0;
              for (int d = 0; d < dim; d++)
                have += (double) q[(gsize) i * dim + d] * base[(gsize) got * dim + d];
              if (fabs (have - want) > 1e-6)
                g_error ("query %d rank %d: got %d (%.9f), want %d (%.9f)", i, r, got, have, c[r].j, want);
              loose++;
            }
          g_assert_cmpfloat (fabs (sim[(gsize) i * k + r] - c[r].s), <=, 1e-5);
        }
    }
  g_test_message ("%d x %d, k %d%s: %d ranks swapped within 1e-6", nq, nb, k, self ? " (self)" : "", loose);
}

static AssayBackend *
cpu (void)
{
  char          err[256];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);
  g_assert_nonnull (b);
  return b;
}

static void
test_random (void)
{
  AssayBackend     *b = cpu ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree float *base = random_units (rand, 9001, 64, 0);
  g_autofree float *q = random_units (rand, 4500, 64, 0);

  /* more than two blocks of 4096 each way, ragged ends */
  check (b, q, 700, base, 9001, 64, 10, FALSE);
  check (b, base, 6000, base, 6000, 64, 10, TRUE);
  assay_backend_free (b);
}

/* integer vectors: many exact ties, which go to the lower index whatever the block order */
static void
test_ties (void)
{
  AssayBackend     *b = cpu ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autofree float *v = random_units (rand, 5000, 4, 3);
  g_autofree int   *nn = g_new (int, 5000 * 20);
  g_autofree float *sim = g_new (float, 5000 * 20);
  AssayKnnOptions   o = { TRUE, NULL, NULL };

  check (b, v, 5000, v, 5000, 4, 20, TRUE);
  g_assert_true (assay_knn (b, v, 5000, v, 5000, 4, 20, nn, sim, &o, NULL, NULL));
  for (int i = 0; i < 5000; i++)
    for (int r = 1; r < 20; r++)
      if (sim[i * 20 + r] == sim[i * 20 + r - 1])
        g_assert_cmpint (nn[i * 20 + r], >, nn[i * 20 + r - 1]);
  assay_backend_free (b);
}

static void
test_small_and_bad (void)
{
  AssayBackend     *b = cpu ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autofree float *v = random_units (rand, 3, 8, 0);
  int               nn[10];
  float             sim[10];
  g_autoptr (GError) error = NULL;
  AssayKnnOptions   o = { TRUE, NULL, NULL };

  /* 3 vectors, k 5, self: two neighbours each, then -1 */
  check (b, v, 3, v, 3, 8, 5, TRUE);
  g_assert_true (assay_knn (b, v, 0, v, 3, 8, 5, nn, sim, NULL, NULL, NULL));
  g_assert_false (assay_knn (b, v, 3, v, 2, 8, 5, nn, sim, &o, NULL, &error));
  g_assert_nonnull (error);
  assay_backend_free (b);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/knn/random", test_random);
  g_test_add_func ("/knn/ties", test_ties);
  g_test_add_func ("/knn/small-and-bad", test_small_and_bad);
  return g_test_run ();
}
