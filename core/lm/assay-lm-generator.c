/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-generator.c: see assay-lm-generator.h.
 *
 * The cache of each layer is two matrices (keys, values) of rows of kv_dim floats: first the
 * prompts of the group, packed, then max_tokens rows per candidate. A candidate's first P keys
 * are its prompt's rows; key P + j is row base + j of its own. Prefill runs the prompts through
 * the causal attention of the scorer and stores their keys and values; each decode step runs one
 * row per unfinished candidate (its last token) against the cache. */
#include "assay-lm-generator.h"

#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-lm-forward.h"

struct _AssayLmGenerator
{
  AssayLmModel *model;
  AssayBackend *b;
};

const char *
assay_lm_finish_name (AssayLmFinish finish)
{
  switch (finish)
    {
    case ASSAY_LM_FINISH_EOS: return "eos";
    case ASSAY_LM_FINISH_STOP: return "stop";
    case ASSAY_LM_FINISH_LENGTH: break;
    }
  return "length";
}

void
assay_lm_candidate_clear (AssayLmCandidate *c)
{
  g_clear_pointer (&c->ids, g_array_unref);
  g_clear_pointer (&c->logprobs, g_array_unref);
  g_clear_pointer (&c->model_logprobs, g_array_unref);
  g_clear_pointer (&c->text, g_free);
}

AssayLmGenerator *
assay_lm_generator_new (AssayLmModel *model)
{
  AssayLmGenerator *self = g_new0 (AssayLmGenerator, 1);

  self->model = model;
  self->b = assay_lm_model_backend (model);
  return self;
}

void
assay_lm_generator_free (AssayLmGenerator *self)
{
  g_free (self);
}

guint64
assay_lm_generator_memory (const AssayLmConfig *c, int prompt_tokens, int candidates,
                           int max_tokens, AssayDType kv_cache)
{
  guint64 rows = (guint64) MAX (prompt_tokens, candidates), f = sizeof (float);
  guint64 kv = (guint64) c->kv_heads * c->head_dim;
  guint64 cache = 2 * (guint64) c->layers * kv * ((guint64) prompt_tokens + (guint64) candidates * max_tokens);

  return cache * (kv_cache == ASSAY_DTYPE_BF16 ? 2 : 4)
         + f * (rows * (3 * (guint64) c->hidden + assay_lm_qkv_width (c) + c->heads * c->head_dim
                        + assay_lm_mlp_width (c) + c->inter)
                + 2 * (guint64) candidates * c->vocab)
         + rows * 8 * sizeof (int);
}

/* ---- one group of prompts decoded together ---- */

typedef struct
{
  int             prompt;   /* index into the run's prompts */
  int             index;    /* global candidate index (prompt * n + c) */
  int             base;     /* first cache row of its own */
  int             t;        /* tokens generated (including the last drawn) */
  gboolean        active;
  AssayLmSampler *sampler;
  GArray         *history;  /* prompt and generated ids, for the repetition penalty */
  GString        *bytes;    /* the generated text's bytes, for stop strings */
} Slot;

typedef struct
{
  AssayLmGenerator             *self;
  const AssayLmConfig          *c;
  AssayBackend                 *b;
  const AssayLmGenerateOptions *o;
  AssayLmActivations            a;
  float                        *scratch, *hs, *logits, *h_logits;
  int                          *ids, *rows, *span, *last;
  int                          *h_ids, *h_pos, *h_rows, *h_span;
  void                        **k, **v;    /* per layer, of cache_dtype values */
  AssayDType                    cache_dtype;
  /* the attention of the pass under way */
  gboolean                      prefill;
  int                          *offsets; /* host, prefill */
  int                           n_seqs, n_rows, max_keys;
} Group;

#define TRY(call)                                                                                  \
  do                                                                                               \
    {                                                                                              \
      if ((call) != 0)                                                                             \
        goto backend_failed;                                                                       \
    }                                                                                              \
  while (0)

static int
attend (int l, const float *qkv, int ld, float *att, gpointer data)
{
  Group               *g = data;
  const AssayLmConfig *c = g->c;
  int                  Q = c->heads * c->head_dim, KV = c->kv_heads * c->head_dim, status;
  float                scale = (float) (1.0 / sqrt ((double) c->head_dim));

  if ((status = assay_backend_scatter_rows (g->b, qkv + Q, ld, KV, g->n_rows, g->rows, g->k[l],
                                            g->cache_dtype)) != 0
      || (status = assay_backend_scatter_rows (g->b, qkv + Q + KV, ld, KV, g->n_rows, g->rows, g->v[l],
                                               g->cache_dtype)) != 0)
    return status;
  /* (prefill attends to the rows it just computed, in float32, as teacher forcing does) */
  if (g->prefill)
    return assay_backend_attention (g->b, qkv, qkv + Q, qkv + Q + KV, ld, att, Q, g->offsets,
                                    g->n_seqs, c->heads, c->kv_heads, c->head_dim, scale, g->scratch);
  return assay_backend_attention_cached (g->b, qkv, ld, g->n_rows, g->k[l], g->v[l], g->cache_dtype,
                                         g->span, g->max_keys, att, Q, c->heads, c->kv_heads,
                                         c->head_dim, scale, g->scratch);
}

static void
group_release (Group *g)
{
  AssayBackend *b = g->b;
  void *bufs[] = { g->a.x, g->a.xn, g->a.qkv, g->a.att, g->a.mlp, g->a.act, g->a.pos, g->scratch,
                   g->hs, g->logits, g->ids, g->rows, g->span, g->last };

  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    assay_backend_release (b, bufs[i]);
  for (int l = 0; g->k != NULL && l < g->c->layers; l++)
    {
      assay_backend_release (b, g->k[l]);
      assay_backend_release (b, g->v[l]);
    }
  g_free (g->k);
  g_free (g->v);
  g_free (g->h_logits);
  g_free (g->h_ids);
  g_free (g->h_pos);
  g_free (g->h_rows);
  g_free (g->h_span);
  g_free (g->offsets);
}

static gboolean
group_alloc (Group *g, int prompt_tokens, int n_prompts, int max_len, int candidates, GError **error)
{
  const AssayLmConfig *c = g->c;
  AssayBackend        *b = g->b;
  gsize                f = sizeof (float), R = (gsize) MAX (prompt_tokens, candidates);
  gsize                kv = (gsize) c->kv_heads * c->head_dim;
  gsize                cache_rows = (gsize) prompt_tokens + (gsize) candidates * g->o->max_tokens;
  gsize                scratch = MAX (assay_backend_attention_scratch (b, max_len, c->heads),
                                      assay_backend_attention_cached_scratch (b, candidates, g->max_keys, c->heads));
  gboolean             ok;

  g->k = g_new0 (void *, c->layers);
  g->v = g_new0 (void *, c->layers);
  ok = (g->a.x = assay_backend_alloc (b, R * c->hidden * f)) != NULL
       && (g->a.xn = assay_backend_alloc (b, R * c->hidden * f)) != NULL
       && (g->a.qkv = assay_backend_alloc (b, R * assay_lm_qkv_width (c) * f)) != NULL
       && (g->a.att = assay_backend_alloc (b, R * c->heads * c->head_dim * f)) != NULL
       && (g->a.mlp = assay_backend_alloc (b, R * assay_lm_mlp_width (c) * f)) != NULL
       && (c->arch == ASSAY_LM_GPT2 || (g->a.act = assay_backend_alloc (b, R * c->inter * f)) != NULL)
       && (g->a.pos = assay_backend_alloc (b, R * sizeof (int))) != NULL
       && (g->scratch = assay_backend_alloc (b, scratch * f)) != NULL
       && (g->hs = assay_backend_alloc (b, (gsize) candidates * c->hidden * f)) != NULL
       && (g->logits = assay_backend_alloc (b, (gsize) candidates * c->vocab * f)) != NULL
       && (g->ids = assay_backend_alloc (b, R * sizeof (int))) != NULL
       && (g->rows = assay_backend_alloc (b, R * sizeof (int))) != NULL
       && (g->span = assay_backend_alloc (b, 4 * (gsize) candidates * sizeof (int))) != NULL
       && (g->last = assay_backend_alloc (b, (gsize) n_prompts * sizeof (int))) != NULL;
  for (int l = 0; ok && l < c->layers; l++)
    ok = (g->k[l] = assay_backend_alloc (b, cache_rows * kv * assay_dtype_size (g->cache_dtype))) != NULL
         && (g->v[l] = assay_backend_alloc (b, cache_rows * kv * assay_dtype_size (g->cache_dtype))) != NULL;
  if (!ok)
    {
      g_set_error (error, ASSAY_ERROR,
                   assay_backend_kind (b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_OUT_OF_MEMORY,
                   "the cache for %d prompt tokens and %d candidates of %d tokens: %s",
                   prompt_tokens, candidates, g->o->max_tokens, assay_backend_last_error (b));
      return FALSE;
    }
  g->h_logits = g_new (float, (gsize) candidates * c->vocab);
  g->h_ids = g_new (int, R);
  g->h_pos = g_new (int, R);
  g->h_rows = g_new (int, R);
  g->h_span = g_new (int, 4 * (gsize) candidates);
  g->offsets = g_new (int, n_prompts + 1);
  return TRUE;
}

/* The final norm of rows of x into hs, the output layer, the logits downloaded to h_logits. */
static int
head (Group *g, const float *x, int rows)
{
  int status;

  if ((status = assay_lm_forward_norm (g->self->model, x, g->hs, rows)) != 0
      || (status = assay_backend_linear (g->b, g->hs, rows, g->c->hidden, assay_lm_model_head (g->self->model),
                                         NULL, 0.0f, g->logits, g->c->vocab)) != 0
      || (status = assay_backend_download (g->b, g->h_logits, g->logits,
                                           (gsize) rows * g->c->vocab * sizeof (float))) != 0)
    return status;
  return assay_backend_synchronize (g->b);
}

static gboolean
is_eos (const AssayLmGenerateOptions *o, int id)
{
  for (int i = 0; i < o->n_eos; i++)
    if (o->eos[i] == id)
      return TRUE;
  return FALSE;
}

/* Takes the token drawn for slot s; finishes the candidate when it ends. */
static void
accept (Group *g, Slot *s, AssayLmCandidate *out, int token, double lp_sample, double lp_model)
{
  const AssayLmGenerateOptions *o = g->o;
  AssayLmTokenizer *tok = assay_lm_model_tokenizer (g->self->model);
  float             lq = (float) lp_sample, lp = (float) lp_model;

  if (is_eos (o, token))
    {
      s->active = FALSE;
      out->finish = ASSAY_LM_FINISH_EOS;
      return;
    }
  g_array_append_val (out->ids, token);
  g_array_append_val (out->logprobs, lq);
  g_array_append_val (out->model_logprobs, lp);
  if (s->history != NULL)
    g_array_append_val (s->history, token);
  s->t++;
  if (s->bytes != NULL && tok != NULL)
    {
      gsize       len = 0, before = s->bytes->len;
      const char *piece = assay_lm_tokenizer_token_bytes (tok, token, &len);
      if (piece != NULL)
        g_string_append_len (s->bytes, piece, (gssize) len);
      for (char **stop = o->stop; *stop != NULL; stop++)
        {
          gsize       n = strlen (*stop), from = before >= n ? before - n + 1 : 0;
          const char *hit = n > 0 && s->bytes->len >= n
                              ? g_strstr_len (s->bytes->str + from, (gssize) (s->bytes->len - from), *stop)
                              : NULL;
          if (hit != NULL)
            {
              g_string_truncate (s->bytes, (gsize) (hit - s->bytes->str));
              out->text = g_utf8_make_valid (s->bytes->str, (gssize) s->bytes->len);
              out->finish = ASSAY_LM_FINISH_STOP;
              s->active = FALSE;
              return;
            }
        }
    }
  if (s->t >= o->max_tokens)
    {
      s->active = FALSE;
      out->finish = ASSAY_LM_FINISH_LENGTH;
    }
}

/* Draws slot s's next token from its row of logits and takes it. Scores that are not finite
 * (broken weights, an overflow) would sample nonsense and write log-probs that are not JSON:
 * the model's log-prob of the drawn token, NaN then, stops the run naming where. */
static gboolean
draw (Group *g, Slot *s, AssayLmCandidate *out, const float *logits, guint64 *tokens,
      int *finished, GError **error)
{
  double lq, lp;
  int    token = assay_lm_sampler_draw (s->sampler, logits,
                                        s->history != NULL ? (const int *) s->history->data : NULL,
                                        s->history != NULL ? (int) s->history->len : 0, &lq, &lp);

  if (isnan (lp) || lp == INFINITY)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "prompt %d, new token %d: the model's scores are not finite (NaN or infinity): "
                   "its weights or its activations overflow", s->prompt + 1, s->t + 1);
      return FALSE;
    }
  accept (g, s, out, token, lq, lp);
  (*tokens)++;
  if (!s->active)
    (*finished)++;
  return TRUE;
}

static gboolean
run_group (AssayLmGenerator *self, const int *const *prompts, const int *lens, int p0, int p1,
           const AssayLmGenerateOptions *o, AssayLmCandidate *out, guint64 *tokens, int *finished,
           void (*step) (guint64, int, gpointer), gpointer data, GCancellable *cancellable,
           GError **error)
{
  Group                g = { 0 };
  const AssayLmConfig *c = assay_lm_model_config (self->model);
  int                  n_prompts = p1 - p0, n_cands = n_prompts * o->n, T = 0, max_len = 0;
  int                  V = c->vocab, H = c->hidden;
  Slot                *slots = g_new0 (Slot, n_cands);
  g_autofree int      *which = NULL; /* slots of the rows of a decode step */
  gboolean             ok = FALSE;

  g.self = self;
  g.c = c;
  g.b = self->b;
  g.o = o;
  g.cache_dtype = o->kv_cache == ASSAY_DTYPE_BF16 ? ASSAY_DTYPE_BF16 : ASSAY_DTYPE_F32;
  for (int p = p0; p < p1; p++)
    {
      T += lens[p];
      max_len = MAX (max_len, lens[p]);
    }
  g.max_keys = max_len + o->max_tokens;
  if (!group_alloc (&g, T, n_prompts, max_len, n_cands, error))
    goto out;

  /* prefill: the prompts packed, their keys and values stored at cache rows 0 .. T-1 */
  {
    int at = 0;
    g_autofree int *h_last = g_new (int, n_prompts);
    for (int p = p0; p < p1; p++)
      {
        g.offsets[p - p0] = at;
        for (int i = 0; i < lens[p]; i++)
          {
            g.h_ids[at + i] = prompts[p][i];
            g.h_pos[at + i] = i;
            g.h_rows[at + i] = at + i;
          }
        at += lens[p];
        h_last[p - p0] = at - 1;
      }
    g.offsets[n_prompts] = at;
    g.prefill = TRUE;
    g.n_seqs = n_prompts;
    g.n_rows = T;
    TRY (assay_backend_upload (g.b, g.ids, g.h_ids, (gsize) T * sizeof (int)));
    TRY (assay_backend_upload (g.b, g.a.pos, g.h_pos, (gsize) T * sizeof (int)));
    TRY (assay_backend_upload (g.b, g.rows, g.h_rows, (gsize) T * sizeof (int)));
    TRY (assay_backend_upload (g.b, g.last, h_last, (gsize) n_prompts * sizeof (int)));
    TRY (assay_lm_forward_embed (self->model, &g.a, g.ids, T));
    TRY (assay_lm_forward_layers (self->model, &g.a, T, attend, &g));
    TRY (assay_backend_gather_rows (g.b, g.a.x, T, H, g.last, n_prompts, g.hs));
    TRY (head (&g, g.hs, n_prompts));
  }

  /* each candidate's first token from its prompt's distribution */
  for (int j = 0; j < n_cands; j++)
    {
      Slot *s = &slots[j];
      int   p = p0 + j / o->n;

      s->prompt = p;
      s->index = p * o->n + j % o->n;
      s->base = T + j * o->max_tokens;
      s->active = TRUE;
      s->sampler = assay_lm_sampler_new (&o->sampling, o->seed,
                                         (guint64) o->prompt_offset * (guint64) o->n + (guint64) s->index, V);
      /* the sequence so far only for a repetition penalty, its text only for stop strings */
      if (o->sampling.repetition_penalty != 1.0)
        {
          s->history = g_array_new (FALSE, FALSE, sizeof (int));
          g_array_append_vals (s->history, prompts[p], lens[p]);
        }
      if (o->stop != NULL && o->stop[0] != NULL)
        s->bytes = g_string_new (NULL);
      out[s->index].ids = g_array_new (FALSE, FALSE, sizeof (int));
      out[s->index].logprobs = g_array_new (FALSE, FALSE, sizeof (float));
      out[s->index].model_logprobs = g_array_new (FALSE, FALSE, sizeof (float));
      if (!draw (&g, s, &out[s->index], g.h_logits + (gsize) (p - p0) * V, tokens, finished, error))
        goto out;
    }
  if (step != NULL)
    step (*tokens, *finished, data);

  /* decode: one row per unfinished candidate, its last token at position P + t - 1 */
  g.prefill = FALSE;
  which = g_new (int, n_cands);
  for (;;)
    {
      int n = 0;

      for (int j = 0; j < n_cands; j++)
        {
          Slot *s = &slots[j];
          int   P = lens[s->prompt], t = s->t;
          if (!s->active)
            continue;
          g.h_ids[n] = g_array_index (out[s->index].ids, int, t - 1);
          g.h_pos[n] = P + t - 1;
          g.h_rows[n] = s->base + t - 1;
          g.h_span[4 * n] = g.offsets[s->prompt - p0];
          g.h_span[4 * n + 1] = P;
          g.h_span[4 * n + 2] = s->base - P;
          g.h_span[4 * n + 3] = P + t;
          which[n++] = j;
        }
      if (n == 0)
        break; /* all finished: a cancel now comes too late to lose them */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      g.n_rows = n;
      TRY (assay_backend_upload (g.b, g.ids, g.h_ids, (gsize) n * sizeof (int)));
      TRY (assay_backend_upload (g.b, g.a.pos, g.h_pos, (gsize) n * sizeof (int)));
      TRY (assay_backend_upload (g.b, g.rows, g.h_rows, (gsize) n * sizeof (int)));
      TRY (assay_backend_upload (g.b, g.span, g.h_span, 4 * (gsize) n * sizeof (int)));
      TRY (assay_lm_forward_embed (self->model, &g.a, g.ids, n));
      TRY (assay_lm_forward_layers (self->model, &g.a, n, attend, &g));
      TRY (head (&g, g.a.x, n));
      for (int r = 0; r < n; r++)
        if (!draw (&g, &slots[which[r]], &out[slots[which[r]].index], g.h_logits + (gsize) r * V,
                   tokens, finished, error))
          goto out;
      if (step != NULL)
        step (*tokens, *finished, data);
    }

  /* texts */
  for (int j = 0; j < n_cands; j++)
    {
      AssayLmCandidate *cand = &out[slots[j].index];
      AssayLmTokenizer *tok = assay_lm_model_tokenizer (self->model);
      if (cand->text == NULL && tok != NULL)
        cand->text = assay_lm_tokenizer_decode (tok, (const int *) cand->ids->data, cand->ids->len);
    }
  ok = TRUE;
  goto out;

backend_failed:
  g_set_error (error, ASSAY_ERROR,
               assay_backend_kind (g.b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_FAILED,
               "%s", assay_backend_last_error (g.b));
out:
  for (int j = 0; j < n_cands; j++)
    {
      assay_lm_sampler_free (slots[j].sampler);
      if (slots[j].history != NULL)
        g_array_unref (slots[j].history);
      if (slots[j].bytes != NULL)
        g_string_free (slots[j].bytes, TRUE);
    }
  g_free (slots);
  group_release (&g);
  return ok;
}

gboolean
assay_lm_generator_fits (const AssayLmConfig *c, int len, int max_tokens, GError **error)
{
  if ((gint64) len + max_tokens <= c->max_positions)
    return TRUE;
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               "the prompt has %d tokens; with %d new tokens it needs %" G_GINT64_FORMAT
               " positions, more than the model's context of %d",
               len, max_tokens, (gint64) len + max_tokens, c->max_positions);
  return FALSE;
}

/* The end of the group that starts at prompt p0: prompts while their candidates fit max_batch
 * and their tokens the prefill budget (a group has at least one prompt); *tokens gets its
 * prompt tokens. */
static int
next_group (const int *lens, int n_prompts, int p0, const AssayLmGenerateOptions *o, int *tokens)
{
  int max_batch = o->max_batch > 0 ? o->max_batch : 64;
  int budget = o->batch_tokens > 0 ? o->batch_tokens : 4096;
  int p1 = p0, tok = 0;

  while (p1 < n_prompts && (p1 == p0 || ((p1 - p0 + 1) * o->n <= max_batch && tok + lens[p1] <= budget)))
    tok += lens[p1++];
  if (tokens != NULL)
    *tokens = tok;
  return p1;
}

int *
assay_lm_generator_plan (const int *lens, int n_prompts, const AssayLmGenerateOptions *o, int *n_groups)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (int));

  for (int p0 = 0; p0 < n_prompts;)
    {
      g_array_append_val (starts, p0);
      p0 = next_group (lens, n_prompts, p0, o, NULL);
    }
  *n_groups = (int) starts->len;
  g_array_append_val (starts, n_prompts);
  return (int *) g_array_free (starts, FALSE);
}

void
assay_lm_generator_shard (const int *lens, int n_prompts, AssayLmGenerateOptions *o, const AssayShard *shard,
                          guint *begin, guint *end, guint *n_groups, guint *g0, guint *g1)
{
  int              groups;
  g_autofree int  *plan = assay_lm_generator_plan (lens, n_prompts, o, &groups);

  *n_groups = (guint) groups;
  assay_shard_range (shard, *n_groups, g0, g1);
  *begin = (guint) plan[*g0];
  *end = (guint) plan[*g1];
  o->prompt_offset = (int) *begin;
}

guint64
assay_lm_generator_peak_memory (const AssayLmConfig *c, const int *lens, int n_prompts,
                                const AssayLmGenerateOptions *o)
{
  guint64 peak = 0;

  for (int p0 = 0; p0 < n_prompts;)
    {
      int tok, p1 = next_group (lens, n_prompts, p0, o, &tok);
      peak = MAX (peak, assay_lm_generator_memory (c, tok, (p1 - p0) * o->n, o->max_tokens, o->kv_cache));
      p0 = p1;
    }
  return peak;
}

gboolean
assay_lm_generator_run (AssayLmGenerator *self, const int *const *prompts, const int *lens,
                        int n_prompts, const AssayLmGenerateOptions *o, AssayLmCandidate *out,
                        void (*step) (guint64, int, gpointer), gpointer data,
                        GCancellable *cancellable, GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (self->model);
  guint64  tokens = 0;
  int      finished = 0;

  if (self->b == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "the model is not loaded on a backend");
      return FALSE;
    }
  if (!assay_sampling_check (&o->sampling, error))
    return FALSE;
  if (o->kv_cache != ASSAY_DTYPE_F32 && o->kv_cache != ASSAY_DTYPE_BF16)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "a key/value cache is F32 or BF16");
      return FALSE;
    }
  if (o->n < 1 || o->max_tokens < 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "candidates per prompt (%d) and new tokens (%d) must be at least 1", o->n,
                   o->max_tokens);
      return FALSE;
    }
  if (o->stop != NULL && o->stop[0] != NULL && assay_lm_model_tokenizer (self->model) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s has no tokenizer: stop strings cannot be matched",
                   assay_lm_model_dir (self->model));
      return FALSE;
    }
  for (int p = 0; p < n_prompts; p++)
    {
      if (lens[p] < 1)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "prompt %d has no tokens (a model needs at least one to continue)", p + 1);
          return FALSE;
        }
      if (!assay_lm_generator_fits (c, lens[p], o->max_tokens, error))
        {
          g_prefix_error (error, "prompt %d: ", p + 1);
          return FALSE;
        }
      for (int i = 0; i < lens[p]; i++)
        if (prompts[p][i] < 0 || prompts[p][i] >= c->vocab)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         "prompt %d: token id %d outside the vocabulary of %d", p + 1,
                         prompts[p][i], c->vocab);
            return FALSE;
          }
    }
  for (int p0 = 0; p0 < n_prompts;)
    {
      int p1 = next_group (lens, n_prompts, p0, o, NULL);
      if (!run_group (self, prompts, lens, p0, p1, o, out, &tokens, &finished, step, data,
                      cancellable, error))
        {
          for (int j = 0; j < n_prompts * o->n; j++)
            assay_lm_candidate_clear (&out[j]);
          return FALSE;
        }
      p0 = p1;
    }
  return TRUE;
}
