/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-matrix-heatmap.h"

#include <math.h>

#include <glib/gi18n.h>

#include "assay-palette.h"
#include "assay-text.h"

#define LABEL 18
#define TITLE 22

struct _AssayMatrixHeatmap
{
  GtkWidget parent_instance;

  char     *title;
  float    *values;
  guint     N;
};

G_DEFINE_FINAL_TYPE (AssayMatrixHeatmap, assay_matrix_heatmap, GTK_TYPE_WIDGET)

void
assay_matrix_heatmap_color (double value, GdkRGBA *color)
{
  /* white -> #1c71d8 */
  float t = (float) CLAMP (value, 0.0, 1.0);

  color->red = 1.0f + (0.110f - 1.0f) * t;
  color->green = 1.0f + (0.443f - 1.0f) * t;
  color->blue = 1.0f + (0.847f - 1.0f) * t;
  color->alpha = 1.0f;
}

static void
assay_matrix_heatmap_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayMatrixHeatmap *self = ASSAY_MATRIX_HEATMAP (widget);
  int                 width = gtk_widget_get_width (widget);
  int                 height = gtk_widget_get_height (widget);
  double              side, cell, x0, y0;
  GdkRGBA             fg, border;

  assay_palette_foreground (widget, &fg);
  border = fg;
  border.alpha = 0.25f;
  if (self->title != NULL)
    assay_text_draw (widget, snapshot, self->title, width / 2.0, TITLE / 2.0, 0.5, &fg);
  if (self->values == NULL || self->N == 0)
    {
      GdkRGBA dim = fg;
      dim.alpha = 0.5f;
      assay_text_draw (widget, snapshot, _("no graph"), width / 2.0, height / 2.0, 0.5, &dim);
      return;
    }
  side = MIN (width - LABEL, height - TITLE - LABEL);
  cell = side / self->N;
  x0 = LABEL + (width - LABEL - side) / 2.0;
  y0 = TITLE + LABEL;
  for (guint i = 0; i < self->N; i++)
    {
      char label[16];
      g_snprintf (label, sizeof label, "%u", i + 1);
      if (cell >= 10)
        {
          assay_text_draw (widget, snapshot, label, x0 + (i + 0.5) * cell, TITLE + LABEL / 2.0, 0.5, &fg);
          assay_text_draw (widget, snapshot, label, x0 - LABEL / 2.0, y0 + (i + 0.5) * cell, 0.5, &fg);
        }
      for (guint j = 0; j < self->N; j++)
        {
          GdkRGBA color;
          assay_matrix_heatmap_color (i == j ? 0 : self->values[i * self->N + j], &color);
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT ((float) (x0 + j * cell), (float) (y0 + i * cell),
                                                          (float) MAX (cell - 1, 1), (float) MAX (cell - 1, 1)));
        }
    }
  gtk_snapshot_append_border (snapshot,
                              &GSK_ROUNDED_RECT_INIT ((float) x0 - 1, (float) y0 - 1, (float) side + 1, (float) side + 1),
                              (float[4]) { 1, 1, 1, 1 },
                              (GdkRGBA[4]) { border, border, border, border });
}

static void
assay_matrix_heatmap_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                              int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 90;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 180;
}

static void
assay_matrix_heatmap_finalize (GObject *object)
{
  AssayMatrixHeatmap *self = ASSAY_MATRIX_HEATMAP (object);

  g_free (self->title);
  g_free (self->values);
  G_OBJECT_CLASS (assay_matrix_heatmap_parent_class)->finalize (object);
}

static void
assay_matrix_heatmap_class_init (AssayMatrixHeatmapClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = assay_matrix_heatmap_finalize;
  widget_class->snapshot = assay_matrix_heatmap_snapshot;
  widget_class->measure = assay_matrix_heatmap_measure;
  gtk_widget_class_set_css_name (widget_class, "matrixheatmap");
}

static void
assay_matrix_heatmap_init (AssayMatrixHeatmap *self)
{
}

GtkWidget *
assay_matrix_heatmap_new (void)
{
  return g_object_new (ASSAY_TYPE_MATRIX_HEATMAP, NULL);
}

void
assay_matrix_heatmap_set_title (AssayMatrixHeatmap *self, const char *title)
{
  g_free (self->title);
  self->title = g_strdup (title);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_matrix_heatmap_set_matrix (AssayMatrixHeatmap *self, const float *values, guint N)
{
  g_clear_pointer (&self->values, g_free);
  self->N = values != NULL ? N : 0;
  if (values != NULL)
    self->values = g_memdup2 (values, (gsize) N * N * sizeof (float));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
assay_matrix_heatmap_get_size (AssayMatrixHeatmap *self)
{
  g_return_val_if_fail (ASSAY_IS_MATRIX_HEATMAP (self), 0);
  return self->values != NULL ? self->N : 0;
}

float
assay_matrix_heatmap_get_value (AssayMatrixHeatmap *self, guint i, guint j)
{
  g_return_val_if_fail (ASSAY_IS_MATRIX_HEATMAP (self), NAN);
  if (self->values == NULL || i >= self->N || j >= self->N)
    return NAN;
  return self->values[(gsize) i * self->N + j];
}
