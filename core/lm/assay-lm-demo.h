/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-demo.h: a toy policy/reference pair for the demo workspace, written as two Hugging
 * Face model folders (config.json, model.safetensors, tokenizer.json) so that the Traces page has
 * a credit run to show. Both are the same tiny random Llama (hidden 32, 2 layers, byte-level BPE);
 * the policy's output layer adds, for each token, the smoothed log-ratio of the token's frequency
 * in the chosen texts to that in the rejected ones (clipped to ±3 nats): a policy that learnt
 * nothing but which characters good answers use, so its credit is visibly warm on those. It is a
 * picture of the method, not a trained model. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes DIR/reference and DIR/policy (created or replaced); chosen and rejected are NULL-terminated
 * lists of texts. On success the two folders' paths (free with g_free). */
gboolean assay_lm_demo_write_pair (const char        *dir,
                                   const char *const *chosen,
                                   const char *const *rejected,
                                   char             **policy,
                                   char             **reference,
                                   GError           **error);

/* The toy models' tokenizer.json: GPT-2's byte-level vocabulary (the 256 byte tokens) and eight
 * merges of common English pairs, 264 entries (the test models use it too) */
char    *assay_lm_demo_tokenizer_json (void);

G_END_DECLS
