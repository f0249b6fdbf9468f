/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-tokens.c: see assay-trace-tokens.h. Arrays are stored as little-endian BLOBs, as
 * every numeric array of the workspace (DESIGN.md §3). */
#include "assay-trace-tokens.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"

AssayTraceTokens *
assay_trace_tokens_new (int n, guint *offsets, float *logprobs, float *ref_logprobs)
{
  AssayTraceTokens *self = g_new0 (AssayTraceTokens, 1);

  self->n_tokens = n;
  self->offsets = offsets;
  self->logprobs = logprobs;
  self->ref_logprobs = ref_logprobs;
  self->credit = assay_credit_tokens (logprobs, ref_logprobs, n);
  self->reward = assay_credit_sum (self->credit, n);
  self->mean = assay_credit_mean (self->credit, n);
  self->first_error = -1;
  self->certainty = NAN;
  return self;
}

void
assay_trace_tokens_set_steps (AssayTraceTokens *self, AssaySpan *steps, int n)
{
  g_free (self->steps);
  g_free (self->step_rewards);
  self->steps = steps;
  self->n_steps = n;
  self->step_rewards = n > 0 ? assay_credit_step_rewards (self->credit, self->offsets,
                                                          self->n_tokens, steps, n)
                             : NULL;
}

void
assay_trace_tokens_free (AssayTraceTokens *self)
{
  if (self == NULL)
    return;
  g_free (self->offsets);
  g_free (self->logprobs);
  g_free (self->ref_logprobs);
  g_free (self->credit);
  g_free (self->steps);
  g_free (self->step_rewards);
  g_free (self);
}

/* A copy of a BLOB column holding n items of size bytes; NULL (and an error) when its length is
 * not that. */
static gpointer
column_array (sqlite3_stmt *stmt, int i, gsize n, gsize size, const char *what, gint64 record,
              GError **error)
{
  gsize bytes = (gsize) sqlite3_column_bytes (stmt, i);

  if (bytes != n * size)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("trace_tokens of record %lld: %s holds %zu bytes, expected %zu"),
                   (long long) record, what, bytes, n * size);
      return NULL;
    }
  return bytes > 0 ? g_memdup2 (sqlite3_column_blob (stmt, i), bytes) : g_malloc0 (size);
}

AssayTraceTokens *
assay_trace_tokens_load (AssayStore *store, gint64 run, gint64 record, int side, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT n_tokens, offsets, logprobs, ref_logprobs, "
                                            "steps, step_rewards, first_error, certainty FROM trace_tokens "
                                            "WHERE run_id = ? AND record_id = ? AND side = ?",
                                            error);
  g_autoptr (AssayTraceTokens) self = NULL;
  guint  *offsets = NULL;
  float  *lp = NULL, *ref = NULL;
  guint  *spans = NULL;
  int     n, rc, n_steps;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int64 (stmt, 2, record);
  sqlite3_bind_int (stmt, 3, side);
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                     _("Run %lld has no token credit for record %lld"), (long long) run,
                     (long long) record);
      else
        assay_store_set_error (store, error, "trace_tokens");
      sqlite3_reset (stmt);
      return NULL;
    }
  n = sqlite3_column_int (stmt, 0);
  n_steps = sqlite3_column_bytes (stmt, 4) / (int) (2 * sizeof (guint));
  if (n < 0
      || (offsets = column_array (stmt, 1, 2 * (gsize) n, sizeof (guint), "offsets", record, error)) == NULL
      || (lp = column_array (stmt, 2, n, sizeof (float), "logprobs", record, error)) == NULL
      || (ref = column_array (stmt, 3, n, sizeof (float), "ref_logprobs", record, error)) == NULL
      || (spans = column_array (stmt, 4, 2 * (gsize) n_steps, sizeof (guint), "steps", record, error)) == NULL)
    {
      g_free (offsets);
      g_free (lp);
      g_free (ref);
      sqlite3_reset (stmt);
      return NULL;
    }
  self = assay_trace_tokens_new (n, offsets, lp, ref);
  self->run = run;
  self->record = record;
  self->side = side;
  assay_trace_tokens_set_steps (self, (AssaySpan *) spans, n_steps);
  self->first_error = sqlite3_column_type (stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 6);
  self->certainty = sqlite3_column_type (stmt, 7) == SQLITE_NULL ? NAN : sqlite3_column_double (stmt, 7);
  sqlite3_reset (stmt);
  return g_steal_pointer (&self);
}

static void
bind_floats (sqlite3_stmt *stmt, int i, const float *v, int n)
{
  sqlite3_bind_blob64 (stmt, i, n > 0 ? (const void *) v : "", (sqlite3_uint64) n * sizeof (float),
                       SQLITE_STATIC);
}

gboolean
assay_trace_tokens_save (AssayStore *store, const AssayTraceTokens *self, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "INSERT OR REPLACE INTO trace_tokens (run_id, record_id, "
                                            "side, n_tokens, offsets, logprobs, ref_logprobs, reward, "
                                            "steps, step_rewards, first_error, certainty) "
                                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                            error);
  g_autofree float *rewards = g_new (float, MAX (self->n_steps, 1));

  if (stmt == NULL)
    return FALSE;
  for (int s = 0; s < self->n_steps; s++)
    rewards[s] = (float) self->step_rewards[s];
  sqlite3_bind_int64 (stmt, 1, self->run);
  sqlite3_bind_int64 (stmt, 2, self->record);
  sqlite3_bind_int (stmt, 3, self->side);
  sqlite3_bind_int (stmt, 4, self->n_tokens);
  sqlite3_bind_blob64 (stmt, 5, self->n_tokens > 0 ? (const void *) self->offsets : "",
                       (sqlite3_uint64) self->n_tokens * 2 * sizeof (guint), SQLITE_STATIC);
  bind_floats (stmt, 6, self->logprobs, self->n_tokens);
  bind_floats (stmt, 7, self->ref_logprobs, self->n_tokens);
  sqlite3_bind_double (stmt, 8, self->reward);
  sqlite3_bind_blob64 (stmt, 9, self->n_steps > 0 ? (const void *) self->steps : "",
                       (sqlite3_uint64) self->n_steps * sizeof (AssaySpan), SQLITE_STATIC);
  bind_floats (stmt, 10, rewards, self->n_steps);
  sqlite3_bind_int (stmt, 11, self->first_error);
  if (isfinite (self->certainty))
    sqlite3_bind_double (stmt, 12, self->certainty);
  else
    sqlite3_bind_null (stmt, 12);
  return assay_store_step_done (store, stmt, error);
}
