/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-arith-check.h: the calculations a reasoning step writes out ("18 - 6 = 12",
 * "\frac{1}{3} \times 18 = 6"), recomputed.
 *
 * The text is first made plain: \times \cdot × · * -> *, \div ÷ -> /, − -> -, \frac{a}{b} and
 * \dfrac, \tfrac -> ((a)/(b)), \left( \right) -> ( ), remaining braces -> parentheses, $ \$ \( \)
 * \[ \] and thin spaces -> space, thousands separators ("1,000") dropped. A claim is an "=" with
 * an arithmetic expression on each side (numbers, + - * / ^, %, parentheses, implicit products
 * such as 2(3 + 4)), where the left side computes something (has an operator) and neither side
 * touches a letter ("2x + 3 = 7", "f(2) = 5" and "18 flamingos - 6 = ..." are not claims). A
 * claim is right when the sides agree to 10^-d, d the decimals written on the right (so a
 * rounded or truncated result passes), or to 1e-9 relative; "= 20%" also passes as 20. Chains
 * "a = b = c" check each "=". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint checked;     /* claims recomputed */
  guint wrong;       /* of them, not right */
  int   first_wrong; /* byte offset of the first wrong claim's "=" (-1: none) */
} AssayArithCheck;

void assay_arith_check (const char *text, AssayArithCheck *out);

G_END_DECLS
