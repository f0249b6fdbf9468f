/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-svm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8

typedef float v8f __attribute__ ((vector_size (LANES * sizeof (float))));

typedef struct
{
  double pg_max_old[LANES];
  double pg_min_old[LANES];
  double pg_max_new[LANES];
  double pg_min_new[LANES];
  gboolean done[LANES];
} Lanes;

void
assay_svm_options_init (AssaySvmOptions *options)
{
  options->loss = ASSAY_SVM_HINGE;
  options->C = 1.0;
  options->eps = 0.1;
  options->max_iter = 1000;
  options->bias = 1.0f;
  options->seed = 1;
}

static inline guint64
next_random (guint64 *state)
{
  /* xorshift64* */
  guint64 x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* One pass over the active examples for up to eight problems. The hot loop: two 8-wide
 * multiply-adds per stored value of x. Compiled twice, for AVX2 + FMA and for plain x86-64;
 * block_pass() picks by the processor's features. */
#define BLOCK_PASS_BODY                                                                           \
  BLOCK_PASS_SIGNATURE                                                                            \
  {                                                                                               \
    block_pass_impl (x, bias, qd, diag, upper, W, alpha, pos, index, active_size, lanes, rng);    \
  }
#define BLOCK_PASS_SIGNATURE                                                                      \
  (const AssayCsr *x, float bias, const float *qd, double diag, double upper, v8f *W,            \
   double *alpha, const guint8 *pos, guint *index, guint *active_size, Lanes *lanes, guint64 *rng)

static inline __attribute__ ((always_inline)) void
block_pass_impl (const AssayCsr *x, float bias, const float *qd, double diag, double upper,
            v8f *W, double *alpha, const guint8 *pos, guint *index, guint *active_size,
            Lanes *lanes, guint64 *rng)
{
  const guint F = x->n_cols;
  guint       active = *active_size;

  for (guint s = 0; s < active; s++)
    {
      guint j = s + (guint) (next_random (rng) % (active - s));
      guint t = index[s];
      index[s] = index[j];
      index[j] = t;
    }

  for (guint s = 0; s < active; s++)
    {
      const guint    i = index[s];
      const gsize    start = x->indptr[i], end = x->indptr[i + 1];
      const guint32 *fi = x->indices;
      const float   *fv = x->data;
      double        *a = alpha + (gsize) i * LANES;
      v8f            wx = W[F] * bias;
      v8f            dv = { 0 };
      gboolean       all_shrink = TRUE, any_update = FALSE;

      for (gsize p = start; p < end; p++)
        wx += W[fi[p]] * fv[p];

      for (int l = 0; l < LANES; l++)
        {
          double y, G, PG = 0.0;

          if (lanes->done[l])
            continue;
          y = (pos[i] >> l) & 1 ? 1.0 : -1.0;
          G = y * wx[l] - 1.0 + a[l] * diag;
          if (a[l] == 0.0)
            {
              if (G > lanes->pg_max_old[l])
                continue; /* this problem would shrink the example */
              if (G < 0.0)
                PG = G;
            }
          else if (a[l] == upper)
            {
              if (G < lanes->pg_min_old[l])
                continue;
              if (G > 0.0)
                PG = G;
            }
          else
            PG = G;
          all_shrink = FALSE;
          lanes->pg_max_new[l] = MAX (lanes->pg_max_new[l], PG);
          lanes->pg_min_new[l] = MIN (lanes->pg_min_new[l], PG);
          if (fabs (PG) > 1.0e-12)
            {
              double old = a[l];
              a[l] = MIN (MAX (old - G / qd[i], 0.0), upper);
              dv[l] = (float) ((a[l] - old) * y);
              any_update = TRUE;
            }
        }

      if (all_shrink)
        {
          active--;
          index[s] = index[active];
          index[active] = i;
          s--;
          continue;
        }
      if (any_update)
        {
          W[F] += dv * bias;
          for (gsize p = start; p < end; p++)
            W[fi[p]] += dv * fv[p];
        }
    }
  *active_size = active;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__ ((target ("avx2,fma"))) static void block_pass_avx2 BLOCK_PASS_BODY
#endif
static void block_pass_generic BLOCK_PASS_BODY

typedef void (*BlockPassFunc) BLOCK_PASS_SIGNATURE;

static BlockPassFunc
pick_block_pass (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return block_pass_avx2;
#endif
  return block_pass_generic;
}

static void block_pass BLOCK_PASS_SIGNATURE
{
  static gsize func;

  if (g_once_init_enter (&func))
    g_once_init_leave (&func, (gsize) pick_block_pass ());
  ((BlockPassFunc) func) (x, bias, qd, diag, upper, W, alpha, pos, index, active_size, lanes, rng);
}

typedef struct
{
  v8f    *W;
  double *alpha;
  guint8 *pos;
  guint  *index;
} Scratch;

/* Solves problems [first, first + count) (count <= LANES); returns passes used. */
static guint
solve_block (const AssayCsr *x, const float *qd, guint first, guint count,
             const guint32 *const *positives, const guint *n_positives,
             const AssaySvmOptions *options, Scratch *scratch, float *weights, guint *unconverged,
             volatile gint *cancel)
{
  const guint  n = x->n_rows, F = x->n_cols;
  const double diag = options->loss == ASSAY_SVM_SQUARED_HINGE ? 0.5 / options->C : 0.0;
  const double upper = options->loss == ASSAY_SVM_SQUARED_HINGE ? INFINITY : options->C;
  const float  bias = options->bias > 0.0f ? options->bias : 0.0f;
  guint        active = n, iter = 0;
  guint64      rng = options->seed * 0x9E3779B97F4A7C15ULL + first + 1;
  Lanes        lanes;

  memset (scratch->W, 0, (gsize) (F + 1) * sizeof (v8f));
  memset (scratch->alpha, 0, (gsize) n * LANES * sizeof (double));
  memset (scratch->pos, 0, n);
  for (guint i = 0; i < n; i++)
    scratch->index[i] = i;
  for (int l = 0; l < LANES; l++)
    {
      lanes.pg_max_old[l] = INFINITY;
      lanes.pg_min_old[l] = -INFINITY;
      lanes.done[l] = (guint) l >= count;
      if ((guint) l < count)
        for (guint k = 0; k < n_positives[first + l]; k++)
          scratch->pos[positives[first + l][k]] |= (guint8) (1u << l);
    }

  while (iter < options->max_iter)
    {
      gboolean all_done = TRUE, unshrink = FALSE;

      if (cancel != NULL && g_atomic_int_get (cancel))
        return iter;
      for (int l = 0; l < LANES; l++)
        {
          lanes.pg_max_new[l] = -INFINITY;
          lanes.pg_min_new[l] = INFINITY;
        }
      block_pass (x, bias, qd, diag, upper, scratch->W, scratch->alpha, scratch->pos,
                  scratch->index, &active, &lanes, &rng);
      iter++;
      for (int l = 0; l < LANES; l++)
        {
          if (lanes.done[l])
            continue;
          if (lanes.pg_max_new[l] - lanes.pg_min_new[l] <= options->eps)
            {
              if (active == n)
                {
                  lanes.done[l] = TRUE;
                  continue;
                }
              lanes.pg_max_old[l] = INFINITY;
              lanes.pg_min_old[l] = -INFINITY;
              unshrink = TRUE;
            }
          else
            {
              lanes.pg_max_old[l] = lanes.pg_max_new[l] <= 0.0 ? INFINITY : lanes.pg_max_new[l];
              lanes.pg_min_old[l] = lanes.pg_min_new[l] >= 0.0 ? -INFINITY : lanes.pg_min_new[l];
            }
          all_done = FALSE;
        }
      if (all_done)
        break;
      if (unshrink)
        active = n;
    }

  for (guint l = 0; l < count; l++)
    {
      float *w = weights + (gsize) (first + l) * (F + 1);
      if (!lanes.done[l])
        (*unconverged)++;
      for (guint f = 0; f < F; f++)
        w[f] = scratch->W[f][l];
      w[F] = scratch->W[F][l] * bias; /* the intercept */
    }
  return iter;
}

gboolean
assay_svm_train (const AssayCsr *x, guint n_problems, const guint32 *const *positives,
                 const guint *n_positives, const AssaySvmOptions *options, int n_threads,
                 float *weights, AssaySvmStats *stats, AssaySvmProgress progress,
                 gpointer progress_data, volatile gint *cancel)
{
  const guint  n = x->n_rows, F = x->n_cols;
  const guint  n_blocks = (n_problems + LANES - 1) / LANES;
  const double diag = options->loss == ASSAY_SVM_SQUARED_HINGE ? 0.5 / options->C : 0.0;
  const float  bias = options->bias > 0.0f ? options->bias : 0.0f;
  float       *qd = g_new (float, MAX (n, 1));
  guint        max_passes = 0, unconverged = 0, done = 0;

  for (guint i = 0; i < n; i++)
    {
      double sum = (double) bias * bias + diag;
      for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
        sum += (double) x->data[p] * x->data[p];
      qd[i] = (float) sum;
    }
  if (n_threads <= 0)
    n_threads = omp_get_max_threads ();
  n_threads = MIN ((guint) n_threads, MAX (n_blocks, 1));

#pragma omp parallel num_threads (n_threads) reduction (max : max_passes) reduction (+ : unconverged)
  {
    Scratch scratch;

    if (posix_memalign ((void **) &scratch.W, 64, (gsize) (F + 1) * sizeof (v8f)) != 0)
      abort ();
    scratch.alpha = g_new (double, (gsize) MAX (n, 1) * LANES);
    scratch.pos = g_new (guint8, MAX (n, 1));
    scratch.index = g_new (guint, MAX (n, 1));

#pragma omp for schedule (dynamic, 1)
    for (guint b = 0; b < n_blocks; b++)
      {
        guint first = b * LANES, count = MIN (LANES, n_problems - first), passes, finished;

        if (cancel != NULL && g_atomic_int_get (cancel))
          continue;
        passes = solve_block (x, qd, first, count, positives, n_positives, options, &scratch,
                              weights, &unconverged, cancel);
        max_passes = MAX (max_passes, passes);
        finished = (guint) g_atomic_int_add ((gint *) &done, (gint) count) + count;
        if (progress != NULL)
          progress (finished, n_problems, progress_data);
      }
    free (scratch.W);
    g_free (scratch.alpha);
    g_free (scratch.pos);
    g_free (scratch.index);
  }
  g_free (qd);
  if (stats != NULL)
    {
      stats->max_passes = max_passes;
      stats->not_converged = unconverged;
    }
  return cancel == NULL || !g_atomic_int_get (cancel);
}

double
assay_svm_primal_objective (const AssayCsr *x, const guint32 *positives, guint n_positives,
                            const AssaySvmOptions *options, const float *w)
{
  const guint F = x->n_cols;
  double      reg = 0.0, loss = 0.0;
  double      b = w[F];
  guint       k = 0;

  for (guint f = 0; f < F; f++)
    reg += (double) w[f] * w[f];
  if (options->bias > 0.0f)
    reg += (b / options->bias) * (b / options->bias);
  for (guint i = 0; i < x->n_rows; i++)
    {
      double y, m, dot = options->bias > 0.0f ? b : 0.0;
      while (k < n_positives && positives[k] < i)
        k++;
      y = k < n_positives && positives[k] == i ? 1.0 : -1.0;
      for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
        dot += (double) w[x->indices[p]] * x->data[p];
      m = MAX (0.0, 1.0 - y * dot);
      loss += options->loss == ASSAY_SVM_SQUARED_HINGE ? m * m : m;
    }
  return 0.5 * reg + options->C * loss;
}
