/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-keyword-bars.h: a label's keywords with their weights as horizontal bars. In a comparison,
 * each keyword carries a mark: kept (0), gained in this run (+1), or lost (-1, shown with the
 * other run's weight, hatched). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ASSAY_TYPE_KEYWORD_BARS (assay_keyword_bars_get_type ())
G_DECLARE_FINAL_TYPE (AssayKeywordBars, assay_keyword_bars, ASSAY, KEYWORD_BARS, GtkWidget)

GtkWidget *assay_keyword_bars_new (void);
/* marks may be NULL (no comparison). */
void       assay_keyword_bars_set_keywords (AssayKeywordBars  *self,
                                            const char *const *terms,
                                            const float       *weights,
                                            const int         *marks,
                                            guint              n);
guint      assay_keyword_bars_get_n_keywords (AssayKeywordBars *self);

G_END_DECLS
