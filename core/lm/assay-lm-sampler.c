/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-sampler.c: see assay-lm-sampler.h. The order of the steps is transformers':
 * RepetitionPenaltyLogitsProcessor (positive logits divided by the penalty, negative ones
 * multiplied), TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper (the smallest set of
 * most likely tokens whose probability reaches top_p, at least one), MinPLogitsWarper (tokens
 * below min_p times the most likely one's probability removed). Probabilities are float64. */
#include "assay-lm-sampler.h"

#include <math.h>

#include "assay-error.h"

struct _AssayLmSampler
{
  AssaySampling s;
  int           vocab;
  guint64       state[4];
  double       *z;    /* processed logits, then probabilities */
  int          *idx;  /* token ids of the kept tokens */
  guint8       *seen; /* tokens in the history */
};

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static guint64
next_u64 (AssayLmSampler *self)
{
  guint64 *s = self->state, result = rotl (s[1] * 5, 7) * 9, t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

gboolean
assay_sampling_check (const AssaySampling *s, GError **error)
{
  const char *bad = NULL;

  if (!(s->temperature >= 0 && isfinite (s->temperature)))
    bad = "temperature must be 0 (greedy) or positive";
  else if (s->top_k < 0)
    bad = "top-k must be 0 (off) or positive";
  else if (!(s->top_p > 0 && s->top_p <= 1))
    bad = "top-p must be in (0, 1]";
  else if (!(s->min_p >= 0 && s->min_p < 1))
    bad = "min-p must be in [0, 1)";
  else if (!(s->repetition_penalty > 0 && isfinite (s->repetition_penalty)))
    bad = "the repetition penalty must be positive (1: off)";
  if (bad != NULL)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s", bad);
  return bad == NULL;
}

AssayLmSampler *
assay_lm_sampler_new (const AssaySampling *sampling, guint64 seed, guint64 stream, int vocab)
{
  AssayLmSampler *self = g_new0 (AssayLmSampler, 1);
  guint64         x = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));

  self->s = *sampling;
  self->vocab = vocab;
  for (int i = 0; i < 4; i++)
    self->state[i] = splitmix64 (&x);
  self->z = g_new (double, vocab);
  self->idx = g_new (int, vocab);
  self->seen = g_new0 (guint8, vocab);
  return self;
}

void
assay_lm_sampler_free (AssayLmSampler *self)
{
  if (self == NULL)
    return;
  g_free (self->z);
  g_free (self->idx);
  g_free (self->seen);
  g_free (self);
}

double
assay_lm_logprob (const float *logits, int vocab, int token)
{
  double mx = -INFINITY, sum = 0;

  for (int j = 0; j < vocab; j++)
    mx = fmax (mx, logits[j]);
  for (int j = 0; j < vocab; j++)
    sum += exp ((double) logits[j] - mx);
  return (double) logits[token] - mx - log (sum);
}

/* Logits after the repetition penalty, in z. */
static void
penalised (AssayLmSampler *self, const float *logits, const int *history, int n_history)
{
  double p = self->s.repetition_penalty;

  for (int j = 0; j < self->vocab; j++)
    self->z[j] = logits[j];
  if (p == 1.0)
    return;
  for (int i = 0; i < n_history; i++)
    if (history[i] >= 0 && history[i] < self->vocab && !self->seen[history[i]])
      {
        double *v = &self->z[history[i]];
        self->seen[history[i]] = 1;
        *v = *v > 0 ? *v / p : *v * p;
      }
  for (int i = 0; i < n_history; i++)
    if (history[i] >= 0 && history[i] < self->vocab)
      self->seen[history[i]] = 0;
}

static int
by_probability_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  const double *z = data;
  double        x = z[*(const int *) a], y = z[*(const int *) b];

  if (x != y)
    return x > y ? -1 : 1;
  return *(const int *) a - *(const int *) b; /* ties: the lower id first, as a stable sort */
}

static int
greedy (const double *z, int vocab)
{
  int best = 0;

  for (int j = 1; j < vocab; j++)
    if (z[j] > z[best])
      best = j;
  return best;
}

/* The kept tokens in idx[0..k-1], most likely first, with their probabilities in z[idx[i]]
 * (normalised over the kept set). */
static int
kept (AssayLmSampler *self)
{
  const AssaySampling *s = &self->s;
  double *z = self->z, mx = -INFINITY, sum = 0, floor_p;
  int     V = self->vocab, k = 0;

  for (int j = 0; j < V; j++)
    {
      z[j] /= s->temperature;
      mx = fmax (mx, z[j]);
    }
  for (int j = 0; j < V; j++)
    sum += (z[j] = exp (z[j] - mx));
  for (int j = 0; j < V; j++)
    z[j] /= sum;
  /* With top-p alone, tokens below floor_p are never kept (together they hold less than
   * 1 - top_p, so they lie in the tail top-p removes): they stay out of the sort. */
  floor_p = s->top_p < 1 && s->top_k == 0 && s->min_p == 0 ? (1.0 - s->top_p) / V : 0.0;
  for (int j = 0; j < V; j++)
    if (z[j] > floor_p) /* (0 without top-p: every token that has a probability at all) */
      self->idx[k++] = j;
  if (s->top_k == 0 && s->top_p >= 1 && s->min_p == 0)
    return k; /* everything, in id order */
  g_qsort_with_data (self->idx, k, sizeof (int), by_probability_desc, z);
  if (s->top_k > 0 && s->top_k < k)
    k = s->top_k;
  if (s->top_p < 1)
    {
      /* over the top-k tokens when top-k cut, else over all (the floor's tokens included) */
      double total = s->top_k > 0 ? 0 : 1, cum = 0;
      for (int i = 0; s->top_k > 0 && i < k; i++)
        total += z[self->idx[i]];
      for (int i = 0; i < k; i++)
        {
          cum += z[self->idx[i]] / total;
          if (cum >= s->top_p)
            {
              k = i + 1;
              break;
            }
        }
    }
  if (s->min_p > 0)
    {
      double total = 0, threshold;
      for (int i = 0; i < k; i++)
        total += z[self->idx[i]];
      threshold = s->min_p * z[self->idx[0]] / total;
      for (int i = 1; i < k; i++)
        if (z[self->idx[i]] / total < threshold)
          {
            k = i;
            break;
          }
    }
  sum = 0;
  for (int i = 0; i < k; i++)
    sum += z[self->idx[i]];
  for (int i = 0; i < k; i++)
    z[self->idx[i]] /= sum;
  return k;
}

int
assay_lm_sampler_draw (AssayLmSampler *self, const float *logits, const int *history,
                       int n_history, double *lp_sample, double *lp_model)
{
  int    token, k;
  double u, cum = 0;

  penalised (self, logits, history, n_history);
  if (self->s.temperature == 0)
    {
      token = greedy (self->z, self->vocab);
      *lp_sample = 0;
    }
  else
    {
      k = kept (self);
      u = (next_u64 (self) >> 11) * 0x1.0p-53;
      token = self->idx[k - 1];
      for (int i = 0; i < k; i++)
        {
          cum += self->z[self->idx[i]];
          if (u < cum)
            {
              token = self->idx[i];
              break;
            }
        }
      *lp_sample = log (self->z[token]);
    }
  *lp_model = assay_lm_logprob (logits, self->vocab, token);
  return token;
}
