/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-output-loss.c: see assay-output-loss.h. */
#include "assay-output-loss.h"

#include "assay-error.h"

gboolean
assay_output_loss (AssayBackend *b, const float *h, int rows, int dim, const float *w, int vocab,
                   const int *targets, const float *row_weight, int chunk, float *scratch, float *dh,
                   float *dw, double *loss, float *logprobs, GError **error)
{
  g_autofree double *losses = g_new (double, MAX (chunk, 1));

  g_return_val_if_fail (chunk > 0, FALSE);
  *loss = 0.0;
  for (int r0 = 0; r0 < rows; r0 += chunk)
    {
      int n = MIN (chunk, rows - r0);
      if (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_T, n, vocab, dim, 1.0f, h + (gsize) r0 * dim, dim,
                               w, dim, 0.0f, scratch, vocab) != 0
          || assay_backend_xent_rows (b, scratch, n, vocab, vocab, targets + r0,
                                      row_weight != NULL ? row_weight + r0 : NULL, losses) != 0
          || assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_N, n, dim, vocab, 1.0f, scratch, vocab, w, dim,
                                  0.0f, dh + (gsize) r0 * dim, dim) != 0
          || (dw != NULL
              && assay_backend_sgemm (b, ASSAY_TRANS_T, ASSAY_TRANS_N, vocab, dim, n, 1.0f, scratch, vocab,
                                      h + (gsize) r0 * dim, dim, 1.0f, dw, dim) != 0))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "output layer loss: %s",
                       assay_backend_last_error (b));
          return FALSE;
        }
      for (int i = 0; i < n; i++)
        {
          double w = row_weight != NULL ? row_weight[r0 + i] : 1.0;
          *loss += losses[i];
          if (logprobs != NULL)
            logprobs[r0 + i] = w != 0.0 && targets[r0 + i] >= 0 ? (float) (-losses[i] / w) : 0.0f;
        }
    }
  return TRUE;
}
