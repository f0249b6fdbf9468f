/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: the change-point plot with 1 000 000 steps (Xvfb). Five variables of two features,
 * three score lanes and a run-length heat map; the time to hand the data to the plot (it builds
 * its min/max pyramids), then the work per frame (layout through paint) while zooming in from the
 * whole series to 200 steps and out again, and while panning across the series at three zoom
 * levels. Goal: every frame under 16 ms at the 95th percentile. Printed as one JSON line. */
#include <math.h>
#include <stdio.h>

#include "assay-series-plot.h"
#include "assay-application.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"

#define T 1000000
#define N 5
#define M 2
#define R 32

typedef struct
{
  AssaySeriesPlot *plot;
  double           start, end;
  double           factor;  /* zoom per frame (0: pan) */
  double           shift;   /* pan per frame, as a fraction of the visible range */
  guint            frames;
} Motion;

static gboolean
move (GtkWidget *widget, guint frame, gpointer data)
{
  Motion *m = data;
  double  s, e;

  if (frame >= m->frames)
    return FALSE;
  assay_series_plot_get_view (m->plot, &s, &e);
  if (m->factor != 0)
    assay_series_plot_zoom (m->plot, m->factor, T * 0.37);
  else
    {
      double d = (e - s) * m->shift;
      if (e + d > T)
        d = -(s); /* wrap to the start */
      assay_series_plot_set_view (m->plot, s + d, e + d);
    }
  /* a moving cursor too, as when the pointer hovers */
  assay_series_plot_set_cursor (m->plot, (int) ((s + e) / 2));
  return TRUE;
}

/* The floor: a widget of the same size that only fills itself with one colour, through Cairo */
static void
fill_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
}

static gboolean
redraw (GtkWidget *widget, guint frame, gpointer data)
{
  gtk_widget_queue_draw (widget);
  return TRUE;
}

static void
report (const char *name, guint n, double p50, double p95, double max, gboolean last)
{
  printf ("\"%s\": {\"frames\": %u, \"p50_ms\": %.2f, \"p95_ms\": %.2f, \"max_ms\": %.2f}%s", name,
          n, p50, p95, max, last ? "" : ", ");
}

int
main (int argc, char *argv[])
{
  GtkWidget *window, *plot;
  float     *x, *scores[3], *runlength;
  gint64     t0;
  double     load_ms, p50, p95, max;
  guint      n;
  Motion     m;
  guint      truth[] = { 250000, 620000 };

  assay_application_tune_allocator (); /* as the app does */
  gtk_init ();
  x = g_new (float, (gsize) T * N * M);
  for (gsize t = 0; t < T; t++)
    for (guint v = 0; v < N * M; v++)
      x[t * N * M + v] = (float) (sin (t * 1e-4 * (v + 1)) + 0.2 * sin (t * 0.37 + v)
                                  + (t > 620000 ? 0.8 : 0.0));
  for (guint s = 0; s < 3; s++)
    {
      scores[s] = g_new (float, T);
      for (gsize t = 0; t < T; t++)
        scores[s][t] = (float) fabs (sin (t * 3e-5 * (s + 1)) + 0.1 * cos (t * 0.91));
    }
  runlength = g_new0 (float, (gsize) T * R);
  for (gsize t = 0; t < T; t++)
    runlength[t * R + (t / 997) % R] = 1.0f;

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  {
    GtkWidget *area = gtk_drawing_area_new ();
    gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), fill_draw, NULL, NULL);
    gtk_window_set_child (GTK_WINDOW (window), area);
    gtk_window_present (GTK_WINDOW (window));
    assay_test_wait (300);
    n = assay_test_frames (area, redraw, NULL, 120, &p50, &p95, &max);
    printf ("{");
    report ("floor_fill", n, p50, p95, max, FALSE);
  }
  plot = assay_series_plot_new ();
  gtk_window_set_child (GTK_WINDOW (window), plot);
  gtk_window_present (GTK_WINDOW (window));
  assay_test_wait (300);

  t0 = g_get_monotonic_time ();
  assay_series_plot_set_series (ASSAY_SERIES_PLOT (plot), x, T, N, M, NULL, NULL);
  assay_series_plot_add_score (ASSAY_SERIES_PLOT (plot), "s_en", scores[0], T);
  assay_series_plot_add_score (ASSAY_SERIES_PLOT (plot), "s_r", scores[1], T);
  assay_series_plot_add_score (ASSAY_SERIES_PLOT (plot), "s_d", scores[2], T);
  assay_series_plot_add_heatmap (ASSAY_SERIES_PLOT (plot), "run length", runlength, T, R);
  assay_series_plot_set_truth (ASSAY_SERIES_PLOT (plot), truth, 2);
  load_ms = (g_get_monotonic_time () - t0) / 1000.0;
  assay_test_wait (300);

  printf ("\"steps\": %d, \"variables\": %d, \"features\": %d, \"width\": %d, \"load_ms\": %.1f, ",
          T, N, M, gtk_widget_get_width (plot), load_ms);

  m = (Motion) { ASSAY_SERIES_PLOT (plot), 0, 0, 0.9, 0, 90 };
  n = assay_test_frames (plot, move, &m, m.frames, &p50, &p95, &max);
  report ("zoom_in", n, p50, p95, max, FALSE);
  m.factor = 1 / 0.9;
  n = assay_test_frames (plot, move, &m, m.frames, &p50, &p95, &max);
  report ("zoom_out", n, p50, p95, max, FALSE);
  /* pan with 100 000, 10 000 and 100 steps in view */
  for (guint level = 0; level < 3; level++)
    {
      static const char  *names[] = { "pan_100k_steps", "pan_10k_steps", "pan_100_steps" };
      static const double spans[] = { 100000, 10000, 100 };
      double              span = spans[level];
      assay_series_plot_set_view (ASSAY_SERIES_PLOT (plot), 0, span);
      assay_test_wait (50);
      m = (Motion) { ASSAY_SERIES_PLOT (plot), 0, 0, 0, 0.02, 120 };
      n = assay_test_frames (plot, move, &m, m.frames, &p50, &p95, &max);
      report (names[level], n, p50, p95, max, level == 2);
    }
  printf ("}\n");

  gtk_window_destroy (GTK_WINDOW (window));
  for (guint s = 0; s < 3; s++)
    g_free (scores[s]);
  g_free (runlength);
  g_free (x);
  return 0;
}
