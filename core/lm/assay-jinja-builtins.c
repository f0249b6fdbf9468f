/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jinja-builtins.c: operators, attributes, methods, filters and tests of chat templates, with
 * the results jinja2 3.1 gives under transformers' ImmutableSandboxedEnvironment. */
#include "assay-jinja-builtins.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

typedef AssayJinjaValue *(*FilterFunc) (AssayJinjaValue *value, AssayJinjaArgs *args,
                                        GError **error);
typedef gboolean (*TestFunc) (AssayJinjaValue *value, AssayJinjaArgs *args, gboolean *result,
                              GError **error);
typedef AssayJinjaValue *(*MethodFunc) (AssayJinjaValue *self, AssayJinjaArgs *args,
                                        GError **error);

static gboolean fail (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, int code, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_set_error_literal (error, ASSAY_ERROR, code, "");
  if (error != NULL && *error != NULL)
    {
      g_free ((*error)->message);
      (*error)->message = g_strdup_vprintf (format, ap);
    }
  va_end (ap);
  return FALSE;
}

#define FAIL_NULL(...)                                                                             \
  (fail (error, ASSAY_ERROR_INVALID_INPUT, __VA_ARGS__), (AssayJinjaValue *)NULL)

gboolean
assay_jinja_undefined_error (AssayJinjaValue *value, GError **error)
{
  return fail (error, ASSAY_ERROR_INVALID_INPUT, "%s", value->undef.message);
}

/* ---- arguments ---- */

void
assay_jinja_args_init (AssayJinjaArgs *args)
{
  args->args = assay_jinja_value_array_new ();
  args->names = g_ptr_array_new_with_free_func (g_free);
  args->values = assay_jinja_value_array_new ();
}

void
assay_jinja_args_clear (AssayJinjaArgs *args)
{
  g_clear_pointer (&args->args, g_ptr_array_unref);
  g_clear_pointer (&args->names, g_ptr_array_unref);
  g_clear_pointer (&args->values, g_ptr_array_unref);
}

AssayJinjaValue *
assay_jinja_args_get (AssayJinjaArgs *args, guint pos, const char *name)
{
  if (pos < args->args->len)
    return g_ptr_array_index (args->args, pos);
  for (guint i = 0; name != NULL && i < args->names->len; i++)
    if (strcmp (g_ptr_array_index (args->names, i), name) == 0)
      return g_ptr_array_index (args->values, i);
  return NULL;
}

gboolean
assay_jinja_args_check (AssayJinjaArgs *args, const char *what, guint max_pos,
                        const char *const *names, GError **error)
{
  if (args->args->len > max_pos)
    return fail (error, ASSAY_ERROR_INVALID_INPUT,
                 "%s takes at most %u positional argument(s) (%u given)", what, max_pos,
                 args->args->len);
  for (guint i = 0; i < args->names->len; i++)
    {
      const char *n = g_ptr_array_index (args->names, i);
      gboolean    known = FALSE;
      guint       position = 0;

      for (guint j = 0; names != NULL && names[j] != NULL; j++)
        if (strcmp (names[j], n) == 0)
          {
            known = TRUE;
            position = j;
          }
      if (!known)
        return fail (error, ASSAY_ERROR_INVALID_INPUT, "%s got an unexpected keyword argument '%s'",
                     what, n);
      if (position < args->args->len)
        return fail (error, ASSAY_ERROR_INVALID_INPUT, "%s got multiple values for argument '%s'",
                     what, n);
    }
  return TRUE;
}

/* ---- helpers ---- */

static gboolean
is_int_like (AssayJinjaValue *v)
{
  return v->kind == ASSAY_JINJA_INT || v->kind == ASSAY_JINJA_BOOL;
}

static gint64
int_of (AssayJinjaValue *v)
{
  return v->kind == ASSAY_JINJA_INT ? v->i : (gint64)v->b;
}

static gboolean
is_indexable_list (AssayJinjaValue *v)
{
  return v->kind == ASSAY_JINJA_LIST
         && (v->list.flavour == ASSAY_JINJA_PLAIN_LIST || v->list.flavour == ASSAY_JINJA_TUPLE
             || v->list.flavour == ASSAY_JINJA_RANGE);
}

/* str(v) as jinja2's soft_str: undefined gives "". */
static char *
soft_str (AssayJinjaValue *v, GError **error)
{
  return assay_jinja_value_to_str (v, error);
}

static gunichar *
ucs4 (const char *s, glong *n)
{
  return g_utf8_to_ucs4_fast (s, -1, n);
}

static AssayJinjaValue *
string_from_ucs4 (const gunichar *u, glong n)
{
  return assay_jinja_string_new_take (g_ucs4_to_utf8 (u, n, NULL, NULL, NULL));
}

static AssayJinjaValue *
list_of (GPtrArray *items, AssayJinjaListFlavour flavour)
{
  return assay_jinja_list_new (items, flavour);
}

static AssayJinjaValue *
tuple2 (AssayJinjaValue *a, AssayJinjaValue *b)
{
  GPtrArray *items = assay_jinja_value_array_new ();

  g_ptr_array_add (items, assay_jinja_value_ref (a));
  g_ptr_array_add (items, assay_jinja_value_ref (b));
  return list_of (items, ASSAY_JINJA_TUPLE);
}

static gboolean
iterate (AssayJinjaValue *v, GPtrArray **items, GError **error)
{
  return assay_jinja_value_iterate (v, items, error);
}

static gboolean
length_of (AssayJinjaValue *v, gint64 *n, GError **error)
{
  switch (v->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      *n = 0;
      return TRUE;
    case ASSAY_JINJA_STRING:
      *n = assay_jinja_string_chars (v);
      return TRUE;
    case ASSAY_JINJA_DICT:
      *n = v->dict.keys->len;
      return TRUE;
    case ASSAY_JINJA_LIST:
      if (v->list.flavour != ASSAY_JINJA_GENERATOR)
        {
          *n = v->list.items->len;
          return TRUE;
        }
      break;
    case ASSAY_JINJA_LOOP:
      *n = v->loop.items->len;
      return TRUE;
    default:
      break;
    }
  return fail (error, ASSAY_ERROR_INVALID_INPUT, "object of type '%s' has no len()",
               assay_jinja_value_type_name (v));
}

/* ---- strings ---- */

static gboolean
in_chars (gunichar c, const gunichar *chars, glong n)
{
  if (chars == NULL)
    return assay_jinja_unichar_isspace (c);
  for (glong i = 0; i < n; i++)
    if (chars[i] == c)
      return TRUE;
  return FALSE;
}

/* str.strip / lstrip / rstrip with chars (NULL: whitespace). */
static AssayJinjaValue *
strip_chars (AssayJinjaValue *s, AssayJinjaValue *chars, gboolean left, gboolean right,
             GError **error)
{
  g_autofree gunichar *u = NULL, *c = NULL;
  glong                n, nc = 0, a = 0, b;

  if (chars != NULL && chars->kind != ASSAY_JINJA_NONE)
    {
      if (chars->kind != ASSAY_JINJA_STRING)
        return FAIL_NULL ("strip arg must be None or str");
      c = ucs4 (chars->str.s, &nc);
    }
  u = ucs4 (s->str.s, &n);
  b = n;
  while (left && a < b && in_chars (u[a], c, nc))
    a++;
  while (right && b > a && in_chars (u[b - 1], c, nc))
    b--;
  return string_from_ucs4 (u + a, b - a);
}

static char *
str_replace (const char *s, const char *old, const char *new, gint64 count)
{
  GString *out = g_string_new (NULL);
  gsize    ol = strlen (old);

  if (ol == 0)
    {
      /* Python inserts new before every character and at the end */
      const char *p = s;

      while (TRUE)
        {
          if (count != 0)
            {
              g_string_append (out, new);
              count--;
            }
          if (*p == '\0')
            break;
          g_string_append_len (out, p, g_utf8_next_char (p) - p);
          p = g_utf8_next_char (p);
        }
      return g_string_free (out, FALSE);
    }
  while (*s != '\0')
    {
      const char *hit = count != 0 ? strstr (s, old) : NULL;

      if (hit == NULL)
        {
          g_string_append (out, s);
          break;
        }
      g_string_append_len (out, s, hit - s);
      g_string_append (out, new);
      s = hit + ol;
      count--;
    }
  return g_string_free (out, FALSE);
}

/* str.split / str.rsplit */
static AssayJinjaValue *
str_split (AssayJinjaValue *s, AssayJinjaValue *sep, gint64 maxsplit, gboolean from_right,
           GError **error)
{
  GPtrArray *items = assay_jinja_value_array_new ();

  if (sep == NULL || sep->kind == ASSAY_JINJA_NONE)
    {
      g_autofree gunichar *u = NULL;
      glong                n, i, j;
      GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify)assay_jinja_value_unref);

      u = ucs4 (s->str.s, &n);
      if (!from_right)
        {
          i = 0;
          while (TRUE)
            {
              while (i < n && assay_jinja_unichar_isspace (u[i]))
                i++;
              if (i >= n)
                break;
              if (maxsplit >= 0 && (gint64)items->len == maxsplit)
                {
                  j = n;
                  while (j > i && assay_jinja_unichar_isspace (u[j - 1]))
                    j--;
                  g_ptr_array_add (items, string_from_ucs4 (u + i, j - i));
                  break;
                }
              j = i;
              while (j < n && !assay_jinja_unichar_isspace (u[j]))
                j++;
              g_ptr_array_add (items, string_from_ucs4 (u + i, j - i));
              i = j;
            }
        }
      else
        {
          j = n;
          while (TRUE)
            {
              while (j > 0 && assay_jinja_unichar_isspace (u[j - 1]))
                j--;
              if (j <= 0)
                break;
              if (maxsplit >= 0 && (gint64)parts->len == maxsplit)
                {
                  i = 0;
                  while (i < j && assay_jinja_unichar_isspace (u[i]))
                    i++;
                  g_ptr_array_add (parts, string_from_ucs4 (u + i, j - i));
                  break;
                }
              i = j;
              while (i > 0 && !assay_jinja_unichar_isspace (u[i - 1]))
                i--;
              g_ptr_array_add (parts, string_from_ucs4 (u + i, j - i));
              j = i;
            }
          for (guint k = parts->len; k > 0; k--)
            g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (parts, k - 1)));
        }
      g_ptr_array_unref (parts);
      return list_of (items, ASSAY_JINJA_PLAIN_LIST);
    }
  if (sep->kind != ASSAY_JINJA_STRING)
    {
      g_ptr_array_unref (items);
      return FAIL_NULL ("must be str or None, not %s", assay_jinja_value_type_name (sep));
    }
  if (sep->str.len == 0)
    {
      g_ptr_array_unref (items);
      return FAIL_NULL ("empty separator");
    }
  if (!from_right)
    {
      const char *p = s->str.s;

      while (TRUE)
        {
          const char *hit
              = (maxsplit < 0 || (gint64)items->len < maxsplit) ? strstr (p, sep->str.s) : NULL;

          if (hit == NULL)
            {
              g_ptr_array_add (items, assay_jinja_string_new (p));
              break;
            }
          g_ptr_array_add (items, assay_jinja_string_new_len (p, hit - p));
          p = hit + sep->str.len;
        }
    }
  else
    {
      GPtrArray *parts = assay_jinja_value_array_new ();
      gsize      end = s->str.len;

      while (TRUE)
        {
          const char *hit = NULL;

          if (maxsplit < 0 || (gint64)parts->len < maxsplit)
            for (gssize k = (gssize)end - (gssize)sep->str.len; k >= 0; k--)
              if (memcmp (s->str.s + k, sep->str.s, sep->str.len) == 0)
                {
                  hit = s->str.s + k;
                  break;
                }
          if (hit == NULL)
            {
              g_ptr_array_add (parts, assay_jinja_string_new_len (s->str.s, end));
              break;
            }
          g_ptr_array_add (
              parts, assay_jinja_string_new_len (hit + sep->str.len,
                                                 end - (gsize)(hit - s->str.s) - sep->str.len));
          end = (gsize)(hit - s->str.s);
        }
      for (guint k = parts->len; k > 0; k--)
        g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (parts, k - 1)));
      g_ptr_array_unref (parts);
    }
  return list_of (items, ASSAY_JINJA_PLAIN_LIST);
}

static gboolean
is_line_break (gunichar c)
{
  return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
         || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* str.splitlines(keepends) */
static GPtrArray *
str_splitlines (const char *s, gboolean keepends)
{
  g_autofree gunichar *u = NULL;
  glong                n, i = 0;
  GPtrArray           *items = assay_jinja_value_array_new ();

  u = ucs4 (s, &n);
  while (i < n)
    {
      glong j = i, eol;

      while (j < n && !is_line_break (u[j]))
        j++;
      eol = j;
      if (j < n)
        {
          if (u[j] == '\r' && j + 1 < n && u[j + 1] == '\n')
            j += 2;
          else
            j++;
        }
      g_ptr_array_add (items, string_from_ucs4 (u + i, (keepends ? j : eol) - i));
      i = j;
    }
  return items;
}

static char *
str_case (const char *s, int mode)
{
  switch (mode)
    {
    case 0:
      return g_utf8_strdown (s, -1);
    default:
      return g_utf8_strup (s, -1);
    }
}

/* Python's str.capitalize(): first character title-cased, the rest lower-cased. */
static char *
str_capitalize (const char *s)
{
  GString *out = g_string_new (NULL);

  if (*s != '\0')
    {
      g_autofree char *rest = g_utf8_strdown (g_utf8_next_char (s), -1);

      g_string_append_unichar (out, g_unichar_totitle (g_utf8_get_char (s)));
      g_string_append (out, rest);
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_cased (gunichar c)
{
  return g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);
}

/* Python's str.title() */
static char *
str_title (const char *s)
{
  GString *out = g_string_new (NULL);
  gboolean previous_cased = FALSE;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (previous_cased)
        g_string_append_unichar (out, g_unichar_tolower (c));
      else
        g_string_append_unichar (out, g_unichar_totitle (c));
      previous_cased = is_cased (c);
    }
  return g_string_free (out, FALSE);
}

/* jinja2's title filter: each word after [-\s({[<]+ upper-cased first, the rest lower-cased. */
static char *
filter_title_text (const char *s)
{
  GString *out = g_string_new (NULL);
  gboolean start = TRUE;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<'
                     || assay_jinja_unichar_isspace (c);

      if (sep)
        {
          g_string_append_unichar (out, c);
          start = TRUE;
          continue;
        }
      if (start)
        {
          g_autofree char *one = g_ucs4_to_utf8 (&c, 1, NULL, NULL, NULL);
          g_autofree char *up = g_utf8_strup (one, -1);

          g_string_append (out, up);
        }
      else
        {
          g_autofree char *one = g_ucs4_to_utf8 (&c, 1, NULL, NULL, NULL);
          g_autofree char *down = g_utf8_strdown (one, -1);

          g_string_append (out, down);
        }
      start = FALSE;
    }
  return g_string_free (out, FALSE);
}

/* The longest string or list an operation builds (a prompt is far shorter). */
#define MAX_LENGTH (1u << 24)

static char *
str_center (const char *s, gint64 width, gunichar fill)
{
  glong    n = g_utf8_strlen (s, -1);
  GString *out = g_string_new (NULL);
  gint64   marg, left;

  if (width <= n)
    {
      g_string_append (out, s);
      return g_string_free (out, FALSE);
    }
  marg = width - n;
  left = marg / 2 + (marg & width & 1);
  for (gint64 i = 0; i < left; i++)
    g_string_append_unichar (out, fill);
  g_string_append (out, s);
  for (gint64 i = 0; i < marg - left; i++)
    g_string_append_unichar (out, fill);
  return g_string_free (out, FALSE);
}

/* Code-point index of the first (or last) occurrence of sub in s, -1 if none. */
static gint64
str_find (const char *s, const char *sub, gboolean last)
{
  const char *hit = NULL;
  gsize       sl = strlen (sub), n = strlen (s);

  if (!last)
    hit = strstr (s, sub);
  else
    for (gssize k = (gssize)n - (gssize)sl; k >= 0; k--)
      if (memcmp (s + k, sub, sl) == 0)
        {
          hit = s + k;
          break;
        }
  return hit == NULL ? -1 : g_utf8_pointer_to_offset (s, hit);
}

static gint64
str_count (const char *s, const char *sub)
{
  gsize  sl = strlen (sub);
  gint64 n = 0;

  if (sl == 0)
    return g_utf8_strlen (s, -1) + 1;
  for (const char *p = strstr (s, sub); p != NULL; p = strstr (p + sl, sub))
    n++;
  return n;
}

/* A str.format() replacement field's value, or printf-style "%s". */
static gboolean
format_field (AssayJinjaValue *v, char conversion, GString *out, GError **error)
{
  if (conversion == 'r')
    return assay_jinja_value_repr (v, out, error);
  return assay_jinja_value_str (v, out, error);
}

/* str.format(*args, **kwargs) without format specs. */
static AssayJinjaValue *
str_format (const char *fmt, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  guint auto_index = 0;

  for (const char *p = fmt; *p != '\0'; p++)
    {
      if (*p == '{' && p[1] == '{')
        {
          g_string_append_c (out, '{');
          p++;
          continue;
        }
      if (*p == '}' && p[1] == '}')
        {
          g_string_append_c (out, '}');
          p++;
          continue;
        }
      if (*p == '}')
        return FAIL_NULL ("Single '}' encountered in format string");
      if (*p == '{')
        {
          const char      *end = strchr (p, '}');
          g_autofree char *field = NULL;
          char            *bang, *colon;
          char             conversion = 's';
          AssayJinjaValue *v = NULL;

          if (end == NULL)
            return FAIL_NULL ("Single '{' encountered in format string");
          field = g_strndup (p + 1, end - p - 1);
          if ((colon = strchr (field, ':')) != NULL)
            {
              if (colon[1] != '\0')
                return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                              "format specifications in str.format() are not supported"),
                        NULL);
              *colon = '\0';
            }
          if ((bang = strchr (field, '!')) != NULL)
            {
              conversion = bang[1];
              *bang = '\0';
            }
          if (field[0] == '\0')
            v = auto_index < args->args->len ? g_ptr_array_index (args->args, auto_index++) : NULL;
          else if (g_ascii_isdigit (field[0]))
            {
              guint64 k = g_ascii_strtoull (field, NULL, 10);

              v = k < args->args->len ? g_ptr_array_index (args->args, k) : NULL;
            }
          else if (strpbrk (field, ".[") != NULL)
            return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                          "attribute and item access in str.format() fields is not supported"),
                    NULL);
          else
            v = assay_jinja_args_get (args, G_MAXUINT, field);
          if (v == NULL)
            return FAIL_NULL ("Replacement index %s out of range for positional args tuple", field);
          if (!format_field (v, conversion, out, error))
            return NULL;
          p = end;
          continue;
        }
      g_string_append_c (out, *p);
    }
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

/* fmt % values: %s, %r, %d, %i, %% and %f/%.Nf only. */
static AssayJinjaValue *
percent_format (const char *fmt, AssayJinjaValue *values, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  GPtrArray *items = NULL;
  guint      used = 0;
  gboolean   single
      = !(values->kind == ASSAY_JINJA_LIST && values->list.flavour == ASSAY_JINJA_TUPLE);

  if (!single)
    items = values->list.items;
  for (const char *p = fmt; *p != '\0'; p++)
    {
      AssayJinjaValue *v;
      int              precision = -1;

      if (*p != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      if (*p == '%')
        {
          g_string_append_c (out, '%');
          continue;
        }
      if (*p == '.' && g_ascii_isdigit (p[1]))
        {
          precision = (int)g_ascii_strtoll (p + 1, (char **)&p, 10);
        }
      if (*p != 's' && *p != 'r' && *p != 'd' && *p != 'i' && *p != 'f')
        return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                      "the format “%%%c” of the %% operator is not supported", *p ? *p : ' '),
                NULL);
      if (single)
        v = used++ == 0 ? values : NULL;
      else
        v = used < items->len ? g_ptr_array_index (items, used++) : NULL;
      if (v == NULL)
        return FAIL_NULL ("not enough arguments for format string");
      if (*p == 's' || *p == 'r')
        {
          if (!format_field (v, *p, out, error))
            return NULL;
        }
      else if (!assay_jinja_value_is_number (v))
        return FAIL_NULL ("%%%c format: a real number is required, not %s", *p,
                          assay_jinja_value_type_name (v));
      else if (*p == 'f')
        g_string_append_printf (out, "%.*f", precision < 0 ? 6 : precision,
                                assay_jinja_value_as_double (v));
      else if (v->kind == ASSAY_JINJA_FLOAT)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64)v->f);
      else
        g_string_append_printf (out, "%" G_GINT64_FORMAT, int_of (v));
    }
  if ((single && used == 0 && values->kind != ASSAY_JINJA_DICT) || (!single && used < items->len))
    return FAIL_NULL ("not all arguments converted during string formatting");
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

/* ---- methods ---- */

static AssayJinjaValue *
string_arg (AssayJinjaArgs *args, guint pos, const char *method, GError **error)
{
  AssayJinjaValue *v = assay_jinja_args_get (args, pos, NULL);

  if (v == NULL)
    return FAIL_NULL ("%s() takes at least %u argument(s)", method, pos + 1);
  if (v->kind != ASSAY_JINJA_STRING)
    return FAIL_NULL ("%s() argument must be str, not %s", method, assay_jinja_value_type_name (v));
  return v;
}

static gboolean
int_arg (AssayJinjaValue *v, gint64 fallback, gint64 *out, const char *what, GError **error)
{
  if (v == NULL || v->kind == ASSAY_JINJA_NONE)
    *out = fallback;
  else if (is_int_like (v))
    *out = int_of (v);
  else
    return fail (error, ASSAY_ERROR_INVALID_INPUT, "%s: an integer is required, not '%s'", what,
                 assay_jinja_value_type_name (v));
  return TRUE;
}

static gboolean
affix_matches (AssayJinjaValue *self, AssayJinjaValue *affix, gboolean prefix, gboolean *result,
               GError **error)
{
  if (affix->kind == ASSAY_JINJA_LIST && affix->list.flavour == ASSAY_JINJA_TUPLE)
    {
      *result = FALSE;
      for (guint i = 0; i < affix->list.items->len && !*result; i++)
        if (!affix_matches (self, g_ptr_array_index (affix->list.items, i), prefix, result, error))
          return FALSE;
      return TRUE;
    }
  if (affix->kind != ASSAY_JINJA_STRING)
    return fail (error, ASSAY_ERROR_INVALID_INPUT,
                 "%s first arg must be str or a tuple of str, not %s",
                 prefix ? "startswith" : "endswith", assay_jinja_value_type_name (affix));
  if (affix->str.len > self->str.len)
    *result = FALSE;
  else if (prefix)
    *result = memcmp (self->str.s, affix->str.s, affix->str.len) == 0;
  else
    *result
        = memcmp (self->str.s + self->str.len - affix->str.len, affix->str.s, affix->str.len) == 0;
  return TRUE;
}

static AssayJinjaValue *
string_method (AssayJinjaValue *self, const char *name, AssayJinjaArgs *args, GError **error)
{
  g_autofree char *what = g_strdup_printf ("str.%s()", name);

  if (strcmp (name, "strip") == 0 || strcmp (name, "lstrip") == 0 || strcmp (name, "rstrip") == 0)
    {
      if (!assay_jinja_args_check (args, what, 1, NULL, error))
        return NULL;
      return strip_chars (self, assay_jinja_args_get (args, 0, NULL), name[0] != 'r',
                          name[0] != 'l', error);
    }
  if (strcmp (name, "split") == 0 || strcmp (name, "rsplit") == 0)
    {
      static const char *const names[] = { "sep", "maxsplit", NULL };
      gint64                   maxsplit;

      if (!assay_jinja_args_check (args, what, 2, names, error)
          || !int_arg (assay_jinja_args_get (args, 1, "maxsplit"), -1, &maxsplit, what, error))
        return NULL;
      return str_split (self, assay_jinja_args_get (args, 0, "sep"), maxsplit, name[0] == 'r',
                        error);
    }
  if (strcmp (name, "startswith") == 0 || strcmp (name, "endswith") == 0)
    {
      AssayJinjaValue *affix = assay_jinja_args_get (args, 0, NULL);
      gboolean         result;

      if (!assay_jinja_args_check (args, what, 1, NULL, error))
        return NULL;
      if (affix == NULL)
        return FAIL_NULL ("%s takes at least 1 argument (0 given)", what);
      if (!affix_matches (self, affix, name[0] == 's', &result, error))
        return NULL;
      return assay_jinja_bool_new (result);
    }
  if (strcmp (name, "replace") == 0)
    {
      AssayJinjaValue *old, *new;
      gint64           count;

      if (!assay_jinja_args_check (args, what, 3, NULL, error)
          || (old = string_arg (args, 0, what, error)) == NULL
          || (new = string_arg (args, 1, what, error)) == NULL
          || !int_arg (assay_jinja_args_get (args, 2, NULL), -1, &count, what, error))
        return NULL;
      return assay_jinja_string_new_take (str_replace (self->str.s, old->str.s, new->str.s, count));
    }
  if (strcmp (name, "upper") == 0 || strcmp (name, "lower") == 0 || strcmp (name, "title") == 0
      || strcmp (name, "capitalize") == 0 || strcmp (name, "casefold") == 0
      || strcmp (name, "swapcase") == 0)
    {
      if (!assay_jinja_args_check (args, what, 0, NULL, error))
        return NULL;
      if (strcmp (name, "upper") == 0)
        return assay_jinja_string_new_take (str_case (self->str.s, 1));
      if (strcmp (name, "lower") == 0)
        return assay_jinja_string_new_take (str_case (self->str.s, 0));
      if (strcmp (name, "casefold") == 0)
        return assay_jinja_string_new_take (g_utf8_casefold (self->str.s, -1));
      if (strcmp (name, "title") == 0)
        return assay_jinja_string_new_take (str_title (self->str.s));
      if (strcmp (name, "capitalize") == 0)
        return assay_jinja_string_new_take (str_capitalize (self->str.s));
      {
        GString *out = g_string_new (NULL);

        for (const char *p = self->str.s; *p != '\0'; p = g_utf8_next_char (p))
          {
            gunichar c = g_utf8_get_char (p);

            g_string_append_unichar (out, g_unichar_isupper (c)   ? g_unichar_tolower (c)
                                          : g_unichar_islower (c) ? g_unichar_toupper (c)
                                                                  : c);
          }
        return assay_jinja_string_new_take (g_string_free (out, FALSE));
      }
    }
  if (strcmp (name, "find") == 0 || strcmp (name, "rfind") == 0 || strcmp (name, "index") == 0
      || strcmp (name, "rindex") == 0 || strcmp (name, "count") == 0)
    {
      AssayJinjaValue *sub;
      gint64           r;

      if (!assay_jinja_args_check (args, what, 1, NULL, error)
          || (sub = string_arg (args, 0, what, error)) == NULL)
        return NULL;
      if (name[0] == 'c')
        return assay_jinja_int_new (str_count (self->str.s, sub->str.s));
      r = str_find (self->str.s, sub->str.s, name[0] == 'r');
      if (r < 0 && strstr (name, "index") != NULL)
        return FAIL_NULL ("substring not found");
      return assay_jinja_int_new (r);
    }
  if (strcmp (name, "join") == 0)
    {
      AssayJinjaValue *seq = assay_jinja_args_get (args, 0, NULL);
      g_autoptr (GPtrArray) items = NULL;
      g_autoptr (GString) out = g_string_new (NULL);

      if (!assay_jinja_args_check (args, what, 1, NULL, error))
        return NULL;
      if (seq == NULL)
        return FAIL_NULL ("str.join() takes exactly one argument (0 given)");
      if (!iterate (seq, &items, error))
        return NULL;
      for (guint i = 0; i < items->len; i++)
        {
          AssayJinjaValue *v = g_ptr_array_index (items, i);

          if (v->kind != ASSAY_JINJA_STRING)
            return FAIL_NULL ("sequence item %u: expected str instance, %s found", i,
                              assay_jinja_value_type_name (v));
          if (i > 0)
            g_string_append (out, self->str.s);
          g_string_append (out, v->str.s);
        }
      return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
    }
  if (strcmp (name, "format") == 0)
    return str_format (self->str.s, args, error);
  if (strcmp (name, "splitlines") == 0)
    {
      static const char *const names[] = { "keepends", NULL };
      AssayJinjaValue         *keep;

      if (!assay_jinja_args_check (args, what, 1, names, error))
        return NULL;
      keep = assay_jinja_args_get (args, 0, "keepends");
      return list_of (str_splitlines (self->str.s, keep != NULL && assay_jinja_value_truthy (keep)),
                      ASSAY_JINJA_PLAIN_LIST);
    }
  if (strcmp (name, "removeprefix") == 0 || strcmp (name, "removesuffix") == 0)
    {
      AssayJinjaValue *affix;
      gboolean         hit;

      if (!assay_jinja_args_check (args, what, 1, NULL, error)
          || (affix = string_arg (args, 0, what, error)) == NULL
          || !affix_matches (self, affix, name[6] == 'p', &hit, error))
        return NULL;
      if (!hit)
        return assay_jinja_value_ref (self);
      if (name[6] == 'p')
        return assay_jinja_string_new (self->str.s + affix->str.len);
      return assay_jinja_string_new_len (self->str.s, self->str.len - affix->str.len);
    }
  if (strcmp (name, "center") == 0 || strcmp (name, "ljust") == 0 || strcmp (name, "rjust") == 0
      || strcmp (name, "zfill") == 0)
    {
      gint64   width;
      gunichar fill = name[0] == 'z' ? '0' : ' ';
      glong    n = assay_jinja_string_chars (self);
      GString *out;

      if (!assay_jinja_args_check (args, what, name[0] == 'z' ? 1 : 2, NULL, error)
          || !int_arg (assay_jinja_args_get (args, 0, NULL), 0, &width, what, error))
        return NULL;
      if (width > (gint64) MAX_LENGTH)
        return (fail (error, ASSAY_ERROR_OUT_OF_MEMORY, "the padded string would be too long"), NULL);
      if (args->args->len > 1)
        {
          AssayJinjaValue *f = g_ptr_array_index (args->args, 1);

          if (f->kind != ASSAY_JINJA_STRING || assay_jinja_string_chars (f) != 1)
            return FAIL_NULL ("The fill character must be exactly one character long");
          fill = g_utf8_get_char (f->str.s);
        }
      if (name[0] == 'c')
        return assay_jinja_string_new_take (str_center (self->str.s, width, fill));
      out = g_string_new (NULL);
      if (name[0] == 'l')
        g_string_append (out, self->str.s);
      if (name[0] == 'z' && (self->str.s[0] == '-' || self->str.s[0] == '+'))
        {
          g_string_append_c (out, self->str.s[0]);
          for (gint64 i = n; i < width; i++)
            g_string_append_unichar (out, fill);
          g_string_append (out, self->str.s + 1);
          return assay_jinja_string_new_take (g_string_free (out, FALSE));
        }
      for (gint64 i = n; i < width; i++)
        g_string_append_unichar (out, fill);
      if (name[0] != 'l')
        g_string_append (out, self->str.s);
      return assay_jinja_string_new_take (g_string_free (out, FALSE));
    }
  if (g_str_has_prefix (name, "is"))
    {
      gboolean all = self->str.len > 0, any_cased = FALSE;

      if (!assay_jinja_args_check (args, what, 0, NULL, error))
        return NULL;
      for (const char *p = self->str.s; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (strcmp (name, "isdigit") == 0 || strcmp (name, "isdecimal") == 0
              || strcmp (name, "isnumeric") == 0)
            all = all && g_unichar_isdigit (c);
          else if (strcmp (name, "isalpha") == 0)
            all = all && g_unichar_isalpha (c);
          else if (strcmp (name, "isalnum") == 0)
            all = all && g_unichar_isalnum (c);
          else if (strcmp (name, "isspace") == 0)
            all = all && assay_jinja_unichar_isspace (c);
          else if (strcmp (name, "isascii") == 0)
            all = all && c < 0x80;
          else if (strcmp (name, "islower") == 0)
            {
              all = all && !g_unichar_isupper (c) && !g_unichar_istitle (c);
              any_cased = any_cased || g_unichar_islower (c);
            }
          else if (strcmp (name, "isupper") == 0)
            {
              all = all && !g_unichar_islower (c) && !g_unichar_istitle (c);
              any_cased = any_cased || g_unichar_isupper (c);
            }
          else
            return (fail (error, ASSAY_ERROR_UNSUPPORTED, "the string method “%s” is not supported",
                          name),
                    NULL);
        }
      if (strcmp (name, "isascii") == 0 && self->str.len == 0)
        all = TRUE;
      if (strcmp (name, "islower") == 0 || strcmp (name, "isupper") == 0)
        all = any_cased && all;
      return assay_jinja_bool_new (all);
    }
  if (strcmp (name, "partition") == 0 || strcmp (name, "rpartition") == 0)
    {
      AssayJinjaValue *sep;
      GPtrArray       *items;
      const char      *hit = NULL;

      if (!assay_jinja_args_check (args, what, 1, NULL, error)
          || (sep = string_arg (args, 0, what, error)) == NULL)
        return NULL;
      if (sep->str.len == 0)
        return FAIL_NULL ("empty separator");
      if (name[0] == 'p')
        hit = strstr (self->str.s, sep->str.s);
      else
        for (gssize k = (gssize)self->str.len - (gssize)sep->str.len; k >= 0 && hit == NULL; k--)
          if (memcmp (self->str.s + k, sep->str.s, sep->str.len) == 0)
            hit = self->str.s + k;
      items = assay_jinja_value_array_new ();
      if (hit == NULL)
        {
          g_ptr_array_add (items, name[0] == 'p' ? assay_jinja_value_ref (self)
                                                 : assay_jinja_string_new (""));
          g_ptr_array_add (items, assay_jinja_string_new (""));
          g_ptr_array_add (items, name[0] == 'p' ? assay_jinja_string_new ("")
                                                 : assay_jinja_value_ref (self));
        }
      else
        {
          g_ptr_array_add (items, assay_jinja_string_new_len (self->str.s, hit - self->str.s));
          g_ptr_array_add (items, assay_jinja_value_ref (sep));
          g_ptr_array_add (items, assay_jinja_string_new (hit + sep->str.len));
        }
      return list_of (items, ASSAY_JINJA_TUPLE);
    }
  return (fail (error, ASSAY_ERROR_UNSUPPORTED, "the string method “%s” is not supported", name),
          NULL);
}

static AssayJinjaValue *
dict_method (AssayJinjaValue *self, const char *name, AssayJinjaArgs *args, GError **error)
{
  g_autofree char *what = g_strdup_printf ("dict.%s()", name);

  if (strcmp (name, "get") == 0)
    {
      AssayJinjaValue *key = assay_jinja_args_get (args, 0, NULL), *fallback, *v;

      if (!assay_jinja_args_check (args, what, 2, NULL, error))
        return NULL;
      if (key == NULL)
        return FAIL_NULL ("get expected at least 1 argument, got 0");
      v = assay_jinja_dict_get (self, key);
      if (v != NULL)
        return assay_jinja_value_ref (v);
      fallback = assay_jinja_args_get (args, 1, NULL);
      return fallback != NULL ? assay_jinja_value_ref (fallback) : assay_jinja_none_new ();
    }
  if (!assay_jinja_args_check (args, what, 0, NULL, error))
    return NULL;
  if (strcmp (name, "items") == 0)
    {
      GPtrArray *items = assay_jinja_value_array_new ();

      for (guint i = 0; i < self->dict.keys->len; i++)
        g_ptr_array_add (items, tuple2 (g_ptr_array_index (self->dict.keys, i),
                                        g_ptr_array_index (self->dict.values, i)));
      return list_of (items, ASSAY_JINJA_DICT_ITEMS);
    }
  if (strcmp (name, "keys") == 0 || strcmp (name, "values") == 0)
    {
      GPtrArray *from = name[0] == 'k' ? self->dict.keys : self->dict.values;
      GPtrArray *items = assay_jinja_value_array_new ();

      for (guint i = 0; i < from->len; i++)
        g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (from, i)));
      return list_of (items, name[0] == 'k' ? ASSAY_JINJA_DICT_KEYS : ASSAY_JINJA_DICT_VALUES);
    }
  if (strcmp (name, "copy") == 0)
    {
      AssayJinjaValue *d = assay_jinja_dict_new ();

      for (guint i = 0; i < self->dict.keys->len; i++)
        assay_jinja_dict_set (d, g_ptr_array_index (self->dict.keys, i),
                              assay_jinja_value_ref (g_ptr_array_index (self->dict.values, i)));
      return d;
    }
  return (fail (error, ASSAY_ERROR_UNSUPPORTED, "the dict method “%s” is not supported", name),
          NULL);
}

static AssayJinjaValue *
list_method (AssayJinjaValue *self, const char *name, AssayJinjaArgs *args, GError **error)
{
  g_autofree char *what = g_strdup_printf ("%s.%s()", assay_jinja_value_type_name (self), name);
  AssayJinjaValue *x = assay_jinja_args_get (args, 0, NULL);

  if (strcmp (name, "copy") == 0)
    {
      GPtrArray *items = assay_jinja_value_array_new ();

      if (!assay_jinja_args_check (args, what, 0, NULL, error))
        {
          g_ptr_array_unref (items);
          return NULL;
        }
      for (guint i = 0; i < self->list.items->len; i++)
        g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (self->list.items, i)));
      return list_of (items, ASSAY_JINJA_PLAIN_LIST);
    }
  if (!assay_jinja_args_check (args, what, 1, NULL, error))
    return NULL;
  if (x == NULL)
    return FAIL_NULL ("%s takes exactly one argument (0 given)", what);
  if (strcmp (name, "count") == 0)
    {
      gint64 n = 0;

      for (guint i = 0; i < self->list.items->len; i++)
        n += assay_jinja_value_equal (g_ptr_array_index (self->list.items, i), x);
      return assay_jinja_int_new (n);
    }
  for (guint i = 0; i < self->list.items->len; i++)
    if (assay_jinja_value_equal (g_ptr_array_index (self->list.items, i), x))
      return assay_jinja_int_new (i);
  return FAIL_NULL ("value is not in list");
}

static AssayJinjaValue *
call_method (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  const char *name = data;

  switch (self->kind)
    {
    case ASSAY_JINJA_STRING:
      return string_method (self, name, args, error);
    case ASSAY_JINJA_DICT:
      return dict_method (self, name, args, error);
    case ASSAY_JINJA_LIST:
      return list_method (self, name, args, error);
    default:
      return FAIL_NULL ("no method %s", name);
    }
}

static gboolean
name_in (const char *name, const char *const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (list[i], name) == 0)
      return TRUE;
  return FALSE;
}

static const char *const str_attributes[]
    = { "capitalize",   "casefold",    "center",    "count",      "encode",       "endswith",
        "expandtabs",   "find",        "format",    "format_map", "index",        "isalnum",
        "isalpha",      "isascii",     "isdecimal", "isdigit",    "isidentifier", "islower",
        "isnumeric",    "isprintable", "isspace",   "istitle",    "isupper",      "join",
        "ljust",        "lower",       "lstrip",    "maketrans",  "partition",    "removeprefix",
        "removesuffix", "replace",     "rfind",     "rindex",     "rjust",        "rpartition",
        "rsplit",       "rstrip",      "split",     "splitlines", "startswith",   "strip",
        "swapcase",     "title",       "translate", "upper",      "zfill",        NULL };
static const char *const str_unsupported[]
    = { "encode",    "expandtabs", "format_map", "isidentifier", "isprintable", "istitle",
        "maketrans", "translate",  NULL };
static const char *const dict_attributes[]
    = { "clear", "copy",    "fromkeys",   "get",    "items",  "keys",
        "pop",   "popitem", "setdefault", "update", "values", NULL };
static const char *const dict_mutators[]
    = { "clear", "pop", "popitem", "setdefault", "update", NULL };
static const char *const list_attributes[]
    = { "append", "clear", "copy",   "count",   "extend", "index",
        "insert", "pop",   "remove", "reverse", "sort",   NULL };
static const char *const list_mutators[]
    = { "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort", NULL };

static AssayJinjaValue *
unsafe_attribute (AssayJinjaValue *obj, const char *name)
{
  g_autofree char *m = g_strdup_printf ("access to attribute '%s' of '%s' object is unsafe.", name,
                                        assay_jinja_value_type_name (obj));
  AssayJinjaValue *u = assay_jinja_undefined_new (m);

  u->undef.security = TRUE;
  return u;
}

static AssayJinjaValue *
bound_method (AssayJinjaValue *obj, const char *name)
{
  return assay_jinja_callable_new (name, call_method, g_strdup (name), g_free, obj);
}

/* ---- the loop variable ---- */

static AssayJinjaValue *
loop_cycle (gpointer data, AssayJinjaValue *self, AssayJinjaArgs *args, GError **error)
{
  if (args->names->len > 0)
    return FAIL_NULL ("loop.cycle() takes no keyword arguments");
  if (args->args->len == 0)
    return FAIL_NULL ("no items for cycling given");
  return assay_jinja_value_ref (g_ptr_array_index (args->args, self->loop.index % args->args->len));
}

static AssayJinjaValue *
loop_attribute (AssayJinjaValue *loop, const char *name, GError **error)
{
  guint n = loop->loop.items->len, i = loop->loop.index;

  if (strcmp (name, "index") == 0)
    return assay_jinja_int_new (i + 1);
  if (strcmp (name, "index0") == 0)
    return assay_jinja_int_new (i);
  if (strcmp (name, "revindex") == 0)
    return assay_jinja_int_new (n - i);
  if (strcmp (name, "revindex0") == 0)
    return assay_jinja_int_new (n - i - 1);
  if (strcmp (name, "first") == 0)
    return assay_jinja_bool_new (i == 0);
  if (strcmp (name, "last") == 0)
    return assay_jinja_bool_new (i + 1 == n);
  if (strcmp (name, "length") == 0)
    return assay_jinja_int_new (n);
  if (strcmp (name, "depth") == 0)
    return assay_jinja_int_new (loop->loop.depth);
  if (strcmp (name, "depth0") == 0)
    return assay_jinja_int_new (loop->loop.depth - 1);
  if (strcmp (name, "previtem") == 0)
    return i > 0 ? assay_jinja_value_ref (g_ptr_array_index (loop->loop.items, i - 1))
                 : assay_jinja_undefined_new ("there is no previous item");
  if (strcmp (name, "nextitem") == 0)
    return i + 1 < n ? assay_jinja_value_ref (g_ptr_array_index (loop->loop.items, i + 1))
                     : assay_jinja_undefined_new ("there is no next item");
  if (strcmp (name, "cycle") == 0)
    return assay_jinja_callable_new ("cycle", loop_cycle, NULL, NULL, loop);
  if (strcmp (name, "changed") == 0)
    return (fail (error, ASSAY_ERROR_UNSUPPORTED, "loop.changed() is not supported"), NULL);
  {
    g_autoptr (AssayJinjaValue) key = assay_jinja_string_new (name);

    return assay_jinja_undefined_new_missing (loop, key);
  }
}

/* ---- attribute and item access ---- */

AssayJinjaValue *
assay_jinja_getattr (AssayJinjaValue *obj, const char *name, GError **error)
{
  g_autoptr (AssayJinjaValue) key = NULL;

  switch (obj->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      assay_jinja_undefined_error (obj, error);
      return NULL;
    case ASSAY_JINJA_STRING:
      if (name_in (name, str_attributes))
        {
          if (name_in (name, str_unsupported))
            return (fail (error, ASSAY_ERROR_UNSUPPORTED, "the string method “%s” is not supported",
                          name),
                    NULL);
          return bound_method (obj, name);
        }
      break;
    case ASSAY_JINJA_DICT:
      if (name_in (name, dict_attributes))
        {
          if (name_in (name, dict_mutators))
            return unsafe_attribute (obj, name);
          if (strcmp (name, "fromkeys") == 0)
            return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                          "the dict method “fromkeys” is not supported"),
                    NULL);
          return bound_method (obj, name);
        }
      break;
    case ASSAY_JINJA_LIST:
      if (is_indexable_list (obj) && name_in (name, list_attributes))
        {
          if (obj->list.flavour == ASSAY_JINJA_TUPLE && strcmp (name, "count") != 0
              && strcmp (name, "index") != 0)
            break;
          if (name_in (name, list_mutators))
            return unsafe_attribute (obj, name);
          return bound_method (obj, name);
        }
      break;
    case ASSAY_JINJA_NAMESPACE:
      {
        AssayJinjaValue *v = assay_jinja_dict_get_string (obj, name);

        if (v != NULL)
          return assay_jinja_value_ref (v);
        break;
      }
    case ASSAY_JINJA_LOOP:
      return loop_attribute (obj, name, error);
    default:
      break;
    }
  if (name[0] == '_')
    return unsafe_attribute (obj, name);
  key = assay_jinja_string_new (name);
  if (obj->kind == ASSAY_JINJA_DICT)
    {
      AssayJinjaValue *v = assay_jinja_dict_get (obj, key);

      if (v != NULL)
        return assay_jinja_value_ref (v);
    }
  return assay_jinja_undefined_new_missing (obj, key);
}

/* Python's slice.indices(); FALSE when the step is 0. */
static gboolean
slice_indices (gint64 len, AssayJinjaValue *start_v, AssayJinjaValue *stop_v,
               AssayJinjaValue *step_v, gint64 *start, gint64 *stop, gint64 *step, GError **error)
{
  gboolean has_start = start_v != NULL && start_v->kind != ASSAY_JINJA_NONE;
  gboolean has_stop = stop_v != NULL && stop_v->kind != ASSAY_JINJA_NONE;

  for (int k = 0; k < 3; k++)
    {
      AssayJinjaValue *v = k == 0 ? start_v : k == 1 ? stop_v : step_v;

      if (v != NULL && v->kind != ASSAY_JINJA_NONE && !is_int_like (v))
        return fail (error, ASSAY_ERROR_INVALID_INPUT,
                     "slice indices must be integers or None or have an __index__ method");
    }
  *step = step_v != NULL && step_v->kind != ASSAY_JINJA_NONE ? int_of (step_v) : 1;
  if (*step == 0)
    return fail (error, ASSAY_ERROR_INVALID_INPUT, "slice step cannot be zero");
  if (*step > 0)
    {
      *start = has_start ? int_of (start_v) : 0;
      *stop = has_stop ? int_of (stop_v) : len;
      if (*start < 0 && (*start += len) < 0)
        *start = 0;
      if (*start > len)
        *start = len;
      if (*stop < 0 && (*stop += len) < 0)
        *stop = 0;
      if (*stop > len)
        *stop = len;
    }
  else
    {
      *start = has_start ? int_of (start_v) : len - 1;
      *stop = has_stop ? int_of (stop_v) : -1;
      if (has_start)
        {
          if (*start < 0 && (*start += len) < 0)
            *start = -1;
          if (*start >= len)
            *start = len - 1;
        }
      if (has_stop)
        {
          if (*stop < 0 && (*stop += len) < 0)
            *stop = -1;
          if (*stop >= len)
            *stop = len - 1;
        }
    }
  return TRUE;
}

AssayJinjaValue *
assay_jinja_slice (AssayJinjaValue *obj, AssayJinjaValue *start_v, AssayJinjaValue *stop_v,
                   AssayJinjaValue *step_v, GError **error)
{
  gint64 start, stop, step;

  if (obj->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (obj, error), NULL);
  if (obj->kind == ASSAY_JINJA_STRING)
    {
      g_autofree gunichar *u = NULL;
      GArray              *out;
      glong                n;
      AssayJinjaValue     *r;

      u = ucs4 (obj->str.s, &n);
      if (!slice_indices (n, start_v, stop_v, step_v, &start, &stop, &step, error))
        return NULL;
      out = g_array_new (FALSE, FALSE, sizeof (gunichar));
      for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
        g_array_append_val (out, u[i]);
      r = string_from_ucs4 ((gunichar *)out->data, out->len);
      g_array_unref (out);
      return r;
    }
  if (is_indexable_list (obj))
    {
      GPtrArray *items = assay_jinja_value_array_new ();

      if (!slice_indices (obj->list.items->len, start_v, stop_v, step_v, &start, &stop, &step,
                          error))
        {
          g_ptr_array_unref (items);
          return NULL;
        }
      for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
        g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (obj->list.items, i)));
      return list_of (items, obj->list.flavour);
    }
  {
    g_autoptr (AssayJinjaValue) key = assay_jinja_string_new ("slice");

    return assay_jinja_undefined_new_missing (obj, key);
  }
}

AssayJinjaValue *
assay_jinja_getitem (AssayJinjaValue *obj, AssayJinjaValue *key, GError **error)
{
  switch (obj->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      assay_jinja_undefined_error (obj, error);
      return NULL;
    case ASSAY_JINJA_DICT:
      {
        AssayJinjaValue *v = assay_jinja_dict_get (obj, key);

        if (v != NULL)
          return assay_jinja_value_ref (v);
        break;
      }
    case ASSAY_JINJA_STRING:
      if (is_int_like (key))
        {
          gint64 n = assay_jinja_string_chars (obj), i = int_of (key);

          if (i < 0)
            i += n;
          if (i >= 0 && i < n)
            {
              const char *p = g_utf8_offset_to_pointer (obj->str.s, i);

              return assay_jinja_string_new_len (p, g_utf8_next_char (p) - p);
            }
        }
      break;
    case ASSAY_JINJA_LIST:
      if (is_indexable_list (obj) && is_int_like (key))
        {
          gint64 n = obj->list.items->len, i = int_of (key);

          if (i < 0)
            i += n;
          if (i >= 0 && i < n)
            return assay_jinja_value_ref (g_ptr_array_index (obj->list.items, i));
        }
      break;
    default:
      break;
    }
  if (key->kind == ASSAY_JINJA_STRING && obj->kind != ASSAY_JINJA_NAMESPACE)
    return assay_jinja_getattr (obj, key->str.s, error);
  return assay_jinja_undefined_new_missing (obj, key);
}

/* ---- operators ---- */

static AssayJinjaValue *
type_error (const char *op, AssayJinjaValue *a, AssayJinjaValue *b, GError **error)
{
  if (a->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (a, error), NULL);
  if (b->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (b, error), NULL);
  if (strcmp (op, "+") == 0 && a->kind == ASSAY_JINJA_STRING)
    return FAIL_NULL ("can only concatenate str (not \"%s\") to str",
                      assay_jinja_value_type_name (b));
  return FAIL_NULL ("unsupported operand type(s) for %s: '%s' and '%s'", op,
                    assay_jinja_value_type_name (a), assay_jinja_value_type_name (b));
}

static AssayJinjaValue *
overflow (GError **error)
{
  return (fail (error, ASSAY_ERROR_UNSUPPORTED, "integers beyond 64 bits are not supported"), NULL);
}

static AssayJinjaValue *
repeat (AssayJinjaValue *seq, gint64 times, GError **error)
{
  if (times > 0
      && (seq->kind == ASSAY_JINJA_STRING ? seq->str.len : seq->list.items->len) * (guint64)times
             > MAX_LENGTH)
    return (fail (error, ASSAY_ERROR_OUT_OF_MEMORY, "the repeated sequence would be too long"),
            NULL);
  if (seq->kind == ASSAY_JINJA_STRING)
    {
      GString *out = g_string_new (NULL);

      for (gint64 i = 0; i < times; i++)
        g_string_append_len (out, seq->str.s, (gssize)seq->str.len);
      return assay_jinja_string_new_take (g_string_free (out, FALSE));
    }
  {
    GPtrArray *items = assay_jinja_value_array_new ();

    for (gint64 i = 0; i < times; i++)
      for (guint j = 0; j < seq->list.items->len; j++)
        g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (seq->list.items, j)));
    return list_of (items, seq->list.flavour);
  }
}

static double
py_fmod (double a, double b)
{
  double m = fmod (a, b);

  if (m != 0.0 && ((m < 0) != (b < 0)))
    m += b;
  else if (m == 0.0)
    m = copysign (0.0, b);
  return m;
}

/* CPython's float floor division (from its divmod) */
static double
py_floordiv (double a, double b)
{
  double mod = fmod (a, b), div = (a - mod) / b, floordiv;

  if (mod != 0.0 && ((b < 0) != (mod < 0)))
    div -= 1.0;
  if (div == 0.0)
    return copysign (0.0, a / b);
  floordiv = floor (div);
  if (div - floordiv > 0.5)
    floordiv += 1.0;
  return floordiv;
}

AssayJinjaValue *
assay_jinja_binop (const char *op, AssayJinjaValue *a, AssayJinjaValue *b, GError **error)
{
  if (strcmp (op, "~") == 0)
    {
      g_autoptr (GString) out = g_string_new (NULL);

      if (!assay_jinja_value_str (a, out, error) || !assay_jinja_value_str (b, out, error))
        return NULL;
      return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
    }
  if (assay_jinja_value_is_number (a) && assay_jinja_value_is_number (b))
    {
      gboolean ints = is_int_like (a) && is_int_like (b);
      gint64   x = ints ? int_of (a) : 0, y = ints ? int_of (b) : 0, r;
      double   f = assay_jinja_value_as_double (a), g = assay_jinja_value_as_double (b);

      switch (op[0])
        {
        case '+':
          if (!ints)
            return assay_jinja_float_new (f + g);
          if (__builtin_add_overflow (x, y, &r))
            return overflow (error);
          return assay_jinja_int_new (r);
        case '-':
          if (!ints)
            return assay_jinja_float_new (f - g);
          if (__builtin_sub_overflow (x, y, &r))
            return overflow (error);
          return assay_jinja_int_new (r);
        case '*':
          if (op[1] == '*')
            {
              if (ints && y >= 0)
                {
                  r = 1;
                  for (gint64 i = 0; i < y; i++)
                    {
                      if (__builtin_mul_overflow (r, x, &r))
                        return overflow (error);
                      if (r == 0 || r == 1)
                        break;
                    }
                  if (r == -1 && x == -1)
                    r = (y % 2) ? -1 : 1;
                  return assay_jinja_int_new (r);
                }
              if (f == 0.0 && g < 0)
                return FAIL_NULL ("0.0 cannot be raised to a negative power");
              if (f < 0 && g != floor (g))
                return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                              "complex results of ** are not supported"),
                        NULL);
              return assay_jinja_float_new (pow (f, g));
            }
          if (!ints)
            return assay_jinja_float_new (f * g);
          if (__builtin_mul_overflow (x, y, &r))
            return overflow (error);
          return assay_jinja_int_new (r);
        case '/':
          if (g == 0.0)
            return FAIL_NULL (op[1] == '/' ? "integer division or modulo by zero"
                                           : "division by zero");
          if (op[1] == '/')
            {
              if (ints)
                {
                  if (x == G_MININT64 && y == -1)
                    return overflow (error);
                  r = x / y;
                  if ((x % y != 0) && ((x < 0) != (y < 0)))
                    r--;
                  return assay_jinja_int_new (r);
                }
              return assay_jinja_float_new (py_floordiv (f, g));
            }
          return assay_jinja_float_new (f / g);
        case '%':
          if (g == 0.0)
            return FAIL_NULL ("integer division or modulo by zero");
          if (ints)
            {
              if (y == -1)
                return assay_jinja_int_new (0);
              r = x % y;
              if (r != 0 && ((r < 0) != (y < 0)))
                r += y;
              return assay_jinja_int_new (r);
            }
          return assay_jinja_float_new (py_fmod (f, g));
        default:
          break;
        }
    }
  if (strcmp (op, "+") == 0)
    {
      if (a->kind == ASSAY_JINJA_STRING && b->kind == ASSAY_JINJA_STRING)
        {
          char *s = g_malloc (a->str.len + b->str.len + 1);

          memcpy (s, a->str.s, a->str.len);
          memcpy (s + a->str.len, b->str.s, b->str.len + 1);
          return assay_jinja_string_new_take (s);
        }
      if (is_indexable_list (a) && is_indexable_list (b) && a->list.flavour == b->list.flavour
          && a->list.flavour != ASSAY_JINJA_RANGE)
        {
          GPtrArray *items = assay_jinja_value_array_new ();

          for (guint i = 0; i < a->list.items->len; i++)
            g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (a->list.items, i)));
          for (guint i = 0; i < b->list.items->len; i++)
            g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (b->list.items, i)));
          return list_of (items, a->list.flavour);
        }
    }
  if (strcmp (op, "*") == 0)
    {
      if ((a->kind == ASSAY_JINJA_STRING
           || (is_indexable_list (a) && a->list.flavour != ASSAY_JINJA_RANGE))
          && is_int_like (b))
        return repeat (a, int_of (b), error);
      if ((b->kind == ASSAY_JINJA_STRING
           || (is_indexable_list (b) && b->list.flavour != ASSAY_JINJA_RANGE))
          && is_int_like (a))
        return repeat (b, int_of (a), error);
    }
  if (strcmp (op, "%") == 0 && a->kind == ASSAY_JINJA_STRING)
    return percent_format (a->str.s, b, error);
  return type_error (op, a, b, error);
}

AssayJinjaValue *
assay_jinja_negate (AssayJinjaValue *a, gboolean minus, GError **error)
{
  if (a->kind == ASSAY_JINJA_FLOAT)
    return assay_jinja_float_new (minus ? -a->f : a->f);
  if (is_int_like (a))
    {
      if (minus && int_of (a) == G_MININT64)
        return overflow (error);
      return assay_jinja_int_new (minus ? -int_of (a) : int_of (a));
    }
  if (a->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (a, error), NULL);
  return FAIL_NULL ("bad operand type for unary %c: '%s'", minus ? '-' : '+',
                    assay_jinja_value_type_name (a));
}

static gboolean
contains (AssayJinjaValue *container, AssayJinjaValue *item, gboolean *result, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;

  switch (container->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      *result = FALSE;
      return TRUE;
    case ASSAY_JINJA_STRING:
      if (item->kind != ASSAY_JINJA_STRING)
        return fail (error, ASSAY_ERROR_INVALID_INPUT,
                     "'in <string>' requires string as left operand, not %s",
                     assay_jinja_value_type_name (item));
      *result = strstr (container->str.s, item->str.s) != NULL;
      return TRUE;
    case ASSAY_JINJA_DICT:
      *result = assay_jinja_dict_get (container, item) != NULL;
      return TRUE;
    case ASSAY_JINJA_LIST:
      *result = FALSE;
      for (guint i = 0; i < container->list.items->len && !*result; i++)
        *result = assay_jinja_value_equal (g_ptr_array_index (container->list.items, i), item);
      return TRUE;
    default:
      return fail (error, ASSAY_ERROR_INVALID_INPUT, "argument of type '%s' is not iterable",
                   assay_jinja_value_type_name (container));
    }
}

gboolean
assay_jinja_compare_op (const char *op, AssayJinjaValue *a, AssayJinjaValue *b, gboolean *result,
                        GError **error)
{
  int c;

  if (strcmp (op, "==") == 0)
    *result = assay_jinja_value_equal (a, b);
  else if (strcmp (op, "!=") == 0)
    *result = !assay_jinja_value_equal (a, b);
  else if (strcmp (op, "in") == 0)
    return contains (b, a, result, error);
  else if (strcmp (op, "notin") == 0)
    {
      if (!contains (b, a, result, error))
        return FALSE;
      *result = !*result;
    }
  else
    {
      if (a->kind == ASSAY_JINJA_UNDEFINED)
        return assay_jinja_undefined_error (a, error);
      if (b->kind == ASSAY_JINJA_UNDEFINED)
        return assay_jinja_undefined_error (b, error);
      if (!assay_jinja_value_compare (a, b, &c, error))
        {
          /* name the operator Python names */
          g_free ((*error)->message);
          (*error)->message
              = g_strdup_printf ("'%s' not supported between instances of '%s' and '%s'", op,
                                 assay_jinja_value_type_name (a), assay_jinja_value_type_name (b));
          return FALSE;
        }
      if (strcmp (op, "<") == 0)
        *result = c < 0;
      else if (strcmp (op, "<=") == 0)
        *result = c <= 0;
      else if (strcmp (op, ">") == 0)
        *result = c > 0;
      else
        *result = c >= 0;
    }
  return TRUE;
}

AssayJinjaValue *
assay_jinja_call (AssayJinjaValue *callee, AssayJinjaArgs *args, GError **error)
{
  if (callee->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (callee, error), NULL);
  if (callee->kind != ASSAY_JINJA_CALLABLE)
    return FAIL_NULL ("'%s' object is not callable", assay_jinja_value_type_name (callee));
  return callee->call.func (callee->call.data, callee->call.self, args, error);
}

/* ---- filters ---- */

/* environment.getitem along a dotted attribute path ("a.b", "0"), as jinja2's make_attrgetter */
static AssayJinjaValue *
get_attribute_path (AssayJinjaValue *item, AssayJinjaValue *attribute, AssayJinjaValue *fallback,
                    GError **error)
{
  AssayJinjaValue *cur = assay_jinja_value_ref (item);

  if (attribute->kind != ASSAY_JINJA_STRING)
    {
      AssayJinjaValue *v = assay_jinja_getitem (cur, attribute, error);

      assay_jinja_value_unref (cur);
      cur = v;
    }
  else
    {
      g_auto (GStrv) parts = g_strsplit (attribute->str.s, ".", -1);

      for (guint i = 0; parts[i] != NULL && cur != NULL; i++)
        {
          g_autoptr (AssayJinjaValue) key = NULL;
          AssayJinjaValue *v;
          char            *end;
          gint64           n = g_ascii_strtoll (parts[i], &end, 10);

          key = parts[i][0] != '\0' && *end == '\0'
                        && g_ascii_isdigit (parts[i][strlen (parts[i]) - 1])
                    ? assay_jinja_int_new (n)
                    : assay_jinja_string_new (parts[i]);
          v = assay_jinja_getitem (cur, key, error);
          assay_jinja_value_unref (cur);
          cur = v;
        }
    }
  if (cur != NULL && cur->kind == ASSAY_JINJA_UNDEFINED && fallback != NULL)
    {
      assay_jinja_value_unref (cur);
      cur = assay_jinja_value_ref (fallback);
    }
  return cur;
}

/* The filter's subject as a string: str(value). */
static AssayJinjaValue *
as_string (AssayJinjaValue *value, GError **error)
{
  char *s;

  if (value->kind == ASSAY_JINJA_STRING)
    return assay_jinja_value_ref (value);
  if ((s = soft_str (value, error)) == NULL)
    return NULL;
  return assay_jinja_string_new_take (s);
}

static AssayJinjaValue *
f_string (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  if (!assay_jinja_args_check (args, "string", 0, NULL, error))
    return NULL;
  return as_string (value, error);
}

static AssayJinjaValue *
f_case (AssayJinjaValue *value, AssayJinjaArgs *args, int mode, const char *what, GError **error)
{
  g_autoptr (AssayJinjaValue) s = NULL;

  if (!assay_jinja_args_check (args, what, 0, NULL, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  switch (mode)
    {
    case 0:
      return assay_jinja_string_new_take (str_case (s->str.s, 0));
    case 1:
      return assay_jinja_string_new_take (str_case (s->str.s, 1));
    case 2:
      return assay_jinja_string_new_take (str_capitalize (s->str.s));
    default:
      return assay_jinja_string_new_take (filter_title_text (s->str.s));
    }
}

static AssayJinjaValue *
f_lower (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return f_case (v, a, 0, "lower", e);
}
static AssayJinjaValue *
f_upper (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return f_case (v, a, 1, "upper", e);
}
static AssayJinjaValue *
f_capitalize (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return f_case (v, a, 2, "capitalize", e);
}
static AssayJinjaValue *
f_title (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return f_case (v, a, 3, "title", e);
}

static AssayJinjaValue *
f_trim (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "chars", NULL };
  g_autoptr (AssayJinjaValue) s = NULL;

  if (!assay_jinja_args_check (args, "trim", 1, names, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  return strip_chars (s, assay_jinja_args_get (args, 0, "chars"), TRUE, TRUE, error);
}

static AssayJinjaValue *
f_replace (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "old", "new", "count", NULL };
  g_autoptr (AssayJinjaValue) s = NULL;
  AssayJinjaValue *old = assay_jinja_args_get (args, 0, "old"),
                  *new = assay_jinja_args_get (args, 1, "new");
  g_autofree char *o = NULL, *n = NULL;
  gint64           count;

  if (!assay_jinja_args_check (args, "replace", 3, names, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  if (old == NULL || new == NULL)
    return FAIL_NULL ("replace needs the old and the new string");
  if (!int_arg (assay_jinja_args_get (args, 2, "count"), -1, &count, "replace", error)
      || (o = soft_str (old, error)) == NULL || (n = soft_str (new, error)) == NULL)
    return NULL;
  return assay_jinja_string_new_take (str_replace (s->str.s, o, n, count));
}

static AssayJinjaValue *
f_length (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  gint64 n = 0;

  if (!assay_jinja_args_check (args, "length", 0, NULL, error) || !length_of (value, &n, error))
    return NULL;
  return assay_jinja_int_new (n);
}

static AssayJinjaValue *
f_list (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  GPtrArray *items;

  if (!assay_jinja_args_check (args, "list", 0, NULL, error) || !iterate (value, &items, error))
    return NULL;
  return list_of (items, ASSAY_JINJA_PLAIN_LIST);
}

static AssayJinjaValue *
f_first (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;

  if (!assay_jinja_args_check (args, "first", 0, NULL, error) || !iterate (value, &items, error))
    return NULL;
  if (items->len == 0)
    return assay_jinja_undefined_new ("No first item, sequence was empty.");
  return assay_jinja_value_ref (g_ptr_array_index (items, 0));
}

static AssayJinjaValue *
f_last (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;

  if (!assay_jinja_args_check (args, "last", 0, NULL, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_LIST && value->list.flavour == ASSAY_JINJA_GENERATOR)
    return FAIL_NULL ("'generator' object is not reversible");
  if (!iterate (value, &items, error))
    return NULL;
  if (items->len == 0)
    return assay_jinja_undefined_new ("No last item, sequence was empty.");
  return assay_jinja_value_ref (g_ptr_array_index (items, items->len - 1));
}

static AssayJinjaValue *
f_default (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "default_value", "boolean", NULL };
  AssayJinjaValue         *fallback = assay_jinja_args_get (args, 0, "default_value");
  AssayJinjaValue         *boolean = assay_jinja_args_get (args, 1, "boolean");

  if (!assay_jinja_args_check (args, "default", 2, names, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_UNDEFINED
      || (boolean != NULL && assay_jinja_value_truthy (boolean)
          && !assay_jinja_value_truthy (value)))
    return fallback != NULL ? assay_jinja_value_ref (fallback) : assay_jinja_string_new ("");
  return assay_jinja_value_ref (value);
}

static AssayJinjaValue *
f_join (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "d", "attribute", NULL };
  AssayJinjaValue         *sep = assay_jinja_args_get (args, 0, "d");
  AssayJinjaValue         *attribute = assay_jinja_args_get (args, 1, "attribute");
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *s = NULL;

  if (!assay_jinja_args_check (args, "join", 2, names, error) || !iterate (value, &items, error))
    return NULL;
  if (sep != NULL && (s = soft_str (sep, error)) == NULL)
    return NULL;
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr (AssayJinjaValue) item = assay_jinja_value_ref (g_ptr_array_index (items, i));

      if (attribute != NULL)
        {
          assay_jinja_value_unref (item);
          if ((item = get_attribute_path (g_ptr_array_index (items, i), attribute, NULL, error))
              == NULL)
            return NULL;
        }
      if (i > 0 && s != NULL)
        g_string_append (out, s);
      if (!assay_jinja_value_str (item, out, error))
        return NULL;
    }
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

static AssayJinjaValue *
f_tojson (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "ensure_ascii", "indent", "separators", "sort_keys", NULL };
  AssayJinjaValue         *ensure_ascii = assay_jinja_args_get (args, 0, "ensure_ascii");
  AssayJinjaValue         *indent = assay_jinja_args_get (args, 1, "indent");
  AssayJinjaValue         *separators = assay_jinja_args_get (args, 2, "separators");
  AssayJinjaValue         *sort_keys = assay_jinja_args_get (args, 3, "sort_keys");
  g_autofree char         *indent_text = NULL, *item_sep = NULL, *key_sep = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  if (!assay_jinja_args_check (args, "tojson", 4, names, error))
    return NULL;
  if (indent != NULL && indent->kind != ASSAY_JINJA_NONE)
    {
      if (is_int_like (indent))
        {
          gint64 n = int_of (indent);

          if (n > 1000)
            return (fail (error, ASSAY_ERROR_UNSUPPORTED, "tojson: an indent over 1000 is not supported"), NULL);
          indent_text = g_strnfill (n > 0 ? (gsize) n : 0, ' ');
        }
      else if (indent->kind == ASSAY_JINJA_STRING)
        indent_text = g_strdup (indent->str.s);
      else
        return FAIL_NULL ("tojson: indent must be an integer, a string or None");
    }
  if (separators != NULL && separators->kind != ASSAY_JINJA_NONE)
    {
      AssayJinjaValue *a, *b;

      if (!is_indexable_list (separators) || separators->list.items->len != 2
          || (a = g_ptr_array_index (separators->list.items, 0))->kind != ASSAY_JINJA_STRING
          || (b = g_ptr_array_index (separators->list.items, 1))->kind != ASSAY_JINJA_STRING)
        return FAIL_NULL ("tojson: separators must be a pair of strings");
      item_sep = g_strdup (a->str.s);
      key_sep = g_strdup (b->str.s);
    }
  else
    {
      item_sep = g_strdup (indent_text != NULL ? "," : ", ");
      key_sep = g_strdup (": ");
    }
  if (!assay_jinja_value_dump_json (value, indent_text, item_sep, key_sep,
                                    sort_keys != NULL && assay_jinja_value_truthy (sort_keys),
                                    ensure_ascii != NULL && assay_jinja_value_truthy (ensure_ascii),
                                    out, error))
    return NULL;
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

/* Python's int(str, base): optional sign, digits with single underscores, whitespace around. */
static gboolean
parse_int (const char *s, int base, gint64 *out)
{
  g_autofree char *t = g_strstrip (g_strdup (s));
  GString         *digits = g_string_new (NULL);
  const char      *p = t;
  gboolean         ok = TRUE, negative = FALSE;
  guint64          v;
  char            *end;

  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  if (base == 0 || base == 16 || base == 8 || base == 2)
    {
      if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && (base == 0 || base == 16))
        base = 16, p += 2;
      else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O') && (base == 0 || base == 8))
        base = 8, p += 2;
      else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B') && (base == 0 || base == 2))
        base = 2, p += 2;
      else if (base == 0)
        base = 10;
    }
  for (; *p != '\0' && ok; p++)
    {
      if (*p == '_' && digits->len > 0 && p[1] != '\0' && p[1] != '_')
        continue;
      if (!g_ascii_isxdigit (*p) && !g_ascii_isalpha (*p))
        ok = FALSE;
      g_string_append_c (digits, *p);
    }
  if (!ok || digits->len == 0)
    {
      g_string_free (digits, TRUE);
      return FALSE;
    }
  errno = 0;
  v = g_ascii_strtoull (digits->str, &end, base);
  ok = *end == '\0' && errno == 0 && v <= (guint64)G_MAXINT64 + (negative ? 1 : 0);
  g_string_free (digits, TRUE);
  if (ok)
    *out = negative ? (gint64)(0 - v) : (gint64)v;
  return ok;
}

static gboolean
parse_float (const char *s, double *out)
{
  g_autofree char *t = g_strstrip (g_strdup (s));
  g_autofree char *u = NULL;
  char            *end;
  GString         *clean = g_string_new (NULL);

  for (const char *p = t; *p != '\0'; p++)
    if (*p != '_' || (p > t && g_ascii_isdigit (p[-1]) && g_ascii_isdigit (p[1])))
      g_string_append_c (clean, *p);
  u = g_string_free (clean, FALSE);
  if (*u == '\0' || strpbrk (u, "xXpP") != NULL)
    return FALSE;
  *out = g_ascii_strtod (u, &end);
  return *end == '\0';
}

static AssayJinjaValue *
f_int (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "default", "base", NULL };
  AssayJinjaValue         *fallback = assay_jinja_args_get (args, 0, "default");
  gint64                   base, r;
  double                   f;

  if (!assay_jinja_args_check (args, "int", 2, names, error)
      || !int_arg (assay_jinja_args_get (args, 1, "base"), 10, &base, "int", error))
    return NULL;
  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      return (assay_jinja_undefined_error (value, error), NULL);
    case ASSAY_JINJA_BOOL:
    case ASSAY_JINJA_INT:
      return assay_jinja_int_new (int_of (value));
    case ASSAY_JINJA_FLOAT:
      if (isfinite (value->f) && fabs (value->f) < 9.2e18)
        return assay_jinja_int_new ((gint64)value->f);
      if (isfinite (value->f))
        return overflow (error);
      break;
    case ASSAY_JINJA_STRING:
      if (parse_int (value->str.s, (int)base, &r))
        return assay_jinja_int_new (r);
      if (parse_float (value->str.s, &f) && isfinite (f) && fabs (f) < 9.2e18)
        return assay_jinja_int_new ((gint64)f);
      break;
    default:
      break;
    }
  return fallback != NULL ? assay_jinja_value_ref (fallback) : assay_jinja_int_new (0);
}

static AssayJinjaValue *
f_float (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "default", NULL };
  AssayJinjaValue         *fallback = assay_jinja_args_get (args, 0, "default");
  double                   f;

  if (!assay_jinja_args_check (args, "float", 1, names, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (value, error), NULL);
  if (assay_jinja_value_is_number (value))
    return assay_jinja_float_new (assay_jinja_value_as_double (value));
  if (value->kind == ASSAY_JINJA_STRING && parse_float (value->str.s, &f))
    return assay_jinja_float_new (f);
  return fallback != NULL ? assay_jinja_value_ref (fallback) : assay_jinja_float_new (0.0);
}

static AssayJinjaValue *
f_abs (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  if (!assay_jinja_args_check (args, "abs", 0, NULL, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_FLOAT)
    return assay_jinja_float_new (fabs (value->f));
  if (is_int_like (value))
    return assay_jinja_negate (value, int_of (value) < 0, error);
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (value, error), NULL);
  return FAIL_NULL ("bad operand type for abs(): '%s'", assay_jinja_value_type_name (value));
}

static AssayJinjaValue *
f_round (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "precision", "method", NULL };
  AssayJinjaValue         *method = assay_jinja_args_get (args, 1, "method");
  const char *m = method != NULL && method->kind == ASSAY_JINJA_STRING ? method->str.s : "common";
  gint64      precision;
  double      f, scale;

  if (!assay_jinja_args_check (args, "round", 2, names, error)
      || !int_arg (assay_jinja_args_get (args, 0, "precision"), 0, &precision, "round", error))
    return NULL;
  if (strcmp (m, "common") != 0 && strcmp (m, "ceil") != 0 && strcmp (m, "floor") != 0)
    return FAIL_NULL ("method must be 'common', 'ceil' or 'floor'");
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (value, error), NULL);
  if (!assay_jinja_value_is_number (value))
    return FAIL_NULL ("type %s doesn't define __round__ method",
                      assay_jinja_value_type_name (value));
  if (precision < 0 || precision > 15)
    return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                  "round precision %" G_GINT64_FORMAT " is not supported", precision),
            NULL);
  f = assay_jinja_value_as_double (value);
  if (strcmp (m, "common") == 0)
    {
      char buf[512];

      if (is_int_like (value))
        return assay_jinja_int_new (int_of (value));
      if (!isfinite (f))
        return assay_jinja_float_new (f);
      g_snprintf (buf, sizeof buf, "%.*f", (int)precision, f);
      return assay_jinja_float_new (g_ascii_strtod (buf, NULL));
    }
  scale = pow (10.0, (double)precision);
  return assay_jinja_float_new ((m[0] == 'c' ? ceil (f * scale) : floor (f * scale)) / scale);
}

static AssayJinjaValue *
f_items (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  GPtrArray *items;

  if (!assay_jinja_args_check (args, "items", 0, NULL, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return list_of (NULL, ASSAY_JINJA_GENERATOR);
  if (value->kind != ASSAY_JINJA_DICT)
    return FAIL_NULL ("Can only get item pairs from a mapping.");
  items = assay_jinja_value_array_new ();
  for (guint i = 0; i < value->dict.keys->len; i++)
    g_ptr_array_add (items, tuple2 (g_ptr_array_index (value->dict.keys, i),
                                    g_ptr_array_index (value->dict.values, i)));
  return list_of (items, ASSAY_JINJA_GENERATOR);
}

typedef struct
{
  gboolean         case_sensitive;
  gboolean         by_value; /* dictsort: sort (key, value) pairs by the value */
  AssayJinjaValue *attribute;
  GError          *error;
} SortContext;

/* The key a value sorts by: lower-cased when case-insensitive. */
static AssayJinjaValue *
sort_key (AssayJinjaValue *v, SortContext *ctx)
{
  if (v->kind == ASSAY_JINJA_STRING && !ctx->case_sensitive)
    return assay_jinja_string_new_take (g_utf8_strdown (v->str.s, -1));
  return assay_jinja_value_ref (v);
}

static int
compare_sort_keys (gconstpointer a, gconstpointer b, gpointer data)
{
  SortContext     *ctx = data;
  AssayJinjaValue *x = *(AssayJinjaValue *const *)a, *y = *(AssayJinjaValue *const *)b;
  int              r = 0;

  if (ctx->error == NULL)
    assay_jinja_value_compare (x, y, &r, &ctx->error);
  return r;
}

/* Sorts items (stable) by their keys; keys and items are parallel arrays. */
static GPtrArray *
sorted_by (GPtrArray *items, GPtrArray *keys, gboolean reverse, SortContext *ctx)
{
  GArray    *order = g_array_new (FALSE, FALSE, sizeof (gpointer));
  GPtrArray *pairs = g_ptr_array_new ();
  GPtrArray *out = assay_jinja_value_array_new ();

  /* pair each key with its index through a tuple so that equal keys keep their order */
  for (guint i = 0; i < items->len; i++)
    {
      GPtrArray *t = assay_jinja_value_array_new ();

      g_ptr_array_add (t, assay_jinja_value_ref (g_ptr_array_index (keys, i)));
      g_ptr_array_add (t, assay_jinja_int_new (reverse ? -(gint64)i : (gint64)i));
      g_ptr_array_add (pairs, list_of (t, ASSAY_JINJA_TUPLE));
    }
  g_array_append_vals (order, pairs->pdata, pairs->len);
  g_array_sort_with_data (order, compare_sort_keys, ctx);
  for (guint k = 0; k < order->len; k++)
    {
      guint            j = reverse ? order->len - 1 - k : k;
      AssayJinjaValue *t = g_array_index (order, AssayJinjaValue *, j);
      gint64           i = ((AssayJinjaValue *)g_ptr_array_index (t->list.items, 1))->i;

      g_ptr_array_add (out, assay_jinja_value_ref (g_ptr_array_index (items, reverse ? -i : i)));
    }
  g_array_unref (order);
  g_ptr_array_set_free_func (pairs, (GDestroyNotify)assay_jinja_value_unref);
  g_ptr_array_unref (pairs);
  return out;
}

static AssayJinjaValue *
f_sort (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "reverse", "case_sensitive", "attribute", NULL };
  AssayJinjaValue         *reverse = assay_jinja_args_get (args, 0, "reverse");
  AssayJinjaValue         *cs = assay_jinja_args_get (args, 1, "case_sensitive");
  SortContext              ctx = { cs != NULL && assay_jinja_value_truthy (cs), FALSE,
                                   assay_jinja_args_get (args, 2, "attribute"), NULL };
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GPtrArray) keys = assay_jinja_value_array_new ();
  GPtrArray *out;

  if (!assay_jinja_args_check (args, "sort", 3, names, error) || !iterate (value, &items, error))
    return NULL;
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr (AssayJinjaValue) k = NULL;

      if (ctx.attribute != NULL)
        {
          if ((k = get_attribute_path (g_ptr_array_index (items, i), ctx.attribute, NULL, error))
              == NULL)
            return NULL;
        }
      else
        k = assay_jinja_value_ref (g_ptr_array_index (items, i));
      g_ptr_array_add (keys, sort_key (k, &ctx));
    }
  out = sorted_by (items, keys, reverse != NULL && assay_jinja_value_truthy (reverse), &ctx);
  if (ctx.error != NULL)
    {
      g_ptr_array_unref (out);
      g_propagate_error (error, ctx.error);
      return NULL;
    }
  return list_of (out, ASSAY_JINJA_PLAIN_LIST);
}

static AssayJinjaValue *
f_dictsort (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "case_sensitive", "by", "reverse", NULL };
  AssayJinjaValue         *cs = assay_jinja_args_get (args, 0, "case_sensitive");
  AssayJinjaValue         *by = assay_jinja_args_get (args, 1, "by");
  AssayJinjaValue         *reverse = assay_jinja_args_get (args, 2, "reverse");
  SortContext              ctx = { cs != NULL && assay_jinja_value_truthy (cs), FALSE, NULL, NULL };
  g_autoptr (GPtrArray) items = assay_jinja_value_array_new ();
  g_autoptr (GPtrArray) keys = assay_jinja_value_array_new ();
  GPtrArray *out;

  if (!assay_jinja_args_check (args, "dictsort", 3, names, error))
    return NULL;
  if (by != NULL && by->kind == ASSAY_JINJA_STRING && strcmp (by->str.s, "value") == 0)
    ctx.by_value = TRUE;
  else if (by != NULL && !(by->kind == ASSAY_JINJA_STRING && strcmp (by->str.s, "key") == 0))
    return FAIL_NULL ("You can only sort by either \"key\" or \"value\"");
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return (assay_jinja_undefined_error (value, error), NULL);
  if (value->kind != ASSAY_JINJA_DICT)
    return FAIL_NULL ("'%s' object has no attribute 'items'", assay_jinja_value_type_name (value));
  for (guint i = 0; i < value->dict.keys->len; i++)
    {
      g_ptr_array_add (items, tuple2 (g_ptr_array_index (value->dict.keys, i),
                                      g_ptr_array_index (value->dict.values, i)));
      g_ptr_array_add (keys, sort_key (g_ptr_array_index (
                                           ctx.by_value ? value->dict.values : value->dict.keys, i),
                                       &ctx));
    }
  out = sorted_by (items, keys, reverse != NULL && assay_jinja_value_truthy (reverse), &ctx);
  if (ctx.error != NULL)
    {
      g_ptr_array_unref (out);
      g_propagate_error (error, ctx.error);
      return NULL;
    }
  return list_of (out, ASSAY_JINJA_PLAIN_LIST);
}

static AssayJinjaValue *
f_reverse (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;
  GPtrArray *out;

  if (!assay_jinja_args_check (args, "reverse", 0, NULL, error))
    return NULL;
  if (value->kind == ASSAY_JINJA_STRING)
    {
      g_autofree gunichar *u = NULL;
      glong                n;

      u = ucs4 (value->str.s, &n);
      for (glong i = 0; i < n / 2; i++)
        {
          gunichar t = u[i];

          u[i] = u[n - 1 - i];
          u[n - 1 - i] = t;
        }
      return string_from_ucs4 (u, n);
    }
  if (!iterate (value, &items, error))
    return NULL;
  out = assay_jinja_value_array_new ();
  for (guint i = items->len; i > 0; i--)
    g_ptr_array_add (out, assay_jinja_value_ref (g_ptr_array_index (items, i - 1)));
  /* reversed() of a sequence is an iterator; a generator is turned into a list first */
  return list_of (out,
                  value->kind == ASSAY_JINJA_LIST && value->list.flavour == ASSAY_JINJA_GENERATOR
                      ? ASSAY_JINJA_PLAIN_LIST
                      : ASSAY_JINJA_GENERATOR);
}

static AssayJinjaValue *
f_unique (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "case_sensitive", "attribute", NULL };
  AssayJinjaValue         *cs = assay_jinja_args_get (args, 0, "case_sensitive");
  AssayJinjaValue         *attribute = assay_jinja_args_get (args, 1, "attribute");
  SortContext              ctx = { cs != NULL && assay_jinja_value_truthy (cs), FALSE, NULL, NULL };
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GPtrArray) seen = assay_jinja_value_array_new ();
  GPtrArray *out;

  if (!assay_jinja_args_check (args, "unique", 2, names, error) || !iterate (value, &items, error))
    return NULL;
  out = assay_jinja_value_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      AssayJinjaValue *item = g_ptr_array_index (items, i);
      g_autoptr (AssayJinjaValue) k = NULL, key = NULL;
      gboolean dup = FALSE;

      if (attribute != NULL)
        {
          if ((k = get_attribute_path (item, attribute, NULL, error)) == NULL)
            {
              g_ptr_array_unref (out);
              return NULL;
            }
        }
      else
        k = assay_jinja_value_ref (item);
      key = sort_key (k, &ctx);
      for (guint j = 0; j < seen->len && !dup; j++)
        dup = assay_jinja_value_equal (g_ptr_array_index (seen, j), key);
      if (!dup)
        {
          g_ptr_array_add (seen, assay_jinja_value_ref (key));
          g_ptr_array_add (out, assay_jinja_value_ref (item));
        }
    }
  return list_of (out, ASSAY_JINJA_GENERATOR);
}

static AssayJinjaValue *
min_max (AssayJinjaValue *value, AssayJinjaArgs *args, gboolean max, GError **error)
{
  static const char *const names[] = { "case_sensitive", "attribute", NULL };
  AssayJinjaValue         *cs = assay_jinja_args_get (args, 0, "case_sensitive");
  AssayJinjaValue         *attribute = assay_jinja_args_get (args, 1, "attribute");
  SortContext              ctx = { cs != NULL && assay_jinja_value_truthy (cs), FALSE, NULL, NULL };
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (AssayJinjaValue) best_key = NULL;
  AssayJinjaValue *best = NULL;

  if (!assay_jinja_args_check (args, max ? "max" : "min", 2, names, error)
      || !iterate (value, &items, error))
    return NULL;
  for (guint i = 0; i < items->len; i++)
    {
      AssayJinjaValue *item = g_ptr_array_index (items, i);
      g_autoptr (AssayJinjaValue) k = NULL, key = NULL;
      int c;

      if (attribute != NULL)
        {
          if ((k = get_attribute_path (item, attribute, NULL, error)) == NULL)
            return NULL;
        }
      else
        k = assay_jinja_value_ref (item);
      key = sort_key (k, &ctx);
      if (best != NULL)
        {
          if (!assay_jinja_value_compare (key, best_key, &c, error))
            return NULL;
          if (max ? c <= 0 : c >= 0)
            continue;
        }
      best = item;
      g_clear_pointer (&best_key, assay_jinja_value_unref);
      best_key = g_steal_pointer (&key);
    }
  if (best == NULL)
    return assay_jinja_undefined_new ("No aggregated item, sequence was empty.");
  return assay_jinja_value_ref (best);
}

static AssayJinjaValue *
f_min (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return min_max (v, a, FALSE, e);
}
static AssayJinjaValue *
f_max (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return min_max (v, a, TRUE, e);
}

static AssayJinjaValue *
f_sum (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "attribute", "start", NULL };
  AssayJinjaValue         *attribute = assay_jinja_args_get (args, 0, "attribute");
  AssayJinjaValue         *start = assay_jinja_args_get (args, 1, "start");
  g_autoptr (GPtrArray) items = NULL;
  AssayJinjaValue *total;

  if (!assay_jinja_args_check (args, "sum", 2, names, error) || !iterate (value, &items, error))
    return NULL;
  total = start != NULL ? assay_jinja_value_ref (start) : assay_jinja_int_new (0);
  for (guint i = 0; i < items->len && total != NULL; i++)
    {
      g_autoptr (AssayJinjaValue) item = NULL;
      AssayJinjaValue *next = NULL;

      if (attribute != NULL)
        item = get_attribute_path (g_ptr_array_index (items, i), attribute, NULL, error);
      else
        item = assay_jinja_value_ref (g_ptr_array_index (items, i));
      if (item != NULL)
        next = assay_jinja_binop ("+", total, item, error);
      assay_jinja_value_unref (total);
      total = next;
    }
  return total;
}

/* Arguments after the first skip positional arguments: for map('filter', ...), select('test', ...).
 */
static void
args_shift (AssayJinjaArgs *from, guint skip, AssayJinjaArgs *to)
{
  assay_jinja_args_init (to);
  for (guint i = skip; i < from->args->len; i++)
    g_ptr_array_add (to->args, assay_jinja_value_ref (g_ptr_array_index (from->args, i)));
  for (guint i = 0; i < from->names->len; i++)
    {
      g_ptr_array_add (to->names, g_strdup (g_ptr_array_index (from->names, i)));
      g_ptr_array_add (to->values, assay_jinja_value_ref (g_ptr_array_index (from->values, i)));
    }
}

static AssayJinjaValue *
f_map (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  AssayJinjaValue *attribute = assay_jinja_args_get (args, G_MAXUINT, "attribute");
  g_autoptr (GPtrArray) items = NULL;
  GPtrArray     *out;
  AssayJinjaArgs rest;

  if (!iterate (value, &items, error))
    return NULL;
  out = assay_jinja_value_array_new ();
  if (attribute != NULL)
    {
      static const char *const names[] = { "attribute", "default", NULL };
      AssayJinjaValue         *fallback = assay_jinja_args_get (args, G_MAXUINT, "default");

      if (!assay_jinja_args_check (args, "map", 0, names, error))
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      for (guint i = 0; i < items->len; i++)
        {
          AssayJinjaValue *v
              = get_attribute_path (g_ptr_array_index (items, i), attribute, fallback, error);

          if (v == NULL)
            {
              g_ptr_array_unref (out);
              return NULL;
            }
          g_ptr_array_add (out, v);
        }
      return list_of (out, ASSAY_JINJA_GENERATOR);
    }
  {
    AssayJinjaValue *name = assay_jinja_args_get (args, 0, NULL);

    if (name == NULL)
      return list_of (out, ASSAY_JINJA_GENERATOR);
    if (name->kind != ASSAY_JINJA_STRING)
      {
        g_ptr_array_unref (out);
        return FAIL_NULL ("map: the filter name must be a string");
      }
    if (assay_jinja_filter_lookup (name->str.s) != ASSAY_JINJA_BUILTIN_OK)
      {
        g_ptr_array_unref (out);
        return (fail (error,
                      assay_jinja_filter_lookup (name->str.s) == ASSAY_JINJA_BUILTIN_MISSING
                          ? ASSAY_ERROR_INVALID_INPUT
                          : ASSAY_ERROR_UNSUPPORTED,
                      assay_jinja_filter_lookup (name->str.s) == ASSAY_JINJA_BUILTIN_MISSING
                          ? "No filter named '%s'."
                          : "the filter “%s” is not supported",
                      name->str.s),
                NULL);
      }
    args_shift (args, 1, &rest);
    for (guint i = 0; i < items->len; i++)
      {
        AssayJinjaValue *v
            = assay_jinja_filter_apply (name->str.s, g_ptr_array_index (items, i), &rest, error);

        if (v == NULL)
          {
            assay_jinja_args_clear (&rest);
            g_ptr_array_unref (out);
            return NULL;
          }
        g_ptr_array_add (out, v);
      }
    assay_jinja_args_clear (&rest);
    return list_of (out, ASSAY_JINJA_GENERATOR);
  }
}

static AssayJinjaValue *
select_reject (AssayJinjaValue *value, AssayJinjaArgs *args, gboolean by_attribute, gboolean keep,
               GError **error)
{
  g_autoptr (GPtrArray) items = NULL;
  AssayJinjaValue *attribute = NULL, *test;
  guint            skip = 0;
  GPtrArray       *out;
  AssayJinjaArgs   rest;

  if (args->names->len > 0)
    return FAIL_NULL ("select and reject filters take no keyword arguments");
  if (by_attribute)
    {
      if ((attribute = assay_jinja_args_get (args, 0, NULL)) == NULL)
        return FAIL_NULL ("Missing parameter for attribute name");
      skip = 1;
    }
  test = assay_jinja_args_get (args, skip, NULL);
  if (test != NULL)
    {
      if (test->kind != ASSAY_JINJA_STRING)
        return FAIL_NULL ("the test name must be a string");
      if (assay_jinja_test_lookup (test->str.s) != ASSAY_JINJA_BUILTIN_OK)
        return (fail (error,
                      assay_jinja_test_lookup (test->str.s) == ASSAY_JINJA_BUILTIN_MISSING
                          ? ASSAY_ERROR_INVALID_INPUT
                          : ASSAY_ERROR_UNSUPPORTED,
                      assay_jinja_test_lookup (test->str.s) == ASSAY_JINJA_BUILTIN_MISSING
                          ? "No test named '%s'."
                          : "the test “%s” is not supported",
                      test->str.s),
                NULL);
    }
  if (!iterate (value, &items, error))
    return NULL;
  args_shift (args, skip + 1, &rest);
  out = assay_jinja_value_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      AssayJinjaValue *item = g_ptr_array_index (items, i);
      g_autoptr (AssayJinjaValue) subject = NULL;
      gboolean r;

      subject = attribute != NULL ? get_attribute_path (item, attribute, NULL, error)
                                  : assay_jinja_value_ref (item);
      if (subject == NULL
          || (test != NULL && !assay_jinja_test_apply (test->str.s, subject, &rest, &r, error)))
        {
          assay_jinja_args_clear (&rest);
          g_ptr_array_unref (out);
          return NULL;
        }
      if (test == NULL)
        r = assay_jinja_value_truthy (subject);
      if (r == keep)
        g_ptr_array_add (out, assay_jinja_value_ref (item));
    }
  assay_jinja_args_clear (&rest);
  return list_of (out, ASSAY_JINJA_GENERATOR);
}

static AssayJinjaValue *
f_select (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return select_reject (v, a, FALSE, TRUE, e);
}
static AssayJinjaValue *
f_reject (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return select_reject (v, a, FALSE, FALSE, e);
}
static AssayJinjaValue *
f_selectattr (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return select_reject (v, a, TRUE, TRUE, e);
}
static AssayJinjaValue *
f_rejectattr (AssayJinjaValue *v, AssayJinjaArgs *a, GError **e)
{
  return select_reject (v, a, TRUE, FALSE, e);
}

static AssayJinjaValue *
f_batch (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "linecount", "fill_with", NULL };
  AssayJinjaValue         *fill = assay_jinja_args_get (args, 1, "fill_with");
  g_autoptr (GPtrArray) items = NULL;
  GPtrArray *out, *row = NULL;
  gint64     n;

  if (!assay_jinja_args_check (args, "batch", 2, names, error)
      || !int_arg (assay_jinja_args_get (args, 0, "linecount"), -1, &n, "batch", error)
      || !iterate (value, &items, error))
    return NULL;
  if (n < 1)
    return FAIL_NULL ("batch: linecount must be a positive integer");
  out = assay_jinja_value_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      if (row == NULL)
        row = assay_jinja_value_array_new ();
      g_ptr_array_add (row, assay_jinja_value_ref (g_ptr_array_index (items, i)));
      if ((gint64)row->len == n)
        {
          g_ptr_array_add (out, list_of (row, ASSAY_JINJA_PLAIN_LIST));
          row = NULL;
        }
    }
  if (row != NULL)
    {
      while (fill != NULL && (gint64)row->len < n)
        g_ptr_array_add (row, assay_jinja_value_ref (fill));
      g_ptr_array_add (out, list_of (row, ASSAY_JINJA_PLAIN_LIST));
    }
  return list_of (out, ASSAY_JINJA_GENERATOR);
}

static AssayJinjaValue *
f_slice (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "slices", "fill_with", NULL };
  AssayJinjaValue         *fill = assay_jinja_args_get (args, 1, "fill_with");
  g_autoptr (GPtrArray) items = NULL;
  GPtrArray *out;
  gint64     slices, per, extra, offset = 0;

  if (!assay_jinja_args_check (args, "slice", 2, names, error)
      || !int_arg (assay_jinja_args_get (args, 0, "slices"), -1, &slices, "slice", error)
      || !iterate (value, &items, error))
    return NULL;
  if (slices < 1)
    return FAIL_NULL ("slice: slices must be a positive integer");
  per = items->len / slices;
  extra = items->len % slices;
  out = assay_jinja_value_array_new ();
  for (gint64 s = 0; s < slices; s++)
    {
      gint64     start = offset + s * per, end = start + per;
      GPtrArray *row = assay_jinja_value_array_new ();

      if (s < extra)
        offset++;
      end += s < extra ? 1 : 0;
      for (gint64 i = start; i < end; i++)
        g_ptr_array_add (row, assay_jinja_value_ref (g_ptr_array_index (items, i)));
      if (fill != NULL && s >= extra && extra > 0)
        g_ptr_array_add (row, assay_jinja_value_ref (fill));
      g_ptr_array_add (out, list_of (row, ASSAY_JINJA_PLAIN_LIST));
    }
  return list_of (out, ASSAY_JINJA_GENERATOR);
}

static AssayJinjaValue *
f_indent (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "width", "first", "blank", NULL };
  AssayJinjaValue         *width = assay_jinja_args_get (args, 0, "width");
  AssayJinjaValue         *first = assay_jinja_args_get (args, 1, "first");
  AssayJinjaValue         *blank = assay_jinja_args_get (args, 2, "blank");
  g_autoptr (AssayJinjaValue) s = NULL;
  g_autofree char *indention = NULL, *text = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  if (!assay_jinja_args_check (args, "indent", 3, names, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  if (width == NULL)
    indention = g_strdup ("    ");
  else if (width->kind == ASSAY_JINJA_STRING)
    indention = g_strdup (width->str.s);
  else if (is_int_like (width) && int_of (width) > 10000)
    return (fail (error, ASSAY_ERROR_UNSUPPORTED, "indent: a width over 10000 is not supported"), NULL);
  else if (is_int_like (width))
    indention = g_strnfill (int_of (width) > 0 ? (gsize) int_of (width) : 0, ' ');
  else
    return FAIL_NULL ("indent: width must be an integer or a string");
  text = g_strconcat (s->str.s, "\n", NULL);
  lines = str_splitlines (text, FALSE);
  if (blank != NULL && assay_jinja_value_truthy (blank))
    {
      for (guint i = 0; i < lines->len; i++)
        {
          if (i > 0)
            {
              g_string_append_c (out, '\n');
              g_string_append (out, indention);
            }
          g_string_append (out, ((AssayJinjaValue *)g_ptr_array_index (lines, i))->str.s);
        }
    }
  else
    {
      for (guint i = 0; i < lines->len; i++)
        {
          AssayJinjaValue *line = g_ptr_array_index (lines, i);

          if (i > 0)
            {
              g_string_append_c (out, '\n');
              if (line->str.len > 0)
                g_string_append (out, indention);
            }
          g_string_append (out, line->str.s);
        }
    }
  if (first != NULL && assay_jinja_value_truthy (first))
    g_string_prepend (out, indention);
  return assay_jinja_string_new_take (g_string_free (g_steal_pointer (&out), FALSE));
}

static AssayJinjaValue *
f_center (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  static const char *const names[] = { "width", NULL };
  g_autoptr (AssayJinjaValue) s = NULL;
  gint64 width;

  if (!assay_jinja_args_check (args, "center", 1, names, error)
      || (s = as_string (value, error)) == NULL
      || !int_arg (assay_jinja_args_get (args, 0, "width"), 80, &width, "center", error))
    return NULL;
  if (width > (gint64) MAX_LENGTH)
    return (fail (error, ASSAY_ERROR_OUT_OF_MEMORY, "the centred string would be too long"), NULL);
  return assay_jinja_string_new_take (str_center (s->str.s, width, ' '));
}

static AssayJinjaValue *
f_wordcount (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (AssayJinjaValue) s = NULL;
  gint64   n = 0;
  gboolean in_word = FALSE;

  if (!assay_jinja_args_check (args, "wordcount", 0, NULL, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  for (const char *p = s->str.s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean w = c == '_' || g_unichar_isalnum (c) || g_unichar_ismark (c);

      if (w && !in_word)
        n++;
      in_word = w;
    }
  return assay_jinja_int_new (n);
}

static AssayJinjaValue *
f_escape (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (AssayJinjaValue) s = NULL;
  GString *out;

  if (!assay_jinja_args_check (args, "escape", 0, NULL, error)
      || (s = as_string (value, error)) == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = s->str.s; *p != '\0'; p++)
    switch (*p)
      {
      case '&':
        g_string_append (out, "&amp;");
        break;
      case '<':
        g_string_append (out, "&lt;");
        break;
      case '>':
        g_string_append (out, "&gt;");
        break;
      case '"':
        g_string_append (out, "&#34;");
        break;
      case '\'':
        g_string_append (out, "&#39;");
        break;
      default:
        g_string_append_c (out, *p);
      }
  return assay_jinja_string_new_take (g_string_free (out, FALSE));
}

static AssayJinjaValue *
f_safe (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  if (!assay_jinja_args_check (args, "safe", 0, NULL, error))
    return NULL;
  return as_string (value, error);
}

static AssayJinjaValue *
f_format (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  g_autoptr (AssayJinjaValue) s = NULL, values = NULL;

  if ((s = as_string (value, error)) == NULL)
    return NULL;
  if (args->names->len > 0 && args->args->len > 0)
    return FAIL_NULL ("can't handle positional and keyword arguments at the same time");
  if (args->names->len > 0)
    return (fail (error, ASSAY_ERROR_UNSUPPORTED,
                  "the format filter with keyword arguments is not supported"),
            NULL);
  {
    GPtrArray *items = assay_jinja_value_array_new ();

    for (guint i = 0; i < args->args->len; i++)
      g_ptr_array_add (items, assay_jinja_value_ref (g_ptr_array_index (args->args, i)));
    values = list_of (items, ASSAY_JINJA_TUPLE);
  }
  return percent_format (s->str.s, values, error);
}

static AssayJinjaValue *
f_attr (AssayJinjaValue *value, AssayJinjaArgs *args, GError **error)
{
  AssayJinjaValue *name = assay_jinja_args_get (args, 0, "name");

  if (!assay_jinja_args_check (args, "attr", 1, (const char *const[]){ "name", NULL }, error))
    return NULL;
  if (name == NULL || name->kind != ASSAY_JINJA_STRING)
    return FAIL_NULL ("attr: the attribute name must be a string");
  return assay_jinja_getattr (value, name->str.s, error);
}

typedef struct
{
  const char *name;
  FilterFunc  func;
} FilterEntry;

static const FilterEntry filters[] = {
  { "abs", f_abs },
  { "attr", f_attr },
  { "batch", f_batch },
  { "capitalize", f_capitalize },
  { "center", f_center },
  { "count", f_length },
  { "d", f_default },
  { "default", f_default },
  { "dictsort", f_dictsort },
  { "e", f_escape },
  { "escape", f_escape },
  { "first", f_first },
  { "float", f_float },
  { "format", f_format },
  { "indent", f_indent },
  { "int", f_int },
  { "items", f_items },
  { "join", f_join },
  { "last", f_last },
  { "length", f_length },
  { "list", f_list },
  { "lower", f_lower },
  { "map", f_map },
  { "max", f_max },
  { "min", f_min },
  { "reject", f_reject },
  { "rejectattr", f_rejectattr },
  { "replace", f_replace },
  { "reverse", f_reverse },
  { "round", f_round },
  { "safe", f_safe },
  { "select", f_select },
  { "selectattr", f_selectattr },
  { "slice", f_slice },
  { "sort", f_sort },
  { "string", f_string },
  { "sum", f_sum },
  { "title", f_title },
  { "tojson", f_tojson },
  { "trim", f_trim },
  { "unique", f_unique },
  { "upper", f_upper },
  { "wordcount", f_wordcount },
};

static const char *const unsupported_filters[]
    = { "filesizeformat", "forceescape", "groupby", "pprint",   "random",  "striptags",
        "truncate",       "urlencode",   "urlize",  "wordwrap", "xmlattr", NULL };

AssayJinjaBuiltin
assay_jinja_filter_lookup (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    if (strcmp (filters[i].name, name) == 0)
      return ASSAY_JINJA_BUILTIN_OK;
  return name_in (name, unsupported_filters) ? ASSAY_JINJA_BUILTIN_UNSUPPORTED
                                             : ASSAY_JINJA_BUILTIN_MISSING;
}

AssayJinjaValue *
assay_jinja_filter_apply (const char *name, AssayJinjaValue *value, AssayJinjaArgs *args,
                          GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    if (strcmp (filters[i].name, name) == 0)
      return filters[i].func (value, args, error);
  return (fail (error, ASSAY_ERROR_UNSUPPORTED, "the filter “%s” is not supported", name), NULL);
}

/* ---- tests ---- */

static AssayJinjaValue *
test_arg (AssayJinjaArgs *args, const char *test, GError **error)
{
  AssayJinjaValue *v = assay_jinja_args_get (args, 0, NULL);

  if (args->names->len > 0 || args->args->len > 1)
    return FAIL_NULL ("the test “%s” takes one argument", test);
  if (v == NULL)
    return FAIL_NULL ("the test “%s” needs an argument", test);
  return v;
}

static gboolean
number_or_error (AssayJinjaValue *value, GError **error)
{
  if (value->kind == ASSAY_JINJA_UNDEFINED)
    return assay_jinja_undefined_error (value, error);
  if (!assay_jinja_value_is_number (value))
    return fail (error, ASSAY_ERROR_INVALID_INPUT,
                 "unsupported operand type(s) for %%: '%s' and 'int'",
                 assay_jinja_value_type_name (value));
  return TRUE;
}

gboolean
assay_jinja_test_apply (const char *name, AssayJinjaValue *value, AssayJinjaArgs *args,
                        gboolean *result, GError **error)
{
  AssayJinjaKind   k = value->kind;
  AssayJinjaValue *arg;

  if (strcmp (name, "defined") == 0 || strcmp (name, "undefined") == 0 || strcmp (name, "none") == 0
      || strcmp (name, "boolean") == 0 || strcmp (name, "false") == 0 || strcmp (name, "true") == 0
      || strcmp (name, "integer") == 0 || strcmp (name, "float") == 0
      || strcmp (name, "number") == 0 || strcmp (name, "string") == 0
      || strcmp (name, "mapping") == 0 || strcmp (name, "iterable") == 0
      || strcmp (name, "sequence") == 0 || strcmp (name, "callable") == 0
      || strcmp (name, "odd") == 0 || strcmp (name, "even") == 0 || strcmp (name, "lower") == 0
      || strcmp (name, "upper") == 0 || strcmp (name, "escaped") == 0)
    {
      if (!assay_jinja_args_check (args, name, 0, NULL, error))
        return FALSE;
    }
  if (strcmp (name, "defined") == 0)
    *result = k != ASSAY_JINJA_UNDEFINED;
  else if (strcmp (name, "undefined") == 0)
    *result = k == ASSAY_JINJA_UNDEFINED;
  else if (strcmp (name, "none") == 0)
    *result = k == ASSAY_JINJA_NONE;
  else if (strcmp (name, "boolean") == 0)
    *result = k == ASSAY_JINJA_BOOL;
  else if (strcmp (name, "false") == 0)
    *result = k == ASSAY_JINJA_BOOL && !value->b;
  else if (strcmp (name, "true") == 0)
    *result = k == ASSAY_JINJA_BOOL && value->b;
  else if (strcmp (name, "integer") == 0)
    *result = k == ASSAY_JINJA_INT;
  else if (strcmp (name, "float") == 0)
    *result = k == ASSAY_JINJA_FLOAT;
  else if (strcmp (name, "number") == 0)
    *result = assay_jinja_value_is_number (value);
  else if (strcmp (name, "string") == 0)
    *result = k == ASSAY_JINJA_STRING;
  else if (strcmp (name, "mapping") == 0)
    *result = k == ASSAY_JINJA_DICT;
  else if (strcmp (name, "iterable") == 0)
    *result = k == ASSAY_JINJA_UNDEFINED || k == ASSAY_JINJA_STRING || k == ASSAY_JINJA_LIST
              || k == ASSAY_JINJA_DICT || k == ASSAY_JINJA_LOOP;
  else if (strcmp (name, "sequence") == 0)
    *result = k == ASSAY_JINJA_UNDEFINED || k == ASSAY_JINJA_STRING || k == ASSAY_JINJA_DICT
              || (k == ASSAY_JINJA_LIST && value->list.flavour != ASSAY_JINJA_GENERATOR);
  else if (strcmp (name, "callable") == 0)
    *result = k == ASSAY_JINJA_CALLABLE || k == ASSAY_JINJA_UNDEFINED;
  else if (strcmp (name, "odd") == 0 || strcmp (name, "even") == 0)
    {
      if (!number_or_error (value, error))
        return FALSE;
      if (k == ASSAY_JINJA_FLOAT)
        *result = py_fmod (value->f, 2.0) == (name[0] == 'o' ? 1.0 : 0.0);
      else
        *result = (((int_of (value) % 2) + 2) % 2) == (name[0] == 'o' ? 1 : 0);
    }
  else if (strcmp (name, "divisibleby") == 0)
    {
      if ((arg = test_arg (args, name, error)) == NULL || !number_or_error (value, error)
          || !number_or_error (arg, error))
        return FALSE;
      if (assay_jinja_value_as_double (arg) == 0.0)
        return fail (error, ASSAY_ERROR_INVALID_INPUT, "integer division or modulo by zero");
      if (k == ASSAY_JINJA_FLOAT || arg->kind == ASSAY_JINJA_FLOAT)
        *result = py_fmod (assay_jinja_value_as_double (value), assay_jinja_value_as_double (arg))
                  == 0.0;
      else
        *result = int_of (arg) == -1 || int_of (value) % int_of (arg) == 0;
    }
  else if (strcmp (name, "lower") == 0 || strcmp (name, "upper") == 0)
    {
      g_autoptr (AssayJinjaValue) s = as_string (value, error);
      g_autoptr (AssayJinjaValue) r = NULL;
      AssayJinjaArgs none;

      if (s == NULL)
        return FALSE;
      assay_jinja_args_init (&none);
      r = string_method (s, name[0] == 'l' ? "islower" : "isupper", &none, error);
      assay_jinja_args_clear (&none);
      if (r == NULL)
        return FALSE;
      *result = r->b;
    }
  else if (strcmp (name, "escaped") == 0)
    *result = FALSE;
  else if (strcmp (name, "sameas") == 0)
    {
      if ((arg = test_arg (args, name, error)) == NULL)
        return FALSE;
      if (value->kind == arg->kind
          && (k == ASSAY_JINJA_NONE || k == ASSAY_JINJA_UNDEFINED
              || (k == ASSAY_JINJA_BOOL && value->b == arg->b)))
        *result = TRUE;
      else
        *result = value == arg;
    }
  else if (strcmp (name, "in") == 0)
    {
      if ((arg = test_arg (args, name, error)) == NULL)
        return FALSE;
      return assay_jinja_compare_op ("in", value, arg, result, error);
    }
  else
    {
      static const struct
      {
        const char *test, *op;
      } comparisons[] = {
        { "eq", "==" }, { "equalto", "==" },    { "==", "==" }, { "ne", "!=" }, { "!=", "!=" },
        { "lt", "<" },  { "lessthan", "<" },    { "<", "<" },   { "le", "<=" }, { "<=", "<=" },
        { "gt", ">" },  { "greaterthan", ">" }, { ">", ">" },   { "ge", ">=" }, { ">=", ">=" },
      };

      for (guint i = 0; i < G_N_ELEMENTS (comparisons); i++)
        if (strcmp (comparisons[i].test, name) == 0)
          {
            if ((arg = test_arg (args, name, error)) == NULL)
              return FALSE;
            return assay_jinja_compare_op (comparisons[i].op, value, arg, result, error);
          }
      return fail (error, ASSAY_ERROR_UNSUPPORTED, "the test “%s” is not supported", name);
    }
  return TRUE;
}

static const char *const supported_tests[]
    = { "defined",  "undefined", "none",        "boolean", "false",    "true",        "integer",
        "float",    "number",    "string",      "mapping", "iterable", "sequence",    "callable",
        "odd",      "even",      "divisibleby", "lower",   "upper",    "escaped",     "sameas",
        "in",       "eq",        "equalto",     "==",      "ne",       "!=",          "lt",
        "lessthan", "<",         "le",          "<=",      "gt",       "greaterthan", ">",
        "ge",       ">=",        NULL };
static const char *const unsupported_tests[] = { "filter", "test", NULL };

AssayJinjaBuiltin
assay_jinja_test_lookup (const char *name)
{
  if (name_in (name, supported_tests))
    return ASSAY_JINJA_BUILTIN_OK;
  return name_in (name, unsupported_tests) ? ASSAY_JINJA_BUILTIN_UNSUPPORTED
                                           : ASSAY_JINJA_BUILTIN_MISSING;
}
