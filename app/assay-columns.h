/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-columns.h: column-view columns that show one property of their row objects (strings,
 * unsigned numbers, or doubles with 3 decimals where negative means "—"), sortable. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Appends a column showing property of row_type; sorted numerically when numeric. */
GtkColumnViewColumn *assay_columns_add (GtkColumnView *view,
                                        GType          row_type,
                                        const char    *title,
                                        const char    *property,
                                        gboolean       numeric,
                                        gboolean       expand);

G_END_DECLS
