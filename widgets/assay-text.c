/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-text.h"

void
assay_text_draw (GtkWidget *widget, GtkSnapshot *snapshot, const char *text, double x, double y,
                 double xalign, const GdkRGBA *color)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int          w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x - xalign * w), (float) (y - h / 2.0)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}
