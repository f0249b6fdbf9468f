/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-heatmap.h: a response with every token coloured by its credit (an
 * AssayTokenLayout drawn in a scrollable view; only the lines in view are drawn). Hover shows
 * the token, both log-probs and the credit; Left/Right move the cursor token by token, Up/Down
 * step by step, Home/End to the ends. Put it in a GtkScrolledWindow. */
#pragma once

#include <gtk/gtk.h>

#include "assay-token-layout.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_TOKEN_HEATMAP (assay_token_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (AssayTokenHeatmap, assay_token_heatmap, ASSAY, TOKEN_HEATMAP, GtkWidget)

GtkWidget *assay_token_heatmap_new (void);
/* Copies the data; logprobs and ref_logprobs (per token, may be NULL) are shown on hover. NULL
 * data clears the view. */
void       assay_token_heatmap_set_data (AssayTokenHeatmap    *self,
                                         const AssayTokenData *data,
                                         const float          *logprobs,
                                         const float          *ref_logprobs);
/* The colour range (|credit - mean| at full colour); 0 picks the 98th percentile. */
void       assay_token_heatmap_set_range (AssayTokenHeatmap *self, double range);
double     assay_token_heatmap_get_range (AssayTokenHeatmap *self);
int        assay_token_heatmap_get_cursor (AssayTokenHeatmap *self);
void       assay_token_heatmap_set_cursor (AssayTokenHeatmap *self, int token);
/* Scrolls so the step's first line is at the top, without moving the cursor. */
void       assay_token_heatmap_scroll_to_step (AssayTokenHeatmap *self, int step);
int        assay_token_heatmap_get_cursor_step (AssayTokenHeatmap *self);
/* A line describing a token (text, log-probs, credit), or NULL. */
char      *assay_token_heatmap_describe (AssayTokenHeatmap *self, int token);
AssayTokenLayout *assay_token_heatmap_get_layout (AssayTokenHeatmap *self);

G_END_DECLS
