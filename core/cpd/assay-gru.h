/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gru.h: a GRU layer in float64 over S sequences at once, forward and back through time, as
 * torch.nn.GRU computes it (gates in the order r, z, n):
 *   r = sigma(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigma(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * CoRD-CPD's temporal encoder runs one over each variable's window (thesis §4.3), all variables of
 * all windows of a batch together; products are BLAS dgemm, so the gradients can be checked to
 * 1e-6 against PyTorch in float64. Arrays are time-major: x is T x S x in. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int     in, hidden;
  double *w_ih; /* [3 hidden, in] */
  double *w_hh; /* [3 hidden, hidden] */
  double *b_ih; /* [3 hidden] */
  double *b_hh; /* [3 hidden] */
} AssayGru;

typedef struct
{
  double *w_ih, *w_hh, *b_ih, *b_hh; /* the same shapes, added to */
} AssayGruGrad;

/* x: T x S x in; h0: S x hidden (NULL: zeros); h: (T + 1) x S x hidden, h[0] = h0 and h[t + 1]
 * the states after x[t]; gates (optional, T x S x 4 hidden: r, z, n and W_hn h + b_hn) kept for
 * backward. */
void assay_gru_forward  (const AssayGru *gru,
                         const double   *x,
                         int             T,
                         int             S,
                         const double   *h0,
                         double         *h,
                         double         *gates);
/* dh: (T + 1) x S x hidden, the loss's gradient with respect to every state (h[0] included),
 * consumed; adds to grad and writes dx (T x S x in, optional) and dh0 (S x hidden, optional). */
void assay_gru_backward (const AssayGru *gru,
                         const double   *x,
                         int             T,
                         int             S,
                         const double   *h,
                         const double   *gates,
                         double         *dh,
                         AssayGruGrad   *grad,
                         double         *dx,
                         double         *dh0);

G_END_DECLS
