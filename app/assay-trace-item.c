/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-trace-item.h"

#include <glib/gi18n.h>

#define SNIPPET 90

struct _AssayTraceItem
{
  GObject parent_instance;

  gint64  id;
  char   *trace, *correct, *reward, *label, *predicted, *question;
};

enum
{
  PROP_0,
  PROP_TRACE,
  PROP_CORRECT,
  PROP_REWARD,
  PROP_LABEL,
  PROP_PREDICTED,
  PROP_QUESTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AssayTraceItem, assay_trace_item, G_TYPE_OBJECT)

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayTraceItem *self = ASSAY_TRACE_ITEM (object);

  switch (prop_id)
    {
    case PROP_TRACE: g_value_set_string (value, self->trace); break;
    case PROP_CORRECT: g_value_set_string (value, self->correct); break;
    case PROP_REWARD: g_value_set_string (value, self->reward); break;
    case PROP_LABEL: g_value_set_string (value, self->label); break;
    case PROP_PREDICTED: g_value_set_string (value, self->predicted); break;
    case PROP_QUESTION: g_value_set_string (value, self->question); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clear (AssayTraceItem *self)
{
  g_clear_pointer (&self->trace, g_free);
  g_clear_pointer (&self->correct, g_free);
  g_clear_pointer (&self->reward, g_free);
  g_clear_pointer (&self->label, g_free);
  g_clear_pointer (&self->predicted, g_free);
  g_clear_pointer (&self->question, g_free);
}

static void
finalize (GObject *object)
{
  clear (ASSAY_TRACE_ITEM (object));
  G_OBJECT_CLASS (assay_trace_item_parent_class)->finalize (object);
}

static void
assay_trace_item_class_init (AssayTraceItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[] = { NULL, "trace", "correct", "reward", "label", "predicted", "question" };

  object_class->get_property = get_property;
  object_class->finalize = finalize;
  for (int i = 1; i < N_PROPS; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
assay_trace_item_init (AssayTraceItem *self)
{
}

static void
read_item (AssayTraceItem *self, AssayStore *store, gint64 run)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT r.correct, r.step_label, r.steps IS NOT NULL, "
                                            "substr(r.prompt, 1, " G_STRINGIFY (SNIPPET) "), "
                                            "t.reward, t.first_error, r.kind FROM gen_records r "
                                            "LEFT JOIN trace_tokens t ON t.record_id = r.id "
                                            "AND t.run_id = ?2 AND t.side = 0 WHERE r.id = ?1",
                                            NULL);

  clear (self);
  self->trace = g_strdup_printf ("%" G_GINT64_FORMAT, self->id);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, self->id);
      sqlite3_bind_int64 (stmt, 2, run);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gboolean pair = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 6), "pair") == 0;
          const char *q = (const char *) sqlite3_column_text (stmt, 3);
          self->correct = g_strdup (pair ? _("pair")
                                    : sqlite3_column_type (stmt, 0) == SQLITE_NULL ? "—"
                                    : sqlite3_column_int (stmt, 0) ? "✓" : "✗");
          if (sqlite3_column_type (stmt, 1) != SQLITE_NULL && sqlite3_column_int (stmt, 2))
            self->label = sqlite3_column_int (stmt, 1) < 0 ? g_strdup (_("none"))
                                                          : g_strdup_printf ("%d", sqlite3_column_int (stmt, 1));
          if (sqlite3_column_type (stmt, 4) != SQLITE_NULL)
            {
              self->reward = g_strdup_printf ("%.2f", sqlite3_column_double (stmt, 4));
              self->predicted = sqlite3_column_int (stmt, 5) < 0 ? g_strdup (_("none"))
                                                                 : g_strdup_printf ("%d", sqlite3_column_int (stmt, 5));
            }
          if (q != NULL)
            self->question = g_strdelimit (g_strdup (q), "\n\t\r", ' ');
        }
      sqlite3_reset (stmt);
    }
#define DASH(f) if (self->f == NULL) self->f = g_strdup ("—")
  DASH (correct);
  DASH (reward);
  DASH (label);
  DASH (predicted);
  DASH (question);
#undef DASH
}

AssayTraceItem *
assay_trace_item_new (AssayStore *store, gint64 id, gint64 run)
{
  AssayTraceItem *self = g_object_new (ASSAY_TYPE_TRACE_ITEM, NULL);

  self->id = id;
  read_item (self, store, run);
  return self;
}

void
assay_trace_item_reload (AssayTraceItem *self, AssayStore *store, gint64 run)
{
  read_item (self, store, run);
  for (int i = 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
}

gint64
assay_trace_item_get_id (AssayTraceItem *self)
{
  return self->id;
}
