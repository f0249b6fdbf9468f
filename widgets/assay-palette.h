/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-palette.h: the colours every plot shares, readable on light and dark styles. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The widget's text colour (axes, labels). */
void assay_palette_foreground (GtkWidget *widget, GdkRGBA *color);
/* TRUE in a dark style: the widget's foreground is light */
gboolean assay_palette_is_dark (GtkWidget *widget);
/* Label bins by training count: none, tail (1-9), torso (10-99), head (100+). */
void assay_palette_bin (guint n_train, GdkRGBA *color);
void assay_palette_curve (GdkRGBA *color);
void assay_palette_selection (GdkRGBA *color);
void assay_palette_positive (GdkRGBA *color);
void assay_palette_negative (GdkRGBA *color);
/* Diverging cool (v = -1) <-> neutral (0) <-> warm (+1); v is clamped. */
void assay_palette_diverging (double v, GdkRGBA *color);
/* The i-th of a set of distinct series colours. */
void assay_palette_series (guint i, GdkRGBA *color);

G_END_DECLS
