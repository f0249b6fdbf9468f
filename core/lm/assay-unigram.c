/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-unigram.c: see assay-unigram.h. The trie is built breadth first from the pieces sorted
 * bytewise, so each node's children are consecutive nodes sorted by label (found by binary
 * search); a node's value is the id its path spells, or -1. */
#include "assay-unigram.h"

#include <string.h>

#define UNK_PENALTY 10.0

typedef struct
{
  guint32 first; /* first child */
  guint16 n;     /* number of children */
  guint8  label;
  gint32  value;
} Node;

struct _AssayUnigram
{
  Node       *nodes;
  guint       n_nodes;
  double     *scores;
  guint       n;
  double      min_score;
  GHashTable *vocab;
  int         unk;
  gboolean    byte_fallback;
  int         byte_id[256];
};

typedef struct
{
  const char *const *pieces;
  const gsize       *lens;
} SortData;

static int
piece_order (gconstpointer a, gconstpointer b, gpointer data)
{
  const SortData *d = data;
  guint           x = *(const guint *) a, y = *(const guint *) b;
  int             c = strcmp (d->pieces[x], d->pieces[y]);

  return c != 0 ? c : (x > y) - (x < y);
}

typedef struct
{
  guint node, lo, hi;
  gsize depth;
} Todo;

AssayUnigram *
assay_unigram_new (const char *const *pieces, const double *scores, guint n, GHashTable *vocab, int unk,
                   gboolean byte_fallback)
{
  AssayUnigram     *self = g_new0 (AssayUnigram, 1);
  g_autofree gsize *lens = g_new0 (gsize, n);
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) nodes = g_array_new (FALSE, TRUE, sizeof (Node));
  g_autoptr (GArray) todo = g_array_new (FALSE, FALSE, sizeof (Todo));
  SortData          sd = { pieces, lens };
  Node              root = { 0, 0, 0, -1 };

  self->scores = g_new (double, n);
  self->n = n;
  self->vocab = vocab;
  self->unk = unk;
  self->byte_fallback = byte_fallback;
  self->min_score = G_MAXDOUBLE;
  for (guint i = 0; i < n; i++)
    {
      self->scores[i] = scores[i];
      if (pieces[i] == NULL)
        continue;
      self->min_score = MIN (self->min_score, scores[i]);
      lens[i] = strlen (pieces[i]);
      if (lens[i] > 0)
        g_array_append_val (order, i);
    }
  if (self->min_score == G_MAXDOUBLE)
    self->min_score = 0;
  g_array_sort_with_data (order, piece_order, &sd);

  g_array_append_val (nodes, root);
  g_array_append_val (todo, ((Todo) { 0, 0, order->len, 0 }));
  for (guint t = 0; t < todo->len; t++)
    {
      Todo         job = g_array_index (todo, Todo, t);
      const guint *ids = (const guint *) order->data;
      guint        i = job.lo, groups = 0, first = nodes->len;

      /* the pieces that end here come first (sorted); the last of equal ones has the highest id */
      while (i < job.hi && lens[ids[i]] == job.depth)
        g_array_index (nodes, Node, job.node).value = (gint32) ids[i++];
      for (guint j = i; j < job.hi;)
        {
          guint8 label = (guint8) pieces[ids[j]][job.depth];
          guint  k = j;
          Node   child = { 0, 0, label, -1 };
          while (k < job.hi && (guint8) pieces[ids[k]][job.depth] == label)
            k++;
          g_array_append_val (nodes, child);
          g_array_append_val (todo, ((Todo) { nodes->len - 1, j, k, job.depth + 1 }));
          groups++;
          j = k;
        }
      g_array_index (nodes, Node, job.node).first = first;
      g_array_index (nodes, Node, job.node).n = (guint16) groups;
    }
  self->n_nodes = nodes->len;
  self->nodes = (Node *) g_array_free (g_steal_pointer (&nodes), FALSE);
  for (int b = 0; b < 256; b++)
    {
      char     name[8];
      gpointer v;
      g_snprintf (name, sizeof name, "<0x%02X>", b);
      self->byte_id[b] = vocab != NULL && g_hash_table_lookup_extended (vocab, name, NULL, &v) ? GPOINTER_TO_INT (v) : -1;
    }
  return self;
}

void
assay_unigram_free (AssayUnigram *self)
{
  if (self == NULL)
    return;
  g_free (self->nodes);
  g_free (self->scores);
  g_free (self);
}

static inline gint64
child (const AssayUnigram *self, guint node, guint8 label)
{
  const Node *nodes = self->nodes;
  guint       lo = nodes[node].first, hi = lo + nodes[node].n;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (nodes[mid].label < label)
        lo = mid + 1;
      else if (nodes[mid].label > label)
        hi = mid;
      else
        return mid;
    }
  return -1;
}

static void
push (GArray *ids, GArray *spans, int id, gsize start, gsize end)
{
  g_array_append_val (ids, id);
  if (spans != NULL)
    {
      guint range[2] = { (guint) start, (guint) end };
      g_array_append_vals (spans, range, 2);
    }
}

/* One token of the best path, or a fused run of unknown ones: its id, or its bytes' tokens. */
static void
emit (const AssayUnigram *self, const char *text, gsize start, gsize end, gboolean unknown, int id,
      GArray *ids, GArray *spans)
{
  g_autofree char *piece = NULL;
  gpointer         v;
  gboolean         bytes = self->byte_fallback;

  if (!unknown)
    {
      push (ids, spans, id, start, end);
      return;
    }
  piece = g_strndup (text + start, end - start);
  if (self->vocab != NULL && g_hash_table_lookup_extended (self->vocab, piece, NULL, &v))
    {
      push (ids, spans, GPOINTER_TO_INT (v), start, end);
      return;
    }
  for (gsize i = start; bytes && i < end; i++)
    bytes = self->byte_id[(guint8) text[i]] >= 0;
  if (bytes)
    for (gsize i = start; i < end; i++)
      push (ids, spans, self->byte_id[(guint8) text[i]], start, end);
  else if (self->unk >= 0)
    push (ids, spans, self->unk, start, end);
}

void
assay_unigram_encode (const AssayUnigram *self, const char *text, gsize len, GArray *ids, GArray *spans)
{
  g_autofree double *best = NULL;
  g_autofree gint64 *from = NULL;
  g_autofree int    *id = NULL;
  double             unk_score = self->min_score - UNK_PENALTY;
  g_autoptr (GArray) path = NULL;

  if (len == 0)
    return;
  best = g_new0 (double, len + 1);
  from = g_new (gint64, len + 1);
  id = g_new (int, len + 1);
  for (gsize i = 0; i <= len; i++)
    from[i] = -1;
  for (gsize start = 0, mblen; start < len; start += mblen)
    {
      gboolean single = FALSE;
      gint64   node = 0;

      mblen = (gsize) (g_utf8_next_char (text + start) - (text + start));
      if (start + mblen > len)
        mblen = len - start;
      for (gsize k = start; k < len && (node = child (self, (guint) node, (guint8) text[k])) >= 0; k++)
        {
          int v = self->nodes[node].value;
          if (v >= 0)
            {
              double cand = self->scores[v] + best[start];
              if (from[k + 1] < 0 || cand > best[k + 1])
                {
                  best[k + 1] = cand;
                  from[k + 1] = (gint64) start;
                  id[k + 1] = v;
                }
              if (k + 1 - start == mblen)
                single = TRUE;
            }
        }
      if (!single)
        {
          double cand = unk_score + best[start];
          gsize  at = start + mblen;
          if (from[at] < 0 || cand > best[at])
            {
              best[at] = cand;
              from[at] = (gint64) start;
              id[at] = self->unk;
            }
        }
    }
  /* back from the end: the path's tokens, last first */
  path = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize at = len; at > 0; at = (gsize) from[at])
    g_array_append_val (path, at);
  for (guint i = path->len; i > 0;)
    {
      gsize end = g_array_index (path, gsize, i - 1), start = (gsize) from[end];
      i--;
      if (id[end] == self->unk)
        {
          /* fuse the run of unknown tokens that starts here */
          while (i > 0 && id[g_array_index (path, gsize, i - 1)] == self->unk)
            end = g_array_index (path, gsize, --i);
          emit (self, text, start, end, TRUE, self->unk, ids, spans);
        }
      else
        emit (self, text, start, end, FALSE, id[end], ids, spans);
    }
}
