/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-model.h: a Hugging Face model folder (config.json, safetensors weights, tokenizer):
 * a causal language model or a text encoder, checked whole when opened, its weights put on a
 * backend when a job starts. */
#pragma once

#include <glib.h>

#include "assay-backend.h"
#include "assay-lm-config.h"
#include "assay-lm-tokenizer.h"
#include "assay-safetensors.h"

G_BEGIN_DECLS

typedef struct _AssayLmModel AssayLmModel;

typedef struct
{
  float              *ln1_w, *ln1_b, *ln2_w, *ln2_b;
  AssayBackendWeight *qkv, *o, *up, *down; /* up: [gate | up] (SwiGLU) or c_fc (GPT-2) */
  float              *qkv_b, *o_b, *up_b, *down_b;
} AssayLmLayer;

/* Opens and checks a model folder: config, every tensor's presence, dtype and shape, no unknown
 * tensors, and the tokenizer when the folder has one. Nothing is read into memory yet. */
AssayLmModel        *assay_lm_model_open (const char *dir, GError **error);
/* The same, refusing an encoder: for scoring and generation. */
AssayLmModel        *assay_lm_model_open_causal (const char *dir, GError **error);
void                 assay_lm_model_free (AssayLmModel *self);

const char          *assay_lm_model_dir (AssayLmModel *self);
const AssayLmConfig *assay_lm_model_config (AssayLmModel *self);
AssayLmTokenizer    *assay_lm_model_tokenizer (AssayLmModel *self); /* NULL when none */
guint64              assay_lm_model_parameters (AssayLmModel *self);
/* The dtype of the weight matrices in the files; "mixed" dtypes report the widest. */
AssayDType           assay_lm_model_dtype (AssayLmModel *self);
const char          *assay_lm_dtype_name (AssayDType dtype);
/* Bytes the weights take on a backend of that kind. */
guint64              assay_lm_model_weight_bytes (AssayLmModel *self, AssayBackendKind kind);

/* Puts the weights on a backend (on the thread that owns it), after checking that they and
 * extra_bytes of activations fit in the memory the backend has free. */
gboolean             assay_lm_model_upload (AssayLmModel *self,
                                            AssayBackend *backend,
                                            guint64       extra_bytes,
                                            GError      **error);
void                 assay_lm_model_unload (AssayLmModel *self);
AssayBackend        *assay_lm_model_backend (AssayLmModel *self);

/* Uploaded weights (NULL before assay_lm_model_upload). */
const AssayBackendWeight *assay_lm_model_embed (AssayLmModel *self);
const AssayBackendWeight *assay_lm_model_positions (AssayLmModel *self); /* GPT-2, encoders */
const AssayBackendWeight *assay_lm_model_types (AssayLmModel *self);     /* encoders */
const AssayBackendWeight *assay_lm_model_head (AssayLmModel *self);      /* NULL for encoders */
/* The final norm; an encoder's embeddings.LayerNorm, which comes first instead. */
const float              *assay_lm_model_norm_w (AssayLmModel *self);
const float              *assay_lm_model_norm_b (AssayLmModel *self);
const AssayLmLayer       *assay_lm_model_layer (AssayLmModel *self, int i);
const float              *assay_lm_model_inv_freq (AssayLmModel *self);

/* Free memory for a backend: MemAvailable for the CPU, free device memory for CUDA. */
guint64              assay_lm_available_memory (AssayBackend *backend);

/* A tensor of the folder the forward pass does not read (a reward model's head), as float64:
 * shape [rows] (cols 0) or [rows, cols]; an error naming it when missing, misshapen or not
 * finite. */
double              *assay_lm_model_read_tensor (AssayLmModel *self, const char *name, gint64 rows, gint64 cols,
                                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmModel, assay_lm_model_free)

G_END_DECLS
