/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reward models on the engine: tiny random outcome (LlamaForSequenceClassification,
 * Qwen2ForSequenceClassification with three labels) and process (Qwen2ForProcessRewardModel)
 * reward models against a plain float64 forward pass over the same weights, the PRM read at its
 * step separators through a chat template, and malformed heads refused by name. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-tokenizer.h"
#include "assay-reward-model.h"
#include "assay-trace-credit.h"
#include "assay-lm-pair.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"

/* The CPU backend, freed with the scope */
typedef AssayBackend Backend;
static void
backend_free (Backend *b)
{
  assay_backend_free (b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Backend, backend_free)

static Backend *
backend_new (void)
{
  char err[256];
  Backend *b = assay_backend_cpu_new (2, err, sizeof err);
  g_assert_nonnull (b);
  return b;
}

/* A tokenizer with the separator as an added special token (id 264) and a ChatML template, as
 * Qwen2.5-Math-PRM's folder has */
static void
add_chat (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *cfg = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  JsonObject *root;
  JsonArray  *added = json_array_new ();
  JsonObject *t = json_object_new ();

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  json_object_set_int_member (t, "id", 264);
  json_object_set_string_member (t, "content", ASSAY_PRM_SEPARATOR);
  json_object_set_boolean_member (t, "special", TRUE);
  json_array_add_object_element (added, t);
  json_object_set_array_member (root, "added_tokens", added);
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, path, NULL));
  g_assert_true (g_file_set_contents (cfg,
    "{\"chat_template\": \"{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</{{ m['role'] }}>\\n{% endfor %}\"}",
    -1, NULL));
}

static double
worst_error (const double *got, const double *want, gsize n)
{
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (got[i] - want[i]) / MAX (1.0, fabs (want[i])));
  return worst;
}

static void
check_heads (AssayLmArch arch, AssayLmRewardHead head, int labels, AssayDType dtype)
{
  g_autofree char *dir = assay_test_path (head == ASSAY_LM_REWARD_PROCESS ? "prm" : labels == 1 ? "orm1" : "orm3");
  AssayTestLmSpec spec = assay_test_lm_spec (arch, dtype);
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (Backend) backend = backend_new ();
  g_autoptr (AssayRewardModel) rm = NULL;
  g_autoptr (GError) error = NULL;
  int ids[200];
  int L = head == ASSAY_LM_REWARD_PROCESS ? 2 : labels;

  spec.reward = head;
  spec.num_labels = labels;
  spec.tie_embeddings = FALSE;
  lm = assay_test_lm_write (dir, &spec, 31 + labels);
  rm = assay_reward_model_open (dir, backend, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_reward_model_head (rm), ==, head);
  g_assert_cmpint (assay_reward_model_labels (rm), ==, L);
  for (int len = 1; len <= 200; len += 66)
    {
      g_autofree double *got = NULL, *want = NULL;
      for (int i = 0; i < len; i++)
        ids[i] = (i * 37 + len) % 264;
      got = assay_reward_model_logits_ids (rm, ids, len, ASSAY_REWARD_ROWS_ALL, &error);
      g_assert_no_error (error);
      want = assay_test_lm_reward_logits (lm, ids, len);
      g_test_message ("%s %s, %d labels, %d tokens: worst error %.3g (largest logit %.3g)", assay_lm_arch_name (arch),
                      head == ASSAY_LM_REWARD_PROCESS ? "PRM" : "ORM", L, len, worst_error (got, want, (gsize) len * L),
                      fabs (want[(gsize) len * L - 1]));
      g_assert_cmpfloat (worst_error (got, want, (gsize) len * L), <=, dtype == ASSAY_DTYPE_F32 ? 1e-5 : 1e-4);
    }
}

static void
test_orm (void)
{
  check_heads (ASSAY_LM_LLAMA, ASSAY_LM_REWARD_SEQUENCE, 1, ASSAY_DTYPE_F32);
  check_heads (ASSAY_LM_QWEN2, ASSAY_LM_REWARD_SEQUENCE, 3, ASSAY_DTYPE_F32);
}

static void
test_prm (void)
{
  g_autofree char *dir = assay_test_path ("prm-chat");
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = NULL;
  g_autoptr (Backend) backend = backend_new ();
  g_autoptr (AssayRewardModel) rm = NULL;
  g_autoptr (GError) error = NULL;
  const char *steps[] = { "First, 2 + 3 = 5.", "Then 5 * 4 = 21.", "So the answer is \\boxed{21}." };
  double p[3];

  check_heads (ASSAY_LM_QWEN2, ASSAY_LM_REWARD_PROCESS, 2, ASSAY_DTYPE_F32);
  spec.reward = ASSAY_LM_REWARD_PROCESS;
  spec.tie_embeddings = FALSE;
  lm = assay_test_lm_write (dir, &spec, 77);
  add_chat (dir);
  rm = assay_reward_model_open (dir, backend, &error);
  g_assert_no_error (error);
  g_assert_true (assay_reward_model_steps (rm, "What is (2 + 3) * 4?", steps, 3, p, &error));
  g_assert_no_error (error);
  /* the same by hand: the rendered conversation tokenized here, the float64 head at each
   * separator, softmax */
  {
    g_autofree char *text = g_strdup_printf ("<system>%s</system>\n<user>What is (2 + 3) * 4?</user>\n<assistant>%s%s%s%s%s%s</assistant>\n",
                                             ASSAY_PRM_SYSTEM, steps[0], ASSAY_PRM_SEPARATOR, steps[1], ASSAY_PRM_SEPARATOR,
                                             steps[2], ASSAY_PRM_SEPARATOR);
    g_autoptr (AssayLmTokenizer) tok = NULL;
    g_autofree char *tok_path = g_build_filename (dir, "tokenizer.json", NULL);
    g_autoptr (GArray) ids = NULL;
    g_autofree double *want = NULL;
    int k = 0;
    tok = assay_lm_tokenizer_load (tok_path, &error);
    g_assert_no_error (error);
    ids = assay_lm_tokenizer_encode (tok, text, NULL, &error);
    g_assert_no_error (error);
    want = assay_test_lm_reward_logits (lm, (const int *) ids->data, (int) ids->len);
    for (guint t = 0; t < ids->len; t++)
      if (g_array_index (ids, int, t) == 264)
        {
          double a = want[t * 2], b = want[t * 2 + 1];
          double q = 1 / (1 + exp (a - b));
          g_test_message ("step %d: P(right) %.6f (reference %.6f)", k + 1, p[k], q);
          g_assert_cmpfloat (fabs (p[k] - q), <=, 1e-5);
          k++;
        }
    g_assert_cmpint (k, ==, 3);
  }
  /* a separator inside a step is refused; an ORM call on a PRM too */
  {
    const char *bad[] = { "a <extra_0> b" };
    double r;
    g_assert_false (assay_reward_model_steps (rm, "q", bad, 1, p, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_clear_error (&error);
    g_assert_false (assay_reward_model_score (rm, "q", "a", &r, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED);
    g_clear_error (&error);
  }
}

/* A head of the wrong shape, a missing one, and a causal LM are refused naming why */
static void
test_bad_heads (void)
{
  g_autofree char *dir = assay_test_path ("bad-head");
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
  g_autoptr (Backend) backend = backend_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *text = NULL;

  {
    g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 3);
    g_assert_null (assay_reward_model_open (dir, backend, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "not a reward model"));
    g_clear_error (&error);
  }
  spec.reward = ASSAY_LM_REWARD_SEQUENCE;
  spec.num_labels = 1;
  spec.tie_embeddings = FALSE;
  {
    g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 3);
    /* the config now says 2 labels: the head has 1 row */
    g_assert_true (g_file_get_contents (config, &text, NULL, NULL));
    {
      g_autoptr (GString) s = g_string_new (text);
      g_string_replace (s, "\"num_labels\": 1", "\"num_labels\": 2", 1);
      g_assert_true (g_file_set_contents (config, s->str, -1, NULL));
    }
    g_assert_null (assay_reward_model_open (dir, backend, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "score.weight"));
    g_clear_error (&error);
  }
  /* a process reward model without its head (a Qwen2 ORM's folder relabelled) */
  spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  spec.reward = ASSAY_LM_REWARD_SEQUENCE;
  spec.num_labels = 1;
  spec.tie_embeddings = FALSE;
  {
    g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 4);
    g_autofree char *qtext = NULL;
    g_assert_true (g_file_get_contents (config, &qtext, NULL, NULL));
    {
      g_autoptr (GString) s = g_string_new (qtext);
      g_string_replace (s, "Qwen2ForSequenceClassification", "Qwen2ForProcessRewardModel", 1);
      g_assert_true (g_file_set_contents (config, s->str, -1, NULL));
    }
    g_assert_null (assay_reward_model_open (dir, backend, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "score.0.weight"));
    g_clear_error (&error);
  }
}

/* traces reward end to end: ProcessBench traces scored by a tiny PRM (P(right) per step in the
 * records' scores, as the engine computes them one by one), its ProcessBench F1, an ORM's scores,
 * and the label model taking the PRM's min as a signal */
static void
test_traces_cli (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *prm_dir = assay_test_path ("prm-cli"), *orm_dir = assay_test_path ("orm-cli");
  g_autofree char *ws = assay_test_path ("reward.assay"), *file = NULL, *part = NULL;
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_QWEN2, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) prm = NULL, orm = NULL;
  g_autoptr (Backend) backend = backend_new ();
  g_autoptr (GError) error = NULL;

  if (data == NULL)
    return;
  spec.reward = ASSAY_LM_REWARD_PROCESS;
  spec.tie_embeddings = FALSE;
  spec.max_positions = 1600; /* byte tokens: most GSM8K traces fit, the longest do not */
  prm = assay_test_lm_write (prm_dir, &spec, 5);
  add_chat (prm_dir);
  spec.reward = ASSAY_LM_REWARD_SEQUENCE;
  spec.num_labels = 1;
  orm = assay_test_lm_write (orm_dir, &spec, 6);
  add_chat (orm_dir);
  /* 24 GSM8K traces */
  {
    g_autofree char *all = g_build_filename (data, "reasoning", "processbench", "gsm8k.json", NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
    JsonArray *in, *out = json_array_new ();
    g_assert_true (json_parser_load_from_file (parser, all, NULL));
    in = json_node_get_array (json_parser_get_root (parser));
    for (guint i = 0; i < 24; i++)
      json_array_add_element (out, json_node_copy (json_array_get_element (in, i * 16)));
    json_node_take_array (root, out);
    json_generator_set_root (gen, root);
    part = assay_test_path ("gsm8k-24.json");
    g_assert_true (json_generator_to_file (gen, part, NULL));
  }
  g_unlink (ws);
  {
    const char *args[] = { "traces", "import", "-w", ws, "--json", part, NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
  }
  {
    const char *args[] = { "traces", "reward", "-w", ws, "--model", prm_dir, "--dataset", "1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_autoptr (AssayStore) store = assay_store_open (ws, &error);
    g_autoptr (AssayRewardModel) rm = assay_reward_model_open (prm_dir, backend, &error);
    JsonObject *pb;
    sqlite3_stmt *stmt;
    guint checked = 0;

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "prm");
    g_test_message ("PRM: %lld traces scored, %lld too long", (long long) json_object_get_int_member (o, "records"),
                    (long long) json_object_get_int_member (o, "too_long"));
    g_assert_cmpint (json_object_get_int_member (o, "records") + json_object_get_int_member (o, "too_long"), ==, 24);
    g_assert_cmpint (json_object_get_int_member (o, "records"), >=, 16);
    g_assert_cmpint (json_object_get_int_member (o, "too_long"), >=, 1);
    pb = json_object_get_object_member (o, "processbench");
    g_assert_nonnull (pb);
    g_assert_true (json_object_has_member (pb, "f1"));
    /* every scored record: the stored steps are the engine's, min/last/prod agree with them */
    stmt = assay_store_prepare (store, "SELECT prompt, steps, scores FROM gen_records WHERE json_extract (scores, "
                                       "'$.\"prm-cli:min\"') IS NOT NULL", &error);
    g_assert_no_error (error);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        g_autoptr (JsonObject) scores = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 2), NULL);
        g_autoptr (JsonNode) steps_node = json_from_string ((const char *) sqlite3_column_text (stmt, 1), NULL);
        JsonArray *steps = json_node_get_array (steps_node), *p = json_object_get_array_member (scores, "prm-cli:steps");
        guint n = json_array_get_length (steps);
        g_autofree const char **texts = g_new0 (const char *, n + 1);
        g_autofree double *want = g_new (double, n);
        double lo = 1, prod = 1;
        for (guint k = 0; k < n; k++)
          texts[k] = json_array_get_string_element (steps, k);
        g_assert_true (assay_reward_model_steps (rm, (const char *) sqlite3_column_text (stmt, 0), texts, (int) n, want, &error));
        g_assert_cmpuint (json_array_get_length (p), ==, n);
        for (guint k = 0; k < n; k++)
          {
            double got = json_array_get_double_element (p, k);
            g_assert_cmpfloat (fabs (got - want[k]), <=, 1e-5);
            lo = MIN (lo, got);
            prod *= got;
          }
        g_assert_cmpfloat (fabs (json_object_get_double_member (scores, "prm-cli:min") - lo), <=, 1e-5);
        g_assert_cmpfloat (fabs (json_object_get_double_member (scores, "prm-cli:prod") - prod), <=, 1e-5);
        g_assert_cmpfloat (fabs (json_object_get_double_member (scores, "prm-cli:last") - json_array_get_double_element (p, n - 1)), <=, 1e-5);
        checked++;
      }
    sqlite3_reset (stmt);
    g_assert_cmpuint (checked, ==, json_object_get_int_member (o, "records"));
  }
  {
    /* (traces prm is the same verb) */
    const char *args[] = { "traces", "prm", "-w", ws, "--model", orm_dir, "--dataset", "1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "orm");
    g_assert_false (json_object_has_member (o, "processbench"));
  }
  /* best-of-N by the ORM's score over candidates: the curve's last point recomputed here from
   * the scores stored */
  {
    g_autoptr (GString) rows = g_string_new (NULL);
    g_autofree char *cands = NULL;
    for (int q = 0; q < 8; q++)
      for (int c = 0; c < 4; c++)
        g_string_append_printf (rows, "{\"question\": \"What is %d + 1?\", \"response\": \"%d + 1 = %d. The answer is %d\", "
                                "\"answer\": \"%d\"}\n", q, q, q + 1 + (c % 2), q + 1 + (c % 2), q + 1);
    cands = assay_test_write_file ("candidates.jsonl", rows->str);
    {
      const char *args[] = { "traces", "import", "-w", ws, "--json", cands, NULL };
      g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
      g_assert_cmpint (json_object_get_int_member (o, "dataset"), ==, 2);
    }
    {
      const char *args[] = { "traces", "reward", "-w", ws, "--model", orm_dir, "--dataset", "2", "--json", NULL };
      g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
      g_autoptr (AssayStore) store = assay_store_open (ws, &error);
      JsonObject *rr = json_object_get_object_member (o, "rerank");
      JsonArray *curve;
      double right = 0;
      g_assert_nonnull (rr);
      g_assert_cmpint (json_object_get_int_member (rr, "questions"), ==, 8);
      curve = json_object_get_array_member (rr, "best_of_n");
      g_assert_cmpuint (json_array_get_length (curve), ==, 3); /* n = 1, 2, 4 */
      for (int q = 0; q < 8; q++)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT correct FROM gen_records WHERE dataset_id = 2 AND prompt = "
                                                  "'What is %d + 1?' ORDER BY json_extract (scores, '$.\"orm-cli\"') DESC, "
                                                  "id LIMIT 1", q);
          right += assay_store_query_int (store, sql, -1);
        }
      g_assert_cmpfloat (fabs (json_array_get_double_element (curve, 2) - right / 8), <, 1e-12);
    }
  }
  {
    const char *args[] = { "signals", "fit", "-w", ws, "--dataset", "1", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    JsonArray *signals = json_object_get_array_member (o, "signals");
    gboolean min = FALSE, last = FALSE;
    for (guint j = 0; j < json_array_get_length (signals); j++)
      {
        const char *name = json_object_get_string_member (json_array_get_object_element (signals, j), "name");
        min |= g_str_equal (name, "score:prm-cli:min");
        last |= g_str_has_suffix (name, ":last");
      }
    g_assert_true (min);
    g_assert_false (last);
  }
  {
    /* a causal LM: each candidate's mean self-certainty over its response, against the float64
     * forward pass on the same token ids; the best-of-N curve by it; a signal */
    g_autofree char *lm_dir = assay_test_path ("causal-cli");
    AssayTestLmSpec causal = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);
    g_autoptr (AssayTestLm) lm = assay_test_lm_write (lm_dir, &causal, 9);
    const char *args[] = { "traces", "reward", "-w", ws, "--model", lm_dir, "--dataset", "2", "--json", NULL };
    g_autoptr (JsonObject) o = assay_test_cli_json (args, 0, NULL);
    g_autoptr (AssayStore) store = assay_store_open (ws, &error);
    g_autoptr (AssayLmPair) pair = assay_lm_pair_open (lm_dir, NULL, &error);
    int V = causal.vocab;
    sqlite3_stmt *stmt;
    double worst = 0;
    guint checked = 0;

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "certainty");
    g_assert_cmpint (json_object_get_int_member (o, "records"), ==, 32);
    g_assert_nonnull (json_object_get_array_member (json_object_get_object_member (o, "rerank"), "best_of_n"));
    stmt = assay_store_prepare (store, "SELECT prompt, text, json_extract (scores, '$.\"causal-cli:certainty\"') "
                                       "FROM gen_records WHERE dataset_id = 2", &error);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        g_autofree char *context = assay_trace_context ((const char *) sqlite3_column_text (stmt, 0));
        AssayLmText t = { 0 };
        double sum = 0;
        int n;
        g_assert_true (assay_lm_pair_encode (pair, context, (const char *) sqlite3_column_text (stmt, 1), FALSE, &t, &error));
        n = assay_lm_text_scored (&t);
        g_assert_cmpint (n, >, 0);
        for (int i = 0; i < n; i++)
          {
            g_autofree double *z = assay_test_lm_next (lm, (const int *) t.ids->data, t.start + i);
            double mx = -INFINITY, se = 0, mean = 0;
            for (int j = 0; j < V; j++)
              mx = fmax (mx, z[j]);
            for (int j = 0; j < V; j++)
              {
                se += exp (z[j] - mx);
                mean += z[j] / V;
              }
            sum += -log ((double) V) - mean + mx + log (se);
          }
        worst = fmax (worst, fabs (sqlite3_column_double (stmt, 2) - sum / n) / fmax (1.0, sum / n));
        assay_lm_text_clear (&t);
        checked++;
      }
    sqlite3_reset (stmt);
    g_test_message ("self-certainty of 32 candidates: worst relative error %.3g", worst);
    g_assert_cmpuint (checked, ==, 32);
    g_assert_cmpfloat (worst, <=, 1e-4);
    {
      const char *fit[] = { "signals", "fit", "-w", ws, "--dataset", "2", "--json", NULL };
      g_autoptr (JsonObject) f = assay_test_cli_json (fit, 0, NULL);
      g_assert_nonnull (assay_test_signal_named (f, "score:causal-cli:certainty"));
    }
    /* the GSM8K traces: those longer than the model's 512 positions are left out and counted;
     * a name of its own keeps another model's scores apart; a name that is not one is refused */
    {
      g_autofree char *long_dir = assay_test_path ("causal-cli-1600");
      AssayTestLmSpec wide = causal;
      g_autoptr (AssayTestLm) lm1600 = NULL;
      const char *all_long[] = { "traces", "reward", "-w", ws, "--model", lm_dir, "--dataset", "1", NULL };
      const char *traces[] = { "traces", "reward", "-w", ws, "--model", long_dir, "--dataset", "1", "--name", "other",
                               "--json", NULL };
      const char *bad[] = { "traces", "reward", "-w", ws, "--model", lm_dir, "--dataset", "1", "--name", "a/b", NULL };
      g_autoptr (JsonObject) t = NULL;
      g_autofree char *err = NULL, *err_long = NULL;
      wide.max_positions = 1600; /* (byte tokens: most GSM8K traces fit, the longest do not) */
      lm1600 = assay_test_lm_write (long_dir, &wide, 10);
      assay_test_cli_json (all_long, 1, &err_long);
      g_assert_nonnull (strstr (err_long, "longer than the model reads"));
      t = assay_test_cli_json (traces, 0, NULL);
      g_test_message ("self-certainty on 24 GSM8K traces: %lld scored, %lld too long",
                      (long long) json_object_get_int_member (t, "records"), (long long) json_object_get_int_member (t, "too_long"));
      g_assert_cmpint (json_object_get_int_member (t, "records") + json_object_get_int_member (t, "too_long"), ==, 24);
      g_assert_cmpint (json_object_get_int_member (t, "too_long"), >, 0);
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE dataset_id = 1 AND "
                                                     "json_extract (scores, '$.\"other:certainty\"') IS NOT NULL", 0), ==,
                       json_object_get_int_member (t, "records"));
      assay_test_cli_json (bad, 1, &err);
      g_assert_nonnull (strstr (err, "letters, digits"));
    }
  }
  {
    /* a file for a folder, an encoder, a dataset that is not there */
    g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL;
    g_autofree char *enc_dir = assay_test_path ("encoder-cli");
    AssayTestLmSpec bert = assay_test_lm_spec (ASSAY_LM_BERT, ASSAY_DTYPE_F32);
    g_autoptr (AssayTestLm) enc = assay_test_lm_write (enc_dir, &bert, 9);
    const char *args[] = { "traces", "reward", "-w", ws, "--model", ws, "--dataset", "1", NULL };
    const char *args2[] = { "traces", "reward", "-w", ws, "--model", enc_dir, "--dataset", "1", NULL };
    const char *args3[] = { "traces", "reward", "-w", ws, "--model", prm_dir, "--dataset", "9", NULL };
    assay_test_cli_json (args, 1, &err);
    g_assert_nonnull (strstr (err, "not a model folder"));
    assay_test_cli_json (args2, 1, &err2);
    g_assert_nonnull (strstr (err2, "neither a reward model"));
    assay_test_cli_json (args3, 1, &err3);
    g_assert_nonnull (strstr (err3, "9"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reward/orm", test_orm);
  g_test_add_func ("/reward/prm", test_prm);
  g_test_add_func ("/reward/bad-heads", test_bad_heads);
  g_test_add_func ("/reward/traces-cli", test_traces_cli);
  return g_test_run ();
}
