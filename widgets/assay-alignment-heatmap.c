/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-alignment-heatmap.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "assay-matrix-heatmap.h"
#include "assay-palette.h"
#include "assay-text.h"

#define HEADER 22   /* the labels' names above the columns */
#define LEFT   110  /* the groups' names */
#define MARK   8    /* the right / wrong strip */
#define GAP    4

struct _AssayAlignmentHeatmap
{
  GtkWidget parent_instance;

  guint     n_rows, n_cols;
  float    *values;
  int      *predicted, *truth;
  char    **labels;
  char    **tips;
  guint    *order; /* place -> data row */
  gboolean  grouped;
};

G_DEFINE_FINAL_TYPE (AssayAlignmentHeatmap, assay_alignment_heatmap, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CELL_ACTIVATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* white -> blue in a light style; the window's grey -> light blue in a dark one */
static void
cell_color (gboolean dark, double value, GdkRGBA *color)
{
  float t = (float) CLAMP (value, 0.0, 1.0);

  if (!dark)
    {
      assay_matrix_heatmap_color (value, color);
      return;
    }
  color->red = 0.20f + (0.384f - 0.20f) * t;
  color->green = 0.20f + (0.627f - 0.20f) * t;
  color->blue = 0.20f + (0.918f - 0.20f) * t;
  color->alpha = 1.0f;
}

static AssayAlignmentHeatmap *sorting; /* qsort has no user data (GTK runs on one thread) */

static int
compare_rows (const void *a, const void *b)
{
  guint i = *(const guint *) a, j = *(const guint *) b;
  int   pi = sorting->predicted[i], pj = sorting->predicted[j];
  float vi, vj;

  if (pi != pj)
    return pi < pj ? -1 : 1;
  vi = pi >= 0 ? sorting->values[(gsize) i * sorting->n_cols + pi] : 0;
  vj = pj >= 0 ? sorting->values[(gsize) j * sorting->n_cols + pj] : 0;
  if (vi != vj)
    return vi > vj ? -1 : 1;
  return i < j ? -1 : i > j;
}

static void
sort_rows (AssayAlignmentHeatmap *self)
{
  for (guint i = 0; i < self->n_rows; i++)
    self->order[i] = i;
  if (self->grouped && self->n_rows > 1)
    {
      sorting = self;
      qsort (self->order, self->n_rows, sizeof (guint), compare_rows);
      sorting = NULL;
    }
}

/* The grid's rectangle. */
static void
grid_rect (AssayAlignmentHeatmap *self, double *x, double *y, double *w, double *h)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self)), height = gtk_widget_get_height (GTK_WIDGET (self));

  *x = self->grouped ? LEFT : GAP;
  *y = HEADER;
  *w = MAX (width - *x - MARK - 2 * GAP, 1);
  *h = MAX (height - HEADER - GAP, 1);
}

gboolean
assay_alignment_heatmap_cell_at (AssayAlignmentHeatmap *self, double px, double py, guint *row, guint *col)
{
  double x, y, w, h;
  guint  place;

  if (self->n_rows == 0 || self->n_cols == 0)
    return FALSE;
  grid_rect (self, &x, &y, &w, &h);
  if (px < x || px >= x + w || py < y || py >= y + h)
    return FALSE;
  place = MIN ((guint) ((py - y) / h * self->n_rows), self->n_rows - 1);
  *row = self->order[place];
  *col = MIN ((guint) ((px - x) / w * self->n_cols), self->n_cols - 1);
  return TRUE;
}

static void
assay_alignment_heatmap_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayAlignmentHeatmap *self = ASSAY_ALIGNMENT_HEATMAP (widget);
  double                 x, y, w, h, cell_w;
  guint                  strips;
  gboolean               dark = assay_palette_is_dark (widget);
  GdkRGBA                fg, good, bad, unknown;

  assay_palette_foreground (widget, &fg);
  if (self->n_rows == 0 || self->n_cols == 0)
    {
      GdkRGBA dim = fg;
      dim.alpha = 0.5f;
      assay_text_draw (widget, snapshot, _("no texts"), gtk_widget_get_width (widget) / 2.0,
                       gtk_widget_get_height (widget) / 2.0, 0.5, &dim);
      return;
    }
  assay_palette_positive (&good);
  assay_palette_negative (&bad);
  unknown = fg;
  unknown.alpha = 0.2f;
  grid_rect (self, &x, &y, &w, &h);
  cell_w = w / self->n_cols;
  for (guint c = 0; c < self->n_cols; c++)
    assay_text_draw (widget, snapshot, self->labels[c], x + (c + 0.5) * cell_w, HEADER / 2.0, 0.5, &fg);
  /* one strip per pixel row at most: the rows it covers averaged */
  strips = MIN (self->n_rows, (guint) MAX (h, 1));
  for (guint s = 0; s < strips; s++)
    {
      guint   r0 = (guint) ((guint64) s * self->n_rows / strips), r1 = (guint) ((guint64) (s + 1) * self->n_rows / strips);
      double  top = y + h * s / strips, height = h / strips;
      guint   known = 0, right = 0;
      GdkRGBA mark;

      for (guint c = 0; c < self->n_cols; c++)
        {
          double  sum = 0;
          GdkRGBA color;
          for (guint p = r0; p < r1; p++)
            sum += self->values[(gsize) self->order[p] * self->n_cols + c];
          cell_color (dark, sum / MAX (r1 - r0, 1), &color);
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT ((float) (x + c * cell_w), (float) top,
                                                          (float) MAX (cell_w - 1, 1), (float) MAX (height, 1)));
        }
      for (guint p = r0; p < r1; p++)
        {
          guint r = self->order[p];
          if (self->truth[r] >= 0)
            {
              known++;
              right += self->truth[r] == self->predicted[r];
            }
        }
      if (known == 0)
        mark = unknown;
      else
        {
          double t = (double) right / known;
          mark.red = (float) (t * good.red + (1 - t) * bad.red);
          mark.green = (float) (t * good.green + (1 - t) * bad.green);
          mark.blue = (float) (t * good.blue + (1 - t) * bad.blue);
          mark.alpha = 1.0f;
        }
      gtk_snapshot_append_color (snapshot, &mark,
                                 &GRAPHENE_RECT_INIT ((float) (x + w + GAP), (float) top, MARK, (float) MAX (height, 1)));
    }
  /* the groups: a line and the label's name where each starts */
  if (self->grouped)
    {
      GdkRGBA line = fg;
      line.alpha = 0.6f;
      for (guint p = 0; p < self->n_rows;)
        {
          int   label = self->predicted[self->order[p]];
          guint end = p;
          while (end < self->n_rows && self->predicted[self->order[end]] == label)
            end++;
          {
            double top = y + h * p / self->n_rows, bottom = y + h * end / self->n_rows;
            g_autofree char *name = label >= 0 && (guint) label < self->n_cols
                                      ? g_strdup_printf ("%s (%u)", self->labels[label], end - p)
                                      : g_strdup_printf ("? (%u)", end - p);
            if (p > 0)
              gtk_snapshot_append_color (snapshot, &line, &GRAPHENE_RECT_INIT (2, (float) top, (float) (x + w - 2), 1));
            if (bottom - top >= 14)
              assay_text_draw (widget, snapshot, name, x - GAP, (top + bottom) / 2.0, 1.0, &fg);
          }
          p = end;
        }
    }
}

static gboolean
query_tooltip_cb (GtkWidget *widget, int px, int py, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  AssayAlignmentHeatmap *self = ASSAY_ALIGNMENT_HEATMAP (widget);
  guint                  row, col;
  g_autofree char       *text = NULL;

  if (!assay_alignment_heatmap_cell_at (self, px, py, &row, &col))
    return FALSE;
  text = g_strdup_printf (_("%s\n%s: %.3f (predicted %s%s%s)"),
                          self->tips != NULL && self->tips[row] != NULL ? self->tips[row] : "",
                          self->labels[col], self->values[(gsize) row * self->n_cols + col],
                          self->predicted[row] >= 0 ? self->labels[self->predicted[row]] : "?",
                          self->truth[row] >= 0 ? _(", true ") : "",
                          self->truth[row] >= 0 ? self->labels[self->truth[row]] : "");
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
pressed_cb (GtkGestureClick *gesture, int n_press, double px, double py, AssayAlignmentHeatmap *self)
{
  guint row, col;

  if (assay_alignment_heatmap_cell_at (self, px, py, &row, &col))
    g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, row, col);
}

static void
clear (AssayAlignmentHeatmap *self)
{
  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->predicted, g_free);
  g_clear_pointer (&self->truth, g_free);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->labels, g_strfreev);
  if (self->tips != NULL)
    {
      for (guint i = 0; i < self->n_rows; i++)
        g_free (self->tips[i]);
      g_clear_pointer (&self->tips, g_free);
    }
  self->n_rows = self->n_cols = 0;
}

void
assay_alignment_heatmap_set_data (AssayAlignmentHeatmap *self, guint n_rows, guint n_cols, const float *values,
                                  const int *predicted, const int *truth, const char *const *labels,
                                  const char *const *tips)
{
  g_return_if_fail (ASSAY_IS_ALIGNMENT_HEATMAP (self));
  clear (self);
  if (n_rows > 0 && n_cols > 0)
    {
      self->n_rows = n_rows;
      self->n_cols = n_cols;
      self->values = g_memdup2 (values, (gsize) n_rows * n_cols * sizeof (float));
      self->predicted = g_memdup2 (predicted, n_rows * sizeof (int));
      self->truth = g_new (int, n_rows);
      for (guint i = 0; i < n_rows; i++)
        self->truth[i] = truth != NULL && truth[i] >= 0 && (guint) truth[i] < n_cols ? truth[i] : -1;
      self->labels = g_new0 (char *, n_cols + 1);
      for (guint c = 0; c < n_cols; c++)
        self->labels[c] = g_strdup (labels[c]);
      if (tips != NULL)
        {
          self->tips = g_new0 (char *, n_rows);
          for (guint i = 0; i < n_rows; i++)
            self->tips[i] = g_strdup (tips[i]);
        }
      self->order = g_new (guint, n_rows);
      sort_rows (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_alignment_heatmap_set_grouped (AssayAlignmentHeatmap *self, gboolean grouped)
{
  g_return_if_fail (ASSAY_IS_ALIGNMENT_HEATMAP (self));
  self->grouped = grouped;
  if (self->order != NULL)
    sort_rows (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
assay_alignment_heatmap_get_grouped (AssayAlignmentHeatmap *self)
{
  return self->grouped;
}

guint
assay_alignment_heatmap_row_at (AssayAlignmentHeatmap *self, guint i)
{
  g_return_val_if_fail (i < self->n_rows, 0);
  return self->order[i];
}

static void
assay_alignment_heatmap_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                                 int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 260 : 160;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 520 : 420;
}

static void
assay_alignment_heatmap_finalize (GObject *object)
{
  clear (ASSAY_ALIGNMENT_HEATMAP (object));
  G_OBJECT_CLASS (assay_alignment_heatmap_parent_class)->finalize (object);
}

static void
assay_alignment_heatmap_class_init (AssayAlignmentHeatmapClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = assay_alignment_heatmap_finalize;
  widget_class->snapshot = assay_alignment_heatmap_snapshot;
  widget_class->measure = assay_alignment_heatmap_measure;
  /* (guint row, guint col): the data row (a text) and column (a label) clicked */
  signals[SIGNAL_CELL_ACTIVATED] = g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
assay_alignment_heatmap_init (AssayAlignmentHeatmap *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->grouped = TRUE;
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
}

GtkWidget *
assay_alignment_heatmap_new (void)
{
  return g_object_new (ASSAY_TYPE_ALIGNMENT_HEATMAP, NULL);
}
