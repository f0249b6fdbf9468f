/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-eval.c: see assay-trace-eval.h. */
#include "assay-trace-eval.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-credit.h"
#include "assay-error.h"

typedef struct
{
  gint64  record;
  char   *prompt;
  char   *answer;       /* normalised extracted answer, or NULL */
  int     correct;      /* 1, 0, -1 unknown */
  int     label;        /* labelled first error, -2: none */
  double  reward;       /* side 0 */
  double  reward_rejected;
  gboolean has_rejected;
  gboolean pair;
  double *step_rewards;
  int     n_steps;
  double  certainty;    /* side 0, NaN: none */
} Row;

static void
row_clear (Row *r)
{
  g_free (r->prompt);
  g_free (r->answer);
  g_free (r->step_rewards);
}

static double *
blob_doubles (sqlite3_stmt *stmt, int i, int *n)
{
  const float *f = sqlite3_column_blob (stmt, i);
  double      *d;

  *n = sqlite3_column_bytes (stmt, i) / (int) sizeof (float);
  d = g_new (double, MAX (*n, 1));
  for (int k = 0; k < *n; k++)
    d[k] = f[k];
  return d;
}

static gboolean
read_rows (AssayStore *store, gint64 run, GArray *rows, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT t.record_id, t.side, t.reward, t.step_rewards, "
                                            "r.prompt, r.text, r.answer, r.correct, r.step_label, "
                                            "r.steps IS NOT NULL, r.kind, t.certainty FROM trace_tokens t JOIN "
                                            "gen_records r ON r.id = t.record_id WHERE t.run_id = ? "
                                            "ORDER BY t.record_id, t.side",
                                            error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 record = sqlite3_column_int64 (stmt, 0);
      int    side = sqlite3_column_int (stmt, 1);
      Row    r = { 0 };

      if (side == 1)
        {
          if (rows->len > 0 && g_array_index (rows, Row, rows->len - 1).record == record)
            {
              Row *last = &g_array_index (rows, Row, rows->len - 1);
              last->reward_rejected = sqlite3_column_double (stmt, 2);
              last->has_rejected = TRUE;
            }
          continue;
        }
      r.record = record;
      r.reward = sqlite3_column_double (stmt, 2);
      r.certainty = sqlite3_column_type (stmt, 11) == SQLITE_NULL ? NAN : sqlite3_column_double (stmt, 11);
      r.step_rewards = blob_doubles (stmt, 3, &r.n_steps);
      r.prompt = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      r.pair = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 10), "pair") == 0;
      {
        const char      *text = (const char *) sqlite3_column_text (stmt, 5);
        const char      *reference = (const char *) sqlite3_column_text (stmt, 6);
        g_autofree char *extracted = text != NULL ? assay_answer_extract (text, NULL) : NULL;
        r.answer = extracted != NULL ? assay_answer_normalize (extracted) : NULL;
        if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
          r.correct = sqlite3_column_int (stmt, 7) != 0;
        else if (reference != NULL && !r.pair)
          r.correct = extracted != NULL && assay_answer_equal (extracted, reference);
        else
          r.correct = -1;
      }
      r.label = sqlite3_column_type (stmt, 8) != SQLITE_NULL && sqlite3_column_int (stmt, 9)
                  ? sqlite3_column_int (stmt, 8)
                  : -2;
      g_array_append_val (rows, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "trace_tokens");
  return TRUE;
}

static void
set_double_or_null (JsonObject *o, const char *key, double v, gboolean valid)
{
  if (valid)
    json_object_set_double_member (o, key, v);
  else
    json_object_set_null_member (o, key);
}

static void
first_errors (GArray *rows, JsonObject *o)
{
  g_autoptr (GPtrArray) labelled = g_ptr_array_new ();
  g_autoptr (GPtrArray) calibrate = g_ptr_array_new ();
  g_autoptr (GPtrArray) judge = g_ptr_array_new ();
  AssayProcessBenchScore s = { 0 };
  double threshold = 0.0;

  for (guint k = 0; k < rows->len; k++)
    {
      Row *r = &g_array_index (rows, Row, k);
      if (r->label >= -1 && r->n_steps > 0)
        g_ptr_array_add (labelled, r);
    }
  for (guint k = 0; k < labelled->len; k++)
    {
      if (labelled->len < 4 || k % 2 == 0)
        g_ptr_array_add (calibrate, labelled->pdata[k]);
      if (labelled->len < 4 || k % 2 == 1)
        g_ptr_array_add (judge, labelled->pdata[k]);
    }
  if (calibrate->len > 0)
    {
      g_autofree const double **rewards = g_new (const double *, calibrate->len);
      g_autofree int *n_steps = g_new (int, calibrate->len), *labels = g_new (int, calibrate->len);
      for (guint k = 0; k < calibrate->len; k++)
        {
          Row *r = calibrate->pdata[k];
          rewards[k] = r->step_rewards;
          n_steps[k] = r->n_steps;
          labels[k] = r->label;
        }
      threshold = assay_credit_calibrate ((const double *const *) rewards, n_steps, labels,
                                          (int) calibrate->len, NULL);
    }
  if (judge->len > 0)
    {
      g_autofree int *labels = g_new (int, judge->len), *predicted = g_new (int, judge->len);
      for (guint k = 0; k < judge->len; k++)
        {
          Row *r = judge->pdata[k];
          labels[k] = r->label;
          predicted[k] = assay_credit_first_error (r->step_rewards, r->n_steps, threshold);
        }
      s = assay_processbench_score (labels, predicted, (int) judge->len);
    }
  json_object_set_double_member (o, "threshold", threshold);
  json_object_set_string_member (o, "threshold_source", calibrate->len > 0 ? "calibrated" : "default");
  json_object_set_int_member (o, "calibration_traces", calibrate->len);
  json_object_set_int_member (o, "evaluated_traces", judge->len);
  /* the harmonic mean needs both kinds of traces */
  set_double_or_null (o, "processbench_f1", s.f1, s.n_erroneous > 0 && s.n_correct > 0);
  set_double_or_null (o, "acc_erroneous", s.acc_erroneous, s.n_erroneous > 0);
  set_double_or_null (o, "acc_correct", s.acc_correct, s.n_correct > 0);
}

/* Candidates grouped by prompt, in id order. */
static GPtrArray *
questions (GArray *rows)
{
  g_autoptr (GHashTable) by_prompt = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint k = 0; k < rows->len; k++)
    {
      Row       *r = &g_array_index (rows, Row, k);
      GPtrArray *q;
      if (r->pair || r->correct < 0 || r->prompt == NULL)
        continue;
      if ((q = g_hash_table_lookup (by_prompt, r->prompt)) == NULL)
        {
          q = g_ptr_array_new ();
          g_hash_table_insert (by_prompt, r->prompt, q);
          g_ptr_array_add (out, q);
        }
      g_ptr_array_add (q, r);
    }
  return out;
}

static void
rerank (GPtrArray *qs, JsonObject *o)
{
  g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr (GPtrArray) answers = g_ptr_array_new ();
  g_autoptr (GArray) correct = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) rewards = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) certainty = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (JsonObject) curves = NULL;
  gboolean has_certainty = FALSE;

  /* the candidates one after the other, each question a list of their indices */
  for (guint q = 0; q < qs->len; q++)
    {
      GPtrArray *c = qs->pdata[q];
      GArray    *g = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < c->len; i++)
        {
          Row  *r = c->pdata[i];
          guint k = answers->len;
          g_ptr_array_add (answers, r->answer);
          g_array_append_val (correct, r->correct);
          g_array_append_val (rewards, r->reward);
          g_array_append_val (certainty, r->certainty);
          g_array_append_val (g, k);
          has_certainty |= isfinite (r->certainty);
        }
      g_ptr_array_add (groups, g);
    }
  {
    const AssayRerankCurve list[] = {
      { "majority", ASSAY_RERANK_MAJORITY, NULL },
      { "best_of_n", ASSAY_RERANK_BEST_OF_N, (const double *) rewards->data },
      { "weighted", ASSAY_RERANK_WEIGHTED, (const double *) rewards->data },
      /* by the policy's self-certainty, when the run computed it */
      { "best_of_n_certainty", ASSAY_RERANK_BEST_OF_N, (const double *) certainty->data },
    };
    curves = assay_rerank_curves (groups, (const char *const *) answers->pdata, (const int *) correct->data, list,
                                  has_certainty ? 4 : 3);
  }
  if (curves != NULL)
    {
      g_autoptr (GList) keys = json_object_get_members (curves);
      for (GList *l = keys; l != NULL; l = l->next)
        json_object_set_member (o, l->data, json_node_copy (json_object_get_member (curves, l->data)));
    }
}

static void
pairs (GArray *rows, GPtrArray *qs, JsonObject *o)
{
  double loss = 0.0;
  guint  n = 0, won = 0;

  for (guint k = 0; k < rows->len; k++)
    {
      Row *r = &g_array_index (rows, Row, k);
      if (!r->pair || !r->has_rejected)
        continue;
      loss += assay_dpo_loss (r->reward, r->reward_rejected, 0.1);
      won += r->reward > r->reward_rejected;
      n++;
    }
  for (guint q = 0; q < qs->len; q++)
    {
      GPtrArray         *c = qs->pdata[q];
      g_autofree gboolean *correct = g_new (gboolean, MAX (c->len, 1));
      g_autoptr (GArray)  drawn = NULL;
      for (guint i = 0; i < c->len; i++)
        correct[i] = ((Row *) c->pdata[i])->correct == 1;
      drawn = assay_credit_pairs (correct, (int) c->len, 0, 3);
      for (guint p = 0; p < drawn->len / 2; p++)
        {
          Row *w = c->pdata[g_array_index (drawn, int, 2 * p)];
          Row *l = c->pdata[g_array_index (drawn, int, 2 * p + 1)];
          loss += assay_dpo_loss (w->reward, l->reward, 0.1);
          won += w->reward > l->reward;
          n++;
        }
    }
  if (n > 0)
    {
      JsonObject *p = json_object_new ();
      json_object_set_int_member (p, "n", n);
      json_object_set_double_member (p, "mean_dpo_loss", loss / n);
      json_object_set_double_member (p, "reward_accuracy", (double) won / n);
      json_object_set_object_member (o, "pairs", p);
    }
}

JsonObject *
assay_trace_eval (AssayStore *store, gint64 run, GError **error)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_autoptr (GPtrArray) qs = NULL;
  JsonObject *o;

  g_array_set_clear_func (rows, (GDestroyNotify) row_clear);
  if (!read_rows (store, run, rows, error))
    return NULL;
  if (rows->len == 0)
    {
      g_autofree char *what = assay_store_describe_run (store, run);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("Run %lld has no scored traces: %s"),
                   (long long) run, what);
      return NULL;
    }
  o = json_object_new ();
  json_object_set_int_member (o, "run", run);
  json_object_set_int_member (o, "traces", rows->len);
  first_errors (rows, o);
  qs = questions (rows);
  rerank (qs, o);
  pairs (rows, qs, o);
  return o;
}

gboolean
assay_trace_apply_threshold (AssayStore *store, gint64 run, double threshold, GError **error)
{
  sqlite3_stmt *read = assay_store_prepare (store,
                                            "SELECT id, step_rewards FROM trace_tokens WHERE run_id = ?",
                                            error);
  g_autoptr (GArray) updates = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *write;
  int rc;

  if (read == NULL)
    return FALSE;
  sqlite3_bind_int64 (read, 1, run);
  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      int              n;
      g_autofree double *rewards = blob_doubles (read, 1, &n);
      gint64           pair[2] = { sqlite3_column_int64 (read, 0),
                                   assay_credit_first_error (rewards, n, threshold) };
      g_array_append_vals (updates, pair, 2);
    }
  sqlite3_reset (read);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "trace_tokens");
  if ((write = assay_store_prepare (store, "UPDATE trace_tokens SET first_error = ? WHERE id = ?",
                                    error)) == NULL)
    return FALSE;
  for (guint k = 0; k < updates->len; k += 2)
    {
      sqlite3_bind_int64 (write, 1, g_array_index (updates, gint64, k + 1));
      sqlite3_bind_int64 (write, 2, g_array_index (updates, gint64, k));
      if (!assay_store_step_done (store, write, error))
        return FALSE;
    }
  return TRUE;
}
