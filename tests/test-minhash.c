/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MinHash near-duplicates: estimates against the exact Jaccard similarity of word 5-gram sets
 * (computed here apart), planted near-duplicates among 10^5 records all found and nothing else,
 * and the review decision that keeps one of each group, undone. */
#include <math.h>
#include <string.h>

#include "assay-gen-dedup.h"
#include "assay-gen-record.h"
#include "assay-minhash.h"
#include "assay-store.h"
#include "assay-test-util.h"

static char *
random_text (GRand *rng, guint n_words, guint vocab)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n_words; i++)
    g_string_append_printf (s, "%sw%u", i ? " " : "", g_rand_int_range (rng, 0, (gint32) vocab));
  return g_string_free (s, FALSE);
}

/* The reference: the set of word 5-grams, words split at spaces (the texts here are made of
 * ASCII words and single spaces). */
static GHashTable *
shingle_set (const char *text)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  guint       n = g_strv_length (words);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i + 5 <= n; i++)
    {
      g_autofree char *joined = g_strjoin (" ", words[i], words[i + 1], words[i + 2], words[i + 3], words[i + 4], NULL);
      g_hash_table_add (set, g_steal_pointer (&joined));
    }
  return set;
}

static double
exact_jaccard (const char *a, const char *b)
{
  g_autoptr (GHashTable) x = shingle_set (a);
  g_autoptr (GHashTable) y = shingle_set (b);
  GHashTableIter iter;
  gpointer       key;
  guint          both = 0;

  g_hash_table_iter_init (&iter, x);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    both += g_hash_table_contains (y, key);
  return (double) both / (g_hash_table_size (x) + g_hash_table_size (y) - both);
}

/* 1 000 pairs with every degree of overlap: the estimate is unbiased and its error what 128
 * permutations allow (standard deviation sqrt(J (1 - J) / 128), at most 0.044). */
static void
test_estimates (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  g_autoptr (AssayMinHash) mh = assay_minhash_new (NULL);
  guint64 a[128], b[128];
  double  sum_abs = 0, sum = 0, worst = 0;
  guint   within_05 = 0, within_3sd = 0;

  for (guint p = 0; p < 1000; p++)
    {
      g_autofree char *base = random_text (rng, 80, 3000);
      g_auto (GStrv) words = g_strsplit (base, " ", -1);
      double           share = g_rand_double (rng) * 0.5;
      g_autofree char *other = NULL;
      double           exact, est, err, sd;

      for (guint i = 0; words[i] != NULL; i++)
        if (g_rand_double (rng) < share)
          {
            g_free (words[i]);
            words[i] = g_strdup_printf ("x%u", g_rand_int (rng));
          }
      other = g_strjoinv (" ", words);
      exact = exact_jaccard (base, other);
      g_assert_true (assay_minhash_signature (mh, base, a));
      g_assert_true (assay_minhash_signature (mh, other, b));
      est = assay_minhash_estimate (a, b, 128);
      err = est - exact;
      sd = sqrt (exact * (1 - exact) / 128);
      sum += err;
      sum_abs += fabs (err);
      worst = MAX (worst, fabs (err));
      within_05 += fabs (err) <= 0.05;
      within_3sd += fabs (err) <= 3 * sd + 1e-9;
    }
  g_test_message ("MinHash, 128 permutations, 1000 pairs: mean error %+.4f, mean |error| %.4f, worst %.3f, "
                  "%u within ±0.05, %u within 3 sd", sum / 1000, sum_abs / 1000, worst, within_05, within_3sd);
  g_assert_cmpfloat (fabs (sum / 1000), <, 0.01); /* unbiased */
  g_assert_cmpfloat (sum_abs / 1000, <=, 0.05);
  g_assert_cmpuint (within_3sd, >=, 990);
  g_assert_cmpuint (within_05, >=, 800);
}

/* 10^5 random records and 400 planted near-duplicates: copies, one word added at the end, the
 * last word changed, case and punctuation changed. All found at 0.8, nothing else grouped. */
static void
test_planted (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  g_autoptr (AssayMinHash) mh = assay_minhash_new (NULL);
  const guint N = 100000, PLANTED = 400;
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint64 *sigs = NULL;
  g_autofree gboolean *valid = NULL;
  g_autofree guint *twin = g_new (guint, N);
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  guint pairs;

  for (guint i = 0; i < N; i++)
    twin[i] = G_MAXUINT;
  for (guint i = 0; i < N - PLANTED; i++)
    g_ptr_array_add (texts, random_text (rng, 30, 5000));
  for (guint k = 0; k < PLANTED; k++)
    {
      guint            src = (guint) g_rand_int_range (rng, 0, (gint32) (N - PLANTED));
      const char      *t = texts->pdata[src];
      char            *copy;
      switch (k % 4)
        {
        case 0: copy = g_strdup (t); break;
        case 1: copy = g_strconcat (t, " extra", NULL); break;
        case 2:
          {
            const char *last = strrchr (t, ' ');
            copy = g_strdup_printf ("%.*s changed", (int) (last - t), t);
            break;
          }
        default:
          {
            g_autofree char *up = g_ascii_strup (t, -1);
            copy = g_strdup_printf ("%s!!", up);
            break;
          }
        }
      twin[texts->len] = src;
      g_ptr_array_add (texts, copy);
    }
  sigs = g_new (guint64, (gsize) N * 128);
  valid = g_new (gboolean, N);
  for (guint i = 0; i < N; i++)
    valid[i] = assay_minhash_signature (mh, texts->pdata[i], sigs + (gsize) i * 128);
  groups = assay_minhash_groups (mh, sigs, valid, N, 0.8, &pairs);
  g_test_message ("10^5 records: signatures and groups in %.2f s, %u groups, %u pairs", g_timer_elapsed (timer, NULL),
                  groups->len, pairs);
  /* every planted record with its source, and no group without a planted record */
  {
    g_autofree guint *group_of = g_new (guint, N);
    for (guint i = 0; i < N; i++)
      group_of[i] = G_MAXUINT;
    for (guint g = 0; g < groups->len; g++)
      {
        GArray  *m = groups->pdata[g];
        gboolean planted = FALSE;
        for (guint k = 0; k < m->len; k++)
          {
            guint i = g_array_index (m, guint, k);
            group_of[i] = g;
            planted |= twin[i] != G_MAXUINT;
          }
        g_assert_true (planted);
      }
    for (guint i = 0; i < N; i++)
      if (twin[i] != G_MAXUINT)
        {
          g_assert_cmpuint (group_of[i], !=, G_MAXUINT);
          g_assert_cmpuint (group_of[i], ==, group_of[twin[i]]);
        }
  }
}

/* In a workspace: the groups by record id, one reject that keeps the accepted one, undone. */
static void
test_workspace (void)
{
  g_autofree char *path = assay_test_path ("dedup.assay");
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) r = NULL;
  const char *texts[] = { "the cat sat on the mat and looked at the dog", "The cat sat on the mat, and looked at the dog!",
                          "an entirely different sentence about other things", "the cat sat on the mat and looked at the dog",
                          "", "--" };
  guint n = 0;

  store = assay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (assay_store_exec (store, "INSERT INTO datasets (area, name) VALUES ('gen', 'd')", &error));
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      sqlite3_stmt *stmt = assay_store_prepare (store, "INSERT INTO gen_records (dataset_id, kind, text, status) "
                                                       "VALUES (1, 'response', ?, ?)", &error);
      sqlite3_bind_text (stmt, 1, texts[i], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, i == 3 ? "accepted" : "pending", -1, SQLITE_STATIC);
      g_assert_true (assay_store_step_done (store, stmt, &error));
    }
  r = assay_gen_dedup (store, 1, 0.8, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (r, "without_words"), ==, 2);
  {
    JsonArray *groups = json_object_get_array_member (r, "groups");
    JsonArray *g = json_array_get_array_element (groups, 0);
    g_assert_cmpuint (json_array_get_length (groups), ==, 1);
    g_assert_cmpuint (json_array_get_length (g), ==, 3);
    g_assert_cmpint (json_array_get_int_element (g, 0), ==, 1);
    g_assert_cmpint (json_array_get_int_element (g, 1), ==, 2);
    g_assert_cmpint (json_array_get_int_element (g, 2), ==, 4);
  }
  g_assert_true (assay_gen_dedup_reject (store, r, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'rejected' AND id IN (1, 2)", 0), ==, 2);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'accepted' AND id = 4", 0), ==, 1);
  g_assert_true (assay_store_undo (store, NULL, &error));
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE status = 'rejected'", 0), ==, 0);
  g_assert_null (assay_gen_dedup (store, 1, 1.5, NULL, NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/minhash/estimates", test_estimates);
  g_test_add_func ("/minhash/planted", test_planted);
  g_test_add_func ("/minhash/workspace", test_workspace);
  return g_test_run ();
}
