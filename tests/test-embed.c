/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stored embeddings of a generations dataset (a tiny random BERT): made once and reused, brought
 * up to date after edits and deletions, resumed after a cancel, float16 beside float32; and what
 * they are used for: search, near-duplicates, zero-shot labels with their metrics recomputed here
 * in float64. The encoder's numbers themselves are checked against PyTorch (tests/peers). */
#include <math.h>

#include "assay-embed-job.h"
#include "assay-error.h"
#include "assay-depl.h"
#include "assay-gen-dedup.h"
#include "assay-semantic.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"
#include "assay-xmtc-model.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  AssayTestLm  *lm;
  AssayStore   *store;
  AssayBackend *backend;
  gint64        dataset;
  guint         n;
} Fixture;

static const char *const topics[] = { "the market and the stock price", "a football match and its goals",
                                      "a new chip and its software", "the war and the election" };

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = assay_test_path ("embed-bert");
  g_autoptr (GError) error = NULL;
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_BERT, ASSAY_DTYPE_F32);
  char err[256];
  guint n = GPOINTER_TO_UINT (data);

  f->lm = assay_test_lm_write (dir, &spec, 11);
  f->store = assay_test_fresh_store ("embed.assay");
  f->backend = assay_backend_cpu_new (2, err, sizeof err);
  g_assert_nonnull (f->backend);
  g_assert_true (assay_store_exec (f->store, "INSERT INTO datasets (area, name) VALUES ('gen', 'd')", &error));
  g_assert_no_error (error);
  f->dataset = 1;
  f->n = n;
  for (guint i = 0; i < n; i++)
    {
      sqlite3_stmt    *stmt = assay_store_prepare (f->store, "INSERT INTO gen_records (dataset_id, kind, text, condition) "
                                                             "VALUES (1, 'response', ?, ?)", &error);
      /* record 5 repeats record 1 word for word; record 7 has no text */
      g_autofree char *text = i == 7 ? NULL
                              : g_strdup_printf ("%s, item %u of %u", topics[(i == 5 ? 1 : i) % 4], i == 5 ? 1 : i, n);
      sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, i % 4 == 0 ? "Business" : i % 4 == 1 ? "Sports" : i % 4 == 2 ? "Sci/Tech" : "World",
                         -1, SQLITE_STATIC);
      g_assert_true (assay_store_step_done (f->store, stmt, &error));
    }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_object_unref (f->store);
  assay_backend_free (f->backend);
  assay_test_lm_free (f->lm);
}

static void
set_options (Fixture *f, AssayEmbedSetOptions *o)
{
  memset (o, 0, sizeof *o);
  o->model = g_strdup (assay_test_lm_dir (f->lm));
  o->dataset = f->dataset;
  o->normalize = -1;
}

static JsonObject *
update (Fixture *f, const AssayEmbedSetOptions *o)
{
  g_autoptr (GError) error = NULL;
  JsonObject *r = NULL;

  g_assert_true (assay_embed_set_update (f->store, o, f->backend, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  return r;
}

/* The same texts through the encoder directly. */
static float *
direct (Fixture *f, const char *const *texts, int n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = assay_lm_model_open (assay_test_lm_dir (f->lm), &error);
  g_autoptr (AssayEncoder) enc = NULL;
  AssayEncoderOptions eo;
  float *out = g_new (float, (gsize) n * 32);

  g_assert_no_error (error);
  g_assert_true (assay_encoder_folder_options (model, &eo, &error));
  enc = assay_encoder_new (model, f->backend, &eo, &error);
  g_assert_no_error (error);
  g_assert_true (assay_encoder_embed (enc, texts, n, out, &error));
  assay_lm_model_unload (model);
  return out;
}

static void
test_reuse_and_update (Fixture *f, gconstpointer data)
{
  g_auto (AssayEmbedSetOptions) o;
  g_autoptr (JsonObject) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL;
  g_autoptr (AssayEmbeddings) e = NULL, h = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *want = NULL;
  double worst = 0;

  set_options (f, &o);
  r1 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r1, "records"), ==, f->n);
  g_assert_cmpint (json_object_get_int_member (r1, "embedded"), ==, f->n - 1);
  g_assert_cmpint (json_object_get_int_member (r1, "without_text"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (r1, "dim"), ==, 32);
  /* made once: a second run embeds nothing */
  r2 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r2, "embedded"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (r2, "reused"), ==, f->n - 1);
  g_assert_cmpint (json_object_get_int_member (r2, "set"), ==, json_object_get_int_member (r1, "set"));

  /* the stored vector of record 2 is what the encoder gives for its text */
  e = assay_embeddings_load (f->store, json_object_get_int_member (r1, "set"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (e->n, ==, f->n - 1);
  g_assert_cmpint (assay_embeddings_find (e, 9), ==, 7); /* record 8 has no text */
  g_assert_cmpint (assay_embeddings_find (e, 8), ==, -1);
  g_assert_cmpint (assay_embeddings_find (e, 8000), ==, -1);
  {
    g_autofree char *t = g_strdup_printf ("%s, item %u of %u", topics[1], 1u, f->n);
    const char *texts[] = { t };
    want = direct (f, texts, 1);
    for (int j = 0; j < 32; j++)
      g_assert_cmpfloat (e->vectors[(gsize) assay_embeddings_find (e, 2) * 32 + j], ==, want[j]);
  }

  /* an edit re-embeds that record only; a deleted record's vector goes */
  g_assert_true (assay_store_exec (f->store, "UPDATE gen_records SET edited = 'an edited answer' WHERE id = 3", &error));
  g_assert_true (assay_store_exec (f->store, "DELETE FROM gen_records WHERE id = 4", &error));
  r3 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r3, "embedded"), ==, 1);
  g_assert_cmpint (assay_store_query_int (f->store, "SELECT count(*) FROM embeddings", -1), ==, f->n - 2);
  /* a text emptied by review takes its vector with it */
  g_assert_true (assay_store_exec (f->store, "UPDATE gen_records SET edited = '' WHERE id = 5", &error));
  g_clear_pointer (&r3, json_object_unref);
  r3 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r3, "without_text"), ==, 2);
  g_assert_cmpint (assay_store_query_int (f->store, "SELECT count(*) FROM embeddings WHERE item_id = 5", -1), ==, 0);

  /* float16: another set, within float16 rounding of the float32 one */
  o.f16 = TRUE;
  r4 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r4, "set"), !=, json_object_get_int_member (r1, "set"));
  g_assert_cmpstr (json_object_get_string_member (r4, "dtype"), ==, "f16");
  g_clear_pointer (&e, assay_embeddings_free);
  e = assay_embeddings_load (f->store, json_object_get_int_member (r1, "set"), &error);
  h = assay_embeddings_load (f->store, json_object_get_int_member (r4, "set"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (h->n, ==, e->n);
  for (gsize i = 0; i < (gsize) e->n * 32; i++)
    worst = MAX (worst, fabs (e->vectors[i] - h->vectors[i]));
  g_test_message ("float16 against float32: max difference %.2e", worst);
  g_assert_cmpfloat (worst, <=, 1e-3);
  g_assert_cmpfloat (worst, >, 0);
  /* other settings make another set too */
  o.f16 = FALSE;
  g_free (o.pooling);
  o.pooling = g_strdup ("cls");
  r5 = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r5, "set"), >, json_object_get_int_member (r4, "set"));

  /* what is refused */
  o.dataset = 99;
  g_assert_false (assay_embed_set_update (f->store, &o, f->backend, NULL, NULL, NULL, &r5, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  o.dataset = f->dataset;
  g_free (o.field);
  o.field = g_strdup ("answer");
  g_assert_false (assay_embed_set_update (f->store, &o, f->backend, NULL, NULL, NULL, &r5, &error));
  g_assert_nonnull (strstr (error->message, "answer"));
}

typedef struct
{
  GCancellable *cancel;
  int           calls;
} Stopper;

static void
stop_after_first (double fraction, const char *message, gpointer data)
{
  Stopper *s = data;
  if (fraction > 0 && ++s->calls == 1)
    g_cancellable_cancel (s->cancel);
}

/* 600 records: three chunks; cancelled after the first, the next run embeds the rest only */
static void
test_resume (Fixture *f, gconstpointer data)
{
  g_auto (AssayEmbedSetOptions) o;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) r = NULL;
  Stopper s = { cancel, 0 };

  set_options (f, &o);
  g_assert_false (assay_embed_set_update (f->store, &o, f->backend, stop_after_first, &s, cancel, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (assay_store_query_int (f->store, "SELECT count(*) FROM embeddings", -1), ==, ASSAY_EMBED_CHUNK);
  r = update (f, &o);
  g_assert_cmpint (json_object_get_int_member (r, "embedded"), ==, f->n - 1 - ASSAY_EMBED_CHUNK);
  g_assert_cmpint (assay_store_query_int (f->store, "SELECT count(*) FROM embeddings", -1), ==, f->n - 1);
}

static JsonObject *
semantic (Fixture *f, AssaySemanticKind kind, AssaySemanticOptions *o)
{
  g_autoptr (GError) error = NULL;
  JsonObject *r = NULL;

  g_assert_true (assay_semantic_run (f->store, kind, o, f->backend, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  return r;
}

static void
test_search_and_dedup (Fixture *f, gconstpointer data)
{
  AssaySemanticOptions o = { 0 };
  g_autoptr (JsonObject) s = NULL, d = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *query = g_strdup_printf ("%s, item %u of %u", topics[2], 6u, f->n);
  JsonArray *hits, *groups;
  guint n_rejected = 0;

  set_options (f, &o.set);
  o.query = g_strdup (query);
  o.limit = 5;
  s = semantic (f, ASSAY_SEMANTIC_SEARCH, &o);
  hits = json_object_get_array_member (s, "results");
  g_assert_cmpuint (json_array_get_length (hits), ==, 5);
  /* the record with the query's very text comes first, at cosine 1 */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (hits, 0), "id"), ==, 7);
  g_assert_cmpfloat (fabs (json_object_get_double_member (json_array_get_object_element (hits, 0), "score") - 1.0), <=, 1e-5);
  for (guint i = 1; i < 5; i++)
    g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (hits, i - 1), "score"), >=,
                       json_object_get_double_member (json_array_get_object_element (hits, i), "score"));

  /* records 2 and 6 hold the same text: one group at a cosine no other pair reaches */
  o.threshold = 0.99999;
  o.neighbours = 5;
  d = semantic (f, ASSAY_SEMANTIC_DEDUP, &o);
  groups = json_object_get_array_member (d, "groups");
  g_assert_cmpstr (json_object_get_string_member (d, "method"), ==, "embedding");
  g_assert_cmpuint (json_array_get_length (groups), ==, 1);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (groups, 0), 0), ==, 2);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (groups, 0), 1), ==, 6);
  g_assert_cmpint (json_object_get_int_member (d, "pairs"), ==, 1);
  /* a cosine of 1 finds exact copies (float32 may give 1 - 6e-8) */
  {
    g_autoptr (JsonObject) d1 = NULL;
    o.threshold = 1.0;
    d1 = semantic (f, ASSAY_SEMANTIC_DEDUP, &o);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (d1, "groups")), ==, 1);
  }
  /* the review decision of MinHash's groups takes these too */
  g_assert_true (assay_gen_dedup_reject (f->store, d, &n_rejected, &error));
  g_assert_cmpuint (n_rejected, ==, 1);
  g_assert_cmpint (assay_store_query_int (f->store, "SELECT count(*) FROM gen_records WHERE status = 'rejected'", -1), ==, 1);
  assay_semantic_options_clear (&o);
}

static void
test_zeroshot (Fixture *f, gconstpointer data)
{
  AssaySemanticOptions o = { 0 };
  g_autoptr (JsonObject) z = NULL;
  g_autoptr (AssayEmbeddings) e = NULL;
  g_autoptr (GError) error = NULL;
  const char *labels[] = { "Business", "Sports", "Sci/Tech", "World", NULL };
  const char *prompts[8];
  g_autofree char *p[8] = { NULL };
  g_autofree float *pe = NULL;
  JsonArray *pred, *per;
  guint correct = 0, evaluated = 0, tp[4] = { 0 }, fp[4] = { 0 }, fn[4] = { 0 };
  double macro = 0;

  set_options (f, &o.set);
  o.labels = g_strdupv ((char **) labels);
  o.truth = g_strdup ("condition");
  z = semantic (f, ASSAY_SEMANTIC_ZEROSHOT, &o);
  e = assay_embeddings_load (f->store, json_object_get_int_member (z, "set"), &error);
  g_assert_no_error (error);
  /* the prompts' vectors and the metrics recomputed here in float64 */
  for (int c = 0; c < 4; c++)
    {
      prompts[2 * c] = p[2 * c] = g_strdup_printf ("Category: %s.", labels[c]);
      prompts[2 * c + 1] = p[2 * c + 1] = g_strdup_printf ("It is about %s.", labels[c]);
    }
  pe = direct (f, prompts, 8);
  pred = json_object_get_array_member (z, "predictions");
  g_assert_cmpuint (json_array_get_length (pred), ==, e->n);
  for (guint i = 0; i < e->n; i++)
    {
      JsonObject *row = json_array_get_object_element (pred, i);
      double      best = -INFINITY;
      int         arg = 0, truth = (int) (e->ids[i] - 1) % 4;
      for (int c = 0; c < 4; c++)
        {
          double s = 0;
          for (int t = 0; t < 2; t++)
            for (int j = 0; j < 32; j++)
              s += (double) e->vectors[(gsize) i * 32 + j] * pe[(2 * c + t) * 32 + j] / 2;
          g_assert_cmpfloat (fabs (s - json_array_get_double_element (json_object_get_array_member (row, "scores"), c)), <=, 1e-6);
          if (s > best)
            best = s, arg = c;
        }
      g_assert_cmpint (json_object_get_int_member (row, "id"), ==, e->ids[i]);
      g_assert_cmpstr (json_object_get_string_member (row, "label"), ==, labels[arg]);
      evaluated++;
      correct += arg == truth;
      if (arg == truth)
        tp[arg]++;
      else
        fp[arg]++, fn[truth]++;
    }
  for (int c = 0; c < 4; c++)
    {
      double prec = tp[c] + fp[c] ? (double) tp[c] / (tp[c] + fp[c]) : 0, rec = tp[c] + fn[c] ? (double) tp[c] / (tp[c] + fn[c]) : 0;
      double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
      per = json_object_get_array_member (z, "per_class");
      g_assert_cmpfloat (fabs (json_object_get_double_member (json_array_get_object_element (per, c), "f1") - f1), <=, 1e-12);
      macro += f1 / 4;
    }
  g_assert_cmpint (json_object_get_int_member (z, "evaluated"), ==, evaluated);
  g_assert_cmpfloat (fabs (json_object_get_double_member (z, "accuracy") - (double) correct / evaluated), <=, 1e-12);
  g_assert_cmpfloat (fabs (json_object_get_double_member (z, "macro_f1") - macro), <=, 1e-12);

  /* Eq 3.9: records 1 (two elaborations) and 2 (one, one rejected) are represented by the
   * normalised mean of f(x ⊕ x_aug); the others as before */
  {
    g_autoptr (JsonObject) za = NULL;
    const char *aug[] = { "first elaboration of the market", "second elaboration, on stocks", "a football elaboration",
                          "rejected one" };
    const gint64 from[] = { 1, 1, 2, 2 };
    g_autofree char *t1 = g_strdup_printf ("%s, item %u of %u", topics[0], 0u, f->n);
    g_autofree char *c1 = g_strconcat (t1, "\n\n", aug[0], NULL), *c2 = g_strconcat (t1, "\n\n", aug[1], NULL);
    const char *cat[] = { c1, c2 };
    g_autofree float *fx = direct (f, cat, 2);
    double mean[32], norm = 0, want[4] = { 0 };
    JsonArray *scores;

    g_assert_true (assay_store_exec (f->store, "INSERT INTO datasets (area, name) VALUES ('gen', 'elaborations')", &error));
    for (int i = 0; i < 4; i++)
      {
        sqlite3_stmt    *stmt = assay_store_prepare (f->store, "INSERT INTO gen_records (dataset_id, kind, text, extra, status) "
                                                               "VALUES (2, 'augmentation', ?, ?, ?)", &error);
        g_autofree char *extra = g_strdup_printf ("{\"from\": %" G_GINT64_FORMAT ", \"template\": \"genco-elaborate\"}", from[i]);
        sqlite3_bind_text (stmt, 1, aug[i], -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, extra, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 3, i == 3 ? "rejected" : "pending", -1, SQLITE_STATIC);
        g_assert_true (assay_store_step_done (f->store, stmt, &error));
      }
    o.augmentations = 2;
    za = semantic (f, ASSAY_SEMANTIC_ZEROSHOT, &o);
    g_assert_cmpint (json_object_get_int_member (za, "augmented"), ==, 2);
    for (int j = 0; j < 32; j++)
      {
        mean[j] = ((double) fx[j] + fx[32 + j]) / 2;
        norm += mean[j] * mean[j];
      }
    for (int c = 0; c < 4; c++)
      for (int t = 0; t < 2; t++)
        for (int j = 0; j < 32; j++)
          want[c] += mean[j] / sqrt (norm) * pe[(2 * c + t) * 32 + j] / 2;
    scores = json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (za, "predictions"), 0), "scores");
    for (int c = 0; c < 4; c++)
      g_assert_cmpfloat (fabs (json_array_get_double_element (scores, c) - want[c]), <=, 1e-6);
    /* record 3 has none: as without elaborations */
    g_assert_cmpfloat (json_array_get_double_element (json_object_get_array_member (json_array_get_object_element (
                         json_object_get_array_member (za, "predictions"), 2), "scores"), 1), ==,
                       json_array_get_double_element (json_object_get_array_member (json_array_get_object_element (pred, 2), "scores"), 1));
    o.augmentations = 0;
  }

  /* refused: a label twice (in any case), an empty one, a truth no record has */
  {
    const char *twice[] = { "World", "world", "Sports", NULL }, *empty[] = { "World", " ", NULL };
    g_auto (GStrv) keep = o.labels;
    o.labels = (char **) twice;
    g_assert_false (assay_semantic_run (f->store, ASSAY_SEMANTIC_ZEROSHOT, &o, f->backend, NULL, NULL, NULL, &z, &error));
    g_assert_nonnull (strstr (error->message, "twice"));
    g_clear_error (&error);
    o.labels = (char **) empty;
    g_assert_false (assay_semantic_run (f->store, ASSAY_SEMANTIC_ZEROSHOT, &o, f->backend, NULL, NULL, NULL, &z, &error));
    g_assert_nonnull (strstr (error->message, "empty"));
    g_clear_error (&error);
    o.labels = g_steal_pointer (&keep);
    g_free (o.truth);
    o.truth = g_strdup ("extra.nothing");
    g_assert_false (assay_semantic_run (f->store, ASSAY_SEMANTIC_ZEROSHOT, &o, f->backend, NULL, NULL, NULL, &z, &error));
    g_assert_nonnull (strstr (error->message, "No record has a label"));
    g_clear_error (&error);
  }

  /* refused: one label, a template without {label}, a truth field that is not one */
  g_clear_pointer (&o.truth, g_free);
  o.truth = g_strdup ("extra.x'); DROP TABLE gen_records; --");
  g_assert_false (assay_semantic_run (f->store, ASSAY_SEMANTIC_ZEROSHOT, &o, f->backend, NULL, NULL, NULL, &z, &error));
  g_assert_nonnull (strstr (error->message, "truth"));
  g_clear_error (&error);
  g_clear_pointer (&o.truth, g_free);
  o.templates = g_strsplit ("About it.", "|", -1);
  g_assert_false (assay_semantic_run (f->store, ASSAY_SEMANTIC_ZEROSHOT, &o, f->backend, NULL, NULL, NULL, &z, &error));
  g_assert_nonnull (strstr (error->message, "{label}"));
  assay_semantic_options_clear (&o);
}

/* DEPL on a small labelled corpus through assay-cli: the dense ranking is the cosine order of the
 * stored document vectors against the label descriptions embedded here, the fused ranking is
 * the reciprocal-rank fusion recomputed here, and xmtc eval --dense reads back the same numbers. */
static void
test_depl (void)
{
  g_autofree char *dir = assay_test_path ("depl-bert");
  g_autofree char *ws = assay_test_path ("depl.assay");
  g_autoptr (GString) corpus = g_string_new (NULL);
  g_autofree char *corpus_path = NULL;
  AssayTestLmSpec spec = assay_test_lm_spec (ASSAY_LM_BERT, ASSAY_DTYPE_F32);
  g_autoptr (AssayTestLm) lm = assay_test_lm_write (dir, &spec, 12);
  const char *words[] = { "grain", "wheat", "oil", "crude", "gold", "bank", "trade", "ship" };
  g_autoptr (JsonObject) r = NULL, again = NULL, train = NULL, imported = NULL;
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayEmbeddings) e = NULL;
  g_autoptr (AssayXmtcModel) model = NULL;
  char err[256];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);
  gint64 dense_run, fused_run;
  guint checked = 0;

  g_unlink (ws);
  for (int i = 0; i < 120; i++)
    {
      int a = i % 8, c = (i * 3 + 1) % 8;
      g_string_append_printf (corpus, "{\"id\": \"d%d\", \"title\": \"%s news %d\", \"text\": \"%s %s prices and %s %s markets\", "
                                      "\"labels\": [\"%s\"%s%s%s], \"split\": \"%s\"}\n",
                              i, words[a], i, words[a], words[c], words[a], words[(a + 1) % 8], words[a],
                              i % 5 == 0 ? ", \"" : "", i % 5 == 0 ? words[c] : "", i % 5 == 0 ? "\"" : "",
                              i % 4 == 3 ? "test" : "train");
    }
  corpus_path = assay_test_write_file ("depl.jsonl", corpus->str);
  imported = assay_test_cli_json ((const char *[]) { "xmtc", "import", "-w", ws, "--json", corpus_path, NULL }, 0, NULL);
  train = assay_test_cli_json ((const char *[]) { "xmtc", "train", "-w", ws, "--json", "--dataset", "1", "--keywords", "4", NULL }, 0, NULL);
  g_assert_nonnull (train);
  r = assay_test_cli_json ((const char *[]) { "xmtc", "retrieve", "--dense", "-w", ws, "--json", "--run", "1", "--model",
                                              assay_test_lm_dir (lm), "--top-k", "5", NULL }, 0, NULL);
  g_assert_nonnull (r);
  g_assert_cmpint (json_object_get_int_member (r, "test_documents"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (r, "without_text"), ==, 0);
  dense_run = json_object_get_int_member (r, "dense_run");
  fused_run = json_object_get_int_member (r, "fused_run");
  /* read back */
  again = assay_test_cli_json ((const char *[]) { "xmtc", "eval", "--dense", "-w", ws, "--json", "--run", "1", NULL }, 0, NULL);
  for (int i = 0; i < 3; i++)
    {
      const char *m = (const char *[]) { "svm", "dense", "fused" }[i];
      g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (r, m), "psp@5"), ==,
                         json_object_get_double_member (json_object_get_object_member (again, m), "psp@5"));
      g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (r, m), "tail_macro_f1@5"), ==,
                         json_object_get_double_member (json_object_get_object_member (again, m), "tail_macro_f1@5"));
    }

  {
    /* xmtc list shows the SVM run beside the dense and fused ones */
    g_autoptr (JsonObject) list = assay_test_cli_json ((const char *[]) { "xmtc", "list", "-w", ws, "--json", NULL }, 0, NULL);
    JsonArray *runs = json_object_get_array_member (list, "runs");
    g_assert_cmpuint (json_array_get_length (runs), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        JsonObject *run = json_array_get_object_element (runs, i);
        gint64      id = json_object_get_int_member (run, "run");
        g_assert_cmpstr (json_object_get_string_member (run, "kind"), ==,
                         id == 1 ? "svm" : id == dense_run ? "dense" : id == fused_run ? "fusion" : "?");
      }
  }

  /* the dense ranking recomputed from the stored vectors and the descriptions */
  store = assay_store_open (ws, &error);
  g_assert_no_error (error);
  model = assay_xmtc_model_load (store, 1, &error);
  g_assert_no_error (error);
  e = assay_embeddings_load (store, assay_store_query_int (store, "SELECT max (id) FROM embedding_sets", 0), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (e->n, ==, 30);
  {
    guint L = assay_xmtc_model_get_n_labels (model);
    g_autoptr (GPtrArray) desc = g_ptr_array_new_with_free_func (g_free);
    g_autofree float *lv = g_new (float, (gsize) L * 32);
    AssayEmbedSetOptions so = { (char *) assay_test_lm_dir (lm), 1, NULL, NULL, NULL, -1, 0, FALSE };
    sqlite3_stmt *dense = assay_store_prepare (store, "SELECT labels FROM xmtc_predictions WHERE run_id = ? AND doc_id = ?", &error);
    sqlite3_stmt *svm = NULL, *fused = NULL;

    for (guint l = 0; l < L; l++)
      g_ptr_array_add (desc, assay_xmtc_model_pseudo_description (model, l, 4));
    g_assert_true (assay_embed_texts (&so, NULL, b, (const char *const *) desc->pdata, (int) L, lv, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < e->n; i++)
      {
        guint32 got[5], s_top[5], f_top[5];
        double  sc[64];
        int     order[64];
        guint   n_s = 0, n_f = 0;
        const void *blob;
        g_assert_cmpuint (L, <=, 64);
        for (guint l = 0; l < L; l++)
          {
            sc[l] = 0;
            for (int j = 0; j < 32; j++)
              sc[l] += (double) e->vectors[(gsize) i * 32 + j] * lv[l * 32 + j];
            order[l] = (int) l;
          }
        for (guint x = 0; x < L; x++) /* selection of the 5 best, ties to the lower index */
          for (guint y = x + 1; y < L; y++)
            if (sc[order[y]] > sc[order[x]] || (sc[order[y]] == sc[order[x]] && order[y] < order[x]))
              {
                int t = order[x];
                order[x] = order[y];
                order[y] = t;
              }
        sqlite3_bind_int64 (dense, 1, dense_run);
        sqlite3_bind_int64 (dense, 2, e->ids[i]);
        g_assert_cmpint (sqlite3_step (dense), ==, SQLITE_ROW);
        g_assert_cmpint (sqlite3_column_bytes (dense, 0), ==, 5 * 4);
        memcpy (got, sqlite3_column_blob (dense, 0), 5 * 4);
        sqlite3_reset (dense);
        for (int k = 0; k < 5; k++)
          if ((int) GUINT32_FROM_LE (got[k]) != order[k])
            /* float32 against float64: only a near tie may swap */
            g_assert_cmpfloat (fabs (sc[GUINT32_FROM_LE (got[k])] - sc[order[k]]), <=, 1e-6);
        /* the fusion of the stored SVM and dense lists */
        svm = assay_store_prepare (store, "SELECT labels FROM xmtc_predictions WHERE run_id = ? AND doc_id = ?", &error);
        sqlite3_bind_int64 (svm, 1, 1);
        sqlite3_bind_int64 (svm, 2, e->ids[i]);
        g_assert_cmpint (sqlite3_step (svm), ==, SQLITE_ROW);
        n_s = MIN (5, (guint) sqlite3_column_bytes (svm, 0) / 4);
        blob = sqlite3_column_blob (svm, 0);
        memcpy (s_top, blob, n_s * 4);
        sqlite3_reset (svm);
        fused = svm;
        sqlite3_bind_int64 (fused, 1, fused_run);
        sqlite3_bind_int64 (fused, 2, e->ids[i]);
        g_assert_cmpint (sqlite3_step (fused), ==, SQLITE_ROW);
        n_f = (guint) sqlite3_column_bytes (fused, 0) / 4;
        memcpy (f_top, sqlite3_column_blob (fused, 0), MIN (n_f, 5) * 4);
        sqlite3_reset (fused);
        {
          double rrf[64] = { 0 };
          int    best[64];
          for (guint k = 0; k < n_s; k++)
            rrf[GUINT32_FROM_LE (s_top[k])] += 1.0 / (60 + k + 1);
          for (guint k = 0; k < 5; k++)
            rrf[GUINT32_FROM_LE (got[k])] += 1.0 / (60 + k + 1);
          for (guint l = 0; l < L; l++)
            best[l] = (int) l;
          for (guint x = 0; x < L; x++)
            for (guint y = x + 1; y < L; y++)
              if (rrf[best[y]] > rrf[best[x]] || (rrf[best[y]] == rrf[best[x]] && best[y] < best[x]))
                {
                  int t = best[x];
                  best[x] = best[y];
                  best[y] = t;
                }
          for (guint k = 0; k < MIN (n_f, 5); k++)
            g_assert_cmpint ((int) GUINT32_FROM_LE (f_top[k]), ==, best[k]);
        }
        checked++;
      }
  }
  g_assert_cmpuint (checked, ==, 30);
  /* an SVM run that does not exist, a sparse corpus without texts */
  g_assert_null (assay_test_cli_json ((const char *[]) { "xmtc", "retrieve", "--dense", "-w", ws, "--run", "99", "--model",
                                                         assay_test_lm_dir (lm), NULL }, 1, NULL));
  assay_backend_free (b);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/embed/reuse-and-update", Fixture, GUINT_TO_POINTER (40), fixture_set_up, test_reuse_and_update, fixture_tear_down);
  g_test_add ("/embed/resume", Fixture, GUINT_TO_POINTER (600), fixture_set_up, test_resume, fixture_tear_down);
  g_test_add ("/embed/search-and-dedup", Fixture, GUINT_TO_POINTER (40), fixture_set_up, test_search_and_dedup, fixture_tear_down);
  g_test_add_func ("/embed/depl", test_depl);
  g_test_add ("/embed/zeroshot", Fixture, GUINT_TO_POINTER (40), fixture_set_up, test_zeroshot, fixture_tear_down);
  return g_test_run ();
}
