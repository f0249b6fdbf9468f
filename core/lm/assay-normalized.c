/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-normalized.c: see assay-normalized.h. Each rewrite builds a new text and alignment from
 * the old: bytes kept keep their ranges, a replacement takes the range of what it replaced. */
#include "assay-normalized.h"

#include <string.h>

typedef struct
{
  GString *text;
  GArray  *align;
} Out;

static Out
out_new (gsize reserve)
{
  return (Out) { g_string_sized_new (reserve), g_array_sized_new (FALSE, FALSE, 2 * sizeof (guint), (guint) reserve) };
}

/* Appends bytes that stand for the original [start, end). */
static void
out_emit (Out *o, const char *bytes, gsize n, guint start, guint end)
{
  guint range[2] = { start, end };

  g_string_append_len (o->text, bytes, (gssize) n);
  for (gsize i = 0; i < n; i++)
    g_array_append_val (o->align, range);
}

/* Appends the current bytes [from, to) with their own ranges. */
static void
out_copy (Out *o, const AssayNormalized *self, gsize from, gsize to)
{
  g_string_append_len (o->text, self->text->str + from, (gssize) (to - from));
  g_array_append_vals (o->align, (const guint *) self->align->data + 2 * from, (guint) (to - from));
}

static void
take (AssayNormalized *self, Out *o)
{
  g_string_free (self->text, TRUE);
  g_array_unref (self->align);
  self->text = o->text;
  self->align = o->align;
}

AssayNormalized *
assay_normalized_new (const char *text, gsize len, gsize base)
{
  AssayNormalized *self = g_new0 (AssayNormalized, 1);
  Out              o = out_new (len);

  for (gsize i = 0; i < len; i++)
    {
      /* each byte stands for its whole character, so a cut inside one still covers it */
      gsize start = i, end = i + 1;
      while (start > 0 && ((guint8) text[start] & 0xC0) == 0x80)
        start--;
      while (end < len && ((guint8) text[end] & 0xC0) == 0x80)
        end++;
      out_emit (&o, text + i, 1, (guint) (base + start), (guint) (base + end));
    }
  self->text = o.text;
  self->align = o.align;
  self->base = base;
  return self;
}

void
assay_normalized_free (AssayNormalized *self)
{
  if (self == NULL)
    return;
  g_string_free (self->text, TRUE);
  g_array_unref (self->align);
  g_free (self);
}

void
assay_normalized_original (const AssayNormalized *self, gsize from, gsize to, guint *start, guint *end)
{
  const guint *a = (const guint *) self->align->data;
  gsize        n = self->text->len;

  if (from < to && to <= n)
    {
      *start = a[2 * from];
      *end = MAX (a[2 * (to - 1) + 1], a[2 * from]);
      return;
    }
  *start = *end = from < n ? a[2 * from] : n > 0 ? a[2 * (n - 1) + 1] : (guint) self->base;
}

/* ---- grapheme clusters ---- */

typedef enum
{
  G_OTHER, G_CR, G_LF, G_CONTROL, G_EXTEND, G_ZWJ, G_RI, G_SPACING, G_L, G_V, G_T, G_LV, G_LVT, G_PICT
} Gcb;

static gboolean
is_pictographic (gunichar c)
{
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) || (c >= 0x2300 && c <= 0x23FF)
         || (c >= 0x2B00 && c <= 0x2BFF) || c == 0x00A9 || c == 0x00AE || c == 0x203C || c == 0x2049
         || c == 0x2122 || c == 0x2139 || (c >= 0x2194 && c <= 0x21AA) || c == 0x3030 || c == 0x303D
         || c == 0x3297 || c == 0x3299;
}

static Gcb
gcb (gunichar c)
{
  GUnicodeType t;

  if (c == '\r')
    return G_CR;
  if (c == '\n')
    return G_LF;
  if (c == 0x200D)
    return G_ZWJ;
  if (c == 0x200C || c == 0xFF9E || c == 0xFF9F || (c >= 0x1F3FB && c <= 0x1F3FF)
      || (c >= 0xE0020 && c <= 0xE007F))
    return G_EXTEND;
  if (c >= 0x1F1E6 && c <= 0x1F1FF)
    return G_RI;
  t = g_unichar_type (c);
  switch (t)
    {
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
      return G_EXTEND;
    case G_UNICODE_SPACING_MARK:
      return G_SPACING;
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return G_CONTROL;
    default:
      break;
    }
  switch (g_unichar_break_type (c))
    {
    case G_UNICODE_BREAK_HANGUL_L_JAMO: return G_L;
    case G_UNICODE_BREAK_HANGUL_V_JAMO: return G_V;
    case G_UNICODE_BREAK_HANGUL_T_JAMO: return G_T;
    case G_UNICODE_BREAK_HANGUL_LV_SYLLABLE: return G_LV;
    case G_UNICODE_BREAK_HANGUL_LVT_SYLLABLE: return G_LVT;
    default: break;
    }
  return is_pictographic (c) ? G_PICT : G_OTHER;
}

gsize
assay_normalized_grapheme_end (const char *s, gsize len, gsize pos)
{
  const char *end = s + len, *p = s + pos, *q;
  Gcb         prev;
  gboolean    emoji; /* Extended_Pictographic Extend* so far (for a ZWJ sequence) */
  guint       ri = 0;

  if (pos >= len)
    return len;
  prev = gcb (g_utf8_get_char (p));
  emoji = prev == G_PICT;
  ri = prev == G_RI;
  q = g_utf8_next_char (p);
  while (q < end)
    {
      Gcb      next = gcb (g_utf8_get_char (q));
      gboolean join;

      if (prev == G_CR && next == G_LF)
        join = TRUE;
      else if (prev == G_CR || prev == G_LF || prev == G_CONTROL || next == G_CR || next == G_LF
               || next == G_CONTROL)
        join = FALSE;
      else if (prev == G_L)
        join = next == G_L || next == G_V || next == G_LV || next == G_LVT;
      else if ((prev == G_LV || prev == G_V) && (next == G_V || next == G_T))
        join = TRUE;
      else if ((prev == G_LVT || prev == G_T) && next == G_T)
        join = TRUE;
      else if (next == G_EXTEND || next == G_ZWJ || next == G_SPACING)
        join = TRUE;
      else if (prev == G_ZWJ && next == G_PICT)
        join = emoji;
      else if (prev == G_RI && next == G_RI)
        join = ri % 2 == 1;
      else
        join = FALSE;
      if (!join)
        break;
      if (next == G_RI)
        ri++;
      if (next == G_PICT)
        emoji = TRUE;
      else if (next != G_EXTEND && next != G_ZWJ)
        emoji = FALSE;
      prev = next;
      q = g_utf8_next_char (q);
    }
  return (gsize) (q - s);
}

/* ---- normalizers ---- */

static void
emit_for (Out *o, const AssayNormalized *self, const char *bytes, gsize n, gsize from, gsize to)
{
  guint start, end;

  assay_normalized_original (self, from, to, &start, &end);
  out_emit (o, bytes, n, start, end);
}

void
assay_normalized_precompiled (AssayNormalized *self, const AssayPrecompiled *map)
{
  const char *s = self->text->str;
  gsize       len = self->text->len;
  Out         o = out_new (len);

  for (gsize p = 0, q; p < len; p = q)
    {
      const char *r;
      gsize       rn;

      q = assay_normalized_grapheme_end (s, len, p);
      if (q - p < 6 && (r = assay_precompiled_transform (map, s + p, q - p, &rn)) != NULL)
        {
          emit_for (&o, self, r, rn, p, q);
          continue;
        }
      for (gsize c = p, d; c < q; c = d)
        {
          d = (gsize) (g_utf8_next_char (s + c) - s);
          if ((r = assay_precompiled_transform (map, s + c, d - c, &rn)) != NULL)
            emit_for (&o, self, r, rn, c, d);
          else
            out_copy (&o, self, c, d);
        }
    }
  take (self, &o);
}

void
assay_normalized_replace (AssayNormalized *self, GRegex *pattern, const char *content)
{
  g_autoptr (GMatchInfo) match = NULL;
  gsize len = self->text->len, done = 0;
  Out   o;

  if (!g_regex_match_full (pattern, self->text->str, (gssize) len, 0, 0, &match, NULL))
    return;
  o = out_new (len);
  while (g_match_info_matches (match))
    {
      int start, end;
      g_match_info_fetch_pos (match, 0, &start, &end);
      if (end > start)
        {
          out_copy (&o, self, done, (gsize) start);
          emit_for (&o, self, content, strlen (content), (gsize) start, (gsize) end);
          done = (gsize) end;
        }
      g_match_info_next (match, NULL);
    }
  out_copy (&o, self, done, len);
  take (self, &o);
}

gboolean
assay_normalized_is_space (gunichar c)
{
  return g_unichar_isspace (c) || c == 0x85;
}

void
assay_normalized_strip (AssayNormalized *self, gboolean left, gboolean right)
{
  const char *s = self->text->str;
  gsize       len = self->text->len, from = 0, to = len;
  Out         o;

  while (left && from < len && assay_normalized_is_space (g_utf8_get_char (s + from)))
    from = (gsize) (g_utf8_next_char (s + from) - s);
  while (right && to > from)
    {
      const char *prev = g_utf8_find_prev_char (s, s + to);
      if (prev == NULL || !assay_normalized_is_space (g_utf8_get_char (prev)))
        break;
      to = (gsize) (prev - s);
    }
  if (from == 0 && to == len)
    return;
  o = out_new (to - from);
  out_copy (&o, self, from, to);
  take (self, &o);
}

/* Rewrites each grapheme (or character) with rewrite(), which returns NULL for "unchanged"; unchanged pieces keep
 * their own alignment. */
static void
rewrite_pieces (AssayNormalized *self, gboolean graphemes, char *(*rewrite) (const char *, gsize, gpointer),
                gpointer data)
{
  const char *s = self->text->str;
  gsize       len = self->text->len;
  Out         o = out_new (len);
  gboolean    changed = FALSE;

  for (gsize p = 0, q; p < len; p = q)
    {
      g_autofree char *r = NULL;

      q = graphemes ? assay_normalized_grapheme_end (s, len, p) : (gsize) (g_utf8_next_char (s + p) - s);
      r = rewrite (s + p, q - p, data);
      if (r == NULL || (strlen (r) == q - p && memcmp (r, s + p, q - p) == 0))
        out_copy (&o, self, p, q);
      else
        {
          emit_for (&o, self, r, strlen (r), p, q);
          changed = TRUE;
        }
    }
  if (changed)
    take (self, &o);
  else
    {
      g_string_free (o.text, TRUE);
      g_array_unref (o.align);
    }
}

static char *
normalize_piece (const char *s, gsize n, gpointer mode)
{
  return g_utf8_normalize (s, (gssize) n, (GNormalizeMode) GPOINTER_TO_INT (mode));
}

void
assay_normalized_unicode (AssayNormalized *self, GNormalizeMode mode)
{
  /* per grapheme: a composition never crosses one */
  rewrite_pieces (self, TRUE, normalize_piece, GINT_TO_POINTER (mode));
}

static char *
lower_piece (const char *s, gsize n, gpointer data)
{
  return g_utf8_strdown (s, (gssize) n);
}

void
assay_normalized_lowercase (AssayNormalized *self)
{
  rewrite_pieces (self, FALSE, lower_piece, NULL);
}

static char *
strip_accent_piece (const char *s, gsize n, gpointer data)
{
  return g_unichar_type (g_utf8_get_char (s)) == G_UNICODE_NON_SPACING_MARK ? g_strdup ("") : NULL;
}

void
assay_normalized_strip_accents (AssayNormalized *self)
{
  rewrite_pieces (self, FALSE, strip_accent_piece, NULL);
}

void
assay_normalized_prepend (AssayNormalized *self, const char *prefix)
{
  Out o;

  if (self->text->len == 0)
    return;
  o = out_new (self->text->len + strlen (prefix));
  emit_for (&o, self, prefix, strlen (prefix), 0, 0);
  out_copy (&o, self, 0, self->text->len);
  take (self, &o);
}

/* ---- pre-tokenizers ---- */

static AssayNormalized *
slice (const AssayNormalized *self, gsize from, gsize to)
{
  AssayNormalized *piece = g_new0 (AssayNormalized, 1);
  Out              o = out_new (to - from);
  guint            start, end;

  out_copy (&o, self, from, to);
  piece->text = o.text;
  piece->align = o.align;
  assay_normalized_original (self, from, from, &start, &end);
  piece->base = start;
  return piece;
}

static void
add_piece (GPtrArray *out, const AssayNormalized *self, gsize from, gsize to)
{
  if (to > from)
    g_ptr_array_add (out, slice (self, from, to));
}

GPtrArray *
assay_normalized_split_whitespace (const AssayNormalized *self)
{
  GPtrArray  *out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_normalized_free);
  const char *s = self->text->str;
  gsize       len = self->text->len, start = 0;

  for (gsize p = 0, q; p < len; p = q)
    {
      q = (gsize) (g_utf8_next_char (s + p) - s);
      if (assay_normalized_is_space (g_utf8_get_char (s + p)))
        {
          add_piece (out, self, start, p);
          start = q;
        }
    }
  add_piece (out, self, start, len);
  return out;
}

GPtrArray *
assay_normalized_split_before (const AssayNormalized *self, const char *delimiter)
{
  GPtrArray  *out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_normalized_free);
  const char *s = self->text->str;
  gsize       len = self->text->len, dn = strlen (delimiter), start = 0;

  for (gsize p = 0; dn > 0 && p + dn <= len;)
    {
      if (memcmp (s + p, delimiter, dn) == 0)
        {
          add_piece (out, self, start, p);
          start = p;
          p += dn;
        }
      else
        p++;
    }
  add_piece (out, self, start, len);
  return out;
}
