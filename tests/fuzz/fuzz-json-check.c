/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the JSON check in front of json-glib (nesting depth, number ranges, strings,
 * comments) and the parse behind it, on arbitrary bytes, with a length and NUL-terminated. */
#include <stdint.h>
#include <string.h>

#include "assay-json.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_malloc (size + 1);
  gboolean         checked;

  memcpy (text, data, size);
  text[size] = '\0';
  {
    g_autoptr (GError) error = NULL;
    checked = assay_json_check ((const char *) data, (gssize) size, &error);
    if (!checked)
      g_assert (error != NULL && error->message != NULL);
  }
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (GError) error = NULL;
    if (assay_json_parser_load (parser, (const char *) data, (gssize) size, &error))
      {
        JsonNode *root = json_parser_get_root (parser);
        if (!checked || root == NULL)
          __builtin_trap (); /* the load checks first: it cannot accept what the check refuses */
        g_free (assay_json_node_to_string (root, FALSE));
      }
    else
      g_assert (error != NULL && error->message != NULL);
  }
  {
    g_autoptr (GError) error = NULL;
    JsonObject *o = assay_json_object_from_string (text, &error);
    if (o != NULL)
      {
        assay_json_get_string (o, "name", NULL);
        assay_json_get_int (o, "n", 0);
        assay_json_get_double (o, "x", 0);
        assay_json_get_bool (o, "ok", FALSE);
        g_free (assay_json_object_to_string (o, TRUE));
        json_object_unref (o);
      }
    else
      g_assert (error != NULL && error->message != NULL);
  }
  return 0;
}
