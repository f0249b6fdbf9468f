/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-tokenizer.h"

#include <string.h>

struct _AssayTokenizer
{
  gboolean    lowercase;
  guint       min_length;
  GHashTable *stop_words;
  GString    *buffer;
};

AssayTokenizer *
assay_tokenizer_new (gboolean lowercase, guint min_length)
{
  AssayTokenizer *self = g_new0 (AssayTokenizer, 1);

  self->lowercase = lowercase;
  self->min_length = MAX (min_length, 1);
  self->buffer = g_string_sized_new (64);
  return self;
}

void
assay_tokenizer_free (AssayTokenizer *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->stop_words, g_hash_table_unref);
  g_string_free (self->buffer, TRUE);
  g_free (self);
}

void
assay_tokenizer_set_stop_words (AssayTokenizer *self, const char *const *words)
{
  g_clear_pointer (&self->stop_words, g_hash_table_unref);
  if (words == NULL || words[0] == NULL)
    return;
  self->stop_words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; words[i] != NULL; i++)
    g_hash_table_add (self->stop_words,
                      self->lowercase ? g_utf8_strdown (words[i], -1) : g_strdup (words[i]));
}

gboolean
assay_tokenizer_is_stop_word (AssayTokenizer *self, const char *token)
{
  return self->stop_words != NULL && g_hash_table_contains (self->stop_words, token);
}

/* Word characters as Python's \w: letters, numbers (Nd, Nl, No) and the underscore. */
static inline gboolean
is_word_unichar (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return TRUE;
    default:
      return c == '_';
    }
}

static const guint8 ascii_word[128] = {
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
  ['8'] = 1, ['9'] = 1, ['_'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
  ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
  ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
  ['y'] = 1, ['z'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
  ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
  ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
};

void
assay_tokenizer_foreach (AssayTokenizer *self, const char *text, gssize length,
                         AssayTokenFunc func, gpointer user_data)
{
  const char *p, *end;

  if (text == NULL)
    return;
  if (length < 0)
    length = strlen (text);
  p = text;
  end = text + length;
  while (p < end)
    {
      const char *start;
      guint       chars = 0;
      gboolean    ascii = TRUE;

      /* Skip to the next word character. */
      while (p < end)
        {
          guchar c = (guchar) *p;
          if (c < 0x80)
            {
              if (ascii_word[c])
                break;
              p++;
            }
          else
            {
              const char *next = g_utf8_find_next_char (p, end);
              gunichar    u = g_utf8_get_char_validated (p, next != NULL ? next - p : end - p);
              if (u < (gunichar) -2 && is_word_unichar (u))
                break;
              p = next != NULL ? next : end;
            }
        }
      if (p >= end)
        break;
      /* Read the run of word characters. */
      start = p;
      while (p < end)
        {
          guchar c = (guchar) *p;
          if (c < 0x80)
            {
              if (!ascii_word[c])
                break;
              p++;
            }
          else
            {
              const char *next = g_utf8_find_next_char (p, end);
              gunichar    u = g_utf8_get_char_validated (p, next != NULL ? next - p : end - p);
              if (u >= (gunichar) -2 || !is_word_unichar (u))
                break;
              ascii = FALSE;
              p = next != NULL ? next : end;
            }
          chars++;
        }
      if (chars < self->min_length)
        continue;

      g_string_truncate (self->buffer, 0);
      if (!self->lowercase)
        g_string_append_len (self->buffer, start, p - start);
      else if (ascii)
        {
          for (const char *q = start; q < p; q++)
            g_string_append_c (self->buffer, g_ascii_tolower (*q));
        }
      else
        {
          g_autofree char *lower = g_utf8_strdown (start, p - start);
          g_string_append (self->buffer, lower);
        }
      if (self->stop_words != NULL && g_hash_table_contains (self->stop_words, self->buffer->str))
        continue;
      func (self->buffer->str, self->buffer->len, start - text, p - text, user_data);
    }
}

/* English function words: articles, pronouns, auxiliaries, prepositions, conjunctions and
 * common adverbs. */
static const char *const english[] = {
  "a", "about", "above", "after", "again", "against", "all", "almost", "alone", "along",
  "already", "also", "although", "always", "am", "among", "an", "and", "another", "any",
  "anyone", "anything", "are", "around", "as", "at", "be", "became", "because", "been",
  "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "did",
  "do", "does", "doing", "done", "down", "during", "each", "either", "else", "enough", "etc",
  "even", "ever", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he",
  "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in",
  "into", "is", "it", "its", "itself", "just", "least", "less", "like", "many", "may", "me",
  "might", "more", "most", "much", "must", "my", "myself", "neither", "never", "no", "nor", "not",
  "now", "of", "off", "often", "on", "once", "only", "or", "other", "others", "otherwise", "our",
  "ours", "ourselves", "out", "over", "own", "per", "perhaps", "rather", "same", "several",
  "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their",
  "theirs", "them", "themselves", "then", "there", "therefore", "these", "they", "this", "those",
  "though", "through", "thus", "to", "too", "toward", "towards", "under", "until", "up", "upon",
  "us", "very", "via", "was", "we", "were", "what", "when", "where", "whether", "which", "while",
  "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you",
  "your", "yours", "yourself", "yourselves", NULL
};

const char *const *
assay_tokenizer_english_stop_words (void)
{
  return english;
}
