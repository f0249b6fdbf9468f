/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-train-model.c: see assay-train-model.h. A linear y = x W^T (+ b) with W [out, in] has
 * dx = dy W, dW += dy^T x, db += the column sums of dy; the rest are the backend's gradients. */
#include "assay-train-model.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-lm-config.h"
#include "assay-atomic-file.h"
#include "assay-json.h"
#include "assay-output-loss.h"
#include "assay-safetensors-writer.h"
#include "assay-safetensors.h"

typedef struct
{
  char    *name;
  int      rows, cols; /* cols 0: a vector of rows values */
  float   *w, *g;      /* g: NULL while the parameter is frozen */
  gboolean decays;
  gboolean lora;       /* an adapter's A or B (saved apart, in PEFT's names) */
} Param;

enum
{
  P_LN1,
  P_Q,
  P_K,
  P_V,
  P_QB,
  P_KB,
  P_VB,
  P_O,
  P_LN2,
  P_GATE,
  P_UP,
  P_DOWN,
  P_LAYER
};

/* GPT-2's layer (Conv1D weights stored [in, out]), in the same number of slots */
enum
{
  G_LN1W,
  G_LN1B,
  G_ATTN_W,
  G_ATTN_B,
  G_PROJ_W,
  G_PROJ_B,
  G_LN2W,
  G_LN2B,
  G_FC_W,
  G_FC_B,
  G_OUT_W,
  G_OUT_B,
  G_LAYER
};
G_STATIC_ASSERT ((int) G_LAYER == (int) P_LAYER);

/* The module each adaptable slot is, under model.layers.N. */
static const char *const slot_module[P_LAYER] = {
  [P_Q] = "self_attn.q_proj", [P_K] = "self_attn.k_proj", [P_V] = "self_attn.v_proj",
  [P_O] = "self_attn.o_proj", [P_GATE] = "mlp.gate_proj", [P_UP] = "mlp.up_proj", [P_DOWN] = "mlp.down_proj",
};

/* GPT-2's, under transformer.h.N (PEFT's "c_proj" is both projections) */
static const char *const gpt2_slot_module[G_LAYER] = {
  [G_ATTN_W] = "attn.c_attn", [G_PROJ_W] = "attn.c_proj", [G_FC_W] = "mlp.c_fc", [G_OUT_W] = "mlp.c_proj",
};


/* One layer's activations, computed in the forward pass and again in the backward pass; with
 * LoRA also each adapted linear's x A^T (u) and its input after dropout (xd, when dropout). */
typedef struct
{
  float *xn1, *qkv, *att, *mid, *xn2, *gu, *act;
  float *u[P_LAYER], *xd[P_LAYER];
} Acts;

struct _AssayTrainModel
{
  char          *dir;     /* the folder it came from */
  AssayBackend  *b;
  AssayLmConfig  c;
  GArray        *params;  /* Param */
  int           *layer;   /* layers x P_LAYER indices into params (-1: absent) */
  int            embed, norm, head;
  gboolean       gpt2;
  int            positions, norm_b; /* GPT-2: wpe and ln_f's bias */
  float         *inv_freq;
  int           *lora;    /* layers x P_LAYER: index of the slot's adapter A (B follows), or -1 */
  AssayLoraOptions lora_options;
  guint64        dropout_seed;
};

#define P(self, i) (&g_array_index ((self)->params, Param, (i)))

void
assay_train_model_free (AssayTrainModel *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->params->len; i++)
    {
      g_free (P (self, i)->name);
      g_free (P (self, i)->w);
      g_free (P (self, i)->g);
    }
  g_array_unref (self->params);
  g_free (self->dir);
  g_free (self->layer);
  g_free (self->lora);
  g_strfreev (self->lora_options.targets);
  g_free (self->inv_freq);
  g_free (self);
}

static float
element (const AssaySafetensor *t, gsize i)
{
  guint16 h;
  float   f;

  switch (t->type)
    {
    case ASSAY_ST_F32: memcpy (&f, t->data + 4 * i, 4); return f;
    case ASSAY_ST_F16: memcpy (&h, t->data + 2 * i, 2); return assay_f16_to_f32 (h);
    case ASSAY_ST_BF16: memcpy (&h, t->data + 2 * i, 2); return assay_bf16_to_f32 (h);
    default: return NAN;
    }
}

/* Adds parameter name (rows x cols) read from the files; returns its index, or -1 with error. */
static int
add (AssayTrainModel *self, AssaySafetensors *files, const char *dir, const char *name, int rows, int cols,
     GError **error)
{
  const AssaySafetensor *t = assay_safetensors_get (files, name);
  gsize                  n = (gsize) rows * MAX (cols, 1);
  Param                  p = { 0 };

  if (t == NULL || t->n_elements != (gint64) n
      || (t->type != ASSAY_ST_F32 && t->type != ASSAY_ST_F16 && t->type != ASSAY_ST_BF16))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: tensor “%s” is missing, not %d x %d or not floating point", dir, name, rows, cols);
      return -1;
    }
  p.name = g_strdup (name);
  p.rows = rows;
  p.cols = cols;
  p.w = g_new (float, n);
  p.g = g_new0 (float, n);
  p.decays = cols > 0;
  p.lora = FALSE;
  for (gsize i = 0; i < n; i++)
    p.w[i] = element (t, i);
  g_array_append_val (self->params, p);
  return (int) self->params->len - 1;
}

/* GPT-2: wte, wpe, per layer ln_1, c_attn, c_proj, ln_2, c_fc, c_proj (Conv1D: [in, out]),
 * ln_f; the head is wte. */
static AssayTrainModel *
load_gpt2 (AssayTrainModel *self_in, AssaySafetensors *files, GError **error)
{
  g_autoptr (AssayTrainModel) self = self_in;
  const AssayLmConfig *c = &self->c;
  const char          *dir = self->dir;
  const char          *p = assay_safetensors_get (files, "transformer.wte.weight") != NULL ? "transformer." : "";
  int                  H = c->hidden, I = c->inter, V = c->vocab;
  g_autofree char     *wte = g_strdup_printf ("%swte.weight", p), *wpe = g_strdup_printf ("%swpe.weight", p);
  g_autofree char     *lnf = g_strdup_printf ("%sln_f.weight", p), *lnfb = g_strdup_printf ("%sln_f.bias", p);

  self->gpt2 = TRUE;
  if ((self->embed = add (self, files, dir, wte, V, H, error)) < 0
      || (self->positions = add (self, files, dir, wpe, c->max_positions, H, error)) < 0)
    return NULL;
  for (int l = 0; l < c->layers; l++)
    {
      int *L = self->layer + (gsize) l * P_LAYER;
      struct { int slot; const char *name; int rows, cols; } t[] = {
        { G_LN1W, "ln_1.weight", H, 0 }, { G_LN1B, "ln_1.bias", H, 0 },
        { G_ATTN_W, "attn.c_attn.weight", H, 3 * H }, { G_ATTN_B, "attn.c_attn.bias", 3 * H, 0 },
        { G_PROJ_W, "attn.c_proj.weight", H, H }, { G_PROJ_B, "attn.c_proj.bias", H, 0 },
        { G_LN2W, "ln_2.weight", H, 0 }, { G_LN2B, "ln_2.bias", H, 0 },
        { G_FC_W, "mlp.c_fc.weight", H, I }, { G_FC_B, "mlp.c_fc.bias", I, 0 },
        { G_OUT_W, "mlp.c_proj.weight", I, H }, { G_OUT_B, "mlp.c_proj.bias", H, 0 },
      };
      for (guint i = 0; i < G_N_ELEMENTS (t); i++)
        {
          g_autofree char *name = g_strdup_printf ("%sh.%d.%s", p, l, t[i].name);
          if ((L[t[i].slot] = add (self, files, dir, name, t[i].rows, t[i].cols, error)) < 0)
            return NULL;
        }
      /* (biases decay no more than norms) */
      for (guint i = 0; i < G_N_ELEMENTS (t); i++)
        if (t[i].cols == 0)
          P (self, L[t[i].slot])->decays = FALSE;
    }
  if ((self->norm = add (self, files, dir, lnf, H, 0, error)) < 0 || (self->norm_b = add (self, files, dir, lnfb, H, 0, error)) < 0)
    return NULL;
  self->head = self->embed;
  return g_steal_pointer (&self);
}

AssayTrainModel *
assay_train_model_new (AssayLmModel *model, AssayBackend *backend, GError **error)
{
  g_autoptr (AssayTrainModel) self = g_new0 (AssayTrainModel, 1);
  const AssayLmConfig *c = assay_lm_model_config (model);
  const char          *dir = assay_lm_model_dir (model);
  g_autoptr (AssaySafetensors) files = NULL;
  int                  H, Q, K, I, V;

  self->params = g_array_new (FALSE, FALSE, sizeof (Param));
  if ((c->arch != ASSAY_LM_LLAMA && c->arch != ASSAY_LM_QWEN2 && c->arch != ASSAY_LM_GPT2) || c->no_head)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: training takes a Llama, Qwen2, Mistral or GPT-2 model with its language-model head "
                   "(not an encoder or a bare LlamaModel)", dir);
      return NULL;
    }
  if (assay_backend_kind (backend) != ASSAY_BACKEND_CPU)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "training runs on the CPU for now (not %s)",
                   assay_backend_describe (backend));
      return NULL;
    }
  if ((files = assay_safetensors_open_dir (dir, error)) == NULL)
    return NULL;
  self->b = backend;
  self->dir = g_strdup (dir);
  self->c = *c;
  self->inv_freq = assay_lm_config_inv_freq (c);
  H = c->hidden, Q = c->heads * c->head_dim, K = c->kv_heads * c->head_dim, I = c->inter, V = c->vocab;
  self->layer = g_new (int, (gsize) c->layers * P_LAYER);
  if (c->arch == ASSAY_LM_GPT2)
    return load_gpt2 (g_steal_pointer (&self), files, error);
  if ((self->embed = add (self, files, dir, "model.embed_tokens.weight", V, H, error)) < 0)
    return NULL;
  for (int l = 0; l < c->layers; l++)
    {
      int *L = self->layer + (gsize) l * P_LAYER;
      struct { int slot; const char *name; int rows, cols; gboolean want; } t[] = {
        { P_LN1, "input_layernorm.weight", H, 0, TRUE },
        { P_Q, "self_attn.q_proj.weight", Q, H, TRUE },
        { P_K, "self_attn.k_proj.weight", K, H, TRUE },
        { P_V, "self_attn.v_proj.weight", K, H, TRUE },
        { P_QB, "self_attn.q_proj.bias", Q, 0, c->qkv_bias },
        { P_KB, "self_attn.k_proj.bias", K, 0, c->qkv_bias },
        { P_VB, "self_attn.v_proj.bias", K, 0, c->qkv_bias },
        { P_O, "self_attn.o_proj.weight", H, Q, TRUE },
        { P_LN2, "post_attention_layernorm.weight", H, 0, TRUE },
        { P_GATE, "mlp.gate_proj.weight", I, H, TRUE },
        { P_UP, "mlp.up_proj.weight", I, H, TRUE },
        { P_DOWN, "mlp.down_proj.weight", H, I, TRUE },
      };
      for (guint i = 0; i < G_N_ELEMENTS (t); i++)
        {
          g_autofree char *name = g_strdup_printf ("model.layers.%d.%s", l, t[i].name);
          L[t[i].slot] = -1;
          if (t[i].want && (L[t[i].slot] = add (self, files, dir, name, t[i].rows, t[i].cols, error)) < 0)
            return NULL;
        }
    }
  if ((self->norm = add (self, files, dir, "model.norm.weight", H, 0, error)) < 0)
    return NULL;
  if (c->tie_embeddings || assay_safetensors_get (files, "lm_head.weight") == NULL)
    self->head = self->embed;
  else if ((self->head = add (self, files, dir, "lm_head.weight", V, H, error)) < 0)
    return NULL;
  return g_steal_pointer (&self);
}

/* Whether target (a module's name or its last parts, as PEFT's target_modules) names module. */
static gboolean
target_matches (const char *module, const char *target)
{
  gsize m = strlen (module), t = strlen (target);
  return t > 0 && t <= m && strcmp (module + m - t, target) == 0 && (t == m || module[m - t - 1] == '.');
}

gboolean
assay_train_model_add_lora (AssayTrainModel *self, const AssayLoraOptions *o, GError **error)
{
  static const char *const all[] = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", NULL };
  static const char *const gpt2_all[] = { "c_attn", "c_proj", "c_fc", NULL };
  const char *const *modules = self->gpt2 ? gpt2_slot_module : slot_module;
  const char *const *targets = o->targets != NULL ? (const char *const *) o->targets : self->gpt2 ? gpt2_all : all;
  g_autoptr (GRand) rng = g_rand_new_with_seed (o->seed);
  gboolean          want[P_LAYER] = { FALSE };

  if (self->lora != NULL || o->rank < 1 || !(o->alpha > 0) || !isfinite (o->alpha) || !(o->dropout >= 0)
      || o->dropout >= 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "LoRA: rank ≥ 1, a finite alpha > 0 and dropout in [0, 1), once");
      return FALSE;
    }
  if (targets[0] == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "LoRA: no target module given");
      return FALSE;
    }
  for (guint i = 0; targets[i] != NULL; i++)
    {
      gboolean known = FALSE;
      for (int slot = 0; slot < P_LAYER; slot++)
        if (modules[slot] != NULL && target_matches (modules[slot], targets[i]))
          known = want[slot] = TRUE;
      if (!known)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "LoRA target “%s” is none of %s", targets[i],
                       self->gpt2 ? "c_attn, c_proj, c_fc (GPT-2's modules)"
                                  : "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
          return FALSE;
        }
    }
  /* a rank beyond the narrower side of an adapted weight adds nothing but memory */
  for (int slot = 0; slot < P_LAYER; slot++)
    if (want[slot])
      {
        const Param *base = P (self, self->layer[slot]);
        int          narrow = MIN (base->rows, base->cols);
        if (o->rank > narrow)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         "LoRA rank %d is larger than %s allows (its weight is %d x %d: a rank of %d at most)",
                         o->rank, modules[slot], base->rows, base->cols, narrow);
            return FALSE;
          }
      }
  /* the base model is frozen */
  for (guint i = 0; i < self->params->len; i++)
    g_clear_pointer (&P (self, i)->g, g_free);
  self->lora_options = *o;
  {
    /* the targets as given, each once */
    GPtrArray *unique = g_ptr_array_new ();
    for (guint i = 0; targets[i] != NULL; i++)
      {
        gboolean seen = FALSE;
        for (guint k = 0; k < unique->len && !seen; k++)
          seen = g_str_equal (g_ptr_array_index (unique, k), targets[i]);
        if (!seen)
          g_ptr_array_add (unique, g_strdup (targets[i]));
      }
    g_ptr_array_add (unique, NULL);
    self->lora_options.targets = (char **) g_ptr_array_free (unique, FALSE);
  }
  self->lora = g_new (int, (gsize) self->c.layers * P_LAYER);
  for (int l = 0; l < self->c.layers; l++)
    for (int slot = 0; slot < P_LAYER; slot++)
      {
        const Param *base;
        Param        a = { 0 }, b = { 0 };
        int          in, out;
        double       bound;

        self->lora[(gsize) l * P_LAYER + slot] = -1;
        if (!want[slot])
          continue;
        /* a Linear's weight is [out, in], a Conv1D's [in, out]; A is [r, in] and B [out, r] in both */
        base = P (self, self->layer[(gsize) l * P_LAYER + slot]);
        in = self->gpt2 ? base->rows : base->cols;
        out = self->gpt2 ? base->cols : base->rows;
        bound = 1.0 / sqrt ((double) in);
        a.name = self->gpt2 ? g_strdup_printf ("transformer.h.%d.%s.lora_A.weight", l, modules[slot])
                            : g_strdup_printf ("model.layers.%d.%s.lora_A.weight", l, modules[slot]);
        a.rows = o->rank;
        a.cols = in;
        a.w = g_new (float, (gsize) a.rows * a.cols);
        for (gsize i = 0; i < (gsize) a.rows * a.cols; i++)
          a.w[i] = (float) g_rand_double_range (rng, -bound, bound);
        a.g = g_new0 (float, (gsize) a.rows * a.cols);
        a.decays = a.lora = TRUE;
        b.name = self->gpt2 ? g_strdup_printf ("transformer.h.%d.%s.lora_B.weight", l, modules[slot])
                            : g_strdup_printf ("model.layers.%d.%s.lora_B.weight", l, modules[slot]);
        b.rows = out;
        b.cols = o->rank;
        b.w = g_new0 (float, (gsize) b.rows * b.cols);
        b.g = g_new0 (float, (gsize) b.rows * b.cols);
        b.decays = b.lora = TRUE;
        self->lora[(gsize) l * P_LAYER + slot] = (int) self->params->len;
        g_array_append_val (self->params, a);
        g_array_append_val (self->params, b);
      }
  return TRUE;
}

gboolean
assay_train_model_has_lora (AssayTrainModel *self)
{
  return self->lora != NULL;
}

gboolean
assay_train_model_param_trainable (AssayTrainModel *self, guint i)
{
  return P (self, i)->g != NULL;
}

void
assay_train_model_register (AssayTrainModel *self, AssayAdamW *opt)
{
  for (guint i = 0; i < self->params->len; i++)
    if (P (self, i)->g != NULL)
      assay_adamw_add (opt, P (self, i)->w, P (self, i)->g, (gsize) P (self, i)->rows * MAX (P (self, i)->cols, 1),
                       P (self, i)->decays);
}

void
assay_train_model_set_dropout_seed (AssayTrainModel *self, guint64 seed)
{
  self->dropout_seed = seed;
}

guint
assay_train_model_n_params (AssayTrainModel *self)
{
  return self->params->len;
}

const char *
assay_train_model_param_name (AssayTrainModel *self, guint i)
{
  return P (self, i)->name;
}

float *
assay_train_model_param (AssayTrainModel *self, guint i, gsize *n)
{
  if (n != NULL)
    *n = (gsize) P (self, i)->rows * MAX (P (self, i)->cols, 1);
  return P (self, i)->w;
}

float *
assay_train_model_grad (AssayTrainModel *self, guint i)
{
  return P (self, i)->g;
}

gboolean
assay_train_model_param_decays (AssayTrainModel *self, guint i)
{
  return P (self, i)->decays;
}

void
assay_train_model_param_shape (AssayTrainModel *self, guint i, int *rows, int *cols)
{
  *rows = P (self, i)->rows;
  *cols = P (self, i)->cols;
}

/* ---- the pass ---- */

typedef struct
{
  AssayTrainModel *self;
  int              T;
  const int       *offsets;
  int              n_seqs;
  int             *pos;
  float           *scratch; /* the attention's (forward or backward, the larger) */
  GError         **error;
} Pass;

#define W(i)  (P (self, i)->w)
#define G(i)  (P (self, i)->g)
#define TRY(call, what)                                                                            \
  do                                                                                               \
    {                                                                                              \
      if ((call) != 0)                                                                             \
        {                                                                                          \
          g_set_error (pass->error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "training %s: %s", what,      \
                       assay_backend_last_error (self->b));                                        \
          return FALSE;                                                                            \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* y (+)= x W^T for x [T, in] (stride ldx) and W [out, in], into y (stride ldy). */
static int
linear (AssayBackend *b, const float *x, int T, int in, int ldx, const float *w, int out, float beta, float *y,
        int ldy)
{
  return assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_T, T, out, in, 1.0f, x, ldx, w, in, beta, y, ldy);
}

static void
add_bias (float *y, int T, int ld, const float *bias, int n)
{
  for (int t = 0; t < T; t++)
    for (int j = 0; j < n; j++)
      y[(gsize) t * ld + j] += bias[j];
}

static void
bias_backward (const float *dy, int T, int ld, float *gb, int n)
{
  for (int j = 0; j < n; j++)
    {
      double s = 0.0;
      for (int t = 0; t < T; t++)
        s += dy[(gsize) t * ld + j];
      gb[j] += (float) s;
    }
}

/* A uniform double in [0, 1) from a 64-bit key (splitmix64's finaliser). */
static double
hash01 (guint64 x)
{
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return (double) (x >> 11) * (1.0 / 9007199254740992.0);
}

/* y += LoRA's s (dropout(x) A^T) B^T for the adapter of slot in layer l, if it has one (x [T, in],
 * y [T, out] of stride ldy); keeps dropout(x) and x A^T in a for the backward pass. */
static gboolean
lora_forward (Pass *pass, int l, int slot, const float *x, int in, int out, float *y, int ldy, Acts *a)
{
  AssayTrainModel *self = pass->self;
  int              T = pass->T, A;
  AssayBackend    *b = self->b;

  if (self->lora == NULL || (A = self->lora[(gsize) l * P_LAYER + slot]) < 0)
    return TRUE;
  {
    int          r = self->lora_options.rank;
    float        scale = (float) (self->lora_options.alpha / r);
    double       p = self->lora_options.dropout;
    const float *xd = x;

    if (p > 0)
      {
        guint64 key = self->dropout_seed * 1000003ULL + (guint64) l * P_LAYER + (guint64) slot;
        float   keep = (float) (1.0 / (1.0 - p));
        for (gsize i = 0; i < (gsize) T * in; i++)
          a->xd[slot][i] = hash01 (key * 0x100000001B3ULL ^ i) < p ? 0.0f : x[i] * keep;
        xd = a->xd[slot];
      }
    TRY (linear (b, xd, T, in, in, W (A), r, 0.0f, a->u[slot], r), "lora A");
    TRY (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_T, T, out, r, scale, a->u[slot], r, W (A + 1), r, 1.0f, y,
                              ldy),
         "lora B");
  }
  return TRUE;
}

/* The gradients of lora_forward(): dA, dB, and dx += the adapter's part (dx [T, in]). */
static gboolean
lora_backward (Pass *pass, int l, int slot, const float *x, int in, int out, const float *dy, int lddy, float *dx,
               Acts *a, Acts *d)
{
  AssayTrainModel *self = pass->self;
  int              T = pass->T, A;
  AssayBackend    *b = self->b;

  if (self->lora == NULL || (A = self->lora[(gsize) l * P_LAYER + slot]) < 0)
    return TRUE;
  {
    int          r = self->lora_options.rank;
    float        scale = (float) (self->lora_options.alpha / r);
    const float *xd = self->lora_options.dropout > 0 ? a->xd[slot] : x;
    float       *v = d->u[slot]; /* dy B, T x r */

    /* dB += s dy^T u;  v = dy B;  dA += s v^T xd;  dxd = s v A, through the dropout's mask */
    TRY (assay_backend_sgemm (b, ASSAY_TRANS_T, ASSAY_TRANS_N, out, r, T, scale, dy, lddy, a->u[slot], r, 1.0f,
                              G (A + 1), r),
         "lora B");
    TRY (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_N, T, r, out, 1.0f, dy, lddy, W (A + 1), r, 0.0f, v, r),
         "lora B");
    TRY (assay_backend_sgemm (b, ASSAY_TRANS_T, ASSAY_TRANS_N, r, in, T, scale, v, r, xd, in, 1.0f, G (A), in),
         "lora A");
    if (self->lora_options.dropout <= 0)
      TRY (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_N, T, in, r, scale, v, r, W (A), in, 1.0f, dx, in),
           "lora A");
    else
      {
        /* xd = x * mask / (1 - p): the gradient passes where xd kept x, scaled alike */
        float *tmp = d->xd[slot];
        float  keep = (float) (1.0 / (1.0 - self->lora_options.dropout));
        TRY (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_N, T, in, r, scale, v, r, W (A), in, 0.0f, tmp, in),
             "lora A");
        for (gsize i = 0; i < (gsize) T * in; i++)
          if (xd[i] != 0.0f || x[i] == 0.0f)
            dx[i] += tmp[i] * keep;
      }
  }
  return TRUE;
}

/* y (+= when beta 1) x W^T (+ LoRA's part) for the linear of slot in layer l. */
static gboolean
lin (Pass *pass, int l, int slot, const float *x, int in, float *y, int ldy, float beta, Acts *a)
{
  AssayTrainModel *self = pass->self;
  const int       *L = self->layer + (gsize) l * P_LAYER;
  int              T = pass->T, out = P (self, L[slot])->rows;

  TRY (linear (self->b, x, T, in, in, W (L[slot]), out, beta, y, ldy), slot_module[slot]);
  return lora_forward (pass, l, slot, x, in, out, y, ldy, a);
}

/* The gradients of lin(): dx (+= when beta 1) dy W (+ LoRA's part), dW (unless frozen), dA, dB. */
static gboolean
lin_back (Pass *pass, int l, int slot, const float *x, int in, const float *dy, int lddy, float beta, float *dx,
          Acts *a, Acts *d)
{
  AssayTrainModel *self = pass->self;
  const int       *L = self->layer + (gsize) l * P_LAYER;
  int              T = pass->T, out = P (self, L[slot])->rows;
  AssayBackend    *b = self->b;

  TRY (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_N, T, in, out, 1.0f, dy, lddy, W (L[slot]), in, beta, dx, in),
       slot_module[slot]);
  if (G (L[slot]) != NULL)
    TRY (assay_backend_sgemm (b, ASSAY_TRANS_T, ASSAY_TRANS_N, out, in, T, 1.0f, dy, lddy, x, in, 1.0f, G (L[slot]),
                              in),
         slot_module[slot]);
  return lora_backward (pass, l, slot, x, in, out, dy, lddy, dx, a, d);
}

/* Layer l from its input x_in to its output x_out, keeping the activations; x_out NULL: only the
 * activations (the backward pass needs no output). */
static gboolean
layer_forward (Pass *pass, int l, const float *x_in, float *x_out, Acts *a)
{
  AssayTrainModel     *self = pass->self;
  const AssayLmConfig *c = &self->c;
  const int           *L = self->layer + (gsize) l * P_LAYER;
  int                  T = pass->T, H = c->hidden, hd = c->head_dim, Q = c->heads * hd, K = c->kv_heads * hd;
  int                  D = Q + 2 * K, I = c->inter;
  float                eps = (float) c->norm_eps;
  AssayBackend        *b = self->b;

  TRY (assay_backend_rmsnorm (b, x_in, W (L[P_LN1]), a->xn1, T, H, eps), "input norm");
  if (!lin (pass, l, P_Q, a->xn1, H, a->qkv, D, 0.0f, a) || !lin (pass, l, P_K, a->xn1, H, a->qkv + Q, D, 0.0f, a)
      || !lin (pass, l, P_V, a->xn1, H, a->qkv + Q + K, D, 0.0f, a))
    return FALSE;
  if (L[P_QB] >= 0)
    {
      add_bias (a->qkv, T, D, W (L[P_QB]), Q);
      add_bias (a->qkv + Q, T, D, W (L[P_KB]), K);
      add_bias (a->qkv + Q + K, T, D, W (L[P_VB]), K);
    }
  TRY (assay_backend_rope (b, a->qkv, T, D, c->heads, hd, pass->pos, self->inv_freq), "rope");
  TRY (assay_backend_rope (b, a->qkv + Q, T, D, c->kv_heads, hd, pass->pos, self->inv_freq), "rope");
  TRY (assay_backend_attention (b, a->qkv, a->qkv + Q, a->qkv + Q + K, D, a->att, Q, pass->offsets, pass->n_seqs,
                                c->heads, c->kv_heads, hd, (float) (1.0 / sqrt ((double) hd)), pass->scratch),
       "attention");
  memcpy (a->mid, x_in, (gsize) T * H * sizeof (float));
  if (!lin (pass, l, P_O, a->att, Q, a->mid, H, 1.0f, a))
    return FALSE;
  TRY (assay_backend_rmsnorm (b, a->mid, W (L[P_LN2]), a->xn2, T, H, eps), "post-attention norm");
  if (!lin (pass, l, P_GATE, a->xn2, H, a->gu, 2 * I, 0.0f, a) || !lin (pass, l, P_UP, a->xn2, H, a->gu + I, 2 * I, 0.0f, a))
    return FALSE;
  TRY (assay_backend_swiglu (b, a->gu, T, I, a->act), "swiglu");
  if (x_out == NULL)
    {
      /* (the backward pass still needs down's adapter input) */
      if (self->lora != NULL && self->lora[(gsize) l * P_LAYER + P_DOWN] >= 0)
        {
          g_autofree float *scratch = g_new0 (float, (gsize) T * H); /* (only the adapter's part) */
          return lora_forward (pass, l, P_DOWN, a->act, I, H, scratch, H, a);
        }
      return TRUE;
    }
  memcpy (x_out, a->mid, (gsize) T * H * sizeof (float));
  return lin (pass, l, P_DOWN, a->act, I, x_out, H, 1.0f, a);
}

/* Given dx, the gradient of layer l's output, and its activations (a, from x_in): the layer's
 * parameter gradients, and dx becomes the gradient of its input. */
static gboolean
layer_backward (Pass *pass, int l, const float *x_in, Acts *a, float *dx, Acts *d)
{
  AssayTrainModel     *self = pass->self;
  const AssayLmConfig *c = &self->c;
  const int           *L = self->layer + (gsize) l * P_LAYER;
  int                  T = pass->T, H = c->hidden, hd = c->head_dim, Q = c->heads * hd, K = c->kv_heads * hd;
  int                  D = Q + 2 * K, I = c->inter;
  float                eps = (float) c->norm_eps;
  AssayBackend        *b = self->b;
  gsize                TH = (gsize) T * H;

  /* MLP: x_out = mid + down(swiglu(gate(xn2), up(xn2))) */
  if (!lin_back (pass, l, P_DOWN, a->act, I, dx, H, 0.0f, d->act, a, d))
    return FALSE;
  TRY (assay_backend_swiglu_backward (b, a->gu, d->act, T, I, d->gu), "swiglu");
  if (!lin_back (pass, l, P_GATE, a->xn2, H, d->gu, 2 * I, 0.0f, d->xn2, a, d)
      || !lin_back (pass, l, P_UP, a->xn2, H, d->gu + I, 2 * I, 1.0f, d->xn2, a, d))
    return FALSE;
  TRY (assay_backend_rmsnorm_backward (b, a->mid, W (L[P_LN2]), d->xn2, T, H, eps, d->mid, G (L[P_LN2])),
       "post-attention norm");
  for (gsize i = 0; i < TH; i++)
    d->mid[i] += dx[i];
  /* attention: mid = x_in + o(attention(rope(q), rope(k), v)) */
  if (!lin_back (pass, l, P_O, a->att, Q, d->mid, H, 0.0f, d->att, a, d))
    return FALSE;
  TRY (assay_backend_attention_backward (b, a->qkv, a->qkv + Q, a->qkv + Q + K, D, d->att, Q, d->qkv, d->qkv + Q,
                                         d->qkv + Q + K, pass->offsets, pass->n_seqs, c->heads, c->kv_heads, hd,
                                         (float) (1.0 / sqrt ((double) hd)), TRUE, pass->scratch),
       "attention");
  TRY (assay_backend_rope_backward (b, d->qkv, T, D, c->heads, hd, pass->pos, self->inv_freq), "rope");
  TRY (assay_backend_rope_backward (b, d->qkv + Q, T, D, c->kv_heads, hd, pass->pos, self->inv_freq), "rope");
  if (L[P_QB] >= 0 && G (L[P_QB]) != NULL)
    {
      bias_backward (d->qkv, T, D, G (L[P_QB]), Q);
      bias_backward (d->qkv + Q, T, D, G (L[P_KB]), K);
      bias_backward (d->qkv + Q + K, T, D, G (L[P_VB]), K);
    }
  if (!lin_back (pass, l, P_Q, a->xn1, H, d->qkv, D, 0.0f, d->xn1, a, d)
      || !lin_back (pass, l, P_K, a->xn1, H, d->qkv + Q, D, 1.0f, d->xn1, a, d)
      || !lin_back (pass, l, P_V, a->xn1, H, d->qkv + Q + K, D, 1.0f, d->xn1, a, d))
    return FALSE;
  TRY (assay_backend_rmsnorm_backward (b, x_in, W (L[P_LN1]), d->xn1, T, H, eps, dx, G (L[P_LN1])), "input norm");
  for (gsize i = 0; i < TH; i++)
    dx[i] += d->mid[i];
  return TRUE;
}

/* GPT-2's Conv1D of slot (bias slot + 1) in layer l: y (+)= x W + b (+ LoRA's part) for W [in, out]. */
static gboolean
conv1d (Pass *pass, int l, int slot, const float *x, int in, int out, float beta, float *y, Acts *a)
{
  AssayTrainModel *self = pass->self;
  const int       *L = self->layer + (gsize) l * P_LAYER;
  int              T = pass->T;

  TRY (assay_backend_sgemm (self->b, ASSAY_TRANS_N, ASSAY_TRANS_N, T, out, in, 1.0f, x, in, W (L[slot]), out, beta, y,
                            out),
       gpt2_slot_module[slot]);
  add_bias (y, T, out, W (L[slot + 1]), out);
  return lora_forward (pass, l, slot, x, in, out, y, out, a);
}

/* Its gradients: dx = dy W^T (+ LoRA's part), dW += x^T dy, db += the column sums of dy (unless
 * frozen), dA, dB. */
static gboolean
conv1d_backward (Pass *pass, int l, int slot, const float *x, int in, int out, const float *dy, float *dx, Acts *a,
                 Acts *d)
{
  AssayTrainModel *self = pass->self;
  const int       *L = self->layer + (gsize) l * P_LAYER;
  int              T = pass->T;

  TRY (assay_backend_sgemm (self->b, ASSAY_TRANS_N, ASSAY_TRANS_T, T, in, out, 1.0f, dy, out, W (L[slot]), out, 0.0f,
                            dx, in),
       gpt2_slot_module[slot]);
  if (G (L[slot]) != NULL)
    TRY (assay_backend_sgemm (self->b, ASSAY_TRANS_T, ASSAY_TRANS_N, in, out, T, 1.0f, x, in, dy, out, 1.0f,
                              G (L[slot]), out),
         gpt2_slot_module[slot]);
  if (G (L[slot + 1]) != NULL)
    bias_backward (dy, T, out, G (L[slot + 1]), out);
  return lora_backward (pass, l, slot, x, in, out, dy, out, dx, a, d);
}

/* GPT-2's layer: x += c_proj(attention(c_attn(ln_1(x)))); x += c_proj(gelu_new(c_fc(ln_2(x)))).
 * The activations: xn1, qkv, att, mid, xn2, gu (c_fc before GELU), act. */
static gboolean
gpt2_layer_forward (Pass *pass, int l, const float *x_in, float *x_out, Acts *a)
{
  AssayTrainModel     *self = pass->self;
  const AssayLmConfig *c = &self->c;
  const int           *L = self->layer + (gsize) l * P_LAYER;
  int                  T = pass->T, H = c->hidden, I = c->inter;
  float                eps = (float) c->norm_eps;
  AssayBackend        *b = self->b;

  TRY (assay_backend_layernorm (b, x_in, W (L[G_LN1W]), W (L[G_LN1B]), a->xn1, T, H, eps), "ln_1");
  if (!conv1d (pass, l, G_ATTN_W, a->xn1, H, 3 * H, 0.0f, a->qkv, a))
    return FALSE;
  TRY (assay_backend_attention (b, a->qkv, a->qkv + H, a->qkv + 2 * H, 3 * H, a->att, H, pass->offsets, pass->n_seqs,
                                c->heads, c->kv_heads, c->head_dim, (float) (1.0 / sqrt ((double) c->head_dim)),
                                pass->scratch),
       "attention");
  memcpy (a->mid, x_in, (gsize) T * H * sizeof (float));
  if (!conv1d (pass, l, G_PROJ_W, a->att, H, H, 1.0f, a->mid, a))
    return FALSE;
  TRY (assay_backend_layernorm (b, a->mid, W (L[G_LN2W]), W (L[G_LN2B]), a->xn2, T, H, eps), "ln_2");
  if (!conv1d (pass, l, G_FC_W, a->xn2, H, I, 0.0f, a->gu, a))
    return FALSE;
  memcpy (a->act, a->gu, (gsize) T * I * sizeof (float));
  TRY (assay_backend_gelu_tanh (b, a->act, (gsize) T * I), "gelu");
  if (x_out == NULL)
    {
      /* (the backward pass still needs the output projection's adapter input) */
      if (self->lora != NULL && self->lora[(gsize) l * P_LAYER + G_OUT_W] >= 0)
        {
          g_autofree float *scratch = g_new0 (float, (gsize) T * H); /* (only the adapter's part) */
          return lora_forward (pass, l, G_OUT_W, a->act, I, H, scratch, H, a);
        }
      return TRUE;
    }
  memcpy (x_out, a->mid, (gsize) T * H * sizeof (float));
  return conv1d (pass, l, G_OUT_W, a->act, I, H, 1.0f, x_out, a);
}

static gboolean
gpt2_layer_backward (Pass *pass, int l, const float *x_in, Acts *a, float *dx, Acts *d)
{
  AssayTrainModel     *self = pass->self;
  const AssayLmConfig *c = &self->c;
  const int           *L = self->layer + (gsize) l * P_LAYER;
  int                  T = pass->T, H = c->hidden, I = c->inter;
  float                eps = (float) c->norm_eps;
  AssayBackend        *b = self->b;
  gsize                TH = (gsize) T * H;

  if (!conv1d_backward (pass, l, G_OUT_W, a->act, I, H, dx, d->act, a, d))
    return FALSE;
  TRY (assay_backend_gelu_backward (b, a->gu, d->act, (gsize) T * I, FALSE, d->gu), "gelu");
  if (!conv1d_backward (pass, l, G_FC_W, a->xn2, H, I, d->gu, d->xn2, a, d))
    return FALSE;
  TRY (assay_backend_layernorm_backward (b, a->mid, W (L[G_LN2W]), d->xn2, T, H, eps, d->mid, G (L[G_LN2W]),
                                         G (L[G_LN2B])),
       "ln_2");
  for (gsize i = 0; i < TH; i++)
    d->mid[i] += dx[i];
  if (!conv1d_backward (pass, l, G_PROJ_W, a->att, H, H, d->mid, d->att, a, d))
    return FALSE;
  TRY (assay_backend_attention_backward (b, a->qkv, a->qkv + H, a->qkv + 2 * H, 3 * H, d->att, H, d->qkv, d->qkv + H,
                                         d->qkv + 2 * H, pass->offsets, pass->n_seqs, c->heads, c->kv_heads,
                                         c->head_dim, (float) (1.0 / sqrt ((double) c->head_dim)), TRUE,
                                         pass->scratch),
       "attention");
  if (!conv1d_backward (pass, l, G_ATTN_W, a->xn1, H, 3 * H, d->qkv, d->xn1, a, d))
    return FALSE;
  TRY (assay_backend_layernorm_backward (b, x_in, W (L[G_LN1W]), d->xn1, T, H, eps, dx, G (L[G_LN1W]), G (L[G_LN1B])),
       "ln_1");
  for (gsize i = 0; i < TH; i++)
    dx[i] += d->mid[i];
  return TRUE;
}

static void
acts_alloc (Acts *a, int T, AssayTrainModel *self)
{
  const AssayLmConfig *c = &self->c;
  gsize H = (gsize) T * c->hidden, Q = (gsize) T * c->heads * c->head_dim;
  gsize D = Q + 2 * (gsize) T * c->kv_heads * c->head_dim, I = (gsize) T * c->inter;

  for (int slot = 0; self->lora != NULL && slot < P_LAYER; slot++)
    if (self->lora[slot] >= 0) /* (every layer adapts the same modules) */
      {
        gsize in = self->gpt2 ? (slot == G_OUT_W ? I : H) : slot == P_O ? Q : slot == P_DOWN ? I : H;
        a->u[slot] = g_new (float, (gsize) T * self->lora_options.rank);
        if (self->lora_options.dropout > 0)
          a->xd[slot] = g_new (float, in);
      }
  a->xn1 = g_new (float, H);
  a->qkv = g_new (float, D);
  a->att = g_new (float, Q);
  a->mid = g_new (float, H);
  a->xn2 = g_new (float, H);
  a->gu = g_new (float, 2 * I);
  a->act = g_new (float, I);
}

static void
acts_free (Acts *a)
{
  g_free (a->xn1);
  g_free (a->qkv);
  g_free (a->att);
  g_free (a->mid);
  g_free (a->xn2);
  g_free (a->gu);
  g_free (a->act);
  for (int slot = 0; slot < P_LAYER; slot++)
    {
      g_free (a->u[slot]);
      g_free (a->xd[slot]);
    }
}

static gboolean
pass_run (AssayTrainModel *self, const int *ids, int T, const int *seq_offsets, int n_seqs, const int *targets,
          const float *weights, double *loss, float *logprobs, gboolean backward, GError **error)
{
  const AssayLmConfig *c = &self->c;
  int                  H = c->hidden, V = c->vocab, max_len = 1, chunk;
  gsize                TH = (gsize) T * H;
  g_autofree int      *pos = g_new (int, MAX (T, 1));
  g_autofree float    *xs = NULL, *xf = NULL, *dxf = NULL, *dx = NULL, *scratch = NULL, *logits = NULL;
  Acts                 a = { 0 }, d = { 0 };
  Pass                 p = { self, T, seq_offsets, n_seqs, pos, NULL, error }, *pass = &p;
  gboolean             ok = FALSE;

  *loss = 0.0;
  if (T <= 0 || n_seqs <= 0 || seq_offsets[0] != 0 || seq_offsets[n_seqs] != T)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "training: %d tokens in %d sequences", T, n_seqs);
      return FALSE;
    }
  for (int s = 0; s < n_seqs; s++)
    {
      if (seq_offsets[s + 1] < seq_offsets[s])
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "training: sequence offsets not ascending");
          return FALSE;
        }
      max_len = MAX (max_len, seq_offsets[s + 1] - seq_offsets[s]);
      if (self->gpt2 && seq_offsets[s + 1] - seq_offsets[s] > c->max_positions)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "training: a sequence of %d tokens is longer "
                       "than the model's %d positions", seq_offsets[s + 1] - seq_offsets[s], c->max_positions);
          return FALSE;
        }
      for (int t = seq_offsets[s]; t < seq_offsets[s + 1]; t++)
        pos[t] = t - seq_offsets[s];
    }
  for (int t = 0; t < T; t++)
    if (ids[t] < 0 || ids[t] >= V || targets[t] >= V)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "training: token %d (id %d, target %d) is "
                     "outside the vocabulary of %d", t, ids[t], targets[t], V);
        return FALSE;
      }
  xs = g_new (float, TH * (c->layers + 1)); /* each layer's input, then the last output */
  xf = g_new (float, TH);
  dxf = g_new (float, TH);
  dx = g_new (float, TH);
  scratch = g_new (float, MAX (assay_backend_attention_scratch (self->b, max_len, c->heads),
                               assay_backend_attention_backward_scratch (self->b, max_len, c->heads)));
  p.scratch = scratch;
  acts_alloc (&a, T, self);
  acts_alloc (&d, T, self);
  chunk = (int) CLAMP (((gsize) 16 << 20) / MAX (V, 1), 1, (gsize) T);
  logits = g_new (float, (gsize) chunk * V);

  /* forward */
  for (int t = 0; t < T; t++)
    {
      memcpy (xs + (gsize) t * H, W (self->embed) + (gsize) ids[t] * H, H * sizeof (float));
      for (int j = 0; self->gpt2 && j < H; j++)
        xs[(gsize) t * H + j] += W (self->positions)[(gsize) pos[t] * H + j];
    }
  for (int l = 0; l < c->layers; l++)
    if (!(self->gpt2 ? gpt2_layer_forward : layer_forward) (pass, l, xs + TH * l, xs + TH * (l + 1), &a))
      goto out;
  if ((self->gpt2 ? assay_backend_layernorm (self->b, xs + TH * c->layers, W (self->norm), W (self->norm_b), xf, T, H,
                                             (float) c->norm_eps)
                  : assay_backend_rmsnorm (self->b, xs + TH * c->layers, W (self->norm), xf, T, H, (float) c->norm_eps))
        != 0
      || !assay_output_loss (self->b, xf, T, H, W (self->head), V, targets, weights, chunk, logits, dxf,
                             backward ? G (self->head) : NULL, loss, logprobs, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "training: %s", assay_backend_last_error (self->b));
      goto out;
    }
  if (!backward)
    {
      ok = TRUE;
      goto out;
    }
  /* backward */
  if ((self->gpt2 ? assay_backend_layernorm_backward (self->b, xs + TH * c->layers, W (self->norm), dxf, T, H,
                                                      (float) c->norm_eps, dx, G (self->norm), G (self->norm_b))
                  : assay_backend_rmsnorm_backward (self->b, xs + TH * c->layers, W (self->norm), dxf, T, H,
                                                    (float) c->norm_eps, dx, G (self->norm)))
      != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "training: %s", assay_backend_last_error (self->b));
      goto out;
    }
  for (int l = c->layers - 1; l >= 0; l--)
    if (!(self->gpt2 ? gpt2_layer_forward : layer_forward) (pass, l, xs + TH * l, NULL, &a)
        || !(self->gpt2 ? gpt2_layer_backward : layer_backward) (pass, l, xs + TH * l, &a, dx, &d))
      goto out;
  if ((G (self->embed) != NULL && assay_backend_embed_backward (self->b, ids, T, dx, H, G (self->embed)) != 0)
      || (self->gpt2 && G (self->positions) != NULL
          && assay_backend_embed_backward (self->b, pos, T, dx, H, G (self->positions)) != 0))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "training: %s", assay_backend_last_error (self->b));
      goto out;
    }
  ok = TRUE;
out:
  acts_free (&a);
  acts_free (&d);
  return ok;
}

/* ---- loading and saving ---- */

gboolean
assay_train_model_load (AssayTrainModel *self, const char *path, GError **error)
{
  g_autoptr (AssaySafetensors) files = assay_safetensors_open (path, error);

  if (files == NULL)
    return FALSE;
  for (guint i = 0; i < self->params->len; i++)
    {
      Param                 *p = P (self, i);
      gsize                  n = (gsize) p->rows * MAX (p->cols, 1);
      g_autofree char       *peft = g_strconcat ("base_model.model.", p->name, NULL);
      const AssaySafetensor *t;

      if (self->lora != NULL && !p->lora)
        continue;
      t = assay_safetensors_get (files, p->name);
      if (t == NULL)
        t = assay_safetensors_get (files, peft);
      if (t == NULL || t->type != ASSAY_ST_F32 || t->n_elements != (gint64) n)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: tensor “%s” is missing or not float32 of %d x %d", path, p->name, p->rows, p->cols);
          return FALSE;
        }
      memcpy (p->w, t->data, n * sizeof (float));
    }
  return TRUE;
}

/* ---- saving ---- */

static gboolean
copy_file (const char *from, const char *to, GError **error)
{
  g_autofree char *data = NULL;
  gsize            len;
  g_autoptr (AssayAtomicFile) file = NULL;

  if (!g_file_get_contents (from, &data, &len, error) || (file = assay_atomic_file_new (to, error)) == NULL)
    return FALSE;
  if (fwrite (data, 1, len, assay_atomic_file_get_stream (file)) != len)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", to, g_strerror (errno));
      return FALSE;
    }
  return assay_atomic_file_commit (file, error);
}

static const char *const tokenizer_files[] = {
  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
  "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "chat_template.json", NULL
};

static gboolean
copy_tokenizer (AssayTrainModel *self, const char *dir, GError **error)
{
  for (guint i = 0; tokenizer_files[i] != NULL; i++)
    {
      g_autofree char *from = g_build_filename (self->dir, tokenizer_files[i], NULL);
      g_autofree char *to = g_build_filename (dir, tokenizer_files[i], NULL);
      if (g_file_test (from, G_FILE_TEST_IS_REGULAR) && !copy_file (from, to, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
make_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_text (const char *path, const char *text, GError **error)
{
  g_autoptr (AssayAtomicFile) file = assay_atomic_file_new (path, error);

  if (file == NULL)
    return FALSE;
  fputs (text, assay_atomic_file_get_stream (file));
  return assay_atomic_file_commit (file, error);
}

gboolean
assay_train_model_save_adapter (AssayTrainModel *self, const char *dir, GError **error)
{
  g_autoptr (AssaySafetensorsWriter) w = assay_safetensors_writer_new (FALSE);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *weights = g_build_filename (dir, "adapter_model.safetensors", NULL);
  g_autofree char *config_path = g_build_filename (dir, "adapter_config.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) config = json_object_new ();
  JsonArray *targets = json_array_new ();

  if (self->lora == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "no LoRA adapters to save");
      json_array_unref (targets);
      return FALSE;
    }
  if (!make_dir (dir, error))
    {
      json_array_unref (targets);
      return FALSE;
    }
  for (guint i = 0; i < self->params->len; i++)
    if (P (self, i)->lora)
      {
        char *name = g_strconcat ("base_model.model.", P (self, i)->name, NULL);
        g_ptr_array_add (names, name);
        assay_safetensors_writer_add (w, name, P (self, i)->w, P (self, i)->rows, P (self, i)->cols);
      }
  for (guint i = 0; self->lora_options.targets[i] != NULL; i++)
    json_array_add_string_element (targets, self->lora_options.targets[i]);
  json_object_set_string_member (config, "peft_type", "LORA");
  json_object_set_string_member (config, "task_type", "CAUSAL_LM");
  json_object_set_string_member (config, "base_model_name_or_path", self->dir);
  json_object_set_int_member (config, "r", self->lora_options.rank);
  json_object_set_double_member (config, "lora_alpha", self->lora_options.alpha);
  json_object_set_double_member (config, "lora_dropout", self->lora_options.dropout);
  json_object_set_array_member (config, "target_modules", targets);
  json_object_set_string_member (config, "bias", "none");
  json_object_set_boolean_member (config, "fan_in_fan_out", self->gpt2); /* Conv1D: W is [in, out] */
  json_object_set_boolean_member (config, "inference_mode", TRUE);
  json_object_set_boolean_member (config, "init_lora_weights", TRUE);
  json_object_set_boolean_member (config, "use_rslora", FALSE);
  json_object_set_boolean_member (config, "use_dora", FALSE);
  json_object_set_null_member (config, "modules_to_save");
  json_object_set_null_member (config, "layers_to_transform");
  json_object_set_object_member (config, "rank_pattern", json_object_new ());
  json_object_set_object_member (config, "alpha_pattern", json_object_new ());
  text = assay_json_object_to_string (config, TRUE);
  return assay_safetensors_writer_write (w, weights, error) && write_text (config_path, text, error)
         && copy_tokenizer (self, dir, error);
}

gboolean
assay_train_model_save (AssayTrainModel *self, const char *dir, gboolean bf16, GError **error)
{
  g_autoptr (AssaySafetensorsWriter) w = assay_safetensors_writer_new (bf16);
  g_autoptr (GPtrArray) merged = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *weights = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *config_in = g_build_filename (self->dir, "config.json", NULL);
  g_autofree char *config_out = g_build_filename (dir, "config.json", NULL);
  g_autofree char *config_text = NULL;
  g_autoptr (JsonObject) config = NULL;

  if (!make_dir (dir, error))
    return FALSE;
  for (guint i = 0; i < self->params->len; i++)
    {
      const Param *p = P (self, i);
      const float *data = p->w;
      int          A = -1;

      if (p->lora)
        continue;
      for (gsize k = 0; self->lora != NULL && k < (gsize) self->c.layers * P_LAYER; k++)
        if (self->lora[k] >= 0 && self->layer[k] == (int) i)
          A = self->lora[k];
      if (A >= 0)
        {
          /* W + (alpha / rank) B A; a Conv1D's W [in, out] + (alpha / rank) A^T B^T */
          float *m = g_memdup2 (p->w, (gsize) p->rows * p->cols * sizeof (float));
          int    r = self->lora_options.rank;
          float  s = (float) (self->lora_options.alpha / r);
          if ((self->gpt2 ? assay_backend_sgemm (self->b, ASSAY_TRANS_T, ASSAY_TRANS_T, p->rows, p->cols, r, s, W (A),
                                                 p->rows, W (A + 1), r, 1.0f, m, p->cols)
                          : assay_backend_sgemm (self->b, ASSAY_TRANS_N, ASSAY_TRANS_N, p->rows, p->cols, r, s,
                                                 W (A + 1), r, W (A), p->cols, 1.0f, m, p->cols))
              != 0)
            {
              g_free (m);
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "merging LoRA: %s", assay_backend_last_error (self->b));
              return FALSE;
            }
          g_ptr_array_add (merged, m);
          data = m;
        }
      assay_safetensors_writer_add (w, p->name, data, p->rows, p->cols);
    }
  if (!assay_safetensors_writer_write (w, weights, error))
    return FALSE;
  if (!g_file_get_contents (config_in, &config_text, NULL, error)
      || (config = assay_json_object_from_string (config_text, error)) == NULL)
    return FALSE;
  json_object_set_string_member (config, "torch_dtype", bf16 ? "bfloat16" : "float32");
  g_clear_pointer (&config_text, g_free);
  config_text = assay_json_object_to_string (config, TRUE);
  return write_text (config_out, config_text, error) && copy_tokenizer (self, dir, error);
}

gboolean
assay_train_model_step (AssayTrainModel *self, const int *ids, int T, const int *seq_offsets, int n_seqs,
                        const int *targets, const float *weights, double *loss, float *logprobs, GError **error)
{
  return pass_run (self, ids, T, seq_offsets, n_seqs, targets, weights, loss, logprobs, TRUE, error);
}

gboolean
assay_train_model_score (AssayTrainModel *self, const int *ids, int T, const int *seq_offsets, int n_seqs,
                         const int *targets, float *logprobs, GError **error)
{
  double loss;
  return pass_run (self, ids, T, seq_offsets, n_seqs, targets, NULL, &loss, logprobs, FALSE, error);
}
