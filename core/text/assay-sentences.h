/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-sentences.h: a passage split into sentences (LLMiner highlights one sentence at a time).
 * A sentence ends at . ! ? (or …), after any closing quotes and brackets, when white space and
 * then a capital letter, a digit, an opening quote or bracket, or the end follow; not after a
 * known abbreviation (Mr., Dr., e.g., Fig., ...) or a single capital initial (J. Smith). A blank
 * line always ends one, and so does a CJK full stop (。！？) with no space after it. Sentences are trimmed; empty ones are dropped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* NULL-terminated (g_strfreev) */
char **assay_sentences_split (const char *text);

G_END_DECLS
