/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-heatmap.c: see assay-token-heatmap.h. Signals: "cursor-changed" (int token). */
#include "assay-token-heatmap.h"

#include "assay-palette.h"

#include <glib/gi18n.h>
#include <math.h>

struct _AssayTokenHeatmap
{
  GtkWidget         parent_instance;

  AssayTokenLayout *layout;    /* the text, tokens and credit */
  float            *logprobs, *ref_logprobs;
  int               n_tokens;
  double            range;    /* 0: the layout's own */
  int               cursor;
  int               wrapped_width;

  GtkAdjustment    *hadjustment, *vadjustment;
  GtkScrollablePolicy hscroll_policy, vscroll_policy;
};

enum
{
  PROP_0,
  PROP_HADJUSTMENT,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

enum
{
  CURSOR_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (AssayTokenHeatmap, assay_token_heatmap, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

static void
configure_vadjustment (AssayTokenHeatmap *self)
{
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double total = self->layout != NULL ? assay_token_layout_get_height (self->layout) + 8.0 : 0.0;
  double value;

  if (self->vadjustment == NULL)
    return;
  value = CLAMP (gtk_adjustment_get_value (self->vadjustment), 0.0, MAX (0.0, total - height));
  gtk_adjustment_configure (self->vadjustment, value, 0.0, MAX (total, height), 
                            self->layout ? assay_token_layout_get_line_height (self->layout) * 3 : 10,
                            height * 0.9, height);
}

static void
ensure_wrapped (AssayTokenHeatmap *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));

  if (self->layout != NULL && width > 0 && width != self->wrapped_width)
    {
      self->wrapped_width = width;
      assay_token_layout_wrap (self->layout, width);
      configure_vadjustment (self);
    }
}

static void
size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (widget);

  ensure_wrapped (self);
  configure_vadjustment (self);
  if (self->hadjustment != NULL)
    gtk_adjustment_configure (self->hadjustment, 0, 0, width, 10, width, width);
}

static void
snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (widget);
  int                width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double             top = self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
  cairo_t           *cr;

  if (self->layout == NULL || width <= 0 || height <= 0)
    return;
  ensure_wrapped (self);
  /* the scheme follows the style */
  assay_token_layout_set_dark (self->layout, assay_palette_is_dark (widget));
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  /* the paper (below the last line too): as the layout's scheme draws it */
  if (assay_token_layout_get_dark (self->layout))
    cairo_set_source_rgb (cr, 0.14, 0.14, 0.14);
  else
    cairo_set_source_rgb (cr, 0.995, 0.995, 0.99);
  cairo_paint (cr);
  cairo_translate (cr, 0, -top);
  assay_token_layout_draw (self->layout, cr, top, top + height);
  cairo_destroy (cr);
}

static void
scroll_to_token (AssayTokenHeatmap *self, int token)
{
  double x, y, w, h, top, page;

  if (self->layout == NULL || self->vadjustment == NULL
      || !assay_token_layout_token_rect (self->layout, token, &x, &y, &w, &h))
    return;
  top = gtk_adjustment_get_value (self->vadjustment);
  page = gtk_adjustment_get_page_size (self->vadjustment);
  if (y < top)
    gtk_adjustment_set_value (self->vadjustment, y - h);
  else if (y + h > top + page)
    gtk_adjustment_set_value (self->vadjustment, y + 2 * h - page);
}

void
assay_token_heatmap_set_cursor (AssayTokenHeatmap *self, int token)
{
  g_return_if_fail (ASSAY_IS_TOKEN_HEATMAP (self));

  token = self->n_tokens > 0 ? CLAMP (token, 0, self->n_tokens - 1) : -1;
  if (token == self->cursor)
    return;
  self->cursor = token;
  if (self->layout != NULL)
    {
      assay_token_layout_set_cursor (self->layout, token);
      ensure_wrapped (self);
      scroll_to_token (self, token);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, token);
}

int
assay_token_heatmap_get_cursor (AssayTokenHeatmap *self)
{
  return self->cursor;
}

int
assay_token_heatmap_get_cursor_step (AssayTokenHeatmap *self)
{
  return self->layout != NULL ? assay_token_layout_token_step (self->layout, self->cursor) : -1;
}

static void
move_step (AssayTokenHeatmap *self, int delta)
{
  int step, token;

  if (self->layout == NULL)
    return;
  step = assay_token_layout_token_step (self->layout, MAX (self->cursor, 0));
  if (step < 0)
    return;
  if (delta < 0 && self->cursor > assay_token_layout_step_token (self->layout, step))
    delta = 0; /* first back to the start of this step */
  token = assay_token_layout_step_token (self->layout, step + delta);
  if (token >= 0)
    assay_token_heatmap_set_cursor (self, token);
}

static gboolean
key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
             AssayTokenHeatmap *self)
{
  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      assay_token_heatmap_set_cursor (self, self->cursor - 1);
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      assay_token_heatmap_set_cursor (self, self->cursor + 1);
      return TRUE;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_step (self, -1);
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_step (self, +1);
      return TRUE;
    case GDK_KEY_Home:
      assay_token_heatmap_set_cursor (self, 0);
      return TRUE;
    case GDK_KEY_End:
      assay_token_heatmap_set_cursor (self, self->n_tokens - 1);
      return TRUE;
    default:
      return FALSE;
    }
}

static void
pressed (GtkGestureClick *gesture, int n_press, double x, double y, AssayTokenHeatmap *self)
{
  double top = self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
  int    token;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->layout != NULL && (token = assay_token_layout_token_at (self->layout, x, y + top)) >= 0)
    assay_token_heatmap_set_cursor (self, token);
}

char *
assay_token_heatmap_describe (AssayTokenHeatmap *self, int token)
{
  g_autofree char *piece = NULL, *shown = NULL;
  GString         *s;
  double           credit;

  if (self->layout == NULL || token < 0 || token >= self->n_tokens)
    return NULL;
  piece = assay_token_layout_dup_token_text (self->layout, token);
  credit = assay_token_layout_get_credit (self->layout, token);
  s = g_string_new (NULL);
  for (const char *p = piece; *p; p = g_utf8_next_char (p))
    {
      gunichar u = g_utf8_get_char (p);
      if (u == '\n')
        g_string_append (s, "\\n");
      else if (u == '\t')
        g_string_append (s, "\\t");
      else
        g_string_append_unichar (s, u);
    }
  shown = g_string_free (s, FALSE);
  if (self->logprobs != NULL && self->ref_logprobs != NULL && !isnan (credit))
    return g_strdup_printf (_("token %d “%s”  log π %.4f  log π_ref %.4f  credit %+.4f (%+.4f from the mean)"),
                            token, shown, self->logprobs[token], self->ref_logprobs[token], credit,
                            credit - assay_token_layout_get_center (self->layout));
  return g_strdup_printf (_("token %d “%s”  not scored"), token, shown);
}

static gboolean
query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (widget);
  double             top = self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
  int                token = keyboard ? self->cursor
                                      : self->layout != NULL ? assay_token_layout_token_at (self->layout, x, y + top) : -1;
  g_autofree char   *text = assay_token_heatmap_describe (self, token);

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
adjustment_changed (GtkAdjustment *adjustment, AssayTokenHeatmap *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (AssayTokenHeatmap *self, GtkAdjustment **slot, GtkAdjustment *adjustment)
{
  if (*slot == adjustment)
    return;
  if (*slot != NULL)
    g_signal_handlers_disconnect_by_func (*slot, adjustment_changed, self);
  g_set_object (slot, adjustment);
  if (adjustment != NULL)
    g_signal_connect (adjustment, "value-changed", G_CALLBACK (adjustment_changed), self);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT: set_adjustment (self, &self->hadjustment, g_value_get_object (value)); break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value));
      configure_vadjustment (self);
      break;
    case PROP_HSCROLL_POLICY: self->hscroll_policy = g_value_get_enum (value); break;
    case PROP_VSCROLL_POLICY: self->vscroll_policy = g_value_get_enum (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT: g_value_set_object (value, self->hadjustment); break;
    case PROP_VADJUSTMENT: g_value_set_object (value, self->vadjustment); break;
    case PROP_HSCROLL_POLICY: g_value_set_enum (value, self->hscroll_policy); break;
    case PROP_VSCROLL_POLICY: g_value_set_enum (value, self->vscroll_policy); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clear_data (AssayTokenHeatmap *self)
{
  g_clear_pointer (&self->layout, assay_token_layout_free);
  g_clear_pointer (&self->logprobs, g_free);
  g_clear_pointer (&self->ref_logprobs, g_free);
  self->n_tokens = 0;
  self->cursor = -1;
  self->wrapped_width = 0;
}

static void
dispose (GObject *object)
{
  AssayTokenHeatmap *self = ASSAY_TOKEN_HEATMAP (object);

  clear_data (self);
  set_adjustment (self, &self->hadjustment, NULL);
  set_adjustment (self, &self->vadjustment, NULL);
  G_OBJECT_CLASS (assay_token_heatmap_parent_class)->dispose (object);
}

static void
measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
         int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 60;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 400;
}

static void
assay_token_heatmap_class_init (AssayTokenHeatmapClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dispose;
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  widget_class->snapshot = snapshot;
  widget_class->size_allocate = size_allocate;
  widget_class->measure = measure;
  widget_class->query_tooltip = query_tooltip;
  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");
  signals[CURSOR_CHANGED] = g_signal_new ("cursor-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                          G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "tokenheatmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
assay_token_heatmap_init (AssayTokenHeatmap *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture         *click = gtk_gesture_click_new ();

  self->cursor = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
assay_token_heatmap_new (void)
{
  return g_object_new (ASSAY_TYPE_TOKEN_HEATMAP, NULL);
}

void
assay_token_heatmap_set_data (AssayTokenHeatmap *self, const AssayTokenData *data,
                              const float *logprobs, const float *ref_logprobs)
{
  g_return_if_fail (ASSAY_IS_TOKEN_HEATMAP (self));

  clear_data (self);
  if (data != NULL)
    {
      int n = MAX (data->n_tokens, 0);
      self->n_tokens = n;
      if (logprobs != NULL && ref_logprobs != NULL)
        {
          self->logprobs = g_memdup2 (logprobs, sizeof (float) * MAX (n, 1));
          self->ref_logprobs = g_memdup2 (ref_logprobs, sizeof (float) * MAX (n, 1));
        }
      self->layout = assay_token_layout_new (data, gtk_widget_get_pango_context (GTK_WIDGET (self)), NULL);
      if (self->range > 0)
        assay_token_layout_set_range (self->layout, self->range);
    }
  if (self->vadjustment != NULL)
    gtk_adjustment_set_value (self->vadjustment, 0.0);
  ensure_wrapped (self);
  configure_vadjustment (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
assay_token_heatmap_set_range (AssayTokenHeatmap *self, double range)
{
  self->range = range > 0 ? range : 0;
  if (self->layout != NULL)
    assay_token_layout_set_range (self->layout, self->range);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
assay_token_heatmap_get_range (AssayTokenHeatmap *self)
{
  return self->layout != NULL ? assay_token_layout_get_range (self->layout) : self->range;
}

void
assay_token_heatmap_scroll_to_step (AssayTokenHeatmap *self, int step)
{
  double x, y, w, h;
  int    token;

  if (self->layout == NULL || self->vadjustment == NULL)
    return;
  ensure_wrapped (self);
  token = assay_token_layout_step_token (self->layout, step);
  if (assay_token_layout_token_rect (self->layout, token, &x, &y, &w, &h))
    gtk_adjustment_set_value (self->vadjustment, y);
}

AssayTokenLayout *
assay_token_heatmap_get_layout (AssayTokenHeatmap *self)
{
  return self->layout;
}
