/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-test-ui.h"

#include <math.h>
#include <string.h>

#include "assay-application.h"

typedef struct
{
  GApplication       *app;
  const char         *path;
  AssayTestWindowFunc func;
  gpointer            data;
  gboolean            ran;
} RunData;

void
assay_test_wait (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

static gboolean
run_checks_cb (gpointer user_data)
{
  RunData   *run = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (run->app));

  if (window == NULL || !gtk_widget_get_mapped (GTK_WIDGET (window)))
    return G_SOURCE_CONTINUE;
  assay_test_wait (300);
  run->func (ASSAY_WINDOW (window), run->data);
  run->ran = TRUE;
  g_application_quit (run->app);
  return G_SOURCE_REMOVE;
}

static void
startup_cb (GApplication *app, RunData *run)
{
  g_timeout_add (100, run_checks_cb, run);
}

void
assay_test_run_app (const char *path, AssayTestWindowFunc func, gpointer data)
{
  g_autoptr (AssayApplication) app = assay_application_new ();
  RunData run = { G_APPLICATION (app), path, func, data, FALSE };
  char   *argv[] = { (char *) "assay", (char *) path, NULL };

  g_signal_connect_after (app, "startup", G_CALLBACK (startup_cb), &run);
  g_application_run (G_APPLICATION (app), path != NULL ? 2 : 1, argv);
  g_assert_true (run.ran);
}

GdkTexture *
assay_test_render (GtkWidget *widget)
{
  int            width = gtk_widget_get_width (widget);
  int            height = gtk_widget_get_height (widget);
  GdkPaintable  *paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot   *snapshot;
  GskRenderNode *node = NULL;
  GskRenderer   *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  GdkTexture    *texture;

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  /* a widget waiting for its allocation (a label changed since the last frame) draws nothing
   * until the next frame lays it out */
  for (int i = 0; i < 50 && node == NULL; i++)
    {
      if (i > 0)
        assay_test_wait (20);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gsk_render_node_unref (node);
  g_object_unref (paintable);
  return texture;
}

static guchar *
download (GdkTexture *texture, gsize *stride)
{
  int     w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  guchar *data = g_malloc ((gsize) w * h * 4);

  *stride = (gsize) w * 4;
  gdk_texture_download (texture, data, *stride);
  return data;
}

guint
assay_test_count_colors (GdkTexture *texture)
{
  gsize             stride;
  g_autofree guchar *data = download (texture, &stride);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  int               w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 px = *(guint32 *) (data + y * stride + x * 4);
        g_hash_table_add (seen, GUINT_TO_POINTER (px + 1));
        if (g_hash_table_size (seen) >= 4096)
          return 4096;
      }
  return g_hash_table_size (seen);
}

gboolean
assay_test_has_color (GdkTexture *texture, const GdkRGBA *color, int tolerance)
{
  gsize             stride;
  g_autofree guchar *data = download (texture, &stride);
  int               w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  int               r = (int) lround (color->red * 255), g = (int) lround (color->green * 255),
                    b = (int) lround (color->blue * 255);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 p = *(guint32 *) (data + y * stride + x * 4); /* 0xAARRGGBB */
        if (ABS ((int) ((p >> 16) & 0xff) - r) <= tolerance
            && ABS ((int) ((p >> 8) & 0xff) - g) <= tolerance && ABS ((int) (p & 0xff) - b) <= tolerance)
          return TRUE;
      }
  return FALSE;
}

guint32
assay_test_pixel (GdkTexture *texture, int x, int y)
{
  gsize             stride;
  g_autofree guchar *data = download (texture, &stride);
  const guchar     *p = data + y * stride + x * 4; /* cairo ARGB32 premultiplied, native endian */

  return *(const guint32 *) p;
}

void
assay_test_save_screenshot (GdkTexture *texture, const char *name)
{
  const char *dir = g_getenv ("ASSAY_SCREENSHOT_DIR");
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

typedef struct
{
  AssayTestFrameFunc func;
  gpointer           data;
  guint              max_frames;
  GArray            *work; /* double, ms */
  gint64             frame_start;
  guint              ticks;
  gboolean           done;
} FrameRun;

static void
layout_cb (GdkFrameClock *clock, FrameRun *run)
{
  run->frame_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, FrameRun *run)
{
  double ms;

  if (run->frame_start == 0 || run->done)
    return;
  ms = (g_get_monotonic_time () - run->frame_start) / 1000.0;
  g_array_append_val (run->work, ms);
  run->frame_start = 0;
}

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  FrameRun *run = data;

  /* counted in ticks, not painted frames: a step that changes nothing paints nothing */
  if (run->ticks >= run->max_frames || !run->func (widget, run->ticks++, run->data))
    {
      run->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

guint
assay_test_frames (GtkWidget *widget, AssayTestFrameFunc func, gpointer data, guint max_frames,
                   double *p50, double *p95, double *max)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  FrameRun       run = { func, data, max_frames, g_array_new (FALSE, FALSE, sizeof (double)), 0,
                         0, FALSE };
  gulong         h1, h2;
  guint          n;

  g_assert_nonnull (clock);
  h1 = g_signal_connect (clock, "update", G_CALLBACK (layout_cb), &run);
  h2 = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &run);
  gtk_widget_add_tick_callback (widget, tick_cb, &run, NULL);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  assay_test_wait (50);
  g_signal_handler_disconnect (clock, h1);
  g_signal_handler_disconnect (clock, h2);
  n = run.work->len;
  g_array_sort (run.work, cmp_double);
  *p50 = n > 0 ? g_array_index (run.work, double, n / 2) : 0;
  *p95 = n > 0 ? g_array_index (run.work, double, MIN (n - 1, (guint) (n * 0.95))) : 0;
  *max = n > 0 ? g_array_index (run.work, double, n - 1) : 0;
  g_array_unref (run.work);
  return n;
}

typedef struct
{
  GtkAdjustment *adjustment;
  double         step;
} ScrollStep;

static gboolean
scroll_step (GtkWidget *widget, guint frame, gpointer data)
{
  ScrollStep *s = data;
  double      value = gtk_adjustment_get_value (s->adjustment);
  double      upper = gtk_adjustment_get_upper (s->adjustment)
                 - gtk_adjustment_get_page_size (s->adjustment);
  double      step = s->step > 0 ? s->step : gtk_adjustment_get_page_size (s->adjustment);

  if (value >= upper - 0.5)
    return FALSE;
  gtk_adjustment_set_value (s->adjustment, MIN (value + step, upper));
  return TRUE;
}

guint
assay_test_scroll_frames (GtkScrolledWindow *scrolled, double step, guint max_frames, double *p50,
                          double *p95, double *max)
{
  ScrollStep s = { gtk_scrolled_window_get_vadjustment (scrolled), step };

  gtk_adjustment_set_value (s.adjustment, 0);
  assay_test_wait (100);
  return assay_test_frames (GTK_WIDGET (scrolled), scroll_step, &s, max_frames, p50, p95, max);
}

gboolean
assay_test_find_label (GtkWidget *widget, const char *part)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
      && strstr (gtk_label_get_text (GTK_LABEL (widget)), part) != NULL)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (assay_test_find_label (c, part))
      return TRUE;
  return FALSE;
}
