/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Generation records: importers (real ProcessBench rows, every built-in mapping, a remembered
 * field map, malformed input), search and filters, decisions with undo/redo across reopening,
 * a decision surviving SIGKILL, exports and their round trips, prompt batches and answers. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-gen-demo.h"
#include "assay-gen-export.h"
#include "assay-gen-import.h"
#include "assay-gen-prompts.h"
#include "assay-gen-query.h"
#include "assay-json.h"
#include "assay-sentences.h"
#include "assay-test-util.h"
#include "assay-word-diff.h"

static gint64
import_text (AssayStore *store, const char *name, const char *contents, AssayGenMapping mapping,
             guint expect)
{
  g_autofree char *path = assay_test_write_file (name, contents);
  g_autoptr (GError) error = NULL;
  AssayGenImportOptions options;
  AssayGenImportResult  r;

  assay_gen_import_options_init (&options);
  options.mapping = mapping;
  g_assert_true (assay_gen_import (store, path, &options, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.imported, ==, expect);
  return r.dataset;
}

static GArray *
ids_of (AssayStore *store, gint64 dataset)
{
  AssayGenFilter f;
  g_autoptr (GError) error = NULL;
  GArray *ids;

  assay_gen_filter_init (&f);
  f.dataset = dataset;
  ids = assay_gen_query_ids (store, &f, &error);
  g_assert_no_error (error);
  return ids;
}

static AssayGenRecord *
nth (AssayStore *store, gint64 dataset, guint i)
{
  g_autoptr (GArray) ids = ids_of (store, dataset);
  g_autoptr (GError) error = NULL;
  AssayGenRecord *r;

  g_assert_cmpuint (i, <, ids->len);
  r = assay_gen_record_load (store, g_array_index (ids, gint64, i), &error);
  g_assert_no_error (error);
  return r;
}

/* ProcessBench GSM8K as shipped: every item, its steps and first-error label, checked against
 * the file read independently with json-glib. */
static void
test_processbench (void)
{
  g_autofree char *path = g_build_filename (assay_test_shared_data (), "reasoning", "processbench",
                                            "gsm8k.json", NULL);
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = NULL;
  AssayGenImportResult r;
  JsonArray *items;
  guint      erroneous = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("shared data: reasoning/processbench/gsm8k.json not found");
      return;
    }
  store = assay_test_fresh_store ("gen-pb.assay");
  g_assert_true (assay_gen_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.mapping, ==, ASSAY_GEN_MAP_PROCESSBENCH);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  items = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (r.imported, ==, json_array_get_length (items));
  g_assert_cmpuint (r.imported, ==, 400);
  ids = ids_of (store, r.dataset);
  for (guint i = 0; i < ids->len; i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      JsonArray  *steps = json_object_get_array_member (item, "steps");
      g_autoptr (AssayGenRecord) rec = assay_gen_record_load (store, g_array_index (ids, gint64, i), &error);
      g_assert_nonnull (rec);
      g_assert_cmpstr (rec->ext_id, ==, json_object_get_string_member (item, "id"));
      g_assert_cmpstr (rec->kind, ==, "trace");
      g_assert_cmpstr (rec->prompt, ==, json_object_get_string_member (item, "problem"));
      g_assert_cmpstr (rec->model, ==, json_object_get_string_member (item, "generator"));
      g_assert_cmpint (rec->step_label, ==, json_object_get_int_member (item, "label"));
      g_assert_cmpint (rec->correct, ==, json_object_get_boolean_member (item, "final_answer_correct"));
      g_assert_cmpuint (g_strv_length (rec->steps), ==, json_array_get_length (steps));
      for (guint k = 0; k < json_array_get_length (steps); k++)
        g_assert_cmpstr (rec->steps[k], ==, json_array_get_string_element (steps, k));
      erroneous += rec->step_label >= 0;
    }
  /* as the data's notice states: 207 erroneous, 193 correct */
  g_assert_cmpuint (erroneous, ==, 207);
}

static void
test_mappings (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-maps.assay");
  g_autoptr (GError) error = NULL;
  gint64 d;

  /* TRL: string form, explicit conversational form, implicit prompt */
  d = import_text (store, "trl.jsonl",
                   "{\"prompt\": \"2+2?\", \"chosen\": \"4\", \"rejected\": \"5\", \"id\": \"a\"}\n"
                   "\n"
                   "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi?\"}], \"chosen\": "
                   "[{\"role\": \"assistant\", \"content\": \"Hello.\"}], \"rejected\": "
                   "[{\"role\": \"assistant\", \"content\": \"Go away.\"}]}\n"
                   "{\"chosen\": [{\"role\": \"user\", \"content\": \"Sky?\"}, {\"role\": "
                   "\"assistant\", \"content\": \"Blue.\"}], \"rejected\": [{\"role\": \"user\", "
                   "\"content\": \"Sky?\"}, {\"role\": \"assistant\", \"content\": \"Green.\"}]}\n",
                   ASSAY_GEN_MAP_AUTO, 3);
  {
    g_autoptr (AssayGenRecord) a = nth (store, d, 0);
    g_autoptr (AssayGenRecord) b = nth (store, d, 1);
    g_autoptr (AssayGenRecord) c = nth (store, d, 2);
    g_assert_cmpstr (a->kind, ==, "pair");
    g_assert_cmpstr (a->ext_id, ==, "a");
    g_assert_cmpstr (a->prompt, ==, "2+2?");
    g_assert_cmpstr (a->text, ==, "4");
    g_assert_cmpstr (a->rejected, ==, "5");
    g_assert_cmpstr (b->prompt, ==, "Hi?");
    g_assert_cmpstr (b->text, ==, "Hello.");
    g_assert_cmpstr (b->rejected, ==, "Go away.");
    g_assert_cmpstr (c->prompt, ==, "Sky?");
    g_assert_cmpstr (c->text, ==, "Blue.");
    g_assert_cmpstr (c->rejected, ==, "Green.");
  }
  /* LLaVA-Reasoner pairwise rows */
  d = import_text (store, "llava.jsonl",
                   "{\"id\": 7, \"image\": \"chart.png\", \"question\": \"Peak?\", \"chosen\": "
                   "\"2019\", \"rejected\": \"2021\"}\n",
                   ASSAY_GEN_MAP_AUTO, 1);
  {
    g_autoptr (AssayGenRecord) a = nth (store, d, 0);
    g_assert_cmpstr (a->source, ==, "chart.png");
    g_assert_cmpstr (a->prompt, ==, "Peak?");
    g_assert_cmpstr (a->ext_id, ==, "7");
  }
  /* LLMiner */
  d = import_text (store, "llminer.jsonl",
                   "{\"passage\": \"Ada wrote notes. They described loops.\", \"sentence\": "
                   "\"They described loops.\", \"analysis\": \"About the notes.\", \"question\": "
                   "\"What did the notes describe?\", \"answer\": \"Loops.\"}\n",
                   ASSAY_GEN_MAP_AUTO, 1);
  {
    g_autoptr (AssayGenRecord) a = nth (store, d, 0);
    g_assert_cmpstr (a->kind, ==, "qa");
    g_assert_cmpstr (a->highlight, ==, "They described loops.");
    g_assert_cmpstr (a->text, ==, "Loops.");
    g_assert_cmpstr (assay_json_get_string (a->extra, "analysis", NULL), ==, "About the notes.");
  }
  /* GenCo */
  d = import_text (store, "genco.jsonl",
                   "{\"doc_id\": 3, \"document\": \"Stocks fell.\", \"label\": \"business\", "
                   "\"text\": \"Markets dropped sharply as investors...\"}\n"
                   "{\"doc_id\": 3, \"document\": \"Stocks fell.\", \"text\": \"An elaboration.\"}\n",
                   ASSAY_GEN_MAP_GENCO, 2);
  {
    g_autoptr (AssayGenRecord) a = nth (store, d, 0);
    g_autoptr (AssayGenRecord) b = nth (store, d, 1);
    g_assert_cmpstr (a->kind, ==, "rewrite");
    g_assert_cmpstr (a->condition, ==, "business");
    g_assert_cmpint (assay_json_get_int (a->extra, "doc_id", 0), ==, 3);
    g_assert_cmpstr (b->kind, ==, "elaboration");
  }
  /* An unknown shape fails with its fields named; a field map reads it and is remembered */
  {
    g_autofree char *path = assay_test_write_file ("alpaca.jsonl",
                                        "{\"instruction\": \"Say hi\", \"output\": \"hi\", \"m\": \"x\"}\n");
    AssayGenImportOptions options;
    AssayGenImportResult  r;
    g_autoptr (JsonObject) fields = assay_gen_parse_fields ("prompt=instruction, text=output, model=m", &error);
    g_assert_no_error (error);
    g_assert_false (assay_gen_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "instruction,m,output"));
    g_clear_error (&error);
    assay_gen_import_options_init (&options);
    options.fields = fields;
    g_assert_true (assay_gen_import (store, path, &options, &r, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    /* same shape, auto: the remembered map */
    g_assert_true (assay_gen_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
    g_assert_cmpint (r.mapping, ==, ASSAY_GEN_MAP_CUSTOM);
    {
      g_autoptr (AssayGenRecord) a = nth (store, r.dataset, 0);
      g_assert_cmpstr (a->prompt, ==, "Say hi");
      g_assert_cmpstr (a->text, ==, "hi");
      g_assert_cmpstr (a->model, ==, "x");
      g_assert_cmpstr (a->kind, ==, "response");
    }
    g_assert_null (assay_gen_parse_fields ("bogus=x", &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  }
}

/* A bad line is named; nothing of the file is kept */
static void
test_malformed (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-bad.assay");
  g_autoptr (GError) error = NULL;
  struct
  {
    const char *contents;
    const char *where;
  } cases[] = {
    { "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": oops}\n",
      "line 3" },
    { "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\"}\n",
      "line 2" },
    { "[{\"problem\": \"p\", \"steps\": [\"s\"], \"label\": -1}, {\"problem\": \"p\", \"steps\": [\"s\"], \"label\": 4}]",
      "item 2" },
    { "[{\"problem\": \"p\", \"steps\": [\"s\", 3], \"label\": -1}]", "item 1" },
    { "[1, 2", "bad.json" },
    { "\n\n", "no records" },
    { "\"just a string\"\n", "line 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad%u.json", i);
      g_autofree char *path = assay_test_write_file (i == 4 ? "bad.json" : name, cases[i].contents);
      g_autoptr (GArray) ids = NULL;
      AssayGenImportResult r;
      g_assert_false (assay_gen_import (store, path, NULL, &r, NULL, NULL, NULL, &error));
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].where) == NULL)
        g_error ("case %u: “%s” does not name %s", i, error->message, cases[i].where);
      g_clear_error (&error);
      ids = ids_of (store, 0);
      g_assert_cmpuint (ids->len, ==, 0);
      g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM datasets", -1), ==, 0);
    }
}

static void
test_search_filters (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-search.assay");
  g_autoptr (GError) error = NULL;
  AssayGenFilter f;
  guint          counts[4];
  gint64         d = import_text (store, "s.jsonl",
                                  "{\"prompt\": \"capital of France\", \"chosen\": \"Paris\", \"rejected\": \"Lyon\"}\n"
                                  "{\"prompt\": \"capital of Italy\", \"chosen\": \"Rome\", \"rejected\": \"Milan\"}\n"
                                  "{\"prompt\": \"largest ocean\", \"chosen\": \"Pacific\", \"rejected\": \"Atlantic\"}\n",
                                  ASSAY_GEN_MAP_TRL, 3);
  g_autoptr (GArray) ids = ids_of (store, d);

  assay_gen_filter_init (&f);
  f.search = "capital";
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 2);
  }
  f.search = "capital ita"; /* the last word is a prefix */
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 1);
    g_assert_cmpint (g_array_index (hits, gint64, 0), ==, g_array_index (ids, gint64, 1));
  }
  f.search = "\"Lyon AND ("; /* quotes and operators are words, not query syntax */
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 0);
  }
  f.search = "lyon";
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
  /* an edit is searchable */
  g_assert_true (assay_gen_set_edited (store, g_array_index (ids, gint64, 2), "Pacific Ocean, by far", &error));
  f.search = "far";
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
  /* status: accepted includes edited */
  g_assert_true (assay_gen_set_status (store, g_array_index (ids, gint64, 0), ASSAY_GEN_ACCEPTED, &error));
  assay_gen_filter_init (&f);
  f.status = ASSAY_GEN_ACCEPTED;
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 2);
  }
  g_assert_true (assay_gen_set_rating (store, g_array_index (ids, gint64, 1), 4, &error));
  assay_gen_filter_init (&f);
  f.min_rating = 3;
  {
    g_autoptr (GArray) hits = assay_gen_query_ids (store, &f, &error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
  g_assert_false (assay_gen_set_rating (store, g_array_index (ids, gint64, 1), 7, &error));
  g_clear_error (&error);
  assay_gen_filter_init (&f);
  g_assert_true (assay_gen_count_status (store, &f, counts, &error));
  g_assert_cmpuint (counts[ASSAY_GEN_PENDING], ==, 1);
  g_assert_cmpuint (counts[ASSAY_GEN_ACCEPTED], ==, 1);
  g_assert_cmpuint (counts[ASSAY_GEN_EDITED], ==, 1);
}

/* Decisions are undoable, also after closing and reopening the workspace */
static void
test_undo_reopen (void)
{
  g_autofree char *path = assay_test_path ("gen-undo.assay");
  g_autoptr (GError) error = NULL;
  gint64 id;

  {
    g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-undo.assay");
    gint64 d = import_text (store, "u.jsonl",
                            "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n"
                            "{\"prompt\": \"q\", \"chosen\": \"d\", \"rejected\": \"s\"}\n",
                            ASSAY_GEN_MAP_TRL, 2);
    g_autoptr (GArray) ids = ids_of (store, d);
    id = g_array_index (ids, gint64, 0);
    g_assert_true (assay_gen_set_edited (store, id, "c, better", &error));
    g_assert_true (assay_gen_set_rating (store, id, 5, &error));
    g_assert_true (assay_gen_set_status_many (store, (const gint64 *) ids->data, ids->len,
                                              ASSAY_GEN_REJECTED, &error));
  }
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autoptr (AssayGenRecord) r = NULL;
    g_assert_true (assay_store_undo (store, NULL, &error)); /* the bulk action, at once */
    r = assay_gen_record_load (store, id, &error);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_EDITED);
    g_assert_cmpint (r->rating, ==, 5);
    g_assert_true (assay_store_undo (store, NULL, &error));
    g_assert_true (assay_store_undo (store, NULL, &error));
    assay_gen_record_free (r);
    r = assay_gen_record_load (store, id, &error);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_PENDING);
    g_assert_null (r->edited);
    g_assert_cmpstr (r->text, ==, "c");
    g_assert_cmpint (r->rating, ==, 0);
  }
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autoptr (AssayGenRecord) r = NULL;
    g_assert_true (assay_store_redo (store, NULL, &error));
    r = assay_gen_record_load (store, id, &error);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_EDITED);
    g_assert_cmpstr (r->edited, ==, "c, better");
    g_assert_cmpstr (r->text, ==, "c"); /* the original stays beside the edit */
    g_assert_cmpstr (assay_gen_record_final_text (r), ==, "c, better");
  }
}

/* A decision is on disk when the call returns: a process killed right after keeps it */
static void
test_sigkill (void)
{
  g_autofree char *path = assay_test_path ("gen-kill.assay");
  g_autoptr (GError) error = NULL;
  gint64 id;
  pid_t  pid;
  int    status = 0;

  {
    g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-kill.assay");
    gint64 d = import_text (store, "k.jsonl", "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n",
                            ASSAY_GEN_MAP_TRL, 1);
    g_autoptr (GArray) ids = ids_of (store, d);
    id = g_array_index (ids, gint64, 0);
  }
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      AssayStore *store = assay_store_open (path, NULL);
      if (store == NULL || !assay_gen_set_status (store, id, ASSAY_GEN_ACCEPTED, NULL))
        _exit (3);
      kill (getpid (), SIGKILL);
      _exit (4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
  {
    g_autoptr (AssayStore) store = assay_store_open (path, &error);
    g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, id, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->status, ==, ASSAY_GEN_ACCEPTED);
    g_assert_true (assay_store_can_undo (store));
  }
}

static char *
read_all (const char *path)
{
  char *contents = NULL;
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

/* export -> import gives the same records; each format's rows */
static void
test_export (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-export.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *out = assay_test_path ("out.jsonl");
  AssayGenFilter f;
  guint          n = 0;
  gint64         d = import_text (store, "e.jsonl",
                                  "{\"prompt\": \"Q1 \\\"quoted\\\"\", \"chosen\": \"A1\\nline two\", \"rejected\": \"B1\"}\n"
                                  "{\"prompt\": \"Q2\", \"chosen\": \"A2 ünïcödé\", \"rejected\": \"B2\"}\n"
                                  "{\"prompt\": \"Q3\", \"chosen\": \"A3\", \"rejected\": \"B3\"}\n",
                                  ASSAY_GEN_MAP_TRL, 3);
  g_autoptr (GArray) ids = ids_of (store, d);

  g_assert_true (assay_gen_set_edited (store, g_array_index (ids, gint64, 1), "A2, edited", &error));
  g_assert_true (assay_gen_set_status (store, g_array_index (ids, gint64, 2), ASSAY_GEN_REJECTED, &error));
  assay_gen_filter_init (&f);
  f.dataset = d;
  for (int chat = 0; chat < 2; chat++)
    {
      AssayGenImportResult r;
      g_assert_true (assay_gen_export (store, &f, chat ? ASSAY_GEN_EXPORT_TRL_DPO_CHAT : ASSAY_GEN_EXPORT_TRL_DPO,
                                       out, &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, 3);
      g_assert_true (assay_gen_import (store, out, NULL, &r, NULL, NULL, NULL, &error));
      g_assert_cmpuint (r.imported, ==, 3);
      for (guint i = 0; i < 3; i++)
        {
          g_autoptr (AssayGenRecord) a = nth (store, d, i);
          g_autoptr (AssayGenRecord) b = nth (store, r.dataset, i);
          g_assert_cmpstr (a->prompt, ==, b->prompt);
          g_assert_cmpstr (assay_gen_record_final_text (a), ==, b->text);
          g_assert_cmpstr (a->rejected, ==, b->rejected);
        }
    }
  /* KTO: both sides of each pair */
  g_assert_true (assay_gen_export (store, &f, ASSAY_GEN_EXPORT_KTO, out, &n, &error));
  g_assert_cmpuint (n, ==, 6);
  {
    g_autofree char *text = read_all (out);
    g_assert_nonnull (strstr (text, "{\"prompt\":\"Q3\",\"completion\":\"B3\",\"label\":false}"));
  }
  /* SFT of the accepted (edited counts): the edit wins */
  f.status = ASSAY_GEN_ACCEPTED;
  g_assert_true (assay_gen_export (store, &f, ASSAY_GEN_EXPORT_SFT, out, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  {
    g_autofree char *text = read_all (out);
    g_assert_cmpstr (text, ==, "{\"prompt\":\"Q2\",\"completion\":\"A2, edited\"}\n");
  }
  /* PRM: steps up to the first error */
  {
    gint64 t = import_text (store, "t.json",
                            "[{\"problem\": \"P\", \"steps\": [\"s1\", \"s2\", \"s3\"], \"label\": 1},"
                            " {\"problem\": \"R\", \"steps\": [\"t1\", \"t2\"], \"label\": -1}]",
                            ASSAY_GEN_MAP_AUTO, 2);
    g_autofree char *text = NULL;
    assay_gen_filter_init (&f);
    f.dataset = t;
    g_assert_true (assay_gen_export (store, &f, ASSAY_GEN_EXPORT_PRM, out, &n, &error));
    g_assert_cmpuint (n, ==, 2);
    text = read_all (out);
    g_assert_cmpstr (text, ==,
                     "{\"prompt\":\"P\",\"completions\":[\"s1\",\"s2\"],\"labels\":[true,false]}\n"
                     "{\"prompt\":\"R\",\"completions\":[\"t1\",\"t2\"],\"labels\":[true,true]}\n");
    /* nothing that fits: an error, and the last file stays as it was */
    g_assert_false (assay_gen_export (store, &f, ASSAY_GEN_EXPORT_TRL_DPO, out, &n, &error));
    g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
    g_clear_error (&error);
    {
      g_autofree char *again = read_all (out);
      g_assert_cmpstr (again, ==, text);
    }
  }
}

static void
test_prompts (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-prompts.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *req = assay_test_path ("requests.jsonl");
  g_autofree char *body = NULL, *rendered = NULL;
  g_autofree char *answers = NULL;
  AssayGenFilter f;
  guint          n = 0, read = 0, rated = 0;
  gint64         answers_dataset = 0;
  gint64         d = import_text (store, "m.jsonl",
                                  "{\"passage\": \"Ada wrote notes. They described loops.\", \"sentence\": "
                                  "\"They described loops.\", \"analysis\": \"About notes.\", \"question\": "
                                  "\"What did they describe?\", \"answer\": \"Loops.\"}\n",
                                  ASSAY_GEN_MAP_LLMINER, 1);
  g_autoptr (AssayGenRecord) r = nth (store, d, 0);

  body = assay_gen_template_get (store, "llminer-question", &error);
  g_assert_no_error (error);
  rendered = assay_gen_render (store, body, r);
  g_assert_nonnull (strstr (rendered, "Passage:\nAda wrote notes. They described loops."));
  g_assert_nonnull (strstr (rendered, "Analysis:\nAbout notes."));
  g_assert_null (strstr (rendered, "{"));
  g_assert_null (assay_gen_template_get (store, "nope", &error));
  g_clear_error (&error);
  /* a template must be text */
  g_assert_false (assay_gen_template_set (store, "judge", "\xff\xfe", &error));
  g_assert_nonnull (strstr (error->message, "not UTF-8"));
  g_clear_error (&error);
  g_assert_false (assay_gen_template_set (store, "judge", "", &error));
  g_clear_error (&error);
  /* an edited template is used */
  g_assert_true (assay_gen_template_set (store, "judge", "Q={question} R={response} {unknown}", &error));
  assay_gen_filter_init (&f);
  f.dataset = d;
  g_assert_true (assay_gen_export_requests (store, &f, "judge", req, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  {
    g_autofree char *text = read_all (req);
    g_autofree char *expect = g_strdup_printf (
      "{\"id\":\"%lld:judge\",\"prompt\":\"Q=What did they describe? R=Loops. {unknown}\"}\n",
      (long long) r->id);
    g_assert_cmpstr (text, ==, expect);
  }
  /* answers back by id: a rating, and a new generation */
  answers = g_strdup_printf ("{\"id\": \"%lld:judge\", \"output\": \"Correct and complete. Rating: 4\"}\n"
                             "{\"id\": \"%lld:llminer-answer\", \"answer\": \"Loops and more.\"}\n",
                             (long long) r->id, (long long) r->id);
  {
    g_autofree char *path = assay_test_write_file ("answers.jsonl", answers);
    g_assert_true (assay_gen_import_answers (store, path, &read, &rated, &answers_dataset, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (read, ==, 2);
    g_assert_cmpuint (rated, ==, 1);
    {
      g_autoptr (AssayGenRecord) again = assay_gen_record_load (store, r->id, &error);
      g_autoptr (AssayGenRecord) made = nth (store, answers_dataset, 0);
      g_assert_cmpint (assay_json_get_int (again->scores, "judge", 0), ==, 4);
      g_assert_cmpstr (made->text, ==, "Loops and more.");
      g_assert_cmpstr (made->prompt, ==, "What did they describe?");
      g_assert_cmpstr (made->highlight, ==, "They described loops.");
    }
    /* an unknown record fails the whole file */
    g_free (answers);
    answers = g_strdup ("{\"id\": \"99999:judge\", \"output\": \"Rating: 2\"}\n");
    g_assert_true (g_file_set_contents (path, answers, -1, NULL));
    g_assert_false (assay_gen_import_answers (store, path, &read, &rated, NULL, &error));
    g_assert_nonnull (strstr (error->message, "line 1"));
  }
}

/* Plain recursive LCS length over word arrays (the reference) */
static guint
lcs_ref (char **a, char **b)
{
  guint x, y;
  if (*a == NULL || *b == NULL)
    return 0;
  if (g_str_equal (*a, *b))
    return 1 + lcs_ref (a + 1, b + 1);
  x = lcs_ref (a + 1, b);
  y = lcs_ref (a, b + 1);
  return MAX (x, y);
}

/* The unmarked words of both sides are one common subsequence, as long as the longest one. */
static void
test_word_diff (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  const char *vocab[] = { "a", "b", "c", "d", "e" };

  for (guint round = 0; round < 300; round++)
    {
      GString *sa = g_string_new (NULL), *sb = g_string_new (NULL);
      g_autoptr (GArray) da = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
      g_autoptr (GArray) db = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
      guint na = g_rand_int_range (rand, 0, 9), nb = g_rand_int_range (rand, 0, 9);
      g_auto (GStrv) wa = NULL;
      g_auto (GStrv) wb = NULL;
      guint la, lb;
      for (guint i = 0; i < na; i++)
        g_string_append_printf (sa, "%s%s", i ? (g_rand_boolean (rand) ? " " : "\n  ") : "",
                                vocab[g_rand_int_range (rand, 0, 5)]);
      for (guint i = 0; i < nb; i++)
        g_string_append_printf (sb, "%s%s", i ? " " : "", vocab[g_rand_int_range (rand, 0, 5)]);
      g_assert_true (assay_word_diff (sa->str, sb->str, 1 << 20, da, db));
      wa = g_strsplit_set (sa->str, " \n", -1);
      wb = g_strsplit_set (sb->str, " \n", -1);
      /* drop empty pieces */
      {
        GStrvBuilder *ba = g_strv_builder_new (), *bb = g_strv_builder_new ();
        for (guint i = 0; wa[i]; i++) if (*wa[i]) g_strv_builder_add (ba, wa[i]);
        for (guint i = 0; wb[i]; i++) if (*wb[i]) g_strv_builder_add (bb, wb[i]);
        g_strfreev (wa);
        g_strfreev (wb);
        wa = g_strv_builder_end (ba);
        wb = g_strv_builder_end (bb);
        g_strv_builder_unref (ba);
        g_strv_builder_unref (bb);
      }
      la = g_strv_length (wa) - da->len;
      lb = g_strv_length (wb) - db->len;
      g_assert_cmpuint (la, ==, lb);
      g_assert_cmpuint (la, ==, lcs_ref (wa, wb));
      for (guint i = 0; i < da->len; i++)
        {
          AssayDiffSpan *sp = &g_array_index (da, AssayDiffSpan, i);
          g_assert_cmpuint (sp->end, >, sp->start);
          g_assert_false (g_ascii_isspace (sa->str[sp->start]));
        }
      g_string_free (sa, TRUE);
      g_string_free (sb, TRUE);
    }
  /* too long to compare: refused, nothing marked */
  {
    g_autoptr (GArray) da = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
    g_autoptr (GArray) db = g_array_new (FALSE, FALSE, sizeof (AssayDiffSpan));
    g_assert_false (assay_word_diff ("a b c d", "e f g h", 10, da, db));
    g_assert_cmpuint (da->len + db->len, ==, 0);
  }
}

/* The statistics view's counts, against a plain reading of every row: per status and rating,
 * over all records and per kind, with the filter's kind and search applied and its status not */
static void
test_stats (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-stats.assay");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) stats = NULL;
  AssayGenFilter f;
  sqlite3_stmt  *stmt;
  guint          status[4] = { 0 }, rating[6] = { 0 }, total = 0, pair_total = 0, pair_rejected = 0;

  g_assert_true (assay_gen_demo_import (store, &error));
  g_assert_no_error (error);
  /* decisions and ratings of every kind */
  g_assert_true (assay_store_exec (store, "UPDATE gen_records SET rating = (id % 6) WHERE id % 6 != 0; "
                                          "UPDATE gen_records SET status = 'rejected' WHERE id % 5 = 1; "
                                          "UPDATE gen_records SET status = 'accepted' WHERE id % 5 = 2", &error));
  stmt = assay_store_prepare (store, "SELECT kind, status, rating FROM gen_records", &error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayGenStatus st;
      int r = sqlite3_column_type (stmt, 2) == SQLITE_NULL ? 0 : sqlite3_column_int (stmt, 2);
      g_assert_true (assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 1), &st));
      status[st]++;
      rating[r]++;
      total++;
      if (g_str_equal ((const char *) sqlite3_column_text (stmt, 0), "pair"))
        {
          pair_total++;
          pair_rejected += st == ASSAY_GEN_REJECTED;
        }
    }
  sqlite3_reset (stmt);

  assay_gen_filter_init (&f);
  f.status = ASSAY_GEN_ACCEPTED; /* not applied: the view shows every status */
  stats = assay_gen_stats (store, &f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stats);
  {
    AssayGenStats *all = stats->pdata[0];
    guint          sum = 0;
    g_assert_null (all->kind);
    g_assert_cmpuint (all->total, ==, total);
    for (int i = 0; i < 4; i++)
      g_assert_cmpuint (all->status[i], ==, status[i]);
    for (int i = 0; i < 6; i++)
      g_assert_cmpuint (all->rating[i], ==, rating[i]);
    g_assert_cmpuint (rating[0], >, 0);
    g_assert_cmpuint (rating[5], >, 0);
    for (guint k = 1; k < stats->len; k++)
      {
        AssayGenStats *s = stats->pdata[k];
        sum += s->total;
        if (g_str_equal (s->kind, "pair"))
          {
            g_assert_cmpuint (s->total, ==, pair_total);
            g_assert_cmpuint (s->status[ASSAY_GEN_REJECTED], ==, pair_rejected);
          }
      }
    g_assert_cmpuint (sum, ==, total);
  }
  g_clear_pointer (&stats, g_ptr_array_unref);
  /* a kind filter: one kind, the same counts as above for it */
  f.kind = "pair";
  stats = assay_gen_stats (store, &f, &error);
  g_assert_cmpuint (stats->len, ==, 2);
  g_assert_cmpuint (((AssayGenStats *) stats->pdata[0])->total, ==, pair_total);
  g_clear_pointer (&stats, g_ptr_array_unref);
  /* a search that matches nothing: zero counts, no kinds */
  f.kind = NULL;
  f.search = "zzqqxxnothing";
  stats = assay_gen_stats (store, &f, &error);
  g_assert_cmpuint (stats->len, ==, 1);
  g_assert_cmpuint (((AssayGenStats *) stats->pdata[0])->total, ==, 0);
}

/* The import dialog's preview and guess: the first rows and their fields; a built-in mapping when
 * one fits; for {instruction, output} a guessed field map that imports; then that map remembered
 * for files of the same shape */
static void
test_preview_guess (void)
{
  g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-preview.assay");
  g_autoptr (GError) error = NULL;
  g_autofree char *alpaca = assay_test_write_file ("alpaca.jsonl",
    "{\"id\": 1, \"instruction\": \"Name a colour.\", \"output\": \"Blue.\"}\n"
    "not json at all\n"
    "\n"
    "{\"id\": 2, \"instruction\": \"Name a fruit.\", \"output\": \"A pear.\", \"note\": \"x\"}\n");
  g_autofree char *trl = assay_test_write_file ("prefs.json",
    "[{\"prompt\": \"Q\", \"chosen\": \"good\", \"rejected\": \"bad\"}, 3, {\"prompt\": \"R\", \"chosen\": \"a\", \"rejected\": \"b\"}]");
  g_autofree char *empty = assay_test_write_file ("nothing.jsonl", "1\n2\n");
  g_autoptr (AssayGenPreview) p = assay_gen_preview (alpaca, 10, &error);
  g_autoptr (JsonObject) fields = NULL;
  AssayGenImportOptions o;
  AssayGenImportResult  r;

  g_assert_no_error (error);
  g_assert_false (p->array);
  g_assert_cmpuint (p->rows->len, ==, 2);
  g_assert_cmpuint (p->keys->len, ==, 4);
  g_assert_cmpstr (p->keys->pdata[0], ==, "id");
  g_assert_cmpstr (p->keys->pdata[3], ==, "note");
  g_assert_cmpint (assay_gen_guess (store, p->rows->pdata[0], &fields), ==, ASSAY_GEN_MAP_AUTO);
  g_assert_nonnull (fields);
  g_assert_cmpstr (json_object_get_string_member (fields, "prompt"), ==, "instruction");
  g_assert_cmpstr (json_object_get_string_member (fields, "text"), ==, "output");
  g_assert_cmpstr (json_object_get_string_member (fields, "ext_id"), ==, "id");
  /* the plain import of the same file has no mapping for it (the reason the dialog exists) */
  g_assert_false (assay_gen_import (store, alpaca, NULL, &r, NULL, NULL, NULL, &error));
  g_clear_error (&error);
  {
    /* a file of the first row's shape only */
    g_autofree char *same = assay_test_write_file ("alpaca2.jsonl",
      "{\"id\": 1, \"instruction\": \"Name a colour.\", \"output\": \"Blue.\"}\n"
      "{\"id\": 2, \"instruction\": \"Name a fruit.\", \"output\": \"A pear.\"}\n");
    assay_gen_import_options_init (&o);
    o.fields = fields;
    g_assert_true (assay_gen_import (store, same, &o, &r, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (r.imported, ==, 2);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE prompt = 'Name a fruit.' "
                                                   "AND text = 'A pear.' AND ext_id = '2'", 0), ==, 1);
  }
  g_clear_pointer (&fields, json_object_unref);
  /* remembered for that shape */
  g_assert_cmpint (assay_gen_guess (store, p->rows->pdata[0], &fields), ==, ASSAY_GEN_MAP_CUSTOM);
  g_assert_cmpstr (json_object_get_string_member (fields, "text"), ==, "output");
  g_clear_pointer (&fields, json_object_unref);
  g_clear_pointer (&p, assay_gen_preview_free);

  /* a JSON array of preference rows: TRL, non-objects skipped */
  p = assay_gen_preview (trl, 10, &error);
  g_assert_no_error (error);
  g_assert_true (p->array);
  g_assert_cmpuint (p->rows->len, ==, 2);
  g_assert_cmpint (assay_gen_guess (store, p->rows->pdata[0], &fields), ==, ASSAY_GEN_MAP_TRL);
  g_assert_null (fields);
  g_clear_pointer (&p, assay_gen_preview_free);

  /* elements are cut out of the start of the array by hand: brackets and quotes inside strings,
   * nested values, non-objects between, and a last element cut off by the end of the read */
  {
    GString *big = g_string_new ("[\n {\"prompt\": \"a } ] { [ \\\" ,\", \"text\": \"t1\", \"steps\": [[1, {\"x\": \"]\"}], []]},\n"
                                 "  42, \"s\", null, [1, 2],\n {\"prompt\": \"b\", \"text\": \"t2\"}");
    g_autofree char *path = NULL;
    /* past the 4 MiB a preview reads */
    for (int i = 0; i < 60000; i++)
      g_string_append_printf (big, ", {\"prompt\": \"p%d\", \"text\": \"%0100d\"}", i, i);
    g_string_append (big, "]");
    path = assay_test_write_file ("big-array.json", big->str);
    g_string_free (big, TRUE);
    p = assay_gen_preview (path, 5, &error);
    g_assert_no_error (error);
    g_assert_true (p->array);
    g_assert_cmpuint (p->rows->len, ==, 5);
    g_assert_cmpstr (json_object_get_string_member (p->rows->pdata[0], "prompt"), ==, "a } ] { [ \" ,");
    g_assert_cmpstr (json_object_get_string_member (p->rows->pdata[1], "text"), ==, "t2");
    g_assert_cmpstr (json_object_get_string_member (p->rows->pdata[4], "prompt"), ==, "p2");
    g_clear_pointer (&p, assay_gen_preview_free);
  }

  /* nothing to show: an error naming the file */
  p = assay_gen_preview (empty, 10, &error);
  g_assert_null (p);
  g_assert_nonnull (strstr (error->message, "nothing.jsonl"));
}

/* gen delete: records go as one undoable edit; undo brings them back; bad ids are refused */
static void
test_cli_delete (void)
{
  g_autofree char *ws = assay_test_path ("gen-delete.assay");
  g_autoptr (JsonObject) o = NULL;
  g_autofree char *err = NULL;

  {
    g_autoptr (AssayStore) store = assay_test_fresh_store ("gen-delete.assay");
    g_autoptr (GError) error = NULL;
    g_assert_true (assay_gen_demo_import (store, &error));
  }
  o = assay_test_cli_json ((const char *[]) { "gen", "delete", "-w", ws, "--id", "3,5", "--json", NULL }, 0, NULL);
  g_assert_cmpint (json_object_get_int_member (o, "deleted"), ==, 2);
  {
    g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE id IN (3, 5)", 0), ==, 0);
  }
  g_clear_pointer (&o, json_object_unref);
  assay_test_cli_json ((const char *[]) { "gen", "delete", "-w", ws, "--id", "3", NULL }, 1, &err);
  g_assert_nonnull (strstr (err, "3"));
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "gen", "delete", "-w", ws, "--id", "-1", NULL }, 2, &err);
  g_clear_pointer (&err, g_free);
  assay_test_cli_json ((const char *[]) { "undo", "-w", ws, NULL }, 0, NULL);
  {
    g_autoptr (AssayStore) store = assay_store_open (ws, NULL);
    g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM gen_records WHERE id IN (3, 5)", 0), ==, 2);
  }
}

/* Sentences of a passage, as LLMiner highlights them. */
static void
test_sentences (void)
{
  static const struct { const char *text; const char *want[8]; } cases[] = {
    { "Ada wrote notes. They described loops.", { "Ada wrote notes.", "They described loops." } },
    { "Dr. Smith met J. Doe at 3 p.m. on Friday. It rained!  Was it cold? Yes.",
      { "Dr. Smith met J. Doe at 3 p.m. on Friday.", "It rained!", "Was it cold?", "Yes." } },
    { "Pi is 3.14 (about). \"Really?\" she asked. e.g. this stays.",
      { "Pi is 3.14 (about).", "\"Really?\" she asked. e.g. this stays." } },
    { "A title\n\nThe body starts here. And ends here", { "A title", "The body starts here.", "And ends here" } },
    { "It costs $5. 20 people came... Then they left.", { "It costs $5.", "20 people came...", "Then they left." } },
    { "猫が好きです。犬も好き！本当？", { "猫が好きです。", "犬も好き！", "本当？" } },
    { "   ", { NULL } },
    { "no end", { "no end" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) got = assay_sentences_split (cases[i].text);
      guint n = 0;
      while (cases[i].want[n] != NULL)
        n++;
      g_assert_cmpuint (g_strv_length (got), ==, n);
      for (guint k = 0; k < n; k++)
        g_assert_cmpstr (got[k], ==, cases[i].want[k]);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gen/sentences", test_sentences);
  g_test_add_func ("/gen/import/processbench", test_processbench);
  g_test_add_func ("/gen/import/mappings", test_mappings);
  g_test_add_func ("/gen/import/malformed", test_malformed);
  g_test_add_func ("/gen/search-filters", test_search_filters);
  g_test_add_func ("/gen/undo-reopen", test_undo_reopen);
  g_test_add_func ("/gen/sigkill", test_sigkill);
  g_test_add_func ("/gen/export", test_export);
  g_test_add_func ("/gen/prompts", test_prompts);
  g_test_add_func ("/gen/word-diff", test_word_diff);
  g_test_add_func ("/gen/stats", test_stats);
  g_test_add_func ("/gen/preview-guess", test_preview_guess);
  g_test_add_func ("/gen/cli-delete", test_cli_delete);
  return g_test_run ();
}
