/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-generate-dialog.h: Generate… on the Generations page: a template (or LLMiner's
 * chain), a local model folder, answers per record and the sampling settings, for the records the
 * page's filter shows. The template sets the thesis's settings (GenCo: K = 5, T 0.8, top-p 0.95,
 * 128 tokens; the judge: greedy) until the user changes them. */
#pragma once

#include <adwaita.h>

#include "assay-gen-generate.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GEN_GENERATE_DIALOG (assay_gen_generate_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenGenerateDialog, assay_gen_generate_dialog, ASSAY, GEN_GENERATE_DIALOG, AdwWindow)

/* Generate was pressed with these options (without filter: the page adds its own); the dialog
 * closes after. */
typedef void (*AssayGenGenerateDialogFunc) (const AssayGenGenerateOptions *options, gpointer data);

/* records: how many records the filter shows (for the subtitle); model: the folder last used
 * (may be NULL) */
AssayGenGenerateDialog *assay_gen_generate_dialog_new (GtkWindow                 *parent,
                                                       guint                      records,
                                                       const char                *model,
                                                       AssayGenGenerateDialogFunc func,
                                                       gpointer                   data);
/* For tests */
void     assay_gen_generate_dialog_set_template (AssayGenGenerateDialog *self, const char *name);
void     assay_gen_generate_dialog_set_model (AssayGenGenerateDialog *self, const char *dir);
void     assay_gen_generate_dialog_set_number (AssayGenGenerateDialog *self, const char *key, double value);
double   assay_gen_generate_dialog_get_number (AssayGenGenerateDialog *self, const char *key);
gboolean assay_gen_generate_dialog_can_generate (AssayGenGenerateDialog *self);
void     assay_gen_generate_dialog_generate (AssayGenGenerateDialog *self);

G_END_DECLS
