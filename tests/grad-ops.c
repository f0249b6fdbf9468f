/* SPDX-License-Identifier: GPL-3.0-or-later */
/* grad-ops: runs each gradient of the CPU backend (and the chunked output loss and AdamW) on
 * seeded random inputs and writes inputs and results into a folder, for
 * tests/peers/grad_peers.py to check against PyTorch autograd in float64. Per case NAME:
 * NAME.json ({"params": {...}, "arrays": [[name, "f32"|"i32", [shape]], ...]}) and NAME.bin (the
 * arrays one after the other, little-endian).
 *
 * usage: grad-ops DIR */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assay-adamw.h"
#include "assay-gru.h"
#include "assay-cord-net.h"
#include "assay-backend.h"
#include "assay-output-loss.h"

typedef struct
{
  char       *name;
  JsonObject *params;
  JsonArray  *arrays;
  GByteArray *data;
} Case;

static GRand *rng;

static Case *
case_new (const char *name)
{
  Case *c = g_new0 (Case, 1);
  c->name = g_strdup (name);
  c->params = json_object_new ();
  c->arrays = json_array_new ();
  c->data = g_byte_array_new ();
  return c;
}

static void
put (Case *c, const char *name, const char *type, const void *data, int d0, int d1)
{
  JsonArray *a = json_array_new (), *shape = json_array_new ();
  json_array_add_string_element (a, name);
  json_array_add_string_element (a, type);
  json_array_add_int_element (shape, d0);
  if (d1 > 0)
    json_array_add_int_element (shape, d1);
  json_array_add_array_element (a, shape);
  json_array_add_array_element (c->arrays, a);
  g_byte_array_append (c->data, data, (guint) ((gsize) d0 * MAX (d1, 1) * (g_str_equal (type, "f64") ? 8 : 4)));
}

static void
case_write (Case *c, const char *dir)
{
  JsonObject      *root = json_object_new ();
  JsonNode        *node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  g_autofree char *json_path = g_strdup_printf ("%s/%s.json", dir, c->name);
  g_autofree char *bin_path = g_strdup_printf ("%s/%s.bin", dir, c->name);
  GError          *error = NULL;

  json_object_set_object_member (root, "params", c->params);
  json_object_set_array_member (root, "arrays", c->arrays);
  json_node_take_object (node, root);
  text = json_to_string (node, FALSE);
  if (!g_file_set_contents (json_path, text, -1, &error) || !g_file_set_contents (bin_path, (char *) c->data->data, c->data->len, &error))
    g_error ("%s", error->message);
  json_node_unref (node);
  g_byte_array_unref (c->data);
  g_free (c->name);
  g_free (c);
}

static float *
randn (gsize n, double scale)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    {
      /* Box-Muller */
      double u = g_rand_double_range (rng, 1e-12, 1.0), v = g_rand_double (rng);
      x[i] = (float) (scale * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v));
    }
  return x;
}

static void
ok (AssayBackend *b, int status)
{
  if (status != 0)
    g_error ("backend: %s", assay_backend_last_error (b));
}

static void
case_norms (AssayBackend *b, const char *dir)
{
  int rows = 7, cols = 48;
  {
    Case *c = case_new ("rmsnorm");
    g_autofree float *x = randn (rows * cols, 2.0), *w = randn (cols, 1.0), *dy = randn (rows * cols, 1.0);
    g_autofree float *dx = g_new (float, rows * cols), *dw = g_new0 (float, cols);
    ok (b, assay_backend_rmsnorm_backward (b, x, w, dy, rows, cols, 1e-6f, dx, dw));
    json_object_set_double_member (c->params, "eps", 1e-6);
    put (c, "x", "f32", x, rows, cols);
    put (c, "w", "f32", w, cols, 0);
    put (c, "dy", "f32", dy, rows, cols);
    put (c, "dx", "f32", dx, rows, cols);
    put (c, "dw", "f32", dw, cols, 0);
    case_write (c, dir);
  }
  {
    Case *c = case_new ("layernorm");
    g_autofree float *x = randn (rows * cols, 2.0), *w = randn (cols, 1.0), *bias = randn (cols, 1.0);
    g_autofree float *dy = randn (rows * cols, 1.0), *dx = g_new (float, rows * cols);
    g_autofree float *dw = g_new0 (float, cols), *db = g_new0 (float, cols);
    for (int i = 0; i < cols; i++)
      x[i] += 5.0f; /* a row far from zero mean */
    ok (b, assay_backend_layernorm_backward (b, x, w, dy, rows, cols, 1e-5f, dx, dw, db));
    json_object_set_double_member (c->params, "eps", 1e-5);
    put (c, "x", "f32", x, rows, cols);
    put (c, "w", "f32", w, cols, 0);
    put (c, "b", "f32", bias, cols, 0);
    put (c, "dy", "f32", dy, rows, cols);
    put (c, "dx", "f32", dx, rows, cols);
    put (c, "dw", "f32", dw, cols, 0);
    put (c, "db", "f32", db, cols, 0);
    case_write (c, dir);
  }
}

static void
case_pointwise (AssayBackend *b, const char *dir)
{
  {
    /* rotary: 3 heads of 16 in rows of stride 56 (the last 8 columns are not touched) */
    int   rows = 9, heads = 3, hd = 16, ld = 56;
    Case *c = case_new ("rope");
    g_autofree float *x = randn (rows * ld, 1.0), *dy = randn (rows * ld, 1.0);
    g_autofree float *dx = g_memdup2 (dy, rows * ld * sizeof (float));
    int   positions[9];
    float inv_freq[8];
    for (int r = 0; r < rows; r++)
      positions[r] = g_rand_int_range (rng, 0, 4000);
    for (int i = 0; i < hd / 2; i++)
      inv_freq[i] = (float) pow (10000.0, -2.0 * i / hd);
    ok (b, assay_backend_rope_backward (b, dx, rows, ld, heads, hd, positions, inv_freq));
    json_object_set_int_member (c->params, "heads", heads);
    json_object_set_int_member (c->params, "head_dim", hd);
    put (c, "x", "f32", x, rows, ld);
    put (c, "positions", "i32", positions, rows, 0);
    put (c, "inv_freq", "f32", inv_freq, hd / 2, 0);
    put (c, "dy", "f32", dy, rows, ld);
    put (c, "dx", "f32", dx, rows, ld);
    case_write (c, dir);
  }
  {
    int   rows = 5, inter = 24;
    Case *c = case_new ("swiglu");
    g_autofree float *gu = randn (rows * 2 * inter, 3.0), *dy = randn (rows * inter, 1.0);
    g_autofree float *dgu = g_new (float, rows * 2 * inter);
    ok (b, assay_backend_swiglu_backward (b, gu, dy, rows, inter, dgu));
    put (c, "gu", "f32", gu, rows, 2 * inter);
    put (c, "dy", "f32", dy, rows, inter);
    put (c, "dgu", "f32", dgu, rows, 2 * inter);
    case_write (c, dir);
  }
  for (int exact = 0; exact < 2; exact++)
    {
      int   n = 300;
      Case *c = case_new (exact ? "gelu_erf" : "gelu_tanh");
      g_autofree float *x = randn (n, 3.0), *dy = randn (n, 1.0), *dx = g_new (float, n);
      ok (b, assay_backend_gelu_backward (b, x, dy, n, exact, dx));
      put (c, "x", "f32", x, n, 0);
      put (c, "dy", "f32", dy, n, 0);
      put (c, "dx", "f32", dx, n, 0);
      case_write (c, dir);
    }
  {
    int   rows = 15, vocab = 20, cols = 12;
    Case *c = case_new ("embed");
    g_autofree float *dy = randn (rows * cols, 1.0), *dt = g_new0 (float, vocab * cols);
    int   ids[15];
    for (int r = 0; r < rows; r++)
      ids[r] = g_rand_int_range (rng, 0, 6); /* repeats */
    ok (b, assay_backend_embed_backward (b, ids, rows, dy, cols, dt));
    json_object_set_int_member (c->params, "vocab", vocab);
    put (c, "ids", "i32", ids, rows, 0);
    put (c, "dy", "f32", dy, rows, cols);
    put (c, "dtable", "f32", dt, vocab, cols);
    case_write (c, dir);
  }
}

static void
case_attention (AssayBackend *b, const char *dir)
{
  /* three sequences (the last longer than a 64-row block), 4 query heads sharing 2 key/value
   * heads, q | k | v fused in rows of stride 64 */
  int offsets[] = { 0, 5, 12, 93 };
  int rows = 93, heads = 4, kv = 2, hd = 8, ld = (heads + 2 * kv) * hd, ldo = heads * hd;

  for (int causal = 0; causal < 2; causal++)
    {
      Case *c = case_new (causal ? "attention_causal" : "attention_bidirectional");
      g_autofree float *qkv = randn ((gsize) rows * ld, 1.0), *dout = randn ((gsize) rows * ldo, 1.0);
      g_autofree float *dqkv = g_new0 (float, (gsize) rows * ld);
      g_autofree float *scratch = g_new (float, assay_backend_attention_backward_scratch (b, 81, heads));
      ok (b, assay_backend_attention_backward (b, qkv, qkv + heads * hd, qkv + (heads + kv) * hd, ld, dout, ldo,
                                               dqkv, dqkv + heads * hd, dqkv + (heads + kv) * hd, offsets, 3,
                                               heads, kv, hd, 1.0f / sqrtf ((float) hd), causal, scratch));
      json_object_set_int_member (c->params, "heads", heads);
      json_object_set_int_member (c->params, "kv_heads", kv);
      json_object_set_int_member (c->params, "head_dim", hd);
      json_object_set_boolean_member (c->params, "causal", causal);
      put (c, "offsets", "i32", offsets, 4, 0);
      put (c, "qkv", "f32", qkv, rows, ld);
      put (c, "dout", "f32", dout, rows, ldo);
      put (c, "dqkv", "f32", dqkv, rows, ld);
      case_write (c, dir);
    }
}

static void
case_output_loss (AssayBackend *b, const char *dir)
{
  int   rows = 11, dim = 16, vocab = 50, chunk = 4;
  Case *c = case_new ("output_loss");
  g_autofree float *h = randn (rows * dim, 1.0), *w = randn (vocab * dim, 0.5);
  g_autofree float *dh = g_new (float, rows * dim), *dw = g_new0 (float, vocab * dim);
  g_autofree float *scratch = g_new (float, chunk * vocab);
  float  weight[11];
  int    targets[11];
  double loss;
  GError *error = NULL;

  for (int r = 0; r < rows; r++)
    {
      targets[r] = r == 3 ? -1 : g_rand_int_range (rng, 0, vocab);
      weight[r] = r == 5 ? 0.0f : r % 2 ? 0.5f : 1.0f;
    }
  if (!assay_output_loss (b, h, rows, dim, w, vocab, targets, weight, chunk, scratch, dh, dw, &loss, NULL, &error))
    g_error ("%s", error->message);
  put (c, "h", "f32", h, rows, dim);
  put (c, "w", "f32", w, vocab, dim);
  put (c, "targets", "i32", targets, rows, 0);
  put (c, "row_weight", "f32", weight, rows, 0);
  put (c, "dh", "f32", dh, rows, dim);
  put (c, "dw", "f32", dw, vocab, dim);
  json_object_set_double_member (c->params, "loss", loss);
  case_write (c, dir);
}

/* AdamW over two tensors (weight decay on the first only), 8 steps of warm-up + cosine schedule
 * with the gradients clipped to norm 0.5 before each step. */
static void
case_adamw (const char *dir)
{
  int   n1 = 23, n2 = 9, steps = 8;
  Case *c = case_new ("adamw");
  g_autofree float *p1 = randn (n1, 1.0), *p2 = randn (n2, 1.0);
  g_autofree float *g1 = g_new0 (float, n1), *g2 = g_new0 (float, n2);
  g_autofree float *start1 = g_memdup2 (p1, n1 * sizeof (float)), *start2 = g_memdup2 (p2, n2 * sizeof (float));
  g_autofree float *grads = g_new (float, (gsize) steps * (n1 + n2));
  g_autofree float *lrs = g_new (float, steps), *norms = g_new (float, steps);
  AssayAdamWOptions o;
  g_autoptr (AssayAdamW) opt = NULL;

  assay_adamw_options_init (&o);
  o.weight_decay = 0.1;
  opt = assay_adamw_new (&o);
  assay_adamw_add (opt, p1, g1, n1, TRUE);
  assay_adamw_add (opt, p2, g2, n2, FALSE);
  for (int s = 0; s < steps; s++)
    {
      g_autofree float *g = randn (n1 + n2, s < 3 ? 2.0 : 0.05); /* clipped early, not later */
      memcpy (g1, g, n1 * sizeof (float));
      memcpy (g2, g + n1, n2 * sizeof (float));
      memcpy (grads + (gsize) s * (n1 + n2), g, (n1 + n2) * sizeof (float));
      norms[s] = (float) assay_adamw_clip (opt, 0.5);
      lrs[s] = (float) assay_lr_warmup_cosine ((guint) s + 1, 2, steps, 0.05, 0.0);
      assay_adamw_step (opt, lrs[s]);
    }
  json_object_set_double_member (c->params, "weight_decay", o.weight_decay);
  json_object_set_double_member (c->params, "max_norm", 0.5);
  put (c, "p1_start", "f32", start1, n1, 0);
  put (c, "p2_start", "f32", start2, n2, 0);
  put (c, "grads", "f32", grads, steps, n1 + n2);
  put (c, "lr", "f32", lrs, steps, 0);
  put (c, "norms", "f32", norms, steps, 0);
  put (c, "p1", "f32", p1, n1, 0);
  put (c, "p2", "f32", p2, n2, 0);
  case_write (c, dir);
}

static double *
randn64 (gsize n, double scale)
{
  double *x = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    {
      double u = g_rand_double_range (rng, 1e-12, 1.0), v = g_rand_double (rng);
      x[i] = scale * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
    }
  return x;
}

/* CoRD-CPD's GRU in float64: 9 steps of 3 inputs into 5 states, a loss gradient on every state. */
static void
case_gru (const char *dir)
{
  int               T = 9, I = 3, H = 5;
  Case             *c = case_new ("gru");
  g_autofree double *w_ih = randn64 (3 * H * I, 0.6), *w_hh = randn64 (3 * H * H, 0.6);
  g_autofree double *b_ih = randn64 (3 * H, 0.3), *b_hh = randn64 (3 * H, 0.3);
  g_autofree double *x = randn64 (T * I, 1.0), *h0 = randn64 (H, 0.5), *dh = randn64 ((T + 1) * H, 1.0);
  g_autofree double *dh_in = g_memdup2 (dh, (T + 1) * H * sizeof (double));
  g_autofree double *h = g_new (double, (T + 1) * H), *gates = g_new (double, T * 4 * H);
  g_autofree double *gw_ih = g_new0 (double, 3 * H * I), *gw_hh = g_new0 (double, 3 * H * H);
  g_autofree double *gb_ih = g_new0 (double, 3 * H), *gb_hh = g_new0 (double, 3 * H);
  g_autofree double *dx = g_new (double, T * I), *dh0 = g_new (double, H);
  AssayGru          gru = { I, H, w_ih, w_hh, b_ih, b_hh };
  AssayGruGrad      grad = { gw_ih, gw_hh, gb_ih, gb_hh };

  assay_gru_forward (&gru, x, T, 1, h0, h, gates);
  assay_gru_backward (&gru, x, T, 1, h, gates, dh, &grad, dx, dh0);
  put (c, "w_ih", "f64", w_ih, 3 * H, I);
  put (c, "w_hh", "f64", w_hh, 3 * H, H);
  put (c, "b_ih", "f64", b_ih, 3 * H, 0);
  put (c, "b_hh", "f64", b_hh, 3 * H, 0);
  put (c, "x", "f64", x, T, I);
  put (c, "h0", "f64", h0, H, 0);
  put (c, "dh", "f64", dh_in, T + 1, H);
  put (c, "h", "f64", h, T + 1, H);
  put (c, "gw_ih", "f64", gw_ih, 3 * H, I);
  put (c, "gw_hh", "f64", gw_hh, 3 * H, H);
  put (c, "gb_ih", "f64", gb_ih, 3 * H, 0);
  put (c, "gb_hh", "f64", gb_hh, 3 * H, 0);
  put (c, "dx", "f64", dx, T, I);
  put (c, "dh0", "f64", dh0, H, 0);
  case_write (c, dir);
}

/* The learned CoRD-CPD model, float64: 2 windows of 13 steps of 4 variables with 3 features, width
 * 6, message width 5, three edge types (two that send), roll-outs of 3, Gumbel noise given. The
 * training loss and every parameter's gradient, the batch norms' running statistics after it,
 * the validation loss (running statistics, no noise) and inference on one window. */
static void
case_cord_net (const char *dir)
{
  guint              B = 2, T = 13, N = 4, M = 3, K = 3, E = N * (N - 1), k = 3;
  Case              *c = case_new ("cord_net");
  AssayCordNetConfig cfg;
  AssayCordNet      *net;
  AssayCordLoss      parts, vparts;
  g_autofree double *x = randn64 ((gsize) B * T * N * M, 1.0), *noise = g_new (double, (gsize) T * B * E * K);
  g_autofree double *prob = g_new (double, (gsize) T * E * K), *roll = g_new (double, (gsize) T * k * N * M);
  double             loss, vloss, out[6];
  g_autoptr (GRand)  nrng = g_rand_new_with_seed (7);

  assay_cord_net_config_init (&cfg, N, M);
  cfg.hidden = 6;
  cfg.msg_hidden = 5;
  cfg.edge_types = K;
  cfg.pred_steps = 3;
  cfg.var = 0.05;
  cfg.smooth = 2.0;
  cfg.smooth_margin = 2;
  net = assay_cord_net_new (&cfg, 11);
  /* batch-norm affine weights away from 1 and 0, so that their gradients are tested */
  for (guint i = 0; i < assay_cord_net_n_tensors (net); i++)
    {
      guint       rows, cols;
      double     *data, *grad;
      const char *name = assay_cord_net_tensor (net, i, &rows, &cols, &data, &grad);
      if (g_str_has_suffix (name, ".bn.weight") || g_str_has_suffix (name, ".bn.bias"))
        for (guint j = 0; j < rows; j++)
          data[j] += 0.3 * g_rand_double_range (rng, -1, 1);
    }
  assay_cord_net_gumbel (nrng, noise, (gsize) T * B * E * K);
  for (guint i = 0; i < assay_cord_net_n_tensors (net); i++)
    {
      guint       rows, cols;
      double     *data, *grad;
      const char *name = assay_cord_net_tensor (net, i, &rows, &cols, &data, &grad);
      g_autofree char *key = g_strdup_printf ("w:%s", name);
      put (c, key, "f64", data, rows, cols);
    }
  assay_cord_net_zero_grad (net);
  loss = assay_cord_net_loss (net, x, B, T, noise, TRUE, TRUE, NULL, &parts);
  vloss = assay_cord_net_loss (net, x, B, T, NULL, FALSE, FALSE, NULL, &vparts);
  assay_cord_net_infer (net, x, T, k, prob, roll);
  for (guint i = 0; i < assay_cord_net_n_tensors (net); i++)
    {
      guint       rows, cols;
      double     *data, *grad;
      const char *name = assay_cord_net_tensor (net, i, &rows, &cols, &data, &grad);
      g_autofree char *key = g_strdup_printf ("%s:%s", grad != NULL ? "g" : "after", name);
      put (c, key, "f64", grad != NULL ? grad : data, rows, cols);
    }
  out[0] = loss;
  out[1] = parts.nll;
  out[2] = parts.smooth;
  out[3] = vloss;
  out[4] = vparts.nll;
  out[5] = vparts.smooth;
  put (c, "x", "f64", x, B * T * N, M);
  put (c, "noise", "f64", noise, T * B * E, K);
  put (c, "losses", "f64", out, 6, 0);
  put (c, "prob", "f64", prob, T * E, K);
  put (c, "rollout", "f64", roll, T * k * N, M);
  json_object_set_int_member (c->params, "B", B);
  json_object_set_int_member (c->params, "T", T);
  json_object_set_int_member (c->params, "N", N);
  json_object_set_int_member (c->params, "M", M);
  json_object_set_int_member (c->params, "K", K);
  json_object_set_int_member (c->params, "k", k);
  json_object_set_int_member (c->params, "hidden", cfg.hidden);
  json_object_set_int_member (c->params, "msg_hidden", cfg.msg_hidden);
  json_object_set_int_member (c->params, "pred_steps", cfg.pred_steps);
  json_object_set_double_member (c->params, "temp", cfg.temp);
  json_object_set_double_member (c->params, "var", cfg.var);
  json_object_set_double_member (c->params, "smooth", cfg.smooth);
  json_object_set_int_member (c->params, "margin", cfg.smooth_margin);
  case_write (c, dir);
  assay_cord_net_free (net);
}

int
main (int argc, char **argv)
{
  char          err[256];
  AssayBackend *b;

  if (argc != 2)
    {
      fprintf (stderr, "usage: grad-ops DIR\n");
      return 2;
    }
  rng = g_rand_new_with_seed (20261205);
  b = assay_backend_cpu_new (2, err, sizeof err);
  if (b == NULL)
    g_error ("%s", err);
  case_norms (b, argv[1]);
  case_pointwise (b, argv[1]);
  case_attention (b, argv[1]);
  case_output_loss (b, argv[1]);
  case_adamw (argv[1]);
  case_gru (argv[1]);
  case_cord_net (argv[1]);
  assay_backend_free (b);
  g_rand_free (rng);
  return 0;
}
