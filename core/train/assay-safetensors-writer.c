/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-safetensors-writer.c: see assay-safetensors-writer.h. */
#include "assay-safetensors-writer.h"

#include <errno.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-backend.h"
#include "assay-error.h"

typedef struct
{
  char        *name;
  const float *data;
  int          rows, cols;
} Entry;

struct _AssaySafetensorsWriter
{
  gboolean bf16;
  GArray  *entries;
};

AssaySafetensorsWriter *
assay_safetensors_writer_new (gboolean bf16)
{
  AssaySafetensorsWriter *self = g_new0 (AssaySafetensorsWriter, 1);
  self->bf16 = bf16;
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  return self;
}

void
assay_safetensors_writer_free (AssaySafetensorsWriter *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->entries->len; i++)
    g_free (g_array_index (self->entries, Entry, i).name);
  g_array_unref (self->entries);
  g_free (self);
}

void
assay_safetensors_writer_add (AssaySafetensorsWriter *self, const char *name, const float *data, int rows, int cols)
{
  Entry e = { g_strdup (name), data, rows, cols };
  g_array_append_val (self->entries, e);
}

gboolean
assay_safetensors_writer_write (AssaySafetensorsWriter *self, const char *path, GError **error)
{
  g_autoptr (AssayAtomicFile) file = assay_atomic_file_new (path, error);
  g_autoptr (GString) header = g_string_new ("{\"__metadata__\": {\"format\": \"pt\"}");
  gsize  es = self->bf16 ? 2 : 4, offset = 0;
  FILE  *out;
  guint8 len8[8];
  gboolean ok = TRUE;

  if (file == NULL)
    return FALSE;
  out = assay_atomic_file_get_stream (file);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *e = &g_array_index (self->entries, Entry, i);
      gsize        n = (gsize) e->rows * MAX (e->cols, 1);
      g_autofree char *escaped = g_strescape (e->name, NULL);
      g_string_append_printf (header, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [%d", escaped,
                              self->bf16 ? "BF16" : "F32", e->rows);
      if (e->cols > 0)
        g_string_append_printf (header, ", %d", e->cols);
      g_string_append_printf (header, "], \"data_offsets\": [%zu, %zu]}", offset, offset + n * es);
      offset += n * es;
    }
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) ((guint64) header->len >> (8 * i));
  ok = fwrite (len8, 1, 8, out) == 8 && fwrite (header->str, 1, header->len, out) == header->len;
  for (guint i = 0; ok && i < self->entries->len; i++)
    {
      const Entry *e = &g_array_index (self->entries, Entry, i);
      gsize        n = (gsize) e->rows * MAX (e->cols, 1);
      if (!self->bf16)
        ok = fwrite (e->data, 4, n, out) == n; /* (little-endian hosts) */
      else
        for (gsize j = 0; ok && j < n; j++)
          {
            guint16 h = assay_f32_to_bf16 (e->data[j]);
            ok = fwrite (&h, 2, 1, out) == 1;
          }
    }
  if (!ok)
    {
      int saved = errno;
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return assay_atomic_file_commit (file, error);
}
