/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-demo.h: the demo's videos: short clips drawn here and encoded with FFmpeg's MPEG-4
 * encoder into MP4, with captions, questions and scored responses about what they show. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

/* Writes the clips and a LLaVA-Hound JSONL into dir; returns their paths (NULL-terminated). */
GStrv    assay_video_demo_write (const char *dir, GError **error);

/* Writes one clip: kind 0 a red ball rolling left to right, 1 a traffic light going red,
 * yellow, green, 2 three bars growing to heights 1, 3 and 2 (width x height, fps, seconds). */
gboolean assay_video_demo_clip (const char *path, int kind, int width, int height, int fps,
                                double seconds, GError **error);

G_END_DECLS
