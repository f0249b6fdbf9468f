/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_APPLICATION (assay_application_get_type ())
G_DECLARE_FINAL_TYPE (AssayApplication, assay_application, ASSAY, APPLICATION, AdwApplication)

AssayApplication *assay_application_new (void);
/* Memory allocation settings for a process that draws: call first thing in main(). Frames
 * allocate image buffers of the window's size (Cairo rendering); these are served from the heap
 * and freed memory is kept, instead of mapping and faulting in fresh pages every frame (a
 * 1 000 000-step plot frame: 48 -> 30 ms under Xvfb, tests/bench-ui-cpd). */
void              assay_application_tune_allocator (void);
GSettings        *assay_application_get_settings (AssayApplication *self);
AssayWorker      *assay_application_get_worker (AssayApplication *self);
void              assay_application_add_recent (AssayApplication *self, const char *path);
/* Creates the demo workspace if needed, fills it, and opens it in a window. */
gboolean          assay_application_open_demo (AssayApplication *self, GError **error);

G_END_DECLS
