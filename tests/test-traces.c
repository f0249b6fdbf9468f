/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Traces end to end on a tiny model pair made here: a random reference and a copy whose output
 * layer favours the token "e". Stored log-probs against a float64 forward pass, the sign of the
 * credit on the favoured tokens, rewards and step rewards against sums written here, re-ranking
 * on constructed candidates, imports (ProcessBench against the file read with json-glib,
 * candidates, TRL), bad input, and the command-line contract. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-lm-demo.h"
#include "assay-lm-tokenizer.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"
#include "assay-trace-credit.h"
#include "assay-trace-eval.h"
#include "assay-trace-import.h"
#include "assay-trace-tokens.h"

#define FAVOURED 101 /* byte-level id of "e" in the test tokenizer */

static AssayTestLmSpec
spec (void)
{
  AssayTestLmSpec s = { 0 };

  s.arch = ASSAY_LM_QWEN2;
  s.hidden = 32;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.inter = 48;
  s.vocab = 300;
  s.max_positions = 512;
  s.dtype = ASSAY_DTYPE_F32;
  s.anchor = TRUE;
  return s;
}

typedef struct
{
  AssayTestLm *reference, *policy;
} Pair;

static void
pair_make (Pair *p, const char *name)
{
  AssayTestLmSpec  s = spec ();
  g_autofree char *ref = assay_test_path (name);
  g_autofree char *pol = g_strconcat (ref, "-policy", NULL);

  p->reference = assay_test_lm_write (ref, &s, 5);
  p->policy = assay_test_lm_write (pol, &s, 5);
  assay_test_lm_favour (p->policy, FAVOURED, 40.0);
}

static void
pair_clear (Pair *p)
{
  assay_test_lm_free (p->reference);
  assay_test_lm_free (p->policy);
}

static const char candidates[] =
  "{\"question\": \"What is 3 + 4?\", \"response\": \"Step 1: add.\\n### Answer: 3\", \"answer\": \"7\"}\n"
  "{\"question\": \"What is 3 + 4?\", \"response\": \"Step 1: add.\\n### Answer: 3\", \"answer\": \"7\"}\n"
  "{\"question\": \"What is 3 + 4?\", \"response\": \"Step 1: eeeeeeee.\\n### Answer: 7\", \"answer\": \"7\"}\n"
  "{\"question\": \"What is 3 + 4?\", \"response\": \"Step 1: add.\\n### Answer: 9\", \"answer\": \"7\"}\n"
  "{\"question\": \"What is 2 + 3?\", \"response\": \"### Answer: 5\", \"answer\": \"5\"}\n"
  "{\"question\": \"What is 2 + 3?\", \"response\": \"### Answer: 6\", \"answer\": \"5\"}\n";

static const char processbench[] =
  "[{\"id\": \"pb-0\", \"generator\": \"test\", \"problem\": \"Tom has 3 apples and eats one.\","
  "  \"steps\": [\"Tom has 3 apples.\", \"He eats one, so 3 - 1 = 2.\", \"The answer is 2.\"],"
  "  \"label\": -1, \"final_answer_correct\": true},"
  " {\"id\": \"pb-1\", \"generator\": \"test\", \"problem\": \"Sue has 5 pens and gives 2 away.\","
  "  \"steps\": [\"Sue has 5 pens.\", \"She gives 2, so 5 + 2 = 7.\", \"The answer is 7.\"],"
  "  \"label\": 1, \"final_answer_correct\": false}]";

static AssayBackend *
cpu (void)
{
  char          err[256];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);

  g_assert_nonnull (b);
  return b;
}

static gint64
run_credit (AssayStore *store, Pair *p, GError **error)
{
  AssayTraceCreditOptions o = { (char *) assay_test_lm_dir (p->policy),
                                (char *) assay_test_lm_dir (p->reference), 0, 512, 0 };
  AssayBackend *b = cpu ();
  JsonObject   *result = NULL;
  gint64        run = -1;

  if (assay_trace_credit (store, &o, b, NULL, NULL, NULL, &result, error))
    {
      run = json_object_get_int_member (result, "run");
      json_object_unref (result);
    }
  assay_backend_free (b);
  return run;
}

static void
test_end_to_end (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("traces-e2e.db");
  g_autofree char *cand = assay_test_write_file ("traces-cand.jsonl", candidates);
  g_autofree char *pb = assay_test_write_file ("traces-pb.json", processbench);
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (JsonObject) m = NULL;
  AssayTraceImportResult r;
  Pair   p;
  gint64 run;
  double max_diff = 0.0;
  int    favoured = 0, others = 0, others_lost = 0;
  sqlite3_stmt *stmt;

  pair_make (&p, "traces-model");
  g_assert_true (assay_trace_import (store, cand, ASSAY_TRACE_FORMAT_AUTO, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.traces, ==, 6);
  g_assert_cmpuint (r.questions, ==, 2);
  g_assert_cmpuint (r.correct, ==, 2); /* "7" of the first question, "5" of the second */
  g_assert_cmpuint (r.judged, ==, 6);
  g_assert_true (assay_trace_import (store, pb, ASSAY_TRACE_FORMAT_PROCESSBENCH, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.traces, ==, 2);

  run = run_credit (store, &p, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run, >, 0);
  tok = assay_lm_tokenizer_load (assay_test_lm_dir (p.reference), &error);
  g_assert_no_error (error);

  stmt = assay_store_prepare (store, "SELECT id, prompt, text, steps FROM gen_records ORDER BY id", &error);
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64           id = sqlite3_column_int64 (stmt, 0);
      g_autofree char *context = assay_trace_context ((const char *) sqlite3_column_text (stmt, 1));
      const char      *text = (const char *) sqlite3_column_text (stmt, 2);
      g_autoptr (AssayTraceTokens) t = assay_trace_tokens_load (store, run, id, 0, &error);
      g_autoptr (GArray) pids = NULL, rids = NULL;
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
      g_autofree double *lp = NULL, *ref = NULL;
      double sum = 0.0;

      g_assert_no_error (error);
      pids = assay_lm_tokenizer_encode (tok, context, NULL, &error);
      rids = assay_lm_tokenizer_encode (tok, text, NULL, &error);
      g_assert_no_error (error);
      g_array_append_vals (ids, pids->data, pids->len);
      g_array_append_vals (ids, rids->data, rids->len);
      g_assert_cmpint (t->n_tokens, ==, (int) rids->len);
      /* the float64 reference forward pass of each model over the same ids */
      lp = assay_test_lm_reference (p.policy, (const int *) ids->data, (int) ids->len, (int) pids->len);
      ref = assay_test_lm_reference (p.reference, (const int *) ids->data, (int) ids->len, (int) pids->len);
      for (int i = 0; i < t->n_tokens; i++)
        {
          int tid = g_array_index (rids, int, i);
          max_diff = MAX (max_diff, fabs (t->logprobs[i] - lp[i]));
          max_diff = MAX (max_diff, fabs (t->ref_logprobs[i] - ref[i]));
          g_assert_cmpfloat (fabs (t->credit[i] - ((double) t->logprobs[i] - t->ref_logprobs[i])), <, 1e-12);
          /* the favoured token gains, the others lose */
          if (tid == FAVOURED)
            {
              g_assert_cmpfloat (t->credit[i], >, 0.0);
              g_assert_cmpfloat (t->credit[i] - t->mean, >, 0.0);
              favoured++;
            }
          else
            {
              others_lost += t->credit[i] < 0.0;
              if (t->credit[i] >= 0.0)
                g_test_message ("record %lld token %d (id %d): credit %g", (long long) id, i, tid, t->credit[i]);
              others++;
            }
          sum += t->credit[i];
        }
      g_assert_cmpfloat (fabs (t->reward - sum), <, 1e-9 * MAX (1.0, fabs (sum)));
      /* step rewards: the credit of the tokens starting in each step (before the first: the
       * first; between steps: the one before) */
      g_assert_cmpint (t->n_steps, >, 0);
      for (int s = 0; s < t->n_steps; s++)
        {
          double want = 0.0;
          for (int i = 0; i < t->n_tokens; i++)
            {
              guint b = t->offsets[2 * i];
              int   owner = 0;
              for (int k = 0; k < t->n_steps; k++)
                if (t->steps[k].begin <= b)
                  owner = k;
              if (owner == s)
                want += t->credit[i];
            }
          g_assert_cmpfloat (fabs (t->step_rewards[s] - want), <, 1e-9 * MAX (1.0, fabs (want)));
        }
      if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        g_assert_cmpint (t->n_steps, ==, 3); /* ProcessBench's own steps */
    }
  sqlite3_reset (stmt);
  g_test_message ("max |stored - float64| over both models: %.2e; %d favoured tokens, %d of %d "
                  "others with negative credit", max_diff, favoured, others_lost, others);
  g_assert_cmpfloat (max_diff, <=, 1e-4);
  g_assert_cmpint (favoured, >, 8);
  g_assert_cmpint (others, >, 50);
  /* the favoured logit rose at every position: every other token loses */
  g_assert_cmpint (others_lost, ==, others);

  /* re-ranking on the constructed candidates: 4 for the first question, 2 for the second */
  m = assay_trace_eval (store, run, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (m, "questions"), ==, 2 + 2); /* + ProcessBench problems */
  {
    JsonArray *n = json_object_get_array_member (m, "n");
    JsonArray *maj = json_object_get_array_member (m, "majority");
    JsonArray *best = json_object_get_array_member (m, "best_of_n");
    JsonArray *wtd = json_object_get_array_member (m, "weighted");
    JsonArray *any = json_object_get_array_member (m, "any_correct");
    g_assert_cmpuint (json_array_get_length (n), ==, 3);
    g_assert_cmpint (json_array_get_int_element (n, 0), ==, 1);
    g_assert_cmpint (json_array_get_int_element (n, 2), ==, 4);
    /* N = 1: the first candidates: wrong ("3"), right ("5"), and the two ProcessBench traces
     * (first right, second wrong): 2 of 4 */
    g_assert_cmpfloat (json_array_get_double_element (maj, 0), ==, 0.5);
    /* N = 4: only the first question: the vote picks "3", R picks the "eeee" candidate ("7") */
    g_assert_cmpfloat (json_array_get_double_element (maj, 2), ==, 0.0);
    g_assert_cmpfloat (json_array_get_double_element (best, 2), ==, 1.0);
    g_assert_cmpfloat (json_array_get_double_element (wtd, 2), ==, 1.0);
    g_assert_cmpfloat (json_array_get_double_element (any, 2), ==, 1.0);
    /* the policy's self-certainty is stored with every trace (a mean of non-negative KLs), and
     * best-of-N by it at N = 4 picks the first question's most certain candidate */
    {
      JsonArray *cert = json_object_get_array_member (m, "best_of_n_certainty");
      g_autofree char *sql = g_strdup_printf ("SELECT r.correct FROM trace_tokens t JOIN gen_records r ON r.id = t.record_id "
                                              "WHERE t.run_id = %" G_GINT64_FORMAT " AND t.side = 0 AND r.prompt = "
                                              "(SELECT prompt FROM gen_records GROUP BY prompt HAVING count(*) = 4) "
                                              "ORDER BY t.certainty DESC, r.id LIMIT 1", run);
      g_autofree char *bad = g_strdup_printf ("SELECT count(*) FROM trace_tokens WHERE run_id = %" G_GINT64_FORMAT
                                              " AND side = 0 AND (certainty IS NULL OR certainty < 0)", run);
      g_assert_nonnull (cert);
      g_assert_cmpint (assay_store_query_int (store, bad, -1), ==, 0);
      g_assert_cmpfloat (json_array_get_double_element (cert, 2), ==, (double) assay_store_query_int (store, sql, -1));
    }
  }
  /* two labelled ProcessBench traces (fewer than 4: calibrated and judged on both) */
  g_assert_cmpstr (json_object_get_string_member (m, "threshold_source"), ==, "calibrated");
  g_assert_cmpint (json_object_get_int_member (m, "calibration_traces"), ==, 2);
  g_assert_false (json_object_get_null_member (m, "processbench_f1"));
  g_assert_true (json_object_has_member (m, "pairs"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (m, "pairs"), "n"), >, 0);
  /* the stored predictions follow the run's threshold */
  {
    double    threshold = json_object_get_double_member (m, "threshold");
    g_autoptr (AssayTraceTokens) t = NULL;
    gint64    last = assay_store_query_int (store, "SELECT max(id) FROM gen_records", 0);
    t = assay_trace_tokens_load (store, run, last, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->first_error, ==, assay_credit_first_error (t->step_rewards, t->n_steps, threshold));
  }
  pair_clear (&p);
}

/* ProcessBench's GSM8K split against the file read with json-glib. */
static void
test_import_processbench (void)
{
  g_autofree char *path = g_build_filename (assay_test_shared_data (), "reasoning", "processbench", "gsm8k.json", NULL);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GHashTable) problems = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  AssayTraceImportResult r;
  JsonArray *a;
  guint      correct = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no ProcessBench data");
      return;
    }
  store = assay_test_fresh_store ("traces-pb.db");
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  a = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      g_hash_table_add (problems, (gpointer) json_object_get_string_member (o, "problem"));
      correct += json_object_get_boolean_member (o, "final_answer_correct");
    }
  g_assert_true (assay_trace_import (store, path, ASSAY_TRACE_FORMAT_AUTO, NULL, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.traces, ==, json_array_get_length (a));
  g_assert_cmpuint (r.questions, ==, g_hash_table_size (problems));
  g_assert_cmpuint (r.correct, ==, correct);
  g_assert_cmpuint (r.judged, ==, json_array_get_length (a));
}

static void
test_bad_input (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("traces-bad.db");
  g_autofree char *noq = assay_test_write_file ("traces-noq.jsonl", "{\"text\": \"x\"}\n");
  g_autofree char *broken = assay_test_write_file ("traces-broken.jsonl",
    "{\"question\": \"q\", \"response\": \"a\"}\n{\"question\": \"q\", \"response\": \"b\"}\n{\"question\": \n");
  g_autofree char *cand = assay_test_write_file ("traces-cand2.jsonl", candidates);
  g_autoptr (GError) error = NULL;
  AssayTraceImportResult r;
  Pair   p;

  g_assert_false (assay_trace_import (store, noq, ASSAY_TRACE_FORMAT_JSONL, NULL, &r, NULL, &error));
  g_assert_nonnull (strstr (error->message, "traces-noq.jsonl"));
  g_clear_error (&error);
  g_assert_false (assay_trace_import (store, broken, ASSAY_TRACE_FORMAT_AUTO, NULL, &r, NULL, &error));
  g_assert_nonnull (strstr (error->message, "traces-broken.jsonl"));
  g_assert_nonnull (strstr (error->message, "3"));
  g_clear_error (&error);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records", -1), ==, 0);
  g_assert_false (assay_trace_import (store, "/nonexistent/traces.jsonl", ASSAY_TRACE_FORMAT_AUTO, NULL, &r, NULL, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/traces.jsonl"));
  g_clear_error (&error);

  /* no traces yet; then a model folder that does not exist: named, and no run left behind */
  pair_make (&p, "traces-bad-model");
  g_assert_cmpint (run_credit (store, &p, &error), <, 0);
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_true (assay_trace_import (store, cand, ASSAY_TRACE_FORMAT_AUTO, NULL, &r, NULL, &error));
  {
    AssayTraceCreditOptions o = { (char *) "/nonexistent/policy", (char *) assay_test_lm_dir (p.reference), 0, 0, 0 };
    AssayBackend *b = cpu ();
    JsonObject   *result = NULL;
    g_assert_false (assay_trace_credit (store, &o, b, NULL, NULL, NULL, &result, &error));
    g_assert_nonnull (strstr (error->message, "/nonexistent/policy"));
    g_clear_error (&error);
    assay_backend_free (b);
  }
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs", -1), ==, 0);

  /* unknown run; a damaged row names the record and the field */
  g_assert_null (assay_trace_eval (store, 999, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    gint64 run = run_credit (store, &p, &error);
    gint64 record = assay_store_query_int (store, "SELECT min(record_id) FROM trace_tokens", 0);
    g_assert_no_error (error);
    g_assert_true (assay_store_exec (store, "UPDATE trace_tokens SET logprobs = x'0000'", &error));
    g_assert_null (assay_trace_tokens_load (store, run, record, 0, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "logprobs"));
    g_clear_error (&error);
    g_assert_null (assay_trace_tokens_load (store, run, record, 1, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  }
  pair_clear (&p);
}


static void
test_cli (void)
{
  g_autofree char *ws = assay_test_path ("traces-cli.db");
  g_autofree char *cand = assay_test_write_file ("traces-cli.jsonl", candidates);
  g_autofree char *png = assay_test_path ("traces-cli.png");
  g_autofree char *svg = assay_test_path ("traces-cli.svg");
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) imp = NULL, credit = NULL, ev = NULL, ren = NULL;
  g_autofree char *run = NULL, *contents = NULL;
  gsize len;
  Pair p;

  g_remove (ws);
  pair_make (&p, "traces-cli-model");
  imp = assay_test_cli_json ((const char *[]) { "traces", "import", "-w", ws, cand, "--format", "jsonl", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (imp, "traces"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (imp, "questions"), ==, 2);
  credit = assay_test_cli_json ((const char *[]) { "traces", "credit", "-w", ws, "--policy", assay_test_lm_dir (p.policy),
                                        "--reference", assay_test_lm_dir (p.reference), "--backend", "cpu", "--json", NULL }, 0, NULL);
  g_assert_true (json_object_has_member (credit, "run"));
  run = g_strdup_printf ("%lld", (long long) json_object_get_int_member (credit, "run"));
  ev = assay_test_cli_json ((const char *[]) { "traces", "eval", "-w", ws, "--run", run, "--json", NULL }, 0, NULL);
  for (const char *const *k = (const char *[]) { "processbench_f1", "acc_erroneous", "acc_correct", "threshold",
                                                 "majority", "best_of_n", "weighted", NULL }; *k; k++)
    g_assert_true (json_object_has_member (ev, *k));
  ren = assay_test_cli_json ((const char *[]) { "traces", "render", "-w", ws, "--trace", "3", "--run", run, "--out", png, "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (ren, "tokens"), >, 10);
  g_assert_true (g_file_get_contents (png, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpint (memcmp (contents, "\x89PNG", 4), ==, 0);
  g_clear_pointer (&contents, g_free);
  assay_test_cli_json ((const char *[]) { "traces", "render", "-w", ws, "--trace", "3", "--run", run, "--out", svg, NULL }, 0, NULL);
  g_assert_true (g_file_get_contents (svg, &contents, &len, NULL));
  g_assert_nonnull (strstr (contents, "<svg"));
  /* failures: a figure of another kind, an unknown trace, a missing option */
  assay_test_cli_json ((const char *[]) { "traces", "render", "-w", ws, "--trace", "3", "--run", run, "--out", "x.txt", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "x.txt"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "traces", "render", "-w", ws, "--trace", "999", "--run", run, "--out", png, NULL }, 1, &err);
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "traces", "credit", "-w", ws, NULL }, 2, NULL);
  pair_clear (&p);
}

/* The demo's toy policy/reference pair: two loadable model folders whose credit favours what the
 * chosen texts use. Held-out pairs written with the chosen side's letters win by the DPO reward,
 * those written the other way round lose: the page has a meaningful picture to show. */
static void
test_demo_pair (void)
{
  g_autofree char *dir = assay_test_path ("demo-models");
  g_autofree char *policy = NULL, *reference = NULL;
  const char *chosen[] = { "The answer is 6: six apples, seen in the basket.", "Add the tens then the ones; the sum is seen.", NULL };
  const char *rejected[] = { "Wrong: 54, by mixing up units, you know.", "Guessing, I would say maybe around 40 or so.", NULL };
  g_autofree char *pairs = assay_test_write_file (
    "demo-pairs.jsonl",
    "{\"prompt\": \"Q1\", \"chosen\": \"eee seen see\", \"rejected\": \"wuwu yoyo\"}\n"
    "{\"prompt\": \"Q2\", \"chosen\": \"these sheep\", \"rejected\": \"mumu kuku\"}\n"
    "{\"prompt\": \"Q3\", \"chosen\": \"yoyo wuwu\", \"rejected\": \"eee seen see\"}\n");
  g_autoptr (AssayStore) store = assay_test_fresh_store ("demo-pair.assay");
  g_autoptr (GError) error = NULL;
  AssayTraceImportResult ir;
  AssayTraceCreditOptions o = { 0 };
  char          err[128];
  AssayBackend *b = assay_backend_cpu_new (1, err, sizeof err);
  JsonObject   *result = NULL;
  double        r[3][2];

  g_assert_true (assay_lm_demo_write_pair (dir, chosen, rejected, &policy, &reference, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (policy, "policy"));
  g_assert_true (assay_trace_import (store, pairs, ASSAY_TRACE_FORMAT_TRL, NULL, &ir, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ir.traces, ==, 3);
  o.policy = policy;
  o.reference = reference;
  g_assert_true (assay_trace_credit (store, &o, b, NULL, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    for (int side = 0; side < 2; side++)
      {
        g_autofree char *sql = g_strdup_printf ("SELECT t.reward * 1000000 FROM trace_tokens t JOIN gen_records g "
                                                "ON g.id = t.record_id WHERE g.prompt = 'Q%d' AND t.side = %d "
                                                "AND t.run_id = %lld", i + 1, side,
                                                (long long) json_object_get_int_member (result, "run"));
        r[i][side] = assay_store_query_int (store, sql, 0) / 1e6;
      }
  g_test_message ("rewards chosen/rejected: %.3f/%.3f %.3f/%.3f %.3f/%.3f", r[0][0], r[0][1], r[1][0],
                  r[1][1], r[2][0], r[2][1]);
  g_assert_cmpfloat (r[0][0], >, r[0][1]);
  g_assert_cmpfloat (r[1][0], >, r[1][1]);
  g_assert_cmpfloat (r[2][0], <, r[2][1]);

  /* deleting a record takes its token credit with it; undo brings back both, as they were */
  {
    gint64 id = assay_store_query_int (store, "SELECT id FROM gen_records WHERE prompt = 'Q2'", 0);
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *sql = g_strdup_printf ("SELECT group_concat (hex (logprobs) || hex (ref_logprobs) || ':' || reward || ':' || hex (step_rewards), ',') FROM "
                                            "(SELECT logprobs, ref_logprobs, reward, step_rewards FROM trace_tokens WHERE record_id = %lld "
                                            "ORDER BY side)", (long long) id);
    g_autofree char *label = NULL;
    sqlite3_stmt *stmt = assay_store_prepare (store, sql, &error);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    before = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
    g_assert_nonnull (before);
    g_assert_true (assay_gen_delete (store, &id, 1, &error));
    g_assert_no_error (error);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE prompt = 'Q2'", 0), ==, 0);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM trace_tokens t LEFT JOIN gen_records g "
                                                   "ON g.id = t.record_id WHERE g.id IS NULL", 0), ==, 0);
    g_assert_true (assay_store_undo (store, &label, &error));
    g_assert_cmpstr (label, ==, "Delete record 2");
    stmt = assay_store_prepare (store, sql, &error);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    after = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
    g_assert_cmpstr (after, ==, before);
    /* and the search index has it again */
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_fts WHERE gen_fts MATCH 'sheep'", 0), ==, 1);
    /* a record that is not there */
    {
      gint64 none = 99999;
      g_assert_false (assay_gen_delete (store, &none, 1, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  }
  json_object_unref (result);
  assay_backend_free (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/traces/end-to-end", test_end_to_end);
  g_test_add_func ("/traces/import-processbench", test_import_processbench);
  g_test_add_func ("/traces/bad-input", test_bad_input);
  g_test_add_func ("/traces/cli", test_cli);
  g_test_add_func ("/traces/demo-pair", test_demo_pair);
  return g_test_run ();
}
