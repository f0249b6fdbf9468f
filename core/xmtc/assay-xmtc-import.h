/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-import.h: multi-label corpora into a workspace, all or nothing.
 *
 * Formats:
 *  xc       Extreme Classification Repository sparse format: a header "N F L", then one line per
 *           document "l1,l2 f:v f:v ..." (0-based indices); optional vocabulary and label-name
 *           files (one per line). A second file (test_path) gives the test split.
 *  reuters  Reuters-21578 SGML (a folder of reut2-*.sgm, or one file): TOPICS labels, ModApte
 *           split (LEWISSPLIT TRAIN/TEST with TOPICS="YES"); by default only the categories with
 *           both training and test documents (the usual 90), and documents having one of them.
 *  jsonl    {"id": ..., "text": ..., "title": ..., "labels": [...], "split": "train|test"}
 *  csv      a text column (or several, joined) and a label column (labels split by a separator).
 *
 * A malformed line fails the import with "FILE:LINE: reason". Duplicate ids, out-of-range
 * indices and empty documents are skipped and counted; labels without training documents are
 * kept and counted.
 */
#pragma once

#include <gio/gio.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_XMTC_FORMAT_AUTO,
  ASSAY_XMTC_FORMAT_XC,
  ASSAY_XMTC_FORMAT_REUTERS,
  ASSAY_XMTC_FORMAT_JSONL,
  ASSAY_XMTC_FORMAT_CSV,
} AssayXmtcFormat;

typedef struct
{
  AssayXmtcFormat format;
  const char     *name;             /* dataset name (default: the file's name) */
  const char     *test_path;        /* xc, jsonl, csv: a second file holding the test split */
  const char     *vocabulary_path;  /* xc: feature names */
  const char     *label_names_path; /* xc: label names */
  gboolean        reuters_all_topics;
  /* csv */
  char            delimiter;        /* default ',' */
  gboolean        no_header;
  const char     *text_columns;     /* names or 1-based numbers, comma-separated */
  const char     *label_column;
  const char     *label_separator;  /* default "|" */
  const char     *split_column;
} AssayXmtcImportOptions;

typedef struct
{
  gint64 dataset;
  guint  documents;
  guint  train;
  guint  test;
  guint  labels;
  guint  duplicates;           /* skipped: id seen before */
  guint  empty;                /* skipped: no text / no features */
  guint  unlabelled;           /* reuters: skipped, no kept topic */
  guint  out_of_range;         /* xc: indices beyond the header's F or L, dropped */
  guint  labels_without_train; /* kept, but nothing to learn from */
  guint  labels_dropped;       /* reuters: categories missing from one split */
} AssayXmtcImportResult;

typedef void (*AssayXmtcImportProgress) (double fraction, const char *message, gpointer data);

void            assay_xmtc_import_options_init (AssayXmtcImportOptions *options);
gboolean        assay_xmtc_parse_format (const char *name, AssayXmtcFormat *format);
AssayXmtcFormat assay_xmtc_guess_format (const char *path);
/* CSV: the delimiter of a file (tab for .tsv, else the most frequent of , tab ; | on the first
 * line) and its first rows (GStrv each) for an import preview */
char            assay_xmtc_guess_delimiter (const char *path);
GPtrArray      *assay_xmtc_csv_preview (const char *path, char delimiter, guint max_rows, GError **error);

gboolean        assay_xmtc_import (AssayStore                   *store,
                                   const char                   *path,
                                   const AssayXmtcImportOptions *options,
                                   AssayXmtcImportResult        *result,
                                   AssayXmtcImportProgress       progress,
                                   gpointer                      progress_data,
                                   GCancellable                 *cancellable,
                                   GError                      **error);

G_END_DECLS
