/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-import.h: videos and what models wrote about them into one new dataset (area
 * "video"). Each path is a folder (its video files), a video file, or a JSONL/JSON file of
 * LLaVA-Hound rows:
 *   {id, video, conversations: [{from: human, value}, {from: gpt, value}, ...]}
 *       one record per (human, gpt) turn: a caption when the row has "caption": true, a "kind"
 *       of "caption", or a first question asking to describe; else a QA pair
 *   {id, video, caption}                                     a caption
 *   {id, video, prompt, answer, chosen, rejected, chosen_score, rejected_score}
 *       two scored responses (the same response text once per question)
 *   {id, video, prompt | question, response, score}         a scored response
 * Records are generation records whose source is the video's key: its file name without the
 * extension (a row's "video", else its "id"), so rows find their video in any dataset.
 *
 * The JSONL files are read first, in one transaction (a bad row fails the import, naming file
 * and line). Then every video is probed and `count` frames are sampled at round(linspace(0,
 * n - 1, count)) and stored (PNG and a 160 px thumbnail), each video in a transaction of its
 * own: a video that cannot be read is kept with its error and the others go on. */
#pragma once

#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64     dataset;
  guint      videos;    /* read and sampled */
  guint      failed;    /* kept with an error */
  guint      frames;
  guint      records;
  guint      unmatched; /* records whose video is not in the workspace */
  GPtrArray *errors;    /* "file: message" per failed video */
} AssayVideoImportResult;

void      assay_video_import_result_clear (AssayVideoImportResult *result);

gboolean  assay_video_import (AssayStore             *store,
                              const char *const      *paths,
                              int                     count,
                              const char             *name,
                              AssayVideoImportResult *result,
                              void (*progress) (double fraction, const char *message, gpointer data),
                              gpointer                progress_data,
                              GCancellable           *cancellable,
                              GError                **error);

/* Removes a video: its row, its sampled frames and the records imported with it in its dataset
 * (captions, questions, responses whose video is this one, unless another video of that dataset
 * has the same name), and the reviewer's pairs on those. Not undoable (frames are not journalled).
 * *records (optional): how many records went. */
gboolean  assay_video_delete (AssayStore *store, gint64 video, guint *records, GError **error);

/* The key of a video file or a row's video field: its base name without the extension. */
char     *assay_video_key (const char *name);

/* On the I/O pool. Result: {"dataset", "videos", "failed", "frames", "records", "unmatched",
 * "errors": [...]} */
AssayJob *assay_video_import_job_new (const char *const *paths, int count, const char *name);

G_END_DECLS
