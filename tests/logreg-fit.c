/* SPDX-License-Identifier: GPL-3.0-or-later */
/* logreg-fit: fits assay-logreg.h on a problem given as JSON, for tests/peers/logreg_peers.py to
 * check against scikit-learn. Input {"kind": "softmax"|"sigmoid", "C", "K", "x": [[...]...],
 * "labels": [[...]...], "rows": [...] (optional: the rows fitted; all are predicted), "tol"
 * (optional, 1e-9), "block_rows" (optional)};
 * output {"w": [[...]], "b": [...], "p": [[...]], "iterations", "objective"}.
 *
 * usage: logreg-fit IN.json OUT.json */
#include <json-glib/json-glib.h>

#include "assay-json.h"
#include "assay-logreg.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (AssayLogreg) model = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree float *x = NULL;
  g_autofree gsize *offsets = NULL;
  g_autofree guint *labels = NULL, *rows = NULL;
  g_autofree double *p = NULL;
  g_autofree char *text = NULL;
  JsonObject *in;
  JsonArray  *xs, *ls;
  AssayLogregOptions o;
  guint n, dim, K, nr = 0;
  gsize total = 0;

  if (argc != 3)
    g_error ("usage: logreg-fit IN.json OUT.json");
  if (!json_parser_load_from_file (parser, argv[1], &error))
    g_error ("%s", error->message);
  in = json_node_get_object (json_parser_get_root (parser));
  xs = json_object_get_array_member (in, "x");
  ls = json_object_get_array_member (in, "labels");
  n = json_array_get_length (xs);
  dim = json_array_get_length (json_array_get_array_element (xs, 0));
  K = (guint) json_object_get_int_member (in, "K");
  x = g_new (float, (gsize) n * dim);
  offsets = g_new (gsize, n + 1);
  for (guint i = 0; i < n; i++)
    {
      total += json_array_get_length (json_array_get_array_element (ls, i));
      for (guint j = 0; j < dim; j++)
        x[(gsize) i * dim + j] = (float) json_array_get_double_element (json_array_get_array_element (xs, i), j);
    }
  labels = g_new (guint, MAX (total, 1));
  total = 0;
  for (guint i = 0; i < n; i++)
    {
      JsonArray *l = json_array_get_array_element (ls, i);
      offsets[i] = total;
      for (guint k = 0; k < json_array_get_length (l); k++)
        labels[total++] = (guint) json_array_get_int_element (l, k);
    }
  offsets[n] = total;
  if (json_object_has_member (in, "rows"))
    {
      JsonArray *r = json_object_get_array_member (in, "rows");
      nr = json_array_get_length (r);
      rows = g_new (guint, nr);
      for (guint i = 0; i < nr; i++)
        rows[i] = (guint) json_array_get_int_element (r, i);
    }
  assay_logreg_options_init (&o);
  o.C = json_object_get_double_member (in, "C");
  o.tol = json_object_get_double_member_with_default (in, "tol", 1e-9);
  o.max_iter = 20000;
  o.block_rows = (guint) json_object_get_int_member_with_default (in, "block_rows", 0);
  model = assay_logreg_fit (g_str_equal (json_object_get_string_member (in, "kind"), "softmax") ? ASSAY_LOGREG_SOFTMAX
                                                                                                 : ASSAY_LOGREG_SIGMOID,
                            x, dim, rows, rows != NULL ? nr : n, offsets, labels, K, &o);
  p = g_new (double, (gsize) n * K);
  assay_logreg_predict (model, x, NULL, n, p);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "w");
  json_builder_begin_array (b);
  for (guint k = 0; k < K; k++)
    {
      json_builder_begin_array (b);
      for (guint j = 0; j < dim; j++)
        json_builder_add_double_value (b, model->w[(gsize) k * dim + j]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "b");
  json_builder_begin_array (b);
  for (guint k = 0; k < K; k++)
    json_builder_add_double_value (b, model->b[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "p");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      json_builder_begin_array (b);
      for (guint k = 0; k < K; k++)
        json_builder_add_double_value (b, p[(gsize) i * K + k]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "iterations");
  json_builder_add_int_value (b, model->iterations);
  json_builder_set_member_name (b, "objective");
  json_builder_add_double_value (b, model->objective);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  if (!g_file_set_contents (argv[2], text, -1, &error))
    g_error ("%s", error->message);
  return 0;
}
