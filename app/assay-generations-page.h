/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-generations-page.h: review of model-generated records. A lazy list of the records the
 * filters select (status colours), the selected record in context (source with the highlighted
 * sentence, condition, prompt; pairs side by side with their differing words marked; traces by
 * step with the first error marked), keyboard decisions committed at once through the undo
 * journal, bulk actions, exports, and for GenCo data a grid of documents by condition label. */
#pragma once

#include "assay-page.h"
#include "assay-gen-record.h"

#include "assay-finetune-dialog.h"
#include "assay-gen-generate-dialog.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GENERATIONS_PAGE (assay_generations_page_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenerationsPage, assay_generations_page, ASSAY, GENERATIONS_PAGE,
                      AssayPage)

AssayPage  *assay_generations_page_new (void);

/* Imports a JSONL or JSON file on the worker (mapping chosen from its rows) */
void        assay_generations_page_import (AssayGenerationsPage *self, const char *path);

/* For tests */
gboolean    assay_generations_page_is_loaded (AssayGenerationsPage *self);
GListModel *assay_generations_page_get_rows (AssayGenerationsPage *self);
/* The record in the detail pane (0: none) */
gint64      assay_generations_page_get_current (AssayGenerationsPage *self);
void        assay_generations_page_select (AssayGenerationsPage *self, guint position);
/* Handles a key as the page does (TRUE when it was a review key) */
gboolean    assay_generations_page_key (AssayGenerationsPage *self, guint keyval,
                                        GdkModifierType state);
void        assay_generations_page_set_search (AssayGenerationsPage *self, const char *text);
/* Shows one dataset (0: all); FALSE when there is no such dataset of generations. */
gboolean    assay_generations_page_set_dataset (AssayGenerationsPage *self, gint64 dataset);
/* Enter in the search field ("≈ words" then searches by meaning) */
void        assay_generations_page_activate_search (AssayGenerationsPage *self);
void        assay_generations_page_set_status_filter (AssayGenerationsPage *self, int status);
/* 0 any, 1-5 exactly, 6: 3 or more, 7: 2 or less (as in the rating dropdown) */
void        assay_generations_page_set_rating_filter (AssayGenerationsPage *self, guint choice);
/* NULL: any label */
void        assay_generations_page_set_condition_filter (AssayGenerationsPage *self,
                                                         const char *label);
/* Reviewed (not pending) and total under the filters without their status */
GtkWidget  *assay_generations_page_get_list_view (AssayGenerationsPage *self);
GtkWidget  *assay_generations_page_get_search_entry (AssayGenerationsPage *self);
/* As the file chooser does: the import dialog with its preview (a toast when nothing previews) */
void        assay_generations_page_import_with_preview (AssayGenerationsPage *self, const char *path);
/* The "No Matching Records" state, and its Clear Search and Filters button */
gboolean    assay_generations_page_shows_no_results (AssayGenerationsPage *self);
void        assay_generations_page_clear_filters (AssayGenerationsPage *self);
/* The Statistics view: status and rating distributions under the filters */
void        assay_generations_page_show_stats (AssayGenerationsPage *self);
char       *assay_generations_page_dup_stats_text (AssayGenerationsPage *self);
GtkWidget  *assay_generations_page_get_grid (AssayGenerationsPage *self);
guint       assay_generations_page_get_selected (AssayGenerationsPage *self);
void        assay_generations_page_get_progress (AssayGenerationsPage *self, guint *reviewed,
                                                 guint *total);
/* Marked differing words in the chosen and rejected sides */
void        assay_generations_page_get_diff_counts (AssayGenerationsPage *self, guint *chosen,
                                                    guint *rejected);
gboolean    assay_generations_page_is_editing (AssayGenerationsPage *self);
GtkWidget  *assay_generations_page_get_text_view (AssayGenerationsPage *self);
void        assay_generations_page_show_grid (AssayGenerationsPage *self, gboolean grid);
/* Cells in the GenCo grid (documents x labels filled) */
guint       assay_generations_page_get_grid_cells (AssayGenerationsPage *self);
GtkScrolledWindow *assay_generations_page_get_list_scroller (AssayGenerationsPage *self);
/* Opens Generate… for the records the filter shows (NULL without a workspace) */
AssayGenGenerateDialog *assay_generations_page_generate (AssayGenerationsPage *self);
/* Fine-Tune… on the dataset shown; NULL (with a toast) when none is chosen. */
AssayFinetuneDialog    *assay_generations_page_finetune (AssayGenerationsPage *self);

/* Looks for near-duplicates of the dataset shown (a job); a dialog lists the groups and offers to
 * reject all but one record of each (one undoable decision). */
void assay_generations_page_find_duplicates (AssayGenerationsPage *self);

/* Near-duplicates by embedding (the text encoder remembered, else one chosen). */
void assay_generations_page_find_duplicates_by_meaning (AssayGenerationsPage *self);
/* Zero-shot labels (comma-separated) of the dataset shown, with an encoder folder; texts with
 * generated elaborations in dataset augmentations (0: none) are the mean over them (Eq 3.9). */
void assay_generations_page_run_zeroshot (AssayGenerationsPage *self, const char *model, const char *labels,
                                          gint64 augmentations);

/* Likely label errors of the dataset shown (gen errors), in the Likely Label Errors window */
void assay_generations_page_find_label_errors (AssayGenerationsPage *self);
/* The Signals window on the dataset shown, with a fit of its label model made now */
void assay_generations_page_weigh_signals (AssayGenerationsPage *self);
/* 0 import order, 1 likeliest wrong first, 2 most uncertain first (the order dropdown) */
void assay_generations_page_set_order (AssayGenerationsPage *self, guint order);

G_END_DECLS
