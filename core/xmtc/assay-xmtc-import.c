/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-import.h"

#include <errno.h>
#include <math.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assay-csv-reader.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

typedef struct
{
  char    *ext_id;
  gboolean test;
  char    *title;
  char    *text;
  GArray  *labels;   /* guint32 label indices (into Corpus.label_names) */
  GArray  *features; /* xc: pairs (guint32 index, float value) as two guint32-sized cells */
} Doc;

typedef struct
{
  GPtrArray  *docs;
  GHashTable *label_index; /* name -> idx + 1 */
  GPtrArray  *label_names;
  GHashTable *seen_ids;
  GPtrArray  *feature_names; /* xc */
  guint       n_features;
  AssayXmtcImportResult *result;
  AssayXmtcImportProgress progress;
  gpointer    progress_data;
} Corpus;

static void
doc_free (Doc *doc)
{
  g_free (doc->ext_id);
  g_free (doc->title);
  g_free (doc->text);
  g_array_unref (doc->labels);
  if (doc->features != NULL)
    g_array_unref (doc->features);
  g_free (doc);
}

static Doc *
doc_new (void)
{
  Doc *doc = g_new0 (Doc, 1);

  doc->labels = g_array_new (FALSE, FALSE, sizeof (guint32));
  return doc;
}

void
assay_xmtc_import_options_init (AssayXmtcImportOptions *options)
{
  memset (options, 0, sizeof *options);
  options->delimiter = ',';
  options->label_separator = "|";
}

gboolean
assay_xmtc_parse_format (const char *name, AssayXmtcFormat *format)
{
  static const char *const names[] = { "auto", "xc", "reuters", "jsonl", "csv" };
  int                      i = assay_names_find (names, G_N_ELEMENTS (names), name);

  if (i < 0)
    return FALSE;
  *format = (AssayXmtcFormat) i;
  return TRUE;
}

/* The first max bytes of a file (NUL-terminated), or NULL */
static char *
read_head (const char *path, gsize max, gsize *len)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, NULL);
  char *buf;

  *len = 0;
  if (in == NULL)
    return NULL;
  buf = g_malloc (max + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), buf, max, len, NULL, NULL))
    {
      g_free (buf);
      return NULL;
    }
  buf[*len] = '\0';
  return buf;
}

AssayXmtcFormat
assay_xmtc_guess_format (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  g_autofree char *head = NULL;
  gsize            len = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) || g_str_has_suffix (lower, ".sgm"))
    return ASSAY_XMTC_FORMAT_REUTERS;
  if (g_str_has_suffix (lower, ".jsonl") || g_str_has_suffix (lower, ".json")
      || g_str_has_suffix (lower, ".ndjson"))
    return ASSAY_XMTC_FORMAT_JSONL;
  if (g_str_has_suffix (lower, ".csv") || g_str_has_suffix (lower, ".tsv"))
    return ASSAY_XMTC_FORMAT_CSV;
  /* The XC header is three integers (only the start of the file is read: corpora run to GBs). */
  if ((head = read_head (path, 4096, &len)) != NULL)
    {
      guint a, b, c;
      char  rest;
      g_autofree char *first = g_strndup (head, strcspn (head, "\n"));
      if (sscanf (first, "%u %u %u %c", &a, &b, &c, &rest) == 3)
        return ASSAY_XMTC_FORMAT_XC;
      if (head[0] == '{')
        return ASSAY_XMTC_FORMAT_JSONL;
    }
  return ASSAY_XMTC_FORMAT_CSV;
}

static guint32
label_id (Corpus *corpus, const char *name)
{
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (corpus->label_index, name));

  if (idx == 0)
    {
      char *copy = g_strdup (name);
      g_ptr_array_add (corpus->label_names, copy);
      idx = corpus->label_names->len;
      g_hash_table_insert (corpus->label_index, copy, GUINT_TO_POINTER (idx));
    }
  return idx - 1;
}

static void
add_label (Doc *doc, guint32 label)
{
  for (guint i = 0; i < doc->labels->len; i++)
    if (g_array_index (doc->labels, guint32, i) == label)
      return;
  g_array_append_val (doc->labels, label);
}

/* Takes the document; FALSE (and frees it) when skipped. */
static gboolean
add_doc (Corpus *corpus, Doc *doc)
{
  gboolean empty = doc->features != NULL ? doc->features->len == 0 : TRUE;

  if (doc->features == NULL && doc->text != NULL)
    for (const char *p = doc->text; *p && empty; p++)
      empty = g_ascii_isspace (*p);
  if (doc->features == NULL && empty && doc->title != NULL)
    for (const char *p = doc->title; *p && empty; p++)
      empty = g_ascii_isspace (*p);
  if (empty)
    {
      corpus->result->empty++;
      doc_free (doc);
      return FALSE;
    }
  if (doc->ext_id != NULL)
    {
      if (g_hash_table_contains (corpus->seen_ids, doc->ext_id))
        {
          corpus->result->duplicates++;
          doc_free (doc);
          return FALSE;
        }
      g_hash_table_add (corpus->seen_ids, g_strdup (doc->ext_id));
    }
  g_ptr_array_add (corpus->docs, doc);
  return TRUE;
}

static char *
valid_utf8 (const char *text, gssize len)
{
  if (len < 0)
    len = strlen (text);
  if (g_utf8_validate (text, len, NULL))
    return g_strndup (text, len);
  /* Older corpora are Latin-1. */
  return g_convert (text, len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
}

static gboolean
bad_line (GError **error, const char *path, guint line, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
bad_line (GError **error, const char *path, guint line, const char *format, ...)
{
  va_list          args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, line, reason);
  return FALSE;
}

static void
report (Corpus *corpus, double fraction, const char *message)
{
  if (corpus->progress != NULL)
    corpus->progress (fraction, message, corpus->progress_data);
}

/* ---- Reuters-21578 SGML ---------------------------------------------------------------------- */

static char *
sgml_text (const char *start, const char *end)
{
  GString *out = g_string_sized_new (end - start);

  for (const char *p = start; p < end; p++)
    {
      if (*p == '<')
        {
          const char *close = memchr (p, '>', end - p);
          if (close != NULL)
            {
              p = close;
              continue;
            }
        }
      if (*p == '&')
        {
          const char *semi = memchr (p, ';', MIN (end - p, 8));
          if (semi != NULL)
            {
              g_autofree char *name = g_strndup (p + 1, semi - p - 1);
              gunichar         c = 0;
              if (g_str_equal (name, "lt"))
                c = '<';
              else if (g_str_equal (name, "gt"))
                c = '>';
              else if (g_str_equal (name, "amp"))
                c = '&';
              else if (g_str_equal (name, "quot"))
                c = '"';
              else if (name[0] == '#')
                c = (gunichar) strtoul (name + 1, NULL, 10);
              if (c != 0 || name[0] == '#')
                {
                  if (c >= 32 || c == '\n' || c == '\t')
                    g_string_append_unichar (out, c);
                  p = semi;
                  continue;
                }
            }
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The text between <tag> and </tag> inside [start, end), or NULL. */
static char *
sgml_element (const char *start, const char *end, const char *tag)
{
  g_autofree char *open = g_strdup_printf ("<%s>", tag);
  g_autofree char *close = g_strdup_printf ("</%s>", tag);
  const char      *a = g_strstr_len (start, end - start, open);
  const char      *b;

  if (a == NULL)
    return NULL;
  a += strlen (open);
  b = g_strstr_len (a, end - a, close);
  if (b == NULL)
    return NULL;
  return sgml_text (a, b);
}

static char *
sgml_attribute (const char *tag_start, const char *tag_end, const char *name)
{
  g_autofree char *key = g_strdup_printf (" %s=\"", name);
  const char      *a = g_strstr_len (tag_start, tag_end - tag_start, key);
  const char      *b;

  if (a == NULL)
    return NULL;
  a += strlen (key);
  b = memchr (a, '"', tag_end - a);
  return b != NULL ? g_strndup (a, b - a) : NULL;
}

static gboolean
parse_reuters_file (Corpus *corpus, const char *path, GError **error)
{
  g_autofree char *raw = NULL;
  g_autofree char *data = NULL;
  gsize            len = 0;
  const char      *p, *end;
  guint            line = 1;
  const char      *line_at;

  if (!g_file_get_contents (path, &raw, &len, error))
    return FALSE;
  data = valid_utf8 (raw, len);
  if (data == NULL)
    return bad_line (error, path, 1, _("not text"));
  len = strlen (data);
  p = line_at = data;
  end = data + len;
  while ((p = g_strstr_len (p, end - p, "<REUTERS")) != NULL)
    {
      const char *tag_end = memchr (p, '>', end - p);
      const char *close;
      g_autofree char *topics_attr = NULL, *split = NULL, *newid = NULL;
      const char *topics_start, *topics_end;

      for (; line_at < p; line_at++)
        line += *line_at == '\n';
      if (tag_end == NULL)
        return bad_line (error, path, line, _("unterminated <REUTERS> tag"));
      close = g_strstr_len (tag_end, end - tag_end, "</REUTERS>");
      if (close == NULL)
        return bad_line (error, path, line, _("<REUTERS> without </REUTERS>"));
      topics_attr = sgml_attribute (p, tag_end, "TOPICS");
      split = sgml_attribute (p, tag_end, "LEWISSPLIT");
      newid = sgml_attribute (p, tag_end, "NEWID");
      if (newid == NULL)
        return bad_line (error, path, line, _("<REUTERS> without NEWID"));
      if (g_strcmp0 (topics_attr, "YES") == 0
          && (g_strcmp0 (split, "TRAIN") == 0 || g_strcmp0 (split, "TEST") == 0))
        {
          Doc        *doc = doc_new ();
          const char *text_start = g_strstr_len (tag_end, close - tag_end, "<TEXT");
          char       *body;

          doc->ext_id = g_strdup (newid);
          doc->test = g_str_equal (split, "TEST");
          topics_start = g_strstr_len (tag_end, close - tag_end, "<TOPICS>");
          topics_end = topics_start != NULL
                         ? g_strstr_len (topics_start, close - topics_start, "</TOPICS>")
                         : NULL;
          for (const char *q = topics_start; q != NULL && topics_end != NULL && q < topics_end;)
            {
              const char *d0 = g_strstr_len (q, topics_end - q, "<D>");
              const char *d1 = d0 != NULL ? g_strstr_len (d0, topics_end - d0, "</D>") : NULL;
              g_autofree char *name = NULL;
              if (d0 == NULL || d1 == NULL)
                break;
              name = g_strndup (d0 + 3, d1 - d0 - 3);
              add_label (doc, label_id (corpus, name));
              q = d1 + 4;
            }
          if (text_start != NULL)
            {
              const char *text_end = g_strstr_len (text_start, close - text_start, "</TEXT>");
              if (text_end == NULL)
                {
                  doc_free (doc);
                  return bad_line (error, path, line, _("<TEXT> without </TEXT>"));
                }
              doc->title = sgml_element (text_start, text_end, "TITLE");
              body = sgml_element (text_start, text_end, "BODY");
              if (body == NULL)
                {
                  /* Briefs and unprocessed stories: all of the text but the title. */
                  const char *after = memchr (text_start, '>', text_end - text_start);
                  body = sgml_text (after != NULL ? after + 1 : text_start, text_end);
                  if (doc->title != NULL)
                    {
                      g_free (body);
                      body = g_strdup ("");
                    }
                }
              doc->text = body;
            }
          add_doc (corpus, doc);
        }
      p = close + strlen ("</REUTERS>");
    }
  return TRUE;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
parse_reuters (Corpus *corpus, const char *path, gboolean all_topics, GCancellable *cancellable,
               GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, error);
      const char *name;
      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".sgm"))
          g_ptr_array_add (files, g_build_filename (path, name, NULL));
      g_ptr_array_sort (files, compare_paths);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
  if (files->len == 0)
    return bad_line (error, path, 0, _("no .sgm files in this folder"));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (files, i));
      g_autofree char *msg = g_strdup_printf (_("Reading %s"), base);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      report (corpus, 0.6 * i / files->len, msg);
      if (!parse_reuters_file (corpus, g_ptr_array_index (files, i), error))
        return FALSE;
    }

  /* ModApte with the usual category set: only categories that have training and test stories,
   * and only stories that keep at least one category. */
  {
    guint    n_labels = corpus->label_names->len;
    guint   *n_train = g_new0 (guint, n_labels), *n_test = g_new0 (guint, n_labels);
    gboolean *keep = g_new0 (gboolean, n_labels);
    g_autoptr (GPtrArray) kept_docs = g_ptr_array_new_with_free_func ((GDestroyNotify) doc_free);

    for (guint d = 0; d < corpus->docs->len; d++)
      {
        Doc *doc = g_ptr_array_index (corpus->docs, d);
        for (guint j = 0; j < doc->labels->len; j++)
          (doc->test ? n_test : n_train)[g_array_index (doc->labels, guint32, j)]++;
      }
    for (guint l = 0; l < n_labels; l++)
      {
        keep[l] = all_topics || (n_train[l] > 0 && n_test[l] > 0);
        if (!keep[l])
          corpus->result->labels_dropped++;
      }
    for (guint d = 0; d < corpus->docs->len; d++)
      {
        Doc  *doc = g_ptr_array_index (corpus->docs, d);
        guint n = 0;
        for (guint j = 0; j < doc->labels->len; j++)
          if (keep[g_array_index (doc->labels, guint32, j)])
            g_array_index (doc->labels, guint32, n++) = g_array_index (doc->labels, guint32, j);
        g_array_set_size (doc->labels, n);
        g_ptr_array_index (corpus->docs, d) = NULL;
        if (n == 0)
          {
            corpus->result->unlabelled++;
            doc_free (doc);
          }
        else
          g_ptr_array_add (kept_docs, doc);
      }
    g_ptr_array_set_free_func (corpus->docs, NULL);
    g_ptr_array_unref (corpus->docs);
    corpus->docs = g_steal_pointer (&kept_docs);
    /* Mark dropped labels so that they are not stored. */
    for (guint l = 0; l < n_labels; l++)
      if (!keep[l])
        {
          g_free (g_ptr_array_index (corpus->label_names, l));
          g_ptr_array_index (corpus->label_names, l) = NULL;
        }
    g_free (n_train);
    g_free (n_test);
    g_free (keep);
  }
  return TRUE;
}

/* ---- Extreme Classification Repository format -------------------------------------------------- */

static gboolean
parse_uint (const char *s, const char *end, guint *out, const char **next)
{
  guint64 v = 0;
  const char *p = s;

  if (p >= end || !g_ascii_isdigit (*p))
    return FALSE;
  while (p < end && g_ascii_isdigit (*p))
    {
      v = v * 10 + (*p - '0');
      if (v > G_MAXUINT32)
        return FALSE;
      p++;
    }
  *out = (guint) v;
  *next = p;
  return TRUE;
}

static gboolean
read_names (const char *path, GPtrArray *names, GError **error)
{
  g_autofree char *data = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (path, &data, NULL, error))
    return FALSE;
  lines = g_strsplit (data, "\n", -1);
  n = g_strv_length (lines);
  if (n > 0 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      g_strchomp (lines[i]);
      g_ptr_array_add (names, valid_utf8 (lines[i], -1));
    }
  return TRUE;
}

#define XC_MAX_FEATURES (200u * 1000 * 1000)
#define XC_MAX_LABELS   (20u * 1000 * 1000)

static gboolean
parse_xc_file (Corpus *corpus, const char *path, gboolean test, guint *n_labels_out,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *data = NULL;
  gsize            len = 0;
  const char      *p, *end;
  guint            N, F, L, line = 1, read = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  p = data;
  end = data + len;
  {
    const char *eol = memchr (p, '\n', end - p);
    g_autofree char *header = g_strndup (p, eol != NULL ? eol - p : end - p);
    g_auto (GStrv) parts = g_strsplit_set (g_strstrip (header), " \t", -1);
    guint64 v[3];
    guint   n_parts = 0;

    for (guint i = 0; parts[i] != NULL; i++)
      {
        if (parts[i][0] == '\0')
          continue;
        if (n_parts == 3
            || !g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT32, &v[n_parts], NULL))
          return bad_line (error, path, 1,
                           _("expected the header “N F L” (three counts), found “%s”"), header);
        n_parts++;
      }
    if (n_parts != 3)
      return bad_line (error, path, 1, _("expected the header “N F L” (three counts), found “%s”"),
                       header);
    /* Far beyond any real corpus (Amazon-3M has 2.8 M labels): refuse before allocating. */
    if (v[1] > XC_MAX_FEATURES || v[2] > XC_MAX_LABELS)
      return bad_line (error, path, 1,
                       _("implausible header: %llu features and %llu labels (at most %u and %u)"),
                       (unsigned long long) v[1], (unsigned long long) v[2], XC_MAX_FEATURES,
                       XC_MAX_LABELS);
    N = (guint) v[0];
    F = (guint) v[1];
    L = (guint) v[2];
    p = eol != NULL ? eol + 1 : end;
  }
  if (corpus->n_features != 0 && (corpus->n_features != F || *n_labels_out != L))
    return bad_line (error, path, 1,
                     _("header says %u features and %u labels; the training file had %u and %u"),
                     F, L, corpus->n_features, *n_labels_out);
  corpus->n_features = F;
  *n_labels_out = L;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *line_end = eol != NULL ? eol : end;
      const char *q = p;
      Doc        *doc;

      line++;
      if (line_end > p && line_end[-1] == '\r')
        line_end--;
      if (q == line_end)
        {
          p = eol != NULL ? eol + 1 : end;
          continue;
        }
      if (read % 1024 == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          report (corpus, 0.6 * (p - data) / MAX (len, 1), _("Reading documents"));
        }
      doc = doc_new ();
      doc->test = test;
      doc->ext_id = g_strdup_printf ("%s:%u", test ? "test" : "train", read + 1);
      doc->features = g_array_new (FALSE, FALSE, sizeof (guint32) * 2);
      /* labels: "l1,l2" before the first space (may be empty) */
      while (q < line_end && *q != ' ' && *q != '\t')
        {
          guint label;
          if (!parse_uint (q, line_end, &label, &q))
            {
              doc_free (doc);
              return bad_line (error, path, line, _("bad label list"));
            }
          if (label >= L)
            corpus->result->out_of_range++;
          else
            add_label (doc, label);
          if (q < line_end && *q == ',')
            q++;
          else if (q < line_end && *q != ' ' && *q != '\t')
            {
              doc_free (doc);
              return bad_line (error, path, line, _("bad label list"));
            }
        }
      while (q < line_end)
        {
          guint  index;
          char  *value_end;
          float  value;
          guint32 cell[2];

          while (q < line_end && (*q == ' ' || *q == '\t'))
            q++;
          if (q >= line_end)
            break;
          if (!parse_uint (q, line_end, &index, &q) || q >= line_end || *q != ':')
            {
              doc_free (doc);
              return bad_line (error, path, line, _("expected “feature:value”"));
            }
          q++;
          errno = 0;
          value = strtof (q, &value_end);
          if (value_end == q || errno == ERANGE || (value_end < line_end && *value_end != ' '
                                                    && *value_end != '\t')
              || !isfinite (value))
            {
              doc_free (doc);
              return bad_line (error, path, line, _("bad value for feature %u"), index);
            }
          q = value_end;
          if (index >= F)
            {
              corpus->result->out_of_range++;
              continue;
            }
          cell[0] = index;
          memcpy (&cell[1], &value, sizeof (float));
          g_array_append_val (doc->features, cell);
        }
      add_doc (corpus, doc);
      read++;
      p = eol != NULL ? eol + 1 : end;
    }
  if (read != N)
    return bad_line (error, path, line, _("the header announces %u documents but the file has %u"),
                     N, read);
  return TRUE;
}

static gboolean
parse_xc (Corpus *corpus, const char *path, const AssayXmtcImportOptions *options,
          GCancellable *cancellable, GError **error)
{
  guint L = 0;

  if (!parse_xc_file (corpus, path, FALSE, &L, cancellable, error))
    return FALSE;
  if (options->test_path != NULL
      && !parse_xc_file (corpus, options->test_path, TRUE, &L, cancellable, error))
    return FALSE;
  /* nothing to import: said before naming every label the header counts (a 13-byte file whose
   * header said 11 million labels took 10 s and 1 GB to be refused, found by the fuzz target) */
  if (corpus->docs->len == 0)
    return TRUE;
  if (options->label_names_path != NULL)
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      if (!read_names (options->label_names_path, names, error))
        return FALSE;
      if (names->len != L)
        return bad_line (error, options->label_names_path, names->len,
                         _("%u label names for %u labels"), names->len, L);
      for (guint l = 0; l < L; l++)
        g_ptr_array_add (corpus->label_names, g_strdup (g_ptr_array_index (names, l)));
    }
  else
    for (guint l = 0; l < L; l++)
      g_ptr_array_add (corpus->label_names, g_strdup_printf ("label %u", l));
  if (options->vocabulary_path != NULL)
    {
      corpus->feature_names = g_ptr_array_new_with_free_func (g_free);
      if (!read_names (options->vocabulary_path, corpus->feature_names, error))
        return FALSE;
      if (corpus->feature_names->len != corpus->n_features)
        return bad_line (error, options->vocabulary_path, corpus->feature_names->len,
                         _("%u feature names for %u features"), corpus->feature_names->len,
                         corpus->n_features);
    }
  return TRUE;
}

/* ---- JSONL ------------------------------------------------------------------------------------ */

static char *
json_scalar_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static gboolean
parse_jsonl_file (Corpus *corpus, const char *path, gboolean test_file, GCancellable *cancellable,
                  GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize       len = 0;
  const char *p, *end;
  guint       line = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  p = data;
  end = data + len;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *line_end = eol != NULL ? eol : end;
      g_autoptr (GError) json_error = NULL;
      JsonObject *object;
      JsonNode   *node;
      Doc        *doc;

      line++;
      while (p < line_end && g_ascii_isspace (*p))
        p++;
      if (p == line_end)
        {
          p = eol != NULL ? eol + 1 : end;
          continue;
        }
      if (line % 1024 == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          report (corpus, 0.6 * (p - data) / MAX (len, 1), _("Reading documents"));
        }
      if (!assay_json_parser_load (parser, p, line_end - p, &json_error))
        return bad_line (error, path, line, _("not JSON: %s"), json_error->message);
      node = json_parser_get_root (parser);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad_line (error, path, line, _("expected a JSON object"));
      object = json_node_get_object (node);
      node = json_object_get_member (object, "text");
      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_STRING)
        return bad_line (error, path, line, _("“text” is missing or not a string"));
      doc = doc_new ();
      doc->text = g_strdup (json_node_get_string (node));
      doc->ext_id = json_scalar_text (json_object_get_member (object, "id"));
      if (doc->ext_id == NULL)
        doc->ext_id = g_strdup_printf ("%s:%u", test_file ? "test" : "train", line);
      node = json_object_get_member (object, "title");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        doc->title = g_strdup (json_node_get_string (node));
      doc->test = test_file;
      node = json_object_get_member (object, "split");
      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          const char *split = JSON_NODE_HOLDS_VALUE (node)
                                  && json_node_get_value_type (node) == G_TYPE_STRING
                                ? json_node_get_string (node)
                                : "";
          if (g_str_equal (split, "train"))
            doc->test = FALSE;
          else if (g_str_equal (split, "test"))
            doc->test = TRUE;
          else
            {
              doc_free (doc);
              return bad_line (error, path, line, _("“split” must be \"train\" or \"test\""));
            }
        }
      node = json_object_get_member (object, "labels");
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *labels = json_node_get_array (node);
          for (guint i = 0; i < json_array_get_length (labels); i++)
            {
              g_autofree char *name = json_scalar_text (json_array_get_element (labels, i));
              if (name == NULL)
                {
                  doc_free (doc);
                  return bad_line (error, path, line, _("label %u is not a string or number"),
                                   i + 1);
                }
              add_label (doc, label_id (corpus, name));
            }
        }
      else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          g_autofree char *name = json_scalar_text (node);
          if (name == NULL)
            {
              doc_free (doc);
              return bad_line (error, path, line, _("“labels” must be a list"));
            }
          add_label (doc, label_id (corpus, name));
        }
      add_doc (corpus, doc);
      p = eol != NULL ? eol + 1 : end;
    }
  return TRUE;
}

/* ---- CSV -------------------------------------------------------------------------------------- */

static int
column_index (GPtrArray *header, const char *spec)
{
  char *end;
  long  number = strtol (spec, &end, 10);

  if (*spec != '\0' && *end == '\0')
    return number >= 1 ? (int) number - 1 : -1;
  if (header != NULL)
    for (guint i = 0; i < header->len; i++)
      if (g_strcmp0 (g_ptr_array_index (header, i), spec) == 0)
        return (int) i;
  return -1;
}

static gboolean
parse_csv_file (Corpus *corpus, const char *path, gboolean test_file,
                const AssayXmtcImportOptions *options, GCancellable *cancellable, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (AssayCsvReader) reader = NULL;
  g_autoptr (GPtrArray) header = NULL;
  g_autoptr (GArray) text_cols = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto (GStrv) specs = NULL;
  GPtrArray  *fields;
  gsize       len = 0;
  int         label_col = -1, split_col = -1;
  char        delimiter = options->delimiter;
  g_autoptr (GError) read_error = NULL;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  if (delimiter == '\0')
    delimiter = g_str_has_suffix (path, ".tsv") ? '\t' : ',';
  reader = assay_csv_reader_new (path, data, len, delimiter);
  if (!options->no_header)
    {
      if (!assay_csv_reader_next (reader, &fields, error))
        return error == NULL || *error != NULL ? FALSE : bad_line (error, path, 1, _("empty file"));
      header = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < fields->len; i++)
        g_ptr_array_add (header, g_strdup (g_ptr_array_index (fields, i)));
    }
  specs = g_strsplit (options->text_columns != NULL ? options->text_columns : "text", ",", -1);
  for (guint i = 0; specs[i] != NULL; i++)
    {
      int c = column_index (header, g_strstrip (specs[i]));
      if (c < 0)
        return bad_line (error, path, 1, _("no text column “%s”"), specs[i]);
      g_array_append_val (text_cols, c);
    }
  label_col = column_index (header, options->label_column != NULL ? options->label_column
                                                                  : "labels");
  if (label_col < 0 && options->label_column == NULL)
    label_col = column_index (header, "label");
  if (label_col < 0)
    return bad_line (error, path, 1, _("no label column “%s”"),
                     options->label_column != NULL ? options->label_column : "labels");
  if (options->split_column != NULL
      && (split_col = column_index (header, options->split_column)) < 0)
    return bad_line (error, path, 1, _("no split column “%s”"), options->split_column);

  while (assay_csv_reader_next (reader, &fields, &read_error))
    {
      guint    line = assay_csv_reader_get_line (reader);
      Doc     *doc;
      GString *text = g_string_new (NULL);
      g_auto (GStrv) labels = NULL;

      if (line % 1024 == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              g_string_free (text, TRUE);
              return FALSE;
            }
          report (corpus, 0.6 * assay_csv_reader_get_fraction (reader), _("Reading documents"));
        }
      for (guint i = 0; i < text_cols->len; i++)
        {
          int c = g_array_index (text_cols, int, i);
          if ((guint) c >= fields->len)
            {
              g_string_free (text, TRUE);
              return bad_line (error, path, line, _("%u fields, no column %d"), fields->len, c + 1);
            }
          if (text->len > 0)
            g_string_append (text, "\n");
          g_string_append (text, g_ptr_array_index (fields, c));
        }
      if ((guint) label_col >= fields->len || (split_col >= 0 && (guint) split_col >= fields->len))
        {
          g_string_free (text, TRUE);
          return bad_line (error, path, line, _("%u fields: the label or split column is missing"),
                           fields->len);
        }
      doc = doc_new ();
      doc->text = valid_utf8 (text->str, text->len);
      g_string_free (text, TRUE);
      doc->ext_id = g_strdup_printf ("%s:%u", test_file ? "test" : "train", line);
      doc->test = test_file;
      if (split_col >= 0)
        {
          const char *split = g_ptr_array_index (fields, split_col);
          if (g_str_equal (split, "test"))
            doc->test = TRUE;
          else if (g_str_equal (split, "train"))
            doc->test = FALSE;
          else
            {
              doc_free (doc);
              return bad_line (error, path, line, _("split must be train or test, not “%s”"),
                               split);
            }
        }
      labels = g_strsplit (g_ptr_array_index (fields, label_col),
                           options->label_separator != NULL ? options->label_separator : "|", -1);
      for (guint i = 0; labels[i] != NULL; i++)
        {
          g_strstrip (labels[i]);
          if (labels[i][0] != '\0')
            add_label (doc, label_id (corpus, labels[i]));
        }
      add_doc (corpus, doc);
    }
  if (read_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      return FALSE;
    }
  return TRUE;
}

/* ---- storing ----------------------------------------------------------------------------------- */

static int
compare_label_names (gconstpointer a, gconstpointer b, gpointer data)
{
  char **names = data;
  return strcmp (names[*(const guint *) a], names[*(const guint *) b]);
}

static gboolean
store_corpus (AssayStore *store, Corpus *corpus, const char *name, const char *source,
              AssayXmtcFormat format, GError **error)
{
  static const char *format_names[] = { "auto", "xc", "reuters", "jsonl", "csv" };
  g_autoptr (JsonObject) params = json_object_new ();
  guint  n_labels = corpus->label_names->len;
  guint *n_train = g_new0 (guint, MAX (n_labels, 1)), *n_test = g_new0 (guint, MAX (n_labels, 1));
  guint *new_index = g_new (guint, MAX (n_labels, 1));
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  sqlite3_stmt *stmt;
  gint64        dataset = 0;
  gboolean      nested = FALSE;
  guint         kept = 0;
  gboolean      ok = FALSE;

  /* Text labels get indices in name order, so that re-imports agree; xc keeps its own. */
  for (guint l = 0; l < n_labels; l++)
    if (g_ptr_array_index (corpus->label_names, l) != NULL)
      g_array_append_val (order, l);
  if (format != ASSAY_XMTC_FORMAT_XC)
    g_array_sort_with_data (order, compare_label_names, corpus->label_names->pdata);
  for (guint l = 0; l < n_labels; l++)
    new_index[l] = G_MAXUINT;
  for (guint i = 0; i < order->len; i++)
    new_index[g_array_index (order, guint, i)] = kept++;

  for (guint d = 0; d < corpus->docs->len; d++)
    {
      Doc *doc = g_ptr_array_index (corpus->docs, d);
      for (guint j = 0; j < doc->labels->len; j++)
        {
          guint32 *label = &g_array_index (doc->labels, guint32, j);
          *label = new_index[*label];
          (doc->test ? n_test : n_train)[*label]++;
        }
      if (doc->test)
        corpus->result->test++;
      else
        corpus->result->train++;
    }

  json_object_set_string_member (params, "format", format_names[format]);
  json_object_set_int_member (params, "documents", corpus->docs->len);
  json_object_set_int_member (params, "features", corpus->n_features);
  json_object_set_int_member (params, "skipped_duplicates", corpus->result->duplicates);
  json_object_set_int_member (params, "skipped_empty", corpus->result->empty);
  json_object_set_int_member (params, "skipped_unlabelled", corpus->result->unlabelled);
  json_object_set_int_member (params, "out_of_range", corpus->result->out_of_range);
  json_object_set_int_member (params, "labels_dropped", corpus->result->labels_dropped);

  /* Alone, the rows go in chunks into a dataset hidden until the end (other writers get in
   * between); inside a caller's transaction, all at once. */
  nested = assay_store_in_transaction (store);
  if (!assay_store_begin (store, error))
    goto out;
  dataset = assay_store_add_hidden_dataset (store, "xmtc", name, source, params, error);
  if (dataset == 0)
    goto fail;

  stmt = assay_store_prepare (store,
                              "INSERT INTO xmtc_labels (dataset_id, idx, name, n_train, n_test) "
                              "VALUES (?, ?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < order->len; i++)
    {
      guint old = g_array_index (order, guint, i);
      sqlite3_bind_int64 (stmt, 1, dataset);
      sqlite3_bind_int (stmt, 2, (int) i);
      sqlite3_bind_text (stmt, 3, g_ptr_array_index (corpus->label_names, old), -1,
                         SQLITE_STATIC);
      sqlite3_bind_int (stmt, 4, (int) n_train[i]);
      sqlite3_bind_int (stmt, 5, (int) n_test[i]);
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
      if (n_train[i] == 0)
        corpus->result->labels_without_train++;
    }

  stmt = assay_store_prepare (store,
                              "INSERT INTO xmtc_documents "
                              "(dataset_id, ext_id, split, title, text, labels, features) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint d = 0; d < corpus->docs->len; d++)
    {
      Doc *doc = g_ptr_array_index (corpus->docs, d);
      /* Keep the label list little-endian on disk. */
      for (guint j = 0; j < doc->labels->len; j++)
        g_array_index (doc->labels, guint32, j) = GUINT32_TO_LE (g_array_index (doc->labels, guint32, j));
      sqlite3_bind_int64 (stmt, 1, dataset);
      sqlite3_bind_text (stmt, 2, doc->ext_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, doc->test ? "test" : "train", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, doc->title, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, doc->text, -1, SQLITE_STATIC);
      if (doc->labels->len > 0)
        sqlite3_bind_blob (stmt, 6, doc->labels->data,
                           (int) (doc->labels->len * sizeof (guint32)), SQLITE_STATIC);
      else
        sqlite3_bind_zeroblob (stmt, 6, 0); /* unlabelled: an empty list, not NULL */
      if (doc->features != NULL)
        sqlite3_bind_blob (stmt, 7, doc->features->data,
                           (int) (doc->features->len * 2 * sizeof (guint32)), SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 7);
      if (!assay_store_step_done (store, stmt, error) || !assay_store_checkpoint (store, 300, error))
        goto fail;
      if (d % 4096 == 0)
        report (corpus, 0.6 + 0.4 * d / corpus->docs->len, _("Storing documents"));
    }

  if (corpus->feature_names != NULL)
    {
      stmt = assay_store_prepare (store,
                                  "INSERT INTO xmtc_features (dataset_id, idx, term) "
                                  "VALUES (?, ?, ?)",
                                  error);
      if (stmt == NULL)
        goto fail;
      for (guint f = 0; f < corpus->feature_names->len; f++)
        {
          sqlite3_bind_int64 (stmt, 1, dataset);
          sqlite3_bind_int (stmt, 2, (int) f);
          sqlite3_bind_text (stmt, 3, g_ptr_array_index (corpus->feature_names, f), -1,
                             SQLITE_STATIC);
          if (!assay_store_step_done (store, stmt, error))
            goto fail;
        }
    }
  if (!assay_store_publish_dataset (store, dataset, error) || !assay_store_commit (store, error))
    goto fail;
  corpus->result->dataset = dataset;
  corpus->result->documents = corpus->docs->len;
  corpus->result->labels = kept;
  ok = TRUE;
  goto out;

fail:
  if (assay_store_in_transaction (store))
    assay_store_rollback (store);
  /* chunks already committed go with the hidden dataset */
  if (!nested && dataset > 0)
    assay_store_drop_dataset (store, dataset, NULL);
out:
  g_free (n_train);
  g_free (n_test);
  g_free (new_index);
  return ok;
}

gboolean
assay_xmtc_import (AssayStore *store, const char *path, const AssayXmtcImportOptions *options,
                   AssayXmtcImportResult *result, AssayXmtcImportProgress progress,
                   gpointer progress_data, GCancellable *cancellable, GError **error)
{
  AssayXmtcImportOptions defaults;
  AssayXmtcFormat        format;
  Corpus                 corpus = { 0 };
  g_autofree char       *name = NULL;
  gboolean               ok;

  g_return_val_if_fail (ASSAY_IS_STORE (store), FALSE);
  g_return_val_if_fail (path != NULL && result != NULL, FALSE);

  if (options == NULL)
    {
      assay_xmtc_import_options_init (&defaults);
      options = &defaults;
    }
  memset (result, 0, sizeof *result);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: no such file or folder"),
                   path);
      return FALSE;
    }
  format = options->format != ASSAY_XMTC_FORMAT_AUTO ? options->format
                                                     : assay_xmtc_guess_format (path);
  corpus.docs = g_ptr_array_new_with_free_func ((GDestroyNotify) doc_free);
  corpus.label_index = g_hash_table_new (g_str_hash, g_str_equal);
  corpus.label_names = g_ptr_array_new_with_free_func (g_free);
  corpus.seen_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  corpus.result = result;
  corpus.progress = progress;
  corpus.progress_data = progress_data;

  switch (format)
    {
    case ASSAY_XMTC_FORMAT_REUTERS:
      ok = parse_reuters (&corpus, path, options->reuters_all_topics, cancellable, error);
      break;
    case ASSAY_XMTC_FORMAT_XC:
      ok = parse_xc (&corpus, path, options, cancellable, error);
      break;
    case ASSAY_XMTC_FORMAT_JSONL:
      ok = parse_jsonl_file (&corpus, path, FALSE, cancellable, error)
           && (options->test_path == NULL
               || parse_jsonl_file (&corpus, options->test_path, TRUE, cancellable, error));
      break;
    case ASSAY_XMTC_FORMAT_CSV:
    default:
      ok = parse_csv_file (&corpus, path, FALSE, options, cancellable, error)
           && (options->test_path == NULL
               || parse_csv_file (&corpus, options->test_path, TRUE, options, cancellable, error));
      break;
    }
  if (ok && corpus.docs->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: no documents to import"), path);
      ok = FALSE;
    }
  if (ok)
    {
      g_autofree char *base = g_path_get_basename (path);
      name = g_strdup (options->name != NULL ? options->name : base);
      report (&corpus, 0.6, _("Storing documents"));
      ok = store_corpus (store, &corpus, name, path, format, error);
    }
  g_ptr_array_unref (corpus.docs);
  g_hash_table_unref (corpus.label_index);
  g_ptr_array_unref (corpus.label_names);
  g_hash_table_unref (corpus.seen_ids);
  if (corpus.feature_names != NULL)
    g_ptr_array_unref (corpus.feature_names);
  if (ok)
    assay_store_emit_changed (store, "xmtc_documents");
  return ok;
}

char
assay_xmtc_guess_delimiter (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  gsize            len = 0;
  g_autofree char *head = read_head (path, 65536, &len);
  guint            counts[4] = { 0 };
  static const char delimiters[] = { ',', '\t', ';', '|' };
  guint            best = 0;
  gboolean         quoted = FALSE;

  if (g_str_has_suffix (lower, ".tsv"))
    return '\t';
  /* the most frequent candidate on the first line, outside quotes */
  for (const char *p = head; p != NULL && *p && *p != '\n'; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      for (guint d = 0; d < G_N_ELEMENTS (delimiters) && !quoted; d++)
        counts[d] += *p == delimiters[d];
    }
  for (guint d = 1; d < G_N_ELEMENTS (delimiters); d++)
    if (counts[d] > counts[best])
      best = d;
  return delimiters[best];
}

GPtrArray *
assay_xmtc_csv_preview (const char *path, char delimiter, guint max_rows, GError **error)
{
  gsize      len = 0;
  g_autofree char *head = read_head (path, 256 * 1024, &len);
  g_autoptr (AssayCsvReader) reader = NULL;
  g_autoptr (GError) local = NULL;
  GPtrArray *rows;
  GPtrArray *fields = NULL;

  if (head == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("%s: cannot be read"), path);
      return NULL;
    }
  reader = assay_csv_reader_new (path, head, len, delimiter);
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  while (rows->len < max_rows && assay_csv_reader_next (reader, &fields, &local))
    {
      GStrvBuilder *b = g_strv_builder_new ();
      for (guint i = 0; i < fields->len; i++)
        g_strv_builder_add (b, fields->pdata[i]);
      g_ptr_array_add (rows, g_strv_builder_end (b));
      g_strv_builder_unref (b);
    }
  /* a record cut by the end of what was read is not an error of the file */
  if (local != NULL && (rows->len == 0 || len < 256 * 1024))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      g_ptr_array_unref (rows);
      return NULL;
    }
  if (rows->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: no rows"), path);
      g_ptr_array_unref (rows);
      return NULL;
    }
  return rows;
}
