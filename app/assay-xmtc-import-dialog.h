/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-import-dialog.h: the Labels import, with a preview. For a CSV file: the first rows
 * under the delimiter chosen (guessed), whether the first line names the columns, the text and
 * label columns (guessed from their names, else from their contents), the label separator and a
 * split column — assay-cli xmtc import's --delimiter, --no-header, --text-column, --label-column,
 * --label-separator and --split-column. For a Reuters-21578 folder or file: --all-topics. For
 * every format: the dataset's name. */
#pragma once

#include <adwaita.h>

#include "assay-xmtc-import.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_XMTC_IMPORT_DIALOG (assay_xmtc_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayXmtcImportDialog, assay_xmtc_import_dialog, ASSAY, XMTC_IMPORT_DIALOG, AdwWindow)

/* Import was pressed: the options chosen (owned by the dialog: copy what is kept) */
typedef void (*AssayXmtcImportChosen) (const char *path, const AssayXmtcImportOptions *options, gpointer data);

/* NULL with error when a CSV file has nothing to preview */
AssayXmtcImportDialog *assay_xmtc_import_dialog_new (GtkWindow            *parent,
                                                     const char           *path,
                                                     AssayXmtcImportChosen chosen,
                                                     gpointer              data,
                                                     GError              **error);

/* For tests */
AssayXmtcFormat assay_xmtc_import_dialog_get_format (AssayXmtcImportDialog *self);
const char     *assay_xmtc_import_dialog_get_column (AssayXmtcImportDialog *self, const char *which); /* "text", "label", "split" */
void            assay_xmtc_import_dialog_set_column (AssayXmtcImportDialog *self, const char *which, const char *name);
char            assay_xmtc_import_dialog_get_delimiter (AssayXmtcImportDialog *self);
void            assay_xmtc_import_dialog_set_delimiter (AssayXmtcImportDialog *self, char delimiter);
guint           assay_xmtc_import_dialog_get_n_columns (AssayXmtcImportDialog *self);
void            assay_xmtc_import_dialog_set_header (AssayXmtcImportDialog *self, gboolean header);
gboolean        assay_xmtc_import_dialog_can_import (AssayXmtcImportDialog *self);
void            assay_xmtc_import_dialog_import (AssayXmtcImportDialog *self);

G_END_DECLS
