/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-sentences.c: see assay-sentences.h. */
#include "assay-sentences.h"

#include <string.h>

static const char *const abbreviations[] = {
  "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "fig",
  "figs", "no", "nos", "vol", "pp", "al", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr",
  "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "dept", "est", "u.s", "u.k",
  "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", NULL
};

static gboolean
is_closer (gunichar c)
{
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201D || c == 0x2019 || c == 0xBB;
}

static gboolean
is_opener (gunichar c)
{
  return c == '"' || c == '\'' || c == '(' || c == '[' || c == 0x201C || c == 0x2018 || c == 0xAB;
}

/* The word before position end (the '.' at end), lower case, dots inside kept. */
static gboolean
abbreviation_before (const char *start, const char *end)
{
  const char *p = end;
  g_autofree char *word = NULL, *lower = NULL;

  while (p > start)
    {
      const char *prev = g_utf8_find_prev_char (start, p);
      gunichar    c = g_utf8_get_char (prev);
      if (!(g_unichar_isalnum (c) || c == '.'))
        break;
      p = prev;
    }
  if (p == end)
    return FALSE;
  word = g_strndup (p, end - p);
  /* a single capital initial: "J." */
  if (g_utf8_strlen (word, -1) == 1 && g_unichar_isupper (g_utf8_get_char (word)))
    return TRUE;
  lower = g_utf8_strdown (word, -1);
  return g_strv_contains (abbreviations, lower);
}

static void
add (GPtrArray *out, const char *from, const char *to)
{
  g_autofree char *s = g_strndup (from, to - from);

  g_strstrip (s);
  if (*s != '\0')
    g_ptr_array_add (out, g_steal_pointer (&s));
}

char **
assay_sentences_split (const char *text)
{
  GPtrArray  *out = g_ptr_array_new ();
  const char *start = text, *p = text;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (c == '\n')
        {
          /* a blank line: the end of a paragraph */
          const char *q = next;
          while (*q == ' ' || *q == '\t' || *q == '\r')
            q++;
          if (*q == '\n')
            {
              add (out, start, p);
              start = p = q + 1;
              continue;
            }
        }
      if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F)
        {
          /* CJK full stops end a sentence without a space after them */
          const char *end = next;
          while (*end != '\0' && is_closer (g_utf8_get_char (end)))
            end = g_utf8_next_char (end);
          add (out, start, end);
          start = p = end;
          continue;
        }
      if (c == '.' || c == '!' || c == '?' || c == 0x2026)
        {
          const char *end = next, *q;
          gunichar    after;
          while (*end != '\0' && (g_utf8_get_char (end) == '.' || g_utf8_get_char (end) == '!'
                                  || g_utf8_get_char (end) == '?' || is_closer (g_utf8_get_char (end))))
            end = g_utf8_next_char (end);
          q = end;
          if (*q != '\0' && !g_unichar_isspace (g_utf8_get_char (q)))
            {
              p = next; /* 3.14, e.g.x, a.b */
              continue;
            }
          while (*q != '\0' && g_unichar_isspace (g_utf8_get_char (q)))
            q = g_utf8_next_char (q);
          after = g_utf8_get_char (q);
          if (*q == '\0' || g_unichar_isupper (after) || g_unichar_isdigit (after) || is_opener (after)
              || g_unichar_istitle (after))
            {
              if (!(c == '.' && abbreviation_before (start, p)))
                {
                  add (out, start, end);
                  start = p = q;
                  continue;
                }
            }
          p = end;
          continue;
        }
      p = next;
    }
  add (out, start, p);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}
