/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-spring-sim.h"

#include <math.h>
#include <string.h>

#include "assay-json.h"
#include "assay-names.h"

#define NP     ASSAY_SPRING_PARTICLES
#define DT     0.001
#define FREQ   100
#define K      0.1
#define MAX_F  (0.1 / DT)

gboolean
assay_spring_parse_change (const char *name, AssaySpringChange *change)
{
  static const char *const names[] = { "location", "velocity", "connection", "none" };
  int                      i = assay_names_find (names, G_N_ELEMENTS (names), name);

  if (i < 0)
    return FALSE;
  *change = (AssaySpringChange) i;
  return TRUE;
}

const char *
assay_spring_change_name (AssaySpringChange change)
{
  static const char *names[] = { "location", "velocity", "connection", "none" };
  return names[change];
}

/* Standard normal by Box-Muller */
static double
normal (GRand *rand)
{
  double u = g_rand_double (rand), v = g_rand_double (rand);

  if (u < 1e-300)
    u = 1e-300;
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static void
clamp_walls (double loc[NP][2], double vel[NP][2])
{
  for (int i = 0; i < NP; i++)
    for (int d = 0; d < 2; d++)
      {
        if (loc[i][d] > ASSAY_SPRING_BOX)
          {
            loc[i][d] = 2 * ASSAY_SPRING_BOX - loc[i][d];
            vel[i][d] = -fabs (vel[i][d]);
          }
        if (loc[i][d] < -ASSAY_SPRING_BOX)
          {
            loc[i][d] = -2 * ASSAY_SPRING_BOX - loc[i][d];
            vel[i][d] = fabs (vel[i][d]);
          }
      }
}

AssaySeries *
assay_spring_simulate (AssaySpringChange change, guint64 seed, guint index, float *graphs)
{
  guint32      key[4] = { (guint32) seed, (guint32) (seed >> 32), index, (guint32) change };
  g_autoptr (GRand) rand = g_rand_new_with_seed_array (key, 4);
  g_autofree char *name = g_strdup_printf ("springs-%s-%u", assay_spring_change_name (change),
                                           index);
  AssaySeries *series = assay_series_new (name, ASSAY_SPRING_STEPS, NP, 4);
  static const char *feats[] = { "x", "y", "vx", "vy" };
  double       A[NP][NP] = { { 0 } }, loc[NP][2], vel[NP][2];
  guint        tc;

  for (int m = 0; m < 4; m++)
    {
      g_free (series->feat_names[m]);
      series->feat_names[m] = g_strdup (feats[m]);
    }
  for (int i = 0; i < NP; i++)
    {
      g_free (series->var_names[i]);
      series->var_names[i] = g_strdup_printf ("particle %d", i + 1);
    }
  for (int i = 0; i < NP; i++)
    for (int j = i + 1; j < NP; j++)
      A[i][j] = A[j][i] = g_rand_double (rand) < 0.5 ? 1.0 : 0.0;
  for (int i = 0; i < NP; i++)
    {
      double norm;
      loc[i][0] = 0.5 * normal (rand);
      loc[i][1] = 0.5 * normal (rand);
      vel[i][0] = normal (rand);
      vel[i][1] = normal (rand);
      norm = sqrt (vel[i][0] * vel[i][0] + vel[i][1] * vel[i][1]);
      vel[i][0] *= 0.5 / norm;
      vel[i][1] *= 0.5 / norm;
    }
  tc = (guint) g_rand_int_range (rand, 25, 76);
  if (graphs != NULL)
    for (int i = 0; i < NP; i++)
      for (int j = 0; j < NP; j++)
        graphs[i * NP + j] = (float) A[i][j];

  for (guint t = 0; t < ASSAY_SPRING_STEPS; t++)
    {
      if (t == tc)
        {
          if (change == ASSAY_SPRING_LOCATION)
            for (int i = 0; i < NP; i++)
              for (int d = 0; d < 2; d++)
                loc[i][d] += 0.1 * normal (rand);
          else if (change == ASSAY_SPRING_VELOCITY)
            for (int i = 0; i < NP; i++)
              for (int d = 0; d < 2; d++)
                vel[i][d] += 0.02 * normal (rand);
          else if (change == ASSAY_SPRING_CONNECTION)
            {
              /* flip 5 to 10 of the 10 pairs, chosen at random */
              int pairs[10][2], n = 0, flips = g_rand_int_range (rand, 5, 11);
              for (int i = 0; i < NP; i++)
                for (int j = i + 1; j < NP; j++)
                  {
                    pairs[n][0] = i;
                    pairs[n][1] = j;
                    n++;
                  }
              for (int p = 0; p < flips; p++)
                {
                  int q = p + g_rand_int_range (rand, 0, 10 - p);
                  int i = pairs[q][0], j = pairs[q][1];
                  pairs[q][0] = pairs[p][0];
                  pairs[q][1] = pairs[p][1];
                  pairs[p][0] = i;
                  pairs[p][1] = j;
                  A[i][j] = A[j][i] = 1.0 - A[i][j];
                }
            }
          clamp_walls (loc, vel);
        }
      for (int i = 0; i < NP; i++)
        {
          float *s = assay_series_at (series, t, (guint) i);
          s[0] = (float) loc[i][0];
          s[1] = (float) loc[i][1];
          s[2] = (float) vel[i][0];
          s[3] = (float) vel[i][1];
        }
      for (int step = 0; step < FREQ; step++)
        {
          double F[NP][2] = { { 0 } };
          for (int i = 0; i < NP; i++)
            for (int j = 0; j < NP; j++)
              for (int d = 0; d < 2; d++)
                F[i][d] -= K * A[i][j] * (loc[i][d] - loc[j][d]);
          for (int i = 0; i < NP; i++)
            for (int d = 0; d < 2; d++)
              {
                vel[i][d] += DT * CLAMP (F[i][d], -MAX_F, MAX_F);
                loc[i][d] += DT * vel[i][d];
              }
          clamp_walls (loc, vel);
        }
    }
  if (graphs != NULL)
    for (int i = 0; i < NP; i++)
      for (int j = 0; j < NP; j++)
        graphs[NP * NP + i * NP + j] = (float) A[i][j];
  if (change != ASSAY_SPRING_NONE)
    {
      assay_series_add_annotation (series, "truth", &tc, 1);
      series->change_type = g_strdup (assay_spring_change_name (change));
    }
  return series;
}

double
assay_spring_energy (AssaySeries *series, guint t, const float *graph)
{
  double e = 0.0;

  for (guint i = 0; i < series->N; i++)
    {
      const float *a = assay_series_at (series, t, i);
      e += 0.5 * ((double) a[2] * a[2] + (double) a[3] * a[3]);
      for (guint j = i + 1; j < series->N; j++)
        {
          const float *b = assay_series_at (series, t, j);
          double       dx = a[0] - b[0], dy = a[1] - b[1];
          e += 0.5 * K * graph[i * series->N + j] * (dx * dx + dy * dy);
        }
    }
  return e;
}

gboolean
assay_spring_truth (JsonObject *params, guint index, AssaySeries *series, float *graphs, guint *tc)
{
  AssaySpringChange change;
  g_autoptr (AssaySeries) again = NULL;

  if (params == NULL || g_strcmp0 (assay_json_get_string (params, "simulator", NULL), "particle-springs") != 0
      || !assay_spring_parse_change (assay_json_get_string (params, "change", ""), &change)
      || series->N != ASSAY_SPRING_PARTICLES || series->M != 4 || series->T != ASSAY_SPRING_STEPS)
    return FALSE;
  again = assay_spring_simulate (change, (guint64) assay_json_get_int (params, "seed", 1), index, graphs);
  if (memcmp (again->x, series->x, (gsize) series->T * series->N * series->M * sizeof (float)) != 0)
    return FALSE;
  *tc = G_MAXUINT;
  if (again->annotations->len > 0 && ((GArray *) g_ptr_array_index (again->annotations, 0))->len > 0)
    *tc = g_array_index ((GArray *) g_ptr_array_index (again->annotations, 0), guint, 0);
  return TRUE;
}
