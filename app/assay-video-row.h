/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-row.h: one video of the Videos page's list: name, a line of facts (or its error),
 * and its first frame's thumbnail, read from the store only when the row is first shown. */
#pragma once

#include <gtk/gtk.h>

#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_VIDEO_ROW (assay_video_row_get_type ())
G_DECLARE_FINAL_TYPE (AssayVideoRow, assay_video_row, ASSAY, VIDEO_ROW, GObject)

AssayVideoRow *assay_video_row_new (gint64 id, const char *name, const char *subtitle, gboolean failed);
gint64         assay_video_row_get_id (AssayVideoRow *self);
const char    *assay_video_row_get_name (AssayVideoRow *self);
const char    *assay_video_row_get_subtitle (AssayVideoRow *self);
gboolean       assay_video_row_get_failed (AssayVideoRow *self);
/* The thumbnail (read once from store), or NULL when the video has no frames. */
GdkTexture    *assay_video_row_get_thumbnail (AssayVideoRow *self, AssayStore *store);

G_END_DECLS
