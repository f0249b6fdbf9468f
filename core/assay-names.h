/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-names.h: enumerations spelled by name (on the command line, in stored parameters). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The index of name among the n names, or -1 (also for NULL) */
int assay_names_find (const char *const *names, guint n, const char *name);

G_END_DECLS
