/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-precompiled.c: see assay-precompiled.h. A unit of the double array packs, as in
 * Darts-clone: bit 8 "has a leaf", bits 0-7 the label (bit 31 set marks a value unit), bits
 * 10-31 the offset to the children (shifted left by 8 more when bit 9 is set); a leaf's value
 * unit holds the offset of the replacement in its low 31 bits. Every index is checked, so a
 * hostile blob cannot read outside itself. */
#include "assay-precompiled.h"

#include <string.h>

struct _AssayPrecompiled
{
  guint32 *units;
  gsize    n_units;
  char    *normalized; /* NUL-terminated pieces, one NUL more at the end */
  gsize    normalized_len;
};

static inline gboolean unit_has_leaf (guint32 u) { return (u >> 8) & 1; }
static inline guint32  unit_value (guint32 u) { return u & ((1u << 31) - 1); }
static inline guint32  unit_label (guint32 u) { return u & ((1u << 31) | 0xFF); }
static inline gsize    unit_offset (guint32 u) { return (gsize) (u >> 10) << ((u & (1u << 9)) >> 6); }

void
assay_precompiled_free (AssayPrecompiled *self)
{
  if (self == NULL)
    return;
  g_free (self->units);
  g_free (self->normalized);
  g_free (self);
}

AssayPrecompiled *
assay_precompiled_new (const guint8 *blob, gsize len, char **why)
{
  AssayPrecompiled *self;
  guint32           trie_size;

  if (len < 4)
    {
      *why = g_strdup_printf ("%zu bytes, too short for the trie's size", len);
      return NULL;
    }
  trie_size = (guint32) blob[0] | (guint32) blob[1] << 8 | (guint32) blob[2] << 16 | (guint32) blob[3] << 24;
  if (trie_size % 4 != 0 || trie_size > len - 4 || trie_size == 0)
    {
      *why = g_strdup_printf ("trie size %u does not fit the %zu bytes (or is not a multiple of 4)",
                              trie_size, len);
      return NULL;
    }
  self = g_new0 (AssayPrecompiled, 1);
  self->n_units = trie_size / 4;
  self->units = g_new (guint32, self->n_units);
  for (gsize i = 0; i < self->n_units; i++)
    {
      const guint8 *p = blob + 4 + 4 * i;
      self->units[i] = (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
    }
  self->normalized_len = len - 4 - trie_size;
  self->normalized = g_malloc (self->normalized_len + 1);
  memcpy (self->normalized, blob + 4 + trie_size, self->normalized_len);
  self->normalized[self->normalized_len] = '\0';
  for (gsize at = 0; at < self->normalized_len; at += strlen (self->normalized + at) + 1)
    if (!g_utf8_validate (self->normalized + at, -1, NULL))
      {
        *why = g_strdup_printf ("its replacement string at byte %zu is not valid UTF-8", at);
        assay_precompiled_free (self);
        return NULL;
      }
  return self;
}

const char *
assay_precompiled_transform (const AssayPrecompiled *self, const char *chunk, gsize len,
                             gsize *out_len)
{
  gsize   pos = 0;
  guint32 unit;

  if (self == NULL || self->n_units == 0)
    return NULL;
  unit = self->units[0];
  pos ^= unit_offset (unit);
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = (guint8) chunk[i];

      if (c == 0)
        break;
      pos ^= c;
      if (pos >= self->n_units)
        return NULL;
      unit = self->units[pos];
      if (unit_label (unit) != c)
        return NULL;
      pos ^= unit_offset (unit);
      if (unit_has_leaf (unit))
        {
          guint32 at;
          if (pos >= self->n_units)
            return NULL;
          at = unit_value (self->units[pos]);
          if (at >= self->normalized_len)
            return NULL;
          *out_len = strlen (self->normalized + at);
          return self->normalized + at;
        }
    }
  return NULL;
}
