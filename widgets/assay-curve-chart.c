/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-curve-chart.c: see assay-curve-chart.h. y values are row-major: series then x. At most
 * about eight x ticks are labelled, and points get dots only while there are few of them. */
#include "assay-curve-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-palette.h"

struct _AssayCurveChart
{
  GtkWidget parent_instance;

  int       n_x, n_series;
  double   *x, *y;
  GStrv     names;
  gboolean  log2_x;
  char     *x_label, *y_label;
  char     *empty;
  gboolean  auto_y;      /* the y axis spans the data (else 0 to 1) */
};

G_DEFINE_FINAL_TYPE (AssayCurveChart, assay_curve_chart, GTK_TYPE_WIDGET)

static double
xv (AssayCurveChart *self, double v)
{
  return self->log2_x ? log2 (MAX (v, 1e-9)) : v;
}

static void
text_at (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, double ax, double ay)
{
  PangoRectangle ext;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_extents (layout, NULL, &ext);
  cairo_move_to (cr, x - ax * ext.width, y - ay * ext.height);
  pango_cairo_show_layout (cr, layout);
}

/* A round step for about n intervals over span. */
/* A y tick: plain decimals, or thousands, millions, billions with k, M, G for large values
 * (a loss of 15000000 reads 15M). */
static char *
tick_label (double v, double ystep, int digits, double largest)
{
  static const struct { double scale; const char *suffix; } units[] = { { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" } };

  if (fabs (v) < ystep / 2)
    v = 0.0;
  if (largest >= 1e4)
    for (guint i = 0; i < G_N_ELEMENTS (units); i++)
      if (largest >= 10 * units[i].scale || (i == G_N_ELEMENTS (units) - 1 && largest >= 1e4))
        {
          int d = CLAMP ((int) -floor (log10 (ystep / units[i].scale) + 1e-9), 0, 3);
          return g_strdup_printf ("%.*f%s", d, v / units[i].scale, v == 0.0 ? "" : units[i].suffix);
        }
  return g_strdup_printf ("%.*f", digits, v);
}

static double
nice_step (double span, int n)
{
  double raw = span / n, mag = pow (10, floor (log10 (raw))), f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void
snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayCurveChart *self = ASSAY_CURVE_CHART (widget);
  int              width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double           left = 44, right = 130, top = 10, bottom = 34;
  double           pw, ph = height - top - bottom, x0, x1, y0 = 0, y1 = 1, ystep = 0.25;
  int              digits = 2;
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  GdkRGBA          fg;
  cairo_t         *cr;

  if (self->auto_y)
    {
      double lo = INFINITY, hi = -INFINITY;
      for (int i = 0; i < self->n_x * self->n_series; i++)
        if (isfinite (self->y[i]))
          {
            lo = MIN (lo, self->y[i]);
            hi = MAX (hi, self->y[i]);
          }
      if (!isfinite (lo))
        lo = 0, hi = 1;
      if (hi - lo < 1e-9)
        lo -= 0.5, hi += 0.5;
      ystep = nice_step (hi - lo, 4);
      digits = CLAMP ((int) -floor (log10 (ystep) + 1e-9), 0, 8);
      y0 = floor (lo / ystep) * ystep;
      y1 = ceil (hi / ystep) * ystep;
    }
  /* room for the widest y label */
  for (double v = y0; v <= y1 + ystep / 2; v += ystep)
    {
      g_autofree char *t = tick_label (v, ystep, digits, MAX (fabs (y0), fabs (y1)));
      PangoRectangle   ext;
      pango_layout_set_text (layout, t, -1);
      pango_layout_get_pixel_extents (layout, NULL, &ext);
      left = MAX (left, ext.width + 10);
    }
  pw = width - left - right;
  if (pw < 20 || ph < 20)
    return;
  assay_palette_foreground (widget, &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, 1.0);
  gdk_cairo_set_source_rgba (cr, &fg);
  if (self->n_x == 0)
    {
      gdk_cairo_set_source_rgba (cr, &fg);
      text_at (cr, layout, self->empty != NULL ? self->empty : _("No questions with several candidates"), width / 2.0,
               height / 2.0, 0.5, 0.5);
      cairo_destroy (cr);
      return;
    }
  /* axes and grid */
  for (double v = y0; v <= y1 + ystep / 2; v += ystep)
    {
      double           yy = top + ph * (1.0 - (v - y0) / (y1 - y0));
      int              k = v == y0 ? 0 : 1;
      g_autofree char *t = tick_label (v, ystep, digits, MAX (fabs (y0), fabs (y1)));
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, k == 0 ? 0.8 : 0.15);
      cairo_move_to (cr, left, floor (yy) + 0.5);
      cairo_line_to (cr, left + pw, floor (yy) + 0.5);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
      text_at (cr, layout, t, left - 4, yy, 1.0, 0.5);
    }
  x0 = xv (self, self->x[0]);
  x1 = xv (self, self->x[self->n_x - 1]);
  if (x1 <= x0)
    x1 = x0 + 1;
#define PX(v) (left + pw * (xv (self, v) - x0) / (x1 - x0))
#define PY(v) (top + ph * (1.0 - CLAMP (((v) - y0) / (y1 - y0), 0.0, 1.0)))
  if (self->n_x <= 10 || self->log2_x)
    for (int i = 0; i < self->n_x; i++)
      {
        g_autofree char *t = g_strdup_printf ("%g", self->x[i]);
        text_at (cr, layout, t, PX (self->x[i]), top + ph + 3, 0.5, 0.0);
      }
  else
    {
      double step = nice_step (self->x[self->n_x - 1] - self->x[0], 6);
      for (double v = ceil (self->x[0] / step) * step; v <= self->x[self->n_x - 1] + step / 1e6; v += step)
        {
          g_autofree char *t = g_strdup_printf ("%g", v);
          text_at (cr, layout, t, PX (v), top + ph + 3, 0.5, 0.0);
        }
    }
  if (self->x_label)
    text_at (cr, layout, self->x_label, left + pw / 2, height - 1, 0.5, 1.0);
  for (int s = 0; s < self->n_series; s++)
    {
      GdkRGBA  c;
      gboolean pen = FALSE;
      assay_palette_series (s, &c);
      gdk_cairo_set_source_rgba (cr, &c);
      cairo_set_line_width (cr, 2.0);
      for (int i = 0; i < self->n_x; i++)
        {
          double v = self->y[s * self->n_x + i];
          if (isnan (v))
            {
              pen = FALSE;
              continue;
            }
          if (pen)
            cairo_line_to (cr, PX (self->x[i]), PY (v));
          else
            cairo_move_to (cr, PX (self->x[i]), PY (v));
          pen = TRUE;
        }
      cairo_stroke (cr);
      for (int i = 0; self->n_x <= 40 && i < self->n_x; i++)
        if (!isnan (self->y[s * self->n_x + i]))
          {
            cairo_arc (cr, PX (self->x[i]), PY (self->y[s * self->n_x + i]), 3.0, 0, 2 * G_PI);
            cairo_fill (cr);
          }
      /* legend */
      cairo_rectangle (cr, left + pw + 12, top + 4 + 18 * s, 14, 3);
      cairo_fill (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      text_at (cr, layout, self->names[s], left + pw + 30, top + 6 + 18 * s, 0.0, 0.5);
    }
#undef PX
#undef PY
  cairo_destroy (cr);
}

static void
measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
         int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 300 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 180;
}

static void
finalize (GObject *object)
{
  AssayCurveChart *self = ASSAY_CURVE_CHART (object);

  g_free (self->x);
  g_free (self->y);
  g_strfreev (self->names);
  g_free (self->x_label);
  g_free (self->y_label);
  g_free (self->empty);
  G_OBJECT_CLASS (assay_curve_chart_parent_class)->finalize (object);
}

static void
assay_curve_chart_class_init (AssayCurveChartClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = snapshot;
  GTK_WIDGET_CLASS (klass)->measure = measure;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "curvechart");
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_IMG);
}

static void
assay_curve_chart_init (AssayCurveChart *self)
{
}

GtkWidget *
assay_curve_chart_new (void)
{
  return g_object_new (ASSAY_TYPE_CURVE_CHART, NULL);
}

void
assay_curve_chart_set_data (AssayCurveChart *self, int n_x, const double *x, int n_series,
                            const char *const *names, const double *y, gboolean log2_x)
{
  g_return_if_fail (ASSAY_IS_CURVE_CHART (self));

  g_free (self->x);
  g_free (self->y);
  g_strfreev (self->names);
  self->n_x = MAX (n_x, 0);
  self->n_series = self->n_x > 0 ? MAX (n_series, 0) : 0;
  self->x = g_memdup2 (x != NULL ? (gconstpointer) x : "", sizeof (double) * MAX (self->n_x, 1));
  self->y = g_memdup2 (y != NULL ? (gconstpointer) y : "", sizeof (double) * MAX (self->n_x * self->n_series, 1));
  self->names = g_new0 (char *, self->n_series + 1);
  for (int s = 0; s < self->n_series; s++)
    self->names[s] = g_strdup (names[s]);
  self->log2_x = log2_x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_curve_chart_set_labels (AssayCurveChart *self, const char *x_label, const char *y_label)
{
  g_free (self->x_label);
  g_free (self->y_label);
  self->x_label = g_strdup (x_label);
  self->y_label = g_strdup (y_label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_curve_chart_set_auto_y (AssayCurveChart *self, gboolean auto_y)
{
  self->auto_y = auto_y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_curve_chart_set_empty_text (AssayCurveChart *self, const char *text)
{
  g_free (self->empty);
  self->empty = g_strdup (text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
