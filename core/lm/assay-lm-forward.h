/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-forward.h: the transformer blocks of a causal LM or an encoder over a batch of rows,
 * shared by the scorer (teacher forcing), the generator (a key/value cache) and the encoder
 * (embeddings). The caller says how the rows attend; everything else is the same forward pass. */
#pragma once

#include "assay-lm-model.h"

G_BEGIN_DECLS

/* Activations in backend memory, each at least rows x its width (see the functions below). */
typedef struct
{
  float *x;   /* hidden         : the residual stream, in and out */
  float *xn;  /* hidden         : normalised input of a sub-block */
  float *qkv; /* qkv_width      : queries, keys, values (rotated) */
  float *att; /* heads*head_dim : attention output */
  float *mlp; /* mlp_width      */
  float *act; /* inter          : SwiGLU output (Llama/Qwen2 only) */
  int   *pos; /* positions of the rows */
  int   *types; /* token types of the rows (encoders) */
} AssayLmActivations;

/* The attention of one layer: reads queries, keys and values from qkv (row stride ld; keys at
 * column heads*head_dim, values after them) and writes att (row stride heads*head_dim).
 * Returns a backend status. */
typedef int (*AssayLmAttendFunc) (int layer, const float *qkv, int ld, float *att, gpointer data);

int assay_lm_qkv_width (const AssayLmConfig *config);
int assay_lm_mlp_width (const AssayLmConfig *config);

/* x = embed(ids) (+ positions for GPT-2; + positions and token types, then the embeddings'
 * LayerNorm, for encoders); ids, a->pos and a->types: rows ints in backend memory. */
int assay_lm_forward_embed (AssayLmModel *model, AssayLmActivations *a, const int *ids, int rows);
/* Every block over rows rows of a->x. Returns a backend status (its last error says why). */
int assay_lm_forward_layers (AssayLmModel *model, AssayLmActivations *a, int rows,
                             AssayLmAttendFunc attend, gpointer data);
/* The final norm of rows rows of x into out (out may be x). */
int assay_lm_forward_norm (AssayLmModel *model, const float *x, float *out, int rows);

G_END_DECLS
