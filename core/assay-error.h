/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASSAY_ERROR (assay_error_quark ())

typedef enum
{
  ASSAY_ERROR_FAILED,
  ASSAY_ERROR_INVALID_INPUT, /* a malformed file, line or field; the message names it */
  ASSAY_ERROR_NOT_FOUND,     /* no such dataset, run, record, ... */
  ASSAY_ERROR_VERSION,       /* workspace written by a newer Assay */
  ASSAY_ERROR_NOT_WORKSPACE, /* a file that is not an Assay workspace */
  ASSAY_ERROR_DATABASE,      /* SQLite failure */
  ASSAY_ERROR_DEVICE,        /* CUDA / cuBLAS failure: the job may be retried on the CPU */
  ASSAY_ERROR_OUT_OF_MEMORY,
  ASSAY_ERROR_UNSUPPORTED,
  ASSAY_ERROR_NOTHING_TO_DO, /* e.g. undo with an empty journal */
  ASSAY_ERROR_READ_ONLY,     /* a write to a workspace opened read-only */
  ASSAY_ERROR_TOO_LONG,      /* an input longer than a model reads */
} AssayError;

GQuark assay_error_quark (void);

G_END_DECLS
