/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "assay-page.h"
#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_WINDOW (assay_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayWindow, assay_window, ASSAY, WINDOW, AdwApplicationWindow)

AssayWindow *assay_window_new (GtkApplication *application);
/* Opens (creating if needed) the workspace at path; on failure the window shows why. */
gboolean     assay_window_open_workspace (AssayWindow *self, const char *path, GError **error);
AssayStore  *assay_window_get_store (AssayWindow *self);
gboolean     assay_window_show_page (AssayWindow *self, const char *name);
AssayPage   *assay_window_get_page (AssayWindow *self, const char *name);
/* The page names in sidebar order. */
const char *const *assay_window_page_names (void);
void         assay_window_toast (AssayWindow *self, const char *message);

G_END_DECLS
