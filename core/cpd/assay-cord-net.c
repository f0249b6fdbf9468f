/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-net.c: see assay-cord-net.h. Rows are time-major: the node row of variable n of
 * window b at step t is (t B + b) N + n, its edge rows (t B + b) E + e. Every product is dgemm. */
#include "assay-cord-net.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "assay-gru.h"

#define BN_EPS      1e-5
#define BN_MOMENTUM 0.1
#define MAX_TYPES   8

typedef struct
{
  char    *name;
  guint    rows, cols;
  gsize    off;
  gboolean buffer;
} Tensor;

typedef struct
{
  gsize w, b;
  guint in, out;
} Linear;

typedef struct
{
  Linear fc1, fc2;
  gsize  gamma, beta, rmean, rvar; /* rmean, rvar: in the buffers */
  guint  out;
} Mlp;

typedef struct
{
  gsize w_ih, w_hh, b_ih, b_hh;
  guint in, hidden;
} GruP;

struct _AssayCordNet
{
  AssayCordNetConfig c;
  gboolean           replica;  /* shares w, tensors, send and recv with its net */
  guint              E;
  guint             *send, *recv;
  GArray            *tensors;
  double            *w, *g, *buf;
  gsize              n_w, n_buf;
  Mlp                mlp_in, mlp2, mlp3, mlp_out;
  GruP               gru1[2], gru2[2];
  Linear             fc_out;
  Linear             msg1[MAX_TYPES], msg2[MAX_TYPES];
  Linear             o1, o2, o3;
};

void
assay_cord_net_config_init (AssayCordNetConfig *c, guint N, guint M)
{
  c->N = N;
  c->M = M;
  c->hidden = 256;
  c->msg_hidden = 256;
  c->edge_types = 2;
  c->pred_steps = 10;
  c->temp = 0.5;
  c->var = 5e-5;
  c->smooth = 100.0;
  c->smooth_margin = 5;
}

/* ---- layout ---- */

static gsize
add_tensor (AssayCordNet *self, const char *name, guint rows, guint cols, gboolean buffer)
{
  Tensor t = { g_strdup (name), rows, cols, 0, buffer };
  gsize  n = (gsize) rows * MAX (cols, 1);

  if (buffer)
    {
      t.off = self->n_buf;
      self->n_buf += n;
    }
  else
    {
      t.off = self->n_w;
      self->n_w += n;
    }
  g_array_append_val (self->tensors, t);
  return t.off;
}

static Linear
add_linear (AssayCordNet *self, const char *name, guint in, guint out)
{
  g_autofree char *w = g_strdup_printf ("%s.weight", name), *b = g_strdup_printf ("%s.bias", name);
  Linear           l;

  l.in = in;
  l.out = out;
  l.w = add_tensor (self, w, out, in, FALSE);
  l.b = add_tensor (self, b, out, 0, FALSE);
  return l;
}

static Mlp
add_mlp (AssayCordNet *self, const char *name, guint in, guint hidden, guint out)
{
  g_autofree char *f1 = g_strdup_printf ("%s.fc1", name), *f2 = g_strdup_printf ("%s.fc2", name);
  g_autofree char *bw = g_strdup_printf ("%s.bn.weight", name), *bb = g_strdup_printf ("%s.bn.bias", name);
  g_autofree char *rm = g_strdup_printf ("%s.bn.running_mean", name);
  g_autofree char *rv = g_strdup_printf ("%s.bn.running_var", name);
  Mlp              m;

  m.fc1 = add_linear (self, f1, in, hidden);
  m.fc2 = add_linear (self, f2, hidden, out);
  m.gamma = add_tensor (self, bw, out, 0, FALSE);
  m.beta = add_tensor (self, bb, out, 0, FALSE);
  m.rmean = add_tensor (self, rm, out, 0, TRUE);
  m.rvar = add_tensor (self, rv, out, 0, TRUE);
  m.out = out;
  return m;
}

static GruP
add_gru (AssayCordNet *self, const char *name, guint in, guint hidden, gboolean reverse)
{
  const char      *sfx = reverse ? "_reverse" : "";
  g_autofree char *a = g_strdup_printf ("%s.weight_ih_l0%s", name, sfx);
  g_autofree char *b = g_strdup_printf ("%s.weight_hh_l0%s", name, sfx);
  g_autofree char *c = g_strdup_printf ("%s.bias_ih_l0%s", name, sfx);
  g_autofree char *d = g_strdup_printf ("%s.bias_hh_l0%s", name, sfx);
  GruP             p;

  p.in = in;
  p.hidden = hidden;
  p.w_ih = add_tensor (self, a, 3 * hidden, in, FALSE);
  p.w_hh = add_tensor (self, b, 3 * hidden, hidden, FALSE);
  p.b_ih = add_tensor (self, c, 3 * hidden, 0, FALSE);
  p.b_hh = add_tensor (self, d, 3 * hidden, 0, FALSE);
  return p;
}

static double
randn (GRand *rng)
{
  double u = g_rand_double_range (rng, 1e-300, 1.0), v = g_rand_double (rng);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static void
init_xavier (AssayCordNet *self, const Linear *l, GRand *rng)
{
  double sd = sqrt (2.0 / (l->in + l->out));

  for (gsize i = 0; i < (gsize) l->in * l->out; i++)
    self->w[l->w + i] = sd * randn (rng);
  for (guint i = 0; i < l->out; i++)
    self->w[l->b + i] = 0.1;
}

static void
init_uniform (AssayCordNet *self, gsize off, gsize n, double bound, GRand *rng)
{
  for (gsize i = 0; i < n; i++)
    self->w[off + i] = g_rand_double_range (rng, -bound, bound);
}

static void
init_default_linear (AssayCordNet *self, const Linear *l, GRand *rng)
{
  double bound = 1.0 / sqrt (l->in);

  init_uniform (self, l->w, (gsize) l->in * l->out, bound, rng);
  init_uniform (self, l->b, l->out, bound, rng);
}

static void
init_mlp (AssayCordNet *self, const Mlp *m, GRand *rng)
{
  init_xavier (self, &m->fc1, rng);
  init_xavier (self, &m->fc2, rng);
  for (guint i = 0; i < m->out; i++)
    {
      self->w[m->gamma + i] = 1.0;
      self->w[m->beta + i] = 0.0;
      self->buf[m->rmean + i] = 0.0;
      self->buf[m->rvar + i] = 1.0;
    }
}

static void
init_gru (AssayCordNet *self, const GruP *p, GRand *rng)
{
  double bound = 1.0 / sqrt (p->hidden);
  gsize  G = 3 * p->hidden;

  init_uniform (self, p->w_ih, G * p->in, bound, rng);
  init_uniform (self, p->w_hh, G * p->hidden, bound, rng);
  init_uniform (self, p->b_ih, G, bound, rng);
  init_uniform (self, p->b_hh, G, bound, rng);
}

AssayCordNet *
assay_cord_net_new (const AssayCordNetConfig *config, guint64 seed)
{
  AssayCordNet *self = g_new0 (AssayCordNet, 1);
  guint         N = config->N, M = config->M, H = config->hidden, D = config->msg_hidden, K = config->edge_types;
  GRand        *rng;
  guint         e = 0;

  g_return_val_if_fail (N >= 2 && M >= 1 && H >= 2 && H % 2 == 0 && D >= 1, NULL);
  g_return_val_if_fail (K >= 2 && K <= MAX_TYPES, NULL);
  self->c = *config;
  self->E = N * (N - 1);
  self->send = g_new (guint, self->E);
  self->recv = g_new (guint, self->E);
  for (guint i = 0; i < N; i++)
    for (guint j = 0; j < N; j++)
      if (i != j)
        {
          self->send[e] = i;
          self->recv[e] = j;
          e++;
        }
  self->tensors = g_array_new (FALSE, FALSE, sizeof (Tensor));
  self->mlp_in = add_mlp (self, "enc.mlp_in", M, H, H);
  self->gru1[0] = add_gru (self, "enc.gru1", H, H / 2, FALSE);
  self->gru1[1] = add_gru (self, "enc.gru1", H, H / 2, TRUE);
  self->mlp2 = add_mlp (self, "enc.mlp2", 2 * H, H, H);
  self->mlp3 = add_mlp (self, "enc.mlp3", H, H, H);
  self->gru2[0] = add_gru (self, "enc.gru2", H, H / 2, FALSE);
  self->gru2[1] = add_gru (self, "enc.gru2", H, H / 2, TRUE);
  self->mlp_out = add_mlp (self, "enc.mlp_out", 3 * H, H, H);
  self->fc_out = add_linear (self, "enc.fc_out", H, K);
  for (guint k = 1; k < K; k++)
    {
      g_autofree char *a = g_strdup_printf ("dec.msg_fc1.%u", k), *b = g_strdup_printf ("dec.msg_fc2.%u", k);
      self->msg1[k] = add_linear (self, a, 2 * M, D);
      self->msg2[k] = add_linear (self, b, D, D);
    }
  self->o1 = add_linear (self, "dec.out_fc1", M + D, D);
  self->o2 = add_linear (self, "dec.out_fc2", D, D);
  self->o3 = add_linear (self, "dec.out_fc3", D, M);
  self->w = g_new0 (double, self->n_w);
  self->g = g_new0 (double, self->n_w);
  self->buf = g_new0 (double, self->n_buf);

  rng = g_rand_new_with_seed_array ((const guint32[]) { (guint32) seed, (guint32) (seed >> 32), 0x636f7264 }, 3);
  init_mlp (self, &self->mlp_in, rng);
  init_mlp (self, &self->mlp2, rng);
  init_mlp (self, &self->mlp3, rng);
  init_mlp (self, &self->mlp_out, rng);
  init_xavier (self, &self->fc_out, rng);
  for (int d = 0; d < 2; d++)
    {
      init_gru (self, &self->gru1[d], rng);
      init_gru (self, &self->gru2[d], rng);
    }
  for (guint k = 1; k < K; k++)
    {
      init_default_linear (self, &self->msg1[k], rng);
      init_default_linear (self, &self->msg2[k], rng);
    }
  init_default_linear (self, &self->o1, rng);
  init_default_linear (self, &self->o2, rng);
  init_default_linear (self, &self->o3, rng);
  g_rand_free (rng);
  return self;
}

void
assay_cord_net_free (AssayCordNet *self)
{
  if (self == NULL)
    return;
  if (self->replica)
    {
      g_free (self->g);
      g_free (self->buf);
      g_free (self);
      return;
    }
  for (guint i = 0; i < self->tensors->len; i++)
    g_free (g_array_index (self->tensors, Tensor, i).name);
  g_array_unref (self->tensors);
  g_free (self->send);
  g_free (self->recv);
  g_free (self->w);
  g_free (self->g);
  g_free (self->buf);
  g_free (self);
}

const AssayCordNetConfig *
assay_cord_net_config (AssayCordNet *self)
{
  return &self->c;
}

double *
assay_cord_net_params (AssayCordNet *self, gsize *n)
{
  *n = self->n_w;
  return self->w;
}

double *
assay_cord_net_grads (AssayCordNet *self)
{
  return self->g;
}

double *
assay_cord_net_buffers (AssayCordNet *self, gsize *n)
{
  *n = self->n_buf;
  return self->buf;
}

guint
assay_cord_net_n_tensors (AssayCordNet *self)
{
  return self->tensors->len;
}

const char *
assay_cord_net_tensor (AssayCordNet *self, guint i, guint *rows, guint *cols, double **data, double **grad)
{
  const Tensor *t = &g_array_index (self->tensors, Tensor, i);

  *rows = t->rows;
  *cols = t->cols;
  *data = (t->buffer ? self->buf : self->w) + t->off;
  if (grad != NULL)
    *grad = t->buffer ? NULL : self->g + t->off;
  return t->name;
}

void
assay_cord_net_zero_grad (AssayCordNet *self)
{
  memset (self->g, 0, self->n_w * sizeof (double));
}

void
assay_cord_net_gumbel (GRand *rng, double *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = -log (-log (g_rand_double_range (rng, 1e-300, 1.0)));
}

/* ---- layers ---- */

static void
lin_fwd (AssayCordNet *self, const Linear *l, const double *X, gsize R, double *Y)
{
  const double *b = self->w + l->b;

  if (R == 0)
    return;
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, R, l->out, l->in, 1.0, X, l->in, self->w + l->w, l->in,
               0.0, Y, l->out);
  for (gsize r = 0; r < R; r++)
    for (guint j = 0; j < l->out; j++)
      Y[r * l->out + j] += b[j];
}

/* dX (overwritten; may be NULL) and the weight gradients from dY. */
static void
lin_bwd (AssayCordNet *self, const Linear *l, const double *X, gsize R, const double *dY, double *dX)
{
  double *gb = self->g + l->b;

  if (R == 0)
    return;
  cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, l->out, l->in, R, 1.0, dY, l->out, X, l->in, 1.0,
               self->g + l->w, l->in);
  for (gsize r = 0; r < R; r++)
    for (guint j = 0; j < l->out; j++)
      gb[j] += dY[r * l->out + j];
  if (dX != NULL)
    cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, R, l->in, l->out, 1.0, dY, l->out, self->w + l->w,
                 l->in, 0.0, dX, l->in);
}

static void
elu_inplace (double *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (v[i] <= 0.0)
      v[i] = expm1 (v[i]);
}

/* d of ELU from its output a (a > 0 iff the input was; below, exp(x) = a + 1). */
static void
elu_bwd (const double *a, double *d, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (a[i] <= 0.0)
      d[i] *= a[i] + 1.0;
}

static void
relu_inplace (double *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (v[i] < 0.0)
      v[i] = 0.0;
}

static void
relu_bwd (const double *a, double *d, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (a[i] <= 0.0)
      d[i] = 0.0;
}

typedef struct
{
  gsize         R;
  const double *in;
  double       *a1, *a2, *xhat, *istd, *out;
} MlpCache;

static void
mlp_cache_clear (MlpCache *c)
{
  g_free (c->a1);
  g_free (c->a2);
  g_free (c->xhat);
  g_free (c->istd);
  g_free (c->out);
}

static void
mlp_fwd (AssayCordNet *self, const Mlp *m, const double *in, gsize R, gboolean train, MlpCache *c)
{
  guint   H1 = m->fc1.out, H = m->out;
  double *gamma = self->w + m->gamma, *beta = self->w + m->beta;
  double *rmean = self->buf + m->rmean, *rvar = self->buf + m->rvar;

  c->R = R;
  c->in = in;
  c->a1 = g_new (double, R * H1);
  c->a2 = g_new (double, R * H);
  c->xhat = g_new (double, R * H);
  c->istd = g_new (double, H);
  c->out = g_new (double, R * H);
  lin_fwd (self, &m->fc1, in, R, c->a1);
  elu_inplace (c->a1, R * H1);
  lin_fwd (self, &m->fc2, c->a1, R, c->a2);
  elu_inplace (c->a2, R * H);
  {
    g_autofree double *mean = g_new0 (double, H), *var = g_new0 (double, H);

    if (train)
      {
        for (gsize r = 0; r < R; r++)
          for (guint j = 0; j < H; j++)
            mean[j] += c->a2[r * H + j];
        for (guint j = 0; j < H; j++)
          mean[j] /= R;
        for (gsize r = 0; r < R; r++)
          for (guint j = 0; j < H; j++)
            {
              double d = c->a2[r * H + j] - mean[j];
              var[j] += d * d;
            }
        for (guint j = 0; j < H; j++)
          {
            double ss = var[j];
            var[j] = ss / R;
            rmean[j] = (1.0 - BN_MOMENTUM) * rmean[j] + BN_MOMENTUM * mean[j];
            rvar[j] = (1.0 - BN_MOMENTUM) * rvar[j] + BN_MOMENTUM * (R > 1 ? ss / (R - 1) : var[j]);
          }
      }
    else
      {
        memcpy (mean, rmean, H * sizeof (double));
        memcpy (var, rvar, H * sizeof (double));
      }
    for (guint j = 0; j < H; j++)
      c->istd[j] = 1.0 / sqrt (var[j] + BN_EPS);
    for (gsize r = 0; r < R; r++)
      for (guint j = 0; j < H; j++)
        {
          double xh = (c->a2[r * H + j] - mean[j]) * c->istd[j];
          c->xhat[r * H + j] = xh;
          c->out[r * H + j] = gamma[j] * xh + beta[j];
        }
  }
}

/* dout (R x H) is consumed; din (R x in) overwritten when not NULL. Training mode only. */
static void
mlp_bwd (AssayCordNet *self, const Mlp *m, MlpCache *c, double *dout, double *din)
{
  gsize   R = c->R;
  guint   H1 = m->fc1.out, H = m->out;
  double *gamma = self->w + m->gamma;
  double *ggamma = self->g + m->gamma, *gbeta = self->g + m->beta;
  g_autofree double *d1 = g_new (double, R * H1);

  {
    g_autofree double *sd = g_new0 (double, H), *sdx = g_new0 (double, H), *k = g_new (double, H);

    for (gsize r = 0; r < R; r++)
      for (guint j = 0; j < H; j++)
        {
          sd[j] += dout[r * H + j];
          sdx[j] += dout[r * H + j] * c->xhat[r * H + j];
        }
    for (guint j = 0; j < H; j++)
      {
        ggamma[j] += sdx[j];
        gbeta[j] += sd[j];
        k[j] = gamma[j] * c->istd[j] / R;
      }
    for (gsize r = 0; r < R; r++)
      for (guint j = 0; j < H; j++)
        dout[r * H + j] = k[j] * (R * dout[r * H + j] - sd[j] - c->xhat[r * H + j] * sdx[j]);
  }
  elu_bwd (c->a2, dout, R * H);
  lin_bwd (self, &m->fc2, c->a1, R, dout, d1);
  elu_bwd (c->a1, d1, R * H1);
  lin_bwd (self, &m->fc1, c->in, R, d1, din);
}

static AssayGru
gru_view (AssayCordNet *self, const GruP *p)
{
  AssayGru g = { p->in, p->hidden, self->w + p->w_ih, self->w + p->w_hh, self->w + p->b_ih, self->w + p->b_hh };
  return g;
}

typedef struct
{
  guint         T, S;
  const double *in;
  double       *rev_in;        /* the input reversed in time */
  double       *h[2], *gates[2];
  double       *out;           /* T x S x 2h: [forward, backward] */
} BiCache;

static void
bi_cache_clear (BiCache *c)
{
  g_free (c->rev_in);
  for (int d = 0; d < 2; d++)
    {
      g_free (c->h[d]);
      g_free (c->gates[d]);
    }
  g_free (c->out);
}

static void
bigru_fwd (AssayCordNet *self, const GruP *p, const double *in, guint T, guint S, BiCache *c)
{
  guint In = p[0].in, h = p[0].hidden;
  gsize step = (gsize) S * In;

  c->T = T;
  c->S = S;
  c->in = in;
  c->rev_in = g_new (double, T * step);
  for (guint t = 0; t < T; t++)
    memcpy (c->rev_in + t * step, in + (gsize) (T - 1 - t) * step, step * sizeof (double));
  for (int d = 0; d < 2; d++)
    {
      AssayGru g = gru_view (self, &p[d]);
      c->h[d] = g_new (double, (gsize) (T + 1) * S * h);
      c->gates[d] = g_new (double, (gsize) T * S * 4 * h);
      assay_gru_forward (&g, d == 0 ? in : c->rev_in, T, S, NULL, c->h[d], c->gates[d]);
    }
  c->out = g_new (double, (gsize) T * S * 2 * h);
  for (guint t = 0; t < T; t++)
    for (guint s = 0; s < S; s++)
      {
        double *o = c->out + ((gsize) t * S + s) * 2 * h;
        memcpy (o, c->h[0] + ((gsize) (t + 1) * S + s) * h, h * sizeof (double));
        memcpy (o + h, c->h[1] + ((gsize) (T - t) * S + s) * h, h * sizeof (double));
      }
}

static void
bigru_bwd (AssayCordNet *self, const GruP *p, BiCache *c, const double *dout, double *din)
{
  guint             T = c->T, S = c->S, In = p[0].in, h = p[0].hidden;
  gsize             step = (gsize) S * In;
  g_autofree double *dh = g_new0 (double, (gsize) (T + 1) * S * h);
  g_autofree double *dx = g_new (double, (gsize) T * step);

  for (int d = 0; d < 2; d++)
    {
      AssayGru     g = gru_view (self, &p[d]);
      AssayGruGrad gg = { self->g + p[d].w_ih, self->g + p[d].w_hh, self->g + p[d].b_ih, self->g + p[d].b_hh };

      memset (dh, 0, (gsize) (T + 1) * S * h * sizeof (double));
      for (guint t = 0; t < T; t++)
        for (guint s = 0; s < S; s++)
          {
            const double *o = dout + ((gsize) t * S + s) * 2 * h;
            gsize         u = d == 0 ? t + 1 : T - t;
            memcpy (dh + (u * S + s) * h, o + d * h, h * sizeof (double));
          }
      assay_gru_backward (&g, d == 0 ? c->in : c->rev_in, T, S, c->h[d], c->gates[d], dh, &gg, dx, NULL);
      for (guint t = 0; t < T; t++)
        {
          double       *a = din + (gsize) t * step;
          const double *b = dx + (gsize) (d == 0 ? t : T - 1 - t) * step;
          if (d == 0)
            memcpy (a, b, step * sizeof (double));
          else
            for (gsize i = 0; i < step; i++)
              a[i] += b[i];
        }
    }
}

/* ---- encoder ---- */

typedef struct
{
  guint    T, B;
  gsize    Rn, Re;
  double  *x0;                 /* Rn x M */
  MlpCache in, m2, m3, mo;
  BiCache  g1, g2;
  double  *e1;                 /* Re x 2H */
  double  *v0;                 /* Rn x H */
  double  *e2;                 /* Re x 3H */
  double  *logits;             /* Re x K */
} EncCache;

static void
enc_cache_clear (EncCache *c)
{
  g_free (c->x0);
  mlp_cache_clear (&c->in);
  mlp_cache_clear (&c->m2);
  mlp_cache_clear (&c->m3);
  mlp_cache_clear (&c->mo);
  bi_cache_clear (&c->g1);
  bi_cache_clear (&c->g2);
  g_free (c->e1);
  g_free (c->v0);
  g_free (c->e2);
  g_free (c->logits);
}

static void
enc_fwd (AssayCordNet *self, const double *x, guint B, guint T, gboolean train, EncCache *c)
{
  guint N = self->c.N, M = self->c.M, H = self->c.hidden, E = self->E;
  gsize G = (gsize) T * B;

  c->T = T;
  c->B = B;
  c->Rn = G * N;
  c->Re = G * E;
  c->x0 = g_new (double, c->Rn * M);
  for (guint b = 0; b < B; b++)
    for (guint t = 0; t < T; t++)
      memcpy (c->x0 + ((gsize) t * B + b) * N * M, x + ((gsize) b * T + t) * N * M, (gsize) N * M * sizeof (double));
  mlp_fwd (self, &self->mlp_in, c->x0, c->Rn, train, &c->in);
  bigru_fwd (self, self->gru1, c->in.out, T, B * N, &c->g1);
  c->e1 = g_new (double, c->Re * 2 * H);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        double *row = c->e1 + (g * E + e) * 2 * H;
        memcpy (row, c->g1.out + (g * N + self->recv[e]) * H, H * sizeof (double));
        memcpy (row + H, c->g1.out + (g * N + self->send[e]) * H, H * sizeof (double));
      }
  mlp_fwd (self, &self->mlp2, c->e1, c->Re, train, &c->m2);
  c->v0 = g_new0 (double, c->Rn * H);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *s = c->m2.out + (g * E + e) * H;
        double       *v = c->v0 + (g * N + self->recv[e]) * H;
        for (guint j = 0; j < H; j++)
          v[j] += s[j] / (N - 1);
      }
  mlp_fwd (self, &self->mlp3, c->v0, c->Rn, train, &c->m3);
  bigru_fwd (self, self->gru2, c->m3.out, T, B * N, &c->g2);
  c->e2 = g_new (double, c->Re * 3 * H);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        double *row = c->e2 + (g * E + e) * 3 * H;
        memcpy (row, c->g2.out + (g * N + self->recv[e]) * H, H * sizeof (double));
        memcpy (row + H, c->g2.out + (g * N + self->send[e]) * H, H * sizeof (double));
        memcpy (row + 2 * H, c->m2.out + (g * E + e) * H, H * sizeof (double));
      }
  mlp_fwd (self, &self->mlp_out, c->e2, c->Re, train, &c->mo);
  c->logits = g_new (double, c->Re * self->c.edge_types);
  lin_fwd (self, &self->fc_out, c->mo.out, c->Re, c->logits);
}

/* dlogits: Re x K. */
static void
enc_bwd (AssayCordNet *self, EncCache *c, const double *dlogits)
{
  guint             N = self->c.N, H = self->c.hidden, E = self->E;
  gsize             G = (gsize) c->T * c->B;
  g_autofree double *dmo = g_new (double, c->Re * H);
  g_autofree double *de2 = g_new (double, c->Re * 3 * H);
  g_autofree double *dg2 = g_new0 (double, c->Rn * H);
  g_autofree double *ds = g_new (double, c->Re * H);
  g_autofree double *dm3 = g_new (double, c->Rn * H);
  g_autofree double *dv0 = g_new (double, c->Rn * H);
  g_autofree double *de1 = g_new (double, c->Re * 2 * H);
  g_autofree double *dg1 = g_new0 (double, c->Rn * H);
  g_autofree double *din = g_new (double, c->Rn * H);

  lin_bwd (self, &self->fc_out, c->mo.out, c->Re, dlogits, dmo);
  mlp_bwd (self, &self->mlp_out, &c->mo, dmo, de2);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *row = de2 + (g * E + e) * 3 * H;
        double       *r = dg2 + (g * N + self->recv[e]) * H, *s = dg2 + (g * N + self->send[e]) * H;
        for (guint j = 0; j < H; j++)
          {
            r[j] += row[j];
            s[j] += row[H + j];
          }
        memcpy (ds + (g * E + e) * H, row + 2 * H, H * sizeof (double));
      }
  bigru_bwd (self, self->gru2, &c->g2, dg2, dm3);
  mlp_bwd (self, &self->mlp3, &c->m3, dm3, dv0);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *v = dv0 + (g * N + self->recv[e]) * H;
        double       *s = ds + (g * E + e) * H;
        for (guint j = 0; j < H; j++)
          s[j] += v[j] / (N - 1);
      }
  mlp_bwd (self, &self->mlp2, &c->m2, ds, de1);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *row = de1 + (g * E + e) * 2 * H;
        double       *r = dg1 + (g * N + self->recv[e]) * H, *s = dg1 + (g * N + self->send[e]) * H;
        for (guint j = 0; j < H; j++)
          {
            r[j] += row[j];
            s[j] += row[H + j];
          }
      }
  bigru_bwd (self, self->gru1, &c->g1, dg1, din);
  mlp_bwd (self, &self->mlp_in, &c->in, din, NULL);
}

/* ---- decoder: one step for G groups (windows or starting steps) ---- */

typedef struct
{
  gsize         G;
  const double *in;            /* G N x M */
  const double *z;             /* G E x K */
  double       *pre;           /* G E x 2M */
  double       *a1[MAX_TYPES], *a2[MAX_TYPES]; /* G E x D */
  double       *aug;           /* G N x (M + D) */
  double       *p1, *p2;       /* G N x D */
} DecCache;

static void
dec_cache_clear (DecCache *c)
{
  g_free (c->pre);
  for (int k = 0; k < MAX_TYPES; k++)
    {
      g_free (c->a1[k]);
      g_free (c->a2[k]);
    }
  g_free (c->aug);
  g_free (c->p1);
  g_free (c->p2);
  memset (c, 0, sizeof *c);
}

/* out: G N x M. With keep, the cache keeps what backward needs; otherwise it is cleared. */
static void
dec_fwd (AssayCordNet *self, const double *in, const double *z, gsize G, double *out, DecCache *c)
{
  guint             N = self->c.N, M = self->c.M, D = self->c.msg_hidden, K = self->c.edge_types, E = self->E;
  gsize             Re = G * E, Rn = G * N;
  g_autofree double *msg = g_new0 (double, Re * D);

  c->G = G;
  c->in = in;
  c->z = z;
  c->pre = g_new (double, Re * 2 * M);
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        double *row = c->pre + (g * E + e) * 2 * M;
        memcpy (row, in + (g * N + self->send[e]) * M, M * sizeof (double));
        memcpy (row + M, in + (g * N + self->recv[e]) * M, M * sizeof (double));
      }
  for (guint k = 1; k < K; k++)
    {
      c->a1[k] = g_new (double, Re * D);
      c->a2[k] = g_new (double, Re * D);
      lin_fwd (self, &self->msg1[k], c->pre, Re, c->a1[k]);
      relu_inplace (c->a1[k], Re * D);
      lin_fwd (self, &self->msg2[k], c->a1[k], Re, c->a2[k]);
      relu_inplace (c->a2[k], Re * D);
      for (gsize r = 0; r < Re; r++)
        {
          double zk = z[r * K + k];
          for (guint j = 0; j < D; j++)
            msg[r * D + j] += zk * c->a2[k][r * D + j];
        }
    }
  c->aug = g_new0 (double, Rn * (M + D));
  for (gsize r = 0; r < Rn; r++)
    memcpy (c->aug + r * (M + D), in + r * M, M * sizeof (double));
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *m = msg + (g * E + e) * D;
        double       *a = c->aug + (g * N + self->recv[e]) * (M + D) + M;
        for (guint j = 0; j < D; j++)
          a[j] += m[j];
      }
  c->p1 = g_new (double, Rn * D);
  c->p2 = g_new (double, Rn * D);
  lin_fwd (self, &self->o1, c->aug, Rn, c->p1);
  relu_inplace (c->p1, Rn * D);
  lin_fwd (self, &self->o2, c->p1, Rn, c->p2);
  relu_inplace (c->p2, Rn * D);
  lin_fwd (self, &self->o3, c->p2, Rn, out);
  for (gsize i = 0; i < Rn * M; i++)
    out[i] += in[i];
}

/* dout (G N x M) -> din (overwritten), dz (G E x K, added to). */
static void
dec_bwd (AssayCordNet *self, DecCache *c, const double *dout, double *din, double *dz)
{
  guint             N = self->c.N, M = self->c.M, D = self->c.msg_hidden, K = self->c.edge_types, E = self->E;
  gsize             G = c->G, Re = G * E, Rn = G * N;
  g_autofree double *dp2 = g_new (double, Rn * D), *dp1 = g_new (double, Rn * D);
  g_autofree double *daug = g_new (double, Rn * (M + D));
  g_autofree double *da2 = g_new (double, Re * D), *da1 = g_new (double, Re * D);
  g_autofree double *dpre = g_new0 (double, Re * 2 * M), *dprek = g_new (double, Re * 2 * M);

  lin_bwd (self, &self->o3, c->p2, Rn, dout, dp2);
  relu_bwd (c->p2, dp2, Rn * D);
  lin_bwd (self, &self->o2, c->p1, Rn, dp2, dp1);
  relu_bwd (c->p1, dp1, Rn * D);
  lin_bwd (self, &self->o1, c->aug, Rn, dp1, daug);
  for (gsize r = 0; r < Rn; r++)
    for (guint m = 0; m < M; m++)
      din[r * M + m] = dout[r * M + m] + daug[r * (M + D) + m];
  for (guint k = 1; k < K; k++)
    {
      for (gsize g = 0; g < G; g++)
        for (guint e = 0; e < E; e++)
          {
            gsize         r = g * E + e;
            const double *dm = daug + (g * N + self->recv[e]) * (M + D) + M;
            const double *a2 = c->a2[k] + r * D;
            double        zk = c->z[r * K + k], s = 0.0;
            for (guint j = 0; j < D; j++)
              {
                s += dm[j] * a2[j];
                da2[r * D + j] = dm[j] * zk;
              }
            dz[r * K + k] += s;
          }
      relu_bwd (c->a2[k], da2, Re * D);
      lin_bwd (self, &self->msg2[k], c->a1[k], Re, da2, da1);
      relu_bwd (c->a1[k], da1, Re * D);
      lin_bwd (self, &self->msg1[k], c->pre, Re, da1, dprek);
      for (gsize i = 0; i < Re * 2 * M; i++)
        dpre[i] += dprek[i];
    }
  for (gsize g = 0; g < G; g++)
    for (guint e = 0; e < E; e++)
      {
        const double *row = dpre + (g * E + e) * 2 * M;
        double       *s = din + (g * N + self->send[e]) * M, *r = din + (g * N + self->recv[e]) * M;
        for (guint m = 0; m < M; m++)
          {
            s[m] += row[m];
            r[m] += row[M + m];
          }
      }
}

/* ---- the loss ---- */

static void
softmax_rows (const double *l, const double *noise, double temp, gsize R, guint K, double *z)
{
  for (gsize r = 0; r < R; r++)
    {
      double mx = -INFINITY, s = 0.0;
      for (guint k = 0; k < K; k++)
        {
          double v = (l[r * K + k] + (noise != NULL ? noise[r * K + k] : 0.0)) / temp;
          z[r * K + k] = v;
          mx = MAX (mx, v);
        }
      for (guint k = 0; k < K; k++)
        {
          z[r * K + k] = exp (z[r * K + k] - mx);
          s += z[r * K + k];
        }
      for (guint k = 0; k < K; k++)
        z[r * K + k] /= s;
    }
}

double
assay_cord_net_loss (AssayCordNet *self, const double *x, guint B, guint T, const double *gumbel, gboolean train,
                     gboolean backward, const guint8 *truth, AssayCordLoss *parts)
{
  guint             N = self->c.N, M = self->c.M, K = self->c.edge_types, E = self->E, P = MAX (1, self->c.pred_steps);
  gsize             Rn_t = (gsize) B * N, Re_t = (gsize) B * E, nd = Rn_t * M;
  EncCache          enc = { 0 };
  g_autofree double *z = NULL, *pred = NULL, *dz = NULL, *dl = NULL, *dcarry = NULL, *dpred = NULL, *din = NULL;
  DecCache         *dec;
  double            nll = 0.0, smooth = 0.0, cn, cs;
  guint             a = self->c.smooth_margin, pairs;
  gsize             correct = 0, counted = 0;

  g_return_val_if_fail (T >= 2 && B >= 1, NAN);
  enc_fwd (self, x, B, T, train, &enc);
  z = g_new (double, enc.Re * K);
  softmax_rows (enc.logits, gumbel, gumbel != NULL ? self->c.temp : 1.0, enc.Re, K, z);

  /* roll-out: input at t is the truth every P steps, else the previous prediction */
  pred = g_new (double, (gsize) (T - 1) * nd);
  dec = g_new0 (DecCache, T - 1);
  for (guint t = 0; t + 1 < T; t++)
    {
      const double *in = t % P == 0 ? enc.x0 + (gsize) t * nd : pred + (gsize) (t - 1) * nd;
      dec_fwd (self, in, z + (gsize) t * Re_t * K, B, pred + (gsize) t * nd, &dec[t]);
    }
  cn = 400.0 / (2.0 * self->c.var) / ((double) (T - 1) * nd);
  for (guint t = 0; t + 1 < T; t++)
    for (gsize i = 0; i < nd; i++)
      {
        double d = pred[(gsize) t * nd + i] - enc.x0[(gsize) (t + 1) * nd + i];
        nll += d * d;
      }
  nll *= cn;
  pairs = T > 2 * a + 1 ? T - 2 * a - 1 : 0;
  cs = pairs > 0 ? self->c.smooth / ((double) pairs * Re_t * K) : 0.0;
  for (guint t = a; t < a + pairs; t++)
    for (gsize i = 0; i < Re_t * K; i++)
      {
        double d = enc.logits[(gsize) (t + 1) * Re_t * K + i] - enc.logits[(gsize) t * Re_t * K + i];
        smooth += d * d;
      }
  smooth *= cs;
  if (truth != NULL)
    for (guint b = 0; b < B; b++)
      for (guint t = a; t + a < T; t++)
        for (guint e = 0; e < E; e++)
          {
            const double *l = enc.logits + (((gsize) t * B + b) * E + e) * K;
            guint         best = 0;
            for (guint k = 1; k < K; k++)
              if (l[k] > l[best])
                best = k;
            correct += best == truth[((gsize) b * T + t) * E + e];
            counted++;
          }

  if (backward)
    {
      dz = g_new0 (double, enc.Re * K);
      dl = g_new0 (double, enc.Re * K);
      dpred = g_new (double, nd);
      dcarry = g_new0 (double, nd);
      din = g_new (double, nd);
      for (guint t = T - 1; t-- > 0;)
        {
          for (gsize i = 0; i < nd; i++)
            dpred[i] = 2.0 * cn * (pred[(gsize) t * nd + i] - enc.x0[(gsize) (t + 1) * nd + i]) + dcarry[i];
          dec_bwd (self, &dec[t], dpred, din, dz + (gsize) t * Re_t * K);
          if (t % P != 0)
            memcpy (dcarry, din, nd * sizeof (double));
          else
            memset (dcarry, 0, nd * sizeof (double));
          dec_cache_clear (&dec[t]);
        }
      /* through the (Gumbel-)softmax */
      {
        double temp = gumbel != NULL ? self->c.temp : 1.0;
        for (gsize r = 0; r < enc.Re; r++)
          {
            double s = 0.0;
            for (guint k = 0; k < K; k++)
              s += dz[r * K + k] * z[r * K + k];
            for (guint k = 0; k < K; k++)
              dl[r * K + k] = z[r * K + k] * (dz[r * K + k] - s) / temp;
          }
      }
      for (guint t = a; t < a + pairs; t++)
        for (gsize i = 0; i < Re_t * K; i++)
          {
            gsize  i1 = (gsize) (t + 1) * Re_t * K + i, i0 = (gsize) t * Re_t * K + i;
            double d = 2.0 * cs * (enc.logits[i1] - enc.logits[i0]);
            dl[i1] += d;
            dl[i0] -= d;
          }
      enc_bwd (self, &enc, dl);
    }
  for (guint t = 0; t + 1 < T; t++)
    dec_cache_clear (&dec[t]);
  g_free (dec);
  enc_cache_clear (&enc);
  if (parts != NULL)
    {
      parts->nll = nll;
      parts->smooth = smooth;
      parts->edge_accuracy = counted > 0 ? (double) correct / counted : NAN;
    }
  return nll + smooth;
}

void
assay_cord_net_infer (AssayCordNet *self, const double *x, guint T, guint k, double *prob, double *rollout)
{
  assay_cord_net_infer_batch (self, x, 1, T, k, prob, rollout);
}

void
assay_cord_net_infer_batch (AssayCordNet *self, const double *x, guint B, guint T, guint k, double *prob,
                            double *rollout)
{
  guint              N = self->c.N, M = self->c.M, K = self->c.edge_types, E = self->E;
  gsize              nd = (gsize) N * M, ek = (gsize) E * K, G = (gsize) B * T;
  EncCache           enc = { 0 };
  g_autofree double *tm = NULL;

  if (T == 0 || B == 0)
    return;
  enc_fwd (self, x, B, T, FALSE, &enc);
  tm = g_new (double, enc.Re * K);
  softmax_rows (enc.logits, NULL, 1.0, enc.Re, K, tm);
  enc_cache_clear (&enc);
  /* time-major rows to [b][t] */
  for (guint b = 0; b < B; b++)
    for (guint t = 0; t < T; t++)
      memcpy (prob + ((gsize) b * T + t) * ek, tm + ((gsize) t * B + b) * ek, ek * sizeof (double));
  if (rollout != NULL && k > 0)
    {
      g_autofree double *in = g_memdup2 (x, G * nd * sizeof (double)), *out = g_new (double, G * nd);
      g_autofree double *zs = g_new (double, G * ek);

      /* one group per (window, step), in x's order */
      for (guint i = 0; i < k; i++)
        {
          DecCache c = { 0 };
          for (guint b = 0; b < B; b++)
            for (guint t = 0; t < T; t++)
              memcpy (zs + ((gsize) b * T + t) * ek, prob + ((gsize) b * T + MIN (t + i, T - 1)) * ek, ek * sizeof (double));
          dec_fwd (self, in, zs, G, out, &c);
          dec_cache_clear (&c);
          for (gsize g = 0; g < G; g++)
            memcpy (rollout + (g * k + i) * nd, out + g * nd, nd * sizeof (double));
          memcpy (in, out, G * nd * sizeof (double));
        }
    }
}

/* A net sharing self's weights, with gradients and batch-norm buffers of its own. */
static AssayCordNet *
replica_new (AssayCordNet *self)
{
  AssayCordNet *r = g_memdup2 (self, sizeof *self);

  r->replica = TRUE;
  r->g = g_new0 (double, self->n_w);
  r->buf = g_memdup2 (self->buf, self->n_buf * sizeof (double));
  return r;
}

double
assay_cord_net_loss_parallel (AssayCordNet *self, const double *x, guint B, guint T, const double *gumbel,
                              const guint8 *truth, guint n_threads, AssayCordLoss *parts)
{
  guint          K = self->c.edge_types, E = self->E, P = MIN (MAX (1, n_threads), B);
  gsize          per = (gsize) T * self->c.N * self->c.M, per_e = (gsize) T * E, ek = (gsize) E * K;
  AssayCordNet  *rep[16];
  double         loss[16];
  AssayCordLoss  part[16];
  guint          start[17];
  double         total = 0.0;
  int            blas = openblas_get_num_threads ();

  P = MIN (P, 16);
  if (P <= 1)
    return assay_cord_net_loss (self, x, B, T, gumbel, TRUE, TRUE, truth, parts);
  for (guint p = 0; p <= P; p++)
    start[p] = (guint) ((gsize) B * p / P);
  for (guint p = 0; p < P; p++)
    rep[p] = replica_new (self);
  openblas_set_num_threads (1);
#pragma omp parallel for num_threads (P) schedule (static, 1)
  for (guint p = 0; p < P; p++)
    {
      guint             b0 = start[p], nb = start[p + 1] - start[p];
      g_autofree double *noise = NULL;

      if (gumbel != NULL)
        {
          /* the part's windows of every step: [t][b0 .. b0 + nb) */
          noise = g_new (double, (gsize) T * nb * ek);
          for (guint t = 0; t < T; t++)
            memcpy (noise + (gsize) t * nb * ek, gumbel + ((gsize) t * B + b0) * ek, nb * ek * sizeof (double));
        }
      loss[p] = assay_cord_net_loss (rep[p], x + b0 * per, nb, T, noise, TRUE, TRUE,
                                     truth != NULL ? truth + b0 * per_e : NULL, &part[p]);
    }
  openblas_set_num_threads (blas);
  if (parts != NULL)
    memset (parts, 0, sizeof *parts);
  memset (self->buf, 0, self->n_buf * sizeof (double));
  for (guint p = 0; p < P; p++)
    {
      double share = (double) (start[p + 1] - start[p]) / B;
      for (gsize i = 0; i < self->n_w; i++)
        self->g[i] += share * rep[p]->g[i];
      for (gsize i = 0; i < self->n_buf; i++)
        self->buf[i] += rep[p]->buf[i] / P;
      total += share * loss[p];
      if (parts != NULL)
        {
          parts->nll += share * part[p].nll;
          parts->smooth += share * part[p].smooth;
          parts->edge_accuracy += share * part[p].edge_accuracy;
        }
      assay_cord_net_free (rep[p]);
    }
  return total;
}
