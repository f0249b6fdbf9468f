/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-wrap-box.h: children in a row that wraps onto further rows when the width runs out,
 * for toolbars that must fit a half or an 800 px screen with nothing cut off. Each child gets
 * its natural width (at most the box's); in each row the children that expand share what is
 * left, so an empty expanding child pushes the ones after it to the right. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_WRAP_BOX (assay_wrap_box_get_type ())
G_DECLARE_FINAL_TYPE (AssayWrapBox, assay_wrap_box, ASSAY, WRAP_BOX, GtkWidget)

GtkWidget *assay_wrap_box_new (void);
void       assay_wrap_box_append (AssayWrapBox *self, GtkWidget *child);
/* Rows the children took at the last allocation */
guint      assay_wrap_box_get_n_rows (AssayWrapBox *self);

G_END_DECLS
