/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-reward.c: a reward model's scores of a dataset's records (see the header). */
#include "config.h"

#include "assay-trace-reward.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-credit.h"
#include "assay-error.h"
#include "assay-gen-record.h"
#include "assay-json.h"
#include "assay-lm-config.h"
#include "assay-lm-pair.h"
#include "assay-reward-model.h"
#include "assay-trace-credit.h"

typedef struct
{
  gint64  id;
  int     label;   /* first error (-1 none), or -2 unknown */
  double *p;       /* PRM: per step */
  int     n;
  double  score;   /* ORM */
  int     correct; /* the final answer's correctness, -1 unknown */
  char   *prompt;
  char   *answer;  /* extracted, normalised */
} Scored;

static void
scored_clear (Scored *s)
{
  g_free (s->p);
  g_free (s->prompt);
  g_free (s->answer);
}

/* A candidate's score under an aggregation: 0 min, 1 last, 2 product of the steps; ORM: its score */
static double
aggregate (const Scored *s, gboolean prm, int how)
{
  double v = how == 2 ? 1 : s->p != NULL ? s->p[0] : s->score;

  if (!prm)
    return s->score;
  if (how == 1)
    return s->p[s->n - 1];
  for (int k = 0; k < s->n; k++)
    v = how == 0 ? MIN (v, s->p[k]) : v * s->p[k];
  return v;
}

/* Best-of-N re-ranking (assay_rerank_curves) over the questions (same prompt) whose candidates'
 * correctness is known: by each aggregation of a PRM, or by an ORM's score, beside majority
 * voting and the share with any correct candidate. */
static void
best_of_n (GArray *rows, gboolean prm, JsonObject *out)
{
  g_autoptr (GHashTable) by_prompt = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr (GPtrArray) answers = g_ptr_array_new ();
  g_autoptr (GArray) correct = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree double *scores = g_new (double, 3 * MAX (rows->len, 1));
  JsonObject *curves;

  for (guint i = 0; i < rows->len; i++)
    {
      Scored *r = &g_array_index (rows, Scored, i);
      GArray *g;
      guint   k = answers->len;
      if (r->correct < 0 || r->prompt == NULL)
        continue;
      if ((g = g_hash_table_lookup (by_prompt, r->prompt)) == NULL)
        {
          g = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (by_prompt, r->prompt, g);
          g_ptr_array_add (groups, g);
        }
      g_ptr_array_add (answers, r->answer);
      g_array_append_val (correct, r->correct);
      for (int how = 0; how < 3; how++)
        scores[(gsize) how * rows->len + k] = aggregate (r, prm, how);
      g_array_append_val (g, k);
    }
  {
    const AssayRerankCurve list[] = {
      { "majority", ASSAY_RERANK_MAJORITY, NULL },
      { prm ? "best_of_n_min" : "best_of_n", ASSAY_RERANK_BEST_OF_N, scores },
      { "best_of_n_last", ASSAY_RERANK_BEST_OF_N, scores + rows->len },
      { "best_of_n_prod", ASSAY_RERANK_BEST_OF_N, scores + 2 * (gsize) rows->len },
    };
    curves = assay_rerank_curves (groups, (const char *const *) answers->pdata, (const int *) correct->data, list,
                                  prm ? 4 : 2);
  }
  if (curves != NULL)
    json_object_set_object_member (out, "rerank", curves);
}

/* The folder's name, as a key: letters, digits, dot, dash and underscore */
static char *
model_name (const char *dir)
{
  g_autofree char *trimmed = g_canonicalize_filename (dir, NULL);
  char *base;

  while (strlen (trimmed) > 1 && trimmed[strlen (trimmed) - 1] == G_DIR_SEPARATOR)
    trimmed[strlen (trimmed) - 1] = '\0';
  base = g_path_get_basename (trimmed);
  for (char *c = base; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '-' && *c != '_')
      *c = '_';
  return base;
}

static gboolean
save (AssayStore *store, const AssayTraceRewardOptions *o, const char *backend_name, gboolean prm, gboolean certainty,
      const char *name, GArray *rows, JsonObject *metrics, double seconds, gint64 *run, GError **error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  sqlite3_stmt *stmt;
  g_autofree char *k_min = g_strdup_printf ("$.\"%s:min\"", name), *k_last = g_strdup_printf ("$.\"%s:last\"", name);
  g_autofree char *k_prod = g_strdup_printf ("$.\"%s:prod\"", name), *k_steps = g_strdup_printf ("$.\"%s:steps\"", name);
  g_autofree char *k_orm = certainty ? g_strdup_printf ("$.\"%s:certainty\"", name) : g_strdup_printf ("$.\"%s\"", name);

  json_object_set_string_member (params, "model", o->model);
  json_object_set_double_member (params, "threshold", o->threshold);
  if (!assay_store_begin (store, error))
    return FALSE;
  if ((*run = assay_store_add_run (store, o->dataset, "traces", prm ? "prm" : certainty ? "certainty" : "orm", params,
                                   backend_name, error)) < 0)
    goto fail;
  stmt = assay_store_prepare (store,
                              prm ? "UPDATE gen_records SET scores = json_set (coalesce (scores, '{}'), ?2, ?3, ?4, ?5, "
                                    "?6, ?7, ?8, json (?9)) WHERE id = ?1"
                                  : "UPDATE gen_records SET scores = json_set (coalesce (scores, '{}'), ?2, ?3) WHERE id = ?1",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < rows->len; i++)
    {
      Scored *r = &g_array_index (rows, Scored, i);
      sqlite3_bind_int64 (stmt, 1, r->id);
      if (prm)
        {
          double lo = 1, prod = 1;
          g_autoptr (GString) list = g_string_new ("[");
          for (int k = 0; k < r->n; k++)
            {
              char buf[G_ASCII_DTOSTR_BUF_SIZE];
              lo = MIN (lo, r->p[k]);
              prod *= r->p[k];
              g_string_append_printf (list, "%s%s", k ? "," : "", g_ascii_formatd (buf, sizeof buf, "%.6g", r->p[k]));
            }
          g_string_append_c (list, ']');
          sqlite3_bind_text (stmt, 2, k_min, -1, SQLITE_STATIC);
          sqlite3_bind_double (stmt, 3, lo);
          sqlite3_bind_text (stmt, 4, k_last, -1, SQLITE_STATIC);
          sqlite3_bind_double (stmt, 5, r->p[r->n - 1]);
          sqlite3_bind_text (stmt, 6, k_prod, -1, SQLITE_STATIC);
          sqlite3_bind_double (stmt, 7, prod);
          sqlite3_bind_text (stmt, 8, k_steps, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 9, list->str, -1, SQLITE_TRANSIENT);
        }
      else
        {
          sqlite3_bind_text (stmt, 2, k_orm, -1, SQLITE_STATIC);
          sqlite3_bind_double (stmt, 3, r->score);
        }
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
    }
  if (!assay_store_finish_run (store, *run, "done", seconds, metrics, error) || !assay_store_commit (store, error))
    goto fail;
  assay_store_emit_changed (store, "gen_records");
  return TRUE;
fail:
  assay_store_rollback (store);
  return FALSE;
}

/* A causal language model's mean self-certainty over each record's response (its text after
 * the prompt, as credit runs read it): rows get score = the mean, n = 1; records without a text
 * are left out. */
static gboolean
certainty_scores (AssayStore *store, const AssayTraceRewardOptions *o, AssayBackend *backend, int max_positions,
                  GArray *rows, guint *too_long, void (*progress) (double, const char *, gpointer), gpointer progress_data,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr (AssayLmPair) pair = assay_lm_pair_open (o->model, NULL, error);
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (AssayLmText));
  sqlite3_stmt *stmt;
  int budget = 0, rc;
  gboolean ok = TRUE;

  if (pair == NULL)
    return FALSE;
  assay_lm_pair_set_certainty (pair, TRUE);
  stmt = assay_store_prepare (store, "SELECT id, prompt, text, step_label, correct FROM gen_records WHERE dataset_id = ? "
                                     "AND text IS NOT NULL ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, o->dataset);
  while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char      *prompt = (const char *) sqlite3_column_text (stmt, 1);
      const char      *text = (const char *) sqlite3_column_text (stmt, 2);
      g_autofree char *context = assay_trace_context (prompt);
      g_autofree char *extracted = assay_answer_extract (text, NULL);
      g_autoptr (GError) local = NULL;
      AssayLmText      t = { 0 };
      Scored           s = { sqlite3_column_int64 (stmt, 0), -2, NULL, 1, NAN, -1, NULL, NULL };

      if (!assay_lm_pair_encode (pair, context, text, FALSE, &t, &local))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("record %lld: %s"), (long long) s.id,
                       local->message);
          ok = FALSE;
          break;
        }
      if (max_positions > 0 && (int) t.ids->len > max_positions)
        {
          /* longer than the model reads: left out, counted */
          (*too_long)++;
          assay_lm_text_clear (&t);
          continue;
        }
      s.correct = sqlite3_column_type (stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 4) != 0;
      s.prompt = g_strdup (prompt);
      s.answer = extracted != NULL ? assay_answer_normalize (extracted) : NULL;
      g_array_append_val (rows, s);
      g_array_append_val (items, t);
    }
  sqlite3_reset (stmt);
  if (ok && rc != SQLITE_DONE)
    ok = assay_store_set_error (store, error, "gen_records");
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (texts, &g_array_index (items, AssayLmText, i));
  if (ok && items->len > 0)
    ok = assay_lm_pair_load (pair, backend, (AssayLmText *const *) texts->pdata, items->len, &budget, error)
         && assay_lm_pair_score (pair, (AssayLmText *const *) texts->pdata, items->len, budget, progress, progress_data,
                                 0.0, 0.95, cancellable, error);
  for (guint i = 0; i < items->len; i++)
    {
      AssayLmText *t = &g_array_index (items, AssayLmText, i);
      int          n = assay_lm_text_scored (t);
      double       sum = 0;
      for (int k = 0; ok && k < n; k++)
        sum += t->certainty[k];
      if (ok)
        g_array_index (rows, Scored, i).score = n > 0 ? sum / n : NAN;
      assay_lm_text_clear (t);
    }
  /* responses with no token scored say nothing */
  for (guint i = rows->len; ok && i-- > 0;)
    if (!isfinite (g_array_index (rows, Scored, i).score))
      {
        scored_clear (&g_array_index (rows, Scored, i));
        g_array_remove_index (rows, i);
      }
  return ok;
}

JsonObject *
assay_trace_reward (AssayStore *store, const AssayTraceRewardOptions *o, AssayBackend *backend,
                    void (*progress) (double, const char *, gpointer), gpointer progress_data,
                    GCancellable *cancellable, GError **error)
{
  g_autoptr (AssayRewardModel) rm = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (Scored));
  g_autoptr (JsonObject) out = json_object_new ();
  g_autofree char *name = o->name != NULL ? g_strdup (o->name) : model_name (o->model);
  g_autofree char *area = NULL;
  sqlite3_stmt *stmt;
  gboolean prm, certainty;
  int max_positions = 0;
  gint64 total, run = 0;
  guint too_long = 0;
  int rc;
  gboolean ok = TRUE;

  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '-' && *c != '_')
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("the scores' name “%s” may hold letters, digits, dots, dashes and underscores only"), name);
        return NULL;
      }
  if (*name == '\0' || g_str_equal (name, ".") || g_str_equal (name, ".."))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("the scores need a name (--name)"));
      return NULL;
    }
  if (!assay_store_get_dataset (store, o->dataset, &area, NULL, error))
    return NULL;
  if (!g_str_equal (area, "gen"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("dataset %lld holds %s, not traces or generated records"), (long long) o->dataset, area);
      return NULL;
    }
  {
    /* a causal language model without a reward head: its self-certainty */
    g_autofree char *config = g_build_filename (o->model, "config.json", NULL);
    g_autoptr (AssayLmConfig) c = g_file_test (config, G_FILE_TEST_IS_REGULAR) ? assay_lm_config_load (config, NULL) : NULL;
    certainty = c != NULL && c->reward_head == ASSAY_LM_REWARD_NONE && !c->no_head && !assay_lm_arch_is_encoder (c->arch);
    max_positions = c != NULL ? c->max_positions : 0;
    if (c != NULL && c->reward_head == ASSAY_LM_REWARD_NONE && !certainty)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                     _("%s: %s is neither a reward model (LlamaForSequenceClassification, "
                       "Qwen2ForSequenceClassification, Qwen2ForProcessRewardModel) nor a causal language model with "
                       "its head (whose self-certainty would be scored)"),
                     o->model, c->architecture != NULL ? c->architecture : "the model");
        return NULL;
      }
  }
  if (!certainty && (rm = assay_reward_model_open (o->model, backend, error)) == NULL)
    return NULL;
  prm = !certainty && assay_reward_model_head (rm) == ASSAY_LM_REWARD_PROCESS;
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE dataset_id = %lld",
                                            (long long) o->dataset);
    total = MAX (assay_store_query_int (store, sql, 0), 1);
  }
  if (certainty)
    {
      ok = certainty_scores (store, o, backend, max_positions, rows, &too_long, progress, progress_data, cancellable, error);
      rc = SQLITE_DONE;
      stmt = NULL;
    }
  else if ((stmt = assay_store_prepare (store,
                                        "SELECT id, prompt, text, steps, step_label, correct FROM gen_records WHERE "
                                        "dataset_id = ? ORDER BY id",
                                        error)) == NULL)
    return NULL;
  else
    sqlite3_bind_int64 (stmt, 1, o->dataset);
  while (ok && stmt != NULL && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Scored s = { sqlite3_column_int64 (stmt, 0), -2, NULL, 0, 0, -1, NULL, NULL };
      g_autoptr (GError) local = NULL;
      const char *prompt = (const char *) sqlite3_column_text (stmt, 1);
      const char *text = (const char *) sqlite3_column_text (stmt, 2);

      if (g_cancellable_set_error_if_cancelled (cancellable, &local))
        ok = FALSE;
      else if (prm)
        {
          g_auto (GStrv) steps = assay_gen_steps_parse ((const char *) sqlite3_column_text (stmt, 3));
          if (steps != NULL && steps[0] != NULL)
            {
              s.n = (int) g_strv_length (steps);
              s.p = g_new (double, s.n);
              s.label = sqlite3_column_type (stmt, 4) == SQLITE_NULL ? -2 : sqlite3_column_int (stmt, 4);
              if (!assay_reward_model_steps (rm, prompt, (const char *const *) steps, s.n, s.p, &local))
                ok = FALSE;
            }
        }
      else if (prompt != NULL && text != NULL)
        {
          double *v = g_new (double, assay_reward_model_labels (rm));
          s.n = 1;
          if (!assay_reward_model_score (rm, prompt, text, v, &local))
            ok = FALSE;
          s.score = v[0];
          g_free (v);
        }
      if (!ok && g_error_matches (local, ASSAY_ERROR, ASSAY_ERROR_TOO_LONG))
        {
          /* longer than the model reads: left out, counted */
          g_clear_error (&local);
          ok = TRUE;
          too_long++;
          g_clear_pointer (&s.p, g_free);
          s.n = 0;
        }
      if (!ok)
        {
          if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_prefix_error (&local, _("record %lld: "), (long long) s.id);
          g_propagate_error (error, g_steal_pointer (&local));
          g_free (s.p);
          break;
        }
      if (s.n > 0)
        {
          g_autofree char *extracted = text != NULL ? assay_answer_extract (text, NULL) : NULL;
          s.correct = sqlite3_column_type (stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 5) != 0;
          s.prompt = g_strdup (prompt);
          s.answer = extracted != NULL ? assay_answer_normalize (extracted) : NULL;
          g_array_append_val (rows, s);
        }
      if (progress != NULL && rows->len % 8 == 0)
        progress (0.95 * (double) rows->len / total, _("Scoring with the reward model"), progress_data);
    }
  if (stmt != NULL)
    sqlite3_reset (stmt);
  if (ok && rc != SQLITE_DONE)
    ok = assay_store_set_error (store, error, "gen_records");
  if (ok && rows->len == 0 && too_long > 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_TOO_LONG,
                   _("dataset %lld: every one of its %u records is longer than the model reads"),
                   (long long) o->dataset, too_long);
      ok = FALSE;
    }
  if (ok && rows->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   prm ? _("dataset %lld has no traces with steps for a process reward model")
                   : certainty ? _("dataset %lld has no records with a response to score")
                               : _("dataset %lld has no records with a prompt and a text"),
                   (long long) o->dataset);
      ok = FALSE;
    }
  if (ok)
    {
      json_object_set_string_member (out, "kind", prm ? "prm" : certainty ? "certainty" : "orm");
      json_object_set_string_member (out, "model", o->model);
      json_object_set_string_member (out, "name", name);
      json_object_set_int_member (out, "records", rows->len);
      json_object_set_int_member (out, "too_long", too_long);
      if (prm)
        {
          /* ProcessBench: the first step below the threshold against the labelled first error */
          guint err = 0, err_right = 0, cor = 0, cor_right = 0;
          for (guint i = 0; i < rows->len; i++)
            {
              Scored *r = &g_array_index (rows, Scored, i);
              int first = -1;
              if (r->label < -1)
                continue;
              for (int k = 0; k < r->n && first < 0; k++)
                if (r->p[k] < o->threshold)
                  first = k;
              if (r->label >= 0)
                {
                  err++;
                  err_right += first == r->label;
                }
              else
                {
                  cor++;
                  cor_right += first == -1;
                }
            }
          if (err + cor > 0)
            {
              JsonObject *pb = json_object_new ();
              double a = err ? (double) err_right / err : NAN, b = cor ? (double) cor_right / cor : NAN;
              json_object_set_int_member (pb, "evaluated", err + cor);
              json_object_set_double_member (pb, "threshold", o->threshold);
              if (err > 0)
                json_object_set_double_member (pb, "acc_erroneous", a);
              if (cor > 0)
                json_object_set_double_member (pb, "acc_correct", b);
              if (err > 0 && cor > 0)
                json_object_set_double_member (pb, "f1", a + b > 0 ? 2 * a * b / (a + b) : 0);
              json_object_set_object_member (out, "processbench", pb);
            }
        }
      best_of_n (rows, prm, out);
      json_object_set_double_member (out, "seconds", g_timer_elapsed (timer, NULL));
      if (progress != NULL)
        progress (0.97, _("Saving the scores"), progress_data);
      ok = save (store, o, assay_backend_describe (backend), prm, certainty, name, rows, out, g_timer_elapsed (timer, NULL),
                 &run, error);
    }
  for (guint i = 0; i < rows->len; i++)
    scored_clear (&g_array_index (rows, Scored, i));
  if (!ok)
    return NULL;
  json_object_set_int_member (out, "run", run);
  return g_steal_pointer (&out);
}

static gboolean
reward_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayTraceRewardOptions *o = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result;

  if (store == NULL
      || (result = assay_trace_reward (store, o, assay_job_get_backend (job), assay_job_progress_func, job,
                                       assay_job_get_cancellable (job), error)) == NULL)
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayTraceRewardOptions *o)
{
  g_free ((char *) o->model);
  g_free ((char *) o->name);
  g_free (o);
}

AssayJob *
assay_trace_reward_job_new (const AssayTraceRewardOptions *options)
{
  AssayTraceRewardOptions *copy = g_new0 (AssayTraceRewardOptions, 1);
  g_autofree char *name = model_name (options->model);
  g_autofree char *title = g_strdup_printf (_("Reward model: %s"), name);

  *copy = *options;
  copy->model = g_strdup (options->model);
  copy->name = g_strdup (options->name);
  return assay_job_new ("traces-reward", title, ASSAY_JOB_LANE_COMPUTE, reward_run, copy, (GDestroyNotify) options_free);
}
