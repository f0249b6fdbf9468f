/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-demo.c: see assay-lm-demo.h. */
#include "assay-lm-demo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-lm-tokenizer.h"

enum
{
  HIDDEN = 32,
  LAYERS = 2,
  HEADS = 4,
  KV_HEADS = 2,
  INTER = 64,
  VOCAB = 300,
  POSITIONS = 4096,
  HEAD_DIM = HIDDEN / HEADS,
};

typedef struct
{
  char  *name;
  int    rows, cols; /* cols 0: a vector of rows values */
  float *v;
} Tensor;

static void
tensor_free (gpointer data)
{
  Tensor *t = data;

  g_free (t->name);
  g_free (t->v);
  g_free (t);
}

static Tensor *
add (GPtrArray *tensors, GRand *rand, const char *name, int rows, int cols, double center, double spread)
{
  Tensor *t = g_new0 (Tensor, 1);
  gsize   n = (gsize) rows * (cols > 0 ? cols : 1);

  t->name = g_strdup (name);
  t->rows = rows;
  t->cols = cols;
  t->v = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    t->v[i] = (float) (center + g_rand_double_range (rand, -spread, spread));
  g_ptr_array_add (tensors, t);
  return t;
}

static Tensor *
find (GPtrArray *tensors, const char *name)
{
  for (guint i = 0; i < tensors->len; i++)
    if (g_str_equal (((Tensor *) tensors->pdata[i])->name, name))
      return tensors->pdata[i];
  return NULL;
}

static gboolean
write_safetensors (const char *path, GPtrArray *tensors, GError **error)
{
  GString    *header = g_string_new ("{");
  GByteArray *file = g_byte_array_new ();
  gsize       offset = 0;
  guint8      len8[8];
  gboolean    ok;

  for (guint i = 0; i < tensors->len; i++)
    {
      Tensor *t = tensors->pdata[i];
      gsize   bytes = sizeof (float) * t->rows * (t->cols > 0 ? t->cols : 1);
      g_string_append_printf (header, "%s\"%s\": {\"dtype\": \"F32\", \"shape\": [%d", i ? ", " : "",
                              t->name, t->rows);
      if (t->cols > 0)
        g_string_append_printf (header, ", %d", t->cols);
      g_string_append_printf (header, "], \"data_offsets\": [%zu, %zu]}", offset, offset + bytes);
      offset += bytes;
    }
  g_string_append (header, ", \"__metadata__\": {\"format\": \"pt\"}}");
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) ((guint64) header->len >> (8 * i));
  g_byte_array_append (file, len8, 8);
  g_byte_array_append (file, (const guint8 *) header->str, header->len);
  for (guint i = 0; i < tensors->len; i++)
    {
      Tensor *t = tensors->pdata[i];
      g_byte_array_append (file, (const guint8 *) t->v, sizeof (float) * t->rows * (t->cols > 0 ? t->cols : 1));
    }
  ok = g_file_set_contents (path, (const char *) file->data, file->len, error);
  g_string_free (header, TRUE);
  g_byte_array_unref (file);
  return ok;
}

/* GPT-2's byte-level vocabulary (the 256 byte tokens, printable bytes as themselves and the rest
 * from U+0100 on) and a few merges of common English pairs. */
char *
assay_lm_demo_tokenizer_json (void)
{
  static const char *pairs[][2] = { { "t", "h" }, { "th", "e" }, { "Ġ", "t" }, { "h", "e" },
                                    { "Ġt", "he" }, { "i", "n" }, { "Ġ", "a" }, { "e", "r" } };
  GString *json = g_string_new ("{\"model\": {\"type\": \"BPE\", \"vocab\": {");
  int      n = 0, extra = 0;

  for (int b = 0; b < 256; b++)
    {
      char     buf[8] = { 0 };
      gunichar c = ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
                     ? (gunichar) b : (gunichar) (256 + extra++);
      g_unichar_to_utf8 (c, buf);
      g_string_append_printf (json, "\"%s%s\": %d, ", (c == '"' || c == '\\') ? "\\" : "", buf, n++);
    }
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    g_string_append_printf (json, "\"%s%s\": %d%s", pairs[i][0], pairs[i][1], n++,
                            i + 1 < G_N_ELEMENTS (pairs) ? ", " : "");
  g_string_append (json, "}, \"merges\": [");
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    g_string_append_printf (json, "%s\"%s %s\"", i ? ", " : "", pairs[i][0], pairs[i][1]);
  g_string_append (json, "]}, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, "
                         "\"use_regex\": true}, \"decoder\": {\"type\": \"ByteLevel\"}}");
  return g_string_free (json, FALSE);
}

static gboolean
write_folder (const char *dir, GPtrArray *tensors, GError **error)
{
  g_autofree char *config = g_strdup_printf (
    "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": %d, \"num_hidden_layers\": %d, "
    "\"num_attention_heads\": %d, \"num_key_value_heads\": %d, \"intermediate_size\": %d, "
    "\"vocab_size\": %d, \"max_position_embeddings\": %d, \"rms_norm_eps\": 1e-06, "
    "\"rope_theta\": 10000.0, \"hidden_act\": \"silu\", \"tie_word_embeddings\": false, "
    "\"torch_dtype\": \"float32\"}",
    HIDDEN, LAYERS, HEADS, KV_HEADS, INTER, VOCAB, POSITIONS);
  g_autofree char *tokenizer = assay_lm_demo_tokenizer_json ();
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tokenizer_path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *model_path = g_build_filename (dir, "model.safetensors", NULL);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents (config_path, config, -1, error)
         && g_file_set_contents (tokenizer_path, tokenizer, -1, error)
         && write_safetensors (model_path, tensors, error);
}

/* Token counts of the texts under the tokenizer (vocab entries), and their total */
static gboolean
count_tokens (AssayLmTokenizer *tok, const char *const *texts, double *counts, double *total, GError **error)
{
  *total = 0;
  for (const char *const *t = texts; t != NULL && *t != NULL; t++)
    {
      g_autoptr (GArray) ids = NULL;
      if (!g_utf8_validate (*t, -1, NULL))
        continue;
      if ((ids = assay_lm_tokenizer_encode (tok, *t, NULL, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < ids->len; i++)
        {
          int id = g_array_index (ids, int, i);
          if (id >= 0 && id < VOCAB)
            counts[id] += 1;
        }
      *total += ids->len;
    }
  return TRUE;
}

gboolean
assay_lm_demo_write_pair (const char *dir, const char *const *chosen, const char *const *rejected,
                          char **policy, char **reference, GError **error)
{
  g_autoptr (GPtrArray) tensors = g_ptr_array_new_with_free_func (tensor_free);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261204);
  g_autofree char *ref_dir = g_build_filename (dir, "reference", NULL);
  g_autofree char *pol_dir = g_build_filename (dir, "policy", NULL);
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autofree double *c = g_new0 (double, VOCAB), *r = g_new0 (double, VOCAB);
  double      wh = 1.0 / sqrt (HIDDEN), wi = 1.0 / sqrt (INTER), ct, rt;
  int         q = HEADS * HEAD_DIM, kv = KV_HEADS * HEAD_DIM;
  char        name[128];
  Tensor     *head, *embed;

  embed = add (tensors, rand, "model.embed_tokens.weight", VOCAB, HIDDEN, 0, 1.0);
  for (int l = 0; l < LAYERS; l++)
    {
#define N(fmt) (g_snprintf (name, sizeof name, "model.layers.%d." fmt, l), name)
      add (tensors, rand, N ("input_layernorm.weight"), HIDDEN, 0, 1.0, 0.2);
      add (tensors, rand, N ("self_attn.q_proj.weight"), q, HIDDEN, 0, wh * 1.7);
      add (tensors, rand, N ("self_attn.k_proj.weight"), kv, HIDDEN, 0, wh * 1.7);
      add (tensors, rand, N ("self_attn.v_proj.weight"), kv, HIDDEN, 0, wh * 1.7);
      /* row 0 of the output projections is zero: no layer writes hidden dimension 0 */
      memset (add (tensors, rand, N ("self_attn.o_proj.weight"), HIDDEN, q, 0, wh)->v, 0, sizeof (float) * q);
      add (tensors, rand, N ("post_attention_layernorm.weight"), HIDDEN, 0, 1.0, 0.2);
      add (tensors, rand, N ("mlp.gate_proj.weight"), INTER, HIDDEN, 0, wh * 1.7);
      add (tensors, rand, N ("mlp.up_proj.weight"), INTER, HIDDEN, 0, wh * 1.7);
      memset (add (tensors, rand, N ("mlp.down_proj.weight"), HIDDEN, INTER, 0, wi)->v, 0, sizeof (float) * INTER);
#undef N
    }
  add (tensors, rand, "model.norm.weight", HIDDEN, 0, 1.0, 0.2);
  head = add (tensors, rand, "lm_head.weight", VOCAB, HIDDEN, 0, wh * 3);
  /* dimension 0 of every token's embedding is 1 and stays so through the layers: column 0 of the
   * output layer is then a per-token bias at every position */
  for (int v = 0; v < VOCAB; v++)
    embed->v[(gsize) v * HIDDEN] = 1.0f;
  if (!write_folder (ref_dir, tensors, error))
    return FALSE;

  if ((tok = assay_lm_tokenizer_load (ref_dir, error)) == NULL
      || !count_tokens (tok, chosen, c, &ct, error) || !count_tokens (tok, rejected, r, &rt, error))
    return FALSE;
  {
    double norm0 = find (tensors, "model.norm.weight")->v[0];
    for (int v = 0; v < VOCAB; v++)
      {
        double ratio = log ((c[v] + 1.0) / (ct + VOCAB)) - log ((r[v] + 1.0) / (rt + VOCAB));
        /* the state's dimension 0 after the final norm is about norm0 (the state's rms is about 1) */
        head->v[(gsize) v * HIDDEN] += (float) (CLAMP (ratio, -3.0, 3.0) / (fabs (norm0) > 0.1 ? norm0 : 1.0));
      }
  }
  if (!write_folder (pol_dir, tensors, error))
    return FALSE;
  if (policy != NULL)
    *policy = g_steal_pointer (&pol_dir);
  if (reference != NULL)
    *reference = g_steal_pointer (&ref_dir);
  return TRUE;
}
