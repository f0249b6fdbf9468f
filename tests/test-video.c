/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Videos: sample indices as numpy.round(linspace), probing against ffprobe's counts and
 * torchcodec's per-frame timestamps, decoded frames against `ffmpeg -vf select` (PSNR >= 40 dB),
 * bad files; the import of videos with LLaVA-Hound rows, the pairs rule (DESIGN.md §6.4) with
 * seeds, ratings and the reviewer's own pick, the TRL export and the command line. */
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-test-util.h"
#include "assay-gen-generate.h"
#include "assay-gen-prompts.h"
#include "assay-lm-model.h"
#include "assay-test-lm.h"
#include "assay-gen-record.h"
#include "assay-video-import.h"
#include "assay-video-pairs.h"
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
check_file_against_ffmpeg (const char *path, const char *name)
{
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

static void
check_against_ffmpeg (const char *name)
{
  g_autofree char *path = video_path (name);

  check_file_against_ffmpeg (path, name);
}

/* MPEG transport and program streams: their time-based seeking lands past the last key frames,
 * and every frame after the last key frame failed ("could not be decoded"; half of a 4 s TS).
 * Clips made here with ffmpeg; ten frames sampled against ffmpeg's own decode. */
static void
test_frames_mpeg_streams (void)
{
  g_autofree char *ffmpeg = g_find_program_in_path ("ffmpeg");
  const char *const clips[][3] = { { "clip.ts", "libx264", "mpegts" }, { "clip.mpg", "mpeg2video", "mpeg" },
                                   { "clip-long-gop.ts", "mpeg2video", "mpegts" } };

  if (ffmpeg == NULL)
    {
      g_test_skip ("ffmpeg is not installed");
      return;
    }
  for (guint c = 0; c < G_N_ELEMENTS (clips); c++)
    {
      g_autofree char *path = assay_test_path (clips[c][0]);
      g_autofree char *out = NULL, *err = NULL;
      const char *argv[] = { ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                             "-t", "4", "-c:v", clips[c][1], "-g", c == 2 ? "60" : "50", "-f", clips[c][2], path, NULL };
      g_assert_cmpint (assay_test_spawn (argv, &out, &err), ==, 0);
      check_file_against_ffmpeg (path, clips[c][0]);
      /* and every frame alone (each a seek of its own) */
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (AssayVideoInfo) info = assay_video_probe (path, -1, &error);
        g_assert_no_error (error);
        g_assert_cmpint (info->frames, ==, 100);
        for (gint64 i = 0; i < info->frames; i++)
          {
            g_autoptr (GPtrArray) one = assay_video_decode_frames (info, &i, 1, NULL, &error);
            g_assert_no_error (error);
            g_assert_cmpuint (one->len, ==, 1);
          }
      }
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


static const char hound[] =
  "{\"id\": \"big_buck_bunny\", \"video\": \"big_buck_bunny.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"<video>\\nDescribe the video in detail.\"}, {\"from\": \"gpt\", \"value\": \"A large rabbit wakes in a meadow.\"}]}\n"
  "{\"id\": \"big_buck_bunny\", \"video\": \"big_buck_bunny.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"What animal is shown?\"}, {\"from\": \"gpt\", \"value\": \"A large grey rabbit.\"}, {\"from\": \"human\", \"value\": \"Is it day?\"}, {\"from\": \"gpt\", \"value\": \"Yes.\"}]}\n"
  "{\"id\": \"p1\", \"video\": \"big_buck_bunny\", \"prompt\": \"What animal is shown?\", \"answer\": \"A rabbit.\", \"chosen\": \"A big grey rabbit.\", \"rejected\": \"A brown dog.\", \"chosen_score\": 5, \"rejected_score\": 1}\n"
  "{\"id\": \"p2\", \"video\": \"big_buck_bunny\", \"prompt\": \"What animal is shown?\", \"answer\": \"A rabbit.\", \"chosen\": \"A big grey rabbit.\", \"rejected\": \"A cat.\", \"chosen_score\": 5, \"rejected_score\": 2}\n"
  "{\"id\": \"r1\", \"video\": \"big_buck_bunny\", \"prompt\": \"What animal is shown?\", \"response\": \"A hare.\", \"score\": 4}\n"
  "{\"id\": \"r2\", \"video\": \"nasa_13013\", \"prompt\": \"What is shown?\", \"response\": \"Earth from space.\", \"score\": 4}\n"
  "{\"id\": \"r3\", \"video\": \"nasa_13013\", \"prompt\": \"What is shown?\", \"response\": \"A planet.\", \"score\": \"3\"}\n"
  "{\"id\": \"r4\", \"video\": \"nasa_13013\", \"prompt\": \"Any text?\", \"response\": \"No.\", \"score\": 1}\n"
  "{\"id\": \"r5\", \"video\": \"nasa_13013\", \"prompt\": \"Any text?\", \"response\": \"None.\", \"score\": 2}\n";

static AssayStore *
import_fixture (const char *name, AssayVideoImportResult *r)
{
  g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
  g_autofree char *nasa = video_path ("nasa_13013.mp4");
  g_autofree char *rows = assay_test_write_file ("hound.jsonl", hound);
  g_autofree char *garbage = assay_test_write_file ("not-a-video.mp4", "no video here");
  const char      *paths[] = { bunny, nasa, garbage, rows, NULL };
  AssayStore      *store = assay_test_fresh_store (name);
  g_autoptr (GError) error = NULL;

  g_assert_true (assay_video_import (store, paths, 10, NULL, r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return store;
}

static void
test_import (void)
{
  g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayVideoInfo) info = NULL;
  g_autoptr (GArray) want = NULL;
  g_autoptr (GError) error = NULL;
  AssayVideoImportResult r;
  sqlite3_stmt *stmt;
  int i = 0;

  if (bunny == NULL || !g_file_test (bunny, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no sample videos");
      return;
    }
  store = import_fixture ("video-import.db", &r);
  /* two videos sampled, the garbage kept with its error, the others went on */
  g_assert_cmpuint (r.videos, ==, 2);
  g_assert_cmpuint (r.failed, ==, 1);
  g_assert_cmpuint (r.errors->len, ==, 1);
  g_assert_nonnull (strstr (r.errors->pdata[0], "not-a-video.mp4"));
  g_assert_cmpuint (r.frames, ==, 20);
  /* a caption, two QA turns, responses: the chosen text of p2 repeats p1's and is kept once */
  g_assert_cmpuint (r.records, ==, 1 + 2 + 3 + 1 + 4);
  g_assert_cmpuint (r.unmatched, ==, 0);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'caption'", 0), ==, 1);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE kind = 'qa'", 0), ==, 2);
  assay_video_import_result_clear (&r);

  /* the stored frames are the sampled indices, PNG full size and 160 px thumbnails */
  info = assay_video_probe (bunny, -1, &error);
  g_assert_no_error (error);
  want = assay_video_sample_indices (info->frames, 10);
  stmt = assay_store_prepare (store, "SELECT f.frame, f.width, f.image, f.thumb FROM video_frames f JOIN videos v "
                                     "ON v.id = f.video_id WHERE v.name = 'big_buck_bunny' ORDER BY position", &error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const guint8 *png = sqlite3_column_blob (stmt, 2), *thumb = sqlite3_column_blob (stmt, 3);
      g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, g_array_index (want, gint64, i));
      g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, info->width);
      g_assert_cmpint (memcmp (png, "\x89PNG", 4), ==, 0);
      g_assert_cmpint (memcmp (thumb, "\x89PNG", 4), ==, 0);
      /* PNG width: bytes 16..19 of the IHDR chunk, big-endian */
      g_assert_cmpint ((thumb[16] << 24) | (thumb[17] << 16) | (thumb[18] << 8) | thumb[19], ==, 160);
      i++;
    }
  sqlite3_reset (stmt);
  g_assert_cmpint (i, ==, 10);
}

static AssayVideoPair *
find_pair (GPtrArray *pairs, const char *question)
{
  for (guint i = 0; i < pairs->len; i++)
    if (g_str_equal (((AssayVideoPair *) pairs->pdata[i])->question, question))
      return pairs->pdata[i];
  return NULL;
}

static void
test_pairs (void)
{
  g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pairs = NULL;
  AssayVideoImportResult r;
  AssayVideoPair *p;
  gboolean differs = FALSE;
  gint64   first_chosen;

  if (bunny == NULL || !g_file_test (bunny, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no sample videos");
      return;
    }
  store = import_fixture ("video-pairs.db", &r);
  assay_video_import_result_clear (&r);
  pairs = assay_video_pairs (store, 0, 0, &error);
  g_assert_no_error (error);
  /* "What is shown?" scores 4 and 3 (all >= 3) and "Any text?" 1 and 2 (all < 3): no pairs */
  g_assert_cmpuint (pairs->len, ==, 1);
  p = find_pair (pairs, "What animal is shown?");
  g_assert_nonnull (p);
  g_assert_cmpfloat (p->chosen_score, >=, 3);
  g_assert_cmpfloat (p->rejected_score, <, 3);
  g_assert_false (p->manual);
  g_assert_nonnull (strstr (p->path, "big_buck_bunny.mp4"));
  first_chosen = p->chosen;
  /* seeded: the same seed gives the same pair; among the seeds, the draws differ */
  for (guint64 seed = 0; seed < 16; seed++)
    {
      g_autoptr (GPtrArray) a = assay_video_pairs (store, 0, seed, &error);
      g_autoptr (GPtrArray) b = assay_video_pairs (store, 0, seed, &error);
      AssayVideoPair *pa = a->pdata[0], *pb = b->pdata[0];
      g_assert_cmpint (pa->chosen, ==, pb->chosen);
      g_assert_cmpint (pa->rejected, ==, pb->rejected);
      differs |= pa->chosen != first_chosen || pa->rejected != p->rejected;
    }
  g_assert_true (differs);
  /* the reviewer's rating wins over the model's score: "Any text?" gets a 4, so it pairs */
  {
    gint64 none = assay_store_query_int (store, "SELECT id FROM gen_records WHERE text = 'None.'", 0);
    g_autoptr (GPtrArray) after = NULL;
    AssayVideoPair *q;
    g_assert_true (assay_gen_set_rating (store, none, 4, &error));
    after = assay_video_pairs (store, 0, 0, &error);
    q = find_pair (after, "Any text?");
    g_assert_nonnull (q);
    g_assert_cmpint (q->chosen, ==, none);
    g_assert_cmpfloat (q->chosen_score, ==, 4);
    g_assert_cmpfloat (q->rejected_score, ==, 1);
  }
  /* a judge: its prompt reads the video's caption, the question and the reference answer; its
   * rating of a response comes before the imported score ("What is shown?" had 4 and 3) */
  {
    gint64 resp = assay_store_query_int (store, "SELECT id FROM gen_records WHERE kind = 'response' AND "
                                                "prompt = 'What is shown?' ORDER BY id LIMIT 1", 0);
    gint64 bunny_resp = assay_store_query_int (store, "SELECT id FROM gen_records WHERE kind = 'response' AND "
                                                      "prompt = 'What animal is shown?' AND answer IS NOT NULL "
                                                      "ORDER BY id LIMIT 1", 0);
    g_autoptr (AssayGenRecord) rec = assay_gen_record_load (store, bunny_resp, &error);
    g_autofree char *body = assay_gen_template_get (store, "judge-video", &error);
    g_autofree char *prompt = assay_gen_render (store, body, rec);
    g_autofree char *caption = NULL;
    g_autofree char *answers = g_strdup_printf ("{\"id\": \"%lld:judge-video\", \"output\": "
                                                "\"Explanation: wrong animal.\\nScore: 1\"}\n", (long long) resp);
    g_autofree char *path = assay_test_write_file ("video-judge.jsonl", answers);
    g_autoptr (GPtrArray) judged = NULL;
    sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT text FROM gen_records WHERE kind = 'caption' "
                                                     "AND source = ?", &error);
    AssayVideoPair *q;
    guint read = 0, rated = 0;
    gint64 made = 0;

    sqlite3_bind_text (stmt, 1, rec->source, -1, SQLITE_TRANSIENT);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    caption = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
    g_assert_nonnull (strstr (prompt, caption));
    g_assert_nonnull (strstr (prompt, "**Question Related to the Caption**: What animal is shown?"));
    g_assert_nonnull (strstr (prompt, "**Model Predicted Answer**: A big grey rabbit."));
    g_assert_nonnull (strstr (prompt, "**Ground Truth Answer**: A rabbit."));
    g_assert_true (assay_gen_import_answers (store, path, &read, &rated, &made, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (rated, ==, 1);
    judged = assay_video_pairs (store, 0, 0, &error);
    q = find_pair (judged, "What is shown?");
    g_assert_nonnull (q);
    g_assert_cmpint (q->rejected, ==, resp);
    g_assert_cmpfloat (q->rejected_score, ==, 1);
  }
  /* the reviewer's own pair, then undone */
  {
    gint64 hare = assay_store_query_int (store, "SELECT id FROM gen_records WHERE text = 'A hare.'", 0);
    gint64 cat = assay_store_query_int (store, "SELECT id FROM gen_records WHERE text = 'A cat.'", 0);
    g_autoptr (GPtrArray) manual = NULL, undone = NULL;
    g_assert_true (assay_video_choose (store, "big_buck_bunny", "What animal is shown?", hare, cat, &error));
    g_assert_no_error (error);
    manual = assay_video_pairs (store, 0, 0, &error);
    p = find_pair (manual, "What animal is shown?");
    g_assert_true (p->manual);
    g_assert_cmpint (p->chosen, ==, hare);
    g_assert_cmpint (p->rejected, ==, cat);
    g_assert_true (assay_store_undo (store, NULL, &error));
    undone = assay_video_pairs (store, 0, 0, &error);
    p = find_pair (undone, "What animal is shown?");
    g_assert_false (p->manual);
    g_assert_cmpint (p->chosen, ==, first_chosen);
  }
  /* the TRL export with the video path and the frames */
  {
    g_autofree char *out = assay_test_path ("video-pairs.jsonl");
    g_autofree char *contents = NULL;
    g_autoptr (JsonObject) o = NULL;
    guint n = 0;
    JsonArray *frames;
    g_autofree char *victim = assay_test_write_file ("video-victim", "precious");
    g_autofree char *part = g_strconcat (out, ".part", NULL);
    g_autofree char *kept = NULL;

    /* a link planted at the old temporary name is never written through */
    g_assert_cmpint (symlink (victim, part), ==, 0);
    g_assert_true (assay_video_pairs_export (store, 0, 0, out, TRUE, &n, &error));
    g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "precious");
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 3);
    g_assert_true (g_file_get_contents (out, &contents, NULL, NULL));
    *strchr (contents, '\n') = '\0';
    o = assay_json_object_from_string (contents, &error);
    g_assert_no_error (error);
    for (const char *const *k = (const char *[]) { "prompt", "chosen", "rejected", "video", "chosen_score", "rejected_score", NULL }; *k; k++)
      g_assert_true (json_object_has_member (o, *k));
    frames = json_object_get_array_member (o, "frames");
    g_assert_cmpuint (json_array_get_length (frames), ==, 10);
    g_assert_true (g_file_test (json_array_get_string_element (frames, 9), G_FILE_TEST_EXISTS));
  }
}

static void
test_import_bad_rows (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("video-bad.db");
  g_autofree char *bad = assay_test_write_file ("hound-bad.jsonl",
    "{\"id\": \"a\", \"video\": \"a.mp4\", \"caption\": \"fine\"}\n{\"id\": \"b\", \"video\": \"b.mp4\"}\n");
  g_autofree char *broken = assay_test_write_file ("hound-broken.jsonl", "{\"id\": \"a\", \"caption\": \"x\"}\n{\"id\": \n");
  const char *p1[] = { bad, NULL }, *p2[] = { broken, NULL }, *p3[] = { "/nonexistent/videos", NULL };
  g_autoptr (GError) error = NULL;
  AssayVideoImportResult r;

  g_assert_false (assay_video_import (store, p1, 10, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "hound-bad.jsonl:2"));
  assay_video_import_result_clear (&r);
  g_clear_error (&error);
  g_assert_false (assay_video_import (store, p2, 10, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "hound-broken.jsonl:2"));
  assay_video_import_result_clear (&r);
  g_clear_error (&error);
  g_assert_false (assay_video_import (store, p3, 10, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/videos"));
  assay_video_import_result_clear (&r);
  /* nothing half-imported */
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM datasets", -1), ==, 0);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records", -1), ==, 0);
}

static void
test_cli_import (void)
{
  g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *ws = assay_test_path ("video-cli.db");
  g_autofree char *rows = assay_test_write_file ("hound-cli.jsonl", hound);
  g_autofree char *out = assay_test_path ("video-cli-pairs.jsonl");
  g_autofree char *stdout_ = NULL, *stderr_ = NULL;
  g_autoptr (JsonObject) o = NULL;

  if (bunny == NULL || !g_file_test (bunny, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no sample videos");
      return;
    }
  g_remove (ws);
  g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "import", "-w", ws, bunny, rows, "--json", NULL },
                                     &stdout_, &stderr_), ==, 0);
  o = assay_json_object_from_string (stdout_, NULL);
  g_assert_nonnull (o);
  g_assert_cmpint (json_object_get_int_member (o, "videos"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "frames"), ==, 10);
  g_clear_pointer (&stdout_, g_free);
  g_clear_pointer (&stderr_, g_free);
  g_clear_pointer (&o, json_object_unref);
  g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "pairs", "-w", ws, "--seed", "3", out, "--json", NULL },
                                     &stdout_, &stderr_), ==, 0);
  o = assay_json_object_from_string (stdout_, NULL);
  g_assert_cmpint (json_object_get_int_member (o, "pairs"), ==, 1);
  g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
  /* video list and video delete: the video, its frames and its records go; a second delete
   * says there is no such video */
  {
    gint64     id, records;
    JsonArray *videos;
    g_clear_pointer (&stdout_, g_free);
    g_clear_pointer (&stderr_, g_free);
    g_clear_pointer (&o, json_object_unref);
    g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "list", "-w", ws, "--json", NULL },
                                       &stdout_, &stderr_), ==, 0);
    o = assay_json_object_from_string (stdout_, NULL);
    videos = json_object_get_array_member (o, "videos");
    g_assert_cmpuint (json_array_get_length (videos), ==, 1);
    id = json_object_get_int_member (json_array_get_object_element (videos, 0), "id");
    records = json_object_get_int_member (json_array_get_object_element (videos, 0), "records");
    g_assert_cmpint (records, >, 0);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (videos, 0), "frames"), >, 0);
    {
      g_autofree char *ids = g_strdup_printf ("%lld", (long long) id);
      g_clear_pointer (&stdout_, g_free);
      g_clear_pointer (&stderr_, g_free);
      g_clear_pointer (&o, json_object_unref);
      g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "delete", "-w", ws, "--id", ids, "--json", NULL },
                                         &stdout_, &stderr_), ==, 0);
      o = assay_json_object_from_string (stdout_, NULL);
      g_assert_cmpint (json_object_get_int_member (o, "records"), ==, records);
      g_clear_pointer (&stdout_, g_free);
      g_clear_pointer (&stderr_, g_free);
      g_assert_cmpint (assay_test_spawn ((const char *[]) { cli, "video", "delete", "-w", ws, "--id", ids, NULL },
                                         &stdout_, &stderr_), ==, 1);
      g_assert_nonnull (strstr (stderr_, "no video"));
    }
    {
      g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM videos", 0), ==, 0);
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM video_frames", 0), ==, 0);
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE source = 'big_buck_bunny'", 0), ==, 0);
      /* the rows about a video not in the workspace stay */
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE source = 'nasa_13013'", 0), ==, 4);
    }
  }
}

/* Decodes a PNG with FFmpeg's decoder (CRCs checked) into RGBA rows of width * 4 bytes */
static guint8 *
decode_png_with_ffmpeg (GBytes *png, int *width, int *height)
{
  const AVCodec  *codec = avcodec_find_decoder (AV_CODEC_ID_PNG);
  AVCodecContext *dec = avcodec_alloc_context3 (codec);
  AVPacket       *pkt = av_packet_alloc ();
  AVFrame        *frame = av_frame_alloc ();
  gsize           len;
  const guint8   *data = g_bytes_get_data (png, &len);
  guint8         *rgba = NULL;

  dec->err_recognition = AV_EF_CRCCHECK | AV_EF_EXPLODE;
  g_assert_cmpint (avcodec_open2 (dec, codec, NULL), >=, 0);
  pkt->data = (guint8 *) data;
  pkt->size = (int) len;
  g_assert_cmpint (avcodec_send_packet (dec, pkt), >=, 0);
  g_assert_cmpint (avcodec_receive_frame (dec, frame), >=, 0);
  *width = frame->width;
  *height = frame->height;
  rgba = g_malloc ((gsize) frame->width * frame->height * 4);
  for (int y = 0; y < frame->height; y++)
    for (int x = 0; x < frame->width; x++)
      {
        const guint8 *p = frame->data[0] + (gsize) y * frame->linesize[0];
        guint8       *q = rgba + ((gsize) y * frame->width + x) * 4;
        if (frame->format == AV_PIX_FMT_RGB24)
          {
            memcpy (q, p + 3 * x, 3);
            q[3] = 255;
          }
        else
          {
            g_assert_cmpint (frame->format, ==, AV_PIX_FMT_RGBA);
            memcpy (q, p + 4 * x, 4);
          }
      }
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&dec);
  return rgba;
}

/* Our PNG writer (libdeflate, Sub filter, RGB when opaque) read back by FFmpeg's decoder with
 * CRC checks: the same pixels, at odd sizes, opaque or not. */
static void
test_png_roundtrip (void)
{
  static const int sizes[][2] = { { 1, 1 }, { 427, 241 }, { 64, 3 }, { 3, 200 } };
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int opaque = 0; opaque < 2; opaque++)
      {
        AssayVideoFrame f = { 0 };
        g_autoptr (GError) error = NULL;
        g_autoptr (GBytes) png = NULL;
        g_autofree guint8 *back = NULL;
        int w = 0, h = 0;

        f.width = sizes[s][0];
        f.height = sizes[s][1];
        f.stride = ((f.width * 4 + 63) / 64) * 64;
        f.rgba = g_malloc0 ((gsize) f.stride * f.height);
        for (int y = 0; y < f.height; y++)
          for (int x = 0; x < f.width * 4; x++)
            /* smooth stretches and noise, so both filtering and compression are exercised */
            f.rgba[(gsize) y * f.stride + x] = (x % 4 == 3 && opaque) ? 255
                                               : (guint8) (g_rand_int_range (rand, 0, 4) == 0 ? g_rand_int (rand) : (guint32) (x + y));
        png = assay_video_frame_encode_png (&f, &error);
        g_assert_no_error (error);
        back = decode_png_with_ffmpeg (png, &w, &h);
        g_assert_cmpint (w, ==, f.width);
        g_assert_cmpint (h, ==, f.height);
        for (int y = 0; y < h; y++)
          g_assert_cmpmem (back + (gsize) y * w * 4, (gsize) w * 4, f.rgba + (gsize) y * f.stride, (gsize) w * 4);
        g_free (f.rgba);
      }
}

/* A judge run with a local model (a tiny one that always answers "4") rates a response, and the
 * rating makes a pair the imported scores did not: "Any text?" had 1 and 2. */
static void
test_judge_run (void)
{
  g_autofree char *bunny = video_path ("big_buck_bunny.mp4");
  g_autofree char *dir = assay_test_path ("judge-model");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (GPtrArray) before = NULL, after = NULL;
  g_autoptr (GError) error = NULL;
  AssayVideoImportResult r;
  AssayTestLmSpec spec;
  AssayGenGenerateOptions o = { 0 };
  AssayGenFilter f;
  AssayBackend *cpu;
  JsonObject *result = NULL;
  AssayVideoPair *p;
  int four;
  char err[256];

  if (bunny == NULL || !g_file_test (bunny, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no sample videos");
      return;
    }
  store = import_fixture ("video-judge-run.db", &r);
  assay_video_import_result_clear (&r);
  before = assay_video_pairs (store, 0, 0, &error);
  g_assert_null (find_pair (before, "Any text?"));

  spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
  spec.max_positions = 2048;
  spec.anchor = TRUE;
  lm = assay_test_lm_write (dir, &spec, 9);
  model = assay_lm_model_open (dir, &error);
  g_assert_no_error (error);
  four = assay_lm_tokenizer_token_id (assay_lm_model_tokenizer (model), "4");
  g_assert_cmpint (four, >=, 0);
  assay_test_lm_favour (lm, four, 60.0);

  cpu = assay_backend_cpu_new (2, err, sizeof err);
  assay_gen_filter_init (&f);
  f.kind = "response";
  f.search = "None";
  o.model = (char *) dir;
  o.template_name = (char *) "judge-video";
  o.filter = &f;
  o.n = 1;
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.sampling.temperature = 0;
  o.max_tokens = 1;
  g_assert_true (assay_gen_generate (store, &o, cpu, NULL, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result, "rated"), ==, 1);
  json_object_unref (result);
  g_assert_cmpint (assay_store_query_int (store, "SELECT json_extract (scores, '$.judge') FROM gen_records "
                                                 "WHERE text = 'None.'", 0), ==, 4);
  after = assay_video_pairs (store, 0, 0, &error);
  p = find_pair (after, "Any text?");
  g_assert_nonnull (p);
  g_assert_cmpfloat (p->chosen_score, ==, 4);
  assay_backend_free (cpu);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video/indices", test_indices);
  g_test_add_func ("/video/png-roundtrip", test_png_roundtrip);
  g_test_add_func ("/video/probe-oracle", test_probe_oracle);
  g_test_add_func ("/video/frames-bunny", test_frames_bunny);
  g_test_add_func ("/video/frames-mpeg-streams", test_frames_mpeg_streams);
  g_test_add_func ("/video/frames-nasa", test_frames_nasa);
  g_test_add_func ("/video/bad-files", test_bad_files);
  g_test_add_func ("/video/import", test_import);
  g_test_add_func ("/video/pairs", test_pairs);
  g_test_add_func ("/video/judge-run", test_judge_run);
  g_test_add_func ("/video/import-bad-rows", test_import_bad_rows);
  g_test_add_func ("/video/cli-import", test_cli_import);
  return g_test_run ();
}
