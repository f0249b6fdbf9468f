/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gguf.c: see assay-gguf.h. Layout (little-endian): "GGUF", uint32 version (2 or 3),
 * uint64 tensor count, uint64 key/value count, then per pair a string key (uint64 length and
 * bytes), a uint32 value type and the value; an array is a uint32 element type, a uint64 count
 * and the elements. */
#include "assay-gguf.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"

enum
{
  T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY,
  T_UINT64, T_INT64, T_FLOAT64, N_TYPES
};

static const guint type_size[N_TYPES] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

#define MAX_KEYS    (1u << 20)
#define MAX_STRING  (1u << 30)

typedef struct
{
  guint32 type;
  guint32 elem;    /* arrays: the element type */
  guint64 n;       /* arrays: the count */
  gint64  i;       /* integers and bools */
  double  f;
  char   *s;       /* strings */
  char  **strings; /* arrays of strings, NULL-terminated */
  float  *floats;  /* arrays of float32 */
  gint64 *ints;    /* arrays of integers, widened */
} Value;

struct _AssayGguf
{
  char         *path;
  GMappedFile  *map;
  const guint8 *data;
  gsize         len, pos;
  GHashTable   *values; /* key -> Value* */
};

static void
value_free (Value *v)
{
  g_free (v->s);
  g_strfreev (v->strings);
  g_free (v->floats);
  g_free (v->ints);
  g_free (v);
}

void
assay_gguf_free (AssayGguf *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  if (self->map != NULL)
    g_mapped_file_unref (self->map);
  if (self->values != NULL)
    g_hash_table_unref (self->values);
  g_free (self);
}

static gboolean
need (AssayGguf *self, guint64 bytes, const char *what, GError **error)
{
  if (bytes > self->len - self->pos)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: %s at byte %" G_GSIZE_FORMAT " runs past the end of the file"), self->path,
                   what, self->pos);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_u32 (AssayGguf *self, guint32 *out, const char *what, GError **error)
{
  if (!need (self, 4, what, error))
    return FALSE;
  memcpy (out, self->data + self->pos, 4);
  *out = GUINT32_FROM_LE (*out);
  self->pos += 4;
  return TRUE;
}

static gboolean
read_u64 (AssayGguf *self, guint64 *out, const char *what, GError **error)
{
  if (!need (self, 8, what, error))
    return FALSE;
  memcpy (out, self->data + self->pos, 8);
  *out = GUINT64_FROM_LE (*out);
  self->pos += 8;
  return TRUE;
}

static char *
read_string (AssayGguf *self, const char *what, GError **error)
{
  guint64 n;
  char   *s;

  if (!read_u64 (self, &n, what, error))
    return NULL;
  if (n > MAX_STRING || !need (self, n, what, error))
    {
      if (n > MAX_STRING)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("%s: %s at byte %" G_GSIZE_FORMAT " is %" G_GUINT64_FORMAT " bytes long"),
                     self->path, what, self->pos, n);
      return NULL;
    }
  s = g_strndup ((const char *) self->data + self->pos, (gsize) n);
  self->pos += (gsize) n;
  return s;
}

/* A scalar of type t (not a string or array) as an integer and a double. */
static gboolean
read_scalar (AssayGguf *self, guint32 t, gint64 *i, double *f, const char *what, GError **error)
{
  const guint8 *p;

  if (!need (self, type_size[t], what, error))
    return FALSE;
  p = self->data + self->pos;
  switch (t)
    {
    case T_UINT8: case T_BOOL: *i = p[0]; break;
    case T_INT8: *i = (gint8) p[0]; break;
    case T_UINT16: { guint16 v; memcpy (&v, p, 2); *i = GUINT16_FROM_LE (v); break; }
    case T_INT16: { guint16 v; memcpy (&v, p, 2); *i = (gint16) GUINT16_FROM_LE (v); break; }
    case T_UINT32: { guint32 v; memcpy (&v, p, 4); *i = GUINT32_FROM_LE (v); break; }
    case T_INT32: { guint32 v; memcpy (&v, p, 4); *i = (gint32) GUINT32_FROM_LE (v); break; }
    case T_UINT64: case T_INT64: { guint64 v; memcpy (&v, p, 8); *i = (gint64) GUINT64_FROM_LE (v); break; }
    case T_FLOAT32: { guint32 v; float x; memcpy (&v, p, 4); v = GUINT32_FROM_LE (v); memcpy (&x, &v, 4); *f = x; break; }
    case T_FLOAT64: { guint64 v; double x; memcpy (&v, p, 8); v = GUINT64_FROM_LE (v); memcpy (&x, &v, 8); *f = x; break; }
    default: break;
    }
  if (t != T_FLOAT32 && t != T_FLOAT64)
    *f = (double) *i;
  self->pos += type_size[t];
  return TRUE;
}

static gboolean
read_value (AssayGguf *self, Value *v, const char *key, GError **error)
{
  g_autofree char *what = g_strdup_printf (_("the value of “%s”"), key);

  if (!read_u32 (self, &v->type, what, error))
    return FALSE;
  if (v->type >= N_TYPES)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: “%s” has unknown value type %u"),
                   self->path, key, v->type);
      return FALSE;
    }
  if (v->type == T_STRING)
    return (v->s = read_string (self, what, error)) != NULL;
  if (v->type != T_ARRAY)
    return read_scalar (self, v->type, &v->i, &v->f, what, error);
  if (!read_u32 (self, &v->elem, what, error) || !read_u64 (self, &v->n, what, error))
    return FALSE;
  if (v->elem >= N_TYPES || v->elem == T_ARRAY)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: “%s” is an array of unsupported type %u"), self->path, key, v->elem);
      return FALSE;
    }
  /* every element takes at least its size (a string its 8-byte length): a count the file
   * cannot hold is refused before anything is allocated */
  if (v->n > (self->len - self->pos) / (v->elem == T_STRING ? 8 : type_size[v->elem]))
    return need (self, G_MAXUINT64, what, error);
  if (v->elem == T_STRING)
    {
      v->strings = g_new0 (char *, v->n + 1);
      for (guint64 k = 0; k < v->n; k++)
        if ((v->strings[k] = read_string (self, what, error)) == NULL)
          return FALSE;
      return TRUE;
    }
  if (v->elem == T_FLOAT32 || v->elem == T_FLOAT64)
    v->floats = g_new (float, MAX (v->n, 1));
  else
    v->ints = g_new (gint64, MAX (v->n, 1));
  for (guint64 k = 0; k < v->n; k++)
    {
      gint64 i = 0;
      double f = 0;
      if (!read_scalar (self, v->elem, &i, &f, what, error))
        return FALSE;
      if (v->floats != NULL)
        v->floats[k] = (float) f;
      else
        v->ints[k] = i;
    }
  return TRUE;
}

AssayGguf *
assay_gguf_open (const char *path, GError **error)
{
  g_autoptr (AssayGguf) self = g_new0 (AssayGguf, 1);
  guint32 version;
  guint64 n_tensors, n_keys;

  self->path = g_strdup (path);
  if ((self->map = g_mapped_file_new (path, FALSE, error)) == NULL)
    return NULL;
  self->data = (const guint8 *) g_mapped_file_get_contents (self->map);
  self->len = g_mapped_file_get_length (self->map);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) value_free);
  if (self->len < 24 || memcmp (self->data, "GGUF", 4) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s is not a GGUF file"), path);
      return NULL;
    }
  self->pos = 4;
  read_u32 (self, &version, "version", NULL);
  if (version < 2 || version > 3)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   _("%s: GGUF version %u (this version of Assay reads 2 and 3)"), path, version);
      return NULL;
    }
  read_u64 (self, &n_tensors, "tensor count", NULL);
  read_u64 (self, &n_keys, "key count", NULL);
  if (n_keys > MAX_KEYS)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: %" G_GUINT64_FORMAT " keys"), path,
                   n_keys);
      return NULL;
    }
  for (guint64 k = 0; k < n_keys; k++)
    {
      g_autofree char *key = read_string (self, _("a key"), error);
      Value           *v;

      if (key == NULL)
        return NULL;
      v = g_new0 (Value, 1);
      if (!read_value (self, v, key, error))
        {
          value_free (v);
          return NULL;
        }
      g_hash_table_replace (self->values, g_steal_pointer (&key), v);
    }
  return g_steal_pointer (&self);
}

gboolean
assay_gguf_has (AssayGguf *self, const char *key)
{
  return g_hash_table_contains (self->values, key);
}

const char *
assay_gguf_get_string (AssayGguf *self, const char *key)
{
  Value *v = g_hash_table_lookup (self->values, key);
  return v != NULL && v->type == T_STRING ? v->s : NULL;
}

gint64
assay_gguf_get_int (AssayGguf *self, const char *key, gint64 fallback)
{
  Value *v = g_hash_table_lookup (self->values, key);
  if (v == NULL || v->type == T_STRING || v->type == T_ARRAY || v->type == T_FLOAT32 || v->type == T_FLOAT64)
    return fallback;
  return v->i;
}

gboolean
assay_gguf_get_bool (AssayGguf *self, const char *key, gboolean fallback)
{
  return assay_gguf_get_int (self, key, fallback) != 0;
}

const char *const *
assay_gguf_get_strings (AssayGguf *self, const char *key, guint *n)
{
  Value *v = g_hash_table_lookup (self->values, key);
  *n = v != NULL && v->strings != NULL ? (guint) v->n : 0;
  return v != NULL ? (const char *const *) v->strings : NULL;
}

const float *
assay_gguf_get_floats (AssayGguf *self, const char *key, guint *n)
{
  Value *v = g_hash_table_lookup (self->values, key);
  *n = v != NULL && v->floats != NULL ? (guint) v->n : 0;
  return v != NULL ? v->floats : NULL;
}

const gint64 *
assay_gguf_get_ints (AssayGguf *self, const char *key, guint *n)
{
  Value *v = g_hash_table_lookup (self->values, key);
  *n = v != NULL && v->ints != NULL ? (guint) v->n : 0;
  return v != NULL ? v->ints : NULL;
}
