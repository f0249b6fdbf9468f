/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-safetensors-writer.h: float32 tensors written as a safetensors file (the format of
 * Hugging Face checkpoints: a little-endian u64 header length, a JSON header of names, dtypes,
 * shapes and byte ranges padded to 8 bytes, then the data), whole or not at all. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssaySafetensorsWriter AssaySafetensorsWriter;

/* bf16: store bfloat16 (rounded to nearest even) instead of float32. */
AssaySafetensorsWriter *assay_safetensors_writer_new  (gboolean bf16);
void                    assay_safetensors_writer_free (AssaySafetensorsWriter *self);
/* Adds a tensor of rows x cols (cols 0: a vector) whose data must live until the file is
 * written. */
void                    assay_safetensors_writer_add  (AssaySafetensorsWriter *self,
                                                       const char             *name,
                                                       const float            *data,
                                                       int                     rows,
                                                       int                     cols);
gboolean                assay_safetensors_writer_write (AssaySafetensorsWriter *self,
                                                        const char             *path,
                                                        GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssaySafetensorsWriter, assay_safetensors_writer_free)

G_END_DECLS
