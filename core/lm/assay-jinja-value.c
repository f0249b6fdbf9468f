/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jinja-value.c: Python's value semantics for the chat-template renderer. */
#include "assay-jinja-value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

static AssayJinjaValue *
value_new (AssayJinjaKind kind)
{
  AssayJinjaValue *v = g_new0 (AssayJinjaValue, 1);

  v->ref_count = 1;
  v->kind = kind;
  return v;
}

AssayJinjaValue *
assay_jinja_value_ref (AssayJinjaValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  value->ref_count++;
  return value;
}

void
assay_jinja_value_unref (AssayJinjaValue *value)
{
  if (value == NULL || --value->ref_count > 0)
    return;
  switch (value->kind)
    {
    case ASSAY_JINJA_STRING:
      g_free (value->str.s);
      break;
    case ASSAY_JINJA_LIST:
      g_ptr_array_unref (value->list.items);
      break;
    case ASSAY_JINJA_DICT:
    case ASSAY_JINJA_NAMESPACE:
      g_ptr_array_unref (value->dict.keys);
      g_ptr_array_unref (value->dict.values);
      break;
    case ASSAY_JINJA_UNDEFINED:
      g_free (value->undef.message);
      break;
    case ASSAY_JINJA_CALLABLE:
      g_free (value->call.name);
      if (value->call.destroy != NULL)
        value->call.destroy (value->call.data);
      assay_jinja_value_unref (value->call.self);
      break;
    case ASSAY_JINJA_LOOP:
      g_ptr_array_unref (value->loop.items);
      break;
    case ASSAY_JINJA_NONE:
    case ASSAY_JINJA_BOOL:
    case ASSAY_JINJA_INT:
    case ASSAY_JINJA_FLOAT:
      break;
    }
  g_free (value);
}

GPtrArray *
assay_jinja_value_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)assay_jinja_value_unref);
}

AssayJinjaValue *
assay_jinja_undefined_new (const char *message)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_UNDEFINED);

  v->undef.message = g_strdup (message != NULL ? message : "undefined value");
  return v;
}

AssayJinjaValue *
assay_jinja_undefined_new_missing (AssayJinjaValue *obj, AssayJinjaValue *key)
{
  g_autofree char *type = NULL;
  g_autoptr (GString) m = g_string_new (NULL);

  if (obj->kind == ASSAY_JINJA_NONE)
    type = g_strdup ("None");
  else
    type = g_strdup_printf ("%s object", assay_jinja_value_type_name (obj));
  if (key->kind == ASSAY_JINJA_STRING)
    {
      g_string_append_printf (m, "'%s' has no attribute ", type);
      assay_jinja_value_repr (key, m, NULL);
    }
  else
    {
      g_string_append_printf (m, "%s has no element ", type);
      if (!assay_jinja_value_repr (key, m, NULL))
        g_string_append (m, "?");
    }
  return assay_jinja_undefined_new (m->str);
}

AssayJinjaValue *
assay_jinja_none_new (void)
{
  return value_new (ASSAY_JINJA_NONE);
}

AssayJinjaValue *
assay_jinja_bool_new (gboolean b)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_BOOL);

  v->b = b ? TRUE : FALSE;
  return v;
}

AssayJinjaValue *
assay_jinja_int_new (gint64 i)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_INT);

  v->i = i;
  return v;
}

AssayJinjaValue *
assay_jinja_float_new (double f)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_FLOAT);

  v->f = f;
  return v;
}

AssayJinjaValue *
assay_jinja_string_new_take (char *s)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_STRING);

  v->str.s = s != NULL ? s : g_strdup ("");
  v->str.len = strlen (v->str.s);
  v->str.chars = -1;
  return v;
}

AssayJinjaValue *
assay_jinja_string_new (const char *s)
{
  return assay_jinja_string_new_take (g_strdup (s));
}

AssayJinjaValue *
assay_jinja_string_new_len (const char *s, gsize len)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_STRING);

  v->str.s = g_strndup (s, len);
  v->str.len = len;
  v->str.chars = -1;
  return v;
}

AssayJinjaValue *
assay_jinja_list_new (GPtrArray *items, AssayJinjaListFlavour flavour)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_LIST);

  v->list.items = items != NULL ? items : assay_jinja_value_array_new ();
  v->list.flavour = flavour;
  return v;
}

AssayJinjaValue *
assay_jinja_dict_new (void)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_DICT);

  v->dict.keys = assay_jinja_value_array_new ();
  v->dict.values = assay_jinja_value_array_new ();
  return v;
}

AssayJinjaValue *
assay_jinja_namespace_new (void)
{
  AssayJinjaValue *v = assay_jinja_dict_new ();

  v->kind = ASSAY_JINJA_NAMESPACE;
  return v;
}

AssayJinjaValue *
assay_jinja_callable_new (const char *name, AssayJinjaCallFunc func, gpointer data,
                          GDestroyNotify destroy, AssayJinjaValue *self)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_CALLABLE);

  v->call.name = g_strdup (name);
  v->call.func = func;
  v->call.data = data;
  v->call.destroy = destroy;
  v->call.self = self != NULL ? assay_jinja_value_ref (self) : NULL;
  return v;
}

AssayJinjaValue *
assay_jinja_loop_new (GPtrArray *items, guint index, guint depth)
{
  AssayJinjaValue *v = value_new (ASSAY_JINJA_LOOP);

  v->loop.items = g_ptr_array_ref (items);
  v->loop.index = index;
  v->loop.depth = depth;
  return v;
}

/* Dicts: linear search; chat messages and tool schemas have few keys. */
static int
dict_find (AssayJinjaValue *dict, AssayJinjaValue *key)
{
  for (guint i = 0; i < dict->dict.keys->len; i++)
    if (assay_jinja_value_equal (g_ptr_array_index (dict->dict.keys, i), key))
      return (int)i;
  return -1;
}

static int
dict_find_string (AssayJinjaValue *dict, const char *key)
{
  for (guint i = 0; i < dict->dict.keys->len; i++)
    {
      AssayJinjaValue *k = g_ptr_array_index (dict->dict.keys, i);

      if (k->kind == ASSAY_JINJA_STRING && strcmp (k->str.s, key) == 0)
        return (int)i;
    }
  return -1;
}

void
assay_jinja_dict_set (AssayJinjaValue *dict, AssayJinjaValue *key, AssayJinjaValue *value)
{
  int i = dict_find (dict, key);

  if (i >= 0)
    {
      assay_jinja_value_unref (g_ptr_array_index (dict->dict.values, i));
      g_ptr_array_index (dict->dict.values, i) = value;
      return;
    }
  g_ptr_array_add (dict->dict.keys, assay_jinja_value_ref (key));
  g_ptr_array_add (dict->dict.values, value);
}

void
assay_jinja_dict_set_string (AssayJinjaValue *dict, const char *key, AssayJinjaValue *value)
{
  g_autoptr (AssayJinjaValue) k = assay_jinja_string_new (key);

  assay_jinja_dict_set (dict, k, value);
}

AssayJinjaValue *
assay_jinja_dict_get (AssayJinjaValue *dict, AssayJinjaValue *key)
{
  int i = dict_find (dict, key);

  return i >= 0 ? g_ptr_array_index (dict->dict.values, i) : NULL;
}

AssayJinjaValue *
assay_jinja_dict_get_string (AssayJinjaValue *dict, const char *key)
{
  int i = dict_find_string (dict, key);

  return i >= 0 ? g_ptr_array_index (dict->dict.values, i) : NULL;
}

AssayJinjaValue *
assay_jinja_value_from_json (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return assay_jinja_none_new ();
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      AssayJinjaValue *d = assay_jinja_dict_new ();
      JsonObjectIter   iter;
      const char      *name;
      JsonNode        *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        assay_jinja_dict_set_string (d, name, assay_jinja_value_from_json (member));
      return d;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      GPtrArray *items = assay_jinja_value_array_new ();

      for (guint i = 0; i < json_array_get_length (a); i++)
        g_ptr_array_add (items, assay_jinja_value_from_json (json_array_get_element (a, i)));
      return assay_jinja_list_new (items, ASSAY_JINJA_PLAIN_LIST);
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      return assay_jinja_bool_new (json_node_get_boolean (node));
    case G_TYPE_INT64:
      return assay_jinja_int_new (json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return assay_jinja_float_new (json_node_get_double (node));
    case G_TYPE_STRING:
      return assay_jinja_string_new (json_node_get_string (node));
    default:
      return assay_jinja_none_new ();
    }
}

const char *
assay_jinja_value_type_name (AssayJinjaValue *value)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      return "Undefined";
    case ASSAY_JINJA_NONE:
      return "NoneType";
    case ASSAY_JINJA_BOOL:
      return "bool";
    case ASSAY_JINJA_INT:
      return "int";
    case ASSAY_JINJA_FLOAT:
      return "float";
    case ASSAY_JINJA_STRING:
      return "str";
    case ASSAY_JINJA_DICT:
      return "dict";
    case ASSAY_JINJA_NAMESPACE:
      return "Namespace";
    case ASSAY_JINJA_CALLABLE:
      return value->call.self != NULL ? "builtin_function_or_method" : "function";
    case ASSAY_JINJA_LOOP:
      return "LoopContext";
    case ASSAY_JINJA_LIST:
      switch (value->list.flavour)
        {
        case ASSAY_JINJA_PLAIN_LIST:
          return "list";
        case ASSAY_JINJA_TUPLE:
          return "tuple";
        case ASSAY_JINJA_DICT_ITEMS:
          return "dict_items";
        case ASSAY_JINJA_DICT_KEYS:
          return "dict_keys";
        case ASSAY_JINJA_DICT_VALUES:
          return "dict_values";
        case ASSAY_JINJA_GENERATOR:
          return "generator";
        case ASSAY_JINJA_RANGE:
          return "range";
        }
    }
  return "object";
}

gboolean
assay_jinja_value_is_sequence_like (AssayJinjaValue *value)
{
  return value->kind == ASSAY_JINJA_LIST;
}

gboolean
assay_jinja_value_is_number (AssayJinjaValue *value)
{
  return value->kind == ASSAY_JINJA_BOOL || value->kind == ASSAY_JINJA_INT
         || value->kind == ASSAY_JINJA_FLOAT;
}

double
assay_jinja_value_as_double (AssayJinjaValue *value)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_BOOL:
      return value->b ? 1.0 : 0.0;
    case ASSAY_JINJA_INT:
      return (double)value->i;
    case ASSAY_JINJA_FLOAT:
      return value->f;
    default:
      return 0.0;
    }
}

glong
assay_jinja_string_chars (AssayJinjaValue *value)
{
  if (value->str.chars < 0)
    value->str.chars = g_utf8_strlen (value->str.s, (gssize)value->str.len);
  return value->str.chars;
}

gboolean
assay_jinja_value_truthy (AssayJinjaValue *value)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
    case ASSAY_JINJA_NONE:
      return FALSE;
    case ASSAY_JINJA_BOOL:
      return value->b;
    case ASSAY_JINJA_INT:
      return value->i != 0;
    case ASSAY_JINJA_FLOAT:
      return value->f != 0.0;
    case ASSAY_JINJA_STRING:
      return value->str.len > 0;
    case ASSAY_JINJA_LIST:
      return value->list.flavour == ASSAY_JINJA_GENERATOR || value->list.items->len > 0;
    case ASSAY_JINJA_DICT:
      return value->dict.keys->len > 0;
    case ASSAY_JINJA_NAMESPACE:
    case ASSAY_JINJA_CALLABLE:
    case ASSAY_JINJA_LOOP:
      return TRUE;
    }
  return FALSE;
}

gboolean
assay_jinja_unichar_isspace (gunichar c)
{
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028
         || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Python's str.isprintable() for one code point. */
static gboolean
unichar_isprintable (gunichar c)
{
  if (c < 0x80)
    return c >= 0x20 && c < 0x7f;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SPACE_SEPARATOR:
      return FALSE;
    default:
      return TRUE;
    }
}

void
assay_jinja_float_repr (double f, GString *out)
{
  char buf[64], digits[32];
  int  precision, exponent, decpt, n = 0;

  if (isnan (f))
    {
      g_string_append (out, "nan");
      return;
    }
  if (isinf (f))
    {
      g_string_append (out, f < 0 ? "-inf" : "inf");
      return;
    }
  if (signbit (f))
    {
      g_string_append_c (out, '-');
      f = -f;
    }
  if (f == 0.0)
    {
      g_string_append (out, "0.0");
      return;
    }
  /* the shortest digits that read back as f, as Python's repr */
  for (precision = 1; precision <= 17; precision++)
    {
      snprintf (buf, sizeof buf, "%.*e", precision - 1, f);
      if (strtod (buf, NULL) == f)
        break;
    }
  for (const char *p = buf; *p != 'e'; p++)
    if (g_ascii_isdigit (*p))
      digits[n++] = *p;
  while (n > 1 && digits[n - 1] == '0')
    n--;
  digits[n] = '\0';
  exponent = atoi (strchr (buf, 'e') + 1);
  decpt = exponent + 1;
  if (decpt > -4 && decpt <= 16)
    {
      if (decpt <= 0)
        {
          g_string_append (out, "0.");
          for (int i = 0; i < -decpt; i++)
            g_string_append_c (out, '0');
          g_string_append (out, digits);
        }
      else if (decpt >= n)
        {
          g_string_append (out, digits);
          for (int i = n; i < decpt; i++)
            g_string_append_c (out, '0');
          g_string_append (out, ".0");
        }
      else
        {
          g_string_append_len (out, digits, decpt);
          g_string_append_c (out, '.');
          g_string_append (out, digits + decpt);
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (n > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
    }
}

static void
string_repr (const char *s, GString *out)
{
  char quote = '\'';

  if (strchr (s, '\'') != NULL && strchr (s, '"') == NULL)
    quote = '"';
  g_string_append_c (out, quote);
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == (gunichar)quote || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char)c);
        }
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (unichar_isprintable (c))
        g_string_append_unichar (out, c);
      else if (c < 0x100)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c < 0x10000)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_printf (out, "\\U%08x", c);
    }
  g_string_append_c (out, quote);
}

static gboolean
not_printable (AssayJinjaValue *value, GError **error)
{
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
               "printing a value of type “%s” is not supported",
               assay_jinja_value_type_name (value));
  return FALSE;
}

gboolean
assay_jinja_value_repr (AssayJinjaValue *value, GString *out, GError **error)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      g_string_append (out, "Undefined");
      return TRUE;
    case ASSAY_JINJA_STRING:
      string_repr (value->str.s, out);
      return TRUE;
    case ASSAY_JINJA_LIST:
      {
        const char *open = "[", *close = "]";
        GPtrArray  *items = value->list.items;

        switch (value->list.flavour)
          {
          case ASSAY_JINJA_PLAIN_LIST:
            break;
          case ASSAY_JINJA_TUPLE:
            open = "(";
            close = items->len == 1 ? ",)" : ")";
            break;
          case ASSAY_JINJA_DICT_ITEMS:
            open = "dict_items([";
            close = "])";
            break;
          case ASSAY_JINJA_DICT_KEYS:
            open = "dict_keys([";
            close = "])";
            break;
          case ASSAY_JINJA_DICT_VALUES:
            open = "dict_values([";
            close = "])";
            break;
          case ASSAY_JINJA_GENERATOR:
          case ASSAY_JINJA_RANGE:
            return not_printable (value, error);
          }
        g_string_append (out, open);
        for (guint i = 0; i < items->len; i++)
          {
            if (i > 0)
              g_string_append (out, ", ");
            if (!assay_jinja_value_repr (g_ptr_array_index (items, i), out, error))
              return FALSE;
          }
        g_string_append (out, close);
        return TRUE;
      }
    case ASSAY_JINJA_DICT:
    case ASSAY_JINJA_NAMESPACE:
      g_string_append (out, value->kind == ASSAY_JINJA_NAMESPACE ? "<Namespace {" : "{");
      for (guint i = 0; i < value->dict.keys->len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          if (!assay_jinja_value_repr (g_ptr_array_index (value->dict.keys, i), out, error))
            return FALSE;
          g_string_append (out, ": ");
          if (!assay_jinja_value_repr (g_ptr_array_index (value->dict.values, i), out, error))
            return FALSE;
        }
      g_string_append (out, value->kind == ASSAY_JINJA_NAMESPACE ? "}>" : "}");
      return TRUE;
    default:
      return assay_jinja_value_str (value, out, error);
    }
}

gboolean
assay_jinja_value_str (AssayJinjaValue *value, GString *out, GError **error)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      return TRUE;
    case ASSAY_JINJA_NONE:
      g_string_append (out, "None");
      return TRUE;
    case ASSAY_JINJA_BOOL:
      g_string_append (out, value->b ? "True" : "False");
      return TRUE;
    case ASSAY_JINJA_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, value->i);
      return TRUE;
    case ASSAY_JINJA_FLOAT:
      assay_jinja_float_repr (value->f, out);
      return TRUE;
    case ASSAY_JINJA_STRING:
      g_string_append_len (out, value->str.s, (gssize)value->str.len);
      return TRUE;
    case ASSAY_JINJA_LIST:
    case ASSAY_JINJA_DICT:
    case ASSAY_JINJA_NAMESPACE:
      return assay_jinja_value_repr (value, out, error);
    case ASSAY_JINJA_CALLABLE:
    case ASSAY_JINJA_LOOP:
      return not_printable (value, error);
    }
  return not_printable (value, error);
}

char *
assay_jinja_value_to_str (AssayJinjaValue *value, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);

  if (!assay_jinja_value_str (value, out, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
list_family_equal (AssayJinjaListFlavour a, AssayJinjaListFlavour b)
{
  return a == b && a != ASSAY_JINJA_GENERATOR && a != ASSAY_JINJA_DICT_ITEMS
         && a != ASSAY_JINJA_DICT_VALUES;
}

gboolean
assay_jinja_value_equal (AssayJinjaValue *a, AssayJinjaValue *b)
{
  if (a == b)
    return TRUE;
  if (assay_jinja_value_is_number (a) && assay_jinja_value_is_number (b))
    {
      if (a->kind != ASSAY_JINJA_FLOAT && b->kind != ASSAY_JINJA_FLOAT)
        return (a->kind == ASSAY_JINJA_INT ? a->i : a->b)
               == (b->kind == ASSAY_JINJA_INT ? b->i : b->b);
      return assay_jinja_value_as_double (a) == assay_jinja_value_as_double (b);
    }
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
    case ASSAY_JINJA_NONE:
      return TRUE;
    case ASSAY_JINJA_STRING:
      return a->str.len == b->str.len && memcmp (a->str.s, b->str.s, a->str.len) == 0;
    case ASSAY_JINJA_LIST:
      if (!list_family_equal (a->list.flavour, b->list.flavour)
          || a->list.items->len != b->list.items->len)
        return FALSE;
      for (guint i = 0; i < a->list.items->len; i++)
        if (!assay_jinja_value_equal (g_ptr_array_index (a->list.items, i),
                                      g_ptr_array_index (b->list.items, i)))
          return FALSE;
      return TRUE;
    case ASSAY_JINJA_DICT:
      if (a->dict.keys->len != b->dict.keys->len)
        return FALSE;
      for (guint i = 0; i < a->dict.keys->len; i++)
        {
          AssayJinjaValue *other = assay_jinja_dict_get (b, g_ptr_array_index (a->dict.keys, i));

          if (other == NULL
              || !assay_jinja_value_equal (g_ptr_array_index (a->dict.values, i), other))
            return FALSE;
        }
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
assay_jinja_value_compare (AssayJinjaValue *a, AssayJinjaValue *b, int *result, GError **error)
{
  if (assay_jinja_value_is_number (a) && assay_jinja_value_is_number (b))
    {
      if (a->kind != ASSAY_JINJA_FLOAT && b->kind != ASSAY_JINJA_FLOAT)
        {
          gint64 x = a->kind == ASSAY_JINJA_INT ? a->i : a->b,
                 y = b->kind == ASSAY_JINJA_INT ? b->i : b->b;

          *result = x < y ? -1 : x > y;
        }
      else
        {
          double x = assay_jinja_value_as_double (a), y = assay_jinja_value_as_double (b);

          *result = x < y ? -1 : x > y;
        }
      return TRUE;
    }
  if (a->kind == ASSAY_JINJA_STRING && b->kind == ASSAY_JINJA_STRING)
    {
      int c = strcmp (a->str.s, b->str.s);

      *result = c < 0 ? -1 : c > 0;
      return TRUE;
    }
  if (a->kind == ASSAY_JINJA_LIST && b->kind == ASSAY_JINJA_LIST
      && list_family_equal (a->list.flavour, b->list.flavour)
      && (a->list.flavour == ASSAY_JINJA_PLAIN_LIST || a->list.flavour == ASSAY_JINJA_TUPLE))
    {
      guint n = MIN (a->list.items->len, b->list.items->len);

      for (guint i = 0; i < n; i++)
        {
          AssayJinjaValue *x = g_ptr_array_index (a->list.items, i),
                          *y = g_ptr_array_index (b->list.items, i);

          if (!assay_jinja_value_equal (x, y))
            return assay_jinja_value_compare (x, y, result, error);
        }
      *result
          = a->list.items->len < b->list.items->len ? -1 : a->list.items->len > b->list.items->len;
      return TRUE;
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               "'<' not supported between instances of '%s' and '%s'",
               assay_jinja_value_type_name (a), assay_jinja_value_type_name (b));
  return FALSE;
}

gboolean
assay_jinja_value_iterate (AssayJinjaValue *value, GPtrArray **items, GError **error)
{
  GPtrArray *out = assay_jinja_value_array_new ();

  switch (value->kind)
    {
    case ASSAY_JINJA_UNDEFINED:
      break;
    case ASSAY_JINJA_STRING:
      for (const char *p = value->str.s; *p != '\0'; p = g_utf8_next_char (p))
        g_ptr_array_add (out, assay_jinja_string_new_len (p, (gsize)(g_utf8_next_char (p) - p)));
      break;
    case ASSAY_JINJA_LIST:
      for (guint i = 0; i < value->list.items->len; i++)
        g_ptr_array_add (out, assay_jinja_value_ref (g_ptr_array_index (value->list.items, i)));
      break;
    case ASSAY_JINJA_DICT:
      for (guint i = 0; i < value->dict.keys->len; i++)
        g_ptr_array_add (out, assay_jinja_value_ref (g_ptr_array_index (value->dict.keys, i)));
      break;
    default:
      g_ptr_array_unref (out);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "'%s' object is not iterable",
                   assay_jinja_value_type_name (value));
      return FALSE;
    }
  *items = out;
  return TRUE;
}

static void
json_string (const char *s, gsize len, gboolean ensure_ascii, GString *out)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char)s[i];

      if (c >= 0x80 && ensure_ascii)
        {
          gunichar u = g_utf8_get_char_validated (s + i, (gssize)(len - i));

          if (u == (gunichar)-1 || u == (gunichar)-2)
            u = 0xfffd;
          else
            i += (gsize)(g_utf8_next_char (s + i) - (s + i)) - 1;
          if (u >= 0x10000)
            g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + ((u - 0x10000) >> 10),
                                    0xdc00 + ((u - 0x10000) & 0x3ff));
          else
            g_string_append_printf (out, "\\u%04x", u);
          continue;
        }

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char)c);
        }
    }
  g_string_append_c (out, '"');
}

static void
json_newline (const char *indent, int level, GString *out)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < level; i++)
    g_string_append (out, indent);
}

/* A dict key as json.dumps writes it; FALSE for keys JSON cannot have. */
static gboolean
json_key (AssayJinjaValue *key, gboolean ensure_ascii, GString *out, GError **error)
{
  g_autoptr (GString) s = g_string_new (NULL);

  switch (key->kind)
    {
    case ASSAY_JINJA_STRING:
      json_string (key->str.s, key->str.len, ensure_ascii, out);
      return TRUE;
    case ASSAY_JINJA_BOOL:
      g_string_append (s, key->b ? "true" : "false");
      break;
    case ASSAY_JINJA_NONE:
      g_string_append (s, "null");
      break;
    case ASSAY_JINJA_INT:
    case ASSAY_JINJA_FLOAT:
      assay_jinja_value_str (key, s, NULL);
      break;
    default:
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "keys must be str, int, float, bool or None, not %s",
                   assay_jinja_value_type_name (key));
      return FALSE;
    }
  json_string (s->str, s->len, ensure_ascii, out);
  return TRUE;
}

static int
compare_key_index (gconstpointer a, gconstpointer b, gpointer keys)
{
  AssayJinjaValue *x = g_ptr_array_index ((GPtrArray *)keys, *(const guint *)a);
  AssayJinjaValue *y = g_ptr_array_index ((GPtrArray *)keys, *(const guint *)b);
  int              r = 0;

  assay_jinja_value_compare (x, y, &r, NULL);
  return r;
}

static gboolean
dump_json (AssayJinjaValue *value, const char *indent, const char *item_sep, const char *key_sep,
           gboolean sort_keys, gboolean ensure_ascii, int level, GString *out, GError **error)
{
  switch (value->kind)
    {
    case ASSAY_JINJA_NONE:
      g_string_append (out, "null");
      return TRUE;
    case ASSAY_JINJA_BOOL:
      g_string_append (out, value->b ? "true" : "false");
      return TRUE;
    case ASSAY_JINJA_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, value->i);
      return TRUE;
    case ASSAY_JINJA_FLOAT:
      if (isnan (value->f))
        g_string_append (out, "NaN");
      else if (isinf (value->f))
        g_string_append (out, value->f < 0 ? "-Infinity" : "Infinity");
      else
        assay_jinja_float_repr (value->f, out);
      return TRUE;
    case ASSAY_JINJA_STRING:
      json_string (value->str.s, value->str.len, ensure_ascii, out);
      return TRUE;
    case ASSAY_JINJA_LIST:
      if (value->list.flavour == ASSAY_JINJA_PLAIN_LIST || value->list.flavour == ASSAY_JINJA_TUPLE)
        {
          GPtrArray *items = value->list.items;

          if (items->len == 0)
            {
              g_string_append (out, "[]");
              return TRUE;
            }
          g_string_append_c (out, '[');
          for (guint i = 0; i < items->len; i++)
            {
              if (i > 0)
                g_string_append (out, item_sep);
              if (indent != NULL)
                json_newline (indent, level + 1, out);
              if (!dump_json (g_ptr_array_index (items, i), indent, item_sep, key_sep, sort_keys,
                              ensure_ascii, level + 1, out, error))
                return FALSE;
            }
          if (indent != NULL)
            json_newline (indent, level, out);
          g_string_append_c (out, ']');
          return TRUE;
        }
      break;
    case ASSAY_JINJA_DICT:
      {
        guint   n = value->dict.keys->len;
        GArray *order;

        if (n == 0)
          {
            g_string_append (out, "{}");
            return TRUE;
          }
        order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
        for (guint i = 0; i < n; i++)
          g_array_append_val (order, i);
        if (sort_keys)
          {
            for (guint i = 1; i < n; i++)
              {
                int r;

                if (!assay_jinja_value_compare (g_ptr_array_index (value->dict.keys, 0),
                                                g_ptr_array_index (value->dict.keys, i), &r, error))
                  {
                    g_array_unref (order);
                    return FALSE;
                  }
              }
            g_array_sort_with_data (order, compare_key_index, value->dict.keys);
          }
        g_string_append_c (out, '{');
        for (guint j = 0; j < n; j++)
          {
            guint i = g_array_index (order, guint, j);

            if (j > 0)
              g_string_append (out, item_sep);
            if (indent != NULL)
              json_newline (indent, level + 1, out);
            if (!json_key (g_ptr_array_index (value->dict.keys, i), ensure_ascii, out, error)
                || (g_string_append (out, key_sep),
                    !dump_json (g_ptr_array_index (value->dict.values, i), indent, item_sep,
                                key_sep, sort_keys, ensure_ascii, level + 1, out, error)))
              {
                g_array_unref (order);
                return FALSE;
              }
          }
        g_array_unref (order);
        if (indent != NULL)
          json_newline (indent, level, out);
        g_string_append_c (out, '}');
        return TRUE;
      }
    default:
      break;
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
               "Object of type %s is not JSON serializable", assay_jinja_value_type_name (value));
  return FALSE;
}

gboolean
assay_jinja_value_dump_json (AssayJinjaValue *value, const char *indent, const char *item_sep,
                             const char *key_sep, gboolean sort_keys, gboolean ensure_ascii,
                             GString *out, GError **error)
{
  return dump_json (value, indent, item_sep, key_sep, sort_keys, ensure_ascii, 0, out, error);
}
