/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-pairs.h: DPO pairs from scored responses (DESIGN.md §6.4): per (video, question),
 * one response scored >= 3 is chosen and one scored < 3 rejected, each drawn with the seed (the
 * same seed, the same pairs, whatever else the workspace holds); questions whose responses all
 * score >= 3 or all < 3 give none. A response's score is the reviewer's rating when set, else
 * the model's ("score" in its scores). The reviewer's own pick for a question wins (undoable). */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  char    *video;    /* key */
  char    *path;     /* of the video file, or NULL when the workspace has none */
  char    *question;
  gint64   chosen, rejected;
  double   chosen_score, rejected_score;
  char    *chosen_text, *rejected_text;
  gboolean manual;
} AssayVideoPair;

void       assay_video_pair_free (AssayVideoPair *pair);
/* A response's model score from its scores column: a judge run's "judge" rating, else the
 * imported "score"; NaN when neither. (The reviewer's rating, when set, comes before both.) */
double     assay_video_model_score (const char *scores_json);

/* Pairs of the records of dataset (0: all), ordered by video and question. */
GPtrArray *assay_video_pairs (AssayStore *store, gint64 dataset, guint64 seed, GError **error);
/* The same for one video (its key) */
GPtrArray *assay_video_pairs_of (AssayStore *store, gint64 dataset, const char *video,
                                 guint64 seed, GError **error);

/* The reviewer's pair for a question (chosen = rejected = 0 removes it); one undoable edit. */
gboolean   assay_video_choose (AssayStore *store, const char *video, const char *question,
                               gint64 chosen, gint64 rejected, GError **error);

/* TRL DPO JSONL: {"prompt", "chosen", "rejected", "video", "chosen_score", "rejected_score"}
 * (+ "frames": the sampled frames written as PNG under OUT.frames/KEY/ when frames is set);
 * written beside out and renamed at the end. */
gboolean   assay_video_pairs_export (AssayStore *store, gint64 dataset, guint64 seed,
                                     const char *out, gboolean frames, guint *n_pairs,
                                     GError **error);

G_END_DECLS
