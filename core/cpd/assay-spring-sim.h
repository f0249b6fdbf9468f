/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-spring-sim.h: the particle-spring system of Neural Relational Inference, with one change.
 *
 * 5 particles in the box [-5, 5]^2 with elastic walls; each pair joined by a spring (constant 0.1)
 * with probability 0.5; force on i: -k sum_j A_ij (x_i - x_j); integration step 0.001, a sample
 * every 100 steps, 100 samples of (x, y, vx, vy). Initial positions N(0, 0.5^2), velocities of
 * norm 0.5 in random directions. At a step drawn uniformly from [25, 75] the system changes:
 *   location:   every position += N(0, 0.1^2)
 *   velocity:   every velocity += N(0, 0.02^2)
 *   connection: at least 5 of the 10 pairs flip (spring added or removed)
 *   none:       no change (for tests)
 * The same (change, seed, index) always gives the same series; datasets of different change
 * types are independent draws. */
#pragma once

#include "assay-series.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_SPRING_LOCATION,
  ASSAY_SPRING_VELOCITY,
  ASSAY_SPRING_CONNECTION,
  ASSAY_SPRING_NONE,
} AssaySpringChange;

#define ASSAY_SPRING_PARTICLES 5
#define ASSAY_SPRING_STEPS     100
#define ASSAY_SPRING_BOX       5.0

gboolean     assay_spring_parse_change (const char *name, AssaySpringChange *change);
const char  *assay_spring_change_name (AssaySpringChange change);
/* The series; its annotations hold the change step (annotator "truth"). graphs (optional)
 * receives the spring graph before and after the change (2 x N x N). */
AssaySeries *assay_spring_simulate (AssaySpringChange change,
                                    guint64           seed,
                                    guint             index,
                                    float            *graphs);
/* The springs of a stored series, when it is the index-th series of a dataset this simulator made
 * (dataset params: {"simulator": "particle-springs", "change", "seed"}) and its values are the
 * simulator's: graphs (2 x N x N, before and after the change) and the change step tc
 * (G_MAXUINT when there is none). FALSE otherwise. */
gboolean     assay_spring_truth (JsonObject  *dataset_params,
                                 guint        index,
                                 AssaySeries *series,
                                 float       *graphs,
                                 guint       *tc);
/* Kinetic plus spring energy of sample t under the graph A (N x N), for tests. */
double       assay_spring_energy (AssaySeries *series, guint t, const float *graph);

G_END_DECLS
