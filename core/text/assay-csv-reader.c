/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-csv-reader.h"

#include "assay-error.h"

struct _AssayCsvReader
{
  char       *path;
  const char *data;
  gsize       length;
  gsize       pos;
  char        delimiter;
  guint       line;        /* current line (1-based) */
  guint       record_line; /* line where the last record started */
  GPtrArray  *fields;
  GString    *field;
};

AssayCsvReader *
assay_csv_reader_new (const char *path, const char *data, gsize length, char delimiter)
{
  AssayCsvReader *self = g_new0 (AssayCsvReader, 1);

  self->path = g_strdup (path);
  self->data = data;
  self->length = length;
  self->delimiter = delimiter != '\0' ? delimiter : ',';
  self->line = 1;
  self->fields = g_ptr_array_new_with_free_func (g_free);
  self->field = g_string_new (NULL);
  if (length >= 3 && (guchar) data[0] == 0xEF && (guchar) data[1] == 0xBB && (guchar) data[2] == 0xBF)
    self->pos = 3;
  return self;
}

void
assay_csv_reader_free (AssayCsvReader *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->fields);
  g_string_free (self->field, TRUE);
  g_free (self->path);
  g_free (self);
}

guint
assay_csv_reader_get_line (AssayCsvReader *self)
{
  return self->record_line;
}

double
assay_csv_reader_get_fraction (AssayCsvReader *self)
{
  return self->length > 0 ? (double) self->pos / self->length : 1.0;
}

static void
end_field (AssayCsvReader *self)
{
  g_ptr_array_add (self->fields, g_strndup (self->field->str, self->field->len));
  g_string_truncate (self->field, 0);
}

gboolean
assay_csv_reader_next (AssayCsvReader *self, GPtrArray **fields, GError **error)
{
  const char *d = self->data;
  gboolean    quoted = FALSE, was_quoted = FALSE;

  g_ptr_array_set_size (self->fields, 0);
  g_string_truncate (self->field, 0);
  /* Skip blank lines between records. */
  while (self->pos < self->length && (d[self->pos] == '\n' || d[self->pos] == '\r'))
    {
      if (d[self->pos] == '\n')
        self->line++;
      self->pos++;
    }
  if (self->pos >= self->length)
    return FALSE;
  self->record_line = self->line;

  while (self->pos < self->length)
    {
      char c = d[self->pos++];

      if (quoted)
        {
          if (c == '"')
            {
              if (self->pos < self->length && d[self->pos] == '"')
                {
                  g_string_append_c (self->field, '"');
                  self->pos++;
                }
              else
                quoted = FALSE;
            }
          else
            {
              if (c == '\n')
                self->line++;
              g_string_append_c (self->field, c);
            }
          continue;
        }
      if (c == '"' && self->field->len == 0 && !was_quoted)
        {
          quoted = was_quoted = TRUE;
          continue;
        }
      if (c == self->delimiter)
        {
          end_field (self);
          was_quoted = FALSE;
          continue;
        }
      if (c == '\r' && self->pos < self->length && d[self->pos] == '\n')
        continue;
      if (c == '\n' || c == '\r')
        {
          if (c == '\n')
            self->line++;
          break;
        }
      if (was_quoted)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: text after a closing quote", self->path, self->line);
          return FALSE;
        }
      g_string_append_c (self->field, c);
    }
  if (quoted)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s:%u: quoted field never closed", self->path, self->record_line);
      return FALSE;
    }
  end_field (self);
  *fields = self->fields;
  return TRUE;
}
