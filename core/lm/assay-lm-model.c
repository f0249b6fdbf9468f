/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-model.c: tensor names and shapes of the three architectures, and the upload.
 *
 * Llama / Qwen2 (names under "%s", p): embed_tokens, layers.N.{input_layernorm,
 * self_attn.{q,k,v,o}_proj (+ q/k/v biases), post_attention_layernorm, mlp.{gate,up,down}_proj},
 * norm, and lm_head unless tied. Linear weights are [out, in].
 * GPT-2 (names under "transformer." or bare): wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj,
 * ln_2, mlp.c_fc, mlp.c_proj}, ln_f; Conv1D weights are [in, out] and are transposed here.
 * BERT / RoBERTa / XLM-R (names under "bert.", "roberta." or bare): embeddings.{word,position,
 * token_type}_embeddings, embeddings.LayerNorm, encoder.layer.N.{attention.self.{query,key,value},
 * attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}}; a pooler or
 * a task head beside them is not read. */
#include "assay-lm-model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"

struct _AssayLmModel
{
  char             *dir;
  AssayLmConfig    *config;
  AssaySafetensors *tensors;
  AssayLmTokenizer *tokenizer;
  const char       *prefix; /* "model." / "transformer." / "" */
  guint64           parameters;
  AssayDType        dtype;

  AssayBackend       *backend;
  AssayBackendWeight *embed, *positions, *types, *head;
  float              *norm_w, *norm_b;
  AssayLmLayer       *layers;
  float              *inv_freq;
};

const char *
assay_lm_dtype_name (AssayDType dtype)
{
  switch (dtype)
    {
    case ASSAY_DTYPE_F32: return "F32";
    case ASSAY_DTYPE_F16: return "F16";
    case ASSAY_DTYPE_BF16: return "BF16";
    }
  return "?";
}

typedef struct
{
  char  *name;
  int    n_dims;
  gint64 shape[2];
  gboolean optional;
} Expect;

static void
expect (GArray *list, gboolean optional, int n_dims, gint64 d0, gint64 d1, const char *fmt, ...)
  G_GNUC_PRINTF (6, 7);

static void
expect (GArray *list, gboolean optional, int n_dims, gint64 d0, gint64 d1, const char *fmt, ...)
{
  va_list ap;
  Expect  e = { NULL, n_dims, { d0, d1 }, optional };

  va_start (ap, fmt);
  e.name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_array_append_val (list, e);
}

static void
expect_clear (gpointer p)
{
  g_free (((Expect *) p)->name);
}

/* Every tensor the architecture reads, with its shape. */
static GArray *
expected_tensors (AssayLmModel *self)
{
  const AssayLmConfig *c = self->config;
  GArray *list = g_array_new (FALSE, FALSE, sizeof (Expect));
  const char *p = self->prefix;
  int H = c->hidden, I = c->inter, V = c->vocab, hd = c->head_dim;
  int q = c->heads * hd, kv = c->kv_heads * hd;

  g_array_set_clear_func (list, expect_clear);
  if (assay_lm_arch_is_encoder (c->arch))
    {
      expect (list, FALSE, 2, V, H, "%sembeddings.word_embeddings.weight", p);
      expect (list, FALSE, 2, c->max_positions, H, "%sembeddings.position_embeddings.weight", p);
      expect (list, FALSE, 2, c->type_vocab, H, "%sembeddings.token_type_embeddings.weight", p);
      expect (list, FALSE, 1, H, 0, "%sembeddings.LayerNorm.weight", p);
      expect (list, FALSE, 1, H, 0, "%sembeddings.LayerNorm.bias", p);
      for (int l = 0; l < c->layers; l++)
        {
          static const char *const qkv[] = { "query", "key", "value" };
          for (int i = 0; i < 3; i++)
            {
              expect (list, FALSE, 2, H, H, "%sencoder.layer.%d.attention.self.%s.weight", p, l, qkv[i]);
              expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.attention.self.%s.bias", p, l, qkv[i]);
            }
          expect (list, FALSE, 2, H, H, "%sencoder.layer.%d.attention.output.dense.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.attention.output.dense.bias", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.attention.output.LayerNorm.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.attention.output.LayerNorm.bias", p, l);
          expect (list, FALSE, 2, I, H, "%sencoder.layer.%d.intermediate.dense.weight", p, l);
          expect (list, FALSE, 1, I, 0, "%sencoder.layer.%d.intermediate.dense.bias", p, l);
          expect (list, FALSE, 2, H, I, "%sencoder.layer.%d.output.dense.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.output.dense.bias", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.output.LayerNorm.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sencoder.layer.%d.output.LayerNorm.bias", p, l);
        }
      return list;
    }
  if (c->arch == ASSAY_LM_GPT2)
    {
      expect (list, FALSE, 2, V, H, "%swte.weight", p);
      expect (list, FALSE, 2, c->max_positions, H, "%swpe.weight", p);
      for (int l = 0; l < c->layers; l++)
        {
          expect (list, FALSE, 1, H, 0, "%sh.%d.ln_1.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sh.%d.ln_1.bias", p, l);
          expect (list, FALSE, 2, H, 3 * H, "%sh.%d.attn.c_attn.weight", p, l);
          expect (list, FALSE, 1, 3 * H, 0, "%sh.%d.attn.c_attn.bias", p, l);
          expect (list, FALSE, 2, H, H, "%sh.%d.attn.c_proj.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sh.%d.attn.c_proj.bias", p, l);
          expect (list, FALSE, 1, H, 0, "%sh.%d.ln_2.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sh.%d.ln_2.bias", p, l);
          expect (list, FALSE, 2, H, I, "%sh.%d.mlp.c_fc.weight", p, l);
          expect (list, FALSE, 1, I, 0, "%sh.%d.mlp.c_fc.bias", p, l);
          expect (list, FALSE, 2, I, H, "%sh.%d.mlp.c_proj.weight", p, l);
          expect (list, FALSE, 1, H, 0, "%sh.%d.mlp.c_proj.bias", p, l);
        }
      expect (list, FALSE, 1, H, 0, "%sln_f.weight", p);
      expect (list, FALSE, 1, H, 0, "%sln_f.bias", p);
      expect (list, TRUE, 2, V, H, "lm_head.weight");
      return list;
    }
  expect (list, FALSE, 2, V, H, "%sembed_tokens.weight", p);
  for (int l = 0; l < c->layers; l++)
    {
      expect (list, FALSE, 1, H, 0, "%slayers.%d.input_layernorm.weight", p, l);
      expect (list, FALSE, 2, q, H, "%slayers.%d.self_attn.q_proj.weight", p, l);
      expect (list, FALSE, 2, kv, H, "%slayers.%d.self_attn.k_proj.weight", p, l);
      expect (list, FALSE, 2, kv, H, "%slayers.%d.self_attn.v_proj.weight", p, l);
      if (c->qkv_bias)
        {
          expect (list, FALSE, 1, q, 0, "%slayers.%d.self_attn.q_proj.bias", p, l);
          expect (list, FALSE, 1, kv, 0, "%slayers.%d.self_attn.k_proj.bias", p, l);
          expect (list, FALSE, 1, kv, 0, "%slayers.%d.self_attn.v_proj.bias", p, l);
        }
      expect (list, FALSE, 2, H, q, "%slayers.%d.self_attn.o_proj.weight", p, l);
      expect (list, FALSE, 1, H, 0, "%slayers.%d.post_attention_layernorm.weight", p, l);
      expect (list, FALSE, 2, I, H, "%slayers.%d.mlp.gate_proj.weight", p, l);
      expect (list, FALSE, 2, I, H, "%slayers.%d.mlp.up_proj.weight", p, l);
      expect (list, FALSE, 2, H, I, "%slayers.%d.mlp.down_proj.weight", p, l);
    }
  expect (list, FALSE, 1, H, 0, "%snorm.weight", p);
  expect (list, c->tie_embeddings || c->no_head, 2, V, H, "lm_head.weight");
  return list;
}

/* Tensors some checkpoints carry that the forward pass does not read: buffers, and beside an
 * encoder its pooler and any task head (cls., lm_head., classifier., ...). */
static gboolean
ignorable (AssayLmModel *self, const char *name)
{
  if (assay_lm_arch_is_encoder (self->config->arch))
    {
      const char *rest = g_str_has_prefix (name, self->prefix) ? name + strlen (self->prefix) : NULL;
      return rest == NULL || g_str_has_suffix (name, "position_ids")
             || !(g_str_has_prefix (rest, "embeddings.") || g_str_has_prefix (rest, "encoder."));
    }
  if (self->config->reward_head != ASSAY_LM_REWARD_NONE && g_str_has_prefix (name, "score."))
    return TRUE; /* a reward model's head: assay-reward-model.h reads it */
  return g_str_has_suffix (name, "rotary_emb.inv_freq") || g_str_has_suffix (name, ".attn.bias")
         || g_str_has_suffix (name, ".attn.masked_bias");
}

static gboolean
check_tensors (AssayLmModel *self, GError **error)
{
  g_autoptr (GArray) list = NULL;
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  int widest = -1;

  if (self->config->arch == ASSAY_LM_GPT2)
    self->prefix = assay_safetensors_get (self->tensors, "transformer.wte.weight") ? "transformer." : "";
  else if (assay_lm_arch_is_encoder (self->config->arch))
    self->prefix = assay_safetensors_get (self->tensors, "bert.embeddings.word_embeddings.weight") ? "bert."
                   : assay_safetensors_get (self->tensors, "roberta.embeddings.word_embeddings.weight") ? "roberta."
                                                                                                         : "";
  else
    self->prefix = assay_safetensors_get (self->tensors, "model.embed_tokens.weight") ? "model." : "";
  list = expected_tensors (self);
  for (guint i = 0; i < list->len; i++)
    {
      Expect *e = &g_array_index (list, Expect, i);
      const AssaySafetensor *t = assay_safetensors_get (self->tensors, e->name);
      AssayDType dtype;
      gboolean   shape_ok;

      g_hash_table_add (known, e->name);
      if (t == NULL)
        {
          if (e->optional)
            continue;
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: tensor “%s” is missing", self->dir, e->name);
          return FALSE;
        }
      if (!assay_safetensor_dtype (t, &dtype))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       "%s: tensor “%s” has dtype %s (F32, F16 and BF16 are supported)", t->file,
                       e->name, assay_safetensor_type_name (t->type));
          return FALSE;
        }
      shape_ok = t->n_dims == e->n_dims && t->shape[0] == e->shape[0]
                 && (e->n_dims == 1 || t->shape[1] == e->shape[1]);
      if (!shape_ok)
        {
          g_autoptr (GString) got = g_string_new (NULL);
          g_autofree char *second = e->n_dims == 2 ? g_strdup_printf (", %" G_GINT64_FORMAT, e->shape[1]) : g_strdup ("");
          for (int d = 0; d < t->n_dims; d++)
            g_string_append_printf (got, d ? ", %" G_GINT64_FORMAT : "%" G_GINT64_FORMAT, t->shape[d]);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: tensor “%s” has shape [%s], the config says [%" G_GINT64_FORMAT "%s]",
                       t->file, e->name, got->str, e->shape[0], second);
          return FALSE;
        }
      if (!(self->config->tie_embeddings && g_str_equal (e->name, "lm_head.weight")))
        self->parameters += (guint64) t->n_elements;
      /* the matrices' dtype; float32 when any is float32 or they differ */
      if (e->n_dims == 2)
        widest = widest < 0 || widest == (int) dtype ? (int) dtype : ASSAY_DTYPE_F32;
    }
  for (guint i = 0; i < assay_safetensors_count (self->tensors); i++)
    {
      const AssaySafetensor *t = assay_safetensors_index (self->tensors, i);
      if (!g_hash_table_contains (known, t->name) && !ignorable (self, t->name))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: unexpected tensor “%s” for %s", t->file, t->name,
                       self->config->architecture);
          return FALSE;
        }
    }
  self->dtype = widest < 0 ? ASSAY_DTYPE_F32 : (AssayDType) widest;
  return TRUE;
}

AssayLmModel *
assay_lm_model_open (const char *dir, GError **error)
{
  g_autoptr (AssayLmModel) self = g_new0 (AssayLmModel, 1);
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tok_json = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *encoder = g_build_filename (dir, "encoder.json", NULL);

  self->dir = g_strdup (dir);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: not a model folder", dir);
      return NULL;
    }
  if ((self->config = assay_lm_config_load (config, error)) == NULL)
    return NULL;
  {
    /* generation_config.json may name more end-of-sequence tokens (Llama 3.1's <|eom_id|>) */
    g_autofree char *gen = g_build_filename (dir, "generation_config.json", NULL);
    g_autofree char *text = NULL;
    JsonObject      *o;
    if (g_file_get_contents (gen, &text, NULL, NULL)
        && (o = assay_json_object_from_string (text, NULL)) != NULL)
      {
        assay_lm_config_add_eos (self->config, o);
        json_object_unref (o);
      }
  }
  if ((self->tensors = assay_safetensors_open_dir (dir, error)) == NULL)
    return NULL;
  if (!check_tensors (self, error))
    return NULL;
  if (g_file_test (tok_json, G_FILE_TEST_EXISTS) || g_file_test (encoder, G_FILE_TEST_EXISTS))
    {
      if ((self->tokenizer = assay_lm_tokenizer_load (dir, error)) == NULL)
        return NULL;
      if ((int) assay_lm_tokenizer_vocab_size (self->tokenizer) > self->config->vocab)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: the tokenizer has %u tokens, the model's vocabulary %d",
                       assay_lm_tokenizer_path (self->tokenizer),
                       assay_lm_tokenizer_vocab_size (self->tokenizer), self->config->vocab);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

AssayLmModel *
assay_lm_model_open_causal (const char *dir, GError **error)
{
  g_autoptr (AssayLmModel) self = assay_lm_model_open (dir, error);

  if (self != NULL && self->config->no_head && assay_safetensors_get (self->tensors, "lm_head.weight") == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: %s has no language-model head (lm_head); it can embed texts but not score "
                   "or generate", dir, self->config->architecture);
      return NULL;
    }
  if (self != NULL && assay_lm_arch_is_encoder (self->config->arch))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: %s is an encoder; scoring and generation need a causal language model "
                   "(LlamaForCausalLM, Qwen2ForCausalLM or GPT2LMHeadModel)", dir,
                   self->config->architecture);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
assay_lm_model_free (AssayLmModel *self)
{
  if (self == NULL)
    return;
  assay_lm_model_unload (self);
  g_clear_pointer (&self->tokenizer, assay_lm_tokenizer_free);
  g_clear_pointer (&self->tensors, assay_safetensors_free);
  g_clear_pointer (&self->config, assay_lm_config_free);
  g_free (self->dir);
  g_free (self);
}

const char *assay_lm_model_dir (AssayLmModel *self) { return self->dir; }
const AssayLmConfig *assay_lm_model_config (AssayLmModel *self) { return self->config; }
AssayLmTokenizer *assay_lm_model_tokenizer (AssayLmModel *self) { return self->tokenizer; }
guint64 assay_lm_model_parameters (AssayLmModel *self) { return self->parameters; }
AssayDType assay_lm_model_dtype (AssayLmModel *self) { return self->dtype; }
AssayBackend *assay_lm_model_backend (AssayLmModel *self) { return self->backend; }
const AssayBackendWeight *assay_lm_model_embed (AssayLmModel *self) { return self->embed; }
const AssayBackendWeight *assay_lm_model_positions (AssayLmModel *self) { return self->positions; }
const AssayBackendWeight *assay_lm_model_types (AssayLmModel *self) { return self->types; }
const AssayBackendWeight *assay_lm_model_head (AssayLmModel *self) { return self->head; }
const float *assay_lm_model_norm_w (AssayLmModel *self) { return self->norm_w; }
const float *assay_lm_model_norm_b (AssayLmModel *self) { return self->norm_b; }
const float *assay_lm_model_inv_freq (AssayLmModel *self) { return self->inv_freq; }

const AssayLmLayer *
assay_lm_model_layer (AssayLmModel *self, int i)
{
  return self->layers != NULL && i >= 0 && i < self->config->layers ? &self->layers[i] : NULL;
}

guint64
assay_lm_model_weight_bytes (AssayLmModel *self, AssayBackendKind kind)
{
  guint64 sum = 0;

  for (guint i = 0; i < assay_safetensors_count (self->tensors); i++)
    {
      const AssaySafetensor *t = assay_safetensors_index (self->tensors, i);
      AssayDType dtype;
      if (ignorable (self, t->name) || !assay_safetensor_dtype (t, &dtype))
        continue;
      if (self->config->tie_embeddings && g_str_equal (t->name, "lm_head.weight"))
        continue;
      /* vectors are kept in float32 everywhere */
      sum += (guint64) t->n_elements
             * assay_dtype_size (t->n_dims == 1 ? ASSAY_DTYPE_F32 : assay_backend_weight_dtype (kind, dtype));
    }
  return sum;
}

guint64
assay_lm_available_memory (AssayBackend *backend)
{
  if (assay_backend_kind (backend) == ASSAY_BACKEND_CPU)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
        {
          const char *p = strstr (text, "MemAvailable:");
          if (p != NULL)
            return g_ascii_strtoull (p + strlen ("MemAvailable:"), NULL, 10) * 1024;
        }
    }
  return assay_backend_memory_bytes (backend);
}

/* ---- upload ---- */

static const AssaySafetensor *
tensor (AssayLmModel *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static const AssaySafetensor *
tensor (AssayLmModel *self, const char *fmt, ...)
{
  va_list          ap;
  g_autofree char *name = NULL;

  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return assay_safetensors_get (self->tensors, name);
}

static float
element (const AssaySafetensor *t, gsize i)
{
  switch (t->type)
    {
    case ASSAY_ST_F32: { float f; memcpy (&f, t->data + 4 * i, 4); return f; }
    case ASSAY_ST_F16: { guint16 h; memcpy (&h, t->data + 2 * i, 2); return assay_f16_to_f32 (h); }
    case ASSAY_ST_BF16: { guint16 h; memcpy (&h, t->data + 2 * i, 2); return assay_bf16_to_f32 (h); }
    default: return 0.0f;
    }
}

/* A vector (or the concatenation of several) as float32 in backend memory. */
static float *
upload_vector (AssayLmModel *self, const AssaySafetensor *const *parts, int n_parts, GError **error)
{
  gsize  n = 0, at = 0;
  float *host, *dev;

  for (int i = 0; i < n_parts; i++)
    n += (gsize) parts[i]->n_elements;
  host = g_new (float, n);
  for (int i = 0; i < n_parts; i++)
    for (gsize j = 0; j < (gsize) parts[i]->n_elements; j++)
      host[at++] = element (parts[i], j);
  dev = assay_backend_alloc (self->backend, n * sizeof (float));
  if (dev == NULL || assay_backend_upload (self->backend, dev, host, n * sizeof (float)) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_OUT_OF_MEMORY, "%s: %s", self->dir,
                   assay_backend_last_error (self->backend));
      assay_backend_release (self->backend, dev);
      dev = NULL;
    }
  g_free (host);
  return dev;
}

/* A weight matrix [rows, cols] from the row-concatenation of parts (all [r_i, cols]), or the
 * transpose of one [cols, rows] tensor (GPT-2's Conv1D). */
static AssayBackendWeight *
upload_matrix (AssayLmModel *self, const AssaySafetensor *const *parts, int n_parts,
               gboolean transpose, GError **error)
{
  AssayDType dtype;
  gboolean   same = TRUE;
  int        rows = 0, cols;
  gsize      esize;
  guint8    *host = NULL;
  const void *src;
  AssayBackendWeight *w;

  assay_safetensor_dtype (parts[0], &dtype);
  for (int i = 1; i < n_parts; i++)
    {
      AssayDType d;
      assay_safetensor_dtype (parts[i], &d);
      same = same && d == dtype;
    }
  if (!same)
    dtype = ASSAY_DTYPE_F32;
  esize = assay_dtype_size (dtype);
  if (transpose)
    {
      const AssaySafetensor *t = parts[0];
      gsize in = (gsize) t->shape[0], out = (gsize) t->shape[1];
      rows = (int) out;
      cols = (int) in;
      host = g_malloc ((gsize) rows * cols * esize);
      for (gsize i = 0; i < in; i++)
        for (gsize o = 0; o < out; o++)
          memcpy (host + (o * in + i) * esize, t->data + (i * out + o) * esize, esize);
      src = host;
    }
  else
    {
      cols = (int) parts[0]->shape[1];
      for (int i = 0; i < n_parts; i++)
        rows += (int) parts[i]->shape[0];
      if (n_parts == 1 && same)
        src = parts[0]->data;
      else
        {
          gsize at = 0;
          host = g_malloc ((gsize) rows * cols * esize);
          for (int i = 0; i < n_parts; i++)
            {
              if (same)
                memcpy (host + at, parts[i]->data, parts[i]->n_bytes);
              else
                for (gsize j = 0; j < (gsize) parts[i]->n_elements; j++)
                  ((float *) (host + at))[j] = element (parts[i], j);
              at += (gsize) parts[i]->n_elements * esize;
            }
          src = host;
        }
    }
  w = assay_backend_weight_new (self->backend, src, dtype, rows, cols);
  g_free (host);
  for (int i = 0; i < n_parts; i++)
    assay_safetensors_evict (self->tensors, parts[i]);
  if (w == NULL)
    g_set_error (error, ASSAY_ERROR,
                 assay_backend_kind (self->backend) == ASSAY_BACKEND_CUDA ? ASSAY_ERROR_DEVICE : ASSAY_ERROR_OUT_OF_MEMORY,
                 "%s: %s (%s)", self->dir, assay_backend_last_error (self->backend), parts[0]->name);
  return w;
}

#define VEC(...) ((const AssaySafetensor *const[]){ __VA_ARGS__ })

gboolean
assay_lm_model_upload (AssayLmModel *self, AssayBackend *backend, guint64 extra_bytes,
                       GError **error)
{
  const AssayLmConfig *c = self->config;
  const char *p = self->prefix;
  guint64     need = assay_lm_model_weight_bytes (self, assay_backend_kind (backend)) + extra_bytes;
  guint64     have = assay_lm_available_memory (backend);
  gboolean    ok = TRUE;

  if (self->backend == backend)
    return TRUE;
  assay_lm_model_unload (self);
  if (have > 0 && need > have)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_OUT_OF_MEMORY,
                   "%s needs %.2f GiB on %s (weights and activations) but %.2f GiB are free",
                   self->dir, need / 1073741824.0, assay_backend_describe (backend),
                   have / 1073741824.0);
      return FALSE;
    }
  self->backend = backend;
  self->layers = g_new0 (AssayLmLayer, c->layers);
  self->inv_freq = assay_lm_config_inv_freq (c);

  if (assay_lm_arch_is_encoder (c->arch))
    {
      const char *e = "%sembeddings.%s";
      ok = (self->embed = upload_matrix (self, VEC (tensor (self, e, p, "word_embeddings.weight")), 1, FALSE, error)) != NULL
           && (self->positions = upload_matrix (self, VEC (tensor (self, e, p, "position_embeddings.weight")), 1, FALSE, error)) != NULL
           && (self->types = upload_matrix (self, VEC (tensor (self, e, p, "token_type_embeddings.weight")), 1, FALSE, error)) != NULL
           && (self->norm_w = upload_vector (self, VEC (tensor (self, e, p, "LayerNorm.weight")), 1, error))
           && (self->norm_b = upload_vector (self, VEC (tensor (self, e, p, "LayerNorm.bias")), 1, error));
      for (int l = 0; ok && l < c->layers; l++)
        {
          AssayLmLayer *L = &self->layers[l];
          const char   *a = "%sencoder.layer.%d.%s";
          ok = (L->qkv = upload_matrix (self, VEC (tensor (self, a, p, l, "attention.self.query.weight"),
                                                   tensor (self, a, p, l, "attention.self.key.weight"),
                                                   tensor (self, a, p, l, "attention.self.value.weight")), 3, FALSE, error))
               && (L->qkv_b = upload_vector (self, VEC (tensor (self, a, p, l, "attention.self.query.bias"),
                                                        tensor (self, a, p, l, "attention.self.key.bias"),
                                                        tensor (self, a, p, l, "attention.self.value.bias")), 3, error))
               && (L->o = upload_matrix (self, VEC (tensor (self, a, p, l, "attention.output.dense.weight")), 1, FALSE, error))
               && (L->o_b = upload_vector (self, VEC (tensor (self, a, p, l, "attention.output.dense.bias")), 1, error))
               && (L->ln1_w = upload_vector (self, VEC (tensor (self, a, p, l, "attention.output.LayerNorm.weight")), 1, error))
               && (L->ln1_b = upload_vector (self, VEC (tensor (self, a, p, l, "attention.output.LayerNorm.bias")), 1, error))
               && (L->up = upload_matrix (self, VEC (tensor (self, a, p, l, "intermediate.dense.weight")), 1, FALSE, error))
               && (L->up_b = upload_vector (self, VEC (tensor (self, a, p, l, "intermediate.dense.bias")), 1, error))
               && (L->down = upload_matrix (self, VEC (tensor (self, a, p, l, "output.dense.weight")), 1, FALSE, error))
               && (L->down_b = upload_vector (self, VEC (tensor (self, a, p, l, "output.dense.bias")), 1, error))
               && (L->ln2_w = upload_vector (self, VEC (tensor (self, a, p, l, "output.LayerNorm.weight")), 1, error))
               && (L->ln2_b = upload_vector (self, VEC (tensor (self, a, p, l, "output.LayerNorm.bias")), 1, error));
        }
    }
  else if (c->arch == ASSAY_LM_GPT2)
    {
      ok = (self->embed = upload_matrix (self, VEC (tensor (self, "%swte.weight", p)), 1, FALSE, error)) != NULL
           && (self->positions = upload_matrix (self, VEC (tensor (self, "%swpe.weight", p)), 1, FALSE, error)) != NULL;
      for (int l = 0; ok && l < c->layers; l++)
        {
          AssayLmLayer *L = &self->layers[l];
          ok = (L->ln1_w = upload_vector (self, VEC (tensor (self, "%sh.%d.ln_1.weight", p, l)), 1, error))
               && (L->ln1_b = upload_vector (self, VEC (tensor (self, "%sh.%d.ln_1.bias", p, l)), 1, error))
               && (L->qkv = upload_matrix (self, VEC (tensor (self, "%sh.%d.attn.c_attn.weight", p, l)), 1, TRUE, error))
               && (L->qkv_b = upload_vector (self, VEC (tensor (self, "%sh.%d.attn.c_attn.bias", p, l)), 1, error))
               && (L->o = upload_matrix (self, VEC (tensor (self, "%sh.%d.attn.c_proj.weight", p, l)), 1, TRUE, error))
               && (L->o_b = upload_vector (self, VEC (tensor (self, "%sh.%d.attn.c_proj.bias", p, l)), 1, error))
               && (L->ln2_w = upload_vector (self, VEC (tensor (self, "%sh.%d.ln_2.weight", p, l)), 1, error))
               && (L->ln2_b = upload_vector (self, VEC (tensor (self, "%sh.%d.ln_2.bias", p, l)), 1, error))
               && (L->up = upload_matrix (self, VEC (tensor (self, "%sh.%d.mlp.c_fc.weight", p, l)), 1, TRUE, error))
               && (L->up_b = upload_vector (self, VEC (tensor (self, "%sh.%d.mlp.c_fc.bias", p, l)), 1, error))
               && (L->down = upload_matrix (self, VEC (tensor (self, "%sh.%d.mlp.c_proj.weight", p, l)), 1, TRUE, error))
               && (L->down_b = upload_vector (self, VEC (tensor (self, "%sh.%d.mlp.c_proj.bias", p, l)), 1, error));
        }
      ok = ok && (self->norm_w = upload_vector (self, VEC (tensor (self, "%sln_f.weight", p)), 1, error))
           && (self->norm_b = upload_vector (self, VEC (tensor (self, "%sln_f.bias", p)), 1, error));
      self->head = self->embed;
    }
  else
    {
      ok = (self->embed = upload_matrix (self, VEC (tensor (self, "%sembed_tokens.weight", p)), 1, FALSE, error)) != NULL;
      for (int l = 0; ok && l < c->layers; l++)
        {
          AssayLmLayer *L = &self->layers[l];
          const char   *a = "%slayers.%d.self_attn.%s";
          ok = (L->ln1_w = upload_vector (self, VEC (tensor (self, "%slayers.%d.input_layernorm.weight", p, l)), 1, error))
               && (L->qkv = upload_matrix (self, VEC (tensor (self, a, p, l, "q_proj.weight"), tensor (self, a, p, l, "k_proj.weight"),
                                                      tensor (self, a, p, l, "v_proj.weight")), 3, FALSE, error))
               && (!c->qkv_bias
                   || (L->qkv_b = upload_vector (self, VEC (tensor (self, a, p, l, "q_proj.bias"), tensor (self, a, p, l, "k_proj.bias"),
                                                            tensor (self, a, p, l, "v_proj.bias")), 3, error)))
               && (L->o = upload_matrix (self, VEC (tensor (self, a, p, l, "o_proj.weight")), 1, FALSE, error))
               && (L->ln2_w = upload_vector (self, VEC (tensor (self, "%slayers.%d.post_attention_layernorm.weight", p, l)), 1, error))
               && (L->up = upload_matrix (self, VEC (tensor (self, "%slayers.%d.mlp.gate_proj.weight", p, l),
                                                     tensor (self, "%slayers.%d.mlp.up_proj.weight", p, l)), 2, FALSE, error))
               && (L->down = upload_matrix (self, VEC (tensor (self, "%slayers.%d.mlp.down_proj.weight", p, l)), 1, FALSE, error));
        }
      ok = ok && (self->norm_w = upload_vector (self, VEC (tensor (self, "%snorm.weight", p)), 1, error));
      if (ok && c->no_head && tensor (self, "lm_head.weight") == NULL)
        self->head = NULL; /* an embedder: the final norm's output is what it gives */
      else if (ok && (c->tie_embeddings || tensor (self, "lm_head.weight") == NULL))
        self->head = self->embed;
      else if (ok)
        ok = (self->head = upload_matrix (self, VEC (tensor (self, "lm_head.weight")), 1, FALSE, error)) != NULL;
    }
  if (!ok)
    {
      assay_lm_model_unload (self);
      return FALSE;
    }
  return TRUE;
}

void
assay_lm_model_unload (AssayLmModel *self)
{
  AssayBackend *b = self->backend;

  if (b == NULL)
    return;
  if (self->layers != NULL)
    for (int l = 0; l < self->config->layers; l++)
      {
        AssayLmLayer *L = &self->layers[l];
        float *vecs[] = { L->ln1_w, L->ln1_b, L->ln2_w, L->ln2_b, L->qkv_b, L->o_b, L->up_b, L->down_b };
        for (guint i = 0; i < G_N_ELEMENTS (vecs); i++)
          assay_backend_release (b, vecs[i]);
        assay_backend_weight_free (b, L->qkv);
        assay_backend_weight_free (b, L->o);
        assay_backend_weight_free (b, L->up);
        assay_backend_weight_free (b, L->down);
      }
  g_clear_pointer (&self->layers, g_free);
  if (self->head != self->embed)
    assay_backend_weight_free (b, self->head);
  assay_backend_weight_free (b, self->embed);
  assay_backend_weight_free (b, self->positions);
  assay_backend_weight_free (b, self->types);
  assay_backend_release (b, self->norm_w);
  assay_backend_release (b, self->norm_b);
  self->head = self->embed = self->positions = self->types = NULL;
  self->norm_w = self->norm_b = NULL;
  g_clear_pointer (&self->inv_freq, g_free);
  self->backend = NULL;
}

double *
assay_lm_model_read_tensor (AssayLmModel *self, const char *name, gint64 rows, gint64 cols, GError **error)
{
  const AssaySafetensor *t = assay_safetensors_get (self->tensors, name);
  AssayDType dtype;
  double    *out;

  if (t == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: tensor “%s” is missing", self->dir, name);
      return NULL;
    }
  if (!((cols == 0 && t->n_dims == 1 && t->shape[0] == rows)
        || (cols > 0 && t->n_dims == 2 && t->shape[0] == rows && t->shape[1] == cols)))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   cols == 0 ? "%s: tensor “%s” should have shape [%lld]"
                             : "%s: tensor “%s” should have shape [%lld, %lld]",
                   self->dir, name, (long long) rows, (long long) cols);
      return NULL;
    }
  if (!assay_safetensor_dtype (t, &dtype))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: tensor “%s” is %s (F32, F16 and BF16 are read)",
                   self->dir, name, assay_safetensor_type_name (t->type));
      return NULL;
    }
  out = g_new (double, MAX (t->n_elements, 1));
  for (gint64 i = 0; i < t->n_elements; i++)
    {
      out[i] = element (t, (gsize) i);
      if (!isfinite (out[i]))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: tensor “%s” holds a value that is not finite",
                       self->dir, name);
          g_free (out);
          return NULL;
        }
    }
  return out;
}
