/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-item.h"

#include <math.h>

/* what a list row can show: longer strings cost shaping time for nothing (ellipsized) */
#define SNIPPET 90

struct _AssayGenItem
{
  GObject        parent_instance;

  gint64         id;
  char          *kind;
  AssayGenStatus status;
  int            rating;
  char          *snippet;
  char          *prompt;
  double         p_good;  /* under the dataset's label model; NaN: none */
};

enum
{
  PROP_0,
  PROP_STATUS,
  PROP_RATING,
  PROP_SNIPPET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AssayGenItem, assay_gen_item, G_TYPE_OBJECT)

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayGenItem *self = ASSAY_GEN_ITEM (object);

  switch (prop_id)
    {
    case PROP_STATUS: g_value_set_int (value, self->status); break;
    case PROP_RATING: g_value_set_int (value, self->rating); break;
    case PROP_SNIPPET: g_value_set_string (value, self->snippet); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
finalize (GObject *object)
{
  AssayGenItem *self = ASSAY_GEN_ITEM (object);

  g_free (self->kind);
  g_free (self->snippet);
  g_free (self->prompt);
  G_OBJECT_CLASS (assay_gen_item_parent_class)->finalize (object);
}

static void
assay_gen_item_class_init (AssayGenItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = get_property;
  object_class->finalize = finalize;
  properties[PROP_STATUS] = g_param_spec_int ("status", NULL, NULL, 0, 3, 0, flags);
  properties[PROP_RATING] = g_param_spec_int ("rating", NULL, NULL, 0, 5, 0, flags);
  properties[PROP_SNIPPET] = g_param_spec_string ("snippet", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
assay_gen_item_init (AssayGenItem *self)
{
  self->p_good = NAN;
}

/* The first SNIPPET characters, on one line */
static char *
one_line (const char *text)
{
  GString *s = g_string_new (NULL);
  guint    n = 0;

  for (const char *p = text; p != NULL && *p && n < SNIPPET; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '\n' || c == '\r' || c == '\t')
        c = ' ';
      if (c == ' ' && s->len > 0 && s->str[s->len - 1] == ' ')
        continue;
      g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

static void
load (AssayGenItem *self, AssayStore *store)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    store,
    "SELECT kind, status, coalesce (rating, 0), substr (coalesce (edited, text), 1, 240), "
    "substr (coalesce (prompt, source, ''), 1, 240), "
    "(SELECT s.p_good FROM gen_signals s WHERE s.record_id = gen_records.id ORDER BY s.run_id DESC LIMIT 1) "
    "FROM gen_records WHERE id = ?",
    NULL);

  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->snippet, g_free);
  g_clear_pointer (&self->prompt, g_free);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, self->id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      self->kind = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      if (!assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 1), &self->status))
        self->status = ASSAY_GEN_PENDING;
      self->rating = sqlite3_column_int (stmt, 2);
      self->snippet = one_line ((const char *) sqlite3_column_text (stmt, 3));
      self->prompt = one_line ((const char *) sqlite3_column_text (stmt, 4));
      self->p_good = sqlite3_column_type (stmt, 5) == SQLITE_NULL ? NAN : sqlite3_column_double (stmt, 5);
    }
  sqlite3_reset (stmt);
}

AssayGenItem *
assay_gen_item_new (AssayStore *store, gint64 id)
{
  AssayGenItem *self = g_object_new (ASSAY_TYPE_GEN_ITEM, NULL);

  self->id = id;
  load (self, store);
  return self;
}

void
assay_gen_item_reload (AssayGenItem *self, AssayStore *store)
{
  AssayGenStatus status = self->status;
  int            rating = self->rating;
  g_autofree char *snippet = g_strdup (self->snippet);

  load (self, store);
  if (status != self->status)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  if (rating != self->rating)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATING]);
  if (g_strcmp0 (snippet, self->snippet) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNIPPET]);
}

gint64
assay_gen_item_get_id (AssayGenItem *self)
{
  return self->id;
}

double
assay_gen_item_get_p_good (AssayGenItem *self)
{
  return self->p_good;
}

const char *
assay_gen_item_get_kind (AssayGenItem *self)
{
  return self->kind;
}

AssayGenStatus
assay_gen_item_get_status (AssayGenItem *self)
{
  return self->status;
}

int
assay_gen_item_get_rating (AssayGenItem *self)
{
  return self->rating;
}

const char *
assay_gen_item_get_snippet (AssayGenItem *self)
{
  return self->snippet;
}

const char *
assay_gen_item_get_prompt (AssayGenItem *self)
{
  return self->prompt;
}
