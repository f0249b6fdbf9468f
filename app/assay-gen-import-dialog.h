/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-import-dialog.h: the Generations import, with a preview. Shows the first rows of the
 * chosen JSONL or JSON file and the fields they use, the mapping "auto" would take (or the field
 * map remembered for files of this shape, or a guessed one when no built-in mapping fits), and
 * lets the user choose the mapping, each record field's source and the dataset's name — what
 * assay-cli gen import does with --mapping, --map and --name. */
#pragma once

#include <adwaita.h>

#include "assay-gen-import.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GEN_IMPORT_DIALOG (assay_gen_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenImportDialog, assay_gen_import_dialog, ASSAY, GEN_IMPORT_DIALOG, AdwWindow)

/* Import was pressed: path and the options chosen (owned by the dialog: copy what is kept). */
typedef void (*AssayGenImportChosen) (const char *path, const AssayGenImportOptions *options, gpointer data);

/* NULL with error when the file has nothing to preview (named in the message). */
AssayGenImportDialog *assay_gen_import_dialog_new (GtkWindow           *parent,
                                                   AssayStore          *store,
                                                   const char          *path,
                                                   AssayGenImportChosen chosen,
                                                   gpointer             data,
                                                   GError             **error);

/* For tests: the mapping chosen (AUTO: automatic) and the row field a record field comes from
 * (NULL: none); set a field's source (NULL: none); press Import. */
AssayGenMapping assay_gen_import_dialog_get_mapping (AssayGenImportDialog *self);
void            assay_gen_import_dialog_set_mapping (AssayGenImportDialog *self, AssayGenMapping mapping);
const char     *assay_gen_import_dialog_get_field (AssayGenImportDialog *self, const char *field);
void            assay_gen_import_dialog_set_field (AssayGenImportDialog *self, const char *field, const char *key);
gboolean        assay_gen_import_dialog_can_import (AssayGenImportDialog *self);
void            assay_gen_import_dialog_import (AssayGenImportDialog *self);

G_END_DECLS
