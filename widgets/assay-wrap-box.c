/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-wrap-box.h"

struct _AssayWrapBox
{
  GtkWidget parent_instance;

  int   spacing;     /* between children in a row */
  int   row_spacing; /* between rows */
  guint n_rows;
};

enum
{
  PROP_0,
  PROP_SPACING,
  PROP_ROW_SPACING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void buildable_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AssayWrapBox, assay_wrap_box, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, buildable_init))

static GtkBuildableIface *parent_buildable;

static void
buildable_add_child (GtkBuildable *buildable, GtkBuilder *builder, GObject *child, const char *type)
{
  if (GTK_IS_WIDGET (child))
    assay_wrap_box_append (ASSAY_WRAP_BOX (buildable), GTK_WIDGET (child));
  else
    parent_buildable->add_child (buildable, builder, child, type);
}

static void
buildable_init (GtkBuildableIface *iface)
{
  parent_buildable = g_type_interface_peek_parent (iface);
  iface->add_child = buildable_add_child;
}

/* Walks the rows for a width: calls place (if not NULL) for each child with its x, row and
 * width; returns the height of all rows. */
typedef void (*PlaceFunc) (GtkWidget *child, int x, int y, int width, int height, gpointer data);

static int
layout (AssayWrapBox *self, int width, PlaceFunc place, gpointer data)
{
  GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (self));
  int        y = 0;
  guint      rows = 0;

  while (first != NULL)
    {
      GtkWidget *row_end = first, *c;
      int        used = 0, row_h = 0, n = 0, n_expand = 0, extra, x = 0, share, spare;

      /* which children fit this row */
      for (c = first; c != NULL; c = gtk_widget_get_next_sibling (c))
        {
          int nat = 0, h = 0;
          if (!gtk_widget_should_layout (c))
            {
              row_end = gtk_widget_get_next_sibling (c);
              continue;
            }
          gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
          nat = MIN (nat, width);
          if (n > 0 && used + self->spacing + nat > width)
            break;
          used += (n > 0 ? self->spacing : 0) + nat;
          gtk_widget_measure (c, GTK_ORIENTATION_VERTICAL, nat, NULL, &h, NULL, NULL);
          row_h = MAX (row_h, h);
          n++;
          if (gtk_widget_compute_expand (c, GTK_ORIENTATION_HORIZONTAL))
            n_expand++;
          row_end = gtk_widget_get_next_sibling (c);
        }
      extra = MAX (0, width - used);
      share = n_expand > 0 ? extra / n_expand : 0;
      spare = n_expand > 0 ? extra - share * n_expand : 0;
      for (c = first; c != row_end; c = gtk_widget_get_next_sibling (c))
        {
          int nat = 0, w;
          if (!gtk_widget_should_layout (c))
            continue;
          gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
          w = MIN (nat, width);
          if (gtk_widget_compute_expand (c, GTK_ORIENTATION_HORIZONTAL))
            {
              w += share + spare;
              spare = 0;
            }
          if (place != NULL)
            place (c, x, y, w, row_h, data);
          x += w + self->spacing;
        }
      if (n > 0)
        {
          y += (rows > 0 ? self->row_spacing : 0) + row_h;
          rows++;
        }
      first = row_end;
    }
  if (place != NULL)
    self->n_rows = rows;
  return y;
}

static void
measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
         int *minimum_baseline, int *natural_baseline)
{
  AssayWrapBox *self = ASSAY_WRAP_BOX (widget);

  *minimum = *natural = 0;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* the widest child alone; naturally, all in one row */
      int n = 0;
      for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
        {
          int min = 0, nat = 0;
          if (!gtk_widget_should_layout (c))
            continue;
          gtk_widget_measure (c, orientation, -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural += (n++ > 0 ? self->spacing : 0) + nat;
        }
    }
  else if (for_size < 0)
    {
      /* one row of natural widths */
      int min_w = 0, nat_w = 0;
      measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
      *minimum = *natural = layout (self, MAX (nat_w, 1), NULL, NULL);
    }
  else
    *minimum = *natural = layout (self, for_size, NULL, NULL);
}

static void
place_child (GtkWidget *child, int x, int y, int width, int height, gpointer data)
{
  gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, width, height }, -1);
}

static void
size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  layout (ASSAY_WRAP_BOX (widget), width, place_child, NULL);
}

static GtkSizeRequestMode
get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayWrapBox *self = ASSAY_WRAP_BOX (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      g_value_set_int (value, self->spacing);
      break;
    case PROP_ROW_SPACING:
      g_value_set_int (value, self->row_spacing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AssayWrapBox *self = ASSAY_WRAP_BOX (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      self->spacing = g_value_get_int (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_ROW_SPACING:
      self->row_spacing = g_value_get_int (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (assay_wrap_box_parent_class)->dispose (object);
}

static void
assay_wrap_box_class_init (AssayWrapBoxClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dispose;
  object_class->get_property = get_property;
  object_class->set_property = set_property;
  widget_class->measure = measure;
  widget_class->size_allocate = size_allocate;
  widget_class->get_request_mode = get_request_mode;
  properties[PROP_SPACING] = g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT, 6,
                                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROW_SPACING] = g_param_spec_int ("row-spacing", NULL, NULL, 0, G_MAXINT, 6,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "wrapbox");
}

static void
assay_wrap_box_init (AssayWrapBox *self)
{
  self->spacing = 6;
  self->row_spacing = 6;
}

GtkWidget *
assay_wrap_box_new (void)
{
  return g_object_new (ASSAY_TYPE_WRAP_BOX, NULL);
}

void
assay_wrap_box_append (AssayWrapBox *self, GtkWidget *child)
{
  g_return_if_fail (ASSAY_IS_WRAP_BOX (self));
  gtk_widget_set_parent (child, GTK_WIDGET (self));
}

guint
assay_wrap_box_get_n_rows (AssayWrapBox *self)
{
  return self->n_rows;
}
