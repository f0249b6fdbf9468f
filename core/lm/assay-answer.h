/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-answer.h: final answers of reasoning traces: extraction and normalised comparison. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASSAY_ANSWER_PATTERN "### Answer:"

/* The answer of a response: the text after the last occurrence of pattern (NULL: "### Answer:")
 * up to the end of its line; without the pattern, the last \boxed{...} (braces balanced), then
 * the text after the last "The answer is". NULL when none is found. */
char    *assay_answer_extract (const char *response, const char *pattern);
/* For comparison: \boxed{}, \text{}, $ and \( \) dropped; numbers without thousands separators,
 * currency, trailing zeros of decimals or a trailing unit-less period ("2,800.00" -> "2800");
 * a multiple-choice letter alone ("(B)", "B.", "b)") -> "b"; otherwise lower case with runs of
 * white space made one space and ends trimmed. */
char    *assay_answer_normalize (const char *answer);
/* Equal after normalisation; numbers also when they agree to 1e-6 relative. */
gboolean assay_answer_equal (const char *a, const char *b);

G_END_DECLS
