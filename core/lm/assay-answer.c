/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-answer.c: see assay-answer.h. */
#include "assay-answer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The content of the last \boxed{...}, braces balanced; NULL if none is complete. */
static char *
last_boxed (const char *s)
{
  const char *p = NULL, *q = s;
  int         depth = 1;

  while ((q = strstr (q, "\\boxed{")) != NULL)
    p = q++;
  if (p == NULL)
    return NULL;
  p += strlen ("\\boxed{");
  for (q = p; *q != '\0'; q++)
    {
      if (*q == '{')
        depth++;
      else if (*q == '}' && --depth == 0)
        return g_strndup (p, q - p);
    }
  return NULL;
}

char *
assay_answer_extract (const char *response, const char *pattern)
{
  const char *p = NULL, *q;

  if (response == NULL)
    return NULL;
  if (pattern == NULL || *pattern == '\0')
    pattern = ASSAY_ANSWER_PATTERN;
  for (q = response; (q = strstr (q, pattern)) != NULL; q++)
    p = q;
  if (p != NULL)
    {
      const char *begin = p + strlen (pattern), *end = strchr (begin, '\n');
      g_autofree char *line = end ? g_strndup (begin, end - begin) : g_strdup (begin);
      char *boxed = last_boxed (line);
      if (boxed != NULL)
        return boxed;
      g_strstrip (line);
      return *line ? g_steal_pointer (&line) : NULL;
    }
  {
    char *boxed = last_boxed (response);
    if (boxed != NULL)
      return boxed;
  }
  for (q = response, p = NULL; (q = strstr (q, "answer is")) != NULL; q++)
    p = q;
  if (p != NULL)
    {
      const char *begin = p + strlen ("answer is");
      const char *end = begin + strcspn (begin, "\n");
      g_autofree char *tail = g_strndup (begin, end - begin);
      gsize n;
      g_strstrip (tail);
      if (*tail == ':')
        memmove (tail, tail + 1, strlen (tail));
      g_strstrip (tail);
      n = strlen (tail);
      while (n > 0 && (tail[n - 1] == '.' || tail[n - 1] == ' '))
        tail[--n] = '\0';
      return *tail ? g_steal_pointer (&tail) : NULL;
    }
  return NULL;
}

static void
drop (GString *s, const char *what)
{
  g_string_replace (s, what, "", 0);
}

/* "1,234.50" / "$12" / "-3." -> canonical digits, or NULL if s is not a plain number */
static char *
as_number (const char *s)
{
  GString *digits = g_string_new (NULL);
  char    *end;
  double   v;

  for (const char *p = s; *p; p++)
    if (*p != ',' && *p != '$' && *p != ' ')
      g_string_append_c (digits, *p);
  if (digits->len > 0 && digits->str[digits->len - 1] == '.')
    g_string_truncate (digits, digits->len - 1);
  if (digits->len > 0 && digits->str[digits->len - 1] == '%')
    g_string_truncate (digits, digits->len - 1);
  v = g_ascii_strtod (digits->str, &end);
  if (digits->len == 0 || *end != '\0' || !isfinite (v)
      || strspn (digits->str, "+-0123456789.eE") != digits->len)
    {
      g_string_free (digits, TRUE);
      return NULL;
    }
  g_string_free (digits, TRUE);
  if (v == floor (v) && fabs (v) < 1e15)
    return g_strdup_printf ("%.0f", v == 0 ? 0.0 : v);
  {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.10g", v));
  }
}

char *
assay_answer_normalize (const char *answer)
{
  g_autoptr (GString) s = NULL;
  char *boxed, *number;
  g_autofree char *lower = NULL;

  if (answer == NULL)
    return NULL;
  boxed = last_boxed (answer);
  s = g_string_new (boxed != NULL ? boxed : answer);
  g_free (boxed);
  /* LaTeX control symbols: spacing (\, \; \! "\ ") goes, escaped characters (\$ \%) lose
   * the backslash */
  for (gsize i = 0; i + 1 < s->len; i++)
    if (s->str[i] == '\\' && !g_ascii_isalpha (s->str[i + 1]) && s->str[i + 1] != '(' && s->str[i + 1] != ')')
      g_string_erase (s, (gssize) i, strchr (",;! ", s->str[i + 1]) != NULL ? 2 : 1);
  drop (s, "\\text{");
  drop (s, "\\mathrm{");
  drop (s, "\\(");
  drop (s, "\\)");
  drop (s, "\\!");
  drop (s, "$");
  g_string_replace (s, "\\dfrac", "\\frac", 0);
  /* braces left by \text{...} */
  if (strchr (s->str, '{') == NULL)
    drop (s, "}");
  g_strstrip (s->str);
  g_string_set_size (s, strlen (s->str));
  if ((number = as_number (s->str)) != NULL)
    return number;
  /* a multiple-choice letter: "(B)", "B", "B.", "b)" */
  {
    const char *p = s->str;
    gsize       n = s->len;
    if (n >= 1 && n <= 3)
      {
        if (*p == '(' && n == 3 && p[2] == ')' && g_ascii_isalpha (p[1]))
          return g_strdup_printf ("%c", g_ascii_tolower (p[1]));
        if (g_ascii_isalpha (p[0]) && (n == 1 || (n == 2 && (p[1] == '.' || p[1] == ')'))))
          return g_strdup_printf ("%c", g_ascii_tolower (p[0]));
      }
  }
  lower = g_utf8_strdown (s->str, -1);
  {
    g_auto (GStrv) words = g_strsplit_set (lower, " \t\n\r", -1);
    GString *out = g_string_new (NULL);
    for (guint i = 0; words[i] != NULL; i++)
      if (*words[i] != '\0')
        g_string_append_printf (out, out->len ? " %s" : "%s", words[i]);
    while (out->len > 0 && out->str[out->len - 1] == '.')
      g_string_truncate (out, out->len - 1);
    return g_string_free (out, FALSE);
  }
}

gboolean
assay_answer_equal (const char *a, const char *b)
{
  g_autofree char *x = assay_answer_normalize (a);
  g_autofree char *y = assay_answer_normalize (b);
  char *ex, *ey;
  double u, v;

  if (x == NULL || y == NULL)
    return FALSE;
  if (g_str_equal (x, y))
    return TRUE;
  u = g_ascii_strtod (x, &ex);
  v = g_ascii_strtod (y, &ey);
  return *x && *y && *ex == '\0' && *ey == '\0' && fabs (u - v) <= 1e-6 * fmax (1.0, fmax (fabs (u), fabs (v)));
}
