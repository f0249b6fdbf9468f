/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-minhash.c: see assay-minhash.h. */
#include "assay-minhash.h"

#include "assay-union-find.h"

#include <math.h>
#include <string.h>

#define MERSENNE_61 ((((guint64) 1) << 61) - 1)

G_STATIC_ASSERT (sizeof (gsize) == 8); /* a pair of indices as one hash key */

struct _AssayMinHash
{
  AssayMinHashOptions o;
  guint64            *a, *b; /* per permutation */
};

void
assay_minhash_options_init (AssayMinHashOptions *o)
{
  o->n_perm = 128;
  o->shingle = 5;
  o->seed = 1;
}

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

AssayMinHash *
assay_minhash_new (const AssayMinHashOptions *options)
{
  AssayMinHash *self = g_new0 (AssayMinHash, 1);
  guint64       state;

  if (options != NULL)
    self->o = *options;
  else
    assay_minhash_options_init (&self->o);
  self->o.n_perm = CLAMP (self->o.n_perm, 1, 4096);
  self->o.shingle = CLAMP (self->o.shingle, 1, 64);
  self->a = g_new (guint64, self->o.n_perm);
  self->b = g_new (guint64, self->o.n_perm);
  state = self->o.seed;
  for (guint i = 0; i < self->o.n_perm; i++)
    {
      self->a[i] = 1 + splitmix64 (&state) % (MERSENNE_61 - 1);
      self->b[i] = splitmix64 (&state) % MERSENNE_61;
    }
  return self;
}

void
assay_minhash_free (AssayMinHash *self)
{
  if (self == NULL)
    return;
  g_free (self->a);
  g_free (self->b);
  g_free (self);
}

guint
assay_minhash_n_perm (AssayMinHash *self)
{
  return self->o.n_perm;
}

/* (a x + b) mod 2^61 - 1 */
static inline guint64
permute (guint64 a, guint64 b, guint64 x)
{
  unsigned __int128 p = (unsigned __int128) a * x + b;
  guint64           r = (guint64) (p & MERSENNE_61) + (guint64) (p >> 61);

  r = (r & MERSENNE_61) + (r >> 61);
  return r >= MERSENNE_61 ? r - MERSENNE_61 : r;
}

/* FNV-1a over the words of a shingle (separated by a byte no word holds), then mixed. */
static guint64
shingle_hash (GPtrArray *words, guint from, guint n)
{
  guint64 h = 0xCBF29CE484222325ULL;

  for (guint k = 0; k < n; k++)
    {
      const guchar *w = words->pdata[from + k];
      for (; *w; w++)
        h = (h ^ *w) * 0x100000001B3ULL;
      h = (h ^ 0xFF) * 0x100000001B3ULL;
    }
  return splitmix64 (&h) % MERSENNE_61;
}

gboolean
assay_minhash_signature (AssayMinHash *self, const char *text, guint64 *sig)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  const char *p = text, *start = NULL;
  guint       n, n_shingles;

  for (guint i = 0; i < self->o.n_perm; i++)
    sig[i] = G_MAXUINT64;
  for (;; p = g_utf8_next_char (p))
    {
      gunichar c = *p ? g_utf8_get_char (p) : 0;
      gboolean word = c != 0 && g_unichar_isalnum (c);
      if (word && start == NULL)
        start = p;
      else if (!word && start != NULL)
        {
          g_ptr_array_add (words, g_utf8_casefold (start, p - start));
          start = NULL;
        }
      if (c == 0)
        break;
    }
  n = words->len;
  if (n == 0)
    return FALSE;
  n_shingles = n >= self->o.shingle ? n - self->o.shingle + 1 : 1;
  for (guint s = 0; s < n_shingles; s++)
    {
      guint64 x = shingle_hash (words, s, MIN (self->o.shingle, n));
      for (guint i = 0; i < self->o.n_perm; i++)
        {
          guint64 h = permute (self->a[i], self->b[i], x);
          if (h < sig[i])
            sig[i] = h;
        }
    }
  return TRUE;
}

double
assay_minhash_estimate (const guint64 *a, const guint64 *b, guint n_perm)
{
  guint same = 0;

  for (guint i = 0; i < n_perm; i++)
    same += a[i] == b[i];
  return (double) same / n_perm;
}

/* ---- groups ------------------------------------------------------------------------------ */

typedef struct
{
  guint64 key;
  guint   index;
} Entry;

static int
compare_entries (gconstpointer x, gconstpointer y)
{
  const Entry *a = x, *b = y;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Rows per band: the most whose recall 1 - (1 - t^r)^(n/r) stays above 99.9 % at t. */
static guint
rows_per_band (guint n_perm, double threshold)
{
  guint best = 1;

  for (guint r = 1; r <= n_perm; r++)
    {
      double recall;
      if (n_perm % r != 0)
        continue;
      recall = 1.0 - pow (1.0 - pow (threshold, r), (double) (n_perm / r));
      if (recall >= 0.999)
        best = r;
    }
  return best;
}

GPtrArray *
assay_minhash_groups (AssayMinHash *self, const guint64 *sigs, const gboolean *valid, guint n,
                      double threshold, guint *n_pairs)
{
  guint             P = self->o.n_perm, r = rows_per_band (P, threshold), bands = P / r;
  g_autoptr (AssayUnionFind) sets = assay_union_find_new (n);
  g_autofree Entry *entries = g_new (Entry, MAX (n, 1));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal); /* pairs compared */

  *n_pairs = 0;
  for (guint band = 0; band < bands; band++)
    {
      guint m = 0;
      for (guint i = 0; i < n; i++)
        {
          guint64 h = 0xCBF29CE484222325ULL ^ band;
          if (!valid[i])
            continue;
          for (guint k = 0; k < r; k++)
            h = (h ^ sigs[(gsize) i * P + band * r + k]) * 0x100000001B3ULL;
          entries[m++] = (Entry) { h, i };
        }
      qsort (entries, m, sizeof (Entry), compare_entries);
      for (guint s = 0; s < m;)
        {
          guint e = s + 1;
          while (e < m && entries[e].key == entries[s].key)
            e++;
          /* in a bucket: each against the first and against the one before (not every pair:
           * a bucket of many equal texts stays linear) */
          for (guint j = s + 1; j < e; j++)
            for (int w = 0; w < 2; w++)
              {
                guint    a = w == 0 ? entries[s].index : entries[j - 1].index, b = entries[j].index;
                gpointer key = GSIZE_TO_POINTER (((gsize) a << 32) | b);
                if (w == 1 && j - 1 == s)
                  continue;
                if (g_hash_table_contains (seen, key))
                  continue;
                g_hash_table_add (seen, key);
                if (assay_minhash_estimate (sigs + (gsize) a * P, sigs + (gsize) b * P, P) >= threshold)
                  {
                    assay_union_find_unite (sets, a, b);
                    (*n_pairs)++;
                  }
              }
          s = e;
        }
    }
  return assay_union_find_groups (sets);
}
