/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Token credit, step rewards, first-error prediction, ProcessBench F1, calibration, the DPO loss,
 * re-ranking and pairs on hand-computed cases; answer extraction on real ProcessBench rows. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-credit.h"
#include "assay-error.h"
#include "assay-test-util.h"

static void
test_token_credit (void)
{
  const float lp[] = { -1.0f, -2.0f, NAN, -0.5f }, ref[] = { -1.5f, -1.0f, -3.0f, -0.5f };
  g_autofree double *r = assay_credit_tokens (lp, ref, 4);

  g_assert_cmpfloat (r[0], ==, 0.5);
  g_assert_cmpfloat (r[1], ==, -1.0);
  g_assert_true (isnan (r[2]));
  g_assert_cmpfloat (r[3], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (assay_credit_sum (r, 4), -0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (assay_credit_mean (r, 4), -0.5 / 3, 1e-15);
}

static void
test_steps (void)
{
  const char *text = "First we add.\n\nThen 2 + 2 = 5.\nSo the answer is 5.";
  const char *given[] = { "First we add.", "Then 2 + 2 = 5.", "So the answer is 5.", NULL };
  const char *bad[] = { "First we add.", "Nowhere", NULL };
  g_autoptr (GArray) lines = assay_credit_steps (text, NULL, NULL);
  g_autoptr (GArray) explicit_ = assay_credit_steps (text, given, NULL);
  g_autoptr (GArray) marked = assay_credit_steps ("Intro. Step 1: a\nb Step 2: c\nStep 2: d", NULL, NULL);
  g_autoptr (GArray) steps_k = assay_credit_steps ("Let us see.\nStep 1: x = 2.\nmore\nStep 2: y = 3.", NULL, NULL);
  g_autoptr (GError) error = NULL;
  AssaySpan *s;

  g_assert_cmpuint (lines->len, ==, 3);
  s = (AssaySpan *) lines->data;
  g_assert_cmpuint (s[0].begin, ==, 0);
  g_assert_cmpuint (s[0].end, ==, 13);
  g_assert_cmpuint (s[1].begin, ==, 15);
  g_assert_cmpuint (s[2].end, ==, strlen (text));
  g_assert_cmpuint (explicit_->len, ==, 3);
  g_assert_cmpmem (&g_array_index (explicit_, AssaySpan, 1), sizeof (AssaySpan), &s[1], sizeof (AssaySpan));
  g_assert_null (assay_credit_steps (text, bad, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "step 2"));
  /* "Step k:" at line starts splits; the text before Step 1 joins it; mid-line mentions do not */
  g_assert_cmpuint (steps_k->len, ==, 2);
  g_assert_cmpuint (g_array_index (steps_k, AssaySpan, 0).begin, ==, 0);
  g_assert_cmpuint (g_array_index (steps_k, AssaySpan, 1).begin, ==, strlen ("Let us see.\nStep 1: x = 2.\nmore\n"));
  /* one line-start "Step k:" is not enough: it falls back to lines */
  g_assert_cmpuint (marked->len, ==, 3);
}

static void
test_step_rewards (void)
{
  /* "ab\ncd\nef": steps [0,2) [3,5) [6,8); tokens (0,1) (1,3) (3,4) (4,6) (6,8) */
  const char *text = "ab\ncd\nef";
  g_autoptr (GArray) steps = assay_credit_steps (text, NULL, NULL);
  const guint offsets[] = { 0, 1, 1, 3, 3, 4, 4, 6, 6, 8 };
  const double r[] = { 1, 2, 3, 4, 5 };
  g_autofree double *sr = assay_credit_step_rewards (r, offsets, 5, (AssaySpan *) steps->data, (int) steps->len);

  g_assert_cmpuint (steps->len, ==, 3);
  g_assert_cmpfloat (sr[0], ==, 3.0);
  g_assert_cmpfloat (sr[1], ==, 7.0);
  g_assert_cmpfloat (sr[2], ==, 5.0);
  g_assert_cmpint (assay_credit_first_error (sr, 3, 4.0), ==, 0);
  g_assert_cmpint (assay_credit_first_error (sr, 3, 3.0), ==, -1);
  g_assert_cmpint (assay_credit_first_error (sr, 3, 5.5), ==, 0);
  {
    const double other[] = { 6, 7, 5 };
    g_assert_cmpint (assay_credit_first_error (other, 3, 5.5), ==, 2);
  }
}

static void
test_processbench_f1 (void)
{
  const int labels[] = { -1, -1, 2, 0, 1 }, predicted[] = { -1, 0, 2, 0, -1 };
  AssayProcessBenchScore s = assay_processbench_score (labels, predicted, 5);

  g_assert_cmpint (s.n_correct, ==, 2);
  g_assert_cmpint (s.n_erroneous, ==, 3);
  g_assert_cmpfloat_with_epsilon (s.acc_correct, 0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (s.acc_erroneous, 2.0 / 3.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (s.f1, 2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3), 1e-15);
}

static void
test_calibrate (void)
{
  const double a[] = { 1, -2, 3 }, b[] = { 1, 1 }, c[] = { -5, 0 };
  const double *rewards[] = { a, b, c };
  const int     n_steps[] = { 3, 2, 2 }, labels[] = { 1, -1, 0 };
  AssayProcessBenchScore s;
  /* every t in (-2, 1] is perfect; the candidates are -6, -3.5, -1, 0.5, 2, 4: -1 comes first */
  double t = assay_credit_calibrate (rewards, n_steps, labels, 3, &s);

  g_assert_cmpfloat (t, ==, -1.0);
  g_assert_cmpfloat (s.f1, ==, 1.0);
}

static void
test_dpo_loss (void)
{
  const double cases[][2] = { { 1.0, 0.0 }, { 0.0, 3.0 }, { -2.5, -2.5 }, { 10.0, -4.0 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double z = 0.1 * (cases[i][0] - cases[i][1]);
      double want = -log (1.0 / (1.0 + exp (-z)));
      g_assert_cmpfloat_with_epsilon (assay_dpo_loss (cases[i][0], cases[i][1], 0.1), want, 1e-14);
    }
  g_assert_cmpfloat_with_epsilon (assay_dpo_loss (1e4, 0, 0.1), 0.0, 1e-300);
  g_assert_cmpfloat_with_epsilon (assay_dpo_loss (0, 1e4, 0.1), 1000.0, 1e-9);
}

static void
test_rerank (void)
{
  const char  *answers[] = { "4", "5", "4", NULL, "5" };
  const double rewards[] = { 0, 3, 0, 10, 1 };
  const char  *none[] = { NULL, NULL };

  /* majority: "4" and "5" twice each: the first seen wins */
  g_assert_cmpint (assay_rerank (answers, rewards, 5, ASSAY_RERANK_MAJORITY), ==, 0);
  /* best of N: the candidate without an answer (R = 10) cannot win */
  g_assert_cmpint (assay_rerank (answers, rewards, 5, ASSAY_RERANK_BEST_OF_N), ==, 1);
  /* weighted: "4" has 2 e^0 = 2, "5" has e^3 + e^1 = 22.8 (scaled by e^-3 alike) */
  g_assert_cmpint (assay_rerank (answers, rewards, 5, ASSAY_RERANK_WEIGHTED), ==, 1);
  g_assert_cmpint (assay_rerank (none, rewards, 2, ASSAY_RERANK_WEIGHTED), ==, -1);
}

static void
test_pairs (void)
{
  const gboolean quarter[] = { TRUE, FALSE, FALSE, FALSE };
  const gboolean all[] = { TRUE, TRUE, TRUE };
  const gboolean many[] = { TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE }; /* 0.875 */
  const gboolean half[] = { TRUE, FALSE, TRUE, FALSE, TRUE, FALSE };
  g_autoptr (GArray) p1 = assay_credit_pairs (quarter, 4, 1, 3);
  g_autoptr (GArray) p2 = assay_credit_pairs (all, 3, 1, 3);
  g_autoptr (GArray) p3 = assay_credit_pairs (many, 8, 1, 3);
  g_autoptr (GArray) p4 = assay_credit_pairs (half, 6, 7, 3);
  g_autoptr (GArray) p5 = assay_credit_pairs (half, 6, 7, 3);

  g_assert_cmpuint (p1->len, ==, 6); /* (0,1) (0,2) (0,3) in some order */
  for (guint i = 0; i < p1->len; i += 2)
    {
      g_assert_cmpint (g_array_index (p1, int, i), ==, 0);
      g_assert_cmpint (g_array_index (p1, int, i + 1), >, 0);
    }
  g_assert_cmpuint (p2->len, ==, 0);
  g_assert_cmpuint (p3->len, ==, 0);
  g_assert_cmpuint (p4->len, ==, 6);
  g_assert_cmpmem (p4->data, p4->len * sizeof (int), p5->data, p5->len * sizeof (int));
  for (guint i = 0; i < p4->len; i += 2)
    {
      int w = g_array_index (p4, int, i), l = g_array_index (p4, int, i + 1);
      g_assert_true (half[w] && !half[l]);
      for (guint j = 0; j < i; j += 2)
        g_assert_false (g_array_index (p4, int, j) == w && g_array_index (p4, int, j + 1) == l);
    }
}

static void
test_answers (void)
{
  struct { const char *text, *want; } extract[] = {
    { "We add.\n### Answer: 42\nThanks", "42" },
    { "### Answer: first\n### Answer:  \\boxed{7} ", "7" },
    { "so x = \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}" },
    { "Hence the answer is: 18.", "18" },
    { "no answer here", NULL },
    { "\\boxed{unclosed", NULL },
  };
  struct { const char *a, *b; gboolean equal; } eq[] = {
    { "$2,800.00", "2800", TRUE }, { "(B)", "b", TRUE }, { "B.", "(b)", TRUE },
    { "\\text{Paris}", "  paris. ", TRUE }, { "0.5", ".50", TRUE }, { "18", "19", FALSE },
    { "\\boxed{30}", "30", TRUE }, { "A", "B", FALSE }, { "-3", "-3.0", TRUE },
    { "\\$1,200", "1200", TRUE }, { "25\\%", "25", TRUE }, { "12\\,000", "12000", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (extract); i++)
    {
      g_autofree char *got = assay_answer_extract (extract[i].text, NULL);
      g_assert_cmpstr (got, ==, extract[i].want);
    }
  {
    g_autofree char *custom = assay_answer_extract ("The final result: 12 apples", "final result:");
    g_assert_cmpstr (custom, ==, "12 apples");
  }
  for (guint i = 0; i < G_N_ELEMENTS (eq); i++)
    if (assay_answer_equal (eq[i].a, eq[i].b) != eq[i].equal)
      g_error ("“%s” vs “%s”: expected %s", eq[i].a, eq[i].b, eq[i].equal ? "equal" : "different");
}

/* Every ProcessBench GSM8K trace that ends in \boxed{} gives a numeric answer. */
static void
test_processbench_answers (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *path = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *rows;
  guint boxed = 0, numeric = 0;

  if (data == NULL)
    return;
  path = g_build_filename (data, "reasoning", "processbench", "gsm8k.json", NULL);
  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  rows = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonArray  *steps = json_object_get_array_member (row, "steps");
      GString    *text = g_string_new (NULL);
      g_autofree char *answer = NULL, *norm = NULL;
      for (guint j = 0; j < json_array_get_length (steps); j++)
        g_string_append_printf (text, "%s%s", j ? "\n\n" : "", json_array_get_string_element (steps, j));
      answer = assay_answer_extract (text->str, NULL);
      if (strstr (json_array_get_string_element (steps, json_array_get_length (steps) - 1), "\\boxed{"))
        {
          boxed++;
          g_assert_nonnull (answer);
          norm = assay_answer_normalize (answer);
          if (g_ascii_strtod (norm, NULL) != 0 || g_str_equal (norm, "0"))
            numeric++;
        }
      if (i == 0)
        g_assert_cmpstr (answer, ==, "30");
      if (i == 2)
        {
          g_autofree char *n2 = assay_answer_normalize (answer);
          g_assert_cmpstr (n2, ==, "2800");
        }
      g_string_free (text, TRUE);
    }
  g_test_message ("%u boxed answers, %u numeric", boxed, numeric);
  g_assert_cmpuint (boxed, ==, 337);
  /* all but one ("T - 18", an expression) */
  g_assert_cmpuint (numeric, ==, 336);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/credit/tokens", test_token_credit);
  g_test_add_func ("/credit/steps", test_steps);
  g_test_add_func ("/credit/step-rewards", test_step_rewards);
  g_test_add_func ("/credit/processbench-f1", test_processbench_f1);
  g_test_add_func ("/credit/calibrate", test_calibrate);
  g_test_add_func ("/credit/dpo-loss", test_dpo_loss);
  g_test_add_func ("/credit/rerank", test_rerank);
  g_test_add_func ("/credit/pairs", test_pairs);
  g_test_add_func ("/credit/answers", test_answers);
  g_test_add_func ("/credit/processbench-answers", test_processbench_answers);
  return g_test_run ();
}
