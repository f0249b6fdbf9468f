/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-output-loss.h: the output layer and its cross-entropy for training, in chunks of rows so
 * that the logits of all rows (tokens x vocabulary: 4 GB for 8 000 tokens of Qwen2's 150 000)
 * never exist: for each chunk, logits = H W^T, the loss and dlogits (the backend's xent_rows),
 * then dH = dlogits W and dW += dlogits^T H. */
#pragma once

#include <glib.h>

#include "assay-backend.h"

G_BEGIN_DECLS

/* h: rows x dim hidden states; w: vocab x dim output weight (float32, backend memory); targets
 * and row_weight (NULL: all 1; 0 or target < 0 leaves a row out) host arrays of rows; chunk rows
 * at a time through scratch (chunk * vocab floats, backend memory). dh (rows x dim) is written,
 * dw (NULL: not wanted) added to; *loss gets the weighted sum of the rows' losses, and logprobs
 * (optional, rows floats) each scored row's log p(target) (0 for a row left out). */
gboolean assay_output_loss (AssayBackend *backend,
                            const float  *h,
                            int           rows,
                            int           dim,
                            const float  *w,
                            int           vocab,
                            const int    *targets,
                            const float  *row_weight,
                            int           chunk,
                            float        *scratch,
                            float        *dh,
                            float        *dw,
                            double       *loss,
                            float        *logprobs,
                            GError      **error);

G_END_DECLS
