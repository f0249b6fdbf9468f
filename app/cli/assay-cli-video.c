/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli video probe|frames */
#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "assay-cli-commands.h"
#include "assay-video-import.h"
#include "assay-video-pairs.h"
#include "assay-video.h"

static int
verb_probe (AssayCliCommon *common, int argc, char **argv)
{
  int stream = -1;
  const GOptionEntry entries[] = {
    { "stream", 0, 0, G_OPTION_ARG_INT, &stream, N_("Video stream index (default: FFmpeg's best)"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayVideoInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  int status = assay_cli_parse (common, "video probe", "FILE", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("video probe takes one file"));
  if ((info = assay_video_probe (argv[1], stream, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  o = json_object_new ();
  json_object_set_string_member (o, "container", info->container);
  json_object_set_string_member (o, "codec", info->codec);
  json_object_set_int_member (o, "stream", info->stream);
  json_object_set_int_member (o, "width", info->width);
  json_object_set_int_member (o, "height", info->height);
  json_object_set_int_member (o, "frames", info->frames);
  json_object_set_double_member (o, "duration", info->duration);
  json_object_set_double_member (o, "fps", info->fps);
  if (common->json)
    assay_cli_print_json_object (o);
  else
    {
      assay_cli_print_object_text (o);
      json_object_unref (o);
    }
  return ASSAY_CLI_OK;
}

static int
verb_frames (AssayCliCommon *common, int argc, char **argv)
{
  int stream = -1, count = 10;
  g_autofree char *out = NULL;
  const GOptionEntry entries[] = {
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("Frames to sample (default 10)"), N_("N") },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, N_("Folder for frame-<index>.png"), N_("DIR") },
    { "stream", 0, 0, G_OPTION_ARG_INT, &stream, N_("Video stream index (default: FFmpeg's best)"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayVideoInfo) info = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autoptr (GArray) indices = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  JsonArray  *a;
  gint64      t0;
  double      seconds;
  int status = assay_cli_parse (common, "video frames", "FILE", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2 || out == NULL)
    return assay_cli_usage (_("video frames takes one file and --out DIR"));
  if (count < 1 || count > 100000)
    return assay_cli_usage (_("--count must be between 1 and 100000"));
  t0 = g_get_monotonic_time ();
  if ((info = assay_video_probe (argv[1], stream, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  indices = assay_video_sample_indices (info->frames, count);
  frames = assay_video_sample_png (info, (const gint64 *) indices->data, (int) indices->len, 0, NULL, &error);
  if (frames == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (g_mkdir_with_parents (out, 0755) != 0)
    {
      g_autoptr (GError) e = g_error_new (G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", out, g_strerror (errno));
      return assay_cli_fail (g_steal_pointer (&e));
    }
  for (guint i = 0; i < frames->len; i++)
    {
      AssayVideoPng   *f = frames->pdata[i];
      g_autofree char *name = g_strdup_printf ("frame-%" G_GINT64_FORMAT ".png", f->index);
      g_autofree char *path = g_build_filename (out, name, NULL);
      gsize len;
      const char *data = g_bytes_get_data (f->png, &len);
      if (!g_file_set_contents (path, data, (gssize) len, &error))
        return assay_cli_fail (g_steal_pointer (&error));
    }
  o = json_object_new ();
  a = json_array_new ();
  for (guint i = 0; i < indices->len; i++)
    json_array_add_int_element (a, g_array_index (indices, gint64, i));
  json_object_set_array_member (o, "indices", a);
  json_object_set_double_member (o, "seconds", seconds);
  if (common->json)
    assay_cli_print_json_object (o);
  else
    {
      g_print ("%u frames in %.3f s\n", indices->len, seconds);
      json_object_unref (o);
    }
  return ASSAY_CLI_OK;
}

static int
verb_import (AssayCliCommon *common, int argc, char **argv)
{
  int              count = 10;
  g_autofree char *name = NULL;
  const GOptionEntry entries[] = {
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("Frames sampled per video (default 10)"), N_("N") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Dataset name"), N_("NAME") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int       status = assay_cli_parse (common, "video import", "PATH…", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc < 2)
    return assay_cli_usage (_("video import takes video files, folders of videos, or LLaVA-Hound JSONL files"));
  if (count < 1 || count > 1000)
    return assay_cli_usage (_("--count must be between 1 and 1000"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_video_import_job_new ((const char *const *) argv + 1, count, name);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  return assay_cli_output (common, result);
}

static int
verb_pairs (AssayCliCommon *common, int argc, char **argv)
{
  gint64   seed = 0, dataset = 0;
  gboolean frames = FALSE;
  const GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the draws (default 0)"), N_("S") },
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Only this dataset's responses"), N_("ID") },
    { "frames", 0, 0, G_OPTION_ARG_NONE, &frames, N_("Also write the sampled frames and list their paths"), NULL },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  guint       n = 0;
  JsonObject *o;
  int         status = assay_cli_parse (common, "video pairs", "OUT.jsonl", entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (argc != 2)
    return assay_cli_usage (_("video pairs takes the output file"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_video_pairs_export (store, dataset, (guint64) seed, argv[1], frames, &n, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  o = json_object_new ();
  json_object_set_int_member (o, "pairs", n);
  json_object_set_string_member (o, "output", argv[1]);
  if (common->json)
    assay_cli_print_json_object (o);
  else
    {
      g_print (_("%u pairs written to %s\n"), n, argv[1]);
      json_object_unref (o);
    }
  return ASSAY_CLI_OK;
}

static int
verb_list (AssayCliCommon *common, int argc, char **argv)
{
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt;
  JsonArray    *rows = json_array_new ();
  int status = assay_cli_parse (common, "video list", NULL, NULL, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    {
      json_array_unref (rows);
      return status;
    }
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || (stmt = assay_store_prepare (store, "SELECT v.id, v.dataset_id, v.name, v.path, v.frames, v.duration, "
                                             "v.error, (SELECT count(*) FROM gen_records g WHERE g.dataset_id = "
                                             "v.dataset_id AND g.source = v.name) FROM videos v WHERE "
                                             ASSAY_DATASET_VISIBLE ("v.dataset_id") " ORDER BY v.id", &error)) == NULL)
    {
      json_array_unref (rows);
      return assay_cli_fail (g_steal_pointer (&error));
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "id", sqlite3_column_int64 (stmt, 0));
      json_object_set_int_member (o, "dataset", sqlite3_column_int64 (stmt, 1));
      json_object_set_string_member (o, "name", (const char *) sqlite3_column_text (stmt, 2));
      json_object_set_string_member (o, "path", (const char *) sqlite3_column_text (stmt, 3));
      json_object_set_int_member (o, "frames", sqlite3_column_int64 (stmt, 4));
      json_object_set_double_member (o, "duration", sqlite3_column_double (stmt, 5));
      if (sqlite3_column_type (stmt, 6) != SQLITE_NULL)
        json_object_set_string_member (o, "error", (const char *) sqlite3_column_text (stmt, 6));
      json_object_set_int_member (o, "records", sqlite3_column_int64 (stmt, 7));
      json_array_add_object_element (rows, o);
    }
  sqlite3_reset (stmt);
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_array_member (o, "videos", rows);
      assay_cli_print_json_object (o);
      return ASSAY_CLI_OK;
    }
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = json_array_get_object_element (rows, i);
      g_print ("%4lld  %-28s %6lld frames  %4lld records  %s\n", (long long) json_object_get_int_member (o, "id"),
               json_object_get_string_member (o, "name"), (long long) json_object_get_int_member (o, "frames"),
               (long long) json_object_get_int_member (o, "records"),
               json_object_has_member (o, "error") ? json_object_get_string_member (o, "error")
                                                   : json_object_get_string_member (o, "path"));
    }
  json_array_unref (rows);
  return ASSAY_CLI_OK;
}

static int
verb_delete (AssayCliCommon *common, int argc, char **argv)
{
  gint64 id = 0;
  guint  records = 0;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_INT64, &id, N_("Video (video list)"), N_("ID") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  int status = assay_cli_parse (common, "video delete", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (id <= 0)
    return assay_cli_usage (_("video delete takes --id ID (see video list)"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL
      || !assay_video_delete (store, id, &records, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "deleted", id);
      json_object_set_int_member (o, "records", records);
      assay_cli_print_json_object (o);
    }
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "Video %lld deleted, with %u record\n",
                          "Video %lld deleted, with %u records\n", records),
             (long long) id, records);
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "probe", verb_probe, N_("Container, codec, size, frames and duration of the video stream") },
  { "frames", verb_frames, N_("Sample frames uniformly and write them as PNG") },
  { "import", verb_import, N_("Import videos (sampling their frames) and LLaVA-Hound captions, QA and scored responses") },
  { "pairs", verb_pairs, N_("DPO pairs from the scored responses as TRL JSONL with the video paths") },
  { "list", verb_list, N_("The workspace's videos: id, name, frames, records") },
  { "delete", verb_delete, N_("Delete a video with its frames and the records imported with it") },
  { NULL }
};

int
assay_cli_video (int argc, char **argv)
{
  return assay_cli_dispatch ("video", verbs, argc, argv);
}
