/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-chat-template.c: a lexer, parser and evaluator for the Jinja that chat templates are
 * written in, following jinja2 3.1 as transformers configures it: trim_blocks, lstrip_blocks, no
 * autoescape, the loopcontrols extension, an immutable sandbox. */
#include "assay-chat-template.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "assay-error.h"
#include "assay-jinja-builtins.h"
#include "assay-jinja-value.h"
#include "assay-json.h"

#define MAX_NESTING 256    /* statements and expressions nested in the source */
#define MAX_CALL_DEPTH 200 /* macro calls nested at run time */
#define MAX_RANGE 100000   /* jinja2's sandbox limit on range() */

/* ======== tokens ======== */

typedef enum
{
  TOK_DATA,
  TOK_VAR_BEGIN,
  TOK_VAR_END,
  TOK_BLOCK_BEGIN,
  TOK_BLOCK_END,
  TOK_NAME,
  TOK_STRING,
  TOK_INT,
  TOK_FLOAT,
  TOK_OP,
  TOK_EOF,
} TokenKind;

typedef struct
{
  TokenKind kind;
  int       line;
  char     *text; /* data, name, operator, or the decoded string */
  gsize     len;
  gint64    i;
  double    f;
} Token;

static void
token_clear (gpointer data)
{
  g_free (((Token *)data)->text);
}

static gboolean syntax_error (GError **error, int line, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
syntax_error (GError **error, int line, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "template line %d: %s", line,
               message);
  return FALSE;
}

static gboolean unsupported (GError **error, int line, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
unsupported (GError **error, int line, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "template line %d: %s", line, message);
  return FALSE;
}

typedef struct
{
  const char *src;
  gsize       n;
  gsize       pos;
  int         line;
  gboolean    line_starting;
  GArray     *tokens;
  int         depth; /* open brackets inside a tag */
  char        stack[MAX_NESTING];
} Lexer;

static gboolean
is_space_at (Lexer *L, gsize pos, gsize *next)
{
  gunichar c;

  if (pos >= L->n)
    return FALSE;
  if ((unsigned char)L->src[pos] < 0x80)
    {
      c = (unsigned char)L->src[pos];
      *next = pos + 1;
    }
  else
    {
      c = g_utf8_get_char (L->src + pos);
      *next = (gsize)(g_utf8_next_char (L->src + pos) - L->src);
    }
  return assay_jinja_unichar_isspace (c);
}

/* Skips \s* from pos; returns the new position, counting lines and noting a final newline. */
static gsize
skip_space (Lexer *L, gsize pos, gboolean *ended_with_newline)
{
  gsize next;

  while (is_space_at (L, pos, &next))
    {
      if (L->src[pos] == '\n')
        L->line++;
      if (ended_with_newline != NULL)
        *ended_with_newline = L->src[pos] == '\n';
      pos = next;
    }
  return pos;
}

static void
add_token (Lexer *L, TokenKind kind, int line, const char *text, gsize len)
{
  Token t = { kind, line, text != NULL ? g_strndup (text, len) : NULL, len, 0, 0.0 };

  g_array_append_val (L->tokens, t);
}

static int
count_lines (const char *s, gsize len)
{
  int n = 0;

  for (gsize i = 0; i < len; i++)
    n += s[i] == '\n';
  return n;
}

/* Text before a tag, with the tag's whitespace control applied: "-" strips all whitespace before
 * it; otherwise (lstrip_blocks, not for {{) spaces between the line start and the tag go. */
static void
add_data (Lexer *L, gsize start, gsize end, char sign, gboolean lstrip)
{
  const char *text = L->src + start;
  gsize       len = end - start;
  int         line = L->line;

  L->line += count_lines (text, len);
  if (sign == '-')
    {
      /* rstrip: back over whitespace code points */
      while (len > 0)
        {
          gsize       k = len - 1;
          const char *p;

          while (k > 0 && ((unsigned char)text[k] & 0xc0) == 0x80)
            k--;
          p = text + k;
          if (!assay_jinja_unichar_isspace (g_utf8_get_char (p)))
            break;
          len = k;
        }
    }
  else if (sign != '+' && lstrip)
    {
      gsize l_pos = 0;

      for (gsize k = len; k > 0; k--)
        if (text[k - 1] == '\n')
          {
            l_pos = k;
            break;
          }
      if ((l_pos > 0 || L->line_starting) && l_pos < len)
        {
          gboolean all_space = TRUE;
          gsize    q = start + l_pos, next;

          while (q < end && all_space)
            {
              all_space = is_space_at (L, q, &next);
              q = next;
            }
          if (all_space)
            len = l_pos;
        }
    }
  if (len > 0)
    add_token (L, TOK_DATA, line, text, len);
}

static gboolean
starts_with (Lexer *L, gsize pos, const char *s)
{
  gsize n = strlen (s);

  return pos + n <= L->n && memcmp (L->src + pos, s, n) == 0;
}

/* The end of (\d+_)*\d+ at pos, or pos when there is no digit. */
static gsize
match_digits (Lexer *L, gsize pos)
{
  gsize end = pos, p = pos;

  while (p < L->n && g_ascii_isdigit (L->src[p]))
    {
      while (p < L->n && g_ascii_isdigit (L->src[p]))
        p++;
      end = p;
      if (p + 1 < L->n && L->src[p] == '_' && g_ascii_isdigit (L->src[p + 1]))
        p++;
      else
        break;
    }
  return end;
}

static char *
without_underscores (const char *s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (s[i] != '_')
      g_string_append_c (out, s[i]);
  return g_string_free (out, FALSE);
}

/* A float literal at pos (jinja2's float_re); returns its end or pos. */
static gsize
match_float (Lexer *L, gsize pos)
{
  gsize int_end, frac_end = 0, p;

  if (pos > 0 && L->src[pos - 1] == '.')
    return pos;
  if ((int_end = match_digits (L, pos)) == pos)
    return pos;
  p = int_end;
  if (p + 1 < L->n && L->src[p] == '.' && g_ascii_isdigit (L->src[p + 1]))
    {
      frac_end = match_digits (L, p + 1);
      p = frac_end;
    }
  if (p < L->n && (L->src[p] == 'e' || L->src[p] == 'E'))
    {
      gsize q = p + 1, exp_end;

      if (q < L->n && (L->src[q] == '+' || L->src[q] == '-'))
        q++;
      if ((exp_end = match_digits (L, q)) > q)
        return exp_end;
    }
  return frac_end > 0 ? frac_end : pos;
}

/* An integer literal at pos (jinja2's integer_re); returns its end or pos, with *base. */
static gsize
match_int (Lexer *L, gsize pos, int *base)
{
  const char *s = L->src;
  gsize       p;

  if (pos >= L->n || !g_ascii_isdigit (s[pos]))
    return pos;
  if (s[pos] == '0' && pos + 1 < L->n && strchr ("bBoOxX", s[pos + 1]) != NULL
      && s[pos + 1] != '\0')
    {
      char  kind = g_ascii_tolower (s[pos + 1]);
      gsize end = pos;

      *base = kind == 'b' ? 2 : kind == 'o' ? 8 : 16;
      p = pos + 2;
      while (TRUE)
        {
          gsize q = p < L->n && s[p] == '_' ? p + 1 : p;

          if (q < L->n
              && (kind == 'b'   ? (s[q] == '0' || s[q] == '1')
                  : kind == 'o' ? (s[q] >= '0' && s[q] <= '7')
                                : g_ascii_isxdigit (s[q])))
            {
              p = q + 1;
              end = p;
            }
          else
            break;
        }
      if (end > pos)
        return end;
    }
  *base = 10;
  p = pos + 1;
  while (TRUE)
    {
      gsize q = p < L->n && s[p] == '_' ? p + 1 : p;

      if (q < L->n && (s[pos] == '0' ? s[q] == '0' : g_ascii_isdigit (s[q])))
        p = q + 1;
      else
        break;
    }
  return p;
}

/* Python's unicode-escape decoding of a string literal's body. */
static gboolean
decode_string (Lexer *L, const char *s, gsize len, GString *out, GError **error)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c != '\\' || i + 1 >= len)
        {
          g_string_append_c (out, c);
          continue;
        }
      c = s[++i];
      switch (c)
        {
        case '\n':
          break;
        case '\\':
          g_string_append_c (out, '\\');
          break;
        case '\'':
          g_string_append_c (out, '\'');
          break;
        case '"':
          g_string_append_c (out, '"');
          break;
        case 'a':
          g_string_append_c (out, '\a');
          break;
        case 'b':
          g_string_append_c (out, '\b');
          break;
        case 'f':
          g_string_append_c (out, '\f');
          break;
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 'r':
          g_string_append_c (out, '\r');
          break;
        case 't':
          g_string_append_c (out, '\t');
          break;
        case 'v':
          g_string_append_c (out, '\v');
          break;
        case 'x':
        case 'u':
        case 'U':
          {
            int      digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            gunichar u = 0;

            for (int k = 0; k < digits; k++)
              {
                if (i + 1 + k >= len || !g_ascii_isxdigit (s[i + 1 + k]))
                  return syntax_error (error, L->line, "truncated \\%cXX escape in a string", c);
                u = u * 16 + (gunichar)g_ascii_xdigit_value (s[i + 1 + k]);
              }
            i += digits;
            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
              return unsupported (error, L->line,
                                  "the escape of code point U+%X in a string is not supported", u);
            if (u == 0)
              return unsupported (error, L->line, "NUL characters in strings are not supported");
            g_string_append_unichar (out, u);
            break;
          }
        case 'N':
          return unsupported (error, L->line,
                              "named \\N{...} escapes in strings are not supported");
        default:
          if (c >= '0' && c <= '7')
            {
              gunichar u = 0;
              int      k = 0;

              while (k < 3 && i < len && s[i] >= '0' && s[i] <= '7')
                {
                  u = u * 8 + (gunichar)(s[i] - '0');
                  i++;
                  k++;
                }
              i--;
              if (u == 0)
                return unsupported (error, L->line, "NUL characters in strings are not supported");
              g_string_append_unichar (out, u);
            }
          else
            {
              /* unknown escapes stay as they are */
              g_string_append_c (out, '\\');
              g_string_append_c (out, c);
            }
        }
    }
  return TRUE;
}

/* The tokens inside {{ }} or {% %}, up to and including the end of the tag. */
static gboolean
lex_tag (Lexer *L, gboolean block, int open_line, GError **error)
{
  static const char *const two[] = { "//", "**", "==", "!=", ">=", "<=" };

  while (TRUE)
    {
      const char *s = L->src;
      gsize       pos = L->pos, end;
      int         base;
      gboolean    nl = FALSE;

      if (pos >= L->n)
        return syntax_error (error, open_line,
                             "unexpected end of template: the %s opened here is not closed",
                             block ? "block tag" : "{{ expression");
      if (L->depth == 0)
        {
          const char *close = block ? "%}" : "}}";

          if ((s[pos] == '-' || (block && s[pos] == '+')) && starts_with (L, pos + 1, close))
            {
              add_token (L, block ? TOK_BLOCK_END : TOK_VAR_END, L->line, NULL, 0);
              L->pos = pos + 3;
              L->line_starting = FALSE;
              if (s[pos] == '-')
                L->pos = skip_space (L, L->pos, &L->line_starting);
              return TRUE;
            }
          if (starts_with (L, pos, close))
            {
              add_token (L, block ? TOK_BLOCK_END : TOK_VAR_END, L->line, NULL, 0);
              L->pos = pos + 2;
              L->line_starting = FALSE;
              if (block && L->pos < L->n && s[L->pos] == '\n')
                {
                  L->pos++;
                  L->line++;
                  L->line_starting = TRUE;
                }
              return TRUE;
            }
        }
      if ((end = skip_space (L, pos, &nl)) > pos)
        {
          L->pos = end;
          L->line_starting = nl;
          continue;
        }
      L->line_starting = FALSE;
      if ((end = match_float (L, pos)) > pos)
        {
          g_autofree char *text = without_underscores (s + pos, end - pos);
          Token            t = { TOK_FLOAT, L->line, NULL, 0, 0, g_ascii_strtod (text, NULL) };

          g_array_append_val (L->tokens, t);
          L->pos = end;
          continue;
        }
      if ((end = match_int (L, pos, &base)) > pos)
        {
          g_autofree char *text = without_underscores (s + pos + (base == 10 ? 0 : 2),
                                                       end - pos - (base == 10 ? 0 : 2));
          Token            t = { TOK_INT, L->line, NULL, 0, 0, 0.0 };

          errno = 0;
          t.i = (gint64)g_ascii_strtoull (text, NULL, base);
          if (errno != 0 || g_ascii_strtoull (text, NULL, base) > G_MAXINT64)
            return unsupported (error, L->line, "integers beyond 64 bits are not supported");
          g_array_append_val (L->tokens, t);
          L->pos = end;
          continue;
        }
      if (g_ascii_isalpha (s[pos]) || s[pos] == '_')
        {
          end = pos + 1;
          while (end < L->n && (g_ascii_isalnum (s[end]) || s[end] == '_'))
            end++;
          add_token (L, TOK_NAME, L->line, s + pos, end - pos);
          L->pos = end;
          continue;
        }
      if (s[pos] == '\'' || s[pos] == '"')
        {
          char  quote = s[pos];
          gsize q = pos + 1;
          g_autoptr (GString) value = g_string_new (NULL);
          Token t = { TOK_STRING, L->line, NULL, 0, 0, 0.0 };

          while (q < L->n && s[q] != quote)
            q += s[q] == '\\' && q + 1 < L->n ? 2 : 1;
          if (q >= L->n)
            return syntax_error (error, L->line, "unterminated string literal");
          if (!decode_string (L, s + pos + 1, q - pos - 1, value, error))
            return FALSE;
          t.len = value->len;
          t.text = g_string_free (g_steal_pointer (&value), FALSE);
          g_array_append_val (L->tokens, t);
          L->line += count_lines (s + pos, q - pos);
          L->pos = q + 1;
          continue;
        }
      for (guint k = 0; k < G_N_ELEMENTS (two); k++)
        if (starts_with (L, pos, two[k]))
          {
            add_token (L, TOK_OP, L->line, two[k], 2);
            L->pos = pos + 2;
            goto next;
          }
      if (strchr ("+-/*%~[](){}><=.:|,;", s[pos]) != NULL && s[pos] != '\0')
        {
          char c = s[pos];

          if (c == '(' || c == '[' || c == '{')
            {
              if (L->depth >= MAX_NESTING)
                return unsupported (error, L->line,
                                    "brackets nested deeper than %d are not supported",
                                    MAX_NESTING);
              L->stack[L->depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
            }
          else if (c == ')' || c == ']' || c == '}')
            {
              if (L->depth == 0)
                return syntax_error (error, L->line, "unexpected '%c'", c);
              if (L->stack[--L->depth] != c)
                return syntax_error (error, L->line, "unexpected '%c', expected '%c'", c,
                                     L->stack[L->depth]);
            }
          add_token (L, TOK_OP, L->line, s + pos, 1);
          L->pos = pos + 1;
          continue;
        }
      {
        gunichar c = g_utf8_get_char_validated (s + pos, (gssize)(L->n - pos));

        if (c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_isalpha (c))
          return unsupported (error, L->line, "non-ASCII names are not supported");
        return syntax_error (error, L->line, "unexpected character '%.*s'",
                             (int)(c == (gunichar)-1 || c == (gunichar)-2
                                       ? 1
                                       : g_utf8_next_char (s + pos) - (s + pos)),
                             s + pos);
      }
    next:;
    }
}

/* {% raw %} at pos: returns TRUE with *end after the tag. */
static gboolean
match_raw_begin (Lexer *L, gsize pos, gsize *end, gboolean *newline)
{
  gsize p = pos + 2;

  if (p < L->n && (L->src[p] == '-' || L->src[p] == '+'))
    p++;
  while (p < L->n && g_ascii_isspace (L->src[p]))
    p++;
  if (!starts_with (L, p, "raw"))
    return FALSE;
  p += 3;
  if (p < L->n && (g_ascii_isalnum (L->src[p]) || L->src[p] == '_'))
    {
      gsize q = p;

      /* "raw" must be followed by \s* and the tag end, so "rawx" is not raw */
      while (q < L->n && g_ascii_isspace (L->src[q]))
        q++;
      if (q == p)
        return FALSE;
    }
  while (p < L->n && g_ascii_isspace (L->src[p]))
    p++;
  *newline = FALSE;
  if (L->src[p] == '-' && starts_with (L, p + 1, "%}"))
    {
      int line = L->line;

      *end = skip_space (L, p + 3, newline);
      L->line = line;
      return TRUE;
    }
  if (starts_with (L, p, "%}"))
    {
      *end = p + 2;
      return TRUE;
    }
  return FALSE;
}

static gboolean
lex_raw (Lexer *L, int open_line, GError **error)
{
  const char *s = L->src;

  for (gsize q = L->pos; q + 1 < L->n; q++)
    {
      gsize p, data_end = q;
      char  sign = 0;

      if (s[q] != '{' || s[q + 1] != '%')
        continue;
      p = q + 2;
      if (p < L->n && (s[p] == '-' || s[p] == '+'))
        sign = s[p++];
      while (p < L->n && g_ascii_isspace (s[p]))
        p++;
      if (!starts_with (L, p, "endraw"))
        continue;
      p += 6;
      while (p < L->n && g_ascii_isspace (s[p]))
        p++;
      if (s[p] == '+' && starts_with (L, p + 1, "%}"))
        p += 3;
      else if (s[p] == '-' && starts_with (L, p + 1, "%}"))
        p += 3;
      else if (starts_with (L, p, "%}"))
        p += 2;
      else
        continue;
      add_data (L, L->pos, data_end, sign, TRUE);
      L->line += count_lines (s + data_end, p - data_end);
      L->line_starting = FALSE;
      if (s[p - 3] == '-' && s[p - 1] == '}' && s[p - 2] == '%')
        p = skip_space (L, p, &L->line_starting);
      else if (s[p - 3] != '+' && p < L->n && s[p] == '\n')
        {
          p++;
          L->line++;
          L->line_starting = TRUE;
        }
      L->pos = p;
      return TRUE;
    }
  return syntax_error (error, open_line, "missing end of raw directive");
}

static gboolean
lex_comment (Lexer *L, int open_line, GError **error)
{
  const char *s = L->src;

  for (gsize q = L->pos; q < L->n; q++)
    {
      gsize p;

      if ((s[q] == '+' || s[q] == '-') && starts_with (L, q + 1, "#}"))
        p = q + 3;
      else if (starts_with (L, q, "#}"))
        p = q + 2;
      else
        continue;
      L->line += count_lines (s + L->pos, p - L->pos);
      L->line_starting = FALSE;
      if (s[q] == '-')
        p = skip_space (L, p, &L->line_starting);
      else if (s[q] != '+' && p < L->n && s[p] == '\n')
        {
          p++;
          L->line++;
          L->line_starting = TRUE;
        }
      L->pos = p;
      return TRUE;
    }
  return syntax_error (error, open_line, "missing end of comment tag");
}

static GArray *
tokenize (const char *source, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GArray) tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  Lexer L = { 0 };

  g_array_set_clear_func (tokens, token_clear);
  /* newlines become \n, and one trailing newline goes (keep_trailing_newline=False) */
  for (const char *p = source; *p != '\0'; p++)
    {
      if (*p == '\r')
        {
          g_string_append_c (text, '\n');
          if (p[1] == '\n')
            p++;
        }
      else
        g_string_append_c (text, *p);
    }
  if (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);
  L.src = text->str;
  L.n = text->len;
  L.line = 1;
  L.line_starting = TRUE;
  L.tokens = tokens;
  while (L.pos < L.n)
    {
      gsize    p = L.pos, raw_end = 0;
      char     opener, sign;
      gboolean raw = FALSE, raw_newline = FALSE;
      int      line;

      while (p + 1 < L.n
             && !(L.src[p] == '{'
                  && (L.src[p + 1] == '{' || L.src[p + 1] == '%' || L.src[p + 1] == '#')))
        p++;
      if (p + 1 >= L.n)
        {
          add_data (&L, L.pos, L.n, 0, FALSE);
          break;
        }
      opener = L.src[p + 1];
      sign = p + 2 < L.n && (L.src[p + 2] == '-' || L.src[p + 2] == '+') ? L.src[p + 2] : 0;
      if (opener == '%')
        raw = match_raw_begin (&L, p, &raw_end, &raw_newline);
      add_data (&L, L.pos, p, sign, opener != '{');
      line = L.line;
      L.pos = p + 2 + (sign != 0);
      L.line_starting = FALSE;
      if (raw)
        {
          L.line += count_lines (L.src + p, raw_end - p);
          L.line_starting = raw_newline;
          L.pos = raw_end;
          if (!lex_raw (&L, line, error))
            return NULL;
        }
      else if (opener == '#')
        {
          if (!lex_comment (&L, line, error))
            return NULL;
        }
      else
        {
          add_token (&L, opener == '{' ? TOK_VAR_BEGIN : TOK_BLOCK_BEGIN, line, NULL, 0);
          L.depth = 0;
          if (!lex_tag (&L, opener == '%', line, error))
            return NULL;
        }
    }
  {
    Token eof = { TOK_EOF, L.line, NULL, 0, 0, 0.0 };

    g_array_append_val (tokens, eof);
  }
  return g_steal_pointer (&tokens);
}

/* ======== syntax tree ======== */

typedef enum
{
  /* statements */
  N_DATA,         /* value */
  N_PRINT,        /* a */
  N_FOR,          /* a target, b iterable, c filter or NULL, list body, list2 else */
  N_IF,           /* a test, list body, list2 else */
  N_SET,          /* a target, b value */
  N_SET_BLOCK,    /* a target, c filters (N_FILTER chain on NULL) or NULL, list body */
  N_MACRO,        /* name, names parameters, list2 defaults (of the last ones), list body */
  N_CALL_BLOCK,   /* a call, names parameters, list2 defaults, list body */
  N_FILTER_BLOCK, /* c filters, list body */
  N_WITH,         /* names targets, list2 values, list body */
  N_SCOPE,        /* list body (transformers' {% generation %}) */
  N_BREAK,
  N_CONTINUE,
  /* expressions */
  N_CONST,    /* value */
  N_NAME,     /* name */
  N_NSREF,    /* name . value (a string): an assignment target */
  N_TUPLE,    /* list */
  N_LIST,     /* list */
  N_DICT,     /* list keys, list2 values */
  N_GETATTR,  /* a . name */
  N_GETITEM,  /* a [b] */
  N_SLICE,    /* a [b:c:d], each bound may be NULL */
  N_CALL,     /* a (list, names=list2) */
  N_FILTER,   /* a | name (list, names=list2); a NULL in filter blocks */
  N_TEST,     /* a is name (list, names=list2) */
  N_NOT,      /* a */
  N_NEG,      /* a */
  N_POS,      /* a */
  N_BINOP,    /* a name b */
  N_AND,      /* a b */
  N_OR,       /* a b */
  N_COMPARE,  /* a, then names[i] list[i] */
  N_CONDEXPR, /* b if a else c */
} NodeKind;

enum
{
  USES_VARARGS = 1 << 0,
  USES_KWARGS = 1 << 1,
  USES_CALLER = 1 << 2,
};

typedef struct _Node Node;
struct _Node
{
  NodeKind         kind;
  int              line;
  int              flags;
  char            *name;
  AssayJinjaValue *value;
  Node            *a, *b, *c, *d;
  GPtrArray       *list;
  GPtrArray       *list2;
  GPtrArray       *names;
};

static void
node_free (Node *node)
{
  if (node == NULL)
    return;
  g_free (node->name);
  assay_jinja_value_unref (node->value);
  node_free (node->a);
  node_free (node->b);
  node_free (node->c);
  node_free (node->d);
  g_clear_pointer (&node->list, g_ptr_array_unref);
  g_clear_pointer (&node->list2, g_ptr_array_unref);
  g_clear_pointer (&node->names, g_ptr_array_unref);
  g_free (node);
}

static GPtrArray *
node_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)node_free);
}

static Node *
node_new (NodeKind kind, int line)
{
  Node *n = g_new0 (Node, 1);

  n->kind = kind;
  n->line = line;
  return n;
}

static void
node_walk_names (Node *n, int *flags)
{
  if (n == NULL)
    return;
  if (n->kind == N_NAME)
    {
      if (strcmp (n->name, "varargs") == 0)
        *flags |= USES_VARARGS;
      else if (strcmp (n->name, "kwargs") == 0)
        *flags |= USES_KWARGS;
      else if (strcmp (n->name, "caller") == 0)
        *flags |= USES_CALLER;
    }
  /* a nested macro has its own arguments */
  if (n->kind == N_MACRO)
    return;
  node_walk_names (n->a, flags);
  node_walk_names (n->b, flags);
  node_walk_names (n->c, flags);
  node_walk_names (n->d, flags);
  for (guint i = 0; n->list != NULL && i < n->list->len; i++)
    node_walk_names (g_ptr_array_index (n->list, i), flags);
  for (guint i = 0; n->list2 != NULL && i < n->list2->len; i++)
    node_walk_names (g_ptr_array_index (n->list2, i), flags);
}

struct _AssayChatTemplate
{
  GPtrArray *body;
};

/* ======== parser ======== */

typedef struct
{
  GArray  *tokens;
  guint    pos;
  int      depth;
  GError **error;
} Parser;

static Token *
cur (Parser *P)
{
  return &g_array_index (P->tokens, Token, P->pos);
}

static Token *
peek (Parser *P, guint ahead)
{
  guint i = MIN (P->pos + ahead, P->tokens->len - 1);

  return &g_array_index (P->tokens, Token, i);
}

static Token *
advance (Parser *P)
{
  Token *t = cur (P);

  if (t->kind != TOK_EOF)
    P->pos++;
  return t;
}

static gboolean
is_op (Token *t, const char *op)
{
  return t->kind == TOK_OP && strcmp (t->text, op) == 0;
}

static gboolean
is_name (Token *t, const char *name)
{
  return t->kind == TOK_NAME && strcmp (t->text, name) == 0;
}

static const char *
describe (Token *t)
{
  switch (t->kind)
    {
    case TOK_DATA:
      return "template data";
    case TOK_VAR_BEGIN:
      return "begin of print statement";
    case TOK_VAR_END:
      return "end of print statement";
    case TOK_BLOCK_BEGIN:
      return "begin of statement block";
    case TOK_BLOCK_END:
      return "end of statement block";
    case TOK_STRING:
      return "string";
    case TOK_INT:
      return "integer";
    case TOK_FLOAT:
      return "float";
    case TOK_EOF:
      return "end of template";
    default:
      return t->text;
    }
}

static gboolean
fail_at (Parser *P, Token *t, const char *expected)
{
  if (t->kind == TOK_EOF)
    return syntax_error (P->error, t->line, "unexpected end of template, expected %s", expected);
  return syntax_error (P->error, t->line, "expected %s, got '%s'", expected, describe (t));
}

static gboolean
expect_op (Parser *P, const char *op)
{
  if (!is_op (cur (P), op))
    {
      g_autofree char *what = g_strdup_printf ("'%s'", op);

      return fail_at (P, cur (P), what);
    }
  advance (P);
  return TRUE;
}

static gboolean
expect_kind (Parser *P, TokenKind kind, const char *what)
{
  if (cur (P)->kind != kind)
    return fail_at (P, cur (P), what);
  advance (P);
  return TRUE;
}

static Node      *parse_expression (Parser *P, gboolean with_condexpr);
static Node      *parse_tuple (Parser *P, gboolean simplified, gboolean with_condexpr,
                               const char *extra_end, gboolean explicit_parentheses);
static Node      *parse_unary (Parser *P, gboolean with_filter);
static Node      *parse_primary (Parser *P);
static Node      *parse_postfix (Parser *P, Node *node);
static Node      *parse_filter (Parser *P, Node *node, gboolean start_inline);
static GPtrArray *parse_statements (Parser *P, const char *const *end_names, gboolean drop_needle);

static gboolean
enter (Parser *P)
{
  if (++P->depth > MAX_NESTING)
    return unsupported (P->error, cur (P)->line,
                        "templates nested deeper than %d levels are not supported", MAX_NESTING);
  return TRUE;
}

/* Operator, filter and postfix chains build trees as deep as they are long, and evaluating them
 * recurses: each link counts toward the nesting bound (the caller restores P->depth). */
static gboolean
chain (Parser *P)
{
  if (++P->depth > MAX_NESTING)
    return unsupported (P->error, cur (P)->line,
                        "expressions chained or nested deeper than %d are not supported",
                        MAX_NESTING);
  return TRUE;
}

/* Call arguments after "(": positional, then keyword, up to ")". */
static gboolean
parse_call_args (Parser *P, Node *call)
{
  gboolean first = TRUE;

  call->list = node_array_new ();
  call->list2 = node_array_new ();
  call->names = g_ptr_array_new_with_free_func (g_free);
  if (!expect_op (P, "("))
    return FALSE;
  while (!is_op (cur (P), ")"))
    {
      Node *arg;

      if (!first && !expect_op (P, ","))
        return FALSE;
      if (is_op (cur (P), ")"))
        break;
      first = FALSE;
      if (is_op (cur (P), "*") || is_op (cur (P), "**"))
        return unsupported (P->error, cur (P)->line,
                            "*args and **kwargs in calls are not supported");
      if (cur (P)->kind == TOK_NAME && is_op (peek (P, 1), "="))
        {
          char *name = g_strdup (advance (P)->text);

          advance (P);
          if ((arg = parse_expression (P, TRUE)) == NULL)
            {
              g_free (name);
              return FALSE;
            }
          g_ptr_array_add (call->names, name);
          g_ptr_array_add (call->list2, arg);
          continue;
        }
      if (call->names->len > 0)
        return syntax_error (P->error, cur (P)->line,
                             "invalid syntax for function call expression");
      if ((arg = parse_expression (P, TRUE)) == NULL)
        return FALSE;
      g_ptr_array_add (call->list, arg);
    }
  advance (P);
  return TRUE;
}

static Node *
parse_call (Parser *P, Node *node)
{
  Node *call = node_new (N_CALL, cur (P)->line);

  call->a = node;
  if (!parse_call_args (P, call))
    {
      node_free (call);
      return NULL;
    }
  return call;
}

static char *
parse_dotted_name (Parser *P)
{
  GString *name;

  if (cur (P)->kind != TOK_NAME)
    {
      fail_at (P, cur (P), "a name");
      return NULL;
    }
  name = g_string_new (advance (P)->text);
  while (is_op (cur (P), "."))
    {
      advance (P);
      if (cur (P)->kind != TOK_NAME)
        {
          fail_at (P, cur (P), "a name");
          g_string_free (name, TRUE);
          return NULL;
        }
      g_string_append_printf (name, ".%s", advance (P)->text);
    }
  return g_string_free (name, FALSE);
}

static Node *
parse_filter (Parser *P, Node *node, gboolean start_inline)
{
  int depth = P->depth;

  while (is_op (cur (P), "|") || start_inline)
    {
      Node             *f;
      int               line;
      AssayJinjaBuiltin known;

      if (!chain (P))
        goto failed;
      if (!start_inline)
        advance (P);
      start_inline = FALSE;
      line = cur (P)->line;
      f = node_new (N_FILTER, line);
      f->a = node;
      node = f;
      if ((f->name = parse_dotted_name (P)) == NULL)
        goto failed;
      known = assay_jinja_filter_lookup (f->name);
      if (known == ASSAY_JINJA_BUILTIN_MISSING)
        {
          syntax_error (P->error, line, "no filter named “%s”", f->name);
          goto failed;
        }
      if (known == ASSAY_JINJA_BUILTIN_UNSUPPORTED)
        {
          unsupported (P->error, line, "the filter “%s” is not supported", f->name);
          goto failed;
        }
      if (is_op (cur (P), "("))
        {
          if (!parse_call_args (P, f))
            goto failed;
        }
      else
        {
          f->list = node_array_new ();
          f->list2 = node_array_new ();
          f->names = g_ptr_array_new_with_free_func (g_free);
        }
    }
  P->depth = depth;
  return node;
failed:
  P->depth = depth;
  node_free (node);
  return NULL;
}

static Node *
parse_test (Parser *P, Node *node)
{
  int               line = advance (P)->line;
  gboolean          negated = FALSE;
  Node             *t = node_new (N_TEST, line);
  Token            *c;
  AssayJinjaBuiltin known;

  t->a = node;
  if (is_name (cur (P), "not"))
    {
      advance (P);
      negated = TRUE;
    }
  if ((t->name = parse_dotted_name (P)) == NULL)
    goto failed;
  known = assay_jinja_test_lookup (t->name);
  if (known == ASSAY_JINJA_BUILTIN_MISSING)
    {
      syntax_error (P->error, line, "no test named “%s”", t->name);
      goto failed;
    }
  if (known == ASSAY_JINJA_BUILTIN_UNSUPPORTED)
    {
      unsupported (P->error, line, "the test “%s” is not supported", t->name);
      goto failed;
    }
  c = cur (P);
  if (is_op (c, "("))
    {
      if (!parse_call_args (P, t))
        goto failed;
    }
  else
    {
      t->list = node_array_new ();
      t->list2 = node_array_new ();
      t->names = g_ptr_array_new_with_free_func (g_free);
      if ((c->kind == TOK_NAME || c->kind == TOK_STRING || c->kind == TOK_INT
           || c->kind == TOK_FLOAT || is_op (c, "[") || is_op (c, "{"))
          && !is_name (c, "else") && !is_name (c, "or") && !is_name (c, "and"))
        {
          Node *arg;

          if (is_name (c, "is"))
            {
              syntax_error (P->error, c->line, "You cannot chain multiple tests with is");
              goto failed;
            }
          if ((arg = parse_primary (P)) == NULL || (arg = parse_postfix (P, arg)) == NULL)
            goto failed;
          g_ptr_array_add (t->list, arg);
        }
    }
  if (negated)
    {
      Node *n = node_new (N_NOT, line);

      n->a = t;
      return n;
    }
  return t;
failed:
  node_free (t);
  return NULL;
}

static Node *
parse_filter_expr (Parser *P, Node *node)
{
  int depth = P->depth;

  while (node != NULL)
    {
      Token *t = cur (P);

      if (is_op (t, "|"))
        node = parse_filter (P, node, FALSE);
      else if (is_name (t, "is"))
        node = parse_test (P, node);
      else if (is_op (t, "("))
        node = parse_call (P, node);
      else
        break;
      if (node != NULL && !chain (P))
        g_clear_pointer (&node, node_free);
    }
  P->depth = depth;
  return node;
}

/* One subscript inside [...]: an expression or a slice. */
static Node *
parse_subscribed (Parser *P)
{
  Node *bounds[3] = { NULL, NULL, NULL };
  Node *slice;
  int   line = cur (P)->line;

  if (is_op (cur (P), ":"))
    advance (P);
  else
    {
      Node *e = parse_expression (P, TRUE);

      if (e == NULL)
        return NULL;
      if (!is_op (cur (P), ":"))
        return e;
      advance (P);
      bounds[0] = e;
    }
  if (!is_op (cur (P), "]") && !is_op (cur (P), ",") && !is_op (cur (P), ":"))
    if ((bounds[1] = parse_expression (P, TRUE)) == NULL)
      goto failed;
  if (is_op (cur (P), ":"))
    {
      advance (P);
      if (!is_op (cur (P), "]") && !is_op (cur (P), ","))
        if ((bounds[2] = parse_expression (P, TRUE)) == NULL)
          goto failed;
    }
  slice = node_new (N_SLICE, line);
  slice->b = bounds[0];
  slice->c = bounds[1];
  slice->d = bounds[2];
  return slice;
failed:
  for (int i = 0; i < 3; i++)
    node_free (bounds[i]);
  return NULL;
}

static Node *
parse_subscript (Parser *P, Node *node)
{
  Token *t = advance (P);

  if (is_op (t, "."))
    {
      Token *attr = advance (P);

      if (attr->kind == TOK_NAME)
        {
          Node *g = node_new (N_GETATTR, t->line);

          g->a = node;
          g->name = g_strdup (attr->text);
          return g;
        }
      if (attr->kind == TOK_INT)
        {
          Node *g = node_new (N_GETITEM, t->line);

          g->a = node;
          g->b = node_new (N_CONST, t->line);
          g->b->value = assay_jinja_int_new (attr->i);
          return g;
        }
      node_free (node);
      fail_at (P, attr, "name or number");
      return NULL;
    }
  else
    {
      GPtrArray *args = node_array_new ();
      Node      *g;

      while (!is_op (cur (P), "]"))
        {
          Node *arg;

          if (args->len > 0 && !expect_op (P, ","))
            goto failed;
          if ((arg = parse_subscribed (P)) == NULL)
            goto failed;
          g_ptr_array_add (args, arg);
        }
      advance (P);
      if (args->len == 0)
        {
          syntax_error (P->error, t->line, "expected an expression inside [ ]");
          goto failed;
        }
      if (args->len == 1 && ((Node *)g_ptr_array_index (args, 0))->kind == N_SLICE)
        {
          g = g_ptr_array_steal_index (args, 0);
          g->a = node;
          g_ptr_array_unref (args);
          return g;
        }
      g = node_new (N_GETITEM, t->line);
      g->a = node;
      if (args->len == 1)
        {
          g->b = g_ptr_array_steal_index (args, 0);
          g_ptr_array_unref (args);
        }
      else
        {
          for (guint i = 0; i < args->len; i++)
            if (((Node *)g_ptr_array_index (args, i))->kind == N_SLICE)
              {
                node_free (g);
                g_ptr_array_unref (args);
                unsupported (P->error, t->line, "extended slices are not supported");
                return NULL;
              }
          g->b = node_new (N_TUPLE, t->line);
          g->b->list = args;
        }
      return g;
    failed:
      g_ptr_array_unref (args);
      node_free (node);
      return NULL;
    }
}

static Node *
parse_postfix (Parser *P, Node *node)
{
  int depth = P->depth;

  while (node != NULL)
    {
      Token *t = cur (P);

      if (is_op (t, ".") || is_op (t, "["))
        node = parse_subscript (P, node);
      else if (is_op (t, "("))
        node = parse_call (P, node);
      else
        break;
      if (node != NULL && !chain (P))
        g_clear_pointer (&node, node_free);
    }
  P->depth = depth;
  return node;
}

static Node *
parse_list_or_dict (Parser *P, gboolean dict)
{
  Node       *node = node_new (dict ? N_DICT : N_LIST, advance (P)->line);
  const char *close = dict ? "}" : "]";

  node->list = node_array_new ();
  if (dict)
    node->list2 = node_array_new ();
  while (!is_op (cur (P), close))
    {
      Node *item;

      if (node->list->len > 0 && !expect_op (P, ","))
        goto failed;
      if (is_op (cur (P), close))
        break;
      if ((item = parse_expression (P, TRUE)) == NULL)
        goto failed;
      g_ptr_array_add (node->list, item);
      if (dict)
        {
          if (!expect_op (P, ":") || (item = parse_expression (P, TRUE)) == NULL)
            goto failed;
          g_ptr_array_add (node->list2, item);
        }
    }
  advance (P);
  return node;
failed:
  node_free (node);
  return NULL;
}

static Node *
parse_primary (Parser *P)
{
  Token *t = cur (P);
  Node  *node;

  if (!enter (P))
    return NULL;
  if (t->kind == TOK_NAME)
    {
      node = node_new (N_CONST, t->line);
      if (strcmp (t->text, "true") == 0 || strcmp (t->text, "True") == 0)
        node->value = assay_jinja_bool_new (TRUE);
      else if (strcmp (t->text, "false") == 0 || strcmp (t->text, "False") == 0)
        node->value = assay_jinja_bool_new (FALSE);
      else if (strcmp (t->text, "none") == 0 || strcmp (t->text, "None") == 0)
        node->value = assay_jinja_none_new ();
      else
        {
          node->kind = N_NAME;
          node->name = g_strdup (t->text);
        }
      advance (P);
    }
  else if (t->kind == TOK_STRING)
    {
      GString *s = g_string_new (NULL);

      node = node_new (N_CONST, t->line);
      while (cur (P)->kind == TOK_STRING)
        {
          Token *part = advance (P);

          g_string_append_len (s, part->text, (gssize)part->len);
        }
      node->value = assay_jinja_string_new_take (g_string_free (s, FALSE));
    }
  else if (t->kind == TOK_INT || t->kind == TOK_FLOAT)
    {
      node = node_new (N_CONST, t->line);
      node->value = t->kind == TOK_INT ? assay_jinja_int_new (t->i) : assay_jinja_float_new (t->f);
      advance (P);
    }
  else if (is_op (t, "("))
    {
      advance (P);
      if ((node = parse_tuple (P, FALSE, TRUE, NULL, TRUE)) != NULL && !expect_op (P, ")"))
        g_clear_pointer (&node, node_free);
    }
  else if (is_op (t, "["))
    node = parse_list_or_dict (P, FALSE);
  else if (is_op (t, "{"))
    node = parse_list_or_dict (P, TRUE);
  else
    {
      fail_at (P, t, "an expression");
      node = NULL;
    }
  P->depth--;
  return node;
}

static Node *
parse_unary (Parser *P, gboolean with_filter)
{
  Token *t = cur (P);
  Node  *node;

  if (!enter (P))
    return NULL;
  if (is_op (t, "-") || is_op (t, "+"))
    {
      advance (P);
      node = node_new (t->text[0] == '-' ? N_NEG : N_POS, t->line);
      if ((node->a = parse_unary (P, FALSE)) == NULL)
        g_clear_pointer (&node, node_free);
    }
  else
    node = parse_primary (P);
  node = parse_postfix (P, node);
  if (with_filter)
    node = parse_filter_expr (P, node);
  P->depth--;
  return node;
}

static Node *
binop (NodeKind kind, const char *op, int line, Node *a, Node *b)
{
  Node *n = node_new (kind, line);

  n->name = g_strdup (op);
  n->a = a;
  n->b = b;
  return n;
}

static Node *
parse_pow (Parser *P)
{
  int   depth = P->depth;
  Node *left = parse_unary (P, TRUE);

  while (left != NULL && is_op (cur (P), "**"))
    {
      int   line = advance (P)->line;
      Node *right = parse_unary (P, TRUE);

      if (right == NULL)
        g_clear_pointer (&left, node_free);
      else
        left = binop (N_BINOP, "**", line, left, right);
      if (left != NULL && !chain (P))
        g_clear_pointer (&left, node_free);
    }
  P->depth = depth;
  return left;
}

typedef Node *(*ParseFunc) (Parser *P);

/* A left-associative level: operands from next, joined while the current token is one of ops
 * (NULL-terminated; names when keywords, else operators). */
static Node *
parse_left (Parser *P, ParseFunc next, const char *const *ops, gboolean keywords, NodeKind kind)
{
  int   depth = P->depth;
  Node *left = next (P);

  while (left != NULL)
    {
      Token      *t = cur (P);
      const char *op = NULL;
      int         line;
      Node       *right;

      for (guint i = 0; op == NULL && ops[i] != NULL; i++)
        if (keywords ? is_name (t, ops[i]) : is_op (t, ops[i]))
          op = ops[i];
      if (op == NULL)
        break;
      line = advance (P)->line;
      right = next (P);
      left = right == NULL ? (node_free (left), NULL) : binop (kind, op, line, left, right);
      if (left != NULL && !chain (P))
        g_clear_pointer (&left, node_free);
    }
  P->depth = depth;
  return left;
}

static Node *
parse_math2 (Parser *P)
{
  static const char *const ops[] = { "*", "/", "//", "%", NULL };
  return parse_left (P, parse_pow, ops, FALSE, N_BINOP);
}


static Node *
parse_concat (Parser *P)
{
  static const char *const ops[] = { "~", NULL };
  return parse_left (P, parse_math2, ops, FALSE, N_BINOP);
}

static Node *
parse_math1 (Parser *P)
{
  static const char *const ops[] = { "+", "-", NULL };
  return parse_left (P, parse_concat, ops, FALSE, N_BINOP);
}

static Node *
parse_compare (Parser *P)
{
  static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
  Node                    *expr = parse_math1 (P), *cmp = NULL;

  while (expr != NULL)
    {
      Token      *t = cur (P);
      const char *op = NULL;
      Node       *operand;

      for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
        if (is_op (t, ops[i]))
          op = ops[i];
      if (op != NULL)
        advance (P);
      else if (is_name (t, "in"))
        {
          op = "in";
          advance (P);
        }
      else if (is_name (t, "not") && is_name (peek (P, 1), "in"))
        {
          op = "notin";
          advance (P);
          advance (P);
        }
      else
        break;
      if (cmp == NULL)
        {
          cmp = node_new (N_COMPARE, t->line);
          cmp->a = expr;
          cmp->list = node_array_new ();
          cmp->names = g_ptr_array_new_with_free_func (g_free);
        }
      if ((operand = parse_math1 (P)) == NULL)
        {
          node_free (cmp);
          return NULL;
        }
      g_ptr_array_add (cmp->names, g_strdup (op));
      g_ptr_array_add (cmp->list, operand);
    }
  return cmp != NULL ? cmp : expr;
}

static Node *
parse_not (Parser *P)
{
  if (is_name (cur (P), "not"))
    {
      Node *n = node_new (N_NOT, advance (P)->line);

      if (!enter (P) || (n->a = parse_not (P)) == NULL)
        {
          node_free (n);
          return NULL;
        }
      P->depth--;
      return n;
    }
  return parse_compare (P);
}

static Node *
parse_and (Parser *P)
{
  static const char *const ops[] = { "and", NULL };
  return parse_left (P, parse_not, ops, TRUE, N_AND);
}

static Node *
parse_or (Parser *P)
{
  static const char *const ops[] = { "or", NULL };
  return parse_left (P, parse_and, ops, TRUE, N_OR);
}

static Node *
parse_expression (Parser *P, gboolean with_condexpr)
{
  int   depth = P->depth;
  Node *expr;

  if (!enter (P))
    return NULL;
  expr = parse_or (P);
  while (with_condexpr && expr != NULL && is_name (cur (P), "if"))
    {
      Node *c = node_new (N_CONDEXPR, advance (P)->line);

      c->b = expr;
      expr = c;
      if ((c->a = parse_or (P)) == NULL)
        g_clear_pointer (&expr, node_free);
      else if (is_name (cur (P), "else"))
        {
          advance (P);
          if ((c->c = parse_expression (P, TRUE)) == NULL)
            g_clear_pointer (&expr, node_free);
        }
      if (expr != NULL && !chain (P))
        g_clear_pointer (&expr, node_free);
    }
  P->depth = depth;
  return expr;
}

static gboolean
is_tuple_end (Parser *P, const char *extra_end)
{
  Token *t = cur (P);

  return t->kind == TOK_VAR_END || t->kind == TOK_BLOCK_END || is_op (t, ")")
         || (extra_end != NULL && is_name (t, extra_end));
}

static Node *
parse_tuple (Parser *P, gboolean simplified, gboolean with_condexpr, const char *extra_end,
             gboolean explicit_parentheses)
{
  int        line = cur (P)->line;
  GPtrArray *args = node_array_new ();
  gboolean   is_tuple = FALSE;
  Node      *node;

  while (TRUE)
    {
      Node *item;

      if (args->len > 0 && !expect_op (P, ","))
        goto failed;
      if (is_tuple_end (P, extra_end))
        break;
      item = simplified ? parse_primary (P) : parse_expression (P, with_condexpr);
      if (item == NULL)
        goto failed;
      g_ptr_array_add (args, item);
      if (is_op (cur (P), ","))
        is_tuple = TRUE;
      else
        break;
      line = cur (P)->line;
    }
  if (!is_tuple)
    {
      if (args->len > 0)
        {
          node = g_ptr_array_steal_index (args, 0);
          g_ptr_array_unref (args);
          return node;
        }
      if (!explicit_parentheses)
        {
          fail_at (P, cur (P), "an expression");
          goto failed;
        }
    }
  node = node_new (N_TUPLE, line);
  node->list = args;
  return node;
failed:
  g_ptr_array_unref (args);
  return NULL;
}

static gboolean
check_assign_target (Parser *P, Node *target, gboolean allow_tuple)
{
  if (target->kind == N_NAME)
    return TRUE;
  if (target->kind == N_TUPLE && allow_tuple)
    {
      for (guint i = 0; i < target->list->len; i++)
        if (!check_assign_target (P, g_ptr_array_index (target->list, i), TRUE))
          return FALSE;
      return TRUE;
    }
  return syntax_error (P->error, target->line, "can't assign to this expression");
}

static Node *
parse_assign_target (Parser *P, gboolean with_tuple, const char *extra_end, gboolean with_namespace)
{
  Node *target;

  if (with_namespace && cur (P)->kind == TOK_NAME && is_op (peek (P, 1), "."))
    {
      Token *name = advance (P);

      advance (P);
      if (cur (P)->kind != TOK_NAME)
        {
          fail_at (P, cur (P), "a name");
          return NULL;
        }
      target = node_new (N_NSREF, name->line);
      target->name = g_strdup (name->text);
      target->value = assay_jinja_string_new (advance (P)->text);
      return target;
    }
  target = with_tuple ? parse_tuple (P, TRUE, TRUE, extra_end, FALSE) : parse_primary (P);
  if (target != NULL && !check_assign_target (P, target, with_tuple))
    g_clear_pointer (&target, node_free);
  return target;
}

static char *
parse_name_only (Parser *P)
{
  if (cur (P)->kind != TOK_NAME)
    {
      fail_at (P, cur (P), "a name");
      return NULL;
    }
  return g_strdup (advance (P)->text);
}

/* ( a, b=default, ... ) of macros and call blocks */
static gboolean
parse_signature (Parser *P, Node *node)
{
  node->names = g_ptr_array_new_with_free_func (g_free);
  node->list2 = node_array_new ();
  if (!expect_op (P, "("))
    return FALSE;
  while (!is_op (cur (P), ")"))
    {
      char *name;

      if (node->names->len > 0 && !expect_op (P, ","))
        return FALSE;
      if ((name = parse_name_only (P)) == NULL)
        return FALSE;
      g_ptr_array_add (node->names, name);
      if (is_op (cur (P), "="))
        {
          Node *d;

          advance (P);
          if ((d = parse_expression (P, TRUE)) == NULL)
            return FALSE;
          g_ptr_array_add (node->list2, d);
        }
      else if (node->list2->len > 0)
        return syntax_error (P->error, cur (P)->line,
                             "non-default argument follows default argument");
    }
  advance (P);
  return TRUE;
}

static Node *
parse_for (Parser *P, int line)
{
  static const char *const body_end[] = { "endfor", "else", NULL };
  static const char *const else_end[] = { "endfor", NULL };
  Node                    *node = node_new (N_FOR, line);

  if ((node->a = parse_assign_target (P, TRUE, "in", FALSE)) == NULL)
    goto failed;
  if (!is_name (cur (P), "in"))
    {
      fail_at (P, cur (P), "'in'");
      goto failed;
    }
  advance (P);
  if ((node->b = parse_tuple (P, FALSE, FALSE, "recursive", FALSE)) == NULL)
    goto failed;
  if (is_name (cur (P), "if"))
    {
      advance (P);
      if ((node->c = parse_expression (P, TRUE)) == NULL)
        goto failed;
    }
  if (is_name (cur (P), "recursive"))
    {
      unsupported (P->error, cur (P)->line, "recursive for loops are not supported");
      goto failed;
    }
  if ((node->list = parse_statements (P, body_end, FALSE)) == NULL)
    goto failed;
  if (is_name (advance (P), "else"))
    {
      if ((node->list2 = parse_statements (P, else_end, TRUE)) == NULL)
        goto failed;
    }
  else
    node->list2 = node_array_new ();
  return node;
failed:
  node_free (node);
  return NULL;
}

static Node *
parse_if (Parser *P, int line)
{
  static const char *const body_end[] = { "elif", "else", "endif", NULL };
  static const char *const else_end[] = { "endif", NULL };
  Node                    *result = node_new (N_IF, line), *node = result;

  while (TRUE)
    {
      Token *t;

      if ((node->a = parse_tuple (P, FALSE, FALSE, NULL, FALSE)) == NULL
          || (node->list = parse_statements (P, body_end, FALSE)) == NULL)
        goto failed;
      t = advance (P);
      if (is_name (t, "elif"))
        {
          Node *next = node_new (N_IF, cur (P)->line);

          node->list2 = node_array_new ();
          g_ptr_array_add (node->list2, next);
          node = next;
          continue;
        }
      if (is_name (t, "else"))
        {
          if ((node->list2 = parse_statements (P, else_end, TRUE)) == NULL)
            goto failed;
        }
      else
        node->list2 = node_array_new ();
      break;
    }
  return result;
failed:
  node_free (result);
  return NULL;
}

static Node *
parse_set (Parser *P, int line)
{
  static const char *const end[] = { "endset", NULL };
  Node                    *target = parse_assign_target (P, TRUE, NULL, TRUE);
  Node                    *node;

  if (target == NULL)
    return NULL;
  if (is_op (cur (P), "="))
    {
      advance (P);
      node = node_new (N_SET, line);
      node->a = target;
      if ((node->b = parse_tuple (P, FALSE, TRUE, NULL, FALSE)) == NULL)
        g_clear_pointer (&node, node_free);
      return node;
    }
  node = node_new (N_SET_BLOCK, line);
  node->a = target;
  if (is_op (cur (P), "|") && (node->c = parse_filter (P, NULL, FALSE)) == NULL)
    goto failed;
  if ((node->list = parse_statements (P, end, TRUE)) == NULL)
    goto failed;
  return node;
failed:
  node_free (node);
  return NULL;
}

static Node *
parse_macro (Parser *P, int line)
{
  static const char *const end[] = { "endmacro", NULL };
  Node                    *node = node_new (N_MACRO, line);

  if ((node->name = parse_name_only (P)) == NULL || !parse_signature (P, node)
      || (node->list = parse_statements (P, end, TRUE)) == NULL)
    {
      node_free (node);
      return NULL;
    }
  for (guint i = 0; i < node->list->len; i++)
    node_walk_names (g_ptr_array_index (node->list, i), &node->flags);
  for (guint i = 0; i < node->list2->len; i++)
    node_walk_names (g_ptr_array_index (node->list2, i), &node->flags);
  return node;
}

static Node *
parse_call_block (Parser *P, int line)
{
  static const char *const end[] = { "endcall", NULL };
  Node                    *node = node_new (N_CALL_BLOCK, line);

  if (is_op (cur (P), "("))
    {
      if (!parse_signature (P, node))
        goto failed;
    }
  else
    {
      node->names = g_ptr_array_new_with_free_func (g_free);
      node->list2 = node_array_new ();
    }
  if ((node->a = parse_expression (P, TRUE)) == NULL)
    goto failed;
  if (node->a->kind != N_CALL)
    {
      syntax_error (P->error, line, "expected a call expression after {%% call %%}");
      goto failed;
    }
  if ((node->list = parse_statements (P, end, TRUE)) == NULL)
    goto failed;
  for (guint i = 0; i < node->list->len; i++)
    node_walk_names (g_ptr_array_index (node->list, i), &node->flags);
  return node;
failed:
  node_free (node);
  return NULL;
}

static Node *
parse_with (Parser *P, int line)
{
  static const char *const end[] = { "endwith", NULL };
  Node                    *node = node_new (N_WITH, line);

  node->names = g_ptr_array_new_with_free_func (g_free);
  node->list2 = node_array_new ();
  while (cur (P)->kind != TOK_BLOCK_END)
    {
      char *name;
      Node *value;

      if (node->names->len > 0 && !expect_op (P, ","))
        goto failed;
      if ((name = parse_name_only (P)) == NULL)
        goto failed;
      g_ptr_array_add (node->names, name);
      if (!expect_op (P, "=") || (value = parse_expression (P, TRUE)) == NULL)
        goto failed;
      g_ptr_array_add (node->list2, value);
    }
  if ((node->list = parse_statements (P, end, TRUE)) == NULL)
    goto failed;
  return node;
failed:
  node_free (node);
  return NULL;
}

static Node *
parse_statement (Parser *P)
{
  static const char *const generation_end[] = { "endgeneration", NULL };
  static const char *const filter_end[] = { "endfilter", NULL };
  static const char *const unsupported_tags[]
      = { "include", "import", "from",  "extends",   "block", "autoescape",
          "print",   "do",     "trans", "pluralize", NULL };
  Token *t = cur (P);
  int    line = t->line;
  Node  *node = NULL;

  if (t->kind != TOK_NAME)
    {
      fail_at (P, t, "a tag name");
      return NULL;
    }
  if (!enter (P))
    return NULL;
  advance (P);
  if (strcmp (t->text, "for") == 0)
    node = parse_for (P, line);
  else if (strcmp (t->text, "if") == 0)
    node = parse_if (P, line);
  else if (strcmp (t->text, "set") == 0)
    node = parse_set (P, line);
  else if (strcmp (t->text, "macro") == 0)
    node = parse_macro (P, line);
  else if (strcmp (t->text, "call") == 0)
    node = parse_call_block (P, line);
  else if (strcmp (t->text, "with") == 0)
    node = parse_with (P, line);
  else if (strcmp (t->text, "filter") == 0)
    {
      node = node_new (N_FILTER_BLOCK, line);
      if ((node->c = parse_filter (P, NULL, TRUE)) == NULL
          || (node->list = parse_statements (P, filter_end, TRUE)) == NULL)
        g_clear_pointer (&node, node_free);
    }
  else if (strcmp (t->text, "generation") == 0)
    {
      node = node_new (N_SCOPE, line);
      if ((node->list = parse_statements (P, generation_end, TRUE)) == NULL)
        g_clear_pointer (&node, node_free);
    }
  else if (strcmp (t->text, "break") == 0 || strcmp (t->text, "continue") == 0)
    {
      node = node_new (t->text[0] == 'b' ? N_BREAK : N_CONTINUE, line);
      if (cur (P)->kind != TOK_BLOCK_END)
        {
          fail_at (P, cur (P), "end of statement block");
          g_clear_pointer (&node, node_free);
        }
    }
  else
    {
      gboolean known = FALSE;

      for (guint i = 0; unsupported_tags[i] != NULL; i++)
        known = known || strcmp (unsupported_tags[i], t->text) == 0;
      if (known)
        unsupported (P->error, line, "the tag “%s” is not supported", t->text);
      else if (g_str_has_prefix (t->text, "end") || strcmp (t->text, "else") == 0
               || strcmp (t->text, "elif") == 0)
        syntax_error (P->error, line, "unexpected tag “%s”: no block is open that it could end",
                      t->text);
      else
        syntax_error (P->error, line, "unknown tag “%s”", t->text);
    }
  P->depth--;
  return node;
}

/* The template's nodes up to a tag named in end_names ({% endfor %}, ...), which is left as the
 * current token (or dropped when drop_needle: then its block end is consumed too). */
static GPtrArray *
subparse (Parser *P, const char *const *end_names)
{
  GPtrArray *body = node_array_new ();

  while (cur (P)->kind != TOK_EOF)
    {
      Token *t = cur (P);

      if (t->kind == TOK_DATA)
        {
          Node *n = node_new (N_DATA, t->line);

          n->value = assay_jinja_string_new_len (t->text, t->len);
          g_ptr_array_add (body, n);
          advance (P);
        }
      else if (t->kind == TOK_VAR_BEGIN)
        {
          Node *n = node_new (N_PRINT, t->line);

          advance (P);
          g_ptr_array_add (body, n);
          if ((n->a = parse_tuple (P, FALSE, TRUE, NULL, FALSE)) == NULL
              || !expect_kind (P, TOK_VAR_END, "end of print statement"))
            goto failed;
        }
      else if (t->kind == TOK_BLOCK_BEGIN)
        {
          Node *n;

          advance (P);
          for (guint i = 0; end_names != NULL && end_names[i] != NULL; i++)
            if (is_name (cur (P), end_names[i]))
              return body;
          if ((n = parse_statement (P)) == NULL)
            goto failed;
          g_ptr_array_add (body, n);
          if (!expect_kind (P, TOK_BLOCK_END, "end of statement block"))
            goto failed;
        }
      else
        {
          fail_at (P, t, "template data");
          goto failed;
        }
    }
  if (end_names != NULL)
    {
      GString *names = g_string_new (NULL);

      for (guint i = 0; end_names[i] != NULL; i++)
        g_string_append_printf (names, "%s“%s”",
                                i == 0                     ? ""
                                : end_names[i + 1] == NULL ? " or "
                                                           : ", ",
                                end_names[i]);
      syntax_error (P->error, cur (P)->line,
                    "unexpected end of template: a block is not closed (expected %s)", names->str);
      g_string_free (names, TRUE);
      goto failed;
    }
  return body;
failed:
  g_ptr_array_unref (body);
  return NULL;
}

static GPtrArray *
parse_statements (Parser *P, const char *const *end_names, gboolean drop_needle)
{
  GPtrArray *body;

  if (is_op (cur (P), ":"))
    advance (P);
  if (!expect_kind (P, TOK_BLOCK_END, "end of statement block"))
    return NULL;
  if ((body = subparse (P, end_names)) == NULL)
    return NULL;
  if (drop_needle)
    advance (P);
  return body;
}

AssayChatTemplate *
assay_chat_template_new (const char *source, GError **error)
{
  g_autoptr (GArray) tokens = NULL;
  AssayChatTemplate *self;
  Parser             P = { 0 };
  GPtrArray         *body;

  g_return_val_if_fail (source != NULL, NULL);
  if (!g_utf8_validate (source, -1, NULL))
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "the template is not UTF-8 text");
      return NULL;
    }
  if ((tokens = tokenize (source, error)) == NULL)
    return NULL;
  P.tokens = tokens;
  P.error = error;
  if ((body = subparse (&P, NULL)) == NULL)
    return NULL;
  self = g_new0 (AssayChatTemplate, 1);
  self->body = body;
  return self;
}

void
assay_chat_template_free (AssayChatTemplate *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->body);
  g_free (self);
}

/* ======== evaluation ======== */

typedef struct _Frame Frame;
struct _Frame
{
  GHashTable *vars; /* name -> AssayJinjaValue */
  Frame      *parent;
};

typedef struct
{
  AssayJinjaValue *context;
  GHashTable      *globals;
  Frame           *root;
  GPtrArray       *frames; /* every frame, freed when rendering ends */
  int              call_depth;
  gboolean         raised; /* the error is a raise_exception() message: no line prefix */
  guint64          steps;  /* loop iterations so far */
} Render;

/* A rendering's bounds: a chat prompt takes a few thousand iterations and a few hundred
 * kilobytes; a template of a model folder that nests loops without end is stopped. */
#define MAX_STEPS  (1u << 20)
#define MAX_OUTPUT (1u << 26)

typedef enum
{
  FLOW_OK,
  FLOW_ERROR,
  FLOW_BREAK,
  FLOW_CONTINUE,
} Flow;

static void
frame_free (Frame *frame)
{
  g_hash_table_unref (frame->vars);
  g_free (frame);
}

static Frame *
frame_new (Render *R, Frame *parent)
{
  Frame *f = g_new0 (Frame, 1);

  f->vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)assay_jinja_value_unref);
  f->parent = parent;
  g_ptr_array_add (R->frames, f);
  return f;
}

/* Frees the values of a frame that execution has left. */
static void
frame_leave (Frame *frame)
{
  g_hash_table_remove_all (frame->vars);
}

static void
frame_set (Frame *frame, const char *name, AssayJinjaValue *value)
{
  g_hash_table_replace (frame->vars, g_strdup (name), value);
}

static AssayJinjaValue *
lookup (Render *R, Frame *frame, const char *name)
{
  AssayJinjaValue *v;

  for (Frame *f = frame; f != NULL; f = f->parent)
    if ((v = g_hash_table_lookup (f->vars, name)) != NULL)
      return assay_jinja_value_ref (v);
  if ((v = assay_jinja_dict_get_string (R->context, name)) != NULL)
    return assay_jinja_value_ref (v);
  if ((v = g_hash_table_lookup (R->globals, name)) != NULL)
    return assay_jinja_value_ref (v);
  {
    g_autofree char *m = g_strdup_printf ("'%s' is undefined", name);

    return assay_jinja_undefined_new (m);
  }
}

/* Prefixes the template line to an error that has none yet. */
static void
at_line (Render *R, Node *node, GError **error)
{
  if (error != NULL && *error != NULL && !R->raised
      && !g_str_has_prefix ((*error)->message, "template line "))
    g_prefix_error (error, "template line %d: ", node->line);
}

static AssayJinjaValue *eval (Render *R, Frame *frame, Node *node, GError **error);
static Flow exec_body (Render *R, Frame *frame, GPtrArray *body, GString *out, GError **error);

static gboolean
eval_args (Render *R, Frame *frame, Node *node, AssayJinjaArgs *args, GError **error)
{
  assay_jinja_args_init (args);
  for (guint i = 0; i < node->list->len; i++)
    {
      AssayJinjaValue *v = eval (R, frame, g_ptr_array_index (node->list, i), error);

      if (v == NULL)
        return FALSE;
      g_ptr_array_add (args->args, v);
    }
  for (guint i = 0; i < node->names->len; i++)
    {
      AssayJinjaValue *v = eval (R, frame, g_ptr_array_index (node->list2, i), error);

      if (v == NULL)
        return FALSE;
      g_ptr_array_add (args->names, g_strdup (g_ptr_array_index (node->names, i)));
      g_ptr_array_add (args->values, v);
    }
  return TRUE;
}

/* Applies a chain of filter nodes (innermost first) whose innermost subject is value. */
static AssayJinjaValue *
apply_filters (Render *R, Frame *frame, Node *filter, AssayJinjaValue *value, GError **error)
{
  AssayJinjaValue *subject, *result;
  AssayJinjaArgs   args;

  if (filter == NULL)
    return assay_jinja_value_ref (value);
  if ((subject = apply_filters (R, frame, filter->a, value, error)) == NULL)
    return NULL;
  if (!eval_args (R, frame, filter, &args, error))
    result = NULL;
  else
    result = assay_jinja_filter_apply (filter->name, subject, &args, error);
  assay_jinja_args_clear (&args);
  assay_jinja_value_unref (subject);
  if (result == NULL)
    at_line (R, filter, error);
  return result;
}

/* ---- macros ---- */

typedef struct
{
  Render *R;
  Node   *macro; /* N_MACRO or N_CALL_BLOCK (the caller) */
  Frame  *parent;
} Macro;

static AssayJinjaValue *
call_macro (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  Macro      *m = data;
  Render     *R = m->R;
  Node       *node = m->macro;
  const char *name = node->kind == N_MACRO ? node->name : "caller";
  GPtrArray  *params = node->names;
  guint       n_defaults = node->list2->len, first_default = params->len - n_defaults;
  Frame      *frame;
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean        *taken;
  GPtrArray       *extra;
  AssayJinjaValue *extra_kw;
  Flow             flow;

  if (R->call_depth >= MAX_CALL_DEPTH)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "macro calls nested deeper than %d are not supported", MAX_CALL_DEPTH);
      return NULL;
    }
  if (args->args->len > params->len && !(node->flags & USES_VARARGS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "macro '%s' takes not more than %u argument(s)", name, params->len);
      return NULL;
    }
  frame = frame_new (R, m->parent);
  taken = g_new0 (gboolean, args->names->len + 1);
  for (guint i = 0; i < params->len; i++)
    {
      const char      *p = g_ptr_array_index (params, i);
      AssayJinjaValue *v = NULL;

      for (guint k = 0; k < args->names->len; k++)
        if (strcmp (g_ptr_array_index (args->names, k), p) == 0)
          {
            if (i < args->args->len)
              {
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                             "macro '%s' got multiple values for argument '%s'", name, p);
                g_free (taken);
                frame_leave (frame);
                return NULL;
              }
            v = assay_jinja_value_ref (g_ptr_array_index (args->values, k));
            taken[k] = TRUE;
          }
      if (v == NULL && i < args->args->len)
        v = assay_jinja_value_ref (g_ptr_array_index (args->args, i));
      if (v == NULL && i >= first_default)
        {
          if ((v = eval (R, frame, g_ptr_array_index (node->list2, i - first_default), error))
              == NULL)
            {
              g_free (taken);
              frame_leave (frame);
              return NULL;
            }
        }
      if (v == NULL)
        {
          g_autofree char *msg = g_strdup_printf ("parameter '%s' was not provided", p);

          v = assay_jinja_undefined_new (msg);
        }
      frame_set (frame, p, v);
    }
  extra = assay_jinja_value_array_new ();
  for (guint i = params->len; i < args->args->len; i++)
    g_ptr_array_add (extra, assay_jinja_value_ref (g_ptr_array_index (args->args, i)));
  frame_set (frame, "varargs", assay_jinja_list_new (extra, ASSAY_JINJA_TUPLE));
  extra_kw = assay_jinja_dict_new ();
  for (guint k = 0; k < args->names->len; k++)
    if (!taken[k])
      {
        const char *kw = g_ptr_array_index (args->names, k);

        if (strcmp (kw, "caller") == 0 && node->kind == N_MACRO && (node->flags & USES_CALLER))
          frame_set (frame, "caller", assay_jinja_value_ref (g_ptr_array_index (args->values, k)));
        else if (node->flags & USES_KWARGS)
          assay_jinja_dict_set_string (extra_kw, kw,
                                       assay_jinja_value_ref (g_ptr_array_index (args->values, k)));
        else
          {
            if (strcmp (kw, "caller") == 0)
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "macro '%s' was called from a call block but does not use caller()",
                           name);
            else
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "macro '%s' takes no keyword argument '%s'", name, kw);
            assay_jinja_value_unref (extra_kw);
            g_free (taken);
            frame_leave (frame);
            return NULL;
          }
      }
  frame_set (frame, "kwargs", extra_kw);
  if (node->kind == N_MACRO && (node->flags & USES_CALLER)
      && g_hash_table_lookup (frame->vars, "caller") == NULL)
    frame_set (frame, "caller", assay_jinja_undefined_new ("No caller defined"));
  g_free (taken);
  R->call_depth++;
  flow = exec_body (R, frame, node->list, out, error);
  R->call_depth--;
  frame_leave (frame);
  if (flow == FLOW_ERROR)
    return NULL;
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

static AssayJinjaValue *
macro_new (Render *R, Node *node, Frame *parent)
{
  Macro *m = g_new0 (Macro, 1);

  m->R = R;
  m->macro = node;
  m->parent = parent;
  return assay_jinja_callable_new (node->kind == N_MACRO ? node->name : "caller", call_macro, m,
                                   g_free, NULL);
}

/* ---- globals ---- */

static AssayJinjaValue *
global_range (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  gint64     v[3] = { 0, 0, 1 }, start, stop, step;
  guint      n = args->args->len;
  GPtrArray *items;

  if (args->names->len > 0 || n < 1 || n > 3)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "range expected 1 to 3 integer arguments");
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      AssayJinjaValue *a = g_ptr_array_index (args->args, i);

      if (a->kind != ASSAY_JINJA_INT && a->kind != ASSAY_JINJA_BOOL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "'%s' object cannot be interpreted as an integer",
                       assay_jinja_value_type_name (a));
          return NULL;
        }
      v[i] = a->kind == ASSAY_JINJA_INT ? a->i : a->b;
    }
  start = n == 1 ? 0 : v[0];
  stop = n == 1 ? v[0] : v[1];
  step = n == 3 ? v[2] : 1;
  if (step == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "range() arg 3 must not be zero");
      return NULL;
    }
  if ((step > 0 && stop > start && (stop - start) / step > MAX_RANGE)
      || (step < 0 && start > stop && (start - stop) / -step > MAX_RANGE))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).",
                   MAX_RANGE);
      return NULL;
    }
  items = assay_jinja_value_array_new ();
  for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
    g_ptr_array_add (items, assay_jinja_int_new (i));
  return assay_jinja_list_new (items, ASSAY_JINJA_RANGE);
}

/* namespace(...) and dict(...): a mapping from one positional mapping and keyword arguments */
static AssayJinjaValue *
global_mapping (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  gboolean         ns = GPOINTER_TO_INT (data);
  AssayJinjaValue *d = ns ? assay_jinja_namespace_new () : assay_jinja_dict_new ();

  if (args->args->len > 1)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s expected at most 1 positional argument", ns ? "namespace" : "dict");
      assay_jinja_value_unref (d);
      return NULL;
    }
  if (args->args->len == 1)
    {
      AssayJinjaValue *from = g_ptr_array_index (args->args, 0);

      if (from->kind == ASSAY_JINJA_DICT || from->kind == ASSAY_JINJA_NAMESPACE)
        for (guint i = 0; i < from->dict.keys->len; i++)
          assay_jinja_dict_set (d, g_ptr_array_index (from->dict.keys, i),
                                assay_jinja_value_ref (g_ptr_array_index (from->dict.values, i)));
      else if (from->kind == ASSAY_JINJA_LIST)
        for (guint i = 0; i < from->list.items->len; i++)
          {
            AssayJinjaValue *pair = g_ptr_array_index (from->list.items, i);

            if (pair->kind != ASSAY_JINJA_LIST || pair->list.items->len != 2)
              {
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                             "dictionary update sequence element #%u has the wrong length", i);
                assay_jinja_value_unref (d);
                return NULL;
              }
            assay_jinja_dict_set (d, g_ptr_array_index (pair->list.items, 0),
                                  assay_jinja_value_ref (g_ptr_array_index (pair->list.items, 1)));
          }
      else
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "'%s' object is not iterable",
                       assay_jinja_value_type_name (from));
          assay_jinja_value_unref (d);
          return NULL;
        }
    }
  for (guint i = 0; i < args->names->len; i++)
    assay_jinja_dict_set_string (d, g_ptr_array_index (args->names, i),
                                 assay_jinja_value_ref (g_ptr_array_index (args->values, i)));
  return d;
}

static AssayJinjaValue *
global_raise (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  Render          *R = data;
  AssayJinjaValue *message = assay_jinja_args_get (args, 0, "message");
  g_autofree char *text = message != NULL ? assay_jinja_value_to_str (message, NULL) : NULL;

  g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, text != NULL ? text : "");
  R->raised = TRUE;
  return NULL;
}

static AssayJinjaValue *
global_strftime_now (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  AssayJinjaValue *format = assay_jinja_args_get (args, 0, "format");
  char             buf[1024];
  time_t           now = time (NULL);
  struct tm        tm;

  if (format == NULL || format->kind != ASSAY_JINJA_STRING)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "strftime_now() needs a format string");
      return NULL;
    }
  localtime_r (&now, &tm);
  if (format->str.len > 0 && strftime (buf, sizeof buf, format->str.s, &tm) == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "strftime_now(): the formatted date is too long");
      return NULL;
    }
  return assay_jinja_string_new (format->str.len > 0 ? buf : "");
}

static AssayJinjaValue *
global_unsupported (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "the function “%s” is not supported",
               (const char *)data);
  return NULL;
}

static GHashTable *
globals_new (Render *R)
{
  GHashTable              *g = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      (GDestroyNotify)assay_jinja_value_unref);
  static const char *const unsupported_functions[] = { "lipsum", "cycler", "joiner", NULL };

  g_hash_table_insert (g, "range",
                       assay_jinja_callable_new ("range", global_range, NULL, NULL, NULL));
  g_hash_table_insert (
      g, "namespace",
      assay_jinja_callable_new ("namespace", global_mapping, GINT_TO_POINTER (1), NULL, NULL));
  g_hash_table_insert (
      g, "dict",
      assay_jinja_callable_new ("dict", global_mapping, GINT_TO_POINTER (0), NULL, NULL));
  g_hash_table_insert (g, "raise_exception",
                       assay_jinja_callable_new ("raise_exception", global_raise, R, NULL, NULL));
  g_hash_table_insert (
      g, "strftime_now",
      assay_jinja_callable_new ("strftime_now", global_strftime_now, NULL, NULL, NULL));
  for (guint i = 0; unsupported_functions[i] != NULL; i++)
    g_hash_table_insert (g, (gpointer)unsupported_functions[i],
                         assay_jinja_callable_new (unsupported_functions[i], global_unsupported,
                                                   (gpointer)unsupported_functions[i], NULL, NULL));
  return g;
}

/* ---- expressions ---- */

static AssayJinjaValue *
eval_inner (Render *R, Frame *frame, Node *node, GError **error)
{
  switch (node->kind)
    {
    case N_CONST:
      return assay_jinja_value_ref (node->value);
    case N_NAME:
      return lookup (R, frame, node->name);
    case N_TUPLE:
    case N_LIST:
      {
        GPtrArray *items = assay_jinja_value_array_new ();

        for (guint i = 0; i < node->list->len; i++)
          {
            AssayJinjaValue *v = eval (R, frame, g_ptr_array_index (node->list, i), error);

            if (v == NULL)
              {
                g_ptr_array_unref (items);
                return NULL;
              }
            g_ptr_array_add (items, v);
          }
        return assay_jinja_list_new (items, node->kind == N_TUPLE ? ASSAY_JINJA_TUPLE
                                                                  : ASSAY_JINJA_PLAIN_LIST);
      }
    case N_DICT:
      {
        g_autoptr (AssayJinjaValue) d = assay_jinja_dict_new ();

        for (guint i = 0; i < node->list->len; i++)
          {
            g_autoptr (AssayJinjaValue) k
                = eval (R, frame, g_ptr_array_index (node->list, i), error);
            AssayJinjaValue *v;

            if (k == NULL
                || (v = eval (R, frame, g_ptr_array_index (node->list2, i), error)) == NULL)
              return NULL;
            if (k->kind == ASSAY_JINJA_LIST || k->kind == ASSAY_JINJA_DICT
                || k->kind == ASSAY_JINJA_NAMESPACE)
              {
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "unhashable type: '%s'",
                             assay_jinja_value_type_name (k));
                assay_jinja_value_unref (v);
                return NULL;
              }
            assay_jinja_dict_set (d, k, v);
          }
        return g_steal_pointer (&d);
      }
    case N_GETATTR:
      {
        g_autoptr (AssayJinjaValue) obj = eval (R, frame, node->a, error);

        return obj != NULL ? assay_jinja_getattr (obj, node->name, error) : NULL;
      }
    case N_GETITEM:
      {
        g_autoptr (AssayJinjaValue) obj = eval (R, frame, node->a, error);
        g_autoptr (AssayJinjaValue) key = NULL;

        if (obj == NULL || (key = eval (R, frame, node->b, error)) == NULL)
          return NULL;
        return assay_jinja_getitem (obj, key, error);
      }
    case N_SLICE:
      {
        g_autoptr (AssayJinjaValue) obj = eval (R, frame, node->a, error);
        g_autoptr (AssayJinjaValue) b0 = NULL, b1 = NULL, b2 = NULL;

        if (obj == NULL || (node->b != NULL && (b0 = eval (R, frame, node->b, error)) == NULL)
            || (node->c != NULL && (b1 = eval (R, frame, node->c, error)) == NULL)
            || (node->d != NULL && (b2 = eval (R, frame, node->d, error)) == NULL))
          return NULL;
        return assay_jinja_slice (obj, b0, b1, b2, error);
      }
    case N_CALL:
      {
        g_autoptr (AssayJinjaValue) callee = eval (R, frame, node->a, error);
        AssayJinjaValue *result = NULL;
        AssayJinjaArgs   args;

        if (callee == NULL)
          return NULL;
        if (eval_args (R, frame, node, &args, error))
          result = assay_jinja_call (callee, &args, error);
        assay_jinja_args_clear (&args);
        return result;
      }
    case N_FILTER:
      {
        g_autoptr (AssayJinjaValue) subject = eval (R, frame, node->a, error);
        AssayJinjaValue *result = NULL;
        AssayJinjaArgs   args;

        if (subject == NULL)
          return NULL;
        if (eval_args (R, frame, node, &args, error))
          result = assay_jinja_filter_apply (node->name, subject, &args, error);
        assay_jinja_args_clear (&args);
        return result;
      }
    case N_TEST:
      {
        g_autoptr (AssayJinjaValue) subject = NULL;
        AssayJinjaArgs args;
        gboolean       ok = FALSE, r = FALSE;

        /* "is defined" must not fail on the undefined attribute of an undefined value, as in jinja2
         */
        if ((subject = eval (R, frame, node->a, error)) == NULL)
          return NULL;
        if (eval_args (R, frame, node, &args, error))
          ok = assay_jinja_test_apply (node->name, subject, &args, &r, error);
        assay_jinja_args_clear (&args);
        return ok ? assay_jinja_bool_new (r) : NULL;
      }
    case N_NOT:
      {
        g_autoptr (AssayJinjaValue) v = eval (R, frame, node->a, error);

        return v != NULL ? assay_jinja_bool_new (!assay_jinja_value_truthy (v)) : NULL;
      }
    case N_NEG:
    case N_POS:
      {
        g_autoptr (AssayJinjaValue) v = eval (R, frame, node->a, error);

        return v != NULL ? assay_jinja_negate (v, node->kind == N_NEG, error) : NULL;
      }
    case N_BINOP:
      {
        g_autoptr (AssayJinjaValue) a = eval (R, frame, node->a, error);
        g_autoptr (AssayJinjaValue) b = NULL;

        if (a == NULL || (b = eval (R, frame, node->b, error)) == NULL)
          return NULL;
        return assay_jinja_binop (node->name, a, b, error);
      }
    case N_AND:
    case N_OR:
      {
        AssayJinjaValue *a = eval (R, frame, node->a, error);

        if (a == NULL)
          return NULL;
        if (assay_jinja_value_truthy (a) == (node->kind == N_OR))
          return a;
        assay_jinja_value_unref (a);
        return eval (R, frame, node->b, error);
      }
    case N_COMPARE:
      {
        AssayJinjaValue *left = eval (R, frame, node->a, error);

        if (left == NULL)
          return NULL;
        for (guint i = 0; i < node->list->len; i++)
          {
            AssayJinjaValue *right = eval (R, frame, g_ptr_array_index (node->list, i), error);
            gboolean         r;

            if (right == NULL
                || !assay_jinja_compare_op (g_ptr_array_index (node->names, i), left, right, &r,
                                            error))
              {
                assay_jinja_value_unref (left);
                assay_jinja_value_unref (right);
                return NULL;
              }
            assay_jinja_value_unref (left);
            left = right;
            if (!r)
              {
                assay_jinja_value_unref (left);
                return assay_jinja_bool_new (FALSE);
              }
          }
        assay_jinja_value_unref (left);
        return assay_jinja_bool_new (TRUE);
      }
    case N_CONDEXPR:
      {
        g_autoptr (AssayJinjaValue) test = eval (R, frame, node->a, error);

        if (test == NULL)
          return NULL;
        if (assay_jinja_value_truthy (test))
          return eval (R, frame, node->b, error);
        if (node->c != NULL)
          return eval (R, frame, node->c, error);
        {
          g_autofree char *m = g_strdup_printf (
              "the inline if-expression on line %d evaluated to false and no else "
              "section was defined.",
              node->line);

          return assay_jinja_undefined_new (m);
        }
      }
    default:
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "not an expression");
      return NULL;
    }
}

static AssayJinjaValue *
eval (Render *R, Frame *frame, Node *node, GError **error)
{
  AssayJinjaValue *v = eval_inner (R, frame, node, error);

  if (v == NULL)
    at_line (R, node, error);
  return v;
}

/* ---- statements ---- */

/* Binds target (a name or nested tuple of names) to value in frame. */
static gboolean
assign (Render *R, Frame *frame, Node *target, AssayJinjaValue *value, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;

  if (target->kind == N_NAME)
    {
      frame_set (frame, target->name, assay_jinja_value_ref (value));
      return TRUE;
    }
  if (target->kind == N_NSREF)
    {
      g_autoptr (AssayJinjaValue) ns = lookup (R, frame, target->name);

      if (ns->kind != ASSAY_JINJA_NAMESPACE)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "cannot assign attribute on non-namespace object");
          return FALSE;
        }
      assay_jinja_dict_set (ns, target->value, assay_jinja_value_ref (value));
      return TRUE;
    }
  if (!assay_jinja_value_iterate (value, &items, error))
    {
      g_prefix_error (
          error, "cannot unpack non-iterable %s object: ", assay_jinja_value_type_name (value));
      return FALSE;
    }
  if (items->len != target->list->len)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   items->len < target->list->len
                       ? "not enough values to unpack (expected %u, got %u)"
                       : "too many values to unpack (expected %u, got %u)",
                   target->list->len, items->len);
      return FALSE;
    }
  for (guint i = 0; i < items->len; i++)
    if (!assign (R, frame, g_ptr_array_index (target->list, i), g_ptr_array_index (items, i),
                 error))
      return FALSE;
  return TRUE;
}

static Flow
exec_for (Render *R, Frame *frame, Node *node, GString *out, GError **error)
{
  g_autoptr (AssayJinjaValue) iterable = eval (R, frame, node->b, error);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) items = NULL;
  Flow  flow = FLOW_OK;
  guint depth = 1; /* loop.depth counts recursive loop() calls, which are not supported */

  if (iterable == NULL)
    return FLOW_ERROR;
  if (!assay_jinja_value_iterate (iterable, &all, error))
    {
      at_line (R, node, error);
      return FLOW_ERROR;
    }
  /* the loop filter runs first, so loop.length and loop.last count only the kept items */
  if (node->c != NULL)
    {
      items = assay_jinja_value_array_new ();
      for (guint i = 0; i < all->len; i++)
        {
          Frame           *test_frame = frame_new (R, frame);
          AssayJinjaValue *keep = NULL;

          if (assign (R, test_frame, node->a, g_ptr_array_index (all, i), error))
            keep = eval (R, test_frame, node->c, error);
          frame_leave (test_frame);
          if (keep == NULL)
            {
              at_line (R, node, error);
              return FLOW_ERROR;
            }
          if (assay_jinja_value_truthy (keep))
            g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (all, i)));
          assay_jinja_value_unref (keep);
        }
    }
  else
    items = g_ptr_array_ref (all);
  if (items->len == 0)
    {
      Frame *else_frame = frame_new (R, frame);

      flow = exec_body (R, else_frame, node->list2, out, error);
      frame_leave (else_frame);
      return flow;
    }
  for (guint i = 0; i < items->len; i++)
    {
      Frame *iteration;

      if (++R->steps > MAX_STEPS || out->len > MAX_OUTPUT)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       R->steps > MAX_STEPS ? "the template runs too long (more than %u loop iterations)"
                                            : "the template writes too much (more than %u bytes)",
                       R->steps > MAX_STEPS ? MAX_STEPS : MAX_OUTPUT);
          at_line (R, node, error);
          return FLOW_ERROR;
        }
      iteration = frame_new (R, frame);
      frame_set (iteration, "loop", assay_jinja_loop_new (items, i, depth));
      if (!assign (R, iteration, node->a, g_ptr_array_index (items, i), error))
        {
          at_line (R, node, error);
          frame_leave (iteration);
          return FLOW_ERROR;
        }
      flow = exec_body (R, iteration, node->list, out, error);
      frame_leave (iteration);
      if (flow == FLOW_ERROR)
        return FLOW_ERROR;
      if (flow == FLOW_BREAK)
        break;
    }
  return FLOW_OK;
}

/* Renders body into a new string in a scope of its own. */
static AssayJinjaValue *
render_block (Render *R, Frame *frame, GPtrArray *body, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  Frame *inner = frame_new (R, frame);
  Flow   flow = exec_body (R, inner, body, text, error);

  frame_leave (inner);
  if (flow == FLOW_ERROR)
    return NULL;
  if (flow != FLOW_OK)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "break or continue outside of a loop");
      return NULL;
    }
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&text), FALSE));
}

static Flow
exec_node (Render *R, Frame *frame, Node *node, GString *out, GError **error)
{
  switch (node->kind)
    {
    case N_DATA:
      g_string_append_len (out, node->value->str.s, (gssize)node->value->str.len);
      return FLOW_OK;
    case N_PRINT:
      {
        g_autoptr (AssayJinjaValue) v = eval (R, frame, node->a, error);

        if (v == NULL)
          return FLOW_ERROR;
        if (!assay_jinja_value_str (v, out, error))
          {
            at_line (R, node, error);
            return FLOW_ERROR;
          }
        return FLOW_OK;
      }
    case N_IF:
      {
        g_autoptr (AssayJinjaValue) test = eval (R, frame, node->a, error);

        if (test == NULL)
          return FLOW_ERROR;
        return exec_body (R, frame, assay_jinja_value_truthy (test) ? node->list : node->list2, out,
                          error);
      }
    case N_FOR:
      return exec_for (R, frame, node, out, error);
    case N_SET:
      {
        g_autoptr (AssayJinjaValue) v = eval (R, frame, node->b, error);

        if (v == NULL)
          return FLOW_ERROR;
        if (!assign (R, frame, node->a, v, error))
          {
            at_line (R, node, error);
            return FLOW_ERROR;
          }
        return FLOW_OK;
      }
    case N_SET_BLOCK:
      {
        g_autoptr (AssayJinjaValue) text = render_block (R, frame, node->list, error);
        g_autoptr (AssayJinjaValue) v = NULL;

        if (text == NULL || (v = apply_filters (R, frame, node->c, text, error)) == NULL
            || !assign (R, frame, node->a, v, error))
          {
            at_line (R, node, error);
            return FLOW_ERROR;
          }
        return FLOW_OK;
      }
    case N_FILTER_BLOCK:
      {
        g_autoptr (AssayJinjaValue) text = render_block (R, frame, node->list, error);
        g_autoptr (AssayJinjaValue) v = NULL;

        if (text == NULL || (v = apply_filters (R, frame, node->c, text, error)) == NULL
            || !assay_jinja_value_str (v, out, error))
          {
            at_line (R, node, error);
            return FLOW_ERROR;
          }
        return FLOW_OK;
      }
    case N_MACRO:
      frame_set (frame, node->name, macro_new (R, node, frame == R->root ? R->root : frame));
      return FLOW_OK;
    case N_CALL_BLOCK:
      {
        Node *call = node->a;
        g_autoptr (AssayJinjaValue) callee = eval (R, frame, call->a, error);
        AssayJinjaValue *result = NULL;
        AssayJinjaArgs   args;

        if (callee == NULL)
          return FLOW_ERROR;
        if (eval_args (R, frame, call, &args, error))
          {
            g_ptr_array_add (args.names, g_strdup ("caller"));
            g_ptr_array_add (args.values, macro_new (R, node, frame));
            result = assay_jinja_call (callee, &args, error);
          }
        assay_jinja_args_clear (&args);
        if (result == NULL || !assay_jinja_value_str (result, out, error))
          {
            assay_jinja_value_unref (result);
            at_line (R, node, error);
            return FLOW_ERROR;
          }
        assay_jinja_value_unref (result);
        return FLOW_OK;
      }
    case N_WITH:
      {
        Frame *inner = frame_new (R, frame);
        Flow   flow;

        for (guint i = 0; i < node->names->len; i++)
          {
            AssayJinjaValue *v = eval (R, frame, g_ptr_array_index (node->list2, i), error);

            if (v == NULL)
              {
                frame_leave (inner);
                return FLOW_ERROR;
              }
            frame_set (inner, g_ptr_array_index (node->names, i), v);
          }
        flow = exec_body (R, inner, node->list, out, error);
        frame_leave (inner);
        return flow;
      }
    case N_SCOPE:
      return exec_body (R, frame, node->list, out, error);
    case N_BREAK:
      return FLOW_BREAK;
    case N_CONTINUE:
      return FLOW_CONTINUE;
    default:
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "template line %d: not a statement",
                   node->line);
      return FLOW_ERROR;
    }
}

static Flow
exec_body (Render *R, Frame *frame, GPtrArray *body, GString *out, GError **error)
{
  for (guint i = 0; i < body->len; i++)
    {
      Flow flow = exec_node (R, frame, g_ptr_array_index (body, i), out, error);

      if (flow != FLOW_OK)
        return flow;
    }
  return FLOW_OK;
}

char *
assay_chat_template_render (AssayChatTemplate *self, JsonObject *context, GError **error)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  Render R = { 0 };
  Flow   flow;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (context != NULL, NULL);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, context);
  R.context = assay_jinja_value_from_json (node);
  R.globals = globals_new (&R);
  R.frames = g_ptr_array_new_with_free_func ((GDestroyNotify)frame_free);
  R.root = frame_new (&R, NULL);
  flow = exec_body (&R, R.root, self->body, out, error);
  if (flow == FLOW_BREAK || flow == FLOW_CONTINUE)
    {
      /* the parser allows break and continue anywhere; jinja2 only inside loops */
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "break or continue outside of a loop");
      flow = FLOW_ERROR;
    }
  /* frames go before the globals and context their values may refer to */
  for (guint i = 0; i < R.frames->len; i++)
    frame_leave (g_ptr_array_index (R.frames, i));
  g_ptr_array_unref (R.frames);
  g_hash_table_unref (R.globals);
  assay_jinja_value_unref (R.context);
  if (flow == FLOW_ERROR)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

JsonObject *
assay_chat_template_context_new (JsonNode *input, const char *bos, const char *eos, GError **error)
{
  JsonObject *context;

  g_return_val_if_fail (input != NULL, NULL);
  if (!JSON_NODE_HOLDS_ARRAY (input)
      && !(JSON_NODE_HOLDS_OBJECT (input)
           && json_object_has_member (json_node_get_object (input), "messages")))
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "expected a list of messages or an object with \"messages\"");
      return NULL;
    }
  context = json_object_new ();
  json_object_set_null_member (context, "tools");
  json_object_set_null_member (context, "documents");
  json_object_set_boolean_member (context, "add_generation_prompt", FALSE);
  if (bos != NULL)
    json_object_set_string_member (context, "bos_token", bos);
  if (eos != NULL)
    json_object_set_string_member (context, "eos_token", eos);
  if (JSON_NODE_HOLDS_ARRAY (input))
    json_object_set_member (context, "messages", json_node_copy (input));
  else
    {
      JsonObjectIter iter;
      const char    *name;
      JsonNode      *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (input));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        json_object_set_member (context, name, json_node_copy (member));
    }
  return context;
}

/* ======== model folders ======== */

static char *
special_token (JsonObject *config, const char *member)
{
  JsonNode *n = json_object_get_member (config, member);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  if (JSON_NODE_HOLDS_OBJECT (n))
    {
      const char *content = assay_json_get_string (json_node_get_object (n), "content", NULL);

      return g_strdup (content);
    }
  return NULL;
}

/* tokenizer_config.json's chat_template: a string, or [{name, template}] with a "default" */
static char *
config_template (JsonObject *config, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (config, "chat_template");

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (JSON_NODE_HOLDS_OBJECT (e)
              && g_strcmp0 (assay_json_get_string (json_node_get_object (e), "name", NULL),
                            "default")
                     == 0)
            {
              const char *t = assay_json_get_string (json_node_get_object (e), "template", NULL);

              if (t != NULL)
                return g_strdup (t);
            }
        }
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: chat_template is a list of named templates without one named “default”",
                   path);
      return NULL;
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               "%s: chat_template is neither a string nor a list", path);
  return NULL;
}

AssayChatTemplate *
assay_chat_template_load_model (const char *dir, char **bos, char **eos, GError **error)
{
  g_autofree char *config_path = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_autofree char *jinja_path = g_build_filename (dir, "chat_template.jinja", NULL);
  g_autofree char *json_path = g_build_filename (dir, "chat_template.json", NULL);
  g_autofree char *source = NULL, *source_path = NULL;
  g_autoptr (JsonParser) parser = NULL;
  JsonObject        *config = NULL;
  AssayChatTemplate *self;
  GError            *local = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  if (bos != NULL)
    *bos = NULL;
  if (eos != NULL)
    *eos = NULL;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: no such model folder", dir);
      return NULL;
    }
  if (g_file_test (config_path, G_FILE_TEST_EXISTS))
    {
      JsonNode *root;

      parser = json_parser_new_immutable ();
      if (!assay_json_parser_load_file (parser, config_path, &local))
        {
          g_propagate_prefixed_error (error, local, "%s: ", config_path);
          return NULL;
        }
      root = json_parser_get_root (parser);
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not a JSON object",
                       config_path);
          return NULL;
        }
      config = json_node_get_object (root);
    }
  if (g_file_test (jinja_path, G_FILE_TEST_EXISTS))
    {
      if (!g_file_get_contents (jinja_path, &source, NULL, error))
        return NULL;
      source_path = g_strdup (jinja_path);
    }
  else if (config != NULL && (source = config_template (config, config_path, &local)) != NULL)
    source_path = g_strdup (config_path);
  else if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  else if (g_file_test (json_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (JsonParser) p = json_parser_new_immutable ();
      JsonNode *root;

      if (!assay_json_parser_load_file (p, json_path, &local))
        {
          g_propagate_prefixed_error (error, local, "%s: ", json_path);
          return NULL;
        }
      root = json_parser_get_root (p);
      if (JSON_NODE_HOLDS_OBJECT (root)
          && (source = config_template (json_node_get_object (root), json_path, &local)) != NULL)
        source_path = g_strdup (json_path);
      else if (local != NULL)
        {
          g_propagate_error (error, local);
          return NULL;
        }
    }
  if (source == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   "%s: the model folder has no chat template (no chat_template.jinja, and no "
                   "chat_template in "
                   "tokenizer_config.json or chat_template.json)",
                   dir);
      return NULL;
    }
  if ((self = assay_chat_template_new (source, &local)) == NULL)
    {
      g_propagate_prefixed_error (error, local, "%s: ", source_path);
      return NULL;
    }
  if (config != NULL)
    {
      if (bos != NULL)
        *bos = special_token (config, "bos_token");
      if (eos != NULL)
        *eos = special_token (config, "eos_token");
    }
  return self;
}
