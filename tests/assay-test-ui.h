/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-test-ui.h: helpers for UI tests under Xvfb. */
#pragma once

#include <gtk/gtk.h>

#include "assay-window.h"

G_BEGIN_DECLS

typedef void (*AssayTestWindowFunc) (AssayWindow *window, gpointer data);

/* Runs the application on the workspace at path (NULL: none) and calls func with its window once
 * it is shown; the application quits when func returns. */
void        assay_test_run_app (const char *path, AssayTestWindowFunc func, gpointer data);
/* Spins the main loop for ms milliseconds (so layout and drawing happen). */
void        assay_test_wait (guint ms);
/* Renders the widget as it is drawn now. */
GdkTexture *assay_test_render (GtkWidget *widget);
/* Number of distinct RGBA values in the texture (capped at 4096). */
guint       assay_test_count_colors (GdkTexture *texture);
/* RGBA of one pixel, as 0xAARRGGBB. */
guint32     assay_test_pixel (GdkTexture *texture, int x, int y);
/* Is there a pixel within tolerance (per channel, of 255) of color? */
gboolean    assay_test_has_color (GdkTexture *texture, const GdkRGBA *color, int tolerance);
/* Called once per frame before layout; returns FALSE when there is nothing more to do. */
typedef gboolean (*AssayTestFrameFunc) (GtkWidget *widget, guint frame, gpointer data);
/* Runs func on the widget's frame clock, one call per frame, and measures the work of each
 * frame (update, i.e. func itself, through layout and paint) in ms. Returns the number of
 * frames; fills p50, p95 and max. */
guint       assay_test_frames (GtkWidget         *widget,
                               AssayTestFrameFunc func,
                               gpointer           data,
                               guint              max_frames,
                               double            *p50,
                               double            *p95,
                               double            *max);
/* Scrolls the scrolled window from top to bottom in steps of `step` pixels (0: a page),
 * one step per frame, and measures the work of each frame (layout through paint) in ms.
 * Returns the number of frames; fills p50, p95 and max. */
guint       assay_test_scroll_frames (GtkScrolledWindow *scrolled,
                                      double             step,
                                      guint              max_frames,
                                      double            *p50,
                                      double            *p95,
                                      double            *max);
/* Saves into $ASSAY_SCREENSHOT_DIR when set (for the README and closing notes). */
void        assay_test_save_screenshot (GdkTexture *texture, const char *name);
/* Whether a mapped label under widget has text containing part */
gboolean    assay_test_find_label (GtkWidget *widget, const char *part);

G_END_DECLS
