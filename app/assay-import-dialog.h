/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-import-dialog.h: the options of an import, asked after the file chooser: the dataset's
 * name and the rows the page adds (a choice, a number, a text or a switch, each under a key), as
 * the CLI's import options (traces --format, video --count, cpd --time-column …). The callback
 * reads the values back by key. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The frame every import dialog has: a header bar (title, subtitle, Cancel, a suggested Import)
 * over a scrolling, clamped column, and Escape to cancel. Returns the column to fill; *import is
 * the Import button (the caller connects its "clicked"). */
GtkWidget *assay_import_dialog_frame (AdwWindow  *window,
                                      const char *title,
                                      const char *subtitle,
                                      GtkWidget **import);

/* A row added to group with a spin button at its end (labelled by the title for assistive
 * technologies, activated by the row); returns the button, and the row in *row when asked. */
GtkSpinButton *assay_import_dialog_spin_row (GtkWidget  *group,
                                             const char *title,
                                             const char *subtitle,
                                             double      lower,
                                             double      upper,
                                             double      step,
                                             guint       digits,
                                             double      value,
                                             GtkWidget **row);

#define ASSAY_TYPE_IMPORT_DIALOG (assay_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayImportDialog, assay_import_dialog, ASSAY, IMPORT_DIALOG, AdwWindow)

/* Import was pressed (the dialog closes after) */
typedef void (*AssayImportDialogFunc) (AssayImportDialog *dialog, gpointer data);

/* what: "Import Traces"; files: what is imported (the first names the dataset by default) */
AssayImportDialog *assay_import_dialog_new (GtkWindow *parent, const char *what, const char *const *files,
                                            AssayImportDialogFunc func, gpointer data);
void        assay_import_dialog_add_choice (AssayImportDialog *self, const char *key, const char *title,
                                            const char *subtitle, const char *const *labels, guint selected);
void        assay_import_dialog_add_number (AssayImportDialog *self, const char *key, const char *title,
                                            const char *subtitle, double lower, double upper, double value);
void        assay_import_dialog_add_text (AssayImportDialog *self, const char *key, const char *title,
                                          const char *value);
void        assay_import_dialog_add_switch (AssayImportDialog *self, const char *key, const char *title,
                                            const char *subtitle, gboolean active);

const char *const *assay_import_dialog_get_files (AssayImportDialog *self);
/* The dataset name given, or NULL for the default */
const char *assay_import_dialog_get_name (AssayImportDialog *self);
guint       assay_import_dialog_get_choice (AssayImportDialog *self, const char *key);
double      assay_import_dialog_get_number (AssayImportDialog *self, const char *key);
const char *assay_import_dialog_get_text (AssayImportDialog *self, const char *key);
gboolean    assay_import_dialog_get_switch (AssayImportDialog *self, const char *key);
/* For tests */
void        assay_import_dialog_set_choice (AssayImportDialog *self, const char *key, guint selected);
void        assay_import_dialog_set_number (AssayImportDialog *self, const char *key, double value);
void        assay_import_dialog_set_text (AssayImportDialog *self, const char *key, const char *value);
void        assay_import_dialog_import (AssayImportDialog *self);

G_END_DECLS
