/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-import.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

static const char *const mapping_names[] = { "auto", "trl", "llava-reasoner", "processbench", "llminer",
                                       "genco", "custom" };

/* Record fields a custom map may fill */
static const char *record_fields[] = { "ext_id", "kind", "source", "highlight", "condition",
                                       "prompt", "text", "rejected", "model", "answer",
                                       "rating", "correct", "steps", "step_label", NULL };

void
assay_gen_import_options_init (AssayGenImportOptions *options)
{
  memset (options, 0, sizeof *options);
}

gboolean
assay_gen_parse_mapping (const char *name, AssayGenMapping *mapping)
{
  int i = assay_names_find (mapping_names, G_N_ELEMENTS (mapping_names), name);

  if (i < 0)
    return FALSE;
  *mapping = (AssayGenMapping) i;
  return TRUE;
}

const char *
assay_gen_mapping_name (AssayGenMapping mapping)
{
  return (guint) mapping < G_N_ELEMENTS (mapping_names) ? mapping_names[mapping] : "auto";
}

JsonObject *
assay_gen_parse_fields (const char *spec, GError **error)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  g_auto (GStrv) pairs = g_strsplit (spec, ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char            *eq;
      g_autofree char *key = NULL;
      if (*g_strstrip (pairs[i]) == '\0')
        continue;
      eq = strchr (pairs[i], '=');
      if (eq == NULL || eq == pairs[i] || eq[1] == '\0')
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Field map “%s”: expected field=column"), pairs[i]);
          return NULL;
        }
      key = g_strndup (pairs[i], eq - pairs[i]);
      g_strstrip (key);
      if (!g_strv_contains (record_fields, key))
        {
          g_autofree char *known = g_strjoinv (", ", (char **) record_fields);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Field map: “%s” is not a record field (%s)"), key, known);
          return NULL;
        }
      json_object_set_string_member (fields, key, g_strstrip (eq + 1));
    }
  return g_steal_pointer (&fields);
}

/* ---- one row -------------------------------------------------------------------------------- */

typedef struct
{
  char       *ext_id, *kind, *source, *highlight, *condition, *prompt, *text, *rejected, *model;
  char       *steps;  /* JSON array */
  gboolean    has_step_label;
  gint64      step_label;
  char       *answer;
  int         correct; /* -1 none */
  char       *scores; /* JSON object */
  int         rating;
  JsonObject *extra;
} Row;

static void
row_clear (Row *r)
{
  g_free (r->ext_id);
  g_free (r->kind);
  g_free (r->source);
  g_free (r->highlight);
  g_free (r->condition);
  g_free (r->prompt);
  g_free (r->text);
  g_free (r->rejected);
  g_free (r->model);
  g_free (r->steps);
  g_free (r->answer);
  g_free (r->scores);
  g_clear_pointer (&r->extra, json_object_unref);
  memset (r, 0, sizeof *r);
  r->correct = -1;
}

/* Messages [{role, content}] -> their contents, blank-line separated */
static char *
messages_text (JsonArray *a, guint first, guint end)
{
  GString *s = g_string_new (NULL);

  for (guint i = first; i < end; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (JSON_NODE_HOLDS_OBJECT (e))
        {
          const char *c = assay_json_get_string (json_node_get_object (e), "content", NULL);
          if (c != NULL)
            {
              if (s->len > 0)
                g_string_append (s, "\n\n");
              g_string_append (s, c);
            }
        }
      else if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        {
          if (s->len > 0)
            g_string_append (s, "\n\n");
          g_string_append (s, json_node_get_string (e));
        }
    }
  return g_string_free (s, FALSE);
}

typedef struct
{
  JsonObject *row;
  GHashTable *used;    /* keys consumed */
  guint       numbers; /* numbers read as text */
} Fields;

/* A number as text, exactly: integers as written, reals in the shortest form that reads back
 * as the same double. */
static char *
number_text (JsonNode *node)
{
  char   buf[G_ASCII_DTOSTR_BUF_SIZE];
  double v;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  v = json_node_get_double (node);
  for (int digits = 1; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  return g_strdup (buf);
}

/* A text field: a string, a number (kept exactly and counted in f->numbers, so the import
 * can say so), or a conversational message list. */
static char *
node_text (Fields *f, JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      return messages_text (a, 0, json_array_get_length (a));
    }
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType t = json_node_get_value_type (node);
      if (t == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
        {
          f->numbers++;
          return number_text (node);
        }
      if (t == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    }
  return assay_json_node_to_string (node, FALSE);
}

static JsonNode *
take (Fields *f, const char *key)
{
  JsonNode *n = json_object_get_member (f->row, key);
  if (n != NULL)
    g_hash_table_add (f->used, (gpointer) key);
  return n;
}

/* The first of several keys present */
static JsonNode *
take_any (Fields *f, const char *const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    {
      JsonNode *n = json_object_get_member (f->row, keys[i]);
      if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
        {
          g_hash_table_add (f->used, (gpointer) keys[i]);
          return n;
        }
    }
  return NULL;
}

static char *
take_text (Fields *f, const char *key)
{
  return node_text (f, take (f, key));
}

static gboolean
node_bool (JsonNode *n, int *out)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    *out = json_node_get_boolean (n) ? 1 : 0;
  else if (json_node_get_value_type (n) == G_TYPE_INT64)
    *out = json_node_get_int (n) != 0;
  else if (json_node_get_value_type (n) == G_TYPE_STRING)
    *out = g_ascii_strcasecmp (json_node_get_string (n), "true") == 0
           || g_str_equal (json_node_get_string (n), "1");
  else
    return FALSE;
  return TRUE;
}

static gboolean
node_int (JsonNode *n, gint64 *out)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    *out = json_node_get_int (n);
  else if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    *out = (gint64) json_node_get_double (n);
  else if (json_node_get_value_type (n) == G_TYPE_STRING)
    {
      char *end = NULL;
      *out = g_ascii_strtoll (json_node_get_string (n), &end, 10);
      return end != NULL && end != json_node_get_string (n) && *end == '\0';
    }
  else
    return FALSE;
  return TRUE;
}

static gboolean
fail (GError **error, const char *where, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const char *where, const char *fmt, ...)
{
  va_list          args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", where, msg);
  return FALSE;
}

static gboolean
map_pair (Fields *f, Row *r, const char *prompt_key, const char *where, GError **error)
{
  JsonNode *chosen = take (f, "chosen");
  JsonNode *rejected = take (f, "rejected");
  JsonNode *prompt = take (f, prompt_key);

  if (chosen == NULL || rejected == NULL)
    return fail (error, where, _("a preference row needs “chosen” and “rejected”"));
  if (prompt == NULL && JSON_NODE_HOLDS_ARRAY (chosen) && JSON_NODE_HOLDS_ARRAY (rejected))
    {
      /* implicit prompt: the messages chosen and rejected share, the rest are the answers */
      JsonArray *c = json_node_get_array (chosen), *x = json_node_get_array (rejected);
      guint      n = 0, nc = json_array_get_length (c), nx = json_array_get_length (x);
      while (n + 1 < nc && n + 1 < nx)
        {
          g_autofree char *a = assay_json_node_to_string (json_array_get_element (c, n), FALSE);
          g_autofree char *b = assay_json_node_to_string (json_array_get_element (x, n), FALSE);
          if (!g_str_equal (a, b))
            break;
          n++;
        }
      r->prompt = messages_text (c, 0, n);
      r->text = messages_text (c, n, nc);
      r->rejected = messages_text (x, n, nx);
    }
  else
    {
      r->prompt = node_text (f, prompt);
      r->text = node_text (f, chosen);
      r->rejected = node_text (f, rejected);
    }
  if (r->text == NULL || r->rejected == NULL)
    return fail (error, where, _("“chosen” or “rejected” is not text"));
  r->kind = g_strdup ("pair");
  {
    JsonNode *cs = take (f, "chosen_score"), *rs = take (f, "rejected_score");
    if (cs != NULL || rs != NULL)
      {
        g_autoptr (JsonObject) scores = json_object_new ();
        if (cs != NULL)
          json_object_set_member (scores, "chosen", json_node_copy (cs));
        if (rs != NULL)
          json_object_set_member (scores, "rejected", json_node_copy (rs));
        r->scores = assay_json_object_to_string (scores, FALSE);
      }
  }
  return TRUE;
}

static gboolean
map_row (AssayGenMapping mapping, JsonObject *fields, Fields *f, Row *r, const char *where,
         GError **error)
{
  static const char *const id_keys[] = { "id", "uid", "idx", NULL };

  switch (mapping)
    {
    case ASSAY_GEN_MAP_TRL:
      r->ext_id = node_text (f, take_any (f, id_keys));
      return map_pair (f, r, "prompt", where, error);

    case ASSAY_GEN_MAP_LLAVA_REASONER:
      {
        static const char *const media[] = { "image", "video", NULL };
        r->ext_id = node_text (f, take_any (f, id_keys));
        r->source = node_text (f, take_any (f, media));
        return map_pair (f, r, json_object_has_member (f->row, "question") ? "question" : "prompt",
                         where, error);
      }

    case ASSAY_GEN_MAP_PROCESSBENCH:
      {
        JsonNode *steps = take (f, "steps");
        JsonArray *a;
        GString   *text;
        gint64     label;
        r->ext_id = node_text (f, take_any (f, id_keys));
        r->prompt = take_text (f, "problem");
        if (r->prompt == NULL)
          return fail (error, where, _("no “problem”"));
        if (steps == NULL || !JSON_NODE_HOLDS_ARRAY (steps))
          return fail (error, where, _("“steps” must be an array of strings"));
        a = json_node_get_array (steps);
        text = g_string_new (NULL);
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            JsonNode *e = json_array_get_element (a, i);
            if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
              {
                g_string_free (text, TRUE);
                return fail (error, where, _("step %u is not a string"), i);
              }
            if (i > 0)
              g_string_append (text, "\n\n");
            g_string_append (text, json_node_get_string (e));
          }
        r->text = g_string_free (text, FALSE);
        r->steps = assay_json_node_to_string (steps, FALSE);
        if (node_int (take (f, "label"), &label))
          {
            if (label < -1 || label >= (gint64) json_array_get_length (a))
              return fail (error, where, _("“label” %lld is not a step index or -1"),
                           (long long) label);
            r->has_step_label = TRUE;
            r->step_label = label;
          }
        node_bool (take (f, "final_answer_correct"), &r->correct);
        r->model = take_text (f, "generator");
        r->kind = g_strdup ("trace");
        return TRUE;
      }

    case ASSAY_GEN_MAP_LLMINER:
      {
        r->ext_id = node_text (f, take_any (f, id_keys));
        r->source = take_text (f, "passage");
        r->highlight = take_text (f, "sentence");
        r->prompt = take_text (f, "question");
        r->text = take_text (f, "answer");
        if (r->text == NULL && r->source == NULL)
          return fail (error, where, _("no “passage” and no “answer”"));
        /* a bare passage is what mining starts from */
        r->kind = g_strdup (r->text != NULL ? "qa" : "passage");
        return TRUE;
      }

    case ASSAY_GEN_MAP_GENCO:
      {
        static const char *const doc[] = { "document", "source", "doc_text", NULL };
        static const char *const cond[] = { "label", "condition", "pseudo_label", NULL };
        static const char *const text[] = { "text", "generation", "elaboration", "output", NULL };
        static const char *const doc_id[] = { "doc_id", "document_id", NULL };
        JsonNode *d = take_any (f, doc_id);
        r->ext_id = node_text (f, take_any (f, id_keys));
        r->source = node_text (f, take_any (f, doc));
        r->condition = node_text (f, take_any (f, cond));
        r->text = node_text (f, take_any (f, text));
        if (d != NULL)
          {
            r->extra = json_object_new ();
            json_object_set_member (r->extra, "doc_id", json_node_copy (d));
          }
        if (r->text == NULL && r->source == NULL)
          return fail (error, where, _("no “document” and no generated “text”"));
        /* a document without a generation is what GenCo elaborates */
        r->kind = g_strdup (r->text == NULL ? "document" : r->condition != NULL ? "rewrite" : "elaboration");
        return TRUE;
      }

    case ASSAY_GEN_MAP_CUSTOM:
      {
        JsonObjectIter iter;
        const char    *field;
        JsonNode      *column;
        json_object_iter_init (&iter, fields);
        while (json_object_iter_next (&iter, &field, &column))
          {
            const char *key = json_node_get_string (column);
            JsonNode   *n;
            gint64      v;
            if (key == NULL)
              continue;
            if (g_str_equal (field, "kind") && key[0] == '=')
              {
                g_free (r->kind);
                r->kind = g_strdup (key + 1);
                continue;
              }
            n = take (f, key);
            if (n == NULL)
              continue;
#define SET(name)                                                                                  \
  if (g_str_equal (field, #name))                                                                  \
    {                                                                                              \
      g_free (r->name);                                                                            \
      r->name = node_text (f, n);                                                                     \
      continue;                                                                                    \
    }
            SET (ext_id) SET (kind) SET (source) SET (highlight) SET (condition) SET (prompt)
            SET (text) SET (rejected) SET (model) SET (answer)
#undef SET
            if (g_str_equal (field, "rating") && node_int (n, &v))
              {
                if (v < 1 || v > 5)
                  return fail (error, where, _("rating %lld is not 1-5"), (long long) v);
                r->rating = (int) v;
              }
            else if (g_str_equal (field, "correct"))
              node_bool (n, &r->correct);
            else if (g_str_equal (field, "step_label") && node_int (n, &v))
              {
                r->has_step_label = TRUE;
                r->step_label = v;
              }
            else if (g_str_equal (field, "steps") && JSON_NODE_HOLDS_ARRAY (n))
              r->steps = assay_json_node_to_string (n, FALSE);
          }
        if (r->text == NULL)
          return fail (error, where, _("the field map gives no text (map text=COLUMN)"));
        if (r->kind == NULL)
          r->kind = g_strdup (r->rejected != NULL ? "pair" : r->steps != NULL ? "trace" : "response");
        return TRUE;
      }

    case ASSAY_GEN_MAP_AUTO:
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* ---- shapes and detection ------------------------------------------------------------------- */

static char *
shape_of (JsonObject *row)
{
  g_autoptr (GList) keys = g_list_sort (json_object_get_members (row), (GCompareFunc) strcmp);
  GString *s = g_string_new (NULL);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      if (s->len > 0)
        g_string_append_c (s, ',');
      g_string_append (s, l->data);
    }
  return g_string_free (s, FALSE);
}

static JsonObject *
saved_mapping (AssayStore *store, const char *shape)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT mapping FROM gen_mappings WHERE shape = ?",
                                            NULL);
  JsonObject   *out = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, shape, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    out = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  return out;
}

static AssayGenMapping
detect (JsonObject *row)
{
#define HAS(k) json_object_has_member (row, k)
  if (HAS ("problem") && HAS ("steps"))
    return ASSAY_GEN_MAP_PROCESSBENCH;
  if (HAS ("passage"))
    return ASSAY_GEN_MAP_LLMINER;
  if ((HAS ("document") || HAS ("doc_text")) && !HAS ("prompt") && !HAS ("chosen"))
    return ASSAY_GEN_MAP_GENCO;
  if (HAS ("chosen") && HAS ("rejected"))
    return (HAS ("question") || HAS ("image") || HAS ("video")) && !HAS ("prompt")
             ? ASSAY_GEN_MAP_LLAVA_REASONER
             : ASSAY_GEN_MAP_TRL;
  if ((HAS ("label") || HAS ("condition") || HAS ("pseudo_label") || HAS ("doc_id")
       || HAS ("document_id"))
      && (HAS ("text") || HAS ("generation") || HAS ("elaboration")))
    return ASSAY_GEN_MAP_GENCO;
#undef HAS
  return ASSAY_GEN_MAP_AUTO;
}

/* ---- the import ----------------------------------------------------------------------------- */

/* How long one chunk of an import holds the write lock */
#define CHUNK_MS 300

typedef struct
{
  AssayStore      *store;
  sqlite3_stmt    *insert;
  gint64           dataset;
  AssayGenMapping  mapping;
  JsonObject      *fields;
  const char      *path;
  guint            imported;
  guint            numbers_as_text;
  gboolean         resolved;
  char            *first_shape;
} Import;

static gboolean
resolve (Import *im, JsonObject *row, const char *where, GError **error)
{
  g_autofree char *shape = shape_of (row);

  im->resolved = TRUE;
  im->first_shape = g_strdup (shape);
  if (im->mapping != ASSAY_GEN_MAP_AUTO)
    return TRUE;
  if (im->fields == NULL)
    {
      JsonObject *saved = saved_mapping (im->store, shape);
      if (saved != NULL)
        {
          im->fields = saved;
          im->mapping = ASSAY_GEN_MAP_CUSTOM;
          return TRUE;
        }
    }
  im->mapping = detect (row);
  if (im->mapping == ASSAY_GEN_MAP_AUTO)
    return fail (error, where,
                 _("no built-in mapping fits rows with the fields %s; give a field map "
                   "(e.g. prompt=instruction,text=output)"),
                 shape);
  return TRUE;
}

static void
bind_text (sqlite3_stmt *stmt, int i, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, i, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, i);
}

static gboolean
import_row (Import *im, JsonNode *node, const char *where, GError **error)
{
  Fields         f;
  Row            r = { 0 };
  gboolean       ok;
  JsonObjectIter iter;
  const char    *key;
  JsonNode      *value;
  g_autofree char *extra = NULL;

  r.correct = -1;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, where, _("not a JSON object"));
  f.row = json_node_get_object (node);
  if (!im->resolved && !resolve (im, f.row, where, error))
    return FALSE;
  f.used = g_hash_table_new (g_str_hash, g_str_equal);
  f.numbers = 0;
  ok = map_row (im->mapping, im->fields, &f, &r, where, error);
  if (ok)
    {
      /* what no mapping consumed stays with the record */
      json_object_iter_init (&iter, f.row);
      while (json_object_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (f.used, key))
          {
            if (r.extra == NULL)
              r.extra = json_object_new ();
            json_object_set_member (r.extra, key, json_node_copy (value));
          }
      if (r.extra != NULL)
        extra = assay_json_object_to_string (r.extra, FALSE);

      sqlite3_reset (im->insert);
      sqlite3_clear_bindings (im->insert);
      sqlite3_bind_int64 (im->insert, 1, im->dataset);
      bind_text (im->insert, 2, r.ext_id);
      bind_text (im->insert, 3, r.kind);
      bind_text (im->insert, 4, r.source);
      bind_text (im->insert, 5, r.highlight);
      bind_text (im->insert, 6, r.condition);
      bind_text (im->insert, 7, r.prompt);
      bind_text (im->insert, 8, r.text);
      bind_text (im->insert, 9, r.rejected);
      bind_text (im->insert, 10, r.model);
      bind_text (im->insert, 11, r.steps);
      if (r.has_step_label)
        sqlite3_bind_int64 (im->insert, 12, r.step_label);
      bind_text (im->insert, 13, r.answer);
      if (r.correct >= 0)
        sqlite3_bind_int (im->insert, 14, r.correct);
      bind_text (im->insert, 15, r.scores);
      if (r.rating > 0)
        sqlite3_bind_int (im->insert, 16, r.rating);
      bind_text (im->insert, 17, extra);
      ok = assay_store_step_done (im->store, im->insert, error);
      if (ok)
        {
          im->imported++;
          im->numbers_as_text += f.numbers;
        }
    }
  g_hash_table_unref (f.used);
  row_clear (&r);
  return ok;
}

static gboolean
starts_with_array (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  char   buf[256];
  gssize n;

  if (in == NULL)
    return FALSE;
  n = g_input_stream_read (G_INPUT_STREAM (in), buf, sizeof buf, NULL, NULL);
  for (gssize i = 0; i < n; i++)
    if (!g_ascii_isspace (buf[i]))
      return buf[i] == '[';
  return FALSE;
}

gboolean
assay_gen_import (AssayStore *store, const char *path, const AssayGenImportOptions *options,
                  AssayGenImportResult *result, AssayGenProgress progress, gpointer progress_data,
                  GCancellable *cancellable, GError **error)
{
  AssayGenImportOptions defaults;
  g_autoptr (GError) local = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (JsonObject) params = json_object_new ();
  Import           im = { 0 };
  gboolean         ok = TRUE, is_array, nested;
  goffset          size = 0;

  if (options == NULL)
    {
      assay_gen_import_options_init (&defaults);
      options = &defaults;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: no such file"), path);
      return FALSE;
    }
  is_array = starts_with_array (path, &local);
  if (local != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", path);
      return FALSE;
    }
  {
    GStatBuf st;
    if (g_stat (path, &st) == 0)
      size = st.st_size;
  }
  im.store = store;
  im.path = path;
  im.mapping = options->fields != NULL ? ASSAY_GEN_MAP_CUSTOM : options->mapping;
  im.fields = options->fields != NULL ? json_object_ref (options->fields) : NULL;

  /* Alone, the import commits in chunks into a dataset hidden until the end, so other writers
   * (a review, another import) get in between; inside a caller's transaction it is one. */
  nested = assay_store_in_transaction (store);
  if (!assay_store_begin (store, error))
    return FALSE;
  json_object_set_string_member (params, "file", base);
  im.dataset = assay_store_add_hidden_dataset (store, "gen",
                                               options->name != NULL ? options->name : base,
                                               path, params, error);
  im.insert = im.dataset != 0 ? assay_store_prepare (
                                  store,
                                  "INSERT INTO gen_records (dataset_id, ext_id, kind, source, "
                                  "highlight, condition, prompt, text, rejected, model, steps, "
                                  "step_label, answer, correct, scores, rating, extra) VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  error)
                              : NULL;
  ok = im.insert != NULL;

  if (ok && is_array)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonArray *a;
      if (!assay_json_parser_load_file (parser, path, &local))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path, local->message);
          ok = FALSE;
        }
      else if (!JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
        ok = fail (error, path, _("not a JSON array of records"));
      else
        {
          a = json_node_get_array (json_parser_get_root (parser));
          for (guint i = 0; ok && i < json_array_get_length (a); i++)
            {
              g_autofree char *where = g_strdup_printf (_("%s: item %u"), path, i + 1);
              ok = import_row (&im, json_array_get_element (a, i), where, error)
                   && assay_store_checkpoint (store, CHUNK_MS, error);
              if (ok && i % 4096 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
                ok = FALSE;
            }
        }
    }
  else if (ok)
    {
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GFileInputStream) in = g_file_read (file, cancellable, error);
      g_autoptr (GDataInputStream) data = NULL;
      g_autoptr (JsonParser) parser = json_parser_new_immutable ();
      goffset read = 0;
      guint   line_no = 0;

      ok = in != NULL;
      if (ok)
        {
          data = g_data_input_stream_new (G_INPUT_STREAM (in));
          g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (data), 1 << 20);
        }
      while (ok)
        {
          gsize     len = 0;
          g_autofree char *line = g_data_input_stream_read_line_utf8 (data, &len, cancellable, &local);
          char     *p;
          if (line == NULL)
            {
              if (local != NULL)
                {
                  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: line %u: %s"),
                               path, line_no + 1, local->message);
                  ok = FALSE;
                }
              break;
            }
          line_no++;
          read += len + 1;
          p = g_strstrip (line);
          if (*p == '\0')
            continue;
          {
            g_autofree char *where = g_strdup_printf (_("%s: line %u"), path, line_no);
            if (!assay_json_parser_load (parser, p, -1, &local))
              {
                ok = fail (error, where, _("not JSON (%s)"), local->message);
                break;
              }
            ok = import_row (&im, json_parser_get_root (parser), where, error)
                 && assay_store_checkpoint (store, CHUNK_MS, error);
          }
          if (ok && line_no % 4096 == 0)
            {
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                ok = FALSE;
              else if (progress != NULL && size > 0)
                {
                  g_autofree char *msg = g_strdup_printf (_("%u records"), im.imported);
                  progress (MIN (1.0, (double) read / size), msg, progress_data);
                }
            }
        }
    }
  if (ok && im.imported == 0)
    ok = fail (error, path, _("no records"));
  /* a custom map is remembered for files of this shape */
  if (ok && options->fields != NULL && im.first_shape != NULL)
    {
      g_autofree char *map = assay_json_object_to_string (options->fields, FALSE);
      sqlite3_stmt    *stmt = assay_store_prepare (
        store, "INSERT OR REPLACE INTO gen_mappings (shape, mapping) VALUES (?, ?)", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, im.first_shape, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 2, map, -1, SQLITE_TRANSIENT);
          ok = assay_store_step_done (store, stmt, error);
        }
    }
  if (im.insert != NULL)
    sqlite3_reset (im.insert);
  if (ok)
    {
      /* the dataset remembers which mapping read it */
      g_autofree char *text = NULL;
      sqlite3_stmt    *stmt;
      json_object_set_string_member (params, "mapping", assay_gen_mapping_name (im.mapping));
      text = assay_json_object_to_string (params, FALSE);
      stmt = assay_store_prepare (store, "UPDATE datasets SET params = ? WHERE id = ?", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (stmt, 2, im.dataset);
          ok = assay_store_step_done (store, stmt, error);
        }
    }
  if (ok && !options->keep_hidden)
    ok = assay_store_publish_dataset (store, im.dataset, error);
  if (ok)
    ok = assay_store_commit (store, error);
  if (!ok)
    {
      if (assay_store_in_transaction (store)) /* not when a checkpoint could not begin again */
        assay_store_rollback (store);
      /* earlier chunks are committed: remove them (the dataset is still hidden) */
      if (!nested && im.dataset > 0)
        assay_store_drop_dataset (store, im.dataset, NULL);
    }
  else
    {
      assay_store_emit_changed (store, "gen_records");
      if (result != NULL)
        {
          result->dataset = im.dataset;
          result->imported = im.imported;
          result->numbers_as_text = im.numbers_as_text;
          result->mapping = im.mapping;
        }
    }
  g_clear_pointer (&im.fields, json_object_unref);
  g_free (im.first_shape);
  return ok;
}

/* ---- preview and guess ---------------------------------------------------------------------- */

void
assay_gen_preview_free (AssayGenPreview *preview)
{
  if (preview == NULL)
    return;
  g_ptr_array_unref (preview->rows);
  g_ptr_array_unref (preview->keys);
  g_free (preview);
}

static void
preview_add (AssayGenPreview *p, GHashTable *seen, JsonObject *row)
{
  g_autoptr (GList) members = json_object_get_members (row);

  g_ptr_array_add (p->rows, json_object_ref (row));
  for (GList *l = members; l != NULL; l = l->next)
    if (g_hash_table_add (seen, g_strdup (l->data)))
      g_ptr_array_add (p->keys, g_strdup (l->data));
}

AssayGenPreview *
assay_gen_preview (const char *path, guint max_rows, GError **error)
{
  g_autoptr (AssayGenPreview) p = g_new0 (AssayGenPreview, 1);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local = NULL;

  p->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  p->keys = g_ptr_array_new_with_free_func (g_free);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: no such file"), path);
      return NULL;
    }
  p->array = starts_with_array (path, &local);
  if (local != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", path);
      return NULL;
    }
  if (p->array)
    {
      /* Only the start of the file: the array's first elements, cut out one by one (a preview of
       * a 2 GB array must not parse 2 GB) */
      const gsize      cap = 4 << 20;
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
      g_autofree char *buf = NULL;
      gsize            len = 0, i;

      if (in == NULL)
        return NULL;
      buf = g_malloc (cap + 1);
      if (!g_input_stream_read_all (G_INPUT_STREAM (in), buf, cap, &len, NULL, error))
        return NULL;
      buf[len] = '\0';
      i = strchr (buf, '[') - buf + 1;
      while (i < len && p->rows->len < max_rows)
        {
          gsize    start, depth = 0;
          gboolean in_string = FALSE, done = FALSE;
          while (i < len && (g_ascii_isspace (buf[i]) || buf[i] == ','))
            i++;
          if (i >= len || buf[i] == ']')
            break;
          start = i;
          /* to the end of this element: brackets outside strings, or a comma/] at depth 0 */
          for (; i < len && !done; i++)
            {
              char c = buf[i];
              if (in_string)
                {
                  if (c == '\\')
                    i++;
                  else if (c == '"')
                    in_string = FALSE;
                }
              else if (c == '"')
                in_string = TRUE;
              else if (c == '{' || c == '[')
                depth++;
              else if (c == '}' || c == ']')
                {
                  if (depth == 0)
                    {
                      i--; /* the array's own end */
                      done = TRUE;
                    }
                  else if (--depth == 0)
                    done = TRUE;
                }
              else if (c == ',' && depth == 0)
                {
                  i--;
                  done = TRUE;
                }
            }
          if (!done && i >= len)
            break; /* cut by the end of what was read */
          if (i <= start)
            {
              i = start + 1; /* a stray closing bracket: past it (no element, no progress else) */
              continue;
            }
          if (buf[start] == '{')
            {
              g_autoptr (JsonParser) parser = json_parser_new ();
              if (assay_json_parser_load (parser, buf + start, (gssize) (i - start), NULL)
                  && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
                preview_add (p, seen, json_node_get_object (json_parser_get_root (parser)));
            }
        }
    }
  else
    {
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
      g_autoptr (GDataInputStream) data = NULL;
      guint line_no = 0;

      if (in == NULL)
        return NULL;
      data = g_data_input_stream_new (G_INPUT_STREAM (in));
      /* a preview reads at most 4000 lines, whatever they hold */
      while (p->rows->len < max_rows && line_no < 4000)
        {
          gsize len = 0;
          g_autofree char *line = g_data_input_stream_read_line_utf8 (data, &len, NULL, &local);
          g_autoptr (JsonParser) parser = json_parser_new_immutable ();
          if (line == NULL)
            break;
          line_no++;
          g_strstrip (line);
          if (*line == '\0')
            continue;
          if (!assay_json_parser_load (parser, line, -1, NULL))
            continue;
          if (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            preview_add (p, seen, json_node_get_object (json_parser_get_root (parser)));
        }
      if (local != NULL && p->rows->len == 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path, local->message);
          return NULL;
        }
    }
  if (p->rows->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: no JSON object in the first lines (JSONL with one record per line, or a JSON array of records)"),
                   path);
      return NULL;
    }
  return g_steal_pointer (&p);
}

const char *const *
assay_gen_record_fields (void)
{
  return record_fields;
}

/* The first key of row among names (exact, then ignoring case) */
static const char *
first_key (JsonObject *row, const char *const *names)
{
  g_autoptr (GList) members = json_object_get_members (row);

  for (const char *const *n = names; *n != NULL; n++)
    if (json_object_has_member (row, *n))
      return *n;
  for (const char *const *n = names; *n != NULL; n++)
    for (GList *l = members; l != NULL; l = l->next)
      if (g_ascii_strcasecmp (l->data, *n) == 0)
        return l->data;
  return NULL;
}

AssayGenMapping
assay_gen_guess (AssayStore *store, JsonObject *row, JsonObject **fields)
{
  static const struct
  {
    const char *field;
    const char *names[12];
  } synonyms[] = {
    { "prompt", { "prompt", "instruction", "question", "query", "input", "problem", "context", "user", NULL } },
    { "text", { "text", "output", "response", "completion", "generation", "answer", "target", "assistant", "content", NULL } },
    { "rejected", { "rejected", "negative", "bad", NULL } },
    { "model", { "model", "generator", "model_name", NULL } },
    { "ext_id", { "id", "uid", "idx", "example_id", NULL } },
    { "condition", { "label", "condition", "category", "class", NULL } },
    { "source", { "source", "document", "passage", "image", "video", NULL } },
    { "rating", { "rating", "score", NULL } },
  };
  g_autofree char *shape = shape_of (row);
  JsonObject      *saved = store != NULL ? saved_mapping (store, shape) : NULL;
  AssayGenMapping  m;
  JsonObject      *guess;
  GHashTable      *used;

  *fields = NULL;
  if (saved != NULL)
    {
      *fields = saved;
      return ASSAY_GEN_MAP_CUSTOM;
    }
  if ((m = detect (row)) != ASSAY_GEN_MAP_AUTO)
    return m;
  guess = json_object_new ();
  used = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < G_N_ELEMENTS (synonyms); i++)
    {
      const char *key = first_key (row, synonyms[i].names);
      /* one row field feeds one record field (answer is text unless something else is) */
      if (key != NULL && g_hash_table_add (used, (gpointer) key))
        json_object_set_string_member (guess, synonyms[i].field, key);
    }
  g_hash_table_unref (used);
  if (!json_object_has_member (guess, "text"))
    {
      json_object_unref (guess);
      return ASSAY_GEN_MAP_AUTO;
    }
  *fields = guess;
  return ASSAY_GEN_MAP_AUTO;
}
