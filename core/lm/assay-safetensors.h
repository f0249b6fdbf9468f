/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-safetensors.h: memory-mapped safetensors files (one, or the shards of an index), every
 * header checked before a byte of data is used. */
#pragma once

#include <glib.h>

#include "assay-backend.h"

G_BEGIN_DECLS

#define ASSAY_SAFETENSORS_MAX_DIMS 8

typedef enum
{
  ASSAY_ST_F32,
  ASSAY_ST_F16,
  ASSAY_ST_BF16,
  ASSAY_ST_F64,
  ASSAY_ST_I64,
  ASSAY_ST_I32,
  ASSAY_ST_I16,
  ASSAY_ST_I8,
  ASSAY_ST_U8,
  ASSAY_ST_BOOL,
  ASSAY_ST_F8_E4M3,
  ASSAY_ST_F8_E5M2,
} AssaySafetensorType;

typedef struct
{
  char               *name;
  AssaySafetensorType type;
  int                 n_dims;
  gint64              shape[ASSAY_SAFETENSORS_MAX_DIMS];
  gint64              n_elements;
  const guint8       *data; /* n_elements * element size bytes inside the mapping */
  gsize               n_bytes;
  const char         *file; /* the file it lives in (owned by the set) */
} AssaySafetensor;

typedef struct _AssaySafetensors AssaySafetensors;

/* One file. */
AssaySafetensors      *assay_safetensors_open (const char *path, GError **error);
/* A model folder: model.safetensors, or model.safetensors.index.json and its shards (every
 * tensor the index names must be in the shard it names). */
AssaySafetensors      *assay_safetensors_open_dir (const char *dir, GError **error);
/* Parses a safetensors image in memory (label names it in errors); data must outlive the set.
 * The entry point the fuzzer drives. */
AssaySafetensors      *assay_safetensors_parse (const guint8 *data,
                                                gsize         len,
                                                const char   *label,
                                                GError      **error);
void                   assay_safetensors_free (AssaySafetensors *self);

guint                  assay_safetensors_count (AssaySafetensors *self);
const AssaySafetensor *assay_safetensors_index (AssaySafetensors *self, guint i);
const AssaySafetensor *assay_safetensors_get (AssaySafetensors *self, const char *name);
/* Total bytes of tensor data. */
guint64                assay_safetensors_data_bytes (AssaySafetensors *self);
/* Drops the pages of a tensor that has been copied out (they are read again if touched). */
void                   assay_safetensors_evict (AssaySafetensors *self, const AssaySafetensor *t);

const char            *assay_safetensor_type_name (AssaySafetensorType type);
gsize                  assay_safetensor_type_size (AssaySafetensorType type);
/* The backend dtype of a float tensor; FALSE for the other types. */
gboolean               assay_safetensor_dtype (const AssaySafetensor *t, AssayDType *dtype);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssaySafetensors, assay_safetensors_free)

G_END_DECLS
