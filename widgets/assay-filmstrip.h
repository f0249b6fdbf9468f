/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-filmstrip.h: a row of frames (textures) scaled to fit the width, the selected one
 * framed; click or Left/Right select ("selected" signal with the index). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_FILMSTRIP (assay_filmstrip_get_type ())
G_DECLARE_FINAL_TYPE (AssayFilmstrip, assay_filmstrip, ASSAY, FILMSTRIP, GtkWidget)

GtkWidget *assay_filmstrip_new (void);
/* textures: GdkTexture per frame (referenced); NULL clears */
void       assay_filmstrip_set_frames (AssayFilmstrip *self, GPtrArray *textures);
guint      assay_filmstrip_get_n_frames (AssayFilmstrip *self);
int        assay_filmstrip_get_selected (AssayFilmstrip *self);
void       assay_filmstrip_set_selected (AssayFilmstrip *self, int index);

G_END_DECLS
