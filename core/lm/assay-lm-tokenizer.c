/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-tokenizer.c: byte-level BPE.
 *
 * Encoding: split the text at added tokens (longest first); normalise the rest (NFC where the
 * file asks); split it with the pre-tokenizer's regex (matches and the gaps between them are
 * pieces); map each byte of a piece to its printable stand-in character (GPT-2's
 * bytes_to_unicode); merge adjacent symbols by lowest merge rank, leftmost first, until no
 * pair has a rank. */
#include "assay-lm-tokenizer.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "assay-error.h"
#include "assay-gguf.h"
#include "assay-json.h"
#include "assay-normalized.h"
#include "assay-spm.h"
#include "assay-text-pipeline.h"
#include "assay-unigram.h"
#include "assay-wordpiece.h"

#define GPT2_PATTERN                                                                               \
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

typedef struct
{
  char    *content;
  gsize    len;
  int      id;
  gboolean lstrip, rstrip; /* the token takes the white space before / after it */
} Added;

typedef enum
{
  KIND_BYTE_BPE,  /* byte-level BPE (GPT-2, Qwen2, Llama 3) */
  KIND_WORDPIECE, /* BERT */
  KIND_SPM,       /* SentencePiece BPE with byte fallback (Llama 2) */
  KIND_UNIGRAM,   /* SentencePiece Unigram (XLM-R, T5) */
} Kind;

struct _AssayLmTokenizer
{
  char       *path;
  Kind        kind;
  char       *continuation;
  AssayWordPiece wp;
  AssaySpm    spm;
  AssayUnigram      *unigram;
  AssayTextPipeline *pipeline; /* the Unigram model's normalizer and pre-tokenizer */
  double            *unigram_scores; /* of the model's n_unigram pieces (ids 0 ..) */
  guint              n_unigram;
  float      *scores;
  GPtrArray  *tokens;    /* id -> char* (the token as in the vocabulary), NULL for holes */
  GPtrArray  *bytes;     /* id -> GBytes* the token stands for */
  GHashTable *vocab;     /* char* -> id */
  GHashTable *merges;    /* guint64 (left << 32 | right) -> rank << 32 | merged id, boxed */
  GArray     *added;     /* Added, longest first */
  GRegex     *split;     /* NULL: the whole text is one piece */
  gboolean    nfc;
  gboolean    ignore_merges;
  int         bos;
  int         eos; /* appended after a single sequence (BERT's [SEP], RoBERTa's </s>) or -1 */
  int         byte_id[256];    /* id of the single-byte token of each byte */
  gunichar    byte_char[256];  /* bytes_to_unicode */
  GHashTable *char_byte;       /* gunichar -> byte + 1 */
  GHashTable *cache;           /* piece -> GArray of ids */
  GMutex      lock;
};

static void
init_bytes_to_unicode (AssayLmTokenizer *self)
{
  int n = 0;

  for (int b = 0; b < 256; b++)
    {
      if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
        self->byte_char[b] = (gunichar) b;
      else
        self->byte_char[b] = (gunichar) (256 + n++);
      g_hash_table_insert (self->char_byte, GUINT_TO_POINTER (self->byte_char[b]),
                           GINT_TO_POINTER (b + 1));
    }
}

void
assay_lm_tokenizer_free (AssayLmTokenizer *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->scores);
  assay_unigram_free (self->unigram);
  assay_text_pipeline_free (self->pipeline);
  g_free (self->unigram_scores);
  g_free (self->continuation);
  g_ptr_array_unref (self->tokens);
  g_ptr_array_unref (self->bytes);
  g_hash_table_unref (self->vocab);
  g_hash_table_unref (self->merges);
  for (guint i = 0; i < self->added->len; i++)
    g_free (g_array_index (self->added, Added, i).content);
  g_array_unref (self->added);
  if (self->split != NULL)
    g_regex_unref (self->split);
  g_hash_table_unref (self->char_byte);
  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* The merges' key is left << 32 | right: g_int64_hash (the two halves xor-ed) sends a vocabulary
 * of 256 000 ids into few buckets; mix the bits first. */
static guint
pair_hash (gconstpointer key)
{
  guint64 x = *(const guint64 *) key;

  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  return (guint) x;
}

static AssayLmTokenizer *
tokenizer_new (const char *path)
{
  AssayLmTokenizer *self = g_new0 (AssayLmTokenizer, 1);

  self->path = g_strdup (path);
  self->tokens = g_ptr_array_new_with_free_func (g_free);
  self->bytes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->vocab = g_hash_table_new (g_str_hash, g_str_equal);
  self->merges = g_hash_table_new_full (pair_hash, g_int64_equal, g_free, NULL);
  self->added = g_array_new (FALSE, FALSE, sizeof (Added));
  self->char_byte = g_hash_table_new (NULL, NULL);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->bos = -1;
  self->eos = -1;
  g_mutex_init (&self->lock);
  init_bytes_to_unicode (self);
  return self;
}

static gboolean
set_token (AssayLmTokenizer *self, const char *token, gint64 id, GError **error)
{
  if (id < 0 || id > (1 << 24))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: token “%s” has id %" G_GINT64_FORMAT " out of range", self->path, token, id);
      return FALSE;
    }
  if ((guint) id >= self->tokens->len)
    g_ptr_array_set_size (self->tokens, (guint) id + 1);
  if (self->tokens->pdata[id] != NULL)
    {
      if (g_str_equal (self->tokens->pdata[id], token))
        return TRUE;
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: id %" G_GINT64_FORMAT " is given to “%s” and “%s”", self->path, id,
                   (char *) self->tokens->pdata[id], token);
      return FALSE;
    }
  self->tokens->pdata[id] = g_strdup (token);
  g_hash_table_insert (self->vocab, self->tokens->pdata[id], GINT_TO_POINTER ((int) id));
  return TRUE;
}

static int
lookup (AssayLmTokenizer *self, const char *token)
{
  gpointer v;

  if (!g_hash_table_lookup_extended (self->vocab, token, NULL, &v))
    return -1;
  return GPOINTER_TO_INT (v);
}

static gboolean
add_merge (AssayLmTokenizer *self, const char *left, const char *right, guint rank)
{
  int              a = lookup (self, left), b = lookup (self, right), m;
  g_autofree char *joined = g_strconcat (left, right, NULL);
  gint64          *key;

  m = lookup (self, joined);
  if (a < 0 || b < 0 || m < 0)
    return FALSE;
  key = g_new (gint64, 1);
  *key = ((gint64) a << 32) | (guint32) b;
  if (g_hash_table_contains (self->merges, key))
    {
      g_free (key); /* the first (lowest) rank wins */
      return TRUE;
    }
  g_hash_table_insert (self->merges, key, GSIZE_TO_POINTER (((gsize) rank << 32) | (guint32) m));
  return TRUE;
}

static int
added_longest_first (gconstpointer a, gconstpointer b)
{
  const Added *x = a, *y = b;
  return x->len < y->len ? 1 : x->len > y->len ? -1 : strcmp (x->content, y->content);
}

/* Token byte strings: byte-level tokens map their characters back to bytes; added tokens are
 * their content. Also the single-byte token of every byte, which must exist. */
/* What a WordPiece or SentencePiece token stands for: "▁" is a space, "##" a continuation,
 * <0xXX> a byte. */
static GBytes *
piece_bytes (AssayLmTokenizer *self, const char *tok)
{
  GString *out = g_string_new (NULL);
  guint    byte;

  if ((self->kind == KIND_SPM || self->kind == KIND_UNIGRAM) && strlen (tok) == 6
      && sscanf (tok, "<0x%02X>", &byte) == 1)
    {
      guint8 b = (guint8) byte;
      g_string_append_len (out, (const char *) &b, 1);
    }
  else if (self->kind == KIND_WORDPIECE && *self->wp.continuation != '\0'
           && g_str_has_prefix (tok, self->wp.continuation))
    g_string_append (out, tok + strlen (self->wp.continuation));
  else if (self->kind == KIND_WORDPIECE && *self->wp.continuation != '\0' && tok[0] != '[')
    g_string_append_printf (out, " %s", tok);
  else
    for (const char *p = tok; *p;)
      {
        if (g_str_has_prefix (p, "\xe2\x96\x81"))
          {
            g_string_append_c (out, ' ');
            p += 3;
          }
        else
          g_string_append_c (out, *p++);
      }
  return g_string_free_to_bytes (out);
}

static gboolean
finish (AssayLmTokenizer *self, GError **error)
{
  if (self->kind != KIND_BYTE_BPE)
    {
      g_ptr_array_set_size (self->bytes, self->tokens->len);
      for (guint id = 0; id < self->tokens->len; id++)
        if (self->tokens->pdata[id] != NULL)
          self->bytes->pdata[id] = piece_bytes (self, self->tokens->pdata[id]);
      for (guint i = 0; i < self->added->len; i++)
        {
          Added *a = &g_array_index (self->added, Added, i);
          if ((guint) a->id < self->bytes->len)
            {
              g_bytes_unref (self->bytes->pdata[a->id]);
              self->bytes->pdata[a->id] = g_bytes_new (a->content, a->len);
            }
        }
      g_array_sort (self->added, added_longest_first);
      return TRUE;
    }
  g_ptr_array_set_size (self->bytes, self->tokens->len);
  for (guint id = 0; id < self->tokens->len; id++)
    {
      const char *tok = self->tokens->pdata[id];
      GByteArray *out;
      gboolean    byte_level = TRUE;

      if (tok == NULL)
        continue;
      out = g_byte_array_new ();
      for (const char *p = tok; *p; p = g_utf8_next_char (p))
        {
          gpointer v = g_hash_table_lookup (self->char_byte, GUINT_TO_POINTER (g_utf8_get_char (p)));
          if (v == NULL)
            {
              byte_level = FALSE;
              break;
            }
          {
            guint8 b = (guint8) (GPOINTER_TO_INT (v) - 1);
            g_byte_array_append (out, &b, 1);
          }
        }
      if (!byte_level)
        {
          g_byte_array_set_size (out, 0);
          g_byte_array_append (out, (const guint8 *) tok, strlen (tok));
        }
      self->bytes->pdata[id] = g_byte_array_free_to_bytes (out);
    }
  for (guint i = 0; i < self->added->len; i++)
    {
      Added *a = &g_array_index (self->added, Added, i);
      if ((guint) a->id < self->bytes->len)
        {
          g_bytes_unref (self->bytes->pdata[a->id]);
          self->bytes->pdata[a->id] = g_bytes_new (a->content, a->len);
        }
    }
  for (int b = 0; b < 256; b++)
    {
      char buf[8] = { 0 };
      g_unichar_to_utf8 (self->byte_char[b], buf);
      if ((self->byte_id[b] = lookup (self, buf)) < 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       "%s: not a byte-level BPE vocabulary (no token for byte 0x%02x)", self->path, b);
          return FALSE;
        }
    }
  g_array_sort (self->added, added_longest_first);
  return TRUE;
}

static gboolean
set_regex (AssayLmTokenizer *self, const char *pattern, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (self->split != NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: more than one splitting pre-tokenizer", self->path);
      return FALSE;
    }
  self->split = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &local);
  if (self->split == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: pre-tokenizer regex: %s",
                   self->path, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_pre_tokenizer (AssayLmTokenizer *self, JsonObject *pt, GError **error)
{
  const char *type = assay_json_get_string (pt, "type", "");

  if (g_str_equal (type, "Sequence"))
    {
      JsonArray *list = json_object_has_member (pt, "pretokenizers")
                            && JSON_NODE_HOLDS_ARRAY (json_object_get_member (pt, "pretokenizers"))
                          ? json_object_get_array_member (pt, "pretokenizers") : NULL;
      for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
        {
          JsonNode *n = json_array_get_element (list, i);
          if (!JSON_NODE_HOLDS_OBJECT (n) || !parse_pre_tokenizer (self, json_node_get_object (n), error))
            return FALSE;
        }
      return TRUE;
    }
  if (g_str_equal (type, "ByteLevel"))
    {
      if (assay_json_get_bool (pt, "add_prefix_space", FALSE))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       "%s: ByteLevel add_prefix_space is not supported", self->path);
          return FALSE;
        }
      return !assay_json_get_bool (pt, "use_regex", TRUE) || set_regex (self, GPT2_PATTERN, error);
    }
  if (g_str_equal (type, "Split"))
    {
      JsonObject *pattern = json_object_has_member (pt, "pattern")
                                && JSON_NODE_HOLDS_OBJECT (json_object_get_member (pt, "pattern"))
                              ? json_object_get_object_member (pt, "pattern") : NULL;
      const char *behavior = assay_json_get_string (pt, "behavior", "");
      const char *regex = pattern ? assay_json_get_string (pattern, "Regex", NULL) : NULL;
      g_autofree char *escaped = NULL;

      if (regex == NULL && pattern != NULL && assay_json_get_string (pattern, "String", NULL) != NULL)
        regex = escaped = g_regex_escape_string (assay_json_get_string (pattern, "String", NULL), -1);
      if (regex == NULL || !g_str_equal (behavior, "Isolated") || assay_json_get_bool (pt, "invert", FALSE))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                       "%s: only Split pre-tokenizers with a pattern, behavior Isolated and no "
                       "invert are supported", self->path);
          return FALSE;
        }
      return set_regex (self, regex, error);
    }
  if (g_str_equal (type, "Digits") || g_str_equal (type, "Punctuation"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: pre-tokenizer “%s” is not supported", self->path, type);
      return FALSE;
    }
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: pre-tokenizer “%s” is not supported",
               self->path, type);
  return FALSE;
}

static gboolean
parse_normalizer (AssayLmTokenizer *self, JsonNode *node, GError **error)
{
  JsonObject *n;
  const char *type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto unsupported;
  n = json_node_get_object (node);
  type = assay_json_get_string (n, "type", "");
  if (g_str_equal (type, "NFC"))
    {
      self->nfc = TRUE;
      return TRUE;
    }
  if (g_str_equal (type, "Sequence") && json_object_has_member (n, "normalizers")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (n, "normalizers")))
    {
      JsonArray *list = json_object_get_array_member (n, "normalizers");
      for (guint i = 0; i < json_array_get_length (list); i++)
        if (!parse_normalizer (self, json_array_get_element (list, i), error))
          return FALSE;
      return TRUE;
    }
unsupported:
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
               "%s: normalizer %s is not supported (none or NFC are)", self->path,
               node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                 ? assay_json_get_string (json_node_get_object (node), "type", "?") : "?");
  return FALSE;
}

/* The id of a special token given as [content, id] (BertProcessing / RobertaProcessing). */
static int
processor_token (AssayLmTokenizer *self, JsonObject *pp, const char *member)
{
  JsonNode *n = json_object_get_member (pp, member);
  JsonArray *pair;

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (pair = json_node_get_array (n)) < 1)
    return -1;
  n = json_array_get_element (pair, 0);
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? lookup (self, json_node_get_string (n)) : -1;
}

/* The special token of a TemplateProcessing piece, or -1 for a sequence ($A). */
static int
template_token (AssayLmTokenizer *self, JsonNode *piece)
{
  JsonNode *st;

  if (piece == NULL || !JSON_NODE_HOLDS_OBJECT (piece)
      || (st = json_object_get_member (json_node_get_object (piece), "SpecialToken")) == NULL
      || !JSON_NODE_HOLDS_OBJECT (st))
    return -1;
  return lookup (self, assay_json_get_string (json_node_get_object (st), "id", ""));
}

/* The special tokens put around a single sequence: Llama 3's TemplateProcessing with one before
 * it, BERT's [CLS] $A [SEP] and RoBERTa's <s> $A </s>. */
static void
parse_post_processor (AssayLmTokenizer *self, JsonNode *node)
{
  JsonObject *pp;
  const char *type;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  pp = json_node_get_object (node);
  type = assay_json_get_string (pp, "type", "");
  if (g_str_equal (type, "Sequence") && json_object_has_member (pp, "processors")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (pp, "processors")))
    {
      JsonArray *list = json_object_get_array_member (pp, "processors");
      for (guint i = 0; i < json_array_get_length (list); i++)
        parse_post_processor (self, json_array_get_element (list, i));
      return;
    }
  if (g_str_equal (type, "TemplateProcessing") && json_object_has_member (pp, "single")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (pp, "single")))
    {
      JsonArray *single = json_object_get_array_member (pp, "single");
      guint      n = json_array_get_length (single);
      if (n > 0)
        self->bos = template_token (self, json_array_get_element (single, 0));
      if (n > 1)
        self->eos = template_token (self, json_array_get_element (single, n - 1));
    }
  if (g_str_equal (type, "BertProcessing") || g_str_equal (type, "RobertaProcessing"))
    {
      self->bos = processor_token (self, pp, "cls");
      self->eos = processor_token (self, pp, "sep");
    }
}

static gboolean merge_of (AssayLmTokenizer *self, int left, int right, guint64 *value);

/* A normaliser (or one of a Sequence's) of this type, or NULL. */
static JsonObject *
find_normalizer (JsonNode *node, const char *type)
{
  JsonObject *n;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  n = json_node_get_object (node);
  if (g_str_equal (assay_json_get_string (n, "type", ""), type))
    return n;
  if (json_object_has_member (n, "normalizers") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (n, "normalizers")))
    {
      JsonArray *list = json_object_get_array_member (n, "normalizers");
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *hit = find_normalizer (json_array_get_element (list, i), type);
          if (hit != NULL)
            return hit;
        }
    }
  return NULL;
}

static gboolean
spm_merge_rank (gpointer data, int left, int right, guint *rank)
{
  AssayLmTokenizer *self = data;
  guint64           value;

  if (!merge_of (self, left, right, &value))
    return FALSE;
  *rank = (guint) (value >> 32);
  return TRUE;
}

/* BERT (model WordPiece, normalizer BertNormalizer, pre-tokenizer BertPreTokenizer). */
static AssayLmTokenizer *
finish_wordpiece (AssayLmTokenizer *self_in, JsonObject *root, JsonObject *model, GError **error)
{
  g_autoptr (AssayLmTokenizer) self = self_in;
  JsonObject *bert = find_normalizer (json_object_get_member (root, "normalizer"), "BertNormalizer");
  JsonNode   *pre = json_object_get_member (root, "pre_tokenizer");
  const char *unk = assay_json_get_string (model, "unk_token", "[UNK]");

  if (pre != NULL && JSON_NODE_HOLDS_OBJECT (pre)
      && !g_str_equal (assay_json_get_string (json_node_get_object (pre), "type", ""), "BertPreTokenizer"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: a WordPiece model with pre-tokenizer %s (BertPreTokenizer is supported)", self->path,
                   assay_json_get_string (json_node_get_object (pre), "type", "?"));
      return NULL;
    }
  self->continuation = g_strdup (assay_json_get_string (model, "continuing_subword_prefix", "##"));
  self->wp.vocab = self->vocab;
  self->wp.continuation = self->continuation;
  self->wp.word_prefix = "";
  self->wp.max_chars = (int) assay_json_get_int (model, "max_input_chars_per_word", 100);
  if ((self->wp.unk = lookup (self, unk)) < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the unknown token “%s” is not in the vocabulary",
                   self->path, unk);
      return NULL;
    }
  if (bert != NULL)
    {
      JsonNode *strip = json_object_get_member (bert, "strip_accents");
      self->wp.clean = assay_json_get_bool (bert, "clean_text", TRUE);
      self->wp.chinese = assay_json_get_bool (bert, "handle_chinese_chars", TRUE);
      self->wp.lowercase = assay_json_get_bool (bert, "lowercase", TRUE);
      /* null: as lowercase says */
      self->wp.strip_accents = strip == NULL || JSON_NODE_HOLDS_NULL (strip) ? self->wp.lowercase
                                                                            : assay_json_get_bool (bert, "strip_accents", FALSE);
    }
  if (!finish (self, error))
    return NULL;
  parse_post_processor (self, json_object_get_member (root, "post_processor"));
  return g_steal_pointer (&self);
}

/* SentencePiece BPE with byte fallback (Llama 2, Gemma): merges by rank over characters, the
 * text's spaces as "▁" and, when the normaliser prepends one, a "▁" before it. */
static AssayLmTokenizer *
finish_spm (AssayLmTokenizer *self_in, JsonObject *root, JsonObject *model, GError **error)
{
  g_autoptr (AssayLmTokenizer) self = self_in;
  JsonNode   *normalizer = json_object_get_member (root, "normalizer");
  JsonObject *prepend = find_normalizer (normalizer, "Prepend");
  JsonNode   *pre = json_object_get_member (root, "pre_tokenizer");

  if (pre != NULL && !JSON_NODE_HOLDS_NULL (pre))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: a byte-fallback BPE model with a pre-tokenizer (%s) is not supported", self->path,
                   JSON_NODE_HOLDS_OBJECT (pre) ? assay_json_get_string (json_node_get_object (pre), "type", "?") : "?");
      return NULL;
    }
  self->spm.vocab = self->vocab;
  self->spm.merge_rank = spm_merge_rank;
  self->spm.merge_data = self;
  self->spm.unk = lookup (self, assay_json_get_string (model, "unk_token", "<unk>"));
  self->spm.add_prefix = prepend != NULL && g_str_equal (assay_json_get_string (prepend, "prepend", ""), "\xe2\x96\x81");
  for (int b = 0; b < 256; b++)
    {
      char name[8];
      g_snprintf (name, sizeof name, "<0x%02X>", b);
      self->spm.byte_id[b] = lookup (self, name);
      /* a character no piece holds needs its bytes, or the unknown token */
      if (self->spm.byte_id[b] < 0 && self->spm.unk < 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: byte token %s is missing and the unknown token “%s” is not in the vocabulary",
                       self->path, name, assay_json_get_string (model, "unk_token", "<unk>"));
          return NULL;
        }
    }
  if (!finish (self, error))
    return NULL;
  parse_post_processor (self, json_object_get_member (root, "post_processor"));
  return g_steal_pointer (&self);
}

/* Unigram (XLM-R, T5): model.vocab is a list of [piece, score], ids by position. */
static gboolean
read_unigram_vocab (AssayLmTokenizer *self, JsonObject *model, GError **error)
{
  JsonNode  *node = json_object_get_member (model, "vocab");
  JsonArray *list;
  guint      n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || (n = json_array_get_length (list = json_node_get_array (node))) == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: model.vocab of a Unigram model is not a list of [piece, score]", self->path);
      return FALSE;
    }
  self->unigram_scores = g_new (double, n);
  self->n_unigram = n;
  for (guint i = 0; i < n; i++)
    {
      JsonNode  *e = json_array_get_element (list, i), *piece, *score;
      JsonArray *pair;

      if (!JSON_NODE_HOLDS_ARRAY (e) || json_array_get_length (pair = json_node_get_array (e)) != 2
          || !JSON_NODE_HOLDS_VALUE (piece = json_array_get_element (pair, 0))
          || json_node_get_value_type (piece) != G_TYPE_STRING
          || !JSON_NODE_HOLDS_VALUE (score = json_array_get_element (pair, 1))
          || (json_node_get_value_type (score) != G_TYPE_DOUBLE && json_node_get_value_type (score) != G_TYPE_INT64))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: model.vocab[%u] is not [piece, score]", self->path, i);
          return FALSE;
        }
      self->unigram_scores[i] = json_node_get_double (score);
      if (*json_node_get_string (piece) == '\0')
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: model.vocab[%u] is an empty piece",
                       self->path, i);
          return FALSE;
        }
      if (!set_token (self, json_node_get_string (piece), i, error))
        return FALSE;
    }
  return TRUE;
}

static AssayLmTokenizer *
finish_unigram (AssayLmTokenizer *self_in, JsonObject *root, JsonObject *model, GError **error)
{
  g_autoptr (AssayLmTokenizer) self = self_in;
  JsonNode *unk = json_object_get_member (model, "unk_id");
  gint64    unk_id;

  if (unk == NULL || !JSON_NODE_HOLDS_VALUE (unk) || json_node_get_value_type (unk) != G_TYPE_INT64
      || (unk_id = json_node_get_int (unk)) < 0 || unk_id >= self->n_unigram)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: model.unk_id must be the id of the unknown piece (0 to %u)", self->path,
                   self->n_unigram - 1);
      return NULL;
    }
  self->pipeline = assay_text_pipeline_new (json_object_get_member (root, "normalizer"),
                                            json_object_get_member (root, "pre_tokenizer"), self->path, error);
  if (self->pipeline == NULL)
    return NULL;
  /* (added tokens past the vocabulary are no pieces of the model) */
  self->unigram = assay_unigram_new ((const char *const *) self->tokens->pdata, self->unigram_scores,
                                     MIN (self->n_unigram, self->tokens->len), self->vocab, (int) unk_id,
                                     assay_json_get_bool (model, "byte_fallback", FALSE));
  if (!finish (self, error))
    return NULL;
  parse_post_processor (self, json_object_get_member (root, "post_processor"));
  return g_steal_pointer (&self);
}

static AssayLmTokenizer *
load_tokenizer_json (const char *path, GError **error)
{
  g_autoptr (AssayLmTokenizer) self = tokenizer_new (path);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonObject    *root, *model;
  JsonNode      *node;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *value;
  JsonArray     *merges;

  if (!assay_json_parser_load_file (parser, path, &local))
    {
      g_set_error (error, ASSAY_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? ASSAY_ERROR_NOT_FOUND
                                                                           : ASSAY_ERROR_INVALID_INPUT,
                   "%s: %s", path, local->message);
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: not a JSON object", path);
      return NULL;
    }
  root = json_node_get_object (node);
  node = json_object_get_member (root, "model");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: no “model” object", path);
      return NULL;
    }
  model = json_node_get_object (node);
  if (g_str_equal (assay_json_get_string (model, "type", "BPE"), "WordPiece"))
    self->kind = KIND_WORDPIECE;
  else if (g_str_equal (assay_json_get_string (model, "type", "BPE"), "Unigram"))
    self->kind = KIND_UNIGRAM;
  else if (g_str_equal (assay_json_get_string (model, "type", "BPE"), "BPE")
           && assay_json_get_bool (model, "byte_fallback", FALSE))
    self->kind = KIND_SPM;
  else if (!g_str_equal (assay_json_get_string (model, "type", "BPE"), "BPE"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: model type %s is not supported (BPE, WordPiece and Unigram are)", path,
                   assay_json_get_string (model, "type", "?"));
      return NULL;
    }
  if (self->kind != KIND_WORDPIECE && self->kind != KIND_UNIGRAM
      && (*assay_json_get_string (model, "continuing_subword_prefix", "") != '\0'
          || *assay_json_get_string (model, "end_of_word_suffix", "") != '\0'))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: subword prefixes and suffixes are not supported", path);
      return NULL;
    }
  self->ignore_merges = assay_json_get_bool (model, "ignore_merges", FALSE);
  node = json_object_get_member (model, "vocab");
  if (self->kind == KIND_UNIGRAM)
    {
      if (!read_unigram_vocab (self, model, error))
        return NULL;
    }
  else if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: model.vocab is not an object", path);
      return NULL;
    }
  else
    {
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &value))
        {
          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64)
            {
              g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                           "%s: model.vocab “%s” is not an integer id", path, name);
              return NULL;
            }
          if (!set_token (self, name, json_node_get_int (value), error))
            return NULL;
        }
    }
  node = json_object_get_member (root, "added_tokens");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *list = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode   *e = json_array_get_element (list, i);
          JsonObject *o;
          Added       a;
          if (!JSON_NODE_HOLDS_OBJECT (e))
            continue;
          o = json_node_get_object (e);
          a.content = g_strdup (assay_json_get_string (o, "content", ""));
          a.len = strlen (a.content);
          a.id = (int) assay_json_get_int (o, "id", -1);
          a.lstrip = assay_json_get_bool (o, "lstrip", FALSE);
          a.rstrip = assay_json_get_bool (o, "rstrip", FALSE);
          if (a.len == 0 || !set_token (self, a.content, a.id, error))
            {
              g_free (a.content);
              if (a.len == 0)
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                             "%s: added_tokens[%u] has no content", path, i);
              return NULL;
            }
          g_array_append_val (self->added, a);
        }
    }
  if (self->kind == KIND_WORDPIECE)
    return finish_wordpiece (g_steal_pointer (&self), root, model, error);
  if (self->kind == KIND_UNIGRAM)
    return finish_unigram (g_steal_pointer (&self), root, model, error);
  node = json_object_get_member (model, "merges");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: model.merges is not a list", path);
      return NULL;
    }
  merges = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (merges); i++)
    {
      JsonNode        *m = json_array_get_element (merges, i);
      g_autofree char *left = NULL;
      const char      *right = NULL;

      if (JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (m);
          const char *sp = strchr (s + (*s == ' ' ? 1 : 0), ' ');
          if (sp != NULL)
            {
              left = g_strndup (s, sp - s);
              right = sp + 1;
            }
        }
      else if (JSON_NODE_HOLDS_ARRAY (m) && json_array_get_length (json_node_get_array (m)) == 2)
        {
          JsonArray *pair = json_node_get_array (m);
          JsonNode  *l = json_array_get_element (pair, 0), *r = json_array_get_element (pair, 1);
          if (JSON_NODE_HOLDS_VALUE (l) && json_node_get_value_type (l) == G_TYPE_STRING
              && JSON_NODE_HOLDS_VALUE (r) && json_node_get_value_type (r) == G_TYPE_STRING)
            {
              left = g_strdup (json_node_get_string (l));
              right = json_node_get_string (r);
            }
        }
      if (left == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: model.merges[%u] is neither \"a b\" nor [a, b]", path, i);
          return NULL;
        }
      if (!add_merge (self, left, right, i))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: model.merges[%u] “%s %s” uses a token not in the vocabulary", path, i,
                       left, right);
          return NULL;
        }
    }
  if (self->kind == KIND_SPM)
    return finish_spm (g_steal_pointer (&self), root, model, error);
  if (!parse_normalizer (self, json_object_get_member (root, "normalizer"), error))
    return NULL;
  node = json_object_get_member (root, "pre_tokenizer");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node)
      && !parse_pre_tokenizer (self, json_node_get_object (node), error))
    return NULL;
  if (!finish (self, error))
    return NULL;
  parse_post_processor (self, json_object_get_member (root, "post_processor"));
  return g_steal_pointer (&self);
}

static AssayLmTokenizer *
load_gpt2_files (const char *dir, GError **error)
{
  g_autofree char *encoder = g_build_filename (dir, "encoder.json", NULL);
  g_autofree char *vocab_bpe = g_build_filename (dir, "vocab.bpe", NULL);
  g_autoptr (AssayLmTokenizer) self = tokenizer_new (encoder);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *value;
  guint          rank = 0;

  if (!assay_json_parser_load_file (parser, encoder, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", encoder,
                   local ? local->message : "not a JSON object");
      return NULL;
    }
  json_object_iter_init (&iter, json_node_get_object (json_parser_get_root (parser)));
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: “%s” is not an integer id",
                       encoder, name);
          return NULL;
        }
      if (!set_token (self, name, json_node_get_int (value), error))
        return NULL;
    }
  if (!g_file_get_contents (vocab_bpe, &text, NULL, &local))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s", local->message);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *sp;
      if (lines[i][0] == '\0' || (i == 0 && g_str_has_prefix (lines[i], "#version")))
        continue;
      g_strchomp (lines[i]);
      sp = strchr (lines[i], ' ');
      if (sp == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: not a merge “a b”",
                       vocab_bpe, i + 1);
          return NULL;
        }
      *sp = '\0';
      if (!add_merge (self, lines[i], sp + 1, rank++))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: merge uses a token not in encoder.json", vocab_bpe, i + 1);
          return NULL;
        }
    }
  if (!set_regex (self, GPT2_PATTERN, error))
    return NULL;
  {
    int eot = lookup (self, "<|endoftext|>");
    if (eot >= 0)
      {
        Added a = { g_strdup ("<|endoftext|>"), strlen ("<|endoftext|>"), eot, FALSE, FALSE };
        g_array_append_val (self->added, a);
      }
  }
  if (!finish (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* llama.cpp's token types (tokenizer.ggml.token_type) */
#define GGUF_TOKEN_CONTROL      3
#define GGUF_TOKEN_USER_DEFINED 4

static AssayLmTokenizer *
load_gguf (const char *path, GError **error)
{
  g_autoptr (AssayLmTokenizer) self = tokenizer_new (path);
  g_autoptr (AssayGguf) gguf = assay_gguf_open (path, error);
  const char         *model;
  const char *const  *tokens;
  const gint64       *types;
  guint               n, n_types = 0;

  if (gguf == NULL)
    return NULL;
  model = assay_gguf_get_string (gguf, "tokenizer.ggml.model");
  tokens = assay_gguf_get_strings (gguf, "tokenizer.ggml.tokens", &n);
  if (model == NULL || tokens == NULL || n == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: no tokenizer in it (tokenizer.ggml.model and tokenizer.ggml.tokens)", path);
      return NULL;
    }
  if (!g_str_equal (model, "bert") && !g_str_equal (model, "llama"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: tokenizer model “%.64s” (this version reads bert and llama from GGUF files)", path, model);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    if (!set_token (self, tokens[i], i, error))
      return NULL;
  types = assay_gguf_get_ints (gguf, "tokenizer.ggml.token_type", &n_types);
  for (guint i = 0; types != NULL && i < MIN (n, n_types); i++)
    if (types[i] == GGUF_TOKEN_CONTROL || types[i] == GGUF_TOKEN_USER_DEFINED)
      {
        Added a = { g_strdup (tokens[i]), strlen (tokens[i]), (int) i, FALSE, FALSE };
        if (a.len == 0)
          g_free (a.content);
        else
          g_array_append_val (self->added, a);
      }
  if (g_str_equal (model, "bert"))
    {
      /* llama.cpp writes a word's first piece with "▁" before it and the others bare */
      self->kind = KIND_WORDPIECE;
      self->wp.vocab = self->vocab;
      self->wp.unk = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.unknown_token_id", lookup (self, "[UNK]"));
      self->wp.continuation = "";
      self->wp.word_prefix = "\xe2\x96\x81";
      self->wp.max_chars = 100;
      self->wp.clean = self->wp.chinese = self->wp.strip_accents = self->wp.lowercase = TRUE;
      /* [CLS] text [SEP] */
      self->bos = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.cls_token_id", lookup (self, "[CLS]"));
      self->eos = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.seperator_token_id", lookup (self, "[SEP]"));
    }
  else
    {
      const float *scores;
      guint        n_scores;

      self->kind = KIND_SPM;
      scores = assay_gguf_get_floats (gguf, "tokenizer.ggml.scores", &n_scores);
      if (scores == NULL || n_scores != n)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: tokenizer.ggml.scores has %u scores for %u tokens", path, n_scores, n);
          return NULL;
        }
      self->scores = g_memdup2 (scores, n * sizeof (float));
      self->spm.vocab = self->vocab;
      self->spm.scores = self->scores;
      self->spm.n_scores = n;
      self->spm.unk = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.unknown_token_id", 0);
      self->spm.add_prefix = assay_gguf_get_bool (gguf, "tokenizer.ggml.add_space_prefix", TRUE);
      for (int b = 0; b < 256; b++)
        {
          char name[8];
          g_snprintf (name, sizeof name, "<0x%02X>", b);
          self->spm.byte_id[b] = lookup (self, name);
        }
      if (assay_gguf_get_bool (gguf, "tokenizer.ggml.add_bos_token", TRUE))
        self->bos = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.bos_token_id", -1);
      if (assay_gguf_get_bool (gguf, "tokenizer.ggml.add_eos_token", FALSE))
        self->eos = (int) assay_gguf_get_int (gguf, "tokenizer.ggml.eos_token_id", -1);
    }
  {
    /* the unknown token (needed) and those put around a text (when used) must be tokens of the file */
    struct { const char *field; int id; } ids[] = {
      { "tokenizer.ggml.unknown_token_id", self->kind == KIND_WORDPIECE ? self->wp.unk : self->spm.unk },
      { self->kind == KIND_WORDPIECE ? "tokenizer.ggml.cls_token_id" : "tokenizer.ggml.bos_token_id", self->bos },
      { self->kind == KIND_WORDPIECE ? "tokenizer.ggml.seperator_token_id" : "tokenizer.ggml.eos_token_id", self->eos },
    };
    for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
      if ((i == 0 || ids[i].id != -1) && (ids[i].id < 0 || (guint) ids[i].id >= n))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: %s %" G_GINT64_FORMAT " is not a token id (0 to %u)", path, ids[i].field,
                       assay_gguf_get_int (gguf, ids[i].field, ids[i].id), n - 1);
          return NULL;
        }
  }
  if (!finish (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

AssayLmTokenizer *
assay_lm_tokenizer_load (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *json = g_build_filename (path, "tokenizer.json", NULL);
      g_autofree char *encoder = g_build_filename (path, "encoder.json", NULL);
      if (g_file_test (json, G_FILE_TEST_EXISTS))
        return load_tokenizer_json (json, error);
      if (g_file_test (encoder, G_FILE_TEST_EXISTS))
        return load_gpt2_files (path, error);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   "%s: neither tokenizer.json nor encoder.json + vocab.bpe", path);
      return NULL;
    }
  if (g_str_has_suffix (path, ".gguf"))
    return load_gguf (path, error);
  return load_tokenizer_json (path, error);
}

/* A candidate merge: the merges table's value (rank << 32 | merged id) and the position of its
 * left symbol. Ordered by rank, then position: the lowest rank first, leftmost among equals. */
typedef struct
{
  guint64 value;
  guint   pos;
} Candidate;

static inline gboolean
candidate_less (const Candidate *a, const Candidate *b)
{
  return a->value < b->value || (a->value == b->value && a->pos < b->pos);
}

static void
heap_push (GArray *heap, guint64 value, guint pos)
{
  Candidate *h;
  guint      i;

  g_array_set_size (heap, heap->len + 1);
  h = (Candidate *) heap->data;
  i = heap->len - 1;
  h[i] = (Candidate) { value, pos };
  while (i > 0 && candidate_less (&h[i], &h[(i - 1) / 2]))
    {
      Candidate t = h[i];
      h[i] = h[(i - 1) / 2];
      h[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
}

static Candidate
heap_pop (GArray *heap)
{
  Candidate *h = (Candidate *) heap->data;
  Candidate  top = h[0];
  guint      n = heap->len - 1, i = 0;

  h[0] = h[n];
  g_array_set_size (heap, n);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && candidate_less (&h[l], &h[m]))
        m = l;
      if (r < n && candidate_less (&h[r], &h[m]))
        m = r;
      if (m == i)
        break;
      Candidate t = h[i];
      h[i] = h[m];
      h[m] = t;
      i = m;
    }
  return top;
}

static gboolean
merge_of (AssayLmTokenizer *self, int left, int right, guint64 *value)
{
  gint64   k = ((gint64) left << 32) | (guint32) right;
  gpointer v;

  if (!g_hash_table_lookup_extended (self->merges, &k, NULL, &v))
    return FALSE;
  *value = (guint64) GPOINTER_TO_SIZE (v);
  return TRUE;
}

/* Byte-level BPE of one word, appended to sym: start from the bytes' symbols and apply the
 * merge of lowest rank (leftmost first) until none applies, as the Hugging Face tokenizers do:
 * the symbols form a linked list and the candidate merges a heap, so a word of n bytes takes
 * O(n log n) instead of the O(n^2) of rescanning the word after each merge. A candidate whose
 * symbols have changed since it was pushed is skipped when it comes up. */
static void
merge_word (AssayLmTokenizer *self, const char *piece, gsize len, GArray *sym)
{
  g_autofree int   *id = g_new (int, len);
  g_autofree guint *prev = g_new (guint, len);
  g_autofree guint *next = g_new (guint, len);
  g_autoptr (GArray) heap = g_array_sized_new (FALSE, FALSE, sizeof (Candidate), (guint) len);
  const guint none = G_MAXUINT;
  guint64     value;

  for (gsize i = 0; i < len; i++)
    {
      id[i] = self->byte_id[(guint8) piece[i]];
      prev[i] = i == 0 ? none : (guint) i - 1;
      next[i] = i + 1 == len ? none : (guint) i + 1;
    }
  for (gsize i = 0; i + 1 < len; i++)
    if (merge_of (self, id[i], id[i + 1], &value))
      heap_push (heap, value, (guint) i);
  while (heap->len > 0)
    {
      Candidate c = heap_pop (heap);
      guint     at = c.pos, right = next[at];

      /* stale: the left symbol was merged into its neighbour (id -1), or either symbol changed */
      if (id[at] < 0 || right == none || !merge_of (self, id[at], id[right], &value)
          || value != c.value)
        continue;
      id[at] = (int) (guint32) value;
      id[right] = -1;
      next[at] = next[right];
      if (next[at] != none)
        prev[next[at]] = at;
      if (prev[at] != none && merge_of (self, id[prev[at]], id[at], &value))
        heap_push (heap, value, prev[at]);
      if (next[at] != none && merge_of (self, id[at], id[next[at]], &value))
        heap_push (heap, value, at);
    }
  for (guint i = 0; i != none && i < len; i = next[i])
    g_array_append_val (sym, id[i]);
}

/* Words longer than this are merged in pieces of at most this many bytes, cut at character
 * boundaries: it bounds the memory a pathological line (a 100 MB run of one letter, a base64
 * blob) takes. Ids can then differ from an uncut merge only at the cuts; no real word is so long. */
#define MAX_WORD_BYTES (64 * 1024)

static void
merge_all (AssayLmTokenizer *self, const char *piece, gsize len, GArray *sym)
{
  while (len > MAX_WORD_BYTES)
    {
      gsize cut = MAX_WORD_BYTES;

      while (cut > MAX_WORD_BYTES - 4 && ((guint8) piece[cut] & 0xC0) == 0x80)
        cut--;
      merge_word (self, piece, cut, sym);
      piece += cut;
      len -= cut;
    }
  if (len > 0)
    merge_word (self, piece, len, sym);
}

/* BPE of one piece (bytes), appended to ids. */
static void
bpe_piece (AssayLmTokenizer *self, const char *piece, gsize len, GArray *ids)
{
  g_autofree char *key = g_strndup (piece, len);
  GArray          *cached;
  GArray          *sym;

  g_mutex_lock (&self->lock);
  cached = g_hash_table_lookup (self->cache, key);
  if (cached != NULL)
    {
      g_array_append_vals (ids, cached->data, cached->len);
      g_mutex_unlock (&self->lock);
      return;
    }
  g_mutex_unlock (&self->lock);

  sym = g_array_sized_new (FALSE, FALSE, sizeof (int), (guint) len);
  if (self->ignore_merges)
    {
      GString *word = g_string_new (NULL);
      int      id;
      for (gsize i = 0; i < len; i++)
        g_string_append_unichar (word, self->byte_char[(guint8) piece[i]]);
      id = lookup (self, word->str);
      g_string_free (word, TRUE);
      if (id >= 0)
        g_array_append_val (sym, id);
    }
  if (sym->len == 0)
    merge_all (self, piece, len, sym);
  g_array_append_vals (ids, sym->data, sym->len);
  g_mutex_lock (&self->lock);
  if (len <= 256 && g_hash_table_size (self->cache) < 200000)
    g_hash_table_replace (self->cache, g_steal_pointer (&key), sym);
  else
    g_array_unref (sym);
  g_mutex_unlock (&self->lock);
}

static void
add_offsets (AssayLmTokenizer *self, GArray *ids, guint from, gsize start, GArray *offsets)
{
  gsize pos = start;

  for (guint i = from; i < ids->len; i++)
    {
      GBytes *b = self->bytes->pdata[g_array_index (ids, int, i)];
      guint   range[2] = { (guint) pos, (guint) (pos + g_bytes_get_size (b)) };
      g_array_append_vals (offsets, range, 2);
      pos = range[1];
    }
}

/* A stretch of text between added tokens with a Unigram model: normalise, pre-tokenize, and
 * segment each pre-token (one over MAX_WORD_BYTES in parts, cut at characters). */
static void
encode_unigram (AssayLmTokenizer *self, const char *text, gsize len, gsize base, GArray *ids,
                GArray *offsets)
{
  g_autoptr (GPtrArray) pieces = assay_text_pipeline_run (self->pipeline, text, len, base);
  g_autoptr (GArray) spans = offsets != NULL ? g_array_new (FALSE, FALSE, sizeof (guint)) : NULL;

  for (guint i = 0; i < pieces->len; i++)
    {
      const AssayNormalized *piece = pieces->pdata[i];
      const char            *s = piece->text->str;
      gsize                  n = piece->text->len;

      for (gsize at = 0, cut; at < n; at += cut)
        {
          cut = MIN (n - at, MAX_WORD_BYTES);
          while (at + cut < n && cut > MAX_WORD_BYTES - 4 && ((guint8) s[at + cut] & 0xC0) == 0x80)
            cut--;
          if (spans != NULL)
            g_array_set_size (spans, 0);
          assay_unigram_encode (self->unigram, s + at, cut, ids, spans);
          for (guint k = 0; spans != NULL && k + 1 < spans->len; k += 2)
            {
              guint range[2];
              assay_normalized_original (piece, at + g_array_index (spans, guint, k),
                                         at + g_array_index (spans, guint, k + 1), &range[0], &range[1]);
              g_array_append_vals (offsets, range, 2);
            }
        }
    }
}

/* A stretch of text between added tokens: normalise, split, BPE. */
static void
encode_plain (AssayLmTokenizer *self, const char *text, gsize len, gsize base, GArray *ids,
              GArray *offsets)
{
  g_autofree char *norm = NULL;
  const char      *s = text;
  gsize            n = len;
  g_autoptr (GMatchInfo) match = NULL;
  gsize            done = 0;

  if (len == 0)
    return;
  if (self->kind == KIND_WORDPIECE)
    {
      assay_wordpiece_encode (&self->wp, text, len, base, ids, offsets);
      return;
    }
  if (self->kind == KIND_SPM)
    {
      assay_spm_encode (&self->spm, text, len, base, ids, offsets);
      return;
    }
  if (self->kind == KIND_UNIGRAM)
    {
      encode_unigram (self, text, len, base, ids, offsets);
      return;
    }
  if (self->nfc)
    {
      norm = g_utf8_normalize (text, (gssize) len, G_NORMALIZE_NFC);
      if (norm != NULL && (strlen (norm) != len || memcmp (norm, text, len) != 0))
        {
          s = norm;
          n = strlen (norm);
        }
    }
  if (self->split == NULL)
    {
      guint from = ids->len;
      bpe_piece (self, s, n, ids);
      if (offsets)
        add_offsets (self, ids, from, base, offsets);
      return;
    }
  g_regex_match_full (self->split, s, (gssize) n, 0, 0, &match, NULL);
  while (g_match_info_matches (match))
    {
      int start, end;
      g_match_info_fetch_pos (match, 0, &start, &end);
      if ((gsize) start > done)
        {
          guint from = ids->len;
          bpe_piece (self, s + done, (gsize) start - done, ids);
          if (offsets)
            add_offsets (self, ids, from, base + done, offsets);
        }
      if (end > start)
        {
          guint from = ids->len;
          bpe_piece (self, s + start, (gsize) (end - start), ids);
          if (offsets)
            add_offsets (self, ids, from, base + (gsize) start, offsets);
        }
      done = (gsize) end;
      g_match_info_next (match, NULL);
    }
  if (done < n)
    {
      guint from = ids->len;
      bpe_piece (self, s + done, n - done, ids);
      if (offsets)
        add_offsets (self, ids, from, base + done, offsets);
    }
  if (offsets != NULL && s != text)
    {
      /* Normalisation changed the length: clamp the offsets into the original stretch. */
      for (guint i = 0; i < offsets->len; i++)
        {
          guint *o = &g_array_index (offsets, guint, i);
          if (*o > base + len)
            *o = (guint) (base + len);
        }
    }
}

GArray *
assay_lm_tokenizer_encode (AssayLmTokenizer *self, const char *text, GArray **offsets_out,
                           GError **error)
{
  GArray     *ids = g_array_new (FALSE, FALSE, sizeof (int));
  GArray     *offsets = offsets_out ? g_array_new (FALSE, FALSE, sizeof (guint)) : NULL;
  gsize       len = strlen (text), plain = 0, pos = 0;
  const char *bad;

  if (!g_utf8_validate (text, (gssize) len, &bad))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "text is not valid UTF-8 at byte %zu", (gsize) (bad - text));
      g_array_unref (ids);
      if (offsets)
        g_array_unref (offsets);
      return NULL;
    }
  while (pos < len)
    {
      const Added *hit = NULL;
      if (self->added->len > 0)
        for (guint i = 0; i < self->added->len; i++)
          {
            const Added *a = &g_array_index (self->added, Added, i);
            if (a->len <= len - pos && memcmp (text + pos, a->content, a->len) == 0)
              {
                hit = a;
                break;
              }
          }
      if (hit == NULL)
        {
          pos++;
          continue;
        }
      {
        gsize start = pos, end = pos + hit->len;
        /* lstrip / rstrip: the white space beside the token is part of it */
        while (hit->lstrip && start > plain)
          {
            const char *prev = g_utf8_find_prev_char (text + plain, text + start);
            if (prev == NULL || !assay_normalized_is_space (g_utf8_get_char (prev)))
              break;
            start = (gsize) (prev - text);
          }
        while (hit->rstrip && end < len && assay_normalized_is_space (g_utf8_get_char (text + end)))
          end = (gsize) (g_utf8_next_char (text + end) - text);
        encode_plain (self, text + plain, start - plain, plain, ids, offsets);
        g_array_append_val (ids, hit->id);
        if (offsets)
          {
            guint range[2] = { (guint) start, (guint) end };
            g_array_append_vals (offsets, range, 2);
          }
        pos = plain = end;
      }
    }
  encode_plain (self, text + plain, len - plain, plain, ids, offsets);
  if (offsets_out)
    *offsets_out = offsets;
  return ids;
}

const char *
assay_lm_tokenizer_token_bytes (AssayLmTokenizer *self, int id, gsize *len)
{
  GBytes *b;

  if (id < 0 || (guint) id >= self->bytes->len || (b = self->bytes->pdata[id]) == NULL)
    return NULL;
  return g_bytes_get_data (b, len);
}

char *
assay_lm_tokenizer_decode (AssayLmTokenizer *self, const int *ids, guint n)
{
  GString *out = g_string_new (NULL);
  char    *valid;

  for (guint i = 0; i < n; i++)
    {
      gsize       len;
      const char *b = assay_lm_tokenizer_token_bytes (self, ids[i], &len);
      if (b != NULL)
        g_string_append_len (out, b, (gssize) len);
    }
  valid = g_utf8_make_valid (out->str, (gssize) out->len);
  g_string_free (out, TRUE);
  return valid;
}

guint
assay_lm_tokenizer_vocab_size (AssayLmTokenizer *self)
{
  return self->tokens->len;
}

int
assay_lm_tokenizer_token_id (AssayLmTokenizer *self, const char *token)
{
  return lookup (self, token);
}

int
assay_lm_tokenizer_bos_id (AssayLmTokenizer *self)
{
  return self->bos;
}

int
assay_lm_tokenizer_eos_id (AssayLmTokenizer *self)
{
  return self->eos;
}

const char *
assay_lm_tokenizer_path (AssayLmTokenizer *self)
{
  return self->path;
}
