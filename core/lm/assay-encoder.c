/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-encoder.c: sequences packed batch by batch (no padding), the forward pass of
 * assay-lm-forward.c with bidirectional attention (encoders) or causal attention and the final
 * norm (decoders), then pooling and normalisation on the host in float64. */
#include "assay-encoder.h"

#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-forward.h"

struct _AssayEncoder
{
  AssayLmModel       *model;
  AssayBackend       *b;
  AssayEncoderOptions o;
  char               *prefix;
  int                 max_tokens;
  int                 cap_tokens, cap_len;
  AssayLmActivations  a;
  float              *scratch;
  int                *ids;
  float              *host; /* cap_tokens x hidden */
};

const char *
assay_pooling_name (AssayPooling pooling)
{
  switch (pooling)
    {
    case ASSAY_POOLING_CLS: return "cls";
    case ASSAY_POOLING_MEAN: return "mean";
    case ASSAY_POOLING_LAST: return "last";
    }
  return "?";
}

gboolean
assay_pooling_parse (const char *name, AssayPooling *pooling)
{
  for (int p = ASSAY_POOLING_CLS; p <= ASSAY_POOLING_LAST; p++)
    if (g_strcmp0 (name, assay_pooling_name (p)) == 0)
      {
        *pooling = p;
        return TRUE;
      }
  return FALSE;
}

/* 1_Pooling/config.json (or the module's folder): one supported mode. */
static gboolean
read_pooling (const char *path, AssayPooling *pooling, GError **error)
{
  static const struct { const char *key; int pooling; } modes[] = {
    { "pooling_mode_cls_token", ASSAY_POOLING_CLS },
    { "pooling_mode_mean_tokens", ASSAY_POOLING_MEAN },
    { "pooling_mode_lasttoken", ASSAY_POOLING_LAST },
    { "pooling_mode_max_tokens", -1 },
    { "pooling_mode_mean_sqrt_len_tokens", -1 },
    { "pooling_mode_weightedmean_tokens", -1 },
  };
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  JsonObject *o;
  int         found = 0;

  if (!g_file_get_contents (path, &text, NULL, &local)
      || (o = assay_json_object_from_string (text, &local)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path, local->message);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    if (assay_json_get_bool (o, modes[i].key, FALSE))
      {
        if (modes[i].pooling < 0)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                         "%s: %s is not supported (cls, mean and last-token pooling are)", path,
                         modes[i].key);
            json_object_unref (o);
            return FALSE;
          }
        *pooling = modes[i].pooling;
        found++;
      }
  json_object_unref (o);
  if (found != 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: %s pooling modes (one of cls, mean or last token is supported)", path,
                   found == 0 ? "no" : "several");
      return FALSE;
    }
  return TRUE;
}

gboolean
assay_encoder_folder_options (AssayLmModel *model, AssayEncoderOptions *o, GError **error)
{
  const char      *dir = assay_lm_model_dir (model);
  g_autofree char *modules = g_build_filename (dir, "modules.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode        *root;
  JsonArray       *list;

  memset (o, 0, sizeof *o);
  o->pooling = assay_lm_arch_is_encoder (assay_lm_model_config (model)->arch) ? ASSAY_POOLING_MEAN
                                                                              : ASSAY_POOLING_LAST;
  o->normalize = TRUE;
  if (!g_file_get_contents (modules, &text, NULL, NULL))
    {
      g_autofree char *pool = g_build_filename (dir, "1_Pooling", "config.json", NULL);
      return !g_file_test (pool, G_FILE_TEST_EXISTS) || read_pooling (pool, &o->pooling, error);
    }
  if (!assay_json_parser_load (parser, text, -1, &local))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", modules, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not a list of modules", modules);
      return FALSE;
    }
  list = json_node_get_array (root);
  o->normalize = FALSE;
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode   *n = json_array_get_element (list, i);
      JsonObject *m = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      const char *type = m != NULL ? assay_json_get_string (m, "type", "") : "";
      const char *path = m != NULL ? assay_json_get_string (m, "path", "") : "";

      if (g_str_has_suffix (type, ".Transformer"))
        continue;
      if (g_str_has_suffix (type, ".Normalize"))
        o->normalize = TRUE;
      else if (g_str_has_suffix (type, ".Pooling"))
        {
          g_autofree char *pool = NULL;
          if (strstr (path, "..") != NULL || g_path_is_absolute (path))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "%s: module %u has path “%s” outside the folder", modules, i, path);
              return FALSE;
            }
          pool = g_build_filename (dir, path, "config.json", NULL);
          if (!read_pooling (pool, &o->pooling, error))
            return FALSE;
        }
      else
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       "%s: module %u of type “%s” is not supported (Transformer, Pooling and "
                       "Normalize are)", modules, i, type);
          return FALSE;
        }
    }
  return TRUE;
}

/* Bytes of activations for batches of ASSAY_ENCODER_BATCH_TOKENS tokens on a backend, the
 * buffers of ensure () below (plus, on CUDA, GemmEx's 16-bit copies of activations). */
static guint64
activation_bytes (const AssayLmConfig *c, AssayBackend *b)
{
  guint64 T = ASSAY_ENCODER_BATCH_TOKENS, f = sizeof (float);
  guint64 scratch = assay_backend_attention_scratch (b, MIN ((int) T, c->max_positions), c->heads);

  if (assay_backend_kind (b) == ASSAY_BACKEND_CUDA)
    scratch += T * MAX (c->inter, c->hidden) / 2;
  return f * (T * c->hidden * 2 + T * assay_lm_qkv_width (c) + T * c->heads * c->head_dim
              + T * assay_lm_mlp_width (c) + T * c->inter + scratch)
         + 3 * sizeof (int) * T + f * T * c->hidden /* the host copy */;
}

AssayEncoder *
assay_encoder_new (AssayLmModel *model, AssayBackend *backend, const AssayEncoderOptions *options,
                   GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (model);
  AssayEncoder        *self;
  int                  limit = c->max_positions - c->position_offset;

  if (assay_lm_model_tokenizer (model) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: no tokenizer (tokenizer.json) in the model folder", assay_lm_model_dir (model));
      return NULL;
    }
  if (options->max_tokens < 0 || options->max_tokens == 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "a text's tokens must be at least 2 (got %d)", options->max_tokens);
      return NULL;
    }
  if (!assay_lm_model_upload (model, backend, activation_bytes (c, backend), error))
    return NULL;
  self = g_new0 (AssayEncoder, 1);
  self->model = model;
  self->b = assay_lm_model_backend (model);
  self->o = *options;
  self->prefix = g_strdup (options->prefix != NULL ? options->prefix : "");
  self->o.prefix = self->prefix;
  self->max_tokens = options->max_tokens > 0 ? MIN (options->max_tokens, limit) : limit;
  return self;
}

static void
release_buffers (AssayEncoder *self)
{
  void *bufs[] = { self->a.x, self->a.xn, self->a.qkv, self->a.att, self->a.mlp, self->a.act,
                   self->a.pos, self->a.types, self->scratch, self->ids };

  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    assay_backend_release (self->b, bufs[i]);
  memset (&self->a, 0, sizeof self->a);
  self->scratch = NULL;
  self->ids = NULL;
  g_clear_pointer (&self->host, g_free);
  self->cap_tokens = self->cap_len = 0;
}

void
assay_encoder_free (AssayEncoder *self)
{
  if (self == NULL)
    return;
  release_buffers (self);
  g_free (self->prefix);
  g_free (self);
}

int
assay_encoder_dim (AssayEncoder *self)
{
  return assay_lm_model_config (self->model)->hidden;
}

int
assay_encoder_max_tokens (AssayEncoder *self)
{
  return self->max_tokens;
}

GArray *
assay_encoder_tokenize (AssayEncoder *self, const char *text, GError **error)
{
  AssayLmTokenizer *tok = assay_lm_model_tokenizer (self->model);
  int               bos = assay_lm_tokenizer_bos_id (tok), eos = assay_lm_tokenizer_eos_id (tok);
  g_autofree char  *full = g_strconcat (self->prefix, text, NULL);
  g_autoptr (GArray) body = assay_lm_tokenizer_encode (tok, full, NULL, error);
  GArray           *ids;
  int               room = self->max_tokens - (bos >= 0) - (eos >= 0);

  if (body == NULL)
    return NULL;
  ids = g_array_sized_new (FALSE, FALSE, sizeof (int), MIN ((int) body->len, room) + 2);
  if (bos >= 0)
    g_array_append_val (ids, bos);
  g_array_append_vals (ids, body->data, MIN ((int) body->len, MAX (room, 0)));
  if (eos >= 0)
    g_array_append_val (ids, eos);
  if (ids->len == 0)
    {
      /* an empty text with no special tokens: one unknown-free token is still needed */
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "an empty text has no tokens for %s (its tokenizer adds no special ones)",
                   assay_lm_model_dir (self->model));
      g_array_unref (ids);
      return NULL;
    }
  return ids;
}

static gboolean
ensure (AssayEncoder *self, int tokens, int max_len, GError **error)
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
  if ((self->a.x = assay_backend_alloc (b, T * c->hidden * f)) == NULL
      || (self->a.xn = assay_backend_alloc (b, T * c->hidden * f)) == NULL
      || (self->a.qkv = assay_backend_alloc (b, T * assay_lm_qkv_width (c) * f)) == NULL
      || (self->a.att = assay_backend_alloc (b, T * c->heads * c->head_dim * f)) == NULL
      || (self->a.mlp = assay_backend_alloc (b, T * assay_lm_mlp_width (c) * f)) == NULL
      || (self->a.act = assay_backend_alloc (b, T * c->inter * f)) == NULL
      || (self->a.pos = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->a.types = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->ids = assay_backend_alloc (b, T * sizeof (int))) == NULL
      || (self->scratch = assay_backend_alloc (b, assay_backend_attention_scratch (b, max_len, c->heads) * f)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR,
                   assay_backend_kind (b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_OUT_OF_MEMORY,
                   "activations for %d tokens: %s", tokens, assay_backend_last_error (b));
      release_buffers (self);
      return FALSE;
    }
  self->host = g_new (float, T * c->hidden);
  self->cap_tokens = tokens;
  self->cap_len = max_len;
  return TRUE;
}

typedef struct
{
  AssayEncoder *self;
  const int    *offsets;
  int           n;
} Attend;

static int
attend (int layer, const float *qkv, int ld, float *att, gpointer data)
{
  Attend              *a = data;
  const AssayLmConfig *c = assay_lm_model_config (a->self->model);
  int                  Q = c->heads * c->head_dim, KV = c->kv_heads * c->head_dim;
  float                scale = (float) (1.0 / sqrt ((double) c->head_dim));

  if (assay_lm_arch_is_encoder (c->arch))
    return assay_backend_attention_bidirectional (a->self->b, qkv, qkv + Q, qkv + Q + KV, ld, att,
                                                  Q, a->offsets, a->n, c->heads, c->kv_heads,
                                                  c->head_dim, scale, a->self->scratch);
  return assay_backend_attention (a->self->b, qkv, qkv + Q, qkv + Q + KV, ld, att, Q, a->offsets,
                                  a->n, c->heads, c->kv_heads, c->head_dim, scale, a->self->scratch);
}

/* One forward pass over sequences [first, first + n) packed into T rows, pooled into out (or,
 * all, every row's final hidden state: T x dim). */
static gboolean
run_batch (AssayEncoder *self, const int *const *ids, const int *lens, int n, int T, int max_len,
           float *out, gboolean all, GError **error)
{
  const AssayLmConfig *c = assay_lm_model_config (self->model);
  AssayBackend        *b = self->b;
  int                  H = c->hidden;
  g_autofree int      *offsets = g_new (int, n + 1);
  g_autofree int      *h_ids = g_new (int, T);
  g_autofree int      *h_pos = g_new (int, T);
  g_autofree int      *h_types = g_new0 (int, T);
  Attend               at = { self, offsets, n };

  if (!ensure (self, T, max_len, error))
    return FALSE;
  offsets[0] = 0;
  for (int s = 0; s < n; s++)
    {
      for (int i = 0; i < lens[s]; i++)
        {
          int id = ids[s][i];
          if (id < 0 || id >= c->vocab)
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "token id %d is outside the vocabulary of %s (%d tokens)", id,
                           assay_lm_model_dir (self->model), c->vocab);
              return FALSE;
            }
          h_ids[offsets[s] + i] = id;
          h_pos[offsets[s] + i] = c->position_offset + i;
        }
      offsets[s + 1] = offsets[s] + lens[s];
    }
  if (assay_backend_upload (b, self->ids, h_ids, (gsize) T * sizeof (int)) != 0
      || assay_backend_upload (b, self->a.pos, h_pos, (gsize) T * sizeof (int)) != 0
      || assay_backend_upload (b, self->a.types, h_types, (gsize) T * sizeof (int)) != 0
      || assay_lm_forward_embed (self->model, &self->a, self->ids, T) != 0
      || assay_lm_forward_layers (self->model, &self->a, T, attend, &at) != 0
      || (!assay_lm_arch_is_encoder (c->arch)
          && assay_lm_forward_norm (self->model, self->a.x, self->a.x, T) != 0)
      || assay_backend_download (b, self->host, self->a.x, (gsize) T * H * sizeof (float)) != 0)
    {
      g_set_error (error, ASSAY_ERROR,
                   assay_backend_kind (b) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_FAILED,
                   "%s: %s", assay_lm_model_dir (self->model), assay_backend_last_error (b));
      return FALSE;
    }
  if (all)
    {
      memcpy (out, self->host, (gsize) T * H * sizeof (float));
      return TRUE;
    }
  for (int s = 0; s < n; s++)
    {
      g_autofree double *v = g_new0 (double, H);
      double             norm = 0.0;
      int                first = offsets[s], last = offsets[s + 1] - 1;

      switch (self->o.pooling)
        {
        case ASSAY_POOLING_CLS:
        case ASSAY_POOLING_LAST:
          {
            const float *row = self->host + (gsize) (self->o.pooling == ASSAY_POOLING_CLS ? first : last) * H;
            for (int j = 0; j < H; j++)
              v[j] = row[j];
          }
          break;
        case ASSAY_POOLING_MEAN:
          for (int r = first; r <= last; r++)
            for (int j = 0; j < H; j++)
              v[j] += self->host[(gsize) r * H + j];
          for (int j = 0; j < H; j++)
            v[j] /= lens[s];
          break;
        }
      for (int j = 0; j < H; j++)
        norm += v[j] * v[j];
      /* sentence-transformers' Normalize: x / max(|x|, 1e-12) */
      norm = self->o.normalize ? MAX (sqrt (norm), 1e-12) : 1.0;
      for (int j = 0; j < H; j++)
        out[(gsize) s * H + j] = (float) (v[j] / norm);
    }
  return TRUE;
}

gboolean
assay_encoder_embed_ids (AssayEncoder *self, const int *const *ids, const int *lens, int n,
                         float *out, GError **error)
{
  int H = assay_encoder_dim (self);

  for (int s = 0; s < n; s++)
    if (lens[s] < 1 || lens[s] > self->max_tokens)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     "sequence %d has %d tokens (1 to %d are allowed)", s, lens[s], self->max_tokens);
        return FALSE;
      }
  for (int s0 = 0; s0 < n;)
    {
      int T = 0, max_len = 0, s1 = s0;
      /* whole sequences up to the budget; a longer one goes alone */
      while (s1 < n && (s1 == s0 || T + lens[s1] <= ASSAY_ENCODER_BATCH_TOKENS))
        {
          T += lens[s1];
          max_len = MAX (max_len, lens[s1]);
          s1++;
        }
      if (!run_batch (self, ids + s0, lens + s0, s1 - s0, T, max_len, out + (gsize) s0 * H, FALSE, error))
        return FALSE;
      s0 = s1;
    }
  return TRUE;
}

gboolean
assay_encoder_hidden_ids (AssayEncoder *self, const int *ids, int len, float *out, GError **error)
{
  const int *one[1] = { ids };

  if (len < 1 || len > self->max_tokens)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "a sequence of %d tokens (1 to %d are allowed)", len, self->max_tokens);
      return FALSE;
    }
  return run_batch (self, one, &len, 1, len, len, out, TRUE, error);
}

gboolean
assay_encoder_embed (AssayEncoder *self, const char *const *texts, int n, float *out,
                     GError **error)
{
  g_autoptr (GPtrArray) seqs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autofree const int **ids = g_new (const int *, MAX (n, 1));
  g_autofree int        *lens = g_new (int, MAX (n, 1));

  for (int i = 0; i < n; i++)
    {
      GArray *a = assay_encoder_tokenize (self, texts[i], error);
      if (a == NULL)
        return FALSE;
      g_ptr_array_add (seqs, a);
      ids[i] = (const int *) a->data;
      lens[i] = (int) a->len;
    }
  return assay_encoder_embed_ids (self, ids, lens, n, out, error);
}
