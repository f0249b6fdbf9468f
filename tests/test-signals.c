/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Signals of generated records: written-out calculations recomputed, the signals read from a
 * workspace, the label model fitted over them ("signals fit") and review in order of doubt. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-arith-check.h"
#include "assay-error.h"
#include "assay-gen-query.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-signals.h"
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

/* ProcessBench's GSM8K and MATH traces in a workspace (datasets 1 and 2); NULL when the shared
 * data is missing (skipped) */
/* A copy of a JSON array file with its elements in a random order (the files list their wrong
 * traces first, an order no reviewer's data comes in) */
static char *
shuffled_copy (const char *file, const char *name, guint32 seed)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *path = assay_test_path (name);
  JsonArray *in, *out = json_array_new ();
  g_autofree guint *order = NULL;
  guint n;

  g_assert_true (json_parser_load_from_file (parser, file, NULL));
  in = json_node_get_array (json_parser_get_root (parser));
  n = json_array_get_length (in);
  order = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = (guint) g_rand_int_range (r, 0, (gint32) i + 1), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  for (guint i = 0; i < n; i++)
    json_array_add_element (out, json_node_copy (json_array_get_element (in, order[i])));
  json_node_take_array (root, out);
  json_generator_set_root (gen, root);
  g_assert_true (json_generator_to_file (gen, path, NULL));
  return g_steal_pointer (&path);
}

static char *
processbench_workspace (const char *name, gboolean shuffle)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *ws = NULL;

  if (data == NULL)
    return NULL;
  ws = assay_test_path (name);
  g_unlink (ws);
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *original = g_build_filename (data, "reasoning", "processbench", k == 0 ? "gsm8k.json" : "math.json", NULL);
      g_autofree char *file = shuffle ? shuffled_copy (original, k == 0 ? "gsm8k-shuffled.json" : "math-shuffled.json", 1)
                                      : g_strdup (original);
      const char *args[] = { "traces", "import", "-w", ws, "--json", file, NULL };
      g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
      g_assert_cmpint (assay_json_get_int (o, "dataset", 0), ==, k + 1);
    }
  return g_steal_pointer (&ws);
}

/* The column of the signal named name, or -1 */
static int
signal_index (const AssaySignals *s, const char *name)
{
  for (guint j = 0; j < s->m; j++)
    if (g_str_equal (s->names->pdata[j], name))
      return (int) j;
  return -1;
}

/* The signals read from the workspace against the data file read here; the fit against the
 * first-error labels, without and with 100 decisions */
static void
test_fit_processbench (void)
{
  g_autofree char *ws = processbench_workspace ("pb-fit.assay", FALSE);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;

  if (ws == NULL)
    return;
  store = assay_store_open (ws, &error);
  g_assert_no_error (error);
  for (gint64 dataset = 1; dataset <= 2; dataset++)
    {
      g_autofree char *file = g_build_filename (assay_test_shared_data (), "reasoning", "processbench",
                                                dataset == 1 ? "gsm8k.json" : "math.json", NULL);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (AssaySignals) s = assay_signals_read (store, dataset, &error);
      g_autoptr (JsonObject) plain = NULL, decided = NULL;
      AssaySignalsFitOptions o;
      JsonArray *rows;
      int answer = -1, arith = -1;
      guint flagged = 0, flagged_bad = 0;

      g_assert_no_error (error);
      g_assert_true (json_parser_load_from_file (parser, file, NULL));
      rows = json_node_get_array (json_parser_get_root (parser));
      g_assert_cmpuint (s->n, ==, json_array_get_length (rows));
      g_assert_cmpuint (s->n_truth, ==, s->n);
      answer = signal_index (s, "answer");
      arith = signal_index (s, "arithmetic");
      g_assert_cmpint (answer, >=, 0);
      g_assert_cmpint (arith, >=, 0);
      for (guint i = 0; i < s->n; i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          JsonArray  *steps = json_object_get_array_member (row, "steps");
          guint checked = 0, wrong = 0;
          g_assert_cmpint (s->truth[i], ==, json_object_get_int_member (row, "label") == -1);
          g_assert_cmpint (s->votes[i * s->m + answer], ==, json_object_get_boolean_member (row, "final_answer_correct"));
          for (guint k = 0; k < json_array_get_length (steps); k++)
            {
              AssayArithCheck c;
              assay_arith_check (json_array_get_string_element (steps, k), &c);
              checked += c.checked;
              wrong += c.wrong;
            }
          g_assert_cmpint (s->votes[i * s->m + arith], ==, wrong > 0 ? 0 : checked > 0 ? 1 : -1);
          flagged += wrong > 0;
          flagged_bad += wrong > 0 && s->truth[i] == 0;
        }
      /* a wrong calculation found is a wrong trace (every one on this data) */
      g_test_message ("dataset %" G_GINT64_FORMAT ": arithmetic flags %u traces, %u of them wrong", dataset, flagged,
                      flagged_bad);
      g_assert_cmpuint (flagged, >=, 10);
      g_assert_cmpuint (flagged_bad, ==, flagged);

      /* (Dawid-Skene chosen: the automatic default fits matrix completion below 20 decisions) */
      assay_signals_fit_options_init (&o);
      o.automatic = FALSE;
      plain = assay_signals_fit (store, dataset, &o, NULL, &error);
      g_assert_no_error (error);
      {
        /* the automatic choice: matrix completion without decisions */
        AssaySignalsFitOptions ao;
        g_autoptr (JsonObject) a = NULL;
        assay_signals_fit_options_init (&ao);
        a = assay_signals_fit (store, dataset, &ao, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (json_object_get_string_member (a, "label_model"), ==, "matrix-completion");
        g_assert_cmpstr (json_object_get_string_member (a, "label_model_choice"), ==, "auto");
      }
      /* 100 decisions: every tenth record, from the truth */
      for (guint i = 0; i < s->n; i += s->n / 100)
        {
          g_assert_true (assay_gen_set_status (store, s->ids[i], s->truth[i] ? ASSAY_GEN_ACCEPTED : ASSAY_GEN_REJECTED,
                                               &error));
          g_assert_no_error (error);
        }
      decided = assay_signals_fit (store, dataset, &o, NULL, &error);
      g_assert_no_error (error);
      {
        /* ... and Dawid-Skene from 20 decisions on */
        AssaySignalsFitOptions ao;
        g_autoptr (JsonObject) a = NULL;
        assay_signals_fit_options_init (&ao);
        a = assay_signals_fit (store, dataset, &ao, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (json_object_get_string_member (a, "label_model"), ==, "dawid-skene");
      }
      for (int round = 0; round < 2; round++)
        {
          JsonObject *fit = round == 0 ? plain : decided;
          JsonObject *ev = json_object_get_object_member (fit, "evaluation");
          double auroc = json_object_get_double_member (ev, "auroc");
          double best = json_object_get_double_member (ev, "best_signal_auroc");
          g_test_message ("dataset %" G_GINT64_FORMAT ", %lld decisions: AUROC %.4f (best signal %s %.4f, majority "
                          "%.4f), Brier %.4f, prior %.3f, identified %d",
                          dataset, (long long) json_object_get_int_member (fit, "decided"), auroc,
                          json_object_get_string_member (ev, "best_signal"), best,
                          json_object_get_double_member (ev, "majority_auroc"), json_object_get_double_member (ev, "brier"),
                          json_object_get_double_member (fit, "prior"), json_object_get_boolean_member (fit, "identified"));
          g_assert_cmpfloat (auroc, >=, best - 0.005);
          g_assert_cmpfloat (auroc, >, 0.9);
        }
      /* Snorkel's matrix-completion model on the same signals, with the decisions (class balance,
       * fixed records) and without (uniform class balance) */
      {
        AssaySignalsFitOptions mo;
        assay_signals_fit_options_init (&mo);
        mo.automatic = FALSE;
        mo.matrix_completion = TRUE;
        for (int round = 0; round < 2; round++)
          {
            g_autoptr (JsonObject) fit = NULL;
            JsonObject *ev;
            mo.use_decisions = round == 1;
            fit = assay_signals_fit (store, dataset, &mo, NULL, &error);
            g_assert_no_error (error);
            ev = json_object_get_object_member (fit, "evaluation");
            g_test_message ("dataset %" G_GINT64_FORMAT ", matrix completion, %lld decisions: AUROC %.4f, Brier %.4f, "
                            "prior %.3f", dataset, (long long) json_object_get_int_member (fit, "decided"),
                            json_object_get_double_member (ev, "auroc"), json_object_get_double_member (ev, "brier"),
                            json_object_get_double_member (fit, "prior"));
            g_assert_cmpstr (json_object_get_string_member (fit, "label_model"), ==, "matrix-completion");
            g_assert_cmpfloat (json_object_get_double_member (ev, "auroc"), >, 0.9);
          }
        /* a refit with the defaults (the app's, after decisions) keeps the current label model */
        {
          g_autoptr (JsonObject) again = assay_signals_fit (store, dataset, NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (json_object_get_string_member (again, "label_model"), ==, "matrix-completion");
        }
        /* (the Dawid-Skene fit is the current one again) */
        g_clear_pointer (&decided, json_object_unref);
        decided = assay_signals_fit (store, dataset, &o, NULL, &error);
        g_assert_no_error (error);
      }
      g_assert_cmpint (json_object_get_int_member (decided, "decided"), ==, 100);
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (decided, "evaluation"), "records"), ==,
                       (gint64) s->n - 100);
      g_assert_false (json_object_get_boolean_member (plain, "identified"));
      g_assert_true (json_object_get_boolean_member (decided, "identified"));
      /* the decisions calibrate P(good): its squared error falls */
      g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (decided, "evaluation"), "brier"), <,
                         0.5 * json_object_get_double_member (json_object_get_object_member (plain, "evaluation"), "brier"));
      /* measured against the decisions */
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (assay_test_signal_named (decided, "answer"), "measured"),
                                                   "decided"), ==, 100);
      g_assert_true (json_object_get_null_member (assay_test_signal_named (plain, "answer"), "measured"));
      /* one fit per dataset stays */
      g_assert_cmpint (assay_signals_current_run (store, dataset), ==, json_object_get_int_member (decided, "run"));
      {
        g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM runs WHERE dataset_id = %" G_GINT64_FORMAT
                                                " AND kind = 'signals'", dataset);
        g_assert_cmpint (assay_store_query_int (store, sql, -1), ==, 1);
      }
    }
}

/* A signal that is noise (a random "reward model") beside one informative signal: without
 * decisions the fit cannot tell the classes apart and says so ("identified" false, its ranking
 * worse than the best signal's); 100 decisions restore it */
static void
test_noise_signal (void)
{
  g_autofree char *ws = processbench_workspace ("pb-noise.assay", FALSE);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) r = g_rand_new_with_seed (9);
  g_autoptr (JsonObject) plain = NULL, decided = NULL;
  AssaySignalsFitOptions ds;
  sqlite3_stmt *stmt;

  if (ws == NULL)
    return;
  store = assay_store_open (ws, &error);
  g_assert_no_error (error);
  stmt = assay_store_prepare (store, "UPDATE gen_records SET scores = json_object ('noise:min', ?) WHERE id = ?", &error);
  g_assert_no_error (error);
  for (gint64 id = 1; id <= 400; id++)
    {
      sqlite3_bind_double (stmt, 1, g_rand_double (r));
      sqlite3_bind_int64 (stmt, 2, id);
      g_assert_true (assay_store_step_done (store, stmt, &error));
    }
  assay_signals_fit_options_init (&ds);
  ds.automatic = FALSE; /* (Dawid-Skene is the subject here) */
  plain = assay_signals_fit (store, 1, &ds, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_exec (store, "UPDATE gen_records SET status = CASE WHEN step_label = -1 THEN 'accepted' "
                                          "ELSE 'rejected' END WHERE dataset_id = 1 AND id % 4 = 0", &error));
  decided = assay_signals_fit (store, 1, &ds, NULL, &error);
  g_assert_no_error (error);
  for (int round = 0; round < 2; round++)
    {
      JsonObject *fit = round == 0 ? plain : decided;
      JsonObject *ev = json_object_get_object_member (fit, "evaluation");
      g_test_message ("GSM8K with a noise signal, %lld decisions: AUROC %.4f (best signal %.4f), prior %.3f, identified %d",
                      (long long) json_object_get_int_member (fit, "decided"), json_object_get_double_member (ev, "auroc"),
                      json_object_get_double_member (ev, "best_signal_auroc"), json_object_get_double_member (fit, "prior"),
                      json_object_get_boolean_member (fit, "identified"));
    }
  g_assert_false (json_object_get_boolean_member (plain, "identified"));
  g_assert_true (json_object_get_boolean_member (decided, "identified"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (decided, "evaluation"), "auroc"), >=,
                     json_object_get_double_member (json_object_get_object_member (decided, "evaluation"), "best_signal_auroc") - 0.005);
  /* the matrix-completion model on the same signals, without the 100 decisions and with them:
   * unlike EM it ranks as well as the informative signal without any */
  for (int round = 0; round < 2; round++)
    {
      AssaySignalsFitOptions mo;
      g_autoptr (JsonObject) fit = NULL;
      JsonObject *ev;
      assay_signals_fit_options_init (&mo);
      mo.automatic = FALSE;
      mo.matrix_completion = TRUE;
      mo.use_decisions = round == 1;
      fit = assay_signals_fit (store, 1, &mo, NULL, &error);
      g_assert_no_error (error);
      ev = json_object_get_object_member (fit, "evaluation");
      g_test_message ("matrix completion, %lld decisions: AUROC %.4f (best signal %.4f)",
                      (long long) json_object_get_int_member (fit, "decided"), json_object_get_double_member (ev, "auroc"),
                      json_object_get_double_member (ev, "best_signal_auroc"));
      /* (it takes the class balance as given, and the noise does not pull it into one class) */
      g_assert_cmpfloat (json_object_get_double_member (ev, "auroc"), >=,
                         json_object_get_double_member (ev, "best_signal_auroc") - 0.01);
    }
}

/* The test plays the reviewer with the first-error labels: in order of doubt (the fit again
 * after every ten decisions) against import order, wrong traces found in the first 100. The
 * traces come in a random order (ProcessBench's files list the wrong ones first). */
static void
test_review_order (void)
{
  g_autofree char *ws = processbench_workspace ("pb-review.assay", TRUE);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssaySignals) s = NULL;
  g_autoptr (GHashTable) truth = g_hash_table_new (NULL, NULL);
  AssayGenFilter f;
  guint found[3] = { 0, 0, 0 }, wrong_total = 0;

  if (ws == NULL)
    return;
  store = assay_store_open (ws, &error);
  g_assert_no_error (error);
  s = assay_signals_read (store, 2, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < s->n; i++)
    {
      g_hash_table_insert (truth, GSIZE_TO_POINTER ((gsize) s->ids[i]), GINT_TO_POINTER (s->truth[i]));
      wrong_total += s->truth[i] == 0;
    }
  for (int order = 0; order < 3; order++)
    {
      guint reviewed = 0;
      /* every record back to pending */
      g_assert_true (assay_store_exec (store, "UPDATE gen_records SET status = 'pending'", &error));
      while (reviewed < 100)
        {
          g_autoptr (JsonObject) fit = NULL;
          g_autoptr (GArray) ids = NULL;
          assay_gen_filter_init (&f);
          f.dataset = 2;
          f.status = ASSAY_GEN_PENDING;
          f.order = (AssayGenOrder) order;
          if (order != ASSAY_GEN_ORDER_IMPORT)
            {
              fit = assay_signals_fit (store, 2, NULL, NULL, &error);
              g_assert_no_error (error);
            }
          ids = assay_gen_query_ids (store, &f, &error);
          g_assert_no_error (error);
          /* next pending agrees with the view's first */
          g_assert_cmpint (assay_gen_query_next (store, &f, 0, &error), ==, g_array_index (ids, gint64, 0));
          for (guint k = 0; k < 10; k++, reviewed++)
            {
              gint64 id = g_array_index (ids, gint64, k);
              gboolean good = GPOINTER_TO_INT (g_hash_table_lookup (truth, GSIZE_TO_POINTER ((gsize) id)));
              found[order] += !good;
              g_assert_true (assay_gen_set_status (store, id, good ? ASSAY_GEN_ACCEPTED : ASSAY_GEN_REJECTED, &error));
            }
        }
    }
  g_test_message ("wrong traces found in the first 100 reviewed (MATH shuffled, %u of %u wrong): import order %u, likeliest "
                  "wrong first %u, most uncertain first %u", wrong_total, s->n, found[0], found[1], found[2]);
  g_assert_cmpuint (found[0], <=, 75); /* about the share of wrong traces, 59% */
  g_assert_cmpuint (found[1], >=, found[0] + 25);
  g_assert_cmpuint (found[1], >=, 95);
}

/* The command line: fit and show with --json, and what it refuses */
static void
test_cli (void)
{
  g_autofree char *ws = assay_test_path ("signals-cli.assay");
  g_autofree char *jsonl = NULL;
  g_autoptr (GString) rows = g_string_new (NULL);
  g_autofree char *err = NULL;

  g_unlink (ws);
  /* candidates (three per question) whose written sum is wrong one time in three */
  for (int i = 0; i < 60; i++)
    g_string_append_printf (rows,
                            "{\"question\": \"q%d\", \"response\": \"%d + 1 = %d. The answer is %d\", \"answer\": \"%d\"}\n",
                            i % 20, i % 20, i % 20 + 1 + (i % 3 == 0), i % 20 + 1 + (i % 3 == 0), i % 20 + 1);
  jsonl = assay_test_write_file ("signals.jsonl", rows->str);
  {
    const char *args[] = { "traces", "import", "-w", ws, "--json", jsonl, NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
    g_autoptr (GError) error = NULL;
    g_assert_cmpint (json_object_get_int_member (o, "traces"), ==, 60);
    /* model scores as a judge's run writes them: a rating that tracks correctness, one that does
     * not vary, one that is not a number, and one nested past any sense */
    g_assert_true (assay_store_exec (store,
                                     "UPDATE gen_records SET scores = json_object ('judge', CASE WHEN correct "
                                     "THEN 4 + id % 2 ELSE 1 + id % 2 END, 'flat', 3, 'deep', json ('[[[1]]]'))",
                                     &error));
    g_assert_no_error (error);
    g_assert_true (assay_store_exec (store, "UPDATE gen_records SET scores = '{\"judge\": ' || "
                                     "replace (hex (zeroblob (20000)), '00', '[') WHERE id = 2", &error));
    g_assert_no_error (error);
    /* the duplicate signal: bad exactly for a text an earlier record already has (some of the
     * candidates repeat one another word for word) */
    {
      g_autoptr (AssaySignals) sig = assay_signals_read (store, 1, &error);
      g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      int dup = -1;
      guint repeats = 0;
      g_assert_no_error (error);
      dup = signal_index (sig, "duplicate");
      g_assert_cmpint (dup, >=, 0);
      for (guint i = 0; i < sig->n; i++)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT text FROM gen_records WHERE id = %lld", (long long) sig->ids[i]);
          sqlite3_stmt *t = assay_store_prepare (store, sql, NULL);
          gboolean again;
          g_assert_cmpint (sqlite3_step (t), ==, SQLITE_ROW);
          again = !g_hash_table_add (seen, g_strdup ((const char *) sqlite3_column_text (t, 0)));
          sqlite3_reset (t);
          repeats += again;
          g_assert_cmpint (sig->votes[i * sig->m + dup], ==, again ? 0 : 1);
        }
      g_assert_cmpuint (repeats, >, 5);
    }
    /* found once, kept until a text changes: the next fit reuses them, an edit makes them found
     * again (the edited record now repeats record 1) */
    {
      g_autoptr (JsonObject) fit = assay_signals_fit (store, 1, NULL, NULL, &error);
      g_autoptr (AssaySignals) again = NULL, after = NULL;
      int dup = -1;
      g_assert_no_error (error);
      g_assert_true (json_object_has_member (fit, "cached"));
      g_assert_true (assay_store_exec (store, "UPDATE gen_records SET edited = (SELECT text FROM gen_records WHERE id = 1) "
                                              "WHERE id = 2", &error));
      again = assay_signals_read (store, 1, &error);
      g_assert_no_error (error);
      g_assert_false (again->duplicates_reused);
      dup = signal_index (again, "duplicate");
      g_assert_cmpint (dup, >=, 0);
      g_assert_cmpint (again->votes[1 * again->m + dup], ==, 0); /* record 2, after record 1 */
      after = assay_signals_read (store, 1, &error);
      g_assert_true (after->duplicates_reused);
      /* a cache written by hand (nested past any sense, or not a list of ids): found again */
      {
        const char *bad[] = { "[1.5, \"x\", null, [2]]", "[{\"id\": 1}]", "7", NULL };
        g_autofree char *opening = g_strnfill (100000, '['), *closing = g_strnfill (100000, ']');
        g_autofree char *deep = g_strconcat (opening, closing, NULL);
        for (int b = 0; b < 4; b++)
          {
            g_autoptr (AssaySignals) tampered = NULL;
            sqlite3_stmt *u = assay_store_prepare (store, "UPDATE signal_cache SET data = ? WHERE dataset_id = 1", NULL);
            sqlite3_bind_text (u, 1, b < 3 ? bad[b] : deep, -1, SQLITE_TRANSIENT);
            g_assert_cmpint (sqlite3_step (u), ==, SQLITE_DONE);
            sqlite3_reset (u);
            tampered = assay_signals_read (store, 1, &error);
            g_assert_no_error (error);
            g_assert_false (tampered->duplicates_reused);
          }
      }
      g_assert_true (assay_store_exec (store, "UPDATE gen_records SET edited = NULL WHERE id = 2", &error));
      /* a text without a word (punctuation only) says nothing either way */
      {
        g_autoptr (AssaySignals) punct = NULL;
        g_assert_true (assay_store_exec (store, "UPDATE gen_records SET edited = '  ?! ... ' WHERE id = 3", &error));
        punct = assay_signals_read (store, 1, &error);
        g_assert_no_error (error);
        g_assert_cmpint (punct->votes[2 * punct->m + dup], ==, -1);
        g_assert_true (assay_store_exec (store, "UPDATE gen_records SET edited = NULL WHERE id = 3", &error));
      }
    }
  }
  {
    const char *args[] = { "signals", "fit", "-w", ws, "--dataset", "1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    JsonObject *judge = assay_test_signal_named (o, "score:judge");
    g_assert_nonnull (o);
    g_assert_cmpint (json_object_get_int_member (o, "records"), ==, 60);
    g_assert_nonnull (judge);
    g_assert_null (assay_test_signal_named (o, "score:flat"));   /* one value: says nothing */
    g_assert_null (assay_test_signal_named (o, "score:deep"));   /* not a number */
    g_assert_nonnull (assay_test_signal_named (o, "answer"));
    g_assert_nonnull (assay_test_signal_named (o, "arithmetic"));
    g_assert_nonnull (assay_test_signal_named (o, "consistency"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (judge, "categories")), ==, 4);
    /* what each rating says, learned: low ratings bad, high good */
    g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (json_object_get_array_member (judge, "categories"), 0), "p_good"), <, 0.35);
    g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (json_object_get_array_member (judge, "categories"), 3), "p_good"), >, 0.65);
    g_assert_false (json_object_has_member (o, "evaluation")); /* no first-error labels */
  }
  {
    const char *args[] = { "signals", "show", "-w", ws, "--dataset", "1", "--top", "5", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    JsonArray *records = json_object_get_array_member (o, "ranked");
    g_assert_cmpuint (json_array_get_length (records), ==, 5);
    for (guint i = 0; i < 5; i++)
      {
        g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
        g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, json_object_get_int_member (json_array_get_object_element (records, i), "id"), NULL);
        g_assert_nonnull (r);
        g_assert_cmpint (r->correct, ==, 0); /* the likeliest wrong are the wrong ones */
      }
  }
  {
    /* the review list in order of doubt agrees with "signals show" */
    const char *args[] = { "gen", "list", "-w", ws, "--dataset", "1", "--order", "likely-wrong", "--limit", "5", "--json", NULL };
    const char *show[] = { "signals", "show", "-w", ws, "--dataset", "1", "--top", "5", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_autoptr (JsonObject) p = assay_test_cli_json (show, 0, NULL);
    JsonArray *a = json_object_get_array_member (o, "records"), *b = json_object_get_array_member (p, "ranked");
    for (guint i = 0; i < 5; i++)
      g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, i), "id"), ==,
                       json_object_get_int_member (json_array_get_object_element (b, i), "id"));
  }
  {
    const char *args[] = { "gen", "list", "-w", ws, "--order", "sideways", NULL };
    assay_test_cli_json (args, 2, NULL);
  }
  {
    const char *args[] = { "signals", "fit", "-w", ws, "--dataset", "7", NULL };
    assay_test_cli_json (args, 1, &err);
    g_assert_nonnull (strstr (err, "7"));
    g_clear_pointer (&err, g_free);
  }
  {
    /* (a negative --top lists every record) */
    const char *args[] = { "signals", "show", "-w", ws, "--dataset", "1", "--top", "-1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "ranked")), ==, 60);
  }
  {
    const char *args[] = { "signals", "fit", "-w", ws, NULL };
    assay_test_cli_json (args, 2, NULL);
  }
  {
    /* label errors need labels: traces have none */
    const char *args[] = { "gen", "errors", "-w", ws, "--dataset", "1", NULL };
    assay_test_cli_json (args, 1, &err);
    g_assert_nonnull (strstr (err, "labels"));
    g_clear_pointer (&err, g_free);
  }
}

/* gen errors: 2 000 AG News texts as label-conditioned records, 10% of their labels flipped by
 * the test; the flips found (precision, recall) beside the naive baseline, each record's
 * label_fit written where the label model reads it */
static void
test_gen_errors (void)
{
  const char *data = assay_test_shared_data ();
  static const char *const classes[] = { "World", "Sports", "Business", "Sci/Tech" };
  g_autofree char *csv = NULL, *text = NULL, *jsonl = NULL, *ws = assay_test_path ("gen-errors.assay");
  g_autoptr (GString) rows = g_string_new (NULL);
  g_autoptr (GHashTable) flipped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRand) r = g_rand_new_with_seed (3);
  g_auto (GStrv) lines = NULL;

  if (data == NULL)
    return;
  csv = g_build_filename (data, "text", "ag_news_test.csv", NULL);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", 2001);
  for (guint i = 0; i < 2000; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], "\",\"", 3);
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      g_autofree char *id = g_strdup_printf ("d%u", i), *body = NULL, *line = NULL;
      int c = atoi (f[0] + 1) - 1;
      g_assert_cmpuint (g_strv_length (f), ==, 3);
      body = g_strdup_printf ("%s. %s", f[1], f[2]);
      body[strlen (body) - 1] = '\0';
      if (g_rand_double (r) < 0.1)
        {
          c = (c + g_rand_int_range (r, 1, 4)) % 4;
          g_hash_table_add (flipped, g_strdup (id));
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "prompt");
      json_builder_add_string_value (b, "Rewrite the news item.");
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, body);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, classes[CLAMP (c, 0, 3)]);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      line = json_to_string (node, FALSE);
      g_string_append_printf (rows, "%s\n", line);
    }
  jsonl = assay_test_write_file ("gen-errors.jsonl", rows->str);
  g_unlink (ws);
  {
    const char *args[] = { "gen", "import", "-w", ws, "--map", "prompt=prompt,text=text,condition=label,ext_id=id",
                           "--json", jsonl, NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (o, "imported"), ==, 2000);
  }
  {
    const char *args[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--baseline", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
    JsonArray *found = json_object_get_array_member (o, "errors"), *base = json_object_get_array_member (o, "baseline");
    guint tp = 0, tb = 0, planted = g_hash_table_size (flipped), near_given = 0, near_suggested = 0, kw_words = 0;
    double precision, recall;

    for (guint k = 0; k < json_array_get_length (found); k++)
      {
        JsonObject *e = json_array_get_object_element (found, k);
        g_autofree char *sql = g_strdup_printf ("SELECT json_extract (scores, '$.label_fit') FROM gen_records WHERE id = %lld",
                                                (long long) json_object_get_int_member (e, "record"));
        sqlite3_stmt *stmt = assay_store_prepare (store, sql, NULL);
        tp += g_hash_table_contains (flipped, json_object_get_string_member (e, "ext_id"));
        /* self-confidence ranking: the score is the label fit written to the record */
        g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
        g_assert_cmpfloat (fabs (sqlite3_column_double (stmt, 0) - json_object_get_double_member (e, "score")), <, 1e-9);
        sqlite3_reset (stmt);
        g_assert_cmpstr (json_object_get_string_member (e, "label"), !=, json_object_get_string_member (e, "suggested"));
        /* evidence: the nearest records and the labels' words (the first 500 errors), never the
         * record itself; each word is in the record's text */
        if (k < 500)
          {
            JsonObject *kw = json_object_get_object_member (e, "keywords");
            g_autofree char *lower = NULL;
            {
              g_autofree char *sql = g_strdup_printf ("SELECT lower (coalesce (edited, text)) FROM gen_records WHERE id = %lld",
                                                      (long long) json_object_get_int_member (e, "record"));
              sqlite3_stmt *ts = assay_store_prepare (store, sql, NULL);
              g_assert_cmpint (sqlite3_step (ts), ==, SQLITE_ROW);
              lower = g_strdup ((const char *) sqlite3_column_text (ts, 0));
              sqlite3_reset (ts);
            }
            for (int w = 0; w < 2; w++)
              {
                JsonArray *a = json_object_get_array_member (kw, w == 0 ? "given" : "suggested");
                g_assert_cmpuint (json_array_get_length (a), <=, 8);
                for (guint z = 0; z < json_array_get_length (a); z++)
                  g_assert_nonnull (strstr (lower, json_array_get_string_element (a, z)));
                kw_words += json_array_get_length (a);
              }
          }
        if (k < 500)
          {
            JsonArray *near = json_object_get_array_member (e, "neighbours");
            g_assert_cmpuint (json_array_get_length (near), >=, 1);
            g_assert_cmpuint (json_array_get_length (near), <=, 3);
            for (guint z = 0; z < json_array_get_length (near); z++)
              {
                JsonObject *m = json_array_get_object_element (near, z);
                const char *l = json_object_get_string_member (m, "label");
                g_assert_cmpint (json_object_get_int_member (m, "record"), !=, json_object_get_int_member (e, "record"));
                near_given += g_str_equal (l, json_object_get_string_member (e, "label"));
                near_suggested += g_str_equal (l, json_object_get_string_member (e, "suggested"));
              }
          }
        else
          g_assert_false (json_object_has_member (e, "neighbours"));
      }
    g_test_message ("nearest records of the errors found: %u carry the suggested label, %u the given one",
                    near_suggested, near_given);
    g_assert_cmpuint (near_suggested, >, near_given);
    g_assert_cmpuint (kw_words, >, json_array_get_length (found));
    for (guint k = 0; k < json_array_get_length (base); k++)
      tb += g_hash_table_contains (flipped, json_object_get_string_member (json_array_get_object_element (base, k), "ext_id"));
    precision = (double) tp / json_array_get_length (found);
    recall = (double) tp / planted;
    g_test_message ("gen errors on AG News, %u of 2000 labels flipped: %u found, precision %.3f, recall %.3f; "
                    "baseline precision %.3f, recall %.3f", planted, json_array_get_length (found), precision, recall,
                    (double) tb / json_array_get_length (base), (double) tb / planted);
    g_assert_cmpfloat (precision, >=, 0.45);
    g_assert_cmpfloat (recall, >=, 0.7);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE json_extract (scores, "
                                                   "'$.label_fit') IS NOT NULL", 0), ==, 2000);
  }
  {
    /* dismissed errors stay out of later searches, and the dismissal is undone like a decision
     * (and --neighbours 0 keeps no evidence) */
    const char *args[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--neighbours", "0", "--json", NULL };
    const char *with[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--include-dismissed", "--json", NULL };
    g_autoptr (JsonObject) before = assay_test_cli_json (args, 0, NULL);
    JsonObject *first = json_array_get_object_element (json_object_get_array_member (before, "errors"), 0);
    g_autofree char *item = g_strdup_printf ("%lld", (long long) json_object_get_int_member (first, "record"));
    const char *dismiss[] = { "signals", "dismiss", "-w", ws, "--dataset", "1", "--item", item, "--label",
                              json_object_get_string_member (first, "label"), NULL };
    const char *undo[] = { "undo", "-w", ws, NULL };
    guint found = json_array_get_length (json_object_get_array_member (before, "errors"));
    g_autoptr (JsonObject) again = NULL, all = NULL, undone = NULL;

    g_assert_false (json_object_has_member (first, "neighbours"));
    assay_test_cli_json (dismiss, 0, NULL);
    assay_test_cli_json (dismiss, 0, NULL); /* twice: still one */
    again = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (again, "dismissed"), ==, 1);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (again, "errors")), ==, found - 1);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (again, "errors"), 0),
                                                 "record"), !=, json_object_get_int_member (first, "record"));
    all = assay_test_cli_json (with, 0, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (all, "errors")), ==, found);
    assay_test_cli_json (undo, 0, NULL);
    undone = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpint (json_object_get_int_member (undone, "dismissed"), ==, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (undone, "errors")), ==, found);
  }
  {
    /* the label fit is a signal */
    const char *args[] = { "signals", "fit", "-w", ws, "--dataset", "1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_assert_nonnull (assay_test_signal_named (o, "score:label_fit"));
  }
  {
    /* folds out of range: refused naming the option */
    g_autofree char *err = NULL;
    const char *args[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--folds", "1", NULL };
    assay_test_cli_json (args, 2, &err);
    g_assert_nonnull (strstr (err, "--folds must be between 2 and 100"));
  }
  {
    /* the embeddings' model: without a set, refused naming the way to make one; a bad option */
    g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL;
    const char *latest[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--embeddings", "latest", NULL };
    const char *alone[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--probabilities", "embeddings", NULL };
    const char *missing[] = { "gen", "errors", "-w", ws, "--dataset", "1", "--embeddings", "9", NULL };
    assay_test_cli_json (latest, 1, &err);
    g_assert_nonnull (strstr (err, "has no embedding set of its texts"));
    assay_test_cli_json (alone, 2, &err2);
    g_assert_nonnull (strstr (err2, "needs --embeddings"));
    assay_test_cli_json (missing, 1, &err3);
    g_assert_nonnull (strstr (err3, "No embedding set 9"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signals/arith", test_arith);
  g_test_add_func ("/signals/fit-processbench", test_fit_processbench);
  g_test_add_func ("/signals/review-order", test_review_order);
  g_test_add_func ("/signals/noise-signal", test_noise_signal);
  g_test_add_func ("/signals/cli", test_cli);
  g_test_add_func ("/signals/gen-errors", test_gen_errors);
  return g_test_run ();
}
