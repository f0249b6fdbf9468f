/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-safetensors.c: safetensors = 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data;
 * offsets are relative to the byte after the header. */
#include "assay-safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-json.h"

#define MAX_HEADER ((guint64) 100 << 20)

typedef struct
{
  char         *path;
  guint8       *map;
  gsize         len;
  gboolean      mapped;
} Shard;

struct _AssaySafetensors
{
  GPtrArray  *shards;  /* Shard* */
  GPtrArray  *tensors; /* AssaySafetensor* */
  GHashTable *by_name; /* name -> AssaySafetensor* */
};

static const struct
{
  const char *name;
  gsize       size;
} types[] = {
  [ASSAY_ST_F32] = { "F32", 4 },     [ASSAY_ST_F16] = { "F16", 2 },
  [ASSAY_ST_BF16] = { "BF16", 2 },   [ASSAY_ST_F64] = { "F64", 8 },
  [ASSAY_ST_I64] = { "I64", 8 },     [ASSAY_ST_I32] = { "I32", 4 },
  [ASSAY_ST_I16] = { "I16", 2 },     [ASSAY_ST_I8] = { "I8", 1 },
  [ASSAY_ST_U8] = { "U8", 1 },       [ASSAY_ST_BOOL] = { "BOOL", 1 },
  [ASSAY_ST_F8_E4M3] = { "F8_E4M3", 1 }, [ASSAY_ST_F8_E5M2] = { "F8_E5M2", 1 },
};

const char *
assay_safetensor_type_name (AssaySafetensorType type)
{
  return types[type].name;
}

gsize
assay_safetensor_type_size (AssaySafetensorType type)
{
  return types[type].size;
}

gboolean
assay_safetensor_dtype (const AssaySafetensor *t, AssayDType *dtype)
{
  switch (t->type)
    {
    case ASSAY_ST_F32: *dtype = ASSAY_DTYPE_F32; return TRUE;
    case ASSAY_ST_F16: *dtype = ASSAY_DTYPE_F16; return TRUE;
    case ASSAY_ST_BF16: *dtype = ASSAY_DTYPE_BF16; return TRUE;
    default: return FALSE;
    }
}

static void
tensor_free (AssaySafetensor *t)
{
  g_free (t->name);
  g_free (t);
}

static void
shard_free (Shard *s)
{
  if (s->mapped && s->map != NULL)
    munmap (s->map, s->len);
  g_free (s->path);
  g_free (s);
}

static AssaySafetensors *
set_new (void)
{
  AssaySafetensors *self = g_new0 (AssaySafetensors, 1);

  self->shards = g_ptr_array_new_with_free_func ((GDestroyNotify) shard_free);
  self->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) tensor_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

void
assay_safetensors_free (AssaySafetensors *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->tensors);
  g_ptr_array_unref (self->shards);
  g_free (self);
}

static gboolean
fail (GError **error, const char *label, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const char *label, const char *fmt, ...)
{
  va_list          ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", label, msg);
  return FALSE;
}

static gboolean
parse_type (const char *name, AssaySafetensorType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_strcmp0 (types[i].name, name) == 0)
      {
        *type = i;
        return TRUE;
      }
  return FALSE;
}

static int
by_begin (gconstpointer a, gconstpointer b)
{
  const AssaySafetensor *x = *(AssaySafetensor *const *) a, *y = *(AssaySafetensor *const *) b;
  return x->data < y->data ? -1 : x->data > y->data;
}

/* Reads a non-negative integer member that JSON may give as an int or a whole double. */
static gboolean
json_whole (JsonNode *node, gint64 *out)
{
  GType t;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  if (t == G_TYPE_INT64)
    *out = json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);
      if (!(d >= 0 && d <= 9.007199254740992e15) || d != (double) (gint64) d)
        return FALSE;
      *out = (gint64) d;
    }
  else
    return FALSE;
  return *out >= 0;
}

/* Adds the tensors of one image to the set, checking all of them. */
static gboolean
parse_into (AssaySafetensors *self, const guint8 *data, gsize len, const char *label,
            GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  guint64     header_len = 0;
  const guint8 *body;
  gsize       body_len;
  JsonNode   *root;
  JsonObject *obj;
  JsonObjectIter iter;
  const char *name;
  JsonNode   *value;

  if (len < 8)
    return fail (error, label, "file too short for a safetensors header (%zu bytes)", len);
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | data[i];
  if (header_len < 2 || header_len > MAX_HEADER || header_len > len - 8)
    return fail (error, label, "header length %" G_GUINT64_FORMAT " does not fit in a file of %zu bytes",
                 header_len, len);
  if (memchr (data + 8, '\0', header_len) != NULL)
    return fail (error, label, "header holds a NUL byte");
  if (!assay_json_parser_load (parser, (const char *) data + 8, (gssize) header_len, &local))
    return fail (error, label, "header is not JSON: %s", local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, label, "header is not a JSON object");
  obj = json_node_get_object (root);
  body = data + 8 + header_len;
  body_len = len - 8 - header_len;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &value))
    {
      JsonObject      *t;
      JsonArray       *shape, *offsets;
      AssaySafetensor *tensor;
      gint64           begin, end, n = 1;
      AssaySafetensorType type;

      if (g_str_equal (name, "__metadata__"))
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (value))
        return fail (error, label, "tensor “%s”: entry is not an object", name);
      t = json_node_get_object (value);
      if (!json_object_has_member (t, "dtype") || !JSON_NODE_HOLDS_VALUE (json_object_get_member (t, "dtype"))
          || json_node_get_value_type (json_object_get_member (t, "dtype")) != G_TYPE_STRING)
        return fail (error, label, "tensor “%s”: no dtype", name);
      if (!parse_type (json_object_get_string_member (t, "dtype"), &type))
        return fail (error, label, "tensor “%s”: unknown dtype “%s”", name,
                     json_object_get_string_member (t, "dtype"));
      if (!json_object_has_member (t, "shape") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (t, "shape")))
        return fail (error, label, "tensor “%s”: no shape", name);
      shape = json_object_get_array_member (t, "shape");
      if (json_array_get_length (shape) > ASSAY_SAFETENSORS_MAX_DIMS)
        return fail (error, label, "tensor “%s”: %u dimensions (at most %d)", name,
                     json_array_get_length (shape), ASSAY_SAFETENSORS_MAX_DIMS);
      if (!json_object_has_member (t, "data_offsets")
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (t, "data_offsets"))
          || json_array_get_length (json_object_get_array_member (t, "data_offsets")) != 2)
        return fail (error, label, "tensor “%s”: data_offsets is not [begin, end]", name);
      offsets = json_object_get_array_member (t, "data_offsets");
      if (!json_whole (json_array_get_element (offsets, 0), &begin)
          || !json_whole (json_array_get_element (offsets, 1), &end) || end < begin)
        return fail (error, label, "tensor “%s”: bad data_offsets", name);
      if ((guint64) end > body_len)
        return fail (error, label, "tensor “%s”: data ends at byte %" G_GINT64_FORMAT
                     " of a data section of %zu bytes (file truncated?)", name, end, body_len);

      tensor = g_new0 (AssaySafetensor, 1);
      tensor->name = g_strdup (name);
      tensor->type = type;
      tensor->n_dims = (int) json_array_get_length (shape);
      for (int d = 0; d < tensor->n_dims; d++)
        {
          gint64 dim;
          if (!json_whole (json_array_get_element (shape, d), &dim) || dim > G_MAXINT32)
            {
              tensor_free (tensor);
              return fail (error, label, "tensor “%s”: bad shape entry %d", name, d);
            }
          tensor->shape[d] = dim;
          if (dim != 0 && n > G_MAXINT64 / 16 / dim)
            {
              tensor_free (tensor);
              return fail (error, label, "tensor “%s”: shape too large", name);
            }
          n *= dim;
        }
      tensor->n_elements = n;
      tensor->n_bytes = (gsize) n * types[type].size;
      if ((guint64) (end - begin) != tensor->n_bytes)
        {
          gint64 span = end - begin;
          tensor_free (tensor);
          return fail (error, label, "tensor “%s”: %" G_GINT64_FORMAT " bytes of data for a %s tensor of %"
                       G_GINT64_FORMAT " elements (%zu bytes)", name, span, types[type].name, n,
                       (gsize) n * types[type].size);
        }
      tensor->data = body + begin;
      if (g_hash_table_contains (self->by_name, tensor->name))
        {
          tensor_free (tensor);
          return fail (error, label, "tensor “%s” appears twice", name);
        }
      g_ptr_array_add (self->tensors, tensor);
      g_hash_table_insert (self->by_name, tensor->name, tensor);
      g_ptr_array_add (added, tensor);
    }

  /* Non-overlapping data: sorted by start, each must end before the next begins. */
  g_ptr_array_sort (added, by_begin);
  for (guint i = 1; i < added->len; i++)
    {
      const AssaySafetensor *a = added->pdata[i - 1], *b = added->pdata[i];
      if (a->n_bytes > 0 && b->n_bytes > 0 && a->data + a->n_bytes > b->data)
        return fail (error, label, "tensors “%s” and “%s” overlap", a->name, b->name);
    }
  return TRUE;
}

AssaySafetensors *
assay_safetensors_parse (const guint8 *data, gsize len, const char *label, GError **error)
{
  AssaySafetensors *self = set_new ();

  if (!parse_into (self, data, len, label, error))
    {
      assay_safetensors_free (self);
      return NULL;
    }
  return self;
}

static Shard *
map_file (const char *path, GError **error)
{
  struct stat st;
  int         fd = open (path, O_RDONLY | O_CLOEXEC);
  Shard      *shard;

  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, ASSAY_ERROR, err == ENOENT ? ASSAY_ERROR_NOT_FOUND : ASSAY_ERROR_FAILED,
                   "%s: %s", path, g_strerror (err));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not a regular file", path);
      return NULL;
    }
  shard = g_new0 (Shard, 1);
  shard->path = g_strdup (path);
  shard->len = (gsize) st.st_size;
  if (shard->len > 0)
    {
      shard->map = mmap (NULL, shard->len, PROT_READ, MAP_PRIVATE, fd, 0);
      if (shard->map == MAP_FAILED)
        {
          int err = errno;
          close (fd);
          shard->map = NULL;
          shard_free (shard);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: cannot map: %s", path,
                       g_strerror (err));
          return NULL;
        }
      shard->mapped = TRUE;
    }
  close (fd);
  return shard;
}

static gboolean
add_file (AssaySafetensors *self, const char *path, GError **error)
{
  Shard *shard = map_file (path, error);

  if (shard == NULL)
    return FALSE;
  g_ptr_array_add (self->shards, shard);
  if (!parse_into (self, shard->map, shard->len, shard->path, error))
    return FALSE;
  for (guint i = 0; i < self->tensors->len; i++)
    {
      AssaySafetensor *t = self->tensors->pdata[i];
      if (t->file == NULL)
        t->file = shard->path;
    }
  return TRUE;
}

AssaySafetensors *
assay_safetensors_open (const char *path, GError **error)
{
  AssaySafetensors *self = set_new ();

  if (!add_file (self, path, error))
    {
      assay_safetensors_free (self);
      return NULL;
    }
  return self;
}

AssaySafetensors *
assay_safetensors_open_dir (const char *dir, GError **error)
{
  g_autofree char *single = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *index = g_build_filename (dir, "model.safetensors.index.json", NULL);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GHashTable) files = NULL;
  g_autoptr (AssaySafetensors) self = NULL;
  g_autoptr (GError) local = NULL;
  JsonObject    *map;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *value;
  GHashTableIter hi;
  gpointer       key;

  if (g_file_test (single, G_FILE_TEST_EXISTS))
    return assay_safetensors_open (single, error);
  if (!g_file_test (index, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   "%s: neither model.safetensors nor model.safetensors.index.json", dir);
      return NULL;
    }
  parser = json_parser_new ();
  if (!assay_json_parser_load_file (parser, index, &local))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", index, local->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
      || !json_object_has_member (json_node_get_object (json_parser_get_root (parser)), "weight_map")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "weight_map")))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: no weight_map object", index);
      return NULL;
    }
  map = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "weight_map");
  files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_object_iter_init (&iter, map);
  while (json_object_iter_next (&iter, &name, &value))
    {
      const char *file = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING
                           ? json_node_get_string (value) : NULL;
      if (file == NULL || *file == '\0' || strchr (file, '/') != NULL || g_str_equal (file, "..")
          || g_str_equal (file, "."))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: weight_map entry “%s” does not name a file of this folder", index, name);
          return NULL;
        }
      g_hash_table_add (files, g_strdup (file));
    }
  self = set_new ();
  g_hash_table_iter_init (&hi, files);
  while (g_hash_table_iter_next (&hi, &key, NULL))
    {
      g_autofree char *path = g_build_filename (dir, (const char *) key, NULL);
      if (!add_file (self, path, error))
        return NULL;
    }
  json_object_iter_init (&iter, map);
  while (json_object_iter_next (&iter, &name, &value))
    {
      const AssaySafetensor *t = g_hash_table_lookup (self->by_name, name);
      g_autofree char *want = g_build_filename (dir, json_node_get_string (value), NULL);
      if (t == NULL || !g_str_equal (t->file, want))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: tensor “%s” is not in %s", index, name, json_node_get_string (value));
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

guint
assay_safetensors_count (AssaySafetensors *self)
{
  return self->tensors->len;
}

const AssaySafetensor *
assay_safetensors_index (AssaySafetensors *self, guint i)
{
  return i < self->tensors->len ? self->tensors->pdata[i] : NULL;
}

const AssaySafetensor *
assay_safetensors_get (AssaySafetensors *self, const char *name)
{
  return g_hash_table_lookup (self->by_name, name);
}

guint64
assay_safetensors_data_bytes (AssaySafetensors *self)
{
  guint64 sum = 0;

  for (guint i = 0; i < self->tensors->len; i++)
    sum += ((AssaySafetensor *) self->tensors->pdata[i])->n_bytes;
  return sum;
}

void
assay_safetensors_evict (AssaySafetensors *self, const AssaySafetensor *t)
{
  long      page = sysconf (_SC_PAGESIZE);
  guintptr  begin, end;

  if (t == NULL || t->n_bytes == 0 || page <= 0 || self->shards->len == 0)
    return;
  begin = ((guintptr) t->data + (guintptr) page - 1) & ~((guintptr) page - 1);
  end = ((guintptr) t->data + t->n_bytes) & ~((guintptr) page - 1);
  for (guint i = 0; i < self->shards->len; i++)
    {
      Shard *s = self->shards->pdata[i];
      if (s->mapped && t->data >= s->map && t->data < s->map + s->len && end > begin)
        madvise ((void *) begin, end - begin, MADV_DONTNEED);
    }
}
