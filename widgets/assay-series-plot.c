/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-series-plot.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-palette.h"
#include "assay-text.h"

#define LEFT        96
#define RIGHT       12
#define TOP         6
#define AXIS        22
#define SCORE_LANE  56
#define LANE_GAP    4
#define PYR_BASE    16

/* One curve with its min/max pyramid (level l: buckets of PYR_BASE << l steps) */
typedef struct
{
  char   *name;
  float  *v;
  guint   T;
  float   lo, hi;
  guint   n_levels;
  float **mins;
  float **maxs;
  guint  *lens;
} Curve;

/* A heat-map lane: intensities quantised to bytes, with a max pyramid over steps (level k
 * pools 2^k steps), so a frame samples at most a few cells per pixel column and the texture
 * drawn is only as wide as the plot. */
typedef struct
{
  char       *name;
  guint       T, R;
  guint       n_levels;
  guint8    **levels;  /* level k: ceil(T / 2^k) x R */
  guint      *lens;
  GdkTexture *texture; /* of the last frame */
  double      tex_start, tex_end;
  int         tex_width;
} Heatmap;

static GdkTexture *heatmap_texture (Heatmap *hm, double start, double end, int width);

struct _AssaySeriesPlot
{
  GtkWidget      parent_instance;

  guint          T, N, M;
  GPtrArray     *channels;  /* Curve, n * M + m */
  GPtrArray     *scores;    /* Curve */
  GPtrArray     *heatmaps;  /* Heatmap */
  char         **var_names;
  char         **feat_names;
  float         *forecast;  /* T * N * M or NULL */
  int            feature;
  GArray        *truth;     /* guint */
  GArray        *predicted; /* guint */
  GArray        *predicted_types; /* char */
  GArray        *marks;     /* guint */

  double         view_start, view_end;
  double         pointer_x;   /* where the pointer is (motion controller), -1: outside */
  int            cursor;
  GskRenderNode *cache;
  int            cache_w, cache_h;
  double         cache_start, cache_end;

  double         drag_view_start;
  gboolean       dragged;
};

enum
{
  CURSOR_MOVED,
  STEP_CLICKED,
  VIEW_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssaySeriesPlot, assay_series_plot, GTK_TYPE_WIDGET)

/* ---- curves and pyramids ---------------------------------------------------------------------- */

static void
curve_free (Curve *c)
{
  for (guint l = 0; l < c->n_levels; l++)
    {
      g_free (c->mins[l]);
      g_free (c->maxs[l]);
    }
  g_free (c->mins);
  g_free (c->maxs);
  g_free (c->lens);
  g_free (c->v);
  g_free (c->name);
  g_free (c);
}

static Curve *
curve_new (const char *name, float *v, guint T)
{
  Curve *c = g_new0 (Curve, 1);
  guint  len = T;

  c->name = g_strdup (name);
  c->v = v;
  c->T = T;
  c->lo = INFINITY;
  c->hi = -INFINITY;
  for (guint t = 0; t < T; t++)
    if (isfinite (v[t]))
      {
        c->lo = MIN (c->lo, v[t]);
        c->hi = MAX (c->hi, v[t]);
      }
  if (!isfinite (c->lo))
    c->lo = c->hi = 0;
  for (guint b = PYR_BASE; b < T; b *= 2)
    c->n_levels++;
  c->mins = g_new0 (float *, MAX (c->n_levels, 1));
  c->maxs = g_new0 (float *, MAX (c->n_levels, 1));
  c->lens = g_new0 (guint, MAX (c->n_levels, 1));
  for (guint l = 0; l < c->n_levels; l++)
    {
      guint bucket = PYR_BASE << l;
      len = (T + bucket - 1) / bucket;
      c->lens[l] = len;
      c->mins[l] = g_new (float, len);
      c->maxs[l] = g_new (float, len);
      for (guint i = 0; i < len; i++)
        {
          float lo = INFINITY, hi = -INFINITY;
          if (l == 0)
            for (guint t = i * bucket; t < MIN (T, (i + 1) * bucket); t++)
              {
                if (!isfinite (v[t]))
                  continue;
                lo = MIN (lo, v[t]);
                hi = MAX (hi, v[t]);
              }
          else
            for (guint j = 2 * i; j < MIN (c->lens[l - 1], 2 * i + 2); j++)
              {
                lo = MIN (lo, c->mins[l - 1][j]);
                hi = MAX (hi, c->maxs[l - 1][j]);
              }
          c->mins[l][i] = lo;
          c->maxs[l][i] = hi;
        }
    }
  return c;
}

/* min and max of v over [s0, s1), combining the largest aligned buckets */
static void
curve_range (Curve *c, int level, guint s0, guint s1, float *lo, float *hi)
{
  guint bucket, a, b;

  if (s1 <= s0)
    return;
  if (level < 0)
    {
      for (guint t = s0; t < s1; t++)
        if (isfinite (c->v[t]))
          {
            *lo = MIN (*lo, c->v[t]);
            *hi = MAX (*hi, c->v[t]);
          }
      return;
    }
  bucket = PYR_BASE << level;
  a = (s0 + bucket - 1) / bucket;
  b = s1 / bucket;
  if (a >= b)
    {
      curve_range (c, level - 1, s0, s1, lo, hi);
      return;
    }
  for (guint i = a; i < b; i++)
    {
      *lo = MIN (*lo, c->mins[level][i]);
      *hi = MAX (*hi, c->maxs[level][i]);
    }
  curve_range (c, level - 1, s0, a * bucket, lo, hi);
  curve_range (c, level - 1, b * bucket, s1, lo, hi);
}

static int
level_for (Curve *c, guint span)
{
  int level = -1;

  while (level + 1 < (int) c->n_levels && (guint) (PYR_BASE << (level + 1)) <= span)
    level++;
  return level;
}

/* ---- geometry ---------------------------------------------------------------------------------- */

typedef struct
{
  double top, height;
} Lane;

static guint
n_lanes (AssaySeriesPlot *self)
{
  return self->N + self->scores->len + self->heatmaps->len;
}

guint
assay_series_plot_get_n_lanes (AssaySeriesPlot *self)
{
  return n_lanes (self);
}

static Lane
lane_geometry (AssaySeriesPlot *self, guint lane, int height)
{
  guint  n_scores = self->scores->len + self->heatmaps->len;
  double avail = height - TOP - AXIS - n_scores * (SCORE_LANE + LANE_GAP);
  double var_h = self->N > 0 ? MAX (avail / self->N - LANE_GAP, 24) : 0;
  Lane   out;

  if (lane < self->N)
    {
      out.top = TOP + lane * (var_h + LANE_GAP);
      out.height = var_h;
    }
  else
    {
      out.top = TOP + self->N * (var_h + LANE_GAP) + (lane - self->N) * (SCORE_LANE + LANE_GAP);
      out.height = SCORE_LANE;
    }
  return out;
}

static double
plot_width (AssaySeriesPlot *self)
{
  return MAX (gtk_widget_get_width (GTK_WIDGET (self)) - LEFT - RIGHT, 1);
}

static double
x_of_step (AssaySeriesPlot *self, double step)
{
  return LEFT + (step - self->view_start) / (self->view_end - self->view_start) * plot_width (self);
}

int
assay_series_plot_step_at (AssaySeriesPlot *self, double x)
{
  double step;

  if (self->T == 0 || x < LEFT || x > LEFT + plot_width (self))
    return -1;
  step = self->view_start + (x - LEFT) / plot_width (self) * (self->view_end - self->view_start);
  return CLAMP ((int) floor (step), 0, (int) self->T - 1);
}

/* ---- drawing ------------------------------------------------------------------------------------ */

/* One curve into a lane, decimated per pixel column */
static void
draw_curve (AssaySeriesPlot *self, cairo_t *cr, Curve *c, Lane lane, float lo, float hi)
{
  double width = plot_width (self);
  double span = self->view_end - self->view_start;
  double spp = span / width;
  double scale = hi > lo ? lane.height / (hi - lo) : 0;
  double base = lane.top + lane.height;

#define Y(v) (hi > lo ? base - ((v) - lo) * scale : lane.top + lane.height / 2)
  if (spp <= 1.0)
    {
      /* a polyline through the visible steps */
      guint    first = (guint) MAX (0, floor (self->view_start) - 1);
      guint    last = (guint) MIN ((double) c->T, ceil (self->view_end) + 1);
      gboolean pen = FALSE;
      for (guint t = first; t < last; t++)
        {
          double x = x_of_step (self, t + 0.5);
          if (!isfinite (c->v[t]))
            {
              pen = FALSE;
              continue;
            }
          if (pen)
            cairo_line_to (cr, x, Y (c->v[t]));
          else
            cairo_move_to (cr, x, Y (c->v[t]));
          pen = TRUE;
        }
    }
  else
    {
      int   columns = (int) ceil (width);
      int   level = level_for (c, (guint) floor (spp));
      float prev_end = NAN;
      for (int col = 0; col < columns; col++)
        {
          double a = self->view_start + col * spp, b = a + spp;
          guint  s0, s1;
          float  lo_v = INFINITY, hi_v = -INFINITY;
          if (b <= 0 || a >= c->T)
            continue;
          s0 = (guint) MAX (0.0, floor (a));
          s1 = (guint) MIN ((double) c->T, ceil (b));
          curve_range (c, level, s0, s1, &lo_v, &hi_v);
          if (!isfinite (lo_v))
            continue;
          /* reach back to the previous column so that the trace stays connected */
          if (isfinite (prev_end))
            {
              lo_v = MIN (lo_v, prev_end);
              hi_v = MAX (hi_v, prev_end);
            }
          prev_end = c->v[s1 - 1];
          /* a pixel-aligned box per column: cairo fills those without tessellating */
          {
            double y0 = floor (Y (hi_v)), y1 = ceil (Y (lo_v));
            cairo_rectangle (cr, LEFT + col, y0, 1, MAX (1.0, y1 - y0));
          }
        }
      cairo_fill (cr);
      return;
    }
  cairo_stroke (cr);
#undef Y
}

static void
draw_marks (AssaySeriesPlot *self, cairo_t *cr, GArray *steps, const GdkRGBA *color,
            double dash, double top, double bottom)
{
  double d[] = { dash, dash };

  if (steps == NULL || steps->len == 0)
    return;
  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, 1.5);
  cairo_set_dash (cr, d, dash > 0 ? 2 : 0, 0);
  for (guint i = 0; i < steps->len; i++)
    {
      double s = g_array_index (steps, guint, i);
      double x;
      if (s < self->view_start - 1 || s > self->view_end)
        continue;
      x = x_of_step (self, s);
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x, bottom);
    }
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

static GskRenderNode *
render (AssaySeriesPlot *self, int width, int height)
{
  GtkWidget   *widget = GTK_WIDGET (self);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GdkRGBA      fg, grid, truth, predicted, mark;
  cairo_t     *cr;
  double       plot_bottom = height - AXIS;

  assay_palette_foreground (widget, &fg);
  grid = fg;
  grid.alpha = 0.1f;
  if (self->T == 0 || width <= LEFT + RIGHT + 10)
    return gtk_snapshot_free_to_node (snapshot);

  /* lane frames and labels */
  for (guint lane = 0; lane < n_lanes (self); lane++)
    {
      Lane        g = lane_geometry (self, lane, height);
      const char *name;
      gtk_snapshot_append_color (snapshot, &grid,
                                 &GRAPHENE_RECT_INIT (LEFT, (float) (g.top + g.height), (float) plot_width (self), 1));
      if (lane < self->N)
        name = self->var_names[lane];
      else if (lane < self->N + self->scores->len)
        name = ((Curve *) g_ptr_array_index (self->scores, lane - self->N))->name;
      else
        name = ((Heatmap *) g_ptr_array_index (self->heatmaps, lane - self->N - self->scores->len))->name;
      assay_text_draw (widget, snapshot, name, LEFT - 8, g.top + g.height / 2, 1.0, &fg);
    }

  /* heat-map lanes as textures, clipped to their lane */
  for (guint h = 0; h < self->heatmaps->len; h++)
    {
      Heatmap    *hm = g_ptr_array_index (self->heatmaps, h);
      Lane        g = lane_geometry (self, self->N + self->scores->len + h, height);
      int         w = (int) plot_width (self);
      GdkTexture *texture;
      if (w <= 0)
        continue;
      texture = heatmap_texture (hm, self->view_start, self->view_end, w);
      gtk_snapshot_append_texture (snapshot, texture,
                                   &GRAPHENE_RECT_INIT (LEFT, (float) g.top, (float) w, (float) g.height));
    }

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) width, (float) height));
  cairo_rectangle (cr, LEFT, 0, plot_width (self), plot_bottom);
  cairo_clip (cr);
  cairo_set_line_width (cr, 1.0);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* variable lanes: the features share the lane's scale */
  for (guint n = 0; n < self->N; n++)
    {
      Lane  g = lane_geometry (self, n, height);
      float lo = INFINITY, hi = -INFINITY;
      for (guint m = 0; m < self->M; m++)
        {
          Curve *c = g_ptr_array_index (self->channels, n * self->M + m);
          if (self->feature >= 0 && (guint) self->feature != m)
            continue;
          lo = MIN (lo, c->lo);
          hi = MAX (hi, c->hi);
        }
      for (guint m = 0; m < self->M; m++)
        {
          GdkRGBA color;
          if (self->feature >= 0 && (guint) self->feature != m)
            continue;
          assay_palette_series (m, &color);
          gdk_cairo_set_source_rgba (cr, &color);
          draw_curve (self, cr, g_ptr_array_index (self->channels, n * self->M + m), g, lo, hi);
          /* forecasts as dots when zoomed in */
          if (self->forecast != NULL && (self->view_end - self->view_start) / plot_width (self) <= 0.25)
            {
              double scale = hi > lo ? g.height / (hi - lo) : 0;
              color.alpha = 0.55f;
              gdk_cairo_set_source_rgba (cr, &color);
              for (guint t = (guint) MAX (0, floor (self->view_start)); t < MIN (self->T, (guint) ceil (self->view_end)); t++)
                {
                  float f = self->forecast[((gsize) t * self->N + n) * self->M + m];
                  if (!isfinite (f))
                    continue;
                  cairo_arc (cr, x_of_step (self, t + 0.5), g.top + g.height - (f - lo) * scale, 2.5, 0, 2 * G_PI);
                  cairo_fill (cr);
                }
            }
        }
    }
  /* score lanes */
  for (guint s = 0; s < self->scores->len; s++)
    {
      Curve  *c = g_ptr_array_index (self->scores, s);
      Lane    g = lane_geometry (self, self->N + s, height);
      GdkRGBA color;
      assay_palette_series (4 + s, &color);
      gdk_cairo_set_source_rgba (cr, &color);
      draw_curve (self, cr, c, g, c->lo, c->hi);
    }

  /* change steps across all lanes */
  assay_palette_positive (&truth);
  assay_palette_negative (&predicted);
  assay_palette_series (3, &mark);
  draw_marks (self, cr, self->truth, &truth, 0, TOP, plot_bottom);
  draw_marks (self, cr, self->predicted, &predicted, 4, TOP, plot_bottom);
  draw_marks (self, cr, self->marks, &mark, 2, TOP, plot_bottom);
  cairo_destroy (cr);

  /* type letters over the detected steps */
  for (guint i = 0; self->predicted != NULL && i < self->predicted->len; i++)
    {
      double s = g_array_index (self->predicted, guint, i);
      char   type[2] = { g_array_index (self->predicted_types, char, i), 0 };
      if (type[0] != 0 && s >= self->view_start && s <= self->view_end)
        assay_text_draw (widget, snapshot, type, x_of_step (self, s) + 3, TOP + 8, 0.0, &predicted);
    }

  /* step axis with round ticks */
  {
    double span = self->view_end - self->view_start;
    double raw = span / MAX (plot_width (self) / 90.0, 1.0);
    double mag = pow (10, floor (log10 (MAX (raw, 1e-9))));
    double tick = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    tick = MAX (tick, 1.0);
    for (double s = ceil (self->view_start / tick) * tick; s <= self->view_end; s += tick)
      {
        char   label[32];
        double x = x_of_step (self, s);
        g_snprintf (label, sizeof label, "%.0f", s);
        gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT ((float) x, TOP, 1, (float) (plot_bottom - TOP)));
        assay_text_draw (widget, snapshot, label, x, plot_bottom + AXIS / 2.0, 0.5, &fg);
      }
  }
  return gtk_snapshot_free_to_node (snapshot);
}

static void
assay_series_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssaySeriesPlot *self = ASSAY_SERIES_PLOT (widget);
  int              width = gtk_widget_get_width (widget);
  int              height = gtk_widget_get_height (widget);

  if (self->cache == NULL || self->cache_w != width || self->cache_h != height
      || self->cache_start != self->view_start || self->cache_end != self->view_end)
    {
      g_clear_pointer (&self->cache, gsk_render_node_unref);
      self->cache = render (self, width, height);
      self->cache_w = width;
      self->cache_h = height;
      self->cache_start = self->view_start;
      self->cache_end = self->view_end;
    }
  if (self->cache != NULL)
    gtk_snapshot_append_node (snapshot, self->cache);
  if (self->cursor >= 0 && self->cursor < (int) self->T && self->cursor >= self->view_start - 1
      && self->cursor <= self->view_end)
    {
      GdkRGBA c;
      double  x = x_of_step (self, self->cursor + 0.5);
      assay_palette_foreground (widget, &c);
      c.alpha = 0.45f;
      gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT ((float) x, TOP, 1, (float) (height - TOP - AXIS)));
    }
}

static void
assay_series_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  AssaySeriesPlot *self = ASSAY_SERIES_PLOT (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = LEFT + RIGHT + 100;
      *natural = 900;
    }
  else
    {
      *minimum = TOP + AXIS + self->N * 28 + (self->scores->len + self->heatmaps->len) * (SCORE_LANE + LANE_GAP);
      *natural = MAX (*minimum, 420);
    }
}

/* ---- interaction ------------------------------------------------------------------------------- */

static void
invalidate (AssaySeriesPlot *self)
{
  g_clear_pointer (&self->cache, gsk_render_node_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_series_plot_set_view (AssaySeriesPlot *self, double start, double end)
{
  double span, min_span = MIN (10.0, MAX (self->T, 1));

  if (self->T == 0 || !isfinite (start) || !isfinite (end))
    return;
  span = CLAMP (end - start, min_span, (double) self->T);
  start = CLAMP (start, 0.0, self->T - span);
  if (start == self->view_start && start + span == self->view_end)
    return;
  self->view_start = start;
  self->view_end = start + span;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[VIEW_CHANGED], 0);
}

void
assay_series_plot_get_view (AssaySeriesPlot *self, double *start, double *end)
{
  *start = self->view_start;
  *end = self->view_end;
}

void
assay_series_plot_zoom (AssaySeriesPlot *self, double factor, double around)
{
  double span = (self->view_end - self->view_start) * factor;
  double frac = (around - self->view_start) / MAX (self->view_end - self->view_start, 1e-9);

  assay_series_plot_set_view (self, around - frac * span, around - frac * span + span);
}

int
assay_series_plot_get_cursor (AssaySeriesPlot *self)
{
  return self->cursor;
}

void
assay_series_plot_set_cursor (AssaySeriesPlot *self, int step)
{
  if (self->T == 0)
    step = -1;
  step = step >= (int) self->T ? (int) self->T - 1 : step;
  if (step == self->cursor)
    return;
  self->cursor = step;
  /* keep the cursor in view */
  if (step >= 0 && (step < self->view_start || step >= self->view_end))
    {
      double span = self->view_end - self->view_start;
      assay_series_plot_set_view (self, step - span / 2, step + span / 2);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (step >= 0)
    g_signal_emit (self, signals[CURSOR_MOVED], 0, (guint) step);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, AssaySeriesPlot *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double          span = self->view_end - self->view_start, around;

  if (!isfinite (dx) || !isfinite (dy))
    return FALSE;
  if ((mods & GDK_SHIFT_MASK) || dx != 0)
    {
      double shift = (dx != 0 ? dx : dy) * span * 0.1;
      assay_series_plot_set_view (self, self->view_start + shift, self->view_end + shift);
      return TRUE;
    }
  /* around the step under the pointer, as the motion controller saw it in our coordinates (a
   * scroll event's own position is the surface's, or NaN on X11); else the middle */
  if (self->pointer_x >= LEFT && self->pointer_x <= LEFT + plot_width (self))
    around = self->view_start + (self->pointer_x - LEFT) / plot_width (self) * span;
  else
    around = (self->view_start + self->view_end) / 2;
  assay_series_plot_zoom (self, pow (1.25, dy), around);
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, AssaySeriesPlot *self)
{
  self->drag_view_start = self->view_start;
  self->dragged = FALSE;
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, AssaySeriesPlot *self)
{
  double span = self->view_end - self->view_start;
  double start;

  if (fabs (dx) > 3)
    self->dragged = TRUE;
  if (!self->dragged)
    return;
  start = self->drag_view_start - dx / plot_width (self) * span;
  assay_series_plot_set_view (self, start, start + span);
}

static void
released_cb (GtkGestureClick *gesture, int n_press, double x, double y, AssaySeriesPlot *self)
{
  int step;

  if (self->dragged)
    return;
  step = assay_series_plot_step_at (self, x);
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (step >= 0)
    {
      assay_series_plot_set_cursor (self, step);
      g_signal_emit (self, signals[STEP_CLICKED], 0, (guint) step);
    }
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, AssaySeriesPlot *self)
{
  int step = assay_series_plot_step_at (self, x);

  self->pointer_x = x;
  if (step >= 0 && step != self->cursor)
    {
      self->cursor = step;
      gtk_widget_queue_draw (GTK_WIDGET (self));
      g_signal_emit (self, signals[CURSOR_MOVED], 0, (guint) step);
    }
}

static void
pointer_left_cb (AssaySeriesPlot *self)
{
  self->pointer_x = -1;
}

static gboolean
key_cb (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
        AssaySeriesPlot *self)
{
  int    big = (state & GDK_SHIFT_MASK) ? 10 : 1;
  double span = self->view_end - self->view_start;
  double center = self->cursor >= 0 ? self->cursor : (self->view_start + self->view_end) / 2;

  switch (keyval)
    {
    case GDK_KEY_Left:
      assay_series_plot_set_cursor (self, MAX (self->cursor - big, 0));
      return TRUE;
    case GDK_KEY_Right:
      assay_series_plot_set_cursor (self, self->cursor + big);
      return TRUE;
    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      assay_series_plot_zoom (self, 0.5, center);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      assay_series_plot_zoom (self, 2.0, center);
      return TRUE;
    case GDK_KEY_Home:
      assay_series_plot_set_view (self, 0, span);
      return TRUE;
    case GDK_KEY_End:
      assay_series_plot_set_view (self, self->T - span, self->T);
      return TRUE;
    case GDK_KEY_0:
      assay_series_plot_set_view (self, 0, self->T);
      return TRUE;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_m:
      if (self->cursor >= 0)
        g_signal_emit (self, signals[STEP_CLICKED], 0, (guint) self->cursor);
      return TRUE;
    default:
      return FALSE;
    }
}

/* ---- data -------------------------------------------------------------------------------------- */

static void
heatmap_free (Heatmap *hm)
{
  g_clear_object (&hm->texture);
  for (guint k = 0; k < hm->n_levels; k++)
    g_free (hm->levels[k]);
  g_free (hm->levels);
  g_free (hm->lens);
  g_free (hm->name);
  g_free (hm);
}

/* The texture of columns [start, end) of the view, width pixels wide (cached per view). */
static GdkTexture *
heatmap_texture (Heatmap *hm, double start, double end, int width)
{
  g_autoptr (GBytes) bytes = NULL;
  double  spp = (end - start) / MAX (width, 1);
  guint   level = 0;
  guchar *pixels;

  if (hm->texture != NULL && hm->tex_start == start && hm->tex_end == end && hm->tex_width == width)
    return hm->texture;
  while (level + 1 < hm->n_levels && (double) (1u << (level + 1)) <= spp)
    level++;
  pixels = g_malloc0 ((gsize) width * hm->R * 4);
  for (int c = 0; c < width; c++)
    {
      double a = start + c * spp, b = a + MAX (spp, 1e-9);
      gint64 first, last;
      if (b <= 0 || a >= hm->T)
        continue;
      first = (gint64) floor (MAX (a, 0.0)) >> level;
      last = ((gint64) ceil (MIN (b, (double) hm->T)) - 1) >> level;
      last = MAX (first, MIN (last, (gint64) hm->lens[level] - 1));
      for (guint r = 0; r < hm->R; r++)
        {
          guint8 v = 0;
          for (gint64 i = first; i <= last; i++)
            v = MAX (v, hm->levels[level][i * hm->R + r]);
          if (v > 0)
            {
              /* run length 0 at the bottom; darker = more probable (premultiplied) */
              guchar *px = pixels + ((gsize) (hm->R - 1 - r) * width + c) * 4;
              px[0] = (guchar) (28 * v / 255);
              px[1] = (guchar) (113 * v / 255);
              px[2] = (guchar) (216 * v / 255);
              px[3] = v;
            }
        }
    }
  bytes = g_bytes_new_take (pixels, (gsize) width * hm->R * 4);
  g_clear_object (&hm->texture);
  hm->texture = gdk_memory_texture_new (width, (int) hm->R, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED,
                                        bytes, (gsize) width * 4);
  hm->tex_start = start;
  hm->tex_end = end;
  hm->tex_width = width;
  return hm->texture;
}

static void
assay_series_plot_finalize (GObject *object)
{
  AssaySeriesPlot *self = ASSAY_SERIES_PLOT (object);

  g_clear_pointer (&self->cache, gsk_render_node_unref);
  g_ptr_array_unref (self->channels);
  g_ptr_array_unref (self->scores);
  g_ptr_array_unref (self->heatmaps);
  g_strfreev (self->var_names);
  g_strfreev (self->feat_names);
  g_free (self->forecast);
  g_array_unref (self->truth);
  g_array_unref (self->predicted);
  g_array_unref (self->predicted_types);
  g_array_unref (self->marks);
  G_OBJECT_CLASS (assay_series_plot_parent_class)->finalize (object);
}

static void
assay_series_plot_class_init (AssaySeriesPlotClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = assay_series_plot_finalize;
  widget_class->snapshot = assay_series_plot_snapshot;
  widget_class->measure = assay_series_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "seriesplot");

  signals[CURSOR_MOVED] = g_signal_new ("cursor-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[STEP_CLICKED] = g_signal_new ("step-clicked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[VIEW_CHANGED] = g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
assay_series_plot_init (AssaySeriesPlot *self)
{
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkGesture         *drag = gtk_gesture_drag_new ();
  GtkGesture         *click = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *key = gtk_event_controller_key_new ();

  self->channels = g_ptr_array_new_with_free_func ((GDestroyNotify) curve_free);
  self->scores = g_ptr_array_new_with_free_func ((GDestroyNotify) curve_free);
  self->heatmaps = g_ptr_array_new_with_free_func ((GDestroyNotify) heatmap_free);
  self->truth = g_array_new (FALSE, FALSE, sizeof (guint));
  self->predicted = g_array_new (FALSE, FALSE, sizeof (guint));
  self->predicted_types = g_array_new (FALSE, FALSE, sizeof (char));
  self->marks = g_array_new (FALSE, FALSE, sizeof (guint));
  self->feature = -1;
  self->cursor = -1;
  self->pointer_x = -1;
  self->var_names = g_new0 (char *, 1);
  self->feat_names = g_new0 (char *, 1);

  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (click, "released", G_CALLBACK (released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (motion, "leave", G_CALLBACK (pointer_left_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (key, "key-pressed", G_CALLBACK (key_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
}

GtkWidget *
assay_series_plot_new (void)
{
  return g_object_new (ASSAY_TYPE_SERIES_PLOT, NULL);
}

static char **
copy_names (const char *const *names, guint n, const char *prefix)
{
  char **out = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    out[i] = names != NULL && names[i] != NULL ? g_strdup (names[i]) : g_strdup_printf ("%s%u", prefix, i);
  return out;
}

void
assay_series_plot_set_series (AssaySeriesPlot *self, const float *x, guint T, guint N, guint M,
                              const char *const *var_names, const char *const *feat_names)
{
  g_return_if_fail (ASSAY_IS_SERIES_PLOT (self));

  g_ptr_array_set_size (self->channels, 0);
  g_ptr_array_set_size (self->scores, 0);
  g_ptr_array_set_size (self->heatmaps, 0);
  g_clear_pointer (&self->forecast, g_free);
  g_array_set_size (self->truth, 0);
  g_array_set_size (self->predicted, 0);
  g_array_set_size (self->predicted_types, 0);
  g_array_set_size (self->marks, 0);
  g_strfreev (self->var_names);
  g_strfreev (self->feat_names);
  self->T = T;
  self->N = N;
  self->M = M;
  self->var_names = copy_names (var_names, N, "x");
  self->feat_names = copy_names (feat_names, M, "f");
  for (guint n = 0; n < N; n++)
    for (guint m = 0; m < M; m++)
      {
        float *v = g_new (float, MAX (T, 1));
        for (guint t = 0; t < T; t++)
          v[t] = x[((gsize) t * N + n) * M + m];
        g_ptr_array_add (self->channels, curve_new (self->feat_names[m], v, T));
      }
  if (self->feature >= (int) M)
    self->feature = -1;
  self->view_start = 0;
  self->view_end = MAX (T, 1);
  self->cursor = -1;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  invalidate (self);
}

void
assay_series_plot_set_feature (AssaySeriesPlot *self, int feature)
{
  self->feature = feature < (int) self->M ? feature : -1;
  invalidate (self);
}

void
assay_series_plot_clear_scores (AssaySeriesPlot *self)
{
  g_ptr_array_set_size (self->scores, 0);
  g_ptr_array_set_size (self->heatmaps, 0);
  g_clear_pointer (&self->forecast, g_free);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  invalidate (self);
}

void
assay_series_plot_add_score (AssaySeriesPlot *self, const char *name, const float *v, guint T)
{
  float *copy = g_new0 (float, MAX (self->T, 1));

  memcpy (copy, v, MIN (T, self->T) * sizeof (float));
  g_ptr_array_add (self->scores, curve_new (name, copy, self->T));
  gtk_widget_queue_resize (GTK_WIDGET (self));
  invalidate (self);
}

void
assay_series_plot_add_heatmap (AssaySeriesPlot *self, const char *name, const float *v, guint T,
                               guint R)
{
  Heatmap *hm = g_new0 (Heatmap, 1);

  hm->T = T;
  hm->R = R;
  for (guint len = T; ; len = (len + 1) / 2)
    {
      hm->n_levels++;
      if (len <= 1)
        break;
    }
  hm->levels = g_new0 (guint8 *, hm->n_levels);
  hm->lens = g_new0 (guint, hm->n_levels);
  hm->lens[0] = T;
  hm->levels[0] = g_malloc ((gsize) T * R);
  for (gsize i = 0; i < (gsize) T * R; i++)
    {
      float p = CLAMP (v[i], 0.0f, 1.0f);
      hm->levels[0][i] = (guint8) lrintf (255 * powf (p, 0.35f));
    }
  for (guint k = 1; k < hm->n_levels; k++)
    {
      guint n = (hm->lens[k - 1] + 1) / 2;
      hm->lens[k] = n;
      hm->levels[k] = g_malloc ((gsize) n * R);
      for (guint i = 0; i < n; i++)
        for (guint r = 0; r < R; r++)
          {
            guint8 x = hm->levels[k - 1][(gsize) 2 * i * R + r];
            guint8 y = 2 * i + 1 < hm->lens[k - 1] ? hm->levels[k - 1][(gsize) (2 * i + 1) * R + r] : 0;
            hm->levels[k][(gsize) i * R + r] = MAX (x, y);
          }
    }
  hm->name = g_strdup (name);
  hm->T = T;
  g_ptr_array_add (self->heatmaps, hm);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  invalidate (self);
}

void
assay_series_plot_set_forecast (AssaySeriesPlot *self, const float *forecast)
{
  g_clear_pointer (&self->forecast, g_free);
  if (forecast != NULL)
    self->forecast = g_memdup2 (forecast, (gsize) self->T * self->N * self->M * sizeof (float));
  invalidate (self);
}

static void
set_steps (GArray *array, const guint *steps, guint n)
{
  g_array_set_size (array, 0);
  if (n > 0)
    g_array_append_vals (array, steps, n);
}

void
assay_series_plot_set_truth (AssaySeriesPlot *self, const guint *steps, guint n)
{
  set_steps (self->truth, steps, n);
  invalidate (self);
}

void
assay_series_plot_set_predicted (AssaySeriesPlot *self, const guint *steps, const char *types,
                                 guint n)
{
  set_steps (self->predicted, steps, n);
  g_array_set_size (self->predicted_types, 0);
  for (guint i = 0; i < n; i++)
    {
      char c = types != NULL ? types[i] : 0;
      g_array_append_val (self->predicted_types, c);
    }
  invalidate (self);
}

void
assay_series_plot_set_marks (AssaySeriesPlot *self, const guint *steps, guint n)
{
  set_steps (self->marks, steps, n);
  invalidate (self);
}
