/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-test-lm.c: see assay-test-lm.h. The reference follows the Hugging Face modelling code
 * (LlamaForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel) line by line, in double precision. */
#include "assay-test-lm.h"

#include "assay-lm-demo.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef struct
{
  int     n_dims;
  gint64  shape[2];
  double *v;
} Tensor;

struct _AssayTestLm
{
  AssayTestLmSpec spec;
  char           *dir;
  int             head_dim;
  GPtrArray      *names;   /* insertion order */
  GHashTable     *tensors; /* name -> Tensor* */
};

static void
tensor_free (Tensor *t)
{
  g_free (t->v);
  g_free (t);
}

static double
round_to (AssayDType dtype, double v)
{
  switch (dtype)
    {
    case ASSAY_DTYPE_F32: return (float) v;
    case ASSAY_DTYPE_BF16: return assay_bf16_to_f32 (assay_f32_to_bf16 ((float) v));
    case ASSAY_DTYPE_F16: return assay_f16_to_f32 (assay_f32_to_f16 ((float) v));
    }
  return v;
}

static void
add (AssayTestLm *self, GRand *rand, const char *name, int n_dims, gint64 d0, gint64 d1,
     double center, double spread)
{
  Tensor *t = g_new0 (Tensor, 1);
  gint64  n = d0 * (n_dims == 2 ? d1 : 1);

  t->n_dims = n_dims;
  t->shape[0] = d0;
  t->shape[1] = d1;
  t->v = g_new (double, n);
  for (gint64 i = 0; i < n; i++)
    t->v[i] = round_to (self->spec.dtype, center + g_rand_double_range (rand, -spread, spread));
  g_ptr_array_add (self->names, g_strdup (name));
  g_hash_table_insert (self->tensors, g_strdup (name), t);
}

gboolean
assay_test_write_safetensors (const char *path, GPtrArray *names, GPtrArray *tensors,
                              AssayDType dtype, GError **error)
{
  GString *header = g_string_new ("{");
  GByteArray *data = g_byte_array_new ();
  const char *dname = dtype == ASSAY_DTYPE_F32 ? "F32" : dtype == ASSAY_DTYPE_F16 ? "F16" : "BF16";
  gsize       es = assay_dtype_size (dtype);
  GByteArray *file = g_byte_array_new ();
  guint8      len8[8];
  guint64     hlen;
  gboolean    ok;

  for (guint i = 0; i < names->len; i++)
    {
      Tensor *t = tensors->pdata[i];
      gint64  n = t->shape[0] * (t->n_dims == 2 ? t->shape[1] : 1);
      gsize   begin = data->len;
      for (gint64 j = 0; j < n; j++)
        {
          if (dtype == ASSAY_DTYPE_F32)
            {
              float f = (float) t->v[j];
              g_byte_array_append (data, (guint8 *) &f, 4);
            }
          else
            {
              guint16 h = dtype == ASSAY_DTYPE_BF16 ? assay_f32_to_bf16 ((float) t->v[j])
                                                    : assay_f32_to_f16 ((float) t->v[j]);
              g_byte_array_append (data, (guint8 *) &h, 2);
            }
        }
      g_string_append_printf (header, "%s\"%s\": {\"dtype\": \"%s\", \"shape\": [%" G_GINT64_FORMAT,
                              i ? ", " : "", (char *) names->pdata[i], dname, t->shape[0]);
      if (t->n_dims == 2)
        g_string_append_printf (header, ", %" G_GINT64_FORMAT, t->shape[1]);
      g_string_append_printf (header, "], \"data_offsets\": [%zu, %zu]}", begin, begin + (gsize) n * es);
    }
  g_string_append (header, ", \"__metadata__\": {\"format\": \"pt\"}}");
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  hlen = header->len;
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) (hlen >> (8 * i));
  g_byte_array_append (file, len8, 8);
  g_byte_array_append (file, (guint8 *) header->str, header->len);
  g_byte_array_append (file, data->data, data->len);
  ok = g_file_set_contents (path, (char *) file->data, file->len, error);
  g_string_free (header, TRUE);
  g_byte_array_unref (data);
  g_byte_array_unref (file);
  return ok;
}

static void
write_model (AssayTestLm *self)
{
  g_autoptr (GPtrArray) tensors = g_ptr_array_new ();
  g_autofree char *path = g_build_filename (self->dir, "model.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < self->names->len; i++)
    g_ptr_array_add (tensors, g_hash_table_lookup (self->tensors, self->names->pdata[i]));
  assay_test_write_safetensors (path, self->names, tensors, self->spec.dtype, &error);
  g_assert_no_error (error);
}

/* The byte-level BPE vocabulary the demo's models have (264 entries) */
static void
write_tokenizer (AssayTestLm *self)
{
  g_autofree char *path = g_build_filename (self->dir, "tokenizer.json", NULL);
  g_autofree char *json = assay_lm_demo_tokenizer_json ();

  g_assert_cmpint (264, <=, self->spec.vocab);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
}

static void
write_config (AssayTestLm *self)
{
  const AssayTestLmSpec *s = &self->spec;
  g_autofree char *path = g_build_filename (self->dir, "config.json", NULL);
  g_autofree char *text = NULL;
  const char *dtype = s->dtype == ASSAY_DTYPE_F32 ? "float32" : s->dtype == ASSAY_DTYPE_F16 ? "float16" : "bfloat16";

  if (s->arch == ASSAY_LM_BERT)
    text = g_strdup_printf ("{\"architectures\": [\"BertModel\"], \"hidden_size\": %d, "
                            "\"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
                            "\"intermediate_size\": %d, \"vocab_size\": %d, "
                            "\"max_position_embeddings\": %d, \"type_vocab_size\": 2, "
                            "\"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\", \"torch_dtype\": \"%s\"}",
                            s->hidden, s->layers, s->heads, s->inter, s->vocab, s->max_positions, dtype);
  else if (s->arch == ASSAY_LM_GPT2)
    text = g_strdup_printf ("{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\", "
                            "\"n_embd\": %d, \"n_layer\": %d, \"n_head\": %d, \"n_inner\": %d, "
                            "\"vocab_size\": %d, \"n_positions\": %d, \"layer_norm_epsilon\": 1e-05, "
                            "\"activation_function\": \"gelu_new\", \"torch_dtype\": \"%s\"}",
                            s->hidden, s->layers, s->heads, s->inter, s->vocab, s->max_positions, dtype);
  else
    text = g_strdup_printf ("{\"architectures\": [\"%s\"], \"hidden_size\": %d, "
                            "\"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
                            "\"num_key_value_heads\": %d, \"intermediate_size\": %d, \"vocab_size\": %d, "
                            "\"max_position_embeddings\": %d, \"rms_norm_eps\": 1e-06, "
                            "\"rope_theta\": %s, \"hidden_act\": \"silu\", \"tie_word_embeddings\": %s, "
                            "\"torch_dtype\": \"%s\", \"num_labels\": %d%s}",
                            s->reward == ASSAY_LM_REWARD_PROCESS ? "Qwen2ForProcessRewardModel"
                            : s->reward == ASSAY_LM_REWARD_SEQUENCE
                              ? (s->arch == ASSAY_LM_QWEN2 ? "Qwen2ForSequenceClassification" : "LlamaForSequenceClassification")
                            : s->arch == ASSAY_LM_QWEN2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM",
                            s->hidden, s->layers, s->heads, s->kv_heads, s->inter, s->vocab,
                            s->max_positions, s->arch == ASSAY_LM_QWEN2 ? "1000000.0" : "10000.0",
                            s->tie_embeddings ? "true" : "false", dtype, s->num_labels > 0 ? s->num_labels : 1,
                            s->rope_llama3 ? ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, "
                                             "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
                                             "\"original_max_position_embeddings\": 64}" : "");
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

AssayTestLmSpec
assay_test_lm_spec (AssayLmArch arch, AssayDType dtype)
{
  AssayTestLmSpec s = { 0 };

  s.arch = arch;
  s.hidden = 32;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = arch == ASSAY_LM_GPT2 || arch == ASSAY_LM_BERT ? 4 : 2;
  s.inter = 48;
  s.vocab = 300;
  s.max_positions = 512;
  s.tie_embeddings = arch == ASSAY_LM_QWEN2;
  s.rope_llama3 = arch == ASSAY_LM_LLAMA;
  s.dtype = dtype;
  return s;
}

AssayTestLm *
assay_test_lm_write (const char *dir, const AssayTestLmSpec *spec, guint32 seed)
{
  AssayTestLm *self = g_new0 (AssayTestLm, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int  H = spec->hidden, I = spec->inter, V = spec->vocab;
  double sc = spec->scale > 0 ? spec->scale : 1.0;
  double wh = sc / sqrt (H), wi = sc / sqrt (I);
  char name[128];

  self->spec = *spec;
  if (self->spec.kv_heads == 0)
    self->spec.kv_heads = spec->heads;
  self->dir = g_strdup (dir);
  self->head_dim = H / spec->heads;
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) tensor_free);
  g_mkdir_with_parents (dir, 0755);
  if (spec->arch == ASSAY_LM_BERT)
    {
      add (self, rand, "embeddings.word_embeddings.weight", 2, V, H, 0, 1.0);
      add (self, rand, "embeddings.position_embeddings.weight", 2, spec->max_positions, H, 0, 0.5);
      add (self, rand, "embeddings.token_type_embeddings.weight", 2, 2, H, 0, 0.5);
      add (self, rand, "embeddings.LayerNorm.weight", 1, H, 0, 1.0, 0.2);
      add (self, rand, "embeddings.LayerNorm.bias", 1, H, 0, 0.0, 0.1);
      for (int l = 0; l < spec->layers; l++)
        {
#define N(fmt) (g_snprintf (name, sizeof name, "encoder.layer.%d." fmt, l), name)
          static const char *const qkv[] = { "query", "key", "value" };
          for (int i = 0; i < 3; i++)
            {
              g_snprintf (name, sizeof name, "encoder.layer.%d.attention.self.%s.weight", l, qkv[i]);
              add (self, rand, name, 2, H, H, 0, wh * 1.7);
              g_snprintf (name, sizeof name, "encoder.layer.%d.attention.self.%s.bias", l, qkv[i]);
              add (self, rand, name, 1, H, 0, 0, 0.1);
            }
          add (self, rand, N ("attention.output.dense.weight"), 2, H, H, 0, wh);
          add (self, rand, N ("attention.output.dense.bias"), 1, H, 0, 0, 0.1);
          add (self, rand, N ("attention.output.LayerNorm.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("attention.output.LayerNorm.bias"), 1, H, 0, 0.0, 0.1);
          add (self, rand, N ("intermediate.dense.weight"), 2, I, H, 0, wh * 1.7);
          add (self, rand, N ("intermediate.dense.bias"), 1, I, 0, 0, 0.1);
          add (self, rand, N ("output.dense.weight"), 2, H, I, 0, wi);
          add (self, rand, N ("output.dense.bias"), 1, H, 0, 0, 0.1);
          add (self, rand, N ("output.LayerNorm.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("output.LayerNorm.bias"), 1, H, 0, 0.0, 0.1);
#undef N
        }
    }
  else if (spec->arch == ASSAY_LM_GPT2)
    {
      add (self, rand, "transformer.wte.weight", 2, V, H, 0, spec->scale > 0 ? 0.5 * sc : 1.0);
      add (self, rand, "transformer.wpe.weight", 2, spec->max_positions, H, 0, 0.5);
      for (int l = 0; l < spec->layers; l++)
        {
#define N(fmt) (g_snprintf (name, sizeof name, "transformer.h.%d." fmt, l), name)
          add (self, rand, N ("ln_1.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("ln_1.bias"), 1, H, 0, 0.0, 0.1);
          add (self, rand, N ("attn.c_attn.weight"), 2, H, 3 * H, 0, wh * 1.7);
          add (self, rand, N ("attn.c_attn.bias"), 1, 3 * H, 0, 0, 0.1);
          add (self, rand, N ("attn.c_proj.weight"), 2, H, H, 0, wh);
          add (self, rand, N ("attn.c_proj.bias"), 1, H, 0, 0, 0.1);
          add (self, rand, N ("ln_2.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("ln_2.bias"), 1, H, 0, 0.0, 0.1);
          add (self, rand, N ("mlp.c_fc.weight"), 2, H, I, 0, wh * 1.7);
          add (self, rand, N ("mlp.c_fc.bias"), 1, I, 0, 0, 0.1);
          add (self, rand, N ("mlp.c_proj.weight"), 2, I, H, 0, wi);
          add (self, rand, N ("mlp.c_proj.bias"), 1, H, 0, 0, 0.1);
#undef N
        }
      add (self, rand, "transformer.ln_f.weight", 1, H, 0, 1.0, 0.2);
      add (self, rand, "transformer.ln_f.bias", 1, H, 0, 0.0, 0.1);
    }
  else
    {
      int hd = self->head_dim, q = spec->heads * hd, kv = self->spec.kv_heads * hd;
      add (self, rand, "model.embed_tokens.weight", 2, V, H, 0, 1.0);
      for (int l = 0; l < spec->layers; l++)
        {
#define N(fmt) (g_snprintf (name, sizeof name, "model.layers.%d." fmt, l), name)
          add (self, rand, N ("input_layernorm.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("self_attn.q_proj.weight"), 2, q, H, 0, wh * 1.7);
          add (self, rand, N ("self_attn.k_proj.weight"), 2, kv, H, 0, wh * 1.7);
          add (self, rand, N ("self_attn.v_proj.weight"), 2, kv, H, 0, wh * 1.7);
          if (spec->arch == ASSAY_LM_QWEN2)
            {
              add (self, rand, N ("self_attn.q_proj.bias"), 1, q, 0, 0, 0.3);
              add (self, rand, N ("self_attn.k_proj.bias"), 1, kv, 0, 0, 0.3);
              add (self, rand, N ("self_attn.v_proj.bias"), 1, kv, 0, 0, 0.3);
            }
          add (self, rand, N ("self_attn.o_proj.weight"), 2, H, q, 0, wh);
          add (self, rand, N ("post_attention_layernorm.weight"), 1, H, 0, 1.0, 0.2);
          add (self, rand, N ("mlp.gate_proj.weight"), 2, I, H, 0, wh * 1.7);
          add (self, rand, N ("mlp.up_proj.weight"), 2, I, H, 0, wh * 1.7);
          add (self, rand, N ("mlp.down_proj.weight"), 2, H, I, 0, wi);
#undef N
        }
      add (self, rand, "model.norm.weight", 1, H, 0, 1.0, 0.2);
      if (spec->reward == ASSAY_LM_REWARD_SEQUENCE)
        add (self, rand, "score.weight", 2, spec->num_labels > 0 ? spec->num_labels : 1, H, 0, wh * 3);
      else if (spec->reward == ASSAY_LM_REWARD_PROCESS)
        {
          add (self, rand, "score.0.weight", 2, H, H, 0, wh * 2);
          add (self, rand, "score.0.bias", 1, H, 0, 0, 0.3);
          add (self, rand, "score.2.weight", 2, 2, H, 0, wh * 3);
          add (self, rand, "score.2.bias", 1, 2, 0, 0, 0.3);
        }
      else if (!spec->tie_embeddings)
        add (self, rand, "lm_head.weight", 2, V, H, 0, wh * 3);
      if (spec->anchor)
        {
          double *e = assay_test_lm_tensor (self, "model.embed_tokens.weight");
          for (int v = 0; v < V; v++)
            e[(gsize) v * H] = 1.0;
          for (int l = 0; l < spec->layers; l++)
            {
              g_snprintf (name, sizeof name, "model.layers.%d.self_attn.o_proj.weight", l);
              memset (assay_test_lm_tensor (self, name), 0, sizeof (double) * q);
              g_snprintf (name, sizeof name, "model.layers.%d.mlp.down_proj.weight", l);
              memset (assay_test_lm_tensor (self, name), 0, sizeof (double) * I);
            }
        }
    }
  write_model (self);
  write_tokenizer (self);
  write_config (self);
  return self;
}

void
assay_test_lm_free (AssayTestLm *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->names);
  g_hash_table_unref (self->tensors);
  g_free (self->dir);
  g_free (self);
}

const char *
assay_test_lm_dir (AssayTestLm *self)
{
  return self->dir;
}

double *
assay_test_lm_tensor (AssayTestLm *self, const char *name)
{
  Tensor *t = g_hash_table_lookup (self->tensors, name);
  g_assert_nonnull (t);
  return t->v;
}

void
assay_test_lm_favour (AssayTestLm *self, int id, double bias)
{
  Tensor *head = g_hash_table_lookup (self->tensors, "lm_head.weight");
  double *norm = assay_test_lm_tensor (self, "model.norm.weight");
  int     H = self->spec.hidden;

  /* logit_id += bias * sum_j h_j / sign... simplest exact lever: move the row of id towards
   * the mean direction of the final norm's weight, which every normalised state has a share in. */
  g_assert_nonnull (head);
  if (self->spec.anchor)
    {
      head->v[(gsize) id * H] = round_to (self->spec.dtype, head->v[(gsize) id * H] + bias);
      write_model (self);
      return;
    }
  for (int j = 0; j < H; j++)
    head->v[(gsize) id * H + j] = round_to (self->spec.dtype, head->v[(gsize) id * H + j] + bias * (norm[j] > 0 ? 1 : -1) / H);
  write_model (self);
}

/* ---- the float64 reference ---- */

static const double *
T (AssayTestLm *self, const char *fmt, int l)
{
  char name[160];
  g_snprintf (name, sizeof name, fmt, l);
  return assay_test_lm_tensor (self, name);
}

static void
rmsnorm (const double *x, const double *w, double *out, int n, double eps)
{
  double ss = 0;
  for (int j = 0; j < n; j++)
    ss += x[j] * x[j];
  ss = 1.0 / sqrt (ss / n + eps);
  for (int j = 0; j < n; j++)
    out[j] = x[j] * ss * w[j];
}

static void
layernorm (const double *x, const double *w, const double *b, double *out, int n, double eps)
{
  double mean = 0, var = 0;
  for (int j = 0; j < n; j++)
    mean += x[j];
  mean /= n;
  for (int j = 0; j < n; j++)
    var += (x[j] - mean) * (x[j] - mean);
  var /= n;
  for (int j = 0; j < n; j++)
    out[j] = (x[j] - mean) / sqrt (var + eps) * w[j] + b[j];
}

/* y[o] = sum_i W[o][i] x[i] (+ b[o]) for W [out, in] */
static void
matvec (const double *W, const double *b, const double *x, double *y, int out, int in)
{
  for (int o = 0; o < out; o++)
    {
      double s = b ? b[o] : 0;
      for (int i = 0; i < in; i++)
        s += W[(gsize) o * in + i] * x[i];
      y[o] = s;
    }
}

/* y[o] = sum_i x[i] W[i][o] + b[o] for a Conv1D W [in, out] */
static void
conv1d (const double *W, const double *b, const double *x, double *y, int in, int out)
{
  for (int o = 0; o < out; o++)
    {
      double s = b[o];
      for (int i = 0; i < in; i++)
        s += x[i] * W[(gsize) i * out + o];
      y[o] = s;
    }
}

static double
inv_freq (AssayTestLm *self, int i)
{
  int    hd = self->head_dim;
  double theta = self->spec.arch == ASSAY_LM_QWEN2 ? 1000000.0 : 10000.0;
  double f = 1.0 / pow (theta, (double) (2 * i) / hd);

  if (self->spec.rope_llama3)
    {
      double factor = 8, low = 1, high = 4, orig = 64;
      double wavelen = 2 * M_PI / f;
      if (wavelen < orig / high)
        ;
      else if (wavelen > orig / low)
        f /= factor;
      else
        {
          double smooth = (orig / wavelen - low) / (high - low);
          f = (1 - smooth) * f / factor + smooth * f;
        }
    }
  return (float) f; /* the model keeps inv_freq in float32 */
}

static void
rope (AssayTestLm *self, double *v, int pos)
{
  int half = self->head_dim / 2;
  for (int i = 0; i < half; i++)
    {
      double a = pos * inv_freq (self, i), c = cos (a), s = sin (a);
      double x1 = v[i], x2 = v[half + i];
      v[i] = x1 * c - x2 * s;
      v[half + i] = x2 * c + x1 * s;
    }
}

/* The forward pass: log p(ids[t] | ids[<t]) for t = start .. len-1 into a new array, and when
 * dist is given the logits of the next token after ids (V values). */
static double *
forward (AssayTestLm *self, const int *ids, int len, int start, double *dist, double *hidden)
{
  const AssayTestLmSpec *s = &self->spec;
  gboolean gpt2 = s->arch == ASSAY_LM_GPT2;
  int      H = s->hidden, I = s->inter, V = s->vocab, hd = self->head_dim;
  int      nh = s->heads, nkv = s->kv_heads, group = nh / nkv;
  double   eps = gpt2 ? 1e-5 : 1e-6;
  double  *x = g_new0 (double, (gsize) len * H);
  double  *q = g_new (double, (gsize) len * nh * hd), *k = g_new (double, (gsize) len * nkv * hd);
  double  *v = g_new (double, (gsize) len * nkv * hd), *att = g_new (double, (gsize) nh * hd);
  double  *xn = g_new (double, H), *tmp = g_new (double, 3 * H + 2 * I + nh * hd), *p = g_new (double, len);
  double  *out = g_new (double, len - start + 1), *o = g_new (double, (gsize) len * H);
  const double *E = gpt2 ? assay_test_lm_tensor (self, "transformer.wte.weight")
                         : assay_test_lm_tensor (self, "model.embed_tokens.weight");

  for (int t = 0; t < len; t++)
    for (int j = 0; j < H; j++)
      x[(gsize) t * H + j] = E[(gsize) ids[t] * H + j]
                             + (gpt2 ? assay_test_lm_tensor (self, "transformer.wpe.weight")[(gsize) t * H + j] : 0);
  for (int l = 0; l < s->layers; l++)
    {
      for (int t = 0; t < len; t++)
        {
          double *xt = x + (gsize) t * H;
          if (gpt2)
            {
              layernorm (xt, T (self, "transformer.h.%d.ln_1.weight", l), T (self, "transformer.h.%d.ln_1.bias", l), xn, H, eps);
              conv1d (T (self, "transformer.h.%d.attn.c_attn.weight", l), T (self, "transformer.h.%d.attn.c_attn.bias", l), xn, tmp, H, 3 * H);
              memcpy (q + (gsize) t * H, tmp, H * sizeof (double));
              memcpy (k + (gsize) t * H, tmp + H, H * sizeof (double));
              memcpy (v + (gsize) t * H, tmp + 2 * H, H * sizeof (double));
            }
          else
            {
              gboolean qb = s->arch == ASSAY_LM_QWEN2;
              rmsnorm (xt, T (self, "model.layers.%d.input_layernorm.weight", l), xn, H, eps);
              matvec (T (self, "model.layers.%d.self_attn.q_proj.weight", l), qb ? T (self, "model.layers.%d.self_attn.q_proj.bias", l) : NULL, xn, q + (gsize) t * nh * hd, nh * hd, H);
              matvec (T (self, "model.layers.%d.self_attn.k_proj.weight", l), qb ? T (self, "model.layers.%d.self_attn.k_proj.bias", l) : NULL, xn, k + (gsize) t * nkv * hd, nkv * hd, H);
              matvec (T (self, "model.layers.%d.self_attn.v_proj.weight", l), qb ? T (self, "model.layers.%d.self_attn.v_proj.bias", l) : NULL, xn, v + (gsize) t * nkv * hd, nkv * hd, H);
              for (int h = 0; h < nh; h++)
                rope (self, q + (gsize) t * nh * hd + h * hd, t);
              for (int h = 0; h < nkv; h++)
                rope (self, k + (gsize) t * nkv * hd + h * hd, t);
            }
        }
      for (int t = 0; t < len; t++)
        {
          double *xt = x + (gsize) t * H;
          for (int h = 0; h < nh; h++)
            {
              const double *qh = q + (gsize) t * nh * hd + h * hd;
              int           g = h / group;
              double        mx = -INFINITY, sum = 0;
              for (int u = 0; u <= t; u++)
                {
                  const double *kh = k + (gsize) u * nkv * hd + g * hd;
                  double d = 0;
                  for (int i = 0; i < hd; i++)
                    d += qh[i] * kh[i];
                  p[u] = d / sqrt (hd);
                  mx = fmax (mx, p[u]);
                }
              for (int u = 0; u <= t; u++)
                sum += (p[u] = exp (p[u] - mx));
              for (int i = 0; i < hd; i++)
                {
                  double a = 0;
                  for (int u = 0; u <= t; u++)
                    a += p[u] / sum * v[(gsize) u * nkv * hd + g * hd + i];
                  att[h * hd + i] = a;
                }
            }
          if (gpt2)
            conv1d (T (self, "transformer.h.%d.attn.c_proj.weight", l), T (self, "transformer.h.%d.attn.c_proj.bias", l), att, o + (gsize) t * H, H, H);
          else
            matvec (T (self, "model.layers.%d.self_attn.o_proj.weight", l), NULL, att, o + (gsize) t * H, H, nh * hd);
          (void) xt;
        }
      for (int t = 0; t < len; t++)
        {
          double *xt = x + (gsize) t * H;
          for (int j = 0; j < H; j++)
            xt[j] += o[(gsize) t * H + j];
          if (gpt2)
            {
              layernorm (xt, T (self, "transformer.h.%d.ln_2.weight", l), T (self, "transformer.h.%d.ln_2.bias", l), xn, H, eps);
              conv1d (T (self, "transformer.h.%d.mlp.c_fc.weight", l), T (self, "transformer.h.%d.mlp.c_fc.bias", l), xn, tmp, H, I);
              for (int i = 0; i < I; i++)
                tmp[i] = 0.5 * tmp[i] * (1 + tanh (sqrt (2 / M_PI) * (tmp[i] + 0.044715 * pow (tmp[i], 3))));
              conv1d (T (self, "transformer.h.%d.mlp.c_proj.weight", l), T (self, "transformer.h.%d.mlp.c_proj.bias", l), tmp, tmp + I, I, H);
            }
          else
            {
              rmsnorm (xt, T (self, "model.layers.%d.post_attention_layernorm.weight", l), xn, H, eps);
              matvec (T (self, "model.layers.%d.mlp.gate_proj.weight", l), NULL, xn, tmp, I, H);
              matvec (T (self, "model.layers.%d.mlp.up_proj.weight", l), NULL, xn, tmp + I, I, H);
              for (int i = 0; i < I; i++)
                tmp[i] = tmp[i] / (1 + exp (-tmp[i])) * tmp[I + i];
              matvec (T (self, "model.layers.%d.mlp.down_proj.weight", l), NULL, tmp, tmp + I, H, I);
            }
          for (int j = 0; j < H; j++)
            xt[j] += tmp[I + j];
        }
    }
  if (hidden != NULL)
    {
      /* every position's final hidden state (Llama/Qwen2) */
      for (int t = 0; t < len; t++)
        rmsnorm (x + (gsize) t * H, assay_test_lm_tensor (self, "model.norm.weight"), hidden + (gsize) t * H, H, eps);
      g_free (x); g_free (q); g_free (k); g_free (v); g_free (att); g_free (xn); g_free (tmp); g_free (p); g_free (o);
      return out;
    }
  {
    const double *head = gpt2 || s->tie_embeddings ? E : assay_test_lm_tensor (self, "lm_head.weight");
    double       *logits = g_new (double, V);
    for (int t = start; t < len + (dist != NULL); t++)
      {
        double *xt = x + (gsize) (t - 1) * H, mx = -INFINITY, sum = 0;
        if (gpt2)
          layernorm (xt, assay_test_lm_tensor (self, "transformer.ln_f.weight"), assay_test_lm_tensor (self, "transformer.ln_f.bias"), xn, H, eps);
        else
          rmsnorm (xt, assay_test_lm_tensor (self, "model.norm.weight"), xn, H, eps);
        matvec (head, NULL, xn, logits, V, H);
        for (int j = 0; j < V; j++)
          mx = fmax (mx, logits[j]);
        for (int j = 0; j < V; j++)
          sum += exp (logits[j] - mx);
        if (t == len)
          memcpy (dist, logits, V * sizeof (double));
        else
          out[t - start] = logits[ids[t]] - mx - log (sum);
      }
    g_free (logits);
  }
  g_free (x); g_free (q); g_free (k); g_free (v); g_free (att); g_free (xn); g_free (tmp); g_free (p); g_free (o);
  return out;
}

double *
assay_test_lm_reference (AssayTestLm *self, const int *ids, int len, int start)
{
  g_assert_false (assay_lm_arch_is_encoder (self->spec.arch)); /* the encoders' reference is PyTorch */
  return forward (self, ids, len, start, NULL, NULL);
}

double *
assay_test_lm_next (AssayTestLm *self, const int *ids, int len)
{
  double *dist = g_new (double, self->spec.vocab);

  g_free (forward (self, ids, len, len, dist, NULL));
  return dist;
}

double *
assay_test_lm_reward_logits (AssayTestLm *self, const int *ids, int len)
{
  int     H = self->spec.hidden, L = self->spec.reward == ASSAY_LM_REWARD_PROCESS ? 2
                                   : self->spec.num_labels > 0 ? self->spec.num_labels : 1;
  double *hidden = g_new (double, (gsize) len * H), *mid = g_new (double, H), *out = g_new (double, (gsize) len * L);

  g_assert_true (self->spec.reward != ASSAY_LM_REWARD_NONE);
  g_free (forward (self, ids, len, len, NULL, hidden));
  for (int t = 0; t < len; t++)
    {
      const double *h = hidden + (gsize) t * H;
      if (self->spec.reward == ASSAY_LM_REWARD_PROCESS)
        {
          matvec (assay_test_lm_tensor (self, "score.0.weight"), assay_test_lm_tensor (self, "score.0.bias"), h, mid, H, H);
          for (int i = 0; i < H; i++)
            mid[i] = fmax (mid[i], 0);
          matvec (assay_test_lm_tensor (self, "score.2.weight"), assay_test_lm_tensor (self, "score.2.bias"), mid,
                  out + (gsize) t * L, L, H);
        }
      else
        matvec (assay_test_lm_tensor (self, "score.weight"), NULL, h, out + (gsize) t * L, L, H);
    }
  g_free (hidden);
  g_free (mid);
  return out;
}
