/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-word-diff.h"

#include <string.h>

typedef struct
{
  gsize start, end;
  guint hash;
} Word;

static GArray *
words_of (const char *s)
{
  GArray *w = g_array_new (FALSE, FALSE, sizeof (Word));
  gsize   i = 0, n = strlen (s);

  while (i < n)
    {
      Word x;
      while (i < n && g_ascii_isspace (s[i]))
        i++;
      if (i >= n)
        break;
      x.start = i;
      x.hash = 5381;
      while (i < n && !g_ascii_isspace (s[i]))
        x.hash = x.hash * 33 + (guchar) s[i++];
      x.end = i;
      g_array_append_val (w, x);
    }
  return w;
}

static gboolean
same (const char *a, const Word *x, const char *b, const Word *y)
{
  return x->hash == y->hash && x->end - x->start == y->end - y->start
         && memcmp (a + x->start, b + y->start, x->end - x->start) == 0;
}

gboolean
assay_word_diff (const char *a, const char *b, gsize max_cells, GArray *spans_a, GArray *spans_b)
{
  g_autoptr (GArray) wa = words_of (a);
  g_autoptr (GArray) wb = words_of (b);
  gsize  n = wa->len, m = wb->len;
  guint *L;
  gsize  i = 0, j = 0;

  g_array_set_size (spans_a, 0);
  g_array_set_size (spans_b, 0);
  if ((n + 1) * (m + 1) > max_cells)
    return FALSE;
  /* L[i][j] = LCS length of the suffixes a[i..], b[j..] */
  L = g_new0 (guint, (n + 1) * (m + 1));
  for (gsize ii = n; ii-- > 0;)
    for (gsize jj = m; jj-- > 0;)
      L[ii * (m + 1) + jj] =
        same (a, &g_array_index (wa, Word, ii), b, &g_array_index (wb, Word, jj))
          ? L[(ii + 1) * (m + 1) + jj + 1] + 1
          : MAX (L[(ii + 1) * (m + 1) + jj], L[ii * (m + 1) + jj + 1]);
  while (i < n || j < m)
    {
      if (i < n && j < m && same (a, &g_array_index (wa, Word, i), b, &g_array_index (wb, Word, j)))
        {
          i++;
          j++;
        }
      else if (j >= m || (i < n && L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1]))
        {
          AssayDiffSpan s = { g_array_index (wa, Word, i).start, g_array_index (wa, Word, i).end };
          g_array_append_val (spans_a, s);
          i++;
        }
      else
        {
          AssayDiffSpan s = { g_array_index (wb, Word, j).start, g_array_index (wb, Word, j).end };
          g_array_append_val (spans_b, s);
          j++;
        }
    }
  g_free (L);
  return TRUE;
}
