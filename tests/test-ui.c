/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window under Xvfb: opens a workspace, visits the five pages, and checks each drew. */
#include "assay-test-ui.h"
#include "assay-test-util.h"

static void
visit_pages (AssayWindow *window, gpointer data)
{
  const char *const *names = assay_window_page_names ();
  guint              n = 0;

  g_assert_nonnull (assay_window_get_store (window));
  for (guint i = 0; names[i] != NULL; i++, n++)
    {
      AssayPage       *page = assay_window_get_page (window, names[i]);
      g_autoptr (GdkTexture) shot = NULL;
      g_autofree char *file = g_strdup_printf ("page-%s.png", names[i]);
      guint            colors;

      g_assert_nonnull (page);
      g_assert_true (assay_window_show_page (window, names[i]));
      assay_test_wait (250);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (page)), >, 300);
      g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (page)), >, 300);
      shot = assay_test_render (GTK_WIDGET (page));
      colors = assay_test_count_colors (shot);
      g_test_message ("page %s: %dx%d, %u colours", names[i], gdk_texture_get_width (shot),
                      gdk_texture_get_height (shot), colors);
      /* A blank or one-colour page means nothing was drawn. */
      g_assert_cmpuint (colors, >, 8);
      g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "ui.assay");
      {
        g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
        assay_test_save_screenshot (whole, file);
      }
    }
  g_assert_cmpuint (n, ==, 5);

  /* The whole window too. */
  {
    g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));
    g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
    assay_test_save_screenshot (shot, "window.png");
  }
}

static void
test_visit_pages (void)
{
  g_autofree char *path = assay_test_path ("ui.assay");

  assay_test_run_app (path, visit_pages, NULL);
}

static void
welcome (AssayWindow *window, gpointer data)
{
  g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (window));

  g_assert_null (assay_window_get_store (window));
  g_assert_cmpuint (assay_test_count_colors (shot), >, 8);
  assay_test_save_screenshot (shot, "welcome.png");
}

static void
test_welcome (void)
{
  assay_test_run_app (NULL, welcome, NULL);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/welcome", test_welcome);
  g_test_add_func ("/ui/visit-pages", test_visit_pages);
  return g_test_run ();
}
