/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-json.h: small json-glib helpers used across core. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char       *assay_json_object_to_string (JsonObject *object, gboolean pretty);
char       *assay_json_node_to_string (JsonNode *node, gboolean pretty);
/* Deepest nesting of arrays and objects any JSON input may have. json-glib's parser recurses
 * once per level and overflows the stack near 80 000 levels; real files stay below 100. */
#define ASSAY_JSON_MAX_DEPTH 512

/* Checks text (len bytes, or up to its NUL when len < 0) before it reaches json-glib: nesting
 * no deeper than ASSAY_JSON_MAX_DEPTH, and every number representable (an integer within 64
 * bits, a real number finite as a double). Strings and comments are skipped as json-glib skips
 * them. The error names the line and column (1-based) of the offending byte. */
gboolean    assay_json_check (const char *text, gssize len, GError **error);
/* json_parser_load_from_data after assay_json_check. Unlike json-glib, an empty or
 * whitespace/comment-only text is an error ("no JSON value"), never an empty root. */
gboolean    assay_json_parser_load (JsonParser *parser, const char *text, gssize len,
                                    GError **error);
/* The same for a whole file, read through a mapping; the error does not name the file
 * (callers prefix it as they name their inputs). */
gboolean    assay_json_parser_load_file (JsonParser *parser, const char *path, GError **error);
/* NULL (with error) unless text is a JSON object. */
JsonObject *assay_json_object_from_string (const char *text, GError **error);
/* Convenience getters that tolerate missing members and wrong types. */
const char *assay_json_get_string (JsonObject *object, const char *member, const char *fallback);
gint64      assay_json_get_int (JsonObject *object, const char *member, gint64 fallback);
double      assay_json_get_double (JsonObject *object, const char *member, double fallback);
gboolean    assay_json_get_bool (JsonObject *object, const char *member, gboolean fallback);

G_END_DECLS
