/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-filmstrip.c: see assay-filmstrip.h. */
#include "assay-filmstrip.h"

#include "assay-palette.h"

#define GAP 4.0

struct _AssayFilmstrip
{
  GtkWidget  parent_instance;
  GPtrArray *textures;
  int        selected;
};

enum
{
  SELECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayFilmstrip, assay_filmstrip, GTK_TYPE_WIDGET)

/* The box of frame i: frames share the width, keep their aspect, are centred vertically. */
static graphene_rect_t
frame_rect (AssayFilmstrip *self, guint i)
{
  int        n = (int) self->textures->len;
  double     width = gtk_widget_get_width (GTK_WIDGET (self));
  double     height = gtk_widget_get_height (GTK_WIDGET (self));
  GdkTexture *t = self->textures->pdata[i];
  double     cell = (width - GAP * (n - 1)) / MAX (n, 1);
  double     aspect = (double) gdk_texture_get_height (t) / MAX (1, gdk_texture_get_width (t));
  double     h = MIN (height - 6.0, cell * aspect), w = h / aspect;

  return GRAPHENE_RECT_INIT (i * (cell + GAP) + (cell - w) / 2, (height - h) / 2, w, h);
}

static void
snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayFilmstrip *self = ASSAY_FILMSTRIP (widget);
  GdkRGBA         accent;

  if (self->textures == NULL)
    return;
  assay_palette_selection (&accent);
  for (guint i = 0; i < self->textures->len; i++)
    {
      graphene_rect_t r = frame_rect (self, i);
      gtk_snapshot_append_texture (snapshot, self->textures->pdata[i], &r);
      if ((int) i == self->selected)
        {
          GskRoundedRect border;
          float          widths[4] = { 3, 3, 3, 3 };
          GdkRGBA        colors[4] = { accent, accent, accent, accent };
          graphene_rect_t outer = GRAPHENE_RECT_INIT (r.origin.x - 3, r.origin.y - 3, r.size.width + 6, r.size.height + 6);
          gsk_rounded_rect_init_from_rect (&border, &outer, 0);
          gtk_snapshot_append_border (snapshot, &border, widths, colors);
        }
    }
}

void
assay_filmstrip_set_selected (AssayFilmstrip *self, int index)
{
  g_return_if_fail (ASSAY_IS_FILMSTRIP (self));

  if (self->textures == NULL || self->textures->len == 0)
    return;
  index = CLAMP (index, 0, (int) self->textures->len - 1);
  if (index == self->selected)
    return;
  self->selected = index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SELECTED], 0, index);
}

static void
pressed (GtkGestureClick *gesture, int n_press, double x, double y, AssayFilmstrip *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  for (guint i = 0; self->textures != NULL && i < self->textures->len; i++)
    {
      graphene_rect_t r = frame_rect (self, i);
      if (x >= r.origin.x - GAP / 2 && x < r.origin.x + r.size.width + GAP / 2)
        assay_filmstrip_set_selected (self, (int) i);
    }
}

static gboolean
key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
             AssayFilmstrip *self)
{
  if (keyval == GDK_KEY_Left || keyval == GDK_KEY_KP_Left)
    assay_filmstrip_set_selected (self, self->selected - 1);
  else if (keyval == GDK_KEY_Right || keyval == GDK_KEY_KP_Right)
    assay_filmstrip_set_selected (self, self->selected + 1);
  else if (keyval == GDK_KEY_Home)
    assay_filmstrip_set_selected (self, 0);
  else if (keyval == GDK_KEY_End)
    assay_filmstrip_set_selected (self, G_MAXINT);
  else
    return FALSE;
  return TRUE;
}

static void
measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
         int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 48;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 800 : 72;
}

static void
dispose (GObject *object)
{
  g_clear_pointer (&ASSAY_FILMSTRIP (object)->textures, g_ptr_array_unref);
  G_OBJECT_CLASS (assay_filmstrip_parent_class)->dispose (object);
}

static void
assay_filmstrip_class_init (AssayFilmstripClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = dispose;
  widget_class->snapshot = snapshot;
  widget_class->measure = measure;
  signals[SELECTED] = g_signal_new ("selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "filmstrip");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
assay_filmstrip_init (AssayFilmstrip *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture         *click = gtk_gesture_click_new ();

  self->selected = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
assay_filmstrip_new (void)
{
  return g_object_new (ASSAY_TYPE_FILMSTRIP, NULL);
}

void
assay_filmstrip_set_frames (AssayFilmstrip *self, GPtrArray *textures)
{
  g_return_if_fail (ASSAY_IS_FILMSTRIP (self));

  g_clear_pointer (&self->textures, g_ptr_array_unref);
  if (textures != NULL)
    self->textures = g_ptr_array_ref (textures);
  self->selected = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (self->textures != NULL && self->textures->len > 0)
    assay_filmstrip_set_selected (self, 0);
}

guint
assay_filmstrip_get_n_frames (AssayFilmstrip *self)
{
  return self->textures != NULL ? self->textures->len : 0;
}

int
assay_filmstrip_get_selected (AssayFilmstrip *self)
{
  return self->selected;
}
