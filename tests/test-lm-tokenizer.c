/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tokenizers: llama.cpp's golden token ids for the real GPT-2 and Qwen2 tokenizers, decode round
 * trips, offsets, merges given as pairs, and bad files. */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-lm-tokenizer.h"
#include "assay-test-util.h"

/* llama.cpp's golden vectors: 46 texts (each followed by a separator line) and a line of ids
 * per text. */
static guint
read_golden (const char *base, GStrv *inputs, GStrv *outputs)
{
  g_autofree char *inp_path = g_strconcat (base, ".inp", NULL), *out_path = g_strconcat (base, ".out", NULL);
  g_autofree char *inp = NULL, *out = NULL;
  guint n;

  g_assert_true (g_file_get_contents (inp_path, &inp, NULL, NULL));
  g_assert_true (g_file_get_contents (out_path, &out, NULL, NULL));
  *inputs = g_strsplit (inp, "\n__ggml_vocab_test__\n", -1);
  *outputs = g_strsplit (out, "\n", -1);
  n = g_strv_length (*inputs);
  /* the file ends with a separator: the last piece is empty */
  if (n > 0 && *(*inputs)[n - 1] == '\0')
    n--;
  g_assert_cmpuint (n, ==, 46);
  g_assert_cmpuint (g_strv_length (*outputs), >=, n);
  return n;
}

/* How a golden case's tokens must relate to its text besides their ids. */
typedef enum
{
  BYTE_LEVEL, /* decoding gives the text back; offsets tile it */
  SENTENCEPIECE, /* decoding gives the text after a space; offsets in order, inside it */
  WORDPIECE,  /* lower-cased and stripped: offsets in order, inside the text */
} GoldenKind;

/* The tokenizer at tok_path against llama.cpp's golden vectors at base (.inp / .out). */
static void
check_golden_at (const char *tok_path, const char *base, GoldenKind kind)
{
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) inputs = NULL, outputs = NULL;
  guint n_inputs;

  tok = assay_lm_tokenizer_load (tok_path, &error);
  g_assert_no_error (error);
  n_inputs = read_golden (base, &inputs, &outputs);
  for (guint i = 0; i < n_inputs; i++)
    {
      g_autoptr (GArray) ids = NULL, offsets = NULL;
      g_autoptr (GString) got = g_string_new (NULL);
      g_autofree char *expect = g_strstrip (g_strdup (outputs[i]));
      g_autofree char *decoded = NULL;
      gsize len = strlen (inputs[i]);
      guint last = 0;

      ids = assay_lm_tokenizer_encode (tok, inputs[i], &offsets, &error);
      g_assert_no_error (error);
      for (guint j = 0; j < ids->len; j++)
        g_string_append_printf (got, j ? " %d" : "%d", g_array_index (ids, int, j));
      if (!g_str_equal (got->str, expect))
        g_error ("%s case %u (%s): got [%s], want [%s]", base, i, inputs[i], got->str, expect);
      g_assert_cmpuint (offsets->len, ==, 2 * ids->len);
      for (guint j = 0; j < ids->len; j++)
        {
          guint b = g_array_index (offsets, guint, 2 * j), e = g_array_index (offsets, guint, 2 * j + 1);
          if (kind == BYTE_LEVEL)
            {
              /* offsets tile the text */
              g_assert_cmpuint (b, ==, j == 0 ? 0 : g_array_index (offsets, guint, 2 * j - 1));
              g_assert_cmpuint (e, >, b);
            }
          g_assert_cmpuint (b, >=, last); /* in text order */
          g_assert_cmpuint (e, >=, b);
          g_assert_cmpuint (e, <=, len);
          last = b;
        }
      if (kind == BYTE_LEVEL && ids->len > 0)
        g_assert_cmpuint (g_array_index (offsets, guint, 2 * ids->len - 1), ==, len);
      decoded = assay_lm_tokenizer_decode (tok, (int *) ids->data, ids->len);
      if (kind == BYTE_LEVEL)
        g_assert_cmpstr (decoded, ==, inputs[i]); /* byte-level BPE loses nothing */
      else if (kind == SENTENCEPIECE && len > 0)
        {
          /* nor does SentencePiece, but for the leading space of its prefix */
          g_autofree char *want = g_strconcat (" ", inputs[i], NULL);
          g_assert_cmpstr (decoded, ==, want);
        }
    }
}

static void
check_golden (const char *tokenizer_rel, const char *golden)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *tok_path = NULL, *base = NULL;

  if (data == NULL)
    return;
  tok_path = g_build_filename (data, "tokenizers", tokenizer_rel, NULL);
  base = g_strdup_printf ("%s/tokenizers/golden/%s", data, golden);
  check_golden_at (tok_path, base, BYTE_LEVEL);
}

/* llama.cpp's GGUF vocabularies (BERT's WordPiece for BGE, Llama 2's SentencePiece) against
 * the ids Hugging Face's tokenizers gave for llama.cpp's test strings. */
static void
check_gguf_golden (const char *name, GoldenKind kind)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *path = NULL;

  if (data == NULL)
    return;
  path = g_build_filename (data, "tokenizers", "gguf", name, NULL);
  check_golden_at (path, path, kind);
}

static void
test_golden_bge (void)
{
  check_gguf_golden ("ggml-vocab-bert-bge.gguf", WORDPIECE);
}

static void
test_golden_llama_spm (void)
{
  check_gguf_golden ("ggml-vocab-llama-spm.gguf", SENTENCEPIECE);
}

/* A GGUF file cut anywhere, or with counts it cannot hold, is refused with the file's name. */
static void
test_bad_gguf (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *path = NULL, *contents = NULL, *bad = assay_test_path ("bad.gguf");
  gsize len;
  const gsize cuts[] = { 0, 3, 4, 23, 24, 40, 100, 1000, 10000, 300000, 0 };

  if (data == NULL)
    return;
  path = g_build_filename (data, "tokenizers", "gguf", "ggml-vocab-bert-bge.gguf", NULL);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (AssayLmTokenizer) tok = NULL;
      gsize cut = i == G_N_ELEMENTS (cuts) - 1 ? len - 1 : cuts[i];
      g_assert_true (g_file_set_contents (bad, contents, (gssize) cut, NULL));
      tok = assay_lm_tokenizer_load (bad, &error);
      g_assert_null (tok);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "bad.gguf"));
    }
  /* a key count, a string length and an array count far beyond the file */
  {
    static const gsize at[] = { 16, 24, 0 };
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *copy = g_memdup2 (contents, len);
        g_autoptr (GError) error = NULL;
        g_autoptr (AssayLmTokenizer) tok = NULL;
        gsize where = at[i];
        if (i == 2)
          {
            /* the count of tokenizer.ggml.tokens: just after its key, type and element type */
            const char *key = "tokenizer.ggml.tokens";
            const char *hit = memmem (copy, len, key, strlen (key));
            g_assert_nonnull (hit);
            where = (gsize) (hit - copy) + strlen (key) + 8;
          }
        memset (copy + where, 0x7f, 8);
        g_assert_true (g_file_set_contents (bad, copy, (gssize) len, NULL));
        tok = assay_lm_tokenizer_load (bad, &error);
        g_assert_null (tok);
        g_assert_nonnull (error);
      }
  }
}

/* The ids (and offsets when asked) of text under the tokenizer.json json. */
static GArray *
encode_offsets (const char *json, const char *text, GArray **offsets)
{
  g_autofree char *path = assay_test_path ("small-tokenizer.json");
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GError) error = NULL;
  GArray *ids;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  tok = assay_lm_tokenizer_load (path, &error);
  g_assert_no_error (error);
  ids = assay_lm_tokenizer_encode (tok, text, offsets, &error);
  g_assert_no_error (error);
  return ids;
}

static GArray *
encode_with (const char *json, const char *text)
{
  return encode_offsets (json, text, NULL);
}

static void
assert_ids (GArray *ids, const int *want, guint n)
{
  g_autoptr (GString) got = g_string_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (got, " %d", g_array_index (ids, int, i));
  if (ids->len != n || memcmp (ids->data, want, n * sizeof (int)) != 0)
    g_error ("got%s", got->str);
}

/* A tokenizer.json WordPiece model, worked by hand: BERT's normaliser with and without lower
 * case, accents, Chinese characters, punctuation, "##" pieces, unknown and too-long words. */
static void
test_wordpiece_json (void)
{
  static const char *vocab =
    "\"[UNK]\": 0, \"hello\": 1, \"world\": 2, \"##s\": 3, \"!\": 4, \"un\": 5, \"##aff\": 6, "
    "\"##able\": 7, \"cafe\": 8, \"\u4e2d\": 9, \"\u6587\": 10, \"Hello\": 11, \"caf\u00e9\": 12, \",\": 13";
  g_autofree char *lower = g_strdup_printf (
    "{\"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, "
    "\"strip_accents\": null, \"lowercase\": true}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, "
    "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\", "
    "\"max_input_chars_per_word\": 8, \"vocab\": {%s}}}", vocab);
  g_autofree char *cased = g_strdup_printf (
    "{\"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, "
    "\"strip_accents\": false, \"lowercase\": false}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, "
    "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\", "
    "\"max_input_chars_per_word\": 100, \"vocab\": {%s}}}", vocab);
  {
    /* lower case, accents stripped, "worlds" = world ##s, "unaffable" = un ##aff ##able, the
     * ideographs words of their own, the control character dropped, "unknowns" unknown, a
     * nine-letter word over the limit of 8 */
    g_autoptr (GArray) ids = encode_with (lower, "Hello, WORLDS!\x01 Café \xe4\xb8\xad\xe6\x96\x87 unaff unknowns helloooo helloooooo");
    const int want[] = { 1, 13, 2, 3, 4, 8, 9, 10, 5, 6, 0, 0, 0 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
  }
  {
    /* cased: "Hello" and "café" as they are, "hello" lower */
    g_autoptr (GArray) ids = encode_with (cased, "Hello café hello");
    const int want[] = { 11, 12, 1 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
  }
}

/* A tokenizer.json BPE model with byte fallback, worked by hand: "▁" before the text and for
 * every space, merges by rank, bytes for what no piece holds. */
static void
test_byte_fallback_json (void)
{
  GString *json = g_string_new ("{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
                                "{\"type\": \"Prepend\", \"prepend\": \"\u2581\"}, "
                                "{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"\u2581\"}]}, "
                                "\"pre_tokenizer\": null, \"model\": {\"type\": \"BPE\", \"byte_fallback\": true, "
                                "\"unk_token\": \"<unk>\", \"vocab\": {\"<unk>\": 0");
  g_autoptr (GArray) ids = NULL;

  for (int b = 0; b < 256; b++)
    g_string_append_printf (json, ", \"<0x%02X>\": %d", b, 1 + b);
  /* pieces 257.. : ▁ a b ab ▁a ▁ab c */
  g_string_append (json, ", \"\u2581\": 257, \"a\": 258, \"b\": 259, \"ab\": 260, \"\u2581a\": 261, "
                         "\"\u2581ab\": 262, \"c\": 263}, \"merges\": [\"a b\", \"\u2581 a\", \"\u2581 ab\"]}}");
  /* "ab c ab": ▁ab (a b first, then ▁ ab), ▁ (no ▁c), c, ▁ab; "é" is two bytes */
  ids = encode_with (json->str, "ab c ab \xc3\xa9");
  {
    const int want[] = { 262, 257, 263, 262, 257, 1 + 0xc3, 1 + 0xa9 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
  }
  g_string_free (json, TRUE);
}

static void
test_golden_gpt2 (void)
{
  check_golden ("gpt2", "ggml-vocab-gpt-2.gguf");
}

static void
test_golden_qwen2 (void)
{
  check_golden ("qwen2_5/tokenizer.json", "ggml-vocab-qwen2.gguf");
}

static void
test_special_tokens (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *path = NULL;
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GError) error = NULL;

  if (data == NULL)
    return;
  path = g_build_filename (data, "tokenizers", "qwen2_5", NULL);
  tok = assay_lm_tokenizer_load (path, &error);
  g_assert_no_error (error);
  ids = assay_lm_tokenizer_encode (tok, "<|im_start|>user\nHi<|im_end|>", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_array_index (ids, int, 0), ==, 151644);
  g_assert_cmpint (g_array_index (ids, int, ids->len - 1), ==, 151645);
  g_assert_cmpint (assay_lm_tokenizer_bos_id (tok), ==, -1);
  g_assert_cmpuint (assay_lm_tokenizer_vocab_size (tok), ==, 151665);
}

/* The byte tokens of GPT-2's bytes_to_unicode as a JSON vocab body, ids 0..255 */
static void
append_byte_vocab (GString *json)
{
  int extra = 0;

  for (int b = 0; b < 256; b++)
    {
      char     buf[8] = { 0 };
      gunichar c = ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
                     ? (gunichar) b : (gunichar) (256 + extra++);
      g_unichar_to_utf8 (c, buf);
      g_string_append_printf (json, "\"%s%s\": %d, ", (c == '"' || c == '\\') ? "\\" : "", buf, b);
    }
}

/* Llama 3's pre-tokenizer (digits in groups of at most three) and an NFC normaliser: the merge
 * "3 4" must not join digits the regex put in different pieces, and a decomposed é is composed
 * before the bytes are taken. */
static void
test_llama3_regex_nfc (void)
{
  const char *regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  GString *json = g_string_new ("{\"normalizer\": {\"type\": \"NFC\"}, \"model\": {\"type\": \"BPE\", \"ignore_merges\": true, \"vocab\": {");
  g_autofree char *path = NULL;
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL, ids2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = g_strescape (regex, NULL);

  append_byte_vocab (json);
  g_string_append (json, "\"34\": 256, \"12\": 257}, \"merges\": [\"3 4\", \"1 2\"]}, ");
  g_string_append_printf (json, "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
                                "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"%s\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
                                "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}}", escaped);
  path = assay_test_write_file ("llama3-tokenizer.json", json->str);
  g_string_free (json, TRUE);
  tok = assay_lm_tokenizer_load (path, &error);
  g_assert_no_error (error);
  /* "123" | "45": 12 merges inside the first piece, 3 and 4 stay apart */
  ids = assay_lm_tokenizer_encode (tok, "12345", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 4);
  g_assert_cmpint (g_array_index (ids, int, 0), ==, 257);
  g_assert_cmpint (g_array_index (ids, int, 1), ==, '3');
  g_assert_cmpint (g_array_index (ids, int, 2), ==, '4');
  /* e + combining acute (3 bytes) becomes é (2 bytes) */
  ids2 = assay_lm_tokenizer_encode (tok, "e\xcc\x81", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids2->len, ==, 2);
  g_assert_cmpint (g_array_index (ids2, int, 0), ==, 0xc3);
}

/* A tiny tokenizer.json: merges as [a, b] pairs, ignore_merges, a Llama-3-style post-processor. */
static void
test_pairs_and_bos (void)
{
  GString *json = g_string_new ("{\"model\": {\"type\": \"BPE\", \"ignore_merges\": false, \"vocab\": {");
  g_autofree char *path = NULL;
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GError) error = NULL;
  int n = 0;

  /* the 256 byte tokens in GPT-2 order of bytes_to_unicode, then "ab", "abc" */
  for (int b = 0; b < 256; b++)
    {
      gunichar c;
      char     buf[8] = { 0 };
      static int extra = 0;
      if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
        c = (gunichar) b;
      else
        c = (gunichar) (256 + extra++);
      g_unichar_to_utf8 (c, buf);
      if (c == '"' || c == '\\')
        g_string_append_printf (json, "\"\\%s\": %d, ", buf, n++);
      else
        g_string_append_printf (json, "\"%s\": %d, ", buf, n++);
    }
  g_string_append_printf (json, "\"ab\": %d, \"abc\": %d, \"<s>\": %d}, \"merges\": [[\"a\", \"b\"], [\"ab\", \"c\"]]},",
                          n, n + 1, n + 2);
  g_string_append (json, "\"added_tokens\": [{\"id\": 258, \"content\": \"<s>\", \"special\": true}],"
                         "\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"use_regex\": true},"
                         "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": "
                         "[{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}]}}");
  path = assay_test_write_file ("tiny-tokenizer.json", json->str);
  g_string_free (json, TRUE);
  tok = assay_lm_tokenizer_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (assay_lm_tokenizer_bos_id (tok), ==, 258);
  ids = assay_lm_tokenizer_encode (tok, "abcab<s>", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpint (g_array_index (ids, int, 0), ==, 257);
  g_assert_cmpint (g_array_index (ids, int, 1), ==, 256);
  g_assert_cmpint (g_array_index (ids, int, 2), ==, 258);
}

/* SentencePiece's character map for the rules Ａ→A, e+◌́→é, ｶﾞ→ガ, ｶ→カ, ﾞ→◌゙ and Ⅰ→I, as spm_train
 * --normalization_rule_tsv compiles them (1 047 bytes). */
static const char *const rule_charsmap =
  "AAQAAACQAQBlPAMAzAACAIEdAAAEAACAhYwCAKAFAAACAACAvIgCAL3IAgC+GAIAoR0AAAAAAIC2DQAACwAAgL4EAgCeBQAA"
  "DwAAgJ4FAAAHAACAFQAAABQAAAAXAAAAFgAAABkAAAAYAAAAGwAAABoAAAAdAAAAHAAAAB8AAAAeAAAAIQAAACAAAAAjAAAA"
  "IgAAACUAAAAkAAAAJwAAACYAAAApAAAAKAAAACsAAAAqAAAALQAAACwAAAAvAAAALgAAADEAAAAwAAAAMwAAADIAAAA1AAAA"
  "NAAAADcAAAA2AAAAOQAAADgAAAA7AAAAOgAAAD0AAAA8AAAAPwAAAD4AAABBAAAAQAAAAEMAAABCAAAARQAAAEQAAABHAAAA"
  "RgAAAEkAAABIAAAASwAAAEoAAABNAAAATAAAAE8AAABOAAAAUQAAAFAAAABTAAAAUgAAAFUAAABUAAAAVwAAAFYAAABZAAAA"
  "WAAAAFsAAABaAAAAXQAAAFwAAABfAAAAXgAAAGEAAABgAAAAYwAAAGIAAABlAAAAZAAAAGcAAABmAAAAaQAAAGgAAABrAAAA"
  "agAAAG0AAABsAAAAbwAAAG4AAABxAAAAcAAAAHMAAAByAAAAdQAAAHQAAAB3AAAAdgAAAHkAAAB4AAAAewAAAHoAAAB9AAAA"
  "fAAAAH8AAAB+AAAAgQAAAIAAAACDAAAAggAAAIUAAACEAAAA4hgAAIYAAACJAAAAiAAAAIsAAADv/AAAjQAAAIwAAACPAAAA"
  "jgAAAJEAAACQAAAAkwAAAJIAAACVAAAAlAAAAJcAAACWAAAAmQAAAJgAAACbAAAAmgAAAJ0AAACcAAAAnwAAAJ4AAAChAAAA"
  "oAAAAKMAAACiAAAApQAAAKQAAACnAAAApgAAAKkAAACoAAAAqwAAAKoAAACtAAAArAAAAK8AAACuAAAAsQAAALAAAACzAAAA"
  "sgAAALUAAAC0AAAAtwAAALYAAAC5AAAAuAAAALsAAAC6AAAAvQAAALwAAAC/AAAAvgAAAMEAAADAAAAAwwAAAMIAAADFAAAA"
  "xAAAAMcAAADGAAAAyQAAAMgAAADLAAAAygAAAM0AAADMAAAAzwAAAM4AAADRAAAA0AAAANMAAADSAAAA1QAAANQAAADXAAAA"
  "1gAAANkAAADYAAAA2wAAANoAAADdAAAA3AAAAN8AAADeAAAA4QAAAO9AAQDjAAAA4gAAAOUAAADkAAAA5wAAAOYAAADpAAAA"
  "6AAAAOsAAADqAAAA7QAAAOwAAADvAAAA7gAAAPEAAADwAAAA8wAAAPIAAAD1AAAA9AAAAPcAAAD2AAAA+QAAAPgAAAD7AAAA"
  "+gAAAP0AAAD8AAAA/wAAAP4AAABBAEkAw6kA44KZAOOCqwDjgqwA";

static char *
unigram_json (const char *vocab, gboolean byte_fallback)
{
  return g_strdup_printf (
    "{\"added_tokens\": [{\"id\": 0, \"content\": \"<unk>\", \"special\": true}, "
    "{\"id\": 1, \"content\": \"<mask>\", \"lstrip\": true, \"special\": true}], "
    "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
    "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%s\"}, "
    "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"}, \"content\": \" \"}]}, "
    "\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"add_prefix_space\": true}, "
    "\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"byte_fallback\": %s, \"vocab\": [%s]}}",
    rule_charsmap, byte_fallback ? "true" : "false", vocab);
}


static void
assert_offsets (GArray *offsets, const guint *want, guint n)
{
  g_autoptr (GString) got = g_string_new (NULL);
  for (guint i = 0; i < offsets->len; i++)
    g_string_append_printf (got, " %u", g_array_index (offsets, guint, i));
  if (offsets->len != n || memcmp (offsets->data, want, n * sizeof (guint)) != 0)
    g_error ("offsets%s", got->str);
}

/* A Unigram tokenizer.json worked by hand: the map read as the Hugging Face tokenizers read it
 * (a grapheme under 6 bytes replaced whole by its shortest key's value, a longer one character
 * by character), Metaspace, the best segmentation and its tie rule, fused unknown pieces, byte
 * fallback, an lstrip token, and offsets in the text as written. */
static void
test_unigram_json (void)
{
  /* 0 <unk>, 1 <mask>, 2 ▁, 3 A, 4 ▁A, 5 x, 6 é, 7 ▁é, 8 カ, 9 ◌゙, 10 ガ, 11 ▁I, 12 a, 13 aa, 14 ▁x,
   * 15 <0x5A> */
  static const char *vocab =
    "[\"<unk>\", 0], [\"<mask>\", 0], [\"\u2581\", -2], [\"A\", -3], [\"\u2581A\", -1], [\"x\", -2], "
    "[\"\u00e9\", -3], [\"\u2581\u00e9\", -1], [\"\u30ab\", -3], [\"\u3099\", -3], [\"\u30ac\", -2], "
    "[\"\u2581I\", -1], [\"a\", -1], [\"aa\", -2], [\"\u2581x\", -1], [\"<0x5A>\", -5]";
  g_autofree char *json = unigram_json (vocab, FALSE);
  g_autofree char *bytes = unigram_json (vocab, TRUE);

  {
    /* "Ａ◌́" (5 bytes) becomes "A" whole (its shortest key is "Ａ"), then x: ▁A x */
    g_autoptr (GArray) offsets = NULL;
    g_autoptr (GArray) ids = encode_offsets (json, "\uff21\u0301x", &offsets);
    const int   want[] = { 4, 5 };
    const guint off[] = { 0, 5, 5, 6 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
    assert_offsets (offsets, off, G_N_ELEMENTS (off));
  }
  {
    /* "ｶﾞ" is 6 bytes: its characters are mapped one by one (カ ◌゙, not ガ) */
    g_autoptr (GArray) offsets = NULL;
    g_autoptr (GArray) ids = encode_offsets (json, "\uff76\uff9e", &offsets);
    const int   want[] = { 2, 8, 9 };
    const guint off[] = { 0, 0, 0, 3, 3, 6 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
    assert_offsets (offsets, off, G_N_ELEMENTS (off));
  }
  {
    /* e◌́ → é, Ⅰ → I, two spaces one; "ZZ" is not covered: one unknown token for both */
    g_autoptr (GArray) offsets = NULL;
    g_autoptr (GArray) ids = encode_offsets (json, "e\u0301  \u2160 ZZ", &offsets);
    const int   want[] = { 7, 11, 2, 0 };
    const guint off[] = { 0, 3, 3, 8, 8, 9, 9, 11 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
    assert_offsets (offsets, off, G_N_ELEMENTS (off));
  }
  {
    /* ties: "aaa" is a+aa, aa+a or a+a+a, all -3; the first found (a then aa) stays */
    g_autoptr (GArray) ids = encode_offsets (json, "aaa", NULL);
    const int want[] = { 2, 12, 13 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
  }
  {
    /* <mask> takes the space before it; with byte fallback Z is <0x5A>, Q (no byte piece) <unk>,
     * and so is "ZQ" (a fused run falls back to bytes only when all of them have a piece) */
    g_autoptr (GArray) offsets = NULL;
    g_autoptr (GArray) ids = encode_offsets (bytes, "x <mask>Z Q ZQ", &offsets);
    const int   want[] = { 14, 1, 2, 15, 2, 0, 2, 0 };
    const guint off[] = { 0, 1, 1, 8, 8, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 14 };
    assert_ids (ids, want, G_N_ELEMENTS (want));
    assert_offsets (offsets, off, G_N_ELEMENTS (off));
  }
}

/* The best score of any segmentation of word[0, n) into pieces (brute force over all of them),
 * or -inf when there is none. */
static double
best_segmentation (const char *word, guint n, char **pieces, const double *scores, guint n_pieces)
{
  double best = n == 0 ? 0 : -INFINITY;

  for (guint i = 0; i < n_pieces; i++)
    {
      gsize    len = strlen (pieces[i]);
      gboolean later = FALSE; /* a piece listed twice is its later entry, score and all */
      for (guint j = i + 1; j < n_pieces && !later; j++)
        later = g_str_equal (pieces[i], pieces[j]);
      if (!later && len <= n && strncmp (word, pieces[i], len) == 0)
        best = MAX (best, scores[i] + best_segmentation (word + len, n - (guint) len, pieces, scores, n_pieces));
    }
  return best;
}

/* Viterbi against the brute-force best segmentation, in float64, on 400 random words over random
 * vocabularies of single letters and longer pieces with random scores: the ids' total score is
 * the best there is. */
static void
test_unigram_best (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  for (guint v = 0; v < 20; v++)
    {
      g_autoptr (GString) vocab = g_string_new ("[\"<unk>\", 0]");
      g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree char *json = NULL, *path = assay_test_path ("unigram-best.json");
      g_autoptr (AssayLmTokenizer) tok = NULL;
      g_autoptr (GError) error = NULL;
      const char *letters = "abc";

      g_ptr_array_add (pieces, g_strdup ("<unk>"));
      g_array_append_val (scores, ((double) { 0 }));
      for (guint i = 0; i < 3; i++)
        {
          g_ptr_array_add (pieces, g_strndup (letters + i, 1));
          g_array_append_val (scores, ((double) { -g_rand_double_range (rand, 1, 8) }));
        }
      for (guint i = 0; i < 25; i++)
        {
          guint len = (guint) g_rand_int_range (rand, 2, 5);
          char  piece[8] = { 0 };
          for (guint k = 0; k < len; k++)
            piece[k] = letters[g_rand_int_range (rand, 0, 3)];
          g_ptr_array_add (pieces, g_strdup (piece));
          g_array_append_val (scores, ((double) { -g_rand_double_range (rand, 1, 12) }));
        }
      for (guint i = 1; i < pieces->len; i++)
        g_string_append_printf (vocab, ", [\"%s\", %.17g]", (char *) pieces->pdata[i], g_array_index (scores, double, i));
      json = g_strdup_printf ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [%s]}}", vocab->str);
      g_assert_true (g_file_set_contents (path, json, -1, NULL));
      tok = assay_lm_tokenizer_load (path, &error);
      g_assert_no_error (error);
      for (guint w = 0; w < 20; w++)
        {
          guint n = (guint) g_rand_int_range (rand, 1, 13);
          char  word[16] = { 0 };
          g_autoptr (GArray) ids = NULL;
          g_autoptr (GString) joined = g_string_new (NULL);
          double got = 0, want;

          for (guint k = 0; k < n; k++)
            word[k] = letters[g_rand_int_range (rand, 0, 3)];
          ids = assay_lm_tokenizer_encode (tok, word, NULL, &error);
          g_assert_no_error (error);
          for (guint i = 0; i < ids->len; i++)
            {
              /* a piece listed twice has the later id */
              int id = g_array_index (ids, int, i);
              g_assert_cmpint (id, >, 0);
              for (guint j = (guint) id + 1; j < pieces->len; j++)
                g_assert_cmpstr (pieces->pdata[j], !=, pieces->pdata[id]);
              g_string_append (joined, pieces->pdata[id]);
              got += g_array_index (scores, double, id);
            }
          want = best_segmentation (word, n, (char **) pieces->pdata + 1, (double *) scores->data + 1, pieces->len - 1);
          g_assert_cmpstr (joined->str, ==, word);
          if (fabs (got - want) > 1e-9)
            g_error ("vocabulary %u, “%s”: score %.12g, the best %.12g", v, word, got, want);
        }
    }
}

static void
test_bad_files (void)
{
  struct { const char *name, *text, *needle; } cases[] = {
    { "bad-1.json", "{\"model\": 3}", "no “model” object" },
    { "bad-2.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "model.vocab of a Unigram model" },
    { "bad-2b.json", "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", 0], [\"b\"]]}}", "model.vocab[1]" },
    { "bad-2c.json", "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 5, \"vocab\": [[\"a\", 0]]}}", "model.unk_id" },
    { "bad-2d.json", "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AQID\"}, "
                     "\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", 0]]}}", "precompiled_charsmap" },
    { "bad-2e.json", "{\"pre_tokenizer\": {\"type\": \"Punctuation\"}, "
                     "\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", 0]]}}", "Punctuation" },
    { "bad-3.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}", "not an integer id" },
    { "bad-4.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a q\"]}}", "merges[0]" },
    { "bad-5.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}", "no token for byte" },
    { "bad-6.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": []}}", "id 0 is given" },
    { "bad-7.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {", "bad-7.json" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = assay_test_write_file (cases[i].name, cases[i].text);
      g_autoptr (GError) error = NULL;
      AssayLmTokenizer *tok = assay_lm_tokenizer_load (path, &error);
      g_assert_null (tok);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].needle);
    }
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (assay_lm_tokenizer_load ("/nonexistent/tokenizer.json", &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND);
  }
}

/* The plain quadratic BPE, from tokenizer.json's own vocab and merges: for a word of ASCII
 * letters (one pre-token, bytes that are their own symbols) merge the pair of lowest rank,
 * leftmost first, until none is left. */
static GArray *
reference_bpe (JsonObject *model, GHashTable *ranks, const char *word)
{
  JsonObject *vocab = json_object_get_object_member (model, "vocab");
  g_autoptr (GPtrArray) sym = g_ptr_array_new_with_free_func (g_free);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));

  if (json_object_get_boolean_member_with_default (model, "ignore_merges", FALSE)
      && json_object_has_member (vocab, word))
    {
      int id = (int) json_object_get_int_member (vocab, word);
      g_array_append_val (ids, id);
      return ids;
    }
  for (const char *p = word; *p; p++)
    g_ptr_array_add (sym, g_strndup (p, 1));
  for (;;)
    {
      guint best = G_MAXUINT, at = 0;
      for (guint i = 0; i + 1 < sym->len; i++)
        {
          g_autofree char *pair = g_strconcat (sym->pdata[i], " ", sym->pdata[i + 1], NULL);
          gpointer         rank;
          if (g_hash_table_lookup_extended (ranks, pair, NULL, &rank) && GPOINTER_TO_UINT (rank) < best)
            {
              best = GPOINTER_TO_UINT (rank);
              at = i;
            }
        }
      if (best == G_MAXUINT)
        break;
      {
        char *merged = g_strconcat (sym->pdata[at], sym->pdata[at + 1], NULL);
        g_free (sym->pdata[at]);
        sym->pdata[at] = merged;
        g_ptr_array_remove_index (sym, at + 1);
      }
    }
  for (guint i = 0; i < sym->len; i++)
    {
      int id = (int) json_object_get_int_member (vocab, sym->pdata[i]);
      g_array_append_val (ids, id);
    }
  return ids;
}

/* Long words: the heap-ordered merge gives the ids of the plain quadratic one on the real
 * Qwen2.5 vocabulary (151 643 entries, 151 387 merges), and a word of 10^6 letters is encoded
 * (the quadratic merge took 15 s for 32 000) and decodes back to itself. */
static void
test_long_words (void)
{
  const char *data = assay_test_shared_data ();
  g_autofree char *dir = NULL, *json_path = NULL;
  g_autoptr (AssayLmTokenizer) tok = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GHashTable) ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  static const char *const alphabets[] = { "x", "ab", "aeiou", "abcdefghijklmnopqrstuvwxyz", "thenrsiao", "Zz" };
  JsonObject *model;
  JsonArray  *merges;

  if (data == NULL)
    return;
  dir = g_build_filename (data, "tokenizers", "qwen2_5", NULL);
  json_path = g_build_filename (dir, "tokenizer.json", NULL);
  tok = assay_lm_tokenizer_load (dir, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  model = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "model");
  merges = json_object_get_array_member (model, "merges");
  for (guint i = 0; i < json_array_get_length (merges); i++)
    g_hash_table_insert (ranks, g_strdup (json_array_get_string_element (merges, i)), GUINT_TO_POINTER (i));

  for (guint w = 0; w < 120; w++)
    {
      const char *alphabet = alphabets[w % G_N_ELEMENTS (alphabets)];
      guint       len = w < 6 ? 2000 : (guint) g_rand_int_range (rand, 1, 1500);
      g_autofree char *word = g_malloc (len + 1);
      g_autoptr (GArray) want = NULL, got = NULL;

      for (guint i = 0; i < len; i++)
        word[i] = alphabet[w % 3 == 0 ? i % strlen (alphabet) : (guint) g_rand_int_range (rand, 0, (gint32) strlen (alphabet))];
      word[len] = '\0';
      want = reference_bpe (model, ranks, word);
      got = assay_lm_tokenizer_encode (tok, word, NULL, &error);
      g_assert_no_error (error);
      if (got->len != want->len || memcmp (got->data, want->data, want->len * sizeof (int)) != 0)
        g_error ("word %u (%u letters of “%s”): %u ids, the reference %u", w, len, alphabet, got->len, want->len);
    }

  {
    gsize            n = 1000000;
    g_autofree char *word = g_malloc (n + 1);
    g_autofree char *back = NULL;
    g_autoptr (GArray) ids = NULL;

    memset (word, 'x', n);
    word[n] = '\0';
    ids = assay_lm_tokenizer_encode (tok, word, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ids->len, <, n / 4);
    back = assay_lm_tokenizer_decode (tok, (const int *) ids->data, ids->len);
    g_assert_cmpstr (back, ==, word);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lm/tokenizer/golden-gpt2", test_golden_gpt2);
  g_test_add_func ("/lm/tokenizer/golden-qwen2", test_golden_qwen2);
  g_test_add_func ("/lm/tokenizer/golden-bge-wordpiece-gguf", test_golden_bge);
  g_test_add_func ("/lm/tokenizer/golden-llama-spm-gguf", test_golden_llama_spm);
  g_test_add_func ("/lm/tokenizer/bad-gguf", test_bad_gguf);
  g_test_add_func ("/lm/tokenizer/wordpiece-json", test_wordpiece_json);
  g_test_add_func ("/lm/tokenizer/byte-fallback-json", test_byte_fallback_json);
  g_test_add_func ("/lm/tokenizer/special-tokens", test_special_tokens);
  g_test_add_func ("/lm/tokenizer/pairs-and-bos", test_pairs_and_bos);
  g_test_add_func ("/lm/tokenizer/bad-files", test_bad_files);
  g_test_add_func ("/lm/tokenizer/llama3-regex-nfc", test_llama3_regex_nfc);
  g_test_add_func ("/lm/tokenizer/long-words", test_long_words);
  g_test_add_func ("/lm/tokenizer/unigram-json", test_unigram_json);
  g_test_add_func ("/lm/tokenizer/unigram-best", test_unigram_best);
  return g_test_run ();
}
