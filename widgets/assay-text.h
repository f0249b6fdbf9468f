/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-text.h: one line of text in a plot, placed by an anchor point. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Draws text with the widget's font, its vertical centre at y and the point xalign of its width
 * (0 left, 0.5 centre, 1 right) at x. */
void assay_text_draw (GtkWidget     *widget,
                      GtkSnapshot   *snapshot,
                      const char    *text,
                      double         x,
                      double         y,
                      double         xalign,
                      const GdkRGBA *color);

G_END_DECLS
