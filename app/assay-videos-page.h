/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-videos-page.h: videos with their sampled frames beside what models wrote about them:
 * the list (thumbnails read as rows appear), the selected video's frames (filmstrip; click or
 * Left/Right to enlarge one), its caption, each question with its reference answer and the
 * scored responses (1-5 set the reviewer's score of the selected response), and the pair drawn
 * from the scores marked, which the reviewer can replace (undoable). */
#pragma once

#include "assay-import-dialog.h"
#include "assay-page.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_VIDEOS_PAGE (assay_videos_page_get_type ())
G_DECLARE_FINAL_TYPE (AssayVideosPage, assay_videos_page, ASSAY, VIDEOS_PAGE, AssayPage)

AssayPage *assay_videos_page_new (void);

/* For tests */
guint      assay_videos_page_get_n_videos (AssayVideosPage *self);
gboolean   assay_videos_page_select_video (AssayVideosPage *self, gint64 video);
gint64     assay_videos_page_get_video (AssayVideosPage *self); /* shown, 0 while loading */
GtkWidget *assay_videos_page_get_filmstrip (AssayVideosPage *self);
GtkWidget *assay_videos_page_get_picture (AssayVideosPage *self);
const char *assay_videos_page_get_frame_text (AssayVideosPage *self);
gboolean   assay_videos_page_can_export (AssayVideosPage *self);
GtkWidget *assay_videos_page_get_search_entry (AssayVideosPage *self);
/* The box of questions and their responses (keyboard tests) */
GtkWidget *assay_videos_page_get_responses (AssayVideosPage *self);
/* Sets the reviewer's score of a response as the number keys do. */
gboolean   assay_videos_page_rate (AssayVideosPage *self, gint64 record, int score);

/* As the file chooser does: the import's options (frames per video, dataset name) asked first */
AssayImportDialog *assay_videos_page_import_with_options (AssayVideosPage *self, const char *const *paths);

G_END_DECLS
