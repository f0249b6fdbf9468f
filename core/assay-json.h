/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-json.h: small json-glib helpers used across core. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char       *assay_json_object_to_string (JsonObject *object, gboolean pretty);
char       *assay_json_node_to_string (JsonNode *node, gboolean pretty);
/* NULL (with error) unless text is a JSON object. */
JsonObject *assay_json_object_from_string (const char *text, GError **error);
/* Convenience getters that tolerate missing members and wrong types. */
const char *assay_json_get_string (JsonObject *object, const char *member, const char *fallback);
gint64      assay_json_get_int (JsonObject *object, const char *member, gint64 fallback);
double      assay_json_get_double (JsonObject *object, const char *member, double fallback);
gboolean    assay_json_get_bool (JsonObject *object, const char *member, gboolean fallback);

G_END_DECLS
