/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Signals of generated records: written-out calculations recomputed, the signals read from a
 * workspace, the label model fitted over them ("signals fit") and review in order of doubt. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-arith-check.h"
#include "assay-test-util.h"

static void
test_arith (void)
{
  static const struct
  {
    const char *text;
    guint       checked, wrong;
  } cases[] = {
    { "So, they have \\(18 - 6 = 12\\) flamingos left.", 1, 0 },
    { "Since there were 18 flamingos, \\(1/3 \\times 18 = 6\\) flamingos are taken back.", 1, 0 },
    { "Thus \\(12 + 6 = 18\\) pink and 6 white.", 1, 0 },
    { "Then 7 + 5 = 13 apples.", 1, 1 },
    { "6 * 0.5 = 4", 1, 1 },
    { "$\\frac{1}{3} \\cdot 18 = 6$ and $\\dfrac{3}{4} = 0.75$", 2, 0 },
    { "\\frac{10}{3} = 3.33, rounded; 2/3 = 0.66 truncated; 2/3 = 0.67 rounded", 3, 0 },
    { "2/3 = 0.65", 1, 1 },
    { "10/3 = 3 whole bags", 1, 0 },
    { "She pays $1,200 + $300 = $1,500.", 1, 0 },
    { "She pays \\$1,200 + \\$300 = \\$1,600.", 1, 1 },
    { "2x + 3 = 7, so x = 2", 0, 0 },
    { "f(2) = 5 and x - 3 = 4", 0, 0 },
    { "18 flamingos - 6 = 12", 0, 0 },
    { "2(3 + 4) = 14 and 2^{3} = 8 and 3^2 + 4^2 = 5^2", 3, 0 },
    { "10/50 \\times 100 = 20% and 10/50 = 20%", 2, 0 },
    { "20% \\times 50 = 10", 1, 0 },
    { "a = b = c; 4 = 4; 3 + 4 = 7 = 7", 1, 0 },
    { "3 \xc3\x97 4 = 12 and 12 \xc3\xb7 4 = 3 and 5 \xe2\x88\x92 2 = 4", 3, 1 },
    { "x \\leq 5, y >= 3 + 1 = 4, 5 == 5", 1, 0 },
    { "The total is 5. 3 + 4 = 7.", 1, 0 },
    { "1/0 = 5", 0, 0 },
    { "(2 + 3 = 5", 0, 0 },
    { "2 + 3 = 5 + 1", 1, 1 },
    { "The area is \\pi r^2 = 3.14 \\times 4 = 12.56", 1, 0 },
    /* false alarms once made on ProcessBench's correct traces, kept out */
    { "\\[3\\frac{4}{5} = \\frac{3 \\cdot 5 + 4}{5} = \\frac{19}{5}\\]", 1, 0 },
    { "\\[ |B \\cap S| - 3 \\times 8 = 38 - 24 = 14 \\]", 1, 0 },
    { "\\[ V_1 = \\frac{4}{3} \\pi (1.5)^3 = \\frac{4}{3} \\pi \\cdot 3.375 \\]", 0, 0 },
    { "- \\(6! = 6 \\times 5 \\times 4 \\times 3 \\times 2 \\times 1 = 720\\) - \\(4! = 24\\)", 1, 0 },
    { "- \\( 3^1 = 3 \\mod 8 \\) - \\( 3^2 = 9 \\equiv 1 \\mod 8 \\)", 0, 0 },
    { "\\[ 21^2 = 441 \\] \\[ (-20)^2 = 400 \\] \\[ 441 + 400 = 841 \\]", 3, 0 },
    { "\\[ 4^2 = 2^2 + 3^2 - 2 \\cdot 2 \\cdot 3 \\cos C \\]", 0, 0 },
    { "\\[ n(n+1) = 4 \\cdot 5 = 20 \\] \\[ \\frac{20}{2} = 10 \\quad 20 (2) = 40 \\]", 2, 0 },
    { "$2 + 2 = 5$ costs $4 + $1 = $5", 2, 1 },
    { "", 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      AssayArithCheck c;
      assay_arith_check (cases[i].text, &c);
      g_test_message ("%s -> %u checked, %u wrong", cases[i].text, c.checked, c.wrong);
      g_assert_cmpuint (c.checked, ==, cases[i].checked);
      g_assert_cmpuint (c.wrong, ==, cases[i].wrong);
      g_assert_true ((c.first_wrong >= 0) == (c.wrong > 0));
    }
  {
    AssayArithCheck c;
    const char *t = "Fine: 1 + 1 = 2. Wrong: 2 + 2 = 5.";
    assay_arith_check (t, &c);
    g_assert_cmpint (c.first_wrong, ==, (int) (strstr (t, "= 5") - t));
    assay_arith_check (NULL, &c);
    g_assert_cmpuint (c.checked, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signals/arith", test_arith);
  return g_test_run ();
}
