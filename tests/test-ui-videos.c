/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Videos page under Xvfb on a real sample video (big_buck_bunny) with LLaVA-Hound rows, and
 * the demo's drawn clips: the list, the filmstrip of the sampled frames, the enlarged frame, a
 * score set as the number keys do and the pair following it; the demo clips show what their
 * captions say (the red ball starts left and ends right). Screenshot. */
#include <glib/gstdio.h>
#include <string.h>

#include "assay-filmstrip.h"
#include "assay-test-ui.h"
#include "assay-test-util.h"
#include "assay-video-demo.h"
#include "assay-video-import.h"
#include "assay-video-pairs.h"
#include "assay-videos-page.h"

static const char hound[] =
  "{\"id\": \"big_buck_bunny\", \"video\": \"big_buck_bunny.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"<video>\\nDescribe the video in detail.\"}, {\"from\": \"gpt\", \"value\": \"A large grey rabbit steps out of a burrow in a green meadow under a bright sky, stretches, and watches a butterfly.\"}]}\n"
  "{\"id\": \"big_buck_bunny\", \"video\": \"big_buck_bunny.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"What animal is the main character?\"}, {\"from\": \"gpt\", \"value\": \"A large grey rabbit.\"}]}\n"
  "{\"id\": \"bbb-1\", \"video\": \"big_buck_bunny\", \"prompt\": \"What animal is the main character?\", \"answer\": \"A large grey rabbit.\", \"chosen\": \"A big grey rabbit.\", \"rejected\": \"A brown dog.\", \"chosen_score\": 5, \"rejected_score\": 1}\n"
  "{\"id\": \"bbb-2\", \"video\": \"big_buck_bunny\", \"prompt\": \"What animal is the main character?\", \"response\": \"A hare, or a rabbit.\", \"score\": 4}\n"
  "{\"id\": \"bbb-3\", \"video\": \"big_buck_bunny\", \"prompt\": \"What is the weather like?\", \"response\": \"Sunny, with a clear sky.\", \"score\": 4}\n"
  "{\"id\": \"bbb-4\", \"video\": \"big_buck_bunny\", \"prompt\": \"What is the weather like?\", \"response\": \"It is snowing heavily.\", \"score\": 1}\n";

typedef struct
{
  gint64 bunny;
  gint64 broken;
  gint64 cat_record;
} Fixture;

static char *
make_workspace (Fixture *fx)
{
  g_autofree char *bunny = g_build_filename (assay_test_shared_data (), "video", "big_buck_bunny.mp4", NULL);
  g_autofree char *rows = assay_test_write_file ("ui-videos.jsonl", hound);
  g_autofree char *dir = assay_test_path ("ui-videos-demo");
  char            *path = assay_test_path ("ui-videos.db");
  g_auto (GStrv) demo = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  AssayVideoImportResult r;
  g_autofree char *broken = assay_test_write_file ("ui-videos-broken.mp4", "not a video at all");
  const char *paths[] = { bunny, rows, broken, NULL };

  g_remove (path);
  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_video_import (store, paths, 10, "sample", &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  assay_video_import_result_clear (&r);
  demo = assay_video_demo_write (dir, &error);
  g_assert_no_error (error);
  g_assert_true (assay_video_import (store, (const char *const *) demo, 10, "demo", &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.videos, ==, 3);
  g_assert_cmpuint (r.failed, ==, 0);
  assay_video_import_result_clear (&r);
  fx->bunny = assay_store_query_int (store, "SELECT id FROM videos WHERE name = 'big_buck_bunny'", 0);
  fx->broken = assay_store_query_int (store, "SELECT id FROM videos WHERE name = 'ui-videos-broken'", 0);
  g_assert_cmpint (fx->broken, >, 0);
  fx->cat_record = assay_store_query_int (store, "SELECT id FROM gen_records WHERE text = 'It is snowing heavily.'", 0);
  return path;
}

/* The demo's red ball: red pixels near the left of the first frame, near the right of the last. */
static void
check_red_ball (AssayStore *store)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT f.image FROM video_frames f JOIN videos v ON v.id = f.video_id "
                                                   "WHERE v.name = 'red-ball' ORDER BY f.position", NULL);
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (g_object_unref);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (GBytes) png = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      g_ptr_array_add (frames, gdk_texture_new_from_bytes (png, NULL));
    }
  sqlite3_reset (stmt);
  g_assert_cmpuint (frames->len, ==, 10);
  for (guint k = 0; k < 2; k++)
    {
      GdkTexture *t = frames->pdata[k == 0 ? 0 : frames->len - 1];
      int         w = gdk_texture_get_width (t), red_x = -1;
      /* the ball's centre row: 2/3 of the height less its radius */
      int         y = 180 * 2 / 3 - 180 / 8;
      for (int x = 0; x < w; x++)
        {
          guint32 p = assay_test_pixel (t, x, y);
          if (((p >> 16) & 0xff) > 180 && ((p >> 8) & 0xff) < 90 && (p & 0xff) < 90)
            {
              red_x = x;
              break;
            }
        }
      g_assert_cmpint (red_x, >=, 0);
      if (k == 0)
        g_assert_cmpint (red_x, <, w / 4);
      else
        g_assert_cmpint (red_x, >, w * 3 / 4);
    }
}

static void
set_search (AssayVideosPage *page, const char *text, guint want)
{
  gtk_editable_set_text (GTK_EDITABLE (assay_videos_page_get_search_entry (page)), text);
  /* the entry waits 150 ms after typing before it searches (at once when cleared) */
  assay_test_wait (300);
  for (int i = 0; i < 100 && assay_videos_page_get_n_videos (page) != want; i++)
    assay_test_wait (30);
  assay_test_wait (100);
  g_test_message ("search \"%s\": %u videos", text, assay_videos_page_get_n_videos (page));
}

/* The search finds videos by name and by what their records say; a search that finds nothing
 * leaves the page (not its empty state); Delete asks, then takes the video, its frames and its
 * records (the broken video's red row could not be removed) */
static void
check_search_and_delete (AssayWindow *window, AssayVideosPage *page, AssayStore *store, Fixture *fx)
{
  gint64 records = assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE source = 'big_buck_bunny'", 0);

  set_search (page, "bunny", 1);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 1);
  set_search (page, "snowing", 1); /* a response's word */
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 1);
  set_search (page, "zzqqxx", 0);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 0);
  g_assert_false (assay_page_get_empty (ASSAY_PAGE (page)));
  g_assert_cmpint (assay_videos_page_get_video (page), ==, 0);
  set_search (page, "", 5);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 5);

  g_assert_cmpint (records, >, 1);
  g_assert_true (assay_videos_page_select_video (page, fx->broken));
  for (int i = 0; i < 200 && assay_videos_page_get_video (page) != fx->broken; i++)
    assay_test_wait (50);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "videos.delete", NULL));
  assay_test_wait (200);
  {
    GListModel       *tops = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;
    for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
      {
        g_autoptr (GObject) w = g_list_model_get_item (tops, i);
        if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
          dialog = ADW_MESSAGE_DIALOG (w);
      }
    g_assert_nonnull (dialog);
    g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "ui-videos-broken"));
    {
      g_autoptr (GdkTexture) shot = assay_test_render (GTK_WIDGET (dialog));
      assay_test_save_screenshot (shot, "videos-delete.png");
    }
    adw_message_dialog_response (dialog, "delete");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  for (int i = 0; i < 100 && assay_videos_page_get_n_videos (page) != 4; i++)
    assay_test_wait (30);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 4);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM videos", 0), ==, 4);
  /* the bunny's records are another video's: they stay */
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE source = 'big_buck_bunny'", 0), ==, records);
  /* the bunny with its frames and its records */
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM video_frames WHERE video_id = %lld", (long long) fx->bunny);
    g_assert_cmpint (assay_store_query_int (store, sql, 0), ==, 10);
  }
  g_assert_true (assay_videos_page_select_video (page, fx->bunny));
  for (int i = 0; i < 200 && assay_videos_page_get_video (page) != fx->bunny; i++)
    assay_test_wait (50);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "videos.delete", NULL));
  assay_test_wait (200);
  {
    GListModel *tops = gtk_window_get_toplevels ();
    for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
      {
        g_autoptr (GObject) w = g_list_model_get_item (tops, i);
        if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
          {
            g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (w)), "10 sampled frames and the "));
            g_autofree char *what = g_strdup_printf ("%lld captions", (long long) records);
            g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (w)), what));
            adw_message_dialog_response (ADW_MESSAGE_DIALOG (w), "delete");
            gtk_window_destroy (GTK_WINDOW (w));
            break;
          }
      }
  }
  for (int i = 0; i < 100 && assay_videos_page_get_n_videos (page) != 3; i++)
    assay_test_wait (30);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 3);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE source = 'big_buck_bunny'", 0), ==, 0);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM video_frames WHERE video_id = %lld", (long long) fx->bunny);
    g_assert_cmpint (assay_store_query_int (store, sql, 0), ==, 0);
  }
  /* another process deletes a video: the list follows within the window's poll (1 s) */
  {
    g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *id = g_strdup_printf ("%lld", (long long) assay_store_query_int (store, "SELECT min(id) FROM videos", 0));
    g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "delete", "-w", assay_store_get_path (store),
                                                          "--id", id, NULL }, &out, &err), ==, 0);
    for (int i = 0; i < 100 && assay_videos_page_get_n_videos (page) != 2; i++)
      assay_test_wait (30);
    g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 2);
  }
  (void) window;
}

static void
check_page (AssayWindow *window, gpointer data)
{
  Fixture         *fx = data;
  AssayVideosPage *page = ASSAY_VIDEOS_PAGE (assay_window_get_page (window, "videos"));
  AssayStore      *store;
  AssayFilmstrip  *strip;
  g_autoptr (GError) error = NULL;

  assay_window_show_page (window, "videos");
  for (int i = 0; i < 200 && assay_videos_page_get_n_videos (page) == 0; i++)
    assay_test_wait (50);
  g_assert_cmpuint (assay_videos_page_get_n_videos (page), ==, 5);
  g_assert_true (assay_videos_page_can_export (page)); /* the sample's rows make pairs */
  store = assay_page_get_store (ASSAY_PAGE (page));
  check_red_ball (store);
  g_assert_true (assay_videos_page_select_video (page, fx->bunny));
  for (int i = 0; i < 200 && assay_videos_page_get_video (page) != fx->bunny; i++)
    assay_test_wait (50);
  g_assert_cmpint (assay_videos_page_get_video (page), ==, fx->bunny);
  assay_test_wait (200);
  strip = ASSAY_FILMSTRIP (assay_videos_page_get_filmstrip (page));
  g_assert_cmpuint (assay_filmstrip_get_n_frames (strip), ==, 10);
  g_assert_cmpint (assay_filmstrip_get_selected (strip), ==, 0);
  assay_filmstrip_set_selected (strip, 4);
  assay_test_wait (100);
  g_assert_nonnull (gtk_picture_get_paintable (GTK_PICTURE (assay_videos_page_get_picture (page))));
  g_assert_nonnull (strstr (assay_videos_page_get_frame_text (page), "Frame"));
  /* a video that could not be read: none of the bunny's frame, strip or "Frame 4 of 555" stays */
  g_assert_true (assay_videos_page_select_video (page, fx->broken));
  for (int i = 0; i < 200 && assay_videos_page_get_video (page) != fx->broken; i++)
    assay_test_wait (50);
  assay_test_wait (100);
  g_assert_null (gtk_picture_get_paintable (GTK_PICTURE (assay_videos_page_get_picture (page))));
  g_assert_cmpuint (assay_filmstrip_get_n_frames (strip), ==, 0);
  g_assert_cmpstr (assay_videos_page_get_frame_text (page), ==, "No frames: the video could not be read");
  g_assert_true (assay_videos_page_select_video (page, fx->bunny));
  for (int i = 0; i < 200 && assay_videos_page_get_video (page) != fx->bunny; i++)
    assay_test_wait (50);
  assay_test_wait (100);
  /* "What is the weather like?" pairs the 4 against the 1; scoring the 1 as a 5 (as the number
   * keys do) leaves that question without a pair */
  {
    g_autoptr (GPtrArray) before = assay_video_pairs_of (store, 0, "big_buck_bunny", 0, &error);
    g_autoptr (GPtrArray) after = NULL;
    g_assert_cmpuint (before->len, ==, 2);
    g_assert_true (assay_videos_page_rate (page, fx->cat_record, 5));
    after = assay_video_pairs_of (store, 0, "big_buck_bunny", 0, &error);
    g_assert_cmpuint (after->len, ==, 1);
    g_assert_true (assay_store_undo (store, NULL, &error));
  }
  assay_test_wait (400);
  {
    g_autoptr (GdkTexture) whole = assay_test_render (GTK_WIDGET (window));
    assay_test_save_screenshot (whole, "videos.png");
  }
  check_search_and_delete (window, page, store, fx);
}

static void
test_page (void)
{
  Fixture          fx = { 0 };
  g_autofree char *bunny = g_build_filename (assay_test_shared_data (), "video", "big_buck_bunny.mp4", NULL);
  g_autofree char *path = NULL;

  if (!g_file_test (bunny, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no sample videos");
      return;
    }
  path = make_workspace (&fx);
  assay_test_run_app (path, check_page, &fx);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/videos/page", test_page);
  return g_test_run ();
}
