/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Labels core: metrics on hand-computed cases, tokenizer, tf-idf by hand, importers on good and
 * bad input, training end to end, Reuters-21578 ModApte counts. */
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-error.h"
#include "assay-test-util.h"
#include "assay-tfidf.h"
#include "assay-xmtc-dataset.h"
#include "assay-xmtc-eval.h"
#include "assay-xmtc-import.h"
#include "assay-xmtc-metrics.h"
#include "assay-xmtc-model.h"
#include "assay-xmtc-train.h"

/* ---- metrics ------------------------------------------------------------------------------- */

/* Three documents over five labels.
 *   truth: d0 {0, 1}   d1 {2}      d2 {1, 3}
 *   top-3: d0 [1 4 0]  d1 [0 2 3]  d2 [3 1 2]      1/p = [2 1 4 3 5] */
static const gsize   truth_offsets[] = { 0, 2, 3, 5 };
static const guint32 truth_labels[] = { 0, 1, 2, 1, 3 };
static const guint32 top3[] = { 1, 4, 0, 0, 2, 3, 3, 1, 2 };
static const double  inv_p[] = { 2, 1, 4, 3, 5 };

static void
test_metrics_hand_computed (void)
{
  AssayLabelSets truth = { 3, truth_offsets, truth_labels };
  guint          tp[5], fp[5], fn[5], counted;
  gboolean       tail[5] = { FALSE, TRUE, TRUE, FALSE, FALSE };
  double         idcg0 = 1.0 + 1.0 / log2 (3.0);

  g_assert_cmpfloat_with_epsilon (assay_xmtc_precision_at_k (&truth, top3, 3, 1), 2.0 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_xmtc_precision_at_k (&truth, top3, 3, 3), 5.0 / 9, 1e-12);
  /* nDCG@3: d0 hits at ranks 1 and 3, d1 at rank 2, d2 at ranks 1 and 2 */
  g_assert_cmpfloat_with_epsilon (assay_xmtc_ndcg_at_k (&truth, top3, 3, 3),
                                  ((1.0 + 0.5) / idcg0 + 1.0 / log2 (3.0) + 1.0) / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (assay_xmtc_ndcg_at_k (&truth, top3, 3, 1), 2.0 / 3, 1e-12);
  /* PSP@1: hits 1 (d0) and 3 (d2) -> 1 + 3; best possible 2 + 4 + 3 */
  g_assert_cmpfloat_with_epsilon (assay_xmtc_psp_at_k (&truth, top3, 3, 1, inv_p), 4.0 / 9, 1e-12);
  /* PSP@3: every true label is in its top 3 -> 1 */
  g_assert_cmpfloat_with_epsilon (assay_xmtc_psp_at_k (&truth, top3, 3, 3, inv_p), 1.0, 1e-12);

  /* F1@1: top-1 are 1 (d0, right), 0 (d1, wrong), 3 (d2, right) */
  assay_xmtc_label_counts_at_k (&truth, top3, 3, 1, 5, tp, fp, fn);
  g_assert_cmpuint (tp[0], ==, 0);
  g_assert_cmpuint (fp[0], ==, 1);
  g_assert_cmpuint (fn[0], ==, 1);
  g_assert_cmpuint (tp[1], ==, 1);
  g_assert_cmpuint (fn[1], ==, 1);
  g_assert_cmpuint (fn[2], ==, 1);
  g_assert_cmpuint (tp[3], ==, 1);
  g_assert_cmpuint (tp[4] + fp[4] + fn[4], ==, 0);
  /* label 4 never occurs and is left out of the average */
  g_assert_cmpfloat_with_epsilon (assay_xmtc_macro_f1 (tp, fp, fn, 5, NULL, &counted),
                                  (0.0 + 2.0 / 3 + 0.0 + 1.0) / 4, 1e-12);
  g_assert_cmpuint (counted, ==, 4);
  g_assert_cmpfloat_with_epsilon (assay_xmtc_macro_f1 (tp, fp, fn, 5, tail, &counted),
                                  (2.0 / 3 + 0.0) / 2, 1e-12);
  g_assert_cmpuint (counted, ==, 2);

  /* Short prediction lists: missing entries count as wrong */
  {
    const guint32 short_top[] = { 1, ASSAY_XMTC_NO_LABEL, ASSAY_XMTC_NO_LABEL, 2,
                                  ASSAY_XMTC_NO_LABEL, ASSAY_XMTC_NO_LABEL, 3, 1,
                                  ASSAY_XMTC_NO_LABEL };
    g_assert_cmpfloat_with_epsilon (assay_xmtc_precision_at_k (&truth, short_top, 3, 3),
                                    (1.0 / 3 + 1.0 / 3 + 2.0 / 3) / 3, 1e-12);
  }
}

static void
test_propensity (void)
{
  const guint n[] = { 0, 1, 9, 100 };
  double      out[4];
  const double A = 0.55, B = 1.5, N = 100;

  assay_xmtc_inverse_propensity (n, 4, (guint) N, A, B, out);
  for (guint i = 0; i < 4; i++)
    {
      double C = (log (N) - 1.0) * pow (B + 1.0, A);
      g_assert_cmpfloat_with_epsilon (out[i], 1.0 + C * pow (n[i] + B, -A), 1e-12);
    }
  /* rarer labels weigh more */
  g_assert_cmpfloat (out[0], >, out[1]);
  g_assert_cmpfloat (out[2], >, out[3]);
  g_assert_cmpint (assay_xmtc_label_bin (0), ==, ASSAY_LABEL_BIN_UNSEEN);
  g_assert_cmpint (assay_xmtc_label_bin (1), ==, ASSAY_LABEL_BIN_TAIL);
  g_assert_cmpint (assay_xmtc_label_bin (9), ==, ASSAY_LABEL_BIN_TAIL);
  g_assert_cmpint (assay_xmtc_label_bin (10), ==, ASSAY_LABEL_BIN_TORSO);
  g_assert_cmpint (assay_xmtc_label_bin (100), ==, ASSAY_LABEL_BIN_HEAD);
}

/* ---- tokenizer and tf-idf -------------------------------------------------------------------- */

static void
collect (const char *token, gsize len, gsize start, gsize end, gpointer data)
{
  g_ptr_array_add (data, g_strdup_printf ("%s@%zu", token, start));
}

static void
test_tokenizer (void)
{
  g_autoptr (AssayTokenizer) tok = assay_tokenizer_new (TRUE, 2);
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  const char *text = "Hello, World! It's a_b 3.14 Ünïcödé x2 über-Straße";
  const char *want[] = { "hello@0", "world@7", "it@14", "a_b@19", "14@25", "ünïcödé@28",
                         "x2@40", "über@43", "straße@49" };

  assay_tokenizer_foreach (tok, text, -1, collect, tokens);
  g_assert_cmpuint (tokens->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < tokens->len; i++)
    g_assert_cmpstr (g_ptr_array_index (tokens, i), ==, want[i]);

  g_ptr_array_set_size (tokens, 0);
  assay_tokenizer_set_stop_words (tok, assay_tokenizer_english_stop_words ());
  assay_tokenizer_foreach (tok, "The price of THE wheat is up", -1, collect, tokens);
  g_assert_cmpuint (tokens->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (tokens, 0), ==, "price@4");
  g_assert_cmpstr (g_ptr_array_index (tokens, 1), ==, "wheat@17");

  /* Invalid UTF-8 is skipped, not crashed on */
  g_ptr_array_set_size (tokens, 0);
  assay_tokenizer_foreach (tok, "ok\xff\xfe bytes", -1, collect, tokens);
  g_assert_cmpuint (tokens->len, ==, 2);
}

static void
test_tfidf_by_hand (void)
{
  const char *docs[] = { "aa bb aa", "bb cc" };
  g_autoptr (AssayTfidf) tfidf = assay_tfidf_new (NULL);
  g_autoptr (AssayCsr) x = assay_tfidf_fit_transform (tfidf, docs, 2, NULL, NULL);
  g_autoptr (AssayCsr) y = NULL;
  double idf_aa = log (3.0 / 2.0) + 1.0, idf_bb = 1.0;
  double norm0 = sqrt (pow (2 * idf_aa, 2) + 1.0);
  const char *unseen[] = { "cc zz cc" };
  AssayTfidfOptions options;

  g_assert_cmpuint (assay_tfidf_get_n_terms (tfidf), ==, 3);
  g_assert_cmpstr (assay_tfidf_get_term (tfidf, 0), ==, "aa");
  g_assert_cmpstr (assay_tfidf_get_term (tfidf, 2), ==, "cc");
  g_assert_cmpfloat_with_epsilon (assay_tfidf_get_idf (tfidf)[0], idf_aa, 1e-6);
  g_assert_cmpfloat_with_epsilon (assay_tfidf_get_idf (tfidf)[1], idf_bb, 1e-6);
  g_assert_cmpuint (x->indptr[1], ==, 2);
  g_assert_cmpuint (x->indices[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (x->data[0], 2 * idf_aa / norm0, 1e-6);
  g_assert_cmpfloat_with_epsilon (x->data[1], idf_bb / norm0, 1e-6);
  /* Unknown terms are ignored at transform time */
  y = assay_tfidf_transform (tfidf, unseen, 1);
  g_assert_cmpuint (assay_csr_nnz (y), ==, 1);
  g_assert_cmpfloat_with_epsilon (y->data[0], 1.0, 1e-6);

  /* min_df = 2 keeps only "bb" */
  assay_tfidf_options_init (&options);
  options.min_df = 2;
  {
    g_autoptr (AssayTfidf) pruned = assay_tfidf_new (&options);
    g_autoptr (AssayCsr) z = assay_tfidf_fit_transform (pruned, docs, 2, NULL, NULL);
    g_assert_cmpuint (assay_tfidf_get_n_terms (pruned), ==, 1);
    g_assert_cmpfloat_with_epsilon (z->data[0], 1.0, 1e-6);
  }
}

/* ---- importers --------------------------------------------------------------------------------- */

static void
assert_import_fails (AssayStore *store, const char *path, const AssayXmtcImportOptions *options,
                     const char *expect)
{
  g_autoptr (GError) error = NULL;
  AssayXmtcImportResult r;
  gint64 before = assay_store_query_int (store, "SELECT count(*) FROM xmtc_documents", -1);

  g_assert_false (assay_xmtc_import (store, path, options, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  if (strstr (error->message, expect) == NULL)
    g_error ("expected “%s” in “%s”", expect, error->message);
  /* All or nothing */
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM xmtc_documents", -1), ==,
                   before);
}

static void
test_import_jsonl (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("jsonl.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *good = assay_test_write_file (
    "good.jsonl",
    "{\"id\": \"a\", \"text\": \"wheat prices rise\", \"labels\": [\"grain\", \"wheat\"]}\n"
    "{\"id\": \"b\", \"text\": \"oil output cut\", \"labels\": [\"crude\"], \"split\": \"train\"}\n"
    "\n"
    "{\"id\": \"a\", \"text\": \"duplicate id\", \"labels\": [\"grain\"]}\n"
    "{\"id\": \"c\", \"text\": \"   \", \"labels\": [\"grain\"]}\n"
    "{\"id\": 7, \"text\": \"gold mine\", \"labels\": [\"gold\"], \"split\": \"test\"}\n");
  g_autofree char *bad = assay_test_write_file ("bad.jsonl",
                                     "{\"text\": \"fine\", \"labels\": []}\n"
                                     "{\"text\": \"fine\", \"labels\": []}\n"
                                     "{\"text\": broken json\n");
  g_autofree char *no_text = assay_test_write_file ("notext.jsonl", "{\"labels\": [\"x\"]}\n");
  g_autofree char *bad_split = assay_test_write_file ("badsplit.jsonl",
                                           "{\"text\": \"t\", \"split\": \"dev\"}\n");
  AssayXmtcImportResult r;

  g_assert_true (assay_xmtc_import (store, good, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.documents, ==, 3);
  g_assert_cmpuint (r.train, ==, 2);
  g_assert_cmpuint (r.test, ==, 1);
  g_assert_cmpuint (r.duplicates, ==, 1);
  g_assert_cmpuint (r.empty, ==, 1);
  g_assert_cmpuint (r.labels, ==, 4);
  g_assert_cmpuint (r.labels_without_train, ==, 1); /* gold: only in the test split */

  assert_import_fails (store, bad, NULL, "bad.jsonl:3: not JSON");
  assert_import_fails (store, no_text, NULL, "notext.jsonl:1: “text” is missing");
  assert_import_fails (store, bad_split, NULL, "badsplit.jsonl:1: “split”");
}

static void
test_import_csv (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("csv.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *good = assay_test_write_file (
    "good.csv",
    "title,body,tags\r\n"
    "\"Wheat, again\",\"prices \"\"rise\"\"\nsharply\",grain|wheat\r\n"
    "Oil,output cut,crude\r\n");
  g_autofree char *unclosed = assay_test_write_file ("unclosed.csv", "text,labels\n\"never closed,x\n");
  g_autofree char *short_row = assay_test_write_file ("short.csv", "text,labels\nonly text\n");
  AssayXmtcImportOptions options;
  AssayXmtcImportResult  r;
  g_autoptr (AssayXmtcDataset) ds = NULL;

  assay_xmtc_import_options_init (&options);
  options.text_columns = "title,2";
  options.label_column = "tags";
  g_assert_true (assay_xmtc_import (store, good, &options, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.documents, ==, 2);
  g_assert_cmpuint (r.labels, ==, 3);
  ds = assay_xmtc_dataset_load (store, r.dataset, TRUE, &error);
  g_assert_cmpstr (ds->texts[0], ==, "Wheat, again\nprices \"rise\"\nsharply");

  assay_xmtc_import_options_init (&options);
  assert_import_fails (store, unclosed, &options, "unclosed.csv:2: quoted field never closed");
  assert_import_fails (store, short_row, &options, "short.csv:2:");
  options.text_columns = "title";
  options.label_column = "nope";
  assert_import_fails (store, good, &options, "no label column “nope”");
}

static void
test_import_xc (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("xc.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *train = assay_test_write_file ("train.txt",
                                       "4 5 3\n"
                                       "0,1 0:1.0 3:0.5\n"
                                       "2 1:2 4:1 9:1\n"
                                       " 2:1\n"
                                       "1,7 0:0.25\n");
  g_autofree char *test = assay_test_write_file ("test.txt", "1 5 3\n0 0:1 1:1\n");
  g_autofree char *vocab = assay_test_write_file ("vocab.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\n");
  g_autofree char *names = assay_test_write_file ("names.txt", "A\nB\nC\n");
  g_autofree char *bad_value = assay_test_write_file ("badvalue.txt", "2 5 3\n0 0:1\n1 2:abc\n");
  g_autofree char *bad_header = assay_test_write_file ("badheader.txt", "two five three\n");
  g_autofree char *short_file = assay_test_write_file ("short.txt", "3 5 3\n0 0:1\n");
  g_autofree char *mismatch = assay_test_write_file ("mismatch.txt", "1 6 3\n0 0:1\n");
  AssayXmtcImportOptions options;
  AssayXmtcImportResult  r;
  g_autoptr (AssayXmtcDataset) ds = NULL;

  assay_xmtc_import_options_init (&options);
  options.test_path = test;
  options.vocabulary_path = vocab;
  options.label_names_path = names;
  g_assert_true (assay_xmtc_import (store, train, &options, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.documents, ==, 5);
  g_assert_cmpuint (r.test, ==, 1);
  g_assert_cmpuint (r.out_of_range, ==, 2); /* feature 9, label 7 */
  ds = assay_xmtc_dataset_load (store, r.dataset, FALSE, &error);
  g_assert_nonnull (ds->features);
  g_assert_cmpuint (ds->features->n_rows, ==, 5);
  g_assert_cmpuint (assay_csr_nnz (ds->features), ==, 2 + 2 + 1 + 1 + 2);
  g_assert_cmpstr (ds->feature_names[3], ==, "delta");
  g_assert_cmpstr (ds->label_names[2], ==, "C");

  assay_xmtc_import_options_init (&options);
  assert_import_fails (store, bad_value, &options, "badvalue.txt:3: bad value for feature 2");
  options.format = ASSAY_XMTC_FORMAT_XC;
  assert_import_fails (store, bad_header, &options, "badheader.txt:1: expected the header");
  assert_import_fails (store, short_file, &options, "announces 3 documents but the file has 1");
  options.test_path = mismatch;
  assert_import_fails (store, train, &options, "mismatch.txt:1: header says 6 features");
}

static const char *sgml =
  "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n"
  "<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TRAIN\" CGISPLIT=\"TRAINING-SET\" OLDID=\"1\" NEWID=\"1\">\n"
  "<TOPICS><D>grain</D><D>wheat</D></TOPICS>\n"
  "<TEXT>&#2;\n<TITLE>WHEAT &lt;UP&gt;</TITLE>\n<BODY>Wheat prices rose &amp; fell.\n"
  " Reuter\n&#3;</BODY></TEXT>\n</REUTERS>\n"
  "<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TEST\" CGISPLIT=\"TRAINING-SET\" OLDID=\"2\" NEWID=\"2\">\n"
  "<TOPICS><D>grain</D></TOPICS>\n"
  "<TEXT TYPE=\"BRIEF\">&#2;\n<TITLE>GRAIN BRIEF</TITLE>\n&#3;</TEXT>\n</REUTERS>\n"
  "<REUTERS TOPICS=\"NO\" LEWISSPLIT=\"TRAIN\" NEWID=\"3\">\n<TOPICS></TOPICS>\n"
  "<TEXT><BODY>ignored</BODY></TEXT>\n</REUTERS>\n"
  "<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TRAIN\" NEWID=\"4\">\n<TOPICS><D>wheat</D></TOPICS>\n"
  "<TEXT><BODY>only wheat, train only</BODY></TEXT>\n</REUTERS>\n";

static void
test_import_reuters_snippet (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("sgml.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = assay_test_write_file ("reut2-000.sgm", sgml);
  g_autofree char *cut = NULL;
  g_autoptr (AssayXmtcDataset) ds = NULL;
  AssayXmtcImportResult r;

  g_assert_true (assay_xmtc_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* "wheat" has no test story: dropped with the usual 90-category convention, and story 4
   * keeps no category. */
  g_assert_cmpuint (r.labels, ==, 1);
  g_assert_cmpuint (r.labels_dropped, ==, 1);
  g_assert_cmpuint (r.documents, ==, 2);
  g_assert_cmpuint (r.unlabelled, ==, 1);
  ds = assay_xmtc_dataset_load (store, r.dataset, TRUE, &error);
  g_assert_cmpstr (ds->texts[0], ==, "WHEAT <UP>\nWheat prices rose & fell.\n Reuter\n");
  g_assert_cmpstr (ds->texts[1], ==, "GRAIN BRIEF");

  /* A truncated file names the line where the story starts */
  cut = assay_test_write_file ("reut2-001.sgm", "<!DOCTYPE lewis>\n\n<REUTERS TOPICS=\"YES\" NEWID=\"1\">\n"
                                     "<TEXT>cut here");
  assert_import_fails (store, cut, NULL, "reut2-001.sgm:3: <REUTERS> without </REUTERS>");
}

static void
test_import_reuters_modapte (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *dir = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayXmtcDataset) ds = NULL;
  g_autoptr (GError) error = NULL;
  AssayXmtcImportResult r;
  guint tail = 0;

  if (data == NULL)
    return;
  dir = g_build_filename (data, "xmtc", "reuters21578", NULL);
  store = assay_test_fresh_store ("reuters.assay");
  g_assert_true (assay_xmtc_import (store, dir, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.train, ==, 7770);
  g_assert_cmpuint (r.test, ==, 3019);
  g_assert_cmpuint (r.labels, ==, 90);
  ds = assay_xmtc_dataset_load (store, r.dataset, FALSE, &error);
  for (guint l = 0; l < ds->n_labels; l++)
    tail += assay_xmtc_label_bin (ds->n_train[l]) == ASSAY_LABEL_BIN_TAIL;
  g_assert_cmpuint (tail, ==, 30);
}

/* ---- training end to end ------------------------------------------------------------------------ */

static char *
synthetic_corpus (guint n_docs)
{
  static const char *topics[][4] = {
    { "wheat", "harvest", "grain", "bushel" }, { "crude", "barrel", "opec", "refinery" },
    { "gold", "ounce", "bullion", "mine" },    { "yen", "dollar", "currency", "forex" },
  };
  static const char *filler[] = { "market", "report", "week", "said", "today", "analysts" };
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  GString *out = g_string_new (NULL);

  for (guint d = 0; d < n_docs; d++)
    {
      guint t = g_rand_int_range (rand, 0, 4);
      g_string_append_printf (out, "{\"id\": \"d%u\", \"split\": \"%s\", \"labels\": [\"%s\"], "
                                   "\"text\": \"",
                              d, d % 4 == 3 ? "test" : "train", topics[t][0]);
      for (guint w = 0; w < 12; w++)
        g_string_append_printf (out, "%s ",
                                g_rand_double (rand) < 0.5 ? topics[t][g_rand_int_range (rand, 0, 4)]
                                                           : filler[g_rand_int_range (rand, 0, 6)]);
      g_string_append (out, "\"}\n");
    }
  return g_string_free (out, FALSE);
}

static void
progress_cb (double fraction, const char *message, gpointer data)
{
  double *last = data;

  g_assert_cmpfloat (fraction, >=, *last - 1e-9);
  *last = fraction;
}

static void
test_train_end_to_end (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("train.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *corpus = synthetic_corpus (400);
  g_autofree char *path = assay_test_write_file ("corpus.jsonl", corpus);
  g_autoptr (AssayXmtcModel) model = NULL;
  g_autoptr (GArray) keywords = NULL;
  g_autoptr (JsonObject) metrics = NULL;
  g_autofree char *description = NULL;
  AssayXmtcImportResult r;
  AssayXmtcTrainOptions options;
  AssayXmtcTrainResult  t;
  double last = 0.0;
  int    crude;

  g_assert_true (assay_xmtc_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
  assay_xmtc_train_options_init (&options);
  options.keywords = 4;
  g_assert_true (assay_xmtc_train (store, r.dataset, &options, NULL, progress_cb, &last, NULL,
                                   &t, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (last, ==, 1.0);
  g_assert_cmpuint (t.n_trained, ==, 4);

  /* The keyword profile of "crude" is its own vocabulary */
  model = assay_xmtc_model_load (store, t.run, &error);
  g_assert_no_error (error);
  crude = assay_xmtc_model_find_label (model, "crude");
  g_assert_cmpint (crude, >=, 0);
  keywords = assay_xmtc_model_keywords (model, (guint) crude, 4);
  g_assert_cmpuint (keywords->len, ==, 4);
  for (guint i = 0; i < keywords->len; i++)
    {
      const char *term = g_array_index (keywords, AssayKeyword, i).term;
      g_assert_true (g_str_equal (term, "crude") || g_str_equal (term, "barrel")
                     || g_str_equal (term, "opec") || g_str_equal (term, "refinery"));
      if (i > 0)
        g_assert_cmpfloat (g_array_index (keywords, AssayKeyword, i).weight, <=,
                           g_array_index (keywords, AssayKeyword, i - 1).weight);
    }
  description = assay_xmtc_model_pseudo_description (model, (guint) crude, 2);
  g_assert_true (g_str_has_prefix (description, "crude "));

  /* Stored predictions give the metrics back, and the task is easy */
  metrics = assay_xmtc_evaluate_run (store, t.run, 0.55, 1.5, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (metrics, "p@1"), >, 0.9);
  g_assert_cmpint (json_object_get_int_member (metrics, "test_documents"), ==, 100);

  /* Unknown runs and datasets are clear errors */
  g_assert_null (assay_xmtc_model_load (store, 999, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (assay_xmtc_train (store, 999, &options, NULL, NULL, NULL, NULL, &t, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
}

static void
test_train_cancel (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("cancel.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *corpus = synthetic_corpus (200);
  g_autofree char *path = assay_test_write_file ("cancel.jsonl", corpus);
  AssayXmtcImportResult r;
  AssayXmtcTrainOptions options;
  AssayXmtcTrainResult  t;

  g_assert_true (assay_xmtc_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
  assay_xmtc_train_options_init (&options);
  g_cancellable_cancel (cancellable);
  g_assert_false (assay_xmtc_train (store, r.dataset, &options, NULL, NULL, NULL, cancellable,
                                    &t, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs", -1), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xmtc/metrics-hand-computed", test_metrics_hand_computed);
  g_test_add_func ("/xmtc/propensity", test_propensity);
  g_test_add_func ("/xmtc/tokenizer", test_tokenizer);
  g_test_add_func ("/xmtc/tfidf-by-hand", test_tfidf_by_hand);
  g_test_add_func ("/xmtc/import-jsonl", test_import_jsonl);
  g_test_add_func ("/xmtc/import-csv", test_import_csv);
  g_test_add_func ("/xmtc/import-xc", test_import_xc);
  g_test_add_func ("/xmtc/import-reuters-snippet", test_import_reuters_snippet);
  g_test_add_func ("/xmtc/import-reuters-modapte", test_import_reuters_modapte);
  g_test_add_func ("/xmtc/train-end-to-end", test_train_end_to_end);
  g_test_add_func ("/xmtc/train-cancel", test_train_cancel);
  return g_test_run ();
}
