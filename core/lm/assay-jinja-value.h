/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jinja-value.h: the values chat templates compute with, after Python's: undefined, None,
 * bools, integers, floats, strings, lists, tuples, dicts, namespaces and callables, with Python's
 * truthiness, equality, ordering, str(), repr() and json.dumps(). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  ASSAY_JINJA_UNDEFINED,
  ASSAY_JINJA_NONE,
  ASSAY_JINJA_BOOL,
  ASSAY_JINJA_INT,
  ASSAY_JINJA_FLOAT,
  ASSAY_JINJA_STRING,
  ASSAY_JINJA_LIST, /* also tuples, dict views and generators: see the list flavour */
  ASSAY_JINJA_DICT,
  ASSAY_JINJA_NAMESPACE, /* the only mutable value: namespace(...) */
  ASSAY_JINJA_CALLABLE,
  ASSAY_JINJA_LOOP, /* the loop variable of a for block */
} AssayJinjaKind;

typedef enum
{
  ASSAY_JINJA_PLAIN_LIST,
  ASSAY_JINJA_TUPLE,
  ASSAY_JINJA_DICT_ITEMS, /* dict.items(): printed dict_items([...]) */
  ASSAY_JINJA_DICT_KEYS,
  ASSAY_JINJA_DICT_VALUES,
  ASSAY_JINJA_GENERATOR, /* a lazy sequence in Python: always true, no length, not printable */
  ASSAY_JINJA_RANGE, /* range(): a sequence that prints as range(a, b), which is not supported */
} AssayJinjaListFlavour;

typedef struct _AssayJinjaValue AssayJinjaValue;

/* Arguments of a call: positional values, then keyword names and values. */
typedef struct
{
  GPtrArray *args;   /* AssayJinjaValue */
  GPtrArray *names;  /* char * */
  GPtrArray *values; /* AssayJinjaValue */
} AssayJinjaArgs;

typedef AssayJinjaValue *(*AssayJinjaCallFunc) (gpointer data, AssayJinjaValue *self,
                                                AssayJinjaArgs *args, GError **error);

struct _AssayJinjaValue
{
  int            ref_count;
  AssayJinjaKind kind;
  union
  {
    gboolean b;
    gint64   i;
    double   f;
    struct
    {
      char *s;     /* UTF-8, NUL-terminated */
      gsize len;   /* bytes */
      glong chars; /* code points, -1 until counted */
    } str;
    struct
    {
      GPtrArray            *items;
      AssayJinjaListFlavour flavour;
    } list;
    struct
    {
      GPtrArray *keys; /* in insertion order */
      GPtrArray *values;
    } dict; /* dicts and namespaces */
    struct
    {
      char    *message;  /* the UndefinedError message: "'x' is undefined" */
      gboolean security; /* an unsafe attribute of the sandbox */
    } undef;
    struct
    {
      char              *name;
      AssayJinjaCallFunc func;
      gpointer           data;
      GDestroyNotify     destroy;
      AssayJinjaValue   *self; /* the receiver of a bound method, or NULL */
    } call;
    struct
    {
      GPtrArray *items;
      guint      index;
      guint      depth;
    } loop;
  };
};

AssayJinjaValue *assay_jinja_value_ref (AssayJinjaValue *value);
void             assay_jinja_value_unref (AssayJinjaValue *value);

AssayJinjaValue *assay_jinja_undefined_new (const char *message);
/* The message jinja2 gives for a missing attribute (name) or item (a key) of obj. */
AssayJinjaValue *assay_jinja_undefined_new_missing (AssayJinjaValue *obj, AssayJinjaValue *key);
AssayJinjaValue *assay_jinja_none_new (void);
AssayJinjaValue *assay_jinja_bool_new (gboolean b);
AssayJinjaValue *assay_jinja_int_new (gint64 i);
AssayJinjaValue *assay_jinja_float_new (double f);
AssayJinjaValue *assay_jinja_string_new (const char *s);
AssayJinjaValue *assay_jinja_string_new_len (const char *s, gsize len);
AssayJinjaValue *assay_jinja_string_new_take (char *s);
/* items: AssayJinjaValue, taken (NULL: an empty list). */
AssayJinjaValue *assay_jinja_list_new (GPtrArray *items, AssayJinjaListFlavour flavour);
AssayJinjaValue *assay_jinja_dict_new (void);
AssayJinjaValue *assay_jinja_namespace_new (void);
AssayJinjaValue *assay_jinja_callable_new (const char *name, AssayJinjaCallFunc func, gpointer data,
                                           GDestroyNotify destroy, AssayJinjaValue *self);
AssayJinjaValue *assay_jinja_loop_new (GPtrArray *items, guint index, guint depth);

/* An empty GPtrArray that unrefs its values. */
GPtrArray *assay_jinja_value_array_new (void);

/* Dicts and namespaces. set takes value. get returns a borrowed value or NULL. */
void assay_jinja_dict_set (AssayJinjaValue *dict, AssayJinjaValue *key, AssayJinjaValue *value);
void assay_jinja_dict_set_string (AssayJinjaValue *dict, const char *key, AssayJinjaValue *value);
AssayJinjaValue *assay_jinja_dict_get (AssayJinjaValue *dict, AssayJinjaValue *key);
AssayJinjaValue *assay_jinja_dict_get_string (AssayJinjaValue *dict, const char *key);

AssayJinjaValue *assay_jinja_value_from_json (JsonNode *node);

const char *assay_jinja_value_type_name (AssayJinjaValue *value); /* Python's: 'str', 'dict', ... */
gboolean assay_jinja_value_is_sequence_like (AssayJinjaValue *value); /* list kind, any flavour */
gboolean assay_jinja_value_truthy (AssayJinjaValue *value);
gboolean assay_jinja_value_is_number (AssayJinjaValue *value); /* bool, int or float */
double   assay_jinja_value_as_double (AssayJinjaValue *value);
glong    assay_jinja_string_chars (AssayJinjaValue *value);

/* Python's str() and repr(); FALSE (error set) for values that print as object addresses. */
gboolean assay_jinja_value_str (AssayJinjaValue *value, GString *out, GError **error);
gboolean assay_jinja_value_repr (AssayJinjaValue *value, GString *out, GError **error);
char    *assay_jinja_value_to_str (AssayJinjaValue *value, GError **error);
void     assay_jinja_float_repr (double f, GString *out);

gboolean assay_jinja_value_equal (AssayJinjaValue *a, AssayJinjaValue *b);
/* Python's a < b as -1/0/1; FALSE with an error when the types are not ordered. */
gboolean assay_jinja_value_compare (AssayJinjaValue *a, AssayJinjaValue *b, int *result,
                                    GError **error);
/* The items iterated over: a new array of new references; strings give their characters, dicts
 * their keys. FALSE with an error for values that are not iterable. */
gboolean assay_jinja_value_iterate (AssayJinjaValue *value, GPtrArray **items, GError **error);

/* json.dumps(value, ensure_ascii=..., indent=indent, separators=..., sort_keys=...).
 * indent: NULL for none, else the indent string; item_sep, key_sep as Python chooses them. */
gboolean assay_jinja_value_dump_json (AssayJinjaValue *value, const char *indent,
                                      const char *item_sep, const char *key_sep, gboolean sort_keys,
                                      gboolean ensure_ascii, GString *out, GError **error);

/* Python's str.isspace() for one code point. */
gboolean assay_jinja_unichar_isspace (gunichar c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayJinjaValue, assay_jinja_value_unref)

G_END_DECLS
