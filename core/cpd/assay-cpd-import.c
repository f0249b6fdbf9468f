/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-import.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-csv-reader.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"
#include "assay-series.h"

void
assay_cpd_import_options_init (AssayCpdImportOptions *options)
{
  memset (options, 0, sizeof *options);
  options->delimiter = ',';
}

gboolean
assay_cpd_parse_format (const char *name, AssayCpdFormat *format)
{
  static const char *const names[] = { "auto", "csv", "tcpd", "jsonl" };
  int                      i = assay_names_find (names, G_N_ELEMENTS (names), name);

  if (i < 0)
    return FALSE;
  *format = (AssayCpdFormat) i;
  return TRUE;
}

static gboolean
fail (GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const char *path, const char *format, ...)
{
  va_list          args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path, msg);
  return FALSE;
}

static gboolean
is_missing_token (const char *s)
{
  while (*s == ' ')
    s++;
  return *s == '\0' || g_ascii_strcasecmp (s, "na") == 0 || g_ascii_strcasecmp (s, "nan") == 0
         || g_ascii_strcasecmp (s, "null") == 0 || g_ascii_strcasecmp (s, "none") == 0;
}

/* Refuses a series of fewer than 2 steps and a channel with no value at all; fills NaNs of
 * each channel by linear interpolation (edges: nearest), or names the first. */
static gboolean
handle_missing (AssaySeries *series, const char *path, gboolean refuse, GError **error)
{
  const guint T = series->T, N = series->N, M = series->M;

  if (T < 2)
    return fail (error, path,
                 ngettext ("series “%s” has %u step; a series needs at least 2",
                           "series “%s” has %u steps; a series needs at least 2", T),
                 series->name, T);
  for (guint n = 0; n < N; n++)
    for (guint m = 0; m < M; m++)
      {
        int      prev = -1;
        gboolean any = FALSE;

        for (guint t = 0; t < T && !any; t++)
          any = !isnan (assay_series_at (series, t, n)[m]);
        if (!any)
          return fail (error, path, _("series “%s”: every value of %s%s%s is missing"),
                       series->name, series->var_names[n], M > 1 ? "." : "",
                       M > 1 ? series->feat_names[m] : "");
        for (guint t = 0; t <= T; t++)
          {
            if (t < T && isnan (assay_series_at (series, t, n)[m]))
              {
                if (refuse)
                  return fail (error, path,
                               _("series “%s”: value missing at step %u of %s%s%s (use "
                                 "interpolation, or fix the file)"),
                               series->name, t, series->var_names[n], M > 1 ? "." : "",
                               M > 1 ? series->feat_names[m] : "");
                series->missing++;
                continue;
              }
            /* fill (prev, t) */
            if ((int) t - prev > 1)
              for (guint q = (guint) (prev + 1); q < t; q++)
                {
                  float v;
                  if (prev < 0 && t < T)
                    v = assay_series_at (series, t, n)[m];
                  else if (t >= T && prev >= 0)
                    v = assay_series_at (series, (guint) prev, n)[m];
                  else if (prev >= 0)
                    {
                      float a = assay_series_at (series, (guint) prev, n)[m];
                      float b = assay_series_at (series, t, n)[m];
                      v = a + (b - a) * (float) (q - prev) / (float) (t - prev);
                    }
                  else
                    v = 0.0f; /* not reached: a channel with no value was refused above */
                  assay_series_at (series, q, n)[m] = v;
                }
            prev = (int) t;
          }
      }
  return TRUE;
}

/* ---- CSV --------------------------------------------------------------------------------------- */

static AssaySeries *
read_csv (const char *path, const AssayCpdImportOptions *options, GError **error)
{
  g_autofree char *data = NULL;
  gsize            len = 0;
  g_autoptr (AssayCsvReader) reader = NULL;
  g_autoptr (GPtrArray) header = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GPtrArray) times = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) vars = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) feats = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) read_error = NULL;
  g_autofree int *column_of = NULL; /* grid slot (n * M + m) -> csv column */
  g_autoptr (GHashTable) seen = NULL; /* value column names */
  GPtrArray       *fields;
  int              time_col = -1;
  guint            n_cols, N, M, T = 0;
  gboolean         grid = TRUE;
  AssaySeries     *series;
  g_autofree char *base = g_path_get_basename (path);

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  reader = assay_csv_reader_new (path, data, len, options->delimiter ? options->delimiter : ',');
  if (!assay_csv_reader_next (reader, &fields, error))
    {
      if (error != NULL && *error == NULL)
        fail (error, path, _("empty file"));
      return NULL;
    }
  for (guint i = 0; i < fields->len; i++)
    g_ptr_array_add (header, g_strstrip (g_strdup (g_ptr_array_index (fields, i))));
  n_cols = header->len;
  for (guint i = 0; i < n_cols; i++)
    {
      const char *h = g_ptr_array_index (header, i);
      if (options->time_column != NULL ? g_str_equal (h, options->time_column)
                                       : (g_ascii_strcasecmp (h, "time") == 0
                                          || g_ascii_strcasecmp (h, "date") == 0
                                          || g_ascii_strcasecmp (h, "timestamp") == 0
                                          || g_ascii_strcasecmp (h, "t") == 0))
        {
          time_col = (int) i;
          break;
        }
    }
  if (options->time_column != NULL && time_col < 0)
    {
      fail (error, path, _("no time column “%s”"), options->time_column);
      return NULL;
    }
  if (n_cols - (time_col >= 0) == 0)
    {
      fail (error, path, _("no value columns"));
      return NULL;
    }

  /* variable.feature columns form a grid when every variable has the same features, each in
   * one column (a repeated column would leave another cell of the grid without one) */
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n_cols && grid; i++)
    {
      const char *h = g_ptr_array_index (header, i), *dot;
      g_autofree char *var = NULL;
      gboolean         known_var = FALSE, known_feat = FALSE;
      if ((int) i == time_col)
        continue;
      dot = strrchr (h, '.');
      if (dot == NULL || dot == h || dot[1] == '\0' || !g_hash_table_add (seen, (gpointer) h))
        {
          grid = FALSE;
          break;
        }
      var = g_strndup (h, dot - h);
      for (guint v = 0; v < vars->len; v++)
        known_var |= g_str_equal (g_ptr_array_index (vars, v), var);
      for (guint f = 0; f < feats->len; f++)
        known_feat |= g_str_equal (g_ptr_array_index (feats, f), dot + 1);
      if (!known_var)
        g_ptr_array_add (vars, g_strdup (var));
      if (!known_feat)
        g_ptr_array_add (feats, g_strdup (dot + 1));
    }
  if (grid && vars->len * feats->len != n_cols - (time_col >= 0))
    grid = FALSE;
  if (!grid)
    {
      g_ptr_array_set_size (vars, 0);
      g_ptr_array_set_size (feats, 0);
      for (guint i = 0; i < n_cols; i++)
        if ((int) i != time_col)
          g_ptr_array_add (vars, g_strdup (g_ptr_array_index (header, i)));
      g_ptr_array_add (feats, g_strdup ("value"));
    }
  N = vars->len;
  M = feats->len;
  column_of = g_new (int, N * M);
  for (guint i = 0, slot = 0; i < n_cols; i++)
    {
      const char *h = g_ptr_array_index (header, i);
      if ((int) i == time_col)
        continue;
      if (grid)
        {
          const char *dot = strrchr (h, '.');
          g_autofree char *var = g_strndup (h, dot - h);
          guint v = 0, f = 0;
          while (!g_str_equal (g_ptr_array_index (vars, v), var))
            v++;
          while (!g_str_equal (g_ptr_array_index (feats, f), dot + 1))
            f++;
          column_of[v * M + f] = (int) i;
        }
      else
        column_of[slot++] = (int) i;
    }

  while (assay_csv_reader_next (reader, &fields, &read_error))
    {
      guint line = assay_csv_reader_get_line (reader);
      if (fields->len != n_cols)
        {
          fail (error, path, _("line %u: %u fields, the header has %u"), line, fields->len, n_cols);
          return NULL;
        }
      if (time_col >= 0)
        g_ptr_array_add (times, g_strdup (g_ptr_array_index (fields, time_col)));
      for (guint slot = 0; slot < N * M; slot++)
        {
          const char *cell = g_ptr_array_index (fields, column_of[slot]);
          char       *end;
          float       v;
          if (is_missing_token (cell))
            v = NAN;
          else
            {
              double d = g_ascii_strtod (cell, &end);
              while (*end == ' ')
                end++;
              if (end == cell || *end != '\0' || !isfinite (d))
                {
                  fail (error, path, _("line %u, column “%s”: “%s” is not a number"), line,
                        (const char *) g_ptr_array_index (header, column_of[slot]), cell);
                  return NULL;
                }
              v = (float) d;
            }
          g_array_append_val (values, v);
        }
      T++;
    }
  if (read_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      return NULL;
    }
  {
    char *dot = strrchr (base, '.');
    if (dot != NULL)
      *dot = '\0';
  }
  series = assay_series_new (base, T, N, M);
  if (T > 0) /* a header alone: no values (values->data is NULL), refused as under 2 steps */
    memcpy (series->x, values->data, (gsize) T * N * M * sizeof (float));
  for (guint n = 0; n < N; n++)
    {
      g_free (series->var_names[n]);
      series->var_names[n] = g_strdup (g_ptr_array_index (vars, n));
    }
  for (guint m = 0; m < M; m++)
    {
      g_free (series->feat_names[m]);
      series->feat_names[m] = g_strdup (g_ptr_array_index (feats, m));
    }
  if (time_col >= 0)
    {
      g_ptr_array_add (times, NULL);
      series->time_labels = (char **) g_ptr_array_steal (times, NULL);
    }
  return series;
}

/* ---- TCPD -------------------------------------------------------------------------------------- */

/* annotations.json next to the file or up to three folders above it */
static JsonObject *
find_annotations (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  for (int up = 0; up < 4; up++)
    {
      g_autofree char *candidate = g_build_filename (dir, "annotations.json", NULL);
      g_autofree char *parent = NULL;
      if (g_file_test (candidate, G_FILE_TEST_EXISTS))
        {
          g_autofree char *text = NULL;
          if (g_file_get_contents (candidate, &text, NULL, NULL))
            return assay_json_object_from_string (text, NULL);
          return NULL;
        }
      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        break;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
  return NULL;
}

/* Change-point steps from a JSON array (annotations, change_points): integers, those outside
 * 0..n-1 dropped; anything else is an error naming the file and the field. */
static GArray *
read_steps (JsonArray *steps, gint64 n, const char *path, const char *field, GError **error)
{
  g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonNode *node = json_array_get_element (steps, i);
      gint64    v;
      guint     u;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("%s: %s: step %u is not an integer"), path, field, i + 1);
          return NULL;
        }
      v = json_node_get_int (node);
      u = (guint) v;
      if (v >= 0 && v < n)
        g_array_append_val (a, u);
    }
  return g_steal_pointer (&a);
}

static AssaySeries *
read_tcpd (const char *path, JsonObject *annotations, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  JsonObject  *root;
  JsonArray   *list;
  const char  *name;
  gint64       n_obs;
  guint        N;
  AssaySeries *series;

  if (!assay_json_parser_load_file (parser, path, &json_error))
    {
      fail (error, path, _("not JSON: %s"), json_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      fail (error, path, _("expected a TCPD series object"));
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  name = assay_json_get_string (root, "name", NULL);
  n_obs = assay_json_get_int (root, "n_obs", -1);
  if (name == NULL || n_obs < 1 || n_obs > G_MAXINT || !json_object_has_member (root, "series")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "series")))
    {
      fail (error, path, _("a TCPD series needs “name”, “n_obs” and a “series” list"));
      return NULL;
    }
  list = json_object_get_array_member (root, "series");
  N = json_array_get_length (list);
  if (N == 0)
    {
      fail (error, path, _("“series” is empty"));
      return NULL;
    }
  series = assay_series_new (name, (guint) n_obs, N, 1);
  for (guint n = 0; n < N; n++)
    {
      JsonNode  *e = json_array_get_element (list, n);
      JsonArray *raw;
      if (!JSON_NODE_HOLDS_OBJECT (e)
          || !json_object_has_member (json_node_get_object (e), "raw")
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (e), "raw")))
        {
          fail (error, path, _("series[%u] has no “raw” list"), n);
          assay_series_free (series);
          return NULL;
        }
      raw = json_object_get_array_member (json_node_get_object (e), "raw");
      if (json_array_get_length (raw) != (guint) n_obs)
        {
          fail (error, path, _("series[%u] has %u values, “n_obs” says %lld"), n,
                json_array_get_length (raw), (long long) n_obs);
          assay_series_free (series);
          return NULL;
        }
      g_free (series->var_names[n]);
      series->var_names[n] = g_strdup (assay_json_get_string (json_node_get_object (e), "label",
                                                              "value"));
      for (guint t = 0; t < (guint) n_obs; t++)
        {
          JsonNode *v = json_array_get_element (raw, t);
          float     x = NAN;
          if (JSON_NODE_HOLDS_VALUE (v) && (json_node_get_value_type (v) == G_TYPE_DOUBLE
                                            || json_node_get_value_type (v) == G_TYPE_INT64))
            x = (float) json_node_get_double (v);
          else if (!JSON_NODE_HOLDS_NULL (v)
                   && !(JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING
                        && is_missing_token (json_node_get_string (v))))
            {
              fail (error, path, _("series[%u] value %u is not a number"), n, t);
              assay_series_free (series);
              return NULL;
            }
          assay_series_at (series, t, n)[0] = x;
        }
    }
  g_free (series->feat_names[0]);
  series->feat_names[0] = g_strdup ("value");
  if (json_object_has_member (root, "time"))
    {
      JsonNode *time = json_object_get_member (root, "time");
      if (JSON_NODE_HOLDS_OBJECT (time) && json_object_has_member (json_node_get_object (time), "raw"))
        {
          JsonArray *raw = json_object_get_array_member (json_node_get_object (time), "raw");
          if (raw != NULL && json_array_get_length (raw) == (guint) n_obs)
            {
              series->time_labels = g_new0 (char *, n_obs + 1);
              for (guint t = 0; t < (guint) n_obs; t++)
                {
                  JsonNode *v = json_array_get_element (raw, t);
                  series->time_labels[t] = JSON_NODE_HOLDS_VALUE (v)
                                               && json_node_get_value_type (v) == G_TYPE_STRING
                                             ? g_strdup (json_node_get_string (v))
                                             : g_strdup_printf ("%u", t);
                }
            }
        }
    }
  if (annotations != NULL && json_object_has_member (annotations, name))
    {
      JsonNode *node = json_object_get_member (annotations, name);
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autoptr (GList) members = json_object_get_members (json_node_get_object (node));
          for (GList *l = members; l; l = l->next)
            {
              JsonNode *steps = json_object_get_member (json_node_get_object (node), l->data);
              g_autoptr (GArray) a = NULL;
              g_autofree char *field = g_strdup_printf ("annotations.%s", (char *) l->data);
              if (!JSON_NODE_HOLDS_ARRAY (steps))
                continue;
              if ((a = read_steps (json_node_get_array (steps), n_obs, path, field, error)) == NULL)
                {
                  assay_series_free (series);
                  return NULL;
                }
              assay_series_add_annotation (series, l->data, (guint *) a->data, a->len);
            }
        }
    }
  return series;
}

/* ---- JSONL ------------------------------------------------------------------------------------- */

static AssaySeries *
series_from_json (JsonObject *o, const char *path, guint line, GError **error)
{
  JsonArray   *rows;
  guint        T, N = 0, M = 1;
  AssaySeries *series;
  g_autofree char *fallback = g_strdup_printf ("series %u", line);

  if (!json_object_has_member (o, "data") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "data")))
    {
      fail (error, path, _("line %u: “data” (a list of steps) is missing"), line);
      return NULL;
    }
  rows = json_object_get_array_member (o, "data");
  T = json_array_get_length (rows);
  if (T == 0)
    {
      fail (error, path, _("line %u: “data” is empty"), line);
      return NULL;
    }
  {
    JsonNode *first = json_array_get_element (rows, 0);
    if (JSON_NODE_HOLDS_ARRAY (first))
      {
        JsonArray *a = json_node_get_array (first);
        N = json_array_get_length (a);
        if (N > 0 && JSON_NODE_HOLDS_ARRAY (json_array_get_element (a, 0)))
          M = json_array_get_length (json_node_get_array (json_array_get_element (a, 0)));
      }
    else
      N = 1;
  }
  if (N == 0 || M == 0)
    {
      fail (error, path, _("line %u: a step has no values"), line);
      return NULL;
    }
  series = assay_series_new (assay_json_get_string (o, "name", fallback), T, N, M);
  for (guint t = 0; t < T; t++)
    {
      JsonNode *step = json_array_get_element (rows, t);
      for (guint n = 0; n < N; n++)
        for (guint m = 0; m < M; m++)
          {
            JsonNode *v = step;
            if (JSON_NODE_HOLDS_ARRAY (step))
              {
                JsonArray *a = json_node_get_array (step);
                v = n < json_array_get_length (a) ? json_array_get_element (a, n) : NULL;
                if (v != NULL && JSON_NODE_HOLDS_ARRAY (v))
                  {
                    JsonArray *b = json_node_get_array (v);
                    v = m < json_array_get_length (b) ? json_array_get_element (b, m) : NULL;
                  }
                else if (M > 1)
                  v = NULL;
              }
            else if (N > 1 || M > 1)
              v = NULL;
            if (v == NULL)
              {
                fail (error, path, _("line %u: step %u does not have %u x %u values"), line, t, N, M);
                assay_series_free (series);
                return NULL;
              }
            if (JSON_NODE_HOLDS_NULL (v))
              assay_series_at (series, t, n)[m] = NAN;
            else if (JSON_NODE_HOLDS_VALUE (v) && (json_node_get_value_type (v) == G_TYPE_DOUBLE
                                                   || json_node_get_value_type (v) == G_TYPE_INT64))
              assay_series_at (series, t, n)[m] = (float) json_node_get_double (v);
            else
              {
                fail (error, path, _("line %u: step %u, variable %u: not a number"), line, t, n);
                assay_series_free (series);
                return NULL;
              }
          }
    }
  for (int which = 0; which < 2; which++)
    {
      const char *member = which == 0 ? "var_names" : "feat_names";
      guint       count = which == 0 ? N : M;
      char      **names = which == 0 ? series->var_names : series->feat_names;
      if (json_object_has_member (o, member) && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, member)))
        {
          JsonArray *a = json_object_get_array_member (o, member);
          for (guint i = 0; i < MIN (count, json_array_get_length (a)); i++)
            {
              JsonNode *e = json_array_get_element (a, i);
              if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
                {
                  g_free (names[i]);
                  names[i] = g_strdup (json_node_get_string (e));
                }
            }
        }
    }
  if (json_object_has_member (o, "annotations") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "annotations")))
    {
      JsonObject *ann = json_object_get_object_member (o, "annotations");
      g_autoptr (GList) members = json_object_get_members (ann);
      for (GList *l = members; l; l = l->next)
        {
          JsonNode *steps = json_object_get_member (ann, l->data);
          g_autoptr (GArray) a = NULL;
          g_autofree char *field = g_strdup_printf (_("line %u, annotations.%s"), line, (char *) l->data);
          if (!JSON_NODE_HOLDS_ARRAY (steps))
            continue;
          if ((a = read_steps (json_node_get_array (steps), T, path, field, error)) == NULL)
            {
              assay_series_free (series);
              return NULL;
            }
          assay_series_add_annotation (series, l->data, (guint *) a->data, a->len);
        }
    }
  else if (json_object_has_member (o, "change_points") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "change_points")))
    {
      JsonArray *cps = json_object_get_array_member (o, "change_points");
      g_autofree char *field = g_strdup_printf (_("line %u, change_points"), line);
      g_autoptr (GArray) a = read_steps (cps, T, path, field, error);
      if (a == NULL)
        {
          assay_series_free (series);
          return NULL;
        }
      assay_series_add_annotation (series, "truth", (guint *) a->data, a->len);
    }
  series->change_type = g_strdup (assay_json_get_string (o, "change_type", NULL));
  return series;
}

static gboolean
read_jsonl (const char *path, GPtrArray *out, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize            len = 0;
  guint            line = 0;
  const char      *p, *end;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  p = data;
  end = data + len;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *line_end = eol != NULL ? eol : end;
      g_autoptr (GError) json_error = NULL;
      AssaySeries *series;

      line++;
      while (p < line_end && g_ascii_isspace (*p))
        p++;
      if (p < line_end)
        {
          if (!assay_json_parser_load (parser, p, line_end - p, &json_error))
            return fail (error, path, _("line %u: not JSON: %s"), line, json_error->message);
          if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            return fail (error, path, _("line %u: expected a JSON object"), line);
          series = series_from_json (json_node_get_object (json_parser_get_root (parser)), path,
                                     line, error);
          if (series == NULL)
            return FALSE;
          g_ptr_array_add (out, series);
        }
      p = eol != NULL ? eol + 1 : end;
    }
  return TRUE;
}

/* ---- entry ---------------------------------------------------------------------------------------- */

static AssayCpdFormat
guess (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_file_test (path, G_FILE_TEST_IS_DIR) || g_str_has_suffix (lower, ".json"))
    return ASSAY_CPD_FORMAT_TCPD;
  if (g_str_has_suffix (lower, ".jsonl") || g_str_has_suffix (lower, ".ndjson"))
    return ASSAY_CPD_FORMAT_JSONL;
  return ASSAY_CPD_FORMAT_CSV;
}

/* TCPD folder: every <name>/<name>.json below it (or *.json directly in it). */
static void
collect_tcpd (const char *dir, GPtrArray *files, int depth)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && depth < 3)
        collect_tcpd (path, files, depth + 1);
      else if (g_str_has_suffix (name, ".json") && !g_str_equal (name, "annotations.json")
               && !g_str_equal (name, "schema.json"))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

gboolean
assay_cpd_import (AssayStore *store, const char *const *paths, const AssayCpdImportOptions *options,
                  AssayCpdImportResult *result, GCancellable *cancellable, GError **error)
{
  AssayCpdImportOptions defaults;
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_series_free);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *name = NULL;
  gint64           dataset;

  if (options == NULL)
    {
      assay_cpd_import_options_init (&defaults);
      options = &defaults;
    }
  memset (result, 0, sizeof *result);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      const char    *path = paths[i];
      AssayCpdFormat format = options->format != ASSAY_CPD_FORMAT_AUTO ? options->format : guess (path);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return fail (error, path, _("no such file or folder"));
      if (format == ASSAY_CPD_FORMAT_TCPD)
        {
          g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
          if (g_file_test (path, G_FILE_TEST_IS_DIR))
            collect_tcpd (path, files, 0);
          else
            g_ptr_array_add (files, g_strdup (path));
          g_ptr_array_sort (files, compare_paths);
          if (files->len == 0)
            return fail (error, path, _("no TCPD series files found"));
          for (guint f = 0; f < files->len; f++)
            {
              const char *file = g_ptr_array_index (files, f);
              g_autoptr (JsonObject) annotations = find_annotations (file);
              AssaySeries *series = read_tcpd (file, annotations, error);
              if (series == NULL)
                return FALSE;
              if (!handle_missing (series, file, options->refuse_missing, error))
                {
                  assay_series_free (series);
                  return FALSE;
                }
              g_ptr_array_add (all, series);
            }
        }
      else if (format == ASSAY_CPD_FORMAT_JSONL)
        {
          guint first = all->len;
          if (!read_jsonl (path, all, error))
            return FALSE;
          for (guint s = first; s < all->len; s++)
            if (!handle_missing (g_ptr_array_index (all, s), path, options->refuse_missing, error))
              return FALSE;
        }
      else
        {
          AssaySeries *series = read_csv (path, options, error);
          if (series == NULL)
            return FALSE;
          g_ptr_array_add (all, series);
          if (!handle_missing (series, path, options->refuse_missing, error))
            return FALSE;
        }
    }
  if (all->len == 0)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("No series to import"));
      return FALSE;
    }

  {
    g_autofree char *base = g_path_get_basename (paths[0]);
    name = g_strdup (options->name != NULL ? options->name : base);
  }
  json_object_set_int_member (params, "series", all->len);
  if (!assay_store_begin (store, error))
    return FALSE;
  dataset = assay_store_add_dataset (store, "cpd", name, paths[0], params, error);
  if (dataset == 0)
    {
      assay_store_rollback (store);
      return FALSE;
    }
  for (guint s = 0; s < all->len; s++)
    {
      AssaySeries *series = g_ptr_array_index (all, s);
      if (assay_series_store (series, store, dataset, error) == 0)
        {
          assay_store_rollback (store);
          return FALSE;
        }
      result->missing += series->missing;
      result->annotated += series->annotations->len > 0;
    }
  if (!assay_store_commit (store, error))
    {
      assay_store_rollback (store);
      return FALSE;
    }
  result->dataset = dataset;
  result->series = all->len;
  assay_store_emit_changed (store, "cpd_series");
  return TRUE;
}
