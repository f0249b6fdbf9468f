/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-export.h: a token heatmap as a figure (PNG or SVG by the file's extension): a
 * title, the colour legend and the whole response laid out at a given width. */
#pragma once

#include "assay-token-layout.h"

G_BEGIN_DECLS

gboolean assay_token_export (const AssayTokenData *data,
                             double                range, /* 0: the layout's default */
                             const char           *title, /* may be NULL */
                             double                width,
                             const char           *path,
                             GError              **error);

G_END_DECLS
