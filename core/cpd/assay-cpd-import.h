/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-import.h: time series into a workspace dataset, all or nothing.
 *
 * csv    a header row; an optional time column (named time, date, timestamp or t, or given);
 *        columns "variable.feature" make an N x M grid, plain columns are variables (M = 1).
 *        Empty cells, NA, NaN, null are missing.
 * tcpd   a TCPD series file (name, n_obs, n_dim, time, series[label, raw]), or a folder of them;
 *        human annotations come from the nearest annotations.json up the folder tree.
 * jsonl  one series per line: {"name", "data": T x N (or T x N x M) numbers, "var_names",
 *        "feat_names", "annotations": {annotator: [steps]} or "change_points": [steps],
 *        "change_type"}.
 * Missing values are interpolated linearly (edges: nearest value) or, with refuse_missing, fail
 * the import naming the file, series, step and variable. */
#pragma once

#include <gio/gio.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_CPD_FORMAT_AUTO,
  ASSAY_CPD_FORMAT_CSV,
  ASSAY_CPD_FORMAT_TCPD,
  ASSAY_CPD_FORMAT_JSONL,
} AssayCpdFormat;

typedef struct
{
  AssayCpdFormat format;
  const char    *name;
  gboolean       refuse_missing;
  const char    *time_column; /* csv */
  char           delimiter;   /* csv, default ',' */
} AssayCpdImportOptions;

typedef struct
{
  gint64 dataset;
  guint  series;
  guint  missing;     /* values interpolated */
  guint  annotated;   /* series with annotations */
} AssayCpdImportResult;

void     assay_cpd_import_options_init (AssayCpdImportOptions *options);
gboolean assay_cpd_parse_format (const char *name, AssayCpdFormat *format);
gboolean assay_cpd_import (AssayStore                  *store,
                           const char *const           *paths,
                           const AssayCpdImportOptions *options,
                           AssayCpdImportResult        *result,
                           GCancellable                *cancellable,
                           GError                     **error);

G_END_DECLS
