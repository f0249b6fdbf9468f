/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-word-diff.h: which words of two texts differ, by a longest common subsequence over
 * their words (runs of non-space characters). For the two sides of a preference pair. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gsize start, end; /* byte offsets of a word that is not in the common subsequence */
} AssayDiffSpan;

/* Spans of a and of b (AssayDiffSpan) not shared by both. FALSE when the texts are too long to
 * compare (more than max_cells word pairs); the arrays are then empty. */
gboolean assay_word_diff (const char *a, const char *b, gsize max_cells, GArray *spans_a,
                          GArray *spans_b);

G_END_DECLS
