/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-json.h"

#include "assay-error.h"

char *
assay_json_node_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, pretty);
  return json_generator_to_data (gen, NULL);
}

char *
assay_json_object_to_string (JsonObject *object, gboolean pretty)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return assay_json_node_to_string (node, pretty);
}

JsonObject *
assay_json_object_from_string (const char *text, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "expected a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
member_value (JsonObject *object, const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  return JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

const char *
assay_json_get_string (JsonObject *object, const char *member, const char *fallback)
{
  JsonNode *node = member_value (object, member);

  return node != NULL && json_node_get_value_type (node) == G_TYPE_STRING
           ? json_node_get_string (node)
           : fallback;
}

gint64
assay_json_get_int (JsonObject *object, const char *member, gint64 fallback)
{
  JsonNode *node = member_value (object, member);
  GType     type;

  if (node == NULL)
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  if (type == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  return fallback;
}

double
assay_json_get_double (JsonObject *object, const char *member, double fallback)
{
  JsonNode *node = member_value (object, member);
  GType     type;

  if (node == NULL)
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
    return json_node_get_double (node);
  return fallback;
}

gboolean
assay_json_get_bool (JsonObject *object, const char *member, gboolean fallback)
{
  JsonNode *node = member_value (object, member);

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node) != 0;
  return fallback;
}
