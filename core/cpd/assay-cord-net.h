/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-net.h: the learned CoRD-CPD model (thesis ch.4 §4.3, the authors' reference code's
 * "rnn" temporal and "gnn" spatial layers with the MLP decoder), in float64.
 *
 * A window x of T steps of N variables with M features each (features standardised).
 * Edges e are the ordered pairs (i, j), i != j, in row-major order: sender i, receiver j.
 * Encoder, per step t (all steps of all windows of a batch at once):
 *   a   = MLP_in(x_t,i)                                  M -> H
 *   g   = BiGRU_1 over t of a (H/2 each way)             H -> H
 *   s   = MLP_2([g_j, g_i]) for edge i -> j              2H -> H   (kept: the skip)
 *   v   = MLP_3(sum of s over the edges into i / (N-1))  H -> H
 *   u   = BiGRU_2 over t of v                            H -> H
 *   l   = W_out MLP_out([u_j, u_i, s]) + b_out           3H -> K edge-type logits
 *   MLP(x) = BN(ELU(W2 ELU(W1 x + b1) + b2)), batch norm over every row of the batch.
 * Graph: A_t(i -> j) = softmax(l)[1]; in training z = softmax((l + g) / temp) with Gumbel noise g
 *   (Gumbel-softmax, Eq 4.12); at inference z = softmax(l).
 * Decoder (message passing, Eq 4.14-4.17), edge type 0 meaning "no edge" sends nothing:
 *   m_e   = sum_{k >= 1} z_e,k ReLU(W2k ReLU(W1k [x_i, x_j] + b1k) + b2k)   (sender i first)
 *   x'_j  = x_j + W_o3 ReLU(W_o2 ReLU(W_o1 [x_j, sum of m_e into j] + b_o1) + b_o2) + b_o3
 *   In training the decoder rolls out pred_steps steps from every pred_steps-th true step.
 * Loss: 400 / (2 var) * mean (x'_t - x_{t+1})^2 (the Gaussian NLL with a fixed variance)
 *       + smooth * mean (l_{t+1} - l_t)^2 over steps [margin, T - margin).
 * Scores on a series: s_r(t) = ||A_t - A_{t-1}||_1 (Eq 4.1); s_d(t) = the mean squared error of
 *   the k-step roll-out from x_{t-1} (Eq 4.2); long series are scored in windows of the
 *   training length, overlapping by half, each step taken from the window it is most central in. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint  N, M;          /* variables, features per variable */
  guint  hidden;        /* encoder width H (even) */
  guint  msg_hidden;    /* decoder width */
  guint  edge_types;    /* K (type 0: no edge) */
  guint  pred_steps;    /* roll-out length in training */
  double temp;          /* Gumbel-softmax temperature */
  double var;           /* the NLL's fixed variance */
  double smooth;        /* weight of the smoothness term */
  guint  smooth_margin; /* steps left out of it at each end */
} AssayCordNetConfig;

typedef struct _AssayCordNet AssayCordNet;

/* The reference code's defaults (hidden 256, message width 256, K 2, 10 prediction steps,
 * temperature 0.5, variance 5e-5, smoothness 100 with a margin of 5) for N variables of M
 * features. */
void          assay_cord_net_config_init (AssayCordNetConfig *config, guint N, guint M);

/* Weights initialised as the reference: Xavier-normal encoder weights with biases 0.1, PyTorch's
 * default uniform for the GRUs and the decoder, batch norms at 1 and 0. */
AssayCordNet *assay_cord_net_new         (const AssayCordNetConfig *config, guint64 seed);
void          assay_cord_net_free        (AssayCordNet *self);
const AssayCordNetConfig *assay_cord_net_config (AssayCordNet *self);

/* Every parameter, in one float64 array, and its gradient (the same layout); buffers are the
 * batch norms' running means and variances. */
double       *assay_cord_net_params      (AssayCordNet *self, gsize *n);
double       *assay_cord_net_grads       (AssayCordNet *self);
double       *assay_cord_net_buffers     (AssayCordNet *self, gsize *n);
/* The tensors by name (PyTorch-like names: "enc.mlp_in.fc1.weight", "enc.gru1.weight_ih_l0",
 * "enc.gru1.weight_ih_l0_reverse", "dec.msg_fc1.1.weight", "enc.mlp_in.bn.running_mean", ...):
 * count, and the i-th name, its shape (rows, cols; cols 0 for a vector) and its data (inside the
 * parameter or buffer array; grad the matching gradient, NULL for a buffer). */
guint         assay_cord_net_n_tensors   (AssayCordNet *self);
const char   *assay_cord_net_tensor      (AssayCordNet *self,
                                          guint         i,
                                          guint        *rows,
                                          guint        *cols,
                                          double      **data,
                                          double      **grad);

typedef struct
{
  double nll, smooth;     /* the two terms (loss = nll + smooth) */
  double edge_accuracy;   /* against truth when given, else NaN */
} AssayCordLoss;

/* The loss on B windows of T steps, x [b][t][n][m]. train: batch norms use and update the batch's
 * statistics; otherwise their running ones. gumbel: T x B x E x K noise added to the logits
 * (train with soft Gumbel-softmax), or NULL for z = softmax(l) (validation). backward: add the
 * loss's gradient to the gradients. truth (optional): B x T x E true edge types, for
 * edge_accuracy. Returns nll + smooth. */
double        assay_cord_net_loss        (AssayCordNet  *self,
                                          const double  *x,
                                          guint          B,
                                          guint          T,
                                          const double  *gumbel,
                                          gboolean       train,
                                          gboolean       backward,
                                          const guint8  *truth,
                                          AssayCordLoss *parts);
/* The same training step on n_threads parts of the batch at once, each part on a thread with its
 * own gradients and batch-norm statistics (as n_threads smaller batches would have), the
 * gradients then added in the proportions of the parts (the loss is their mean). With one
 * thread, or a batch of one window, it is assay_cord_net_loss (train, backward). */
double        assay_cord_net_loss_parallel (AssayCordNet  *self,
                                            const double  *x,
                                            guint          B,
                                            guint          T,
                                            const double  *gumbel,
                                            const guint8  *truth,
                                            guint          n_threads,
                                            AssayCordLoss *parts);
/* Gumbel(0, 1) noise, n values. */
void          assay_cord_net_gumbel      (GRand *rng, double *out, gsize n);
/* Zeroes the gradients. */
void          assay_cord_net_zero_grad   (AssayCordNet *self);

/* Inference on one window of T steps x [t][n][m] (eval mode): edge probabilities prob (T x E x K,
 * softmax of the logits) and, when rollout is not NULL, the k-step roll-outs from every step:
 * rollout[t][i] (T x k x N x M) predicts x_{t+1+i} from x_t with the graphs of steps t..t+i
 * (steps past the window use its last graph). */
void          assay_cord_net_infer       (AssayCordNet *self,
                                          const double *x,
                                          guint         T,
                                          guint         k,
                                          double       *prob,
                                          double       *rollout);

/* The same for B windows at once, x [b][t][n][m]: prob B x T x E x K, rollout B x T x k x N x M
 * (each window's results are those of assay_cord_net_infer on it). */
void          assay_cord_net_infer_batch (AssayCordNet *self,
                                          const double *x,
                                          guint         B,
                                          guint         T,
                                          guint         k,
                                          double       *prob,
                                          double       *rollout);

G_END_DECLS
