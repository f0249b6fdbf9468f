/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord.h: correlation-aware change-point scores (CoRD-CPD), unsupervised.
 *
 * Encoder: a graph A in [0,1]^{N x N} from a window of steps.
 *   window      mean over features of |Pearson correlation| between variables i and j.
 *   relational  a regression of each variable's change on its differences to the others,
 *               Δx_i(s)[tgt] = Σ_j c_ij (x_j(s) - x_i(s))[src], trimmed least squares; A_ij =
 *               1 - exp(-|c|/σ) of the symmetrised |c|, σ = half the median |c| of the series.
 *               src/tgt features: positions -> velocities when the features are x, y, vx, vy;
 *               otherwise every feature -> itself.
 * Correlation score: s_r(t) = ||A_t - A_{t-1}||_1, where A_t is estimated from the window of w
 *   steps starting at t and A_{t-1} from the window of w steps ending at t-1; 0 where either
 *   window holds fewer than w/2 steps.
 * Dynamics decoder: Δx_i(s) = W [x_i(s); Σ_j A_ij (x_j(s) - x_i(s)); 1], one linear map shared by
 *   all variables (message passing over A, the graph of the window ending at s), fitted by
 *   trimmed least squares on the series itself (features standardised), no labels.
 * Independent score: s_d(t) = mean one-step squared error over the k steps centred on t.
 * Ensemble: s_en = z(s_r) + z(s_d) (z-scores over the series).
 * Change points: local maxima of s_en >= threshold, at least min_distance apart (greedy by
 *   height); the predicted change of a single-change series is argmax s_en.
 *   learned     a trained network gives A_t per step and the k-step roll-out error as s_d
 *               (assay-cord-net.h, assay-cord-model.h); the rest is shared.
 * Change type at t: correlation change if z(s_r) - α z(s_d) >= τ, else independent. */
#pragma once

#include "assay-series.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_CORD_ENCODER_WINDOW,
  ASSAY_CORD_ENCODER_RELATIONAL,
  ASSAY_CORD_ENCODER_LEARNED,    /* a trained network (assay-cord-net.h): options->model */
} AssayCordEncoder;

typedef struct _AssayCordModel AssayCordModel;

typedef enum
{
  ASSAY_CHANGE_CORRELATION = 0,
  ASSAY_CHANGE_INDEPENDENT = 1,
} AssayChangeType;

typedef struct
{
  AssayCordEncoder encoder;
  guint            window;       /* w (default 20) */
  guint            k;            /* s_d window (default 1) */
  double           alpha;        /* 0.75 */
  double           tau;          /* 0 */
  double           threshold;    /* s_en peak threshold (default 4) */
  guint            min_distance; /* between change points (default w) */
  gboolean         keep_graphs;  /* return A_t (before / after) for display */
  AssayCordModel  *model;        /* the learned encoder and decoder (not owned) */
} AssayCordOptions;

typedef struct
{
  guint    T, N;
  float   *s_r, *s_d, *s_en;      /* T each */
  float   *graphs_before;         /* T x N x N: A of the window ending at t-1 (or NULL) */
  float   *graphs_after;          /* T x N x N: A of the window starting at t (or NULL) */
  float   *forecast;              /* T x N x M one-step predictions of the decoder (or NULL) */
  guint    argmax;                /* of s_en */
  GArray  *change_points;         /* guint, ascending */
  GArray  *change_types;          /* AssayChangeType per change point */
  AssayChangeType argmax_type;
} AssayCordResult;

void             assay_cord_options_init (AssayCordOptions *options);
gboolean         assay_cord_parse_encoder (const char *name, AssayCordEncoder *encoder);
const char      *assay_cord_encoder_name (AssayCordEncoder encoder);
AssayCordResult *assay_cord_score (AssaySeries *series, const AssayCordOptions *options,
                                   GCancellable *cancellable, GError **error);
void             assay_cord_result_free (AssayCordResult *result);

/* Pieces, exposed for tests. Graph of steps [a, b) into A (N x N). */
void             assay_cord_window_graph (AssaySeries *series, guint a, guint b, float *A);
/* Raw relational coefficients |c| symmetrised (N x N), before squashing. */
void             assay_cord_relational_coefficients (AssaySeries *series, guint a, guint b,
                                                     float *C);
/* z-score of v in place (mean 0, standard deviation 1; constant input gives zeros). */
void             assay_cord_zscore (float *v, guint n);
/* Peaks >= threshold, min_distance apart, greedy by height, returned ascending. */
GArray          *assay_cord_peaks (const float *score, guint T, double threshold,
                                   guint min_distance);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayCordResult, assay_cord_result_free)

G_END_DECLS
