/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-keyword-bars.h"

#include <glib/gi18n.h>

#include "assay-palette.h"

#define ROW_HEIGHT 22
#define TERM_WIDTH 150
#define VALUE_WIDTH 56

struct _AssayKeywordBars
{
  GtkWidget parent_instance;

  char    **terms;
  float    *weights;
  int      *marks;
  guint     n;
  float     max_weight;
};

enum
{
  ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayKeywordBars, assay_keyword_bars, GTK_TYPE_WIDGET)

static void
text_at (GtkWidget *widget, GtkSnapshot *snapshot, const char *text, double x, double y,
         double width, double align, const GdkRGBA *color, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int          w, h;

  if (bold)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x + align * (width - w)),
                                                          (float) (y + (ROW_HEIGHT - h) / 2.0)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
assay_keyword_bars_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayKeywordBars *self = ASSAY_KEYWORD_BARS (widget);
  int               width = gtk_widget_get_width (widget);
  double            bar_x = TERM_WIDTH + 8;
  double            bar_w = MAX (width - bar_x - VALUE_WIDTH - 8, 20);
  GdkRGBA           fg, dim, bar, gained, lost;

  assay_palette_foreground (widget, &fg);
  dim = fg;
  dim.alpha = 0.55f;
  assay_palette_series (0, &bar);
  assay_palette_positive (&gained);
  assay_palette_negative (&lost);

  if (self->n == 0)
    {
      text_at (widget, snapshot, _("No keyword with a positive weight"), 0, 0, width, 0.0, &dim,
               FALSE);
      return;
    }
  for (guint i = 0; i < self->n; i++)
    {
      double           y = i * ROW_HEIGHT;
      double           len = self->max_weight > 0 ? bar_w * self->weights[i] / self->max_weight : 0;
      int              mark = self->marks != NULL ? self->marks[i] : 0;
      GdkRGBA          color = mark > 0 ? gained : mark < 0 ? lost : bar;
      g_autofree char *value = g_strdup_printf ("%.3f", self->weights[i]);
      g_autofree char *term = g_strdup_printf ("%s%s", mark > 0 ? "+ " : mark < 0 ? "− " : "",
                                               self->terms[i]);

      if (mark < 0)
        color.alpha = 0.45f;
      text_at (widget, snapshot, term, 0, y, TERM_WIDTH, 1.0, mark < 0 ? &dim : &fg, mark > 0);
      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT ((float) bar_x, (float) (y + 4),
                                                      (float) MAX (len, 1), ROW_HEIGHT - 8));
      text_at (widget, snapshot, value, bar_x + bar_w + 6, y, VALUE_WIDTH, 0.0, &dim, FALSE);
    }
}

static void
assay_keyword_bars_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                            int *minimum, int *natural, int *minimum_baseline,
                            int *natural_baseline)
{
  AssayKeywordBars *self = ASSAY_KEYWORD_BARS (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = TERM_WIDTH + VALUE_WIDTH + 60;
      *natural = TERM_WIDTH + VALUE_WIDTH + 240;
    }
  else
    *minimum = *natural = (int) MAX (self->n, 1) * ROW_HEIGHT;
}

static void
pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, AssayKeywordBars *self)
{
  guint row = (guint) (y / ROW_HEIGHT);

  if (y >= 0 && row < self->n)
    g_signal_emit (self, signals[ACTIVATED], 0, row);
}

static void
assay_keyword_bars_finalize (GObject *object)
{
  AssayKeywordBars *self = ASSAY_KEYWORD_BARS (object);

  g_strfreev (self->terms);
  g_free (self->weights);
  g_free (self->marks);
  G_OBJECT_CLASS (assay_keyword_bars_parent_class)->finalize (object);
}

static void
assay_keyword_bars_class_init (AssayKeywordBarsClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = assay_keyword_bars_finalize;
  widget_class->snapshot = assay_keyword_bars_snapshot;
  widget_class->measure = assay_keyword_bars_measure;
  gtk_widget_class_set_css_name (widget_class, "keywordbars");

  /**
   * AssayKeywordBars::activated:
   * @index: the keyword clicked
   */
  signals[ACTIVATED] = g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
assay_keyword_bars_init (AssayKeywordBars *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
assay_keyword_bars_new (void)
{
  return g_object_new (ASSAY_TYPE_KEYWORD_BARS, NULL);
}

void
assay_keyword_bars_set_keywords (AssayKeywordBars *self, const char *const *terms,
                                 const float *weights, const int *marks, guint n)
{
  g_return_if_fail (ASSAY_IS_KEYWORD_BARS (self));

  g_strfreev (self->terms);
  g_free (self->weights);
  g_free (self->marks);
  self->terms = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    self->terms[i] = g_strdup (terms[i]);
  self->weights = g_memdup2 (weights, MAX (n, 1) * sizeof (float));
  self->marks = marks != NULL ? g_memdup2 (marks, MAX (n, 1) * sizeof (int)) : NULL;
  self->n = n;
  self->max_weight = 0;
  for (guint i = 0; i < n; i++)
    self->max_weight = MAX (self->max_weight, weights[i]);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
assay_keyword_bars_get_n_keywords (AssayKeywordBars *self)
{
  return self->n;
}
