/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Videos: sample indices as numpy.round(linspace), probing against ffprobe's counts and
 * torchcodec's per-frame timestamps, decoded frames against `ffmpeg -vf select` (PSNR >= 40 dB),
 * and bad files. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-test-util.h"
#include "assay-video.h"

static void
check_indices (gint64 n, int count, const gint64 *want, guint n_want)
{
  g_autoptr (GArray) got = assay_video_sample_indices (n, count);

  g_assert_cmpuint (got->len, ==, n_want);
  for (guint i = 0; i < n_want; i++)
    g_assert_cmpint (g_array_index (got, gint64, i), ==, want[i]);
}

static void
test_indices (void)
{
  /* numpy: np.round(np.linspace(0, 554, 10)) */
  const gint64 bunny[] = { 0, 62, 123, 185, 246, 308, 369, 431, 492, 554 };
  /* np.round(np.linspace(0, 2, 5)) = [0, 0, 1, 2, 2]: halves to even; each frame once */
  const gint64 tiny[] = { 0, 1, 2 };
  const gint64 one[] = { 0 };

  check_indices (555, 10, bunny, G_N_ELEMENTS (bunny));
  check_indices (3, 5, tiny, G_N_ELEMENTS (tiny));
  check_indices (1, 10, one, 1);
  check_indices (7, 1, one, 1);
  check_indices (0, 10, NULL, 0);
}

static char *
video_path (const char *name)
{
  const char *data = assay_test_shared_data ();
  return data ? g_build_filename (data, "video", name, NULL) : NULL;
}

/* Frame timestamps of the video stream against torchcodec's oracle files. */
static void
test_probe_oracle (void)
{
  const struct { int stream; guint frames; } cases[] = { { 0, 325 }, { 3, 390 } };
  g_autofree char *path = video_path ("nasa_13013.mp4");

  if (path == NULL)
    return;
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *oracle_path = g_strdup_printf ("%s.stream%d.all_frames_info.json", path, cases[c].stream);
      g_autofree char *text = NULL;
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (AssayVideoInfo) info = NULL;
      g_autoptr (GError) error = NULL;
      JsonArray *oracle;

      info = assay_video_probe (path, cases[c].stream, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info->frames, ==, cases[c].frames);
      g_assert_cmpstr (info->codec, ==, "h264");
      g_assert_true (json_parser_load_from_file (parser, oracle_path, NULL));
      oracle = json_node_get_array (json_parser_get_root (parser));
      g_assert_cmpuint (json_array_get_length (oracle), ==, info->frames);
      for (guint i = 0; i < info->frames; i++)
        {
          JsonObject *f = json_array_get_object_element (oracle, i);
          double want = g_ascii_strtod (json_object_get_string_member (f, "pts_time"), NULL);
          double got = (double) g_array_index (info->pts, gint64, i) * info->tb_num / info->tb_den;
          g_assert_cmpfloat_with_epsilon (got, want, 1e-5);
        }
    }
  {
    /* the video stream's duration, not the container's 16.57 s */
    g_autoptr (AssayVideoInfo) best = assay_video_probe (path, -1, NULL);
    g_assert_nonnull (best);
    g_assert_cmpfloat_with_epsilon (best->duration, 13.013, 1e-3);
    g_assert_cmpint (best->width, ==, 480);
  }
}

static double
psnr (const guint8 *a, int stride_a, const guint8 *b, int stride_b, int w, int h)
{
  double se = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * 4; x++)
      if (x % 4 != 3)
        {
          double d = (double) a[(gsize) y * stride_a + x] - b[(gsize) y * stride_b + x];
          se += d * d;
        }
  se /= (double) w * h * 3;
  return se == 0 ? INFINITY : 10 * log10 (255.0 * 255.0 / se);
}

/* Our frames at the sampled indices against what `ffmpeg -vf select='eq(n\,IDX)'` decodes. */
static void
check_against_ffmpeg (const char *name)
{
  g_autofree char *path = video_path (name);
  g_autofree char *ffmpeg = g_find_program_in_path ("ffmpeg");
  g_autoptr (AssayVideoInfo) info = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autoptr (GArray) indices = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) select = g_string_new ("select='");
  g_autofree char *map = NULL, *out = NULL, *err = NULL;
  gsize frame_bytes;
  int status;

  if (path == NULL)
    return;
  if (ffmpeg == NULL)
    {
      g_test_skip ("ffmpeg is not installed");
      return;
    }
  info = assay_video_probe (path, -1, &error);
  g_assert_no_error (error);
  indices = assay_video_sample_indices (info->frames, 10);
  frames = assay_video_decode_frames (info, (gint64 *) indices->data, (int) indices->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (frames->len, ==, indices->len);
  for (guint i = 0; i < indices->len; i++)
    g_string_append_printf (select, "%seq(n\\,%" G_GINT64_FORMAT ")", i ? "+" : "", g_array_index (indices, gint64, i));
  g_string_append (select, "'");
  map = g_strdup_printf ("0:%d", info->stream);
  {
    const char *argv[] = { ffmpeg, "-v", "error", "-i", path, "-map", map, "-vf", select->str,
                           "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgba", "-", NULL };
    GError *spawn_error = NULL;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &spawn_error));
    g_assert_no_error (spawn_error);
  }
  frame_bytes = (gsize) info->width * info->height * 4;
  g_assert_cmpint (status, ==, 0);
  /* g_spawn_sync gives a NUL-terminated copy; the raw frames are the first bytes */
  for (guint i = 0; i < frames->len; i++)
    {
      AssayVideoFrame *f = frames->pdata[i];
      double p = psnr (f->rgba, f->stride, (const guint8 *) out + i * frame_bytes, info->width * 4, f->width, f->height);
      g_test_message ("%s frame %" G_GINT64_FORMAT ": PSNR %.1f dB", name, f->index, p);
      g_assert_cmpint (f->index, ==, g_array_index (indices, gint64, i));
      g_assert_cmpfloat (p, >=, 40.0);
    }
}

static void test_frames_bunny (void) { check_against_ffmpeg ("big_buck_bunny.mp4"); }
static void test_frames_nasa (void) { check_against_ffmpeg ("nasa_13013.mp4"); }

static void
test_bad_files (void)
{
  g_autofree char *garbage = assay_test_write_file ("garbage.mp4", "this is not a video at all, just some text");
  g_autofree char *empty = assay_test_write_file ("empty.mp4", "");
  g_autofree char *nasa = video_path ("nasa_13013.mp4");
  g_autoptr (GError) error = NULL;

  g_assert_null (assay_video_probe (garbage, -1, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, garbage));
  g_clear_error (&error);
  g_assert_null (assay_video_probe (empty, -1, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (assay_video_probe ("/nonexistent/v.mp4", -1, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  if (nasa == NULL)
    return;
  /* an audio stream is not a video */
  g_assert_null (assay_video_probe (nasa, 1, &error));
  g_assert_nonnull (strstr (error->message, "no video stream"));
  g_clear_error (&error);
  /* truncated copies: an error naming the file, or fewer frames that all decode; never a crash */
  for (int v = 0; v < 2; v++)
  {
    g_autofree char *data = NULL;
    g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
    gsize len;
    g_assert_true (g_file_get_contents (v == 0 ? nasa : bunny, &data, &len, NULL));
    for (int pct = 5; pct < 100; pct += 15)
      {
        g_autofree char *name = g_strdup_printf ("truncated-%d-%d.mp4", v, pct);
        g_autofree char *path = assay_test_path (name);
        g_autoptr (AssayVideoInfo) info = NULL;
        g_assert_true (g_file_set_contents (path, data, (gssize) (len * pct / 100), NULL));
        info = assay_video_probe (path, -1, &error);
        if (info == NULL)
          {
            g_assert_true (g_str_has_prefix (error->message, path));
            g_clear_error (&error);
            continue;
          }
        {
          g_autoptr (GArray) idx = assay_video_sample_indices (info->frames, 10);
          g_autoptr (GPtrArray) frames = assay_video_decode_frames (info, (gint64 *) idx->data, (int) idx->len, NULL, &error);
          g_test_message ("%d%%: %" G_GINT64_FORMAT " frames, %s", pct, info->frames,
                          frames ? "all sampled frames decoded" : error->message);
          if (frames == NULL)
            {
              g_assert_true (g_str_has_prefix (error->message, path));
              g_clear_error (&error);
            }
        }
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video/indices", test_indices);
  g_test_add_func ("/video/probe-oracle", test_probe_oracle);
  g_test_add_func ("/video/frames-bunny", test_frames_bunny);
  g_test_add_func ("/video/frames-nasa", test_frames_nasa);
  g_test_add_func ("/video/bad-files", test_bad_files);
  return g_test_run ();
}
