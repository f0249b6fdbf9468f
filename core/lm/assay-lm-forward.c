/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-forward.c: per layer
 *   Llama/Qwen2: x += W_o attn(rope(W_qkv rmsnorm(x) + b)); x += W_down swiglu(W_gu rmsnorm(x))
 *   GPT-2:       x += W_o attn(W_qkv ln(x) + b) + b_o;      x += W_proj gelu(W_fc ln(x) + b) + b
 *   BERT:        x = ln1(x + W_o attn(W_qkv x + b) + b_o);  x = ln2(x + W_out gelu(W_in x + b) + b)
 * (residual adds are the GEMMs' beta = 1). */
#include "assay-lm-forward.h"

int
assay_lm_qkv_width (const AssayLmConfig *c)
{
  return (c->heads + 2 * c->kv_heads) * c->head_dim;
}

int
assay_lm_mlp_width (const AssayLmConfig *c)
{
  return c->arch == ASSAY_LM_LLAMA || c->arch == ASSAY_LM_QWEN2 ? 2 * c->inter : c->inter;
}

#define TRY(call)                                                                                  \
  do                                                                                               \
    {                                                                                              \
      int status_ = (call);                                                                        \
      if (status_ != 0)                                                                            \
        return status_;                                                                            \
    }                                                                                              \
  while (0)

int
assay_lm_forward_embed (AssayLmModel *model, AssayLmActivations *a, const int *ids, int rows)
{
  AssayBackend        *b = assay_lm_model_backend (model);
  const AssayLmConfig *c = assay_lm_model_config (model);

  TRY (assay_backend_embed (b, assay_lm_model_embed (model), ids, rows, a->x, false));
  if (c->arch == ASSAY_LM_GPT2 || assay_lm_arch_is_encoder (c->arch))
    TRY (assay_backend_embed (b, assay_lm_model_positions (model), a->pos, rows, a->x, true));
  if (assay_lm_arch_is_encoder (c->arch))
    {
      TRY (assay_backend_embed (b, assay_lm_model_types (model), a->types, rows, a->x, true));
      TRY (assay_backend_layernorm (b, a->x, assay_lm_model_norm_w (model),
                                    assay_lm_model_norm_b (model), a->x, rows, c->hidden,
                                    (float) c->norm_eps));
    }
  return 0;
}

int
assay_lm_forward_layers (AssayLmModel *model, AssayLmActivations *a, int T,
                         AssayLmAttendFunc attend, gpointer data)
{
  const AssayLmConfig *c = assay_lm_model_config (model);
  AssayBackend        *b = assay_lm_model_backend (model);
  gboolean             gpt2 = c->arch == ASSAY_LM_GPT2;
  int                  H = c->hidden, Q = c->heads * c->head_dim, D = assay_lm_qkv_width (c);
  float                eps = (float) c->norm_eps;

  for (int l = 0; l < c->layers; l++)
    {
      const AssayLmLayer *L = assay_lm_model_layer (model, l);

      if (assay_lm_arch_is_encoder (c->arch))
        {
          TRY (assay_backend_linear (b, a->x, T, H, L->qkv, L->qkv_b, 0.0f, a->qkv, D));
          TRY (attend (l, a->qkv, D, a->att, data));
          TRY (assay_backend_linear (b, a->att, T, Q, L->o, L->o_b, 1.0f, a->x, H));
          TRY (assay_backend_layernorm (b, a->x, L->ln1_w, L->ln1_b, a->x, T, H, eps));
          TRY (assay_backend_linear (b, a->x, T, H, L->up, L->up_b, 0.0f, a->mlp, c->inter));
          TRY (c->gelu_exact ? assay_backend_gelu_erf (b, a->mlp, (size_t) T * c->inter)
                             : assay_backend_gelu_tanh (b, a->mlp, (size_t) T * c->inter));
          TRY (assay_backend_linear (b, a->mlp, T, c->inter, L->down, L->down_b, 1.0f, a->x, H));
          TRY (assay_backend_layernorm (b, a->x, L->ln2_w, L->ln2_b, a->x, T, H, eps));
          continue;
        }
      if (gpt2)
        TRY (assay_backend_layernorm (b, a->x, L->ln1_w, L->ln1_b, a->xn, T, H, eps));
      else
        TRY (assay_backend_rmsnorm (b, a->x, L->ln1_w, a->xn, T, H, eps));
      TRY (assay_backend_linear (b, a->xn, T, H, L->qkv, L->qkv_b, 0.0f, a->qkv, D));
      if (!gpt2)
        {
          const float *inv_freq = assay_lm_model_inv_freq (model);
          TRY (assay_backend_rope (b, a->qkv, T, D, c->heads, c->head_dim, a->pos, inv_freq));
          TRY (assay_backend_rope (b, a->qkv + Q, T, D, c->kv_heads, c->head_dim, a->pos, inv_freq));
        }
      TRY (attend (l, a->qkv, D, a->att, data));
      TRY (assay_backend_linear (b, a->att, T, Q, L->o, L->o_b, 1.0f, a->x, H));

      if (gpt2)
        {
          TRY (assay_backend_layernorm (b, a->x, L->ln2_w, L->ln2_b, a->xn, T, H, eps));
          TRY (assay_backend_linear (b, a->xn, T, H, L->up, L->up_b, 0.0f, a->mlp, c->inter));
          TRY (assay_backend_gelu_tanh (b, a->mlp, (size_t) T * c->inter));
          TRY (assay_backend_linear (b, a->mlp, T, c->inter, L->down, L->down_b, 1.0f, a->x, H));
        }
      else
        {
          TRY (assay_backend_rmsnorm (b, a->x, L->ln2_w, a->xn, T, H, eps));
          TRY (assay_backend_linear (b, a->xn, T, H, L->up, NULL, 0.0f, a->mlp, 2 * c->inter));
          TRY (assay_backend_swiglu (b, a->mlp, T, c->inter, a->act));
          TRY (assay_backend_linear (b, a->act, T, c->inter, L->down, NULL, 1.0f, a->x, H));
        }
    }
  return 0;
}

int
assay_lm_forward_norm (AssayLmModel *model, const float *x, float *out, int rows)
{
  const AssayLmConfig *c = assay_lm_model_config (model);
  AssayBackend        *b = assay_lm_model_backend (model);

  if (c->arch == ASSAY_LM_GPT2)
    return assay_backend_layernorm (b, x, assay_lm_model_norm_w (model), assay_lm_model_norm_b (model),
                                    out, rows, c->hidden, (float) c->norm_eps);
  return assay_backend_rmsnorm (b, x, assay_lm_model_norm_w (model), out, rows, c->hidden,
                                (float) c->norm_eps);
}
