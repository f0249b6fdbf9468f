/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-csv-reader.h: RFC 4180 records from a buffer: quoted fields (with the delimiter, line
 * breaks and doubled quotes inside), CRLF or LF line ends, a UTF-8 byte-order mark. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayCsvReader AssayCsvReader;

/* The reader borrows data, which must outlive it. path is used in error messages. */
AssayCsvReader *assay_csv_reader_new (const char *path, const char *data, gsize length,
                                      char delimiter);
void            assay_csv_reader_free (AssayCsvReader *self);
/* Reads the next record into fields (strings owned by the reader until the next call).
 * Returns FALSE at the end (error unset) or on a malformed record (error set, "FILE:LINE: ..."). */
gboolean        assay_csv_reader_next (AssayCsvReader *self, GPtrArray **fields, GError **error);
/* The line on which the last record started (1-based). */
guint           assay_csv_reader_get_line (AssayCsvReader *self);
/* Fraction of the input consumed. */
double          assay_csv_reader_get_fraction (AssayCsvReader *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayCsvReader, assay_csv_reader_free)

G_END_DECLS
