/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-datasets-window.h: the workspace's datasets of every area, to rename and delete. */
#pragma once

#include <adwaita.h>

#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_DATASETS_WINDOW (assay_datasets_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayDatasetsWindow, assay_datasets_window, ASSAY, DATASETS_WINDOW,
                      AdwPreferencesWindow)

GtkWindow *assay_datasets_window_new (GtkWindow *parent, AssayStore *store);
/* For tests: rows shown, and the dialogs a row's buttons open (NULL when none is open). */
guint      assay_datasets_window_get_n_rows (AssayDatasetsWindow *self);
GtkWidget *assay_datasets_window_get_row (AssayDatasetsWindow *self, guint i);
AdwMessageDialog *assay_datasets_window_get_dialog (AssayDatasetsWindow *self);

G_END_DECLS
