/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-view.h: one video as the Videos page shows it: the probe's facts, the stored
 * frames (encoded), and what models wrote about it: captions, questions with their reference
 * answers, and the responses to each question with their scores and the pair drawn from them. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  record;
  char   *text;
  double  model_score;  /* NaN: none */
  int     rating;       /* the reviewer's, 0: none */
  int     role;         /* 1 chosen, -1 rejected, 0 neither */
} AssayVideoResponse;

typedef struct
{
  char      *question;
  char      *reference;  /* a QA answer or a preference row's answer, or NULL */
  GPtrArray *responses;  /* AssayVideoResponse */
  gboolean   manual;     /* the pair is the reviewer's */
} AssayVideoQuestion;

typedef struct
{
  gint64     id;
  char      *name;
  char      *path;
  char      *codec;
  int        width, height;
  gint64     n_frames;
  double     duration, fps;
  char      *error;
  GArray    *frame_index;   /* gint64 per sampled frame */
  GArray    *frame_seconds; /* double */
  GPtrArray *images;        /* GBytes, PNG */
  GPtrArray *thumbs;        /* GBytes, PNG */
  GPtrArray *captions;      /* char * */
  GPtrArray *questions;     /* AssayVideoQuestion */
} AssayVideoView;

AssayVideoView *assay_video_view_load (AssayStore *store, gint64 video, guint64 seed, GError **error);
void            assay_video_view_free (AssayVideoView *view);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayVideoView, assay_video_view_free)

G_END_DECLS
