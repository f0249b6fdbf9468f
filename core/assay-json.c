/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assay-error.h"

static gboolean
check_fail (GError **error, const char *text, const char *at, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
check_fail (GError **error, const char *text, const char *at, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list          args;
  gsize            line = 1;
  const char      *line_start = text;

  for (const char *p = text; p < at; p++)
    if (*p == '\n')
      {
        line++;
        line_start = p + 1;
      }
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (line == 1)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s (column %zu)", what,
                 (gsize) (at - line_start) + 1);
  else
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s (line %zu, column %zu)", what,
                 line, (gsize) (at - line_start) + 1);
  return FALSE;
}

/* Checks the number starting at p (end = the end of the text); sets *next past it. */
static gboolean
check_number (const char *text, const char *p, const char *end, const char **next, GError **error)
{
  const char      *q = p;
  gboolean         real = FALSE;
  g_autofree char *token = NULL;
  char            *stop = NULL;

  if (*q == '-' || *q == '+')
    q++;
  while (q < end && (g_ascii_isdigit (*q) || *q == '.' || *q == 'e' || *q == 'E'
                     || ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E'))))
    {
      if (*q == '.' || *q == 'e' || *q == 'E')
        real = TRUE;
      q++;
    }
  *next = q;
  if (q - p > 64 * 1024)
    return check_fail (error, text, p, "a number of %zu characters", (gsize) (q - p));
  token = g_strndup (p, q - p);
  errno = 0;
  if (!real)
    {
      (void) g_ascii_strtoll (token, &stop, 10);
      if (errno == ERANGE)
        return check_fail (error, text, p, "the integer %.40s%s does not fit in 64 bits", token,
                           strlen (token) > 40 ? "…" : "");
    }
  else
    {
      double v = g_ascii_strtod (token, &stop);

      if (isinf (v) || isnan (v))
        return check_fail (error, text, p, "the number %.40s%s is out of range for a double",
                           token, strlen (token) > 40 ? "…" : "");
    }
  return TRUE;
}

/* The check proper. json-glib (1.6) does not know "//" line comments: its scanner's single-line
 * comment pair is "//", so a '/' opens a comment that the next '/' closes ("// x" is an empty
 * comment, then x), and it reads single-quoted strings (no escapes) besides double-quoted ones.
 * The check reads text the same way, and "//" to the end of the line as a comment; *line_comments
 * says whether there was one, and blank (a copy of text, or NULL) gets each of them overwritten
 * with spaces, so that json-glib is given exactly what the check read. */
static gboolean
check_text (const char *text, const char *end, gboolean *line_comments, char *blank,
            GError **error)
{
  const char *p = text;
  guint       depth = 0;
  gboolean    any = FALSE;
  gboolean    closed = FALSE; /* a whole top-level object, array or string has been read */

  while (p < end)
    {
      char c = *p;

      switch (c)
        {
        case ' ': case '\t': case '\n': case '\r':
          p++;
          continue;
        case '/':
          if (p + 1 < end && p[1] == '/')
            {
              const char *nl = memchr (p, '\n', end - p);
              const char *stop = nl != NULL ? nl : end;
              if (line_comments != NULL)
                *line_comments = TRUE;
              if (blank != NULL)
                memset (blank + (p - text), ' ', stop - p);
              p = nl != NULL ? nl + 1 : end;
              continue;
            }
          if (p + 1 < end && p[1] == '*')
            {
              const char *q = p + 2;
              while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
                q++;
              p = q + 1 < end ? q + 2 : end;
              continue;
            }
          {
            const char *q = memchr (p + 1, '/', end - (p + 1));
            p = q != NULL ? q + 1 : end;
          }
          continue;
        case '"':
          if (closed && depth == 0)
            return check_fail (error, text, p, "a second JSON value after the first");
          any = TRUE;
          closed = depth == 0;
          for (p++; p < end && *p != '"'; p++)
            if (*p == '\\' && p + 1 < end)
              p++;
          p++;
          continue;
        case '\'':
          any = TRUE;
          {
            const char *q = memchr (p + 1, '\'', end - (p + 1));
            p = q != NULL ? q + 1 : end;
          }
          continue;
        case '[': case '{':
          /* json-glib reads the first value and drops the rest of "{...} {...}" */
          if (closed && depth == 0)
            return check_fail (error, text, p, "a second JSON value after the first");
          any = TRUE;
          if (++depth > ASSAY_JSON_MAX_DEPTH)
            return check_fail (error, text, p, "JSON nested deeper than %d levels",
                               ASSAY_JSON_MAX_DEPTH);
          p++;
          continue;
        case ']': case '}':
          if (depth > 0 && --depth == 0)
            closed = TRUE;
          p++;
          continue;
        default:
          any = TRUE;
          if (c == '-' || g_ascii_isdigit (c))
            {
              if (!check_number (text, p, end, &p, error))
                return FALSE;
              continue;
            }
          p++;
          continue;
        }
    }
  if (!any)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           end == text ? "empty, no JSON value" : "no JSON value, only blanks or comments");
      return FALSE;
    }
  return TRUE;
}

gboolean
assay_json_check (const char *text, gssize len, GError **error)
{
  return check_text (text, len < 0 ? text + strlen (text) : text + len, NULL, NULL, error);
}

gboolean
assay_json_parser_load (JsonParser *parser, const char *text, gssize len, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *blanked = NULL;
  const char      *m;
  guint            line = 0, column = 0;
  int              used = 0;
  gsize            size = len < 0 ? strlen (text) : (gsize) len;
  gboolean         line_comments = FALSE;

  if (!check_text (text, text + size, &line_comments, NULL, error))
    return FALSE;
  if (line_comments)
    {
      /* json-glib would read on after "//": give it the text with those comments blanked */
      blanked = g_malloc (size + 1);
      memcpy (blanked, text, size);
      blanked[size] = '\0';
      check_text (text, text + size, NULL, blanked, NULL);
      text = blanked;
    }
  if (json_parser_load_from_data (parser, text, (gssize) size, &local))
    {
      if (json_parser_get_root (parser) != NULL)
        return TRUE;
      /* whatever the check took for a value, json-glib found none */
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "no JSON value, only blanks or comments");
      return FALSE;
    }
  /* json-glib says "<data>:L:C: Parse error: what"; say "what (line L, column C)" */
  m = local->message;
  if (g_str_has_prefix (m, "<data>:") && sscanf (m + 7, "%u:%u: %n", &line, &column, &used) == 2
      && used > 0)
    {
      m += 7 + used;
      if (g_str_has_prefix (m, "Parse error: "))
        m += strlen ("Parse error: ");
      if (line <= 1)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s (column %u)", m, column);
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s (line %u, column %u)", m,
                     line, column);
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
assay_json_parser_load_file (JsonParser *parser, const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  const char *data;
  gsize       len;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "is a folder, not a JSON file");
      return FALSE;
    }
  if ((mapped = g_mapped_file_new (path, FALSE, error)) == NULL)
    return FALSE;
  data = g_mapped_file_get_contents (mapped);
  len = g_mapped_file_get_length (mapped);
  if (data == NULL || len == 0)
    return assay_json_parser_load (parser, "", 0, error);
  if (!g_utf8_validate_len (data, len, NULL))
    {
      const char *bad = NULL;

      g_utf8_validate_len (data, len, &bad);
      return check_fail (error, data, bad, "not UTF-8 text");
    }
  return assay_json_parser_load (parser, data, (gssize) len, error);
}

/* json-glib (1.6) writes a double in exponent form with ".0" after it ("1e-10.0"), which is not
 * JSON: outside strings, a ".0" right after a number's exponent is dropped. */
static void
fix_exponents (char *text)
{
  gboolean in_string = FALSE, escaped = FALSE, in_number = FALSE, exponent = FALSE;
  char    *out = text;

  for (const char *p = text; *p; p++)
    {
      char c = *p;
      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          *out++ = c;
          continue;
        }
      if (c == '"')
        {
          in_string = TRUE;
          in_number = exponent = FALSE;
        }
      else if (g_ascii_isdigit (c) || ((c == '-' || c == '+') && in_number))
        in_number = TRUE;
      else if ((c == 'e' || c == 'E') && in_number)
        exponent = TRUE;
      else if (c == '.' && in_number && exponent && p[1] == '0' && !g_ascii_isdigit (p[2]))
        {
          p++; /* skip ".0" */
          continue;
        }
      else if (c != '.')
        in_number = exponent = FALSE;
      *out++ = c;
    }
  *out = '\0';
}

/* json-glib writes U+001F raw inside strings (it escapes the other control characters): a
 * control character left raw in a string is escaped as \u00XX, so that the text is JSON. (The
 * pretty printer's newlines and indents are outside strings and stay.) */
static char *
escape_controls (char *text)
{
  gboolean in_string = FALSE, escaped = FALSE;
  GString *out = NULL;

  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;

      if (in_string && !escaped && c < 0x20)
        {
          if (out == NULL)
            {
              out = g_string_sized_new (strlen (text) + 16);
              g_string_append_len (out, text, p - text);
            }
          g_string_append_printf (out, "\\u%04x", c);
          continue;
        }
      if (in_string && escaped)
        escaped = FALSE;
      else if (in_string && c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = !in_string;
      if (out != NULL)
        g_string_append_c (out, (char) c);
    }
  if (out == NULL)
    return text;
  g_free (text);
  return g_string_free (out, FALSE);
}

char *
assay_json_node_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  char *text;

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, pretty);
  text = json_generator_to_data (gen, NULL);
  fix_exponents (text);
  return escape_controls (text);
}

char *
assay_json_object_to_string (JsonObject *object, gboolean pretty)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return assay_json_node_to_string (node, pretty);
}

JsonObject *
assay_json_object_from_string (const char *text, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!assay_json_parser_load (parser, text, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "expected a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
member_value (JsonObject *object, const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  return JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

const char *
assay_json_get_string (JsonObject *object, const char *member, const char *fallback)
{
  JsonNode *node = member_value (object, member);

  return node != NULL && json_node_get_value_type (node) == G_TYPE_STRING
           ? json_node_get_string (node)
           : fallback;
}

gint64
assay_json_get_int (JsonObject *object, const char *member, gint64 fallback)
{
  JsonNode *node = member_value (object, member);
  GType     type;

  if (node == NULL)
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  if (type == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  return fallback;
}

double
assay_json_get_double (JsonObject *object, const char *member, double fallback)
{
  JsonNode *node = member_value (object, member);
  GType     type;

  if (node == NULL)
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
    return json_node_get_double (node);
  return fallback;
}

gboolean
assay_json_get_bool (JsonObject *object, const char *member, gboolean fallback)
{
  JsonNode *node = member_value (object, member);

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node) != 0;
  return fallback;
}
