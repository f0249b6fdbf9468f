/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_APPLICATION (assay_application_get_type ())
G_DECLARE_FINAL_TYPE (AssayApplication, assay_application, ASSAY, APPLICATION, AdwApplication)

AssayApplication *assay_application_new (void);
GSettings        *assay_application_get_settings (AssayApplication *self);
AssayWorker      *assay_application_get_worker (AssayApplication *self);
void              assay_application_add_recent (AssayApplication *self, const char *path);
/* Creates the demo workspace if needed, fills it, and opens it in a window. */
gboolean          assay_application_open_demo (AssayApplication *self, GError **error);

G_END_DECLS
