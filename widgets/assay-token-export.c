/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-export.c: see assay-token-export.h. */
#include "assay-token-export.h"

#include <cairo-svg.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <math.h>

#define MARGIN 16.0
#define LEGEND 24.0

static double
title_height (PangoContext *context, const char *title, double width, PangoLayout **out)
{
  PangoLayout          *layout;
  PangoFontDescription *desc;
  PangoRectangle        ext;

  if (title == NULL || *title == '\0')
    return 0.0;
  layout = pango_layout_new (context);
  desc = pango_font_description_from_string ("Sans 10");
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, title, -1);
  pango_layout_get_pixel_extents (layout, NULL, &ext);
  *out = layout;
  return ext.height + 8.0;
}

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
assay_token_export (const AssayTokenData *data, double range, const char *title, double width,
                    const char *path, GError **error)
{
  PangoFontMap     *map = pango_cairo_font_map_get_default ();
  PangoContext     *context = pango_font_map_create_context (map);
  AssayTokenLayout *layout = assay_token_layout_new (data, context, NULL);
  PangoLayout      *title_layout = NULL;
  gboolean          svg = g_str_has_suffix (path, ".svg") || g_str_has_suffix (path, ".SVG");
  double            inner = width - 2 * MARGIN, th, height;
  static const double black[3] = { 0.1, 0.1, 0.12 };
  cairo_surface_t  *surface;
  cairo_status_t    status;
  cairo_t          *cr;
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  if (!svg && !g_str_has_suffix (path, ".png") && !g_str_has_suffix (path, ".PNG"))
    {
      assay_token_layout_free (layout);
      g_object_unref (context);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: the figure must end in .png or .svg"), path);
      return FALSE;
    }
  if (range > 0)
    assay_token_layout_set_range (layout, range);
  assay_token_layout_wrap (layout, inner);
  th = title_height (context, title, inner, &title_layout);
  height = MARGIN + th + LEGEND + 8.0 + assay_token_layout_get_height (layout) + MARGIN;
  /* drawn into memory, then written whole through a new temporary file and a rename */
  surface = svg ? cairo_svg_surface_create_for_stream (append_bytes, bytes, width, height)
                : cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) ceil (width), (int) ceil (height));
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_translate (cr, MARGIN, MARGIN);
  if (title_layout != NULL)
    {
      cairo_set_source_rgb (cr, black[0], black[1], black[2]);
      cairo_move_to (cr, 0, 0);
      pango_cairo_show_layout (cr, title_layout);
      g_object_unref (title_layout);
    }
  assay_token_legend_draw (cr, context, 0, th, inner, LEGEND, assay_token_layout_get_range (layout), black,
                           FALSE);
  cairo_translate (cr, 0, th + LEGEND + 8.0);
  assay_token_layout_draw (layout, cr, 0, assay_token_layout_get_height (layout));
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  status = svg ? cairo_surface_status (surface)
               : cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  assay_token_layout_free (layout);
  g_object_unref (context);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  return g_file_set_contents_full (path, (const char *) bytes->data, (gssize) bytes->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
}
