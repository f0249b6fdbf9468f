/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-pages.h: the five views, in sidebar order. */
#pragma once

#include "assay-page.h"

G_BEGIN_DECLS

/* A new NULL-terminated array (free with g_free) of floating pages. */
AssayPage **assay_pages_create (void);

G_END_DECLS
