/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-palette.h"

#include <math.h>

static void
set (GdkRGBA *c, guint32 rgb, float alpha)
{
  c->red = ((rgb >> 16) & 0xff) / 255.0f;
  c->green = ((rgb >> 8) & 0xff) / 255.0f;
  c->blue = (rgb & 0xff) / 255.0f;
  c->alpha = alpha;
}

void
assay_palette_foreground (GtkWidget *widget, GdkRGBA *color)
{
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
}

gboolean
assay_palette_is_dark (GtkWidget *widget)
{
  GdkRGBA fg;

  assay_palette_foreground (widget, &fg);
  return 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue > 0.5;
}

void
assay_palette_bin (guint n_train, GdkRGBA *color)
{
  if (n_train == 0)
    set (color, 0x9a9996, 0.6f);
  else if (n_train < 10)
    set (color, 0xe66100, 1.0f); /* tail */
  else if (n_train < 100)
    set (color, 0x3584e4, 1.0f); /* torso */
  else
    set (color, 0x1a5fb4, 1.0f); /* head */
}

void
assay_palette_curve (GdkRGBA *color)
{
  set (color, 0x26a269, 1.0f);
}

void
assay_palette_selection (GdkRGBA *color)
{
  set (color, 0xc01c28, 0.9f);
}

void
assay_palette_positive (GdkRGBA *color)
{
  set (color, 0x2ec27e, 1.0f);
}

void
assay_palette_negative (GdkRGBA *color)
{
  set (color, 0xe01b24, 1.0f);
}

void
assay_palette_diverging (double v, GdkRGBA *color)
{
  /* Blue (cool) <-> near-white <-> red (warm), as RdBu */
  static const float cool[3] = { 0.129f, 0.400f, 0.675f };
  static const float mid[3] = { 0.969f, 0.969f, 0.969f };
  static const float warm[3] = { 0.698f, 0.094f, 0.169f };
  const float *end;
  float        t;

  if (isnan (v))
    v = 0.0;
  v = CLAMP (v, -1.0, 1.0);
  end = v < 0 ? cool : warm;
  t = (float) fabs (v);
  color->red = mid[0] + (end[0] - mid[0]) * t;
  color->green = mid[1] + (end[1] - mid[1]) * t;
  color->blue = mid[2] + (end[2] - mid[2]) * t;
  color->alpha = 1.0f;
}

void
assay_palette_series (guint i, GdkRGBA *color)
{
  static const guint32 colors[] = { 0x1c71d8, 0xe66100, 0x26a269, 0x9141ac,
                                    0xc01c28, 0x865e3c, 0x2190a4, 0xa51d2d };
  set (color, colors[i % G_N_ELEMENTS (colors)], 1.0f);
}
