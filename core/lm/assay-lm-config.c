/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-config.c: config.json of LlamaForCausalLM, Qwen2ForCausalLM and GPT2LMHeadModel. */
#include "assay-lm-config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "assay-error.h"
#include "assay-json.h"

void
assay_lm_config_free (AssayLmConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->architecture);
  g_free (config->torch_dtype);
  g_free (config->rope_type);
  g_free (config);
}

static void
add_eos_id (AssayLmConfig *c, JsonNode *node)
{
  int id;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return;
  id = (int) CLAMP (json_node_get_int (node), -1, G_MAXINT);
  if (id < 0 || c->n_eos == G_N_ELEMENTS (c->eos_ids))
    return;
  for (int i = 0; i < c->n_eos; i++)
    if (c->eos_ids[i] == id)
      return;
  c->eos_ids[c->n_eos++] = id;
}

void
assay_lm_config_add_eos (AssayLmConfig *c, JsonObject *o)
{
  JsonNode *eos = json_object_get_member (o, "eos_token_id");

  if (eos == NULL)
    return;
  if (JSON_NODE_HOLDS_ARRAY (eos))
    {
      JsonArray *a = json_node_get_array (eos);
      for (guint i = 0; i < json_array_get_length (a); i++)
        add_eos_id (c, json_array_get_element (a, i));
    }
  else
    add_eos_id (c, eos);
}

const char *
assay_lm_arch_name (AssayLmArch arch)
{
  switch (arch)
    {
    case ASSAY_LM_LLAMA: return "LlamaForCausalLM";
    case ASSAY_LM_QWEN2: return "Qwen2ForCausalLM";
    case ASSAY_LM_GPT2: return "GPT2LMHeadModel";
    case ASSAY_LM_BERT: return "BertModel";
    case ASSAY_LM_ROBERTA: return "RobertaModel";
    }
  return "?";
}

gboolean
assay_lm_arch_is_encoder (AssayLmArch arch)
{
  return arch == ASSAY_LM_BERT || arch == ASSAY_LM_ROBERTA;
}

/* An integer member > 0 (min_value 0 allows 0); FALSE with an error naming the field. */
static gboolean
get_int (JsonObject *o, const char *member, gboolean required, int fallback, int min_value,
         int *out, const char *label, GError **error)
{
  JsonNode *n = json_object_get_member (o, member);
  gint64    v;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      if (required)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: field “%s” is missing",
                       label, member);
          return FALSE;
        }
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: field “%s” must be an integer", label, member);
      return FALSE;
    }
  if ((v = json_node_get_int (n)) < min_value)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: field “%s” is %" G_GINT64_FORMAT "; it must be at least %d", label, member,
                   v, min_value);
      return FALSE;
    }
  if (v > (1 << 30))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: field “%s” is %" G_GINT64_FORMAT "; Assay reads models up to %d",
                   label, member, v, 1 << 30);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

static gboolean
get_double (JsonObject *o, const char *member, double fallback, double *out, const char *label,
            GError **error)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64)
      || !isfinite (json_node_get_double (n)) || json_node_get_double (n) <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: field “%s” must be a positive number", label, member);
      return FALSE;
    }
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
parse_rope_scaling (AssayLmConfig *c, JsonObject *o, const char *label, GError **error)
{
  JsonNode   *n = json_object_get_member (o, "rope_scaling");
  JsonObject *rs;
  const char *type;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: field “rope_scaling” must be an object", label);
      return FALSE;
    }
  rs = json_node_get_object (n);
  type = assay_json_get_string (rs, "rope_type", assay_json_get_string (rs, "type", "default"));
  if (g_str_equal (type, "default"))
    return TRUE;
  if (!g_str_equal (type, "llama3") && !g_str_equal (type, "linear"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: rope_scaling type “%s” is not supported (default, linear and llama3 are)",
                   label, type);
      return FALSE;
    }
  c->rope_type = g_strdup (type);
  if (!get_double (rs, "factor", 1.0, &c->rope_factor, label, error))
    return FALSE;
  if (g_str_equal (type, "llama3"))
    {
      if (!get_double (rs, "low_freq_factor", 1.0, &c->rope_low_freq_factor, label, error)
          || !get_double (rs, "high_freq_factor", 4.0, &c->rope_high_freq_factor, label, error)
          || !get_int (rs, "original_max_position_embeddings", FALSE, 8192, 1,
                       &c->rope_original_max, label, error))
        return FALSE;
      if (c->rope_high_freq_factor <= c->rope_low_freq_factor)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: rope_scaling high_freq_factor must exceed low_freq_factor", label);
          return FALSE;
        }
    }
  return TRUE;
}

AssayLmConfig *
assay_lm_config_parse (const char *text, const char *label, GError **error)
{
  g_autoptr (AssayLmConfig) c = g_new0 (AssayLmConfig, 1);
  g_autoptr (GError) local = NULL;
  JsonObject *o = assay_json_object_from_string (text, &local);
  const char *arch = NULL;
  JsonNode   *archs;
  gboolean    ok;

  if (o == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", label, local->message);
      return NULL;
    }
  archs = json_object_get_member (o, "architectures");
  if (archs != NULL && JSON_NODE_HOLDS_ARRAY (archs) && json_array_get_length (json_node_get_array (archs)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (archs), 0);
      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
        arch = json_node_get_string (first);
    }
  if (arch == NULL)
    {
      const char *type = assay_json_get_string (o, "model_type", "");
      arch = g_str_equal (type, "llama") ? "LlamaForCausalLM"
             : g_str_equal (type, "mistral") ? "MistralForCausalLM"
             : g_str_equal (type, "qwen2") ? "Qwen2ForCausalLM"
             : g_str_equal (type, "gpt2")  ? "GPT2LMHeadModel"
             : g_str_equal (type, "bert")  ? "BertModel"
             : g_str_equal (type, "roberta") ? "RobertaModel"
             : g_str_equal (type, "xlm-roberta") ? "XLMRobertaModel"
                                           : NULL;
    }
  if (arch == NULL)
    {
      json_object_unref (o);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: neither “architectures” nor a known “model_type”", label);
      return NULL;
    }
  c->architecture = g_strdup (arch);
  /* the bare models (an embedder such as E5-Mistral or gte-Qwen2 saved without its head) */
  c->no_head = g_str_equal (arch, "LlamaModel") || g_str_equal (arch, "MistralModel") || g_str_equal (arch, "Qwen2Model");
  /* reward models: the decoder without lm_head, and a score head */
  if (g_str_has_suffix (arch, "ForSequenceClassification") && !g_str_has_prefix (arch, "Bert")
      && !g_str_has_prefix (arch, "Roberta") && !g_str_has_prefix (arch, "XLMRoberta"))
    c->reward_head = ASSAY_LM_REWARD_SEQUENCE;
  else if (g_str_equal (arch, "Qwen2ForProcessRewardModel"))
    c->reward_head = ASSAY_LM_REWARD_PROCESS;
  c->no_head |= c->reward_head != ASSAY_LM_REWARD_NONE;
  if (g_str_equal (arch, "LlamaForCausalLM") || g_str_equal (arch, "LlamaModel")
      || g_str_equal (arch, "MistralForCausalLM") || g_str_equal (arch, "MistralModel")
      || g_str_equal (arch, "LlamaForSequenceClassification") || g_str_equal (arch, "MistralForSequenceClassification"))
    c->arch = ASSAY_LM_LLAMA;
  else if (g_str_equal (arch, "Qwen2ForCausalLM") || g_str_equal (arch, "Qwen2Model")
           || g_str_equal (arch, "Qwen2ForSequenceClassification") || g_str_equal (arch, "Qwen2ForProcessRewardModel"))
    c->arch = ASSAY_LM_QWEN2;
  else if (g_str_equal (arch, "GPT2LMHeadModel"))
    c->arch = ASSAY_LM_GPT2;
  /* an encoder with any head (BertForMaskedLM, ...): the head's tensors are not read */
  else if (g_str_has_prefix (arch, "Bert"))
    c->arch = ASSAY_LM_BERT;
  else if (g_str_has_prefix (arch, "Roberta") || g_str_has_prefix (arch, "XLMRoberta"))
    c->arch = ASSAY_LM_ROBERTA;
  else
    {
      json_object_unref (o);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: architecture “%s” is not supported (LlamaForCausalLM, MistralForCausalLM, "
                   "Qwen2ForCausalLM, GPT2LMHeadModel, their bare models, their ForSequenceClassification "
                   "reward models, Qwen2ForProcessRewardModel, BertModel, RobertaModel and "
                   "XLMRobertaModel are)", label,
                   c->architecture);
      return NULL;
    }
  if (json_object_has_member (o, "torch_dtype"))
    c->torch_dtype = g_strdup (assay_json_get_string (o, "torch_dtype", NULL));
  c->bos_token_id = -1;
  {
    JsonNode *bos = json_object_get_member (o, "bos_token_id");
    if (bos != NULL && JSON_NODE_HOLDS_VALUE (bos) && json_node_get_value_type (bos) == G_TYPE_INT64)
      c->bos_token_id = (int) json_node_get_int (bos);
  }
  assay_lm_config_add_eos (c, o);

  if (c->arch == ASSAY_LM_GPT2)
    {
      ok = get_int (o, "n_embd", TRUE, 0, 1, &c->hidden, label, error)
           && get_int (o, "n_layer", TRUE, 0, 1, &c->layers, label, error)
           && get_int (o, "n_head", TRUE, 0, 1, &c->heads, label, error)
           && get_int (o, "vocab_size", TRUE, 0, 1, &c->vocab, label, error)
           && get_int (o, "n_positions", FALSE, 1024, 1, &c->max_positions, label, error)
           && get_int (o, "n_inner", FALSE, 0, 0, &c->inter, label, error)
           && get_double (o, "layer_norm_epsilon", 1e-5, &c->norm_eps, label, error);
      if (ok)
        {
          const char *act = assay_json_get_string (o, "activation_function", "gelu_new");
          if (!g_str_equal (act, "gelu_new") && !g_str_equal (act, "gelu_pytorch_tanh"))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                           "%s: activation_function “%s” is not supported (gelu_new is)", label, act);
              ok = FALSE;
            }
        }
      c->kv_heads = c->heads;
      if (c->inter == 0)
        c->inter = 4 * c->hidden;
      c->tie_embeddings = TRUE;
      c->qkv_bias = TRUE;
    }
  else if (assay_lm_arch_is_encoder (c->arch))
    {
      int pad = 0;
      ok = get_int (o, "hidden_size", TRUE, 0, 1, &c->hidden, label, error)
           && get_int (o, "num_hidden_layers", TRUE, 0, 1, &c->layers, label, error)
           && get_int (o, "num_attention_heads", TRUE, 0, 1, &c->heads, label, error)
           && get_int (o, "intermediate_size", TRUE, 0, 1, &c->inter, label, error)
           && get_int (o, "vocab_size", TRUE, 0, 1, &c->vocab, label, error)
           && get_int (o, "max_position_embeddings", FALSE, 512, 1, &c->max_positions, label, error)
           && get_int (o, "type_vocab_size", FALSE, 2, 1, &c->type_vocab, label, error)
           && get_int (o, "pad_token_id", FALSE, c->arch == ASSAY_LM_ROBERTA ? 1 : 0, 0, &pad, label, error)
           && get_double (o, "layer_norm_eps", 1e-12, &c->norm_eps, label, error);
      if (ok)
        {
          const char *act = assay_json_get_string (o, "hidden_act", "gelu");
          const char *pos = assay_json_get_string (o, "position_embedding_type", "absolute");
          c->gelu_exact = g_str_equal (act, "gelu");
          if (!c->gelu_exact && !g_str_equal (act, "gelu_new") && !g_str_equal (act, "gelu_pytorch_tanh"))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                           "%s: hidden_act “%s” is not supported (gelu and gelu_new are)", label, act);
              ok = FALSE;
            }
          else if (!g_str_equal (pos, "absolute"))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                           "%s: position_embedding_type “%s” is not supported (absolute is)", label, pos);
              ok = FALSE;
            }
        }
      /* RoBERTa numbers positions from padding_idx + 1 (create_position_ids_from_input_ids) */
      c->position_offset = c->arch == ASSAY_LM_ROBERTA ? pad + 1 : 0;
      if (ok && c->position_offset >= c->max_positions)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: pad_token_id %d leaves no positions of %d", label, pad, c->max_positions);
          ok = FALSE;
        }
      c->kv_heads = c->heads;
      c->qkv_bias = TRUE;
    }
  else
    {
      ok = get_int (o, "hidden_size", TRUE, 0, 1, &c->hidden, label, error)
           && get_int (o, "num_hidden_layers", TRUE, 0, 1, &c->layers, label, error)
           && get_int (o, "num_attention_heads", TRUE, 0, 1, &c->heads, label, error)
           && get_int (o, "intermediate_size", TRUE, 0, 1, &c->inter, label, error)
           && get_int (o, "vocab_size", TRUE, 0, 1, &c->vocab, label, error)
           && get_int (o, "num_key_value_heads", FALSE, 0, 0, &c->kv_heads, label, error)
           && get_int (o, "head_dim", FALSE, 0, 0, &c->head_dim, label, error)
           && get_int (o, "max_position_embeddings", FALSE, 2048, 1, &c->max_positions, label, error)
           && get_double (o, "rms_norm_eps", 1e-6, &c->norm_eps, label, error)
           && get_double (o, "rope_theta", 10000.0, &c->rope_theta, label, error)
           && parse_rope_scaling (c, o, label, error);
      if (ok)
        {
          const char *act = assay_json_get_string (o, "hidden_act", "silu");
          if (!g_str_equal (act, "silu"))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                           "%s: hidden_act “%s” is not supported (silu is)", label, act);
              ok = FALSE;
            }
        }
      if (c->kv_heads == 0)
        c->kv_heads = c->heads;
      {
        /* Mistral's sliding window: full attention within it, so no sequence may exceed it */
        JsonNode *sw = json_object_get_member (o, "sliding_window");
        if (ok && sw != NULL && JSON_NODE_HOLDS_VALUE (sw) && json_node_get_value_type (sw) == G_TYPE_INT64
            && json_node_get_int (sw) > 0 && json_node_get_int (sw) < c->max_positions
            && (json_object_get_member (o, "use_sliding_window") == NULL
                || assay_json_get_bool (o, "use_sliding_window", FALSE)
                || g_str_has_prefix (arch, "Mistral")))
          c->max_positions = (int) json_node_get_int (sw);
      }
      c->tie_embeddings = assay_json_get_bool (o, "tie_word_embeddings", FALSE);
      /* a classification head's outputs: num_labels, else the labels named, else Hugging
       * Face's default of 2; a process reward model's are two (wrong, right) */
      if (c->reward_head == ASSAY_LM_REWARD_SEQUENCE)
        {
          JsonNode *labels = json_object_get_member (o, "id2label");
          c->num_labels = (int) assay_json_get_int (o, "num_labels",
                                                    labels != NULL && JSON_NODE_HOLDS_OBJECT (labels)
                                                      ? json_object_get_size (json_node_get_object (labels)) : 2);
          if (ok && (c->num_labels < 1 || c->num_labels > 1024))
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %d labels (1 to 1024 are possible)", label,
                           c->num_labels);
              ok = FALSE;
            }
        }
      else if (c->reward_head == ASSAY_LM_REWARD_PROCESS)
        c->num_labels = 2;
      c->qkv_bias = c->arch == ASSAY_LM_QWEN2 || assay_json_get_bool (o, "attention_bias", FALSE);
      if (ok && (assay_json_get_bool (o, "mlp_bias", FALSE)))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: mlp_bias is not supported", label);
          ok = FALSE;
        }
    }
  json_object_unref (o);
  if (!ok)
    return NULL;
  if (c->head_dim == 0)
    {
      if (c->hidden % c->heads != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: hidden size %d is not a multiple of %d heads", label, c->hidden, c->heads);
          return NULL;
        }
      c->head_dim = c->hidden / c->heads;
    }
  if (c->heads % c->kv_heads != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: %d attention heads cannot share %d key/value heads", label, c->heads, c->kv_heads);
      return NULL;
    }
  if ((c->arch == ASSAY_LM_LLAMA || c->arch == ASSAY_LM_QWEN2) && c->head_dim % 2 != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: head_dim %d must be even for rotary embeddings", label, c->head_dim);
      return NULL;
    }
  return g_steal_pointer (&c);
}

AssayLmConfig *
assay_lm_config_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, ASSAY_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? ASSAY_ERROR_NOT_FOUND
                                                                           : ASSAY_ERROR_FAILED,
                   "%s", local->message);
      return NULL;
    }
  return assay_lm_config_parse (text, path, error);
}

float *
assay_lm_config_inv_freq (const AssayLmConfig *c)
{
  int    half = c->head_dim / 2;
  float *f = g_new (float, half > 0 ? half : 1);

  for (int i = 0; i < half; i++)
    {
      /* Hugging Face: 1 / theta^(arange(0, dim, 2) / dim), in float32 */
      double inv = 1.0 / pow (c->rope_theta, (double) (2 * i) / c->head_dim);
      if (c->rope_type != NULL && g_str_equal (c->rope_type, "linear"))
        inv /= c->rope_factor;
      else if (c->rope_type != NULL && g_str_equal (c->rope_type, "llama3"))
        {
          double low_wavelen = c->rope_original_max / c->rope_low_freq_factor;
          double high_wavelen = c->rope_original_max / c->rope_high_freq_factor;
          double wavelen = 2.0 * G_PI / inv;
          if (wavelen > low_wavelen)
            inv = inv / c->rope_factor;
          else if (wavelen >= high_wavelen)
            {
              double smooth = (c->rope_original_max / wavelen - c->rope_low_freq_factor)
                              / (c->rope_high_freq_factor - c->rope_low_freq_factor);
              inv = (1.0 - smooth) * inv / c->rope_factor + smooth * inv;
            }
        }
      f[i] = (float) inv;
    }
  return f;
}
