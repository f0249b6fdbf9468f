/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: the token heatmap at 10^3, 10^4 and 10^5 tokens (Xvfb, Cairo): the time to take a
 * trace (layout of every token: characters, wrapping), then the work per frame while scrolling
 * it top to bottom a page per frame (every frame new lines) and by small steps, and the drawing
 * of each page into an image by itself (what the widget adds to a frame: under Xvfb a frame of
 * a plain window already costs ~24 ms). Goal: every frame under 16 ms. One JSON line per size. */
#include <math.h>
#include <stdio.h>

#include "assay-test-ui.h"
#include "assay-token-heatmap.h"

static const char *const words[] = { " the", " apples", " =", " 12", " +", " so", " each", " basket",
                                     " holds", " 3", " and", ",", " we", " subtract", " 7", "." };

static int
compare_doubles (const double *a, const double *b)
{
  return (*a > *b) - (*a < *b);
}

static gboolean
take_again (GtkWidget *widget, guint frame, gpointer data)
{
  if (frame > 0)
    return FALSE;
  assay_token_heatmap_set_data (ASSAY_TOKEN_HEATMAP (widget), data, NULL, NULL);
  return TRUE;
}

static void
bench (int n)
{
  GString   *text = g_string_new (NULL);
  g_autofree guint  *offsets = g_new (guint, 2 * n);
  g_autofree double *credit = g_new (double, n);
  g_autoptr (GArray) steps = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *heatmap = assay_token_heatmap_new ();
  AssayTokenData d;
  double     p50, p95, max, p50s, p95s, maxs;
  guint      frames, frames_s;
  gint64     t0;
  double     take_ms, first_frame_ms, draw_p50 = 0, draw_max = 0;
  guint      step_begin = 0;

  for (int i = 0; i < n; i++)
    {
      const char *w = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];
      if (i % 97 == 96)
        w = ".\n\n"; /* a step ends */
      else if (i % 23 == 22)
        w = "\n";
      offsets[2 * i] = (guint) text->len;
      g_string_append (text, w);
      offsets[2 * i + 1] = (guint) text->len;
      credit[i] = g_rand_double_range (rand, -3, 3);
      if (i % 97 == 96 || i == n - 1)
        {
          guint span[2] = { step_begin, (guint) text->len };
          g_array_append_vals (steps, span, 2);
          step_begin = (guint) text->len;
        }
    }
  d = (AssayTokenData) { text->str, n, offsets, credit, 0.0, (int) steps->len / 2,
                         (const guint *) steps->data, 3, 5 };
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 800);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), heatmap);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_present (GTK_WINDOW (window));
  assay_test_wait (300);

  t0 = g_get_monotonic_time ();
  assay_token_heatmap_set_data (ASSAY_TOKEN_HEATMAP (heatmap), &d, NULL, NULL);
  take_ms = (g_get_monotonic_time () - t0) / 1000.0;
  /* the first frame after taking it anew: the data taken inside the frame's update */
  {
    double p, q;
    assay_test_frames (heatmap, take_again, &d, 1, &p, &q, &first_frame_ms);
  }

  /* the heatmap's own drawing, offscreen: every page of the trace into a 1000 x 800 image */
  {
    AssayTokenLayout *layout = assay_token_heatmap_get_layout (ASSAY_TOKEN_HEATMAP (heatmap));
    cairo_surface_t  *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1000, 800);
    g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
    double            height = assay_token_layout_get_height (layout);
    for (double top = 0; top < height; top += 800)
      {
        cairo_t *cr = cairo_create (surface);
        gint64   t = g_get_monotonic_time ();
        double   ms;
        cairo_translate (cr, 0, -top);
        assay_token_layout_draw (layout, cr, top, top + 800);
        cairo_destroy (cr);
        cairo_surface_flush (surface);
        ms = (g_get_monotonic_time () - t) / 1000.0;
        g_array_append_val (times, ms);
      }
    g_array_sort (times, (GCompareFunc) compare_doubles);
    draw_p50 = g_array_index (times, double, times->len / 2);
    draw_max = g_array_index (times, double, times->len - 1);
    cairo_surface_destroy (surface);
  }
  frames = assay_test_scroll_frames (GTK_SCROLLED_WINDOW (scrolled), 0, 400, &p50, &p95, &max);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)), 0);
  assay_test_wait (100);
  frames_s = assay_test_scroll_frames (GTK_SCROLLED_WINDOW (scrolled), 40, 300, &p50s, &p95s, &maxs);
  printf ("{\"tokens\": %d, \"lines\": %d, \"take_ms\": %.1f, \"first_frame_ms\": %.1f, "
          "\"page_jumps\": {\"frames\": %u, \"p50_ms\": %.2f, \"p95_ms\": %.2f, \"max_ms\": %.2f}, "
          "\"small_steps\": {\"frames\": %u, \"p50_ms\": %.2f, \"p95_ms\": %.2f, \"max_ms\": %.2f}, "
          "\"offscreen_page_draw\": {\"p50_ms\": %.2f, \"max_ms\": %.2f}}\n",
          n, assay_token_layout_get_n_lines (assay_token_heatmap_get_layout (ASSAY_TOKEN_HEATMAP (heatmap))),
          take_ms, first_frame_ms, frames, p50, p95, max, frames_s, p50s, p95s, maxs, draw_p50, draw_max);
  fflush (stdout);
  gtk_window_destroy (GTK_WINDOW (window));
  g_string_free (text, TRUE);
}

int
main (int argc, char *argv[])
{
  gtk_init ();
  bench (1000);
  bench (10000);
  bench (100000);
  return 0;
}
