/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Label errors: confident learning against a plain float64 version written here from the paper's
 * equations (thresholds, confident joint, calibrated joint, both filters, both rankings), Platt
 * scaling at its optimum, and xmtc errors end to end on a corpus with planted flips. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "assay-confident.h"
#include "assay-csr.h"
#include "assay-embeddings.h"
#include "assay-worker.h"
#include "assay-xmtc-jobs.h"
#include "assay-error.h"
#include "assay-test-util.h"
#include "assay-xmtc-errors.h"
#include "assay-xmtc-import.h"

/* ---- the reference ---- */

typedef struct
{
  double   t[8];
  guint    C[8][8];
  double   Q[8][8];
  gboolean flagged[2000];
} Ref;

static void
reference (const double *p, const guint *y, guint n, guint K, AssayClFilter filter, Ref *r)
{
  double Ct[8][8] = { { 0 } }, total = 0;
  guint  ny[8] = { 0 };

  memset (r, 0, sizeof *r);
  /* t_j = (1 / |X_{y=j}|) sum_{x in X_{y=j}} p(j | x) */
  for (guint j = 0; j < K; j++)
    {
      double s = 0;
      for (guint x = 0; x < n; x++)
        if (y[x] == j)
          {
            s += p[x * K + j];
            ny[j]++;
          }
      r->t[j] = ny[j] ? s / ny[j] : INFINITY;
    }
  /* C[i][j] = |{x in X_{y=i} : p(j | x) >= t_j, j = argmax_{l : p(l | x) >= t_l} p(l | x)}| */
  for (guint x = 0; x < n; x++)
    {
      int    jbest = -1;
      double pbest = -1;
      for (guint l = 0; l < K; l++)
        if (p[x * K + l] >= r->t[l] && p[x * K + l] > pbest)
          {
            pbest = p[x * K + l];
            jbest = (int) l;
          }
      if (jbest >= 0)
        {
          r->C[y[x]][jbest]++;
          if (filter == ASSAY_CL_CONFIDENT_JOINT && (guint) jbest != y[x])
            r->flagged[x] = TRUE;
        }
    }
  /* C~[i][j] = C[i][j] / sum_j C[i][j] * |X_{y=i}|,  Q = C~ / sum C~ */
  for (guint i = 0; i < K; i++)
    {
      double row = 0;
      for (guint j = 0; j < K; j++)
        row += r->C[i][j];
      for (guint j = 0; j < K; j++)
        {
          Ct[i][j] = row > 0 ? r->C[i][j] / row * ny[i] : 0;
          total += Ct[i][j];
        }
    }
  for (guint i = 0; i < K; i++)
    for (guint j = 0; j < K; j++)
      r->Q[i][j] = Ct[i][j] / total;
  if (filter == ASSAY_CL_PRUNE_BY_NOISE_RATE)
    for (guint i = 0; i < K; i++)
      for (guint j = 0; j < K; j++)
        {
          long want;
          if (i == j)
            continue;
          want = lround (n * r->Q[i][j]);
          /* the want examples given i with the largest p(j|x) - p(i|x), chosen by repeated scans */
          for (long k = 0; k < want; k++)
            {
              int    best = -1;
              double bm = -INFINITY;
              static gboolean taken[2000];
              if (k == 0)
                memset (taken, 0, sizeof taken);
              for (guint x = 0; x < n; x++)
                if (y[x] == i && !taken[x] && p[x * K + j] - p[x * K + i] > bm)
                  {
                    bm = p[x * K + j] - p[x * K + i];
                    best = (int) x;
                  }
              if (best < 0)
                break;
              taken[best] = TRUE;
              r->flagged[best] = TRUE;
            }
        }
}

static void
test_against_reference (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (17);

  for (int round = 0; round < 12; round++)
    {
      guint              n = 200 + 100 * (round % 4), K = 2 + round % 5;
      g_autofree double *p = g_new (double, n * K);
      g_autofree guint  *y = g_new (guint, n);
      AssayClFilter      filter = round % 2 == 0 ? ASSAY_CL_PRUNE_BY_NOISE_RATE : ASSAY_CL_CONFIDENT_JOINT;
      AssayClRank        rank = round % 3 == 0 ? ASSAY_CL_NORMALIZED_MARGIN : ASSAY_CL_SELF_CONFIDENCE;
      Ref                ref;

      /* probabilities of a noisy classifier: the true class likelier, 15% of labels flipped */
      for (guint x = 0; x < n; x++)
        {
          guint  truth = (guint) g_rand_int_range (rng, 0, (gint32) K);
          double s = 0;
          for (guint k = 0; k < K; k++)
            {
              p[x * K + k] = g_rand_double (rng) + (k == truth ? 1.5 * g_rand_double (rng) : 0);
              s += p[x * K + k];
            }
          for (guint k = 0; k < K; k++)
            p[x * K + k] /= s;
          y[x] = g_rand_double (rng) < 0.15 ? (truth + 1 + (guint) g_rand_int_range (rng, 0, (gint32) K - 1)) % K : truth;
        }
      reference (p, y, n, K, filter, &ref);
      {
        g_autoptr (AssayClResult) r = assay_confident_learning (p, y, n, K, filter, rank);
        guint flagged = 0;
        for (guint j = 0; j < K; j++)
          g_assert_cmpfloat_with_epsilon (r->thresholds[j], ref.t[j], 1e-12);
        for (guint i = 0; i < K; i++)
          for (guint j = 0; j < K; j++)
            {
              g_assert_cmpuint (r->confident[i * K + j], ==, ref.C[i][j]);
              g_assert_cmpfloat_with_epsilon (r->joint[i * K + j], ref.Q[i][j], 1e-12);
            }
        for (guint x = 0; x < n; x++)
          flagged += ref.flagged[x];
        g_assert_cmpuint (r->issues->len, ==, flagged);
        g_assert_cmpuint (flagged, >, 0);
        for (guint k = 0; k < r->issues->len; k++)
          {
            guint  x = g_array_index (r->issues, guint, k);
            double other = -INFINITY, q;
            g_assert_true (ref.flagged[x]);
            for (guint j = 0; j < K; j++)
              if (j != y[x])
                other = MAX (other, p[x * K + j]);
            q = rank == ASSAY_CL_SELF_CONFIDENCE ? p[x * K + y[x]] : p[x * K + y[x]] - other;
            g_assert_cmpfloat_with_epsilon (r->quality[x], q, 1e-15);
            /* lowest quality first */
            if (k > 0)
              g_assert_cmpfloat (r->quality[g_array_index (r->issues, guint, k - 1)], <=, q);
          }
      }
    }
}

/* Platt: the regularised log-likelihood's gradient vanishes at the fitted A, B (it is convex, so
 * that is its minimum), and the probabilities rise with the score when positives score higher. */
static void
test_platt (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  guint             n = 2000;
  g_autofree double *s = g_new (double, n);
  g_autofree gboolean *pos = g_new (gboolean, n);
  double            A, B, n1 = 0, g1 = 0, g2 = 0, hi, lo;

  for (guint i = 0; i < n; i++)
    {
      pos[i] = g_rand_double (rng) < 0.3;
      s[i] = (pos[i] ? 1.0 : -1.0) + 1.2 * (g_rand_double (rng) - 0.5) * 2;
      n1 += pos[i];
    }
  assay_platt_fit (s, pos, n, &A, &B);
  hi = (n1 + 1) / (n1 + 2);
  lo = 1 / (n - n1 + 2);
  for (guint i = 0; i < n; i++)
    {
      double t = pos[i] ? hi : lo, p = 1.0 / (1.0 + exp (A * s[i] + B));
      g1 += s[i] * (t - p);
      g2 += t - p;
    }
  g_assert_cmpfloat (fabs (g1), <, 1e-4);
  g_assert_cmpfloat (fabs (g2), <, 1e-4);
  g_assert_cmpfloat (A, <, 0);
  g_assert_cmpfloat (assay_platt_prob (2.0, A, B), >, assay_platt_prob (-2.0, A, B));
  g_assert_cmpfloat_with_epsilon (assay_platt_prob (0.7, A, B), 1.0 / (1.0 + exp (A * 0.7 + B)), 1e-15);
}

/* Three topics of distinct words (the planted corpora) */
static const char *names[3] = { "energy", "farming", "finance" };

/* 12 words, each of the topic with probability 0.85, else of any topic */
static GString *
topic_text (GRand *rng, guint topic)
{
  static const char *words[3][6] = { { "oil", "crude", "barrel", "opec", "refinery", "pipeline" },
                                     { "wheat", "grain", "harvest", "corn", "farm", "crop" },
                                     { "bank", "loan", "credit", "interest", "deposit", "lender" } };
  GString *text = g_string_new (NULL);

  for (guint w = 0; w < 12; w++)
    g_string_append_printf (text, "%s ", words[g_rand_double (rng) < 0.85 ? topic : (guint) g_rand_int_range (rng, 0, 3)]
                                               [g_rand_int_range (rng, 0, 6)]);
  return text;
}

/* Writes jsonl to a file of that name and imports it as labelled documents (dataset 1 of a fresh
 * store) */
static void
import_jsonl (AssayStore *store, const char *name, const char *jsonl)
{
  g_autofree char *path = assay_test_write_file (name, jsonl);
  g_autoptr (GError) error = NULL;
  AssayXmtcImportOptions io;
  AssayXmtcImportResult  ir;

  assay_xmtc_import_options_init (&io);
  io.format = ASSAY_XMTC_FORMAT_JSONL;
  g_assert_true (assay_xmtc_import (store, path, &io, &ir, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* End to end: three topics of distinct words, 20 of 240 documents given the wrong topic; most
 * are found, and few right ones. A document's id is the one it was imported with. */
static void
test_planted_corpus (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("label-errors.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (8);
  g_autoptr (GString) jsonl = g_string_new (NULL);
  g_autoptr (GHashTable) planted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonObject) r = NULL;
  AssayXmtcErrorOptions options;
  JsonArray *errors;
  guint      hits = 0, near_total = 0, near_agree = 0;

  for (guint i = 0; i < 240; i++)
    {
      guint topic = i % 3, given = topic;
      g_autoptr (GString) text = topic_text (rng, topic);
      if (i % 12 == 5)
        {
          given = (topic + 1 + i % 2) % 3;
          g_hash_table_add (planted, g_strdup_printf ("doc-%u", i));
        }
      g_string_append_printf (jsonl, "{\"id\": \"doc-%u\", \"text\": \"%s\", \"labels\": [\"%s\"], \"split\": \"train\"}\n", i,
                              text->str, names[given]);
    }
  import_jsonl (store, "planted.jsonl", jsonl->str);
  assay_xmtc_error_options_init (&options);
  options.baseline = TRUE;
  r = assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (r, "one_label"));
  errors = json_object_get_array_member (r, "errors");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "baseline")), ==, json_array_get_length (errors));
  for (guint k = 0; k < json_array_get_length (errors); k++)
    {
      JsonObject *e = json_array_get_object_element (errors, k);
      g_assert_true (json_object_get_boolean_member (e, "given"));
      g_assert_true (g_str_has_prefix (json_object_get_string_member (e, "document"), "doc-"));
      hits += g_hash_table_contains (planted, json_object_get_string_member (e, "document"));
      /* evidence: three nearest documents, most similar first, never the document itself; a
       * flipped document's neighbours mostly carry its true topic (the suggested label) */
      {
        JsonArray *near = json_object_get_array_member (e, "neighbours");
        g_assert_cmpuint (json_array_get_length (near), ==, 3);
        for (guint z = 0; z < 3; z++)
          {
            JsonObject *m = json_array_get_object_element (near, z);
            JsonArray  *ml = json_object_get_array_member (m, "labels");
            double      sim = json_object_get_double_member (m, "similarity");
            g_assert_cmpstr (json_object_get_string_member (m, "document"), !=, json_object_get_string_member (e, "document"));
            g_assert_cmpfloat (sim, >, 0.0);
            g_assert_cmpfloat (sim, <=, 1.0 + 1e-6);
            if (z > 0)
              g_assert_cmpfloat (sim, <=, json_object_get_double_member (json_array_get_object_element (near, z - 1), "similarity"));
            g_assert_cmpuint (json_array_get_length (ml), ==, 1);
            near_total++;
            near_agree += g_str_equal (json_array_get_string_element (ml, 0), json_object_get_string_member (e, "suggested"));
          }
      }
      if (k > 0)
        g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (errors, k - 1), "score"), <=,
                           json_object_get_double_member (e, "score"));
    }
  /* recall of the 20 planted flips, and precision */
  g_assert_cmpuint (hits, >=, 15);
  g_test_message ("nearest documents carrying the suggested label: %u of %u", near_agree, near_total);
  g_assert_cmpuint (near_agree * 3, >=, near_total * 2);
  g_assert_cmpuint (json_array_get_length (errors), <=, hits + 10);

  /* correcting the first: relabelled as suggested, counts follow, one undo restores both */
  {
    JsonObject      *e = json_array_get_object_element (errors, 0);
    const char      *doc = json_object_get_string_member (e, "document");
    g_autofree char *title = NULL, *text = NULL;
    g_auto (GStrv)   labels = NULL;
    g_autofree char *undone = NULL;

    g_autofree char *count_sql = g_strdup_printf ("SELECT n_train FROM xmtc_labels WHERE name = '%s'",
                                                  json_object_get_string_member (e, "suggested"));
    gint64           count0 = assay_store_query_int (store, count_sql, 0);
    g_assert_true (assay_xmtc_correct_label (store, 1, e, &error));
    g_assert_no_error (error);
    g_assert_true (assay_xmtc_document_get (store, 1, doc, &title, &text, &labels, &error));
    g_assert_cmpuint (g_strv_length (labels), ==, 1);
    g_assert_cmpstr (labels[0], ==, json_object_get_string_member (e, "suggested"));
    g_assert_cmpint (assay_store_query_int (store, "SELECT sum(n_train) FROM xmtc_labels", 0), ==, 240);
    g_assert_cmpint (assay_store_query_int (store, count_sql, 0), ==, count0 + 1);
    /* the same correction again has nothing to do */
    g_assert_false (assay_xmtc_correct_label (store, 1, e, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
    g_clear_error (&error);
    g_assert_true (assay_store_undo (store, &undone, &error));
    g_assert_nonnull (strstr (undone, "Relabel"));
    g_strfreev (labels);
    labels = NULL;
    g_free (title);
    g_free (text);
    g_assert_true (assay_xmtc_document_get (store, 1, doc, &title, &text, &labels, &error));
    g_assert_cmpstr (labels[0], ==, json_object_get_string_member (e, "label"));
    g_assert_cmpint (assay_store_query_int (store, count_sql, 0), ==, count0);
    /* an unknown document */
    {
      g_autoptr (JsonObject) bad = json_object_new ();
      json_object_set_string_member (bad, "document", "no-such-doc");
      json_object_set_string_member (bad, "label", "energy");
      json_object_set_boolean_member (bad, "given", TRUE);
      g_assert_false (assay_xmtc_correct_label (store, 1, bad, &error));
      g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }
  }
}

/* Nearest rows through the transpose against a float64 scan of every pair: 3 000 sparse unit
 * rows (a Zipf-like vocabulary of 2 000 columns, so that some columns are long), k 5; also rows
 * with no column in common with anyone and an empty row. */
static void
test_nearest_rows (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  g_autoptr (AssayCsr) x = assay_csr_new (2000);
  guint n = 3000, k = 5, nq = 300;
  g_autofree guint *queries = g_new (guint, nq);
  g_autofree int *nn = g_new (int, nq * k);
  g_autofree float *sim = g_new (float, nq * k);
  g_autofree double *dense = g_new0 (double, (gsize) n * 2000);
  guint checked = 0;

  for (guint i = 0; i < n; i++)
    {
      guint32 idx[40];
      float   val[40];
      guint   m = i == 7 ? 0 : 3 + g_rand_int_range (rng, 0, 30);
      for (guint j = 0; j < m; j++)
        {
          /* rows 10..19 use columns of their own, shared with no other row */
          idx[j] = i >= 10 && i < 20 ? 1990 + (i - 10) : (guint32) (2000 * pow (g_rand_double (rng), 3.0)) % 1990;
          val[j] = (float) g_rand_double_range (rng, 0.1, 2.0);
        }
      assay_csr_append_row (x, idx, val, m);
    }
  assay_csr_normalize_rows (x);
  for (guint i = 0; i < n; i++)
    for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
      dense[(gsize) i * 2000 + x->indices[p]] = x->data[p];
  for (guint q = 0; q < nq; q++)
    queries[q] = q < 20 ? q : (guint) g_rand_int_range (rng, 0, (gint32) n);
  assay_csr_nearest_rows (x, queries, nq, k, nn, sim);
  for (guint q = 0; q < nq; q++)
    {
      guint  r = queries[q];
      double best[5];
      int    who[5], found = 0;
      /* the reference: every other row's product in float64, kept when > 0 */
      for (guint j = 0; j < n; j++)
        {
          double s = 0;
          int    at;
          if (j == r)
            continue;
          for (guint c = 0; c < 2000; c++)
            s += dense[(gsize) r * 2000 + c] * dense[(gsize) j * 2000 + c];
          if (s <= 0)
            continue;
          for (at = found; at > 0 && best[at - 1] < s; at--)
            ;
          if (at >= (int) k)
            continue;
          for (int z = MIN (found, (int) k - 1); z > at; z--)
            best[z] = best[z - 1], who[z] = who[z - 1];
          best[at] = s;
          who[at] = (int) j;
          found = MIN (found + 1, (int) k);
        }
      for (guint z = 0; z < k; z++)
        {
          if ((int) z >= found)
            {
              g_assert_cmpint (nn[q * k + z], ==, -1);
              continue;
            }
          g_assert_cmpint (nn[q * k + z], >=, 0);
          g_assert_cmpfloat_with_epsilon (sim[q * k + z], best[z], 1e-6);
          /* the same row unless another one ties within float32 */
          if (nn[q * k + z] != who[z])
            g_assert_true ((z + 1 < (guint) found && fabs (best[z] - best[z + 1]) < 1e-6)
                           || (z > 0 && fabs (best[z] - best[z - 1]) < 1e-6));
          checked++;
        }
      /* the empty row and the rows of their own columns have no neighbour */
      if (r == 7 || (r >= 10 && r < 20))
        g_assert_cmpint (nn[q * k], ==, -1);
    }
  g_assert_cmpuint (checked, >, 250 * k);
}

/* Embeddings + logistic regression: the planted corpus again, its documents given vectors that
 * know their true topic (a centre per topic and noise, 16 wide, written as an embedding set):
 * the flips are found from the embeddings alone and from the mean with the SVM; a set lacking a
 * document's vector is refused naming it; the latest set is found by field. */
static void
test_embeddings_model (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("label-errors-embed.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (21);
  g_autoptr (GString) jsonl = g_string_new (NULL);
  g_autoptr (GHashTable) planted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  double centre[3][16];
  AssayXmtcErrorOptions options;
  sqlite3_stmt *stmt;

  for (guint t = 0; t < 3; t++)
    for (guint j = 0; j < 16; j++)
      centre[t][j] = g_rand_double_range (rng, -1, 1);
  /* texts that say nothing of the topic: only the embeddings know it */
  for (guint i = 0; i < 300; i++)
    {
      guint topic = i % 3, given = i % 10 == 3 ? (topic + 1 + (i / 10) % 2) % 3 : topic;
      if (given != topic)
        g_hash_table_add (planted, g_strdup_printf ("doc-%u", i));
      g_string_append_printf (jsonl, "{\"id\": \"doc-%u\", \"text\": \"report number %u of the week\", \"labels\": "
                              "[\"%s\"], \"split\": \"train\"}\n", i, i % 7, names[given]);
    }
  import_jsonl (store, "embed-planted.jsonl", jsonl->str);
  g_assert_cmpint (assay_embeddings_latest_set (store, 1, "text", &error), ==, 0);
  g_assert_true (assay_store_exec (store, "INSERT INTO embedding_sets (id, dataset_id, key, model, settings, dim, dtype) "
                                          "VALUES (4, 1, 'k', 'test', '{\"field\": \"text\"}', 16, 'f32'), "
                                          "(5, 1, 'k2', 'test', '{\"field\": \"test\"}', 16, 'f32')", &error));
  g_assert_cmpint (assay_embeddings_latest_set (store, 1, "text", &error), ==, 4);
  /* a later set of the texts that a stopped run left with one vector loses to the whole one */
  g_assert_true (assay_store_exec (store, "INSERT INTO embedding_sets (id, dataset_id, key, model, settings, dim, dtype, "
                                          "updated) VALUES (6, 1, 'k3', 'test', '{\"field\": \"text\"}', 16, 'f32', "
                                          "'2999-01-01'); INSERT INTO embeddings SELECT 6, min (id), '', zeroblob (64) FROM "
                                          "xmtc_documents", &error));
  stmt = assay_store_prepare (store, "INSERT INTO embeddings (set_id, item_id, text_hash, vector) "
                                     "SELECT 4, id, '', ? FROM xmtc_documents WHERE ext_id = ?", &error);
  for (guint i = 0; i < 300; i++)
    {
      float            v[16];
      g_autofree char *ext = g_strdup_printf ("doc-%u", i);
      for (guint j = 0; j < 16; j++)
        v[j] = (float) (centre[i % 3][j] + g_rand_double_range (rng, -0.4, 0.4));
      sqlite3_reset (stmt);
      sqlite3_bind_blob (stmt, 1, v, sizeof v, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, ext, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    }
  sqlite3_reset (stmt);
  g_assert_cmpint (assay_embeddings_latest_set (store, 1, "text", &error), ==, 4);

  for (int m = ASSAY_ERROR_MODEL_SVM; m <= ASSAY_ERROR_MODEL_MEAN; m++)
    {
      g_autoptr (JsonObject) r = NULL;
      JsonArray *errors;
      guint      hits = 0;
      assay_xmtc_error_options_init (&options);
      options.model = (AssayErrorModel) m;
      options.embedding_set = 4;
      options.baseline = TRUE;
      r = assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (r, "model"), ==, assay_error_model_name ((AssayErrorModel) m));
      errors = json_object_get_array_member (r, "errors");
      for (guint k = 0; k < json_array_get_length (errors); k++)
        hits += g_hash_table_contains (planted, json_object_get_string_member (json_array_get_object_element (errors, k),
                                                                                 "document"));
      {
        JsonArray *base = json_object_get_array_member (r, "baseline");
        guint      bh = 0;
        for (guint k = 0; k < MIN (30, json_array_get_length (base)); k++)
          bh += g_hash_table_contains (planted, json_object_get_string_member (json_array_get_object_element (base, k), "document"));
        g_test_message ("%s: %u found, %u of the 30 planted flips; %u of the 30 lowest p(given)",
                        assay_error_model_name ((AssayErrorModel) m), json_array_get_length (errors), hits, bh);
      }
      if (m == ASSAY_ERROR_MODEL_SVM)
        g_assert_cmpuint (hits * 5, <=, json_array_get_length (errors)); /* the texts say nothing of the topic */
      else
        {
          g_assert_cmpuint (hits, >=, 26);
          g_assert_cmpuint (json_array_get_length (errors), <=, hits + 6);
        }
    }
  /* the app's default job: the mean of both, the dataset having a set of its texts */
  {
    g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
    g_autoptr (AssayJob) job = assay_xmtc_errors_job_new (1, NULL);
    g_autofree char *ws = assay_test_path ("label-errors-embed.assay");
    JsonObject *r;
    assay_worker_set_workspace (worker, ws);
    g_assert_true (assay_worker_run_sync (worker, job, &error));
    g_assert_no_error (error);
    r = json_node_get_object (assay_job_get_result (job));
    g_assert_cmpstr (json_object_get_string_member (r, "model"), ==, "mean");
    g_assert_cmpint (json_object_get_int_member (r, "embedding_set"), ==, 4);
  }
  /* a vector that is not a number: refused, naming the row */
  g_assert_true (assay_store_exec (store, "UPDATE embeddings SET vector = zeroblob (64) WHERE item_id = 7", &error));
  {
    float nan_first[16] = { NAN };
    sqlite3_stmt *u = assay_store_prepare (store, "UPDATE embeddings SET vector = ? WHERE item_id = 7", &error);
    sqlite3_bind_blob (u, 1, nan_first, sizeof nan_first, SQLITE_TRANSIENT);
    g_assert_cmpint (sqlite3_step (u), ==, SQLITE_DONE);
    sqlite3_reset (u);
  }
  options.model = ASSAY_ERROR_MODEL_MEAN;
  g_assert_null (assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "the vector of row 7 is not finite"));
  g_clear_error (&error);
  /* a set of another dataset */
  g_assert_true (assay_store_exec (store, "INSERT INTO datasets (id, name, area, source) VALUES (9, 'other', 'xmtc', 'x'); "
                                          "UPDATE embedding_sets SET dataset_id = 9 WHERE id = 4", &error));
  g_assert_null (assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "holds the vectors of dataset 9, not of dataset 1"));
  g_clear_error (&error);
  g_assert_true (assay_store_exec (store, "UPDATE embedding_sets SET dataset_id = 1 WHERE id = 4; UPDATE embeddings SET "
                                          "vector = (SELECT vector FROM embeddings WHERE item_id = 10) WHERE item_id = 7",
                                   &error));
  /* a document without a vector */
  g_assert_true (assay_store_exec (store, "DELETE FROM embeddings WHERE item_id = (SELECT max(item_id) FROM embeddings)",
                                   &error));
  options.model = ASSAY_ERROR_MODEL_EMBEDDINGS;
  g_assert_null (assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "1 of 300 items have no vector in embedding set 4"));
  g_clear_error (&error);
  options.embedding_set = 0;
  g_assert_null (assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
}

/* A multi-label corpus with a label on three documents only: the model cannot learn it, and
 * confident learning's threshold for it sits at its base rate; no document is said to lack it
 * unless its probability says so (there were hundreds) */
static void
test_rare_label (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("label-errors-rare.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (4);
  g_autoptr (GString) jsonl = g_string_new (NULL);
  g_autoptr (JsonObject) r = NULL;
  AssayXmtcErrorOptions options;
  JsonArray *errors;
  guint rare_missing = 0;

  for (guint i = 0; i < 600; i++)
    {
      guint topic = i % 3;
      g_autoptr (GString) text = topic_text (rng, topic);
      g_string_append_printf (jsonl, "{\"id\": \"doc-%u\", \"text\": \"%s\", \"labels\": [\"%s\"%s], \"split\": \"train\"}\n",
                              i, text->str, names[topic], i % 200 == 1 ? ", \"rare\"" : "");
    }
  import_jsonl (store, "rare.jsonl", jsonl->str);
  assay_xmtc_error_options_init (&options);
  r = assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (json_object_get_boolean_member (r, "one_label"));
  errors = json_object_get_array_member (r, "errors");
  for (guint k = 0; k < json_array_get_length (errors); k++)
    {
      JsonObject *e = json_array_get_object_element (errors, k);
      rare_missing += g_str_equal (json_object_get_string_member (e, "label"), "rare") && !json_object_get_boolean_member (e, "given");
      /* each flagged the other way round from its probability */
      if (json_object_get_boolean_member (e, "given"))
        g_assert_cmpfloat (json_object_get_double_member (e, "score"), <, 0.5);
    }
  g_test_message ("%u errors found, %u of them a missing “rare”", json_array_get_length (errors), rare_missing);
  g_assert_cmpuint (rare_missing, ==, 0);
}

/* Texts that say nothing of their labels (all the same): the probabilities are flat, and no
 * document is said to carry a wrong label (a third of them were) */
static void
test_flat (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("label-errors-flat.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) jsonl = g_string_new (NULL);
  g_autoptr (JsonObject) r = NULL;
  AssayXmtcErrorOptions options;

  for (guint i = 0; i < 60; i++)
    g_string_append_printf (jsonl, "{\"id\": \"d%u\", \"text\": \"the same report again\", \"labels\": [\"%s\"]}\n", i,
                            names[i % 3]);
  import_jsonl (store, "flat.jsonl", jsonl->str);
  assay_xmtc_error_options_init (&options);
  r = assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "errors")), ==, 0);
}

/* Every text carries the same common words, and five carry nothing else: those five are nobody's
 * neighbour (a text of common words only stood beside a fifth of the errors) */
static void
test_common_words (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("label-errors-common.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (12);
  g_autoptr (GString) jsonl = g_string_new (NULL);
  g_autoptr (JsonObject) r = NULL;
  AssayXmtcErrorOptions options;
  JsonArray *errors;
  guint near = 0;

  for (guint i = 0; i < 240; i++)
    {
      guint topic = i % 3, given = i % 12 == 5 ? (topic + 1) % 3 : topic;
      g_autoptr (GString) text = topic_text (rng, topic);
      g_string_append_printf (jsonl, "{\"id\": \"doc-%u\", \"text\": \"the %sof the and\", \"labels\": [\"%s\"]}\n", i,
                              text->str, names[given]);
    }
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (jsonl, "{\"id\": \"common-%u\", \"text\": \"the of the and\", \"labels\": [\"%s\"]}\n", i,
                            names[i % 3]);
  import_jsonl (store, "common.jsonl", jsonl->str);
  assay_xmtc_error_options_init (&options);
  r = assay_xmtc_label_errors (store, 1, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  errors = json_object_get_array_member (r, "errors");
  g_assert_cmpuint (json_array_get_length (errors), >=, 10);
  for (guint k = 0; k < json_array_get_length (errors); k++)
    {
      JsonObject *e = json_array_get_object_element (errors, k);
      JsonArray  *n = json_object_get_array_member (e, "neighbours");
      for (guint z = 0; z < json_array_get_length (n); z++)
        {
          g_assert_false (g_str_has_prefix (json_object_get_string_member (json_array_get_object_element (n, z), "document"),
                                            "common-"));
          near++;
        }
    }
  g_assert_cmpuint (near, >=, 2 * json_array_get_length (errors));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/label-errors/reference", test_against_reference);
  g_test_add_func ("/label-errors/platt", test_platt);
  g_test_add_func ("/label-errors/planted-corpus", test_planted_corpus);
  g_test_add_func ("/label-errors/nearest-rows", test_nearest_rows);
  g_test_add_func ("/label-errors/embeddings-model", test_embeddings_model);
  g_test_add_func ("/label-errors/rare-label", test_rare_label);
  g_test_add_func ("/label-errors/flat", test_flat);
  g_test_add_func ("/label-errors/common-words", test_common_words);
  return g_test_run ();
}
