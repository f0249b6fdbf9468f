/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-baselines.h: classic change-point detectors, scored like CoRD-CPD.
 *
 * All work on the series standardised per (variable, feature), as independent dimensions.
 * Cost of a segment: Gaussian with its own mean and variance, C = Σ_dims n log σ̂² (σ̂² floored).
 * BinSeg   greedy binary segmentation: split where the cost drops most, while the drop exceeds
 *          the penalty (default BIC: (2d + 1) ln T for d dimensions).
 * PELT     the optimal partition under the same cost and penalty (Killick et al. 2012).
 *          Score curve of both: the drop of a single split at t, C(0,T) - C(0,t) - C(t,T).
 * BOCPD    Adams & MacKay 2007: run-length posterior with a constant hazard 1/λ and a
 *          Normal-Gamma prior per dimension (Student-t predictive). Score at t: the posterior
 *          probability, `lag` steps later, that a run began at t; change points where it is
 *          >= 0.5 (local maxima, min_size apart). */
#pragma once

#include "assay-series.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_DETECTOR_CORD,
  ASSAY_DETECTOR_BINSEG,
  ASSAY_DETECTOR_PELT,
  ASSAY_DETECTOR_BOCPD,
  ASSAY_DETECTOR_CORD_LEARNED, /* CoRD-CPD with a trained network (assay-cord-model.h) */
} AssayDetector;

typedef struct
{
  double penalty;   /* < 0: BIC */
  guint  min_size;  /* shortest segment (default 5) */
  guint  max_cps;   /* BinSeg: most change points (0: T / min_size) */
  double lambda;    /* BOCPD expected run length (default 100) */
  guint  lag;       /* BOCPD score delay (default 5) */
  guint  max_run;   /* BOCPD run lengths kept (default 500) */
} AssayBaselineOptions;

typedef struct
{
  guint   T;
  float  *score;         /* T */
  GArray *change_points; /* guint, ascending */
  /* BOCPD: run-length posterior P(r_t = r) for r < R, T x R (NULL when not kept) */
  float  *runlength;
  guint   R;
} AssayBaselineResult;

void                 assay_baseline_options_init (AssayBaselineOptions *options);
gboolean             assay_detector_parse (const char *name, AssayDetector *detector);
const char          *assay_detector_name (AssayDetector detector);
AssayBaselineResult *assay_baseline_run (AssaySeries                *series,
                                         AssayDetector               detector,
                                         const AssayBaselineOptions *options,
                                         GCancellable               *cancellable,
                                         GError                    **error);
void                 assay_baseline_result_free (AssayBaselineResult *result);

/* Segment cost helpers, exposed for tests: the Gaussian cost of [a, b) of the standardised
 * series (d dimensions) with prefix sums. */
double               assay_gaussian_segment_cost (const double *s1, const double *s2, guint d,
                                                  guint a, guint b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayBaselineResult, assay_baseline_result_free)

G_END_DECLS
