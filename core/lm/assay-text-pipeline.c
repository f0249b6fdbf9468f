/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-text-pipeline.c: see assay-text-pipeline.h. */
#include "assay-text-pipeline.h"

#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-normalized.h"
#include "assay-precompiled.h"

typedef enum
{
  NORM_PRECOMPILED,
  NORM_REPLACE,
  NORM_STRIP,
  NORM_UNICODE,
  NORM_LOWERCASE,
  NORM_STRIP_ACCENTS,
  NORM_PREPEND,
} NormType;

typedef struct
{
  NormType          type;
  AssayPrecompiled *map;
  GRegex           *pattern;
  char             *content;
  gboolean          left, right;
  GNormalizeMode    mode;
} Norm;

typedef enum
{
  PREPEND_NEVER,
  PREPEND_ALWAYS,
  PREPEND_FIRST,
} Prepend;

typedef struct
{
  gboolean metaspace; /* else WhitespaceSplit */
  char    *replacement;
  GRegex  *space;     /* " " */
  Prepend  prepend;
  gboolean split;
} Pre;

struct _AssayTextPipeline
{
  char   *path;
  GArray *norms; /* Norm */
  GArray *pres;  /* Pre */
};

void
assay_text_pipeline_free (AssayTextPipeline *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->norms->len; i++)
    {
      Norm *n = &g_array_index (self->norms, Norm, i);
      assay_precompiled_free (n->map);
      if (n->pattern != NULL)
        g_regex_unref (n->pattern);
      g_free (n->content);
    }
  for (guint i = 0; i < self->pres->len; i++)
    {
      Pre *p = &g_array_index (self->pres, Pre, i);
      g_free (p->replacement);
      if (p->space != NULL)
        g_regex_unref (p->space);
    }
  g_array_unref (self->norms);
  g_array_unref (self->pres);
  g_free (self->path);
  g_free (self);
}

static gboolean
refuse (AssayTextPipeline *self, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (AssayTextPipeline *self, GError **error, const char *format, ...)
{
  va_list          args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: %s", self->path, what);
  return FALSE;
}

/* A Replace / Split pattern: {"String": s} or {"Regex": r}. */
static GRegex *
pattern_of (AssayTextPipeline *self, JsonObject *o, const char *where, GError **error)
{
  JsonNode        *node = json_object_get_member (o, "pattern");
  JsonObject      *p;
  const char      *regex;
  g_autofree char *escaped = NULL;
  g_autoptr (GError) local = NULL;
  GRegex          *re;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      refuse (self, error, "%s has no pattern object", where);
      return NULL;
    }
  p = json_node_get_object (node);
  regex = assay_json_get_string (p, "Regex", NULL);
  if (regex == NULL && assay_json_get_string (p, "String", NULL) != NULL)
    regex = escaped = g_regex_escape_string (assay_json_get_string (p, "String", NULL), -1);
  if (regex == NULL || *regex == '\0')
    {
      refuse (self, error, "%s: the pattern is neither a String nor a Regex", where);
      return NULL;
    }
  re = g_regex_new (regex, G_REGEX_OPTIMIZE, 0, &local);
  if (re == NULL)
    refuse (self, error, "%s pattern: %s", where, local->message);
  return re;
}

static gboolean
parse_normalizer (AssayTextPipeline *self, JsonNode *node, guint depth, GError **error)
{
  JsonObject *o;
  const char *type;
  Norm        n = { 0 };

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node) || depth > 16)
    return refuse (self, error, "a normalizer is not an object");
  o = json_node_get_object (node);
  type = assay_json_get_string (o, "type", "");
  if (g_str_equal (type, "Sequence"))
    {
      JsonNode *list = json_object_get_member (o, "normalizers");
      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        return refuse (self, error, "normalizer Sequence without a normalizers list");
      for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
        if (!parse_normalizer (self, json_array_get_element (json_node_get_array (list), i), depth + 1, error))
          return FALSE;
      return TRUE;
    }
  if (g_str_equal (type, "Precompiled"))
    {
      JsonNode         *blob = json_object_get_member (o, "precompiled_charsmap");
      g_autofree guchar *raw = NULL;
      g_autofree char   *why = NULL;
      gsize             len = 0;

      if (blob == NULL || JSON_NODE_HOLDS_NULL (blob))
        return TRUE; /* no map: nothing to do */
      if (!JSON_NODE_HOLDS_VALUE (blob) || json_node_get_value_type (blob) != G_TYPE_STRING)
        return refuse (self, error, "Precompiled precompiled_charsmap is not a base64 string");
      if (*json_node_get_string (blob) == '\0')
        return TRUE;
      raw = g_base64_decode (json_node_get_string (blob), &len);
      n.type = NORM_PRECOMPILED;
      if ((n.map = assay_precompiled_new (raw, len, &why)) == NULL)
        return refuse (self, error, "Precompiled precompiled_charsmap: %s", why);
    }
  else if (g_str_equal (type, "Replace"))
    {
      JsonNode *content = json_object_get_member (o, "content");
      if (content == NULL || !JSON_NODE_HOLDS_VALUE (content) || json_node_get_value_type (content) != G_TYPE_STRING)
        return refuse (self, error, "normalizer Replace without a content string");
      n.type = NORM_REPLACE;
      if ((n.pattern = pattern_of (self, o, "normalizer Replace", error)) == NULL)
        return FALSE;
      n.content = g_strdup (json_node_get_string (content));
    }
  else if (g_str_equal (type, "Strip"))
    {
      n.type = NORM_STRIP;
      n.left = assay_json_get_bool (o, "strip_left", TRUE);
      n.right = assay_json_get_bool (o, "strip_right", TRUE);
    }
  else if (g_str_equal (type, "NFC") || g_str_equal (type, "NFD") || g_str_equal (type, "NFKC")
           || g_str_equal (type, "NFKD"))
    {
      n.type = NORM_UNICODE;
      n.mode = g_str_equal (type, "NFC") ? G_NORMALIZE_NFC
               : g_str_equal (type, "NFD") ? G_NORMALIZE_NFD
               : g_str_equal (type, "NFKC") ? G_NORMALIZE_NFKC : G_NORMALIZE_NFKD;
    }
  else if (g_str_equal (type, "Lowercase"))
    n.type = NORM_LOWERCASE;
  else if (g_str_equal (type, "StripAccents"))
    n.type = NORM_STRIP_ACCENTS;
  else if (g_str_equal (type, "Prepend"))
    {
      n.type = NORM_PREPEND;
      n.content = g_strdup (assay_json_get_string (o, "prepend", ""));
    }
  else if (g_str_equal (type, "Nmt"))
    {
      /* drop some control characters, and make some others (and odd spaces) a space */
      Norm drop = { NORM_REPLACE, NULL, g_regex_new ("[\\x{1}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{7f}\\x{8f}\\x{9f}]",
                                                     0, 0, NULL), g_strdup (""), 0, 0, 0 };
      g_array_append_val (self->norms, drop);
      n.type = NORM_REPLACE;
      n.pattern = g_regex_new ("[\\x{9}\\x{a}\\x{c}\\x{d}\\x{1680}\\x{200b}-\\x{200f}\\x{2028}\\x{2029}"
                               "\\x{2581}\\x{feff}\\x{fffd}]", 0, 0, NULL);
      n.content = g_strdup (" ");
    }
  else
    return refuse (self, error, "normalizer “%s” is not supported with a Unigram model", type);
  g_array_append_val (self->norms, n);
  return TRUE;
}

static gboolean
parse_pre_tokenizer (AssayTextPipeline *self, JsonNode *node, guint depth, GError **error)
{
  JsonObject *o;
  const char *type;
  Pre         p = { 0 };

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node) || depth > 16)
    return refuse (self, error, "a pre-tokenizer is not an object");
  o = json_node_get_object (node);
  type = assay_json_get_string (o, "type", "");
  if (g_str_equal (type, "Sequence"))
    {
      JsonNode *list = json_object_get_member (o, "pretokenizers");
      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        return refuse (self, error, "pre-tokenizer Sequence without a pretokenizers list");
      for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
        if (!parse_pre_tokenizer (self, json_array_get_element (json_node_get_array (list), i), depth + 1, error))
          return FALSE;
      return TRUE;
    }
  if (g_str_equal (type, "WhitespaceSplit"))
    {
      g_array_append_val (self->pres, p);
      return TRUE;
    }
  if (!g_str_equal (type, "Metaspace"))
    return refuse (self, error, "pre-tokenizer “%s” is not supported with a Unigram model", type);
  p.metaspace = TRUE;
  p.replacement = g_strdup (assay_json_get_string (o, "replacement", "\xe2\x96\x81"));
  if (*p.replacement == '\0' || g_utf8_strlen (p.replacement, -1) != 1)
    {
      g_free (p.replacement);
      return refuse (self, error, "Metaspace replacement must be one character");
    }
  p.space = g_regex_new (" ", 0, 0, NULL);
  p.split = assay_json_get_bool (o, "split", TRUE);
  /* prepend_scheme (tokenizers ≥ 0.15) or the older add_prefix_space */
  if (json_object_has_member (o, "prepend_scheme"))
    {
      const char *scheme = assay_json_get_string (o, "prepend_scheme", "");
      if (g_str_equal (scheme, "always"))
        p.prepend = PREPEND_ALWAYS;
      else if (g_str_equal (scheme, "first"))
        p.prepend = PREPEND_FIRST;
      else if (g_str_equal (scheme, "never"))
        p.prepend = PREPEND_NEVER;
      else
        {
          g_free (p.replacement);
          g_regex_unref (p.space);
          return refuse (self, error, "Metaspace prepend_scheme “%s” (always, first or never)", scheme);
        }
    }
  else
    p.prepend = assay_json_get_bool (o, "add_prefix_space", TRUE) ? PREPEND_ALWAYS : PREPEND_NEVER;
  g_array_append_val (self->pres, p);
  return TRUE;
}

AssayTextPipeline *
assay_text_pipeline_new (JsonNode *normalizer, JsonNode *pre_tokenizer, const char *path, GError **error)
{
  g_autoptr (AssayTextPipeline) self = g_new0 (AssayTextPipeline, 1);

  self->path = g_strdup (path);
  self->norms = g_array_new (FALSE, FALSE, sizeof (Norm));
  self->pres = g_array_new (FALSE, FALSE, sizeof (Pre));
  if (!parse_normalizer (self, normalizer, 0, error) || !parse_pre_tokenizer (self, pre_tokenizer, 0, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
normalize (const AssayTextPipeline *self, AssayNormalized *text)
{
  for (guint i = 0; i < self->norms->len; i++)
    {
      const Norm *n = &g_array_index (self->norms, Norm, i);
      switch (n->type)
        {
        case NORM_PRECOMPILED: assay_normalized_precompiled (text, n->map); break;
        case NORM_REPLACE: assay_normalized_replace (text, n->pattern, n->content); break;
        case NORM_STRIP: assay_normalized_strip (text, n->left, n->right); break;
        case NORM_UNICODE: assay_normalized_unicode (text, n->mode); break;
        case NORM_LOWERCASE: assay_normalized_lowercase (text); break;
        case NORM_STRIP_ACCENTS: assay_normalized_strip_accents (text); break;
        case NORM_PREPEND: assay_normalized_prepend (text, n->content); break;
        default: g_assert_not_reached ();
        }
    }
}

/* One pre-tokenizer on one piece: the pieces it becomes, appended to out (piece is consumed). */
static void
pre_tokenize (const Pre *p, AssayNormalized *piece, GPtrArray *out)
{
  g_autoptr (GPtrArray) parts = NULL;
  guint start, end;

  if (!p->metaspace)
    parts = assay_normalized_split_whitespace (piece);
  else
    {
      assay_normalized_replace (piece, p->space, p->replacement);
      assay_normalized_original (piece, 0, 0, &start, &end);
      if ((p->prepend == PREPEND_ALWAYS || (p->prepend == PREPEND_FIRST && start == 0))
          && !g_str_has_prefix (piece->text->str, p->replacement))
        assay_normalized_prepend (piece, p->replacement);
      if (p->split)
        parts = assay_normalized_split_before (piece, p->replacement);
    }
  if (parts == NULL)
    {
      if (piece->text->len > 0)
        g_ptr_array_add (out, piece);
      else
        assay_normalized_free (piece);
      return;
    }
  assay_normalized_free (piece);
  for (guint i = 0; i < parts->len; i++)
    g_ptr_array_add (out, g_steal_pointer (&parts->pdata[i]));
  g_ptr_array_set_free_func (parts, NULL);
}

GPtrArray *
assay_text_pipeline_run (const AssayTextPipeline *self, const char *text, gsize len, gsize base)
{
  GPtrArray       *pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_normalized_free);
  AssayNormalized *whole = assay_normalized_new (text, len, base);

  normalize (self, whole);
  g_ptr_array_add (pieces, whole);
  for (guint i = 0; i < self->pres->len; i++)
    {
      GPtrArray *next = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_normalized_free);
      for (guint j = 0; j < pieces->len; j++)
        pre_tokenize (&g_array_index (self->pres, Pre, i), g_steal_pointer (&pieces->pdata[j]), next);
      g_ptr_array_unref (pieces);
      pieces = next;
    }
  /* (no pre-tokenizer: the whole normalised text is one piece, empty or not) */
  if (pieces->len == 1 && ((AssayNormalized *) pieces->pdata[0])->text->len == 0)
    g_ptr_array_set_size (pieces, 0);
  return pieces;
}
