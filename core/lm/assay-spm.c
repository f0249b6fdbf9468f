/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-spm.c: see assay-spm.h. Symbols form a linked list over the rewritten text; candidate
 * pairs wait in a heap ordered by score (then position); a popped pair whose symbols changed
 * since it was pushed is stale and skipped. */
#include "assay-spm.h"

#include <string.h>

#define SPACE "\xe2\x96\x81" /* ▁ */

typedef struct
{
  guint from, len; /* bytes of the rewritten text; len 0: merged away */
  int   prev, next;
} Symbol;

typedef struct
{
  float score;
  int   left, right;
  guint len; /* of the joined text, to tell a stale pair */
} Pair;

static gboolean
pair_before (const Pair *a, const Pair *b)
{
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void
heap_push (GArray *heap, Pair p)
{
  guint i = heap->len;

  g_array_append_val (heap, p);
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      Pair *h = (Pair *) heap->data;
      if (!pair_before (&h[i], &h[parent]))
        break;
      Pair t = h[i];
      h[i] = h[parent];
      h[parent] = t;
      i = parent;
    }
}

static Pair
heap_pop (GArray *heap)
{
  Pair *h = (Pair *) heap->data, top = h[0];
  guint n = heap->len - 1, i = 0;

  h[0] = h[n];
  g_array_set_size (heap, n);
  h = (Pair *) heap->data;
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, best = i;
      if (l < n && pair_before (&h[l], &h[best]))
        best = l;
      if (r < n && pair_before (&h[r], &h[best]))
        best = r;
      if (best == i)
        break;
      Pair t = h[i];
      h[i] = h[best];
      h[best] = t;
      i = best;
    }
  return top;
}

static int
piece_id (const AssaySpm *self, const char *s, guint len)
{
  char    buf[256];
  g_autofree char *big = NULL;
  const char *key = buf;
  gpointer v;

  if (len < sizeof buf)
    {
      memcpy (buf, s, len);
      buf[len] = '\0';
    }
  else
    key = big = g_strndup (s, len);
  if (!g_hash_table_lookup_extended (self->vocab, key, NULL, &v))
    return -1;
  return GPOINTER_TO_INT (v);
}

static void
try_pair (const AssaySpm *self, const char *text, const Symbol *sym, int left, int right, GArray *heap)
{
  guint len;
  int   id;

  if (left < 0 || right < 0)
    return;
  len = sym[left].len + sym[right].len;
  if (self->scores == NULL)
    {
      int   a = piece_id (self, text + sym[left].from, sym[left].len);
      int   b = piece_id (self, text + sym[right].from, sym[right].len);
      guint rank;
      if (a < 0 || b < 0 || !self->merge_rank (self->merge_data, a, b, &rank))
        return;
      heap_push (heap, (Pair) { -(float) rank, left, right, len });
      return;
    }
  id = piece_id (self, text + sym[left].from, len);
  if (id < 0 || (guint) id >= self->n_scores)
    return;
  heap_push (heap, (Pair) { self->scores[id], left, right, len });
}

void
assay_spm_encode (const AssaySpm *self, const char *text, gsize len, gsize base, GArray *ids,
                  GArray *offsets)
{
  g_autoptr (GString) rw = g_string_new (NULL);
  g_autoptr (GArray) src = g_array_new (FALSE, FALSE, sizeof (guint)); /* rewritten byte -> source byte */
  g_autoptr (GArray) syms = g_array_new (FALSE, FALSE, sizeof (Symbol));
  g_autoptr (GArray) heap = g_array_new (FALSE, FALSE, sizeof (Pair));
  Symbol *sym;

  if (len == 0)
    return;
  /* the rewritten text and where each of its bytes came from */
  if (self->add_prefix)
    {
      g_string_append (rw, SPACE);
      for (int k = 0; k < 3; k++)
        {
          guint zero = 0;
          g_array_append_val (src, zero);
        }
    }
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      guint at = (guint) (p - text), n = (guint) (g_utf8_next_char (p) - p);
      if (*p == ' ')
        {
          g_string_append (rw, SPACE);
          n = 3;
        }
      else
        g_string_append_len (rw, p, n);
      for (guint k = 0; k < n; k++)
        g_array_append_val (src, at);
    }
  for (const char *p = rw->str; p < rw->str + rw->len; p = g_utf8_next_char (p))
    {
      Symbol s = { (guint) (p - rw->str), (guint) (g_utf8_next_char (p) - p), (int) syms->len - 1,
                   (int) syms->len + 1 };
      g_array_append_val (syms, s);
    }
  sym = (Symbol *) syms->data;
  sym[syms->len - 1].next = -1;
  for (guint i = 0; i + 1 < syms->len; i++)
    try_pair (self, rw->str, sym, (int) i, (int) i + 1, heap);
  while (heap->len > 0)
    {
      Pair   p = heap_pop (heap);
      Symbol *l = &sym[p.left], *r = &sym[p.right];
      if (l->len == 0 || r->len == 0 || l->len + r->len != p.len || l->next != p.right)
        continue;
      l->len += r->len;
      r->len = 0;
      l->next = r->next;
      if (r->next >= 0)
        sym[r->next].prev = p.left;
      try_pair (self, rw->str, sym, l->prev, p.left, heap);
      try_pair (self, rw->str, sym, p.left, l->next, heap);
    }
  for (int i = 0; i >= 0 && (guint) i < syms->len; i = sym[i].next)
    {
      const Symbol *s = &sym[i];
      int           id = piece_id (self, rw->str + s->from, s->len);
      guint         a = g_array_index (src, guint, s->from);
      guint         b = s->from + s->len < src->len ? g_array_index (src, guint, s->from + s->len) : (guint) len;

      if (id >= 0)
        {
          g_array_append_val (ids, id);
          if (offsets != NULL)
            {
              guint range[2] = { (guint) base + a, (guint) base + MAX (a, b) };
              g_array_append_vals (offsets, range, 2);
            }
          continue;
        }
      /* byte fallback: every byte of the character (or the unknown token) */
      for (guint k = 0; k < s->len; k++)
        {
          guint8 byte = (guint8) rw->str[s->from + k];
          int    bid = self->byte_id[byte] >= 0 ? self->byte_id[byte] : self->unk;
          if (self->byte_id[byte] < 0 && k > 0)
            break; /* one unknown token for the character */
          if (bid < 0)
            break; /* (the loaders refuse a vocabulary that would need it) */
          g_array_append_val (ids, bid);
          if (offsets != NULL)
            {
              guint range[2] = { (guint) base + a, (guint) base + MAX (a, b) };
              g_array_append_vals (offsets, range, 2);
            }
        }
    }
}
