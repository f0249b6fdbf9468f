/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-video-row.h"

struct _AssayVideoRow
{
  GObject     parent_instance;
  gint64      id;
  char       *name, *subtitle;
  gboolean    failed, thumb_read;
  GdkTexture *thumb;
};

G_DEFINE_FINAL_TYPE (AssayVideoRow, assay_video_row, G_TYPE_OBJECT)

static void
finalize (GObject *object)
{
  AssayVideoRow *self = ASSAY_VIDEO_ROW (object);

  g_free (self->name);
  g_free (self->subtitle);
  g_clear_object (&self->thumb);
  G_OBJECT_CLASS (assay_video_row_parent_class)->finalize (object);
}

static void
assay_video_row_class_init (AssayVideoRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = finalize;
}

static void
assay_video_row_init (AssayVideoRow *self)
{
}

AssayVideoRow *
assay_video_row_new (gint64 id, const char *name, const char *subtitle, gboolean failed)
{
  AssayVideoRow *self = g_object_new (ASSAY_TYPE_VIDEO_ROW, NULL);

  self->id = id;
  self->name = g_strdup (name);
  self->subtitle = g_strdup (subtitle);
  self->failed = failed;
  return self;
}

gint64
assay_video_row_get_id (AssayVideoRow *self)
{
  return self->id;
}

const char *
assay_video_row_get_name (AssayVideoRow *self)
{
  return self->name;
}

const char *
assay_video_row_get_subtitle (AssayVideoRow *self)
{
  return self->subtitle;
}

gboolean
assay_video_row_get_failed (AssayVideoRow *self)
{
  return self->failed;
}

GdkTexture *
assay_video_row_get_thumbnail (AssayVideoRow *self, AssayStore *store)
{
  sqlite3_stmt *stmt;

  if (self->thumb_read || store == NULL)
    return self->thumb;
  self->thumb_read = TRUE;
  /* the middle sampled frame: videos open on black or a title card (Big Buck Bunny's first
   * frame is black) */
  stmt = assay_store_prepare (store, "SELECT thumb FROM video_frames WHERE video_id = ?1 ORDER BY position "
                                     "LIMIT 1 OFFSET (SELECT count(*) / 2 FROM video_frames WHERE video_id = ?1)",
                              NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, self->id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (GBytes) png = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      self->thumb = gdk_texture_new_from_bytes (png, NULL);
    }
  sqlite3_reset (stmt);
  return self->thumb;
}
