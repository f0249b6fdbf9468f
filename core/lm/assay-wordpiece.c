/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-wordpiece.c: see assay-wordpiece.h. The text is normalised character by character,
 * each normalised character remembering the source bytes it came from (for offsets). */
#include "assay-wordpiece.h"

#include <string.h>

typedef struct
{
  gunichar c;
  guint    from, to; /* source bytes */
} NormChar;

static gboolean
is_chinese (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
         || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
         || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Hugging Face's is_whitespace: the four ASCII ones and Unicode's White_Space. */
static gboolean
is_white (gunichar c)
{
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
    return TRUE;
  switch (c)
    {
    case 0x0B: case 0x0C: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
      return TRUE;
    default:
      return c >= 0x2000 && c <= 0x200A;
    }
}

static gboolean
is_control (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);
  return t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_UNASSIGNED
         || t == G_UNICODE_PRIVATE_USE;
}

static gboolean
is_punct (gunichar c)
{
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
    return TRUE;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONNECT_PUNCTUATION: case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION: case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION: case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
push (GArray *out, gunichar c, guint from, guint to)
{
  NormChar n = { c, from, to };
  g_array_append_val (out, n);
}

static void
normalise (const AssayWordPiece *self, const char *text, gsize len, GArray *out)
{
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint    from = (guint) (p - text), to = (guint) (g_utf8_next_char (p) - text);
      gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      gsize    n_parts = 1;

      if (self->clean)
        {
          if (c == 0 || c == 0xFFFD || (is_control (c) && !is_white (c)))
            continue;
          if (is_white (c))
            c = ' ';
        }
      if (self->chinese && is_chinese (c))
        {
          push (out, ' ', from, to);
          push (out, c, from, to);
          push (out, ' ', from, to);
          continue;
        }
      parts[0] = c;
      if (self->strip_accents)
        n_parts = g_unichar_fully_decompose (c, FALSE, parts, G_N_ELEMENTS (parts));
      for (gsize k = 0; k < n_parts; k++)
        {
          if (self->strip_accents && g_unichar_type (parts[k]) == G_UNICODE_NON_SPACING_MARK)
            continue;
          push (out, parts[k], from, to);
        }
    }
}

static gboolean
is_cased (gunichar c)
{
  return g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);
}

/* Full lower-casing of the whole text, as Rust's and JavaScript's: one character may become
 * several (İ is i and a dot), and Σ is ς at the end of a word (after a cased letter, before
 * none), σ elsewhere. */
static GArray *
lower (GArray *in)
{
  GArray         *out = g_array_new (FALSE, FALSE, sizeof (NormChar));
  const NormChar *c = (const NormChar *) in->data;

  for (guint i = 0; i < in->len; i++)
    {
      char             buf[8] = { 0 };
      g_autofree char *low = NULL;

      if (c[i].c == 0x03A3)
        {
          gboolean after = FALSE, before = FALSE;
          for (guint j = i; j-- > 0 && !after;)
            {
              if (is_cased (c[j].c))
                after = TRUE;
              else if (g_unichar_type (c[j].c) != G_UNICODE_NON_SPACING_MARK)
                break;
            }
          for (guint j = i + 1; j < in->len && !before; j++)
            {
              if (is_cased (c[j].c))
                before = TRUE;
              else if (g_unichar_type (c[j].c) != G_UNICODE_NON_SPACING_MARK)
                break;
            }
          push (out, after && !before ? 0x03C2 : 0x03C3, c[i].from, c[i].to);
          continue;
        }
      g_unichar_to_utf8 (c[i].c, buf);
      low = g_utf8_strdown (buf, -1);
      for (const char *q = low; *q; q = g_utf8_next_char (q))
        push (out, g_utf8_get_char (q), c[i].from, c[i].to);
    }
  return out;
}

/* One word [a, b) of the normalised characters into pieces. */
static void
word (const AssayWordPiece *self, const NormChar *chars, guint a, guint b, gsize base, GArray *ids,
      GArray *offsets)
{
  g_autoptr (GString) piece = g_string_new (NULL);
  guint from_ids = ids->len, from_offsets = offsets != NULL ? offsets->len : 0;
  guint start = a;

  if ((int) (b - a) > self->max_chars)
    goto unknown;
  while (start < b)
    {
      int   id = -1;
      guint end;

      for (end = b; end > start; end--)
        {
          gpointer key, v;
          g_string_assign (piece, start == a ? self->word_prefix : self->continuation);
          for (guint k = start; k < end; k++)
            g_string_append_unichar (piece, chars[k].c);
          if (g_hash_table_lookup_extended (self->vocab, piece->str, &key, &v))
            {
              id = GPOINTER_TO_INT (v);
              break;
            }
        }
      if (id < 0)
        goto unknown;
      g_array_append_val (ids, id);
      if (offsets != NULL)
        {
          guint range[2] = { (guint) base + chars[start].from, (guint) base + chars[end - 1].to };
          g_array_append_vals (offsets, range, 2);
        }
      start = end;
    }
  return;

unknown:
  g_array_set_size (ids, from_ids);
  g_array_append_val (ids, self->unk);
  if (offsets != NULL)
    {
      guint range[2] = { (guint) base + chars[a].from, (guint) base + chars[b - 1].to };
      g_array_set_size (offsets, from_offsets);
      g_array_append_vals (offsets, range, 2);
    }
}

void
assay_wordpiece_encode (const AssayWordPiece *self, const char *text, gsize len, gsize base,
                        GArray *ids, GArray *offsets)
{
  g_autoptr (GArray) chars = g_array_new (FALSE, FALSE, sizeof (NormChar));
  const NormChar *c;
  guint           start = 0;

  normalise (self, text, len, chars);
  if (self->lowercase)
    {
      GArray *low = lower (chars);
      g_array_unref (chars);
      chars = low;
    }
  c = (const NormChar *) chars->data;
  for (guint i = 0; i <= chars->len; i++)
    {
      gboolean end = i == chars->len || is_white (c[i].c);
      gboolean punct = !end && is_punct (c[i].c);

      if (end || punct)
        {
          if (i > start)
            word (self, c, start, i, base, ids, offsets);
          if (punct)
            word (self, c, i, i + 1, base, ids, offsets);
          start = i + 1;
        }
    }
}
