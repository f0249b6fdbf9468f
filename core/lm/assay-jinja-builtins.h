/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jinja-builtins.h: what chat templates do with values: operators, attribute and item access
 * as jinja2's immutable sandbox does it, string/dict/list methods, filters and tests. Errors carry
 * no template line; the renderer adds it. */
#pragma once

#include "assay-jinja-value.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_JINJA_BUILTIN_MISSING,     /* jinja2 has no such filter or test */
  ASSAY_JINJA_BUILTIN_UNSUPPORTED, /* jinja2 has it; Assay does not */
  ASSAY_JINJA_BUILTIN_OK,
} AssayJinjaBuiltin;

AssayJinjaBuiltin assay_jinja_filter_lookup (const char *name);
AssayJinjaBuiltin assay_jinja_test_lookup (const char *name);

AssayJinjaValue *assay_jinja_filter_apply (const char *name, AssayJinjaValue *value,
                                           AssayJinjaArgs *args, GError **error);
gboolean assay_jinja_test_apply (const char *name, AssayJinjaValue *value, AssayJinjaArgs *args,
                                 gboolean *result, GError **error);

/* obj.name (attribute first, then item) and obj[key] (item first, then attribute). Missing
 * attributes and items give undefined values; an undefined obj is an error. */
AssayJinjaValue *assay_jinja_getattr (AssayJinjaValue *obj, const char *name, GError **error);
AssayJinjaValue *assay_jinja_getitem (AssayJinjaValue *obj, AssayJinjaValue *key, GError **error);
/* obj[start:stop:step]; each bound may be NULL or None. */
AssayJinjaValue *assay_jinja_slice (AssayJinjaValue *obj, AssayJinjaValue *start,
                                    AssayJinjaValue *stop, AssayJinjaValue *step, GError **error);

/* op: "+", "-", "*", "/", "//", "%", "**", "~". */
AssayJinjaValue *assay_jinja_binop (const char *op, AssayJinjaValue *a, AssayJinjaValue *b,
                                    GError **error);
AssayJinjaValue *assay_jinja_negate (AssayJinjaValue *a, gboolean minus, GError **error);
/* op: "==", "!=", "<", "<=", ">", ">=", "in", "notin". */
gboolean         assay_jinja_compare_op (const char *op, AssayJinjaValue *a, AssayJinjaValue *b,
                                         gboolean *result, GError **error);
AssayJinjaValue *assay_jinja_call (AssayJinjaValue *callee, AssayJinjaArgs *args, GError **error);

void assay_jinja_args_init (AssayJinjaArgs *args);
void assay_jinja_args_clear (AssayJinjaArgs *args);
/* The argument at position pos, or the keyword argument name; borrowed, NULL when not given. */
AssayJinjaValue *assay_jinja_args_get (AssayJinjaArgs *args, guint pos, const char *name);
/* FALSE with an error naming what when more than max_pos positional or unknown keyword
 * arguments (names: NULL-terminated) were given. */
gboolean assay_jinja_args_check (AssayJinjaArgs *args, const char *what, guint max_pos,
                                 const char *const *names, GError **error);

/* The error an undefined value raises when used. */
gboolean assay_jinja_undefined_error (AssayJinjaValue *value, GError **error);

G_END_DECLS
