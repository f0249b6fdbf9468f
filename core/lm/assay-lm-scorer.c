/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-scorer.c: the forward pass with causal attention within each packed sequence
 * (assay-lm-forward.c), then for the rows that predict a scored token only: norm, output layer by
 * chunks of rows, log-softmax at the target. */
#include "assay-lm-scorer.h"

#include "assay-lm-forward.h"

#include <math.h>
#include <string.h>

#include "assay-error.h"

/* Rows of the output layer computed at once: CHUNK x vocab floats of logits. */
#define HEAD_CHUNK 256

struct _AssayLmScorer
{
  AssayLmModel *model;
  AssayBackend *b;
  int           cap_tokens, cap_len, cap_rows;
  float        *x, *xn, *qkv, *att, *mlp, *act, *scratch, *hs, *logits, *lp;
  int          *ids, *pos, *rows, *targets;
  int          *h_pos, *h_rows, *h_targets;
  float        *h_lp;
  /* self-certainty: a 2 x V probe (a row of ones, then token 0's indicator) gives each row's sum
   * of logits and its logit of token 0, and the log-prob of token 0 gives the log-sum-exp */
  AssayBackendWeight *probe;
  float        *probe_out, *lp0;
  int          *zeros;
  float        *h_probe, *h_lp0;
};

guint64
assay_lm_scorer_activation_bytes (const AssayLmConfig *c, AssayBackendKind kind, int tokens,
                                  int max_len)
{
  guint64 T = (guint64) tokens, f = sizeof (float);
  guint64 chunk = MIN ((guint64) HEAD_CHUNK, T);
  /* CPU: a block of attention scores; CUDA: activations converted to 16 bits for GemmEx */
  guint64 scratch = kind == ASSAY_BACKEND_CPU ? (guint64) 128 * max_len
                                              : T * MAX (c->inter, c->hidden) / 2;

  return f * (T * c->hidden * 2 + T * assay_lm_qkv_width (c) + T * c->heads * c->head_dim
              + T * assay_lm_mlp_width (c) + (c->arch == ASSAY_LM_GPT2 ? 0 : T * c->inter) + scratch
              + T * c->hidden + chunk * c->vocab + 4 * T)
         + 5 * sizeof (int) * T;
}

AssayLmScorer *
assay_lm_scorer_new (AssayLmModel *model)
{
  AssayLmScorer *self = g_new0 (AssayLmScorer, 1);

  self->model = model;
  self->b = assay_lm_model_backend (model);
  g_return_val_if_fail (self->b != NULL, self);
  return self;
}

static void
release_buffers (AssayLmScorer *self)
{
  void *bufs[] = { self->x, self->xn, self->qkv, self->att, self->mlp, self->act, self->scratch,
                   self->hs, self->logits, self->lp, self->ids, self->pos, self->rows, self->targets,
                   self->probe_out, self->lp0, self->zeros };

  if (self->b != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
      assay_backend_release (self->b, bufs[i]);
  self->x = self->xn = self->qkv = self->att = self->mlp = self->act = self->scratch = NULL;
  self->hs = self->logits = self->lp = NULL;
  self->ids = self->pos = self->rows = self->targets = NULL;
  self->probe_out = self->lp0 = NULL;
  self->zeros = NULL;
  g_clear_pointer (&self->h_probe, g_free);
  g_clear_pointer (&self->h_lp0, g_free);
  g_clear_pointer (&self->h_pos, g_free);
  g_clear_pointer (&self->h_rows, g_free);
  g_clear_pointer (&self->h_targets, g_free);
  g_clear_pointer (&self->h_lp, g_free);
  self->cap_tokens = self->cap_len = self->cap_rows = 0;
}

void
assay_lm_scorer_free (AssayLmScorer *self)
{
  if (self == NULL)
    return;
  release_buffers (self);
  if (self->probe != NULL && self->b != NULL)
    assay_backend_weight_free (self->b, self->probe);
  g_free (self);
}

static gboolean
ensure (AssayLmScorer *self, int tokens, int max_len, GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (self->model);
  AssayBackend        *b = self->b;
  gsize                T, f = sizeof (float);

  if (tokens <= self->cap_tokens && max_len <= self->cap_len)
    return TRUE;
  tokens = MAX (tokens, self->cap_tokens);
  max_len = MAX (max_len, self->cap_len);
  release_buffers (self);
  T = (gsize) tokens;
  if ((self->x = assay_backend_alloc (b, T * c->hidden * f)) == NULL
      || (self->xn = assay_backend_alloc (b, T * c->hidden * f)) == NULL
      || (self->qkv = assay_backend_alloc (b, T * assay_lm_qkv_width (c) * f)) == NULL
      || (self->att = assay_backend_alloc (b, T * c->heads * c->head_dim * f)) == NULL
      || (self->mlp = assay_backend_alloc (b, T * assay_lm_mlp_width (c) * f)) == NULL
      || (c->arch != ASSAY_LM_GPT2 && (self->act = assay_backend_alloc (b, T * c->inter * f)) == NULL)
      || (self->scratch = assay_backend_alloc (b, assay_backend_attention_scratch (b, max_len, c->heads) * f)) == NULL
      || (self->hs = assay_backend_alloc (b, T * c->hidden * f)) == NULL
      || (self->logits = assay_backend_alloc (b, (gsize) MIN (HEAD_CHUNK, tokens) * c->vocab * f)) == NULL
      || (self->lp = assay_backend_alloc (b, T * f)) == NULL
      || (self->ids = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->pos = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->rows = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->targets = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->probe_out = assay_backend_alloc (b, 2 * T * f)) == NULL
      || (self->lp0 = assay_backend_alloc (b, T * f)) == NULL
      || (self->zeros = assay_backend_alloc (b, T * sizeof (int))) == NULL)
    {
      g_set_error (error, ASSAY_ERROR,
                   assay_backend_kind (b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_OUT_OF_MEMORY,
                   "activations for %d tokens: %s", tokens, assay_backend_last_error (b));
      release_buffers (self);
      return FALSE;
    }
  self->h_pos = g_new (int, T);
  self->h_rows = g_new (int, T);
  self->h_targets = g_new (int, T);
  self->h_lp = g_new (float, T);
  self->h_probe = g_new (float, 2 * T);
  self->h_lp0 = g_new (float, T);
  {
    g_autofree int *zeros = g_new0 (int, T);
    if (assay_backend_upload (b, self->zeros, zeros, T * sizeof (int)) != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s", assay_backend_last_error (b));
        release_buffers (self);
        return FALSE;
      }
  }
  self->cap_tokens = tokens;
  self->cap_len = max_len;
  return TRUE;
}

#define TRY(call)                                                                                  \
  do                                                                                               \
    {                                                                                              \
      if ((call) != 0)                                                                             \
        goto backend_failed;                                                                       \
    }                                                                                              \
  while (0)

typedef struct
{
  AssayLmScorer *self;
  const int     *offsets;
  int            n;
} Causal;

static int
attend_causal (int layer, const float *qkv, int ld, float *att, gpointer data)
{
  Causal              *c = data;
  const AssayLmConfig *cfg = assay_lm_model_config (c->self->model);
  int                  Q = cfg->heads * cfg->head_dim, KV = cfg->kv_heads * cfg->head_dim;

  return assay_backend_attention (c->self->b, qkv, qkv + Q, qkv + Q + KV, ld, att, Q, c->offsets,
                                  c->n, cfg->heads, cfg->kv_heads, cfg->head_dim,
                                  (float) (1.0 / sqrt ((double) cfg->head_dim)), c->self->scratch);
}

gboolean
assay_lm_scorer_run (AssayLmScorer *self, const AssayLmSequence *seqs, int n, float *const *out,
                     GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (self->model);
  AssayBackend        *b = self->b;
  gboolean             gpt2 = c->arch == ASSAY_LM_GPT2;
  int                  T = 0, R = 0, max_len = 0;
  int                  H = c->hidden;
  gboolean             want_certainty = FALSE;
  g_autofree int      *offsets = g_new (int, n + 1);

  if (b == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "the model is not loaded on a backend");
      return FALSE;
    }
  for (int s = 0; s < n; s++)
    {
      if (seqs[s].len < 1 || seqs[s].start < 1 || seqs[s].start > seqs[s].len)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "sequence %d: %d tokens, scoring from %d (needs 1 <= start <= length)", s,
                       seqs[s].len, seqs[s].start);
          return FALSE;
        }
      if (gpt2 && seqs[s].len > c->max_positions)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "sequence %d has %d tokens, more than the model's %d positions", s,
                       seqs[s].len, c->max_positions);
          return FALSE;
        }
      for (int i = 0; i < seqs[s].len; i++)
        if (seqs[s].ids[i] < 0 || seqs[s].ids[i] >= c->vocab)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         "sequence %d: token id %d outside the vocabulary of %d", s, seqs[s].ids[i],
                         c->vocab);
            return FALSE;
          }
      offsets[s] = T;
      T += seqs[s].len;
      R += seqs[s].len - seqs[s].start;
      max_len = MAX (max_len, seqs[s].len);
    }
  offsets[n] = T;
  if (n == 0 || T == 0)
    return TRUE;
  for (int s = 0; s < n; s++)
    want_certainty |= seqs[s].certainty != NULL;
  if (want_certainty && self->probe == NULL)
    {
      g_autofree float *host = g_new0 (float, 2 * (gsize) c->vocab);
      for (int j = 0; j < c->vocab; j++)
        host[j] = 1.0f;
      host[c->vocab] = 1.0f;
      if ((self->probe = assay_backend_weight_new (b, host, ASSAY_DTYPE_F32, 2, c->vocab)) == NULL)
        goto backend_failed;
    }
  if (!ensure (self, T, max_len, error))
    return FALSE;

  /* host side: positions, rows predicting scored tokens, their targets */
  {
    int r = 0;
    for (int s = 0; s < n; s++)
      {
        for (int i = 0; i < seqs[s].len; i++)
          self->h_pos[offsets[s] + i] = i;
        for (int i = seqs[s].start; i < seqs[s].len; i++)
          {
            self->h_rows[r] = offsets[s] + i - 1;
            self->h_targets[r] = seqs[s].ids[i];
            r++;
          }
      }
    for (int s = 0; s < n; s++)
      TRY (assay_backend_upload (b, self->ids + offsets[s], seqs[s].ids, (gsize) seqs[s].len * sizeof (int)));
    TRY (assay_backend_upload (b, self->pos, self->h_pos, (gsize) T * sizeof (int)));
    TRY (assay_backend_upload (b, self->rows, self->h_rows, (gsize) MAX (R, 1) * sizeof (int)));
    TRY (assay_backend_upload (b, self->targets, self->h_targets, (gsize) MAX (R, 1) * sizeof (int)));
  }

  {
    AssayLmActivations acts = { self->x, self->xn, self->qkv, self->att, self->mlp, self->act, self->pos };
    Causal causal = { self, offsets, n };
    TRY (assay_lm_forward_embed (self->model, &acts, self->ids, T));
    TRY (assay_lm_forward_layers (self->model, &acts, T, attend_causal, &causal));
  }

  if (R > 0)
    {
      TRY (assay_backend_gather_rows (b, self->x, T, H, self->rows, R, self->hs));
      TRY (assay_lm_forward_norm (self->model, self->hs, self->hs, R));
      for (int r0 = 0; r0 < R; r0 += HEAD_CHUNK)
        {
          int m = MIN (HEAD_CHUNK, R - r0);
          TRY (assay_backend_linear (b, self->hs + (gsize) r0 * H, m, H, assay_lm_model_head (self->model),
                                     NULL, 0.0f, self->logits, c->vocab));
          TRY (assay_backend_target_logprobs (b, self->logits, m, c->vocab, c->vocab,
                                              self->targets + r0, self->lp + r0));
          if (want_certainty)
            {
              TRY (assay_backend_linear (b, self->logits, m, c->vocab, self->probe, NULL, 0.0f,
                                         self->probe_out + (gsize) r0 * 2, 2));
              TRY (assay_backend_target_logprobs (b, self->logits, m, c->vocab, c->vocab, self->zeros,
                                                  self->lp0 + r0));
            }
        }
      TRY (assay_backend_download (b, self->h_lp, self->lp, (gsize) R * sizeof (float)));
      if (want_certainty)
        {
          TRY (assay_backend_download (b, self->h_probe, self->probe_out, (gsize) R * 2 * sizeof (float)));
          TRY (assay_backend_download (b, self->h_lp0, self->lp0, (gsize) R * sizeof (float)));
        }
      TRY (assay_backend_synchronize (b));
    }
  {
    int r = 0;
    for (int s = 0; s < n; s++)
      {
        int k = seqs[s].len - seqs[s].start;
        memcpy (out[s], self->h_lp + r, (gsize) k * sizeof (float));
        /* KL(U || p) = -log V - mean_j z_j + lse, lse = z_0 - log p_0 */
        for (int i = 0; seqs[s].certainty != NULL && i < k; i++)
          {
            double sum = self->h_probe[2 * (gsize) (r + i)], z0 = self->h_probe[2 * (gsize) (r + i) + 1];
            seqs[s].certainty[i] = (float) (-log ((double) c->vocab) - sum / c->vocab + z0 - self->h_lp0[r + i]);
          }
        r += k;
      }
  }
  return TRUE;

backend_failed:
  g_set_error (error, ASSAY_ERROR,
               assay_backend_kind (b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_FAILED,
               "%s", assay_backend_last_error (b));
  return FALSE;
}

/* How many of the n lengths (stride bytes apart) from the first go in one batch of budget tokens:
 * as many as fit, at least one. */
static int
batch_length (const int *len, size_t stride, int n, int budget)
{
  int m = 0, tokens = 0;

  while (m < n && (m == 0 || tokens + *(const int *) ((const char *) len + m * stride) <= budget))
    tokens += *(const int *) ((const char *) len + (m++) * stride);
  return m;
}

guint *
assay_lm_batch_plan (const int *lengths, guint n, int budget, guint *n_batches)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint from = 0; from < n;)
    {
      g_array_append_val (starts, from);
      from += (guint) batch_length ((const int *) lengths + from, sizeof (int), (int) (n - from), budget);
    }
  *n_batches = starts->len;
  g_array_append_val (starts, n);
  return (guint *) g_array_free (starts, FALSE);
}

gboolean
assay_lm_scorer_run_batches (AssayLmScorer *self, const AssayLmSequence *seqs, int n, int budget,
                             float *const *out, void (*done) (int, gpointer), gpointer data,
                             GCancellable *cancellable, GError **error)
{
  g_autofree AssayLmSequence *batch = g_new (AssayLmSequence, MAX (n, 1));
  g_autofree float          **batch_out = g_new (float *, MAX (n, 1));

  for (int from = 0; from < n;)
    {
      int to = from + batch_length (&seqs[from].len, sizeof *seqs, n - from, budget), m = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (int k = from; k < to; k++)
        if (seqs[k].len >= 1 && seqs[k].start >= 1 && seqs[k].start < seqs[k].len)
          {
            batch[m] = seqs[k];
            batch_out[m++] = out[k];
          }
      if (m > 0 && !assay_lm_scorer_run (self, batch, m, batch_out, error))
        return FALSE;
      from = to;
      if (done != NULL)
        done (from, data);
    }
  return TRUE;
}
