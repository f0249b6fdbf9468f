/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-prompts.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

#define ALPACA_HEAD                                                                               \
  "Below is an instruction that describes a task, paired with an input that provides further "   \
  "context. Write a response that appropriately completes the request.\n\n"

static const struct
{
  const char *name;
  const char *kind; /* of the records its answers make */
  const char *body;
} templates[] = {
  /* GenCo, Table 3.3 of the thesis, word for word */
  { "genco-elaboration", "elaboration",
    ALPACA_HEAD "### Instruction:\nElaborate the text in a few sentences.\n\n### Input:\n{document}"
                "\n\n### Response:\n" },
  { "genco-conditional", "rewrite",
    ALPACA_HEAD "### Instruction:\nElaborate the text in a few sentences. (Discuss the {label} "
                "aspects of the article.)\n\n### Input:\n{document}\n\n### Response:\n" },
  /* LLMiner's chain: analyse one highlighted sentence against four criteria and decide (a "No"
   * ends the chain), then a question from that analysis, then its answer from the passage */
  { "llminer-analysis", "qa",
    "Passage:\n{passage}\n\nHighlighted sentence:\n{sentence}\n\nAnalyse whether the highlighted "
    "sentence should become a question-answer pair for learning the knowledge of this passage. "
    "Judge it by four criteria:\n1. Informative: it states knowledge of the domain (a fact, a "
    "definition, a cause, a method or a result), not narration, formatting or a reference.\n"
    "2. Self-contained: together with the passage it can be understood without other sources.\n"
    "3. Answerable: a question about it has a definite answer in the passage.\n4. Worth asking: "
    "a reader learning the domain would ask about it; it is not trivial or common knowledge.\n\n"
    "Discuss each criterion briefly, then end with one line: \"Decision: Yes\" if the sentence "
    "meets all four, else \"Decision: No\".\n\nAnalysis:" },
  { "llminer-question", "qa",
    "Passage:\n{passage}\n\nHighlighted sentence:\n{sentence}\n\nAnalysis:\n{analysis}\n\nBased on "
    "the analysis, write one question that the highlighted sentence answers and that can be "
    "understood without seeing the passage.\n\nQuestion:" },
  { "llminer-answer", "qa",
    "Passage:\n{passage}\n\nQuestion:\n{question}\n\nAnswer the question using only the passage. "
    "Be complete but concise.\n\nAnswer:" },
  { "llminer-single", "qa",
    "Passage:\n{passage}\n\nSentence:\n{sentence}\n\nFirst analyse the sentence in the context "
    "of the passage, then write one question the sentence answers, then answer it from the "
    "passage. Reply in the form:\nAnalysis: ...\nQuestion: ...\nAnswer: ..." },
  { "judge", NULL,
    "You are grading a response to a question.\n\nQuestion:\n{question}\n\nReference "
    "answer:\n{answer}\n\nReference information:\n{context}\n\nResponse:\n{response}\n\n"
    "Rate the response from 1 (wrong or unhelpful) to 5 (fully correct and helpful). Judge "
    "correctness against the reference answer and information first, then helpfulness. Reply "
    "with one line of reasoning, then \"Rating: N\"." },
  /* LLaVA-Hound-DPO's language-model reward for video responses (its evaluation prompt, with the
   * video's caption standing in for the video) */
  { "judge-video", NULL,
    "Given the following inputs:\n\n1. **Ground Truth Video Caption**: {caption}\n2. **Question "
    "Related to the Caption**: {question}\n3. **Ground Truth Answer**: {answer}\n4. **Model "
    "Predicted Answer**: {response}\n\nYour task is to evaluate the model's predicted answer "
    "against the ground truth answer, based on the context provided by the video caption and the "
    "question. Consider the following criteria for evaluation:\n\n- **Relevance**: Does the "
    "predicted answer directly address the question posed, considering the information provided "
    "in the video caption?\n- **Accuracy**: Compare the predicted answer to the ground truth "
    "answer. Does the prediction accurately reflect the information given in the ground truth "
    "answer without introducing factual inaccuracies?\n- **Clarity**: Assess the clarity of the "
    "predicted answer. Look for issues such as repetition, unclear descriptions, or any "
    "grammatical errors that could hinder understanding.\n- **Completeness**: Determine if the "
    "predicted answer fully covers the scope of the ground truth answer. Does it leave out "
    "critical information or does it include all necessary details?\n\n**Output Format**:\n"
    "Explanation: <brief judgement of prediction>\nScore: <an integer score of quality from 1-5>\n" },
};

const char *const *
assay_gen_template_names (void)
{
  static const char *names[G_N_ELEMENTS (templates) + 1];
  static gsize       ready = 0;

  if (g_once_init_enter (&ready))
    {
      for (guint i = 0; i < G_N_ELEMENTS (templates); i++)
        names[i] = templates[i].name;
      g_once_init_leave (&ready, 1);
    }
  return names;
}

static int
template_index (const char *name)
{
  return assay_names_find (assay_gen_template_names (), G_N_ELEMENTS (templates), name);
}

const char *
assay_gen_template_builtin (const char *name)
{
  int i = template_index (name);
  return i >= 0 ? templates[i].body : NULL;
}

char *
assay_gen_template_get (AssayStore *store, const char *name, GError **error)
{
  sqlite3_stmt *stmt;
  char         *body = NULL;

  if (template_index (name) < 0)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) assay_gen_template_names ());
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No template “%s” (%s)"), name,
                   known);
      return NULL;
    }
  stmt = assay_store_prepare (store, "SELECT body FROM gen_templates WHERE name = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    body = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return body != NULL ? body : g_strdup (assay_gen_template_builtin (name));
}

gboolean
assay_gen_template_set (AssayStore *store, const char *name, const char *body, GError **error)
{
  sqlite3_stmt *stmt;

  if (template_index (name) < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No template “%s”"), name);
      return FALSE;
    }
  if (!g_utf8_validate (body, -1, NULL) || *body == '\0')
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   *body == '\0' ? _("Template “%s”: the text is empty") : _("Template “%s”: the text is not UTF-8"),
                   name);
      return FALSE;
    }
  stmt = assay_store_prepare (store, "INSERT OR REPLACE INTO gen_templates (name, body) VALUES (?, ?)",
                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, body, -1, SQLITE_TRANSIENT);
  return assay_store_step_done (store, stmt, error);
}

/* The caption of the video a record answers about: a caption record with the same video (its
 * source) in the same dataset; NULL for records of no video. */
static char *
video_caption (AssayStore *store, AssayGenRecord *r)
{
  sqlite3_stmt *stmt;
  char         *caption = NULL;

  if (store == NULL || r->source == NULL || g_strcmp0 (r->kind, "caption") == 0)
    return NULL;
  stmt = assay_store_prepare (store, "SELECT text FROM gen_records WHERE dataset_id = ? AND "
                                     "source = ? AND kind = 'caption' ORDER BY id LIMIT 1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, r->dataset);
  sqlite3_bind_text (stmt, 2, r->source, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    caption = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return caption;
}

static const char *const placeholders[] = {
  "document", "passage", "source", "sentence", "highlight", "label", "condition", "question",
  "prompt", "response", "text", "rejected", "answer", "analysis", "caption", "context", NULL
};

/* The value of a placeholder for r (NULL: empty); *owned gets what must be freed. */
static const char *
field (AssayStore *store, AssayGenRecord *r, const char *name, char **owned)
{
  if (g_str_equal (name, "document") || g_str_equal (name, "passage") || g_str_equal (name, "source"))
    return r->source;
  if (g_str_equal (name, "sentence") || g_str_equal (name, "highlight"))
    return r->highlight;
  if (g_str_equal (name, "label") || g_str_equal (name, "condition"))
    return r->condition;
  if (g_str_equal (name, "question") || g_str_equal (name, "prompt"))
    return r->prompt;
  if (g_str_equal (name, "response") || g_str_equal (name, "text"))
    return assay_gen_record_final_text (r);
  if (g_str_equal (name, "rejected"))
    return r->rejected;
  if (g_str_equal (name, "answer"))
    return r->answer;
  if (g_str_equal (name, "analysis"))
    return r->extra != NULL ? assay_json_get_string (r->extra, "analysis", NULL) : NULL;
  if (g_str_equal (name, "caption"))
    return *owned = video_caption (store, r);
  if (g_str_equal (name, "context"))
    {
      /* what a judge reads beside the question: the video's caption, else the source text */
      if ((*owned = video_caption (store, r)) != NULL)
        return *owned;
      return r->source;
    }
  return NULL;
}

char *
assay_gen_render (AssayStore *store, const char *body, AssayGenRecord *r)
{
  GString *out = g_string_new (NULL);

  for (const char *p = body; *p;)
    {
      const char *close;
      if (*p == '{' && (close = strchr (p + 1, '}')) != NULL && close - p < 24)
        {
          g_autofree char *name = g_strndup (p + 1, close - p - 1);
          if (g_strv_contains (placeholders, name))
            {
              g_autofree char *owned = NULL;
              const char      *value = field (store, r, name, &owned);
              g_string_append (out, value != NULL ? value : "");
              p = close + 1;
              continue;
            }
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

gboolean
assay_gen_export_requests (AssayStore *store, const AssayGenFilter *filter, const char *name,
                           const char *path, guint *written, GError **error)
{
  g_autofree char *body = assay_gen_template_get (store, name, error);
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GString) out = NULL;

  if (body == NULL)
    return FALSE;
  ids = assay_gen_query_ids (store, filter, error);
  if (ids == NULL)
    return FALSE;
  out = g_string_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, g_array_index (ids, gint64, i), error);
      g_autoptr (JsonObject) o = json_object_new ();
      g_autofree char *id = NULL, *prompt = NULL, *line = NULL;
      if (r == NULL)
        return FALSE;
      id = g_strdup_printf ("%lld:%s", (long long) r->id, name);
      prompt = assay_gen_render (store, body, r);
      json_object_set_string_member (o, "id", id);
      json_object_set_string_member (o, "prompt", prompt);
      line = assay_json_object_to_string (o, FALSE);
      g_string_append (out, line);
      g_string_append_c (out, '\n');
    }
  if (ids->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO, _("No records selected"));
      return FALSE;
    }
  if (!g_file_set_contents (path, out->str, out->len, error))
    return FALSE;
  if (written != NULL)
    *written = ids->len;
  return TRUE;
}

int
assay_gen_parse_rating (const char *text)
{
  static const char *const marks[] = { "Rating:", "rating:", "Score:", "score:" };
  const char *p = NULL;

  for (guint i = 0; p == NULL && i < G_N_ELEMENTS (marks); i++)
    if ((p = strstr (text, marks[i])) != NULL)
      p += strlen (marks[i]);
  for (const char *q = p != NULL ? p : text; *q; q++)
    if (*q >= '1' && *q <= '5' && !g_ascii_isdigit (q[1]) && (q == text || !g_ascii_isdigit (q[-1])))
      return *q - '0';
  return 0;
}

gboolean
assay_gen_template_is_judge (const char *name)
{
  int t = template_index (name);
  return t >= 0 && templates[t].kind == NULL;
}

gboolean
assay_gen_store_answer (AssayStore *store, const char *template_name, AssayGenRecord *r,
                        const char *answer, const char *ext_id, const char *model,
                        JsonObject *params, const char *dataset_name, const char *dataset_source,
                        gint64 *dataset, gboolean *was_rating, GError **error)
{
  int           t = template_index (template_name);
  sqlite3_stmt *stmt;

  *was_rating = FALSE;
  if (t < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No template “%s”"), template_name);
      return FALSE;
    }
  if (templates[t].kind == NULL)
    {
      /* a judge: the record's model score */
      int              rating = assay_gen_parse_rating (answer);
      g_autoptr (JsonObject) scores = r->scores != NULL ? json_object_ref (r->scores) : json_object_new ();
      g_autofree char *text = NULL;
      if (rating == 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("the judge's answer has no rating 1-5"));
          return FALSE;
        }
      json_object_set_int_member (scores, "judge", rating);
      text = assay_json_object_to_string (scores, FALSE);
      if ((stmt = assay_store_prepare (store, "UPDATE gen_records SET scores = ? WHERE id = ?", error)) == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, r->id);
      *was_rating = TRUE;
      return assay_store_step_done (store, stmt, error);
    }
  {
    g_autoptr (JsonObject) extra = json_object_new ();
    g_autofree char *extra_text = NULL, *params_text = NULL;
    if (*dataset == 0)
      {
        *dataset = assay_store_add_dataset (store, "gen", dataset_name, dataset_source, NULL, error);
        if (*dataset == 0)
          return FALSE;
      }
    json_object_set_int_member (extra, "from", r->id);
    json_object_set_string_member (extra, "template", templates[t].name);
    extra_text = assay_json_object_to_string (extra, FALSE);
    params_text = params != NULL ? assay_json_object_to_string (params, FALSE) : NULL;
    stmt = assay_store_prepare (
      store,
      "INSERT INTO gen_records (dataset_id, ext_id, kind, source, highlight, condition, "
      "prompt, text, model, extra, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, *dataset);
    sqlite3_bind_text (stmt, 2, ext_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, templates[t].kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, r->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 5, r->highlight, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 6, g_str_equal (templates[t].name, "genco-conditional") ? r->condition : NULL,
                       -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 7, g_str_has_prefix (templates[t].name, "llminer-answer") ? r->prompt : NULL,
                       -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 8, answer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 9, model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 10, extra_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 11, params_text, -1, SQLITE_TRANSIENT);
    return assay_store_step_done (store, stmt, error);
  }
}

gboolean
assay_gen_import_answers (AssayStore *store, const char *path, guint *n_read, guint *n_rated,
                          gint64 *dataset_out, GError **error)
{
  static const char *const answer_keys[] = { "answer", "text", "output", "response", "completion",
                                             NULL };
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *base = g_path_get_basename (path);
  gint64   dataset = 0;
  guint    read = 0, rated = 0;
  gboolean ok = TRUE;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  if (!assay_store_begin (store, error))
    return FALSE;
  for (guint i = 0; ok && lines[i] != NULL; i++)
    {
      char            *line = g_strstrip (lines[i]);
      g_autofree char *where = g_strdup_printf (_("%s: line %u"), path, i + 1);
      JsonObject      *o;
      const char      *id, *answer = NULL, *colon;
      gint64           record;
      int              t;
      g_autoptr (AssayGenRecord) r = NULL;
      g_autoptr (GError) local = NULL;

      if (*line == '\0')
        continue;
      if (!assay_json_parser_load (parser, line, -1, &local)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: not a JSON object"), where);
          ok = FALSE;
          break;
        }
      o = json_node_get_object (json_parser_get_root (parser));
      id = assay_json_get_string (o, "id", NULL);
      for (guint k = 0; answer == NULL && answer_keys[k] != NULL; k++)
        answer = assay_json_get_string (o, answer_keys[k], NULL);
      colon = id != NULL ? strchr (id, ':') : NULL;
      record = colon != NULL ? g_ascii_strtoll (id, NULL, 10) : 0;
      t = colon != NULL ? template_index (colon + 1) : -1;
      if (record <= 0 || t < 0 || answer == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("%s: expected {\"id\": \"RECORD:TEMPLATE\", \"answer\": TEXT} as "
                         "written by the request export"),
                       where);
          ok = FALSE;
          break;
        }
      r = assay_gen_record_load (store, record, &local);
      if (r == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, "%s: %s", where, local->message);
          ok = FALSE;
          break;
        }
      read++;
      {
        gboolean was_rating = FALSE;
        g_autofree char *name = g_strdup_printf (_("answers: %s"), base);
        ok = assay_gen_store_answer (store, templates[t].name, r, answer, id,
                                     assay_json_get_string (o, "model", NULL), NULL, name, path,
                                     &dataset, &was_rating, &local);
        if (!ok)
          {
            g_set_error (error, local->domain, local->code, "%s: %s", where, local->message);
            break;
          }
        rated += was_rating;
      }
    }
  if (ok && read == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: no answers"), path);
      ok = FALSE;
    }
  if (ok)
    ok = assay_store_commit (store, error);
  if (!ok)
    {
      assay_store_rollback (store);
      return FALSE;
    }
  assay_store_emit_changed (store, "gen_records");
  if (n_read != NULL)
    *n_read = read;
  if (n_rated != NULL)
    *n_rated = rated;
  if (dataset_out != NULL)
    *dataset_out = dataset;
  return TRUE;
}
