/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gguf.h: the metadata of a GGUF file (llama.cpp's format): its key/value pairs, read
 * whole and checked against the file's length, so that a tokenizer can be read from the
 * `tokenizer.ggml.*` keys. Tensors are not read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayGguf AssayGguf;

/* NULL with an error naming the file and what is wrong with it (not GGUF, a newer version, a
 * value running past the end, an unknown value type). */
AssayGguf   *assay_gguf_open (const char *path, GError **error);
void         assay_gguf_free (AssayGguf *self);

gboolean     assay_gguf_has (AssayGguf *self, const char *key);
/* A string value, or NULL when the key is missing or holds something else. */
const char  *assay_gguf_get_string (AssayGguf *self, const char *key);
/* An integer value of any integer type (or a bool), or fallback. */
gint64       assay_gguf_get_int (AssayGguf *self, const char *key, gint64 fallback);
gboolean     assay_gguf_get_bool (AssayGguf *self, const char *key, gboolean fallback);
/* Arrays: NULL (with *n = 0) when missing or of another element type. Owned by the file. */
const char *const *assay_gguf_get_strings (AssayGguf *self, const char *key, guint *n);
const float *assay_gguf_get_floats (AssayGguf *self, const char *key, guint *n);
/* An array of any integer type, widened. */
const gint64 *assay_gguf_get_ints (AssayGguf *self, const char *key, guint *n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayGguf, assay_gguf_free)

G_END_DECLS
