/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-longtail-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-palette.h"
#include "assay-text.h"

#define MARGIN_LEFT   44
#define MARGIN_RIGHT  40
#define MARGIN_TOP    10
#define MARGIN_BOTTOM 22

struct _AssayLongtailChart
{
  GtkWidget      parent_instance;

  guint         *counts;
  char         **names;
  guint          n;
  guint          max_count;
  double        *curve;
  guint          n_bins;
  guint          bin_size;
  char          *curve_label;
  int            selected;
  GskRenderNode *cache;
  int            cache_width, cache_height;
};

enum
{
  ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayLongtailChart, assay_longtail_chart, GTK_TYPE_WIDGET)

static void
invalidate (AssayLongtailChart *self)
{
  g_clear_pointer (&self->cache, gsk_render_node_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static double
y_of (AssayLongtailChart *self, double count, double plot_top, double plot_height)
{
  double top = log10 (MAX (self->max_count, 1) + 1.0);

  return plot_top + plot_height * (1.0 - log10 (count + 1.0) / top);
}

int
assay_longtail_chart_position_at (AssayLongtailChart *self, double x)
{
  int    width = gtk_widget_get_width (GTK_WIDGET (self));
  double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  int    pos;

  if (self->n == 0 || plot_w <= 0 || x < MARGIN_LEFT || x >= MARGIN_LEFT + plot_w)
    return -1;
  pos = (int) ((x - MARGIN_LEFT) / plot_w * self->n);
  return CLAMP (pos, 0, (int) self->n - 1);
}

static GskRenderNode *
render (AssayLongtailChart *self, int width, int height)
{
  GtkWidget   *widget = GTK_WIDGET (self);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GdkRGBA      fg, grid;
  double       plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  double       plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
  double       bottom = MARGIN_TOP + plot_h;
  int          columns = (int) plot_w;

  assay_palette_foreground (widget, &fg);
  grid = fg;
  grid.alpha = 0.12f;
  if (plot_w < 10 || plot_h < 10)
    return gtk_snapshot_free_to_node (snapshot);

  /* Grid lines and log ticks */
  for (guint decade = 1; decade <= MAX (self->max_count, 1) * 10; decade *= 10)
    {
      double          y = y_of (self, decade, MARGIN_TOP, plot_h);
      g_autofree char *tick = g_strdup_printf ("%u", decade);
      if (decade > MAX (self->max_count, 1))
        break;
      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (MARGIN_LEFT, (float) y, (float) plot_w, 1));
      assay_text_draw (widget, snapshot, tick, MARGIN_LEFT - 6, y, 1.0, &fg);
    }
  gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (MARGIN_LEFT, (float) bottom, (float) plot_w, 1));

  /* Bars: the largest count of each pixel column (or wider bars when few labels) */
  if (self->n > 0)
    {
      int n_cols = MIN (columns, (int) self->n);
      for (int c = 0; c < n_cols; c++)
        {
          guint   first = (guint) ((guint64) c * self->n / n_cols);
          guint   last = (guint) ((guint64) (c + 1) * self->n / n_cols);
          guint   top = 0;
          double  x0 = MARGIN_LEFT + plot_w * c / n_cols;
          double  x1 = MARGIN_LEFT + plot_w * (c + 1) / n_cols;
          double  y;
          GdkRGBA color;

          for (guint i = first; i < MAX (last, first + 1) && i < self->n; i++)
            top = MAX (top, self->counts[i]);
          assay_palette_bin (top, &color);
          y = y_of (self, top, MARGIN_TOP, plot_h);
          if (top == 0)
            y = bottom - 2;
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT ((float) x0, (float) y,
                                                          (float) MAX (x1 - x0 - (n_cols < columns / 2 ? 1 : 0), 1),
                                                          (float) (bottom - y)));
        }
    }

  /* The per-bin curve on the right axis */
  if (self->curve != NULL && self->n_bins > 0 && self->n > 0)
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) width, (float) height));
      GdkRGBA  curve;
      gboolean started = FALSE;

      assay_palette_curve (&curve);
      gdk_cairo_set_source_rgba (cr, &curve);
      cairo_set_line_width (cr, 2.0);
      for (guint b = 0; b < self->n_bins; b++)
        {
          double center = MIN ((b + 0.5) * self->bin_size, (double) self->n - 0.5);
          double x = MARGIN_LEFT + plot_w * center / self->n;
          double y;
          if (isnan (self->curve[b]))
            {
              started = FALSE;
              continue;
            }
          y = MARGIN_TOP + plot_h * (1.0 - CLAMP (self->curve[b], 0.0, 1.0));
          if (started)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          started = TRUE;
        }
      cairo_stroke (cr);
      for (guint b = 0; b < self->n_bins; b++)
        {
          double center = MIN ((b + 0.5) * self->bin_size, (double) self->n - 0.5);
          if (isnan (self->curve[b]))
            continue;
          cairo_arc (cr, MARGIN_LEFT + plot_w * center / self->n,
                     MARGIN_TOP + plot_h * (1.0 - CLAMP (self->curve[b], 0.0, 1.0)), 3.0, 0,
                     2 * G_PI);
          cairo_fill (cr);
        }
      cairo_destroy (cr);
      assay_text_draw (widget, snapshot, "1.0", width - MARGIN_RIGHT + 6, MARGIN_TOP, 0.0, &curve);
      assay_text_draw (widget, snapshot, "0.5", width - MARGIN_RIGHT + 6, MARGIN_TOP + plot_h / 2, 0.0, &curve);
      assay_text_draw (widget, snapshot, "0", width - MARGIN_RIGHT + 6, bottom, 0.0, &curve);
      if (self->curve_label != NULL)
        assay_text_draw (widget, snapshot, self->curve_label, width - MARGIN_RIGHT - 4, MARGIN_TOP + 8, 1.0, &curve);
    }

  /* Legend: the bins' colours */
  {
    static const struct { guint count; const char *name; } bins[] = {
      { 1, N_("tail 1–9") }, { 10, N_("torso 10–99") }, { 100, N_("head 100+") },
    };
    double x = MARGIN_LEFT + 8;
    for (guint i = 0; i < G_N_ELEMENTS (bins); i++)
      {
        GdkRGBA      color;
        PangoLayout *layout = gtk_widget_create_pango_layout (widget, _(bins[i].name));
        int          w, h;
        assay_palette_bin (bins[i].count, &color);
        pango_layout_get_pixel_size (layout, &w, &h);
        gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT ((float) x, MARGIN_TOP + 4, 10, 10));
        gtk_snapshot_save (snapshot);
        gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) x + 14, MARGIN_TOP + 9 - h / 2.0f));
        gtk_snapshot_append_layout (snapshot, layout, &fg);
        gtk_snapshot_restore (snapshot);
        x += 14 + w + 12;
        g_object_unref (layout);
      }
  }

  {
    g_autofree char *axis = g_strdup_printf (_("%u labels, rare → common (training documents, log scale)"), self->n);
    assay_text_draw (widget, snapshot, axis, MARGIN_LEFT + plot_w / 2, bottom + MARGIN_BOTTOM / 2.0 + 1, 0.5, &fg);
  }
  return gtk_snapshot_free_to_node (snapshot);
}

static void
assay_longtail_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayLongtailChart *self = ASSAY_LONGTAIL_CHART (widget);
  int                 width = gtk_widget_get_width (widget);
  int                 height = gtk_widget_get_height (widget);

  if (self->cache == NULL || self->cache_width != width || self->cache_height != height)
    {
      g_clear_pointer (&self->cache, gsk_render_node_unref);
      self->cache = render (self, width, height);
      self->cache_width = width;
      self->cache_height = height;
    }
  if (self->cache != NULL)
    gtk_snapshot_append_node (snapshot, self->cache);

  if (self->selected >= 0 && (guint) self->selected < self->n)
    {
      double  plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
      double  x = MARGIN_LEFT + plot_w * (self->selected + 0.5) / self->n;
      GdkRGBA mark;

      assay_palette_selection (&mark);
      gtk_snapshot_append_color (snapshot, &mark,
                                 &GRAPHENE_RECT_INIT ((float) x - 1, MARGIN_TOP, 2, (float) (height - MARGIN_TOP - MARGIN_BOTTOM)));
    }
}

static void
assay_longtail_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                              int *minimum, int *natural, int *minimum_baseline,
                              int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 600;
    }
  else
    {
      *minimum = 120;
      *natural = 170;
    }
}

static void
pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, AssayLongtailChart *self)
{
  int pos = assay_longtail_chart_position_at (self, x);

  if (pos < 0)
    return;
  assay_longtail_chart_set_selected (self, pos);
  g_signal_emit (self, signals[ACTIVATED], 0, (guint) pos);
}

static gboolean
query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer data)
{
  AssayLongtailChart *self = ASSAY_LONGTAIL_CHART (widget);
  int                 pos = assay_longtail_chart_position_at (self, x);
  g_autofree char    *text = NULL;

  if (pos < 0)
    return FALSE;
  text = g_strdup_printf (ngettext ("%s: %u training document", "%s: %u training documents",
                                    self->counts[pos]),
                          self->names != NULL && self->names[pos] != NULL ? self->names[pos] : "",
                          self->counts[pos]);
  if (self->curve != NULL && self->bin_size > 0 && (guint) pos / self->bin_size < self->n_bins
      && !isnan (self->curve[pos / self->bin_size]))
    {
      char *more = g_strdup_printf ("%s\n%s %.3f (%s %u–%u)", text,
                                    self->curve_label != NULL ? self->curve_label : "",
                                    self->curve[pos / self->bin_size], _("labels"),
                                    pos / self->bin_size * self->bin_size + 1,
                                    MIN ((pos / self->bin_size + 1) * self->bin_size, self->n));
      g_free (text);
      text = more;
    }
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
assay_longtail_chart_finalize (GObject *object)
{
  AssayLongtailChart *self = ASSAY_LONGTAIL_CHART (object);

  g_clear_pointer (&self->cache, gsk_render_node_unref);
  g_free (self->counts);
  g_strfreev (self->names);
  g_free (self->curve);
  g_free (self->curve_label);
  G_OBJECT_CLASS (assay_longtail_chart_parent_class)->finalize (object);
}

static void
assay_longtail_chart_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (assay_longtail_chart_parent_class)->css_changed (widget, change);
  invalidate (ASSAY_LONGTAIL_CHART (widget));
}

static void
assay_longtail_chart_class_init (AssayLongtailChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = assay_longtail_chart_finalize;
  widget_class->snapshot = assay_longtail_chart_snapshot;
  widget_class->measure = assay_longtail_chart_measure;
  widget_class->css_changed = assay_longtail_chart_css_changed;
  gtk_widget_class_set_css_name (widget_class, "longtailchart");

  /**
   * AssayLongtailChart::activated:
   * @position: the position clicked
   */
  signals[ACTIVATED] = g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
assay_longtail_chart_init (AssayLongtailChart *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->selected = -1;
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
}

GtkWidget *
assay_longtail_chart_new (void)
{
  return g_object_new (ASSAY_TYPE_LONGTAIL_CHART, NULL);
}

void
assay_longtail_chart_set_data (AssayLongtailChart *self, const guint *counts,
                               const char *const *names, guint n, const double *curve,
                               guint n_bins, guint bin_size, const char *curve_label)
{
  g_return_if_fail (ASSAY_IS_LONGTAIL_CHART (self));

  g_free (self->counts);
  g_strfreev (self->names);
  g_free (self->curve);
  g_free (self->curve_label);
  self->counts = g_memdup2 (counts, MAX (n, 1) * sizeof (guint));
  self->names = NULL;
  if (names != NULL)
    {
      self->names = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        self->names[i] = g_strdup (names[i]);
    }
  self->n = n;
  self->max_count = 0;
  for (guint i = 0; i < n; i++)
    self->max_count = MAX (self->max_count, counts[i]);
  self->curve = curve != NULL && n_bins > 0 ? g_memdup2 (curve, n_bins * sizeof (double)) : NULL;
  self->n_bins = curve != NULL ? n_bins : 0;
  self->bin_size = MAX (bin_size, 1);
  self->curve_label = g_strdup (curve_label);
  self->selected = -1;
  invalidate (self);
}

void
assay_longtail_chart_set_selected (AssayLongtailChart *self, int position)
{
  g_return_if_fail (ASSAY_IS_LONGTAIL_CHART (self));
  if (self->selected == position)
    return;
  self->selected = position;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
assay_longtail_chart_get_selected (AssayLongtailChart *self)
{
  return self->selected;
}
