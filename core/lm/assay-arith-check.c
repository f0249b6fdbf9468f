/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-arith-check.c: written-out calculations recomputed (see the header). */
#include "config.h"

#include "assay-arith-check.h"

#include <math.h>
#include <string.h>

/* ---- plain text: one byte per character, with each byte's offset in the original ---- */

typedef struct
{
  GString *s;
  GArray  *at; /* int: offset in the original of each byte of s */
} Plain;

static void
put (Plain *p, const char *bytes, int at)
{
  gsize n = strlen (bytes), old = p->at->len;

  g_string_append_len (p->s, bytes, (gssize) n);
  g_array_set_size (p->at, (guint) (old + n));
  for (gsize k = 0; k < n; k++)
    g_array_index (p->at, int, old + k) = at;
}

static gboolean
starts (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

static void
plain (const char *text, Plain *p)
{
  static const struct { const char *from, *to; } map[] = {
    { "\\times", "*" }, { "\\cdot", "*" }, { "\xc3\x97", "*" }, { "\xc2\xb7", "*" }, { "\xe2\x8b\x85", "*" },
    { "\\div", "/" }, { "\xc3\xb7", "/" }, { "\xe2\x88\x92", "-" },
    { "\\left(", "(" }, { "\\right)", ")" }, { "\\left[", "(" }, { "\\right]", ")" },
    { "\\frac", "\x01" }, { "\\dfrac", "\x01" }, { "\\tfrac", "\x01" },
    /* math delimiters and wide spaces end an expression */
    { "\\(", ";" }, { "\\)", ";" }, { "\\[", ";" }, { "\\]", ";" }, { "$$", ";" },
    { "\\quad", ";" }, { "\\qquad", ";" }, { "\\\\", ";" },
    { "\\$", " " }, { "\\,", " " }, { "\\;", " " }, { "\\!", "" }, { "\\ ", " " },
    { "\\%", "%" },
  };
  const char *c = text;
  /* \frac{a}{b}: the open braces of its two arguments, by depth */
  GArray *frac = g_array_new (FALSE, FALSE, sizeof (int)); /* depth of a \frac's first brace */
  int     depth = 0, pending = 0;                          /* arguments still to open */

  p->s = g_string_sized_new (strlen (text) + 16);
  p->at = g_array_sized_new (FALSE, FALSE, sizeof (int), (guint) strlen (text) + 16);
  while (*c != '\0')
    {
      /* (every entry of the map starts with a backslash, a dollar or a UTF-8 lead byte) */
      gboolean done = !(*c == '\\' || *c == '$' || (guchar) *c >= 0xc2);
      gboolean mapped = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (map) && !done; k++)
        if (starts (c, map[k].from))
          {
            if (map[k].to[0] == '\x01')
              {
                /* 3\frac{4}{5} is a mixed number: not read (a letter keeps it out of claims) */
                if (c > text && g_ascii_isdigit (c[-1]))
                  put (p, "a", (int) (c - text));
                put (p, "(", (int) (c - text));
                pending = 2;
                g_array_append_val (frac, depth);
              }
            else
              put (p, map[k].to, (int) (c - text));
            c += strlen (map[k].from);
            done = mapped = TRUE;
          }
      if (mapped)
        continue;
      if (*c == '$')
        put (p, g_ascii_isdigit (c[1]) ? " " : ";", (int) (c - text)); /* currency, or math */
      else if (*c == '{')
        {
          depth++;
          put (p, "(", (int) (c - text));
        }
      else if (*c == '}')
        {
          depth--;
          put (p, ")", (int) (c - text));
          /* closing a \frac's first argument: the division; its second: the frac's parenthesis */
          if (frac->len > 0 && depth == g_array_index (frac, int, frac->len - 1))
            {
              if (pending == 2)
                {
                  put (p, "/", (int) (c - text));
                  pending = 1;
                }
              else if (pending == 1)
                {
                  put (p, ")", (int) (c - text));
                  pending = 0;
                  g_array_set_size (frac, frac->len - 1);
                }
            }
        }
      else if (*c == ',' && c > text && g_ascii_isdigit (c[-1]) && g_ascii_isdigit (c[1]) && g_ascii_isdigit (c[2])
               && g_ascii_isdigit (c[3]) && !g_ascii_isdigit (c[4]))
        ; /* a thousands separator */
      else if ((guchar) *c >= 0x80)
        {
          /* another non-ASCII character: a letter as far as claims go */
          put (p, "a", (int) (c - text));
          c = g_utf8_next_char (c);
          continue;
        }
      else
        {
          char one[2] = { *c, 0 };
          put (p, one, (int) (c - text));
        }
      c++;
    }
  g_array_unref (frac);
}

/* ---- expressions ---- */

typedef struct
{
  const char *s, *end;
  gboolean    ok;
  int         ops;
} Parse;

static double expr (Parse *p);

static void
skip (Parse *p)
{
  while (p->s < p->end && *p->s == ' ')
    p->s++;
}

static double
primary (Parse *p)
{
  double v;

  skip (p);
  if (p->s < p->end && *p->s == '(')
    {
      p->s++;
      v = expr (p);
      skip (p);
      if (p->s >= p->end || *p->s != ')')
        {
          p->ok = FALSE;
          return 0;
        }
      p->s++;
    }
  else if (p->s < p->end && (g_ascii_isdigit (*p->s) || (*p->s == '.' && p->s + 1 < p->end && g_ascii_isdigit (p->s[1]))))
    {
      char buf[64];
      int  n = 0;
      while (p->s < p->end && (g_ascii_isdigit (*p->s) || *p->s == '.') && n < 63)
        buf[n++] = *p->s++;
      buf[n] = '\0';
      if (strchr (buf, '.') != strrchr (buf, '.'))
        {
          p->ok = FALSE;
          return 0;
        }
      v = g_ascii_strtod (buf, NULL);
    }
  else
    {
      p->ok = FALSE;
      return 0;
    }
  if (p->s < p->end && *p->s == '%')
    {
      p->s++;
      v /= 100;
      p->ops++;
    }
  return v;
}

static double factor (Parse *p);

static double
power (Parse *p)
{
  double      v = primary (p);
  const char *at = p->s;

  skip (p);
  if (!(p->ok && p->s < p->end && *p->s == '^'))
    p->s = at; /* the spaces stay: "20 (2)" is not a product */
  else
    {
      p->s++;
      p->ops++;
      v = pow (v, factor (p));
    }
  return v;
}

static double
factor (Parse *p)
{
  skip (p);
  if (p->s < p->end && (*p->s == '-' || *p->s == '+'))
    {
      gboolean neg = *p->s == '-';
      p->s++;
      return neg ? -factor (p) : factor (p);
    }
  return power (p);
}

static double
term (Parse *p)
{
  double v = factor (p);

  while (p->ok)
    {
      if (p->s < p->end && *p->s == '(')
        {
          p->ops++;
          v *= factor (p); /* 2(3 + 4), written without a space */
          continue;
        }
      skip (p);
      if (p->s < p->end && (*p->s == '*' || *p->s == '/'))
        {
          char   op = *p->s++;
          double r = factor (p);
          p->ops++;
          if (op == '/' && r == 0)
            p->ok = FALSE;
          v = op == '*' ? v * r : v / r;
        }
      else
        break;
    }
  return v;
}

static double
expr (Parse *p)
{
  double v = term (p);

  while (p->ok)
    {
      skip (p);
      if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
        {
          char   op = *p->s++;
          double r = term (p);
          p->ops++;
          v = op == '+' ? v + r : v - r;
        }
      else
        break;
    }
  return v;
}

static gboolean
evaluate (const char *s, const char *end, double *value, int *ops)
{
  Parse p = { s, end, TRUE, 0 };

  *value = expr (&p);
  skip (&p);
  *ops = p.ops;
  return p.ok && p.s == p.end && isfinite (*value);
}

static gboolean
mathy (char c)
{
  return c != '\0' && (g_ascii_isdigit (c) || strchr (" .+-*/^()%", c) != NULL);
}

/* s[i] belongs to an expression: a mathy character, a full stop only as a decimal point */
static gboolean
in_expression (const char *s, gsize n, gsize i)
{
  return mathy (s[i]) && (s[i] != '.' || (i + 1 < n && g_ascii_isdigit (s[i + 1])));
}

static gboolean
wordy (char c)
{
  return g_ascii_isalpha (c) || c == '_' || c == '\\';
}

/* Before position i (spaces skipped): a TeX command such as \pi or \sqrt, which multiplies or
 * applies to what follows */
static gboolean
command_before (const char *s, gsize i)
{
  while (i > 0 && s[i - 1] == ' ')
    i--;
  while (i > 0 && g_ascii_isalpha (s[i - 1]))
    i--;
  return i > 0 && s[i - 1] == '\\' && g_ascii_isalpha (s[i]);
}

/* From position i (spaces skipped): a TeX command */
static gboolean
command_after (const char *s, gsize n, gsize i)
{
  while (i < n && s[i] == ' ')
    i++;
  return i < n && s[i] == '\\';
}

/* Right: equal to 1e-9 relative; or, for a written number with d decimals, the result rounded or
 * truncated to d decimals (|lhs - rhs| < 10^-d, and the result is not itself a d-decimal number);
 * a percentage also as the number before its % */
static gboolean
claim_right (double lhs, double rhs, gboolean written, int decimals, gboolean percent)
{
  double step = pow (10, -decimals), exact = 1e-9 * MAX (fabs (lhs), 1);

  for (int as_percent = 0; as_percent <= (percent ? 1 : 0); as_percent++)
    {
      double r = as_percent ? rhs * 100 : rhs, unit = percent && !as_percent ? step / 100 : step;
      if (fabs (lhs - r) <= exact)
        return TRUE;
      if (written && fabs (lhs - r) < unit
          && fabs (lhs / unit - round (lhs / unit)) > 1e-6)
        return TRUE;
    }
  return FALSE;
}

void
assay_arith_check (const char *text, AssayArithCheck *out)
{
  Plain p;
  const char *s;
  gsize n;

  out->checked = 0;
  out->wrong = 0;
  out->first_wrong = -1;
  if (text == NULL)
    return;
  plain (text, &p);
  s = p.s->str;
  n = p.s->len;
  for (gsize eq = 0; eq < n; eq++)
    {
      gsize  a, b, r0, r1;
      double lhs, rhs;
      int    ops_l, ops_r, decimals = 0;
      const char *dot;

      if (s[eq] != '=' || (eq + 1 < n && s[eq + 1] == '=') || (eq > 0 && strchr ("=<>!", s[eq - 1]) != NULL))
        continue;
      /* the left side: back over mathy characters, then trimmed */
      a = eq;
      while (a > 0 && in_expression (s, n, a - 1))
        a--;
      b = eq;
      while (a < b && s[a] == ' ')
        a++;
      while (b > a && s[b - 1] == ' ')
        b--;
      if (a == b || strchr ("+*/^)%", s[a]) != NULL || (a > 0 && (wordy (s[a - 1]) || s[a - 1] == '.'))
          || command_before (s, a))
        continue;
      if (s[a] == '-' && a > 0)
        {
          /* "x - 3 = ...", "|A| - 3 = ...": a minus after anything but the start of an
           * expression is the end of a longer one */
          gsize w = a;
          while (w > 0 && s[w - 1] == ' ')
            w--;
          if (w > 0 && strchr ("=(;:,", s[w - 1]) == NULL)
            continue;
        }
      /* the right side: forward to the next "=" or a non-mathy character */
      r0 = eq + 1;
      r1 = r0;
      while (r1 < n && in_expression (s, n, r1))
        r1++;
      while (r0 < r1 && s[r0] == ' ')
        r0++;
      while (r1 > r0 && s[r1 - 1] == ' ')
        r1--;
      if (r0 == r1 || (r1 < n && wordy (s[r1])) || command_after (s, n, r1))
        continue; /* "= 5x", "= 3 \\mod 8" */
      if (!evaluate (s + a, s + b, &lhs, &ops_l) || ops_l == 0 || !evaluate (s + r0, s + r1, &rhs, &ops_r))
        continue;
      /* the decimals written on the right (of its last number) */
      dot = NULL;
      for (gsize t = r0; t < r1; t++)
        if (s[t] == '.')
          dot = s + t;
        else if (!g_ascii_isdigit (s[t]))
          dot = NULL;
      if (dot != NULL)
        for (const char *d = dot + 1; d < s + r1 && g_ascii_isdigit (*d); d++)
          decimals++;
      out->checked++;
      if (claim_right (lhs, rhs, ops_r == 0 || (ops_r == 1 && s[r1 - 1] == '%'), decimals, s[r1 - 1] == '%'))
        continue;
      out->wrong++;
      if (out->first_wrong < 0)
        out->first_wrong = g_array_index (p.at, int, eq);
    }
  g_string_free (p.s, TRUE);
  g_array_unref (p.at);
}
